"""The deps gate: find the declared Python dependencies, audit the pinned ones, flag risky declarations,
and (with `--base`) tell what the pull request introduces. The repository is never executed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from readiness.errors import GateError
from readiness.gates.base import GateContext, GateOutcome
from readiness.gates.deps.discover import dependency_globs, parse_all, select
from readiness.gates.deps.hygiene import hygiene
from readiness.gates.deps.model import Dependency, Parsed
from readiness.gates.deps.osv_offline import DatabaseError, OsvDatabase, Vulnerability
from readiness.gates.deps.rules import KNOWN_VULNERABILITY
from readiness.model import Finding, GateId, Item, Location, Severity
from readiness.workspace import FileProblem

DEFAULT_TIMEOUT = 15.0
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
    settings = ctx.settings
    configured = settings.get("offline_db")
    path: Path | None = ctx.offline_db
    if path is None and configured:
        if ctx.config.external:  # the runner's own config file may name a runner directory
            p = Path(str(configured))
            path = p if p.is_absolute() else ctx.workspace.root / p
        else:  # a repository's directory: read by the repository's rules (no link out, nothing in .git/)
            rel = ctx.repo_path(str(configured), "offline_db")
            try:
                path = ctx.workspace.inside(rel)
            except FileProblem as exc:
                raise GateError(f"gates.deps.offline_db {rel}: {exc.reason}") from None
    service = "offline" if ctx.offline_db is not None else str(settings.get("service") or
                                                                 ("offline" if path else "osv"))
    if service == "offline" and path is None:
        raise GateError("service: offline needs an OSV directory: set gates.deps.offline_db or pass --offline-db")
    return Source(service=service, db=offline_database(path) if path is not None else None)


def audit(pins: list[Pin], source: Source, settings: dict[str, Any],
          notes: list[str]) -> dict[Pin, list[Vulnerability]]:
    """Vulnerabilities per pin from the chosen source."""
    if not pins:
        return {}
    if source.service == "offline":
        assert source.db is not None
        return {pin: source.db.audit(pin[0], pin[1], notes=notes) for pin in pins}
    from readiness.gates.deps.pip_audit import LiveOptions, live_audit

    opts = LiveOptions(service=source.service, timeout=float(settings.get("timeout") or DEFAULT_TIMEOUT),
                       osv_url=settings.get("osv_url"))
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


def _versions(parsed: Parsed) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for d in parsed.deps:
        out.setdefault(d.name, set()).add(d.version if d.version is not None else (d.specifier or d.url or "*"))
    return out


def dependency_diff(head: Parsed, base: Parsed) -> dict[str, list[dict[str, Any]]]:
    """Added / removed / changed dependencies (by name, over all files), like a dependency review."""
    hv, bv = _versions(head), _versions(base)
    added = [{"name": n, "versions": sorted(hv[n])} for n in sorted(set(hv) - set(bv))]
    removed = [{"name": n, "versions": sorted(bv[n])} for n in sorted(set(bv) - set(hv))]
    changed = [{"name": n, "from": sorted(bv[n]), "to": sorted(hv[n])}
               for n in sorted(set(hv) & set(bv)) if hv[n] != bv[n]]
    return {"added": added, "removed": removed, "changed": changed}


def vulnerability_finding(d: Dependency, v: Vulnerability, unknown: Severity) -> Finding:
    """The known-vulnerability finding of one advisory group on one pin."""
    assert d.version is not None
    sev = v.severity.severity or unknown
    aliases = f" (aliases: {', '.join(v.aliases)})" if v.aliases else ""
    if v.fixed:
        fixed = f"fixed in {', '.join(v.fixed)}"
        fix = f"Upgrade {d.name} to {v.fixed[0]} or later and re-lock."
    elif v.last_affected:
        fixed = f"no fix listed (last affected {', '.join(v.last_affected)})"
        fix = None
    else:
        fixed = "no fixed version listed"
        fix = None
    shown_sev = sev.value if v.severity.severity else f"{sev.value} (unknown severity ranked by unknown_severity)"
    message = (f"{d.name} {d.version} is affected by {v.id}{aliases}; {fixed}; severity {shown_sev} from "
               f"{v.severity.source}.")
    finding = KNOWN_VULNERABILITY.finding(Location(path=d.source, line=d.line), message=message,
                                          evidence=f"{d.name}=={d.version} {v.id}", severity=sev, fix=fix)
    return finding


class DepsGate:
    """Dependency audit."""

    id = GateId("deps")

    def run(self, ctx: GateContext) -> GateOutcome:
        settings = ctx.settings
        ws = ctx.workspace
        globs = dependency_globs(settings.get("files"))
        files = select(ws.files(), globs)
        if not files:
            return GateOutcome(skipped="no Python dependency files found (requirements*.txt, pyproject.toml, "
                                       "poetry.lock, uv.lock, Pipfile.lock, pylock.toml)")
        head = parse_all(files, ws.read_text)
        findings = hygiene(head, require_lock=bool(settings.get("require_lock", True)))
        base = _base_parsed(ctx, globs)
        base_decl: set[tuple[str, str]] = set()
        base_pins: set[Pin] = set()
        if base is not None:
            base_decl = {(d.source, d.evidence) for d in base.deps}
            base_pins = {(d.name, d.version) for d in base.deps if d.pinned and d.version is not None}
            evidence_of = {(d.source, d.line): d.evidence for d in head.deps}
            findings = [f.with_(introduced=False)
                        if (f.location.path, evidence_of.get((f.location.path, f.location.line or 0)))
                        in base_decl else f for f in findings]
        pins = sorted({(d.name, d.version) for d in head.deps if d.pinned and d.version is not None})
        notes: list[str] = []
        source = choose_source(ctx) if pins else Source(service="none", db=None)
        results = audit(pins, source, settings, notes)
        ignored = {str(i) for i in settings.get("ignore_vulns") or []}
        unknown = Severity(str(settings.get("unknown_severity") or "critical"))
        vulnerable: list[dict[str, Any]] = []
        seen: set[tuple[str, int, str]] = set()
        for d in head.deps:
            if not d.pinned or d.version is None:
                continue
            for v in results.get((d.name, d.version), []):
                if ignored & set(v.ids) or (d.source, d.line, v.id) in seen:
                    continue
                seen.add((d.source, d.line, v.id))
                f = vulnerability_finding(d, v, unknown)
                if (d.name, d.version) in base_pins:
                    f = f.with_(introduced=False)
                findings.append(f)
                vulnerable.append({"name": d.name, "version": d.version, "source": d.source, "line": d.line,
                                   "id": v.id, "aliases": list(v.aliases), "fixed": list(v.fixed),
                                   "severity": f.severity.value, "severity_source": v.severity.source,
                                   "introduced": f.introduced})
        items = []
        for d in head.deps:
            data = d.item()
            if base is not None:
                data["introduced"] = (d.source, d.evidence) not in base_decl
            items.append(Item(data))
        extra: dict[str, Any] = {"service": source.service, "vulnerable": vulnerable,
                                 "files": sorted(head.files)}
        if source.db is not None:
            st = source.db.stats
            extra["database"] = {"records": st.files, "packages": st.names, "load_ms": round(st.seconds * 1000, 1),
                                 "from_cache": st.from_cache}
        if notes:
            extra["data_notes"] = sorted(set(notes))[:MAX_NOTES]
        if base is not None:
            extra["diff"] = dependency_diff(head, base)
        return GateOutcome(items=items, findings=findings, extra=extra)
