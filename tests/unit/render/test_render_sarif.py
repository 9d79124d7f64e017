"""render/sarif.py: SARIF 2.1.0 that code scanning accepts.

The official SARIF schema is not available offline (no PyPI package ships it), so the structure is
checked against the subset below, transcribed from sarif-schema-2.1.0.json for the objects we emit
(required keys, enums, minimums, and additionalProperties where the spec closes an object).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import factories
from readiness.model import (
    Finding,
    Location,
    Report,
    Severity,
    Waiver,
)
from readiness.render.links import DEFAULT_DOCS_BASE as DOCS_BASE
from readiness.render.sarif import FINGERPRINT_KEY, level, render_sarif, sarif_dict
from readiness.rules.catalog import Catalog

_MESSAGE = {"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}}
_LEVEL = {"enum": ["none", "note", "warning", "error"]}
SARIF_SUBSET: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["version", "runs"],
    "properties": {
        "$schema": {"type": "string", "format": "uri"},
        "version": {"const": "2.1.0"},
        "runs": {"type": "array", "minItems": 1, "maxItems": 1, "items": {
            "type": "object",
            "required": ["tool"],
            "properties": {
                "tool": {"type": "object", "required": ["driver"], "properties": {"driver": {
                    "type": "object",
                    "required": ["name"],
                    "properties": {
                        "name": {"type": "string"},
                        "version": {"type": "string"},
                        "informationUri": {"type": "string", "pattern": "^https://"},
                        "rules": {"type": "array", "items": {
                            "type": "object",
                            "required": ["id"],
                            "properties": {
                                "id": {"type": "string"},
                                "name": {"type": "string"},
                                "shortDescription": _MESSAGE,
                                "fullDescription": _MESSAGE,
                                "help": {"type": "object", "required": ["text"],
                                         "properties": {"text": {"type": "string"},
                                                        "markdown": {"type": "string"}}},
                                "helpUri": {"type": "string", "pattern": "^https://"},
                                "defaultConfiguration": {"type": "object",
                                                         "properties": {"level": _LEVEL}},
                            },
                        }},
                    },
                }}},
                "invocations": {"type": "array", "items": {
                    "type": "object", "required": ["executionSuccessful"],
                    "properties": {"toolExecutionNotifications": {"type": "array", "items": {
                        "type": "object", "required": ["message"],
                        "properties": {"message": _MESSAGE, "level": _LEVEL}}}}}},
                "columnKind": {"enum": ["utf16CodeUnits", "unicodeCodePoints"]},
                "results": {"type": "array", "items": {
                    "type": "object",
                    "required": ["message"],
                    "properties": {
                        "ruleId": {"type": "string"},
                        "ruleIndex": {"type": "integer", "minimum": 0},
                        "level": _LEVEL,
                        "message": _MESSAGE,
                        "baselineState": {"enum": ["new", "unchanged", "updated", "absent"]},
                        "partialFingerprints": {"type": "object",
                                                "additionalProperties": {"type": "string"}},
                        "locations": {"type": "array", "items": {"type": "object", "properties": {
                            "physicalLocation": {
                                "type": "object",
                                "properties": {
                                    "artifactLocation": {"type": "object", "properties": {
                                        "uri": {"type": "string", "format": "uri-reference"},
                                        "uriBaseId": {"type": "string"}}},
                                    "region": {"type": "object", "properties": {
                                        "startLine": {"type": "integer", "minimum": 1},
                                        "startColumn": {"type": "integer", "minimum": 1},
                                        "endLine": {"type": "integer", "minimum": 1},
                                        "endColumn": {"type": "integer", "minimum": 1}}},
                                },
                            }}}},
                        "suppressions": {"type": "array", "items": {
                            "type": "object", "required": ["kind"],
                            "properties": {
                                "kind": {"enum": ["inSource", "external"]},
                                "status": {"enum": ["accepted", "underReview", "rejected"]},
                                "justification": {"type": "string"},
                            }}},
                    },
                }},
            },
        }},
    },
}


def make(rule: str, severity: Severity, *, path: str = "db/m.sql", line: int | None = 3,
         column: int | None = None, end_line: int | None = None, end_column: int | None = None,
         introduced: bool = True, waiver: Waiver | None = None) -> Finding:
    return factories.finding(rule, severity, path=path, line=line, column=column, end_line=end_line,
                             end_column=end_column, message=f"{rule} at {path}", fix="do the safe thing",
                             evidence=str(line), introduced=introduced, waiver=waiver)


def report(*findings: Finding, error: str | None = None) -> Report:
    return factories.report(*findings, errors={"deps": error} if error else None, duration_ms=0.0)


def validate(log: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator(SARIF_SUBSET, format_checker=jsonschema.FormatChecker()).validate(log)


@pytest.mark.parametrize(("severity", "expected"), [
    (Severity.CRITICAL, "error"), (Severity.HIGH, "error"), (Severity.MEDIUM, "warning"),
    (Severity.LOW, "note"), (Severity.INFO, "note"),
])
def test_levels(severity: Severity, expected: str) -> None:
    assert level(severity) == expected


PAGE = """---
id: docs/missing-document
severity: high
summary: A required operational document does not exist.
fix: Add the document.
since: 0.1.0
---
## Why it matters
x
## Safe alternative
y
"""


def test_results_rules_fingerprints_and_properties(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "missing-document.md").write_text(PAGE, encoding="utf-8")
    rules = Catalog(root=tmp_path)
    fs = (make("docs/missing-document", Severity.HIGH, path="RUNBOOK.md", line=None),
          make("docs/missing-document", Severity.HIGH, path="docs/adr", line=None, introduced=False),
          make("migrations/unreadable-file", Severity.MEDIUM, path="db/a b(1).sql", line=2, column=5,
               end_line=2, end_column=9))
    log = json.loads(render_sarif(report(*fs), rules=rules.get))
    validate(log)
    run = log["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "readiness-gates" and driver["version"] == "0.1.0"
    assert [r["id"] for r in driver["rules"]] == ["docs/missing-document", "migrations/unreadable-file"]
    rule = driver["rules"][0]
    assert rule["helpUri"] == DOCS_BASE + "checks/docs/missing-document.md"
    assert rule["defaultConfiguration"]["level"] == "error"
    assert rule["shortDescription"]["text"] == "A required operational document does not exist."
    assert rule["help"]["text"] == f"Add the document.\nSee {rule['helpUri']}"
    assert driver["rules"][1]["shortDescription"]["text"] == fs[2].message  # no page in this catalog
    results = run["results"]
    assert len(results) == 3
    for res in results:
        assert driver["rules"][res["ruleIndex"]]["id"] == res["ruleId"]
        assert res["partialFingerprints"][FINGERPRINT_KEY]
        assert res["properties"]["severity"] in ("high", "medium")
    whole_file = results[0]["locations"][0]["physicalLocation"]
    assert "region" not in whole_file and whole_file["artifactLocation"]["uri"] == "RUNBOOK.md"
    assert results[1]["baselineState"] == "unchanged" and results[1]["properties"]["introduced"] is False
    ranged = next(r for r in results if r["ruleId"] == "migrations/unreadable-file")
    loc = ranged["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "db/a%20b%281%29.sql"
    assert loc["region"] == {"startLine": 2, "startColumn": 5, "endLine": 2, "endColumn": 10}
    assert ranged["level"] == "warning"
    assert run["invocations"] == [{"executionSuccessful": True}]


def test_suppressions_for_waived_findings() -> None:
    inline = make("migrations/unreadable-file", Severity.HIGH,
                  waiver=Waiver(reason="generated file", source="inline", location=Location(path="db/m.sql", line=2)))
    config = make("deps/unreadable-file", Severity.HIGH, path="requirements.txt",
                  waiver=Waiver(reason="OPS-1", source="config", expires=date(2027, 1, 31)))
    log = sarif_dict(report(inline, config))
    validate(log)
    by_rule = {r["ruleId"]: r for r in log["runs"][0]["results"]}
    assert by_rule["migrations/unreadable-file"]["suppressions"] == [
        {"kind": "inSource", "status": "accepted", "justification": "generated file"}]
    assert by_rule["deps/unreadable-file"]["suppressions"] == [
        {"kind": "external", "status": "accepted", "justification": "OPS-1",
         "properties": {"expires": "2027-01-31"}}]


def test_unknown_rule_falls_back_to_the_finding_and_gate_errors_are_notifications() -> None:
    f = make("migrations/not-a-real-rule", Severity.CRITICAL)
    log = sarif_dict(report(f, error="pip-audit timed out"))
    validate(log)
    rule = log["runs"][0]["tool"]["driver"]["rules"][0]
    assert rule["shortDescription"]["text"] == f.message
    assert rule["defaultConfiguration"]["level"] == "error"
    inv = log["runs"][0]["invocations"][0]
    assert inv["executionSuccessful"] is False
    assert "pip-audit timed out" in inv["toolExecutionNotifications"][0]["message"]["text"]


def test_default_catalog_is_used_and_never_raises() -> None:
    """Whatever state the shipped pages are in, rendering SARIF does not fail."""
    log = sarif_dict(report(make("docs/missing-document", Severity.HIGH), make("docs/nope-nope", Severity.LOW)))
    validate(log)
    assert len(log["runs"][0]["tool"]["driver"]["rules"]) == 2


def test_empty_report_is_valid() -> None:
    log = sarif_dict(report())
    validate(log)
    assert log["runs"][0]["results"] == [] and log["runs"][0]["tool"]["driver"]["rules"] == []


def test_subset_schema_rejects_a_broken_log() -> None:
    log = sarif_dict(report(make("docs/missing-document", Severity.HIGH)))
    log["runs"][0]["results"][0]["level"] = "critical"
    with pytest.raises(jsonschema.ValidationError):
        validate(log)
