"""`readiness init` (the starter checklist, never overwriting without --force) and `readiness score`
(formats, badge, --fail-under), end to end through the CLI."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
from score_repos import complete_repo, offline_db

from readiness.cli import main
from readiness.schemas import report_schema
from readiness.score.starter import ITEMS

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo"


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_init_writes_checklist_and_config_then_the_gate_asks_for_owners(tmp_path: Path,
                                                                         capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "README.md").write_text("# x\n")
    code, out, _ = cli(capsys, "init", str(tmp_path))
    assert code == 0 and "wrote readiness-checklist.yml" in out and "wrote .readiness.yml" in out
    assert "README.md" in out, "evidence is pointed at what exists"
    code, out, _ = cli(capsys, "check", str(tmp_path), "--gates", "docs,checklist", "--format", "json")
    doc = json.loads(out)
    owners = [f for f in doc["findings"] if f["rule"] == "checklist/missing-owner"]
    assert code == 0 and len(owners) == len(ITEMS), "every starter item needs an owner; medium does not block"
    assert doc["score"]["pillars"][0]["score"] == 1


def test_init_never_overwrites_without_force(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(capsys, "init", str(tmp_path), "--owner", "@acme/a")[0] == 0
    target = tmp_path / "readiness-checklist.yml"
    target.write_text("version: 1\nitems: []\n")
    config_before = (tmp_path / ".readiness.yml").read_text()
    code, _, err = cli(capsys, "init", str(tmp_path))
    assert code == 2 and "--force" in err and target.read_text() == "version: 1\nitems: []\n"
    code, out, _ = cli(capsys, "init", str(tmp_path), "--force", "--owner", "@acme/b")
    assert code == 0 and '"@acme/b"' in target.read_text() and ".readiness.yml exists and was kept" in out
    assert (tmp_path / ".readiness.yml").read_text() == config_before


def test_init_refuses_symlinks_and_paths_outside(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "outside.yml").write_text("keep\n")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "readiness-checklist.yml").symlink_to(tmp_path / "outside.yml")
    code, _, err = cli(capsys, "init", str(repo), "--force")
    assert code == 2 and "symlink" in err and (tmp_path / "outside.yml").read_text() == "keep\n"
    assert cli(capsys, "init", str(repo), "--file", "../x.yml")[0] == 2
    assert cli(capsys, "init", str(repo), "--file", "/etc/x.yml")[0] == 2
    assert cli(capsys, "init", str(tmp_path / "nope"))[0] == 2


def test_init_on_the_demo_points_evidence_at_its_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = tmp_path / "demo"
    shutil.copytree(DEMO, repo)
    (repo / "readiness-checklist.yml").unlink()
    code, _, _ = cli(capsys, "init", str(repo), "--owner", "@acme/orders")
    text = (repo / "readiness-checklist.yml").read_text()
    assert code == 0
    for path in ("RUNBOOK.md", "docs/adr/", "monitoring/alerts.yml", "schemas/env.schema.json", "README.md"):
        assert f'path: "{path}"' in text, path
    code, out, _ = cli(capsys, "score", str(repo))
    assert code == 0 and "to reach 2: finish an item and mark it done: the evidence of" in out


def test_score_formats_badges_and_fail_under(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = complete_repo(tmp_path / "repo")
    osv = offline_db(tmp_path / "osv")
    code, out, _ = cli(capsys, "score", str(root), "--offline-db", str(osv), "--format", "json",
                       "--badge", str(tmp_path / "badge.json"))
    doc = json.loads(out)
    jsonschema.Draft202012Validator(report_schema()).validate(doc)
    assert code == 0 and doc["score"]["overall"] == 5
    badge = json.loads((tmp_path / "badge.json").read_text())
    assert badge == {"schemaVersion": 1, "label": "readiness", "message": "5/5", "color": "brightgreen"}
    (root / "RUNBOOK.md").unlink()
    code, out, _ = cli(capsys, "score", str(root), "--offline-db", str(osv), "--format", "markdown",
                       "--badge", str(tmp_path / "badge.svg"), "--badge-pillar", "supportability",
                       "--fail-under", "3")
    assert code == 1, "supportability fell below 3"
    assert out.startswith("### Readiness scorecard") and "| Supportability |" in out
    svg = ET.fromstring((tmp_path / "badge.svg").read_text())
    assert svg.tag.endswith("svg") and "supportability: 2/5" in (svg.get("aria-label") or "")
    assert cli(capsys, "score", str(root), "--fail-under", "9")[0] == 2


def test_score_of_the_demo_matches_the_readme(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "score", str(DEMO))
    assert code == 0
    readme = (DEMO.parents[1] / "README.md").read_text(encoding="utf-8")
    for line in out.splitlines():
        if line.startswith(("reliability ", "security ", "observability ", "supportability ")):
            assert line in readme, f"README's demo scorecard is stale: {line!r}"
