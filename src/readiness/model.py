"""The core data model: severities, findings, gate results and the report.

Everything here is frozen. Gates produce `Finding`s and `Item`s; the engine turns them into
`GateResult`s and one `Report`; renderers and publishers only read it.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, NewType, assert_never

RuleId = NewType("RuleId", str)
"""A rule id, `<gate>/<kebab-name>`, e.g. `migrations/rename-column`."""

GateId = NewType("GateId", str)
"""A gate id: `migrations`, `deps`, `config` or `docs`."""

GATE_IDS: tuple[str, ...] = ("migrations", "deps", "config", "docs")
GATE_TITLES: dict[str, str] = {
    "migrations": "Migration risk",
    "deps": "Dependency audit",
    "config": "Config drift",
    "docs": "ADR / runbook presence",
}


class Severity(enum.StrEnum):
    """Finding severity. Order by `rank`, never by the string."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Higher is more severe: critical=4 ... info=0."""
        match self:
            case Severity.CRITICAL:
                return 4
            case Severity.HIGH:
                return 3
            case Severity.MEDIUM:
                return 2
            case Severity.LOW:
                return 1
            case Severity.INFO:
                return 0
            case _ as unreachable:
                assert_never(unreachable)


SEVERITIES_DESC: tuple[Severity, ...] = tuple(sorted(Severity, key=lambda s: -s.rank))


class FailOn(enum.StrEnum):
    """The `--fail-on` threshold."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    NEVER = "never"

    def should_fail(self, severity: Severity) -> bool:
        """True when a finding of `severity` blocks at this threshold."""
        if self is FailOn.NEVER:
            return False
        return severity.rank >= Severity(self.value).rank


class RiskClass(enum.StrEnum):
    """Migration risk class. `severity` follows DESIGN (avoid and critical are both critical)."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"
    AVOID = "avoid"

    @property
    def rank(self) -> int:
        """Order of the classes: low < medium < high < critical < avoid."""
        return _RISK_RANK[self]

    @property
    def severity(self) -> Severity:
        """The finding severity this risk class carries."""
        match self:
            case RiskClass.AVOID | RiskClass.CRITICAL:
                return Severity.CRITICAL
            case RiskClass.HIGH:
                return Severity.HIGH
            case RiskClass.MEDIUM:
                return Severity.MEDIUM
            case RiskClass.LOW:
                return Severity.LOW
            case _ as unreachable:
                assert_never(unreachable)


_RISK_RANK = {RiskClass.LOW: 0, RiskClass.MEDIUM: 1, RiskClass.HIGH: 2, RiskClass.CRITICAL: 3, RiskClass.AVOID: 4}


class GateStatus(enum.StrEnum):
    """A gate's outcome."""

    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"
    SKIPPED = "skipped"


class Confidence(enum.StrEnum):
    """How sure a rule is: CERTAIN for structural facts, HEURISTIC for guesses (pylint)."""

    CERTAIN = "certain"
    HEURISTIC = "heuristic"


@dataclass(frozen=True, slots=True, kw_only=True)
class Location:
    """Where a finding is. Lines and columns are 1-based."""

    path: str
    """Repository-relative path with `/` separators."""
    line: int | None = None
    """First line, 1-based; None for a whole-file finding."""
    column: int | None = None
    """First column, 1-based."""
    end_line: int | None = None
    """Last line (inclusive)."""
    end_column: int | None = None
    """Last column, for SARIF and annotations; only meaningful when on one line."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Waiver:
    """Why a finding does not count."""

    reason: str
    """The reason given by the waiver."""
    source: str
    """`config` for `.readiness.yml`, `inline` for a comment in the file."""
    expires: date | None = None
    """When a config waiver stops applying."""
    location: Location | None = None
    """Where the waiver is written."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """One problem found by a gate."""

    rule: RuleId
    """The rule that found it; its page is `checks/<rule>.md`."""
    severity: Severity
    """The rule's default severity unless a gate escalates it."""
    location: Location
    """Where it is."""
    message: str
    """What is wrong, one sentence, naming the object."""
    fix: str | None
    """The safe alternative, in one or two sentences."""
    fingerprint: str
    """Stable hash of rule, path and normalized evidence (never the line number)."""
    introduced: bool = True
    """False when the finding is in a file the PR does not touch (or is present on the base)."""
    waiver: Waiver | None = None
    """Set when a waiver matches."""
    confidence: Confidence = Confidence.CERTAIN
    """CERTAIN or HEURISTIC."""

    @property
    def gate(self) -> GateId:
        """The gate part of the rule id."""
        return GateId(self.rule.split("/", 1)[0])

    @property
    def waived(self) -> bool:
        """True when a waiver matched."""
        return self.waiver is not None

    @property
    def doc(self) -> str:
        """The rule page's repository path."""
        return f"checks/{self.rule}.md"

    def with_(self, **changes: Any) -> Finding:
        """A copy with some fields changed."""
        return replace(self, **changes)


def fingerprint(rule: str, path: str, evidence: str) -> str:
    """A content fingerprint: sha256 over rule, path and whitespace-normalized evidence."""
    normalized = " ".join(evidence.split())
    # surrogateescape: a file name that is not UTF-8 still has a fingerprint (its bytes)
    digest = hashlib.sha256(f"{rule}\x00{path}\x00{normalized}".encode("utf-8", "surrogateescape")).hexdigest()
    return digest[:32]


@dataclass(frozen=True, slots=True)
class Item:
    """One thing a gate looked at (a migration, a dependency, a config file, a document).

    `data` is a flat JSON-serialisable mapping; its keys are per gate (DESIGN `items`).
    """

    data: dict[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class GateResult:
    """What one gate produced."""

    gate: GateId
    """The gate id."""
    status: GateStatus
    """pass | fail | error | skipped."""
    duration_ms: float
    """Wall time of the gate."""
    error: str | None = None
    """Why the gate errored or was skipped, in plain words."""
    items: tuple[Item, ...] = ()
    """What the gate looked at."""
    findings: tuple[Finding, ...] = ()
    """What it found, after waivers."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Gate-specific data for renderers (e.g. the dependency diff); not in the JSON contract."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Report:
    """The verdict of one run, settled before anything is published."""

    version: str
    """readiness-gates version."""
    fail_on: FailOn
    """The threshold used."""
    base: str | None
    """Base ref or sha, when diffing."""
    head: str | None
    """Head sha, when known."""
    gates: tuple[GateResult, ...]
    """Per-gate results, in DESIGN order."""
    errored_gates_fail: tuple[GateId, ...] = ()
    """Gates that errored and whose `on_error` is `fail`."""
    scope_all_gates: tuple[GateId, ...] = ()
    """Gates configured with `scope: all`: their pre-existing findings block too."""

    _findings: tuple[Finding, ...] = field(init=False, repr=False, compare=False)
    _blocking: tuple[Finding, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        every = [f for g in self.gates for f in g.findings]
        every.sort(key=lambda f: (-f.severity.rank, f.location.path, f.location.line or 0, f.rule))
        object.__setattr__(self, "_findings", tuple(every))
        object.__setattr__(self, "_blocking", tuple(
            f for f in every if is_blocking(f, self.fail_on, f.gate in self.scope_all_gates)))

    @property
    def findings(self) -> tuple[Finding, ...]:
        """All findings, sorted by severity then path and line (computed once)."""
        return self._findings

    @property
    def blocking(self) -> tuple[Finding, ...]:
        """Unwaived findings at or above `fail_on` that count for the verdict."""
        return self._blocking

    @property
    def counts(self) -> dict[str, int]:
        """Unwaived findings by severity."""
        counts = {s.value: 0 for s in SEVERITIES_DESC}
        for f in self.findings:
            if not f.waived:
                counts[f.severity.value] += 1
        return counts

    @property
    def verdict(self) -> str:
        """`fail` when something blocks, else `pass`."""
        return "fail" if self.blocking or self.errored_gates_fail else "pass"


def is_blocking(finding: Finding, fail_on: FailOn, scope_all: bool = False) -> bool:
    """A finding blocks when unwaived, at or above the threshold, and introduced by the PR
    (or its gate judges everything, `scope: all`)."""
    return (
        not finding.waived
        and (finding.introduced or scope_all)
        and fail_on.should_fail(finding.severity)
    )
