"""A Django RunPython migration must not empty or drop an existing table unjudged (review5 R5-6).

Before: the gate read only SQL strings a RunPython *module function* passed to execute(); a lambda
or a method of a class in the migration was not read at all, and Django's own ways of destroying
data (`Model.objects.all().delete()`, `schema_editor.delete_model`, `schema_editor.remove_field`)
were never judged, so each passed at the default policy. Now they are DELETE / DROP TABLE / DROP
COLUMN operations of the model's table.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sec_support import PrRepo, assert_no_defect, check

INITIAL = '''from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [
        migrations.CreateModel(name="User", fields=[("id", models.AutoField(primary_key=True)),
                                                    ("email", models.TextField())]),
    ]
'''
BASE = {"app/__init__.py": "", "app/migrations/__init__.py": "", "app/migrations/0001_initial.py": INITIAL}

HEAD = '''from django.db import migrations

{body}


class Migration(migrations.Migration):
    dependencies = [("app", "0001_initial")]
    operations = [migrations.RunPython({code}, migrations.RunPython.noop)]
'''
CASES = {
    "orm-delete-all": ("def purge(apps, schema_editor):\n    User = apps.get_model('app', 'User')\n"
                       "    User.objects.all().delete()", "purge", "migrations/delete-all-rows"),
    "delete-model": ("def purge(apps, schema_editor):\n    schema_editor.delete_model(apps.get_model('app', 'User'))",
                     "purge", "migrations/drop-table"),
    "remove-field": ("def purge(apps, schema_editor):\n    User = apps.get_model('app', 'User')\n"
                     "    schema_editor.remove_field(User, User._meta.get_field('email'))", "purge",
                     "migrations/drop-column"),
    "lambda": ("", "lambda apps, se: se.execute('DROP TABLE app_user')", "migrations/drop-table"),
    "staticmethod": ("class H:\n    @staticmethod\n    def go(apps, se):\n        se.execute('DROP TABLE app_user')",
                     "H.go", "migrations/drop-table"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_runpython_destroying_data_blocks(tmp_path: Path, case: str) -> None:
    body, code, rule = CASES[case]
    repo = PrRepo.make(tmp_path / "ws", BASE, {"app/migrations/0002_purge.py": HEAD.format(body=body, code=code)})
    done = check(repo.path, "--base", repo.base, "--gates", "migrations", "--replay", "off", home=tmp_path)
    assert_no_defect(done)
    assert [f["severity"] for f in done.findings(rule)] == ["critical"], done.findings()
    assert done.code == 1


def test_a_filtered_orm_delete_is_not_a_delete_of_every_row(tmp_path: Path) -> None:
    body = ("def purge(apps, schema_editor):\n    User = apps.get_model('app', 'User')\n"
            "    User.objects.filter(email='').delete()")
    repo = PrRepo.make(tmp_path / "ws", BASE, {"app/migrations/0002_purge.py": HEAD.format(body=body, code="purge")})
    done = check(repo.path, "--base", repo.base, "--gates", "migrations", "--replay", "off", home=tmp_path)
    assert_no_defect(done)
    assert not done.findings("migrations/delete-all-rows"), done.findings()
