"""The replay's data model: plain inputs (an ordered history of migrations as statements) and frozen
results (what the server did per statement, per migration, per run).

Inputs carry no parse trees and no file access: the migrations gate hands over statement texts with
their positions and the runner's transaction mode, exactly as its static model has them. Results are
values: a failure of a migration, a timeout or an exhausted budget is data, never an exception.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class TxMode(enum.StrEnum):
    """How the migration tool runs one migration (the static gate's `TxMode`, plus explicit units)."""

    WRAPPED = "wrapped"
    """The whole migration in one transaction (diesel, dbmate, goose, Flyway by default)."""
    IMPLICIT = "implicit"
    """Sent as one multi-statement string (golang-migrate): one transaction when it holds more than one
    statement, none for a lone statement."""
    AUTOCOMMIT = "autocommit"
    """Each statement commits on its own unless the migration itself says BEGIN (psql -f, sqitch)."""
    UNITS = "units"
    """Explicit units (Liquibase changesets): consecutive statements with the same `Statement.unit` run
    in one transaction, or each on its own where the statement says `autocommit`."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Statement:
    """One SQL statement of a migration file, as the static parser found it."""

    sql: str
    """The statement text, without the trailing semicolon."""
    line: int = 1
    """1-based line of its first token in its file."""
    column: int = 1
    """1-based column of its first token."""
    unit: int = 0
    """The unit it belongs to (TxMode.UNITS only)."""
    autocommit: bool = False
    """Its unit runs outside a transaction (TxMode.UNITS only)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Migration:
    """One migration: its up statements in order and, when the format has one, its down."""

    id: str
    """A stable name for it, usually the repository-relative path of the up file."""
    statements: tuple[Statement, ...]
    """The up statements, in file order."""
    mode: TxMode = TxMode.WRAPPED
    """How the runner sends the up statements."""
    down: tuple[Statement, ...] | None = None
    """The down statements; None when the migration has no down (an empty down is `()`)."""
    down_id: str | None = None
    """Where the down lives (its own file, or the up file's down section); `id` when None."""
    down_mode: TxMode | None = None
    """How the runner sends the down statements; `mode` when None."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Limits:
    """Bounds on what a replay may cost. Every limit holds whatever the migrations' SQL does."""

    budget_s: float = 240.0
    """Wall-clock budget of the whole replay, server start included."""
    statement_timeout_s: float = 60.0
    """One statement is cancelled after this long (by the server, and by a watchdog the SQL cannot reset)."""
    lock_timeout_s: float = 10.0
    """`lock_timeout` of the migrations' session."""
    idle_in_transaction_s: float = 120.0
    """`idle_in_transaction_session_timeout` of the migrations' session."""
    temp_file_mb: int = 1024
    """`temp_file_limit` of the migrations' role (a superuser-only setting the SQL cannot raise)."""
    database_mb: int = 2048
    """A statement that grows the database beyond this is stopped (a watchdog polls the size)."""
    memory_mb: int = 2048
    """Address-space limit of each server process of a throwaway server (`prlimit --as`), so a query
    that allocates without bound fails with "out of memory" instead of exhausting the machine."""
    startup_timeout_s: float = 30.0
    """initdb plus server start-up, at most."""


class LockMode(enum.StrEnum):
    """PostgreSQL's table-level lock modes, weakest first."""

    ACCESS_SHARE = "ACCESS SHARE"
    ROW_SHARE = "ROW SHARE"
    ROW_EXCLUSIVE = "ROW EXCLUSIVE"
    SHARE_UPDATE_EXCLUSIVE = "SHARE UPDATE EXCLUSIVE"
    SHARE = "SHARE"
    SHARE_ROW_EXCLUSIVE = "SHARE ROW EXCLUSIVE"
    EXCLUSIVE = "EXCLUSIVE"
    ACCESS_EXCLUSIVE = "ACCESS EXCLUSIVE"

    @property
    def rank(self) -> int:
        """0 (ACCESS SHARE) to 7 (ACCESS EXCLUSIVE)."""
        return list(LockMode).index(self)

    @property
    def blocks_writes(self) -> bool:
        """True from SHARE up: INSERT/UPDATE/DELETE (ROW EXCLUSIVE) must wait."""
        return self.rank >= LockMode.SHARE.rank

    @property
    def blocks_reads(self) -> bool:
        """True for ACCESS EXCLUSIVE only: even SELECT must wait."""
        return self is LockMode.ACCESS_EXCLUSIVE

    @staticmethod
    def from_server(mode: str) -> LockMode | None:
        """`AccessExclusiveLock` (pg_locks.mode) -> ACCESS_EXCLUSIVE; None for other lock kinds."""
        return _SERVER_MODES.get(mode)


_SERVER_MODES = {"".join(w.capitalize() for w in m.value.split()) + "Lock": m for m in LockMode}


class RelationKind(enum.StrEnum):
    """What a locked, rewritten or scanned relation is."""

    TABLE = "table"
    PARTITIONED_TABLE = "partitioned table"
    INDEX = "index"
    MATERIALIZED_VIEW = "materialized view"
    VIEW = "view"
    SEQUENCE = "sequence"
    FOREIGN_TABLE = "foreign table"
    OTHER = "other"


@dataclass(frozen=True, slots=True, kw_only=True)
class Lock:
    """The strongest table-level lock held on one relation once the statement finished (held until its
    transaction ends), or, for a statement that ran outside a transaction, the strongest seen while it
    ran."""

    relation: str
    """Schema-qualified name as the server prints it (`public.users`)."""
    kind: RelationKind
    """What the relation is."""
    mode: LockMode
    """The strongest mode held."""
    acquired: bool = True
    """This statement took that mode; False when an earlier statement of the same transaction already
    held it (the statement still runs while everyone else waits: a backfill after an ALTER TABLE)."""
    granted: bool = True
    """False for a lock the statement was seen waiting for (sampled locks only)."""
    new: bool = False
    """The relation did not exist before this migration (a lock on it blocks nobody)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Rewrite:
    """A relation whose storage the statement replaced (its relfilenode changed): a table rewrite or an
    index rebuild, both proportional to the relation's size."""

    relation: str
    """Schema-qualified name (a TOAST table is reported as its table)."""
    kind: RelationKind
    """Table, index or materialized view."""
    new: bool = False
    """The relation did not exist before this migration."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Scan:
    """A relation the statement read sequentially (the server's own per-transaction counters): a
    constraint validated, SET NOT NULL checked, an index built, a table rewritten, a backfill."""

    relation: str
    """Schema-qualified name."""
    count: int
    """How many sequential scans of it the statement started."""
    new: bool = False
    """The relation did not exist before this migration."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Validation:
    """A constraint the statement validated against the existing rows (new and valid, or NOT VALID
    turned valid): a full scan of its table under the statement's lock."""

    constraint: str
    """`table.constraint`."""
    relation: str
    """The constrained table."""
    new: bool = False
    """The table did not exist before this migration (nothing to scan)."""


class ChangeAction(enum.StrEnum):
    """What a catalog diff found."""

    CREATED = "created"
    DROPPED = "dropped"
    ALTERED = "altered"


@dataclass(frozen=True, slots=True, kw_only=True)
class CatalogChange:
    """One schema object the statement created, dropped or altered (catalog snapshot before vs after)."""

    action: ChangeAction
    """Created, dropped or altered."""
    kind: str
    """`table`, `column`, `index`, `constraint`, `view`, `function`, `type`, `enum value`, ..."""
    name: str
    """Its identity: `public.users`, `public.users.email`, `public.f(integer)`."""
    before: str | None = None
    """Its definition before (altered and dropped objects; digests for long bodies)."""
    after: str | None = None
    """Its definition after (altered and created objects)."""


class FailureKind(enum.StrEnum):
    """Why a statement did not apply: only MIGRATION is the migration's own defect."""

    MIGRATION = "migration"
    """The server rejects the statement on this schema (a defect: it would fail at deploy)."""
    SERVER_VERSION = "server-version"
    """This server's version cannot parse it (a syntax error where a newer parser accepts the text)."""
    PRIVILEGE = "privilege"
    """It needs a privilege the replay never grants (superuser, server files, programs, roles)."""
    ENVIRONMENT = "environment"
    """It needs something the throwaway database lacks (an extension that is not installed, a role or
    object that exists only in the real deployment, data that `COPY FROM STDIN` reads from the file)."""
    TIMEOUT = "timeout"
    """Cancelled after `statement_timeout_s`."""
    RESOURCES = "resources"
    """Stopped for disk, memory or temporary-file use beyond the limits."""
    BUDGET = "budget"
    """Not run, or stopped, because the replay's total budget ran out."""
    CONNECTION = "connection"
    """The session to the server was lost."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerError:
    """The server's own account of a failure."""

    kind: FailureKind
    """Whose problem it is."""
    sqlstate: str | None
    """The SQLSTATE (`42P01`), when the server sent one."""
    message: str
    """The server's primary message (or the replay's own, for timeouts and lost sessions)."""
    detail: str | None = None
    """The server's DETAIL line."""
    hint: str | None = None
    """The server's HINT line."""


class StatementStatus(enum.StrEnum):
    """What became of one statement."""

    APPLIED = "applied"
    FAILED = "failed"
    NOT_RUN = "not-run"
    """An earlier statement of the same transaction failed, or the budget ran out."""


@dataclass(frozen=True, slots=True, kw_only=True)
class StatementResult:
    """One statement of a pull request's migration, as the server ran it."""

    index: int
    """0-based position in the migration."""
    line: int
    """1-based line in its file."""
    column: int
    """1-based column."""
    status: StatementStatus
    """Applied, failed or not run."""
    duration_ms: float = 0.0
    """Server round trip of the statement itself (observation excluded)."""
    in_transaction: bool = True
    """It ran inside a transaction block (False: on its own, e.g. CREATE INDEX CONCURRENTLY)."""
    observed: bool = False
    """The catalog observation after it succeeded; when False, the lists below say nothing (never read
    an empty list as "no rewrite" unless `observed`)."""
    observation_error: str | None = None
    """Why it could not be observed."""
    locks_complete: bool = True
    """Locks were read while held (False: the statement ran outside a transaction, its locks were
    only sampled while it ran and may be incomplete)."""
    locks: tuple[Lock, ...] = ()
    """Per relation, the strongest lock held after it (see `Lock.acquired`)."""
    rewrites: tuple[Rewrite, ...] = ()
    """Relations whose storage it rewrote."""
    scans: tuple[Scan, ...] = ()
    """Relations it scanned sequentially."""
    validations: tuple[Validation, ...] = ()
    """Constraints it validated."""
    changes: tuple[CatalogChange, ...] = ()
    """Schema objects it created, dropped or altered."""
    error: ServerError | None = None
    """Why it failed."""
    notices: tuple[str, ...] = ()
    """The server's WARNING/NOTICE lines for it (at most 20)."""


class DifferenceKind(enum.StrEnum):
    """How the schema after up+down differs from the schema before up."""

    LEFT = "left"
    """An object the down leaves behind (created by up, not removed)."""
    NOT_RESTORED = "not-restored"
    """An object that existed before and the down does not bring back."""
    CHANGED = "changed"
    """An object whose definition differs."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Difference:
    """One way the down migration fails to restore the schema."""

    kind: DifferenceKind
    """Left behind, not restored, or changed."""
    object_kind: str
    """`table`, `column`, `index`, ..."""
    name: str
    """The object's identity."""
    message: str
    """One human sentence: "down leaves column public.t.x"."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Reversibility:
    """up -> down -> schema compared with before -> up again."""

    down_applies: bool
    """Every down statement applied."""
    down_error: ServerError | None = None
    """The first down failure."""
    down_line: int | None = None
    """Line of the failing down statement in `down_id`."""
    differences: tuple[Difference, ...] = ()
    """Where the schema after the down differs from the schema before the up (only when it applied)."""
    up_again: bool | None = None
    """The up applies again after the down (the rollback-then-redeploy path); None when not tried."""
    up_again_error: ServerError | None = None
    """Why the up failed the second time."""
    up_again_line: int | None = None
    """Line of the up statement that failed the second time."""


@dataclass(frozen=True, slots=True, kw_only=True)
class MigrationResult:
    """One pull-request migration, replayed."""

    id: str
    """The migration's id."""
    applies: bool
    """Every statement applied."""
    statements: tuple[StatementResult, ...]
    """Per statement, in order."""
    duration_ms: float = 0.0
    """The whole migration, observation included."""
    reversibility: Reversibility | None = None
    """The down check, for migrations with a down whose up applied."""
    after_failed_history: bool = False
    """Some history migration (or an earlier PR migration) failed first, so a failure here may be a
    consequence rather than this migration's own."""


@dataclass(frozen=True, slots=True, kw_only=True)
class HistoryFailure:
    """A statement of the history (the migrations up to the base) that the server rejected. The replay
    skips it and goes on, as the deployed database has whatever the statement was meant to do."""

    migration: str
    """The migration's id."""
    line: int
    """1-based line of the statement."""
    column: int
    """1-based column."""
    error: ServerError
    """The server's message."""


@dataclass(frozen=True, slots=True, kw_only=True)
class UnindexedForeignKey:
    """A foreign key the pull request adds whose referencing columns lead no index: every DELETE or key
    UPDATE on the referenced table scans the referencing one."""

    constraint: str
    """`table.constraint`."""
    table: str
    """The referencing table."""
    columns: tuple[str, ...]
    """Its referencing columns."""
    referenced: str
    """The referenced table."""
    migration: str
    """The migration that added it."""
    line: int
    """Line of the statement that added it."""
    column: int
    """Column of that statement."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Replayed:
    """A finished replay (possibly cut short by the budget)."""

    server_version: str
    """`15.18` — what every observation is true of."""
    server_version_num: int
    """`150018`."""
    server: str
    """`throwaway` or `database-url`."""
    history_count: int
    """History migrations replayed."""
    history_failures: tuple[HistoryFailure, ...]
    """History statements the server rejected (at most 200 kept)."""
    history_failure_count: int
    """All of them, counted."""
    migrations: tuple[MigrationResult, ...]
    """The pull request's migrations, in order."""
    unindexed_foreign_keys: tuple[UnindexedForeignKey, ...] = ()
    """Foreign keys the PR adds without an index on their referencing columns."""
    budget_exhausted: bool = False
    """The budget ran out: some statements were not run (their status says which)."""
    start_ms: float = 0.0
    """Server start (initdb included) or sandbox database creation."""
    history_ms: float = 0.0
    """Replaying the history."""
    pr_ms: float = 0.0
    """Observing the pull request's migrations, reversibility included."""
    total_ms: float = 0.0
    """The whole replay, teardown included."""

    @property
    def history_clean(self) -> bool:
        """Every history statement applied."""
        return self.history_failure_count == 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Skipped:
    """No replay happened; the static verdict stands."""

    reason: str
    """In plain words, with what to do about it."""
