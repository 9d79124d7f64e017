"""Django migration modules, read with `ast` (never imported): `Migration.operations`, `atomic`.

Each operation becomes the statements Django's schema editor runs for it, in the vocabulary SQL
migrations use (ops.Op), so the same rules judge both. Fields are mapped to their PostgreSQL
columns (djangofields), and an AlterField is compared column to column against the field as the
earlier migrations of the same app left it (`AppState`, replayed once per run by DjangoHistory):
a CharField becoming a TextField is `varchar` to `text` (no rewrite), a ForeignKey becoming a
OneToOneField adds a unique constraint on the same column, `null=False` is SET NOT NULL.

Tables are named as Django names them by default (`<app_label>_<model>`, or `db_table` when an
earlier migration of the app sets it); the app label is the directory that holds `migrations/`.

Why over 500 lines: one reader of one format (every `migrations.*` operation and
the app state AlterField needs), whose parts only make sense together; the field-to-column mapping
is already apart (djangofields.py), and the checks judge its output, not its syntax.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from readiness import lazyre
from readiness.gates.migrations import djangorows, djangoshape, pymodules, pyreach
from readiness.gates.migrations.djangofields import FieldSpec, same_column_type, spec, with_target_type
from readiness.gates.migrations.dynamic import Scope
from readiness.gates.migrations.ops import Action, ColumnDef, ColumnType, ConstraintKind, Op
from readiness.gates.migrations.ops import Flag as F
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
from readiness.gates.migrations.pysyntax import parse_python
from readiness.workspace import FileProblem, Workspace, decode_text

A = Action


def looks_like_django(text: str) -> bool:
    """Cheap content test before parsing: a module that binds `Migration` (a class of that name, or
    another class bound to the name, which Django runs all the same)."""
    return re.search(r"\bMigration\b", text) is not None


def app_label(path: str) -> str:
    """`shop/migrations/0002_x.py` -> `shop`."""
    parts = path.split("/")
    return parts[-3] if len(parts) >= 3 else "app"


@dataclass(slots=True)
class AppState:
    """The models of one app as its migrations so far leave them."""

    fields: dict[str, dict[str, FieldSpec]] = field(default_factory=dict)
    """Model (lower-case) -> field name -> its column."""
    together: dict[tuple[str, str], frozenset[tuple[str, ...]]] = field(default_factory=dict)
    """(model, "unique" | "index") -> the unique_together / index_together sets."""
    tables: dict[str, str] = field(default_factory=dict)
    """Model -> its db_table, when set."""
    pk_types: dict[str, ColumnType] = field(default_factory=dict)
    """`app.model` and `model` -> its primary key's column type (every app's: relations read it)."""
    resolve: Callable[[str], ColumnType | None] | None = None
    """The primary-key type of a model of another app (`app.model`) that `pk_types` does not know."""
    retired: dict[str, str] = field(default_factory=dict)
    """Table (lower-case) -> the migration whose state-only DeleteModel (SeparateDatabaseAndState's
    state_operations) made Django forget it while the database kept it: dropping it later is the
    contract step of an expand/contract change."""
    retired_columns: dict[tuple[str, str], str] = field(default_factory=dict)
    """(table, column), lower-case -> the migration whose state-only RemoveField forgot the column."""
    unmanaged: set[str] = field(default_factory=set)
    """Models Django runs no SQL for (`managed: False` or `proxy: True`, as last set): their CreateModel
    creates nothing, so once managed again their table is the base table it names."""

    def target_type(self, fs: FieldSpec) -> FieldSpec:
        """A relation with its target's primary-key type, when known."""
        typed = with_target_type(fs, self.pk_types)
        if typed.fk is not None and typed.type is None and self.resolve is not None and "." in typed.fk:
            found = self.resolve(typed.fk.lower())
            if found is not None:
                return replace(typed, type=found)
        return typed

    def table(self, app: str, model: str) -> str:
        return self.tables.get(model) or f"{app}_{model}"


def _operations(tree: ast.Module, repo_module: Callable[[str], bool] | None = None
                ) -> tuple[djangoshape.Shape, bool, bool]:
    """The Migration class and its operations (djangoshape), whether it is atomic and whether it is a squash."""
    shape = djangoshape.read(tree, repo_module)
    atomic, squash = True, False
    for st in shape.body:
        if isinstance(st, ast.Assign) and len(st.targets) == 1 and isinstance(st.targets[0], ast.Name):
            if st.targets[0].id == "atomic" and truthy(st.value) is False:
                atomic = False
            elif st.targets[0].id == "replaces":
                squash = isinstance(st.value, ast.List | ast.Tuple) and bool(st.value.elts)
    return shape, atomic, squash


def analyse(tree: ast.Module, text: str, path: str, state: AppState, label: str | None = None,
            modules: pymodules.RepoModules | None = None) -> PyResult:
    """Operations of `Migration.operations`, `atomic`, and reversibility facts; `state` (the app as
    the earlier migrations leave it) is changed as this migration changes it. `label`: the app's
    label (its AppConfig's), default the directory name. What cannot be read (djangoshape.Unread)
    is a `dynamic_sql` operation: it fails closed. `modules`: the repository's own Python."""
    src = Source(text)
    out = PyResult()
    repo_module = modules.has if modules is not None else None
    shape, out.atomic, squash = _operations(tree, repo_module)
    for unread in shape.unread:
        out.ops.append(Op(action=A.DYNAMIC_SQL, detail=unread.why, **src.base(unread.node)))
        out.statements += 1
    module_scope = Scope(tree.body)
    for call in pymodules.import_time(tree.body):  # Django imports every migration module on `migrate`
        if isinstance(call, ast.Call) and call_name(call) in ("execute", "executemany") and call.args:
            embedded_sql(src, call.args[0], out, scope=module_scope, call=call)
    cls = shape.cls
    if cls is None:
        return out
    app = label or app_label(path)
    retired, retired_columns = dict(state.retired), dict(state.retired_columns)  # by earlier migrations only
    reader = _Reader(src=src, out=out, app=app, state=state, scope=Scope(tree.body, shape.body), path=path,
                     custom=_custom(tree, repo_module), modules=modules, imports=pymodules.Imports(tree), tree=tree)
    for el in shape.operations:
        reader.operation(el)
    out.ops = _contract_steps(out.ops, retired, retired_columns, after_deploy=_after_deploy(cls))
    if squash:
        out.ops[:0] = _fresh_tables(out.ops, app, src.base(cls))
    return out


def replay(tree: ast.Module, path: str, state: AppState, label: str | None = None) -> None:
    """Change `state` as the migration in `tree` changes its app's models (no judging)."""
    shape, _atomic, _squash = _operations(tree)
    if shape.cls is None:
        return
    reader = _Reader(src=None, out=PyResult(), app=label or app_label(path), state=state, path=path,
                     scope=Scope(tree.body, shape.body), custom=_custom(tree, None))
    for el in shape.operations:
        reader.operation(el)


def _custom(tree: ast.Module, repo_module: Callable[[str], bool] | None
            ) -> Callable[[ast.Call], tuple[str | None, djangoshape.Unread | None]]:
    imports = pymodules.Imports(tree)
    return lambda call: djangoshape.custom_operation(call, tree, imports, repo_module)


def _after_deploy(cls: ast.ClassDef) -> bool:
    """django-safemigrate's `safe = Safe.after_deploy` (or `Safe.after_deploy(delay=...)`): the migration
    runs only once the release that stopped using what it drops is deployed (`Safe.always` runs before
    the deploy too, while the old code still serves: it says nothing of the kind)."""
    for st in cls.body:
        if isinstance(st, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "safe" for t in st.targets):
            value = st.value.func if isinstance(st.value, ast.Call) else st.value
            return isinstance(value, ast.Attribute) and value.attr == "after_deploy"
    return False


def _bare(name: str | None) -> str:
    """A table or column name as the state keys it: lower-case, unquoted, without `public.`."""
    n = (name or "").replace('"', "").lower()
    return n.removeprefix("public.")


def _contract_steps(ops: list[Op], retired: dict[str, str], retired_columns: dict[tuple[str, str], str], *,
                    after_deploy: bool) -> list[Op]:
    """The drops of tables and columns that Django's state already forgot in an earlier migration, or
    that a migration declared to run after the deploy makes: marked (`retired_by`: that migration's
    path; `after_deploy`), for the contract-step judgement (`contract`)."""
    if not (retired or retired_columns or after_deploy):
        return ops
    out = []
    for op in ops:
        if op.action in (A.DROP_TABLE, A.DROP_COLUMN):
            key = _bare(op.table)
            by = retired.get(key) if op.action is A.DROP_TABLE else \
                retired_columns.get((key, _bare(op.column))) or retired.get(key)
            if by or after_deploy:
                op = replace(op, retired_by=by or None, after_deploy=after_deploy)
        out.append(op)
    return out


def _fresh_tables(ops: list[Op], app: str, base: dict[str, Any]) -> list[Op]:
    """A squashed migration (`replaces = [...]`) runs only where none of the migrations it replaces
    ran: on a database where this app is new. Its own app's tables are empty and unused there, as if
    created by it, so they are declared created before its first operation (other apps' are not)."""
    prefix = f"{app}_"
    tables = dict.fromkeys(o.table for o in ops if o.table and o.table.lower().startswith(prefix))
    return [Op(action=A.CREATE_TABLE, table=t, flags=frozenset({F.DERIVED_NAME}),
               **base) for t in tables if t]


_NO_BASE: dict[str, Any] = {"line": 1, "col": 1, "end_line": None, "evidence": ""}


@dataclass(slots=True)
class _Reader:
    """Reads one migration's operations: emits the statements (when `src` is set) and keeps `state`."""

    src: Source | None
    out: PyResult
    app: str
    state: AppState
    scope: Scope | None
    """The module's and the Migration class's names (lists of operations, SQL strings)."""
    path: str = ""
    """The migration's path (named by what it retires)."""
    state_only: bool = False
    """Reading state operations the database does not see (SeparateDatabaseAndState's state_operations)."""
    custom: Callable[[ast.Call], tuple[str | None, djangoshape.Unread | None]] | None = None
    """How an operation whose class is not Django's is read (djangoshape.custom_operation)."""
    modules: pymodules.RepoModules | None = None
    """The repository's own Python (a RunPython function imported from it)."""
    imports: pymodules.Imports | None = None
    tree: ast.Module | None = None
    """The migration module (the classes a RunPython method is looked up in)."""
    reach: pyreach.Module | None = None
    """The module's functions, indexed for what RunPython code reaches (made when first needed)."""
    parents: dict[int, ast.AST] | None = None
    """Each node's parent in the module (made when first needed)."""
    judged: set[int] = field(default_factory=set)
    """The nodes of the RunPython code judged so far (a function two RunPython operations reach is read once)."""

    def base(self, node: ast.AST) -> dict[str, Any]:
        return self.src.base(node) if self.src is not None else dict(_NO_BASE)

    def operation(self, node: ast.expr) -> None:  # noqa: C901 - one branch per Django operation
        if not isinstance(node, ast.Call):
            return
        name = call_name(node)
        if self.custom is not None:
            stands_for, unread = self.custom(node)
            if unread is not None:
                if self.src is not None and not self.state_only:
                    self.out.ops.append(Op(action=A.DYNAMIC_SQL, detail=unread.why, **self.src.base(node)))
                    self.out.statements += 1
                return
            name = stands_for or name
        if name == "SeparateDatabaseAndState":
            self._separate(node)
            return
        emit = self.src is not None
        base = self.base(node) if emit else _NO_BASE
        subject = (const_str(arg(node, 0, "model_name")) or const_str(arg(node, 0, "name")) or "").lower()
        if name not in ("CreateModel", "RunSQL", "RunPython") and subject in self.state.unmanaged:
            emit = False  # Django runs no SQL for a model it does not manage (allow_migrate_model)
        model = (const_str(arg(node, 0, "model_name")) or "").lower()
        fields = self.state.fields.setdefault(model, {}) if model else {}
        table = self.state.table(self.app, model) if model else None
        ops: list[Op] = []
        if name == "RunSQL":
            if emit:
                self._run_sql(node, base)
            return
        if name == "RunPython":
            if emit:
                self._run_python(node, base, ops)
        elif name == "CreateModel":
            made = self._create_model(node, base)
            ops.extend(made)
            for op in made:
                if op.action is A.CREATE_TABLE:  # a table of that name again: no longer retired
                    self.state.retired.pop(_bare(op.table), None)
        elif name == "DeleteModel":
            cname = (const_str(arg(node, 0, "name")) or "").lower()
            op = Op(action=A.DROP_TABLE, table=self.state.table(self.app, cname), **base)
            ops.append(op)
            self.out.lossy.append(op)
            self.state.fields.pop(cname, None)
            if self.state_only:  # forgotten by Django, kept by the database: a later drop is the contract step
                self.state.retired[_bare(op.table)] = self.path
            self.state.unmanaged.discard(cname)
        elif name == "AlterModelOptions":  # runs no SQL; `managed` absent from the new options is True again
            cname = (const_str(arg(node, 0, "name")) or "").lower()
            managed = _dict_get(self._options(arg(node, 1, "options")), "managed")
            if isinstance(managed, ast.Constant) and managed.value is False:
                self.state.unmanaged.add(cname)
            else:
                self.state.unmanaged.discard(cname)  # not readable: managed, so what follows is judged
        elif name == "RenameModel":
            old_model = (const_str(arg(node, 0, "old_name")) or "").lower()
            new_model = (const_str(arg(node, 1, "new_name")) or "").lower()
            old_table = self.state.table(self.app, old_model)
            if old_model in self.state.fields:
                self.state.fields[new_model] = self.state.fields.pop(old_model)
            pk = self.state.pk_types.get(f"{self.app}.{old_model}")
            if pk is not None:
                self.state.pk_types[f"{self.app}.{new_model}"] = pk
                self.state.pk_types.setdefault(new_model, pk)
            if old_model in self.state.unmanaged:
                self.state.unmanaged.discard(old_model)
                self.state.unmanaged.add(new_model)
            if old_model in self.state.tables:
                self.state.tables[new_model] = self.state.tables.pop(old_model)
            else:  # Django renames the table only when it has the default name
                ops.append(Op(action=A.RENAME_TABLE, table=old_table, new_name=f"{self.app}_{new_model}",
                              flags=frozenset({F.DERIVED_NAME}), **base))
        elif name == "AlterModelTable":
            cname = (const_str(arg(node, 0, "name")) or "").lower()
            new_table = const_str(arg(node, 1, "table")) or f"{self.app}_{cname}"
            old_table = self.state.table(self.app, cname)
            if new_table != old_table:
                ops.append(Op(action=A.RENAME_TABLE, table=old_table, new_name=new_table, **base))
            self.state.tables[cname] = new_table
        elif name == "AddField":
            ops.extend(self._add_field(node, model, fields, table, base))
        elif name == "RemoveField":
            fname = const_str(arg(node, 1, "name")) or ""
            gone = fields.pop(fname, None)
            if self.state_only and gone is not None and table and not gone.no_column and not gone.m2m:
                self.state.retired_columns[(_bare(table), _bare(gone.column))] = self.path
            if gone is None or not gone.no_column or gone.m2m:
                op = Op(action=A.DROP_TABLE, table=f"{table}_{fname}", **base) if gone is not None and gone.m2m else \
                    Op(action=A.DROP_COLUMN, table=table, column=gone.column if gone else fname, **base)
                ops.append(op)
                self.out.lossy.append(op)
        elif name == "RenameField":
            old_name = const_str(arg(node, 1, "old_name")) or ""
            new_name = const_str(arg(node, 2, "new_name")) or "?"
            was = fields.pop(old_name, None)
            renamed = _renamed(was, old_name, new_name)
            if renamed is not None:
                fields[new_name] = renamed
            if was is not None and was.m2m and not was.through:  # Django renames the join table it made
                ops.append(Op(action=A.RENAME_TABLE, table=f"{table}_{old_name}", new_name=f"{table}_{new_name}",
                              **base))
            elif was is None or (not was.no_column and renamed is not None and renamed.column != was.column):
                ops.append(Op(action=A.RENAME_COLUMN, table=table, column=was.column if was else old_name,
                              new_name=renamed.column if renamed else new_name, **base))
        elif name == "AlterField":
            ops.extend(self._alter_field(node, model, fields, table, base))
        elif name in ("AlterUniqueTogether", "AlterIndexTogether"):
            ops.extend(self._together(node, name, base))
        elif name in ("AddIndex", "AddIndexConcurrently"):
            idx = arg(node, 1, "index")
            iname = const_str(arg(idx, -1, "name")) if isinstance(idx, ast.Call) else None
            flags = {F.CONCURRENTLY} if name == "AddIndexConcurrently" else set()
            ops.append(Op(action=A.CREATE_INDEX, table=table, column=iname, flags=frozenset(flags), **base))
        elif name in ("RemoveIndex", "RemoveIndexConcurrently"):
            flags = {F.CONCURRENTLY} if name == "RemoveIndexConcurrently" else set()
            ops.append(Op(action=A.DROP_INDEX, table=table, column=const_str(arg(node, 1, "name")),
                          flags=frozenset(flags), **base))
        elif name in ("AddConstraint", "AddConstraintNotValid"):  # the latter: django.contrib.postgres
            ops.extend(self._add_constraint(node, table, base, not_valid=name == "AddConstraintNotValid"))
        elif name == "ValidateConstraint":
            ops.append(Op(action=A.VALIDATE_CONSTRAINT, table=table, column=const_str(arg(node, 1, "name")), **base))
        elif name == "AlterOrderWithRespectTo":  # Django adds `_order` (IntegerField(default=0)) or drops it
            cname = (const_str(arg(node, 0, "name")) or "").lower()
            table = self.state.table(self.app, cname)
            respect = arg(node, 1, "order_with_respect_to")
            if isinstance(respect, ast.Constant) and respect.value is None:
                ops.append(Op(action=A.DROP_COLUMN, table=table, column="_order", **base))
            else:
                ops.append(Op(action=A.ADD_COLUMN, table=table, column="_order", detail="IntegerField",
                              flags=frozenset({F.NOT_NULL, F.HAS_DEFAULT}), pg_type="int4", **base))
                ops.append(Op(action=A.DROP_DEFAULT, table=table, column="_order", implicit="Django",
                              **base))
        elif name == "RemoveConstraint":
            ops.append(Op(action=A.DROP_CONSTRAINT, table=table, column=const_str(arg(node, 1, "name")), **base))
        elif name == "AddDefaultValue":  # django-add-default-value: keeps a default in the database
            fname = const_str(arg(node, 1, "name")) or "?"
            known = fields.get(fname)
            ops.append(Op(action=A.SET_DEFAULT, table=table, column=known.column if known else fname, **base))
        else:
            return
        if emit:
            self.out.ops.extend(ops)
            self.out.statements += 1

    def _ref_table(self, target: str, table: str | None) -> str:
        """The table a relation's target (`"shop.Product"`, `"Product"`, `"self"`) is stored in, for
        messages: this app's own (its db_table when set; `table` for "self"), else Django's default
        name for another app's model, with the model's label beside it; a target that is not a label
        (`settings.AUTH_USER_MODEL`) as written."""
        label, _, model = target.rpartition(".")
        if not model.isidentifier() or (label and not label.isidentifier()) or model.isupper() or label == "settings":
            return target
        if model.lower() == "self" and not label:
            return table or target
        if not label or label == self.app:
            return self.state.table(self.app, model.lower())
        return f"{label}_{model.lower()} ({target})"

    # -- operations ---------------------------------------------------------------------------
    def _separate(self, node: ast.Call) -> None:
        """SeparateDatabaseAndState: the database operations run; the state ones change the models."""
        state_ops = self._list(arg(node, 1, "state_operations"))
        db_ops = self._list(arg(node, 0, "database_operations"))
        if self.src is not None and db_ops is not None and not (
                isinstance(db_ops, ast.List | ast.Tuple) and all(isinstance(e, ast.Call) for e in db_ops.elts)):
            # database operations the gate cannot list: what runs is not known (fails closed)
            self.out.ops.append(Op(action=A.DYNAMIC_SQL, detail="`database_operations` the gate cannot read as a "
                                   "list of operations", **self.src.base(db_ops)))
            self.out.statements += 1
        elif self.src is not None and isinstance(db_ops, ast.List | ast.Tuple):
            keep = self.state
            scratch = AppState(fields={m: dict(f) for m, f in keep.fields.items()}, together=dict(keep.together),
                               tables=dict(keep.tables), pk_types=keep.pk_types, resolve=keep.resolve,
                               retired=keep.retired, retired_columns=keep.retired_columns,
                               unmanaged=set(keep.unmanaged))
            self.state = scratch  # the database operations judged against the state, which they do not change
            for el in db_ops.elts:
                self.operation(el)
            self.state = keep
        if isinstance(state_ops, ast.List | ast.Tuple):
            src, self.src, self.state_only = self.src, None, True
            for el in state_ops.elts:
                self.operation(el)
            self.src, self.state_only = src, False

    def _list(self, node: ast.expr | None) -> ast.expr | None:
        """A list of operations, also when it is a name bound to one (`state_operations = [...]`)."""
        if isinstance(node, ast.Name) and self.scope is not None:
            return self.scope.get(node.id) or node
        return node

    def _run_sql(self, node: ast.Call, base: dict[str, Any]) -> None:
        assert self.src is not None
        sql_node = arg(node, 0, "sql")
        if isinstance(sql_node, ast.Attribute) and sql_node.attr == "noop":
            sql_node = None  # RunSQL.noop: nothing runs
        if isinstance(sql_node, ast.Name) and self.scope is not None and \
                isinstance(self.scope.get(sql_node.id), ast.List | ast.Tuple):
            sql_node = self.scope.get(sql_node.id)
        items = sql_node.elts if isinstance(sql_node, ast.List | ast.Tuple) else [sql_node]
        for it in items:
            if isinstance(it, ast.Tuple) and it.elts:
                it = it.elts[0]
            if it is not None:
                embedded_sql(self.src, it, self.out, scope=self.scope, call=node)
        rev = arg(node, 1, "reverse_sql")
        if rev is None or (isinstance(rev, ast.Constant) and rev.value is None):
            self.out.irreversible.append((base["line"], base["col"], "RunSQL has no reverse_sql"))
        state_ops = self._list(arg(node, -1, "state_operations"))
        if isinstance(state_ops, ast.List | ast.Tuple):
            src, self.src, self.state_only = self.src, None, True
            for el in state_ops.elts:
                self.operation(el)
            self.src, self.state_only = src, False

    def _run_python(self, node: ast.Call, base: dict[str, Any], ops: list[Op]) -> None:
        assert self.src is not None and self.scope is not None
        rev = arg(node, 1, "reverse_code")
        if rev is None or (isinstance(rev, ast.Constant) and rev.value is None):
            self.out.irreversible.append((base["line"], base["col"], "RunPython has no reverse_code"))
        ops.append(Op(action=A.RUN_PYTHON, **base))
        code = arg(node, 0, "code")
        fn = self._code_function(code)
        if fn is None:
            dotted = self.imports.dotted(code) if self.imports is not None and code is not None else None
            if code is not None and dotted is not None and self.modules is not None \
                    and self.modules.touches_database(dotted):
                # a function of the repository's own code that runs SQL itself: not read here, fails closed
                self.out.ops.append(Op(action=A.DYNAMIC_SQL, detail=f"`{ast.unparse(code)[:60]}` (RunPython code from "
                                       "the repository's own modules, which runs SQL the gate does not read)", **base))
                self.out.statements += 1
        for unit in self._reached(code, fn):
            self._run_code(unit)

    def _reached(self, code: ast.expr | None, fn: ast.FunctionDef | ast.AsyncFunctionDef | None,
                 ) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
        """The RunPython function and every function, method or lambda of the module it can reach
        (pyreach: helpers it calls, methods, a `functools.partial` or instance method handed to
        RunPython, ...), each once; code it runs from text or loads by name fails closed."""
        assert self.src is not None
        if code is None or self.tree is None:
            return [fn] if fn is not None else []
        if self.reach is None:
            self.reach = pyreach.Module(self.tree)
        reached = self.reach.reach([code, *([fn] if fn is not None else [])])
        for where, word in reached.dynamic_code:
            if id(where) in self.judged:
                continue  # another RunPython of the migration reaches it too
            self.judged.add(id(where))
            self.out.ops.append(Op(action=A.DYNAMIC_SQL, detail=f"`{word}` in RunPython code runs code or loads a "
                                   "module the gate does not read", **self.src.base(where)))
            self.out.statements += 1
        if self.parents is None:
            self.parents = pyreach.parents(self.tree)
        seen = [u for u in [code, *([fn] if fn is not None else []), *reached.units] if id(u) not in self.judged]
        for taken in pyreach.taken_as_values((n for unit in seen for n in ast.walk(unit)), self.parents, _RUNS_SQL):
            if id(taken) not in self.judged:
                self.judged.add(id(taken))
                self.out.ops.append(Op(action=A.DYNAMIC_SQL, detail=f"`{ast.unparse(taken)[:60]}` taken as a value in "
                                       "RunPython code: what it runs is not read", **self.src.base(taken)))
                self.out.statements += 1
        out = [fn] if fn is not None and id(fn) not in self.judged else []
        covered = self.judged
        covered.update(id(n) for unit in [code, *([fn] if fn is not None else [])] for n in ast.walk(unit))
        for unit in reached.units:
            if id(unit) in covered:
                continue  # judged with the function around it, or for another RunPython of the migration
            covered.update(id(n) for n in ast.walk(unit))
            out.append(unit if not isinstance(unit, ast.Lambda) else _lambda_function(unit))
        return out

    def _run_code(self, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        """What one function RunPython reaches does: the SQL it runs (schema_editor.execute,
        cursor.execute) and its effects through the ORM."""
        assert self.src is not None and self.scope is not None
        inner = self.scope.nested(fn.body)
        framework = _framework_sql(fn)
        for st in postgres_statements(fn.body):
            for call in ast.walk(st):
                if isinstance(call, ast.Call) and call_name(call) in ("execute", "executemany") and call.args \
                        and not (isinstance(call.args[0], ast.Name) and call.args[0].id in framework):
                    embedded_sql(self.src, call.args[0], self.out, scope=inner, call=call)
        self._orm_effects(fn)

    def _code_function(self, code: ast.expr | None) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        """The function RunPython runs: a module function by name, a lambda (as a function whose body
        returns its expression), or a method of a class the migration defines (`Helpers.forwards`,
        a staticmethod or classmethod); None when it is none of those."""
        assert self.scope is not None
        if isinstance(code, ast.Name):
            return self.scope.function(code.id)
        if isinstance(code, ast.Lambda):
            return _lambda_function(code)
        if isinstance(code, ast.Attribute) and isinstance(code.value, ast.Name) and self.tree is not None:
            for cls in ast.walk(self.tree):
                if isinstance(cls, ast.ClassDef) and cls.name == code.value.id:
                    for item in cls.body:
                        if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and item.name == code.attr:
                            return item
        return None

    def _orm_effects(self, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        """What a RunPython function does to tables through Django itself, read from its code (never
        run): `Model.objects.all().delete()` / `.update(...)` without a filter is a DELETE / UPDATE of
        every row, `schema_editor.delete_model(Model)` a DROP TABLE, `schema_editor.remove_field(Model,
        field)` a DROP COLUMN. `Model` is resolved through `apps.get_model("app", "Model")`; a model the
        gate cannot name is judged by its name as written."""
        models: dict[str, str] = {}
        for node in ast.walk(fn):
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) \
                    and call_name(node.value) == "get_model":
                table = self._model_table(node.value)
                for t in node.targets:
                    if isinstance(t, ast.Name) and table is not None:
                        models[t.id] = table
        for node in ast.walk(fn):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
                continue
            name = node.func.attr
            at = self.base(node)
            if name in ("delete", "update") and not node.args[1:]:
                table = self._queryset_table(node.func.value, models)
                if name == "update" and table is not None and table not in models.values():
                    continue  # a backfill of a model the gate cannot name: not worth a guessed table name
                if table is not None:
                    action = A.DELETE if name == "delete" else A.UPDATE
                    self.out.ops.append(Op(action=action, table=table, **at))
                    self.out.statements += 1
            elif name in ("delete_model", "remove_field") and node.args:
                table = self._model_ref(node.args[0], models)
                if name == "delete_model":
                    self.out.ops.append(Op(action=A.DROP_TABLE, table=table, **at))
                else:
                    field = node.args[1] if len(node.args) > 1 else None
                    column = _field_name(field) or "?"
                    self.out.ops.append(Op(action=A.DROP_COLUMN, table=table, column=column, **at))
                self.out.statements += 1
        # every row by other spellings: instance delete()/save() over all objects, a filter keeping all, ...
        for eff in djangorows.effects(fn, lambda e: self._model_ref(e, models),
                                      lambda qs: self._queryset_table(qs, models) is not None,
                                      frozenset(models.values())):
            at = self.base(eff.node)
            if eff.action is A.DYNAMIC_SQL:
                self.out.ops.append(Op(action=A.DYNAMIC_SQL, detail=eff.detail, **at))
            else:
                self.out.ops.append(Op(action=eff.action, table=eff.table, new_name=eff.new_name, **at))
            self.out.statements += 1

    def _model_table(self, call: ast.Call) -> str | None:
        """The table of `apps.get_model("app", "Model")` / `get_model("app.Model")`."""
        parts: list[str | None] = [const_str(a) for a in call.args[:2]]
        if len(parts) == 1 and parts[0] and "." in parts[0]:
            parts = list(parts[0].split(".", 1))
        if len(parts) != 2 or not parts[0] or not parts[1]:
            return None
        return self.state.table(parts[0].lower(), parts[1].lower())

    def _model_ref(self, expr: ast.expr, models: dict[str, str]) -> str:
        """The table of a model named in the function (a `get_model` result, or a call of it)."""
        if isinstance(expr, ast.Name):
            return models.get(expr.id, expr.id)
        if isinstance(expr, ast.Call) and call_name(expr) == "get_model":
            return self._model_table(expr) or ast.unparse(expr)[:60]
        return ast.unparse(expr)[:60]

    def _queryset_table(self, qs: ast.expr, models: dict[str, str]) -> str | None:
        """The table of an unfiltered queryset `Model.objects[.all()]` (None when it is filtered, sliced
        or not a queryset of a model): `.filter()`, `.exclude()`, `.get()` and the like keep some rows."""
        while isinstance(qs, ast.Call) and isinstance(qs.func, ast.Attribute) and qs.func.attr in _UNFILTERING:
            qs = qs.func.value
        if isinstance(qs, ast.Attribute) and qs.attr in ("objects", "_default_manager", "_base_manager"):
            return self._model_ref(qs.value, models)
        return None

    def _options(self, node: ast.expr | None) -> ast.expr | None:
        """A model's options as a dict literal (a name bound to one followed), else as written."""
        if isinstance(node, ast.Name) and self.scope is not None:
            return self.scope.get(node.id) or node
        return node

    def _create_model(self, node: ast.Call, base: dict[str, Any]) -> list[Op]:
        cname = (const_str(arg(node, 0, "name")) or "").lower()
        options = self._options(arg(node, 2, "options"))
        table_node = _dict_get(options, "db_table")
        db_table = const_str(table_node)
        if db_table:
            self.state.tables[cname] = db_table
        elif table_node is not None or (options is not None and not _plain_dict(options)):
            # a db_table (or options) the gate cannot read: the table it names is not known, so not new
            unread = table_node if table_node is not None else options
            assert unread is not None
            self.state.tables[cname] = "{" + " ".join(ast.unparse(unread).split())[:40] + "}"
        managed, proxy = _dict_get(options, "managed"), _dict_get(options, "proxy")
        unmanaged = (isinstance(managed, ast.Constant) and managed.value is False) or \
            (isinstance(proxy, ast.Constant) and proxy.value is True)
        if unmanaged:
            self.state.unmanaged.add(cname)
        else:
            self.state.unmanaged.discard(cname)
        unknown = not unmanaged and ((managed is not None and not isinstance(managed, ast.Constant))
                                     or (proxy is not None and not isinstance(proxy, ast.Constant))
                                     or (options is not None and not _plain_dict(options)))
        fields: dict[str, FieldSpec] = {}
        fl = arg(node, 1, "fields")
        for el in fl.elts if isinstance(fl, ast.List | ast.Tuple) else ():
            if isinstance(el, ast.Tuple) and len(el.elts) == 2:
                fname = const_str(el.elts[0])
                fs = spec(el.elts[1], fname) if fname else None
                if fname and fs is not None:
                    fields[fname] = fs
        if not any(f.primary_key for f in fields.values()):  # Django adds `id` (DEFAULT_AUTO_FIELD)
            fields.setdefault("id", FieldSpec(cls="AutoField", type=None, column="id", primary_key=True,
                                              unique=True, auto=True))
        pk = next((f for f in fields.values() if f.primary_key), None)
        if pk is not None and pk.type is not None:  # before its relations: a model may refer to itself
            self.state.pk_types[f"{self.app}.{cname}"] = pk.type
            self.state.pk_types.setdefault(cname, pk.type)
        fields = {k: self.state.target_type(f) for k, f in fields.items()}
        self.state.fields[cname] = fields
        for kind in ("unique", "index"):
            value = _together_value(_dict_get(options, f"{kind}_together"))
            if value:
                self.state.together[(cname, kind)] = value
        table = self.state.table(self.app, cname)
        if unmanaged or unknown or table.startswith("{"):
            return []  # creates nothing (or not surely): the table it names keeps its base meaning
        columns = tuple(ColumnDef(f.column, _column_type(f), frozenset(_created_flags(f)),
                                  f.type[1] if f.type is not None else ()) for f in fields.values() if not f.no_column)
        return [Op(action=A.CREATE_TABLE, table=table, flags=frozenset({F.DERIVED_NAME}), columns=columns, **base)]

    def _add_field(self, node: ast.Call, model: str, fields: dict[str, FieldSpec], table: str | None,
                   base: dict[str, Any]) -> list[Op]:
        fname = const_str(arg(node, 1, "name")) or "?"
        fld = arg(node, 2, "field")
        fs = spec(fld, fname)
        if fs is None or not isinstance(fld, ast.Call):
            return []
        fs = self.state.target_type(fs)
        fields[fname] = fs
        if fs.no_column:
            if fs.m2m:
                return [Op(action=A.CREATE_TABLE, table=f"{table}_{fname}", **base)]
            return []  # nothing in the database: no statement
        flags: set[F] = set()
        drops_default = _default_dropped(fld, fs)
        if not fs.null:
            flags.add(F.NOT_NULL)
        if drops_default or fs.db_default:
            flags.add(F.HAS_DEFAULT)
        if fs.unique and not fs.primary_key:
            flags.add(F.UNIQUE)
        if fs.primary_key:
            flags.add(F.PRIMARY_KEY)
        if fs.auto:
            flags.add(F.SERIAL)
        if fs.generated:
            flags.add(F.GENERATED_STORED)
        if fs.fk is not None and fs.db_constraint:
            flags.add(F.REFERENCES)
        ops = [Op(action=A.ADD_COLUMN, table=table, column=fs.column, detail=fs.cls, flags=frozenset(flags),
                  references=self._ref_table(fs.fk, table) if F.REFERENCES in flags and fs.fk else None,
                  pg_type=fs.type[0] if fs.type else None,
                  mods=fs.type[1] if fs.type else (), **base)]
        if drops_default:  # the schema editor's ALTER COLUMN ... DROP DEFAULT right after the ADD COLUMN
            ops.append(Op(action=A.DROP_DEFAULT, table=table, column=fs.column, implicit="Django", **base))
        if fs.check:
            ops.append(Op(action=A.ADD_CONSTRAINT, table=table, column=f"{fs.column}_check",
                          constraint=ConstraintKind.CHECK, implicit="Django", flags=frozenset({F.NEW_COLUMN}), **base))
        if fs.index:
            label = f"{fs.column} index"
            ops.append(Op(action=A.CREATE_INDEX, table=table, column=label, **base))
        return ops

    def _alter_field(self, node: ast.Call, model: str, fields: dict[str, FieldSpec], table: str | None,
                     base: dict[str, Any]) -> list[Op]:
        fname = const_str(arg(node, 1, "name")) or "?"
        new = spec(arg(node, 2, "field"), fname)
        old = fields.get(fname)
        if new is None:
            return []
        new = self.state.target_type(new)
        fields[fname] = new
        if old is None or old.no_column or new.no_column:
            return []  # what it was is not known (or it has no column): nothing to compare
        return [replace(op, references=self._ref_table(op.references, table)) if op.references else op
                for op in alter_ops(old, new, table, base)]

    def _together(self, node: ast.Call, name: str, base: dict[str, Any]) -> list[Op]:
        cname = (const_str(arg(node, 0, "name")) or "").lower()
        kind = "unique" if name == "AlterUniqueTogether" else "index"
        value = _together_value(arg(node, 1, f"{kind}_together")) or frozenset()
        old = self.state.together.get((cname, kind), frozenset())
        self.state.together[(cname, kind)] = value
        table = self.state.table(self.app, cname)
        fields = self.state.fields.get(cname, {})
        ops: list[Op] = []
        for cols in sorted(value - old):
            columns = [fields[c].column if c in fields else c for c in cols]
            label = f"({', '.join(columns)})"
            if kind == "unique":
                ops.append(Op(action=A.ADD_CONSTRAINT, table=table, column=label, constraint=ConstraintKind.UNIQUE,
                              keys=tuple(columns), **base))
            else:
                ops.append(Op(action=A.CREATE_INDEX, table=table, column=label, **base))
        for cols in sorted(old - value):
            label = f"({', '.join(fields[c].column if c in fields else c for c in cols)})"
            ops.append(Op(action=A.DROP_CONSTRAINT if kind == "unique" else A.DROP_INDEX, table=table,
                          column=label, **base))
        return ops

    def _add_constraint(self, node: ast.Call, table: str | None, base: dict[str, Any], *,
                        not_valid: bool = False) -> list[Op]:
        con = arg(node, 1, "constraint")
        if not isinstance(con, ast.Call):
            return []
        con_name = const_str(arg(con, -1, "name"))
        cname = call_name(con)
        if cname == "UniqueConstraint" and any(arg(con, -1, k) is not None for k in
                                               ("condition", "include", "opclasses", "expressions")) \
                or (cname == "UniqueConstraint" and con.args):
            # a partial or expression unique constraint is created as a unique index
            return [Op(action=A.CREATE_INDEX, table=table, column=con_name, flags=frozenset({F.UNIQUE}), **base)]
        kind = {"CheckConstraint": ConstraintKind.CHECK, "UniqueConstraint": ConstraintKind.UNIQUE,
                "ExclusionConstraint": ConstraintKind.EXCLUSION}.get(cname)
        if kind is None:
            return []
        return [Op(action=A.ADD_CONSTRAINT, table=table, column=con_name, constraint=kind,
                   flags=frozenset({F.NOT_VALID} if not_valid else ()), **base)]


_RUNS_SQL = frozenset({"execute", "executemany", "delete_model", "remove_field", "callproc"})
"""Methods of the schema editor or a cursor that run SQL: a RunPython that takes one as a value (`run =
cursor.execute`) runs SQL the reader does not see."""


def _lambda_function(code: ast.Lambda) -> ast.FunctionDef:
    """A lambda as a function whose body returns its expression."""
    ret = ast.copy_location(ast.Return(value=code.body), code.body)
    fn = ast.FunctionDef(name="<lambda>", args=code.args, body=[ret], decorator_list=[], returns=None)
    return ast.copy_location(fn, code)


def alter_ops(old: FieldSpec, new: FieldSpec, table: str | None, base: dict[str, Any]) -> list[Op]:
    """The statements Django's schema editor runs to turn column `old` into `new` (its
    BaseDatabaseSchemaEditor._alter_field, for PostgreSQL), as operations."""
    ops: list[Op] = []
    column = new.column
    if old.column != new.column:
        ops.append(Op(action=A.RENAME_COLUMN, table=table, column=old.column, new_name=new.column, **base))
    moved = (old.fk or "").lower() != (new.fk or "").lower()
    if old.fk is not None and (moved or not new.db_constraint) and old.db_constraint:
        ops.append(Op(action=A.DROP_CONSTRAINT, table=table, column=f"{old.column} foreign key", **base))
    if old.index and not old.unique and (not new.index or new.unique):
        ops.append(Op(action=A.DROP_INDEX, table=table, column=f"{old.column} index", **base))
    if old.unique and not new.unique:
        ops.append(Op(action=A.DROP_CONSTRAINT, table=table, column=f"{old.column} unique", **base))
    if old.check and not new.check:
        ops.append(Op(action=A.DROP_CONSTRAINT, table=table, column=f"{old.column}_check", **base))
    same = same_column_type(old, new)
    if same is False and old.type is not None and new.type is not None:
        ops.append(Op(action=A.ALTER_TYPE, table=table, column=column, detail=_type_text(new.type),
                      pg_type=new.type[0], mods=new.type[1], old_type=old.type, **base))
    elif same is None:
        what = f"a foreign key to {new.fk} (was to {old.fk})" if old.fk and new.fk else f"{new.cls} (was {old.cls})"
        ops.append(Op(action=A.ALTER_TYPE, table=table, column=column, detail=what, **base))
    if old.db_default and not new.db_default:
        ops.append(Op(action=A.DROP_DEFAULT, table=table, column=column,
                      flags=frozenset({F.NOT_NULL} if not new.null else ()), **base))
    elif new.db_default:
        ops.append(Op(action=A.SET_DEFAULT, table=table, column=column, **base))
    if old.null and not new.null:
        ops.append(Op(action=A.SET_NOT_NULL, table=table, column=column, **base))
    elif new.null and not old.null:
        ops.append(Op(action=A.DROP_NOT_NULL, table=table, column=column, **base))
    if new.unique and not old.unique and not new.primary_key:
        ops.append(Op(action=A.ADD_CONSTRAINT, table=table, column=f"{column} unique", constraint=ConstraintKind.UNIQUE,
                      keys=(column,), **base))
    if new.index and not new.unique and (not old.index or old.unique):
        ops.append(Op(action=A.CREATE_INDEX, table=table, column=f"{column} index", **base))
    if new.check and not old.check:
        ops.append(Op(action=A.ADD_CONSTRAINT, table=table, column=f"{column}_check", constraint=ConstraintKind.CHECK,
                      **base))
    if new.fk is not None and new.db_constraint and (moved or not old.db_constraint):
        ops.append(Op(action=A.ADD_CONSTRAINT, table=table, column=f"{column} foreign key",
                      constraint=ConstraintKind.FOREIGN, references=new.fk, keys=(column,), **base))
    return ops


def _type_text(t: ColumnType) -> str:
    return t[0] + (f"({', '.join(map(str, t[1]))})" if t[1] else "")


def _renamed(old: FieldSpec | None, old_name: str, new_name: str) -> FieldSpec | None:
    if old is None:
        return None
    if old.column in (old_name, f"{old_name}_id"):  # the default column name follows the field name
        return replace(old, column=new_name + ("_id" if old.fk is not None else ""))
    return old


def _column_type(f: FieldSpec) -> str:
    if f.type is not None:
        return f.type[0]
    if f.auto:
        return "serial"
    return f.cls


def _created_flags(f: FieldSpec) -> set[F]:
    flags = {F.PRIMARY_KEY} if f.primary_key else set()
    if f.auto:
        flags |= {F.PRIMARY_KEY, F.SERIAL}
    if not f.null:
        flags.add(F.NOT_NULL)
    return flags


def _dict_get(node: ast.expr | None, key: str) -> ast.expr | None:
    if isinstance(node, ast.Dict):
        for k, v in zip(node.keys, node.values, strict=True):
            if const_str(k) == key:
                return v
    return None


def _plain_dict(node: ast.expr) -> bool:
    """A dict literal without `**` spreads: every key it sets is written."""
    return isinstance(node, ast.Dict) and all(k is not None for k in node.keys)


def _together_value(node: ast.expr | None) -> frozenset[tuple[str, ...]]:
    """`{("a", "b"), ("c", "d")}` or `("a", "b")` (a single tuple) -> frozenset of field tuples."""
    if not isinstance(node, ast.Set | ast.List | ast.Tuple):
        return frozenset()
    elts = list(node.elts)
    if elts and all(isinstance(e, ast.Constant) for e in elts):  # a single ("a", "b")
        elts = [node]
    out = set()
    for e in elts:
        if isinstance(e, ast.Tuple | ast.List):
            names = [const_str(x) for x in e.elts]
            if names and all(names):
                out.add(tuple(str(n) for n in names))
    return frozenset(out)


_LABEL = lazyre.compile(r"^\s+label\s*=\s*[\"']([A-Za-z_]\w*)[\"']", re.MULTILINE)
"""An AppConfig's `label = "wagtailcore"` (tables are `<label>_<model>`)."""
_FRAMEWORK_SQL = frozenset({"sequence_reset_sql", "sequence_reset_by_name_sql"})
"""Django's own SQL builders whose statements only reset sequences (`SELECT setval(...)`)."""


_UNFILTERING = frozenset({"all", "using", "select_related", "prefetch_related", "only", "defer", "order_by",
                          "iterator", "select_for_update", "annotate", "alias"})
"""QuerySet methods that keep every row: `Model.objects.all().delete()` still deletes all of them."""


def _field_name(field: ast.expr | None) -> str | None:
    """`Model._meta.get_field("name")` -> name (a constant first argument of a call), else None."""
    if isinstance(field, ast.Call) and field.args:
        return const_str(field.args[0])
    return None


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


_STRING_FIELDS = frozenset({
    "CharField", "TextField", "SlugField", "EmailField", "URLField", "FilePathField", "FileField", "ImageField",
    "BinaryField", "CICharField", "CIEmailField", "CITextField",
})
"""Field classes whose `empty_strings_allowed` is true: NOT NULL and `blank=True` gives them a '' default."""


def _default_dropped(fld: ast.Call, fs: FieldSpec) -> bool:
    """Whether Django's schema editor adds this field's column with a DEFAULT and drops it in the same
    migration: its `add_field` does so whenever the field has no `db_default` and its effective default
    (an explicit `default`, `auto_now`/`auto_now_add`, or '' for a NOT NULL `blank=True` text field)
    is not None."""
    if fs.db_default or fs.m2m or fs.generated:
        return False
    default = arg(fld, -1, "default")
    if default is not None:
        return not (isinstance(default, ast.Constant) and default.value is None)
    if truthy(arg(fld, -1, "auto_now")) or truthy(arg(fld, -1, "auto_now_add")):
        return True
    return bool(truthy(arg(fld, -1, "blank"))) and not fs.null and fs.cls in _STRING_FIELDS


class DjangoHistory:
    """The app states before each Django migration of a run: each file parsed once, each app
    replayed forwards once (a request for an earlier migration starts that app again)."""

    def __init__(self, ws: Workspace, every: Sequence[str]) -> None:
        self.ws = ws
        self._apps: dict[str, list[str]] = {}
        for path in sorted(every):
            self._apps.setdefault(path.rsplit("/", 1)[0], []).append(path)
        self._running: dict[str, tuple[int, AppState]] = {}
        self._trees: dict[str, ast.Module | None] = {}
        self.pk_types: dict[str, ColumnType] = {}
        """Every app's primary-key types seen so far (relations across apps read them)."""
        self._labels: dict[str, str] = {}
        self._final: dict[str, AppState] = {}
        """Apps replayed whole to learn their primary-key types."""
        self._resolving: set[str] = set()

    def label(self, path: str) -> str:
        """The app label of `path`'s app: its AppConfig's `label = "..."` in apps.py beside
        migrations/ (read as text, never imported), else the directory name."""
        folder = path.rsplit("/", 1)[0]
        known = self._labels.get(folder)
        if known is None:
            known = app_label(path)
            apps_py = folder.rsplit("/", 1)[0] + "/apps.py" if "/" in folder else "apps.py"
            if self.ws.exists(apps_py):
                try:
                    m = _LABEL.search(decode_text(apps_py, self.ws.read_bytes(apps_py, limit=256 * 1024)))
                except FileProblem:
                    m = None
                if m is not None:
                    known = m.group(1)
            self._labels[folder] = known
        return known

    def before(self, path: str) -> AppState:
        """The state the earlier migrations of `path`'s app leave (to be changed by judging `path`)."""
        folder = path.rsplit("/", 1)[0]
        seq = self._apps.get(folder, [])
        pos = seq.index(path) if path in seq else len(seq)
        done, state = self._running.get(folder, (0, self._fresh()))
        if done > pos:
            done, state = 0, self._fresh()
        for other in seq[done:pos]:
            tree = self._tree(other)
            if tree is not None:
                replay(tree, other, state, self.label(other))
        self._running[folder] = (pos + 1, state)  # the caller's judging moves it past `path`
        return state

    def _fresh(self) -> AppState:
        return AppState(pk_types=self.pk_types, resolve=self._resolve)

    def _resolve(self, target: str) -> ColumnType | None:
        """The primary-key type of `app.model`, from that app's migrations (replayed whole, once)."""
        label, _, model = target.rpartition(".")
        folder = next((f for f in self._apps if self.label(f + "/x") == label), None)
        if folder is None or folder in self._resolving:
            return None
        final = self._final.get(folder)
        if final is None:
            self._resolving.add(folder)
            final = AppState(pk_types={}, resolve=self._resolve)
            for other in self._apps[folder]:
                tree = self._tree(other)
                if tree is not None:
                    replay(tree, other, final, label)
            self._resolving.discard(folder)
            self._final[folder] = final
        return final.pk_types.get(f"{label}.{model}")

    def judged(self, path: str, tree: ast.Module) -> None:
        """`path` was parsed for judging: not parsed again as history."""
        self._trees.setdefault(path, tree)

    def _tree(self, path: str) -> ast.Module | None:
        if path not in self._trees:
            try:
                text = decode_text(path, self.ws.read_bytes(path))  # not read_text: no inline waivers here
                self._trees[path] = parse_python(text, path) if looks_like_django(text) else None
            except (FileProblem, SyntaxError, ValueError, RecursionError, MemoryError):
                self._trees[path] = None
        return self._trees[path]
