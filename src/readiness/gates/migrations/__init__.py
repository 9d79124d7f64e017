"""The `migrations` gate: classifies each migration low/medium/high/critical/avoid (see gate.py)."""

from readiness.gates.migrations.gate import GATE

RULE_MODULES = ("readiness.gates.migrations.rules", "readiness.gates.migrations.checks")

__all__ = ["GATE", "RULE_MODULES"]
