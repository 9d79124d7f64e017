"""Findings about how dependencies are declared: unpinned, direct references, missing hashes,
invalid lines, unreadable files and lock files out of step with pyproject.toml."""

from __future__ import annotations

import posixpath

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from readiness.gates.deps.locks import is_lock
from readiness.gates.deps.model import KIND_LOCK, KIND_PYPROJECT, KIND_REQUIREMENT, Dependency, Parsed
from readiness.gates.deps.osv_offline import parse_version
from readiness.gates.deps.rules import (
    DIRECT_REFERENCE,
    INVALID_REQUIREMENT,
    MISSING_HASHES,
    STALE_LOCKFILE,
    UNPINNED_REQUIREMENT,
    UNREADABLE_FILE,
)
from readiness.model import Finding, Location

_SELF_REFS = {".", "./", "file:.", "file:./"}


def hygiene(parsed: Parsed, *, require_lock: bool) -> list[Finding]:
    """Every declaration finding for the parsed files."""
    out: list[Finding] = []
    for p in parsed.problems:
        handle = UNREADABLE_FILE if p.unreadable else INVALID_REQUIREMENT
        out.append(handle.finding(Location(path=p.path, line=p.line), message=p.message, evidence=p.evidence))
    has_lock = any(is_lock(f) for f in parsed.files)
    pinned_names = {d.name for d in parsed.deps if d.pinned}
    for d in parsed.deps:
        loc = Location(path=d.source, line=d.line)
        if d.url is not None and d.kind != KIND_LOCK:
            if d.url.strip().rstrip("/") in {s.rstrip("/") for s in _SELF_REFS} or d.url.strip() == ".":
                continue
            what = "an editable " if d.editable else "a "
            out.append(DIRECT_REFERENCE.finding(
                loc, message=f"{d.name} is installed from {what}direct reference ({d.url[:120]}), not from an "
                             "index, so it cannot be audited.", evidence=d.evidence))
            continue
        if (d.kind == KIND_REQUIREMENT and parsed.hashed_files.get(d.source) and not d.hashed
                and not d.editable):
            out.append(MISSING_HASHES.finding(
                loc, message=f"{d.name} has no --hash while other requirements in {d.source} do.",
                evidence=d.evidence))
        if (require_lock and not has_lock and d.version is None and d.name not in pinned_names
                and (d.kind == KIND_REQUIREMENT or (d.kind == KIND_PYPROJECT and d.source in parsed.applications))):
            spec = d.specifier or "any version"
            out.append(UNPINNED_REQUIREMENT.finding(
                loc, message=f"{d.name} is not pinned ({spec}) and no lock file fixes its version.",
                evidence=d.evidence))
    out.extend(_stale_locks(parsed))
    return out


def _stale_locks(parsed: Parsed) -> list[Finding]:
    out: list[Finding] = []
    by_source: dict[str, list[Dependency]] = {}
    for d in parsed.deps:
        if d.kind == KIND_PYPROJECT:
            by_source.setdefault(d.source, []).append(d)
    for lock, names in sorted(parsed.lock_names.items()):
        folder = posixpath.dirname(lock)
        project = posixpath.join(folder, "pyproject.toml") if folder else "pyproject.toml"
        lock_base = lock.rsplit("/", 1)[-1]
        for d in by_source.get(project, ()):
            if d.url is not None or d.marker:
                continue
            if lock_base.startswith("pylock") and d.group is not None:
                continue  # a pylock file may be exported for the main dependencies only
            loc = Location(path=d.source, line=d.line)
            if d.name not in names:
                out.append(STALE_LOCKFILE.finding(
                    loc, message=f"{d.name} is declared in {project} but missing from {lock}; the lock is out "
                                 "of date.", evidence=f"{lock} missing {d.name}"))
                continue
            locked = names[d.name]
            wanted = d.version and f"=={d.version}" or d.specifier or ""
            lv = parse_version(locked) if locked else None
            if lv is None or not wanted:
                continue
            try:
                spec = SpecifierSet(wanted)
            except InvalidSpecifier:
                continue  # Poetry's ^ and ~ constraints: only presence is checked
            if not spec.contains(lv, prereleases=True):
                out.append(STALE_LOCKFILE.finding(
                    loc, message=f"{lock} locks {d.name} at {locked}, outside {wanted} declared in {project}; "
                                 "the lock is out of date.", evidence=f"{lock} {d.name} {locked} {wanted}"))
    return out
