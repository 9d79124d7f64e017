"""pop's fizz migrations: translated into the PostgreSQL statements fizz writes, judged as those."""

from __future__ import annotations

from pathlib import Path

import pytest
from migrations_helpers import check, findings, items

from readiness.gates.migrations.fizz import go_value, translate

M = "migrations/"


def _rules(tmp_path: Path, up: str, down: str | None = None) -> dict[str, list[tuple[int | None, str]]]:
    files = {M + "20200101000000_x.up.fizz": up}
    if down is not None:
        files[M + "20200101000000_x.down.fizz"] = down
    out: dict[str, list[tuple[int | None, str]]] = {}
    for f in findings(check(tmp_path, files)):
        out.setdefault(f.rule, []).append((f.location.line, f.severity.value))
    return out


def test_create_table_is_the_statement_fizz_writes() -> None:
    tr = translate('create_table("users") {\n  t.Column("id", "uuid", {primary: true})\n'
                   '  t.Column("email", "string", {"size": 80})\n  t.Column("bio", "text", {null: true})\n'
                   '  t.Index("email", {"unique": true})\n}\n')
    assert tr.unread == []
    sql = tr.sql.replace("\n", "")
    assert sql == ('CREATE TABLE "users" ("id" UUID NOT NULL, PRIMARY KEY("id"), "email" VARCHAR (80) NOT NULL, '
                   '"bio" text, "created_at" timestamp NOT NULL, "updated_at" timestamp NOT NULL); ; '
                   'CREATE UNIQUE INDEX "users_email_idx" ON "users" (email); ;')
    assert tr.sql.count("\n") == 5  # each column on the line of its t.Column, the index on its own


@pytest.mark.parametrize(("call", "sql"), [
    ('drop_table("a")', 'DROP TABLE "a";'),
    ('rename_table("a", "b")', 'ALTER TABLE "a" RENAME TO "b";'),
    ('add_column("a", "c", "integer", {})', 'ALTER TABLE "a" ADD COLUMN "c" integer NOT NULL;'),
    ('add_column("a", "c", "integer", {"null": false})', 'ALTER TABLE "a" ADD COLUMN "c" integer;'),  # fizz's rule
    ('add_column("a", "c", "bool", {"default": true})',
     "ALTER TABLE \"a\" ADD COLUMN \"c\" bool NOT NULL DEFAULT 'true';"),
    ('change_column("a", "c", "string", {"size": 9})',
     'ALTER TABLE "a" ALTER COLUMN "c" TYPE VARCHAR (9), ALTER COLUMN "c" SET NOT NULL;'),
    ('drop_column("a", "c")', 'ALTER TABLE "a" DROP COLUMN "c";'),
    ('rename_column("a", "c", "d")', 'ALTER TABLE "a" RENAME COLUMN "c" TO "d";'),
    ('add_index("a", ["c", "d"], {})', 'CREATE INDEX "a_c_d_idx" ON "a" (c, d);'),
    ('drop_index("a", "i")', 'DROP INDEX "i";'),
    ('rename_index("a", "i", "j")', 'ALTER INDEX "i" RENAME TO "j";'),
    ('add_foreign_key("a", "b_id", {"b": ["id"]}, {"on_delete": "cascade"})',
     'ALTER TABLE "a" ADD CONSTRAINT "a_b_id_fk" FOREIGN KEY ("b_id") REFERENCES "b" ("id") ON DELETE cascade;'),
    ('drop_foreign_key("a", "fk", {"if_exists": true})', 'ALTER TABLE "a" DROP CONSTRAINT IF EXISTS "fk";'),
    ('sql("UPDATE a SET x = 1")', "UPDATE a SET x = 1;"),
    ("raw(`DELETE FROM a;`)", "DELETE FROM a;"),
])
def test_each_fizz_function(call: str, sql: str) -> None:
    tr = translate(call)
    assert tr.unread == [] and tr.sql == sql + " ;"


@pytest.mark.parametrize(("text", "why"), [
    ('exec("psql -c \'DROP TABLE users\'")', "shell command"),
    ('drop_table(name)', "variable"),
    ('frobnicate("users")', "not a fizz function"),
    ('let t = "users"\ndrop_table(t)', "cannot be read"),
    ('drop_table("a"', "cannot be read"),
    ('drop_table("a") // comment', "cannot be read"),
    ('create_table("a") { u.Column("x", "int") }', "not a method of the table"),
    ('add_column("a", "b")', "arguments"),
    ('add_column("a", "b", "string", {"size": "9"})', "whole number"),
    ("[" * 100 + "]" * 100, "cannot be read"),
])
def test_what_cannot_be_translated_is_unread(text: str, why: str) -> None:
    tr = translate(text)
    assert tr.unread and why in tr.unread[0].why, tr.unread


def test_plush_strings_and_delimiters() -> None:
    tr = translate('<%# nothing of this runs: drop_table("x") %>\n<% sql("SELECT \\"a\\"") %>'
                   ' text printed, not run: drop_table("y") <%= drop_table("z") %>')
    assert tr.unread == []
    assert [s.strip() for s in tr.sql.split(" ;")] == ['SELECT "a";', 'DROP TABLE "z";', ""]


def test_go_value() -> None:
    assert [go_value(v) for v in (True, None, 1.0, 1.5, [1, "a"], {"b": 1})] == \
        ["true", "<nil>", "1", "1.5", "[1 a]", "map[b:1]"]


def test_fizz_migration_is_judged(tmp_path: Path) -> None:
    got = _rules(tmp_path, '# legacy\ndrop_column("users", "bio")\ndrop_table("sessions")\n'
                           'sql("DELETE FROM tokens")\n', 'sql("SELECT 1")')
    assert (2, "critical") in got["migrations/drop-column"]
    assert (3, "critical") in got["migrations/drop-table"]
    assert (4, "critical") in got["migrations/delete-all-rows"]
    assert "migrations/parse-error" not in got


def test_a_smuggled_statement_is_read_as_postgresql_reads_it(tmp_path: Path) -> None:
    got = _rules(tmp_path, 'add_column("a", "b", "text", {"default": "x\'; DROP TABLE users; --"})\n'
                           'add_index("a", "c); DROP TABLE accounts; --", {})\n')
    assert [line for line, _ in got["migrations/drop-table"]] == [1, 2]


def test_item_and_down_pairing(tmp_path: Path) -> None:
    """pop walks its path recursively and reads no directory name; a fizz file named for a dialect
    stops its migrator (nothing runs), so every generic one is judged, and one named for another
    database is not."""
    files = {M + "20200101000000_x.up.fizz": 'create_table("a") {\n t.Column("id", "uuid", {primary: true})\n}\n',
             M + "20200101000000_x.down.fizz": 'drop_table("a")\n',
             M + "mysql/20200102000000_y.up.fizz": 'add_column("a", "b", "text", {null: true})\n',
             M + "20200103000000_z.mysql.up.fizz": 'drop_table("a")\n'}
    report = check(tmp_path, files)
    got = {i.data["path"]: (i.data["format"], i.data["down_path"], i.data["runner"]) for i in items(report)}
    assert got == {M + "20200101000000_x.up.fizz": ("fizz", M + "20200101000000_x.down.fizz", "pop"),
                   M + "mysql/20200102000000_y.up.fizz": ("fizz", None, "pop")}
    assert not findings(report, "migrations/drop-table")


def test_history_reads_earlier_fizz(tmp_path: Path) -> None:
    """A column an earlier fizz migration made NOT NULL is known to the next one."""
    files = {M + "20200101000000_x.up.fizz": 'create_table("a") {\n t.Column("id", "uuid", {primary: true})\n'
                                             ' t.Column("b", "string", {})\n}\n',
             M + "20200102000000_y.up.fizz": 'change_column("a", "b", "string", {})\n'}
    assert not findings(check(tmp_path, files), "migrations/set-not-null")
