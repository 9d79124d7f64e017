"""Parsing a Python migration with the `ast` of the Python the tool runs on, for code written for a
newer one.

Python 3.14 (PEP 758) accepts `except A, B:` without parentheses, and formatters targeting it write
that (readthedocs.org's migrations after a ruff upgrade); the 3.11 parser calls it a syntax error,
which fails a pull request closed. When a file does not parse, each such clause is given its
parentheses (on its own line, so every line number stays) and the file is parsed again; a file that
still does not parse raises the first error.
"""

from __future__ import annotations

import ast


def parse_python(text: str, filename: str = "<unknown>") -> ast.Module:
    """The module's tree; SyntaxError (or ValueError, RecursionError) as `ast.parse` raises them."""
    try:
        return ast.parse(text, filename=filename)
    except SyntaxError as first:
        newer = _parenthesize_except_lists(text)
        if newer is None:
            raise
        try:
            return ast.parse(newer, filename=filename)
        except SyntaxError:
            raise first from None


def _parenthesize_except_lists(text: str) -> str | None:
    """`text` with every `except A, B:` written `except (A, B):`; None when there is none. Linear: one
    pass over the lines, each looked at up to its first colon."""
    lines = text.split("\n")
    changed = False
    for i, line in enumerate(lines):
        body = line.lstrip()
        if not body.startswith("except"):
            continue
        head = body[6:]
        star = head.startswith("*")
        types_at = 7 if star else 6
        colon = body.find(":", types_at)
        if colon < 0:
            continue
        types = body[types_at:colon]
        if not types[:1].isspace() or "," not in types or " as " in types or types.strip().startswith("("):
            continue
        lead = line[: len(line) - len(body)]
        lines[i] = f"{lead}{body[:types_at]} ({types.strip()}){body[colon:]}"
        changed = True
    return "\n".join(lines) if changed else None
