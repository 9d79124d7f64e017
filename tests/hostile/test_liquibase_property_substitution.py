"""Liquibase changelog properties must be substituted before a change is judged, as Liquibase does.

`<property name="x" value="..."/>` (XML) or `- property:` (YAML, JSON) in any changelog of the
repository sets `${x}` in every changelog Liquibase runs (attributes, `<sql>`, formatted SQL,
`sqlFile`). Before, `${x}` was always read as a name standing for an unknown value, so a property whose
value is SQL (`1; DROP TABLE users`) ran a DROP the gate never saw. Now a property with one value on
PostgreSQL (its `dbms` respected) is substituted, one with several (per context, database or
changelog) fails closed (`migrations/dynamic-sql`), and one nothing sets stays the runner's own name.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sec_support import PrRepo, assert_no_defect, check

D = "db/changelog/"
HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog">\n'
BASE = {D + "000-init.sql": "--liquibase formatted sql\n--changeset a:0\nCREATE TABLE users (id int primary key);\n"
                            "--rollback DROP TABLE users;\n"}


def _xml(*body: str) -> str:
    return HEAD + "".join(f"  {b}\n" for b in body) + "</databaseChangeLog>\n"


def _cs(body: str, ident: str = "1") -> str:
    return f'<changeSet id="{ident}" author="a">{body}<rollback/></changeSet>'


def _run(tmp_path: Path, pr: dict[str, str], base: dict[str, str] | None = None) -> tuple[int, list[str]]:
    repo = PrRepo.make(tmp_path / "ws", {**BASE, **(base or {})}, pr)
    done = check(repo.path, "--base", repo.base, "--gates", "migrations", "--replay", "off", home=tmp_path)
    assert_no_defect(done)
    return done.code, [str(f["rule"]) for f in done.findings() if f["severity"] == "critical"]


SQL = '<property name="x" value="1; DROP TABLE users"/>'
ATTACKS = {
    "xml-sql": ({D + "001.xml": _xml(SQL, _cs("<sql>SELECT ${x}</sql>"))}, "migrations/drop-table"),
    "yaml": ({D + "001.yaml": "databaseChangeLog:\n- property:\n    name: x\n    value: 1; DROP TABLE users\n"
                              "- changeSet:\n    id: '1'\n    author: a\n    changes:\n    - sql:\n"
                              "        sql: SELECT ${x}\n    rollback: []\n"}, "migrations/drop-table"),
    "defined-in-the-master": ({D + "master.xml": _xml(SQL, '<include file="002.sql" relativeToChangelogFile="true"/>'),
                               D + "002.sql": "--liquibase formatted sql\n--changeset a:2\nSELECT ${x};\n"
                                              "--rollback SELECT 1;\n"}, "migrations/drop-table"),
    "sqlfile": ({D + "001.xml": _xml(SQL, _cs('<sqlFile path="run.sql" relativeToChangelogFile="true"/>')),
                 D + "run.sql": "SELECT ${x};\n"}, "migrations/drop-table"),
    "attribute": ({D + "001.xml": _xml('<property name="w" value="1 = 1"/>',
                                       _cs('<delete tableName="users"><where>${w}</where></delete>'))},
                  "migrations/delete-all-rows"),
    "per-context": ({D + "001.xml": _xml('<property name="x" value="1" context="dev"/>',
                                         '<property name="x" value="1; DROP TABLE users" context="prod"/>',
                                         _cs("<sql>SELECT ${x}</sql>"))}, "migrations/dynamic-sql"),
    "unset-name": ({D + "001.xml": _xml(_cs('<dropTable tableName="${t}"/>'))}, "migrations/drop-table"),
}


@pytest.mark.parametrize("case", sorted(ATTACKS))
def test_liquibase_properties_are_substituted_as_liquibase_does(tmp_path: Path, case: str) -> None:
    pr, rule = ATTACKS[case]
    code, critical = _run(tmp_path, pr)
    assert rule in critical, critical
    assert "migrations/parse-error" not in critical, critical
    assert code == 1


@pytest.mark.parametrize("pr", [
    {D + "001.xml": _xml('<property name="x" value="1" dbms="postgresql"/>',
                         '<property name="x" value="1; DROP TABLE users" dbms="mysql"/>',
                         _cs("<sql>SELECT ${x}</sql>"))},
    {D + "001.xml": _xml('<property name="floatType" value="float4" dbms="postgresql, h2"/>',
                         '<property name="floatType" value="float" dbms="mysql, oracle"/>',
                         '<property name="now" value="now()" dbms="postgresql"/>',
                         _cs('<addColumn tableName="users"><column name="score" type="${floatType}"/>'
                             '<column name="seen" type="timestamptz" defaultValueComputed="${now}"/></addColumn>'))},
    {D + "001.xml": _xml(_cs("<sql>CREATE TABLE ${schema}.audit (id int primary key)</sql>"))},  # the runner's own
])
def test_ordinary_properties_still_pass(tmp_path: Path, pr: dict[str, str]) -> None:
    code, critical = _run(tmp_path, pr)
    assert critical == [] and code == 0, critical
