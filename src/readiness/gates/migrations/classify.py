"""Judge a migration's operations: which rule each one breaks, at what risk, under which lock.

Context that decides the verdict:
* the transaction each operation runs in (the format's mode, explicit BEGIN/COMMIT, Alembic's
  `autocommit_block`), which decides whether CONCURRENTLY fails and how long locks are held;
* tables created earlier in the same migration (no rows yet: operations on them are exempt);
* `large_tables`: size-dependent rules (rules.ESCALATING) go one class up on those tables.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from readiness.gates.migrations import rules as R
from readiness.gates.migrations.ops import Op
from readiness.model import Confidence, RiskClass
from readiness.rules.catalog import RuleHandle


class TxMode(enum.StrEnum):
    """How the migration tool runs a file."""

    WRAPPED = "wrapped"
    """The whole migration runs in one transaction (dbmate, goose, diesel, Alembic, Django atomic)."""
    IMPLICIT = "implicit"
    """Sent as one multi-statement string: one implicit transaction when it holds more than one
    statement, none for a lone statement (golang-migrate, Flyway's non-transactional detection, Prisma)."""
    AUTOCOMMIT = "autocommit"
    """Each statement commits on its own unless the file says BEGIN (psql -f, sqitch, atomic=False)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Hit:
    """One rule broken by one operation."""

    rule: RuleHandle
    risk: RiskClass
    message: str
    op: Op
    confidence: Confidence = Confidence.CERTAIN
    path: str | None = None
    """Set when the hit is in another file than the migration (its down file)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Context:
    """What the judge needs besides the operations."""

    mode: TxMode
    large: Mapping[str, int | None] = field(default_factory=dict)
    """Large tables (name -> rows, None when only named)."""
    require_lock_timeout: bool = True


HEAVY_LOCKS = frozenset({"ACCESS EXCLUSIVE", "SHARE", "SHARE ROW EXCLUSIVE"})
_DDL_LOCKING = frozenset({"add_column", "drop_column", "alter_type", "set_not_null", "add_constraint",
                          "rename_column", "rename_table", "create_index", "drop_index", "rewrite",
                          "lock_table", "truncate", "alter_other", "drop_table"})
_DATA = frozenset({"update", "delete", "insert_select"})


def _key(name: str | None) -> str:
    return (name or "").lower()


def _short(name: str | None) -> str:
    return _key(name).rsplit(".", 1)[-1]


class _Tables:
    """Tables and indexes created so far in this migration."""

    def __init__(self) -> None:
        self.tables: set[str] = set()
        self.indexes: set[str] = set()

    def new(self, name: str | None) -> bool:
        return bool(name) and (_key(name) in self.tables or _short(name) in self.tables)


def transactions(ops: Sequence[Op], mode: TxMode, statements: int) -> list[int | None]:
    """Per operation, the id of the transaction it runs in (None: autocommitted on its own)."""
    out: list[int | None] = []
    explicit: int | None = None
    counter = 0
    wrapped = mode is TxMode.WRAPPED or (mode is TxMode.IMPLICIT and statements > 1)
    for op in ops:
        if op.action == "begin":
            counter += 1
            explicit = counter
            out.append(explicit)
            continue
        if op.action == "commit":
            out.append(explicit)
            explicit = None
            continue
        if explicit is not None:
            out.append(explicit)
        elif wrapped and not op.autocommit:
            out.append(0)
        else:
            out.append(None)
    return out


def judge(ops: Sequence[Op], ctx: Context, *, statements: int | None = None) -> list[Hit]:
    """Every rule hit of one migration's operations, in order."""
    n = statements if statements is not None else len({(o.line, o.col) for o in ops})
    txns = transactions(ops, ctx.mode, n)
    made = _Tables()
    hits: list[Hit] = []
    checks_validated: set[tuple[str, str]] = set()
    not_valid_checks: dict[str, tuple[str, str]] = {}
    ddl_in_txn: dict[int, Op] = {}
    data_in_txn: dict[int, Op] = {}
    for op, txn in zip(ops, txns, strict=True):
        table = op.table
        new = made.new(table)
        if op.action == "create_table" and table:
            made.tables.update({_key(table), _short(table)})
            continue
        if op.action == "create_index" and op.column:
            made.indexes.add(_short(op.column))
        if op.action == "add_constraint" and op.extra.get("check_not_null") and table:
            col = str(op.extra["check_not_null"])
            if "not_valid" in op.flags and op.column:
                not_valid_checks[_short(op.column)] = (_key(table), col)
            else:
                checks_validated.add((_key(table), col))
        if op.action == "validate_constraint" and op.column and _short(op.column) in not_valid_checks:
            checks_validated.add(not_valid_checks[_short(op.column)])
        if txn is not None and not new and table:
            if op.action in _DDL_LOCKING and "concurrently" not in op.flags:
                ddl_in_txn.setdefault(txn, op)
            if op.action in _DATA:
                data_in_txn.setdefault(txn, op)
        hits.extend(_rules_for(op, txn is not None, new, made, checks_validated, ops, txns, ctx))
    hits.extend(_mixed(ddl_in_txn, data_in_txn, ctx))
    hits = [_escalate(h, ctx) for h in hits]
    if ctx.require_lock_timeout:
        hits.extend(_lock_timeout(ops, hits))
    return hits


def _lock_of(hit: Hit) -> str:
    return str(hit.rule.rule.meta.get("lock", ""))


def _lock_timeout(ops: Sequence[Op], hits: Sequence[Hit]) -> list[Hit]:
    heavy = [h for h in hits if h.risk.rank >= RiskClass.MEDIUM.rank and h.path is None
             and any(lock in _lock_of(h) for lock in HEAVY_LOCKS) and h.rule.id != R.LOCK_TIMEOUT.id]
    if not heavy:
        return []
    first = min(heavy, key=lambda h: (h.op.line, h.op.col))
    for op in ops:
        if (op.line, op.col) >= (first.op.line, first.op.col):
            break
        if op.action == "set_lock_timeout" and op.detail != "0":
            return []
    target = first.op.table or first.op.column or "the table"
    return [Hit(rule=R.LOCK_TIMEOUT, risk=R.risk_of(R.LOCK_TIMEOUT), op=first.op,
                message=(f"This statement waits for {_lock_of(first)} lock on {target} with no "
                         "lock_timeout set, so while it waits every later query on the table queues behind it."))]


def _escalate(hit: Hit, ctx: Context) -> Hit:
    if hit.rule.id not in R.ESCALATING or not ctx.large:
        return hit
    table = hit.op.table
    if not table:
        return hit
    rows = None
    for cand in (_key(table), _short(table), table):
        if cand in ctx.large:
            rows = ctx.large[cand]
            break
    else:
        return hit
    new_risk = R.escalate(hit.risk)
    size = f"{rows:,} rows" if rows is not None else "listed in large_tables"
    return Hit(rule=hit.rule, risk=new_risk, op=hit.op, confidence=hit.confidence, path=hit.path,
               message=f"{hit.message.rstrip('.')} ({table} is a large table: {size}).")


def _mixed(ddl: Mapping[int, Op], data: Mapping[int, Op], ctx: Context) -> list[Hit]:
    out = []
    for txn, d in data.items():
        s = ddl.get(txn)
        if s is None:
            continue
        out.append(Hit(rule=R.MIXED, risk=R.risk_of(R.MIXED), op=d, message=(
            f"{d.action.replace('_', ' ').upper()} on {d.table} runs in the same transaction as the schema "
            f"change on {s.table} (line {s.line}), so that change's lock is held until the data change ends.")))
    return out


def _h(handle: RuleHandle, op: Op, message: str, confidence: Confidence = Confidence.CERTAIN) -> Hit:
    return Hit(rule=handle, risk=R.risk_of(handle), op=op, message=message, confidence=confidence)


def _rules_for(op: Op, in_txn: bool, new: bool, made: _Tables, validated: set[tuple[str, str]],
               ops: Sequence[Op], txns: Sequence[int | None], ctx: Context) -> list[Hit]:
    a, t, c, f = op.action, op.table, op.column, op.flags
    out: list[Hit] = []
    conc = "concurrently" in f
    if conc and in_txn and a in ("create_index", "drop_index", "reindex", "detach_partition"):
        what = {"create_index": "CREATE INDEX", "drop_index": "DROP INDEX", "reindex": "REINDEX",
                "detach_partition": "DETACH PARTITION"}[a]
        out.append(_h(R.CONCURRENTLY_IN_TXN, op,
                      f"{what} CONCURRENTLY on {c or t} runs inside a transaction, where PostgreSQL refuses it: "
                      "the migration fails at deploy."))
        return out
    if new:
        return out
    if a == "add_column":
        if "serial" in f or "identity" in f:
            kind = "an identity" if "identity" in f else f"a {op.detail}"
            out.append(_h(R.ADD_SERIAL, op, f"Adding {kind} column {t}.{c} fills every existing row, "
                          f"rewriting {t} under an ACCESS EXCLUSIVE lock."))
        elif "generated_stored" in f:
            out.append(_h(R.STORED_GENERATED, op, f"Adding stored generated column {t}.{c} rewrites {t} "
                          "under an ACCESS EXCLUSIVE lock."))
        elif "volatile_default" in f:
            out.append(_h(R.VOLATILE_DEFAULT, op, f"Adding {t}.{c} with a volatile default rewrites {t} "
                          "under an ACCESS EXCLUSIVE lock, blocking reads and writes for the whole rewrite."))
        elif "not_null" in f and "has_default" not in f:
            out.append(_h(R.ADD_NOT_NULL, op, f"Adding {t}.{c} as NOT NULL without a default fails on a "
                          f"non-empty {t}, and running code that inserts without {c} starts failing."))
        if "primary_key" in f:
            out.append(_h(R.ADD_PK, op, f"Adding primary-key column {t}.{c} builds a unique index under an "
                          f"ACCESS EXCLUSIVE lock on {t}."))
        elif "unique" in f:
            out.append(_h(R.UNIQUE, op, f"Adding {t}.{c} as UNIQUE builds its index under an ACCESS EXCLUSIVE "
                          f"lock on {t}."))
        if "references" in f and "not_valid" not in f:
            ref = op.extra.get("references") or "the referenced table"
            out.append(_h(R.FK_NOT_VALID, op, f"Adding {t}.{c} with a foreign key to {ref} validates it at once, "
                          f"holding SHARE ROW EXCLUSIVE locks on {t} and {ref}."))
    elif a == "drop_column":
        out.append(_h(R.DROP_COLUMN, op, f"Dropping column {t}.{c} deletes its data for good, and running code "
                      f"that still reads it breaks; it takes an ACCESS EXCLUSIVE lock on {t}."))
    elif a == "alter_type":
        out.append(_h(R.CHANGE_TYPE, op, f"Changing the type of {t}.{c} to {op.detail} rewrites {t} and its "
                      "indexes under an ACCESS EXCLUSIVE lock (unless the change is binary-coercible).",
                      Confidence.HEURISTIC))
    elif a == "set_not_null":
        if (_key(t), c or "") not in validated and (_short(t), c or "") not in validated:
            out.append(_h(R.SET_NOT_NULL, op, f"SET NOT NULL on {t}.{c} scans the whole table under an ACCESS "
                          "EXCLUSIVE lock, because no validated CHECK ({c} IS NOT NULL) exists first.".replace(
                              "{c}", str(c))))
    elif a == "add_constraint":
        out.extend(_constraint(op))
    elif a == "create_index" and not conc:
        kind = "unique index" if "unique" in f else "index"
        out.append(_h(R.CREATE_INDEX, op, f"Creating {kind} {c or ''} on {t} without CONCURRENTLY takes a SHARE "
                      f"lock that blocks every write to {t} until the build ends.".replace("  ", " ")))
    elif a == "drop_index" and not conc and _short(c) not in made.indexes:
        out.append(_h(R.DROP_INDEX, op, f"Dropping index {c} without CONCURRENTLY takes an ACCESS EXCLUSIVE lock "
                      "on its table, blocking reads and writes."))
    elif a == "rename_column":
        out.append(_h(R.RENAME_COLUMN, op, f"Renaming column {t}.{c} to {op.detail} takes an ACCESS EXCLUSIVE lock "
                      f"on {t} and breaks running code that still uses {c}."))
    elif a == "rename_table":
        out.append(_h(R.RENAME_TABLE, op, f"Renaming table {t} to {op.detail} takes an ACCESS EXCLUSIVE lock and "
                      f"breaks running code that still queries {t}."))
    elif a == "drop_table":
        out.append(_h(R.DROP_TABLE, op, f"Dropping table {t} deletes its data for good; it takes an ACCESS "
                      "EXCLUSIVE lock and breaks running code that uses it."))
    elif a == "drop_object" and op.detail in ("schema", "database"):
        out.append(_h(R.DROP_TABLE, op, f"Dropping {op.detail} {c} deletes every table in it for good."))
    elif a == "truncate":
        casc = " and, with CASCADE, every table referencing it" if "cascade" in f else ""
        out.append(_h(R.TRUNCATE, op, f"TRUNCATE {t} deletes all of its rows{casc} under an ACCESS EXCLUSIVE lock."))
    elif a == "delete" and "where" not in f:
        out.append(_h(R.DELETE_ALL, op, f"DELETE without WHERE removes every row of {t} in one transaction."))
    elif a == "update" and "where" not in f:
        out.append(_h(R.BACKFILL, op, f"UPDATE of every row of {t} in one statement holds row locks on the whole "
                      "table and bloats it; backfill in batches instead."))
    elif a == "rewrite":
        out.append(_h(R.REWRITE, op, f"{op.detail} on {t or 'every table'} rewrites it under an ACCESS EXCLUSIVE "
                      "lock, blocking reads and writes until it finishes."))
    elif a == "reindex" and not conc:
        out.append(_h(R.REINDEX, op, f"REINDEX {op.detail} {t or c} without CONCURRENTLY blocks writes to the table "
                      "(and reads that use the index) until it finishes."))
    elif a == "add_enum_value" and in_txn:
        used = _enum_used_later(op, ops, txns)
        risk = RiskClass.MEDIUM if used else R.risk_of(R.ENUM_IN_TXN)
        extra = " and is used later in the same transaction, which fails" if used else ""
        out.append(Hit(rule=R.ENUM_IN_TXN, risk=risk, op=op, message=(
            f"ALTER TYPE {t} ADD VALUE '{op.detail}' runs inside a transaction: the value cannot be used "
            f"before the transaction commits{extra}.")))
    return out


def _enum_used_later(op: Op, ops: Sequence[Op], txns: Sequence[int | None]) -> bool:
    idx = next(i for i, o in enumerate(ops) if o is op)
    needle = f"'{op.detail}'"
    return any(txns[j] == txns[idx] and needle in ops[j].evidence for j in range(idx + 1, len(ops)))


def _constraint(op: Op) -> list[Hit]:
    t, kind, f = op.table, op.detail, op.flags
    name = op.column or "(unnamed)"
    if kind == "foreign" and "not_valid" not in f:
        ref = op.extra.get("references") or "the referenced table"
        return [_h(R.FK_NOT_VALID, op, f"Adding foreign key {name} on {t} without NOT VALID scans {t} while holding "
                   f"SHARE ROW EXCLUSIVE locks on {t} and {ref}.")]
    if kind == "check" and "not_valid" not in f:
        return [_h(R.CHECK_NOT_VALID, op, f"Adding CHECK constraint {name} on {t} without NOT VALID scans the whole "
                   f"table under an ACCESS EXCLUSIVE lock.")]
    if kind == "unique" and "using_index" not in f:
        return [_h(R.UNIQUE, op, f"Adding UNIQUE constraint {name} on {t} builds its index under an ACCESS "
                   f"EXCLUSIVE lock on {t}.")]
    if kind == "primary" and "using_index" not in f:
        return [_h(R.ADD_PK, op, f"Adding a primary key to {t} builds its index (and sets NOT NULL) under an "
                   f"ACCESS EXCLUSIVE lock on {t}.")]
    return []
