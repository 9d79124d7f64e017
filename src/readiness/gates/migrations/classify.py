"""Judge a migration's operations: which rule each one breaks, at what risk, under which lock.

The judge is a short loop over the operations: `Walk.step` moves the schema state to the operation
(transaction, session settings, what this migration created, what is known of the table), the
checks registered for its action run (checks/registry.py: advisory, early, placement, then table
rules), and `Walk.after` applies the operation to the state. Whole-migration checks run at the end.
`large_tables`: size-dependent rules (rules.ESCALATING) go one class up on those tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from readiness.gates.migrations import rules as R
from readiness.gates.migrations.checks import REGISTRY, Hit
from readiness.gates.migrations.checks.columns import binary_compatible
from readiness.gates.migrations.checks.locks import traffic_lock
from readiness.gates.migrations.ops import Op
from readiness.gates.migrations.transactions import TxMode, transactions
from readiness.gates.migrations.walk import Context, Walk, key, unqualified

__all__ = ["Context", "Hit", "TxMode", "binary_compatible", "judge", "traffic_lock", "transactions"]


def judge(ops: Sequence[Op], ctx: Context, *, statements: int | None = None) -> list[Hit]:
    """Every rule hit of one migration's operations, in order."""
    n = statements if statements is not None else len({(o.line, o.col) for o in ops})
    walk = Walk(ops, ctx, n)
    plan = REGISTRY.plan()
    hits: list[Hit] = []
    for i in range(len(ops)):
        op = walk.step(i)
        watch, first, placement, table_checks = plan[op.action]
        for observer in watch:
            observer(op, walk)
        for check in first:  # advisory and early: every operation, new table or not
            hits.extend(check(op, walk))
        if placement:
            before = len(hits)
            for check in placement:
                hits.extend(check(op, walk))
            if len(hits) != before:  # a statement that fails where it runs goes no further
                walk.after(op)
                continue
        if table_checks and not walk.new:
            for check in table_checks:
                hits.extend(check(op, walk))
        walk.after(op)
    for check_all in REGISTRY.whole:
        hits.extend(check_all(walk))
    return [_escalate(h, ctx) for h in hits] if ctx.large else hits


def _escalate(hit: Hit, ctx: Context) -> Hit:
    if hit.rule.id not in R.ESCALATING:
        return hit
    table = hit.op.table
    if not table:
        return hit
    rows = None
    for cand in (key(table), unqualified(table), table):
        if cand in ctx.large:
            rows = ctx.large[cand]
            break
    else:
        return hit
    new_risk = R.escalate(hit.risk)
    size = f"{rows:,} rows" if rows is not None else "listed in large_tables"
    return replace(hit, risk=new_risk, message=f"{hit.message.rstrip('.')} ({table} is a large table: {size}).")
