"""The JSON report, schema_version 1 (DESIGN). Validated against schemas/report.schema.json in tests."""

from __future__ import annotations

import json
from typing import Any

from readiness.model import Finding, GateResult, Report


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
    }


def gate_dict(g: GateResult) -> dict[str, Any]:
    """One gate's entry."""
    return {"id": g.gate, "status": g.status.value, "duration_ms": round(g.duration_ms, 1),
            "error": g.error, "items": [dict(i.data) for i in g.items]}


def report_dict(report: Report) -> dict[str, Any]:
    """The whole report as a JSON-serialisable dict."""
    return {
        "schema_version": 1,
        "tool": {"name": "readiness-gates", "version": report.version},
        "verdict": report.verdict,
        "fail_on": report.fail_on.value,
        "base": report.base,
        "head": report.head,
        "counts": report.counts,
        "gates": [gate_dict(g) for g in report.gates],
        "findings": [finding_dict(f) for f in report.findings],
    }


def render_json(report: Report) -> str:
    """The report as indented JSON text."""
    return json.dumps(report_dict(report), indent=2, ensure_ascii=False) + "\n"
