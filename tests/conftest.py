"""Shared fixtures. Network guard: tests may only connect to loopback."""

from __future__ import annotations

import socket
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
