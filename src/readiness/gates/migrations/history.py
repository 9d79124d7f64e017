"""State across migrations: what the earlier migrations of a directory left on each table.

A migration is judged against what came before it: the column types earlier migrations gave
(`varchar(20)` -> `varchar(50)` is no rewrite), the columns they made NOT NULL or gave a default,
and the `CHECK (col IS NOT NULL)` constraints they added or validated (PostgreSQL 12+ skips the
SET NOT NULL scan when one is validated). `apply` is the one place that says how an operation
changes that state: the judge applies it statement by statement inside a migration, and `History`
replays it over the earlier migrations of the same directory.

Why over 500 lines: `apply` (how every operation changes a table's state) and `History` (that
state replayed over a directory's earlier migrations, for every format the gate reads) are one
contract; the name index the cross-migration questions use already lives in `nameindex.py`.

Linear in the repository: every file is parsed at most once per run (migrations judged in this
run give their operations; the others are parsed once, with a parse tree only for the table
statements that can matter), and the replay walks each directory once, forwards, taking a copy of
the state of the tables a migration asks about when it reaches that migration.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from readiness import lazyre
from readiness.gates.migrations import liquibase
from readiness.gates.migrations.discover import FLYWAY_UP, Candidate
from readiness.gates.migrations.lbdoc import STRUCTURED
from readiness.gates.migrations.mentions import may_mention
from readiness.gates.migrations.nameindex import BuiltBefore, NameIndex
from readiness.gates.migrations.ops import Action, ColumnType, ConstraintKind, Flag, Op
from readiness.gates.migrations.pgtree import ROUTINE_NAME, from_statement, routine_name
from readiness.gates.migrations.sql import Origin, parse, up_section
from readiness.workspace import FileProblem, Workspace, decode_text

A = Action
TRACKED = frozenset({A.CREATE_TABLE, A.ADD_COLUMN, A.ALTER_TYPE, A.DROP_COLUMN, A.RENAME_COLUMN, A.RENAME_TABLE,
                     A.DROP_TABLE, A.SET_NOT_NULL, A.DROP_NOT_NULL, A.SET_DEFAULT, A.DROP_DEFAULT, A.ADD_CONSTRAINT,
                     A.VALIDATE_CONSTRAINT, A.DROP_CONSTRAINT})
"""The operations that change a table's state (and so are kept as history)."""
ASKING = frozenset({A.ALTER_TYPE, A.SET_NOT_NULL, A.DROP_DEFAULT})
"""Operations judged against the state earlier migrations left: a migration with none needs no history."""


class Column(NamedTuple):
    """What is known about one column."""

    type: ColumnType | None
    """Its type, when a migration gave it."""
    not_null: bool
    """Known to be NOT NULL."""
    default: bool
    """Known to have a default."""


_UNKNOWN = Column(None, False, False)


class TableState:
    """What is known about one table (columns lower-case). Compact: a run may know 100,000s of tables."""

    __slots__ = ("cols", "checks")

    def __init__(self, cols: dict[str, Column] | None = None,
                 checks: dict[str, tuple[str, bool]] | None = None) -> None:
        self.cols: dict[str, Column] = cols if cols is not None else {}
        """Column -> what is known about it."""
        self.checks: dict[str, tuple[str, bool]] | None = checks
        """`CHECK (col IS NOT NULL)` constraints: name -> (column, validated); None when there are none."""

    def __reduce__(self) -> tuple[type[TableState], tuple[dict[str, Column], dict[str, tuple[str, bool]] | None]]:
        return TableState, (self.cols, self.checks)

    def copy(self) -> TableState:
        """An independent copy."""
        return TableState(dict(self.cols), dict(self.checks) if self.checks else None)

    def type_of(self, column: str) -> ColumnType | None:
        """The column's type, when known."""
        return self.cols.get(column, _UNKNOWN).type

    def not_null(self, column: str) -> bool:
        """The column is known to be NOT NULL."""
        return self.cols.get(column, _UNKNOWN).not_null

    def validated(self, column: str) -> bool:
        """A validated `CHECK (column IS NOT NULL)` exists."""
        return bool(self.checks) and any(col == column and ok for col, ok in (self.checks or {}).values())

    def set(self, column: str, **changes: Any) -> None:
        """Change what is known about a column (`type`, `not_null`, `default`)."""
        self.cols[column] = self.cols.get(column, _UNKNOWN)._replace(**changes)

    def add_check(self, name: str, column: str, validated: bool) -> None:
        if self.checks is None:
            self.checks = {}
        self.checks[name] = (column, validated)

    def drop_column(self, column: str) -> None:
        self.cols.pop(column, None)
        if self.checks:
            for name in [n for n, (col, _) in self.checks.items() if col == column]:
                del self.checks[name]

    def rename_column(self, old: str, new: str) -> None:
        if old in self.cols:
            self.cols[new] = self.cols.pop(old)
        if self.checks:
            for name, (col, ok) in list(self.checks.items()):
                if col == old:
                    self.checks[name] = (new, ok)


State = dict[str, TableState]
"""Unqualified lower-case table name -> its state."""


def short(name: str | None) -> str:
    """`public.Users` -> `users`: how tables are keyed."""
    return (name or "").lower().rsplit(".", 1)[-1]


def _col(name: str | None) -> str:
    return (name or "").lower()


_NOT_NULL = frozenset({Flag.NOT_NULL, Flag.PRIMARY_KEY})
_DEFAULTS = frozenset({Flag.HAS_DEFAULT, Flag.SERIAL, Flag.IDENTITY})


def maybe_created_table(op: Op) -> bool:
    """A CREATE TABLE that may create nothing (IF NOT EXISTS, or in a DO block or routine body): the
    walk asks whether earlier migrations left a table of that name, to judge the table as that one."""
    return op.action is A.CREATE_TABLE and (Flag.IF_NOT_EXISTS in op.flags or Flag.IN_DO in op.flags)


def apply(state: State, op: Op) -> None:
    """Change `state` as `op` changes the database."""
    a = op.action
    if a not in TRACKED or not op.table:
        return
    t = short(op.table)
    if a is A.CREATE_TABLE:
        if t in state and maybe_created_table(op):
            return  # the existing table stays as it was
        state[t] = TableState({_col(c.name): Column((c.type, c.mods), bool(_NOT_NULL & c.flags),
                                                    bool(_DEFAULTS & c.flags)) for c in op.columns})
        return
    if a is A.DROP_TABLE:
        state.pop(t, None)
        return
    if a is A.RENAME_TABLE:
        if op.new_name and t in state:
            state[short(op.new_name)] = state.pop(t)
        return
    ts = state.get(t)
    if ts is None:
        ts = state[t] = TableState()
    c = _col(op.column)
    if a is A.ADD_COLUMN and op.column:
        ts.cols[c] = Column((op.pg_type or op.detail, op.mods), bool(_NOT_NULL & op.flags), bool(_DEFAULTS & op.flags))
    elif a is A.ALTER_TYPE and op.column:
        ts.set(c, type=(op.pg_type or op.detail, op.mods))
    elif a is A.DROP_COLUMN and op.column:
        ts.drop_column(c)
    elif a is A.RENAME_COLUMN and op.column:
        ts.rename_column(c, _col(op.new_name))
    elif a in (A.SET_NOT_NULL, A.DROP_NOT_NULL) and op.column:
        ts.set(c, not_null=a is A.SET_NOT_NULL)
    elif a in (A.SET_DEFAULT, A.DROP_DEFAULT) and op.column:
        ts.set(c, default=a is A.SET_DEFAULT)
    elif a is A.ADD_CONSTRAINT:
        if op.constraint is ConstraintKind.PRIMARY:
            for x in op.keys:
                ts.set(_col(x), not_null=True)
        if op.check_not_null:
            ts.add_check((op.column or f"#{op.line}").lower(), _col(op.check_not_null), Flag.NOT_VALID not in op.flags)
    elif a is A.VALIDATE_CONSTRAINT and op.column and ts.checks:
        known = ts.checks.get(op.column.lower())
        if known is not None:
            ts.checks[op.column.lower()] = (known[0], True)
    elif a is A.DROP_CONSTRAINT and op.column and ts.checks:
        ts.checks.pop(op.column.lower(), None)


def _slim(op: Op) -> Op:
    """`op` with only what `apply` reads (no statement text or positions)."""
    return Op(action=op.action, table=op.table, column=op.column, detail=op.detail, constraint=op.constraint,
              new_name=op.new_name, flags=op.flags, keys=op.keys,
              columns=tuple(c._replace(at=None) for c in op.columns), pg_type=op.pg_type, mods=op.mods,
              check_not_null=op.check_not_null)


def asked(ops: Sequence[Op]) -> set[str]:
    """The tables whose earlier state `ops` (one migration) needs, under the names they have when
    the migration starts (its own table renames followed backwards)."""
    names = {short(o.table) for o in ops if o.table and (o.action in ASKING or maybe_created_table(o))}
    if names:
        for op in reversed(ops):
            if op.action is A.RENAME_TABLE and short(op.new_name) in names:
                names.add(short(op.table))
    return names


class History:
    """The earlier SQL migrations of each directory, replayed once per run."""

    def __init__(self, every: Sequence[Candidate]) -> None:
        self._every = every
        self._sequences: dict[str, list[Candidate]] | None = None
        self._position: dict[str, int] = {}
        """Path -> its place in its directory's sequence (a lookup per migration, not a scan)."""
        self._ops: dict[str, list[Op]] = {}
        """Path -> its table operations, for migrations judged in this run."""
        self._running: dict[str, tuple[int, State]] = {}
        """Per directory: how many of its migrations `state_before` has applied, and the state."""
        self._built_index: dict[str, NameIndex] = {}
        """Per directory: `built_from` of its files, scanned in order (column_objects)."""
        self._routine_index: dict[str, NameIndex] = {}
        """Per directory: the routines its files create (names only), scanned in order (earlier_routines)."""
        self._defined: dict[str, frozenset[str]] = {}
        """Path -> the routines its text creates (names only: earlier_routines)."""
        self._routines: dict[str, dict[str, str]] = {}
        """Path -> routine name -> its last CREATE statement (earlier_routines)."""

    def remember(self, path: str, ops: Iterable[Op]) -> None:
        """A migration judged in this run: its operations serve as history (never parsed again).
        Only what `apply` reads is kept, so a run holds every file's table operations cheaply."""
        if path not in self._ops:
            self._ops[path] = [_slim(op) for op in ops if op.action in TRACKED]

    def known(self, path: str) -> list[Op] | None:
        """What `remember` kept for `path` (a forked process sends it back)."""
        return self._ops.get(path)

    def sequence(self, cand: Candidate) -> list[Candidate]:
        """The SQL migrations of `cand`'s directory, in apply order."""
        if self._sequences is None:
            self._sequences = {}
            for c in sorted((c for c in self._every if c.format != "python" and c.format not in STRUCTURED),
                           key=order):
                seq = self._sequences.setdefault(root(c), [])
                self._position.setdefault(c.path, len(seq))
                seq.append(c)
        return self._sequences.get(root(cand), [])

    def step(self, ws: Workspace, cand: Candidate, ops: Sequence[Op]) -> State:
        """For a run that judges each directory's migrations in apply order: the state the earlier
        migrations leave on the tables `ops` (this migration's) ask about; then `ops` are applied.

        One state per directory is carried forward, so every migration is applied once and none is
        kept (a migration out of order starts its directory again). Migrations this run does not
        judge are read whole, once."""
        seq = self.sequence(cand)
        pos = self._position.get(cand.path)
        if pos is None or pos >= len(seq) or seq[pos].path != cand.path:
            return {}
        key = root(cand)
        done, state = self._running.get(key, (0, {}))
        if done > pos:
            done, state = 0, {}
        for c in seq[done:pos]:
            known = self._ops.get(c.path)
            for op in known if known is not None else _read_tables(ws, c.path, None):
                apply(state, op)
        before = {t: state[t].copy() for t in asked(ops) if t in state}
        for op in ops:
            apply(state, op)
        self._running[key] = (pos + 1, state)
        return before

    def states(self, ws: Workspace, pending: Sequence[tuple[Candidate, Sequence[Op]]]) -> dict[str, State]:
        """Per migration in `pending` (with its operations), the state its earlier migrations leave
        on the tables it asks about."""
        out: dict[str, State] = {}
        groups: dict[str, list[tuple[Candidate, set[str]]]] = {}
        for cand, ops in pending:
            groups.setdefault(root(cand), []).append((cand, asked(ops)))
        for group in groups.values():
            out.update(self._replay(ws, group))
        return out

    def column_objects(self, ws: Workspace, cand: Candidate, text: str) -> Container[str]:
        """What the generated columns and base types of `cand`'s directory are built from, up to and
        including `cand` (its `text`): the functions a `GENERATED ALWAYS AS (...)` expression calls
        and the names it quotes (a text search configuration), and a type's INPUT/OUTPUT/... functions.
        Dropping one of them with CASCADE drops those columns. Lower case, unqualified; each file
        read and scanned once per run, and each name's first file kept (`NameIndex`): a question costs
        the size of `text`, not the number of earlier migrations."""
        seq = self.sequence(cand)
        pos = self._position.get(cand.path)
        here = built_from(text)
        if pos is None:
            return here
        index = self._index(self._built_index, cand)
        index.scan_to(pos, lambda path: self._built_names(ws, path))
        return BuiltBefore(here, index.first, pos, len(seq))

    def _built_names(self, ws: Workspace, path: str) -> frozenset[str]:
        try:
            return built_from(decode_text(path, ws.read_bytes(path)))
        except FileProblem:
            return frozenset()

    def earlier_routines(self, ws: Workspace, cand: Candidate) -> Callable[[str], tuple[str, str] | None] | None:
        """The functions and procedures `cand`'s earlier migrations create, for a call of one of them
        in `cand` (its body runs there): name -> (the file, its last CREATE statement) or None; None
        when they create none. The earlier files are scanned for routine names (a regular
        expression), and only a file whose routine is asked for is split into statements; each file
        once per run, its names kept with their positions (`NameIndex`), so a migration's question costs
        what it asks, not the number of migrations before it."""
        seq = self.sequence(cand)
        pos = self._position.get(cand.path)
        if pos is None or pos >= len(seq) or seq[pos].path != cand.path:
            return None
        index = self._index(self._routine_index, cand)
        index.scan_to(pos, lambda path: self._routine_names(ws, path))
        if index.first_any is None or index.first_any >= pos:
            return None

        def look(name: str) -> tuple[str, str] | None:
            at = index.last_before(name, pos)
            if at is None:
                return None
            path = seq[at].path  # the last file before `cand` that (re)creates it
            text = self._routine_texts(ws, path).get(name)
            return (path, text) if text is not None else None

        return look

    def _index(self, indexes: dict[str, NameIndex], cand: Candidate) -> NameIndex:
        key = root(cand)
        index = indexes.get(key)
        if index is None:
            index = indexes[key] = NameIndex(self.sequence(cand))
        return index

    def _text(self, ws: Workspace, path: str) -> str:
        try:
            return decode_text(path, ws.read_bytes(path))
        except FileProblem:
            return ""

    def _routine_names(self, ws: Workspace, path: str) -> frozenset[str]:
        known = self._defined.get(path)
        if known is None:
            text = self._text(ws, path)
            known = frozenset(m.group(1) if m.group(1) is not None else m.group(2).lower()
                              for m in ROUTINE_NAME.finditer(text)) if "(" in text else frozenset()
            self._defined[path] = known
        return known

    def _routine_texts(self, ws: Workspace, path: str) -> dict[str, str]:
        known = self._routines.get(path)
        if known is None:
            known = {}
            for st in parse(up_section(self._text(ws, path))[0], trees=False)[0]:
                name = routine_name(st.text)
                if name is not None:
                    known[name] = st.text
            self._routines[path] = known
        return known

    def _replay(self, ws: Workspace, group: list[tuple[Candidate, set[str]]]) -> dict[str, State]:
        seq = self.sequence(group[0][0])
        at = {c.path: i for i, c in enumerate(seq)}
        wanted: dict[int, list[tuple[str, set[str]]]] = {}
        names: set[str] = set()
        for cand, tables in group:
            wanted.setdefault(at.get(cand.path, len(seq)), []).append((cand.path, tables))
            names |= tables
        last = max(wanted)
        found: list[list[Op]] = [[] for _ in range(last)]
        # backwards, so that a table renamed later is asked about under its old name before that
        for i in range(last - 1, -1, -1):
            ops = self._ops.get(seq[i].path)
            if ops is None:
                ops = _read_tables(ws, seq[i].path, names)
            found[i] = ops
            for op in reversed(ops):
                if op.action is A.RENAME_TABLE and short(op.new_name) in names:
                    names.add(short(op.table))
        state: State = {}
        out: dict[str, State] = {}
        for i in range(last + 1):
            for path, tables in wanted.get(i, ()):
                out[path] = {t: state[t].copy() for t in tables if t in state}
            if i < last:
                for op in found[i]:
                    apply(state, op)
        return out


_NAME = r'(?P<name>(?:"(?:[^"]|"")+"|[^\s."(;]+)(?:\s*\.\s*(?:"(?:[^"]|"")+"|[^\s."(;]+))*)'
DEFINES = lazyre.compile(r"(?:CREATE\s+(?:(?:GLOBAL|LOCAL)\s+)?(?:UNLOGGED\s+|TEMP\w*\s+)?TABLE"
                         r"(?:\s+IF\s+NOT\s+EXISTS)?|ALTER\s+TABLE(?:\s+IF\s+EXISTS)?(?:\s+ONLY)?)\s+" + _NAME,
                         re.IGNORECASE)
"""Statements that can change a table's state (or rename it), and the table they name."""
RENAME_TO = lazyre.compile(r"\bRENAME\s+TO\s+" + _NAME, re.IGNORECASE)
_RENAME_PAIR = lazyre.compile(r"ALTER\s+TABLE(?:\s+IF\s+EXISTS)?(?:\s+ONLY)?\s+" + _NAME.replace("name", "old")
                              + r"\s+RENAME\s+TO\s+" + _NAME.replace("name", "new"), re.IGNORECASE)


_GENERATED = lazyre.compile(r"\bGENERATED\s+ALWAYS\s+AS\s*\(", re.IGNORECASE)
_TYPE_IO_KEYS = "INPUT|OUTPUT|RECEIVE|SEND|TYPMOD_IN|TYPMOD_OUT|ANALYZE|SUBSCRIPT|CANONICAL|SUBTYPE_DIFF"
_TYPE_IO_TAIL = r"\s*=\s*(?:(?:\w+|\"[^\"]*\")\s*\.\s*)?(?:\"([^\"]+)\"|(\w+))"
_TYPE_IO = lazyre.compile(rf"\b(?:{_TYPE_IO_KEYS}){_TYPE_IO_TAIL}", re.IGNORECASE)
_TYPE_IO_LOWER = lazyre.compile(rf"\b(?:{_TYPE_IO_KEYS.lower()}){_TYPE_IO_TAIL}")
"""`_TYPE_IO` for lowered ASCII text: the same matches at the same places (the keywords are its only
letters), 2x faster than IGNORECASE."""
_BUILT_PART = lazyre.compile(r'(?:\"([^\"]+)\"|(\w+))\s*\(|\'([^\']*)\'')
_MAX_EXPR = 4000
"""How much of a generated column's expression is read (an expression is rarely a line long)."""


def built_from(text: str) -> frozenset[str]:
    """The names `text`'s generated columns and base types are built from (History.column_objects):
    lower case, unqualified. Linear: each expression is read up to its closing parenthesis, at most
    _MAX_EXPR characters."""
    out: set[str] = set()
    for m in _GENERATED.finditer(text) if may_mention(text, ("generated",)) else ():
        depth, end, limit = 1, m.end(), min(len(text), m.end() + _MAX_EXPR)
        while end < limit and depth:
            ch = text[end]
            depth += (ch == "(") - (ch == ")")
            end += 1
        for part in _BUILT_PART.finditer(text, m.end(), end):
            out.add(part.group(1) if part.group(1) is not None else (part.group(2) or part.group(3) or "").lower())
    if not text.isascii():
        for m in _TYPE_IO.finditer(text):
            out.add(m.group(1) if m.group(1) is not None else m.group(2).lower())
    elif "=" in text:
        for m in _TYPE_IO_LOWER.finditer(text.lower()):
            out.add(text[m.start(1):m.end(1)] if m.group(1) is not None else m.group(2))
    out.discard("")
    return frozenset(out)


def unquote(name: str) -> str:
    """The unqualified table name, lower-case as the history keys it: `public."Users"` -> `users`."""
    quoted, cut = False, 0
    for i, ch in enumerate(name):  # the last dot outside quotes (one pass: names come from the PR)
        if ch == '"':
            quoted = not quoted
        elif ch == "." and not quoted:
            cut = i + 1
    last = name[cut:].strip()
    return (last[1:-1].replace('""', '"') if last.startswith('"') else last).lower()


def _read_tables(ws: Workspace, path: str, names: set[str] | None) -> list[Op]:
    """The table operations of a migration this run does not judge, on `names` (and its table
    renames that name one of them; `names` may grow as the caller walks backwards, so any rename
    is kept), or on every table (`names` None). Not through read_text, so that it does not count
    as read for inline waivers."""
    try:
        text = decode_text(path, ws.read_bytes(path))
    except FileProblem:
        return []
    if path.endswith(".fizz"):  # pop's fizz: the statements it sends
        from readiness.gates.migrations.fizz import pop_sql

        text = pop_sql(text).sql
    if names is None:
        return [_slim(op) for op in _history_ops(text, lambda body: DEFINES.match(body) is not None)
                if op.action in TRACKED]

    # the file's own renames, followed backwards: a table it renames into `names` is asked about
    # under its old name in the statements before the rename
    pairs = [(unquote(m.group("old")), unquote(m.group("new"))) for m in _RENAME_PAIR.finditer(text)]
    here = set(names)
    for old, new in reversed(pairs):
        if new in here:
            here.add(old)
    if not pairs and not any(unquote(m.group("name")) in here for m in DEFINES.finditer(text)):
        return []  # it names none of the tables (a name in a comment or string only costs a parse)

    def wanted(body: str) -> bool:
        m = DEFINES.match(body)
        if m is None:
            return False
        return unquote(m.group("name")) in here or RENAME_TO.search(body, m.end()) is not None

    return [_slim(op) for op in _history_ops(text, wanted) if op.action in TRACKED]


def _history_ops(text: str, wanted: Callable[[str], bool]) -> list[Op]:
    """The up operations of an earlier migration, from the statements `wanted` accepts only (the
    others are neither decoded nor turned into operations)."""
    if liquibase.is_changelog(text):
        parts = [(cs.sql, cs.sql_line) for cs in liquibase.changesets(text) if cs.for_postgres]
    else:
        parts = [up_section(text)]
    return [op for part, line in parts for st in parse(part, Origin(line=line), trees=wanted)[0]
            if st.node is not None for op in from_statement(st)]


def root(cand: Candidate) -> str:
    """The directory that holds a migration sequence (diesel and Prisma keep one directory per migration)."""
    d = cand.path.rsplit("/", 1)[0] if "/" in cand.path else ""
    return d.rsplit("/", 1)[0] if cand.format in ("diesel", "prisma") and "/" in d else d


_LEADING_NUMBER = re.compile(r"(\d{1,30})(?=[_.-])")


def order(cand: Candidate) -> tuple[tuple[int, ...], str]:
    """Apply order: Flyway by version number (V2 before V10); a file named by a leading number
    (golang-migrate, goose: `2_x.up.sql` before `10_y.up.sql`, as those tools parse the version) by
    that number; every other layout by path."""
    name = cand.path.rsplit("/", 1)[-1]
    m = FLYWAY_UP.match(name) if cand.format == "flyway" else None
    if m is None:
        lead = _LEADING_NUMBER.match(name)
        return ((int(lead.group(1)),) if lead else ()), cand.path
    return tuple(int(p) for p in re.findall(r"\d+", m.group("ver"))), cand.path


def tables_state(state: Mapping[str, TableState]) -> State:
    """An independent copy of `state` (the judge changes its own)."""
    return {t: ts.copy() for t, ts in state.items()}
