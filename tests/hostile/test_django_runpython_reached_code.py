"""A Django RunPython migration must not hide destructive code behind a route the reader did not follow.

Before: the reader judged the one function RunPython names (a module function, a lambda, `Cls.method`).
A helper that function calls, an instance method (`RunPython(H().go)`), a `functools.partial`, a
method reached through `self` / a nested class, a lambda kept in a module constant, and code loaded
by name (`importlib`, `subprocess`) all dropped or emptied an existing table and passed at the
default policy with no finding. Now every function of the module the RunPython code can reach is
judged, and code run from text or loaded by name fails closed (`migrations/dynamic-sql`).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sec_support import PrRepo, assert_no_defect, check
from test_django_runpython_effects import BASE  # app/migrations/0001_initial.py: the model User

HEAD = '''from django.db import migrations
{imports}

{body}


class Migration(migrations.Migration):
    dependencies = [("app", "0001_initial")]
    operations = [migrations.RunPython({code}, migrations.RunPython.noop)]
'''
DROP = "se.execute('DROP TABLE app_user')"
CASES: dict[str, tuple[str, str, str, str]] = {
    "helper": ("", f"def _drop(se):\n    {DROP}\n\n\ndef forwards(apps, se):\n    _drop(se)", "forwards",
               "drop-table"),
    "helper-orm": ("", "def _purge(model):\n    model.objects.all().delete()\n\n\ndef forwards(apps, se):\n"
                   "    _purge(apps.get_model('app', 'User'))", "forwards", "delete-all-rows"),
    "instance-method": ("", f"class H:\n    def go(self, apps, se):\n        {DROP}", "H().go", "drop-table"),
    "self-chain": ("", f"class H:\n    def go(self, apps, se):\n        self._drop(se)\n\n    def _drop(self, se):\n"
                   f"        {DROP}", "H().go", "drop-table"),
    "partial": ("import functools", "def forwards(apps, se, table):\n    se.execute('DROP TABLE ' + table)",
                "functools.partial(forwards, table='app_user')", "drop-table"),
    "nested-class": ("", f"class Outer:\n    class Inner:\n        @staticmethod\n        def go(apps, se):\n"
                     f"            {DROP}", "Outer.Inner.go", "drop-table"),
    "module-lambda": ("", f"FORWARDS = lambda apps, se: {DROP}", "FORWARDS", "drop-table"),
    "execute-value": ("", "def forwards(apps, se):\n    run = se.execute\n    run('DROP TABLE app_user')", "forwards",
                      "dynamic-sql"),
    "map-execute": ("", "def forwards(apps, se):\n    list(map(se.execute, ['DROP TABLE app_user']))", "forwards",
                    "dynamic-sql"),
    "importlib": ("import importlib", "def forwards(apps, se):\n    importlib.import_module('app.purge').run(se)",
                  "forwards", "dynamic-sql"),
    "subprocess": ("import subprocess", "def forwards(apps, se):\n    subprocess.run(['psql', '-c', 'DROP TABLE x'])",
                   "forwards", "dynamic-sql"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_runpython_reached_code_blocks(tmp_path: Path, case: str) -> None:
    imports, body, code, rule = CASES[case]
    text = HEAD.format(imports=imports, body=body, code=code)
    repo = PrRepo.make(tmp_path / "ws", BASE, {"app/migrations/0002_purge.py": text})
    done = check(repo.path, "--base", repo.base, "--gates", "migrations", "--replay", "off", home=tmp_path)
    assert_no_defect(done)
    found = done.findings(f"migrations/{rule}")
    assert found and all(f["severity"] == "critical" for f in found), done.findings()
    assert done.code == 1, (done.code, done.findings())


HARMLESS = '''import re

from django.db import migrations


def _slug(value):
    return re.sub(r"[^a-z]+", "-", value.lower())


def _drop_everything(apps, schema_editor):
    schema_editor.execute("DROP TABLE app_user")


class Backfill:
    def forwards(self, apps, schema_editor):
        User = apps.get_model("app", "User")
        for user in User.objects.filter(email__endswith="@old.example"):
            user.email = _slug(user.email)
            user.save(update_fields=["email"])

    def backwards(self, apps, schema_editor):
        _drop_everything(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("app", "0001_initial")]
    operations = [migrations.RunPython(Backfill().forwards, Backfill().backwards)]
'''


def test_a_harmless_backfill_with_helpers_stays_harmless(tmp_path: Path) -> None:
    # the reverse code (and the helper only it calls) drops a table; the forward code only edits rows
    repo = PrRepo.make(tmp_path / "ws", BASE, {"app/migrations/0002_backfill.py": HARMLESS})
    done = check(repo.path, "--base", repo.base, "--gates", "migrations", "--replay", "off", home=tmp_path)
    assert_no_defect(done)
    assert not [f for f in done.findings() if f["severity"] == "critical"], done.findings()
    assert done.code == 0, (done.code, done.findings())
