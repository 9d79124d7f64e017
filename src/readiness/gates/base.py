"""The one interface every gate implements, and the context it runs in."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from readiness.config import Config
from readiness.model import Finding, GateId, Item, Location
from readiness.rules.catalog import RuleHandle
from readiness.workspace import FileProblem, Workspace
from readiness.workspace.changes import ChangeSet, GitUnavailable, base_text


@dataclass(slots=True, kw_only=True)
class GateContext:
    """What a gate may look at. Gates never touch the network except through their own service."""

    workspace: Workspace
    """The repository, read safely."""
    config: Config
    """The whole configuration."""
    settings: dict[str, Any]
    """This gate's section of the configuration."""
    changes: ChangeSet | None = None
    """The PR's changes; None for a full scan."""
    offline_db: Path | None = None
    """`--offline-db`, for the deps gate."""

    def touched(self, path: str) -> bool:
        """True when the PR adds or changes `path`, or on a full scan."""
        return self.changes is None or self.changes.touched(path)

    def base_text(self, rel: str) -> str | None:
        """The file at the base commit (None if absent, or when not diffing with git)."""
        if self.changes is None or self.changes.base_sha is None:
            return None
        try:
            return base_text(self.workspace.root, self.changes.base_sha, rel,
                             limit=self.workspace.max_file_bytes)
        except GitUnavailable:
            return None


@dataclass(slots=True, kw_only=True)
class GateOutcome:
    """What a gate returns. `skipped` set means there was nothing for it to do (and says why)."""

    items: list[Item] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    skipped: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


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
