"""Whole fixture repositories in the layouts of adr-tools, log4brains, MADR and Prometheus rule
files, each with its exact expected findings (rule, path, line)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import factories
from readiness.gates.docs import GATE

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "docs"

EXPECTED: dict[str, set[tuple[str, str, int | None]]] = {
    "adr-tools": {
        # "Superceded" (adr-tools spelling) without a link to the successor
        ("docs/adr-missing-successor", "doc/architecture/0004-use-kafka.md", 7),
        ("docs/adr-unfilled-template", "doc/architecture/0004-use-kafka.md", 11),
        ("docs/broken-link", "doc/architecture/0004-use-kafka.md", 19),
        ("docs/adr-number-gap", "doc/architecture/0006-split-billing.md", 1),
        ("docs/adr-missing-date", "doc/architecture/0006-split-billing.md", 1),
        ("docs/adr-missing-section", "doc/architecture/0006-split-billing.md", 1),
    },
    "log4brains": {
        ("docs/broken-link", "docs/architecture/20201002-use-redis-sessions.md", 3),
        ("docs/adr-unknown-status", "docs/architecture/20201020-adopt-graphql.md", 3),
    },
    "madr": {
        ("docs/adr-duplicate-number", "docs/decisions/0001-use-rabbitmq.md", 1),
        ("docs/adr-missing-successor", "docs/decisions/0001-use-rabbitmq.md", 2),
        ("docs/adr-unfilled-template", "docs/decisions/0002-choose-api-style.md", 3),
        ("docs/adr-missing-date", "docs/decisions/0002-choose-api-style.md", 5),
        ("docs/adr-missing-section", "docs/decisions/0002-choose-api-style.md", 5),
        ("docs/invalid-front-matter", "docs/decisions/0003-deprecate-soap.md", 3),
    },
    "prometheus": {
        ("docs/alert-without-runbook", "monitoring/alerts.yml", 14),
        ("docs/alert-runbook-anchor-not-found", "monitoring/alerts.yml", 21),
        ("docs/alert-runbook-not-found", "monitoring/alerts.yml", 25),
        ("docs/alert-runbook-unverified", "monitoring/alerts.yml", 33),
        ("docs/alert-runbook-not-found", "deploy/k8s/prometheusrule.yaml", 21),
        ("docs/alert-without-runbook", "deploy/k8s/prometheusrule.yaml", 22),
        ("docs/runbook-placeholder", "docs/runbooks/queue.md", 1),
    },
}


def run_gate(root: Path, settings: dict[str, object] | None = None) -> set[tuple[str, str, int | None]]:
    """The docs gate's findings on a repository as (rule, path, line)."""
    outcome = GATE.run(factories.gate_context(root, "docs", settings))
    return {(f.rule, f.location.path, f.location.line) for f in outcome.findings}


@pytest.mark.parametrize("scenario", sorted(EXPECTED))
def test_fixture_repository(scenario: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/shop")
    root = tmp_path / scenario
    shutil.copytree(FIXTURES / scenario, root)
    assert run_gate(root) == EXPECTED[scenario]


def test_every_fixture_directory_has_expectations() -> None:
    assert sorted(p.name for p in FIXTURES.iterdir() if p.is_dir()) == sorted(EXPECTED)


def test_without_github_repository_own_urls_are_unverified(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_REPOSITORY", raising=False)
    root = tmp_path / "prometheus"
    shutil.copytree(FIXTURES / "prometheus", root)
    found = run_gate(root)
    assert ("docs/alert-runbook-not-found", "monitoring/alerts.yml", 25) not in found
    assert ("docs/alert-runbook-unverified", "monitoring/alerts.yml", 25) in found  # github.com
    assert ("docs/alert-runbook-unverified", "monitoring/alerts.yml", 33) in found  # the wiki
