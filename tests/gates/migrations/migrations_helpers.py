"""Mini repositories for the migrations gate, and assertions that state the intent."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from readiness.config import Config
from readiness.engine import RunOptions, run
from readiness.model import FailOn, Finding, Item, Report
from readiness.workspace.changes import ChangeSet


def write(root: Path, files: dict[str, str]) -> None:
    """Create `files` (path -> text) under `root`."""
    for rel, text in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


def check(root: Path, files: dict[str, str] | None = None, *, settings: dict[str, Any] | None = None,
          changes: ChangeSet | None = None) -> Report:
    """Run only the migrations gate on `root` (after writing `files`)."""
    if files:
        write(root, files)
    config = Config(gates={"migrations": settings or {}})
    return run(RunOptions(root=root, config=config, fail_on=FailOn.CRITICAL, gates=("migrations",),
                          changes=changes))


def findings(report: Report, rule: str | None = None) -> list[Finding]:
    """Findings, optionally of one rule (`migrations/` may be omitted)."""
    if rule is not None and "/" not in rule:
        rule = f"migrations/{rule}"
    return [f for f in report.findings if rule is None or f.rule == rule]


def items(report: Report) -> list[Item]:
    """The gate's items."""
    return list(report.gates[0].items)


def sql_report(tmp_path: Path, sql: str, path: str = "db/migrations/0002_example.sql",
               **settings: Any) -> Report:
    """A fresh repository (under `tmp_path`) holding one plain SQL migration."""
    root = tmp_path / f"repo{len(list(tmp_path.glob('repo*')))}"
    return check(root, {path: sql}, settings=settings)


def assert_flags(tmp_path: Path, sql: str, rule: str, *, line: int | None = None, **settings: Any) -> Finding:
    """`sql` triggers `rule` (at `line` when given); returns the finding."""
    got = findings(sql_report(tmp_path, sql, **settings), rule)
    assert got, f"{rule} did not fire on:\n{sql}"
    if line is not None:
        assert any(f.location.line == line for f in got), [f.location for f in got]
    return got[0]


def assert_clean(tmp_path: Path, sql: str, rule: str, **settings: Any) -> None:
    """`sql` does not trigger `rule`."""
    got = findings(sql_report(tmp_path, sql, **settings), rule)
    assert not got, f"{rule} fired unexpectedly: {[f.message for f in got]}"


def git(root: Path, *args: str) -> None:
    """Run git in `root` (a test repository), with an identity and no signing."""
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@e", "-c", "commit.gpgsign=false", *args],
                   cwd=root, check=True, capture_output=True)
