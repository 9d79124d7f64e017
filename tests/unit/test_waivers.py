"""Inline and config waivers, and the findings about bad or unused ones."""

from __future__ import annotations

from datetime import date

from readiness.config import ConfigWaiver
from readiness.model import Finding, Location, RuleId, Severity, fingerprint
from readiness.waivers import apply_waivers, parse_inline

TODAY = date(2026, 11, 22)


def finding(rule: str = "migrations/drop-column", path: str = "db/V2__x.sql", line: int = 3) -> Finding:
    return Finding(rule=RuleId(rule), severity=Severity.CRITICAL, location=Location(path=path, line=line),
                   message="m", fix=None, fingerprint=fingerprint(rule, path, "ev"))


def cw(reason: str = "backup in OPS-1", expires: date | None = None, path: str | None = None) -> ConfigWaiver:
    return ConfigWaiver(rule="migrations/drop-column", path=path, fingerprint=None, reason=reason,
                        expires=expires, location=Location(path=".readiness.yml", line=7, column=5))


def test_parse_inline_comment_styles() -> None:
    text = (
        "-- readiness: ignore migrations/drop-column -- backup verified\n"
        "# readiness: ignore config/plaintext-secret, config/duplicate-key -- fixture\n"
        "<!-- readiness: ignore docs/malformed-adr -- imported -->\n"
        "/* readiness: ignore migrations/rename-column */\n"
        "ALTER TABLE t DROP COLUMN c; -- readiness: ignore migrations/drop-column -- same line\n"
    )
    ws = parse_inline("f", text)
    assert [(w.line, w.rules, w.reason) for w in ws] == [
        (1, ("migrations/drop-column",), "backup verified"),
        (2, ("config/plaintext-secret", "config/duplicate-key"), "fixture"),
        (3, ("docs/malformed-adr",), "imported"),
        (4, ("migrations/rename-column",), ""),
        (5, ("migrations/drop-column",), "same line"),
    ]


def test_inline_waiver_on_line_before_applies() -> None:
    inline = parse_inline("db/V2__x.sql", "x\n-- readiness: ignore migrations/drop-column -- ok\nDROP\n")
    (out,) = apply_waivers([finding()], inline=inline, config=[], readers={}, today=TODAY)
    assert out.waived and out.waiver is not None and out.waiver.source == "inline"


def test_inline_waiver_without_reason_is_ignored_and_reported() -> None:
    inline = parse_inline("db/V2__x.sql", "x\n-- readiness: ignore migrations/drop-column\nDROP\n")
    out = apply_waivers([finding()], inline=inline, config=[], readers={}, today=TODAY)
    assert not out[0].waived
    assert out[1].rule == "migrations/invalid-waiver" and out[1].location.line == 2


def test_unused_inline_waiver_is_reported() -> None:
    inline = parse_inline("db/V2__x.sql", "-- readiness: ignore migrations/rename-column -- old\n")
    out = apply_waivers([finding()], inline=inline, config=[], readers={}, today=TODAY)
    assert [f.rule for f in out] == ["migrations/drop-column", "migrations/unused-waiver"]


def test_inline_waiver_with_unknown_rule_is_attributed_to_the_reading_gate() -> None:
    inline = parse_inline("config/a.yaml", "# readiness: ignore NotARule -- x\n")
    out = apply_waivers([], inline=inline, config=[], readers={"config/a.yaml": "config"}, today=TODAY)
    assert [f.rule for f in out] == ["config/invalid-waiver"]


def test_config_waiver_applies_by_rule_and_path_glob() -> None:
    (out,) = apply_waivers([finding()], inline=[], config=[cw(path="db/*.sql")], readers={}, today=TODAY)
    assert out.waived and out.waiver is not None and out.waiver.source == "config"
    (out,) = apply_waivers([finding()], inline=[], config=[cw(path="other/*.sql")], readers={}, today=TODAY)
    assert not out.waived


def test_expired_config_waiver_is_ignored_and_reported() -> None:
    out = apply_waivers([finding()], inline=[], config=[cw(expires=date(2026, 1, 1))], readers={}, today=TODAY)
    assert not out[0].waived
    assert out[1].rule == "migrations/invalid-waiver" and "expired on 2026-01-01" in out[1].message
    assert out[1].location.path == ".readiness.yml" and out[1].location.line == 7


def test_config_waiver_without_reason_is_reported() -> None:
    out = apply_waivers([finding()], inline=[], config=[cw(reason="")], readers={}, today=TODAY)
    assert not out[0].waived and out[1].rule == "migrations/invalid-waiver"
