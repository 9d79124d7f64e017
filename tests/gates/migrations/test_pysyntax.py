"""Python migrations written for a newer Python than the tool's: PEP 758's `except A, B:`
(Python 3.14) is read as `except (A, B):`, not failed closed as a syntax error."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import factories
from readiness.gates.migrations import GATE
from readiness.gates.migrations.pysyntax import parse_python

PEP_758 = '''def forwards(apps, schema_editor):
    try:
        eval("1")
    except SyntaxError, ValueError:
        pass
    try:
        pass
    except* OSError, KeyError:  # a comment
        pass
'''


def test_unparenthesized_except_lists_parse_with_line_numbers_kept() -> None:
    tree = parse_python(PEP_758)
    handlers = [n for n in ast.walk(tree) if isinstance(n, ast.ExceptHandler)]
    assert [(h.lineno, ast.unparse(h.type)) for h in handlers if h.type is not None] == [
        (4, "(SyntaxError, ValueError)"), (8, "(OSError, KeyError)")]


@pytest.mark.parametrize("text", ["def f(:\n    pass\n", "try:\n    pass\nexcept A, B as e:\n    pass\n"])
def test_what_no_python_accepts_is_still_a_syntax_error(text: str) -> None:
    with pytest.raises(SyntaxError) as err:
        parse_python(text)
    assert err.value.lineno == (1 if text.startswith("def") else 3)


def test_a_django_migration_in_python_3_14_syntax_is_judged(tmp_path: Path) -> None:
    factories.write_file(tmp_path, "shop/migrations/0002_move.py", (
        "from django.db import migrations\n\n\n" + PEP_758 + "\n\nclass Migration(migrations.Migration):\n"
        "    dependencies = [('shop', '0001_initial')]\n"
        "    operations = [migrations.RunPython(forwards), migrations.DeleteModel(name='Order')]\n"))
    out = GATE.run(factories.gate_context(tmp_path, "migrations", {"replay": "off"}))
    rules = {f.rule for f in out.findings}
    assert "migrations/python-syntax-error" not in rules and "migrations/drop-table" in rules, rules
