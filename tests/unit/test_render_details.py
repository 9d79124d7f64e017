"""Every gate's extra output is rendered (in the job summary), or it is a test failure."""

from __future__ import annotations

from pathlib import Path

import pytest

from readiness.config import Config
from readiness.engine import RunOptions, run
from readiness.model import FailOn
from readiness.render.details import RENDERED
from readiness.render.markdown import render_comment, render_summary

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo"


def test_every_extra_key_a_gate_emits_on_the_demo_is_rendered_in_the_summary() -> None:
    report = run(RunOptions(root=DEMO, config=Config(), fail_on=FailOn.CRITICAL))
    emitted = {(g.gate, key) for g in report.gates for key in g.extra}
    assert {gate for gate, _ in emitted} >= {"config", "docs", "checklist"}
    unrendered = sorted(f"{gate}.{key}" for gate, key in emitted if key not in RENDERED.get(gate, {}))
    assert unrendered == [], f"render these in readiness.render.details, or stop computing them: {unrendered}"
    summary = render_summary(report)
    assert "<summary>What each gate looked at</summary>" in summary
    assert "config files paired with a schema:" in summary and "checklist: `readiness-checklist.yml`" in summary
    assert "What each gate looked at" not in render_comment(report)  # the comment stays short


def test_deps_database_details_read_as_sentences() -> None:
    from readiness.render.details import RENDERED

    text = RENDERED["deps"]["database"]({"records": 7089, "packages": 1200, "load_ms": 12.4, "from_cache": True,
                                         "newest_record": "2026-11-30T10:00:00Z", "age_days": 3.2})
    assert text == ("offline database: 7,089 records for 1,200 packages, loaded in 12 ms (from its cache); "
                    "newest record modified 2026-11-30, 3 days ago")
    assert "<b>" not in RENDERED["deps"]["data_notes"](["<b>x</b>"])  # repository text is escaped


def test_the_deps_gate_extra_with_an_offline_database_is_rendered(tmp_path: Path) -> None:
    db = DEMO.parents[2] / "shared" / "data" / "osv-pypi"
    if not db.is_dir():
        pytest.skip("../shared/data/osv-pypi is not beside the repository")
    (tmp_path / "requirements.txt").write_text("jinja2==2.10\n")
    report = run(RunOptions(root=tmp_path, config=Config(), fail_on=FailOn.CRITICAL, gates=("deps",), offline_db=db))
    (deps,) = [g for g in report.gates if g.gate == "deps"]
    assert {"service", "files", "database"} <= set(deps.extra) and set(deps.extra) <= set(RENDERED["deps"])
    summary = render_summary(report)
    assert "vulnerability data from `offline`" in summary and "offline database:" in summary
