"""Hostile migrations are contained, and cannot fake what the observer sees.

The migrations run as a non-superuser role that owns only its database: server programs, server
files, untrusted languages and extensions, other roles and the network are out of reach; loops,
sleeps and huge queries are stopped by timeouts the SQL cannot switch off; and the observer reads
the server's own bookkeeping through qualified names, so shadowing catalogs or functions in `public`
or `pg_temp`, or changing `search_path` and timeouts, changes nothing it reports.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from replay_helpers import TABLE, Run, mig

from readiness.replay import FailureKind, LockMode, StatementStatus, TxMode
from readiness.replay.server import ADMIN_USER


def _error_kinds(run: Run, *sqls: str, **limits: float) -> list[FailureKind | None]:
    result = run([mig("1", *TABLE)], [mig(f"{i + 2}", sql, mode=TxMode.AUTOCOMMIT) for i, sql in enumerate(sqls)],
                 **limits)
    out = []
    for m in result.migrations:
        err = m.statements[0].error
        out.append(None if err is None else err.kind)
    return out


def test_server_programs_files_and_large_objects_are_denied(run: Run, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    kinds = _error_kinds(
        run,
        f"COPY t TO PROGRAM 'touch {marker}'",
        f"COPY t FROM PROGRAM 'touch {marker}'",
        "COPY t TO '/tmp/readiness-replay-leak.csv'",
        "SELECT pg_read_file('/etc/passwd')",
        "SELECT pg_ls_dir('/')",
        "SELECT lo_import('/etc/passwd')",
        "SELECT lo_export(0, '/tmp/readiness-replay-leak')",
        "ALTER SYSTEM SET work_mem = '1GB'",
        "SELECT pg_reload_conf()",
        "CREATE FUNCTION c_shell() RETURNS void AS '/bin/sh', 'main' LANGUAGE c",
        "CREATE ROLE intruder SUPERUSER",
        "CREATE DATABASE other",
        f"SET ROLE {ADMIN_USER}",
        f"SET SESSION AUTHORIZATION {ADMIN_USER}",
    )
    assert all(k is FailureKind.PRIVILEGE for k in kinds), list(enumerate(kinds))
    # an untrusted language: denied where it is installed, unavailable where it is not
    assert _error_kinds(run, "CREATE LANGUAGE plpython3u", "CREATE EXTENSION plperlu") == [
        k for k in _error_kinds(run, "CREATE LANGUAGE plpython3u", "CREATE EXTENSION plperlu")
        if k in (FailureKind.PRIVILEGE, FailureKind.ENVIRONMENT)]
    assert not marker.exists()
    assert not Path("/tmp/readiness-replay-leak.csv").exists()


def test_the_network_is_out_of_reach(run: Run) -> None:
    kinds = _error_kinds(run, "CREATE EXTENSION dblink", "CREATE EXTENSION postgres_fdw",
                         "SELECT dblink_connect('host=127.0.0.1 user=postgres')",
                         "CREATE SERVER evil FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host '127.0.0.1')")
    assert kinds[:2] == [FailureKind.PRIVILEGE, FailureKind.PRIVILEGE]
    assert kinds[2:] == [FailureKind.MIGRATION, FailureKind.MIGRATION]  # the functions do not exist


def test_loops_sleeps_and_huge_queries_are_stopped_and_the_rest_still_runs(run: Run) -> None:
    start = time.monotonic()
    result = run([mig("1", *TABLE)], [
        mig("2", "DO $$ BEGIN LOOP END LOOP; END $$"),
        mig("3", "SELECT pg_sleep(1000)"),
        mig("4", "SELECT count(*) FROM generate_series(1, 1000000000000)"),
        mig("5", "SET statement_timeout = 0", "SET LOCAL statement_timeout = 0",
            "DO $$ BEGIN PERFORM pg_sleep(1000); END $$", mode=TxMode.AUTOCOMMIT),
        mig("6", "ALTER TABLE t ADD COLUMN survived int")], statement_timeout_s=1)
    assert time.monotonic() - start < 30
    *stopped, last = result.migrations
    for m in stopped:
        failed = next(s for s in m.statements if s.status is StatementStatus.FAILED)
        assert failed.error is not None and failed.error.kind is FailureKind.TIMEOUT, failed.error
    assert last.applies
    assert not result.budget_exhausted


def test_filling_the_disk_is_stopped(run: Run) -> None:
    result = run([], [mig("1", "CREATE TABLE big AS SELECT repeat('x', 2000) AS x FROM generate_series(1, 50000000)"),
                      mig("2", "CREATE TABLE small (id int)")], database_mb=40, statement_timeout_s=60)
    big, small = result.migrations
    err = big.statements[0].error
    assert err is not None and err.kind is FailureKind.RESOURCES, err
    assert small.applies


def test_a_huge_result_set_is_stopped_not_collected(run: Run) -> None:
    result = run([], [mig("1", "SELECT generate_series(1, 100000000), repeat('x', 100)"),
                      mig("2", "SELECT g FROM generate_series(1, 10) g", "CREATE TABLE after_rows (id int)")])
    huge, small = result.migrations
    err = huge.statements[0].error
    assert err is not None and err.kind is FailureKind.RESOURCES and "rows" in err.message, err
    assert small.applies


def test_temp_files_are_bounded(run: Run) -> None:
    sort = "SELECT count(*) FROM (SELECT g FROM generate_series(1, 20000000) g ORDER BY g DESC) s"
    result = run([], [mig("1", sort)], temp_file_mb=10)
    err = result.migrations[0].statements[0].error
    assert err is not None and err.kind is FailureKind.RESOURCES and err.sqlstate == "53400", err


SPOOFS = (
    # a catalog and the observer's functions shadowed in public, found first on the search_path
    "CREATE TABLE public.pg_class (oid oid, relname name, relkind char, relnamespace oid)",
    "CREATE VIEW public.pg_locks AS SELECT 0::int AS pid, 'relation'::text AS locktype",
    "CREATE FUNCTION public.pg_relation_filenode(regclass) RETURNS oid LANGUAGE sql AS 'SELECT 1::oid'",
    "CREATE FUNCTION public.pg_stat_get_xact_numscans(oid) RETURNS bigint LANGUAGE sql AS 'SELECT 0::bigint'",
    "CREATE FUNCTION public.set_config(text, text, boolean) RETURNS text LANGUAGE sql AS 'SELECT $2'",
    "CREATE FUNCTION public.oideq_lie(oid, oid) RETURNS boolean LANGUAGE sql AS 'SELECT false'",
    "CREATE OPERATOR public.= (LEFTARG = oid, RIGHTARG = oid, FUNCTION = public.oideq_lie)",
    "CREATE TEMP TABLE pg_class (x int)",
    "SET search_path = public, pg_catalog",
    "SET statement_timeout = '1ms'",
    "SELECT 1",  # observed all the same: the observation pins its own timeouts
    "SET statement_timeout = '1h'",
    "SET transform_null_equals = on",
    "SET default_transaction_read_only = on",
    "SET standard_conforming_strings = off",  # the observation is lexed before it pins this
    "SET client_encoding = 'LATIN1'",
    "SET enable_seqscan = off",
)


def test_shadowing_the_catalogs_cannot_hide_a_rewrite_or_its_lock(run: Run) -> None:
    result = run([mig("1", *TABLE)], [mig("2", *SPOOFS, "ALTER TABLE t ALTER COLUMN a TYPE bigint")])
    m = result.migrations[0]
    assert all(s.status is StatementStatus.APPLIED and s.observed for s in m.statements), [
        (s.error, s.observation_error) for s in m.statements]
    alter = m.statements[-1]
    assert alter.status is StatementStatus.APPLIED, alter.error
    assert alter.observed, alter.observation_error
    assert "public.t" in {r.relation for r in alter.rewrites}
    assert any(lk.relation == "public.t" and lk.mode is LockMode.ACCESS_EXCLUSIVE for lk in alter.locks)
    assert any(s.relation == "public.t" for s in alter.scans)


def test_a_no_rewrite_statement_stays_no_rewrite_under_the_same_spoofs(run: Run) -> None:
    result = run([mig("1", *TABLE)], [mig("2", *SPOOFS, "ALTER TABLE t ALTER COLUMN v TYPE varchar(20)")])
    alter = result.migrations[0].statements[-1]
    assert alter.observed and alter.rewrites == ()


def test_a_security_definer_function_runs_as_the_sandbox_role_only(run: Run) -> None:
    result = run([mig("1", *TABLE)], [mig(
        "2", "CREATE FUNCTION whoami() RETURNS text LANGUAGE sql SECURITY DEFINER AS 'SELECT current_user::text'",
        "CREATE TABLE who AS SELECT whoami() AS u, (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS s",
        "DO $$ BEGIN IF (SELECT s FROM who) THEN RAISE EXCEPTION 'ran as a superuser'; END IF; END $$")])
    assert result.migrations[0].applies, [s.error for s in result.migrations[0].statements]


@pytest.mark.parametrize("attribute", ["SUPERUSER", "CREATEROLE"])
def test_the_sandbox_refuses_a_role_that_could_escape(pg_url: str, attribute: str) -> None:
    from readiness.replay import Limits
    from readiness.replay.sandbox import Sandbox, SandboxError

    sandbox = Sandbox(_info(pg_url), Limits(), throwaway=False).open()
    try:
        assert sandbox.admin is not None
        sandbox.admin.execute(f'ALTER ROLE "{sandbox.role}" {attribute}')
        with pytest.raises(SandboxError, match="could reach outside"):
            sandbox.check_safe()
    finally:
        sandbox.close()


def _info(url: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in url.split())


def test_memory_is_bounded_on_a_throwaway_server(pg_server: object) -> None:
    from readiness.replay import Limits, Replayed, replay

    result = replay([], [mig("1", "SELECT length(string_agg(repeat('x', 1000), '')) FROM generate_series(1, 1500000)"),
                         mig("2", "CREATE TABLE after_oom (id int)")], limits=Limits(memory_mb=400))
    assert isinstance(result, Replayed), result
    hog, after = result.migrations
    err = hog.statements[0].error
    assert err is not None and err.kind is FailureKind.RESOURCES and err.sqlstate == "53200", err
    assert after.applies
