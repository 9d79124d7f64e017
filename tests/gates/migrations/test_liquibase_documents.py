"""Liquibase XML, YAML and JSON changelogs (`databaseChangeLog`): read, judged per change, and
failing closed where the gate cannot read them (review5 R5-5)."""

from __future__ import annotations

from pathlib import Path

import pytest
from migrations_helpers import check, findings, items

from readiness.gates.migrations import lbdoc
from readiness.model import Report
from readiness.workspace.changes import ChangeSet

RES = "src/main/resources/db/changelog"
MASTER_YAML = (
    "databaseChangeLog:\n"
    "  - include:\n"
    "      file: db/changelog/changes/001-init.xml\n"
    "  - include:\n"
    "      file: db/changelog/changes/002-orders.yaml\n"
)
NS = ('<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog"\n'
      '    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"\n'
      '    xsi:schemaLocation="http://www.liquibase.org/xml/ns/dbchangelog '
      'https://www.liquibase.org/xml/ns/dbchangelog/dbchangelog-4.20.xsd">\n')


def _xml(body: str) -> str:
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + NS + body + "</databaseChangeLog>\n"


def _pr(*paths: str) -> ChangeSet:
    return ChangeSet(base="main", files=frozenset(paths), deleted=frozenset(), source="git")


def _rules(report: Report, path: str | None = None) -> list[tuple[str, int]]:
    return sorted((f.rule.split("/", 1)[1], f.location.line or 0) for f in findings(report)
                  if path is None or f.location.path == path)


def test_spring_boot_layout_xml_and_yaml_changes_are_judged_at_their_lines(tmp_path: Path) -> None:
    init = _xml(
        '  <changeSet id="1" author="alice">\n'                                           # 5
        '    <createTable tableName="orders">\n'                                          # 6
        '      <column name="id" type="bigint" autoIncrement="true">\n'                   # 7
        '        <constraints primaryKey="true" nullable="false"/>\n'                     # 8
        "      </column>\n"                                                               # 9
        '      <column name="note" type="varchar(255)"/>\n'                               # 10
        "    </createTable>\n"                                                            # 11
        '    <createIndex indexName="orders_note" tableName="orders">\n'                  # 12
        '      <column name="note"/>\n'                                                   # 13
        "    </createIndex>\n"                                                            # 14
        "  </changeSet>\n"                                                                # 15
        '  <changeSet id="2" author="alice">\n'                                           # 16
        '    <dropTable tableName="users"/>\n'                                            # 17
        "  </changeSet>\n"                                                                # 18
    )
    orders = (
        "databaseChangeLog:\n"                                                            # 1
        "  - changeSet:\n"                                                                # 2
        "      id: 3\n"                                                                   # 3
        "      author: bob\n"                                                             # 4
        "      changes:\n"                                                                # 5
        "        - addColumn:\n"                                                          # 6
        "            tableName: invoices\n"                                               # 7
        "            columns:\n"                                                          # 8
        "              - column:\n"                                                       # 9
        "                  name: total\n"                                                 # 10
        "                  type: numeric(10,2)\n"                                         # 11
        "                  constraints:\n"                                                # 12
        "                    nullable: false\n"                                           # 13
        "        - renameColumn:\n"                                                       # 14
        "            tableName: invoices\n"                                               # 15
        "            oldColumnName: amount\n"                                             # 16
        "            newColumnName: net\n"                                                # 17
        "        - dropColumn:\n"                                                         # 18
        "            tableName: invoices\n"                                               # 19
        "            columnName: legacy\n"                                                # 20
    )
    report = check(tmp_path, {f"{RES}/db.changelog-master.yaml": MASTER_YAML,
                              f"{RES}/changes/001-init.xml": init, f"{RES}/changes/002-orders.yaml": orders})
    got_init = _rules(report, f"{RES}/changes/001-init.xml")
    assert ("drop-table", 17) in got_init
    # the index is on the table the same changeset creates: no lock worth reporting
    assert not [r for r in got_init if r[0] == "create-index-non-concurrently"]
    # createTable/createIndex roll back by themselves; dropTable does not
    assert [r for r in got_init if r[0] == "irreversible-migration"] == [("irreversible-migration", 16)]
    got_orders = _rules(report, f"{RES}/changes/002-orders.yaml")
    assert ("add-column-not-null", 6) in got_orders
    assert ("rename-column", 14) in got_orders
    assert ("drop-column", 18) in got_orders
    by_path = {i.data["path"]: i.data for i in items(report)}
    assert by_path[f"{RES}/changes/001-init.xml"]["format"] == "liquibase"
    assert by_path[f"{RES}/changes/001-init.xml"]["risk"] in ("critical", "avoid")
    assert by_path[f"{RES}/db.changelog-master.yaml"]["statements"] == 0  # includes only


def test_json_changelog_and_inline_sql(tmp_path: Path) -> None:
    text = (
        '{"databaseChangeLog": [\n'                                                       # 1
        '  {"changeSet": {"id": "1", "author": "a", "changes": [\n'                       # 2
        '    {"modifyDataType": {"tableName": "users", "columnName": "email",\n'          # 3
        '                        "newDataType": "varchar(50)"}},\n'                       # 4
        '    {"sql": {"sql": "TRUNCATE users"}}\n'                                        # 5
        "  ]}}\n"
        "]}\n"
    )
    report = check(tmp_path, {"db/changelog/changes.json": text})
    got = _rules(report)
    assert ("change-column-type", 3) in got
    assert ("truncate-table", 5) in got


def test_xml_sql_and_delete_update_where(tmp_path: Path) -> None:
    report = check(tmp_path, {f"{RES}/c.xml": _xml(
        '  <changeSet id="1" author="a">\n'                                               # 5
        "    <sql>\n"                                                                     # 6
        "      -- clean up\n"                                                             # 7
        "      DELETE FROM audit_log\n"                                                   # 8
        "    </sql>\n"                                                                    # 9
        '    <delete tableName="sessions"/>\n'                                            # 10
        '    <update tableName="users"><column name="flag" value="1"/>'
        "<where>id = 1</where></update>\n"                                                # 11
        '    <sql dbms="h2">DROP TABLE users</sql>\n'                                     # 12
        "  </changeSet>\n"
        '  <changeSet id="2" author="a" dbms="oracle">\n'
        '    <dropTable tableName="orders"/>\n'
        "  </changeSet>\n"
    )})
    got = _rules(report)
    assert [r for r in got if r[0] == "delete-all-rows"] == [("delete-all-rows", 8), ("delete-all-rows", 10)]
    assert not [r for r in got if r[0] in ("drop-table", "unbatched-backfill")]


def test_a_change_type_the_gate_does_not_read_fails_closed(tmp_path: Path) -> None:
    path = f"{RES}/c.yaml"
    report = check(tmp_path, {path: (
        "databaseChangeLog:\n"
        "  - changeSet:\n"
        "      id: 1\n"
        "      author: a\n"
        "      changes:\n"
        "        - customChange:\n"                                                      # 6
        "            class: com.example.Purge\n"
        "        - tagDatabase:\n"
        "            tag: v1\n"
    )}, changes=_pr(path))
    [f] = findings(report, "dynamic-sql")
    assert f.location.line == 6 and "customChange" in f.message
    assert f.severity.value == "critical"  # what the PR adds and the gate cannot read blocks


def test_sql_file_is_judged_and_one_outside_the_repository_fails_closed(tmp_path: Path) -> None:
    (tmp_path / "outside.sql").write_text("DROP TABLE users;\n")
    root = tmp_path / "repo"
    report = check(root, {
        "scripts/cleanup.sql": "DROP TABLE users;\n",
        f"{RES}/changes/cleanup.sql": "TRUNCATE sessions;\n",
        f"{RES}/c.xml": _xml(
            '  <changeSet id="1" author="a">\n'                                           # 5
            '    <sqlFile path="scripts/cleanup.sql"/>\n'                                 # 6
            '    <sqlFile path="changes/cleanup.sql" relativeToChangelogFile="true"/>\n'  # 7
            '    <sqlFile path="db/changelog/changes/cleanup.sql"/>\n'                    # 8 (classpath root)
            '    <sqlFile path="../../../../../outside.sql" relativeToChangelogFile="true"/>\n'  # 9
            '    <sqlFile path="nowhere.sql"/>\n'                                          # 10
            "  </changeSet>\n")})
    got = _rules(report, f"{RES}/c.xml")
    assert ("drop-table", 6) in got
    assert ("truncate-table", 7) in got and ("truncate-table", 8) in got
    assert [r for r in got if r[0] == "dynamic-sql"] == [("dynamic-sql", 9), ("dynamic-sql", 10)]


def test_rollbacks(tmp_path: Path) -> None:
    report = check(tmp_path / "a", {f"{RES}/c.xml": _xml(
        '  <changeSet id="1" author="a">\n'                                               # 5
        '    <dropColumn tableName="users" columnName="nick"/>\n'
        '    <rollback><addColumn tableName="users"><column name="nick" type="text"/></addColumn></rollback>\n'
        "  </changeSet>\n"
        '  <changeSet id="3" author="a">\n'
        '    <dropTable tableName="t3"/>\n'
        "    <rollback>CREATE TABLE t3 (id int)</rollback>\n"
        "  </changeSet>\n"
    )})
    assert not findings(report, "irreversible-migration")
    assert len(findings(report, "lossy-down")) == 2  # the column and the table come back empty
    report = check(tmp_path / "b", {f"{RES}/c.xml": _xml(
        '  <changeSet id="2" author="a">\n'                                               # 5
        '    <delete tableName="tmp"><where>id &lt; 10</where></delete>\n'
        "    <rollback/>\n"
        "  </changeSet>\n"
    )})
    [irreversible] = findings(report, "irreversible-migration")
    assert irreversible.location.line == 5 and "declared empty" in irreversible.message


@pytest.mark.parametrize("text", [
    '<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY x "DROP TABLE users">]>\n<databaseChangeLog>'
    "<changeSet id='1' author='a'><sql>&x;</sql></changeSet></databaseChangeLog>\n",
    '<?xml version="1.0"?>\n<!DOCTYPE d SYSTEM "file:///etc/passwd">\n<databaseChangeLog/>\n',
    '<?xml version="1.0"?>\n<databaseChangeLog>\n<changeSet id="1">\n</databaseChangeLog>\n',
    "<?xml version='1.0'?>\n<databaseChangeLog>" + "<a>" * 5000 + "</a>" * 5000 + "</databaseChangeLog>\n",
])
def test_a_changelog_that_cannot_be_read_safely_fails_closed(tmp_path: Path, text: str) -> None:
    path = f"{RES}/bad.xml"
    report = check(tmp_path, {path: text}, changes=_pr(path))
    [f] = findings(report, "unreadable-file")
    assert f.severity.value == "critical" and f.location.path == path
    assert not findings(report, "drop-table")


def test_yaml_changelog_that_does_not_parse_fails_closed(tmp_path: Path) -> None:
    path = f"{RES}/bad.yaml"
    report = check(tmp_path, {path: "databaseChangeLog:\n  - changeSet: {id: 1\n"}, changes=_pr(path))
    assert findings(report, "unreadable-file")


def test_names_are_quoted_never_pasted(tmp_path: Path) -> None:
    report = check(tmp_path, {f"{RES}/c.xml": _xml(
        '  <changeSet id="1" author="a">\n'
        '    <createTable tableName="x&quot;; DROP TABLE users; --">\n'
        '      <column name="id" type="int; DROP TABLE users"/>\n'
        "    </createTable>\n"
        '    <addColumn tableName="user"><column name="order" type="${uuid_type}"/></addColumn>\n'
        "  </changeSet>\n")})
    assert not findings(report, "drop-table") and not findings(report, "parse-error")


def test_discovery(tmp_path: Path) -> None:
    files = {
        "pom.xml": "<project><modelVersion>4.0.0</modelVersion></project>\n",
        f"{RES}/notes.xml": "<notes>databaseChangeLog</notes>\n",
        f"{RES}/app.json": '{"name": "x"}\n',
        "deploy/db/extra.xml": _xml('  <changeSet id="9" author="a"><dropTable tableName="users"/></changeSet>\n'),
        "config/liquibase/master.xml": _xml('  <include file="config/liquibase/changelog/x.xml"/>\n'),
    }
    full = check(tmp_path, files)
    assert sorted(i.data["path"] for i in items(full)) == ["config/liquibase/master.xml"]
    # a changelog anywhere is judged when the PR adds or changes it (a master changelog includes any path)
    pr = check(tmp_path, changes=_pr("deploy/db/extra.xml", "pom.xml"))
    assert [f.location.path for f in findings(pr, "drop-table")] == ["deploy/db/extra.xml"]


def test_sniffing_reads_a_bounded_head() -> None:
    assert lbdoc.changelog_format("a/b.yml", "# c\ndatabaseChangeLog:\n") == "liquibase-yaml"
    assert lbdoc.changelog_format("a/b.json", '  {\n "databaseChangeLog" : []}') == "liquibase-json"
    assert lbdoc.changelog_format("a/b.xml", "<?xml version='1.0'?>\n<lb:databaseChangeLog>") == "liquibase-xml"
    assert lbdoc.changelog_format("a/b.xml", "<xsd:element name='databaseChangeLog'>") is None
    assert lbdoc.changelog_format("a/b.sql", "databaseChangeLog:") is None


def test_yaml_rollback_and_preconditions_are_not_changes(tmp_path: Path) -> None:
    report = check(tmp_path, {f"{RES}/c.yaml": (
        "databaseChangeLog:\n"
        "  - changeSet:\n"                                                                # 2
        "      id: 1\n"
        "      author: a\n"
        "      preConditions:\n"
        "        - onFail: MARK_RAN\n"
        "        - tableExists:\n"
        "            tableName: old\n"
        "      changes:\n"
        "        - addColumn:\n"
        "            tableName: t\n"
        "            columns:\n"
        "              - column: {name: c, type: timestamp with timezone}\n"
        "        - addAutoIncrement: {tableName: t, columnName: id, columnDataType: bigint}\n"
        "      rollback:\n"
        "        - dropTable:\n"                                                          # 16
        "            tableName: never_run\n"
        "  - changeSet:\n"                                                                # 18
        "      id: 2\n"
        "      author: a\n"
        "      changes:\n"
        "        - dropColumn: {tableName: t, columnName: c}\n"                           # 22
        "      rollback: ALTER TABLE t ADD COLUMN c timestamptz\n"
    )})
    got = _rules(report)
    assert not [r for r in got if r[0] in ("dynamic-sql", "parse-error", "drop-table", "irreversible-migration")], got
    assert ("drop-column", 22) in got and ("lossy-down", 23) in got


def test_a_changeset_added_to_an_applied_changelog_is_judged_alone(tmp_path: Path) -> None:
    from migrations_helpers import git, write

    from readiness.workspace.changes import git_changes

    path = f"{RES}/db.changelog-master.xml"
    old = '  <changeSet id="1" author="a"><dropTable tableName="legacy"/></changeSet>\n'
    write(tmp_path, {path: _xml(old)})
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "base")
    git(tmp_path, "checkout", "-q", "-b", "pr")
    write(tmp_path, {path: _xml(old + '  <changeSet id="2" author="a">\n'
                                '    <dropColumn tableName="users" columnName="nick"/>\n  </changeSet>\n')})
    git(tmp_path, "commit", "-q", "-am", "head")
    report = check(tmp_path, changes=git_changes(tmp_path, "main"))
    introduced = sorted((f.rule, f.location.line) for f in findings(report) if f.introduced)
    assert ("migrations/drop-column", 7) in introduced
    assert not [r for r in introduced if r[0] == "migrations/drop-table"]


def test_where_parameters_and_more_change_types(tmp_path: Path) -> None:
    report = check(tmp_path, {f"{RES}/c.xml": _xml(
        '  <changeSet id="1" author="a">\n'
        '    <update tableName="users"><column name="flag" value="1"/>\n'
        "      <where>:name = :value AND kind::text = 'x'</where>\n"
        '      <whereParams><param name="id" valueNumeric="1"/></whereParams></update>\n'
        '    <renameView oldViewName="v1" newViewName="v2"/>\n'
        '    <renameSequence oldSequenceName="s1" newSequenceName="s2"/>\n'
        '    <alterSequence sequenceName="s2" incrementBy="5"/>\n'
        '    <dropProcedure procedureName="old_proc"/>\n'
        "  </changeSet>\n")})
    got = {r for r, _ in _rules(report)}
    assert not got & {"parse-error", "dynamic-sql", "unbatched-backfill"}, got
    assert "rename-object" in got and "drop-function" in got


def test_another_databases_context_and_computed_defaults(tmp_path: Path) -> None:
    report = check(tmp_path, {f"{RES}/c.xml": _xml(
        '  <changeSet id="1-mysql" author="a" context="mysql">\n'                          # 5
        "    <sql>CREATE TABLE batch (id BIGINT) ENGINE=InnoDB; DROP TABLE legacy;</sql>\n"  # 6
        "  </changeSet>\n"
        '  <changeSet id="1-pg" author="a" context="postgresql">\n'                        # 8
        "    <sql>CREATE TABLE batch (id BIGINT); SELECT 1 FROM</sql>\n"                    # 9
        "  </changeSet>\n"
        '  <changeSet id="2" author="a">\n'
        '    <createTable tableName="t"><column name="at" type="datetime" '
        'defaultValueComputed="current_timestamp()"/>'
        '<column name="b" type="int" defaultValueComputed="IFNULL(x, 0) + @v"/></createTable>\n'
        "  </changeSet>\n")})
    got = _rules(report)
    # the MySQL-only changeset is still judged (Liquibase runs every changeset when no context is
    # given), but PostgreSQL's parser is not asked about MySQL's syntax
    assert ("drop-table", 6) in got
    assert [r for r in got if r[0] == "parse-error"] == [("parse-error", 9)]


def test_changes_written_on_one_line_keep_their_line(tmp_path: Path) -> None:
    report = check(tmp_path, {"db/changelog/one.json": (
        '{"databaseChangeLog": [{"changeSet": {"id": "1", "author": "a", "changes": ['
        '{"sql": {"sql": "SELECT 1"}}, {"dropTable": {"tableName": "a"}}, '
        '{"dropColumn": {"tableName": "b", "columnName": "c"}}]}}]}\n')})
    got = _rules(report)
    assert ("drop-table", 1) in got and ("drop-column", 1) in got
