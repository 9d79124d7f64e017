"""Dropping what an earlier release retired (the contract step of expand/contract) is low, not critical.

saleor's product/0204 removed two models from Django's state only (SeparateDatabaseAndState), and
0206 drops their tables with RunSQL; readthedocs' 0168 removes a field under django-safemigrate's
`safe = Safe.after_deploy()`. Both are the safe way to drop, and were blocked as critical.
"""

from __future__ import annotations

from pathlib import Path

from migrations_helpers import check, findings, git, write

from readiness.model import Severity
from readiness.workspace.changes import git_changes

INITIAL = '''from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    operations = [
        migrations.CreateModel(name="DigitalContent", fields=[("id", models.AutoField(primary_key=True)),
                                                              ("url", models.TextField())]),
        migrations.CreateModel(name="Settings", fields=[("id", models.AutoField(primary_key=True)),
                                                        ("digital_days", models.IntegerField(null=True))]),
    ]
'''
FORGET = '''from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("product", "0001_initial")]
    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.DeleteModel(name="DigitalContent"),
                migrations.RemoveField(model_name="settings", name="digital_days"),
            ],
        ),
    ]
'''
DROP = '''from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("product", "0002_forget")]
    operations = [
        migrations.RunSQL("DROP TABLE IF EXISTS product_digitalcontent;", reverse_sql=migrations.RunSQL.noop),
        migrations.RunSQL("ALTER TABLE product_settings DROP COLUMN digital_days;",
                          reverse_sql=migrations.RunSQL.noop),
    ]
'''
DIR = "shop/product/migrations"


def _drops(report: object) -> dict[str, Severity]:
    got = findings(report, "drop-table") + findings(report, "drop-column")  # type: ignore[arg-type]
    return {f"{f.rule.rsplit('/', 1)[1]}:{f.location.line}": f.severity for f in got}


def test_dropping_what_an_earlier_migration_removed_from_the_state_is_the_contract_step(tmp_path: Path) -> None:
    report = check(tmp_path, {f"{DIR}/0001_initial.py": INITIAL, f"{DIR}/0002_forget.py": FORGET,
                              f"{DIR}/0003_drop.py": DROP})
    assert _drops(report) == {"drop-table:7": Severity.LOW, "drop-column:8": Severity.LOW}
    (table,) = findings(report, "drop-table")
    assert "Django's state dropped the model in 0002_forget" in table.message
    assert "contract step" in table.message
    assert not report.blocking


def test_forgetting_and_dropping_in_one_migration_stays_critical(tmp_path: Path) -> None:
    # the tricky negative: the state forgets it in the same migration that drops it - old code still runs
    both = FORGET.replace("database_operations=[]", 'database_operations=[migrations.RunSQL('
                          '"DROP TABLE product_digitalcontent;")]')
    report = check(tmp_path, {f"{DIR}/0001_initial.py": INITIAL, f"{DIR}/0002_forget.py": both})
    assert _drops(report) == {"drop-table:8": Severity.CRITICAL}
    assert report.blocking


def test_a_plain_delete_model_stays_critical(tmp_path: Path) -> None:
    plain = FORGET.replace("migrations.SeparateDatabaseAndState(\n            database_operations=[],\n"
                           "            state_operations=[\n", "").replace("            ],\n        ),\n", "")
    report = check(tmp_path, {f"{DIR}/0001_initial.py": INITIAL, f"{DIR}/0002_forget.py": plain})
    assert set(_drops(report).values()) == {Severity.CRITICAL}


def test_a_retirement_the_same_pull_request_adds_is_not_an_earlier_release(tmp_path: Path) -> None:
    write(tmp_path, {f"{DIR}/0001_initial.py": INITIAL})
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "base")
    write(tmp_path, {f"{DIR}/0002_forget.py": FORGET, f"{DIR}/0003_drop.py": DROP})
    report = check(tmp_path, changes=git_changes(tmp_path, "main"))
    assert set(_drops(report).values()) == {Severity.CRITICAL}  # one release: old code still reads them
    git(tmp_path, "add", f"{DIR}/0002_forget.py")
    git(tmp_path, "commit", "-q", "-m", "release 1")
    report = check(tmp_path, changes=git_changes(tmp_path, "HEAD"))
    assert set(_drops(report).values()) == {Severity.LOW}  # the next release drops them


SAFEMIGRATE = '''from django.db import migrations
from django_safemigrate import Safe


class Migration(migrations.Migration):
    safe = {safe}
    dependencies = [("product", "0001_initial")]
    operations = [
        migrations.RemoveField(model_name="settings", name="digital_days"),
    ]
'''


def test_a_migration_declared_after_deploy_drops_as_the_contract_step(tmp_path: Path) -> None:
    for i, safe in enumerate(["Safe.after_deploy()", "Safe.after_deploy", "Safe.after_deploy(delay=timedelta(7))"]):
        report = check(tmp_path / str(i), {f"{DIR}/0001_initial.py": INITIAL,
                                           f"{DIR}/0002_drop.py": SAFEMIGRATE.format(safe=safe)})
        (f,) = findings(report, "drop-column")
        assert f.severity is Severity.LOW and "Safe.after_deploy" in f.message, safe
    for i, safe in enumerate(["Safe.always()", "Safe.before_deploy()", "Safe.always"]):
        # `always` and `before_deploy` run before the deploy, while the old code still reads the column
        report = check(tmp_path / f"n{i}", {f"{DIR}/0001_initial.py": INITIAL,
                                            f"{DIR}/0002_drop.py": SAFEMIGRATE.format(safe=safe)})
        assert [f.severity for f in findings(report, "drop-column")] == [Severity.CRITICAL], safe
