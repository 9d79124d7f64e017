"""What a pull request left as it was in an already-applied migration it edits.

A PR that touches an old migration (organizes its imports, reformats it, renames an import) does not
run its statements again: they ran in production when the migration was first applied. A finding at
a statement the PR left semantically unchanged since the base version of the file is therefore not
the PR's doing: it is kept and shown, `introduced: false`, and never blocks.

Semantic identity (a "unit" of the file):
- SQL: each statement, by its whitespace-collapsed text (the operation's `evidence`, which the gate
  already computed from its one parse of the file); the base version is parsed once, the same way.
- Python (Django operations, Alembic `op.*` calls): each element of `Migration.operations`, and each
  simple statement inside a function (`upgrade()`, `downgrade()`, a RunPython function), by
  `ast.dump` without positions; module and class assignments that are not bookkeeping (`atomic`, a
  constant an operation uses) are units too. Imports, docstrings, `dependencies` and revision
  identifiers are not: changing them changes nothing the database sees.

A finding is judged at the units on its line; a finding about the whole migration (lock timeout,
reversibility, mixed data and schema, transaction control) and one on no unit is pre-existing only
when every unit of the file is unchanged (the same multiset) and so is its transaction mode.
Linear in the two versions' sizes.
"""

from __future__ import annotations

import ast
import copy
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from readiness.gates.migrations import rules as R
from readiness.gates.migrations.pysyntax import parse_python

if TYPE_CHECKING:
    from readiness.gates.base import GateContext
    from readiness.gates.migrations.ops import Op
    from readiness.model import Finding, RiskClass

WHOLE_MIGRATION = frozenset({R.LOCK_TIMEOUT.id, R.IRREVERSIBLE.id, R.MIXED.id, R.UNCLOSED_TXN.id,
                             R.NESTED_TXN.id, R.PARSE_ERROR.id})
"""Findings about the migration as a whole, not about one statement of it."""

_BOOKKEEPING = frozenset({"revision", "down_revision", "branch_labels", "depends_on", "dependencies",
                          "replaces", "initial", "run_before", "__all__"})
"""Names whose assignment changes what runs when, never what a migration does to the database."""


@dataclass(slots=True)
class Units:
    """One version of a migration file, cut into the units findings are judged at."""

    keys: Counter[str] = field(default_factory=Counter)
    """Every unit's key, with repeats."""
    by_line: dict[int, set[str]] = field(default_factory=dict)
    """1-based line -> the keys of the units covering it."""
    tx: object = None
    """The file's transaction settings (mode and where they come from), compared as a value."""

    def add(self, key: str, first: int, last: int | None) -> None:
        self.keys[key] += 1
        for line in range(first, max(first, last or first) + 1):
            self.by_line.setdefault(line, set()).add(key)


def op_units(ops: Iterable[Op], tx: object) -> Units:
    """The statements of an SQL migration, from the operations the gate read (each statement once)."""
    out = Units(tx=tx)
    seen: set[tuple[int, str]] = set()
    for op in ops:
        if (op.line, op.evidence) in seen:
            continue
        seen.add((op.line, op.evidence))
        out.add(op.evidence, op.line, op.end_line)
    return out


def python_units(tree: ast.Module) -> Units:
    """The operations and statements of a Python migration (see the module's docstring)."""
    out = Units()

    def dump(node: ast.AST) -> str:
        return ast.dump(_canonical(node), include_attributes=False)

    def unit(node: ast.AST, prefix: str) -> None:
        out.add(prefix + dump(node), getattr(node, "lineno", 1), getattr(node, "end_lineno", None))

    def body(stmts: list[ast.stmt], *, top: bool, prefix: str) -> None:
        for st in stmts:
            if isinstance(st, ast.Import | ast.ImportFrom | ast.Pass):
                continue
            if isinstance(st, ast.Expr) and isinstance(st.value, ast.Constant) and isinstance(st.value.value, str):
                continue  # a docstring
            if isinstance(st, ast.FunctionDef | ast.AsyncFunctionDef):
                body(st.body, top=False, prefix=f"{prefix}{st.name}:")  # upgrade() is not downgrade()
            elif isinstance(st, ast.ClassDef):
                body(st.body, top=True, prefix=f"{prefix}{st.name}:")
            elif isinstance(st, ast.Assign | ast.AnnAssign) and top:
                targets = st.targets if isinstance(st, ast.Assign) else [st.target]
                names = {t.id for t in targets if isinstance(t, ast.Name)}
                if "operations" in names and isinstance(st.value, ast.List | ast.Tuple):
                    for el in st.value.elts:
                        unit(el, prefix)
                elif not names or not names <= _BOOKKEEPING:
                    unit(st, prefix)
            elif isinstance(st, ast.If | ast.For | ast.AsyncFor | ast.While | ast.With | ast.AsyncWith | ast.Try):
                # a compound statement: its header (`with op.batch_alter_table("t")`) is part of each
                # statement it governs
                head = f"{prefix}{dump(_header(st))}>"
                out.add(head, st.lineno, st.lineno)
                for child in _blocks(st):
                    body(child, top=top, prefix=head)
            else:
                unit(st, prefix)

    body(tree.body, top=True, prefix="")
    return out


def _swapper_target(node: ast.AST) -> str | None:
    """`swapper.get_model_name("wagtailcore", "Page")`: the model label it names (`wagtailcore.Page`)."""
    if not (isinstance(node, ast.Call) and len(node.args) == 2 and not node.keywords):
        return None
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
    app, model = node.args
    if name != "get_model_name" or not all(isinstance(a, ast.Constant) and isinstance(a.value, str)
                                           for a in (app, model)):
        return None
    return _label(f"{app.value}.{model.value}")  # type: ignore[attr-defined]


def _label(label: str) -> str:
    """A model label as Django compares it: the model name is case-insensitive (`app.page` is `app.Page`)."""
    app, dot, model = label.rpartition(".")
    return f"{app}{dot}{model.lower()}"


def _target_of(node: ast.AST) -> ast.keyword | None:
    """The `to=` of a relation field written as a constant label that another spelling may name."""
    if isinstance(node, ast.keyword) and node.arg == "to" and isinstance(node.value, ast.Constant) and \
            isinstance(node.value.value, str) and _label(node.value.value) != node.value.value:
        return node
    return None


class _Canonical(ast.NodeTransformer):
    def visit_Call(self, node: ast.Call) -> ast.AST:
        label = _swapper_target(node)
        return ast.Constant(value=label) if label is not None else self.generic_visit(node)

    def visit_keyword(self, node: ast.keyword) -> ast.AST:
        if _target_of(node) is not None:
            assert isinstance(node.value, ast.Constant)
            return ast.keyword(arg="to", value=ast.Constant(value=_label(str(node.value.value))))
        return self.generic_visit(node)


def _canonical(node: ast.AST) -> ast.AST:
    """`node` with what spells the same model another way written one way: a swappable model's
    `swapper.get_model_name("app", "Model")` is the label it stands for, and a relation's
    `to="app.Model"` is `to="app.model"` (wagtail replaced one by the other in applied migrations).
    A copy is changed; the tree is the gate's."""
    if not any(_swapper_target(n) is not None or _target_of(n) is not None for n in ast.walk(node)):
        return node
    changed: ast.AST = _Canonical().visit(copy.deepcopy(node))
    return changed


def _header(st: ast.stmt) -> ast.AST:
    """A compound statement without its blocks: what decides whether and how they run."""
    if isinstance(st, ast.If | ast.While):
        return st.test
    if isinstance(st, ast.For | ast.AsyncFor):
        return ast.Tuple(elts=[st.target, st.iter], ctx=ast.Load())
    if isinstance(st, ast.With | ast.AsyncWith):
        return ast.Tuple(elts=[i.context_expr for i in st.items], ctx=ast.Load())
    return ast.Tuple(elts=[h.type for h in getattr(st, "handlers", []) if h.type is not None], ctx=ast.Load())


def _blocks(st: ast.stmt) -> list[list[ast.stmt]]:
    return [b for b in (getattr(st, "body", None), getattr(st, "orelse", None), getattr(st, "finalbody", None),
                        *[h.body for h in getattr(st, "handlers", [])]) if b]


def python_base(text: str) -> Units | None:
    """The units of a Python migration as the base has it; None when it does not parse."""
    try:
        return python_units(parse_python(text))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def settle(ctx: GateContext, path: str, now: Callable[[], Units | None], base: Callable[[str], Units | None],
           findings: list[tuple[RiskClass, Finding]]) -> list[tuple[RiskClass, Finding]]:
    """`findings` of the migration at `path`, those at units the PR left as the base had them marked
    not introduced. `now` gives this version's units, `base` makes the base version's from its text;
    each is called at most once, and only for a file the PR modifies."""
    if ctx.changes is None or not ctx.changes.touched(path) or not any(f.location.path == path for _, f in findings):
        return findings
    text = ctx.base_text(path)
    if text is None:
        return findings  # added by the PR (or git cannot say): all of it is the PR's
    then = base(text)
    if then is None:
        return findings
    current = now()
    if current is None:
        return findings
    same_tx = current.tx == then.tx
    whole = same_tx and current.keys == then.keys
    out: list[tuple[RiskClass, Finding]] = []
    for risk, f in findings:
        if f.location.path != path or not f.introduced:
            out.append((risk, f))
            continue
        keys = current.by_line.get(f.location.line or 0)
        if f.rule in WHOLE_MIGRATION or not keys:
            old = whole
        else:
            old = same_tx and all(k in then.keys for k in keys)
        out.append((risk, f.with_(introduced=False) if old else f))
    return out
