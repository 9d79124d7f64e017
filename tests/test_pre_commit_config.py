"""The project's own `.pre-commit-config.yaml`: valid for pre-commit, and it runs the same pinned
tools of `.venv` that `make lint` runs (nothing fetched)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / ".pre-commit-config.yaml"
VENV_BIN = Path(sys.executable).parent


def test_pre_commit_accepts_the_config() -> None:
    pre_commit = shutil.which("pre-commit", path=str(VENV_BIN))
    if pre_commit is None:
        pytest.skip("pre-commit is installed by `make dev` (requirements-dev.txt)")
    done = subprocess.run([pre_commit, "validate-config", str(CONFIG)], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_hook_is_local_and_runs_a_tool_make_lint_runs() -> None:
    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    (repo,) = config["repos"]
    assert repo["repo"] == "local"
    for hook in repo["hooks"]:
        tool = hook["entry"].split()[0]
        assert tool.startswith(".venv/bin/"), hook["id"]
        name = tool.removeprefix(".venv/bin/")
        assert f"$(VENV)/bin/{name}" in makefile or f"$(PYTHON) {hook['entry'].split()[1]}" in makefile, hook["id"]
