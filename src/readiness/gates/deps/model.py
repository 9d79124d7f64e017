"""What the dependency parsers produce: declared dependencies and per-line problems (values, not errors)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

KIND_REQUIREMENT = "requirement"
KIND_CONSTRAINT = "constraint"
KIND_PYPROJECT = "pyproject"
KIND_LOCK = "lock"


@dataclass(frozen=True, slots=True, kw_only=True)
class Dependency:
    """One declared or locked dependency, as written in one file."""

    name: str
    """Canonical (PEP 503 normalized) project name."""
    source: str
    """Repository-relative path of the file that declares it."""
    line: int
    """1-based line of the declaration (the first line of a continued line)."""
    kind: str
    """`requirement`, `constraint`, `pyproject` or `lock`."""
    direct: bool
    """True when the project declares it itself (not only a transitive lock entry)."""
    version: str | None = None
    """The exact pinned version (`==X` / `===X` / a lock entry's version), as written."""
    specifier: str | None = None
    """The version constraint when not an exact pin ('' when there is none at all)."""
    marker: str | None = None
    """Environment marker, kept as text (audited regardless: the runner is not the deploy target)."""
    extras: tuple[str, ...] = ()
    """Requested extras."""
    url: str | None = None
    """Direct reference (URL, VCS, local path) when not from an index."""
    editable: bool = False
    """`-e` / editable lock entries."""
    hashed: bool = False
    """Carries `--hash` (or lock hashes)."""
    group: str | None = None
    """Optional-dependency extra, dependency group, Poetry group or Pipfile section."""
    evidence: str = ""
    """The normalized declaration text, for fingerprints."""

    @property
    def pinned(self) -> bool:
        """An exact version from an index: what the audit can check."""
        return self.version is not None and self.url is None

    def item(self) -> dict[str, Any]:
        """The flat JSON item for the report (DESIGN `items`)."""
        data: dict[str, Any] = {"name": self.name}
        if self.version is not None:
            data["version"] = self.version
        else:
            data["specifier"] = self.specifier or ""
        data.update(source=self.source, line=self.line, direct=self.direct, kind=self.kind)
        if self.group:
            data["group"] = self.group
        if self.marker:
            data["marker"] = self.marker
        if self.url:
            data["url"] = self.url
        if self.editable:
            data["editable"] = True
        return data


@dataclass(frozen=True, slots=True, kw_only=True)
class Problem:
    """A line or file the parsers could not accept."""

    path: str
    """Repository-relative file."""
    line: int | None
    """1-based line, when known."""
    message: str
    """What is wrong, one sentence."""
    evidence: str
    """The offending text, for the fingerprint."""
    unreadable: bool = False
    """True when the file (or an include) could not be read at all; False for a bad line."""


@dataclass(slots=True)
class Parsed:
    """Everything read from the dependency files."""

    deps: list[Dependency]
    """Dependencies in file order."""
    problems: list[Problem]
    """Invalid lines and unreadable files."""
    files: list[str]
    """Every file read (including `-r`/`-c` targets)."""
    hashed_files: dict[str, bool]
    """Requirements files that use `--hash` somewhere."""
    applications: set[str]
    """pyproject.toml files that describe an application (no build system / Poetry non-package mode)."""
    lock_names: dict[str, dict[str, str | None]]
    """Per lock file: every package name it locks (even local/VCS ones) and its version."""
    included_from: dict[str, tuple[str, ...]]
    """A file read through `-r`/`-c`: the files whose includes reach it (the PR adding the include
    brings in what the file pins, whatever the file's own change status)."""


def empty_parsed() -> Parsed:
    """A Parsed with nothing in it yet."""
    return Parsed(deps=[], problems=[], files=[], hashed_files={}, applications=set(), lock_names={},
                  included_from={})
