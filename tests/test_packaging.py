"""The wheel: it ships the rule pages and schemas, and the installed tool reads them from the package.

Builds the wheel once (`uv build`, hatchling pinned in pyproject.toml), installs it with the locked
runtime dependencies into a fresh venv, and runs the console script from a directory outside the
source tree, so nothing can fall back to the checkout's `checks/` or `src/`.
This module reaches PyPI through uv (build backend and locked wheels, hash-checked, cached after
the first run); it is marked slow.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from readiness import __version__

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


@dataclass(frozen=True, slots=True)
class Installed:
    """The built wheel and the venv it is installed in."""

    wheel: Path
    """The .whl file."""
    venv: Path
    """A fresh venv with the locked dependencies and the wheel, nothing else."""
    cwd: Path
    """An empty directory outside the source tree to run from."""

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run the installed console script from `cwd`, with a clean Python environment."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
        env["NO_COLOR"] = "1"
        return subprocess.run([str(self.venv / "bin" / "readiness"), *args], cwd=self.cwd, env=env,
                              capture_output=True, text=True, timeout=120, check=False)


def _uv() -> str:
    uv = Path(sys.executable).parent / "uv"
    found = str(uv) if uv.exists() else shutil.which("uv")
    if found is None:
        pytest.skip("uv is not installed (requirements-dev.txt installs it: `make dev`)")
    return found


def _check(cmd: list[str]) -> None:
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, f"{' '.join(cmd)} failed:\n{done.stdout}\n{done.stderr}"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    root = tmp_path_factory.mktemp("packaging")
    uv = _uv()
    dist = root / "dist"
    _check([uv, "build", "--wheel", "--python", sys.executable, "--out-dir", str(dist), str(REPO)])
    (wheel,) = dist.glob("readiness_gates-*.whl")
    env_dir = root / "venv"
    venv.EnvBuilder(with_pip=False, clear=True).create(env_dir)
    python = str(env_dir / "bin" / "python")
    _check([uv, "pip", "install", "--python", python, "--require-hashes", "--no-deps",
            "-r", str(REPO / "requirements.lock")])
    _check([uv, "pip", "install", "--python", python, "--no-deps", str(wheel)])
    cwd = root / "elsewhere"
    cwd.mkdir()
    yield Installed(wheel=wheel, venv=env_dir, cwd=cwd)


def test_wheel_ships_rule_pages_and_schemas(installed: Installed) -> None:
    names = set(zipfile.ZipFile(installed.wheel).namelist())
    pages = {f"readiness/checks/{p.parent.name}/{p.name}" for p in (REPO / "checks").glob("*/*.md")}
    assert pages, "no rule pages in checks/"
    assert pages <= names, f"rule pages missing from the wheel: {sorted(pages - names)}"
    assert "readiness/config/schema.json" in names
    if (REPO / "src" / "readiness" / "schemas" / "report.schema.json").exists():
        assert "readiness/schemas/report.schema.json" in names
    assert {"readiness/schemas/checklist.schema.json", "readiness/schemas/rollup.schema.json"} <= names
    assert not any(n.startswith(("tests/", "benchmarks/", "examples/")) for n in names)
    (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    text = zipfile.ZipFile(installed.wheel).read(entry_points).decode()
    assert "readiness = readiness.cli:main" in text


def test_installed_package_is_used_not_the_checkout(installed: Installed) -> None:
    probe = subprocess.run(
        [str(installed.venv / "bin" / "python"), "-c",
         "import readiness, readiness.rules.catalog as c; print(readiness.__file__); print(c.checks_dir())"],
        cwd=installed.cwd, capture_output=True, text=True, check=True)
    module_file, checks_dir = probe.stdout.splitlines()
    site = str(installed.venv.resolve())
    assert Path(module_file).resolve().is_relative_to(site), module_file
    assert Path(checks_dir).resolve().is_relative_to(site), checks_dir


def test_installed_console_script_explains_a_rule(installed: Installed) -> None:
    version = installed.run("--version")
    assert version.returncode == 0, version.stderr
    assert version.stdout.strip() == f"readiness-gates {__version__}"

    explain = installed.run("explain", "docs/missing-document")
    assert explain.returncode == 0, explain.stderr
    page = (REPO / "checks" / "docs" / "missing-document.md").read_text(encoding="utf-8")
    assert explain.stdout.startswith("docs/missing-document")
    assert "## Why it matters" in explain.stdout
    assert page.split("## Why it matters", 1)[1].strip().splitlines()[0] in explain.stdout

    rules = installed.run("rules")
    assert rules.returncode == 0, rules.stderr
    listed = {line.split()[0] for line in rules.stdout.splitlines() if line.strip()}
    assert listed == {f"{p.parent.name}/{p.stem}" for p in (REPO / "checks").glob("*/*.md")}


def test_installed_tool_checks_the_bundled_example(installed: Installed, tmp_path: Path) -> None:
    demo = tmp_path / "demo"
    shutil.copytree(REPO / "examples" / "demo", demo)
    # An offline OSV directory (one unrelated advisory) keeps the dependency audit off the network.
    osv = tmp_path / "osv"
    osv.mkdir()
    (osv / "PYSEC-0000-0001.json").write_text(json.dumps({
        "schema_version": "1.6.0", "id": "PYSEC-0000-0001", "modified": "2026-01-01T00:00:00Z",
        "summary": "unrelated", "affected": [{"package": {"ecosystem": "PyPI",
                                                          "name": "no-such-package-readiness-test"},
                                              "versions": ["1.0"]}]}), encoding="utf-8")
    done = installed.run("check", str(demo), "--format", "json", "--fail-on", "never", "--offline-db", str(osv))
    assert done.returncode == 0, done.stderr + done.stdout[-2000:]
    report = json.loads(done.stdout)
    assert report["schema_version"] == 1
    assert report["verdict"] == "pass"
    assert [g["id"] for g in report["gates"]] == ["migrations", "deps", "config", "docs", "checklist"]
    assert report["score"]["rubric"]["version"] == 1, "the demo's checklist gives the report a scorecard"
    assert all(g["status"] != "error" for g in report["gates"]), report["gates"]


def test_installed_tool_publishes_a_report_with_the_shipped_schema(installed: Installed, tmp_path: Path) -> None:
    """`readiness publish` from the wheel: the report schema is read from the installed package; with no
    token nothing is posted, and the report's verdict is the exit code."""
    report = json.loads(installed.run("check", str(REPO / "examples" / "demo"), "--format", "json", "--gates", "docs",
                                      "--fail-on", "never").stdout)
    sha = "1" * 40
    report["head"] = sha
    (tmp_path / "report.json").write_text(json.dumps(report), encoding="utf-8")
    (tmp_path / "event.json").write_text(json.dumps({"workflow_run": {"head_sha": sha, "event": "pull_request",
                                                                      "pull_requests": []}}), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "GITHUB_", "INPUT_"))}
    env.update(GITHUB_EVENT_NAME="workflow_run", GITHUB_EVENT_PATH=str(tmp_path / "event.json"),
               GITHUB_WORKSPACE=str(tmp_path), GITHUB_REPOSITORY="octo-org/demo", NO_COLOR="1")
    done = subprocess.run([str(installed.venv / "bin" / "readiness"), "publish", str(tmp_path / "report.json")],
                          cwd=installed.cwd, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr + done.stdout
    assert "publishing the pass report of 111111111111" in done.stdout
    assert "no GitHub token" in done.stdout
    report["findings"] = [{"bogus": True}]
    (tmp_path / "report.json").write_text(json.dumps(report), encoding="utf-8")
    done = subprocess.run([str(installed.venv / "bin" / "readiness"), "publish", str(tmp_path / "report.json")],
                          cwd=installed.cwd, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2 and "does not match the report schema at findings/0" in done.stderr
