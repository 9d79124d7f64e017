"""A pull request must not drop every table through `DROP OWNED BY`.

Before: `DROP OWNED BY CURRENT_USER CASCADE` -- which drops every table the migration's role owns,
with its data -- was read as an unknown statement: risk `low`, no finding, the PR passed at the
default policy (replay even observed the ACCESS EXCLUSIVE lock on the table it dropped). Now it is a
`migrations/drop-table`, like DROP SCHEMA ... CASCADE.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sec_support import PrRepo, assert_no_defect, check

BASE = {"db/migrations/V1__init.sql": "CREATE TABLE users (id int primary key, email text);\n"}


@pytest.mark.parametrize("sql", ["DROP OWNED BY CURRENT_USER CASCADE;", "DROP OWNED BY app_owner;",
                                 "DROP OWNED BY SESSION_USER, app RESTRICT;"])
def test_drop_owned_blocks_at_the_default_policy(tmp_path: Path, sql: str) -> None:
    repo = PrRepo.make(tmp_path / "ws", BASE, {"db/migrations/V2__cleanup.sql": sql + "\n"})
    done = check(repo.path, "--base", repo.base, "--gates", "migrations", "--replay", "off", home=tmp_path)
    assert_no_defect(done)
    found = done.findings("migrations/drop-table")
    assert [f["severity"] for f in found] == ["critical"], done.findings()
    assert "DROP OWNED BY" in found[0]["message"]
    assert done.code == 1, (done.code, done.findings())


def test_reassign_owned_is_not_a_drop(tmp_path: Path) -> None:
    repo = PrRepo.make(tmp_path / "ws", BASE, {"db/migrations/V2__owner.sql": "REASSIGN OWNED BY old TO new;\n"})
    done = check(repo.path, "--base", repo.base, "--gates", "migrations", "--replay", "off", home=tmp_path)
    assert_no_defect(done)
    assert not done.findings("migrations/drop-table"), done.findings()
