"""Severity of an advisory group: MAL- → critical; else a GitHub label (the matched record's own, else an
alias record's in the same database); else the highest CVSS v3/v4 base score (the `cvss` library); else
unknown, which the gate ranks as `unknown_severity` and says so."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from readiness.gates.deps.jsonvals import as_list
from readiness.model import Severity

_GHSA_LABELS = {"CRITICAL": Severity.CRITICAL, "HIGH": Severity.HIGH, "MODERATE": Severity.MEDIUM,
                "MEDIUM": Severity.MEDIUM, "LOW": Severity.LOW}


@dataclass(frozen=True, slots=True, kw_only=True)
class Rated:
    """A severity and where it came from."""

    severity: Severity | None
    """None when no source gives one (unknown)."""
    source: str
    """Plain words: `malicious package (MAL-…)`, `GitHub-reviewed label HIGH on GHSA-…`, `CVSS_V3 9.8 on PYSEC-…`."""
    score: float | None = None
    """The CVSS base score behind the severity, when it came from a vector."""


def band(score: float) -> Severity:
    """CVSS v3/v4 qualitative bands; 0.0 (none) is reported as low, never dropped."""
    if score >= 9.0:
        return Severity.CRITICAL
    if score >= 7.0:
        return Severity.HIGH
    if score >= 4.0:
        return Severity.MEDIUM
    return Severity.LOW


@lru_cache(maxsize=8192)
def cvss_score(kind: str, vector: str) -> float | None:
    """The base score of a CVSS_V3 / CVSS_V4 vector; None for other kinds or a malformed vector."""
    from cvss import CVSS3, CVSS4
    from cvss.exceptions import CVSSError

    try:
        if kind == "CVSS_V3":
            return float(CVSS3(vector).base_score)
        if kind == "CVSS_V4":
            return float(CVSS4(vector).base_score)
    except (CVSSError, ValueError, KeyError, IndexError, TypeError):
        return None
    return None


def _vectors(record: dict[str, Any]) -> Iterable[tuple[str, str]]:
    blocks = [record.get("severity")]
    blocks += [a.get("severity") for a in as_list(record.get("affected")) if isinstance(a, dict)]
    for block in blocks:
        for s in block if isinstance(block, list) else []:
            if isinstance(s, dict) and isinstance(s.get("type"), str) and isinstance(s.get("score"), str):
                yield s["type"], s["score"]


def _label(rec: dict[str, Any]) -> tuple[Severity, str] | None:
    ds = rec.get("database_specific")
    label = ds.get("severity") if isinstance(ds, dict) else None
    sev = _GHSA_LABELS.get(label.upper()) if isinstance(label, str) else None
    if sev is None or not isinstance(label, str):
        return None
    reviewed = "GitHub-reviewed" if isinstance(ds, dict) and ds.get("github_reviewed") is not False else "GitHub"
    return sev, f"{reviewed} label {label.upper()} on {str(rec.get('id'))[:80]}"


def rate(ids: Iterable[str], records: Iterable[dict[str, Any]], *, own: Iterable[str] = ()) -> Rated:
    """The severity of one advisory group (its ids and every record known for them). `own` names the
    records that matched the pin: a label of their own wins over an alias record's."""
    ids = sorted(set(ids))
    recs = list(records)
    mine = set(own)
    mal = [i for i in ids if i.startswith("MAL-")]
    if mal:
        return Rated(severity=Severity.CRITICAL, source=f"malicious package ({mal[0]})")
    for wanted_own in (True, False):
        best: tuple[Severity, str] | None = None
        for rec in recs:
            if mine and (str(rec.get("id")) in mine) is not wanted_own:
                continue
            found = _label(rec)
            if found is not None and (best is None or found[0].rank > best[0].rank):
                best = found
        if best is not None:
            alias = "" if wanted_own or not mine else " (an alias in the same database)"
            return Rated(severity=best[0], source=best[1] + alias)
        if not mine:
            break
    top: tuple[float, str] | None = None
    for rec in recs:
        for kind, vector in _vectors(rec):
            score = cvss_score(kind, vector)
            if score is not None and (top is None or score > top[0]):
                top = (score, f"{kind} base score {score:.1f} on {str(rec.get('id'))[:80]}")
    if top is not None:
        return Rated(severity=band(top[0]), source=top[1], score=top[0])
    return Rated(severity=None, source="no severity published (no GitHub label, no CVSS vector)")
