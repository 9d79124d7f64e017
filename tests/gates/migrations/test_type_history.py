"""A column's type change judged against the type earlier migrations gave it."""

from __future__ import annotations

from pathlib import Path

import pytest
from migrations_helpers import check, findings

from readiness.gates.migrations.classify import binary_compatible
from readiness.model import Confidence, Report
from readiness.workspace.changes import ChangeSet


@pytest.mark.parametrize(("old", "new", "safe"), [
    (("varchar", (20,)), ("varchar", (50,)), True),
    (("varchar", (20,)), ("varchar", ()), True),
    (("varchar", (20,)), ("text", ()), True),
    (("varchar", ()), ("text", ()), True),
    (("text", ()), ("varchar", ()), True),
    (("numeric", (10, 2)), ("numeric", (12, 2)), True),
    (("numeric", (10, 2)), ("numeric", ()), True),
    (("varbit", (8,)), ("varbit", (16,)), True),
    (("cidr", ()), ("inet", ()), True),
    (("varchar", (254,)), ("citext", ()), True),  # the citext extension's casts are WITHOUT FUNCTION
    (("citext", ()), ("text", ()), True),
    (("int4", ()), ("int4", ()), True),
    (("varchar", (50,)), ("varchar", (20,)), False),   # shorter: every row is checked, and may fail
    (("varchar", ()), ("varchar", (20,)), False),
    (("text", ()), ("varchar", (20,)), False),
    (("numeric", (10, 2)), ("numeric", (12, 3)), False),  # another scale rewrites
    (("numeric", ()), ("numeric", (12, 2)), False),
    (("int4", ()), ("int8", ()), False),
    (("timestamp", ()), ("timestamptz", ()), False),    # depends on the session time zone: not assumed
    (("varchar[]", ()), ("text[]", ()), False),
    (("inet", ()), ("cidr", ()), False),
])
def test_binary_compatible(old: tuple[str, tuple[int, ...]], new: tuple[str, tuple[int, ...]], safe: bool) -> None:
    assert binary_compatible(old, new) is safe


def _type_findings(report: Report) -> dict[str, tuple[int, Confidence, str]]:
    return {f.location.path.rsplit("/", 1)[-1]: (f.location.line or 0, f.confidence, f.message)
            for f in findings(report, "change-column-type")}


def test_flyway_history_in_version_order(tmp_path: Path) -> None:
    report = check(tmp_path, {
        "db/migration/V1__users.sql": "CREATE TABLE users (id bigint, email varchar(20), score numeric(6, 2));\n",
        "db/migration/V2__widen.sql": "ALTER TABLE users ALTER COLUMN email TYPE varchar(50);\n",
        "db/migration/V10__more.sql": "ALTER TABLE users ALTER COLUMN email TYPE text;\n"
                                      "ALTER TABLE users ALTER COLUMN score TYPE numeric(6, 3);\n",
        "db/migration/V11__int.sql": "ALTER TABLE public.Users ALTER COLUMN email TYPE int USING email::int;\n",
        "db/migration/V12__unknown.sql": "ALTER TABLE orders ALTER COLUMN total TYPE bigint;\n",
    })
    got = _type_findings(report)
    assert "V2__widen.sql" not in got  # varchar(20) -> varchar(50): no rewrite
    assert got["V10__more.sql"][:2] == (2, Confidence.CERTAIN)  # text stays; numeric(6,2) -> numeric(6,3) rewrites
    assert "from numeric(6, 2) to numeric(6, 3)" in got["V10__more.sql"][2]
    assert got["V11__int.sql"][1] is Confidence.CERTAIN and "from text to int4" in got["V11__int.sql"][2]
    assert got["V12__unknown.sql"][1] is Confidence.HEURISTIC  # no earlier migration says what it was


def test_diesel_history_renames_and_the_same_file(tmp_path: Path) -> None:
    report = check(tmp_path, {
        "migrations/2020-01-01_a/up.sql": "CREATE TABLE post (title varchar(100));\n",
        "migrations/2020-01-01_a/down.sql": "DROP TABLE post;\n",
        "migrations/2020-02-01_b/up.sql": "ALTER TABLE post RENAME COLUMN title TO name;\n"
                                          "ALTER TABLE post RENAME TO article;\n",
        "migrations/2020-02-01_b/down.sql": "ALTER TABLE article RENAME TO post;\n",
        "migrations/2020-03-01_c/up.sql": "ALTER TABLE article ALTER COLUMN name TYPE varchar(200);\n"
                                          "ALTER TABLE article ADD COLUMN slug varchar(10);\n"
                                          "ALTER TABLE article ALTER COLUMN slug TYPE varchar(5);\n",
        "migrations/2020-03-01_c/down.sql": "SELECT 1;\n",
    })
    got = _type_findings(report)
    assert list(got) == ["up.sql"]
    line, confidence, message = got["up.sql"]
    assert (line, confidence) == (3, Confidence.CERTAIN) and "from varchar(10) to varchar(5)" in message


def test_using_keeps_a_compatible_change_heuristic(tmp_path: Path) -> None:
    report = check(tmp_path, {
        "db/migration/V1__t.sql": "CREATE TABLE t (a varchar(10));\n",
        "db/migration/V2__t.sql": "ALTER TABLE t ALTER COLUMN a TYPE varchar(20) USING upper(a);\n",
    })
    assert _type_findings(report)["V2__t.sql"][1] is Confidence.HEURISTIC


def test_history_is_only_read_not_judged_or_waived(tmp_path: Path) -> None:
    # the PR changes V2 only: V1 is history, read for its types, not judged, and its inline
    # waiver is neither applied nor reported unused
    report = check(tmp_path, {
        "db/migration/V1__t.sql": "-- readiness: ignore migrations/rename-table -- not a waiver for anything\n"
                                  "CREATE TABLE t (a varchar(10));\n",
        "db/migration/V2__t.sql": "ALTER TABLE t ALTER COLUMN a TYPE int;\n",
    }, changes=ChangeSet(base="main", files=frozenset({"db/migration/V2__t.sql"}), deleted=frozenset(),
                         source="git"))
    assert _type_findings(report)["V2__t.sql"][1] is Confidence.CERTAIN
    assert [f.location.path for f in findings(report)] == ["db/migration/V2__t.sql"] * len(findings(report))


def test_other_directories_are_other_histories(tmp_path: Path) -> None:
    report = check(tmp_path, {
        "billing/migrations/V1__t.sql": "CREATE TABLE t (a varchar(10));\n",
        "search/migrations/V2__t.sql": "ALTER TABLE t ALTER COLUMN a TYPE varchar(20);\n",
    })
    assert _type_findings(report)["V2__t.sql"][1] is Confidence.HEURISTIC


def test_alembic_existing_type_settles_the_change(tmp_path: Path) -> None:
    head = ("from alembic import op\nimport sqlalchemy as sa\n\nrevision = 'b2'\ndown_revision = 'a1'\n\n\n"
            "def upgrade():\n")
    tail = "\n\ndef downgrade():\n    op.drop_column('t', 'x')\n"
    report = check(tmp_path, {
        "alembic/versions/b2_widen.py": head + (
            "    op.alter_column('users', 'email', existing_type=sa.VARCHAR(length=20), type_=sa.String(255))\n"
            "    op.alter_column('users', 'total', existing_type=sa.NUMERIC(precision=10, scale=2),\n"
            "                    type_=sa.Numeric(12, 2))\n") + tail,
        "alembic/versions/c3_change.py": head.replace("'b2'", "'c3'") + (
            "    op.alter_column('users', 'age', existing_type=sa.Integer(), type_=sa.BigInteger())\n"
            "    op.alter_column('users', 'bio', type_=sa.Text())\n") + tail,
    })
    got = {(f.location.path.rsplit("/", 1)[-1], f.location.line): f for f in findings(report, "change-column-type")}
    assert sorted(got) == [("c3_change.py", 9), ("c3_change.py", 10)]
    assert got[("c3_change.py", 9)].confidence is Confidence.CERTAIN
    assert "from int4 to int8" in got[("c3_change.py", 9)].message
    assert got[("c3_change.py", 10)].confidence is Confidence.HEURISTIC  # no existing_type: unknown


def test_timestamp_to_timestamptz_depends_on_the_session(tmp_path: Path) -> None:
    report = check(tmp_path, {
        "db/migration/V1__t.sql": "CREATE TABLE t (at timestamp);\n",
        "db/migration/V2__t.sql": "ALTER TABLE t ALTER COLUMN at TYPE timestamptz;\n",
    })
    line, confidence, message = _type_findings(report)["V2__t.sql"]
    assert confidence is Confidence.HEURISTIC and "unless the migration's session time zone is UTC" in message


def test_history_follows_a_table_rename_in_files_the_run_does_not_judge(tmp_path: Path) -> None:
    # only V3 is judged: V1 and V2 are read as history, for the renamed table's old name too
    report = check(tmp_path, {
        "db/migration/V1__t.sql": "CREATE TABLE old_t (a varchar(10));\nCREATE VIEW v AS SELECT 1;\n",
        "db/migration/V2__t.sql": "ALTER TABLE old_t ALTER COLUMN a TYPE varchar(30);\n"
                                  "ALTER TABLE old_t RENAME TO t;\n",
        "db/migration/V3__t.sql": "ALTER TABLE t ALTER COLUMN a TYPE varchar(20);\n",
    }, changes=ChangeSet(base="main", files=frozenset({"db/migration/V3__t.sql"}), deleted=frozenset(),
                         source="git"))
    line, confidence, message = _type_findings(report)["V3__t.sql"]
    assert confidence is Confidence.CERTAIN and "from varchar(30) to varchar(20)" in message


def test_forked_processes_settle_type_changes_as_one_process_does(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from readiness.gates.migrations import parallel
    from readiness.render.json_report import report_dict

    files = {}
    for i in range(1, 41):  # V1 creates t1..t40; later versions change their types, some compatible
        files[f"db/migration/V{i}__create.sql"] = f"CREATE TABLE t{i} (a varchar({i}), b int);\n"
    for i in range(41, 81):
        t = i - 40
        change = f"varchar({t + 5})" if t % 2 else "int"
        files[f"db/migration/V{i}__change.sql"] = (f"ALTER TABLE t{t} RENAME TO u{t};\n" if t % 3 == 0 else "") + \
            f"ALTER TABLE {'u' if t % 3 == 0 else 't'}{t} ALTER COLUMN a TYPE {change};\n"
    monkeypatch.setattr(parallel, "workers_for", lambda n: 1)
    sequential = report_dict(check(tmp_path, files))
    monkeypatch.setattr(parallel, "workers_for", lambda n: 3)
    forked = report_dict(check(tmp_path))
    for gate in (*sequential["gates"], *forked["gates"]):
        gate["duration_ms"] = 0
    assert forked == sequential
    certain = [f for f in forked["findings"] if f["rule"] == "migrations/change-column-type"]
    assert len(certain) == 20 and all(f["confidence"] == "certain" for f in certain)  # the 20 to int


def test_renames_in_the_same_migration_carry_the_old_type(tmp_path: Path) -> None:
    report = check(tmp_path, {
        "db/migration/V1__t.sql": "CREATE TABLE t (x varchar(10));\n",
        "db/migration/V2__t.sql": "ALTER TABLE t RENAME COLUMN x TO c;\nALTER TABLE t RENAME TO u;\n"
                                  "ALTER TABLE u ALTER COLUMN c TYPE varchar(5);\n",
    })
    line, confidence, message = _type_findings(report)["V2__t.sql"]
    assert (line, confidence) == (3, Confidence.CERTAIN) and "from varchar(10) to varchar(5)" in message


def test_a_hostile_table_name_is_read_in_one_pass() -> None:
    from readiness.gates.migrations.history import unquote as _unquote

    assert _unquote('public."My.T"') == "my.t" and _unquote("a . b") == "b" and _unquote('"x""y"') == 'x"y'
    assert _unquote("a." * 200_000 + "z") == "z"  # a quadratic split took minutes here


def test_timestamp_to_timestamptz_in_a_utc_session_is_no_rewrite(tmp_path: Path) -> None:
    # LemmyNet/lemmy 2023-08-02-174444_fix-timezones: SET timezone = 'UTC' first, then 82 columns
    # changed with USING the column itself (82 false criticals)
    report = check(tmp_path, {
        "db/migration/V1__t.sql": "CREATE TABLE t (a timestamp, b timestamp, c timestamp);\n",
        "db/migration/V2__t.sql": "SET timezone = 'UTC';\nALTER TABLE t ALTER COLUMN a TYPE timestamptz USING a;\n"
                                  "ALTER TABLE t ALTER COLUMN b TYPE timestamptz;\n"
                                  "ALTER TABLE t ALTER COLUMN c TYPE timestamptz USING c AT TIME ZONE 'UTC';\n",
        "db/migration/V3__t.sql": "SET TIME ZONE 'Europe/Paris';\nALTER TABLE t ALTER COLUMN a TYPE timestamp;\n",
    })
    got = sorted((p, line) for p, (line, _c, _m) in _type_findings(report).items())
    assert got == [("V2__t.sql", 4), ("V3__t.sql", 2)]


def test_a_serial_column_is_shown_as_the_integer_it_is(tmp_path: Path) -> None:
    # harbor 0080_2.5.0_schema.up.sql said "from serial to int8": serial is not a column type
    report = check(tmp_path, {
        "db/migrations/V1__t.sql": "CREATE TABLE vulnerability_record (id SERIAL PRIMARY KEY, note bigserial);\n",
        "db/migrations/V2__big.sql": "ALTER TABLE vulnerability_record ALTER COLUMN id TYPE BIGINT;\n"
                                     "ALTER TABLE vulnerability_record ALTER COLUMN note TYPE int4;\n"})
    messages = sorted(f.message for f in findings(report, "change-column-type"))
    assert any("vulnerability_record.id from integer to int8 rewrites" in m for m in messages), messages
    assert any("vulnerability_record.note from bigint to int4 rewrites" in m for m in messages), messages
    assert not any("serial" in m for m in messages), messages


def test_timestamp_to_timestamptz_with_using_always_rewrites(tmp_path: Path) -> None:
    # marquez V73: `USING created_at AT TIME ZONE 'UTC'` was "[heuristic] ... unless the session time
    # zone is UTC", though a USING expression that is not the column itself rewrites in any session
    report = check(tmp_path, {
        "db/migration/V1__t.sql": "CREATE TABLE namespaces (created_at timestamp, updated_at timestamp);\n",
        "db/migration/V2__tz.sql":
            "ALTER TABLE namespaces ALTER COLUMN created_at TYPE TIMESTAMPTZ\nUSING created_at AT TIME ZONE 'UTC';\n"
            "ALTER TABLE namespaces ALTER COLUMN updated_at TYPE TIMESTAMPTZ;\n"})
    got = {f.location.line: f for f in findings(report, "change-column-type")}
    assert got[1].confidence is Confidence.CERTAIN and "unless" not in got[1].message
    assert "from timestamp to timestamptz rewrites namespaces" in got[1].message
    assert got[3].confidence is Confidence.HEURISTIC
    assert "unless the migration's session time zone is UTC" in got[3].message
