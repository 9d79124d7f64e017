"""Failures are results: the server's own message, whose problem it is, and what ran."""

from __future__ import annotations

from replay_helpers import TABLE, Run, mig

from readiness.replay import FailureKind, StatementStatus, TxMode


def test_a_failing_migration_reports_the_servers_message_and_rolls_back(run: Run) -> None:
    result = run([mig("1", *TABLE)], [
        mig("2", "ALTER TABLE t ADD COLUMN b int", "ALTER TABLE nosuch ADD COLUMN c int", "SELECT 1"),
        mig("3", "ALTER TABLE t ADD COLUMN b int")])
    first, second = result.migrations
    assert not first.applies
    assert [s.status for s in first.statements] == [StatementStatus.APPLIED, StatementStatus.FAILED,
                                                    StatementStatus.NOT_RUN]
    err = first.statements[1].error
    assert err is not None
    assert (err.sqlstate, err.kind, err.message) == ("42P01", FailureKind.MIGRATION,
                                                     'relation "nosuch" does not exist')
    assert first.statements[1].line == 2
    # wrapped: the whole migration was rolled back, so the next one can add b
    assert second.applies and second.after_failed_history


def test_in_autocommit_the_statements_before_the_failure_stay(run: Run) -> None:
    result = run([mig("1", *TABLE)], [
        mig("2", "ALTER TABLE t ADD COLUMN b int", "ALTER TABLE nosuch ADD COLUMN c int", mode=TxMode.AUTOCOMMIT),
        mig("3", "ALTER TABLE t ADD COLUMN b int")])
    assert not result.migrations[0].applies
    second = result.migrations[1]
    assert not second.applies
    err = second.statements[0].error
    assert err is not None and err.sqlstate == "42701"


def test_a_history_failure_is_skipped_recorded_and_flagged(run: Run) -> None:
    history = mig("1", "CREATE TABLE a (id int)", "ALTER TABLE missing ADD COLUMN x int", "CREATE TABLE b (id int)")
    result = run([history], [mig("2", "ALTER TABLE b ADD COLUMN y int")])
    assert not result.history_clean
    [failure] = result.history_failures
    assert (failure.migration, failure.line, failure.error.sqlstate) == ("1", 2, "42P01")
    assert result.migrations[0].applies  # b exists: the history went on past the failure
    assert result.migrations[0].after_failed_history


def test_syntax_a_newer_server_accepts_is_a_version_problem_not_a_defect(run: Run) -> None:
    result = run([mig("1", "CREATE TABLE g (a int, b int GENERATED ALWAYS AS (a * 2) STORED)")],
                 [mig("2", "ALTER TABLE g ALTER COLUMN b SET EXPRESSION AS (a * 3)")])
    m = result.migrations[0]
    err = m.statements[0].error
    assert err is not None and err.sqlstate == "42601"
    if result.server_version_num >= 170000:  # pragma: no cover - the shipped server is 15
        return
    assert err.kind is FailureKind.SERVER_VERSION
    assert f"PostgreSQL {result.server_version} cannot parse" in err.message
    garbage = run([], [mig("2", "ALTER TABLE g ALTER COLUMN b SET EXPRESSION")]).migrations[0]
    garbage_err = garbage.statements[0].error
    assert garbage_err is not None and garbage_err.kind is FailureKind.MIGRATION


def test_missing_and_untrusted_extensions_are_environment_and_privilege(run: Run) -> None:
    result = run([], [mig("1", "CREATE EXTENSION IF NOT EXISTS no_such_extension_here"),
                      mig("2", "CREATE EXTENSION postgres_fdw"),
                      mig("3", 'CREATE EXTENSION IF NOT EXISTS "uuid-ossp"', "SELECT uuid_generate_v4()")])
    missing, untrusted, trusted = result.migrations
    assert missing.statements[0].error is not None
    assert missing.statements[0].error.kind is FailureKind.ENVIRONMENT
    assert untrusted.statements[0].error is not None
    assert untrusted.statements[0].error.kind is FailureKind.PRIVILEGE
    assert trusted.applies  # a trusted extension is created by the database owner


def test_copy_from_stdin_is_not_replayed(run: Run) -> None:
    result = run([mig("1", *TABLE)], [mig("2", "COPY p (id) FROM stdin")])
    err = result.migrations[0].statements[0].error
    assert err is not None and err.kind is FailureKind.ENVIRONMENT and "STDIN" in err.message


def test_a_role_that_exists_only_in_production(run: Run) -> None:
    result = run([mig("1", *TABLE)], [mig("2", "GRANT SELECT ON t TO reporting_readonly")])
    err = result.migrations[0].statements[0].error
    assert err is not None and err.sqlstate == "42704" and err.kind is FailureKind.ENVIRONMENT


def test_the_files_own_commit_ends_the_runners_transaction(run: Run) -> None:
    result = run([mig("1", *TABLE)], [mig("2", "ALTER TABLE t ADD COLUMN b int", "COMMIT",
                                          "ALTER TABLE t ADD COLUMN c int")])
    m = result.migrations[0]
    assert m.applies
    third = m.statements[2]
    assert third.observed and any(lk.relation == "public.t" and lk.acquired for lk in third.locks)


def test_the_budget_runs_out_as_a_result_not_a_hang(run: Run) -> None:
    result = run([mig("1", *TABLE)], [mig("2", "SELECT pg_sleep(30)"), mig("3", "SELECT 1")], budget_s=3)
    assert result.budget_exhausted
    slow, never = result.migrations
    assert slow.statements[0].error is not None and slow.statements[0].error.kind is FailureKind.BUDGET
    assert never.statements[0].status is StatementStatus.NOT_RUN
    assert never.statements[0].error is not None and never.statements[0].error.kind is FailureKind.BUDGET


def test_dropping_a_not_null_constraint_by_its_postgresql_18_name(run: Run) -> None:
    result = run([mig("1", *TABLE)], [mig("2", "ALTER TABLE t DROP CONSTRAINT t_a_not_null")])
    err = result.migrations[0].statements[0].error
    if result.server_version_num >= 180000:  # pragma: no cover - the shipped server is 15
        return
    assert err is not None and err.kind is FailureKind.SERVER_VERSION and "PostgreSQL 18" in err.message
    other = run([mig("1", *TABLE)], [mig("2", "ALTER TABLE t DROP CONSTRAINT t_a_check")]).migrations[0]
    assert other.statements[0].error is not None and other.statements[0].error.kind is FailureKind.MIGRATION
