"""Benchmark: a generated 500-package lock file audited offline against the full shared OSV snapshot.

Each mode runs in a fresh interpreter (so peak RSS is its own):

* `gate`       - the deps gate end to end (engine, uv.lock parse, audit, one finding per vulnerable pin with
                 the version that fixes all of its advisories), index built cold (no cache); `vulns` counts
                 the advisories named, `pins` the findings
* `gate-cached`- the same with the on-disk name index already cached
* `full-parse` - loading the database the obvious way: json.loads of every record, then a name index
* `naive`      - baseline without an index: parse every record, scan all of them for each dependency
* `pip-audit`  - pip-audit 2.10 `-s osv --osv-url` against a loopback OSV server backed by the same data
                 (pip-audit cannot reach its real services here and has no offline mode)

Usage: python benchmarks/deps_offline.py [--deps 500] [--osv ../shared/data/osv-pypi] [--no-pip-audit]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OSV = ROOT.parent / "shared" / "data" / "osv-pypi"


def make_lock(osv: Path, n: int, out: Path) -> list[tuple[str, str]]:
    """A uv.lock of `n` packages named in the database; every other one at a vulnerable version."""
    from packaging.utils import canonicalize_name

    from readiness.gates.deps.osv_offline import OsvDatabase, parse_version

    db = OsvDatabase(osv, use_cache=False).load()
    names = [name for name in sorted(db._by_name)  # noqa: SLF001 - the benchmark may peek at the index
             if any(canonicalize_name(a.get("package", {}).get("name", "")) == name
                    for rec in db.records_for(name) for a in rec.get("affected") or [])][:n]
    pins: list[tuple[str, str]] = []
    for i, name in enumerate(names):
        version = "1.0.0"
        if i % 2 == 0:
            for rec in db.records_for(name):
                for aff in rec.get("affected") or []:
                    listed = [v for v in aff.get("versions") or [] if parse_version(v) is not None]
                    if listed:
                        version = listed[0]
                        break
                if version != "1.0.0":
                    break
        pins.append((name, version))
    body = ['version = 1\nrequires-python = ">=3.11"\n']
    for name, version in pins:
        body.append(f'\n[[package]]\nname = "{name}"\nversion = "{version}"\n'
                    'source = { registry = "https://pypi.org/simple" }\n')
    out.write_text("".join(body), encoding="utf-8")
    return pins


def child(mode: str, repo: str, osv: str, cache: str) -> dict[str, Any]:
    """Run one mode in this (fresh) process."""
    result: dict[str, Any] = {}
    if mode in ("gate", "gate-cached"):
        from readiness.config import Config
        from readiness.engine import RunOptions, run
        from readiness.gates.deps import gate as deps_gate
        from readiness.gates.deps.osv_offline import OsvDatabase
        from readiness.model import FailOn

        t0 = time.perf_counter()
        db = OsvDatabase(Path(osv).resolve(), use_cache=mode == "gate-cached", cache_dir=Path(cache)).load()
        deps_gate._DB_CACHE[Path(osv).resolve()] = db  # noqa: SLF001 - what the gate would load itself
        t1 = time.perf_counter()
        report = run(RunOptions(root=Path(repo), config=Config(), fail_on=FailOn.CRITICAL, gates=("deps",),
                                offline_db=Path(osv)))
        gate = report.gates[1]
        pinned = [f for f in gate.findings if f.package is not None]
        result = {"load_s": t1 - t0, "audit_s": time.perf_counter() - t1,
                  "findings": sum(len(f.package.advisories) for f in pinned if f.package is not None),
                  "pins": len(pinned),
                  "status": gate.status.value, "deps": len(gate.items), "from_cache": db.stats.from_cache}
    elif mode in ("full-parse", "naive"):
        from packaging.utils import canonicalize_name
        from packaging.version import Version

        from readiness.gates.deps.osv_offline import compile_record, match_compiled

        t0 = time.perf_counter()
        files = sorted(Path(osv).rglob("*.json"))
        records = [json.loads(f.read_bytes()) for f in files]
        compiled = [(rec, compile_record(rec)) for rec in records if not rec.get("withdrawn")]
        index: dict[str, list[Any]] = {}
        for rec, comp in compiled:
            for name in {a.name for a in comp}:
                index.setdefault(name, []).append((rec, comp))
        t1 = time.perf_counter()
        lines = Path(repo, "uv.lock").read_text().splitlines()
        pins = [(canonicalize_name(line.split('"')[1]), nxt.split('"')[1])
                for line, nxt in zip(lines, lines[1:], strict=False) if line.startswith("name = ")]
        hits = 0
        for name, version in pins:
            v = Version(version)
            pool = compiled if mode == "naive" else index.get(name, [])
            hits += sum(1 for _rec, comp in pool if match_compiled(comp, name, v, version).affected)
        result = {"load_s": t1 - t0, "audit_s": time.perf_counter() - t1, "findings": hits, "deps": len(pins)}
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def run_child(mode: str, repo: Path, osv: Path, cache: Path) -> dict[str, Any]:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, __file__, "--child", mode, str(repo), str(osv), str(cache)],
                          capture_output=True, text=True, check=True)
    out: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    out["wall_s"] = time.perf_counter() - start
    return out


def run_pip_audit(pins: list[tuple[str, str]], osv: Path, tmp: Path) -> dict[str, Any]:
    """pip-audit against a loopback OSV server (our index answers its queries)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from packaging.version import Version

    from readiness.gates.deps.osv_offline import OsvDatabase, evaluate

    db = OsvDatabase(osv).load()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            return

        def do_POST(self) -> None:  # noqa: N802
            q = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            name, ver = q["package"]["name"], q["version"]
            vulns = [r for r in db.records_for(name)
                     if not r.get("withdrawn") and evaluate(r, name, Version(ver), ver).affected]
            body = json.dumps({"vulns": vulns} if vulns else {}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    # pip-audit crashes (InvalidVersion traceback) on records with a non-PEP 440 `fixed` value: leave
    # those packages out of its run, and say how many.
    from readiness.gates.deps.osv_offline import compile_record

    crashing = {n for n, _v in pins for r in db.records_for(n) for a in compile_record(r) if a.notes}
    pins = [(n, v) for n, v in pins if n not in crashing]
    print(f"pip-audit: {len(crashing)} package(s) left out (their records crash it): {sorted(crashing)}",
          file=sys.stderr)
    req = tmp / "pins.txt"
    req.write_text("".join(f"{n}=={v}\n" for n, v in pins), encoding="utf-8")
    cmd = [sys.executable, "-m", "pip_audit", "-r", str(req), "--no-deps", "--disable-pip", "-f", "json",
           "--progress-spinner", "off", "-s", "osv", "--cache-dir", str(tmp / "pa-cache"),
           "--osv-url", f"http://127.0.0.1:{server.server_address[1]}/v1/query"]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    server.shutdown()
    try:
        doc = json.loads(proc.stdout)
        found = sum(len(d.get("vulns", [])) for d in doc["dependencies"])
    except (ValueError, KeyError):
        found = -1
        err = proc.stderr.strip().splitlines()
        print("pip-audit failed:", "\n".join(err[-6:]) if err else proc.returncode, file=sys.stderr)
    return {"wall_s": wall, "findings": found, "deps": len(pins)}


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        print(json.dumps(child(*sys.argv[2:6])))
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--deps", type=int, default=500)
    ap.add_argument("--osv", type=Path, default=DEFAULT_OSV)
    ap.add_argument("--no-pip-audit", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="deps-bench-") as tmpdir:
        tmp = Path(tmpdir)
        repo, cache = tmp / "repo", tmp / "cache"
        repo.mkdir()
        cache.mkdir(mode=0o700)
        pins = make_lock(args.osv, args.deps, repo / "uv.lock")
        rows = {m: run_child(m, repo, args.osv, cache) for m in ("gate", "gate-cached", "full-parse", "naive")}
        rows["gate-cached"] = run_child("gate-cached", repo, args.osv, cache)  # 2nd run: index cached
        if not args.no_pip_audit:
            rows["pip-audit"] = run_pip_audit(pins, args.osv, tmp)
    print(f"{args.deps} locked dependencies vs {args.osv} ")
    print(f"{'mode':<12} {'wall s':>8} {'load s':>8} {'audit s':>8} {'peak MB':>8} {'vulns':>6} {'pins':>5}")
    for mode, r in rows.items():
        print(f"{mode:<12} {r['wall_s']:>8.2f} {r.get('load_s', float('nan')):>8.3f} "
              f"{r.get('audit_s', float('nan')):>8.3f} {r.get('peak_rss_mb', float('nan')):>8.1f} "
              f"{r['findings']:>6} {r.get('pins', ''):>5}")
    g, c, n = rows["gate"], rows["gate-cached"], rows["naive"]
    print(f"audit / load (cold index): {g['audit_s'] / g['load_s']:.2f}   "
          f"audit / load (full parse): {rows['full-parse']['audit_s'] / rows['full-parse']['load_s']:.3f}")
    print(f"naive scan audit / indexed audit: {n['audit_s'] / max(rows['full-parse']['audit_s'], 1e-9):.0f}x; "
          f"gate wall naive/gate: {n['wall_s'] / g['wall_s']:.1f}x; cached gate {c['wall_s']:.2f} s")
    if "pip-audit" in rows:
        print(f"pip-audit (loopback OSV) / gate wall: {rows['pip-audit']['wall_s'] / g['wall_s']:.1f}x")


if __name__ == "__main__":
    main()
