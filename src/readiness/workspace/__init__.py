"""Safe access to the repository under check, which is untrusted input.

* Files are listed by walking the tree without following symlinks; `.git` is skipped.
* Nothing under `.git/` is ever read, by name or through a link, and no link is followed into a
  directory the walk skips (`node_modules/`, an excluded path): a link there is refused like one
  that leaves the repository.
* A read refuses symlinks whose target leaves the repository, non-regular files, files over the
  size cap, binary (NUL-bearing) files and text that is not UTF-8; each refusal is a
  `FileProblem` value that a gate turns into a finding.
* Globs are matched against repository-relative `/` paths (`**` crosses directories).
* Every text read is shown to the view's `ReadObserver`, if any (the engine's per-gate read log,
  which finds inline waivers); the workspace itself keeps no record of what was read.
"""

from __future__ import annotations

import fnmatch
import os
import posixpath
import stat
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from copy import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, Self

from readiness.workspace.globs import GlobMatcher as GlobMatcher
from readiness.workspace.globs import GlobSet as GlobSet
from readiness.workspace.globs import escape_glob as escape_glob
from readiness.workspace.globs import glob_regex as glob_regex
from readiness.workspace.globs import glob_set as glob_set
from readiness.workspace.globs import matches as matches
from readiness.workspace.globs import select

SKIP_DIRS = frozenset({".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__", ".tox",
                       ".mypy_cache", ".ruff_cache", ".pytest_cache"})
MAX_LISTED_FILES = 500_000
DEFAULT_EXCLUDE_DIRS = frozenset({"vendor", "third_party", "third-party", "thirdparty", "testdata", "stub", "stubs",
                                  "bower_components", "jspm_packages", "site-packages", "godeps"})
"""Directory names that hold vendored code or other projects' test data: skipped by every gate unless
the configuration's `include` names them (the report lists what was skipped). `node_modules` is in
SKIP_DIRS: never read."""
LISTING_SECONDS = 15.0
"""The repository listing (which applies the policy's `exclude` and `include` globs to every path)
stops here, like at MAX_LISTED_FILES: the files past it were not judged, and every gate fails closed.
The listing runs before the gates' watchdog, so this is its time limit."""
MAX_SKIPPED_LISTED = 200
MAX_LINK_HOPS = 40
"""Links followed one by one in a symlink chain (as the kernel's limit), for `Workspace.link_paths`."""
DEFAULT_MAX_FILE_BYTES = 2 * 1024 * 1024
"""Files larger than this are reported, not read (`max_file_bytes` in `.readiness.yml` changes it)."""


@dataclass(frozen=True, slots=True)
class FileProblem(Exception):
    """A file that cannot be read safely; `reason` is plain words for the report."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


class ReadObserver(Protocol):
    """Shown every text a workspace view reads (the engine's per-gate read log)."""

    def record(self, rel: str, text: str) -> None:
        """`rel` was read as `text`."""
        ...

    def fork(self) -> Self:
        """An empty observer of the same kind, for reads made in a forked child."""
        ...

    def merge(self, other: Self) -> None:
        """Take in what a forked child's observer recorded, as if recorded here."""
        ...


_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


class Workspace:
    """The repository under check."""

    def __init__(self, root: Path, *, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
                 exclude: Sequence[str] = (), include: Sequence[str] = ()) -> None:
        self.include = tuple(include)
        """Globs of directories to walk although DEFAULT_EXCLUDE_DIRS names them (`vendor/`, `**`)."""
        self.skipped: list[str] = []
        """Directories skipped as DEFAULT_EXCLUDE_DIRS (`a/vendor/`), the first MAX_SKIPPED_LISTED."""
        self.skipped_count = 0
        """How many directories were skipped so (the list may be cut)."""
        self.root = root.resolve()
        self._root_str = str(self.root).rstrip("/")
        self.max_file_bytes = max_file_bytes
        self.exclude = tuple(exclude)
        self._exclude = glob_set(self.exclude)
        self._include = glob_set(self.include)
        self._files: list[str] | None = None
        self._file_set: frozenset[str] = frozenset()
        self._dirs: frozenset[str] = frozenset()
        self._symlinks: dict[str, str] = {}
        self._special: set[str] = set()
        self.truncated = False
        self.out_of_time = False
        """The listing stopped at LISTING_SECONDS (then `truncated` is true too)."""
        self._observer: ReadObserver | None = None

    def observed(self, observer: ReadObserver) -> Workspace:
        """A view of this workspace that shows every text it reads to `observer`.

        The view shares the listing, which is made here first (once, for every view)."""
        self.files()
        view = copy(self)
        view._observer = observer
        return view

    @contextmanager
    def forked_reads(self) -> Iterator[ReadObserver | None]:
        """Within the block, reads go to a fresh observer, which the block yields (None when this view
        has none): a forked child sends it back, and the parent passes it to `merge_reads`."""
        outer = self._observer
        if outer is None:
            yield None
            return
        self._observer = inner = outer.fork()
        try:
            yield inner
        finally:
            self._observer = outer

    def merge_reads(self, reads: ReadObserver | None) -> None:
        """What `forked_reads` yielded in a child, recorded as if read through this view."""
        if reads is not None and self._observer is not None:
            self._observer.merge(reads)

    # listing ----------------------------------------------------------------------------
    def files(self) -> list[str]:
        """Every file path (regular files and symlinks), sorted, repository-relative."""
        if self._files is None:
            found: list[str] = []
            stack = [""]
            deadline = time.monotonic() + LISTING_SECONDS
            while stack:
                if time.monotonic() > deadline:
                    self.truncated = self.out_of_time = True
                    break
                rel_dir = stack.pop()
                try:
                    entries = list(os.scandir(self.root / rel_dir if rel_dir else self.root))
                except OSError:
                    continue
                for n, entry in enumerate(entries, 1):
                    if not n % 256 and time.monotonic() > deadline:
                        self.truncated = self.out_of_time = True
                        stack.clear()
                        break
                    if entry.name == ".git":  # a directory, a worktree's `gitdir:` file or a link: never listed
                        continue
                    rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
                    try:  # the directory entry's type: no stat() per file where the filesystem says
                        is_dir = entry.is_dir(follow_symlinks=False)
                        is_link = not is_dir and entry.is_symlink()
                        is_reg = not is_dir and not is_link and entry.is_file(follow_symlinks=False)
                        target = os.readlink(entry.path) if is_link else ""
                    except OSError:
                        continue
                    if is_dir:
                        if entry.name not in SKIP_DIRS and not self._exclude.match(rel + "/") \
                                and not self._default_excluded(entry.name, rel):
                            stack.append(rel)
                        continue
                    if self.exclude and self._exclude.match(rel):
                        continue
                    if is_link:
                        self._symlinks[rel] = target
                    elif not is_reg:
                        self._special.add(rel)
                    found.append(rel)
                    if len(found) >= MAX_LISTED_FILES:
                        self.truncated = True
                        stack.clear()
                        break
            found.sort()
            self._files = found
            self._file_set = frozenset(found)
            self._dirs = frozenset(f.rsplit("/", i)[0] for f in found for i in range(1, f.count("/") + 1))
        return self._files

    def _default_excluded(self, name: str, rel: str) -> bool:
        """A DEFAULT_EXCLUDE_DIRS directory that `include` does not name: recorded and skipped."""
        if name.lower() not in DEFAULT_EXCLUDE_DIRS or (
                self.include and (self._include.match(rel + "/") or self._include.match(rel))):
            return False
        self.skipped_count += 1
        if len(self.skipped) < MAX_SKIPPED_LISTED:
            self.skipped.append(rel + "/")
        return True

    def glob(self, patterns: str | Iterable[str]) -> list[str]:
        """Files matching any of the globs, sorted."""
        return select(self.files(), (patterns,) if isinstance(patterns, str) else tuple(patterns))

    def exists(self, rel: str) -> bool:
        """A listed file, or a directory holding at least one listed file."""
        rel = normalize_rel(rel).strip("/")
        self.files()
        return rel in self._file_set or rel in self._dirs

    def is_symlink(self, rel: str) -> bool:
        """True for a listed symlink."""
        self.files()
        return rel in self._symlinks

    def link_paths(self) -> dict[str, tuple[str, ...]]:
        """Every listed symlink that stays in the repository -> the repository paths reading it goes
        through: each link of its chain, then the file it ends at (at most MAX_LINK_HOPS links).

        A PR that edits only the target changes what the link reads, so a change set counts the link
        as changed too (`ChangeSet.with_links`)."""
        self.files()
        out: dict[str, tuple[str, ...]] = {}
        for rel in self._symlinks:
            chain: list[str] = []
            cur = rel
            for _ in range(MAX_LINK_HOPS):
                target = self._symlinks.get(cur)
                if target is None:
                    break
                nxt = posixpath.normpath(posixpath.join(posixpath.dirname(cur), target))
                if posixpath.isabs(nxt) or nxt == ".." or nxt.startswith("../"):
                    break
                chain.append(nxt)
                cur = nxt
            try:
                real = self._resolved(rel)
            except FileProblem:
                real = None
            if real is not None and real != self.root:
                chain.append(real.relative_to(self.root).as_posix())
            if chain:
                out[rel] = tuple(dict.fromkeys(chain))
        return out

    # reading ----------------------------------------------------------------------------
    def inside(self, rel: str) -> Path:
        """The absolute path of `rel` after resolving links; FileProblem when it leaves the repo."""
        return Path(self._real(rel))

    def _real(self, rel: str) -> str:
        """`inside` as a string: the read path skips pathlib for files our own walk listed."""
        if "\x00" in rel:
            raise FileProblem(rel, "path contains a NUL byte")
        if self._files is not None and rel in self._file_set and rel not in self._symlinks:
            return self._listed(rel)
        return str(self._resolved(rel))

    def _listed(self, rel: str) -> str:
        """The absolute path of a file our own walk listed (and which is not a symlink) as a string.

        The walk never enters a symlinked directory, so no component of this path is a link: it is
        inside without a realpath() per component (and without pathlib's cost per join)."""
        return f"{self._root_str}/{rel}"

    def _resolved(self, rel: str) -> Path:
        candidate = self.root / rel
        try:
            real = Path(os.path.realpath(candidate))
        except (OSError, ValueError):
            raise FileProblem(rel, "path cannot be resolved") from None
        if real != self.root and self.root not in real.parents:
            target = self._symlinks.get(rel)
            detail = "symlink" if target is not None or candidate.is_symlink() else "path"
            raise FileProblem(rel, f"{detail} points outside the repository; not followed")
        inner = real.relative_to(self.root).as_posix() if real != self.root else ""
        parts = inner.split("/") if inner else []
        if any(p.lower() == ".git" for p in parts):
            raise FileProblem(rel, "path leads into .git/, which is never read")
        if inner != posixpath.normpath(normalize_rel(rel)).strip("/."):  # a link was followed on the way
            if any(p in SKIP_DIRS for p in parts) or (self.exclude and self._exclude.match(inner)):
                raise FileProblem(rel, "symlink points into a directory that is never read; not followed")
        return real

    def size(self, rel: str) -> int:
        """A listed regular file's size in bytes (0 when unknown); a hint for sharing out work, never a check."""
        if rel not in self._file_set or rel in self._symlinks:
            return 0
        try:
            return os.stat(self._listed(rel)).st_size
        except OSError:
            return 0

    def read_bytes(self, rel: str, *, limit: int | None = None) -> bytes:
        """The file's bytes; FileProblem for escapes, special files and files over the cap."""
        real = self._real(rel)
        cap = limit or self.max_file_bytes
        # Opened first and checked through the descriptor (no window between the check and the
        # read); O_NONBLOCK so that a FIFO planted in the PR cannot block the open.
        try:
            fd = os.open(real, _READ_FLAGS)
        except FileNotFoundError:
            raise FileProblem(rel, "file does not exist (or is a dangling symlink)") from None
        except OSError as exc:
            raise FileProblem(rel, f"cannot open file: {exc.strerror}") from None
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise FileProblem(rel, "not a regular file; not read")
            if st.st_size > cap:
                raise FileProblem(rel, f"file is {st.st_size:,} bytes, over the {cap:,}-byte limit; not read")
            chunks = [os.read(fd, min(cap + 1, st.st_size + 1))]
            got = len(chunks[0])
            while chunks[-1] and got <= cap:
                chunks.append(os.read(fd, cap + 1 - got))
                got += len(chunks[-1])
        except OSError as exc:
            raise FileProblem(rel, f"cannot read file: {exc.strerror}") from None
        finally:
            os.close(fd)
        if got > cap:
            raise FileProblem(rel, f"file grew over the {cap:,}-byte limit while read; not read")
        return chunks[0] if len(chunks) <= 2 else b"".join(chunks)

    def read_head(self, rel: str, size: int) -> bytes:
        """At most the first `size` bytes of a file, whatever its size (to tell its format); the same
        refusals as read_bytes (escapes, links into never-read directories, special files)."""
        real = self._real(rel)
        try:
            fd = os.open(real, _READ_FLAGS)
        except OSError as exc:
            raise FileProblem(rel, f"cannot open file: {exc.strerror}") from None
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise FileProblem(rel, "not a regular file; not read")
            return os.read(fd, size)
        except OSError as exc:
            raise FileProblem(rel, f"cannot read file: {exc.strerror}") from None
        finally:
            os.close(fd)

    def read_text(self, rel: str, *, limit: int | None = None) -> str:
        """The file as UTF-8 text (a BOM is dropped; CRLF kept); FileProblem for binary or other encodings."""
        text = decode_text(rel, self.read_bytes(rel, limit=limit))
        if self._observer is not None:
            self._observer.record(rel, text)
        return text


def decode_text(rel: str, data: bytes) -> str:
    """Decode repository bytes as UTF-8 text, or raise FileProblem saying why not."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileProblem(rel, "file is UTF-16 encoded; only UTF-8 text is read")
    if b"\x00" in data:
        raise FileProblem(rel, "file is binary (contains NUL bytes); not read")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileProblem(rel, f"file is not valid UTF-8 (byte {exc.start}); not read") from None


def normalize_rel(path: str) -> str:
    """A repository-relative path with `/` separators and no leading `./`."""
    return path.replace(os.sep, "/").removeprefix("./")


def fnmatch_any(name: str, patterns: Iterable[str]) -> bool:
    """Plain fnmatch on a base name (no directory semantics)."""
    return any(fnmatch.fnmatchcase(name, p) for p in patterns)
