"""Liquibase "formatted SQL" changelogs: a file of changesets, each with its own rollback.

    --liquibase formatted sql
    --changeset alice:1 runInTransaction:false dbms:postgresql
    CREATE INDEX CONCURRENTLY ...;
    --rollback DROP INDEX CONCURRENTLY ...;

What Liquibase does with such a file, and so what the gate assumes:
* the first line is the `--liquibase formatted sql` marker; without it the file is plain SQL;
* each changeset runs in its own transaction, unless it says `runInTransaction:false`;
* a changeset whose `dbms:` list excludes PostgreSQL (`dbms:oracle`, `dbms:!postgresql`) does not
  run here and is not judged;
* formatted SQL has no automatic rollback: a changeset is reversible only through its
  `--rollback <sql>` lines or a `/* liquibase rollback ... */` block; `--rollback empty` and
  `--rollback not required` say on purpose that there is none.

A file can carry the marker and a name Flyway also runs (`V2__x.sql`, `R__x.sql`, `afterMigrate.sql`).
Flyway ignores the marker and runs the whole file: the SQL before the first changeset and the
changesets whose `dbms:` excludes PostgreSQL included. Who runs it is decided by the repository
(`runner`): Flyway when another Flyway-named file beside it is plain SQL or a `flyway.conf` /
`flyway.toml` exists; Liquibase when a changelog (or `liquibase.properties`) names it or includes its
directory; otherwise either may, and every statement Flyway would run is judged too.

Rollback SQL sits in comments, so the PostgreSQL parser skips it when it parses the changeset;
to parse the rollback itself, its text is laid out on the same lines and columns as in the file
(everything else blanked), so positions in it are exact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from readiness.workspace import FileProblem, Workspace

HEADER = re.compile(r"\A\s*--\s*liquibase\s+formatted\b", re.IGNORECASE)
_CHANGESET = re.compile(r"^[ \t]*--[ \t]*changeset[ \t]+(?P<ident>\S+)(?P<attrs>[^\n]*)$", re.IGNORECASE | re.MULTILINE)
_ROLLBACK_LINE = re.compile(r"^(?P<lead>[ \t]*--[ \t]*rollback[ \t])(?P<sql>[^\n]*)$", re.IGNORECASE)
_ROLLBACK_OPEN = re.compile(r"^[ \t]*/\*[ \t]*liquibase[ \t]+rollback\b", re.IGNORECASE)
_ATTR = re.compile(r"(?P<key>[A-Za-z]+):(?P<value>\S*)")
_NO_ROLLBACK = re.compile(r"^\s*(?:empty|not\s+required)\s*;?\s*$", re.IGNORECASE)


@dataclass(frozen=True, slots=True, kw_only=True)
class Changeset:
    """One changeset of a formatted-SQL changelog."""

    ident: str
    """`author:id` as written."""
    line: int
    """1-based line of its `--changeset` comment."""
    sql: str
    """Its body (every line after the comment, up to the next changeset), rollback comments included."""
    sql_line: int
    """1-based file line of the body's first line."""
    rollback: str
    """Its rollback SQL, laid out on the body's lines and columns (the rest blank); "" when none."""
    rollback_state: str
    """present | empty (said on purpose) | missing."""
    in_transaction: bool
    """False for `runInTransaction:false`."""
    for_postgres: bool
    """False when its `dbms:` list excludes PostgreSQL."""


def is_changelog(text: str) -> bool:
    """True when `text` is a Liquibase formatted-SQL changelog."""
    return HEADER.match(text) is not None


def changesets(text: str) -> list[Changeset]:
    """The changesets of a changelog, in file order (statements before the first one are not run)."""
    heads = list(_CHANGESET.finditer(text))
    out: list[Changeset] = []
    line, counted = 1, 0  # lines counted on from the last head (from the start each time was quadratic)
    for k, head in enumerate(heads):
        body_start = head.end() + 1 if head.end() < len(text) else head.end()
        body_end = heads[k + 1].start() if k + 1 < len(heads) else len(text)
        body = text[body_start:body_end]
        attrs = {m.group("key").lower(): m.group("value") for m in _ATTR.finditer(head.group("attrs"))}
        line += text.count("\n", counted, head.start())
        counted = head.start()
        rollback, state = _rollback(body)
        out.append(Changeset(ident=head.group("ident"), line=line, sql=body, sql_line=line + 1,
                             rollback=rollback, rollback_state=state,
                             in_transaction=attrs.get("runintransaction", "true").lower() != "false",
                             for_postgres=_runs_on_postgres(attrs.get("dbms"))))
    return out


def _runs_on_postgres(dbms: str | None) -> bool:
    if not dbms:
        return True
    names = [d.strip().lower() for d in dbms.split(",") if d.strip()]
    if any(n in ("postgresql", "all") for n in names):
        return True
    if any(n in ("!postgresql", "none") for n in names):
        return False
    return all(n.startswith("!") for n in names)  # only exclusions, none of them PostgreSQL


def _rollback(body: str) -> tuple[str, str]:
    """The rollback text in the body's layout, and present / empty / missing."""
    lines = body.split("\n")
    kept = [""] * len(lines)
    pieces: list[str] = []
    in_block = False
    for i, line in enumerate(lines):
        if in_block:
            end = line.find("*/")
            keep = line if end < 0 else line[:end]
            kept[i], in_block = keep, end < 0
            pieces.append(keep)
            continue
        m = _ROLLBACK_LINE.match(line)
        if m is not None:
            kept[i] = " " * len(m.group("lead")) + m.group("sql")
            pieces.append(m.group("sql"))
            continue
        opened = _ROLLBACK_OPEN.match(line)
        if opened is not None:
            rest = line[opened.end():]
            end = rest.find("*/")
            keep = rest if end < 0 else rest[:end]
            kept[i], in_block = " " * opened.end() + keep, end < 0
            pieces.append(keep)
    written = "\n".join(pieces)
    if not written.strip():
        return "", "missing"
    if _NO_ROLLBACK.match(written):
        return "", "empty"
    return "\n".join(kept), "present"


FLYWAY_CALLBACK = re.compile(r"^(?:(?:before|after)[A-Z][A-Za-z]*|createSchema)(?:__.*)?\.(?i:sql)$")
"""Flyway's SQL callbacks (`afterMigrate.sql`, `beforeEachMigrate__x.sql`): Flyway runs them too."""
_FLYWAY_CONFIG = frozenset({"flyway.conf", "flyway.toml"})
_LIQUIBASE_CHANGELOG = re.compile(r"(?i)(?:changelog|changeset|liquibase)[^/]*\.(?:xml|ya?ml|json|sql)$")
_MAX_READS = 64
"""Files read, at most, to decide who runs one file (a bound on what a PR can make the gate read)."""

Runner = Literal["flyway", "liquibase", "either"]


def flyway_named(path: str) -> bool:
    """A name Flyway runs from its locations (versioned, repeatable or a callback)."""
    name = path.rsplit("/", 1)[-1]
    from readiness.gates.migrations.discover import FLYWAY_REPEATABLE, FLYWAY_UP  # discover reads changelogs too

    return bool(FLYWAY_UP.match(name) or FLYWAY_REPEATABLE.match(name) or FLYWAY_CALLBACK.match(name))


def runner(ws: Workspace, path: str) -> Runner:
    """Who runs `path`, a changelog with a Flyway name, on the repository's evidence: `flyway`
    when another Flyway-named SQL file (the same directory first) is plain SQL, or the repository
    has a `flyway.conf` / `flyway.toml`; `liquibase` when a Liquibase changelog or
    `liquibase.properties` names the file or includes its directory; `either` without evidence.
    Flyway's evidence wins: a changelog naming a file does not stop Flyway from running it."""
    files = ws.files()
    if any(f.rsplit("/", 1)[-1].lower() in _FLYWAY_CONFIG for f in files):
        return "flyway"
    folder, _, name = path.rpartition("/")
    others = [f for f in files if f != path and f.lower().endswith(".sql") and flyway_named(f)]
    others.sort(key=lambda f: (f.rpartition("/")[0] != folder, f))
    reads = 0
    for other in others[:_MAX_READS]:
        reads += 1
        try:
            head = ws.read_bytes(other)[:4096].decode("utf-8", "replace").lstrip("\ufeff")
        except FileProblem:
            continue
        if not is_changelog(head):
            return "flyway"
    dir_name = folder.rsplit("/", 1)[-1]
    for f in files:
        if reads >= 2 * _MAX_READS:
            break
        base = f.rsplit("/", 1)[-1]
        if f == path or not (_LIQUIBASE_CHANGELOG.search(base) or base == "liquibase.properties"):
            continue
        if f.lower().endswith(".sql"):
            continue  # a formatted-SQL changelog cannot include another file
        reads += 1
        try:
            text = ws.read_bytes(f).decode("utf-8", "replace")
        except FileProblem:
            continue
        if name in text or ("includeAll" in text and dir_name and dir_name in text):
            return "liquibase"
    return "either"


def preamble(text: str) -> str:
    """The text before the first changeset (the marker line blanked): Liquibase skips it, Flyway runs it."""
    first = _CHANGESET.search(text)
    head = text[: first.start()] if first is not None else text
    m = HEADER.match(head)
    if m is None:
        return head
    end = head.find("\n", m.end())
    return "\n" * head.count("\n", 0, m.end()) + ("" if end < 0 else head[end:])
