"""Liquibase XML, YAML and JSON changelogs (`databaseChangeLog` at the root), read into the same
changesets as formatted SQL (liquibase.py), so one reader judges both.

Liquibase turns each change (`<dropTable tableName="users"/>`, `- addColumn: ...`) into SQL when it
runs; the gate does the same for the change types below, writing the PostgreSQL statement Liquibase
sends, so each is judged as that statement would be (with the lock it takes and its safe
alternative). The statements are laid out on the lines of the elements (XML) or keys (YAML, JSON)
they come from, so a finding points at the change. `sql` and `sqlFile` are judged as the SQL they
hold; a change type the gate does not read (`customChange`, `executeCommand`, ...) is reported as
unread SQL (`migrations/dynamic-sql`, critical when the PR adds it): it may drop a table.

Parsing is bounded and hostile-input safe: XML through expat with any DOCTYPE refused (so no
entity, internal or external, is ever declared or expanded: the defusedxml rule, without the
dependency), YAML and JSON through the project's safe loader (`yamlpos`: alias budget, depth
limit, positions); nesting and the number of elements are capped.

Why over 500 lines: it is one table, from Liquibase change types to the PostgreSQL statements they
send, beside the three syntaxes' reading into one tree; split apart, each half is read only with the other.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from readiness import lazyre
from readiness.gates.migrations.encoding import file_encoding_safe
from readiness.gates.migrations.lbprops import several_values
from readiness.gates.migrations.liquibase import Changeset, _runs_on_postgres, skips, surely_postgres

MAX_DEPTH = 64
"""Elements nested deeper than this are refused (a changelog is a handful of levels deep)."""
MAX_NODES = 200_000
"""Elements (or mappings) read from one changelog, at most."""
SNIFF_BYTES = 4096
"""How much of a file's head is read to tell whether its root is `databaseChangeLog`."""
STRUCTURED = frozenset({"liquibase-xml", "liquibase-yaml", "liquibase-json"})
"""Candidate formats of the changelogs read here."""

_ROOT_XML = lazyre.compile(r"<(?:[A-Za-z_][\w.-]*:)?databaseChangeLog[\s>/]")
_ROOT_YAML = lazyre.compile(r"^databaseChangeLog[ \t]*:", re.MULTILINE)
_ROOT_JSON = lazyre.compile(r"\A\s*\{\s*\"databaseChangeLog\"\s*:")
_SUFFIXES = {".xml": "liquibase-xml", ".yaml": "liquibase-yaml", ".yml": "liquibase-yaml", ".json": "liquibase-json"}


def changelog_format(path: str, head: str) -> str | None:
    """The candidate format of a file whose root is `databaseChangeLog` (its head is enough), else None."""
    fmt = _SUFFIXES.get(posixpath.splitext(path)[1].lower())
    if fmt == "liquibase-xml":
        return fmt if _ROOT_XML.search(head) else None
    if fmt == "liquibase-yaml":
        return fmt if _ROOT_YAML.search(head) else None
    if fmt == "liquibase-json":
        return fmt if _ROOT_JSON.search(head) else None
    return None


def maybe_changelog(path: str) -> bool:
    """A name a structured changelog may have (worth sniffing)."""
    return posixpath.splitext(path)[1].lower() in _SUFFIXES


# -- one tree for the three syntaxes ----------------------------------------------------------
@dataclass(slots=True)
class Node:
    """An element (XML) or a one-key mapping (YAML, JSON): its kind, scalar attributes, children."""

    kind: str
    line: int
    attrs: dict[str, str] = field(default_factory=dict)
    kids: list[Node] = field(default_factory=list)
    text: str = ""
    """XML character data (the SQL of `<sql>`, `<where>`, `<rollback>`); YAML's `sql:`/`where:` are attrs."""
    text_line: int = 0
    empty: bool = False
    """Written with no content at all (`<rollback/>`, `rollback:` with nothing)."""


class ChangelogError(Exception):
    """The changelog cannot be read: `line`/`column` are 1-based."""

    def __init__(self, message: str, line: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.line, self.column = line, column


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1]


def parse_xml(text: str) -> Node:
    """The changelog's root element. expat with every DOCTYPE refused: no entity is declared, so
    none is expanded (billion laughs) or fetched (external entities)."""
    from xml.parsers import expat

    parser = expat.ParserCreate(namespace_separator="}")
    stack: list[Node] = []
    root: list[Node] = []
    count = 0

    def refuse(*_: object) -> None:
        raise ChangelogError("a DOCTYPE or entity declaration, which is refused (entities are never expanded)",
                             parser.CurrentLineNumber, parser.CurrentColumnNumber + 1)

    def start(tag: str, attrs: dict[str, str]) -> None:
        nonlocal count
        count += 1
        if count > MAX_NODES or len(stack) >= MAX_DEPTH:
            raise ChangelogError(f"more than {MAX_NODES} elements or {MAX_DEPTH} levels; refused",
                                 parser.CurrentLineNumber)
        node = Node(kind=_local(tag), line=parser.CurrentLineNumber,
                    attrs={_local(k): v for k, v in attrs.items()})
        (stack[-1].kids if stack else root).append(node)
        stack.append(node)

    def end(tag: str) -> None:
        node = stack.pop()
        node.empty = not node.kids and not node.text.strip()

    def data(chunk: str) -> None:
        if stack:
            node = stack[-1]
            if not node.text_line and chunk.strip():
                node.text_line = parser.CurrentLineNumber
            node.text += chunk

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.UnparsedEntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse  # type: ignore[assignment]
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = data
    try:
        parser.Parse(text, True)
    except expat.ExpatError as exc:
        raise ChangelogError(f"not well-formed XML ({expat.errors.messages.get(exc.code, exc)})",
                             exc.lineno, exc.offset + 1) from None
    if not root or root[0].kind != "databaseChangeLog":
        raise ChangelogError("the root element is not databaseChangeLog")
    return root[0]


def parse_yaml(text: str, *, json_text: bool = False) -> Node:
    """The changelog's root from YAML (or JSON, which the YAML 1.2 loader reads with positions)."""
    from readiness.yamlpos import YamlDoc, YamlError, load_one

    try:
        doc = load_one(text, node_budget=MAX_NODES, core="1.2")
    except YamlError as exc:
        if not json_text:
            raise ChangelogError(str(exc), exc.line or 1, exc.column or 1) from None
        try:  # JSON the YAML loader refuses (tabs, say): read without positions
            doc = YamlDoc(value=json.loads(text))
        except (ValueError, RecursionError) as jexc:
            raise ChangelogError(f"not valid JSON ({jexc})") from None
    value = doc.value
    if not isinstance(value, dict) or "databaseChangeLog" not in value:
        raise ChangelogError("the root is not a databaseChangeLog mapping")
    budget = [MAX_NODES]

    def line(path: tuple[str | int, ...]) -> int:
        return doc.position(path).line if doc.values or doc.keys else 1

    def node(kind: str, body: Any, path: tuple[str | int, ...], depth: int) -> Node:
        budget[0] -= 1
        if budget[0] < 0 or depth > MAX_DEPTH:
            raise ChangelogError(f"more than {MAX_NODES} entries or {MAX_DEPTH} levels; refused", line(path))
        n = Node(kind=kind, line=line(path))
        if body is None or body == "" or body == [] or body == {}:
            n.empty = True
        elif isinstance(body, dict):
            for key, val in body.items():
                k = str(key)
                if isinstance(val, list) and k in _FLAT:  # `changes:`, `columns:`: the items are the children
                    n.kids.extend(_items(val, (*path, k), depth))
                elif isinstance(val, list | dict):  # `rollback:`, `preConditions:`, `constraints:`, ...
                    n.kids.append(node(k, val, (*path, k), depth + 1))
                elif k in _TEXT_KEYS and val is not None:  # `rollback: DROP TABLE x`
                    n.kids.append(Node(kind=k, line=line((*path, k)), text=_scalar(val),
                                       text_line=line((*path, k)), empty=not _scalar(val).strip()))
                elif val is not None:
                    n.attrs[k] = _scalar(val)
        elif isinstance(body, list):
            n.kids.extend(_items(body, path, depth))
        else:
            n.text, n.text_line = _scalar(body), line(path)
        return n

    def _items(seq: list[Any], path: tuple[str | int, ...], depth: int) -> list[Node]:
        out = []
        for i, item in enumerate(seq):
            if isinstance(item, dict) and len(item) == 1:
                (k, v), = item.items()
                out.append(node(str(k), v, (*path, i, k), depth + 1))
            elif isinstance(item, dict):
                out.append(node("?", item, (*path, i), depth + 1))
            else:
                out.append(Node(kind="?", line=line((*path, i)), text=_scalar(item)))
        return out

    root = Node(kind="databaseChangeLog", line=line(("databaseChangeLog",)))
    body = value["databaseChangeLog"]
    if body is not None and not isinstance(body, list):
        raise ChangelogError("databaseChangeLog is not a list of entries", root.line)
    root.kids = _items(body or [], ("databaseChangeLog",), 0)
    return root


_FLAT = frozenset({"changes", "columns"})
"""YAML/JSON keys whose list items are the node's own children (XML writes them as child elements)."""
_TEXT_KEYS = frozenset({"rollback"})
"""YAML/JSON keys whose scalar value is SQL text (XML: the element's text)."""


def _scalar(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


# -- changes to SQL -----------------------------------------------------------------------------
_TYPE = lazyre.compile(r"^(?:[a-z_][\w$]*|double precision|character varying|bit varying)"
                       r"(?: ?\(\s*\d+\s*(?:,\s*\d+\s*)?\))?(?: with(?:out)? time zone)?(?: ?\[\])?$")
"""A type as PostgreSQL's parser takes it; anything else (a `${placeholder}`, `int; DROP ...`) is sent as text."""
_ZONE = lazyre.compile(r"\b(with(?:out)?) ?time ?zone\b")
_TYPE_MAP = {"clob": "text", "nclob": "text", "longtext": "text", "mediumtext": "text", "tinytext": "text",
             "blob": "bytea", "longblob": "bytea", "varbinary": "bytea", "binary": "bytea", "datetime": "timestamp",
             "tinyint": "smallint", "nvarchar": "varchar", "nchar": "char", "number": "numeric",
             "currency": "money", "double": "double precision", "java.sql.types.varchar": "varchar"}
_NUMBER = lazyre.compile(r"^-?\d+(?:\.\d+)?$")
_TRUE = frozenset({"true", "1", "yes", "y", "t"})


def q(name: str) -> str:
    """A name as Liquibase sends it to PostgreSQL: quoted as written (it quotes a mixed-case name, so
    `permissionCode` is case-sensitive there), never pasted raw."""
    # a `${name}` nothing sets is the runner's own: a name standing for it (`"{name}"`, as in SQL text)
    return '"' + name.strip().replace('"', '""').replace("${", "{") + '"'


def qualified(schema: str | None, name: str) -> str:
    return f"{q(schema)}.{q(name)}" if schema else q(name)


def pg_type(written: str) -> str:
    """The PostgreSQL type Liquibase sends for a column type as written (a type the gate cannot
    read, such as a `${placeholder}`, becomes `text`: it is never pasted in raw)."""
    t = " ".join(written.lower().split())
    t = _ZONE.sub(lambda m: f"{m.group(1)} time zone", t.removeprefix("java.sql.types."))
    base, paren, rest = t.partition("(")
    mapped = _TYPE_MAP.get(base.strip().lower())
    if mapped is not None:
        t = mapped + (paren + rest if paren and mapped in ("varchar", "char", "numeric") else "")
    return t if _TYPE.match(t) else "text"


def literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _truthy(v: str | None) -> bool:
    return (v or "").strip().lower() in _TRUE


_NOW = lazyre.compile(r"(?i)\s*(?:current_timestamp|now|localtimestamp|sysdate|getdate|current_datetime|systimestamp)"
                      r"\s*(?:\(\s*\))?\s*")
"""The current-time functions Liquibase sends as PostgreSQL's `now()` whatever their spelling."""


def computed(expr: str) -> str:
    """A computed default as PostgreSQL gets it: Liquibase's current-time spellings as `now()`; an
    expression PostgreSQL's parser does not take (another database's) as NULL: it cannot drop anything,
    and the statement around it is still judged."""
    from pglast import parser

    if _NOW.fullmatch(expr):
        return "now()"
    if not expr.strip() or ";" in expr or "--" in expr or "/*" in expr:
        return "NULL"
    try:
        parser.parse_sql_json(f"SELECT {expr}")
    except parser.ParseError:
        return "NULL"
    return expr


def _default(attrs: dict[str, str]) -> str | None:
    if "defaultValueComputed" in attrs:
        return computed(attrs["defaultValueComputed"])
    if "defaultValueNumeric" in attrs:
        v = attrs["defaultValueNumeric"].strip()
        return v if _NUMBER.match(v) else literal(v)
    if "defaultValueBoolean" in attrs:
        return "true" if _truthy(attrs["defaultValueBoolean"]) else "false"
    for key in ("defaultValue", "defaultValueDate"):
        if key in attrs:
            return literal(attrs[key])
    return None


def _constraints(col: Node) -> dict[str, str]:
    out: dict[str, str] = {}
    for kid in col.kids:
        if kid.kind == "constraints":
            out.update(kid.attrs)
    return out


def column_def(col: Node) -> str:
    a = col.attrs
    c = _constraints(col)
    parts = [q(a.get("name", "column")), pg_type(a.get("type", "text"))]
    if _truthy(a.get("autoIncrement")):
        parts.append("GENERATED BY DEFAULT AS IDENTITY")
    default = _default(a)
    if default is not None:
        parts.append(f"DEFAULT {default}")
    if _truthy(c.get("primaryKey")):
        parts.append("PRIMARY KEY")
    if c.get("nullable", "").strip().lower() == "false":
        parts.append("NOT NULL")
    if _truthy(c.get("unique")):
        parts.append("UNIQUE")
    ref = c.get("referencedTableName")
    if ref:
        cols = c.get("referencedColumnNames", "")
        parts.append(f"REFERENCES {q(ref)}" + (f" ({_names(cols)})" if cols.strip() else ""))
    elif c.get("references"):
        table, _, rest = c["references"].partition("(")
        parts.append(f"REFERENCES {q(table.strip())}" + (f" ({_names(rest.rstrip(')'))})" if rest else ""))
    return " ".join(parts)


def _names(csv: str) -> str:
    return ", ".join(q(n.strip()) for n in csv.split(",") if n.strip()) or q("column")


def _columns(node: Node) -> list[Node]:
    return [k for k in node.kids if k.kind == "column"]


_WHERE_PARAM = lazyre.compile(r"(?<![:\w]):(?:name|value)\b")
"""The `:name` / `:value` tokens Liquibase fills from `<whereParams>`."""


def _sub_text(node: Node, key: str) -> str:
    """`<where>x</where>` (XML) or `where: x` (YAML); a where's `:name`/`:value` parameters as NULL."""
    if key in node.attrs:
        text = node.attrs[key]
    else:
        text = next((k.text.strip() or k.attrs.get(key, "") for k in node.kids if k.kind == key), "")
    return _WHERE_PARAM.sub("NULL", text) if key == "where" else text


def _table(a: dict[str, str], key: str = "tableName") -> str:
    return qualified(a.get("schemaName"), a.get(key, "table"))


def _add_column(n: Node, t: str) -> str:
    return f"ALTER TABLE {t} " + ", ".join(f"ADD COLUMN {column_def(c)}" for c in _columns(n)) if _columns(n) else ""


def _drop_column(n: Node, t: str) -> str:
    names = [n.attrs["columnName"]] if "columnName" in n.attrs else [c.attrs.get("name", "") for c in _columns(n)]
    return f"ALTER TABLE {t} " + ", ".join(f"DROP COLUMN {q(c)}" for c in names if c) if any(names) else ""


def _add_not_null(n: Node, t: str) -> str:
    a = n.attrs
    col = q(a.get("columnName", "column"))
    fill = f"UPDATE {t} SET {col} = {literal(a['defaultNullValue'])} WHERE {col} IS NULL; " \
        if "defaultNullValue" in a else ""
    return f"{fill}ALTER TABLE {t} ALTER COLUMN {col} SET NOT NULL"


def _create_index(n: Node, t: str) -> str:
    a = n.attrs
    cols = ", ".join(q(c.attrs.get("name", "column")) for c in _columns(n)) or q("column")
    unique = "UNIQUE " if _truthy(a.get("unique")) else ""
    return f"CREATE {unique}INDEX {q(a.get('indexName', 'index'))} ON {t} ({cols})"


def _fk(n: Node, _t: str) -> str:
    a = n.attrs
    sql = (f"ALTER TABLE {_table(a, 'baseTableName')} ADD CONSTRAINT {q(a.get('constraintName', 'fk'))} "
           f"FOREIGN KEY ({_names(a.get('baseColumnNames', ''))}) REFERENCES "
           f"{qualified(a.get('referencedTableSchemaName'), a.get('referencedTableName', 'table'))} "
           f"({_names(a.get('referencedColumnNames', ''))})")
    for key, clause in (("onDelete", "ON DELETE"), ("onUpdate", "ON UPDATE")):
        act = a.get(key, "").strip().upper().replace("_", " ")
        if act in ("CASCADE", "SET NULL", "SET DEFAULT", "RESTRICT", "NO ACTION"):
            sql += f" {clause} {act}"
    if a.get("validate", "").strip().lower() == "false":
        sql += " NOT VALID"
    return sql


def _update(n: Node, t: str) -> str:
    sets = ", ".join(f"{q(c.attrs.get('name', 'column'))} = NULL" for c in _columns(n)) or f"{q('column')} = NULL"
    where = _sub_text(n, "where")
    return f"UPDATE {t} SET {sets}" + (f" WHERE {where}" if where else "")


def _delete(n: Node, t: str) -> str:
    where = _sub_text(n, "where")
    return f"DELETE FROM {t}" + (f" WHERE {where}" if where else "")


def _insert(n: Node, t: str) -> str:
    cols = _columns(n)
    if not cols:
        return f"INSERT INTO {t} DEFAULT VALUES"
    return (f"INSERT INTO {t} ({', '.join(q(c.attrs.get('name', 'column')) for c in cols)}) "
            f"VALUES ({', '.join('NULL' for _ in cols)})")


def _create_view(n: Node, _t: str) -> str:
    a = n.attrs
    body = _sub_text(n, "selectQuery") or n.text.strip()
    if _truthy(a.get("fullDefinition")):
        return body
    replace = "OR REPLACE " if _truthy(a.get("replaceIfExists")) else ""
    return f"CREATE {replace}VIEW {qualified(a.get('schemaName'), a.get('viewName', 'view'))} AS {body}"


def _add_key(n: Node, t: str, what: str, suffix: str) -> str:
    name = n.attrs.get("constraintName") or n.attrs.get("tableName", "table") + suffix
    return f"ALTER TABLE {t} ADD CONSTRAINT {q(name)} {what} ({_names(n.attrs.get('columnNames', ''))})"


def _auto_increment(n: Node, t: str) -> str:
    """What Liquibase sends for PostgreSQL: a sequence and the column's default from it (no rewrite)."""
    a = n.attrs
    col = a.get("columnName", "column")
    seq = q(f"{a.get('tableName', 'table')}_{col}_seq")
    return (f"CREATE SEQUENCE IF NOT EXISTS {seq}; "
            f"ALTER TABLE {t} ALTER COLUMN {q(col)} SET DEFAULT nextval({literal(seq)})")


def _named(n: Node, key: str) -> str:
    return qualified(n.attrs.get("schemaName"), n.attrs.get(key, "name"))


def _rename(n: Node, kind: str, key: str) -> str:
    a = n.attrs
    return (f"ALTER {kind} {qualified(a.get('schemaName'), a.get('old' + key, 'name'))} "
            f"RENAME TO {q(a.get('new' + key, 'name'))}")


def _seq(n: Node) -> str:
    return qualified(n.attrs.get("schemaName"), n.attrs.get("sequenceName", "sequence"))


def _constraint_drop(key: str, default: Callable[[dict[str, str]], str]) -> Callable[[Node, str], str]:
    def gen(n: Node, _t: str) -> str:
        a = n.attrs
        table = _table(a, key)
        return f"ALTER TABLE {table} DROP CONSTRAINT {q(a.get('constraintName') or default(a))}"
    return gen


_SQL_GEN: dict[str, Callable[[Node, str], str]] = {
    "createTable": lambda n, t: f"CREATE TABLE {t} ({', '.join(column_def(c) for c in _columns(n))})",
    "dropTable": lambda n, t: f"DROP TABLE {t}" + (" CASCADE" if _truthy(n.attrs.get("cascadeConstraints")) else ""),
    "addColumn": _add_column,
    "dropColumn": _drop_column,
    "renameTable": lambda n, _t: (f"ALTER TABLE {_table(n.attrs, 'oldTableName')} RENAME TO "
                                  f"{q(n.attrs.get('newTableName', 'table'))}"),
    "renameColumn": lambda n, t: (f"ALTER TABLE {t} RENAME COLUMN {q(n.attrs.get('oldColumnName', 'column'))} TO "
                                  f"{q(n.attrs.get('newColumnName', 'column'))}"),
    "modifyDataType": lambda n, t: (f"ALTER TABLE {t} ALTER COLUMN {q(n.attrs.get('columnName', 'column'))} TYPE "
                                    f"{pg_type(n.attrs.get('newDataType', 'text'))}"),
    "addNotNullConstraint": _add_not_null,
    "dropNotNullConstraint": lambda n, t: f"ALTER TABLE {t} ALTER COLUMN {q(n.attrs.get('columnName', 'column'))} "
                                          "DROP NOT NULL",
    "addDefaultValue": lambda n, t: (f"ALTER TABLE {t} ALTER COLUMN {q(n.attrs.get('columnName', 'column'))} "
                                     f"SET DEFAULT {_default(n.attrs) or 'NULL'}"),
    "dropDefaultValue": lambda n, t: f"ALTER TABLE {t} ALTER COLUMN {q(n.attrs.get('columnName', 'column'))} "
                                     "DROP DEFAULT",
    "createIndex": _create_index,
    "dropIndex": lambda n, _t: f"DROP INDEX {qualified(n.attrs.get('schemaName'), n.attrs.get('indexName', 'index'))}",
    "addForeignKeyConstraint": _fk,
    "addUniqueConstraint": lambda n, t: _add_key(n, t, "UNIQUE", "_key"),
    "addPrimaryKey": lambda n, t: _add_key(n, t, "PRIMARY KEY", "_pkey"),
    "dropForeignKeyConstraint": _constraint_drop("baseTableName", lambda a: "fk"),
    "dropUniqueConstraint": _constraint_drop("tableName", lambda a: a.get("tableName", "t") + "_key"),
    "dropPrimaryKey": _constraint_drop("tableName", lambda a: a.get("tableName", "t") + "_pkey"),
    "delete": _delete,
    "update": _update,
    "insert": _insert,
    "loadData": _insert,
    "loadUpdateData": _insert,
    "addAutoIncrement": _auto_increment,
    "createSequence": lambda n, _t: f"CREATE SEQUENCE {_seq(n)}",
    "dropSequence": lambda n, _t: f"DROP SEQUENCE {_seq(n)}",
    "alterSequence": lambda n, _t: f"ALTER SEQUENCE {_seq(n)} NO CYCLE",
    "renameSequence": lambda n, _t: _rename(n, "SEQUENCE", "SequenceName"),
    "renameView": lambda n, _t: _rename(n, "VIEW", "ViewName"),
    "dropProcedure": lambda n, _t: f"DROP PROCEDURE {_named(n, 'procedureName')}",
    "createView": _create_view,
    "dropView": lambda n, _t: f"DROP VIEW {_named(n, 'viewName')}",
}
"""The change types read, and the PostgreSQL statement Liquibase sends for each."""
NO_SQL = frozenset({"tagDatabase", "output", "empty", "setTableRemarks", "setColumnRemarks", "comment", "stop"})
"""Change types that send no schema or data statement (remarks are COMMENT ON: metadata only)."""
AUTO_ROLLBACK = frozenset({"createTable", "addAutoIncrement", "addColumn", "renameTable", "renameColumn", "createIndex",
                           "addForeignKeyConstraint", "addUniqueConstraint", "addPrimaryKey", "addNotNullConstraint",
                           "dropNotNullConstraint", "addDefaultValue", "createSequence", "createView", "renameView",
                           "renameSequence",
                           *NO_SQL})
"""Change types Liquibase can roll back by itself (no `rollback` needed)."""
_NOT_CHANGES = frozenset({"comment", "preConditions", "validCheckSum", "rollback", "id", "author", "?"})


_OTHER_DATABASES = frozenset({"mysql", "mariadb", "h2", "hsqldb", "oracle", "mssql", "sqlserver", "db2", "derby",
                              "sqlite", "sybase", "firebird", "informix", "snowflake", "cockroachdb"})
_POSTGRES_NAMES = frozenset({"postgresql", "postgres", "pgsql", "pg"})


def other_database_context(context: str | None) -> bool:
    """A changeset `context`/`contextFilter`/`labels` naming only other databases (`mysql`, `!postgresql`):
    projects that run one changeset per database select it by context. Liquibase runs every changeset
    when no context is given at run time, so such a changeset is still judged; only what PostgreSQL's
    parser refuses in it (another database's SQL) is not reported."""
    if not context:
        return False
    words = re.findall(r"!?[a-z0-9_]+", context.lower())
    if any(w in _POSTGRES_NAMES for w in words):
        return False
    return any(w.lstrip("!") in _POSTGRES_NAMES or w in _OTHER_DATABASES for w in words)


@dataclass(slots=True)
class Unit:
    """One changeset: as formatted SQL's `Changeset` (its SQL laid out on the changelog's lines),
    plus what could not be read into SQL."""

    changeset: Changeset
    unread: list[tuple[int, str]] = field(default_factory=list)
    """(line, what) of each change the gate does not read."""
    files: list[tuple[int, str, str | None]] = field(default_factory=list)
    """(line, path as written, resolved repository path or None) of each `sqlFile`, for the up."""
    down_files: list[tuple[int, str, str | None]] = field(default_factory=list)
    other_database: bool = False
    """Its context or labels name only another database (`other_database_context`)."""
    includes: list[tuple[int, str, tuple[str, ...] | None]] = field(default_factory=list)
    """Of an `include`/`includeAll` (a unit of its own): (line, path as written, the repository files
    it runs, in Liquibase's order; None when it names none: outside the repository or not in it)."""


class Layout:
    """SQL pieces placed on given lines: blank lines pad up to each piece's line."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.line = 1

    def put(self, line: int, sql: str) -> None:
        if line > self.line:
            self.parts.append("\n" * (line - self.line))
            self.line = line
        elif self.parts:
            self.parts.append(" ")
        if "--" in sql.rpartition("\n")[2]:  # `;` on a line of its own: a trailing `--` comment cannot hide it
            sql += "\n"
        self.parts.append(sql + " ;")
        self.line += sql.count("\n")

    def text(self) -> str:
        return "".join(self.parts)


Expand = Callable[[str], tuple[str, list[str]]]
"""Liquibase's property substitution for one changelog (lbprops): the text, and the names it cannot settle."""


def changesets(root: Node, here: str, resolve: Resolver,
               expand: Expand | None = None) -> list[Unit]:
    """The changesets of a changelog; `here` is its repository path, `resolve(path, here, relative)`
    gives the repository path an `sqlFile` names (None: outside the repository or not there);
    `expand` substitutes the changelog properties in every change first, as Liquibase does."""
    out: list[Unit] = []
    for entry in root.kids:
        if entry.kind in ("include", "includeAll"):
            unread: list[tuple[int, str]] = []
            if expand is not None:
                _expand(entry, expand, unread, MAX_DEPTH)
            out.append(_include(entry, here, resolve))
            out[-1].unread.extend(unread)
            continue
        if entry.kind != "changeSet":
            continue
        a = entry.attrs
        up, down = Layout(), Layout()
        unit = Unit(changeset=Changeset(ident="", line=0, sql="", sql_line=1, rollback="", rollback_state="missing",
                                        in_transaction=True, for_postgres=True))
        auto = True
        state = "missing"
        if expand is not None:
            for change in entry.kids:
                _expand(change, expand, unit.unread, 0)
        for change in entry.kids:
            if change.kind == "rollback":
                state = _rollback(change, down, unit, here, resolve, state)
                continue
            if change.kind in _NOT_CHANGES:
                continue
            auto = auto and change.kind in AUTO_ROLLBACK
            _change(change, up, unit.unread, unit.files, here, resolve)
        if state == "missing" and auto:
            state = "auto"
        unit.changeset = Changeset(
            ident=f"{a.get('author', '?')}:{a.get('id', '?')}", line=entry.line, sql=up.text(), sql_line=1,
            rollback=down.text(), rollback_state=state,
            in_transaction=a.get("runInTransaction", "true").strip().lower() != "false",
            for_postgres=_runs_on_postgres(a.get("dbms")),
            run_on_change=_truthy(a.get("runOnChange")), run_always=_truthy(a.get("runAlways")),
            conditional=_conditional(entry))
        unit.other_database = any(other_database_context(a.get(k)) for k in ("context", "contextFilter", "labels"))
        out.append(unit)
    return out


INCLUDED_SUFFIXES = (".xml", ".yaml", ".yml", ".json", ".sql")
"""What `includeAll` runs of a directory (Liquibase's changelog parsers)."""
MAX_INCLUDED = 500
"""Files one `includeAll` may name, at most (more: not judged, reported)."""


def _include(entry: Node, here: str, resolve: Resolver) -> Unit:
    """An `include` (of a file) or `includeAll` (of a directory's changelogs, in name order) as a unit:
    its identity is the element as written, so a PR that adds or changes one runs what it names."""
    a = entry.attrs
    every = entry.kind == "includeAll"
    written = a.get("path" if every else "file", "")
    relative = _truthy(a.get("relativeToChangelogFile"))
    targets: tuple[str, ...] | None = None
    if written.strip() and "${" not in written:
        if every:
            targets = resolve.directory(written, here, relative)
        else:
            one = resolve(written, here, relative)
            targets = (one,) if one else None
    ident = entry.kind + " " + " ".join(f"{k}={v}" for k, v in sorted(a.items()))
    cs = Changeset(ident=ident, line=entry.line, sql="", sql_line=1, rollback="", rollback_state="auto",
                   in_transaction=True, for_postgres=True, conditional=_conditional(entry))
    return Unit(changeset=cs, includes=[(entry.line, written, targets)])


def _conditional(entry: Node) -> bool:
    """A changeset that may not run on production: `failOnError="false"`, a context, contextFilter
    or labels (a deploy may not select it), a `dbms` that does not surely name PostgreSQL, or
    preconditions whose failure (or error) lets the deploy go on without it (MARK_RAN, CONTINUE, WARN)."""
    a = entry.attrs
    if (a.get("failOnError") or "").strip().lower() == "false" or not surely_postgres(a.get("dbms")):
        return True
    if any((a.get(k) or "").strip() for k in ("context", "contextFilter", "labels")):
        return True
    for kid in entry.kids:
        if kid.kind != "preConditions":
            continue
        if skips(kid.attrs.get("onFail")) or skips(kid.attrs.get("onError")):
            return True
        # YAML/JSON write them as list items: `preConditions: [{onFail: MARK_RAN}, ...]`
        if any(k.kind in ("onFail", "onError") and skips(k.text) for k in kid.kids):
            return True
    return False


def _expand(node: Node, expand: Expand, unread: list[tuple[int, str]], depth: int) -> None:
    """A change's attributes and text with the changelog properties substituted; a property with
    several values is reported (`unread`) where it is used."""
    if depth > MAX_DEPTH:
        return
    several: list[str] = []
    for key, value in node.attrs.items():
        node.attrs[key], names = expand(value)
        several.extend(names)
    if node.text:
        node.text, names = expand(node.text)
        several.extend(names)
    unread.extend((node.line, several_values(name)) for name in dict.fromkeys(several))
    for kid in node.kids:
        _expand(kid, expand, unread, depth + 1)


def _rollback(node: Node, down: Layout, unit: Unit, here: str,
              resolve: Callable[[str, str, bool], str | None], state: str) -> str:
    """A `rollback` element or key: SQL text, changes, or a reference to another changeset."""
    if node.text.strip():
        down.put(node.text_line or node.line, node.text.strip())
        return "present"
    if "changeSetId" in node.attrs or "sql" in node.attrs:
        if "sql" in node.attrs:
            down.put(node.line, node.attrs["sql"])
        return "present"
    if not node.kids:
        return "empty" if state == "missing" else state
    unread: list[tuple[int, str]] = []
    for change in node.kids:
        if change.kind not in _NOT_CHANGES:
            _change(change, down, unread, unit.down_files, here, resolve)
    return "present"


def _change(change: Node, layout: Layout, unread: list[tuple[int, str]],
            files: list[tuple[int, str, str | None]], here: str,
            resolve: Callable[[str, str, bool], str | None]) -> None:
    kind, a = change.kind, change.attrs
    if kind in NO_SQL:
        return
    if not _runs_on_postgres(a.get("dbms")):
        return
    if kind == "sql":
        sql = a.get("sql", "") or change.text.strip()
        if sql.strip():
            layout.put(change.text_line or change.line, sql)
        return
    if kind == "createProcedure":
        body = a.get("procedureText", "") or a.get("procedureBody", "") or change.text.strip()
        if body.strip():
            layout.put(change.text_line or change.line, body)
        return
    if kind == "sqlFile":
        path = a.get("path", "")
        encoding = a.get("encoding", "").strip()
        if encoding and not file_encoding_safe(encoding):  # the runner's statements are not the gate's
            unread.append((change.line, f"the sqlFile {path!r}, which Liquibase reads as {encoding[:40]!r} (an "
                                        "encoding whose characters can hide a quote or backslash from the gate)"))
        relative = _truthy(a.get("relativeToChangelogFile"))
        files.append((change.line, path, resolve(path, here, relative) if path else None))
        return
    gen = _SQL_GEN.get(kind)
    if gen is None:
        unread.append((change.line, f"the Liquibase change <{kind}> (a change type the gate does not read)"))
        return
    sql = gen(change, _table(a))
    if sql:
        layout.put(change.line, sql)


class Resolver:
    """How an `sqlFile` or `include` path becomes a repository path: beside the changelog
    (`relativeToChangelogFile`), else from the repository root or a classpath root
    (`src/main/resources/` and the like: the changelog's own root, or any directory that has it).
    None when it leaves the repository or names no file there: nothing outside it is ever read."""

    def __init__(self, files: Callable[[], list[str]]) -> None:
        self._files = files
        self._listed: set[str] = set()
        self._by_name: dict[str, list[str]] = {}

    def _index(self) -> None:
        if not self._listed:
            self._listed.update(self._files())
            for f in sorted(self._listed):
                self._by_name.setdefault(f.rpartition("/")[2], []).append(f)

    @staticmethod
    def _tries(path: str, here: str, relative: bool) -> tuple[str, list[str]] | None:
        """The path without its classpath prefix, and the repository paths it may mean, in order."""
        p = path.strip().removeprefix("classpath*:").removeprefix("classpath:").replace("\\", "/")
        if not p or p.startswith("/") and relative:
            return None
        p = p.lstrip("/")
        tries = []
        if relative:
            tries.append(posixpath.normpath(posixpath.join(posixpath.dirname(here), p)))
        else:
            tries.append(posixpath.normpath(p))
            marker = "/src/main/resources/"
            i = f"/{here}".find(marker)
            if i >= 0:
                tries.append(posixpath.normpath(f"/{here}"[1:i + len(marker)] + p))
        return p, [t for t in tries if not (t == ".." or t.startswith("../") or t.startswith("/"))]

    def __call__(self, path: str, here: str, relative: bool) -> str | None:
        self._index()
        got = self._tries(path, here, relative)
        if got is None:
            return None
        p, tries = got
        for t in tries:
            if t in self._listed:
                return t
        if not relative:
            suffix = "/" + posixpath.normpath(p)
            if not suffix.startswith("/../"):
                return next((f for f in self._by_name.get(suffix.rpartition("/")[2], ()) if f.endswith(suffix)), None)
        return None

    def directory(self, path: str, here: str, relative: bool) -> tuple[str, ...] | None:
        """The changelogs an `includeAll` of `path` runs (in name order, at most MAX_INCLUDED), or None."""
        self._index()
        got = self._tries(path.rstrip("/\\") + "/x", here, relative)
        if got is None:
            return None
        for t in got[1]:
            root = posixpath.dirname(t)
            if not root or root == ".":
                continue
            found = sorted(f for f in self._listed if f.startswith(root + "/") and f != here
                           and f.lower().endswith(INCLUDED_SUFFIXES))
            if found:
                return tuple(found[:MAX_INCLUDED])
        if not relative:  # a classpath directory: every module's resources that have it
            inner = "/" + posixpath.normpath(posixpath.dirname(got[0])) + "/"
            if not inner.startswith("/../"):
                found = sorted(f for f in self._listed if inner in "/" + f and f != here
                               and f.lower().endswith(INCLUDED_SUFFIXES))
                if found:
                    return tuple(found[:MAX_INCLUDED])
        return None


def resolver(files: Callable[[], list[str]]) -> Resolver:
    """The `Resolver` of a repository listed by `files`."""
    return Resolver(files)
