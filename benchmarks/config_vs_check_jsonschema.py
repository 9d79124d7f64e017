"""Config gate vs check-jsonschema on the same generated YAML corpus, in one run.

    .venv/bin/python benchmarks/config_vs_check_jsonschema.py [--files 2000] [--seed 42]
        [--work DIR] [--runs 1] [--skip-peer]

Generates N realistic service configs (65-200 lines, anchors and aliases, merge keys, 5 % with
1-3 planted violations whose line is known) and a draft 2020-12 schema split over two files with
cross-file `$ref`s, under `benchmarks/.work/` (git-ignored) or `--work`. Then runs, each as a
child process so that wall time and peak memory are comparable:

* `check-jsonschema --schemafile schemas/service.schema.json --base-uri file://... configs/*.yaml`
  (its default install, as in ../shared/research/config-and-docs.md section 2);
* `readiness check --gates config --format json` with `schemas: [{files: configs/*.yaml, ...}]`.

It prints wall time, files/s, peak RSS, the wall ratio, and checks that every planted error is
reported by our gate at its planted line (check-jsonschema reports JSON paths only).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from _bytecode import compile_package

REPO = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent

COMMON_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$defs": {
        "timeouts": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "timeout_s": {"type": "integer", "minimum": 1, "maximum": 120},
                "retries": {"type": "integer", "minimum": 0, "maximum": 10},
                "log_level": {"enum": ["debug", "info", "warning", "error"]},
            },
        },
        "database": {
            "type": "object",
            "required": ["host", "port"],
            "additionalProperties": False,
            "properties": {
                "host": {"type": "string", "pattern": "^[a-z0-9.-]+$"},
                "port": {"type": "integer", "minimum": 1, "maximum": 65535},
                "pool": {"type": "integer", "minimum": 1, "maximum": 200},
                "timeout_s": {"type": "integer", "minimum": 1, "maximum": 120},
                "retries": {"type": "integer", "minimum": 0, "maximum": 10},
                "log_level": {"enum": ["debug", "info", "warning", "error"]},
                "replicas": {"type": "array", "items": {"$ref": "#/$defs/replica"}},
            },
        },
        "replica": {
            "type": "object",
            "required": ["host"],
            "additionalProperties": False,
            "properties": {
                "host": {"type": "string", "pattern": "^[a-z0-9.-]+$"},
                "weight": {"type": "integer", "minimum": 0, "maximum": 100},
            },
        },
        "labels": {
            "type": "object",
            "propertyNames": {"pattern": "^[a-z][a-z0-9_.-]*$"},
            "additionalProperties": {"type": "string", "maxLength": 63},
        },
    },
}

SERVICE_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["service", "database", "endpoints"],
    "additionalProperties": False,
    "properties": {
        "service": {"$ref": "#/$defs/service"},
        "defaults": {"$ref": "common.schema.json#/$defs/timeouts"},
        "labels": {"$ref": "common.schema.json#/$defs/labels"},
        "database": {"$ref": "common.schema.json#/$defs/database"},
        "endpoints": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/endpoint"}},
        "features": {
            "type": "object",
            "propertyNames": {"pattern": "^[a-z][a-z0-9_]*$"},
            "additionalProperties": {"type": "boolean"},
        },
        "alerts": {"type": "array", "items": {"$ref": "#/$defs/alert"}},
    },
    "$defs": {
        "service": {
            "type": "object",
            "required": ["name", "owner", "tier", "replicas"],
            "additionalProperties": False,
            "properties": {
                "name": {"type": "string", "pattern": "^[a-z][a-z0-9-]{2,40}$"},
                "owner": {"type": "string", "format": "email"},
                "tier": {"enum": ["bronze", "silver", "gold"]},
                "replicas": {"type": "integer", "minimum": 1, "maximum": 50},
                "released": {"type": "string", "format": "date"},
                "description": {"type": "string", "maxLength": 200},
            },
        },
        "endpoint": {
            "type": "object",
            "required": ["path", "method"],
            "additionalProperties": False,
            "properties": {
                "path": {"type": "string", "pattern": "^/"},
                "method": {"enum": ["GET", "POST", "PUT", "PATCH"]},
                "timeout_s": {"type": "integer", "minimum": 1, "maximum": 120},
                "auth": {"enum": ["none", "token", "mtls"]},
                "labels": {"$ref": "common.schema.json#/$defs/labels"},
                "rate_limit": {"type": "integer", "minimum": 0},
            },
        },
        "alert": {
            "type": "object",
            "required": ["name", "expr", "severity"],
            "additionalProperties": False,
            "properties": {
                "name": {"type": "string"},
                "expr": {"type": "string"},
                "for": {"type": "string", "pattern": "^[0-9]+[smh]$"},
                "severity": {"enum": ["page", "ticket", "info"]},
            },
        },
    },
}

WORDS = ("billing", "orders", "search", "ledger", "users", "catalog", "payments", "notify", "auth", "edge")


@dataclass(frozen=True, slots=True)
class Planted:
    """A violation written into a generated file, and the line it is on."""

    path: str
    line: int
    kind: str


def _config(rng: random.Random, idx: int, plant: list[str]) -> tuple[list[str], list[tuple[int, str]]]:
    """One config's lines and its planted (line, kind) pairs. `plant` lists the kinds to plant."""
    out: list[str] = []
    planted: list[tuple[int, str]] = []

    def add(text: str, kind: str | None = None) -> None:
        out.append(text)
        if kind is not None:
            planted.append((len(out), kind))

    name = f"{rng.choice(WORDS)}-{rng.choice(WORDS)}-{idx:04d}"
    add(f"# {name}: generated service configuration")
    add("service:")
    if "pattern" in plant:
        add(f"  name: {name.upper()}", "pattern")
    else:
        add(f"  name: {name}")
    if "required" in plant:
        planted.append((2, "required"))  # 'owner' missing: reported at the `service:` key
    else:
        add(f"  owner: team-{rng.choice(WORDS)}@example.com")
    add(f"  tier: {rng.choice(['bronze', 'silver', 'gold'])}")
    add(f"  replicas: {rng.randint(1, 12)}")
    add(f"  released: 2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}")
    add(f"  description: \"{name} handles {rng.choice(WORDS)} for {rng.choice(WORDS)}\"")
    add("defaults: &defaults")
    add(f"  timeout_s: {rng.randint(5, 60)}")
    add(f"  retries: {rng.randint(0, 5)}")
    add(f"  log_level: {rng.choice(['debug', 'info', 'warning'])}")
    add("labels: &labels")
    for k in range(rng.randint(3, 8)):
        add(f"  team.{rng.choice(WORDS)}{k}: {rng.choice(WORDS)}")
    add("database:")
    add("  <<: *defaults")
    add(f"  host: db-{idx % 7}.{rng.choice(WORDS)}.internal")
    if "maximum" in plant:
        add("  port: 99999", "maximum")
    else:
        add(f"  port: {rng.choice([5432, 5433, 6432])}")
    add(f"  pool: {rng.randint(5, 50)}")
    add("  replicas:")
    for r in range(rng.randint(1, 4)):
        add(f"    - host: replica-{r}.{rng.choice(WORDS)}.internal")
        add(f"      weight: {rng.randint(0, 100)}")
    add("endpoints:")
    n_endpoints = rng.randint(6, 22)
    enum_at = rng.randrange(n_endpoints)
    for e in range(n_endpoints):
        add(f"  - path: /v{rng.randint(1, 3)}/{rng.choice(WORDS)}/{e}")
        if "enum" in plant and e == enum_at:
            add("    method: DELETE", "enum")
        else:
            add(f"    method: {rng.choice(['GET', 'POST', 'PUT', 'PATCH'])}")
        add(f"    timeout_s: {rng.randint(1, 60)}")
        add(f"    auth: {rng.choice(['none', 'token', 'mtls'])}")
        if rng.random() < 0.5:
            add("    labels: *labels")
        else:
            add(f"    rate_limit: {rng.randint(10, 5000)}")
    add("features:")
    for f in range(rng.randint(3, 12)):
        add(f"  {rng.choice(WORDS)}_flag_{f}: {rng.choice(['true', 'false'])}")
    add("alerts:")
    for a in range(rng.randint(1, 6)):
        add(f"  - name: {name}-alert-{a}")
        add(f"    expr: rate(http_errors_total{{service=\"{name}\"}}[5m]) > 0.{rng.randint(1, 9)}")
        add(f"    for: {rng.randint(1, 30)}m")
        add(f"    severity: {rng.choice(['page', 'ticket', 'info'])}")
    if "additionalProperties" in plant:
        add("unexpected_section: true", "additionalProperties")
    while len(out) < 65:
        add(f"# padding {len(out)}")
    return out, planted


def generate(work: Path, n: int, seed: int = 42) -> list[Planted]:
    """Write the corpus and schemas under `work`; return the planted violations."""
    rng = random.Random(seed)
    if work.exists():
        shutil.rmtree(work)
    (work / "configs").mkdir(parents=True)
    (work / "schemas").mkdir()
    (work / "schemas" / "service.schema.json").write_text(json.dumps(SERVICE_SCHEMA, indent=2))
    (work / "schemas" / "common.schema.json").write_text(json.dumps(COMMON_SCHEMA, indent=2))
    (work / ".readiness.yml").write_text(
        "version: 1\ngates:\n  config:\n    schemas:\n"
        "      - {files: \"configs/*.yaml\", schema: schemas/service.schema.json}\n"
        "    files: [\"configs/*.yaml\"]\n"
    )
    kinds = ["enum", "maximum", "required", "additionalProperties", "pattern"]
    planted: list[Planted] = []
    for i in range(n):
        plant = rng.sample(kinds, rng.randint(1, 3)) if rng.random() < 0.05 else []
        lines, marks = _config(rng, i, plant)
        rel = f"configs/service-{i:04d}.yaml"
        (work / rel).write_text("\n".join(lines) + "\n")
        planted.extend(Planted(rel, line, kind) for line, kind in marks)
    return planted


def _run(cmd: list[str], cwd: Path, extra_env: dict[str, str] | None = None) -> tuple[float, float, int, str]:
    """Wall seconds, CPU seconds (user+sys), peak RSS (KiB, this child only, via wait4) and stdout."""
    env = {**os.environ, "HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9",
           **(extra_env or {})}
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=err, env=env, text=True)
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode not in (0, 1):
            raise SystemExit(f"{cmd[0]} failed ({proc.returncode}): {err.read()[-2000:]}")
        return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, out.read()


def check_planted(report: dict[str, object], planted: list[Planted]) -> list[Planted]:
    """Planted violations our report does not show at their line (should be empty)."""
    findings = report.get("findings", [])
    assert isinstance(findings, list)
    seen = {(f["path"], f["line"]) for f in findings if f["rule"] == "config/schema-violation"}
    return [p for p in planted if (p.path, p.line) not in seen]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--work", type=Path, default=REPO / "benchmarks" / ".work" / "config")
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--skip-peer", action="store_true", help="only run our gate")
    args = ap.parse_args(argv)
    compile_package()  # time what an installed copy runs, not compiling from source

    planted = generate(args.work, args.files, args.seed)
    files = sorted(str(p.relative_to(args.work)) for p in (args.work / "configs").glob("*.yaml"))
    lines = sum(len((args.work / f).read_text().splitlines()) for f in files)
    bad_files = len({p.path for p in planted})
    print(f"corpus: {len(files)} files, {lines:,} lines, {bad_files} files with {len(planted)} planted errors")

    schema_uri = (args.work / "schemas" / "service.schema.json").resolve().as_uri()
    peer_cmd = [str(VENV_BIN / "check-jsonschema"), "--base-uri", schema_uri,
                "--schemafile", "schemas/service.schema.json", *files]
    ours_cmd = [str(VENV_BIN / "readiness"), "check", ".", "--gates", "config", "--format", "json",
                "--fail-on", "never"]
    rows: list[tuple[str, float, float, int]] = []
    peer_walls: list[float] = []
    our_walls: list[float] = []
    peer_cpus: list[float] = []
    our_cpus: list[float] = []
    py_walls: list[float] = []
    missing_py: list[Planted] = []
    has_rs = importlib.util.find_spec("jsonschema_rs") is not None
    report: dict[str, object] = {}
    for _ in range(args.runs):
        if not args.skip_peer:
            wall, cpu, rss, _out = _run(peer_cmd, args.work)
            peer_walls.append(wall)
            peer_cpus.append(cpu)
            rows.append(("check-jsonschema 0.39.0 (default)", wall, cpu, rss))
        wall, cpu, rss, out = _run(ours_cmd, args.work)
        our_walls.append(wall)
        our_cpus.append(cpu)
        rows.append(("readiness config gate" + (" (jsonschema-rs triage)" if has_rs else ""), wall, cpu, rss))
        report = json.loads(out)
        if has_rs:
            wall, cpu, rss, out_py = _run(ours_cmd, args.work, {"READINESS_JSONSCHEMA_ENGINE": "python"})
            py_walls.append(wall)
            rows.append(("readiness config gate (jsonschema only)", wall, cpu, rss))
            missing_py = check_planted(json.loads(out_py), planted)

    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"{'tool':<46} {'wall s':>8} {'CPU s':>8} {'files/s':>9} {'peak RSS MiB':>13}")
    for label, wall, cpu, rss in rows:
        print(f"{label:<46} {wall:8.2f} {cpu:8.2f} {len(files) / wall:9.0f} {rss / 1024:13.1f}")

    def median(xs: list[float]) -> float:
        return sorted(xs)[len(xs) // 2]

    if peer_walls:
        ratio = median(our_walls) / median(peer_walls)
        print(f"wall ratio ours/check-jsonschema: {ratio:.3f} (goal <= 0.25); "
              f"speed-up x{1 / ratio:.1f}; CPU ratio {median(our_cpus) / median(peer_cpus):.3f}")
        if py_walls:
            print(f"wall ratio with jsonschema only: {median(py_walls) / median(peer_walls):.3f}")
    missing = check_planted(report, planted)
    found = report.get("findings", [])
    assert isinstance(found, list)
    violations = [f for f in found if f["rule"] == "config/schema-violation"]
    print(f"our schema-violation findings: {len(violations)}; planted errors not reported at their line: "
          f"{len(missing)}")
    for p in missing[:10]:
        print(f"  MISSING {p.path}:{p.line} ({p.kind})")
    if has_rs:
        print(f"jsonschema-only run: planted errors not reported at their line: {len(missing_py)}")
    return 1 if missing or missing_py else 0


if __name__ == "__main__":
    raise SystemExit(main())
