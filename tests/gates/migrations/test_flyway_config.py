"""Flyway's configuration, read from the repository: the file naming it sets makes migrations of the
files it names, and leaves every other file classified as without it."""

from __future__ import annotations

from pathlib import Path

from readiness.gates.migrations.discover import discover
from readiness.gates.migrations.flywayconf import Flyway
from readiness.workspace import Workspace


def _found(tmp_path: Path, files: dict[str, str]) -> dict[str, str]:
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text, encoding="utf-8")
    ws = Workspace(tmp_path)
    fw = Flyway(ws, changed=None)
    return {c.path: c.format for c in discover(ws, None, flyway=(fw.names, fw.locations))}


def test_configured_naming_adds_its_files_and_keeps_other_databases_out(tmp_path: Path) -> None:
    found = _found(tmp_path, {
        "flyway.conf": "flyway.sqlMigrationPrefix=V\nflyway.sqlMigrationSuffixes=.sql,.pgsql\n",
        "db/migration/postgres/V1__a.sql": "CREATE TABLE a (id int);\n",
        "db/migration/postgres/V2__b.pgsql": "CREATE TABLE b (id int);\n",
        "db/migration/mysql/V1__a.sql": "CREATE TABLE a (id int);\n",
        "db/migration/mysql/V2__b.pgsql": "CREATE TABLE b (id int);\n",
        "db/migration/postgres/V3__c.mysql.pgsql": "CREATE TABLE c (id int);\n",
    })
    assert found == {"db/migration/postgres/V1__a.sql": "flyway", "db/migration/postgres/V2__b.pgsql": "flyway"}


def test_a_location_limits_the_configured_naming(tmp_path: Path) -> None:
    found = _found(tmp_path, {
        "flyway.toml": '[flyway]\nlocations = ["filesystem:sql"]\nsqlMigrationSuffixes = [".ddl"]\n',
        "sql/V1__a.ddl": "CREATE TABLE a (id int);\n",
        "sql/R__views.ddl": "CREATE VIEW v AS SELECT 1;\n",
        "tools/V1__notes.ddl": "not a migration\n",
    })
    assert found == {"sql/V1__a.ddl": "flyway", "sql/R__views.ddl": "flyway-repeatable"}


def test_no_flyway_configuration_changes_nothing(tmp_path: Path) -> None:
    found = _found(tmp_path, {"db/migrations/V1__a.sql": "CREATE TABLE a (id int);\n", "ops/V2__b.txt": "x\n"})
    assert found == {"db/migrations/V1__a.sql": "flyway"}


def test_spring_yaml_sets_flyway_as_properties_do(tmp_path: Path) -> None:
    """Every document of application*.yml, nested keys or dotted, lists or comma strings."""
    found = _found(tmp_path, {
        "src/main/resources/application.yml": "server:\n  port: 8080\n---\nspring:\n  flyway:\n"
                                              "    locations: [filesystem:sql, classpath:db/migration]\n"
                                              "    sql-migration-suffixes: .ddl, .sql\n",
        "src/main/resources/application-prod.yaml": "spring.flyway.placeholders:\n  schema: app\n",
        "sql/V1__a.ddl": "CREATE TABLE a (id int);\n",
        "tools/V1__notes.ddl": "not a migration\n",
    })
    assert found == {"sql/V1__a.ddl": "flyway"}
    fw = Flyway(Workspace(tmp_path), changed=None)
    assert fw.head.placeholders == {"schema": {"app"}}
    assert fw.unreadable == []


def test_an_unreadable_spring_yaml_naming_flyway_is_reported(tmp_path: Path) -> None:
    bomb = "a: &a [" + ", ".join(["x"] * 200) + "]\nb: [" + ", ".join(["*a"] * 200) + "]\n"
    for rel, text in {"application.yml": bomb + "spring.flyway.locations: filesystem:x\n",
                      "other/application.yml": bomb}.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text, encoding="utf-8")
    fw = Flyway(Workspace(tmp_path), changed=None)
    assert [path for path, _ in fw.unreadable] == ["application.yml"]
