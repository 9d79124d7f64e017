"""Runbooks: which files they are, and whether each one is more than a placeholder.

Default required sections follow the shape of the runbooks that on-call teams keep
(prometheus-operator and OpenShift runbooks: Meaning / Impact / Diagnosis / Mitigation; the SRE
playbook anatomy): how the problem shows (symptoms), how to find the cause (diagnosis), and how to
stop the bleeding (mitigation or rollback). Headings match by synonym stems, so "Troubleshooting",
"How to roll back" or "Remediation steps" all count.
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence

from readiness.gates.docs.links import DocReader, broken_links
from readiness.gates.docs.markdown import MarkdownDoc
from readiness.gates.docs.rules import RUNBOOK_MISSING_SECTION, RUNBOOK_PLACEHOLDER
from readiness.gates.docs.sections import default_groups, groups_from_config, meaningful, missing_groups
from readiness.model import Finding, Location
from readiness.workspace import Workspace

DEFAULT_RUNBOOK_GLOBS = ("RUNBOOK.md", "runbook.md", "Runbook.md", "RUNBOOK.markdown", "docs/RUNBOOK.md",
                         "docs/runbook.md", "docs/runbooks/**/*.md", "runbooks/**/*.md",
                         "doc/runbooks/**/*.md", "docs/playbooks/**/*.md", "playbooks/**/*.md")
REDIRECT_MAX_WORDS = 40
INDEX_NAMES = frozenset({"readme", "index", "_index", "toc", "summary", "template", "_template"})


def runbook_files(ws: Workspace, globs: Sequence[str] | None) -> list[str]:
    """Runbook files: matches of the globs, minus index pages of runbook directories."""
    out = []
    for rel in ws.glob(globs or DEFAULT_RUNBOOK_GLOBS):
        stem, ext = posixpath.splitext(posixpath.basename(rel))
        if ext.lower() not in (".md", ".markdown", ".mdx"):
            continue
        if "/" in rel and stem.lower() in INDEX_NAMES:
            continue
        out.append(rel)
    return out


def _is_redirect(doc: MarkdownDoc) -> bool:
    """A stub that only sends the reader elsewhere ("moved to [X](...)", "See [Y](...)"): no
    sections of its own, a link, and a few words. Its target is the runbook to judge."""
    if any(h.level > 1 for h in doc.headings) or not doc.links:
        return False
    words = sum(len(t.split()) for n, t in doc.prose if not any(h.line == n for h in doc.headings))
    return words <= REDIRECT_MAX_WORDS


def lint(ws: Workspace, files: Sequence[str], reader: DocReader,
         sections: Sequence[str] | None) -> list[Finding]:
    """Placeholder, required-section and broken-link findings for each runbook."""
    groups = groups_from_config(sections) if sections else default_groups("symptoms", "diagnosis",
                                                                          "mitigation")
    out: list[Finding] = []
    for rel in files:
        doc = reader.markdown(rel)
        if doc is None:
            continue
        body = [t for n, t in enumerate(doc.lines, start=1)
                if n >= doc.body_start and not t.lstrip().startswith("#")]
        if not meaningful(body):
            out.append(RUNBOOK_PLACEHOLDER.finding(
                Location(path=rel, line=doc.body_start),
                message=f"Runbook {rel} is a placeholder: it has no steps, only headings or "
                        "placeholder words.",
                evidence="placeholder"))
            continue
        title = doc.title()
        if _is_redirect(doc) or (title is not None and "deprecated" in title.text.lower()):
            out.extend(broken_links(ws, rel, doc))
            continue
        missing = missing_groups(doc, groups, skip=title if title and title.level == 1 else None)
        if missing:
            names = ", ".join(g.name for g in missing)
            out.append(RUNBOOK_MISSING_SECTION.finding(
                Location(path=rel, line=title.line if title else doc.body_start),
                message=f"Runbook {rel} has no {names} section with content.",
                evidence=names))
        out.extend(broken_links(ws, rel, doc))
    return out
