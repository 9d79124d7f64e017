"""SQL that is built while the migration runs: folded to text where its parts are constants, and
reported where it cannot be read (fail closed), never passed over in silence.

Two places build SQL at run time:
* Python migrations pass an expression to `op.execute`, `bind.execute`, `RunSQL`, ...: string
  constants, `+`, f-strings, `%` and `.format()`, `"".join(...)`, `text()`/`dedent()` and names
  bound once to such an expression are folded; a part that is not a constant (a loop variable,
  an argument, a setting) becomes a quoted identifier naming it (`"{table}"`), so that
  `"DROP TABLE " + name` is still read as a DROP TABLE.
* PL/pgSQL `DO` blocks run their static statements and `EXECUTE` strings: both are read through
  PostgreSQL's own PL/pgSQL parser; `EXECUTE` arguments are folded the same way (`||`, `format()`
  with `%I`/`%L`/`%s`, variables declared with a constant and never assigned).

What folds to no SQL text at all (`EXECUTE stmt`, `op.execute(build_sql())`) is an `Unreadable`.

Why over 500 lines: the two folders (Python expressions, PL/pgSQL) share one
`Folded` value and one notion of an unknown part, and are tested as one fail-closed contract.
"""

from __future__ import annotations

import ast
import bisect
import re
import string
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from readiness import lazyre
from readiness.gates.migrations.ops import Action

_MAX_DEPTH = 40
_MAX_TEXT = 1_000_000
_LABEL_MAX = 40


@dataclass(frozen=True, slots=True)
class Folded:
    """An expression folded to SQL text."""

    text: str
    """The text, with each part that is not a constant written as `"{label}"`."""
    unknown: tuple[str, ...] = ()
    """Labels of the parts that are not constants (empty: the text is exact)."""
    literal: bool = True
    """At least one part of the text is a constant (else nothing of the SQL is known)."""
    quotes: tuple[bool, bool] = (False, False)
    """Whether the text ends inside a "quoted identifier" / a 'string' (a placeholder there is
    written without quotes of its own: `"prefix_{label}"`, `'{label}'`)."""

    def __add__(self, other: Folded) -> Folded:
        text = other.text
        if other.unknown and not other.literal and (self.quotes[0] or self.quotes[1]) and len(text) > 1 \
                and text[0] == text[-1] and text[0] in "\"'":
            text = text[1:-1]  # already inside quotes: the placeholder's own would close them
        return Folded(self.text + text, self.unknown + other.unknown, self.literal or other.literal,
                      (self.quotes[0] != other.quotes[0], self.quotes[1] != other.quotes[1]))


def _const(text: str) -> Folded:
    """A constant part, with the quotes it leaves open (comments and dollar quotes are not told apart)."""
    return Folded(text, quotes=(text.count('"') % 2 == 1, text.count("'") % 2 == 1))


def _unknown(label: str, *, quote: str = '"') -> Folded:
    label = " ".join(label.replace('"', "").replace("'", "").replace("\\", "").split())[:_LABEL_MAX] or "expr"
    return Folded(f"{quote}{{{label}}}{quote}", (label,), literal=False)


# --------------------------------------------------------------------------------------------- Python
class Scope:
    """Names bound to an expression in a module or function: what a name may be folded to. A name
    bound more than once is read as its last binding before the line that uses it; one that a loop,
    `with` or augmented assignment binds is not read at all. A scope `nested` in the module's holds
    only its own bindings and asks the module's for the rest, so a module of many functions is
    walked once, not once per function read."""

    def __init__(self, *bodies: list[ast.stmt], parent: Scope | None = None) -> None:
        self.parent = parent
        """The module's scope, for a nested one (None: the bodies include the module's)."""
        self.module_body: list[ast.stmt] = parent.module_body if parent is not None else bodies[0] if bodies else []
        """The module's statements (the first body): functions and constants a nested scope also sees."""
        self._values: dict[str, list[tuple[int, ast.expr]]] = {}
        self._unreadable: set[str] = set()
        for body in bodies:
            for node in _statements(body):
                for name, value in _bindings(node):
                    if value is None:
                        self._unreadable.add(name)
                    else:
                        self._values.setdefault(name, []).append((getattr(node, "lineno", 0), value))
        for bound in self._values.values():
            bound.sort(key=lambda b: b[0])
        self._lines = {name: [at for at, _v in bound] for name, bound in self._values.items()}
        self.functions = {n.name: n for body in bodies for n in body
                          if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}
        """The functions these bodies define (a nested scope: its own; see `function`)."""
        self._module: Scope | None = None

    def function(self, name: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        """The function `name` defined here, else in the module."""
        fn = self.functions.get(name)
        return fn if fn is not None or self.parent is None else self.parent.function(name)

    def nested(self, body: list[ast.stmt]) -> Scope:
        """The scope of a module function's `body`: its bindings over the module's (the module's
        scope is built once and shared)."""
        if self.parent is not None:
            return Scope(body, parent=self.parent)
        if self._module is None:
            self._module = Scope(self.module_body)
        return Scope(body, parent=self._module)

    def get(self, name: str, line: int | None = None) -> ast.expr | None:
        """What `name` holds at `line` (its only binding when no line is given). In a nested scope a
        name the function does not bind is the module's, read when the function runs (after the
        whole module): its only binding, else not known (`SQL = ...` rebound below the function)."""
        if self.parent is not None and name not in self._values and name not in self._unreadable:
            return self.parent.get(name)
        scopes = (self,) if self.parent is None else (self.parent, self)  # outer first: inner wins a tie
        if any(name in sc._unreadable for sc in scopes):
            return None
        bounds = [(sc._values[name], sc._lines[name]) for sc in scopes if name in sc._values]
        if not bounds:
            return None
        if line is None:
            return bounds[0][0][0][1] if sum(len(b) for b, _ in bounds) == 1 else None
        best: tuple[int, ast.expr] | None = None
        for bound, lines in bounds:
            i = bisect.bisect_right(lines, line)  # the last binding at or before the line
            if i and (best is None or lines[i - 1] >= best[0]):
                best = bound[i - 1]
        return best[1] if best is not None else None


def _statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    stack = list(reversed(body))
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        for attr in ("body", "orelse", "finalbody", "handlers"):
            stack.extend(reversed(getattr(node, attr, None) or []))


def _bindings(node: ast.stmt) -> Iterator[tuple[str, ast.expr | None]]:
    if isinstance(node, ast.Assign):
        for target in node.targets:
            if isinstance(target, ast.Name):
                yield target.id, node.value if len(node.targets) == 1 else None
            else:
                yield from ((n.id, None) for n in ast.walk(target) if isinstance(n, ast.Name))
    elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        yield node.target.id, node.value
    elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
        yield node.target.id, None  # changed where it stands: never folded
    elif isinstance(node, ast.For | ast.AsyncFor | ast.With | ast.AsyncWith):
        targets = [node.target] if isinstance(node, ast.For | ast.AsyncFor) else \
            [i.optional_vars for i in node.items if i.optional_vars is not None]
        for t in targets:
            yield from ((n.id, None) for n in ast.walk(t) if isinstance(n, ast.Name))


_WRAPPERS = frozenset({"text", "dedent", "cleandoc", "literal_column", "DDL", "strip", "lstrip", "rstrip"})
"""Calls that pass a string through (sa.text, textwrap.dedent, inspect.cleandoc, str.strip, ...)."""


def fold_python(node: ast.expr | None, scope: Scope, depth: int = 0) -> Folded | None:
    """`node` as SQL text (None when it is not a string expression at all, such as a SQLAlchemy
    construct or a number)."""
    if node is None or depth > _MAX_DEPTH:
        return None
    if isinstance(node, ast.Constant):
        return _const(node.value) if isinstance(node.value, str) else None
    if isinstance(node, ast.JoinedStr):
        out = Folded("", literal=False)
        for part in node.values:
            if isinstance(part, ast.Constant) and isinstance(part.value, str):
                out = out + _const(part.value)
            elif isinstance(part, ast.FormattedValue):
                inner = _piece(part.value, scope, depth)
                out = out + inner
        return out if len(out.text) <= _MAX_TEXT else None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = fold_python(node.left, scope, depth + 1), fold_python(node.right, scope, depth + 1)
        if left is None and right is None:
            return None
        return (left or _unknown(ast.unparse(node.left))) + (right or _unknown(ast.unparse(node.right)))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        fmt = fold_python(node.left, scope, depth + 1)
        if fmt is None or fmt.unknown:
            return None if fmt is None else _unknown(ast.unparse(node))
        args = node.right.elts if isinstance(node.right, ast.Tuple) else [node.right]
        return _percent(fmt.text, [_piece(a, scope, depth) for a in args])
    if isinstance(node, ast.Name):
        bound = scope.get(node.id, node.lineno)
        if bound is not None:
            return fold_python(bound, scope, depth + 1)
        return _unknown(node.id)
    if isinstance(node, ast.Call):
        return _fold_call(node, scope, depth)
    if isinstance(node, ast.Attribute | ast.Subscript):
        return _unknown(ast.unparse(node))
    return None


def _piece(node: ast.expr, scope: Scope, depth: int) -> Folded:
    """A part of a larger string: a constant of any kind as its text, else a placeholder."""
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float) and not isinstance(node.value, bool):
        return Folded(str(node.value))
    folded = fold_python(node, scope, depth + 1)
    return folded if folded is not None else _unknown(ast.unparse(node))


def _fold_call(node: ast.Call, scope: Scope, depth: int) -> Folded | None:
    f = node.func
    name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
    if name in _WRAPPERS:
        inner: ast.expr | None = node.args[0] if node.args else None
        if name in ("strip", "lstrip", "rstrip") and isinstance(f, ast.Attribute):
            inner = f.value
        return fold_python(inner, scope, depth + 1)
    if name == "format" and isinstance(f, ast.Attribute):
        fmt = fold_python(f.value, scope, depth + 1)
        if fmt is None or fmt.unknown:
            return None if fmt is None else _unknown(ast.unparse(node))
        return _brace_format(fmt.text, node, scope, depth)
    if name == "join" and isinstance(f, ast.Attribute) and node.args:
        sep = fold_python(f.value, scope, depth + 1)
        items = node.args[0]
        if sep is not None and not sep.unknown and isinstance(items, ast.List | ast.Tuple):
            out = Folded("", literal=bool(sep.text))
            for i, el in enumerate(items.elts):
                out = (out + _const(sep.text) if i else out) + _piece(el, scope, depth)
            return out
        return _unknown(ast.unparse(node))
    if name in ("str",) and node.args:
        return _piece(node.args[0], scope, depth)
    return _unknown(ast.unparse(node)) if _stringish(node) else None


def _stringish(node: ast.Call) -> bool:
    """A call that returns SQL text as far as one can tell (not a SQLAlchemy construct)."""
    f = node.func
    name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
    return name not in CORE_CALLS and not _core_chain(node)


_PERCENT = lazyre.compile(r"%(?:\((?P<key>[^)]*)\))?[-#0 +]*\d*(?:\.\d+)?(?P<kind>[sdirfx%])")


def _percent(fmt: str, args: list[Folded]) -> Folded:
    out = Folded("")
    pos = i = 0
    for m in _PERCENT.finditer(fmt):
        out = out + _const(fmt[pos:m.start()])
        if m.group("kind") == "%":
            out = out + _const("%")
        else:
            out = out + (args[i] if i < len(args) else _unknown(m.group(0)))
            i += 1
        pos = m.end()
    return out + _const(fmt[pos:])


def _brace_format(fmt: str, node: ast.Call, scope: Scope, depth: int) -> Folded:
    keywords = {kw.arg: kw.value for kw in node.keywords if kw.arg}
    out = Folded("")
    auto = 0
    try:
        parsed = list(string.Formatter().parse(fmt))
    except ValueError:
        return _unknown(ast.unparse(node))
    for literal, field_name, _spec, _conv in parsed:
        out = out + _const(literal)
        if field_name is None:
            continue
        key = field_name.split(".", 1)[0].split("[", 1)[0]
        value: ast.expr | None
        if key == "":
            value = node.args[auto] if auto < len(node.args) else None
            auto += 1
        elif key.isdigit():
            value = node.args[int(key)] if int(key) < len(node.args) else None
        else:
            value = keywords.get(key)
        out = out + (_piece(value, scope, depth) if value is not None and key == field_name else _unknown(field_name))
    return out


# -------------------------------------------------------------------------- SQLAlchemy Core constructs
CORE_CALLS = frozenset({"update", "delete", "insert", "select", "values", "where", "filter", "returning",
                        "table", "Table", "column", "and_", "or_", "exists", "inline", "on_conflict_do_nothing",
                        "on_conflict_do_update", "from_select", "execution_options"})


@dataclass(frozen=True, slots=True)
class CoreStatement:
    """A SQLAlchemy Core statement object passed to execute(): what it does, to which table."""

    action: Action
    """update, delete, insert, insert_select or other (a select)."""
    table: str | None
    where: bool


def _core_chain(node: ast.expr) -> list[ast.Call]:
    """The method calls of `t.update().where(...).values(...)` / `sa.update(t)...`, outermost first."""
    calls: list[ast.Call] = []
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute | ast.Name):
        calls.append(node)
        if isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Call | ast.Attribute | ast.Name):
            inner = node.func.value
            if isinstance(inner, ast.Call):
                node = inner
                continue
        break
    names = [_func_name(c) for c in calls]
    return calls if any(n in ("update", "delete", "insert", "select") for n in names) else []


def _func_name(call: ast.Call) -> str:
    f = call.func
    return f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""


def core_statement(node: ast.expr | None, scope: Scope) -> CoreStatement | None:
    """The SQLAlchemy Core statement `node` builds, when it is one."""
    if node is None:
        return None
    if isinstance(node, ast.Name) and scope.get(node.id, node.lineno) is not None:
        return core_statement(scope.get(node.id, node.lineno), scope)
    chain = _core_chain(node)
    if not chain:
        return None
    names = [_func_name(c) for c in chain]
    verb = next(n for n in reversed(names) if n in ("update", "delete", "insert", "select"))
    head = chain[names.index(verb)] if verb in names else chain[-1]
    if isinstance(head.func, ast.Attribute) and not head.args:  # users.update()
        table = _core_table(head.func.value, scope)
    else:  # sa.update(users)
        table = _core_table(head.args[0], scope) if head.args else None
    where = any(n in ("where", "filter") for n in names) or any(kw.arg == "whereclause" for c in chain
                                                              for kw in c.keywords)
    if verb == "insert":
        action = Action.INSERT_SELECT if "from_select" in names else Action.INSERT
    else:
        action = {"update": Action.UPDATE, "delete": Action.DELETE}.get(verb, Action.OTHER)
    return CoreStatement(action=action, table=table, where=where)


def _core_table(node: ast.expr, scope: Scope, depth: int = 0) -> str | None:
    if depth > 5:
        return None
    if isinstance(node, ast.Name):
        bound = scope.get(node.id, node.lineno)
        return _core_table(bound, scope, depth + 1) if bound is not None else None
    if isinstance(node, ast.Call):
        f = node.func
        name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
        if name in ("table", "Table") and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str):
            return node.args[0].value
    if isinstance(node, ast.Attribute) and node.attr == "__table__":
        return None
    return None


# ----------------------------------------------------------------------------------------- PL/pgSQL
@dataclass(slots=True)
class DoBlock:
    """What a DO block runs, as far as it can be read."""

    statements: list[tuple[int, Folded]] = field(default_factory=list)
    """(line within the block, SQL text) of each statement it runs: static ones and folded EXECUTEs."""
    unreadable: list[tuple[int, str]] = field(default_factory=list)
    """(line within the block, the expression) of each EXECUTE whose SQL could not be read."""
    cut: bool = False
    """The body nests too deeply to be read whole (`sql.loads_cut`): the statements of the deepest
    blocks were not read."""


_PL_SKIP = frozenset({"PLpgSQL_stmt_perform", "PLpgSQL_stmt_assign", "PLpgSQL_stmt_return", "PLpgSQL_stmt_raise",
                      "PLpgSQL_stmt_getdiag", "PLpgSQL_stmt_assert", "PLpgSQL_stmt_exit", "PLpgSQL_stmt_close",
                      "PLpgSQL_stmt_fetch"})


def do_block(text: str) -> DoBlock | None:
    """Read a `DO` statement with PostgreSQL's PL/pgSQL parser (None: not PL/pgSQL, or it does
    not parse; PostgreSQL reports that when the migration runs)."""
    from pglast import parser

    from readiness.gates.migrations.sql import loads

    try:
        do = loads(parser.parse_sql_json(text))["stmts"][0]["stmt"]["DoStmt"]
        language = next((str(a["DefElem"]["arg"]["String"]["sval"]) for a in do.get("args") or ()
                         if a.get("DefElem", {}).get("defname") == "language"), "plpgsql")
    except (parser.ParseError, ValueError, KeyError, IndexError, TypeError):
        return None
    if language.lower() != "plpgsql":
        return None  # PL/Python, PL/Perl, ...: not read here
    return pl_block(text)


def pl_block(text: str) -> DoBlock | None:
    """Read a `DO` statement or a `CREATE FUNCTION/PROCEDURE ... LANGUAGE plpgsql` with PostgreSQL's
    PL/pgSQL parser (None: it does not parse). A function's body is read as the function it is, so
    `RETURN NEW` or a trigger's `NEW.x := ...` parse (they would not in a `DO` block)."""
    from pglast import parser

    from readiness.gates.migrations.sql import loads_cut

    try:
        tree, cut = loads_cut(parser.parse_plpgsql_json(text))
    except (parser.ParseError, ValueError, KeyError, IndexError, TypeError):
        return None
    if not isinstance(tree, list) or not tree:
        return None
    func = tree[0].get("PLpgSQL_function") if isinstance(tree[0], dict) else None
    if not isinstance(func, dict) or "action" not in func:
        return None
    consts = _constant_variables(func)
    out = DoBlock(cut=cut)
    for kind, body in _pl_statements(func.get("action")):
        line = int(body.get("lineno") or 1)
        if kind == "PLpgSQL_stmt_execsql":
            query = ((body.get("sqlstmt") or {}).get("PLpgSQL_expr") or {}).get("query")
            if isinstance(query, str):
                out.statements.append((line, Folded(query)))
        elif kind == "PLpgSQL_stmt_dynexecute":
            query = ((body.get("query") or {}).get("PLpgSQL_expr") or {}).get("query")
            folded = fold_plpgsql(query, consts) if isinstance(query, str) else None
            if folded is None or not folded.literal:
                out.unreadable.append((line, str(query or "")))
            else:
                out.statements.append((line, folded))
    return out


def _pl_statements(node: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every PL/pgSQL statement under `node` (blocks, IF/CASE branches, loops, exception handlers)."""
    stack = [node]
    while stack:
        cur = stack.pop()
        if isinstance(cur, list):
            stack.extend(reversed(cur))
            continue
        if not isinstance(cur, dict):
            continue
        for key, value in cur.items():
            if key.startswith("PLpgSQL_stmt_") and isinstance(value, dict):
                if key not in _PL_SKIP:
                    yield key, value
                stack.extend(reversed([v for k, v in value.items() if k in ("body", "then_body", "else_body",
                                                                              "elsif_list", "exceptions",
                                                                              "exc_list", "action", "stmts",
                                                                              "case_when_list", "else_stmts")]))
            elif key in ("PLpgSQL_if_elsif", "PLpgSQL_case_when", "PLpgSQL_exception_block", "PLpgSQL_exception"):
                stack.append(value)
            elif key in ("body", "then_body", "else_body", "elsif_list", "exc_list", "stmts", "action"):
                stack.append(value)


def _constant_variables(func: Mapping[str, Any]) -> dict[str, str]:
    """Variables declared with a constant default and never assigned afterwards."""
    assigned: set[int] = set()
    for kind, body in _pl_statements(func.get("action")):
        if kind == "PLpgSQL_stmt_assign":
            assigned.add(int(body.get("varno", -1)))
        elif kind in ("PLpgSQL_stmt_fori", "PLpgSQL_stmt_fors", "PLpgSQL_stmt_forc", "PLpgSQL_stmt_foreach_a",
                      "PLpgSQL_stmt_dynfors", "PLpgSQL_stmt_execsql", "PLpgSQL_stmt_dynexecute",
                      "PLpgSQL_stmt_fetch"):
            assigned.update(_varnos(body))
    out: dict[str, str] = {}
    for i, datum in enumerate(func.get("datums") or ()):
        var = datum.get("PLpgSQL_var") if isinstance(datum, dict) else None
        if not isinstance(var, dict) or i in assigned:
            continue
        default = ((var.get("default_val") or {}).get("PLpgSQL_expr") or {}).get("query")
        name = var.get("refname")
        if isinstance(default, str) and isinstance(name, str):
            folded = fold_plpgsql(default, {})
            if folded is not None and not folded.unknown:
                out[name.lower()] = folded.text
    return out


def _varnos(node: Any) -> Iterator[int]:
    stack = [node]
    while stack:
        cur = stack.pop()
        if isinstance(cur, dict):
            for k, v in cur.items():
                if k in ("dno", "varno") and isinstance(v, int):
                    yield v
                else:
                    stack.append(v)
        elif isinstance(cur, list):
            stack.extend(cur)


def fold_plpgsql(expr: str, consts: Mapping[str, str]) -> Folded | None:
    """A PL/pgSQL expression (an EXECUTE argument) as SQL text: string constants joined with `||`,
    `format()`/`concat()` of them, and variables in `consts`; other parts become placeholders."""
    from pglast import parser

    from readiness.gates.migrations.sql import loads

    try:
        tree = loads(parser.parse_sql_json(f"SELECT {expr}"))
        target = tree["stmts"][0]["stmt"]["SelectStmt"]["targetList"]
    except (parser.ParseError, KeyError, IndexError, TypeError):
        return None
    if len(target) != 1:
        return None
    return _fold_sql(target[0]["ResTarget"].get("val"), consts, 0)


def _fold_sql(node: Any, consts: Mapping[str, str], depth: int) -> Folded:
    if not isinstance(node, dict) or depth > _MAX_DEPTH:
        return _unknown("expr")
    if "A_Const" in node:
        const = node["A_Const"]
        if "sval" in const:
            return _const(str(const["sval"].get("sval", "")))
        if "ival" in const:
            return Folded(str(const["ival"].get("ival", 0)))
        return _unknown("const")
    if "TypeCast" in node:
        return _fold_sql(node["TypeCast"].get("arg"), consts, depth + 1)
    if "ColumnRef" in node:
        fields = [f.get("String", {}).get("sval", "") for f in node["ColumnRef"].get("fields") or ()
                  if isinstance(f, dict)]
        name = ".".join(str(x) for x in fields)
        return _const(consts[name.lower()]) if name.lower() in consts else _unknown(name)
    if "A_Expr" in node:
        e = node["A_Expr"]
        ops = [n.get("String", {}).get("sval") for n in e.get("name") or () if isinstance(n, dict)]
        if ops == ["||"]:
            return _fold_sql(e.get("lexpr"), consts, depth + 1) + _fold_sql(e.get("rexpr"), consts, depth + 1)
        return _unknown("expr")
    if "FuncCall" in node:
        fc = node["FuncCall"]
        fname = ".".join(str(n.get("String", {}).get("sval", "")) for n in fc.get("funcname") or ()
                         if isinstance(n, dict)).lower().removeprefix("pg_catalog.")
        args = [_fold_sql(a, consts, depth + 1) for a in fc.get("args") or ()]
        if fname == "concat":
            out = Folded("", literal=False)
            for a in args:
                out = out + a
            return out
        if fname == "format" and args and not args[0].unknown:
            return _sql_format(args[0].text, args[1:])
        if fname in ("quote_ident", "quote_literal", "quote_nullable") and len(args) == 1:
            a = args[0]
            if a.unknown:
                return _unknown(a.unknown[0], quote="'" if fname != "quote_ident" else '"')
            return _const(_ident(a.text) if fname == "quote_ident" else "'" + a.text.replace("'", "''") + "'")
        return _unknown(fname or "call")
    return _unknown("expr")


_SQL_FORMAT = lazyre.compile(r"%(?:(?P<pos>\d+)\$)?-?\d*(?P<kind>[sIL%])")


def _sql_format(fmt: str, args: list[Folded]) -> Folded:
    """PostgreSQL's format(): %s as is, %I as an identifier, %L as a literal."""
    out = Folded("")
    pos = i = 0
    for m in _SQL_FORMAT.finditer(fmt):
        out = out + _const(fmt[pos:m.start()])
        kind = m.group("kind")
        if kind == "%":
            out = out + _const("%")
        else:
            n = int(m.group("pos")) - 1 if m.group("pos") else i
            i = n + 1
            arg = args[n] if 0 <= n < len(args) else _unknown(m.group(0))
            if kind == "L":
                arg = _unknown(arg.unknown[0], quote="'") if arg.unknown else \
                    _const("'" + arg.text.replace("'", "''") + "'")
            elif kind == "I" and not arg.unknown:
                arg = _const(_ident(arg.text))
            out = out + arg
        pos = m.end()
    return out + _const(fmt[pos:])


def _ident(name: str) -> str:
    return name if re.fullmatch(r"[a-z_][a-z0-9_$]*", name) else '"' + name.replace('"', '""') + '"'


_NEW_SET = re.compile(r'\s*NEW\s*\.\s*("(?:[^"]|"")+"|[^\W\d][\w$]*)\s*:?=\s*(.*?)\s*;?\s*$', re.IGNORECASE | re.DOTALL)
_CONSTANT = re.compile(r"\(*\s*(?:NULL|TRUE|FALSE|[+-]?\d[\d.e+-]*|E?'(?:[^']|'')*')\s*\)*"
                       r"(?:\s*::\s*[\w\s.\"()\[\],]+)?", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class TriggerBody:
    """What a PL/pgSQL trigger function does to the row it is given (a BEFORE ROW trigger's row is
    the one written): whether it hands back no row (`RETURN NULL`: the write is dropped), on every
    path or on some, and the columns of NEW it sets to a constant (every row written gets it)."""

    discards_all: bool
    discards_some: bool
    constants: tuple[str, ...]


def trigger_body(text: str) -> TriggerBody | None:
    """Read a `CREATE FUNCTION ... LANGUAGE plpgsql` (its text) as a trigger function (None: it does not
    parse)."""
    from pglast import parser

    from readiness.gates.migrations.sql import loads_cut

    try:
        tree, _cut = loads_cut(parser.parse_plpgsql_json(text))
    except (parser.ParseError, ValueError, KeyError, IndexError, TypeError):
        return None
    nulls = others = 0
    constants: list[str] = []
    stack: list[Any] = [tree]
    while stack:
        cur = stack.pop()
        if isinstance(cur, list):
            stack.extend(cur)
            continue
        if not isinstance(cur, dict):
            continue
        for key, value in cur.items():
            if key == "PLpgSQL_stmt_return" and isinstance(value, dict):
                query = ((value.get("expr") or {}).get("PLpgSQL_expr") or {}).get("query")
                if isinstance(query, str) and re.fullmatch(r"\s*\(*\s*NULL\s*\)*\s*(?:::\s*[\w.]+\s*)?", query,
                                                           re.IGNORECASE):
                    nulls += 1
                else:
                    others += 1
            elif key == "PLpgSQL_stmt_assign" and isinstance(value, dict):
                query = ((value.get("expr") or {}).get("PLpgSQL_expr") or {}).get("query")
                m = _NEW_SET.fullmatch(query) if isinstance(query, str) else None
                if m is not None and _CONSTANT.fullmatch(m.group(2)):
                    constants.append(m.group(1).strip('"'))
            if isinstance(value, (dict, list)):
                stack.append(value)
    return TriggerBody(discards_all=nulls > 0 and others == 0, discards_some=nulls > 0 and others > 0,
                       constants=tuple(dict.fromkeys(constants)))

