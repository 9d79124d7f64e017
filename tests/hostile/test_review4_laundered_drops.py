"""A pull request must not drop an existing table by first making it look like the migration's own.

Before: a table or schema the migration "creates" counts as new (no data, no readers), so dropping
it is harmless. Three ways to launder an existing object through that rule passed at the default
policy with no finding:
- `CREATE TABLE IF NOT EXISTS users (...)` (a no-op: users exists) then `DROP TABLE users`;
- `CREATE SCHEMA IF NOT EXISTS public` then `DROP SCHEMA public CASCADE`;
- `CREATE SCHEMA trash; ALTER TABLE users SET SCHEMA trash; DROP SCHEMA trash CASCADE`.
Now IF NOT EXISTS may create nothing (data-destroying operations on such a table are judged as on an
existing one; such a schema is never new), and a schema that receives an existing object is not new.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sec_support import PrRepo, assert_no_defect, check

BASE = {"db/migrations/V1__init.sql": "CREATE TABLE users (id int primary key, email text);\n"}

LAUNDERED = {
    "create-if-not-exists": ("CREATE TABLE IF NOT EXISTS users (id int);\nDROP TABLE users;\n",
                             "migrations/drop-table"),
    "create-if-not-exists-truncate": ("CREATE TABLE IF NOT EXISTS users (id int);\nTRUNCATE users;\n",
                                      "migrations/truncate-table"),
    "create-if-not-exists-drop-column": ("CREATE TABLE IF NOT EXISTS users (id int, email text);\n"
                                         "ALTER TABLE users DROP COLUMN email;\n", "migrations/drop-column"),
    "schema-if-not-exists": ("CREATE SCHEMA IF NOT EXISTS public;\nDROP SCHEMA public CASCADE;\n",
                             "migrations/drop-table"),
    "moved-into-new-schema": ("CREATE SCHEMA trash;\nALTER TABLE users SET SCHEMA trash;\nDROP SCHEMA trash CASCADE;\n",
                              "migrations/drop-table"),
}


def _run(tmp_path: Path, sql: str) -> tuple[int, list[dict[str, object]]]:
    repo = PrRepo.make(tmp_path / "ws", BASE, {"db/migrations/V2__x.sql": sql})
    done = check(repo.path, "--base", repo.base, "--gates", "migrations", "--replay", "off", home=tmp_path)
    assert_no_defect(done)
    return done.code, done.findings()


@pytest.mark.parametrize("case", sorted(LAUNDERED))
def test_a_laundered_drop_blocks(tmp_path: Path, case: str) -> None:
    sql, rule = LAUNDERED[case]
    code, found = _run(tmp_path, sql)
    assert [f["severity"] for f in found if f["rule"] == rule] == ["critical"], found
    assert code == 1, found


@pytest.mark.parametrize("sql", [
    "CREATE TABLE audit (id int);\nDROP TABLE audit;\n",
    "CREATE SCHEMA scratch;\nCREATE TABLE scratch.t (id int);\nDROP SCHEMA scratch CASCADE;\n",
    "CREATE TABLE IF NOT EXISTS audit (id int);\nCREATE INDEX audit_id ON audit (id);\n",
])
def test_what_the_migration_really_creates_is_still_new(tmp_path: Path, sql: str) -> None:
    code, found = _run(tmp_path, sql)
    assert code == 0 and not [f for f in found if f["severity"] in ("critical", "high")], found
