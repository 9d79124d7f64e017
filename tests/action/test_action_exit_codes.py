"""Every way out of `readiness action` returns a member of the one exit-code table
(`readiness.exit_codes.ExitCode`), the member the CLI would return for the same outcome."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from action_support import Repo, action_env

import readiness.engine
from readiness.action import run_action
from readiness.exit_codes import ExitCode

QUIET = {"comment": "never", "check-run": "false"}
"""Nothing to publish: the API address below answers nothing, and no path here needs it."""
NO_API = "http://127.0.0.1:9"


def _code(env: dict[str, str]) -> ExitCode:
    code = run_action(env, out=io.StringIO(), err=io.StringIO())
    assert type(code) is ExitCode, code  # a member of the table, never a bare int
    return code


def test_a_failing_verdict_is_fail(tmp_path: Path, repo: Repo) -> None:
    # RUNBOOK.md is required and missing: a high finding, and fail-on is high
    assert _code(action_env(tmp_path, repo, NO_API, inputs=QUIET)) is ExitCode.FAIL


def test_a_passing_verdict_is_ok(tmp_path: Path, repo: Repo) -> None:
    assert _code(action_env(tmp_path, repo, NO_API, inputs={**QUIET, "fail-on": "never"})) is ExitCode.OK


def test_a_failed_publish_keeps_the_verdicts_code(tmp_path: Path, repo: Repo) -> None:
    # comment and check run on, against an API that is not there
    assert _code(action_env(tmp_path, repo, NO_API)) is ExitCode.FAIL


def test_a_usage_error_is_usage(tmp_path: Path, repo: Repo) -> None:
    assert _code(action_env(tmp_path, repo, NO_API, inputs={**QUIET, "path": "no-such-dir"})) is ExitCode.USAGE
    assert _code(action_env(tmp_path, repo, NO_API, inputs={**QUIET, "fail-on": "sometimes"})) is ExitCode.USAGE


def test_a_configuration_error_is_usage(tmp_path: Path, repo: Repo) -> None:
    bad = tmp_path / "runner.yml"
    bad.write_text("version: 1\ngates:\n  docs:\n    requier: [x]\n", encoding="utf-8")
    assert _code(action_env(tmp_path, repo, NO_API, inputs={**QUIET, "config": str(bad)})) is ExitCode.USAGE


def test_an_unusable_report_to_publish_is_usage(tmp_path: Path, repo: Repo) -> None:
    # publish-report outside a workflow_run event: nothing is trusted, nothing published
    env = action_env(tmp_path, repo, NO_API, inputs={**QUIET, "publish-report": "report.json"})
    assert _code(env) is ExitCode.USAGE


def test_a_defect_is_internal(tmp_path: Path, repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("a defect")

    monkeypatch.setattr(readiness.engine, "run", broken)
    assert _code(action_env(tmp_path, repo, NO_API, inputs=QUIET)) is ExitCode.INTERNAL
