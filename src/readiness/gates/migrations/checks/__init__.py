"""The migration checks: one module per family of rules, each rule one function registered for
the operations it judges (registry.py says how). Importing this package registers them all: the
families below in this order (the order findings of one statement are listed in), then any other
module of the package, by name (a rule added with scripts/new_rule.py)."""

from __future__ import annotations

import importlib
import pkgutil

from readiness.gates.migrations.checks.registry import (
    EVERY,
    REGISTRY,
    Hit,
    Phase,
    Registry,
    hit,
    observe,
    on,
    whole,
)

FAMILIES = ("advisory", "placement", "columns", "constraints", "indexes", "tables", "objects", "data",
            "transaction_control", "locks")
"""The families of rules, in the order their findings are listed; whole-migration checks run in
this order too."""

__all__ = ["EVERY", "FAMILIES", "REGISTRY", "Hit", "Phase", "Registry", "hit", "observe", "on", "whole"]


def _load() -> None:
    extra = sorted(m.name for m in pkgutil.iter_modules(__path__)
                   if m.name not in FAMILIES and m.name != "registry" and not m.name.startswith("_"))
    for name in (*FAMILIES, *extra):
        importlib.import_module(f"{__name__}.{name}")


_load()
