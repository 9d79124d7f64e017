"""Reading documents once, and resolving the links between them.

`DocReader` reads every markdown file through the Workspace (a refusal becomes one
`docs/unreadable-file` finding per file) and parses it once, because an ADR, a runbook and the
anchor of an alert's `runbook_url` may all be the same file.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from urllib.parse import unquote

from readiness import lazyre
from readiness.gates.base import unreadable
from readiness.gates.docs.markdown import MarkdownDoc, parse
from readiness.gates.docs.rules import BROKEN_LINK, INVALID_FRONT_MATTER, UNREADABLE_FILE
from readiness.model import Finding, Location
from readiness.workspace import FileProblem, Workspace

_SCHEME_RE = lazyre.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
_TEMPLATED_RE = lazyre.compile(r"\{\{|\{%|\$\{|%s|\$labels|\$value")
DOC_SUFFIXES = (".md", ".mdx", ".markdown")


@dataclass(slots=True)
class DocReader:
    """Reads and parses repository markdown once per path; collects the findings that causes."""

    ws: Workspace
    """The repository."""
    findings: list[Finding] = field(default_factory=list)
    """unreadable-file and invalid-front-matter findings, one per file."""
    _docs: dict[str, MarkdownDoc | None] = field(default_factory=dict)

    def text(self, rel: str) -> str | None:
        """The file's text, or None after recording why it could not be read."""
        try:
            return self.ws.read_text(rel)
        except FileProblem as problem:
            self.findings.append(unreadable(UNREADABLE_FILE, problem))
            return None

    def markdown(self, rel: str) -> MarkdownDoc | None:
        """The parsed document (None when unreadable)."""
        if rel in self._docs:
            return self._docs[rel]
        text = self.text(rel)
        doc = None if text is None else parse(text)
        fm = doc.front_matter if doc else None
        if fm is not None and fm.error:
            self.findings.append(INVALID_FRONT_MATTER.finding(
                Location(path=rel, line=fm.error_line),
                message=f"The front matter of {rel} is not readable YAML ({fm.error}), so its fields "
                        "(status, date, title) were ignored.",
                evidence=fm.error))
        self._docs[rel] = doc
        return doc


def is_external(href: str) -> bool:
    """A URL with a scheme (https:, mailto:, ...) or protocol-relative (`//host`)."""
    return bool(_SCHEME_RE.match(href)) or href.startswith("//")


def is_templated(href: str) -> bool:
    """A link built by a template engine ({{ }}, ${...}, %s, $labels), which cannot be resolved."""
    return bool(_TEMPLATED_RE.search(href))


def split_fragment(href: str) -> tuple[str, str]:
    """(path without query, fragment)."""
    path, _, frag = href.partition("#")
    path = path.split("?", 1)[0]
    return unquote(path), unquote(frag)


def candidates(ws: Workspace, target: str) -> str | None:
    """The repository file (or directory) a documentation link lands on, allowing the forms that
    documentation sites accept: an extension left out, a directory with README/index."""
    target = target.rstrip("/")
    if target in ("", "."):
        return ""
    tries = [target, *(target + s for s in DOC_SUFFIXES)]
    for t in tries:
        if ws.exists(t):
            return t
    return None


def resolve_relative(ws: Workspace, from_path: str, path: str) -> tuple[str | None, bool]:
    """Resolve a link path written in `from_path`: (repository path or None, certain).

    `certain` is False for root-absolute links (`/x`), which documentation sites map to their own
    roots: those are only reported when nothing plausible matches.
    """
    if path.startswith("/"):
        rel = posixpath.normpath(path.lstrip("/"))
        for base in ("", "docs/", "doc/"):
            found = candidates(ws, base + rel)
            if found is not None:
                return found, False
        return None, False
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(from_path), path))
    if joined == ".." or joined.startswith("../"):
        return None, True
    return candidates(ws, "" if joined == "." else joined), True


def broken_links(ws: Workspace, rel: str, doc: MarkdownDoc) -> list[Finding]:
    """A finding for every relative link or image in `doc` whose target does not exist."""
    out: list[Finding] = []
    for link in doc.links:
        href = link.href.strip()
        if not href or href.startswith("#") or is_external(href) or is_templated(href):
            continue
        path, _frag = split_fragment(href)
        if not path:
            continue
        found, certain = resolve_relative(ws, rel, path)
        if found is not None or not certain:
            continue
        what = "image" if link.image else "link"
        out.append(BROKEN_LINK.finding(
            Location(path=rel, line=link.line),
            message=f"The {what} to {href} in {rel} points at a file that does not exist in the repository.",
            evidence=href))
    return out
