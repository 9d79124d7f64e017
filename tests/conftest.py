"""Shared fixtures. Network guard: tests may only connect to loopback."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"

_real_connect = socket.socket.connect


def _guarded_connect(self: socket.socket, address: object) -> object:
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, str) and self.family in (socket.AF_INET, socket.AF_INET6):
        if not (host.startswith("127.") or host in ("::1", "localhost")):
            raise OSError(f"test tried to reach {host!r}: only loopback is allowed in tests")
    return _real_connect(self, address)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    yield


@pytest.fixture(autouse=True)
def _docs_links_from_no_runner(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rule links point at the default docs unless a test sets where the action runs from."""
    for name in ("READINESS_DOCS_URL", "READINESS_RELEASE_DOCS_URL", "GITHUB_ACTION_REPOSITORY", "GITHUB_ACTION_REF"):
        monkeypatch.delenv(name, raising=False)


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or skip with the reason when shared/ is genuinely absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"../shared/{'/'.join(parts)} is not beside the repository")
    return path


# -- a real PostgreSQL (replay) ------------------------------------------------------------------

def require_or_skip(reason: str) -> None:
    """Skip with the reason where the server programs are genuinely absent; with REQUIRE_REPLAY_TESTS=1
    (CI sets it) that skip is a failure instead."""
    if os.environ.get("REQUIRE_REPLAY_TESTS") == "1":
        pytest.fail(f"REQUIRE_REPLAY_TESTS=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[object]:
    """One throwaway PostgreSQL server per test session, started here."""
    from readiness.replay import Limits
    from readiness.replay.server import ThrowawayServer, find_binaries

    binaries = find_binaries()
    if isinstance(binaries, str):
        require_or_skip(binaries)
        raise AssertionError("unreachable")
    with ThrowawayServer.start(binaries, Limits(), time.monotonic() + 60) as server:
        yield server


@pytest.fixture(scope="session")
def pg_url(pg_server: object) -> str:
    """The session server as a database-url (libpq key=value form): each replay gets its own
    database and role on it, as with a server the user gives."""
    info = pg_server.conninfo  # type: ignore[attr-defined]
    return " ".join(f"{k}={v}" for k, v in info.items() if k in ("host", "port", "user", "password", "dbname"))


@pytest.fixture(autouse=True)
def _replay_off_unless_asked(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """The migrations gate replays SQL migrations on a real server by default; the tests that are not
    about replay run without it (a server start per check would dominate the suite's time). Tests
    marked `replay` run with the runner's defaults."""
    if request.node.get_closest_marker("replay") is None:
        monkeypatch.setenv("READINESS_REPLAY", "off")
    else:
        monkeypatch.delenv("READINESS_REPLAY", raising=False)
    monkeypatch.delenv("READINESS_DATABASE_URL", raising=False)
