"""Config files (YAML, JSON, TOML) as plain values, with positions on demand.

Parsing is done twice only when needed: a fast pass builds the values (and still notices duplicate
keys); positions (1-based line/column of every key and value, by JSON path) are computed lazily,
for the files where a finding needs them. The research behind this: parsing with positions costs
about twice a plain parse, and only the ~5 % of files that fail need it.

* YAML: `readiness.yamlpos` (libyaml composer, alias budget, timestamps kept as strings, every
  document of a multi-document stream), resolved by the YAML 1.2 core schema as GitHub,
  Kubernetes and ruamel.yaml read config files: `on:` is the key "on", not `true`.
* JSON: `json.loads` (C) for values and duplicate detection; a small position-keeping scanner
  for positions.
* TOML: dates and times are what the file means, RFC 3339 strings (as check-jsonschema gives
  them to the schema): an offset date-time `1979-05-27T07:32:00-08:00` as written, a local one
  with `Z` appended, a local date `1979-05-27`, a local time `07:32:00Z`. So `type: string` and
  `format: date-time` apply, and messages show the text, not a Python repr.
  `tomllib` has no positions. Keys are mapped to lines by a line scan of table headers
  (`[a.b]`, `[[a.b]]`) and `key = value` lines (dotted keys too). Limits: keys inside inline
  tables, and elements of arrays, are positioned at the line of the key that holds them.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from readiness import lazyre
from readiness.errors import value_problem
from readiness.yamlpos import Core, Pos, YamlError, load_all

PathKey = tuple[str | int, ...]
"""A JSON path: mapping keys as strings, sequence indexes as ints."""

FORMATS = {".yaml": "yaml", ".yml": "yaml", ".json": "json", ".toml": "toml"}
YAML_CORE: Core = "1.2"
"""Config files are read as YAML 1.2 (only `true`/`false` are booleans)."""


def format_of(path: str) -> str | None:
    """`yaml`, `json` or `toml` by the file name, else None."""
    dot = path.rfind(".")
    return FORMATS.get(path[dot:].lower()) if dot >= 0 else None


class ParseProblem(Exception):
    """The file is not valid in its format; `line`/`column` are 1-based when known."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.line = line
        self.column = column


@dataclass(frozen=True, slots=True)
class Positions:
    """Where each key and value of one document is written."""

    keys: Mapping[PathKey, Pos]
    """Position of each mapping key, by the path of its value."""
    values: Mapping[PathKey, Pos]
    """Position of each value (a mapping or sequence: where it starts)."""

    def of_value(self, path: PathKey) -> Pos:
        """The value at `path`, else its key, else the nearest enclosing thing."""
        p = tuple(path)
        while p:
            pos = self.values.get(p) or self.keys.get(p)
            if pos is not None:
                return pos
            p = p[:-1]
        return self.values.get((), Pos(1, 1))

    def of_key(self, path: PathKey) -> Pos:
        """The key of `path` when it has one (the root: where it starts), else as `of_value`."""
        pos = self.keys.get(tuple(path))
        return pos if pos is not None else self.of_value(path)


@dataclass(frozen=True, slots=True)
class Duplicate:
    """A mapping key written twice in one mapping: the last one wins, silently."""

    doc: int
    """Document index in the file."""
    path: PathKey
    """The key's path."""
    first: Pos
    """Where it is first written."""
    again: Pos
    """Where it is written again."""


@dataclass(slots=True)
class ParsedFile:
    """One config file's documents, with positions computed on first use."""

    path: str
    """Repository-relative path."""
    fmt: str
    """`yaml`, `json` or `toml`."""
    text: str
    """The file's text."""
    docs: list[Any]
    """The documents' values (one for JSON and TOML)."""
    duplicates: list[Duplicate] = field(default_factory=list)
    """Duplicate keys (YAML and JSON; TOML refuses them as a parse error)."""
    _positions: list[Positions] | None = None

    def positions(self, doc: int = 0) -> Positions:
        """Positions of document `doc` (computed once per file)."""
        if self._positions is None:
            try:
                self._positions = _positions(self.fmt, self.text)
            except (ParseProblem, YamlError):  # valid for the fast parser, not for the scanner
                self._positions = []
        if doc < len(self._positions):
            return self._positions[doc]
        return Positions({}, {})

    def line_text(self, line: int) -> str:
        """The text of a 1-based line ('' past the end)."""
        lines = self.text.splitlines()
        return lines[line - 1] if 0 < line <= len(lines) else ""


def parse(path: str, text: str, fmt: str) -> ParsedFile:
    """Parse `text` as `fmt`; ParseProblem when it is not valid."""
    if fmt == "yaml":
        return _parse_yaml(path, text)
    if fmt == "json":
        return _parse_json(path, text)
    if fmt == "toml":
        return _parse_toml(path, text)
    raise ParseProblem(f"unknown config format {fmt!r}")


# YAML -------------------------------------------------------------------------------------------
def _parse_yaml(path: str, text: str) -> ParsedFile:
    try:
        docs = load_all(text, positions=False, core=YAML_CORE)
    except YamlError as exc:
        raise ParseProblem(str(exc), exc.line, exc.column) from None
    dups = [Duplicate(i, p, first, again) for i, d in enumerate(docs) for p, first, again in d.duplicates]
    return ParsedFile(path=path, fmt="yaml", text=text, docs=[d.value for d in docs], duplicates=dups)


def _yaml_positions(text: str) -> list[Positions]:
    return [Positions(d.keys, d.values) for d in load_all(text, core=YAML_CORE)]


# JSON -------------------------------------------------------------------------------------------
class _DuplicateSeen(Exception):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise _DuplicateSeen
    return out


def _parse_json(path: str, text: str) -> ParsedFile:
    try:
        value = json.loads(text, object_pairs_hook=_no_duplicates)
    except _DuplicateSeen:
        scan = _JsonScanner(text)
        try:
            value = scan.document()
        except ValueError as exc:  # the scanner reads numbers with int(): Python's digit limit
            raise ParseProblem(f"JSON not read: {value_problem(exc)}") from None
        dups = [Duplicate(0, p, first, again) for p, first, again in scan.duplicates]
        return ParsedFile(path=path, fmt="json", text=text, docs=[value], duplicates=dups,
                          _positions=[Positions(scan.keys, scan.values)])
    except json.JSONDecodeError as exc:
        raise ParseProblem(f"JSON syntax error: {exc.msg}", exc.lineno, exc.colno) from None
    except ValueError as exc:
        raise ParseProblem(f"JSON not read: {value_problem(exc)}") from None
    except RecursionError:
        raise ParseProblem("JSON nesting too deep; refused") from None
    return ParsedFile(path=path, fmt="json", text=text, docs=[value])


_scanstring: Any = getattr(json.decoder, "scanstring")  # noqa: B009 - untyped in typeshed
_WS = lazyre.compile(r"[ \t\n\r]*")
_NUMBER = lazyre.compile(r"-?(?:0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?")
_LITERALS = {"true": True, "false": False, "null": None}


class _JsonScanner:
    """A recursive-descent JSON reader that records where each key and value starts."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self.keys: dict[PathKey, Pos] = {}
        self.values: dict[PathKey, Pos] = {}
        self.duplicates: list[tuple[PathKey, Pos, Pos]] = []

    def pos(self, offset: int) -> Pos:
        line = bisect.bisect_right(self.starts, offset)
        return Pos(line, offset - self.starts[line - 1] + 1)

    def fail(self, offset: int, what: str) -> ParseProblem:
        p = self.pos(offset)
        return ParseProblem(f"JSON syntax error: {what}", p.line, p.column)

    def ws(self, i: int) -> int:
        m = _WS.match(self.text, i)
        return m.end() if m else i

    def document(self) -> Any:
        try:
            value, end = self.value(self.ws(0), ())
        except RecursionError:
            raise ParseProblem("JSON nesting too deep; refused") from None
        end = self.ws(end)
        if end != len(self.text):
            raise self.fail(end, "extra data after the document")
        return value

    def value(self, i: int, path: PathKey) -> tuple[Any, int]:
        text = self.text
        if i >= len(text):
            raise self.fail(i, "unexpected end of text")
        self.values[path] = self.pos(i)
        c = text[i]
        if c == "{":
            return self.obj(i + 1, path)
        if c == "[":
            return self.arr(i + 1, path)
        if c == '"':
            return self.string(i)
        m = _NUMBER.match(text, i)
        if m:
            num = m.group()
            return (float(num) if m.group(1) or m.group(2) else int(num)), m.end()
        for word, val in _LITERALS.items():
            if text.startswith(word, i):
                return val, i + len(word)
        raise self.fail(i, f"unexpected character {c!r}")

    def string(self, i: int) -> tuple[str, int]:
        try:
            value, end = _scanstring(self.text, i + 1)
            return value, end
        except json.JSONDecodeError as exc:
            raise self.fail(exc.pos, exc.msg) from None

    def obj(self, i: int, path: PathKey) -> tuple[dict[str, Any], int]:
        out: dict[str, Any] = {}
        seen: dict[str, Pos] = {}
        i = self.ws(i)
        if self.text.startswith("}", i):
            return out, i + 1
        while True:
            if not self.text.startswith('"', i):
                raise self.fail(i, "expected a property name in double quotes")
            kpos = self.pos(i)
            key, i = self.string(i)
            child = (*path, key)
            if key in seen:
                self.duplicates.append((child, seen[key], kpos))
            else:
                seen[key] = kpos
            self.keys[child] = kpos
            i = self.ws(i)
            if not self.text.startswith(":", i):
                raise self.fail(i, "expected ':'")
            out[key], i = self.value(self.ws(i + 1), child)
            i = self.ws(i)
            if self.text.startswith(",", i):
                i = self.ws(i + 1)
                continue
            if self.text.startswith("}", i):
                return out, i + 1
            raise self.fail(i, "expected ',' or '}'")

    def arr(self, i: int, path: PathKey) -> tuple[list[Any], int]:
        out: list[Any] = []
        i = self.ws(i)
        if self.text.startswith("]", i):
            return out, i + 1
        while True:
            item, i = self.value(i, (*path, len(out)))
            out.append(item)
            i = self.ws(i)
            if self.text.startswith(",", i):
                i = self.ws(i + 1)
                continue
            if self.text.startswith("]", i):
                return out, i + 1
            raise self.fail(i, "expected ',' or ']'")


def _json_positions(text: str) -> list[Positions]:
    scan = _JsonScanner(text)
    scan.document()
    return [Positions(scan.keys, scan.values)]


# TOML -------------------------------------------------------------------------------------------
_TOML_AT = lazyre.compile(r"\(at line (\d+), column (\d+)\)")
MAX_SCAN_LINE = 65_536
"""TOML lines longer than this are not scanned for keys (their values are placed at their table)."""
_TOML_KEY = lazyre.compile(r"^([ \t]*+)((?:[A-Za-z0-9_-]++|\"(?:[^\"\\]|\\.)*+\"|'[^']*+')"
                           r"(?:[ \t]*+\.[ \t]*+(?:[A-Za-z0-9_-]++|\"(?:[^\"\\]|\\.)*+\"|'[^']*+'))*+)[ \t]*+=[ \t]*+")
_TOML_PART = lazyre.compile(r"[ \t]*+([A-Za-z0-9_-]++|\"(?:[^\"\\]|\\.)*+\"|'[^']*+')[ \t]*+(?:\.|$)")


def _parse_toml(path: str, text: str) -> ParsedFile:
    import tomllib

    try:
        value = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = _TOML_AT.search(str(exc))
        msg = _TOML_AT.sub("", str(exc)).strip()
        if m:
            raise ParseProblem(f"TOML syntax error: {msg}", int(m.group(1)), int(m.group(2))) from None
        raise ParseProblem(f"TOML syntax error: {msg}") from None
    except ValueError as exc:
        raise ParseProblem(f"TOML not read: {value_problem(exc)}") from None
    except RecursionError:
        raise ParseProblem("TOML nesting too deep; refused") from None
    return ParsedFile(path=path, fmt="toml", text=text, docs=[_toml_json(value)])


def _toml_json(value: Any) -> Any:
    """TOML values as JSON Schema sees them: dates and times become RFC 3339 strings."""
    import datetime

    if isinstance(value, dict):
        return {k: _toml_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_toml_json(v) for v in value]
    if isinstance(value, datetime.datetime | datetime.time):
        return value.isoformat() + ("Z" if value.tzinfo is None else "")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def _toml_key_parts(dotted: str) -> list[str]:
    parts: list[str] = []
    for m in _TOML_PART.finditer(dotted):
        raw = m.group(1)
        if raw.startswith('"'):
            raw = json.loads(raw)
        elif raw.startswith("'"):
            raw = raw[1:-1]
        parts.append(raw)
    return parts


def _toml_header(line: str) -> tuple[int, bool, str] | None:
    """`[a.b]` or `[[a.b]]` (with an optional comment): (column, array of tables, dotted key); None
    for any other line, such as `[1, 2],` inside a multi-line array. One pass, no regex
    backtracking (the regex this replaces was quadratic in a line's whitespace)."""
    stripped = line.lstrip(" \t")
    if not stripped.startswith("["):
        return None
    array = stripped.startswith("[[")
    body = stripped[2 if array else 1:]
    i, quote, n = 0, "", len(body)
    while i < n:
        c = body[i]
        if quote:
            if c == "\\" and quote == '"':
                i += 2
                continue
            if c == quote:
                quote = ""
        elif c in "\"'":
            quote = c
        elif c == "]":
            break
        i += 1
    else:
        return None
    key, rest = body[:i].strip(" \t"), body[i + 1:]
    if array:
        if not rest.startswith("]"):
            return None
        rest = rest[1:]
    rest = rest.strip(" \t")
    if not key or (rest and not rest.startswith("#")):
        return None
    return len(line) - len(stripped) + 1, array, key


def _toml_positions(text: str) -> list[Positions]:
    """Line-scan positions of TOML keys (see the module docstring for the limits)."""
    keys: dict[PathKey, Pos] = {}
    values: dict[PathKey, Pos] = {(): Pos(1, 1)}
    table: PathKey = ()
    aot: dict[PathKey, int] = {}  # array-of-tables path -> index of its current element
    in_string: str | None = None

    def resolve(parts: list[str]) -> PathKey:
        out: list[str | int] = []
        for part in parts:
            out.append(part)
            idx = aot.get(tuple(out))
            if idx is not None:
                out.append(idx)
        return tuple(out)

    for lineno, line in enumerate(text.splitlines(), start=1):
        if in_string is not None:
            if line.count(in_string) % 2 == 1:
                in_string = None
            continue
        if len(line) > MAX_SCAN_LINE:
            continue
        header = _toml_header(line)
        if header and not _TOML_KEY.match(line):
            col, array, dotted = header
            parts = _toml_key_parts(dotted)
            if array:
                base = (*resolve(parts[:-1]), parts[-1])
                aot[base] = aot.get(base, -1) + 1
                table = (*base, aot[base])
                keys.setdefault(base, Pos(lineno, col))
                values.setdefault(base, Pos(lineno, col))
            else:
                table = resolve(parts)
                keys.setdefault(table, Pos(lineno, col))
            values.setdefault(table, Pos(lineno, col))
            continue
        m = _TOML_KEY.match(line)
        if m is None:
            continue
        path = table
        kcol = len(m.group(1)) + 1
        for part in _toml_key_parts(m.group(2)):
            path = (*path, part)
            keys.setdefault(path, Pos(lineno, kcol))
        values[path] = Pos(lineno, m.end() + 1)
        rest = line[m.end():]
        for quote in ('"""', "'''"):
            if rest.startswith(quote) and rest.count(quote) % 2 == 1:
                in_string = quote
    return [Positions(keys, values)]


def _positions(fmt: str, text: str) -> list[Positions]:
    if fmt == "yaml":
        return _yaml_positions(text)
    if fmt == "json":
        return _json_positions(text)
    return _toml_positions(text)
