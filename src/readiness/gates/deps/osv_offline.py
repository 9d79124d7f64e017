"""An OSV directory (one JSON record per file) as an offline vulnerability database.

Why over 500 lines: the pre-scan index, its cache and the OSV range matching are one contract
(what a record says about a version); kept together so the matching rules are read in one place.

Loading is a cheap pre-scan, not a parse: each file's bytes are searched for `"name": "…"` strings,
which gives, per canonical package name, the few files that can concern it. The index (names → files)
is cached in a private temp directory keyed by every record's path, size and mtime (a stat, not a read),
so a second run does not read the files. Records are parsed only when a dependency of that name is
audited, once each.

Matching follows the OSV spec for the PyPI ecosystem with `packaging.version` (never SpecifierSet):
`ECOSYSTEM` ranges with events sorted by version (out-of-order data exists), `introduced: "0"`,
`fixed`, `last_affected`; explicit `versions` by PEP 440 equality, else string equality; withdrawn
records skipped; `GIT` ranges ignored; invalid versions in the data noted, never fatal.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import stat
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from readiness.gates.deps.jsonvals import as_list
from readiness.gates.deps.severity import Rated, rate

MAX_RECORD_BYTES = 4 * 1024 * 1024
MAX_FILES = 2_000_000
MAX_DEPTH = 4
NEWEST_KEPT = 32
"""How many of the latest `modified` timestamps the index keeps (see LoadStats.newest)."""
_CACHE_FORMAT = 3
_NAME_RE = re.compile(rb'"name"\s*:\s*"([^"\\\n]{1,200})"')
_MODIFIED_RE = re.compile(rb'"modified"\s*:\s*"([0-9][0-9T:.+Z-]{9,40})"')
"""An OSV `modified` timestamp (RFC 3339), found by the same cheap pre-scan as the names."""
_ORDER = {"introduced": 0, "last_affected": 1, "fixed": 2}


class DatabaseError(Exception):
    """The directory cannot serve as an OSV database; the message says why."""


@lru_cache(maxsize=65536)
def _canonical(raw: bytes) -> str:
    """A package name found by the pre-scan, canonical (names repeat across thousands of records)."""
    return canonicalize_name(raw.decode("utf-8", "replace"))


@lru_cache(maxsize=65536)
def parse_version(text: str) -> Version | None:
    """A PEP 440 version, or None (invalid, or absurd: a plain ValueError is caught too)."""
    try:
        return Version(text)
    except (InvalidVersion, ValueError, TypeError):
        return None


@dataclass(frozen=True, slots=True, kw_only=True)
class Vulnerability:
    """One advisory group (an id and its aliases) affecting one pinned version."""

    id: str
    """Primary id: PYSEC first, then GHSA, then others."""
    aliases: tuple[str, ...]
    """The other ids of the group, sorted."""
    fixed: tuple[str, ...]
    """Fixed versions above the pinned one, from the ranges that contain it (sorted)."""
    severity: Rated
    """Severity and its source."""
    summary: str = ""
    """One line from the record."""
    last_affected: tuple[str, ...] = ()
    """`last_affected` bounds when no fix is listed."""
    matchers: tuple[Matcher, ...] = ()
    """Every record of the group in matchable form: what decides whether a later version is fixed."""

    @property
    def ids(self) -> tuple[str, ...]:
        """Primary id and aliases."""
        return (self.id, *self.aliases)


@dataclass(slots=True)
class Match:
    """How one record matches one version."""

    affected: bool = False
    fixed: set[str] = field(default_factory=set)
    last_affected: set[str] = field(default_factory=set)


def _event_key(item: tuple[Version | None, str, str]) -> tuple[int, Version, int]:
    ver, kind, _raw = item
    return (0 if ver is None else 1, ver or _ZERO, _ORDER.get(kind, 3))


_ZERO = Version("0")
Interval = tuple[Version | None, Version | None, str, str]


@dataclass(frozen=True, slots=True)
class Affected:
    """One `affected` entry, pre-parsed: versions parsed once, events sorted into intervals."""

    name: str
    listed: frozenset[Version]
    listed_raw: frozenset[str]
    intervals: tuple[Interval, ...]
    fixed_values: tuple[tuple[Version, str], ...]
    notes: tuple[str, ...]
    events: frozenset[Version] = frozenset()
    """The valid versions of its ECOSYSTEM events (but `introduced: 0`); with `listed`, every version it names."""


Matcher = tuple[Affected, ...]
"""One record in matchable form: its PyPI `affected` entries."""


def compile_record(record: dict[str, Any]) -> Matcher:
    """The record's PyPI `affected` entries in matchable form (invalid versions become notes)."""
    out = []
    for aff in as_list(record.get("affected")):
        if not isinstance(aff, dict):
            continue
        pkg = aff.get("package") or {}
        if not isinstance(pkg, dict) or str(pkg.get("ecosystem", "")).split(":")[0] != "PyPI":
            continue
        listed_raw = frozenset(v for v in as_list(aff.get("versions")) if isinstance(v, str))
        listed = frozenset(pv for v in listed_raw if (pv := parse_version(v)) is not None)
        intervals: list[Interval] = []
        fixed_values: list[tuple[Version, str]] = []
        notes: list[str] = []
        known: set[Version] = set()
        for rng in as_list(aff.get("ranges")):
            if not isinstance(rng, dict) or rng.get("type") != "ECOSYSTEM":
                continue  # GIT (and SEMVER, not used by PyPI) ranges are not version ranges here
            events: list[tuple[Version | None, str, str]] = []
            for event in as_list(rng.get("events")):
                if not isinstance(event, dict):
                    continue
                for kind, value in event.items():
                    if kind not in _ORDER or not isinstance(value, str):
                        continue
                    if kind == "introduced" and value == "0":
                        events.append((None, kind, value))
                        continue
                    ev = parse_version(value)
                    if ev is None:
                        notes.append(f"{record.get('id')}: {kind} {value[:60]!r} is not a PEP 440 version; "
                                     "that bound was ignored (the range stays open)")
                        continue
                    if kind == "fixed":
                        fixed_values.append((ev, value))
                    known.add(ev)
                    events.append((ev, kind, value))
            events.sort(key=_event_key)
            intervals.extend(_intervals(events))
        out.append(Affected(name=canonicalize_name(str(pkg.get("name", ""))), listed=listed,
                             listed_raw=listed_raw, intervals=tuple(intervals),
                             fixed_values=tuple(fixed_values), notes=tuple(notes), events=frozenset(known)))
    return tuple(out)


def match_compiled(compiled: Matcher, name: str, version: Version, raw: str,
                   notes: list[str] | None = None) -> Match:
    """Does a compiled record affect `name` at `version`?"""
    m = Match()
    for aff in compiled:
        if aff.name != name:
            continue
        if notes is not None:
            notes.extend(aff.notes)
        for start, end, end_kind, end_raw in aff.intervals:
            if start is not None and version < start:
                continue
            if end is not None and (version >= end if end_kind == "fixed" else version > end):
                continue
            m.affected = True
            if end_kind == "fixed":
                m.fixed.add(end_raw)
            elif end_kind == "last_affected":
                m.last_affected.add(end_raw)
        if version in aff.listed or raw in aff.listed_raw:
            m.affected = True
            if not m.fixed:
                m.fixed.update(r for v, r in aff.fixed_values if v > version)
    return m


def evaluate(record: dict[str, Any], name: str, version: Version, raw: str,
             notes: list[str] | None = None) -> Match:
    """Does `record` affect `name` at `version`? (`raw` is the version as written, for string equality.)"""
    return match_compiled(compile_record(record), name, version, raw, notes)


def _intervals(events: list[tuple[Version | None, str, str]]) -> Iterable[Interval]:
    open_, start = False, None
    for ver, kind, raw in events:
        if kind == "introduced":
            if not open_:
                open_, start = True, ver
        elif open_:
            yield start, ver, kind, raw
            open_ = False
    if open_:
        yield start, None, "", ""


def _id_rank(vid: str) -> tuple[int, str]:
    for i, prefix in enumerate(("PYSEC-", "GHSA-", "CVE-", "MAL-")):
        if vid.startswith(prefix):
            return (i, vid)
    return (9, vid)


def _cache_dir() -> Path | None:
    """A private per-user directory under the temp dir; None when it is not safe to use."""
    uid = os.getuid() if hasattr(os, "getuid") else 0
    path = Path(tempfile.gettempdir()) / f"readiness-gates-{uid}"
    try:
        path.mkdir(mode=0o700, exist_ok=True)
        st = os.lstat(path)
    except OSError:
        return None
    if not stat.S_ISDIR(st.st_mode) or (hasattr(os, "getuid") and st.st_uid != uid) or st.st_mode & 0o022:
        return None
    return path


@dataclass(slots=True)
class LoadStats:
    """How the database was loaded (for the report and the benchmark)."""

    files: int = 0
    names: int = 0
    seconds: float = 0.0
    from_cache: bool = False
    parsed: int = 0
    newest: tuple[str, ...] = ()
    """The latest `modified` timestamps of the records, ascending (a few: one in the future is a data error
    and must not make a stale database look fresh)."""


def database_age(newest: Sequence[str], now: datetime) -> tuple[float, str] | None:
    """Days since the newest record's `modified` time that is not in the future (a record dated next year
    is a data error, not freshness), and that time; None when no record has a usable one."""
    for text in reversed(newest):
        try:
            stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            continue
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=UTC)
        if stamp <= now + timedelta(days=1):
            return max(0.0, (now - stamp).total_seconds() / 86400), text
    return None


class OsvDatabase:
    """An OSV directory, indexed by canonical package name."""

    def __init__(self, root: Path, *, use_cache: bool = True, cache_dir: Path | None = None) -> None:
        self.root = root
        self._root_text = str(root)
        self.use_cache = use_cache
        self._cache_dir = cache_dir
        self._by_name: dict[str, list[str]] = {}
        self._by_id: dict[str, str] = {}
        self._parsed: dict[str, dict[str, Any] | None] = {}
        self._compiled: dict[str, Matcher] = {}
        self._newest: list[str] = []
        self.stats = LoadStats()
        self.notes: list[str] = []
        self._loaded = False

    # loading ----------------------------------------------------------------------------
    def load(self) -> OsvDatabase:
        """Build (or reuse) the name index. DatabaseError when the directory is unusable."""
        if self._loaded:
            return self
        start = time.perf_counter()
        try:
            st = os.stat(self.root)
        except OSError as exc:
            raise DatabaseError(f"offline database {self.root} cannot be read: {exc.strerror}") from None
        if not stat.S_ISDIR(st.st_mode):
            raise DatabaseError(f"offline database {self.root} is not a directory")
        sigs: list[str] = []
        files = self._walk(sigs)
        signature = hashlib.sha256("\n".join(sorted(sigs)).encode("utf-8", "surrogateescape")).hexdigest()
        cached = self._read_cache(signature) if self.use_cache else None
        if cached is None:
            self._prescan(files)
            if self.use_cache:
                self._write_cache(signature)
        self.stats.files = len(self._by_id)
        self.stats.names = len(self._by_name)
        self.stats.newest = tuple(self._newest)
        self.stats.seconds = time.perf_counter() - start
        if not self._by_id:
            raise DatabaseError(f"offline database {self.root} holds no OSV *.json records")
        self._loaded = True
        return self

    def _walk(self, sigs: list[str]) -> list[str]:
        """Every record file; `sigs` gets one `path size mtime` line per file, so the cached index
        is reused only when no record was added, removed, renamed or rewritten."""
        found: list[str] = []
        stack: list[tuple[str, int]] = [("", 0)]
        while stack:
            rel, depth = stack.pop()
            base = self.root / rel if rel else self.root
            try:
                entries = list(os.scandir(base))
            except OSError:
                continue
            for entry in entries:
                erel = f"{rel}/{entry.name}" if rel else entry.name
                if entry.is_dir(follow_symlinks=False):
                    if depth < MAX_DEPTH and not entry.name.startswith("."):
                        stack.append((erel, depth + 1))
                elif (entry.name.endswith(".json") and not entry.name.startswith(".")
                      and entry.is_file(follow_symlinks=False)):
                    found.append(erel)
                    try:
                        st = entry.stat(follow_symlinks=False)
                        sigs.append(f"{erel}\0{st.st_size}\0{st.st_mtime_ns}")
                    except OSError:
                        sigs.append(f"{erel}\0?")
                    if len(found) >= MAX_FILES:
                        return found
        return found

    def _prescan(self, files: list[str]) -> None:
        stamps: set[bytes] = set()
        for rel in files:
            vid = rel.rsplit("/", 1)[-1][:-5]
            self._by_id.setdefault(vid, rel)
            data = self._read(rel)
            if data is None:
                continue
            names = {_canonical(n) for n in set(_NAME_RE.findall(data))}
            for n in names:
                self._by_name.setdefault(n, []).append(rel)
            at = data.find(b'"modified"')  # a record has one (top-level) `modified`; find() beats a regex scan
            stamp = _MODIFIED_RE.match(data, at) if at >= 0 else None
            if stamp is not None:
                stamps.add(stamp.group(1))
        self._newest = [s.decode("ascii") for s in sorted(stamps)[-NEWEST_KEPT:]]

    def _read(self, rel: str) -> bytes | None:
        """The record's bytes (at most the cap + 1). os.open/os.read, not pathlib and a buffered file: this
        runs once per record on a cold load, thousands of times."""
        try:
            fd = os.open(os.path.join(self._root_text, rel), os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            return None
        try:
            chunks = []
            size = 0
            while size <= MAX_RECORD_BYTES:
                chunk = os.read(fd, MAX_RECORD_BYTES + 1 - size)
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
            data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        except OSError:
            return None
        finally:
            os.close(fd)
        if len(data) > MAX_RECORD_BYTES:
            self.notes.append(f"{rel}: record over {MAX_RECORD_BYTES:,} bytes; skipped")
            return None
        return data

    def _cache_path(self) -> Path | None:
        cdir = self._cache_dir or _cache_dir()
        if cdir is None:
            return None
        key = hashlib.sha256(str(self.root.resolve()).encode()).hexdigest()[:24]
        return cdir / f"osv-index-{key}.json"

    def _read_cache(self, signature: str) -> dict[str, Any] | None:
        path = self._cache_path()
        if path is None:
            return None
        try:
            doc = json.loads(path.read_bytes())
        except (OSError, ValueError):
            return None
        if not isinstance(doc, dict) or doc.get("format") != _CACHE_FORMAT or doc.get("signature") != signature:
            return None
        by_name, by_id, newest = doc.get("names"), doc.get("ids"), doc.get("newest")
        if (not isinstance(by_name, dict) or not isinstance(by_id, dict) or not isinstance(newest, list)
                or not all(isinstance(n, str) for n in newest)):
            return None
        self._by_name, self._by_id, self._newest = by_name, by_id, newest
        self.stats.from_cache = True
        return doc

    def _write_cache(self, signature: str) -> None:
        path = self._cache_path()
        if path is None:
            return
        payload = json.dumps({"format": _CACHE_FORMAT, "root": str(self.root.resolve()), "signature": signature,
                              "names": self._by_name, "ids": self._by_id, "newest": self._newest}).encode()
        try:
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".osv-index-")
            with os.fdopen(fd, "wb") as fh:
                fh.write(payload)
            os.replace(tmp, path)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(tmp)

    # lookups ----------------------------------------------------------------------------
    def record(self, vid: str) -> dict[str, Any] | None:
        """The record with this id (parsed once), or None."""
        rel = self._by_id.get(vid)
        return self._parse(rel) if rel is not None else None

    def _parse(self, rel: str) -> dict[str, Any] | None:
        if rel in self._parsed:
            return self._parsed[rel]
        data = self._read(rel)
        doc: dict[str, Any] | None = None
        if data is not None:
            try:
                loaded = json.loads(data)
            except (ValueError, RecursionError):
                self.notes.append(f"{rel}: not valid JSON; skipped")
                loaded = None
            if isinstance(loaded, dict) and isinstance(loaded.get("id"), str):
                doc = loaded
        self._parsed[rel] = doc
        self.stats.parsed += 1
        return doc

    def records_for(self, name: str) -> list[dict[str, Any]]:
        """Every record whose text names `name` (a superset of the affected ones)."""
        self.load()
        out = []
        for rel in self._by_name.get(canonicalize_name(name), ()):
            doc = self._parse(rel)
            if doc is not None:
                out.append(doc)
        return out

    def compiled(self, record: dict[str, Any]) -> Matcher:
        """The record in matchable form (compiled once per id)."""
        rid = str(record["id"])
        matcher = self._compiled.get(rid)
        if matcher is None:
            matcher = self._compiled[rid] = compile_record(record)
        return matcher

    def package_matchers(self, name: str) -> list[Matcher]:
        """Every active (not withdrawn) record that concerns `name`, in matchable form."""
        name = canonicalize_name(name)
        out = []
        for rec in self.records_for(name):
            if rec.get("withdrawn"):
                continue
            matcher = self.compiled(rec)
            if any(a.name == name for a in matcher):
                out.append(matcher)
        return out

    def known_versions(self, name: str) -> set[Version]:
        """Every valid version of `name` that the active records name: the candidates for an upgrade."""
        name = canonicalize_name(name)
        out: set[Version] = set()
        for m in self.package_matchers(name):
            for a in m:
                if a.name == name:
                    out |= a.listed
                    out |= a.events
        return out

    def audit(self, name: str, version: str, *, notes: list[str] | None = None) -> list[Vulnerability]:
        """Advisory groups affecting `name==version` (withdrawn records skipped, aliases merged)."""
        v = parse_version(version)
        if v is None:
            return []
        name = canonicalize_name(name)
        hits: list[tuple[dict[str, Any], Match]] = []
        for rec in self.records_for(name):
            if rec.get("withdrawn"):
                continue
            m = match_compiled(self.compiled(rec), name, v, version, notes)
            if m.affected:
                hits.append((rec, m))
        return self.group(name, v, hits)

    def group(self, name: str, version: Version,
              hits: list[tuple[dict[str, Any], Match]]) -> list[Vulnerability]:
        """Merge hits whose ids overlap (PYSEC/GHSA/CVE aliases) into one Vulnerability each."""
        groups: list[tuple[set[str], list[tuple[dict[str, Any], Match]]]] = []
        for rec, m in hits:
            ids = {str(rec["id"]), *(a for a in as_list(rec.get("aliases")) if isinstance(a, str))}
            merged = [g for g in groups if g[0] & ids]
            for g in merged:
                groups.remove(g)
                ids |= g[0]
            members = [h for g in merged for h in g[1]] + [(rec, m)]
            groups.append((ids, members))
        out = []
        for ids, members in groups:
            primary = min((str(r["id"]) for r, _ in members), key=_id_rank)
            known = {str(r["id"]) for r, _ in members}
            extra = [ar for i in sorted(ids - known) if (ar := self.record(i)) is not None]
            fixed = sorted({f for _, m in members for f in m.fixed}, key=lambda s: parse_version(s) or version)
            last = sorted({f for _, m in members for f in m.last_affected})
            summary = next((str(r.get("summary") or "") for r, _ in members if r.get("summary")), "")
            out.append(Vulnerability(
                id=primary, aliases=tuple(sorted(ids - {primary}, key=_id_rank)), fixed=tuple(fixed),
                severity=rate(ids, [r for r, _ in members] + extra, own=known), summary=summary.splitlines()[0][:200]
                if summary else "", last_affected=tuple(last),
                matchers=tuple(self.compiled(r) for r in [r for r, _ in members] + extra if not r.get("withdrawn"))))
        return sorted(out, key=lambda x: _id_rank(x.id))
