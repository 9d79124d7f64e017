"""What Django RunPython code does to every row of a model's table by spellings other than
`Model.objects.all().delete()` (which django.py reads): instance `.delete()` / `.save()` for each
object of an unfiltered queryset (a loop, a comprehension), `bulk_update` of all of them,
`_raw_delete`, and a `filter()` / `exclude()` that keeps every row (`filter()`, `exclude(pk=None)`,
`filter(pk__in=Model.objects.values("pk"))`). A manager method chosen by a name the gate cannot fold
(`getattr(M.objects, name)()`) fails closed. Read from the code, never run."""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from readiness.gates.migrations.ops import Action
from readiness.gates.migrations.pyast import call_name, const_str

A = Action

MANAGERS = frozenset({"objects", "_default_manager", "_base_manager"})
_KEEPS = frozenset({"all", "using", "select_related", "prefetch_related", "only", "defer", "order_by", "iterator",
                    "select_for_update", "annotate", "alias", "values", "values_list", "distinct", "reverse",
                    "in_bulk", "keys", "items", "chunked"})
"""QuerySet (and `in_bulk()` dict) methods whose result still covers every row (`in_bulk()` without
ids: every object by its key)."""
_WRAPS = frozenset({"list", "tuple", "iter", "sorted", "set", "reversed", "enumerate"})
"""Builtins that pass every element of what they are handed through."""
_PKS = ("pk", "id")
_EDITOR_DDL = frozenset({"alter_field", "alter_db_table", "alter_db_tablespace"})
"""Schema editor methods that change what exists (`delete_model` / `remove_field` are django.py's)."""


@dataclass(frozen=True, slots=True)
class RowEffect:
    """One call that reaches every row of `table` (or a reason to fail closed when `action` is DYNAMIC_SQL)."""

    node: ast.AST
    action: Action
    table: str
    detail: str = ""
    new_name: str | None = None


def effects(fn: ast.FunctionDef | ast.AsyncFunctionDef, model_ref: Callable[[ast.expr], str],
            known: Callable[[ast.expr], bool], named: frozenset[str]) -> Iterator[RowEffect]:
    """The row effects of `fn` (see the module). `model_ref`: a model expression's table; `known(qs)`:
    django.py judges `qs.delete()` itself already; `named`: the tables of models the function names
    (an UPDATE of a model it cannot name is not worth a guessed table name)."""
    names = _locals(fn)
    rows = _Rows(names, model_ref)
    params = [a.arg for a in fn.args.args]
    editor = params[1] if len(params) > 1 else "schema_editor"
    for node in ast.walk(fn):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _EDITOR_DDL \
                and isinstance(node.func.value, ast.Name) and node.func.value.id == editor:
            renamed = [const_str(a) for a in node.args[1:3]] if node.func.attr == "alter_db_table" else []
            if len(renamed) == 2 and renamed[0] and renamed[1]:  # alter_db_table(M, "old", "new"): a rename
                yield RowEffect(node, A.RENAME_TABLE, renamed[0], new_name=renamed[1])
                continue
            yield RowEffect(node, A.DYNAMIC_SQL, "", f"`{_short(node)}`: the schema editor changes a column or table "
                            "the gate does not read, in RunPython code")
            continue
        if isinstance(node, ast.For | ast.AsyncFor) and isinstance(node.target, ast.Name):
            table = rows.every(node.iter)
            if table is not None:
                yield from _instance_calls(node.target.id, _unconditional(node.body, node.target.id), table, named)
        elif isinstance(node, ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp):
            gens = node.generators
            if len(gens) == 1 and not gens[0].ifs and isinstance(gens[0].target, ast.Name):
                table = rows.every(gens[0].iter)
                if table is not None:
                    parts = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
                    yield from _instance_calls(gens[0].target.id, parts, table, named)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            yield from _queryset_call(node, node.func, rows, known, named)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Call) and call_name(node.func) == "getattr" \
                and len(node.func.args) >= 2 and const_str(node.func.args[1]) is None \
                and _on_manager(node.func.args[0], names):
            yield RowEffect(node, A.DYNAMIC_SQL, "", f"`{_short(node)}`: a manager or queryset method chosen by a "
                            "name the gate cannot fold, in RunPython code")


def _queryset_call(node: ast.Call, f: ast.Attribute, rows: _Rows, known: Callable[[ast.expr], bool],
                   named: frozenset[str]) -> Iterator[RowEffect]:
    if f.attr in ("delete", "_raw_delete", "update") and not known(f.value):
        table = rows.every(f.value)
        if table is not None and (f.attr != "update" or table in named):
            yield RowEffect(node, A.UPDATE if f.attr == "update" else A.DELETE, table)
    elif f.attr == "bulk_update" and node.args and rows.every(f.value) is not None:
        table = rows.every(node.args[0])  # M.objects.bulk_update(list(M.objects.all()), [...]): every row
        if table is not None and table in named:
            yield RowEffect(node, A.UPDATE, table)


def _instance_calls(var: str, parts: list[ast.stmt] | list[ast.expr], table: str,
                    named: frozenset[str]) -> Iterator[RowEffect]:
    """`var.delete()` (a DELETE of every row) and `var.save()` (an UPDATE of every row) in `parts`."""
    for part in parts:
        for node in ast.walk(part):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == var:
                if node.func.attr == "delete":
                    yield RowEffect(node, A.DELETE, table)
                elif node.func.attr == "save" and table in named:
                    yield RowEffect(node, A.UPDATE, table)


def _unconditional(body: list[ast.stmt], var: str) -> list[ast.stmt]:
    """The statements of a loop over `var` that run for every row: not under an `if` whose test reads
    the object (a condition on its fields filters rows, as a WHERE reading a column does; one that
    does not read it, `if True:` or a flag, keeps them all), a nested loop, or a function; `with` /
    `try` bodies count."""
    out: list[ast.stmt] = []
    for st in body:
        if isinstance(st, ast.If):
            if not any(isinstance(n, ast.Name) and n.id == var for n in ast.walk(st.test)):
                out.extend(_unconditional([*st.body, *st.orelse], var))
        elif isinstance(st, ast.With | ast.AsyncWith):
            out.extend(_unconditional(st.body, var))
        elif isinstance(st, ast.Try):
            out.extend(_unconditional([*st.body, *st.finalbody], var))
        elif not isinstance(st, ast.For | ast.AsyncFor | ast.While | ast.FunctionDef | ast.AsyncFunctionDef
                            | ast.ClassDef | ast.Match):
            out.append(st)
    return out


class _Rows:
    """Which expressions of one function stand for every row of a model's table."""

    def __init__(self, names: dict[str, ast.expr], model_ref: Callable[[ast.expr], str]) -> None:
        self.names = names
        self.model_ref = model_ref

    def every(self, qs: ast.expr, depth: int = 0) -> str | None:
        """The table whose every row `qs` yields (a queryset, a list or dict of its objects), else None."""
        seen = 0
        while seen < 32 and depth < 4:
            seen += 1
            if isinstance(qs, ast.Name) and qs.id in self.names:
                qs = self.names[qs.id]
            elif isinstance(qs, ast.Attribute) and qs.attr in MANAGERS:
                return self.model_ref(qs.value)
            elif not isinstance(qs, ast.Call):
                return None
            elif isinstance(qs.func, ast.Name) and qs.func.id in _WRAPS and len(qs.args) == 1 and not qs.keywords:
                qs = qs.args[0]
            elif isinstance(qs.func, ast.Call) and call_name(qs.func) == "getattr" and len(qs.func.args) >= 2 \
                    and const_str(qs.func.args[1]) in _KEEPS:
                qs = qs.func.args[0]  # getattr(M.objects, "all")()
            elif not isinstance(qs.func, ast.Attribute):
                return None
            else:
                method = qs.func
                if method.attr == "in_bulk" and (qs.args or any(k.arg == "id_list" for k in qs.keywords)):
                    return None  # in_bulk([ids]): the objects of those ids
                if method.attr not in _KEEPS and not (
                        method.attr in ("filter", "exclude") and self._keeps_all(qs, method.attr, depth)):
                    return None
                qs = method.value
        return None

    def _keeps_all(self, call: ast.Call, kind: str, depth: int) -> bool:
        """`filter()` / `exclude()` that keeps every row: no condition, an empty `Q()`, or only
        conditions true of every row (`pk__in=` every key of the same model, `pk__isnull=False`;
        for exclude: `pk=None`, `pk__isnull=True`)."""
        if any(not (isinstance(a, ast.Call) and call_name(a) == "Q" and not a.args and not a.keywords)
               for a in call.args):
            return False
        table = self.every(call.func.value, depth + 1) if isinstance(call.func, ast.Attribute) else None
        for kw in call.keywords:
            field, _, lookup = (kw.arg or "").partition("__")
            value = kw.value
            null = isinstance(value, ast.Constant) and value.value is None
            boolean = value.value if isinstance(value, ast.Constant) and isinstance(value.value, bool) else None
            if field not in _PKS:
                return False
            if kind == "filter" and lookup == "in" and table is not None and self.every(value, depth + 1) == table:
                continue
            if kind == "filter" and lookup == "isnull" and boolean is False:
                continue
            if kind == "exclude" and ((lookup in ("", "exact") and null) or (lookup == "isnull" and boolean is True)):
                continue
            return False
        return True


def _locals(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> dict[str, ast.expr]:
    """Names the function binds once, by a plain assignment, to what they hold."""
    bound: dict[str, ast.expr] = {}
    again: set[str] = set()
    for node in ast.walk(fn):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
            if name in bound:
                again.add(name)
            bound[name] = node.value
    return {k: v for k, v in bound.items() if k not in again}


def _on_manager(node: ast.expr, names: dict[str, ast.expr]) -> bool:
    """`node` reads a model's manager or a queryset made from one (`M.objects`, `qs` of `qs = M.objects.all()`)."""
    for _ in range(16):
        if isinstance(node, ast.Name) and node.id in names:
            node = names[node.id]
        elif isinstance(node, ast.Attribute):
            if node.attr in MANAGERS:
                return True
            node = node.value
        elif isinstance(node, ast.Call):
            node = node.func
        else:
            return False
    return False


def _short(node: ast.AST) -> str:
    return " ".join(ast.unparse(node).split())[:80]
