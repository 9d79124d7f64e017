"""scripts/new_rule.py, run in a temporary copy of the repository: a page, a registered check, fixtures."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from readiness.rules.catalog import Catalog

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "new_rule.py"


@pytest.fixture(scope="module")
def copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("repo")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(REPO / "src", root / "src", ignore=ignore)
    shutil.copytree(REPO / "checks", root / "checks", ignore=ignore)
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    return root


def _scaffold(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), *args, "--root", str(root)], capture_output=True, text=True,
                          timeout=120, check=False)


def test_a_migrations_rule_is_a_page_a_registered_check_and_fixtures(copy: Path) -> None:
    done = _scaffold(copy, "migrations", "drop-trigger", "--action", "drop_object", "--action", "create_trigger")
    assert done.returncode == 0, done.stderr
    page = copy / "checks" / "migrations" / "drop-trigger.md"
    module = copy / "src" / "readiness" / "gates" / "migrations" / "checks" / "drop_trigger.py"
    fixtures = copy / "tests" / "fixtures" / "migrations" / "drop-trigger"
    assert page.is_file() and module.is_file()
    assert sorted(p.name for p in fixtures.iterdir()) == ["bad.sql", "good.sql"]
    rule = Catalog(copy / "checks").get("migrations/drop-trigger")
    assert rule.severity.value == "low" and [e.kind for e in rule.examples] == ["bad", "good"]
    # the copy's package registers the new check with no other file edited, and its page is found
    probe = ("from readiness.gates.migrations.checks import REGISTRY, Phase\n"
             "from readiness.gates.migrations.ops import Action\n"
             "from readiness.rules.catalog import catalog\n"
             "names = {a: [f.__name__ for f in REGISTRY.checks[Phase.TABLE].get(a, [])] for a in Action}\n"
             "assert 'drop_trigger' in names[Action.DROP_OBJECT] and 'drop_trigger' in names[Action.CREATE_TRIGGER]\n"
             "assert 'migrations/drop-trigger' in catalog().used\n")
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=False,
                         cwd=copy, env={"PYTHONPATH": str(copy / "src"), "PATH": "/usr/bin:/bin"})
    assert run.returncode == 0, run.stderr


def test_it_refuses_to_overwrite_and_to_guess(copy: Path) -> None:
    assert _scaffold(copy, "migrations", "json-column", "--action", "add_column").returncode != 0  # exists
    no_action = _scaffold(copy, "migrations", "brand-new")
    assert no_action.returncode != 0 and "--action" in no_action.stderr
    assert _scaffold(copy, "migrations", "ban-things", "--action", "add_column").returncode != 0
    assert _scaffold(copy, "migrations", "typo", "--action", "add_colum").returncode != 0
    assert not (copy / "checks" / "migrations" / "typo.md").exists()


def test_other_gates_get_a_page_and_fixtures(copy: Path) -> None:
    done = _scaffold(copy, "docs", "runbook-without-owner")
    assert done.returncode == 0, done.stderr
    assert (copy / "checks" / "docs" / "runbook-without-owner.md").is_file()
    assert (copy / "tests" / "fixtures" / "docs" / "runbook-without-owner" / "bad.md").is_file()
