"""Liquibase "formatted SQL" changelogs: a file of changesets, each with its own rollback.

    --liquibase formatted sql
    --changeset alice:1 runInTransaction:false dbms:postgresql
    CREATE INDEX CONCURRENTLY ...;
    --rollback DROP INDEX CONCURRENTLY ...;

What Liquibase does with such a file, and so what the gate assumes:
* the first line is the `--liquibase formatted sql` marker; without it the file is plain SQL;
* each changeset runs in its own transaction, unless it says `runInTransaction:false`;
* a changeset whose `dbms:` list excludes PostgreSQL (`dbms:oracle`, `dbms:!postgresql`) does not
  run here and is not judged; attributes are read as Liquibase reads them (`.*dbms:([^,][\\w!,]+).*`
  on the whole line: the last `dbms:` wins, `dbms:postgresql-15` is `postgresql`), and a name the
  gate does not know for another database counts as PostgreSQL;
* a `--precondition-sql-check` line's SQL runs before its changeset, so it is judged with it;
* formatted SQL has no automatic rollback: a changeset is reversible only through its
  `--rollback <sql>` lines or a `/* liquibase rollback ... */` block; `--rollback empty` and
  `--rollback not required` say on purpose that there is none.

A file can carry the marker and a name Flyway also runs (`V2__x.sql`, `R__x.sql`, `afterMigrate.sql`).
Flyway ignores the marker and runs the whole file: the SQL before the first changeset and the
changesets whose `dbms:` excludes PostgreSQL included. Who runs it is decided by the repository
(`runner`): Flyway when another Flyway-named file beside it is plain SQL or a `flyway.conf` /
`flyway.toml` exists; Liquibase when a changelog (or `liquibase.properties`, or Spring Boot's
`spring.liquibase.change-log` in `application*.properties`/`.yml`) names it or includes its
directory; otherwise either may, and every statement Flyway would run is judged too.

Rollback SQL sits in comments, so the PostgreSQL parser skips it when it parses the changeset;
to parse the rollback itself, its text is laid out on the same lines and columns as in the file
(everything else blanked), so positions in it are exact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from readiness import lazyre
from readiness.workspace import FileProblem, Workspace

HEADER = lazyre.compile(r"\A\s*--\s*liquibase\s+formatted\b", re.IGNORECASE)
_CHANGESET = lazyre.compile(r"(?:^|(?<=\r))[ \t\x0b\f]*--[ \t\x0b\f]*changeset[ \t\x0b\f]+(?P<ident>\S+)"
                            r"(?P<attrs>[^\n\r]*)(?=[\r\n]|\Z)", re.IGNORECASE | re.MULTILINE)
"""A changeset line as Liquibase reads it: Java's `\\s` (form feed and vertical tab too) around the
words, and a line that starts after a lone CR (`BufferedReader.readLine` ends a line there)."""
_ROLLBACK_LINE = lazyre.compile(r"^(?P<lead>[ \t]*--[ \t]*rollback[ \t])(?P<sql>[^\n]*)$", re.IGNORECASE)
_ROLLBACK_OPEN = lazyre.compile(r"^[ \t]*/\*[ \t]*liquibase[ \t]+rollback\b", re.IGNORECASE)
_DBMS = lazyre.compile(r"dbms:", re.IGNORECASE | re.ASCII)
_DBMS_VALUE = lazyre.compile(r"[^,][A-Za-z0-9_!,]+")
_RUN_IN_TRANSACTION = lazyre.compile(r"runInTransaction:", re.IGNORECASE | re.ASCII)
_WORD = lazyre.compile(r"[A-Za-z0-9_]+")
_RUN_ON_CHANGE = lazyre.compile(r"runOnChange:", re.IGNORECASE | re.ASCII)
_RUN_ALWAYS = lazyre.compile(r"runAlways:", re.IGNORECASE | re.ASCII)
_FAIL_ON_ERROR = lazyre.compile(r"failOnError:", re.IGNORECASE | re.ASCII)
_SELECTS = lazyre.compile(r"(?:contexts?|contextFilter|labels):", re.IGNORECASE | re.ASCII)
_ANY = lazyre.compile(r"\S+")
_PRECONDITIONS = lazyre.compile(r"[ \t]*--[ \t]*preconditions\b(?P<attrs>[^\n]*)", re.IGNORECASE)
_ON_FAIL = lazyre.compile(r"on(?:Fail|Error):", re.IGNORECASE | re.ASCII)
_SKIPS = frozenset({"mark_ran", "continue", "warn"})
"""`onFail`/`onError` values that let the deploy go on without running the changeset."""
_JAVA_LINE_BREAKS = ("\x85", "\u2028", "\u2029")
"""Java's `.` does not match these, so a changeset line holding one matches none of Liquibase's
`.*key:(value).*` attribute patterns."""
_PRECONDITION = lazyre.compile(r"[ \t\n\x0b\f\r]*--[ \t\n\x0b\f\r]*precondition-sql-check (?P<body>.*)",
                               re.IGNORECASE | re.ASCII)
_CHECK_SQL = (re.compile(r"(?:expectedResult:)?[A-Za-z0-9_]+ (?P<sql>.*)", re.IGNORECASE),
              re.compile(r"(?:expectedResult:)?'[^']+' (?P<sql>.*)", re.IGNORECASE),
              re.compile(r'(?:expectedResult:)?"[^"]+" (?P<sql>.*)', re.IGNORECASE))
"""Liquibase's `--precondition-sql-check [expectedResult:]<value> <sql>`: the SQL runs on the database
before the changeset (whatever it expects back)."""
_NOT_POSTGRES = frozenset({
    "asany", "bigquery", "cache", "cockroachdb", "databricks", "db2", "db2i", "db2z", "derby", "firebird", "h2",
    "hana", "hsqldb", "informix", "ingres", "mariadb", "maxdb", "mock", "mssql", "mysql", "oracle", "redshift",
    "sapdb", "snowflake", "spanner", "sqlite", "sybase", "teradata", "vertica"})
"""Liquibase's short names of databases that are not PostgreSQL: a `dbms:` value naming only these
skips the changeset here. Any other value (a misspelling, `edb`, a placeholder) may be PostgreSQL."""
_NO_ROLLBACK = lazyre.compile(r"^\s*(?:empty|not\s+required)\s*;?\s*$", re.IGNORECASE)


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
    checks: tuple[tuple[int, int, str], ...] = ()
    """(file line, column, SQL) of each `--precondition-sql-check`: Liquibase runs that SQL first."""
    run_on_change: bool = False
    """`runOnChange:true`: Liquibase runs it again, whole, whenever its text changes."""
    run_always: bool = False
    """`runAlways:true`: Liquibase runs it again on every deploy."""
    conditional: bool = False
    """It may not run on production (`conditional`): what it CREATEs is not surely there."""


def is_changelog(text: str) -> bool:
    """True when `text` is a Liquibase formatted-SQL changelog."""
    return HEADER.match(text) is not None


def changesets(text: str) -> list[Changeset]:
    """The changesets of a changelog, in file order (statements before the first one are not run)."""
    heads = list(_CHANGESET.finditer(text))
    out: list[Changeset] = []
    line, counted = 1, 0  # lines counted on from the last head (from the start each time was quadratic)
    for k, head in enumerate(heads):
        end = head.end()  # the head line ends at its \n, its \r\n or a lone \r
        body_start = end + 2 if text.startswith("\r\n", end) else min(end + 1, len(text))
        body_end = heads[k + 1].start() if k + 1 < len(heads) else len(text)
        body = text[body_start:body_end]
        head_line = head.group(0).split("\r", 1)[0]  # Java's readLine ends a line at a lone CR too
        line += text.count("\n", counted, head.start())
        counted = head.start()
        rollback, state = _rollback(body)
        in_transaction = _attribute(head_line, _RUN_IN_TRANSACTION, _WORD)
        dbms = _attribute(head_line, _DBMS, _DBMS_VALUE)
        out.append(Changeset(ident=head.group("ident"), line=line, sql=body, sql_line=line + 1,
                             rollback=rollback, rollback_state=state,
                             in_transaction=in_transaction is None or in_transaction.lower() == "true",
                             for_postgres=_runs_on_postgres(dbms),
                             checks=_checks(body, line + 1),
                             run_on_change=_true(_attribute(head_line, _RUN_ON_CHANGE, _WORD)),
                             run_always=_true(_attribute(head_line, _RUN_ALWAYS, _WORD)),
                             conditional=(_false(_attribute(head_line, _FAIL_ON_ERROR, _WORD))
                                          or bool(_attribute(head_line, _SELECTS, _ANY))
                                          or not surely_postgres(dbms) or _skippable(body))))
    return out


def _true(value: str | None) -> bool:
    return value is not None and value.strip().lower() == "true"


def _false(value: str | None) -> bool:
    return value is not None and value.strip().lower() == "false"


def skips(on_fail: str | None) -> bool:
    """Whether a precondition's `onFail`/`onError` lets the deploy go on without the changeset."""
    return on_fail is not None and on_fail.strip().lower() in _SKIPS


def _skippable(body: str) -> bool:
    """A `--preconditions onFail:MARK_RAN` (CONTINUE, WARN; or onError) line in the changeset's body."""
    if "precondition" not in body.lower():
        return False
    for raw in body.split("\n"):
        m = _PRECONDITIONS.match(raw)
        if m is not None:
            return any(skips(v.group(0)) for k in _ON_FAIL.finditer(m.group("attrs"))
                       if (v := _WORD.match(m.group("attrs"), k.end())) is not None)
    return False


def surely_postgres(dbms: str | None) -> bool:
    """Whether a changeset with this `dbms:` value surely runs on PostgreSQL: no value, `all`, a
    PostgreSQL name, or only exclusions of other databases. A name the gate does not know (`edb`,
    a placeholder) may be PostgreSQL or not: judged (`_runs_on_postgres`), but not surely run."""
    return _runs_on_postgres(dbms, surely=True)


def _attribute(line: str, key: re.Pattern[str], value: re.Pattern[str]) -> str | None:
    """A changeset attribute as Liquibase reads it (`.*key:(value).*` matched against the whole line):
    the value after the *last* `key:` where one can be read, cut at the first character the value's
    pattern does not take (`dbms:postgresql-15` is `postgresql`)."""
    if any(c in line for c in _JAVA_LINE_BREAKS):
        return None
    for m in reversed(list(key.finditer(line))):
        v = value.match(line, m.end())
        if v is not None:
            return v.group(0)
    return None


def _runs_on_postgres(dbms: str | None, *, surely: bool = False) -> bool:
    """Whether a changeset with this `dbms:` value may run on PostgreSQL: Liquibase's own matching
    (lower-cased names split on commas; `all`, `none`, `!name`), except that a name the gate does not
    know for another database counts as PostgreSQL (it is judged: fail closed). With `surely`: only
    when PostgreSQL is named, or nothing but exclusions are."""
    if dbms is None:
        return True
    names = {d.strip("".join(map(chr, range(33)))) for d in dbms.lower().split(",")}
    names.discard("")
    if not names or "all" in names:
        return True
    if "none" in names or "!postgresql" in names:
        return False
    wanted = {n for n in names if not n.startswith("!")}
    return not wanted or ("postgresql" in wanted if surely else not wanted <= _NOT_POSTGRES)


def _checks(body: str, first_line: int) -> tuple[tuple[int, int, str], ...]:
    """The SQL of the body's `--precondition-sql-check` lines, where it stands in the file."""
    out: list[tuple[int, int, str]] = []
    if "precondition" not in body.lower():
        return ()
    for i, raw in enumerate(body.split("\n")):
        line = raw.removesuffix("\r")
        m = _PRECONDITION.fullmatch(line)
        if m is None or any(c in line for c in _JAVA_LINE_BREAKS):
            continue
        for pattern in _CHECK_SQL:
            sql = pattern.fullmatch(m.group("body"))
            if sql is not None:
                out.append((first_line + i, m.start("body") + sql.start("sql") + 1, sql.group("sql")))
                break
    return tuple(out)


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


FLYWAY_CALLBACK = lazyre.compile(r"^(?:(?:before|after)[A-Z][A-Za-z]*|createSchema)(?:__.*)?\.(?i:sql)$")
"""Flyway's SQL callbacks (`afterMigrate.sql`, `beforeEachMigrate__x.sql`): Flyway runs them too."""
_FLYWAY_CONFIG = frozenset({"flyway.conf", "flyway.toml"})
_LIQUIBASE_CHANGELOG = lazyre.compile(r"(?i)(?:changelog|changeset|liquibase)[^/]*\.(?:xml|ya?ml|json|sql)$")
_SPRING_CONFIG = lazyre.compile(r"(?i)^application[\w.-]*\.(?:properties|ya?ml)$")
"""Spring Boot's configuration: `spring.liquibase.change-log` names the master changelog it runs."""
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
        spring = _SPRING_CONFIG.match(base) is not None
        if f == path or not (_LIQUIBASE_CHANGELOG.search(base) or base == "liquibase.properties" or spring):
            continue
        if f.lower().endswith(".sql"):
            continue  # a formatted-SQL changelog cannot include another file
        reads += 1
        try:
            text = ws.read_bytes(f).decode("utf-8", "replace")
        except FileProblem:
            continue
        if spring:  # Spring Boot runs the changelog its `spring.liquibase.change-log` names
            if re.search(r"(?i)change-?_?log\s*[:=]\s*[\"']?[^\s\"']*" + re.escape(name), text):
                return "liquibase"
        elif name in text or ("includeAll" in text and dir_name and dir_name in text):
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
