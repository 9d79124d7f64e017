"""Rules about constraints: adding one that validates or builds an index under the lock
(foreign-key-not-valid, check-constraint-not-valid, unique-constraint, exclusion-constraint,
add-primary-key), validating one in the transaction that added it NOT VALID
(validate-in-same-transaction), and domain constraints (alter-domain-constraint,
create-domain-with-check)."""

from __future__ import annotations

from collections.abc import Iterable

from readiness.gates.migrations import rules as R
from readiness.gates.migrations.checks.columns import fk_locks
from readiness.gates.migrations.checks.registry import Hit, Phase, hit, observe, on
from readiness.gates.migrations.ops import Action, ConstraintKind, ObjectKind, Op
from readiness.gates.migrations.ops import Flag as F
from readiness.gates.migrations.walk import Walk, unqualified
from readiness.model import RiskClass

A = Action


@on(A.ADD_CONSTRAINT)
def add_constraint(op: Op, walk: Walk) -> Iterable[Hit]:
    """A constraint that scans the table, or builds its index, under the lock its ADD takes."""
    t, kind, f = op.table, op.constraint, op.flags
    name = op.column or "(unnamed)"

    def named(what: str) -> str:
        """`foreign key fk_x`, or `an unnamed foreign key` (SQLAlchemy's `None`: the database names it)."""
        return f"{what} {op.column}" if op.column else f"an unnamed {what}"

    if kind is ConstraintKind.FOREIGN and F.NOT_VALID not in f:
        ref = op.references or "the referenced table"
        return [hit(R.FK_NOT_VALID, op, f"Adding {named('foreign key')} on {t} without NOT VALID scans {t} while "
                   f"holding {fk_locks(t, ref)}.")]
    if kind is ConstraintKind.CHECK and F.NOT_VALID not in f and op.implicit == "Django":
        column = name.removesuffix("_check")
        return [hit(R.CHECK_NOT_VALID, op, f"Django adds {t}.{column} with its CHECK ({column} >= 0), which "
                   f"PostgreSQL verifies by scanning the whole of {t} under an ACCESS EXCLUSIVE lock.")]
    if kind is ConstraintKind.CHECK and F.NOT_VALID not in f:
        return [hit(R.CHECK_NOT_VALID, op, f"Adding {named('CHECK constraint')} on {t} without NOT VALID scans the "
                   f"whole table under an ACCESS EXCLUSIVE lock.")]
    if kind is ConstraintKind.UNIQUE and F.USING_INDEX not in f:
        return [hit(R.UNIQUE, op, f"Adding {named('UNIQUE constraint')} on {t} builds its index under an ACCESS "
                   f"EXCLUSIVE lock on {t}.")]
    if kind is ConstraintKind.EXCLUSION:
        return [hit(R.EXCLUSION, op, f"Adding {named('exclusion constraint')} on {t} builds its index under an ACCESS "
                   f"EXCLUSIVE lock on {t}, and it has no NOT VALID or USING INDEX form.")]
    if kind is ConstraintKind.PRIMARY and F.USING_INDEX not in f:
        return [hit(R.ADD_PK, op, f"Adding a primary key to {t} builds its index (and sets NOT NULL) under an "
                   f"ACCESS EXCLUSIVE lock on {t}.")]
    return ()


@observe(A.ADD_CONSTRAINT)
def remember_not_valid(op: Op, walk: Walk) -> None:
    """A NOT VALID constraint on an existing table: validate-in-same-transaction looks for its VALIDATE."""
    if F.NOT_VALID in op.flags and op.column and not walk.new:
        walk.not_valid[(unqualified(op.table), unqualified(op.column))] = (walk.txn, op)


@on(A.VALIDATE_CONSTRAINT, phase=Phase.EARLY)
def validate_in_same_transaction(op: Op, walk: Walk) -> Iterable[Hit]:
    """validate-in-same-transaction: the ADD's lock is held through the validation scan."""
    if walk.txn is None or not op.column:
        return ()
    added = walk.not_valid.get((unqualified(op.table), unqualified(op.column)))
    if added is None or added[0] != walk.txn:
        return ()
    first = added[1]
    foreign = first.constraint is ConstraintKind.FOREIGN
    lock = "SHARE ROW EXCLUSIVE" if foreign else "ACCESS EXCLUSIVE"
    return [hit(R.VALIDATE_SAME_TXN, op, f"VALIDATE CONSTRAINT {op.column} on {op.table} runs in the transaction "
                f"that added it NOT VALID (line {first.line}), so the ADD's {lock} lock is held for the whole "
                "validation scan.", risk=RiskClass.MEDIUM if foreign else None, lock=lock)]


@on(A.ALTER_DOMAIN)
def alter_domain_constraint(op: Op, walk: Walk) -> Iterable[Hit]:
    """alter-domain-constraint: a domain constraint checked against every stored value."""
    c = op.column
    if F.NOT_VALID in op.flags or walk.made.created(ObjectKind.DOMAIN, c):
        return ()
    return [hit(R.ALTER_DOMAIN, op, f"ALTER DOMAIN {c} {op.detail} checks every stored value of the domain, "
                f"holding a SHARE lock that blocks writes to each table with a {c} column for the whole scan.",
                lock="SHARE")]


@on(A.CREATE_OBJECT)
def create_domain_with_check(op: Op, walk: Walk) -> Iterable[Hit]:
    """create-domain-with-check: a CHECK on a domain cannot be changed online later."""
    if op.kind is not ObjectKind.DOMAIN or F.CHECK not in op.flags:
        return ()
    c = op.column
    return [hit(R.CREATE_DOMAIN_CHECK, op, f"Domain {c} carries a CHECK constraint: changing it later re-checks "
                f"every {c} column of every table under a SHARE lock, with no per-table, online path.")]
