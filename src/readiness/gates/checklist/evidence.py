"""Evidence, judged: a path exists in the repository, a gate ran clean, a rule found nothing.

`gate:` and `rule:` evidence reads the settled results of the gates that ran before the checklist
gate (waivers applied), so a waived finding does not fail evidence and a finding the PR did not
introduce still does: evidence describes the repository. A gate that did not run (disabled, not
selected, nothing to check, errored) leaves its evidence `not-run`, never `holds`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from readiness.gates.checklist.document import Evidence, EvidenceKind
from readiness.model import Finding, GateResult, GateStatus, Severity
from readiness.score.model import EvidenceState
from readiness.workspace import FileProblem, Workspace

_GLOB_CHARS = frozenset("*?[")
_SHOWN = 2
"""Findings named in a failing evidence's detail."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Judged:
    """One evidence entry and what it showed."""

    evidence: Evidence
    """The entry."""
    state: EvidenceState
    """holds, fails, not-run or claimed."""
    detail: str
    """Plain words: what was found or missed (paths and rule ids, never file contents)."""


def _findings_text(found: Sequence[Finding]) -> str:
    shown = ", ".join(f"{f.rule} in {f.location.path}" + (f":{f.location.line}" if f.location.line else "")
                      for f in found[:_SHOWN])
    more = f" and {len(found) - _SHOWN} more" if len(found) > _SHOWN else ""
    return f"{len(found)} unwaived finding{'s' if len(found) != 1 else ''}: {shown}{more}"


def judge_path(ev: Evidence, ws: Workspace) -> Judged:
    """A path, glob or directory (trailing `/`) that must match at least one file."""
    value = ev.value
    if _GLOB_CHARS & set(value):
        hits = ws.glob(value)
        if hits:
            return Judged(evidence=ev, state=EvidenceState.HOLDS, detail=f"{len(hits)} matching file"
                          + ("s" if len(hits) != 1 else ""))
        return Judged(evidence=ev, state=EvidenceState.FAILS, detail="no file matches")
    rel = value.rstrip("/")
    if not ws.exists(rel):
        return Judged(evidence=ev, state=EvidenceState.FAILS, detail="does not exist")
    if ws.is_symlink(rel):
        try:
            ws.inside(rel)
        except FileProblem as problem:
            return Judged(evidence=ev, state=EvidenceState.FAILS, detail=problem.reason)
    return Judged(evidence=ev, state=EvidenceState.HOLDS, detail="exists")


def _not_run(ev: Evidence, gate: str, result: GateResult | None) -> Judged | None:
    if result is None:
        return Judged(evidence=ev, state=EvidenceState.NOT_RUN, detail=f"gate {gate} did not run")
    if result.status is GateStatus.ERROR:
        return Judged(evidence=ev, state=EvidenceState.NOT_RUN, detail=f"gate {gate} could not run")
    if result.status is GateStatus.SKIPPED and not result.findings:
        why = f": {result.error}" if result.error else ""
        return Judged(evidence=ev, state=EvidenceState.NOT_RUN, detail=f"gate {gate} was skipped{why}")
    return None


class Prior:
    """The settled results of the gates that ran before the checklist, with the unwaived findings
    each evidence entry asks about grouped once: the checklist may hold thousands of entries and a
    gate thousands of findings, so no entry scans the findings again."""

    def __init__(self, results: Mapping[str, GateResult]) -> None:
        self.results = results
        """Each gate's result, by gate id."""
        self._by_rule: dict[str, dict[str, list[Finding]]] = {}
        self._at_or_above: dict[tuple[str, Severity], list[Finding]] = {}

    def of_rule(self, gate: str, rule: str) -> list[Finding]:
        """The unwaived findings of `rule` in `gate`'s result."""
        if gate not in self._by_rule:
            grouped: dict[str, list[Finding]] = {}
            result = self.results.get(gate)
            for f in result.findings if result is not None else ():
                if not f.waived:
                    grouped.setdefault(f.rule, []).append(f)
            self._by_rule[gate] = grouped
        return self._by_rule[gate].get(rule, [])

    def at_or_above(self, gate: str, threshold: Severity) -> list[Finding]:
        """The unwaived findings of `gate`'s result at or above `threshold`."""
        key = (gate, threshold)
        if key not in self._at_or_above:
            result = self.results.get(gate)
            self._at_or_above[key] = [f for f in (result.findings if result is not None else ())
                                      if not f.waived and f.severity.rank >= threshold.rank]
        return self._at_or_above[key]


def judge_gate(ev: Evidence, prior: Prior, default: Severity) -> Judged:
    """A gate that must have run with no unwaived finding at or above its threshold."""
    result = prior.results.get(ev.value)
    skipped = _not_run(ev, ev.value, result)
    if skipped is not None or result is None:
        return skipped or Judged(evidence=ev, state=EvidenceState.NOT_RUN, detail="not run")
    threshold = ev.fail_on or default
    found = prior.at_or_above(ev.value, threshold)
    if found:
        return Judged(evidence=ev, state=EvidenceState.FAILS,
                      detail=f"{_findings_text(found)} (at or above {threshold.value})")
    return Judged(evidence=ev, state=EvidenceState.HOLDS, detail=f"no unwaived finding at or above {threshold.value}")


def judge_rule(ev: Evidence, prior: Prior) -> Judged:
    """A rule whose gate must have run with no unwaived finding of it."""
    gate = ev.value.split("/", 1)[0]
    result = prior.results.get(gate)
    skipped = _not_run(ev, gate, result)
    if skipped is not None or result is None:
        return skipped or Judged(evidence=ev, state=EvidenceState.NOT_RUN, detail="not run")
    found = prior.of_rule(gate, ev.value)
    if found:
        return Judged(evidence=ev, state=EvidenceState.FAILS, detail=_findings_text(found))
    return Judged(evidence=ev, state=EvidenceState.HOLDS, detail="no unwaived finding")


def judge(ev: Evidence, ws: Workspace, prior: Prior | None, default: Severity) -> Judged:
    """Any evidence entry. `prior` None: the other gates' results are not available (the gate runs
    outside the engine), so gate and rule evidence is `not-run`."""
    if ev.kind is EvidenceKind.PATH:
        return judge_path(ev, ws)
    if ev.kind is EvidenceKind.LINK:
        return Judged(evidence=ev, state=EvidenceState.CLAIMED, detail="recorded, not fetched")
    if prior is None:
        return Judged(evidence=ev, state=EvidenceState.NOT_RUN, detail="the other gates' results are not available")
    if ev.kind is EvidenceKind.GATE:
        return judge_gate(ev, prior, default)
    return judge_rule(ev, prior)
