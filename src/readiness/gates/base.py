"""The one interface every gate implements, and the context it runs in."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from readiness.config import Config
from readiness.errors import ConfigError
from readiness.model import DependencyChange, Finding, GateId, GateResult, Item, Location
from readiness.rules.catalog import RuleHandle
from readiness.workspace import FileProblem, Workspace
from readiness.workspace.changes import ChangeSet, GitUnavailable, base_text


@dataclass(slots=True, kw_only=True)
class GateContext:
    """What a gate may look at. Gates never touch the network except through their own service."""

    workspace: Workspace
    """The repository, read safely."""
    config: Config
    """The whole configuration; a gate reads its own settings, typed, from it (`config.<gate>_gate`)."""
    changes: ChangeSet | None = None
    """The PR's changes; None for a full scan."""
    offline_db: Path | None = None
    """`--offline-db`, for the deps gate."""
    database_url: str | None = None
    """`--database-url` / the action's `database-url`: a PostgreSQL server for the migrations gate's replay
    (the runner's, never the repository's)."""
    replay: str | None = None
    """`--replay` / the action's `replay` input (auto|on|off): the runner's choice over the configuration's."""
    time_limit: float | None = None
    """The watchdog's limit on this gate in seconds (None: no watchdog); replay keeps within it."""
    gate: str = ""
    """The id of the gate this context is for (names its config keys in errors)."""
    prior: Callable[[], tuple[GateResult, ...]] | None = None
    """The settled results (waivers applied) of the gates that ran before this one, computed when
    called; the checklist gate judges its `gate:` and `rule:` evidence with them. None outside the
    engine."""

    def repo_path(self, value: str, key: str) -> str:
        """A path from this gate's settings, normalized and repository-relative (see `repo_relative`)."""
        return repo_relative(value, f"gates.{self.gate}.{key}", self.config.source)

    def touched(self, path: str) -> bool:
        """True when the PR adds or changes `path`, or on a full scan."""
        return self.changes is None or self.changes.touched(path)

    def base_text(self, rel: str) -> str | None:
        """The file at the base commit (None if absent, or when not diffing with git)."""
        if self.changes is None:
            return None
        try:
            return base_text(self.changes, rel, limit=self.workspace.max_file_bytes)
        except GitUnavailable:
            return None


def repo_relative(value: str, key: str, source: str | None) -> str:
    """A path from the configuration, normalized and repository-relative.

    ConfigError (exit 2) when it is absolute or climbs out of the repository: a config inside the
    repository must not make the tool read, or report on, the runner's files.
    """
    v = value.strip().replace("\\", "/")
    norm = posixpath.normpath(v.removeprefix("./")) if v else v
    if not v or v.startswith("/") or re.match(r"^[A-Za-z]:", v) or norm == ".." or norm.startswith("../"):
        raise ConfigError(f"{key}: {value!r} points outside the repository; "
                          "paths in the configuration must be repository-relative", path=source)
    return norm


@dataclass(slots=True, kw_only=True)
class GateOutcome:
    """What a gate returns. `skipped` set means there was nothing for it to do (and says why)."""

    items: list[Item] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    skipped: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    dependency_changes: tuple[DependencyChange, ...] | None = None


class Gate(Protocol):
    """A gate: `run` looks at the repository and returns findings; raising GateError means
    "could not run" and becomes the gate's `error` status."""

    id: GateId

    def run(self, ctx: GateContext) -> GateOutcome:
        """Judge the repository."""
        ...


def unreadable(handle: RuleHandle, problem: FileProblem) -> Finding:
    """The finding for a file a gate needed but could not read safely."""
    return handle.finding(Location(path=problem.path), message=f"Not read: {problem.reason}.",
                          evidence=problem.reason)
