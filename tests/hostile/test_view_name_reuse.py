"""A view created in the migration changes no rows of its own, but once it is dropped or renamed its
name may mean the table it shadowed again: `CREATE TEMP VIEW users AS SELECT 1; DROP VIEW users;
DELETE FROM users;` empties the base table `users` and must block."""

from __future__ import annotations

from pathlib import Path

import pytest
from sec_support import PrRepo, assert_no_defect, check

BASE = {"db/migrations/V1__init.sql": "CREATE TABLE users (id int primary key);\n"}


@pytest.mark.parametrize("sql", [
    "CREATE TEMP VIEW users AS SELECT 1 AS id;\nDROP VIEW users;\nDELETE FROM users;\n",
    "CREATE TEMP VIEW users AS SELECT 1 AS id;\nALTER VIEW users RENAME TO old_users;\nDELETE FROM users;\n",
])
def test_a_dropped_or_renamed_view_no_longer_shields_its_name(tmp_path: Path, sql: str) -> None:
    repo = PrRepo.make(tmp_path / "ws", BASE, {"db/migrations/V2__x.sql": sql})
    done = check(repo.path, "--base", repo.base, "--gates", "migrations", "--replay", "off", home=tmp_path)
    assert_no_defect(done)
    assert [f["severity"] for f in done.findings("migrations/delete-all-rows")] == ["critical"], done.findings()


def test_dml_on_a_view_over_a_new_table_stays_harmless(tmp_path: Path) -> None:
    sql = "CREATE TABLE t (id int);\nCREATE VIEW v AS SELECT * FROM t;\nDELETE FROM v;\n"
    repo = PrRepo.make(tmp_path / "ws", BASE, {"db/migrations/V2__x.sql": sql})
    done = check(repo.path, "--base", repo.base, "--gates", "migrations", "--replay", "off", home=tmp_path)
    assert_no_defect(done)
    assert not done.findings("migrations/delete-all-rows"), done.findings()
