"""Publishing settings and the time budget; no PyGithub import (a run without a token never loads it)."""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_API_URL = "https://api.github.com"


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientSettings:
    """How the publisher talks to GitHub. Environment overrides exist for tests and slow GHES."""

    api_url: str = DEFAULT_API_URL
    """REST root: `GITHUB_API_URL` (GHES: https://HOST/api/v3)."""
    timeout: int = 15
    """Seconds per request (connect and read)."""
    budget: float = 60.0
    """Seconds for the whole publishing step; env READINESS_PUBLISH_BUDGET."""
    retries: int = 6
    """Retries per request at most; env READINESS_PUBLISH_RETRIES."""
    backoff: float = 0.5
    """Exponential backoff factor: waits 0, 1, 2, 4, 8, 10 s; env READINESS_PUBLISH_BACKOFF."""
    backoff_max: float = 10.0
    """Longest backoff wait between two tries (Retry-After may ask for more, within the budget)."""
    secondary_rate_wait: float = 60.0
    """Wait for a secondary rate limit without Retry-After (GitHub: at least a minute)."""
    write_interval: float = 0.5
    """Seconds between two writes (PyGithub `seconds_between_writes`); env READINESS_WRITE_INTERVAL."""
    per_page: int = 100
    """Page size for lists."""
    request_budget: float = 30.0
    """Wall-clock seconds for one API call, its retries included (a response that trickles bytes ends
    here, however slowly it keeps the socket busy); env READINESS_REQUEST_BUDGET."""
    files_budget: float = 30.0
    """Wall-clock seconds for listing the PR's files before the run (then: judge everything);
    env READINESS_FILES_BUDGET."""

    @classmethod
    def from_env(cls, env: Mapping[str, str], api_url: str) -> ClientSettings:
        """Defaults, overridden by READINESS_PUBLISH_* variables when they parse."""
        return cls(
            api_url=(api_url or DEFAULT_API_URL).rstrip("/"),
            timeout=int(_num(env, "READINESS_GITHUB_TIMEOUT", 15)),
            budget=_num(env, "READINESS_PUBLISH_BUDGET", 60.0),
            retries=int(_num(env, "READINESS_PUBLISH_RETRIES", 6)),
            backoff=_num(env, "READINESS_PUBLISH_BACKOFF", 0.5),
            secondary_rate_wait=_num(env, "READINESS_SECONDARY_RATE_WAIT", 60.0),
            write_interval=_num(env, "READINESS_WRITE_INTERVAL", 0.5),
            request_budget=_num(env, "READINESS_REQUEST_BUDGET", 30.0),
            files_budget=_num(env, "READINESS_FILES_BUDGET", 30.0),
        )


def _num(env: Mapping[str, str], name: str, default: float) -> float:
    try:
        value = float(env.get(name, ""))
    except ValueError:
        return default
    return value if math.isfinite(value) and 0 <= value <= MAX_SECONDS else default


MAX_SECONDS = 3600.0
"""No setting may ask for more than an hour (a larger value is ignored, as a malformed one is)."""


class Deadline:
    """The end of the publishing time budget (monotonic clock)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def remaining(self) -> float:
        """Seconds left, never negative."""
        return max(self.end - time.monotonic(), 0.0)

    def expired(self) -> bool:
        """True when no time is left."""
        return self.remaining() <= 0.0
