"""Files the action writes into the workspace (the JSON report, the comment body, the SARIF file).

The workspace is the pull request's checkout, so anything already in it may have been planted: a
committed `.readiness/report.json` saying "pass", or a symlink there pointing at such a file. The
report and the comment go into a directory this run creates itself (`.readiness/`, or a fresh
`.readiness-XXXXXX/` when that name is taken), so no file in it can predate the run; output paths are
built from the name we created, never by resolving a path. A file at a path the workflow chose (the
SARIF file) is written by walking its directories without following any symlink; a symlink at the
file's own name is replaced by our file.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

OUTPUT_DIR = ".readiness"
_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


@dataclass(frozen=True, slots=True)
class OutputDir:
    """A directory this run created."""

    path: Path
    """Where it is."""
    shown: str
    """How outputs name it: relative to the workspace (valid in the container and on the runner alike,
    since later steps start in the workspace), or absolute when it had to live elsewhere."""

    def file(self, name: str) -> tuple[Path, str]:
        """A file in it: (path to write, name for the outputs)."""
        return self.path / name, f"{self.shown}/{name}"


def fresh_output_dir(workspace: Path) -> OutputDir:
    """`<workspace>/.readiness/` when this run can create it, else a new `.readiness-XXXXXX/` beside it,
    else a new temporary directory outside the workspace. Never a directory that existed before."""
    try:
        path = workspace / OUTPUT_DIR
        try:
            os.mkdir(path, 0o755)
            name = OUTPUT_DIR
        except FileExistsError:
            path = Path(tempfile.mkdtemp(prefix=OUTPUT_DIR + "-", dir=workspace))
            name = path.name
        os.chmod(path, 0o755)  # later steps run as the runner's user, not as the container's root
        write_new(path / ".gitignore", "*\n")
        return OutputDir(path, name)
    except OSError:
        path = Path(tempfile.mkdtemp(prefix="readiness-"))
        os.chmod(path, 0o755)
        return OutputDir(path, str(path))


def write_new(path: Path, text: str) -> None:
    """Create `path` (which must not exist) and write `text` to it."""
    fd = os.open(path, _FILE_FLAGS, 0o644)
    with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)


def write_in_workspace(workspace: Path, rel: str, text: str) -> Path:
    """Write `text` at `rel` (relative to the workspace, or absolute: the runner's choice) without
    following a symlink on the way. Missing directories are created; a directory that is a symlink
    is refused (OSError); a symlink or file at the name itself is replaced."""
    target = Path(rel)
    if target.is_absolute():
        base, parts = Path(target.anchor), target.parts[1:]
    else:
        base, parts = workspace, target.parts
    if not parts or any(p in ("..", "") for p in parts):
        raise OSError(f"{rel}: not a file path inside the workspace")
    fd = os.open(base, _DIR_FLAGS & ~getattr(os, "O_NOFOLLOW", 0))
    try:
        for part in parts[:-1]:
            if part == ".":
                continue
            try:
                nxt = os.open(part, _DIR_FLAGS, dir_fd=fd)
            except FileNotFoundError:
                os.mkdir(part, 0o755, dir_fd=fd)
                nxt = os.open(part, _DIR_FLAGS, dir_fd=fd)
            except OSError:
                raise OSError(f"{rel}: {part} is a symlink or not a directory; not followed") from None
            os.close(fd)
            fd = nxt
        name = parts[-1]
        try:
            os.unlink(name, dir_fd=fd)  # whatever the PR put there (a link to its own forged file)
        except FileNotFoundError:
            pass
        except IsADirectoryError:
            raise OSError(f"{rel}: is a directory") from None
        out = os.open(name, _FILE_FLAGS, 0o644, dir_fd=fd)
        with os.fdopen(out, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
    finally:
        os.close(fd)
    return workspace / rel if not target.is_absolute() else target


def write_output(rel: str, text: str, *, cwd: Path | None = None) -> Path:
    """Write a file the user named on the command line (`--output`, `--badge`). The current directory
    is usually the checkout the PR controls (GitLab's example writes its report there), so a path
    inside it is walked as `write_in_workspace` walks one: no symlinked directory followed, a symlink
    at the name replaced, never written through. A path outside it is the user's: its directories are
    taken as they are, and only a symlink at the name itself is replaced."""
    here = (cwd or Path.cwd()).absolute()
    target = Path(os.path.normpath(here / rel))
    try:
        inside = target.relative_to(here)
    except ValueError:
        inside = None
    if inside is not None and inside.parts:
        return write_in_workspace(here, str(inside), text)
    write_in_workspace(target.parent.resolve(), target.name, text)
    return target
