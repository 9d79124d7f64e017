"""The scorecard's data: pillars, checklist item states, and the scores with their reasons.

Pure data with no imports from the rest of the tool, so the checklist gate, the scorer and the
renderers can all share it (renderers see only data models).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Pillar(enum.StrEnum):
    """The four pillars of production readiness."""

    RELIABILITY = "reliability"
    SECURITY = "security"
    OBSERVABILITY = "observability"
    SUPPORTABILITY = "supportability"


PILLARS: tuple[Pillar, ...] = tuple(Pillar)


class Status(enum.StrEnum):
    """A checklist item's status, as the team writes it."""

    TODO = "todo"
    IN_PROGRESS = "in-progress"
    BLOCKED = "blocked"
    DONE = "done"
    NOT_APPLICABLE = "not-applicable"


class ItemState(enum.StrEnum):
    """What the checklist gate concluded about an item: its status checked against its evidence."""

    PROVEN = "proven"
    """Done, and every path/gate/rule evidence it names holds."""
    CLAIMED = "claimed"
    """Done, with no evidence the tool can check (none, or only links)."""
    UNVERIFIED = "unverified"
    """Done, nothing fails, but some evidence could not be checked (its gate did not run)."""
    CONTRADICTED = "contradicted"
    """Done, but some evidence fails."""
    NOT_APPLICABLE = "not-applicable"
    """Marked not applicable, with a reason."""
    OPEN = "open"
    """Not done yet (todo, in progress, blocked, or no status)."""


class EvidenceState(enum.StrEnum):
    """One evidence entry, judged."""

    HOLDS = "holds"
    FAILS = "fails"
    NOT_RUN = "not-run"
    """Its gate did not run (disabled, not selected, nothing to check, or errored)."""
    CLAIMED = "claimed"
    """A link: recorded, never fetched."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Reason:
    """One thing that moved a pillar's score, in plain words."""

    text: str
    """One sentence; item ids, rule ids and paths in backticks."""
    source: str
    """What it comes from: `checklist`, `item:<id>`, `rule:<rule-id>` or `gate:<gate-id>`."""
    effect: str
    """`raises` (a criterion met), `lowers` (a criterion missed or a cap) or `note`."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ItemTally:
    """A pillar's checklist items, counted."""

    total: int = 0
    """Items of the pillar."""
    done: int = 0
    """Status done."""
    proven: int = 0
    """Done and proven by evidence."""
    not_applicable: int = 0
    """Status not-applicable."""
    unowned: int = 0
    """Without an owner or a status."""
    contradicted: int = 0
    """Done while their evidence fails."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PillarScore:
    """One pillar's score, why, and what would raise it by one."""

    pillar: Pillar
    """Which pillar."""
    score: int
    """1 (nonexistent) to 5 (rock solid): the checklist level, capped by the gate findings."""
    level: str
    """The name of the score's level in the rubric."""
    checklist_level: int
    """The level the checklist alone reaches."""
    cap: int
    """The highest score the gate findings allow (5 when nothing caps it)."""
    items: ItemTally
    """The pillar's checklist items, counted."""
    findings: dict[str, int]
    """Unwaived findings of the rules that feed this pillar, by severity."""
    reasons: tuple[Reason, ...]
    """What moved the score, most important first."""
    next: tuple[str, ...]
    """What would raise it by one (empty at 5)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Scorecard:
    """Every pillar's score under one rubric version."""

    rubric_version: int
    """The rubric's version (docs/scorecard.md); scores are comparable only within one version."""
    checklist: str | None
    """The checklist file the scores read, or None when the repository has none."""
    pillars: tuple[PillarScore, ...]
    """One per pillar, in `PILLARS` order."""

    @property
    def overall(self) -> float:
        """The mean of the pillar scores, one decimal."""
        return round(sum(p.score for p in self.pillars) / len(self.pillars), 1) if self.pillars else 0.0

    @property
    def weakest(self) -> PillarScore | None:
        """The lowest-scoring pillar (the first of equals)."""
        return min(self.pillars, key=lambda p: p.score) if self.pillars else None
