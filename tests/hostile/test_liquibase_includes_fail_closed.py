"""What a Liquibase `include`/`includeAll` runs is judged (review 6: R6b-9, R6b-15).

Before: a changelog's include elements were not read at all. A PR that added one line to the master
changelog, including a destructive file the base already had (an ops script, a never-wired
changelog), ran it on deploy and the gate judged nothing; and an include naming a changelog outside
the repository (classpath:, an absolute path, a jar the PR adds to the build, a missing file) was
silently dropped, while the same target through `<sqlFile>` failed closed. Now what an include the
PR adds or changes names is judged as the PR's, at the include, and an include the gate cannot
resolve to a repository file is a blocking dynamic-sql finding. Nothing outside the repository is read.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sec_support import Done, PrRepo, assert_no_defect, check

D = "src/main/resources/db/changelog/"
MASTER = D + "db.changelog-master.xml"
HDR = '<?xml version="1.0" encoding="UTF-8"?>\n<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog">\n'
INIT = '  <include file="changes/001-init.sql" relativeToChangelogFile="true"/>\n'
END = "</databaseChangeLog>\n"
BASE = {
    MASTER: HDR + INIT + END,
    D + "changes/001-init.sql": "--liquibase formatted sql\n--changeset alice:1\n"
                                "CREATE TABLE users (id bigint primary key, email text);\n"
                                "--rollback DROP TABLE users;\n",
    "scripts/reset_staging.sql": "TRUNCATE users;\nDROP TABLE users;\n",
    D + "ops/reset.sql": "TRUNCATE users;\n",
    "modules/acme/src/main/resources/db/custom/0001.sql": "DELETE FROM users;\n",
    D + "changes/050-cleanup.sql": "--liquibase formatted sql\n--changeset ops:50\nDROP TABLE users;\n",
    D + "changes/060-cleanup.yaml": "databaseChangeLog:\n- changeSet:\n    id: 60\n    author: ops\n"
                                    "    changes:\n    - dropTable: {tableName: users}\n",
}

REACHED = {
    "plain-from-root": ('  <include file="scripts/reset_staging.sql"/>\n', "migrations/drop-table"),
    "formatted-relative": ('  <include file="changes/050-cleanup.sql" relativeToChangelogFile="true"/>\n',
                           "migrations/drop-table"),
    "yaml-classpath": ('  <include file="classpath:db/changelog/changes/060-cleanup.yaml"/>\n',
                       "migrations/drop-table"),
    "include-all": ('  <includeAll path="ops/" relativeToChangelogFile="true"/>\n', "migrations/truncate-table"),
    # a classpath directory: every module's resources holding it are on the classpath
    "include-all-classpath-modules": ('  <includeAll path="db/custom" errorIfMissingOrEmpty="false"/>\n',
                                      "migrations/delete-all-rows"),
}


def _run(tmp_path: Path, base: dict[str, str], pr: dict[str, str]) -> Done:
    repo = PrRepo.make(tmp_path / "ws", base, pr)
    done = check(repo.path, "--base", repo.base, "--gates", "migrations", "--replay", "off", home=tmp_path)
    assert_no_defect(done)
    return done


@pytest.mark.parametrize("case", sorted(REACHED))
def test_a_file_the_pr_makes_reachable_is_judged_as_new(tmp_path: Path, case: str) -> None:
    line, rule = REACHED[case]
    done = _run(tmp_path, BASE, {MASTER: HDR + INIT + line + END})
    found = [f for f in done.findings(rule) if f["introduced"] and f["severity"] == "critical"]
    assert found and all(f["path"] == MASTER for f in found), done.findings()
    assert done.code == 1, (done.code, done.findings())


def test_an_include_the_base_already_had_is_not_judged_again(tmp_path: Path) -> None:
    # the master already ran the cleanup changelog: a PR that appends a harmless include does not block
    base = {**BASE, MASTER: HDR + INIT + '  <include file="changes/050-cleanup.sql" relativeToChangelogFile="true"/>\n'
            + END, D + "changes/070-notes.sql": "--liquibase formatted sql\n--changeset bob:70\n"
            "CREATE TABLE notes (id bigint primary key);\n--rollback DROP TABLE notes;\n"}
    pr = {MASTER: base[MASTER].replace(END, '  <include file="changes/070-notes.sql" relativeToChangelogFile="true"/>\n'
                                       + END)}
    done = _run(tmp_path, base, pr)
    assert not [f for f in done.findings() if f["introduced"] and f["severity"] == "critical"], done.findings()
    assert done.code == 0, (done.code, done.findings())


OUTSIDE = {
    "classpath-jar": '  <include file="com/acme/shared/db/changelog-purge.xml"/>\n',
    "classpath-prefix": '  <include file="classpath:com/acme/purge.xml"/>\n',
    "include-all-classpath": '  <includeAll path="classpath*:db/shared/"/>\n',
    "absolute": '  <include file="/etc/liquibase/purge.xml"/>\n',
    "include-all-absolute": '  <includeAll path="/opt/changelogs/"/>\n',
    "missing-relative": '  <include file="changes/404.xml" relativeToChangelogFile="true"/>\n',
    "escapes": '  <include file="../../../../../../etc/passwd" relativeToChangelogFile="true"/>\n',
}


@pytest.mark.parametrize("case", sorted(OUTSIDE))
def test_an_include_outside_the_repository_fails_closed(tmp_path: Path, case: str) -> None:
    done = _run(tmp_path, BASE, {MASTER: HDR + INIT + OUTSIDE[case] + END})
    found = done.findings("migrations/dynamic-sql")
    assert [f["severity"] for f in found] == ["critical"] and found[0]["introduced"], done.findings()
    assert "included changelog" in found[0]["message"], found[0]["message"]
    assert "root:" not in done.everything()  # nothing outside the repository was read
    assert done.code == 1, (done.code, done.findings())
