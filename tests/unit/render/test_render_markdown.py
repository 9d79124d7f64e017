"""render/markdown.py: the sticky comment, its minimal fallback and the job summary."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from markdown_it import MarkdownIt

import factories
from readiness.model import (
    Confidence,
    FailOn,
    Finding,
    Report,
    Severity,
    Waiver,
)
from readiness.render.links import DEFAULT_DOCS_BASE as DOCS_BASE
from readiness.render.markdown import (
    MARKER,
    LinkContext,
    render_comment,
    render_minimal,
    render_summary,
)

LINKS = LinkContext(server_url="https://ghe.example.com/", repository="acme/api", head_sha="a" * 40)
FILE_PREFIX = "https://ghe.example.com/acme/api/blob/" + "a" * 40 + "/"
_MD = MarkdownIt("commonmark", {"html": True}).enable("table").enable("strikethrough")


def make(path: str = "db/migrations/V1__init.sql", severity: Severity = Severity.HIGH, *,
         rule: str = "migrations/rename-column", line: int | None = 3, end_line: int | None = None,
         message: str = "Renaming users.email breaks readers.", introduced: bool = True,
         waiver: Waiver | None = None, fp: str | None = None,
         confidence: Confidence = Confidence.CERTAIN) -> Finding:
    return factories.finding(rule, severity, path=path, line=line, end_line=end_line, message=message,
                             fix="Use expand/contract.", evidence=f"{message}{line}", fp=fp,
                             introduced=introduced, waiver=waiver, confidence=confidence)


def report(*findings: Finding, fail_on: FailOn = FailOn.HIGH, errors: dict[str, str] | None = None,
           errored_fail: tuple[str, ...] = ()) -> Report:
    return factories.report(*findings, fail_on=fail_on, errors=errors, errored_fail=errored_fail)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.comments: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)


ALLOWED_TAGS = {"p", "strong", "em", "code", "a", "ul", "li", "h3", "h4", "table", "thead", "tbody", "tr",
                "th", "td", "details", "summary", "br", "sub", "hr", "blockquote"}


def assert_inert(body: str) -> None:
    """What GitHub would render from `body` holds only our own markup."""
    assert body.startswith(MARKER + "\n")
    assert body.count(MARKER) == 1, "the marker cannot be forged by repository text"
    parsed = _Tags()
    parsed.feed(_MD.render(body))
    assert {t for t, _ in parsed.tags} <= ALLOWED_TAGS, {t for t, _ in parsed.tags} - ALLOWED_TAGS
    for tag, attrs in parsed.tags:
        if tag == "a":
            href = attrs.get("href") or ""
            assert href.startswith((DOCS_BASE, FILE_PREFIX)), href
        else:
            assert attrs == {} or tag in ("th", "td"), (tag, attrs)  # td/th carry table alignment only
    for comment in parsed.comments:
        assert comment == " readiness-gates:summary " or re.fullmatch(r" fp:[0-9A-Za-z]* ", comment), comment
    assert sum(1 for t, _ in parsed.tags if t == "details") == body.count("\n<details>\n")
    text = re.sub(r"`+[^`]*`+", "", body)  # mentions and references are not linked inside code spans
    text = re.sub(r"\]\([^)]*\)", "]", text)  # our own link destinations
    assert not re.search(r"(?:^|[^\w`])@[A-Za-z0-9]", text)
    assert not re.search(r"(?<![&\w])#\d", text)
    assert "://" not in text


HOSTILE_PATHS = [
    "db/migrations/V1__x\n## Injected heading\n@octocat.sql",
    "db/migrations/V2__`close``fence```.sql",
    "db/migrations/<script>alert(1)</script>.sql",
    "db/migrations/[click](javascript:alert(1)).sql",
    "db/migrations/@acme/platform-team.sql",
    "db/migrations/<!-- readiness-gates:summary -->.sql",
    "db/migrations/see #123 https://evil.example.sql",
    "db/migrations/</details><details open><summary>x</summary>.sql",
    "db/migrations/pipe|cell.sql",
    "db/migrations/\x1b[2J\u202eevil.sql",
]


@pytest.mark.parametrize("path", HOSTILE_PATHS)
def test_hostile_path_renders_inert_in_every_section(path: str) -> None:
    fs = [
        make(path, Severity.CRITICAL, message=f"blocking in {path}"),
        make(path, Severity.LOW, message=f"advisory `{path}` <b>", line=4),
        make(path, Severity.HIGH, introduced=False, line=5),
        make(path, Severity.HIGH, line=6, waiver=Waiver(reason=f"ok by @octocat for {path}", source="inline")),
    ]
    r = report(*fs, errors={"deps": f"cannot read {path}"}, errored_fail=("deps",))
    assert_inert(render_comment(r, links=LINKS))
    assert_inert(render_comment(r))
    assert_inert(render_minimal(r, links=LINKS))
    assert_inert(MARKER + "\n" + render_summary(r, links=LINKS))


def test_fingerprint_cannot_close_its_comment() -> None:
    body = render_comment(report(make(fp="abc --> <script>x</script> <!--")), links=LINKS)
    assert "<!-- fp:abcscriptxscript -->" in body
    assert_inert(body)


def test_verdict_first_then_gate_table_then_findings() -> None:
    r = report(make(severity=Severity.CRITICAL), make("requirements.txt", Severity.MEDIUM,
                                                      rule="deps/unpinned-requirement"))
    body = render_comment(r, links=LINKS)
    lines = body.splitlines()
    assert lines[0] == MARKER
    assert lines[1] == "❌ **readiness-gates: FAIL** — 1 blocking finding at or above `high`"
    assert body.index("| Gate | Status |") < body.index("### Blocking findings (1)") < body.index("<details>")
    assert "| Migration risk | ❌ fail | 1 | 0 | 0 | 0 | 0 | 0 |" not in body  # status comes from the gate
    assert "| Migration risk | ✅ pass | 1 | 0 | 0 | 0 | 0 | 0 migrations |" in body
    assert "<summary>1 finding below the high threshold</summary>" in body
    assert "readiness: ignore <rule-id> -- <reason>" in body and "`waivers:`" in body


def test_pass_says_so_clearly() -> None:
    body = render_comment(report(), links=LINKS)
    assert "✅ **readiness-gates: PASS** — no blocking findings at or above `high`" in body
    assert "All 4 gates that ran found nothing to report." in body
    assert "<details>" not in body
    body = render_comment(report(make(severity=Severity.LOW)), links=LINKS)
    assert "PASS" in body and "Nothing blocks this pull request." in body


def test_fail_on_never_and_gate_errors() -> None:
    body = render_comment(report(make(severity=Severity.CRITICAL), fail_on=FailOn.NEVER))
    assert "PASS** — nothing blocks (`fail-on: never`)" in body
    body = render_comment(report(errors={"deps": "pip-audit timed out"}, errored_fail=("deps",)))
    assert "FAIL** — gate `deps` could not run (`on_error: fail`)" in body
    assert "- **Dependency audit** could not run: pip-audit timed out. This fails the check" in body


def test_links_point_at_the_head_commit_line_and_the_rule_page() -> None:
    body = render_comment(report(make("a b/c.sql", line=3, end_line=5), make("d.sql", line=None)), links=LINKS)
    assert f"[lines 3–5]({FILE_PREFIX}a%20b/c.sql#L3-L5)" in body
    assert f"[whole file]({FILE_PREFIX}d.sql)" in body
    assert f"[`migrations/rename-column`]({DOCS_BASE}checks/migrations/rename-column.md)" in body
    assert "/blob/" + "a" * 40 not in render_comment(report(make()))  # no context, no file links


def test_waived_preexisting_heuristic_are_labelled() -> None:
    r = report(make(waiver=Waiver(reason="backup in OPS-1", source="config")),
               make("b.sql", introduced=False),
               make("c.sql", Severity.CRITICAL, confidence=Confidence.HEURISTIC))
    body = render_comment(r)
    assert "<summary>1 waived finding</summary>" in body
    assert "**Waived** (`.readiness.yml`): backup in OPS-1" in body
    assert "<summary>1 pre-existing finding in files this PR does not change</summary>" in body
    assert "**critical** _(heuristic)_" in body


def test_every_listed_finding_carries_its_fingerprint() -> None:
    fs = [make(f"f{i}.sql", line=i) for i in range(1, 6)]
    body = render_comment(report(*fs))
    for f in fs:
        assert f"<!-- fp:{f.fingerprint} -->" in body


def _one_file(n: int, severity: Severity = Severity.CRITICAL) -> list[Finding]:
    return [make("db/big.sql", severity, line=i, message=f"statement {i} " + "x" * 200) for i in range(1, n + 1)]


def test_degrades_first_by_hiding_low_and_info() -> None:
    fs = _one_file(5) + [make("db/minor.sql", Severity.LOW, line=i, message="m" * 300) for i in range(1, 60)]
    full = render_comment(report(*fs))
    budget = len(full) - 1
    body = render_comment(report(*fs), budget=budget)
    assert len(body) <= budget
    assert "59 low/info findings outside the blocking list (counted, not listed)" in body
    assert body.count("statement ") == 5  # blocking findings all still listed
    assert "job summary" in body


def test_then_truncates_per_file() -> None:
    fs = _one_file(300)
    body = render_comment(report(*fs), budget=20_000)
    assert len(body) <= 20_000
    m = re.search(r"- _… and (\d+) more in db/big\.sql_", body)
    assert m is not None
    listed = body.count("statement ")
    assert listed + int(m.group(1)) == 300
    assert f"{300 - listed} findings beyond the first {listed} per file" in body


def test_then_falls_back_to_minimal() -> None:
    fs = [make(f"f{i}.sql", Severity.CRITICAL, message="x" * 500) for i in range(100)]
    body = render_comment(report(*fs), budget=3_000)
    assert body == render_minimal(report(*fs))
    assert "100 findings in all." in body and "job summary" in body


@pytest.mark.parametrize("budget", [200, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000])
def test_never_over_budget(budget: int) -> None:
    fs = _one_file(150) + [make(p, Severity.MEDIUM, message=p * 20) for p in HOSTILE_PATHS]
    body = render_comment(report(*fs, errors={"config": "e" * 5000}), links=LINKS, budget=budget)
    assert len(body) <= budget
    assert body.startswith(MARKER)


def test_minimal_is_short_even_with_hostile_gate_errors() -> None:
    evil = ("<!-- readiness-gates:summary --> @octocat `" * 500)
    r = report(*_one_file(50), errors=dict.fromkeys(("migrations", "deps", "config", "docs"), evil),
               errored_fail=("migrations", "deps", "config", "docs"))
    body = render_minimal(r, links=LINKS)
    assert len(body) < 5_000
    assert_inert(body)
    assert "full report is in the job summary" in body


def test_summary_has_no_marker_lists_everything_and_counts_bytes() -> None:
    fs = [make(f"f{i}.sql", Severity.LOW, message="名前" * 100) for i in range(40)]
    full = render_summary(report(*fs))
    assert not full.startswith(MARKER)
    assert full.count("<!-- fp:") == 40  # low findings are listed in the summary
    small = render_summary(report(*fs), budget_bytes=len(full.encode()) // 2)
    assert len(small.encode("utf-8")) <= len(full.encode()) // 2
    assert f"Shortened to fit a {len(full.encode()) // 2:,}-byte limit" in small
    assert "JSON report" in small
    tiny = render_summary(report(*fs), budget_bytes=300)
    assert len(tiny.encode("utf-8")) <= 300
