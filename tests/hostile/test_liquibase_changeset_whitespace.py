"""A Liquibase changeset must not vanish behind whitespace Liquibase accepts (review5 R5-18).

Liquibase finds a changeset line with Java's `\\s` (form feed and vertical tab too) and reads lines
with `BufferedReader.readLine` (a lone CR ends one). Before: `--\\fchangeset a:3`, `\\f--changeset`,
`--changeset\\fa:3`, or a changeset line after a lone CR was not a changeset to the gate, so its
`DROP TABLE` was folded into the preceding MySQL-only changeset and skipped. Now it is judged.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sec_support import PrRepo, assert_no_defect, check

HDR = "--liquibase formatted sql\n"
BASE = {"db/changelog/001-init.sql": HDR + "--changeset a:1\nCREATE TABLE users (id int primary key, email text);\n"
        "--rollback DROP TABLE users;\n"}
MYSQL_FIRST = HDR + "--changeset a:2 dbms:mysql\nSELECT 1;\n--rollback SELECT 1;\n"


@pytest.mark.parametrize("text", [
    MYSQL_FIRST + "--\fchangeset a:3\nDROP TABLE users;\n--rollback SELECT 1;\n",
    MYSQL_FIRST + "--\x0bchangeset a:3\nDROP TABLE users;\n--rollback SELECT 1;\n",
    MYSQL_FIRST + "\f--changeset a:3\nDROP TABLE users;\n--rollback SELECT 1;\n",
    MYSQL_FIRST + "--changeset\fa:3\nDROP TABLE users;\n--rollback SELECT 1;\n",
    MYSQL_FIRST.removesuffix("\n") + "\r--changeset a:3\rDROP TABLE users;\n--rollback SELECT 1;\n",
], ids=["ff-after-dashes", "vt-after-dashes", "ff-leading", "ff-before-ident", "lone-cr"])
def test_a_changeset_behind_java_whitespace_is_judged(tmp_path: Path, text: str) -> None:
    repo = PrRepo.make(tmp_path / "ws", BASE, {"db/changelog/002-x.sql": text})
    done = check(repo.path, "--base", repo.base, "--gates", "migrations", "--replay", "off", home=tmp_path)
    assert_no_defect(done)
    assert [f["severity"] for f in done.findings("migrations/drop-table")] == ["critical"], done.findings()
    assert done.code == 1


def test_crlf_changelogs_keep_their_line_numbers(tmp_path: Path) -> None:
    text = (HDR + "--changeset a:2\nSELECT 1;\n--rollback SELECT 1;\n--changeset a:3\nDROP TABLE users;\n"
            "--rollback SELECT 1;\n").replace("\n", "\r\n")
    repo = PrRepo.make(tmp_path / "ws", BASE, {"db/changelog/002-x.sql": text})
    done = check(repo.path, "--base", repo.base, "--gates", "migrations", "--replay", "off", home=tmp_path)
    assert_no_defect(done)
    assert [f["line"] for f in done.findings("migrations/drop-table")] == [6], done.findings()
