"""An UPDATE spelt as an upsert must be judged as the UPDATE it is.

`INSERT INTO t SELECT * FROM t ON CONFLICT (id) DO UPDATE SET c = NULL` rewrites every row of `t`,
as `UPDATE t SET c = NULL` does; before, it was read as an INSERT only, so the finding an UPDATE of
every row gets (`migrations/unbatched-backfill`, and whatever else plain UPDATE gets) was missing.
MERGE ... WHEN MATCHED THEN UPDATE already was read so; both are held here.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sec_support import PrRepo, assert_no_defect, check

BASE = {"db/migrations/V1__init.sql": "CREATE TABLE t (id int primary key, c int);\n"}


def _rules(tmp_path: Path, sql: str) -> set[str]:
    repo = PrRepo.make(tmp_path, BASE, {"db/migrations/V2__x.sql": sql})
    done = check(repo.path, "--base", repo.base, "--gates", "migrations", "--replay", "off", home=tmp_path)
    assert_no_defect(done)
    return {str(f["rule"]) for f in done.findings() if f["path"] == "db/migrations/V2__x.sql"}


@pytest.mark.parametrize("sql", [
    "INSERT INTO t SELECT * FROM t ON CONFLICT (id) DO UPDATE SET c = NULL;\n",
    "insert into t (id, c) select id, c from t on conflict on constraint t_pkey do update set c = 0;\n",
    "MERGE INTO t USING t AS s ON t.id = s.id WHEN MATCHED THEN UPDATE SET c = NULL;\n",
])
def test_an_upsert_of_every_row_is_judged_as_update(tmp_path: Path, sql: str) -> None:
    upsert = _rules(tmp_path / "a", sql)
    assert "migrations/unbatched-backfill" in upsert
    assert upsert == _rules(tmp_path / "b", "UPDATE t SET c = NULL;\n")


def test_an_upsert_of_given_rows_is_not_a_backfill(tmp_path: Path) -> None:
    assert "migrations/unbatched-backfill" not in _rules(
        tmp_path / "ws", "INSERT INTO t VALUES (1, 2) ON CONFLICT (id) DO UPDATE SET c = excluded.c;\n")
