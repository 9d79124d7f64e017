"""A CASCADE that reaches existing data through what the migration just wired up (review5 R5-24,
R5-22, issue 11).

- `TRUNCATE t CASCADE` truncates every table with a foreign key to `t`, and `DELETE FROM t` deletes
  (ON DELETE CASCADE) or overwrites (SET NULL / SET DEFAULT) the rows that reference it. `t` being
  new, both were exempt; once the migration gives an existing table a foreign key to it (directly,
  or through new tables in between), they are judged as emptying that table.
- `DROP DOMAIN d CASCADE` (a domain, type, collation, schema or extension created here) drops every
  column that uses it; once the migration retypes an existing column to it, that is drop-column.
Before, each passed at the default policy (exit 0, medium findings only).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from review5_support import ALEMBIC_BASE, assert_blocked, judge_files
from review5_support import judge_sql as _judge

TENANTS = "CREATE TABLE tenants (id int primary key);\n"



REACHED = {
    "truncate-cascade": (TENANTS + "ALTER TABLE users ADD COLUMN tenant_id int REFERENCES tenants;\n"
                         "TRUNCATE tenants CASCADE;\n", "truncate-table"),
    "truncate-cascade-constraint": (TENANTS + "ALTER TABLE users ADD COLUMN tenant_id int;\n"
                                    "ALTER TABLE users ADD CONSTRAINT fk FOREIGN KEY (tenant_id) REFERENCES tenants "
                                    "NOT VALID;\nTRUNCATE TABLE tenants RESTART IDENTITY CASCADE;\n", "truncate-table"),
    "truncate-after-rename": (TENANTS + "ALTER TABLE users ADD COLUMN tenant_id int REFERENCES tenants;\n"
                              "ALTER TABLE tenants RENAME TO orgs;\nTRUNCATE orgs CASCADE;\n", "truncate-table"),
    "delete-on-delete-cascade": (TENANTS + "INSERT INTO tenants VALUES (1);\n"
                                 "ALTER TABLE users ADD COLUMN tenant_id int NOT NULL DEFAULT 1 REFERENCES tenants "
                                 "ON DELETE CASCADE;\nDELETE FROM tenants;\n", "delete-all-rows"),
    "delete-on-delete-set-null": (TENANTS + "INSERT INTO tenants VALUES (1);\n"
                                  "ALTER TABLE users ADD COLUMN tenant_id int DEFAULT 1 REFERENCES tenants "
                                  "ON DELETE SET NULL;\nDELETE FROM tenants WHERE true;\n", "delete-all-rows"),
    "delete-through-a-new-table": (TENANTS + "CREATE TABLE mid (id int primary key, t int REFERENCES tenants "
                                   "ON DELETE CASCADE);\nALTER TABLE users ADD CONSTRAINT fk FOREIGN KEY (id) "
                                   "REFERENCES mid ON DELETE CASCADE;\nDELETE FROM tenants;\n", "delete-all-rows"),
    "partition-of-a-new-parent": (TENANTS + "CREATE TABLE p (id int, email text, status text, t int, FOREIGN KEY (t) "
                                  "REFERENCES tenants) PARTITION BY RANGE (id);\n"
                                  "ALTER TABLE p ATTACH PARTITION users FOR VALUES FROM (0) TO (100);\n"
                                  "TRUNCATE tenants CASCADE;\n", "truncate-table"),
    "domain": ("CREATE DOMAIN email_t AS text;\nALTER TABLE users ALTER COLUMN email TYPE email_t;\n"
               "DROP DOMAIN email_t CASCADE;\n", "drop-column"),
    "enum-type": ("CREATE TYPE mood AS ENUM ('a', 'b');\n"
                  "ALTER TABLE users ALTER COLUMN status TYPE mood USING status::mood;\nDROP TYPE mood CASCADE;\n",
                  "drop-column"),
    "collation": ("CREATE COLLATION c1 (provider = libc, locale = 'C');\n"
                  "ALTER TABLE users ALTER COLUMN email TYPE text COLLATE c1;\nDROP COLLATION c1 CASCADE;\n",
                  "drop-column"),
    "schema": ("CREATE SCHEMA s;\nCREATE DOMAIN s.email_t AS text;\n"
               "ALTER TABLE users ALTER COLUMN email TYPE s.email_t;\nDROP SCHEMA s CASCADE;\n", "drop-column"),
    "extension": ("CREATE EXTENSION citext;\nALTER TABLE users ALTER COLUMN email TYPE citext;\n"
                  "DROP EXTENSION citext CASCADE;\n", "drop-column"),
}


@pytest.mark.parametrize("case", sorted(REACHED))
def test_a_cascade_through_what_the_migration_wired_up_blocks(tmp_path: Path, case: str) -> None:
    sql, rule = REACHED[case]
    # p holds users now; orgs, renamed into being, is judged as the existing table it may be
    victim = {"partition-of-a-new-parent": "also truncates p,", "truncate-after-rename": "CASCADE"}.get(case, "users")
    assert_blocked(_judge(tmp_path, sql), rule, victim)


@pytest.mark.parametrize("sql", [
    TENANTS + "CREATE TABLE members (id int, t int REFERENCES tenants ON DELETE CASCADE);\n"
    "TRUNCATE tenants CASCADE;\nDELETE FROM tenants;\n",
    TENANTS + "ALTER TABLE users ADD COLUMN tenant_id int REFERENCES tenants;\nDELETE FROM tenants;\n",
    TENANTS + "ALTER TABLE users ADD COLUMN tenant_id int REFERENCES tenants ON DELETE CASCADE;\n"
    "DELETE FROM tenants WHERE id = 7;\n",
    "CREATE DOMAIN email_t AS text;\nCREATE TABLE contacts (e email_t);\nDROP DOMAIN email_t CASCADE;\n",
    "CREATE DOMAIN email_t AS text;\nALTER TABLE users ADD COLUMN backup email_t;\n"
    "ALTER TABLE users ALTER COLUMN email TYPE varchar(300);\nDROP DOMAIN email_t CASCADE;\n",
    "CREATE EXTENSION citext;\nALTER TABLE users ALTER COLUMN email TYPE varchar(300);\n"
    "DROP EXTENSION citext CASCADE;\n",
])
def test_a_cascade_over_new_objects_only_does_not_block_on_an_existing_table(tmp_path: Path, sql: str) -> None:
    done = _judge(tmp_path, sql)
    bad = [f for f in done.findings() if f["rule"] in ("migrations/truncate-table", "migrations/delete-all-rows",
                                                         "migrations/drop-column")]
    assert not bad, done.findings()


ALEMBIC_PR = {"alembic/versions/b2_tenants.py": (
    'from alembic import op\nimport sqlalchemy as sa\nrevision = "b2"\ndown_revision = "a1"\n\n\n'
    'def upgrade():\n    op.create_table("tenants", sa.Column("id", sa.Integer, primary_key=True))\n'
    '    op.execute("INSERT INTO tenants VALUES (1)")\n'
    '    op.add_column("users", sa.Column("tenant_id", sa.Integer, sa.ForeignKey("tenants.id", ondelete="CASCADE"),'
    ' server_default="1"))\n    op.execute("DELETE FROM tenants")\n\n\n'
    'def downgrade():\n    op.drop_column("users", "tenant_id")\n    op.drop_table("tenants")\n')}


def test_an_alembic_foreign_key_with_ondelete_cascade_is_followed(tmp_path: Path) -> None:
    assert_blocked(judge_files(tmp_path, ALEMBIC_BASE, ALEMBIC_PR), "delete-all-rows")
