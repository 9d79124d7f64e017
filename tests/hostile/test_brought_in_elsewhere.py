"""Sixth review, R6b-7 and R6b-13: "introduced" was decided by the file a finding sits in, so a finding
that the PR brings in from elsewhere counted as pre-existing and never blocked.

- Deleting the runbook (or the only decision record): the missing document, the alert whose runbook is
  gone and the checklist item whose evidence is gone sat at paths the PR does not change, while merely
  emptying the runbook blocked.
- One `-r legacy/pins.in` line added to requirements.txt: pip installs legacy/pins.in's vulnerable pin,
  reported critical at legacy/pins.in, a file the PR did not change.

A finding now also names the paths whose change brings it in (`Finding.cause`); one the PR adds,
changes or deletes makes it the PR's."""

from __future__ import annotations

from pathlib import Path

import pytest
from sec_support import PrRepo, assert_no_defect, check

RUNBOOK = "# Runbook\n\n## Checkout errors\n\n1. Restart the workers: `kubectl rollout restart deploy/api`\n"
ADR = ("# 1. Use PostgreSQL\n\nDate: 2024-01-01\n\n## Status\n\nAccepted\n\n## Context\n\nx\n\n"
       "## Decision\n\ny\n\n## Consequences\n\nz\n")
CHECKLIST = ("version: 1\nitems:\n- id: runbook\n  title: Runbook exists\n  pillar: supportability\n  owner: ops\n"
             "  status: done\n  evidence:\n  - path: RUNBOOK.md\n")
ALERTS = ("groups:\n- name: g\n  rules:\n  - alert: Down\n    expr: up == 0\n    annotations:\n"
          "      runbook_url: RUNBOOK.md#checkout-errors\n")
DOCS: dict[str, str | bytes] = {
    ".readiness.yml": "fail_on: high\n", "README.md": "# app\n", "RUNBOOK.md": RUNBOOK,
    "docs/adr/0001-use-postgresql.md": ADR, "readiness-checklist.yml": CHECKLIST, "alerts/rules.yml": ALERTS}
DELETIONS = {  # the path the PR deletes -> rules that must be introduced
    "RUNBOOK.md": {"docs/missing-document", "docs/alert-runbook-not-found", "checklist/done-with-failing-evidence"},
    "docs/adr/0001-use-postgresql.md": {"docs/missing-document"},
}


@pytest.mark.parametrize("gone", sorted(DELETIONS))
def test_what_a_deletion_breaks_is_the_prs(tmp_path: Path, gone: str) -> None:
    repo = PrRepo.make(tmp_path / "ws", DOCS, lambda root: (root / gone).unlink())
    done = check(repo.path, "--base", repo.base, "--gates", "docs,checklist", home=tmp_path)
    assert_no_defect(done)
    introduced = {f["rule"] for f in done.findings() if f["introduced"]}
    assert DELETIONS[gone] <= introduced, done.findings()
    assert done.code == 1


def test_a_document_the_pr_leaves_alone_stays_pre_existing(tmp_path: Path) -> None:
    base = {k: v for k, v in DOCS.items() if k != "RUNBOOK.md"}
    repo = PrRepo.make(tmp_path / "ws", base, {"README.md": "# app, again\n"})
    done = check(repo.path, "--base", repo.base, "--gates", "docs,checklist", home=tmp_path)
    assert_no_defect(done)
    assert done.findings("docs/alert-runbook-not-found"), done.findings()
    assert not [f for f in done.findings() if f["introduced"] and f["severity"] in ("high", "critical")], \
        done.findings()
    assert done.code == 0


OSV = Path(__file__).resolve().parents[3] / "shared" / "data" / "osv-pypi"
PINS: dict[str, str | bytes] = {"requirements.txt": "requests==2.31.0\n", "legacy/pins.in": "django==1.2\n",
                                "base.txt": "jinja2==2.10\n"}


@pytest.mark.skipif(not OSV.is_dir(), reason="../shared/data/osv-pypi is absent")
@pytest.mark.parametrize("line", ["-r legacy/pins.in", "-c legacy/pins.in\ndjango"])
def test_a_pin_an_added_include_reaches_is_the_prs(tmp_path: Path, line: str) -> None:
    repo = PrRepo.make(tmp_path / "ws", PINS, {"requirements.txt": f"requests==2.31.0\n{line}\n"})
    done = check(repo.path, "--base", repo.base, "--gates", "deps", "--offline-db", str(OSV), home=tmp_path)
    assert_no_defect(done)
    found = [f for f in done.findings("deps/known-vulnerability") if f["path"] == "legacy/pins.in"]
    assert found and all(f["introduced"] and f["severity"] == "critical" for f in found), done.findings()
    assert done.code == 1


@pytest.mark.skipif(not OSV.is_dir(), reason="../shared/data/osv-pypi is absent")
def test_an_include_the_base_already_had_stays_pre_existing(tmp_path: Path) -> None:
    base = {**PINS, "requirements.txt": "requests==2.31.0\n-r base.txt\n"}
    repo = PrRepo.make(tmp_path / "ws", base, {"requirements.txt": "requests==2.31.0\n-r base.txt\nidna==3.7\n"})
    done = check(repo.path, "--base", repo.base, "--gates", "deps", "--offline-db", str(OSV), home=tmp_path)
    assert_no_defect(done)
    old = [f for f in done.findings("deps/known-vulnerability") if f["path"] == "base.txt"]
    assert old and not any(f["introduced"] for f in old), done.findings()


MOVES: dict[str, tuple[dict[str, str | bytes], dict[str, str | bytes], bool]] = {
    # Sixth review, R6b-16: an advisory counted as new only when no file of the repository pinned an
    # affected version, so production gained the dev requirements' vulnerable pin and passed.
    "the dev pin copied to production": (
        {"requirements.txt": "requests==2.31.0\n", "requirements-dev.txt": "django==1.2\n"},
        {"requirements.txt": "requests==2.31.0\ndjango==1.2\n"}, True),
    "the docs pin added to the project's dependencies": (
        {"pyproject.toml": '[project]\nname = "app"\nversion = "1"\ndependencies = ["requests==2.31.0"]\n',
         "docs/requirements.txt": "django==1.2\n"},
        {"pyproject.toml": '[project]\nname = "app"\nversion = "1"\n'
                           'dependencies = ["requests==2.31.0", "django==1.2"]\n'}, True),
    "a tool migration to a new file (control)": (
        {"requirements.txt": "requests==2.31.0\ndjango==1.2\n"},
        {"requirements.txt": "requests==2.31.0\ndjango==1.2\n", "requirements/prod.txt": "django==1.2\n"}, False),
    "a requirements file renamed (control)": (
        {"requirements.txt": "requests==2.31.0\ndjango==1.2\n"},
        {"requirements.txt": b"", "requirements/base.txt": "requests==2.31.0\ndjango==1.2\n"}, False),
    "a pin moved into the file that includes it (control)": (
        {"requirements.txt": "requests==2.31.0\n-r base.txt\n", "base.txt": "django==1.2\nidna==3.7\n"},
        {"requirements.txt": "requests==2.31.0\ndjango==1.2\n-r base.txt\n", "base.txt": "idna==3.7\n"}, False),
}


@pytest.mark.skipif(not OSV.is_dir(), reason="../shared/data/osv-pypi is absent")
@pytest.mark.parametrize("case", sorted(MOVES))
def test_a_vulnerable_pin_entering_an_installation_is_the_prs(tmp_path: Path, case: str) -> None:
    base, pr, blocks = MOVES[case]

    def apply(root: Path) -> None:
        for rel, text in pr.items():
            if text == b"":
                (root / rel).unlink()
            else:
                (root / rel).parent.mkdir(parents=True, exist_ok=True)
                (root / rel).write_text(str(text), encoding="utf-8")

    repo = PrRepo.make(tmp_path / "ws", base, apply)
    done = check(repo.path, "--base", repo.base, "--gates", "deps", "--offline-db", str(OSV), home=tmp_path)
    assert_no_defect(done)
    new = [f for f in done.findings("deps/known-vulnerability") if f["introduced"] and "django" in f["message"]]
    assert bool(new) is blocks, done.findings()
    assert done.code == (1 if blocks else 0), done.findings()
