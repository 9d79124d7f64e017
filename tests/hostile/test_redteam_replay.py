"""Second red-team pass on the replay engine: a migration whose deferred constraint trigger sleeps
when the runner COMMITs. The statements were watched one by one, the runner's own COMMIT was not:
the replay held the job for the trigger's whole sleep (600 s against a 30 s budget)."""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
import time
from pathlib import Path

import pytest

from readiness.replay import Limits, Migration, Replayed, Statement, StatementStatus, TxMode, replay
from readiness.replay.server import PREFIX, find_binaries


def _need_server() -> None:
    """Skip where the server programs are genuinely absent (a failure where CI says they must be there)."""
    if isinstance(find_binaries(), str):
        if os.environ.get("REQUIRE_REPLAY_TESTS") == "1":
            pytest.fail("REQUIRE_REPLAY_TESTS=1 but the PostgreSQL server programs are absent")
        pytest.skip("the PostgreSQL server programs are absent")


def test_a_deferred_trigger_that_sleeps_at_commit_is_stopped_within_the_limits() -> None:
    _need_server()
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


def test_raise_warning_in_a_loop_does_not_fill_the_server_log() -> None:
    # RAISE WARNING / RAISE LOG reached the throwaway server's log file at about 120 MB/s, for as
    # long as the statement timeout and the budget allowed (tens of GB on the runner's disk).
    _need_server()
    peak = [0]
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            for log in Path(tempfile.gettempdir()).glob(f"{PREFIX}*/server.log"):
                with contextlib.suppress(OSError):
                    peak[0] = max(peak[0], log.stat().st_size)
            time.sleep(0.1)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    loop = ("DO $$ BEGIN FOR i IN 1..100000000 LOOP RAISE WARNING '%', repeat('w', 2000); "
            "RAISE LOG '%', repeat('l', 2000); END LOOP; END $$")
    try:
        out = replay([], [Migration(id="db/migrations/0002_log.sql", mode=TxMode.AUTOCOMMIT,
                                    statements=(Statement(sql=loop),))],
                     limits=Limits(budget_s=30, statement_timeout_s=3, startup_timeout_s=20))
    finally:
        done.set()
        watcher.join()
    assert isinstance(out, Replayed), out
    assert peak[0] < 5_000_000, peak[0]
