"""A pull request must not repurpose a statement of a Flyway repeatable migration by writing before it.

Flyway runs a repeatable migration (`R__*.sql`) again, whole, whenever its checksum changes. Before:
an edit counted only the statements it touched as the PR's, so prepending `ALTER TABLE users RENAME
TO scratch;` to a base `R__scratch.sql` that already held `DROP TABLE IF EXISTS scratch;` dropped
`users` with its data, and the kept DROP was "not introduced": the PR passed at the default policy.
Now every finding of a repeatable migration the PR changes is the PR's (the whole file runs again).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sec_support import PrRepo, assert_no_defect, check

REPEATABLE = "DROP TABLE IF EXISTS scratch;\nCREATE TABLE scratch (id int);\n"
BASE = {"db/migrations/V1__init.sql": "CREATE TABLE users (id int primary key, email text);\n",
        "db/migrations/R__scratch.sql": REPEATABLE}


def _introduced(tmp_path: Path, pr: dict[str, str | bytes]) -> tuple[int, list[str]]:
    repo = PrRepo.make(tmp_path / "ws", BASE, pr)
    done = check(repo.path, "--base", repo.base, "--gates", "migrations", "--replay", "off", home=tmp_path)
    assert_no_defect(done)
    return done.code, sorted(f"{f['rule']}:{f['severity']}" for f in done.findings() if f.get("introduced"))


def test_a_kept_statement_of_a_changed_repeatable_migration_is_the_prs(tmp_path: Path) -> None:
    code, introduced = _introduced(tmp_path, {"db/migrations/R__scratch.sql":
                                              "ALTER TABLE users RENAME TO scratch;\n" + REPEATABLE})
    assert "migrations/drop-table:critical" in introduced, introduced
    assert code == 1


def test_an_untouched_repeatable_migration_is_not(tmp_path: Path) -> None:
    code, introduced = _introduced(tmp_path, {"db/migrations/V2__add.sql": "ALTER TABLE users ADD COLUMN note text;\n"})
    assert not any(f.startswith("migrations/drop-table") for f in introduced), introduced


WAIVER = "-- readiness: ignore migrations/drop-table -- scratch table, rebuilt below\n"
WAIVED_CASES = {  # the PR's R__scratch.sql -> whether the base's kept waiver still clears the drop
    "a rename into the waived name prepended": ("ALTER TABLE users RENAME TO scratch;\n" + WAIVER + REPEATABLE, False),
    "a search_path prepended": ("SET search_path = s, public;\n" + WAIVER + REPEATABLE, False),
    "a temporary shadow prepended": ("CREATE TEMP TABLE scratch (id int);\nDROP TABLE scratch;\n" + WAIVER + REPEATABLE,
                                     False),
    "a statement appended below it (control)": (WAIVER + REPEATABLE + "CREATE INDEX ON scratch (id);\n", True),
    "blank lines prepended (control)": ("\n\n" + WAIVER + REPEATABLE, True),
}


@pytest.mark.parametrize("case", sorted(WAIVED_CASES))
def test_a_kept_base_waiver_does_not_clear_a_statement_the_pr_repurposed(tmp_path: Path, case: str) -> None:
    """Fifth review, R5-15: the base's inline waiver over the DROP stayed line for line, so it waived the
    drop of `users` renamed into `scratch` above it. A migration statement means what the statements
    before it make it mean: a kept waiver now needs the file unchanged from its first line."""
    pr, waived = WAIVED_CASES[case]
    base = {**BASE, "db/migrations/R__scratch.sql": WAIVER + REPEATABLE}
    repo = PrRepo.make(tmp_path / "ws", base, {"db/migrations/R__scratch.sql": pr})
    done = check(repo.path, "--base", repo.base, "--gates", "migrations", "--replay", "off", home=tmp_path)
    assert_no_defect(done)
    drops = done.findings("migrations/drop-table")
    assert drops and all(bool(f["waived"]) is waived for f in drops), drops
    assert done.code == (0 if waived else 1), done.findings()
