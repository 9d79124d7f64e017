"""Markdown structure for the docs gate: front matter, headings (with GitHub anchors), links, prose.

Parsed with markdown-it-py (CommonMark): a real parser, so a `## Status` inside a code fence is
not a heading, a link in a table or a reference-style link is still a link, and every block token
carries a line map that findings point at. The library is imported lazily (inside `parse`) so
that `readiness --version` does not pay for it.

Front matter (`---` ... `---` at the very top, as Jekyll, Hugo, MADR 3+ and log4brains write it)
is cut off by hand, parsed with `readiness.yamlpos` (positions, bounded aliases), and replaced by
blank lines so markdown line numbers stay the file's line numbers.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from readiness import lazyre
from readiness.yamlpos import YamlError, load_one

_FRONT_RE = lazyre.compile(r"\A---[ \t]*\r?\n")
_FRONT_END_RE = lazyre.compile(r"^(?:---|\.\.\.)[ \t]*\r?$", re.MULTILINE)
_A_TAG_RE = lazyre.compile(r"<a\s", re.IGNORECASE)
_ANCHOR_ATTR_RE = lazyre.compile(r"""\b(?:name|id)[ \t\r\n]*+=[ \t\r\n]*+["']?([^"'\s>]++)""", re.IGNORECASE)
MAX_TAG_CHARS = 2048
"""An `<a ...>` tag is read up to this many characters (its attributes are in there)."""
_SIMPLE_KEY_RE = lazyre.compile(r"^([A-Za-z][\w-]*+)[ \t]*+:(.*)$")
MAX_FRONT_MATTER_LINES = 400


@dataclass(frozen=True, slots=True)
class Heading:
    """One ATX or setext heading."""

    level: int
    """1 for `#`, 2 for `##`, ..."""
    text: str
    """The heading's plain text (markup removed)."""
    line: int
    """1-based line of the heading."""
    end: int
    """1-based last line of its section (before the next heading of the same or a higher level)."""


@dataclass(frozen=True, slots=True)
class Link:
    """A link or image target."""

    href: str
    """The destination as written (entities decoded by the parser)."""
    line: int
    """1-based line."""
    image: bool = False
    """True for `![alt](src)`."""


@dataclass(frozen=True, slots=True)
class FrontMatter:
    """The YAML block at the top of a file."""

    value: dict[str, Any] | None
    """The mapping; None when it is not a mapping or did not parse."""
    lines: dict[str, int]
    """1-based line of each top-level key."""
    error: str | None = None
    """Why it did not parse."""
    error_line: int = 1
    """Where (1-based)."""


@dataclass(frozen=True, slots=True)
class MarkdownDoc:
    """A parsed markdown file."""

    lines: tuple[str, ...]
    """The source lines (front matter included), without line ends."""
    headings: tuple[Heading, ...]
    """Headings in order."""
    links: tuple[Link, ...]
    """Links and images in order."""
    prose: tuple[tuple[int, str], ...]
    """Paragraph and heading text per line, code excluded: (1-based line, text)."""
    code: tuple[tuple[int, str], ...]
    """Code blocks: (1-based first line, content)."""
    code_lines: frozenset[int]
    """1-based lines that belong to code blocks (fences included)."""
    anchors: frozenset[str]
    """Every `#fragment` GitHub serves for this file: heading slugs and explicit `<a name/id>`."""
    front_matter: FrontMatter | None = None
    """The front matter, when the file starts with one."""
    body_start: int = 1
    """First line after the front matter."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Reserved for callers."""
    inline_code: tuple[tuple[int, str], ...] = ()
    """Inline code spans: (1-based line, content)."""
    list_items: tuple[tuple[int, bool], ...] = ()
    """List items: (1-based line, True when the list is ordered)."""

    def section(self, heading: Heading) -> list[tuple[int, str]]:
        """The raw lines under a heading, up to the end of its section: (1-based line, text)."""
        return [(n, self.lines[n - 1]) for n in range(heading.line + 1, heading.end + 1)
                if n - 1 < len(self.lines)]

    def title(self) -> Heading | None:
        """The first level-1 heading."""
        return next((h for h in self.headings if h.level == 1), None)


def html_anchors(html: str) -> list[str]:
    """The `name`/`id` of every `<a ...>` tag in an HTML fragment, lower-cased. Linear: each tag
    is read only up to its `>` (or MAX_TAG_CHARS), never to the end of the text again."""
    out: list[str] = []
    for tag in _A_TAG_RE.finditer(html):
        start, limit = tag.end(), tag.end() + MAX_TAG_CHARS
        # a tag ends at `>`; a `<` starts the next one: every character is read for one tag at most
        ends = [i for i in (html.find(">", start, limit), html.find("<", start, limit)) if i >= 0]
        attrs = html[start: min(ends) if ends else limit]
        m = _ANCHOR_ATTR_RE.search(attrs)
        if m:
            out.append(m.group(1).lower())
    return out


def github_slug(text: str) -> str:
    """The anchor GitHub gives a heading (github-slugger): lower-cased; letters, marks, numbers,
    `_` and `-` kept; other punctuation and emoji dropped; each space becomes `-`."""
    out = []
    for ch in text.strip().lower():
        if ch == " ":
            out.append("-")
        elif ch in "-_" or unicodedata.category(ch)[0] in "LMN" or unicodedata.category(ch) == "Pc":
            out.append(ch)
    return "".join(out)


def split_front_matter(text: str) -> tuple[FrontMatter | None, str, int]:
    """(front matter, text with the front matter blanked out, first body line)."""
    if not _FRONT_RE.match(text):
        return None, text, 1
    first_nl = text.index("\n") + 1
    end = _FRONT_END_RE.search(text, first_nl)
    if end is None:
        return None, text, 1
    block = text[first_nl:end.start()]
    n_lines = block.count("\n") + 2  # opening and closing fences
    if n_lines > MAX_FRONT_MATTER_LINES:
        return FrontMatter(None, {}, "front matter is too long; not read", 1), text, 1
    close_end = text.find("\n", end.start())
    rest = "" if close_end == -1 else text[close_end + 1:]
    blanked = "\n" * n_lines + rest
    try:
        doc = load_one(block)
    except YamlError as exc:
        # keep the simple `key: value` lines, so one bad field does not hide status and date
        simple: dict[str, Any] = {}
        simple_lines: dict[str, int] = {}
        for i, raw in enumerate(block.splitlines(), start=2):
            m = _SIMPLE_KEY_RE.match(raw)
            if m and m.group(1) not in simple:
                simple[m.group(1)] = m.group(2).strip().strip("'\"")
                simple_lines[m.group(1)] = i
        return FrontMatter(simple, simple_lines, str(exc), (exc.line or 1) + 1), blanked, n_lines + 1
    if not isinstance(doc.value, dict):
        return FrontMatter(None, {}, None if doc.value is None else "front matter is not a mapping", 2), \
            blanked, n_lines + 1
    lines = {str(k[0]): p.line + 1 for k, p in doc.keys.items() if len(k) == 1}
    return FrontMatter({str(k): v for k, v in doc.value.items()}, lines), blanked, n_lines + 1


def _inline_text(children: list[Any]) -> str:
    parts: list[str] = []
    for child in children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(_inline_text(child.children or []))
    return "".join(parts)


def parse(text: str) -> MarkdownDoc:
    """Parse markdown text (CommonMark, HTML allowed) into headings, links and prose."""
    from markdown_it import MarkdownIt

    front, body, body_start = split_front_matter(text)
    md = MarkdownIt("commonmark").enable("table")
    tokens = md.parse(body)
    lines = tuple(text.splitlines())
    raw_headings: list[tuple[int, str, int]] = []
    links: list[Link] = []
    prose: list[tuple[int, str]] = []
    code: list[tuple[int, str]] = []
    code_lines: set[int] = set()
    anchors: set[str] = set()
    inline_code: list[tuple[int, str]] = []
    list_items: list[tuple[int, bool]] = []
    ordered: list[bool] = []
    pending_level = 0
    for tok in tokens:
        start = tok.map[0] + 1 if tok.map else 1
        if tok.type == "heading_open":
            pending_level = int(tok.tag[1:])
            continue
        if tok.type in ("ordered_list_open", "bullet_list_open"):
            ordered.append(tok.type == "ordered_list_open")
            continue
        if tok.type in ("ordered_list_close", "bullet_list_close"):
            if ordered:
                ordered.pop()
            continue
        if tok.type == "list_item_open":
            list_items.append((start, bool(ordered and ordered[-1])))
            continue
        if tok.type in ("fence", "code_block"):
            if tok.map:
                code_lines.update(range(tok.map[0] + 1, tok.map[1] + 1))
            code.append((start + (1 if tok.type == "fence" else 0), tok.content))
            continue
        if tok.type == "html_block":
            anchors.update(html_anchors(tok.content))
            continue
        if tok.type != "inline":
            continue
        children = tok.children or []
        if pending_level:
            raw_headings.append((pending_level, _inline_text(children).strip(), start))
            pending_level = 0
        line = start
        for child in children:
            if child.type in ("softbreak", "hardbreak"):
                line += 1
            elif child.type == "text":
                if child.content.strip():
                    prose.append((line, child.content))
            elif child.type == "link_open":
                links.append(Link(str(child.attrGet("href") or ""), line))
            elif child.type == "image":
                links.append(Link(str(child.attrGet("src") or ""), line, image=True))
            elif child.type == "html_inline":
                anchors.update(html_anchors(child.content))
            elif child.type == "code_inline":
                inline_code.append((line, child.content))
    # a section ends where the next heading of its level or above starts: one pass, with the
    # headings whose end is not known yet on a stack (their levels increase towards the top)
    ends = [len(lines)] * len(raw_headings)
    open_sections: list[int] = []
    for i, (level, _t, hline) in enumerate(raw_headings):
        while open_sections and raw_headings[open_sections[-1]][0] >= level:
            ends[open_sections.pop()] = hline - 1
        open_sections.append(i)
    headings = []
    seen: dict[str, int] = {}
    for (level, htext, hline), end in zip(raw_headings, ends, strict=True):
        headings.append(Heading(level, htext, hline, end))
        slug = github_slug(htext)
        count = seen.get(slug, 0)
        anchors.add(slug if count == 0 else f"{slug}-{count}")
        seen[slug] = count + 1
    return MarkdownDoc(lines=lines, headings=tuple(headings), links=tuple(links), prose=tuple(prose),
                       code=tuple(code), code_lines=frozenset(code_lines), anchors=frozenset(anchors),
                       front_matter=front, body_start=body_start, inline_code=tuple(inline_code),
                       list_items=tuple(list_items))
