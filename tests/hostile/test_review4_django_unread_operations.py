"""A pull request must not hide a Django operation where the gate does not read.

Before: only `operations = [<literal calls>]` in a class named `Migration` was read. Operations built
by `+=`, appended after the class (`Migration.operations.append(...)`), a class bound to the name
`Migration` under another name, operations inherited from a base migration class, and a custom
`Operation` subclass (defined in the migration, or imported from the repository's own modules) all
passed at the default policy with no finding, though Django runs every one of them. Now names,
concatenations and `*` unpacking are followed, and what cannot be read fails closed
(`migrations/dynamic-sql`, critical when the PR adds it).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sec_support import Done, PrRepo, assert_no_defect, check

INITIAL = ("from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n"
           "    initial = True\n    dependencies = []\n    operations = [migrations.CreateModel(name='User', "
           "fields=[('id', models.AutoField(primary_key=True)), ('email', models.TextField())])]\n")
BASE = {"app/__init__.py": "", "app/migrations/__init__.py": "", "app/migrations/0001_initial.py": INITIAL}
HEAD = "from django.db import migrations\n\n\n"
DEPS = "    dependencies = [('app', '0001_initial')]\n"
DROP = "migrations.DeleteModel(name='User')"
CUSTOM = ("from django.db.migrations.operations.base import Operation\n\n\nclass Drop(Operation):\n"
          "    def state_forwards(self, app_label, state):\n        pass\n\n"
          "    def database_forwards(self, app_label, schema_editor, from_state, to_state):\n"
          "        schema_editor.execute('DROP TABLE app_user')\n")

CASES: dict[str, tuple[dict[str, str], str]] = {
    "augmented": ({}, f"{HEAD}class Migration(migrations.Migration):\n{DEPS}    operations = []\n"
                      f"    operations += [{DROP}]\n"),
    "appended-later": ({}, f"{HEAD}class Migration(migrations.Migration):\n{DEPS}    operations = []\n\n\n"
                           f"Migration.operations.append({DROP})\n"),
    "comprehension": ({}, f"{HEAD}class Migration(migrations.Migration):\n{DEPS}"
                          f"    operations = [{DROP} for _ in range(1)]\n"),
    "function-call": ({}, f"{HEAD}def ops():\n    return [{DROP}]\n\n\nclass Migration(migrations.Migration):\n"
                          f"{DEPS}    operations = ops()\n"),
    "inherited": ({}, f"{HEAD}class Base(migrations.Migration):\n    operations = [{DROP}]\n\n\n"
                      f"class Migration(Base):\n{DEPS}"),
    "base-from-repository": ({"app/base.py": f"{HEAD}class Base(migrations.Migration):\n    operations = [{DROP}]\n"},
                             f"from app.base import Base\n\n\nclass Migration(Base):\n{DEPS}"),
    "custom-operation": ({}, f"{CUSTOM}\n\nclass Migration(migrations.Migration):\n{DEPS}    operations = [Drop()]\n"),
    "operation-from-repository": ({"app/ops.py": CUSTOM},
                                  f"{HEAD}from app.ops import Drop\n\n\nclass Migration(migrations.Migration):\n"
                                  f"{DEPS}    operations = [Drop()]\n"),
    "relative-import": ({"app/ops.py": CUSTOM},
                        f"{HEAD}from ..ops import Drop\n\n\nclass Migration(migrations.Migration):\n"
                        f"{DEPS}    operations = [Drop()]\n"),
    "shadowing-name": ({}, CUSTOM.replace("Drop", "RunSQL") + "\n\nclass Migration(migrations.Migration):\n"
                           f"{DEPS}    operations = [RunSQL('SELECT 1')]\n"),
    "database-operations": ({}, f"{HEAD}class Migration(migrations.Migration):\n{DEPS}"
                                f"    operations = [migrations.SeparateDatabaseAndState("
                                f"database_operations=[{DROP}][::1])]\n"),
    "runpython-from-repository": ({"app/data.py": "def purge(apps, schema_editor):\n"
                                                  "    schema_editor.execute('DROP TABLE app_user')\n"},
                                  f"{HEAD}from app.data import purge\n\n\nclass Migration(migrations.Migration):\n"
                                  f"{DEPS}    operations = [migrations.RunPython(purge)]\n"),
}
"""Each must fail closed (dynamic-sql)."""

READ: dict[str, str] = {
    "bound-elsewhere": f"{HEAD}OPS = [{DROP}]\n\n\nclass Migration(migrations.Migration):\n{DEPS}"
                       "    operations = OPS\n",
    "unpacked": f"{HEAD}OPS = [{DROP}]\n\n\nclass Migration(migrations.Migration):\n{DEPS}    operations = [*OPS]\n",
    "concatenated": f"{HEAD}A = []\nB = ({DROP},)\n\n\nclass Migration(migrations.Migration):\n{DEPS}"
                    "    operations = A + [*B]\n",
    "other-name": f"{HEAD}class M(migrations.Migration):\n{DEPS}    operations = [{DROP}]\n\n\nMigration = M\n",
    "either-branch": f"{HEAD}import os\n\n\nclass Migration(migrations.Migration):\n{DEPS}"
                     f"    if os.environ.get('X'):\n        operations = []\n"
                     f"    else:\n        operations = [{DROP}]\n",
    "import-time-execute": f"{HEAD}from django.db import connection\n\n"
                           "connection.cursor().execute('DROP TABLE app_user')\n\n\n"
                           f"class Migration(migrations.Migration):\n{DEPS}    operations = []\n",
}
"""Each is read: the drop itself is found."""


def _run(tmp_path: Path, extra: dict[str, str], migration: str) -> tuple[Done, list[dict[str, object]]]:
    repo = PrRepo.make(tmp_path / "ws", BASE, {**extra, "app/migrations/0002_x.py": migration})
    done = check(repo.path, "--base", repo.base, "--gates", "migrations", "--replay", "off", home=tmp_path)
    assert_no_defect(done)
    return done, done.findings()


@pytest.mark.parametrize("case", sorted(CASES))
def test_what_cannot_be_read_fails_closed(tmp_path: Path, case: str) -> None:
    extra, migration = CASES[case]
    done, _ = _run(tmp_path, extra, migration)
    found = done.findings("migrations/dynamic-sql")
    assert found and all(f["severity"] == "critical" for f in found), done.findings()
    assert done.code == 1


@pytest.mark.parametrize("case", sorted(READ))
def test_operations_built_from_names_are_read(tmp_path: Path, case: str) -> None:
    done, findings = _run(tmp_path, {}, READ[case])
    assert done.findings("migrations/drop-table"), findings
    assert done.code == 1


def test_django_and_contrib_operations_and_a_state_only_subclass_pass(tmp_path: Path) -> None:
    migration = (
        "from django.contrib.postgres.operations import TrigramExtension\n"
        "from django.db import migrations, models\n\n\n"
        "class Rename(migrations.AlterModelOptions):\n    def describe(self):\n        return 'options'\n\n\n"
        "def forwards(apps, schema_editor):\n    pass\n\n\n"
        f"class Migration(migrations.Migration):\n{DEPS}    operations = [\n        TrigramExtension(),\n"
        "        Rename(name='user', options={}),\n"
        "        migrations.RunPython(forwards, migrations.RunPython.noop),\n"
        "        migrations.AddField(model_name='user', name='nick', field=models.TextField(null=True)),\n    ]\n")
    done, findings = _run(tmp_path, {}, migration)
    assert not done.findings("migrations/dynamic-sql"), findings
    assert done.code == 0, findings
