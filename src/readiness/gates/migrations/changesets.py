"""A Liquibase changelog the PR edits, split as Liquibase runs it: by changeset, not by file.

Liquibase records each changeset it ran (id, author and the changelog's path) in
DATABASECHANGELOG and never runs it again, unless it says `runOnChange:true` and its text changed
(then it runs again, whole) or `runAlways:true` (it runs on every deploy). So a changeset the base
version of the file already has is history, like an earlier file: what it created exists before
the PR's deploy, and a PR changeset that drops it drops a table with data. The PR's migration is
its new changesets, the re-run ones and the run-always ones; all their findings are the PR's.
The history changesets are judged apart, and their findings stay pre-existing: all of them for a
changeset whose text the base has as it is, and for one the PR edits (Liquibase does not run it
again), those at the statements the PR left as they were (`unchanged`)."""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from readiness.gates.base import GateContext, GateOutcome
from readiness.gates.migrations import liquibase, unchanged
from readiness.gates.migrations.history import State, apply

if TYPE_CHECKING:
    from readiness.gates.migrations.discover import Candidate
    from readiness.gates.migrations.liquibase import Changeset
    from readiness.gates.migrations.ops import Op
    from readiness.gates.migrations.readers.base import Analysis, Run
    from readiness.model import Finding, RiskClass


@dataclass(slots=True)
class Split:
    """One changelog as history (`history`) and the PR's migration (`migration`)."""

    path: str
    history: Analysis
    migration: Analysis
    same: frozenset[int]
    """History changesets (`unit`) whose text the base has as it is."""
    starts: list[int]
    units: list[int]
    """First line and unit of every changeset, in file order (the unit of a line)."""
    now: unchanged.Units
    then: unchanged.Units
    """The statements of this version and of the base's (for an edited history changeset)."""

    def unit_of(self, line: int) -> int:
        i = bisect.bisect_right(self.starts, line) - 1
        return self.units[i] if i >= 0 else 0

    def settle(self, findings: list[tuple[RiskClass, Finding]]) -> list[tuple[RiskClass, Finding]]:
        """The history changesets' findings, marked not introduced (see the module)."""
        out = []
        for risk, f in findings:
            if f.location.path == self.path and f.introduced and self._old(f):
                f = f.with_(introduced=False)
            out.append((risk, f))
        return out

    def _old(self, f: Finding) -> bool:
        line = f.location.line or 0
        if self.unit_of(line) in self.same or f.rule in unchanged.WHOLE_MIGRATION:
            return True
        keys = self.now.by_line.get(line)
        return keys is not None and bool(keys) and all(k in self.then.keys for k in keys)


def fingerprint(cs: Changeset) -> str:
    """What a changeset's checksum covers (its SQL and precondition checks), whitespace collapsed."""
    return " ".join([*cs.sql.split(), *(c for _, _, check in cs.checks for c in check.split())])


def reruns(cs: Changeset) -> str:
    return "always" if cs.run_always else "change" if cs.run_on_change else ""


def applied(ident: str, text: str, rerun: str, known: Mapping[str, str]) -> bool:
    """Whether a changeset (`ident`, `fingerprint` `text`, `reruns` `rerun`) is history on the deploy of
    the PR: the base has it (`known`: ident -> fingerprint) and Liquibase does not run it again."""
    return ident in known and rerun != "always" and not (rerun == "change" and text != known[ident])


def base_formatted(ctx: GateContext, path: str) -> dict[str, str] | None:
    """The changesets (ident -> fingerprint) the base version of the formatted-SQL changelog `path`
    has, when the PR edits it; None when there is no base version to split by."""
    if ctx.changes is None or not ctx.changes.touched(path):
        return None
    text = ctx.base_text(path)
    if text is None or not liquibase.is_changelog(text):
        return None
    return {cs.ident: fingerprint(cs) for cs in liquibase.changesets(text) if cs.for_postgres}


def split(run: Run, cand: Candidate, an: Analysis) -> Split | None:
    """`an` (a changelog the PR edits) split into history and migration; None when the PR adds the
    file (all of it is the PR's), or the base version cannot be read (judged whole, as before)."""
    from readiness.gates.migrations.readers import reader_for

    ctx = run.ctx
    if ctx.changes is None or not ctx.changes.touched(cand.path):
        return None
    text = ctx.base_text(cand.path)
    if text is None:
        return None
    alone = replace(cand, down_path=None)
    base = reader_for(alone, text).read(run, alone, text, GateOutcome())
    if base is None or not base.changesets:
        return None
    known = {p.ident: p.text for p in base.parts}
    history = {p.unit for p in an.parts if applied(p.ident, p.text, p.reruns, known)}
    history.add(0)  # the SQL before the first changeset (a file Flyway may run too): as any edited file
    same = frozenset(p.unit for p in an.parts if p.unit in history and p.text == known[p.ident])
    starts = [p.line for p in an.parts]
    units = [p.unit for p in an.parts]

    def unit_of(line: int) -> int:
        i = bisect.bisect_right(starts, line) - 1
        return units[i] if i >= 0 else 0

    def part(mine: bool) -> Analysis:
        def keep(o: Op) -> bool:
            return (o.unit in history) != mine

        return replace(an, ops=[o for o in an.ops if keep(o)], down_ops=[o for o in an.down_ops if keep(o)],
                       irreversible=[i for i in an.irreversible if (unit_of(i[0]) in history) != mine],
                       errors=[e for e in an.errors if (unit_of(e[1].line) in history) != mine],
                       parts=[p for p in an.parts if (p.unit in history) != mine])

    return Split(path=cand.path, history=part(False), migration=part(True), same=same, starts=starts,
                 units=units, now=unchanged.op_units([*an.ops, *an.down_ops], None),
                 then=unchanged.op_units([*base.ops, *base.down_ops], None))


def after(tables: State, ops: list[Op]) -> State:
    """The state `tables` with the history changesets' operations applied."""
    state = {t: ts.copy() for t, ts in tables.items()}
    for op in ops:
        apply(state, op)
    return state
