"""What a destroying statement on a table created in this migration reaches beyond it.

A new table has no rows of its own, so TRUNCATE and DELETE of it are exempt from truncate-table and
delete-all-rows. Not so once the migration gave another table a foreign key to it: `TRUNCATE
tenants CASCADE` also truncates every table with a foreign key to `tenants`, and `DELETE FROM
tenants` deletes (ON DELETE CASCADE) or overwrites (SET NULL / SET DEFAULT) the rows that
reference it. When such a table existed before this migration, the statement is judged as the
TRUNCATE / DELETE of that table (truncate-table, delete-all-rows: critical).

Likewise a type, domain, collation, schema or extension created here is harmless to drop, even
with CASCADE, until the migration makes an existing column depend on it (`ALTER COLUMN email TYPE
email_t`, `... TYPE text COLLATE c1`): then `DROP DOMAIN email_t CASCADE` drops `users.email` with
its data, and so does dropping the schema that holds the domain or (for a type that is not one of
PostgreSQL's own) the extension that may provide it. That is judged as drop-column."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from readiness.gates.migrations import rules as R
from readiness.gates.migrations.checks.registry import Hit, Phase, hit, on
from readiness.gates.migrations.ops import Action, ObjectKind, Op
from readiness.gates.migrations.ops import Flag as F
from readiness.gates.migrations.walk import Walk, group, unqualified

A = Action
K = ObjectKind
_BUILTIN_TYPES = frozenset({
    "text", "varchar", "character varying", "char", "character", "bpchar", "name", "int2", "int4", "int8",
    "smallint", "integer", "int", "bigint", "numeric", "decimal", "float4", "float8", "real", "double precision",
    "bool", "boolean", "date", "time", "timetz", "timestamp", "timestamptz", "interval", "uuid", "json", "jsonb",
    "bytea", "inet", "cidr", "macaddr", "macaddr8", "money", "xml", "tsvector", "tsquery", "oid", "bit", "varbit",
    "point", "line", "lseg", "box", "path", "polygon", "circle", "int4range", "int8range", "numrange", "tsrange",
    "tstzrange", "daterange", "serial", "bigserial", "smallserial", "serial4", "serial8", "serial2",
})
"""PostgreSQL's own types (as pgtree.type_name spells them): no extension provides them."""


@on(A.TRUNCATE, A.DELETE, phase=Phase.EARLY)
def reached_through_foreign_keys(op: Op, walk: Walk) -> Iterable[Hit]:
    """truncate-table / delete-all-rows for the existing tables a TRUNCATE ... CASCADE or DELETE of
    a new table reaches through foreign keys this migration added (an existing target is judged by
    its own rules)."""
    if not walk.new or not op.table or not walk.made.referencing:
        return ()
    truncate = op.action is A.TRUNCATE
    if truncate and F.CASCADE not in op.flags:
        return ()  # PostgreSQL refuses to truncate a table other tables reference
    out = []
    for victim, via, line in walk.made.reached(op.table, truncate=truncate):
        reached = replace(op, table=victim)
        if truncate:
            out.append(hit(R.TRUNCATE, reached, f"TRUNCATE {op.table} CASCADE also truncates {victim}, which has a "
                           f"foreign key to {via} (line {line}): every row of {victim} is deleted under an ACCESS "
                           "EXCLUSIVE lock."))
        elif F.WHERE not in op.flags:
            out.append(hit(R.DELETE_ALL, reached, f"DELETE from {op.table} also reaches {victim} through its foreign "
                           f"key to {via} (line {line}), whose ON DELETE deletes or overwrites every row of {victim} "
                           "that references a deleted row: without WHERE, that is all of them."))
    return out


@on(A.DROP_OBJECT)
def cascade_drops_retyped_columns(op: Op, walk: Walk) -> Iterable[Hit]:
    """drop-column for each existing column this migration made depend on the type, domain,
    collation, schema or extension a DROP ... CASCADE drops (one created here: an older one is
    judged by its own rules)."""
    made = walk.made
    if F.CASCADE not in op.flags or not made.retyped or not op.column:
        return ()
    kind, name = op.kind, op.column
    if kind is not K.COLLATION and not made.created(kind, name):
        return ()
    out = []
    for dep, used, table, column, line in made.retyped:
        if _drops(kind, name, dep, used, walk):
            reached = replace(op, table=table)
            out.append(hit(R.DROP_COLUMN, reached, f"DROP {str(kind).upper()} {name} CASCADE also drops column "
                           f"{column} of {table}, which this migration changed to use {dep} {used} (line {line}): its "
                           "data is deleted for good."))
    return out


def _drops(kind: ObjectKind | None, name: str, dep: str, used: str, walk: Walk) -> bool:
    """Whether dropping `kind` `name` with CASCADE drops a column that uses `dep` (type or
    collation) `used`."""
    if kind in (K.TYPE, K.DOMAIN):
        return dep == "type" and unqualified(used) == unqualified(name)
    if kind is K.COLLATION:
        return dep == "collation" and unqualified(used) == unqualified(name)
    if kind is K.SCHEMA:
        schema = name.lower()
        qualifier = used.lower().rpartition(".")[0]
        if qualifier:
            return qualifier == schema
        objects = walk.made.objects
        return any((group(k), f"{schema}.{unqualified(used)}") in objects for k in (K.TYPE, K.COLLATION))
    if kind is K.EXTENSION:
        return dep == "type" and unqualified(used) not in _BUILTIN_TYPES and not walk.made.created(K.TYPE, used)
    return False
