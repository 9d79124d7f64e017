"""Line annotations, rendered: level, title and message per finding, one severity->level table per target.

Two targets show annotations on the PR's lines: the check run (`annotation_level` notice|warning|failure)
and, as the fallback when no check run can be made, workflow commands (`::error|warning|notice`). Both get
the same findings, in the same order, as `Annotation` values; `readiness.github` only batches and escapes
them. A reviewer's attention goes to what the PR does: only findings that block, or that the PR
introduces, are annotated (a pre-existing finding in a file the PR touches nothing near is in the
summary, not on the diff); waived and baselined findings never are.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from readiness.model import Finding, Report, Severity, is_blocking


class Target(enum.Enum):
    """Where annotations go."""

    CHECK_RUN = "check-run"
    WORKFLOW_COMMAND = "workflow-command"


LEVELS: dict[Target, dict[Severity, str]] = {
    Target.CHECK_RUN: {Severity.CRITICAL: "failure", Severity.HIGH: "failure", Severity.MEDIUM: "warning",
                       Severity.LOW: "notice", Severity.INFO: "notice"},
    Target.WORKFLOW_COMMAND: {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning",
                              Severity.LOW: "notice", Severity.INFO: "notice"},
}
"""Severity -> level, per target (GitHub's check-run API and the runner's workflow commands)."""
MESSAGE_LIMIT: dict[Target, int] = {Target.CHECK_RUN: 4_000, Target.WORKFLOW_COMMAND: 4_000}
"""Characters per message: far under the check run's 64 KB, still a whole explanation."""
TITLE_LIMIT = 255
"""Characters per title (the check-run API's limit)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Annotation:
    """One finding as a line annotation, ready to send."""

    path: str
    """Repository-relative path."""
    start_line: int
    """First line (1 for a whole-file finding: annotations need a line)."""
    end_line: int
    """Last line, at least `start_line`."""
    start_column: int | None
    """First column, only when the annotation is on one line (the API requires it)."""
    end_column: int | None
    """Last column, with `start_column`."""
    level: str
    """The target's level: notice|warning|failure (check run) or notice|warning|error (commands)."""
    title: str
    """`<rule> (<severity>)`, at most 255 characters."""
    message: str
    """What is wrong, then the fix; within the target's limit."""
    blocking: bool
    """True when the finding blocks the merge."""


def render_annotations(report: Report, target: Target) -> tuple[Annotation, ...]:
    """The annotations of `report` for `target`: unwaived findings that block or that the PR introduces,
    blocking first, then the introduced ones, each by severity."""
    levels = LEVELS[target]
    chosen: list[tuple[bool, Finding]] = []
    for f in report.findings:
        if f.waived:
            continue
        blocks = is_blocking(f, report.fail_on, f.gate in report.scope_all_gates)
        if blocks or f.introduced:
            chosen.append((blocks, f))
    chosen.sort(key=lambda bf: (not bf[0], not bf[1].introduced, -bf[1].severity.rank))
    return tuple(_annotation(f, blocks, levels[f.severity], target) for blocks, f in chosen)


def _annotation(f: Finding, blocks: bool, level: str, target: Target) -> Annotation:
    loc = f.location
    start = loc.line if loc.line and loc.line > 0 else 1
    end = loc.end_line if loc.end_line and loc.end_line >= start else start
    start_col = end_col = None
    if start == end and loc.line and loc.column and loc.column > 0:
        start_col = loc.column
        end_col = loc.end_column if loc.end_column and loc.end_column >= loc.column else loc.column
    sep = "\n\n" if target is Target.CHECK_RUN else " "
    message = f.message if not f.fix else f"{f.message}{sep}Fix: {f.fix}"
    return Annotation(path=loc.path, start_line=start, end_line=end, start_column=start_col, end_column=end_col,
                      level=level, title=f"{f.rule} ({f.severity.value})"[:TITLE_LIMIT],
                      message=message[:MESSAGE_LIMIT[target]], blocking=blocks)


def check_conclusion(report: Report) -> str:
    """The check run's conclusion: failure when the verdict fails; neutral when it passes but a gate could
    not run (on_error warn) or nothing would ever fail (`fail-on: never` with findings); else success."""
    if report.verdict == "fail":
        return "failure"
    errored = any(g.status.value == "error" for g in report.gates)
    unwaived = any(not f.waived for f in report.findings)
    if errored or (report.fail_on.value == "never" and unwaived):
        return "neutral"
    return "success"
