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
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from readiness.gates.migrations.lexing import ambiguous_string, turns_off_standard_strings
from readiness.gates.migrations.ops import Action, ColumnDef, ConstraintKind, LockMode, ObjectKind, Op
from readiness.gates.migrations.ops import Flag as F
from readiness.gates.migrations.sql import Statement, normalize

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
_CREATE_OBJECT = re.compile(
    r"CREATE\s+(?P<replace>OR\s+REPLACE\s+)?(?:(?:TEMP|TEMPORARY)\s+)?(?:RECURSIVE\s+)?"
    r"(?P<kind>MATERIALIZED\s+VIEW|VIEW|FUNCTION|PROCEDURE|AGGREGATE|TYPE|SEQUENCE|SCHEMA|EXTENSION)\s+"
    rf"(?P<ine>IF\s+NOT\s+EXISTS\s+)?(?P<name>{_IDENT}(?:\s*\.\s*{_IDENT})*)",
    re.IGNORECASE)
"""Statements that create a named object and get no parse tree (`HEADS`): only the name matters."""
_IDENT_PART = re.compile(_IDENT)


_ALTER = r"ALTER"
_TXN = (r"BEGIN", r"START", r"COMMIT", r"END", r"ROLLBACK", r"ABORT")
_DML = (r"WITH", r"EXPLAIN")  # a data-modifying CTE; EXPLAIN ANALYZE runs what it explains
HEADS: dict[Action, tuple[str, ...]] = {
    A.ADD_COLUMN: (_ALTER,), A.DROP_COLUMN: (_ALTER,), A.ALTER_TYPE: (_ALTER,), A.SET_NOT_NULL: (_ALTER,),
    A.DROP_NOT_NULL: (_ALTER,), A.SET_DEFAULT: (_ALTER,), A.DROP_DEFAULT: (_ALTER,), A.ADD_CONSTRAINT: (_ALTER,),
    A.DROP_CONSTRAINT: (_ALTER,), A.VALIDATE_CONSTRAINT: (_ALTER,), A.ALTER_OTHER: (_ALTER,),
    A.DETACH_PARTITION: (_ALTER,), A.RENAME_COLUMN: (_ALTER,), A.RENAME_TABLE: (_ALTER,),
    A.RENAME_OBJECT: (_ALTER,), A.RENAME_OTHER: (_ALTER,), A.SET_SCHEMA: (_ALTER,), A.ADD_ENUM_VALUE: (_ALTER,),
    A.ALTER_DOMAIN: (_ALTER,),
    A.CREATE_TABLE: (r"CREATE\s+(?:(?:GLOBAL|LOCAL)\s+)?(?:UNLOGGED\s+|TEMP\w*\s+)?TABLE", *_DML),
    A.CREATE_INDEX: (r"CREATE\s+(?:UNIQUE\s+)?INDEX",),
    A.CREATE_OBJECT: (r"CREATE\s+DOMAIN",),  # other CREATEs are read without a tree (`_untreed`)
    A.CREATE_TRIGGER: (r"CREATE\s+(?:OR\s+REPLACE\s+)?(?:CONSTRAINT\s+)?TRIGGER",),
    A.DROP_TABLE: (r"DROP",), A.DROP_INDEX: (r"DROP",), A.DROP_OBJECT: (r"DROP",),
    A.TRUNCATE: (r"TRUNCATE",), A.REWRITE: (_ALTER, r"VACUUM", r"CLUSTER"), A.VACUUM: (r"VACUUM",),
    A.REINDEX: (r"REINDEX",), A.REFRESH_MATVIEW: (r"REFRESH",), A.LOCK_TABLE: (r"LOCK",),
    A.UPDATE: (r"UPDATE", *_DML), A.DELETE: (r"DELETE", *_DML),
    A.INSERT_SELECT: (r"INSERT\b(?=[\s\S]*\bselect\b)", *_DML),  # INSERT ... VALUES is read without a tree
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
    return f"{schema}.{rel}" if schema else str(rel)


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
        elif kind == "CONSTR_CHECK":
            flags.add(F.CHECK)
    return flags


def from_statement(stmt: Statement) -> list[Op]:
    """The operations of one parsed SQL statement (an `other` op when it has no tree), and a
    `dynamic_sql` one when PostgreSQL may lex it differently (lexing.py: fail closed)."""
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
        elif sub == "AT_DetachPartition":
            pc = d.get("PartitionCmd", {})
            ops.append(Op(action=A.DETACH_PARTITION, table=table, column=_name(pc.get("name")),
                          flags=frozenset({F.CONCURRENTLY} if pc.get("concurrent") else ()), **base))
        else:
            ops.append(Op(action=A.ALTER_OTHER, table=table, column=name, detail=sub, **base))
    return ops


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
    flags = {F.WHERE} if body.get("whereClause") else set()
    return [Op(action=A.UPDATE, table=_name(body.get("relation")), flags=frozenset(flags), **base)]


def _delete(body: dict[str, Any], base: Base) -> list[Op]:
    flags = {F.WHERE} if body.get("whereClause") else set()
    return [Op(action=A.DELETE, table=_name(body.get("relation")), flags=frozenset(flags), **base)]


def _insert(body: dict[str, Any], base: Base) -> list[Op]:
    sel = (body.get("selectStmt") or {}).get("SelectStmt") or {}
    action = A.INSERT if sel.get("valuesLists") or not sel.get("fromClause") else A.INSERT_SELECT
    return [Op(action=action, table=_name(body.get("relation")), **base)]


_UTC = frozenset({"utc", "etc/utc", "etc/universal", "universal", "zulu", "etc/zulu", "gmt", "etc/gmt", "z",
                  "greenwich", "uct", "etc/uct"})


def _set(body: dict[str, Any], base: Base) -> list[Op]:
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
    return [Op(action=A.CREATE_TABLE, table=_name(body.get("relation")), columns=tuple(columns), names=tuple(names),
               flags=frozenset({F.IF_NOT_EXISTS} if body.get("if_not_exists") else ()), **base)]


def _create_as(body: dict[str, Any], base: Base) -> list[Op]:
    into = body.get("into") or {}
    if body.get("objtype") == "OBJECT_MATVIEW":
        return [Op(action=A.DDL, table=_name(into.get("rel")), **base)]
    return [Op(action=A.CREATE_TABLE, table=_name(into.get("rel")),
               flags=frozenset({F.IF_NOT_EXISTS} if body.get("if_not_exists") else ()), **base)]


def _lock(body: dict[str, Any], base: Base) -> list[Op]:
    mode = body.get("mode")
    lock = LOCK_MODES[mode] if isinstance(mode, int) and 0 < mode < len(LOCK_MODES) else None
    return [Op(action=A.LOCK_TABLE, table=_name(r.get("RangeVar")), lock=lock or LockMode.ACCESS_EXCLUSIVE, **base)
            for r in body.get("relations") or ()]


def _create_trigger(body: dict[str, Any], base: Base) -> list[Op]:
    """CREATE TRIGGER takes SHARE ROW EXCLUSIVE on its table (blocks writes while it waits)."""
    return [Op(action=A.CREATE_TRIGGER, table=_name(body.get("relation")), column=body.get("trigname"),
               flags=frozenset({F.OR_REPLACE} if body.get("replace") else ()), **base)]


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


def statement_ops(stmts: list[Statement]) -> list[Op]:
    """The operations of a migration's statements, in order; a function or procedure the migration
    creates runs its body where the migration calls it (`SELECT f()`, `CALL p()`, a DO block that
    names it, another such routine that calls it), so the body's statements are judged there as a
    DO block's are. A body in another language, one that does not parse, or one reached through
    more than MAX_ROUTINE_DEPTH nested calls is a `dynamic_sql` operation at the call: what it runs
    cannot be read (fail closed). Each body is read once per definition (a routine calling itself,
    or two calling each other, ends there), so the work is linear in the migration."""
    routines: dict[str, _Routine] = {}
    called: set[str] = set()
    callers: dict[str, set[str]] = {}
    out: list[Op] = []
    for st in stmts:
        out.extend(from_statement(st))
        if _ROUTINE.match(st.text):
            routine = _routine(st)
            if routine is not None:
                name, language, body, created = routine
                routines[name] = _Routine(language, body, created, st.text)
                _forget(name, called, callers)
            continue
        if routines:
            # any statement may call it: SELECT/CALL/DO, but also INSERT ... VALUES (f()), UPDATE SET x = f(),
            # a DEFAULT f() or an index on f(c)
            out.extend(_calls(st, st.text, routines, called, callers, 0, None))
    return out


def _forget(name: str, called: set[str], callers: dict[str, set[str]]) -> None:
    """A body replaced after a call runs anew at the next call, and so do the bodies of the routines
    that call it (f calls g, g is replaced: the next `SELECT f()` runs the new g)."""
    todo, seen = [name], {name}
    while todo:
        cur = todo.pop()
        called.discard(cur)
        for caller in callers.get(cur, ()):
            if caller not in seen:
                seen.add(caller)
                todo.append(caller)


def _calls(st: Statement, text: str, routines: dict[str, _Routine], called: set[str],
           callers: dict[str, set[str]], depth: int, parent: str | None) -> list[Op]:
    """The operations of the routines `text` calls (and of those their bodies call), placed at `st`;
    `parent` is the routine whose body `text` is."""
    out: list[Op] = []
    names = (m.group(1) if m.group(1) is not None else m.group(2).lower() for m in _CALL.finditer(text))
    for name in dict.fromkeys(names):
        if name not in routines:
            continue
        if parent is not None:
            callers.setdefault(name, set()).add(parent)
        if name in called:  # each body once: a second call adds no risk
            continue
        called.add(name)
        routine = routines[name]
        if depth >= MAX_ROUTINE_DEPTH:
            base: Base = {"line": st.line, "col": st.column, "end_line": st.end_line, "evidence": normalize(st.text)}
            out.append(Op(action=A.DYNAMIC_SQL, detail=f"{name}() created on line {routine.created}, reached "
                          f"through more than {MAX_ROUTINE_DEPTH} nested routine calls", **base))
            continue
        out.extend(_called(st, name, routine))
        if routine.body is not None:
            out.extend(_calls(st, routine.body, routines, called, callers, depth + 1, name))
    return out


_ROUTINE = re.compile(r"CREATE\s+(?:OR\s+REPLACE\s+)?(?:FUNCTION|PROCEDURE)\b", re.IGNORECASE)
_CALL = re.compile(r'(?<![\w$"])(?:(?:\w+|"[^"]*")\.)?(?:"([^"]+)"|(\w+))\s*\(')
_ATOMIC = re.compile(r"\bBEGIN\s+ATOMIC\b(?P<body>.*)\bEND\s*$", re.IGNORECASE | re.DOTALL)


def _routine(st: Statement) -> tuple[str, str, str | None, int] | None:
    """(name, language, body or None when it cannot be read, line) of a CREATE FUNCTION/PROCEDURE."""
    from pglast import parser

    from readiness.gates.migrations.sql import loads

    try:
        node = loads(parser.parse_sql_json(st.text))["stmts"][0]["stmt"]["CreateFunctionStmt"]
        name = str(node["funcname"][-1]["String"]["sval"])  # unquoted: folded to lower case, as a call is
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
    language, body, created = routine.language, routine.body, routine.created
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
        return [Op(action=A.DYNAMIC_SQL, detail=f"{name}() created on line {created} ({language})", **base)]
    return [op.moved(line=st.line, col=st.column, end_line=st.end_line, autocommit=op.autocommit,
                     flags=op.flags | {F.IN_DO}) for op in inner]
