"""A statement PostgreSQL may lex differently from the gate fails closed (review5 R5-11).

pglast always lexes with standard_conforming_strings on. With it off (SET, SET LOCAL, set_config, a
role's or database's setting), `'a\\''` is a complete string, so `SELECT 'a\\''; DROP TABLE users; -- ';`
runs a DROP TABLE that the gate read as text inside one string: before, such a PR passed (exit 0).
Now a string whose end depends on the setting, and a statement that may turn it off, are
`migrations/dynamic-sql` (critical when added). Strings that end in the same place either way
(`E'...'`, dollar quoting, `'\\\\'`, `'it''s'`) and `SET standard_conforming_strings = on` are not.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sec_support import PrRepo, assert_no_defect, check

from readiness.gates.migrations.lexing import ambiguous_string, turns_off_standard_strings

BASE = {"db/migrations/V1__init.sql": "CREATE TABLE users (id int primary key, email text);\n"}
HIDDEN = "SELECT 'a\\''; DROP TABLE users; -- ';\n"


@pytest.mark.parametrize("sql", [
    "SET standard_conforming_strings = off;\n" + HIDDEN,
    "SET LOCAL standard_conforming_strings TO false;\n" + HIDDEN,
    "SELECT set_config('standard_conforming_strings', 'off', false);\n" + HIDDEN,
    HIDDEN,  # the setting may be off already (a role or database setting, an earlier migration)
    "DO $$ BEGIN PERFORM 'a\\''; DROP TABLE users; --'; END $$;\n",  # a body is lexed when it runs
])
def test_a_string_read_differently_with_standard_strings_off_fails_closed(tmp_path: Path, sql: str) -> None:
    repo = PrRepo.make(tmp_path / "ws", BASE, {"db/migrations/V2__s.sql": sql})
    done = check(repo.path, "--base", repo.base, "--gates", "migrations", "--replay", "off", home=tmp_path)
    assert_no_defect(done)
    found = done.findings("migrations/dynamic-sql")
    assert found and {f["severity"] for f in found} == {"critical"}, done.findings()
    assert any("standard_conforming_strings" in f["message"] for f in found)
    assert done.code == 1


@pytest.mark.parametrize("sql", [
    "SET standard_conforming_strings = off;\n",
    "ALTER DATABASE app SET standard_conforming_strings = 0;\n",
    "ALTER ROLE app SET standard_conforming_strings TO 'off';\n",
    'SET U&"standard\\005fconforming_strings" = off;\n',
])
def test_turning_standard_strings_off_fails_closed(tmp_path: Path, sql: str) -> None:
    repo = PrRepo.make(tmp_path / "ws", BASE, {"db/migrations/V2__s.sql": sql})
    done = check(repo.path, "--base", repo.base, "--gates", "migrations", "--replay", "off", home=tmp_path)
    assert_no_defect(done)
    assert [f["severity"] for f in done.findings("migrations/dynamic-sql")] == ["critical"], done.findings()


def test_strings_that_end_in_the_same_place_and_turning_it_on_are_not_findings(tmp_path: Path) -> None:
    sql = ("SET standard_conforming_strings = on;\nRESET standard_conforming_strings;\n"
           "INSERT INTO users (id, email) VALUES (1, E'it\\'s'), (2, 'it''s'), (3, 'C:\\\\'), (4, $$a\\'$$);\n"
           "UPDATE users SET email = 'a\\b' WHERE id = 1;\n")
    repo = PrRepo.make(tmp_path / "ws", BASE, {"db/migrations/V2__s.sql": sql})
    done = check(repo.path, "--base", repo.base, "--gates", "migrations", "--replay", "off", home=tmp_path)
    assert_no_defect(done)
    assert not done.findings("migrations/dynamic-sql"), done.findings()


def test_the_reader_itself() -> None:
    assert ambiguous_string(HIDDEN) == 7
    assert ambiguous_string("SELECT 'ab\\'") == 7  # unterminated when backslashes escape
    assert ambiguous_string("SELECT E'a\\'', 'x\\\\'") is None
    assert ambiguous_string("SELECT 'a'\n'b\\'; DROP TABLE users; --'") == 7  # a continued string
    assert not turns_off_standard_strings("SET standard_conforming_strings = on", None)
    assert turns_off_standard_strings("UPDATE pg_settings SET setting = 'off' "
                                      "WHERE name = 'standard_conforming_strings'", None)
