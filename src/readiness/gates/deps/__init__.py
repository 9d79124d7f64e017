"""The `deps` gate: dependency audit (see gate.py). Heavy modules load only when the gate runs."""

from __future__ import annotations

from readiness.gates.deps.gate import DepsGate

GATE = DepsGate()
