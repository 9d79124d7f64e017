"""Second red-team pass on the replay engine: a migration whose deferred constraint trigger sleeps
when the runner COMMITs. The statements were watched one by one, the runner's own COMMIT was not:
the replay held the job for the trigger's whole sleep (600 s against a 30 s budget)."""

from __future__ import annotations

import os
import time

import pytest

from readiness.replay import Limits, Migration, Replayed, Statement, StatementStatus, TxMode, replay
from readiness.replay.server import find_binaries


def test_a_deferred_trigger_that_sleeps_at_commit_is_stopped_within_the_limits() -> None:
    if isinstance(find_binaries(), str):
        if os.environ.get("REQUIRE_REPLAY_TESTS") == "1":
            pytest.fail("REQUIRE_REPLAY_TESTS=1 but the PostgreSQL server programs are absent")
        pytest.skip("the PostgreSQL server programs are absent")
    sqls = ("CREATE TABLE t (id int)",
            "CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql "
            "AS $$ BEGIN PERFORM pg_sleep(600); RETURN NULL; END $$",
            "CREATE CONSTRAINT TRIGGER tr AFTER INSERT ON t DEFERRABLE INITIALLY DEFERRED "
            "FOR EACH ROW EXECUTE FUNCTION f()",
            "SET statement_timeout = 0",
            "INSERT INTO t VALUES (1)")
    pr = Migration(id="db/migrations/0002_sleep.sql", mode=TxMode.WRAPPED,
                   statements=tuple(Statement(sql=s, line=i + 1) for i, s in enumerate(sqls)))
    start = time.monotonic()
    out = replay([], [pr], limits=Limits(budget_s=30, statement_timeout_s=3, startup_timeout_s=20))
    seconds = time.monotonic() - start
    assert seconds < 25, seconds
    assert isinstance(out, Replayed), out
    assert [s.status for s in out.migrations[0].statements][:4] == [StatementStatus.APPLIED] * 4
