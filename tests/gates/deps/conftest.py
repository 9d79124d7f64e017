"""Fixtures of the deps gate tests: the shared OSV snapshot and a one-call gate runner."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from readiness.config import Config
from readiness.engine import RunOptions, run
from readiness.model import FailOn, GateResult, Report

OSV = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "osv-pypi"

RunDeps = Callable[..., tuple[Report, GateResult]]


@pytest.fixture(scope="session")
def osv_dir() -> Path:
    """../shared/data/osv-pypi (the tests are meaningless without it: skip, saying so)."""
    if not OSV.is_dir():
        pytest.skip("../shared/data/osv-pypi is not beside the repository")
    return OSV


def write_tree(root: Path, files: dict[str, str]) -> None:
    """Create `files` (relative path -> text) under `root`."""
    for rel, text in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


@pytest.fixture
def run_deps(tmp_path: Path, osv_dir: Path) -> RunDeps:
    """Write files, run only the deps gate (offline against the shared snapshot unless told otherwise)."""

    def _run(files: dict[str, str], *, settings: dict[str, Any] | None = None, offline: bool = True,
             root: Path | None = None, **options: Any) -> tuple[Report, GateResult]:
        where = root or tmp_path
        write_tree(where, files)
        config = Config(gates={"deps": dict(settings or {})})
        report = run(RunOptions(root=where, config=config, fail_on=FailOn.CRITICAL, gates=("deps",),
                                offline_db=osv_dir if offline else None, **options))
        gate = next(g for g in report.gates if g.gate == "deps")
        return report, gate

    return _run
