"""The checklist gate's settings, parsed once from `gates.checklist` (already schema-validated)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from readiness.gates.base import repo_relative
from readiness.model import Severity

DEFAULT_FILES: tuple[str, ...] = ("readiness-checklist.yml", "readiness-checklist.yaml",
                                  ".github/readiness-checklist.yml", "docs/readiness-checklist.yml")
"""Where the checklist is looked for, in order, when `file` is not set."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ChecklistSettings:
    """`gates.checklist` of `.readiness.yml`."""

    file: str | None = None
    """The checklist file (repository-relative); None: the first of `DEFAULT_FILES` that exists."""
    require: bool = False
    """A repository without a checklist is a finding (`checklist/missing-checklist`)."""
    evidence_fail_on: Severity = Severity.HIGH
    """`gate:` evidence fails on an unwaived finding at or above this, unless the entry says `fail_on`."""

    @classmethod
    def parse(cls, section: Mapping[str, Any], source: str | None) -> ChecklistSettings:
        """From the validated config section; a `file` outside the repository is a ConfigError."""
        file = section.get("file")
        return cls(
            file=repo_relative(str(file), "gates.checklist.file", source) if isinstance(file, str) else None,
            require=bool(section.get("require", False)),
            evidence_fail_on=Severity(str(section.get("evidence_fail_on", "high"))),
        )
