"""SQL parse trees (libpg_query JSON) -> the typed operations of ops.py.

alembic.py and django.py build the same `Op`s from `op.*` / `migrations.*` calls; the checks judge
`Op`s, never raw syntax. This module is the only one that reads libpg_query's node names.

Why over 500 lines: it is the one translation table from parse-tree node types to
operations (a handler per statement kind, `_HANDLERS`) and the statement heads that give each
action (`HEADS`); keeping it in one module keeps every node name of libpg_query in one place.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from readiness import lazyre
from readiness.gates.migrations.encoding import client_encoding_ops
from readiness.gates.migrations.idents import PG_IDENT, decomment, pg_ident
from readiness.gates.migrations.lexing import ambiguous_string, turns_off_standard_strings
from readiness.gates.migrations.mentions import may_mention
from readiness.gates.migrations.ops import Action, ColumnDef, ConstraintKind, LockMode, ObjectKind, Op, relation_name
from readiness.gates.migrations.ops import Flag as F
from readiness.gates.migrations.sql import Statement, normalize
from readiness.gates.migrations.views import VIEW_HEAD, through_views

if TYPE_CHECKING:
    from readiness.gates.migrations.dynamic import DoBlock

A = Action

_VOLATILITY: dict[str, str] | None = None


def function_volatility(name: str) -> str:
    """PostgreSQL's volatility of a function (`i` immutable, `s` stable, `v` volatile), from the
    catalog of a real server (pg_volatility.json, made by scripts/gen_pg_volatility.py). Only
    built-in (pg_catalog) functions are known: any other, or one qualified with another schema,
    is volatile."""
    global _VOLATILITY
    if _VOLATILITY is None:
        import json
        from pathlib import Path

        data = json.loads(Path(__file__).with_name("pg_volatility.json").read_text(encoding="utf-8"))
        _VOLATILITY = {str(k): str(v) for k, v in data["functions"].items()}
    schema, _, short = name.rpartition(".")
    if schema and schema.lower() != "pg_catalog":
        return "v"
    return _VOLATILITY.get(short.lower(), "v")


def builtin(name: str) -> bool:
    """A function PostgreSQL itself defines (pg_catalog): no migration's body runs when it is called."""
    function_volatility(name)  # loads the catalog
    return _VOLATILITY is not None and name.lower() in _VOLATILITY


SERIAL_TYPES = frozenset({"serial", "serial4", "bigserial", "serial8", "smallserial", "serial2"})
LOCK_MODES = (None, LockMode.ACCESS_SHARE, LockMode.ROW_SHARE, LockMode.ROW_EXCLUSIVE,
              LockMode.SHARE_UPDATE_EXCLUSIVE, LockMode.SHARE, LockMode.SHARE_ROW_EXCLUSIVE, LockMode.EXCLUSIVE,
              LockMode.ACCESS_EXCLUSIVE)
"""libpg_query's LockStmt.mode numbers (1-8) -> the mode as written in SQL."""


_RELATIONS = frozenset({"OBJECT_VIEW", "OBJECT_MATVIEW", "OBJECT_SEQUENCE", "OBJECT_FOREIGN_TABLE", "OBJECT_TABLE"})
"""Object types that are relations: renaming or moving them takes ACCESS EXCLUSIVE on them."""
_RENAMED_BY_NAME = frozenset({
    "OBJECT_SCHEMA", "OBJECT_VIEW", "OBJECT_MATVIEW", "OBJECT_SEQUENCE", "OBJECT_FOREIGN_TABLE", "OBJECT_TYPE",
    "OBJECT_DOMAIN", "OBJECT_ATTRIBUTE", "OBJECT_FUNCTION", "OBJECT_PROCEDURE", "OBJECT_ROUTINE",
    "OBJECT_AGGREGATE", "OBJECT_DATABASE",
})
"""Renames that break code referring to the object by name. Index, constraint, trigger, policy and
role renames are left out: queries do not name them (rare exceptions: ON CONFLICT ON CONSTRAINT, hints)."""

_IDENT = r'(?:"(?:[^"]|"")*"|[^\W\d][\w$]*)'
_CREATE_OBJECT = lazyre.compile(
    r"CREATE\s+(?P<replace>OR\s+REPLACE\s+)?(?:(?:TEMP|TEMPORARY)\s+)?(?:RECURSIVE\s+)?"
    r"(?P<kind>MATERIALIZED\s+VIEW|VIEW|FUNCTION|PROCEDURE|AGGREGATE|TYPE|SEQUENCE|SCHEMA|EXTENSION)\s+"
    rf"(?P<ine>IF\s+NOT\s+EXISTS\s+)?(?P<name>{_IDENT}(?:\s*\.\s*{_IDENT})*)",
    re.IGNORECASE)
"""Statements that create a named object and get no parse tree (`HEADS`): only the name matters."""
_IDENT_PART = lazyre.compile(_IDENT)


_ALTER = r"ALTER"
_TXN = (r"BEGIN", r"START", r"COMMIT", r"END", r"ROLLBACK", r"ABORT")
_DML = (r"WITH", r"EXPLAIN")  # a data-modifying CTE; EXPLAIN ANALYZE runs what it explains
_REWRITES = (r"MERGE", r"CREATE\s+(?:OR\s+REPLACE\s+)?RULE")  # MERGE ... THEN DELETE; a rule's DELETE runs later
HEADS: dict[Action, tuple[str, ...]] = {
    A.ADD_COLUMN: (_ALTER,), A.DROP_COLUMN: (_ALTER,), A.ALTER_TYPE: (_ALTER,), A.SET_NOT_NULL: (_ALTER,),
    A.DROP_NOT_NULL: (_ALTER,), A.SET_DEFAULT: (_ALTER,), A.DROP_DEFAULT: (_ALTER,), A.ADD_CONSTRAINT: (_ALTER,),
    A.DROP_CONSTRAINT: (_ALTER,), A.VALIDATE_CONSTRAINT: (_ALTER,), A.ALTER_OTHER: (_ALTER,),
    A.DETACH_PARTITION: (_ALTER,), A.RENAME_COLUMN: (_ALTER,), A.RENAME_TABLE: (_ALTER,),
    A.RENAME_OBJECT: (_ALTER,), A.RENAME_OTHER: (_ALTER,), A.SET_SCHEMA: (_ALTER,), A.ADD_ENUM_VALUE: (_ALTER,),
    A.ALTER_DOMAIN: (_ALTER,),
    A.CREATE_TABLE: (r"CREATE\s+(?:(?:GLOBAL|LOCAL)\s+)?(?:UNLOGGED\s+|TEMP\w*\s+)?TABLE", *_DML),
    A.CREATE_INDEX: (r"CREATE\s+(?:UNIQUE\s+)?INDEX",),
    # other CREATEs are read without a tree (`_untreed`)
    A.CREATE_OBJECT: (r"CREATE\s+DOMAIN", r"CREATE\s+(?:OR\s+REPLACE\s+)?RULE"),
    A.CREATE_TRIGGER: (r"CREATE\s+(?:OR\s+REPLACE\s+)?(?:CONSTRAINT\s+)?TRIGGER",),
    A.DROP_TABLE: (r"DROP",), A.DROP_INDEX: (r"DROP",), A.DROP_OBJECT: (r"DROP",),
    A.TRUNCATE: (r"TRUNCATE",), A.REWRITE: (_ALTER, r"VACUUM", r"CLUSTER"), A.VACUUM: (r"VACUUM",),
    A.REINDEX: (r"REINDEX",), A.REFRESH_MATVIEW: (r"REFRESH",), A.LOCK_TABLE: (r"LOCK",),
    A.UPDATE: (r"UPDATE", r"INSERT\b(?=[\s\S]*\bconflict\b)", *_DML, *_REWRITES),  # ON CONFLICT DO UPDATE
    A.DELETE: (r"DELETE", *_DML, *_REWRITES),
    A.INSERT_SELECT: (r"INSERT\b(?=[\s\S]*\bselect\b)", *_DML, r"MERGE"),  # INSERT ... VALUES is read without a tree
    A.SET_LOCK_TIMEOUT: (r"SET", r"RESET"), A.SET_TIMEZONE: (r"SET", r"RESET"),
    A.BEGIN: _TXN, A.COMMIT: _TXN, A.DYNAMIC_SQL: (r"COPY(?=[\s\S]*\b(?:PROGRAM|TO\s+E?'))",),
}
"""The leading keywords of the statements whose parse tree can give each action (regular
expressions, matched case-insensitively at the statement's start). Only statements whose
operations some check, the schema walk or the gate reads get a tree (`tree_test`); the rest are
split and counted, because decoding trees of big views and functions is where the time goes."""


def tree_test(actions: Iterable[Action]) -> Callable[[str], bool]:
    """The test of a statement's text that says whether it can give one of `actions` (and so needs
    its parse tree)."""
    heads = sorted({h for a in actions for h in HEADS.get(a, ())})
    if not heads:
        return lambda text: False
    pattern = re.compile(r"(?:" + "|".join(heads) + r")\b", re.IGNORECASE)
    match = pattern.match
    return lambda text: match(text) is not None


Base = dict[str, Any]
"""Position and evidence keywords shared by the operations of one statement."""


def _name(rv: dict[str, Any] | None) -> str | None:
    if not rv:
        return None
    rel = rv.get("relname")
    if rel is None:
        return None
    schema = rv.get("schemaname")
    return relation_name(str(schema) if schema else None, str(rel))


def _persistence(rv: dict[str, Any] | None, oncommit: object = None) -> set[F]:
    """TEMP (and ON COMMIT DROP) of the relation a CREATE TABLE names."""
    if not rv or (rv.get("relpersistence") != "t" and rv.get("schemaname") != "pg_temp"):
        return set()
    return {F.TEMP, F.ON_COMMIT_DROP} if oncommit == "ONCOMMIT_DROP" else {F.TEMP}


def _strings(items: list[Any] | None) -> list[str]:
    out = []
    for it in items or ():
        s = it.get("String") if isinstance(it, dict) else None
        if s is not None:
            out.append(str(s.get("sval", "")))
    return out


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    stack = [node]
    while stack:
        cur = stack.pop()
        if isinstance(cur, dict):
            yield cur
            stack.extend(cur.values())
        elif isinstance(cur, list):
            stack.extend(cur)


nodes = _walk
"""Every dict node of a parse tree (views.py reads a view's tables with it)."""


def volatile(expr: Any) -> bool:
    """True when a default expression calls a volatile function (by PostgreSQL's own catalog; an
    unknown function counts as volatile), holds a subquery, or is too deep to read."""
    for node in _walk(expr):
        fc = node.get("FuncCall")
        if isinstance(fc, dict):
            names = _strings(fc.get("funcname"))
            if names and function_volatility(".".join(names)) == "v":
                return True
        if "SubLink" in node or "Deep" in node:  # a subquery, or an expression too deep to read
            return True
    return False


def type_name(tn: dict[str, Any] | None) -> str:
    """`pg_catalog.int8` -> `int8`; keeps typmods out."""
    names = _strings((tn or {}).get("names"))
    if not names:
        return "?"
    base = names[-1] if names[0] == "pg_catalog" else ".".join(names)
    return base + ("[]" if (tn or {}).get("arrayBounds") else "")


def type_mods(tn: dict[str, Any] | None) -> tuple[int, ...]:
    """A type's integer modifiers: `varchar(20)` -> (20,), `numeric(10, 2)` -> (10, 2), none -> ()."""
    out: list[int] = []
    for mod in (tn or {}).get("typmods") or ():
        const = mod.get("A_Const") if isinstance(mod, dict) else None
        ival = (const or {}).get("ival")
        if not isinstance(ival, dict):
            return ()  # not a plain integer (or 0, which libpg_query omits): unknown
        value = ival.get("ival", 0)
        if not isinstance(value, int):
            return ()
        out.append(value)
    return tuple(out)


def _column_flags(cdef: dict[str, Any]) -> set[F]:
    flags: set[F] = set()
    if type_name(cdef.get("typeName")).lower() in SERIAL_TYPES:
        flags.add(F.SERIAL)
    for c in cdef.get("constraints") or ():
        con = c.get("Constraint", {})
        kind = con.get("contype")
        if kind == "CONSTR_NOTNULL":
            flags.add(F.NOT_NULL)
        elif kind == "CONSTR_DEFAULT":
            flags.add(F.HAS_DEFAULT)
            if volatile(con.get("raw_expr")):
                flags.add(F.VOLATILE_DEFAULT)
        elif kind == "CONSTR_IDENTITY":
            flags.add(F.IDENTITY)
        elif kind == "CONSTR_GENERATED":
            flags.add(F.GENERATED_STORED)
        elif kind == "CONSTR_UNIQUE":
            flags.add(F.UNIQUE)
        elif kind == "CONSTR_PRIMARY":
            flags.add(F.PRIMARY_KEY)
        elif kind == "CONSTR_FOREIGN":
            flags.add(F.REFERENCES)
            if con.get("skip_validation"):
                flags.add(F.NOT_VALID)
            if con.get("fk_del_action") in _ON_DELETE_CHANGES:
                flags.add(F.ON_DELETE)
        elif kind == "CONSTR_CHECK":
            flags.add(F.CHECK)
    return flags


def from_statement(stmt: Statement) -> list[Op]:
    """The operations of one parsed SQL statement (an `other` op when it has no tree), and a
    `dynamic_sql` one when PostgreSQL may lex it differently (lexing.py) or when it switches the client
    encoding to one the gate cannot read (encoding.py): both fail closed."""
    ops = _from_statement(stmt)
    ops.extend(client_encoding_ops(stmt))
    return ops


def _from_statement(stmt: Statement) -> list[Op]:
    base: Base = {"line": stmt.line, "col": stmt.column, "end_line": stmt.end_line,
                  "evidence": normalize(stmt.text)}
    ops = list(_statement_ops(stmt, base))
    if "\\'" in stmt.text and ambiguous_string(stmt.text) is not None:
        ops.append(Op(action=A.DYNAMIC_SQL, detail="a string here ends elsewhere when standard_conforming_strings "
                      "is off (a backslash before a quote; write it as E'...' or without the backslash)",
                      flags=frozenset({F.LEXING}), **base))
    elif turns_off_standard_strings(stmt.text, stmt.node):
        ops.append(Op(action=A.DYNAMIC_SQL, detail="this statement may turn standard_conforming_strings off, "
                      "after which backslashes in '...' strings escape", flags=frozenset({F.LEXING}), **base))
    return ops


def _statement_ops(stmt: Statement, base: Base) -> list[Op]:
    node = stmt.node
    if not node:
        op = _untreed(stmt.text, base)
        return do_ops(stmt, base) if op.action is A.DO else [op]
    (kind, body), = node.items()
    handler = _HANDLERS.get(kind)
    if handler is None:
        ops = [Op(action=A.DDL if kind.startswith(("Create", "Alter", "Drop", "Comment")) else A.OTHER, **base)]
    elif kind == "CreateStmt":
        ops = _create(body, base, _column_positions(stmt, body))
    else:
        ops = list(handler(body, base))
    ops.extend(_cte_ops(stmt, body))
    if stmt.cut:  # fail closed: what the cut parts hold was not read
        ops.append(Op(action=A.DYNAMIC_SQL, detail="this statement (nested too deeply to be read whole)", **base))
    return ops


_DATA_MODIFYING = ("DeleteStmt", "UpdateStmt", "InsertStmt", "MergeStmt")
_WRITES = frozenset(_DATA_MODIFYING)


def _cte_ops(stmt: Statement, body: dict[str, Any]) -> list[Op]:
    """The operations of a statement's data-modifying WITH queries (`WITH d AS (DELETE FROM users
    RETURNING 1) SELECT ...`): they run whatever the main statement is."""
    out: list[Op] = []
    for cte in (body.get("withClause") or {}).get("ctes") or ():
        query = (cte.get("CommonTableExpr") or {}).get("ctequery") if isinstance(cte, dict) else None
        if isinstance(query, dict) and len(query) == 1 and next(iter(query)) in _DATA_MODIFYING:
            out.extend(from_statement(stmt._replace(node=query, cut=False)))
    return out


_MAX_DO_DEPTH = 4


def do_ops(stmt: Statement, base: Base, depth: int = 0) -> list[Op]:
    """The operations a DO block runs: its static statements and the EXECUTE strings that fold to
    SQL text (dynamic.do_block), each on its own line; an EXECUTE that cannot be read, or a block
    that is not readable PL/pgSQL, is a `dynamic_sql` operation. All of them run inside the DO
    statement, so inside a function (`in_do`: CONCURRENTLY is refused there)."""
    from readiness.gates.migrations.dynamic import do_block

    block = do_block(stmt.text) if depth < _MAX_DO_DEPTH else None
    if block is None:
        return [Op(action=A.DYNAMIC_SQL, detail="the DO block (not readable PL/pgSQL)", **base)]
    return [Op(action=A.DO, **base), *_block_ops(block, stmt, base, depth)]


def _block_ops(block: DoBlock, stmt: Statement, base: Base, depth: int) -> list[Op]:
    """The operations of a read PL/pgSQL block (a DO block's, or a function's body) at `stmt`."""
    from readiness.gates.migrations.sql import Origin, parse

    out: list[Op] = []
    if block.cut:  # fail closed: the statements in the parts cut were not read
        out.append(Op(action=A.DYNAMIC_SQL, detail="the PL/pgSQL body (its blocks nest too deeply to be read)",
                      **base))
    for lineno, folded in block.statements:
        line = stmt.line + lineno - 1
        stmts, errors = parse(folded.text, Origin(line=line))
        if errors and folded.unknown:  # the placeholders broke it: what runs cannot be read
            out.append(Op(action=A.DYNAMIC_SQL, detail=folded.text[:200], line=line, col=1, end_line=line,
                          evidence=normalize(folded.text)))
            continue
        for st in stmts:
            inner = do_ops(st, {**base, "line": line}, depth + 1) if st.node is None and \
                st.text[:2].upper() == "DO" else from_statement(st)
            out.extend(op.moved(line=line, col=1, end_line=line, autocommit=False, flags=op.flags | {F.IN_DO})
                       for op in inner)
    for lineno, expr in block.unreadable:
        line = stmt.line + lineno - 1
        out.append(Op(action=A.DYNAMIC_SQL, detail=f"EXECUTE {' '.join(expr.split())[:200]}", line=line, col=1,
                      end_line=line, evidence=normalize(expr)))
    return out


def _column_positions(stmt: Statement, body: dict[str, Any]) -> dict[str, tuple[int, int]]:
    """Column name -> (line, column) of its definition, so that a rule about one column of a
    CREATE TABLE points at that column's line (and an inline waiver above it applies)."""
    defs = [cdef for el in body.get("tableElts") or () if (cdef := el.get("ColumnDef")) is not None
            and isinstance(cdef.get("location"), int)]
    at = stmt.positions([cdef["location"] for cdef in defs])
    return {str(cdef.get("colname", "")): pos for cdef, pos in zip(defs, at, strict=True) if pos is not None}


def _untreed(text: str, base: Base) -> Op:
    head = text[:12].upper()
    if head.startswith("INSERT"):
        return Op(action=A.INSERT, **base)
    if head.startswith(("SELECT", "VALUES", "COPY")):
        return Op(action=A.OTHER, **base)
    if head.startswith("DO"):
        return Op(action=A.DO, **base)  # from_statement reads the block (do_ops)
    m = _CREATE_OBJECT.match(text) if head.startswith("CREATE") else None
    if m is not None:
        kind = ObjectKind(" ".join(m.group("kind").lower().split()))
        return Op(action=A.CREATE_OBJECT, column=_ident_path(m.group("name")), kind=kind,
                  flags=frozenset({F.OR_REPLACE} if m.group("replace") else ()) | (
                      {F.IF_NOT_EXISTS} if m.group("ine") else set()), **base)
    return Op(action=A.DDL, **base)


def _ident_path(text: str) -> str:
    """`public."Big View"` -> `public.Big View`: identifiers as the parser names them."""
    parts = []
    for m in _IDENT_PART.finditer(text):
        part = m.group(0)
        parts.append(part[1:-1].replace('""', '"') if part.startswith('"') else part.lower())
    return ".".join(parts)


def _kind(object_type: object) -> ObjectKind | None:
    """`OBJECT_MATVIEW` -> `materialized view`, `OBJECT_TYPE` -> `type`; None for a name this
    PostgreSQL version's parser would not give."""
    return ObjectKind.__members__.get(str(object_type).removeprefix("OBJECT_"))


def _object_name(node: Any) -> str | None:
    """The dotted name of a DropStmt object / RenameStmt object (List, String, TypeName, ObjectWithArgs)."""
    if isinstance(node, list):
        return ".".join(_strings(node)) or None
    if not isinstance(node, dict):
        return None
    if "List" in node:
        return ".".join(_strings(node["List"].get("items"))) or None
    if "String" in node:
        return str(node["String"].get("sval", "")) or None
    if "TypeName" in node:
        return ".".join(_strings(node["TypeName"].get("names"))) or None
    if "ObjectWithArgs" in node:
        return ".".join(_strings(node["ObjectWithArgs"].get("objname"))) or None
    return None


def _alter_table(body: dict[str, Any], base: Base) -> list[Op]:
    table = _name(body.get("relation"))
    objtype = body.get("objtype", "OBJECT_TABLE")
    cmds = body.get("cmds") or ()
    if objtype == "OBJECT_INDEX" and any(c.get("AlterTableCmd", {}).get("subtype") == "AT_SetTableSpace"
                                         for c in cmds):
        return [Op(action=A.REWRITE, table=table, detail="SET TABLESPACE", **base)]
    if objtype not in ("OBJECT_TABLE", "OBJECT_MATVIEW", "OBJECT_FOREIGN_TABLE"):
        return [Op(action=A.DDL, table=table, **base)]
    ops = []
    for c in cmds:
        cmd = c.get("AlterTableCmd", {})
        sub = cmd.get("subtype", "")
        name = cmd.get("name")
        d = cmd.get("def") or {}
        if sub == "AT_AddColumn":
            cdef = d.get("ColumnDef", {})
            ref = next((con["Constraint"].get("pktable") for con in cdef.get("constraints") or ()
                        if con.get("Constraint", {}).get("contype") == "CONSTR_FOREIGN"), None)
            ops.append(Op(action=A.ADD_COLUMN, table=table, column=cdef.get("colname"),
                          detail=type_name(cdef.get("typeName")), flags=frozenset(_column_flags(cdef)),
                          mods=type_mods(cdef.get("typeName")), references=_name(ref) if ref else None, **base))
        elif sub == "AT_DropColumn":
            ops.append(Op(action=A.DROP_COLUMN, table=table, column=name,
                          flags=frozenset({F.IF_EXISTS} if cmd.get("missing_ok") else ()), **base))
        elif sub == "AT_AlterColumnType":
            cdef = d.get("ColumnDef", {})
            using = cdef.get("raw_default")
            itself = _strings(((using or {}).get("ColumnRef") or {}).get("fields"))[-1:] == [name]
            ops.append(Op(action=A.ALTER_TYPE, table=table, column=name,
                          detail=type_name(cdef.get("typeName")),
                          flags=frozenset({F.USING} if using and not itself else ()),  # USING col is no USING
                          mods=type_mods(cdef.get("typeName")), **base))
        elif sub == "AT_SetNotNull":
            ops.append(Op(action=A.SET_NOT_NULL, table=table, column=name, **base))
        elif sub == "AT_ColumnDefault":
            ops.append(Op(action=A.SET_DEFAULT if cmd.get("def") else A.DROP_DEFAULT, table=table, column=name,
                          **base))
        elif sub == "AT_DropNotNull":
            ops.append(Op(action=A.DROP_NOT_NULL, table=table, column=name, **base))
        elif sub == "AT_DropConstraint":
            ops.append(Op(action=A.DROP_CONSTRAINT, table=table, column=name, **base))
        elif sub == "AT_AddConstraint":
            con = d.get("Constraint", {})
            flags = set()
            if con.get("skip_validation"):
                flags.add(F.NOT_VALID)
            if con.get("indexname"):
                flags.add(F.USING_INDEX)
            if con.get("contype") == "CONSTR_FOREIGN" and con.get("fk_del_action") in _ON_DELETE_CHANGES:
                flags.add(F.ON_DELETE)
            kind = ConstraintKind.__members__.get(str(con.get("contype", "")).removeprefix("CONSTR_"))
            cols = _strings(con.get("keys") or con.get("fk_attrs"))
            ops.append(Op(action=A.ADD_CONSTRAINT, table=table, column=con.get("conname"), constraint=kind,
                          flags=frozenset(flags), references=_name(con.get("pktable")), keys=tuple(cols),
                          check_not_null=_check_not_null(con), **base))
        elif sub == "AT_ValidateConstraint":
            ops.append(Op(action=A.VALIDATE_CONSTRAINT, table=table, column=name, **base))
        elif sub in ("AT_SetTableSpace", "AT_SetLogged", "AT_SetUnLogged"):
            what = {"AT_SetTableSpace": "SET TABLESPACE", "AT_SetLogged": "SET LOGGED",
                    "AT_SetUnLogged": "SET UNLOGGED"}[sub]
            ops.append(Op(action=A.REWRITE, table=table, detail=what, **base))
        elif sub == "AT_AttachPartition":  # the partition's rows are now the parent's: DROP/TRUNCATE of it reach them
            pc = d.get("PartitionCmd", {})
            ops.append(Op(action=A.ALTER_OTHER, table=table, column=_name(pc.get("name")), detail=sub, **base))
        elif sub in ("AT_AddInherit", "AT_DropInherit"):  # column: the parent
            ops.append(Op(action=A.ALTER_OTHER, table=table, column=_name(d.get("RangeVar")), detail=sub, **base))
        elif sub == "AT_DetachPartition":
            pc = d.get("PartitionCmd", {})
            ops.append(Op(action=A.DETACH_PARTITION, table=table, column=_name(pc.get("name")),
                          flags=frozenset({F.CONCURRENTLY} if pc.get("concurrent") else ()), **base))
        else:
            ops.append(Op(action=A.ALTER_OTHER, table=table, column=name, detail=sub, **base))
    return ops


_ON_DELETE_CHANGES = frozenset({"c", "n", "d"})
"""A foreign key's ON DELETE actions that change the referencing rows: CASCADE, SET NULL, SET DEFAULT."""


def _check_not_null(con: dict[str, Any]) -> str | None:
    """For `CHECK (col IS NOT NULL)` the column name, else None."""
    if con.get("contype") != "CONSTR_CHECK":
        return None
    nt = (con.get("raw_expr") or {}).get("NullTest")
    if not nt or nt.get("nulltesttype") != "IS_NOT_NULL":
        return None
    fields = _strings(((nt.get("arg") or {}).get("ColumnRef") or {}).get("fields"))
    return fields[-1] if fields else None


def _index(body: dict[str, Any], base: Base) -> list[Op]:
    flags = {f for f, k in ((F.CONCURRENTLY, "concurrent"), (F.UNIQUE, "unique")) if body.get(k)}
    return [Op(action=A.CREATE_INDEX, table=_name(body.get("relation")), column=body.get("idxname"),
               flags=frozenset(flags), **base)]


def _rename(body: dict[str, Any], base: Base) -> list[Op]:
    rt = body.get("renameType")
    table = _name(body.get("relation"))
    if rt == "OBJECT_COLUMN":
        return [Op(action=A.RENAME_COLUMN, table=table, column=body.get("subname"),
                   new_name=str(body.get("newname")), **base)]
    if rt == "OBJECT_TABLE":
        return [Op(action=A.RENAME_TABLE, table=table, new_name=str(body.get("newname")), **base)]
    if rt in _RENAMED_BY_NAME:
        kind = _kind(rt)
        name = table or _object_name(body.get("object")) or body.get("subname")
        new = str(body.get("newname"))
        if rt == "OBJECT_ATTRIBUTE":  # ALTER TYPE t RENAME ATTRIBUTE a TO b: t is the "relation"
            return [Op(action=A.RENAME_OBJECT, column=f"{table}.{body.get('subname')}", kind=kind,
                       new_name=new, **base)]
        rel = table if rt in _RELATIONS else None
        return [Op(action=A.RENAME_OBJECT, table=rel, column=name, kind=kind, new_name=new, **base)]
    return [Op(action=A.RENAME_OTHER, table=table, detail=str(rt), **base)]


def _set_schema(body: dict[str, Any], base: Base) -> list[Op]:
    ot = str(body.get("objectType", ""))
    rel = _name(body.get("relation"))
    name = rel or _object_name(body.get("object"))
    return [Op(action=A.SET_SCHEMA, table=rel if ot in _RELATIONS else None, column=name, kind=_kind(ot),
               schema=str(body.get("newschema", "")), **base)]


def _drop(body: dict[str, Any], base: Base) -> list[Op]:
    rt = str(body.get("removeType", ""))
    flags: set[F] = set()
    if body.get("concurrent"):
        flags.add(F.CONCURRENTLY)
    if body.get("behavior") == "DROP_CASCADE":
        flags.add(F.CASCADE)
    ops = []
    for obj in body.get("objects") or ():
        name = _object_name(obj)
        if rt == "OBJECT_TABLE":
            ops.append(Op(action=A.DROP_TABLE, table=name, flags=frozenset(flags), **base))
        elif rt == "OBJECT_INDEX":
            ops.append(Op(action=A.DROP_INDEX, column=name, flags=frozenset(flags), **base))
        else:
            ops.append(Op(action=A.DROP_OBJECT, column=name, kind=_kind(rt), flags=frozenset(flags), **base))
    return ops or [Op(action=A.DDL, **base)]


def _dropdb(body: dict[str, Any], base: Base) -> list[Op]:
    return [Op(action=A.DROP_OBJECT, column=str(body.get("dbname", "")), kind=ObjectKind.DATABASE, **base)]


def _copy(body: dict[str, Any], base: Base) -> list[Op]:
    """COPY ... PROGRAM runs a shell command on the database server, and COPY ... TO '<file>' writes
    a server file (postgresql.auto.conf, the data directory): neither is SQL the tool can judge,
    so both fail closed. COPY from or to the client (STDIN/STDOUT) and from a server file is data."""
    filename = body.get("filename")
    if filename is None or not (body.get("is_program") or not body.get("is_from")):
        return []
    what = "PROGRAM" if body.get("is_program") else "TO a server file"
    shown = " ".join(str(filename).split())[:120]
    return [Op(action=A.DYNAMIC_SQL, detail=f"COPY ... {what} '{shown}'", flags=frozenset({F.SERVER_SIDE}), **base)]


def _drop_owned(body: dict[str, Any], base: Base) -> list[Op]:
    """DROP OWNED BY role: every table (and other object) the role owns goes, with its data."""
    names = []
    for r in body.get("roles") or ():
        spec = r.get("RoleSpec", {}) if isinstance(r, dict) else {}
        kind = str(spec.get("roletype", ""))
        names.append(str(spec.get("rolename")) if kind == "ROLESPEC_CSTRING" else kind.removeprefix("ROLESPEC_"))
    flags = frozenset({F.CASCADE} if body.get("behavior") == "DROP_CASCADE" else ())
    return [Op(action=A.DROP_OBJECT, column=", ".join(names) or "?", kind=ObjectKind.ROLE, detail="OWNED",
               flags=flags, **base)]


def _extension_contents(body: dict[str, Any], base: Base) -> list[Op]:
    """ALTER EXTENSION e ADD/DROP object: an object added is dropped with the extension (`table`:
    the object, when it is a relation)."""
    ot = str(body.get("objtype", ""))
    name = _object_name(body.get("object"))
    verb = "ADD" if body.get("action", 1) == 1 else "DROP"
    return [Op(action=A.DDL, kind=ObjectKind.EXTENSION, column=str(body.get("extname", "")),
               table=name if ot in _RELATIONS else None, detail=f"{verb} {_kind(ot) or ot}", **base)]


def _move_all(body: dict[str, Any], base: Base) -> list[Op]:
    """ALTER TABLE ALL IN TABLESPACE a SET TABLESPACE b: every table there is copied."""
    return [Op(action=A.REWRITE, detail="SET TABLESPACE", **base)]


def _truncate(body: dict[str, Any], base: Base) -> list[Op]:
    flags = frozenset({F.CASCADE} if body.get("behavior") == "DROP_CASCADE" else ())
    return [Op(action=A.TRUNCATE, table=_name(r.get("RangeVar")), flags=flags, **base)
            for r in body.get("relations") or ()]


def option_on(options: list[Any] | None, name: str) -> bool:
    """Whether a statement's option list (`VACUUM (FULL false)`, `REINDEX (CONCURRENTLY)`) turns
    `name` on, as PostgreSQL's defGetBoolean reads it: present without a value, `true`/`on`, or a
    non-zero integer. `false`/`off`/`0` and an absent option are off; a value PostgreSQL rejects
    fails the statement, and is read as on (the statement is judged as written)."""
    for o in options or ():
        d = o.get("DefElem") if isinstance(o, dict) else None
        if not isinstance(d, dict) or str(d.get("defname", "")).lower() != name:
            continue
        arg = d.get("arg")
        if not isinstance(arg, dict):
            return True
        if "Integer" in arg:
            return bool((arg["Integer"] or {}).get("ival", 0) != 0)
        if "Boolean" in arg:
            return bool((arg["Boolean"] or {}).get("boolval", False))
        if "String" in arg:
            return str((arg["String"] or {}).get("sval", "")).lower() not in ("false", "off")
        return True
    return False


def _vacuum(body: dict[str, Any], base: Base) -> list[Op]:
    options = body.get("options")
    if not body.get("is_vacuumcmd", False):  # ANALYZE: runs in a transaction, takes SHARE UPDATE EXCLUSIVE
        return [Op(action=A.OTHER, **base)]
    rels = [_name(r.get("VacuumRelation", {}).get("relation")) for r in body.get("rels") or ()]
    no_txn = frozenset({F.NO_TXN})  # "VACUUM cannot run inside a transaction block"
    if not option_on(options, "full"):
        return [Op(action=A.VACUUM, table=rels[0] if len(rels) == 1 else None, detail="VACUUM", flags=no_txn,
                   **base)]
    return [Op(action=A.REWRITE, table=t, detail="VACUUM FULL", flags=no_txn, **base) for t in (rels or [None])]


def _cluster(body: dict[str, Any], base: Base) -> list[Op]:
    return [Op(action=A.REWRITE, table=_name(body.get("relation")), detail="CLUSTER", **base)]


def _reindex(body: dict[str, Any], base: Base) -> list[Op]:
    kind = ObjectKind.__members__.get(str(body.get("kind", "")).removeprefix("REINDEX_OBJECT_"), ObjectKind.INDEX)
    rel = _name(body.get("relation")) or body.get("name")
    flags = {F.CONCURRENTLY} if option_on(body.get("params"), "concurrently") else set()
    if kind in (ObjectKind.SCHEMA, ObjectKind.DATABASE, ObjectKind.SYSTEM):  # "cannot run inside a transaction block"
        flags.add(F.NO_TXN)
    table = kind is ObjectKind.TABLE
    return [Op(action=A.REINDEX, table=rel if table else None, column=rel if not table else None,
               kind=kind, flags=frozenset(flags), **base)]


def _explain(body: dict[str, Any], base: Base) -> list[Op]:
    """EXPLAIN ANALYZE runs the statement it explains (a plain EXPLAIN only plans it)."""
    query = body.get("query")
    if not option_on(body.get("options"), "analyze") or not isinstance(query, dict) or len(query) != 1:
        return [Op(action=A.OTHER, **base)]
    (kind, inner), = query.items()
    handler = _HANDLERS.get(kind)
    return handler(inner, base) if handler is not None and kind != "ExplainStmt" else [Op(action=A.OTHER, **base)]


def _refresh(body: dict[str, Any], base: Base) -> list[Op]:
    flags = {f for f, k in ((F.CONCURRENTLY, "concurrent"), (F.NO_DATA, "skipData")) if body.get(k)}
    return [Op(action=A.REFRESH_MATVIEW, table=_name(body.get("relation")), flags=frozenset(flags), **base)]


def _enum(body: dict[str, Any], base: Base) -> list[Op]:
    if body.get("oldVal"):
        return [Op(action=A.RENAME_OBJECT, table=".".join(_strings(body.get("typeName"))),
                   column=str(body.get("oldVal")), kind=ObjectKind.ENUM_VALUE, new_name=str(body.get("newVal", "")),
                   **base)]
    return [Op(action=A.ADD_ENUM_VALUE, table=".".join(_strings(body.get("typeName"))),
               detail=str(body.get("newVal", "")), **base)]


def _update(body: dict[str, Any], base: Base) -> list[Op]:
    flags = {F.WHERE} if filters(body.get("whereClause"), body.get("relation")) else set()
    return [Op(action=A.UPDATE, table=_name(body.get("relation")), flags=frozenset(flags), **base)]


def _delete(body: dict[str, Any], base: Base) -> list[Op]:
    flags = {F.WHERE} if filters(body.get("whereClause"), body.get("relation")) else set()
    return [Op(action=A.DELETE, table=_name(body.get("relation")), flags=frozenset(flags), **base)]


def _merge(body: dict[str, Any], base: Base) -> list[Op]:
    """MERGE: each WHEN ... THEN DELETE/UPDATE is a DELETE/UPDATE of the target's rows that match
    the source (ON) and the WHEN's own condition; it is filtered only when one of those keeps some
    rows and not others (`ON true`, or a source that is the target itself, matches every row)."""
    target = body.get("relation")
    table = _name(target)
    src = (body.get("sourceRelation") or {}).get("RangeVar")
    itself = isinstance(src, dict) and _name(src) == table
    on = not itself and filters(body.get("joinCondition"))
    ops = []
    for w in body.get("mergeWhenClauses") or ():
        c = w.get("MergeWhenClause") or {}
        command = c.get("commandType")
        if command == "CMD_INSERT":
            ops.append(Op(action=A.INSERT_SELECT, table=table, **base))
            continue
        action = {"CMD_DELETE": A.DELETE, "CMD_UPDATE": A.UPDATE}.get(str(command))
        if action is None:
            continue
        matched = c.get("matchKind") == "MERGE_WHEN_MATCHED"
        where = filters(c.get("condition")) or (matched and on)
        ops.append(Op(action=action, table=table, flags=frozenset({F.WHERE} if where else ()), **base))
    return ops or [Op(action=A.OTHER, **base)]


def _rule(body: dict[str, Any], base: Base) -> list[Op]:
    """CREATE RULE: from now on every INSERT/UPDATE/DELETE of its event on the table (the running
    application's too) is rewritten: DO INSTEAD replaces it (NOTHING: discards it), DO ALSO adds the
    rule's actions to it. The actions are judged here, where the rule is wired up: when they run is
    not known (whenever anyone writes the table)."""
    table = _name(body.get("relation"))
    event = str(body.get("event", "")).removeprefix("CMD_")
    flags = frozenset({F.INSTEAD} if body.get("instead") else ())
    ops = [Op(action=A.CREATE_OBJECT, kind=ObjectKind.RULE, table=table, column=str(body.get("rulename", "")),
              detail=event, flags=flags | ({F.OR_REPLACE} if body.get("replace") else set()), **base)]
    for action in body.get("actions") or ():
        if isinstance(action, dict) and len(action) == 1:
            (kind, inner), = action.items()
            if kind in _WRITES:
                ops.extend(op.moved(line=op.line, col=op.col, end_line=op.end_line, autocommit=False,
                                    flags=op.flags | {F.IN_DO}) for op in _HANDLERS[kind](inner, base))
    return ops


_TRUE_TEXT = frozenset({"t", "true", "y", "yes", "on", "1"})
_FALSE_TEXT = frozenset({"f", "false", "n", "no", "off", "0"})
_COMPARE = {"=": lambda a, b: a == b, "<>": lambda a, b: a != b, "!=": lambda a, b: a != b,
            "<": lambda a, b: a < b, ">": lambda a, b: a > b, "<=": lambda a, b: a <= b, ">=": lambda a, b: a >= b}


def filters(cond: Any, target: Any = None) -> bool:
    """Whether a WHERE (or MERGE ON/WHEN) condition can keep some rows and not others. One that
    reads no column is the same for every row: it keeps all of them or none, and is judged as no
    condition at all (`WHERE true`, `WHERE 1 = 1`, `WHERE now() > '2000-01-01'`); so is one that
    is always true whatever the row (`x = x`, `true OR x > 1`). One that is always false removes
    nothing, and counts as filtered."""
    if not cond:
        return False
    truth = truth_of(cond)
    if truth is not None:
        return not truth
    either = cond.get("BoolExpr") if isinstance(cond, dict) else None
    terms = either.get("args") or () if isinstance(either, dict) and either.get("boolop") == "OR_EXPR" else (cond,)
    if any(_in_itself(a, target) for a in terms):
        return False  # `id IN (SELECT id FROM users)` on users keeps every row whose id is not null
    return any("ColumnRef" in n for n in _walk(cond))


def _in_itself(cond: Any, target: Any) -> bool:
    """`col IN (SELECT col FROM <the target table>)`, with no WHERE, LIMIT or set operation."""
    link = cond.get("SubLink") if isinstance(cond, dict) and isinstance(target, dict) else None
    if not isinstance(link, dict) or link.get("subLinkType") != "ANY_SUBLINK":
        return False
    col = _strings(((link.get("testexpr") or {}).get("ColumnRef") or {}).get("fields"))
    select = (link.get("subselect") or {}).get("SelectStmt") or {}
    if not col or select.get("whereClause") or select.get("limitCount") or select.get("op") not in (None, "SETOP_NONE"):
        return False
    out: list[Any] = select.get("targetList") or []
    frm: list[Any] = select.get("fromClause") or []
    if len(out) != 1 or len(frm) != 1:
        return False
    got = _strings((((out[0].get("ResTarget") or {}).get("val") or {}).get("ColumnRef") or {}).get("fields"))
    rel = frm[0].get("RangeVar") or {}
    return bool(got) and got[-1] == col[-1] and rel.get("relname") == target.get("relname") and \
        rel.get("schemaname") in (None, target.get("schemaname"))


def truth_of(node: Any, depth: int = 0) -> bool | None:
    """The constant truth value of a boolean expression (None: it depends on the row, or cannot be
    told): literals and casts of them, AND/OR/NOT, comparisons of two constants, and an expression
    compared with itself."""
    if not isinstance(node, dict) or len(node) != 1 or depth > 50:
        return None
    (kind, body), = node.items()
    if kind == "A_Const":
        if "boolval" in body:
            return bool((body.get("boolval") or {}).get("boolval", False))
        return None
    if kind == "TypeCast":
        names = _strings((body.get("typeName") or {}).get("names"))
        value = _const_value(body.get("arg"))
        if names and names[-1] in ("bool", "boolean") and value is not None:
            text = str(value).strip().lower()
            return True if text in _TRUE_TEXT else False if text in _FALSE_TEXT else None
        return None
    if kind == "BoolExpr":
        args = [truth_of(a, depth + 1) for a in body.get("args") or ()]
        op = body.get("boolop")
        if op == "NOT_EXPR":
            return None if len(args) != 1 or args[0] is None else not args[0]
        if op == "AND_EXPR":
            return False if False in args else True if args and all(a is True for a in args) else None
        if op == "OR_EXPR":
            if True in args or _null_or_not_null(body.get("args") or ()):
                return True
            return False if args and all(a is False for a in args) else None
        return None
    if kind == "NullTest":  # a system column is never null: `ctid IS NOT NULL` holds for every row
        fields = _strings(((body.get("arg") or {}).get("ColumnRef") or {}).get("fields"))
        if fields and fields[-1] in _SYSTEM_COLUMNS:
            return bool(body.get("nulltesttype") == "IS_NOT_NULL")
        return None
    if kind == "A_Expr" and body.get("kind") == "AEXPR_OP":
        name = _strings(body.get("name"))
        compare = _COMPARE.get(name[-1]) if name else None
        if compare is None:
            return None
        left, right = body.get("lexpr"), body.get("rexpr")
        lv, rv = _const_value(left), _const_value(right)
        if lv is not None and rv is not None and type(lv) is type(rv):
            return bool(compare(lv, rv))
        if left is not None and _shape(left) == _shape(right) and not volatile(left):
            return name[-1] in ("=", "<=", ">=")  # x = x: true for every row where x is not null
    return None


_SYSTEM_COLUMNS = frozenset({"ctid", "xmin", "xmax", "cmin", "cmax", "tableoid"})


def _null_or_not_null(args: Any) -> bool:
    """`x IS NULL OR x IS NOT NULL` (in any order, among other terms): true for every row."""
    seen: dict[str, set[str]] = {}
    for a in args:
        test = a.get("NullTest") if isinstance(a, dict) else None
        if isinstance(test, dict):
            kinds = seen.setdefault(repr(_shape(test.get("arg"))), set())
            kinds.add(str(test.get("nulltesttype")))
            if len(kinds) == 2:
                return True
    return False


def _const_value(node: Any) -> int | float | str | None:
    const = node.get("A_Const") if isinstance(node, dict) else None
    if not isinstance(const, dict):
        return None
    if "ival" in const:
        return int((const.get("ival") or {}).get("ival", 0))
    if "fval" in const:
        try:
            return float((const.get("fval") or {}).get("fval", "0"))
        except ValueError:
            return None
    if "sval" in const:
        return str((const.get("sval") or {}).get("sval", ""))
    return None


def _shape(node: Any) -> Any:
    """A parse tree without its positions, to compare two expressions."""
    if isinstance(node, dict):
        return {k: _shape(v) for k, v in node.items() if k != "location"}
    if isinstance(node, list):
        return [_shape(v) for v in node]
    return node


def _insert(body: dict[str, Any], base: Base) -> list[Op]:
    """INSERT; with ON CONFLICT DO UPDATE also an UPDATE of the target's rows whose keys the source
    holds: of every row (unfiltered, as an UPDATE without WHERE) when the source is the target itself
    read whole, else of the rows it matches (as MERGE's WHEN MATCHED THEN UPDATE)."""
    sel = (body.get("selectStmt") or {}).get("SelectStmt") or {}
    action = A.INSERT if sel.get("valuesLists") or not sel.get("fromClause") else A.INSERT_SELECT
    table = _name(body.get("relation"))
    ops = [Op(action=action, table=table, **base)]
    conflict = body.get("onConflictClause")
    if isinstance(conflict, dict) and conflict.get("action") == "ONCONFLICT_UPDATE":
        sources: list[Any] = sel.get("fromClause") or []
        src = sources[0].get("RangeVar") if len(sources) == 1 and isinstance(sources[0], dict) else None
        itself = isinstance(src, dict) and _name(src) == table
        where = not itself or filters(conflict.get("whereClause")) or filters(sel.get("whereClause"))
        ops.append(Op(action=A.UPDATE, table=table, flags=frozenset({F.WHERE} if where else ()), **base))
    return ops


_UTC = frozenset({"utc", "etc/utc", "etc/universal", "universal", "zulu", "etc/zulu", "gmt", "etc/gmt", "z",
                  "greenwich", "uct", "etc/uct"})


PATH_CHANGE = "search_path"
"""The detail of a SET/RESET that may change which schema an unqualified name means."""
_PATH_VARIABLES = frozenset({"search_path", "role", "session_authorization"})
"""The settings an unqualified name's schema depends on: the path, and the role its `"$user"` names
(`SET SCHEMA 'x'` is PostgreSQL's SQL-standard spelling of SET search_path; the parser names it so)."""


def _set(body: dict[str, Any], base: Base) -> list[Op]:
    if str(body.get("name", "")).lower() in _PATH_VARIABLES or body.get("kind") == "VAR_RESET_ALL":
        return [Op(action=A.OTHER, detail=PATH_CHANGE, **base)]
    if str(body.get("name", "")).lower() == "timezone":  # SET TIME ZONE 'UTC' / SET timezone = 'UTC'
        zone = [str(a.get("A_Const", {}).get("sval", {}).get("sval", "")) for a in body.get("args") or ()]
        utc = body.get("kind") == "VAR_SET_VALUE" and len(zone) == 1 and zone[0].lower() in _UTC
        return [Op(action=A.SET_TIMEZONE, flags=frozenset({F.UTC} if utc else ()), **base)]
    if str(body.get("name", "")).lower() == "lock_timeout" and body.get("kind") in ("VAR_SET_DEFAULT", "VAR_RESET"):
        return [Op(action=A.SET_LOCK_TIMEOUT, flags=frozenset({F.OFF}), **base)]  # the server's default: none
    if str(body.get("name", "")).lower() == "lock_timeout" and body.get("kind") == "VAR_SET_VALUE":
        vals = [a.get("A_Const", {}) for a in body.get("args") or ()]
        zero = any(v.get("ival", {}).get("ival", 0) == 0 and "ival" in v for v in vals) or any(
            str(v.get("sval", {}).get("sval", "")).strip() in ("0", "") and "sval" in v for v in vals)
        return [Op(action=A.SET_LOCK_TIMEOUT, flags=frozenset({F.OFF} if zero else ()), **base)]
    return [Op(action=A.OTHER, **base)]


def _transaction(body: dict[str, Any], base: Base) -> list[Op]:
    kind = body.get("kind")
    if kind in ("TRANS_STMT_BEGIN", "TRANS_STMT_START"):
        return [Op(action=A.BEGIN, **base)]
    if kind in ("TRANS_STMT_COMMIT", "TRANS_STMT_ROLLBACK", "TRANS_STMT_PREPARE"):
        flags = frozenset({F.ROLLBACK} if kind == "TRANS_STMT_ROLLBACK" else ())
        if body.get("chain"):  # COMMIT AND CHAIN: ends the transaction and opens the next one at once
            return [Op(action=A.COMMIT, flags=flags, **base), Op(action=A.BEGIN, flags=frozenset({F.CHAIN}), **base)]
        return [Op(action=A.COMMIT, flags=flags, **base)]
    return [Op(action=A.OTHER, **base)]


def _create(body: dict[str, Any], base: Base, at: dict[str, tuple[int, int]] | None = None) -> list[Op]:
    columns: list[ColumnDef] = []
    names: list[str] = []
    pk: set[str] = set()
    for el in body.get("tableElts") or ():
        cdef = el.get("ColumnDef")
        if cdef is not None:
            name = str(cdef.get("colname", ""))
            columns.append(ColumnDef(name, type_name(cdef.get("typeName")), frozenset(_column_flags(cdef)),
                                     type_mods(cdef.get("typeName")), at.get(name) if at else None))
            names.extend(str(c["Constraint"]["conname"]) for c in cdef.get("constraints") or ()
                         if c.get("Constraint", {}).get("conname"))
        con = el.get("Constraint")
        if con is not None:
            if con.get("conname"):
                names.append(str(con["conname"]))
            if con.get("contype") == "CONSTR_PRIMARY":
                pk.update(_strings(con.get("keys")))
    if len(pk) == 1:  # PRIMARY KEY (id) at table level; the columns of a composite key are usually references
        columns = [c._replace(flags=c.flags | {F.PRIMARY_KEY}) if c.name in pk else c for c in columns]
    flags = ({F.IF_NOT_EXISTS} if body.get("if_not_exists") else set()) | _persistence(body.get("relation"),
                                                                                        body.get("oncommit"))
    return [Op(action=A.CREATE_TABLE, table=_name(body.get("relation")), columns=tuple(columns), names=tuple(names),
               flags=frozenset(flags), **base)]


def _create_as(body: dict[str, Any], base: Base) -> list[Op]:
    into = body.get("into") or {}
    if body.get("objtype") == "OBJECT_MATVIEW":
        return [Op(action=A.DDL, table=_name(into.get("rel")), **base)]
    flags = ({F.IF_NOT_EXISTS} if body.get("if_not_exists") else set()) | _persistence(into.get("rel"),
                                                                                        into.get("onCommit"))
    return [Op(action=A.CREATE_TABLE, table=_name(into.get("rel")), flags=frozenset(flags), **base)]


def _lock(body: dict[str, Any], base: Base) -> list[Op]:
    mode = body.get("mode")
    lock = LOCK_MODES[mode] if isinstance(mode, int) and 0 < mode < len(LOCK_MODES) else None
    return [Op(action=A.LOCK_TABLE, table=_name(r.get("RangeVar")), lock=lock or LockMode.ACCESS_EXCLUSIVE, **base)
            for r in body.get("relations") or ()]


_TRIGGER_BEFORE = 1 << 1
_TRIGGER_EVENTS = ((1 << 2, "INSERT"), (1 << 4, "UPDATE"), (1 << 3, "DELETE"))
"""libpg_query's CreateTrigStmt timing and event bits (PostgreSQL's TRIGGER_TYPE_*)."""


def _create_trigger(body: dict[str, Any], base: Base) -> list[Op]:
    """CREATE TRIGGER takes SHARE ROW EXCLUSIVE on its table (blocks writes while it waits). A BEFORE ROW
    trigger's detail is its events (`INSERT OR UPDATE`): the row it returns is the row written."""
    events = int(body.get("events") or 0)
    before = bool(body.get("row")) and int(body.get("timing") or 0) == _TRIGGER_BEFORE
    detail = " OR ".join(name for bit, name in _TRIGGER_EVENTS if events & bit) if before else ""
    return [Op(action=A.CREATE_TRIGGER, table=_name(body.get("relation")), column=body.get("trigname"),
               detail=detail, flags=frozenset({F.OR_REPLACE} if body.get("replace") else ()), **base)]


def _trigger_effect(op: Op, node: dict[str, Any] | None, calls: _Calls) -> Op:
    """A BEFORE ROW trigger whose PL/pgSQL function drops the row (`RETURN NULL`) or sets a column of
    NEW to a constant rewrites every later write to the table, as a DO INSTEAD rule does: the op gets
    INSTEAD and, as detail, what it does to the writes (pgtree's only reading of a trigger's body)."""
    trig = (node or {}).get("CreateTrigStmt") or {}
    funcname = _strings(trig.get("funcname"))
    if not op.detail or not funcname:
        return op
    name = pg_ident(funcname[-1].join('""'))
    routine = calls.routines.get(name)
    text = routine.text if routine is not None else None
    if routine is None and calls.earlier is not None and not builtin(name):
        got = calls.earlier(name)
        text = got[1] if got is not None else None
    if text is None or "plpgsql" not in text.lower():
        return op
    from readiness.gates.migrations.dynamic import trigger_body

    body = trigger_body(text)
    if body is None:
        return op
    events = op.detail
    if body.discards_all:
        what = f"drops every {events} of {op.table} ({name}() returns NULL)"
    elif body.constants:
        what = f"sets {', '.join(body.constants)} to a constant in every {events} of {op.table} ({name}())"
    elif body.discards_some:
        what = f"may drop {events}s of {op.table} ({name}() returns NULL on some paths)"
    else:
        return op
    # dropping DELETEs only stops deletes (high, as a DO INSTEAD rule on DELETE is): nothing written is lost
    severe = (body.discards_all or bool(body.constants)) and events != "DELETE"
    return replace(op, detail=what, flags=op.flags | {F.INSTEAD}) if severe else replace(op, detail=what)


def _alter_domain(body: dict[str, Any], base: Base) -> list[Op]:
    """ALTER DOMAIN: the subcommands that check every stored value of the domain are kept apart."""
    name = ".".join(_strings(body.get("typeName")))
    sub = body.get("subtype")
    con = (body.get("def") or {}).get("Constraint") or {}
    if sub == "C":
        flags = {F.NOT_VALID} if con.get("skip_validation") else set()
        cname = con.get("conname")
        return [Op(action=A.ALTER_DOMAIN, column=name, detail="ADD CONSTRAINT", flags=frozenset(flags),
                   names=(str(cname),) if cname else (), **base)]
    if sub == "O":
        return [Op(action=A.ALTER_DOMAIN, column=name, detail="SET NOT NULL", **base)]
    if sub == "V":
        return [Op(action=A.ALTER_DOMAIN, column=name, detail="VALIDATE CONSTRAINT", **base)]
    return [Op(action=A.DDL, column=name, **base)]


def _create_domain(body: dict[str, Any], base: Base) -> list[Op]:
    checks = any(c.get("Constraint", {}).get("contype") == "CONSTR_CHECK" for c in body.get("constraints") or ())
    return [Op(action=A.CREATE_OBJECT, column=".".join(_strings(body.get("domainname"))), kind=ObjectKind.DOMAIN,
               flags=frozenset({F.CHECK} if checks else ()), **base)]


_HANDLERS = {
    "AlterTableStmt": _alter_table, "IndexStmt": _index, "RenameStmt": _rename, "DropStmt": _drop,
    "TruncateStmt": _truncate, "VacuumStmt": _vacuum, "ClusterStmt": _cluster, "ReindexStmt": _reindex,
    "RefreshMatViewStmt": _refresh, "AlterEnumStmt": _enum, "UpdateStmt": _update, "DeleteStmt": _delete,
    "InsertStmt": _insert, "VariableSetStmt": _set, "TransactionStmt": _transaction, "CreateStmt": _create,
    "CreateTableAsStmt": _create_as, "LockStmt": _lock, "DropdbStmt": _dropdb, "AlterObjectSchemaStmt": _set_schema,
    "AlterDomainStmt": _alter_domain, "CreateDomainStmt": _create_domain, "AlterTableMoveAllStmt": _move_all,
    "ExplainStmt": _explain, "CreateTrigStmt": _create_trigger, "DropOwnedStmt": _drop_owned,
    "CopyStmt": _copy,
    "MergeStmt": _merge, "RuleStmt": _rule, "AlterExtensionContentsStmt": _extension_contents,
}


MAX_ROUTINE_DEPTH = 16
"""Routines called from routines the migration creates are followed this deep; a longer chain of
calls is reported as not read (`dynamic_sql`: fail closed)."""


@dataclass(frozen=True, slots=True)
class _Routine:
    """A function or procedure the migration creates."""

    language: str
    body: str | None
    """The body's text; None when it cannot be read."""
    created: int
    """The line of its CREATE."""
    text: str
    """The whole CREATE statement (a PL/pgSQL body is parsed as the function it is)."""
    origin: str = ""
    """The earlier migration that created it (empty: this one, on line `created`)."""

    @property
    def place(self) -> str:
        return f"created in {self.origin}" if self.origin else f"created on line {self.created}"


def statement_ops(stmts: list[Statement], earlier: Callable[[str], tuple[str, str] | None] | None = None,
                  views: dict[str, str] | None = None) -> list[Op]:
    """The operations of a migration's statements, in order; a function or procedure the migration
    creates runs its body where the migration calls it (`SELECT f()`, `CALL p()`, a DO block that
    names it, another such routine that calls it), so the body's statements are judged there as a
    DO block's are. A body in another language, one that does not parse, or one reached through
    more than MAX_ROUTINE_DEPTH nested calls is a `dynamic_sql` operation at the call: what it runs
    cannot be read (fail closed). Each body is read once per definition (a routine calling itself,
    or two calling each other, ends there), so the work is linear in the migration.

    A routine also runs without being called by name: a trigger runs it when its table is written,
    a column DEFAULT, CHECK, generated column or index expression when rows are written, an event
    trigger at each later DDL statement, an operator, aggregate or type when it is used. Its body is
    judged where it is wired up (the statement naming it: CREATE TRIGGER, CREATE TABLE, CREATE
    OPERATOR ...; when it fires is often not known: the running application writes the table too),
    and again where a later statement fires it after the body was replaced (a write to the table,
    any DDL for an event trigger); a routine replaced after it was wired up is judged at the
    replacement too, since whoever writes the table next runs the new body.

    `earlier` finds a routine an earlier migration of the directory created (name -> its file and
    CREATE statement): a call of one that this migration did not (re)create runs that body, judged
    at the call the same way.

    A prepared statement (`PREPARE p AS ...`) runs where `EXECUTE p` names it.

    DML on a view the statements create is DML on the view's tables too (views.py); a caller that
    judges several texts as one migration (a changelog's changesets) passes `views`, collects the
    CREATE VIEW texts in it, and runs `through_views` over the whole once."""
    calls = _Calls(earlier)
    prepared: dict[str, str] = {}
    out: list[Op] = []
    collect = views is not None
    if views is None:
        views = {}
    for st in stmts:
        head = st.text[:10].upper()
        if head.startswith(("PREPARE", "EXECUTE", "DEALLOCATE")):
            run = _prepared(st, prepared)
            if run is not None:  # EXECUTE p: the prepared statement runs here, as if written here
                out.append(Op(action=A.OTHER, line=st.line, col=st.column, end_line=st.end_line,
                              evidence=normalize(st.text)))
                for inner in run:
                    if isinstance(inner, Op):
                        out.append(inner)
                    else:
                        _statement(inner, calls, out)
                continue
        if VIEW_HEAD.match(st.text):
            views[normalize(st.text)] = st.text
        _statement(st, calls, out)
    return out if collect else through_views(out, views)


def _statement(st: Statement, calls: _Calls, out: list[Op]) -> None:
    """Add the operations of one statement (and of the routines it runs) to `out`."""
    ops = from_statement(st)
    out.extend(ops)
    if _ROUTINE.match(st.text):
        routine = _routine(st)
        if routine is not None:
            name, language, body, created = routine
            calls.routines[name] = _Routine(language, body, created, st.text)
            calls.forget(name)
            if calls.is_wired(name):
                out.extend(calls.run(st, [name], 0, None))
        return
    if calls.routines or calls.earlier is not None:
        if st.node is not None and "CreateTrigStmt" in st.node:
            judged = [_trigger_effect(op, st.node, calls) if op.action is A.CREATE_TRIGGER else op for op in ops]
            out[len(out) - len(ops):] = judged
        if calls.routines:
            calls.renamed(ops)
        # any statement may call it: SELECT/CALL/DO, but also INSERT ... VALUES (f()), UPDATE SET x = f(),
        # a DEFAULT f() or an index on f(c), or fire it (a write to a table with a trigger)
        named = calls.named(st.text)
        calls.wire(st.text, ops, named)
        out.extend(calls.run(st, [*named, *calls.fired(st.text)], 0, None))


_PREPARE = lazyre.compile(rf"PREPARE\s+(?P<name>{_IDENT})\s*(?:\([^)]*\)\s*)?AS\b\s*(?P<body>.*)",
                          re.IGNORECASE | re.DOTALL)
_EXECUTE = lazyre.compile(rf"EXECUTE\s+(?P<name>{_IDENT})", re.IGNORECASE)
_DEALLOCATE = lazyre.compile(rf"DEALLOCATE\s+(?:PREPARE\s+)?(?P<name>{_IDENT})\s*$", re.IGNORECASE)


def _prepared(st: Statement, prepared: dict[str, str]) -> list[Statement] | list[Op] | None:
    """PREPARE / DEALLOCATE update the session's prepared statements (None); EXECUTE p gives the
    statements that run (p's body, placed at the EXECUTE). A name prepared outside this migration,
    or a body that does not parse, runs what cannot be read here: a `dynamic_sql` operation."""
    from readiness.gates.migrations.sql import Origin, parse

    text = st.text
    m = _PREPARE.match(text)
    if m is not None:
        prepared[_ident_path(m.group("name"))] = m.group("body")
        return None
    m = _DEALLOCATE.match(text)
    if m is not None:
        name = _ident_path(m.group("name"))
        if name == "all" and not m.group("name").startswith('"'):
            prepared.clear()
        prepared.pop(name, None)
        return None
    m = _EXECUTE.match(text)
    if m is None:
        return None
    name = _ident_path(m.group("name"))
    body = prepared.get(name)
    stmts, errors = parse(body, Origin(line=st.line, column=st.column)) if body is not None else ([], [])
    if body is None or errors:
        why = "prepared outside this migration" if body is None else "its prepared statement does not parse"
        return [Op(action=A.DYNAMIC_SQL, detail=f"EXECUTE {name} ({why})", line=st.line, col=st.column,
                   end_line=st.end_line, evidence=normalize(text))]
    return [s._replace(line=st.line, column=st.column, end_line=st.end_line) for s in stmts]


class _Calls:
    """The routines a migration creates, which ones have run, and where they are wired up."""

    def __init__(self, earlier: Callable[[str], tuple[str, str] | None] | None = None) -> None:
        self.earlier = earlier
        self.looked: set[str] = set()
        """Names already asked of `earlier`."""
        self.routines: dict[str, _Routine] = {}
        self.called: set[str] = set()
        """Routines whose current body was judged already."""
        self.callers: dict[str, set[str]] = {}
        """Routine -> the routines whose bodies call it."""
        self.wired: dict[str, set[str]] = {}
        """Table (unqualified, lower case), or `_DDL` for event triggers -> routines that run when it is
        written (triggers, defaults, checks, index expressions)."""

    def forget(self, name: str) -> None:
        """A body replaced after a call runs anew at the next call, and so do the bodies of the routines
        that call it (f calls g, g is replaced: the next `SELECT f()` runs the new g)."""
        todo, seen = [name], {name}
        while todo:
            cur = todo.pop()
            self.called.discard(cur)
            for caller in self.callers.get(cur, ()):
                if caller not in seen:
                    seen.add(caller)
                    todo.append(caller)

    def renamed(self, ops: list[Op]) -> None:
        """ALTER FUNCTION f RENAME TO g: g is f's body from now on."""
        for op in ops:
            if op.action is A.RENAME_OBJECT and op.kind in _ROUTINE_KINDS and op.column and op.new_name:
                old = op.column.rsplit(".", 1)[-1]
                routine = self.routines.get(old)
                if routine is not None:
                    new = op.new_name
                    self.routines[new] = routine
                    self.forget(new)
                    for fns in self.wired.values():
                        if old in fns:
                            fns.add(new)

    def is_wired(self, name: str) -> bool:
        return any(name in fns for fns in self.wired.values())

    def named(self, text: str) -> list[str]:
        """The routines of this migration that `text` names as a call (`f(`) or as a function an
        operator, aggregate, type or cast runs (`FUNCTION = f`, `SFUNC = f`). A routine's signature in
        DDL (`ALTER FUNCTION f()`, `DROP FUNCTION f()`, `GRANT ... ON FUNCTION f()`) runs nothing. A
        routine an earlier migration created counts only where it is called (its trigger wiring
        and references run nothing that was not running before)."""
        found: list[str] = []
        calls: list[str] = []
        routines, looked, adopting = self.routines, self.looked, self.earlier is not None
        bare = decomment(text)
        for where in (text, bare) if bare != text else (text,):  # both: a comment-like run in a string
            if "(" not in where:
                continue  # a call needs its parenthesis
            for m in _CALL.finditer(where):
                name = pg_ident(m.group(1))
                if name not in routines and (not adopting or name in looked):
                    continue  # neither this migration's routine nor one to look up: the result never holds it
                before = _BEFORE_NAME.search(where, max(0, m.start() - 60), m.start())
                if before is not None and before.group(1).upper() not in _WIRES:
                    continue  # a signature, not a call
                found.append(name)
                if before is None:
                    calls.append(name)
            if routines:  # a reference only counts for a routine of this migration
                found.extend(pg_ident(m.group(1)) for m in _REF.finditer(where))
        if self.earlier is not None:
            for n in calls:
                if n not in self.routines and n not in self.looked:
                    self.looked.add(n)
                    self._adopt(n)
        return [n for n in dict.fromkeys(found) if n in self.routines]

    def _adopt(self, name: str) -> None:
        """A routine an earlier migration created, called here: its body runs at the call."""
        got = self.earlier(name) if self.earlier is not None else None
        if got is None or builtin(name):
            return
        path, text = got
        routine = _routine(Statement(text=text, line=1, column=1, end_line=1, node=None))
        if routine is not None and routine[0] == name:
            _, language, body, _ = routine
            self.routines[name] = _Routine(language, body, 0, text, origin=path)

    def wire(self, text: str, ops: list[Op], named: list[str]) -> None:
        """Remember the routines a statement wires to a table (or to every later DDL statement)."""
        if not named:
            return
        if _EVENT_TRIGGER.match(text):
            self.wired.setdefault(_DDL, set()).update(named)
            return
        for op in ops:
            if op.table and op.action in _WIRING:
                self.wired.setdefault(op.table.lower().rsplit(".", 1)[-1].strip('"'), set()).update(named)

    def fired(self, text: str) -> list[str]:
        """The wired routines a statement (or a routine body) runs by writing their table or, for an
        event trigger, by being DDL."""
        if not self.wired:
            return []
        out: list[str] = []
        for m in _WRITE_TARGET.finditer(text) if may_mention(text, _WRITE_WORDS) else ():
            out.extend(self.wired.get((m.group(1) or m.group(2).lower()), ()))
        if _DDL in self.wired and _DDL_HEAD.match(text):
            out.extend(self.wired[_DDL])
        return out

    def run(self, st: Statement, names: list[str], depth: int, parent: str | None) -> list[Op]:
        """The operations of the routines `names` (and of those their bodies call or fire), placed
        at `st`; `parent` is the routine whose body names them."""
        out: list[Op] = []
        for name in dict.fromkeys(names):
            if name not in self.routines:
                continue
            if parent is not None:
                self.callers.setdefault(name, set()).add(parent)
            if name in self.called:  # each body once: a second call adds no risk
                continue
            self.called.add(name)
            routine = self.routines[name]
            if depth >= MAX_ROUTINE_DEPTH:
                base: Base = {"line": st.line, "col": st.column, "end_line": st.end_line,
                              "evidence": normalize(st.text)}
                out.append(Op(action=A.DYNAMIC_SQL, detail=f"{name}() {routine.place}, reached "
                              f"through more than {MAX_ROUTINE_DEPTH} nested routine calls", **base))
                continue
            out.extend(_called(st, name, routine))
            if routine.body is not None:
                out.extend(self.run(st, [*self.named(routine.body), *self.fired(routine.body)], depth + 1, name))
        return out


_ROUTINE_KINDS = frozenset({ObjectKind.FUNCTION, ObjectKind.PROCEDURE, ObjectKind.ROUTINE})
_DDL = "\0ddl"
"""The key of routines an event trigger runs at every later DDL statement."""
_WIRING = frozenset({A.CREATE_TRIGGER, A.CREATE_TABLE, A.ADD_COLUMN, A.SET_DEFAULT, A.ADD_CONSTRAINT, A.ALTER_TYPE,
                     A.ALTER_OTHER, A.CREATE_INDEX, A.CREATE_OBJECT})
"""Operations that wire a routine they name to their table: it runs when the table is written."""
_EVENT_TRIGGER = lazyre.compile(r"CREATE\s+EVENT\s+TRIGGER\b", re.IGNORECASE)
_DDL_HEAD = lazyre.compile(r"(?:CREATE|ALTER|DROP|COMMENT|GRANT|REVOKE)\b", re.IGNORECASE)
_NAME = r'(?:(?:\w+|"[^"]*")\.)?(?:"([^"]+)"|(\w+))'
_REF_NAME = rf'(?:{PG_IDENT}\s*\.\s*)?({PG_IDENT})'
_WRITE_TARGET = lazyre.compile(r"\b(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM|TRUNCATE(?:\s+TABLE)?|MERGE\s+INTO|COPY)"
                           rf"\s+(?:ONLY\s+)?{_NAME}", re.IGNORECASE)
"""A statement (or body statement) that writes a table: its triggers, defaults and checks run."""
_WRITE_WORDS = ("insert", "update", "delete", "truncate", "merge", "copy")
"""What `_WRITE_TARGET` needs (`may_mention` first)."""
_REF = lazyre.compile(r"\b(?:(?:FUNCTION|PROCEDURE|SFUNC|FINALFUNC|COMBINEFUNC|SERIALFUNC|DESERIALFUNC|MSFUNC|MINVFUNC"
                  r"|MFINALFUNC|RESTRICT|JOIN|INPUT|OUTPUT|RECEIVE|SEND|HANDLER|VALIDATOR|INLINE|SUBTYPE_DIFF"
                  r"|CANONICAL|TYPMOD_IN|TYPMOD_OUT|ANALYZE|START|GETTOKEN|END|LEXTYPES|HEADLINE|INIT|LEXIZE"
                  rf")\s*=|\b(?:HANDLER|VALIDATOR|INLINE))\s*{_REF_NAME}", re.IGNORECASE)
"""A routine named without a call: what CREATE OPERATOR / AGGREGATE / TYPE / TEXT SEARCH ... / LANGUAGE /
FOREIGN DATA WRAPPER runs when it is used."""
_WIRES = frozenset({"EXECUTE", "WITH"})
"""Words before `FUNCTION f(...)` that wire f to run later (a trigger's EXECUTE FUNCTION; CREATE CAST /
TRANSFORM ... WITH FUNCTION: every cast then runs it), judged where they wire it."""


_ROUTINE = lazyre.compile(r"CREATE\s+(?:OR\s+REPLACE\s+)?(?:FUNCTION|PROCEDURE)\b", re.IGNORECASE)
ROUTINE_NAME = lazyre.compile(r'CREATE\s+(?:OR\s+REPLACE\s+)?(?:FUNCTION|PROCEDURE)\s+(?:(?:\w+|"[^"]*")\s*\.\s*)?'
                              r'(?:"([^"]+)"|(\w+))', re.IGNORECASE)
"""A CREATE FUNCTION/PROCEDURE and the routine's name (quoted: as written; else lower case, as calls fold it)."""


def routine_name(text: str) -> str | None:
    """The name of the routine a statement creates, or None."""
    m = ROUTINE_NAME.match(text)
    return None if m is None else pg_ident(f'"{m.group(1)}"' if m.group(1) is not None else m.group(2))
_CALL = lazyre.compile(rf'(?<![\w$"&])(?:{PG_IDENT}\s*\.\s*)?({PG_IDENT})\s*\(')
_BEFORE_NAME = lazyre.compile(r"(\w+)\s+(?:FUNCTION|PROCEDURE|ROUTINE|AGGREGATE)\s+(?:IF\s+EXISTS\s+)?$", re.IGNORECASE)
"""What precedes a routine's name in DDL that names its signature (or, after EXECUTE, wires a trigger)."""
_ATOMIC = lazyre.compile(r"\bBEGIN\s+ATOMIC\b(?P<body>.*)\bEND\s*$", re.IGNORECASE | re.DOTALL)


def _routine(st: Statement) -> tuple[str, str, str | None, int] | None:
    """(name, language, body or None when it cannot be read, line) of a CREATE FUNCTION/PROCEDURE."""
    from pglast import parser

    from readiness.gates.migrations.sql import loads

    try:
        node = loads(parser.parse_sql_json(st.text))["stmts"][0]["stmt"]["CreateFunctionStmt"]
        name = pg_ident(str(node["funcname"][-1]["String"]["sval"]).join('""'))  # as folded: 63 bytes at most
    except (parser.ParseError, ValueError, KeyError, IndexError, TypeError):
        return None
    language, body = "sql", None
    for opt in node.get("options") or ():
        d = opt.get("DefElem") or {}
        arg = d.get("arg") or {}
        if d.get("defname") == "language":
            language = str((arg.get("String") or {}).get("sval", "")).lower()
        elif d.get("defname") == "as":
            items = (arg.get("List") or {}).get("items") or []
            body = str((items[0].get("String") or {}).get("sval", "")) if len(items) == 1 else None
    if node.get("sql_body") is not None:
        m = _ATOMIC.search(st.text)
        body = m.group("body") if m else None
    return name, language, body, st.line


def _called(st: Statement, name: str, routine: _Routine) -> list[Op]:
    """The operations of routine `name`'s body, run by statement `st`, placed at `st`."""
    from readiness.gates.migrations.dynamic import pl_block
    from readiness.gates.migrations.sql import parse

    base: Base = {"line": st.line, "col": st.column, "end_line": st.end_line, "evidence": normalize(st.text)}
    language, body = routine.language, routine.body
    inner: list[Op] = []
    if body is not None and language == "plpgsql":
        block = pl_block(routine.text)
        if block is None:
            body = None
        else:
            inner = _block_ops(block, st, base, 1)
    elif body is not None and language == "sql":
        stmts, errors = parse(body)
        if not errors:
            inner = [op for s in stmts for op in from_statement(s)]
        else:
            body = None
    if body is None or language not in ("sql", "plpgsql"):
        return [Op(action=A.DYNAMIC_SQL, detail=f"{name}() {routine.place} ({language})", **base)]
    return [op.moved(line=st.line, col=st.column, end_line=st.end_line, autocommit=op.autocommit,
                     flags=op.flags | {F.IN_DO}) for op in inner]
