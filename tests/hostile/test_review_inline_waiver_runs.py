"""Third (independent) review: an inline waiver the base already has was kept for a finding in a file
the PR edits when the base had the same (waiver line, finding line) pair; a finding's line is only
its statement's first line. So a PR could keep `ALTER TABLE orders` under a reviewed waiver and change
what follows, or copy the pair over a new statement: a new `DROP COLUMN` passed, waived. The base must
now hold every line from the waiver through the finding's last line, in a row."""

from __future__ import annotations

from pathlib import Path

import pytest
from sec_support import PrRepo, assert_no_defect, check

INIT = {"db/migrations/0001_init.sql": "SET lock_timeout = '2s';\nCREATE TABLE orders "
        "(id bigint PRIMARY KEY, legacy_note text, customer_id bigint, total numeric);\n"}
WAIVED = ("SET lock_timeout = '2s';\n"
          "-- readiness: ignore migrations/drop-column -- legacy_note is unused since 2021, OPS-12\n"
          "ALTER TABLE orders\n  DROP COLUMN {column};\n")
BASE = WAIVED.format(column="legacy_note")
CASES = {
    "the statement's first line kept": (WAIVED.format(column="customer_id"), [("customer_id", False)]),
    "the pair copied over a new statement": (BASE + WAIVED.format(column="total").split("\n", 1)[1],
                                             [("legacy_note", True), ("total", False)]),
    "the reviewed statement moved down": ("\n\n" + BASE, [("legacy_note", True)]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_base_waiver_covers_only_the_statement_it_was_reviewed_over(tmp_path: Path, case: str) -> None:
    pr, expected = CASES[case]
    repo = PrRepo.make(tmp_path / "ws", {**INIT, "db/migrations/0007_cleanup.sql": BASE},
                       {"db/migrations/0007_cleanup.sql": pr})
    done = check(repo.path, "--base", repo.base, "--gates", "migrations", home=tmp_path)
    assert_no_defect(done)
    drops = [(f["message"].split(".", 1)[1].split(" ", 1)[0], f["waived"])
             for f in done.findings("migrations/drop-column")]
    assert drops == expected, done.findings()
    assert done.code == (0 if all(w for _, w in expected) else 1), done.findings()
