"""goose's `-- +goose ENVSUB ON` is read as goose expands it (review6a R6a-10, issue 11).

goose expands `${VAR:-word}` and `${VAR-word}` to `word` when VAR is unset (mfridman/interpolate).
The gate turned every `${...}` into a quoted identifier, so `DELETE FROM users WHERE ${NOPE:-true}`
was judged (and replayed) as a WHERE on a column and passed. Now the text goose sends when the
variable is unset is judged, and a variable without a default (the runner's own value) where it
decides what is destroyed or filtered fails closed (dynamic-sql); elsewhere it stays a name.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from review5_support import judge_files
from sec_support import PrRepo, assert_no_defect, check

from readiness.gates.migrations.sql import goose_envsub

BASE = {"db/migrations/00001_init.sql": "-- +goose Up\nCREATE TABLE users (id int primary key, email text);\n"
        "-- +goose Down\nDROP TABLE users;\n"}


def _pr(body: str, *, whole_file: bool = False) -> dict[str, str]:
    if whole_file:
        return {"db/migrations/00002_x.sql": "-- +goose ENVSUB ON\n-- +goose Up\n" + body
                + "-- +goose Down\nSELECT 1;\n"}
    return {"db/migrations/00002_x.sql": "-- +goose Up\n-- +goose ENVSUB ON\n" + body
            + "-- +goose ENVSUB OFF\n-- +goose Down\nSELECT 1;\n"}


@pytest.mark.parametrize(("body", "rule"), [
    ("DELETE FROM users WHERE ${READINESS_NOPE:-true};\n", "delete-all-rows"),
    ("DELETE FROM users WHERE ${READINESS_NOPE:-1=1};\n", "delete-all-rows"),
    ("DELETE FROM users WHERE ${READINESS_NOPE-true};\n", "delete-all-rows"),
    ("DELETE FROM users WHERE ${A:-${B:-true}};\n", "delete-all-rows"),
    ("SELECT 1;\n${READINESS_NOPE2:-TRUNCATE users};\n", "truncate-table"),
    ("DROP TABLE ${T:-users};\n", "drop-table"),
    ("ALTER TABLE users ADD COLUMN \"{X:-true}\" boolean DEFAULT false;\nDELETE FROM users WHERE ${X:-true};\n",
     "delete-all-rows"),
])
def test_a_default_is_judged_as_what_goose_sends(tmp_path: Path, body: str, rule: str) -> None:
    done = judge_files(tmp_path, BASE, _pr(body))
    found = done.findings(f"migrations/{rule}")
    assert found and all(f["severity"] == "critical" for f in found), done.findings()
    assert done.code == 1


def test_a_whole_file_envsub_is_read_too(tmp_path: Path) -> None:
    done = judge_files(tmp_path, BASE, _pr("DELETE FROM users WHERE ${X:-true};\n", whole_file=True))
    assert done.findings("migrations/delete-all-rows"), done.findings()
    assert done.code == 1


@pytest.mark.parametrize("body", [
    "DELETE FROM users WHERE ${READINESS_FILTER};\n",
    "DELETE FROM users WHERE id = ${ID:1:3};\n",
    "DROP TABLE users$SUFFIX;\n",
    "UPDATE users SET email = NULL WHERE ${COND};\n",
])
def test_the_runners_value_where_it_decides_fails_closed(tmp_path: Path, body: str) -> None:
    done = judge_files(tmp_path, BASE, _pr(body))
    found = done.findings("migrations/dynamic-sql")
    assert found and all(f["severity"] == "critical" for f in found), done.findings()
    assert done.code == 1


@pytest.mark.parametrize("body", [
    "CREATE TABLE ${SCHEMA}.audit (id int);\n",
    "ALTER TABLE users ADD COLUMN region text DEFAULT '${REGION:-eu}';\n",
    "CREATE TABLE ${SCHEMA:-public}.audit (id int);\n",
    "GRANT SELECT ON users TO ${READER_ROLE};\n",
])
def test_harmless_envsub_raises_nothing(tmp_path: Path, body: str) -> None:
    done = judge_files(tmp_path, BASE, _pr(body))
    assert not done.findings("migrations/dynamic-sql"), done.findings()
    assert done.code == 0, done.findings()


def test_replay_runs_the_default_not_a_decoy_column(tmp_path: Path) -> None:
    """Replay ran the same decoy text (a WHERE on a column the PR adds, all false) and deleted nothing."""
    body = ("ALTER TABLE users ADD COLUMN \"{X:-true}\" boolean DEFAULT false;\n"
            "DELETE FROM users WHERE ${X:-true};\n")
    repo = PrRepo.make(tmp_path / "ws", BASE, _pr(body))
    done = check(repo.path, "--base", repo.base, "--gates", "migrations", home=tmp_path, timeout=240)
    assert_no_defect(done)
    assert done.findings("migrations/delete-all-rows"), done.findings()
    assert done.code == 1


def test_expansion_follows_goose_interpolation() -> None:
    assert goose_envsub("WHERE ${A:-x} AND ${B-y}")[0] == "WHERE x AND y"
    assert goose_envsub("${A:-${B:-c}}") == ("c", [])
    assert goose_envsub("${A:-a\\$b}")[0] == "a$b"
    text, unknown = goose_envsub("x ${A} $$ $1 y")
    assert text == 'x "{A}" $$ $1 y' and unknown == [(2, "${A}")]
    assert goose_envsub("${A:-two\nlines}\nnext")[0].count("\n") == 2


def test_expansion_is_linear() -> None:
    import time

    text = "${A:-${B" * 50_000 + "$X ${Y} " * 50_000 + "${Z:-" * 20_000
    started = time.monotonic()
    goose_envsub(text)
    assert time.monotonic() - started < 5
