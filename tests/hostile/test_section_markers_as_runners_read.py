"""dbmate and goose up/down markers are read exactly as each runner reads them (review5 R5-12).

Before: the gate's markers were looser than the runners' (dbmate's down marker takes at most one option
word and is case-sensitive; goose before v3.19 takes only `-- +goose Down` exactly), so a line the
runner reads as a plain comment started the down section for the gate, and the `DROP TABLE` after it,
which the runner applies as *up*, was judged as down (exit 0). Now such a line does not end the up
section; the down section still starts where the newest runner says (reversibility is judged there).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sec_support import Done, PrRepo, assert_no_defect, check

from readiness.gates.migrations.sql import dbmate_transaction, goose_sections

BASE = {"db/migrations/20240101000000_init.sql":
        "-- migrate:up\nCREATE TABLE users (id int primary key);\n-- migrate:down\nDROP TABLE users;\n"}
GOOSE_BASE = {"db/migrations/00001_init.sql":
              "-- +goose Up\nCREATE TABLE users (id int primary key);\n-- +goose Down\nDROP TABLE users;\n"}
DROP_AS_UP = {
    "dbmate-two-options": "-- migrate:up\nSELECT 1;\n-- migrate:down transaction:false note:x\nDROP TABLE users;\n"
                          "-- migrate:down\nSELECT 1;\n",
    "dbmate-down-dot": "-- migrate:up\nSELECT 1;\n-- migrate:down.\nDROP TABLE users;\n-- migrate:down\nSELECT 1;\n",
    "dbmate-down-dash": "-- migrate:up\nSELECT 1;\n-- migrate:down-legacy\nDROP TABLE users;\n"
                        "-- migrate:down\nSELECT 1;\n",
    "dbmate-upper": "-- migrate:up\nSELECT 1;\n-- MIGRATE:DOWN\nDROP TABLE users;\n-- migrate:down\nSELECT 1;\n",
    "dbmate-vertical-tab": "-- migrate:up\nSELECT 1;\n--\vmigrate:down\nDROP TABLE users;\n"
                           "-- migrate:down\nSELECT 1;\n",
}
GOOSE_DROP_AS_UP = {
    "goose-lower": "-- +goose Up\nSELECT 1;\n-- +goose down\nDROP TABLE users;\n",
    "goose-extra-word": "-- +goose Up\nSELECT 1;\n-- +goose Down (legacy)\nDROP TABLE users;\n"
                        "-- +goose Down\nSELECT 1;\n",
    "goose-double-space": "-- +goose Up\nSELECT 1;\n--  +goose  Down\nDROP TABLE users;\n",
    "goose-indented": "-- +goose Up\nSELECT 1;\n  -- +goose Down\nDROP TABLE users;\n",
}


def _run(tmp_path: Path, base: dict[str, str], rel: str, text: str) -> Done:
    repo = PrRepo.make(tmp_path / "ws", base, {rel: text})
    done = check(repo.path, "--base", repo.base, "--gates", "migrations", "--replay", "off", home=tmp_path)
    assert_no_defect(done)
    return done


@pytest.mark.parametrize("name", sorted(DROP_AS_UP))
def test_a_line_dbmate_does_not_take_for_a_marker_leaves_the_drop_in_up(tmp_path: Path, name: str) -> None:
    done = _run(tmp_path, BASE, "db/migrations/20240102000000_d.sql", DROP_AS_UP[name])
    assert [f["severity"] for f in done.findings("migrations/drop-table")] == ["critical"], done.findings()
    assert done.code == 1


@pytest.mark.parametrize("name", sorted(GOOSE_DROP_AS_UP))
def test_a_line_some_goose_does_not_take_for_a_marker_leaves_the_drop_in_up(tmp_path: Path, name: str) -> None:
    done = _run(tmp_path, GOOSE_BASE, "db/migrations/00002_d.sql", GOOSE_DROP_AS_UP[name])
    assert [f["severity"] for f in done.findings("migrations/drop-table")] == ["critical"], done.findings()
    assert done.code == 1


@pytest.mark.parametrize(("base", "rel", "text"), [
    (BASE, "db/migrations/20240102000000_d.sql",
     "-- migrate:up\nALTER TABLE users ADD COLUMN note text;\n-- migrate:down transaction:false\n"
     "ALTER TABLE users DROP COLUMN note;\n"),
    (GOOSE_BASE, "db/migrations/00002_d.sql",
     "-- +goose Up\nALTER TABLE users ADD COLUMN note text;\n-- +goose Down\nALTER TABLE users DROP COLUMN note;\n"),
    (GOOSE_BASE, "db/migrations/00002_d.sql",  # only goose since v3.19 reads this file: read as it does
     "-- +goose up\nALTER TABLE users ADD COLUMN note text;\n-- +goose down\nALTER TABLE users DROP COLUMN note;\n"),
])
def test_real_markers_still_split_the_file(tmp_path: Path, base: dict[str, str], rel: str, text: str) -> None:
    done = _run(tmp_path, base, rel, text)
    assert not done.findings("migrations/drop-column"), done.findings()
    assert done.code == 0, done.findings()


def test_dbmate_options_are_read_as_dbmate_reads_them() -> None:
    def tx(line: str) -> bool:
        return dbmate_transaction(f"{line}\nSELECT 1;\n-- migrate:down\n")

    assert not tx("-- migrate:up transaction:false")
    assert not tx("-- migrate:up x:y:z transaction:false")
    assert tx("-- migrate:up transaction: false")  # two words: `transaction:` and `false`
    assert tx("-- migrate:up transaction:FALSE")
    assert tx("-- migrate:up transaction:false transaction:true")  # the last one wins


def test_goose_annotations_follow_goose() -> None:
    up, down, no_tx = goose_sections("-- +goose Up\r\n-- +goose no transaction\r\nSELECT 1;\r\n"
                                     "-- +goose Down\r\nSELECT 2;\r\n")
    assert no_tx and up[0].endswith("SELECT 1;\r\n") and down is not None and down[1] == 4
    up, down, _ = goose_sections("-- +goose Up\nSELECT 1;\n-- +goose down\nSELECT 2;\n")
    assert "SELECT 2" in up[0] and down is not None and down[0].startswith("-- +goose down")
