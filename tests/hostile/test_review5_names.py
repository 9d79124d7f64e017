"""A destroy is of a table "created here" only if its name surely means that table (review5, issue 11).

Before, the walk decided a table was new (created by this migration: dropping, truncating or
emptying it loses nothing) by its lower-cased name, whatever the schema, TEMP, quoting or search
path. Each of these dropped or emptied the existing `users` and passed at the default policy:
- `CREATE TEMP TABLE users (...); DROP TABLE users; DROP TABLE users;` (the second DROP finds the
  real table once the temporary one is gone; also TRUNCATE, DELETE, DROP COLUMN);
- `CREATE TABLE s.users (...); DROP TABLE users;` and `SET search_path = s; ...; RESET search_path;`;
- `CREATE TABLE "USERS" (...); DROP TABLE users;`, `CREATE TABLE "public.users"; DROP TABLE public.users;`;
- `CREATE TABLE x; DROP TABLE x; ALTER TABLE users RENAME TO x; DROP TABLE x;` (and ALTER INDEX);
- the same through Alembic (`op.create_table('USERS')`, `schema='s'`, a rename into a reused name);
- `PREPARE p AS DELETE FROM users; EXECUTE p;` (a prepared statement is judged where it runs).
Lock and rewrite rules keep the lenient reading (a table of that name created here), so ordinary
migrations gain no noise; what a migration really creates and destroys stays unblocked.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import factories
from readiness.gates.migrations import GATE

BASE = "CREATE TABLE users (id int primary key, email text);\n"


def _findings(root: Path, files: dict[str, str]) -> list[tuple[str, str]]:
    for name, text in files.items():
        factories.write_file(root, name, text)
    out = GATE.run(factories.gate_context(root, "migrations", {"replay": "off"}))
    return [(str(f.rule).removeprefix("migrations/"), str(f.severity)) for f in out.findings
            if "V2__" in f.location.path or "a2_" in f.location.path]


def _sql(root: Path, sql: str) -> list[tuple[str, str]]:
    return _findings(root, {"db/migrations/V1__init.sql": BASE, "db/migrations/V2__x.sql": sql})


SHADOWED = {
    "temp-drop-twice": ("CREATE TEMP TABLE users (id int);\nDROP TABLE users;\nDROP TABLE users;\n", "drop-table"),
    "temp-truncate": ("CREATE TEMPORARY TABLE users (id int);\nDROP TABLE users;\nTRUNCATE users;\n",
                      "truncate-table"),
    "temp-delete": ("CREATE TEMP TABLE users (id int);\nDROP TABLE users;\nDELETE FROM users;\n", "delete-all-rows"),
    "temp-drop-column": ("CREATE TEMP TABLE users (id int, email text);\nDROP TABLE users;\n"
                         "ALTER TABLE users DROP COLUMN email;\n", "drop-column"),
    "temp-on-commit-drop": ("CREATE TEMP TABLE users (id int) ON COMMIT DROP;\nCOMMIT;\nTRUNCATE users;\n",
                            "truncate-table"),
    "temp-discarded": ("CREATE TEMP TABLE users (id int);\nDISCARD TEMP;\nTRUNCATE users;\n", "truncate-table"),
    "temp-as-select": ("CREATE TEMP TABLE users AS SELECT 1 AS id;\nDROP TABLE users;\nDROP TABLE users;\n",
                       "drop-table"),
    "other-schema": ("CREATE SCHEMA s;\nCREATE TABLE s.users (id int);\nDROP TABLE users;\n", "drop-table"),
    "search-path-reset": ("CREATE SCHEMA s;\nSET search_path = s;\nCREATE TABLE users (id int);\n"
                          "RESET search_path;\nDROP TABLE users;\n", "drop-table"),
    "set-config": ("CREATE TABLE users2 (id int);\nSELECT set_config('search_path', 'other', false);\n"
                   "DROP TABLE users2;\n", "drop-table"),
    "search-path-of-routine": ("CREATE TABLE users (id int);\nCREATE FUNCTION f() RETURNS void LANGUAGE sql "
                               "SET search_path = s AS $$ DROP TABLE users $$;\nSELECT f();\n", "drop-table"),
    "search-path-in-do": ("CREATE TABLE t (id int);\nDO $$ BEGIN EXECUTE 'SET search_path = s'; END $$;\n"
                          "TRUNCATE t;\n", "truncate-table"),
    "quoted-upper": ('CREATE TABLE "USERS" (id int);\nDROP TABLE users;\n', "drop-table"),
    "quoted-dotted": ('CREATE TABLE "public.users" (id int);\nDROP TABLE public.users;\n', "drop-table"),
    "reused-after-rename": ("CREATE TABLE x (id int);\nDROP TABLE x;\nALTER TABLE users RENAME TO x;\nDROP TABLE x;\n",
                            "drop-table"),
    "reused-after-index-rename": ("CREATE TABLE x (id int);\nDROP TABLE x;\nALTER INDEX users RENAME TO x;\n"
                                  "TRUNCATE x;\n", "truncate-table"),
    "renamed-over-created": ("CREATE TABLE x (id int);\nALTER TABLE x RENAME TO y;\nALTER TABLE users RENAME TO x;\n"
                             "DELETE FROM x;\n", "delete-all-rows"),
    "moved-schema": ("CREATE SCHEMA s;\nCREATE TABLE s.users (id int);\nDROP TABLE s.users;\n"
                     "ALTER TABLE users SET SCHEMA s;\nDROP TABLE s.users;\n", "drop-table"),
    "prepared-delete": ("PREPARE p AS DELETE FROM users;\nEXECUTE p;\n", "delete-all-rows"),
    "prepared-quoted": ('PREPARE "P" (int) AS DELETE FROM users WHERE $1 = $1;\nEXECUTE "P"(1);\n',
                        "delete-all-rows"),
    "prepared-truncate-in-cte": ("PREPARE p AS WITH d AS (DELETE FROM users RETURNING 1) SELECT 1;\nEXECUTE p;\n",
                                 "delete-all-rows"),
    "re-prepared": ("PREPARE p AS SELECT 1;\nDEALLOCATE p;\nPREPARE p AS DELETE FROM users;\nEXECUTE p;\n",
                    "delete-all-rows"),
}


@pytest.mark.parametrize("case", sorted(SHADOWED))
def test_a_destroy_of_an_existing_table_behind_a_created_name_blocks(tmp_path: Path, case: str) -> None:
    sql, rule = SHADOWED[case]
    found = _sql(tmp_path, sql)
    assert (rule, "critical") in found, found


def test_a_statement_prepared_elsewhere_fails_closed(tmp_path: Path) -> None:
    found = _sql(tmp_path, "EXECUTE purge_all;\n")  # critical when the PR adds the file (high: established)
    assert [f for f in found if f[0] == "dynamic-sql" and f[1] in ("critical", "high")], found


def test_a_deallocated_statement_is_not_run(tmp_path: Path) -> None:
    found = _sql(tmp_path, "PREPARE p AS DELETE FROM users;\nDEALLOCATE p;\nPREPARE p AS SELECT 1;\nEXECUTE p;\n")
    assert not [f for f in found if f[1] in ("critical", "high")], found


@pytest.mark.parametrize("sql", [
    "CREATE TABLE audit (id int);\nDROP TABLE audit;\n",
    "CREATE TEMP TABLE staging (id int);\nINSERT INTO staging SELECT id FROM users;\nTRUNCATE staging;\n"
    "DROP TABLE staging;\n",
    "CREATE TEMP TABLE tmp (id int) ON COMMIT DROP;\nDELETE FROM tmp;\n",
    "CREATE TABLE public.audit (id int);\nDROP TABLE public.audit;\n",
    "CREATE SCHEMA s;\nCREATE TABLE s.users (id int);\nTRUNCATE s.users;\nDROP TABLE s.users;\n",
    'CREATE TABLE "Audit" (id int);\nDELETE FROM "Audit";\nALTER TABLE "Audit" DROP COLUMN id;\n',
    "CREATE TABLE a (id int);\nALTER TABLE a RENAME TO b;\nTRUNCATE b;\nDROP TABLE b;\n",
    "CREATE TABLE x (id int);\nDROP TABLE x;\nCREATE TABLE x (id int);\nDROP TABLE x;\n",
    # a later session's search_path
    "ALTER ROLE app SET search_path = app, public;\nCREATE TABLE t (id int);\nDROP TABLE t;\n",
    "PREPARE p AS DELETE FROM users WHERE id = $1;\nEXECUTE p(1);\n",
])
def test_what_the_migration_really_creates_is_still_new(tmp_path: Path, sql: str) -> None:
    found = _sql(tmp_path, sql)
    assert not [f for f in found if f[1] in ("critical", "high")], found


def test_lock_rules_keep_the_lenient_reading(tmp_path: Path) -> None:
    # a table created in another schema under the same name is still read as new for lock warnings
    found = _sql(tmp_path, "CREATE TABLE s.audit (id int);\nALTER TABLE audit ADD COLUMN x int NOT NULL DEFAULT 0;\n")
    assert not [f for f in found if f[1] in ("critical", "high")], found


_ALEMBIC_BASE = {
    "alembic.ini": "[alembic]\nscript_location = alembic\n", "alembic/env.py": "",
    "alembic/versions/a1_init.py": "revision = 'a1'\ndown_revision = None\nfrom alembic import op\n"
    "import sqlalchemy as sa\ndef upgrade():\n    op.create_table('users', sa.Column('id', sa.Integer))\n"
    "def downgrade():\n    op.drop_table('users')\n",
}


def _alembic(root: Path, body: str) -> list[tuple[str, str]]:
    pr = "revision = 'a2'\ndown_revision = 'a1'\nfrom alembic import op\nimport sqlalchemy as sa\n" \
         f"def upgrade():\n{body}def downgrade():\n    pass\n"
    return _findings(root, {**_ALEMBIC_BASE, "alembic/versions/a2_x.py": pr})


@pytest.mark.parametrize("body", [
    "    op.create_table('USERS', sa.Column('id', sa.Integer))\n    op.drop_table('users')\n",
    "    op.create_table('users', sa.Column('id', sa.Integer), schema='s')\n    op.drop_table('users')\n",
    "    op.create_table('x', sa.Column('id', sa.Integer))\n    op.drop_table('x')\n"
    "    op.rename_table('users', 'x')\n    op.drop_table('x')\n",
    "    op.execute('CREATE TEMP TABLE users (id int)')\n    op.drop_table('users')\n    op.drop_table('users')\n",
    "    op.create_table('users', sa.Column('id', sa.Integer), prefixes=['TEMPORARY'])\n"
    "    op.drop_table('users')\n    op.drop_table('users')\n",
])
def test_alembic_names_resolve_like_postgresql(tmp_path: Path, body: str) -> None:
    assert ("drop-table", "critical") in _alembic(tmp_path, body)


@pytest.mark.parametrize("body", [
    "    op.create_table('audit', sa.Column('id', sa.Integer), schema='s')\n    op.drop_table('audit', schema='s')\n",
    "    op.create_table('Audit', sa.Column('id', sa.Integer))\n    op.drop_table('Audit')\n",
])
def test_alembic_tables_created_here_stay_new(tmp_path: Path, body: str) -> None:
    found = _alembic(tmp_path, body)
    assert not [f for f in found if f[1] in ("critical", "high")], found


_BUILT_BASE = ("CREATE COLLATION mycoll (provider = libc, locale = 'C');\n"
               "CREATE FUNCTION norm(t text) RETURNS text IMMUTABLE LANGUAGE sql AS 'select lower(t)';\n"
               "CREATE TABLE acct (id int, note text COLLATE mycoll, n text GENERATED ALWAYS AS (norm(note)) STORED);\n"
               "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;\n")


@pytest.mark.parametrize("sql", ["DROP COLLATION mycoll CASCADE;\n", "DROP FUNCTION norm(text) CASCADE;\n",
                                 "DROP FUNCTION IF EXISTS public.norm CASCADE;\n"])
def test_a_cascade_drop_that_takes_columns_blocks(tmp_path: Path, sql: str) -> None:
    # review5 R5-4: PostgreSQL drops acct.note (its collation) or acct.n (generated from norm()) with the object
    found = _findings(tmp_path, {"db/migrations/V1__init.sql": _BUILT_BASE, "db/migrations/V2__x.sql": sql})
    assert ("drop-column", "critical") in found, found


def test_a_cascade_drop_of_a_trigger_function_stays_a_function_drop(tmp_path: Path) -> None:
    found = _findings(tmp_path, {"db/migrations/V1__init.sql": _BUILT_BASE,
                                 "db/migrations/V2__x.sql": "DROP FUNCTION touch() CASCADE;\n"})
    assert ("drop-function", "high") in found and not [f for f in found if f[1] == "critical"], found


_PURGE = "CREATE FUNCTION purge() RETURNS void LANGUAGE plpgsql AS $$ BEGIN DELETE FROM users; END $$;\n"


@pytest.mark.parametrize("sql", ["SELECT purge();\n", "DO $$ BEGIN PERFORM purge(); END $$;\n",
                                 "CREATE FUNCTION go() RETURNS void LANGUAGE sql AS $$ SELECT purge() $$;\n"
                                 "SELECT go();\n"])
def test_a_call_of_a_routine_an_earlier_migration_created_runs_its_body(tmp_path: Path, sql: str) -> None:
    # review5 R5-8: the body of purge() (V1) runs where V2 calls it
    found = _findings(tmp_path, {"db/migrations/V1__init.sql": BASE + _PURGE, "db/migrations/V2__x.sql": sql})
    assert ("delete-all-rows", "critical") in found, found


def test_a_routine_replaced_here_runs_its_new_body(tmp_path: Path) -> None:
    sql = ("CREATE OR REPLACE FUNCTION purge() RETURNS void LANGUAGE plpgsql AS $$ BEGIN DELETE FROM users "
           "WHERE id < 0; END $$;\nSELECT purge();\n")
    found = _findings(tmp_path, {"db/migrations/V1__init.sql": BASE + _PURGE, "db/migrations/V2__x.sql": sql})
    assert not [f for f in found if f[1] in ("critical", "high")], found


def test_an_earlier_routine_in_another_language_fails_closed(tmp_path: Path) -> None:
    base = BASE + "CREATE FUNCTION purge() RETURNS void LANGUAGE plpython3u AS $$ plpy.execute('x') $$;\n"
    found = _findings(tmp_path, {"db/migrations/V1__init.sql": base, "db/migrations/V2__x.sql": "SELECT purge();\n"})
    assert [f for f in found if f[0] == "dynamic-sql"], found


@pytest.mark.parametrize("sql", ["ALTER FUNCTION purge() RENAME TO purge_old;\n",
                                 "COMMENT ON FUNCTION purge() IS 'x';\n",
                                 "GRANT EXECUTE ON FUNCTION purge() TO PUBLIC;\n",
                                 "DROP FUNCTION IF EXISTS purge();\n"])
def test_naming_an_earlier_routine_in_ddl_runs_nothing(tmp_path: Path, sql: str) -> None:
    found = _findings(tmp_path, {"db/migrations/V1__init.sql": BASE + _PURGE, "db/migrations/V2__x.sql": sql})
    assert not [f for f in found if f[0] == "delete-all-rows"], found
