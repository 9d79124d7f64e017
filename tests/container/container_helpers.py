"""Helpers for the container tests: run the action image with podman the way GitHub runs it.

The image is built by `make container-test` (and `.ci/run`) from the real Dockerfile on the local
Debian base described in ../shared/CONTAINER.md. Without podman or the image these tests skip with
the reason; with REQUIRE_CONTAINER_TESTS=1 (CI) the same condition fails them instead.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
IMAGE = os.environ.get("READINESS_IMAGE", "localhost/readiness:test")
RUNNER_UID = 1001
"""The uid that owns the workspace on GitHub's hosted runners."""


def unavailable(reason: str) -> None:
    """Skip, or fail when REQUIRE_CONTAINER_TESTS=1 says the container part must run."""
    if os.environ.get("REQUIRE_CONTAINER_TESTS") == "1":
        pytest.fail(f"container tests are required (REQUIRE_CONTAINER_TESTS=1) but {reason}", pytrace=False)
    pytest.skip(reason)


@dataclass(frozen=True, slots=True)
class ActionRun:
    """What one `podman run` of the action left behind."""

    returncode: int
    """The container's exit code."""
    stdout: str
    """Its log (stdout)."""
    stderr: str
    """Its log (stderr)."""
    outputs: dict[str, str]
    """GITHUB_OUTPUT parsed (`name=value` and `name<<DELIM` forms)."""
    summary: str
    """GITHUB_STEP_SUMMARY content."""
    host_dirs: dict[str, Path]
    """Container mount point -> host directory, to read files the run wrote."""

    def host_path(self, container_path: str) -> Path:
        """The host path of a file the container wrote under one of the mounts (a relative path is
        relative to the workspace, as later workflow steps resolve it). Anything else, e.g. /tmp in
        the container, is gone when the container exits, so it fails the test."""
        if not container_path.startswith("/"):
            return self.host_dirs["/github/workspace"] / container_path
        for mount, host in self.host_dirs.items():
            if container_path == mount or container_path.startswith(mount + "/"):
                return host / container_path[len(mount):].lstrip("/")
        raise AssertionError(f"{container_path} is not under a mounted directory {sorted(self.host_dirs)}")


def parse_github_output(text: str) -> dict[str, str]:
    """Parse a GITHUB_OUTPUT file as the runner does: `k=v` lines and `k<<DELIM ... DELIM` blocks."""
    out: dict[str, str] = {}
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line:
            continue
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delim = line.split("<<", 1)
            body: list[str] = []
            while i < len(lines) and lines[i] != delim:
                body.append(lines[i])
                i += 1
            assert i < len(lines), f"output {name!r}: delimiter {delim!r} never closes"
            i += 1
            out[name] = "\n".join(body)
        else:
            assert "=" in line, f"malformed GITHUB_OUTPUT line: {line!r}"
            name, value = line.split("=", 1)
            out[name] = value
    return out


def chown_tree(root: Path, uid: int) -> None:
    """Give a tree to `uid` like the runner's checkout (we run as root, so this works in CI)."""
    for path in [root, *root.rglob("*")]:
        os.lchown(path, uid, uid)


def git(cwd: Path, *args: str) -> str:
    """Run git in `cwd` with a fixed identity; returns stdout."""
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid",
           "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1"}
    done = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True)
    return done.stdout


def demo_workspace(dest: Path) -> tuple[Path, str]:
    """A git checkout of examples/demo at `dest`, owned by the runner uid; returns (path, head sha)."""
    shutil.copytree(REPO / "examples" / "demo", dest, symlinks=True)
    git(dest, "init", "-q", "-b", "main")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", "demo")
    sha = git(dest, "rev-parse", "HEAD").strip()
    chown_tree(dest, RUNNER_UID)
    return dest, sha


def run_action(image: str, tmp: Path, workspace: Path, *, inputs: Mapping[str, str],
               env: Mapping[str, str], event: Mapping[str, object] | None, network: str,
               args: Sequence[str] = (), timeout: float = 120) -> ActionRun:
    """Run the image like GitHub's runner runs a Docker action (mounts, env, --workdir)."""
    home, workflow, file_commands = tmp / "_github_home", tmp / "_github_workflow", tmp / "_runner_file_commands"
    for d in (home, workflow, file_commands):
        d.mkdir(exist_ok=True)
    if event is not None:
        (workflow / "event.json").write_text(json.dumps(event), encoding="utf-8")
    tag = uuid.uuid4().hex
    output_name, summary_name = f"set_output_{tag}", f"step_summary_{tag}"
    (file_commands / output_name).write_text("", encoding="utf-8")
    (file_commands / summary_name).write_text("", encoding="utf-8")
    full_env = {
        "HOME": "/github/home",
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_WORKSPACE": "/github/workspace",
        "GITHUB_EVENT_PATH": "/github/workflow/event.json",
        "GITHUB_OUTPUT": f"/github/file_commands/{output_name}",
        "GITHUB_STEP_SUMMARY": f"/github/file_commands/{summary_name}",
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_API_URL": "https://api.github.com",
        "GITHUB_REPOSITORY": "octo-org/demo",
        "GITHUB_RUN_ID": "4242",
        "GITHUB_JOB": "readiness",
        "GITHUB_WORKFLOW": "readiness",
        "GITHUB_ACTION": "__self",
        # The runner passes its own temp path, which does not exist inside the container.
        "RUNNER_TEMP": "/home/runner/work/_temp",
        "RUNNER_OS": "Linux",
        **{f"INPUT_{k.upper()}": v for k, v in inputs.items()},
        **env,
    }
    cmd = ["podman", "run", "--rm", "--network", network, "--workdir", "/github/workspace",
           "-v", f"{workspace}:/github/workspace", "-v", f"{home}:/github/home",
           "-v", f"{workflow}:/github/workflow", "-v", f"{file_commands}:/github/file_commands"]
    for key in full_env:
        cmd += ["-e", key]
    cmd += [image, *(args or ["action"])]
    done = subprocess.run(cmd, env={**os.environ, **full_env}, capture_output=True, text=True,
                          timeout=timeout, check=False)
    return ActionRun(
        returncode=done.returncode,
        stdout=done.stdout,
        stderr=done.stderr,
        outputs=parse_github_output((file_commands / output_name).read_text(encoding="utf-8")),
        summary=(file_commands / summary_name).read_text(encoding="utf-8"),
        host_dirs={"/github/workspace": workspace, "/github/home": home, "/github/workflow": workflow,
                   "/github/file_commands": file_commands},
    )
