"""Helpers for the security tests (issue 11): a workspace with a base and a PR commit, and the real
`readiness check` / `readiness action` processes run against it with GitHub unreachable (or a stand-in).

Every helper runs the console script as a separate process with a small environment, the way the
runner does; nothing here imports the code under test.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hostile_corpus import TOKEN
from hostile_run import parse_outputs

from factories import write_file

READINESS = Path(sys.executable).parent / "readiness"
EVENTS = Path(__file__).resolve().parents[1] / "github" / "events"
DROP = "DROP TABLE users;\n"
"""A migration that must always be judged critical."""


def git(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """git with a private, empty configuration and a fixed identity."""
    full = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(cwd), "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
            "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com", **(env or {})}
    done = subprocess.run(["git", *args], cwd=cwd, env=full, capture_output=True, check=True)
    return done.stdout.decode("utf-8", "replace").strip()


def write(root: Path, rel: str, data: str | bytes) -> Path:
    """Create a file (and its parents)."""
    return write_file(root, rel, data)


@dataclass
class PrRepo:
    """A workspace holding a git repository with a base commit and a PR commit on top."""

    path: Path
    base: str = ""
    head: str = ""

    @classmethod
    def make(cls, root: Path, base_files: Mapping[str, str | bytes],
             pr: Callable[[Path], None] | Mapping[str, str | bytes]) -> PrRepo:
        """Commit `base_files`, then apply `pr` (files to write, or a function) and commit it."""
        root.mkdir(parents=True)
        git(root, "init", "-q", "-b", "main")
        for rel, data in base_files.items():
            write(root, rel, data)
        git(root, "add", "-A")
        git(root, "commit", "-q", "--allow-empty", "-m", "base")
        repo = cls(root, base=git(root, "rev-parse", "HEAD"))
        if callable(pr):
            pr(root)
        else:
            for rel, data in pr.items():
                write(root, rel, data)
        git(root, "add", "-A")
        git(root, "commit", "-q", "--allow-empty", "-m", "pr")
        repo.head = git(root, "rev-parse", "HEAD")
        return repo


def small_env(home: Path, **extra: str) -> dict[str, str]:
    """What a step gets: the token, no network but loopback."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "LANG": "C.UTF-8",
        "PYTHONIOENCODING": "utf-8", "PYTHONDONTWRITEBYTECODE": "1", "NO_COLOR": "1",
        "GITHUB_TOKEN": TOKEN, "INPUT_GITHUB-TOKEN": TOKEN,
        "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9",
        "http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9",
        "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost", "PIP_NO_INDEX": "1",
    }
    env.update(extra)
    return env


@dataclass
class Done:
    """A finished run: exit code, logs, seconds, and (for the action) what it wrote."""

    code: int
    stdout: str
    stderr: str
    seconds: float
    outputs: dict[str, str] = field(default_factory=dict)
    summary: str = ""
    workspace: Path | None = None

    def report(self) -> dict[str, Any]:
        """The JSON report: stdout of `check --format json`, or the action's `report` output."""
        text = self.stdout
        if self.workspace is not None:
            text = (self.workspace / self.outputs["report"]).read_text(encoding="utf-8")
        report: dict[str, Any] = json.loads(text)
        return report

    def everything(self) -> str:
        """Every text the run produced."""
        parts = [self.stdout, self.stderr, self.summary, json.dumps(self.outputs)]
        if self.workspace is not None:
            for key in ("report", "comment-file"):
                rel = self.outputs.get(key)
                path = self.workspace / rel if rel else None
                if path is not None and path.is_file():
                    parts.append(path.read_text(encoding="utf-8", errors="replace"))
        return "\n".join(parts)

    def findings(self, rule: str | None = None) -> list[dict[str, Any]]:
        """Findings of the report (of one rule)."""
        return [f for f in self.report()["findings"] if rule is None or f["rule"] == rule]


def check(root: Path, *args: str, home: Path, timeout: float = 120, cwd: Path | None = None,
          env: dict[str, str] | None = None) -> Done:
    """`readiness check ROOT --format json ARGS`."""
    start = time.monotonic()
    done = subprocess.run([str(READINESS), "check", str(root), "--format", "json", *args],
                          env=env or small_env(home), cwd=cwd or home, capture_output=True, timeout=timeout,
                          check=False)
    return Done(done.returncode, done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace"),
                time.monotonic() - start)


def action(repo: PrRepo, tmp: Path, *, inputs: dict[str, str] | None = None, api_url: str = "http://127.0.0.1:9",
           event: dict[str, Any] | None = None, timeout: float = 120, tag: str = "a",
           env: Mapping[str, str] | None = None) -> Done:
    """`readiness action` on a pull_request event for the repo's base and head; `env` adds to (or
    overrides) the runner's environment."""
    files = tmp / f"runner-files-{tag}"
    files.mkdir(parents=True)
    payload = event if event is not None else json.loads((EVENTS / "pull_request_synchronize.json").read_text())
    if event is None:
        payload["pull_request"]["base"]["sha"] = repo.base
        payload["pull_request"]["head"]["sha"] = repo.head
    (files / "event.json").write_text(json.dumps(payload), encoding="utf-8")
    (files / "output").write_text("")
    (files / "summary").write_text("")
    given = {"path": ".", "config": "", "fail-on": "", "gates": "", "comment": "always", "check-run": "true",
             "sarif-file": ""}
    given.update(inputs or {})
    runner = small_env(tmp / "home", **{
        "CI": "true", "GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": str(repo.path),
        "GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": str(files / "event.json"),
        "GITHUB_OUTPUT": str(files / "output"), "GITHUB_STEP_SUMMARY": str(files / "summary"),
        "GITHUB_SERVER_URL": "https://github.com", "GITHUB_API_URL": api_url,
        "GITHUB_REPOSITORY": "octo-org/demo", "GITHUB_SHA": repo.head, "GITHUB_REF": "refs/pull/7/merge",
        "READINESS_PUBLISH_BACKOFF": "0.01", "READINESS_PUBLISH_BUDGET": "2", "READINESS_WRITE_INTERVAL": "0",
        **{f"INPUT_{k.upper()}": v for k, v in given.items()},
    })
    runner.update(env or {})
    (tmp / "home").mkdir(exist_ok=True)
    start = time.monotonic()
    done = subprocess.run([str(READINESS), "action"], env=runner, cwd=repo.path, capture_output=True,
                          timeout=timeout, check=False)
    return Done(done.returncode, done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace"),
                time.monotonic() - start, parse_outputs((files / "output").read_text(encoding="utf-8")),
                (files / "summary").read_text(encoding="utf-8", errors="replace"), repo.path)


def adopt_baseline(repo: PrRepo, home: Path) -> PrRepo:
    """The repository after it commits a baseline of its findings (`readiness baseline`), that commit
    as its base: what a team does when it adopts the gates."""
    subprocess.run([str(READINESS), "baseline", str(repo.path)], env=small_env(home), cwd=home,
                   capture_output=True, check=True, timeout=120)
    git(repo.path, "add", "-A")
    git(repo.path, "commit", "-q", "-m", "adopt")
    repo.base = git(repo.path, "rev-parse", "HEAD")
    return repo


def assert_no_defect(done: Done) -> None:
    """No traceback, no internal error."""
    assert done.code in (0, 1, 2), (done.code, done.stderr[-1500:])
    assert "Traceback" not in done.stdout + done.stderr, done.stderr[-2000:]
