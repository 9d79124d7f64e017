"""The check run on the PR's head commit, with line annotations.

GitHub accepts at most 50 annotations per request: the run is created with the first 50 and the
rest are appended with updates (PATCH appends annotations). `summary` and `text` are at most 65,535
characters, an annotation message at most 64 KB. Annotations are capped at 500 per run (11 writes):
GitHub shows the first ones in the PR anyway, and the summary lists everything.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from readiness.model import Finding, Report, Severity

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
MESSAGE_LIMIT = 4_000
"""Characters per annotation message: far under GitHub's 64 KB, still a whole explanation."""
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


def annotation_level(severity: Severity) -> str:
    """failure for critical/high, warning for medium, notice for low/info."""
    if severity.rank >= Severity.HIGH.rank:
        return "failure"
    if severity is Severity.MEDIUM:
        return "warning"
    return "notice"


def conclusion(report: Report) -> str:
    """failure when the verdict fails; neutral when it passes but a gate could not run (on_error
    warn) or nothing would ever fail (`fail-on: never` with findings); success otherwise."""
    if report.verdict == "fail":
        return "failure"
    errored = any(g.status.value == "error" for g in report.gates)
    unwaived = any(not f.waived for f in report.findings)
    if errored or (report.fail_on.value == "never" and unwaived):
        return "neutral"
    return "success"


def annotation(f: Finding) -> dict[str, Any]:
    """One finding as a check-run annotation (columns only on a single line, as the API requires)."""
    loc = f.location
    start = loc.line if loc.line and loc.line > 0 else 1
    end = loc.end_line if loc.end_line and loc.end_line >= start else start
    message = f.message if not f.fix else f"{f.message}\n\nFix: {f.fix}"
    out: dict[str, Any] = {
        "path": loc.path,
        "start_line": start,
        "end_line": end,
        "annotation_level": annotation_level(f.severity),
        "message": message[:MESSAGE_LIMIT],
        "title": f"{f.rule} ({f.severity.value})"[:255],
    }
    if start == end and loc.line and loc.column and loc.column > 0:
        out["start_column"] = loc.column
        end_col = loc.end_column if loc.end_column and loc.end_column >= loc.column else loc.column
        out["end_column"] = end_col
    return out


def annotations_for(report: Report) -> list[dict[str, Any]]:
    """Annotations for the unwaived findings: blocking and introduced first, then by severity."""
    blocking = {id(f) for f in report.blocking}
    ordered = sorted((f for f in report.findings if not f.waived),
                     key=lambda f: (id(f) not in blocking, not f.introduced, -f.severity.rank))
    return [annotation(f) for f in ordered]


def fit_text(text: str) -> str:
    """At most 65,535 characters."""
    if len(text) <= TEXT_LIMIT:
        return text
    return text[: TEXT_LIMIT - len(_CUT)] + _CUT


def create_check_run(repo: Repository, head_sha: str, *, title: str, summary: str,
                     report: Report, name: str = CHECK_NAME) -> CheckRunOutcome:
    """Create the completed check run, then append annotations in batches of 50."""
    every = annotations_for(report)
    sent = every[:MAX_ANNOTATIONS]
    batches = [sent[i:i + PER_REQUEST] for i in range(0, len(sent), PER_REQUEST)] or [[]]
    output = {"title": title[:255], "summary": fit_text(summary)}
    run = repo.create_check_run(name=name, head_sha=head_sha, status="completed",
                                conclusion=conclusion(report), output={**output, "annotations": batches[0]})
    for batch in batches[1:]:
        run.edit(output={**output, "annotations": batch})
    return CheckRunOutcome(check_run_id=run.id, url=run.html_url, annotations=len(sent),
                           requests=len(batches), left_out=len(every) - len(sent))
