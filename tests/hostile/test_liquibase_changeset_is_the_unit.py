"""For Liquibase, what is already applied is the changeset, not the file (review 6: R6a-7, R6b-8,
R6b-18, R6a-11).

Before: a changelog file the PR edited was judged as one migration, so a table an earlier changeset
of the same file created (applied on production long ago: it is in the base commit) counted as
"created here", and a changeset the PR appended that dropped, emptied or retyped it passed at the
default policy, replay or not. A `runOnChange` changeset the PR edited ran again whole on deploy, yet
its untouched destructive statements were called pre-existing; and a changeset Liquibase may skip
(a precondition with onFail MARK_RAN, a context, labels, failOnError:false, a dbms that may not be
PostgreSQL) made its CREATE "surely created", so the next changeset's destroy of that name was
judged as the destroy of a new table. Now the changesets the base version has are history, the PR's
new, re-run and run-always changesets are its migration, and a conditional CREATE leaves the name
its old meaning.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sec_support import Done, PrRepo, assert_no_defect, check

from readiness.replay.server import find_binaries

SQL = "src/main/resources/db/changelog/db.changelog-master.sql"
XML = "src/main/resources/db/changelog/db.changelog-master.xml"
YAML = "src/main/resources/db/changelog/db.changelog-master.yaml"
JSON = "src/main/resources/db/changelog/db.changelog-master.json"
LBF = ("--liquibase formatted sql\n\n--changeset alice:1\nCREATE TABLE users (id bigint primary key, email text);\n"
       "--rollback DROP TABLE users;\n")
X_HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog">\n'
          '  <changeSet id="1" author="alice">\n    <createTable tableName="users">\n'
          '      <column name="id" type="bigint"><constraints primaryKey="true"/></column>\n'
          '      <column name="email" type="text"/>\n    </createTable>\n  </changeSet>\n')
X_END = "</databaseChangeLog>\n"
Y_HEAD = ("databaseChangeLog:\n- changeSet:\n    id: 1\n    author: alice\n    changes:\n    - createTable:\n"
          "        tableName: users\n        columns:\n"
          "        - column: {name: id, type: bigint, constraints: {primaryKey: true}}\n"
          "        - column: {name: email, type: text}\n")
J_CREATE = ('{"changeSet": {"id": "1", "author": "alice", "changes": [{"createTable": {"tableName": "users", '
            '"columns": [{"column": {"name": "id", "type": "bigint"}}, '
            '{"column": {"name": "email", "type": "text"}}]}}]}}')
J_DROP = '{"changeSet": {"id": "2", "author": "bob", "changes": [{"dropTable": {"tableName": "users"}}]}}'


def _json(*sets: str) -> str:
    return '{"databaseChangeLog": [\n' + ",\n".join(sets) + "\n]}\n"


def _sql(extra: str, base_extra: str = "") -> tuple[dict[str, str], dict[str, str]]:
    return {SQL: LBF + base_extra}, {SQL: LBF + base_extra + extra}


APPENDED: dict[str, tuple[tuple[dict[str, str], dict[str, str]], str]] = {
    "sql-drop": (_sql("\n--changeset bob:2\nDROP TABLE users;\n"), "migrations/drop-table"),
    "sql-truncate": (_sql("\n--changeset bob:2\nTRUNCATE users;\n"), "migrations/truncate-table"),
    "sql-delete": (_sql("\n--changeset bob:2\nDELETE FROM users;\n"), "migrations/delete-all-rows"),
    "sql-drop-column": (_sql("\n--changeset bob:2\nALTER TABLE users DROP COLUMN email;\n"), "migrations/drop-column"),
    "sql-type": (_sql("\n--changeset bob:2\nALTER TABLE users ALTER COLUMN email TYPE int USING 0;\n"),
                 "migrations/change-column-type"),
    "xml-drop": (({XML: X_HEAD + X_END}, {XML: X_HEAD + '  <changeSet id="2" author="bob">\n'
                                          '    <dropTable tableName="users"/>\n  </changeSet>\n' + X_END}),
                 "migrations/drop-table"),
    "xml-sql-delete": (({XML: X_HEAD + X_END}, {XML: X_HEAD + '  <changeSet id="2" author="bob">\n'
                                                '    <sql>DELETE FROM users</sql>\n  </changeSet>\n' + X_END}),
                       "migrations/delete-all-rows"),
    "yaml-drop": (({YAML: Y_HEAD}, {YAML: Y_HEAD + "- changeSet:\n    id: 2\n    author: bob\n    changes:\n"
                                   "    - dropTable: {tableName: users}\n"}), "migrations/drop-table"),
    "json-drop": (({JSON: _json(J_CREATE)}, {JSON: _json(J_CREATE, J_DROP)}), "migrations/drop-table"),
    # Liquibase runs a changed runOnChange changeset again, whole: its kept DELETE is the PR's
    "run-on-change-edited": (({SQL: LBF + "--changeset alice:2 runOnChange:true\nDELETE FROM users;\n"
                                     "CREATE OR REPLACE VIEW v AS SELECT 1 AS x;\n"},
                              {SQL: LBF + "--changeset alice:2 runOnChange:true\nDELETE FROM users;\n"
                                    "CREATE OR REPLACE VIEW v AS SELECT 2 AS x;\n"}), "migrations/delete-all-rows"),
    # ... and a runAlways one runs on every deploy, this PR's too
    "run-always": (({SQL: LBF + "--changeset alice:2 runAlways:true\nDELETE FROM users;\n"},
                    {SQL: LBF + "--changeset alice:2 runAlways:true\nDELETE FROM users;\n"
                          "--changeset bob:3\nCREATE INDEX users_email ON users (email);\n"}),
                   "migrations/delete-all-rows"),
}


def _check(tmp_path: Path, base: dict[str, str], pr: dict[str, str], replay: str = "off") -> Done:
    repo = PrRepo.make(tmp_path / "ws", base, pr)
    return check(repo.path, "--base", repo.base, "--gates", "migrations", "--replay", replay, home=tmp_path)


def _blocked(done_rule: str, done: Done) -> None:
    assert_no_defect(done)
    found = done.findings(done_rule)
    assert found and all(f["severity"] == "critical" and f["introduced"] for f in found), done.findings()
    assert done.code == 1, (done.code, done.findings())


@pytest.mark.parametrize("case", sorted(APPENDED))
def test_a_changeset_appended_to_an_applied_changelog_is_judged_against_its_history(tmp_path: Path,
                                                                                       case: str) -> None:
    (base, pr), rule = APPENDED[case]
    done = _check(tmp_path, base, pr)
    _blocked(rule, done)


@pytest.mark.parametrize("case", ["sql-drop", "sql-type", "run-on-change-edited"])
def test_replay_runs_the_applied_changesets_as_history(tmp_path: Path, case: str) -> None:
    if isinstance(find_binaries(), str):
        if os.environ.get("REQUIRE_REPLAY_TESTS") == "1":
            pytest.fail("REQUIRE_REPLAY_TESTS=1 but the PostgreSQL server programs are absent")
        pytest.skip("the PostgreSQL server programs are absent")
    (base, pr), rule = APPENDED[case]
    done = _check(tmp_path, base, pr, "on")
    _blocked(rule, done)


CONDITIONAL_CREATE = {
    "sql-precondition-mark-ran": "--changeset a:2\n--preconditions onFail:MARK_RAN\n"
                                 "--precondition-sql-check expectedResult:0 SELECT count(*) FROM pg_tables "
                                 "WHERE tablename = 'users'\n",
    "sql-fail-on-error-false": "--changeset a:2 failOnError:false\n",
    "sql-context": "--changeset a:2 context:localdev\n",
    "sql-labels": "--changeset a:2 labels:never\n",
    "sql-dbms-unknown": "--changeset a:2 dbms:edb\n",
}


@pytest.mark.parametrize("case", sorted(CONDITIONAL_CREATE))
def test_a_create_liquibase_may_skip_leaves_the_name_to_the_existing_table(tmp_path: Path, case: str) -> None:
    base = {"db/changelog/001.sql": LBF}
    pr = {"db/changelog/002.sql": "--liquibase formatted sql\n" + CONDITIONAL_CREATE[case]
          + "CREATE TABLE users (id bigint primary key, email text);\n--rollback DROP TABLE users;\n"
          + "--changeset a:3\nDROP TABLE users;\n"}
    done = _check(tmp_path, base, pr)
    _blocked("migrations/drop-table", done)


X_CONDITIONAL = {
    "xml-precondition-continue": '  <changeSet id="2" author="a"><preConditions onFail="CONTINUE"><not>'
                                 '<tableExists tableName="users"/></not></preConditions>',
    "xml-precondition-error-mark-ran": '  <changeSet id="2" author="a"><preConditions onError="MARK_RAN">'
                                       '<sqlCheck expectedResult="0">SELECT 1</sqlCheck></preConditions>',
    "xml-context": '  <changeSet id="2" author="a" context="test">',
    "xml-fail-on-error": '  <changeSet id="2" author="a" failOnError="false">',
}


@pytest.mark.parametrize("case", sorted(X_CONDITIONAL))
def test_an_xml_create_liquibase_may_skip_leaves_the_name_to_the_existing_table(tmp_path: Path, case: str) -> None:
    base = {"db/changelog/001.sql": LBF}
    pr = {"db/changelog/002.xml": '<?xml version="1.0"?>\n<databaseChangeLog>\n' + X_CONDITIONAL[case]
          + '<createTable tableName="users"><column name="id" type="int"/></createTable></changeSet>\n'
          '  <changeSet id="3" author="a"><dropTable tableName="users"/></changeSet>\n</databaseChangeLog>\n'}
    done = _check(tmp_path, base, pr)
    _blocked("migrations/drop-table", done)


def test_a_yaml_precondition_list_with_mark_ran_is_conditional(tmp_path: Path) -> None:
    base = {"db/changelog/001.sql": LBF}
    pr = {"db/changelog/002.yaml": "databaseChangeLog:\n- changeSet:\n    id: 2\n    author: a\n"
          "    preConditions:\n    - onFail: MARK_RAN\n    - not:\n      - tableExists: {tableName: users}\n"
          "    changes:\n    - createTable:\n        tableName: users\n        columns:\n"
          "        - column: {name: id, type: int}\n"
          "- changeSet:\n    id: 3\n    author: a\n    changes:\n    - dropTable: {tableName: users}\n"}
    done = _check(tmp_path, base, pr)
    _blocked("migrations/drop-table", done)


def test_the_history_changesets_findings_stay_pre_existing(tmp_path: Path) -> None:
    # the base changeset empties a table (applied long ago); the PR appends a harmless changeset and
    # reformats the old one (Liquibase does not run it again): nothing of the PR blocks
    cleanup = "db/changelog/002.sql"
    old = "--liquibase formatted sql\n--changeset alice:2\nDELETE FROM users;\n--rollback SELECT 1;\n"
    base = {"db/changelog/001.sql": LBF, cleanup: old}
    pr = {cleanup: old.replace("DELETE FROM users;", "DELETE   FROM users ;")
          + "\n--changeset bob:3\nCREATE TABLE notes (id bigint primary key, body text);\n"
          "--rollback DROP TABLE notes;\n"}
    done = _check(tmp_path, base, pr)
    assert_no_defect(done)
    found = done.findings("migrations/delete-all-rows")
    assert found and not any(f["introduced"] for f in found), found
    assert done.code == 0, (done.code, done.findings())


def test_a_table_a_pr_changeset_creates_is_still_new_to_the_next(tmp_path: Path) -> None:
    # the PR's own table, created and dropped in its own new changesets, destroys nothing older
    base, pr = _sql("\n--changeset bob:2\nCREATE TABLE scratch (id bigint primary key);\n"
                    "--rollback DROP TABLE scratch;\n--changeset bob:3\nDROP TABLE scratch;\n--rollback SELECT 1;\n")
    done = _check(tmp_path, base, pr)
    assert_no_defect(done)
    assert not [f for f in done.findings("migrations/drop-table") if f["severity"] == "critical"], done.findings()
    assert done.code == 0, (done.code, done.findings())
