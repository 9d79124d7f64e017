"""Pure renderers: `Report -> str`. Nothing here prints, publishes or exits."""

from __future__ import annotations

import enum

from readiness.model import Report, Severity


class Format(enum.StrEnum):
    """Output formats of `readiness check`."""

    TEXT = "text"
    MARKDOWN = "markdown"
    JSON = "json"
    SARIF = "sarif"
    GITLAB = "gitlab"


def render(report: Report, fmt: Format, *, color: bool = False, min_severity: Severity | None = None) -> str:
    """Render a report in one of the formats; `min_severity` filters what the text format lists."""
    if fmt is Format.TEXT:
        from readiness.render.text import render_text

        return render_text(report, color=color, min_severity=min_severity)
    if fmt is Format.JSON:
        from readiness.render.json_report import render_json

        return render_json(report)
    if fmt is Format.MARKDOWN:
        from readiness.render.markdown import render_summary

        return render_summary(report)
    if fmt is Format.GITLAB:
        from readiness.render.gitlab import render_gitlab

        return render_gitlab(report)
    from readiness.render.sarif import render_sarif

    return render_sarif(report)
