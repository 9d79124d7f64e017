"""The organisation roll-up rendered: markdown (a job summary) and text (a terminal). Pure; every
string that came from a report (names, paths, rule ids, messages, file names) is escaped here, and
lengths are bounded so one report cannot flood the view."""

from __future__ import annotations

from readiness.model import SEVERITIES_DESC, Severity
from readiness.render import escape
from readiness.render.text import safe_terminal
from readiness.score.model import PILLARS
from readiness.score.rollup import RepoEntry, Rollup, WorstFinding
from readiness.score.rubric import RUBRIC_VERSION

_ICON = {"critical": "🔴", "high": "🟠", "medium": "🟡", "low": "🔵", "info": "⚪"}
_NAME_MAX = 100
_PATH_MAX = 160
_MESSAGE_MAX = 240


def _delta(now: float | int | None, before: float | int | None) -> str:
    if now is None or before is None:
        return ""
    d = round(float(now) - float(before), 2)
    if d == 0:
        return ""
    text = f"{abs(d):g}"
    return f" ↑{text}" if d > 0 else f" ↓{text}"


def _pillar_cell(r: RepoEntry, pillar: str) -> str:
    if r.score is None:
        return "–"
    now = r.score.pillars.get(pillar)
    before = (r.previous or {}).get("pillars") or {}
    stale = "" if r.score.rubric_version == RUBRIC_VERSION else f" (v{r.score.rubric_version})"
    return f"{now}{_delta(now, before.get(pillar))}{stale}"


def _overall_cell(r: RepoEntry) -> str:
    if r.score is None:
        return "–"
    return f"{r.score.overall:g}{_delta(r.score.overall, (r.previous or {}).get('overall'))}"


def _where(f: WorstFinding) -> str:
    return f.path + (f":{f.line}" if f.line else "")


def render_rollup_markdown(view: Rollup) -> str:
    """The organisation view for a job summary."""
    n = len(view.repositories)
    out = [f"## Readiness across {n} repositor{'y' if n == 1 else 'ies'}", ""]
    facts = [f"**{view.failing}** failing"]
    if view.rejected:
        facts.append(f"**{len(view.rejected)}** report{'s' if len(view.rejected) != 1 else ''} rejected")
    facts.append(f"scorecard rubric v{RUBRIC_VERSION} (docs/scorecard.md)")
    out += [" · ".join(facts), ""]
    means = view.pillar_means()
    if means:
        prev = view.previous_pillars or {}
        out.append("Mean per pillar: " + " · ".join(
            f"{p.value} **{means[p.value]:g}**{_delta(means[p.value], prev.get(p.value))}" for p in PILLARS) + ".")
        out.append("")
    if view.repositories:
        head = "| Repository | Verdict | " + " | ".join(p.value.capitalize() for p in PILLARS)
        out += [head + " | Overall | Critical | High |", "|:--|:--|" + ":-:|" * (len(PILLARS) + 1) + "--:|--:|"]
        for r in view.repositories:
            verdict = "❌ fail" if r.verdict == "fail" else "✅ pass"
            was = (r.previous or {}).get("verdict")
            if was and was != r.verdict:
                verdict += f" (was {was})"
            cells = [escape.code_span(r.name, max_len=_NAME_MAX, table=True), verdict,
                     *(_pillar_cell(r, p.value) for p in PILLARS), _overall_cell(r),
                     str(r.counts.get("critical", 0)), str(r.counts.get("high", 0))]
            out.append("| " + " | ".join(cells) + " |")
        out.append("")
    if view.worst:
        out += [f"### The worst {len(view.worst)} findings", ""]
        for f in view.worst:
            sev = Severity(f.severity)
            pre = "" if f.introduced else " _(pre-existing)_"
            repo = escape.code_span(f.repository, max_len=_NAME_MAX)
            where = escape.inline(_where(f), max_len=_PATH_MAX, keep_end=True)
            out.append(f"- {_ICON[sev.value]} **{sev.value}**{pre} · {repo} · {escape.code_span(f.rule, max_len=80)}"
                       f" · {where} — {escape.inline(f.message, max_len=_MESSAGE_MAX)}")
        out.append("")
    if view.removed:
        out += ["### Not in this roll-up any more", "",
                ", ".join(escape.code_span(r, max_len=_NAME_MAX) for r in view.removed[:200])
                + (f" and {len(view.removed) - 200} more" if len(view.removed) > 200 else ""), ""]
    if view.rejected:
        out += ["### Rejected reports", ""]
        out += [f"- {escape.code_span(r.name, max_len=_NAME_MAX)} "
                f"({escape.inline(r.file, max_len=_PATH_MAX, keep_end=True)}): "
                f"{escape.inline(r.reason, max_len=_MESSAGE_MAX)}" for r in view.rejected]
        out.append("")
    return "\n".join(out)


def render_rollup_text(view: Rollup) -> str:
    """The organisation view for a terminal."""
    n = len(view.repositories)
    lines = [f"readiness rollup: {n} repositor{'y' if n == 1 else 'ies'}, {view.failing} failing, "
             f"{len(view.rejected)} rejected (rubric v{RUBRIC_VERSION})"]
    means = view.pillar_means()
    if means:
        prev = view.previous_pillars or {}
        lines.append("mean: " + ", ".join(f"{p.value} {means[p.value]:g}{_delta(means[p.value], prev.get(p.value))}"
                                          for p in PILLARS))
    lines.append("")
    width = min(max((len(r.name) for r in view.repositories), default=10), 50)
    for r in view.repositories:
        scores = " ".join(f"{p.value[:3]} {_pillar_cell(r, p.value):<5}" for p in PILLARS)
        counts = ", ".join(f"{r.counts.get(s.value, 0)} {s.value}" for s in SEVERITIES_DESC[:2])
        name = safe_terminal(escape.truncate(r.name, 50))
        lines.append(f"  {r.verdict:<4}  {name:<{width}}  {scores}  overall {_overall_cell(r):<6} {counts}")
    if view.worst:
        lines += ["", "worst findings:"]
        lines += [f"  {f.severity:<8} {safe_terminal(escape.truncate(f.repository, 50))}  "
                  f"{safe_terminal(escape.truncate(_where(f), _PATH_MAX, keep_end=True))}  {safe_terminal(f.rule)}\n"
                  f"           {safe_terminal(escape.truncate(f.message, _MESSAGE_MAX))}" for f in view.worst]
    if view.removed:
        lines += ["", "not in this roll-up any more: " + ", ".join(safe_terminal(r) for r in view.removed[:50])]
    if view.rejected:
        lines += ["", "rejected:"]
        lines += [f"  {safe_terminal(r.name)} ({safe_terminal(r.file)}): {safe_terminal(r.reason)}"
                  for r in view.rejected]
    return "\n".join(lines) + "\n"
