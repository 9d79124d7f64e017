"""Rules about data changes: DELETE without WHERE (delete-all-rows), an UPDATE of every row in one
statement (unbatched-backfill), and a data change in the same transaction as a schema change,
which holds the schema change's lock until the data change ends (mixed-data-and-schema)."""

from __future__ import annotations

from collections.abc import Iterable

from readiness.gates.migrations import rules as R
from readiness.gates.migrations.checks.registry import Hit, hit, observe, on, whole
from readiness.gates.migrations.ops import Action, Op
from readiness.gates.migrations.ops import Flag as F
from readiness.gates.migrations.walk import Walk

A = Action
_DDL_LOCKING = frozenset({
    A.ADD_COLUMN, A.DROP_COLUMN, A.ALTER_TYPE, A.SET_NOT_NULL, A.ADD_CONSTRAINT, A.RENAME_COLUMN, A.RENAME_TABLE,
    A.CREATE_INDEX, A.DROP_INDEX, A.REWRITE, A.LOCK_TABLE, A.TRUNCATE, A.ALTER_OTHER, A.DROP_TABLE, A.DROP_DEFAULT,
    A.DETACH_PARTITION, A.REFRESH_MATVIEW, A.RENAME_OBJECT, A.SET_SCHEMA, A.SET_DEFAULT, A.DROP_NOT_NULL,
    A.DROP_CONSTRAINT,
})
"""Schema changes whose lock a data change in the same transaction holds on to."""
_DATA = frozenset({A.UPDATE, A.DELETE, A.INSERT_SELECT})


@on(A.DELETE)
def delete_all_rows(op: Op, walk: Walk) -> Iterable[Hit]:
    """delete-all-rows."""
    if F.WHERE in op.flags:
        return ()
    return [hit(R.DELETE_ALL, op, f"DELETE without WHERE removes every row of {op.table} in one transaction.")]


@on(A.UPDATE)
def unbatched_backfill(op: Op, walk: Walk) -> Iterable[Hit]:
    """unbatched-backfill."""
    if F.WHERE in op.flags:
        return ()
    return [hit(R.BACKFILL, op, f"UPDATE of every row of {op.table} in one statement holds row locks on the whole "
                "table and bloats it; backfill in batches instead.")]


@observe(_DDL_LOCKING | _DATA)
def schema_then_data(op: Op, walk: Walk) -> None:
    """Per transaction, the first lock-taking schema change on an existing table and the first data
    change after it (only DDL taken before a data change is held through it)."""
    txn = walk.txn
    if txn is None or walk.new or not op.table:
        return
    a = op.action
    weak_lock = a is A.LOCK_TABLE and not (op.lock and op.lock.blocks_writes)
    if a in _DDL_LOCKING and F.CONCURRENTLY not in op.flags and not weak_lock:
        walk.ddl_in_txn.setdefault(txn, op)
    if a in _DATA and txn in walk.ddl_in_txn:
        walk.data_in_txn.setdefault(txn, op)


@whole
def mixed_data_and_schema(walk: Walk) -> Iterable[Hit]:
    """mixed-data-and-schema, once per transaction."""
    out = []
    for txn, d in walk.data_in_txn.items():
        s = walk.ddl_in_txn.get(txn)
        if s is None:
            continue
        out.append(hit(R.MIXED, d, f"{d.action.replace('_', ' ').upper()} on {d.table} runs in the same transaction "
                       f"as the schema change on {s.table} (line {s.line}), so that change's lock is held until the "
                       "data change ends."))
    return out
