"""git, run so that nothing in the repository under check can configure it, run code through it or
mislead it.

The repository is found once, by us, from the directory being checked: the nearest `.git` at or above
it (a directory, or a `gitdir:` file as git worktrees and submodules use), never above `stop` (the
action's workspace) and never a bare-looking directory, so a PR that commits a repository skeleton
(`HEAD`, `config`, `objects/`) under a monorepo `path:` is just files. A `.git` that is a symlink is
refused. Every call then names the repository explicitly (`--git-dir`, `--work-tree`), from a clean
environment (no system or global configuration, no inherited `GIT_*` variable, no replace refs, no
transport at all, `GIT_CEILING_DIRECTORIES`), with `-c` overrides for every key that makes git run a
program or write outside the repository (fsmonitor, hooks, pager, credential helpers).

And we only ever ask git for things that never run a configured program: object names
(`rev-parse`, `merge-base`), trees compared with trees (`diff-tree`, `ls-tree`), raw blobs
(`cat-file blob`) and the index's own records (`ls-files --debug`). Working-tree files are hashed by
us, without filters, so no clean/smudge filter, textconv, external diff or attribute in the PR's
`.gitattributes` is ever consulted.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

GIT_TIMEOUT = 30
"""Seconds any one git call may take."""
OUTPUT_LIMIT = 512 * 1024 * 1024
"""Bytes of output any one git call may produce."""
_GITFILE_MAX = 4096

_OVERRIDES = (
    "core.fsmonitor=false",
    "core.hooksPath=/dev/null",
    "core.quotePath=false",
    "core.attributesFile=/dev/null",
    "core.untrackedCache=false",
    "core.pager=cat",
    "core.askPass=",
    "core.sshCommand=false",
    "credential.helper=",
    "protocol.allow=never",
    "safe.bareRepository=explicit",
    "gc.auto=0",
    "maintenance.auto=false",
    "log.showSignature=false",
    "color.ui=false",
)
"""Configuration that wins over the repository's own `.git/config` (and anything it includes)."""

_KEEP_ENV = ("PATH", "TMPDIR", "SYSTEMROOT")


class GitUnavailable(Exception):
    """git could not answer; the message says why in plain words."""


class GitFailed(GitUnavailable):
    """git ran and said no (exit status not 0)."""


def _clean_stderr(data: bytes) -> str:
    lines = [ln for ln in data.decode("utf-8", "replace").splitlines() if ln.strip()]
    last = lines[-1] if lines else ""
    last = re.sub(r"[\x00-\x1f\x7f-\x9f]", "?", last)
    return last[:200]


@dataclass(frozen=True, slots=True)
class GitRepo:
    """A repository found by `find`, and the one way this tool runs git in it."""

    git_dir: Path
    """The repository's git directory (absolute)."""
    work_tree: Path
    """Its work tree (absolute, real path)."""
    prefix: str
    """The checked directory relative to the work tree: '' or 'sub/dir/'."""

    @classmethod
    def find(cls, root: Path, *, stop: Path | None = None) -> GitRepo:
        """The repository holding `root`: the nearest `.git` at or above it, not above `stop`.

        GitUnavailable when there is none, when `.git` is a symlink or not a git directory."""
        start = Path(os.path.realpath(root))
        limit = Path(os.path.realpath(stop)) if stop is not None else None
        here = start
        while True:
            dot = here / ".git"
            try:
                st = os.lstat(dot)
            except OSError:
                st = None
            if st is not None:
                git_dir = _git_dir_of(dot, st)
                prefix = start.relative_to(here).as_posix()
                return cls(git_dir=git_dir, work_tree=here, prefix="" if prefix == "." else prefix + "/")
            if here == limit or here.parent == here:
                where = f"at or above {root}" if limit is None else f"between {root} and {stop}"
                raise GitUnavailable(f"no git repository {where}")
            here = here.parent

    # running ---------------------------------------------------------------------------
    def env(self) -> dict[str, str]:
        """The environment of every git call: nothing inherited that git would read."""
        env = {k: os.environ[k] for k in _KEEP_ENV if k in os.environ}
        env.setdefault("PATH", "/usr/bin:/bin")
        env.update({
            "HOME": "/nonexistent",
            "XDG_CONFIG_HOME": "/nonexistent",
            "LC_ALL": "C",
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_ATTR_NOSYSTEM": "1",
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_NO_REPLACE_OBJECTS": "1",
            "GIT_OPTIONAL_LOCKS": "0",
            "GIT_NO_LAZY_FETCH": "1",
            "GIT_ALLOW_PROTOCOL": "none",
            "GIT_PAGER": "cat",
            "PAGER": "cat",
            "GIT_LITERAL_PATHSPECS": "1",
            "GIT_CEILING_DIRECTORIES": str(self.work_tree.parent),
        })
        return env

    def argv(self, *args: str) -> list[str]:
        """The full command line for `git <args>`."""
        argv = ["git", "--no-pager", f"--git-dir={self.git_dir}", f"--work-tree={self.work_tree}"]
        for item in (*_OVERRIDES, f"safe.directory={self.work_tree}"):
            argv += ["-c", item]
        return [*argv, *args]

    def run(self, *args: str, limit: int = OUTPUT_LIMIT, stdin: bytes | None = None) -> bytes:
        """stdout of `git <args>`; GitUnavailable on any failure, timeout or oversized output."""
        import subprocess  # only runs that diff need it (~9 ms of start-up otherwise)

        try:
            proc = subprocess.run(self.argv(*args), cwd=self.work_tree, env=self.env(), capture_output=True,
                                  timeout=GIT_TIMEOUT, check=False, input=stdin,
                                  stdin=None if stdin is not None else subprocess.DEVNULL)
        except FileNotFoundError:
            raise GitUnavailable("git is not installed") from None
        except subprocess.TimeoutExpired:
            raise GitUnavailable(f"git {args[0]} timed out after {GIT_TIMEOUT} s") from None
        except OSError as exc:
            raise GitUnavailable(f"git cannot run: {exc.strerror}") from None
        if proc.returncode != 0:
            raise GitFailed(_clean_stderr(proc.stderr) or f"git {args[0]} failed ({proc.returncode})")
        if len(proc.stdout) > limit:
            raise GitUnavailable(f"git {args[0]}: output over the {limit:,}-byte limit")
        return proc.stdout

    # questions -------------------------------------------------------------------------
    def commit(self, rev: str) -> str:
        """The commit `rev` names (a sha, a branch, `HEAD~1`); GitUnavailable when none."""
        try:
            out = self.run("rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}")
        except GitFailed:
            out = b""
        sha = out.decode("ascii", "replace").strip()
        if not re.fullmatch(r"[0-9a-f]{40}(?:[0-9a-f]{24})?", sha):
            raise GitUnavailable(f"{rev!r} is not a commit in this clone{self._missing_hint(rev)}")
        return sha

    def _missing_hint(self, rev: str) -> str:
        """Why `rev` may be missing, and what fetches it: a shallow clone (how deep, which `fetch-depth`),
        or a branch that exists only as a remote-tracking one."""
        try:
            shallow = self.run("rev-parse", "--is-shallow-repository").strip() == b"true"
            depth = int(self.run("rev-list", "--count", "HEAD").strip() or b"0") if shallow else 0
        except (GitUnavailable, ValueError):
            return ""
        back = re.fullmatch(r"(?:HEAD|@)?~(\d*)|(?:HEAD|@)(\^+)", rev)
        if shallow and back is not None:
            steps = int(back.group(1) or 1) if back.group(2) is None else len(back.group(2))
            return (f": this is a shallow clone with {depth} commit{'s' if depth != 1 else ''} of history and "
                    f"{rev} is {steps} back; fetch at least {steps + 1} (actions/checkout with "
                    f"`fetch-depth: {steps + 1}`, or `git fetch --deepen={steps + 1 - depth}`)")
        if shallow:
            branch = rev.removeprefix("origin/")
            fetch = (f"`git fetch --no-tags --depth=1 origin {branch}:refs/remotes/origin/{branch}`"
                     if rev.startswith("origin/") else f"`git fetch --no-tags --depth=1 origin {rev}`")
            return (f": this is a shallow clone ({depth} commit{'s' if depth != 1 else ''} of history, only what was "
                    "checked out), so the base is not in it; check out with actions/checkout `fetch-depth: 0` "
                    f"(full history, every branch), or fetch the base alone: {fetch}")
        try:
            remote = self.run("rev-parse", "--verify", "--quiet", "--end-of-options",
                              f"refs/remotes/origin/{rev}^{{commit}}").strip()
        except GitUnavailable:
            remote = b""
        if remote:
            return f"; did you mean origin/{rev}? (the branch exists here only as a remote-tracking branch)"
        return " (no branch, tag or commit of that name; `git branch -a` lists the branches)"

    def merge_base(self, a: str, b: str) -> str | None:
        """The best common ancestor, or None (shallow clone, unrelated histories)."""
        try:
            out = self.run("merge-base", a, b).decode("ascii", "replace").strip()
        except GitFailed:
            return None
        return out or None

    def tree_entry(self, commit: str, rel: str, *, from_top: bool = False) -> TreeEntry | None:
        """The entry of `rel` (relative to the checked directory, or to the work tree's top with
        `from_top`) at `commit`, or None when absent."""
        path = rel if from_top else self.prefix + rel
        out = self.run("ls-tree", "-z", "-l", "--full-tree", commit, "--", path, limit=1 << 20)
        for entry in parse_ls_tree(out):
            if entry.path == path:
                return entry
        return None

    def blob(self, sha: str, *, limit: int) -> bytes:
        """A blob's raw bytes (never filtered, never converted)."""
        if not re.fullmatch(r"[0-9a-f]{40}(?:[0-9a-f]{24})?", sha):
            raise GitUnavailable("not an object name")
        return self.run("cat-file", "blob", sha, limit=limit)

    def read_file(self, commit: str, rel: str, *, limit: int, from_top: bool = False) -> bytes | None:
        """The bytes of regular file `rel` at `commit`; None when absent or not a regular file there.

        GitUnavailable when it is over `limit` bytes or git cannot answer."""
        entry = self.tree_entry(commit, rel, from_top=from_top)
        if entry is None or entry.kind != "blob" or not entry.mode.startswith("100"):
            return None
        if entry.size is not None and entry.size > limit:
            raise GitUnavailable(f"{rel} at {commit[:12]} is {entry.size:,} bytes, over the {limit:,}-byte limit")
        return self.blob(entry.sha, limit=limit)


@dataclass(frozen=True, slots=True)
class TreeEntry:
    """One line of `git ls-tree -l`."""

    mode: str
    """`100644`, `100755`, `120000` (symlink), `160000` (submodule), `040000`."""
    kind: str
    """`blob`, `tree` or `commit`."""
    sha: str
    """Object name."""
    size: int | None
    """Blob size; None for trees and submodules."""
    path: str
    """Path from the top of the work tree."""


def parse_ls_tree(out: bytes) -> list[TreeEntry]:
    """Entries of `ls-tree -z -l` output."""
    entries: list[TreeEntry] = []
    for record in out.split(b"\0"):
        if not record:
            continue
        meta, _, path = record.partition(b"\t")
        parts = meta.split()
        if len(parts) < 3:
            continue
        mode, kind, sha = (p.decode("ascii", "replace") for p in parts[:3])
        size = int(parts[3]) if len(parts) > 3 and parts[3].isdigit() else None
        entries.append(TreeEntry(mode=mode, kind=kind, sha=sha, size=size,
                                 path=path.decode("utf-8", "surrogateescape")))
    return entries


def _git_dir_of(dot: Path, st: os.stat_result) -> Path:
    """The git directory a `.git` entry names."""
    if stat.S_ISLNK(st.st_mode):
        raise GitUnavailable(f"{dot} is a symlink; a repository reached through a symlink is not used")
    if stat.S_ISDIR(st.st_mode):
        git_dir = dot
    elif stat.S_ISREG(st.st_mode):
        try:
            with open(dot, "rb") as fh:
                head = fh.read(_GITFILE_MAX + 1)
        except OSError as exc:
            raise GitUnavailable(f"{dot} cannot be read: {exc.strerror}") from None
        text = head.decode("utf-8", "replace").strip()
        if len(head) > _GITFILE_MAX or not text.startswith("gitdir:") or "\n" in text:
            raise GitUnavailable(f"{dot} is a file but not a `gitdir:` pointer")
        target = Path(text[len("gitdir:"):].strip())
        git_dir = target if target.is_absolute() else dot.parent / target
    else:
        raise GitUnavailable(f"{dot} is neither a directory nor a `gitdir:` file")
    git_dir = Path(os.path.realpath(git_dir))
    if not (git_dir / "HEAD").is_file():
        raise GitUnavailable(f"{dot} does not lead to a git directory (no HEAD)")
    return git_dir
