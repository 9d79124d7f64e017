"""Glue shared by `readiness check` and `readiness action`: config and changed files."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from readiness.config import CONFIG_NAME, Config, load_config
from readiness.errors import ConfigError, UsageError
from readiness.workspace import FileProblem, Workspace
from readiness.workspace.changes import ChangeSet, GitUnavailable, git_changes


def load_repo_config(root: Path, given: str | None) -> Config:
    """The config to use: `given`, else `root/.readiness.yml` if present, else defaults.

    A config inside the repository is read through the workspace rules (a symlink out of the
    repository is refused); `given` outside the repository is the runner's own file and allowed.
    """
    if given:
        path = Path(given)
        if not path.is_absolute():
            path = Path.cwd() / path
        shown = given
    else:
        path = root / CONFIG_NAME
        shown = CONFIG_NAME
        if not (path.is_file() or path.is_symlink()):
            return Config()
    real_root = root.resolve()
    try:
        inside = path.resolve(strict=False).is_relative_to(real_root) or not given
    except OSError:
        inside = False
    if inside:
        rel = os.path.relpath(path.absolute(), real_root) if given else CONFIG_NAME
        try:
            Workspace(root).inside(rel)
        except FileProblem as exc:
            raise ConfigError(exc.reason, path=shown) from None
        if given:
            shown = rel.replace(os.sep, "/")
    config = load_config(path, display=shown)
    return config if inside else replace(config, external=True)


def local_changes(root: Path, base: str) -> ChangeSet:
    """Changed files against `base` through git; UsageError when git cannot tell."""
    try:
        return git_changes(root, base)
    except GitUnavailable as exc:
        raise UsageError(f"--base {base}: cannot compare with git: {exc}") from None
