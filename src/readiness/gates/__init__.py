"""The four gates, imported lazily: a run pays only for the gates it runs."""

from __future__ import annotations

import importlib

from readiness.gates.base import Gate
from readiness.model import GATE_IDS

MODULES = {gate: f"readiness.gates.{gate}" for gate in GATE_IDS}


def load(gate_id: str) -> Gate:
    """The gate object of `gate_id` (each gate package exposes `GATE`)."""
    module = importlib.import_module(MODULES[gate_id])
    gate: Gate = module.GATE
    return gate
