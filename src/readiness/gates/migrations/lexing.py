"""Where PostgreSQL's reading of a statement depends on `standard_conforming_strings`.

pglast (libpg_query) always lexes with `standard_conforming_strings = on`, as PostgreSQL does by
default. With it off (`SET standard_conforming_strings = off`, `SET LOCAL`, `set_config(...)`, a role's
or a database's setting), a backslash in a plain `'...'` string escapes the next character, so
`'a\\''` is a complete string there, and in `SELECT 'a\\''; DROP TABLE users; -- ';` the server runs a
`DROP TABLE` that the parser reads as text inside one string. `E'...'` strings, dollar quoting, quoted
identifiers and comments are lexed the same either way, so only plain strings holding a backslash
right before a quote can end elsewhere; dollar-quoted bodies (DO blocks, functions) are lexed again when
they run, with the setting of that moment, so they are looked into too.

Such a statement cannot be read as the server may read it: it fails closed, and so does a statement
that turns the setting off (the gate cannot know every later string's reading). `backslash_quote` and
`escape_string_warning` never move a string's end (the first only makes the server refuse `\\'`, the
second only warns), so they are not findings.
"""

from __future__ import annotations

import json
import re

from readiness import lazyre
from readiness.gates.migrations.mentions import may_mention

SETTING = "standard_conforming_strings"
_MAX_BODY_DEPTH = 8
"""Dollar-quoted bodies inside bodies looked into; a deeper one holding `\\'` counts as read differently."""
_ON = frozenset({"on", "o", "t", "tr", "tru", "true", "y", "ye", "yes", "1", "default"})
"""Values (PostgreSQL's parse_bool prefixes) that leave standard strings on."""
_MENTION = lazyre.compile(rf"{SETTING}|u&\"", re.IGNORECASE)
_MENTION_WORDS = (SETTING, 'u&"')


def ambiguous_string(text: str, depth: int = 0) -> int | None:
    """Offset in `text` of the first string whose end depends on standard_conforming_strings
    (None: every string ends in the same place either way, or the text does not lex)."""
    from pglast import parser

    if "\\'" not in text:
        return None
    try:
        tokens = parser.scan(text)
    except parser.ParseError:
        return None  # what does not lex is reported as a parse error
    for tok in tokens:
        if tok.name != "SCONST":
            continue
        first = text[tok.start]
        if first == "'" and _ends_differ(text, tok.start, tok.end):
            return tok.start
        if first == "$":
            literal = text[tok.start:tok.end + 1]
            close = literal.index("$", 1) + 1
            body = literal[close:len(literal) - close]
            if "\\'" in body and (depth >= _MAX_BODY_DEPTH or ambiguous_string(body, depth + 1) is not None):
                return tok.start
    return None


def _ends_differ(text: str, start: int, last: int) -> bool:
    """True when a plain string token (`'...'`, possibly continued on the next line) at
    text[start:last + 1] has a part that ends elsewhere when backslashes escape."""
    at: int | None = start
    while at is not None and at <= last:
        standard, escaped = _part_end(text, at, False), _part_end(text, at, True)
        if standard != escaped or standard is None:
            return True
        nxt = text.find("'", standard + 1, last + 1)
        at = nxt if nxt >= 0 else None
    return False


def _part_end(text: str, at: int, backslash_escapes: bool) -> int | None:
    """Index of the quote that closes the string part opening at text[at] (None: unterminated)."""
    i, n = at + 1, len(text)
    while i < n:
        c = text[i]
        if c == "\\" and backslash_escapes:
            i += 2
        elif c == "'":
            if i + 1 < n and text[i + 1] == "'":
                i += 2
            else:
                return i
        else:
            i += 1
    return None


def turns_off_standard_strings(text: str, node: dict[str, object] | None) -> bool:
    """True when a statement may turn standard_conforming_strings off: a SET (LOCAL, of a role, a
    database, the system, a function) of it to anything but on, or any other statement naming it
    (`set_config('standard_conforming_strings', ...)`, an UPDATE of pg_settings)."""
    if node is not None and "VariableSetStmt" in node:
        return _set_off(node["VariableSetStmt"])
    if not may_mention(text, _MENTION_WORDS) or _MENTION.search(text) is None:
        return False
    from pglast import parser

    try:
        tree = json.loads(parser.parse_sql_json(text))
    except (parser.ParseError, ValueError, RecursionError):
        return SETTING in text.lower()
    sets = list(_variable_sets(tree))
    if sets:
        return any(_set_off(s) for s in sets) or _names_setting_elsewhere(text, len(sets))
    return SETTING in text.lower()


def _names_setting_elsewhere(text: str, sets: int) -> bool:
    """The setting is named more often than the SETs of it account for (`set_config(...)` too)."""
    return text.lower().count(SETTING) > sets


def _variable_sets(tree: object) -> list[dict[str, object]]:
    """Every SET of the setting in a parse tree (SET, ALTER ROLE/DATABASE/SYSTEM SET, a function's SET)."""
    out: list[dict[str, object]] = []
    stack = [tree]
    while stack:
        cur = stack.pop()
        if isinstance(cur, dict):
            vs = cur.get("VariableSetStmt")
            if isinstance(vs, dict) and str(vs.get("name", "")).lower() == SETTING:
                out.append(vs)
            stack.extend(cur.values())
        elif isinstance(cur, list):
            stack.extend(cur)
    return out


def _set_off(vs: object) -> bool:
    if not isinstance(vs, dict) or str(vs.get("name", "")).lower() != SETTING:
        return False
    if vs.get("kind") in ("VAR_SET_DEFAULT", "VAR_RESET", "VAR_RESET_ALL"):
        return False
    values = [_const(a) for a in vs.get("args") or ()]
    return not values or any(v is None or v.strip().lower() not in _ON for v in values)


def _const(arg: object) -> str | None:
    const = arg.get("A_Const") if isinstance(arg, dict) else None
    if not isinstance(const, dict):
        return None
    for key, field in (("sval", "sval"), ("ival", "ival"), ("boolval", "boolval")):
        if key in const:
            inner = const[key]
            value = inner.get(field) if isinstance(inner, dict) else inner
            if key == "boolval":
                return "true" if value else "false"
            return str(value if value is not None else 0)
    return None
