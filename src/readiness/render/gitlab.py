"""GitLab Code Quality report (`readiness check --format gitlab`).

What a job declares as `artifacts: reports: codequality`, in the shape GitLab documents for any
tool (https://docs.gitlab.com/ci/testing/code_quality/#code-quality-report-format): one JSON array,
each issue with `description`, `check_name`, `fingerprint`, `severity` and `location.path` plus
`location.lines.begin`. GitLab processes only those fields, so nothing else is written, and the
text is UTF-8 without a byte order mark (GitLab's parser rejects one).

- `check_name` is the rule id; `description` the finding's message and its fix.
- `severity`, one step per level: critical -> blocker, high -> critical, medium -> major,
  low -> minor, info -> info.
- `fingerprint` is the finding's content fingerprint (no line number in it), so GitLab's merge
  request widget, which compares the report with the target branch's, follows a finding across
  edits that move it. GitLab wants it unique per report and shows issues that share one as one
  entry: a second finding with the same fingerprint (the same statement twice in one file) gets a
  derived one, stable from run to run.
- Waived findings are left out: they were accepted, and GitLab has no notion of a suppression.
  Pre-existing findings stay in: the widget tells new from old by that comparison itself.
- `location.path` is relative to the directory `readiness check` judged: run it at the root of the
  GitLab project. A finding on a whole file points at its line 1.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, assert_never

from readiness.model import Finding, Report, Severity


def gitlab_severity(severity: Severity) -> str:
    """The Code Quality severity of a finding severity."""
    match severity:
        case Severity.CRITICAL:
            return "blocker"
        case Severity.HIGH:
            return "critical"
        case Severity.MEDIUM:
            return "major"
        case Severity.LOW:
            return "minor"
        case Severity.INFO:
            return "info"
        case _ as unreachable:
            assert_never(unreachable)


def _issue(f: Finding, fingerprint: str) -> dict[str, Any]:
    loc = f.location
    begin = loc.line if loc.line and loc.line > 0 else 1
    lines: dict[str, int] = {"begin": begin}
    if loc.end_line and loc.end_line > begin:
        lines["end"] = loc.end_line
    description = f.message
    if f.fix:
        description += (" " if description.rstrip().endswith((".", "!", "?")) else ". ") + f"Fix: {f.fix}"
    return {
        "description": description,
        "check_name": f.rule,
        "fingerprint": fingerprint,
        "severity": gitlab_severity(f.severity),
        "location": {"path": loc.path, "lines": lines},
    }


def gitlab_issues(report: Report) -> list[dict[str, Any]]:
    """The Code Quality issues of a report, in its finding order (severity, path, line)."""
    findings = [f for f in report.findings if not f.waived]
    used = {f.fingerprint for f in findings}
    repeats: dict[str, int] = {}
    issues = []
    for f in findings:
        fp = f.fingerprint
        if fp in repeats:  # the same content again: derive a fingerprint no other issue has
            while fp in used:
                repeats[f.fingerprint] += 1
                fp = hashlib.sha256(f"{f.fingerprint}\x00{repeats[f.fingerprint]}".encode()).hexdigest()[:32]
            used.add(fp)
        else:
            repeats[fp] = 0
        issues.append(_issue(f, fp))
    return issues


def render_gitlab(report: Report) -> str:
    """The report as GitLab Code Quality JSON text."""
    return json.dumps(gitlab_issues(report), indent=2, ensure_ascii=False) + "\n"
