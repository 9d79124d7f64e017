"""Each observation kind, on a real server: a migration that shows it, and one that does not."""

from __future__ import annotations

from replay_helpers import TABLE, Run, mig

from readiness.replay import (
    ChangeAction,
    FailureKind,
    LockMode,
    MigrationResult,
    StatementResult,
    StatementStatus,
    TxMode,
)


def _only(result: MigrationResult, index: int = 0) -> StatementResult:
    assert result.applies, [s.error for s in result.statements]
    st = result.statements[index]
    assert st.status is StatementStatus.APPLIED
    assert st.observed, st.observation_error
    return st


def _lock(st: StatementResult, relation: str) -> LockMode | None:
    return next((lk.mode for lk in st.locks if lk.relation == relation), None)


def test_volatile_default_rewrites_the_table_and_a_nullable_column_does_not(run: Run) -> None:
    nullable = _only(run.one(TABLE, "ALTER TABLE t ADD COLUMN b int"))
    assert nullable.rewrites == ()
    assert nullable.scans == ()
    assert _lock(nullable, "public.t") is LockMode.ACCESS_EXCLUSIVE
    volatile = _only(run.one(TABLE, "ALTER TABLE t ADD COLUMN b float DEFAULT random()"))
    assert {(r.relation, r.new) for r in volatile.rewrites} >= {("public.t", False)}
    assert any(s.relation == "public.t" for s in volatile.scans)
    constant = _only(run.one(TABLE, "ALTER TABLE t ADD COLUMN b int NOT NULL DEFAULT 0"))
    assert constant.rewrites == ()


def test_widening_a_varchar_does_not_rewrite_and_int_to_bigint_does(run: Run) -> None:
    widen = _only(run.one(TABLE, "ALTER TABLE t ALTER COLUMN v TYPE varchar(20)"))
    assert widen.rewrites == ()
    assert [(c.action, c.name) for c in widen.changes] == [(ChangeAction.ALTERED, "public.t.v")]
    bigint = _only(run.one(TABLE, "ALTER TABLE t ALTER COLUMN a TYPE bigint"))
    assert "public.t" in {r.relation for r in bigint.rewrites}
    assert _lock(bigint, "public.t") is LockMode.ACCESS_EXCLUSIVE


def test_create_index_takes_share_and_scans_the_table(run: Run) -> None:
    st = _only(run.one(TABLE, "CREATE INDEX t_a ON t (a)"))
    assert _lock(st, "public.t") is LockMode.SHARE
    assert st.locks_complete and st.in_transaction
    assert [s.relation for s in st.scans] == ["public.t"]
    assert any(c.kind == "index" and c.name == "public.t_a" and c.action is ChangeAction.CREATED for c in st.changes)


def test_create_index_concurrently_runs_alone_with_its_locks_sampled(run: Run) -> None:
    big = (*TABLE, "INSERT INTO t SELECT g, g FROM generate_series(1001, 300000) g")
    result = run.one(big, "CREATE INDEX CONCURRENTLY t_a ON t (a)", mode=TxMode.AUTOCOMMIT)
    st = _only(result)
    assert not st.in_transaction
    assert not st.locks_complete
    assert _lock(st, "public.t") is LockMode.SHARE_UPDATE_EXCLUSIVE
    assert any(c.name == "public.t_a" and c.action is ChangeAction.CREATED for c in st.changes)


def test_create_index_concurrently_in_a_wrapped_migration_fails_as_it_would_at_deploy(run: Run) -> None:
    result = run.one(TABLE, "CREATE INDEX CONCURRENTLY t_a ON t (a)")
    assert not result.applies
    err = result.statements[0].error
    assert err is not None and err.sqlstate == "25001" and err.kind is FailureKind.MIGRATION
    assert "transaction block" in err.message


def test_not_valid_then_validate(run: Run) -> None:
    validated = _only(run.one(TABLE, "ALTER TABLE t ADD CONSTRAINT a_positive CHECK (a > 0)"))
    assert [v.constraint for v in validated.validations] == ["public.t.a_positive"]
    assert [s.relation for s in validated.scans] == ["public.t"]
    assert _lock(validated, "public.t") is LockMode.ACCESS_EXCLUSIVE
    result = run.one(TABLE, "ALTER TABLE t ADD CONSTRAINT a_positive CHECK (a > 0) NOT VALID",
                     "ALTER TABLE t VALIDATE CONSTRAINT a_positive", mode=TxMode.AUTOCOMMIT)
    not_valid, validate = _only(result, 0), _only(result, 1)
    assert not_valid.validations == () and not_valid.scans == ()
    assert [v.constraint for v in validate.validations] == ["public.t.a_positive"]
    assert [s.relation for s in validate.scans] == ["public.t"]
    assert _lock(validate, "public.t") is LockMode.SHARE_UPDATE_EXCLUSIVE


def test_set_not_null_scans_and_drop_not_null_does_not(run: Run) -> None:
    set_nn = _only(run.one(TABLE, "ALTER TABLE t ALTER COLUMN a SET NOT NULL"))
    assert [v.constraint for v in set_nn.validations] == ["public.t.a NOT NULL"]
    assert [s.relation for s in set_nn.scans] == ["public.t"]
    drop_nn = _only(run.one((*TABLE, "ALTER TABLE t ALTER COLUMN a SET NOT NULL"),
                            "ALTER TABLE t ALTER COLUMN a DROP NOT NULL"))
    assert drop_nn.validations == () and drop_nn.scans == ()


def test_foreign_key_validation_locks_both_tables(run: Run) -> None:
    st = _only(run.one(TABLE, "ALTER TABLE t ADD CONSTRAINT t_pid FOREIGN KEY (pid) REFERENCES p (id)"))
    assert _lock(st, "public.t") is LockMode.SHARE_ROW_EXCLUSIVE
    assert _lock(st, "public.p") is LockMode.SHARE_ROW_EXCLUSIVE
    assert [v.constraint for v in st.validations] == ["public.t.t_pid"]


def test_ddl_hidden_in_a_do_block_or_a_function_is_observed(run: Run) -> None:
    do = _only(run.one(TABLE, "DO $$ BEGIN EXECUTE 'ALTER TABLE t ALTER COLUMN a TYPE bigint'; END $$"))
    assert "public.t" in {r.relation for r in do.rewrites}
    assert _lock(do, "public.t") is LockMode.ACCESS_EXCLUSIVE
    result = run.one(TABLE, "CREATE FUNCTION widen() RETURNS void LANGUAGE plpgsql AS "
                            "$$ BEGIN ALTER TABLE t ALTER COLUMN a TYPE bigint; END $$",
                     "SELECT widen()")
    define, call = _only(result, 0), _only(result, 1)
    assert define.rewrites == ()
    assert "public.t" in {r.relation for r in call.rewrites}
    plain = _only(run.one(TABLE, "DO $$ BEGIN PERFORM 1; END $$"))
    assert plain.rewrites == () and plain.locks == ()


def test_a_backfill_after_an_alter_runs_under_the_held_access_exclusive_lock(run: Run) -> None:
    result = run.one(TABLE, "ALTER TABLE t ADD COLUMN b int", "UPDATE t SET b = a")
    alter, backfill = _only(result, 0), _only(result, 1)
    assert [(lk.mode, lk.acquired) for lk in alter.locks if lk.relation == "public.t"] == [
        (LockMode.ACCESS_EXCLUSIVE, True)]
    assert [(lk.mode, lk.acquired) for lk in backfill.locks if lk.relation == "public.t"] == [
        (LockMode.ACCESS_EXCLUSIVE, False)]
    assert [s.relation for s in backfill.scans] == ["public.t"]
    # alone (autocommit), the same backfill takes only ROW EXCLUSIVE
    alone = _only(run.one((*TABLE, "ALTER TABLE t ADD COLUMN b int"), "UPDATE t SET b = a"))
    assert [(lk.mode, lk.acquired) for lk in alone.locks if lk.relation == "public.t"] == [
        (LockMode.ROW_EXCLUSIVE, True)]


def test_objects_created_in_the_migration_are_marked_new(run: Run) -> None:
    result = run.one((), "CREATE TABLE n (id int)", "CREATE INDEX n_id ON n (id)",
                     "ALTER TABLE n ALTER COLUMN id TYPE bigint")
    create, index, alter = (_only(result, i) for i in range(3))
    assert all(lk.new for lk in create.locks + index.locks + alter.locks)
    assert all(r.new for r in alter.rewrites) and alter.rewrites
    assert {(c.action, c.kind, c.name) for c in create.changes} >= {
        (ChangeAction.CREATED, "table", "public.n"), (ChangeAction.CREATED, "column", "public.n.id")}


def test_catalog_diff_names_dropped_and_altered_objects(run: Run) -> None:
    result = run.one((*TABLE, "CREATE VIEW tv AS SELECT id FROM t", "CREATE TYPE mood AS ENUM ('sad')"),
                     "DROP VIEW tv", "ALTER TYPE mood ADD VALUE 'happy'", "COMMENT ON TABLE t IS 'x'")
    drop, enum, comment = (_only(result, i) for i in range(3))
    assert [(c.action, c.kind, c.name) for c in drop.changes] == [(ChangeAction.DROPPED, "view", "public.tv")]
    assert [(c.action, c.kind, c.name) for c in enum.changes] == [
        (ChangeAction.CREATED, "enum value", "public.mood.'happy'")]
    assert comment.changes == ()


def test_foreign_key_without_an_index_is_reported_and_one_with_an_index_is_not(run: Run) -> None:
    bare = run([mig("1", *TABLE)], [mig("2", "ALTER TABLE t ADD CONSTRAINT t_pid FOREIGN KEY (pid) REFERENCES p (id)")])
    [fk] = bare.unindexed_foreign_keys
    assert (fk.constraint, fk.table, fk.columns, fk.referenced, fk.migration, fk.line) == (
        "public.t.t_pid", "public.t", ("pid",), "public.p", "2", 1)
    indexed = run([mig("1", *TABLE)], [
        mig("2", "ALTER TABLE t ADD CONSTRAINT t_pid FOREIGN KEY (pid) REFERENCES p (id)"),
        mig("3", "CREATE INDEX t_pid_idx ON t (pid, a)")])
    assert indexed.unindexed_foreign_keys == ()
    history_fk = run([mig("1", *TABLE, "ALTER TABLE t ADD FOREIGN KEY (pid) REFERENCES p (id)")],
                     [mig("2", "ALTER TABLE t ADD COLUMN b int")])
    assert history_fk.unindexed_foreign_keys == ()  # the PR did not add it


def test_server_version_is_reported(run: Run) -> None:
    result = run([], [mig("1", "CREATE TABLE x (id int)")])
    assert result.server_version.split(".")[0].isdigit()
    assert result.server_version_num >= 100000
    assert result.server == "database-url"


def test_percent_signs_and_placeholders_reach_the_server_as_written(run: Run) -> None:
    st = _only(run.one((), "CREATE TABLE pct (x text DEFAULT '100%s %% %(a)s $1')"))
    [column] = [c for c in st.changes if c.kind == "column"]
    assert column.after is not None and "'100%s %% %(a)s $1'" in column.after
