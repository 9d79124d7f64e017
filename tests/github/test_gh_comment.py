"""The sticky comment against the fake GitHub API: one comment, edited in place, repaired."""

from __future__ import annotations

from fake_github import BOT, FakeGitHub
from gh_support import TOKEN, finding, pr_event, rendered, report, settings

from readiness.github.publish import PublishRequest, PublishResult, publish
from readiness.model import Report, Severity
from readiness.render.markdown import COMMENT_BUDGET, MARKER

PR = 7


def body(text: str) -> str:
    return f"{MARKER}\n## readiness-gates\n\n{text}\n"


def minimal(text: str = "minimal") -> str:
    return f"{MARKER}\n{text}: full report in the job summary\n"


def go(fake: FakeGitHub, text: str, *, rep: Report | None = None, mode: str = "always",
       mini: str | None = None, full: str | None = None, **cfg: float) -> PublishResult:
    rep = rep or report()
    request = PublishRequest(event=pr_event(fake.base_url), token=TOKEN, report=rep,
                             comment_mode=mode, check_run=False, comment_body=full or body(text),
                             minimal_body=mini or minimal(), **rendered(rep))
    return publish(request, settings(fake.base_url, **cfg))


def test_two_runs_leave_one_comment_and_the_second_edits_it(fake: FakeGitHub) -> None:
    first = go(fake, "first run")
    second = go(fake, "second run")
    comments = fake.comments_on(PR)
    assert len(comments) == 1
    assert comments[0]["body"] == body("second run")
    assert comments[0]["user"]["login"] == BOT["login"]
    assert len(fake.requests_for("issues/create-comment")) == 1
    assert len(fake.requests_for("issues/update-comment")) == 1
    assert first.posted[0].startswith("comment created") and second.posted[0].startswith("comment updated")
    assert not first.not_posted and not second.not_posted


def test_unchanged_body_sends_no_patch(fake: FakeGitHub) -> None:
    go(fake, "same")
    result = go(fake, "same")
    assert fake.requests_for("issues/update-comment") == []
    assert [r.method for r in fake.requests_log].count("POST") == 1
    assert result.posted[0].startswith("comment unchanged")


def test_comments_by_people_or_without_the_marker_at_the_start_are_left_alone(fake: FakeGitHub) -> None:
    person = {"login": "octocat", "id": 1, "type": "User"}
    quoted = fake.add_comment(PR, body("a person pasted our marker"), user=person)
    mention = fake.add_comment(PR, f"see {MARKER} above")
    go(fake, "ours")
    comments = {c["id"]: c for c in fake.comments_on(PR)}
    assert comments[quoted]["body"] == body("a person pasted our marker")
    assert comments[mention]["body"] == f"see {MARKER} above"
    ours = [c for c in comments.values() if c["user"]["type"] == "Bot" and c["body"].startswith(MARKER)]
    assert [c["body"] for c in ours] == [body("ours")]
    # GITHUB_TOKEN cannot call GET /user: the client asked once and went on.
    assert len([r for r in fake.requests_log if r.path == "/user"]) == 1


def test_a_personal_token_finds_its_own_comment_through_get_user(fake: FakeGitHub) -> None:
    me = {"login": "release-bot-user", "id": 9, "type": "User"}
    fake.identity = me
    fake.user_endpoint = me
    go(fake, "first")
    go(fake, "second")
    assert [c["body"] for c in fake.comments_on(PR)] == [body("second")]


def test_a_502_after_the_post_was_stored_and_500s_on_reads_still_leave_one_comment(fake: FakeGitHub) -> None:
    fake.fail("issues/list-comments", 500, times=2)
    fake.fail("issues/create-comment", 502, after=True)  # GitHub stored it, the client saw 502
    result = go(fake, "retried")
    comments = fake.comments_on(PR)
    assert [c["body"] for c in comments] == [body("retried")]
    assert len(fake.requests_for("issues/create-comment")) == 2  # the retried POST double-posted...
    assert len(fake.requests_for("issues/delete-comment")) == 1  # ...and the newer copy was deleted
    assert result.posted and "1 duplicate(s) deleted" in result.posted[0]
    assert not result.not_posted


def test_racing_duplicates_are_repaired_keeping_the_oldest(fake: FakeGitHub) -> None:
    go(fake, "one")
    extra = fake.add_comment(PR, body("a racing run posted this"))
    go(fake, "two")
    comments = fake.comments_on(PR)
    assert len(comments) == 1 and comments[0]["id"] != extra
    assert comments[0]["body"] == body("two")


def test_a_body_over_the_budget_is_never_sent(fake: FakeGitHub) -> None:
    huge = body("x" * 70_000)
    result = go(fake, "", full=huge, mini=minimal("small"))
    sent = [r.body["body"] for r in fake.requests_for("issues/create-comment")]
    assert sent == [minimal("small")]
    assert all(len(r.raw) < 65_536 for r in fake.writes())
    assert "minimal body" in result.posted[0]


def test_a_422_too_long_is_retried_once_with_the_minimal_body(fake: FakeGitHub) -> None:
    fake.fail("issues/create-comment", 422, body={"message": "Validation Failed", "errors": [
        {"resource": "IssueComment", "code": "custom", "field": "body",
         "message": "body is too long (maximum is 65536 characters)"}]})
    result = go(fake, "y" * 1000)
    sent = [r.body["body"] for r in fake.requests_for("issues/create-comment")]
    assert sent == [body("y" * 1000), minimal()]
    assert [c["body"] for c in fake.comments_on(PR)] == [minimal()]
    assert "minimal body" in result.posted[0]
    assert len(body("y" * 1000)) < COMMENT_BUDGET


def test_on_failure_posts_only_when_failing_but_still_edits_to_say_it_passes(fake: FakeGitHub) -> None:
    passing = report()
    failing = report([finding(1, Severity.CRITICAL)])
    skipped = go(fake, "passes", rep=passing, mode="on-failure")
    assert fake.comments_on(PR) == [] and "not posted" in skipped.posted[0]
    go(fake, "fails", rep=failing, mode="on-failure")
    go(fake, "passes again", rep=passing, mode="on-failure")
    assert [c["body"] for c in fake.comments_on(PR)] == [body("passes again")]


def test_never_makes_no_request(fake: FakeGitHub) -> None:
    result = go(fake, "nothing", mode="never")
    assert fake.requests_log == []
    assert result.posted == () and result.not_posted == ()


def test_a_read_only_token_403_is_reported_once_and_not_retried(fake: FakeGitHub) -> None:
    fake.fail("issues/list-comments", 403, body={"message": "Resource not accessible by integration",
                                                 "documentation_url": "https://docs.github.com/rest"})
    result = go(fake, "forbidden")
    assert len(fake.requests_for("issues/list-comments")) == 1
    assert len(result.not_posted) == 1 and "403" in result.not_posted[0]
    assert "read-only" in result.not_posted[0]
    assert TOKEN not in " ".join(result.not_posted)


def test_the_fake_enforces_githubs_comment_limit(fake: FakeGitHub) -> None:
    import pytest

    from github import GithubException
    from readiness.github.client import make_client

    issue = make_client(TOKEN, settings(fake.base_url)).get_repo("octo-org/demo").get_issue(PR)
    with pytest.raises(GithubException) as caught:
        issue.create_comment("z" * 65_537)
    assert caught.value.status == 422 and "too long" in str(caught.value.data)
    assert fake.comments_on(PR) == []
    issue.create_comment("z" * 65_536)
    assert len(fake.comments_on(PR)) == 1
