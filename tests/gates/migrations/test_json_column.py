"""json-column beyond the page's examples: Python readers, positions, waivers, what is not json."""

from __future__ import annotations

from pathlib import Path

from migrations_helpers import assert_clean, assert_flags, check, findings

RULE = "json-column"

ALEMBIC = '''from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"


def upgrade():
    op.add_column("events", sa.Column("payload", sa.JSON(), nullable=True))
    op.add_column("events", sa.Column("tags", postgresql.JSONB(), nullable=True))
    op.create_table("audit", sa.Column("id", sa.BigInteger(), primary_key=True), sa.Column("diff", sa.JSON()))


def downgrade():
    op.drop_table("audit")
    op.drop_column("events", "tags")
    op.drop_column("events", "payload")
'''

DJANGO = '''from django.db import migrations, models


class Migration(migrations.Migration):
    operations = [
        migrations.AddField(model_name="event", name="payload", field=models.JSONField(null=True)),
    ]
'''


def test_the_column_of_a_create_table_is_pointed_at(tmp_path: Path) -> None:
    finding = assert_flags(tmp_path, "CREATE TABLE t (\n  id bigint PRIMARY KEY,\n  doc json\n);\n", RULE)
    assert finding.location.line == 3
    assert "t.doc is json" in finding.message


def test_an_inline_waiver_above_the_column_applies(tmp_path: Path) -> None:
    sql = ("CREATE TABLE t (\n  id bigint PRIMARY KEY,\n"
           "  -- readiness: ignore migrations/json-column -- the exact request body is kept for audits\n"
           "  raw json\n);\n")
    [finding] = findings(check(tmp_path, {"db/migrations/0002_t.sql": sql}), RULE)
    assert finding.waived


def test_jsonb_a_json_cast_and_a_column_named_json_are_not_reported(tmp_path: Path) -> None:
    assert_clean(tmp_path, "ALTER TABLE t ADD COLUMN json jsonb;\nSELECT '{}'::json;\n", RULE)


def test_sqlalchemy_json_is_json_and_jsonb_is_not(tmp_path: Path) -> None:
    report = check(tmp_path, {"alembic/versions/0002_events.py": ALEMBIC})
    assert sorted(f.message.split(" is ")[0] for f in findings(report, RULE)) == [
        "Column audit.diff", "Column events.payload"]


def test_django_jsonfield_creates_jsonb(tmp_path: Path) -> None:
    report = check(tmp_path, {"shop/migrations/0002_payload.py": DJANGO})
    assert not findings(report, RULE)
