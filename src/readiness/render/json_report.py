"""The JSON report, schema_version 1 (DESIGN). Validated against schemas/report.schema.json in tests."""

from __future__ import annotations

import json
from typing import Any

from readiness.model import DependencyChange, Finding, GateResult, GateStatus, Report, VulnerablePackage


def finding_dict(f: Finding) -> dict[str, Any]:
    """One finding in DESIGN's flat shape."""
    loc = f.location
    waiver = None
    if f.waiver is not None:
        waiver = {"reason": f.waiver.reason, "source": f.waiver.source,
                  "expires": f.waiver.expires.isoformat() if f.waiver.expires else None}
    return {
        "fingerprint": f.fingerprint,
        "gate": f.gate,
        "rule": f.rule,
        "severity": f.severity.value,
        "path": loc.path,
        "line": loc.line,
        "column": loc.column,
        "end_line": loc.end_line,
        "message": f.message,
        "fix": f.fix,
        "doc": f.doc,
        "introduced": f.introduced,
        "waived": f.waived,
        "waiver": waiver,
        "confidence": f.confidence.value,
    } | ({"package": package_dict(f.package)} if f.package is not None else {})


def package_dict(p: VulnerablePackage) -> dict[str, Any]:
    """A known-vulnerability finding's package: every advisory with its own severity and fix (optional field)."""
    return {"name": p.name, "version": p.version, "fix": p.fix, "fix_in_release_line": p.fix_in_line,
            "clean": p.clean, "base_version": p.base_version,
            "advisories": [{"id": a.id, "aliases": list(a.aliases), "url": a.url,
                            "severity": a.severity.value if a.severity is not None else None,
                            "severity_source": a.severity_source, "ranked": a.ranked.value, "score": a.score,
                            "fixed": list(a.fixed), "fix": a.fix, "summary": a.summary,
                            "introduced": a.introduced} for a in p.advisories]}


def change_dict(c: DependencyChange) -> dict[str, Any]:
    """One dependency change of the PR (optional `dependency_changes` field of the deps gate)."""
    return {"kind": c.kind.value, "name": c.name, "path": c.path, "line": c.line, "old": c.old, "new": c.new,
            "introduces": list(c.introduces), "resolves": list(c.resolves)}


def gate_dict(g: GateResult) -> dict[str, Any]:
    """One gate's entry (`dependency_changes` only when the gate compared with a base)."""
    out: dict[str, Any] = {"id": g.gate, "status": g.status.value, "duration_ms": round(g.duration_ms, 1),
           "error": g.error, "items": [dict(i.data) for i in g.items]}
    if g.dependency_changes is not None:
        out["dependency_changes"] = [change_dict(c) for c in g.dependency_changes]
    from readiness.render.replay import gate_replay

    replay = gate_replay(g)
    if replay is not None:
        out["replay"] = replay
    return out


def report_dict(report: Report) -> dict[str, Any]:
    """The whole report as a JSON-serialisable dict."""
    return {**_head(report), "findings": [finding_dict(f) for f in report.findings]}


def _head(report: Report) -> dict[str, Any]:
    head = {
        "schema_version": 1,
        "tool": {"name": "readiness-gates", "version": report.version},
        "verdict": report.verdict,
        "fail_on": report.fail_on.value,
        "base": report.base,
        "head": report.head,
        "counts": report.counts,
        "gates": [gate_dict(g) for g in report.gates],
    }
    card = None
    # no scorecard unless the checklist gate ran (passed or failed): otherwise its modules are not imported
    if any(g.gate == "checklist" and g.status in (GateStatus.PASS, GateStatus.FAIL) for g in report.gates):
        from readiness.score.rubric import score

        card = score(report)
    if card is not None:  # optional within schema_version 1: present when the checklist gate ran
        from readiness.render.scorecard import score_dict

        head["score"] = score_dict(card)
    if report.excluded_count:  # optional: directories the built-in exclusions skipped
        head["excluded"] = {"paths": list(report.excluded), "count": report.excluded_count}
    return head


def render_json(report: Report) -> str:
    """The report as JSON text: the outline indented, each finding and each item on one line."""
    head = dumps_outline(_head(report))
    if not report.findings or not head.endswith("\n}"):
        return dumps_outline(report_dict(report)) + "\n"
    rows = ",\n    ".join([_COMPACT(finding_dict(f)) for f in report.findings])
    return f'{head[:-2]},\n  "findings": [\n    {rows}\n  ]\n}}\n'  # findings are flat: one line each


# `indent=` switches the json module to its pure-Python encoder (about 50 us per finding, 80 ms for
# a 1,600-finding report); without it the C encoder runs. So the outline (the top object, the gate
# list, each gate and its items list) is indented here and the leaves are encoded in C, one per line,
# which also diffs and greps line by line.
_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode
_OUTLINE_DEPTH = 4
"""Containers nested shallower than this are expanded (when they hold a list); deeper ones are one line."""


def dumps_outline(value: Any, depth: int = 0) -> str:
    """`value` as JSON; lists and dicts that hold a non-empty list are expanded down to `_OUTLINE_DEPTH`."""
    pad = "  " * (depth + 1)
    if depth < _OUTLINE_DEPTH and isinstance(value, list) and value:
        inner = f",\n{pad}".join(dumps_outline(v, depth + 1) for v in value)
        return f"[\n{pad}{inner}\n{pad[:-2]}]"
    if depth < _OUTLINE_DEPTH and isinstance(value, dict) and any(isinstance(v, list) and v for v in value.values()):
        inner = f",\n{pad}".join(f"{_COMPACT(str(k))}: {dumps_outline(v, depth + 1)}" for k, v in value.items())
        return f"{{\n{pad}{inner}\n{pad[:-2]}}}"
    return _COMPACT(value)
