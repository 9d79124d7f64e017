"""State carried across migrations of a directory: NOT NULL columns, defaults, CHECK (col IS NOT
NULL) constraints and their validation, replayed once per run in apply order."""

from __future__ import annotations

from pathlib import Path

import pytest
from migrations_helpers import check, findings

from readiness.workspace.changes import ChangeSet


def _rules(report: object, name: str) -> list[str]:
    return [f.location.path.rsplit("/", 1)[-1] for f in findings(report, name)]  # type: ignore[arg-type]


def _pr(*paths: str) -> ChangeSet:
    return ChangeSet(base="main", files=frozenset(paths), deleted=frozenset(), source="git")


BASE = {
    "db/migration/V1__users.sql": "CREATE TABLE users (id bigint PRIMARY KEY, email text, name text NOT NULL "
                                  "DEFAULT '', bio text);\n",
    "db/migration/V2__check.sql": "ALTER TABLE users ADD CONSTRAINT users_email_nn CHECK (email IS NOT NULL) "
                                  "NOT VALID;\n",
}


@pytest.mark.parametrize("scan", [False, True])
def test_not_valid_check_then_validate_and_set_not_null_in_the_next_migration(tmp_path: Path, scan: bool) -> None:
    files = {**BASE, "db/migration/V3__nn.sql": "ALTER TABLE users VALIDATE CONSTRAINT users_email_nn;\n"
                                                "ALTER TABLE users ALTER COLUMN email SET NOT NULL;\n"}
    report = check(tmp_path, files, changes=None if scan else _pr("db/migration/V3__nn.sql"))
    assert _rules(report, "set-not-null") == []


def test_validated_in_one_migration_set_not_null_in_a_later_one(tmp_path: Path) -> None:
    files = {**BASE, "db/migration/V3__validate.sql": "ALTER TABLE users VALIDATE CONSTRAINT users_email_nn;\n",
             "db/migration/V10__nn.sql": "ALTER TABLE public.users ALTER COLUMN email SET NOT NULL;\n"}
    assert _rules(check(tmp_path, files), "set-not-null") == []


def test_unvalidated_or_dropped_checks_do_not_count(tmp_path: Path) -> None:
    files = {**BASE, "db/migration/V3__nn.sql": "ALTER TABLE users ALTER COLUMN email SET NOT NULL;\n"}
    assert _rules(check(tmp_path, files), "set-not-null") == ["V3__nn.sql"]
    files = {**BASE, "db/migration/V3__v.sql": "ALTER TABLE users VALIDATE CONSTRAINT users_email_nn;\n",
             "db/migration/V4__drop.sql": "ALTER TABLE users DROP CONSTRAINT users_email_nn;\n",
             "db/migration/V5__nn.sql": "ALTER TABLE users ALTER COLUMN email SET NOT NULL;\n"}
    assert _rules(check(tmp_path / "b", files), "set-not-null") == ["V5__nn.sql"]
    # another table's check proves nothing about this one
    files = {**BASE, "db/migration/V3__v.sql": "ALTER TABLE users VALIDATE CONSTRAINT users_email_nn;\n"
                                               "ALTER TABLE users RENAME TO people;\n"
                                               "CREATE TABLE users (email text);\n",
             "db/migration/V4__nn.sql": "ALTER TABLE users ALTER COLUMN email SET NOT NULL;\n"
                                        "ALTER TABLE people ALTER COLUMN email SET NOT NULL;\n"}
    assert _rules(check(tmp_path / "c", files), "set-not-null") == ["V4__nn.sql"]


def test_set_not_null_on_a_column_already_not_null_scans_nothing(tmp_path: Path) -> None:
    files = {**BASE, "db/migration/V3__nn.sql": "ALTER TABLE users ALTER COLUMN name SET NOT NULL;\n"
                                                "ALTER TABLE users ALTER COLUMN id SET NOT NULL;\n"}
    assert _rules(check(tmp_path, files, changes=_pr("db/migration/V3__nn.sql")), "set-not-null") == []
    files["db/migration/V3__nn.sql"] = ("ALTER TABLE users ALTER COLUMN name DROP NOT NULL;\n"
                                        "ALTER TABLE users ALTER COLUMN name SET NOT NULL;\n")
    assert _rules(check(tmp_path / "b", files), "set-not-null") == ["V3__nn.sql"]


def test_drop_default_on_a_column_an_earlier_migration_made_not_null(tmp_path: Path) -> None:
    files = {**BASE, "db/migration/V3__d.sql": "ALTER TABLE users ALTER COLUMN name DROP DEFAULT;\n"
                                               "ALTER TABLE users ALTER COLUMN bio DROP DEFAULT;\n"}
    report = check(tmp_path, files, changes=_pr("db/migration/V3__d.sql"))
    got = findings(report, "drop-default-not-null")
    assert [(f.location.path, f.location.line) for f in got] == [("db/migration/V3__d.sql", 1)]


def test_drop_default_then_set_default_in_the_same_transaction(tmp_path: Path) -> None:
    files = {**BASE, "db/migration/V3__d.sql": "ALTER TABLE users ALTER COLUMN name DROP DEFAULT;\n"
                                               "ALTER TABLE users ALTER COLUMN name SET DEFAULT 'anonymous';\n"}
    assert _rules(check(tmp_path, files), "drop-default-not-null") == []
    one = {**BASE, "db/migration/V3__d.sql": "ALTER TABLE users ALTER COLUMN name DROP DEFAULT, "
                                             "ALTER COLUMN name SET DEFAULT 'x';\n"}
    assert _rules(check(tmp_path / "one", one), "drop-default-not-null") == []
    # without a transaction around them, sessions see the column without a default in between
    plain = {"db/migrations/0001_users.sql": BASE["db/migration/V1__users.sql"],
             "db/migrations/0002_d.sql": "ALTER TABLE users ALTER COLUMN name DROP DEFAULT;\n"
                                         "ALTER TABLE users ALTER COLUMN name SET DEFAULT 'anonymous';\n"}
    assert _rules(check(tmp_path / "plain", plain), "drop-default-not-null") == ["0002_d.sql"]


def test_history_across_many_files_in_one_pass(tmp_path: Path) -> None:
    """Each file changes the types of the columns the previous one created (every file is parsed
    once; the 2 MiB version of this runs in tests/hostile)."""
    files = {}
    for i in range(16):
        rows = []
        for j in range(200):
            rows.append(f"CREATE TABLE t_{i}_{j} (c varchar(10), d text);\n")
            if i:
                rows.append(f"ALTER TABLE t_{i - 1}_{j} ALTER COLUMN c TYPE varchar({20 if j else 5});\n")
        files[f"db/migration/V{i + 1}__m.sql"] = "".join(rows)
    for changes in (None, _pr("db/migration/V9__m.sql", "db/migration/V16__m.sql")):
        report = check(tmp_path, files, changes=changes)
        got = sorted(f.location.path for f in findings(report, "change-column-type"))
        # only varchar(10) -> varchar(5) rewrites (once per file after the first)
        assert got == (sorted(f"db/migration/V{i + 1}__m.sql" for i in range(1, 16)) if changes is None
                       else ["db/migration/V16__m.sql", "db/migration/V9__m.sql"])
