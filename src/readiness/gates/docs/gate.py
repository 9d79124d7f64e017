"""ADR / runbook presence: required documents exist and are well formed, alerts link runbooks,
and risky changes bring their docs.

The steps, each in its own module: `adr` (where decision records live, lint of each record and of
the numbering), `runbooks` (placeholder and required sections), `alerts` (Prometheus rule files and
PrometheusRule resources: every alert has a runbook that resolves), `when_changed` (PR-triggered
docs). Markdown is parsed once per file by `links.DocReader` (markdown-it-py, see `markdown`).
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from readiness.gates.base import GateContext, GateOutcome
from readiness.gates.docs import adr, alerts, runbooks, when_changed
from readiness.gates.docs.links import DocReader
from readiness.gates.docs.rules import MISSING_DOCUMENT
from readiness.model import Finding, GateId, Item, Location
from readiness.workspace import Workspace
from readiness.workspace.globs import matches

README_GLOBS = ("README.md", "README.rst", "README", "README.txt", "README.markdown", "readme.md",
                "Readme.md")


@dataclass(frozen=True, slots=True)
class Requirement:
    """One required document: a name for people and the globs any of which satisfies it."""

    name: str
    """How the report names it."""
    globs: tuple[str, ...]
    """Any match satisfies it."""
    shown_path: str
    """Where the finding points when it is missing."""


MAX_CAUSES = 20
"""Deleted paths named as a missing document's cause: one is enough to make it the PR's."""


def default_requirements(adrs: adr.AdrSet, runbook_globs: tuple[str, ...]) -> list[Requirement]:
    """README, a runbook, and an ADR directory with at least one record."""
    shown = (adrs.dirs[0] if adrs.dirs else "docs/adr") + "/"
    return [
        Requirement("README", README_GLOBS, "README.md"),
        Requirement("runbook", runbook_globs or runbooks.DEFAULT_RUNBOOK_GLOBS,
                    runbook_globs[0] if runbook_globs else "RUNBOOK.md"),
        Requirement("decision records", tuple(adrs.records) or (shown + "*.md",), shown),
    ]


def configured_requirements(require: list[str]) -> list[Requirement]:
    """`require:` entries: a path, a glob, or a directory (trailing /) that must hold a file."""
    return [Requirement(r, (r if not r.endswith("/") else r + "**",), r) for r in require]


def _requirements(ws: Workspace, reqs: list[Requirement], adrs: adr.AdrSet,
                  out: GateOutcome, deleted: frozenset[str] = frozenset()) -> None:
    """Each requirement's item, and a finding when nothing meets it; a required document the PR
    deletes is that finding's cause (`Finding.cause`: the deletion is the PR's doing)."""
    files = ws.files()
    adr_dirs = {d.strip("/") for d in adrs.dirs}
    for req in reqs:
        if req.name == "decision records" or req.shown_path.strip("/") in adr_dirs:
            # a decision-record folder holding only a README, an index or a template has no records
            found = list(adrs.records)
        else:
            found = ws.glob(req.globs)
        state = "present" if found else "missing"
        out.items.append(Item({"path": req.shown_path, "document": req.name, "state": state,
                               "found": found[:5], "count": len(found)}))
        if not found:
            where = ", ".join(req.globs) if len(req.globs) <= 6 else ", ".join(req.globs[:6]) + ", ..."
            if req.name == "decision records" or req.shown_path.strip("/") in adr_dirs:
                where = "no record in " + (", ".join(adrs.dirs) if adrs.dirs else
                                           "docs/adr, docs/decisions, doc/adr or adr")
                held = [f for f in files if any(f.startswith(d + "/") for d in adr_dirs)]
                if held:
                    where += "; it holds only " + ", ".join(posixpath.basename(f) for f in held[:4]) + \
                        (", ..." if len(held) > 4 else "")
                msg = f"Required document missing: decision records ({where})."
            else:
                msg = f"Required document missing: {req.name} (no file matches {where})."
            adr_dir = req.shown_path.strip("/") if req.shown_path.strip("/") in adr_dirs else None
            gone = tuple(sorted(p for p in deleted if matches(p, req.globs)
                                or (adr_dir is not None and p.startswith(adr_dir + "/"))))[:MAX_CAUSES]
            out.findings.append(MISSING_DOCUMENT.finding(Location(path=req.shown_path), message=msg,
                                                         evidence=req.shown_path, cause=gone))


class DocsGate:
    """Required documents, ADR lint, runbook lint, alerts need runbooks, change-triggered docs."""

    id = GateId("docs")

    def run(self, ctx: GateContext) -> GateOutcome:
        ws = ctx.workspace
        settings = ctx.config.docs_gate
        reader = DocReader(ws)
        out = GateOutcome()

        adr_dir = ctx.repo_path(settings.adr_dir, "adr_dir") if settings.adr_dir is not None else None
        adrs = adr.locate(ws, reader, adr_dir)
        runbook_globs = settings.runbooks
        if settings.require is not None:
            require = [ctx.repo_path(r, "require") + ("/" if r.endswith("/") else "") for r in settings.require]
            reqs = configured_requirements(require)
        else:
            reqs = default_requirements(adrs, runbook_globs)
        _requirements(ws, reqs, adrs, out, ctx.changes.deleted if ctx.changes is not None else frozenset())

        findings: list[Finding] = []
        findings.extend(adr.lint(ws, adrs, reader, settings.adr_sections))
        books = runbooks.runbook_files(ws, runbook_globs)
        findings.extend(runbooks.lint(ws, books, reader, settings.runbook_sections))
        scan = alerts.scan(ws, settings.alert_rules, reader)
        findings.extend(scan.findings)
        old_without = alerts.without_runbook_at_base(ctx.changes, scan, settings.alert_rules, ctx.base_text)
        findings.extend(alerts.check(ws, scan.alerts, reader, old_without))
        findings.extend(when_changed.check(settings.when_changed, ctx.changes))
        findings.extend(reader.findings)

        seen: set[tuple[str, str, int, str]] = set()
        for f in sorted(findings, key=lambda f: (f.location.path, f.location.line or 0, f.rule)):
            key = (f.rule, f.location.path, f.location.line or 0, f.message)
            if key not in seen:
                seen.add(key)
                out.findings.append(f)
        out.extra = {"adr_dirs": list(adrs.dirs), "adr_source": adrs.source, "adrs": len(adrs.records),
                     "runbooks": len(books), "alert_rule_files": len(scan.files),
                     "alerts": len(scan.alerts), "templated_rule_files": scan.templated[:20]}
        return out


GATE = DocsGate()
