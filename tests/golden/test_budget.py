"""Size budgets hold for a very large report, and rendering it stays fast."""

from __future__ import annotations

import time

from scenarios import LINKS, many_findings

from readiness.render.markdown import MARKER, render_comment, render_minimal, render_summary


def test_5000_findings_fit_comment_and_summary_fast() -> None:
    report = many_findings(5000)
    start = time.process_time()  # CPU time: wall time on a shared CI machine measures the neighbours
    comment = render_comment(report, links=LINKS)
    summary = render_summary(report, links=LINKS)
    minimal = render_minimal(report, links=LINKS)
    elapsed = time.process_time() - start
    assert len(comment) <= 60_000
    assert len(summary.encode("utf-8")) <= 1_000_000
    assert len(minimal) < 5_000
    assert elapsed < 2.0, f"rendering 5,000 findings took {elapsed:.2f} s"
    assert comment.startswith(MARKER) and comment.count(MARKER) == 1
    # Shortened, says so, and still lists blocking findings rather than falling straight to minimal.
    assert "Shortened to fit GitHub's comment size limit" in comment
    assert "### Blocking findings" in comment and comment.count("<!-- fp:") >= 10
    assert "job summary" in comment
    assert "Shortened to fit the 1 MiB job-summary limit" in summary
    assert summary.count("<!-- fp:") > comment.count("<!-- fp:")
