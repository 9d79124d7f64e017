"""Judge a migration's operations: which rule each one breaks, at what risk, under which lock.

Context that decides the verdict:
* the transaction each operation runs in (the format's mode, explicit BEGIN/COMMIT, Alembic's
  `autocommit_block`), which decides whether CONCURRENTLY fails and how long locks are held;
* tables and other objects (views, functions, types, ...) created earlier in the same migration
  (no rows and no callers yet: operations on them are exempt), and objects dropped or renamed
  and re-created under the same name in the same transaction (callers never see them missing);
* `large_tables`: size-dependent rules (rules.ESCALATING) go one class up on those tables.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from readiness.gates.migrations import rules as R
from readiness.gates.migrations.history import ColumnType, State, TableState, apply, asked, short
from readiness.gates.migrations.ops import Op
from readiness.model import Confidence, RiskClass
from readiness.rules.catalog import RuleHandle


class TxMode(enum.StrEnum):
    """How the migration tool runs a file."""

    WRAPPED = "wrapped"
    """The whole migration runs in one transaction (dbmate, goose, diesel, Alembic, Django atomic, and
    Flyway unless every statement is one it runs outside a transaction: `TxMode.flyway`)."""
    IMPLICIT = "implicit"
    """Sent as one multi-statement string: one implicit transaction when it holds more than one
    statement, none for a lone statement (golang-migrate, Prisma)."""
    AUTOCOMMIT = "autocommit"
    """Each statement commits on its own unless the file says BEGIN (psql -f, sqitch, atomic=False)."""

    @staticmethod
    def flyway(text: str) -> TxMode:
        """Flyway's mode for one SQL migration on PostgreSQL: it runs each migration in a transaction,
        except one whose statements are all of the kinds its PostgreSQL parser marks as unable to run
        in one (`detectCanExecuteInTransaction`), which it runs without. A migration that mixes both is
        refused unless `mixed=true`, so it is judged as wrapped: the non-transactional statement fails."""
        if not _FLYWAY_HINT.search(text):
            return TxMode.WRAPPED
        from pglast import parser

        try:
            slices = parser.split(text, with_parser=False, only_slices=True)
        except parser.ParseError:
            return TxMode.WRAPPED
        heads = [" ".join(_LEADING_JUNK.sub("", text[sl.start:sl.stop], count=1).split()[:5]).upper()
                 for sl in slices]
        heads = [h for h in heads if h]
        if heads and all(_FLYWAY_NO_TX.match(h) for h in heads):
            return TxMode.AUTOCOMMIT
        return TxMode.WRAPPED

    @staticmethod
    def flyway_script_config(conf: str) -> TxMode | None:
        """The mode a Flyway script configuration file (`V1__x.sql.conf` beside the script) forces
        with `executeInTransaction=true|false`, or None when it says nothing about it."""
        m = _FLYWAY_CONF_TX.search(conf)
        if m is None:
            return None
        return TxMode.WRAPPED if m.group(1).lower() == "true" else TxMode.AUTOCOMMIT


_FLYWAY_NO_TX = re.compile(
    r"(?:(?:CREATE|DROP) (?:DATABASE|TABLESPACE|SUBSCRIPTION)|ALTER SYSTEM|(?:CREATE|DROP)(?: UNIQUE)? INDEX "
    r"CONCURRENTLY|REINDEX(?: VERBOSE)? (?:SCHEMA|DATABASE|SYSTEM)|VACUUM|DISCARD ALL)\b")
"""Statement heads Flyway runs outside a transaction on PostgreSQL 12+ (flyway-database-postgresql,
PostgreSQLParser.detectCanExecuteInTransaction); before 12 also ALTER TYPE ... ADD VALUE."""
_FLYWAY_CONF_TX = re.compile(r"^[ \t]*(?:flyway\.)?executeInTransaction[ \t]*=[ \t]*(true|false)[ \t]*$",
                             re.MULTILINE | re.IGNORECASE)
_FLYWAY_HINT = re.compile(r"\b(?:CONCURRENTLY|DATABASE|TABLESPACE|SUBSCRIPTION|SYSTEM|VACUUM|DISCARD)\b",
                          re.IGNORECASE)
"""A cheap test before splitting: a file with none of these words is wrapped."""
_LEADING_JUNK = re.compile(r"(?:\s+|--[^\n]*|/\*.*?\*/)*", re.DOTALL)


@dataclass(frozen=True, slots=True, kw_only=True)
class Hit:
    """One rule broken by one operation."""

    rule: RuleHandle
    risk: RiskClass
    message: str
    op: Op
    confidence: Confidence | None = None
    """None: the confidence the rule's page states; set when this hit knows better (a heuristic rule
    that is certain this time because the column's old type is known, or the reverse)."""
    path: str | None = None
    """Set when the hit is in another file than the migration (its down file)."""
    lock: str | None = None
    """The lock this hit takes when it differs from its page's `lock:` (e.g. LOCK TABLE's mode)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Context:
    """What the judge needs besides the operations."""

    mode: TxMode
    large: Mapping[str, int | None] = field(default_factory=dict)
    """Large tables (name -> rows, None when only named)."""
    require_lock_timeout: bool = True
    one_query: bool = False
    """The tool sends the whole file as one query string (dbmate, pop, diesel, golang-migrate):
    after a COMMIT in it, the rest still runs in PostgreSQL's implicit transaction block."""
    runner: str = ""
    """The migration tool assumed to run the file (named in messages)."""
    tables: Mapping[str, TableState] = field(default_factory=dict)
    """What the earlier migrations of the same directory left on the tables this one asks about
    (unqualified lower-case name -> column types, NOT NULL columns, defaults, checks); see history."""


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


def _known_type_change(hits: list[Hit], op: Op, old: ColumnType | None, utc: bool = False) -> list[Hit]:
    """The change-column-type hit of `op`, settled when the column's old type is known (`utc`: the
    migration set its session time zone to UTC before it)."""
    if old is None or not hits or hits[-1].op is not op or hits[-1].rule.id != R.CHANGE_TYPE.id:
        return hits
    new: ColumnType = (str(op.extra.get("pg_type") or op.detail), tuple(op.extra.get("mods") or ()))
    if binary_compatible(old, new):
        if "using" in op.flags:
            return hits  # whether PostgreSQL rewrites depends on the USING expression: stays heuristic
        return hits[:-1]  # metadata only: the brief ACCESS EXCLUSIVE of any ALTER, no rewrite
    timestamps = {_canonical(old[0]), _canonical(new[0])} == {"timestamp", "timestamptz"}
    if timestamps and utc and "using" not in op.flags and old[1] == new[1]:
        return hits[:-1]  # PostgreSQL 12+: binary-compatible when the session time zone is UTC
    if timestamps and not old[1] and not new[1] and "using" not in op.flags:
        # (a USING expression other than the column itself, `at AT TIME ZONE 'UTC'`, rewrites in any session)
        hits[-1] = replace(hits[-1], message=(  # stays heuristic: it depends on the session, not the file
            f"Changing the type of {op.table}.{op.column} from {_type_text(old)} to {_type_text(new)} rewrites "
            f"{op.table} and its indexes under an ACCESS EXCLUSIVE lock, unless the migration's session time "
            "zone is UTC on PostgreSQL 12 or later."))
        return hits
    hits[-1] = replace(hits[-1], confidence=Confidence.CERTAIN, message=(
        f"Changing the type of {op.table}.{op.column} from {_type_text(old)} to {_type_text(new)} rewrites "
        f"{op.table} and its indexes under an ACCESS EXCLUSIVE lock."))
    return hits


_SERIAL_COLUMN = {"serial": "integer", "serial4": "integer", "bigserial": "bigint", "serial8": "bigint",
                  "smallserial": "smallint", "serial2": "smallint"}
"""`serial` is not a column type: a column declared so is an integer (with a sequence default)."""


def _type_text(t: ColumnType) -> str:
    return _SERIAL_COLUMN.get(t[0].lower(), t[0]) + (f"({', '.join(map(str, t[1]))})" if t[1] else "")


_DDL_LOCKING = frozenset({"add_column", "drop_column", "alter_type", "set_not_null", "add_constraint",
                          "rename_column", "rename_table", "create_index", "drop_index", "rewrite",
                          "lock_table", "truncate", "alter_other", "drop_table", "drop_default",
                          "detach_partition", "refresh_matview", "rename_object", "set_schema", "set_default",
                          "drop_not_null", "drop_constraint"})
_DATA = frozenset({"update", "delete", "insert_select"})
AE = "ACCESS EXCLUSIVE"
WRITE_BLOCKING_MODES = ("SHARE", "SHARE ROW EXCLUSIVE", "EXCLUSIVE", "ACCESS EXCLUSIVE")
"""LOCK TABLE modes that block INSERT/UPDATE/DELETE (the weaker ones conflict only with DDL)."""
_GROUPS = {"table": "rel", "view": "rel", "materialized view": "rel", "sequence": "rel", "foreign table": "rel",
           "function": "func", "procedure": "func", "routine": "func", "aggregate": "func",
           "type": "type", "domain": "type", "schema": "schema", "extension": "extension",
           "database": "database"}
"""Object kinds that share a namespace: a view and a sequence cannot have the same name."""


def _key(name: str | None) -> str:
    return (name or "").lower()


def _short(name: str | None) -> str:
    return _key(name).rsplit(".", 1)[-1]


def _names(name: str | None) -> tuple[str, str]:
    """An object's name as the parser spells it (unquoted folded to lower case, quoted kept), in
    full and without its schema: `"Big View"` and `big view` are different objects."""
    full = name or ""
    return full, full.rsplit(".", 1)[-1]


class _Tables:
    """Tables, indexes and other objects created (or renamed into being) so far in this migration."""

    def __init__(self) -> None:
        self.tables: set[str] = set()
        self.indexes: set[str] = set()
        self.objects: set[tuple[str, str]] = set()
        """(kind group, name) of objects CREATEd in this migration: no callers, no data yet."""
        self.renamed: set[tuple[str, str]] = set()
        """(kind group, new name) of objects renamed in this migration: nothing refers to the new name yet."""

    def new(self, name: str | None) -> bool:
        """Created in this migration: a table, or a materialized view (which has rows, but which no
        one else can see until the migration commits)."""
        if not name:
            return False
        return _key(name) in self.tables or _short(name) in self.tables or (
            bool(self.objects) and self._has(self.objects, "materialized view", name))

    def add(self, into: set[tuple[str, str]], kind: str, name: str | None) -> None:
        group = _GROUPS.get(kind, kind)
        into.update((group, n) for n in _names(name))

    def created(self, kind: str, name: str | None) -> bool:
        return self._has(self.objects, kind, name)

    def renamed_here(self, kind: str, name: str | None) -> bool:
        return self._has(self.renamed, kind, name)

    @staticmethod
    def _has(where: set[tuple[str, str]], kind: str, name: str | None) -> bool:
        group = _GROUPS.get(kind, kind)
        return bool(name) and any((group, n) in where for n in _names(name))


def transactions(ops: Sequence[Op], mode: TxMode, statements: int, *, one_query: bool = False) -> list[int | None]:
    """Per operation, the id of the transaction it runs in (None: autocommitted on its own).

    WRAPPED: the tool's transaction, until a COMMIT or ROLLBACK in the file ends it; after that,
    statements run on their own (tools that send statements one by one) or, when the tool sends
    the file as one query string (`one_query`), in PostgreSQL's implicit transaction block, which
    every statement of a multi-statement query string runs in. IMPLICIT (more than one statement):
    implicit blocks, a new one after each COMMIT. An explicit BEGIN opens one until its COMMIT.
    Each Liquibase changeset (`unit`) and each stretch of Alembic's autocommit_block starts afresh."""
    out: list[int | None] = []
    counter = 0
    explicit: int | None = None
    multi = mode is TxMode.IMPLICIT and statements > 1
    implicit_after = one_query or multi
    tool: int | None = None
    unit: int | None = None
    outside = False
    for op in ops:
        if op.unit != unit or (outside and not op.autocommit):
            unit, explicit, outside = op.unit, None, False
            tool = None
            if mode is TxMode.WRAPPED or multi:
                counter += 1
                tool = counter
        if op.autocommit and explicit is None:
            outside = True
            out.append(None)
            continue
        if op.action == "begin":
            if explicit is None:
                if tool is not None:  # BEGIN inside an open transaction: ignored, the outer one goes on
                    explicit = tool
                else:
                    counter += 1
                    explicit = counter
            out.append(explicit)
            continue
        if op.action == "commit":
            out.append(explicit if explicit is not None else tool)
            explicit = None
            tool = None
            if implicit_after:  # the rest of the query string: a new implicit block
                counter += 1
                tool = counter
            continue
        out.append(explicit if explicit is not None else tool)
    return out


def judge(ops: Sequence[Op], ctx: Context, *, statements: int | None = None) -> list[Hit]:
    """Every rule hit of one migration's operations, in order."""
    n = statements if statements is not None else len({(o.line, o.col) for o in ops})
    txns = transactions(ops, ctx.mode, n, one_query=ctx.one_query)
    made = _Tables()
    state: State = {t: ts.copy() for t, ts in ctx.tables.items()}
    tracked = asked(ops)  # the tables some rule asks the state of: the others need none kept
    hits: list[Hit] = []
    ddl_in_txn: dict[int, Op] = {}
    data_in_txn: dict[int, Op] = {}
    not_valid: dict[tuple[str, str], tuple[int | None, Op]] = {}
    long_names: set[str] = set()
    timeout_set = False
    unprotected: tuple[Op, tuple[str, str]] | None = None
    """The first statement that takes a traffic-blocking lock on an existing relation while no
    lock_timeout is set: missing-lock-timeout is reported there, once per migration."""
    utc = False
    for i, (op, txn) in enumerate(zip(ops, txns, strict=True)):
        if op.action == "set_timezone":
            utc = op.detail == "UTC"
        if op.action == "set_lock_timeout":
            timeout_set = op.detail != "0"
        elif unprotected is None and not timeout_set and not made.new(op.table) \
                and not (op.action == "drop_object" and made.created(op.detail, op.column)):
            lock = traffic_lock(op)
            if lock is not None:
                unprotected = (op, lock)
        if op.action in _CREATES:
            hits.extend(_advisory(op, long_names))
        table = op.table
        new = made.new(table)
        if op.action == "create_table" and table:
            made.tables.update({_key(table), _short(table)})
            if _short(table) in tracked:
                apply(state, op)
            continue
        if op.action == "create_index" and op.column:
            made.indexes.add(_short(op.column))
        if op.action == "add_constraint" and "not_valid" in op.flags and op.column and not new:
            not_valid[(_short(table), _short(op.column))] = (txn, op)
        if op.action == "validate_constraint" and txn is not None and op.column:
            added = not_valid.get((_short(table), _short(op.column)))
            if added is not None and added[0] == txn:
                hits.append(_validated_in_same_txn(op, added[1]))
        if txn is not None and not new and table:
            weak_lock = op.action == "lock_table" and op.detail not in WRITE_BLOCKING_MODES
            if op.action in _DDL_LOCKING and "concurrently" not in op.flags and not weak_lock:
                ddl_in_txn.setdefault(txn, op)
            if op.action in _DATA and txn in ddl_in_txn:  # only DDL taken before it is held through it
                data_in_txn.setdefault(txn, op)
        known = state.get(short(table)) if table else None
        hits.extend(_rules_for(i, op, txn is not None, new, made, known, ops, txns))
        if op.action == "alter_type":
            old = known.type_of(_key(op.column)) if known is not None else None
            hits = _known_type_change(hits, op, old or op.extra.get("old"), utc)
        if op.action == "drop_default" and not new and _known_not_null(op, i, ops, known) \
                and not _default_set_again(i, op, ops, txns):
            hits.append(_drop_default(op))
        if table and _short(table) in tracked:
            apply(state, op)  # after the rules: they judge the state the statement starts from
        _track_objects(op, made)
    hits.extend(_mixed(ddl_in_txn, data_in_txn, ctx))
    hits.extend(_transaction_blocks(ops, ctx))
    hits = [_escalate(h, ctx) for h in hits]
    if ctx.require_lock_timeout and unprotected is not None:
        hits.append(_lock_timeout(*unprotected))
    return hits


_CREATES = frozenset({"create_table", "add_column", "create_index", "add_constraint", "rename_column",
                      "rename_table", "rename_object", "create_object", "alter_domain"})
"""Operations that create a column or a name: the advisory rules look at these only."""
_SMALL_INTS = frozenset({"int4", "int2", "int", "integer", "smallint", "serial", "serial4", "smallserial",
                         "serial2"})
_SEQUENCED = frozenset({"serial", "identity"})
MAX_IDENTIFIER = 63
"""NAMEDATALEN - 1: PostgreSQL cuts longer identifiers to this many bytes."""
_WORD = re.compile(r'"(?:[^"]|"")+"|[^\W\d][\w$]{15,}')
"""Identifier-like runs that may be over 63 bytes in UTF-8 (16 characters of up to 4 bytes)."""


def _advisory(op: Op, long_names: set[str]) -> list[Hit]:
    """identifier-too-long, int-primary-key, timestamp-without-time-zone and char-column for one
    operation that creates something; run on every such operation, new table or not."""
    out: list[Hit] = []
    if op.action == "create_table":
        for name, type_, flags in op.extra.get("columns") or ():
            out.extend(_column_type(op, name, type_, flags, op.table))
    elif op.action == "add_column" and op.column:
        type_ = str(op.extra.get("pg_type") or op.detail)
        out.extend(_column_type(op, op.column, type_, op.flags, op.table))
    out.extend(_too_long(op, long_names))
    return out


def _column_type(op: Op, name: str, type_: str, flags: frozenset[str], table: str | None) -> list[Hit]:
    base = type_.lower().removeprefix("pg_catalog.")
    if base not in _SMALL_INTS and base.removesuffix("[]") not in ("timestamp", "bpchar"):
        return []  # most columns: nothing to say, and no copy of the operation made
    pos = (op.extra.get("at") or {}).get(name)
    at = replace(op, column=name, detail=type_) if pos is None else \
        replace(op, column=name, detail=type_, line=pos[0], col=pos[1], end_line=pos[0])
    where = f"{table}.{name}"
    if base in _SMALL_INTS and ("primary_key" in flags or _SEQUENCED & flags or "serial" in base):
        role = "primary key" if "primary_key" in flags else "sequence-backed column"
        top = "32,767" if base in ("int2", "smallint", "smallserial", "serial2") else "2,147,483,647"
        return [_h(R.INT_PK, at, f"{role.capitalize()} {where} is {type_}: its values stop at {top}, and widening it "
                   "to bigint later rewrites the table and every column that references it.")]
    if base.removesuffix("[]") == "timestamp":
        return [_h(R.TIMESTAMP_NO_TZ, at, f"Column {where} is {type_} (without time zone): it stores no offset, so "
                   "values written from different time zones cannot be told apart or compared.")]
    if base.removesuffix("[]") == "bpchar":
        return [_h(R.CHAR_COLUMN, at, f"Column {where} is char(n), which pads values with blanks and ignores trailing "
                   "spaces in comparisons; use text or varchar.")]
    return []


def _created_names(op: Op) -> list[tuple[str, str]]:
    """(kind, name) of every name an operation creates, as its reader gives it."""
    a = op.action
    if a == "create_table":
        names = [("table", (op.table or "").rsplit(".", 1)[-1])] if "derived_name" not in op.flags else []
        names += [("column", c[0]) for c in op.extra.get("columns") or ()]
        return names + [("constraint", n) for n in op.extra.get("names") or ()]
    if a == "add_column":
        return [("column", op.column or "")]
    if a == "create_index":
        return [("index", op.column or "")]
    if a == "add_constraint":
        return [("constraint", op.column or "")]
    if a in ("rename_column", "rename_table"):
        return [] if "derived_name" in op.flags else [("name", op.detail.rsplit(".", 1)[-1])]
    if a == "rename_object":
        return [("name", str(op.extra.get("new") or ""))]
    if a == "create_object":
        return [(op.detail, (op.column or "").rsplit(".", 1)[-1])]
    if a == "alter_domain":
        return [("constraint", str(op.extra.get("constraint") or ""))]
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
        out.append(_h(R.IDENTIFIER_TOO_LONG, replace(op, column=name), f"The {kind} name {name} is "
                      f"{len(name.encode())} bytes: PostgreSQL keeps only the first {MAX_IDENTIFIER}, so it is "
                      f"created as {short}."))
    return out


_AE_ACTIONS = frozenset({"add_column", "drop_column", "alter_type", "set_not_null", "drop_not_null", "set_default",
                         "drop_default", "rename_column", "rename_table", "drop_table", "truncate", "rewrite",
                         "drop_constraint", "alter_other"})
"""Table operations that take ACCESS EXCLUSIVE (no reads, no writes) however briefly."""
_WEAK_ALTERS = frozenset({"AT_SetStatistics", "AT_ClusterOn", "AT_DropCluster", "AT_SetRelOptions",
                          "AT_ResetRelOptions", "AT_SetOptions", "AT_ResetOptions", "AT_SetCompression",
                          "AT_AttachPartition", "AT_ReplicaIdentity", "AT_ChangeOwner"})
"""ALTER TABLE subcommands whose lock lets reads and writes go on (SHARE UPDATE EXCLUSIVE or less)."""
_TRIGGER_ALTERS = ("AT_EnableTrig", "AT_DisableTrig", "AT_EnableAlwaysTrig", "AT_EnableReplicaTrig")
"""ALTER TABLE ... ENABLE/DISABLE TRIGGER: SHARE ROW EXCLUSIVE (blocks writes)."""
_RELATION_KINDS = frozenset({"view", "materialized view", "sequence", "table", "foreign table"})


def traffic_lock(op: Op) -> tuple[str, str] | None:
    """(lock, on what) when `op` takes a lock that blocks reads or writes of an existing relation,
    and so queues behind a long transaction and holds every later query on it behind itself while
    it waits: ACCESS EXCLUSIVE, EXCLUSIVE, SHARE ROW EXCLUSIVE or SHARE. None for what lets traffic
    through (CONCURRENTLY, VALIDATE CONSTRAINT, plain DML) or names no relation."""
    a, f = op.action, op.flags
    t = op.table
    if a == "alter_other" and (op.detail in _WEAK_ALTERS or not t):
        return None
    if a == "alter_other" and op.detail.startswith(_TRIGGER_ALTERS):
        return "SHARE ROW EXCLUSIVE", str(t)
    if a in _AE_ACTIONS and t:
        return AE, t
    if a == "add_constraint" and t:
        return ("SHARE ROW EXCLUSIVE", t) if op.detail == "foreign" else (AE, t)
    if a == "add_column" and "references" in f and t:
        return AE, t
    if a == "create_index" and "concurrently" not in f and t:
        return "SHARE", t
    if a in ("drop_index", "reindex") and "concurrently" not in f:
        if t:
            return "SHARE", t
        return (AE if a == "drop_index" else "ACCESS EXCLUSIVE"), f"the table of index {op.column}"
    if a in ("refresh_matview", "detach_partition") and "concurrently" not in f and t:
        return AE, t
    if a == "lock_table" and op.detail in WRITE_BLOCKING_MODES and t:
        return op.detail, t
    if a in ("rename_object", "set_schema") and t and op.detail in _RELATION_KINDS:
        return AE, t
    if a == "drop_object" and op.detail in _RELATION_KINDS and op.column:
        return AE, op.column
    if a == "drop_object" and op.detail in ("trigger", "rule", "policy") and op.column and "." in op.column:
        return AE, op.column.rsplit(".", 1)[0]
    if a == "create_trigger" and t:
        return "SHARE ROW EXCLUSIVE", t
    if a == "create_object" and "or_replace" in f and op.detail in ("view", "materialized view") and op.column:
        return AE, op.column
    return None


def _lock_timeout(op: Op, lock: tuple[str, str]) -> Hit:
    mode, target = lock
    return Hit(rule=R.LOCK_TIMEOUT, risk=R.risk_of(R.LOCK_TIMEOUT), op=op, lock=mode,
               message=(f"This statement waits for {mode} lock on {target} with no lock_timeout set, so while it "
                        "waits every later query on the table queues behind it."))


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
    return replace(hit, risk=new_risk, message=f"{hit.message.rstrip('.')} ({table} is a large table: {size}).")


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


def _h(handle: RuleHandle, op: Op, message: str, confidence: Confidence | None = None, *,
       risk: RiskClass | None = None, lock: str | None = None) -> Hit:
    return Hit(rule=handle, risk=risk or R.risk_of(handle), op=op, message=message, confidence=confidence,
               lock=lock)


def _rules_for(i: int, op: Op, in_txn: bool, new: bool, made: _Tables, known: TableState | None,
               ops: Sequence[Op], txns: Sequence[int | None]) -> list[Hit]:
    a, t, c, f = op.action, op.table, op.column, op.flags
    out: list[Hit] = []
    conc = "concurrently" in f
    if a == "dynamic_sql":
        return [_h(R.DYNAMIC_SQL, op, f"The SQL of {op.detail} is built while the migration runs and cannot be read "
                   "here, so what it does to the database was not judged.")]
    if (conc or "no_txn" in f) and "in_do" in f:
        what = {"create_index": "CREATE INDEX CONCURRENTLY", "drop_index": "DROP INDEX CONCURRENTLY",
                "reindex": "REINDEX", "detach_partition": "DETACH PARTITION CONCURRENTLY"}.get(a, op.detail or a)
        out.append(_h(R.CONCURRENTLY_IN_TXN, op, f"{what} on {c or t} runs inside a DO block, where PostgreSQL "
                      "refuses it (it cannot be executed from a function): the migration fails at deploy."))
        return out
    if conc and in_txn and a in ("create_index", "drop_index", "reindex", "detach_partition"):
        what = {"create_index": "CREATE INDEX", "drop_index": "DROP INDEX", "reindex": "REINDEX",
                "detach_partition": "DETACH PARTITION"}[a]
        out.append(_h(R.CONCURRENTLY_IN_TXN, op,
                      f"{what} CONCURRENTLY on {c or t} runs inside a transaction, where PostgreSQL refuses it: "
                      "the migration fails at deploy."))
        return out
    if "no_txn" in f and in_txn:
        what = f"REINDEX {op.detail.upper()}" if a == "reindex" else op.detail
        out.append(_h(R.CONCURRENTLY_IN_TXN, op, f"{what} runs inside a transaction, where PostgreSQL refuses it: "
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
                          f"holding {_fk_locks(t, ref)}."))
    elif a == "drop_column":
        out.append(_h(R.DROP_COLUMN, op, f"Dropping column {t}.{c} deletes its data for good, and running code "
                      f"that still reads it breaks; it takes an ACCESS EXCLUSIVE lock on {t}."))
    elif a == "alter_type":
        out.append(_h(R.CHANGE_TYPE, op, f"Changing the type of {t}.{c} to {op.detail} rewrites {t} and its "
                      "indexes under an ACCESS EXCLUSIVE lock (unless the change is binary-coercible).",
                      Confidence.HEURISTIC))
    elif a == "set_not_null":
        col = _key(c)
        if known is None or not (known.not_null(col) or known.validated(col)):
            out.append(_h(R.SET_NOT_NULL, op, f"SET NOT NULL on {t}.{c} scans the whole table under an ACCESS "
                          "EXCLUSIVE lock, because no validated CHECK ({c} IS NOT NULL) exists first.".replace(
                              "{c}", str(c))))
    elif a == "add_constraint":
        out.extend(_constraint(op))
    elif a == "create_index" and not conc:
        kind = "unique index" if "unique" in f else "index"
        if c and c.endswith(" index"):  # Django's implicit index of a field: "<column> index"
            what = f"the {kind} of {t}.{c[:-6]}"
        else:
            what = f"{kind} {c or ''} on {t}"
        out.append(_h(R.CREATE_INDEX, op, f"Creating {what} without CONCURRENTLY takes a SHARE "
                      f"lock that blocks every write to {t} until the build ends.".replace("  ", " ")))
    elif a == "drop_index" and not conc and _short(c) not in made.indexes:
        what = f"index {c}" if c else "an index"
        out.append(_h(R.DROP_INDEX, op, f"Dropping {what} without CONCURRENTLY takes an ACCESS EXCLUSIVE lock "
                      "on its table, blocking reads and writes."))
    elif a == "rename_column":
        out.append(_h(R.RENAME_COLUMN, op, f"Renaming column {t}.{c} to {op.detail} takes an ACCESS EXCLUSIVE lock "
                      f"on {t} and breaks running code that still uses {c}."))
    elif a == "rename_table" and (again := _recreated(i, ops, txns, "view", t)) != "same":
        gap = _gap(again, "the view that replaces it is created")
        out.append(_h(R.RENAME_TABLE, op, f"Renaming table {t} to {op.detail} takes an ACCESS EXCLUSIVE lock and "
                      f"breaks running code that still queries {t}{gap}."))
    elif a == "drop_table":
        out.append(_h(R.DROP_TABLE, op, f"Dropping table {t} deletes its data for good; it takes an ACCESS "
                      "EXCLUSIVE lock and breaks running code that uses it."))
    elif a == "drop_object" and op.detail in ("schema", "database"):
        if not made.created(op.detail, c):
            out.append(_h(R.DROP_TABLE, op, f"Dropping {op.detail} {c} deletes every table in it for good."))
    elif a == "drop_object":
        out.extend(_drop_object(i, op, made, ops, txns))
    elif a in ("rename_object", "set_schema"):
        out.extend(_by_name(i, op, made, ops, txns))
    elif a == "detach_partition" and not conc:
        out.append(_h(R.DETACH, op, f"Detaching partition {c} from {t} without CONCURRENTLY takes an ACCESS EXCLUSIVE "
                      f"lock on {t}, blocking reads and writes of every partition until it ends.", lock=AE))
    elif a == "refresh_matview" and not conc and not made.created("materialized view", t):
        out.append(_h(R.REFRESH, op, f"REFRESH MATERIALIZED VIEW {t} without CONCURRENTLY holds an ACCESS EXCLUSIVE "
                      "lock on it, blocking every read of the view until the refresh ends.", lock=AE))
    elif a == "lock_table" and op.detail in WRITE_BLOCKING_MODES:
        what = "every read and write of" if op.detail == "ACCESS EXCLUSIVE" else "every write to"
        tail = ("" if in_txn else "; outside a transaction block PostgreSQL refuses LOCK TABLE, so it also fails "
                "the migration")
        out.append(_h(R.LOCK_TABLE, op, f"LOCK TABLE {t} IN {op.detail} MODE blocks {what} {t} until the migration's "
                      f"transaction ends{tail}.", lock=op.detail))
    elif a == "alter_domain" and "not_valid" not in f and not made.created("domain", c):
        out.append(_h(R.ALTER_DOMAIN, op, f"ALTER DOMAIN {c} {op.detail} checks every stored value of the domain, "
                      f"holding a SHARE lock that blocks writes to each table with a {c} column for the whole scan.",
                      lock="SHARE"))
    elif a == "create_object" and op.detail == "domain" and "check" in f:
        out.append(_h(R.CREATE_DOMAIN_CHECK, op, f"Domain {c} carries a CHECK constraint: changing it later re-checks "
                      f"every {c} column of every table under a SHARE lock, with no per-table, online path."))
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
    elif a == "reindex" and op.detail == "system":
        out.append(_h(R.REINDEX, op, "REINDEX SYSTEM rebuilds every system catalog index, blocking each catalog "
                      "while it runs (and with it most queries); catalogs have no CONCURRENTLY form."))
    elif a == "reindex" and not conc:
        where = (t or c or "").strip()
        out.append(_h(R.REINDEX, op, f"REINDEX {op.detail.upper()} {where} without CONCURRENTLY blocks writes to "
                      "the table (and reads that use the index) until it finishes.".replace("  ", " ")))
    elif a == "add_enum_value" and in_txn:
        used = _enum_used_later(op, ops, txns)
        risk = RiskClass.MEDIUM if used else R.risk_of(R.ENUM_IN_TXN)
        extra = " and is used later in the same transaction, which fails" if used else ""
        out.append(Hit(rule=R.ENUM_IN_TXN, risk=risk, op=op, message=(
            f"ALTER TYPE {t} ADD VALUE '{op.detail}' runs inside a transaction: the value cannot be used "
            f"before the transaction commits{extra}.")))
    return out


_VIEWS = ("view", "materialized view")
_ROUTINES = ("function", "procedure", "routine", "aggregate")


def _recreated(i: int, ops: Sequence[Op], txns: Sequence[int | None], kind: str, name: str | None) -> str | None:
    """Whether a later statement CREATEs an object of the same namespace and name as ops[i]: "same"
    (in the same transaction, so no other session ever sees it missing), "later", or None."""
    if not name:
        return None
    group, (full, short) = _GROUPS.get(kind, kind), _names(name)
    for j in range(i + 1, len(ops)):
        o = ops[j]
        if o.action == "create_object" and _GROUPS.get(o.detail, o.detail) == group \
                and (o.column == full or _names(o.column)[1] == short):
            return "same" if txns[i] is not None and txns[j] == txns[i] else "later"
    return None


def _gap(when: str | None, what: str) -> str:
    if when != "later":
        return ""
    return f"; {what} only in a later transaction, so queries in between fail"


def _drop_object(i: int, op: Op, made: _Tables, ops: Sequence[Op], txns: Sequence[int | None]) -> list[Hit]:
    kind, name, cascade = op.detail, op.column, "cascade" in op.flags
    if made.created(kind, name):
        return []
    again = _recreated(i, ops, txns, kind, name)
    renamed = made.renamed_here(kind, name)
    if kind in _VIEWS or kind in _ROUTINES:
        if again == "same" or renamed:
            return []
        if kind in _VIEWS:
            casc = " and, with CASCADE, every view built on it" if cascade else ""
            return [_h(R.DROP_VIEW, op, f"Dropping {kind} {name}{casc} breaks every query of running code that still "
                       f"reads it{_gap(again, 'it is created again')}.", lock=AE)]
        return [_h(R.DROP_FUNCTION, op, f"Dropping {kind} {name} breaks running code, triggers and defaults that "
                   f"still call it{_gap(again, 'it is created again')}.")]
    if kind in ("type", "domain"):
        if cascade:
            return [_h(R.DROP_TYPE, op, f"DROP {kind.upper()} {name} CASCADE also drops every column of that {kind}, "
                       "deleting their data for good.", lock=AE)]
        if again == "same" or renamed:
            return []
        return [_h(R.DROP_TYPE, op, f"Dropping {kind} {name} fails while a column still uses it, and breaks running "
                   f"code that names it{_gap(again, 'it is created again')}.", risk=RiskClass.HIGH,
                   lock="none on tables")]
    if kind == "sequence":
        casc = ", with CASCADE the column defaults that draw from it," if cascade else ""
        return [_h(R.DROP_SEQUENCE, op, f"Dropping sequence {name} loses its current value{casc} for good, and "
                   "every INSERT or nextval() call that still uses it fails.", lock=AE)]
    if kind == "extension":
        if cascade:
            return [_h(R.DROP_EXTENSION, op, f"DROP EXTENSION {name} CASCADE also drops every column, index and "
                       "function that uses its types or functions, deleting that data for good.", lock=AE)]
        return [_h(R.DROP_EXTENSION, op, f"Dropping extension {name} fails while anything depends on it, and breaks "
                   "running code that calls its functions or uses its types.", risk=RiskClass.HIGH,
                   lock="none on tables")]
    return []


def _by_name(i: int, op: Op, made: _Tables, ops: Sequence[Op], txns: Sequence[int | None]) -> list[Hit]:
    """Renames and SET SCHEMA: code that names the object stops finding it."""
    kind, name = op.detail, op.column
    rel = op.table is not None
    lock = AE if rel else "a brief lock on the object's catalog row"
    held = f" and takes an ACCESS EXCLUSIVE lock on {name}" if rel else ""
    if kind == "enum value":
        if made.created("type", op.table):
            return []
        return [_h(R.RENAME_OBJECT, op, f"Renaming value '{name}' of enum {op.table} to '{op.extra.get('new')}' breaks "
                   f"running code that still writes or compares '{name}'.", lock="a brief lock on the type")]
    if made.created(kind, name) or _recreated(i, ops, txns, kind, name) == "same":
        return []
    if op.action == "set_schema":
        return [_h(R.SET_SCHEMA, op, f"Moving {kind} {name} to schema {op.extra.get('schema')} breaks running code "
                   f"that finds it by its old schema or through search_path{held}.", lock=lock)]
    return [_h(R.RENAME_OBJECT, op, f"Renaming {kind} {name} to {op.extra.get('new')} breaks running code that still "
               f"refers to {name}{held}.", lock=lock)]


def _track_objects(op: Op, made: _Tables) -> None:
    if op.action == "create_object" and "or_replace" not in op.flags:
        made.add(made.objects, op.detail, op.column)
    elif op.action == "rename_object" and op.detail != "enum value":
        made.add(made.renamed, op.detail, str(op.extra.get("new")))


def _drop_default(op: Op) -> Hit:
    t, c = op.table, op.column
    tail = f"every INSERT that omits {c} fail, including those of running code that does not know the column."
    by = op.extra.get("implicit")
    if by:  # the tool writes the DROP DEFAULT itself (Django's AddField with a default but no db_default)
        return _h(R.DROP_DEFAULT, op, f"{by} adds NOT NULL column {t}.{c} with its default and drops that default "
                  f"in the same migration, which makes {tail}")
    return _h(R.DROP_DEFAULT, op, f"Dropping the default of NOT NULL column {t}.{c} makes {tail}")


def _known_not_null(op: Op, i: int, ops: Sequence[Op], known: TableState | None) -> bool:
    """The column is NOT NULL: as this and the earlier migrations left it, as the reader says
    (Alembic's `existing_nullable=False`), or set in the same statement as the DROP DEFAULT."""
    if "not_null" in op.flags or (known is not None and known.not_null(_key(op.column))):
        return True
    key = (_short(op.table), _key(op.column))
    for later in ops[i + 1:]:  # ALTER COLUMN c DROP DEFAULT, ALTER COLUMN c SET NOT NULL in one statement
        if (later.line, later.col) != (op.line, op.col):
            break
        if later.action == "set_not_null" and (_short(later.table), _key(later.column)) == key:
            return True
    return False


def _default_set_again(i: int, op: Op, ops: Sequence[Op], txns: Sequence[int | None]) -> bool:
    """A later SET DEFAULT on the same column in the same transaction: no other session ever sees
    the column without a default (the DROP and SET of a default changed in two steps)."""
    if txns[i] is None:
        return False
    key = (_short(op.table), _key(op.column))
    return any(txns[j] == txns[i] and ops[j].action == "set_default"
               and (_short(ops[j].table), _key(ops[j].column)) == key for j in range(i + 1, len(ops)))


def _validated_in_same_txn(op: Op, added: Op) -> Hit:
    foreign = added.detail == "foreign"
    lock = "SHARE ROW EXCLUSIVE" if foreign else "ACCESS EXCLUSIVE"
    return _h(R.VALIDATE_SAME_TXN, op, f"VALIDATE CONSTRAINT {op.column} on {op.table} runs in the transaction "
              f"that added it NOT VALID (line {added.line}), so the ADD's {lock} lock is held for the whole "
              "validation scan.", risk=RiskClass.MEDIUM if foreign else None, lock=lock)


def _transaction_blocks(ops: Sequence[Op], ctx: Context) -> list[Hit]:
    """Transaction control the migration's own statements do: a BEGIN that nests in another
    transaction (the tool's, or an open BEGIN), one that is never committed, and a COMMIT or
    ROLLBACK that ends the transaction the tool opened (reported once, at that statement: a
    `COMMIT; ...; BEGIN;` that steps out of it is one finding)."""
    out: list[Hit] = []
    open_at: Op | None = None
    multi = ctx.mode is TxMode.IMPLICIT and len({(o.line, o.col) for o in ops}) > 1
    tool_open = False
    unit: int | None = None
    done = False  # a statement ran in the tool's transaction (a COMMIT first thing ends nothing of it)
    who = ctx.runner or "the migration tool"
    for i, op in enumerate(ops):
        if op.unit != unit:
            unit, open_at, done = op.unit, None, False
            tool_open = ctx.mode is TxMode.WRAPPED or multi
        if op.autocommit:
            continue
        if op.action == "commit":
            if open_at is None and tool_open and done:
                out.append(_ended_early(i, op, ops, ctx, who))
            open_at = None
            tool_open = False
        elif op.action not in ("begin", "set_lock_timeout"):
            done = done or tool_open
        elif op.action != "begin":
            continue
        elif "chain" in op.flags:
            open_at = op
        elif open_at is not None:
            out.append(_h(R.NESTED_TXN, op, f"BEGIN while the transaction opened at line {open_at.line} is still open "
                          "is ignored with a warning, and the first COMMIT ends both."))
        else:
            open_at = op
            if tool_open and ctx.mode is TxMode.WRAPPED:
                out.append(_h(R.NESTED_TXN, op, f"BEGIN inside a migration that {who} already runs in a "
                              f"transaction is ignored with a warning{_early_commit(i, ops)}."))
    if open_at is not None and ctx.mode is not TxMode.WRAPPED:
        what = "COMMIT AND CHAIN opens a transaction" if "chain" in open_at.flags else "BEGIN opens a transaction"
        out.append(_h(R.UNCLOSED_TXN, open_at, f"{what} that the migration never commits: when the session ends "
                      f"PostgreSQL rolls it back, silently undoing everything after line {open_at.line}."))
    return out


def _early_commit(i: int, ops: Sequence[Op]) -> str:
    end = next((j for j in range(i + 1, len(ops)) if ops[j].action == "commit"), None)
    if end is None:
        return ""
    tail = ", so the statements after it run outside any transaction and a failure there leaves the migration " \
        "half applied" if any(o.action != "commit" for o in ops[end + 1:]) else ""
    return f", and the COMMIT at line {ops[end].line} ends the tool's transaction early{tail}"


def _ended_early(i: int, op: Op, ops: Sequence[Op], ctx: Context, who: str) -> Hit:
    """A COMMIT or ROLLBACK that ends the transaction the tool opened (or the implicit block)."""
    block = "the transaction" if ctx.mode is TxMode.WRAPPED else "the implicit transaction"
    again = next((o for o in ops[i + 1:] if o.action == "begin" and not o.autocommit), None)
    if "rollback" in op.flags:
        return _h(R.ENDED_EARLY, op, f"ROLLBACK ends {block} {who} runs the migration in: everything the migration "
                  "did before it is undone, while the statements after it still run and the migration is "
                  "recorded as applied.", risk=RiskClass.HIGH)
    after = any(o.action not in ("begin", "commit") and not o.autocommit for o in ops[i + 1:])
    if again is not None:
        tail = (f"; the BEGIN at line {again.line} opens the transaction {who} then commits, so a failure before it "
                "leaves the migration half applied")
    elif after:
        tail = ", so a statement after it that fails leaves the migration half applied"
    else:
        tail = f", before {who} finishes the migration (its own COMMIT then finds no transaction)"
    return _h(R.ENDED_EARLY, op, f"COMMIT ends {block} {who} runs the migration in: what came before it is "
              f"committed on its own{tail}.")


def _enum_used_later(op: Op, ops: Sequence[Op], txns: Sequence[int | None]) -> bool:
    idx = next(i for i, o in enumerate(ops) if o is op)
    needle = f"'{op.detail}'"
    return any(txns[j] == txns[idx] and needle in ops[j].evidence for j in range(idx + 1, len(ops)))


def _fk_locks(table: str | None, ref: object) -> str:
    """The locks a foreign key takes: one table's when it references itself."""
    if isinstance(ref, str) and _short(ref) == _short(table):
        return f"a SHARE ROW EXCLUSIVE lock on {table}"
    return f"SHARE ROW EXCLUSIVE locks on {table} and {ref}"


def _named(kind: str, name: str | None) -> str:
    """`foreign key fk_x`, or `an unnamed foreign key` (SQLAlchemy's `None`: the database names it)."""
    return f"{kind} {name}" if name else f"an unnamed {kind}"


def _constraint(op: Op) -> list[Hit]:
    t, kind, f = op.table, op.detail, op.flags
    name = op.column or "(unnamed)"

    def named(what: str) -> str:
        return _named(what, op.column)

    if kind == "foreign" and "not_valid" not in f:
        ref = op.extra.get("references") or "the referenced table"
        return [_h(R.FK_NOT_VALID, op, f"Adding {named('foreign key')} on {t} without NOT VALID scans {t} while "
                   f"holding {_fk_locks(t, ref)}.")]
    if kind == "check" and "not_valid" not in f and op.extra.get("implicit") == "Django":
        column = name.removesuffix("_check")
        return [_h(R.CHECK_NOT_VALID, op, f"Django adds {t}.{column} with its CHECK ({column} >= 0), which "
                   f"PostgreSQL verifies by scanning the whole of {t} under an ACCESS EXCLUSIVE lock.")]
    if kind == "check" and "not_valid" not in f:
        return [_h(R.CHECK_NOT_VALID, op, f"Adding {named('CHECK constraint')} on {t} without NOT VALID scans the "
                   f"whole table under an ACCESS EXCLUSIVE lock.")]
    if kind == "unique" and "using_index" not in f:
        return [_h(R.UNIQUE, op, f"Adding {named('UNIQUE constraint')} on {t} builds its index under an ACCESS "
                   f"EXCLUSIVE lock on {t}.")]
    if kind == "exclusion":
        return [_h(R.EXCLUSION, op, f"Adding {named('exclusion constraint')} on {t} builds its index under an ACCESS "
                   f"EXCLUSIVE lock on {t}, and it has no NOT VALID or USING INDEX form.")]
    if kind == "primary" and "using_index" not in f:
        return [_h(R.ADD_PK, op, f"Adding a primary key to {t} builds its index (and sets NOT NULL) under an "
                   f"ACCESS EXCLUSIVE lock on {t}.")]
    return []
