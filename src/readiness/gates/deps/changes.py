"""What a pull request did to its dependencies, per file: added, removed, upgraded, downgraded, changed.

Compared per (file, package) between the base and the head parse, like a dependency review: a package
pinned `6.1` on the base and `5.2.1` in the PR is a downgrade in that file; a constraint or URL that
changes is `changed`. Versions are compared as `packaging` versions, so `1.0` → `1.0.0` is no change.
Which advisories a change brings or removes is filled in by the gate once the versions are audited.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from packaging.utils import canonicalize_version

from readiness.gates.deps.model import Dependency, Parsed
from readiness.gates.deps.osv_offline import parse_version
from readiness.model import ChangeKind

_ORDER = {ChangeKind.DOWNGRADED: 0, ChangeKind.ADDED: 1, ChangeKind.UPGRADED: 2, ChangeKind.CHANGED: 3,
          ChangeKind.REMOVED: 4}


@dataclass(frozen=True, slots=True, kw_only=True)
class RawChange:
    """One change before its advisories are known."""

    kind: ChangeKind
    name: str
    path: str
    line: int | None
    old: str | None
    new: str | None
    old_pin: str | None
    """The single exact version on the base, when there is one (what the audit compares)."""
    new_pin: str | None
    """The single exact version in the PR, when there is one."""


def declared(d: Dependency) -> str:
    """How a declaration reads in a change: its version, else its URL, else its constraint (`*` for none)."""
    if d.version is not None and d.url is None:
        return d.version
    if d.url is not None:
        return d.url
    return d.specifier or "*"


def _by_file(deps: Iterable[Dependency]) -> dict[tuple[str, str], list[Dependency]]:
    out: dict[tuple[str, str], list[Dependency]] = {}
    for d in deps:
        out.setdefault((d.source, d.name), []).append(d)
    return out


def _single_pin(decls: list[Dependency]) -> str | None:
    pins = {d.version for d in decls if d.pinned and d.version is not None}
    return next(iter(pins)) if len(pins) == 1 and all(d.pinned for d in decls) else None


def _shown(decls: list[Dependency]) -> str:
    return ", ".join(sorted(dict.fromkeys(declared(d) for d in decls)))


def _same(old: list[Dependency], new: list[Dependency]) -> bool:
    def norm(decls: list[Dependency]) -> set[str]:
        out = set()
        for d in decls:
            v = parse_version(d.version) if d.pinned and d.version is not None else None
            out.add(canonicalize_version(v) if v is not None else declared(d))
        return out

    return norm(old) == norm(new)


def raw_changes(head: Parsed, base: Parsed) -> list[RawChange]:
    """Every per-file change between `base` and `head`, downgrades first."""
    hb, bb = _by_file(head.deps), _by_file(base.deps)
    out: list[RawChange] = []
    for key in sorted(set(hb) | set(bb)):
        path, name = key
        new, old = hb.get(key), bb.get(key)
        if new and not old:
            out.append(RawChange(kind=ChangeKind.ADDED, name=name, path=path, line=new[0].line, old=None,
                                 new=_shown(new), old_pin=None, new_pin=_single_pin(new)))
        elif old and not new:
            out.append(RawChange(kind=ChangeKind.REMOVED, name=name, path=path, line=None, old=_shown(old),
                                 new=None, old_pin=_single_pin(old), new_pin=None))
        elif old and new and not _same(old, new):
            old_pin, new_pin = _single_pin(old), _single_pin(new)
            kind = ChangeKind.CHANGED
            ov = parse_version(old_pin) if old_pin else None
            nv = parse_version(new_pin) if new_pin else None
            if ov is not None and nv is not None and ov != nv:
                kind = ChangeKind.UPGRADED if nv > ov else ChangeKind.DOWNGRADED
            out.append(RawChange(kind=kind, name=name, path=path, line=new[0].line, old=_shown(old),
                                 new=_shown(new), old_pin=old_pin, new_pin=new_pin))
    out.sort(key=lambda c: (_ORDER[c.kind], c.path, c.name))
    return out
