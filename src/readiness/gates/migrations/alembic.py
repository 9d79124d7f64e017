"""Alembic revision files, read with `ast` (never imported): `op.*` calls in `upgrade()`,
`batch_alter_table`, `op.execute(...)` SQL, `autocommit_block()`, and `downgrade()`.

Why over 500 lines: one reader of one format (every `op.*` operation, the SQLAlchemy schema objects
created or dropped on the connection, and the code Alembic runs at import), which share one walk
over the revision's syntax tree and one scope of its names."""

from __future__ import annotations

import ast
import builtins
import itertools
import re
from typing import TYPE_CHECKING, Any, NamedTuple

from readiness.gates.migrations import alembicvalues, pymodules, pyreach
from readiness.gates.migrations.dynamic import Scope
from readiness.gates.migrations.ops import Action, ColumnDef, ConstraintKind, ObjectKind, Op, relation_name
from readiness.gates.migrations.ops import Flag as F
from readiness.gates.migrations.pgtree import SERIAL_TYPES, function_volatility
from readiness.gates.migrations.pyast import (
    PyResult,
    Source,
    arg,
    call_name,
    const_str,
    embedded_sql,
    is_empty_body,
    name_of,
    postgres_branch,
    receiver,
    truthy,
    volatile_text,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from readiness.gates.migrations.pymodules import RepoModules

A = Action


def looks_like_alembic(text: str) -> bool:
    """Cheap content test before parsing."""
    return re.search(r"\bupgrade\b", text) is not None and (
        "alembic" in text or "op." in text or "down_revision" in text)  # `class upgrade:` runs as it is imported


def analyse(tree: ast.Module, text: str, modules: RepoModules | None = None) -> PyResult:
    """Operations of `upgrade()` (and `downgrade()`), reversibility facts. `modules`: the
    repository's own Python, to tell a helper of the repository from an installed package's."""
    src = Source(text)
    out = PyResult()
    funcs = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}
    aliases = op_aliases(tree)
    batches = alembicvalues.batch_names(tree)  # `with op.batch_alter_table(...) as batch_op`
    aliases |= alembicvalues.op_params(tree, aliases | batches)  # `def _drop(o): o.drop_table(...)`, `_drop(op)`
    up = funcs.get("upgrade")
    module_scope = Scope(tree.body)
    reach = _Reach(pymodules.Imports(tree), modules)
    # what runs when Alembic imports the revision (module code, decorators, defaults) runs with op live
    for call in _import_time_calls(tree):
        _call(call, src, out, out.ops, {}, False, count=True, scope=module_scope, visited={"upgrade"},
              aliases=aliases, reach=reach)
    for node, why in _upgrade_rebound(tree):
        out.ops.append(Op(action=A.DYNAMIC_SQL, detail=why, **src.base(node)))
        out.statements += 1
    visited = {"upgrade"}
    if up is not None:
        scope = module_scope.nested(up.body)  # module names hold their last value when upgrade() runs
        _walk(up.body, src, out, out.ops, batch={}, autocommit=False, count=True, scope=scope, visited=visited,
              aliases=aliases, reach=reach)
    _judge_reached(tree, up, src, out, module_scope, visited, aliases, reach, batches)
    down = funcs.get("downgrade")
    if down is None:
        out.irreversible.append((1, 1, "the revision has no downgrade() function"))
    elif is_empty_body(down.body):
        if up is not None and is_empty_body(up.body):
            return out  # a merge (or placeholder) revision: nothing done, nothing to undo
        out.irreversible.append((down.lineno, src.col(down), "downgrade() is empty"))
    else:
        scratch = PyResult()
        _walk(down.body, src, scratch, out.down_ops, batch={}, autocommit=False, count=False,
              scope=module_scope.nested(down.body), visited={"downgrade"}, aliases=aliases, reach=reach)
    return out


class _Reach(NamedTuple):
    """Where the names a revision calls come from: its imports, and the repository's own modules."""

    imports: pymodules.Imports
    modules: RepoModules | None


def _judge_reached(tree: ast.Module, up: ast.FunctionDef | ast.AsyncFunctionDef | None, src: Source,
                   out: PyResult, module_scope: Scope, visited: set[str], aliases: frozenset[str],
                   reach: _Reach, batches: frozenset[str]) -> None:
    """Judge, as part of `upgrade()`, all other code of the module it can reach (pyreach: methods,
    lambdas, functions passed as values, special methods), and fail closed on what is not read:
    `op` used other than by a direct call, code run from text or loaded by name."""
    reached = pyreach.Module(tree).reach([up] if up is not None else [], shallow=pymodules.import_time(tree.body))
    covered: set[int] = set()

    def cover(unit: ast.AST | None) -> None:
        if unit is not None and id(unit) not in covered:
            covered.update(id(n) for n in ast.walk(unit))

    for walked in [up, *(module_scope.function(name) for name in visited)]:
        cover(walked)
    for unit in reached.units:
        if id(unit) in covered:
            continue  # the walk of upgrade() (or of a unit around it) judged it already
        cover(unit)
        if isinstance(unit, ast.FunctionDef | ast.AsyncFunctionDef) and module_scope.function(unit.name) is unit:
            if unit.name in visited:
                continue  # a module function a call by name walked
            visited.add(unit.name)  # a later call by name does not walk it again
        body: list[ast.stmt] = [ast.copy_location(ast.Expr(value=unit.body), unit.body)] \
            if isinstance(unit, ast.Lambda) else unit.body
        _walk(body, src, out, out.ops, batch={}, autocommit=False, count=True, scope=module_scope.nested(body),
              visited=visited, aliases=aliases, reach=reach)
    parents = pyreach.parents(tree)
    nodes = list(itertools.chain(ast.walk(up) if up is not None else (), *(ast.walk(u) for u in reached.units),
                                 pymodules.import_time(tree.body)))
    code = ((n, f"`{w}` runs code or loads a module the gate does not read") for n, w in reached.dynamic_code)
    known = {(o.line, o.col) for o in out.ops if o.action is A.DYNAMIC_SQL}
    opish = aliases | batches  # a batch's operations are as much operations as op's
    uses = alembicvalues.unjudged_uses(nodes, parents, opish, alembicvalues.held(tree, opish))
    for node, why in itertools.chain(uses, code, alembicvalues.machinery(nodes, reach.imports)):
        base = src.base(node)
        if (base["line"], base["col"]) not in known:
            known.add((base["line"], base["col"]))
            out.ops.append(Op(action=A.DYNAMIC_SQL, detail=why, **base))
            out.statements += 1


def _import_time_calls(tree: ast.Module) -> list[ast.Call]:
    """The calls Python makes when it imports the module: module-level code, class bodies, every
    function's decorators and default values (not function bodies)."""
    return [n for n in pymodules.import_time(tree.body) if isinstance(n, ast.Call)]


def _upgrade_rebound(tree: ast.Module) -> list[tuple[ast.AST, str]]:
    """What makes `upgrade` something other than the one plain function the gate reads: bound more
    than once or not by `def`, decorated, or changed after it is made (`upgrade.__code__ = ...`,
    `setattr(...)`, `globals()[...]`)."""
    out: list[tuple[ast.AST, str]] = []
    binds = [st for st in pymodules.module_statements(tree.body) if "upgrade" in pymodules.bound_names(st)]
    defs = [st for st in binds if isinstance(st, ast.FunctionDef | ast.AsyncFunctionDef)]
    if len(binds) > 1 or (binds and not defs):
        out.append((binds[-1], "`upgrade` is bound more than once, or not by `def`: which function Alembic runs "
                               "is not known"))
    out.extend((dec, f"`upgrade()` is decorated by `{ast.unparse(dec)[:60]}`, which decides what runs")
               for d in defs for dec in d.decorator_list)
    for node in pymodules.import_time(tree.body):
        if isinstance(node, ast.Assign | ast.AugAssign | ast.Delete):
            targets = node.targets if isinstance(node, ast.Assign | ast.Delete) else [node.target]
            if any(isinstance(t, ast.Attribute | ast.Subscript) and _rooted_at(t, "upgrade") for t in targets):
                out.append((node, "`upgrade` is changed after it is made"))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id in ("setattr", "delattr", "globals", "vars"):
            out.append((node, f"`{node.func.id}()` at import can replace what Alembic runs"))
    return out


def _rooted_at(node: ast.expr, name: str) -> bool:
    while isinstance(node, ast.Attribute | ast.Subscript):
        node = node.value
    return isinstance(node, ast.Name) and node.id == name


def op_aliases(tree: ast.Module) -> frozenset[str]:
    """The spellings of Alembic's `op` in this file: `op`, the name it is imported as (`from alembic
    import op as o`, `import alembic.op as o`) and, after `import alembic` / `import alembic.op`, the
    dotted `alembic.op`. A call through any of them is an `op` call (a PR cannot rename its way past)."""
    names = {"op", "alembic.op"}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module in ("alembic", "alembic.op"):
            names.update(a.asname for a in node.names if a.asname and a.name in ("op", "*"))
            if node.module == "alembic.op":  # from alembic.op import drop_table [as x]: a bare op function
                names.update(f"fn:{a.asname or a.name}" for a in node.names if a.name != "*")
        elif isinstance(node, ast.Import):
            names.update(a.asname for a in node.names if a.asname and a.name == "alembic.op")
            names.update(f"{a.asname}.op" for a in node.names if a.asname and a.name == "alembic")
    return frozenset(names)


def _as_op(node: ast.Call, scope: Scope, aliases: frozenset[str]) -> tuple[str, str] | None:
    """(`op`, the operation) when `node` calls an Alembic operation under another spelling: through an
    alias of `op`, a name bound to `op` or to one of its functions (`o = op`, `f = op.drop_table`), or
    a function imported from `alembic.op`; else None."""
    f = node.func
    for _ in range(8):  # follow `f = op.drop_table`, `o = op`, a chain of such bindings
        if isinstance(f, ast.Attribute):
            owner = f.value
            if ast.unparse(owner) in aliases:
                return "op", f.attr
            if isinstance(owner, ast.Name):
                bound = scope.get(owner.id, node.lineno)
                if bound is None:
                    return None
                f = ast.Attribute(value=bound, attr=f.attr)
                continue
            return None
        if isinstance(f, ast.Name):
            if f"fn:{f.id}" in aliases:
                return "op", f.id
            bound = scope.get(f.id, node.lineno)
            if not isinstance(bound, ast.Attribute | ast.Name):
                return None
            f = bound
            continue
        return None
    return None


def _walk(body: list[ast.stmt], src: Source, out: PyResult, target: list[Op], *, batch: dict[str, str],
          autocommit: bool, count: bool, scope: Scope, visited: set[str], aliases: frozenset[str],
          reach: _Reach) -> None:
    kw: dict[str, Any] = {"count": count, "scope": scope, "visited": visited, "aliases": aliases, "reach": reach}
    for st in body:
        if isinstance(st, ast.With | ast.AsyncWith):
            inner_batch = dict(batch)
            inner_auto = autocommit
            for item in st.items:
                ce = item.context_expr
                if isinstance(ce, ast.Call) and call_name(ce) == "batch_alter_table":
                    table = name_of(arg(ce, 0, "table_name"), scope)
                    if table and isinstance(item.optional_vars, ast.Name):
                        inner_batch[item.optional_vars.id] = table
                elif isinstance(ce, ast.Call) and call_name(ce) == "autocommit_block":
                    inner_auto = True
                for node in ast.walk(ce):  # what the context expression itself calls
                    if isinstance(node, ast.Call):
                        _call(node, src, out, target, batch, autocommit, **kw)
            _walk(st.body, src, out, target, batch=inner_batch, autocommit=inner_auto, **kw)
            continue
        for node in ast.walk(st) if not isinstance(st, ast.If | ast.For | ast.Try | ast.While) else ():
            if isinstance(node, ast.Call):
                _call(node, src, out, target, batch, autocommit, **kw)
        if isinstance(st, ast.If | ast.For | ast.While):  # the test / iterable runs too
            for head in (st.iter, st.target) if isinstance(st, ast.For) else (st.test,):
                for node in ast.walk(head):
                    if isinstance(node, ast.Call):
                        _call(node, src, out, target, batch, autocommit, **kw)
        if isinstance(st, ast.If) and postgres_branch(st.test) is not None:  # `if dialect.name == "sqlite":`
            branch = st.body if postgres_branch(st.test) == "body" else st.orelse
            _walk(branch, src, out, target, batch=batch, autocommit=autocommit, **kw)
        elif isinstance(st, ast.If | ast.For | ast.While):
            _walk(st.body, src, out, target, batch=batch, autocommit=autocommit, **kw)
            _walk(st.orelse, src, out, target, batch=batch, autocommit=autocommit, **kw)
        elif isinstance(st, ast.Try):  # a handler, `else:` and `finally:` run as well
            for block in (st.body, *(h.body for h in st.handlers), st.orelse, st.finalbody):
                _walk(block, src, out, target, batch=batch, autocommit=autocommit, **kw)


_SA_TYPES = {"STRING": "varchar", "VARCHAR": "varchar", "UNICODE": "varchar", "NVARCHAR": "varchar",
             "TEXT": "text", "UNICODETEXT": "text", "NUMERIC": "numeric", "DECIMAL": "numeric",
             "INTEGER": "int4", "INT": "int4", "BIGINTEGER": "int8", "BIGINT": "int8", "SMALLINTEGER": "int2",
             "SMALLINT": "int2", "CIDR": "cidr", "INET": "inet", "BOOLEAN": "bool", "DATE": "date",
             "FLOAT": "float8", "JSON": "json", "JSONB": "jsonb", "UUID": "uuid", "CITEXT": "citext"}
"""SQLAlchemy type -> PostgreSQL type name, for judging `alter_column(type_=..., existing_type=...)`."""


def sa_type(node: ast.AST | None) -> tuple[str, tuple[int, ...]] | None:
    """`sa.String(length=20)` -> ("varchar", (20,)), `sa.Numeric(10, 2)` -> ("numeric", (10, 2));
    None for a type this table does not know (the change then stays heuristic)."""
    if node is None:
        return None
    pg = _SA_TYPES.get(call_name(node).upper())
    if pg is None:
        return None
    if not isinstance(node, ast.Call):
        return pg, ()
    if pg == "varchar":
        length = arg(node, 0, "length")
        if length is None:
            return pg, ()
        return (pg, (length.value,)) if isinstance(length, ast.Constant) and type(length.value) is int else None
    if pg == "numeric":
        mods = []
        for i, kw in ((0, "precision"), (1, "scale")):
            value = arg(node, i, kw)
            if value is None:
                break
            if not (isinstance(value, ast.Constant) and type(value.value) is int):
                return None
            mods.append(value.value)
        return pg, tuple(mods)
    return pg, ()


_PG_TYPES = {"INTEGER": "integer", "INT": "integer", "SMALLINTEGER": "smallint", "SMALLINT": "smallint",
             "BIGINTEGER": "bigint", "BIGINT": "bigint", "DATETIME": "timestamp", "TIMESTAMP": "timestamp",
             "CHAR": "bpchar", "NCHAR": "bpchar", "JSON": "json", "JSONB": "jsonb"}
"""SQLAlchemy type names (upper-cased) -> the PostgreSQL type they create; DateTime/TIMESTAMP are
`timestamptz` only with timezone=True."""


def _create_table(node: ast.Call) -> tuple[ColumnDef, ...]:
    """`op.create_table("t", sa.Column(...), ...)`: the columns. An Integer primary key is created
    as SERIAL when it is the table's only primary-key column."""
    cols = [_column(a) for a in node.args[1:] if isinstance(a, ast.Call) and call_name(a) == "Column"]
    single = sum(F.PRIMARY_KEY in c.flags for c in cols) == 1
    out = []
    for c in cols:
        flags = c.flags - {F.PRIMARY_KEY} if F.PRIMARY_KEY in c.flags and not single else c.flags
        out.append(ColumnDef(c.name or "?", c.pg_type or c.type, frozenset(flags)))
    return tuple(out)


class _Column(NamedTuple):
    """What a `sa.Column(...)` says."""

    name: str | None
    type: str
    """The SQLAlchemy type's name."""
    flags: set[F]
    references: str | None = None
    pg_type: str | None = None
    """The PostgreSQL type it creates, when known."""


def _on_delete_changes(call: ast.Call) -> bool:
    """A ForeignKey / create_foreign_key whose `ondelete=` changes the referencing rows (CASCADE,
    SET NULL, SET DEFAULT; one not written as a constant counts)."""
    node = arg(call, -1, "ondelete")
    if node is None or (isinstance(node, ast.Constant) and node.value is None):
        return False
    value = const_str(node)
    return value is None or " ".join(value.upper().split()) not in ("NO ACTION", "RESTRICT")


def _column(node: ast.AST | None) -> _Column:
    """`sa.Column("name", sa.Type, nullable=False, ...)` -> what it says."""
    flags: set[F] = set()
    references: str | None = None
    pg_type: str | None = None
    if not isinstance(node, ast.Call) or call_name(node) != "Column":
        return _Column(None, "?", flags)
    name = const_str(node.args[0]) if node.args else const_str(arg(node, -1, "name"))
    type_ = "?"
    for a in node.args[1:]:
        cn = call_name(a) if isinstance(a, ast.Call | ast.Attribute | ast.Name) else ""
        if cn == "ForeignKey":
            flags.add(F.REFERENCES)
            target = const_str(a.args[0]) if isinstance(a, ast.Call) and a.args else None
            references = target.rsplit(".", 1)[0] if target else None
            if isinstance(a, ast.Call) and _on_delete_changes(a):
                flags.add(F.ON_DELETE)
        elif cn in ("Identity", "Sequence"):
            flags.add(F.IDENTITY)
        elif type_ == "?" and cn:
            type_ = cn
            pg = _PG_TYPES.get(cn.upper())
            if pg == "timestamp" and isinstance(a, ast.Call) and truthy(arg(a, 0, "timezone")):
                pg = "timestamptz"
            if pg:
                pg_type = pg
    if type_.lower() in SERIAL_TYPES:
        flags.add(F.SERIAL)
    if truthy(arg(node, -1, "nullable")) is False:
        flags.add(F.NOT_NULL)
    if truthy(arg(node, -1, "primary_key")):
        flags.update({F.PRIMARY_KEY, F.NOT_NULL})
    if truthy(arg(node, -1, "unique")):
        flags.add(F.UNIQUE)
    sd = arg(node, -1, "server_default")
    if sd is not None and not (isinstance(sd, ast.Constant) and sd.value is None):
        flags.add(F.HAS_DEFAULT)
        text = const_str(sd)
        if text is not None and isinstance(sd, ast.Call) and volatile_text(text):
            flags.add(F.VOLATILE_DEFAULT)
        elif isinstance(sd, ast.Call) and _sa_func(sd) is not None:  # sa.func.now(), func.gen_random_uuid()
            if function_volatility(str(_sa_func(sd))) == "v":
                flags.add(F.VOLATILE_DEFAULT)
        elif isinstance(sd, ast.Call) and call_name(sd) == "Computed":
            flags.add(F.GENERATED_STORED)
    for a in node.args[1:]:
        if isinstance(a, ast.Call) and call_name(a) == "Computed":
            flags.add(F.GENERATED_STORED)
    return _Column(name, type_, flags, references, pg_type)


def _sa_func(node: ast.Call) -> str | None:
    """`sa.func.now()` / `func.now()` -> `now`; `func.pg_catalog.now()` -> `pg_catalog.now`."""
    parts: list[str] = []
    f: ast.expr = node.func
    while isinstance(f, ast.Attribute) and f.attr != "func":
        parts.append(f.attr)
        f = f.value
    is_func = (isinstance(f, ast.Attribute) and f.attr == "func") or (isinstance(f, ast.Name) and f.id == "func")
    return ".".join(reversed(parts)) if is_func and parts else None


def _connection(func: ast.expr, scope: Scope) -> bool:
    """`func` is a method of the migration's connection: `op.get_bind().commit`, or on a name bound
    to `op.get_bind()` / `op.get_context().connection` (or named bind, conn, connection)."""
    if not isinstance(func, ast.Attribute):
        return False
    owner = func.value
    if isinstance(owner, ast.Name):
        bound = scope.get(owner.id, owner.lineno)
        if bound is None:
            return owner.id in ("bind", "conn", "connection")
        owner = bound
    text = ast.unparse(owner)
    return text.endswith(("get_bind()", ".connection"))


_EXECUTES = frozenset({"execute", "exec_driver_sql", "executemany"})
"""Calls that run SQL on the migration's connection (op.execute, op.get_bind().execute, conn.execute,
session.execute, cursor.execute, connection.exec_driver_sql)."""


def _through_impl(f: ast.expr, aliases: frozenset[str]) -> bool:
    """`op.impl.<anything>(...)` (or `op.get_context().impl...`): the migration context's dialect
    implementation, called directly."""
    while isinstance(f, ast.Attribute | ast.Call):
        f = f.func if isinstance(f, ast.Call) else f.value
        if isinstance(f, ast.Attribute) and f.attr == "impl":
            root = f.value
            while isinstance(root, ast.Attribute | ast.Call):
                root = root.func if isinstance(root, ast.Call) else root.value
            return isinstance(root, ast.Name) and (root.id == "op" or root.id in aliases)
    return False


_SCHEMA_KINDS = {"Table": ObjectKind.TABLE, "Index": ObjectKind.INDEX, "Sequence": ObjectKind.SEQUENCE,
                 "Enum": ObjectKind.TYPE, "ENUM": ObjectKind.TYPE}
"""SQLAlchemy schema objects whose `.create(bind)` / `.drop(bind)` run DDL."""
_SAFE_ROOTS = frozenset({"alembic", "sqlalchemy"})
"""Packages whose functions a migration calls without running SQL of the repository's choosing."""
_BUILTINS = frozenset(dir(builtins)) - {"exec", "eval", "compile", "__import__"}
_BIND_NAMES = frozenset({"bind", "conn", "connection", "engine", "session", "db_session", "sess", "connectable"})


def _bindish(node: ast.expr | None, scope: Scope, aliases: frozenset[str], depth: int = 0) -> bool:
    """`node` is something SQL can be run through: `op` itself, the migration's connection
    (`op.get_bind()`, `op.get_context().connection`, a name bound to either, `bind`/`conn`/`session`),
    or a session made on it (`Session(bind=bind)`)."""
    if node is None or depth > 8:
        return False
    if isinstance(node, ast.Name):
        if node.id in aliases or node.id == "op":
            return True
        bound = scope.get(node.id, node.lineno)
        if bound is None:
            return node.id in _BIND_NAMES
        return _bindish(bound, scope, aliases, depth + 1)
    text = ast.unparse(node)
    if text in aliases or text.endswith(("get_bind()", ".connection", ".get_context()")):
        return True
    if isinstance(node, ast.Call) and call_name(node) in ("Session", "sessionmaker", "scoped_session"):
        return any(_bindish(a, scope, aliases, depth + 1) for a in [*node.args, *(k.value for k in node.keywords)])
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):  # `S()` of `S = sessionmaker(bind=bind)`
        return _bindish(node.func, scope, aliases, depth + 1)
    return False


_OP_CLASS = re.compile(r"alembic\.operations(?:\.ops)?\.\w+Op$")
"""An operation class of `alembic.operations.ops` (`DropTableOp`), whose registered classmethod
(`DropTableOp.drop_table(op, "users")`) runs the operation through the `op` it is handed."""
_READ_OPS = frozenset({"add_column", "drop_column", "alter_column", "create_index", "drop_index", "create_table",
                       "drop_table", "rename_table", "create_foreign_key", "create_check_constraint",
                       "create_unique_constraint", "create_primary_key", "create_exclude_constraint", "bulk_insert",
                       "execute"})
"""The operations `_call` reads (an operation class's classmethod of another name fails closed)."""


def _op_class_call(node: ast.Call, aliases: frozenset[str], reach: _Reach) -> ast.Call | str | None:
    """`ops.DropTableOp.drop_table(op, "users")`: the `op.drop_table("users")` call it amounts to;
    a reason to fail closed for another method of an operation class; None for any other call (the
    class called to build an operation object runs nothing: `op.invoke` of it fails closed)."""
    f = node.func
    if not isinstance(f, ast.Attribute) or not _OP_CLASS.match(reach.imports.dotted(f.value) or ""):
        return None
    handed = node.args[0] if node.args and not isinstance(node.args[0], ast.Starred) else None
    keywords = [k for k in node.keywords if k.arg != "operations"]
    if handed is None:
        handed = next((k.value for k in node.keywords if k.arg == "operations"), None)
        args = list(node.args)
    else:
        args = node.args[1:]
    if f.attr not in _READ_OPS or handed is None or ast.unparse(handed) not in aliases:
        return f"`{' '.join(ast.unparse(node).split())[:80]}`: an Alembic operation class's method, which the " \
               "gate does not read"
    call = ast.Call(func=ast.Attribute(value=ast.Name(id="op", ctx=ast.Load()), attr=f.attr, ctx=ast.Load()),
                    args=args, keywords=keywords)
    return ast.copy_location(call, node)


_PASS_THROUGH = frozenset({"dialect", "info", "engine", "connection", "bind", "get_bind", "begin", "begin_nested",
                           "no_autoflush", "execution_options", "in_transaction", "close", "commit", "rollback",
                           "get_context", "cursor", "dispose", "get_isolation_level", "detach", "closed",
                           "autocommit_block"})
"""What a connection or session reaches without running SQL of its own (`execute` is read above)."""
_SESSION_QUIET = frozenset({"add", "add_all", "flush", "expunge", "expunge_all", "expire", "expire_all", "refresh",
                            "get", "get_one", "merge", "bulk_insert_mappings", "is_modified", "invalidate",
                            "in_nested_transaction", "close_all", "prepare", "query"})
"""Session methods that read, insert or write one row the code names: nothing existing is lost."""
_SESSION_SQL = frozenset({"scalar", "scalars"})
"""Session / connection methods that run the statement they are handed, as `execute` does."""
_FILTERS = frozenset({"filter", "filter_by", "where", "get", "limit", "slice", "offset", "join", "from_statement"})


def _orm_call(node: ast.Call, scope: Scope, aliases: frozenset[str]) -> list[Op] | str | None:
    """What a call on SQLAlchemy's ORM over the migration's connection does to rows:
    `session.query(t)[.filter(...)].delete()` / `.update(...)` is a DELETE / UPDATE of t's rows (with
    a WHERE when filtered), `session.bulk_update_mappings(...)` an UPDATE of rows the gate cannot
    name; a method of a session or connection that runs SQL the gate cannot read (`session.delete(obj)`,
    one it does not know) is a reason to fail closed; None when nothing of the kind is called.
    (`session.execute` / `scalar` of a statement are read as statements by the caller.)"""
    steps: list[tuple[str, ast.Call | None]] = []
    cur: ast.expr = node
    anchor: ast.expr | None = None
    for _ in range(32):
        call = cur if isinstance(cur, ast.Call) else None
        f = cur.func if isinstance(cur, ast.Call) else cur
        if not isinstance(f, ast.Attribute):
            break
        steps.append((f.attr, call))
        cur = f.value
        if _bindish(cur, scope, aliases):
            anchor = cur
            break
    steps.reverse()
    names = [n for n, _ in steps]
    if "query" in names and names[-1] in ("delete", "update") and steps[-1][1] is node:
        query = steps[names.index("query")][1]
        if query is None:
            return None
        first = arg(query, 0, "entities")
        table = _orm_table(first, scope) if first is not None else None
        where = frozenset({F.WHERE} if set(names[names.index("query") + 1:]) & _FILTERS else ())
        return [Op(action=A.DELETE if names[-1] == "delete" else A.UPDATE,
                   table=table or "{a table the session queries}", flags=where)]
    if anchor is None or len(steps) != 1 or steps[0][1] is not node:
        return None  # a call further along a chain: judged at its first call
    if ast.unparse(anchor).endswith("get_context()"):
        return None  # the migration context's own API (autocommit_block; `impl` fails closed above)
    method = names[0]
    if method in _PASS_THROUGH or method in _SESSION_QUIET or method in _EXECUTES or method in _SESSION_SQL:
        return None
    if method in ("bulk_update_mappings", "bulk_save_objects"):
        return [Op(action=A.UPDATE, table="{the rows the session is handed}")]
    return f"`{' '.join(ast.unparse(node).split())[:80]}` on the migration's connection: which rows it " \
           "changes is not read"


def _orm_table(node: ast.expr, scope: Scope) -> str | None:
    """The table a session queries: `sa.table("users")` / `sa.Table("users", ...)`, a name bound to
    one, else a placeholder naming the expression."""
    for _ in range(8):
        if not isinstance(node, ast.Name):
            break
        bound = scope.get(node.id, node.lineno)
        if bound is None:
            break
        node = bound
    if isinstance(node, ast.Call) and call_name(node) in ("table", "Table"):
        name = const_str(arg(node, 0, "name"))
        if name:
            return name
    return "{" + " ".join(ast.unparse(node).split())[:40] + "}"


def _schema_object(node: ast.Call, scope: Scope,
                   aliases: frozenset[str]) -> Callable[[dict[str, Any]], list[Op]] | None:
    """`sa.Table("users", meta).drop(bind)` (DROP TABLE users), `sa.Enum(..., name="e").create(bind)`
    (CREATE TYPE), `metadata.drop_all(bind)` (every table of the metadata: not known, fails closed):
    the operations a SQLAlchemy schema object's create/drop runs on the migration's connection, as
    a function of the call's position; None when `node` is no such call."""
    f = node.func
    if not isinstance(f, ast.Attribute) or f.attr not in ("drop", "create", "drop_all", "create_all"):
        return None
    if not any(_bindish(a, scope, aliases) for a in [*node.args, *(k.value for k in node.keywords if k.arg == "bind")]):
        return None
    what = f" `{' '.join(ast.unparse(node).split())[:80]}`"
    if f.attr == "create_all":
        return lambda base: []  # creates what does not exist yet (checkfirst): nothing is lost
    if f.attr == "drop_all":
        return lambda base: [Op(action=A.DYNAMIC_SQL, detail=f"{what[1:]} (every table of the metadata)", **base)]
    owner: ast.expr | None = f.value
    for _ in range(8):  # a name bound to the object
        if not isinstance(owner, ast.Name):
            break
        owner = scope.get(owner.id, owner.lineno)
    kind = _SCHEMA_KINDS.get(call_name(owner)) if isinstance(owner, ast.Call) else None
    if kind is None or not isinstance(owner, ast.Call):
        if f.attr == "create":
            return None  # creating an object the gate cannot name: nothing existing is lost
        return lambda base: [Op(action=A.DYNAMIC_SQL, detail=what[1:], **base)]
    name = const_str(arg(owner, 0, "name")) if kind is not ObjectKind.TYPE else const_str(arg(owner, -1, "name"))
    label = name or "{" + ast.unparse(owner)[:40] + "}"
    drop = f.attr == "drop"
    if kind is ObjectKind.TABLE:
        action = A.DROP_TABLE if drop else A.CREATE_TABLE
        return lambda base: [Op(action=action, table=label, **base)]
    if kind is ObjectKind.INDEX:
        table = const_str(owner.args[1].args[0]) if len(owner.args) > 1 and isinstance(owner.args[1], ast.Call) \
            and owner.args[1].args else None
        action = A.DROP_INDEX if drop else A.CREATE_INDEX
        return lambda base: [Op(action=action, table=table, column=label, **base)]
    action = A.DROP_OBJECT if drop else A.CREATE_OBJECT
    return lambda base: [Op(action=action, column=label, kind=kind, **base)]


def _unread_helper(node: ast.Call, scope: Scope, aliases: frozenset[str], reach: _Reach) -> str | None:
    """Why a call to a function the gate does not read may run SQL it cannot see: it is handed
    `op` or the connection (any package but Alembic's and SQLAlchemy's), or it comes from a module
    of the repository that can run SQL itself; None when neither."""
    dotted = reach.imports.dotted(node.func)
    root = dotted.split(".")[0] if dotted else None
    if root in _SAFE_ROOTS:
        return None
    if isinstance(node.func, ast.Name) and node.func.id in _BUILTINS and dotted is None:
        return None  # getattr(op, ...), isinstance(bind, ...): Python's own (exec/eval are judged above)
    if isinstance(node.func, ast.Attribute) and _bindish(_receiver_root(node.func), scope, aliases):
        return None  # bind.dialect.has_table(bind, ...): the connection's own API (execute is read above)
    text = " ".join(ast.unparse(node.func).split())[:60]
    if any(_bindish(a, scope, aliases) for a in [*node.args, *(k.value for k in node.keywords)]):
        return f"`{text}(...)`, handed the migration's connection"
    name_root = pymodules_root(node.func)
    if name_root is not None and name_root in reach.imports.relative:
        return f"`{text}(...)` from the repository's own code"
    if dotted is not None and reach.modules is not None and reach.modules.has(dotted) \
            and reach.modules.touches_database(dotted):
        return f"`{text}(...)` from the repository's own code, which runs SQL the gate does not read"
    return None


_CONDITIONAL = {"create_table": "if_not_exists", "add_column": "if_not_exists", "create_index": "if_not_exists",
                "drop_table": "if_exists", "drop_column": "if_exists", "drop_index": "if_exists",
                "drop_constraint": "if_exists"}
"""Alembic operations that take `if_not_exists=` / `if_exists=` and then may run no DDL at all."""


def _maybe(node: ast.Call, keyword: str) -> frozenset[F]:
    """{IF_NOT_EXISTS} / {IF_EXISTS} when the call passes `keyword` as anything but a literal False or
    None (a value the gate cannot fold counts as true): `create_table(..., if_not_exists=True)`
    creates nothing when the table exists, so the name keeps its base meaning (a later drop or
    TRUNCATE of it destroys the base table's rows)."""
    value = arg(node, -1, keyword)
    if value is None or (isinstance(value, ast.Constant) and value.value in (False, None, 0)):
        return frozenset()
    return frozenset({F.IF_NOT_EXISTS if keyword == "if_not_exists" else F.IF_EXISTS})


def _receiver_root(node: ast.expr) -> ast.expr:
    """`op.get_bind().dialect.has_table` -> `op.get_bind()`; `bind.dialect.x` -> `bind`."""
    while isinstance(node, ast.Attribute):
        node = node.value
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get_bind":
            return node
    return node


def pymodules_root(node: ast.expr) -> str | None:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _call(node: ast.Call, src: Source, out: PyResult, target: list[Op], batch: dict[str, str],  # noqa: C901
          autocommit: bool, *, count: bool, scope: Scope, visited: set[str], aliases: frozenset[str],
          reach: _Reach) -> None:
    who = receiver(node)
    name = call_name(node)
    f = node.func
    if who != "op" and who not in batch:
        spelled = _as_op(node, scope, aliases)
        if spelled is not None:
            who, name = spelled
    if (who == "op" and name == "invoke") or _through_impl(f, aliases):
        # op.invoke(ops.DropTableOp("users")), op.impl.drop_table(...): an operation object or the
        # dialect implementation runs it, and what it does is not read here: fail closed
        target.append(Op(action=A.DYNAMIC_SQL, detail=f"`{ast.unparse(node)[:80]}`", autocommit=autocommit,
                         **src.base(node)))
        return
    if isinstance(f, ast.Name) and f.id in ("exec", "eval", "__import__"):  # code built at run time
        target.append(Op(action=A.DYNAMIC_SQL, detail=f"`{ast.unparse(node)[:80]}`", autocommit=autocommit,
                         **src.base(node)))
        return
    if isinstance(f, ast.Call) and call_name(f) == "getattr" and f.args and isinstance(f.args[0], ast.Name) \
            and f.args[0].id == "op":  # getattr(op, "drop_table")(...)
        attr = const_str(f.args[1]) if len(f.args) > 1 else None
        if attr is None:
            target.append(Op(action=A.DYNAMIC_SQL, detail=f"`{ast.unparse(f)[:80]}`", autocommit=autocommit,
                             **src.base(node)))
            return
        who, name = "op", attr
    if who != "op" and who not in batch:
        as_op = _op_class_call(node, aliases, reach)
        if isinstance(as_op, str):
            target.append(Op(action=A.DYNAMIC_SQL, detail=as_op, autocommit=autocommit, **src.base(node)))
            if count:
                out.statements += 1
            return
        if as_op is not None:  # ops.DropTableOp.drop_table(op, "users"): op.drop_table("users")
            _call(as_op, src, out, target, batch, autocommit, count=count, scope=scope, visited=visited,
                  aliases=aliases, reach=reach)
            return
    in_batch = who in batch
    if name in ("commit", "rollback") and not node.args and who != "op" and _connection(f, scope):
        # bind.commit(): ends the transaction Alembic runs the migration in (SQLAlchemy 2.0 connections)
        ended = frozenset({F.ROLLBACK} if name == "rollback" else ())
        target.append(Op(action=A.COMMIT, flags=ended, autocommit=autocommit, **src.base(node)))
        if count:
            out.statements += 1
        return
    if name in _SESSION_SQL and who != "op" and not in_batch and node.args and isinstance(f, ast.Attribute) \
            and _bindish(f.value, scope, aliases):  # session.scalar(text("DELETE ... RETURNING 1"))
        embedded_sql(src, node.args[0], out if count else PyResult(), autocommit=autocommit, into=target,
                     scope=scope, call=node)
        return
    if name in _EXECUTES and (who == "op" or not in_batch):
        embedded_sql(src, arg(node, 0, "sqltext" if who == "op" else "statement"), out if count else PyResult(),
                     autocommit=autocommit, into=target, scope=scope, call=node)
        return
    if who != "op" and not in_batch:
        schema = _schema_object(node, scope, aliases)
        if schema is not None:  # sa.Table(...).drop(bind), metadata.drop_all(bind), Enum.create(bind)
            target.extend(o.moved(line=o.line, col=o.col, end_line=o.end_line, autocommit=autocommit)
                          for o in schema(src.base(node)))
            if count:
                out.statements += 1
            return
        orm = _orm_call(node, scope, aliases)
        if orm is not None:  # session.query(t).delete(), session.delete(obj), ...
            base = src.base(node)
            made = [Op(action=A.DYNAMIC_SQL, detail=orm, **base)] if isinstance(orm, str) else \
                [Op(action=o.action, table=o.table, flags=o.flags, **base) for o in orm]
            target.extend(o.moved(line=o.line, col=o.col, end_line=o.end_line, autocommit=autocommit) for o in made)
            if count:
                out.statements += 1
            return
        helper = scope.function(f.id) if isinstance(f, ast.Name) else None
        if helper is not None and helper.name not in visited:  # a function of the module upgrade() calls
            visited.add(helper.name)
            _walk(helper.body, src, out, target, batch=batch, autocommit=autocommit, count=count, scope=scope,
                  visited=visited, aliases=aliases, reach=reach)
        elif helper is None and (why := _unread_helper(node, scope, aliases, reach)) is not None:
            target.append(Op(action=A.DYNAMIC_SQL, detail=why, autocommit=autocommit, **src.base(node)))
            if count:
                out.statements += 1
        return
    shift = 0 if in_batch else 1  # batch ops omit the table argument
    table = batch[who] if in_batch else name_of(arg(node, 0, "table_name"), scope)
    base = src.base(node)
    ops: list[Op] = []

    def s(i: int, kw: str) -> str | None:
        return name_of(arg(node, i, kw), scope)

    in_schema = None if in_batch else s(-1, "schema")
    if table:  # SQLAlchemy quotes every name it must: the string is the table's exact name, `schema=` its schema
        table = relation_name(in_schema, table)

    def rel(i: int, kw: str) -> str | None:
        n = s(i, kw)
        return relation_name(in_schema, n) if n else n

    if name == "add_column":
        c = _column(arg(node, shift, "column"))
        ops.append(Op(action=A.ADD_COLUMN, table=table, column=c.name, detail=c.type, flags=frozenset(c.flags),
                      references=c.references, pg_type=c.pg_type, **base))
    elif name == "drop_column":
        ops.append(Op(action=A.DROP_COLUMN, table=table, column=s(shift, "column_name"), **base))
    elif name == "alter_column":
        col = s(shift, "column_name")
        if arg(node, -1, "new_column_name") is not None:
            ops.append(Op(action=A.RENAME_COLUMN, table=table, column=col,
                          new_name=s(-1, "new_column_name") or "?", **base))
        type_node = arg(node, -1, "type_")
        if type_node is not None:
            new, old = sa_type(type_node), sa_type(arg(node, -1, "existing_type"))
            # autogenerate writes existing_type: the old type is known
            using = arg(node, -1, "postgresql_using")  # `USING NULL` rewrites every row: not the column itself
            itself = using is None or (const_str(using) or "").strip().strip('"') == col
            ops.append(Op(action=A.ALTER_TYPE, table=table, column=col, detail=call_name(type_node) or "?",
                          pg_type=new[0] if new else None, mods=new[1] if new else (), old_type=old,
                          flags=frozenset(() if itself else {F.USING}), **base))
        sd = arg(node, -1, "server_default")
        if isinstance(sd, ast.Constant) and sd.value is None:  # None removes the default; False (the default) keeps it
            known = truthy(arg(node, -1, "existing_nullable")) is False or truthy(arg(node, -1, "nullable")) is False
            ops.append(Op(action=A.DROP_DEFAULT, table=table, column=col,
                          flags=frozenset({F.NOT_NULL} if known else ()), **base))
        if truthy(arg(node, -1, "nullable")) is False:
            ops.append(Op(action=A.SET_NOT_NULL, table=table, column=col, **base))
    elif name == "create_index":
        idx_table = batch[who] if in_batch else s(1, "table_name")
        flags: set[F] = set()
        if truthy(arg(node, -1, "postgresql_concurrently")):
            flags.add(F.CONCURRENTLY)
        if truthy(arg(node, -1, "unique")):
            flags.add(F.UNIQUE)
        ops.append(Op(action=A.CREATE_INDEX, table=idx_table, column=s(0, "index_name"), flags=frozenset(flags),
                      **base))
    elif name == "drop_index":
        flags = {F.CONCURRENTLY} if truthy(arg(node, -1, "postgresql_concurrently")) else set()
        ops.append(Op(action=A.DROP_INDEX, column=s(0, "index_name"), flags=frozenset(flags),
                      table=batch.get(who) if in_batch else s(1, "table_name"), **base))
    elif name in ("create_foreign_key", "create_check_constraint", "create_unique_constraint",
                  "create_primary_key", "create_exclude_constraint"):
        kind = {"create_foreign_key": ConstraintKind.FOREIGN, "create_check_constraint": ConstraintKind.CHECK,
                "create_unique_constraint": ConstraintKind.UNIQUE, "create_primary_key": ConstraintKind.PRIMARY,
                "create_exclude_constraint": ConstraintKind.EXCLUSION}[name]
        foreign = kind is ConstraintKind.FOREIGN
        con_table = batch[who] if in_batch else s(1, "source_table" if foreign else "table_name")
        flags = {F.NOT_VALID} if truthy(arg(node, -1, "postgresql_not_valid")) else set()
        if foreign and _on_delete_changes(node):
            flags.add(F.ON_DELETE)
        ref = s(1 if in_batch else 2, "referent_table") if foreign else None
        ops.append(Op(action=A.ADD_CONSTRAINT, table=con_table, column=s(0, "constraint_name"), constraint=kind,
                      flags=frozenset(flags), references=ref, **base))
    elif name == "rename_table":
        ops.append(Op(action=A.RENAME_TABLE, table=rel(0, "old_table_name"), new_name=s(1, "new_table_name") or "?",
                      **base))
    elif name == "drop_table":
        ops.append(Op(action=A.DROP_TABLE, table=rel(0, "table_name"), **base))
    elif name == "create_table":
        prefixes = arg(node, -1, "prefixes")
        temp = isinstance(prefixes, (ast.List, ast.Tuple)) and any(
            (const_str(p) or "").upper() in ("TEMP", "TEMPORARY") for p in prefixes.elts)
        ops.append(Op(action=A.CREATE_TABLE, table=rel(0, "table_name"), columns=_create_table(node),
                      flags=frozenset({F.TEMP} if temp else ()), **base))
    elif name == "bulk_insert":
        ops.append(Op(action=A.INSERT, **base))
    else:
        return
    if name in _CONDITIONAL:  # `if_not_exists=True` / `if_exists=True` (Alembic 1.13.3+): may do nothing
        maybe = _maybe(node, _CONDITIONAL[name])
        ops = [o.moved(line=o.line, col=o.col, end_line=o.end_line, autocommit=o.autocommit, flags=o.flags | maybe)
               for o in ops]
    if autocommit:
        ops = [o.moved(line=o.line, col=o.col, end_line=o.end_line, autocommit=True) for o in ops]
    target.extend(ops)
    if count:
        out.statements += 1
