"""The deps gate: find the declared Python dependencies, audit the pinned ones, flag risky declarations,
and (with `--base`) tell what the pull request introduces. The repository is never executed.

Why over 500 lines: the gate's one run (parse, audit pins and ranges, compare with the base) and the
per-package remedy cache it needs are one flow over the same parsed files; splitting it would pass
that state between modules."""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from readiness.config.settings import DepsGateSettings
from readiness.errors import GateError
from readiness.gates.base import GateContext, GateOutcome
from readiness.gates.deps.changes import RawChange, raw_changes
from readiness.gates.deps.discover import dependency_globs, parse_all, select
from readiness.gates.deps.hygiene import hygiene
from readiness.gates.deps.model import Dependency, Parsed
from readiness.gates.deps.osv_offline import (
    DatabaseError,
    Matcher,
    OsvDatabase,
    Vulnerability,
    database_age,
    parse_version,
)
from readiness.gates.deps.remedy import (
    Candidates,
    Remedy,
    candidates_above,
    lowest_unaffected,
    release_line,
    remedy,
)
from readiness.gates.deps.rules import KNOWN_VULNERABILITY, STALE_ADVISORY_DATABASE
from readiness.model import (
    Advisory,
    DependencyChange,
    Finding,
    GateId,
    Item,
    Location,
    Severity,
    VulnerablePackage,
)
from readiness.workspace import FileProblem

MAX_NOTES = 50
_DB_CACHE: dict[Path, OsvDatabase] = {}

Pin = tuple[str, str]


@dataclass(frozen=True, slots=True, kw_only=True)
class Source:
    """Where vulnerabilities come from in this run."""

    service: str
    """`offline`, `osv` or `pypi`."""
    db: OsvDatabase | None
    """The offline directory (also used to rate live results when configured)."""


def offline_database(path: Path) -> OsvDatabase:
    """The OSV directory at `path`, loaded once per process."""
    key = path.resolve()
    db = _DB_CACHE.get(key)
    if db is None:
        db = OsvDatabase(key)
        _DB_CACHE[key] = db
    try:
        return db.load()
    except DatabaseError as exc:
        _DB_CACHE.pop(key, None)
        raise GateError(str(exc)) from None


def choose_source(ctx: GateContext) -> Source:
    """`--offline-db` wins; else `service` (default: offline when `offline_db` is set, else osv)."""
    settings = ctx.config.deps_gate
    configured = settings.offline_db
    path: Path | None = ctx.offline_db
    if path is None and configured:
        if ctx.config.external:  # the runner's own config file may name a runner directory
            p = Path(configured)
            path = p if p.is_absolute() else ctx.workspace.root / p
        else:  # a repository's directory: read by the repository's rules (no link out, nothing in .git/)
            rel = ctx.repo_path(configured, "offline_db")
            try:
                path = ctx.workspace.inside(rel)
            except FileProblem as exc:
                raise GateError(f"gates.deps.offline_db {rel}: {exc.reason}") from None
    service = "offline" if ctx.offline_db is not None else settings.service or ("offline" if path else "osv")
    if service == "offline" and path is None:
        raise GateError("service: offline needs an OSV directory: set gates.deps.offline_db or pass --offline-db")
    return Source(service=service, db=offline_database(path) if path is not None else None)


def audit(pins: list[Pin], source: Source, settings: DepsGateSettings,
          notes: list[str]) -> dict[Pin, list[Vulnerability]]:
    """Vulnerabilities per pin from the chosen source."""
    if not pins:
        return {}
    if source.service == "offline":
        assert source.db is not None
        return {pin: source.db.audit(pin[0], pin[1], notes=notes) for pin in pins}
    from readiness.gates.deps.pip_audit import LiveOptions, live_audit

    opts = LiveOptions(service=source.service, timeout=settings.timeout, osv_url=settings.osv_url)
    return live_audit(pins, opts, source.db)


def _base_parsed(ctx: GateContext, globs: tuple[str, ...]) -> Parsed | None:
    if ctx.changes is None:
        return None
    candidates = select(sorted(set(ctx.workspace.files()) | set(ctx.changes.deleted)), globs)

    texts: dict[str, str | None] = {}

    def cached(rel: str) -> str | None:
        if rel not in texts:
            texts[rel] = ctx.base_text(rel)
        return texts[rel]

    def read_base(rel: str) -> str:
        text = cached(rel)
        if text is None:
            raise FileProblem(rel, "not present on the base")
        return text

    present = [rel for rel in candidates if cached(rel) is not None]
    parsed = parse_all(present, read_base)
    parsed.problems.clear()
    return parsed


def _kept(vulns: list[Vulnerability], ignored: frozenset[str]) -> list[Vulnerability]:
    return [v for v in vulns if not ignored & set(v.ids)]


def _all_ids(vulns: list[Vulnerability]) -> set[str]:
    return {i for v in vulns for i in v.ids}


def _new_to(vulns: list[Vulnerability], before: set[str]) -> list[str]:
    """Primary ids of the advisories in `vulns` that share no id with `before`, worst published severity first."""
    new = [v for v in vulns if not before & set(v.ids)]
    new.sort(key=lambda v: -(v.severity.severity.rank if v.severity.severity is not None else -1))
    return [v.id for v in new]


class _Fixer:
    """Upgrade candidates and remedies, per package, from the database (or, live without one, from the
    records of the advisories themselves)."""

    def __init__(self, db: OsvDatabase | None) -> None:
        self.db = db
        self._known: dict[str, set[Version]] = {}
        self._every: dict[str, list[Matcher]] = {}
        self._candidates: dict[str, Candidates] = {}
        self._tiers: dict[tuple[str, Version], list[list[Version]]] = {}

    def known(self, name: str, vulns: list[Vulnerability]) -> set[Version]:
        if self.db is None:
            out: set[Version] = set()
            for vuln in vulns:
                for m in vuln.matchers:
                    for a in m:
                        if a.name == name:
                            out |= a.listed
                            out |= a.events
            return out
        if name not in self._known:
            self._known[name] = self.db.known_versions(name)
        return self._known[name]

    def every(self, name: str) -> list[Matcher] | None:
        if self.db is None:
            return None
        if name not in self._every:
            self._every[name] = self.db.package_matchers(name)
        return self._every[name]

    def tiers(self, name: str, version: Version, vulns: list[Vulnerability]) -> list[list[Version]]:
        """The upgrade candidates above `version` (computed once per pin)."""
        if self.db is None:
            return candidates_above(version, self.known(name, vulns))
        key = (name, version)
        if key not in self._tiers:
            if name not in self._candidates:
                self._candidates[name] = Candidates.of(self.known(name, vulns))
            self._tiers[key] = self._candidates[name].above(version)
        return self._tiers[key]

    def remedy(self, name: str, version: Version, vulns: list[Vulnerability],
               each: Sequence[Version | None] | None = None) -> Remedy:
        matchers = [m for v in vulns for m in v.matchers]
        if any(not v.matchers for v in vulns):  # a live result without a record: its listed fixes only
            return self._listed_remedy(version, vulns)
        return remedy(name, version, matchers, lambda: self.tiers(name, version, vulns), self.every(name),
                      each=each)

    @staticmethod
    def _listed_remedy(version: Version, vulns: list[Vulnerability]) -> Remedy:
        lowest = [min(fs) for v in vulns if (fs := [f for f in map(parse_version, v.fixed) if f and f > version])]
        if len(lowest) != len(vulns):
            return Remedy(fix=None, fix_in_line=None)
        fix = max(lowest)
        return Remedy(fix=fix, fix_in_line=fix if release_line(fix) == release_line(version) else None)

    def advisory_fix(self, name: str, version: Version, vuln: Vulnerability) -> Version | None:
        if not vuln.matchers:
            return next((f for f in map(parse_version, vuln.fixed) if f is not None and f > version), None)
        return lowest_unaffected(lambda: self.tiers(name, version, [vuln]), name, vuln.matchers, version)


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def _line_name(version: Version) -> str:
    return ".".join(str(p) for p in release_line(version)[1:]) + ".x"


def vulnerable_package(name: str, raw: str, vulns: list[Vulnerability], fixer: _Fixer, unknown: Severity,
                       before: set[str] | None, base_version: str | None) -> VulnerablePackage:
    """The pin with its advisories (worst first) and the upgrade that fixes them all. `before` holds the
    ids affecting the package's versions on the base (None without a base)."""
    version = parse_version(raw)
    assert version is not None
    advisories = []
    fixes = [fixer.advisory_fix(name, version, v) for v in vulns]
    for v, own in zip(vulns, fixes, strict=True):
        sev = v.severity.severity
        advisories.append(Advisory(
            id=v.id, aliases=v.aliases, severity=sev, severity_source=v.severity.source,
            ranked=sev or unknown, score=v.severity.score, fixed=v.fixed,
            fix=str(own) if own is not None else None, summary=v.summary,
            introduced=before is None or not before & set(v.ids)))
    advisories.sort(key=lambda a: (-a.ranked.rank, a.severity is None, _id_order(a.id)))
    rem = fixer.remedy(name, version, vulns, fixes)
    return VulnerablePackage(
        name=name, version=raw, advisories=tuple(advisories),
        fix=str(rem.fix) if rem.fix is not None else None,
        fix_in_line=str(rem.fix_in_line) if rem.fix_in_line is not None else None,
        clean=str(rem.clean) if rem.clean is not None else None, base_version=base_version)


def _id_order(vid: str) -> tuple[int, str]:
    for i, prefix in enumerate(("PYSEC-", "GHSA-", "CVE-", "MAL-")):
        if vid.startswith(prefix):
            return (i, vid)
    return (9, vid)


def finding_message(pkg: VulnerablePackage, *, with_base: bool) -> tuple[str, Severity, bool]:
    """The one-line message, the finding's severity and whether the PR introduced it."""
    advs = pkg.advisories
    new = [a for a in advs if a.introduced]
    introduced = bool(new) or not with_base
    judged = new if (with_base and new) else list(advs)
    worst = max(judged, key=lambda a: (a.ranked.rank, a.severity is not None))
    n = len(advs)
    was = f" (was {pkg.base_version} on the base)" if pkg.base_version else ""
    head = (f"{pkg.name} {pkg.version}{was} is affected by "
            f"{'a known advisory' if n == 1 else f'{n} known advisories'}")
    if with_base:
        if not new:
            head += " (all of them already affected the base)" if n > 1 else " (it already affected the base)"
        elif len(new) < n:
            shown = ", ".join(f"{a.id} ({a.ranked.value})" for a in new[:3]) + (" and more" if len(new) > 3 else "")
            head += f", {len(new)} of them new in this pull request: {shown}"
    sev = _severity_text(list(advs), worst)
    them = "it" if n == 1 else "all of them"
    version = parse_version(pkg.version)
    line = _line_name(version) if version is not None else "this"
    if pkg.fix is None:
        fix = f"no version known to the advisory database fixes {them}"
    elif pkg.fix_in_line is not None:
        fix = f"{pkg.fix} fixes {them} (same {line} release line)"
    else:
        fix = f"no {line} release fixes {them}; {pkg.fix} is the lowest that does"
    if pkg.clean is not None:
        fix += f" ({pkg.fix} has another known advisory; {pkg.clean} has none)"
    message = f"{head}; {sev}; {fix}. {pkg.advisory_list()}"
    return message, worst.ranked, introduced


def _severity_text(advs: list[Advisory], worst: Advisory) -> str:
    """Where the finding's severity comes from, in one plain clause."""
    unknown = [a for a in advs if a.severity is None]
    published = [a for a in advs if a.severity is not None]
    policy = f"treated as {unknown[0].ranked.value} by policy (unknown_severity)" if unknown else ""
    if not published:
        return f"no severity published; {policy}"
    top = max(published, key=lambda a: a.ranked.rank)
    top_text = f"{top.ranked.value} ({top.severity_source})"
    if not unknown:
        return f"{'severity' if len(advs) == 1 else 'worst severity'} {top_text}"
    some = f"{_plural(len(unknown), 'advisory', 'advisories')} with no severity published"
    if worst.severity is None:  # the policy ranks above every published severity
        return f"{some}, {policy}; the worst published is {top_text}"
    return f"worst severity {top_text}; {some}, {policy}"


def _fix_text(pkg: VulnerablePackage) -> str:
    target = pkg.clean or pkg.fix
    if target is None:
        return ("No fixed version is known: replace or remove the dependency, or waive the finding with a reason "
                "and an expiry if the vulnerable code cannot be reached.")
    return f"Upgrade {pkg.name} to {target} or later and re-lock."


class DepsGate:
    """Dependency audit."""

    id = GateId("deps")

    def run(self, ctx: GateContext) -> GateOutcome:
        settings = ctx.config.deps_gate
        ws = ctx.workspace
        globs = dependency_globs(settings.files)
        files = select(ws.files(), globs)
        if not files:
            return GateOutcome(skipped="no Python dependency files found (requirements*.txt, pyproject.toml, "
                                       "poetry.lock, uv.lock, Pipfile.lock, pylock.toml)")
        head = parse_all(files, ws.read_text)
        findings = hygiene(head, require_lock=settings.require_lock)
        base = _base_parsed(ctx, globs)
        base_decl: set[tuple[str, str]] = set()
        if base is not None:
            base_decl = {(d.source, d.evidence) for d in base.deps}
            evidence_of = {(d.source, d.line): d.evidence for d in head.deps}
            findings = [f.with_(introduced=False)
                        if (f.location.path, evidence_of.get((f.location.path, f.location.line or 0)))
                        in base_decl else f for f in findings]
        head_pins = {(d.name, d.version) for d in head.deps if d.pinned and d.version is not None}
        raw_diff = raw_changes(head, base) if base is not None else []
        base_by_name: dict[str, set[str]] = {}
        if base is not None:
            names = {n for n, _ in head_pins} | {c.name for c in raw_diff}
            for d in base.deps:
                if d.pinned and d.version is not None and d.name in names:
                    base_by_name.setdefault(d.name, set()).add(d.version)
        # base versions are audited only to tell new advisories from old ones: with nothing pinned in the
        # PR there is nothing to audit, and no database or service is needed
        pins = sorted(head_pins | {(n, v) for n, vs in base_by_name.items() for v in vs}) if head_pins else []
        # a range is audited by the release it installs, unless a pin of the same package (a lock) says which
        pinned_names = {canonicalize_name(n) for n, _ in head_pins}
        ranged = [d for d in head.deps if not d.pinned and canonicalize_name(d.name) not in pinned_names
                  and ((d.url is None and d.specifier) or _url_version(d))]
        notes: list[str] = []
        needed = bool(pins) or bool(ranged and _offline_configured(ctx))
        source = choose_source(ctx) if needed else Source(service="none", db=None)
        results = audit(pins, source, settings, notes)
        ignored, unknown = settings.ignore_vulns, settings.unknown_severity

        def kept(pin: Pin) -> list[Vulnerability]:
            return _kept(results.get(pin, []), ignored)

        before = _before_by_place(base, head, kept) if base is not None else {}
        changed_from = {(c.path, c.name): c.old_pin for c in raw_diff if c.old_pin and c.new_pin}
        fixer = _Fixer(source.db)
        seen: set[tuple[str, str, str]] = set()
        for d in head.deps:
            if not d.pinned or d.version is None or (d.source, d.name, d.version) in seen:
                continue
            seen.add((d.source, d.name, d.version))
            vulns = kept((d.name, d.version))
            if not vulns:
                continue
            prior = _prior(before, base, head, d) if base is not None else None
            pkg = vulnerable_package(d.name, d.version, vulns, fixer, unknown, prior,
                                     changed_from.get((d.source, d.name)))
            message, severity, introduced = finding_message(pkg, with_base=base is not None)
            finding = KNOWN_VULNERABILITY.finding(Location(path=d.source, line=d.line), message=message,
                                                  evidence=f"{d.name}=={d.version}", severity=severity,
                                                  fix=_fix_text(pkg))
            findings.append(finding.with_(package=pkg, introduced=introduced))
        if source.db is not None:
            findings.extend(_ranges_audited(ranged, source.db, fixer, settings, notes,
                                            lambda d: base is None or (d.source, d.evidence) not in base_decl))
        changes = None
        if base is not None:
            changes = tuple(_change(c, kept) for c in raw_diff)
        items = []
        for d in head.deps:
            data = d.item()
            if base is not None:
                data["introduced"] = (d.source, d.evidence) not in base_decl
            items.append(Item(data))
        extra: dict[str, Any] = {"service": source.service, "files": sorted(head.files)}
        if source.db is not None:
            findings.extend(_database_age(ctx, source.db, pins, head, extra))
        if notes:
            extra["data_notes"] = sorted(set(notes))[:MAX_NOTES]
        if head.included_from:  # a pin reached through an include the PR adds is the PR's doing
            findings = [f.with_(cause=head.included_from[f.location.path]) if f.location.path in head.included_from
                        else f for f in findings]
        return GateOutcome(items=items, findings=findings, extra=extra, dependency_changes=changes)


_MOVED = "\x00moved"
"""Where a base pin in a file the head no longer reads counts: anywhere (a file renamed or split)."""
_ANYWHERE = "\x00anywhere"
"""Every base pin of a package, wherever it was."""


def _prior(before: dict[tuple[str, str], set[str]], base: Parsed, head: Parsed, d: Dependency) -> set[str]:
    """The advisories `d`'s package already had before the PR, where it counts: in the installation
    `d` is in, when the base had that installation; anywhere in the repository when the PR creates
    it (a new lock file replacing requirements.txt, a tool migration, is no new vulnerability)."""
    root = _root(head, d.source)
    if root not in base.files:
        return before.get((_ANYWHERE, d.name), set())
    return before.get((root, d.name), set()) | before.get((_MOVED, d.name), set())


def _root(parsed: Parsed, rel: str) -> str:
    """The file whose installation reads `rel`: the first to include it, or itself."""
    chain = parsed.included_from.get(rel)
    return chain[0] if chain else rel


def _before_by_place(base: Parsed, head: Parsed, kept: Callable[[Pin], list[Vulnerability]]
                     ) -> dict[tuple[str, str], set[str]]:
    """The advisory ids of the base's pins, by (the file that installs them, package): an advisory is
    new where a pin enters an installation the base had and that did not have it (the dev
    requirements' pin copied to production's), not only when no file of the repository had it. A pin
    in a base file the head no longer reads (renamed, split, deleted) counts everywhere; `_ANYWHERE`
    holds them all, for an installation the PR creates."""
    read = set(head.files)
    out: dict[tuple[str, str], set[str]] = {}
    names = {d.name for d in head.deps if d.pinned}
    for d in base.deps:
        if d.pinned and d.version is not None and d.name in names:
            place = _root(base, d.source) if d.source in read else _MOVED
            ids = _all_ids(kept((d.name, d.version)))
            out.setdefault((place, d.name), set()).update(ids)
            out.setdefault((_ANYWHERE, d.name), set()).update(ids)
    return out


def _offline_configured(ctx: GateContext) -> bool:
    """An offline advisory database is configured (only it knows a package's versions)."""
    return ctx.offline_db is not None or ctx.config.deps_gate.offline_db is not None


def _ranges_audited(ranged: list[Dependency], db: OsvDatabase, fixer: _Fixer, settings: DepsGateSettings,
                    notes: list[str], introduced: Callable[[Dependency], bool]) -> list[Finding]:
    """A requirement given as a range (`django>=1.2,<1.3`, `django==1.2.*`, `~=1.2.0`) installs the
    newest release it admits, so that release is audited: the newest one the advisory database knows
    (every version a record names, affected or fixed). A range whose upper bound keeps every fix out
    then gets the advisories a pin would, instead of only the unpinned-requirement hygiene finding."""
    out: list[Finding] = []
    seen: set[tuple[str, str, str]] = set()
    for d in ranged:
        if (d.source, d.name, d.specifier or "") in seen:
            continue
        seen.add((d.source, d.name, d.specifier or ""))
        stated = _url_version(d)
        if stated is not None:  # a direct reference to a release file: the version its name states
            newest, what = stated, f"{d.name} @ {posixpath.basename(urlsplit(d.url or '').path)}"
            lead = f"{what} is release {newest}"
        else:
            try:
                spec = SpecifierSet(d.specifier or "")
            except InvalidSpecifier:
                continue
            admitted = [v for v in fixer.known(d.name, []) if spec.contains(v)]
            if not admitted:
                continue
            newest = max(admitted)
            lead = (f"{d.name}{d.specifier} can only install affected versions as far as the advisory database "
                    f"knows: the newest release it admits is {newest}")
        vulns = _kept(db.audit(d.name, str(newest), notes=notes), settings.ignore_vulns)
        if not vulns:
            continue
        pkg = vulnerable_package(d.name, str(newest), vulns, fixer, settings.unknown_severity, None, None)
        message, severity, _ = finding_message(pkg, with_base=False)
        finding = KNOWN_VULNERABILITY.finding(Location(path=d.source, line=d.line), message=f"{lead}. {message}",
                                              evidence=d.evidence or d.name, severity=severity, fix=_fix_text(pkg))
        out.append(finding.with_(package=pkg, introduced=introduced(d)))
    return out


def _url_version(d: Dependency) -> Version | None:
    """The version a direct reference's release file states in its name (`Django-1.2.tar.gz`, a
    wheel's `name-1.2-py3-none-any.whl`) when the name is the dependency's; None for a VCS or
    directory reference (a ref or a path says nothing certain)."""
    if d.url is None or d.editable or "+" in d.url.split(":", 1)[0]:
        return None
    name = posixpath.basename(urlsplit(d.url).path)
    try:
        if name.endswith(".whl"):
            dist, version, _, _ = parse_wheel_filename(name)
        elif name.endswith((".tar.gz", ".zip")):
            dist, version = parse_sdist_filename(name)
        else:
            return None
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
        return None
    return version if canonicalize_name(dist) == canonicalize_name(d.name) else None


def _change(c: RawChange, kept: Callable[[Pin], list[Vulnerability]]) -> DependencyChange:
    old = kept((c.name, c.old_pin)) if c.old_pin else []
    new = kept((c.name, c.new_pin)) if c.new_pin else []
    return DependencyChange(kind=c.kind, name=c.name, path=c.path, line=c.line, old=c.old, new=c.new,
                            introduces=tuple(_new_to(new, _all_ids(old))),
                            resolves=tuple(_new_to(old, _all_ids(new))))


def _database_age(ctx: GateContext, db: OsvDatabase, pins: list[Pin], head: Parsed,
                  extra: dict[str, Any]) -> list[Finding]:
    """The database statistics for the report, and a finding when the data is older than allowed."""
    st = db.stats
    dated = database_age(st.newest, datetime.now(UTC))
    extra["database"] = {"records": st.files, "packages": st.names, "load_ms": round(st.seconds * 1000, 1),
                         "from_cache": st.from_cache, "newest_record": dated[1] if dated else None,
                         "age_days": round(dated[0], 1) if dated else None}
    limit = ctx.config.deps_gate.max_db_age_days
    if dated is None:
        extra["database"]["age_note"] = "no record carries a usable `modified` time: the database's age is unknown"
    if not pins or dated is None or dated[0] <= float(limit):
        return []
    age = dated[0]
    audited = sorted({d.source for d in head.deps if d.pinned})
    where = next((p for p in audited if ctx.touched(p)), audited[0] if audited else "")
    newest = dated[1][:10]
    message = (f"The offline advisory database is {age:.0f} days old (newest record modified {newest}), "
               f"older than max_db_age_days ({limit}); advisories published since then are not checked.")
    # The database's age is the environment's, never the pull request's doing: shown, never introduced.
    return [STALE_ADVISORY_DATABASE.finding(Location(path=where), message=message,
                                            evidence="offline advisory database age").with_(introduced=False)]
