"""The `checklist` gate: the team's readiness checklist as code, every item owned, with a status and
evidence that holds; it feeds the pillar scorecard (`readiness.score`)."""

from readiness.gates.checklist.gate import GATE

RULE_MODULES = ("readiness.gates.checklist.rules",)

__all__ = ["GATE", "RULE_MODULES"]
