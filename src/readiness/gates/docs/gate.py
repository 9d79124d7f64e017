"""ADR / runbook presence: required documents exist."""

from __future__ import annotations

from dataclasses import dataclass

from readiness.gates.base import GateContext, GateOutcome
from readiness.model import GateId, Item, Location
from readiness.rules.catalog import rule
from readiness.workspace import Workspace, matches

MISSING_DOCUMENT = rule("docs/missing-document")

ADR_DIRS = ("docs/adr", "docs/decisions", "doc/adr", "doc/decisions", "adr", "docs/architecture/decisions")
RUNBOOK_GLOBS = ("RUNBOOK.md", "runbook.md", "docs/RUNBOOK.md", "docs/runbooks/**/*.md", "runbooks/**/*.md")


@dataclass(frozen=True, slots=True)
class Requirement:
    """One required document: a name for people and the globs any of which satisfies it."""

    name: str
    globs: tuple[str, ...]
    shown_path: str


def default_requirements(ws: Workspace) -> list[Requirement]:
    """README, a runbook, and an ADR directory with at least one record."""
    adr = next((d for d in ADR_DIRS if ws.exists(d)), "docs/adr")
    return [
        Requirement("README", ("README.md", "README.rst", "README", "README.txt"), "README.md"),
        Requirement("runbook", RUNBOOK_GLOBS, "RUNBOOK.md"),
        Requirement("decision records", (f"{adr}/**/*.md",), f"{adr}/"),
    ]


def configured_requirements(require: list[str]) -> list[Requirement]:
    """`require:` entries: a path, a glob, or a directory (trailing /) that must hold a file."""
    return [Requirement(r, (r if not r.endswith("/") else r + "**",), r) for r in require]


class DocsGate:
    """Required documents exist."""

    id = GateId("docs")

    def run(self, ctx: GateContext) -> GateOutcome:
        ws = ctx.workspace
        require = ctx.settings.get("require")
        reqs = configured_requirements(list(require)) if require is not None else default_requirements(ws)
        out = GateOutcome()
        files = ws.files()
        for req in reqs:
            found = [f for f in files if matches(f, req.globs)]
            state = "present" if found else "missing"
            out.items.append(Item({"path": req.shown_path, "document": req.name, "state": state,
                                   "found": found[:5]}))
            if not found:
                out.findings.append(MISSING_DOCUMENT.finding(
                    Location(path=req.shown_path),
                    message=f"Required document missing: {req.name} (no file matches {', '.join(req.globs)}).",
                    evidence=req.shown_path))
        return out


GATE = DocsGate()
