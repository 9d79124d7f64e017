"""Find migration files and pair each with its down/undo/revert counterpart.

Without configuration these layouts are recognised (by name and place, then by content):

| format | up | down |
|---|---|---|
| flyway | `V<ver>__<desc>.sql` (`R__` repeatable) | `U<ver>__*.sql` in the same directory |
| golang-migrate | `<ver>_<name>[.postgres].up.sql` | `.down.sql` twin |
| fizz (pop) | `<ver>_<name>.up.fizz`, anywhere, in any directory (fizz.py) | `.down.fizz` twin |
| diesel | `migrations/<dir>/up.sql` | `down.sql` beside it |
| dbmate / goose | `.sql` in a migrations directory with `-- migrate:up` / `-- +goose Up` | the down section |
| sqitch | `deploy/<change>.sql` | `revert/<change>.sql` |
| prisma | `migrations/<ts>_<name>/migration.sql` | none (the tool has none) |
| supabase | `supabase/migrations/*.sql` | none |
| liquibase | any of these `.sql` files that starts `--liquibase formatted sql` | each changeset's `--rollback` |
| liquibase-xml/-yaml/-json | `databaseChangeLog` `.xml`/`.yaml`/`.json` (lbdoc.py) | each changeset's `rollback` |
| sql | any other `.sql` in a `migrations`/`migrate`/`changelog`/`liquibase` directory | none |
| alembic | `.py` under `versions/` with `def upgrade` | `downgrade()` |
| django | `.py` under `migrations/` with `class Migration` | per operation |

A changelog with a name Flyway runs (`V2__x.sql`) is Liquibase's only when the repository says so
(`liquibase.runner`): Flyway ignores the marker and runs the whole file.

`gates.migrations.paths` (globs or directories) replaces the automatic search: every `.sql` and
`.py` file under them is a candidate, classified by the same names and content. A glob that names
directories (`apps/*/migrations`) means the files under them; an entry that gives no migration is
reported (`migrations/path-matches-nothing`), never a silent pass.
Files named for another SQL dialect (`.mysql.`, `.sqlite3.`, `.cockroach.`, ...) are skipped, and so, in
the automatic search, are files under a directory named for one (`migrations/mysql/`, `db/migration/h2/`).
A generic popx/pop file (`x.up.sql`, `x.autocommit.up.sql`) beside one named for PostgreSQL
(`x.postgres.up.sql`, `x.postgres.autocommit.up.sql`) is skipped: on PostgreSQL the tool runs the latter.
A pull request cannot hide a migration that way: a file it adds below a migrations directory, in a
directory the search skips (vendored or test data, or another dialect's when the file has a Flyway name,
since Flyway scans its location recursively, and the base has no PostgreSQL directory beside it) that the
base does not have, or named for another dialect where the base has no such name, is judged. Names
match `.sql` in any case, and in a golang-migrate directory `<ver>_<name>.up.<any extension>` is a
migration (golang-migrate applies it).
A Python file the PR adds or changes anywhere is a migration when its content says so (Alembic's
`revision`/`down_revision`/`upgrade`, Django's `class Migration(migrations.Migration)`): Alembic's
`version_locations` and Django's `MIGRATION_MODULES` can name any directory. So is a `.sql` file
holding a goose (`-- +goose Up`), dbmate (`-- migrate:up`) or Liquibase (`--liquibase formatted sql`)
marker line: their directory is a command-line flag. So is a Liquibase XML, YAML or JSON changelog
(root `databaseChangeLog`), which is also one in a migrations directory whoever changes it. A
`sqitch.conf` that sets `deploy_dir` or `top_dir` names sqitch's deploy directory, wherever it is.

Why over 500 lines: every layout's naming rule and every way a pull request can put a migration
where a name-based search does not look (skipped directories, links, runner configuration) meet here,
in one pass over the file list.
"""

from __future__ import annotations

import bisect
import os
import posixpath
import re
from collections.abc import Callable, Container, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from readiness import lazyre
from readiness.gates.migrations import lbdoc
from readiness.workspace import DEFAULT_EXCLUDE_DIRS, SKIP_DIRS, FileProblem, Workspace, matches

FLYWAY_UP = lazyre.compile(r"^[Vv](?P<ver>\d[\w.]*?)__.+\.(?i:sql)$")
FLYWAY_UNDO = lazyre.compile(r"^[Uu](?P<ver>\d[\w.]*?)__.+\.(?i:sql)$")
FLYWAY_REPEATABLE = lazyre.compile(r"^R__.+\.(?i:sql)$")
GOLANG = lazyre.compile(r"^\d+_.*\.(?P<dir>up|down)\.(?P<ext>[^.]+)$")
"""golang-migrate's own name pattern: it applies `<ver>_<name>.up.<any extension>` from its directory."""
OTHER_DIALECT = lazyre.compile(r"\.(mysql|mariadb|sqlite3?|cockroach(db)?|mssql|sqlserver|oracle|tidb)\.", re.I)
OTHER_DIALECT_DIR = frozenset({"mysql", "mariadb", "h2", "hsqldb", "hsql", "sqlite", "sqlite3", "mssql", "sqlserver",
                               "sql_server", "oracle", "db2", "derby", "tidb", "cockroach", "cockroachdb",
                               "clickhouse", "snowflake", "firebird", "informix", "sybase"})
"""Directory names that hold another database's migrations (`migrations/h2/`, `db/migration/mysql/`
beside `.../postgres/`): skipped by the automatic search."""
DJANGO_NAME = lazyre.compile(r"^\d{4}_\w+\.py$")
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


POSTGRES_DIRS = ("postgres", "postgresql", "pg", "pgsql", "postgre")
"""Names of the PostgreSQL directory in a layout of one migrations directory per database."""


def _other_dialect_dir(part: str) -> bool:
    """A directory named for another database, alone or as a word of its name (`mysql/`,
    `mysql-persistence/`, `migration_sqlite/`, `jdbc-h2/`)."""
    low = part.lower()
    return low in OTHER_DIALECT_DIR or any(w in OTHER_DIALECT_DIR for w in _WORDS.split(low))


_WORDS = lazyre.compile(r"[-_. ]+")
_SQL_COMMENT = lazyre.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)
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
        out.append((p, len(ws.glob(globs))))
    return out


def discover(ws: Workspace, paths: Sequence[str] | None, *, pr_files: Iterable[str] = (),
             established: Callable[[str], bool] = lambda d: True,
             flyway: tuple[re.Pattern[str] | None, Sequence[str]] = (None, ())) -> list[Candidate]:
    """Every migration candidate, sorted by path.

    `pr_files` are the paths the PR adds or changes: in the automatic search, one that lies in a
    directory it skips below a migrations directory (vendored or test data, another dialect's
    directory or name, or one the walk never enters, such as `node_modules/` or `venv/`) is still a
    candidate unless that directory is `established` (it exists at the base: the runner evidently
    does not apply it). A runner that scans its location recursively (Flyway) would apply
    `db/migration/testdata/V2__drop.sql` or `db/migration/node_modules/V2__drop.sql`: a PR cannot
    hide a migration by creating such a directory. (The file is the PR's own, read by its path; a
    symlink on the way into a never-read directory is still refused by the workspace.)

    `flyway` is the Flyway configuration's file naming (a pattern when the base's or the PR's
    configuration names a prefix, separator or suffix of its own) and `filesystem:` locations: a file
    named so (under a location, when any is named) is a Flyway migration, and so is a PR file with a
    Flyway name under a location the walk skips."""
    files = ws.files()
    explicit = paths is not None
    revealed: set[str] = set()
    if explicit:
        globs = [g for p in paths or () for g in configured_globs(p)]
        chosen = ws.glob(globs)
        # a PR file the configuration names, in a directory the walk skips that the PR creates
        listed = set(files)
        revealed = {f for f in pr_files if f not in listed and not any(p.lower() == ".git" for p in f.split("/"))
                    and not (ws.exclude and matches(f, ws.exclude)) and matches(f, globs)
                    and (d := _skipped_dir(f)) is not None and not established(d)}
        chosen = sorted({*chosen, *revealed})
    else:
        listed = set(files)
        pr_set = set(pr_files)
        dialect_named = {_dir_and_name(f)[0] for f in files if f not in pr_set and OTHER_DIALECT.search(f)}
        revealed = {f for f in pr_set if not any(p.lower() == ".git" for p in f.split("/"))
                    and not (ws.exclude and matches(f, ws.exclude))
                    and _hidden_new(f, established, dialect_named)}
        chosen = files + sorted(revealed - listed)
    file_set = set(files) | set(chosen)
    undo: dict[tuple[str, str], str] = {}
    golang_dirs: set[str] = set()
    for f in chosen:
        d, n = _dir_and_name(f)
        m = FLYWAY_UNDO.match(n)
        if m:
            undo[(d, m.group("ver"))] = f
        g = GOLANG.match(n)
        if g and g.group("dir") == "up" and g.group("ext").lower() == "sql":
            golang_dirs.add(d)
    out: list[Candidate] = []
    for f in chosen:
        cand = _classify(f, file_set, undo, explicit, golang_dirs, dialects=f not in revealed)
        if cand is not None:
            out.append(cand)
    # Liquibase XML/YAML/JSON changelogs: in a migrations directory (or a configured path), or
    # anywhere the PR adds or changes one (a master changelog can include any file)
    pr_changed = set(pr_files)
    out.extend(_changelogs(ws, (f for f in chosen if lbdoc.maybe_changelog(f) and (
        explicit or f in pr_changed or any(p.lower() in MIGRATION_DIRS for p in f.split("/")[:-1])))))
    if not explicit:
        found = {c.path for c in out}
        linked = _linked(ws, files)
        virtual = set(linked)
        for vpath, real in linked.items():
            cand = _classify(vpath, virtual, {}, False, golang_dirs)
            if cand is not None and real not in found:
                found.add(real)
                down = linked.get(cand.down_path) if cand.down_path else None
                out.append(Candidate(path=real, format=cand.format, down_path=down))
        for cand in _sqitch_deploys(ws, files):
            if cand.path not in found:
                found.add(cand.path)
                out.append(cand)
        changed = sorted(set(pr_files) & set(files))
        have = {o.path for o in out}
        out.extend(_changelogs(ws, (f for f in changed if f not in have and lbdoc.maybe_changelog(f))))
        out.extend(Candidate(path=f, format="python") for f in changed
                   if f.endswith(".py") and f not in found and _python_migration(ws, f))
        out.extend(Candidate(path=f, format="sql") for f in changed
                   if f.lower().endswith(".sql") and f not in found and not _dialect_named(f) and _sql_migration(ws, f))
    if flyway[0] is not None or flyway[1]:
        out = _flyway_configured(out, files, pr_files, *flyway, explicit=explicit)
    if explicit:  # the runners' own locations still hold migrations the configured paths leave out
        out = _alembic_located(ws, out, files, pr_files)
    return sorted(_postgres_chosen(out), key=lambda c: c.path)


def _flyway_configured(out: list[Candidate], files: Sequence[str], pr_files: Iterable[str],
                       names: re.Pattern[str] | None, locations: Sequence[str], *,
                       explicit: bool = False) -> list[Candidate]:
    """`out` with the files Flyway runs under its configured naming and locations (see `discover`).

    With `gates.migrations.paths` configured (`explicit`), a file with Flyway's own name under a
    `filesystem:` location is added too: Flyway runs it whatever the policy's paths say, so a pull
    request cannot move a migration out of the judged paths by adding a location."""
    from readiness.gates.migrations.flywayconf import flyway_format

    def located(f: str) -> bool:
        return not locations or any(loc == "" or f.startswith(loc + "/") for loc in locations)

    by_path = {c.path: i for i, c in enumerate(out)}
    listed = set(files)
    pool = [*files, *(f for f in pr_files if f not in listed and located(f) and ".git" not in f.lower().split("/"))]
    for f in pool:
        name = f.rpartition("/")[2]
        default = FLYWAY_UP.match(name) or FLYWAY_REPEATABLE.match(name) or FLYWAY_UNDO.match(name)
        own = explicit and bool(locations) and located(f)
        if f in listed and ((default and not own) or OTHER_DIALECT.search(name)
                            or any(map(_other_dialect_dir, f.split("/")[:-1]))):
            continue  # Flyway's own names, and other databases' files, are classified as without configuration
        fmt = flyway_format(name, names) if located(f) else None
        if fmt is None and (f not in listed or own) and (FLYWAY_UP.match(name) or FLYWAY_REPEATABLE.match(name)):
            fmt = "flyway" if FLYWAY_UP.match(name) else "flyway-repeatable"
        if fmt is None:
            continue
        at = by_path.get(f)
        if at is None:
            by_path[f] = len(out)
            out.append(Candidate(path=f, format=fmt))
        elif out[at].format == "sql":  # named for Flyway by its configuration, not a plain script
            out[at] = Candidate(path=f, format=fmt)
    return out


_ALEMBIC_DIRS = lazyre.compile(r"^[ \t]*(script_location|version_locations)[ \t]*[=:][ \t]*([^\n#;]*)", re.MULTILINE)
MAX_ALEMBIC_INIS = 20


def _alembic_located(ws: Workspace, out: list[Candidate], files: Sequence[str],
                     pr_files: Iterable[str]) -> list[Candidate]:
    """`out` with the PR's Alembic revisions under a directory an `alembic.ini` names
    (`script_location`'s `versions/`, each of `version_locations`): with `gates.migrations.paths`
    configured, a pull request that adds a version location must not move a revision out of the
    judged paths. The ini is read as text; `%(here)s` is its own directory."""
    inis = [f for f in files if f == "alembic.ini" or f.endswith("/alembic.ini")][:MAX_ALEMBIC_INIS]
    dirs: set[str] = set()
    for ini in inis:
        try:
            text = ws.read_text(ini)
        except FileProblem:
            continue
        here = _dir_and_name(ini)[0]
        for key, value in _ALEMBIC_DIRS.findall(text):
            for loc in re.split(r"[\s,;:]+" if key == "version_locations" else r"\n", value.strip()):
                loc = loc.replace("%(here)s", here or ".").strip().strip("/")
                if not loc or ":" in loc:
                    continue  # a package resource (`pkg:versions`) is not a path here
                loc = posixpath.normpath(posixpath.join(here, loc) if not loc.startswith(here) else loc)
                if loc.startswith(".."):
                    continue
                dirs.add(posixpath.join(loc, "versions") if key == "script_location" else loc)
    if not dirs:
        return out
    found = {c.path for c in out}
    listed = set(files)
    out.extend(Candidate(path=f, format="python") for f in sorted(set(pr_files) & listed)
               if f.endswith(".py") and f not in found and any(f.startswith(d + "/") for d in dirs if d != ".")
               and _python_migration(ws, f))
    return out


_POSTGRES_INFIX = lazyre.compile(r"\.(?:postgres|postgresql)(?=(?:\.autocommit)?\.up\.sql$)")
_AUTOCOMMIT_INFIX = lazyre.compile(r"\.autocommit(?=\.up\.sql$)")


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


_REVISION = lazyre.compile(r"^revision\s*(?::[^=\n]*)?=", re.MULTILINE)
_DOWN_REVISION = lazyre.compile(r"^down_revision\b", re.MULTILINE)
_DJANGO = lazyre.compile(r"^class\s+Migration\s*\(\s*migrations\.Migration\s*\)", re.MULTILINE)
_SNIFF_BYTES = 256 * 1024


def _python_migration(ws: Workspace, path: str) -> bool:
    """A Python file that Alembic or Django would run as a migration wherever it lives (Alembic's
    `version_locations` and Django's `MIGRATION_MODULES` can name any directory): a module-level
    `revision` and `down_revision` with `def upgrade`, or `class Migration(migrations.Migration)`.
    Asked only of files the PR adds or changes, so a PR cannot hide a migration by its place."""
    try:
        head = ws.read_bytes(path, limit=ws.max_file_bytes)[:_SNIFF_BYTES].decode("utf-8", "replace")
    except FileProblem:
        return False
    if _DJANGO.search(head):
        return True
    return "def upgrade" in head and _REVISION.search(head) is not None and _DOWN_REVISION.search(head) is not None


_SQL_MARKER = lazyre.compile(
    r"^[ \t]*--[ \t]*(?:\+goose[ \t]+(?i:up)\b|migrate:up\b|liquibase[ \t]+formatted[ \t]+sql\b)", re.MULTILINE)
"""The first line of a goose (`-- +goose Up`), dbmate (`-- migrate:up`) or Liquibase formatted SQL file."""


def _sql_migration(ws: Workspace, path: str) -> bool:
    """A `.sql` file that goose, dbmate or Liquibase would run wherever it lives (their directory is
    a command-line flag, an environment variable or an include, which the tool cannot see): it holds
    the runner's own marker line. Asked only of files the PR adds or changes, as for Python files."""
    try:
        head = ws.read_bytes(path, limit=ws.max_file_bytes)[:_SNIFF_BYTES].decode("utf-8", "replace")
    except FileProblem:
        return False
    return _SQL_MARKER.search(head) is not None


def _changelogs(ws: Workspace, paths: Iterable[str]) -> Iterator[Candidate]:
    """The Liquibase changelogs among `paths`: the root of each is `databaseChangeLog` (a bounded head is read)."""
    for path in paths:
        try:
            head = ws.read_head(path, lbdoc.SNIFF_BYTES).decode("utf-8", "replace")
        except FileProblem:
            continue  # not read here; a changelog the gate cannot read is reported when judged
        fmt = lbdoc.changelog_format(path, head)
        if fmt is not None:
            yield Candidate(path=path, format=fmt)


_SQITCH_DIR = lazyre.compile(r"^[ \t]*(top_dir|deploy_dir|revert_dir|extension)[ \t]*=[ \t]*\"?([^\"\n;#]*)",
                             re.MULTILINE | re.IGNORECASE)
MAX_SQITCH_CONFS = 50


def _sqitch_deploys(ws: Workspace, files: Sequence[str]) -> Iterator[Candidate]:
    """Sqitch changes in a deploy directory that a `sqitch.conf` names (`deploy_dir`, `top_dir`), with
    the script extension it names (`extension = psql`): sqitch runs `<deploy_dir>/<change>.<extension>`
    wherever that is, so its scripts are migrations even outside a `deploy/` directory and named
    otherwise than `.sql` (the default, found by name)."""
    confs = [f for f in files if f == "sqitch.conf" or f.endswith("/sqitch.conf")][:MAX_SQITCH_CONFS]
    for conf in confs:
        try:
            text = ws.read_text(conf)
        except FileProblem:
            continue
        keys = {k.lower(): v.strip().strip("/") for k, v in _SQITCH_DIR.findall(text)}
        if "deploy_dir" not in keys and "top_dir" not in keys and "extension" not in keys:
            continue
        ext = "." + (keys.get("extension") or "sql").strip().lstrip(".").lower()
        base = _dir_and_name(conf)[0]
        top = keys.get("top_dir", "")
        deploy = keys.get("deploy_dir", posixpath.join(top, "deploy") if top else "deploy")
        revert = keys.get("revert_dir", posixpath.join(top, "revert") if top else "revert")
        for d, r in ((deploy, revert), (posixpath.join(top, deploy), posixpath.join(top, revert))):
            d, r = posixpath.normpath(posixpath.join(base, d)), posixpath.normpath(posixpath.join(base, r))
            if d.startswith("..") or d == ".":
                continue
            prefix = d + "/"
            for f in files[bisect.bisect_left(files, prefix):]:
                if not f.startswith(prefix):
                    break
                if f.lower().endswith((ext, ".sql")):
                    rev = r + "/" + f[len(prefix):]
                    yield Candidate(path=f, format="sqitch", down_path=rev if ws.exists(rev) else None)


def _dialect_named(path: str) -> bool:
    """A path named for another database, in its file name or a directory (skipped, as by the search)."""
    d, n = _dir_and_name(path)
    return OTHER_DIALECT.search(n) is not None or any(_other_dialect_dir(p) for p in d.split("/") if p)


MAX_LINKED = 100_000
"""Files reached through directory symlinks below migrations directories, at most (a bound on work)."""


def _linked(ws: Workspace, files: Sequence[str]) -> dict[str, str]:
    """Files that a runner reads through a directory symlink at or below a migrations directory
    (`db/migrations -> ../schema`): the path through the link -> the listed file. The walk does not
    follow directory links, so without this a migration in `schema/` passed unseen."""
    out: dict[str, str] = {}
    for link in files:
        if not ws.is_symlink(link) or not any(p.lower() in MIGRATION_DIRS for p in link.split("/")):
            continue
        try:
            target = ws.inside(link)
        except FileProblem:
            continue  # leaves the repository or leads where the walk never goes: reported elsewhere
        if not target.is_dir() or target == ws.root:
            continue
        prefix = target.relative_to(ws.root).as_posix() + "/"
        # a target in a directory the walk skips (vendor/, testdata/): its files are listed here, so
        # the default exclusions do not hide what the runner reads through the link
        under = _listed_under(target, prefix) if _skipped_dir(prefix + "x") is not None else \
            files[bisect.bisect_left(files, prefix):]
        for f in under:
            if not f.startswith(prefix) or len(out) >= MAX_LINKED:
                break
            out[f"{link}/{f[len(prefix):]}"] = f
    return out


def _listed_under(target: Path, prefix: str) -> list[str]:
    """The files under a directory the walk does not enter, as repository paths (sorted, at most
    MAX_LINKED; no link followed, nothing under a never-read directory such as `.git/`)."""
    out: list[str] = []
    for here, dirs, names in os.walk(target, followlinks=False):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and d.lower() != ".git")
        rel = os.path.relpath(here, target).replace(os.sep, "/")
        base = prefix if rel == "." else f"{prefix}{rel}/"
        out.extend(base + n for n in names)
        if len(out) >= MAX_LINKED:
            break
    return sorted(out)[:MAX_LINKED]


def hidden_links(ws: Workspace) -> list[tuple[str, str]]:
    """Directory symlinks at or below a migrations directory that lead, inside the repository, into a
    directory the walk never reads (`db/migrations/extra -> ../../vendor/x`, or into `.git/`):
    (link, target). Flyway scans its location recursively and follows such a link, so a migration
    there runs; the gate does not read through it (the walk's exclusions hold), so the link itself
    is reported (fail closed), never the files behind it read."""
    out: list[tuple[str, str]] = []
    root = os.path.realpath(ws.root)
    for link in ws.files():
        if not ws.is_symlink(link) or not any(p.lower() in MIGRATION_DIRS for p in link.split("/")):
            continue
        try:
            ws.inside(link)
        except FileProblem:
            real = os.path.realpath(os.path.join(root, link))
            if real.startswith(root + os.sep) and os.path.isdir(real):
                out.append((link, os.path.relpath(real, root).replace(os.sep, "/")))
    return out


def _skipped_dir(path: str) -> str | None:
    """The first directory of `path` that the walk skips by its name (vendored, test data, or never
    entered), or None."""
    parts = path.split("/")
    for i, part in enumerate(parts[:-1]):
        if part.lower() in DEFAULT_EXCLUDE_DIRS or part in SKIP_DIRS:
            return "/".join(parts[: i + 1])
    return None


def _hiding_dir(path: str) -> tuple[str, bool] | None:
    """The directory for which the automatic search skips `path` although it lies below a
    migrations directory, and whether it is skipped for its name of another dialect (then the
    directory is the file's own); None when the search does not skip it that way."""
    parts = path.split("/")
    under = False
    for i, part in enumerate(parts[:-1]):
        if under and (part.lower() in DEFAULT_EXCLUDE_DIRS or part in SKIP_DIRS or _other_dialect_dir(part)):
            return "/".join(parts[: i + 1]), False
        under = under or part.lower() in MIGRATION_DIRS or part == "versions"
    if under and OTHER_DIALECT.search(parts[-1]):
        return "/".join(parts[:-1]), True
    return None


def _hidden_new(path: str, established: Callable[[str], bool], dialect_named: Container[str]) -> bool:
    """A PR file that the search skips (or the walk does not list) below a migrations directory, in
    a directory the PR creates, or named for another dialect where no file of the base is: judged,
    since nothing shows that the runner leaves it alone."""
    hiding = _hiding_dir(path)
    if hiding is None:
        return False
    d, by_name = hiding
    if by_name:
        return d not in dialect_named
    parent, _, name = d.rpartition("/")
    if _other_dialect_dir(name):
        file = path.rpartition("/")[2]
        if not (FLYWAY_UP.match(file) or FLYWAY_REPEATABLE.match(file) or file.endswith(".fizz")):
            # only Flyway and pop scan their location recursively; golang-migrate, goose, dbmate and sqlx
            # read the one directory they are given, so `migrations/clickhouse/1_x.up.sql` is run
            # on ClickHouse, never by the PostgreSQL runner (flipt's new internal/migrations/clickhouse)
            return False
        if any(established(f"{parent}/{pg}" if parent else pg) for pg in POSTGRES_DIRS):
            # one directory per database, PostgreSQL's beside it at the base (`db/migration/postgres/`,
            # `db/migration/mysql/`): each runner is pointed at its own
            return False
    return not established(d)


def _classify(f: str, file_set: set[str], undo: dict[tuple[str, str], str], explicit: bool,
              golang_dirs: Container[str] = (), *, dialects: bool = True) -> Candidate | None:
    d, n = _dir_and_name(f)
    parts = d.split("/") if d else []
    low = n.lower()
    if n.endswith(".py"):
        if n == "__init__.py":
            return None
        if "versions" in parts or explicit:
            return Candidate(path=f, format="python")
        if parts and parts[-1] == "migrations" and DJANGO_NAME.match(n):
            return Candidate(path=f, format="python")
        return None
    g = GOLANG.match(n)
    if n.endswith(".fizz"):
        # pop's own format, wherever pop's migration path points: pop walks it recursively and reads
        # no directory name; a fizz file named for a dialect (`x.postgres.up.fizz`) stops pop's
        # migrator, so nothing of it runs; a generic one beside it is judged all the same
        if g is None or g.group("dir") != "up" or (dialects and OTHER_DIALECT.search(n)):
            return None
        down = f[: -len(".up.fizz")] + ".down.fizz"
        return Candidate(path=f, format="fizz", down_path=down if down in file_set else None)
    if dialects and (OTHER_DIALECT.search(n) or (not explicit and any(_other_dialect_dir(p) for p in parts))):
        return None
    if g and g.group("dir") == "up" and d in golang_dirs and not low.endswith(".sql"):
        # golang-migrate applies `<ver>_<name>.up.<any extension>` from its directory
        down = f[: len(f) - len(n) + g.start("dir")] + "down." + g.group("ext")
        return Candidate(path=f, format="golang-migrate", down_path=down if down in file_set else None)
    if not low.endswith(".sql"):
        return None
    if FLYWAY_UNDO.match(n) or low.endswith(".down.sql") or low == "down.sql" or (g and g.group("dir") == "down"):
        return None
    if "revert" in parts or "verify" in parts:
        return None
    m = FLYWAY_UP.match(n)
    if m:
        return Candidate(path=f, format="flyway", down_path=undo.get((d, m.group("ver"))))
    if FLYWAY_REPEATABLE.match(n):
        return Candidate(path=f, format="flyway-repeatable")
    if low.endswith(".up.sql"):
        down = f[: -len(".up.sql")] + ".down" + f[-len(".sql"):]
        return Candidate(path=f, format="golang-migrate", down_path=down if down in file_set else None)
    if low == "up.sql":
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
