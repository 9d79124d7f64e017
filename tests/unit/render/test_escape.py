"""render/escape.py: repository text becomes inert markdown/HTML."""

from __future__ import annotations

import re

import pytest
from markdown_it import MarkdownIt

from readiness.render import escape

MARKER = "<!-- readiness-gates:summary -->"

HOSTILE = [
    "db/migrations/V1__x\n## Injected heading\n@octocat.sql",
    "db/migrations/V2__`close``fence```.sql",
    "<script>alert(1)</script>",
    "[click](javascript:alert(1))",
    "![img](https://evil.example/pixel.png)",
    "x](javascript:alert(1))",
    "@acme/platform-team please look",
    "cc @octocat and someone@example.com",
    MARKER,
    "<!-- -->",
    "</details></summary><details open>",
    "see #123 and acme/other#7 and GH-42",
    "https://evil.example/x?a=1&b=2 and www.evil.example",
    "\x1b[31mred\x1b[0m\u202eevil\u2066x\u2069\x9b2J",
    "pipe|table|cell",
    "**bold** _em_ ~~strike~~ $x$ `code`",
    "a\r\nb\rc\u2028d\u2029e\x85f",
    "&lt;script&gt; already-escaped &amp;",
    "<img src=x onerror=alert(1)>",
    "\\](javascript:alert(1))",
]

# GitHub links @name when '@' is preceded by a non-word character and followed by [A-Za-z0-9].
MENTION_RE = re.compile(r"(?:^|[^\w`])@[A-Za-z0-9]")
ISSUE_REF_RE = re.compile(r"(?<!&)#\d")  # a numeric entity &#95; is not a reference
CONTROL_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


_MD = MarkdownIt("commonmark", {"html": True}).enable("table").enable("strikethrough")


def _render(md: str) -> str:
    """A CommonMark + tables + strikethrough parser with raw HTML on (as GitHub, before sanitising)."""
    html: str = _MD.render(md)  # markdown_it ships no types: its result is Any here
    return html


@pytest.mark.parametrize("hostile", HOSTILE)
@pytest.mark.parametrize("fn", [escape.inline, escape.prose, escape.html])
def test_hostile_text_is_inert(fn: object, hostile: str) -> None:
    out = fn(hostile)  # type: ignore[operator]
    assert "<" not in out, "no raw '<': it could open or close HTML or forge the marker"
    assert MARKER not in out
    assert "](" not in out, "no link or image destination can start"
    assert "\n" not in out and "\r" not in out, "inline text stays on one line"
    assert not MENTION_RE.search(out), "no @mention GitHub would link"
    assert not ISSUE_REF_RE.search(out), "no #123 reference GitHub would link"
    assert "://" not in out, "no autolinkable URL"
    assert not CONTROL_RE.search(out)


@pytest.mark.parametrize("hostile", HOSTILE)
def test_inline_renders_to_plain_text(hostile: str) -> None:
    """Rendered by a CommonMark parser with HTML on, the escaped text produces no element at all."""
    html = _render("prefix " + escape.inline(hostile) + " suffix")
    inner = html.removeprefix("<p>").removesuffix("</p>\n")
    assert "<" not in inner, html


@pytest.mark.parametrize("hostile", HOSTILE)
def test_prose_renders_only_code_elements(hostile: str) -> None:
    html = _render("prefix " + escape.prose(hostile) + " suffix")
    inner = html.removeprefix("<p>").removesuffix("</p>\n")
    assert re.sub(r"</?code>", "", inner).count("<") == 0, html


def test_prose_keeps_code_spans_and_escapes_the_rest() -> None:
    out = escape.prose("Rename `users.email` to <b>x</b>, see ``a`b`` and a lone ` tick")
    assert "`users.email`" in out
    assert "``a`b``" in out
    assert "&lt;b&gt;" in out
    assert "\\`" in out  # the unbalanced tick is literal
    html = _render(out)
    assert "<code>users.email</code>" in html and "<code>a`b</code>" in html


@pytest.mark.parametrize(("text", "length"), [
    ("plain", 1), ("a`b", 2), ("a``b", 3), ("```", 4), ("x````y`", 5),
])
def test_code_span_fence_is_longest_run_plus_one(text: str, length: int) -> None:
    span = escape.code_span(text)
    assert span.startswith("`" * length) and not span.startswith("`" * (length + 1))
    html = _render(span)
    assert html.count("<code>") == 1


@pytest.mark.parametrize("text", ["`", "``", "`x", "x`", " a ", "a|b", "line1\nline2", MARKER])
def test_code_span_round_trips_through_a_parser(text: str) -> None:
    html = _render("p " + escape.code_span(text) + " q")
    m = re.search(r"<code>(.*)</code>", html)
    assert m is not None, html
    shown = m.group(1).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").replace(escape.WJ, "")
    assert shown == escape.fold(text).replace("\n", " ")


def test_code_span_cannot_forge_the_marker_and_escapes_table_pipes() -> None:
    assert MARKER not in escape.code_span(MARKER)
    assert escape.code_span("a|b", table=True) == "`a\\|b`"


def test_code_fence_is_sized_to_content_and_cannot_be_closed() -> None:
    sql = "SELECT 1;\n```\n</details>\n````sql\nDROP TABLE users;"
    fenced = escape.code_fence(sql, "sql")
    first = fenced.split("\n", 1)[0]
    assert first == "`````sql"
    assert fenced.endswith("\n`````\n")
    html = _render(fenced + "\nafter\n")
    assert html.count("<pre>") == 1
    assert "<p>after</p>" in html
    assert "&lt;/details&gt;" in html


def test_code_fence_defaults_and_limits() -> None:
    assert escape.code_fence("x") == "```\nx\n```\n"
    assert escape.code_fence("x", "py thon<script>") == "```pythonscript\nx\n```\n"
    long = "\n".join(f"line {i}" for i in range(100))
    out = escape.code_fence(long, max_lines=5)
    assert "line 4\n" in out and "line 5\n" not in out and "95 more lines" in out
    assert MARKER not in escape.code_fence(MARKER)
    assert "\x1b" not in escape.code_fence("\x1b[2Jx")


def test_truncate_counts_source_characters_and_marks_the_cut() -> None:
    assert escape.truncate("abcdef", 4) == "abc…"
    assert escape.truncate("abcdef", 4, keep_end=True) == "…def"
    assert escape.truncate("abc", 3) == "abc"
    assert escape.truncate("abc", None) == "abc"
    # Escaping happens after the cut, so an entity is never cut in half.
    out = escape.inline("<" * 10, max_len=4)
    assert out == "&lt;&lt;&lt;…"


def test_newlines_are_folded_visibly() -> None:
    assert escape.inline("a\nb") == "a ⏎ b"
    assert escape.inline("a\r\nb") == "a ⏎ b"


def test_ordinary_text_stays_readable() -> None:
    assert escape.inline("Renaming users.email breaks readers.") == "Renaming users.email breaks readers."
    assert escape.inline("db/migrations/V1__init.sql") == "db/migrations/V1\\_\\_init.sql"


def test_url_path_percent_encodes_everything_that_could_end_a_link() -> None:
    url = escape.url_path("a b/(x)<y>#z?\n`.sql")
    assert re.fullmatch(r"[A-Za-z0-9/%._~-]+", url), url
    assert url.startswith("a%20b/%28x%29%3Cy%3E%23z%3F")


@pytest.mark.parametrize("hostile", HOSTILE)
def test_html_block_text_renders_as_text(hostile: str) -> None:
    """Inside <summary> (an HTML block) and, should markdown be parsed there, inside a paragraph."""
    out = escape.html(hostile)
    assert re.search(r"&#\D", out) is None, "entities are never split by a joiner"
    for html in (_render(f"<details>\n<summary>{out}</summary>\n\nx\n</details>\n"), _render(f"p {out}")):
        assert "<script" not in html and "<a " not in html and "<img" not in html and "<em>" not in html
    assert html_unescape(out).replace(escape.WJ, "") == escape.fold(escape.strip_controls(hostile, keep_newlines=True)
                                                                    ).replace("\t", " ")


def html_unescape(text: str) -> str:
    import html

    return html.unescape(text)
