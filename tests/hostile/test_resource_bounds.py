"""Issue 11, class 10: bounds a repository's config cannot lift, and an offline database that cannot be
reached through a link out of the repository. (The escaped job summary is in test_config_input.)"""

from __future__ import annotations

import json
from pathlib import Path

from sec_support import PrRepo, assert_no_defect, check

RECORD = {"id": "PYSEC-9999-1", "summary": "outside-canary-advisory", "modified": "2024-01-01T00:00:00Z",
          "affected": [{"package": {"ecosystem": "PyPI", "name": "requests"},
                        "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "9.0"}]}]}]}


def test_max_file_bytes_has_a_ceiling(tmp_path: Path) -> None:
    repo = PrRepo.make(tmp_path / "ws", {"README.md": "# r\n"}, {".readiness.yml": "max_file_bytes: 100000000\n"})
    done = check(repo.path, home=tmp_path)
    assert done.code == 2 and "max_file_bytes" in done.stderr and "at most" in done.stderr, done.stderr


def test_offline_db_through_an_in_repo_link_never_reads_outside(tmp_path: Path) -> None:
    outside = tmp_path / "outside-osv"
    outside.mkdir()
    (outside / "PYSEC-9999-1.json").write_text(json.dumps(RECORD))

    def pr(root: Path) -> None:
        (root / "vendor-osv").symlink_to(outside)
        (root / "requirements.txt").write_text("requests==2.19.0\n")
        (root / ".readiness.yml").write_text("gates:\n  deps:\n    service: offline\n    offline_db: vendor-osv\n")

    repo = PrRepo.make(tmp_path / "ws", {"README.md": "# r\n"}, pr)
    done = check(repo.path, "--gates", "deps", home=tmp_path)
    assert_no_defect(done)
    assert "PYSEC-9999-1" not in done.stdout and "outside-canary" not in done.stdout
    deps = next(g for g in done.report()["gates"] if g["id"] == "deps")
    assert deps["status"] == "error" and "outside the repository" in deps["error"], deps
    assert done.code == 1, "a deps gate that cannot run fails closed"
