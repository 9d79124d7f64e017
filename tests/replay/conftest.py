"""The replay engine's tests run on the session's real PostgreSQL (`pg_server`, `pg_url`: tests/conftest.py)."""

from __future__ import annotations

import pytest
from replay_helpers import Run


@pytest.fixture()
def run(pg_url: str) -> Run:
    return Run(pg_url)
