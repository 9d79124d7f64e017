"""Glue shared by `readiness check` and `readiness action`: config and changed files."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from readiness.config import CONFIG_MAX_BYTES, CONFIG_NAME, Config, load_config, load_config_bytes
from readiness.errors import ConfigError, UsageError
from readiness.workspace import FileProblem, Workspace
from readiness.workspace.changes import ChangeSet, GitUnavailable, git_changes


def load_repo_config(root: Path, given: str | None, *, workspace: Path | None = None) -> Config:
    """The config to use: `given`, else `root/.readiness.yml` if present, else defaults.

    A config inside the workspace (`workspace`, default `root`) is a repository file, read with the
    repository's rules, whatever path names it: a symlink out of the repository or into `.git/` is
    refused, never followed. Only a file outside it is the runner's own (`external`), which may name
    runner directories."""
    ws_root = workspace or root
    if given:
        path = Path(given) if Path(given).is_absolute() else Path.cwd() / given
        rel = repository_relative(path, ws_root)
        if rel is None:
            return replace(load_config(path, display=given), external=True)
        reader, shown = Workspace(ws_root), rel
    else:
        rel = shown = CONFIG_NAME
        if not os.path.lexists(root / CONFIG_NAME):
            return Config()
        reader = Workspace(root)
    try:
        raw = reader.read_bytes(rel, limit=CONFIG_MAX_BYTES)
    except FileProblem as exc:
        raise ConfigError(exc.reason, path=shown) from None
    return load_config_bytes(raw, shown)


def repository_relative(path: Path, base: Path) -> str | None:
    """`path` relative to `base` when it lies inside it, by its name or by where it really leads; None
    when it is elsewhere. Never `.` (the directory itself is not a file)."""
    absolute = os.path.normpath(os.path.abspath(path))
    real = os.path.realpath(path)
    for candidate, top in ((absolute, os.path.normpath(os.path.abspath(base))), (absolute, os.path.realpath(base)),
                           (real, os.path.realpath(base))):
        if candidate.startswith(top.rstrip(os.sep) + os.sep):
            return candidate[len(top.rstrip(os.sep)) + 1:].replace(os.sep, "/")
    return None


def local_changes(root: Path, base: str) -> ChangeSet:
    """Changed files against `base` through git; UsageError when git cannot tell."""
    try:
        return git_changes(root, base)
    except GitUnavailable as exc:
        raise UsageError(f"--base {base}: cannot compare with git: {exc}") from None
