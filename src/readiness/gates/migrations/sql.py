"""PostgreSQL text -> statements with exact positions, through the server's own parser (pglast).

pglast (libpg_query) is imported lazily. A file is split with the parser (which also validates
it); only statements whose leading keywords can matter to a rule are turned into a parse tree,
because building Python objects for big views and functions is where the time goes. Offsets
from pglast's split/scan/error positions are character offsets into the text.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from dataclasses import dataclass
from typing import Any

# Leading keywords of statements that some rule looks at; the rest are only counted.
_INTERESTING = re.compile(
    r"(?:ALTER|CREATE\s+(?:UNIQUE\s+)?INDEX|CREATE\s+(?:(?:GLOBAL|LOCAL)\s+)?(?:UNLOGGED\s+|TEMP\w*\s+)?TABLE"
    r"|DROP|TRUNCATE|UPDATE|DELETE|VACUUM|CLUSTER|REINDEX|REFRESH|SET|BEGIN|START|COMMIT|END|ROLLBACK"
    r"|ABORT|LOCK|WITH|INSERT)\b",
    re.IGNORECASE,
)
_LEADING_JUNK = re.compile(r"(?:\s+|--[^\n]*|/\*.*?\*/)*", re.DOTALL)
_SELECT_WORD = re.compile(r"\bselect\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True, kw_only=True)
class Statement:
    """One SQL statement of a file (or of a section / embedded string)."""

    text: str
    """The statement text without the trailing semicolon."""
    line: int
    """1-based line of its first token in the file."""
    column: int
    """1-based column of its first token."""
    end_line: int
    """1-based line of its last character."""
    node: dict[str, Any] | None
    """The parse tree (`{"AlterTableStmt": {...}}`) when a rule may need it, else None."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SqlError:
    """A statement the PostgreSQL parser rejects."""

    message: str
    """The parser's message."""
    line: int
    """1-based line of the parser's cursor position."""
    column: int
    """1-based column of that position."""
    text: str
    """The statement text (for the fingerprint)."""


@dataclass(frozen=True, slots=True)
class Origin:
    """Where offset 0 of the parsed text sits in the file: for sections and embedded SQL."""

    line: int = 1
    column: int = 1
    continuation_column: int = 1
    """Column of a character that follows a newline (1 for plain text)."""


class _Lines:
    """Offset -> (line, column) for one text, mapped through an Origin."""

    def __init__(self, text: str, origin: Origin) -> None:
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self.origin = origin

    def at(self, offset: int) -> tuple[int, int]:
        idx = bisect_right(self.starts, offset) - 1
        col = offset - self.starts[idx]
        if idx == 0:
            return self.origin.line, self.origin.column + col
        return self.origin.line + idx, self.origin.continuation_column + col


def wants_tree(text: str) -> bool:
    """True when a statement's leading keywords make it worth a parse tree."""
    if not _INTERESTING.match(text):
        return False
    if text[:6].upper() == "INSERT":
        return _SELECT_WORD.search(text) is not None
    return True


def parse(text: str, origin: Origin | None = None) -> tuple[list[Statement], list[SqlError]]:
    """Split and parse `text`; statements the parser rejects come back as SqlErrors, never raise."""
    from pglast import parser

    lines = _Lines(text, origin or Origin())
    try:
        slices = parser.split(text, with_parser=True, only_slices=True)
    except parser.ParseError:
        return _salvage(text, lines)
    return [_statement(text, sl.start, sl.stop, lines, None) for sl in slices], []


def _statement(text: str, start: int, stop: int, lines: _Lines, node: dict[str, Any] | None) -> Statement:
    from pglast import parser

    body = text[start:stop]
    if node is None and wants_tree(body):
        tree = json.loads(parser.parse_sql_json(body))["stmts"]
        node = tree[0]["stmt"] if tree else None
    line, col = lines.at(start)
    end_line, _ = lines.at(max(start, stop - 1))
    return Statement(text=body, line=line, column=col, end_line=end_line, node=node)


def _salvage(text: str, lines: _Lines) -> tuple[list[Statement], list[SqlError]]:
    """The file does not parse as a whole: split with the scanner and parse piece by piece."""
    from pglast import parser

    stmts: list[Statement] = []
    errors: list[SqlError] = []
    try:
        slices = parser.split(text, with_parser=False, only_slices=True)
    except parser.ParseError as exc:  # the scanner itself failed (e.g. unterminated quote)
        pos = _position(exc)
        line, col = lines.at(min(pos or 0, len(text)))
        return [], [SqlError(message=str(exc.args[0]), line=line, column=col, text=text[:200])]
    for sl in slices:
        raw = text[sl.start:sl.stop]
        lead = _LEADING_JUNK.match(raw)
        skip = lead.end() if lead else 0
        start = sl.start + skip
        body = text[start:sl.stop]
        if not body.strip():
            continue
        try:
            tree = json.loads(parser.parse_sql_json(body))["stmts"] if wants_tree(body) else None
            if tree is None:
                parser.parse_sql_json(body)
        except parser.ParseError as exc:
            pos = _position(exc)
            line, col = lines.at(start + (len(body) if pos is None else min(pos, len(body))))
            errors.append(SqlError(message=str(exc.args[0]), line=line, column=col, text=body))
            continue
        node = tree[0]["stmt"] if tree else None
        stmts.append(_statement(text, start, sl.stop, lines, node))
    return stmts, errors


def _position(exc: Exception) -> int | None:
    """The parser's cursor position (a character offset), or None for "at end of input"."""
    args: tuple[object, ...] = tuple(getattr(exc, "args", ()))
    if len(args) > 1 and isinstance(args[1], int) and args[1] >= 0:
        return args[1]
    return None


def normalize(text: str) -> str:
    """Whitespace-collapsed statement text, for fingerprints."""
    return " ".join(text.split())
