"""Second red-team pass: a pull request must not approve its own blocking change with an inline
waiver. The base branch's waivers (a `waivers:` entry, or an inline waiver the base already has over
the same line) still apply; the PR's own inline waivers still apply below the threshold."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sec_support import Done, PrRepo, assert_no_defect, check

WAIVER = "-- readiness: ignore migrations/drop-table -- backup verified in OPS-1\n"
BASE = {"db/migrations/0001_init.sql": "CREATE TABLE users (id int);\nCREATE TABLE legacy (id int);\n"}


def _drop_findings(tmp_path: Path, base: Mapping[str, str | bytes],
                   pr: Mapping[str, str | bytes]) -> tuple[Done, list[dict[str, Any]]]:
    repo = PrRepo.make(tmp_path / "ws", base, pr)
    done = check(repo.path, "--base", repo.base, "--gates", "migrations", home=tmp_path)
    assert_no_defect(done)
    return done, done.findings("migrations/drop-table")


def test_the_prs_own_inline_waiver_does_not_clear_a_blocking_finding(tmp_path: Path) -> None:
    done, drops = _drop_findings(tmp_path, BASE, {"db/migrations/0002_drop.sql": WAIVER + "DROP TABLE users;\n"})
    assert done.code == 1 and len(drops) == 1 and not drops[0]["waived"], drops
    assert "base branch" in drops[0]["message"]


def test_a_waiver_copied_from_the_base_over_a_new_statement_is_the_prs_own(tmp_path: Path) -> None:
    base = {**BASE, "db/migrations/0002_drop.sql": WAIVER + "DROP TABLE legacy;\n"}
    pr = {"db/migrations/0002_drop.sql": WAIVER + "DROP TABLE legacy;\n" + WAIVER + "DROP TABLE users;\n"}
    done, drops = _drop_findings(tmp_path, base, pr)
    assert done.code == 1 and [(d["line"], d["waived"]) for d in drops] == [(2, True), (4, False)], drops


def test_the_bases_inline_waiver_still_applies_in_a_touched_file(tmp_path: Path) -> None:
    base = {**BASE, "db/migrations/0002_drop.sql": "SET lock_timeout = '5s';\n" + WAIVER + "DROP TABLE legacy;\n"}
    pr = {"db/migrations/0002_drop.sql": "SET lock_timeout = '5s';\n\n" + WAIVER + "DROP TABLE legacy;\n"}
    done, drops = _drop_findings(tmp_path, base, pr)
    assert done.code == 0 and [d["waived"] for d in drops] == [True], done.findings()


def test_the_prs_own_inline_waiver_still_applies_below_the_threshold(tmp_path: Path) -> None:
    sql = "-- readiness: ignore migrations/drop-table -- backup verified\nDROP TABLE users;\n"
    repo = PrRepo.make(tmp_path / "ws", BASE, {"db/migrations/0002_drop.sql": sql})
    done = check(repo.path, "--base", repo.base, "--gates", "migrations", "--fail-on", "never", home=tmp_path)
    assert_no_defect(done)
    assert [d["waived"] for d in done.findings("migrations/drop-table")] == [True]
