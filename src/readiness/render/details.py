"""What each gate looked at, from its `extra` data: rendered here, in the job summary, or nowhere.

A gate's `extra` (`GateResult.extra`) is not part of the JSON contract; it says how the gate saw the
repository (which vulnerability service, how old the offline database is, how config files were paired
with schemas, where the ADRs were found). Every key a gate emits is rendered by one function below;
a test runs the gates and fails on a key nobody renders, so nothing is computed only to be dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from readiness.model import GATE_TITLES, Report
from readiness.render import escape

_MAX = 200
"""Characters of one rendered value."""
_LIST_MAX = 10
"""Entries of one rendered list."""


def _names(values: Any) -> str:
    items = [str(v) for v in values or ()]
    shown = ", ".join(escape.code_span(v, max_len=_MAX) for v in items[:_LIST_MAX])
    more = len(items) - _LIST_MAX
    return shown + (f" and {more} more" if more > 0 else "") if items else "none"


def _service(v: Any) -> str:
    if v == "none":
        return "no vulnerability data queried (nothing pinned to audit, or no service)"
    return f"vulnerability data from {escape.code_span(v, max_len=_MAX)}"


def _files(v: Any) -> str:
    return f"dependency files read: {_names(v)}"


def _database(v: Any) -> str:
    if not isinstance(v, dict):
        return ""
    text = (f"offline database: {int(v.get('records') or 0):,} records for {int(v.get('packages') or 0):,} "
            f"packages, loaded in {float(v.get('load_ms') or 0):,.0f} ms"
            + (" (from its cache)" if v.get("from_cache") else ""))
    if v.get("newest_record"):
        text += f"; newest record modified {escape.inline(str(v['newest_record'])[:10])}"
        if v.get("age_days") is not None:
            text += f", {float(v['age_days']):.0f} days ago"
    if v.get("age_note"):
        text += f"; {escape.inline(v['age_note'], max_len=_MAX)}"
    return text


def _data_notes(v: Any) -> str:
    notes = [escape.inline(n, max_len=_MAX) for n in (v or ())[:_LIST_MAX]]
    more = len(v or ()) - _LIST_MAX
    return "notes on the vulnerability data: " + "; ".join(notes) + (f"; and {more} more" if more > 0 else "")


def _paired(v: Any) -> str:
    parts = [f"{int(n)} by {escape.inline(how, max_len=_MAX)}" for how, n in sorted((v or {}).items())]
    return "config files paired with a schema: " + (", ".join(parts) if parts else "none")


def _environments(v: Any) -> str:
    if not isinstance(v, dict):
        return ""
    return (f"environments compared: {_names(v.get('names'))} "
            f"(files {escape.code_span(v.get('files') or '', max_len=_MAX)})")


def _adr_dirs(v: Any) -> str:
    return f"ADR directories: {_names(v)}"


def _adr_source(v: Any) -> str:
    return {"config": "ADR directory from the configuration", "default": "ADR directory by the usual names"}.get(
        str(v), f"ADR directory found by {escape.inline(v, max_len=_MAX)}")


def _count(word: str) -> Callable[[Any], str]:
    return lambda v: f"{word}: {int(v or 0):,}"


def _templated(v: Any) -> str:
    return f"alert rule files with templates, not judged: {_names(v)}" if v else ""


def _checklist_file(v: Any) -> str:
    return f"checklist: {escape.code_span(v, max_len=_MAX)}"


RENDERED: dict[str, dict[str, Callable[[Any], str]]] = {
    "deps": {"service": _service, "files": _files, "database": _database, "data_notes": _data_notes},
    "config": {"paired": _paired, "environments": _environments},
    "docs": {"adr_dirs": _adr_dirs, "adr_source": _adr_source, "adrs": _count("ADRs"),
             "runbooks": _count("runbooks"), "alert_rule_files": _count("alert rule files"),
             "alerts": _count("alerts"), "templated_rule_files": _templated},
    "checklist": {"file": _checklist_file},
}
"""(gate, key) -> how the key reads. A key missing here is not rendered, and a test fails on it."""


def details_section(report: Report) -> list[str]:
    """A folded "what each gate looked at" section for the job summary; [] when no gate says anything."""
    out: list[str] = []
    for g in report.gates:
        if not g.extra:
            continue
        readers = RENDERED.get(g.gate, {})
        lines = [text for key, value in g.extra.items() if key in readers and (text := readers[key](value))]
        if lines:
            out.append(f"- **{escape.inline(GATE_TITLES.get(g.gate, g.gate))}**: " + "; ".join(lines) + ".")
    if not out:
        return []
    return ["<details>", "<summary>What each gate looked at</summary>", "", *out, "", "</details>", ""]
