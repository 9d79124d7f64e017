"""The registry of migration checks: one function per rule, registered for the operations it judges.

A check is a function `(op, walk) -> Iterable[Hit]` registered with `@on(Action.X, ...)` for the
operation kinds it judges, in one of four phases that run in this order for each operation:

* `Phase.ADVISORY`: rules about what the operation creates (names, column types); every operation,
  new table or not;
* `Phase.EARLY`: rules about the operation's place in the migration that always apply;
* `Phase.PLACEMENT`: rules that make the statement fail where it runs (CONCURRENTLY in a
  transaction, SQL that cannot be read); when one of them hits, the table rules are not run;
* `Phase.TABLE` (the default): rules about what the operation does to an existing table or object;
  skipped for a table created earlier in the same migration (no rows, no readers yet).

`@observe(...)` registers a function `(op, walk) -> None` that runs first for each operation and
keeps the bookkeeping a whole-migration rule needs (in `Walk`). `@whole` registers a function
`(walk) -> Iterable[Hit]` that runs once, after the last operation.

The actions registered here (and those `need` declares) decide which SQL statements get a parse
tree: `tree_test` in checks/__init__.py, from `pgtree.HEADS`.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from readiness.gates.migrations import rules as R
from readiness.gates.migrations.ops import Action, Op
from readiness.gates.migrations.walk import Walk
from readiness.model import Confidence, Finding, Location, RiskClass
from readiness.rules.catalog import RuleHandle


@dataclass(frozen=True, slots=True, kw_only=True)
class Hit:
    """One rule broken by one operation."""

    rule: RuleHandle
    risk: RiskClass
    message: str
    op: Op
    confidence: Confidence | None = None
    """None: the confidence the rule's page states; set when this hit knows better (a heuristic rule
    that is certain this time because the column's old type is known, or the reverse)."""
    path: str | None = None
    """Set when the hit is in another file than the migration (its down file)."""
    lock: str | None = None
    """The lock this hit takes when it differs from its page's `lock:` (e.g. LOCK TABLE's mode)."""

    def to_finding(self, path: str) -> Finding:
        """The finding, in migration `path` (or the file the hit names), at the operation's place."""
        op = self.op
        evidence = f"{op.evidence}|{op.table}|{op.column}|{op.shown()}"
        return self.rule.finding(Location(path=self.path or path, line=op.line, column=op.col, end_line=op.end_line),
                                 message=self.message, evidence=evidence, severity=self.risk.severity,
                                 confidence=self.confidence)


def hit(handle: RuleHandle, op: Op, message: str, confidence: Confidence | None = None, *,
        risk: RiskClass | None = None, lock: str | None = None) -> Hit:
    """A hit of `handle` at `op`, at the risk its page states unless `risk` says otherwise."""
    return Hit(rule=handle, risk=risk or R.risk_of(handle), op=op, message=message, confidence=confidence,
               lock=lock)


class Phase(enum.IntEnum):
    """When a check runs for an operation (see the module's docstring)."""

    ADVISORY = 0
    EARLY = 1
    PLACEMENT = 2
    TABLE = 3


OpCheck = Callable[[Op, Walk], Iterable[Hit]]
Observer = Callable[[Op, Walk], None]
WholeCheck = Callable[[Walk], Iterable[Hit]]
Plan = tuple[tuple[Observer, ...], tuple[OpCheck, ...], tuple[OpCheck, ...], tuple[OpCheck, ...]]
"""What runs for one action: observers, advisory and early checks, placement checks, table checks."""

EVERY = frozenset(Action)
"""Register for every operation kind (a rule about flags or placement, not about one action)."""


class Registry:
    """Every registered check, indexed by phase and action for dispatch."""

    def __init__(self) -> None:
        self.checks: dict[Phase, dict[Action, list[OpCheck]]] = {p: {} for p in Phase}
        self.observers: dict[Action, list[Observer]] = {}
        self.whole: list[WholeCheck] = []
        self._plan: dict[Action, Plan] | None = None
        self.needs: set[Action] = set()
        """Actions read outside the checks (the schema walk, the gate's reversibility)."""

    def plan(self) -> dict[Action, Plan]:
        """Per action, the functions to run in order: observers, advisory and early checks,
        placement checks, table checks (built once, after every module has registered)."""
        if self._plan is None:
            by = self.checks
            self._plan = {a: (tuple(self.observers.get(a, ())),
                              (*by[Phase.ADVISORY].get(a, ()), *by[Phase.EARLY].get(a, ())),
                              tuple(by[Phase.PLACEMENT].get(a, ())), tuple(by[Phase.TABLE].get(a, ())))
                          for a in Action}
        return self._plan

    def actions(self) -> frozenset[Action]:
        """Every action some check, observer or other reader needs (so its statements get a tree)."""
        out: set[Action] = set(self.observers) | self.needs
        for by_action in self.checks.values():
            out.update(a for a, fns in by_action.items() if fns)
        return frozenset(out)


REGISTRY = Registry()


def on(*actions: Action | frozenset[Action], phase: Phase = Phase.TABLE) -> Callable[[OpCheck], OpCheck]:
    """Register a check for operations of these kinds (`EVERY` for all)."""
    kinds = _kinds(actions)

    def register(fn: OpCheck) -> OpCheck:
        for a in kinds:
            REGISTRY.checks[phase].setdefault(a, []).append(fn)
        REGISTRY._plan = None
        return fn
    return register


def observe(*actions: Action | frozenset[Action]) -> Callable[[Observer], Observer]:
    """Register bookkeeping that runs first for operations of these kinds."""
    kinds = _kinds(actions)

    def register(fn: Observer) -> Observer:
        for a in kinds:
            REGISTRY.observers.setdefault(a, []).append(fn)
        REGISTRY._plan = None
        return fn
    return register


def need(*actions: Action) -> None:
    """Declare actions read outside the checks, so that their statements get a parse tree."""
    REGISTRY.needs.update(actions)


def whole(fn: WholeCheck) -> WholeCheck:
    """Register a check of the whole migration (run once, after its last operation)."""
    REGISTRY.whole.append(fn)
    return fn


def _kinds(actions: tuple[Action | frozenset[Action], ...]) -> list[Action]:
    out: list[Action] = []
    for a in actions:
        out.extend(sorted(a) if isinstance(a, frozenset) else [a])
    return out
