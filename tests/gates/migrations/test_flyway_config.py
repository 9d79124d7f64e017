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
