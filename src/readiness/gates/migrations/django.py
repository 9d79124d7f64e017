"""Django migration modules, read with `ast` (never imported): `Migration.operations`, `atomic`.

Tables are named as Django names them by default (`<app_label>_<model>`); `db_table` overrides
in other files are not followed. `AlterField` is judged against the field's previous definition
when an earlier migration of the same app (passed in as `history`) defines it.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from typing import Any

from readiness.gates.migrations.dynamic import Scope
from readiness.gates.migrations.ops import Op
from readiness.gates.migrations.pyast import (
    PyResult,
    Source,
    arg,
    call_name,
    const_str,
    embedded_sql,
    postgres_statements,
    truthy,
)

FieldHistory = dict[tuple[str, str], str]
"""(model lower-case, field) -> field class name, from earlier migrations of the same app."""


def looks_like_django(text: str) -> bool:
    """Cheap content test before parsing."""
    return "class Migration" in text and "operations" in text


def app_label(path: str) -> str:
    """`shop/migrations/0002_x.py` -> `shop`."""
    parts = path.split("/")
    return parts[-3] if len(parts) >= 3 else "app"


def _migration_class(tree: ast.Module) -> ast.ClassDef | None:
    return next((n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Migration"), None)


def fields_defined(tree: ast.Module) -> FieldHistory:
    """Field classes this migration defines (CreateModel, AddField, AlterField), for later AlterFields."""
    out: FieldHistory = {}
    cls = _migration_class(tree)
    if cls is None:
        return out
    for node in ast.walk(cls):
        if not isinstance(node, ast.Call):
            continue
        name = call_name(node)
        if name == "CreateModel":
            model = (const_str(arg(node, 0, "name")) or "").lower()
            fl = arg(node, 1, "fields")
            if isinstance(fl, ast.List | ast.Tuple):
                for el in fl.elts:
                    if isinstance(el, ast.Tuple) and len(el.elts) == 2:
                        fname = const_str(el.elts[0])
                        if fname and isinstance(el.elts[1], ast.Call):
                            out[(model, fname)] = call_name(el.elts[1])
        elif name in ("AddField", "AlterField"):
            model = (const_str(arg(node, 0, "model_name")) or "").lower()
            fname = const_str(arg(node, 1, "name"))
            fld = arg(node, 2, "field")
            if fname and isinstance(fld, ast.Call):
                out[(model, fname)] = call_name(fld)
    return out


def analyse(tree: ast.Module, text: str, path: str, history: Mapping[tuple[str, str], str]) -> PyResult:
    """Operations of `Migration.operations`, `atomic`, and reversibility facts."""
    src = Source(text)
    out = PyResult()
    cls = _migration_class(tree)
    if cls is None:
        return out
    ops_list: ast.expr | None = None
    squash = False
    for st in cls.body:
        if isinstance(st, ast.Assign) and len(st.targets) == 1 and isinstance(st.targets[0], ast.Name):
            if st.targets[0].id == "atomic" and truthy(st.value) is False:
                out.atomic = False
            elif st.targets[0].id == "operations":
                ops_list = st.value
            elif st.targets[0].id == "replaces":
                squash = isinstance(st.value, ast.List | ast.Tuple) and bool(st.value.elts)
    if isinstance(ops_list, ast.List | ast.Tuple):
        app = app_label(path)
        scope = Scope(tree.body)
        for el in ops_list.elts:
            _operation(el, src, out, app, history, scope)
        if squash:
            out.ops[:0] = _fresh_tables(out.ops, app, src.base(cls))
    return out


def _fresh_tables(ops: list[Op], app: str, base: dict[str, Any]) -> list[Op]:
    """A squashed migration (`replaces = [...]`) runs only where none of the migrations it replaces
    ran: on a database where this app is new. Its own app's tables are empty and unused there, as if
    created by it, so they are declared created before its first operation (other apps' are not)."""
    prefix = f"{app}_"
    tables = dict.fromkeys(o.table for o in ops if o.table and o.table.lower().startswith(prefix))
    return [Op(action="create_table", table=t, flags=frozenset({"derived_name"}),
               extra={"columns": (), "names": ()}, **base) for t in tables if t]


def _operation(node: ast.expr, src: Source, out: PyResult, app: str,
               history: Mapping[tuple[str, str], str], scope: Scope) -> None:
    if not isinstance(node, ast.Call):
        return
    name = call_name(node)
    base = src.base(node)
    model = (const_str(arg(node, 0, "model_name")) or "").lower()
    table = f"{app}_{model}" if model else None
    ops: list[Op] = []
    if name == "SeparateDatabaseAndState":
        db = arg(node, 0, "database_operations")
        if isinstance(db, ast.List | ast.Tuple):
            for el in db.elts:
                _operation(el, src, out, app, history, scope)
        return
    if name == "RunSQL":
        sql_node = arg(node, 0, "sql")
        if isinstance(sql_node, ast.Attribute) and sql_node.attr == "noop":
            sql_node = None  # RunSQL.noop: nothing runs
        if isinstance(sql_node, ast.Name) and isinstance(scope.get(sql_node.id), ast.List | ast.Tuple):
            sql_node = scope.get(sql_node.id)
        items = sql_node.elts if isinstance(sql_node, ast.List | ast.Tuple) else [sql_node]
        for it in items:
            if isinstance(it, ast.Tuple) and it.elts:
                it = it.elts[0]
            embedded_sql(src, it, out, scope=scope, call=node)
        rev = arg(node, 1, "reverse_sql")
        if rev is None or (isinstance(rev, ast.Constant) and rev.value is None):
            out.irreversible.append((base["line"], base["col"], "RunSQL has no reverse_sql"))
        return
    if name == "RunPython":
        rev = arg(node, 1, "reverse_code")
        if rev is None or (isinstance(rev, ast.Constant) and rev.value is None):
            out.irreversible.append((base["line"], base["col"], "RunPython has no reverse_code"))
        ops.append(Op(action="run_python", **base))
        code = arg(node, 0, "code")
        fn = scope.functions.get(code.id) if isinstance(code, ast.Name) else None
        if fn is not None:  # SQL the function runs: schema_editor.execute(...), cursor.execute(...)
            inner = Scope(scope.module_body, fn.body)
            framework = _framework_sql(fn)
            for st in postgres_statements(fn.body):
                for call in ast.walk(st):
                    if isinstance(call, ast.Call) and call_name(call) in ("execute", "executemany") and call.args \
                            and not (isinstance(call.args[0], ast.Name) and call.args[0].id in framework):
                        embedded_sql(src, call.args[0], out, scope=inner, call=call)
    elif name == "CreateModel":
        cname = (const_str(arg(node, 0, "name")) or "").lower()
        ops.append(Op(action="create_table", table=f"{app}_{cname}", flags=frozenset({"derived_name"}),
                      extra={"columns": _model_columns(arg(node, 1, "fields")), "names": ()}, **base))
    elif name == "DeleteModel":
        cname = (const_str(arg(node, 0, "name")) or "").lower()
        op = Op(action="drop_table", table=f"{app}_{cname}", **base)
        ops.append(op)
        out.lossy.append(op)
    elif name == "RenameModel":
        old = (const_str(arg(node, 0, "old_name")) or "").lower()
        new = (const_str(arg(node, 1, "new_name")) or "").lower()
        ops.append(Op(action="rename_table", table=f"{app}_{old}", detail=f"{app}_{new}",
                      flags=frozenset({"derived_name"}), **base))
    elif name == "AddField":
        fld = arg(node, 2, "field")
        if isinstance(fld, ast.Call) and call_name(fld) in _NO_COLUMN:
            return  # nothing in the database: no statement
        ops.extend(_add_field(node, table, base))
    elif name == "RemoveField":
        fname = const_str(arg(node, 1, "name"))
        old_cls = history.get((model, fname or ""))
        if old_cls in _NO_COLUMN:
            return  # nothing in the database: no statement
        if old_cls == "ManyToManyField":  # its join table goes (unless a `through` model owns it)
            op = Op(action="drop_table", table=f"{table}_{fname}", **base)
        else:
            op = Op(action="drop_column", table=table, column=fname, **base)
        ops.append(op)
        out.lossy.append(op)
    elif name == "RenameField":
        ops.append(Op(action="rename_column", table=table, column=const_str(arg(node, 1, "old_name")),
                      detail=const_str(arg(node, 2, "new_name")) or "?", **base))
    elif name == "AlterField":
        fname = const_str(arg(node, 1, "name")) or "?"
        fld = arg(node, 2, "field")
        new_cls = call_name(fld) if isinstance(fld, ast.Call) else ""
        old_cls = history.get((model, fname))
        if old_cls and new_cls and old_cls != new_cls:
            ops.append(Op(action="alter_type", table=table, column=fname, detail=f"{new_cls} (was {old_cls})",
                          **base))
    elif name in ("AddIndex", "AddIndexConcurrently"):
        idx = arg(node, 1, "index")
        iname = const_str(arg(idx, -1, "name")) if isinstance(idx, ast.Call) else None
        flags = {"concurrently"} if name == "AddIndexConcurrently" else set()
        ops.append(Op(action="create_index", table=table, column=iname, flags=frozenset(flags), **base))
    elif name in ("RemoveIndex", "RemoveIndexConcurrently"):
        flags = {"concurrently"} if name == "RemoveIndexConcurrently" else set()
        ops.append(Op(action="drop_index", table=table, column=const_str(arg(node, 1, "name")),
                      flags=frozenset(flags), **base))
    elif name == "AddConstraint":
        con = arg(node, 1, "constraint")
        con_name = const_str(arg(con, -1, "name")) if isinstance(con, ast.Call) else None
        kind = {"CheckConstraint": "check", "UniqueConstraint": "unique",
                "ExclusionConstraint": "exclusion"}.get(call_name(con) if con else "", "")
        if kind:
            ops.append(Op(action="add_constraint", table=table, column=con_name, detail=kind, **base))
    else:
        return
    out.ops.extend(ops)
    out.statements += 1


_FRAMEWORK_SQL = frozenset({"sequence_reset_sql", "sequence_reset_by_name_sql"})
"""Django's own SQL builders whose statements only reset sequences (`SELECT setval(...)`)."""


def _framework_sql(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    """Names in `fn` that hold statements Django builds itself (`connection.ops.sequence_reset_sql`),
    and the loop variables that walk them: running those needs no judging."""
    names: set[str] = set()
    for node in ast.walk(fn):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) \
                and call_name(node.value) in _FRAMEWORK_SQL:
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    for node in ast.walk(fn):
        if isinstance(node, ast.For) and isinstance(node.target, ast.Name) and (
                (isinstance(node.iter, ast.Name) and node.iter.id in names)
                or (isinstance(node.iter, ast.Call) and call_name(node.iter) in _FRAMEWORK_SQL)):
            names.add(node.target.id)
    return names


def _add_field(node: ast.Call, table: str | None, base: dict[str, Any]) -> list[Op]:
    fname = const_str(arg(node, 1, "name"))
    fld = arg(node, 2, "field")
    flags: set[str] = set()
    extra: dict[str, object] = {}
    cls = call_name(fld) if isinstance(fld, ast.Call) else ""
    ops: list[Op] = []
    drops_default = False
    if isinstance(fld, ast.Call):
        if truthy(arg(fld, -1, "null")) is not True and cls not in ("ManyToManyField",):
            flags.add("not_null")
        drops_default = _default_dropped(fld, cls)
        if drops_default or arg(fld, -1, "db_default") is not None:
            flags.add("has_default")
        if truthy(arg(fld, -1, "unique")) or cls == "OneToOneField":
            flags.add("unique")
        if truthy(arg(fld, -1, "primary_key")):
            flags.add("primary_key")
        if cls in _AUTO_FIELDS:
            flags.add("serial")
        if cls in ("ForeignKey", "OneToOneField"):
            to = arg(fld, 0, "to")
            target = const_str(to) or (ast.unparse(to) if isinstance(to, ast.Attribute | ast.Name) else None)
            if truthy(arg(fld, -1, "db_constraint")) is not False:
                flags.add("references")
                extra["references"] = target
            if cls == "ForeignKey" and truthy(arg(fld, -1, "db_index")) is not False:
                ops.append(Op(action="create_index", table=table, column=f"{fname}_id index",
                              **base))
        elif truthy(arg(fld, -1, "db_index")):
            ops.append(Op(action="create_index", table=table, column=f"{fname} index", **base))
        if cls == "ManyToManyField":
            return [Op(action="create_table", table=f"{table}_{fname}", **base)]
    col = f"{fname}_id" if cls in ("ForeignKey", "OneToOneField") else fname
    if cls in _PG_TYPES:
        extra["pg_type"] = _PG_TYPES[cls]
    added = Op(action="add_column", table=table, column=col, detail=cls, flags=frozenset(flags), extra=extra, **base)
    if drops_default:  # the schema editor's ALTER COLUMN ... DROP DEFAULT right after the ADD COLUMN
        return [added, Op(action="drop_default", table=table, column=col, extra={"implicit": "Django"}, **base), *ops]
    return [added, *ops]


_NO_COLUMN = frozenset({"TaggableManager", "GenericRelation"})
"""Field classes that add no column and no table (django-taggit's manager and contenttypes' reverse
generic relation go through a model of their own): adding or removing one runs no SQL."""
_AUTO_FIELDS = frozenset({"AutoField", "BigAutoField", "SmallAutoField"})
_PG_TYPES = {"AutoField": "serial", "SmallAutoField": "smallserial", "BigAutoField": "bigserial",
             "IntegerField": "integer", "PositiveIntegerField": "integer", "SmallIntegerField": "smallint",
             "PositiveSmallIntegerField": "smallint", "BigIntegerField": "bigint", "PositiveBigIntegerField": "bigint",
             "DateTimeField": "timestamptz"}
"""Field classes -> the PostgreSQL column type Django creates, where a rule needs it."""


def _model_columns(fields: ast.expr | None) -> tuple[tuple[str, str, frozenset[str]], ...]:
    """CreateModel's `fields`: (column, PostgreSQL type or field class, primary_key/serial flags)."""
    out = []
    for el in fields.elts if isinstance(fields, ast.List | ast.Tuple) else ():
        if not (isinstance(el, ast.Tuple) and len(el.elts) == 2 and isinstance(el.elts[1], ast.Call)):
            continue
        fname, fld = const_str(el.elts[0]), el.elts[1]
        cls = call_name(fld)
        if not fname or cls == "ManyToManyField" or cls in _NO_COLUMN:
            continue
        flags = {"primary_key"} if truthy(arg(fld, -1, "primary_key")) else set()
        if cls in _AUTO_FIELDS:
            flags |= {"primary_key", "serial"}
        col = f"{fname}_id" if cls in ("ForeignKey", "OneToOneField") else fname
        out.append((col, _PG_TYPES.get(cls, cls), frozenset(flags)))
    return tuple(out)


_STRING_FIELDS = frozenset({
    "CharField", "TextField", "SlugField", "EmailField", "URLField", "FilePathField", "FileField", "ImageField",
    "BinaryField", "CICharField", "CIEmailField", "CITextField",
})
"""Field classes whose `empty_strings_allowed` is true: NOT NULL and `blank=True` gives them a '' default."""


def _default_dropped(fld: ast.Call, cls: str) -> bool:
    """Whether Django's schema editor adds this field's column with a DEFAULT and drops it in the same
    migration: its `add_field` does so whenever the field has no `db_default` and its effective default
    (an explicit `default`, `auto_now`/`auto_now_add`, or '' for a NOT NULL `blank=True` text field)
    is not None."""
    if arg(fld, -1, "db_default") is not None or cls in ("ManyToManyField", "GeneratedField"):
        return False
    default = arg(fld, -1, "default")
    if default is not None:
        return not (isinstance(default, ast.Constant) and default.value is None)
    if truthy(arg(fld, -1, "auto_now")) or truthy(arg(fld, -1, "auto_now_add")):
        return True
    return bool(truthy(arg(fld, -1, "blank"))) and truthy(arg(fld, -1, "null")) is not True and cls in _STRING_FIELDS
