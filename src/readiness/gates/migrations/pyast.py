"""Small helpers for reading Python migrations with `ast` (never importing them)."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Any

from readiness import lazyre
from readiness.gates.migrations import pgtree, sql
from readiness.gates.migrations.dynamic import Scope, core_statement, fold_python
from readiness.gates.migrations.ops import Action, Op
from readiness.gates.migrations.ops import Flag as F

A = Action


@dataclass(slots=True)
class PyResult:
    """What a Python migration does: its operations and what it says about reversibility."""

    ops: list[Op] = field(default_factory=list)
    down_ops: list[Op] = field(default_factory=list)
    errors: list[sql.SqlError] = field(default_factory=list)
    irreversible: list[tuple[int, int, str]] = field(default_factory=list)
    """(line, column, why) for each part that cannot be rolled back."""
    lossy: list[Op] = field(default_factory=list)
    """Operations whose automatic reverse restores the structure but not the data."""
    statements: int = 0
    atomic: bool = True


class Source:
    """Line/column conversion for one Python file (ast columns are UTF-8 byte offsets)."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()

    def col(self, node: ast.AST) -> int:
        lineno = getattr(node, "lineno", 1)
        off = getattr(node, "col_offset", 0)
        if 0 < lineno <= len(self.lines):
            line = self.lines[lineno - 1]
            if not line.isascii():
                return len(line.encode("utf-8")[:off].decode("utf-8", "ignore")) + 1
        return off + 1

    def base(self, node: ast.AST) -> dict[str, Any]:
        seg = ast.unparse(node) if isinstance(node, ast.expr) else ""
        return {"line": getattr(node, "lineno", 1), "col": self.col(node),
                "end_line": getattr(node, "end_lineno", None), "evidence": " ".join(seg.split())[:500]}

    def sql_origin(self, node: ast.Constant) -> sql.Origin:
        """Where the first character of a string literal's value is in the file."""
        col = self.col(node)
        line = self.lines[node.lineno - 1] if 0 < node.lineno <= len(self.lines) else ""
        m = re.match(r"[rRuUbBfF]{0,2}('''|\"\"\"|'|\")", line[col - 1:])
        skip = len(m.group(0)) if m else 1
        return sql.Origin(line=node.lineno, column=col + skip, continuation_column=1)


def const_str(node: ast.AST | None) -> str | None:
    """A string constant, or `text("...")` / `sa.text("...")` around one, or a name marked final
    with Alembic's `op.f("...")` or SQLAlchemy's `conv("...")` (what autogenerate writes)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Call) and node.args and _wraps_string(node):
        return const_str(node.args[0])
    return None


def _wraps_string(node: ast.Call) -> bool:
    name = call_name(node)
    return name in ("text", "conv") or (name == "f" and isinstance(node.func, ast.Attribute))


def str_node(node: ast.AST | None) -> ast.Constant | None:
    """The string literal node (unwrapping `text(...)`)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node
    if isinstance(node, ast.Call) and call_name(node) == "text" and node.args:
        return str_node(node.args[0])
    return None


def call_name(node: ast.AST) -> str:
    """`op.add_column(...)` -> `add_column`; `Column(...)` -> `Column`."""
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return ""


def receiver(node: ast.Call) -> str:
    """`op.add_column` -> `op`; `batch_op.add_column` -> `batch_op`."""
    f = node.func
    if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name):
        return f.value.id
    return ""


def arg(node: ast.Call, index: int, name: str) -> ast.expr | None:
    """Positional argument `index` or keyword `name`."""
    for kw in node.keywords:
        if kw.arg == name:
            return kw.value
    if index >= 0 and len(node.args) > index and not any(isinstance(a, ast.Starred) for a in node.args[:index + 1]):
        return node.args[index]
    return None


def truthy(node: ast.AST | None) -> bool | None:
    """A literal True/False, else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, bool):
        return node.value
    return None


def embedded_sql(src: Source, node: ast.AST | None, result: PyResult, *, autocommit: bool = False,
                 into: list[Op] | None = None, scope: Scope | None = None, call: ast.AST | None = None) -> bool:
    """Parse the SQL `node` runs and append its operations. A string literal is parsed in place
    (exact positions); with a `scope`, any other expression is folded (dynamic.fold_python) and
    parsed at the call's line, a SQLAlchemy Core statement becomes its operation, and what cannot
    be read is a `dynamic_sql` operation. False when there is nothing to read (no scope, no SQL)."""
    lit = str_node(node)
    target = result.ops if into is None else into
    if lit is not None:
        stmts, errors = parse_with_binds(str(lit.value), src.sql_origin(lit))
        result.errors.extend(errors)
        for st in stmts:
            target.extend(_moved(op, autocommit=autocommit) for op in pgtree.from_statement(st))
        result.statements += len(stmts)
        return True
    if scope is None or not isinstance(node, ast.expr):
        return False
    at = src.base(call if isinstance(call, ast.expr) else node)
    folded = fold_python(node, scope)
    if folded is not None and folded.literal:
        stmts, errors = parse_with_binds(folded.text)
        if errors and folded.unknown:  # the placeholders broke it: what runs cannot be read
            target.append(Op(action=A.DYNAMIC_SQL, detail=f"`{_short(node)}`", autocommit=autocommit, **at))
            result.statements += 1
            return True
        result.errors.extend(replace_position(e, at) for e in errors)
        for st in stmts:
            target.extend(_moved(op, autocommit=autocommit, at=at) for op in pgtree.from_statement(st))
        result.statements += len(stmts)
        return True
    core = core_statement(node, scope)
    if core is not None:
        flags = frozenset({F.WHERE} if core.where else ())
        table = core.table or "{a table the migration builds}"
        target.append(Op(action=core.action, table=table, flags=flags, autocommit=autocommit, **at))
        result.statements += 1
        return True
    target.append(Op(action=A.DYNAMIC_SQL, detail=f"`{_short(node)}`", autocommit=autocommit, **at))
    result.statements += 1
    return True


_BINDS = lazyre.compile(r"(?<![:\w]):[A-Za-z_]\w*|%\(\w+\)s|%s|%%")
"""Bind parameters the database driver fills in before PostgreSQL sees the text: SQLAlchemy's
`:name` (text(), op.execute), the DB-API's `%s` / `%(name)s` (cursor.execute, RunSQL with params)."""


def parse_with_binds(text: str, origin: sql.Origin | None = None) -> tuple[list[sql.Statement], list[sql.SqlError]]:
    """Parse SQL that may hold bind parameters: when the text does not parse as it is, it is parsed
    again with each parameter as `$1` (padded to the same length, so positions hold)."""
    stmts, errors = sql.parse(text, origin)
    if errors and (":" in text or "%" in text):
        def bind(m: re.Match[str]) -> str:
            word = m.group(0)
            return "% " if word == "%%" else "$1".ljust(len(word))

        again = sql.parse(_BINDS.sub(bind, text), origin)
        if len(again[1]) < len(errors):
            return again
    return stmts, errors


def _short(node: ast.AST) -> str:
    return " ".join(ast.unparse(node).split())[:80]


def _moved(op: Op, *, autocommit: bool, at: dict[str, Any] | None = None) -> Op:
    """`op` run by a Python migration (outside any transaction inside autocommit_block), at the
    call's position when its SQL was folded from an expression."""
    where = at or {"line": op.line, "col": op.col, "end_line": op.end_line}
    return op.moved(line=where["line"], col=where["col"], end_line=where["end_line"], autocommit=autocommit)


def replace_position(err: sql.SqlError, at: dict[str, Any]) -> sql.SqlError:
    """A parse error of folded SQL, placed at the call that runs it."""
    return sql.SqlError(message=err.message, line=at["line"], column=at["col"], text=err.text)


def name_of(node: ast.AST | None, scope: Scope | None) -> str | None:
    """A table/column/index name argument: its constant, else a placeholder naming the expression
    (`{table_name}`), so that `op.drop_table(name)` is still a DROP TABLE."""
    value = const_str(node)
    if value is not None or node is None or scope is None or not isinstance(node, ast.expr):
        return value
    if isinstance(node, ast.Constant) and node.value is None:
        return None  # SQLAlchemy's unnamed constraint: the database (or a naming convention) names it
    folded = fold_python(node, scope)
    if folded is not None and not folded.unknown:
        return folded.text
    return "{" + (folded.unknown[0] if folded is not None and folded.unknown else _short(node)[:40]) + "}"


def volatile_text(expr: str) -> bool:
    """A server default given as SQL text calls a volatile function (PostgreSQL's own catalog; an
    unknown one counts as volatile). Parsed as a SELECT of the expression; text that does not
    parse is read by its function-call shapes."""
    from pglast import parser

    try:
        tree = sql.loads(parser.parse_sql_json(f"SELECT {expr}"))
    except parser.ParseError:
        return any(pgtree.function_volatility(name) == "v" for name in re.findall(r"([A-Za-z_][\w.]*)\s*\(", expr))
    return pgtree.volatile(tree)


def is_empty_body(body: list[ast.stmt]) -> bool:
    """A function body of only `pass`, `...`, a docstring or comments."""
    for st in body:
        if isinstance(st, ast.Pass):
            continue
        if isinstance(st, ast.Expr) and isinstance(st.value, ast.Constant):
            continue
        return False
    return True


_POSTGRES = frozenset({"postgresql", "postgres"})
_DIALECTS = ("postgres", "mysql", "mariadb", "sqlite", "mssql", "oracle", "cockroach")
_DATABASE_NAME = lazyre.compile(r"(?:^|\.)(?:vendor|dialect\.name|engine\.name|dialect)$")


def postgres_branch(test: ast.expr) -> str | None:
    """The branch of `if <database> == "sqlite": ... else: ...` that runs on PostgreSQL: "body",
    "orelse", or None when the test is not about which database runs the migration
    (`schema_editor.connection.vendor`, `op.get_bind().dialect.name`, `bind.engine.name`)."""
    if isinstance(test, ast.Call) and isinstance(test.func, ast.Attribute) and test.func.attr == "startswith" \
            and len(test.args) == 1:  # str(bind.engine.url).startswith("mysql")
        prefix = const_str(test.args[0])
        if prefix is not None and prefix.lower().startswith(_DIALECTS):
            return "body" if prefix.lower().startswith("postgres") else "orelse"
        return None
    if isinstance(test, ast.BoolOp):  # `vendor == "mysql" and not mariadb`: false on PostgreSQL whatever the rest
        sides = [postgres_branch(v) for v in test.values]
        decisive, other = ("orelse", "body") if isinstance(test.op, ast.And) else ("body", "orelse")
        if decisive in sides:
            return decisive
        return other if all(side == other for side in sides) else None
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and len(test.comparators) == 1):
        return None
    left, right = test.left, test.comparators[0]
    if not _DATABASE_NAME.search(ast.unparse(left)):
        left, right = right, left
        if not _DATABASE_NAME.search(ast.unparse(left)):
            return None
    names = [right] if isinstance(right, ast.Constant) else list(right.elts) if isinstance(
        right, ast.Tuple | ast.List | ast.Set) else []
    values = {n.value.lower() for n in names if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    if not values or len(values) != len(names):
        return None
    op = test.ops[0]
    if isinstance(op, ast.Eq | ast.In):
        return "body" if values & _POSTGRES else "orelse"
    if isinstance(op, ast.NotEq | ast.NotIn):
        return "orelse" if values & _POSTGRES else "body"
    return None


def postgres_statements(body: list[ast.stmt]) -> list[ast.stmt]:
    """`body` with the branches that only run on another database left out (see postgres_branch)."""
    out: list[ast.stmt] = []
    for st in body:
        if isinstance(st, ast.If):
            branch = postgres_branch(st.test)
            if branch is not None:
                out.extend(postgres_statements(st.body if branch == "body" else st.orelse))
                continue
        out.append(st)
    return out
