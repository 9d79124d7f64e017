"""Waivers: inline comments in the files and entries in `.readiness.yml`.

Inline: `readiness: ignore <rule-id>[,<rule-id>...] -- <reason>` in any comment style, on the
finding's line or the line before. Config: `waivers: [{rule, path, fingerprint, reason, expires}]`.
A waiver without a reason or past its expiry does not apply and is itself a finding
(`<gate>/invalid-waiver`); an inline waiver that matches nothing is `<gate>/unused-waiver`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from readiness import lazyre
from readiness.config import ConfigWaiver
from readiness.model import GATE_IDS, Finding, Location, Waiver
from readiness.rules.catalog import RULE_ID_RE, rule
from readiness.workspace import GlobSet, glob_regex

MARKER = "readiness:"
"""What every inline waiver comment holds: a text without it has none, and is not kept."""
ALLOWLIST_MARK = "pragma: allowlist secret"
"""detect-secrets' marker, which the config gate takes for an inline waiver of a secret on its line
(the gate attaches the waiver itself): a text holding it is kept too, so that the waiver can be
compared with the base branch's text (`withhold_new_inline`)."""
_IGNORE_RE = lazyre.compile(r"readiness:\s*ignore\b[ \t]*")
_CLOSERS = ("*/", "-->", "#}", "%}")
"""Comment closers a waiver may end with (C, HTML, Jinja)."""

INVALID = {g: rule(f"{g}/invalid-waiver") for g in GATE_IDS}
NOT_INLINE = frozenset({"config/policy-relaxed"})
"""Rules an inline comment never waives: the pull request would be waiving its own change of the policy
(only the base branch's `waivers:` can)."""
UNUSED = {g: rule(f"{g}/unused-waiver") for g in GATE_IDS}


@dataclass(frozen=True, slots=True)
class InlineWaiver:
    """One `readiness: ignore` comment."""

    path: str
    line: int
    column: int
    rules: tuple[str, ...]
    reason: str


class ReadLog:
    """The texts one gate read that may hold inline waivers (`MARKER`), in the order first read.

    The engine owns one per gate and shows it every text that gate reads (`Workspace.observed`):
    the texts give the inline waivers without a second read, and the gate that read a file first
    is the gate an invalid or unused waiver there is reported under."""

    __slots__ = ("texts",)

    def __init__(self) -> None:
        self.texts: dict[str, str] = {}
        """Repository-relative path -> text, for texts that contain `MARKER` (or `ALLOWLIST_MARK`)."""

    def record(self, rel: str, text: str) -> None:
        """`rel` was read as `text`."""
        if MARKER in text or ALLOWLIST_MARK in text:
            self.texts.setdefault(rel, text)

    def fork(self) -> ReadLog:
        """An empty log for reads made in a forked child."""
        return ReadLog()

    def merge(self, other: ReadLog) -> None:
        """Take in what a child's log recorded, as if recorded here."""
        for rel, text in other.texts.items():
            self.texts.setdefault(rel, text)


def inline_sources(logs: Iterable[tuple[str, ReadLog]]) -> tuple[list[InlineWaiver], dict[str, str]]:
    """The inline waivers in every text the gates read, and which gate read each file first (the
    gate its invalid or unused waivers belong to). `logs` is (gate, log) in the order the gates ran."""
    readers: dict[str, str] = {}
    texts: dict[str, str] = {}
    for gate, log in logs:
        for rel, text in log.texts.items():
            readers.setdefault(rel, gate)
            texts.setdefault(rel, text)
    inline = [w for rel, text in texts.items() for w in parse_inline(rel, text)]
    return inline, readers


def parse_inline(path: str, text: str) -> list[InlineWaiver]:
    """Every inline waiver comment in a file. Linear in the text: a line is cut with `find`, never
    matched by a regex that could backtrack over a run of blanks (a hostile line of spaces)."""
    out: list[InlineWaiver] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        idx = line.find(MARKER)
        while idx >= 0:
            m = _IGNORE_RE.match(line, idx)
            if m is not None:
                rules_text, reason = _split_waiver(line[m.end():])
                rules = tuple(r for r in re.split(r"[\s,]+", rules_text.strip()) if r)
                out.append(InlineWaiver(path=path, line=lineno, column=idx + 1, rules=rules, reason=reason))
                break
            idx = line.find(MARKER, idx + 1)
    return out


def _split_waiver(rest: str) -> tuple[str, str]:
    """(rules, reason) of what follows `readiness: ignore`: the reason starts at the first `--` after a
    blank; a comment closer and blanks at the end belong to neither."""
    rest = rest.rstrip(" \t")
    for closer in _CLOSERS:
        if rest.endswith(closer):
            rest = rest[: -len(closer)].rstrip(" \t")
            break
    at = rest.find("--")
    while at == 0 or (at > 0 and rest[at - 1] not in " \t"):
        at = rest.find("--", at + 1)
    if at < 0:
        return rest, ""
    return rest[:at].rstrip(" \t"), rest[at + 2:].strip()


def _gate_of(rule_id: str) -> str | None:
    gate = rule_id.split("/", 1)[0]
    return gate if gate in GATE_IDS else None


@dataclass(slots=True)
class _RuleWaivers:
    """The live config waivers of one rule, in order, with their paths matched as one glob set: a
    finding costs one regex match (not one per waiver) when no waiver's path covers it."""

    waivers: list[ConfigWaiver] = field(default_factory=list)
    _paths: GlobSet | None = None
    _pathless: bool = False

    def first(self, f: Finding) -> ConfigWaiver | None:
        """The first waiver that covers `f` (its path glob, its fingerprint), or None."""
        if self._paths is None:
            self._paths = GlobSet(cw.path for cw in self.waivers if cw.path)
            self._pathless = any(not cw.path for cw in self.waivers)
        path = f.location.path
        if not self._pathless and not self._paths.match(path):
            return None
        for cw in self.waivers:
            if cw.path and not glob_regex(cw.path).match(path):
                continue
            if cw.fingerprint and cw.fingerprint != f.fingerprint:
                continue
            return cw
        return None


def apply_waivers(
    findings: Sequence[Finding],
    *,
    inline: Iterable[InlineWaiver],
    config: Sequence[ConfigWaiver],
    readers: dict[str, str],
    today: date,
) -> list[Finding]:
    """Findings with waivers applied, plus the findings about invalid or unused waivers."""
    by_line: dict[tuple[str, int], list[InlineWaiver]] = {}
    extra: list[Finding] = []
    valid_inline: list[InlineWaiver] = []
    for w in inline:
        loc = Location(path=w.path, line=w.line, column=w.column)
        bad_ids = [r for r in w.rules if not RULE_ID_RE.match(r)]
        gate = next((g for g in map(_gate_of, w.rules) if g), None) or readers.get(w.path)
        if gate is None:
            continue
        if not w.rules or bad_ids:
            what = f"unknown rule id {bad_ids[0]!r}" if bad_ids else "no rule id"
            extra.append(INVALID[gate].finding(
                loc, message=f"Inline waiver has {what}; write `readiness: ignore <gate>/<rule> -- <reason>`.",
                evidence=f"{w.line}:{what}"))
            continue
        if not w.reason:
            extra.append(INVALID[gate].finding(
                loc, message=f"Inline waiver of {', '.join(w.rules)} has no reason, so it is ignored.",
                evidence=",".join(w.rules)))
            continue
        valid_inline.append(w)
        for target in (w.line, w.line + 1):
            by_line.setdefault((w.path, target), []).append(w)
    used: set[int] = set()
    live_config: list[ConfigWaiver] = []
    for cw in config:
        gate = _gate_of(cw.rule) or "docs"
        if not cw.reason:
            extra.append(INVALID[gate].finding(
                cw.location, message=f"Waiver of {cw.rule} has no reason, so it is ignored.",
                evidence=f"{cw.rule}:{cw.path}:{cw.fingerprint}"))
        elif cw.expires is not None and cw.expires < today:
            extra.append(INVALID[gate].finding(
                cw.location, message=f"Waiver of {cw.rule} expired on {cw.expires.isoformat()}, so it is ignored.",
                evidence=f"{cw.rule}:{cw.path}:{cw.expires}"))
        else:
            live_config.append(cw)
    by_rule: dict[str, _RuleWaivers] = {}
    for cw in live_config:
        by_rule.setdefault(cw.rule, _RuleWaivers()).waivers.append(cw)
    out: list[Finding] = []
    for f in findings:
        waiver: Waiver | None = None
        line = f.location.line
        if line is not None:
            for w in by_line.get((f.location.path, line), ()):
                if f.rule in w.rules and f.rule not in NOT_INLINE:
                    waiver = Waiver(reason=w.reason, source="inline",
                                    location=Location(path=w.path, line=w.line, column=w.column))
                    used.add(id(w))
                    break
        if waiver is None:
            hit = by_rule[f.rule].first(f) if f.rule in by_rule else None
            if hit is not None:
                waiver = Waiver(reason=hit.reason, source="config", expires=hit.expires, location=hit.location)
        out.append(f.with_(waiver=waiver) if waiver else f)
    for w in valid_inline:
        if id(w) not in used:
            gate = _gate_of(w.rules[0]) or readers.get(w.path) or "docs"
            extra.append(UNUSED[gate].finding(
                Location(path=w.path, line=w.line, column=w.column),
                message=f"Inline waiver of {', '.join(w.rules)} matches no finding on this line or the next.",
                evidence=",".join(w.rules)))
    return out + extra


WITHHELD = ("The inline waiver this pull request adds does not apply: a finding that blocks the merge is "
            "waived only from the base branch (a `waivers:` entry, or an inline waiver it already has).")


def withhold_new_inline(findings: Sequence[Finding], *, base_text: Callable[[str], str | None],
                        head_text: Callable[[str], str | None], touched: Callable[[str], bool],
                        blocks: Callable[[Finding], bool],
                        from_top: Callable[[Finding], bool] = lambda _f: False) -> list[Finding]:
    """The findings with each inline waiver that the pull request itself adds taken off where the
    finding would block: a PR may not approve its own blocking change (the policy belongs to the
    base branch). A waiver in a file the PR touches is the base's only when the base version of
    the file (`base_text`, None when absent) has the same lines, in a row, from the waiver through
    the last line of the finding (a waiver copied above a new statement, or kept above a statement
    whose first line stays while the rest changes, is the PR's own); below the threshold it still
    applies, and either way it is shown. For a finding whose meaning depends on every line above it
    (`from_top`: a migration statement means what the statements before it make it mean, so a
    rename or a search_path prepended to a file Flyway re-runs repurposes a kept waiver) the run
    starts at the file's first line and must be at the same place in the base version."""
    at_base: dict[str, _Lines] = {}
    at_head: dict[str, list[str]] = {}  # each file split once: a file of thousands of waived findings is linear
    agree: dict[str, int] = {}  # how many of the head's first lines the base opens with
    judged: dict[tuple[str, int, int], bool] = {}
    out: list[Finding] = []
    for f in findings:
        w = f.waiver
        line = f.location.line
        if w is None or w.source != "inline" or w.location is None or line is None or not touched(w.location.path):
            out.append(f)
            continue
        path = w.location.path
        if path not in at_base:
            at_base[path] = _Lines(base_text(path))
            at_head[path] = [ln.strip() for ln in (head_text(path) or "").splitlines()]
            agree[path] = at_base[path].agrees(at_head[path])
        head = at_head[path]
        top = from_top(f)
        first = 1 if top else min(w.location.line or line, line)
        last = max(line, f.location.end_line or line)
        key = (path, first, last)
        if key not in judged:
            judged[key] = not (0 < first <= last <= len(head) and (
                last <= agree[path] if top else at_base[path].has_run(head, first - 1, last)))
        bare = f.with_(waiver=None)
        out.append(bare.with_(message=f"{f.message} {WITHHELD}") if judged[key] and blocks(bare) else f)
    return out


class _Lines:
    """A base version of a file, stripped line by line, that says whether it holds a run of lines."""

    MAX_STARTS = 64
    """Places of a run's first line that are compared; past them the run counts as not at the base."""

    def __init__(self, text: str | None) -> None:
        self.lines = [ln.strip() for ln in text.splitlines()] if text else []
        self.starts: dict[str, list[int]] = {}
        for i, ln in enumerate(self.lines):
            at = self.starts.setdefault(ln, [])
            if len(at) < self.MAX_STARTS:
                at.append(i)

    def agrees(self, head: list[str]) -> int:
        """How many of `head`'s first lines this version opens with, blank lines aside (they mean
        nothing): one pass, so a file of thousands of waived findings stays linear."""
        opening = (ln for ln in self.lines if ln)
        for i, ln in enumerate(head):
            if ln and next(opening, None) != ln:
                return i
        return len(head)

    def has_run(self, head: list[str], start: int, end: int) -> bool:
        """True when `head[start:end]` appears, line for line, somewhere in this version."""
        n = end - start
        return any(self.lines[i:i + n] == head[start:end] for i in self.starts.get(head[start], ()))
