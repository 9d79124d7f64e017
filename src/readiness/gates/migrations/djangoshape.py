"""What a Django migration module gives Django to run, read with `ast` (never imported): the class
bound to `Migration`, and the operations its `operations` holds once names, concatenations and
`*` unpacking are followed.

Django imports the module and runs `Migration(...).operations`; the reader judges what it can read
and says what it cannot (`Unread`), which the gate reports as `migrations/dynamic-sql` (failing
closed when the pull request adds it): `operations` built by a comprehension, a call or a name
bound more than once; a list changed after it is made (`operations += ...`,
`Migration.operations.append(...)`); a `Migration` class derived from another migration class of
the repository; operations whose class the migration defines, or imports from the repository's
own modules, with database code of their own (`database_forwards`).
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from readiness.gates.migrations.pyast import postgres_statements
from readiness.gates.migrations.pymodules import Imports, bound_names, import_time, module_statements

_MAX_DEPTH = 16
_BASE_MIGRATION = frozenset({"django.db.migrations.Migration", "django.db.migrations.migration.Migration"})
DJANGO_OPERATIONS = frozenset({
    "CreateModel", "DeleteModel", "RenameModel", "AlterModelTable", "AlterModelTableComment", "AlterUniqueTogether",
    "AlterIndexTogether", "AlterOrderWithRespectTo", "AlterModelOptions", "AlterModelManagers", "AddField",
    "RemoveField", "AlterField", "RenameField", "AddIndex", "RemoveIndex", "RenameIndex", "AddConstraint",
    "RemoveConstraint", "AlterConstraint", "SeparateDatabaseAndState", "RunSQL", "RunPython", "CreateExtension",
    "BloomExtension", "BtreeGinExtension", "BtreeGistExtension", "CITextExtension", "CryptoExtension",
    "HStoreExtension", "TrigramExtension", "UnaccentExtension", "CreateCollation", "RemoveCollation",
    "AddIndexConcurrently", "RemoveIndexConcurrently", "AddConstraintNotValid", "ValidateConstraint",
})
"""Django's own operations (django.db.migrations and django.contrib.postgres.operations)."""
_STATE_ONLY_METHODS = frozenset({"state_forwards", "describe", "deconstruct", "reduce", "references_model",
                                 "references_field", "migration_name_fragment", "reversible", "elidable"})
"""What an Operation subclass may define without changing what runs in the database."""


@dataclass(frozen=True, slots=True)
class Unread:
    """A part of the migration the gate cannot read."""

    node: ast.AST
    why: str


@dataclass(slots=True)
class Shape:
    """The module's `Migration` class and what it runs."""

    cls: ast.ClassDef | None = None
    operations: list[ast.expr] = field(default_factory=list)
    """Each operation expression, in order (calls as written, or names the reader follows)."""
    body: list[ast.stmt] = field(default_factory=list)
    """The class body as it runs on PostgreSQL (`if connection.vendor == ...` branches chosen)."""
    unread: list[Unread] = field(default_factory=list)


def read(tree: ast.Module, repo_module: Callable[[str], bool] | None = None) -> Shape:
    """The module's Migration class and its operations, with what cannot be read. `repo_module`
    tells a module of the repository (`shop.operations`) from an installed one."""
    shape = Shape()
    imports = Imports(tree)
    classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
    bound = [st for st in module_statements(tree.body) if "Migration" in bound_names(st)]
    if not bound:
        return shape
    last = bound[-1]
    if isinstance(last, ast.ImportFrom) and (last.module or "").startswith("django.") and not last.level:
        return shape  # Django's own Migration class, with no operations: a helper module, not a migration
    cls: ast.ClassDef | None = None
    if isinstance(last, ast.ClassDef):
        cls = last
    elif isinstance(last, ast.Assign) and isinstance(last.value, ast.Name) and last.value.id in classes:
        cls = classes[last.value.id]
    if cls is None or any(st not in tree.body for st in bound):
        shape.unread.append(Unread(last, "`Migration` is not bound to a class the gate can read"))
        return shape
    shape.cls = cls
    for base in cls.bases:
        dotted = imports.dotted(base)
        if dotted in _BASE_MIGRATION or (dotted is not None and dotted.startswith("django.")):
            continue
        local = isinstance(base, ast.Name) and base.id in classes
        if local or _from_repo(base, imports, repo_module):
            shape.unread.append(Unread(base, f"the Migration class derives from `{ast.unparse(base)[:60]}`, "
                                             "whose operations and methods are not read"))
    shape.body = _both_branches(postgres_statements(cls.body))
    ops_values: list[ast.expr] = []
    for st in shape.body:
        if isinstance(st, ast.FunctionDef | ast.AsyncFunctionDef) and st.name in ("apply", "unapply", "__init__",
                                                                                   "__new__", "__getattribute__"):
            shape.unread.append(Unread(st, f"the Migration class defines `{st.name}()`"))
        elif isinstance(st, ast.Assign | ast.AnnAssign) and "operations" in bound_names(st):
            if isinstance(st, ast.Assign) and len(st.targets) == 1:
                ops_values.append(st.value)
            else:
                shape.unread.append(Unread(st, "`operations` is bound in a way the gate cannot read"))
        elif isinstance(st, ast.Expr) and isinstance(st.value, ast.Call) and _rooted(st.value.func, {"operations"}):
            shape.unread.append(Unread(st, "`operations` is changed after it is made"))
        elif not isinstance(st, ast.Assign | ast.AnnAssign | ast.Expr | ast.Pass | ast.FunctionDef
                            | ast.AsyncFunctionDef | ast.ClassDef) and "operations" in bound_names(st):
            shape.unread.append(Unread(st, "`operations` is changed or bound conditionally"))
    scope_values = _module_values(tree.body, shape.body)
    followed: set[str] = {"Migration", cls.name}
    for value in ops_values:  # a value bound in either branch of an `if`: each may run, each is judged
        shape.operations.extend(_elements(value, scope_values, followed, shape.unread, 0))
    shape.unread.extend(_mutations(tree, followed))
    return shape


def _both_branches(body: list[ast.stmt]) -> list[ast.stmt]:
    """A class body with each `if` the gate cannot decide replaced by both its branches (whichever
    runs, its operations are judged); dialect tests are already decided (postgres_statements)."""
    out: list[ast.stmt] = []
    for st in body:
        if isinstance(st, ast.If):
            out.extend(_both_branches(postgres_statements(st.body)))
            out.extend(_both_branches(postgres_statements(st.orelse)))
        else:
            out.append(st)
    return out


def _module_values(module: list[ast.stmt], cls_body: list[ast.stmt]) -> dict[str, ast.expr | None]:
    """Names bound once, by a plain assignment, in the module or the class: their value; a name
    bound more than once, or otherwise, maps to None (its value at run time is not known here)."""
    out: dict[str, ast.expr | None] = {}
    for st in [*module_statements(module), *cls_body]:
        names = bound_names(st)
        simple = st.value if isinstance(st, ast.Assign) and len(st.targets) == 1 \
            and isinstance(st.targets[0], ast.Name) else None
        for name in names:
            out[name] = simple if name not in out else None
    return out


def _elements(node: ast.expr, values: dict[str, ast.expr | None], followed: set[str], unread: list[Unread],
              depth: int) -> list[ast.expr]:
    """The operation expressions a list expression holds (lists, tuples, `+`, `*name`, names)."""
    if depth > _MAX_DEPTH:
        unread.append(Unread(node, "`operations` is nested too deeply to be read"))
        return []
    if isinstance(node, ast.List | ast.Tuple):
        out: list[ast.expr] = []
        for el in node.elts:
            if isinstance(el, ast.Starred):
                out.extend(_elements(el.value, values, followed, unread, depth + 1))
            else:
                out.append(_operation(el, values, followed, unread, depth + 1))
        return out
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return [*_elements(node.left, values, followed, unread, depth + 1),
                *_elements(node.right, values, followed, unread, depth + 1)]
    if isinstance(node, ast.Name) and values.get(node.id) is not None:
        followed.add(node.id)
        value = values[node.id]
        assert value is not None
        return _elements(value, values, followed, unread, depth + 1)
    unread.append(Unread(node, f"`operations` is built by `{' '.join(ast.unparse(node).split())[:60]}`"))
    return []


def _operation(node: ast.expr, values: dict[str, ast.expr | None], followed: set[str], unread: list[Unread],
               depth: int) -> ast.expr:
    """One operation: a call as written, or what a name bound once holds."""
    while isinstance(node, ast.Name) and values.get(node.id) is not None and depth <= _MAX_DEPTH:
        followed.add(node.id)
        value = values[node.id]
        assert value is not None
        node, depth = value, depth + 1
    if not isinstance(node, ast.Call):
        unread.append(Unread(node, f"the operation `{' '.join(ast.unparse(node).split())[:60]}` is not a call"))
    return node


def _mutations(tree: ast.Module, followed: set[str]) -> Iterator[Unread]:
    """Statements run at import that change the Migration class or a list its operations come from:
    `Migration.operations.append(...)`, `OPS += [...]`, `OPS[0] = ...`, `setattr(Migration, ...)`."""
    for node in import_time(tree.body):
        if isinstance(node, ast.AugAssign) and _rooted(node.target, followed):
            yield Unread(node, "the operations are changed after they are made")
        elif isinstance(node, ast.Assign | ast.Delete) and any(
                isinstance(t, ast.Attribute | ast.Subscript) and _rooted(t, followed) for t in node.targets):
            yield Unread(node, "the operations are changed after they are made")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and _rooted(node.func.value, followed):
            yield Unread(node, "the operations are changed after they are made")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id in ("setattr", "delattr", "exec", "eval", "globals", "vars", "__import__"):
            yield Unread(node, f"`{node.func.id}()` runs when the migration is imported")


def _rooted(node: ast.expr, names: set[str]) -> bool:
    while isinstance(node, ast.Attribute | ast.Subscript):
        node = node.value
    return isinstance(node, ast.Name) and node.id in names


def _from_repo(node: ast.expr, imports: Imports, repo_module: Callable[[str], bool] | None) -> bool:
    """`node` names something imported from the repository's own code (a relative import, or a
    module `repo_module` finds in the repository)."""
    root = imports.root(node)
    if root is None or root not in imports.names:
        return False
    if root in imports.relative:
        return True
    dotted = imports.names[root]
    return repo_module is not None and not dotted.startswith("django.") and repo_module(dotted)


def custom_operation(call: ast.Call, tree: ast.Module, imports: Imports,
                     repo_module: Callable[[str], bool] | None) -> tuple[str | None, Unread | None]:
    """How to read an operation call whose class is not one of Django's by name: (the Django
    operation it stands for, None) for a subclass of one that only changes state or wording;
    (None, Unread) for a class of the module or the repository whose database code is not read;
    (None, None) for an installed package's operation (not judged, as before)."""
    f = call.func
    dotted = imports.dotted(f)
    if dotted is not None and dotted.startswith("django."):
        return None, None
    classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
    functions = {n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}
    text = " ".join(ast.unparse(f).split())[:60]
    if isinstance(f, ast.Name) and f.id in classes:
        cls = classes[f.id]
        methods = {st.name for st in cls.body if isinstance(st, ast.FunctionDef | ast.AsyncFunctionDef)
                   and not (st.name in ("database_forwards", "database_backwards") and _only_super(st))}
        known = [b for b in cls.bases if _base_name(b) in DJANGO_OPERATIONS]
        if methods <= _STATE_ONLY_METHODS and known:
            return _base_name(known[0]), None
        if methods <= _STATE_ONLY_METHODS and all(_base_name(b) == "Operation" for b in cls.bases):
            return None, None  # an operation that only changes Django's state: nothing runs
        return None, Unread(call, f"the operation `{text}` is a class this migration defines, whose database "
                                  "code is not read")
    if isinstance(f, ast.Name) and f.id in functions:
        return None, Unread(call, f"the operations `{text}` returns are not read")
    if _from_repo(f, imports, repo_module):
        return None, Unread(call, f"the operation `{text}` comes from the repository's own code, which is not read")
    return None, None


def _only_super(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A `database_forwards` that only asks the database what exists and runs its base class's
    (`if table in introspection.table_names(): super().database_forwards(...)`)."""
    for node in ast.walk(fn):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Call) and call_text(f.value) == "super" \
                and f.attr == fn.name:
            continue
        text = call_text(node)
        if text == "super" or ".introspection." in f".{text}" or text.endswith(("get_model", "_meta.get_field")):
            continue
        return False
    return True


def call_text(node: ast.Call) -> str:
    return " ".join(ast.unparse(node.func).split())


def _base_name(node: ast.expr) -> str:
    return node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else ""
