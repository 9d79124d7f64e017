"""Rules about named objects other than tables and columns: dropping a view, function, type,
sequence or extension (drop-view, drop-function, drop-type, drop-sequence, drop-extension), and
renaming or moving one (rename-object, set-schema). An object created in this migration, or
dropped/renamed and created again under its name in the same transaction, is exempt: no other
session ever sees it missing."""

from __future__ import annotations

from collections.abc import Iterable

from readiness.gates.migrations import rules as R
from readiness.gates.migrations.checks.registry import Hit, hit, on
from readiness.gates.migrations.checks.tables import gap
from readiness.gates.migrations.ops import Action, ObjectKind, Op
from readiness.gates.migrations.ops import Flag as F
from readiness.gates.migrations.walk import Walk
from readiness.model import RiskClass

A = Action
K = ObjectKind
AE = "ACCESS EXCLUSIVE"
_VIEWS = (K.VIEW, K.MATVIEW)
_ROUTINES = (K.FUNCTION, K.PROCEDURE, K.ROUTINE, K.AGGREGATE)
_BUILT = (K.FUNCTION, K.ROUTINE, K.TSCONFIGURATION)
"""Objects a generated column (or a base type) can be built from: dropping one with CASCADE drops it."""

@on(A.DROP_OBJECT)
def drop_object(op: Op, walk: Walk) -> Iterable[Hit]:
    """drop-view, drop-function, drop-type, drop-sequence, drop-extension."""
    kind, name, cascade = op.kind, op.column, F.CASCADE in op.flags
    if walk.made.surely_created(kind, name):
        return ()
    again = walk.recreated(kind, name)
    renamed = walk.made.renamed_here(kind, name)
    if cascade and kind in _BUILT and (name or "").rsplit(".", 1)[-1] in walk.ctx.built_from:
        return [hit(R.DROP_COLUMN, op, f"DROP {kind.upper()} {name} CASCADE also drops every generated column "
                   f"computed with it (and every column of a type built on it), deleting their data for good.",
                   lock=AE)]
    if kind is K.COLLATION and cascade:
        return [hit(R.DROP_COLUMN, op, f"DROP COLLATION {name} CASCADE also drops every column declared with that "
                   "collation, deleting their data for good.", lock=AE)]
    if kind in _VIEWS or kind in _ROUTINES:
        if again == "same" or renamed:
            return ()
        if kind in _VIEWS:
            casc = " and, with CASCADE, every view built on it" if cascade else ""
            return [hit(R.DROP_VIEW, op, f"Dropping {kind} {name}{casc} breaks every query of running code that still "
                       f"reads it{gap(again, 'it is created again')}.", lock=AE)]
        return [hit(R.DROP_FUNCTION, op, f"Dropping {kind} {name} breaks running code, triggers and defaults that "
                   f"still call it{gap(again, 'it is created again')}.")]
    if kind in (K.TYPE, K.DOMAIN):
        if cascade:
            return [hit(R.DROP_TYPE, op, f"DROP {kind.upper()} {name} CASCADE also drops every column of that {kind}, "
                       "deleting their data for good.", lock=AE)]
        if again == "same" or renamed:
            return ()
        return [hit(R.DROP_TYPE, op, f"Dropping {kind} {name} fails while a column still uses it, and breaks running "
                   f"code that names it{gap(again, 'it is created again')}.", risk=RiskClass.HIGH,
                   lock="none on tables")]
    if kind is K.SEQUENCE:
        casc = ", with CASCADE the column defaults that draw from it," if cascade else ""
        return [hit(R.DROP_SEQUENCE, op, f"Dropping sequence {name} loses its current value{casc} for good, and "
                   "every INSERT or nextval() call that still uses it fails.", lock=AE)]
    if kind is K.EXTENSION:
        if walk.made.holds_existing(kind, name):
            return [hit(R.DROP_EXTENSION, op, f"Dropping extension {name} drops every object that is a member of it, "
                       "and this migration added existing tables or objects to it: their data is deleted for good.",
                       lock=AE)]
        if cascade:
            return [hit(R.DROP_EXTENSION, op, f"DROP EXTENSION {name} CASCADE also drops every column, index and "
                       "function that uses its types or functions, deleting that data for good.", lock=AE)]
        return [hit(R.DROP_EXTENSION, op, f"Dropping extension {name} fails while anything depends on it, and breaks "
                   "running code that calls its functions or uses its types.", risk=RiskClass.HIGH,
                   lock="none on tables")]
    return ()


@on(A.RENAME_OBJECT, A.SET_SCHEMA)
def rename_object(op: Op, walk: Walk) -> Iterable[Hit]:
    """rename-object, set-schema: code that names the object stops finding it."""
    """Renames and SET SCHEMA: code that names the object stops finding it."""
    kind, name = op.kind, op.column
    rel = op.table is not None
    lock = AE if rel else "a brief lock on the object's catalog row"
    held = f" and takes an ACCESS EXCLUSIVE lock on {name}" if rel else ""
    if kind is K.ENUM_VALUE:
        if walk.made.created(K.TYPE, op.table):
            return ()
        return [hit(R.RENAME_OBJECT, op, f"Renaming value '{name}' of enum {op.table} to '{op.new_name}' breaks "
                   f"running code that still writes or compares '{name}'.", lock="a brief lock on the type")]
    if walk.made.created(kind, name) or walk.recreated(kind, name) == "same":
        return ()
    if op.action is A.SET_SCHEMA:
        return [hit(R.SET_SCHEMA, op, f"Moving {kind} {name} to schema {op.schema} breaks running code "
                   f"that finds it by its old schema or through search_path{held}.", lock=lock)]
    return [hit(R.RENAME_OBJECT, op, f"Renaming {kind} {name} to {op.new_name} breaks running code that still "
               f"refers to {name}{held}.", lock=lock)]
