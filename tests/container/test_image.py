"""The action image, built from the real Dockerfile, run the way GitHub runs a Docker action.

(a) push event, no token, `--network none`: verdict, outputs, job summary and exit code match what
    `readiness check` says about the same repository on the host.
(b) pull_request event against the fake GitHub API on 127.0.0.1 (`--network host`): one sticky
    comment with the marker (still one after a second run), one check run on the head sha.
(c) the image itself: --version, rule pages shipped, git safe.directory, no USER/WORKDIR.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from container_helpers import REPO, ActionRun, demo_workspace, run_action

from readiness import __version__

pytestmark = pytest.mark.container

MARKER = "<!-- readiness-gates:summary -->"
TOKEN = "ghs_containerTestToken0000000000000000"
DEAD_PROXY = "http://127.0.0.1:9"
OUTPUT_NAMES = {"verdict", "critical", "high", "findings", "report"}


def host_report(workspace: Path, fail_on: str) -> tuple[int, dict[str, Any]]:
    """`readiness check --format json` on the host (the source tree's package), for comparison.

    Run without network (`unshare --net`, we are root where podman runs) like the container, so a
    gate that would query a live service behaves the same on both sides."""
    cmd = [sys.executable, "-m", "readiness.cli", "check", str(workspace), "--format", "json",
           "--fail-on", fail_on]
    if shutil.which("unshare") and subprocess.run(["unshare", "--net", "true"], check=False).returncode == 0:
        cmd = ["unshare", "--net", *cmd]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert done.returncode in (0, 1), done.stderr
    return done.returncode, json.loads(done.stdout)


def assert_clean_log(run: ActionRun) -> None:
    """No traceback, no internal error, and the token never printed."""
    log = run.stdout + run.stderr
    assert "Traceback" not in log, log
    assert "internal error" not in log, log
    assert TOKEN not in log


# -- (a) push event, no token, no network --------------------------------------------------------


def test_push_event_without_token_matches_host_check(image: str, tmp_path: Path) -> None:
    fail_on = "low"
    workspace, sha = demo_workspace(tmp_path / "ws")
    expected_code, expected = host_report(workspace, fail_on)

    run = run_action(
        image, tmp_path, workspace, network="none",
        inputs={"github-token": "", "path": ".", "config": "", "fail-on": fail_on, "gates": "",
                "comment": "always", "check-run": "true", "sarif-file": ""},
        env={"GITHUB_EVENT_NAME": "push", "GITHUB_SHA": sha, "GITHUB_REF": "refs/heads/main"},
        event={"ref": "refs/heads/main", "after": sha, "repository": {"full_name": "octo-org/demo"}},
    )

    assert run.returncode == expected_code, run.stderr
    assert_clean_log(run)
    assert OUTPUT_NAMES <= set(run.outputs), run.outputs
    assert run.outputs["verdict"] == expected["verdict"]
    assert (run.returncode == 1) == (expected["verdict"] == "fail")
    assert run.outputs["critical"] == str(expected["counts"]["critical"])
    assert run.outputs["high"] == str(expected["counts"]["high"])
    report = json.loads(run.host_path(run.outputs["report"]).read_text(encoding="utf-8"))
    assert report["schema_version"] == 1
    assert report["verdict"] == expected["verdict"]
    assert report["counts"] == expected["counts"]
    assert [g["id"] for g in report["gates"]] == [g["id"] for g in expected["gates"]]
    assert [g["status"] for g in report["gates"]] == [g["status"] for g in expected["gates"]]
    assert sorted(f["fingerprint"] for f in report["findings"]) == sorted(
        f["fingerprint"] for f in expected["findings"])
    # The job summary is written, names the verdict, and stays under the runner's 1 MiB cap.
    assert run.summary.strip(), "GITHUB_STEP_SUMMARY is empty"
    assert expected["verdict"] in run.summary.lower()
    assert len(run.summary.encode("utf-8")) < 1024 * 1024


# -- (b) pull_request event against the fake GitHub API ------------------------------------------


def _fake_github_module() -> ModuleType:
    path = REPO / "tests" / "github" / "fake_github.py"
    if not path.is_file():
        pytest.fail(f"{path} is missing: the container test (b) needs the fake GitHub server")
    spec = importlib.util.spec_from_file_location("readiness_tests_fake_github", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_pull_request_posts_one_sticky_comment_and_one_check_run(image: str, tmp_path: Path) -> None:
    fake_github = _fake_github_module()
    event = json.loads((REPO / "tests" / "github" / "events" / "pull_request_opened.json")
                       .read_text(encoding="utf-8"))
    number = int(event["number"])
    head_sha = event["pull_request"]["head"]["sha"]
    workspace, merge_sha = demo_workspace(tmp_path / "ws")
    changed = ["db/migrations/V4__rename_total.sql", "config/production.yaml", "requirements.txt"]

    with fake_github.FakeGitHub(repository=event["repository"]["full_name"], token=TOKEN) as gh:
        gh.set_pr_files(number, changed)
        inputs = {"github-token": TOKEN, "path": ".", "config": "", "fail-on": "critical", "gates": "",
                  "comment": "always", "check-run": "true", "sarif-file": ""}
        env = {"GITHUB_EVENT_NAME": "pull_request", "GITHUB_SHA": merge_sha,
               "GITHUB_REF": f"refs/pull/{number}/merge", "GITHUB_API_URL": gh.base_url,
               "GITHUB_REPOSITORY": event["repository"]["full_name"],
               # Host networking is only for the fake API on loopback: any other destination (a live
               # vulnerability service) goes to a dead proxy and fails fast, so the run is deterministic.
               "HTTPS_PROXY": DEAD_PROXY, "HTTP_PROXY": DEAD_PROXY, "https_proxy": DEAD_PROXY,
               "http_proxy": DEAD_PROXY, "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
        # The second run must edit (or keep) the comment, never add a second one.
        runs = [run_action(image, tmp_path, workspace, network="host", inputs=inputs, env=env, event=event)
                for _ in range(2)]
        comments = gh.comments_on(number)
        check_runs = list(gh.iter_check_runs())
        log = list(gh.requests_log)

    for run in runs:
        assert run.returncode in (0, 1), run.stderr
        assert (run.returncode == 1) == (run.outputs["verdict"] == "fail"), run.outputs
        assert_clean_log(run)
        assert OUTPUT_NAMES <= set(run.outputs)
    assert runs[0].outputs["verdict"] == runs[1].outputs["verdict"]

    assert len(comments) == 1, [c["body"][:80] for c in comments]
    assert comments[0]["body"].startswith(MARKER)
    assert runs[0].outputs["verdict"] in comments[0]["body"].lower()
    assert TOKEN not in comments[0]["body"]

    assert len(check_runs) == len(runs), check_runs  # one check run per workflow run
    for check in check_runs:
        assert check["request"]["head_sha"] == head_sha  # the PR head, not the merge commit
    # Every request carried the token and hit a known GitHub operation.
    assert log, "the action made no API request"
    assert all(r.op != "unknown" for r in log), [(r.method, r.path) for r in log if r.op == "unknown"]
    assert all(TOKEN in r.headers.get("Authorization", r.headers.get("authorization", "")) for r in log)


# -- (c) the image itself ------------------------------------------------------------------------


def _podman(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["podman", *args], capture_output=True, text=True, timeout=120, check=False)


def test_version_matches_the_source(image: str) -> None:
    done = _podman("run", "--rm", "--network", "none", image, "--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"readiness-gates {__version__}"


def test_rule_pages_ship_in_the_image(image: str) -> None:
    done = _podman("run", "--rm", "--network", "none", image, "explain", "docs/missing-document")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("docs/missing-document")
    assert "## Why it matters" in done.stdout
    rules = _podman("run", "--rm", "--network", "none", image, "rules")
    assert rules.returncode == 0, rules.stderr
    shipped = {line.split()[0] for line in rules.stdout.splitlines() if line.strip()}
    source = {f"{p.parent.name}/{p.stem}" for p in (REPO / "checks").glob("*/*.md")}
    assert shipped == source


def test_image_runs_as_root_without_workdir(image: str) -> None:
    done = _podman("image", "inspect", image)
    assert done.returncode == 0, done.stderr
    config = json.loads(done.stdout)[0]["Config"]
    assert config.get("User", "") in ("", "root", "0")
    assert config.get("WorkingDir", "") in ("", "/")
    entrypoint = config["Entrypoint"]
    assert len(entrypoint) == 1 and entrypoint[0].startswith("/"), entrypoint
    assert config["Cmd"] == ["action"]


def test_git_trusts_a_workspace_owned_by_the_runner(image: str, tmp_path: Path) -> None:
    workspace, sha = demo_workspace(tmp_path / "ws")
    done = _podman("run", "--rm", "--network", "none", "-v", f"{workspace}:/github/workspace",
                   "--entrypoint", "git", image, "-C", "/github/workspace", "rev-parse", "HEAD")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == sha


def test_the_image_reads_the_base_policy_through_git_and_runs_nothing_from_the_pr(image: str,
                                                                                 tmp_path: Path) -> None:
    """In the image, on a workspace owned by the runner's uid: git answers (explicit --git-dir, only the
    workspace named safe), the base commit's policy judges, and a git skeleton under `path:` runs nothing."""
    from container_helpers import RUNNER_UID, chown_tree, git

    ws = tmp_path / "ws"
    (ws / "db" / "migrations").mkdir(parents=True)
    (ws / ".readiness.yml").write_text("fail_on: critical\n")
    (ws / "db" / "migrations" / "V1__init.sql").write_text("CREATE TABLE users (id int);\n")
    git(ws, "init", "-q", "-b", "main")
    git(ws, "add", "-A")
    git(ws, "commit", "-q", "-m", "base")
    base = git(ws, "rev-parse", "HEAD").strip()
    (ws / ".readiness.yml").write_text("fail_on: never\n")
    (ws / "db" / "migrations" / "V2__drop.sql").write_text("DROP TABLE users;\n")
    skeleton = {"db/HEAD": "ref: refs/heads/main\n", "db/refs/heads/main": base + "\n",
                "db/objects/info/alternates": "../../.git/objects\n", "db/info/attributes": "* filter=x\n",
                "db/config": '[core]\n\tworktree = .\n[filter "x"]\n\tclean = "touch /github/home/EXECUTED && cat"\n'}
    for rel, text in skeleton.items():
        (ws / rel).parent.mkdir(parents=True, exist_ok=True)
        (ws / rel).write_text(text)
    git(ws, "add", "-A")
    git(ws, "commit", "-q", "-m", "pr")
    head = git(ws, "rev-parse", "HEAD").strip()
    chown_tree(ws, RUNNER_UID)
    event = json.loads((REPO / "tests" / "github" / "events" / "pull_request_opened.json")
                       .read_text(encoding="utf-8"))
    event["pull_request"]["base"]["sha"], event["pull_request"]["head"]["sha"] = base, head
    inputs = {"github-token": "", "path": ".", "config": "", "fail-on": "", "gates": "migrations",
              "comment": "never", "check-run": "false", "sarif-file": ""}
    env = {"GITHUB_EVENT_NAME": "pull_request", "GITHUB_SHA": head, "GITHUB_REF": "refs/pull/1/merge"}
    run = run_action(image, tmp_path, ws, network="none", inputs=inputs, env=env, event=event)
    assert run.returncode == 1, (run.stdout[-1500:], run.stderr[-1500:])
    assert not (tmp_path / "_github_home" / "EXECUTED").exists(), "a filter from the PR ran in the image"
    report = json.loads(run.host_path(run.outputs["report"]).read_text(encoding="utf-8"))
    rules = {f["rule"] for f in report["findings"]}
    assert {"config/policy-relaxed", "migrations/drop-table"} <= rules, rules
    assert report["fail_on"] == "critical" and f"policy from .readiness.yml at {base[:12]}" in run.stdout
