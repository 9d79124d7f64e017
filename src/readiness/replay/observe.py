"""What the server shows about a statement: the catalog snapshot, the relations' storage and scan
counters, and their differences.

These queries run in the migrations' own session, because a transaction's uncommitted DDL is visible
only there. They cannot be spoofed by the migrations' SQL:

* every observation runs inside a savepoint that is rolled back (so it leaves no trace, and settings
  made for it vanish), after pinning `search_path` to `pg_catalog, pg_temp` and the observation's own
  timeouts;
* every relation and function is schema-qualified (`pg_catalog.pg_class`,
  `pg_catalog.pg_relation_filenode`), so a table, view or function a migration names `pg_class` or
  `pg_relation_filenode` in `public` (or in `pg_temp`) is never used; operators resolve through the
  pinned `search_path`, where only `pg_catalog`'s exist for the built-in types;
* what it reads is what the server itself maintains (relfilenode, the per-transaction scan counters,
  `pg_get_*def` deparsing), none of which a non-superuser can write; and locks are read from another
  session entirely (`sandbox.LOCKS`).

An observation that fails (the migration exhausted the lock table, say) is reported as not observed,
never as "nothing happened".
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from readiness import lazyre
from readiness.replay.model import (
    CatalogChange,
    ChangeAction,
    Difference,
    DifferenceKind,
    Lock,
    LockMode,
    RelationKind,
    Rewrite,
    Scan,
    Validation,
)

if TYPE_CHECKING:
    import psycopg

_NSP = """nsp AS (
  SELECT n.oid, n.nspname FROM pg_catalog.pg_namespace n
  WHERE n.nspname <> ALL (ARRAY['pg_catalog', 'information_schema']::pg_catalog.name[])
    AND n.nspname::pg_catalog.text !~ '^pg_(toast|temp_|toast_temp_)'
), ext AS (
  SELECT d.classid, d.objid FROM pg_catalog.pg_depend d WHERE d.deptype = 'e'
)"""

RELATIONS = f"""WITH {_NSP}
SELECT c.oid::pg_catalog.int8, c.oid::pg_catalog.regclass::pg_catalog.text, c.relkind::pg_catalog.text,
       pg_catalog.pg_relation_filenode(c.oid)::pg_catalog.int8,
       pg_catalog.pg_stat_get_xact_numscans(c.oid)
FROM pg_catalog.pg_class c JOIN nsp ON nsp.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'i', 'I', 'm', 'S', 'v', 'f')"""
"""oid, name, relkind, storage file node, sequential scans so far in this transaction (unflushed)."""

SNAPSHOT = f"""WITH {_NSP},
rel AS (
  SELECT c.* FROM pg_catalog.pg_class c JOIN nsp ON nsp.oid = c.relnamespace
  WHERE NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
                    AND ext.objid = c.oid)
)
SELECT 'schema', n.nspname::pg_catalog.text, NULL::pg_catalog.text, ''::pg_catalog.text FROM nsp n
UNION ALL
SELECT 'extension', e.extname::pg_catalog.text, NULL, e.extversion FROM pg_catalog.pg_extension e
UNION ALL
SELECT CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'table' WHEN 'v' THEN 'view'
         WHEN 'm' THEN 'materialized view' WHEN 'S' THEN 'sequence' WHEN 'f' THEN 'foreign table' ELSE 'type' END,
       c.oid::pg_catalog.regclass::pg_catalog.text,
       CASE WHEN c.relkind = 'S' THEN (
         SELECT d.refobjid::pg_catalog.regclass::pg_catalog.text FROM pg_catalog.pg_depend d
         WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = c.oid
           AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.deptype IN ('a', 'i') LIMIT 1) END,
       CASE WHEN c.relkind IN ('v', 'm') THEN 'definition ' || pg_catalog.md5(@NOW(pg_catalog.pg_get_viewdef(c.oid)))
            WHEN c.relkind = 'S' THEN (
              SELECT pg_catalog.concat_ws(' ', s.seqtypid::pg_catalog.regtype, 'start', s.seqstart, 'increment',
                                         s.seqincrement, 'min', s.seqmin, 'max', s.seqmax,
                                         CASE WHEN s.seqcycle THEN 'cycle' END)
              FROM pg_catalog.pg_sequence s WHERE s.seqrelid = c.oid)
            ELSE pg_catalog.concat_ws(' ', CASE c.relkind WHEN 'p' THEN 'partitioned' END,
                                      CASE c.relpersistence WHEN 'u' THEN 'unlogged' END,
                                      CASE WHEN c.relrowsecurity THEN 'row-level security' END,
                                      CASE WHEN c.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(c.oid) END,
                                      pg_catalog.pg_get_expr(c.relpartbound, c.oid),
                                      pg_catalog.array_to_string(c.reloptions, ',')) END
FROM rel c WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f', 'c')
UNION ALL
SELECT 'column', c.oid::pg_catalog.regclass::pg_catalog.text || '.' || pg_catalog.quote_ident(a.attname),
       c.oid::pg_catalog.regclass::pg_catalog.text,
       pg_catalog.concat_ws(' ', pg_catalog.format_type(a.atttypid, a.atttypmod),
                            CASE WHEN a.attnotnull THEN 'not null' END,
                            CASE WHEN a.attidentity <> '' THEN 'identity' END,
                            CASE WHEN a.attgenerated <> '' THEN 'generated' END,
                            'default ' || pg_catalog.pg_get_expr(d.adbin, d.adrelid),
                            CASE WHEN a.attcollation <> t.typcollation
                                 THEN 'collate ' || co.collname::pg_catalog.text END)
FROM rel c JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid
JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation
WHERE c.relkind IN ('r', 'p', 'f', 'c') AND a.attnum > 0 AND NOT a.attisdropped
UNION ALL
SELECT 'constraint',
       CASE WHEN k.conrelid <> 0 THEN k.conrelid::pg_catalog.regclass::pg_catalog.text
            ELSE k.contypid::pg_catalog.regtype::pg_catalog.text END || '.' || pg_catalog.quote_ident(k.conname),
       CASE WHEN k.conrelid <> 0 THEN k.conrelid::pg_catalog.regclass::pg_catalog.text
            ELSE k.contypid::pg_catalog.regtype::pg_catalog.text END,
       pg_catalog.pg_get_constraintdef(k.oid)
FROM pg_catalog.pg_constraint k JOIN nsp ON nsp.oid = k.connamespace
WHERE k.conrelid = 0 OR EXISTS (SELECT 1 FROM rel WHERE rel.oid = k.conrelid)
UNION ALL
SELECT 'index', c.oid::pg_catalog.regclass::pg_catalog.text, i.indrelid::pg_catalog.regclass::pg_catalog.text,
       pg_catalog.pg_get_indexdef(c.oid) || CASE WHEN i.indisvalid THEN '' ELSE ' INVALID' END
FROM rel c JOIN pg_catalog.pg_index i ON i.indexrelid = c.oid
UNION ALL
SELECT CASE p.prokind WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate' ELSE 'function' END,
       p.oid::pg_catalog.regprocedure::pg_catalog.text, NULL,
       pg_catalog.concat_ws(' ', 'returns', pg_catalog.pg_get_function_result(p.oid), 'language', l.lanname,
                            p.provolatile, CASE WHEN p.prosecdef THEN 'security definer' END,
                            pg_catalog.array_to_string(p.proconfig, ','), 'body', pg_catalog.md5(p.prosrc))
FROM pg_catalog.pg_proc p JOIN nsp ON nsp.oid = p.pronamespace
JOIN pg_catalog.pg_language l ON l.oid = p.prolang
WHERE NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND ext.objid = p.oid)
UNION ALL
SELECT 'type', t.oid::pg_catalog.regtype::pg_catalog.text, NULL,
       CASE t.typtype WHEN 'e' THEN 'enum'
         WHEN 'd' THEN pg_catalog.concat_ws(' ', 'domain over', pg_catalog.format_type(t.typbasetype, t.typtypmod),
                                            CASE WHEN t.typnotnull THEN 'not null' END, 'default ' || t.typdefault)
         WHEN 'r' THEN 'range' ELSE t.typtype::pg_catalog.text END
FROM pg_catalog.pg_type t JOIN nsp ON nsp.oid = t.typnamespace
WHERE t.typtype IN ('e', 'd', 'r')
  AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_catalog.pg_type'::pg_catalog.regclass AND ext.objid = t.oid)
UNION ALL
SELECT 'enum value', e.enumtypid::pg_catalog.regtype::pg_catalog.text || '.' || pg_catalog.quote_literal(e.enumlabel),
       e.enumtypid::pg_catalog.regtype::pg_catalog.text, ''
FROM pg_catalog.pg_enum e JOIN pg_catalog.pg_type t ON t.oid = e.enumtypid JOIN nsp ON nsp.oid = t.typnamespace
UNION ALL
SELECT 'trigger', c.oid::pg_catalog.regclass::pg_catalog.text || '.' || pg_catalog.quote_ident(g.tgname),
       c.oid::pg_catalog.regclass::pg_catalog.text, pg_catalog.pg_get_triggerdef(g.oid)
FROM pg_catalog.pg_trigger g JOIN rel c ON c.oid = g.tgrelid WHERE NOT g.tgisinternal
UNION ALL
SELECT 'policy', c.oid::pg_catalog.regclass::pg_catalog.text || '.' || pg_catalog.quote_ident(p.polname),
       c.oid::pg_catalog.regclass::pg_catalog.text,
       pg_catalog.concat_ws(' ', p.polcmd, p.polpermissive, p.polroles::pg_catalog.text,
                            pg_catalog.pg_get_expr(p.polqual, p.polrelid),
                            pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid))
FROM pg_catalog.pg_policy p JOIN rel c ON c.oid = p.polrelid
UNION ALL
SELECT 'rule', c.oid::pg_catalog.regclass::pg_catalog.text || '.' || pg_catalog.quote_ident(r.rulename),
       c.oid::pg_catalog.regclass::pg_catalog.text,
       'definition ' || pg_catalog.md5(@NOW(pg_catalog.pg_get_ruledef(r.oid)))
FROM pg_catalog.pg_rewrite r JOIN rel c ON c.oid = r.ev_class WHERE r.rulename <> '_RETURN'"""
"""(kind, name, parent, definition) of every schema object outside the system schemas and extensions."""

_TIMESTAMP = "'[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}([.][0-9]+)?([+-][0-9]{2}(:[0-9]{2})?)?'"
"""A timestamp literal. `'now'::timestamp` in a view or a default is evaluated when the object is
created, so re-creating an identical view stores a different constant: such literals compare as equal.
(No backslashes: the observation is lexed as a whole before it pins standard_conforming_strings.)"""
_STAMP = "'<timestamp>'"
_TIMESTAMP_RE = lazyre.compile(_TIMESTAMP)
_NOW_ARGS = "'" + _TIMESTAMP.replace("'", "''") + "', '" + _STAMP.replace("'", "''") + "', 'g')"
SNAPSHOT = (SNAPSHOT.replace("@NOW(", "pg_catalog.regexp_replace(")
            .replace("def(c.oid)))", f"def(c.oid), {_NOW_ARGS})")
            .replace("def(r.oid)))", f"def(r.oid), {_NOW_ARGS})"))


UNINDEXED_FKS = """SELECT c.conrelid::pg_catalog.regclass::pg_catalog.text || '.' || pg_catalog.quote_ident(c.conname),
       c.conrelid::pg_catalog.regclass::pg_catalog.text, c.confrelid::pg_catalog.regclass::pg_catalog.text,
       ARRAY(SELECT pg_catalog.quote_ident(a.attname)::pg_catalog.text
             FROM pg_catalog.unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord)
             JOIN pg_catalog.pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum ORDER BY k.ord)
FROM pg_catalog.pg_constraint c
WHERE c.contype = 'f' AND c.conrelid >= 16384 AND NOT EXISTS (
  SELECT 1 FROM pg_catalog.pg_index i
  WHERE i.indrelid = c.conrelid AND i.indpred IS NULL AND i.indisvalid
    AND (i.indkey::pg_catalog.int2[])[0:pg_catalog.array_length(c.conkey, 1) - 1] @> c.conkey
    AND (i.indkey::pg_catalog.int2[])[0:pg_catalog.array_length(c.conkey, 1) - 1] <@ c.conkey)"""
"""Foreign keys whose referencing columns are not the leading columns of a valid, non-partial index."""

_SETTINGS = {"search_path": "pg_catalog, pg_temp", "statement_timeout": "30s", "lock_timeout": "10s",
             "transform_null_equals": "off", "DateStyle": "ISO, MDY", "IntervalStyle": "postgres",
             "extra_float_digits": "1", "bytea_output": "hex", "standard_conforming_strings": "on",
             "default_transaction_read_only": "off"}
"""Settings an observation pins, whatever the migration set before (restored by the savepoint's rollback)."""

_RELKINDS = {"r": RelationKind.TABLE, "p": RelationKind.PARTITIONED_TABLE, "i": RelationKind.INDEX,
             "I": RelationKind.INDEX, "m": RelationKind.MATERIALIZED_VIEW, "S": RelationKind.SEQUENCE,
             "v": RelationKind.VIEW, "f": RelationKind.FOREIGN_TABLE}


@dataclass(frozen=True, slots=True)
class Rel:
    """One relation as an observation saw it."""

    name: str
    kind: RelationKind
    filenode: int | None
    scans: int


Relations = dict[int, Rel]
Snapshot = dict[tuple[str, str], tuple[str | None, str]]
"""(kind, name) -> (parent, definition)."""


class ObservationError(Exception):
    """An observation query failed; the statement is reported as not observed."""


def observe(conn: psycopg.Connection[tuple[Any, ...]], *, snapshot: bool = True,
            extra: str | None = None) -> tuple[Relations, Snapshot | None, list[tuple[Any, ...]]]:
    """Relations (and the catalog snapshot, and `extra`'s rows) as the session sees them now.

    Inside a transaction it works in a savepoint; outside it opens its own read-only transaction. Both
    are rolled back, so the observation leaves the session exactly as it found it."""
    import psycopg
    from psycopg import pq

    in_txn = conn.info.transaction_status == pq.TransactionStatus.INTRANS
    sp = "readiness_observe_" + secrets.token_hex(4)
    pins = ", ".join(f"pg_catalog.set_config('{k}', '{v}', true)" for k, v in _SETTINGS.items())
    head = f"SAVEPOINT {sp}" if in_txn else "BEGIN READ ONLY"
    tail = f"ROLLBACK TO SAVEPOINT {sp}; RELEASE SAVEPOINT {sp}" if in_txn else "ROLLBACK"
    queries = [RELATIONS] + ([SNAPSHOT] if snapshot else []) + ([extra] if extra else [])
    try:
        cur = conn.execute(f"{head}; SELECT {pins}; " + "; ".join(queries) + f"; {tail}")
        results: list[list[tuple[Any, ...]]] = []
        while True:
            if cur.description is not None:
                results.append(cur.fetchall())
            if not cur.nextset():
                break
    except psycopg.Error as exc:
        try:
            conn.execute(tail)
        except psycopg.Error:
            pass
        raise ObservationError(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__) from None
    rows = results[1:]  # results[0] is the set_config row
    rels = {int(oid): Rel(str(name), _RELKINDS.get(str(kind), RelationKind.OTHER),
                          None if node is None or int(node) == 0 else int(node), int(scans or 0))
            for oid, name, kind, node, scans in rows[0]}
    snap: Snapshot | None = None
    if snapshot:
        snap = {(str(k), str(n)): (None if p is None else str(p),
                                   "" if d is None else _TIMESTAMP_RE.sub(_STAMP, str(d)))
                for k, n, p, d in rows[1]}
    return rels, snap, rows[-1] if extra else []


# -- differences ----------------------------------------------------------------------------------

def rewrites(before: Relations, after: Relations, existing: set[int]) -> tuple[Rewrite, ...]:
    """Relations whose storage changed (TOAST is not listed: its table's own file node changes too)."""
    out = []
    for oid, rel in after.items():
        old = before.get(oid)
        if old is None or old.filenode is None or rel.filenode is None or old.filenode == rel.filenode:
            continue
        if rel.kind in (RelationKind.SEQUENCE, RelationKind.VIEW):
            continue
        out.append(Rewrite(relation=rel.name, kind=rel.kind, new=oid not in existing))
    return tuple(sorted(out, key=lambda r: r.relation))


def scans(before: Relations, after: Relations, existing: set[int]) -> tuple[Scan, ...]:
    """Sequential scans of tables and materialized views the statement started."""
    out = []
    for oid, rel in after.items():
        if rel.kind not in (RelationKind.TABLE, RelationKind.MATERIALIZED_VIEW):
            continue
        old = before.get(oid)
        count = rel.scans - (old.scans if old is not None else 0)
        if count > 0:
            out.append(Scan(relation=rel.name, count=count, new=oid not in existing))
    return tuple(sorted(out, key=lambda s: s.relation))


def locks(before: dict[tuple[int, str], bool], after: dict[tuple[int, str], bool], rels: list[Relations],
          existing: set[int]) -> tuple[Lock, ...]:
    """Per relation, the strongest lock in `after`, and whether it is new since `before`; relations are
    named from the observations in `rels` (after first, so a relation dropped by the statement is named
    from before it)."""
    strongest: dict[int, tuple[LockMode, bool]] = {}
    for (oid, server_mode), granted in after.items():
        mode = LockMode.from_server(server_mode)
        if mode is None:
            continue
        held = strongest.get(oid)
        if held is None or (granted, mode.rank) > (held[1], held[0].rank):
            strongest[oid] = (mode, granted)
    out = []
    for oid, (mode, granted) in strongest.items():
        rel = next((r[oid] for r in rels if oid in r), None)
        if rel is None:
            continue  # created and dropped within the statement
        was = max((LockMode.from_server(m) or LockMode.ACCESS_SHARE for (o, m), g in before.items()
                   if o == oid and g), key=lambda m: m.rank, default=None)
        acquired = was is None or was.rank < mode.rank
        out.append(Lock(relation=rel.name, kind=rel.kind, mode=mode, acquired=acquired, granted=granted,
                        new=oid not in existing))
    return tuple(sorted(out, key=lambda lk: lk.relation))


def changes(before: Snapshot, after: Snapshot) -> tuple[CatalogChange, ...]:
    """Objects created, dropped or altered between two snapshots."""
    out = []
    for key, (_, definition) in after.items():
        old = before.get(key)
        if old is None:
            out.append(CatalogChange(action=ChangeAction.CREATED, kind=key[0], name=key[1], after=definition or None))
        elif old[1] != definition:
            out.append(CatalogChange(action=ChangeAction.ALTERED, kind=key[0], name=key[1], before=old[1] or None,
                                     after=definition or None))
    for key, (_, definition) in before.items():
        if key not in after:
            out.append(CatalogChange(action=ChangeAction.DROPPED, kind=key[0], name=key[1], before=definition or None))
    return tuple(out)


def validations(delta: tuple[CatalogChange, ...], snapshot_after: Snapshot,
                existing_tables: set[str]) -> tuple[Validation, ...]:
    """Constraints checked against the table's rows: a CHECK or FOREIGN KEY created valid or turned
    valid, and a column turned NOT NULL."""
    out = []
    for ch in delta:
        parent = snapshot_after.get((ch.kind, ch.name), (None, ""))[0]
        if parent is None:
            continue
        after = ch.after or ""
        if ch.kind == "constraint" and after.startswith(("CHECK", "FOREIGN KEY")) and not after.endswith("NOT VALID"):
            if ch.action is ChangeAction.CREATED or (ch.before or "").endswith("NOT VALID"):
                out.append(Validation(constraint=ch.name, relation=parent, new=parent not in existing_tables))
        elif (ch.kind == "column" and ch.action is ChangeAction.ALTERED and " not null" in f" {after}"
              and " not null" not in f" {ch.before or ''}"):
            out.append(Validation(constraint=f"{ch.name} NOT NULL", relation=parent,
                                  new=parent not in existing_tables))
    return tuple(out)


def differences(before: Snapshot, after: Snapshot) -> tuple[Difference, ...]:
    """How `after` (the schema once up and down ran) differs from `before` (the schema before the up),
    in human terms: an object whose parent is itself left or missing is not listed again."""
    out: list[Difference] = []
    for kind, here, there, verb in ((DifferenceKind.LEFT, after, before, "down leaves"),
                                    (DifferenceKind.NOT_RESTORED, before, after, "down does not restore")):
        only = {k for k in here if k not in there}
        names = {name for _, name in only}
        for key in sorted(only):
            parent = here[key][0]
            if parent is None or parent not in names:  # a part of an object listed itself is not listed again
                out.append(Difference(kind=kind, object_kind=key[0], name=key[1], message=f"{verb} {key[0]} {key[1]}"))
    for key in sorted(k for k in after if k in before and after[k][1] != before[k][1]):
        old, new = before[key][1], after[key][1]
        if old.startswith(("definition ", "returns ")) or new.startswith(("definition ", "returns ")):
            how = "its definition differs"
        else:
            how = f"{_short(old) or '(plain)'} became {_short(new) or '(plain)'}"
        out.append(Difference(kind=DifferenceKind.CHANGED, object_kind=key[0], name=key[1],
                              message=f"down leaves {key[0]} {key[1]} changed: {how}"))
    return tuple(out)


def _short(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
