"""Small helpers for reading Python migrations with `ast` (never importing them)."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Any

from readiness.gates.migrations import ops as O
from readiness.gates.migrations import sql
from readiness.gates.migrations.ops import Op


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
                 into: list[Op] | None = None) -> bool:
    """Parse the SQL in a string literal and append its operations; False when it is not a literal."""
    lit = str_node(node)
    if lit is None:
        return False
    stmts, errors = sql.parse(str(lit.value), src.sql_origin(lit))
    result.errors.extend(errors)
    target = result.ops if into is None else into
    for st in stmts:
        for op in O.from_statement(st):
            target.append(Op(action=op.action, table=op.table, column=op.column, detail=op.detail, flags=op.flags,
                             line=op.line, col=op.col, end_line=op.end_line, evidence=op.evidence,
                             autocommit=autocommit, extra=op.extra))
    result.statements += len(stmts)
    return True


def volatile_text(expr: str) -> bool:
    """A server default given as SQL text calls a volatile function (PostgreSQL's own catalog; an
    unknown one counts as volatile). Parsed as a SELECT of the expression; text that does not
    parse is read by its function-call shapes."""
    from pglast import parser

    try:
        tree = sql.loads(parser.parse_sql_json(f"SELECT {expr}"))
    except parser.ParseError:
        return any(O.function_volatility(name) == "v" for name in re.findall(r"([A-Za-z_][\w.]*)\s*\(", expr))
    return O.volatile(tree)


def is_empty_body(body: list[ast.stmt]) -> bool:
    """A function body of only `pass`, `...`, a docstring or comments."""
    for st in body:
        if isinstance(st, ast.Pass):
            continue
        if isinstance(st, ast.Expr) and isinstance(st.value, ast.Constant):
            continue
        return False
    return True
