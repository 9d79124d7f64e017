"""SARIF 2.1.0 for code scanning (`readiness check --format sarif`).

One run; the driver lists the rules that have results, with their page's summary and fix.
Levels: critical/high -> error, medium -> warning, low/info -> note. Waived findings carry a
`suppressions` entry (inline comment -> `inSource`, `.readiness.yml` -> `external`) with the
reason as justification; `baselineState` is `new` for findings the PR introduces and `unchanged`
for pre-existing ones. Gates that could not run are tool execution notifications. Security rules
(`deps/known-vulnerability`) carry `security-severity` (a CVSS-scale score, as a string) on each result
and, because GitHub code scanning reads it from the rule, the highest of them on the rule.

Locations: `Location.end_column` is the last column (inclusive), so SARIF's end-exclusive
`endColumn` is `end_column + 1`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from readiness.errors import CatalogError
from readiness.model import Finding, GateStatus, Report, Severity, band_score
from readiness.render.links import docs_base, repository_home, rule_url
from readiness.rules.catalog import Rule

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT_KEY = "readiness/v1"

RuleLookup = Callable[[str], Rule]
"""`rule_id -> Rule`; raises CatalogError for an unknown id. Default: the shipped catalog."""


SECURITY_RULES = frozenset({"deps/known-vulnerability"})
"""Rules whose results are security alerts: they carry `security-severity` (GitHub code scanning shows a
security severity instead of error/warning/note) and the `security` tag."""


def security_severity(f: Finding) -> float | None:
    """The 0.0-10.0 score of a security finding: its package's (highest CVSS of the worst advisories), else
    the middle of its severity's band; None for other rules."""
    if f.rule not in SECURITY_RULES:
        return None
    return f.package.security_severity if f.package is not None else band_score(f.severity)


def level(severity: Severity) -> str:
    """The SARIF level of a severity."""
    if severity in (Severity.CRITICAL, Severity.HIGH):
        return "error"
    if severity is Severity.MEDIUM:
        return "warning"
    return "note"


def _default_lookup(rule_id: str) -> Rule:
    from readiness.rules.catalog import catalog

    return catalog().get(rule_id)


def _rule_entry(rule_id: str, first: Finding, lookup: RuleLookup, docs: str) -> dict[str, Any]:
    try:
        rule: Rule | None = lookup(rule_id)
    except CatalogError:
        rule = None
    summary = rule.summary if rule is not None else first.message
    fix = rule.fix if rule is not None else (first.fix or "")
    severity = rule.severity if rule is not None else first.severity
    url = rule_url(rule_id, docs)
    help_text = f"{fix}\nSee {url}" if fix else f"See {url}"
    help_md = f"{fix}\n\n[Rule page]({url})" if fix else f"[Rule page]({url})"
    entry: dict[str, Any] = {
        "id": rule_id,
        "name": "".join(part.capitalize() for part in rule_id.split("/", 1)[-1].split("-")),
        "shortDescription": {"text": summary},
        "fullDescription": {"text": summary},
        "help": {"text": help_text, "markdown": help_md},
        "helpUri": url,
        "defaultConfiguration": {"level": level(severity)},
        "properties": {"tags": ["readiness", rule_id.split("/", 1)[0]], "severity": severity.value},
    }
    if rule_id in SECURITY_RULES:
        entry["properties"]["tags"].append("security")
    return entry


def _with_score(entry: dict[str, Any], score: float | None) -> dict[str, Any]:
    """GitHub code scanning reads `security-severity` from the rule: the highest of its results."""
    if score is not None:
        entry["properties"]["security-severity"] = f"{score:.1f}"
    return entry


def _region(f: Finding) -> dict[str, int] | None:
    loc = f.location
    if not loc.line:
        return None
    region = {"startLine": loc.line}
    if loc.column:
        region["startColumn"] = loc.column
    end_line = loc.end_line if loc.end_line and loc.end_line >= loc.line else loc.line
    if loc.end_line:
        region["endLine"] = end_line
    if loc.end_column and (end_line != loc.line or loc.end_column >= (loc.column or 1)):
        region["endColumn"] = loc.end_column + 1
    return region


def _result(f: Finding, rule_index: int) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": quote(f.location.path, safe="/"),
                                                     "uriBaseId": "%SRCROOT%"}}
    region = _region(f)
    if region is not None:
        physical["region"] = region
    result: dict[str, Any] = {
        "ruleId": f.rule,
        "ruleIndex": rule_index,
        "level": level(f.severity),
        "message": {"text": f.message},
        "locations": [{"physicalLocation": physical}],
        "partialFingerprints": {FINGERPRINT_KEY: f.fingerprint},
        "baselineState": "new" if f.introduced else "unchanged",
        "properties": {"severity": f.severity.value, "introduced": f.introduced,
                       "confidence": f.confidence.value},
    }
    if f.fix:
        result["properties"]["fix"] = f.fix
    score = security_severity(f)
    if score is not None:
        result["properties"]["security-severity"] = f"{score:.1f}"
    if f.waiver is not None:
        suppression: dict[str, Any] = {
            "kind": "inSource" if f.waiver.source == "inline" else "external",
            "status": "accepted",
            "justification": f.waiver.reason,
        }
        if f.waiver.expires is not None:
            suppression["properties"] = {"expires": f.waiver.expires.isoformat()}
        result["suppressions"] = [suppression]
    return result


def sarif_dict(report: Report, *, rules: RuleLookup | None = None, docs: str | None = None) -> dict[str, Any]:
    """The SARIF log as a JSON-serialisable dict; rule pages linked under `docs` (default `docs_base()`)."""
    lookup = rules or _default_lookup
    docs = docs or docs_base()
    findings = report.findings
    first_by_rule: dict[str, Finding] = {}
    for f in findings:
        first_by_rule.setdefault(f.rule, f)
    rule_ids = sorted(first_by_rule)
    index = {rid: i for i, rid in enumerate(rule_ids)}
    rule_scores: dict[str, float] = {}
    for f in findings:
        score = security_severity(f)
        if score is not None and score > rule_scores.get(f.rule, -1.0):
            rule_scores[f.rule] = score
    notifications = [
        {"level": "error", "message": {"text": f"gate {g.gate} could not run: {g.error or 'no reason given'}"},
         "descriptor": {"id": f"{g.gate}/gate-error"}}
        for g in report.gates if g.status is GateStatus.ERROR
    ]
    invocation: dict[str, Any] = {"executionSuccessful": not notifications}
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    run: dict[str, Any] = {
        "tool": {"driver": {
            "name": "readiness-gates",
            "version": report.version,
            "semanticVersion": report.version,
            "informationUri": repository_home(docs),
            "rules": [_with_score(_rule_entry(rid, first_by_rule[rid], lookup, docs), rule_scores.get(rid))
                      for rid in rule_ids],
        }},
        "invocations": [invocation],
        "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "The repository root."}}},
        "results": [_result(f, index[f.rule]) for f in findings],
        "columnKind": "unicodeCodePoints",
        "properties": {"verdict": report.verdict, "fail_on": report.fail_on.value},
    }
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def render_sarif(report: Report, *, rules: RuleLookup | None = None, docs: str | None = None) -> str:
    """The report as SARIF 2.1.0 JSON text. `rules` replaces the shipped catalog (tests)."""
    return json.dumps(sarif_dict(report, rules=rules, docs=docs), indent=2, ensure_ascii=False) + "\n"
