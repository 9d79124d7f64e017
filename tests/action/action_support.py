"""Helpers for the action tests: a small git repository with a base and a head commit, and the
environment the Docker runtime gives an action."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "github"))

from gh_support import TOKEN, load_payload  # noqa: E402

CONFIG = "version: 1\ngates:\n  docs:\n    scope: all\n    require: [RUNBOOK.md]\n"


def git(cwd: Path, *args: str) -> str:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(cwd), "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_GLOBAL": "/dev/null"}
    done = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip()


@dataclass
class Repo:
    """A workspace with a base commit and a head commit (the PR adds notes/plan.md)."""

    path: Path
    base: str
    head: str


def make_repo(tmp_path: Path) -> Repo:
    """The workspace: base commit (README, config), head commit adds notes/plan.md."""
    ws = tmp_path / "workspace"
    ws.mkdir()
    git(ws, "init", "-q", "-b", "main")
    (ws / "README.md").write_text("# demo\n")
    (ws / ".readiness.yml").write_text(CONFIG)
    git(ws, "add", "-A")
    git(ws, "commit", "-q", "-m", "base")
    base = git(ws, "rev-parse", "HEAD")
    (ws / "notes").mkdir()
    (ws / "notes" / "plan.md").write_text("# plan\n")
    git(ws, "add", "-A")
    git(ws, "commit", "-q", "-m", "head")
    return Repo(ws, base, git(ws, "rev-parse", "HEAD"))


def action_env(tmp: Path, repo: Repo, api_url: str, *, event: str = "pull_request_synchronize.json",
               inputs: dict[str, str] | None = None, **extra: str) -> dict[str, str]:
    """The variables the runner passes to a Docker action (inputs keep their hyphens)."""
    payload: dict[str, Any] = load_payload(event)
    payload["pull_request"]["head"]["sha"] = repo.head
    payload["pull_request"]["base"]["sha"] = repo.base
    files = tmp / "file_commands"
    files.mkdir(exist_ok=True)
    (files / "event.json").write_text(json.dumps(payload))
    (files / "output").write_text("")
    (files / "summary").write_text("")
    given = {"github-token": TOKEN, "path": ".", "config": "", "fail-on": "high", "gates": "docs",
             "comment": "always", "check-run": "true", "sarif-file": ""}
    given.update(inputs or {})
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp), "CI": "true", "GITHUB_ACTIONS": "true",
        "GITHUB_WORKSPACE": str(repo.path), "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(files / "event.json"), "GITHUB_OUTPUT": str(files / "output"),
        "GITHUB_STEP_SUMMARY": str(files / "summary"), "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_API_URL": api_url, "GITHUB_REPOSITORY": "octo-org/demo", "GITHUB_SHA": "e" * 40,
        "GITHUB_REF": "refs/pull/7/merge", "RUNNER_TEMP": "/home/runner/work/_temp",
        "READINESS_PUBLISH_BACKOFF": "0.01", "READINESS_WRITE_INTERVAL": "0", "READINESS_PUBLISH_BUDGET": "10",
        **{f"INPUT_{k.upper()}": v for k, v in given.items()},
    }
    env.update(extra)
    return env
