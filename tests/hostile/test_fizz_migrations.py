"""A pop fizz migration (`<version>_<name>.up.fizz`) must be judged as the SQL pop runs for it.

pop (gobuffalo/pop, soda, buffalo) renders a `.fizz` file as a Go template, runs it as a plush script
whose fizz calls each write a PostgreSQL statement, and sends the statements in the migration's
transaction. Before, the gate did not read `.fizz` at all: a pull request adding
`drop_table("users")` (or `sql("DROP TABLE users")`, or `exec(...)`, which runs a shell command)
passed. Now each call is translated as fizz translates it and judged with the SQL rules, and what
cannot be translated (a variable, another plush construct, `exec`) is `migrations/dynamic-sql`,
critical in a file the PR adds.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sec_support import PrRepo, assert_no_defect, check

GOMOD = "module example.com/x\n\ngo 1.21\n\nrequire github.com/gobuffalo/pop/v6 v6.1.1\n"
M = "migrations/"
BASE = {"go.mod": GOMOD,
        M + "20200101000000_init.up.fizz": 'create_table("users") {\n  t.Column("id", "uuid", {primary: true})\n'
                                           '  t.Column("email", "string", {})\n}\n',
        M + "20200101000000_init.down.fizz": 'drop_table("users")\n'}


def _run(tmp_path: Path, up: str, where: str = M) -> tuple[int, list[str]]:
    repo = PrRepo.make(tmp_path / "ws", BASE, {where + "20200102000000_x.up.fizz": up,
                                              where + "20200102000000_x.down.fizz": 'sql("SELECT 1")\n'})
    done = check(repo.path, "--base", repo.base, "--gates", "migrations", "--replay", "off", home=tmp_path)
    assert_no_defect(done)
    return done.code, [f["rule"] for f in done.findings() if f["severity"] == "critical"]


ATTACKS = [
    ('drop_table("users")\n', "migrations/drop-table"),
    ('drop_column("users", "email")\n', "migrations/drop-column"),
    ('sql("DROP TABLE users")\n', "migrations/drop-table"),
    ("raw(`DELETE FROM users`)\n", "migrations/delete-all-rows"),
    ('<%# a comment %>\n<% drop_table("users") %>\n', "migrations/drop-table"),
    ('{{ if eq .Dialect "mysql" }}sql("SELECT 1"){{ else }}drop_table("users"){{ end }}\n', "migrations/drop-table"),
    ('add_column("users", "x", "text", {"null": true, "default": "a\'; DROP TABLE users; --"})\n',
     "migrations/drop-table"),
    ('add_index("users", "email); DROP TABLE users; --", {})\n', "migrations/drop-table"),
    ('drop_table("x\\"; DROP TABLE users; --")\n', "migrations/drop-table"),
    ('exec("psql -c \'DROP TABLE users\'")\n', "migrations/dynamic-sql"),
    ('let t = "users"\ndrop_table(t)\n', "migrations/dynamic-sql"),
    ('drop_table(t)\n', "migrations/dynamic-sql"),
    ('for (i) in range(0, 1) { drop_table("users") }\n', "migrations/dynamic-sql"),
    ('drop_table("users") // gone\n', "migrations/dynamic-sql"),
    ('{{ printf "%s" "drop_table(\\"users\\")" }}\n', "migrations/dynamic-sql"),
]


@pytest.mark.parametrize(("up", "rule"), ATTACKS)
def test_a_fizz_migration_cannot_hide_what_pop_runs(tmp_path: Path, up: str, rule: str) -> None:
    code, critical = _run(tmp_path, up)
    assert rule in critical, critical
    assert code == 1


@pytest.mark.parametrize("up", [
    'add_column("users", "nickname", "string", {"null": true})\n',
    'create_table("widgets") {\n  t.Column("id", "uuid", {primary: true})\n  t.Column("name", "text", {})\n'
    '  t.Timestamps()\n}\n',
    '# nothing yet\n',
    '<%\n# You can add your migration from this point. For example:\n# drop_table("users")\n%>\n',
    'rename_index("users", "users_email_idx", "users_email_index")\n',
])
def test_ordinary_fizz_migrations_still_pass(tmp_path: Path, up: str) -> None:
    code, critical = _run(tmp_path, up)
    assert critical == [] and code == 0, critical


def test_a_hostile_fizz_file_stays_bounded(tmp_path: Path) -> None:
    """Deep nesting, a huge script and many unknown calls give findings, not a crash or a hang."""
    up = "x(" + "[" * 5000 + "]" * 5000 + ")\n" + "y()\n" * 50_000 + 'drop_table("users")\n'
    code, critical = _run(tmp_path, up)
    assert "migrations/dynamic-sql" in critical and code == 1


@pytest.mark.parametrize("where", [M + "mysql/", M + "testdata/", "db/"])
def test_pop_runs_fizz_from_any_directory(tmp_path: Path, where: str) -> None:
    """pop walks its migration path recursively and reads no directory name."""
    code, critical = _run(tmp_path, 'drop_table("users")\n', where)
    assert "migrations/drop-table" in critical, critical
    assert code == 1
