"""Inline and config waivers, and the findings about bad or unused ones."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from readiness.config import ConfigWaiver
from readiness.model import Finding, Location, RuleId, Severity, fingerprint
from readiness.waivers import ReadLog, apply_waivers, inline_sources, parse_inline
from readiness.workspace import Workspace

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


def test_read_log_keeps_only_marked_texts_first_read_first() -> None:
    log = ReadLog()
    log.record("a.sql", "SELECT 1;\n")
    log.record("b.sql", "-- readiness: ignore migrations/drop-column -- ok\n")
    log.record("b.sql", "changed")
    assert log.texts == {"b.sql": "-- readiness: ignore migrations/drop-column -- ok\n"}


def test_inline_sources_attribute_a_file_to_the_first_gate_that_read_it() -> None:
    first, second = ReadLog(), ReadLog()
    first.record("x.yaml", "# readiness: ignore -- no id\n")
    second.record("x.yaml", "# readiness: ignore -- no id\n")
    second.record("y.md", "<!-- readiness: ignore docs/malformed-adr -- r -->\n")
    inline, readers = inline_sources([("config", first), ("docs", second)])
    assert readers == {"x.yaml": "config", "y.md": "docs"}
    assert [w.path for w in inline] == ["x.yaml", "y.md"]


def test_a_forked_childs_reads_merge_back_into_the_gates_log(tmp_path: Path) -> None:
    (tmp_path / "a.sql").write_text("-- readiness: ignore migrations/drop-column -- r\n", encoding="utf-8")
    (tmp_path / "b.sql").write_text("SELECT 1;\n", encoding="utf-8")
    log = ReadLog()
    view = Workspace(tmp_path).observed(log)
    with view.forked_reads() as reads:
        view.read_text("a.sql")
        view.read_text("b.sql")
    assert log.texts == {}  # recorded in the child's log only
    view.merge_reads(reads)
    assert list(log.texts) == ["a.sql"]


def test_unobserved_workspace_keeps_no_record(tmp_path: Path) -> None:
    (tmp_path / "a.sql").write_text("-- readiness: ignore migrations/drop-column -- r\n", encoding="utf-8")
    ws = Workspace(tmp_path)
    with ws.forked_reads() as reads:
        ws.read_text("a.sql")
    assert reads is None
    assert not hasattr(ws, "marked")


@pytest.mark.parametrize("watchdog", [True, False], ids=["forked-worker", "in-process"])
def test_engine_attributes_inline_waivers_per_gate_in_a_worker_and_in_process(tmp_path: Path,
                                                                               watchdog: bool) -> None:
    from readiness.config import Config
    from readiness.engine import RunOptions, run
    from readiness.model import FailOn
    from readiness.watchdog import Limits

    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "app.yaml").write_text(
        "# readiness: ignore config/plaintext-secret -- no secret here\nname: x\n", encoding="utf-8")
    (tmp_path / "RUNBOOK.md").write_text("# Runbook\n<!-- readiness: ignore -- no id -->\n", encoding="utf-8")
    limits = Limits() if watchdog else Limits(gate_seconds=0)
    report = run(RunOptions(root=tmp_path, config=Config(), fail_on=FailOn.CRITICAL, gates=("config", "docs"),
                            limits=limits, today=TODAY))
    rules = {(f.rule, f.location.path) for g in report.gates for f in g.findings}
    assert ("config/unused-waiver", "config/app.yaml") in rules
    assert ("docs/invalid-waiver", "RUNBOOK.md") in rules
