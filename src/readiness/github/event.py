"""What the workflow run is about: the event payload at GITHUB_EVENT_PATH and GITHUB_* variables."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

EVENT_MAX_BYTES = 25 * 1024 * 1024
PR_EVENTS = frozenset({"pull_request", "pull_request_target"})


@dataclass(frozen=True, slots=True, kw_only=True)
class PullRequest:
    """The pull request of a `pull_request` event."""

    number: int
    """PR number (the issue number for comments)."""
    head_sha: str
    """Head commit: links and the check run go there (GITHUB_SHA is the test merge commit)."""
    base_sha: str | None
    """Base commit the PR is compared with."""
    head_repo: str | None
    """`owner/name` of the head repository; differs from the base for fork PRs."""
    changed_files: int | None
    """Number of files the PR changes, as GitHub counts them."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ActionEvent:
    """The run's context."""

    name: str
    """GITHUB_EVENT_NAME, e.g. `pull_request` or `push`."""
    repository: str
    """GITHUB_REPOSITORY, `owner/name`."""
    sha: str | None
    """GITHUB_SHA."""
    server_url: str
    """GITHUB_SERVER_URL, for links."""
    api_url: str
    """GITHUB_API_URL."""
    pull_request: PullRequest | None
    """Set for pull_request events with a usable payload."""
    problem: str | None = None
    """Why the payload could not be read, when it could not."""

    @property
    def head_sha(self) -> str | None:
        """The commit the results are about."""
        return self.pull_request.head_sha if self.pull_request else self.sha

    @property
    def is_fork(self) -> bool:
        """True for a PR from another repository: the token is read-only there."""
        pr = self.pull_request
        return bool(pr and pr.head_repo and self.repository and pr.head_repo.lower() != self.repository.lower())


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def parse_pull_request(payload: Mapping[str, Any]) -> PullRequest | None:
    """The PR fields we use, or None when the payload has no usable `pull_request`."""
    pr = payload.get("pull_request")
    if not isinstance(pr, dict):
        return None
    number = _int(pr.get("number")) or _int(payload.get("number"))
    head = _dict(pr.get("head"))
    base = _dict(pr.get("base"))
    head_sha = _str(head.get("sha"))
    if number is None or number < 1 or head_sha is None:
        return None
    head_repo = _dict(head.get("repo"))
    return PullRequest(number=number, head_sha=head_sha, base_sha=_str(base.get("sha")),
                       head_repo=_str(head_repo.get("full_name")), changed_files=_int(pr.get("changed_files")))


def load_event(env: Mapping[str, str]) -> ActionEvent:
    """The event from the environment; a missing or unreadable payload is a `problem`, not an error."""
    name = env.get("GITHUB_EVENT_NAME", "")
    problem = None
    pr = None
    path = env.get("GITHUB_EVENT_PATH", "")
    if name in PR_EVENTS:
        if not path:
            problem = "GITHUB_EVENT_PATH is not set"
        else:
            try:
                p = Path(path)
                if p.stat().st_size > EVENT_MAX_BYTES:
                    raise ValueError("the event payload is over 25 MiB")
                payload = json.loads(p.read_text(encoding="utf-8"))
                if not isinstance(payload, dict):
                    raise ValueError("the event payload is not a JSON object")
                pr = parse_pull_request(payload)
                if pr is None:
                    problem = "the event payload has no pull_request number and head sha"
            except (OSError, ValueError) as exc:
                problem = f"cannot read the event payload {path}: {exc}"
            except RecursionError:
                problem = f"cannot read the event payload {path}: it nests too deeply"
    return ActionEvent(
        name=name,
        repository=env.get("GITHUB_REPOSITORY", ""),
        sha=env.get("GITHUB_SHA") or None,
        server_url=(env.get("GITHUB_SERVER_URL") or "https://github.com").rstrip("/"),
        api_url=(env.get("GITHUB_API_URL") or "https://api.github.com").rstrip("/"),
        pull_request=pr,
        problem=problem,
    )
