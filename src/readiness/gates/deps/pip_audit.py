"""The live vulnerability source: pip-audit in a subprocess, on a file WE generate.

pip-audit only ever sees `canonical_name==version` lines with `--no-deps --disable-pip`, so it never
resolves, never runs pip's build machinery, and never reads the repository's own files (which it
would half-parse: nested includes ignored, markers evaluated against the runner). Its JSON carries
no severity: records are then fetched from the OSV API (`/v1/vulns/<id>`) or the offline directory
to rate them and to recompute fix versions per affected branch (pip-audit keeps only the last one).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from readiness.errors import GateError
from readiness.gates.deps.jsonvals import as_list
from readiness.gates.deps.osv_offline import (
    Match,
    OsvDatabase,
    Vulnerability,
    compile_record,
    evaluate,
    parse_version,
)
from readiness.gates.deps.severity import rate

DEFAULT_OSV_BASE = "https://api.osv.dev"
OFFLINE_HINT = ("To audit without network, get OSV's PyPI database once with `readiness osv-db download DIR` "
                "and run with `--offline-db DIR` (or set gates.deps.offline_db)")
"""Said once, in the gate's error, when the live service cannot be reached."""
MAX_RESPONSE_BYTES = 5 * 1024 * 1024
MAX_RECORD_FETCHES = 500

Pin = tuple[str, str]
RecordLookup = Callable[[str], dict[str, Any] | None]


@dataclass(frozen=True, slots=True, kw_only=True)
class LiveOptions:
    """How to reach the live service."""

    service: str
    """`osv` or `pypi`."""
    timeout: float
    """Socket timeout in seconds (pip-audit `--timeout`, and each record fetch)."""
    osv_url: str | None = None
    """Base URL of an OSV-compatible API (or its full `/v1/query` URL)."""


def osv_urls(osv_url: str | None) -> tuple[str, str]:
    """(query URL for pip-audit, base URL for `/v1/vulns/<id>`)."""
    base = (osv_url or DEFAULT_OSV_BASE).rstrip("/")
    if base.endswith("/v1/query"):
        return base, base.removesuffix("/v1/query")
    return base + "/v1/query", base


def command(requirements: Path, cache: Path, opts: LiveOptions) -> list[str]:
    """The exact pip-audit command line (resolution and pip both disabled)."""
    cmd = [sys.executable, "-m", "pip_audit", "-r", str(requirements), "--no-deps", "--disable-pip",
           "--progress-spinner", "off", "-f", "json", "-s", opts.service,
           "--timeout", str(max(1, round(opts.timeout))), "--cache-dir", str(cache)]
    if opts.service == "osv" and opts.osv_url:
        cmd += ["--osv-url", osv_urls(opts.osv_url)[0]]
    return cmd


def run_pip_audit(pins: list[Pin], opts: LiveOptions) -> dict[Pin, list[dict[str, Any]]]:
    """pip-audit's vulnerabilities per pin. GateError when the service cannot be asked or answers nonsense."""
    with tempfile.TemporaryDirectory(prefix="readiness-pip-audit-") as tmp:
        req = Path(tmp) / "pinned.txt"
        req.write_text("".join(f"{n}=={v}\n" for n, v in sorted(set(pins))), encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_AUDIT_", "PIP_"))}
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        limit = max(120.0, opts.timeout * 8)
        try:
            proc = subprocess.run(command(req, Path(tmp) / "cache", opts), cwd=tmp, env=env,
                                  stdin=subprocess.DEVNULL, capture_output=True, timeout=limit, check=False)
        except subprocess.TimeoutExpired:
            raise GateError(f"pip-audit (-s {opts.service}) did not finish within {limit:.0f} s; "
                            "the vulnerability service is unreachable or too slow") from None
        except OSError as exc:
            raise GateError(f"pip-audit could not be started: {exc.strerror}") from None
    out = proc.stdout.decode("utf-8", "replace")
    try:
        doc = json.loads(out) if out.strip() else None
    except ValueError:
        doc = None
    if not isinstance(doc, dict) or not isinstance(doc.get("dependencies"), list):
        err = [ln for ln in proc.stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
        last = err[-1].strip()[:300] if err else f"exit code {proc.returncode}"
        if "NameResolutionError" in last or "Failed to resolve" in last or "ConnectionError" in last:
            last = "the service is unreachable from this runner (no network?)"
        raise GateError(f"the vulnerability service ({opts.service}) could not be queried through pip-audit: "
                        f"{last}; the gate fails closed. {OFFLINE_HINT}")
    result: dict[Pin, list[dict[str, Any]]] = {}
    for dep in doc["dependencies"]:
        if not isinstance(dep, dict) or not isinstance(dep.get("name"), str):
            continue
        if dep.get("skip_reason"):
            raise GateError(f"pip-audit skipped {dep['name']}: {str(dep['skip_reason'])[:200]}")
        key = (canonicalize_name(dep["name"]), str(dep.get("version", "")))
        result[key] = [v for v in dep.get("vulns") or [] if isinstance(v, dict) and isinstance(v.get("id"), str)]
    return result


def fetch_osv_record(base: str, vid: str, timeout: float) -> dict[str, Any] | None:
    """GET `<base>/v1/vulns/<id>`; None on any failure (the severity then stays unknown)."""
    if not vid.replace("-", "").replace("_", "").replace(".", "").isalnum():
        return None
    try:
        with urllib.request.urlopen(f"{base}/v1/vulns/{vid}", timeout=timeout) as resp:  # noqa: S310
            data = resp.read(MAX_RESPONSE_BYTES + 1)
    except (urllib.error.URLError, OSError, ValueError):
        return None
    if len(data) > MAX_RESPONSE_BYTES:
        return None
    try:
        doc = json.loads(data)
    except ValueError:
        return None
    return doc if isinstance(doc, dict) and doc.get("id") == vid else None


def to_vulnerabilities(pin: Pin, found: list[dict[str, Any]], lookup: RecordLookup) -> list[Vulnerability]:
    """pip-audit results for one pin, with records looked up for severity and per-branch fixes."""
    name, raw = pin
    version = parse_version(raw)
    out = []
    for v in found:
        ids = [v["id"], *(a for a in as_list(v.get("aliases")) if isinstance(a, str))]
        records = [r for i in ids if (r := lookup(i)) is not None]
        fixed: set[str] = set()
        matched = False
        for rec in records:
            if version is None:
                break
            m: Match = evaluate(rec, name, version, raw)
            if m.affected:
                matched = True
                fixed |= m.fixed
        if not matched:
            fixed = {str(f) for f in v.get("fix_versions") or []
                     if version is None or ((fv := parse_version(str(f))) is not None and fv > version)}
        primary = sorted(ids, key=lambda i: (not i.startswith("PYSEC-"), not i.startswith("GHSA-"), i))[0]
        out.append(Vulnerability(
            id=primary, aliases=tuple(sorted(set(ids) - {primary})),
            fixed=tuple(sorted(fixed, key=lambda s: parse_version(s) or parse_version("0") or s)),
            severity=rate(ids, records, own=[v["id"]]), summary=str(v.get("description") or "")[:200],
            matchers=tuple(compile_record(r) for r in records if not r.get("withdrawn")) if matched else ()))
    return out


def live_audit(pins: list[Pin], opts: LiveOptions, db: OsvDatabase | None) -> dict[Pin, list[Vulnerability]]:
    """Audit pins through pip-audit; severity from `db` when given, else from the OSV API (osv service)."""
    raw = run_pip_audit(pins, opts)
    _query, base = osv_urls(opts.osv_url)
    fetched: dict[str, dict[str, Any] | None] = {}

    def lookup(vid: str) -> dict[str, Any] | None:
        if db is not None:
            return db.record(vid)
        if opts.service != "osv":
            return None
        if vid not in fetched:
            fetched[vid] = fetch_osv_record(base, vid, opts.timeout) if len(fetched) < MAX_RECORD_FETCHES else None
        return fetched[vid]

    result: dict[Pin, list[Vulnerability]] = {}
    for pin in pins:
        key = (canonicalize_name(pin[0]), pin[1])
        found = raw.get(key)
        if found is None:
            found = next((vs for (n, v), vs in raw.items()
                          if n == key[0] and parse_version(v) == parse_version(pin[1])), [])
        result[pin] = to_vulnerabilities(key, found, lookup)
    return result
