"""The `config` gate: config files against JSON Schemas (file:line:column), environment drift,
dotenv files against an env schema, plaintext secrets, YAML hazards."""

from readiness.gates.config.gate import GATE

RULE_MODULES = ("readiness.gates.config.rules",)

__all__ = ["GATE", "RULE_MODULES"]
