"""The checklist gate: the team's production-readiness checklist as code.

Reads the checklist file (`document`), judges each item's evidence (`evidence`) against the
repository and the settled results of the gates that ran before it, and reports items without an
owner or a status and evidence that is missing or failing (`checks`). Each item becomes a report
item with its state, which the pillar scorecard (`readiness.score`) reads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from readiness.gates.base import GateContext, GateOutcome, repo_relative, unreadable
from readiness.gates.checklist.rules import MISSING_CHECKLIST, UNREADABLE_FILE
from readiness.model import GateId, Item, Location
from readiness.workspace import FileProblem, Workspace

if TYPE_CHECKING:  # imported where a checklist is read: most repositories have none
    from readiness.gates.checklist import document
    from readiness.gates.checklist.document import Checklist
    from readiness.gates.checklist.evidence import Judged

DEFAULT_FILES: tuple[str, ...] = ("readiness-checklist.yml", "readiness-checklist.yaml",
                                  ".github/readiness-checklist.yml", "docs/readiness-checklist.yml")
"""Where the checklist is looked for, in order, when `gates.checklist.file` is not set."""
NO_CHECKLIST = ("no checklist file ({}); `readiness init` writes a starter, and "
                "`gates.checklist.require: true` makes its absence a finding")


def locate(ws: Workspace, configured: str | None) -> str | None:
    """The checklist file: the configured one (repository-relative) if it exists, else the first default
    that exists."""
    if configured is not None:
        return configured if ws.exists(configured) else None
    return next((f for f in DEFAULT_FILES if ws.exists(f)), None)


def item_data(checklist: Checklist, item: document.ChecklistItem, judged: list[Judged]) -> Item:
    """The report item of a checklist item (flat, as the report schema wants)."""
    from readiness.gates.checklist import checks

    return Item({
        "path": checklist.path, "line": item.pos.line, "id": item.id, "title": item.title,
        "pillar": item.pillar.value, "owner": item.owner, "status": item.status.value if item.status else None,
        "state": checks.state(item, judged).value,
        "evidence": [j.evidence.label for j in judged],
        "evidence_state": [j.state.value for j in judged],
        "evidence_detail": [j.detail for j in judged],
    })


class ChecklistGate:
    """Items owned, with a status, and evidence that holds."""

    id = GateId("checklist")

    def run(self, ctx: GateContext) -> GateOutcome:
        settings = ctx.config.checklist_gate
        # a `file` outside the repository is a ConfigError (exit 2), as every configured path
        file = repo_relative(settings.file, "gates.checklist.file", ctx.config.source) \
            if settings.file is not None else None
        ws = ctx.workspace
        rel = locate(ws, file)
        if rel is None:
            wanted = file or DEFAULT_FILES[0]
            if file is None and not settings.require:
                return GateOutcome(skipped=NO_CHECKLIST.format(", ".join(DEFAULT_FILES[::2])))
            return GateOutcome(findings=[MISSING_CHECKLIST.finding(
                Location(path=wanted), message=f"The readiness checklist {wanted} does not exist.",
                evidence=wanted)], extra={"file": wanted})
        from readiness.gates.checklist import checks, document, evidence

        out = GateOutcome(extra={"file": rel})
        try:
            text = ws.read_text(rel)
        except FileProblem as problem:
            out.findings.append(unreadable(UNREADABLE_FILE, problem))
            return out
        checklist, problems = document.parse(rel, text)
        out.findings.extend(problems)
        if checklist is None:
            return out
        prior: evidence.Prior | None = None
        if ctx.prior is not None:
            prior = evidence.Prior({str(g.gate): g for g in ctx.prior()})
        judged = {item.id: [evidence.judge(ev, ws, prior, settings.evidence_fail_on) for ev in item.evidence]
                  for item in checklist.items}
        out.findings.extend(checks.owners(checklist))
        out.findings.extend(checks.statuses(checklist))
        out.findings.extend(checks.evidence(checklist, judged))
        out.items.extend(item_data(checklist, item, judged[item.id]) for item in checklist.items)
        return out


GATE = ChecklistGate()
