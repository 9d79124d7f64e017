"""The rule catalog: page <-> rule bijection and page shape (DESIGN: one page per rule)."""

from __future__ import annotations

import importlib
import re

import pytest

from readiness.model import GATE_IDS, Severity
from readiness.rules.catalog import FIX_MAX, RULE_ID_RE, SUMMARY_MAX, catalog


def _import_all_gates() -> None:
    for gate in GATE_IDS:
        mod = importlib.import_module(f"readiness.gates.{gate}")
        # gate packages may register rules in submodules imported lazily: import them all
        for name in getattr(mod, "RULE_MODULES", ()):
            importlib.import_module(name)
    importlib.import_module("readiness.waivers")
    importlib.import_module("readiness.config.policy")  # config/policy-relaxed: the run's policy, not a gate
    importlib.import_module("readiness.baseline")  # stale and unreviewed baseline entries: the run's, not a gate's


def test_every_used_rule_has_a_page_and_every_page_is_used() -> None:
    _import_all_gates()
    cat = catalog()
    used, pages = set(cat.used), cat.page_ids()
    assert used - pages == set(), f"rules used in code without a page: {sorted(used - pages)}"
    assert pages - used == set(), f"pages without a rule in code: {sorted(pages - used)}"


@pytest.mark.parametrize("rule", catalog().all(), ids=lambda r: r.id)
def test_page_shape(rule) -> None:  # type: ignore[no-untyped-def]
    assert RULE_ID_RE.match(rule.id)
    assert "\n" not in rule.summary and 10 <= len(rule.summary) <= SUMMARY_MAX, rule.summary
    assert "\n" not in rule.fix and 10 <= len(rule.fix) <= FIX_MAX, rule.fix
    assert re.search(r"^## Why it matters$", rule.body, re.MULTILINE), "missing '## Why it matters'"
    assert re.search(r"^## Safe alternative$", rule.body, re.MULTILINE), "missing '## Safe alternative'"
    assert "TODO" not in rule.body and "TBD" not in rule.body, "placeholder text on a rule page"
    assert rule.since


def test_what_the_gate_cannot_read_fails_closed_when_introduced() -> None:
    # a PR must not pass by making its migration, its requirements file (pip reads what the gate cannot)
    # or its config file (UTF-16, over the size limit) unreadable: these are critical in a file it brings
    raised = {r.id: r.introduced_severity for r in catalog().all() if r.introduced_severity is not None}
    assert raised == {**{f"migrations/{name}": Severity.CRITICAL for name in
                         ("parse-error", "python-syntax-error", "dynamic-sql", "unreadable-file", "submodule-changed")},
                      "deps/unreadable-file": Severity.CRITICAL, "config/unreadable-file": Severity.CRITICAL}


def test_severity_introduced_must_raise_the_severity(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from readiness.errors import CatalogError
    from readiness.rules.catalog import Catalog

    page = tmp_path / "docs" / "x-y.md"
    page.parent.mkdir()
    page.write_text("---\nid: docs/x-y\nseverity: high\nseverity_introduced: low\nsummary: a summary here\n"
                    "fix: a fix that is long enough\nsince: 0.1.0\n---\n## Why it matters\n\n## Safe alternative\n")
    with pytest.raises(CatalogError, match="severity_introduced"):
        Catalog(tmp_path).get("docs/x-y")
