"""A small service repository whose checklist is complete and whose evidence holds, for the
scorecard tests (each test then breaks one thing)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

RUNBOOK = ("# Orders runbook\n\n## Symptoms\nErrors rise on the dashboard.\n\n## Diagnosis\nRead the logs.\n\n"
           "## Mitigation\nRoll back the last deploy.\n")
ALERT_RUNBOOK = ("# Alert runbooks\n\n## OrdersDown\n\n### Symptoms\nNo orders.\n\n### Diagnosis\nCheck pods.\n\n"
                 "### Mitigation\nRestart.\n")
ADR = ("# 1. Record architecture decisions\n\nDate: 2026-01-01\n\n## Status\n\nAccepted\n\n"
       "## Context\n\nx\n\n## Decision\n\nx\n\n## Consequences\n\nx\n")
ALERTS = """\
groups:
  - name: orders
    rules:
      - alert: OrdersDown
        expr: up{job="orders"} == 0
        annotations:
          runbook_url: ../docs/runbooks/alerts.md#ordersdown
"""
ENV_SCHEMA = {"type": "object", "required": ["ORDERS_DB_URL"],
              "properties": {"ORDERS_DB_URL": {"type": "string"}, "ORDERS_LOG_LEVEL": {"enum": ["info", "debug"]}}}


def done(item_id: str, pillar: str, *evidence: str, owner: str = "@acme/orders") -> str:
    ev = "".join(f"      - {e}\n" for e in evidence)
    return (f"  - id: {item_id}\n    title: {item_id} holds\n    pillar: {pillar}\n    owner: \"{owner}\"\n"
            f"    status: done\n    evidence:\n{ev}")


CHECKLIST_ITEMS = [
    done("migration-strategy", "reliability", "gate: migrations", "rule: migrations/irreversible-migration"),
    done("config-validated", "reliability", "rule: config/schema-violation", "rule: config/environment-key-drift"),
    done("env-documented", "reliability", "path: schemas/env.schema.json", "rule: config/env-missing-required"),
    done("no-known-vulnerabilities", "security", "gate: deps", "rule: deps/known-vulnerability"),
    done("dependencies-pinned", "security", "rule: deps/unpinned-requirement"),
    done("no-committed-secrets", "security", "rule: config/plaintext-secret"),
    done("alerts-have-runbooks", "observability", "path: monitoring/alerts.yml", "rule: docs/alert-without-runbook",
         "rule: docs/alert-runbook-not-found"),
    done("runbook", "supportability", "path: RUNBOOK.md", "rule: docs/runbook-missing-section"),
    done("architecture-decisions", "supportability", "path: docs/adr/"),
    done("readme", "supportability", "path: README.md"),
]


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")


def complete_repo(root: Path, items: list[str] | None = None) -> Path:
    """The repository, and an offline OSV directory (beside it) with no advisory for its pins."""
    write(root, {
        "README.md": "# orders\n\nTakes orders. Owned by @acme/orders.\n",
        "RUNBOOK.md": RUNBOOK,
        "docs/runbooks/alerts.md": ALERT_RUNBOOK,
        "docs/adr/0001-record-architecture-decisions.md": ADR,
        "monitoring/alerts.yml": ALERTS,
        "db/migrations/V1__create_orders.sql": "CREATE TABLE orders (id bigint PRIMARY KEY, note text);\n",
        "db/migrations/U1__create_orders.sql": "DROP TABLE orders;\n",
        "requirements.txt": "requests==2.32.4\n",
        "config/app.yaml": "port: 8080\n",
        "schemas/env.schema.json": json.dumps(ENV_SCHEMA),
        ".env.example": "ORDERS_DB_URL=postgres://localhost/orders\nORDERS_LOG_LEVEL=info\n",
        "readiness-checklist.yml": "version: 1\nitems:\n" + "".join(CHECKLIST_ITEMS if items is None else items),
    })
    return root


def offline_db(where: Path) -> Path:
    """An OSV directory with one advisory, for a package the repository does not use; modified today,
    so the database is never stale (deps/stale-advisory-database) whenever the suite runs."""
    where.mkdir(parents=True, exist_ok=True)
    modified = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    (where / "PYSEC-0000-1.json").write_text(json.dumps({
        "id": "PYSEC-0000-1", "modified": modified, "summary": "x",
        "affected": [{"package": {"ecosystem": "PyPI", "name": "not-used-here"},
                      "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.0"}]}]}]}))
    return where
