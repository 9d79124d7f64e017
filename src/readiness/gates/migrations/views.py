"""DML on a view the migration creates is DML on the tables the view reads.

A simple view (one table in FROM, no aggregates) is automatically updatable: `CREATE VIEW v AS
SELECT * FROM users; DELETE FROM v;` deletes every row of `users`. The view itself is new (no rows
of its own), so the DELETE on it was judged as one on a relation created here; it is now judged
again on each table the view's query reads (a view over a view of this migration is followed to
its tables), with the view's own WHERE counting as the statement's. A view whose query cannot be
read makes the statement a `dynamic_sql` operation (fail closed). The CREATE VIEW statements get no
parse tree (big views are where parsing time goes): a view's query is parsed only when a DELETE,
UPDATE, TRUNCATE or MERGE names the view, once per view.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from readiness import lazyre
from readiness.gates.migrations.ops import Action, ObjectKind, Op
from readiness.gates.migrations.ops import Flag as F

A = Action
_DESTROYS = frozenset({A.DELETE, A.UPDATE, A.TRUNCATE})
"""What a statement on a view does to the rows of its tables (MERGE gives DELETE/UPDATE ops)."""
_MAX_DEPTH = 16
MAX_REACHED = 20_000
"""Views visited and operations made through views, per migration. Each DELETE/UPDATE on a view is
followed to every table under it, so N statements on a view over N tables would make N * N
operations (a 60 KiB file took 10 s): past this budget, a statement on a view is a `dynamic_sql`
operation (fail closed), and the work stays linear in the file."""
VIEW_HEAD = lazyre.compile(r"CREATE\s+(?:OR\s+REPLACE\s+)?(?:(?:TEMP|TEMPORARY)\s+)?(?:RECURSIVE\s+)?VIEW\b",
                           re.IGNORECASE)
"""A CREATE VIEW statement (whose text `through_views` may need)."""


def _short(name: str | None) -> str:
    return (name or "").lower().rsplit(".", 1)[-1]


class _View:
    __slots__ = ("text", "read")

    def __init__(self, text: str) -> None:
        self.text = text
        self.read: tuple[tuple[str, ...], bool] | None | bool = False
        """(tables, filtered) once parsed; None when the query cannot be read; False: not parsed yet."""


def through_views(ops: list[Op], texts: Mapping[str, str]) -> list[Op]:
    """`ops` (one migration's, in order) with each DELETE/UPDATE/TRUNCATE of a view created earlier
    in the migration followed by the same operation on the view's tables. `texts`: the statement text
    of each CREATE VIEW, by its normalized text (an operation's evidence)."""
    if not any(op.action is A.CREATE_OBJECT and op.kind is ObjectKind.VIEW for op in ops):
        return ops
    views: dict[str, _View] = {}
    out: list[Op] = []
    budget = [MAX_REACHED]
    for op in ops:
        out.append(op)
        a = op.action
        if op.kind is ObjectKind.VIEW and op.column:
            if a is A.CREATE_OBJECT:
                views[_short(op.column)] = _View(texts.get(op.evidence, op.evidence))
            elif a is A.DROP_OBJECT:
                views.pop(_short(op.column), None)
            elif a is A.RENAME_OBJECT and op.new_name and _short(op.column) in views:
                views[_short(op.new_name)] = views.pop(_short(op.column))
        elif a in _DESTROYS and views and _short(op.table) in views:
            out.extend(_reached(op, views, budget))
    return out


def _reached(op: Op, views: dict[str, _View], budget: list[int]) -> list[Op]:
    """The operations `op` on a view does to the tables under it; each view visited and each operation
    made is taken from `budget` (one list per migration), and when it runs out, `op` gets a `dynamic_sql`
    operation instead."""
    out: list[Op] = []
    todo: list[tuple[str, bool, int]] = [(_short(op.table), F.WHERE in op.flags, 0)]
    seen: set[str] = set()
    while todo:
        name, where, depth = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        budget[0] -= 1
        if budget[0] < 0:
            return [Op(action=A.DYNAMIC_SQL, detail=f"{op.action.upper()} through view {name}: more than "
                       f"{MAX_REACHED:,} views and tables followed through views in this migration",
                       line=op.line, col=op.col, end_line=op.end_line, evidence=op.evidence)]
        view = views[name]
        if view.read is False:
            view.read = _read(view.text)
        if view.read is None or depth >= _MAX_DEPTH:
            out.append(Op(action=A.DYNAMIC_SQL, detail=f"{op.action.upper()} through view {name}, whose query could "
                          "not be read", line=op.line, col=op.col, end_line=op.end_line, evidence=op.evidence))
            continue
        assert isinstance(view.read, tuple)
        tables, filtered = view.read
        for t in tables:
            if _short(t) in views:
                todo.append((_short(t), where or filtered, depth + 1))
            else:
                flags = (op.flags | {F.WHERE}) if where or filtered else op.flags
                out.append(replace(op, table=t, flags=frozenset(flags)))
                budget[0] -= 1
    return out


def _read(text: str) -> tuple[tuple[str, ...], bool] | None:
    """The tables a CREATE VIEW's query reads and whether its WHERE filters, or None when it cannot
    be read."""
    from pglast import parser

    from readiness.gates.migrations.pgtree import filters, nodes
    from readiness.gates.migrations.sql import loads

    try:
        stmt = loads(parser.parse_sql_json(text))["stmts"][0]["stmt"]
        query = stmt["ViewStmt"]["query"]
    except (parser.ParseError, ValueError, KeyError, IndexError, TypeError, RecursionError):
        return None
    ctes: set[str] = set()
    tables: list[str] = []
    for node in nodes(query):
        cte = node.get("CommonTableExpr")
        if isinstance(cte, dict) and cte.get("ctename"):
            ctes.add(str(cte["ctename"]).lower())
        rv: Any = node.get("RangeVar")
        if isinstance(rv, dict) and rv.get("relname"):
            schema = rv.get("schemaname")
            tables.append(f"{schema}.{rv['relname']}" if schema else str(rv["relname"]))
        if "Deep" in node:  # an expression too deep to read
            return None
    select = query.get("SelectStmt") if isinstance(query, dict) else None
    filtered = isinstance(select, dict) and filters(select.get("whereClause"))
    found = [t for t in dict.fromkeys(tables) if "." in t or t.lower() not in ctes]
    return tuple(found), bool(filtered)
