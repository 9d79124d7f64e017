"""The action image: its size, and how long a container takes from start to verdict under podman.

    eval "$(bash ../shared/tools/container-setup.sh)"
    .venv/bin/python benchmarks/image.py IMAGE [IMAGE...] [--runs 7]

For each image: the size podman reports, the time of `podman run IMAGE --version` (container start
plus interpreter start), and the time of `podman run IMAGE action` on a git checkout of
examples/demo as a push event without a token or network (container start to verdict: every gate
runs, the JSON report, outputs and job summary are written). Median of --runs after one warm-up,
the images taking turns.
Podman's own cost is in every figure; compare images side by side, on the same machine, in one run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@example.invalid",
           "GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@example.invalid",
           "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1"}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


def _workspace(root: Path) -> tuple[Path, str]:
    ws = root / "ws"
    shutil.copytree(REPO / "examples" / "demo", ws, symlinks=True)
    _git(ws, "init", "-q", "-b", "main")
    _git(ws, "add", "-A")
    _git(ws, "commit", "-q", "-m", "demo")
    sha = _git(ws, "rev-parse", "HEAD").strip()
    for path in [ws, *ws.rglob("*")]:
        os.lchown(path, 1001, 1001)
    return ws, sha


def _action_cmd(image: str, root: Path, ws: Path, sha: str) -> list[str]:
    files = root / "file_commands"
    workflow = root / "workflow"
    files.mkdir(exist_ok=True)
    workflow.mkdir(exist_ok=True)
    (workflow / "event.json").write_text(json.dumps({"ref": "refs/heads/main", "after": sha}), encoding="utf-8")
    env = {
        "GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": "/github/workspace", "GITHUB_EVENT_NAME": "push",
        "GITHUB_EVENT_PATH": "/github/workflow/event.json", "GITHUB_SHA": sha, "GITHUB_REF": "refs/heads/main",
        "GITHUB_REPOSITORY": "octo-org/demo", "GITHUB_OUTPUT": "/github/file_commands/output",
        "GITHUB_STEP_SUMMARY": "/github/file_commands/summary", "INPUT_FAIL-ON": "never",
        "INPUT_GITHUB-TOKEN": "", "INPUT_CHECK-RUN": "false", "INPUT_COMMENT": "never",
    }
    cmd = ["podman", "run", "--rm", "--network", "none", "--workdir", "/github/workspace",
           "-v", f"{ws}:/github/workspace", "-v", f"{workflow}:/github/workflow",
           "-v", f"{files}:/github/file_commands"]
    for key, value in env.items():
        cmd += ["-e", f"{key}={value}"]
    return [*cmd, image, "action"]


def _timed_ms(cmd: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, check=False, capture_output=True, timeout=300)
    elapsed = (time.perf_counter() - start) * 1000
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd[-2:])} exited {done.returncode}:\n{done.stderr.decode()[-2000:]}")
    return elapsed


def _measure(cmds: dict[str, list[str]], runs: int) -> dict[str, tuple[float, float]]:
    """(median, min) in ms per command; one warm-up each, then the commands take turns, so a
    busy moment of the shared machine does not land on one image only."""
    for cmd in cmds.values():
        _timed_ms(cmd)
    times: dict[str, list[float]] = {key: [] for key in cmds}
    for _ in range(runs):
        for key, cmd in cmds.items():
            times[key].append(_timed_ms(cmd))
    return {key: (statistics.median(t), min(t)) for key, t in times.items()}


def _size_mb(image: str) -> float:
    out = subprocess.run(["podman", "image", "inspect", "--format", "{{.Size}}", image],
                         check=True, capture_output=True, text=True).stdout
    return int(out.strip()) / 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("images", nargs="+", metavar="IMAGE")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    if shutil.which("podman") is None:
        print("podman is not installed (../shared/CONTAINER.md)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="readiness-image-bench-") as tmp:
        root = Path(tmp)
        ws, sha = _workspace(root)
        cmds: dict[str, list[str]] = {}
        for image in args.images:
            cmds[f"version {image}"] = ["podman", "run", "--rm", "--network", "none", image, "--version"]
            cmds[f"verdict {image}"] = _action_cmd(image, root, ws, sha)
        result = _measure(cmds, args.runs)
    rows = [(image, _size_mb(image), result[f"version {image}"], result[f"verdict {image}"])
            for image in args.images]
    print(f"{'image':<44} {'size MB':>8} {'--version ms (min)':>20} {'start-to-verdict ms (min)':>27}")
    for image, size, (v_med, v_min), (a_med, a_min) in rows:
        print(f"{image:<44} {size:>8.1f} {v_med:>12.0f} ({v_min:>4.0f}) {a_med:>19.0f} ({a_min:>4.0f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
