"""Helpers for the config gate tests: run the gate on a fixture repository or a tmp one."""

from __future__ import annotations

from pathlib import Path

from factories import write_file
from readiness.config import Config, load_config
from readiness.gates.base import GateContext, GateOutcome
from readiness.gates.config import GATE
from readiness.workspace import Workspace

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "config"


def run_gate(root: Path, config: Config | None = None) -> GateOutcome:
    """Run the config gate on `root` (its `.readiness.yml` when present and no config is given)."""
    if config is None:
        path = root / ".readiness.yml"
        config = load_config(path, display=".readiness.yml") if path.exists() else Config()
    ws = Workspace(root, max_file_bytes=config.max_file_bytes, exclude=config.exclude)
    return GATE.run(GateContext(workspace=ws, config=config))


def located(outcome: GateOutcome, rule: str | None = None) -> list[tuple[str, str, int | None, int | None]]:
    """(rule, path, line, column) of each finding, sorted."""
    rows = [(f.rule, f.location.path, f.location.line, f.location.column) for f in outcome.findings
            if rule is None or f.rule == rule]
    return sorted(rows, key=lambda r: (r[1], r[2] or 0, r[3] or 0, r[0]))


def write(root: Path, files: dict[str, str | bytes]) -> Path:
    """Create files under `root`."""
    for rel, body in files.items():
        write_file(root, rel, body)
    return root
