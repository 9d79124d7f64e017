"""PostgreSQL text -> statements with exact positions, through the server's own parser (pglast).

pglast (libpg_query) is imported lazily. A file is parsed ONCE, to libpg_query's JSON; the JSON is
cut into one piece per statement without decoding it, and only statements whose leading keywords
can give an operation some check reads (derived from the registered checks: `wants_tree`) are
decoded into a tree, because building Python objects for big views and functions is where the
time goes. libpg_query's statement locations are UTF-8 byte offsets and are
converted to character offsets here; pglast's scanner split and error positions (the salvage path
for files that do not parse) are already character offsets.

Why over 500 lines: the text every runner hands PostgreSQL is made here, once, before it is split
(placeholders, templates, goose's ENVSUB expansion), so that the split, the positions and the
expansion that decides what the statements say cannot drift apart.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from readiness import lazyre

_LEADING_JUNK = lazyre.compile(r"(?:\s+|--[^\n]*|/\*.*?\*/)*", re.DOTALL)
_TAIL = lazyre.compile(r'(?:,"stmt_location":(\d+))?(?:,"stmt_len":(\d+))?\}')


class Statement(NamedTuple):
    """One SQL statement of a file (or of a section / embedded string).

    A named tuple rather than a frozen dataclass: files hold thousands of statements, and a
    frozen dataclass's __init__ costs a setattr call per field."""

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
    start: int = 0
    """UTF-8 byte offset of the statement's first character in the text the tree was parsed from:
    the tree's `location` fields count from there (see `position`)."""
    continuation_column: int = 1
    """Column of a character after a newline (the Origin's; 1 for plain text)."""
    cut: bool = False
    """Its tree nests too deeply to be read whole: the deep parts were cut (`loads_cut`), so what
    they hold is reported as not read."""

    def position(self, location: int) -> tuple[int, int] | None:
        """(line, column) of a tree node's `location`; None when it is not inside this statement."""
        return self.positions([location])[0]

    def positions(self, locations: list[int]) -> list[tuple[int, int] | None]:
        """`position` of each location, in one pass over the text (a CREATE TABLE of thousands of
        columns asks for each: one scan per column from the start was quadratic)."""
        text = self.text
        ascii_text = text.isascii()
        raw = b"" if ascii_text else text.encode("utf-8")
        size = len(text) if ascii_text else len(raw)
        out: list[tuple[int, int] | None] = [None] * len(locations)
        byte_at = char_at = newlines = 0
        last_newline = -1
        for k in sorted(range(len(locations)), key=locations.__getitem__):
            rel = locations[k] - self.start
            if rel < 0 or rel > size:
                continue
            if ascii_text:
                char = rel
            else:  # node locations are token starts: a whole number of characters from the last one
                char = char_at + len(raw[byte_at:rel].decode("utf-8", "ignore"))
                byte_at = rel
            newlines += text.count("\n", char_at, char)
            found = text.rfind("\n", char_at, char)
            last_newline = found if found >= 0 else last_newline
            char_at = char
            if not newlines:
                out[k] = (self.line, self.column + char)
            else:
                out[k] = (self.line + newlines, self.continuation_column + char - last_newline - 1)
        return out


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
    """Offset -> (line, column) for one text, mapped through an Origin.

    Statements are asked for in increasing order, so a cursor counts newlines only over the
    stretch since the previous answer (C-speed `str.count`), instead of indexing every line.
    """

    __slots__ = ("text", "origin", "_offset", "_line", "_line_start")

    def __init__(self, text: str, origin: Origin) -> None:
        self.text = text
        self.origin = origin
        self._offset = 0
        self._line = 0
        """Newlines before `_offset`."""
        self._line_start = 0
        """Offset of the first character of the line holding `_offset`."""

    def at(self, offset: int) -> tuple[int, int]:
        text = self.text
        if offset < self._offset:
            self._offset = self._line = self._line_start = 0
        newlines = text.count("\n", self._offset, offset)
        if newlines:
            self._line += newlines
            self._line_start = text.rfind("\n", self._offset, offset) + 1
        self._offset = offset
        col = offset - self._line_start
        if self._line == 0:
            return self.origin.line, self.origin.column + col
        return self.origin.line + self._line, self.origin.continuation_column + col


_WANTS: Callable[[str], bool] | None = None


def wants_tree(text: str) -> bool:
    """True when a statement can give an operation some check reads, so it is worth a parse tree
    (derived from the registered checks: `checks.tree_test`)."""
    global _WANTS
    if _WANTS is None:
        from readiness.gates.migrations.checks import tree_test

        _WANTS = tree_test()
    return _WANTS(text)


def parse(text: str, origin: Origin | None = None, *,
          trees: bool | Callable[[str], bool] = True) -> tuple[list[Statement], list[SqlError]]:
    """Split and parse `text`; statements the parser rejects come back as SqlErrors, never raise.

    `trees=False` checks and splits only (no statement gets a tree), for texts whose statements
    are counted but not judged; a function of the statement text replaces `wants_tree` (only the
    statements it accepts get a tree), for texts read for a few statements only."""
    from pglast import parser

    lines = _Lines(text, origin or Origin())
    cont = lines.origin.continuation_column
    test = _tree_test(trees)
    try:
        tree = parser.parse_sql_json(text)
    except parser.ParseError:
        return _salvage(text, lines, trees=trees)
    stmts: list[Statement] = []
    utf8 = None if text.isascii() else text.encode("utf-8")
    byte_at = char_at = 0
    raw_stmts, decoded_cut = _raw_statements(tree)
    for node_json, location, length in raw_stmts:
        if utf8 is None:
            start = location
            raw = text[location:location + length] if length else text[location:]
        else:  # libpg_query counts UTF-8 bytes; statements start on character boundaries
            char_at += len(utf8[byte_at:location].decode("utf-8"))
            byte_at, start = location, char_at
            raw = (utf8[location:location + length] if length else utf8[location:]).decode("utf-8")
        body = raw.lstrip()
        lead = len(raw) - len(body)
        start += lead
        body = body.rstrip()
        if not body:
            continue
        node: dict[str, Any] | None = None
        cut = False
        if test is not None and test(body):
            node, cut = (node_json, decoded_cut) if isinstance(node_json, dict) else loads_cut(node_json)
        line, col = lines.at(start)
        at_byte = location + (lead if utf8 is None else len(raw[:lead].encode("utf-8")))
        stmts.append(Statement(body, line, col, line + body.count("\n"), node, at_byte, cont, cut))
    return stmts, []


MAX_TREE_DEPTH = 300
"""JSON nesting kept when a statement's tree is too deep for `json.loads` (a 500-term expression):
deeper subtrees become `{"Deep": {}}` (a cut list keeps one such element), which the rules read as an
unknown expression (volatile); the statement is also reported as not wholly read (`Statement.cut`)."""
_JSON_TOKEN = lazyre.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def loads(text: str) -> Any:
    """`json.loads`, except that a tree nested too deeply for Python's decoder is decoded with its
    deep subtrees cut (`MAX_TREE_DEPTH`), never a RecursionError: the statement is still judged."""
    return loads_cut(text)[0]


def loads_cut(text: str) -> tuple[Any, bool]:
    """`loads`, and whether a part was cut: what was cut cannot be read, so the caller reports it
    (a PL/pgSQL body nested hundreds of blocks deep must not hide the statements inside)."""
    try:
        return json.loads(text), False
    except RecursionError:
        return json.loads(_pruned(text, MAX_TREE_DEPTH)), True


def _pruned(text: str, limit: int) -> str:
    """`text` (JSON) with every object or array that opens deeper than `limit` replaced by a
    placeholder: one linear pass over its strings and brackets."""
    out: list[str] = []
    depth = 0
    keep_from = 0
    cut_at: int | None = None
    for m in _JSON_TOKEN.finditer(text):
        tok = m.group(0)
        if tok[0] == '"':
            continue
        if tok in "{[":
            depth += 1
            if depth == limit and cut_at is None:
                cut_at = m.start()
        else:
            if depth == limit and cut_at is not None:
                out.append(text[keep_from:cut_at])
                out.append('{"Deep":{}}' if tok == "}" else '[{"Deep":{}}]')
                keep_from = m.end()
                cut_at = None
            depth -= 1
    out.append(text[keep_from:])
    return "".join(out)


def _raw_statements(tree: str) -> tuple[list[tuple[str | dict[str, Any], int, int]], bool]:
    """(statement node, UTF-8 byte location, byte length or 0 for "to the end") per RawStmt.

    The node stays JSON text, so statements no rule needs (views, functions) are never decoded.
    libpg_query writes `{"version":N,"stmts":[{"stmt":NODE,"stmt_location":L,"stmt_len":N},...]}`,
    omitting zero fields. `,{"stmt":` cannot occur inside a string (quotes there are escaped) nor
    deeper in the tree (list elements are `{"NodeType":...}` wrappers), so splitting on it is exact;
    anything unexpected falls back to decoding the whole tree (True: a part of it was cut, and
    every statement counts as cut).
    """
    head = tree.find('"stmts":[{"stmt":')
    if head < 0 or not tree.endswith("]}"):
        return _raw_statements_decoded(tree)
    out: list[tuple[str | dict[str, Any], int, int]] = []
    for piece in tree[head + 17:-2].split(',{"stmt":'):
        cut = piece.rfind("}", 0, len(piece) - 1) + 1
        tail = _TAIL.fullmatch(piece, cut)
        if not cut or tail is None or not piece.startswith('{"'):
            return _raw_statements_decoded(tree)
        out.append((piece[:cut], int(tail.group(1) or 0), int(tail.group(2) or 0)))
    return out, False


def _raw_statements_decoded(tree: str) -> tuple[list[tuple[str | dict[str, Any], int, int]], bool]:
    decoded, cut = loads_cut(tree)
    raws = decoded.get("stmts") or []
    return [(r["stmt"], int(r.get("stmt_location", 0)), int(r.get("stmt_len", 0))) for r in raws], cut


def _statement(body: str, start: int, lines: _Lines, node: dict[str, Any] | None) -> Statement:
    """A statement parsed on its own (the salvage path): its tree's locations count from its start."""
    line, col = lines.at(start)
    return Statement(body, line, col, line + body.count("\n"), node, 0, lines.origin.continuation_column)


def _tree_test(trees: bool | Callable[[str], bool]) -> Callable[[str], bool] | None:
    if trees is True:
        return wants_tree
    return trees if callable(trees) else None


def _salvage(text: str, lines: _Lines, *,
             trees: bool | Callable[[str], bool] = True) -> tuple[list[Statement], list[SqlError]]:
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
    pieces = [(sl.start, sl.stop) for sl in slices]
    end = pieces[-1][1] if pieces else 0
    if text[end:].lstrip("; \t\r\n").strip():
        # The scanner gives no slice for text after an unclosed `(` (nor for what follows it): that
        # text is still SQL the runner may send, so it is parsed (and rejected) as one more piece.
        pieces.append((end + len(text[end:]) - len(text[end:].lstrip("; \t\r\n")), len(text)))
    for sl_start, sl_stop in pieces:
        raw = text[sl_start:sl_stop]
        lead = _LEADING_JUNK.match(raw)
        skip = lead.end() if lead else 0
        start = sl_start + skip
        body = text[start:sl_stop]
        if not body.strip():
            continue
        try:
            test = _tree_test(trees)
            tree, cut = loads_cut(parser.parse_sql_json(body)) if test is not None and test(body) else (None, False)
            tree = tree["stmts"] if tree is not None else None
            if tree is None:
                parser.parse_sql_json(body)
        except parser.ParseError as exc:
            pos = _position(exc)
            line, col = lines.at(start + (len(body) if pos is None else min(pos, len(body))))
            errors.append(SqlError(message=str(exc.args[0]), line=line, column=col, text=body))
            continue
        node = tree[0]["stmt"] if tree else None
        stmts.append(_statement(body.rstrip(), start, lines, node)._replace(cut=cut))
    return stmts, errors


def _position(exc: Exception) -> int | None:
    """The parser's cursor position (a character offset), or None for "at end of input"."""
    args: tuple[object, ...] = tuple(getattr(exc, "args", ()))
    if len(args) > 1 and isinstance(args[1], int) and args[1] >= 0:
        return args[1]
    return None


_GO_SPACE = "[\t\n\f\r ]"
"""Go's regexp `\\s` (dbmate's markers): no vertical tab, no Unicode spaces."""
DBMATE_UP = lazyre.compile(rf"^--{_GO_SPACE}*migrate:up(?:{_GO_SPACE}*$|{_GO_SPACE}+[^\t\n\f\r ]+)", re.MULTILINE)
DBMATE_DOWN = lazyre.compile(rf"^--{_GO_SPACE}*migrate:down(?:{_GO_SPACE}*$|{_GO_SPACE}+[^\t\n\f\r ]+)$", re.MULTILINE)
"""dbmate's markers exactly as dbmate reads them (pkg/dbmate/migration.go): case-sensitive, the first
match in the raw text, and the down marker takes at most one option word (`-- migrate:down x y`,
`-- migrate:down.` and `-- migrate:down-legacy` are not markers: dbmate runs what follows as up)."""
GOOSE_ENVSUB = lazyre.compile(r"^--\s*\+goose\s+ENVSUB\s+ON\b", re.MULTILINE | re.IGNORECASE)
Section = tuple[str, int]
"""A part of a file and the line it starts on."""
_ENVSUB_TOKEN = re.compile(r"\\[\\$]|\$[$({]|\$(?=[^\W\d_])")
"""What goose's interpolation (mfridman/interpolate) acts on: `\\\\`, `\\$`, `$$`, `$(` (kept), `${`, `$name`."""
_ENVSUB_DEPTH = 16


def goose_envsub(text: str) -> tuple[str, list[tuple[int, str]]]:
    """A goose file under `-- +goose ENVSUB ON` as goose sends it when the variables it names are unset
    (the runner's environment is not known here): `${X:-word}` and `${X-word}` are `word` (itself
    expanded); `${X}`, `$X`, `${X:1:2}` and `${X?msg}` are the runner's value, which stays a name
    standing for it (`"{X}"`, `$X` as written), and is returned with its offset in the result, for the
    reader to fail closed on where it decides what is destroyed or filtered. What goose refuses
    (`${1}`, `${X:=y}`) fails the migration before anything runs: it stays a name, as before."""
    if "$" not in text:
        return text, []
    unknown: list[tuple[int, str]] = []
    pieces: list[str] = []
    at = size = 0
    for m in _ENVSUB_TOKEN.finditer(text):
        if m.start() < at:
            continue
        pieces.append(text[at:m.start()])
        size += m.start() - at
        tok = m.group(0)
        if tok != "${":
            if tok == "$":
                end = _name_end(text, m.end())
                unknown.append((size, text[m.start():end]))
                tok = text[m.start():end]
            pieces.append(tok)
            size += len(tok)
            at = m.start() + len(tok)
            continue
        value, end, known = _brace(text, m.start(), 0)
        whole = text[m.start():end]
        if value is None:
            value = f'"{{{whole[2:-1]}}}"' if whole.endswith("}") and "\n" not in whole else whole
        if not known:
            unknown.append((size, whole))
        value += "\n" * max(whole.count("\n") - value.count("\n"), 0)  # lines keep their numbers
        pieces.append(value)
        size += len(value)
        at = end
    pieces.append(text[at:])
    return "".join(pieces), unknown


def _name_end(text: str, i: int) -> int:
    while i < len(text) and (text[i].isalnum() or text[i] == "_"):
        i += 1
    return i


def _brace(text: str, start: int, depth: int) -> tuple[str | None, int, bool]:
    """(what `${...}` at `start` expands to when its variable is unset, None for the runner's value
    or an expansion goose refuses; where it ends; whether the value is known)."""
    close = text.find("}", start)
    fallback = (None, len(text) if close < 0 else close + 1, False)
    i = start + 2
    if depth > _ENVSUB_DEPTH or i >= len(text) or not text[i].isalpha():
        return fallback
    i = _name_end(text, i)
    if i >= len(text) or text[i] == "}":
        return fallback
    if text[i] == "-" or text.startswith(":-", i):
        i += 1 if text[i] == "-" else 2
        out: list[str] = []
        known = True
        while i < len(text) and text[i] != "}":
            if text.startswith(("\\$", "$$"), i):
                out.append("$")
                i += 2
            elif text.startswith(("\\\\", "$("), i):
                out.append(text[i:i + 2])
                i += 2
            elif text.startswith("${", i):
                value, i, inner = _brace(text, i, depth + 1)
                known = known and inner
                if value is None:
                    return fallback
                out.append(value)
            elif text[i] == "$" and i + 1 < len(text) and text[i + 1].isalpha():
                i = _name_end(text, i + 1)  # unset: blank
                known = False
            else:
                out.append(text[i])
                i += 1
        if i >= len(text):
            return fallback
        return "".join(out), i + 1, known
    return fallback


def sections(text: str, up_re: re.Pattern[str], down_re: re.Pattern[str]) -> tuple[Section, Section | None]:
    """(up text, its first line), (down text, its first line) or None, of a file with up/down
    markers: each section runs from its marker (a comment) as dbmate sends it."""
    up = up_re.search(text)
    up_start = up.start() if up else 0
    down = down_re.search(text, up.end()) if up else down_re.search(text)
    if down and down.start() >= up_start:
        up_text = text[up_start:down.start()]
        down_text = text[down.start():]
        return (up_text, text.count("\n", 0, up_start) + 1), (down_text, text.count("\n", 0, down.start()) + 1)
    return (text[up_start:], text.count("\n", 0, up_start) + 1), None


def dbmate_transaction(text: str) -> bool:
    """False when the up marker's line says `transaction:false` as dbmate reads its options: words
    split on whitespace, each `key:value` with exactly one colon, the last one for a key winning,
    case-sensitive (`transaction: false` and `transaction:FALSE` leave the transaction on)."""
    up = DBMATE_UP.search(text)
    if up is None:
        return True
    first = text[up.start():].split("\n", 1)[0].strip(_GO_TRIM)
    options: dict[str, str] = {}
    for word in re.split(r"[\t\n\f\r ]+", first):
        pair = word.split(":")
        if len(pair) == 2:
            options[pair[0]] = pair[1]
    return options.get("transaction") != "false"


_GO_TRIM = "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a" \
    "\u2028\u2029\u202f\u205f\u3000"
"""What Go's strings.TrimSpace removes (Python's str.strip() also removes \\x1c-\\x1f)."""
_GOOSE_ANNOTATIONS = {a.casefold(): a for a in ("Up", "Down", "StatementBegin", "StatementEnd", "NO TRANSACTION",
                                                  "ENVSUB ON", "ENVSUB OFF")}


def _goose_annotation(line: str) -> tuple[str | None, str | None]:
    """(what goose since v3.19 reads on `line`, what earlier goose reads): an annotation name, "?" for
    a line goose refuses (the whole file then fails to parse, so nothing of it runs), or None for SQL
    or a plain comment. Since v3.19 (internal/sqlparser/parser.go) a line that starts with `--` after
    trimming and holds `+goose` is an annotation: case-insensitive, every `--` removed, no leading
    space; earlier goose took only a line starting with `--` whose trimmed rest is exactly `+goose Up`."""
    old = None
    if line.startswith("--"):
        rest = line[2:].strip(_GO_TRIM)
        if rest.startswith("+goose ") and rest[7:] in _GOOSE_ANNOTATIONS.values():
            old = rest[7:]
    if "+goose" not in line or not line.strip(_GO_TRIM).startswith("--"):
        return None, old
    if line.startswith((" ", "\t")):
        return "?", old
    cmd = line.replace("--", "").replace("+goose", "", 1)
    if "+goose" in cmd:
        return "?", old
    return _GOOSE_ANNOTATIONS.get(cmd.strip(_GO_TRIM).casefold(), "?"), old


def goose_sections(text: str) -> tuple[Section, Section | None, bool]:
    """(up section, down section or None, `-- +goose NO TRANSACTION`) of a goose file, read line by
    line as goose reads it. The goose version is unknown, so the up section runs to the first down
    marker *every* goose takes (`-- +goose Down` exactly: earlier goose runs what follows a
    `-- +goose down` as up), and the down section starts at the first one goose since v3.19 takes.
    A file whose Up annotation only goose since v3.19 takes (`-- +goose up`) is read as that goose
    reads it."""
    up_at: int | None = None
    down_at: int | None = None
    up_end: int | None = None
    no_tx = only_new = False
    pos = 0
    for raw in text.split("\n"):
        line = raw[:-1] if raw.endswith("\r") else raw
        if "+goose" in line:
            new, old = _goose_annotation(line)
            if up_at is None and new == "Up":
                up_at, only_new = pos, old != "Up"  # `-- +goose up`: earlier goose refuses the file
            elif up_at is not None and new == "Down" and down_at is None:
                down_at = pos
            if up_at is not None and old == "Down" and up_end is None:
                up_end = pos
            no_tx = no_tx or new == "NO TRANSACTION"
        pos += len(raw) + 1
    start = up_at or 0
    if only_new:
        up_end = down_at
    stop = len(text) if up_end is None else up_end
    up = (text[start:stop], text.count("\n", 0, start) + 1)
    if down_at is None:
        return up, None, no_tx
    return up, (text[down_at:], text.count("\n", 0, down_at) + 1), no_tx


def is_goose(text: str) -> bool:
    """A file with a line goose takes for its Up annotation."""
    return any(_goose_annotation(m.group(0).removesuffix("\r"))[0] == "Up" for m in _GOOSE_LINE.finditer(text))


_GOOSE_LINE = lazyre.compile(r"^[^\n]*\+goose[^\n]*", re.MULTILINE)


def up_section(text: str) -> Section:
    """The part of a migration file that runs when it is applied: the up section of a dbmate or
    goose file, else the whole file."""
    if DBMATE_UP.search(text):
        return sections(text, DBMATE_UP, DBMATE_DOWN)[0]
    if is_goose(text):
        return goose_sections(text)[0]
    return text, 1


PLACEHOLDER_FORMATS = frozenset({"flyway", "flyway-repeatable", "sql"})
"""SQL formats whose tool replaces `${name}` placeholders before it runs a file (so do Liquibase
changelogs, and goose files that say `-- +goose ENVSUB ON`). Plain `sql` files (a Liquibase
`<sqlFile>`, a script run through a template) come from tools unknown here; `${` outside a string is
never valid PostgreSQL, so such a file can only be a template."""
_PLACEHOLDER = lazyre.compile(r"\$\{([^{}\n'\"]{1,200})\}")


def fill_placeholders(text: str) -> str:
    """`${name}` placeholders, which Flyway and Liquibase replace before they run a migration, as a
    quoted identifier of the same length (`"{name}"`), so the statement parses and keeps its positions.

    A placeholder usually stands for a schema, role or database name; as an identifier it names
    the object in messages as written. Texts without `${` are returned as they are."""
    if "${" not in text:
        return text
    return _PLACEHOLDER.sub(lambda m: f'"{{{m.group(1)}}}"', text)


def normalize(text: str) -> str:
    """Whitespace-collapsed statement text, for fingerprints."""
    return " ".join(text.split())
