"""Alembic's `op` used other than by a direct call the reader judges: an operation passed as a value
(`map(op.drop_table, names)`, `functools.partial(op.drop_column, "users")`, `{"x": op.drop_table}`),
`op` itself kept in a list or handed to a builtin, a connection's `execute` taken as a value, `op`'s
attributes replaced. What such code runs is not read, so each use fails closed. Also: the parameters
of the module's own functions that are handed `op` (`_helper(op)`), which are `op` inside them."""

from __future__ import annotations

import ast
import builtins
from collections.abc import Iterable, Iterator

from readiness.gates.migrations import pymodules

_HARMLESS_ATTRS = frozenset({"f", "inline_literal"})
"""`op` attributes that name, quote or register, and run nothing: harmless as values."""
_HARMLESS_CALLS = frozenset({"isinstance", "hasattr", "type", "id", "repr", "str", "print", "bool", "callable",
                             "len", "issubclass"})
"""Builtins handed `op` that only look at it."""
_BUILTINS = frozenset(dir(builtins))
_RUN_SQL = frozenset({"execute", "exec_driver_sql", "executemany", "drop", "drop_all"})
"""Methods that run SQL on a connection (or drop a schema object): never harmless as values."""


_MACHINERY = ("alembic.operations.Operations", "alembic.operations.BatchOperations", "alembic.operations.base",
              "alembic.command", "alembic.runtime", "alembic.migration", "alembic.ddl", "alembic.script",
              "alembic.config")
"""Alembic's own machinery: an `Operations` built by hand, a registered operation, a command that
runs other revisions. What a revision does through it is not read."""


def machinery(nodes: Iterable[ast.AST], imports: pymodules.Imports) -> Iterator[tuple[ast.AST, str]]:
    """Uses of Alembic's machinery (`_MACHINERY`; `register_operation` / `implementation_for` under
    any spelling) among `nodes`: (the node, why it fails closed)."""
    for node in nodes:
        if isinstance(node, ast.Attribute) and node.attr in ("register_operation", "implementation_for"):
            yield node, f"`{_short(node)}` registers an operation whose code the gate does not read"
        elif isinstance(node, ast.Name | ast.Attribute):
            dotted = imports.dotted(node)
            if dotted is not None and dotted.startswith(_MACHINERY):
                yield node, f"`{_short(node)}` ({dotted[:60]}): Alembic's machinery, which the gate does not read"


def batch_names(tree: ast.Module) -> frozenset[str]:
    """The names `with <...>.batch_alter_table(...) as <name>` binds anywhere in the module."""
    return frozenset(item.optional_vars.id for node in ast.walk(tree) if isinstance(node, ast.With | ast.AsyncWith)
                     for item in node.items if isinstance(item.optional_vars, ast.Name)
                     and isinstance(item.context_expr, ast.Call) and isinstance(item.context_expr.func, ast.Attribute)
                     and item.context_expr.func.attr == "batch_alter_table")


def op_params(tree: ast.Module, aliases: frozenset[str]) -> frozenset[str]:
    """The parameter names of the module's functions that some call hands `op` (or a parameter that
    holds it): `def _drop(o): o.drop_table(...)` with `_drop(op)` makes `o` a spelling of `op`. A
    method's parameters are counted from both `self` and the first (the call does not say which)."""
    defs: dict[str, list[ast.FunctionDef | ast.AsyncFunctionDef]] = {}
    calls: list[ast.Call] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            defs.setdefault(node.name, []).append(node)
        elif isinstance(node, ast.Call):
            calls.append(node)
    names = set(aliases)
    for _ in range(8):  # a parameter handed on to another helper
        before = len(names)
        handed: set[tuple[str, int]] = set()  # (callee, position handed op); each looked up once
        for call in calls:
            callee = call.func.id if isinstance(call.func, ast.Name) else \
                call.func.attr if isinstance(call.func, ast.Attribute) else None
            if callee in defs:
                handed.update((callee, i) for i, a in enumerate(call.args) if _is_op(a, names))
                names.update(kw.arg for kw in call.keywords if kw.arg is not None and _is_op(kw.value, names))
        for callee, i in handed:
            for fn in defs[callee]:
                params = [a.arg for a in [*fn.args.posonlyargs, *fn.args.args]]
                names.update(params[j] for j in (i, i + 1) if j < len(params))
                if fn.args.vararg is not None:
                    names.add(fn.args.vararg.arg)
        if len(names) == before:
            break
    return frozenset(names - set(aliases))


def held(tree: ast.Module, aliases: frozenset[str]) -> dict[str, bool]:
    """The names the module binds to `op` or one of its functions (`drop = op.drop_table`, `o = op`,
    `(d := op.drop_table)`; `.o` for an attribute, `self.o = op`), each with whether a call through
    it is read as the operation (a plain assignment, which the reader's scope follows) or not (a
    walrus, a loop target, an attribute, ...)."""
    out: dict[str, bool] = {}
    for _ in range(8):
        before = len(out)
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign | ast.NamedExpr | ast.AnnAssign | ast.For | ast.comprehension) \
                    and (value := node.iter if isinstance(node, ast.For | ast.comprehension) else node.value) \
                    is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                if not _holds_op(value, aliases, out):
                    continue
                followed = isinstance(node, ast.Assign) and all(isinstance(t, ast.Name) for t in targets)
                for t in targets:
                    for n in ast.walk(t):
                        if isinstance(n, ast.Name):
                            out[n.id] = out.get(n.id, True) and followed
                        elif isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Store):
                            out[f".{n.attr}"] = False  # self.o = op: read back as an attribute
        if len(out) == before:
            break
    return out


def _holds_op(value: ast.expr | None, aliases: frozenset[str], out: dict[str, bool]) -> bool:
    """`value` is `op`, one of its functions, a name holding either, or a container, choice or
    comprehension of them (not a call's result: `op.create_table(...)` holds a table)."""
    if isinstance(value, ast.Name):
        return value.id in aliases or f"fn:{value.id}" in aliases or value.id in out
    if isinstance(value, ast.Attribute):
        return ast.unparse(value) in aliases or (ast.unparse(value.value) in aliases
                                                 and value.attr not in _HARMLESS_ATTRS)
    if isinstance(value, ast.List | ast.Tuple | ast.Set):
        return any(_holds_op(e, aliases, out) for e in value.elts)
    if isinstance(value, ast.Dict):
        return any(_holds_op(e, aliases, out) for e in [*value.keys, *value.values] if e is not None)
    if isinstance(value, ast.IfExp):
        return _holds_op(value.body, aliases, out) or _holds_op(value.orelse, aliases, out)
    if isinstance(value, ast.BoolOp):
        return any(_holds_op(e, aliases, out) for e in value.values)
    if isinstance(value, ast.NamedExpr | ast.Starred | ast.Subscript):
        return _holds_op(value.value, aliases, out)
    if isinstance(value, ast.ListComp | ast.SetComp | ast.GeneratorExp):
        return _holds_op(value.elt, aliases, out)
    if isinstance(value, ast.DictComp):
        return _holds_op(value.value, aliases, out)
    return False


def _is_op(node: ast.expr, aliases: Iterable[str]) -> bool:
    return isinstance(node, ast.Name | ast.Attribute) and ast.unparse(node) in aliases


def unjudged_uses(nodes: Iterable[ast.AST], up: dict[int, ast.AST], aliases: frozenset[str],
                  holders: dict[str, bool]) -> Iterator[tuple[ast.AST, str]]:
    """The uses of `op` (any spelling in `aliases`; `fn:<name>` for a function imported from
    `alembic.op`; a name in `holders`, see `held`) among `nodes` that are no direct call the reader
    judges: (the node, why it fails closed)."""
    for node in nodes:
        if not isinstance(node, ast.Name | ast.Attribute):
            continue
        text = ast.unparse(node) if isinstance(node, ast.Attribute) else node.id
        parent = up.get(id(node))
        if isinstance(node, ast.Name) and node.id in holders and text not in aliases \
                and isinstance(node.ctx, ast.Load):
            direct = isinstance(parent, ast.Call) and parent.func is node
            if not ((direct and holders[node.id]) or _plain_alias(node, parent)
                    or (isinstance(parent, ast.Attribute) and holders[node.id])):
                yield node, f"`{text}`, which holds an operation, used as `{_short(parent or node)}`: " \
                            "what it runs is not read"
            continue
        if text in aliases:  # `op` itself
            if isinstance(node.ctx, ast.Store | ast.Del) or _op_itself_ok(node, parent, up):
                continue
            yield node, f"`{text}` itself used as a value (`{_short(parent or node)}`): what it runs is not read"
            continue
        owner_is_op = isinstance(node, ast.Attribute) and ast.unparse(node.value) in aliases
        if isinstance(node, ast.Attribute) and not owner_is_op and isinstance(node.ctx, ast.Load) \
                and (node.attr in holders or f".{node.attr}" in holders):
            # `H.o` of `class H: o = op`, `self.o` of `self.o = op`: no scope follows an attribute
            yield node, f"`{text}`, which holds an operation, used as `{_short(parent or node)}`: " \
                        "what it runs is not read"
            continue
        imported_fn = isinstance(node, ast.Name) and f"fn:{node.id}" in aliases
        runs_sql = isinstance(node, ast.Attribute) and node.attr in _RUN_SQL
        if not (owner_is_op or imported_fn or runs_sql):
            continue
        attr = node.attr if isinstance(node, ast.Attribute) else node.id
        if isinstance(node.ctx, ast.Store | ast.Del):
            if owner_is_op:
                yield node, f"`{text}` is replaced: what the operations run is not known"
            continue
        if isinstance(parent, ast.Call) and parent.func is node:
            continue  # a direct call: the reader judges it
        if owner_is_op and isinstance(parent, ast.Attribute) and ast.unparse(parent) in aliases:
            continue  # `alembic.op` spelled out
        if (owner_is_op or imported_fn) and attr in _HARMLESS_ATTRS:
            continue
        if (owner_is_op or imported_fn) and _plain_alias(node, parent):
            continue  # `drop = op.drop_table`: a call through the name is judged as the operation
        yield node, f"`{text}` used as a value (`{_short(parent or node)}`): what it runs is not read"


def _op_itself_ok(node: ast.expr, parent: ast.AST | None, up: dict[int, ast.AST]) -> bool:
    """`op` read for an attribute, bound to a plain name, handed to a harmless builtin, or handed to
    a function (one of the module's, where its parameter is `op`, or another, which the reader
    judges as handed the connection)."""
    if isinstance(parent, ast.Attribute) and parent.value is node:
        return True
    if _plain_alias(node, parent):
        return True
    if isinstance(parent, ast.keyword):  # f(migration_op=op): as handed by position
        parent = up.get(id(parent))
    if isinstance(parent, ast.Call) and isinstance(parent.func, ast.Name) and parent.func.id == "getattr":
        caller = up.get(id(parent))  # getattr(op, "drop_table")(...): judged as the call it makes
        return isinstance(caller, ast.Call) and caller.func is parent
    if isinstance(parent, ast.Call) and parent.func is not node:
        f = parent.func
        return not (isinstance(f, ast.Name) and f.id in _BUILTINS and f.id not in _HARMLESS_CALLS)
    return isinstance(parent, ast.Compare)  # `if o is op:`


def _plain_alias(node: ast.expr, parent: ast.AST | None) -> bool:
    if isinstance(parent, ast.Assign) and parent.value is node:
        return all(isinstance(t, ast.Name) for t in parent.targets)
    return isinstance(parent, ast.NamedExpr | ast.AnnAssign) and parent.value is node \
        and isinstance(parent.target, ast.Name)


def _short(node: ast.AST) -> str:
    return " ".join(ast.unparse(node).split())[:60]

