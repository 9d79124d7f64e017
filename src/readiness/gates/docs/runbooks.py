"""Runbooks: which files they are, and whether a person paged at 3 a.m. can act on each one.

A runbook is judged by what it gives the person reading it (`docs/runbook-not-actionable`):
* what it covers: a title, a heading, or a sentence that says what the page is for;
* concrete steps: a command (a code block or inline code), a link (a dashboard, a log query, the
  escalation page), a numbered step, or an instruction that starts with a verb ("Restart the
  workers", "Roll back the release", "Page the database on-call").
Runbooks are written per failure scenario ("## Checkout errors", "## Queue backlog", each with
its steps) as often as by template; both pass. A heading that names a runbook section (Symptoms,
Diagnosis, Mitigation, Rollback and their synonyms) with nothing under it is reported
(`docs/runbook-missing-section`).

Teams that keep a template set `runbook_sections` (e.g. `["Symptoms", "Diagnosis",
"Mitigation|Rollback"]`): every runbook must then have each of them, with content, matched by
synonym stems, so "Troubleshooting", "How to roll back" or "Remediation steps" all count.
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence

from readiness import lazyre
from readiness.gates.docs.links import DocReader, broken_links
from readiness.gates.docs.markdown import Heading, MarkdownDoc
from readiness.gates.docs.rules import RUNBOOK_MISSING_SECTION, RUNBOOK_NOT_ACTIONABLE, RUNBOOK_PLACEHOLDER
from readiness.gates.docs.sections import (
    default_groups,
    groups_from_config,
    heading_matches,
    meaningful,
    missing_groups,
    normalize,
    section_has_content,
)
from readiness.model import Finding, Location
from readiness.workspace import Workspace

DEFAULT_RUNBOOK_GLOBS = ("RUNBOOK.md", "runbook.md", "Runbook.md", "RUNBOOK.markdown", "docs/RUNBOOK.md",
                         "docs/runbook.md", "docs/runbooks/**/*.md", "runbooks/**/*.md",
                         "doc/runbooks/**/*.md", "docs/playbooks/**/*.md", "playbooks/**/*.md",
                         # anywhere: `mixin/runbook.md`, `content/runbooks/<component>/<Alert>.md`
                         "**/RUNBOOK.md", "**/runbook.md", "**/runbooks/**/*.md", "**/playbooks/**/*.md")
REDIRECT_MAX_WORDS = 40
INDEX_NAMES = frozenset({"readme", "index", "_index", "toc", "summary", "template", "_template"})
STEP_VERBS = frozenset({
    "add", "adjust", "apply", "ask", "block", "bump", "call", "cancel", "check", "clean", "clear", "compare", "confirm",
    "contact", "copy", "cordon", "correct", "create", "curl", "decrease", "delete", "deploy", "describe", "disable",
    "drain", "drop", "edit", "enable", "escalate", "evict", "execute", "export", "fail", "failover", "file", "fix",
    "find", "flush", "follow", "force", "free", "grep", "increase", "inform", "inspect", "investigate",
    "kill", "list", "locate", "log", "login", "look", "lower", "merge", "message", "migrate", "monitor",
    "move", "mute", "notify", "open", "page", "pause", "ping", "post", "promote", "purge", "query", "raise",
    "re-run", "read", "reboot", "rebuild", "recreate", "redeploy", "reduce", "refresh", "reindex", "reload",
    "remove", "rename", "reopen", "replace", "replay", "reprocess", "requeue", "rerun", "reset", "resize",
    "restart", "restore", "resume", "retry", "revert", "review", "revoke", "roll", "rollback", "rotate",
    "run", "scale", "search", "see", "set", "shut", "silence", "skip", "ssh", "start", "stop", "suspend",
    "switch", "tail", "take", "tell", "toggle", "trigger", "truncate", "turn", "unblock", "uncordon",
    "update", "upgrade", "use", "vacuum", "validate", "verify", "visit", "wait", "watch", "wipe",
})
STEP_TOOLS = frozenset({
    "kubectl", "helm", "docker", "podman", "aws", "gcloud", "gsutil", "az", "terraform", "ansible", "psql",
    "mysql", "redis-cli", "systemctl", "journalctl", "git", "make", "npm", "yarn", "pip", "python", "bundle",
    "rake", "rails", "ssh", "scp", "rsync", "oc", "argocd", "flux", "consul", "vault", "nomad", "heroku",
    "fly", "gh", "jq", "pg_dump", "pg_restore", "mongosh", "celery", "sudo",
})
"""Command-line tools a step may start with, written without code formatting ("helm rollback api")."""
_FIRST_WORD = lazyre.compile(r"^\W{0,8}(?:\d{1,3}[.)]\s{0,8})?([A-Za-z][A-Za-z_-]{0,40})")
_URL = lazyre.compile(r"\bhttps?://\S")
_CLAUSE = lazyre.compile(r"[.;:,!?]\s")
MAX_CLAUSE_SCAN = 2000
"""Only the start of a long line is read for instructions."""


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
    heading_lines = {h.line for h in doc.headings}
    words = sum(len(t.split()) for n, t in doc.prose if n not in heading_lines)
    return words <= REDIRECT_MAX_WORDS


def concrete_steps(doc: MarkdownDoc) -> int:
    """How many concrete things a reader can do: commands, links, numbered steps, instructions."""
    steps = len(doc.code) + sum(1 for _n, code in doc.inline_code if len(code.strip()) >= 2)
    steps += sum(1 for link in doc.links if link.href and not link.href.startswith("#") and not link.image)
    steps += sum(1 for _n, is_ordered in doc.list_items if is_ordered)
    heading_lines = {h.line for h in doc.headings}
    first_on_line: dict[int, str] = {}
    for n, text in doc.prose:
        if n not in heading_lines:
            first_on_line.setdefault(n, text)
            if _URL.search(text):
                steps += 1
    for text in first_on_line.values():
        # an instruction starts a line or a clause: "Restart it", "If it is slow, scale the workers"
        for clause in _CLAUSE.split(text[:MAX_CLAUSE_SCAN]):
            m = _FIRST_WORD.match(clause)
            if m and (m.group(1).lower() in STEP_VERBS or m.group(1).lower() in STEP_TOOLS):
                steps += 1
                break
    return steps


def _says_what_it_covers(doc: MarkdownDoc) -> bool:
    if doc.headings:
        return True
    return sum(len(t.split()) for _n, t in doc.prose) >= 5


def _empty_known_sections(doc: MarkdownDoc, skip: Heading | None) -> list[Heading]:
    """Headings that name a runbook section (Symptoms, Diagnosis, Mitigation, Rollback...) with
    nothing under them."""
    groups = default_groups("symptoms", "diagnosis", "mitigation")
    return [h for h in doc.headings if h is not skip and any(heading_matches(h, g) for g in groups)
            and not section_has_content(doc, h)]


def lint(ws: Workspace, files: Sequence[str], reader: DocReader,
         sections: Sequence[str] | None) -> list[Finding]:
    """Placeholder, actionability, section and broken-link findings for each runbook."""
    groups = groups_from_config(sections) if sections else None
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
        at = Location(path=rel, line=title.line if title else doc.body_start)
        top = title if title and title.level == 1 else None
        if groups is not None:
            missing = missing_groups(doc, groups, skip=top)
            if missing:
                names = ", ".join(g.name for g in missing)
                out.append(RUNBOOK_MISSING_SECTION.finding(
                    at, message=f"Runbook {rel} has no {names} section with content.", evidence=names))
        else:
            lacks = []
            if not _says_what_it_covers(doc):
                lacks.append("does not say what it covers (no title, heading or opening sentence)")
            if concrete_steps(doc) == 0:
                lacks.append("gives no concrete step to act on (no command, link, numbered step or "
                             "instruction such as \"Restart the workers\")")
            if lacks:
                out.append(RUNBOOK_NOT_ACTIONABLE.finding(
                    at, message=f"Runbook {rel} " + " and ".join(lacks) + ".", evidence="|".join(lacks)))
            out.extend(RUNBOOK_MISSING_SECTION.finding(
                Location(path=rel, line=h.line),
                message=f"Runbook {rel} has a \"{h.text[:60]}\" section with nothing under it.",
                evidence=f"empty|{normalize(h.text)}") for h in _empty_known_sections(doc, top))
        out.extend(broken_links(ws, rel, doc))
    return out
