"""The checklist gate: the file read with positions, evidence judged against the repository and the
other gates' settled results, item states, and the findings about owners, statuses and evidence."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from readiness.cli import main
from readiness.config import Config, load_config
from readiness.engine import RunOptions, run
from readiness.gates.checklist import document
from readiness.model import FailOn, Report
from readiness.schemas import checklist_schema
from readiness.score.starter import ITEMS, render_starter

RUNBOOK = ("# Runbook\n\n## Symptoms\nOrders fail at checkout.\n\n## Diagnosis\nRun `kubectl logs deploy/orders`.\n\n"
           "## Mitigation\nRoll back with `kubectl rollout undo deploy/orders`.\n")
ADR = ("# 1. Record architecture decisions\n\nDate: 2026-01-01\n\n## Status\n\nAccepted\n\n"
       "## Context\n\nx\n\n## Decision\n\nx\n\n## Consequences\n\nx\n")


def repo(root: Path, checklist: str | None, **files: str) -> Path:
    base = {"README.md": "# x\n", "RUNBOOK.md": RUNBOOK, "docs/adr/0001-record-architecture-decisions.md": ADR}
    base.update(files)
    if checklist is not None:
        base["readiness-checklist.yml"] = textwrap.dedent(checklist)
    for rel, text in base.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def check(root: Path, config: Config | None = None, gates: tuple[str, ...] | None = None) -> Report:
    return run(RunOptions(root=root, config=config or Config(), fail_on=FailOn.CRITICAL, gates=gates))


def findings(report: Report, prefix: str = "checklist/") -> list[tuple[str, int | None, str]]:
    return [(f.rule, f.location.line, f.message) for f in report.findings if f.rule.startswith(prefix)]


def items(report: Report) -> dict[str, dict[str, Any]]:
    gate = next(g for g in report.gates if g.gate == "checklist")
    return {str(i.data["id"]): i.data for i in gate.items}


def item(i: str, pillar: str = "supportability", owner: str = '"@acme/team"', status: str = "todo",
         evidence: str = "") -> str:
    text = f"  - id: {i}\n    title: Item {i}\n    pillar: {pillar}\n    owner: {owner}\n    status: {status}\n"
    return text + (f"    evidence:\n{evidence}" if evidence else "")


def checklist(*entries: str) -> str:
    return "version: 1\nitems:\n" + "".join(entries)


# the file ---------------------------------------------------------------------------------------
def test_no_checklist_skips_the_gate_with_the_way_to_start(tmp_path: Path) -> None:
    report = check(repo(tmp_path, None))
    gate = next(g for g in report.gates if g.gate == "checklist")
    assert gate.status.value == "skipped" and "readiness init" in (gate.error or "")


def test_required_or_configured_checklist_that_is_missing_is_a_finding(tmp_path: Path) -> None:
    repo(tmp_path, None)
    (tmp_path / ".readiness.yml").write_text("gates:\n  checklist:\n    require: true\n")
    report = check(tmp_path, load_config(tmp_path / ".readiness.yml", display=".readiness.yml"))
    assert [f[0] for f in findings(report)] == ["checklist/missing-checklist"]
    (tmp_path / ".readiness.yml").write_text("gates:\n  checklist:\n    file: ops/ready.yml\n")
    report = check(tmp_path, load_config(tmp_path / ".readiness.yml", display=".readiness.yml"))
    assert [(f.rule, f.location.path) for f in report.findings] == [("checklist/missing-checklist", "ops/ready.yml")]


def test_configured_file_outside_the_repository_is_a_configuration_error(tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    repo(tmp_path, checklist(item("a")))
    (tmp_path / ".readiness.yml").write_text("gates:\n  checklist:\n    file: ../elsewhere.yml\n")
    assert main(["check", str(tmp_path)]) == 2
    assert "gates.checklist.file" in capsys.readouterr().err


@pytest.mark.parametrize(("text", "line", "words"), [
    ("version: 1\nitems: [\n", 3, "not valid YAML"),
    ("version: 2\nitems: []\n", 1, "1 was expected"),
    (checklist(item("a"), "  - id: b\n    title: B\n    pillar: scalability\n"), 10, "item 'b' pillar"),
    (checklist(item("a", evidence="      - path: x\n        rule: docs/broken-link\n")), 9, "exactly one of path"),
    (checklist(item("a"), item("a")), 8, "used twice (first at line 3)"),
    (checklist(item("a", evidence="      - rule: docs/no-such-rule\n")), 9, "does not exist"),
    (checklist(item("a", evidence="      - path: ../../etc/passwd\n")), 9, "outside the repository"),
    (checklist(item("a", status="not-applicable")), 3, "'reason' is a required property"),
    (checklist(item("a") + "    colour: blue\n"), 8, "unknown key 'colour'"),
    ("version: 1\nitems:\n  - id: a\n    id: b\n    title: T\n    pillar: security\n", 4, "written twice"),
    # a size limit is said in words, not by quoting the 501 items back (jsonschema's own message)
    (checklist(*(item(f"i{n}") for n in range(501))), 2, "Checklist must have at most 500 item(s)."),
])
def test_invalid_checklist_is_a_finding_at_its_line(tmp_path: Path, text: str, line: int, words: str) -> None:
    report = check(repo(tmp_path, text), gates=("checklist",))
    invalid = [f for f in findings(report) if f[0] == "checklist/invalid-checklist"]
    assert invalid, findings(report)
    assert any(f[1] == line and words in f[2] for f in invalid), invalid


def test_an_invalid_item_is_left_out_and_the_others_are_judged(tmp_path: Path) -> None:
    text = checklist(item("good", owner='""'), "  - id: Bad_Id\n    title: B\n    pillar: security\n")
    report = check(repo(tmp_path, text), gates=("checklist",))
    assert set(items(report)) == {"good"}
    assert {f[0] for f in findings(report)} == {"checklist/invalid-checklist", "checklist/missing-owner"}


# owners and statuses ----------------------------------------------------------------------------
def test_missing_owner_and_status_point_at_their_lines(tmp_path: Path) -> None:
    text = checklist(item("a", owner='""'), "  - id: b\n    title: B\n    pillar: security\n    owner: x\n")
    report = check(repo(tmp_path, text), gates=("checklist",))
    assert sorted(findings(report)) == [
        ("checklist/missing-owner", 6, "Item 'a' (supportability) has no owner."),
        ("checklist/missing-status", 8, "Item 'b' (security) has no status."),
    ]
    assert report.verdict == "pass", "owners and statuses are medium: they do not block at the default threshold"


def test_inline_waiver_in_the_checklist_applies(tmp_path: Path) -> None:
    text = ("version: 1\nitems:\n  - id: a\n    title: A\n    pillar: security\n"
            "    # readiness: ignore checklist/missing-owner -- owner picked at the launch review, OPS-1\n"
            "    owner: ''\n    status: todo\n")
    report = check(repo(tmp_path, text), gates=("checklist",))
    (f,) = [f for f in report.findings if f.rule == "checklist/missing-owner"]
    assert f.waived and f.waiver is not None and f.waiver.source == "inline"


# evidence ---------------------------------------------------------------------------------------
def test_path_evidence_file_directory_glob_and_missing(tmp_path: Path) -> None:
    ev = ("      - path: RUNBOOK.md\n      - path: docs/adr/\n      - path: 'docs/**/*.md'\n"
          "      - path: docs/runbooks/\n")
    report = check(repo(tmp_path, checklist(item("a", evidence=ev))), gates=("checklist",))
    data = items(report)["a"]
    assert data["evidence_state"] == ["holds", "holds", "holds", "fails"]
    assert data["state"] == "open"
    assert findings(report) == [("checklist/missing-evidence", 12,
                                 "Evidence path docs/runbooks/ of item 'a' does not exist.")]


def test_path_evidence_through_a_symlink_out_of_the_repository_fails(tmp_path: Path) -> None:
    (tmp_path / "outside.md").write_text("secret\n")
    root = repo(tmp_path / "repo", checklist(item("a", status="done", evidence="      - path: RUNBOOK.md\n")))
    (root / "RUNBOOK.md").unlink()
    (root / "RUNBOOK.md").symlink_to(tmp_path / "outside.md")
    report = check(root, gates=("checklist",))
    assert items(report)["a"]["state"] == "contradicted"
    (f,) = [f for f in findings(report) if f[0] == "checklist/done-with-failing-evidence"]
    assert "outside" in f[2] or "leaves" in f[2] or "symlink" in f[2]


def test_done_item_with_failing_path_is_contradicted_and_high(tmp_path: Path) -> None:
    text = checklist(item("runbook", status="done", evidence="      - path: docs/runbooks/payments.md\n"))
    report = check(repo(tmp_path, text), gates=("checklist",))
    assert items(report)["runbook"]["state"] == "contradicted"
    (f,) = [f for f in report.findings if f.rule.startswith("checklist/")]
    assert f.rule == "checklist/done-with-failing-evidence" and f.severity.value == "high"
    assert check(tmp_path, gates=("checklist",)).verdict == "pass"
    assert run(RunOptions(root=tmp_path, config=Config(), fail_on=FailOn.HIGH)).verdict == "fail"


ALERTS = "groups:\n  - name: g\n    rules:\n      - alert: Down\n        expr: up == 0\n"


def test_rule_and_gate_evidence_read_the_settled_results(tmp_path: Path) -> None:
    ev = "      - rule: docs/alert-without-runbook\n      - gate: docs\n      - gate: docs\n        fail_on: critical\n"
    repo(tmp_path, checklist(item("alerts", pillar="observability", status="done", evidence=ev)),
         **{"monitoring/alerts.yml": ALERTS})
    report = check(tmp_path)
    data = items(report)["alerts"]
    assert data["evidence_state"] == ["fails", "fails", "holds"]
    assert data["state"] == "contradicted"
    assert "docs/alert-without-runbook in monitoring/alerts.yml" in data["evidence_detail"][0]
    # a waived finding does not fail evidence
    (tmp_path / ".readiness.yml").write_text(
        "waivers:\n  - {rule: docs/alert-without-runbook, reason: 'paged from the SRE repo, OPS-7'}\n")
    report = check(tmp_path, load_config(tmp_path / ".readiness.yml", display=".readiness.yml"))
    assert items(report)["alerts"]["evidence_state"] == ["holds", "holds", "holds"]
    assert items(report)["alerts"]["state"] == "proven"


def test_evidence_of_a_gate_that_did_not_run_is_not_run_never_holds(tmp_path: Path) -> None:
    ev = "      - rule: migrations/rename-column\n      - gate: deps\n      - rule: docs/broken-link\n"
    report = check(repo(tmp_path, checklist(item("a", status="done", evidence=ev))), gates=("checklist", "docs"))
    data = items(report)["a"]
    assert data["evidence_state"] == ["not-run", "not-run", "holds"]
    assert data["state"] == "unverified"
    assert "not selected" in data["evidence_detail"][0]


def test_links_claim_and_not_applicable_needs_nothing_more(tmp_path: Path) -> None:
    text = checklist(item("a", status="done", evidence="      - link: https://wiki.example.com/drill\n"),
                     item("b", status="not-applicable") + "    reason: stateless service\n",
                     item("c", status="done"))
    report = check(repo(tmp_path, text), gates=("checklist",))
    assert {k: v["state"] for k, v in items(report).items()} == {"a": "claimed", "b": "not-applicable",
                                                                 "c": "claimed"}
    assert findings(report) == []


def test_items_carry_what_the_scorecard_and_dashboards_read(tmp_path: Path) -> None:
    report = check(repo(tmp_path, checklist(item("a", evidence="      - path: README.md\n"))), gates=("checklist",))
    assert items(report)["a"] == {
        "path": "readiness-checklist.yml", "line": 3, "id": "a", "title": "Item a", "pillar": "supportability",
        "owner": "@acme/team", "status": "todo", "state": "open", "evidence": ["path README.md"],
        "evidence_state": ["holds"], "evidence_detail": ["exists"]}


# the starter checklist --------------------------------------------------------------------------
def test_starter_checklist_is_valid_and_covers_every_pillar(tmp_path: Path) -> None:
    text = render_starter({"{runbook}": "RUNBOOK.md", "{alert_rules}": "monitoring/alerts.yml"}, owner="@acme/x")
    jsonschema.Draft202012Validator(checklist_schema()).validate(yaml.safe_load(text))
    parsed, problems = document.parse("readiness-checklist.yml", text)
    assert problems == [] and parsed is not None
    assert len(parsed.items) == len(ITEMS) and {i.pillar.value for i in parsed.items} == {
        "reliability", "security", "observability", "supportability"}
    wired = {i.id for i in parsed.items if any(e.kind.value in ("gate", "rule", "path") for e in i.evidence)}
    honest = {i.id for i in parsed.items} - wired
    assert {"migration-strategy", "no-known-vulnerabilities", "alerts-have-runbooks", "runbook"} <= wired
    assert {"rate-limiting", "backup-restore-verified", "input-validation", "structured-logging"} <= honest
    assert all(i.owner == "@acme/x" and i.status is not None for i in parsed.items)


def test_checklist_schema_is_a_valid_schema_and_documents_every_field() -> None:
    schema = checklist_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    props = schema["$defs"]["item"]["properties"]
    assert {"id", "title", "pillar", "owner", "status", "reason", "note", "evidence"} <= set(props)
    assert json.loads(json.dumps(schema)) == schema


def test_starter_rules_never_hold_vacuously(tmp_path: Path) -> None:
    """Without alert rules or an env schema, the items that name rules about them cannot be proven:
    their path evidence points where they would be, and fails."""
    text = render_starter({}).replace("status: todo", "status: done")
    report = check(repo(tmp_path, text))
    states = {k: v["state"] for k, v in items(report).items()}
    assert states["alerts-have-runbooks"] == "contradicted" and states["env-documented"] == "contradicted"
    assert states["readme"] == "proven" and states["rate-limiting"] == "claimed"
