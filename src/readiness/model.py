"""The core data model: severities, findings, gate results and the report.

Everything here is frozen. Gates produce `Finding`s and `Item`s; the engine turns them into
`GateResult`s and one `Report`; renderers and publishers only read it.
"""

from __future__ import annotations

import enum
import hashlib
import re
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, NewType, assert_never

RuleId = NewType("RuleId", str)
"""A rule id, `<gate>/<kebab-name>`, e.g. `migrations/rename-column`."""

GateId = NewType("GateId", str)
"""A gate id: `migrations`, `deps`, `config`, `docs` or `checklist`."""

GATE_IDS: tuple[str, ...] = ("migrations", "deps", "config", "docs", "checklist")
"""In run order. `checklist` is last: its evidence is the other gates' settled results."""
GATE_TITLES: dict[str, str] = {
    "migrations": "Migration risk",
    "deps": "Dependency audit",
    "config": "Config drift",
    "docs": "ADR / runbook presence",
    "checklist": "Readiness checklist",
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


FINGERPRINT_HEX_CHARS = 32
"""A fingerprint is this many hex digits of its sha256 (128 bits)."""
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
    """`config` for `.readiness.yml`, `inline` for a comment in the file, `baseline` for the baseline file."""
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
    package: VulnerablePackage | None = None
    """For a known-vulnerability finding: the pinned package, every advisory it covers, and its fix."""
    cause: tuple[str, ...] = ()
    """Other repository paths whose change brings the finding in (the file an include is written
    in, a runbook or evidence path it names): the PR's doing when it adds, changes or deletes one."""

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
    return digest[:FINGERPRINT_HEX_CHARS]


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
    """Gate-specific data (e.g. the deps gate's database statistics); not in the JSON contract."""
    dependency_changes: tuple[DependencyChange, ...] | None = None
    """The deps gate with a base: what the PR added, removed, upgraded, downgraded (None without a base)."""


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
    excluded: tuple[str, ...] = ()
    """Directories no gate read because the built-in exclusions name them (vendored code, other
    projects' test data), e.g. `vendor/`; the configuration's `include` brings them back."""
    excluded_count: int = 0
    """How many directories were skipped so (`excluded` may list only the first ones)."""

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
    def baselined(self) -> int:
        """Findings accepted by the baseline (`readiness baseline`): listed, never blocking."""
        return sum(1 for f in self.findings if f.waiver is not None and f.waiver.source == "baseline")

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


def band_score(severity: Severity) -> float:
    """A representative CVSS-scale score of a severity (the middle of its CVSS v3 band), for
    SARIF `security-severity`, which GitHub code scanning maps back to the same band."""
    return {Severity.CRITICAL: 9.5, Severity.HIGH: 8.0, Severity.MEDIUM: 5.5, Severity.LOW: 2.0,
            Severity.INFO: 0.0}[severity]


OSV_VULNERABILITY_URL = "https://osv.dev/vulnerability/"
"""Where an advisory id is described: `OSV_VULNERABILITY_URL + id` (osv.dev serves PYSEC, GHSA, CVE, MAL ids)."""
_ADVISORY_ID_RE = re.compile(r"^[A-Z][A-Z0-9]{1,15}-[A-Za-z0-9][A-Za-z0-9._:-]{0,80}$")


@dataclass(frozen=True, slots=True, kw_only=True)
class Advisory:
    """One published advisory (an id and its aliases, merged) that affects a pinned version."""

    id: str
    """The primary id: PYSEC first, then GHSA, then others."""
    aliases: tuple[str, ...] = ()
    """The other ids of the same advisory, each once."""
    severity: Severity | None = None
    """The published severity; None when no source publishes one."""
    severity_source: str = ""
    """Where the severity came from, in plain words (or why there is none)."""
    ranked: Severity = Severity.CRITICAL
    """What the gate ranks it as: `severity`, or the `unknown_severity` policy when there is none."""
    score: float | None = None
    """The CVSS base score behind `severity`, when it came from a vector."""
    fixed: tuple[str, ...] = ()
    """Versions that fix it above the pinned one (from the ranges that hold the pin), ascending."""
    fix: str | None = None
    """The lowest version known to the database that it does not affect (judged like the pin itself)."""
    summary: str = ""
    """One line from the record."""
    introduced: bool = True
    """False when it also affects the package's version on the base (it is not new in this PR)."""

    @property
    def url(self) -> str | None:
        """The advisory's osv.dev page; None for an id that does not look like an advisory id."""
        return OSV_VULNERABILITY_URL + self.id if _ADVISORY_ID_RE.match(self.id) else None


@dataclass(frozen=True, slots=True, kw_only=True)
class VulnerablePackage:
    """A pinned package with every advisory that affects it, and the one upgrade that fixes them all."""

    name: str
    """Canonical package name."""
    version: str
    """The pinned version."""
    advisories: tuple[Advisory, ...]
    """Every advisory affecting the pin, worst first."""
    fix: str | None = None
    """The lowest version known to the database that none of `advisories` affects; None when none is known."""
    fix_in_line: str | None = None
    """The lowest such version in the pin's release line (same major.minor); None when that line has none."""
    clean: str | None = None
    """When `fix` is itself affected by another advisory: the lowest version with no known advisory at all."""
    base_version: str | None = None
    """The version pinned on the base when this PR changed it."""

    def advisory_list(self) -> str:
        """Every advisory id, aliases once each, as the tail of the finding's message."""
        parts = [a.id + (f" ({', '.join(a.aliases)})" if a.aliases else "") for a in self.advisories]
        return "Advisories: " + "; ".join(parts) + "."

    @property
    def security_severity(self) -> float:
        """A 0.0-10.0 score for SARIF's `security-severity`: the highest CVSS score when the worst advisory's
        severity came from one, else the middle of the worst ranked severity's CVSS band."""
        worst = max((a.ranked.rank for a in self.advisories), default=Severity.INFO.rank)
        scores = [a.score for a in self.advisories if a.score is not None and a.ranked.rank == worst]
        if scores:
            return max(scores)
        return next(band_score(a.ranked) for a in self.advisories if a.ranked.rank == worst)


class ChangeKind(enum.StrEnum):
    """How a pull request changed one dependency in one file."""

    ADDED = "added"
    REMOVED = "removed"
    UPGRADED = "upgraded"
    DOWNGRADED = "downgraded"
    CHANGED = "changed"
    """A constraint, URL or set of pins changed, with no single old and new version to compare."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DependencyChange:
    """One dependency added, removed or changed by the pull request, in one file."""

    kind: ChangeKind
    """added | removed | upgraded | downgraded | changed."""
    name: str
    """Canonical package name."""
    path: str
    """The file that declares it (repository-relative)."""
    line: int | None = None
    """Its line in the head version of the file (None when removed)."""
    old: str | None = None
    """The version on the base (or its constraint or URL when not pinned); None when added."""
    new: str | None = None
    """The version in the PR (or its constraint or URL when not pinned); None when removed."""
    introduces: tuple[str, ...] = ()
    """Advisories affecting the new version but not the old one (a downgrade re-introducing them)."""
    resolves: tuple[str, ...] = ()
    """Advisories affecting the old version but not the new one."""
