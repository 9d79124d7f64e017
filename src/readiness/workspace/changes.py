"""Which files a pull request changes, and what the base branch holds, through git run safely
(`readiness.workspace.git`): commits are compared as trees, the working tree is hashed by us.

Never needs full history: when the base commit is not in a shallow clone the caller falls back to
the API's list of PR files.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from readiness.workspace.git import GitRepo, GitUnavailable

__all__ = ["ChangeSet", "GitRepo", "GitUnavailable", "base_text", "git_changes"]


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
    """The commit the changes are counted from (the merge base of the base and HEAD), when git knows it."""
    repo: GitRepo | None = None
    """The repository, when git answered (to read files as they are at the base)."""
    base_commit: str | None = None
    """The base commit itself (the base branch's tip), when git knows it: its `.readiness.yml` is the policy."""
    added: frozenset[str] = frozenset()
    """Paths the PR's commits add (absent at `base_sha`): `base_text` knows them absent without asking git."""

    def touched(self, path: str) -> bool:
        """True when the PR adds or changes `path`.

        A name from GitHub's file list is text, so a path that is not UTF-8 (walked as lone surrogates)
        can never be found in it: from the API, such a path counts as changed (failing closed)."""
        return path in self.files or (self.source == "api" and _undecodable(path))


    def with_links(self, links: Mapping[str, Sequence[str]]) -> ChangeSet:
        """The change set with each symlink (`Workspace.link_paths`) whose chain passes through a path
        the PR adds, changes or deletes counted as changed: editing only the target of a link changes
        what the link reads (a migration kept as a link to a shared SQL file)."""
        touched = self.files | self.deleted
        extra = {link for link, via in links.items() if link not in self.files and any(p in touched for p in via)}
        return replace(self, files=self.files | extra) if extra else self


def _undecodable(path: str) -> bool:
    """True for a path holding bytes that are not UTF-8 (decoded with `surrogateescape`)."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def undecodable_paths(root: Path, *, limit: int = 500_000) -> frozenset[str]:
    """Every file under `root` (symlinks included, none followed; `.git` skipped, but not the
    directories the walk never enters: a PR's migration may hide there) whose path is not UTF-8, as
    the workspace walk names it (surrogate escapes).

    GitHub's list of a PR's files cannot name these (its names are text), so a change set built from
    it adds them: what cannot be compared is judged as changed. At most `limit` entries are looked at."""
    found: set[str] = set()
    seen = 0
    stack: list[bytes] = [b""]
    top = os.fsencode(root)
    while stack and seen < limit:
        rel_dir = stack.pop()
        try:
            entries = list(os.scandir(os.path.join(top, rel_dir) if rel_dir else top))
        except OSError:
            continue
        for entry in entries:
            seen += 1
            rel = os.path.join(rel_dir, entry.name) if rel_dir else entry.name
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                continue
            if is_dir:
                if entry.name != b".git":
                    stack.append(rel)
                continue
            try:
                rel.decode("utf-8")
            except UnicodeDecodeError:
                found.add(rel.decode("utf-8", "surrogateescape"))
    return frozenset(found)


def _names(out: bytes) -> list[str]:
    return [p for p in out.decode("utf-8", "surrogateescape").split("\0") if p]


def git_changes(root: Path, base: str, *, stop: Path | None = None, worktree: bool = True) -> ChangeSet:
    """Changes from the merge base of `base` and HEAD to HEAD, and (with `worktree`) on to the files
    on disk, committed or not. `stop` bounds the search for the repository (the action's workspace)."""
    repo = GitRepo.find(root, stop=stop)
    base_sha = repo.commit(base)
    head_sha = repo.commit("HEAD")
    point = repo.merge_base(base_sha, head_sha) or base_sha  # shallow clone: the base commit itself
    args = ["diff-tree", "-r", "-z", "--no-renames", "--name-status", "--no-ext-diff", "--no-textconv"]
    if repo.prefix:
        args.append(f"--relative={repo.prefix}")
    parts = _names(repo.run(*args, point, head_sha))
    files: set[str] = set()
    deleted: set[str] = set()
    new: set[str] = set()
    for status, path in zip(parts[0::2], parts[1::2], strict=False):
        (deleted if status.startswith("D") else files).add(path)
        if status.startswith("A"):
            new.add(path)
    if worktree:
        added, modified, removed = worktree_changes(repo, head_sha)
        files |= added | modified
        files -= removed
        deleted = (deleted - added - modified) | removed
    return ChangeSet(base=base, files=frozenset(files), deleted=frozenset(deleted), source="git",
                     base_sha=point, repo=repo, base_commit=base_sha, added=frozenset(new))


def base_text(changes: ChangeSet, rel: str, *, limit: int) -> str | None:
    """The file `rel` as it is at the base; None when it does not exist there (or is not a regular file)."""
    if changes.repo is None or changes.base_sha is None or rel in changes.added:
        return None
    data = changes.repo.read_file(changes.base_sha, rel, limit=limit)
    return None if data is None else data.decode("utf-8", "replace")


# the working tree ---------------------------------------------------------------------------------

_INDEX_ENTRY = re.compile(
    rb"(?P<tag>[^ \0\n]+) (?P<mode>\d+) (?P<sha>[0-9a-f]+) (?P<stage>\d)\t(?P<path>[^\0]*)\0"
    rb"[ \t]*ctime: \d+:\d+\n[ \t]*mtime: (?P<sec>\d+):(?P<nsec>\d+)\n[ \t]*dev: \d+\tino: (?P<ino>\d+)\n"
    rb"[ \t]*uid: \d+\tgid: \d+\n[ \t]*size: (?P<size>\d+)\tflags: [0-9a-f]+\n")
"""One record of `git ls-files -z -t -s --debug`: the index's own data, read without a refresh."""


def _index_entries(repo: GitRepo) -> list[tuple[bytes, bytes, bytes, bytes, bytes, bytes, bytes, bytes, bytes]]:
    """The index's records under the checked directory (`ls-files --debug`: no refresh, no filter, no
    attribute), one per path (an unmerged path's first), as raw groups: (tag, mode, sha, stage, full
    path, mtime s, mtime ns, inode, size). Left as bytes: most records are only compared with a stat."""
    args = ["ls-files", "-z", "-t", "-s", "--debug", "--full-name"]
    if repo.prefix:
        args += ["--", repo.prefix]
    records: list[tuple[bytes, bytes, bytes, bytes, bytes, bytes, bytes, bytes, bytes]] = []
    unmerged: set[bytes] = set()
    for record in _INDEX_ENTRY.findall(repo.run(*args)):
        if record[3] != b"0":
            if record[4] in unmerged:
                continue  # an unmerged path: one record is enough to call it changed
            unmerged.add(record[4])
        records.append(record)
    return records


def hash_blob(data: bytes, sha_len: int = 40) -> str:
    """The git object name of a blob holding `data` (SHA-1, or SHA-256 repositories)."""
    h = hashlib.sha1(usedforsecurity=False) if sha_len == 40 else hashlib.sha256()
    h.update(b"blob %d\0" % len(data))
    h.update(data)
    return h.hexdigest()


def _disk_blob(path: str, st: os.stat_result, sha_len: int) -> str | None:
    """The blob name of a file on disk, read raw (no filter); None when it is not a file or a link."""
    if stat.S_ISLNK(st.st_mode):
        try:
            return hash_blob(os.fsencode(os.readlink(path)), sha_len)
        except OSError:
            return None
    if not stat.S_ISREG(st.st_mode):
        return None
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        h = hashlib.sha1(usedforsecurity=False) if sha_len == 40 else hashlib.sha256()
        size = os.fstat(fd).st_size
        h.update(b"blob %d\0" % size)
        got = 0
        while chunk := os.read(fd, 1 << 20):
            got += len(chunk)
            h.update(chunk)
    except OSError:
        return None
    finally:
        os.close(fd)
    return h.hexdigest() if got == size else "0" * sha_len  # changed while read: not the committed content


def worktree_changes(repo: GitRepo, head: str) -> tuple[set[str], set[str], set[str]]:
    """(added, modified, removed) between HEAD and the files on disk, paths relative to `root`.

    Staged changes come from git comparing the index with HEAD's tree (object names only). A file
    whose stat matches its index record is taken as the index has it (git's own shortcut, racily
    clean records excepted); any other is hashed here from its raw bytes, so no filter, textconv or
    attribute is involved. Untracked files are those git lists as untracked (not ignored)."""
    cut = len(repo.prefix)
    added: set[str] = set()
    modified: set[str] = set()
    removed: set[str] = set()
    args = ["diff-index", "--cached", "-r", "-z", "--no-renames", "--name-status", "--no-ext-diff", "--no-textconv"]
    if repo.prefix:
        args.append(f"--relative={repo.prefix}")
    parts = _names(repo.run(*args, head))
    for status, path in zip(parts[0::2], parts[1::2], strict=False):
        (removed if status.startswith("D") else added if status.startswith("A") else modified).add(path)
    sha_len = len(head) if len(head) in (40, 64) else 40
    try:
        racy_after = os.stat(repo.git_dir / "index").st_mtime_ns
    except OSError:
        racy_after = 0
    top = os.fsencode(repo.work_tree) + b"/"
    prefix = os.fsencode(repo.prefix)
    bcut = len(prefix)

    def decoded(raw: bytes) -> str:
        return raw.decode("utf-8", "surrogateescape")

    for tag, mode, sha, stage, full, sec, nsec, ino, size in _index_entries(repo):
        if mode == b"160000" or not full.startswith(prefix) or tag == b"S":  # submodule; sparse: not on disk
            continue
        try:
            st = os.lstat(top + full)
        except OSError:
            rel = decoded(full[bcut:])
            if rel in added:
                added.discard(rel)  # staged, then deleted: nothing against HEAD
            else:
                removed.add(rel)
            continue
        if stage != b"0":
            modified.add(decoded(full[bcut:]))
            continue
        mtime_s, mtime_ns = divmod(st.st_mtime_ns, 1_000_000_000)
        clean = (mtime_s & 0xFFFFFFFF == int(sec) and mtime_ns == int(nsec) and st.st_size & 0xFFFFFFFF == int(size)
                 and (not int(ino) or st.st_ino & 0xFFFFFFFF == int(ino))
                 and int(sec) * 1_000_000_000 + int(nsec) < racy_after)
        if not clean:
            rel = decoded(full[bcut:])
            if _disk_blob(decoded(top + full), st, sha_len) != sha.decode() and rel not in added:
                modified.add(rel)
    untracked = ["ls-files", "-z", "--others", "--exclude-standard", "--full-name"]
    if repo.prefix:
        untracked += ["--", repo.prefix]
    for name in _names(repo.run(*untracked)):
        removed.discard(name[cut:])
        added.add(name[cut:])
    return added, modified, removed
