"""The one sticky PR comment, found again by its marker and its author, edited in place.

Which comments are ours: the body starts with the marker AND the author is the token's identity.
GITHUB_TOKEN writes as `github-actions[bot]` (type Bot), and an app token cannot call `GET /user`,
so a marked comment by any Bot account counts as ours (only an app installed on the repository can
write as a Bot); a marked comment by a person counts only when `GET /user` works (a personal token)
and names that person. A comment a person typed or quoted with the marker is never edited.

Duplicates (a POST retried after a 5xx that GitHub had stored, or two runs racing) are repaired:
after posting we list again, keep the oldest marked comment and delete the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from readiness.render.markdown import COMMENT_BUDGET, MARKER

if TYPE_CHECKING:
    from github.Issue import Issue
    from github.IssueComment import IssueComment


@dataclass(frozen=True, slots=True, kw_only=True)
class CommentOutcome:
    """What happened to the comment."""

    action: str
    """`created`, `updated`, `unchanged` or `skipped` (nothing to edit and nothing to post)."""
    comment_id: int | None = None
    """The kept comment."""
    url: str | None = None
    """Its html_url."""
    minimal: bool = False
    """True when the minimal body was posted instead of the full one."""
    deleted: int = 0
    """Duplicate marked comments deleted."""


def is_marked(body: str | None) -> bool:
    """True when a comment body carries our marker at its start."""
    return bool(body) and body.lstrip().startswith(MARKER)  # type: ignore[union-attr]


def _too_long(exc: Exception) -> bool:
    from github import GithubException

    return isinstance(exc, GithubException) and exc.status == 422 and "too long" in str(exc.data).lower()


def fit_body(body: str, minimal: str) -> tuple[str, bool]:
    """The body to send: `body` within the budget, else `minimal` (cut as a last resort)."""
    if len(body) <= COMMENT_BUDGET:
        return body, False
    if len(minimal) <= COMMENT_BUDGET:
        return minimal, True
    return minimal[: COMMENT_BUDGET - 100] + "\n\n_(cut to fit GitHub's comment size limit)_\n", True


class StickyComment:
    """Finds, creates, edits and de-duplicates the marked comment on one PR."""

    def __init__(self, issue: Issue, *, own_login: Callable[[], str | None]) -> None:
        self.issue = issue
        self._own_login = own_login
        self._login: str | None = None
        self._login_known = False

    def _login_of_token(self) -> str | None:
        if not self._login_known:
            self._login_known = True
            self._login = self._own_login()
        return self._login

    def ours(self) -> list[IssueComment]:
        """Our marked comments, oldest first."""
        marked = [c for c in self.issue.get_comments() if is_marked(c.body)]
        found: list[IssueComment] = []
        for c in marked:
            user = c.user
            if user.type == "Bot":
                found.append(c)
            elif user.login and user.login == self._login_of_token():
                found.append(c)
        return sorted(found, key=lambda c: c.id)

    def _send(self, write: Callable[[str], IssueComment | None], body: str, minimal: str) -> tuple[
            IssueComment | None, bool]:
        text, used_minimal = fit_body(body, minimal)
        try:
            return write(text), used_minimal
        except Exception as exc:
            if not _too_long(exc) or used_minimal:
                raise
        text, _ = fit_body(minimal, minimal)
        return write(text), True

    def upsert(self, body: str, minimal: str, *, create: bool = True) -> CommentOutcome:
        """Edit our comment to `body` (no request when unchanged), or post it when `create`."""
        existing = self.ours()
        if existing:
            keep, extra = existing[0], existing[1:]
            deleted = self._delete(extra)
            current = keep.body or ""
            if current in (body, fit_body(body, minimal)[0]):
                return CommentOutcome(action="unchanged", comment_id=keep.id, url=keep.html_url,
                                      deleted=deleted)

            def edit(text: str) -> IssueComment:
                keep.edit(text)
                return keep

            _, used_minimal = self._send(edit, body, minimal)
            return CommentOutcome(action="updated", comment_id=keep.id, url=keep.html_url,
                                  minimal=used_minimal, deleted=deleted)
        if not create:
            return CommentOutcome(action="skipped")
        created, used_minimal = self._send(self.issue.create_comment, body, minimal)
        # A retried POST (or a racing run) may have left two: keep the oldest, delete the rest.
        again = self.ours()
        if not again:
            cid = created.id if created is not None else None
            return CommentOutcome(action="created", comment_id=cid, minimal=used_minimal)
        keep, extra = again[0], again[1:]
        deleted = self._delete(extra)
        sent = fit_body(minimal, minimal)[0] if used_minimal else fit_body(body, minimal)[0]
        if (keep.body or "") != sent:
            keep.edit(sent)
        return CommentOutcome(action="created", comment_id=keep.id, url=keep.html_url,
                              minimal=used_minimal, deleted=deleted)

    def _delete(self, comments: list[IssueComment]) -> int:
        from github import GithubException

        deleted = 0
        for c in comments:
            try:
                c.delete()
                deleted += 1
            except GithubException as exc:
                if exc.status != 404:  # already gone (a racing run deleted it): fine
                    raise
        return deleted
