"""Function volatility from PostgreSQL's own catalog (pg_volatility.json, generated from a server)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from migrations_helpers import assert_clean, assert_flags, check, findings

from readiness.gates.migrations.pgtree import function_volatility

DATA = Path(__file__).resolve().parents[3] / "src" / "readiness" / "gates" / "migrations" / "pg_volatility.json"


def test_the_table_comes_from_a_server_and_says_which() -> None:
    doc = json.loads(DATA.read_text(encoding="utf-8"))
    assert doc["generated_by"] == "scripts/gen_pg_volatility.py" and doc["server"].startswith("PostgreSQL ")
    assert len(doc["functions"]) > 2000 and set(doc["functions"].values()) == {"i", "s", "v"}


@pytest.mark.parametrize(("name", "kind"), [
    ("pi", "i"), ("abs", "i"), ("lower", "i"), ("md5", "i"), ("now", "s"), ("to_char", "s"),
    ("pg_catalog.now", "s"), ("random", "v"), ("gen_random_uuid", "v"), ("nextval", "v"),
    ("clock_timestamp", "v"), ("uuid_generate_v4", "v"), ("public.now", "v"), ("my_schema.pi", "v"),
    ("NOW", "s"),
])
def test_function_volatility(name: str, kind: str) -> None:
    assert function_volatility(name) == kind


@pytest.mark.parametrize("default", ["pi()", "now()", "CURRENT_TIMESTAMP", "'x'::text", "lower(md5('a'))",
                                     "COALESCE(NULL, 1)", "pg_catalog.now()", "interval '1 day'", "1 + 2 * 3"])
def test_non_volatile_defaults_need_no_rewrite(tmp_path: Path, default: str) -> None:
    assert_clean(tmp_path, f"ALTER TABLE t ADD COLUMN c text DEFAULT {default};", "volatile-default")


@pytest.mark.parametrize("default", ["random()", "gen_random_uuid()", "nextval('s')", "uuid_generate_v4()",
                                     "public.now()", "md5(random()::text)", "clock_timestamp()"])
def test_volatile_and_unknown_defaults_rewrite(tmp_path: Path, default: str) -> None:
    assert_flags(tmp_path, f"ALTER TABLE t ADD COLUMN c text DEFAULT {default};", "volatile-default")


def test_alembic_server_default_text_uses_the_same_table(tmp_path: Path) -> None:
    head = ("from alembic import op\nimport sqlalchemy as sa\n\nrevision = 'b'\ndown_revision = 'a'\n\n\n"
            "def upgrade():\n")
    tail = "\n\ndef downgrade():\n    op.drop_column('t', 'c')\n"
    cases = {"pi": ("sa.text('pi()')", False), "now": ("sa.func.now()", False),
             "rand": ("sa.text('gen_random_uuid()')", True), "ext": ("sa.text('uuid_generate_v4()')", True)}
    for name, (default, volatile) in cases.items():
        body = f"    op.add_column('t', sa.Column('c', sa.Text(), server_default={default}))\n"
        report = check(tmp_path / name, {"alembic/versions/b_x.py": head + body + tail})
        assert bool(findings(report, "volatile-default")) is volatile, name
