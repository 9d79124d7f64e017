"""Liquibase formatted-SQL changeset attributes are read as Liquibase reads them (review5 R5-17).

Before: the gate split `key:value` words, so `--changeset a:2 dbms:postgresql-15` (Liquibase reads
`postgresql`: the value stops at the first character outside `[\\w!,]`), `dbms:postgresql(main)`, and
`dbms:mysql logicalFilePath:legacy/dbms:postgresql` (the *last* `dbms:` wins) were taken for another
database's changesets and skipped: their `DROP TABLE users;` passed with no finding. A `dbms:` name
the gate does not know for another database now counts as PostgreSQL (judged). The SQL of a
`--precondition-sql-check` line, which Liquibase runs before the changeset, is judged too, and a
routine one changeset creates runs its body where a later changeset calls it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sec_support import Done, PrRepo, assert_no_defect, check

from readiness.gates.migrations.liquibase import changesets

HDR = "--liquibase formatted sql\n"
BASE = {"db/changelog/001-init.sql": HDR + "--changeset a:1\nCREATE TABLE users (id int primary key, email text);\n"
                                           "--rollback DROP TABLE users;\n"}


def _judge(tmp_path: Path, body: str) -> Done:
    repo = PrRepo.make(tmp_path / "ws", BASE, {"db/changelog/002-x.sql": HDR + body})
    done = check(repo.path, "--base", repo.base, "--gates", "migrations", "--replay", "off", home=tmp_path)
    assert_no_defect(done)
    return done


@pytest.mark.parametrize("line", [
    "--changeset a:2 dbms:postgresql-15",
    "--changeset a:2 dbms:postgresql.",
    "--changeset a:2 dbms:postgresql(main)",
    "--changeset a:2 dbms:mysql logicalFilePath:legacy/dbms:postgresql",
    "--changeset a:2 DBMS:PostgreSQL",
    "--changeset a:2 dbms:postgres",  # not a name Liquibase knows: it may be this database
    "--changeset a:2 dbms:mysql,edb",
    "--changeset a:2 dbms:mysql\u2028",  # Java's `.` stops there: no attribute matches the line
])
def test_a_changeset_that_may_run_on_postgresql_is_judged(tmp_path: Path, line: str) -> None:
    done = _judge(tmp_path, f"{line}\nDROP TABLE users;\n--rollback SELECT 1;\n")
    assert [f["severity"] for f in done.findings("migrations/drop-table")] == ["critical"], done.findings()
    assert done.code == 1


@pytest.mark.parametrize("line", ["--changeset a:2 dbms:mysql", "--changeset a:2 dbms:oracle,mssql",
                                  "--changeset a:2 dbms:!postgresql", "--changeset a:2 dbms:none"])
def test_a_changeset_for_other_databases_only_is_not_judged(tmp_path: Path, line: str) -> None:
    done = _judge(tmp_path, f"{line}\nDROP TABLE users;\n--rollback SELECT 1;\n")
    assert not done.findings("migrations/drop-table"), done.findings()


def test_precondition_sql_and_routines_across_changesets_are_judged(tmp_path: Path) -> None:
    done = _judge(tmp_path, "--changeset a:2\nCREATE FUNCTION purge() RETURNS int LANGUAGE plpgsql AS "
                            "$$ BEGIN DROP TABLE users; RETURN 0; END $$;\n--rollback DROP FUNCTION purge();\n"
                            "--changeset a:3\n--preconditions onFail:MARK_RAN\n"
                            "--precondition-sql-check expectedResult:0 SELECT purge()\n"
                            "SELECT 1;\n--rollback SELECT 1;\n")
    found = done.findings("migrations/drop-table")
    assert [(f["severity"], f["line"]) for f in found] == [("critical", 7)], done.findings()


def test_a_data_modifying_with_query_is_judged(tmp_path: Path) -> None:
    done = _judge(tmp_path, "--changeset a:2\n--precondition-sql-check expectedResult:0 "
                            "WITH d AS (DELETE FROM users RETURNING 1) SELECT count(*) * 0 FROM d\n"
                            "SELECT 1;\n--rollback SELECT 1;\n")
    assert [f["severity"] for f in done.findings("migrations/delete-all-rows")] == ["critical"], done.findings()


def test_run_in_transaction_is_read_as_liquibase_reads_it() -> None:
    def tx(attrs: str) -> bool:
        return changesets(f"{HDR}--changeset a:1 {attrs}\nSELECT 1;\n")[0].in_transaction

    assert tx("") and tx("runInTransaction:true") and tx("runInTransaction:TRUE")
    assert not tx("runInTransaction:false") and not tx("runInTransaction:no")  # Boolean.parseBoolean
    assert not tx("runInTransaction:false,")  # the value is a word
    assert tx("runInTransaction:false runInTransaction:true")  # the last one wins
