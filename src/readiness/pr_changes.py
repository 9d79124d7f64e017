"""What a pull request changes, for the action: git against the base commit when the clone has it,
else GitHub's PR files API; None (judge the whole repository) when neither can tell.

Never requires a full-history checkout (DESIGN): a shallow clone without the base falls back to the
API, and a PR over the API's 3,000-file cap is judged whole. The API failing never stops the run.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from readiness.workspace.changes import ChangeSet

if TYPE_CHECKING:
    from readiness.github.event import ActionEvent
    from readiness.github.settings import ClientSettings


def pr_changes(root: Path, workspace: Path, event: ActionEvent, token: str, settings: ClientSettings,
               note: Callable[[str], None]) -> ChangeSet | None:
    """The PR's changed files under `root` (paths relative to it); `note` gets one log line when
    the run falls back to judging everything."""
    from readiness.github.publish import FILES_CAP, pr_files
    from readiness.workspace.changes import GitUnavailable, git_changes, undecodable_paths

    pr = event.pull_request
    if pr is None or not pr.base_sha:
        return None
    try:
        # the repository is the one holding `root`, found no higher than the workspace; commits are
        # compared as trees (what the PR changes is what its commits change)
        return git_changes(root, pr.base_sha, stop=workspace, worktree=False)
    except GitUnavailable as exc:
        git_problem = str(exc)
    if pr.changed_files is not None and pr.changed_files > FILES_CAP:
        note(f"readiness: the PR changes {pr.changed_files:,} files, more than the {FILES_CAP:,} the API "
             "lists: judging the whole repository")
        return None
    if not token:
        note(f"readiness: cannot tell the PR's files (git: {git_problem}; no token for the API): "
             "judging the whole repository")
        return None
    try:
        listed = pr_files(token, event.repository, pr.number, settings)
    except Exception as exc:  # the API failing must not stop the run: judge everything instead
        from readiness.github.client import describe

        note(f"readiness: cannot list the PR's files (git: {git_problem}; API: {describe(exc, token)}): "
             "judging the whole repository")
        return None
    # where `root` really is: a `path:` the PR turned into a symlink to its own directory is judged as
    # that directory (as the walk and git see it), so GitHub's names are cut to the same prefix
    prefix = os.path.relpath(os.path.realpath(root), os.path.realpath(workspace)).replace(os.sep, "/")
    prefix = "" if prefix == "." else prefix.rstrip("/") + "/"

    def local(names: frozenset[str]) -> frozenset[str]:
        return frozenset(n[len(prefix):] for n in names if n.startswith(prefix))

    # GitHub lists names as text: a file whose name is not UTF-8 cannot be found in the list, so it is
    # judged as changed (a new migration named so would otherwise pass as history)
    return ChangeSet(base=pr.base_sha, files=local(listed.files) | undecodable_paths(root),
                     deleted=local(listed.deleted), source="api")
