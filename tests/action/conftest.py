"""Fixtures for the action tests: the repository and the fake GitHub API requiring the token."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "github"))

from action_support import Repo, make_repo  # noqa: E402
from fake_github import SPEC_PATH, FakeGitHub  # noqa: E402
from gh_support import TOKEN  # noqa: E402


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    """A workspace with a base and a head commit."""
    return make_repo(tmp_path)


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    """The fake GitHub API, requiring the test token."""
    if not SPEC_PATH.is_file():
        pytest.skip("../shared/data/github-rest/rest-subset.json is not beside the repository")
    with FakeGitHub(SPEC_PATH, repository="octo-org/demo", token=TOKEN) as server:
        yield server
