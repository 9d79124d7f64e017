"""The terminal report: verdict first, then gates, then findings by gate and file."""

from __future__ import annotations

import re
from collections.abc import Callable

from readiness import lazyre
from readiness.model import (
    GATE_TITLES,
    SEVERITIES_DESC,
    ChangeKind,
    Finding,
    GateStatus,
    Report,
    Severity,
    is_blocking,
)

_COLORS = {
    Severity.CRITICAL: "\033[1;31m",
    Severity.HIGH: "\033[31m",
    Severity.MEDIUM: "\033[33m",
    Severity.LOW: "\033[36m",
    Severity.INFO: "\033[2m",
}
_STATUS_COLORS = {GateStatus.PASS: "\033[32m", GateStatus.FAIL: "\033[1;31m", GateStatus.ERROR: "\033[35m",
                  GateStatus.SKIPPED: "\033[2m"}
_RESET = "\033[0m"
_BOLD = "\033[1m"


_UNSAFE = frozenset(
    [chr(c) for c in range(0x20) if c != 0x09] + [chr(c) for c in range(0x7F, 0xA0)]
    + ["\u200e", "\u200f", "\u2028", "\u2029", *map(chr, range(0x202A, 0x202F)), *map(chr, range(0x2066, 0x206A))]
)


_UNSAFE_RE = lazyre.compile("[" + re.escape("".join(sorted(_UNSAFE))) + "]")


_EXCLUDED_SHOWN = 5
"""Directories skipped by the built-in exclusions that the text report names (the rest are counted)."""


def safe_terminal(text: str) -> str:
    """Repository text without control characters: C0, DEL, C1 (8-bit CSI) and bidi overrides are
    shown as `\\xNN` / `\\uNNNN`, so no escape sequence or reordering reaches the terminal."""
    return _UNSAFE_RE.sub(_show, text)


def _show(m: re.Match[str]) -> str:
    ch = m.group()
    return f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}"


def _loc(f: Finding) -> str:
    loc = safe_terminal(f.location.path)
    if f.location.line:
        loc += f":{f.location.line}"
        if f.location.column:
            loc += f":{f.location.column}"
    return loc


_CHANGE_VERBS = {ChangeKind.DOWNGRADED: "re-introduces", ChangeKind.ADDED: "brings"}


def _changes(report: Report) -> list[str]:
    """Each gate's dependency changes against the base, one line each."""
    out: list[str] = []
    for g in report.gates:
        if not g.dependency_changes:
            continue
        out.append("")
        out.append(f"Dependency changes ({len(g.dependency_changes)}):")
        for ch in g.dependency_changes:
            if ch.old is not None and ch.new is not None:
                versions = f"{ch.old} -> {ch.new}"
            else:
                versions = ch.new if ch.new is not None else (ch.old or "")
            where = f"{ch.path}:{ch.line}" if ch.line else ch.path
            notes = []
            for verb, ids in ((_CHANGE_VERBS.get(ch.kind, "introduces"), ch.introduces), ("resolves", ch.resolves)):
                if ids:
                    notes.append(f"{verb} {len(ids)} advisor{'y' if len(ids) == 1 else 'ies'} ({', '.join(ids)})")
            tail = f"  {'; '.join(notes)}" if notes else ""
            out.append(safe_terminal(f"  {ch.kind.value:<10} {ch.name} {versions}  {where}{tail}"))
    return out


SUMMARY_FIRST_AT = 50
"""More listed findings than this: counts per rule and per file first, then only the blocking findings."""
_TOP_FILES = 20
"""Files named in the summary-first view (the rest are counted)."""


def _mark(report: Report, f: Finding) -> str:
    if f.waiver is not None:
        return "baselined" if f.waiver.source == "baseline" else "waived"
    if is_blocking(f, report.fail_on, f.gate in report.scope_all_gates):
        return "blocking"
    return "" if f.introduced else "pre-existing"


def render_text(report: Report, *, color: bool = False, min_severity: Severity | None = None,
                summary_at: int = SUMMARY_FIRST_AT) -> str:
    """Render for a terminal; `color` adds ANSI colours. `min_severity` lists only findings at or above it
    (counts, verdict and exit code are untouched). Over `summary_at` listed findings, the listing is
    summary-first: counts per rule and per file, then the blocking findings in full."""

    def c(code: str, text: str) -> str:
        return f"{code}{text}{_RESET}" if color else text

    lines: list[str] = []
    verdict = report.verdict.upper()
    blocking = report.blocking
    head = f"readiness-gates {report.version}: {verdict}"
    if report.verdict == "fail":
        reasons = []
        if blocking:
            reasons.append(f"{len(blocking)} blocking finding{'s' if len(blocking) != 1 else ''} "
                           f"at or above {report.fail_on.value}")
        if report.errored_gates_fail:
            reasons.append(f"gate error in {', '.join(report.errored_gates_fail)}")
        head += " (" + "; ".join(reasons) + ")"
    lines.append(c(_BOLD + ("\033[31m" if report.verdict == "fail" else "\033[32m"), head))
    if report.base:
        lines.append(f"compared with {safe_terminal(report.base)}: only what the PR changes blocks")
    counts = report.counts
    lines.append("findings: " + ", ".join(f"{counts[s.value]} {s.value}" for s in SEVERITIES_DESC)
                 + (f" (and {report.baselined} baselined, not counted)" if report.baselined else ""))
    if report.excluded_count:
        shown = ", ".join(report.excluded[:_EXCLUDED_SHOWN])
        more = report.excluded_count - min(len(report.excluded), _EXCLUDED_SHOWN)
        lines.append(safe_terminal(
            f"not read (vendored code or other projects' test data): {shown}" + (f" and {more} more" if more > 0
                                                                                   else "")
            + "; to judge them, list them under include: in .readiness.yml"))
    lines.append("")
    for g in report.gates:
        status = c(_STATUS_COLORS[g.status], f"{g.status.value:<7}")
        detail = f"{len(g.findings)} finding{'s' if len(g.findings) != 1 else ''}"
        if g.status in (GateStatus.SKIPPED, GateStatus.ERROR) and g.error:
            detail = safe_terminal(g.error)
        lines.append(f"  {status} {GATE_TITLES[g.gate]:<24} {detail}  ({g.duration_ms:.0f} ms)")
    from readiness.render.replay import replay_line

    replayed = replay_line(report)
    if replayed is not None:
        lines.append(safe_terminal(f"  {replayed}"))
    from readiness.score.rubric import score

    card = score(report)
    if card is not None:
        from readiness.render.scorecard import text_line

        lines.append("")
        lines.append(text_line(card))
    lines.extend(_changes(report))

    listed = [f for f in report.findings if min_severity is None or f.severity.rank >= min_severity.rank]
    hidden = len(report.findings) - len(listed)
    if len(listed) > summary_at:
        lines.extend(_summary_first(report, listed, c))
    else:
        lines.extend(_by_gate(report, listed, c))
    if hidden and min_severity is not None:
        lines.append("")
        lines.append(f"{hidden} finding{'s' if hidden != 1 else ''} below {min_severity.value} not printed "
                     "(--min-severity filters what is printed, never the verdict).")
    lines.append("")
    lines.append("Explain a rule: readiness explain <rule-id>.  Waive one: "
                 "`readiness: ignore <rule-id> -- <reason>` on the line, or `waivers:` in .readiness.yml.")
    return "\n".join(lines) + "\n"


def _finding_lines(report: Report, f: Finding, c: Callable[[str, str], str], fixes_shown: set[tuple[str, str]],
                   *, show_rule_fix: bool = True) -> list[str]:
    sev = c(_COLORS[f.severity], f"{f.severity.value:<8}")
    mark = _mark(report, f)
    out = [f"  {sev} {_loc(f)}  {f.rule}{f' [{mark}]' if mark else ''}", f"           {safe_terminal(f.message)}"]
    if show_rule_fix and f.fix and not f.waived and (f.rule, f.fix) not in fixes_shown:
        fixes_shown.add((f.rule, f.fix))
        out.append(f"           fix: {safe_terminal(f.fix)}")
    if f.waiver is not None:
        out.append(f"           {mark}: {safe_terminal(f.waiver.reason)}")
    return out


def _by_gate(report: Report, listed: list[Finding], c: Callable[[str, str], str]) -> list[str]:
    """Every listed finding, by gate, then file and line."""
    lines: list[str] = []
    for g in report.gates:
        mine = [f for f in listed if f.gate == g.gate]
        if not mine:
            continue
        lines.append("")
        lines.append(c(_BOLD, f"{GATE_TITLES[g.gate]} ({g.gate})"))
        fixes_shown: set[tuple[str, str]] = set()
        for f in sorted(mine, key=lambda f: (f.location.path, f.location.line or 0, -f.severity.rank)):
            lines.extend(_finding_lines(report, f, c, fixes_shown))
    return lines


def _summary_first(report: Report, listed: list[Finding], c: Callable[[str, str], str]) -> list[str]:
    """Counts per rule and per file, then the blocking findings in full; the rest are counted."""
    lines = ["", c(_BOLD, f"{len(listed)} findings: the summary first")]
    by_rule: dict[str, list[Finding]] = {}
    by_file: dict[str, int] = {}
    for f in listed:
        by_rule.setdefault(f.rule, []).append(f)
        by_file[f.location.path] = by_file.get(f.location.path, 0) + 1
    width = max(len(r) for r in by_rule)
    lines.append("")
    lines.append("By rule (count, of which blocking / baselined or waived):")
    for rid, fs in sorted(by_rule.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        n_block = sum(1 for f in fs if _mark(report, f) == "blocking")
        n_quiet = sum(1 for f in fs if f.waived)
        worst = max(fs, key=lambda f: f.severity.rank).severity
        lines.append(f"  {len(fs):>6}  {rid:<{width}}  {worst.value:<8}  "
                     f"{n_block} blocking / {n_quiet} baselined or waived")
    lines.append("")
    files = sorted(by_file.items(), key=lambda kv: (-kv[1], kv[0]))
    lines.append(f"By file ({len(files)} file{'s' if len(files) != 1 else ''}"
                 + (f", the {_TOP_FILES} with the most findings" if len(files) > _TOP_FILES else "") + "):")
    for path, n in files[:_TOP_FILES]:
        lines.append(f"  {n:>6}  {safe_terminal(path) or '(repository)'}")
    if len(files) > _TOP_FILES:
        rest = sum(n for _, n in files[_TOP_FILES:])
        lines.append(f"  {rest:>6}  in {len(files) - _TOP_FILES} more files")
    shown = [f for f in listed if _mark(report, f) == "blocking"]
    lines.append("")
    lines.append(c(_BOLD, f"Blocking findings ({len(shown)})"))
    fixes_shown: set[tuple[str, str]] = set()
    for f in sorted(shown, key=lambda f: (f.location.path, f.location.line or 0, -f.severity.rank)):
        lines.extend(_finding_lines(report, f, c, fixes_shown))
    if not shown:
        lines.append("  none")
    rest_n = len(listed) - len(shown)
    if rest_n:
        lines.append("")
        lines.append(f"{rest_n} non-blocking finding{'s' if rest_n != 1 else ''} (below the threshold, pre-existing, "
                     "waived or baselined) are counted above, not listed: --min-severity narrows the list, "
                     "--format json or markdown has every finding.")
    if not report.base and not report.baselined:
        lines.append("")
        lines.append("Adopting the gates on an existing repository? `readiness baseline` records today's findings in "
                     ".readiness-baseline.json: commit it, and only new findings block.")
    return lines
