"""Publishing the settled verdict: the sticky comment and the check run, within one time budget.

Nothing here changes the verdict or raises: every failure becomes a line of `PublishResult.not_posted`
(token redacted), which the action logs once. When the token cannot write (none, a fork PR, or a
403 "Resource not accessible by integration"), the caller falls back to workflow-command annotations
and the comment body it already wrote to a file.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from readiness.github.event import ActionEvent
from readiness.github.settings import ClientSettings, Deadline
from readiness.model import Report

if TYPE_CHECKING:
    from github import Github

COMMENT_MODES = ("always", "on-failure", "never")
FILES_CAP = 3_000


@dataclass(frozen=True, slots=True, kw_only=True)
class PublishRequest:
    """What to publish, already rendered."""

    event: ActionEvent
    """Repository, PR and head sha."""
    token: str
    """The token ('' when none). Never logged."""
    report: Report
    """The settled report (for annotations and the conclusion)."""
    comment_mode: str = "always"
    """always | on-failure | never."""
    check_run: bool = True
    """Create the check run."""
    comment_body: str = ""
    """The full comment (starts with the marker), within the 60,000-character budget."""
    minimal_body: str = ""
    """The fallback comment: per-gate counts, 'full report in the job summary'."""
    check_title: str = ""
    """Check-run output title."""
    check_summary: str = ""
    """Check-run output summary (cut to 65,535 characters)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PublishResult:
    """What was and was not published."""

    posted: tuple[str, ...] = ()
    """Human lines: what went to GitHub."""
    not_posted: tuple[str, ...] = ()
    """Human lines: what did not, and why (token-free)."""
    fallback_annotations: bool = False
    """True when the caller should emit workflow-command annotations instead of the check run."""
    seconds: float = 0.0
    """Time spent publishing."""
    comment_url: str | None = None
    """The comment's html_url, when known."""


def _is_forbidden(exc: BaseException) -> bool:
    from github import GithubException

    return isinstance(exc, GithubException) and exc.status in (401, 403, 404)


def publish(request: PublishRequest, settings: ClientSettings) -> PublishResult:
    """Post or edit the comment and create the check run; never raises for GitHub's sake."""
    start = time.monotonic()
    event, token = request.event, request.token
    posted: list[str] = []
    not_posted: list[str] = []
    want_comment = request.comment_mode != "never"
    pr = event.pull_request

    reason = None
    if not token:
        reason = "no GitHub token (input github-token and GITHUB_TOKEN are empty)"
    elif not event.repository:
        reason = "GITHUB_REPOSITORY is not set"
    elif event.is_fork:
        reason = (f"pull request from the fork {pr.head_repo if pr else ''}: its token is read-only "
                  "(use the comment-file output from a workflow_run workflow to post it)")
    if reason is not None:
        what = " and ".join(w for w, on in (("comment", want_comment), ("check run", request.check_run)) if on)
        if what:
            not_posted.append(f"{what}: {reason}")
        return PublishResult(not_posted=tuple(not_posted), fallback_annotations=request.check_run,
                             seconds=time.monotonic() - start)

    from readiness.github.client import describe, make_client

    deadline = Deadline(settings.budget)
    gh = make_client(token, settings, deadline)
    fallback = False
    comment_url = None
    try:
        repo = gh.get_repo(event.repository)
        if want_comment and pr is None:
            why = event.problem or f"a `{event.name or 'unknown'}` event has no pull request"
            not_posted.append(f"comment: {why}")
        elif want_comment and pr is not None:
            create = request.comment_mode == "always" or request.report.verdict == "fail"
            try:
                from readiness.github.comment import StickyComment

                sticky = StickyComment(repo.get_issue(pr.number), own_login=lambda: _own_login(gh))
                outcome = sticky.upsert(request.comment_body, request.minimal_body, create=create)
            except Exception as exc:  # any failure is reported, never raised: the verdict stands
                not_posted.append(f"comment: {describe(exc, token)}")
            else:
                comment_url = outcome.url
                if outcome.action == "skipped":
                    posted.append("comment: not posted (comment: on-failure and the verdict passes)")
                else:
                    extra = " (minimal body: the full one is too long)" if outcome.minimal else ""
                    dup = f", {outcome.deleted} duplicate(s) deleted" if outcome.deleted else ""
                    posted.append(f"comment {outcome.action}{extra}{dup}: {outcome.url or outcome.comment_id}")
        head = event.head_sha
        if request.check_run and head:
            if deadline.expired():
                not_posted.append(f"check run: the publishing time budget ({settings.budget:g} s) ran out")
                fallback = True
            else:
                try:
                    from readiness.github.check_run import create_check_run

                    run = create_check_run(repo, head, title=request.check_title, summary=request.check_summary,
                                           report=request.report)
                except Exception as exc:  # any failure is reported, never raised: the verdict stands
                    not_posted.append(f"check run: {describe(exc, token)}")
                    fallback = True
                else:
                    more = f" ({run.left_out} more not annotated)" if run.left_out else ""
                    where = run.url or run.check_run_id
                    posted.append(f"check run with {run.annotations} annotation(s){more}: {where}")
        elif request.check_run:
            not_posted.append("check run: no commit sha (GITHUB_SHA is not set)")
    finally:
        gh.close()
    return PublishResult(posted=tuple(posted), not_posted=tuple(not_posted), fallback_annotations=fallback,
                         seconds=time.monotonic() - start, comment_url=comment_url)


def _own_login(gh: Github) -> str | None:
    """The token's login when `GET /user` answers (personal tokens); None for app tokens."""
    try:
        login: object = gh.get_user().login
    except Exception:  # 403 for GITHUB_TOKEN: there is no user behind an app token
        return None
    return login if isinstance(login, str) else None


@dataclass(frozen=True, slots=True, kw_only=True)
class PrFiles:
    """The PR's files from the API."""

    files: frozenset[str]
    """Added, modified, renamed (new name), copied or changed."""
    deleted: frozenset[str]
    """Removed, and the old names of renamed files."""


def pr_files(token: str, repository: str, number: int, settings: ClientSettings) -> PrFiles:
    """`GET /pulls/{n}/files`, every page, at most 3,000 files (GitHub's cap). Raises on failure."""
    from readiness.github.client import make_client

    gh = make_client(token, settings, Deadline(settings.budget))
    try:
        files: set[str] = set()
        deleted: set[str] = set()
        for count, f in enumerate(gh.get_repo(repository).get_pull(number).get_files(), start=1):
            if count > FILES_CAP:
                break
            if f.status == "removed":
                deleted.add(f.filename)
            else:
                files.add(f.filename)
                if f.status == "renamed" and f.previous_filename:
                    deleted.add(f.previous_filename)
        return PrFiles(files=frozenset(files), deleted=frozenset(deleted))
    finally:
        gh.close()
