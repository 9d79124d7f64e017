"""The sandbox on a server: a fresh database owned by a fresh non-superuser role, the two sessions that
use it, and a watchdog the migrations' SQL cannot switch off.

* The **admin** session (the server's superuser, or the `database-url` role) creates the role and the
  database, reads `pg_locks` of the migrations' backend (shared memory: the migrations cannot hide or
  fake a lock there), watches the database size, cancels and terminates, and drops everything at the
  end. It never runs a migration's SQL nor anything a migration defined (no views, functions or
  operators of the sandbox database: it stays connected to the maintenance database).
* The **migrations** session runs as the sandbox role: not a superuser, no CREATEDB/CREATEROLE, member
  of no role, so no `COPY ... PROGRAM`, no server files (`pg_read_file`, `lo_import`, `COPY ... TO
  'file'`), no untrusted language or extension (dblink, postgres_fdw), no ALTER SYSTEM. That is
  checked on the live session before anything runs, and a sandbox that fails the check is refused.
* The **watchdog** enforces the statement timeout and the total budget from outside (cancel, then
  terminate: `SET statement_timeout = 0` in a migration changes nothing), stops a statement that grows
  the database beyond its cap, and samples the locks of statements that must run outside a transaction.
"""

from __future__ import annotations

import contextlib
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from readiness.replay.model import Limits

if TYPE_CHECKING:
    import psycopg

PIN = "SELECT pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', false)"
"""Pins the admin session's search_path: nothing a migration creates is ever resolved by it."""
LOCKS = ("SELECT l.relation::pg_catalog.int8, l.mode, l.granted FROM pg_catalog.pg_locks l "
         "WHERE l.pid OPERATOR(pg_catalog.=) %s AND l.locktype OPERATOR(pg_catalog.=) 'relation' "
         "AND l.relation OPERATOR(pg_catalog.>=) 16384")
"""Relation locks of one backend on user objects (OIDs from 16384 up; below are the system catalogs)."""
_DANGEROUS_FUNCTIONS = ("pg_catalog.pg_read_file(text)", "pg_catalog.pg_read_binary_file(text)",
                        "pg_catalog.pg_ls_dir(text)", "pg_catalog.pg_stat_file(text)",
                        "pg_catalog.lo_import(text)", "pg_catalog.lo_export(oid, text)",
                        "pg_catalog.pg_reload_conf()", "pg_catalog.pg_rotate_logfile()")


class SandboxError(Exception):
    """The sandbox could not be set up (or is not safe); the message says why in plain words."""


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))


@dataclass(slots=True)
class _Arm:
    pid: int
    deadline: float
    reason: str
    """What hitting the deadline means: `timeout` or `budget`."""
    sample: bool
    fired: str | None = None
    """timeout | budget | resources, once the watchdog acted."""
    cancelled_at: float = 0.0
    terminated: bool = False
    seen: dict[tuple[int, str], bool] = field(default_factory=dict)
    """(relation oid, mode) -> granted, from the samples."""


class Watchdog:
    """One thread per sandbox; armed around each statement of the migrations session."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self._cond = threading.Condition()
        self._arm: _Arm | None = None
        self._busy = False
        self._closed = False
        self._thread = threading.Thread(target=self._loop, name="readiness-replay-watchdog", daemon=True)
        self._thread.start()

    def arm(self, pid: int, seconds: float, reason: str, *, sample: bool = False) -> _Arm:
        """Watch the statement that is about to run on `pid` for `seconds`."""
        arm = _Arm(pid=pid, deadline=time.monotonic() + seconds, reason=reason, sample=sample)
        with self._cond:
            self._arm = arm
            self._cond.notify_all()
        return arm

    def disarm(self) -> None:
        """The statement finished: stop watching, and wait until no watchdog query is under way."""
        with self._cond:
            self._arm = None
            self._cond.notify_all()
            while self._busy:
                self._cond.wait(0.05)

    def close(self) -> None:
        """End the thread."""
        with self._cond:
            self._closed = True
            self._arm = None
            self._cond.notify_all()
        self._thread.join(timeout=5)

    def _loop(self) -> None:
        last_size = 0.0
        while True:
            with self._cond:
                while self._arm is None and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
                arm = self._arm
                self._busy = True
            try:
                if arm is not None:
                    now = time.monotonic()
                    last_size = self._tick(arm, now, last_size)
            except Exception:  # noqa: BLE001 - a watchdog query failing must not kill the watchdog
                pass
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()
                    if self._arm is arm and not self._closed:
                        self._cond.wait(0.004 if arm is not None and arm.sample else 0.05)

    def _tick(self, arm: _Arm, now: float, last_size: float) -> float:
        sb = self.sandbox
        if arm.fired is None and now >= arm.deadline:
            self._fire(arm, arm.reason, now)
        elif arm.fired is not None and not arm.terminated and now - arm.cancelled_at > 3.0:
            arm.terminated = True
            sb.admin_query("SELECT pg_catalog.pg_terminate_backend(%s)", (arm.pid,))
        if arm.sample:
            for rel, mode, granted in sb.admin_query(LOCKS, (arm.pid,)):
                key = (int(rel), str(mode))
                arm.seen[key] = arm.seen.get(key, False) or bool(granted)
        if now - last_size >= 0.5:
            last_size = now
            rows = sb.admin_query("SELECT pg_catalog.pg_database_size(%s)", (sb.dbname,))
            if rows and rows[0][0] is not None and int(rows[0][0]) > sb.limits.database_mb * 1024 * 1024:
                if arm.fired is None:
                    self._fire(arm, "resources", now)
        return last_size

    def mark(self, arm: _Arm, reason: str) -> None:
        """The session itself stopped the statement (`reason`, e.g. too many rows): record it as fired
        now, so that the watchdog escalates to terminating the backend only if the stop has not taken
        effect within 3 s (a bare `fired` with no time read as 'cancelled long ago' and terminated the
        session at the next tick)."""
        with self._cond:
            if arm.fired is None:
                arm.fired = reason
                arm.cancelled_at = time.monotonic()

    def _fire(self, arm: _Arm, reason: str, now: float) -> None:
        arm.fired = reason
        arm.cancelled_at = now
        conn = self.sandbox.pr
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.cancel_safe(timeout=2.0)


APPLICATION_NAME = ""
"""`application_name` of the migrations session: none, as most migration tools connect (see
`server.ADMIN_USER` for why no name the migrations can read says what runs them)."""


def sandbox_names(*, throwaway: bool) -> tuple[str, str]:
    """(role, database) of a sandbox: `app` on a throwaway server (the only database there); on a
    server the runner gives, where several replays may run at once, `app_<random>` (the role's
    name differs from the database's, so neither names the other)."""
    if throwaway:
        return "app", "app"
    return f"app_{secrets.token_hex(4)}", f"app_{secrets.token_hex(4)}"


class Sandbox:
    """A database and a role of their own on a server; `open()` it, `close()` it."""

    def __init__(self, admin_info: dict[str, Any], limits: Limits, *, throwaway: bool) -> None:
        self.admin_info = admin_info
        self.limits = limits
        self.throwaway = throwaway
        self.role, self.dbname = sandbox_names(throwaway=throwaway)
        self.password = secrets.token_urlsafe(24)
        self.admin: psycopg.Connection[tuple[Any, ...]] | None = None
        self.pr: psycopg.Connection[tuple[Any, ...]] | None = None
        self.server_version = ""
        self.server_version_num = 0
        self.notices: list[str] = []
        self.watchdog: Watchdog | None = None
        self._created_role = False
        self._created_db = False
        self._admin_lock = threading.Lock()

    # -- set-up ---------------------------------------------------------------------------------
    def open(self) -> Sandbox:
        """Create the role and the database, connect, and check the migrations session is safe."""
        import psycopg
        from psycopg import sql

        try:
            self.admin = psycopg.connect(**self.admin_info, autocommit=True, connect_timeout=10,
                                         options="-c statement_timeout=30000 -c lock_timeout=10000")
        except psycopg.Error as exc:
            raise SandboxError(f"cannot connect to the server: {_first_line(exc)}") from None
        try:
            self.admin.execute(PIN)
            self.server_version_num = self.admin.info.server_version
            row = self.admin.execute("SELECT pg_catalog.current_setting('server_version'), r.rolsuper, "
                                     "r.rolcreaterole, r.rolcreatedb FROM pg_catalog.pg_roles r "
                                     "WHERE r.rolname OPERATOR(pg_catalog.=) CURRENT_USER").fetchone()
            if row is None:
                raise SandboxError("the server does not know the connecting role")
            self.server_version = str(row[0]).split()[0]
            superuser, createrole, createdb = bool(row[1]), bool(row[2]), bool(row[3])
            if not superuser and not (createrole and createdb):
                raise SandboxError("the database-url role needs CREATEDB and CREATEROLE (or to be a superuser) "
                                   "to create the replay's own database and role")
            role, db = sql.Identifier(self.role), sql.Identifier(self.dbname)
            self.admin.execute(sql.SQL(
                "CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS "
                "CONNECTION LIMIT 4 PASSWORD {}").format(role, sql.Literal(self.password)))
            self._created_role = True
            if superuser:
                self.admin.execute(sql.SQL("ALTER ROLE {} SET temp_file_limit = {}").format(
                    role, sql.Literal(f"{self.limits.temp_file_mb}MB")))
            else:
                self.admin.execute(sql.SQL("GRANT {} TO CURRENT_USER").format(role))
                self.notices.append("temp_file_limit not set: the database-url role is not a superuser")
            self.admin.execute(sql.SQL("CREATE DATABASE {} OWNER {} ENCODING 'UTF8'").format(db, role))
            self._created_db = True
        except psycopg.Error as exc:
            self.close()
            raise SandboxError(f"cannot create the replay's database and role: {_first_line(exc)}") from None
        except SandboxError:
            self.close()
            raise
        try:
            self.connect_pr()
            self.check_safe()
        except (psycopg.Error, SandboxError) as exc:
            self.close()
            if isinstance(exc, SandboxError):
                raise
            raise SandboxError(f"cannot connect as the replay's role: {_first_line(exc)}") from None
        self.watchdog = Watchdog(self)
        return self

    def pr_info(self) -> dict[str, Any]:
        """Connection parameters of the migrations session."""
        info = {k: v for k, v in self.admin_info.items() if k not in ("user", "password", "dbname", "options")}
        lim = self.limits
        options = (f"-c statement_timeout={_ms(lim.statement_timeout_s)} -c lock_timeout={_ms(lim.lock_timeout_s)} "
                   f"-c idle_in_transaction_session_timeout={_ms(lim.idle_in_transaction_s)} "
                   "-c max_parallel_workers_per_gather=0 -c max_parallel_maintenance_workers=0 "
                   "-c client_min_messages=notice")
        info.update(user=self.role, password=self.password, dbname=self.dbname, options=options,
                    application_name=APPLICATION_NAME)
        return info

    def connect_pr(self) -> psycopg.Connection[tuple[Any, ...]]:
        """(Re)connect the migrations session."""
        import psycopg

        if self.pr is not None:
            with contextlib.suppress(Exception):
                self.pr.close()
        self.pr = psycopg.connect(**self.pr_info(), autocommit=True, connect_timeout=10)
        return self.pr

    def check_safe(self) -> None:
        """Refuse a migrations session that could reach outside its database. (`pg_database_owner`, of
        which a database's owner is implicitly a member, confers only the ownership of `public`.)"""
        assert self.pr is not None
        funcs = ", ".join(f"pg_catalog.has_function_privilege('{f}', 'EXECUTE')" for f in _DANGEROUS_FUNCTIONS)
        with self.pr.transaction():
            self.pr.execute("SET LOCAL search_path = pg_catalog, pg_temp")
            row = self.pr.execute(
                "SELECT r.rolsuper, r.rolcreaterole, r.rolcreatedb, r.rolreplication, r.rolbypassrls, "
                "(SELECT pg_catalog.array_agg(o.rolname) FROM pg_catalog.pg_roles o "
                " WHERE o.oid OPERATOR(pg_catalog.<>) r.oid AND o.rolname OPERATOR(pg_catalog.<>) 'pg_database_owner' "
                " AND pg_catalog.pg_has_role(r.oid, o.oid, 'MEMBER')), "
                f"ARRAY[{funcs}] FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) CURRENT_USER"
            ).fetchone()
        if row is None:
            raise SandboxError("the replay's role is not visible to itself")
        flags = dict(zip(("superuser", "createrole", "createdb", "replication", "bypassrls"), row[:5], strict=True))
        bad = [name for name, value in flags.items() if value]
        if row[5]:
            bad.append("member of " + ", ".join(sorted(row[5])))
        bad += [f for f, ok in zip(_DANGEROUS_FUNCTIONS, row[6], strict=True) if ok]
        if bad:
            raise SandboxError("refusing to replay: the replay's role could reach outside its database ("
                               + "; ".join(bad) + ")")

    # -- the admin session ----------------------------------------------------------------------
    def admin_query(self, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Run one read-only query on the admin session (serialised between threads)."""
        assert self.admin is not None
        with self._admin_lock:
            cur = self.admin.execute(query, params)
            return cur.fetchall() if cur.description else []

    def locks(self, pid: int) -> dict[tuple[int, str], bool]:
        """(relation oid, pg_locks mode) -> granted, for one backend, read now."""
        return {(int(r), str(m)): bool(g) for r, m, g in self.admin_query(LOCKS, (pid,))}

    # -- tear-down ------------------------------------------------------------------------------
    def close(self) -> None:
        """Drop the database and the role (a throwaway server is removed whole instead); never raises."""
        if self.watchdog is not None:
            self.watchdog.close()
            self.watchdog = None
        if self.pr is not None:
            with contextlib.suppress(Exception):
                self.pr.close()
            self.pr = None
        if self.admin is None:
            return
        if not self.throwaway:
            from psycopg import sql

            if self._created_db:
                with contextlib.suppress(Exception):
                    self.admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                        sql.Identifier(self.dbname)))
            if self._created_role:
                with contextlib.suppress(Exception):
                    self.admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(self.role)))
        with contextlib.suppress(Exception):
            self.admin.close()
        self.admin = None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
