"""Replay must not downgrade a destructive statement by what it saw of another statement on its line.

Before: replay's observations were matched to the static findings by line alone, so in
`DROP TABLE users; SELECT 1;` (one line) the SELECT, which takes no lock on an existing table, came
last and downgraded the DROP TABLE from critical to low ("observed no lock"): a PR passed at the
default policy by writing its destructive statement on the same line as a harmless one (and a
pop/popx template renders a whole file onto few lines). Now a statement's observation applies only to
the findings from its column to the next statement's on that line.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sec_support import PrRepo, assert_no_defect, check

from readiness.replay.server import find_binaries

BASE = {"db/migrations/V1__init.sql": "CREATE TABLE users (id int primary key, email text);\n"}


@pytest.mark.parametrize("sql", ["DROP TABLE users;  SELECT 1;", "SELECT 1; DROP TABLE users; SELECT 2;",
                                 "      DROP TABLE users;      SELECT 1;"])
def test_a_harmless_statement_on_the_same_line_does_not_downgrade_a_drop(tmp_path: Path, sql: str) -> None:
    if isinstance(find_binaries(), str):
        if os.environ.get("REQUIRE_REPLAY_TESTS") == "1":
            pytest.fail("REQUIRE_REPLAY_TESTS=1 but the PostgreSQL server programs are absent")
        pytest.skip("the PostgreSQL server programs are absent")
    repo = PrRepo.make(tmp_path / "ws", BASE, {"db/migrations/V2__cleanup.sql": sql + "\n"})
    done = check(repo.path, "--base", repo.base, "--gates", "migrations", "--replay", "on", home=tmp_path)
    assert_no_defect(done)
    found = done.findings("migrations/drop-table")
    assert [f["severity"] for f in found] == ["critical"], found
    assert "confirmed on PostgreSQL" in found[0]["message"], found[0]["message"]
    assert done.code == 1, (done.code, done.findings())
