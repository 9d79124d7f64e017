"""gobuffalo/fizz migrations (`<version>_<name>.up.fizz`), read as pop reads them.

pop renders the file as a Go template, then runs it as a plush script in which each fizz function
(`create_table`, `drop_column`, `sql`, ...) appends the PostgreSQL statement fizz's translator writes
for it; the statements are sent together, in the migration's transaction. The gate writes the same
statements, laid out on the lines of the calls they come from, so each is judged as the SQL pop
sends (a `drop_table("users")` is a `DROP TABLE "users"`, with the same rules and positions).

Only the script language fizz files are written in is read: calls of the fizz functions with
constant arguments (strings, numbers, booleans, `nil`, lists and `{key: value}` maps), the
`create_table(...) { t.Column(...) ... }` block, `#` comments and `<% ... %>` (pop runs the file as if
it were inside one: text after a `%>` is printed, not run, up to the next `<%`; `<%#` starts a comment;
every `<%` is taken as code, so what plush may run is always read). Everything else a plush script can
do (variables, `let`, `if`, `for`, other helpers) and `exec(...)`, which
runs a shell command, is reported as `Unread` for the gate to fail closed on; so is a call whose
arguments are not what fizz takes. Text is pasted into the statements as fizz pastes it (names in
double quotes, unescaped; `default` values in single quotes, unescaped; index columns and
`default_raw` raw), so a name or default that smuggles a statement in is read as PostgreSQL reads it.

Reading is one linear pass with bounded nesting: a hostile file costs its length.

Why over 500 lines: plush's lexing (its string and delimiter rules decide what pop runs), the script's
grammar and fizz's table of PostgreSQL statements are read together; apart, none can be checked.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from readiness.gates.migrations.lbdoc import Layout
from readiness.gates.migrations.runners import fill_templates

MAX_DEPTH = 64
"""Lists and maps nested deeper than this are refused (a fizz argument is one or two levels deep)."""


@dataclass(frozen=True, slots=True)
class Unread:
    """A part of the script the gate cannot turn into SQL: at `offset` of the text, with why."""

    offset: int
    why: str
    text: str


@dataclass(slots=True)
class Translation:
    """A fizz script as the SQL pop sends for it."""

    sql: str
    """The statements, each on the line of the call it comes from."""
    unread: list[Unread] = field(default_factory=list)
    calls: int = 0
    """Fizz calls read (statements of the script)."""
    columns: dict[int, int] = field(default_factory=dict)
    """Line -> column of the first call on it (a statement's SQL is laid out on its call's line)."""


class _Var:
    """A name the script uses as a value (a variable): its value is not known here."""

    def __init__(self, name: str) -> None:
        self.name = name


class FizzError(Exception):
    """The script cannot be read from `offset` on."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.offset = offset


class _ArgError(Exception):
    """A call's arguments are not what fizz takes (or not known here)."""


# -- lexing, as plush's lexer does inside `<% ... %>` ------------------------------------------------
_PUNCT = frozenset("(){}[],:;")


_BLANK = re.compile(r"(?:[ \t\r\n]+|#[^\r\n]*)+")
_NUMBER = re.compile(r"[0-9.]+")
_IDENT = re.compile(r"[A-Za-z_-][A-Za-z0-9_.-]*")
"""plush's letters are ASCII letters, `_` and `-`; its digits include `.` (so `t.Column` is one name)."""


def _ident_start(ch: str) -> bool:
    return "a" <= ch <= "z" or "A" <= ch <= "Z" or ch in "_-"


class _Tokens:
    """Tokens on demand: (kind, value, offset); kinds `str`, `num`, `ident`, a punctuation character, `end`."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.peeked: tuple[str, Any, int] | None = None

    def peek(self) -> tuple[str, Any, int]:
        if self.peeked is None:
            self.peeked = self._next()
        return self.peeked

    def take(self) -> tuple[str, Any, int]:
        tok = self.peek()
        self.peeked = None
        return tok

    def expect(self, kind: str) -> tuple[str, Any, int]:
        tok = self.take()
        if tok[0] != kind:
            raise FizzError(f"expected {kind!r}", tok[2])
        return tok

    def _next(self) -> tuple[str, Any, int]:
        text, n = self.text, len(self.text)
        i = self.pos
        while i < n:  # white space, comments and the script's delimiters
            ch = text[i]
            if ch in " \t\r\n#":  # `#`: a comment to the end of the line
                i = _BLANK.match(text, i).end()  # type: ignore[union-attr]  # always matches here
            elif text.startswith("%>", i):  # the script ends; what follows is text up to the next `<%`
                j = text.find("<%", i + 2)
                i = n if j < 0 else j
            elif text.startswith("<%#", i):  # a comment up to `%>`
                j = text.find("%>", i + 3)
                i = n if j < 0 else j + 2
            elif text.startswith("<%", i):  # (another) start of script: `<%`, `<%=` read alike
                i += 3 if text.startswith("<%=", i) else 2
            else:
                break
        if i >= n:
            self.pos = n
            return ("end", None, n)
        ch = text[i]
        if ch in _PUNCT:
            self.pos = i + 1
            return (ch, ch, i)
        if ch == '"':
            return self._string(i)
        if ch == "`":
            j = text.find("`", i + 1)
            if j < 0 or "\0" in text[i:j]:
                raise FizzError("an unterminated string", i)
            self.pos = j + 1
            return ("str", text[i + 1:j], i)
        if "0" <= ch <= "9" or ch == "." and i + 1 < n and "0" <= text[i + 1] <= "9":
            j = _NUMBER.match(text, i).end()  # type: ignore[union-attr]
            self.pos = j
            return ("num", text[i:j], i)
        if ch == "-":
            self.pos = i + 1
            return ("-", ch, i)
        if _ident_start(ch):
            j = _IDENT.match(text, i).end()  # type: ignore[union-attr]
            self.pos = j
            return ("ident", text[i:j], i)
        raise FizzError(f"{ch!r}, which is no part of a fizz statement", i)

    def _string(self, start: int) -> tuple[str, Any, int]:
        """A double-quoted string as plush's lexer ends it: `\\"` is a quote, once; nothing else is an escape."""
        text, n = self.text, len(self.text)
        i = start
        while True:
            i += 1
            if i < n and text[i] == "\\" and i + 1 < n and text[i + 1] == '"':
                i += 2
            if i >= n or text[i] == "\0":
                raise FizzError("an unterminated string", start)
            if text[i] == '"':
                break
        self.pos = i + 1
        return ("str", text[start + 1:i].replace('\\"', '"'), start)


# -- parsing the script ------------------------------------------------------------------------------
@dataclass(slots=True)
class _Call:
    name: str
    args: list[Any]
    offset: int
    end: int
    block: list[_Call] | None = None


def _value(toks: _Tokens, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise FizzError(f"values nested more than {MAX_DEPTH} levels deep", toks.peek()[2])
    kind, val, at = toks.take()
    if kind == "str":
        return val
    if kind == "num":
        return _number(val, at)
    if kind == "-":
        k2, v2, at2 = toks.take()
        if k2 != "num":
            raise FizzError("expected a number after '-'", at2)
        return -_number(v2, at2)
    if kind == "ident":
        if val in ("true", "false"):
            return val == "true"
        if val == "nil":
            return None
        if toks.peek()[0] == "(":
            raise FizzError(f"a call of {val!r} as a value", at)
        return _Var(val)
    if kind == "[":
        items: list[Any] = []
        while toks.peek()[0] != "]":
            items.append(_value(toks, depth + 1))
            if toks.peek()[0] != "]":
                toks.expect(",")
        toks.take()
        return items
    if kind == "{":
        pairs: dict[str, Any] = {}
        while toks.peek()[0] != "}":
            kk, kv, kat = toks.take()
            if kk not in ("ident", "str"):
                raise FizzError("expected a key", kat)
            toks.expect(":")
            pairs[kv] = _value(toks, depth + 1)
            if toks.peek()[0] != "}":
                toks.expect(",")
        toks.take()
        return pairs
    raise FizzError("expected a value", at)


def _number(text: str, at: int) -> int | float:
    if text.count(".") > 1:
        raise FizzError(f"the number {text!r}", at)
    if "." in text:
        return float(text)
    return int(text)


def _call(toks: _Tokens, in_block: bool) -> _Call:
    kind, name, at = toks.take()
    if kind != "ident":
        raise FizzError("expected a fizz function call", at)
    toks.expect("(")
    args: list[Any] = []
    while toks.peek()[0] != ")":
        args.append(_value(toks, 1))
        if toks.peek()[0] != ")":
            toks.expect(",")
    end = toks.take()[2] + 1
    call = _Call(name=name, args=args, offset=at, end=end)
    if toks.peek()[0] == "{" and not in_block:
        toks.take()
        call.block = []
        while toks.peek()[0] != "}":
            if toks.peek()[0] == "end":
                raise FizzError("an unclosed block", at)
            call.block.append(_call(toks, True))
            if toks.peek()[0] == ";":
                toks.take()
        call.end = toks.take()[2] + 1
    return call


# -- translating, as fizz's PostgreSQL translator writes each statement -------------------------------
def _str(v: Any, what: str) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, _Var):
        raise _ArgError(f"{what} is the variable {v.name!r}, whose value is not known here")
    raise _ArgError(f"{what} is not a string")


def _opts(args: list[Any], at: int) -> dict[str, Any]:
    if len(args) <= at or args[at] is None:
        return {}
    if not isinstance(args[at], dict):
        raise _ArgError("the options are not a {key: value} map")
    if any(isinstance(v, _Var) for v in args[at].values()):
        raise _ArgError("an option is a variable, whose value is not known here")
    return dict(args[at])


def _arity(args: list[Any], least: int, most: int) -> None:
    if not least <= len(args) <= most:
        raise _ArgError(f"it takes {least}{'' if least == most else f' to {most}'} arguments, not {len(args)}")


def go_value(v: Any) -> str:
    """A value as Go's `%v` prints it (fizz pastes defaults so)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "<nil>"
    if isinstance(v, float):
        if math.isfinite(v) and v == int(v) and abs(v) < 1e21:
            return str(int(v))
        return repr(v).replace("inf", "Inf")
    if isinstance(v, list):
        return "[" + " ".join(go_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "map[" + " ".join(f"{k}:{go_value(x)}" for k, x in sorted(v.items())) + "]"
    return str(v)


def _int(v: Any, what: str) -> str:
    if isinstance(v, bool) or not isinstance(v, int):
        raise _ArgError(f"the {what} is not a whole number")
    return str(v)


_TYPES = {"uuid": "UUID", "time": "timestamptz", "datetime": "timestamptz", "blob": "bytea", "[]byte": "bytea",
          "[]string": "varchar[]", "[]float": "decimal[]", "[]int": "integer[]", "json": "jsonb"}


def col_type(ctype: str, opts: dict[str, Any]) -> str:
    """The PostgreSQL type fizz writes for a column type."""
    if ctype == "string":
        return f"VARCHAR ({_int(opts['size'], 'size') if opts.get('size') is not None else '255'})"
    if ctype in ("float", "decimal"):
        if opts.get("precision") is not None:
            p = _int(opts["precision"], "precision")
            return f"DECIMAL({p},{_int(opts['scale'], 'scale')})" if opts.get("scale") is not None else f"DECIMAL({p})"
        return "DECIMAL"
    return _TYPES.get(ctype, ctype)


def column_def(name: str, ctype: str, opts: dict[str, Any], primary: bool = False) -> str:
    s = f'"{name}" {col_type(ctype, opts)}'
    if opts.get("null") is None or primary:
        s += " NOT NULL"
    if opts.get("default") is not None:
        s += f" DEFAULT '{go_value(opts['default'])}'"
    if opts.get("default_raw") is not None:
        s += f" DEFAULT {go_value(opts['default_raw'])}"
    return s


def _escape_table(name: str) -> str:
    """fizz quotes a table name without a dot; one with a dot goes in as written."""
    return name if "." in name else f'"{name}"'


def _refs(v: Any) -> tuple[str, list[str]]:
    if not isinstance(v, dict) or len(v) != 1:
        raise _ArgError('the reference is not {"table": ["column", ...]}')
    (table, cols), = v.items()
    if not isinstance(cols, list) or any(isinstance(c, _Var | list | dict) for c in cols):
        raise _ArgError("the referenced columns are not a list of names")
    return table, [go_value(c) for c in cols]


def _foreign_key(column: str, refs: Any, opts: dict[str, Any]) -> str:
    table, cols = _refs(refs)
    s = f'FOREIGN KEY ("{column}") REFERENCES {_escape_table(table)} ({", ".join(chr(34) + c + chr(34) for c in cols)})'
    for key, clause in (("on_update", "ON UPDATE"), ("on_delete", "ON DELETE")):
        if key in opts:
            s += f" {clause} {_str(opts[key], key)}"
    return s


def _fk_name(table: str, refs: Any, opts: dict[str, Any]) -> str:
    if opts.get("name") is not None:
        return _str(opts["name"], "the name")
    ref_table, cols = _refs(refs)
    return f"{table}_{ref_table}_{'_'.join(cols)}_fk"


def _index(table: str, cols: Any, opts: dict[str, Any]) -> str:
    if isinstance(cols, str):
        names = [cols]
    elif isinstance(cols, list) and cols and all(isinstance(c, str) for c in cols):
        names = cols
    else:
        raise _ArgError("the index columns are not a name or a list of names")
    name = _str(opts["name"], "the index name") if opts.get("name") is not None else f"{table}_{'_'.join(names)}_idx"
    unique = "UNIQUE " if opts.get("unique") is True else ""
    return f'CREATE {unique}INDEX "{name}" ON "{table}" ({", ".join(names)});'


_PRIMARY_TYPES = {"integer": "SERIAL", "INT": "SERIAL", "int": "SERIAL", "bigint": "BIGSERIAL", "BIGINT": "BIGSERIAL"}


def _create_table(call: _Call, layout: Layout, lines: _LineIndex) -> None:
    """CREATE TABLE with each column on the line of its `t.Column` (the automatic timestamps on the
    block's last line), then the block's indexes, as fizz writes them."""
    a = call.args
    _arity(a, 1, 2)
    table = _str(a[0], "the table name")
    opts = _opts(a, 1)
    first = lines.line(call.offset)
    timestamps = opts.get("timestamps", True) is not False
    cols: list[tuple[int, str, str, dict[str, Any]]] = []
    primary: tuple[int, list[str]] | None = None
    fks: list[tuple[int, str]] = []
    indexes: list[tuple[int, str]] = []
    for inner in call.block or ():
        at = lines.line(inner.offset)
        receiver, _, method = inner.name.partition(".")
        b = inner.args
        if receiver != "t" or not method:
            raise _ArgError(f"{inner.name}(...) in its block is not a method of the table `t`")
        if method == "Column":
            _arity(b, 2, 3)
            name = _str(b[0], "the column name")
            copts = _opts(b, 2)
            if "primary" in copts:
                if primary is not None:
                    raise _ArgError("it declares more than one primary key")
                primary = (at, [name])
            entry = (at, name, _str(b[1], "the column type"), copts)
            cols.insert(0, entry) if name == "id" else cols.append(entry)
        elif method == "Timestamp":
            _arity(b, 1, 1)
            cols.append((at, _str(b[0], "the column name"), "timestamp", {}))
        elif method == "Timestamps":
            _arity(b, 0, 0)
            cols.extend((at, name, "timestamp", {}) for name in ("created_at", "updated_at"))
        elif method == "DisableTimestamps":
            timestamps = False
        elif method == "PrimaryKey":
            if not b or primary is not None:
                raise _ArgError("it declares no primary key, or more than one")
            primary = (at, [_str(x, "a primary key column") for x in b])
        elif method == "ForeignKey":
            _arity(b, 2, 3)
            fks.append((at, _foreign_key(_str(b[0], "the column"), b[1], _opts(b, 2))))
        elif method == "Index":
            _arity(b, 1, 2)
            indexes.append((at, _index(table, b[0], _opts(b, 1))))
        else:
            raise _ArgError(f"t.{method}(...) is not a method fizz has")
    last = lines.line(max(call.end - 1, call.offset))
    if timestamps:
        have = {c[1] for c in cols}
        cols.extend((last, name, "timestamp", {}) for name in ("created_at", "updated_at") if name not in have)
    parts: list[tuple[int, str]] = []
    single = primary[1][0] if primary is not None and len(primary[1]) == 1 else None
    for at, name, ctype, copts in cols:
        is_pk = name == single
        parts.append((at, column_def(name, _PRIMARY_TYPES.get(ctype, ctype) if is_pk else ctype, copts, is_pk)))
        if is_pk:
            parts.append((at, f'PRIMARY KEY("{name}")'))
    parts.extend(fks)
    if primary is not None and len(primary[1]) > 1:
        parts.append((primary[0], "PRIMARY KEY(" + ", ".join(f'"{p}"' for p in primary[1]) + ")"))
    sql, here = f'CREATE TABLE "{table}" (', first
    for i, (at, part) in enumerate(parts):
        if at > here:  # on its own line, as the fizz text has it (never backwards: `id` comes first)
            sql += "\n" * (at - here)
            here = at
        sql += ("" if i == 0 else ", ") + part
    layout.put(first, sql + ");")
    for at, index in indexes:
        layout.put(at, index)


def _statement(call: _Call) -> str:
    """The statement of a call other than create_table (None-free: raises _ArgError)."""
    a, name = call.args, call.name
    if name == "drop_table":
        _arity(a, 1, 1)
        return f'DROP TABLE "{_str(a[0], "the table name")}";'
    if name == "rename_table":
        _arity(a, 2, 2)
        return f'ALTER TABLE "{_str(a[0], "the table name")}" RENAME TO "{_str(a[1], "the new name")}";'
    if name in ("add_column", "change_column"):
        _arity(a, 3, 4)
        table, col, ctype = (_str(x, w) for x, w in zip(a, ("the table name", "the column name", "the type"),
                                                        strict=False))
        opts = _opts(a, 3)
        if name == "add_column":
            return f'ALTER TABLE "{table}" ADD COLUMN {column_def(col, ctype, opts)};'
        sets = [f'ALTER COLUMN "{col}" ' + ("SET NOT NULL" if opts.get("null") is None else "DROP NOT NULL")]
        if opts.get("default") is not None:
            sets.append(f"ALTER COLUMN \"{col}\" SET DEFAULT '{go_value(opts['default'])}'")
        if opts.get("default_raw") is not None:
            sets.append(f'ALTER COLUMN "{col}" SET DEFAULT {go_value(opts["default_raw"])}')
        return f'ALTER TABLE "{table}" ALTER COLUMN "{col}" TYPE {col_type(ctype, opts)}, {", ".join(sets)};'
    if name == "drop_column":
        _arity(a, 2, 2)
        return f'ALTER TABLE "{_str(a[0], "the table name")}" DROP COLUMN "{_str(a[1], "the column name")}";'
    if name == "rename_column":
        _arity(a, 3, 3)
        return (f'ALTER TABLE "{_str(a[0], "the table name")}" RENAME COLUMN "{_str(a[1], "the column name")}" '
                f'TO "{_str(a[2], "the new name")}";')
    if name == "add_index":
        _arity(a, 2, 3)
        return _index(_str(a[0], "the table name"), a[1], _opts(a, 2))
    if name == "drop_index":
        _arity(a, 2, 2)
        _str(a[0], "the table name")
        return f'DROP INDEX "{_str(a[1], "the index name")}";'
    if name == "rename_index":
        _arity(a, 3, 3)
        _str(a[0], "the table name")
        return f'ALTER INDEX "{_str(a[1], "the index name")}" RENAME TO "{_str(a[2], "the new name")}";'
    if name == "add_foreign_key":
        _arity(a, 3, 4)
        table, opts = _str(a[0], "the table name"), _opts(a, 3)
        fk = _foreign_key(_str(a[1], "the column"), a[2], opts)
        return f'ALTER TABLE {_escape_table(table)} ADD CONSTRAINT "{_fk_name(table, a[2], opts)}" {fk};'
    if name == "drop_foreign_key":
        _arity(a, 2, 3)
        opts = _opts(a, 2)
        if_exists = "IF EXISTS " if opts.get("if_exists") is True else ""
        return (f'ALTER TABLE {_escape_table(_str(a[0], "the table name"))} DROP CONSTRAINT '
                f'{if_exists}"{_str(a[1], "the foreign key name")}";')
    if name in ("sql", "raw"):
        _arity(a, 1, 1)
        sql = _str(a[0], "the SQL")
        return sql if sql.endswith(";") else sql + ";"
    raise _ArgError("not a fizz function the gate reads")


def translate(text: str) -> Translation:
    """The SQL pop sends for a fizz script, and what of the script could not be read."""
    out = Translation(sql="")
    layout = Layout()
    lines = _LineIndex(text)
    toks = _Tokens(text)
    start = 0
    try:
        while toks.peek()[0] != "end":
            start = toks.peek()[2]
            call = _call(toks, False)
            if toks.peek()[0] == ";":
                toks.take()
            out.calls += 1
            snippet = text[call.offset:call.end]
            line = lines.line(call.offset)
            for c in (call, *(call.block or ())):
                out.columns.setdefault(lines.line(c.offset), c.offset - text.rfind("\n", 0, c.offset))
            if call.name == "exec":
                out.unread.append(Unread(call.offset, "a shell command that pop runs on the machine that migrates",
                                         snippet))
                continue
            if call.block is not None and call.name != "create_table":
                out.unread.append(Unread(call.offset, f"a block given to {call.name}(...)", snippet))
                continue
            try:
                if call.name == "create_table":
                    _create_table(call, layout, lines)
                else:
                    layout.put(line, _statement(call))
            except _ArgError as exc:
                out.unread.append(Unread(call.offset, str(exc), snippet))
    except FizzError as exc:
        out.unread.append(Unread(start, f"the script cannot be read from here on: {exc} at line "
                                        f"{lines.line(exc.offset)}", text[start:start + 200]))
    out.sql = layout.text()
    return out


def pop_sql(text: str) -> Translation:
    """The SQL pop sends for a fizz file's text (its Go template actions rendered first, as pop does)."""
    return translate(fill_templates(text))


class _LineIndex:
    """Offset -> 1-based line, for offsets asked in increasing order (a cursor: linear overall)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.at = 0
        self.count = 1

    def line(self, offset: int) -> int:
        if offset < self.at:  # a step back (the columns of a block): count back over the stretch
            self.count -= self.text.count("\n", offset, self.at)
        else:
            self.count += self.text.count("\n", self.at, offset)
        self.at = offset
        return self.count
