"""The `docs` gate: required operational documents exist."""

from readiness.gates.docs.gate import GATE

__all__ = ["GATE"]
