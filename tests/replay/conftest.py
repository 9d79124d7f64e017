"""A real PostgreSQL for the replay tests: one throwaway server per session, started here.

Where the server programs are genuinely absent the tests skip with the reason; with
REQUIRE_REPLAY_TESTS=1 (CI sets it) that skip is a failure instead.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest
from replay_helpers import Run

from readiness.replay import Limits
from readiness.replay.server import ThrowawayServer, find_binaries


def _require_or_skip(reason: str) -> None:
    if os.environ.get("REQUIRE_REPLAY_TESTS") == "1":
        pytest.fail(f"REQUIRE_REPLAY_TESTS=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[ThrowawayServer]:
    binaries = find_binaries()
    if isinstance(binaries, str):
        _require_or_skip(binaries)
        raise AssertionError("unreachable")
    with ThrowawayServer.start(binaries, Limits(), time.monotonic() + 60) as server:
        yield server


@pytest.fixture(scope="session")
def pg_url(pg_server: ThrowawayServer) -> str:
    """The session server as a database-url (libpq key=value form): each replay gets its own
    database and role on it, as with a server the user gives."""
    info = pg_server.conninfo
    return " ".join(f"{k}={v}" for k, v in info.items() if k in ("host", "port", "user", "password", "dbname"))


@pytest.fixture()
def run(pg_url: str) -> Run:
    return Run(pg_url)
