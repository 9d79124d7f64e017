"""The golden files hold the layout of each format. Which ref rule links point at is tested in
tests/unit/test_links.py; here it is pinned, so that the goldens do not change with the default."""

from __future__ import annotations

import pytest

GOLDEN_DOCS = "https://github.com/readiness-gates/readiness-gates/blob/v0.1.0/"


@pytest.fixture(autouse=True)
def _pinned_docs_base(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("READINESS_DOCS_URL", GOLDEN_DOCS)
