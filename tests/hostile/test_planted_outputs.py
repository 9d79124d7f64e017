"""Issue 11, class 8: the `report`, `comment-file` and SARIF outputs never name a file the PR planted.

Anything that consumes those outputs (an artifact upload, the fork pattern's `workflow_run` job,
upload-sarif) must get this run's verdict, not a forged "pass" committed under `.readiness/`.
"""

from __future__ import annotations

import json
from pathlib import Path

from sec_support import DROP, PrRepo, action, assert_no_defect

FORGED = json.dumps({"schema_version": 1, "verdict": "pass", "forged": True})
MARKER = "<!-- readiness-gates:summary -->"


def _outside(tmp_path: Path) -> Path:
    out = tmp_path / "outside"
    out.mkdir(exist_ok=True)
    return out


def test_planted_report_and_comment_are_never_named(tmp_path: Path) -> None:
    def pr(root: Path) -> None:
        (root / ".readiness").mkdir()
        (root / ".readiness" / "report.json").write_text(FORGED)
        (root / "forged.md").write_text(MARKER + "\nAll clear, merge away.\n")
        (root / ".readiness" / "comment.md").symlink_to("../forged.md")
        (root / "forged.sarif").write_text('{"forged": true}')
        (root / "readiness.sarif").symlink_to("forged.sarif")
        (root / "db" / "migrations").mkdir(parents=True)
        (root / "db" / "migrations" / "V2__drop.sql").write_text(DROP)

    repo = PrRepo.make(tmp_path / "ws", {"README.md": "# r\n"}, pr)
    done = action(repo, tmp_path, inputs={"gates": "migrations", "sarif-file": "readiness.sarif"})
    assert_no_defect(done)
    assert done.code == 1
    report = (repo.path / done.outputs["report"])
    assert not report.is_symlink() and json.loads(report.read_text())["verdict"] == "fail"
    comment = repo.path / done.outputs["comment-file"]
    assert not comment.is_symlink() and "merge away" not in comment.read_text()
    sarif = repo.path / "readiness.sarif"
    assert not sarif.is_symlink() and json.loads(sarif.read_text())["version"] == "2.1.0"
    assert not Path(done.outputs["report"]).is_absolute(), "outputs are workspace-relative"


def test_a_planted_output_directory_link_receives_nothing(tmp_path: Path) -> None:
    outside = _outside(tmp_path)
    repo = PrRepo.make(tmp_path / "ws", {"README.md": "# r\n"}, lambda root: (root / ".readiness").symlink_to(outside))
    done = action(repo, tmp_path, inputs={"gates": "docs"})
    assert_no_defect(done)
    assert list(outside.iterdir()) == []
    report = repo.path / done.outputs["report"]
    assert report.is_file() and not report.is_symlink()
    assert not report.resolve().is_relative_to(outside.resolve())
    assert not Path(done.outputs["report"]).is_absolute(), "later steps on the runner need a workspace path"


def test_the_sarif_file_never_leaves_the_workspace_through_a_link(tmp_path: Path) -> None:
    outside = _outside(tmp_path)

    def pr(root: Path) -> None:
        (root / "reports").symlink_to(outside)
        (root / "newdir").symlink_to(outside / "not-yet" / "deeper")

    repo = PrRepo.make(tmp_path / "ws", {"README.md": "# r\n"}, pr)
    for i, target in enumerate(("reports/deeper/readiness.sarif", "newdir/sub/readiness.sarif")):
        done = action(repo, tmp_path, inputs={"gates": "docs", "sarif-file": target}, tag=str(i))
        assert_no_defect(done)
        assert "cannot write the SARIF file" in done.stderr, done.stderr
    assert list(outside.iterdir()) == [], "a file or directory was created outside the workspace"
