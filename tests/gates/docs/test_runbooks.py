"""Runbooks are judged by whether a person paged at 3 a.m. can act on them: what they cover and
concrete steps. Per-scenario runbooks pass; named-section templates apply only when configured."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_units import CLEAN, findings, make, rules

GOOD = {
    "per-scenario with commands": """# Checkout service

## Checkout errors

Error rate above 2% on the checkout dashboard.

1. Check the last deploy: `kubectl -n shop rollout history deploy/checkout`.
2. If it is the cause, roll back: `kubectl -n shop rollout undo deploy/checkout`.

## Queue backlog

Scale the workers: `kubectl -n shop scale deploy/checkout-worker --replicas=12`.
""",
    "per-scenario with links and prose instructions": """# Search

## Slow queries

Open the [latency dashboard](https://grafana.example.com/d/search) and find the index with the
highest p99. Restart its replica from the admin console.

## Index out of date

Trigger a reindex from https://search-admin.example.com/reindex and watch the progress bar.
""",
    "numbered steps only": """# Payments: card processor outage

When the processor returns 5xx for more than five minutes:

1. Switch traffic to the backup processor in the feature flags.
2. Tell #payments-incidents which processor is live.
3. Switch back once the status page is green.
""",
    "bullets with tools": """# Redis

## Memory full

- redis-cli -h cache info memory
- Flush the session keyspace if sessions are above 80%.
- Page the platform on-call if it refills within ten minutes.
""",
    "template sections": """# KubePodCrashLooping

## Meaning

A pod restarts repeatedly.

## Diagnosis

```shell
kubectl describe pod $POD
```

## Mitigation

Fix the configuration and redeploy.
""",
}

BAD = {
    "prose only": """# Payments API runbook

The payments API is a Go service behind the gateway. It talks to the card processor and writes to
the payments database. When it has problems, investigators should look into the cause carefully.
""",
    "scenario without steps": """# Billing

## Invoices late

This happens sometimes when the queue is slow. It usually recovers by itself.
""",
}


@pytest.mark.parametrize("name", sorted(GOOD))
def test_runbooks_people_can_act_on_pass(tmp_path: Path, name: str) -> None:
    make(tmp_path, {**CLEAN, "docs/runbooks/x.md": GOOD[name]})
    assert rules(findings(tmp_path)) == set()


@pytest.mark.parametrize("name", sorted(BAD))
def test_runbooks_without_a_concrete_step_are_reported(tmp_path: Path, name: str) -> None:
    make(tmp_path, {**CLEAN, "docs/runbooks/x.md": BAD[name]})
    found = findings(tmp_path)
    assert rules(found) == {("docs/runbook-not-actionable", "docs/runbooks/x.md", 1)}
    assert "gives no concrete step" in found[0].message


def test_an_empty_rollback_section_is_reported_by_default(tmp_path: Path) -> None:
    make(tmp_path, {**CLEAN, "docs/runbooks/x.md": GOOD["per-scenario with commands"] + "\n## Rollback\n\nTBD\n"})
    found = findings(tmp_path)
    assert rules(found) == {("docs/runbook-missing-section", "docs/runbooks/x.md", 14)}
    assert '"Rollback" section with nothing under it' in found[0].message


def test_a_configured_template_is_required_of_every_runbook(tmp_path: Path) -> None:
    make(tmp_path, {**CLEAN, "docs/runbooks/x.md": GOOD["per-scenario with commands"]})
    found = findings(tmp_path, {"runbook_sections": ["Symptoms", "Diagnosis", "Mitigation|Rollback"]})
    assert rules(found) == {("docs/runbook-missing-section", "docs/runbooks/x.md", 1)}
    assert found[0].message == ("Runbook docs/runbooks/x.md has no Symptoms, Mitigation or Rollback "
                                "section with content.")


def test_runbooks_are_found_anywhere_and_example_alerts_page_nobody(tmp_path: Path) -> None:
    files = {k: v for k, v in CLEAN.items() if k != "RUNBOOK.md"}
    make(tmp_path, {**files,
                    "content/runbooks/api/ApiDown.md": GOOD["template sections"],
                    "mixin/runbook.md": GOOD["numbered steps only"],
                    "examples/rules.yaml": "groups:\n  - name: x\n    rules:\n      - alert: ExampleAlert\n"
                                           "        expr: up == 0\n"})
    assert rules(findings(tmp_path)) == set()


def test_an_instruction_may_start_a_clause(tmp_path: Path) -> None:
    make(tmp_path, {**CLEAN, "docs/runbooks/x.md": "# Webhooks failing\n\nDepending on the integration, correct "
                                                    "its token or firewall rule.\n"})
    assert rules(findings(tmp_path)) == set()
