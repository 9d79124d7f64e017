"""action.yml: valid against GitHub's action metadata schema, inputs and outputs exactly as DESIGN."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
ACTION = REPO / "action.yml"


def test_action_yml_is_valid_action_metadata() -> None:
    tool = Path(sys.executable).parent / "check-jsonschema"
    assert tool.is_file(), "check-jsonschema is a dev dependency (requirements-dev.txt)"
    done = subprocess.run([str(tool), "--builtin-schema", "vendor.github-actions", str(ACTION)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_inputs_outputs_and_runtime_match_the_design() -> None:
    meta = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    assert list(meta["inputs"]) == ["github-token", "path", "config", "fail-on", "gates", "comment",
                                    "check-run", "sarif-file", "publish-report", "database-url", "replay"]
    assert meta["inputs"]["github-token"]["default"] == "${{ github.token }}"
    assert meta["inputs"]["comment"]["default"] == "always"
    assert meta["inputs"]["check-run"]["default"] == "true"
    assert set(meta["outputs"]) == {"verdict", "critical", "high", "findings", "report", "comment-file"}
    assert meta["runs"] == {"using": "docker", "image": "Dockerfile", "args": ["action"]}
    assert all(not spec.get("required", False) for spec in meta["inputs"].values())
