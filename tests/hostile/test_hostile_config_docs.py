"""Hostile inputs to the config and docs gates (issue 11, classes 6 and 7): small files that made a
regular expression backtrack for minutes, a pull request's schema whose `pattern` hung Python's
`re`, a pattern that crashed it, and a `.log4brains.yml` of the wrong shape. Each becomes a verdict
in seconds, with its per-file findings, never a hang or an exit 3.

Each repository is built in a temporary directory and run through `readiness check --format json`
as its own process, under the same invariants as the rest of the hostile corpus (no traceback, no
exit 3, no leak). The time bound is generous (the fixed code needs about a second); before the
fix each of these took minutes or crashed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from hostile_corpus import Case, Sandbox
from hostile_run import READINESS, assert_invariants, base_env, forbidden_strings, run, validate_report

BOUND_S = 30.0
"""Wall-clock bound per run: a hang shows as a timeout (`run` kills it at BOUND_S + 10)."""

SCHEMA_ID = "https://json-schema.org/draft/2020-12/schema"
RUNBOOK = "# Runbook\n\n## Checkout errors\n\nRestart the service: `kubectl rollout restart deploy/shop`.\n"
ADR_HEAD = "# 2. Hostile\n\nDate: 2026-01-02\n\n"
ADR_SECTIONS = "## Context\n\nc\n\n## Decision\n\nd\n\n## Consequences\n\ne\n"
ADR_BODY = "## Status\n\nAccepted\n\n" + ADR_SECTIONS


@dataclass(frozen=True, slots=True)
class Hostile:
    """One hostile repository for one gate, and the finding that must come out of it."""

    name: str
    gate: str
    files: Callable[[], dict[str, str]]
    expect: tuple[str, str] | None
    """(rule, path) that must be reported; None: only the invariants and the time bound."""


def _config_schema(schema: dict[str, object], files: str, data: dict[str, str]) -> dict[str, str]:
    return {
        ".readiness.yml": f"version: 1\ngates:\n  config:\n    schemas: [{{files: '{files}', schema: s.json}}]\n",
        "s.json": json.dumps(schema),
        **data,
    }


def _docs(**extra: str) -> dict[str, str]:
    return {"README.md": "# x\n", "RUNBOOK.md": RUNBOOK,
            "docs/adr/0001-record.md": "# 1. Record\n\nDate: 2026-01-01\n\n" + ADR_BODY, **extra}


CASES = [
    Hostile("toml-array-line-of-spaces", "config", lambda: _config_schema(
        {"$schema": SCHEMA_ID, "properties": {"port": {"type": "integer"}}}, "config/app.toml",
        {"config/app.toml": "port = \"http\"\nx = [\n  [1," + " " * 300_000 + "2],\n]\n"}),
        ("config/schema-violation", "config/app.toml")),
    Hostile("pr-schema-catastrophic-pattern", "config", lambda: _config_schema(
        {"$schema": SCHEMA_ID, "properties": {"name": {"type": "string", "pattern": "^(a|a)*$"}}},
        "config/app.yaml", {"config/app.yaml": "name: " + "a" * 60 + "!\n"}),
        ("config/schema-violation", "config/app.yaml")),
    Hostile("env-schema-catastrophic-pattern-properties", "config", lambda: {
        "env.schema.json": json.dumps({"properties": {"A": {}}, "patternProperties": {"^(a|a)*$": {}}}),
        ".env.example": "A=1\n" + "a" * 60 + "!=1\n"},
        ("config/env-unknown-variable", ".env.example")),
    Hostile("pattern-repetition-4294967296", "config", lambda: _config_schema(
        {"$schema": SCHEMA_ID, "properties": {"name": {"type": "string", "pattern": "a{4294967296}"}}},
        "config/app.yaml", {"config/app.yaml": "name: a\n"}),
        ("config/unsupported-schema", "s.json")),
    Hostile("url-password-after-a-long-word", "config", lambda: {
        "config/app.yaml": "url: " + "a" * 400_000 + "://host@x\n"}, None),
    Hostile("markdown-html-block-of-open-anchors", "docs", lambda: _docs(**{
        "docs/adr/0002-hostile.md": ADR_HEAD + "<div>\n" + "<a " * 150_000 + "\n</div>\n\n" + ADR_BODY}),
        None),
    Hostile("adr-brace-then-spaces", "docs", lambda: _docs(**{
        "docs/adr/0002-hostile.md": ADR_HEAD + "{a" + " " * 300_000 + "\n\n" + ADR_BODY}), None),
    Hostile("adr-line-of-spaces-before-the-status", "docs", lambda: _docs(**{
        # a paragraph's continuation line may start with spaces (it is not indented code)
        "docs/adr/0002-hostile.md": ("# 2. Hostile\n\nA note.\n" + " " * 300_000 + "x\n\nStatus: Accepted\n"
                                     "Date: 2026-01-02\n\n" + ADR_SECTIONS)}), None),
    Hostile("adr-status-of-link-openers", "docs", lambda: _docs(**{
        "docs/adr/0002-hostile.md": ADR_HEAD + ADR_BODY.replace("Accepted", "Superseded by " + "[](" * 60_000)}),
        ("docs/adr-missing-successor", "docs/adr/0002-hostile.md")),
    Hostile("adr-superseded-by-dotted-word", "docs", lambda: _docs(**{
        "docs/adr/0002-hostile.md": ADR_HEAD + ADR_BODY.replace("Accepted", "Superseded by " + "a." * 200_000)}),
        ("docs/adr-missing-successor", "docs/adr/0002-hostile.md")),
    Hostile("front-matter-fallback-line-of-spaces", "docs", lambda: _docs(**{
        "docs/adr/0002-hostile.md": "---\nstatus: [unclosed\nk: a" + " " * 300_000 + "b\n---\n" + ADR_HEAD + ADR_BODY}),
        ("docs/invalid-front-matter", "docs/adr/0002-hostile.md")),
    Hostile("runbook-of-comment-openers", "docs", lambda: _docs(**{
        "docs/runbooks/x.md": "# X\n\n" + "<!--" * 100_000 + "\n\nRestart it.\n"}), None),
    Hostile("yaml-of-blank-lines-scanned-for-alerts", "docs", lambda: _docs(**{
        "deploy/values.yaml": "\n" * 400_000 + "a: 1\n"}), None),
    Hostile("log4brains-packages-not-a-list", "docs", lambda: {
        **_docs(), ".log4brains.yml": "project:\n  adrFolder: ./docs/adr\n  packages: 5\n"}, None),
    Hostile("log4brains-folder-is-the-root-or-a-glob", "docs", lambda: {
        **_docs(),
        ".log4brains.yml": "project:\n  adrFolder: ./\n  packages: [{adrFolder: '**'}, {adrFolder: 7}, x]\n"},
        None),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_config_and_docs_inputs_end_with_a_verdict(case: Hostile, tmp_path: Path) -> None:
    sb = Sandbox(root=tmp_path / "repo", outside=tmp_path / "outside")
    sb.root.mkdir()
    sb.outside.mkdir()
    for rel, text in case.files().items():
        sb.write(rel, text)
    argv = [str(READINESS), "check", str(sb.root), "--format", "json", "--gates", case.gate]
    started = time.monotonic()
    result = run(f"check {case.name}", argv, base_env(tmp_path / "home"), tmp_path, timeout=BOUND_S + 10)
    elapsed = time.monotonic() - started
    assert_invariants(Case(case.name, lambda _sb: None), result, forbidden_strings(Case(case.name, lambda _sb: None)))
    assert result.code in (0, 1), f"exit {result.code}: {result.stderr[-800:]}"
    assert elapsed < BOUND_S, f"{case.name}: {elapsed:.1f} s"
    data = json.loads(result.stdout)
    validate_report(case.name, data)
    gate = next(g for g in data["gates"] if g["id"] == case.gate)
    assert gate["status"] in ("pass", "fail"), gate
    if case.expect is not None:
        rule, path = case.expect
        assert any(f["rule"] == rule and f["path"] == path for f in data["findings"]), \
            [(f["rule"], f["path"]) for f in data["findings"]]
