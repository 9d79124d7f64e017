"""The PyGithub client: base URL, retries with a bounded total time, throttling, token redaction.

Retry policy (DESIGN "GitHub API faults"): every method is retried, PATCH and DELETE included
(PyGithub's default skips PATCH); 5xx, 403 and 429 are retried; a `Retry-After` header is honoured;
a 429 without `Retry-After` (which PyGithub would raise at once) is retried with exponential backoff;
403 bodies that are not rate limits ("Resource not accessible by integration") fail at once.
Connection errors and read timeouts are retried too. Every wait is checked against one deadline
for the whole publishing step: a retry whose wait would cross it is not attempted, so publishing
takes at most `budget` seconds plus one request `timeout`.

Throttling: PyGithub waits 0.25 s between any two requests and 1 s between writes by default. We
make few requests (typically 2 reads and 2-3 writes per run, at most ~15 writes with 500
annotations), so reads are not throttled and writes are spaced `write_interval` = 0.5 s apart: half
GitHub's advice of 1 s, and far under its 80 content-creations per minute, for ~1 s of waiting in a
typical run instead of ~3 s.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self

from github.Requester import HTTPRequestsConnectionClass, HTTPSRequestsConnectionClass, Requester, RequestsResponse
from urllib3.connectionpool import ConnectionPool
from urllib3.exceptions import MaxRetryError
from urllib3.response import BaseHTTPResponse

from github import Auth, Github, GithubRetry
from readiness.github.settings import ClientSettings, Deadline
from readiness.github.token import redact
from readiness.github.wallclock import wall_clock

RETRY_METHODS = frozenset({"GET", "HEAD", "POST", "PATCH", "PUT", "DELETE"})
RETRY_STATUSES = (*range(500, 600), 429)  # GithubRetry adds 403 (rate limits only)


class BudgetExhausted(Exception):
    """The publishing time budget ran out before a retry could be attempted."""


class BoundedRetry(GithubRetry):
    """GithubRetry for every method, 429 included, that never waits past the deadline."""

    def __init__(self, deadline: Deadline | None = None, **kwargs: Any) -> None:
        self.deadline = deadline
        super().__init__(**kwargs)

    def new(self, **kw: Any) -> Self:
        result = super().new(**kw)
        result.deadline = self.deadline
        return result

    def increment(  # type: ignore[override]
        self,
        method: str | None = None,
        url: str | None = None,
        response: BaseHTTPResponse | None = None,
        error: Exception | None = None,
        _pool: ConnectionPool | None = None,
        _stacktrace: TracebackType | None = None,
    ) -> GithubRetry:
        new = super().increment(method, url, response, error, _pool, _stacktrace)  # type: ignore[arg-type]
        if self.deadline is not None:
            wait = None
            if response is not None and self.respect_retry_after_header:
                wait = new.get_retry_after(response)
            if wait is None:
                wait = new.get_backoff_time()
            if wait >= self.deadline.remaining():
                raise MaxRetryError(_pool, url or "", BudgetExhausted(  # type: ignore[arg-type]
                    f"publishing time budget of {self.deadline.seconds:g} s exhausted"))
        return new  # type: ignore[return-value]


def make_retry(settings: ClientSettings, deadline: Deadline | None) -> BoundedRetry:
    """The retry policy described in the module docstring."""
    return BoundedRetry(
        deadline=deadline,
        total=settings.retries,
        backoff_factor=settings.backoff,
        backoff_max=settings.backoff_max,
        status_forcelist=list(RETRY_STATUSES),
        allowed_methods=RETRY_METHODS,
        raise_on_status=False,  # the last answer reaches PyGithub, which raises GithubException(status)
        respect_retry_after_header=True,
        secondary_rate_wait=settings.secondary_rate_wait,
        max_rate_limit_wait=settings.budget,
    )


class _BoundedHTTP(HTTPRequestsConnectionClass):
    """PyGithub's connection, with each API call (retries included) bounded by wall clock."""

    budget = 30.0

    def getresponse(self) -> RequestsResponse:
        with wall_clock(self.budget, f"a GitHub request ({self.verb} {self.url.split('?')[0]})"):
            return super().getresponse()


class _BoundedHTTPS(HTTPSRequestsConnectionClass):
    """As `_BoundedHTTP`, over TLS."""

    budget = 30.0

    def getresponse(self) -> RequestsResponse:
        with wall_clock(self.budget, f"a GitHub request ({self.verb} {self.url.split('?')[0]})"):
            return super().getresponse()


def make_client(token: str, settings: ClientSettings, deadline: Deadline | None = None) -> Github:
    """A lazy PyGithub client (no request until an attribute is needed)."""
    _BoundedHTTP.budget = _BoundedHTTPS.budget = settings.request_budget
    Requester.injectConnectionClasses(_BoundedHTTP, _BoundedHTTPS)
    return Github(
        base_url=settings.api_url,
        auth=Auth.Token(token),
        timeout=settings.timeout,
        per_page=settings.per_page,
        retry=make_retry(settings, deadline),
        seconds_between_requests=None,
        seconds_between_writes=settings.write_interval or None,
        lazy=True,
        user_agent="readiness-gates",
    )


def describe(exc: BaseException, *secrets: str) -> str:
    """A one-line, token-free explanation of a publishing failure."""
    from github import GithubException

    if isinstance(exc, GithubException):
        message = ""
        data = exc.data
        if isinstance(data, dict):
            message = str(data.get("message") or "")
            errors = data.get("errors")
            if isinstance(errors, list) and errors and isinstance(errors[0], dict):
                message += f" ({errors[0].get('message') or errors[0].get('code') or ''})"
        elif data:
            message = str(data)[:200]
        text = f"HTTP {exc.status}" + (f" {message.strip()}" if message.strip() else "")
        if exc.status == 403 and "not accessible by integration" in message.lower():
            text += " (the token is read-only here: fork or Dependabot PR, or missing permissions)"
    else:
        reason: BaseException = exc
        seen = 0
        while seen < 5 and isinstance(reason.__context__ or reason.__cause__, BaseException):
            if isinstance(reason, MaxRetryError) and isinstance(reason.reason, BudgetExhausted):
                break
            reason = reason.__cause__ or reason.__context__  # type: ignore[assignment]
            seen += 1
        if isinstance(reason, MaxRetryError) and reason.reason is not None:
            reason = reason.reason
        text = f"{type(reason).__name__}: {reason}" if str(reason) else type(reason).__name__
    return redact(" ".join(text.split()), *secrets)[:300]  # redacted first: a cut never leaves part of a token
