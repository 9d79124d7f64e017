"""A pull request's invalid `.readiness.yml` must not turn the verdict into a configuration error.

Before: with a base known, the PR's own `.readiness.yml` was still parsed first, so an invalid one
(a YAML syntax error, a wrong value, an unknown key) stopped the run with exit code 2 before the base's
policy was read: no gate's verdict, the DROP TABLE beside it never reported, and a required check that
treats 2 as "tool broken" rather than "blocked". Now the base's policy judges the run as for any
other change to the file, and the invalid version is one blocking `config/policy-relaxed` finding at
the line of its problem. Without a base, or when the base's own version is the invalid one, it is
still exit code 2: that file is the policy.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sec_support import PrRepo, assert_no_defect, check

BASE = {"db/migrations/V1__init.sql": "CREATE TABLE users (id int primary key);\n", ".readiness.yml": "fail_on: high\n"}


@pytest.mark.parametrize("bad", ["fail_on: [\n", "fail_on: bogus\n", "gates: 7\n", "unknown_key: 1\n"])
def test_the_base_policy_judges_and_the_invalid_pr_version_blocks(tmp_path: Path, bad: str) -> None:
    repo = PrRepo.make(tmp_path / "ws", BASE, {".readiness.yml": bad, "db/migrations/V2__d.sql": "DROP TABLE users;\n"})
    done = check(repo.path, "--base", repo.base, "--gates", "migrations", "--replay", "off", home=tmp_path)
    assert_no_defect(done)
    assert done.code == 1, (done.code, done.stderr)
    relaxed = done.findings("config/policy-relaxed")
    assert len(relaxed) == 1 and "invalid" in relaxed[0]["message"] and relaxed[0]["severity"] == "critical"
    assert [f["severity"] for f in done.findings("migrations/drop-table")] == ["critical"]


def test_an_invalid_policy_the_base_has_too_is_still_a_configuration_error(tmp_path: Path) -> None:
    repo = PrRepo.make(tmp_path / "ws", {**BASE, ".readiness.yml": "fail_on: bogus\n"},
                       {"db/migrations/V2__d.sql": "SELECT 1;\n"})
    done = check(repo.path, "--base", repo.base, "--gates", "migrations", "--replay", "off", home=tmp_path)
    assert done.code == 2, (done.code, done.stderr)
    assert "configuration error" in done.stderr and "fail_on" in done.stderr
