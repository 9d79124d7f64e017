"""Severity order, fail-on thresholds, risk classes and the verdict."""

from __future__ import annotations

import pytest

import factories
from readiness.model import (
    FailOn,
    Finding,
    Report,
    RiskClass,
    Severity,
    Waiver,
    fingerprint,
)


def make(rule: str = "docs/missing-document", severity: Severity = Severity.HIGH, *, path: str = "a.md",
         introduced: bool = True, waived: bool = False) -> Finding:
    return factories.finding(rule, severity, path=path, introduced=introduced,
                             waiver=Waiver(reason="r", source="config") if waived else None)


def report(*findings: Finding, fail_on: FailOn = FailOn.CRITICAL, scope_all: tuple[str, ...] = ()) -> Report:
    return factories.report(*findings, fail_on=fail_on, gates=("docs",), scope_all=scope_all, version="0")


def test_severity_rank_is_explicit_not_alphabetical() -> None:
    ordered = sorted(Severity, key=lambda s: s.rank, reverse=True)
    assert ordered == [Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW, Severity.INFO]


@pytest.mark.parametrize(("fail_on", "blocks"), [
    (FailOn.CRITICAL, {Severity.CRITICAL}),
    (FailOn.HIGH, {Severity.CRITICAL, Severity.HIGH}),
    (FailOn.MEDIUM, {Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM}),
    (FailOn.LOW, {Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW}),
    (FailOn.NEVER, set()),
])
def test_fail_on_threshold(fail_on: FailOn, blocks: set[Severity]) -> None:
    assert {s for s in Severity if fail_on.should_fail(s)} == blocks


def test_risk_class_severity_follows_design() -> None:
    assert RiskClass.AVOID.severity is Severity.CRITICAL
    assert RiskClass.CRITICAL.severity is Severity.CRITICAL
    assert RiskClass.HIGH.severity is Severity.HIGH
    assert RiskClass.MEDIUM.severity is Severity.MEDIUM
    assert RiskClass.LOW.severity is Severity.LOW
    assert max(RiskClass, key=lambda r: r.rank) is RiskClass.AVOID


def test_verdict_fails_on_unwaived_introduced_finding_at_threshold() -> None:
    assert report(make(severity=Severity.CRITICAL)).verdict == "fail"
    assert report(make(severity=Severity.HIGH)).verdict == "pass"
    assert report(make(severity=Severity.HIGH), fail_on=FailOn.HIGH).verdict == "fail"


def test_waived_and_preexisting_findings_do_not_block() -> None:
    assert report(make(severity=Severity.CRITICAL, waived=True)).verdict == "pass"
    assert report(make(severity=Severity.CRITICAL, introduced=False)).verdict == "pass"


def test_scope_all_makes_preexisting_findings_block() -> None:
    assert report(make(severity=Severity.CRITICAL, introduced=False), scope_all=("docs",)).verdict == "fail"


def test_counts_exclude_waived() -> None:
    r = report(make(severity=Severity.HIGH), make(severity=Severity.HIGH, waived=True, path="b.md"))
    assert r.counts == {"critical": 0, "high": 1, "medium": 0, "low": 0, "info": 0}


def test_fingerprint_ignores_whitespace_and_line_numbers() -> None:
    a = fingerprint("migrations/drop-column", "x.sql", "ALTER TABLE t\n   DROP COLUMN c")
    b = fingerprint("migrations/drop-column", "x.sql", "ALTER TABLE t DROP COLUMN c")
    assert a == b
    assert a != fingerprint("migrations/drop-column", "y.sql", "ALTER TABLE t DROP COLUMN c")


def test_findings_are_sorted_by_severity_then_path() -> None:
    r = report(make(severity=Severity.LOW, path="a.md"), make(severity=Severity.CRITICAL, path="z.md"))
    assert [f.severity for f in r.findings] == [Severity.CRITICAL, Severity.LOW]
