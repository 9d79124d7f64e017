"""Statement options are read with their values, as PostgreSQL reads boolean options."""

from __future__ import annotations

from pathlib import Path

import pytest
from migrations_helpers import assert_clean, assert_flags, findings, sql_report

DBMATE = "db/migrations/20240101000000_x.sql"


@pytest.mark.parametrize("sql", ["VACUUM (FULL FALSE) events;", "VACUUM (FULL off, ANALYZE) events;",
                                 "VACUUM (FULL 0) events;", "VACUUM events;", "VACUUM (ANALYZE) events;"])
def test_vacuum_without_full_is_no_rewrite(tmp_path: Path, sql: str) -> None:
    assert_clean(tmp_path, sql, "rewrite-table")


@pytest.mark.parametrize("sql", ["VACUUM FULL events;", "VACUUM (FULL) events;", "VACUUM (FULL true) events;",
                                 "VACUUM (FULL 1, VERBOSE) events;", "VACUUM (FULL on) events;"])
def test_vacuum_full_is_a_rewrite(tmp_path: Path, sql: str) -> None:
    assert_flags(tmp_path, sql, "rewrite-table")


@pytest.mark.parametrize("sql", ["REINDEX (CONCURRENTLY false) TABLE users;", "REINDEX (CONCURRENTLY off) INDEX i;",
                                 "REINDEX (CONCURRENTLY 0) INDEX i;", "REINDEX TABLE users;"])
def test_reindex_concurrently_off_is_not_concurrent(tmp_path: Path, sql: str) -> None:
    assert_flags(tmp_path, sql, "reindex-non-concurrently")


@pytest.mark.parametrize("sql", ["REINDEX (CONCURRENTLY) TABLE users;", "REINDEX TABLE CONCURRENTLY users;",
                                 "REINDEX (VERBOSE, CONCURRENTLY on) INDEX i;", "REINDEX (CONCURRENTLY 1) INDEX i;"])
def test_reindex_concurrently_on(tmp_path: Path, sql: str) -> None:
    assert_clean(tmp_path, sql, "reindex-non-concurrently")


def test_reindex_system_never_recommends_concurrently(tmp_path: Path) -> None:
    f = assert_flags(tmp_path, "REINDEX SYSTEM;", "reindex-non-concurrently")
    assert "no CONCURRENTLY form" in f.message and "without CONCURRENTLY" not in f.message


@pytest.mark.parametrize("sql", ["VACUUM (ANALYZE) users;", "VACUUM (FULL false) users;", "REINDEX DATABASE app;",
                                 "REINDEX SCHEMA public;", "REINDEX SYSTEM;"])
def test_statements_refused_in_a_transaction_block(tmp_path: Path, sql: str) -> None:
    wrapped = f"-- migrate:up\n{sql}\n-- migrate:down\nSELECT 1;\n"
    got = findings(sql_report(tmp_path, wrapped, path=DBMATE), "concurrently-in-transaction")
    assert got and "inside a transaction" in got[0].message
    outside = f"-- migrate:up transaction:false\n{sql}\n-- migrate:down\nSELECT 1;\n"
    assert not findings(sql_report(tmp_path, outside, path=DBMATE), "concurrently-in-transaction")


def test_explain_analyze_runs_the_statement(tmp_path: Path) -> None:
    assert_flags(tmp_path, "EXPLAIN ANALYZE DELETE FROM users;", "delete-all-rows")
    assert_flags(tmp_path, "EXPLAIN (ANALYZE, BUFFERS) UPDATE users SET a = 1;", "unbatched-backfill")
    assert_clean(tmp_path, "EXPLAIN DELETE FROM users;", "delete-all-rows")
    assert_clean(tmp_path, "EXPLAIN (ANALYZE false) DELETE FROM users;", "delete-all-rows")
