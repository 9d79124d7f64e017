"""The checklist gate's checkers: each takes the read checklist (and the judged evidence) and
returns its findings. Item states, which the scorecard reads, are decided here too."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from readiness.gates.checklist.document import Checklist, ChecklistItem, EvidenceKind
from readiness.gates.checklist.evidence import Judged
from readiness.gates.checklist.rules import (
    DONE_WITH_FAILING_EVIDENCE,
    FAILING_EVIDENCE,
    MISSING_EVIDENCE,
    MISSING_OWNER,
    MISSING_STATUS,
)
from readiness.model import Finding, Location
from readiness.score.model import EvidenceState, ItemState, Status


def owners(checklist: Checklist) -> list[Finding]:
    """An item without an owner: nobody answers for it."""
    return [MISSING_OWNER.finding(
        Location(path=checklist.path, line=item.owner_pos.line, column=item.owner_pos.column),
        message=f"Item {item.id!r} ({item.pillar.value}) has no owner.",
        evidence=f"owner|{item.id}") for item in checklist.items if item.owner is None]


def statuses(checklist: Checklist) -> list[Finding]:
    """An item without a status: nobody can tell where it stands."""
    return [MISSING_STATUS.finding(
        Location(path=checklist.path, line=item.status_pos.line, column=item.status_pos.column),
        message=f"Item {item.id!r} ({item.pillar.value}) has no status.",
        evidence=f"status|{item.id}") for item in checklist.items if item.status is None]


def evidence(checklist: Checklist, judged: Mapping[str, Sequence[Judged]]) -> list[Finding]:
    """Evidence that fails: for an item marked done, the status is contradicted; for an open item,
    the evidence it will need is missing or failing."""
    out: list[Finding] = []
    for item in checklist.items:
        for j in judged.get(item.id, ()):
            if j.state is not EvidenceState.FAILS:
                continue
            ev = j.evidence
            loc = Location(path=checklist.path, line=ev.pos.line, column=ev.pos.column)
            key = f"{item.id}|{ev.kind.value}|{ev.value}"
            cause = (ev.value.rstrip("/"),) if ev.kind is EvidenceKind.PATH else ()  # deleted by the PR: its doing
            if item.status is Status.DONE:
                out.append(DONE_WITH_FAILING_EVIDENCE.finding(
                    loc, message=f"Item {item.id!r} is marked done, but its evidence {ev.label} fails: {j.detail}.",
                    evidence=key, cause=cause))
            elif ev.kind is EvidenceKind.PATH:
                out.append(MISSING_EVIDENCE.finding(
                    loc, message=f"Evidence {ev.label} of item {item.id!r} {j.detail}.", evidence=key, cause=cause))
            else:
                out.append(FAILING_EVIDENCE.finding(
                    loc, message=f"Evidence {ev.label} of item {item.id!r} fails: {j.detail}.", evidence=key))
    return out


def state(item: ChecklistItem, judged: Sequence[Judged]) -> ItemState:
    """What the item's status and evidence add up to."""
    if item.status is Status.NOT_APPLICABLE:
        return ItemState.NOT_APPLICABLE
    if item.status is not Status.DONE:
        return ItemState.OPEN
    machine = [j for j in judged if j.state is not EvidenceState.CLAIMED]
    if any(j.state is EvidenceState.FAILS for j in machine):
        return ItemState.CONTRADICTED
    if not machine:
        return ItemState.CLAIMED
    if any(j.state is EvidenceState.NOT_RUN for j in machine):
        return ItemState.UNVERIFIED
    return ItemState.PROVEN
