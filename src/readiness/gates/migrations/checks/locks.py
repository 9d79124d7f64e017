"""missing-lock-timeout: the first statement that waits for a traffic-blocking lock on an existing
relation while no lock_timeout is set (once per migration); `traffic_lock` says which locks block
traffic, and is what replay and other readers ask too."""

from __future__ import annotations

from collections.abc import Iterable

from readiness.gates.migrations import rules as R
from readiness.gates.migrations.checks.registry import Hit, observe, whole
from readiness.gates.migrations.ops import Action, ConstraintKind, ObjectKind, Op
from readiness.gates.migrations.ops import Flag as F
from readiness.gates.migrations.walk import Walk

A = Action
K = ObjectKind
AE = "ACCESS EXCLUSIVE"
LOCKING = frozenset({
    A.ADD_COLUMN, A.DROP_COLUMN, A.ALTER_TYPE, A.SET_NOT_NULL, A.DROP_NOT_NULL, A.SET_DEFAULT, A.DROP_DEFAULT,
    A.RENAME_COLUMN, A.RENAME_TABLE, A.DROP_TABLE, A.TRUNCATE, A.REWRITE, A.DROP_CONSTRAINT, A.ALTER_OTHER,
    A.ADD_CONSTRAINT, A.CREATE_INDEX, A.DROP_INDEX, A.REINDEX, A.REFRESH_MATVIEW, A.DETACH_PARTITION, A.LOCK_TABLE,
    A.RENAME_OBJECT, A.SET_SCHEMA, A.DROP_OBJECT, A.CREATE_TRIGGER, A.CREATE_OBJECT,
})
"""The operations `traffic_lock` can find a traffic-blocking lock in."""


@observe(LOCKING)
def first_unprotected_lock(op: Op, walk: Walk) -> None:
    """Remember the first traffic-blocking lock taken on an existing relation without a lock_timeout."""
    if walk.unprotected is not None or walk.timeout_set or op.action is A.SET_LOCK_TIMEOUT or walk.new:
        return
    if op.action is A.DROP_OBJECT and walk.made.created(op.kind, op.column):
        return
    lock = traffic_lock(op)
    if lock is not None:
        walk.unprotected = (op, lock)


@whole
def missing_lock_timeout(walk: Walk) -> Iterable[Hit]:
    """missing-lock-timeout, at the first statement that waits unprotected."""
    if not walk.ctx.require_lock_timeout or walk.unprotected is None:
        return ()
    op, (mode, target) = walk.unprotected
    return [Hit(rule=R.LOCK_TIMEOUT, risk=R.risk_of(R.LOCK_TIMEOUT), op=op, lock=mode,
                message=(f"This statement waits for {mode} lock on {target} with no lock_timeout set, so while it "
                         "waits every later query on the table queues behind it."))]


_AE_ACTIONS = frozenset({
    A.ADD_COLUMN, A.DROP_COLUMN, A.ALTER_TYPE, A.SET_NOT_NULL, A.DROP_NOT_NULL, A.SET_DEFAULT, A.DROP_DEFAULT,
    A.RENAME_COLUMN, A.RENAME_TABLE, A.DROP_TABLE, A.TRUNCATE, A.REWRITE, A.DROP_CONSTRAINT, A.ALTER_OTHER
})
"""Table operations that take ACCESS EXCLUSIVE (no reads, no writes) however briefly."""
_WEAK_ALTERS = frozenset({"AT_SetStatistics", "AT_ClusterOn", "AT_DropCluster", "AT_SetRelOptions",
                          "AT_ResetRelOptions", "AT_SetOptions", "AT_ResetOptions", "AT_SetCompression",
                          "AT_AttachPartition", "AT_ReplicaIdentity", "AT_ChangeOwner"})
"""ALTER TABLE subcommands whose lock lets reads and writes go on (SHARE UPDATE EXCLUSIVE or less)."""
_TRIGGER_ALTERS = ("AT_EnableTrig", "AT_DisableTrig", "AT_EnableAlwaysTrig", "AT_EnableReplicaTrig")
"""ALTER TABLE ... ENABLE/DISABLE TRIGGER: SHARE ROW EXCLUSIVE (blocks writes)."""
_RELATION_KINDS = frozenset({K.VIEW, K.MATVIEW, K.SEQUENCE, K.TABLE, K.FOREIGN_TABLE})


def traffic_lock(op: Op) -> tuple[str, str] | None:
    """(lock, on what) when `op` takes a lock that blocks reads or writes of an existing relation,
    and so queues behind a long transaction and holds every later query on it behind itself while
    it waits: ACCESS EXCLUSIVE, EXCLUSIVE, SHARE ROW EXCLUSIVE or SHARE. None for what lets traffic
    through (CONCURRENTLY, VALIDATE CONSTRAINT, plain DML) or names no relation."""
    a, f = op.action, op.flags
    t = op.table
    if a is A.ALTER_OTHER and (op.detail in _WEAK_ALTERS or not t):
        return None
    if a is A.ALTER_OTHER and op.detail.startswith(_TRIGGER_ALTERS):
        return "SHARE ROW EXCLUSIVE", str(t)
    if a in _AE_ACTIONS and t:
        return AE, t
    if a is A.ADD_CONSTRAINT and t:
        return ("SHARE ROW EXCLUSIVE", t) if op.constraint is ConstraintKind.FOREIGN else (AE, t)
    if a is A.ADD_COLUMN and F.REFERENCES in f and t:
        return AE, t
    if a is A.CREATE_INDEX and F.CONCURRENTLY not in f and t:
        return "SHARE", t
    if a in (A.DROP_INDEX, A.REINDEX) and F.CONCURRENTLY not in f:
        if t:
            return "SHARE", t
        return (AE if a is A.DROP_INDEX else "ACCESS EXCLUSIVE"), f"the table of index {op.column}"
    if a in (A.REFRESH_MATVIEW, A.DETACH_PARTITION) and F.CONCURRENTLY not in f and t:
        return AE, t
    if a is A.LOCK_TABLE and op.lock and op.lock.blocks_writes and t:
        return op.lock.value, t
    if a in (A.RENAME_OBJECT, A.SET_SCHEMA) and t and op.kind in _RELATION_KINDS:
        return AE, t
    if a is A.DROP_OBJECT and op.kind in _RELATION_KINDS and op.column:
        return AE, op.column
    if a is A.DROP_OBJECT and op.kind in (K.TRIGGER, K.RULE, K.POLICY) and op.column and "." in op.column:
        return AE, op.column.rsplit(".", 1)[0]
    if a is A.CREATE_TRIGGER and t:
        return "SHARE ROW EXCLUSIVE", t
    if a is A.CREATE_OBJECT and F.OR_REPLACE in f and op.kind in (K.VIEW, K.MATVIEW) and op.column:
        return AE, op.column
    if a is A.CREATE_OBJECT and op.kind is K.RULE and t:
        return AE, t
    return None
