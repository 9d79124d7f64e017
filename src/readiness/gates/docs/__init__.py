"""The `docs` gate: ADR / runbook presence and quality, alerts need runbooks, change-triggered docs."""

from readiness.gates.docs.gate import GATE

RULE_MODULES = ("readiness.gates.docs.rules",)

__all__ = ["GATE", "RULE_MODULES"]
