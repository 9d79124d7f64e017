"""Each rule page's examples run through the real gate: `bad` triggers the rule, `good` does not.

An example becomes a mini repository: its body is written to `file=` (from the fence) or to the
default path for its gate and language below; a `text` example under `docs` lists file paths to
create instead. Blocks fenced as ```<lang> support file=<path> are written into every example
repository of their page (e.g. the schema a config example names). The repository gets a README,
a runbook and an ADR so that unrelated docs rules stay quiet, then only the rule's gate runs.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from readiness.config import Config, load_config
from readiness.engine import RunOptions, run
from readiness.model import FailOn
from readiness.rules.catalog import Example, Rule, catalog

SHARED_OSV = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "osv-pypi"
"""The shared offline OSV snapshot: deps examples are audited against it (tests have no network)."""

DEFAULT_PATHS: dict[tuple[str, str], str] = {
    ("migrations", "sql"): "db/migrations/V2__example.sql",
    ("migrations", "python"): "alembic/versions/0002_example.py",
    ("deps", "text"): "requirements.txt",
    ("deps", "toml"): "pyproject.toml",
    ("config", "yaml"): "config/app.yaml",
    ("config", "json"): "config/app.json",
    ("config", "dotenv"): ".env.example",
    ("docs", "markdown"): "docs/adr/0001-example.md",
    ("docs", "yaml"): "monitoring/alerts.yml",
    ("checklist", "yaml"): "readiness-checklist.yml",
}
BASELINE = {
    "README.md": "# Example\n",
    "RUNBOOK.md": "# Runbook\n\n## Symptoms\nx\n\n## Diagnosis\nx\n\n## Mitigation\nRestart the service.\n",
    "docs/adr/0001-record-architecture-decisions.md": (
        "# 1. Record architecture decisions\n\nDate: 2026-01-01\n\n## Status\n\nAccepted\n\n"
        "## Context\n\nx\n\n## Decision\n\nx\n\n## Consequences\n\nx\n"
    ),
}


SUPPORT_RE = re.compile(r"^```[\w.+-]+ support file=(?P<file>\S+)\n(?P<body>.*?)^```\s*$",
                        re.DOTALL | re.MULTILINE)


def materialize(rule: Rule, example: Example, root: Path) -> None:
    """Write the example's repository under `root`."""
    files = dict(BASELINE)
    files.update({m.group("file"): m.group("body") for m in SUPPORT_RE.finditer(rule.body)})
    if rule.gate == "docs" and example.lang == "text":
        files = {line.strip(): "x\n" for line in example.body.splitlines() if line.strip()}
    else:
        path = example.attrs.get("file") or DEFAULT_PATHS.get((rule.gate, example.lang))
        if path is None:
            pytest.fail(f"{rule.id}: example in {example.lang!r} has no file= and no default path")
        files[path] = example.body
    for rel, text in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


def _cases() -> list[tuple[Rule, Example]]:
    return [(r, e) for r in catalog().all() for e in r.examples]


@pytest.mark.parametrize(("rule", "example"), _cases(),
                         ids=[f"{r.id}:{e.kind}{i}" for i, (r, e) in enumerate(_cases())])
def test_page_example(rule: Rule, example: Example, tmp_path: Path, request: pytest.FixtureRequest,
                      monkeypatch: pytest.MonkeyPatch) -> None:
    materialize(rule, example, tmp_path)
    if rule.meta.get("replay"):  # a rule only replay sees: its examples run on the session's real server
        monkeypatch.setenv("READINESS_REPLAY", "on")
        monkeypatch.setenv("READINESS_DATABASE_URL", request.getfixturevalue("pg_url"))
    # deps examples audit against the shared offline OSV snapshot (no network in tests).
    offline_db = SHARED_OSV if rule.gate == "deps" else None
    if offline_db is not None and not offline_db.is_dir():
        pytest.skip("../shared/data/osv-pypi is not beside the repository")
    # the checklist judges its evidence with the other gates' results, so its examples run them all
    gates = None if rule.gate == "checklist" else (rule.gate,)
    # an example that writes a .readiness.yml runs under it (a rule about the configuration itself)
    own = tmp_path / ".readiness.yml"
    config = load_config(own, display=".readiness.yml") if own.is_file() else Config()
    report = run(RunOptions(root=tmp_path, config=config, fail_on=FailOn.CRITICAL, gates=gates,
                            offline_db=offline_db))
    fired = {f.rule for f in report.findings}
    if example.kind == "bad":
        assert rule.id in fired, f"bad example did not trigger {rule.id}; fired: {sorted(fired)}"
    else:
        assert rule.id not in fired, f"good example triggered {rule.id}"
