"""render/text.py: repository text cannot drive the terminal."""

from __future__ import annotations

import re

from readiness.model import FailOn, Finding, GateId, GateResult, GateStatus, Location, Report, RuleId, Severity, Waiver
from readiness.render.text import render_text, safe_terminal

EVIL = "db/\x1b[2J\x1b]8;;https://evil.example\x07link\x9b31m\u202eexe.sql\r\nnext"


def _report() -> Report:
    f = Finding(rule=RuleId("migrations/rename-column"), severity=Severity.CRITICAL,
                location=Location(path=EVIL, line=1), message=EVIL, fix=EVIL, fingerprint="ab" * 16,
                waiver=None)
    w = Finding(rule=RuleId("migrations/rename-column"), severity=Severity.LOW,
                location=Location(path="a.sql", line=2), message="m", fix=None, fingerprint="cd" * 16,
                waiver=Waiver(reason=EVIL, source="config"))
    gates = (GateResult(gate=GateId("migrations"), status=GateStatus.FAIL, duration_ms=1.0, findings=(f, w)),
             GateResult(gate=GateId("deps"), status=GateStatus.ERROR, duration_ms=1.0, error=EVIL))
    return Report(version="0.1.0", fail_on=FailOn.HIGH, base=EVIL, head=None, gates=gates)


def test_no_control_or_bidi_character_reaches_the_terminal() -> None:
    out = render_text(_report(), color=False)
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", out)
    assert "\\x1b[2J" in out and "\\x9b" in out and "\\u202e" in out


def test_colour_only_when_asked() -> None:
    assert "\x1b[" not in render_text(_report(), color=False)
    assert "\x1b[1;31m" in render_text(_report(), color=True)


def test_safe_terminal_keeps_ordinary_text() -> None:
    assert safe_terminal("café\tnaïve 名前") == "café\tnaïve 名前"


def _large(n: int) -> Report:
    """`n` findings over 30 files: one blocking critical, the rest pre-existing or below the threshold."""
    findings = [Finding(rule=RuleId("migrations/rename-column"), severity=Severity.CRITICAL,
                        location=Location(path="db/new.sql", line=1), message="the new one", fix="do x",
                        fingerprint="00" * 16)]
    findings += [Finding(rule=RuleId("docs/missing-runbook" if i % 3 else "config/plaintext-secret"),
                         severity=Severity.MEDIUM if i % 2 else Severity.LOW,
                         location=Location(path=f"old/file{i % 30:02d}.yaml", line=i + 1), message=f"old {i}",
                         fix=None, fingerprint=f"{i:032x}", introduced=i % 5 != 0) for i in range(1, n)]
    gates = tuple(GateResult(gate=GateId(g), status=GateStatus.FAIL, duration_ms=1.0,
                             findings=tuple(f for f in findings if f.gate == g))
                  for g in ("migrations", "config", "docs"))
    return Report(version="0.1.0", fail_on=FailOn.HIGH, base=None, head=None, gates=gates)


def test_a_large_report_is_summary_first_and_lists_only_the_blocking_findings() -> None:
    out = render_text(_large(120))
    by_rule, by_file, blocking = (out.index("By rule"), out.index("By file"), out.index("Blocking findings (1)"))
    assert by_rule < by_file < blocking
    assert re.search(r"^\s+\d+\s+docs/missing-runbook\s+", out, re.M)
    assert "the 20 with the most findings" in out and "in 11 more files" in out
    assert "the new one" in out and "old 7\n" not in out  # non-blocking findings are counted, not listed
    assert "119 non-blocking findings" in out and "readiness baseline" in out
    small = render_text(_large(20))  # under the threshold: everything, by gate, as before
    assert "By rule" not in small and "old 7" in small


def test_min_severity_filters_what_is_printed_never_the_verdict() -> None:
    report = _large(20)
    out = render_text(report, min_severity=Severity.MEDIUM)
    assert "old 3" in out and "old 2\n" not in out  # odd i are medium, even i low
    assert "below medium not printed" in out
    assert out.splitlines()[0] == render_text(report).splitlines()[0]  # same verdict line
