"""The import layering STYLE.md promises, held by reading every module's imports (ast, no import).

Dependencies point one way: `cli`/`action` -> `engine` -> `gates` -> `workspace` and `model`.
`render` sees only the model (and the scorecard and rule catalog it presents); `github` moves the
bytes `render` made and never sees a gate. Imports inside functions (lazy imports) count too, and so
does `importlib.import_module("readiness....")` with a literal name.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"
PACKAGE = "readiness"


@dataclass(frozen=True, slots=True)
class Module:
    name: str
    path: Path
    imports: frozenset[str]


def _resolve(package: str, level: int, module: str | None) -> str:
    parts = package.split(".")
    base = parts[: len(parts) - (level - 1)]
    return ".".join([*base, module] if module else base)


def _imports(path: Path, name: str) -> frozenset[str]:
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(package, node.level, node.module) if node.level else (node.module or "")
            found.add(target)
            # `from readiness import engine` imports the submodule `readiness.engine`.
            found.update(f"{target}.{alias.name}" for alias in node.names)
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr == "import_module" and node.args
              and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            found.add(node.args[0].value)
    return frozenset(m for m in found if m == PACKAGE or m.startswith(PACKAGE + "."))


def _modules() -> dict[str, Module]:
    modules: dict[str, Module] = {}
    for path in sorted((SRC / PACKAGE).rglob("*.py")):
        parts = path.relative_to(SRC).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        modules[name] = Module(name, path, _imports(path, name))
    return modules


MODULES = _modules()


def _within(name: str, layer: str) -> bool:
    full = f"{PACKAGE}.{layer}"
    return name == full or name.startswith(full + ".")


def _violations(layer: str, forbidden: tuple[str, ...]) -> list[str]:
    return sorted(f"{module.name} imports {imported}"
                  for module in MODULES.values() if _within(module.name, layer)
                  for imported in module.imports
                  if any(_within(imported, other) for other in forbidden))


# (layer, the layers it must never import, why)
RULES: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("gates", ("render", "github", "engine", "cli", "action", "runner", "waivers"),
     "a gate returns findings; presenting, publishing and waiving them happen above it"),
    ("render", ("gates", "github", "engine", "cli", "action", "runner", "workspace", "waivers"),
     "rendering is pure: Report -> str"),
    ("github", ("gates", "engine", "cli", "runner", "workspace", "waivers", "config"),
     "the publisher moves rendered bytes and never judges"),
    ("workspace", ("gates", "render", "github", "engine", "cli", "action", "runner", "waivers",
                   "config"),
     "the workspace is the bottom layer gates read through"),
    ("engine", ("render", "github", "cli", "action"),
     "the engine settles the verdict with no I/O; publishing is a separate layer"),
    ("waivers", ("render", "github", "engine", "cli", "action", "gates"),
     "waivers match findings, whoever made them"),
)


@pytest.mark.parametrize(("layer", "forbidden", "why"), RULES, ids=[rule[0] for rule in RULES])
def test_layer_never_imports_the_layers_above_or_beside_it(layer: str, forbidden: tuple[str, ...],
                                                           why: str) -> None:
    assert any(_within(name, layer) for name in MODULES), f"no modules found for layer {layer!r}"
    assert _violations(layer, forbidden) == [], why


def test_the_model_imports_nothing_of_the_package() -> None:
    assert MODULES[f"{PACKAGE}.model"].imports == frozenset()


ENTRY_POINTS = ("cli", "action")
"""The command line and the Action: they run the engine and the publishers, nothing runs them."""
BELOW_THE_ENTRY_POINTS = ("engine", "gates", "render", "github", "workspace", "config", "model", "errors",
                          "rules", "waivers", "watchdog", "runner", "score", "replay")


def test_nothing_below_the_entry_points_imports_them() -> None:
    assert [v for layer in BELOW_THE_ENTRY_POINTS for v in _violations(layer, ENTRY_POINTS)] == []


def test_the_walker_sees_relative_lazy_and_dynamic_imports(tmp_path: Path) -> None:
    source = tmp_path / "mod.py"
    source.write_text("from ..model import Finding\n"
                      "def f():\n    from readiness.render import text\n"
                      "    importlib.import_module('readiness.github.publish')\n", encoding="utf-8")
    assert _imports(source, "readiness.gates.mod") >= {
        "readiness.model", "readiness.render.text", "readiness.github.publish"}
