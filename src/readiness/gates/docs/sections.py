"""Lenient matching of required sections ("Context", "Mitigation or rollback", ...) by synonyms,
and the placeholder test shared by ADRs and runbooks."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from readiness import lazyre
from readiness.gates.docs.markdown import Heading, MarkdownDoc

_WORD_RE = lazyre.compile(r"[^\W\d_]+", re.UNICODE)

SYNONYMS: dict[str, tuple[str, ...]] = {
    # ADRs: Nygard and MADR names, plus what real decision logs call them
    "context": ("context", "problem", "background", "motivation", "situation", "issue"),
    "decision": ("decision", "outcome", "proposal", "chosen option", "resolution", "we will"),
    "consequences": ("consequence", "pros and cons", "implication", "tradeoff", "trade off",
                     "trade-off", "ramification", "positive", "negative", "impact",
                     # MADR makes Consequences optional; its mandatory "Considered Options" says
                     # what was rejected, which is what this section is for
                     "considered option", "options considered", "alternative"),
    # runbooks: prometheus-operator/openshift runbooks use Meaning / Impact / Diagnosis / Mitigation
    "symptoms": ("symptom", "meaning", "impact", "overview", "summary", "description", "alert",
                 "signs", "detection", "when to use", "trigger", "what is", "about", "purpose"),
    "diagnosis": ("diagnos", "troubleshoot", "investigat", "debug", "triage", "root cause",
                  "identify", "verification", "verify", "check", "inspect"),
    "mitigation": ("mitigat", "remediat", "resolution", "resolv", "rollback", "roll back",
                   "rolling back", "revert", "recover", "restore", "fix", "workaround", "response",
                   "procedure", "steps", "action", "playbook", "runbook", "how to",
                   # a Troubleshooting section usually carries the fix as well
                   "troubleshoot"),
}
"""Synonym stems per well-known section; a heading matches when one of its words starts with a stem
(multi-word stems must appear in order)."""

DISPLAY = {"context": "Context (or Context and Problem Statement)",
           "decision": "Decision (or Decision Outcome)",
           "consequences": "Consequences (or Pros and Cons)",
           "mitigation": "Mitigation or Rollback"}

_EXCLUDED = lazyre.compile(r"\bdecision[- ]?(?:driver|maker)s?\b")

PLACEHOLDER_WORDS = frozenset({
    "todo", "tbd", "tba", "tbc", "fixme", "wip", "xxx", "placeholder", "coming", "soon", "later",
    "to", "be", "done", "written", "added", "filled", "in", "n", "a", "lorem", "ipsum", "this",
    "page", "is", "intentionally", "left", "blank", "empty", "here", "content", "goes", "fill",
    "write", "me", "describe", "document", "runbook", "section", "will", "the",
})


@dataclass(frozen=True, slots=True)
class SectionGroup:
    """A required section: its name for messages and the stems any of which satisfies it."""

    name: str
    """Shown in messages, e.g. "Mitigation or Rollback"."""
    stems: tuple[str, ...]
    """Lower-case word-start stems."""


def groups_from_config(entries: Sequence[str]) -> list[SectionGroup]:
    """`["Context", "Mitigation|Rollback"]`: each entry is one required section; `|` separates
    alternatives; a well-known name (context, decision, consequences, symptoms, diagnosis,
    mitigation) also brings its synonyms."""
    out = []
    for entry in entries:
        alts = [a.strip() for a in entry.split("|") if a.strip()]
        stems: list[str] = []
        for alt in alts:
            key = normalize(alt)
            stems.append(key)
            stems.extend(SYNONYMS.get(key, ()))
        if stems:
            out.append(SectionGroup(" or ".join(alts), tuple(dict.fromkeys(stems))))
    return out


def default_groups(*keys: str) -> list[SectionGroup]:
    """Groups for well-known section names."""
    return [SectionGroup(DISPLAY.get(k, k.capitalize()), (k, *SYNONYMS[k])) for k in keys]


def normalize(text: str) -> str:
    """Lower-case words separated by single spaces (numbering, emoji and punctuation dropped)."""
    return " ".join(_WORD_RE.findall(text.lower()))


def heading_matches(heading: Heading, group: SectionGroup) -> bool:
    """True when the heading names this section."""
    text = normalize(heading.text)
    if _EXCLUDED.search(text):
        return False
    padded = " " + text
    return any(" " + normalize(stem) in padded for stem in group.stems if normalize(stem))


def strip_comments(text: str, by: str = " ") -> str:
    """`text` with its HTML comments (`<!-- ... -->`) replaced by `by`; an unclosed one runs to the
    end. One pass with `str.find` (the lazy regex this replaces rescanned the rest of the text from
    every `<!--`, quadratic on a line of them)."""
    if "<!--" not in text:
        return text
    out: list[str] = []
    i = 0
    while True:
        start = text.find("<!--", i)
        if start < 0:
            out.append(text[i:])
            break
        out.append(text[i:start])
        end = text.find("-->", start + 4)
        if end < 0:
            out.append(by)
            break
        out.append(by)
        i = end + 3
    return "".join(out)


def meaningful(texts: Iterable[str]) -> bool:
    """True when the texts hold at least one word that is not placeholder vocabulary."""
    for text in texts:
        for word in _WORD_RE.findall(strip_comments(text).lower()):
            if word not in PLACEHOLDER_WORDS:
                return True
    return False


def section_has_content(doc: MarkdownDoc, heading: Heading) -> bool:
    """True when the section under `heading` (sub-sections included) has real words or code."""
    body = [t for _n, t in doc.section(heading) if not t.lstrip().startswith("#")]
    return meaningful(body)


def missing_groups(doc: MarkdownDoc, groups: Sequence[SectionGroup], *,
                   skip: Heading | None = None) -> list[SectionGroup]:
    """The groups no heading (with content under it) satisfies."""
    heads = [h for h in doc.headings if h is not skip]
    return [g for g in groups
            if not any(heading_matches(h, g) and section_has_content(doc, h) for h in heads)]
