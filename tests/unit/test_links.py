"""Rule links resolve: the page in the repository, at the ref the action actually runs from."""

from __future__ import annotations

import pytest

from readiness.model import FailOn, Finding, GateId, GateResult, GateStatus, Location, Report, RuleId, Severity
from readiness.render.links import DEFAULT_DOCS_BASE, docs_base, rule_url
from readiness.render.markdown import LinkContext, render_comment
from readiness.render.sarif import sarif_dict


@pytest.mark.parametrize(
    ("env", "base"),
    [
        ({}, "https://github.com/readiness-gates/readiness-gates/blob/main/"),
        (
            {"GITHUB_ACTION_REPOSITORY": "acme/readiness-gates", "GITHUB_ACTION_REF": "v1"},
            "https://github.com/acme/readiness-gates/blob/v1/",
        ),
        (
            {
                "GITHUB_ACTION_REPOSITORY": "acme/readiness-gates",
                "GITHUB_ACTION_REF": "a" * 40,
                "GITHUB_SERVER_URL": "https://ghe.example.com/",
            },
            f"https://ghe.example.com/acme/readiness-gates/blob/{'a' * 40}/",
        ),
        # `uses: ./`: the runner leaves them empty; the released image's own tag is next
        (
            {
                "GITHUB_ACTION_REPOSITORY": "",
                "GITHUB_ACTION_REF": "",
                "READINESS_RELEASE_DOCS_URL": "https://github.com/readiness-gates/readiness-gates/blob/v0.2.0/",
            },
            "https://github.com/readiness-gates/readiness-gates/blob/v0.2.0/",
        ),
        # the user's override wins, with or without the trailing slash
        (
            {
                "READINESS_DOCS_URL": "https://ghe.example.com/mirrors/rg/blob/v1",
                "GITHUB_ACTION_REPOSITORY": "a/b",
                "GITHUB_ACTION_REF": "v9",
            },
            "https://ghe.example.com/mirrors/rg/blob/v1/",
        ),
        # nonsense is ignored, never linked
        (
            {
                "READINESS_DOCS_URL": "javascript:alert(1)/",
                "GITHUB_ACTION_REPOSITORY": "x",
                "GITHUB_ACTION_REF": "../../evil",
            },
            DEFAULT_DOCS_BASE,
        ),
        ({"GITHUB_ACTION_REPOSITORY": "acme/rg", "GITHUB_ACTION_REF": "v1) [click](https://evil"}, DEFAULT_DOCS_BASE),
    ],
)
def test_docs_base_follows_where_the_action_runs_from(env: dict[str, str], base: str) -> None:
    assert docs_base(env) == base


def test_the_default_is_a_ref_that_exists_not_an_unreleased_tag() -> None:
    assert DEFAULT_DOCS_BASE.endswith("/blob/main/")
    assert (
        rule_url("migrations/rename-column", DEFAULT_DOCS_BASE)
        == DEFAULT_DOCS_BASE + "checks/migrations/rename-column.md"
    )


def _report() -> Report:
    f = Finding(
        rule=RuleId("migrations/rename-column"),
        severity=Severity.HIGH,
        location=Location(path="a.sql", line=1),
        message="m",
        fix="x",
        fingerprint="ab" * 16,
    )
    return Report(
        version="0.1.0",
        fail_on=FailOn.HIGH,
        base="b" * 40,
        head="c" * 40,
        gates=(
            GateResult(gate=GateId("migrations"), status=GateStatus.FAIL, duration_ms=1.0, findings=(f,), items=()),
        ),
    )


def test_the_comment_and_sarif_link_the_pages_and_the_compared_commits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_ACTION_REPOSITORY", "acme/readiness-gates")
    monkeypatch.setenv("GITHUB_ACTION_REF", "v1.2.3")
    page = "https://github.com/acme/readiness-gates/blob/v1.2.3/checks/migrations/rename-column.md"
    links = LinkContext(server_url="https://github.com", repository="acme/api", head_sha="c" * 40)
    body = render_comment(_report(), links=links)
    assert f"[`migrations/rename-column`]({page})" in body
    assert f"[`bbbbbbbbbbbb`](https://github.com/acme/api/commit/{'b' * 40})" in body
    assert f"[`cccccccccccc`](https://github.com/acme/api/commit/{'c' * 40})" in body
    assert "| 0 migrations |" in body  # the Checked column names what it counts
    driver = sarif_dict(_report())["runs"][0]["tool"]["driver"]
    assert driver["rules"][0]["helpUri"] == page
    assert driver["informationUri"] == "https://github.com/acme/readiness-gates"
