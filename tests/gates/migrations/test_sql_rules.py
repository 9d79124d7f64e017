"""Per-rule SQL cases beyond the page examples: context, exemptions, tricky negatives, positions."""

from __future__ import annotations

from pathlib import Path

import pytest
from migrations_helpers import assert_clean, assert_flags, findings, items, sql_report

from readiness.model import Confidence, Severity

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "migrations"


def _fixture_cases() -> list[tuple[str, Path]]:
    return [(d.name, f) for d in sorted(FIXTURES.iterdir()) if d.is_dir() for f in sorted(d.glob("*.sql"))]


@pytest.mark.parametrize(("rule", "path"), _fixture_cases(), ids=lambda v: v if isinstance(v, str) else v.name)
def test_fixture_files(rule: str, path: Path, tmp_path: Path) -> None:
    """tests/fixtures/migrations/<rule>/bad*.sql trigger the rule; good*.sql do not."""
    sql = path.read_text(encoding="utf-8")
    if path.name.startswith("bad"):
        assert_flags(tmp_path, sql, rule)
    else:
        assert_clean(tmp_path, sql, rule)


def test_message_names_table_column_and_lock(tmp_path: Path) -> None:
    f = assert_flags(tmp_path, "ALTER TABLE users RENAME COLUMN email TO email_address;", "rename-column", line=1)
    assert "users.email" in f.message and "email_address" in f.message and "ACCESS EXCLUSIVE" in f.message
    assert f.severity is Severity.HIGH
    assert f.fix and "expand/contract" in f.fix.lower()


def test_severity_follows_risk_class(tmp_path: Path) -> None:
    report = sql_report(tmp_path, "ALTER TABLE users DROP COLUMN legacy;\nCREATE INDEX i ON users (a);\n")
    assert findings(report, "drop-column")[0].severity is Severity.CRITICAL  # avoid -> critical
    assert findings(report, "create-index-non-concurrently")[0].severity is Severity.MEDIUM
    assert items(report)[0].data["risk"] == "avoid"


def test_exact_line_and_column_in_multi_statement_file(tmp_path: Path) -> None:
    sql = "-- header; with a semicolon\nSELECT 1;\n\n  /* lead */ ALTER TABLE t\n    RENAME TO u;\n"
    f = assert_flags(tmp_path, sql, "rename-table")
    assert (f.location.line, f.location.column, f.location.end_line) == (4, 14, 5)


def test_non_ascii_text_keeps_character_columns(tmp_path: Path) -> None:
    sql = "SELECT 'ééé'; DROP TABLE t;\n"
    f = assert_flags(tmp_path, sql, "drop-table")
    assert (f.location.line, f.location.column) == (1, 15)


@pytest.mark.parametrize("sql", [
    "-- DROP TABLE users;\nSELECT 1;",
    "/* ALTER TABLE users DROP COLUMN a; */ SELECT 1;",
    "SELECT 'DROP TABLE users; TRUNCATE x';",
    "INSERT INTO notes (body) VALUES ('ALTER TABLE users RENAME TO x');",
    "DO $$ BEGIN EXECUTE 'DROP TABLE users'; END $$;",
    "CREATE FUNCTION f() RETURNS void AS $body$ DROP TABLE users; $body$ LANGUAGE sql;",
    "COMMENT ON TABLE users IS 'we will DROP COLUMN later';",
])
def test_keywords_in_comments_strings_and_bodies_do_not_count(tmp_path: Path, sql: str) -> None:
    report = sql_report(tmp_path, sql)
    assert not [f for f in findings(report) if f.rule in ("migrations/drop-table", "migrations/drop-column",
                                                          "migrations/rename-table", "migrations/truncate-table")]


def test_quoted_identifiers_and_mixed_case(tmp_path: Path) -> None:
    f = assert_flags(tmp_path, 'aLtEr TaBlE "Users" ReNaMe CoLuMn "E-mail" To email;', "rename-column")
    assert '"Users"' not in f.message and "Users.E-mail" in f.message


def test_table_created_in_same_migration_is_exempt(tmp_path: Path) -> None:
    sql = ("CREATE TABLE accounts (id bigint, email text);\nCREATE INDEX accounts_email ON accounts (email);\n"
           "ALTER TABLE accounts ADD CONSTRAINT accounts_email_key UNIQUE (email);\n"
           "ALTER TABLE public.accounts ALTER COLUMN email SET NOT NULL;\n")
    report = sql_report(tmp_path, sql)
    assert findings(report) == [f for f in findings(report) if f.rule == "migrations/irreversible-migration"]
    assert items(report)[0].data["risk"] == "low"


def test_index_created_then_dropped_in_same_migration_is_exempt(tmp_path: Path) -> None:
    assert_clean(tmp_path, "CREATE INDEX CONCURRENTLY i ON t (a);\n", "drop-index-non-concurrently")
    sql = "BEGIN;\nCREATE TABLE n (a int);\nCREATE INDEX i2 ON n (a);\nDROP INDEX i2;\nCOMMIT;\n"
    report = sql_report(tmp_path, sql)
    assert not findings(report, "drop-index-non-concurrently")


def test_set_not_null_after_validated_check_is_clean(tmp_path: Path) -> None:
    sql = ("ALTER TABLE users ADD CONSTRAINT c CHECK (email IS NOT NULL) NOT VALID;\n"
           "ALTER TABLE users VALIDATE CONSTRAINT c;\nALTER TABLE users ALTER COLUMN email SET NOT NULL;\n")
    assert_clean(tmp_path, sql, "set-not-null")
    assert_flags(tmp_path, "ALTER TABLE users ADD CONSTRAINT c CHECK (email IS NOT NULL) NOT VALID;\n"
                 "ALTER TABLE users ALTER COLUMN email SET NOT NULL;\n", "set-not-null", line=2)


@pytest.mark.parametrize(("sql", "flagged"), [
    ("ALTER TABLE t ADD COLUMN c timestamptz DEFAULT now();", False),
    ("ALTER TABLE t ADD COLUMN c int DEFAULT 0 NOT NULL;", False),
    ("ALTER TABLE t ADD COLUMN c uuid DEFAULT uuid_generate_v4();", True),
    ("ALTER TABLE t ADD COLUMN c float DEFAULT random();", True),
    ("ALTER TABLE t ADD COLUMN c timestamptz DEFAULT clock_timestamp();", True),
])
def test_volatile_default(tmp_path: Path, sql: str, flagged: bool) -> None:
    (assert_flags if flagged else assert_clean)(tmp_path, sql, "volatile-default")


def test_serial_and_identity(tmp_path: Path) -> None:
    assert_flags(tmp_path, "ALTER TABLE t ADD COLUMN id int GENERATED ALWAYS AS IDENTITY;", "add-serial-column")
    assert_flags(tmp_path, "ALTER TABLE t ADD COLUMN id serial;", "add-serial-column")


def test_inline_references_unique_and_pk(tmp_path: Path) -> None:
    report = sql_report(tmp_path, "ALTER TABLE t ADD COLUMN u bigint REFERENCES users (id) UNIQUE;\n")
    assert findings(report, "foreign-key-not-valid") and findings(report, "unique-constraint")
    assert "users" in findings(report, "foreign-key-not-valid")[0].message
    assert_flags(tmp_path, "ALTER TABLE t ADD CONSTRAINT t_pkey PRIMARY KEY (id);", "add-primary-key")


@pytest.mark.parametrize(("path", "sql", "fires"), [
    # Flyway / golang-migrate: a lone CONCURRENTLY statement runs outside a transaction
    ("db/migrations/V3__idx.sql", "CREATE INDEX CONCURRENTLY i ON t (a);", False),
    ("db/migrations/V3__idx.sql", "SET lock_timeout = '1s';\nCREATE INDEX CONCURRENTLY i ON t (a);", True),
    ("migrations/3_idx.up.sql", "CREATE INDEX CONCURRENTLY i ON t (a);\nCREATE INDEX CONCURRENTLY j ON t (b);", True),
    # plain psql -f: autocommit unless BEGIN
    ("db/migrations/0003_idx.sql", "CREATE INDEX CONCURRENTLY i ON t (a);\nCREATE INDEX CONCURRENTLY j ON t (b);",
     False),
    ("db/migrations/0003_idx.sql", "BEGIN;\nDROP INDEX CONCURRENTLY i;\nCOMMIT;", True),
    ("db/migrations/0003_idx.sql", "BEGIN;\nSELECT 1;\nCOMMIT;\nREINDEX INDEX CONCURRENTLY i;", False),
    # dbmate wraps unless transaction:false
    ("db/migrations/20240101_x.sql", "-- migrate:up\nCREATE INDEX CONCURRENTLY i ON t (a);\n-- migrate:down\n"
     "DROP INDEX i;", True),
    ("db/migrations/20240101_x.sql", "-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY i ON t (a);\n"
     "-- migrate:down\nDROP INDEX i;", False),
    # goose wraps unless NO TRANSACTION
    ("db/migrations/00003_x.sql", "-- +goose Up\nCREATE INDEX CONCURRENTLY i ON t (a);\n", True),
    ("db/migrations/00003_x.sql", "-- +goose NO TRANSACTION\n-- +goose Up\nCREATE INDEX CONCURRENTLY i ON t (a);\n",
     False),
    # diesel wraps every migration
    ("migrations/2024-01-01_x/up.sql", "CREATE INDEX CONCURRENTLY i ON t (a);", True),
])
def test_concurrently_and_transaction_semantics(tmp_path: Path, path: str, sql: str, fires: bool) -> None:
    report = sql_report(tmp_path, sql, path=path)
    assert bool(findings(report, "concurrently-in-transaction")) is fires


def test_transactional_setting_overrides_plain_sql(tmp_path: Path) -> None:
    f = assert_flags(tmp_path, "CREATE INDEX CONCURRENTLY i ON t (a);\nCREATE INDEX CONCURRENTLY j ON t (b);",
                     "concurrently-in-transaction", transactional=True)
    assert f.location.line == 1


def test_large_tables_escalate_size_dependent_rules(tmp_path: Path) -> None:
    sql = "CREATE INDEX i ON events (a);\nALTER TABLE events RENAME COLUMN a TO b;\n"
    f = assert_flags(tmp_path, sql, "create-index-non-concurrently", large_tables=["events"])
    assert f.severity is Severity.HIGH and "large table" in f.message
    r = findings(sql_report(tmp_path, sql, large_tables={"events": 5_000_000}), "rename-column")[0]
    assert r.severity is Severity.HIGH  # renames do not depend on size
    small = findings(sql_report(tmp_path, sql, large_tables={"events": 10}), "create-index-non-concurrently")[0]
    assert small.severity is Severity.MEDIUM  # under large_table_rows
    custom = sql_report(tmp_path, sql, large_tables={"events": 10}, large_table_rows=5)
    assert findings(custom, "create-index-non-concurrently")[0].severity is Severity.HIGH


def test_lock_timeout_only_for_heavy_locks_and_configurable(tmp_path: Path) -> None:
    assert_clean(tmp_path, "ALTER TABLE t ADD COLUMN c text;", "missing-lock-timeout")
    assert_flags(tmp_path, "ALTER TABLE t ALTER COLUMN c TYPE bigint;", "missing-lock-timeout")
    assert_clean(tmp_path, "SET LOCAL lock_timeout = '2s';\nALTER TABLE t ALTER COLUMN c TYPE bigint;",
                 "missing-lock-timeout")
    assert_flags(tmp_path, "SET lock_timeout = 0;\nALTER TABLE t ALTER COLUMN c TYPE bigint;", "missing-lock-timeout")
    assert_clean(tmp_path, "ALTER TABLE t ALTER COLUMN c TYPE bigint;", "missing-lock-timeout",
                 require_lock_timeout=False)


def test_change_type_is_heuristic(tmp_path: Path) -> None:
    f = assert_flags(tmp_path, "ALTER TABLE t ALTER COLUMN c TYPE text;", "change-column-type")
    assert f.confidence is Confidence.HEURISTIC


def test_backfill_and_mixed_transaction(tmp_path: Path) -> None:
    assert_clean(tmp_path, "UPDATE t SET a = 1 WHERE id < 1000;", "unbatched-backfill")
    assert_flags(tmp_path, "WITH x AS (SELECT 1) UPDATE t SET a = 1;", "unbatched-backfill")
    assert_flags(tmp_path, "ALTER TABLE t ADD COLUMN c int;\nINSERT INTO t2 SELECT * FROM t;",
                 "mixed-data-and-schema", path="migrations/1_x.up.sql")
    # autocommitted statements do not share a transaction
    assert_clean(tmp_path, "ALTER TABLE t ADD COLUMN c int;\nUPDATE t SET c = 1 WHERE c IS NULL;",
                 "mixed-data-and-schema")
    assert_clean(tmp_path, "BEGIN;\nALTER TABLE t ADD COLUMN c int;\nINSERT INTO t (a) VALUES (1);\nCOMMIT;",
                 "mixed-data-and-schema")


def test_rewrites(tmp_path: Path) -> None:
    for sql in ("CLUSTER t USING i;", "ALTER TABLE t SET TABLESPACE fast;", "ALTER TABLE t SET UNLOGGED;"):
        assert_flags(tmp_path, sql, "rewrite-table")
    assert_clean(tmp_path, "VACUUM ANALYZE t;", "rewrite-table")
    assert_flags(tmp_path, "TRUNCATE a, b CASCADE;", "truncate-table")
    assert_clean(tmp_path, "REINDEX TABLE CONCURRENTLY t;", "reindex-non-concurrently")


def test_enum_value_used_in_same_transaction_is_medium(tmp_path: Path) -> None:
    f = assert_flags(tmp_path, "BEGIN;\nALTER TYPE s ADD VALUE 'x';\nUPDATE t SET s = 'x' WHERE id = 1;\nCOMMIT;",
                     "enum-value-in-transaction")
    assert f.severity is Severity.MEDIUM
    f2 = assert_flags(tmp_path, "BEGIN;\nALTER TYPE s ADD VALUE 'x';\nCOMMIT;", "enum-value-in-transaction")
    assert f2.severity is Severity.LOW
    assert_clean(tmp_path, "ALTER TYPE s ADD VALUE 'x';", "enum-value-in-transaction")


def test_parse_error_at_parser_position_and_rest_still_judged(tmp_path: Path) -> None:
    sql = "ALTER TABLE t ADD COLUMN a int;\nSELECT fro where;\nDROP TABLE old;\n"
    report = sql_report(tmp_path, sql)
    err = findings(report, "parse-error")
    assert len(err) == 1 and (err[0].location.line, err[0].location.column) == (2, 17)
    assert findings(report, "drop-table")


def test_unterminated_dollar_quote_is_a_finding_not_a_crash(tmp_path: Path) -> None:
    report = sql_report(tmp_path, "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1;\n")
    assert findings(report, "parse-error")
    assert report.gates[0].status.value in ("pass", "fail")


def test_inline_waiver_on_line_before(tmp_path: Path) -> None:
    sql = "-- readiness: ignore migrations/drop-column -- backup verified in OPS-1\nALTER TABLE t DROP COLUMN c;\n"
    report = sql_report(tmp_path, sql)
    assert all(f.waived for f in findings(report, "drop-column"))
    stale = sql_report(tmp_path, "-- readiness: ignore migrations/drop-table -- old\nSELECT 1;\n")
    assert findings(stale, "unused-waiver")
