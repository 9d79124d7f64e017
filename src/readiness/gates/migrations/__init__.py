"""The `migrations` gate. Not implemented in this version: it reports `skipped` and says so."""

from __future__ import annotations

from readiness.gates.base import GateContext, GateOutcome
from readiness.model import GateId


class _PendingGate:
    id = GateId("migrations")

    def run(self, ctx: GateContext) -> GateOutcome:
        return GateOutcome(skipped="this gate is not available in readiness-gates 0.1.0 yet; nothing was checked")


GATE = _PendingGate()
