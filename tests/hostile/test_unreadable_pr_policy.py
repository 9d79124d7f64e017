"""Sixth review, R6b-19: a PR whose `.readiness.yml` (or baseline) the workspace refuses to read (a link
out of the repository or into `.git/`, a directory, over the size limit) turned the run into a
configuration error (exit 2) that hid every gate's verdict, while an invalid one already got the base's
policy and a blocking finding. An unreadable version is now the PR's own change to review, like an
invalid one, and the base's policy (and baseline) judges the run."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from sec_support import PrRepo, assert_no_defect, check

BASE: dict[str, str | bytes] = {"db/migrations/V1__init.sql": "CREATE TABLE users (id int PRIMARY KEY);\n",
                                ".readiness.yml": "version: 1\n"}
DROP = "DROP TABLE users;\n"


def _link_out(root: Path) -> None:
    (root / ".readiness.yml").unlink()
    os.symlink("/etc/passwd", root / ".readiness.yml")


def _directory(root: Path) -> None:
    (root / ".readiness.yml").unlink()
    (root / ".readiness.yml").mkdir()
    (root / ".readiness.yml" / "x").write_text("fail_on: never\n", encoding="utf-8")


def _huge(root: Path) -> None:
    (root / ".readiness.yml").write_text("fail_on: never\n" + "# pad\n" * 400_000, encoding="utf-8")


CASES: dict[str, Callable[[Path], None]] = {"a link out": _link_out, "a directory": _directory, "over the limit": _huge}


@pytest.mark.parametrize("case", sorted(CASES))
def test_an_unreadable_pr_policy_is_a_finding_not_an_error(tmp_path: Path, case: str) -> None:
    def pr(root: Path) -> None:
        (root / "db/migrations/V2__drop.sql").write_text(DROP, encoding="utf-8")
        CASES[case](root)

    repo = PrRepo.make(tmp_path / "ws", BASE, pr)
    done = check(repo.path, "--base", repo.base, "--gates", "migrations", "--replay", "off", home=tmp_path)
    assert_no_defect(done)
    assert done.code == 1, (done.code, done.stderr[-500:])
    assert done.findings("migrations/drop-table") and done.findings("config/policy-relaxed"), done.findings()
    assert "root:" not in done.stdout  # nothing of /etc/passwd


def test_an_unreadable_pr_baseline_adds_nothing(tmp_path: Path) -> None:
    def pr(root: Path) -> None:
        (root / "db/migrations/V2__drop.sql").write_text(DROP, encoding="utf-8")
        os.symlink("/etc/passwd", root / ".readiness-baseline.json")

    repo = PrRepo.make(tmp_path / "ws", BASE, pr)
    done = check(repo.path, "--base", repo.base, "--gates", "migrations", "--replay", "off", home=tmp_path)
    assert_no_defect(done)
    assert done.code == 1 and done.findings("migrations/drop-table"), (done.code, done.stderr[-500:])
