"""The one upgrade that fixes a vulnerable pin: the lowest version, among those the advisory records name,
that none of the pin's advisories affects.

The candidates are every valid version the package's active records name (`versions` lists and range
events): released versions the database knows, not guesses. Each candidate above the pin is judged by
the same OSV matcher as the pin itself (`match_compiled`: ECOSYSTEM ranges with `packaging` versions,
explicit `versions`), so "fixes all of them" means exactly what "is affected" means. Final releases are
preferred; pre-releases are considered only when no final release fixes everything (or when the pin is
a pre-release itself). Local versions (`+local`) are never suggested.
"""

from __future__ import annotations

import bisect
import operator
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from packaging.version import Version

from readiness.gates.deps.osv_offline import Matcher, match_compiled


@dataclass(frozen=True, slots=True, kw_only=True)
class Remedy:
    """The upgrade that fixes a set of advisories on one pin."""

    fix: Version | None
    """The lowest candidate above the pin that none of the advisories affects."""
    fix_in_line: Version | None
    """The lowest such candidate in the pin's release line (equal to `fix` when `fix` is in that line)."""
    clean: Version | None = None
    """When `fix` is affected by some other advisory of the package: the lowest candidate affected by none."""


def release_line(version: Version) -> tuple[int, ...]:
    """Epoch, major and minor: `5.2.1` and `5.2.16` share a line, `5.1.9` does not."""
    release = (*version.release, 0)[:2]
    return (version.epoch, *release)


_NO_RAW = "\x00"
"""A candidate is a valid version: its canonical text can only equal a listed string that parses to it, which
the version comparison already finds, so the string comparison is skipped (and `str()` is not paid for)."""


def affected(matchers: Iterable[Matcher], name: str, version: Version) -> bool:
    """True when any of the records affects `name` at `version` (a valid version)."""
    return any(match_compiled(m, name, version, _NO_RAW).affected for m in matchers)


_SORT_KEY: Callable[[Version], Any] | None = operator.attrgetter("_key") if hasattr(Version("1"), "_key") else None
"""`Version`'s own comparison key: sorting by it compares tuples in C instead of calling `__lt__` for every
pair (the order is the same by construction)."""


@dataclass(frozen=True, slots=True)
class Candidates:
    """A package's known versions, sorted once: every pin of the package takes its tiers by bisection."""

    every: list[Version]
    """All known versions, ascending."""

    @classmethod
    def of(cls, known: Iterable[Version]) -> Candidates:
        return cls(every=sorted(known, key=_SORT_KEY))

    def above(self, version: Version) -> list[list[Version]]:
        """The candidates above `version`, ascending, in tiers: final releases first, then everything
        (only everything when the pin is a pre-release itself). Local versions are never candidates."""
        every = [v for v in self.every[bisect.bisect_right(self.every, version):] if v.local is None]
        if version.is_prerelease:
            return [every]
        final = [v for v in every if not v.is_prerelease]
        return [final, every] if len(final) != len(every) else [final]


def candidates_above(version: Version, known: Iterable[Version]) -> list[list[Version]]:
    """The candidates above `version`, ascending, in tiers: final releases first, then everything."""
    return Candidates.of(known).above(version)


def floor(matchers: Iterable[Matcher], name: str, version: Version) -> tuple[Version | None, Version | None]:
    """What no fix can be below: the highest `fixed` end (a fix is at or above it) and the highest
    `last_affected` end (a fix is above it) of the ranges that hold `version`. Every version from the pin
    up to there lies in one of those ranges, so the search for a fix starts there."""
    fixed: Version | None = None
    last: Version | None = None
    for m in matchers:
        for aff in m:
            if aff.name != name:
                continue
            for start, end, kind, _raw in aff.intervals:
                if end is None or (start is not None and version < start):
                    continue
                if kind == "fixed" and version < end:
                    fixed = end if fixed is None or end > fixed else fixed
                elif kind == "last_affected" and version <= end:
                    last = end if last is None or end > last else last
    return fixed, last


def _from_floor(tier: Sequence[Version], bounds: tuple[Version | None, Version | None]) -> Sequence[Version]:
    fixed, last = bounds
    start = 0
    if fixed is not None:
        start = bisect.bisect_left(tier, fixed)
    if last is not None:
        start = max(start, bisect.bisect_right(tier, last))
    return tier[start:] if start else tier


Tiers = Sequence[Sequence[Version]] | Callable[[], Sequence[Sequence[Version]]]
"""The candidate tiers, or a function that builds them (only called when the floor alone does not decide)."""


def lowest_unaffected(tiers: Tiers, name: str, matchers: Sequence[Matcher],
                      pin: Version | None = None) -> Version | None:
    """The first candidate (tier by tier) that none of `matchers` affects (from the `floor` of `pin`).

    Usually that is the floor itself: the highest `fixed` version of the ranges holding the pin, when it
    is a final release (or the pin is not) that no record affects; every candidate below it is affected,
    so it is the answer without sorting the package's versions. Otherwise the candidates are scanned from
    the floor up; the record that rejected the last candidate is tried first on the next one (it usually
    rejects that too), so a pin with dozens of advisories costs about one match per candidate."""
    order = list(matchers)
    bounds = floor(order, name, pin) if pin is not None else (None, None)
    fixed, last = bounds
    if (pin is not None and fixed is not None and fixed > pin and (last is None or fixed > last)
            and fixed.local is None and (pin.is_prerelease or not fixed.is_prerelease)
            and not affected(order, name, fixed)):
        return fixed
    for tier in (tiers() if callable(tiers) else tiers):
        for candidate in _from_floor(tier, bounds):
            for i, m in enumerate(order):
                if match_compiled(m, name, candidate, _NO_RAW).affected:
                    if i:
                        order.insert(0, order.pop(i))
                    break
            else:
                return candidate
    return None


def remedy(name: str, version: Version, matchers: Sequence[Matcher], tiers: Tiers,
           every: Sequence[Matcher] | None = None, *, each: Sequence[Version | None] | None = None) -> Remedy:
    """The lowest version fixing every advisory in `matchers` (each advisory's records), its release-line
    twin, and, when `every` (all active records of the package) is given and the fix is itself affected by
    one of them, the lowest version with no known advisory. `tiers` is `candidates_above(version, ...)`.

    `each`, when given, holds every advisory's own lowest fix: the fix for all of them is at least the
    highest of those (each one is the lowest candidate its advisory does not affect), so when all are final
    releases (or the pin is not one) and none of the records affects the highest, that is the answer."""
    fix: Version | None = None
    if each and all(f is not None for f in each):
        top = max(f for f in each if f is not None)
        if (version.is_prerelease or not any(f.is_prerelease for f in each if f is not None)) \
                and not affected(matchers, name, top):
            fix = top
    if fix is None:
        fix = lowest_unaffected(tiers, name, matchers, version)
    if fix is None:
        return Remedy(fix=None, fix_in_line=None)
    in_line = fix if release_line(fix) == release_line(version) else None
    clean = None
    mine = {id(m) for m in matchers}
    others = [m for m in every or () if id(m) not in mine]  # the pin's own records do not affect `fix`
    if others and affected(others, name, fix):
        above = tiers() if callable(tiers) else tiers
        clean = lowest_unaffected([[v for v in tier if v > fix] for tier in above], name, every or ())
    return Remedy(fix=fix, fix_in_line=in_line, clean=clean)
