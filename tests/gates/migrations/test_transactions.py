"""Transaction control inside migrations, per the tool that runs them: stray COMMIT/ROLLBACK,
the `COMMIT; CREATE INDEX CONCURRENTLY; BEGIN;` pattern, and runner detection (golang-migrate,
pop, popx, sqlx, dbmate, goose, ...) with the runner and transaction mode named in the item."""

from __future__ import annotations

from pathlib import Path

import pytest
from migrations_helpers import check, findings, items

from readiness.gates.migrations.runners import fill_templates

STEP_OUT = "ALTER TABLE orders ADD COLUMN status text;\nCOMMIT;\nCREATE INDEX CONCURRENTLY orders_status ON orders " \
           "(status);\nBEGIN;\n"


def _rules(report: object) -> list[tuple[str, int]]:
    return sorted((f.rule.split("/")[1], f.location.line or 0) for f in findings(report)  # type: ignore[arg-type]
                  if f.rule.split("/")[1] in ("transaction-ended-early", "nested-transaction", "unclosed-transaction",
                                              "concurrently-in-transaction"))


def test_stepping_out_of_a_statement_by_statement_tool_is_one_finding(tmp_path: Path) -> None:
    goose = f"-- +goose Up\n{STEP_OUT}-- +goose Down\nSELECT 1;\n"
    report = check(tmp_path, {"db/migrations/00002_x.sql": goose})
    assert _rules(report) == [("transaction-ended-early", 3)]
    f = findings(report, "transaction-ended-early")[0]
    assert "goose" in f.message and "BEGIN at line 5" in f.message and f.severity.value == "medium"


def test_stepping_out_of_a_one_query_tool_still_fails_the_concurrent_index(tmp_path: Path) -> None:
    # dbmate sends the up section as one query string: after the COMMIT, PostgreSQL runs the rest in
    # an implicit transaction block, where CREATE INDEX CONCURRENTLY is refused (checked on a server)
    dbmate = f"-- migrate:up\n{STEP_OUT}-- migrate:down\nSELECT 1;\n"
    report = check(tmp_path, {"db/migrations/20240101000000_x.sql": dbmate})
    assert _rules(report) == [("concurrently-in-transaction", 4), ("transaction-ended-early", 3)]


def test_stray_rollback_and_commit_in_a_wrapped_migration(tmp_path: Path) -> None:
    files = {"migrations/2024-01-01-000000_a/up.sql": "DELETE FROM t WHERE a = 1;\nROLLBACK;\nSELECT 1;\n",
             "migrations/2024-01-01-000000_a/down.sql": "SELECT 1;\n",
             "migrations/2024-01-02-000000_b/up.sql": "UPDATE t SET a = 2 WHERE a = 1;\nCOMMIT;\n"
                                                     "ALTER TABLE t ADD COLUMN b int;\n",
             "migrations/2024-01-02-000000_b/down.sql": "SELECT 1;\n"}
    got = {f.location.path.split("/")[1][:17]: f for f in findings(check(tmp_path, files), "transaction-ended-early")}
    assert got["2024-01-01-000000"].severity.value == "high" and "undone" in got["2024-01-01-000000"].message
    assert got["2024-01-02-000000"].severity.value == "medium" and "half applied" in got["2024-01-02-000000"].message


def test_explicit_transactions_in_tools_that_do_not_wrap(tmp_path: Path) -> None:
    files = {"migrations/000002_x.up.sql": "BEGIN;\nALTER TABLE t ADD COLUMN a int;\nCOMMIT;\n",
             "migrations/000002_x.down.sql": "SELECT 1;\n",
             "migrations/000003_y.up.sql": "ALTER TABLE t ADD COLUMN b int;\nCOMMIT;\n"
                                           "ALTER TABLE t ADD COLUMN c int;\n",
             "migrations/000003_y.down.sql": "SELECT 1;\n"}
    report = check(tmp_path, files)
    assert [(f.location.path, f.rule) for f in findings(report) if "transaction" in f.rule] == [
        ("migrations/000003_y.up.sql", "migrations/transaction-ended-early")]


POPX_GOMOD = ("module github.com/ory/kratos\n\nrequire (\n\tgithub.com/ory/x v0.0.0\n)\n\n"
              "replace github.com/ory/x => ./oryx\n")


def test_popx_migrations_run_in_a_transaction(tmp_path: Path) -> None:
    # ory/kratos persistence/sql/migrations/legacy: taken for golang-migrate, this was a false
    # unclosed-transaction (popx wraps each migration) and the step out was not reported
    legacy = "DELETE FROM sessions;COMMIT TRANSACTION;BEGIN TRANSACTION;\nALTER TABLE sessions ADD COLUMN token text;\n"
    files = {"go.mod": POPX_GOMOD,
             "persistence/sql/migrations/20200812124254_add_session_token.postgres.up.sql": legacy,
             "persistence/sql/migrations/20200812124254_add_session_token.postgres.down.sql": "SELECT 1;\n",
             "persistence/sql/migrations/20241029153900000001_identities.autocommit.up.sql":
                 "CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON identities (nid);\n",
             "persistence/sql/migrations/20241029153900000001_identities.autocommit.down.sql": "SELECT 1;\n"}
    report = check(tmp_path, files)
    assert _rules(report) == [("transaction-ended-early", 1)]
    by_path = {i.data["path"].rsplit("/", 1)[1]: i.data for i in items(report)}
    assert (by_path["20200812124254_add_session_token.postgres.up.sql"]["runner"],
            by_path["20200812124254_add_session_token.postgres.up.sql"]["transaction"]) == ("popx", "wrapped")
    auto = by_path["20241029153900000001_identities.autocommit.up.sql"]
    assert (auto["runner"], auto["transaction"], auto["transaction_from"]) == ("popx", "implicit", "file")


@pytest.mark.parametrize(("extra", "runner", "mode"), [
    ({"go.mod": "module x\nrequire github.com/golang-migrate/migrate/v4 v4.17.0\n"}, "golang-migrate", "implicit"),
    ({"go.mod": "module x\nrequire (\n\tgithub.com/gobuffalo/pop/v6 v6.1.1\n)\n"}, "pop", "wrapped"),
    ({"db/migrations/20190101000000_old.up.fizz": "create_table(\"t\") {}\n"}, "pop", "wrapped"),
    ({"Cargo.toml": "[package]\nname = \"x\"\n\n[dependencies]\nsqlx = { version = \"0.8\" }\n"}, "sqlx", "wrapped"),
    ({}, "golang-migrate", "implicit"),
])
def test_runner_detection(tmp_path: Path, extra: dict[str, str], runner: str, mode: str) -> None:
    files = {"db/migrations/20240101000000_x.up.sql": "BEGIN;\nALTER TABLE t ADD COLUMN a int;\n",
             "db/migrations/20240101000000_x.down.sql": "SELECT 1;\n", **extra}
    report = check(tmp_path, files)
    item = next(i.data for i in items(report) if i.data["path"].endswith(".up.sql"))
    assert (item["runner"], item["transaction"], item["transaction_from"]) == (runner, mode, "tool")
    unclosed = bool(findings(report, "unclosed-transaction"))
    assert unclosed is (mode != "wrapped")  # a wrapping tool commits the BEGIN's transaction itself


def test_sqlx_no_transaction_and_the_configuration_override(tmp_path: Path) -> None:
    files = {"Cargo.toml": "[dependencies.sqlx]\nversion = \"0.8\"\n",
             "migrations/20240101000000_idx.up.sql": "-- no-transaction\nCREATE INDEX CONCURRENTLY i ON t (a);\n",
             "migrations/20240101000000_idx.down.sql": "DROP INDEX i;\n"}
    item = items(check(tmp_path, files))[0].data
    assert (item["runner"], item["transaction"], item["transaction_from"]) == ("sqlx", "implicit", "file")
    for value, mode in ((True, "wrapped"), (False, "autocommit")):
        item = items(check(tmp_path, settings={"transactional": value}))[0].data
        assert (item["transaction"], item["transaction_from"]) == (mode, "configured")
    goose = {"db/migrations/00002_x.sql": "-- +goose Up\nCREATE INDEX CONCURRENTLY i ON t (a);\n-- +goose Down\n"
                                          "DROP INDEX i;\n"}
    report = check(tmp_path / "g", goose, settings={"transactional": False})
    assert not findings(report, "concurrently-in-transaction")


def test_go_templates_of_pop_and_popx_are_filled_in(tmp_path: Path) -> None:
    # supabase/auth: 168 parse errors from `{{ index .Options "Namespace" }}` before pop was detected
    up = ('CREATE INDEX IF NOT EXISTS users_idx ON "{{ index .Options "Namespace" }}".users (email);\n'
          'ALTER TABLE {{ index .Options "Namespace" }}.users ADD COLUMN phone text;\n'
          "{{ if .Cockroach }}SELECT 1;{{ end }}\n")
    files = {"go.mod": "module x\nrequire github.com/gobuffalo/pop/v6 v6.1.1\n",
             "migrations/20210710035447_alter_users.up.sql": up,
             "migrations/20210710035447_alter_users.down.sql": "ALTER TABLE users DROP COLUMN phone;\n"}
    report = check(tmp_path, files)
    assert not findings(report, "parse-error")
    index = findings(report, "create-index-non-concurrently")[0]
    assert index.location.line == 1 and "{Namespace}.users" in index.message
    text = 'ALTER TABLE {{ index .Options "Namespace" }}.t ADD "{{ .Col }}_x" int; {{- if .A }}x{{ end -}}'
    filled = fill_templates(text)
    assert len(filled) == len(text) and '"{Namespace}"' in filled and '"{Col}_' in filled and "if" not in filled


def test_transactional_overrides_python_migrations_too(tmp_path: Path) -> None:
    alembic = ("from alembic import op\n\nrevision = 'b'\ndown_revision = 'a'\n\n\ndef upgrade():\n"
               "    op.create_index('i', 't', ['a'], postgresql_concurrently=True)\n\n\ndef downgrade():\n"
               "    op.drop_index('i')\n")
    files = {"alembic/versions/b_x.py": alembic}
    assert findings(check(tmp_path, files), "concurrently-in-transaction")
    report = check(tmp_path / "off", files, settings={"transactional": False})
    assert not findings(report, "concurrently-in-transaction")
    item = items(report)[0].data
    assert (item["runner"], item["transaction"], item["transaction_from"]) == ("alembic", "autocommit", "configured")
