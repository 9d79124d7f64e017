"""The scorecard rubric, version 1, and the scorer: `score(report) -> Scorecard`.

Written down once here and explained in docs/scorecard.md (keep the two in step; a test compares
the criteria). Each pillar climbs a ladder of levels on its checklist items, and the gates' findings
cap it:

* 1 nonexistent: the pillar has no item done.
* 2 started: at least one item is done.
* 3 defined: every item has an owner and a status; at least half are done or not applicable; no
  done item's evidence fails.
* 4 managed: every item is done or not applicable.
* 5 rock solid: every done item is proven by path, gate or rule evidence that holds.

Caps: an unwaived critical finding of a rule that feeds the pillar caps it at 2, a high one at 3,
a medium one at 4; a gate that feeds the pillar and could not run caps it at 3. Waived findings do
not count (the waiver records an accepted risk, with its reason); pre-existing ones do (the score
describes the repository, not the pull request).

The scorer is a pure function of a `Report`: it reads the checklist gate's items (their states were
judged against the other gates' settled results) and every other gate's findings.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from readiness.model import Finding, GateResult, GateStatus, Report
from readiness.score.model import PILLARS, ItemState, ItemTally, Pillar, PillarScore, Reason, Scorecard

RUBRIC_VERSION = 1
RUBRIC_DOC = "docs/scorecard.md"
LEVELS: dict[int, str] = {1: "nonexistent", 2: "started", 3: "defined", 4: "managed", 5: "rock solid"}
CRITERIA: dict[int, tuple[str, ...]] = {
    1: ("the pillar has no checklist item done",),
    2: ("at least one checklist item of the pillar is done",),
    3: ("every item of the pillar has an owner and a status",
        "at least half of the items are done or not applicable",
        "no done item's evidence fails"),
    4: ("every item of the pillar is done or not applicable",),
    5: ("every done item is proven by path, gate or rule evidence that holds",),
}
CAPS: tuple[tuple[str, int], ...] = (("critical", 2), ("high", 3), ("medium", 4))
"""An unwaived finding of this severity, of a rule that feeds the pillar, caps the pillar here."""
GATE_ERROR_CAP = 3
"""A gate that feeds the pillar and could not run caps it here: its evidence is unknown."""

GATE_PILLARS: dict[str, tuple[Pillar, ...]] = {
    "migrations": (Pillar.RELIABILITY,),
    "deps": (Pillar.SECURITY,),
    "config": (Pillar.RELIABILITY, Pillar.SECURITY),
    "docs": (Pillar.SUPPORTABILITY, Pillar.OBSERVABILITY),
}
"""The pillars each gate's findings can feed (for gate errors and notes)."""
_RULE_PILLAR: dict[str, Pillar] = {"config/plaintext-secret": Pillar.SECURITY}
_NO_PILLAR_NAMES = frozenset({"invalid-waiver", "unused-waiver", "unreadable-file"})
_LISTED = 3
"""Examples named in one reason; the rest are counted."""


def pillar_of(rule: str) -> Pillar | None:
    """The pillar a rule's findings feed, or None (waiver bookkeeping, unreadable files, checklist
    rules: the checklist feeds the score through its items, not its findings).

    migrations -> reliability; deps -> security; config -> reliability, except plaintext secrets
    -> security; docs -> supportability, except alert rules and their runbooks -> observability.
    """
    gate, _, name = rule.partition("/")
    if gate == "checklist" or name in _NO_PILLAR_NAMES:
        return None
    if rule in _RULE_PILLAR:
        return _RULE_PILLAR[rule]
    if gate == "docs" and (name.startswith("alert-") or name == "invalid-alert-rules"):
        return Pillar.OBSERVABILITY
    pillars = GATE_PILLARS.get(gate)
    return pillars[0] if pillars else None


def rubric_dict() -> dict[str, Any]:
    """The rubric as data, carried in the JSON report so a dashboard knows what the numbers mean."""
    return {
        "version": RUBRIC_VERSION,
        "doc": RUBRIC_DOC,
        "levels": [{"score": n, "name": LEVELS[n], "criteria": list(CRITERIA[n])} for n in sorted(LEVELS)],
        "caps": [{"severity": sev, "max_score": cap} for sev, cap in CAPS]
                + [{"severity": "gate-error", "max_score": GATE_ERROR_CAP}],
    }


@dataclass(frozen=True, slots=True, kw_only=True)
class ItemView:
    """A checklist item as the checklist gate reported it (read back from the gate's item data)."""

    id: str
    """The item id."""
    title: str
    """Its title."""
    pillar: Pillar
    """Its pillar."""
    owner: str | None
    """Its owner, when set."""
    status: str | None
    """Its status, when set."""
    state: ItemState
    """What the gate concluded."""
    failing: tuple[str, ...]
    """Evidence that fails, in plain words."""
    not_run: tuple[str, ...]
    """Evidence that could not be checked, in plain words."""
    ready: bool
    """Path, gate or rule evidence exists and all of it holds (an open item that could be marked done)."""
    path: str
    """The checklist file."""


def item_views(data: Iterable[Mapping[str, Any]]) -> list[ItemView]:
    """The checklist gate's items, typed; entries that are not checklist items are skipped."""
    out = []
    for d in data:
        try:
            pillar = Pillar(str(d.get("pillar")))
            state = ItemState(str(d.get("state")))
        except ValueError:
            continue
        labels, states, details = (_strings(d.get(k)) for k in ("evidence", "evidence_state", "evidence_detail"))
        rows = list(zip(labels, states, details + [""] * (len(labels) - len(details)), strict=False))
        out.append(ItemView(
            id=str(d.get("id") or "?"), title=str(d.get("title") or ""), pillar=pillar,
            owner=_text(d.get("owner")), status=_text(d.get("status")), state=state,
            failing=tuple(f"{lab}: {det}" if det else lab for lab, st, det in rows if st == "fails"),
            not_run=tuple(f"{lab}: {det}" if det else lab for lab, st, det in rows if st == "not-run"),
            ready=any(st == "holds" for _, st, _ in rows) and all(st in ("holds", "claimed") for _, st, _ in rows),
            path=str(d.get("path") or "")))
    return out


def _strings(value: Any) -> list[str]:
    """A list field of an item; anything else (a report read back from JSON may hold a number) is empty."""
    return [str(x) for x in value] if isinstance(value, list | tuple) else []


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _names(ids: list[str]) -> str:
    shown = ", ".join(f"`{i}`" for i in ids[:_LISTED])
    return shown + (f" and {len(ids) - _LISTED} more" if len(ids) > _LISTED else "")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _where(f: Finding) -> str:
    line = f":{f.location.line}" if f.location.line else ""
    return f"`{f.rule}` in `{f.location.path}{line}`" if f.location.path else f"`{f.rule}`"


def _examples(findings: list[Finding]) -> str:
    shown = ", ".join(_where(f) for f in findings[:_LISTED])
    return shown + (f" and {len(findings) - _LISTED} more" if len(findings) > _LISTED else "")


@dataclass(slots=True)
class _Evidence:
    """What the gates say about one pillar."""

    by_severity: dict[str, list[Finding]]
    errored: list[GateResult]
    skipped: list[GateResult]


def _gate_evidence(report: Report) -> dict[Pillar, _Evidence]:
    out = {p: _Evidence(by_severity={sev: [] for sev, _ in CAPS + (("low", 5),)}, errored=[], skipped=[])
           for p in PILLARS}
    for g in report.gates:
        feeds = GATE_PILLARS.get(g.gate, ())
        if g.status is GateStatus.ERROR:
            for p in feeds:
                out[p].errored.append(g)
        elif g.status is GateStatus.SKIPPED:
            for p in feeds:
                out[p].skipped.append(g)
        for f in g.findings:
            pillar = pillar_of(f.rule)
            if pillar is None or f.waived or f.severity.value not in out[pillar].by_severity:
                continue
            out[pillar].by_severity[f.severity.value].append(f)
    return out


def _tally(items: list[ItemView]) -> ItemTally:
    done = [i for i in items if i.state in (ItemState.PROVEN, ItemState.CLAIMED, ItemState.UNVERIFIED,
                                            ItemState.CONTRADICTED)]
    return ItemTally(
        total=len(items), done=len(done),
        proven=sum(1 for i in done if i.state is ItemState.PROVEN),
        not_applicable=sum(1 for i in items if i.state is ItemState.NOT_APPLICABLE),
        unowned=sum(1 for i in items if i.owner is None or i.status is None),
        contradicted=sum(1 for i in done if i.state is ItemState.CONTRADICTED))


def _unmet(level: int, pillar: Pillar, items: list[ItemView], t: ItemTally, starter: int) -> list[str]:
    """What the checklist still lacks for `level` (empty when it meets it)."""
    if level == 2:
        if t.total == 0:
            return [f"add checklist items for {pillar.value} (`readiness init` writes a starter checklist "
                    f"with {starter})"]
        if t.done == 0:
            return ["finish an item and mark it done: " + _candidates(items)]
        return []
    if level == 3:
        out = []
        unowned = [i.id for i in items if i.owner is None or i.status is None]
        if unowned:
            out.append("give an owner and a status to " + _names(unowned))
        short = (t.total + 1) // 2 - (t.done + t.not_applicable)
        if short > 0:
            out.append(f"finish {_plural(short, 'more item')} (half of {t.total}): " + _candidates(items))
        bad = [i for i in items if i.state is ItemState.CONTRADICTED]
        if bad:
            first = f" (`{bad[0].id}`: {bad[0].failing[0]})" if bad[0].failing else ""
            out.append("make the failing evidence hold again, or reopen the item: "
                       + _names([i.id for i in bad]) + first)
        return out
    if level == 4:
        open_ids = [i.id for i in items if i.state is ItemState.OPEN]
        return ["finish, or mark not applicable with a reason: " + _names(open_ids)] if open_ids else []
    if level == 5:
        out = []
        claimed = [i.id for i in items if i.state is ItemState.CLAIMED]
        if claimed:
            out.append("prove with path, gate or rule evidence (links only claim): " + _names(claimed))
        unverified = [i for i in items if i.state is ItemState.UNVERIFIED]
        if unverified:
            first = f" ({unverified[0].not_run[0]})" if unverified[0].not_run else ""
            out.append("run the gates that check the evidence of " + _names([i.id for i in unverified])
                       + first)
        return out
    return []


def _candidates(items: list[ItemView]) -> str:
    """Open items, those whose evidence already holds first (they need only their status changed)."""
    ready = [i.id for i in items if i.state is ItemState.OPEN and i.ready]
    rest = [i.id for i in items if i.state is ItemState.OPEN and not i.ready]
    if ready:
        return "the evidence of " + _names(ready) + " already holds" + (f"; then {_names(rest)}" if rest else "")
    return _names(rest)


def _checklist_level(pillar: Pillar, items: list[ItemView], t: ItemTally, starter: int) -> int:
    level = 1
    for candidate in (2, 3, 4, 5):
        if _unmet(candidate, pillar, items, t, starter):
            break
        level = candidate
    return level


def _pillar(pillar: Pillar, items: list[ItemView], ev: _Evidence, starter: int) -> PillarScore:
    t = _tally(items)
    reasons: list[Reason] = []
    level = _checklist_level(pillar, items, t, starter)
    if t.total == 0:
        reasons.append(Reason(text=f"no checklist item is about {pillar.value}", source="checklist",
                              effect="lowers"))
    else:
        parts = [f"{t.done} of {t.total} items done", f"{t.proven} proven by evidence"]
        if t.not_applicable:
            parts.append(f"{t.not_applicable} not applicable")
        reasons.append(Reason(text=", ".join(parts) + f": the checklist reaches level {level} "
                                   f"({LEVELS[level]})",
                              source="checklist", effect="raises" if t.done else "lowers"))
    for what, ids in (("no owner", [i.id for i in items if i.owner is None]),
                      ("no status", [i.id for i in items if i.status is None])):
        if ids:
            reasons.append(Reason(text=f"{_plural(len(ids), 'item')} with {what}: {_names(ids)}",
                                  source=f"item:{ids[0]}", effect="lowers"))
    bad = [i for i in items if i.state is ItemState.CONTRADICTED]
    if bad:
        why = f" (`{bad[0].id}`: {bad[0].failing[0]})" if bad[0].failing else ""
        reasons.append(Reason(text=f"{_plural(len(bad), 'item')} marked done while the evidence fails: "
                                   f"{_names([i.id for i in bad])}{why}", source=f"item:{bad[0].id}",
                              effect="lowers"))
    cap = 5
    for sev, sev_cap in CAPS:
        found = ev.by_severity[sev]
        if found:
            cap = min(cap, sev_cap)
            verb = "caps" if len(found) == 1 else "cap"
            reasons.append(Reason(text=f"{_plural(len(found), sev + ' finding')} {verb} it at {sev_cap}: "
                                       + _examples(found),
                                  source=f"rule:{found[0].rule}", effect="lowers"))
    for g in ev.errored:
        cap = min(cap, GATE_ERROR_CAP)
        reasons.append(Reason(text=f"gate `{g.gate}` could not run, so its evidence is unknown: it caps the "
                                   f"pillar at {GATE_ERROR_CAP}", source=f"gate:{g.gate}", effect="lowers"))
    reasons.extend(Reason(text=f"gate `{g.gate}` did not run ({g.error or 'skipped'}): its findings neither "
                               "lower nor confirm this pillar", source=f"gate:{g.gate}", effect="note")
                   for g in ev.skipped)
    score = min(level, cap)
    nxt: list[str] = []
    if score < 5:
        target = score + 1
        for sev, sev_cap in CAPS:
            found = ev.by_severity[sev]
            if found and sev_cap < target:
                nxt.append(f"fix, or waive with a reason, the {_plural(len(found), sev + ' finding')}: "
                           + _examples(found))
        if ev.errored and GATE_ERROR_CAP < target:
            nxt.append("make " + ", ".join(f"`{g.gate}`" for g in ev.errored) + " run without an error")
        if level < target:
            nxt.extend(_unmet(target, pillar, items, t, starter))
    counts = {sev: len(found) for sev, found in ev.by_severity.items()}
    return PillarScore(pillar=pillar, score=score, level=LEVELS[score], checklist_level=level, cap=cap,
                       items=t, findings=counts, reasons=tuple(reasons), next=tuple(nxt))


def checklist_result(report: Report) -> GateResult | None:
    """The checklist gate's result when it ran (pass or fail), else None."""
    for g in report.gates:
        if g.gate == "checklist" and g.status in (GateStatus.PASS, GateStatus.FAIL):
            return g
    return None


def score(report: Report, *, always: bool = False) -> Scorecard | None:
    """The scorecard of a report; None when the checklist gate did not run, unless `always`."""
    gate = checklist_result(report)
    if gate is None and not always:
        return None
    items = item_views(i.data for i in gate.items) if gate is not None else []
    path = items[0].path if items else (str(gate.extra.get("file")) if gate and gate.extra.get("file") else None)
    from readiness.score.starter import starter_counts

    starters = starter_counts()
    evidence = _gate_evidence(report)
    pillars = tuple(_pillar(p, [i for i in items if i.pillar is p], evidence[p], starters.get(p, 0))
                    for p in PILLARS)
    return Scorecard(rubric_version=RUBRIC_VERSION, checklist=path, pillars=pillars)
