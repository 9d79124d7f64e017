"""Per-rule SQL cases beyond the page examples: context, exemptions, tricky negatives, positions."""

from __future__ import annotations

from pathlib import Path

import pytest
from migrations_helpers import assert_clean, assert_flags, findings, items, sql_report

from readiness.gates.migrations import rules as R
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


KEYWORD_RULES = frozenset({
    "drop-table", "drop-column", "rename-table", "truncate-table", "lock-table", "drop-view", "drop-function",
    "drop-type", "drop-sequence", "drop-extension", "rename-object", "set-schema",
    "refresh-materialized-view-non-concurrently", "nested-transaction", "unclosed-transaction",
    "alter-domain-constraint", "create-domain-with-check",
})
"""Rules a keyword in a comment, a string or a function body could set off if the SQL were not parsed."""


@pytest.mark.parametrize("sql", [
    "-- DROP TABLE users;\nSELECT 1;",
    "/* ALTER TABLE users DROP COLUMN a; */ SELECT 1;",
    "SELECT 'DROP TABLE users; TRUNCATE x';",
    "INSERT INTO notes (body) VALUES ('ALTER TABLE users RENAME TO x');",
    "CREATE FUNCTION f() RETURNS void AS $body$ DROP TABLE users; $body$ LANGUAGE sql;",
    "COMMENT ON TABLE users IS 'we will DROP COLUMN later';",
    "-- LOCK TABLE orders;\n-- BEGIN;\nSELECT 1;",
    "/* DROP VIEW v; DROP TYPE t CASCADE; BEGIN; */ SELECT 1;",
    "SELECT 'BEGIN; DROP SEQUENCE s; ALTER SCHEMA a RENAME TO b';",
    "COMMENT ON VIEW v IS 'REFRESH MATERIALIZED VIEW m; DROP FUNCTION f()';",
    "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $body$ BEGIN LOCK TABLE t; DROP VIEW v; END $body$;",
    "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END;",
    "CREATE VIEW \"DROP VIEW v\" AS SELECT 'CREATE DOMAIN d AS int CHECK (VALUE > 0)' AS x;",
    "INSERT INTO notes (body) VALUES ('LOCK TABLE t; BEGIN;');",
])
def test_keywords_in_comments_strings_and_bodies_do_not_count(tmp_path: Path, sql: str) -> None:
    report = sql_report(tmp_path, sql)
    assert not [f.rule for f in findings(report) if f.rule.removeprefix("migrations/") in KEYWORD_RULES]


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
    # Flyway runs a migration without a transaction when all its statements are of the kinds it knows
    # PostgreSQL refuses in one, refuses a mix (unless mixed=true), and wraps everything else
    ("db/migrations/V3__idx.sql", "CREATE INDEX CONCURRENTLY i ON t (a);", False),
    ("db/migrations/V3__idx.sql", "SET lock_timeout = '1s';\nCREATE INDEX CONCURRENTLY i ON t (a);", True),
    ("db/migrations/V3__idx.sql", "-- two at once\nCREATE INDEX CONCURRENTLY i ON t (a);\n"
     "/* c */ create unique index\n  concurrently j ON t (b);\nDROP INDEX CONCURRENTLY IF EXISTS k;", False),
    ("db/migrations/V3__idx.sql", "CREATE INDEX CONCURRENTLY i ON t (a);\nVACUUM t;", False),
    ("db/migrations/V3__idx.sql", "REINDEX TABLE CONCURRENTLY t;", True),  # not on Flyway's list: wrapped
    ("db/migrations/V3__idx.sql", "ALTER TABLE t DETACH PARTITION p CONCURRENTLY;", True),
    ("db/migrations/V3__idx.sql", "SELECT 'CREATE INDEX CONCURRENTLY';\nCREATE INDEX CONCURRENTLY i ON t (a);",
     True),
    # golang-migrate / Prisma: one multi-statement string, an implicit transaction unless it is one statement
    ("migrations/3_idx.up.sql", "CREATE INDEX CONCURRENTLY i ON t (a);\nCREATE INDEX CONCURRENTLY j ON t (b);", True),
    ("migrations/3_idx.up.sql", "CREATE INDEX CONCURRENTLY i ON t (a);", False),
    ("prisma/migrations/3_idx/migration.sql", "CREATE INDEX CONCURRENTLY i ON t (a);", False),
    ("prisma/migrations/3_idx/migration.sql", "SET lock_timeout = '1s';\nCREATE INDEX CONCURRENTLY i ON t (a);",
     True),
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


def test_flyway_wraps_lone_statements_and_owns_the_transaction(tmp_path: Path) -> None:
    flyway = "db/migrations/V4__x.sql"
    enum = assert_flags(tmp_path, "ALTER TYPE mood ADD VALUE 'calm';", "enum-value-in-transaction", path=flyway)
    assert enum.severity is Severity.LOW  # PostgreSQL 12+: Flyway keeps ADD VALUE in the transaction
    assert_clean(tmp_path, "ALTER TYPE mood ADD VALUE 'calm';", "enum-value-in-transaction",
                 path="migrations/4_x.up.sql")
    block = "BEGIN;\nALTER TABLE t ADD COLUMN a int;\nCOMMIT;\nALTER TABLE t ADD COLUMN b int;\n"
    assert_flags(tmp_path, block, "nested-transaction", line=1, path=flyway)
    assert_clean(tmp_path, "SELECT 1;\nBEGIN;\nUPDATE t SET a = 1 WHERE id = 2;\n", "unclosed-transaction",
                 path=flyway)  # Flyway's own COMMIT closes it
    report = sql_report(tmp_path, "CREATE INDEX CONCURRENTLY i ON t (a);\nCREATE INDEX CONCURRENTLY j ON t (b);",
                        path=flyway)
    assert items(report)[0].data["transactional"] is False
    assert items(sql_report(tmp_path, "ALTER TABLE t ADD COLUMN a int;", path=flyway))[0].data["transactional"]
    assert_clean(tmp_path, "SET lock_timeout = '1s';\nCREATE INDEX CONCURRENTLY i ON t (a);",
                 "concurrently-in-transaction", path=flyway, transactional=False)  # mixed=true users


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


def test_lock_timeout_for_every_traffic_blocking_lock_and_configurable(tmp_path: Path) -> None:
    # a fast ALTER (ACCESS EXCLUSIVE) queues behind a long transaction like a slow one does
    assert_flags(tmp_path, "ALTER TABLE t ADD COLUMN c text;", "missing-lock-timeout")
    assert_flags(tmp_path, "ALTER TABLE t ALTER COLUMN c TYPE bigint;", "missing-lock-timeout")
    assert_clean(tmp_path, "CREATE INDEX CONCURRENTLY i ON t (a);", "missing-lock-timeout")
    assert_clean(tmp_path, "ALTER TABLE t VALIDATE CONSTRAINT c;\nUPDATE t SET a = 1 WHERE id = 2;",
                 "missing-lock-timeout")
    assert_flags(tmp_path, "SET lock_timeout = '1s';\nRESET lock_timeout;\nDROP INDEX i;", "missing-lock-timeout",
                 line=3)
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


# --- Rules from the peer audit (issue 3): locks, renames, drops, domains, transactions --------------

PLAIN = "db/migrations/0002_example.sql"  # psql -f: each statement commits on its own unless BEGIN
WRAPPED = "migrations/2024-01-01-000000_x/up.sql"  # diesel: the whole file in one transaction


@pytest.mark.parametrize(("sql", "rule"), [
    ("ALTER TABLE measurements DETACH PARTITION measurements_2023;", "detach-partition-non-concurrently"),
    ("REFRESH MATERIALIZED VIEW daily_sales;", "refresh-materialized-view-non-concurrently"),
    ("REFRESH MATERIALIZED VIEW daily_sales WITH NO DATA;", "refresh-materialized-view-non-concurrently"),
    ("BEGIN;\nLOCK orders;\nCOMMIT;", "lock-table"),
    ("BEGIN;\nLOCK TABLE orders IN EXCLUSIVE MODE;\nCOMMIT;", "lock-table"),
    ("BEGIN;\nLOCK TABLE ONLY orders IN SHARE ROW EXCLUSIVE MODE NOWAIT;\nCOMMIT;", "lock-table"),
    ("ALTER SCHEMA billing RENAME TO invoicing;", "rename-object"),
    ("ALTER VIEW active_users RENAME TO current_users;", "rename-object"),
    ("ALTER MATERIALIZED VIEW daily_sales RENAME TO sales_by_day;", "rename-object"),
    ("ALTER TYPE order_status RENAME VALUE 'canceled' TO 'cancelled';", "rename-object"),
    ("ALTER TYPE order_status RENAME TO order_state;", "rename-object"),
    ("ALTER FUNCTION normalize_email(text) RENAME TO clean_email;", "rename-object"),
    ("ALTER SEQUENCE invoice_seq RENAME TO invoice_number_seq;", "rename-object"),
    ("ALTER TABLE audit_log SET SCHEMA archive;", "set-schema"),
    ("ALTER TYPE order_status SET SCHEMA billing;", "set-schema"),
    ("ALTER FUNCTION normalize_email(text) SET SCHEMA util;", "set-schema"),
    ("DROP VIEW active_users;", "drop-view"),
    ("DROP MATERIALIZED VIEW IF EXISTS daily_sales CASCADE;", "drop-view"),
    ("DROP FUNCTION normalize_email(text);", "drop-function"),
    ("DROP PROCEDURE archive_orders;", "drop-function"),
    ("DROP TYPE order_status;", "drop-type"),
    ("DROP DOMAIN email_address CASCADE;", "drop-type"),
    ("DROP SEQUENCE invoice_seq;", "drop-sequence"),
    ("DROP EXTENSION pg_trgm;", "drop-extension"),
    ("DROP DATABASE legacy;", "drop-table"),
    ("ALTER DOMAIN email_address ADD CONSTRAINT has_at CHECK (VALUE LIKE '%@%');", "alter-domain-constraint"),
    ("ALTER DOMAIN email_address SET NOT NULL;", "alter-domain-constraint"),
    ("ALTER DOMAIN email_address VALIDATE CONSTRAINT has_at;", "alter-domain-constraint"),
    ("CREATE DOMAIN email_address AS text CHECK (VALUE LIKE '%@%');", "create-domain-with-check"),
    ("ALTER TABLE bookings ADD CONSTRAINT no_overlap EXCLUDE USING gist (room WITH =, during WITH &&);",
     "exclusion-constraint"),
    ("ALTER TABLE t ALTER COLUMN c DROP DEFAULT, ALTER COLUMN c SET NOT NULL;", "drop-default-not-null"),
    ("ALTER TABLE t ADD CONSTRAINT t_pkey PRIMARY KEY (id);\nALTER TABLE t ALTER COLUMN id DROP DEFAULT;",
     "drop-default-not-null"),
    ("BEGIN;\nALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID;\nALTER TABLE t VALIDATE CONSTRAINT c;\nCOMMIT;",
     "validate-in-same-transaction"),
    ("BEGIN;\nSELECT 1;\nBEGIN;\nSELECT 2;\nCOMMIT;", "nested-transaction"),
    ("START TRANSACTION;\nALTER TABLE t ADD COLUMN a int;", "unclosed-transaction"),
    ("BEGIN;\nSELECT 1;\nCOMMIT AND CHAIN;\nSELECT 2;", "unclosed-transaction"),
])
def test_new_rules_fire(tmp_path: Path, sql: str, rule: str) -> None:
    assert_flags(tmp_path, sql, rule)


@pytest.mark.parametrize(("sql", "rule"), [
    # CONCURRENTLY forms, weak lock modes, NOT VALID
    ("ALTER TABLE measurements DETACH PARTITION measurements_2023 CONCURRENTLY;", "detach-partition-non-concurrently"),
    ("ALTER TABLE measurements DETACH PARTITION measurements_2023 FINALIZE;", "detach-partition-non-concurrently"),
    ("REFRESH MATERIALIZED VIEW CONCURRENTLY daily_sales;", "refresh-materialized-view-non-concurrently"),
    ("BEGIN;\nLOCK TABLE orders IN ROW EXCLUSIVE MODE;\nCOMMIT;", "lock-table"),
    ("BEGIN;\nLOCK TABLE orders IN SHARE UPDATE EXCLUSIVE MODE;\nCOMMIT;", "lock-table"),
    ("ALTER DOMAIN email_address ADD CONSTRAINT has_at CHECK (VALUE LIKE '%@%') NOT VALID;",
     "alter-domain-constraint"),
    ("CREATE DOMAIN email_address AS text NOT NULL;", "create-domain-with-check"),
    # renames that queries do not depend on
    ("ALTER INDEX users_email_idx RENAME TO users_email_key;", "rename-object"),
    ("ALTER TABLE users RENAME CONSTRAINT users_email_check TO users_email_valid;", "rename-object"),
    # DROP DEFAULT where the file does not show the column to be NOT NULL: undecidable, not reported
    ("ALTER TABLE t ALTER COLUMN c DROP DEFAULT;", "drop-default-not-null"),
    ("ALTER TABLE t ADD COLUMN c int NOT NULL DEFAULT 0;\nALTER TABLE t ALTER COLUMN c DROP NOT NULL;\n"
     "ALTER TABLE t ALTER COLUMN c DROP DEFAULT;", "drop-default-not-null"),
    ("ALTER TABLE t ADD COLUMN c int NOT NULL DEFAULT 0;\nALTER TABLE u ALTER COLUMN c DROP DEFAULT;",
     "drop-default-not-null"),
    # VALIDATE after the ADD's transaction committed; VALIDATE of a constraint added elsewhere
    ("BEGIN;\nALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID;\nCOMMIT;\nALTER TABLE t VALIDATE CONSTRAINT c;",
     "validate-in-same-transaction"),
    ("ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID;\nALTER TABLE t VALIDATE CONSTRAINT c;",
     "validate-in-same-transaction"),  # plain SQL without BEGIN: two autocommitted statements
    ("BEGIN;\nALTER TABLE t VALIDATE CONSTRAINT c;\nCOMMIT;", "validate-in-same-transaction"),
    # transaction blocks that are fine
    ("BEGIN;\nALTER TABLE t ADD COLUMN a int;\nEND;", "unclosed-transaction"),
    ("BEGIN;\nALTER TABLE t ADD COLUMN a int;\nROLLBACK;", "unclosed-transaction"),
    ("BEGIN;\nSELECT 1;\nCOMMIT;\nBEGIN;\nSELECT 2;\nCOMMIT;", "nested-transaction"),
])
def test_new_rules_stay_quiet(tmp_path: Path, sql: str, rule: str) -> None:
    assert_clean(tmp_path, sql, rule)


def test_new_rules_read_quoted_identifiers_and_mixed_case(tmp_path: Path) -> None:
    f = assert_flags(tmp_path, 'bEgIn;\nLoCk TaBlE "Order Items" In ExClUsIvE mOdE;\ncOmMiT;', "lock-table", line=2)
    assert "Order Items" in f.message and "EXCLUSIVE" in f.message and f.severity is Severity.HIGH
    f = assert_flags(tmp_path, 'DrOp ViEw "Begin";', "drop-view")
    assert "view Begin" in f.message
    assert_clean(tmp_path, 'DrOp ViEw "Begin";', "nested-transaction")
    # a view dropped and created again under a quoted, schema-qualified name, in one transaction
    assert_clean(tmp_path, 'BEGIN;\nDROP VIEW public."Active Users";\n'
                 'CREATE OR REPLACE VIEW "Active Users" AS SELECT 1;\nCOMMIT;', "drop-view")
    assert_flags(tmp_path, 'BEGIN;\nDROP VIEW public."Active Users";\nCREATE VIEW "active users" AS SELECT 1;\n'
                 'COMMIT;', "drop-view")


def test_lock_table_outside_a_transaction_also_fails_and_weak_modes_do_not_count_as_ddl(tmp_path: Path) -> None:
    f = assert_flags(tmp_path, "LOCK TABLE orders;", "lock-table")
    assert "refuses" in f.message and "ACCESS EXCLUSIVE" in f.message
    assert_clean(tmp_path, "BEGIN;\nLOCK TABLE orders IN ACCESS SHARE MODE;\nUPDATE orders SET a = 1;\nCOMMIT;",
                 "mixed-data-and-schema")
    assert_flags(tmp_path, "BEGIN;\nLOCK TABLE orders;\nUPDATE orders SET a = 1;\nCOMMIT;", "mixed-data-and-schema")
    timeout = assert_flags(tmp_path, "BEGIN;\nLOCK TABLE orders IN SHARE MODE;\nCOMMIT;", "missing-lock-timeout")
    assert "SHARE lock on orders" in timeout.message
    assert_clean(tmp_path, "BEGIN;\nSET LOCAL lock_timeout = '3s';\nLOCK TABLE orders;\nCOMMIT;",
                 "missing-lock-timeout")


def test_objects_created_earlier_in_the_migration_are_exempt(tmp_path: Path) -> None:
    sql = ("CREATE TABLE parts (id bigint, during tstzrange) PARTITION BY RANGE (during);\n"
           "CREATE MATERIALIZED VIEW m AS SELECT 1 AS x;\nREFRESH MATERIALIZED VIEW m;\n"
           "CREATE SCHEMA staging;\nALTER SCHEMA staging RENAME TO staged;\n"
           "CREATE TYPE mood AS ENUM ('ok');\nALTER TYPE mood RENAME VALUE 'ok' TO 'fine';\n"
           "CREATE DOMAIN pos AS int;\nALTER DOMAIN pos ADD CONSTRAINT pos_check CHECK (VALUE > 0);\n"
           "CREATE SEQUENCE s;\nDROP SEQUENCE s;\n"
           "CREATE EXTENSION hstore;\nDROP EXTENSION hstore CASCADE;\n"
           "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;\nDROP FUNCTION f();\n"
           "BEGIN;\nLOCK TABLE parts;\n"
           "ALTER TABLE parts ADD CONSTRAINT no_overlap EXCLUDE USING gist (during WITH &&);\n"
           "ALTER TABLE parts DETACH PARTITION parts_2020;\nALTER TABLE parts SET SCHEMA archive;\nCOMMIT;\n"
           "CREATE TABLE n (c int NOT NULL DEFAULT 0);\nALTER TABLE n ALTER COLUMN c DROP DEFAULT;\n"
           "CREATE TABLE v (a int);\nALTER TABLE v ADD CONSTRAINT v_a CHECK (a > 0) NOT VALID;\n"
           "ALTER TABLE v VALIDATE CONSTRAINT v_a;\n")
    report = sql_report(tmp_path, sql)
    assert [f.rule for f in findings(report) if f.rule != "migrations/irreversible-migration"] == []


def test_create_or_replace_is_not_a_new_object(tmp_path: Path) -> None:
    sql = "CREATE OR REPLACE VIEW v AS SELECT 1;\nALTER VIEW v RENAME TO w;"
    assert_flags(tmp_path, sql, "rename-object", line=2)


def test_drop_and_create_again_in_one_transaction_is_how_views_and_functions_change(tmp_path: Path) -> None:
    recreate = ("DROP VIEW active_users;\nCREATE VIEW active_users AS SELECT 1;\n"
                "DROP FUNCTION f(int);\n"
                "CREATE OR REPLACE FUNCTION f(a int) RETURNS int LANGUAGE sql AS $$ SELECT a $$;\n")
    wrapped = sql_report(tmp_path, recreate, path=WRAPPED)
    assert not findings(wrapped, "drop-view") and not findings(wrapped, "drop-function")
    # autocommitted one by one: other sessions see the view missing in between
    view = findings(sql_report(tmp_path, recreate, path=PLAIN), "drop-view")
    assert view and "later transaction" in view[0].message
    # created again only after the COMMIT of the transaction that dropped it
    assert_flags(tmp_path, "BEGIN;\nDROP VIEW v;\nCOMMIT;\nCREATE VIEW v AS SELECT 1;", "drop-view")
    # another namespace with the same name does not count
    assert_flags(tmp_path, "BEGIN;\nDROP VIEW v;\nCREATE FUNCTION v() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;\n"
                 "COMMIT;", "drop-view")


def test_renaming_a_table_behind_a_compatibility_view(tmp_path: Path) -> None:
    assert_clean(tmp_path, "BEGIN;\nALTER TABLE users RENAME TO accounts;\n"
                 "CREATE VIEW users AS SELECT * FROM accounts;\nCOMMIT;", "rename-table")
    gap = assert_flags(tmp_path, "ALTER TABLE users RENAME TO accounts;\nCREATE VIEW users AS SELECT * FROM accounts;",
                       "rename-table")
    assert "later transaction" in gap.message


def test_replacing_an_enum_type_reports_only_the_column_conversion(tmp_path: Path) -> None:
    sql = ("ALTER TYPE mood RENAME TO mood_old;\nCREATE TYPE mood AS ENUM ('happy', 'sad');\n"
           "ALTER TABLE people ALTER COLUMN feeling TYPE mood USING feeling::text::mood;\nDROP TYPE mood_old;\n")
    report = sql_report(tmp_path, sql, path=WRAPPED)
    rules = {f.rule.removeprefix("migrations/") for f in findings(report)}
    assert "change-column-type" in rules
    assert not rules & {"rename-object", "drop-type"}
    # with CASCADE the renamed type's columns go too: data loss is always reported
    f = assert_flags(tmp_path, sql.replace("DROP TYPE mood_old;", "DROP TYPE mood_old CASCADE;"), "drop-type",
                     path=WRAPPED)
    assert f.severity is Severity.CRITICAL


def test_drop_risk_depends_on_cascade(tmp_path: Path) -> None:
    report = sql_report(tmp_path, "DROP TYPE a;\nDROP TYPE b CASCADE;\nDROP EXTENSION e;\nDROP EXTENSION f CASCADE;\n"
                                  "DROP SEQUENCE s;\n")
    got = {(f.rule.removeprefix("migrations/"), f.location.line): f.severity for f in findings(report)}
    assert got[("drop-type", 1)] is Severity.HIGH and got[("drop-type", 2)] is Severity.CRITICAL
    assert got[("drop-extension", 3)] is Severity.HIGH and got[("drop-extension", 4)] is Severity.CRITICAL
    assert got[("drop-sequence", 5)] is Severity.CRITICAL
    assert items(report)[0].data["risk"] == "avoid"
    assert any("CASCADE also drops every column" in f.message for f in findings(report, "drop-type"))


def test_drop_several_objects_in_one_statement(tmp_path: Path) -> None:
    report = sql_report(tmp_path, "DROP VIEW a, s.b;\nDROP TYPE public.x, y;\n")
    assert {f.message.split(" breaks")[0] for f in findings(report, "drop-view")} == {
        "Dropping view a", "Dropping view s.b"}
    assert sorted(f.message.split(" fails")[0] for f in findings(report, "drop-type")) == [
        "Dropping type public.x", "Dropping type y"]


def test_validate_in_same_transaction_risk_and_wrapped_formats(tmp_path: Path) -> None:
    fk = ("ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;\n"
          "ALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk;\n")
    f = assert_flags(tmp_path, fk, "validate-in-same-transaction", line=2, path=WRAPPED)
    assert f.severity is Severity.MEDIUM and "SHARE ROW EXCLUSIVE" in f.message and "line 1" in f.message
    check = ("ALTER TABLE orders ADD CONSTRAINT c CHECK (total >= 0) NOT VALID;\n"
             "ALTER TABLE orders VALIDATE CONSTRAINT c;")
    assert assert_flags(tmp_path, check, "validate-in-same-transaction", path=WRAPPED).severity is Severity.HIGH
    big = assert_flags(tmp_path, check, "validate-in-same-transaction", path=WRAPPED, large_tables=["orders"])
    assert big.severity is Severity.CRITICAL


def test_nested_and_unclosed_transactions_follow_the_format(tmp_path: Path) -> None:
    block = "BEGIN;\nALTER TABLE t ADD COLUMN a int;\nCOMMIT;\nALTER TABLE t ADD COLUMN b int;\n"
    nested = assert_flags(tmp_path, block, "nested-transaction", line=1, path=WRAPPED)
    assert "line 3" in nested.message and "half applied" in nested.message
    assert_clean(tmp_path, block, "nested-transaction")  # psql -f
    assert_clean(tmp_path, block, "nested-transaction", path="migrations/3_x.up.sql")  # golang-migrate
    assert_flags(tmp_path, block, "nested-transaction", transactional=True)
    dbmate = "-- migrate:up\nBEGIN;\nSELECT 1;\n-- migrate:down\nSELECT 1;\n"
    assert_flags(tmp_path, dbmate, "nested-transaction", path="db/migrations/20240101_x.sql")
    assert_clean(tmp_path, dbmate, "unclosed-transaction", path="db/migrations/20240101_x.sql")  # dbmate commits
    assert_clean(tmp_path, dbmate.replace("migrate:up", "migrate:up transaction:false"), "nested-transaction",
                 path="db/migrations/20240101_x.sql")
    unclosed = assert_flags(tmp_path, "SELECT 1;\nBEGIN;\nUPDATE t SET a = 1 WHERE id = 2;\n", "unclosed-transaction",
                            line=2, path="migrations/3_x.up.sql")
    assert "rolls it back" in unclosed.message


def test_refresh_escalates_on_large_materialized_views(tmp_path: Path) -> None:
    f = assert_flags(tmp_path, "REFRESH MATERIALIZED VIEW daily_sales;", "refresh-materialized-view-non-concurrently",
                     large_tables=["daily_sales"])
    assert f.severity is Severity.HIGH and "large table" in f.message


def test_rewrite_covers_index_tablespace_and_move_all(tmp_path: Path) -> None:
    assert_flags(tmp_path, "ALTER INDEX users_email_idx SET TABLESPACE fast;", "rewrite-table")
    assert_flags(tmp_path, "ALTER TABLE ALL IN TABLESPACE slow SET TABLESPACE fast;", "rewrite-table")
    assert_flags(tmp_path, "ALTER TABLE t SET LOGGED;", "rewrite-table")
    assert_clean(tmp_path, "ALTER INDEX users_email_idx RENAME TO users_email_key;", "rewrite-table")


def test_inline_waiver_covers_new_rules(tmp_path: Path) -> None:
    sql = ("-- readiness: ignore migrations/drop-view -- replaced by reports.active_users in OPS-7\n"
           "DROP VIEW active_users;\n")
    assert all(f.waived for f in findings(sql_report(tmp_path, sql), "drop-view"))


ALEMBIC_RAW = '''from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade():
    op.execute("LOCK TABLE orders IN EXCLUSIVE MODE")
    op.execute("BEGIN")
    op.execute("DROP VIEW order_totals")


def downgrade():
    op.execute("CREATE VIEW order_totals AS SELECT 1")
'''


def test_raw_sql_in_alembic_is_judged_by_the_same_rules(tmp_path: Path) -> None:
    from migrations_helpers import check

    report = check(tmp_path, {"alembic/versions/0003_raw.py": ALEMBIC_RAW})
    lines = {f.rule.removeprefix("migrations/"): f.location.line for f in findings(report)}
    assert lines["lock-table"] == 8 and lines["nested-transaction"] == 9 and lines["drop-view"] == 10
    assert "unclosed-transaction" not in lines  # Alembic commits its own transaction


LONG = "orders_customer_id_created_at_status_shipping_country_region_idx"  # 64 bytes
assert len(LONG.encode()) == 64


@pytest.mark.parametrize(("sql", "rule"), [
    # identifier-too-long: every kind of created name, quoted, mixed case, non-ASCII
    (f"CREATE INDEX {LONG} ON orders (customer_id);", "identifier-too-long"),
    (f"CREATE TABLE {LONG} (id bigint);", "identifier-too-long"),
    (f"CREATE TABLE t (id bigint, {LONG} text);", "identifier-too-long"),
    (f"CREATE TABLE t (id bigint, CONSTRAINT {LONG} CHECK (id > 0));", "identifier-too-long"),
    (f"ALTER TABLE t ADD COLUMN {LONG.upper()} text;", "identifier-too-long"),
    (f'ALTER TABLE t ADD CONSTRAINT "{LONG[:40]} ""Quoted"" {LONG[:20]}" UNIQUE (a);', "identifier-too-long"),
    (f"ALTER TABLE t RENAME COLUMN a TO {LONG};", "identifier-too-long"),
    (f"ALTER TABLE t RENAME TO {LONG};", "identifier-too-long"),
    (f"CREATE VIEW public.{LONG} AS SELECT 1;", "identifier-too-long"),
    (f"CREATE FUNCTION {LONG}() RETURNS int LANGUAGE sql AS 'SELECT 1';", "identifier-too-long"),
    ("ALTER TABLE t ADD COLUMN " + "é" * 32 + " text;", "identifier-too-long"),  # 32 characters, 64 bytes
    # int-primary-key: inline, table-level, serial, identity, smallint; quoted and upper-case types
    ("CREATE TABLE t (id serial PRIMARY KEY);", "int-primary-key"),
    ("CREATE TABLE t (id INTEGER, name text, PRIMARY KEY (id));", "int-primary-key"),
    ("CREATE TABLE t (id int GENERATED ALWAYS AS IDENTITY, name text);", "int-primary-key"),
    ('CREATE TABLE "Things" ("Id" "int4" PRIMARY KEY);', "int-primary-key"),
    ("CREATE TABLE t (code smallint PRIMARY KEY);", "int-primary-key"),
    ("CREATE TABLE t (id smallserial);", "int-primary-key"),
    ("ALTER TABLE t ADD COLUMN seq serial;", "int-primary-key"),
    # timestamp-without-time-zone: every spelling, arrays, upper case
    ("CREATE TABLE t (at timestamp);", "timestamp-without-time-zone"),
    ("CREATE TABLE t (at TIMESTAMP(3) WITHOUT TIME ZONE);", "timestamp-without-time-zone"),
    ("ALTER TABLE t ADD COLUMN at timestamp[] NOT NULL DEFAULT '{}';", "timestamp-without-time-zone"),
    ('ALTER TABLE "T" ADD COLUMN "At" pg_catalog.timestamp;', "timestamp-without-time-zone"),
    # char-column
    ("CREATE TABLE t (code char(3));", "char-column"),
    ("ALTER TABLE t ADD COLUMN flag CHARACTER;", "char-column"),
    ("CREATE TABLE t (code character(2)[], b bpchar);", "char-column"),
])
def test_advisory_rules_fire(tmp_path: Path, sql: str, rule: str) -> None:
    f = assert_flags(tmp_path, sql, rule)
    assert f.severity is Severity.LOW


@pytest.mark.parametrize(("sql", "rule"), [
    (f"CREATE INDEX {LONG[:63]} ON orders (customer_id);", "identifier-too-long"),  # exactly 63 bytes
    (f"SELECT * FROM orders WHERE note = '{LONG}';", "identifier-too-long"),
    (f"-- {LONG}\nCREATE INDEX i ON orders (a);", "identifier-too-long"),
    (f"CREATE INDEX i ON orders (a) WHERE note <> '{LONG}';", "identifier-too-long"),
    (f"CREATE TABLE t (a text DEFAULT '{LONG}');", "identifier-too-long"),
    (f"ALTER TABLE {LONG} ADD COLUMN a text;", "identifier-too-long"),  # names an existing table
    ("CREATE TABLE t (id bigint PRIMARY KEY);", "int-primary-key"),
    ("CREATE TABLE t (id bigserial PRIMARY KEY);", "int-primary-key"),
    ("CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);", "int-primary-key"),
    ("CREATE TABLE t (id uuid PRIMARY KEY, n int);", "int-primary-key"),
    ("CREATE TABLE t (a int REFERENCES a (id), b int REFERENCES b (id), PRIMARY KEY (a, b));", "int-primary-key"),
    ("ALTER TABLE t ADD COLUMN n integer NOT NULL DEFAULT 0;", "int-primary-key"),
    ("ALTER TABLE t ADD COLUMN user_id int REFERENCES users (id);", "int-primary-key"),
    ("CREATE TABLE t (id text PRIMARY KEY, note text DEFAULT 'id serial PRIMARY KEY');", "int-primary-key"),
    ("CREATE TABLE t (at timestamptz, b timestamp with time zone, c timestamptz[]);", "timestamp-without-time-zone"),
    ("CREATE TABLE t (d date, t time, i interval);", "timestamp-without-time-zone"),
    ("CREATE TABLE t (at moment);  -- moment is a domain over timestamp", "timestamp-without-time-zone"),
    ("CREATE DOMAIN moment AS timestamp;", "timestamp-without-time-zone"),
    ("ALTER TABLE t ALTER COLUMN at TYPE timestamptz;", "timestamp-without-time-zone"),
    ("/* at timestamp */ CREATE TABLE t (note text DEFAULT 'timestamp', at timestamptz);",
     "timestamp-without-time-zone"),
    ("SELECT now()::timestamp;", "timestamp-without-time-zone"),
    ('CREATE TABLE t (v varchar(3), w character varying, x text, y "char");', "char-column"),
    ("CREATE TABLE t (note text DEFAULT 'char(3)');", "char-column"),
])
def test_advisory_rules_stay_quiet(tmp_path: Path, sql: str, rule: str) -> None:
    assert_clean(tmp_path, sql, rule)


def test_advisory_rules_judge_new_tables_and_never_escalate(tmp_path: Path) -> None:
    sql = ("CREATE TABLE events (id serial PRIMARY KEY, at timestamp, code char(2));\n"
           "ALTER TABLE events ADD COLUMN seen timestamp;\n")
    report = sql_report(tmp_path, sql, large_tables=["events"])
    got = {(f.rule.split("/")[1], f.location.line, f.severity) for f in findings(report)
           if f.rule.split("/")[1] in ("int-primary-key", "timestamp-without-time-zone", "char-column")}
    assert got == {("int-primary-key", 1, Severity.LOW), ("timestamp-without-time-zone", 1, Severity.LOW),
                   ("char-column", 1, Severity.LOW), ("timestamp-without-time-zone", 2, Severity.LOW)}
    msgs = " ".join(f.message for f in findings(report))
    assert "events.id" in msgs and "events.at" in msgs and "events.code" in msgs and "events.seen" in msgs
    assert len({f.fingerprint for f in findings(report)}) == len(findings(report))
    assert items(report)[0].data["risk"] == "low"
    assert not findings(report, "missing-lock-timeout")
    advisory = {R.IDENTIFIER_TOO_LONG.id, R.INT_PK.id, R.TIMESTAMP_NO_TZ.id, R.CHAR_COLUMN.id, "migrations/json-column"}
    assert not advisory & R.ESCALATING


def test_advisory_rules_point_at_the_column_line_and_its_waiver(tmp_path: Path) -> None:
    sql = ("CREATE TABLE events (\n"                       # 1
           "    id serial PRIMARY KEY,\n"                   # 2
           "    -- readiness: ignore migrations/char-column -- fixed-width country code\n"  # 3
           "    country char(2),\n"                         # 4
           "    \"höhe\" int, at timestamp\n"             # 5
           ");\n")
    report = sql_report(tmp_path, sql)
    at = {f.rule.split("/")[1]: (f.location.line, f.location.column, f.waived) for f in findings(report)}
    assert at["int-primary-key"] == (2, 5, False)
    assert at["char-column"] == (4, 5, True)
    assert at["timestamp-without-time-zone"] == (5, 17, False)  # columns count characters, not bytes
    assert not findings(report, "unused-waiver")


def test_identifier_too_long_names_the_whole_and_the_cut_name(tmp_path: Path) -> None:
    f = assert_flags(tmp_path, f'CREATE INDEX "{LONG.upper()}" ON orders (a);', "identifier-too-long")
    assert LONG.upper() in f.message and f"created as {LONG.upper()[:63]}." in f.message and "64 bytes" in f.message
    report = sql_report(tmp_path, f"CREATE TABLE t (a int);\nCREATE INDEX {LONG} ON t (a);\nDROP INDEX {LONG};\n"
                                  f"CREATE INDEX {LONG} ON t (a);\n")
    assert [g.location.line for g in findings(report, "identifier-too-long")] == [2]  # once per name


def test_index_on_a_materialized_view_created_in_the_same_migration_is_exempt(tmp_path: Path) -> None:
    # MarquezProject/marquez V71__add_mat_views_lineage_metrics.sql: the index on the view the file
    # has just created was reported as blocking writes to it.
    sql = ("CREATE MATERIALIZED VIEW IF NOT EXISTS daily AS SELECT date_trunc('day', at) AS d FROM events;\n"
           "CREATE INDEX IF NOT EXISTS daily_d ON daily (d);\n")
    assert_clean(tmp_path, sql, "create-index-non-concurrently")
    assert_flags(tmp_path, "CREATE INDEX IF NOT EXISTS daily_d ON daily (d);\n", "create-index-non-concurrently")


def test_lock_timeout_and_foreign_key_messages_read_as_sentences(tmp_path: Path) -> None:
    # MarquezProject/marquez V43: "waits for SHARE ROW EXCLUSIVE on both tables lock on jobs" and
    # "locks on runs and runs" for a self-reference; kestra-io/kestra V1_23: "lock on <index name>".
    fk = sql_report(tmp_path, "ALTER TABLE runs ADD COLUMN parent uuid REFERENCES runs (uuid);\n")
    [timeout] = findings(fk, "missing-lock-timeout")
    assert "waits for ACCESS EXCLUSIVE lock on runs with" in timeout.message  # ADD COLUMN: ACCESS EXCLUSIVE
    con = sql_report(tmp_path, "ALTER TABLE runs ADD CONSTRAINT f FOREIGN KEY (j) REFERENCES jobs (id) NOT VALID;\n")
    assert "waits for SHARE ROW EXCLUSIVE lock on runs with" in findings(con, "missing-lock-timeout")[0].message
    [fk_hit] = findings(fk, "foreign-key-not-valid")
    assert fk_hit.message.endswith("holding a SHARE ROW EXCLUSIVE lock on runs.")
    other = findings(sql_report(tmp_path, "ALTER TABLE runs ADD CONSTRAINT f FOREIGN KEY (j) REFERENCES jobs (id);"),
                     "foreign-key-not-valid")
    assert other[0].message.endswith("locks on runs and jobs.")
    drop = findings(sql_report(tmp_path, "DROP INDEX queued_flow;\n"), "missing-lock-timeout")
    assert "ACCESS EXCLUSIVE lock on the table of index queued_flow with" in drop[0].message


def test_data_change_before_the_schema_change_does_not_hold_its_lock(tmp_path: Path) -> None:
    # Permify/permify 20250913120000_fix_xid_wraparound.sql, polarsource/polar backfill-then-SET NOT NULL
    # revisions, Netflix/dispatch 2021-06-18_c767b759a508.py: the UPDATE comes first, so no DDL lock is
    # held while it runs; the rule's pattern is DDL and then data in one transaction.
    before = "UPDATE t SET x = 1 WHERE x IS NULL;\nALTER TABLE t ALTER COLUMN x SET DEFAULT 1;\n"
    assert_clean(tmp_path, before, "mixed-data-and-schema", transactional=True)
    after = "ALTER TABLE t ALTER COLUMN x SET DEFAULT 1;\nUPDATE t SET x = 1 WHERE x IS NULL;\n"
    assert_flags(tmp_path, after, "mixed-data-and-schema", line=2, transactional=True)
    both = before + "UPDATE t SET y = 2 WHERE y IS NULL;\n"
    assert_flags(tmp_path, both, "mixed-data-and-schema", line=3, transactional=True)
