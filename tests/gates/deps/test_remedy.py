"""The version that fixes every advisory of a pin, checked by an independent matcher.

The matcher below reads the raw JSON records itself and evaluates them with the OSV specification's
own algorithm (a sweep over the sorted events, https://ossf.github.io/osv-schema/#evaluation), not with
the gate's interval compiler. Over the versions the records name, it confirms for each audited pin that
the named fix is affected by none of the grouped advisories, that every lower candidate is affected by
at least one (so it is the lowest), that the release-line fix is right, and the same for each
advisory's own fix.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from readiness.gates.deps.gate import _Fixer, vulnerable_package
from readiness.gates.deps.osv_offline import OsvDatabase
from readiness.gates.deps.remedy import release_line
from readiness.model import Severity, VulnerablePackage

Record = dict[str, Any]
_ORDER = {"introduced": 0, "last_affected": 1, "fixed": 2}


@cache
def _v(text: str) -> Version | None:
    try:
        return Version(text)
    except (InvalidVersion, ValueError):
        return None


class Oracle:
    """Raw records, indexed by id and by package, straight from the JSON files."""

    def __init__(self, root: Path) -> None:
        self.by_id: dict[str, Record] = {}
        self.by_package: dict[str, list[Record]] = {}
        self._pools: dict[str, set[Version]] = {}
        for path in sorted(root.rglob("*.json")):
            rec = json.loads(path.read_bytes())
            self.by_id[rec["id"]] = rec
            for aff in rec.get("affected") or []:
                pkg = aff.get("package") or {}
                if str(pkg.get("ecosystem", "")).split(":")[0] == "PyPI":
                    self.by_package.setdefault(canonicalize_name(pkg.get("name", "")), []).append(rec)

    def active(self, name: str) -> list[Record]:
        return [r for r in {r["id"]: r for r in self.by_package.get(name, [])}.values() if not r.get("withdrawn")]

    def group(self, ids: Iterable[str]) -> list[Record]:
        return [r for i in ids if (r := self.by_id.get(i)) is not None and not r.get("withdrawn")]

    def pool(self, name: str) -> set[Version]:
        """Every valid version the package's active records name (versions lists and range events)."""
        if name in self._pools:
            return self._pools[name]
        out: set[Version] = set()
        for rec in self.active(name):
            for aff in _entries(rec, name):
                out.update(v for s in aff.get("versions") or [] if isinstance(s, str) and (v := _v(s)) is not None)
                for rng in aff.get("ranges") or []:
                    if rng.get("type") != "ECOSYSTEM":
                        continue
                    for event in rng.get("events") or []:
                        for kind, value in event.items():
                            named = kind in _ORDER and isinstance(value, str) and value != "0"
                            if named and (v := _v(value)) is not None:
                                out.add(v)
        self._pools[name] = out
        return out


def _entries(rec: Record, name: str) -> list[dict[str, Any]]:
    return [a for a in rec.get("affected") or []
            if str((a.get("package") or {}).get("ecosystem", "")).split(":")[0] == "PyPI"
            and canonicalize_name((a.get("package") or {}).get("name", "")) == name]


def spec_affected(rec: Record, name: str, version: Version) -> bool:
    """The OSV evaluation, as the specification writes it: listed versions, then a sweep per range."""
    raw = str(version)
    for aff in _entries(rec, name):
        for s in aff.get("versions") or []:
            if s == raw or (isinstance(s, str) and _v(s) == version):
                return True
        for rng in aff.get("ranges") or []:
            if rng.get("type") != "ECOSYSTEM":
                continue
            events: list[tuple[Version | None, int, str]] = []
            for event in rng.get("events") or []:
                for kind, value in event.items():
                    if kind == "introduced" and value == "0":
                        events.append((None, 0, kind))
                    elif kind in _ORDER and isinstance(value, str) and (ev := _v(value)):
                        events.append((ev, _ORDER[kind], kind))
            events.sort(key=lambda e: (e[0] is not None, e[0] or Version("0"), e[1]))
            vulnerable = False
            for ev, _order, kind in events:
                if kind == "introduced" and (ev is None or version >= ev):
                    vulnerable = True
                elif kind == "fixed" and ev is not None and version >= ev:
                    vulnerable = False
                elif kind == "last_affected" and ev is not None and version > ev:
                    vulnerable = False
            if vulnerable:
                return True
    return False


def check_lowest(oracle: Oracle, name: str, pin: Version, group: list[Record], claimed: str | None) -> None:
    """`claimed` is the lowest version in the pool above `pin` that no record of `group` affects
    (final releases first; pre-releases only when no final release qualifies)."""
    def fixes(v: Version) -> bool:
        return not any(spec_affected(r, name, v) for r in group)

    above = sorted(v for v in oracle.pool(name) if v > pin and v.local is None)
    final = [v for v in above if not v.is_prerelease] if not pin.is_prerelease else above
    expected = next((v for v in final if fixes(v)), None)
    if expected is None and final is not above:
        expected = next((v for v in above if fixes(v)), None)
    assert (str(expected) if expected is not None else None) == claimed, (name, str(pin), claimed, expected)


@pytest.fixture(scope="module")
def oracle(osv_dir: Path) -> Oracle:
    return Oracle(osv_dir)


@pytest.fixture(scope="module")
def db(osv_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> OsvDatabase:
    return OsvDatabase(osv_dir, cache_dir=tmp_path_factory.mktemp("osv-cache")).load()


def _sample(oracle: Oracle) -> list[tuple[str, str]]:
    """Well-known pins plus 150 drawn (seeded) from the records' own `versions` lists."""
    rng = random.Random(20261122)
    names = sorted(oracle.by_package)
    pins = [("django", "5.2.1"), ("django", "4.2.0"), ("django", "3.2.5"), ("jinja2", "2.10"), ("pyyaml", "5.3"),
            ("flask", "2.3.0"), ("urllib3", "2.0.3"), ("requests", "2.25.1"), ("pillow", "8.4.0"),
            ("aiohttp", "3.5.3"), ("cryptography", "41.0.2"), ("celery", "5.2.1"), ("werkzeug", "2.2.2")]
    while len(pins) < 163:
        name = rng.choice(names)
        listed = [s for r in oracle.active(name) for a in _entries(r, name) for s in a.get("versions") or []
                  if isinstance(s, str) and _v(s) is not None]
        if listed:
            pins.append((name, rng.choice(listed)))
    return pins


def _audit(db: OsvDatabase, name: str, raw: str) -> VulnerablePackage | None:
    vulns = db.audit(name, raw)
    if not vulns:
        return None
    return vulnerable_package(name, raw, vulns, _Fixer(db), Severity.CRITICAL, None, None)


def test_fix_for_all_is_the_lowest_unaffected_version(db: OsvDatabase, oracle: Oracle) -> None:
    checked = with_fix = 0
    for name, raw in _sample(oracle):
        pkg = _audit(db, name, raw)
        if pkg is None:
            continue
        pin = Version(raw)
        ids = [i for a in pkg.advisories for i in (a.id, *a.aliases)]
        group = oracle.group(ids)
        assert group and any(spec_affected(r, name, pin) for r in group), (name, raw)
        check_lowest(oracle, name, pin, group, pkg.fix)
        if pkg.fix is not None:
            with_fix += 1
            fix = Version(pkg.fix)
            same_line = release_line(fix) == release_line(pin)
            assert pkg.fix_in_line == (pkg.fix if same_line else None)
            if pkg.clean is not None:  # the fix has another advisory: the clean version has none at all
                every = oracle.active(name)
                assert any(spec_affected(r, name, fix) for r in every)
                assert not any(spec_affected(r, name, Version(pkg.clean)) for r in every)
        for adv in pkg.advisories:  # each advisory's own fix, judged the same way
            check_lowest(oracle, name, pin, oracle.group([adv.id, *adv.aliases]), adv.fix)
        checked += 1
    assert checked >= 60 and with_fix >= 40, (checked, with_fix)


def test_django_downgrade_pin_names_one_fix_for_all_32(db: OsvDatabase, oracle: Oracle) -> None:
    pkg = _audit(db, "django", "5.2.1")
    assert pkg is not None and len(pkg.advisories) == 32
    assert pkg.fix == pkg.fix_in_line == "5.2.16"
    assert len({a.id for a in pkg.advisories}) == 32  # every advisory once; aliases are not separate entries
    assert not {a.id for a in pkg.advisories} & {x for a in pkg.advisories for x in a.aliases}
    assert max(Version(a.fix) for a in pkg.advisories if a.fix) == Version("5.2.16")
    group = oracle.group([i for a in pkg.advisories for i in (a.id, *a.aliases)])
    assert not any(spec_affected(r, "django", Version("5.2.16")) for r in group)
    assert any(spec_affected(r, "django", Version("5.2.15")) for r in group)


def test_no_fix_in_the_release_line_names_the_next_line(db: OsvDatabase) -> None:
    pkg = _audit(db, "jinja2", "2.10")
    assert pkg is not None and pkg.fix == "3.1.6" and pkg.fix_in_line is None
