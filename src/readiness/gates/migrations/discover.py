"""Find migration files and pair each with its down/undo/revert counterpart.

Without configuration these layouts are recognised (by name and place, then by content):

| format | up | down |
|---|---|---|
| flyway | `V<ver>__<desc>.sql` (`R__` repeatable) | `U<ver>__*.sql` in the same directory |
| golang-migrate | `<ver>_<name>[.postgres].up.sql` | `.down.sql` twin |
| diesel | `migrations/<dir>/up.sql` | `down.sql` beside it |
| dbmate / goose | `.sql` in a migrations directory with `-- migrate:up` / `-- +goose Up` | the down section |
| sqitch | `deploy/<change>.sql` | `revert/<change>.sql` |
| prisma | `migrations/<ts>_<name>/migration.sql` | none (the tool has none) |
| supabase | `supabase/migrations/*.sql` | none |
| liquibase | any of these `.sql` files that starts `--liquibase formatted sql` | each changeset's `--rollback` |
| sql | any other `.sql` in a `migrations`/`migrate`/`changelog`/`liquibase` directory | none |
| alembic | `.py` under `versions/` with `def upgrade` | `downgrade()` |
| django | `.py` under `migrations/` with `class Migration` | per operation |

`gates.migrations.paths` (globs or directories) replaces the automatic search: every `.sql` and
`.py` file under them is a candidate, classified by the same names and content. A glob that names
directories (`apps/*/migrations`) means the files under them; an entry that gives no migration is
reported (`migrations/path-matches-nothing`), never a silent pass.
Files named for another SQL dialect (`.mysql.`, `.sqlite3.`, `.cockroach.`, ...) are skipped, and so, in
the automatic search, are files under a directory named for one (`migrations/mysql/`, `db/migration/h2/`).
A generic popx/pop file (`x.up.sql`, `x.autocommit.up.sql`) beside one named for PostgreSQL
(`x.postgres.up.sql`, `x.postgres.autocommit.up.sql`) is skipped: on PostgreSQL the tool runs the latter.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from readiness.workspace import FileProblem, Workspace, matches

FLYWAY_UP = re.compile(r"^[Vv](?P<ver>\d[\w.]*?)__.+\.sql$")
FLYWAY_UNDO = re.compile(r"^[Uu](?P<ver>\d[\w.]*?)__.+\.sql$")
FLYWAY_REPEATABLE = re.compile(r"^R__.+\.sql$")
OTHER_DIALECT = re.compile(r"\.(mysql|mariadb|sqlite3?|cockroach(db)?|mssql|sqlserver|oracle|tidb)\.", re.I)
OTHER_DIALECT_DIR = frozenset({"mysql", "mariadb", "h2", "hsqldb", "hsql", "sqlite", "sqlite3", "mssql", "sqlserver",
                               "sql_server", "oracle", "db2", "derby", "tidb", "cockroach", "cockroachdb",
                               "clickhouse", "snowflake", "firebird", "informix", "sybase"})
"""Directory names that hold another database's migrations (`migrations/h2/`, `db/migration/mysql/`
beside `.../postgres/`): skipped by the automatic search."""
DJANGO_NAME = re.compile(r"^\d{4}_\w+\.py$")
MIGRATION_DIRS = frozenset({"migrations", "migration", "migrate", "db_migrations", "sql_migrations",
                            "changelog", "changelogs", "changesets", "liquibase"})
NO_DOWN_FORMATS = frozenset({"prisma", "supabase", "sql", "flyway-repeatable"})
"""Formats whose tool has no down migration: reversibility is only required when configured."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Candidate:
    """A migration file found by name; its format may still be refined from its content."""

    path: str
    """Repository-relative path."""
    format: str
    """flyway, golang-migrate, diesel, sqitch, prisma, supabase, sql (dbmate/goose decided by
    content), alembic or django (`python` until the content says which)."""
    down_path: str | None = None
    """The separate down file, when the format has one and it exists."""


def _other_dialect_dir(part: str) -> bool:
    """A directory named for another database, alone or as a word of its name (`mysql/`,
    `mysql-persistence/`, `migration_sqlite/`, `jdbc-h2/`)."""
    low = part.lower()
    return low in OTHER_DIALECT_DIR or any(w in OTHER_DIALECT_DIR for w in _WORDS.split(low))


_WORDS = re.compile(r"[-_. ]+")
_SQL_COMMENT = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)
_GENERIC_NAMES = frozenset({"up.sql", "down.sql", "migration.sql"})
"""Names every migration of a layout has (diesel, Prisma): the directory above tells them apart."""


def copies(ws: Workspace, found: Sequence[Candidate], prefer: Callable[[str], bool]) -> dict[str, str]:
    """Legacy copies of the same migration: path of each copy -> path of the one to judge.

    Two migrations are copies when they have the same name (the directory holding it too, for
    layouts whose file name is always the same, and for Django, whose app label is the directory
    above) and the same text once comments and white space are set aside. The one to judge is the
    first the PR touches (`prefer`), else the first by path."""
    groups: dict[str, list[Candidate]] = {}
    for c in found:
        groups.setdefault(_identity(c), []).append(c)
    out: dict[str, str] = {}
    for group in groups.values():
        if len(group) < 2:
            continue
        by_text: dict[str, list[Candidate]] = {}
        for c in group:
            try:
                text = ws.read_bytes(c.path).decode("utf-8", "replace")
            except FileProblem:
                continue  # reported when judged
            body = text if c.format == "python" else _SQL_COMMENT.sub(" ", text)
            by_text.setdefault(" ".join(body.split()), []).append(c)
        for same in by_text.values():
            if len(same) > 1:
                keep = next((c for c in same if prefer(c.path)), same[0])
                out.update((c.path, keep.path) for c in same if c is not keep)
    return out


def _identity(c: Candidate) -> str:
    parts = c.path.split("/")
    name = parts[-1]
    if name in _GENERIC_NAMES or c.format == "python":
        return "/".join(parts[-3:] if c.format == "python" else parts[-2:])
    return name


def _dir_and_name(path: str) -> tuple[str, str]:
    if "/" in path:
        d, n = path.rsplit("/", 1)
        return d, n
    return "", path


def configured_globs(path: str) -> tuple[str, ...]:
    """The globs one configured `paths` entry stands for: a file, or the files under the directories
    it names. `apps/*/migrations` (a directory glob, no trailing slash) means the files under each
    matching directory, as `db/migrations` means the files under that one."""
    p = path.removeprefix("./")
    if not p.strip("/"):
        return ("**",)
    return (p.rstrip("/"), p.rstrip("/") + "/")


def unmatched(ws: Workspace, paths: Sequence[str], found: Sequence[Candidate]) -> list[tuple[str, int]]:
    """The configured entries that give no migration: (entry, number of files it matches)."""
    out = []
    for p in paths:
        globs = configured_globs(p)
        if any(matches(c.path, globs) for c in found):
            continue
        out.append((p, sum(1 for f in ws.files() if matches(f, globs))))
    return out


def discover(ws: Workspace, paths: Sequence[str] | None) -> list[Candidate]:
    """Every migration candidate, sorted by path."""
    files = ws.files()
    explicit = paths is not None
    if explicit:
        chosen = ws.glob([g for p in paths or () for g in configured_globs(p)])
    else:
        chosen = files
    file_set = set(files)
    undo: dict[tuple[str, str], str] = {}
    for f in chosen:
        d, n = _dir_and_name(f)
        m = FLYWAY_UNDO.match(n)
        if m and f.endswith(".sql"):
            undo[(d, m.group("ver"))] = f
    out: list[Candidate] = []
    for f in chosen:
        cand = _classify(f, file_set, undo, explicit)
        if cand is not None:
            out.append(cand)
    return sorted(_postgres_chosen(out), key=lambda c: c.path)


_POSTGRES_INFIX = re.compile(r"\.(?:postgres|postgresql)(?=(?:\.autocommit)?\.up\.sql$)")
_AUTOCOMMIT_INFIX = re.compile(r"\.autocommit(?=\.up\.sql$)")


def _postgres_chosen(cands: list[Candidate]) -> list[Candidate]:
    """popx (and pop) run, per migration, the file named for the database (`x.postgres.up.sql`,
    `x.postgres.autocommit.up.sql`) instead of the generic one beside it (`x.up.sql`,
    `x.autocommit.up.sql`): on PostgreSQL the generic file never runs, so it is not judged."""
    def ident(c: Candidate) -> str:
        return _AUTOCOMMIT_INFIX.sub("", _POSTGRES_INFIX.sub("", c.path))

    specific = {ident(c) for c in cands if c.format == "golang-migrate" and _POSTGRES_INFIX.search(c.path)}
    if not specific:
        return cands
    return [c for c in cands if c.format != "golang-migrate" or _POSTGRES_INFIX.search(c.path)
            or ident(c) not in specific]


def _classify(f: str, file_set: set[str], undo: dict[tuple[str, str], str], explicit: bool) -> Candidate | None:
    d, n = _dir_and_name(f)
    parts = d.split("/") if d else []
    if n.endswith(".py"):
        if n == "__init__.py":
            return None
        if "versions" in parts or explicit:
            return Candidate(path=f, format="python")
        if parts and parts[-1] == "migrations" and DJANGO_NAME.match(n):
            return Candidate(path=f, format="python")
        return None
    if not n.endswith(".sql") or OTHER_DIALECT.search(n):
        return None
    if not explicit and any(_other_dialect_dir(p) for p in parts):
        return None
    if FLYWAY_UNDO.match(n) or n.endswith(".down.sql") or n == "down.sql":
        return None
    if "revert" in parts or "verify" in parts:
        return None
    m = FLYWAY_UP.match(n)
    if m:
        return Candidate(path=f, format="flyway", down_path=undo.get((d, m.group("ver"))))
    if FLYWAY_REPEATABLE.match(n):
        return Candidate(path=f, format="flyway-repeatable")
    if n.endswith(".up.sql"):
        down = f[: -len(".up.sql")] + ".down.sql"
        return Candidate(path=f, format="golang-migrate", down_path=down if down in file_set else None)
    if n == "up.sql":
        down = f"{d}/down.sql" if d else "down.sql"
        return Candidate(path=f, format="diesel", down_path=down if down in file_set else None)
    if "deploy" in parts:
        i = len(parts) - 1 - parts[::-1].index("deploy")
        rev = "/".join([*parts[:i], "revert", *parts[i + 1:], n])
        return Candidate(path=f, format="sqitch", down_path=rev if rev in file_set else None)
    if n == "migration.sql" and len(parts) >= 2 and parts[-2] == "migrations":
        return Candidate(path=f, format="prisma")
    if len(parts) >= 2 and parts[-2:] == ["supabase", "migrations"]:
        return Candidate(path=f, format="supabase")
    if explicit or any(p.lower() in MIGRATION_DIRS for p in parts):
        return Candidate(path=f, format="sql")
    return None
