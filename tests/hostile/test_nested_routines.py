"""A routine the migration creates, called by another routine it creates, runs too.

Before: `CREATE FUNCTION g() ... DROP TABLE ...; CREATE FUNCTION f() ... PERFORM g() ...; SELECT f();`
judged f's body only: the DROP TABLE in g passed unseen. Calls are now followed from body to body,
each routine once (so f calling itself, or f and g calling each other, ends), up to a depth past
which the call is reported as not read (fail closed: critical in a migration the PR adds).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sec_support import Done, PrRepo, assert_no_defect, check

from readiness.gates.migrations.pgtree import MAX_ROUTINE_DEPTH

BASE = {"db/migrations/0001_init.sql": "CREATE TABLE users (id int);\n"}


def _fn(name: str, body: str, language: str = "plpgsql", returns: str = "void") -> str:
    if language == "sql":
        return f"CREATE FUNCTION {name}() RETURNS {returns} LANGUAGE sql AS $${body}$$;\n"
    return f"CREATE FUNCTION {name}() RETURNS {returns} LANGUAGE plpgsql AS $$ BEGIN {body} END $$;\n"


def _judge(tmp_path: Path, sql: str) -> Done:
    repo = PrRepo.make(tmp_path / "ws", BASE, {"db/migrations/0002_x.sql": sql})
    done = check(repo.path, "--base", repo.base, "--gates", "migrations", "--replay", "off", home=tmp_path)
    assert_no_defect(done)
    return done


@pytest.mark.parametrize("sql", [
    _fn("g", "DROP TABLE users;") + _fn("f", "PERFORM g();") + "SELECT f();\n",
    _fn("g", "DROP TABLE users", "sql") + _fn("f", "SELECT g()", "sql") + "SELECT f();\n",
    _fn("g", "DROP TABLE users;") + _fn("f", "IF g() IS NULL THEN RAISE NOTICE 'x'; END IF;") + "SELECT f();\n",
    # three levels, through an assignment and a RETURN value
    _fn("h", "DROP TABLE users; RETURN 1;", returns="int") + _fn("g", "RETURN h();", returns="int")
    + _fn("f", "PERFORM 1; DECLARE x int; BEGIN x := g(); END;") + "SELECT f();\n",
])
def test_a_routine_called_by_a_routine_runs_its_body(tmp_path: Path, sql: str) -> None:
    done = _judge(tmp_path, sql)
    drops = done.findings("migrations/drop-table")
    assert drops and drops[0]["severity"] == "critical", done.findings()
    assert done.code == 1


@pytest.mark.parametrize("sql", [
    _fn("f", "PERFORM f(); DROP TABLE users;") + "SELECT f();\n",  # f calls itself
    _fn("g", "PERFORM f(); DROP TABLE users;") + _fn("f", "PERFORM g();") + "SELECT f();\n",  # f <-> g
])
def test_recursion_ends_and_the_body_is_judged(tmp_path: Path, sql: str) -> None:
    done = _judge(tmp_path, sql)
    assert len(done.findings("migrations/drop-table")) == 1, done.findings()


def test_a_call_chain_past_the_bound_fails_closed(tmp_path: Path) -> None:
    n = MAX_ROUTINE_DEPTH + 3
    sql = _fn(f"f{n}", "DROP TABLE users;")
    sql += "".join(_fn(f"f{i}", f"PERFORM f{i + 1}();") for i in range(n - 1, -1, -1))
    done = _judge(tmp_path, sql + "SELECT f0();\n")
    unread = done.findings("migrations/dynamic-sql")
    assert unread and unread[0]["severity"] == "critical" and done.code == 1, done.findings()
    assert not done.findings("migrations/drop-table"), done.findings()


def test_many_routines_calling_each_other_stay_linear(tmp_path: Path) -> None:
    # every routine calls every other one: each body is still read once
    n = 200
    names = [f"r{i}" for i in range(n)]
    calls = " ".join(f"PERFORM {m}();" for m in names[:20])
    sql = "".join(_fn(name, calls) for name in names) + "SELECT r0();\n"
    done = _judge(tmp_path, sql)
    assert done.seconds < 30 and done.code in (0, 1), done.seconds


def test_a_trigger_function_returning_a_value_is_read(tmp_path: Path) -> None:
    # a function body with `RETURN NEW` is not a DO block: reading it as one made it "unreadable"
    # (a constant assigned to NEW.id would blank every insert: create-rule, review6a R6a-6)
    sql = ("CREATE FUNCTION t() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.id := coalesce(NEW.id, 1); "
           "RETURN NEW; END $$;\n"
           "CREATE TRIGGER t BEFORE INSERT ON users FOR EACH ROW EXECUTE FUNCTION t();\n")
    done = _judge(tmp_path, sql)
    assert not done.findings("migrations/dynamic-sql") and done.code == 0, done.findings()


def test_a_callee_replaced_after_its_caller_ran_is_judged_at_the_next_call(tmp_path: Path) -> None:
    # f calls a harmless g; g is then replaced by a DROP TABLE and f called again: the new g runs
    sql = (_fn("g", "PERFORM 1;") + _fn("f", "PERFORM g();") + "SELECT f();\n"
           + _fn("g", "DROP TABLE users;").replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION") + "SELECT f();\n")
    done = _judge(tmp_path, sql)
    assert [f["line"] for f in done.findings("migrations/drop-table")] == [5], done.findings()
