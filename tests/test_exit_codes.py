"""Exit codes live in one table (`readiness.exit_codes`); the README's table and the CLI agree with it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from readiness.errors import ConfigError, ReadinessError, UsageError
from readiness.exit_codes import MEANING, ExitCode, verdict_exit
from readiness.gates.deps.osv_db import OsvDbError

ROOT = Path(__file__).resolve().parent.parent
ROW = re.compile(r"^\| (\d+) \| (.+) \|$")


def readme_table() -> dict[int, str]:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    start = lines.index("| exit code | meaning |")
    rows: dict[int, str] = {}
    for line in lines[start + 2:]:
        match = ROW.match(line)
        if match is None:
            break
        rows[int(match[1])] = match[2]
    return rows


def test_readme_exit_code_table_is_the_code_table() -> None:
    assert readme_table() == {int(code): text for code, text in MEANING.items()}


def test_every_exit_code_has_a_meaning() -> None:
    assert set(MEANING) == set(ExitCode)


def test_errors_name_their_exit_code_from_the_table() -> None:
    assert UsageError("x").exit_code is ExitCode.USAGE
    assert ConfigError("x").exit_code is ExitCode.USAGE
    assert ReadinessError("x").exit_code is ExitCode.INTERNAL
    assert OsvDbError("x").exit_code is ExitCode.FAIL


def test_verdict_maps_to_fail_or_ok() -> None:
    assert verdict_exit("fail") is ExitCode.FAIL
    assert verdict_exit("pass") is ExitCode.OK


ENTRY_POINTS = ("cli.py", "action.py", "publish_report.py")
"""The modules whose functions return exit codes: the CLI, and the action it runs."""


@pytest.mark.parametrize("module", ENTRY_POINTS)
def test_entry_points_return_no_bare_numbers(module: str) -> None:
    """Every `return` names an `ExitCode` (or passes one through), never a literal."""
    tree = ast.parse((ROOT / "src/readiness" / module).read_text(encoding="utf-8"))
    literals = [node.lineno for node in ast.walk(tree)
                if isinstance(node, ast.Return) and isinstance(node.value, ast.Constant)
                and type(node.value.value) is int]
    assert literals == []


@pytest.mark.parametrize(("module", "functions"), [
    ("action.py", {"run_action", "_run", "deliver"}), ("publish_report.py", {"publish_report"})])
def test_the_actions_exit_paths_are_typed_as_the_table(module: str, functions: set[str]) -> None:
    """Declared `-> ExitCode`, so mypy --strict holds every return path of `readiness action` to the
    table (tests/action/test_action_exit_codes.py runs each path)."""
    tree = ast.parse((ROOT / "src/readiness" / module).read_text(encoding="utf-8"))
    returns = {node.name: ast.unparse(node.returns) if node.returns else None for node in ast.walk(tree)
               if isinstance(node, ast.FunctionDef) and node.name in functions}
    assert returns == dict.fromkeys(functions, "ExitCode")
