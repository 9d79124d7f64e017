"""Sixth review, R6a-5: a WHERE that reads a column counted as a filter, so conditions true for every
row emptied a base table at the default policy: a system column that is never null, `x IS NULL OR x IS
NOT NULL`, and `id IN (SELECT id FROM <the same table>)`. They are now judged as no WHERE at all.
(Conditions that depend on the data, or on a column being NOT NULL, cannot be told from the text and
stay filters.)"""

from __future__ import annotations

from pathlib import Path

import pytest
from sec_support import PrRepo, assert_no_defect, check

BASE: dict[str, str | bytes] = {"db/migrations/V1__init.sql": "CREATE TABLE users (id int PRIMARY KEY, email text);\n"}
CASES = {  # the PR's statement -> whether it empties the table
    "ctid IS NOT NULL": ("DELETE FROM users WHERE ctid IS NOT NULL;", True),
    "IS NULL OR IS NOT NULL": ("DELETE FROM users WHERE email IS NULL OR email IS NOT NULL;", True),
    "IN itself": ("DELETE FROM users WHERE id IN (SELECT id FROM users);", True),
    "IN itself, qualified, in an OR": ("DELETE FROM public.users WHERE id < 0 OR id IN (SELECT id FROM users);", True),
    "IS NOT NULL on a column (control)": ("DELETE FROM users WHERE email IS NOT NULL;", False),
    "IN another table (control)": ("DELETE FROM users WHERE id IN (SELECT user_id FROM bans);", False),
    "IN itself, filtered (control)": ("DELETE FROM users WHERE id IN (SELECT id FROM users WHERE email = '');", False),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_where_true_for_every_row_is_no_where(tmp_path: Path, case: str) -> None:
    sql, empties = CASES[case]
    repo = PrRepo.make(tmp_path / "ws", BASE, {"db/migrations/V2__purge.sql": sql + "\n"})
    done = check(repo.path, "--base", repo.base, "--gates", "migrations", "--replay", "off", home=tmp_path)
    assert_no_defect(done)
    assert bool(done.findings("migrations/delete-all-rows")) is empties, done.findings()
    assert done.code == (1 if empties else 0)
