"""The baseline on a real git repository with history: an old repository adopts the gates, a new
problem still blocks, and a pull request cannot baseline its own finding."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from readiness.baseline import BASELINE_NAME, Entry, parse, record
from readiness.cli import main
from readiness.errors import ConfigError
from readiness.schemas import baseline_schema, report_schema

RENAME = "ALTER TABLE orders RENAME COLUMN total TO amount;\n"
"""migrations/rename-column: high, so it blocks at `fail_on: high`."""


def git(cwd: Path, *args: str) -> str:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(cwd), "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    return subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, check=True, text=True).stdout


def check(capsys: pytest.CaptureFixture[str], root: Path, *args: str) -> tuple[int, dict[str, Any]]:
    code = main(["check", str(root), "--gates", "migrations", "--format", "json", *args])
    out = capsys.readouterr().out
    report = json.loads(out)
    Draft202012Validator(report_schema()).validate(report)
    return code, report


def rules(report: dict[str, Any], **where: object) -> list[str]:
    findings = report["findings"]
    return sorted(f["rule"] for f in findings if all(f.get(k) == v for k, v in where.items()))


@pytest.fixture
def old_repo(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A repository with two commits of history and an old blocking finding, baselined on main."""
    root = tmp_path / "repo"
    (root / "db" / "migrations").mkdir(parents=True)
    (root / ".readiness.yml").write_text("version: 1\nfail_on: high\n")
    (root / "db" / "migrations" / "V1__init.sql").write_text("CREATE TABLE orders (id bigint, total int);\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "init")
    (root / "db" / "migrations" / "V2__rename.sql").write_text(RENAME)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "an old rename, before the gates")
    code, report = check(capsys, root)
    assert code == 1 and rules(report, severity="high") == ["migrations/rename-column"]  # the week-one wall
    assert main(["baseline", str(root), "--gates", "migrations"]) == 0
    assert f"Recorded {len(report['findings'])} finding" in capsys.readouterr().out
    git(root, "add", BASELINE_NAME)
    git(root, "commit", "-q", "-m", "adopt readiness-gates with a baseline")
    return root


def test_a_full_scan_with_its_baseline_passes_and_shows_the_baselined_findings(
        old_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = json.loads((old_repo / BASELINE_NAME).read_text())
    Draft202012Validator(baseline_schema()).validate(data)
    assert "migrations/rename-column" in [e["rule"] for e in data["entries"]]
    code, report = check(capsys, old_repo)
    assert code == 0 and report["verdict"] == "pass"
    findings = report["findings"]
    assert isinstance(findings, list) and len(findings) == len(data["entries"])
    assert all(f["waived"] is True and f["waiver"]["source"] == "baseline" for f in findings)
    assert main(["check", str(old_repo), "--gates", "migrations"]) == 0
    out = capsys.readouterr().out
    assert f"{len(findings)} baselined" in out and "[baselined]" in out


def test_a_new_problem_still_blocks(old_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    git(old_repo, "checkout", "-q", "-b", "feature")
    (old_repo / "db" / "migrations" / "V3__rename_again.sql").write_text(
        "ALTER TABLE orders RENAME COLUMN amount TO amount_cents;\n")
    git(old_repo, "add", "-A")
    git(old_repo, "commit", "-q", "-m", "a new rename")
    for args in ((), ("--base", "main")):  # a full scan, and the PR view
        code, report = check(capsys, old_repo, *args)
        assert code == 1, args
        assert rules(report, waived=False, severity="high") == ["migrations/rename-column"]


def test_a_pull_request_cannot_baseline_its_own_finding(old_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    git(old_repo, "checkout", "-q", "-b", "sneaky")
    (old_repo / "db" / "migrations" / "V3__rename_again.sql").write_text(
        "ALTER TABLE orders RENAME COLUMN amount TO amount_cents;\n")
    assert main(["baseline", str(old_repo), "--gates", "migrations"]) == 0  # the PR rewrites the baseline
    capsys.readouterr()
    git(old_repo, "add", "-A")
    git(old_repo, "commit", "-q", "-m", "a new rename, and its own baseline entry")
    added = [e for e in json.loads((old_repo / BASELINE_NAME).read_text())["entries"]
             if e["path"] == "db/migrations/V3__rename_again.sql"]
    assert "migrations/rename-column" in [e["rule"] for e in added]
    code, report = check(capsys, old_repo, "--base", "main")
    assert code == 1  # the base's baseline applies: the new entry does not
    blocking = [f for f in report["findings"] if f["rule"] == "migrations/rename-column"
                and not f["waived"]]
    assert [f["path"] for f in blocking] == ["db/migrations/V3__rename_again.sql"]
    notes = [f for f in report["findings"] if f["rule"] == "config/unreviewed-baseline-entry"]
    assert len(notes) == len(added)
    assert all(n["path"] == BASELINE_NAME and n["severity"] == "info" and "V3__rename_again.sql" in n["message"]
               and "does not apply until merged" in n["message"] for n in notes)
    # once merged (reviewed), the same entry is the base's and applies
    git(old_repo, "checkout", "-q", "main")
    git(old_repo, "merge", "-q", "--ff-only", "sneaky")
    code, report = check(capsys, old_repo)
    assert code == 0


def test_an_entry_that_matches_nothing_is_reported_in_a_full_scan(
        old_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (old_repo / "db" / "migrations" / "V2__rename.sql").write_text("ALTER TABLE orders ADD COLUMN note text;\n")
    git(old_repo, "commit", "-q", "-am", "the old rename fixed")
    code, report = check(capsys, old_repo)
    assert code == 0
    [stale] = [f for f in report["findings"] if f["rule"] == "config/stale-baseline-entry"
               and "rename-column" in f["message"]]
    assert stale["path"] == BASELINE_NAME and stale["severity"] == "info"
    lines = (old_repo / BASELINE_NAME).read_text().splitlines()
    assert "rename-column" in lines[stale["line"] - 1]
    # with a base the migrations gate judges only what is new: no stale claim from that view
    git(old_repo, "checkout", "-q", "-b", "next", "HEAD~1")
    (old_repo / "README.md").write_text("x\n")
    git(old_repo, "add", "-A")
    git(old_repo, "commit", "-q", "-m", "unrelated")
    code, report = check(capsys, old_repo, "--base", "main")
    assert "config/stale-baseline-entry" not in rules(report)


def test_a_changed_baseline_with_an_unreadable_base_applies_nothing(old_repo: Path) -> None:
    from readiness.baseline import load_baseline
    from readiness.workspace.changes import ChangeSet

    api_view = ChangeSet(base="0" * 40, files=frozenset({BASELINE_NAME}), deleted=frozenset(), source="api")
    loaded = load_baseline(old_repo, changes=api_view)
    entries = parse((old_repo / BASELINE_NAME).read_bytes(), BASELINE_NAME)
    assert loaded is not None and loaded.entries == () and loaded.unreviewed == entries
    assert "not in this clone" in loaded.unreviewed_why
    untouched = ChangeSet(base="0" * 40, files=frozenset({"x.sql"}), deleted=frozenset(), source="api")
    loaded = load_baseline(old_repo, changes=untouched)
    assert loaded is not None and loaded.entries == entries and loaded.unreviewed == ()


def test_the_file_is_sorted_small_and_round_trips() -> None:
    from readiness.model import Finding, Location, RuleId, Severity

    def f(rule: str, path: str, fp: str) -> Finding:
        return Finding(rule=RuleId(rule), severity=Severity.HIGH, location=Location(path=path, line=9),
                       message="m", fix=None, fingerprint=fp)

    text, n = record([f("docs/missing-runbook", "b.md", "b" * 32), f("migrations/rename-column", "a.sql", "a" * 32),
                      f("migrations/rename-column", "a.sql", "a" * 32), f("config/policy-relaxed", "x", "c" * 32)])
    assert n == 2 and text == record(reversed([f("migrations/rename-column", "a.sql", "a" * 32),
                                               f("docs/missing-runbook", "b.md", "b" * 32),
                                               f("migrations/rename-column", "a.sql", "a" * 32)]))[0]
    entries = parse(text.encode(), BASELINE_NAME)
    assert entries == (Entry(fingerprint="a" * 32, rule="migrations/rename-column", path="a.sql", line=5, count=2),
                       Entry(fingerprint="b" * 32, rule="docs/missing-runbook", path="b.md", line=6))
    assert "9" not in text.replace("schema_version", "")  # no line numbers: an edit above does not churn it


@pytest.mark.parametrize(("raw", "why"), [
    (b"{", "not JSON"), (b'{"schema_version": 2, "entries": []}', "schema"),
    (b'{"schema_version": 1, "entries": [{"fingerprint": "zz", "rule": "x/y", "path": "p"}]}', "schema"),
    (b"\xff", "UTF-8"),
])
def test_a_bad_baseline_is_a_configuration_error(raw: bytes, why: str) -> None:
    with pytest.raises(ConfigError, match=why):
        parse(raw, BASELINE_NAME)


def test_a_symlinked_baseline_is_refused(tmp_path: Path) -> None:
    from readiness.baseline import load_baseline

    (tmp_path / "outside.json").write_text('{"schema_version": 1, "entries": []}')
    root = tmp_path / "repo"
    root.mkdir()
    (root / BASELINE_NAME).symlink_to(tmp_path / "outside.json")
    with pytest.raises(ConfigError):
        load_baseline(root)


def test_unreviewed_entries_are_one_finding_for_an_added_file_and_capped_otherwise() -> None:
    from readiness.baseline import MAX_UNREVIEWED, Baseline

    added = tuple(Entry(fingerprint=f"{i:032x}", rule="migrations/drop-column", path=f"m{i % 7}.sql", line=i + 4)
                  for i in range(MAX_UNREVIEWED + 9))
    whole = Baseline(path=BASELINE_NAME, entries=(), origin="x", unreviewed=added, unreviewed_why="w", file_added=True)
    [one] = whole.apply([], ran=(), full_scan=False)
    assert one.rule == "config/unreviewed-baseline-entry" and one.location.line == 1
    assert f"adds the baseline with {len(added)} entries (1 rule, 7 files)" in one.message
    some = Baseline(path=BASELINE_NAME, entries=(), origin="x", unreviewed=added, unreviewed_why="w")
    found = some.apply([], ran=(), full_scan=False)
    assert len(found) == MAX_UNREVIEWED + 1 and "adds 9 more baseline entries" in found[-1].message
    assert len({f.fingerprint for f in found}) == len(found)


def test_one_more_identical_finding_than_the_baseline_holds_is_new(old_repo: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    twice = old_repo / "db" / "migrations" / "V2__rename.sql"
    (old_repo / "db" / "migrations" / "V5__twice.sql").write_text(RENAME + "SELECT 1;\n" + RENAME)
    assert main(["baseline", str(old_repo), "--gates", "migrations"]) == 0
    capsys.readouterr()
    data = json.loads((old_repo / BASELINE_NAME).read_text())
    [entry] = [e for e in data["entries"] if e["rule"] == "migrations/rename-column" and "V5" in e["path"]]
    assert entry["count"] == 2 and all("count" not in e for e in data["entries"] if "V2" in e["path"])
    assert check(capsys, old_repo)[0] == 0
    (old_repo / "db" / "migrations" / "V5__twice.sql").write_text(RENAME + "SELECT 1;\n" + RENAME + RENAME)
    code, report = check(capsys, old_repo)
    assert code == 1  # the third identical rename is not in the baseline
    renames = [f for f in report["findings"] if f["rule"] == "migrations/rename-column" and "V5" in f["path"]]
    assert sorted(f["waived"] for f in renames) == [False, True, True]
    assert twice.exists()
