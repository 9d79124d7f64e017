"""The migration checks: one module per family of rules, each rule one function registered for
the operations it judges (registry.py says how). Importing this package registers them all: the
families below in this order (the order findings of one statement are listed in), then any other
module of the package, by name (a rule added with scripts/new_rule.py)."""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable

from readiness.gates.migrations.checks.registry import (
    EVERY,
    REGISTRY,
    Hit,
    Phase,
    Registry,
    hit,
    need,
    observe,
    on,
    whole,
)

FAMILIES = ("advisory", "placement", "columns", "constraints", "indexes", "tables", "objects", "data",
            "transaction_control", "locks")
"""The families of rules, in the order their findings are listed; whole-migration checks run in
this order too."""

__all__ = ["EVERY", "FAMILIES", "REGISTRY", "Hit", "Phase", "Registry", "hit", "need", "observe", "on", "tree_test",
           "whole"]


def _load() -> None:
    here = os.path.dirname(__file__)  # not pkgutil: ~1 ms to import, for a directory listing
    names = {n[:-3] for n in os.listdir(here) if n.endswith(".py")}
    extra = sorted(n for n in names if n not in FAMILIES and n != "registry" and not n.startswith("_"))
    for name in (*FAMILIES, *extra):
        importlib.import_module(f"{__name__}.{name}")


_load()


def tree_test() -> Callable[[str], bool]:
    """Whether a statement needs its parse tree: it can give an action some registered check, the
    schema walk or the gate reads (`pgtree.HEADS` says which statements give which action)."""
    from readiness.gates.migrations.pgtree import tree_test as heads_test
    from readiness.gates.migrations.walk import READS

    return heads_test(REGISTRY.actions() | READS)
