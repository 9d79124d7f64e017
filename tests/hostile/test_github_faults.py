"""A failing GitHub, end to end: `readiness action` (a real subprocess, the Docker runtime's environment)
against the fake API on 127.0.0.1 with faults injected. Every scenario must give the exit code of the
fault-free run, write the job summary and the outputs, leave at most one marked comment, and finish
publishing within a stated bound (PUBLISH_BUDGET + BOUND_SLACK seconds for the whole action)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "github"))

from fake_github import SPEC_PATH, FakeGitHub  # noqa: E402
from gh_support import ActionRun, load_payload, parse_output_file  # noqa: E402
from hostile_corpus import TOKEN  # noqa: E402

READINESS = Path(sys.executable).parent / "readiness"
MARKER = "<!-- readiness-gates:summary -->"
PR = 7
CONFIG = "version: 1\ngates:\n  docs:\n    scope: all\n    require: [RUNBOOK.md]\n"
PUBLISH_BUDGET = 8.0
"""READINESS_PUBLISH_BUDGET for these runs (production default: 60 s)."""
BOUND_SLACK = 6.0
"""Start-up, the gates and one request timeout on top of the publishing budget."""


def git(cwd: Path, *args: str) -> str:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(cwd), "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    return subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True).stdout.strip()


@dataclass(frozen=True, slots=True)
class Workspace:
    """A clone with a base and a head commit; the PR adds a note and the repo lacks its runbook (a high finding)."""

    path: Path
    base: str
    head: str


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    ws = tmp_path / "workspace"
    ws.mkdir()
    git(ws, "init", "-q", "-b", "main")
    (ws / "README.md").write_text("# demo\n")
    (ws / ".readiness.yml").write_text(CONFIG)
    git(ws, "add", "-A")
    git(ws, "commit", "-q", "-m", "base")
    base = git(ws, "rev-parse", "HEAD")
    (ws / "notes.md").write_text("# a note @octocat <b>x</b>\n")
    git(ws, "add", "-A")
    git(ws, "commit", "-q", "-m", "head")
    return Workspace(ws, base, git(ws, "rev-parse", "HEAD"))


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    if not SPEC_PATH.is_file():
        pytest.skip("../shared/data/github-rest/rest-subset.json is not beside the repository")
    with FakeGitHub(SPEC_PATH, repository="octo-org/demo", token=TOKEN) as server:
        yield server


def action(tmp: Path, ws: Workspace, api_url: str, *, event: str = "pull_request_synchronize.json",
           tag: str = "a") -> ActionRun:
    """Run `readiness action` once for PR #7."""
    files = tmp / f"files-{tag}"
    files.mkdir()
    payload = load_payload(event)
    payload["pull_request"]["head"]["sha"] = ws.head
    payload["pull_request"]["base"]["sha"] = ws.base
    (files / "event.json").write_text(json.dumps(payload))
    (files / "output").write_text("")
    (files / "summary").write_text("")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp), "CI": "true", "GITHUB_ACTIONS": "true",
        "GITHUB_WORKSPACE": str(ws.path), "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(files / "event.json"), "GITHUB_OUTPUT": str(files / "output"),
        "GITHUB_STEP_SUMMARY": str(files / "summary"), "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_API_URL": api_url, "GITHUB_REPOSITORY": "octo-org/demo", "GITHUB_SHA": "e" * 40,
        "GITHUB_REF": f"refs/pull/{PR}/merge", "GITHUB_TOKEN": TOKEN, "INPUT_GITHUB-TOKEN": TOKEN,
        "INPUT_FAIL-ON": "high", "INPUT_GATES": "docs", "INPUT_COMMENT": "always", "INPUT_CHECK-RUN": "true",
        "READINESS_PUBLISH_BUDGET": str(PUBLISH_BUDGET), "READINESS_PUBLISH_BACKOFF": "0.05",
        "READINESS_WRITE_INTERVAL": "0", "READINESS_GITHUB_TIMEOUT": "1", "READINESS_SECONDARY_RATE_WAIT": "0.5",
        "HTTPS_PROXY": "http://127.0.0.1:9", "NO_PROXY": "127.0.0.1,localhost",
    }
    start = time.monotonic()
    done = subprocess.run([str(READINESS), "action"], env=env, cwd=ws.path, capture_output=True, text=True,
                          timeout=120, check=False)
    return ActionRun(done.returncode, done.stdout, done.stderr,
                parse_output_file((files / "output").read_text(encoding="utf-8")),
                (files / "summary").read_text(encoding="utf-8"), time.monotonic() - start, ws.path)


def marked(fake: FakeGitHub) -> list[dict[str, object]]:
    """The bot's comments that carry the marker (a person quoting the marker does not count)."""
    return [c for c in fake.comments_on(PR) if str(c["body"]).startswith(MARKER)
            and c["user"]["login"] == fake.identity["login"]]


def assert_outcome(done: ActionRun, fake: FakeGitHub, *, expect_comment: bool = True) -> None:
    """What must hold whatever GitHub did."""
    assert done.code == 1, (done.code, done.stderr[-800:])
    assert "Traceback" not in done.stderr + done.stdout
    assert done.outputs.get("verdict") == "fail" and done.outputs.get("high") == "1", done.outputs
    assert "RUNBOOK.md" in done.summary
    comment_file = done.path("comment-file")
    assert comment_file.is_file() and comment_file.read_text(encoding="utf-8").startswith(MARKER)
    report = json.loads(done.path("report").read_text(encoding="utf-8"))
    assert report["verdict"] == "fail"
    everything = done.stdout + done.stderr + done.summary + json.dumps(done.outputs)
    assert TOKEN not in everything
    assert all(TOKEN not in str(c["body"]) for c in fake.comments_on(PR))
    comments = marked(fake)
    assert len(comments) <= 1, f"{len(comments)} marked comments"
    if expect_comment:
        assert len(comments) == 1, (done.stdout[-1000:], [r.op for r in fake.requests_log])
    assert done.seconds < PUBLISH_BUDGET + BOUND_SLACK, f"took {done.seconds:.1f} s"


Setup = Callable[[FakeGitHub], None]


def _bursts(fake: FakeGitHub) -> None:
    fake.fail("issues/list-comments", 500, times=2)
    fake.fail("issues/create-comment", 502, after=True)     # stored, then the client sees a 502 and retries
    fake.fail("checks/create", 503, times=3)
    fake.fail("checks/update", 502, times=2)


def _rate_limits(fake: FakeGitHub) -> None:
    fake.fail("issues/list-comments", 403, {"Retry-After": "1"},
              body={"message": "You have exceeded a secondary rate limit", "documentation_url": "x"})
    fake.fail("issues/create-comment", 429, {"Retry-After": "1"})
    fake.fail("checks/create", 429)                         # no Retry-After: PyGithub alone would give up
    fake.fail("checks/create", 403, {"x-ratelimit-remaining": "0",
                                     "x-ratelimit-reset": str(int(time.time()) + 1)},
              body={"message": "API rate limit exceeded", "documentation_url": "x"})


def _resets(fake: FakeGitHub) -> None:
    fake.fail("issues/list-comments", reset=True)
    fake.fail("issues/create-comment", reset=True)
    fake.fail("checks/create", reset=True, times=2)


def _slow(fake: FakeGitHub) -> None:
    fake.fail("issues/list-comments", delay=2.5)            # past READINESS_GITHUB_TIMEOUT=1
    fake.fail("checks/create", delay=2.5)


def _too_long(fake: FakeGitHub) -> None:
    fake.fail("issues/create-comment", 422, body={"message": "Validation Failed", "documentation_url": "x",
                                                  "errors": [{"resource": "IssueComment", "code": "custom",
                                                              "field": "body",
                                                              "message": "body is too long (maximum is 65536 "
                                                                         "characters)"}]})


def _existing_duplicates(fake: FakeGitHub) -> None:
    """Two marked comments left by an earlier race, and a human quoting the marker."""
    fake.add_comment(PR, MARKER + "\nold one")
    fake.add_comment(PR, MARKER + "\nold two")
    fake.add_comment(PR, MARKER + "\nquoted by a person", user={"login": "mallory", "id": 5, "type": "User"})


SCENARIOS: dict[str, Setup] = {
    "500-502-503-bursts": _bursts,
    "403-429-with-and-without-retry-after": _rate_limits,
    "connection-resets": _resets,
    "slow-past-the-timeout": _slow,
    "422-body-too-long": _too_long,
    "duplicates-left-by-an-earlier-race": _existing_duplicates,
}


def test_baseline_without_faults(tmp_path: Path, workspace: Workspace, fake: FakeGitHub) -> None:
    done = action(tmp_path, workspace, fake.base_url)
    assert_outcome(done, fake)
    assert len(list(fake.iter_check_runs())) == 1


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_faults_keep_the_verdict_and_one_comment(name: str, tmp_path: Path, workspace: Workspace,
                                                 fake: FakeGitHub) -> None:
    SCENARIOS[name](fake)
    done = action(tmp_path, workspace, fake.base_url)
    assert_outcome(done, fake)
    if name == "422-body-too-long":
        assert len(fake.requests_for("issues/create-comment")) == 2, "no retry with the minimal body"
        assert len(str(marked(fake)[0]["body"])) < len(done.path("comment-file").read_text("utf-8")) + 1
    if name == "duplicates-left-by-an-earlier-race":
        humans = [c for c in fake.comments_on(PR) if c["user"]["login"] == "mallory"]
        assert len(humans) == 1, "a person's comment quoting the marker was touched"
    # a second run on the same PR edits the comment in place
    again = action(tmp_path, workspace, fake.base_url, tag="b")
    assert_outcome(again, fake)


def test_persistent_outage_is_bounded(tmp_path: Path, workspace: Workspace, fake: FakeGitHub) -> None:
    for op in ("issues/list-comments", "issues/create-comment", "checks/create", "pulls/list-files"):
        fake.fail(op, 503, times=200)
    done = action(tmp_path, workspace, fake.base_url)
    assert_outcome(done, fake, expect_comment=False)
    assert "not posted" in done.stdout


def test_two_runs_racing_on_one_pr_leave_one_comment(tmp_path: Path, workspace: Workspace,
                                                     fake: FakeGitHub) -> None:
    fake.fail("issues/list-comments", delay=0.3, times=2)   # both list before either posts
    results: dict[str, ActionRun] = {}

    def go(tag: str) -> None:
        results[tag] = action(tmp_path, workspace, fake.base_url, tag=tag)

    threads = [threading.Thread(target=go, args=(t,)) for t in ("x", "y")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for done in results.values():
        assert_outcome(done, fake, expect_comment=False)
    assert len(marked(fake)) == 1, [c["id"] for c in marked(fake)]


def test_fork_pr_read_only_token(tmp_path: Path, workspace: Workspace, fake: FakeGitHub) -> None:
    fake.fail("issues/create-comment", 403, body={"message": "Resource not accessible by integration",
                                                  "documentation_url": "x"}, times=10)
    fake.fail("checks/create", 403, body={"message": "Resource not accessible by integration",
                                          "documentation_url": "x"}, times=10)
    done = action(tmp_path, workspace, fake.base_url, event="pull_request_synchronize_fork.json")
    assert_outcome(done, fake, expect_comment=False)
    assert not fake.comments_on(PR) and not list(fake.iter_check_runs())
    assert "not posted" in done.stdout or "fork" in done.stdout
