"""Retries against the fake API: rate limits with and without Retry-After, PATCH, resets, the budget."""

from __future__ import annotations

import time

import pytest
from fake_github import FakeGitHub
from gh_support import TOKEN, finding, pr_event, rendered, report, settings

from github import GithubException
from readiness.github.client import describe, make_client
from readiness.github.publish import PublishRequest, publish
from readiness.github.settings import ClientSettings, Deadline
from readiness.model import Severity
from readiness.render.markdown import MARKER

PR = 7
BODY = f"{MARKER}\nbody\n"


def client(fake: FakeGitHub, **cfg: float) -> tuple[ClientSettings, Deadline]:
    s = settings(fake.base_url, **cfg)
    return s, Deadline(s.budget)


def test_403_with_retry_after_is_waited_out(fake: FakeGitHub) -> None:
    fake.fail("issues/create-comment", 403, {"Retry-After": "1"},
              {"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."})
    s, deadline = client(fake)
    gh = make_client(TOKEN, s, deadline)
    start = time.monotonic()
    gh.get_repo("octo-org/demo").get_issue(PR).create_comment(BODY)
    assert time.monotonic() - start >= 1.0
    assert len(fake.requests_for("issues/create-comment")) == 2
    assert len(fake.comments_on(PR)) == 1


def test_429_without_retry_after_is_retried_with_backoff(fake: FakeGitHub) -> None:
    fake.fail("issues/create-comment", 429, times=2)
    s, deadline = client(fake)
    make_client(TOKEN, s, deadline).get_repo("octo-org/demo").get_issue(PR).create_comment(BODY)
    assert len(fake.requests_for("issues/create-comment")) == 3
    assert len(fake.comments_on(PR)) == 1


def test_patch_and_delete_are_retried(fake: FakeGitHub) -> None:
    cid = fake.add_comment(PR, BODY)
    fake.fail("issues/update-comment", 502)
    fake.fail("issues/update-comment", 403, {"Retry-After": "0"}, {"message": "secondary rate limit"})
    fake.fail("issues/delete-comment", 503)
    s, deadline = client(fake)
    issue = make_client(TOKEN, s, deadline).get_repo("octo-org/demo").get_issue(PR)
    (comment,) = list(issue.get_comments())
    comment.edit(BODY + "edited")
    assert fake.comments[cid]["body"] == BODY + "edited"
    comment.delete()
    assert fake.comments_on(PR) == []
    assert len(fake.requests_for("issues/update-comment")) == 3
    assert len(fake.requests_for("issues/delete-comment")) == 2


def test_a_connection_reset_and_a_slow_answer_are_retried(fake: FakeGitHub) -> None:
    fake.fail("issues/list-comments", reset=True)
    fake.fail("issues/list-comments", delay=1.5)  # longer than the 1 s read timeout below
    s, deadline = client(fake, timeout=1)
    issue = make_client(TOKEN, s, deadline).get_repo("octo-org/demo").get_issue(PR)
    assert list(issue.get_comments()) == []
    assert len(fake.requests_for("issues/list-comments")) == 3


def test_a_retry_after_beyond_the_budget_is_not_waited_for(fake: FakeGitHub) -> None:
    fake.fail("issues/create-comment", 429, {"Retry-After": "30"})
    s, deadline = client(fake, budget=2.0)
    start = time.monotonic()
    with pytest.raises(GithubException) as caught:
        make_client(TOKEN, s, deadline).get_repo("octo-org/demo").get_issue(PR).create_comment(BODY)
    assert time.monotonic() - start < 1.0
    assert caught.value.status == 429
    assert describe(caught.value, TOKEN).startswith("HTTP 429")


def test_persistent_500s_end_within_the_publishing_budget(fake: FakeGitHub) -> None:
    for op in ("issues/list-comments", "checks/create", "issues/create-comment"):
        fake.fail(op, 500, times=1000)
    rep = report([finding(1, Severity.CRITICAL)])
    request = PublishRequest(event=pr_event(fake.base_url), token=TOKEN, report=rep, comment_body=BODY,
                             minimal_body=BODY, check_title="fail", check_summary="summary", **rendered(rep))
    start = time.monotonic()
    result = publish(request, settings(fake.base_url, budget=1.5, backoff=0.2, backoff_max=0.4, retries=100))
    elapsed = time.monotonic() - start
    assert elapsed < 1.5 + 0.5, elapsed  # the budget, plus scheduling slack; no request hangs here
    assert len(result.not_posted) == 2
    assert result.not_posted[0].startswith("comment: ") and "500" in result.not_posted[0]
    assert result.not_posted[1].startswith("check run: ")
    assert result.fallback_annotations
    assert fake.comments_on(PR) == [] and list(fake.iter_check_runs()) == []
    assert len(fake.requests_log) > 3  # it did retry before giving up


def test_describe_never_shows_the_token() -> None:
    exc = GithubException(401, {"message": f"Bad credentials {TOKEN}"}, None)
    assert TOKEN not in describe(exc, TOKEN)
    assert "***" in describe(exc, TOKEN)
