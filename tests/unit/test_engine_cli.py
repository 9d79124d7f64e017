"""The engine and the CLI end to end on small repositories: verdicts, --base, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from readiness.cli import main

REPO = Path(__file__).resolve().parents[2]


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, text=True,
                          env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
                               "GIT_COMMITTER_EMAIL": "t@t", "PATH": "/usr/bin:/bin"}).stdout


def docs_only(root: Path, *, runbook: bool = True) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / "README.md").write_text("# x\n")
    if runbook:
        (root / "RUNBOOK.md").write_text("# Runbook\n\n## Symptoms\nx\n\n## Diagnosis\nx\n\n## Mitigation\nx\n")
    (root / "docs" / "adr").mkdir(parents=True, exist_ok=True)
    (root / "docs" / "adr" / "0001-record-architecture-decisions.md").write_text(
        "# 1. Record architecture decisions\n\nDate: 2026-01-01\n\n## Status\n\nAccepted\n\n"
        "## Context\n\nx\n\n## Decision\n\nx\n\n## Consequences\n\nx\n")


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_missing_runbook_blocks_at_high(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    docs_only(tmp_path, runbook=False)
    code, out, _ = run_cli(capsys, "check", str(tmp_path), "--gates", "docs", "--fail-on", "high")
    assert code == 1
    assert "FAIL" in out.splitlines()[0] and "docs/missing-document" in out
    code, out, _ = run_cli(capsys, "check", str(tmp_path), "--gates", "docs")
    assert code == 0 and "PASS" in out.splitlines()[0]


def test_json_report_shape(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    docs_only(tmp_path, runbook=False)
    code, out, _ = run_cli(capsys, "check", str(tmp_path), "--gates", "docs", "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["schema_version"] == 1 and data["verdict"] == "pass"
    assert [g["id"] for g in data["gates"]] == ["migrations", "deps", "config", "docs", "checklist"]
    assert data["gates"][0]["status"] == "skipped" and data["gates"][0]["error"] == "not selected with --gates"
    (f,) = data["findings"]
    assert f["rule"] == "docs/missing-document" and f["doc"] == "checks/docs/missing-document.md"
    assert f["introduced"] is True and f["waived"] is False


def test_config_waiver_and_expired_waiver(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    docs_only(tmp_path, runbook=False)
    (tmp_path / ".readiness.yml").write_text(
        "waivers:\n  - {rule: docs/missing-document, path: RUNBOOK.md, reason: 'ops wiki, OPS-9'}\n")
    code, out, _ = run_cli(capsys, "check", str(tmp_path), "--gates", "docs", "--fail-on", "high",
                           "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["findings"][0]["waived"] is True
    (tmp_path / ".readiness.yml").write_text(
        "waivers:\n  - {rule: docs/missing-document, reason: old, expires: 2020-01-01}\n")
    code, out, _ = run_cli(capsys, "check", str(tmp_path), "--gates", "docs", "--fail-on", "medium",
                           "--format", "json")
    rules = sorted(f["rule"] for f in json.loads(out)["findings"])
    assert code == 1 and rules == ["docs/invalid-waiver", "docs/missing-document"]


def test_invalid_config_is_exit_2_with_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    docs_only(tmp_path)
    (tmp_path / ".readiness.yml").write_text("version: 1\nfail_on: maybe\n")
    code, out, err = run_cli(capsys, "check", str(tmp_path))
    assert code == 2 and out == ""
    assert err.startswith("readiness: configuration error: .readiness.yml:2:")


def test_config_symlink_out_of_repo_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    docs_only(tmp_path / "repo")
    (tmp_path / "outside.yml").write_text("fail_on: never\n")
    (tmp_path / "repo" / ".readiness.yml").symlink_to(tmp_path / "outside.yml")
    code, _, err = run_cli(capsys, "check", str(tmp_path / "repo"))
    assert code == 2 and "outside the repository" in err


@pytest.mark.parametrize("args", [["check", "--gates", "nope"], ["check", "--format", "xml"], ["frobnicate"],
                                  ["check", "/does/not/exist"], ["explain", "migrations/nope"], []])
def test_usage_errors_are_exit_2(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, *args)
    assert code == 2 and err.startswith("readiness: ") and "Traceback" not in err


def test_rules_and_explain(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "rules")
    assert code == 0 and "docs/missing-document" in out
    code, out, _ = run_cli(capsys, "explain", "docs/missing-document")
    assert code == 0 and "## Why it matters" in out


def test_base_marks_untouched_files_not_introduced(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "repo"
    docs_only(root, runbook=False)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "base")
    git(root, "checkout", "-qb", "feature")
    (root / "src.py").write_text("x = 1\n")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "head")
    code, out, _ = run_cli(capsys, "check", str(root), "--gates", "docs", "--base", "main", "--fail-on", "high",
                           "--format", "json")
    data = json.loads(out)
    assert code == 0, "a missing runbook the PR did not cause must not block"
    assert data["base"] == "main" and data["findings"][0]["introduced"] is False
    code, _, err = run_cli(capsys, "check", str(root), "--base", "no-such-ref")
    assert code == 2 and "--base no-such-ref" in err


def test_internal_error_is_one_line_exit_3(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    docs_only(tmp_path)
    import readiness.engine

    class Broken:
        id = "docs"

        def run(self, ctx: object) -> None:
            raise RuntimeError("kaboom")

    monkeypatch.setattr(readiness.engine, "load", lambda gate_id: Broken())
    code, _, err = run_cli(capsys, "check", str(tmp_path), "--gates", "docs")
    assert code == 3 and "internal error: RuntimeError" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    with pytest.raises(RuntimeError):
        main(["--debug", "check", str(tmp_path), "--gates", "docs"])
    with pytest.raises(RuntimeError):  # after the command too, where "rerun with --debug" leads people to put it
        main(["check", str(tmp_path), "--gates", "docs", "--debug"])


def test_console_script_runs_on_the_bundled_example() -> None:
    proc = subprocess.run([sys.executable, "-m", "readiness.cli", "check", str(REPO / "examples" / "demo"),
                           "--format", "json", "--gates", "docs,config,migrations"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode in (0, 1), proc.stderr
    assert json.loads(proc.stdout)["tool"]["name"] == "readiness-gates"


def test_prefix_paths_rebases_findings_items_and_waivers(tmp_path: Path) -> None:
    from readiness.config import Config
    from readiness.engine import RunOptions, prefix_paths, run
    from readiness.model import FailOn

    docs_only(tmp_path, runbook=False)
    report = run(RunOptions(root=tmp_path, config=Config(), fail_on=FailOn.HIGH, gates=("docs",)))
    moved = prefix_paths(report, "services/api/")
    assert [f.location.path for f in moved.findings] == ["services/api/" + f.location.path for f in report.findings]
    items = [i for g in moved.gates for i in g.items if "path" in i.data]
    assert items and all(str(i.data["path"]).startswith("services/api/") for i in items)
    assert moved.verdict == report.verdict and moved.counts == report.counts
    assert prefix_paths(report, "") is report


def test_min_severity_changes_what_is_printed_not_the_exit_code(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "r"
    (root / "db" / "migrations").mkdir(parents=True)
    (root / ".readiness.yml").write_text("version: 1\nfail_on: high\n")
    (root / "db" / "migrations" / "V1__rename.sql").write_text("ALTER TABLE t RENAME COLUMN a TO b;\n")
    code, out, _ = run_cli(capsys, "check", str(root), "--gates", "migrations")
    assert code == 1 and "migrations/rename-column [blocking]" in out
    code, filtered, _ = run_cli(capsys, "check", str(root), "--gates", "migrations", "--min-severity", "critical")
    assert code == 1  # the high finding still blocks: the filter is for the eyes only
    assert "migrations/rename-column" not in filtered and "FAIL" in filtered.splitlines()[0]
    assert "below critical not printed" in filtered
    code, _, err = run_cli(capsys, "check", str(root), "--min-severity", "high", "--format", "json")
    assert code == 2 and "text output only" in err


def test_an_unknown_base_in_a_shallow_clone_says_which_fetch_depth_fixes_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    origin = tmp_path / "origin"
    docs_only(origin)
    git(origin, "init", "-q", "-b", "main")
    git(origin, "add", "-A")
    git(origin, "commit", "-q", "-m", "one")
    git(origin, "branch", "feature")
    for n in ("two", "three"):
        (origin / "README.md").write_text(f"# {n}\n")
        git(origin, "commit", "-q", "-am", n)
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{origin}", str(clone))
    code, _, err = run_cli(capsys, "check", str(clone), "--base", "HEAD~2")
    assert code == 2
    assert "shallow clone with 1 commit of history" in err and "`fetch-depth: 3`" in err
    code, _, err = run_cli(capsys, "check", str(clone), "--base", "origin/feature")
    assert code == 2 and "shallow clone" in err and "`fetch-depth: 0`" in err
    assert "git fetch --no-tags --depth=1 origin feature:refs/remotes/origin/feature" in err
    # the fixes it names work
    git(clone, "fetch", "-q", "--no-tags", "--depth=1", "origin", "feature:refs/remotes/origin/feature")
    assert run_cli(capsys, "check", str(clone), "--base", "origin/feature")[0] == 0
    git(clone, "fetch", "-q", "--deepen=2")
    assert run_cli(capsys, "check", str(clone), "--base", "HEAD~2")[0] == 0
    # a full clone: a branch that exists only as origin/<name> is suggested
    full = tmp_path / "full"
    git(tmp_path, "clone", "-q", f"file://{origin}", str(full))
    code, _, err = run_cli(capsys, "check", str(full), "--base", "feature")
    assert code == 2 and "did you mean origin/feature?" in err
    code, _, err = run_cli(capsys, "check", str(full), "--base", "nope")
    assert code == 2 and "no branch, tag or commit of that name" in err
