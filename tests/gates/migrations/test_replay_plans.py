"""What the migrations gate hands to replay: each directory's history and PR migrations in apply order,
each file's statements with their positions, its runner's transaction mode and its down."""

from __future__ import annotations

from pathlib import Path

from readiness.gates.migrations.discover import discover
from readiness.gates.migrations.replayed import plans
from readiness.replay import TxMode
from readiness.workspace import Workspace


def _plans(tmp_path: Path, files: dict[str, str], judged: list[str], transactional: bool | None = None) -> list:  # type: ignore[type-arg]
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text, encoding="utf-8")
    ws = Workspace(tmp_path)
    every = discover(ws, None)
    return plans(ws, every, [c for c in every if c.path in judged], full_scan=False, transactional=transactional)


def test_golang_migrate_versions_are_numbers_and_the_down_file_is_the_down(tmp_path: Path) -> None:
    files = {f"db/migrations/{n}_m{n}.up.sql": f"CREATE TABLE t{n} (id int);\n" for n in (1, 2, 10)}
    files["db/migrations/10_m10.down.sql"] = "DROP TABLE t10;\n"
    (plan,) = _plans(tmp_path, files, ["db/migrations/10_m10.up.sql"])
    assert [m.id for m in plan.history] == ["db/migrations/(golang-migrate bookkeeping table)",
                                            "db/migrations/1_m1.up.sql", "db/migrations/2_m2.up.sql"]
    (pr,) = plan.pr
    assert pr.mode is TxMode.IMPLICIT and pr.down_id == "db/migrations/10_m10.down.sql"
    assert [s.sql for s in pr.down or ()] == ["DROP TABLE t10"]


def test_dbmate_and_goose_sections_and_their_transaction_options(tmp_path: Path) -> None:
    files = {
        "db/migrations/20240101000000_a.sql": ("-- migrate:up\nCREATE TABLE a (id int);\n\n"
                                               "-- migrate:down\nDROP TABLE a;\n"),
        "db/migrations/20240102000000_b.sql": ("-- migrate:up transaction:false\n"
                                               "CREATE INDEX CONCURRENTLY a_id ON a (id);\n-- migrate:down\n"),
    }
    (plan,) = _plans(tmp_path, files, ["db/migrations/20240101000000_a.sql", "db/migrations/20240102000000_b.sql"])
    a, b = plan.pr
    assert a.mode is TxMode.WRAPPED and [(s.sql, s.line) for s in a.statements] == [("CREATE TABLE a (id int)", 2)]
    assert [(s.sql, s.line) for s in a.down or ()] == [("DROP TABLE a", 5)] and a.down_id is None
    assert b.mode is TxMode.IMPLICIT and b.down == ()
    goose = {"db/migrations/001_g.sql": ("-- +goose NO TRANSACTION\n-- +goose Up\n"
                                         "CREATE INDEX CONCURRENTLY i ON t (c);\n")}
    (plan,) = _plans(tmp_path / "goose", goose, ["db/migrations/001_g.sql"])
    assert plan.pr[0].mode is TxMode.AUTOCOMMIT and plan.pr[0].down is None


def test_popx_runs_the_postgres_file_not_the_generic_one(tmp_path: Path) -> None:
    files = {"go.mod": "module x\n\nrequire github.com/ory/x v0.0.1\n",
             "migrations/20200101000000000000_a.up.sql": "CREATE TABLE generic (id int);\n",
             "migrations/20200101000000000000_a.postgres.up.sql": "CREATE TABLE pg (id int);\n",
             "migrations/20200102000000000000_b.up.sql": "CREATE TABLE b (id int);\n"}
    (plan,) = _plans(tmp_path, files, ["migrations/20200102000000000000_b.up.sql"])
    assert [m.id for m in plan.history][1:] == ["migrations/20200101000000000000_a.postgres.up.sql"]
    assert plan.pr[0].mode is TxMode.WRAPPED


def test_liquibase_changesets_are_units_with_their_rollbacks_in_reverse(tmp_path: Path) -> None:
    text = ("--liquibase formatted sql\n"
            "--changeset me:1\nCREATE TABLE a (id int);\n--rollback DROP TABLE a;\n"
            "--changeset me:2 runInTransaction:false\nCREATE INDEX CONCURRENTLY a_id ON a (id);\n"
            "--rollback DROP INDEX a_id;\n")
    (plan,) = _plans(tmp_path, {"db/changelog/changes.sql": text}, ["db/changelog/changes.sql"])
    (m,) = plan.pr
    assert m.mode is TxMode.UNITS
    assert [(s.unit, s.autocommit) for s in m.statements] == [(1, False), (2, True)]
    assert [s.sql for s in m.down or ()] == ["DROP INDEX a_id", "DROP TABLE a"]


def test_the_configured_transaction_mode_wins(tmp_path: Path) -> None:
    files = {"db/migrations/1_a.up.sql": "CREATE TABLE a (id int);\nCREATE TABLE b (id int);\n"}
    (plan,) = _plans(tmp_path, files, ["db/migrations/1_a.up.sql"], transactional=False)
    assert plan.pr[0].mode is TxMode.AUTOCOMMIT


def test_popx_parts_of_one_migration_are_one_migration_whose_downs_run_last_part_first(tmp_path: Path) -> None:
    files = {"go.mod": "module x\n\nrequire github.com/ory/x v0.0.1\n",
             "migrations/20200101000000000000_t.postgres.up.sql": "CREATE TABLE t (id int);\n",
             "migrations/20200101000000000000_t.postgres.down.sql": "DROP TABLE t;\n",
             "migrations/20200101000000000001_t.postgres.up.sql": "\nCREATE INDEX t_id ON t (id);\n",
             "migrations/20200101000000000001_t.postgres.down.sql": "DROP INDEX t_id;\n"}
    (plan,) = _plans(tmp_path, files, ["migrations/20200101000000000001_t.postgres.up.sql"])
    (m,) = plan.pr
    assert m.id == "migrations/20200101000000000000_t.postgres.up.sql" and plan.judged == {m.id}
    assert m.mode is TxMode.UNITS and [(s.unit, s.line) for s in m.statements] == [(1, 1), (2, 2)]
    assert [s.sql for s in m.down or ()] == ["DROP INDEX t_id", "DROP TABLE t"]
    assert plan.up_path(m.id, 1) == "migrations/20200101000000000001_t.postgres.up.sql"
    assert plan.down_path(m, None) == "migrations/20200101000000000001_t.postgres.down.sql"
    assert set(plan.parts[m.id]) == {"migrations/20200101000000000000_t.postgres.up.sql",
                                     "migrations/20200101000000000001_t.postgres.up.sql"}
