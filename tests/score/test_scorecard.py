"""The scorecard from evidence: a complete checklist with passing evidence scores high, and breaking
one thing lowers the right pillar and says why (issue 18's "Done means")."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
from score_repos import CHECKLIST_ITEMS, complete_repo, done, offline_db

from readiness.cli import main
from readiness.config import Config
from readiness.engine import RunOptions, run
from readiness.model import FailOn, Report
from readiness.render.json_report import render_json
from readiness.render.markdown import render_comment, render_minimal, render_summary
from readiness.render.text import render_text
from readiness.schemas import report_schema
from readiness.score.model import PillarScore, Scorecard
from readiness.score.rubric import CRITERIA, LEVELS, RUBRIC_VERSION, pillar_of, score

REPO = Path(__file__).resolve().parents[2]


def scorecard(root: Path, osv: Path) -> tuple[Report, Scorecard]:
    report = run(RunOptions(root=root, config=Config(), fail_on=FailOn.CRITICAL, offline_db=osv))
    card = score(report)
    assert card is not None
    return report, card


def pillars(card: Scorecard) -> dict[str, int]:
    return {p.pillar.value: p.score for p in card.pillars}


def pillar(card: Scorecard, name: str) -> PillarScore:
    return next(p for p in card.pillars if p.pillar.value == name)


def why(p: PillarScore) -> str:
    return "\n".join(r.text for r in p.reasons) + "\n" + "\n".join(p.next)


@pytest.fixture
def osv(tmp_path: Path) -> Path:
    return offline_db(tmp_path / "osv")


def test_complete_checklist_with_passing_evidence_scores_high(tmp_path: Path, osv: Path) -> None:
    report, card = scorecard(complete_repo(tmp_path / "repo"), osv)
    assert report.findings == ()
    assert pillars(card) == {"reliability": 5, "security": 5, "observability": 5, "supportability": 5}
    assert card.overall == 5.0 and all(p.next == () for p in card.pillars)
    assert all(p.items.proven == p.items.done == p.items.total for p in card.pillars)


def test_removing_the_runbook_lowers_supportability_and_says_why(tmp_path: Path, osv: Path) -> None:
    root = complete_repo(tmp_path / "repo")
    (root / "RUNBOOK.md").unlink()
    report, card = scorecard(root, osv)
    got = pillars(card)
    assert got["supportability"] <= 3
    assert {k: v for k, v in got.items() if k != "supportability"} == {
        "reliability": 5, "security": 5, "observability": 5}
    text = why(pillar(card, "supportability"))
    assert "`runbook`" in text and "RUNBOOK.md: does not exist" in text
    assert "checklist/done-with-failing-evidence" in {f.rule for f in report.findings}


def test_breaking_a_migration_lowers_reliability_and_says_why(tmp_path: Path, osv: Path) -> None:
    root = complete_repo(tmp_path / "repo")
    (root / "db/migrations/V2__rename_note.sql").write_text("ALTER TABLE orders RENAME COLUMN note TO notes;\n")
    (root / "db/migrations/U2__rename_note.sql").write_text("ALTER TABLE orders RENAME COLUMN notes TO note;\n")
    _, card = scorecard(root, osv)
    got = pillars(card)
    assert got["reliability"] <= 3
    assert {k: v for k, v in got.items() if k != "reliability"} == {
        "security": 5, "observability": 5, "supportability": 5}
    rel = pillar(card, "reliability")
    text = why(rel)
    assert "migrations/rename-column" in text and "V2__rename_note.sql" in text
    assert "`migration-strategy`" in text, "the item whose evidence now fails is named"
    assert rel.next and any("rename-column" in n for n in rel.next)


def test_leaving_an_owner_empty_lowers_that_items_pillar_and_says_why(tmp_path: Path, osv: Path) -> None:
    items = [done("no-committed-secrets", "security", "rule: config/plaintext-secret", owner="")
             if i.startswith("  - id: no-committed-secrets") else i for i in CHECKLIST_ITEMS]
    report, card = scorecard(complete_repo(tmp_path / "repo", items), osv)
    got = pillars(card)
    assert got["security"] == 2
    assert {k: v for k, v in got.items() if k != "security"} == {
        "reliability": 5, "observability": 5, "supportability": 5}
    sec = pillar(card, "security")
    assert "with no owner: `no-committed-secrets`" in why(sec)
    assert any("give an owner" in n and "no-committed-secrets" in n for n in sec.next)
    assert [f.rule for f in report.findings] == ["checklist/missing-owner"]


def test_a_secret_caps_security_only(tmp_path: Path, osv: Path) -> None:
    root = complete_repo(tmp_path / "repo")
    (root / "config/app.yaml").write_text(
        "port: 8080\naws_secret_access_key: wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY\n")
    _, card = scorecard(root, osv)
    got = pillars(card)
    assert got["security"] <= 3 and got["reliability"] == 5
    assert "config/plaintext-secret" in why(pillar(card, "security"))


def test_a_waived_finding_does_not_lower_the_score(tmp_path: Path, osv: Path) -> None:
    root = complete_repo(tmp_path / "repo")
    (root / "db/migrations/V2__rename_note.sql").write_text(
        "SET lock_timeout = '5s';\n"
        "-- readiness: ignore migrations/rename-column -- no reader of note is deployed, OPS-9\n"
        "ALTER TABLE orders RENAME COLUMN note TO notes;\n")
    (root / "db/migrations/U2__rename_note.sql").write_text("ALTER TABLE orders RENAME COLUMN notes TO note;\n")
    _, card = scorecard(root, osv)
    assert pillars(card)["reliability"] == 5


def test_no_checklist_no_score_section_but_readiness_score_explains(tmp_path: Path, osv: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    root = complete_repo(tmp_path / "repo")
    (root / "readiness-checklist.yml").unlink()
    report = run(RunOptions(root=root, config=Config(), fail_on=FailOn.CRITICAL, offline_db=osv))
    assert score(report) is None and "score" not in json.loads(render_json(report))
    assert main(["score", str(root), "--offline-db", str(osv)]) == 0
    out = capsys.readouterr().out
    assert "checklist: none (`readiness init` writes a starter)" in out
    assert "add checklist items for reliability" in out


def test_score_section_in_json_comment_summary_and_text(tmp_path: Path, osv: Path) -> None:
    root = complete_repo(tmp_path / "repo")
    (root / "RUNBOOK.md").unlink()
    report, card = scorecard(root, osv)
    doc = json.loads(render_json(report))
    jsonschema.Draft202012Validator(report_schema(), format_checker=jsonschema.FormatChecker()).validate(doc)
    section = doc["score"]
    assert section["rubric"]["version"] == RUBRIC_VERSION and section["rubric"]["doc"] == "docs/scorecard.md"
    assert [lv["name"] for lv in section["rubric"]["levels"]] == [LEVELS[n] for n in range(1, 6)]
    sup = next(p for p in section["pillars"] if p["pillar"] == "supportability")
    assert sup["score"] == pillar(card, "supportability").score and sup["reasons"] and sup["next"]
    comment = render_comment(report)
    assert "### Readiness scorecard" in comment and "| Supportability |" in comment and "To reach" in comment
    assert "**Scorecard:**" in render_minimal(report)
    assert "### Readiness scorecard" in render_summary(report)
    assert "scorecard: reliability 5/5" in render_text(report)


def test_the_rubric_page_states_the_same_criteria() -> None:
    page = (REPO / "docs" / "scorecard.md").read_text(encoding="utf-8")
    assert f"Rubric version {RUBRIC_VERSION}" in page
    for level, name in LEVELS.items():
        assert re.search(rf"\| {level} \| {name} \|", page), f"level {level} ({name}) missing from the table"
        for criterion in CRITERIA[level]:
            assert criterion in page, f"criterion {criterion!r} of level {level} is not on docs/scorecard.md"


@pytest.mark.parametrize(("rule", "expected"), [
    ("migrations/rename-column", "reliability"), ("deps/known-vulnerability", "security"),
    ("config/plaintext-secret", "security"), ("config/schema-violation", "reliability"),
    ("docs/alert-without-runbook", "observability"), ("docs/invalid-alert-rules", "observability"),
    ("docs/missing-document", "supportability"), ("docs/unused-waiver", None), ("deps/unreadable-file", None),
    ("checklist/missing-owner", None),
])
def test_rules_feed_the_pillar_the_rubric_says(rule: str, expected: str | None) -> None:
    got = pillar_of(rule)
    assert (got.value if got else None) == expected
