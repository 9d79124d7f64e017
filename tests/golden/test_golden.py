"""Golden files for every output format. `UPDATE_GOLDEN=1 pytest tests/golden` accepts new output.

Review a changed golden file as you would review code: it is what users see.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from scenarios import LINKS, SCENARIOS, lookup

from readiness.model import Report
from readiness.render.gitlab import render_gitlab
from readiness.render.json_report import render_json
from readiness.render.markdown import render_comment, render_minimal, render_summary
from readiness.render.sarif import render_sarif
from readiness.render.text import render_text

HERE = Path(__file__).parent
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"

FORMATS: dict[str, Callable[[Report], str]] = {
    "txt": lambda r: render_text(r, color=False),
    "comment.md": lambda r: render_comment(r, links=LINKS),
    "comment-nolinks.md": lambda r: render_comment(r),
    "comment-small.md": lambda r: render_comment(r, links=LINKS, budget=7_200),
    "summary.md": lambda r: render_summary(r, links=LINKS),
    "minimal.md": lambda r: render_minimal(r, links=LINKS),
    "json": render_json,
    "sarif": lambda r: render_sarif(r, rules=lookup),
    "gitlab": render_gitlab,
}
# Not every format is worth a file for every scenario.
SKIP = {("pass_clean", "comment-small.md"), ("preexisting_only", "comment-small.md"),
        ("hostile", "comment-small.md"), ("pass_clean", "comment-nolinks.md"),
        ("preexisting_only", "comment-nolinks.md"), ("scorecard", "comment-small.md"),
        ("scorecard", "comment-nolinks.md"), ("deps_review", "comment-small.md")}

CASES = [(s, f) for s in SCENARIOS for f in FORMATS if (s, f) not in SKIP]


@pytest.mark.parametrize(("scenario", "fmt"), CASES, ids=[f"{s}.{f}" for s, f in CASES])
def test_golden(scenario: str, fmt: str) -> None:
    rendered = FORMATS[fmt](SCENARIOS[scenario]())
    golden = HERE / f"{scenario}.{fmt}.golden"
    if UPDATE:
        golden.write_text(rendered, encoding="utf-8", newline="\n")
    assert golden.exists(), f"{golden.name} is missing: run UPDATE_GOLDEN=1 pytest tests/golden"
    expected = golden.read_text(encoding="utf-8")
    assert rendered == expected, f"{golden.name} differs: review, then UPDATE_GOLDEN=1 pytest tests/golden"


def test_no_stale_golden_files() -> None:
    """Every golden file belongs to a case, so a removed case does not leave a file behind."""
    expected = {f"{s}.{f}.golden" for s, f in CASES}
    present = {p.name for p in HERE.glob("*.golden")}
    assert present - expected == set()


def test_small_budget_golden_is_actually_shortened() -> None:
    """The comment-small golden must exercise the degradation path, not the full body."""
    text = (HERE / "fail_mixed.comment-small.md.golden").read_text(encoding="utf-8")
    assert len(text) <= 7_200
    assert "Shortened" in text and "low/info finding" in text
