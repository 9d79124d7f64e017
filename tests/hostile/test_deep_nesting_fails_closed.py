"""What is nested too deeply to read must fail closed, never hide a statement (review5 R5-10).

Before: a `DROP TABLE users;` inside a PL/pgSQL body nested 500 BEGIN blocks (3000 IFs, 1000 LOOPs)
deep passed at the default policy: the body's tree is too deep for `json.loads`, the deep part was
cut, and the statements in it were silently dropped. Now every cut part is a `migrations/dynamic-sql`
finding (critical when added), in a DO block, in a routine the migration calls, and in a plain
statement whose tree was cut.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sec_support import PrRepo, assert_no_defect, check

from readiness.gates.migrations import pgtree
from readiness.gates.migrations.ops import Action
from readiness.gates.migrations.sql import parse

BASE = {"db/migrations/V1__init.sql": "CREATE TABLE users (id int primary key, email text);\n"}


def _begin(n: int, inner: str) -> str:
    return "BEGIN " * n + inner + " END;" * (n - 1) + " END"


DEEP_BODIES = {
    "begin-500": _begin(500, "DROP TABLE users;"),
    "if-3000": "BEGIN " + "IF true THEN " * 3000 + "DROP TABLE users; " + "END IF; " * 3000 + "END",
    "loop-1000": "BEGIN " + "LOOP " * 1000 + "DROP TABLE users; EXIT; " + "END LOOP; EXIT; " * 999 + "END LOOP; END",
}


@pytest.mark.parametrize("name", sorted(DEEP_BODIES))
def test_a_do_block_too_deep_to_read_fails_closed(tmp_path: Path, name: str) -> None:
    sql = f"DO $$ {DEEP_BODIES[name]} $$;\n"
    repo = PrRepo.make(tmp_path / "ws", BASE, {"db/migrations/V2__deep.sql": sql})
    done = check(repo.path, "--base", repo.base, "--gates", "migrations", "--replay", "off", home=tmp_path)
    assert_no_defect(done)
    found = done.findings("migrations/dynamic-sql")
    assert [f["severity"] for f in found] == ["critical"], done.findings()
    assert "nest too deeply" in found[0]["message"]
    assert done.code == 1


def test_a_routine_body_too_deep_to_read_fails_closed_where_it_is_called(tmp_path: Path) -> None:
    sql = (f"CREATE FUNCTION wipe() RETURNS void LANGUAGE plpgsql AS $$ {DEEP_BODIES['begin-500']} $$;\n"
           "SELECT wipe();\n")
    repo = PrRepo.make(tmp_path / "ws", BASE, {"db/migrations/V2__deep.sql": sql})
    done = check(repo.path, "--base", repo.base, "--gates", "migrations", "--replay", "off", home=tmp_path)
    assert_no_defect(done)
    assert [f["severity"] for f in done.findings("migrations/dynamic-sql")] == ["critical"], done.findings()
    assert done.code == 1


def test_a_shallow_body_is_still_read_statement_by_statement(tmp_path: Path) -> None:
    repo = PrRepo.make(tmp_path / "ws", BASE, {"db/migrations/V2__deep.sql":
                                               f"DO $$ {_begin(50, 'DROP TABLE users;')} $$;\n"})
    done = check(repo.path, "--base", repo.base, "--gates", "migrations", "--replay", "off", home=tmp_path)
    assert_no_defect(done)
    assert done.findings("migrations/drop-table") and not done.findings("migrations/dynamic-sql"), done.findings()


def test_a_statement_whose_tree_is_cut_says_so() -> None:
    """A plain statement too deep for the JSON decoder keeps its operation and adds one it cannot read."""
    deep = " + ".join(["1"] * 600)
    stmts, errors = parse(f"UPDATE users SET id = {deep};\nUPDATE users SET id = 1 + 2;\n")
    assert not errors
    ops = [[op.action for op in pgtree.from_statement(st)] for st in stmts]
    assert stmts[0].cut and Action.DYNAMIC_SQL in ops[0] and Action.UPDATE in ops[0]
    assert not stmts[1].cut and Action.DYNAMIC_SQL not in ops[1]
