"""The repository's own Python modules, by dotted name: which module an import in a migration
names, and its text (read as text, never imported). A migration that calls its repository's code
runs what that code does; the readers use this to tell such a call from one into an installed
package, and to see whether the code it reaches can touch the database."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from readiness import lazyre
from readiness.gates.migrations.dynamic import _statements
from readiness.workspace import FileProblem, Workspace

_DATABASE = lazyre.compile(r"\balembic\b|get_bind\b|\.execute\s*\(|\bdrop_all\b|\bop\.\w+\s*\(|\bDrop[A-Z]\w*\s*\(")
"""Text that shows a module can run SQL of its own in a migration (Alembic's op, the connection,
execute, a metadata's drop_all, SQLAlchemy's DDL elements)."""
_MAX_BYTES = 1024 * 1024


def module_statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """The statements run when the module is imported, nested blocks included (not function or
    class bodies)."""
    return _statements(body)


class RepoModules:
    """The `.py` files of a workspace by the dotted name Python imports them as: from the topmost
    directory of their package chain (`warehouse/packaging/utils.py`, with `warehouse/__init__.py`,
    is `warehouse.packaging.utils`, not the installed `packaging.utils`); a file outside any package
    is a top-level module of its directory (`alembic/helpers.py` is `helpers`)."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self._paths: dict[str, str] | None = None
        self._trees: dict[str, ast.Module | None] = {}

    def _index(self) -> dict[str, str]:
        if self._paths is None:
            files = [f for f in self.ws.files() if f.endswith(".py")]
            packages = {f.rsplit("/", 1)[0] for f in files if f.endswith("/__init__.py")}
            paths: dict[str, str] = {}
            for f in files:
                parts = f[:-3].split("/")
                top = len(parts) - 1  # the file's own name; walk up while the directory is a package
                while top > 0 and "/".join(parts[:top]) in packages:
                    top -= 1
                dotted = parts[top:]
                if dotted[-1] == "__init__":
                    dotted.pop()
                if dotted:
                    paths.setdefault(".".join(dotted), f)
                if top == len(parts) - 1 and not any("/".join(parts[:i]) in packages for i in range(1, top + 1)):
                    # outside every package: a namespace package (PEP 420) may import it by its directories
                    for i in range(max(0, top - 3), top):
                        paths.setdefault(".".join(parts[i:]), f)
            self._paths = paths
        return self._paths

    def _split(self, dotted: str) -> tuple[str, list[str]] | None:
        """(the module's file, the names after the module) for `dotted`; None: not the repository's."""
        if dotted.startswith(("django.", "alembic.", "sqlalchemy.")):
            return None
        index = self._index()
        pieces = dotted.split(".")
        for i in range(len(pieces), 0, -1):
            found = index.get(".".join(pieces[:i]))
            if found is not None:
                return found, pieces[i:]
        return None

    def has(self, dotted: str) -> bool:
        """`dotted` names something in the repository's own Python."""
        return self._split(dotted) is not None

    def touches_database(self, dotted: str, depth: int = 0) -> bool:
        """What `dotted` (a function or class of a repository module) runs can run SQL itself: its
        text, or that of the module functions it calls, uses Alembic's op, a connection's execute,
        drop_all, ...; True too when it cannot be read or found (fails closed)."""
        split = self._split(dotted)
        if split is None:
            return False
        path, rest = split
        tree = self._tree(path)
        if tree is None or depth > 4:
            return True
        if not rest:
            return _DATABASE.search(ast.unparse(tree)) is not None
        defs: dict[str, ast.stmt] = {}
        for top in tree.body:
            for name in bound_names(top):
                defs[name] = top
        todo, seen = [rest[0]], set()
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            st = defs.get(name)
            if st is None:
                return True  # not defined here (a star import, a name made at run time): not known
            if isinstance(st, ast.ImportFrom | ast.Import):
                origin = _imported(st, name)
                if origin is not None and self.has(origin) and self.touches_database(origin, depth + 1):
                    return True
                continue
            if _DATABASE.search(ast.unparse(st)) is not None:
                return True
            todo.extend(n.id for n in ast.walk(st) if isinstance(n, ast.Name) and n.id in defs)
        return False

    def _tree(self, path: str) -> ast.Module | None:
        if path not in self._trees:
            try:
                self._trees[path] = ast.parse(self.ws.read_bytes(path, limit=_MAX_BYTES).decode("utf-8", "replace"))
            except (FileProblem, SyntaxError, ValueError, RecursionError, MemoryError):
                self._trees[path] = None
        return self._trees[path]


def _imported(st: ast.Import | ast.ImportFrom, name: str) -> str | None:
    """The dotted name an import statement binds `name` to (a relative import: None)."""
    for a in st.names:
        if (a.asname or a.name.split(".")[0]) == name:
            if isinstance(st, ast.Import):
                return a.name
            return f"{st.module}.{a.name}" if st.module and not st.level else None
    return None


class Imports:
    """The module's imports: a local name -> the dotted path it stands for."""

    def __init__(self, tree: ast.Module) -> None:
        self.names: dict[str, str] = {}
        self.relative: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.asname:
                        self.names[a.asname] = a.name
                    else:
                        top = a.name.split(".")[0]
                        self.names[top] = top
            elif isinstance(node, ast.ImportFrom):
                mod = node.module or ""
                for a in node.names:
                    local = a.asname or a.name
                    self.names[local] = f"{mod}.{a.name}" if mod else a.name
                    if node.level:
                        self.relative.add(local)

    def dotted(self, node: ast.expr) -> str | None:
        """`migrations.RunSQL` -> `django.db.migrations.RunSQL` (None: not rooted at an import)."""
        parts: list[str] = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name) or node.id not in self.names:
            return None
        return ".".join([self.names[node.id], *reversed(parts)])

    def root(self, node: ast.expr) -> str | None:
        while isinstance(node, ast.Attribute):
            node = node.value
        return node.id if isinstance(node, ast.Name) else None


def bound_names(st: ast.AST) -> set[str]:
    """The names a statement binds (an `if`/`try`/`while`: those its blocks bind)."""
    if isinstance(st, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
        return {st.name}
    targets: list[ast.AST] = []
    if isinstance(st, ast.Assign):
        targets = list(st.targets)
    elif isinstance(st, ast.AnnAssign | ast.AugAssign):
        targets = [st.target]
    elif isinstance(st, ast.For | ast.AsyncFor):
        targets = [st.target]
    elif isinstance(st, ast.With | ast.AsyncWith):
        targets = [i.optional_vars for i in st.items if i.optional_vars is not None]
    elif isinstance(st, ast.Import | ast.ImportFrom):
        return {(a.asname or a.name).split(".")[0] for a in st.names}
    elif isinstance(st, ast.Delete):
        targets = list(st.targets)
    elif isinstance(st, ast.If | ast.Try | ast.While):
        return {n for sub in module_statements([st]) if sub is not st for n in bound_names(sub)}
    return {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name) and not isinstance(t, ast.Attribute)
            and isinstance(n.ctx, ast.Store | ast.Del)}


def import_time(body: list[ast.stmt]) -> Iterator[ast.AST]:
    """Every node Python runs when it imports the module: not the bodies of functions and lambdas
    (a function's decorators and defaults do run)."""
    stack: list[ast.AST] = list(reversed(body))
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            stack.extend([*node.decorator_list, *node.args.defaults, *(d for d in node.args.kw_defaults if d)])
        elif isinstance(node, ast.Lambda):
            stack.extend([*node.args.defaults, *(d for d in node.args.kw_defaults if d)])
        else:
            stack.extend(reversed(list(ast.iter_child_nodes(node))))
