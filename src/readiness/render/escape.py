"""The one place where repository text is made safe for markdown and HTML.

Everything that came from the repository (paths, messages that quote SQL or keys, waiver reasons,
gate errors) goes through a function here before it reaches the PR comment, the job summary or a
check-run text. The output is *inert*: it cannot open or close HTML, start a link or an image,
mention a person or team, reference an issue, become an autolink, forge our hidden comment marker,
or break out of a code span or fence (fences are sized to the content, after reviewdog's
`GetCodeFenceLength`).

The functions are pure and bounded: truncation happens on the raw text, before escaping, so an
escape sequence is never cut in half.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import quote

from readiness import lazyre

WJ = "\u2060"
"""WORD JOINER: zero width, invisible, and breaks GitHub's mention/reference/autolink patterns."""

ELLIPSIS = "…"
NEWLINE_MARK = " ⏎ "
"""What a newline becomes in inline text: visible, so a folded path is not mistaken for another."""

# C0 controls except tab/newline/CR, DEL, C1 controls, bidi embeddings/overrides/isolates ("Trojan
# source"), and the line/paragraph separators that some renderers treat as newlines.
_CONTROL_RE = lazyre.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_NEWLINES_RE = lazyre.compile("\r\n|[\r\n\u2028\u2029\x85]")
# Markdown metacharacters that act mid-line, escaped with a backslash. `(` and `)` so that no `](`
# can appear; `$` for GitHub math; `|` for table cells. Line-start syntax (`#`, `-`, `>`, `1.`) needs
# nothing: inline text is never placed at the start of a line.
_MD_SPECIAL = frozenset("\\`*_[]()|~$")
_MD_SPECIAL_RE = lazyre.compile("[" + re.escape("".join(sorted(_MD_SPECIAL))) + "]")
_HTML_TRANSLATION = {ord("&"): "&amp;", ord("<"): "&lt;", ord(">"): "&gt;", ord('"'): "&quot;"}
# In HTML blocks markdown is not parsed, but numeric entities keep the text inert even where it is.
_HTML_BLOCK_TRANSLATION = {**_HTML_TRANSLATION, **{ord(c): f"&#{ord(c)};" for c in _MD_SPECIAL}}
# GitHub links these on the *rendered* text, so entities or backslashes do not stop them. `@` and `#`
# (mentions, e-mail autolinks, #123, owner/repo#123) and `://` are broken with plain replaces; the
# rarer patterns are only searched for when a cheap substring test says they may be there.
_RARE = (
    ("gh-", re.compile(r"(?i)\b(gh)-(?=\d)"), r"\1" + WJ + "-"),                           # GH-123
    ("www", re.compile(r"(?i)\b(www)\."), r"\1" + WJ + "."),                               # www.example.com
    (":", re.compile(r"(?i)\b(javascript|data|vbscript|mailto):"), r"\1" + WJ + ":"),      # schemes without //
)
_MARKER_OPEN = "<!--"
_MARKER_SAFE = "<!" + WJ + "--"
_BACKTICK_RUN_RE = lazyre.compile(r"`+")
_LANG_RE = lazyre.compile(r"[^A-Za-z0-9_+.-]")


def strip_controls(value: str, *, keep_newlines: bool = False) -> str:
    """Remove control, bidi-override and zero-width-no-break characters; tabs become spaces.

    With `keep_newlines`, every newline form becomes `\\n`; otherwise they are removed too
    (use `fold` first to keep them visible).
    """
    value = _NEWLINES_RE.sub("\n" if keep_newlines else "", value)
    value = value.replace("\t", "    " if keep_newlines else " ")
    return _CONTROL_RE.sub("", value)


def fold(value: str) -> str:
    """Newlines (any form) become a visible ` ⏎ ` so the text stays on one line."""
    return _NEWLINES_RE.sub(NEWLINE_MARK, value)


def truncate(value: str, max_len: int | None, *, keep_end: bool = False) -> str:
    """At most `max_len` characters, the cut marked with an ellipsis.

    `keep_end` keeps the tail (for paths, whose file name matters most).
    """
    if max_len is None or len(value) <= max_len:
        return value
    if max_len <= 1:
        return ELLIPSIS[:max_len]
    if keep_end:
        return ELLIPSIS + value[len(value) - (max_len - 1):]
    return value[: max_len - 1] + ELLIPSIS


def neutralise(value: str) -> str:
    """Break @mentions, issue references, autolinks and URL schemes with invisible joiners."""
    value = value.replace("@", "@" + WJ).replace("#", "#" + WJ).replace("://", ":" + WJ + "//")
    lowered = value.lower()
    for probe, pattern, repl in _RARE:
        if probe in lowered:
            value = pattern.sub(repl, value)
    return value


def _prepare(value: object, max_len: int | None, keep_end: bool) -> str:
    return truncate(strip_controls(fold(str(value))), max_len, keep_end=keep_end)


def inline(value: object, *, max_len: int | None = None, keep_end: bool = False) -> str:
    """Repository text for a markdown paragraph, list item, heading, link text or table cell.

    One line; markdown metacharacters backslash-escaped; `<`, `>`, `&`, `"` as entities; mentions,
    references and autolinks neutralised. `max_len` bounds the *source* characters shown.
    """
    return _inline_prepared(_prepare(value, max_len, keep_end))


def prose(value: object, *, max_len: int | None = None) -> str:
    """Like `inline`, but backtick code spans in the text stay code spans (re-fenced safely).

    For messages and fixes, which name objects in backticks ("`users.email`"). A backtick run with
    no closing run of the same length is literal text, as in CommonMark.
    """
    text = _prepare(value, max_len, False)
    runs = list(_BACKTICK_RUN_RE.finditer(text))
    closer: list[int | None] = [None] * len(runs)
    last: dict[int, int] = {}
    for i in range(len(runs) - 1, -1, -1):
        width = len(runs[i].group(0))
        closer[i] = last.get(width)
        last[width] = i
    out: list[str] = []
    plain_from = 0
    i = 0
    while i < len(runs):
        j = closer[i]
        if j is None:
            i += 1
            continue
        out.append(_inline_prepared(text[plain_from:runs[i].start()]))
        out.append(code_span(text[runs[i].end():runs[j].start()]))
        plain_from = runs[j].end()
        i = j + 1
    out.append(_inline_prepared(text[plain_from:]))
    return "".join(out)


def _inline_prepared(text: str) -> str:
    text = _MD_SPECIAL_RE.sub(r"\\\g<0>", neutralise(text))
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def html(value: object, *, max_len: int | None = None, keep_end: bool = False) -> str:
    """Repository text inside an HTML block (e.g. `<summary>`), where markdown is not parsed."""
    return neutralise(_prepare(value, max_len, keep_end)).translate(_HTML_BLOCK_TRANSLATION)


def fence_length(value: str, minimum: int = 1) -> int:
    """Backticks needed to fence `value`: one more than its longest backtick run, at least `minimum`."""
    longest = max((len(m.group(0)) for m in _BACKTICK_RUN_RE.finditer(value)), default=0)
    return max(minimum, longest + 1)


def code_span(value: object, *, max_len: int | None = None, table: bool = False) -> str:
    """Repository text as an inline code span that nothing inside can close.

    Code spans are literal (no mentions, links or HTML), so only backticks, newlines, our marker
    and, in a table cell, `|` need care.
    """
    text = _prepare(value, max_len, False).replace(_MARKER_OPEN, _MARKER_SAFE)
    if table:
        text = text.replace("|", "\\|")
    if not text.strip():
        text = text or " "
        return f"`{text}`"
    ticks = "`" * fence_length(text)
    if text.startswith("`") or text.endswith("`") or (text.startswith(" ") and text.endswith(" ")):
        text = f" {text} "
    return f"{ticks}{text}{ticks}"


def code_fence(value: object, lang: str = "", *, max_lines: int | None = None) -> str:
    """A fenced code block (ending with a newline) that no line of `value` can close."""
    text = strip_controls(str(value), keep_newlines=True).replace(_MARKER_OPEN, _MARKER_SAFE)
    if max_lines is not None:
        lines = text.split("\n")
        if len(lines) > max_lines:
            text = "\n".join(lines[:max_lines]) + f"\n{ELLIPSIS} {len(lines) - max_lines} more lines"
    if not text.endswith("\n"):
        text += "\n"
    fence = "`" * fence_length(text, minimum=3)
    return f"{fence}{_LANG_RE.sub('', lang)[:20]}\n{text}{fence}\n"


@lru_cache(maxsize=4096)
def url_path(path: str) -> str:
    """A repository path percent-encoded for a URL (keeps `/`; encodes `(`, `)`, spaces, `#`, ...)."""
    return quote(strip_controls(fold(path)), safe="/")
