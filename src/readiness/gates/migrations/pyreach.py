"""Which code of a Python migration can run when its entry point runs, read from its text (never
imported): the functions, methods and lambdas of the module that the entry point (Alembic's
`upgrade()`, a Django RunPython function) can reach by any route Python offers — a call by name, a
method looked up on any object (`H().go()`, `self.go()`, `cls.go()`), a function passed as a value
(`map(f, ...)`, `functools.partial(f)`, `{"k": f}`), a lambda kept in a module constant, the special
methods a class runs implicitly (`__init__`, `__enter__`, `__call__`, ...).

The answer over-approximates on purpose: a name or attribute the reached code mentions reaches every
definition of that name in the module. What the text cannot settle (`globals()`, `vars()`, code run
from a string, a module loaded by name) reaches everything, and `dynamic_code` names it so the reader
fails closed."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from typing import NamedTuple

Unit = ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
"""A piece of code that runs only when it is called."""

_EVERYTHING = frozenset({"globals", "locals", "vars", "__dict__", "__globals__", "__code__", "__getattribute__",
                         "__closure__", "f_globals", "f_locals"})
"""Names that reach any function of the module by a name the text does not spell."""
_MODULE_HOOKS = frozenset({"__getattr__", "__dir__"})
"""Module functions Python calls itself (PEP 562): a migration runner's `getattr(module, "branch_labels",
None)` runs the module's `__getattr__`."""
_METHODS = "\0methods"
"""Mentioned by `getattr(x, <not a constant>)`: any method of any class."""
_CODE_FROM_TEXT = frozenset({"exec", "eval", "compile", "__import__", "__builtins__", "FunctionType", "CodeType"})
"""Python's own names that run code the migration's text does not hold (as a bare name: `re.compile`
is harmless)."""
_CODE_MODULES = frozenset({"builtins", "importlib", "imp", "runpy", "subprocess", "marshal", "pickle", "dill",
                           "ctypes", "cffi"})
"""Modules that run code (or a program) the text does not hold, or load a module by name: flagged
where they are imported (a local variable may share the name: saleor's `ctypes = set()`)."""
_CODE_ATTRS = frozenset({"import_module", "exec_module", "load_module", "run_path", "run_module", "FunctionType",
                         "CodeType", "__import__"})
"""Attributes that load a module or make a function from code objects, under any owner."""
_OWNED = {"sys": frozenset({"modules"}), "os": frozenset({"system", "popen", "execv", "execve", "execl", "execvp",
                                                         "spawnl", "spawnv", "posix_spawn", "startfile"})}
"""`<module>.<attribute>` that loads a module by name or runs a program."""


class Reached(NamedTuple):
    """What the entry point can reach."""

    units: list[Unit]
    """The module's functions, methods and lambdas it can call (outermost first, in source order)."""
    dynamic_code: list[tuple[ast.AST, str]]
    """Where reached code runs code or loads modules the text does not show, and what it uses."""


class Module:
    """The definitions of one module, indexed once; `reach` answers for any entry point."""

    def __init__(self, tree: ast.Module) -> None:
        self.tree = tree
        self.defs: dict[str, list[ast.FunctionDef | ast.AsyncFunctionDef]] = {}
        self.classes: dict[str, list[ast.ClassDef]] = {}
        self.values: dict[str, list[ast.expr]] = {}
        self.units: list[Unit] = []
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                self.defs.setdefault(node.name, []).append(node)
                self.units.append(node)
            elif isinstance(node, ast.Lambda):
                self.units.append(node)
            elif isinstance(node, ast.ClassDef):
                self.classes.setdefault(node.name, []).append(node)
            elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign | ast.NamedExpr) \
                    and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for t in targets:
                    for n in ast.walk(t):
                        if isinstance(n, ast.Name):
                            self.values.setdefault(n.id, []).append(node.value)
                        elif isinstance(n, ast.Attribute):  # self.handler = lambda: ...
                            self.values.setdefault(n.attr, []).append(node.value)
        self.units.sort(key=_position)
        self.code_names = _CODE_FROM_TEXT | {(a.asname or a.name).split(".")[0] for node in ast.walk(tree)
                                             if isinstance(node, ast.Import | ast.ImportFrom) for a in node.names
                                             if (a.name if isinstance(node, ast.Import) else node.module or "")
                                             .split(".")[0] in _CODE_MODULES}
        """Names that stand for code run from text: Python's own, and those imported from `_CODE_MODULES`."""
        self.hooks = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name in _MODULE_HOOKS]
        """The module functions Python calls itself (`_MODULE_HOOKS`)."""

    def reach(self, seeds: Iterable[ast.AST], *, shallow: Iterable[ast.AST] = ()) -> Reached:
        """The units reachable from `seeds` (walked whole) and `shallow` (nodes taken one by one, as
        `pymodules.import_time` yields them: what the module runs as it is imported)."""
        reached: dict[int, Unit] = {}
        dynamic: list[tuple[ast.AST, str]] = []
        names: set[str] = set()
        every = False
        hooks = self.hooks
        todo: list[Iterator[ast.AST]] = [ast.walk(s) for s in [*seeds, *hooks]]
        reached.update((id(h), h) for h in hooks)
        todo.append(iter(list(shallow)))
        while todo:
            for node in todo.pop():
                new = _mentions(node, dynamic, self.code_names)
                if new is None:
                    every = True
                    continue
                for name in new - names:
                    names.add(name)
                    if name == _METHODS:
                        todo.extend(ast.walk(m) for m in self._methods() if id(m) not in reached)
                        reached.update((id(m), m) for m in self._methods())
                    for unit in self._named(name):
                        if id(unit) not in reached:
                            reached[id(unit)] = unit
                            todo.append(ast.walk(unit))
                    todo.extend(ast.walk(value) for value in self.values.get(name, ()))
                if isinstance(node, ast.Lambda) and id(node) not in reached:
                    reached[id(node)] = node  # a lambda in reached code or in a reached value
        if every:
            return Reached(list(self.units), dynamic)
        return Reached(sorted(reached.values(), key=_position), dynamic)  # not a scan of all units: per call

    def _methods(self) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
        for classes in self.classes.values():
            for cls in classes:
                yield from (i for i in cls.body if isinstance(i, ast.FunctionDef | ast.AsyncFunctionDef))

    def _named(self, name: str) -> Iterator[Unit]:
        yield from self.defs.get(name, ())
        for cls in self.classes.get(name, ()):  # a class used: what it runs implicitly
            for item in ast.walk(cls):
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and item.name.startswith("__") \
                        and item.name.endswith("__"):
                    yield item


def parents(tree: ast.AST) -> dict[int, ast.AST]:
    """Each node's parent, by the child's id."""
    return {id(child): node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def taken_as_values(nodes: Iterable[ast.AST], up: dict[int, ast.AST], attrs: frozenset[str]) -> Iterator[ast.Attribute]:
    """The attributes named in `attrs` (methods that run SQL) that `nodes` read other than to call
    them: `run = cursor.execute`, `map(schema_editor.execute, ...)`."""
    for node in nodes:
        if isinstance(node, ast.Attribute) and node.attr in attrs and isinstance(node.ctx, ast.Load):
            parent = up.get(id(node))
            if not (isinstance(parent, ast.Call) and parent.func is node):
                yield node


def _position(unit: Unit) -> tuple[int, int, int]:
    """Source order, a unit before the units inside it."""
    return unit.lineno, unit.col_offset, -(unit.end_lineno or 0)


def _mentions(node: ast.AST, dynamic: list[tuple[ast.AST, str]], code_names: frozenset[str]) -> set[str] | None:
    """The names `node` mentions (a name, an attribute, a constant `getattr` name), noting in
    `dynamic` what runs code the text does not hold; None when it can reach any function of the
    module (`globals()`); `_METHODS` for any method (`getattr(x, name)`)."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
            and node.func.id in ("getattr", "hasattr", "setattr", "delattr") and len(node.args) > 1:
        attr = node.args[1]
        if isinstance(attr, ast.Constant) and isinstance(attr.value, str):
            return {attr.value}
        return {_METHODS}  # any attribute of an object: any method
    if isinstance(node, ast.ImportFrom):
        top = (node.module or "").split(".")[0]
        if top in _CODE_MODULES:
            dynamic.append((node, top))
        return set()
    if isinstance(node, ast.alias):
        top = node.name.split(".")[0]
        if top in _CODE_MODULES:
            dynamic.append((node, node.name))
        return {node.asname or top}
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in _EVERYTHING:
        return None
    if isinstance(node, ast.Name):
        word = node.id
        if word in code_names:
            dynamic.append((node, word))
    elif isinstance(node, ast.Attribute):
        word = node.attr
        owner = node.value.id if isinstance(node.value, ast.Name) else None
        if word in _CODE_ATTRS or word in _OWNED.get(owner or "", ()):
            dynamic.append((node, f"{owner}.{word}" if owner else word))
    else:
        return set()
    return None if word in _EVERYTHING else {word}
