"""`readiness action` end to end: as a subprocess with the Docker runtime's environment, and
in-process for the fallbacks (fork, no token, push, large PRs, errors)."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from action_support import Repo, action_env, git
from fake_github import FakeGitHub
from gh_support import TOKEN, ActionRun, parse_output_file

from readiness.action import read_input, run_action
from readiness.render.markdown import MARKER

READINESS = Path(sys.executable).parent / "readiness"
OUTPUTS = {"verdict", "critical", "high", "findings", "report", "comment-file"}


def _collect(env: dict[str, str], code: int, out: str, err: str, seconds: float) -> ActionRun:
    return ActionRun(code, out, err, parse_output_file(Path(env["GITHUB_OUTPUT"]).read_text(encoding="utf-8")),
                Path(env["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8"), seconds, Path(env["GITHUB_WORKSPACE"]))


def subprocess_run(env: dict[str, str], cwd: Path) -> ActionRun:
    start = time.monotonic()
    done = subprocess.run([str(READINESS), "action"], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=120, check=False)
    return _collect(env, done.returncode, done.stdout, done.stderr, time.monotonic() - start)


def inprocess_run(env: dict[str, str]) -> ActionRun:
    out, err = io.StringIO(), io.StringIO()
    start = time.monotonic()
    code = run_action(env, out=out, err=err)
    Path(env["GITHUB_OUTPUT"]).parent.mkdir(exist_ok=True)
    return _collect(env, code, out.getvalue(), err.getvalue(), time.monotonic() - start)


def test_action_subprocess_posts_one_comment_and_a_check_run(tmp_path: Path, repo: Repo,
                                                              fake: FakeGitHub) -> None:
    env = action_env(tmp_path, repo, fake.base_url)
    assert "INPUT_FAIL-ON" in env and "INPUT_GITHUB-TOKEN" in env  # the Docker runtime's names
    first = subprocess_run(env, repo.path)
    Path(env["GITHUB_OUTPUT"]).write_text("")
    Path(env["GITHUB_STEP_SUMMARY"]).write_text("")
    second = subprocess_run(env, repo.path)

    for run in (first, second):
        assert run.code == 1, run.stderr  # RUNBOOK.md is missing: high, and fail-on is high
        assert "Traceback" not in run.stderr + run.stdout
        assert set(run.outputs) == OUTPUTS
        assert run.outputs["verdict"] == "fail" and run.outputs["high"] == "1"
        assert run.outputs["critical"] == "0" and run.outputs["findings"] == "1"
        # valid in the container and on the runner; a second run in the same job gets a fresh directory
        assert re.fullmatch(r"\.readiness(-\w+)?/report\.json", run.outputs["report"]), run.outputs["report"]
        report = json.loads(run.path("report").read_text(encoding="utf-8"))
        assert report["verdict"] == "fail" and report["base"] == repo.base and report["head"] == repo.head
        assert run.path("comment-file").read_text(encoding="utf-8").startswith(MARKER)
        assert "RUNBOOK.md" in run.summary and len(run.summary.encode()) <= 1024 * 1024
        assert TOKEN not in run.text_everywhere()
        assert "readiness: not posted" not in run.stdout
    assert "readiness: posted comment created" in first.stdout
    assert "readiness: posted comment unchanged" in second.stdout

    comments = fake.comments_on(7)
    assert len(comments) == 1 and comments[0]["body"].startswith(MARKER)
    assert "RUNBOOK.md" in comments[0]["body"]
    assert f"/blob/{repo.head}/" in comments[0]["body"] or "RUNBOOK.md" in comments[0]["body"]
    runs = list(fake.iter_check_runs())
    assert len(runs) == 2 and {r["request"]["head_sha"] for r in runs} == {repo.head}
    assert runs[0]["request"]["conclusion"] == "failure"
    assert [a["path"] for a in runs[0]["annotations"]] == ["RUNBOOK.md"]
    assert fake.requests_for("pulls/list-files") == []  # the base commit is in the clone: git answered
    assert all(r.op != "unknown" or r.path == "/user" for r in fake.requests_log)
    assert all(r.headers["authorization"] == f"token {TOKEN}" for r in fake.requests_log)
    for r in fake.requests_log:
        assert TOKEN not in r.raw.decode()


def test_fork_pr_posts_nothing_and_writes_the_comment_file(tmp_path: Path, repo: Repo, fake: FakeGitHub) -> None:
    env = action_env(tmp_path, repo, fake.base_url, event="pull_request_opened_fork.json")
    run = inprocess_run(env)
    assert run.code == 1 and run.outputs["verdict"] == "fail"
    assert fake.writes() == []
    body = run.path("comment-file").read_text(encoding="utf-8")
    assert body.startswith(MARKER) and "RUNBOOK.md" in body
    assert run.stdout.count("readiness: not posted") == 1
    assert "fork contributor/demo" in run.stdout
    assert "::error file=RUNBOOK.md" in run.stdout  # workflow-command annotations instead of a check run
    assert TOKEN not in run.text_everywhere()


def test_no_token_still_gives_verdict_summary_outputs_and_exit_code(tmp_path: Path, repo: Repo,
                                                                    fake: FakeGitHub) -> None:
    env = action_env(tmp_path, repo, fake.base_url, inputs={"github-token": ""})
    run = inprocess_run(env)
    assert run.code == 1 and run.outputs["verdict"] == "fail" and run.summary
    assert fake.requests_log == []
    assert run.stdout.count("readiness: not posted") == 1 and "no GitHub token" in run.stdout
    assert "comment and check run: no GitHub token" in run.stdout
    assert run.path("comment-file").is_file()


def test_base_commit_missing_from_the_clone_uses_the_pr_files_api(tmp_path: Path, repo: Repo,
                                                                  fake: FakeGitHub) -> None:
    env = action_env(tmp_path, repo, fake.base_url, inputs={"comment": "never", "check-run": "false"})
    event = json.loads(Path(env["GITHUB_EVENT_PATH"]).read_text())
    event["pull_request"]["base"]["sha"] = "9" * 40  # not in this clone (a shallow checkout)
    Path(env["GITHUB_EVENT_PATH"]).write_text(json.dumps(event))
    fake.set_pr_files(7, [{"filename": "notes/plan.md", "status": "added"}])
    run = inprocess_run(env)
    assert run.code == 1
    assert len(fake.requests_for("pulls/list-files")) == 1
    report = json.loads(run.path("report").read_text())
    assert report["base"] == "9" * 40  # diffed, through the API's list
    assert fake.writes() == []


def test_more_than_3000_changed_files_judges_the_whole_repository(tmp_path: Path, repo: Repo,
                                                                  fake: FakeGitHub) -> None:
    env = action_env(tmp_path, repo, fake.base_url, inputs={"comment": "never", "check-run": "false"})
    event = json.loads(Path(env["GITHUB_EVENT_PATH"]).read_text())
    event["pull_request"]["base"]["sha"] = "9" * 40
    event["pull_request"]["changed_files"] = 3001
    Path(env["GITHUB_EVENT_PATH"]).write_text(json.dumps(event))
    run = inprocess_run(env)
    assert run.code == 1 and "3,001 files" in run.stdout
    assert json.loads(run.path("report").read_text())["base"] is None
    assert fake.requests_log == []


def test_push_event_creates_a_check_run_on_github_sha_and_no_comment(tmp_path: Path, repo: Repo,
                                                                     fake: FakeGitHub) -> None:
    env = action_env(tmp_path, repo, fake.base_url, GITHUB_EVENT_NAME="push", GITHUB_SHA=repo.head)
    run = inprocess_run(env)
    assert run.code == 1
    assert fake.comments == {} and fake.requests_for("issues/list-comments") == []
    (check,) = fake.iter_check_runs()
    assert check["request"]["head_sha"] == repo.head
    assert run.stdout.count("readiness: not posted") == 1 and "has no pull request" in run.stdout


def test_persistent_api_failures_leave_the_exit_code_alone(tmp_path: Path, repo: Repo, fake: FakeGitHub) -> None:
    for op in ("issues/list-comments", "checks/create"):
        fake.fail(op, 503, times=10_000)
    env = action_env(tmp_path, repo, fake.base_url, READINESS_PUBLISH_BUDGET="1")
    run = inprocess_run(env)
    assert run.code == 1 and run.outputs["verdict"] == "fail"
    assert run.seconds < 10
    assert run.stdout.count("readiness: not posted") == 1 and "HTTP 503" in run.stdout
    assert "::error file=RUNBOOK.md" in run.stdout


def test_passing_run_exits_0_and_on_failure_posts_nothing(tmp_path: Path, repo: Repo, fake: FakeGitHub) -> None:
    env = action_env(tmp_path, repo, fake.base_url, inputs={"fail-on": "critical", "comment": "on-failure"})
    run = inprocess_run(env)
    assert run.code == 0 and run.outputs["verdict"] == "pass" and run.outputs["high"] == "1"
    assert fake.comments == {}
    (check,) = fake.iter_check_runs()
    assert check["request"]["conclusion"] == "success"


def test_invalid_input_or_config_is_exit_2_with_outputs(tmp_path: Path, repo: Repo, fake: FakeGitHub) -> None:
    env = action_env(tmp_path, repo, fake.base_url, inputs={"fail-on": "sometimes"})
    run = inprocess_run(env)
    assert run.code == 2 and run.outputs["verdict"] == "error"
    assert "input fail-on" in run.stderr and "error" in run.summary
    assert fake.requests_log == []
    # the PR's own invalid .readiness.yml while the base's is valid: the base's policy still judges,
    # and the invalid version is a blocking finding, not an error that hides the verdict (review4 R4-12)
    (repo.path / ".readiness.yml").write_text("version: 1\ngates:\n  docs:\n    bogus: 1\n")
    env = action_env(tmp_path, repo, fake.base_url)
    Path(env["GITHUB_OUTPUT"]).write_text("")
    run = inprocess_run(env)
    assert run.code == 1 and run.outputs["verdict"] == "fail", (run.code, run.outputs)
    assert "Traceback" not in run.stderr and "is invalid" in run.summary, run.summary


def test_underscore_inputs_and_sarif_file(tmp_path: Path, repo: Repo, fake: FakeGitHub) -> None:
    env = action_env(tmp_path, repo, fake.base_url, inputs={"fail-on": "", "comment": "never", "check-run": "false"})
    env["INPUT_FAIL_ON"] = "critical"
    env["INPUT_SARIF_FILE"] = "out/readiness.sarif"
    assert read_input(env, "fail-on") == "critical"
    run = inprocess_run(env)
    assert run.code == 0
    sarif = json.loads((repo.path / "out" / "readiness.sarif").read_text())
    assert sarif["version"] == "2.1.0"


def test_a_planted_readiness_symlink_is_not_followed(tmp_path: Path, repo: Repo, fake: FakeGitHub) -> None:
    target = tmp_path / "elsewhere"
    target.mkdir()
    (repo.path / ".readiness").symlink_to(target)
    env = action_env(tmp_path, repo, fake.base_url, inputs={"comment": "never", "check-run": "false"})
    run = inprocess_run(env)
    assert run.code == 1
    assert list(target.iterdir()) == []
    assert not run.outputs["report"].startswith(str(repo.path))


def test_the_output_directory_is_ignored_by_git(tmp_path: Path, repo: Repo, fake: FakeGitHub) -> None:
    env = action_env(tmp_path, repo, fake.base_url, inputs={"comment": "never", "check-run": "false"})
    inprocess_run(env)
    assert git(repo.path, "status", "--porcelain") == ""


def test_an_unreachable_api_is_reported_once_without_the_token(tmp_path: Path, repo: Repo) -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = action_env(tmp_path, repo, f"http://127.0.0.1:{port}", READINESS_PUBLISH_BUDGET="2")
    run = inprocess_run(env)
    assert run.code == 1 and run.outputs["verdict"] == "fail"
    assert run.seconds < 10
    assert run.stdout.count("readiness: not posted") == 1
    assert "ConnectionRefusedError" in run.stdout or "NewConnectionError" in run.stdout
    assert TOKEN not in run.text_everywhere()


def test_a_defect_is_one_line_with_outputs_and_exit_3(tmp_path: Path, repo: Repo, fake: FakeGitHub,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import readiness.engine

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError(f"boom with {TOKEN}")

    monkeypatch.setattr(readiness.engine, "run", broken)
    env = action_env(tmp_path, repo, fake.base_url)
    run = inprocess_run(env)
    assert run.code == 3 and run.outputs["verdict"] == "error"
    assert run.stderr.count("\n") == 1 and "internal error: RuntimeError" in run.stderr
    assert TOKEN not in run.stderr + run.summary


def test_a_502_after_storing_and_500s_on_reads_keep_one_comment_and_the_exit_code(
        tmp_path: Path, repo: Repo, fake: FakeGitHub) -> None:
    env = action_env(tmp_path, repo, fake.base_url, inputs={"check-run": "false"})
    clean = inprocess_run(env)
    fake.comments.clear()
    fake.fail("issues/list-comments", 500, times=3)
    fake.fail("issues/create-comment", 502, after=True)
    Path(env["GITHUB_OUTPUT"]).write_text("")
    faulty = inprocess_run(env)
    assert faulty.code == clean.code == 1
    files = ("report", "comment-file")  # the second run writes into a directory of its own
    assert {k: v for k, v in faulty.outputs.items() if k not in files} == \
        {k: v for k, v in clean.outputs.items() if k not in files}
    assert json.loads(faulty.path("report").read_text())["verdict"] == "fail"
    assert len(fake.comments_on(7)) == 1
    assert "readiness: not posted" not in faulty.stdout


def test_path_input_in_a_subdirectory_links_and_annotates_repository_paths(tmp_path: Path, repo: Repo,
                                                                           fake: FakeGitHub) -> None:
    service = repo.path / "services" / "api"
    service.mkdir(parents=True)
    (service / "README.md").write_text("# api\n")
    git(repo.path, "add", "-A")
    git(repo.path, "commit", "-qm", "service")
    head = git(repo.path, "rev-parse", "HEAD").strip()
    env = action_env(tmp_path, Repo(repo.path, repo.base, head), fake.base_url,
                     inputs={"path": "services/api"})
    done = inprocess_run(env)
    assert done.code == 0, done.stderr  # its missing runbook and ADRs are not introduced by this PR
    report = json.loads(done.path("report").read_text(encoding="utf-8"))
    paths = {f["path"] for f in report["findings"]}
    assert paths and all(p.startswith("services/api/") for p in paths), paths
    (run,) = list(fake.iter_check_runs())
    assert {a["path"] for a in run["annotations"]} <= paths
    body = fake.comments_on(7)[0]["body"]
    assert f"/blob/{head}/services/api/" in body

    (tmp_path / "x").mkdir()
    escape = action_env(tmp_path / "x", repo, fake.base_url, inputs={"path": "../.."})
    left = inprocess_run(escape)
    assert left.code == 2 and "leaves the workspace" in left.stderr + left.stdout
