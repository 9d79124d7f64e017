"""Liquibase formatted-SQL changelogs: changesets, their rollbacks and their transactions."""

from __future__ import annotations

from pathlib import Path

from migrations_helpers import check, findings, items

from readiness.gates.migrations import liquibase
from readiness.model import Report

CHANGELOG = "src/main/resources/db/changelog/changes/001-orders.sql"


def _rules(report: Report) -> list[tuple[str, int]]:
    return sorted((f.rule.split("/", 1)[1], f.location.line or 0) for f in findings(report))


def test_changesets_rollbacks_and_attributes_are_read() -> None:
    text = (
        "--liquibase formatted sql\n"                                   # 1
        "SELECT 'before any changeset: never run';\n"                    # 2
        "--changeset alice:1\n"                                          # 3
        "CREATE TABLE orders (id bigint PRIMARY KEY);\n"                 # 4
        "--rollback DROP TABLE orders;\n"                                # 5
        "-- changeset bob:2 runInTransaction:false context:prod\n"       # 6
        "CREATE INDEX CONCURRENTLY orders_id ON orders (id);\n"          # 7
        "/* liquibase rollback\n"                                        # 8
        "DROP INDEX CONCURRENTLY orders_id;\n"                           # 9
        "*/\n"                                                           # 10
        "--changeset carol:3 dbms:oracle\n"                              # 11
        "ALTER TABLE orders ADD x NUMBER(3);\n"                          # 12
        "--changeset dave:4\n"                                           # 13
        "INSERT INTO orders VALUES (1);\n"                               # 14
        "--rollback empty\n"                                             # 15
    )
    assert liquibase.is_changelog(text)
    got = liquibase.changesets(text)
    assert [(c.ident, c.line, c.sql_line, c.rollback_state) for c in got] == [
        ("alice:1", 3, 4, "present"), ("bob:2", 6, 7, "present"), ("carol:3", 11, 12, "missing"),
        ("dave:4", 13, 14, "empty")]
    assert [c.in_transaction for c in got] == [True, False, True, True]
    assert [c.for_postgres for c in got] == [True, True, False, True]
    # the rollback keeps the file's layout: same lines, same columns
    assert got[0].rollback.split("\n")[1] == "           DROP TABLE orders;"
    assert got[1].rollback.split("\n")[2] == "DROP INDEX CONCURRENTLY orders_id;"


def test_dbms_lists() -> None:
    def runs(attr: str) -> bool:
        return liquibase.changesets(f"--liquibase formatted sql\n--changeset a:1 {attr}\nSELECT 1;\n")[0].for_postgres

    assert runs("") and runs("dbms:postgresql") and runs("dbms:h2,postgresql") and runs("dbms:all")
    assert runs("dbms:!oracle")
    assert not runs("dbms:oracle") and not runs("dbms:!postgresql") and not runs("dbms:h2,oracle")


def test_a_plain_sql_file_is_not_a_changelog() -> None:
    assert not liquibase.is_changelog("-- liquibase is mentioned here\nSELECT 1;\n")
    assert not liquibase.is_changelog("SELECT 1;\n--liquibase formatted sql\n")
    assert liquibase.is_changelog("\n  -- Liquibase Formatted SQL\n--changeset a:1\nSELECT 1;\n")


def test_changelog_is_found_in_the_usual_place_and_judged_per_changeset(tmp_path: Path) -> None:
    report = check(tmp_path, {CHANGELOG: (
        "--liquibase formatted sql\n"                                            # 1
        "--changeset alice:1\n"                                                  # 2
        "ALTER TABLE orders ADD COLUMN note text;\n"                             # 3
        "--rollback ALTER TABLE orders DROP COLUMN note;\n"                      # 4
        "--changeset alice:2\n"                                                  # 5
        "UPDATE orders SET note = '';\n"                                         # 6
        "--rollback UPDATE orders SET note = NULL;\n"                            # 7
        "--changeset alice:3 runInTransaction:false\n"                           # 8
        "CREATE INDEX CONCURRENTLY orders_note ON orders (note);\n"              # 9
        "--rollback DROP INDEX CONCURRENTLY orders_note;\n"                      # 10
        "--changeset alice:4\n"                                                  # 11
        "CREATE INDEX CONCURRENTLY orders_note2 ON orders (note);\n"             # 12
        "--rollback DROP INDEX orders_note2;\n"                                  # 13
    )})
    [item] = items(report)
    assert item.data["format"] == "liquibase" and item.data["reversible"] is True
    got = _rules(report)
    # the backfill is its own changeset, so its own transaction: not mixed with the ALTER
    assert not [r for r in got if r[0] == "mixed-data-and-schema"]
    # CONCURRENTLY is fine in the runInTransaction:false changeset, and fails in a normal one
    assert [r for r in got if r[0] == "concurrently-in-transaction"] == [("concurrently-in-transaction", 12)]
    assert ("unbatched-backfill", 6) in got


def test_ddl_and_backfill_in_one_changeset_share_its_transaction(tmp_path: Path) -> None:
    report = check(tmp_path, {CHANGELOG: (
        "--liquibase formatted sql\n"
        "--changeset alice:1\n"
        "ALTER TABLE orders ADD COLUMN note text;\n"
        "UPDATE orders SET note = '';\n"
        "--rollback ALTER TABLE orders DROP COLUMN note;\n"
    )})
    assert findings(report, "mixed-data-and-schema")


def test_each_changeset_needs_its_own_rollback(tmp_path: Path) -> None:
    report = check(tmp_path, {CHANGELOG: (
        "--liquibase formatted sql\n"                                 # 1
        "--changeset alice:1\n"                                       # 2
        "ALTER TABLE orders ADD COLUMN a text;\n"                     # 3
        "--rollback ALTER TABLE orders DROP COLUMN a;\n"              # 4
        "--changeset alice:2\n"                                       # 5
        "ALTER TABLE orders ADD COLUMN b text;\n"                     # 6
        "--changeset alice:3\n"                                       # 7
        "INSERT INTO orders (id) VALUES (1);\n"                       # 8
        "--rollback not required\n"                                   # 9
        "--changeset alice:4\n"                                       # 10
        "-- nothing to do here any more\n"                            # 11
        "--changeset alice:5 dbms:oracle\n"                           # 12
        "ALTER TABLE orders ADD c NUMBER(3);\n"                       # 13
    )})
    irreversible = findings(report, "irreversible-migration")
    assert sorted(f.location.line or 0 for f in irreversible) == [5, 7]
    assert "alice:2" in irreversible[0].message and "Liquibase cannot generate one" in irreversible[0].message
    assert "declared empty" in irreversible[1].message
    assert items(report)[0].data["reversible"] is False
    assert not findings(report, "parse-error")  # the Oracle-only changeset is not parsed


def test_rollback_that_recreates_a_dropped_column_is_lossy(tmp_path: Path) -> None:
    report = check(tmp_path, {CHANGELOG: (
        "--liquibase formatted sql\n"                                  # 1
        "--changeset alice:1\n"                                        # 2
        "ALTER TABLE orders DROP COLUMN legacy;\n"                     # 3
        "--rollback ALTER TABLE orders ADD COLUMN legacy text;\n"      # 4
    )})
    [lossy] = findings(report, "lossy-down")
    assert (lossy.location.path, lossy.location.line, lossy.location.column) == (CHANGELOG, 4, 12)


def test_rollback_that_does_not_parse_is_reported_at_its_line(tmp_path: Path) -> None:
    report = check(tmp_path, {CHANGELOG: (
        "--liquibase formatted sql\n"
        "--changeset alice:1\n"
        "ALTER TABLE orders ADD COLUMN a text;\n"
        "--rollback ALTER TABLE orders DROP COLUMNN a;\n"
    )})
    [err] = findings(report, "parse-error")
    assert err.location.line == 4
    assert not findings(report, "irreversible-migration")  # a rollback is written; it is broken, and said so


def test_plain_sql_under_a_changelog_directory_is_plain_sql(tmp_path: Path) -> None:
    report = check(tmp_path, {"db/changelog/sql/add_index.sql": "CREATE INDEX i ON orders (id);\n"})
    [item] = items(report)
    assert item.data["format"] == "sql"
    assert findings(report, "create-index-non-concurrently")


def test_changelog_in_a_migrations_directory_and_with_a_flyway_like_name(tmp_path: Path) -> None:
    text = ("--liquibase formatted sql\n--changeset a:1\nALTER TABLE t RENAME COLUMN a TO b;\n"
            "--rollback ALTER TABLE t RENAME COLUMN b TO a;\n")
    report = check(tmp_path, {"db/migrations/V2__rename.sql": text})
    [item] = items(report)
    assert item.data["format"] == "liquibase" and item.data["reversible"] is True
    assert [f.location.line for f in findings(report, "rename-column")] == [3]


def test_explicit_transactions_follow_each_changesets_mode(tmp_path: Path) -> None:
    report = check(tmp_path, {CHANGELOG: (
        "--liquibase formatted sql\n"                                # 1
        "--changeset alice:1 runInTransaction:false\n"               # 2
        "BEGIN;\n"                                                   # 3
        "ALTER TABLE orders ADD COLUMN a text;\n"                    # 4
        "COMMIT;\n"                                                  # 5
        "--rollback ALTER TABLE orders DROP COLUMN a;\n"             # 6
        "--changeset alice:2\n"                                      # 7
        "BEGIN;\n"                                                   # 8
        "ALTER TABLE orders ADD COLUMN b text;\n"                    # 9
        "COMMIT;\n"                                                  # 10
        "--rollback ALTER TABLE orders DROP COLUMN b;\n"             # 11
    )})
    # Liquibase already wraps changeset 2: its BEGIN nests; changeset 1 runs without one: its BEGIN is the transaction
    assert [f.location.line for f in findings(report, "nested-transaction")] == [8]
    assert not findings(report, "unclosed-transaction")


def test_changelog_parameters_are_filled_before_parsing(tmp_path: Path) -> None:
    # internetofwater/nldi-db, epam/edp-ddm-registry-postgres: `${role}` changelog parameters were
    # parse errors, and a changeset whose only rollback used one was called irreversible.
    report = check(tmp_path, {CHANGELOG: (
        "--liquibase formatted sql\n"                                                       # 1
        "--changeset a:grant.to.${READ_ONLY}\n"                                            # 2
        "grant select on all tables in schema s to ${READ_ONLY};\n"                        # 3
        "--rollback revoke select on all tables in schema s from ${READ_ONLY};\n"          # 4
        "--changeset a:2\n"                                                                 # 5
        "ALTER TABLE ${schema}.orders RENAME COLUMN a TO b;\n"                             # 6
        "--rollback ALTER TABLE ${schema}.orders RENAME COLUMN b TO a;\n"                  # 7
    )})
    assert not findings(report, "parse-error")
    assert not findings(report, "irreversible-migration")
    [rename] = findings(report, "rename-column")
    assert (rename.location.line, rename.location.column) == (6, 1)
    assert "{schema}.orders" in rename.message


def test_spring_boot_change_log_names_who_runs_a_flyway_named_changelog(tmp_path: Path) -> None:
    from readiness.workspace import Workspace

    marked = "--liquibase formatted sql\n--changeset a:1\nCREATE TABLE t (id int);\n"
    for rel, text in {"db/V1__all.sql": marked,
                      "src/main/resources/application.yml":
                          "spring:\n  liquibase:\n    change-log: classpath:db/V1__all.sql\n"}.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text, encoding="utf-8")
    assert liquibase.runner(Workspace(tmp_path), "db/V1__all.sql") == "liquibase"
    (tmp_path / "src/main/resources/application.yml").write_text("spring.liquibase.enabled: false\n")
    assert liquibase.runner(Workspace(tmp_path), "db/V1__all.sql") == "either"
