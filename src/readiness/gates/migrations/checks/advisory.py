"""Advisory rules about what a migration creates rather than the locks it takes: column types
(int-primary-key, timestamp-without-time-zone, char-column) and names over 63 bytes
(identifier-too-long). They run on every operation that creates something, new table or not."""

from __future__ import annotations

from collections.abc import Iterable

from readiness import lazyre
from readiness.gates.migrations import rules as R
from readiness.gates.migrations.checks.registry import Hit, Phase, hit, on
from readiness.gates.migrations.ops import Action, Op
from readiness.gates.migrations.ops import Flag as F
from readiness.gates.migrations.walk import Walk

A = Action
CREATES = frozenset({
    A.CREATE_TABLE, A.ADD_COLUMN, A.CREATE_INDEX, A.ADD_CONSTRAINT, A.RENAME_COLUMN, A.RENAME_TABLE,
    A.RENAME_OBJECT, A.CREATE_OBJECT, A.ALTER_DOMAIN,
})
"""Operations that create a column or a name: the advisory rules look at these only."""
_SMALL_INTS = frozenset({"int4", "int2", "int", "integer", "smallint", "serial", "serial4", "smallserial",
                         "serial2"})
_SEQUENCED = frozenset({F.SERIAL, F.IDENTITY})
MAX_IDENTIFIER = 63
"""NAMEDATALEN - 1: PostgreSQL cuts longer identifiers to this many bytes."""
_WORD = lazyre.compile(r'"(?:[^"]|"")+"|[^\W\d][\w$]{15,}')
"""Identifier-like runs that may be over 63 bytes in UTF-8 (16 characters of up to 4 bytes)."""


def new_columns(op: Op) -> list[tuple[str, str, frozenset[F], tuple[int, int] | None]]:
    """The columns a CREATE TABLE or ADD COLUMN creates: (name, type, flags, (line, column) or None)."""
    if op.action is A.CREATE_TABLE:
        return [(c.name, c.type, c.flags, c.at) for c in op.columns]
    if op.action is A.ADD_COLUMN and op.column:
        return [(op.column, op.pg_type or op.detail, op.flags, None)]
    return []


def at_column(op: Op, name: str, type_: str, pos: tuple[int, int] | None) -> Op:
    """`op` narrowed to one column it creates, at that column's line when known (so that the finding
    points there, and an inline waiver above the column applies)."""
    return op.narrowed(name, type_, pos)


def _column_type(op: Op, name: str, type_: str, flags: frozenset[F], table: str | None,
                 pos: tuple[int, int] | None = None) -> list[Hit]:
    base = type_.lower().removeprefix("pg_catalog.")
    if base not in _SMALL_INTS and base.removesuffix("[]") not in ("timestamp", "bpchar"):
        return []  # most columns: nothing to say, and no copy of the operation made
    at = at_column(op, name, type_, pos)
    where = f"{table}.{name}"
    if base in _SMALL_INTS and (F.PRIMARY_KEY in flags or _SEQUENCED & flags or "serial" in base):
        role = "primary key" if F.PRIMARY_KEY in flags else "sequence-backed column"
        top = "32,767" if base in ("int2", "smallint", "smallserial", "serial2") else "2,147,483,647"
        return [hit(R.INT_PK, at, f"{role.capitalize()} {where} is {type_}: its values stop at {top}, and widening it "
                   "to bigint later rewrites the table and every column that references it.")]
    if base.removesuffix("[]") == "timestamp":
        return [hit(R.TIMESTAMP_NO_TZ, at, f"Column {where} is {type_} (without time zone): it stores no offset, so "
                   "values written from different time zones cannot be told apart or compared.")]
    if base.removesuffix("[]") == "bpchar":
        return [hit(R.CHAR_COLUMN, at, f"Column {where} is char(n), which pads values with blanks and ignores trailing "
                   "spaces in comparisons; use text or varchar.")]
    return []


def _created_names(op: Op) -> list[tuple[str, str]]:
    """(kind, name) of every name an operation creates, as its reader gives it."""
    a = op.action
    if a is A.CREATE_TABLE:
        names = [("table", (op.table or "").rsplit(".", 1)[-1])] if F.DERIVED_NAME not in op.flags else []
        names += [("column", c.name) for c in op.columns]
        return names + [("constraint", n) for n in op.names]
    if a is A.ADD_COLUMN:
        return [("column", op.column or "")]
    if a is A.CREATE_INDEX:
        return [("index", op.column or "")]
    if a is A.ADD_CONSTRAINT:
        return [("constraint", op.column or "")]
    if a in (A.RENAME_COLUMN, A.RENAME_TABLE):
        return [] if F.DERIVED_NAME in op.flags else [("name", (op.new_name or "").rsplit(".", 1)[-1])]
    if a is A.RENAME_OBJECT:
        return [("name", op.new_name or "")]
    if a is A.CREATE_OBJECT:
        return [(op.shown(), (op.column or "").rsplit(".", 1)[-1])]
    if a is A.ALTER_DOMAIN:
        return [("constraint", op.names[0] if op.names else "")]
    return []


def _fold(word: str) -> str:
    """Unquoted identifiers: PostgreSQL lowers ASCII letters only."""
    return "".join(c.lower() if c.isascii() else c for c in word)


def _too_long(op: Op, reported: set[str]) -> list[Hit]:
    """Names over 63 bytes. SQL parse trees hold names already cut to 63 bytes (the scanner cuts
    them), so the statement text is searched for a longer identifier that was cut to a created name;
    Python readers and the untreed CREATE heads keep names whole."""
    created = _created_names(op)
    if not created:
        return []
    whole = [(kind, n) for kind, n in created if len(n.encode()) > MAX_IDENTIFIER]
    # cut at a character boundary, a name of 64+ bytes keeps 60 to 63: only then is the text searched
    cut = {n: kind for kind, n in created if MAX_IDENTIFIER - 3 <= len(n.encode()) <= MAX_IDENTIFIER}
    if cut:
        for m in _WORD.finditer(op.evidence):
            word = m.group(0)
            word = word[1:-1].replace('""', '"') if word[0] == '"' else _fold(word)
            raw = word.encode()
            if len(raw) > MAX_IDENTIFIER:
                short = raw[:MAX_IDENTIFIER].decode("utf-8", "ignore")
                if short in cut:
                    whole.append((cut.pop(short), word))
    out = []
    for kind, name in whole:
        if name in reported:
            continue
        reported.add(name)
        short = name.encode()[:MAX_IDENTIFIER].decode("utf-8", "ignore")
        out.append(hit(R.IDENTIFIER_TOO_LONG, op.narrowed(name, op.detail), f"The {kind} name {name} is "
                      f"{len(name.encode())} bytes: PostgreSQL keeps only the first {MAX_IDENTIFIER}, so it is "
                      f"created as {short}."))
    return out


@on(A.CREATE_TABLE, A.ADD_COLUMN, phase=Phase.ADVISORY)
def column_types(op: Op, walk: Walk) -> Iterable[Hit]:
    """int-primary-key, timestamp-without-time-zone, char-column: the type of each column created."""
    if op.action is A.ADD_COLUMN:
        return _column_type(op, op.column, op.pg_type or op.detail, op.flags, op.table) if op.column else ()
    out: list[Hit] = []
    for c in op.columns:  # the common case, a table of many columns: no tuple built per column
        found = _column_type(op, c.name, c.type, c.flags, op.table, c.at)
        if found:
            out.extend(found)
    return out


@on(CREATES, phase=Phase.ADVISORY)
def identifier_too_long(op: Op, walk: Walk) -> Iterable[Hit]:
    """identifier-too-long: each over-long name once per migration."""
    return _too_long(op, walk.long_names)
