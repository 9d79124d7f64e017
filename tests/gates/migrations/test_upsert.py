"""INSERT ... ON CONFLICT DO UPDATE and MERGE ... WHEN MATCHED THEN UPDATE are judged as the UPDATE they are."""

from __future__ import annotations

from pathlib import Path

import pytest
from migrations_helpers import findings, sql_report

T = "CREATE TABLE IF NOT EXISTS t (id int primary key, c int);\n"


def _rules(tmp_path: Path, sql: str) -> set[str]:
    return {f.rule for f in findings(sql_report(tmp_path, sql)) if f.location.line == 1}


@pytest.mark.parametrize("sql", [
    "INSERT INTO t SELECT * FROM t ON CONFLICT (id) DO UPDATE SET c = NULL;\n",
    "INSERT INTO t AS x (id, c) SELECT id, c FROM t ON CONFLICT ON CONSTRAINT t_pkey DO UPDATE SET c = 0;\n",
    "MERGE INTO t USING t s ON t.id = s.id WHEN MATCHED THEN UPDATE SET c = NULL;\n",
])
def test_an_upsert_of_every_row_is_an_update_without_where(tmp_path: Path, sql: str) -> None:
    assert _rules(tmp_path, sql) == _rules(tmp_path, "UPDATE t SET c = NULL;\n")
    assert "migrations/unbatched-backfill" in _rules(tmp_path, sql)


@pytest.mark.parametrize("sql", [
    "INSERT INTO t VALUES (1, 2) ON CONFLICT (id) DO UPDATE SET c = excluded.c;\n",
    "INSERT INTO t SELECT * FROM t ON CONFLICT (id) DO UPDATE SET c = 0 WHERE t.c IS NULL;\n",
    "INSERT INTO t SELECT id, 0 FROM other ON CONFLICT (id) DO UPDATE SET c = 0;\n",
    "INSERT INTO t SELECT * FROM t ON CONFLICT (id) DO NOTHING;\n",
])
def test_an_upsert_of_some_rows_is_a_filtered_update(tmp_path: Path, sql: str) -> None:
    assert "migrations/unbatched-backfill" not in _rules(tmp_path, sql)


def test_an_upsert_beside_ddl_is_judged_as_the_update_beside_it(tmp_path: Path) -> None:
    ddl = "ALTER TABLE t ADD COLUMN d int;\n"
    upsert = {f.rule for f in findings(sql_report(
        tmp_path, ddl + "INSERT INTO t SELECT * FROM t ON CONFLICT (id) DO UPDATE SET c = NULL;\n"))}
    update = {f.rule for f in findings(sql_report(tmp_path, ddl + "UPDATE t SET c = NULL;\n"))}
    assert upsert == update
