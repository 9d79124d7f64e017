"""The operations a migration performs, in one typed vocabulary for SQL, Alembic and Django.

pgtree.py turns SQL parse trees (libpg_query JSON) into `Op`s; alembic.py and django.py build the
same `Op`s from `op.*` / `migrations.*` calls. The checks (checks/) judge `Op`s, never raw syntax.
Every categorical field is an enum, so a misspelt action, flag or kind fails the type check
instead of silently never matching.
"""

from __future__ import annotations

import enum
import operator
from collections.abc import Callable
from dataclasses import MISSING, dataclass
from typing import Any, NamedTuple


class Action(enum.StrEnum):
    """What an operation does (the values are stable: history and tests name them)."""

    ADD_COLUMN = "add_column"
    DROP_COLUMN = "drop_column"
    ALTER_TYPE = "alter_type"
    SET_NOT_NULL = "set_not_null"
    DROP_NOT_NULL = "drop_not_null"
    SET_DEFAULT = "set_default"
    DROP_DEFAULT = "drop_default"
    ADD_CONSTRAINT = "add_constraint"
    DROP_CONSTRAINT = "drop_constraint"
    VALIDATE_CONSTRAINT = "validate_constraint"
    ALTER_OTHER = "alter_other"
    """Any other ALTER TABLE subcommand: `detail` holds libpg_query's AT_* name."""
    CREATE_TABLE = "create_table"
    CREATE_INDEX = "create_index"
    DROP_INDEX = "drop_index"
    RENAME_COLUMN = "rename_column"
    RENAME_TABLE = "rename_table"
    RENAME_OBJECT = "rename_object"
    RENAME_OTHER = "rename_other"
    """A rename of something code does not refer to by name (index, constraint, trigger...)."""
    SET_SCHEMA = "set_schema"
    DROP_TABLE = "drop_table"
    DROP_OBJECT = "drop_object"
    CREATE_OBJECT = "create_object"
    CREATE_TRIGGER = "create_trigger"
    TRUNCATE = "truncate"
    REWRITE = "rewrite"
    """A statement that rewrites a table: `detail` says which (VACUUM FULL, CLUSTER, SET TABLESPACE...)."""
    VACUUM = "vacuum"
    REINDEX = "reindex"
    REFRESH_MATVIEW = "refresh_matview"
    DETACH_PARTITION = "detach_partition"
    ADD_ENUM_VALUE = "add_enum_value"
    ALTER_DOMAIN = "alter_domain"
    UPDATE = "update"
    DELETE = "delete"
    INSERT = "insert"
    INSERT_SELECT = "insert_select"
    LOCK_TABLE = "lock_table"
    SET_LOCK_TIMEOUT = "set_lock_timeout"
    SET_TIMEZONE = "set_timezone"
    BEGIN = "begin"
    COMMIT = "commit"
    DO = "do"
    DYNAMIC_SQL = "dynamic_sql"
    """SQL built at run time that could not be read: `detail` says what."""
    RUN_PYTHON = "run_python"
    DDL = "ddl"
    """Other schema DDL no check judges."""
    OTHER = "other"


class Flag(enum.StrEnum):
    """A property of an operation or of a column it defines."""

    CONCURRENTLY = "concurrently"
    NOT_VALID = "not_valid"
    USING_INDEX = "using_index"
    UNIQUE = "unique"
    NOT_NULL = "not_null"
    HAS_DEFAULT = "has_default"
    VOLATILE_DEFAULT = "volatile_default"
    SERIAL = "serial"
    IDENTITY = "identity"
    GENERATED_STORED = "generated_stored"
    PRIMARY_KEY = "primary_key"
    REFERENCES = "references"
    CHECK = "check"
    WHERE = "where"
    CASCADE = "cascade"
    IF_EXISTS = "if_exists"
    OR_REPLACE = "or_replace"
    IF_NOT_EXISTS = "if_not_exists"
    """CREATE ... IF NOT EXISTS: it may create nothing (the object is already there)."""
    NO_DATA = "no_data"
    USING = "using"
    """ALTER COLUMN TYPE with a USING expression other than the column itself."""
    NO_TXN = "no_txn"
    """PostgreSQL refuses it inside a transaction block."""
    IN_DO = "in_do"
    """Run inside a DO block (a function: CONCURRENTLY is refused there)."""
    ROLLBACK = "rollback"
    """A COMMIT op that is a ROLLBACK."""
    CHAIN = "chain"
    """A BEGIN op opened by COMMIT AND CHAIN."""
    DERIVED_NAME = "derived_name"
    """The reader derived the name (Django's `<app>_<model>`): not as written, not judged for length."""
    NEW_COLUMN = "new_column"
    """A constraint on a column added by the same operation (Django)."""
    UTC = "utc"
    """set_timezone: to UTC."""
    OFF = "off"
    """set_lock_timeout: back to none (0, DEFAULT, RESET)."""
    SERVER_SIDE = "server_side"
    """dynamic_sql: not SQL at all but a program or a file on the database server (COPY ... PROGRAM,
    COPY ... TO '<file>')."""
    INSTEAD = "instead"
    """create_object of a rule: DO INSTEAD (it replaces the statements it fires on)."""
    TEMP = "temp"
    """create_table: a TEMPORARY table (in the session's pg_temp schema, searched before any other)."""
    ON_COMMIT_DROP = "on_commit_drop"
    """create_table: a temporary table dropped when its transaction ends (ON COMMIT DROP)."""
    LEXING = "lexing"
    """dynamic_sql: PostgreSQL may lex the statement differently from the gate (a string whose end
    depends on standard_conforming_strings, or a statement turning that setting off)."""
    ON_DELETE = "on_delete"
    """add_column/add_constraint: a foreign key whose ON DELETE changes the referencing rows
    (CASCADE deletes them, SET NULL / SET DEFAULT overwrite the key)."""
    MISLEXED = "mislexed"
    """dynamic_sql: a setting after which the server splits the file's text otherwise than the
    gate's parser does (a client encoding whose characters can hold a quote or backslash byte)."""


class ObjectKind(enum.StrEnum):
    """The kind of a named object, as messages spell it (libpg_query's ObjectType without `OBJECT_`)."""

    ACCESS_METHOD = "access method"
    AGGREGATE = "aggregate"
    AMOP = "amop"
    AMPROC = "amproc"
    ATTRIBUTE = "attribute"
    CAST = "cast"
    COLUMN = "column"
    COLLATION = "collation"
    CONVERSION = "conversion"
    DATABASE = "database"
    DEFAULT = "default"
    DEFACL = "defacl"
    DOMAIN = "domain"
    DOMCONSTRAINT = "domconstraint"
    EVENT_TRIGGER = "event trigger"
    EXTENSION = "extension"
    FDW = "fdw"
    FOREIGN_SERVER = "foreign server"
    FOREIGN_TABLE = "foreign table"
    FUNCTION = "function"
    INDEX = "index"
    LANGUAGE = "language"
    LARGEOBJECT = "largeobject"
    MATVIEW = "materialized view"
    OPCLASS = "opclass"
    OPERATOR = "operator"
    OPFAMILY = "opfamily"
    PARAMETER_ACL = "parameter acl"
    POLICY = "policy"
    PROCEDURE = "procedure"
    PUBLICATION = "publication"
    PUBLICATION_NAMESPACE = "publication namespace"
    PUBLICATION_REL = "publication rel"
    ROLE = "role"
    ROUTINE = "routine"
    RULE = "rule"
    SCHEMA = "schema"
    SEQUENCE = "sequence"
    SUBSCRIPTION = "subscription"
    STATISTIC_EXT = "statistic ext"
    TABCONSTRAINT = "tabconstraint"
    TABLE = "table"
    TABLESPACE = "tablespace"
    TRANSFORM = "transform"
    TRIGGER = "trigger"
    TSCONFIGURATION = "tsconfiguration"
    TSDICTIONARY = "tsdictionary"
    TSPARSER = "tsparser"
    TSTEMPLATE = "tstemplate"
    TYPE = "type"
    USER_MAPPING = "user mapping"
    VIEW = "view"
    ENUM_VALUE = "enum value"
    """A value of an enum type (ALTER TYPE ... RENAME VALUE)."""
    SYSTEM = "system"
    """REINDEX SYSTEM: the system catalogs."""


class ConstraintKind(enum.StrEnum):
    """A constraint's kind (libpg_query's ConstrType without `CONSTR_`, lower case)."""

    NULL = "null"
    NOTNULL = "notnull"
    DEFAULT = "default"
    IDENTITY = "identity"
    GENERATED = "generated"
    CHECK = "check"
    PRIMARY = "primary"
    UNIQUE = "unique"
    EXCLUSION = "exclusion"
    FOREIGN = "foreign"
    ATTR_DEFERRABLE = "attr_deferrable"
    ATTR_NOT_DEFERRABLE = "attr_not_deferrable"
    ATTR_DEFERRED = "attr_deferred"
    ATTR_IMMEDIATE = "attr_immediate"
    ATTR_ENFORCED = "attr_enforced"
    ATTR_NOT_ENFORCED = "attr_not_enforced"


class LockMode(enum.StrEnum):
    """A table lock mode, as written in SQL (LOCK TABLE's modes, weakest first).

    The same names as readiness.replay.model.LockMode, kept apart on purpose: importing the replay
    package costs 15-50 ms (its runner and observers), which every `readiness check` would pay."""

    ACCESS_SHARE = "ACCESS SHARE"
    ROW_SHARE = "ROW SHARE"
    ROW_EXCLUSIVE = "ROW EXCLUSIVE"
    SHARE_UPDATE_EXCLUSIVE = "SHARE UPDATE EXCLUSIVE"
    SHARE = "SHARE"
    SHARE_ROW_EXCLUSIVE = "SHARE ROW EXCLUSIVE"
    EXCLUSIVE = "EXCLUSIVE"
    ACCESS_EXCLUSIVE = "ACCESS EXCLUSIVE"

    @property
    def blocks_writes(self) -> bool:
        """Blocks INSERT/UPDATE/DELETE (the weaker modes conflict only with DDL)."""
        return self in _WRITE_BLOCKING


_WRITE_BLOCKING = frozenset({LockMode.SHARE, LockMode.SHARE_ROW_EXCLUSIVE, LockMode.EXCLUSIVE,
                             LockMode.ACCESS_EXCLUSIVE})

ColumnType = tuple[str, tuple[int, ...]]
"""A column's type name as the parser gives it (`varchar`, `numeric`, `int4`) and its modifiers."""


class ColumnDef(NamedTuple):
    """A column a CREATE TABLE defines."""

    name: str
    type: str
    """As `pgtree.type_name` spells it (the PostgreSQL type for Python readers that know it)."""
    flags: frozenset[Flag]
    mods: tuple[int, ...] = ()
    """The type's integer modifiers (`varchar(20)` -> (20,))."""
    at: tuple[int, int] | None = None
    """(line, column) of its definition, when the reader knows it."""


Flags = frozenset[Flag]
NO_FLAGS: Flags = frozenset()


@dataclass(frozen=True, slots=True, kw_only=True)
class Op:
    """One operation: what it does, to which table/column, and where it is written."""

    action: Action
    table: str | None = None
    """Schema-qualified as written (`public.users` or `users`)."""
    column: str | None = None
    """Column, index, constraint or object name when the action has one."""
    detail: str = ""
    """Text as written, for messages: the column type (add_column: the field or type class for
    Python readers, see `pg_type`; alter_type: the new type), the enum value (add_enum_value), the
    subcommand (rewrite, vacuum, alter_domain, alter_other), what could not be read (dynamic_sql)."""
    kind: ObjectKind | None = None
    """The object's kind: create/drop/rename_object, set_schema, reindex."""
    constraint: ConstraintKind | None = None
    """add_constraint: the constraint's kind."""
    lock: LockMode | None = None
    """lock_table: the mode."""
    new_name: str | None = None
    """rename_column, rename_table, rename_object: the new name."""
    flags: Flags = NO_FLAGS
    line: int = 1
    """1-based line in the migration file."""
    col: int = 1
    """1-based column."""
    end_line: int | None = None
    """Last line of the statement."""
    evidence: str = ""
    """Normalized statement text (fingerprint)."""
    autocommit: bool = False
    """True when the tool runs this outside any transaction (alembic autocommit_block)."""
    unit: int = 0
    """The part of the file the tool runs as one transaction when the file is several (a Liquibase
    changeset); 0 for a file that is one."""
    references: str | None = None
    """The referenced table of a foreign key (add_column, add_constraint)."""
    keys: tuple[str, ...] = ()
    """add_constraint: the key's columns."""
    columns: tuple[ColumnDef, ...] = ()
    """create_table: its columns."""
    names: tuple[str, ...] = ()
    """Constraint names it declares (create_table; alter_domain's added constraint)."""
    pg_type: str | None = None
    """add_column/alter_type from Python: the column's PostgreSQL type when the reader knows it."""
    mods: tuple[int, ...] = ()
    """add_column/alter_type: the type's integer modifiers."""
    old_type: ColumnType | None = None
    """alter_type: the column's type before, when the reader knows it (Django's AlterField)."""
    check_not_null: str | None = None
    """add_constraint: for `CHECK (col IS NOT NULL)`, the column."""
    schema: str | None = None
    """set_schema: the new schema."""
    implicit: str | None = None
    """The tool that runs this operation without the migration writing it (`Django`)."""
    retired_by: str | None = None
    """drop_table/drop_column: the earlier migration whose state-only operation made the ORM forget
    what this drops (the database kept it): the contract step of an expand/contract change."""
    after_deploy: bool = False
    """drop_table/drop_column in a migration declared to run after the deploy (django-safemigrate)."""

    def narrowed(self, column: str, detail: str, at: tuple[int, int] | None = None) -> Op:
        """This operation about one column (or name) it creates, at that column's (line, column)
        when known: what a finding about that column points at."""
        new = self._copy()
        _set(new, "column", column)
        _set(new, "detail", detail)
        if at is not None:
            _set(new, "line", at[0])
            _set(new, "col", at[1])
            _set(new, "end_line", at[0])
        return new

    def moved(self, *, line: int, col: int, end_line: int | None, autocommit: bool, flags: Flags | None = None) -> Op:
        """This operation run from elsewhere: at another place (SQL folded from a Python call, a
        statement of a DO block), in or out of a transaction, with other flags."""
        new = self._copy()
        _set(new, "line", line)
        _set(new, "col", col)
        _set(new, "end_line", end_line)
        _set(new, "autocommit", autocommit)
        _set(new, "unit", 0)
        if flags is not None:
            _set(new, "flags", flags)
        return new

    def __reduce__(self) -> tuple[Callable[[tuple[Any, ...]], Op], tuple[tuple[Any, ...]]]:
        """Pickled as plain values (forked workers send operations back): enum members as their
        strings, looked up again on load, because unpickling an enum member calls the enum class."""
        v = list(_GET(self))
        v[_I_ACTION] = self.action.value
        v[_I_FLAGS] = tuple(f.value for f in self.flags)
        for i in _I_ENUMS:
            if v[i] is not None:
                v[i] = v[i].value
        if self.columns:
            v[_I_COLUMNS] = tuple((c.name, c.type, tuple(f.value for f in c.flags), c.mods, c.at) for c in self.columns)
        return _rebuild, (tuple(v),)

    def _copy(self) -> Op:
        """A field-by-field copy: `dataclasses.replace` costs ~10x more on 25 fields, and findings
        about columns copy an operation per column."""
        new = object.__new__(Op)
        for put, value in zip(_SETTERS, _GET(self), strict=True):
            put(new, value)
        return new

    def shown(self) -> str:
        """The operation's argument in one string (fingerprints: it stays what it has always been)."""
        a = self.action
        if a in _RENAMES:
            return self.new_name or ""
        if self.kind is not None:
            return self.kind.value
        if self.constraint is not None:
            return self.constraint.value
        if self.lock is not None:
            return self.lock.value
        return self.detail


_RENAMES = frozenset({Action.RENAME_COLUMN, Action.RENAME_TABLE})
_FIELDS = tuple(Op.__dataclass_fields__)
_set = object.__setattr__
_GET = operator.attrgetter(*_FIELDS)
_SETTERS = tuple(getattr(Op, name).__set__ for name in _FIELDS)
"""Each field's slot setter: what a frozen instance is filled through without `object.__setattr__`."""


def _fast_init(cls: type) -> None:
    """Give the frozen slotted dataclass `cls` an `__init__` that fills each slot through its
    descriptor's setter, bound once, instead of the generated `object.__setattr__(self, name, v)`
    per field: the same keyword-only signature and defaults, half the time on Op's 27 fields (a
    migration run builds an operation per statement, and copies)."""
    fields = cls.__dataclass_fields__  # type: ignore[attr-defined]
    names = tuple(fields)
    scope: dict[str, Any] = {}
    params = []
    for name in names:
        f = fields[name]
        assert f.default_factory is MISSING, f"{cls.__name__}.{name}: default_factory is not supported here"
        if f.default is MISSING:
            params.append(name)
        else:
            scope[f"_d_{name}"] = f.default
            params.append(f"{name}=_d_{name}")
        scope[f"_s_{name}"] = getattr(cls, name).__set__
    body = "".join(f"    _s_{name}(self, {name})\n" for name in names)
    exec(f"def __init__(self, *, {', '.join(params)}):\n{body}", scope)  # noqa: S102 - our own field names
    init = scope["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    type.__setattr__(cls, "__init__", init)


_fast_init(Op)
_I_ACTION, _I_FLAGS, _I_COLUMNS = _FIELDS.index("action"), _FIELDS.index("flags"), _FIELDS.index("columns")
_I_ENUMS = (_FIELDS.index("kind"), _FIELDS.index("constraint"), _FIELDS.index("lock"))
_ENUM_OF = {_FIELDS.index("kind"): ObjectKind, _FIELDS.index("constraint"): ConstraintKind,
            _FIELDS.index("lock"): LockMode}
_FLAG: dict[str, Flag] = {f.value: f for f in Flag}
_ACTION: dict[str, Action] = {a.value: a for a in Action}


def _flags(values: tuple[str, ...]) -> Flags:
    return frozenset([_FLAG[f] for f in values]) if values else NO_FLAGS


def _rebuild(v: tuple[Any, ...]) -> Op:
    """An `Op` from what `Op.__reduce__` pickled."""
    new = object.__new__(Op)
    for put, value in zip(_SETTERS, v, strict=True):
        put(new, value)
    _set(new, "action", _ACTION[v[_I_ACTION]])
    _set(new, "flags", _flags(v[_I_FLAGS]))
    for i, enum_type in _ENUM_OF.items():
        if v[i] is not None:
            _set(new, _FIELDS[i], enum_type._value2member_map_[v[i]])
    if v[_I_COLUMNS]:
        _set(new, "columns", tuple(ColumnDef(n, t, _flags(f), m, at) for n, t, f, m, at in v[_I_COLUMNS]))
    return new


def relation_name(schema: str | None, name: str) -> str:
    """A relation's name as operations spell it: `schema.name` with each part exactly as PostgreSQL
    stores it (unquoted SQL folded to lower case, quoted kept); a part that holds a dot or a double
    quote is written quoted, so the table `"public.users"` is never read as `public.users`."""
    def part(p: str) -> str:
        return '"' + p.replace('"', '""') + '"' if "." in p or '"' in p else p

    return f"{part(schema)}.{part(name)}" if schema else part(name)


def split_relation(name: str) -> tuple[str | None, str]:
    """`relation_name` read back: (schema or None, name), parts exact."""
    if '"' not in name:
        schema, _, rel = name.rpartition(".")
        return schema or None, rel
    parts: list[str] = []
    i, n = 0, len(name)
    while i <= n:
        if i < n and name[i] == '"':
            j, buf = i + 1, []
            while j < n:
                if name[j] == '"':
                    if j + 1 < n and name[j + 1] == '"':
                        buf.append('"')
                        j += 2
                        continue
                    break
                buf.append(name[j])
                j += 1
            parts.append("".join(buf))
            i = j + 1
        else:
            j = name.find(".", i)
            j = n if j < 0 else j
            parts.append(name[i:j])
            i = j
        if i < n and name[i] == ".":
            i += 1
        else:
            break
    return (".".join(parts[:-1]) or None, parts[-1]) if parts else (None, name)
