"""Architecture decision records: where they live, and lint of each record and of the set.

Why over 500 lines: the three ADR formats below are read by one status/date/section model; the
set-level checks (numbering, conventions, successors) need that same model, so they stay with it.

Formats tolerated, because real decision logs mix them:
* adr-tools / Nygard: `NNNN-title.md`, `# N. Title`, `Date: YYYY-MM-DD`, `## Status` section
  (adr-tools writes "Superceded by [..](..)"), `## Context`, `## Decision`, `## Consequences`;
* MADR 3/4: front matter `status:` / `date:`, `## Context and Problem Statement`,
  `## Decision Outcome`, `### Consequences` or `## Pros and Cons of the Options`;
* MADR 2 / log4brains: `- Status: accepted` list lines, date-named files `YYYYMMDD-slug.md`.
Statuses wrapped in links or emoji (`✅ Accepted`, `[Approved](https://…)`) are unwrapped first.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from readiness import lazyre
from readiness.gates.docs.links import DocReader, broken_links, is_external, resolve_relative, split_fragment
from readiness.gates.docs.markdown import MarkdownDoc
from readiness.gates.docs.rules import (
    ADR_DUPLICATE_NUMBER,
    ADR_FILE_NAME,
    ADR_MISSING_DATE,
    ADR_MISSING_SECTION,
    ADR_MISSING_STATUS,
    ADR_MISSING_SUCCESSOR,
    ADR_MISSING_TITLE,
    ADR_NUMBER_GAP,
    ADR_UNFILLED_TEMPLATE,
    ADR_UNKNOWN_STATUS,
)
from readiness.gates.docs.sections import (
    SectionGroup,
    default_groups,
    groups_from_config,
    missing_groups,
    normalize,
    strip_comments,
)
from readiness.model import Finding, Location
from readiness.workspace import FileProblem, Workspace, escape_glob
from readiness.yamlpos import YamlError, load_one

DEFAULT_ADR_DIRS = ("docs/adr", "docs/decisions", "doc/adr", "doc/decisions", "adr", "adrs", "decisions",
                    "docs/architecture/decisions", "docs/architecture/adr", "docs/adrs",
                    "docs/architecture-decisions", "architecture-decision-record",
                    "doc/architecture/decisions")
ADR_SUFFIXES = (".md", ".markdown")
NOT_RECORDS = frozenset({"readme", "index", "_index", "toc", "summary", "changelog", "contributing",
                         "license", "glossary"})
STATUSES = ("proposed", "accepted", "rejected", "deprecated", "superseded")
STATUS_WORDS: dict[str, str] = {
    "proposed": "proposed", "proposal": "proposed", "draft": "proposed", "pending": "proposed",
    "open": "proposed", "wip": "proposed", "rfc": "proposed", "review": "proposed",
    "discussion": "proposed", "discussing": "proposed", "suggested": "proposed", "planned": "proposed",
    "accepted": "accepted", "accept": "accepted", "approved": "accepted", "adopted": "accepted",
    "agreed": "accepted", "decided": "accepted", "implemented": "accepted", "active": "accepted",
    "final": "accepted", "done": "accepted", "completed": "accepted", "complete": "accepted",
    "rejected": "rejected", "declined": "rejected", "refused": "rejected", "abandoned": "rejected",
    "withdrawn": "rejected", "dropped": "rejected",
    "deprecated": "deprecated", "obsolete": "deprecated", "retired": "deprecated", "archived": "deprecated",
    "superseded": "superseded", "superceded": "superseded", "supersceded": "superseded",
    "supersede": "superseded", "replaced": "superseded",
}
_PHRASES = {"on hold": "proposed", "in progress": "proposed", "in review": "proposed",
            "under review": "proposed", "under discussion": "proposed", "for review": "proposed",
            "not accepted": "rejected", "not approved": "rejected"}
_NUM_NAME_RE = lazyre.compile(r"^(?:adr[-_ ]?)?(\d{1,5})(?:[-_. ]+|(?=[A-Za-z]))(\S.*)?$", re.IGNORECASE)
_DATE_NAME_RE = lazyre.compile(r"^((?:19|20)\d{2})-?(0[1-9]|1[0-2])-?([0-3]\d)[-_]\S")
# possessive quantifiers (`*+`, `++`): a run of spaces is taken once, never re-split between two
# neighbouring `\s*` (that backtracking was quadratic in a line's whitespace)
_STATUS_LINE_RE = lazyre.compile(
    r"^\s*+(?:[-*+]\s++)?(?:\*\*|__)?\s*+status\s*+(?:\*\*|__)?\s*+[:：]\s*+(?:\*\*|__)?\s*+(?P<value>.+)$",
    re.IGNORECASE)
_STATUS_CELL_RE = lazyre.compile(r"^\s*+\|\s*+(?:\*\*|__)?status(?:\*\*|__)?\s*+\|\s*+(?P<value>[^|]++)\|",
                                 re.IGNORECASE)
_DATE_LINE_RE = lazyre.compile(
    r"^\s*+(?:[-*+|]\s*+)?(?:\*\*|__)?\s*+(?:date|decision[- ]date|decided(?: on)?|created|last[- ]updated|"
    r"updated|accepted(?: on)?|proposed(?: on)?)\s*+(?:\*\*|__)?\s*+[:：|]",
    re.IGNORECASE)
_YEAR_RE = lazyre.compile(r"\b(?:19|20)\d{2}\b")
_LINK_RE = lazyre.compile(r"\[([^\]\[]{0,1000}+)\]\(([^)\s\[]{0,2000}+)(?:\s[^)\[]{0,1000}+)?\)")
"""`[text](target "title")`: bounded and deterministic (the target stops at whitespace, the title
starts there; neither runs past the next `[`), so a line of `[](` cannot make it cubic."""
_REF_RE = lazyre.compile(r"(?:\badr[-_ #]?|#)0*(\d{1,5})\b|\b0*(\d{1,5})\.?\s|\b(\d{3,5})\b", re.IGNORECASE)
_CURLY_RE = lazyre.compile(r"(?<![{$%#\\])\{(?!\{)([A-Za-z][^{}\"=;<>\s]*+\s[^{}\"=;<>]*+)\}(?!\})")
"""`{short title of the decision}`: the first word stops at the first space, so a brace followed by
a long run of spaces is read once (it was quadratic), and a scan never passes the next brace."""
_INLINE_CODE_RE = lazyre.compile(r"`+[^`]*`+")
_MD_REF_RE = lazyre.compile(r"(?<![\w./-])[\w./-]+\.md\b")
TEMPLATE_PHRASES = (
    "the issue motivating this decision, and any context that influences or constrains the decision",
    "the change that we're proposing or have agreed to implement",
    "what becomes easier or more difficult to do and any risks introduced by the change",
    "what is the issue that we're seeing that is motivating this decision or change",
    "what is the change that we're proposing and/or doing",
    "what becomes easier or more difficult to do because of this change",
    "what is the status, such as proposed, accepted, rejected, deprecated, superseded",
    "short title of solved problem and solution",
    "short title, representative of solved problem and found solution",
    "describe the context and problem statement, e.g.",
    "justification. e.g., only option",
    "list everyone involved in the decision",
    "yyyy-mm-dd when the decision was last updated",
    "driver 1, e.g., a force",
    "positive consequence, e.g., improvement",
)


@dataclass(frozen=True, slots=True)
class AdrSet:
    """Where the decision records are."""

    dirs: tuple[str, ...]
    """ADR directories that exist (configured, from tool config, or the first default found)."""
    records: tuple[str, ...]
    """Record files, sorted."""
    source: str
    """How the directories were found: config, .adr-dir, .log4brains.yml, default."""


@dataclass(slots=True)
class Record:
    """What the lint learned about one record."""

    path: str
    number: int | None
    status: str | None = None
    status_line: int | None = None
    successor_text: str = ""
    links: list[str] = field(default_factory=list)
    status_word: str | None = None
    """The status as written, normalized to its first word (or known two-word phrase)."""
    status_shown: str = ""
    """The status as written, unwrapped and shortened, for messages."""
    no_status_line: int | None = None
    """Where a missing status was looked for, when the record states none."""
    missing_sections: tuple[str, ...] = ()
    """Required sections (by display name) the record lacks."""
    no_date_line: int | None = None
    """Where a missing date was looked for, when the record carries none."""
    title_line: int = 1
    """The line of its title."""


def _is_record_name(rel: str, adr_dir: str) -> bool:
    name = posixpath.basename(rel)
    stem, ext = posixpath.splitext(name)
    if ext.lower() not in ADR_SUFFIXES:
        return False
    inner = rel[len(adr_dir) + 1:] if adr_dir else rel
    parts = inner.split("/")[:-1]
    if any(p.lower() in ("templates", "template", "assets", "images", "img", "_site", "node_modules")
           or p.startswith((".", "_")) for p in parts):
        return False
    low = stem.lower()
    return not (low in NOT_RECORDS or "template" in low or low.startswith(("_", ".")))


def _tool_dirs(ws: Workspace, reader: DocReader) -> tuple[list[str], str]:
    if ws.exists(".adr-dir") and not ws.is_symlink(".adr-dir"):
        text = reader.text(".adr-dir")
        line = (text or "").strip().splitlines()[0:1]
        d = _folder(line[0]) if line else None
        if d is not None:
            return [d], ".adr-dir"
    for name in (".log4brains.yml", ".log4brains.yaml"):
        if ws.exists(name):
            text = reader.text(name)
            dirs = _log4brains_dirs(text or "")
            if dirs:
                return dirs, name
    return [], ""


def _log4brains_dirs(text: str) -> list[str]:
    try:
        value: Any = load_one(text).value
    except YamlError:
        return []
    project = value.get("project") if isinstance(value, dict) else None
    if not isinstance(project, dict):
        return []
    found: list[str] = []
    if isinstance(project.get("adrFolder"), str):
        found.append(project["adrFolder"])
    packages = project.get("packages")  # the PR's file: any type at all, not only a list of mappings
    if isinstance(packages, list):
        found.extend(pkg["adrFolder"] for pkg in packages
                     if isinstance(pkg, dict) and isinstance(pkg.get("adrFolder"), str))
    return [norm for norm in (_folder(d) for d in found) if norm is not None]


def _folder(value: str) -> str | None:
    """A decision-record folder named in a tool's file, when it is a plain folder of this repository
    (not the root itself, not outside, no glob characters, no control characters)."""
    norm = posixpath.normpath(value.strip().removeprefix("./"))
    if norm in (".", "") or norm.startswith(("..", "/")) or any(c in norm for c in "*?[]\x00\n\r"):
        return None
    return norm


def locate(ws: Workspace, reader: DocReader, configured: str | None = None) -> AdrSet:
    """The ADR directories and their records; `configured` is `adr_dir`, already checked to be
    repository-relative."""
    if configured is not None:
        dirs, source = [configured.strip("/")], "config"
    else:
        dirs, source = _tool_dirs(ws, reader)
        if not dirs:
            dirs, source = [d for d in DEFAULT_ADR_DIRS if ws.exists(d)], "default"
    existing = tuple(d for d in dirs if ws.exists(d))
    records: set[str] = set()
    for d in existing:
        records.update(f for f in ws.glob(f"{escape_glob(d)}/**") if _is_record_name(f, d))  # d: a name, not a glob
    return AdrSet(dirs=tuple(dirs), records=tuple(sorted(records)), source=source)


# ---- status, date, template -------------------------------------------------------------------

def _unwrap(text: str) -> str:
    text = strip_comments(text)
    text = _LINK_RE.sub(lambda m: m.group(1), text)
    return text.replace("**", " ").replace("__", " ").replace("`", " ")


def classify_status(raw: str) -> str | None:
    """The canonical status of a status text, or None when it is not one we know."""
    words = normalize(_unwrap(raw)).split()
    if not words:
        return None
    two = " ".join(words[:2])
    if two in _PHRASES:
        return _PHRASES[two]
    return STATUS_WORDS.get(words[0])


def _status_from_body(doc: MarkdownDoc) -> tuple[str, int, str] | None:
    """(first status text, its line, the whole status block) from a Status section or line."""
    for h in doc.headings:
        if h.level >= 2 and normalize(h.text) in ("status", "statuses", "state", "decision status",
                                                   "current status"):
            body = [(n, t) for n, t in doc.section(h) if t.strip() and not t.lstrip().startswith("#")]
            body = [(n, t) for n, t in body if strip_comments(t, "").strip()]
            if body:
                block = "\n".join(t for _n, t in body)
                first_n, first = body[0]
                return re.sub(r"^\s*(?:[-*+]|\d+\.)\s+", "", first).strip(), first_n, block
            return "", h.line, ""
    limit = next((h.line for h in doc.headings if h.level >= 2), len(doc.lines) + 1)
    for n in range(doc.body_start, min(limit, len(doc.lines) + 1)):
        if n in doc.code_lines:
            continue
        line = doc.lines[n - 1]
        m = _STATUS_LINE_RE.match(line) or _STATUS_CELL_RE.match(line)
        if m:
            return m.group("value").strip(), n, line
    return None


def _is_status_template(raw: str) -> bool:
    text = raw.lower()
    if "|" in text:
        words = set(normalize(text).split())
        if len(words & set(STATUSES)) >= 2:
            return True
    return normalize(raw) in ("status", "")


def _has_date(doc: MarkdownDoc, fm: dict[str, Any], rel: str) -> bool:
    for key in ("date", "created", "last-updated", "last_updated", "updated", "decided", "accepted"):
        value = fm.get(key)
        if value is not None and _YEAR_RE.search(str(value)):
            return True
    if _DATE_NAME_RE.match(posixpath.basename(rel)):
        return True
    for h in doc.headings:
        if normalize(h.text) in ("date", "dates", "decision date") and \
                any(_YEAR_RE.search(t) for _n, t in doc.section(h)):
            return True
    for n, line in enumerate(doc.lines, start=1):
        if n not in doc.code_lines and _DATE_LINE_RE.match(line) and _YEAR_RE.search(line):
            return True
    return False


def _template_leftover(doc: MarkdownDoc) -> tuple[int, str] | None:
    """The first line still holding template text, with the text."""
    for n, line in enumerate(doc.lines, start=1):
        if n in doc.code_lines:
            continue
        clean = strip_comments(_INLINE_CODE_RE.sub(" ", line))
        low = clean.lower()
        for phrase in TEMPLATE_PHRASES:
            if phrase in low:
                return n, phrase
        m = _CURLY_RE.search(clean)
        if m:
            return n, "{" + m.group(1)[:60] + "}"
        stripped = clean.strip().lstrip("#").strip()
        if n >= doc.body_start and stripped in ("NUMBER. TITLE", "STATUS", "DATE", "Date: DATE"):
            return n, stripped
    return None


# ---- lint ---------------------------------------------------------------------------------------

def number_of(rel: str) -> int | None:
    """The record number in the file name (None for date-named or unnumbered files)."""
    name = posixpath.basename(rel)
    if _DATE_NAME_RE.match(name):
        return None
    m = _NUM_NAME_RE.match(name)
    return int(m.group(1)) if m else None


def _name_ok(rel: str) -> bool:
    name = posixpath.basename(rel)
    if _DATE_NAME_RE.match(name):
        return True
    m = _NUM_NAME_RE.match(name)
    return bool(m and m.group(2) and posixpath.splitext(m.group(2))[0])


def lint(ws: Workspace, adrs: AdrSet, reader: DocReader, sections: Sequence[str] | None) -> list[Finding]:
    """Findings for every record and for the numbering of each directory."""
    groups = groups_from_config(sections) if sections else default_groups("context", "decision",
                                                                          "consequences")
    out: list[Finding] = []
    records: list[Record] = []
    for rel in adrs.records:
        rec = Record(rel, number_of(rel))
        records.append(rec)
        if not _name_ok(rel):
            out.append(ADR_FILE_NAME.finding(
                Location(path=rel, line=1),
                message=f"Decision record {posixpath.basename(rel)} is not named NNNN-title.md "
                        "(or YYYYMMDD-title.md), so it has no stable number to cite.",
                evidence=posixpath.basename(rel)))
        doc = reader.markdown(rel)
        if doc is None:
            continue
        out.extend(_lint_record(ws, rec, doc, groups))
    out.extend(_conventions(records, bool(sections)))
    out.extend(_statuses(records, adrs.source))
    out.extend(_numbering(records))
    out.extend(_successors(ws, records))
    return out


CONVENTION_SHARE = 0.25
"""A status word used by at least two records and this share of them is the repository's own."""


def status_word(raw: str) -> str | None:
    """The status's first word (or a known two-word phrase such as "on hold"), normalized."""
    words = normalize(_unwrap(raw)).split()
    if not words:
        return None
    two = " ".join(words[:2])
    return two if two in _PHRASES else words[0]


def convention(records: Sequence[Record], source: str) -> set[str]:
    """The status words this repository uses: the five standard ones (adr-tools' "superceded" and,
    with log4brains, "draft" too), plus any word that at least two records and a quarter of them use."""
    words = [r.status_word for r in records if r.status_word]
    counts: dict[str, int] = {}
    for w in words:
        counts[w] = counts.get(w, 0) + 1
    own = {w for w, n in counts.items() if n >= 2 and n >= CONVENTION_SHARE * len(words)}
    standard = {*STATUSES, "superceded"} | ({"draft"} if source.startswith(".log4brains") else set())
    return standard | own


def _statuses(records: Sequence[Record], source: str) -> list[Finding]:
    """A status outside the repository's convention: unknown words, and synonyms the repository
    does not otherwise use ("Approved" among "Accepted" records) - a low note, not silence."""
    usual = convention(records, source)
    known = sorted({w for w in usual if w in STATUS_WORDS or w in _PHRASES})
    shown_usual = ", ".join(w.capitalize() for w in known[:8])
    out: list[Finding] = []
    for rec in records:
        if rec.status_word is None or rec.status_word in usual:
            continue
        if rec.status is None:
            message = (f"Decision record {rec.path} has status \"{rec.status_shown}\", which is none of "
                       "Proposed, Accepted, Rejected, Deprecated, Superseded.")
        else:
            message = (f"Decision record {rec.path} has status \"{rec.status_shown}\", which is not a status "
                       f"this repository's records use ({shown_usual}); it is read as "
                       f"{rec.status.capitalize()}.")
        out.append(ADR_UNKNOWN_STATUS.finding(Location(path=rec.path, line=rec.status_line or 1),
                                              message=message, evidence=normalize(rec.status_shown)))
    return out


def _lint_record(ws: Workspace, rec: Record, doc: MarkdownDoc, groups: list[SectionGroup]) -> list[Finding]:
    rel = rec.path
    out: list[Finding] = []
    fm = (doc.front_matter.value if doc.front_matter else None) or {}
    title = doc.title()
    title_line = title.line if title else doc.body_start
    if title is None and not str(fm.get("title") or "").strip():
        out.append(ADR_MISSING_TITLE.finding(
            Location(path=rel, line=doc.body_start),
            message=f"Decision record {rel} has no title (no `# Title` heading and no `title:` field).",
            evidence="title"))
    leftover = _template_leftover(doc)
    if leftover is not None:
        out.append(ADR_UNFILLED_TEMPLATE.finding(
            Location(path=rel, line=leftover[0]),
            message=f"Decision record {rel} still holds template text: \"{leftover[1]}\".",
            evidence=leftover[1]))
    # status
    raw: str | None = None
    line = title_line
    block = ""
    fm_status = fm.get("status")
    if isinstance(fm_status, str) and fm_status.strip():
        raw, line = fm_status.strip(), (doc.front_matter.lines.get("status", 1) if doc.front_matter else 1)
        block = raw
        for key in ("superseded-by", "superseded_by", "supersededBy", "superseded by"):
            if fm.get(key):
                block += f" {fm[key]}"
    else:
        found = _status_from_body(doc)
        if found is not None:
            raw, line, block = found
    if raw is None or not raw.strip():
        rec.no_status_line = line  # reported by `_conventions`, which knows the other records
    elif not (leftover and _is_status_template(raw)):
        rec.status, rec.status_line, rec.successor_text = classify_status(raw), line, block
        rec.status_word, rec.status_shown = status_word(raw), _unwrap(raw).strip()[:60]
    if not _has_date(doc, fm, rel):
        rec.no_date_line = title_line  # reported by `_conventions`, which knows the other records
    rec.missing_sections = tuple(g.name for g in missing_groups(doc, groups,
                                                                 skip=title if title and title.level == 1 else None))
    rec.title_line = title_line
    out.extend(broken_links(ws, rel, doc))
    return out


CONVENTION_MIN_RECORDS = 3
"""With at least this many records, a section or a status that most of them leave out is not part
of the repository's convention (MADR makes the status optional; free-form decision logs have no
Consequences heading), so its absence is not reported; a record that lacks what most others have
still is."""


def _conventions(records: Sequence[Record], configured: bool) -> list[Finding]:
    """Missing status, date and sections, judged against what the repository's records do."""
    n = len(records)

    def usual(lacking: int) -> bool:
        return n < CONVENTION_MIN_RECORDS or lacking * 2 <= n

    out: list[Finding] = []
    if usual(sum(r.no_status_line is not None for r in records)):
        out.extend(ADR_MISSING_STATUS.finding(
            Location(path=r.path, line=r.no_status_line),
            message=f"Decision record {r.path} states no status (Proposed, Accepted, Rejected, Deprecated "
                    "or Superseded).",
            evidence="status") for r in records if r.no_status_line is not None)
    if usual(sum(r.no_date_line is not None for r in records)):  # a repository whose records carry no date
        out.extend(ADR_MISSING_DATE.finding(
            Location(path=r.path, line=r.no_date_line),
            message=f"Decision record {r.path} has no date (a `Date:` line or a `date:` field), "
                    "though most of this repository's records carry one." if n >= CONVENTION_MIN_RECORDS
            else f"Decision record {r.path} has no date (a `Date:` line or a `date:` field).",
            evidence="date") for r in records if r.no_date_line is not None)
    lacking: dict[str, int] = {}
    for r in records:
        for name in r.missing_sections:
            lacking[name] = lacking.get(name, 0) + 1
    for r in records:
        names = [m for m in r.missing_sections if configured or usual(lacking[m])]
        if names:
            shown = ", ".join(names)
            out.append(ADR_MISSING_SECTION.finding(
                Location(path=r.path, line=r.title_line),
                message=f"Decision record {r.path} has no {shown} section with content.", evidence=shown))
    return out


def _numbering(records: list[Record]) -> list[Finding]:
    out: list[Finding] = []
    by_dir: dict[str, dict[int, list[str]]] = {}
    for rec in records:
        if rec.number is not None:
            by_dir.setdefault(posixpath.dirname(rec.path), {}).setdefault(rec.number, []).append(rec.path)
    for numbers in by_dir.values():
        for num, paths in sorted(numbers.items()):
            first, *rest = sorted(paths)
            out.extend(ADR_DUPLICATE_NUMBER.finding(
                Location(path=dup, line=1),
                message=f"Decision record number {num:04d} is used by both {posixpath.basename(first)} "
                        f"and {posixpath.basename(dup)}.",
                evidence=f"{num}:{posixpath.basename(dup)}") for dup in rest)
        ordered = sorted(numbers)
        for prev, nxt in zip(ordered, ordered[1:], strict=False):
            if nxt - prev > 1:
                gap = f"{prev + 1:04d}" if nxt - prev == 2 else f"{prev + 1:04d} to {nxt - 1:04d}"
                path = sorted(numbers[nxt])[0]
                out.append(ADR_NUMBER_GAP.finding(
                    Location(path=path, line=1),
                    message=f"Decision record numbers jump from {prev:04d} to {nxt:04d}: {gap} missing.",
                    evidence=f"{prev}-{nxt}"))
    return out


def _successors(ws: Workspace, records: list[Record]) -> list[Finding]:
    out: list[Finding] = []
    numbers_by_dir: dict[str, set[int]] = {}
    all_numbers: set[int] = set()
    for rec in records:
        if rec.number is not None:
            numbers_by_dir.setdefault(posixpath.dirname(rec.path), set()).add(rec.number)
            all_numbers.add(rec.number)
    for rec in records:
        if rec.status != "superseded":
            continue
        text = rec.successor_text
        links = [m.group(2) for m in _LINK_RE.finditer(text) if m.group(2)]
        if links:
            # a relative link either resolves or is reported by broken-link; a URL is accepted
            continue
        after = re.split(r"supers?[ec]?[ec]ded\s*(?:by)?", text, maxsplit=1, flags=re.IGNORECASE)
        tail = after[1] if len(after) > 1 else ""
        ref = _REF_RE.search(tail)
        if ref is not None:
            num = int(next(g for g in ref.groups() if g))
            known = numbers_by_dir.get(posixpath.dirname(rec.path), set()) | all_numbers
            if num in known:
                continue
            msg = f"Decision record {rec.path} is superseded by ADR {num}, which does not exist."
        else:
            if _names_existing_record(ws, rec.path, tail):
                continue
            msg = f"Decision record {rec.path} is marked superseded but does not name the record that " \
                  "replaces it."
        out.append(ADR_MISSING_SUCCESSOR.finding(
            Location(path=rec.path, line=rec.status_line or 1), message=msg, evidence=normalize(tail)[:80]))
    return out


def _names_existing_record(ws: Workspace, rel: str, tail: str) -> bool:
    for word in _MD_REF_RE.findall(tail):
        if is_external(word):
            return True
        path, _ = split_fragment(word)
        try:
            found, _certain = resolve_relative(ws, rel, path)
        except FileProblem:  # pragma: no cover - resolve does not read
            found = None
        if found is not None:
            return True
    return False
