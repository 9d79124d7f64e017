"""Which files a pull request changes, and what the base branch holds, through git.

git runs with `safe.directory=*` (inside the action container the workspace belongs to another
uid), with fsmonitor and hooks off, and never needs full history: when the base commit is not
in a shallow clone the caller falls back to the API's list of PR files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

GIT_TIMEOUT = 60
_GIT = ("git", "-c", "safe.directory=*", "-c", "core.fsmonitor=false", "-c", "core.hooksPath=/dev/null",
        "-c", "core.quotePath=false")


class GitUnavailable(Exception):
    """git could not answer; the message says why in plain words."""


def git(root: Path, *args: str, limit: int | None = None) -> bytes:
    """Run git in `root` and return stdout; GitUnavailable on any failure."""
    import subprocess  # only runs that diff need it (~9 ms of start-up otherwise)

    try:
        proc = subprocess.run([*_GIT, *args], cwd=root, capture_output=True, timeout=GIT_TIMEOUT,
                              check=False, stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        raise GitUnavailable("git is not installed") from None
    except subprocess.TimeoutExpired:
        raise GitUnavailable(f"git {args[0]} timed out after {GIT_TIMEOUT} s") from None
    if proc.returncode != 0:
        msg = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitUnavailable(msg[-1] if msg else f"git {args[0]} failed ({proc.returncode})")
    if limit is not None and len(proc.stdout) > limit:
        raise GitUnavailable("output over the size limit")
    return proc.stdout


@dataclass(frozen=True, slots=True)
class ChangeSet:
    """The files a PR adds or changes, relative to the repository root."""

    base: str
    """The base ref or sha compared against."""
    files: frozenset[str]
    """Added, copied, modified, renamed (new name) or type-changed paths."""
    deleted: frozenset[str]
    """Paths the PR deletes."""
    source: str
    """`git` or `api`."""
    base_sha: str | None = None
    """The resolved base commit, when git knows it."""

    def touched(self, path: str) -> bool:
        """True when the PR adds or changes `path`."""
        return path in self.files


def _names(out: bytes) -> list[str]:
    return [p for p in out.decode("utf-8", "surrogateescape").split("\0") if p]


def git_changes(root: Path, base: str) -> ChangeSet:
    """Changes from the merge base of `base` and HEAD to the working tree (committed or not)."""
    base_sha = git(root, "rev-parse", "--verify", "--quiet", f"{base}^{{commit}}").decode().strip()
    if not base_sha:
        raise GitUnavailable(f"base {base!r} is not a commit in this clone")
    try:
        point = git(root, "merge-base", base_sha, "HEAD").decode().strip() or base_sha
    except GitUnavailable:
        point = base_sha  # shallow clone: compare with the base commit itself
    # --relative: paths relative to `root` (which may be a subdirectory of the git work tree),
    # and only changes under it
    out = git(root, "diff", "--name-status", "-z", "--no-renames", "--no-ext-diff", "--relative", point)
    parts = _names(out)
    files: set[str] = set()
    deleted: set[str] = set()
    for status, path in zip(parts[0::2], parts[1::2], strict=False):
        (deleted if status.startswith("D") else files).add(path)
    untracked = git(root, "ls-files", "-z", "--others", "--exclude-standard")
    files.update(_names(untracked))
    return ChangeSet(base=base, files=frozenset(files), deleted=frozenset(deleted), source="git",
                     base_sha=point)


def base_text(root: Path, base_sha: str, rel: str, *, limit: int) -> str | None:
    """The file `rel` as it is at `base_sha`; None when it does not exist there."""
    try:
        size = int(git(root, "cat-file", "-s", f"{base_sha}:./{rel}").decode().strip())
    except (GitUnavailable, ValueError):
        return None
    if size > limit:
        raise GitUnavailable(f"{rel} at the base is {size:,} bytes, over the limit")
    data = git(root, "cat-file", "blob", f"{base_sha}:./{rel}", limit=limit)
    return data.decode("utf-8", "replace")
