"""Rules about columns: adding one (serial, stored generated, volatile default, NOT NULL without a
default, primary key, unique, foreign key), dropping, renaming and retyping one, SET NOT NULL and
DROP DEFAULT. Each judges the column as the earlier migrations and this one left it (`walk.known`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from readiness.gates.migrations import rules as R
from readiness.gates.migrations.checks.registry import Hit, hit, on
from readiness.gates.migrations.ops import Action, ColumnType, Op
from readiness.gates.migrations.ops import Flag as F
from readiness.gates.migrations.walk import Walk, key, unqualified
from readiness.model import Confidence

A = Action


@on(A.ADD_COLUMN)
def add_column_rewrites(op: Op, walk: Walk) -> Iterable[Hit]:
    """add-serial-column, stored-generated-column, volatile-default, add-column-not-null: an added
    column that rewrites the table, or fails on a table with rows."""
    t, c, f = op.table, op.column, op.flags
    if F.SERIAL in f or F.IDENTITY in f:
        kind = "an identity" if F.IDENTITY in f else f"a {op.detail}"
        return [hit(R.ADD_SERIAL, op, f"Adding {kind} column {t}.{c} fills every existing row, "
                    f"rewriting {t} under an ACCESS EXCLUSIVE lock.")]
    if F.GENERATED_STORED in f:
        return [hit(R.STORED_GENERATED, op, f"Adding stored generated column {t}.{c} rewrites {t} "
                    "under an ACCESS EXCLUSIVE lock.")]
    if F.VOLATILE_DEFAULT in f:
        return [hit(R.VOLATILE_DEFAULT, op, f"Adding {t}.{c} with a volatile default rewrites {t} "
                    "under an ACCESS EXCLUSIVE lock, blocking reads and writes for the whole rewrite.")]
    if F.NOT_NULL in f and F.HAS_DEFAULT not in f:
        return [hit(R.ADD_NOT_NULL, op, f"Adding {t}.{c} as NOT NULL without a default fails on a "
                    f"non-empty {t}, and running code that inserts without {c} starts failing.")]
    return ()


@on(A.ADD_COLUMN)
def add_column_index(op: Op, walk: Walk) -> Iterable[Hit]:
    """add-primary-key, unique-constraint: an added column whose index is built under the lock."""
    t, c, f = op.table, op.column, op.flags
    if F.PRIMARY_KEY in f:
        return [hit(R.ADD_PK, op, f"Adding primary-key column {t}.{c} builds a unique index under an "
                    f"ACCESS EXCLUSIVE lock on {t}.")]
    if F.UNIQUE in f:
        return [hit(R.UNIQUE, op, f"Adding {t}.{c} as UNIQUE builds its index under an ACCESS EXCLUSIVE "
                    f"lock on {t}.")]
    return ()


@on(A.ADD_COLUMN)
def add_column_foreign_key(op: Op, walk: Walk) -> Iterable[Hit]:
    """foreign-key-not-valid: an added column that references another table, validated at once."""
    t, c = op.table, op.column
    if F.REFERENCES not in op.flags or F.NOT_VALID in op.flags:
        return ()
    ref = op.references or "the referenced table"
    return [hit(R.FK_NOT_VALID, op, f"Adding {t}.{c} with a foreign key to {ref} validates it at once, "
                f"holding {fk_locks(t, ref)}.")]


@on(A.DROP_COLUMN)
def drop_column(op: Op, walk: Walk) -> Iterable[Hit]:
    """drop-column."""
    t, c = op.table, op.column
    return [hit(R.DROP_COLUMN, op, f"Dropping column {t}.{c} deletes its data for good, and running code "
                f"that still reads it breaks; it takes an ACCESS EXCLUSIVE lock on {t}.")]


@on(A.RENAME_COLUMN)
def rename_column(op: Op, walk: Walk) -> Iterable[Hit]:
    """rename-column."""
    t, c = op.table, op.column
    return [hit(R.RENAME_COLUMN, op, f"Renaming column {t}.{c} to {op.new_name} takes an ACCESS EXCLUSIVE lock "
                f"on {t} and breaks running code that still uses {c}.")]


@on(A.ALTER_TYPE)
def change_column_type(op: Op, walk: Walk) -> Iterable[Hit]:
    """change-column-type: certain when the column's old type is known, none when the change is
    binary-coercible (no rewrite)."""
    t, c = op.table, op.column
    found = hit(R.CHANGE_TYPE, op, f"Changing the type of {t}.{c} to {op.detail} rewrites {t} and its "
                "indexes under an ACCESS EXCLUSIVE lock (unless the change is binary-coercible).",
                Confidence.HEURISTIC)
    known = walk.known
    old = (known.type_of(key(c)) if known is not None else None) or op.old_type
    if old is None:
        return [found]
    new: ColumnType = (op.pg_type or op.detail, op.mods)
    if binary_compatible(old, new):
        if F.USING in op.flags:
            return [found]  # whether PostgreSQL rewrites depends on the USING expression: stays heuristic
        return ()  # metadata only: the brief ACCESS EXCLUSIVE of any ALTER, no rewrite
    timestamps = {_canonical(old[0]), _canonical(new[0])} == {"timestamp", "timestamptz"}
    if timestamps and walk.utc and F.USING not in op.flags and old[1] == new[1]:
        return ()  # PostgreSQL 12+: binary-compatible when the session time zone is UTC
    if timestamps and not old[1] and not new[1] and F.USING not in op.flags:
        # (a USING expression other than the column itself, `at AT TIME ZONE 'UTC'`, rewrites in any session)
        return [replace(found, message=(  # stays heuristic: it depends on the session, not the file
            f"Changing the type of {t}.{c} from {_type_text(old)} to {_type_text(new)} rewrites "
            f"{t} and its indexes under an ACCESS EXCLUSIVE lock, unless the migration's session time "
            "zone is UTC on PostgreSQL 12 or later."))]
    return [replace(found, confidence=Confidence.CERTAIN, message=(
        f"Changing the type of {t}.{c} from {_type_text(old)} to {_type_text(new)} rewrites "
        f"{t} and its indexes under an ACCESS EXCLUSIVE lock."))]


@on(A.SET_NOT_NULL)
def set_not_null(op: Op, walk: Walk) -> Iterable[Hit]:
    """set-not-null: unless the column is NOT NULL already or a validated CHECK (col IS NOT NULL) proves it."""
    t, c = op.table, op.column
    known, col = walk.known, key(c)
    if known is not None and (known.not_null(col) or known.validated(col)):
        return ()
    return [hit(R.SET_NOT_NULL, op, f"SET NOT NULL on {t}.{c} scans the whole table under an ACCESS "
                f"EXCLUSIVE lock, because no validated CHECK ({c} IS NOT NULL) exists first.")]


@on(A.DROP_DEFAULT)
def drop_default_not_null(op: Op, walk: Walk) -> Iterable[Hit]:
    """drop-default-not-null: the default of a NOT NULL column dropped (and not set again at once)."""
    if not _known_not_null(op, walk) or _default_set_again(op, walk):
        return ()
    t, c = op.table, op.column
    tail = f"every INSERT that omits {c} fail, including those of running code that does not know the column."
    by = op.implicit
    if by:  # the tool writes the DROP DEFAULT itself (Django's AddField with a default but no db_default)
        return [hit(R.DROP_DEFAULT, op, f"{by} adds NOT NULL column {t}.{c} with its default and drops that default "
                    f"in the same migration, which makes {tail}")]
    return [hit(R.DROP_DEFAULT, op, f"Dropping the default of NOT NULL column {t}.{c} makes {tail}")]


def _known_not_null(op: Op, walk: Walk) -> bool:
    """The column is NOT NULL: as this and the earlier migrations left it, as the reader says
    (Alembic's `existing_nullable=False`), or set in the same statement as the DROP DEFAULT."""
    known = walk.known
    if F.NOT_NULL in op.flags or (known is not None and known.not_null(key(op.column))):
        return True
    # ALTER COLUMN c DROP DEFAULT, ALTER COLUMN c SET NOT NULL in one statement
    return walk.comes_later(A.SET_NOT_NULL, op, statement=True)


def _default_set_again(op: Op, walk: Walk) -> bool:
    """A later SET DEFAULT on the same column in the same transaction: no other session ever sees
    the column without a default (the DROP and SET of a default changed in two steps)."""
    return walk.comes_later(A.SET_DEFAULT, op)


def fk_locks(table: str | None, ref: object) -> str:
    """The locks a foreign key takes: one table's when it references itself."""
    if isinstance(ref, str) and unqualified(ref) == unqualified(table):
        return f"a SHARE ROW EXCLUSIVE lock on {table}"
    return f"SHARE ROW EXCLUSIVE locks on {table} and {ref}"


_TYPE_ALIASES = {"integer": "int4", "int": "int4", "smallint": "int2", "bigint": "int8", "decimal": "numeric",
                 "character varying": "varchar", "boolean": "bool", "double precision": "float8"}


def _canonical(type_name: str) -> str:
    name = type_name.lower().removeprefix("pg_catalog.")
    return _TYPE_ALIASES.get(name, name)


def binary_compatible(old: ColumnType, new: ColumnType) -> bool:
    """True when PostgreSQL changes `old` to `new` without rewriting the table or its indexes:
    the same type, a longer or unlimited varchar, varchar to text, text to unlimited varchar, more
    numeric precision at the same scale or no limit, a longer bit varying, cidr to inet."""
    (ot, om), (nt, nm) = (_canonical(old[0]), old[1]), (_canonical(new[0]), new[1])
    if (ot, om) == (nt, nm):
        return True
    if ot.endswith("[]") or nt.endswith("[]"):
        return False
    if ot in ("varchar", "varbit") and nt == ot:
        return not nm or (bool(om) and nm[0] >= om[0])
    if (ot, nt) == ("varchar", "text") or (ot, nt) == ("cidr", "inet"):
        return True
    if (ot, nt) in (("text", "citext"), ("varchar", "citext"), ("citext", "text")):
        return True  # casts the citext extension declares WITHOUT FUNCTION: no rewrite (its indexes are rebuilt)
    if (ot, nt) == ("text", "varchar"):
        return not nm
    if ot == nt == "numeric":
        if not nm:
            return True
        if not om:
            return False
        return (nm[1] if len(nm) > 1 else 0) == (om[1] if len(om) > 1 else 0) and nm[0] >= om[0]
    return False


_SERIAL_COLUMN = {"serial": "integer", "serial4": "integer", "bigserial": "bigint", "serial8": "bigint",
                  "smallserial": "smallint", "serial2": "smallint"}
"""`serial` is not a column type: a column declared so is an integer (with a sequence default)."""


def _type_text(t: ColumnType) -> str:
    return _SERIAL_COLUMN.get(t[0].lower(), t[0]) + (f"({', '.join(map(str, t[1]))})" if t[1] else "")
