"""A pull request must not hide a migration by putting it where the automatic search does not look.

goose, dbmate and golang-migrate take their directory from a flag or an environment variable, and
sqitch from `sqitch.conf`; the tool cannot see the flags. Before: `schema/20240102_drop.sql` holding
`-- +goose Up` / `DROP TABLE users;`, the same with dbmate's `-- migrate:up`, or a sqitch change in
the `deploy_dir` its `sqitch.conf` names, was never judged and the PR passed at the default policy.
Now a `.sql` file the PR adds or changes is a migration when it holds a runner's marker line (as a
Python file is when it is an Alembic revision or a Django migration), `sqitch.conf` names its
deploy directory and script extension, and a Liquibase XML/YAML/JSON changelog the PR adds anywhere
is judged, with the `sqlFile`s it runs.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sec_support import PrRepo, assert_no_defect, check

BASE = {"db/migrations/20240101000000_init.sql":
        "-- migrate:up\nCREATE TABLE users (id bigint primary key);\n-- migrate:down\nDROP TABLE users;\n"}
PLAN = "%syntax-version=1.0.0\n%project=x\n\ndrop_users 2024-01-01T00:00:00Z a <a@example.com> # x\n"

HIDDEN = {
    "goose": {"schema/20240102_drop.sql": "-- +goose Up\nDROP TABLE users;\n-- +goose Down\nSELECT 1;\n"},
    "goose-lowercase": {"internal/store/sql/00002_drop.sql": "--  +goose up\nDROP TABLE users;\n"},
    "dbmate": {"db/sql/20240102000000_drop.sql": "-- migrate:up\nDROP TABLE users;\n-- migrate:down\n"},
    "liquibase": {"src/db/2024/drop.sql": "--liquibase formatted sql\n--changeset a:1\nDROP TABLE users;\n"},
    "sqitch-deploy-dir": {"sqitch.conf": '[core]\n\tengine = pg\n\tdeploy_dir = "ddl/up"\n', "sqitch.plan": PLAN,
                          "ddl/up/drop_users.sql": "BEGIN;\nDROP TABLE users;\nCOMMIT;\n"},
    "sqitch-extension": {"sqitch.conf": "[core]\n\tengine = pg\n\textension = psql\n", "sqitch.plan": PLAN,
                         "deploy/drop_users.psql": "DROP TABLE users;\n"},
    "liquibase-xml": {"src/main/resources/db/changelog/changes/002-drop.xml": (
        '<?xml version="1.0"?>\n<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog">\n'
        ' <changeSet id="2" author="a">\n  <dropTable tableName="users"/>\n </changeSet>\n</databaseChangeLog>\n')},
    "liquibase-yaml-anywhere": {"ops/schema/cleanup.yaml": (
        "databaseChangeLog:\n  - changeSet:\n      id: 2\n      author: a\n      changes:\n"
        "        - dropTable:\n            tableName: users\n")},
    "liquibase-sqlfile": {"scripts/cleanup.sql": "DROP TABLE users;\n", "db/changelog/master.json": (
        '{"databaseChangeLog": [{"changeSet": {"id": "2", "author": "a", "changes": [\n'
        '  {"sqlFile": {"path": "scripts/cleanup.sql"}}]}}]}\n')},
    "sqitch-top-dir": {"db/sqitch.conf": "[core]\n\tengine = pg\n\ttop_dir = schema\n", "db/schema/sqitch.plan": PLAN,
                       "db/schema/deploy/drop_users.sql": "DROP TABLE users;\n"},
}


@pytest.mark.parametrize("name", sorted(HIDDEN))
def test_a_migration_outside_the_searched_directories_is_judged(tmp_path: Path, name: str) -> None:
    repo = PrRepo.make(tmp_path / "ws", BASE, HIDDEN[name])
    done = check(repo.path, "--base", repo.base, "--gates", "migrations", "--replay", "off", home=tmp_path)
    assert_no_defect(done)
    assert [f["severity"] for f in done.findings("migrations/drop-table")] == ["critical"], done.findings()
    assert done.code == 1


@pytest.mark.parametrize("files", [
    {"queries/cleanup.sql": "DELETE FROM sessions WHERE expires < now();\nDROP TABLE tmp_report;\n"},
    {"docs/goose.md": "-- +goose Up\nDROP TABLE users;\n"},
    {"schema/sqlite/00002_drop.sql": "-- +goose Up\nDROP TABLE users;\n"},  # another database's
], ids=["no-marker", "not-sql", "other-dialect"])
def test_sql_without_a_runner_marker_stays_unjudged(tmp_path: Path, files: dict[str, str]) -> None:
    repo = PrRepo.make(tmp_path / "ws", BASE, files)
    done = check(repo.path, "--base", repo.base, "--gates", "migrations", "--replay", "off", home=tmp_path)
    assert_no_defect(done)
    assert not done.findings("migrations/drop-table"), done.findings()
    assert done.code == 0
