"""The check run on the PR's head commit, with line annotations.

GitHub accepts at most 50 annotations per request: the run is created with the first 50 and the
rest are appended with updates (PATCH appends annotations). `summary` and `text` are at most 65,535
characters, an annotation message at most 64 KB. Annotations are capped at 500 per run (11 writes):
GitHub shows the first ones in the PR anyway, and the summary lists everything. What the annotations
and the conclusion say is rendered in `readiness.render.annotations`; this module only sends them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from readiness.render.annotations import Annotation

if TYPE_CHECKING:
    from github.Repository import Repository

CHECK_NAME = "readiness-gates"
REQUIRED_EVENTS = frozenset({"merge_group"})
"""Events besides a pull request whose check run carries CHECK_NAME itself (a merge queue requires it)."""


def check_name(event_name: str, *, pull_request: bool) -> str:
    """The check run's name: `readiness-gates` for a pull request (judged by the base branch's policy)
    and a merge group; `readiness-gates (push)` and the like otherwise. A push to a PR's branch is
    judged by that branch's own `.readiness.yml` and reports on the same commit: with the plain name,
    its run (passing under a policy the PR relaxed) would satisfy a required `readiness-gates` check."""
    if pull_request or event_name in REQUIRED_EVENTS:
        return CHECK_NAME
    label = "".join(c for c in event_name if c.isalnum() or c in "_-")[:40] or "no pull request"
    return f"{CHECK_NAME} ({label})"


PER_REQUEST = 50
MAX_ANNOTATIONS = 500
TEXT_LIMIT = 65_535
_CUT = "\n\n_(cut to fit the check run's 65,535-character limit; the job summary has the rest)_"


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckRunOutcome:
    """What was created."""

    check_run_id: int
    """The run's id."""
    url: str | None
    """Its html_url."""
    annotations: int
    """Annotations sent."""
    requests: int
    """Write requests made (1 create + updates)."""
    left_out: int
    """Annotations not sent because of the cap."""


def payload(a: Annotation) -> dict[str, Any]:
    """One rendered annotation as the API's object (columns only when it has them)."""
    out: dict[str, Any] = {"path": a.path, "start_line": a.start_line, "end_line": a.end_line,
                           "annotation_level": a.level, "message": a.message, "title": a.title}
    if a.start_column is not None:
        out["start_column"] = a.start_column
        out["end_column"] = a.end_column if a.end_column is not None else a.start_column
    return out


def fit_text(text: str) -> str:
    """At most 65,535 characters."""
    if len(text) <= TEXT_LIMIT:
        return text
    return text[: TEXT_LIMIT - len(_CUT)] + _CUT


def create_check_run(repo: Repository, head_sha: str, *, title: str, summary: str, conclusion: str,
                     annotations: Sequence[Annotation], name: str = CHECK_NAME) -> CheckRunOutcome:
    """Create the completed check run, then append annotations in batches of 50 (at most 500)."""
    sent = [payload(a) for a in annotations[:MAX_ANNOTATIONS]]
    batches = [sent[i:i + PER_REQUEST] for i in range(0, len(sent), PER_REQUEST)] or [[]]
    output = {"title": title[:255], "summary": fit_text(summary)}
    run = repo.create_check_run(name=name, head_sha=head_sha, status="completed",
                                conclusion=conclusion, output={**output, "annotations": batches[0]})
    for batch in batches[1:]:
        run.edit(output={**output, "annotations": batch})
    return CheckRunOutcome(check_run_id=run.id, url=run.html_url, annotations=len(sent),
                           requests=len(batches), left_out=len(annotations) - len(sent))
