"""Rules about whole tables: renaming, dropping or emptying one (rename-table, drop-table,
truncate-table), rewriting one (rewrite-table), locking one (lock-table), detaching a partition and
refreshing a materialized view without CONCURRENTLY, and redirecting its writes with a DO INSTEAD
rule (create-rule)."""

from __future__ import annotations

from collections.abc import Iterable

from readiness.gates.migrations import rules as R
from readiness.gates.migrations.checks.registry import Hit, hit, on
from readiness.gates.migrations.ops import Action, LockMode, ObjectKind, Op
from readiness.gates.migrations.ops import Flag as F
from readiness.gates.migrations.walk import Walk
from readiness.model import RiskClass

A = Action
K = ObjectKind
AE = "ACCESS EXCLUSIVE"


def gap(when: str | None, what: str) -> str:
    """The tail of a message when what replaces an object comes only in a later transaction."""
    if when != "later":
        return ""
    return f"; {what} only in a later transaction, so queries in between fail"


@on(A.RENAME_TABLE)
def rename_table(op: Op, walk: Walk) -> Iterable[Hit]:
    """rename-table, unless a view of the old name replaces it in the same transaction."""
    t = op.table
    again = walk.recreated(K.VIEW, t)
    if again == "same":
        return ()
    tail = gap(again, "the view that replaces it is created")
    return [hit(R.RENAME_TABLE, op, f"Renaming table {t} to {op.new_name} takes an ACCESS EXCLUSIVE lock and "
                f"breaks running code that still queries {t}{tail}.")]


@on(A.DROP_TABLE)
def drop_table(op: Op, walk: Walk) -> Iterable[Hit]:
    """drop-table."""
    return [hit(R.DROP_TABLE, op, f"Dropping table {op.table} deletes its data for good; it takes an ACCESS "
                "EXCLUSIVE lock and breaks running code that uses it.")]


@on(A.DROP_OBJECT)
def drop_schema(op: Op, walk: Walk) -> Iterable[Hit]:
    """drop-table, for a schema or database: every table in it goes; for DROP OWNED BY, every table
    the role owns (the migration's own role, typically: that is every table it ever created)."""
    c = op.column
    if walk.made.surely_created(op.kind, c):
        return ()
    if op.kind is K.ROLE and op.detail == "OWNED":
        return [hit(R.DROP_TABLE, op, f"DROP OWNED BY {c} drops every table owned by {c}, and every other object "
                    "they own, deleting their data for good.", lock=AE)]
    if op.kind not in (K.SCHEMA, K.DATABASE):
        return ()
    return [hit(R.DROP_TABLE, op, f"Dropping {op.kind} {c} deletes every table in it for good.")]


@on(A.TRUNCATE)
def truncate_table(op: Op, walk: Walk) -> Iterable[Hit]:
    """truncate-table."""
    casc = " and, with CASCADE, every table referencing it" if F.CASCADE in op.flags else ""
    return [hit(R.TRUNCATE, op, f"TRUNCATE {op.table} deletes all of its rows{casc} under an ACCESS EXCLUSIVE "
                "lock.")]


@on(A.CREATE_OBJECT)
def create_rule(op: Op, walk: Walk) -> Iterable[Hit]:
    """create-rule: DO INSTEAD on an existing table rewrites everyone's writes to it (its actions,
    DO ALSO or INSTEAD, are judged as the statements they are)."""
    if op.kind is not K.RULE or F.INSTEAD not in op.flags or op.detail not in ("INSERT", "UPDATE", "DELETE"):
        return ()
    t = op.table
    if op.detail == "DELETE":
        return [hit(R.CREATE_RULE, op, f"Rule {op.column} rewrites every DELETE of {t}, the running application's "
                    "too: the deletes it replaces never happen.", risk=RiskClass.HIGH, lock=AE)]
    return [hit(R.CREATE_RULE, op, f"Rule {op.column} rewrites every {op.detail} of {t} from now on, the running "
                f"application's too: the rows those statements write are replaced or discarded, and lost.", lock=AE)]


@on(A.CREATE_TRIGGER)
def trigger_rewrites_writes(op: Op, walk: Walk) -> Iterable[Hit]:
    """create-rule, for a BEFORE ROW trigger on an existing table whose function drops the row written
    (`RETURN NULL`) or sets a column of NEW to a constant (pgtree reads the body): like a DO INSTEAD
    rule, it rewrites the running application's writes from now on. Returning NULL on some paths only
    (skipping no-op updates, say) is high: it may be meant; so is dropping DELETEs only (nothing
    written is lost)."""
    if F.INSTEAD in op.flags:
        return [hit(R.CREATE_RULE, op, f"Trigger {op.column} {op.detail} from now on, the running application's "
                    "too: what those statements write is discarded or overwritten, and lost.",
                    lock="SHARE ROW EXCLUSIVE")]
    if op.detail.startswith(("may drop ", "drops ", "sets ")):  # some writes, or deletes only
        return [hit(R.CREATE_RULE, op, f"Trigger {op.column} {op.detail} from now on, the running application's "
                    "too: check that only the writes meant to be skipped are.", risk=RiskClass.HIGH,
                    lock="SHARE ROW EXCLUSIVE")]
    return ()


@on(A.REWRITE)
def rewrite_table(op: Op, walk: Walk) -> Iterable[Hit]:
    """rewrite-table: VACUUM FULL, CLUSTER, SET TABLESPACE, SET LOGGED/UNLOGGED."""
    return [hit(R.REWRITE, op, f"{op.detail} on {op.table or 'every table'} rewrites it under an ACCESS EXCLUSIVE "
                "lock, blocking reads and writes until it finishes.")]


@on(A.DETACH_PARTITION)
def detach_partition_non_concurrently(op: Op, walk: Walk) -> Iterable[Hit]:
    """detach-partition-non-concurrently."""
    if F.CONCURRENTLY in op.flags:
        return ()
    t = op.table
    return [hit(R.DETACH, op, f"Detaching partition {op.column} from {t} without CONCURRENTLY takes an ACCESS "
                f"EXCLUSIVE lock on {t}, blocking reads and writes of every partition until it ends.", lock=AE)]


@on(A.REFRESH_MATVIEW)
def refresh_non_concurrently(op: Op, walk: Walk) -> Iterable[Hit]:
    """refresh-materialized-view-non-concurrently, unless the view was created in this migration."""
    t = op.table
    if F.CONCURRENTLY in op.flags or walk.made.created(K.MATVIEW, t):
        return ()
    return [hit(R.REFRESH, op, f"REFRESH MATERIALIZED VIEW {t} without CONCURRENTLY holds an ACCESS EXCLUSIVE "
                "lock on it, blocking every read of the view until the refresh ends.", lock=AE)]


@on(A.LOCK_TABLE)
def lock_table(op: Op, walk: Walk) -> Iterable[Hit]:
    """lock-table: an explicit lock that blocks writes (or reads) until the transaction ends."""
    lock = op.lock
    if lock is None or not lock.blocks_writes:
        return ()
    t = op.table
    what = "every read and write of" if lock is LockMode.ACCESS_EXCLUSIVE else "every write to"
    tail = ("" if walk.in_txn else "; outside a transaction block PostgreSQL refuses LOCK TABLE, so it also fails "
            "the migration")
    return [hit(R.LOCK_TABLE, op, f"LOCK TABLE {t} IN {lock} MODE blocks {what} {t} until the migration's "
                f"transaction ends{tail}.", lock=lock.value)]
