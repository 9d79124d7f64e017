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
