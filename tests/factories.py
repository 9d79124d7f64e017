"""Test factories for the model's values: one place that knows how a Finding and a Report are
built, so tests state only what matters to them (importable from any test: tests/ is on sys.path)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from readiness.config import Config
from readiness.gates.base import GateContext
from readiness.model import (
    Confidence,
    FailOn,
    Finding,
    GateId,
    GateResult,
    GateStatus,
    Location,
    Report,
    RuleId,
    Severity,
    Waiver,
    fingerprint,
)
from readiness.workspace import Workspace
from readiness.workspace.changes import ChangeSet

FOUR_GATES = ("migrations", "deps", "config", "docs")


def finding(rule: str = "docs/missing-document", severity: Severity = Severity.HIGH, *, path: str = "a.md",
            line: int | None = 1, column: int | None = None, end_line: int | None = None,
            end_column: int | None = None, message: str = "m", fix: str | None = "f",
            evidence: str = "e", fp: str | None = None, introduced: bool = True, waiver: Waiver | None = None,
            confidence: Confidence = Confidence.CERTAIN) -> Finding:
    """A finding; its fingerprint comes from (rule, path, evidence) unless `fp` is given."""
    return Finding(rule=RuleId(rule), severity=severity,
                   location=Location(path=path, line=line, column=column, end_line=end_line, end_column=end_column),
                   message=message, fix=fix, fingerprint=fp or fingerprint(rule, path, evidence),
                   introduced=introduced, waiver=waiver, confidence=confidence)


def report(*findings: Finding, fail_on: FailOn = FailOn.CRITICAL, gates: Iterable[str] = FOUR_GATES,
           errors: Mapping[str, str] | None = None, errored_fail: Iterable[str] = (),
           scope_all: Iterable[str] = (), version: str = "0.1.0", duration_ms: float = 1.0) -> Report:
    """A report with each finding under its own gate (status PASS; `errors` makes a gate ERROR)."""
    results = []
    for gid in gates:
        if errors and gid in errors:
            results.append(GateResult(gate=GateId(gid), status=GateStatus.ERROR, duration_ms=duration_ms,
                                      error=errors[gid]))
            continue
        results.append(GateResult(gate=GateId(gid), status=GateStatus.PASS, duration_ms=duration_ms,
                                  findings=tuple(f for f in findings if f.gate == gid)))
    return Report(version=version, fail_on=fail_on, base=None, head=None, gates=tuple(results),
                  errored_gates_fail=tuple(GateId(g) for g in errored_fail),
                  scope_all_gates=tuple(GateId(g) for g in scope_all))


def gate_context(root: Path, gate: str, settings: Mapping[str, object] | None = None, *,
                 changes: ChangeSet | None = None) -> GateContext:
    """What the engine gives one gate: its settings go through Config, where they are typed."""
    config = Config(gates={gate: dict(settings or {})})
    return GateContext(workspace=Workspace(root), config=config, changes=changes,
                       gate=gate)


def write_file(root: Path, rel: str, data: str | bytes) -> Path:
    """Create one file (and its parent directories) under `root`: bytes as given, text as UTF-8."""
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")
    return path
