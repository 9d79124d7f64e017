"""The `workflow_run` half of the fork pattern: which commit and pull request a report is about.

A `pull_request` run from a fork (or from Dependabot) has a read-only token; it uploads its JSON report
as an artifact, and a `workflow_run` run of the base repository, which has a write token, publishes
it. The artifact is the fork's to forge, so what it is about comes from here, never from it: the head
commit is `workflow_run.head_sha` of the event GitHub delivered, and the pull request is the one in
`workflow_run.pull_requests` with that head; for a fork that list is empty, and the open pull request
is looked up by the head repository's owner and branch, keeping only one whose head is that commit.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from readiness import lazyre
from readiness.github.event import EVENT_MAX_BYTES
from readiness.github.settings import ClientSettings, Deadline

SHA_RE = lazyre.compile(r"^[0-9a-f]{40}$")
_BRANCH_RE = lazyre.compile(r"^[^\x00-\x20\x7f~^:?*\[\\]{1,255}$")
_OWNER_RE = lazyre.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?$")


class WorkflowRunError(ValueError):
    """The run is not a usable `workflow_run` event; the message says why."""


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkflowRun:
    """The fields of a `workflow_run` event the publisher trusts."""

    head_sha: str
    """The commit the triggering run checked (40 hex digits)."""
    event: str
    """The triggering run's event, e.g. `pull_request`."""
    pull_number: int | None
    """The PR into this repository from `workflow_run.pull_requests` whose head is `head_sha` (None for
    forks: GitHub lists only pull requests of the base repository's own branches)."""
    head_owner: str | None
    """Owner of the head repository (the fork), for the lookup by branch."""
    head_branch: str | None
    """The triggering run's branch."""
    head_repo: str | None
    """`owner/name` of the head repository."""


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _base_is(pr: dict[str, Any], repository: str) -> bool:
    """True when the listed PR is into `repository` (its base repo's API URL ends in /repos/owner/name):
    GitHub also lists PRs from this repository's branches into other repositories."""
    url = _str(_dict(_dict(pr.get("base")).get("repo")).get("url"))
    return bool(url and repository and url.lower().endswith("/repos/" + repository.lower()))


def parse_workflow_run(payload: Mapping[str, Any], repository: str) -> WorkflowRun:
    """The trusted fields of a `workflow_run` payload of `repository` (`owner/name`); WorkflowRunError
    when they are not there."""
    run = payload.get("workflow_run")
    if not isinstance(run, dict):
        raise WorkflowRunError("the event payload has no workflow_run")
    head_sha = _str(run.get("head_sha"))
    if head_sha is None or not SHA_RE.match(head_sha):
        raise WorkflowRunError("the event's workflow_run has no head_sha of 40 hex digits")
    number = None
    prs = run.get("pull_requests")
    for pr in prs if isinstance(prs, list) else []:
        pr = _dict(pr)
        n = pr.get("number")
        if (_dict(pr.get("head")).get("sha") == head_sha and _base_is(pr, repository)
                and isinstance(n, int) and not isinstance(n, bool) and n > 0):
            number = n
            break
    head_repo = _dict(run.get("head_repository"))
    owner = _str(_dict(head_repo.get("owner")).get("login"))
    branch = _str(run.get("head_branch"))
    return WorkflowRun(head_sha=head_sha, event=_str(run.get("event")) or "", pull_number=number,
                       head_owner=owner if owner and _OWNER_RE.match(owner) else None,
                       head_branch=branch if branch and _BRANCH_RE.match(branch) else None,
                       head_repo=_str(head_repo.get("full_name")))


def load_workflow_run(env: Mapping[str, str]) -> WorkflowRun:
    """The `workflow_run` event of this job (GITHUB_EVENT_NAME and GITHUB_EVENT_PATH)."""
    name = env.get("GITHUB_EVENT_NAME", "")
    if name != "workflow_run":
        raise WorkflowRunError(f"publishing a report needs a workflow_run event (this job's event is "
                               f"{name or 'not set'}): the commit and the pull request come from it, never "
                               "from the report")
    path = env.get("GITHUB_EVENT_PATH", "")
    if not path:
        raise WorkflowRunError("GITHUB_EVENT_PATH is not set")
    try:
        p = Path(path)
        if p.stat().st_size > EVENT_MAX_BYTES:
            raise WorkflowRunError("the event payload is over 25 MiB")
        payload = json.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise WorkflowRunError(f"cannot read the event payload: {exc.strerror}") from None
    except RecursionError:
        raise WorkflowRunError("cannot read the event payload: it nests too deeply") from None
    except ValueError:
        raise WorkflowRunError("cannot read the event payload: it is not JSON") from None
    if not isinstance(payload, dict):
        raise WorkflowRunError("the event payload is not a JSON object")
    return parse_workflow_run(payload, env.get("GITHUB_REPOSITORY", ""))


def find_pull_request(token: str, repository: str, run: WorkflowRun, settings: ClientSettings) -> int | None:
    """The open pull request into `repository` whose head is `run.head_sha`, looked up by the head
    repository's owner and branch (`GET /pulls?head=owner:branch`); None when there is none.
    Raises on API failure."""
    if run.head_owner is None or run.head_branch is None:
        return None
    from readiness.github.client import make_client
    from readiness.github.wallclock import wall_clock

    gh = make_client(token, settings, Deadline(min(settings.budget, settings.files_budget)))
    try:
        with wall_clock(settings.files_budget, "looking up the pull request"):
            pulls = gh.get_repo(repository).get_pulls(state="open", head=f"{run.head_owner}:{run.head_branch}")
            for count, pr in enumerate(pulls, start=1):
                if count > 100:
                    break
                # attributes, not raw_data: that would fetch each PR again to "complete" it
                number = pr.number
                if pr.head.sha == run.head_sha and number > 0:
                    return number
        return None
    finally:
        gh.close()
