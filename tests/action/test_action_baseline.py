"""The Action with a baseline: the base commit's file applies, the PR's own entries do not; rule links
point at the ref the action runs from; annotations only for what blocks or is new."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

from action_support import CONFIG, Repo, action_env, git
from fake_github import FakeGitHub
from gh_support import ActionRun, parse_output_file

from readiness.action import run_action
from readiness.baseline import BASELINE_NAME
from readiness.cli import main


def _run(env: dict[str, str]) -> ActionRun:
    out, err = io.StringIO(), io.StringIO()
    start = time.monotonic()
    code = run_action(env, out=out, err=err)
    return ActionRun(code, out.getvalue(), err.getvalue(),
                     parse_output_file(Path(env["GITHUB_OUTPUT"]).read_text(encoding="utf-8")),
                     Path(env["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8"), time.monotonic() - start,
                     Path(env["GITHUB_WORKSPACE"]))


def _repo(tmp_path: Path, *, baseline_in_base: bool) -> Repo:
    """Base: README and a policy requiring RUNBOOK.md (missing: a blocking finding, `scope: all`), with the
    baseline accepting it on the base or only in the PR's head."""
    ws = tmp_path / "workspace"
    ws.mkdir()
    git(ws, "init", "-q", "-b", "main")
    (ws / "README.md").write_text("# demo\n")
    (ws / ".readiness.yml").write_text(CONFIG)
    if baseline_in_base:
        assert main(["baseline", str(ws), "--gates", "docs"]) == 0
    git(ws, "add", "-A")
    git(ws, "commit", "-q", "-m", "base")
    base = git(ws, "rev-parse", "HEAD")
    (ws / "notes").mkdir()
    (ws / "notes" / "plan.md").write_text("# plan\n")
    if not baseline_in_base:
        assert main(["baseline", str(ws), "--gates", "docs"]) == 0
    git(ws, "add", "-A")
    git(ws, "commit", "-q", "-m", "head")
    return Repo(ws, base, git(ws, "rev-parse", "HEAD"))


def test_the_base_commits_baseline_lets_an_old_repository_pass(tmp_path: Path, fake: FakeGitHub) -> None:
    repo = _repo(tmp_path, baseline_in_base=True)
    env = action_env(tmp_path, repo, fake.base_url, GITHUB_ACTION_REPOSITORY="acme/readiness-gates",
                     GITHUB_ACTION_REF="v2.1.0")
    run = _run(env)
    assert run.code == 0 and run.outputs["verdict"] == "pass", run.stdout
    report = json.loads(run.path("report").read_text())
    assert [f["waiver"]["source"] for f in report["findings"]] == ["baseline"]
    comment = run.path("comment-file").read_text()
    assert "1 baselined finding (accepted in the baseline file; they never block): listed in the job summary." \
        in comment
    assert "RUNBOOK.md" not in comment  # counted in the comment, listed in the summary
    assert "**Baselined**: accepted in the baseline" in run.summary and "RUNBOOK.md" in run.summary
    assert "https://github.com/acme/readiness-gates/blob/v2.1.0/checks/docs/" in run.summary
    assert f"(https://github.com/octo-org/demo/commit/{repo.base})" in comment
    (check,) = fake.iter_check_runs()
    assert check["response"]["conclusion"] == "success"
    assert fake.check_run_annotations() == []  # a baselined finding is not on the diff


def test_a_baseline_entry_the_pr_adds_does_not_apply(tmp_path: Path, fake: FakeGitHub) -> None:
    repo = _repo(tmp_path, baseline_in_base=False)
    assert (repo.path / BASELINE_NAME).is_file()
    run = _run(action_env(tmp_path, repo, fake.base_url))
    assert run.code == 1 and run.outputs["verdict"] == "fail"
    report = json.loads(run.path("report").read_text())
    rules = {f["rule"]: f for f in report["findings"]}
    assert rules["docs/missing-document"]["waived"] is False
    assert "does not apply until merged" in rules["config/unreviewed-baseline-entry"]["message"]
    annotated = {a["path"] for a in fake.check_run_annotations()}
    assert annotated == {"RUNBOOK.md", BASELINE_NAME}
