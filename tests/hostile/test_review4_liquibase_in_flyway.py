"""A pull request must not hide SQL from the gate by putting a Liquibase marker in a file Flyway runs.

Before: any `.sql` file whose first line is `--liquibase formatted sql` was read as a Liquibase
changelog, whatever its name and place. Liquibase skips the SQL before the first changeset and the
changesets whose `dbms:` excludes PostgreSQL, so those were not judged -- but Flyway ignores the
marker (a comment to it) and runs the whole file. `V2__x.sql` with a `dbms:mysql` changeset that
drops a table passed at the default policy. Now the repository decides who runs such a file (a
plain Flyway-named file beside it or a flyway.conf: Flyway; a Liquibase changelog naming it:
Liquibase), and without evidence every statement Flyway would run is judged as well.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sec_support import PrRepo, assert_no_defect, check

FLYWAY_BASE = {"db/migrations/V1__init.sql": "CREATE TABLE users (id int primary key, email text);\n"}
LIQUIBASE_NAMED_BASE = {"db/migrations/V1__init.sql": "--liquibase formatted sql\n--changeset a:0\n"
                        "CREATE TABLE users (id int primary key, email text);\n--rollback DROP TABLE users;\n"}
HEAD = "--liquibase formatted sql\n"
OTHER_DBMS = HEAD + "--changeset a:1\nSELECT 1;\n--rollback SELECT 1;\n--changeset a:2 dbms:mysql\nDROP TABLE users;\n"
PREAMBLE = HEAD + "DROP TABLE users;\n--changeset a:1\nSELECT 1;\n--rollback SELECT 1;\n"

CASES: dict[str, tuple[dict[str, str], dict[str, str]]] = {
    "other-dbms-beside-flyway": (FLYWAY_BASE, {"db/migrations/V2__x.sql": OTHER_DBMS}),
    "preamble-beside-flyway": (FLYWAY_BASE, {"db/migrations/V2__x.sql": PREAMBLE}),
    "repeatable-beside-flyway": (FLYWAY_BASE, {"db/migrations/R__x.sql": OTHER_DBMS}),
    "callback-beside-flyway": (FLYWAY_BASE, {"db/migrations/afterMigrate.sql": PREAMBLE}),
    "flyway-conf": ({**LIQUIBASE_NAMED_BASE, "flyway.conf": "flyway.locations=filesystem:db/migrations\n"},
                    {"db/migrations/V2__x.sql": OTHER_DBMS}),
    # a changelog that names the file does not stop Flyway from running it
    "changelog-names-it-beside-flyway": (FLYWAY_BASE, {
        "db/migrations/V2__x.sql": OTHER_DBMS,
        "db/changelog.xml": '<databaseChangeLog><include file="migrations/V2__x.sql"/></databaseChangeLog>\n'}),
    # nothing says which tool runs it: what Flyway would run is judged too
    "other-dbms-no-evidence": (LIQUIBASE_NAMED_BASE, {"db/migrations/V2__x.sql": OTHER_DBMS}),
    "preamble-no-evidence": (LIQUIBASE_NAMED_BASE, {"db/migrations/V2__x.sql": PREAMBLE}),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_sql_flyway_would_run_is_judged(tmp_path: Path, case: str) -> None:
    base, pr = CASES[case]
    repo = PrRepo.make(tmp_path / "ws", base, pr)
    done = check(repo.path, "--base", repo.base, "--gates", "migrations", "--replay", "off", home=tmp_path)
    assert_no_defect(done)
    found = done.findings("migrations/drop-table")
    assert found and all(f["severity"] == "critical" for f in found), done.findings()
    assert done.code == 1, (done.code, done.findings())


def test_a_changelog_liquibase_runs_keeps_its_dbms(tmp_path: Path) -> None:
    # the master changelog includes it and nothing says Flyway runs the directory: Liquibase's reading
    pr = {"db/migrations/V2__x.sql": OTHER_DBMS,
          "db/changelog-master.yaml": "databaseChangeLog:\n  - include:\n      file: migrations/V2__x.sql\n"}
    repo = PrRepo.make(tmp_path / "ws", LIQUIBASE_NAMED_BASE, pr)
    done = check(repo.path, "--base", repo.base, "--gates", "migrations", "--replay", "off", home=tmp_path)
    assert_no_defect(done)
    assert not done.findings("migrations/drop-table"), done.findings()
