"""Replay a migration history on a real PostgreSQL, then observe the pull request's migrations.

    result = replay(history, pr)                      # a throwaway server from Debian's binaries
    result = replay(history, pr, database_url=url)    # a fresh database on a server you give

1. The history (the migrations up to the base) runs in order, each in its runner's transaction mode.
   A statement the server rejects is recorded and skipped (inside a savepoint), because the deployed
   database has whatever it was meant to create; the pull request's results then say they follow a
   history that did not replay cleanly.
2. Each pull-request migration runs statement by statement in its runner's transaction mode, and
   after each statement the server is asked what happened (see `observe`): locks held (from another
   session's `pg_locks`), storage rewritten, tables scanned, constraints validated, objects created,
   dropped or altered. A statement that cannot run inside a transaction block in a mode where the
   runner sends it alone (CREATE INDEX CONCURRENTLY) runs on its own, with its locks sampled.
3. For a migration with a down: up, snapshot, down, snapshot compared with the one before the up,
   then up again. Then the next migration.
4. Foreign keys the PR added whose referencing columns lead no index.

Everything runs as the sandbox's non-superuser role, under the watchdog (`sandbox`); the server or
the sandbox database is removed afterwards whatever happens. Failures are values: a migration that
fails, loops or exhausts the budget is a result, never an exception or a hang.

Why over 500 lines: one runner holds one session's state (transaction, watchdog, snapshots) across
the history, the PR's statements and the reversibility round trip; splitting it would pass that state
through every call.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from readiness import lazyre
from readiness.replay import observe as O
from readiness.replay.model import (
    ChangeAction,
    FailureKind,
    HistoryFailure,
    Limits,
    Migration,
    MigrationResult,
    Replayed,
    Reversibility,
    Scan,
    ServerError,
    Skipped,
    Statement,
    StatementResult,
    StatementStatus,
    TxMode,
    UnindexedForeignKey,
)

if TYPE_CHECKING:
    import psycopg

    from readiness.replay.sandbox import Sandbox

_PASSABLE = frozenset({FailureKind.PRIVILEGE, FailureKind.ENVIRONMENT, FailureKind.SERVER_VERSION})
"""Failures that say nothing about the migration: replay rolls the statement back and goes on."""
_UNDEFINED = frozenset({"42704", "42883"})
"""A type or function is missing: after a statement replay could not run (an extension it lacks),
possibly that statement's doing. A missing table or column is not excused: a line replay cannot run
must not blind it to the rest (`WHERE <a column that does not exist>` fails on production too)."""
_TX_CONTROL = lazyre.compile(r"(?:\s+|--[^\n]*\n?|/\*.*?\*/)*(BEGIN|START|COMMIT|END|ROLLBACK|ABORT|SAVEPOINT|RELEASE"
                         r"|PREPARE\s+TRANSACTION|COMMIT\s+PREPARED|ROLLBACK\s+PREPARED)\b", re.I | re.S)
_COPY_STDIN = lazyre.compile(r"(?:\s+|--[^\n]*\n?|/\*.*?\*/)*COPY\b.*\bFROM\s+STDIN\b", re.I | re.S)
_NAMED_NOT_NULL = lazyre.compile(r'constraint "[^"]*_not_null" (?:of relation|for table) "[^"]*" does not exist$')
"""A NOT NULL constraint named as PostgreSQL 18 names them (`<table>_<column>_not_null`)."""
_OUTSIDE_TXN = frozenset({"25001", "2D000"})
"""SQLSTATEs of a statement that cannot run inside a transaction block."""
MAX_HISTORY_FAILURES = 200
MAX_ROWS = 100_000
"""Rows a statement may return (they are read and dropped one by one) before it is stopped."""
_NO_RESULT = "didn't produce a result"
"""psycopg's message when `stream()` runs a command (DDL) rather than a query."""
MAX_NOTICES = 20


def replay(history: Sequence[Migration], pr: Sequence[Migration], *, database_url: str | None = None,
           major: int | None = None, limits: Limits | None = None) -> Replayed | Skipped:
    """Replay `history`, then observe `pr`. Never raises for anything the migrations do; a server that
    cannot be had is a `Skipped` with the reason."""
    limits = limits or Limits()
    t0 = time.monotonic()
    deadline = t0 + limits.budget_s
    try:
        import psycopg  # noqa: F401 - only to know it is there
    except ImportError:
        return Skipped(reason="the psycopg package is not installed, so no server can be reached")
    from readiness.replay.sandbox import Sandbox, SandboxError
    from readiness.replay.server import ServerStartError, ThrowawayServer, find_binaries

    with contextlib.ExitStack() as stack:
        if database_url:
            try:
                from psycopg.conninfo import conninfo_to_dict

                admin_info: dict[str, Any] = dict(conninfo_to_dict(database_url))
            except psycopg.Error as exc:
                return Skipped(reason=f"database-url is not a valid PostgreSQL connection URL: {_line(exc)}")
            kind = "database-url"
        else:
            binaries = find_binaries(major)
            if isinstance(binaries, str):
                return Skipped(reason=binaries)
            try:
                server = ThrowawayServer.start(binaries, limits, min(deadline, t0 + limits.startup_timeout_s))
            except ServerStartError as exc:
                return Skipped(reason=f"the throwaway PostgreSQL server did not start: {exc}")
            stack.callback(server.stop)
            admin_info = server.conninfo
            kind = "throwaway"
        try:
            sandbox = Sandbox(admin_info, limits, throwaway=kind == "throwaway").open()
        except SandboxError as exc:
            return Skipped(reason=str(exc))
        stack.callback(sandbox.close)
        t1 = time.monotonic()
        runner = _Runner(sandbox, limits, deadline)
        runner.run_history(history)
        t2 = time.monotonic()
        results = runner.run_pr(pr)
        fks = runner.unindexed_fks()
        t3 = time.monotonic()
    t4 = time.monotonic()
    return Replayed(server_version=sandbox.server_version, server_version_num=sandbox.server_version_num,
                    server=kind, history_count=len(history), history_failures=tuple(runner.history_failures),
                    history_failure_count=runner.history_failure_count, migrations=tuple(results),
                    unindexed_foreign_keys=fks, budget_exhausted=runner.budget_exhausted,
                    start_ms=(t1 - t0) * 1000, history_ms=(t2 - t1) * 1000, pr_ms=(t3 - t2) * 1000,
                    total_ms=(t4 - t0) * 1000)


@dataclass(slots=True)
class _Outcome:
    """One statement run: ok, or the error and whether it ran outside a transaction block."""

    ok: bool
    error: ServerError | None = None
    duration_ms: float = 0.0
    bare: bool = False
    sampled: dict[tuple[int, str], bool] | None = None
    notices: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _State:
    """What the observer knows between statements of the migrations session."""

    rels: O.Relations
    snap: O.Snapshot
    locks: dict[tuple[int, str], bool]


def _groups(statements: Sequence[Statement], mode: TxMode) -> list[tuple[bool, list[int]]]:
    """(in a transaction, statement indexes) per transaction the runner opens."""
    n = len(statements)
    if mode is TxMode.WRAPPED or (mode is TxMode.IMPLICIT and n > 1):
        return [(True, list(range(n)))] if n else []
    if mode is TxMode.AUTOCOMMIT or mode is TxMode.IMPLICIT:
        return [(False, list(range(n)))] if n else []
    groups: list[tuple[bool, list[int]]] = []
    key: tuple[int, bool] | None = None
    for i, st in enumerate(statements):
        k = (st.unit, st.autocommit)
        if key != k:
            groups.append((not st.autocommit, []))
            key = k
        groups[-1][1].append(i)
    return groups


class _Runner:
    def __init__(self, sandbox: Sandbox, limits: Limits, deadline: float) -> None:
        self.sb = sandbox
        self.limits = limits
        self.deadline = deadline
        self.history_failures: list[HistoryFailure] = []
        self.history_failure_count = 0
        self.budget_exhausted = False
        self.failed_before = False
        self.state: _State | None = None
        self.created_fks: dict[str, tuple[str, int, int]] = {}
        self._notices: list[str] = []
        self._notice_conn: object | None = None

    # -- the session ----------------------------------------------------------------------------
    @property
    def conn(self) -> psycopg.Connection[tuple[Any, ...]]:
        conn = self.sb.pr
        assert conn is not None
        if self._notice_conn is not conn:
            conn.add_notice_handler(self._on_notice)
            self._notice_conn = conn
        return conn

    def _on_notice(self, diag: Any) -> None:
        if len(self._notices) < MAX_NOTICES:
            self._notices.append(f"{diag.severity}: {diag.message_primary}")

    def _status(self) -> str:
        from psycopg import pq

        status = self.conn.info.transaction_status
        if status == pq.TransactionStatus.INTRANS:
            return "intrans"
        if status == pq.TransactionStatus.INERROR:
            return "inerror"
        if status == pq.TransactionStatus.IDLE:
            return "idle"
        return "broken"

    def _control(self, sql: str) -> None:
        """BEGIN / COMMIT / ROLLBACK of the runner itself, under the watchdog like any statement: a
        COMMIT runs the migration's deferred triggers (a constraint trigger can `pg_sleep` there),
        and a statement_timeout the migration set to 0 does not bound it."""
        import psycopg

        watchdog = self.sb.watchdog
        arm = None
        if watchdog is not None:
            remaining = self._remaining()
            timeout, reason = self.limits.statement_timeout_s + 1.0, "timeout"
            if remaining < timeout:
                timeout, reason = max(remaining, 0.05), "budget"
            arm = watchdog.arm(self.conn.info.backend_pid, timeout, reason)
        try:
            with contextlib.suppress(psycopg.Error):
                self.conn.execute(sql)
        finally:
            if watchdog is not None:
                watchdog.disarm()
        if arm is not None and arm.fired is not None:
            if arm.fired == "budget":
                self.budget_exhausted = True
            if self.conn.closed or self.conn.broken:
                self._reconnect()

    def _remaining(self) -> float:
        return self.deadline - time.monotonic()

    def _budget_error(self) -> ServerError:
        self.budget_exhausted = True
        return ServerError(kind=FailureKind.BUDGET, sqlstate=None,
                           message=f"not run: the replay's budget of {self.limits.budget_s:g} s ran out")

    def _execute(self, st: Statement, *, bare: bool = False) -> _Outcome:
        """Run one statement under the watchdog."""
        import psycopg

        remaining = self._remaining()
        if remaining <= 0.05:
            return _Outcome(ok=False, error=self._budget_error())
        if _COPY_STDIN.match(st.sql):
            return _Outcome(ok=False, error=ServerError(
                kind=FailureKind.ENVIRONMENT, sqlstate=None,
                message="COPY ... FROM STDIN reads its rows from the file through the client; it is not replayed"))
        conn = self.conn
        pid = conn.info.backend_pid
        timeout = self.limits.statement_timeout_s + 1.0
        reason = "timeout"
        if remaining < timeout:
            timeout, reason = remaining, "budget"
        assert self.sb.watchdog is not None
        arm = self.sb.watchdog.arm(pid, timeout, reason, sample=bare)
        self._notices = []
        start = time.perf_counter()
        error: ServerError | None = None
        try:
            # Row by row (single-row mode), so a migration that returns a huge result cannot fill this
            # process's memory: past MAX_ROWS the statement is cancelled.
            rows = conn.cursor().stream(st.sql)  # a generator: close() stops it
            try:
                for count, _ in enumerate(rows, start=1):
                    if count > MAX_ROWS:
                        # Closing the stream (below) cancels the query and drains what is in flight.
                        # A cancel of our own as well raced it: arriving late, it cancelled the NEXT
                        # statement (seen 1 run in 3).
                        self.sb.watchdog.mark(arm, "rows")
                        break
            finally:
                rows.close()  # type: ignore[attr-defined]
            if arm.fired == "rows":
                error = ServerError(kind=FailureKind.RESOURCES, sqlstate=None,
                                    message=f"stopped: the statement returned more than {MAX_ROWS} rows")
        except psycopg.ProgrammingError as exc:
            if _NO_RESULT not in str(exc):  # a command, not a query: it ran to completion
                error = self._classify(exc, st.sql, arm.fired)
        except psycopg.Error as exc:
            error = self._classify(exc, st.sql, arm.fired)
        finally:
            duration = (time.perf_counter() - start) * 1000
            self.sb.watchdog.disarm()
        if error is not None and arm.fired == "budget":
            self.budget_exhausted = True
        if error is None and arm.fired is not None:  # finished just as the watchdog acted
            error = None
        if error is not None and (conn.closed or conn.broken):
            self._reconnect()
        return _Outcome(ok=error is None, error=error, duration_ms=duration, bare=bare,
                        sampled=dict(arm.seen) if bare else None, notices=list(self._notices))

    def _reconnect(self) -> None:
        import psycopg

        with contextlib.suppress(psycopg.Error):
            self.sb.connect_pr()
        self.state = None

    def _classify(self, exc: Exception, sql: str, fired: str | None) -> ServerError:
        import psycopg

        diag = getattr(exc, "diag", None)
        sqlstate = getattr(exc, "sqlstate", None)
        message = getattr(diag, "message_primary", None) or _line(exc)
        detail = getattr(diag, "message_detail", None)
        hint = getattr(diag, "message_hint", None)
        kind = FailureKind.MIGRATION
        if fired == "budget":
            kind = FailureKind.BUDGET
            message = f"stopped: the replay's budget of {self.limits.budget_s:g} s ran out ({message})"
        elif fired == "resources":
            kind = FailureKind.RESOURCES
            message = f"stopped: the database grew beyond {self.limits.database_mb} MB ({message})"
        elif fired == "timeout":
            kind = FailureKind.TIMEOUT
            message = f"cancelled after {self.limits.statement_timeout_s:g} s ({message})"
        elif sqlstate == "57014":
            kind = FailureKind.TIMEOUT
        elif sqlstate is not None and sqlstate.startswith("53"):
            kind = FailureKind.RESOURCES
        elif sqlstate == "42501":
            kind = FailureKind.PRIVILEGE
        elif (sqlstate == "58P01" or (sqlstate == "0A000" and message.endswith("is not available"))
              or (sqlstate == "42704" and (message.startswith("role ") or "configuration parameter" in message))):
            kind = FailureKind.ENVIRONMENT
        elif (sqlstate == "42704" and self.sb.server_version_num < 180000
              and _NAMED_NOT_NULL.match(message) is not None):
            kind = FailureKind.SERVER_VERSION
            message = (f"{message}: NOT NULL constraints have names only from PostgreSQL 18 on, and this is "
                       f"PostgreSQL {self.sb.server_version}")
        elif sqlstate == "42601" and _newer_parser_accepts(sql):
            kind = FailureKind.SERVER_VERSION
            message = (f"PostgreSQL {self.sb.server_version} cannot parse this statement, which a newer "
                       f"PostgreSQL parser accepts ({message})")
        elif sqlstate is None and isinstance(exc, psycopg.OperationalError):
            kind = FailureKind.CONNECTION
        return ServerError(kind=kind, sqlstate=sqlstate, message=message, detail=detail, hint=hint)

    # -- observation ----------------------------------------------------------------------------
    def _observe(self, *, snapshot: bool = True) -> tuple[O.Relations, O.Snapshot | None]:
        rels, snap, _ = O.observe(self.conn, snapshot=snapshot)
        return rels, snap

    def _fresh_state(self) -> _State | None:
        """Observe now (after a reconnect, a rollback, or a new transaction)."""
        try:
            rels, snap = self._observe()
            locks = self.sb.locks(self.conn.info.backend_pid)
        except Exception:  # noqa: BLE001 - reported as "not observed" by the caller
            return None
        assert snap is not None
        return _State(rels=rels, snap=snap, locks=locks)

    # -- running a migration --------------------------------------------------------------------
    def run_history(self, history: Sequence[Migration]) -> None:
        for mig in history:
            if self._remaining() <= 0:
                self.budget_exhausted = True
                return
            self._run(mig.id, mig.statements, mig.mode, observe=False, on_failure=self._history_failure)

    def _run(self, mig_id: str, statements: Sequence[Statement], mode: TxMode, *, observe: bool,
             on_failure: Callable[[str, Statement, ServerError], None] | None = None,
             existing: set[int] | None = None, existing_tables: set[str] | None = None) -> list[StatementResult]:
        """Run one migration's statements in its runner's mode. Without `on_failure` the migration stops
        at the first failure (its open transaction rolled back), as a deploy would; with it, a failing
        statement is rolled back alone (a savepoint), reported to it, and the migration goes on."""
        skip_failures = on_failure is not None
        results: list[StatementResult | None] = [None] * len(statements)
        stopped: ServerError | None = None
        passed_over = False  # a statement replay cannot run was rolled back alone, and replay went on
        for transactional, idxs in _groups(statements, mode):
            if stopped is not None:
                break
            if transactional:
                self._control("BEGIN")
            fresh = True
            for i in idxs:
                st = statements[i]
                if stopped is not None:
                    break
                status = self._status()
                control = _TX_CONTROL.match(st.sql) is not None
                own_txn = status == "idle" and not control
                if own_txn:
                    self._control("BEGIN")
                    fresh = True
                before = self.state
                if observe and fresh and not control:
                    before = self.state = self._fresh_state()
                # Observed: a statement replay cannot run (a privilege, an extension it lacks) is rolled
                # back alone and the migration goes on, so one such line cannot blind replay to the rest.
                savepoint = (skip_failures or observe) and not control
                if savepoint:
                    self._control("SAVEPOINT readiness_history")
                out = self._execute(st)
                if not out.ok and out.error is not None and out.error.sqlstate in _OUTSIDE_TXN and own_txn:
                    # The runner would send it alone: run it outside a transaction block, locks sampled.
                    self._control("ROLLBACK")
                    own_txn = False
                    out = self._execute(st, bare=True)
                fresh = control or not out.ok or out.bare
                if not out.ok:
                    error = out.error
                    assert error is not None
                    if passed_over and error.kind is FailureKind.MIGRATION and error.sqlstate in _UNDEFINED:
                        error = replace(error, kind=FailureKind.ENVIRONMENT, message=(
                            f"{error.message}: it may depend on an earlier statement replay could not run"))
                        out = replace(out, error=error)
                    passable = observe and not skip_failures and error.kind in _PASSABLE
                    if own_txn:
                        self._control("ROLLBACK")
                    elif savepoint and self._status() == "inerror" and (skip_failures or passable):
                        self._control("ROLLBACK TO SAVEPOINT readiness_history")
                        self._control("RELEASE SAVEPOINT readiness_history")
                    elif self._status() == "inerror":
                        self._control("ROLLBACK")
                    if on_failure is not None and error.kind is not FailureKind.BUDGET:
                        on_failure(mig_id, st, error)
                    elif passable and (own_txn or savepoint):
                        passed_over = True
                    else:
                        stopped = error
                    results[i] = StatementResult(index=i, line=st.line, column=st.column,
                                                 status=StatementStatus.FAILED, duration_ms=out.duration_ms,
                                                 in_transaction=not out.bare, error=out.error,
                                                 notices=tuple(out.notices))
                    self.state = None
                    continue
                if savepoint and self._status() == "intrans":
                    self._control("RELEASE SAVEPOINT readiness_history")
                result = StatementResult(index=i, line=st.line, column=st.column, status=StatementStatus.APPLIED,
                                         duration_ms=out.duration_ms, in_transaction=not out.bare,
                                         notices=tuple(out.notices))
                if observe and not control:
                    result = self._observed(result, before, out, existing or set(), existing_tables or set())
                elif observe:
                    result = replace(result, observation_error="transaction control: nothing to observe")
                results[i] = result
                if own_txn:
                    self._control("COMMIT")
                    fresh = True
            if self._status() in ("intrans", "inerror"):
                # End of the runner's transaction: commit it (a transaction the file left open in an
                # autocommit migration ends with the runner's session, rolled back).
                self._control("COMMIT" if transactional and stopped is None and self._status() == "intrans"
                              else "ROLLBACK")
                if self.state is not None and not transactional:
                    self.state = None
        if stopped is not None:
            self.state = None
        final: list[StatementResult] = []
        for i, r in enumerate(results):
            if r is None:
                st = statements[i]
                r = StatementResult(index=i, line=st.line, column=st.column, status=StatementStatus.NOT_RUN,
                                    error=self._budget_error() if self._remaining() <= 0 else None)
            final.append(r)
        return final

    def _observed(self, result: StatementResult, before: _State | None, out: _Outcome, existing: set[int],
                  existing_tables: set[str]) -> StatementResult:
        """The statement's result with what the server shows about it."""
        if before is None:
            self.state = self._fresh_state()
            return replace(result, observed=False, observation_error="the state before the statement could "
                                                                       "not be observed")
        try:
            pid = self.conn.info.backend_pid
            held = self.sb.locks(pid) if not out.bare else {}
            rels, snap = self._observe()
        except Exception as exc:  # noqa: BLE001 - a failed observation is a value
            self.state = None
            return replace(result, observed=False, observation_error=_line(exc))
        assert snap is not None
        self.state = _State(rels=rels, snap=snap, locks=held)
        delta = O.changes(before.snap, snap)
        if out.bare:
            sampled = out.sampled or {}
            locks = O.locks({}, sampled, [rels, before.rels], existing)
            scans: tuple[Scan, ...] = ()
        else:
            locks = O.locks(before.locks, held, [rels, before.rels], existing)
            scans = O.scans(before.rels, rels, existing)
        return replace(result, observed=True, locks_complete=not out.bare, locks=locks,
                       rewrites=O.rewrites(before.rels, rels, existing), scans=scans,
                       validations=O.validations(delta, snap, existing_tables), changes=delta)

    def _history_failure(self, mig_id: str, st: Statement, error: ServerError) -> None:
        self.history_failure_count += 1
        if len(self.history_failures) < MAX_HISTORY_FAILURES:
            self.history_failures.append(HistoryFailure(migration=mig_id, line=st.line, column=st.column,
                                                        error=error))

    # -- the pull request -----------------------------------------------------------------------
    def run_pr(self, pr: Sequence[Migration]) -> list[MigrationResult]:
        return [self._pr_migration(mig) for mig in pr]

    def _pr_migration(self, mig: Migration) -> MigrationResult:
        t0 = time.perf_counter()
        after_failures = self.failed_before or self.history_failure_count > 0
        if self._remaining() <= 0:
            err = self._budget_error()
            stmts = tuple(StatementResult(index=i, line=s.line, column=s.column, status=StatementStatus.NOT_RUN,
                                          error=err) for i, s in enumerate(mig.statements))
            return MigrationResult(id=mig.id, applies=False, statements=stmts, after_failed_history=after_failures)
        start = self._fresh_state()
        self.state = start
        existing = set(start.rels) if start else set()
        tables = {r.name for r in start.rels.values()} if start else set()
        # Without the schema before the migration, nothing can be said about what it changed (and every
        # relation would look new): run it unobserved and say why.
        results = self._run(mig.id, mig.statements, mig.mode, observe=start is not None, existing=existing,
                            existing_tables=tables)
        if start is None:
            results = [replace(r, observation_error="the schema before the migration could not be observed")
                       if r.status is StatementStatus.APPLIED else r for r in results]
        applies = all(r.status is StatementStatus.APPLIED for r in results)
        for st, r in zip(mig.statements, results, strict=True):
            for ch in r.changes:
                if ch.kind == "constraint" and ch.action is ChangeAction.CREATED and (ch.after or "").startswith(
                        "FOREIGN KEY"):
                    self.created_fks[ch.name] = (mig.id, st.line, st.column)
        reversibility = None
        if applies and mig.down is not None and start is not None:
            reversibility = self._reversibility(mig, start)
        if not applies:
            self.failed_before = True
        return MigrationResult(id=mig.id, applies=applies, statements=tuple(results),
                               duration_ms=(time.perf_counter() - t0) * 1000, reversibility=reversibility,
                               after_failed_history=after_failures)

    def _reversibility(self, mig: Migration, start: _State) -> Reversibility:
        assert mig.down is not None
        down = self._run(mig.down_id or mig.id, mig.down, mig.down_mode or mig.mode, observe=False)
        failed = next((r for r in down if r.status is not StatementStatus.APPLIED), None)
        if failed is not None:
            self.failed_before = True
            return Reversibility(down_applies=False, down_error=failed.error, down_line=failed.line)
        try:
            _, snap = self._observe()
        except O.ObservationError as exc:
            return Reversibility(down_applies=True, down_error=None, differences=(), up_again=None,
                                 up_again_error=ServerError(kind=FailureKind.CONNECTION, sqlstate=None,
                                                            message=f"not observed: {exc}"))
        assert snap is not None
        diffs = O.differences(start.snap, snap)
        # Up again; past a failure it goes on statement by statement, so that the next migrations
        # still find the schema this one leaves (as far as it can be had).
        again = self._run(mig.id, mig.statements, mig.mode, observe=False, on_failure=lambda *_: None)
        bad = next((r for r in again if r.status is not StatementStatus.APPLIED), None)
        if bad is not None:
            self.failed_before = True
        self.state = None
        return Reversibility(down_applies=True, differences=diffs, up_again=bad is None,
                             up_again_error=bad.error if bad else None, up_again_line=bad.line if bad else None)

    def unindexed_fks(self) -> tuple[UnindexedForeignKey, ...]:
        if not self.created_fks:
            return ()
        try:
            _, _, rows = O.observe(self.conn, snapshot=False, extra=O.UNINDEXED_FKS)
        except O.ObservationError:
            return ()
        out = []
        for name, table, referenced, columns in rows:
            where = self.created_fks.get(str(name))
            if where is None:
                continue
            out.append(UnindexedForeignKey(constraint=str(name), table=str(table), columns=tuple(columns),
                                           referenced=str(referenced), migration=where[0], line=where[1],
                                           column=where[2]))
        return tuple(out)


def _newer_parser_accepts(sql: str) -> bool:
    """The statement parses with pglast's (newer) PostgreSQL grammar."""
    try:
        from pglast import parser
    except ImportError:
        return False
    try:
        parser.parse_sql_json(sql)
    except Exception:  # noqa: BLE001 - any parser failure means "no"
        return False
    return True


def _line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__

