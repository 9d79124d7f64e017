"""A migration that switches the session's client encoding to one the gate cannot read it in.

The gate reads a migration as UTF-8 (pglast lexes UTF-8). After `SET client_encoding = 'GBK'` the
server reads the rest of the file's bytes as GBK, where a multibyte character can end in the byte
0x5C (backslash) or take a quote byte's place: the UTF-8 bytes of `中` followed by `\\` are two GBK
characters, so `E'中\\'` is a closed string to the server and `; DROP TABLE users; --` after it runs,
while the gate sees one string and one SELECT. PostgreSQL allows these encodings only on the client
side for that reason (BIG5, GBK, GB18030, JOHAB, SJIS, SHIFT_JIS_2004, UHC and their aliases).

What the gate cannot read fails closed: a statement that sets the client encoding to anything but
an encoding known to keep ASCII bytes ASCII (UTF-8, SQL_ASCII, the LATIN/ISO-8859, WIN125x, KOI8 and
EUC families: every encoding a server can use) becomes a `dynamic_sql` operation (`mislexed`): a
client-only encoding, a name PostgreSQL does not know, and a value computed at run time alike.
`SET`/`SET NAMES`/`SET LOCAL`, `RESET` and `DEFAULT`, `set_config()`, an `UPDATE` of
`pg_settings` and `ALTER ROLE/DATABASE ... SET` (later sessions) are read; a `set_config()` of a
computed setting name may be this one, and fails closed too. psql's `\\encoding` is not SQL: it is a
parse error, which fails closed already.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from readiness import lazyre
from readiness.gates.migrations.mentions import may_mention
from readiness.gates.migrations.ops import Action, Flag, Op

if TYPE_CHECKING:
    from readiness.gates.migrations.sql import Statement

_HINT = lazyre.compile(r"client_encoding|set_config|\bNAMES\b", re.IGNORECASE)
"""Cheap test: statements without any of these words cannot change the client encoding."""
_HINT_WORDS = ("client_encoding", "set_config", "names")
"""What `_HINT` needs (`may_mention` first: most statements name none of them)."""
_LITERAL = r"(?:[EN]?'(?:[^']|'')*')"
"""A string constant (a dollar-quoted one is read as a computed value: it fails closed)."""
_VALUE = rf"(?:{_LITERAL}|[\w$.\"]+)"
_ASSIGN = lazyre.compile(rf"\bclient_encoding\s*(?:=|\bTO\b)\s*(?P<v>{_VALUE})?", re.IGNORECASE | re.DOTALL)
"""`client_encoding = x` / `client_encoding TO x` outside a SET statement (ALTER ROLE/DATABASE ...
SET, a function's SET clause); a SET statement (`SET NAMES x` too) is read from its tree."""
_NAMES = lazyre.compile(rf"SET\s+(?:(?:SESSION|LOCAL)\s+)?NAMES\b\s*(?P<v>{_VALUE})?", re.IGNORECASE | re.DOTALL)
"""`SET NAMES x` read without a tree (at the statement's start)."""
_SET_CONFIG = lazyre.compile(rf"\bset_config\s*\(\s*(?P<name>{_LITERAL})?(?:\s*,\s*(?P<v>{_LITERAL})?)?",
                             re.IGNORECASE | re.DOTALL)
_SETTINGS = lazyre.compile(r"\bpg_settings\b", re.IGNORECASE)
_SETTING_VALUE = lazyre.compile(rf"\bsetting\s*=\s*(?P<v>{_LITERAL})?", re.IGNORECASE | re.DOTALL)

SAFE = frozenset({
    "utf8", "unicode", "sqlascii", "muleinternal", "abc", "alt", "win", "tcvn", "tcvn5712", "vscii",
    "euccn", "eucjp", "euckr", "euctw", "eucjis2004", "koi8", "koi8r", "koi8u",
    *(f"latin{i}" for i in range(1, 11)), *(f"iso8859{i}" for i in (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 13, 14, 15, 16)),
    *(f"win{n}" for n in (866, 874, *range(1250, 1259))), *(f"windows{n}" for n in (866, 874, *range(1250, 1259))),
})
"""PostgreSQL's encoding names (encnames.c, as clean_encoding_name folds them: lower case, letters
and digits only) of the encodings a server can use: none of them has a multibyte character with
an ASCII byte in it."""


def _clean(value: str) -> str:
    """An encoding name as PostgreSQL compares it: unquoted, lower case, letters and digits only."""
    v = value.strip()
    if v[:1] in "EeNn" and v[1:2] == "'":
        v = v[1:]
    if v[:1] == "'" and v.endswith("'"):
        v = v[1:-1].replace("''", "'")
    elif v[:1] == '"' and v.endswith('"'):
        v = v[1:-1]
    return "".join(ch for ch in v.lower() if ch.isascii() and ch.isalnum())


def _unsafe(value: str | None) -> bool:
    """A value the client encoding may be set to that the gate cannot read the file in: a
    client-only encoding, a name that is no encoding, or one computed at run time (None)."""
    if value is None:
        return True
    if value.upper() in ("DEFAULT",):
        return False
    return _clean(value) not in SAFE


def client_encoding_ops(stmt: Statement) -> list[Op]:
    """A `dynamic_sql` operation when the statement may switch the client encoding to one the gate
    cannot read the rest of the file in."""
    from readiness.gates.migrations.sql import normalize

    text = stmt.text
    if not may_mention(text, _HINT_WORDS) or _HINT.search(text) is None:
        return []
    why = _why(text, stmt.node)
    if why is None:
        return []
    return [Op(action=Action.DYNAMIC_SQL, detail=why, flags=frozenset({Flag.MISLEXED}), line=stmt.line,
               col=stmt.column, end_line=stmt.end_line, evidence=normalize(text))]


def _why(text: str, node: dict[str, Any] | None) -> str | None:
    """What sets an unreadable client encoding in `text`, or None."""
    body = (node or {}).get("VariableSetStmt")
    if isinstance(body, dict):
        if str(body.get("name", "")).lower() != "client_encoding":
            return None
        if body.get("kind") in ("VAR_SET_DEFAULT", "VAR_RESET", "VAR_RESET_ALL"):
            return None
        args = body.get("args") or []
        consts = [str(((a.get("A_Const") or {}).get("sval") or {}).get("sval", "")) for a in args
                  if isinstance(a, dict) and "sval" in (a.get("A_Const") or {})]
        value = consts[0] if len(consts) == 1 == len(args) else None
        return None if not _unsafe(value) else f"SET client_encoding to {value or 'a value computed at run time'}"
    m = _NAMES.match(text) if node is None else None
    if m is not None and _unsafe(m.group("v")):
        return f"SET NAMES {(m.group('v') or 'computed at run time')[:40]}"
    for m in _ASSIGN.finditer(text):
        if _unsafe(m.group("v")):
            return f"client encoding {(m.group('v') or 'computed at run time')[:40]}"
    for m in _SET_CONFIG.finditer(text):
        name = m.group("name")
        if name is None:
            return "set_config() of a setting named at run time (it may be client_encoding)"
        if _clean(name) == "clientencoding" and _unsafe(m.group("v")):
            return f"set_config('client_encoding', {(m.group('v') or 'a computed value')[:40]})"
    if _SETTINGS.search(text) and "client_encoding" in text.lower():
        for m in _SETTING_VALUE.finditer(text):
            if _unsafe(m.group("v")):
                return f"pg_settings client_encoding set to {(m.group('v') or 'a computed value')[:40]}"
    return None


# -- the runner's file encoding (review R6a-15) ------------------------------------------------------
# Flyway reads a script in the encoding its configuration names (`flyway.encoding`,
# `spring.flyway.encoding`, the script's own `V2__x.sql.conf` `encoding=`) and Liquibase an
# `<sqlFile encoding=...>`; the statement boundaries the runner sees are those of that reading.
# An encoding that keeps ASCII bytes ASCII has the same boundaries as the gate's UTF-8 reading: the
# file is read in it when Python knows it (a Latin-1 file is then judged, not refused). Any other
# encoding (GBK, BIG5, SJIS, UTF-16, a name nobody knows) fails closed, as SET client_encoding does.

_JAVA_SAFE = frozenset({"ascii", "usascii", "iso646us", "utf8", "cp367", "cp819", "l1", "ibm819",
                        *(f"cp{n}" for n in (866, 874, *range(1250, 1259))),
                        *(f"iso8859{i}" for i in (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16))})
"""Java's spellings (Charset names and aliases, cleaned) of ASCII-safe encodings PostgreSQL names otherwise."""
_PY_ALIAS = {**{f"win{n}": f"cp{n}" for n in (866, 874, *range(1250, 1259))}, "unicode": "utf-8",
             "sqlascii": "latin-1", "koi8": "koi8-r", "koi8r": "koi8-r", "koi8u": "koi8-u", "latin9": "iso8859-15"}
"""PostgreSQL spellings Python's codec registry does not know, as the codec it knows."""


def file_encoding_safe(name: str) -> bool:
    """A runner's file encoding whose statement boundaries are those of the gate's UTF-8 reading."""
    clean = _clean(name)
    return clean in SAFE or clean in _JAVA_SAFE


def decode_as(data: bytes, name: str) -> str | None:
    """`data` read in the ASCII-safe encoding `name` (a BOM dropped, as the runners do), or None
    when Python does not know it (its boundaries are then those of the UTF-8 reading)."""
    import codecs

    for candidate in (name.strip(), _PY_ALIAS.get(_clean(name), "")):
        if not candidate:
            continue
        try:
            codec = codecs.lookup(candidate).name
        except LookupError:
            continue
        if codec == "utf-8":
            codec = "utf-8-sig"
        return data.decode(codec, "replace")
    return None
