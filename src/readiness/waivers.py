"""Waivers: inline comments in the files and entries in `.readiness.yml`.

Inline: `readiness: ignore <rule-id>[,<rule-id>...] -- <reason>` in any comment style, on the
finding's line or the line before. Config: `waivers: [{rule, path, fingerprint, reason, expires}]`.
A waiver without a reason or past its expiry does not apply and is itself a finding
(`<gate>/invalid-waiver`); an inline waiver that matches nothing is `<gate>/unused-waiver`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from readiness.config import ConfigWaiver
from readiness.model import GATE_IDS, Finding, Location, Waiver
from readiness.rules.catalog import RULE_ID_RE, rule
from readiness.workspace import matches

MARKER = "readiness:"
"""What every inline waiver comment holds: a text without it has none, and is not kept."""
_IGNORE_RE = re.compile(r"readiness:\s*ignore\b[ \t]*")
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
        """Repository-relative path -> text, for texts that contain `MARKER`."""

    def record(self, rel: str, text: str) -> None:
        """`rel` was read as `text`."""
        if MARKER in text:
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
            for cw in live_config:
                if cw.rule != f.rule:
                    continue
                if cw.path and not matches(f.location.path, [cw.path]):
                    continue
                if cw.fingerprint and cw.fingerprint != f.fingerprint:
                    continue
                waiver = Waiver(reason=cw.reason, source="config", expires=cw.expires, location=cw.location)
                break
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
                        blocks: Callable[[Finding], bool]) -> list[Finding]:
    """The findings with each inline waiver that the pull request itself adds taken off where the
    finding would block: a PR may not approve its own blocking change (the policy belongs to the
    base branch). A waiver in a file the PR touches is the base's only when the base version of
    the file (`base_text`, None when absent) has the same waiver line over the same finding line
    (a waiver copied above a new statement is the PR's own); below the threshold it still
    applies, and either way it is shown."""
    at_base: dict[str, set[tuple[str, str]]] = {}
    at_head: dict[str, list[str]] = {}  # each file split once, not once per finding it holds
    out: list[Finding] = []
    for f in findings:
        w = f.waiver
        line = f.location.line
        if w is None or w.source != "inline" or w.location is None or line is None or not touched(w.location.path):
            out.append(f)
            continue
        path = w.location.path
        if path not in at_base:
            at_base[path] = _line_pairs(base_text(path))
        if path not in at_head:
            at_head[path] = (head_text(path) or "").splitlines()
        head = at_head[path]
        waiver_line = w.location.line or line
        pair = (head[waiver_line - 1].strip() if 0 < waiver_line <= len(head) else "\0",
                head[line - 1].strip() if 0 < line <= len(head) else "\0")
        own = (pair[1], "") not in at_base[path] if waiver_line == line else pair not in at_base[path]
        bare = f.with_(waiver=None)
        out.append(bare.with_(message=f"{f.message} {WITHHELD}") if own and blocks(bare) else f)
    return out


def _line_pairs(text: str | None) -> set[tuple[str, str]]:
    """Each line of `text` with the next, stripped, and each line alone as (line, "")."""
    if not text:
        return set()
    lines = [ln.strip() for ln in text.splitlines()]
    return set(zip(lines, lines[1:], strict=False)) | {(ln, "") for ln in lines}
