"""Small cases of the docs gate: slugs, status reading, unreadable files, configuration keys,
change-triggered docs."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

import pytest

import factories
from readiness.gates.docs import GATE
from readiness.gates.docs.adr import classify_status
from readiness.gates.docs.markdown import github_slug, parse
from readiness.model import Finding, Severity
from readiness.workspace.changes import ChangeSet, git_changes

CLEAN = {
    "README.md": "# x\n",
    "RUNBOOK.md": "# R\n\n## Symptoms\nslow\n\n## Diagnosis\nlogs\n\n## Rollback\nhelm rollback\n",
    "docs/adr/0001-a.md": "# 1. A\n\nDate: 2026-01-01\n\n## Status\n\nAccepted\n\n## Context\n\nc\n\n"
                          "## Decision\n\nd\n\n## Consequences\n\ne\n",
}


def make(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    return root


def findings(root: Path, settings: Mapping[str, object] | None = None,
             changes: ChangeSet | None = None) -> list[Finding]:
    return GATE.run(factories.gate_context(root, "docs", settings, changes=changes)).findings


def rules(found: list[Finding]) -> set[tuple[str, str, int | None]]:
    return {(f.rule, f.location.path, f.location.line) for f in found}


@pytest.mark.parametrize(("heading", "slug"), [
    ("API latency: p99 > 1s", "api-latency-p99--1s"),
    ("KubeAPIDown", "kubeapidown"),
    ("✅ Accepted", "-accepted"),
    ("snake_case and dashes-kept", "snake_case-and-dashes-kept"),
    ("Ünïcode Wörds", "ünïcode-wörds"),
])
def test_github_slug(heading: str, slug: str) -> None:
    assert github_slug(heading) == slug


def test_repeated_headings_get_numbered_anchors_and_code_is_not_a_heading() -> None:
    doc = parse("# T\n\n## Step\n\n## Step\n\n```\n## Not a heading\n```\n<a name=\"custom\"></a>\n")
    assert {"t", "step", "step-1", "custom"} == set(doc.anchors)
    assert [h.text for h in doc.headings] == ["T", "Step", "Step"]


@pytest.mark.parametrize(("raw", "status"), [
    ("Accepted", "accepted"),
    ("✅ Accepted", "accepted"),
    ("[Approved](https://github.com/org/repo/pull/1)", "accepted"),
    ("⌛️ Superseded by [36](036-x.md)", "superseded"),
    ("Superceded by [3. Use X](0003-use-x.md)", "superseded"),
    ("**Proposed**", "proposed"),
    ("On hold", "proposed"),
    ("draft", "proposed"),
    ("Declined", "rejected"),
    ("Deprecated", "deprecated"),
    ("Reverted by [discussion #1198]", None),
    ("🤔 Incomplete", None),
])
def test_classify_status(raw: str, status: str | None) -> None:
    assert classify_status(raw) == status


def test_clean_repository_has_no_findings(tmp_path: Path) -> None:
    assert findings(make(tmp_path, CLEAN)) == []


def test_missing_documents_default_and_configured(tmp_path: Path) -> None:
    make(tmp_path, {"src/app.py": "x\n"})
    assert rules(findings(tmp_path)) == {
        ("docs/missing-document", "README.md", None),
        ("docs/missing-document", "RUNBOOK.md", None),
        ("docs/missing-document", "docs/adr/", None),
    }
    assert rules(findings(tmp_path, {"require": ["SECURITY.md", "src/"]})) == {
        ("docs/missing-document", "SECURITY.md", None),
    }


def test_adr_dir_setting_and_status_line_forms(tmp_path: Path) -> None:
    make(tmp_path, {**CLEAN, "architecture/0001-x.md":
                    "# X\n\n* Status: Accepted\n* Date: 2020-01-01\n\n## Background\n\nb\n\n"
                    "## Proposal\n\np\n\n## Implications\n\ni\n",
                    "architecture/0002-y.md": "# Y\n\n| Status | Accepted |\n|---|---|\n| Date | 2021-05-06 |\n\n"
                    "## Problem\n\np\n\n## Decision\n\nd\n\n## Trade-offs\n\nt\n"})
    assert findings(tmp_path, {"adr_dir": "architecture"}) == []


def test_configured_sections_with_alternatives(tmp_path: Path) -> None:
    make(tmp_path, CLEAN)
    found = rules(findings(tmp_path, {"runbook_sections": ["Symptoms", "Escalation|Contacts"],
                                      "adr_sections": ["Context", "Decision", "Alternatives"]}))
    assert found == {("docs/runbook-missing-section", "RUNBOOK.md", 1),
                     ("docs/adr-missing-section", "docs/adr/0001-a.md", 1)}


def test_symlink_out_of_the_repository_is_unreadable(tmp_path: Path) -> None:
    outside = tmp_path / "outside.md"
    outside.write_text("# secret\n", encoding="utf-8")
    root = make(tmp_path / "repo", CLEAN)
    os.symlink(outside, root / "docs/adr/0002-link.md")
    found = findings(root)
    assert rules(found) == {("docs/unreadable-file", "docs/adr/0002-link.md", None)}
    assert "outside the repository" in found[0].message


def test_configured_alert_rules_that_do_not_parse(tmp_path: Path) -> None:
    make(tmp_path, {**CLEAN, "rules/a.yml": "groups:\n  - name: x\n    rules: [\n",
                    "rules/b.yml": "scrape_configs: []\n"})
    found = rules(findings(tmp_path, {"alert_rules": ["rules/*.yml"]}))
    assert {r for r, _p, _l in found} == {"docs/invalid-alert-rules"}
    assert {p for _r, p, _l in found} == {"rules/a.yml", "rules/b.yml"}


def test_templated_runbook_url_is_unverified(tmp_path: Path) -> None:
    make(tmp_path, {**CLEAN, "alerts/x.yaml":
                    "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n    annotations:\n"
                    "      runbook_url: '{{ $externalURL }}/runbooks/a'\n"})
    assert rules(findings(tmp_path)) == {("docs/alert-runbook-unverified", "alerts/x.yaml", 7)}


def _changes(*files: str) -> ChangeSet:
    return ChangeSet(base="main", files=frozenset(files), deleted=frozenset(), source="git")


WHEN = {"when_changed": [{"paths": ["db/migrations/**"], "require_touch": ["docs/runbooks/**", "RUNBOOK.md"],
                          "reason": "migrations need a rollback note"},
                         {"paths": "**/Dockerfile", "require_touch": "docs/adr/**", "severity": "high"}]}


def test_when_changed(tmp_path: Path) -> None:
    make(tmp_path, CLEAN)
    found = findings(tmp_path, WHEN, _changes("db/migrations/0002_add.sql", "db/migrations/0003_b.sql",
                                              "svc/Dockerfile"))
    assert rules(found) == {("docs/change-without-docs", "db/migrations/0002_add.sql", None),
                            ("docs/change-without-docs", "svc/Dockerfile", None)}
    by_path = {f.location.path: f for f in found}
    assert "and 1 more" in by_path["db/migrations/0002_add.sql"].message
    assert "rollback note" in by_path["db/migrations/0002_add.sql"].message
    assert by_path["svc/Dockerfile"].severity is Severity.HIGH
    assert findings(tmp_path, WHEN, _changes("db/migrations/0002_add.sql", "RUNBOOK.md")) == []
    assert findings(tmp_path, WHEN, None) == []  # a full scan has no PR to judge


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@e", "-c", "commit.gpgsign=false", *args],
                   cwd=root, check=True, capture_output=True)


def _rules_file(*alerts: str) -> str:
    return "groups:\n- name: g\n  rules:\n" + "".join(
        f"  - alert: {a}\n    expr: up == 0\n" for a in alerts)


def test_alerts_the_pr_only_moves_or_regenerates_are_not_introduced(tmp_path: Path) -> None:
    make(tmp_path, {**CLEAN, "manifests/all.yaml": _rules_file("Old1", "Old2"),
                    "kept.yaml": _rules_file("Kept")})
    _git(tmp_path, "init", "-q", "-b", "main")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-q", "-m", "base")
    # the PR splits manifests/all.yaml into two files, edits kept.yaml and adds one alert
    (tmp_path / "manifests" / "all.yaml").unlink()
    make(tmp_path, {"manifests/a.yaml": _rules_file("Old1"), "manifests/b.yaml": _rules_file("Old2", "New"),
                    "kept.yaml": _rules_file("Kept") + "# touched\n"})
    found = [f for f in findings(tmp_path, changes=git_changes(tmp_path, "main"))
             if f.rule == "docs/alert-without-runbook"]
    assert {f.message.split()[1]: f.introduced for f in found} == {"Old1": False, "Old2": False, "Kept": False,
                                                               "New": True}
    # a full scan has no PR: every finding stands as found
    assert all(f.introduced for f in findings(tmp_path) if f.rule == "docs/alert-without-runbook")
