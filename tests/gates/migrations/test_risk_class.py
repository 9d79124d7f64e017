"""A migration's risk class is the operational risk of running it; reversibility is separate."""

from __future__ import annotations

from pathlib import Path

from migrations_helpers import check, findings, items


def test_missing_down_does_not_raise_the_class(tmp_path: Path) -> None:
    up = "SET lock_timeout = '2s';\nALTER TABLE b ADD COLUMN c int;"
    report = check(tmp_path, {"migrations/000002_x.up.sql": up})
    item = items(report)[0].data
    assert (item["risk"], item["reversible"]) == ("low", False)
    assert findings(report, "irreversible-migration")


def test_lossy_down_does_not_raise_the_class(tmp_path: Path) -> None:
    files = {"migrations/000002_x.up.sql": "SET lock_timeout = '5s';\nDELETE FROM audit WHERE created < '2020-01-01';\n"
                                           "TRUNCATE sessions;\n",
             "migrations/000002_x.down.sql": "SELECT 1;\n"}
    report = check(tmp_path, files)
    assert findings(report, "lossy-down")
    # TRUNCATE is the operational risk (avoid); the lossy down adds nothing to it, and an
    # irreversible Django RunPython stays at the class of what it runs
    assert items(report)[0].data["risk"] == "avoid"
    django = '''from django.db import migrations


class Migration(migrations.Migration):
    operations = [migrations.RunPython(lambda apps, schema_editor: None)]
'''
    report = check(tmp_path / "dj", {"shop/migrations/0002_x.py": django})
    assert findings(report, "irreversible-migration")
    assert items(report)[0].data["risk"] == "low"
