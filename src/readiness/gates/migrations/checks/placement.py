"""Statements that fail, or cannot be judged, where they run: CONCURRENTLY (and the other
statements PostgreSQL refuses in a transaction block) inside a transaction or a DO block
(concurrently-in-transaction), and SQL built at run time that cannot be read (dynamic-sql). When one
of these hits, the operation's table rules are not run: the statement never gets that far."""

from __future__ import annotations

from collections.abc import Iterable

from readiness.gates.migrations import rules as R
from readiness.gates.migrations.checks.registry import Hit, Phase, hit, on
from readiness.gates.migrations.ops import Action, Op
from readiness.gates.migrations.ops import Flag as F
from readiness.gates.migrations.walk import Walk

A = Action
_IN_DO = {A.CREATE_INDEX: "CREATE INDEX CONCURRENTLY", A.DROP_INDEX: "DROP INDEX CONCURRENTLY",
          A.REINDEX: "REINDEX", A.DETACH_PARTITION: "DETACH PARTITION CONCURRENTLY"}
_REFUSED_IN_TXN = frozenset({A.CREATE_INDEX, A.DROP_INDEX, A.REINDEX, A.DETACH_PARTITION, A.REFRESH_MATVIEW, A.VACUUM,
                             A.REWRITE})
"""The operations that can be CONCURRENTLY or otherwise refused in a transaction block (`no_txn`)."""
_CONCURRENT = {A.CREATE_INDEX: "CREATE INDEX", A.DROP_INDEX: "DROP INDEX", A.REINDEX: "REINDEX",
               A.DETACH_PARTITION: "DETACH PARTITION"}


@on(A.DYNAMIC_SQL, phase=Phase.PLACEMENT)
def dynamic_sql(op: Op, walk: Walk) -> Iterable[Hit]:
    """dynamic-sql: what an EXECUTE or a built string runs cannot be read, so it is not judged."""
    if F.LEXING in op.flags:
        return [hit(R.DYNAMIC_SQL, op, f"{op.detail}: PostgreSQL may read it differently from the gate, so "
                    "what it runs was not judged.")]
    if F.SERVER_SIDE in op.flags:
        return [hit(R.DYNAMIC_SQL, op, f"{op.detail} acts on the database server outside SQL, so what it does "
                    "was not judged.")]
    if F.MISLEXED in op.flags:
        return [hit(R.DYNAMIC_SQL, op, f"{op.detail}: from here on the server reads the file's bytes in an encoding "
                    "whose characters can hide a quote or backslash, so it may run statements the gate read as "
                    "part of a string; what the rest of the migration does was not judged.")]
    return [hit(R.DYNAMIC_SQL, op, f"The SQL of {op.detail} is built while the migration runs and cannot be read "
                "here, so what it does to the database was not judged.")]


@on(_REFUSED_IN_TXN, phase=Phase.PLACEMENT)
def concurrently_in_transaction(op: Op, walk: Walk) -> Iterable[Hit]:
    """concurrently-in-transaction: CONCURRENTLY or another statement PostgreSQL refuses in a
    transaction block, run in one (or in a DO block, which is a function)."""
    a, f = op.action, op.flags
    conc = F.CONCURRENTLY in f
    if not conc and F.NO_TXN not in f:
        return ()
    where = op.column or op.table
    if F.IN_DO in f:
        what = _IN_DO.get(a, op.detail or a)
        return [hit(R.CONCURRENTLY_IN_TXN, op, f"{what} on {where} runs inside a DO block, where PostgreSQL "
                    "refuses it (it cannot be executed from a function): the migration fails at deploy.")]
    if not walk.in_txn:
        return ()
    if conc and a in _CONCURRENT:
        return [hit(R.CONCURRENTLY_IN_TXN, op, f"{_CONCURRENT[a]} CONCURRENTLY on {where} runs inside a transaction, "
                    "where PostgreSQL refuses it: the migration fails at deploy.")]
    if F.NO_TXN in f:
        what = f"REINDEX {(op.kind or '').upper()}" if a is A.REINDEX else op.detail
        return [hit(R.CONCURRENTLY_IN_TXN, op, f"{what} runs inside a transaction, where PostgreSQL refuses it: "
                    "the migration fails at deploy.")]
    return ()
