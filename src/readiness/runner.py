"""Glue shared by `readiness check` and `readiness action`: the policy (config) and changed files."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from readiness.config import CONFIG_MAX_BYTES, CONFIG_NAME, Config, load_config, load_config_doc, parse_config
from readiness.errors import ConfigError, UsageError
from readiness.model import Finding
from readiness.workspace import FileProblem, Workspace
from readiness.workspace.changes import ChangeSet, GitUnavailable, git_changes

if TYPE_CHECKING:
    from readiness.yamlpos import YamlDoc


@dataclass(frozen=True, slots=True, kw_only=True)
class Policy:
    """The configuration that judges this run, and what the run has to say about it."""

    config: Config
    """The effective configuration."""
    findings: tuple[Finding, ...] = ()
    """`config/policy-relaxed` findings: what the PR's own `.readiness.yml` relaxes."""
    notes: tuple[str, ...] = ()
    """Lines for the log (keys ignored, the base's config unusable, ...)."""
    origin: str = "defaults"
    """Where the configuration came from, for the log."""


@dataclass(frozen=True, slots=True)
class _Located:
    path: Path
    reader_root: Path
    rel: str
    shown: str


def load_repo_config(root: Path, given: str | None, *, workspace: Path | None = None) -> Config:
    """The configuration as the working copy has it (no base to compare with); see `load_policy`."""
    return load_policy(root, given, workspace=workspace, changes=None).config


def load_policy(root: Path, given: str | None, *, workspace: Path | None = None,
                changes: ChangeSet | None = None, base: str | None = None) -> Policy:
    """The policy for this run: `given`, else `root/.readiness.yml`, else built-in defaults.

    A config inside the workspace (`workspace`, default `root`) is a repository file, read with the
    repository's rules, whatever path names it: a symlink out of the repository or into `.git/` is
    refused, never followed. Only a file outside it is the runner's own (`external`), which may name
    runner directories, and is used as it is.

    A repository's config belongs to the base branch: with `changes` (a base is known), the base
    commit's version judges the run, and what the working copy's version relaxes becomes
    `config/policy-relaxed` findings. `base` names a base whose changes could not be computed at all:
    then a config in the working copy cannot be trusted, the defaults judge, and a finding says why.
    Keys only the runner may set are dropped from a repository's config, whichever version."""
    ws_root = workspace or root
    if given:
        path = Path(given) if Path(given).is_absolute() else Path.cwd() / given
        rel = repository_relative(path, ws_root)
        if rel is None:
            external = replace(load_config(path, display=given), external=True)
            return Policy(config=external, origin=f"the runner's {given}")
        where = _Located(path, ws_root, rel, rel)
    else:
        where = _Located(root / CONFIG_NAME, root, CONFIG_NAME, CONFIG_NAME)
    head_raw: bytes | None = None
    head_error: ConfigError | None = None
    if os.path.lexists(where.reader_root / where.rel):
        try:
            head_raw = Workspace(where.reader_root).read_bytes(where.rel, limit=CONFIG_MAX_BYTES)
        except FileProblem as exc:
            if changes is None:
                raise ConfigError(exc.reason, path=where.shown) from None
            # with a base, an unreadable version (a link out, a directory, over the limit) is the PR's
            # own change to review, as an invalid one is: the base's policy still judges the run
            head_error, head_raw = ConfigError(exc.reason, path=where.shown), _UNREADABLE
    elif given:
        raise ConfigError("config file not found", path=where.shown)
    try:
        head_doc = load_config_doc(head_raw, where.shown) if head_raw is not None and head_error is None else None
        head = parse_config(head_doc, where.shown) if head_doc is not None else Config()
    except ConfigError as exc:
        if changes is None:
            raise
        # with a base, the base's version judges: the PR's invalid one is a change to review (below)
        head_error, head_doc, head = exc, None, Config()
    notes: list[str] = []
    head = _repository_config(head, where.shown, notes)
    if changes is None and base is not None and head_raw is not None:
        from readiness.config.policy import unverifiable_finding

        finding = unverifiable_finding(shown=where.shown, why="neither git nor the API could say what the PR changes")
        return Policy(config=Config(), findings=(finding,), notes=tuple(notes), origin="defaults (base unreadable)")
    if changes is None:
        return Policy(config=head, notes=tuple(notes), origin=where.shown if head_raw is not None else "defaults")
    try:
        return _base_policy(root, where, head, head_raw, head_doc, changes, notes, invalid=head_error)
    except _HeadUsed:
        assert head_error is not None
        raise head_error from None


_UNREADABLE = b"\x00readiness: the working copy's version could not be read\x00"
"""Stands for a PR version the workspace refused to read: never equal to a committed version."""


class _HeadUsed(Exception):
    """The working copy's config would judge the run (it is the base's too), and it is invalid."""


def _repository_config(config: Config, shown: str, notes: list[str]) -> Config:
    """`config` without the keys only the runner may set, each dropped one noted."""
    from readiness.config.policy import runner_keys_dropped

    config, dropped = runner_keys_dropped(config)
    notes.extend(f"{shown}: {key} is ignored: keys that point the tool at the network come only from the runner "
                 "(a config file outside the workspace)" for key in dropped)
    return config


def _base_policy(root: Path, where: _Located, head: Config, head_raw: bytes | None, head_doc: YamlDoc | None,
                 changes: ChangeSet, notes: list[str], *, invalid: ConfigError | None = None) -> Policy:
    """The base's policy and what the PR's version relaxes; an `invalid` PR version (the base's is not
    the same file) is one blocking finding saying why, and the base's policy still judges the run:
    exit code 2 would hide every gate's verdict behind the PR's own syntax error. (_HeadUsed: the
    working copy's version would judge, and it is the `invalid` one.)"""
    from readiness.config.policy import invalid_finding, relaxation_findings, relaxations, unverifiable_finding

    repo = changes.repo
    top_rel = repository_relative(where.path, repo.work_tree) if repo is not None else None
    if repo is not None and top_rel is None:
        # not a file of the repository under check (a workspace file beside a checkout in a subdirectory)
        if invalid is not None:
            raise _HeadUsed
        return Policy(config=head, notes=tuple(notes), origin=where.shown)
    label = changes.base[:12] if re.fullmatch(r"[0-9a-f]{40,64}", changes.base) else changes.base
    if repo is None or changes.base_commit is None or changes.base_sha is None or top_rel is None:
        # git cannot read the base; the API's file list can still say the PR leaves the config alone
        rel_root = repository_relative(where.path, root)
        if rel_root is not None and rel_root not in changes.files and rel_root not in changes.deleted:
            if invalid is not None:
                raise _HeadUsed
            return Policy(config=head, notes=tuple(notes), origin=f"{where.shown} (unchanged by the PR)")
        if head_raw is None and rel_root is not None:
            return Policy(config=head, notes=tuple(notes), origin="defaults")
        finding = unverifiable_finding(shown=where.shown, why="the base commit is not in this clone")
        return Policy(config=Config(), findings=(finding,), notes=tuple(notes), origin="defaults (base unreadable)")
    try:
        base_raw = repo.read_file(changes.base_commit, top_rel, limit=CONFIG_MAX_BYTES, from_top=True)
        start_raw = base_raw if changes.base_sha == changes.base_commit else \
            repo.read_file(changes.base_sha, top_rel, limit=CONFIG_MAX_BYTES, from_top=True)
    except GitUnavailable as exc:
        finding = unverifiable_finding(shown=where.shown, why=str(exc))
        return Policy(config=Config(), findings=(finding,), notes=tuple(notes), origin="defaults (base unreadable)")
    if invalid is not None and head_raw in (base_raw, start_raw):
        raise _HeadUsed  # the base's own version is the invalid one: a configuration error, as without a PR
    base = _version(base_raw, f"{where.shown} at {label}", notes)
    if invalid is not None:
        return Policy(config=base, findings=(invalid_finding(invalid, shown=where.shown, base=label),),
                      notes=tuple(notes), origin=f"{where.shown} at {label}")
    if head_raw == start_raw:
        return Policy(config=base, notes=tuple(notes), origin=f"{where.shown} at {label}")
    start = _version(start_raw, f"{where.shown} at {changes.base_sha[:12]}", notes)
    files: list[str] = []
    if set(head.exclude) - set(start.exclude):
        files = Workspace(root).files()
    relaxed = relaxations(start, head, files)

    def position(key: tuple[str | int, ...]) -> tuple[int, int]:
        pos = head_doc.position(key) if head_doc is not None else None
        return (pos.line, pos.column) if pos is not None else (1, 1)

    found = relaxation_findings(relaxed, shown=where.shown, position=position, base=label)
    return Policy(config=base, findings=tuple(found), notes=tuple(notes), origin=f"{where.shown} at {label}")


def _version(raw: bytes | None, shown: str, notes: list[str]) -> Config:
    """A committed version of the config (the defaults when absent; an invalid one is noted, defaults)."""
    if raw is None:
        return Config()
    try:
        config = parse_config(load_config_doc(raw, shown), shown)
    except ConfigError as exc:
        notes.append(f"{exc.diagnostics()}; the built-in defaults stand in for it")
        return Config()
    return _repository_config(config, shown, notes)


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
