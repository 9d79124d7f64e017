"""Identifiers and comments as PostgreSQL's scanner reads them, for the places that find names in raw
text (the call finder of pgtree: which routine a statement runs). The routines a migration creates are
named by PostgreSQL's parser (libpg_query); a call found in text must be named the same way, or a call
PostgreSQL resolves to the migration's routine goes unseen: `f/* x */()`, `f$x()`, `U&"\\0066"()`, a
name truncated to 63 bytes, `Éf()` (PostgreSQL folds ASCII letters only)."""

from __future__ import annotations

import re

PG_IDENT = r'(?:[Uu]&"(?:[^"]|"")*"(?:\s*UESCAPE\s*\'[^\']\')?|"(?:[^"]|"")*"|[^\W\d][\w$]*)'
"""An identifier as PostgreSQL's scanner reads it: `U&"\\0066"`, `"Quoted"`, `name$with$dollars`."""
_NAMEDATALEN = 63
"""PostgreSQL truncates a longer identifier to this many bytes (NAMEDATALEN - 1)."""


def pg_ident(raw: str) -> str:
    """An identifier as PostgreSQL names the object: a quoted one as written (`""` is one quote), a
    `U&"..."` one with its escapes decoded, any other folded to lower case in ASCII only (`Éf` stays
    `Éf`, as PostgreSQL's downcase_identifier leaves non-ASCII letters); truncated to 63 bytes."""
    if raw[:2] in ('U&', 'u&'):
        m = re.match(r'[Uu]&"((?:[^"]|"")*)"(?:\s*UESCAPE\s*\'([^\']))?', raw, re.IGNORECASE)
        name = _unescape_u(m.group(1).replace('""', '"'), m.group(2) or "\\") if m else raw
    elif raw.startswith('"'):
        name = raw[1:-1].replace('""', '"')
    else:
        name = raw.translate(_ASCII_LOWER)
    data = name.encode("utf-8")
    if len(data) > _NAMEDATALEN:
        name = data[:_NAMEDATALEN].decode("utf-8", "ignore")
    return name


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _unescape_u(text: str, esc: str) -> str:
    """The escapes of a `U&"..."` identifier: `\\XXXX`, `\\+XXXXXX`, `\\\\` (with its UESCAPE character)."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == esc and i + 1 < n:
            if text[i + 1] == esc:
                out.append(esc)
                i += 2
                continue
            width = 7 if text[i + 1] == "+" else 4
            digits = text[i + 1:i + 1 + width].lstrip("+")
            if len(digits) == 6 if width == 7 else len(digits) == 4:
                try:
                    out.append(chr(int(digits, 16)))
                    i += 1 + width
                    continue
                except ValueError:
                    pass
        out.append(c)
        i += 1
    return "".join(out)


def decomment(text: str) -> str:
    """`text` with its comments (`-- ...`, nested `/* ... */`) turned into a space, strings, quoted
    identifiers and dollar quotes kept as they are (one pass)."""
    if "--" not in text and "/*" not in text:
        return text
    out: list[str] = []
    i, n, start = 0, len(text), 0
    while i < n:
        c = text[i]
        if c in "'\"":
            j = text.find(c, i + 1)
            while j != -1 and j + 1 < n and text[j + 1] == c:
                j = text.find(c, j + 2)
            i = n if j == -1 else j + 1
        elif c == "$":
            m = _DOLLAR.match(text, i)
            if m is None:
                i += 1
            else:
                j = text.find(m.group(0), m.end())
                i = n if j == -1 else j + len(m.group(0))
        elif text.startswith("--", i):
            j = text.find("\n", i)
            out.append(text[start:i] + " ")
            i = start = n if j == -1 else j
        elif text.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            out.append(text[start:i] + " ")
            i = start = j
        else:
            i += 1
    out.append(text[start:])
    return "".join(out)


_DOLLAR = re.compile(r"\$(?:[^\W\d$][\w]*)?\$")
