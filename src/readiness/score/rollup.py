"""`readiness rollup REPORT...`: many repositories' JSON reports merged into one organisation view.

A pure function of report files: pillar scores per repository, verdicts and counts, the worst
findings across the organisation, and trends against a previous roll-up. No scheduler and no
server: the GitHub Actions matrix of the reusable workflow produces the reports, this merges them.

Report files are untrusted input (they come from artifacts other jobs uploaded): each is size-capped,
decoded strictly, parsed with bounded nesting and validated against the shipped report schema
before anything is read from it. A bad file is a rejected entry with a reason (never its content),
not an aborted run. Everything rendered from a report is escaped by the renderers.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from readiness import lazyre
from readiness.errors import UsageError
from readiness.model import SEVERITIES_DESC, Severity
from readiness.report_file import MAX_REPORT_BYTES, load_json
from readiness.report_file import first_schema_error as _first_error
from readiness.report_file import report_validator as _report_validator
from readiness.report_file import schema_validator as _validator
from readiness.score.model import PILLARS
from readiness.score.rubric import RUBRIC_VERSION

ROLLUP_VERSION = 1
MAX_NAME = 200
MESSAGE_MAX = 500
PATH_MAX = 300
DEFAULT_TOP = 20
MAX_TOP = 500
_NAME_RE = lazyre.compile(r"^[^\x00-\x1f\x7f]{1,200}$")
_RANK = {s.value: s.rank for s in Severity}


@dataclass(frozen=True, slots=True, kw_only=True)
class RollupInput:
    """One report to merge."""

    name: str
    """The repository's name in the view (`owner/name=path`, else the file name without `.json`)."""
    path: str
    """The report file."""


@dataclass(frozen=True, slots=True, kw_only=True)
class WorstFinding:
    """A finding worth the organisation's attention."""

    repository: str
    severity: str
    rule: str
    path: str
    line: int | None
    message: str
    fingerprint: str
    introduced: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class RepoScore:
    """A repository's scorecard, as its report carried it."""

    rubric_version: int
    """Scores compare only within one rubric version."""
    overall: float
    """Mean of the pillars."""
    pillars: dict[str, int]
    """Pillar -> 1..5."""
    weakest: str
    """The lowest pillar."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RepoEntry:
    """One repository in the view."""

    name: str
    file: str
    verdict: str
    tool_version: str
    head: str | None
    counts: dict[str, int]
    gates: dict[str, str]
    score: RepoScore | None
    previous: dict[str, Any] | None = None
    """This repository in the previous roll-up (verdict, overall, pillars), when it was there."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Rejected:
    """A report that was not merged, and why (never its content)."""

    name: str
    file: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Rollup:
    """The organisation view."""

    repositories: tuple[RepoEntry, ...]
    rejected: tuple[Rejected, ...]
    worst: tuple[WorstFinding, ...]
    removed: tuple[str, ...]
    """Repositories of the previous roll-up that are not in this one."""
    previous_pillars: dict[str, float] | None
    """Mean pillar scores of the previous roll-up (same rubric), for the trend."""
    tool_version: str

    @property
    def failing(self) -> int:
        """Repositories whose verdict is fail."""
        return sum(1 for r in self.repositories if r.verdict == "fail")

    def pillar_means(self) -> dict[str, float]:
        """Mean score per pillar over the repositories scored with this tool's rubric."""
        scored = [r.score for r in self.repositories if r.score and r.score.rubric_version == RUBRIC_VERSION]
        if not scored:
            return {}
        return {p.value: round(sum(s.pillars[p.value] for s in scored) / len(scored), 2) for p in PILLARS}


def parse_inputs(args: Sequence[str]) -> list[RollupInput]:
    """`owner/name=path` or `path` arguments."""
    out = []
    for arg in args:
        name, sep, path = arg.partition("=")
        if sep and name and path and not Path(arg).exists():
            out.append(RollupInput(name=name, path=path))
        else:
            stem = Path(arg).name
            out.append(RollupInput(name=stem[:-5] if stem.endswith(".json") else stem, path=arg))
    return out


def _score(doc: dict[str, Any]) -> RepoScore | None:
    card = doc.get("score")
    if not isinstance(card, dict):
        return None
    pillars = {p["pillar"]: int(p["score"]) for p in card["pillars"]}
    return RepoScore(rubric_version=int(card["rubric"]["version"]), overall=float(card["overall"]),
                     pillars=pillars, weakest=str(card["weakest"]))


def _worst(name: str, doc: dict[str, Any], top: int) -> list[tuple[tuple[int, int, str, str, int], WorstFinding]]:
    """The report's `top` most severe unwaived findings, with their sort keys."""
    keyed = []
    for f in doc["findings"]:
        if f["waived"]:
            continue
        key = (-_RANK[f["severity"]], 0 if f["introduced"] else 1, name, f["path"], f["line"] or 0)
        keyed.append((key, f))
    out = []
    for key, f in heapq.nsmallest(top, keyed, key=lambda kf: kf[0]):
        out.append((key, WorstFinding(
            repository=name, severity=f["severity"], rule=f["rule"], path=f["path"][:PATH_MAX],
            line=f["line"], message=f["message"][:MESSAGE_MAX], fingerprint=f["fingerprint"],
            introduced=f["introduced"])))
    return out


def _entry(inp: RollupInput, doc: dict[str, Any]) -> RepoEntry:
    return RepoEntry(
        name=inp.name, file=inp.path, verdict=doc["verdict"], tool_version=doc["tool"]["version"][:40],
        head=doc["head"][:80] if isinstance(doc["head"], str) else None, counts=dict(doc["counts"]),
        gates={g["id"]: g["status"] for g in doc["gates"]}, score=_score(doc))


def load_previous(path: str) -> dict[str, Any]:
    """A previous roll-up (`--format json` of an earlier run): UsageError when unusable."""
    from readiness.schemas import rollup_schema

    try:
        doc = load_json(path, "the previous roll-up")
    except ValueError as exc:
        raise UsageError(f"--previous {path}: {exc}") from None
    problem = _first_error(_validator(rollup_schema()), doc)
    if problem is not None:
        raise UsageError(f"--previous {path}: {problem.replace('report schema', 'roll-up schema')}")
    assert isinstance(doc, dict)
    return doc


def rollup(inputs: Sequence[RollupInput], *, previous: dict[str, Any] | None = None, top: int = DEFAULT_TOP,
           tool_version: str = "") -> Rollup:
    """Merge the reports. Deterministic in the files' contents and the arguments."""
    validator = _report_validator()
    entries: dict[str, RepoEntry] = {}
    rejected: list[Rejected] = []
    candidates: list[tuple[tuple[int, int, str, str, int], WorstFinding]] = []
    for inp in inputs:
        if not _NAME_RE.match(inp.name):
            rejected.append(Rejected(name=inp.name[:MAX_NAME], file=inp.path, reason="the repository name is empty, "
                                     "too long or holds control characters"))
            continue
        if inp.name in entries:
            first = entries[inp.name].file
            rejected.append(Rejected(name=inp.name, file=inp.path,
                                     reason=f"a second report for this repository (the first is {first})"))
            continue
        try:
            doc = load_json(inp.path, "the report", limit=MAX_REPORT_BYTES)
        except ValueError as exc:
            rejected.append(Rejected(name=inp.name, file=inp.path, reason=str(exc)))
            continue
        problem = _first_error(validator, doc)
        if problem is not None:
            rejected.append(Rejected(name=inp.name, file=inp.path, reason=problem))
            continue
        entries[inp.name] = _entry(inp, doc)
        candidates.extend(_worst(inp.name, doc, top))
    worst = tuple(f for _, f in heapq.nsmallest(top, candidates, key=lambda kf: kf[0]))
    removed: tuple[str, ...] = ()
    prev_means: dict[str, float] | None = None
    if previous is not None:
        same_rubric = previous.get("rubric_version") == RUBRIC_VERSION
        before = {r["name"]: r for r in previous["repositories"]}
        for name, entry in entries.items():
            old = before.get(name)
            if old is None:
                continue
            old_score = old.get("score")
            comparable = same_rubric and isinstance(old_score, dict)
            entries[name] = RepoEntry(
                name=entry.name, file=entry.file, verdict=entry.verdict, tool_version=entry.tool_version,
                head=entry.head, counts=entry.counts, gates=entry.gates, score=entry.score,
                previous={"verdict": old["verdict"],
                          "overall": old_score["overall"] if comparable else None,
                          "pillars": dict(old_score["pillars"]) if comparable else None})
        removed = tuple(sorted(n for n in before if n not in entries))
        means = previous["summary"].get("pillars")
        prev_means = dict(means) if same_rubric and isinstance(means, dict) and means else None
    return Rollup(repositories=tuple(entries[n] for n in sorted(entries)), rejected=tuple(rejected), worst=worst,
                  removed=removed, previous_pillars=prev_means, tool_version=tool_version)


def rollup_dict(view: Rollup) -> dict[str, Any]:
    """The roll-up as JSON (validated by schemas/rollup.schema.json; `--previous` reads it back)."""
    counts = {s.value: sum(r.counts.get(s.value, 0) for r in view.repositories) for s in SEVERITIES_DESC}
    return {
        "rollup_version": ROLLUP_VERSION,
        "tool": {"name": "readiness-gates", "version": view.tool_version},
        "rubric_version": RUBRIC_VERSION,
        "summary": {"repositories": len(view.repositories), "failing": view.failing,
                    "rejected": len(view.rejected),
                    "scored": sum(1 for r in view.repositories if r.score is not None),
                    "counts": counts, "pillars": view.pillar_means(),
                    "previous_pillars": view.previous_pillars},
        "repositories": [{
            "name": r.name, "file": r.file, "verdict": r.verdict, "tool_version": r.tool_version, "head": r.head,
            "counts": r.counts, "gates": r.gates,
            "score": None if r.score is None else {
                "rubric_version": r.score.rubric_version, "overall": r.score.overall,
                "pillars": r.score.pillars, "weakest": r.score.weakest},
            "previous": r.previous,
        } for r in view.repositories],
        "worst": [{"repository": f.repository, "severity": f.severity, "rule": f.rule, "path": f.path,
                   "line": f.line, "message": f.message, "fingerprint": f.fingerprint,
                   "introduced": f.introduced} for f in view.worst],
        "rejected": [{"name": r.name, "file": r.file, "reason": r.reason} for r in view.rejected],
        "removed": list(view.removed),
    }
