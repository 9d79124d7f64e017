"""What a PR's `.readiness.yml` relaxes (config/policy-relaxed), key by key, and which version judges."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from readiness.config import Config, load_config_doc, parse_config
from readiness.config.policy import relaxations, runner_keys_dropped
from readiness.runner import load_policy
from readiness.workspace.changes import ChangeSet, git_changes


def cfg(text: str) -> Config:
    return parse_config(load_config_doc(text.encode(), ".readiness.yml"), ".readiness.yml")


def texts(old: str, new: str) -> list[str]:
    return [r.text for r in relaxations(cfg(old), cfg(new))]


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("", "fail_on: high\n", []),
    ("fail_on: low\n", "fail_on: high\n", ["raises fail_on from low to high"]),
    ("", "exclude: [vendor/]\n", ["adds exclude 'vendor/', hiding 0 file(s) from every gate"]),
    ("exclude: [vendor/]\n", "exclude: [vendor/]\n", []),
    ("", "waivers: [{rule: docs/missing-document, path: RUNBOOK.md, reason: later}]\n",
     ["adds a waiver of docs/missing-document for 'RUNBOOK.md' (reason: 'later')"]),
    ("waivers: [{rule: docs/missing-document, reason: x, expires: 2026-01-01}]\n",
     "waivers: [{rule: docs/missing-document, reason: y, expires: 2027-01-01}]\n",
     ["extends the waiver of docs/missing-document for every file from 2026-01-01 to 2027-01-01"]),
    ("waivers: [{rule: docs/missing-document, reason: x}]\n", "waivers: [{rule: docs/missing-document, reason: y}]\n",
     []),
    ("severity_overrides: {docs/missing-document: critical}\n", "",
     ["drops the override that raised docs/missing-document from critical to high"]),
    ("", "severity_overrides: {docs/missing-document: critical}\n", []),
    ("", "gates: {deps: {require_lock: false}}\n", ["turns off gates.deps.require_lock"]),
    ("", "gates: {deps: {ignore_vulns: [GHSA-1]}}\n", ["adds 'GHSA-1' to gates.deps.ignore_vulns"]),
    ("", "gates: {deps: {unknown_severity: low}}\n", ["lowers gates.deps.unknown_severity from critical to low"]),
    ("", "gates: {deps: {service: pypi}}\n", ["sets gates.deps.service to 'pypi'"]),
    ("gates: {docs: {require: [RUNBOOK.md, docs/adr/]}}\n", "gates: {docs: {require: [RUNBOOK.md]}}\n",
     ["drops 'docs/adr/' from gates.docs.require"]),
    ("gates: {docs: {require: [RUNBOOK.md]}}\n", "gates: {docs: {require: [RUNBOOK.md, SLO.md]}}\n", []),
    ("gates: {docs: {when_changed: [{paths: [db/**], require_touch: [docs/**], severity: high}]}}\n",
     "gates: {docs: {when_changed: [{paths: [db/**], require_touch: [docs/**]}]}}\n",
     ["lowers the severity of the gates.docs.when_changed entry for 'db/**'"]),
    ("gates: {config: {schemas: [{files: 'config/*.yaml', schema: s.json}]}}\n", "",
     ["no longer validates 'config/*.yaml' against 's.json'"]),
    ("gates: {config: {environments: {files: 'config/{env}.yaml', names: [staging, production]}}}\n",
     "gates: {config: {environments: {files: 'config/{env}.yaml', names: [staging, production], "
     "ignore_keys: [debug]}}}\n", ["adds 'debug' to gates.config.environments.ignore_keys"]),
    ("gates: {migrations: {large_tables: {events: 1000000}}}\n",
     "gates: {migrations: {large_tables: {events: 10}}}\n",
     ["lowers the row estimate of 'events' in gates.migrations.large_tables from 1,000,000 to 10"]),
    ("gates: {migrations: {large_tables: [events, users]}}\n", "gates: {migrations: {large_tables: [events]}}\n",
     ["drops 'users' from gates.migrations.large_tables"]),
    ("", "gates: {migrations: {large_table_rows: 5000000}}\n",
     ["raises gates.migrations.large_table_rows from 1,000,000 to 5,000,000"]),
    ("gates: {migrations: {require_reversible: true}}\n", "", ["turns off gates.migrations.require_reversible"]),
    ("gates: {migrations: {scope: all}}\n", "gates: {migrations: {scope: new}}\n",
     ["narrows the migrations gate from scope: all to what the PR introduces"]),
    ("gates: {migrations: {paths: [db/]}}\n", "", ["removes gates.migrations.paths, falling back to auto-detection"]),
    ("", "gates: {migrations: {paths: [db/]}}\n", []),
    ("", "gates: {deps: {osv_url: 'http://x', timeout: 5}}\n", []),
    ("gates: {docs: {adr_dir: docs/adr}}\n", "gates: {docs: {adr_dir: docs/old}}\n",
     ["changes gates.docs.adr_dir from 'docs/adr' to 'docs/old'"]),
])
def test_relaxations(old: str, new: str, expected: list[str]) -> None:
    assert texts(old, new) == expected


def test_runner_keys_are_dropped_from_a_repository_config() -> None:
    config, dropped = runner_keys_dropped(cfg("gates: {deps: {osv_url: 'http://x', timeout: 5, service: osv}}\n"))
    assert dropped == ["gates.deps.osv_url", "gates.deps.timeout"]
    assert config.gate("deps") == {"service": "osv"}


def git(cwd: Path, *args: str) -> None:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(cwd), "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, check=True)


def _repo(tmp_path: Path, base: str | None, head: str | None) -> Path:
    root = tmp_path / "r"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    if base is not None:
        (root / ".readiness.yml").write_text(base)
    git(root, "add", "-A")
    git(root, "commit", "-q", "--allow-empty", "-m", "base")
    if head is None:
        (root / ".readiness.yml").unlink(missing_ok=True)
    else:
        (root / ".readiness.yml").write_text(head)
    return root


def test_the_base_version_judges_and_the_change_is_reported(tmp_path: Path) -> None:
    root = _repo(tmp_path, "fail_on: high\n", "fail_on: never\n")
    policy = load_policy(root, None, changes=git_changes(root, "main"))
    assert policy.config.fail_on.value == "high"
    (finding,) = policy.findings
    assert finding.location.line == 1 and "raises fail_on from high to never" in finding.message


def test_an_unchanged_config_is_not_judged(tmp_path: Path) -> None:
    root = _repo(tmp_path, "fail_on: never\n", "fail_on: never\n")
    policy = load_policy(root, None, changes=git_changes(root, "main"))
    assert policy.config.fail_on.value == "never" and not policy.findings


def test_deleting_the_config_is_judged_against_the_defaults(tmp_path: Path) -> None:
    root = _repo(tmp_path, "fail_on: low\n", None)
    policy = load_policy(root, None, changes=git_changes(root, "main"))
    assert policy.config.fail_on.value == "low"
    assert ["raises fail_on from low to critical" in f.message for f in policy.findings] == [True]


def test_an_invalid_base_config_falls_back_to_the_defaults(tmp_path: Path) -> None:
    root = _repo(tmp_path, "bogus: 1\n", "fail_on: high\n")
    policy = load_policy(root, None, changes=git_changes(root, "main"))
    assert policy.config.fail_on.value == "critical" and not policy.findings
    assert any("defaults stand in" in n for n in policy.notes)


def test_api_changes_that_leave_the_config_alone_keep_it(tmp_path: Path) -> None:
    root = _repo(tmp_path, None, "fail_on: never\n")
    untouched = ChangeSet(base="a" * 40, files=frozenset({"x.sql"}), deleted=frozenset(), source="api")
    assert load_policy(root, None, changes=untouched).config.fail_on.value == "never"
    touched = ChangeSet(base="a" * 40, files=frozenset({".readiness.yml"}), deleted=frozenset(), source="api")
    policy = load_policy(root, None, changes=touched)
    assert policy.config.fail_on.value == "critical"
    assert "cannot be read" in policy.findings[0].message
