"""Which files a pull request changes, and what the base branch holds, through git run safely
(`readiness.workspace.git`): commits are compared as trees, the working tree is hashed by us.

Never needs full history: when the base commit is not in a shallow clone the caller falls back to
the API's list of PR files.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from readiness.workspace.git import GitRepo, GitUnavailable, TreeEntry, parse_ls_tree

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

    def touched(self, path: str) -> bool:
        """True when the PR adds or changes `path`."""
        return path in self.files


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
    for status, path in zip(parts[0::2], parts[1::2], strict=False):
        (deleted if status.startswith("D") else files).add(path)
    if worktree:
        added, modified, removed = worktree_changes(repo, head_sha, Path(os.path.realpath(root)))
        files |= added | modified
        files -= removed
        deleted = (deleted - added - modified) | removed
    return ChangeSet(base=base, files=frozenset(files), deleted=frozenset(deleted), source="git",
                     base_sha=point, repo=repo, base_commit=base_sha)


def base_text(changes: ChangeSet, rel: str, *, limit: int) -> str | None:
    """The file `rel` as it is at the base; None when it does not exist there (or is not a regular file)."""
    if changes.repo is None or changes.base_sha is None:
        return None
    data = changes.repo.read_file(changes.base_sha, rel, limit=limit)
    return None if data is None else data.decode("utf-8", "replace")


# the working tree ---------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _IndexEntry:
    sha: str
    mode: str
    stage: str
    tag: str
    mtime: tuple[int, int]
    size: int
    ino: int


def _index_entries(repo: GitRepo) -> dict[str, _IndexEntry]:
    """The index's own records under the checked directory (`ls-files --debug`: no refresh, no filter)."""
    args = ["ls-files", "-z", "-t", "-s", "--debug", "--full-name"]
    if repo.prefix:
        args += ["--", repo.prefix]
    out = repo.run(*args)
    entries: dict[str, _IndexEntry] = {}
    pos, n = 0, len(out)
    while pos < n:
        end = out.find(b"\0", pos)
        if end < 0:
            break
        head, _, path = out[pos:end].partition(b"\t")
        pos = end + 1
        fields: dict[bytes, bytes] = {}
        for _ in range(5):  # ctime, mtime, dev/ino, uid/gid, size/flags
            nl = out.find(b"\n", pos)
            if nl < 0:
                nl = n
            for item in out[pos:nl].split(b"\t"):
                key, _, value = item.strip().partition(b": ")
                fields[key] = value
            pos = nl + 1
        meta = head.split()
        if len(meta) < 4:
            continue
        secs, _, nsecs = fields.get(b"mtime", b"0:0").partition(b":")
        try:
            entry = _IndexEntry(tag=meta[0].decode("ascii", "replace"), mode=meta[1].decode("ascii", "replace"),
                                sha=meta[2].decode("ascii", "replace"), stage=meta[3].decode("ascii", "replace"),
                                mtime=(int(secs), int(nsecs or b"0")), size=int(fields.get(b"size", b"0")),
                                ino=int(fields.get(b"ino", b"0")))
        except ValueError:
            continue
        rel = path.decode("utf-8", "surrogateescape")
        previous = entries.get(rel)
        if previous is None or entry.stage != "0":
            entries[rel] = entry
    return entries


def hash_blob(data: bytes, sha_len: int = 40) -> str:
    """The git object name of a blob holding `data` (SHA-1, or SHA-256 repositories)."""
    h = hashlib.sha1(usedforsecurity=False) if sha_len == 40 else hashlib.sha256()
    h.update(b"blob %d\0" % len(data))
    h.update(data)
    return h.hexdigest()


def _disk_blob(path: str, sha_len: int) -> tuple[str, str] | None:
    """(mode, blob name) of a file on disk, read raw (no filter); None when it is not a file or a link."""
    try:
        st = os.lstat(path)
        if stat.S_ISLNK(st.st_mode):
            return "120000", hash_blob(os.fsencode(os.readlink(path)), sha_len)
        if not stat.S_ISREG(st.st_mode):
            return None
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        h = hashlib.sha1(usedforsecurity=False) if sha_len == 40 else hashlib.sha256()
        size = os.fstat(fd).st_size
        h.update(b"blob %d\0" % size)
        got = 0
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            got += len(chunk)
            h.update(chunk)
        if got != size:  # changed while read: certainly not the committed content
            return "100644", "0" * sha_len
    except OSError:
        return None
    finally:
        os.close(fd)
    mode = "100755" if st.st_mode & 0o111 else "100644"
    return mode, h.hexdigest()


def _stat_clean(st: os.stat_result, entry: _IndexEntry, racy_after: tuple[int, int]) -> bool:
    """True when the file's stat matches the index record (git's own shortcut), and the record is not racy."""
    mtime = (st.st_mtime_ns // 1_000_000_000, st.st_mtime_ns % 1_000_000_000)
    if (mtime[0] & 0xFFFFFFFF, mtime[1]) != entry.mtime or (st.st_size & 0xFFFFFFFF) != entry.size:
        return False
    if entry.ino and (st.st_ino & 0xFFFFFFFF) != entry.ino:
        return False
    return entry.mtime < racy_after


def worktree_changes(repo: GitRepo, head: str, root: Path,
                     listed: Iterable[str] | None = None) -> tuple[set[str], set[str], set[str]]:
    """(added, modified, removed) between HEAD and the files on disk, paths relative to `root`.

    A file whose stat matches the index record is taken at the index's object name (staged changes
    count); any other is hashed here from its raw bytes, so no filter or attribute is involved."""
    from readiness.workspace import Workspace

    args = ["ls-tree", "-r", "-z", "-l", "--full-tree", head]
    if repo.prefix:
        args += ["--", repo.prefix]
    head_tree: dict[str, TreeEntry] = {e.path: e for e in parse_ls_tree(repo.run(*args))
                                       if e.kind == "blob" and e.path.startswith(repo.prefix)}
    index = _index_entries(repo)
    sha_len = len(head) if len(head) in (40, 64) else 40
    try:
        ist = os.stat(repo.git_dir / "index")
        racy_after = (ist.st_mtime_ns // 1_000_000_000, ist.st_mtime_ns % 1_000_000_000)
    except OSError:
        racy_after = (0, 0)
    top = str(repo.work_tree)
    cut = len(repo.prefix)
    added: set[str] = set()
    modified: set[str] = set()
    removed: set[str] = set()
    seen: set[str] = set()

    def on_disk(full: str) -> tuple[str, str] | None:
        return _disk_blob(f"{top}/{full}", sha_len)

    for full, entry in index.items():
        if entry.mode == "160000" or not full.startswith(repo.prefix):
            continue
        seen.add(full)
        rel = full[cut:]
        committed = head_tree.get(full)
        if entry.tag == "S":  # sparse checkout: not on disk on purpose
            if committed is None or committed.sha != entry.sha:
                modified.add(rel)
            continue
        try:
            st = os.lstat(f"{top}/{full}")
        except OSError:
            st = None
        if st is None:
            if committed is not None:
                removed.add(rel)
            continue
        if entry.stage == "0" and _stat_clean(st, entry, racy_after):
            current: tuple[str, str] | None = (entry.mode, entry.sha)
        else:
            current = on_disk(full)
        if current is None:
            if committed is not None:
                removed.add(rel)
        elif committed is None:
            added.add(rel)
        elif current[1] != committed.sha:
            modified.add(rel)
    for full, committed in head_tree.items():
        if full in seen:
            continue
        rel = full[cut:]
        current = on_disk(full)
        if current is None:
            removed.add(rel)
        elif current[1] != committed.sha:
            modified.add(rel)
        seen.add(full)
    names = listed if listed is not None else Workspace(root).files()
    for rel in names:
        if repo.prefix + rel not in seen:
            added.add(rel)
    return added, modified, removed
