"""Up, down, schema compared with the schema before the up, then up again: honest and dishonest downs."""

from __future__ import annotations

from replay_helpers import TABLE, Run, mig

from readiness.replay import DifferenceKind, FailureKind, MigrationResult, Reversibility


def _rev(run: Run, up: list[str], down: list[str], history: tuple[str, ...] = TABLE) -> Reversibility:
    result = run([mig("1", *history)], [mig("2", *up, down=down)])
    m: MigrationResult = result.migrations[0]
    assert m.applies, [s.error for s in m.statements]
    assert m.reversibility is not None
    return m.reversibility


def test_an_honest_down_restores_the_schema_and_the_up_applies_again(run: Run) -> None:
    rev = _rev(run, ["ALTER TABLE t ADD COLUMN b int DEFAULT 0 NOT NULL", "CREATE INDEX t_b ON t (b)",
                     "CREATE TYPE mood AS ENUM ('a', 'b')", "CREATE TABLE n (id serial PRIMARY KEY, m mood)",
                     "ALTER TABLE t ALTER COLUMN v TYPE varchar(20)",
                     "CREATE FUNCTION f(x int) RETURNS int LANGUAGE sql AS 'SELECT x'"],
               ["DROP FUNCTION f(int)", "ALTER TABLE t ALTER COLUMN v TYPE varchar(10)", "DROP TABLE n",
                "DROP TYPE mood", "DROP INDEX t_b", "ALTER TABLE t DROP COLUMN b"])
    assert rev.down_applies and rev.down_error is None
    assert rev.differences == ()
    assert rev.up_again is True and rev.up_again_error is None


def test_a_down_that_leaves_a_column_and_forgets_an_index(run: Run) -> None:
    rev = _rev(run, ["ALTER TABLE t ADD COLUMN b int", "DROP INDEX IF EXISTS t_a", "ALTER TABLE t ADD COLUMN c int"],
               ["ALTER TABLE t DROP COLUMN c"], history=(*TABLE, "CREATE INDEX t_a ON t (a)"))
    assert rev.down_applies
    messages = sorted(d.message for d in rev.differences)
    assert messages == ["down does not restore index public.t_a", "down leaves column public.t.b"]
    assert {d.kind for d in rev.differences} == {DifferenceKind.LEFT, DifferenceKind.NOT_RESTORED}
    assert rev.up_again is False  # ADD COLUMN b again: it is still there
    assert rev.up_again_error is not None and rev.up_again_error.sqlstate == "42701"
    assert rev.up_again_line == 1


def test_an_empty_down_leaves_the_table_once_not_each_of_its_parts(run: Run) -> None:
    rev = _rev(run, ["CREATE TABLE n (id int PRIMARY KEY, name text NOT NULL, t_id int REFERENCES t (id))",
                     "CREATE INDEX n_name ON n (name)"], [])
    assert [d.message for d in rev.differences] == ["down leaves table public.n"]


def test_a_changed_type_and_a_left_enum_value_are_named(run: Run) -> None:
    rev = _rev(run, ["ALTER TABLE t ALTER COLUMN a TYPE bigint", "ALTER TYPE mood ADD VALUE 'happy'"],
               ["SELECT 1"], history=(*TABLE, "CREATE TYPE mood AS ENUM ('sad')"))
    messages = sorted(d.message for d in rev.differences)
    assert messages == ["down leaves column public.t.a changed: integer became bigint",
                        "down leaves enum value public.mood.'happy'"]


def test_a_down_that_fails_to_apply(run: Run) -> None:
    rev = _rev(run, ["ALTER TABLE t ADD COLUMN b int"], ["ALTER TABLE t DROP COLUMN bb"])
    assert not rev.down_applies
    assert rev.down_error is not None and rev.down_error.sqlstate == "42703"
    assert rev.down_error.kind is FailureKind.MIGRATION and '"bb"' in rev.down_error.message
    assert rev.down_line == 1
    assert rev.up_again is None


def test_no_down_no_check_and_a_failed_up_no_check(run: Run) -> None:
    result = run([mig("1", *TABLE)], [mig("2", "ALTER TABLE t ADD COLUMN b int"),
                                     mig("3", "ALTER TABLE t ADD COLUMN b int", down=["SELECT 1"])])
    assert result.migrations[0].reversibility is None
    assert not result.migrations[1].applies and result.migrations[1].reversibility is None


def test_the_next_migration_runs_on_the_schema_the_up_leaves(run: Run) -> None:
    result = run([mig("1", *TABLE)], [mig("2", "ALTER TABLE t ADD COLUMN b int", down=["ALTER TABLE t DROP COLUMN b"]),
                                     mig("3", "UPDATE t SET b = 1")])
    assert result.migrations[0].reversibility is not None
    assert result.migrations[0].reversibility.differences == ()
    assert result.migrations[1].applies


def test_a_view_with_the_creation_time_baked_in_is_restored_all_the_same(run: Run) -> None:
    # 'now'::timestamp is evaluated when the view is created: re-creating it stores another constant
    view = "CREATE VIEW recent AS SELECT id FROM t WHERE now() > ('now'::timestamp - '1 mon'::interval)"
    rev = _rev(run, ["DROP VIEW recent", "CREATE VIEW recent AS SELECT id, a FROM t"],
               ["DROP VIEW recent", "SELECT pg_sleep(0.01)", view], history=(*TABLE, view))
    assert rev.differences == ()
