"""Fixtures for the publisher tests: the fake GitHub API on 127.0.0.1."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fake_github import FakeGitHub

_ROOT_CONFTEST = Path(__file__).resolve().parents[1] / "conftest.py"


def _shared_path() -> Callable[..., Path]:
    """tests/conftest.py::shared_path (loaded by path: several conftest modules share the name)."""
    spec = importlib.util.spec_from_file_location("readiness_tests_root_conftest", _ROOT_CONFTEST)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    fn: Callable[..., Path] = module.shared_path
    return fn


shared_path = _shared_path()


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    """A started fake GitHub for octo-org/demo that writes as github-actions[bot]."""
    spec = shared_path("data", "github-rest", "rest-subset.json")
    with FakeGitHub(spec, repository="octo-org/demo") as server:
        yield server


@pytest.fixture(scope="session")
def webhooks_schema() -> dict[str, Any]:
    """`@octokit/webhooks-schemas` schema.json (draft-07)."""
    data: dict[str, Any] = json.loads(shared_path("data", "github-rest", "webhooks-schema.json").read_text())
    return data
