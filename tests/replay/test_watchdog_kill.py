"""A gate the watchdog kills in the middle of a replay leaves no PostgreSQL server behind: the server has a
process group of its own (the group kill misses it), so the engine reaps it once the worker is gone."""

from __future__ import annotations

import os
import time
from pathlib import Path

from readiness.engine import _reap_replay_servers
from readiness.replay import Limits
from readiness.replay.server import ThrowawayServer, find_binaries
from readiness.watchdog import Budget, run_gates
from readiness.watchdog import Limits as WatchdogLimits


def test_a_killed_gate_leaves_no_server_running(pg_server: object, tmp_path: Path) -> None:
    binaries = find_binaries()
    assert not isinstance(binaries, str)
    marker = tmp_path / "started"

    def hangs(gate: str) -> None:  # runs in the forked worker: start a server, then hang
        server = ThrowawayServer.start(binaries, Limits(), time.monotonic() + 60)
        marker.write_text(f"{server.root}\n{server.proc.pid if server.proc else 0}\n")
        time.sleep(600)

    budget = Budget(WatchdogLimits(gate_seconds=8, run_seconds=10), 1)
    (done,) = list(run_gates(["migrations"], hangs, budget=budget, memory=None, after_kill=_reap_replay_servers))
    assert done.error is not None and "time limit" in done.error.diagnostics()
    root_text, pid_text = marker.read_text().split()
    assert not Path(root_text).exists(), "the server's directory was not removed"
    pid = int(pid_text)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        raise AssertionError(f"the postmaster {pid} still runs")
