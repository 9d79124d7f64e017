"""Whether a migration can be rolled back (irreversible-migration: no down, an empty one, a
changeset without rollback) and whether its down restores what its up destroys (lossy-down).
Reversibility is the item's `reversible` and these findings, never a raise of the risk class."""

from __future__ import annotations

from readiness.gates.migrations import rules as R
from readiness.gates.migrations.checks import Hit
from readiness.gates.migrations.discover import Candidate
from readiness.gates.migrations.ops import Action, Op
from readiness.gates.migrations.ops import Flag as F
from readiness.gates.migrations.readers import Analysis
from readiness.model import Finding, Location, RiskClass

A = Action


def reversibility(cand: Candidate, an: Analysis, required: bool | None,
                  findings: list[tuple[RiskClass, Finding]]) -> bool:
    """Whether the migration can be rolled back, with irreversible-migration and lossy-down findings
    added to `findings` (as `required`, the setting `require_reversible`, asks)."""
    risk = R.risk_of(R.IRREVERSIBLE)
    if an.python or an.changesets:
        reversible = not an.irreversible
        if required is not False:
            for line, col, why in an.irreversible:
                findings.append((risk, R.IRREVERSIBLE.finding(
                    Location(path=cand.path, line=line, column=col),
                    message=f"This migration cannot be rolled back: {why}.", evidence=why)))
    elif not an.has_down_concept:
        reversible = False
        if required is True:
            findings.append((risk, R.IRREVERSIBLE.finding(
                Location(path=cand.path, line=1, column=1),
                message=f"This {an.fmt} migration has no down migration, and {an.fmt} has no place for one.",
                evidence="no down")))
    else:
        reversible = an.down_state == "present"
        if not reversible and required is not False:
            why = {"missing": "it has no down migration", "empty": "its down migration is empty"}[an.down_state]
            where = an.down_where if an.down_state == "empty" and an.down_where else (cand.path, 1, 1)
            findings.append((risk, R.IRREVERSIBLE.finding(
                Location(path=where[0], line=where[1], column=where[2]),
                message=f"{cand.path} cannot be rolled back: {why}.", evidence=why)))
    if reversible:
        findings.extend((h.risk, h.to_finding(cand.path)) for h in lossy(cand, an))
    return reversible

def lossy(cand: Candidate, an: Analysis) -> list[Hit]:
    """lossy-down: data an up statement destroys that its down cannot restore."""
    created = {(o.table or "").lower() for o in an.ops if o.action is A.CREATE_TABLE}
    out: list[Hit] = []
    risk = R.risk_of(R.LOSSY_DOWN)
    targets = list(an.lossy) if an.python else [
        o for o in an.ops if o.action in (A.DROP_COLUMN, A.DROP_TABLE, A.TRUNCATE)
        or (o.action is A.DELETE and F.WHERE not in o.flags)]
    # the first down statement that re-creates each column (by name) or table: looked up, not
    # scanned for from every destructive up statement
    added: dict[str | None, Op] = {}
    recreated: dict[str | None, Op] = {}
    for d in an.down_ops:
        if d.action is A.ADD_COLUMN:
            added.setdefault(d.column, d)
        elif d.action is A.CREATE_TABLE:
            recreated.setdefault(d.table, d)
    for op in targets:
        if (op.table or "").lower() in created:
            continue
        what = f"column {op.table}.{op.column}" if op.action is A.DROP_COLUMN else f"table {op.table}"
        lost = "its data" if op.action in (A.DROP_COLUMN, A.DROP_TABLE) else "the deleted rows"
        match = (added.get(op.column) if op.action is A.DROP_COLUMN
                 else recreated.get(op.table) if op.action is A.DROP_TABLE else None)
        if an.python and not an.down_ops:
            msg = (f"Rolling back re-creates {what} empty: the reverse cannot restore {lost}.")
            out.append(Hit(rule=R.LOSSY_DOWN, risk=risk, op=op, message=msg))
        elif match is not None and an.down_where is not None:
            msg = f"This down migration re-creates {what} empty: it cannot restore {lost}."
            out.append(Hit(rule=R.LOSSY_DOWN, risk=risk, op=match, message=msg, path=an.down_where[0]))
        else:
            gone = "the data" if op.action in (A.DROP_COLUMN, A.DROP_TABLE) else "the deleted rows"
            msg = f"The down migration cannot restore {gone} of {what} that this statement destroys."
            out.append(Hit(rule=R.LOSSY_DOWN, risk=risk, op=op, message=msg))
    return out
