"""The state a migration walks through, statement by statement: one object the judge updates.

* the session: the transaction each operation runs in (transactions.py), whether a lock_timeout is
  set, whether the time zone is UTC;
* objects created in this migration (tables, indexes, views, functions, types...: no rows and no
  callers yet, so operations on them are exempt) and objects renamed into being;
* the tables' columns, types, NOT NULL, defaults and `CHECK (col IS NOT NULL)` constraints, as the
  earlier migrations of the directory left them (history.py) and as this one changes them.

Checks read it; only `Walk.step` and `Walk.after` change it (the checks of an operation judge the
state the statement starts from).

Why over 500 lines: the state is one object on purpose (Walk, with the objects and relations it
keeps); splitting what a destroying operation may reach (names, views, foreign keys, dependants)
from the walk that updates it would pass the same state between modules.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Container, Mapping, Sequence
from dataclasses import dataclass, field

from readiness import lazyre
from readiness.gates.migrations.history import TRACKED, State, TableState, apply, asked, short
from readiness.gates.migrations.mentions import may_mention
from readiness.gates.migrations.ops import Action, Flag, ObjectKind, Op, split_relation
from readiness.gates.migrations.pgtree import PATH_CHANGE
from readiness.gates.migrations.transactions import TxMode, transactions

A = Action
K = ObjectKind
READS = TRACKED | {A.CREATE_TABLE, A.CREATE_INDEX, A.CREATE_OBJECT, A.RENAME_OBJECT, A.RENAME_OTHER,
                   A.SET_SCHEMA, A.SET_LOCK_TIMEOUT, A.SET_TIMEZONE, A.BEGIN, A.COMMIT}
"""The actions the walk reads (besides those the checks are registered for)."""
_CHANGES = TRACKED | {A.SET_LOCK_TIMEOUT, A.CREATE_INDEX, A.CREATE_OBJECT, A.RENAME_OBJECT, A.SET_SCHEMA,
                      A.ALTER_OTHER, A.DDL}
"""The actions `Walk.after` changes the state for."""


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
    built_from: Container[str] = frozenset()
    """What the directory's generated columns and base types are built from (functions, text search
    configurations: History.column_objects), when the migration drops such an object with CASCADE."""


_GROUPS: dict[ObjectKind | None, str] = {
    K.TABLE: "rel", K.VIEW: "rel", K.MATVIEW: "rel", K.SEQUENCE: "rel", K.FOREIGN_TABLE: "rel",
    K.FUNCTION: "func", K.PROCEDURE: "func", K.ROUTINE: "func", K.AGGREGATE: "func", K.TYPE: "type",
    K.DOMAIN: "type", K.SCHEMA: "schema", K.EXTENSION: "extension", K.DATABASE: "database"}
"""Object kinds that share a namespace: a view and a sequence cannot have the same name."""


_LITERAL_RE = lazyre.compile(r"'((?:[^']|'')*)'")
"""A standard SQL string literal (a doubled quote inside it is one quote)."""


def group(kind: ObjectKind | None) -> str:
    """The namespace an object kind's names live in."""
    return _GROUPS.get(kind) or str(kind)


def key(name: str | None) -> str:
    """A name as compared: lower case."""
    return (name or "").lower()


def unqualified(name: str | None) -> str:
    """A name as compared, without its schema."""
    return key(name).rsplit(".", 1)[-1]


def names(name: str | None) -> tuple[str, str]:
    """An object's name as the parser spells it (unquoted folded to lower case, quoted kept), in
    full and without its schema: `"Big View"` and `big view` are different objects."""
    full = name or ""
    return full, full.rsplit(".", 1)[-1]


_REFERENCES_RE = lazyre.compile(r'\bREFERENCES\s+((?:"[^"]*"|[\w$]+)(?:\s*\.\s*(?:"[^"]*"|[\w$]+))?)', re.IGNORECASE)
"""A foreign key's referenced table in a CREATE TABLE statement."""
_COLLATE_RE = lazyre.compile(r'\bCOLLATE\s+((?:"[^"]*"|[\w$]+)(?:\s*\.\s*(?:"[^"]*"|[\w$]+))?)', re.IGNORECASE)
"""A collation an ALTER COLUMN ... TYPE names."""
_ON_DELETE_RE = lazyre.compile(r"\bON\s+DELETE\s+(?:CASCADE|SET)\b", re.IGNORECASE)

_ADOPTS = frozenset({"AT_AttachPartition", "AT_AddInherit"})
"""ALTER TABLE subcommands that put one table's rows under another (the partition's under its
parent, the child's under the table it now inherits from)."""

DESTROYS = frozenset({A.DROP_TABLE, A.DROP_COLUMN, A.TRUNCATE, A.DELETE})
"""Operations that destroy data: judged on a table created IF NOT EXISTS as on an existing one."""


def maybe_created(op: Op) -> bool:
    """A CREATE that may leave an older object of that name in place: IF NOT EXISTS, or one run
    inside a DO block or a routine body (which a condition may skip, or an EXCEPTION handler may
    swallow when the object exists: `WHEN duplicate_table THEN NULL`). The name keeps its meaning."""
    return Flag.IF_NOT_EXISTS in op.flags or Flag.IN_DO in op.flags


class Objects:
    """Tables, indexes and other objects created (or renamed into being) so far in this migration."""

    def __init__(self) -> None:
        self.tables: set[str] = set()
        self.indexes: set[str] = set()
        self.views: set[str] = set()
        """Names (as written, and unqualified) of plain views CREATEd in this migration."""
        self.objects: set[tuple[str, str]] = set()
        """(kind group, name) of objects CREATEd in this migration: no callers, no data yet."""
        self.renamed: set[tuple[str, str]] = set()
        """(kind group, new name) of objects renamed in this migration: nothing refers to the new name yet."""
        self.maybe_old_objects: set[tuple[str, str]] = set()
        """(kind group, name) of objects created only IF NOT EXISTS: dropping one may drop what was
        already there (and, with CASCADE, the columns that use it)."""
        self.holding: set[tuple[str, str]] = set()
        """(kind group, name) of extensions an object that existed before this migration was added
        to (ALTER EXTENSION ... ADD): dropping the extension, even without CASCADE, drops it."""
        self.retyped: list[tuple[str, str, str, str, int]] = []
        """(`type` or `collation`, its name as written, table, column, line) for each column of a table
        not created here that this migration retyped (ALTER COLUMN ... TYPE x COLLATE c): a CASCADE
        drop of x or c (or of the schema or extension holding it) drops that column with its data."""
        self.referencing: dict[str, list[tuple[str, bool, int]]] = {}
        """Unqualified table -> the foreign keys this migration gave other tables to it: (referencing
        table, whose rows its ON DELETE changes, line). TRUNCATE ... CASCADE of the table empties
        those tables; a DELETE from it reaches them through ON DELETE CASCADE / SET NULL."""

    def new(self, name: str | None) -> bool:
        """Created in this migration: a table, or a materialized view (which has rows, but which no
        one else can see until the migration commits)."""
        if not name or not (self.tables or self.objects):
            return False
        return key(name) in self.tables or unqualified(name) in self.tables or (
            bool(self.objects) and self._has(self.objects, K.MATVIEW, name))

    def retype(self, op: Op) -> None:
        """Keep what an existing table's column now depends on (ALTER COLUMN ... TYPE x COLLATE c):
        the type (`type`, without array brackets) and the collations the statement names."""
        column = op.column or "?"
        if op.table:
            self.retyped.append(("type", (op.pg_type or op.detail).removesuffix("[]"), op.table, column, op.line))
            for m in _COLLATE_RE.finditer(op.evidence):
                self.retyped.append(("collation", m.group(1).replace('"', ""), op.table, column, op.line))

    def refer(self, op: Op) -> None:
        """Keep the foreign key `op` (ADD COLUMN ... REFERENCES, ADD CONSTRAINT ... FOREIGN KEY) gives
        its table, and follow a referenced table's rename."""
        if op.action is A.RENAME_TABLE:
            moved = self.referencing.pop(unqualified(op.table), None)
            if moved is not None and op.new_name:
                self.referencing.setdefault(unqualified(op.new_name), []).extend(moved)
        elif op.action is A.CREATE_TABLE and op.table:  # its foreign keys, read from the text (any ON DELETE: all)
            on_delete = _ON_DELETE_RE.search(op.evidence) is not None
            for m in _REFERENCES_RE.finditer(op.evidence):
                target = m.group(1).replace('"', "")
                self.referencing.setdefault(unqualified(target), []).append((op.table, on_delete, op.line))
        elif op.references and op.table:
            self.referencing.setdefault(unqualified(op.references), []).append(
                (op.table, Flag.ON_DELETE in op.flags, op.line))

    def reached(self, table: str, *, truncate: bool) -> list[tuple[str, str, int]]:
        """The tables not created here that a TRUNCATE ... CASCADE (`truncate`) or a DELETE of the
        new `table` reaches through the foreign keys this migration added (through new tables in
        between too): (table, the table it references, line of that foreign key)."""
        out: list[tuple[str, str, int]] = []
        todo, seen = [table], {unqualified(table)}
        while todo and self.referencing:
            cur = todo.pop()
            for ref, on_delete, line in self.referencing.get(unqualified(cur), ()):
                if not (truncate or on_delete) or unqualified(ref) in seen:
                    continue
                seen.add(unqualified(ref))
                if self.new(ref):
                    todo.append(ref)
                else:
                    out.append((ref, cur, line))
        return out

    def add(self, into: set[tuple[str, str]], kind: ObjectKind | None, name: str | None) -> None:
        g = group(kind)
        into.update((g, n) for n in names(name))

    def created(self, kind: ObjectKind | None, name: str | None) -> bool:
        return self._has(self.objects, kind, name)

    def surely_created(self, kind: ObjectKind | None, name: str | None) -> bool:
        """Created in this migration, and not only IF NOT EXISTS: dropping it destroys nothing older."""
        return self._has(self.objects, kind, name) and not self._has(self.maybe_old_objects, kind, name)

    def holds_existing(self, kind: ObjectKind | None, name: str | None) -> bool:
        return self._has(self.holding, kind, name)

    def renamed_here(self, kind: ObjectKind | None, name: str | None) -> bool:
        return self._has(self.renamed, kind, name)

    @staticmethod
    def _has(where: set[tuple[str, str]], kind: ObjectKind | None, name: str | None) -> bool:
        g = group(kind)
        return bool(name) and any((g, n) in where for n in names(name))


_PATH = lazyre.compile(r"search_path|set_config|U&\"", re.IGNORECASE).search
"""A statement that may change which schema an unqualified name resolves to: search_path set, reset
or changed anywhere (SET, set_config(), a DO block, a routine it calls; a `U&"..."` name may spell
either)..."""
_PATH_WORDS = ("search_path", "set_config", 'u&"')
_ROLE = lazyre.compile(r"(?:SET|RESET)\s+(?:SESSION\s+|LOCAL\s+)?(?:ROLE\b|SESSION\s+AUTHORIZATION\b|ALL\b|SCHEMA\b"
                   r"|U&|/\*|--)", re.IGNORECASE).match
"""... or the role, which names the first schema of the default path ("$user"); `SET SCHEMA 'x'` is
SET search_path's SQL-standard spelling. (The parse tree tells these apart however they are written:
pgtree gives such a SET the detail PATH_CHANGE; this test is for the spellings read without one.)"""
_PATH_LATER = lazyre.compile(r"ALTER\s+(?:ROLE|USER|DATABASE)\b", re.IGNORECASE)
"""Statements whose `SET search_path` applies only to later sessions. (A routine's own `SET
search_path` does count: its body, run where it is called or fired, resolves names through it.)"""
_TEMP = "pg_temp"
_DEFAULT = ""
"""The schema an unqualified CREATE TABLE lands in (the first of search_path that exists: usually
public, but a schema named after the role comes first), kept apart from an explicit `public.`."""


class Relations:
    """Which table a name surely means, for operations that destroy data (DROP TABLE/COLUMN,
    TRUNCATE, DELETE): a destroy is of a table created in this migration only when the name
    resolves, as PostgreSQL resolves it, to that table. Names are exact (a quoted `"USERS"` is not
    `users`); an unqualified name finds the session's temporary table first, then the schema
    unqualified CREATEs land in; a qualified CREATE elsewhere does not make the unqualified name
    new; a DROP gives the name back to whatever held it before; a rename or SET SCHEMA of an older
    relation into a name makes that name older; and once the search path (or the role) may have
    changed, no unqualified name is surely new."""

    __slots__ = ("made", "path_unknown")

    def __init__(self) -> None:
        self.made: dict[tuple[str, str], tuple[int | None, bool]] = {}
        """(schema, name) of a table created here -> (its transaction, dropped at its COMMIT)."""
        self.path_unknown = False

    def resolve(self, name: str, txn: int | None) -> tuple[str, str] | None:
        """The (schema, name) `name` means now; None when it cannot be told."""
        schema, rel = split_relation(name)
        if schema is not None:
            return (_TEMP if schema.startswith("pg_temp") else schema, rel)
        if self.path_unknown:
            return None
        temp = (_TEMP, rel)
        return temp if self._live(temp, txn) else (_DEFAULT, rel)

    def surely_new(self, name: str | None, txn: int | None) -> bool:
        where = self.resolve(name, txn) if name else None
        return where is not None and self._live(where, txn)

    def _live(self, where: tuple[str, str], txn: int | None) -> bool:
        made = self.made.get(where)
        if made is None:
            return False
        created_in, on_commit_drop = made
        return not on_commit_drop or (created_in is not None and created_in == txn)

    def after(self, op: Op, txn: int | None) -> None:
        a, table = op.action, op.table
        ev = op.evidence
        if (op.detail == PATH_CHANGE and a is A.OTHER) or (
                ((may_mention(ev, _PATH_WORDS) and _PATH(ev)) or _ROLE(ev)) and not _PATH_LATER.match(ev)):
            self.path_unknown = True
        if not table:
            if op.evidence[:7].upper() == "DISCARD":  # DISCARD TEMP / ALL drops temporary tables
                self.made = {k: v for k, v in self.made.items() if k[0] != _TEMP}
            return
        if a is A.CREATE_TABLE:
            if maybe_created(op):
                return  # may have created nothing: the name keeps what it had
            schema, rel = split_relation(table)
            if Flag.TEMP in op.flags or (schema or "").startswith("pg_temp"):
                where: tuple[str, str] | None = (_TEMP, rel)
            elif schema is not None:
                where = (schema, rel)
            else:
                where = None if self.path_unknown else (_DEFAULT, rel)
            if where is not None:
                self.made[where] = (txn, Flag.ON_COMMIT_DROP in op.flags)
        elif a is A.DROP_TABLE:
            self._forget(table, txn)
        elif a is A.ALTER_OTHER and op.detail in _ADOPTS and op.column:
            # an older table attached under (or inheriting from) one created here: destroying that one reaches it
            parent, child = (table, op.column) if op.detail == "AT_AttachPartition" else (op.column, table)
            if not self.surely_new(child, txn):
                self._forget(parent, txn)
        elif a in (A.RENAME_TABLE, A.RENAME_OBJECT, A.RENAME_OTHER, A.SET_SCHEMA):
            if a is A.RENAME_OTHER and op.detail != "OBJECT_INDEX":  # ALTER INDEX renames a table too
                return
            new = op.new_name if a is not A.SET_SCHEMA else op.schema
            if not new:
                return
            src = self.resolve(table, txn)
            was = self.made.pop(src, None) if src is not None and self._live(src, txn) else None
            if src is None:
                self._forget(table, txn)
            if a is A.SET_SCHEMA:
                dst = (new, split_relation(table)[1])
            else:
                dst = (src[0] if src is not None else _DEFAULT, new)
                if src is None:  # renamed within a schema that cannot be told: the new name is old anywhere
                    self._drop_name(new)
            if was is not None:
                self.made[dst] = was
            else:
                self.made.pop(dst, None)

    def _forget(self, table: str, txn: int | None) -> None:
        where = self.resolve(table, txn)
        if where is None:
            self._drop_name(split_relation(table)[1])
        else:
            self.made.pop(where, None)

    def _drop_name(self, rel: str) -> None:
        self.made = {k: v for k, v in self.made.items() if k[1] != rel}


class Walk:
    """One migration's operations and the state at the operation being judged (`i`)."""

    __slots__ = ("ops", "ctx", "txns", "made", "state", "tracked", "i", "txn", "new", "known", "utc",
                 "timeout_set", "long_names", "relations", "not_valid", "ddl_in_txn", "data_in_txn", "unprotected",
                 "_creates", "_ahead", "_literals")

    def __init__(self, ops: Sequence[Op], ctx: Context, statements: int) -> None:
        self.ops = ops
        self.ctx = ctx
        self.txns: list[int | None] = transactions(ops, ctx.mode, statements, one_query=ctx.one_query)
        """Per operation, the transaction it runs in (None: autocommitted on its own)."""
        self.made = Objects()
        self.relations = Relations()
        """Which table a name surely means (for destroying operations)."""
        self.state: State = {t: ts.copy() for t, ts in ctx.tables.items()}
        self.tracked = asked(ops)
        """The tables some check asks the state of: the others need none kept."""
        self.i = 0
        self.txn: int | None = None
        self.new = False
        """The operation's table was created in this migration (no rows, no readers yet)."""
        self.known: TableState | None = None
        """What is known about the operation's table before it runs."""
        self.utc = False
        """The session's time zone is UTC (SET TIME ZONE 'UTC' earlier in the migration)."""
        self.timeout_set = False
        """A lock_timeout is set in the session."""
        self._creates: dict[tuple[str, str], list[int]] | None = None
        """(kind group, unqualified name) -> positions of the CREATEs of that name, built at the first
        `recreated` question (one pass: asking per drop by scanning ahead was quadratic)."""
        self._ahead: dict[tuple[object, ...], list[int]] | None = None
        """(scope, action, table, column) -> positions of the operations on that column, for
        `comes_later` (built once, at the first question)."""
        self._literals: dict[tuple[int, str], list[int]] | None = None
        """(transaction, string literal) -> positions of the operations whose text quotes it."""
        # per-migration bookkeeping that whole-migration checks keep as the walk goes
        self.long_names: set[str] = set()
        """Over-long names already reported (identifier-too-long)."""
        self.not_valid: dict[tuple[str, str], tuple[int | None, Op]] = {}
        """(table, constraint) added NOT VALID on an existing table -> (its transaction, the ADD)."""
        self.ddl_in_txn: dict[int, Op] = {}
        """Per transaction, the first statement that locks an existing table (mixed-data-and-schema)."""
        self.data_in_txn: dict[int, Op] = {}
        """Per transaction, the first data change after a schema change (mixed-data-and-schema)."""
        self.unprotected: tuple[Op, tuple[str, str]] | None = None
        """The first statement that takes a traffic-blocking lock on an existing relation while no
        lock_timeout is set (missing-lock-timeout)."""

    @property
    def in_txn(self) -> bool:
        return self.txn is not None

    def quoted_later(self, value: str) -> bool:
        """Whether a later operation in the same transaction quotes `value` as a string literal
        (`'value'` in its text). One index for the whole walk, built at the first question."""
        txn = self.txns[self.i]
        if txn is None:
            return False
        if self._literals is None:
            self._literals = {}
            for j, o in enumerate(self.ops):
                t = self.txns[j]
                if t is not None and "'" in o.evidence:
                    for m in _LITERAL_RE.finditer(o.evidence):
                        seen = self._literals.setdefault((t, m.group(1).replace("''", "'")), [])
                        if not seen or seen[-1] != j:
                            seen.append(j)
        at = self._literals.get((txn, value))
        return at is not None and bisect_right(at, self.i) < len(at)

    def comes_later(self, action: Action, op: Op, *, statement: bool = False) -> bool:
        """Whether a later operation does `action` to `op`'s column in the same transaction (or, with
        `statement`, in the same statement). One index for the whole walk: a scan ahead per
        operation was quadratic in the number of operations."""
        if self._ahead is None:
            self._ahead = {}
            for j, o in enumerate(self.ops):
                col = (o.action, unqualified(o.table), key(o.column))
                if self.txns[j] is not None:
                    self._ahead.setdefault(("txn", self.txns[j], *col), []).append(j)
                self._ahead.setdefault(("statement", o.line, o.col, *col), []).append(j)
        col = (action, unqualified(op.table), key(op.column))
        if statement:
            scope: tuple[object, ...] = ("statement", op.line, op.col, *col)
        elif self.txns[self.i] is None:
            return False
        else:
            scope = ("txn", self.txns[self.i], *col)
        at = self._ahead.get(scope)
        return at is not None and bisect_right(at, self.i) < len(at)

    def step(self, i: int) -> Op:
        """Move to operation `i`: the session settings it changes, and what its checks read."""
        op = self.ops[i]
        self.i, self.txn = i, self.txns[i]
        a = op.action
        if a is A.SET_TIMEZONE:
            self.utc = Flag.UTC in op.flags
        table = op.table
        if table:
            if a in DESTROYS:  # destroys nothing older only if the name surely means the table created here
                # (DML on a view created here changes no rows of its own: views.py adds the same
                # operation on the view's tables, judged as those tables are)
                self.new = self.relations.surely_new(table, self.txn) or (
                    a is not A.DROP_TABLE and table in self.made.views)
            else:  # lock and rewrite rules: a table of that name created here is read leniently
                self.new = self.made.new(table)
            self.known = self.state.get(short(table)) if self.state else None
        else:
            self.new, self.known = False, None
        return op

    def after(self, op: Op) -> None:
        """Change the state as `op` changes the database (after its checks)."""
        a = op.action
        self.relations.after(op, self.txn)
        if self.made.views and op.kind is K.VIEW and op.column and a in (A.DROP_OBJECT, A.RENAME_OBJECT):
            # a dropped or renamed view's name may mean the table it shadowed again
            self.made.views.difference_update(names(op.column))
        if a not in _CHANGES:
            return
        table = op.table
        made = self.made
        if a is A.SET_LOCK_TIMEOUT:
            self.timeout_set = Flag.OFF not in op.flags
        if a is A.CREATE_TABLE and table and not (maybe_created(op) and self._older(table)):
            # a table created only maybe (IF NOT EXISTS, in a DO block) is read leniently only when
            # no earlier migration of the directory left a table of that name: else it is that table
            full = table.lower()
            made.tables.add(full)
            made.tables.add(full.rsplit(".", 1)[-1])
        elif a is A.CREATE_INDEX and op.column:
            made.indexes.add(unqualified(op.column))
        if table and self.tracked and short(table) in self.tracked and not (
                a is A.CREATE_TABLE and maybe_created(op) and short(table) in self.state):
            apply(self.state, op)  # (a CREATE TABLE IF NOT EXISTS of a known table leaves it as it was)
        if a is A.ALTER_TYPE and table and not made.new(table):
            made.retype(op)
        if op.references or (a is A.RENAME_TABLE and made.referencing) or (
                a is A.CREATE_TABLE and _REFERENCES_RE.search(op.evidence)):
            made.refer(op)
        if a is A.CREATE_OBJECT and Flag.OR_REPLACE not in op.flags and not (
                maybe_created(op) and op.kind is K.SCHEMA):  # may be the existing one, with its tables
            made.add(made.objects, op.kind, op.column)
            if op.kind is K.VIEW and op.column and not maybe_created(op):
                made.views.update(names(op.column))
            if maybe_created(op):  # may be the existing extension (sequence...), with what uses it
                made.add(made.maybe_old_objects, op.kind, op.column)
        elif a is A.ALTER_OTHER and op.detail in _ADOPTS and op.column:
            self._adopt(op)
        elif a is A.DDL and op.kind is K.EXTENSION and op.detail.startswith("ADD") and not made.new(table):
            # an existing object made a member of an extension this migration created: DROP EXTENSION drops it
            made.objects.difference_update((group(K.EXTENSION), n) for n in names(op.column))
            made.add(made.holding, K.EXTENSION, op.column)
        elif a is A.RENAME_OBJECT and op.kind is not K.ENUM_VALUE:
            made.add(made.renamed, op.kind, str(op.new_name))
        elif a is A.SET_SCHEMA and op.schema and not (made.new(table) if table else made.created(op.kind, op.column)):
            # an existing object moved into a schema this migration made: that schema now holds data,
            # so dropping it (CASCADE) is no longer dropping something new
            made.objects.difference_update((group(K.SCHEMA), n) for n in names(op.schema))

    def _older(self, table: str) -> bool:
        """Whether a table of that name may exist from before this migration: earlier migrations of
        the directory left one that is still there (the state they left is asked for every table
        created only maybe; this migration's renames and drops move it on)."""
        return short(table) in self.state

    def _adopt(self, op: Op) -> None:
        """ATTACH PARTITION / INHERIT: when the child table existed before this migration, its rows
        are now reached through the parent (DROP TABLE parent CASCADE drops it, TRUNCATE and DELETE
        of the parent empty it), so a parent created here no longer counts as new."""
        parent, child = (op.table, op.column) if op.detail == "AT_AttachPartition" else (op.column, op.table)
        made = self.made
        if not parent or made.new(child):
            return
        full = key(parent)
        made.tables.difference_update((full, unqualified(full)))
        made.objects.difference_update((group(K.TABLE), n) for n in names(parent))

    def recreated(self, kind: ObjectKind | None, name: str | None) -> str | None:
        """Whether a later statement CREATEs an object of the same namespace and name as the current
        operation's: "same" (in the same transaction, so no other session ever sees it missing),
        "later", or None."""
        if not name:
            return None
        if self._creates is None:
            self._creates = {}
            for j, o in enumerate(self.ops):
                if o.action is A.CREATE_OBJECT:
                    # a CREATE of the same full name has the same unqualified name too
                    self._creates.setdefault((group(o.kind), names(o.column)[1]), []).append(j)
        i, txns = self.i, self.txns
        at = self._creates.get((group(kind), names(name)[1]))
        if not at:
            return None
        k = bisect_right(at, i)
        if k == len(at):
            return None
        j = at[k]
        return "same" if txns[i] is not None and txns[j] == txns[i] else "later"
