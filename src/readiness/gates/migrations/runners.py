"""Which tool runs a migration file, and how it uses transactions.

The file layout alone does not say it: `<version>_<name>.up.sql` is golang-migrate's layout, but
also gobuffalo/pop's (whose fizz predecessor shares the directory), ory's popx (kratos, hydra,
keto) and sqlx's. Those run each migration in a transaction and render it as a Go template first;
golang-migrate sends the file as one query string, which PostgreSQL runs in one implicit
transaction. The tool is read from the files beside the migrations, never run: the nearest
`go.mod` (or `Cargo.toml`) above the migration directory, popx's `.autocommit.` file names, fizz
files in the same directory.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple

from readiness import lazyre
from readiness.gates.migrations.classify import TxMode
from readiness.workspace import FileProblem, Workspace, decode_text


@dataclass(frozen=True, slots=True, kw_only=True)
class Runner:
    """A migration tool as the gate models it."""

    name: str
    """As named in the item (`runner`) and in messages."""
    mode: TxMode
    """The transaction it runs a migration in."""
    one_query: bool
    """It sends the whole file as one query string (so PostgreSQL's implicit transaction block
    applies to every statement of it), rather than statement by statement."""
    templates: bool = False
    """It renders the file as a Go text/template before running it (`{{ ... }}`)."""


GOLANG_MIGRATE = Runner(name="golang-migrate", mode=TxMode.IMPLICIT, one_query=True)
POP = Runner(name="pop", mode=TxMode.WRAPPED, one_query=True, templates=True)
POPX = Runner(name="popx", mode=TxMode.WRAPPED, one_query=True, templates=True)
POPX_AUTOCOMMIT = Runner(name="popx", mode=TxMode.IMPLICIT, one_query=True, templates=True)
SQLX = Runner(name="sqlx", mode=TxMode.WRAPPED, one_query=True)
SQLX_NO_TX = Runner(name="sqlx", mode=TxMode.IMPLICIT, one_query=True)

BY_FORMAT = {
    "flyway": Runner(name="flyway", mode=TxMode.WRAPPED, one_query=False),
    "diesel": Runner(name="diesel", mode=TxMode.WRAPPED, one_query=True),
    "dbmate": Runner(name="dbmate", mode=TxMode.WRAPPED, one_query=True),
    "goose": Runner(name="goose", mode=TxMode.WRAPPED, one_query=False),
    "sqitch": Runner(name="sqitch", mode=TxMode.AUTOCOMMIT, one_query=False),
    "prisma": Runner(name="prisma", mode=TxMode.IMPLICIT, one_query=True),
    "supabase": Runner(name="supabase", mode=TxMode.WRAPPED, one_query=False),
    "liquibase": Runner(name="liquibase", mode=TxMode.WRAPPED, one_query=False),
    "sql": Runner(name="psql", mode=TxMode.AUTOCOMMIT, one_query=False),
    "alembic": Runner(name="alembic", mode=TxMode.WRAPPED, one_query=False),
    "django": Runner(name="django", mode=TxMode.WRAPPED, one_query=False),
}
"""The tool of each layout that names only one (Flyway's own per-file choice is made by the gate)."""

_POPX_NAME = lazyre.compile(r"^\d+_[^.]+(?:\.(?!autocommit\.)[a-z0-9]+)?(?P<auto>\.autocommit)?\.(?:up|down)\.sql$")
_DIALECT_INFIX = lazyre.compile(r"\.(?:postgres|postgresql|cockroach|mysql|sqlite3?|all)\.(?:autocommit\.)?"
                                r"(?:up|down)\.sql$")
_GO_REQUIRES = {
    "popx": re.compile(r"^\s*(?:require\s+|replace\s+)?github\.com/ory/x\s", re.MULTILINE),
    "pop": re.compile(r"^\s*(?:require\s+|replace\s+)?github\.com/gobuffalo/pop(?:/v\d+)?\s", re.MULTILINE),
    "golang-migrate": re.compile(r"^\s*(?:require\s+|replace\s+)?github\.com/golang-migrate/migrate(?:/v\d+)?\s",
                                 re.MULTILINE),
}
_SQLX = lazyre.compile(r"^\s*(?:sqlx\s*=|\[(?:[\w.-]*\.)?dependencies\.sqlx\])", re.MULTILINE)
_NO_TX = lazyre.compile(r"\A\s*--\s*no-transaction\b")
_TEMPLATE = lazyre.compile(r'(?P<q1>")?\{\{-?(?P<body>[^{}\n]{0,500}?)-?\}\}(?P<q2>")?')
_CONTROL = lazyre.compile(r"\s*(if|else|end|range|with|define|block|template|break|continue)\b|\s*/\*")
_DECLARE = lazyre.compile(r"\$\w*\s*:?=")
_DEFINE = lazyre.compile(r'\{\{-?\s*(?:define|block)\s+"([^"]*)"')
_STRING = lazyre.compile(r'"([^"\\]*)"|`([^`]*)`')
_QUOTES = lazyre.compile(r"[\"`']")
_VARIABLE = lazyre.compile(r"\$\w")
"""A template variable, which may hold a constant the file declares (`{{ $x := "..." }}`)."""
_INDEX = lazyre.compile(r'index\s+[.$][\w.]*(?:\s+(?:"[\w.-]*"|\d+))+')
_LABEL = lazyre.compile(r'"([^"]*)"|`([^`]*)`|([A-Za-z_]\w*)')
_TOOL_FILE_MAX = 256 * 1024


class Detector:
    """Reads the tool files of a repository once per run."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self._tools: dict[str, set[str]] = {}
        """Directory -> the tools its nearest go.mod / Cargo.toml names."""
        self._fizz: dict[str, bool] = {}

    def up_sql(self, path: str, text: str) -> Runner:
        """The tool of a `<version>_<name>.up.sql` file."""
        d, _, name = path.rpartition("/")
        m = _POPX_NAME.match(name)
        tools = self._tools_above(d)
        if "sqlx" in tools:
            return SQLX_NO_TX if _NO_TX.match(text) else SQLX
        pop_like = tools & {"popx", "pop"}
        infix = m is not None and (m.group("auto") is not None or _DIALECT_INFIX.search(name) is not None)
        if pop_like and (infix or "golang-migrate" not in tools):
            if "popx" in pop_like:
                return POPX_AUTOCOMMIT if m is not None and m.group("auto") else POPX
            return POP
        if "golang-migrate" in tools:
            return GOLANG_MIGRATE
        if m is not None and m.group("auto"):
            return POPX_AUTOCOMMIT
        if self._has_fizz(d):
            return POP
        return GOLANG_MIGRATE

    def fizz(self, path: str) -> Runner:
        """The tool of a `.fizz` migration: popx where the nearest go.mod names ory/x, else pop."""
        return POPX if "popx" in self._tools_above(path.rpartition("/")[0]) else POP

    def _tools_above(self, directory: str) -> set[str]:
        known = self._tools.get(directory)
        if known is not None:
            return known
        found: set[str] = set()
        for name, tests in (("go.mod", _GO_REQUIRES.items()), ("Cargo.toml", (("sqlx", _SQLX),))):
            rel = f"{directory}/{name}" if directory else name
            if self.ws.exists(rel):
                text = self._read(rel)
                found.update(tool for tool, pattern in tests if pattern.search(text))
        if not found and directory:
            found = self._tools_above(directory.rpartition("/")[0])
        self._tools[directory] = found
        return found

    def _has_fizz(self, directory: str) -> bool:
        known = self._fizz.get(directory)
        if known is None:
            prefix = f"{directory}/" if directory else ""
            known = self._fizz[directory] = any(
                f.startswith(prefix) and f.endswith(".fizz") and "/" not in f[len(prefix):]
                for f in self.ws.glob(f"{prefix}*.fizz"))
        return known

    def _read(self, rel: str) -> str:
        try:  # read_bytes, not read_text: a tool file is not a file the gate judges (no inline waivers)
            return decode_text(rel, self.ws.read_bytes(rel, limit=_TOOL_FILE_MAX))
        except FileProblem:
            return ""


class Unread(NamedTuple):
    """Text a runner puts into a migration that the gate cannot know: at `offset` of the file, as written."""

    offset: int
    text: str


def render_templates(text: str) -> tuple[str, list[Unread]]:
    """Go text/template actions, which pop and popx render before they run a migration, replaced so
    the statement parses and keeps its positions, and the actions whose output cannot be known.

    - control actions (`{{ if }}`, `{{ else }}`, `{{ end }}`, `{{ range }}`, `{{ define }}`), comments
      and variable declarations print nothing and become spaces: the text of every branch stays and
      is judged;
    - a string constant (`{{ "DROP TABLE x" }}`, a raw string) prints its value, written in its place;
    - a reference to the data the Go program passes (`{{ .Parameters.tableName }}`,
      `{{ index .Options "Namespace" }}`, `{{ identifier .X }}`) becomes a quoted identifier naming it
      (`"{Namespace}"`, padded to the same length);
    - anything else that prints (`printf` of constants, a pipeline with a constant, a variable, `{{ . }}`
      inside a `with`/`range` of a constant, `{{ template }}` of a template the file does not define)
      and any `{{` left over (an action over several lines) cannot be
      read: it is returned as `Unread`, for the gate to fail closed on."""
    if "{{" not in text:
        return text, []
    unread: list[Unread] = []
    defined = set(_DEFINE.findall(text))

    def one(m: re.Match[str]) -> str:
        whole, body = m.group(0), m.group("body").strip()
        q1, q2 = m.group("q1") or "", m.group("q2") or ""
        size = len(whole) - len(q1) - len(q2)
        blank = q1 + " " * size + q2
        control = _CONTROL.match(body)
        if control is not None or _DECLARE.match(body):
            kind = control.group(1) if control is not None else None
            if kind == "template" and (name := _LABEL.search(body[8:])) is not None and name.group(1) not in defined \
                    or kind in ("with", "range") and _QUOTES.search(body):  # dot set to a constant: `{{ . }}` prints it
                unread.append(Unread(m.start() + len(q1), whole[len(q1):len(whole) - len(q2)]))
            return blank
        if (value := _constant(body)) is not None:
            if len(value) <= size:
                return q1 + value.ljust(size) + q2
        elif not _VARIABLE.search(body) and (not _QUOTES.search(body) or _INDEX.fullmatch(body)):
            words = [next(g for g in w.groups() if g is not None) for w in _LABEL.finditer(body)]
            label = "{" + (words[-1] if words else "template").replace('"', "") + "}"
            if q1 and q2 or not (q1 or q2):  # the whole identifier is the action: quote its label
                quoted = f'"{label}"' if len(label) + 2 <= len(whole) else '"' + "_" * (len(whole) - 2) + '"'
                return quoted.ljust(len(whole))
            inner = len(whole) - 1  # inside a quoted identifier with other text: keep that quote
            return q1 + label.ljust(inner, "_")[:inner] + q2
        unread.append(Unread(m.start() + len(q1), whole[len(q1):len(whole) - len(q2)]))
        return blank

    out = _TEMPLATE.sub(one, text)
    at = out.find("{{")
    while at >= 0:  # an action the pattern does not read (over several lines, with braces): unknown
        unread.append(Unread(at, text[at:at + 200].split("}}", 1)[0] + "}}"))
        out = out[:at] + "  " + out[at + 2:]
        at = out.find("{{", at + 2)
    unread.sort()
    return out, unread


def _constant(body: str) -> str | None:
    """The value of an action that is one Go string constant (without escapes), else None."""
    m = _STRING.fullmatch(body)
    return None if m is None else m.group(1) if m.group(1) is not None else m.group(2)


def fill_templates(text: str) -> str:
    """`render_templates`' text (for replay, which runs what the gate judges)."""
    return render_templates(text)[0]
