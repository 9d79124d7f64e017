"""migrations/json-column: a new column of type json (not jsonb), which has no equality operator."""

from __future__ import annotations

from collections.abc import Iterable

from readiness.gates.migrations.checks.advisory import at_column, new_columns
from readiness.gates.migrations.checks.registry import Hit, Phase, hit, on
from readiness.gates.migrations.ops import Action, Op
from readiness.gates.migrations.walk import Walk
from readiness.rules.catalog import rule

JSON_COLUMN = rule("migrations/json-column")


@on(Action.ADD_COLUMN, Action.CREATE_TABLE, phase=Phase.ADVISORY)
def json_column(op: Op, walk: Walk) -> Iterable[Hit]:
    """Each `json` (or `json[]`) column created, new table or not: advisory, like the other column
    type rules. Django's JSONField and SQLAlchemy's JSONB create jsonb and are not reported."""
    out: list[Hit] = []
    for name, type_, _flags, pos in new_columns(op) if _has_json(op) else ():
        if type_.lower().removeprefix("pg_catalog.").removesuffix("[]") != "json":
            continue
        out.append(hit(JSON_COLUMN, at_column(op, name, type_, pos), (
            f"Column {op.table}.{name} is {type_}: json has no equality operator, so SELECT DISTINCT, GROUP BY, "
            "UNION and = on it fail, and it takes no btree or GIN index; jsonb has all of them.")))
    return out


def _has_json(op: Op) -> bool:
    """A cheap test before the columns are looked at one by one: most tables have no json column."""
    if op.action is Action.ADD_COLUMN:
        return "json" in (op.pg_type or op.detail).lower()
    return any("json" in c.type.lower() for c in op.columns)
