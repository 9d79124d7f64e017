"""The pillar scorecard rendered: the JSON `score` section, markdown for the comment and the job
summary, and text for the terminal. Pure; every piece of repository text (item ids, paths, rule
messages quoted in reasons) is escaped here."""

from __future__ import annotations

from typing import Any

from readiness.render import escape
from readiness.render.text import safe_terminal
from readiness.score.model import PillarScore, Scorecard
from readiness.score.rubric import RUBRIC_DOC, rubric_dict

REASONS_SHOWN = 6
"""Reasons per pillar in markdown and text; the rest are counted."""
NEXT_SHOWN = 4
"""Steps to the next level per pillar in markdown and text."""
_REASON_MAX = 300
_EFFECT_ICON = {"raises": "⬆️", "lowers": "⬇️", "note": "ℹ️"}
_EFFECT_MARK = {"raises": "+", "lowers": "-", "note": "·"}


def score_dict(sc: Scorecard) -> dict[str, Any]:
    """The report's `score` section (optional within schema_version 1)."""
    weakest = sc.weakest
    return {
        "rubric": rubric_dict(),
        "checklist": sc.checklist,
        "overall": sc.overall,
        "weakest": weakest.pillar.value if weakest else None,
        "pillars": [_pillar_dict(p) for p in sc.pillars],
    }


def _pillar_dict(p: PillarScore) -> dict[str, Any]:
    t = p.items
    return {
        "pillar": p.pillar.value, "score": p.score, "level": p.level,
        "checklist_level": p.checklist_level, "cap": p.cap,
        "items": {"total": t.total, "done": t.done, "proven": t.proven, "not_applicable": t.not_applicable,
                  "unowned": t.unowned, "contradicted": t.contradicted},
        "findings": dict(p.findings),
        "reasons": [{"text": r.text, "source": r.source, "effect": r.effect} for r in p.reasons],
        "next": list(p.next),
    }


def dots(score: int) -> str:
    """`●●●○○` for 3."""
    return "●" * score + "○" * (5 - score)


def _title(p: PillarScore) -> str:
    return p.pillar.value.capitalize()


def markdown_line(sc: Scorecard) -> str:
    """One line: every pillar's score (the minimal comment)."""
    return "**Scorecard:** " + " · ".join(f"{_title(p)} {p.score}/5" for p in sc.pillars) + "."


def markdown_section(sc: Scorecard) -> list[str]:
    """The scorecard for the comment and the job summary: a table, then why and how to go up."""
    where = f" from {escape.code_span(sc.checklist, max_len=120)}" if sc.checklist else " (no checklist)"
    out = [f"### Readiness scorecard{where}", "",
           "| Pillar | Score | Level |", "|:--|:--|:--|"]
    out += [f"| {_title(p)} | {dots(p.score)} {p.score}/5 | {p.level} |" for p in sc.pillars]
    out += ["", "<details>",
            f"<summary>Why each pillar scores what it does, and what would raise it (rubric v{sc.rubric_version},"
            f" {RUBRIC_DOC})</summary>", ""]
    for p in sc.pillars:
        out.append(f"**{_title(p)}: {p.score}/5 ({p.level})**")
        out.append("")
        for r in p.reasons[:REASONS_SHOWN]:
            out.append(f"- {_EFFECT_ICON.get(r.effect, '-')} {escape.prose(r.text, max_len=_REASON_MAX)}")
        if len(p.reasons) > REASONS_SHOWN:
            out.append(f"- _… and {len(p.reasons) - REASONS_SHOWN} more (`readiness score` lists them all)_")
        if p.next:
            out.append(f"- **To reach {p.score + 1}:** "
                       + "; ".join(escape.prose(n, max_len=_REASON_MAX) for n in p.next[:NEXT_SHOWN]))
        out.append("")
    out += ["</details>", ""]
    return out


def text_line(sc: Scorecard) -> str:
    """One line for `readiness check`'s terminal report."""
    return ("scorecard: " + ", ".join(f"{p.pillar.value} {p.score}/5" for p in sc.pillars)
            + " (`readiness score` says why)")


def render_score_text(sc: Scorecard, *, full: bool = True) -> str:
    """`readiness score` on a terminal: each pillar, its reasons and what would raise it."""
    checklist = safe_terminal(sc.checklist) if sc.checklist else "none (`readiness init` writes a starter)"
    weakest = sc.weakest
    lines = [f"readiness scorecard (rubric v{sc.rubric_version}, {RUBRIC_DOC})",
             f"checklist: {checklist}",
             f"overall {sc.overall}/5" + (f", weakest: {weakest.pillar.value}" if weakest else ""), ""]
    for p in sc.pillars:
        lines.append(f"{p.pillar.value:<15} {dots(p.score)} {p.score}/5 {p.level}")
        reasons = p.reasons if full else p.reasons[:REASONS_SHOWN]
        lines += [f"  {_EFFECT_MARK.get(r.effect, '-')} {safe_terminal(r.text)}" for r in reasons]
        if len(reasons) < len(p.reasons):
            lines.append(f"  · and {len(p.reasons) - len(reasons)} more")
        lines += [f"  to reach {p.score + 1}: {safe_terminal(n)}" for n in p.next]
        lines.append("")
    return "\n".join(lines)


def render_score_markdown(sc: Scorecard) -> str:
    """`readiness score --format markdown` (a job summary step)."""
    return "\n".join(markdown_section(sc)) + "\n"
