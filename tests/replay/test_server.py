"""The throwaway server: found, private, and always stopped and removed; and the skip paths."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from replay_helpers import mig

from readiness.replay import Limits, Replayed, Skipped, replay
from readiness.replay import server as srv
from readiness.replay.server import ThrowawayServer, find_binaries

REPO = Path(__file__).resolve().parents[2]


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"


def _wait_gone(pid: int, seconds: float = 10) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if _gone(pid):
            return True
        time.sleep(0.05)
    return False


def test_the_server_is_private_has_no_tcp_listener_and_is_removed(pg_server: ThrowawayServer) -> None:
    binaries = find_binaries()
    assert not isinstance(binaries, str)
    with ThrowawayServer.start(binaries, Limits(), time.monotonic() + 60) as server:
        import psycopg

        sock = server.root / "sock"
        assert stat.S_IMODE(sock.stat().st_mode) == 0o700
        with psycopg.connect(**server.conninfo, autocommit=True) as conn:
            assert conn.execute("SHOW listen_addresses").fetchone() == ("",)
            assert conn.execute("SHOW fsync").fetchone() == ("off",)
            data_owner = (server.root / "data").stat().st_uid
            if os.geteuid() == 0:
                assert data_owner != 0  # the server runs as an unprivileged user
        assert server.proc is not None
        pid = server.proc.pid
    assert not server.root.exists()
    assert _wait_gone(pid)


def test_password_auth_is_required_on_the_socket(pg_server: ThrowawayServer) -> None:
    import psycopg

    info = dict(pg_server.conninfo, password="wrong")
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(**info)


_CHILD = """
import json, sys, time
from readiness.replay.model import Limits
from readiness.replay.server import ThrowawayServer, find_binaries
server = ThrowawayServer.start(find_binaries(), Limits(), time.monotonic() + 60)
print(json.dumps({"root": str(server.root), "pid": server.proc.pid}), flush=True)
time.sleep(120)
"""


def _child() -> tuple[subprocess.Popen[str], dict[str, object]]:
    proc = subprocess.Popen([sys.executable, "-c", _CHILD], stdout=subprocess.PIPE, text=True, cwd=REPO)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    proc.stdout.close()
    assert line, "the child did not start a server"
    return proc, json.loads(line)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_and_removes_the_server(pg_server: ThrowawayServer, sig: signal.Signals) -> None:
    proc, info = _child()
    proc.send_signal(sig)
    proc.wait(timeout=30)
    assert _wait_gone(int(str(info["pid"])))
    assert not Path(str(info["root"])).exists()


def test_a_server_orphaned_by_sigkill_is_reaped_by_the_next_start(pg_server: ThrowawayServer) -> None:
    proc, info = _child()
    proc.kill()
    proc.wait(timeout=30)
    root, pid = Path(str(info["root"])), int(str(info["pid"]))
    assert root.exists() and not _gone(pid)
    assert srv.reap_stale() >= 1
    assert _wait_gone(pid)
    assert not root.exists()


def test_replay_starts_its_own_throwaway_server_by_default(pg_server: ThrowawayServer,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[ThrowawayServer] = []
    real_start = ThrowawayServer.start.__func__  # type: ignore[attr-defined]

    def start(cls: type[ThrowawayServer], *args: object) -> ThrowawayServer:
        server: ThrowawayServer = real_start(cls, *args)
        started.append(server)
        return server

    monkeypatch.setattr(ThrowawayServer, "start", classmethod(start))
    result = replay([mig("1", "CREATE TABLE t (id int)")], [mig("2", "ALTER TABLE t ADD COLUMN a int")])
    assert isinstance(result, Replayed), result
    assert result.server == "throwaway"
    assert result.migrations[0].applies
    assert result.start_ms > 0 and result.total_ms >= result.start_ms
    # its own directory is gone (other runs on the machine may hold servers of their own)
    assert len(started) == 1 and not Path(started[0].root).exists()


def test_no_server_programs_is_a_skip_with_the_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(srv, "_candidate_dirs", lambda: [])
    assert isinstance(find_binaries(), str)
    result = replay([], [mig("1", "SELECT 1")])
    assert isinstance(result, Skipped)
    assert "postgresql" in result.reason and "database-url" in result.reason


def test_a_bad_or_unreachable_database_url_is_a_skip(tmp_path: Path) -> None:
    bad = replay([], [mig("1", "SELECT 1")], database_url="postgresql://[::1")
    assert isinstance(bad, Skipped) and "database-url" in bad.reason
    unreachable = replay([], [mig("1", "SELECT 1")], database_url=f"host={tmp_path} user=x dbname=y",
                         limits=Limits(budget_s=20))
    assert isinstance(unreachable, Skipped) and "cannot connect" in unreachable.reason


def test_a_database_url_role_without_createdb_is_a_skip_and_the_sandbox_is_dropped(pg_url: str) -> None:
    import psycopg

    info = dict(part.split("=", 1) for part in pg_url.split())
    with psycopg.connect(pg_url, autocommit=True) as admin:
        admin.execute("DROP ROLE IF EXISTS weak")
        admin.execute("CREATE ROLE weak LOGIN PASSWORD 'weak-pw'")
        try:
            weak_url = " ".join(f"{k}={v}" for k, v in {**info, "user": "weak", "password": "weak-pw"}.items())
            result = replay([], [mig("1", "SELECT 1")], database_url=weak_url)
            assert isinstance(result, Skipped) and "CREATEDB and CREATEROLE" in result.reason
        finally:
            admin.execute("DROP ROLE weak")
        def sandboxes() -> tuple[object, ...]:
            dbs = admin.execute("SELECT count(*) FROM pg_database WHERE datname LIKE 'app\\_%'").fetchone()
            roles = admin.execute("SELECT count(*) FROM pg_roles WHERE rolname LIKE 'app\\_%'").fetchone()
            return (dbs, roles)

        before = sandboxes()
        ok = replay([], [mig("1", "CREATE TABLE x (id int)")], database_url=pg_url)
        assert isinstance(ok, Replayed)
        assert sandboxes() == before
