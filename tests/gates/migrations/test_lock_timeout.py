"""missing-lock-timeout: once per migration, at the first statement that blocks reads or writes of
an existing relation while no lock_timeout is in force (the rule its page states)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from migrations_helpers import findings, sql_report


def _at(tmp_path: Path, sql: str, **settings: Any) -> list[int]:
    return [f.location.line or 0 for f in findings(sql_report(tmp_path, sql, **settings), "missing-lock-timeout")]


@pytest.mark.parametrize("sql", [
    "ALTER TABLE t ADD COLUMN c text;",
    "ALTER TABLE t ALTER COLUMN c SET DEFAULT 0;",
    "ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (a) REFERENCES u (id) NOT VALID;",
    "CREATE INDEX i ON t (a);",
    "DROP INDEX i;",
    "REINDEX TABLE t;",
    "DROP TABLE t;",
    "TRUNCATE t;",
    "ALTER TABLE t RENAME TO u;",
    "ALTER VIEW v RENAME TO w;",
    "DROP VIEW v;",
    "CREATE OR REPLACE VIEW v AS SELECT 1;",
    "CREATE TRIGGER trg AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION f();",
    "DROP TRIGGER trg ON t;",
    "ALTER TABLE t DISABLE TRIGGER trg;",
    "LOCK TABLE t IN SHARE MODE;",
    "REFRESH MATERIALIZED VIEW m;",
    "VACUUM FULL t;",
])
def test_every_traffic_blocking_statement_is_covered(tmp_path: Path, sql: str) -> None:
    assert _at(tmp_path, sql) == [1]
    assert _at(tmp_path, "SET lock_timeout = '3s';\n" + sql) == []


@pytest.mark.parametrize("sql", [
    "CREATE INDEX CONCURRENTLY i ON t (a);",
    "DROP INDEX CONCURRENTLY i;",
    "ALTER TABLE t VALIDATE CONSTRAINT c;",
    "ALTER TABLE t ALTER COLUMN c SET STATISTICS 500;",
    "UPDATE t SET a = 1 WHERE id = 2;",
    "LOCK TABLE t IN ROW EXCLUSIVE MODE;",
    "CREATE TABLE n (id int);\nALTER TABLE n ADD COLUMN c text;\nCREATE INDEX ni ON n (c);",
    "CREATE VIEW v2 AS SELECT 1;\nDROP VIEW v2;",
    "COMMENT ON TABLE t IS 'x';",
])
def test_statements_that_let_traffic_through_are_not(tmp_path: Path, sql: str) -> None:
    assert _at(tmp_path, sql) == []


def test_once_per_migration_at_the_first_unprotected_statement(tmp_path: Path) -> None:
    sql = ("CREATE TABLE n (id int);\nALTER TABLE n ADD COLUMN c text;\nALTER TABLE t ADD COLUMN c text;\n"
           "CREATE INDEX i ON t (c);\nDROP TABLE old;\n")
    assert _at(tmp_path, sql) == [3]
    late = "ALTER TABLE t ADD COLUMN c text;\nSET lock_timeout = '1s';\nDROP TABLE old;\n"
    assert _at(tmp_path, late) == [1]
    off = "SET lock_timeout = '1s';\nALTER TABLE t ADD COLUMN c text;\nSET lock_timeout = 0;\nDROP TABLE old;\n"
    assert _at(tmp_path, off) == [4]
    assert _at(tmp_path, "ALTER TABLE t ADD COLUMN c text;", require_lock_timeout=False) == []
