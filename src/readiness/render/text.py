"""The terminal report: verdict first, then gates, then findings by gate and file."""

from __future__ import annotations

import re

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


_UNSAFE_RE = re.compile("[" + re.escape("".join(sorted(_UNSAFE))) + "]")


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


def render_text(report: Report, *, color: bool = False) -> str:
    """Render for a terminal; `color` adds ANSI colours."""

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
    lines.append("findings: " + ", ".join(f"{counts[s.value]} {s.value}" for s in SEVERITIES_DESC))
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
    for g in report.gates:
        if not g.findings:
            continue
        lines.append("")
        lines.append(c(_BOLD, f"{GATE_TITLES[g.gate]} ({g.gate})"))
        fixes_shown: set[tuple[str, str]] = set()
        ordered = sorted(g.findings, key=lambda f: (f.location.path, f.location.line or 0, -f.severity.rank))
        for f in ordered:
            sev = c(_COLORS[f.severity], f"{f.severity.value:<8}")
            marks = []
            if f.waived:
                marks.append("waived")
            elif not f.introduced:
                marks.append("pre-existing")
            elif is_blocking(f, report.fail_on, f.gate in report.scope_all_gates):
                marks.append("blocking")
            mark = f" [{', '.join(marks)}]" if marks else ""
            lines.append(f"  {sev} {_loc(f)}  {f.rule}{mark}")
            lines.append(f"           {safe_terminal(f.message)}")
            if f.fix and not f.waived and (f.rule, f.fix) not in fixes_shown:
                fixes_shown.add((f.rule, f.fix))
                lines.append(f"           fix: {safe_terminal(f.fix)}")
            if f.waiver is not None:
                lines.append(f"           waived: {safe_terminal(f.waiver.reason)}")
    lines.append("")
    lines.append("Explain a rule: readiness explain <rule-id>.  Waive one: "
                 "`readiness: ignore <rule-id> -- <reason>` on the line, or `waivers:` in .readiness.yml.")
    return "\n".join(lines) + "\n"
