"""Replay in the migrations gate: the PR's plain-SQL migrations run on a real PostgreSQL, and what the
server did confirms, corrects or adds to the static findings.

The one entry point is `integrate`, called once by the gate after its static judgement with the
migrations it discovered and judged. It

1. decides whether to replay (`replay: auto|on|off`, the runner's `--replay`/`READINESS_REPLAY`);
2. reads each migration directory that holds a judged SQL migration into `readiness.replay`
   inputs: the history (every SQL migration of the directory before the first judged one, in apply
   order) and the PR (the judged ones and whatever follows them), each file's statements with their
   positions, its runner's transaction mode and its down (golang-migrate/diesel/sqitch down files,
   dbmate/goose down sections, Liquibase rollbacks);
3. runs the engine (`readiness.replay.replay`) within the gate's time limit;
4. turns what it saw into findings (`migration-fails-to-apply`, `down-does-not-restore`,
   `up-after-down-fails`, `foreign-key-without-index`, `observed-exclusive-lock`, and the notes
   `replay-unavailable`, `replay-history-fails`, `replay-not-conclusive`), confirms or downgrades the
   static findings of the statements it observed, and adds the observations to the items.

Python migrations (Alembic, Django) are never executed. Nothing is concluded from a history that did
not replay cleanly, and a static finding is only downgraded on a complete observation.

Why over 500 lines: it is the one bridge between the gate's static model and the replay engine
(inputs per format, settings, findings from observations, downgrades, the report's summary); its parts
share the per-directory inputs and would only pass them around if split.
"""

from __future__ import annotations

import bisect
import contextlib
import os
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from readiness import lazyre
from readiness.gates.migrations import changesets, liquibase
from readiness.gates.migrations import rules as R
from readiness.gates.migrations.classify import TxMode as StaticMode
from readiness.gates.migrations.discover import Candidate
from readiness.gates.migrations.fizz import pop_sql
from readiness.gates.migrations.flywayconf import Flyway
from readiness.gates.migrations.history import order, root
from readiness.gates.migrations.lbdoc import STRUCTURED
from readiness.gates.migrations.runners import BY_FORMAT, Detector, fill_templates
from readiness.gates.migrations.sql import (
    DBMATE_DOWN,
    DBMATE_UP,
    GOOSE_ENVSUB,
    PLACEHOLDER_FORMATS,
    Origin,
    dbmate_transaction,
    fill_placeholders,
    goose_envsub,
    goose_sections,
    is_goose,
    parse,
    sections,
)
from readiness.model import Finding, Item, Location, RiskClass, Severity
from readiness.rules.catalog import rule
from readiness.workspace import FileProblem, Workspace, decode_text

if TYPE_CHECKING:
    from readiness.gates.base import GateContext
    from readiness.replay import Migration, MigrationResult, Replayed, Statement, StatementResult

FAILS_TO_APPLY = rule("migrations/migration-fails-to-apply")
DOWN_NOT_RESTORED = rule("migrations/down-does-not-restore")
UP_AFTER_DOWN = rule("migrations/up-after-down-fails")
FK_WITHOUT_INDEX = rule("migrations/foreign-key-without-index")
OBSERVED_LOCK = rule("migrations/observed-exclusive-lock")
UNAVAILABLE = rule("migrations/replay-unavailable")
HISTORY_FAILS = rule("migrations/replay-history-fails")
NOT_CONCLUSIVE = rule("migrations/replay-not-conclusive")

MODES = ("auto", "on", "off")
REPLAY_ENV = "READINESS_REPLAY"
"""The runner's choice (`auto|on|off`), over the configuration's; `--replay` and the action's
`replay` input set it too. Never read from the repository."""
URL_ENV = "READINESS_DATABASE_URL"
"""A server the runner gives (`--database-url`, the action's `database-url` input)."""
MAX_OBSERVED = 20
"""On a full scan (no base), the last this many migrations of a directory are observed; the rest
are history. With a base, the PR's migrations are observed, however many."""
DEFAULT_BUDGET_S = 120.0
MIN_BUDGET_S = 3.0
"""Below this, replay is not tried (a throwaway server alone takes 0.5-2 s to start)."""
GATE_SHARE = 0.75
"""Of the gate's own time limit, what replay may use (the watchdog kills the gate at the limit)."""

NOT_LOCK_RULES = frozenset({
    R.LOCK_TIMEOUT.id, R.IRREVERSIBLE.id, R.LOSSY_DOWN.id, R.PARSE_ERROR.id, R.UNREADABLE.id, R.DYNAMIC_SQL.id,
    R.PYTHON_SYNTAX.id, R.PATH_MATCHES_NOTHING.id, R.NESTED_TXN.id, R.UNCLOSED_TXN.id, R.ENDED_EARLY.id,
    R.MIXED.id,
    # advisory rules about the schema a migration creates, not the locks it takes
    R.IDENTIFIER_TOO_LONG.id, R.INT_PK.id, R.TIMESTAMP_NO_TZ.id, R.CHAR_COLUMN.id, "migrations/json-column",
})
"""Static rules that are not a prediction of the locks or rewrites a statement causes."""
REWRITE_RULES = frozenset({R.CHANGE_TYPE.id, R.VOLATILE_DEFAULT.id, R.STORED_GENERATED.id, R.ADD_SERIAL.id})
"""Static rules whose harm is a predicted table rewrite: with no rewrite and no scan observed, what is
left is a brief ACCESS EXCLUSIVE lock (medium)."""
DATA_LOSS_RULES = frozenset({R.DROP_TABLE.id, R.DROP_COLUMN.id, R.TRUNCATE.id, R.DELETE_ALL.id, R.DROP_TYPE.id,
                             R.DROP_SEQUENCE.id, R.DROP_EXTENSION.id, R.CREATE_RULE.id})
"""Static rules whose harm is data lost, not a lock: what replay observes of locks and scans never
downgrades them (the statement a finding points at may only wire up what deletes the data later:
a trigger, a column DEFAULT, a rule, which the replay sees take no lock)."""
_OPAQUE = lazyre.compile(r"(?:\s+|--[^\n]*\n?|/\*.*?\*/)*(DO|SELECT|CALL|PERFORM|EXECUTE|WITH|INSERT|UPDATE|DELETE"
                         r"|VALUES)\b", re.IGNORECASE | re.DOTALL)
"""Statements whose locks the static rules cannot see: DDL run by a DO block, a function or a procedure."""


# -- settings --------------------------------------------------------------------------------------

def mode_of(ctx: GateContext, env: Mapping[str, str] = os.environ) -> str:
    """auto | on | off: the runner's choice (flag, action input, environment), else the configuration's."""
    for value in (ctx.replay, env.get(REPLAY_ENV)):
        if value and value.strip().lower() in MODES:
            return value.strip().lower()
    return ctx.config.migrations_gate.replay


def database_url(ctx: GateContext, env: Mapping[str, str] = os.environ) -> str | None:
    """The server the runner gives, if any (never from the repository)."""
    return ctx.database_url or env.get(URL_ENV) or None


# -- reading the migrations ------------------------------------------------------------------------

def _statements(text: str, line: int = 1, **unit: Any) -> tuple[Statement, ...]:
    from readiness.replay import Statement

    stmts, _errors = parse(text, Origin(line=line), trees=False)
    return tuple(Statement(sql=s.text, line=s.line, column=s.column, **unit) for s in stmts)


def _text(ws: Workspace, rel: str) -> str:
    # read_bytes, not read_text: a history file is not a file the gate judges (no inline waivers)
    return decode_text(rel, ws.read_bytes(rel))


def _mode(mode: StaticMode) -> Any:
    from readiness.replay import TxMode

    return TxMode(mode.value)


def read_migration(ws: Workspace, cand: Candidate, detector: Detector,
                   transactional: bool | None = None,
                   placeholders: Callable[[str], str] = fill_placeholders,
                   keep: Callable[[liquibase.Changeset], bool] | None = None) -> Migration | None:
    """One SQL migration file as the replay runs it (None: unreadable, or not SQL), with the runner's
    transaction mode as the static gate models it; of a Liquibase changelog, only the changesets
    `keep` takes (all without it)."""
    from readiness.replay import Migration, TxMode

    if cand.format == "python" or cand.format in STRUCTURED:
        return None
    try:
        text = _text(ws, cand.path)
    except FileProblem:
        return None
    configured = None if transactional is None else (StaticMode.WRAPPED if transactional else StaticMode.AUTOCOMMIT)
    if liquibase.is_changelog(text) and not (liquibase.flyway_named(cand.path)
                                             and liquibase.runner(ws, cand.path) == "flyway"):
        ups: list[Statement] = []
        downs: list[Statement] = []
        has_down = False
        for unit, cs in enumerate(liquibase.changesets(text), start=1):
            if not cs.for_postgres or (keep is not None and not keep(cs)):
                continue
            auto = not cs.in_transaction
            ups += _statements(fill_placeholders(cs.sql), cs.sql_line, unit=unit, autocommit=auto)
            if cs.rollback_state == "present":
                has_down = True
                downs[:0] = _statements(fill_placeholders(cs.rollback), cs.sql_line, unit=unit, autocommit=auto)
        return Migration(id=cand.path, statements=tuple(ups), mode=TxMode.UNITS,
                         down=tuple(downs) if has_down else None, down_mode=TxMode.UNITS)
    down: tuple[Statement, ...] | None = None
    fmt = cand.format
    if fmt == "sql" and DBMATE_UP.search(text):
        (up, line), dsec = sections(text, DBMATE_UP, DBMATE_DOWN)
        mode = BY_FORMAT["dbmate"].mode if dbmate_transaction(text) else StaticMode.IMPLICIT
    elif fmt == "sql" and is_goose(text):
        (up, line), dsec, no_tx = goose_sections(goose_envsub(text)[0] if GOOSE_ENVSUB.search(text) else text)
        mode = StaticMode.AUTOCOMMIT if no_tx else BY_FORMAT["goose"].mode
    else:
        dsec = None
        up, line = (placeholders(text) if fmt in PLACEHOLDER_FORMATS else text), 1
        templates = False
        if fmt == "golang-migrate":
            runner = detector.up_sql(cand.path, text)
            mode, templates = runner.mode, runner.templates
            up = fill_templates(up) if templates else up
        elif fmt == "fizz":  # the statements fizz writes, as the gate judged them
            mode, up = detector.fizz(cand.path).mode, pop_sql(text).sql
        elif fmt in ("flyway", "flyway-repeatable"):
            mode = StaticMode.flyway(up)
            if transactional is None and ws.exists(cand.path + ".conf"):
                try:
                    conf = StaticMode.flyway_script_config(_text(ws, cand.path + ".conf"))
                except FileProblem:
                    conf = None
                mode = conf or mode
        else:
            mode = BY_FORMAT.get(fmt, BY_FORMAT["sql"]).mode
        if cand.down_path is not None:
            try:
                dtext = _text(ws, cand.down_path)
            except FileProblem:
                dtext = None
            if dtext is not None:
                dtext = placeholders(dtext) if fmt in PLACEHOLDER_FORMATS else dtext
                dtext = pop_sql(dtext).sql if fmt == "fizz" else dtext
                down = _statements(fill_templates(dtext) if templates else dtext)
    if dsec is not None:
        down = _statements(*dsec)
    mode = configured or mode
    return Migration(id=cand.path, statements=_statements(up, line), mode=_mode(mode), down=down,
                     down_id=cand.down_path if cand.down_path and dsec is None else None)


BOOKKEEPING = {
    "golang-migrate": "CREATE TABLE IF NOT EXISTS schema_migrations (version bigint NOT NULL PRIMARY KEY, "
                      "dirty boolean NOT NULL)",
    "dbmate": "CREATE TABLE IF NOT EXISTS schema_migrations (version varchar(128) PRIMARY KEY)",
    "goose": "CREATE TABLE IF NOT EXISTS goose_db_version (id serial PRIMARY KEY, version_id bigint NOT NULL, "
             "is_applied boolean NOT NULL, tstamp timestamp DEFAULT now())",
    "flyway": "CREATE TABLE IF NOT EXISTS flyway_schema_history (installed_rank integer PRIMARY KEY, "
              "version varchar(50), description varchar(200) NOT NULL, type varchar(20) NOT NULL, "
              "script varchar(1000) NOT NULL, checksum integer, installed_by varchar(100) NOT NULL, "
              "installed_on timestamp NOT NULL DEFAULT now(), execution_time integer NOT NULL, "
              "success boolean NOT NULL)",
    "popx": "CREATE TABLE IF NOT EXISTS schema_migration (version varchar(48) NOT NULL PRIMARY KEY, "
            "version_self integer NOT NULL DEFAULT 0)",
    "pop": "CREATE TABLE IF NOT EXISTS schema_migration (version varchar(14) NOT NULL PRIMARY KEY)",
    "diesel": "CREATE TABLE IF NOT EXISTS __diesel_schema_migrations (version varchar(50) PRIMARY KEY NOT NULL, "
              "run_on timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP)",
}
"""The table each tool keeps its bookkeeping in, created before the history as the tool does: some
migrations read or fix it (harbor's `schema_migrations`)."""


def _bookkeeping(ws: Workspace, cand: Candidate, detector: Detector) -> Migration | None:
    """The directory's tool's bookkeeping table, as a first history migration (None: no known tool)."""
    from readiness.replay import Migration, Statement

    tool = {"flyway": "flyway", "flyway-repeatable": "flyway", "diesel": "diesel"}.get(cand.format)
    if cand.format == "fizz":
        tool = detector.fizz(cand.path).name
    if cand.format in ("golang-migrate", "sql"):
        try:
            text = _text(ws, cand.path)
        except FileProblem:
            return None
        if cand.format == "golang-migrate":
            tool = detector.up_sql(cand.path, text).name
        elif DBMATE_UP.search(text):
            tool = "dbmate"
        elif is_goose(text):
            tool = "goose"
    sql = BOOKKEEPING.get(tool or "")
    if sql is None:
        return None
    return Migration(id=f"{cand.path.rsplit('/', 1)[0]}/({tool} bookkeeping table)", statements=(Statement(sql=sql),))


@dataclass(slots=True)
class Plan:
    """One migration directory, ready to replay."""

    directory: str
    history: list[Migration] = field(default_factory=list)
    pr: list[Migration] = field(default_factory=list)
    judged: set[str] = field(default_factory=set)
    """The PR migrations the gate judges (findings are reported for these only)."""
    bookkeeping: int = 0
    """History entries that are the tool's own bookkeeping table, not the repository's migrations."""
    where: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """A migration made of several files (popx parts): the file of each up statement."""
    down_where: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """The same for its down statements."""
    parts: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """A migration made of several files: every file's path (items are per file)."""

    def up_path(self, mid: str, index: int) -> str:
        """The file of the migration's `index`-th up statement."""
        return self.where[mid][index] if mid in self.where and index < len(self.where[mid]) else mid

    def down_path(self, mig: Migration, line: int | None) -> str:
        """The file of the migration's down statement on `line` (its first one when not known)."""
        paths = self.down_where.get(mig.id)
        downs = mig.down or ()
        if paths:
            return next((p for st, p in zip(downs, paths, strict=False) if st.line == line), paths[0])
        return mig.down_id or mig.id


_DECLARES_FK = lazyre.compile(r"\b(?:REFERENCES|FOREIGN\s+KEY)\b|\bDO\b|\bEXECUTE\b", re.IGNORECASE)
"""A statement that can add a foreign key (or run SQL that does)."""
_POSTGRES_INFIX = lazyre.compile(r"\.(?:postgres|postgresql)(?=(?:\.autocommit)?\.up\.sql$)")


def _dialect_chosen(cands: list[Candidate], judged: set[str]) -> list[Candidate]:
    """popx and pop run, per migration, the file for the database (`x.postgres.up.sql`) instead of the
    generic one (`x.up.sql`): replaying both would apply the migration twice."""
    specific = {_POSTGRES_INFIX.sub("", c.path) for c in cands if _POSTGRES_INFIX.search(c.path)}
    if not specific:
        return cands
    dropped = {c.path for c in cands if c.path in specific}
    judged -= dropped
    return [c for c in cands if c.path not in dropped]


_LEADING_VERSION = lazyre.compile(r"^(\d+)")


def _apply_order(cand: Candidate) -> tuple[bool, tuple[int, ...], str]:
    """Flyway by version, repeatable ones last; the others by the number their file (or, for diesel and
    Prisma, directory) name starts with, as golang-migrate, goose and dbmate parse it (`2_x` before
    `10_x`), then by path."""
    versions, path = order(cand)
    if not versions:
        name = path.rsplit("/", 2)[-2] if cand.format in ("diesel", "prisma") and path.count("/") else \
            path.rsplit("/", 1)[-1]
        m = _LEADING_VERSION.match(name)
        versions = (int(m.group(1)),) if m else ()
    return cand.format == "flyway-repeatable", versions, path


class OutOfTime(Exception):
    """Reading the migrations took the time replay had."""


def plans(ws: Workspace, every: Sequence[Candidate], chosen: Sequence[Candidate], *, full_scan: bool,
          transactional: bool | None = None, deadline: float | None = None,
          placeholders: Callable[[str], str] = fill_placeholders,
          applied: Callable[[str], Mapping[str, str] | None] = lambda _path: None) -> list[Plan]:
    """Per directory holding a judged SQL migration: its history and its PR migrations, in apply order.
    A formatted-SQL changelog the PR edits is two: the changesets its base version has (`applied`,
    see changesets.py) are history, run before the PR's, which are its migration.
    OutOfTime when `deadline` (monotonic) passes while reading them."""
    detector = Detector(ws)
    judged = {c.path for c in chosen if c.format != "python" and c.format not in STRUCTURED}
    by_dir: dict[str, list[Candidate]] = {}
    for c in every:
        if c.format != "python" and c.format not in STRUCTURED:  # XML/YAML/JSON changelogs are not replayed
            by_dir.setdefault(root(c), []).append(c)
    out = []
    for directory, cands in sorted(by_dir.items()):
        if not judged.intersection(c.path for c in cands):
            continue
        cands = _dialect_chosen(cands, judged)
        cands.sort(key=_apply_order)
        first = next(i for i, c in enumerate(cands) if c.path in judged)
        if full_scan:
            first = max(first, len(cands) - MAX_OBSERVED)
        plan = Plan(directory=directory)
        tool = _bookkeeping(ws, cands[0], detector)
        if tool is not None:
            plan.history.append(tool)
            plan.bookkeeping = 1
        read: list[tuple[int, Migration]] = []
        late: list[Migration] = []  # the applied changesets of the changelogs the PR edits: after the history
        for i, c in enumerate(cands):
            if deadline is not None and time.monotonic() > deadline:
                raise OutOfTime
            known = applied(c.path) if i >= first and c.path in judged else None
            if known is not None:  # its applied changesets first, as history (not observed)
                def old(cs: liquibase.Changeset, known: Mapping[str, str] = known) -> bool:
                    return changesets.applied(cs.ident, changesets.fingerprint(cs), changesets.reruns(cs), known)

                h = read_migration(ws, c, detector, transactional, placeholders, keep=old)
                if h is not None and h.statements:
                    late.append(replace(h, id=f"{c.path} (changesets already applied)", down=None))
                def new(cs: liquibase.Changeset, old: Callable[[liquibase.Changeset], bool] = old) -> bool:
                    return not old(cs)

                m = read_migration(ws, c, detector, transactional, placeholders, keep=new)
            else:
                m = read_migration(ws, c, detector, transactional, placeholders)
            if m is not None:
                read.append((i, m))
        grouped = tool is not None and "(pop" in tool.id
        for group in (_popx_groups(read) if grouped else [[im] for im in read]):
            m = group[0][1] if len(group) == 1 else _grouped(plan, [pm for _, pm in group])
            in_pr = group[-1][0] >= first
            (plan.pr if in_pr else plan.history).append(m)
            if in_pr and any(pm.id in judged for _, pm in group):
                plan.judged.add(m.id)
        plan.history.extend(late)
        if plan.judged:
            out.append(plan)
    return out


_POPX_PART = lazyre.compile(r"^(?P<stamp>\d{14})(?P<part>\d{6})_")


def _popx_groups(read: list[tuple[int, Migration]]) -> list[list[tuple[int, Migration]]]:
    """popx splits one migration into numbered parts (`<14-digit stamp><6-digit part>_name`): consecutive
    parts with the same stamp are one migration."""
    out: list[list[tuple[int, Migration]]] = []
    last = None
    for i, m in read:
        part = _POPX_PART.match(m.id.rsplit("/", 1)[-1])
        stamp = part.group("stamp") if part else None
        if stamp is not None and stamp == last and out:
            out[-1].append((i, m))
        else:
            out.append([(i, m)])
        last = stamp
    return out


def _grouped(plan: Plan, parts: list[Migration]) -> Migration:
    """The parts of one popx migration as one migration of units: the ups in part order, each part its
    own transaction (none for an autocommit part); rolling back runs the parts' downs last part first."""
    from readiness.replay import Migration, TxMode

    def units(n: int, m: Migration, stmts: Sequence[Statement]) -> list[Statement]:
        return [replace(st, unit=n, autocommit=m.mode is not TxMode.WRAPPED) for st in stmts]

    ups = [st for n, m in enumerate(parts, 1) for st in units(n, m, m.statements)]
    downs = [(st, m.down_id or m.id) for n, m in reversed(list(enumerate(parts, 1)))
             for st in units(n, m, m.down or ())]
    mid = parts[0].id
    plan.where[mid] = tuple(m.id for m in parts for _ in m.statements)
    plan.down_where[mid] = tuple(p for _, p in downs)
    plan.parts[mid] = tuple(m.id for m in parts)
    has_down = any(m.down is not None for m in parts)
    return Migration(id=mid, statements=tuple(ups), mode=TxMode.UNITS, down=tuple(st for st, _ in downs)
                     if has_down else None, down_id=downs[0][1] if downs else None, down_mode=TxMode.UNITS)


# -- the hook ----------------------------------------------------------------------------------------

def integrate(ctx: GateContext, every: Sequence[Candidate], chosen: Sequence[Candidate],
              findings: list[Finding], items: list[Item], *, started: float | None = None,
              env: Mapping[str, str] = os.environ) -> tuple[list[Finding], list[Item], dict[str, Any] | None]:
    """Replay the judged SQL migrations and fold what the server did into the gate's findings and items.
    Returns the adjusted findings and items, and the report's `replay` summary (None when there was no
    SQL migration to replay)."""
    mode = mode_of(ctx, env)
    if mode == "off" or all(c.format == "python" for c in chosen):
        return findings, items, None
    url = database_url(ctx, env)
    from readiness.replay.server import find_binaries

    if url is None:
        binaries = find_binaries(ctx.config.migrations_gate.postgres_version)
        if isinstance(binaries, str):
            return _unavailable(mode, binaries, findings, items, ctx)
    t0 = time.monotonic()
    budget = _budget(ctx, started)
    if budget < MIN_BUDGET_S:
        return _unavailable(mode, f"the static judgement used the gate's time ({budget:.0f} s left for replay, at "
                                  f"least {MIN_BUDGET_S:.0f} s needed)", findings, items, ctx)
    full_scan = ctx.changes is None
    tx = ctx.config.migrations_gate.transactional
    try:
        flyway = Flyway.of(ctx)  # replay runs the placeholders' values the gate judged
        todo = plans(ctx.workspace, every, chosen, full_scan=full_scan,
                     transactional=tx, deadline=t0 + budget - MIN_BUDGET_S,
                     placeholders=lambda text: flyway.render(text)[0],
                     applied=lambda path: changesets.base_formatted(ctx, path))
    except OutOfTime:
        return _unavailable(mode, "reading the migration history used replay's time budget", findings, items, ctx)
    summary: dict[str, Any] = {"status": "replayed", "directories": len(todo)}
    runs: list[tuple[Plan, Replayed]] = []
    with contextlib.ExitStack() as stack:
        if url is None and len(todo) > 1:  # one throwaway server for every directory, a fresh database each
            url = _shared_server(stack, ctx, budget)
            if url is None:
                return _unavailable(mode, "the throwaway PostgreSQL server did not start", findings, items, ctx)
            summary["server"] = "throwaway"
        skipped = _replay_each(todo, url, ctx, budget, t0, summary, runs)
    if skipped is not None:
        return _unavailable(mode, skipped, findings, items, ctx)
    judge = _Judge(ctx, findings, items)
    reached = {id(p) for p, _ in runs}
    for plan in todo:  # directories the budget never reached: each judged migration says so
        if id(plan) not in reached:
            for mig in plan.pr:
                if mig.id in plan.judged:
                    judge.out_of_time(plan, mig)
    if not runs:
        reason = summary.get("reason", "nothing to replay")
        return judge.finish(), judge.items_out(), summary | {"status": "skipped", "reason": reason}
    first = runs[0][1]
    summary.update({"server_version": first.server_version, "server": summary.get("server", first.server),
                    "history_migrations": sum(r.history_count - p.bookkeeping for p, r in runs),
                    "history_failures": sum(r.history_failure_count for _, r in runs),
                    "observed_migrations": sum(len(p.judged) for p, _ in runs),
                    "budget_exhausted": any(r.budget_exhausted for _, r in runs),
                    "duration_ms": round((time.monotonic() - t0) * 1000, 1)})
    if summary["budget_exhausted"]:
        summary["status"] = "partial"
        summary.setdefault("reason", "the time budget ran out: some statements were not run")
    for plan, result in runs:
        judge.fold(plan, result)
    return judge.finish(), judge.items_out(), summary


def _shared_server(stack: contextlib.ExitStack, ctx: GateContext, budget: float) -> str | None:
    """Start one throwaway server for the whole run; its superuser's connection string (None: no start)."""
    from readiness.replay import Limits
    from readiness.replay.server import ServerStartError, ThrowawayServer, find_binaries

    binaries = find_binaries(ctx.config.migrations_gate.postgres_version)
    if isinstance(binaries, str):
        return None
    limits = Limits(budget_s=budget)
    try:
        server = ThrowawayServer.start(binaries, limits, time.monotonic() + min(budget, limits.startup_timeout_s))
    except ServerStartError:
        return None
    stack.callback(server.stop)
    info = server.conninfo
    return " ".join(f"{k}={v}" for k, v in info.items() if k in ("host", "port", "user", "password", "dbname"))


def _replay_each(todo: Sequence[Plan], url: str | None, ctx: GateContext, budget: float, t0: float,
                 summary: dict[str, Any], runs: list[tuple[Plan, Replayed]]) -> str | None:
    """Replay each directory within the budget; the reason when no server could be had."""
    from readiness.replay import Limits, Replayed, replay

    for plan in todo:
        left = budget - (time.monotonic() - t0)
        if left < MIN_BUDGET_S:
            summary["status"] = "partial"
            summary["reason"] = "the time budget ran out before every migration directory was replayed"
            break
        limits = Limits(budget_s=left, statement_timeout_s=min(60.0, max(2.0, left / 4)))
        result = replay(plan.history, plan.pr, database_url=url, major=ctx.config.migrations_gate.postgres_version,
                        limits=limits)
        if not isinstance(result, Replayed):
            return result.reason
        runs.append((plan, result))
    return None


def _budget(ctx: GateContext, started: float | None) -> float:
    limit = ctx.time_limit
    if not limit:
        return DEFAULT_BUDGET_S
    spent = time.monotonic() - started if started is not None else 0.0
    return max(1.0, limit * GATE_SHARE - spent)


def _unavailable(mode: str, reason: str, findings: list[Finding], items: list[Item],
                 ctx: GateContext) -> tuple[list[Finding], list[Item], dict[str, Any]]:
    summary = {"status": "skipped", "reason": reason}
    if mode != "on":
        return findings, items, summary
    where = ctx.config.source or ".readiness.yml"
    extra = UNAVAILABLE.finding(Location(path=where), message=(
        f"gates.migrations.replay is on, but no PostgreSQL server could be had: {reason}; the migrations were "
        "judged statically only."), evidence=reason.split(":", 1)[0])
    return [*findings, extra], items, summary | {"status": "error"}


# -- judging ---------------------------------------------------------------------------------------

def _short(relation: str) -> str:
    return relation.rsplit(".", 1)[-1].strip('"').lower()


def _on(version: str) -> str:
    return f"PostgreSQL {version}"


class _Judge:
    """Folds each directory's replay into the findings and items."""

    def __init__(self, ctx: GateContext, findings: list[Finding], items: list[Item]) -> None:
        self.ctx = ctx
        self.static = findings
        self.added: list[Finding] = []
        self.changed: dict[int, Finding] = {}
        """Index in `static` -> the finding as replay adjusted it."""
        self.items = items
        self.item_data: dict[str, dict[str, Any]] = {}
        self.large = set(ctx.config.migrations_gate.large())
        self.require_reversible = ctx.config.migrations_gate.require_reversible
        by_place: dict[tuple[str, int | None], list[int]] = {}
        for i, f in enumerate(findings):
            if f.rule not in NOT_LOCK_RULES:
                by_place.setdefault((f.location.path, f.location.line), []).append(i)
        for place in by_place.values():  # by column: a statement's findings are a slice of its line's
            place.sort(key=lambda i: findings[i].location.column or 1)
        self.columns = {key: [findings[i].location.column or 1 for i in place] for key, place in by_place.items()}
        self.by_place = by_place

    # the item's new fields
    def _item(self, path: str) -> dict[str, Any]:
        return self.item_data.setdefault(path, {})

    def fold(self, plan: Plan, result: Replayed) -> None:
        version = result.server_version
        broken = not result.history_clean
        if broken:
            f = result.history_failures[0]
            self.added.append(HISTORY_FAILS.finding(
                Location(path=f.migration, line=f.line, column=f.column),
                message=(f"The history of {plan.directory or '.'} does not replay cleanly on {_on(version)} "
                         f"({result.history_failure_count} statement(s) fail; first: {_one_line(f.error.message)}), "
                         "so replay draws no conclusion about this pull request's migrations there."),
                evidence=f"{plan.directory}|{f.error.sqlstate}|{_one_line(f.error.message)}"))
        by_id = {m.id: m for m in plan.pr}
        for mres in result.migrations:
            if mres.id not in plan.judged:
                continue
            data: dict[str, Any] = {"replay": "inconclusive" if broken else _status(mres)}
            if not broken:
                self._migration(plan, by_id[mres.id], mres, version, data)
                if data["replay"] == "not-run":
                    self.out_of_time(plan, by_id[mres.id], mres)
            for path in plan.parts.get(mres.id, (mres.id,)):  # items are per file
                self._item(path).update(data)
        if broken:
            return
        for fk in result.unindexed_foreign_keys:
            mig = by_id.get(fk.migration)
            if fk.migration not in plan.judged or mig is None:
                continue
            at = next((i for i, st in enumerate(mig.statements) if (st.line, st.column) == (fk.line, fk.column)), -1)
            if at < 0 or not _DECLARES_FK.search(mig.statements[at].sql):
                continue  # a rename (of the table or the constraint) is not the PR adding the key
            cols = ", ".join(fk.columns)
            self.added.append(FK_WITHOUT_INDEX.finding(
                Location(path=plan.up_path(mig.id, at), line=fk.line, column=fk.column),
                message=(f"Observed on {_on(version)}: foreign key {fk.constraint} ({cols}) references "
                         f"{fk.referenced}, and no index on {fk.table} starts with {cols}: every delete or key "
                         f"update on {fk.referenced} scans {fk.table}."),
                evidence=f"{fk.table}|{cols}|{fk.referenced}"))

    def out_of_time(self, plan: Plan, mig: Migration, mres: MigrationResult | None = None) -> None:
        """One finding per migration that replay's time budget left (partly) unrun, at its first
        statement not run: the reader sees which files were judged statically only."""
        from readiness.replay import FailureKind, StatementStatus

        at = 0
        if mres is not None:
            at = next((i for i, s in enumerate(mres.statements) if s.status is not StatementStatus.APPLIED), 0)
            first = mres.statements[at] if at < len(mres.statements) else None
            if first is not None and first.error is not None and first.error.kind is not FailureKind.BUDGET:
                return  # stopped by its own failure, reported at that statement
        if at >= len(mig.statements):
            return
        st = mig.statements[at]
        self.added.append(NOT_CONCLUSIVE.finding(
            Location(path=plan.up_path(mig.id, at), line=st.line, column=st.column), message=(
                "Not replayed: replay's time budget ran out before this statement; it and the rest of this "
                "migration were judged statically only (raise the gate's timeout, or replay fewer files)."),
            evidence=f"budget|{_norm(st.sql)}"))
        self._item(plan.up_path(mig.id, at)).setdefault("replay", "not-run")

    def _migration(self, plan: Plan, mig: Migration, mres: MigrationResult, version: str,
                   data: dict[str, Any]) -> None:
        locks: dict[str, str] = {}
        rewrites: list[str] = []
        starts: dict[int, list[int]] = {}  # line -> the columns statements start at on it, sorted
        for sres in mres.statements:
            starts.setdefault(sres.line, []).append(sres.column)
        for cols in starts.values():
            cols.sort()
        for i, (st, sres) in enumerate(zip(mig.statements, mres.statements, strict=False)):
            for lock in sres.locks:
                if not lock.new and lock.acquired:
                    prev = locks.get(lock.relation)
                    if prev is None or _rank(prev) < lock.mode.rank:
                        locks[lock.relation] = lock.mode.value
            rewrites += [r.relation for r in sres.rewrites if not r.new and r.relation not in rewrites]
            cols = starts[sres.line]
            after = bisect.bisect_right(cols, sres.column)  # one file on one line: no scan per statement
            span = (sres.column if cols[0] < sres.column else 0, cols[after] if after < len(cols) else None)
            self._statement(plan.up_path(mig.id, i), mres, st, sres, version, span)
        data["observed_locks"] = [f"{mode} {rel}" for rel, mode in sorted(locks.items())]
        data["observed_rewrites"] = sorted(rewrites)
        rev = mres.reversibility
        if rev is not None:
            data["down_restores"] = rev.down_applies and not rev.differences and rev.up_again is not False
            # an empty down is already `irreversible-migration` (static): replay would only say it again
            if self.require_reversible is not False and mig.down:
                self._reversibility(plan, mig, mres, version)

    def _statement(self, path: str, mres: MigrationResult, st: Statement, sres: StatementResult,
                   version: str, span: tuple[int, int | None] = (0, None)) -> None:
        """What replay saw of one statement, set against the static findings at its place: those on its
        line from its column (from the line's start for its first statement: `span`) up to the next
        statement's on the same line (`DROP TABLE users; SELECT 1;`
        on one line: the SELECT's lack of locks says nothing about the DROP)."""
        from readiness.replay import FailureKind, StatementStatus

        loc = Location(path=path, line=sres.line, column=sres.column)
        if sres.status is StatementStatus.FAILED and sres.error is not None:
            err = sres.error
            if err.kind is FailureKind.MIGRATION:
                if not mres.after_failed_history:
                    self.added.append(FAILS_TO_APPLY.finding(loc, message=(
                        f"This statement fails on {_on(version)}: {_server_words(err)}; the migration would "
                        "fail at deploy."), evidence=f"{err.sqlstate}|{_one_line(err.message)}|{_norm(st.sql)}"))
            elif err.kind in (FailureKind.TIMEOUT, FailureKind.RESOURCES):
                self.added.append(NOT_CONCLUSIVE.finding(loc, severity=Severity.HIGH, message=(
                    f"This statement was stopped on {_on(version)} ({_one_line(err.message)}) on a schema with "
                    "no production data: it loops or is far too slow; nothing after it was observed."),
                    evidence=f"{err.kind.value}|{_norm(st.sql)}"))
            elif err.kind is not FailureKind.BUDGET and err.kind is not FailureKind.CONNECTION:
                why = {FailureKind.SERVER_VERSION: f"{_on(version)} cannot parse it (newer syntax)",
                       FailureKind.PRIVILEGE: "it needs a privilege replay never grants",
                       FailureKind.ENVIRONMENT: "it needs something only the real deployment has"}.get(err.kind, "")
                self.added.append(NOT_CONCLUSIVE.finding(loc, message=(
                    f"Not replayed: {why} ({_one_line(err.message)}); this is not a defect of the migration. "
                    "Replay rolled it back and went on without it."), evidence=f"{err.kind.value}|{_norm(st.sql)}"))
            return
        if sres.status is not StatementStatus.APPLIED or not sres.observed:
            return
        old_locks = [lk for lk in sres.locks if not lk.new]
        old_rewrites = [r for r in sres.rewrites if not r.new]
        old_scans = [s for s in sres.scans if not s.new] + [v for v in sres.validations if not v.new]
        place, cols = self.by_place.get((path, sres.line), []), self.columns.get((path, sres.line), [])
        static = place[bisect.bisect_left(cols, span[0]):
                       len(cols) if span[1] is None else bisect.bisect_left(cols, span[1])]
        conclusive = sres.locks_complete and not mres.after_failed_history
        if static:
            for i in static:
                f = self.changed.get(i, self.static[i])
                self.changed[i] = self._adjust(f, old_locks, old_rewrites, old_scans, conclusive, version)
            return
        exclusive = [lk for lk in old_locks if lk.acquired and lk.mode.blocks_reads]
        if old_rewrites or (exclusive and _OPAQUE.match(st.sql)):
            names = sorted({r.relation for r in old_rewrites} | {lk.relation for lk in exclusive})
            large = [n for n in names if _short(n) in self.large]
            tables = sorted({r.relation for r in old_rewrites if r.kind.value != "index"}
                            or {r.relation for r in old_rewrites})
            what = (f"rewrote {', '.join(tables)} under an ACCESS EXCLUSIVE lock"
                    if old_rewrites else f"took an ACCESS EXCLUSIVE lock on {', '.join(names)}")
            sev = Severity.CRITICAL if large else None
            tail = f" ({', '.join(large)} is listed in large_tables)" if large else ""
            self.added.append(OBSERVED_LOCK.finding(loc, severity=sev, message=(
                f"Observed on {_on(version)}: this statement {what}{tail}, which no static rule predicted "
                "(DDL inside a DO block, a function or dynamic SQL)."),
                evidence=f"{'|'.join(names)}|{_norm(st.sql)}"))

    def _adjust(self, f: Finding, locks: Sequence[Any], rewrites: Sequence[Any], scans: Sequence[Any],
                conclusive: bool, version: str) -> Finding:
        held = max(locks, key=lambda lk: lk.mode.rank, default=None)  # this statement's or its transaction's
        taken = max((lk for lk in locks if lk.acquired), key=lambda lk: lk.mode.rank, default=None)
        if taken is not None:
            seen = f"{taken.mode.value} on {taken.relation}"
        elif held is not None:
            seen = f"{held.mode.value} on {held.relation}, held since an earlier statement"
        else:
            seen = "no lock on a table that existed before this migration"
        if rewrites:
            seen += f", rewrite of {', '.join(sorted({r.relation for r in rewrites}))}"
        if not conclusive:
            return replace(f, message=f"{f.message} (predicted; replay on {_on(version)} saw {seen}, sampled)")
        weak = held is None or not held.mode.blocks_writes
        target: Severity | None = None
        if not rewrites and not scans and weak:
            target = Severity.LOW
        elif not rewrites and not scans and f.rule in REWRITE_RULES:
            target = Severity.MEDIUM
        if target is not None and target.rank < f.severity.rank and not self._large_hit(locks) and \
                f.rule not in DATA_LOSS_RULES:
            only = f"only {seen}" if held is not None else seen
            return replace(f, severity=target, message=(
                f"{f.message} Replay on {_on(version)} observed no rewrite and no scan, {only}: downgraded "
                f"from {f.severity.value} to {target.value} (observed, not predicted)."))
        if held is None and not rewrites:
            return replace(f, message=f"{f.message} (predicted; replay on {_on(version)} saw {seen})")
        return replace(f, message=f"{f.message} (predicted; confirmed on {_on(version)}: {seen})")

    def _large_hit(self, locks: Sequence[Any]) -> bool:
        return any(_short(lk.relation) in self.large and lk.mode.blocks_writes for lk in locks)

    def _reversibility(self, plan: Plan, mig: Migration, mres: MigrationResult, version: str) -> None:
        from readiness.replay import FailureKind

        rev = mres.reversibility
        assert rev is not None
        down_path = plan.down_path(mig, None)
        down_line = mig.down[0].line if mig.down else 1
        if not rev.down_applies and rev.down_error is not None:
            err = rev.down_error
            if err.kind is FailureKind.MIGRATION:
                self.added.append(DOWN_NOT_RESTORED.finding(
                    Location(path=plan.down_path(mig, rev.down_line), line=rev.down_line or down_line),
                    severity=Severity.HIGH,
                    message=f"The down migration fails on {_on(version)} right after the up: {_server_words(err)}.",
                    evidence=f"down-fails|{err.sqlstate}|{_one_line(err.message)}"))
        elif rev.differences:
            shown = "; ".join(d.message for d in rev.differences[:5])
            more = f" (and {len(rev.differences) - 5} more)" if len(rev.differences) > 5 else ""
            self.added.append(DOWN_NOT_RESTORED.finding(
                Location(path=down_path, line=down_line), message=(
                    f"Observed on {_on(version)}: after the up and this down, the schema differs from before the "
                    f"up: {shown}{more}."), evidence="|".join(sorted(d.message for d in rev.differences))))
        again = rev.up_again_error
        if rev.up_again is False and again is not None and again.kind is FailureKind.MIGRATION:
            at = next((i for i, st in enumerate(mig.statements) if st.line == rev.up_again_line), 0)
            self.added.append(UP_AFTER_DOWN.finding(
                Location(path=plan.up_path(mig.id, at), line=rev.up_again_line or 1), message=(
                    f"Observed on {_on(version)}: after the down, this up fails a second time: {_server_words(again)}; "
                    "rolling back and deploying again would fail."),
                evidence=f"{again.sqlstate}|{_one_line(again.message)}"))

    def finish(self) -> list[Finding]:
        out = [self.changed.get(i, f) for i, f in enumerate(self.static)]
        return out + self.added

    def items_out(self) -> list[Item]:
        """The items with their observations, and their risk class corrected: raised by what replay
        found that no static rule predicted, recomputed where a static finding was downgraded."""
        if not self.item_data:
            return self.items
        downgraded = {self.static[i].location.path for i, f in self.changed.items()
                      if f.severity.rank < self.static[i].severity.rank}
        observed: dict[str, RiskClass] = {}
        for f in self.finish():
            path = f.location.path
            counts = f.rule in (OBSERVED_LOCK.id, FAILS_TO_APPLY.id) or (
                path in downgraded and f.rule not in NOT_LOCK_RULES and f.rule not in _NOTES)
            if counts:
                risk = _risk(f.severity)
                if path not in observed or observed[path].rank < risk.rank:
                    observed[path] = risk
        out = []
        for item in self.items:
            path = str(item.data.get("path"))
            extra = self.item_data.get(path)
            if extra is None:
                out.append(item)
                continue
            data = {**item.data, **extra}
            old = RiskClass(str(item.data.get("risk", "low")))
            new = observed.get(path, RiskClass.LOW)
            if path in downgraded and old is not RiskClass.AVOID:
                data["risk"] = new.value
            elif new.rank > old.rank:
                data["risk"] = new.value
            out.append(Item(data))
        return out


_NOTES = frozenset({DOWN_NOT_RESTORED.id, UP_AFTER_DOWN.id, FK_WITHOUT_INDEX.id, UNAVAILABLE.id, HISTORY_FAILS.id,
                    NOT_CONCLUSIVE.id})
"""Replay's findings that say nothing about the operational risk of running the migration."""


def _risk(severity: Severity) -> RiskClass:
    return RiskClass(severity.value) if severity is not Severity.INFO else RiskClass.LOW


def _rank(mode: str) -> int:
    from readiness.replay import LockMode

    return LockMode(mode).rank


def _status(m: MigrationResult) -> str:
    from readiness.replay import FailureKind, StatementStatus

    failed = next((s for s in m.statements if s.status is not StatementStatus.APPLIED), None)
    if failed is None:
        return "applied"
    if failed.error is None or failed.error.kind is FailureKind.BUDGET:
        return "not-run"
    return "fails" if failed.error.kind is FailureKind.MIGRATION else "not-replayable"


def _one_line(text: str, limit: int = 200) -> str:
    one = " ".join(text.split())
    return one if len(one) <= limit else one[: limit - 1] + "…"


def _server_words(err: Any) -> str:
    code = f" (SQLSTATE {err.sqlstate})" if err.sqlstate else ""
    return f"{_one_line(err.message)}{code}"


def _norm(sql: str) -> str:
    return " ".join(sql.split()).lower()[:500]
