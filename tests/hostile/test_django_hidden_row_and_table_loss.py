"""A Django migration must not empty or drop a base table through a model that only seems new, nor
through ORM spellings the reader did not model (review6a R6a-13, R6a-8, R6a-5's Django part).

Before: `CreateModel(..., options={'managed': False, 'db_table': 'app_user'})` counted as creating
`app_user`, though Django runs no SQL for an unmanaged model; `AlterModelOptions(options={})` makes
it managed again (no SQL either), and a following `DeleteModel` / `RemoveField` dropped the base
table / column and passed. In RunPython, `for u in M.objects.all(): u.delete()`, a comprehension of
instance deletes, `_raw_delete`, `filter()` / `exclude(pk=None)` / `filter(pk__in=<every pk>)` and a
manager method chosen by `getattr` emptied the table with no finding; instance `.save()` of every
row and `bulk_update` of all rows (an UPDATE of every row) had no finding at all. Now an unmanaged
(or proxy) model creates nothing and runs nothing, a model whose options cannot be read names a
table that is not new, and those ORM spellings are the DELETE / UPDATE of every row they are.
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
        migrations.CreateModel(name="User", fields=[("id", models.BigAutoField(primary_key=True)),
                                                    ("email", models.TextField()),
                                                    ("status", models.TextField())]),
    ]
'''
BASE = {"app/__init__.py": "", "app/migrations/__init__.py": "", "app/migrations/0001_initial.py": INITIAL}
OPS = '''from django.db import migrations, models

{module}

class Migration(migrations.Migration):
    dependencies = [("app", "0001_initial")]
    operations = [{ops}]
'''
FIELDS = "fields=[('id', models.BigAutoField(primary_key=True)), ('email', models.TextField())]"
SHADOW = f"migrations.CreateModel(name='Shadow', {FIELDS}, options={{'managed': False, 'db_table': 'app_user'}}), "
G = "def wipe(apps, se):\n    M = apps.get_model('app', 'User')\n"
RUN = "migrations.RunPython(wipe, migrations.RunPython.noop)"

ATTACKS: dict[str, tuple[str, str, str]] = {
    # R6a-13: a model that creates nothing, managed again
    "unmanaged-then-managed-delete": ("", SHADOW + "migrations.AlterModelOptions(name='Shadow', options={}), "
                                      "migrations.DeleteModel('Shadow')", "drop-table"),
    "unmanaged-then-managed-removefield": ("", SHADOW + "migrations.AlterModelOptions(name='Shadow', options={}), "
                                           "migrations.RemoveField('Shadow', 'email')", "drop-column"),
    "unmanaged-managed-true": ("", SHADOW + "migrations.AlterModelOptions(name='Shadow', options={'managed': True}), "
                               "migrations.DeleteModel('Shadow')", "drop-table"),
    "proxy-then-managed": ("", f"migrations.CreateModel(name='Shadow', {FIELDS}, options={{'proxy': True, "
                           "'db_table': 'app_user'}), migrations.AlterModelOptions(name='Shadow', options={}), "
                           "migrations.DeleteModel('Shadow')", "drop-table"),
    "options-unreadable": ("OPTS = dict(managed=False, db_table='app_user')\n",
                           f"migrations.CreateModel(name='Shadow', {FIELDS}, options=OPTS), "
                           "migrations.AlterModelOptions(name='Shadow', options={}), migrations.DeleteModel('Shadow')",
                           "drop-table"),
    "options-spread": ("OPTS = {'managed': False}\n",
                       f"migrations.CreateModel(name='Shadow', {FIELDS}, options={{**OPTS, 'db_table': 'app_user'}}), "
                       "migrations.AlterModelOptions(name='Shadow', options={}), migrations.DeleteModel('Shadow')",
                       "drop-table"),
    # R6a-8 / R6a-5: every row deleted through the ORM
    "loop-delete": (G + "    for u in M.objects.all():\n        u.delete()\n", RUN, "delete-all-rows"),
    "listcomp-delete": (G + "    [u.delete() for u in M.objects.iterator()]\n", RUN, "delete-all-rows"),
    "in-bulk-values-delete": (G + "    for u in M.objects.in_bulk().values():\n        u.delete()\n", RUN,
                              "delete-all-rows"),
    "list-name-delete": (G + "    rows = list(M.objects.all())\n    for u in rows:\n        if True:\n"
                         "            u.delete()\n", RUN, "delete-all-rows"),
    "flag-condition-delete": (G + "    purge = len('x') > 0\n    for u in M.objects.all():\n        if purge:\n"
                              "            u.delete()\n", RUN, "delete-all-rows"),
    "filter-empty": (G + "    M.objects.filter().delete()\n", RUN, "delete-all-rows"),
    "exclude-none": (G + "    M.objects.exclude(pk=None).delete()\n", RUN, "delete-all-rows"),
    "filter-pk-in-self": (G + "    M.objects.filter(pk__in=M.objects.values('pk')).delete()\n", RUN,
                          "delete-all-rows"),
    "filter-pk-in-bulk": (G + "    M.objects.filter(pk__in=list(M.objects.in_bulk())).delete()\n", RUN,
                          "delete-all-rows"),
    "raw-delete": (G + "    qs = M.objects.all()\n    qs._raw_delete(qs.db)\n", RUN, "delete-all-rows"),
    "editor-alter-field": (G + "    old = M._meta.get_field('email')\n    se.alter_field(M, old, old)\n", RUN,
                           "dynamic-sql"),
    "getattr-method": (G + "    getattr(M.objects, 'delete' if False else 'all')().delete()\n", RUN, "dynamic-sql"),
}


def _migration(module: str, ops: str) -> str:
    return OPS.format(module=module, ops=ops)


@pytest.mark.parametrize("case", sorted(ATTACKS))
def test_hidden_loss_of_a_base_table_blocks(tmp_path: Path, case: str) -> None:
    module, ops, rule = ATTACKS[case]
    repo = PrRepo.make(tmp_path / "ws", BASE, {"app/migrations/0002_purge.py": _migration(module, ops)})
    done = check(repo.path, "--base", repo.base, "--gates", "migrations", "--replay", "off", home=tmp_path)
    assert_no_defect(done)
    found = done.findings(f"migrations/{rule}")
    assert found and all(f["severity"] == "critical" for f in found), done.findings()
    assert done.code == 1


UPDATES = {
    "loop-save": G + "    for u in M.objects.all():\n        u.email = ''\n        u.save()\n",
    "bulk-update": G + "    us = list(M.objects.all())\n    for u in us:\n        u.email = ''\n"
                       "    M.objects.bulk_update(us, ['email'])\n",
}


@pytest.mark.parametrize("case", sorted(UPDATES))
def test_an_update_of_every_row_by_instances_is_a_backfill(tmp_path: Path, case: str) -> None:
    repo = PrRepo.make(tmp_path / "ws", BASE, {"app/migrations/0002_purge.py": _migration(UPDATES[case], RUN)})
    done = check(repo.path, "--base", repo.base, "--gates", "migrations", "--replay", "off", home=tmp_path)
    assert_no_defect(done)
    assert done.findings("migrations/unbatched-backfill"), done.findings()


HARMLESS: dict[str, tuple[str, str]] = {
    "filtered-delete": (G + "    M.objects.filter(status='stale').delete()\n", RUN),
    "exclude-some": (G + "    M.objects.exclude(status='active').delete()\n", RUN),
    "conditional-instance-delete": (G + "    for u in M.objects.all():\n        if u.status == 'stale':\n"
                                    "            u.delete()\n", RUN),
    "filtered-loop-delete": (G + "    for u in M.objects.filter(status='stale'):\n        u.delete()\n", RUN),
    "pk-in-other-ids": (G + "    M.objects.filter(pk__in=[1, 2, 3]).delete()\n", RUN),
    "in-bulk-ids": (G + "    for u in M.objects.in_bulk([1, 2]).values():\n        u.delete()\n", RUN),
    "editor-rename-table": (G + "    se.alter_db_table(M, 'app_user', 'app_user')\n", RUN),
    "unmanaged-model-lifecycle": ("", f"migrations.CreateModel(name='Report', {FIELDS}, options={{'managed': False, "
                                  "'db_table': 'report_view'}), migrations.RemoveField('Report', 'email'), "
                                  "migrations.DeleteModel('Report')"),
    "managed-model-lifecycle": ("", f"migrations.CreateModel(name='Scratch', {FIELDS}, "
                                "options={'verbose_name': 'scratch'}), migrations.AlterModelOptions(name='Scratch', "
                                "options={'ordering': ['id']}), migrations.DeleteModel('Scratch')"),
}


@pytest.mark.parametrize("case", sorted(HARMLESS))
def test_a_harmless_django_migration_does_not_block(tmp_path: Path, case: str) -> None:
    module, ops = HARMLESS[case]
    repo = PrRepo.make(tmp_path / "ws", BASE, {"app/migrations/0002_purge.py": _migration(module, ops)})
    done = check(repo.path, "--base", repo.base, "--gates", "migrations", "--replay", "off", home=tmp_path)
    assert_no_defect(done)
    blocking = [f for f in done.findings() if f["severity"] == "critical"]
    assert not blocking, blocking
