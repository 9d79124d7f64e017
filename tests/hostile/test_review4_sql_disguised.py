"""A destructive PostgreSQL migration must block whatever spelling it uses (review4, issue 11).

Before, each of these passed at the default policy (fail_on critical):
- unfiltered deletes in disguise: `DELETE ... WHERE true` / `WHERE 1 = 1` / `WHERE id = id`, a
  `MERGE ... WHEN MATCHED THEN DELETE` whose source matches every row, a data-modifying CTE
  (`WITH d AS (DELETE ...) SELECT ...`), a rule whose action deletes (`DO ALSO DELETE`) or that
  discards every later write (`DO INSTEAD NOTHING`);
- a routine the migration creates that runs without being called by name: through a trigger and a
  later INSERT, a column DEFAULT or CHECK, an event trigger, an operator; the body was expanded at
  the wiring statement, where replay saw no lock on the victim and downgraded the finding to low;
- an existing table laundered through a parent or an extension the migration creates: ATTACH
  PARTITION / INHERIT then DROP or TRUNCATE the parent, ALTER EXTENSION ADD TABLE then DROP
  EXTENSION, CREATE EXTENSION IF NOT EXISTS (a no-op) then DROP EXTENSION CASCADE.
Each is now judged as the plain statement it is equivalent to; ordinary triggers (updated_at,
audit rows) and what the migration really creates stay unblocked.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sec_support import Done, PrRepo, assert_no_defect, check

BASE = {"db/migrations/V1__init.sql": "CREATE TABLE users (id int primary key, email text);\n"}
PG = shutil.which("initdb") or Path("/usr/lib/postgresql/15/bin/initdb").exists()


def _fn(name: str, body: str, returns: str = "trigger", args: str = "") -> str:
    return f"CREATE FUNCTION {name}({args}) RETURNS {returns} LANGUAGE plpgsql AS $$ BEGIN {body} END $$;\n"


def _judge(tmp_path: Path, sql: str, *, replay: str = "off") -> Done:
    repo = PrRepo.make(tmp_path / "ws", BASE, {"db/migrations/V2__x.sql": sql})
    done = check(repo.path, "--base", repo.base, "--gates", "migrations", "--replay", replay, home=tmp_path,
                 timeout=240)
    assert_no_defect(done)
    return done


def _blocks(done: Done, rule: str) -> None:
    found = done.findings(f"migrations/{rule}")
    assert found and all(f["severity"] == "critical" for f in found), done.findings()
    assert done.code == 1, done.findings()


def _passes(done: Done) -> None:
    serious = [f for f in done.findings() if f["severity"] in ("critical", "high")]
    assert not serious and done.code == 0, serious


DISGUISED = {
    "where-true": ("DELETE FROM users WHERE true;\n", "delete-all-rows"),
    "where-1=1": ("DELETE FROM users WHERE 1 = 1;\n", "delete-all-rows"),
    "where-cast": ("DELETE FROM users WHERE 'yes'::boolean;\n", "delete-all-rows"),
    "where-self": ("DELETE FROM users WHERE id = id;\n", "delete-all-rows"),
    "where-or-true": ("DELETE FROM users WHERE id > 10 OR 2 > 1;\n", "delete-all-rows"),
    "where-no-column": ("DELETE FROM users WHERE now() > '2000-01-01';\n", "delete-all-rows"),
    "where-not-differs": ("DELETE FROM users WHERE NOT (id <> id);\n", "delete-all-rows"),
    "merge-by-source": ("MERGE INTO users u USING (SELECT 1 AS id WHERE false) s ON u.id = s.id\n"
                        "WHEN NOT MATCHED BY SOURCE THEN DELETE;\n", "delete-all-rows"),
    "truncate-only": ("TRUNCATE TABLE ONLY public.users RESTART IDENTITY CASCADE;\n", "truncate-table"),
    "truncate-many": ("CREATE TABLE scratch (id int);\nTRUNCATE scratch, users *;\n", "truncate-table"),
    "merge-on-true": ("MERGE INTO users u USING (SELECT 1) s ON true WHEN MATCHED THEN DELETE;\n", "delete-all-rows"),
    "merge-itself": ("MERGE INTO users u USING users s ON u.id = s.id WHEN MATCHED THEN DELETE;\n",
                     "delete-all-rows"),
    "cte-select": ("WITH d AS (DELETE FROM users RETURNING 1) SELECT count(*) FROM d;\n", "delete-all-rows"),
    "cte-insert": ("CREATE TABLE trash (id int);\n"
                   "WITH d AS (DELETE FROM users RETURNING id) INSERT INTO trash SELECT id FROM d;\n",
                   "delete-all-rows"),
    "rule-also-delete": ("CREATE RULE r AS ON INSERT TO users DO ALSO DELETE FROM users;\n", "delete-all-rows"),
    "rule-instead-nothing": ("CREATE RULE r AS ON INSERT TO users DO INSTEAD NOTHING;\n", "create-rule"),
    "rule-instead-update": ("CREATE TABLE sink (id int);\n"
                            "CREATE OR REPLACE RULE r AS ON UPDATE TO users DO INSTEAD INSERT INTO sink VALUES (1);\n",
                            "create-rule"),
}


@pytest.mark.parametrize("case", sorted(DISGUISED))
def test_an_unfiltered_delete_in_disguise_blocks(tmp_path: Path, case: str) -> None:
    sql, rule = DISGUISED[case]
    _blocks(_judge(tmp_path, sql), rule)


@pytest.mark.parametrize("sql", [
    "DELETE FROM users WHERE id = 1;\n",
    "DELETE FROM users WHERE email IS NULL OR id < 0;\n",
    "DELETE FROM users WHERE false;\n",
    "CREATE TABLE gone (id int);\nMERGE INTO users u USING gone g ON u.id = g.id WHEN MATCHED THEN DELETE;\n",
    "CREATE TABLE t (id int);\nCREATE RULE r AS ON INSERT TO t DO INSTEAD NOTHING;\n",
    "WITH old AS (SELECT id FROM users WHERE id < 5) DELETE FROM users WHERE id IN (SELECT id FROM old);\n",
])
def test_a_filtered_delete_is_not_a_delete_all(tmp_path: Path, sql: str) -> None:
    done = _judge(tmp_path, sql)
    assert not done.findings("migrations/delete-all-rows") and not done.findings("migrations/create-rule"), \
        done.findings()
    assert done.code == 0, done.findings()


IMPLICIT = {
    "trigger-then-insert": (_fn("f", "EXECUTE 'DROP TABLE users'; RETURN NULL;") + "CREATE TABLE x (id int);\n"
                            "CREATE TRIGGER t AFTER INSERT ON x FOR EACH STATEMENT EXECUTE FUNCTION f();\n"
                            "INSERT INTO x VALUES (1);\n", "drop-table"),
    "default": (_fn("h", "DELETE FROM users; RETURN 1;", "int") + "CREATE TABLE y (a int DEFAULT h());\n"
                "INSERT INTO y DEFAULT VALUES;\n", "delete-all-rows"),
    "check": (_fn("h", "DELETE FROM users; RETURN true;", "bool") + "CREATE TABLE y (a int CHECK (h()));\n"
              "INSERT INTO y VALUES (1);\n", "delete-all-rows"),
    "view": (_fn("h", "TRUNCATE users; RETURN 1;", "int") + "CREATE VIEW v AS SELECT h();\nSELECT * FROM v;\n",
             "truncate-table"),
}
LATER = {
    "replaced-after-wiring": (_fn("f", "RETURN NULL;") + "CREATE TABLE x (id int);\n"
                              "CREATE TRIGGER t AFTER INSERT ON x FOR EACH STATEMENT EXECUTE FUNCTION f();\n"
                              + _fn("f", "DELETE FROM users; RETURN NULL;").replace("CREATE", "CREATE OR REPLACE")
                              + "INSERT INTO x VALUES (1);\n", "delete-all-rows"),
    "renamed": (_fn("f", "DELETE FROM users;", "void") + "ALTER FUNCTION f RENAME TO g;\nSELECT g();\n",
                "delete-all-rows"),
    "operator": (_fn("h", "DELETE FROM users; RETURN true;", "bool", "int, int")
                 + "CREATE OPERATOR === (LEFTARG = int, RIGHTARG = int, FUNCTION = h);\nSELECT 1 === 1;\n",
                 "delete-all-rows"),
    "event-trigger": (_fn("g", "DROP TABLE users;", "event_trigger")
                      + "CREATE EVENT TRIGGER e ON ddl_command_end EXECUTE FUNCTION g();\n"
                      "CREATE TABLE z (id int);\n", "drop-table"),
    # g, harmless when wired to y, is replaced; f's INSERT into y fires the new g
    "trigger-chain": (_fn("g", "RETURN NULL;") + _fn("f", "INSERT INTO y VALUES (1); RETURN NULL;")
                      + "CREATE TABLE x (id int);\nCREATE TABLE y (id int);\n"
                      "CREATE TRIGGER ty AFTER INSERT ON y FOR EACH STATEMENT EXECUTE FUNCTION g();\n"
                      + _fn("g", "DELETE FROM users; RETURN NULL;").replace("CREATE", "CREATE OR REPLACE")
                      + "CREATE TRIGGER tx AFTER INSERT ON x FOR EACH STATEMENT EXECUTE FUNCTION f();\n"
                      "INSERT INTO x VALUES (1);\n", "delete-all-rows"),
}


@pytest.mark.parametrize("case", sorted(IMPLICIT | LATER))
def test_a_routine_run_without_a_call_is_judged(tmp_path: Path, case: str) -> None:
    sql, rule = (IMPLICIT | LATER)[case]
    _blocks(_judge(tmp_path, sql), rule)


@pytest.mark.skipif(not PG, reason="PostgreSQL server programs (initdb) are not installed")
@pytest.mark.parametrize("case", sorted(IMPLICIT))
def test_replay_does_not_downgrade_what_an_implicit_routine_deletes(tmp_path: Path, case: str) -> None:
    # the statement that wires the routine up takes no lock on users: replay saw "no lock" there
    sql, rule = IMPLICIT[case]
    _blocks(_judge(tmp_path, sql, replay="on"), rule)


ORDINARY_TRIGGERS = [
    _fn("touch", "NEW.updated_at := now(); RETURN NEW;")
    + "ALTER TABLE users ADD COLUMN updated_at timestamptz;\n"
    "CREATE TRIGGER users_touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION touch();\n"
    "UPDATE users SET email = lower(email) WHERE id = 1;\n",
    "CREATE TABLE audit (at timestamptz, who int, what text);\n"
    + _fn("audit_row", "INSERT INTO audit VALUES (now(), NEW.id, TG_OP); RETURN NEW;")
    + "CREATE TRIGGER users_audit AFTER INSERT OR UPDATE ON users FOR EACH ROW EXECUTE FUNCTION audit_row();\n"
    "INSERT INTO users VALUES (42, 'a@example.com');\n",
    _fn("next_code", "RETURN 7;", "int") + "CREATE TABLE codes (c int DEFAULT next_code());\n"
    "INSERT INTO codes DEFAULT VALUES;\n",
]


@pytest.mark.parametrize("sql", ORDINARY_TRIGGERS)
def test_ordinary_triggers_and_defaults_do_not_block(tmp_path: Path, sql: str) -> None:
    done = _judge(tmp_path, sql)
    assert done.code == 0 and not [f for f in done.findings() if f["severity"] == "critical"], done.findings()


LAUNDERED = {
    "attach-partition-drop": ("CREATE TABLE p (id int, email text) PARTITION BY RANGE (id);\n"
                              "ALTER TABLE p ATTACH PARTITION users FOR VALUES FROM (0) TO (1000000);\nDROP TABLE p;\n",
                              "drop-table"),
    "attach-partition-truncate": ("CREATE TABLE p (id int, email text) PARTITION BY RANGE (id);\n"
                                  "ALTER TABLE p ATTACH PARTITION users FOR VALUES FROM (0) TO (1000000);\n"
                                  "TRUNCATE p;\n", "truncate-table"),
    "inherit-drop": ("CREATE TABLE parent (id int, email text);\nALTER TABLE users INHERIT parent;\n"
                     "DROP TABLE parent CASCADE;\n", "drop-table"),
    "inherit-delete": ("CREATE TABLE parent (id int, email text);\nALTER TABLE public.users INHERIT parent;\n"
                       "DELETE FROM parent;\n", "delete-all-rows"),
    "extension-add-table": ("CREATE EXTENSION hstore;\nALTER EXTENSION hstore ADD TABLE users;\n"
                            "DROP EXTENSION hstore;\n", "drop-extension"),
    "extension-if-not-exists": ("CREATE EXTENSION IF NOT EXISTS hstore;\nDROP EXTENSION hstore CASCADE;\n",
                                "drop-extension"),
}


@pytest.mark.parametrize("case", sorted(LAUNDERED))
def test_an_existing_table_laundered_through_a_new_parent_stays_existing(tmp_path: Path, case: str) -> None:
    sql, rule = LAUNDERED[case]
    _blocks(_judge(tmp_path, sql), rule)


@pytest.mark.parametrize("sql", [
    "CREATE TABLE p (id int) PARTITION BY RANGE (id);\nCREATE TABLE p1 (id int);\n"
    "ALTER TABLE p ATTACH PARTITION p1 FOR VALUES FROM (0) TO (10);\nDROP TABLE p;\n",
    "CREATE TABLE parent (id int);\nCREATE TABLE child (id int);\nALTER TABLE child INHERIT parent;\n"
    "DROP TABLE parent CASCADE;\n",
    "CREATE TABLE users_history (LIKE users);\nALTER TABLE users_history INHERIT users;\nDROP TABLE users_history;\n",
    "CREATE EXTENSION hstore;\nDROP EXTENSION hstore CASCADE;\n",
])
def test_what_the_migration_creates_and_attaches_is_still_new(tmp_path: Path, sql: str) -> None:
    _passes(_judge(tmp_path, sql))
