"""Rules about transaction control: a BEGIN inside a transaction (nested-transaction), one never
committed (unclosed-transaction), a COMMIT or ROLLBACK that ends the transaction the tool runs the
migration in (transaction-ended-early), and an enum value added inside a transaction
(enum-value-in-transaction)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from readiness.gates.migrations import rules as R
from readiness.gates.migrations.checks.registry import Hit, hit, on, whole
from readiness.gates.migrations.ops import Action, Op
from readiness.gates.migrations.ops import Flag as F
from readiness.gates.migrations.transactions import TxMode
from readiness.gates.migrations.walk import Context, Walk
from readiness.model import RiskClass

A = Action


@on(A.ADD_ENUM_VALUE)
def enum_value_in_transaction(op: Op, walk: Walk) -> Iterable[Hit]:
    """enum-value-in-transaction: the value cannot be used before the transaction commits (and fails
    when the same transaction uses it)."""
    if not walk.in_txn:
        return ()
    used = walk.quoted_later(op.detail)
    risk = RiskClass.MEDIUM if used else R.risk_of(R.ENUM_IN_TXN)
    extra = " and is used later in the same transaction, which fails" if used else ""
    return [hit(R.ENUM_IN_TXN, op, f"ALTER TYPE {op.table} ADD VALUE '{op.detail}' runs inside a transaction: the "
                f"value cannot be used before the transaction commits{extra}.", risk=risk)]


@whole
def transaction_blocks(walk: Walk) -> Iterable[Hit]:
    """Transaction control the migration's own statements do: a BEGIN that nests in another
    transaction (the tool's, or an open BEGIN), one that is never committed, and a COMMIT or
    ROLLBACK that ends the transaction the tool opened (reported once, at that statement: a
    `COMMIT; ...; BEGIN;` that steps out of it is one finding)."""
    ops, ctx = walk.ops, walk.ctx
    out: list[Hit] = []
    open_at: Op | None = None
    multi = ctx.mode is TxMode.IMPLICIT and len({(o.line, o.col) for o in ops}) > 1
    tool_open = False
    unit: int | None = None
    done = False  # a statement ran in the tool's transaction (a COMMIT first thing ends nothing of it)
    who = ctx.runner or "the migration tool"
    ahead: _Ahead | None = None  # built at the first BEGIN or COMMIT that needs it
    for i, op in enumerate(ops):
        if op.unit != unit:
            unit, open_at, done = op.unit, None, False
            tool_open = ctx.mode is TxMode.WRAPPED or multi
        if op.autocommit:
            continue
        if op.action is A.COMMIT:
            if open_at is None and tool_open and done:
                ahead = ahead or _Ahead(ops)
                out.append(_ended_early(i, op, ops, ahead, ctx, who))
            open_at = None
            tool_open = False
        elif op.action not in (A.BEGIN, A.SET_LOCK_TIMEOUT):
            done = done or tool_open
        elif op.action is not A.BEGIN:
            continue
        elif F.CHAIN in op.flags:
            open_at = op
        elif open_at is not None:
            out.append(hit(R.NESTED_TXN, op, f"BEGIN while the transaction opened at line {open_at.line} is still open "
                          "is ignored with a warning, and the first COMMIT ends both."))
        else:
            open_at = op
            if tool_open and ctx.mode is TxMode.WRAPPED:
                ahead = ahead or _Ahead(ops)
                out.append(hit(R.NESTED_TXN, op, f"BEGIN inside a migration that {who} already runs in a "
                              f"transaction is ignored with a warning{_early_commit(i, ops, ahead)}."))
    if open_at is not None and ctx.mode is not TxMode.WRAPPED:
        what = "COMMIT AND CHAIN opens a transaction" if F.CHAIN in open_at.flags else "BEGIN opens a transaction"
        out.append(hit(R.UNCLOSED_TXN, open_at, f"{what} that the migration never commits: when the session ends "
                      f"PostgreSQL rolls it back, silently undoing everything after line {open_at.line}."))
    return out


class _Ahead:
    """What comes after each operation, from one backward pass (asking by scanning ahead at each
    BEGIN or COMMIT was quadratic in the number of operations)."""

    __slots__ = ("next_commit", "next_begin", "work_after", "not_commit_after")

    def __init__(self, ops: Sequence[Op]) -> None:
        n = len(ops)
        self.next_commit: list[int | None] = [None] * n
        """The first COMMIT after operation i."""
        self.next_begin: list[int | None] = [None] * n
        """The first BEGIN (not autocommitted) after operation i."""
        self.work_after = [False] * n
        """A statement other than BEGIN/COMMIT, not autocommitted, comes after operation i."""
        self.not_commit_after = [False] * n
        """An operation other than COMMIT comes after operation i."""
        commit: int | None = None
        begin: int | None = None
        work = not_commit = False
        for i in range(n - 1, -1, -1):
            self.next_commit[i], self.next_begin[i] = commit, begin
            self.work_after[i], self.not_commit_after[i] = work, not_commit
            o = ops[i]
            if o.action is A.COMMIT:
                commit = i
            else:
                not_commit = True
            if o.action is A.BEGIN and not o.autocommit:
                begin = i
            if o.action not in (A.BEGIN, A.COMMIT) and not o.autocommit:
                work = True


def _early_commit(i: int, ops: Sequence[Op], ahead: _Ahead) -> str:
    end = ahead.next_commit[i]
    if end is None:
        return ""
    tail = ", so the statements after it run outside any transaction and a failure there leaves the migration " \
        "half applied" if ahead.not_commit_after[end] else ""
    return f", and the COMMIT at line {ops[end].line} ends the tool's transaction early{tail}"


def _ended_early(i: int, op: Op, ops: Sequence[Op], ahead: _Ahead, ctx: Context, who: str) -> Hit:
    """A COMMIT or ROLLBACK that ends the transaction the tool opened (or the implicit block)."""
    block = "the transaction" if ctx.mode is TxMode.WRAPPED else "the implicit transaction"
    at = ahead.next_begin[i]
    again = ops[at] if at is not None else None
    if F.ROLLBACK in op.flags:
        return hit(R.ENDED_EARLY, op, f"ROLLBACK ends {block} {who} runs the migration in: everything the migration "
                  "did before it is undone, while the statements after it still run and the migration is "
                  "recorded as applied.", risk=RiskClass.HIGH)
    after = ahead.work_after[i]
    if again is not None:
        tail = (f"; the BEGIN at line {again.line} opens the transaction {who} then commits, so a failure before it "
                "leaves the migration half applied")
    elif after:
        tail = ", so a statement after it that fails leaves the migration half applied"
    else:
        tail = f", before {who} finishes the migration (its own COMMIT then finds no transaction)"
    return hit(R.ENDED_EARLY, op, f"COMMIT ends {block} {who} runs the migration in: what came before it is "
              f"committed on its own{tail}.")
