"""The starter checklist that `readiness init` writes.

It covers what production-readiness reviews ask for (error handling at API boundaries, a monitored
health check, a documented and tested migration strategy, verified backups, input validation, rate
limiting, structured logging, alerting with runbooks, recorded decisions, a quick local setup) and
what the gates can prove. Items the gates can prove are wired to them (`gate:`, `rule:`, `path:`);
the others are honest items with an owner and a status and a comment saying what evidence to link.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from readiness.score.model import PILLARS, Pillar

SCHEMA_URL = ("https://raw.githubusercontent.com/readiness-gates/readiness-gates/v0.1.0/"
              "src/readiness/schemas/checklist.schema.json")


@dataclass(frozen=True, slots=True, kw_only=True)
class StarterItem:
    """One item of the starter checklist."""

    id: str
    """The item id."""
    title: str
    """What must be true."""
    pillar: Pillar
    """Its pillar."""
    evidence: tuple[tuple[str, str], ...] = ()
    """(kind, value) pairs; a value `{name}` is filled from what `init` found in the repository, else
    from `DEFAULTS`."""
    hint: str = ""
    """A comment for people: what to link when no gate can prove the item."""


DEFAULTS = {"{runbook}": "RUNBOOK.md", "{adr_dir}": "docs/adr/", "{readme}": "README.md",
            "{alert_rules}": "monitoring/", "{env_schema}": "schemas/env.schema.json"}
"""What a placeholder becomes when `init` found nothing for it. The path then fails, honestly: a
`rule:` entry next to it (no alert without a runbook) would otherwise hold in a repository that has
no alerts at all."""

ITEMS: tuple[StarterItem, ...] = (
    StarterItem(
        id="error-handling-at-boundaries", pillar=Pillar.RELIABILITY,
        title="Errors at API boundaries are handled: clients get typed error responses, never stack traces",
        hint="No gate can prove this: link the guideline or the tests that cover it."),
    StarterItem(
        id="migration-strategy", pillar=Pillar.RELIABILITY,
        title="The migration strategy is documented and tested: migrations are safe on a live database "
              "and can be rolled back",
        evidence=(("gate", "migrations"), ("rule", "migrations/irreversible-migration")),
        hint="Add the ADR or runbook page that documents the strategy as path evidence."),
    StarterItem(
        id="backup-restore-verified", pillar=Pillar.RELIABILITY,
        title="Backups run, and a restore was tested in the last quarter",
        hint="No gate can prove this: link the last restore drill."),
    StarterItem(
        id="config-validated", pillar=Pillar.RELIABILITY,
        title="Config files match their schemas, and environments do not drift apart",
        evidence=(("rule", "config/schema-violation"), ("rule", "config/environment-key-drift"))),
    StarterItem(
        id="env-documented", pillar=Pillar.RELIABILITY,
        title="Every environment variable is declared in the env schema, and `readiness env` runs before each "
              "deploy",
        evidence=(("path", "{env_schema}"), ("rule", "config/env-missing-required"),
                  ("rule", "config/env-unknown-variable")),
        hint="The deploy-time check is a step in your deploy pipeline: link it."),
    StarterItem(
        id="input-validation", pillar=Pillar.SECURITY,
        title="Input is validated at every boundary (request bodies, query parameters, messages)",
        hint="No gate can prove this: link the validation layer or its tests."),
    StarterItem(
        id="rate-limiting", pillar=Pillar.SECURITY,
        title="Rate limiting is configured on every public endpoint",
        hint="No gate can prove this: link the gateway or middleware configuration."),
    StarterItem(
        id="no-known-vulnerabilities", pillar=Pillar.SECURITY,
        title="No dependency has a known vulnerability",
        evidence=(("rule", "deps/known-vulnerability"),)),
    StarterItem(
        id="dependencies-pinned", pillar=Pillar.SECURITY,
        title="Dependencies are pinned and locked, and the lock file is current",
        evidence=(("rule", "deps/unpinned-requirement"), ("rule", "deps/stale-lockfile"))),
    StarterItem(
        id="no-committed-secrets", pillar=Pillar.SECURITY,
        title="No secret is committed to the repository",
        evidence=(("rule", "config/plaintext-secret"),)),
    StarterItem(
        id="health-check-monitored", pillar=Pillar.OBSERVABILITY,
        title="A health check endpoint exists and is monitored",
        hint="No gate can prove this: link the monitor, or name the alert rule file as path evidence."),
    StarterItem(
        id="structured-logging", pillar=Pillar.OBSERVABILITY,
        title="Logs are structured (JSON) and carry a request id",
        hint="No gate can prove this: link the logging setup."),
    StarterItem(
        id="alerts-have-runbooks", pillar=Pillar.OBSERVABILITY,
        title="Alerts exist, and every alert links a runbook that exists",
        evidence=(("path", "{alert_rules}"), ("rule", "docs/alert-without-runbook"),
                  ("rule", "docs/alert-runbook-not-found")),
        hint="Name your alert rule files as path evidence: without alerts, no rule can fail."),
    StarterItem(
        id="runbook", pillar=Pillar.SUPPORTABILITY,
        title="A runbook says how to tell the service is unhealthy and how to mitigate or roll back",
        evidence=(("path", "{runbook}"), ("rule", "docs/runbook-placeholder"),
                  ("rule", "docs/runbook-missing-section"))),
    StarterItem(
        id="architecture-decisions", pillar=Pillar.SUPPORTABILITY,
        title="Architecture decisions are recorded as ADRs",
        evidence=(("path", "{adr_dir}"), ("rule", "docs/adr-unfilled-template"))),
    StarterItem(
        id="readme", pillar=Pillar.SUPPORTABILITY,
        title="The README says what the service does and who owns it",
        evidence=(("path", "{readme}"),)),
    StarterItem(
        id="local-setup-under-5-minutes", pillar=Pillar.SUPPORTABILITY,
        title="A new engineer runs the service locally in under 5 minutes",
        hint="No gate can prove this: link the setup section of the README, and time it."),
)


@cache
def starter_counts() -> dict[Pillar, int]:
    """Starter items per pillar (the scorecard quotes it when a pillar has none)."""
    return {p: sum(1 for i in ITEMS if i.pillar is p) for p in PILLARS}


def _q(text: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


def render_starter(found: Mapping[str, str], *, owner: str = "") -> str:
    """The starter checklist as YAML text. `found` maps placeholders (`{runbook}`, ...) to the paths
    `init` found in the repository; `owner` is written into every item."""
    out = [
        f"# yaml-language-server: $schema={SCHEMA_URL}",
        "# The production-readiness checklist of this repository, checked by readiness-gates on every run",
        "# (the `checklist` gate) and scored per pillar (`readiness score`; rubric in docs/scorecard.md).",
        "#",
        "# Every item needs an owner and a status: todo, in-progress, blocked, done, or not-applicable",
        "# (with a reason). Evidence is checked on every run: a path must exist; a gate must have run with",
        "# no unwaived finding at or above high (or its fail_on); a rule must have no unwaived finding. A",
        "# link is recorded, never fetched: it claims, it does not prove.",
        "version: 1",
        "items:",
    ]
    for pillar in PILLARS:
        out.append(f"  # {pillar.value.capitalize()}")
        for item in (i for i in ITEMS if i.pillar is pillar):
            out += [f"  - id: {item.id}", f"    title: {_q(item.title)}", f"    pillar: {item.pillar.value}",
                    f"    owner: {_q(owner)}", "    status: todo"]
            if item.hint:
                out.append(f"    # {item.hint}")
            entries = []
            for kind, value in item.evidence:
                if value.startswith("{"):
                    value = found.get(value) or DEFAULTS[value]
                entries.append(f"      - {kind}: {_q(value) if kind == 'path' else value}")
            if entries:
                out += ["    evidence:", *entries]
            else:
                out.append("    # evidence: [{link: \"https://...\"}]")
    return "\n".join(out) + "\n"
