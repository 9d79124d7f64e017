"""A directory symlink below a migrations directory: Flyway follows it, so the migrations behind it
are judged even where the target is a directory the walk skips (vendor/, testdata/), and a link into
one the gate never reads (`.git/`, `node_modules/`) is reported instead (review5 R5-14)."""

from __future__ import annotations

from pathlib import Path

import pytest
from migrations_helpers import check, findings, write

BASE = {"db/migrations/V1__init.sql": "CREATE TABLE users (id bigint PRIMARY KEY);\n"}


@pytest.mark.parametrize("target", ["vendor/x", "src/testdata", "third_party/sql"])
def test_migrations_behind_a_link_into_a_skipped_directory_are_judged(tmp_path: Path, target: str) -> None:
    write(tmp_path, {**BASE, f"{target}/V2__drop.sql": "DROP TABLE users;\n", f"{target}/nested/V3__t.sql":
                     "TRUNCATE users;\n"})
    (tmp_path / "db/migrations/extra").symlink_to(Path("../..") / target)
    report = check(tmp_path)
    assert [f.location.path for f in findings(report, "drop-table")] == [f"{target}/V2__drop.sql"]
    assert [f.location.path for f in findings(report, "truncate-table")] == [f"{target}/nested/V3__t.sql"]


@pytest.mark.parametrize("target", ["node_modules/pkg", ".git/hooks"])
def test_a_link_into_a_directory_never_read_is_reported(tmp_path: Path, target: str) -> None:
    write(tmp_path, {**BASE, f"{target}/V2__drop.sql": "DROP TABLE users;\n"})
    (tmp_path / "db/migrations/extra").symlink_to(Path("../..") / target)
    report = check(tmp_path)
    [f] = findings(report, "unreadable-file")
    assert f.location.path == "db/migrations/extra" and target in f.message
    assert not findings(report, "drop-table")  # nothing is read through it
