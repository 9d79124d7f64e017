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
from readiness.render.annotations import Annotation

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
    """The settled report (its verdict decides whether `comment: on-failure` posts)."""
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
    check_conclusion: str
    """success | failure | neutral (`readiness.render.annotations.check_conclusion`)."""
    annotations: tuple[Annotation, ...]
    """The check run's line annotations, rendered (`render.annotations.render_annotations`, CHECK_RUN)."""


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
                  "(publish its report from a workflow_run job: readiness publish, README \"Fork pull requests\")")
    if reason is not None:
        what = " and ".join(w for w, on in (("comment", want_comment), ("check run", request.check_run)) if on)
        if what:
            not_posted.append(f"{what}: {reason}")
        return PublishResult(not_posted=tuple(not_posted), fallback_annotations=request.check_run,
                             seconds=time.monotonic() - start)

    from readiness.github.client import describe, make_client
    from readiness.github.wallclock import WallClockExceeded, wall_clock

    deadline = Deadline(settings.budget)
    gh = make_client(token, settings, deadline)
    state = _State()
    try:
        # the whole phase, by wall clock: the retry budget plus one request's timeout (what we document)
        with wall_clock(settings.budget + settings.timeout, "publishing to GitHub"):
            _publish(request, settings, gh, deadline, posted, not_posted, state)
    except WallClockExceeded as exc:
        not_posted.append(f"{exc} and was stopped")
        state.fallback = request.check_run and not state.check_done
    except Exception as exc:  # noqa: BLE001 - any failure is reported, never raised: the verdict stands
        not_posted.append(f"GitHub: {describe(exc, token)}")
        state.fallback = request.check_run and not state.check_done
    finally:
        gh.close()
    return PublishResult(posted=tuple(posted), not_posted=tuple(not_posted), fallback_annotations=state.fallback,
                         seconds=time.monotonic() - start, comment_url=state.comment_url)


@dataclass(slots=True)
class _State:
    """What publishing achieved so far (read even when the phase is cut short)."""

    comment_url: str | None = None
    check_done: bool = False
    fallback: bool = False


def _publish(request: PublishRequest, settings: ClientSettings, gh: Github, deadline: Deadline,
             posted: list[str], not_posted: list[str], state: _State) -> None:
    """The comment, then the check run."""
    from readiness.github.client import describe

    event, token, pr = request.event, request.token, request.event.pull_request
    want_comment = request.comment_mode != "never"
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
            state.comment_url = outcome.url
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
            state.fallback = True
        else:
            try:
                from readiness.github.check_run import check_name, create_check_run

                run = create_check_run(repo, head, title=request.check_title, summary=request.check_summary,
                                       conclusion=request.check_conclusion, annotations=request.annotations,
                                       name=check_name(event.name, pull_request=event.pull_request is not None))
            except Exception as exc:  # any failure is reported, never raised: the verdict stands
                not_posted.append(f"check run: {describe(exc, token)}")
                state.fallback = True
            else:
                state.check_done = True
                more = f" ({run.left_out} more not annotated)" if run.left_out else ""
                where = run.url or run.check_run_id
                posted.append(f"check run with {run.annotations} annotation(s){more}: {where}")
    elif request.check_run:
        not_posted.append("check run: no commit sha (GITHUB_SHA is not set)")


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
    from readiness.github.wallclock import wall_clock

    gh = make_client(token, settings, Deadline(min(settings.budget, settings.files_budget)))
    try:
        files: set[str] = set()
        deleted: set[str] = set()
        with wall_clock(settings.files_budget, "listing the PR's files"):
            for count, f in enumerate(gh.get_repo(repository).get_pull(number).get_files(), start=1):
                if count > FILES_CAP:
                    break
                name = _filename(f.raw_data.get("filename"))
                if name is None:
                    raise ValueError("GitHub listed a changed file without a usable filename")
                if f.raw_data.get("status") == "removed":
                    deleted.add(name)
                else:
                    files.add(name)
                    previous = _filename(f.raw_data.get("previous_filename"))
                    if f.raw_data.get("status") == "renamed" and previous:
                        deleted.add(previous)
        return PrFiles(files=frozenset(files), deleted=frozenset(deleted))
    finally:
        gh.close()


def _filename(value: object) -> str | None:
    """A repository path from the API, or None when it is not one (missing, not a string, absolute,
    climbing out, a NUL byte)."""
    if not isinstance(value, str) or not value or "\0" in value or value.startswith("/"):
        return None
    if any(part in ("..", "") for part in value.split("/")):
        return None
    return value
