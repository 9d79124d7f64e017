"""Rules about indexes: building, dropping or rebuilding one without CONCURRENTLY
(create-index-non-concurrently, drop-index-non-concurrently, reindex-non-concurrently)."""

from __future__ import annotations

from collections.abc import Iterable

from readiness.gates.migrations import rules as R
from readiness.gates.migrations.checks.registry import Hit, hit, on
from readiness.gates.migrations.ops import Action, ObjectKind, Op
from readiness.gates.migrations.ops import Flag as F
from readiness.gates.migrations.walk import Walk, unqualified

A = Action


@on(A.CREATE_INDEX)
def create_index_non_concurrently(op: Op, walk: Walk) -> Iterable[Hit]:
    """create-index-non-concurrently: the build blocks every write to the table."""
    if F.CONCURRENTLY in op.flags:
        return ()
    t, c = op.table, op.column
    kind = "unique index" if F.UNIQUE in op.flags else "index"
    if c and c.endswith(" index"):  # Django's implicit index of a field: "<column> index"
        what = f"the {kind} of {t}.{c[:-6]}"
    else:
        what = f"{kind} {c or ''} on {t}"
    return [hit(R.CREATE_INDEX, op, f"Creating {what} without CONCURRENTLY takes a SHARE "
                f"lock that blocks every write to {t} until the build ends.".replace("  ", " "))]


@on(A.DROP_INDEX)
def drop_index_non_concurrently(op: Op, walk: Walk) -> Iterable[Hit]:
    """drop-index-non-concurrently, unless the index was created in this migration."""
    c = op.column
    if F.CONCURRENTLY in op.flags or unqualified(c) in walk.made.indexes:
        return ()
    what = f"index {c}" if c else "an index"
    return [hit(R.DROP_INDEX, op, f"Dropping {what} without CONCURRENTLY takes an ACCESS EXCLUSIVE lock "
                "on its table, blocking reads and writes.")]


@on(A.REINDEX)
def reindex_non_concurrently(op: Op, walk: Walk) -> Iterable[Hit]:
    """reindex-non-concurrently (REINDEX SYSTEM has no CONCURRENTLY form at all)."""
    if op.kind is ObjectKind.SYSTEM:
        return [hit(R.REINDEX, op, "REINDEX SYSTEM rebuilds every system catalog index, blocking each catalog "
                    "while it runs (and with it most queries); catalogs have no CONCURRENTLY form.")]
    if F.CONCURRENTLY in op.flags:
        return ()
    where = (op.table or op.column or "").strip()
    return [hit(R.REINDEX, op, f"REINDEX {(op.kind or '').upper()} {where} without CONCURRENTLY blocks writes to "
                "the table (and reads that use the index) until it finishes.".replace("  ", " "))]
