"""`readiness check` on a generated large repository: wall time and peak memory, 1x to 10x.

    .venv/bin/python benchmarks/large_repo.py                 # 1x
    .venv/bin/python benchmarks/large_repo.py --scale 1 2 5 10

At 1x the repository has 10,000 files: 500 SQL migrations (Flyway names, a realistic mix of
CREATE TABLE / ADD COLUMN / CREATE INDEX / renames / drops), 300 YAML config files validated by a
JSON Schema (plus staging/production environment files), 200 pinned dependencies in
requirements.txt with an offline OSV directory (no network), 60 ADRs, a RUNBOOK, runbooks and
alert rules, and Python sources as filler. Everything is derived from a fixed seed, so every run
generates the same bytes. The repository is a git repository with two commits; the second (the
"PR") adds 3 migrations, changes 5 config files and 2 requirements, and is also checked with
`--base HEAD~1`.

Output goes under benchmarks/.work/ (gitignored) and is reused when it already exists.
For each scale: generation time, full-scan and PR-diff wall time and peak RSS (the child's own
rusage from wait4), per-gate status and duration from the JSON report, and findings.
When `squawk` is installed (requirements-dev.txt), it is timed on the same SQL files as a peer.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from _bytecode import compile_package

HERE = Path(__file__).resolve().parent
WORK = HERE / ".work"
SEED = 20261122
GENERATOR_VERSION = "1"
"""Bump when the generated content changes, so stale trees are regenerated."""

BASE_FILES, MIGRATIONS, CONFIGS, DEPENDENCIES, ADRS, RUNBOOKS, ALERT_FILES = 10_000, 500, 300, 200, 60, 20, 10

SERVICE_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["name", "replicas", "port", "database"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "pattern": "^[a-z0-9-]+$"},
        "replicas": {"type": "integer", "minimum": 1, "maximum": 50},
        "port": {"type": "integer", "minimum": 1024, "maximum": 65535},
        "timeout_seconds": {"type": "number", "exclusiveMinimum": 0},
        "features": {"type": "array", "items": {"type": "string"}},
        "database": {
            "type": "object",
            "required": ["host", "pool"],
            "additionalProperties": False,
            "properties": {"host": {"type": "string"}, "pool": {"type": "integer", "minimum": 1}},
        },
    },
}

PACKAGES = ["requests", "urllib3", "django", "flask", "jinja2", "pyyaml", "sqlalchemy", "alembic", "celery",
            "redis", "psycopg2-binary", "boto3", "botocore", "pydantic", "fastapi", "uvicorn", "gunicorn",
            "click", "rich", "attrs", "cryptography", "pillow", "numpy", "pandas", "lxml", "markupsafe",
            "werkzeug", "itsdangerous", "certifi", "idna", "charset-normalizer", "six", "python-dateutil",
            "pytz", "tzdata", "protobuf", "grpcio", "httpx", "anyio", "sniffio"]


@dataclass(frozen=True, slots=True)
class Measured:
    """One timed command."""

    wall_s: float
    """Wall-clock seconds."""
    rss_mb: float
    """Peak resident set of the child, MiB."""
    returncode: int
    """Exit code."""
    report: dict[str, object] | None
    """The JSON report, when the command wrote one."""


def _write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _migration(rng: random.Random, n: int) -> tuple[str, str]:
    """A (file name, SQL) pair; most migrations are safe, some are the risky kinds the gate flags."""
    table = f"t{n % 97:02d}"
    kind = rng.choices(["create", "add_column", "index", "index_concurrently", "rename", "drop", "type", "data"],
                       weights=[20, 30, 10, 15, 5, 5, 5, 10])[0]
    if kind == "create":
        sql = (f"CREATE TABLE {table}_{n} (\n    id bigserial PRIMARY KEY,\n    name text NOT NULL,\n"
               f"    created_at timestamptz NOT NULL DEFAULT now()\n);\n")
    elif kind == "add_column":
        sql = f"ALTER TABLE {table} ADD COLUMN c{n} integer;\n"
    elif kind == "index":
        sql = f"CREATE INDEX {table}_c{n}_idx ON {table} (c{n});\n"
    elif kind == "index_concurrently":
        sql = f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {table}_c{n}_idx ON {table} (c{n});\n"
    elif kind == "rename":
        sql = f"ALTER TABLE {table} RENAME COLUMN c{n - 1} TO c{n - 1}_old;\n"
    elif kind == "drop":
        sql = f"ALTER TABLE {table} DROP COLUMN IF EXISTS c{n - 2};\n"
    elif kind == "type":
        sql = f"ALTER TABLE {table} ALTER COLUMN c{n - 3} TYPE bigint;\n"
    else:
        sql = f"UPDATE {table} SET name = lower(name) WHERE id < {n * 1000};\n"
    return f"db/migrations/V{n:05d}__{kind}_{table}.sql", "SET lock_timeout = '5s';\n" + sql


def _config(rng: random.Random, n: int) -> str:
    lines = [f"name: svc-{n:04d}", f"replicas: {rng.randint(1, 12)}", f"port: {8000 + n}",
             f"timeout_seconds: {rng.choice([1.5, 5, 30])}", "features:"]
    lines += [f"  - feature-{rng.randint(1, 40)}" for _ in range(rng.randint(1, 4))]
    lines += ["database:", f"  host: db-{n % 7}.internal", f"  pool: {rng.randint(1, 20)}"]
    if n % 50 == 0:  # a few invalid files, so the gate has something to report
        lines.append("unexpected_key: true")
    return "\n".join(lines) + "\n"


def _osv(name: str, version: str, n: int) -> str:
    return json.dumps({
        "schema_version": "1.6.0", "id": f"PYSEC-2026-{n:04d}", "modified": "2026-01-01T00:00:00Z",
        "summary": f"Synthetic advisory for {name}",
        "affected": [{"package": {"ecosystem": "PyPI", "name": name}, "versions": [version],
                      "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"},
                                                                  {"fixed": version + ".1"}]}]}],
        "database_specific": {"severity": "HIGH"},
    }, indent=2) + "\n"


def _dependencies(rng: random.Random, count: int) -> list[tuple[str, str]]:
    deps = []
    for i in range(count):
        base = PACKAGES[i % len(PACKAGES)]
        name = base if i < len(PACKAGES) else f"{base}-plugin{i}"
        deps.append((name, f"{rng.randint(0, 9)}.{rng.randint(0, 30)}.{rng.randint(0, 9)}"))
    return deps


def generate(root: Path, scale: int) -> int:
    """Write the base tree (scale x the 1x counts) into `root`; returns the number of files."""
    rng = random.Random(SEED + scale)
    written = 0

    def put(rel: str, text: str) -> None:
        nonlocal written
        _write(root, rel, text)
        written += 1

    for n in range(1, MIGRATIONS * scale + 1):
        put(*_migration(rng, n))
    put("schemas/service.schema.json", json.dumps(SERVICE_SCHEMA, indent=2) + "\n")
    for n in range(1, CONFIGS * scale + 1):
        put(f"config/services/svc-{n:04d}.yaml", _config(rng, n))
    env_keys = [f"key_{i}" for i in range(40)]
    put("config/staging.yaml", "".join(f"{k}: {i}\n" for i, k in enumerate(env_keys)))
    put("config/production.yaml", "".join(f"{k}: {i}\n" for i, k in enumerate(env_keys[:-2])))
    put(".env.example", "DATABASE_URL=postgres://localhost/app\nSECRET_KEY=\nLOG_LEVEL=info\n")
    deps = _dependencies(rng, DEPENDENCIES * scale)
    put("requirements.txt", "".join(f"{name}=={version}\n" for name, version in deps))
    for n, (name, version) in enumerate(deps[::10]):
        put(f"osv/PYSEC-2026-{n:04d}.json", _osv(name, version, n))
    put("RUNBOOK.md", "# Runbook\n\n## Alerts\n\nSee docs/runbooks/.\n\n## Rollback\n\nRedeploy the previous tag.\n")
    for n in range(1, ADRS * scale + 1):
        put(f"docs/adr/{n:04d}-decision-{n}.md",
            f"# {n}. Decision {n}\n\nDate: 2026-01-01\n\n## Status\n\nAccepted\n\n## Context\n\nContext {n}.\n\n"
            f"## Decision\n\nWe decide {n}.\n\n## Consequences\n\nSome.\n")
    for n in range(1, RUNBOOKS * scale + 1):
        put(f"docs/runbooks/alert-{n}.md", f"# Alert {n}\n\n## Symptoms\n\nX.\n\n## Mitigation\n\nY.\n")
    for f in range(1, ALERT_FILES * scale + 1):
        rules = "".join(
            f"      - alert: Alert{f}x{r}\n        expr: up == 0\n        annotations:\n"
            f"          runbook_url: docs/runbooks/alert-{(f * 7 + r) % (RUNBOOKS * scale + 3) + 1}.md\n"
            for r in range(5))
        put(f"monitoring/alerts/group-{f}.yml", f"groups:\n  - name: group-{f}\n    rules:\n{rules}")
    put(".readiness.yml", (
        "version: 1\nfail_on: never\ngates:\n"
        "  migrations: {paths: [\"db/migrations/**\"], dialect: postgres}\n"
        "  deps: {files: [requirements.txt], service: offline, offline_db: osv}\n"
        "  config:\n    schemas: [{files: \"config/services/*.yaml\", schema: schemas/service.schema.json}]\n"
        "    environments: {files: \"config/{env}.yaml\", names: [staging, production]}\n"
        "  docs: {require: [RUNBOOK.md, docs/adr/], adr_dir: docs/adr, alert_rules: [\"monitoring/**/*.yml\"]}\n"))
    filler = BASE_FILES * scale - written
    for n in range(max(filler, 0)):
        put(f"src/app/pkg{n // 100:03d}/mod{n % 100:02d}.py",
            f'"""Module {n}."""\n\n\ndef f{n}(x: int) -> int:\n    return x * {rng.randint(2, 99)}\n')
    return written


def pr_change(root: Path, scale: int) -> None:
    """The second commit: 3 new migrations, 5 changed configs, 2 changed requirements."""
    rng = random.Random(SEED - scale)
    top = MIGRATIONS * scale
    for n in range(top + 1, top + 4):
        _write(root, *_migration(rng, n))
    for n in range(1, 6):
        _write(root, f"config/services/svc-{n:04d}.yaml", _config(rng, n))  # new values, same keys
    req = (root / "requirements.txt").read_text(encoding="utf-8").splitlines()
    req[0] = req[0].split("==")[0] + "==99.0.0"
    req[1] = req[1].split("==")[0] + ">=1.0"
    _write(root, "requirements.txt", "\n".join(req) + "\n")


def _git(root: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.invalid",
           "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.invalid",
           "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z",
           "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)


def ensure_repo(scale: int) -> tuple[Path, float, int]:
    """The generated repository for `scale` (reused if complete); (path, seconds spent, files)."""
    root = WORK / f"large-{scale}x"
    stamp = root / ".git" / "readiness-bench-complete"
    if stamp.exists() and stamp.read_text() == GENERATOR_VERSION:
        files = sum(1 for p in root.rglob("*") if p.is_file() and ".git" not in p.parts)
        return root, 0.0, files
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    start = time.perf_counter()
    generate(root, scale)
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "base")
    pr_change(root, scale)
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "pr")
    stamp.write_text(GENERATOR_VERSION)
    files = sum(1 for p in root.rglob("*") if p.is_file() and ".git" not in p.parts)
    return root, time.perf_counter() - start, files


def measure(cmd: list[str], report_path: Path | None = None) -> Measured:
    """Run `cmd`; wall time and the child's own peak RSS (wait4 rusage)."""
    if report_path is not None:
        report_path.unlink(missing_ok=True)
    start = time.perf_counter()
    with open(os.devnull, "wb") as devnull:
        proc = subprocess.Popen(cmd, stdout=devnull, stderr=subprocess.PIPE)
        assert proc.stderr is not None
        err = proc.stderr.read()
        _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):
        sys.stderr.write(f"{' '.join(cmd)} exited {proc.returncode}: {err.decode(errors='replace')[-2000:]}\n")
    report = None
    if report_path is not None and report_path.exists():
        report = json.loads(report_path.read_text(encoding="utf-8"))
    return Measured(wall_s=wall, rss_mb=usage.ru_maxrss / 1024, returncode=proc.returncode, report=report)


def _secs(m: Measured) -> str:
    """Wall seconds, or ERR<exit code> when the run did not produce a verdict (exit 0 or 1)."""
    return f"{m.wall_s:.2f}" if m.returncode in (0, 1) else f"ERR{m.returncode}"


def _gates(report: dict[str, object] | None) -> str:
    if not report:
        return "(no report)"
    gates = report.get("gates", [])
    assert isinstance(gates, list)
    return " ".join(f"{g['id']}={g['status']}:{g['duration_ms'] / 1000:.2f}s" for g in gates)


def main() -> int:
    """Generate, measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, nargs="+", default=[1], help="sizes to run, e.g. 1 2 5 10")
    args = parser.parse_args()
    compile_package()  # time what an installed copy runs, not compiling from source
    readiness = Path(sys.executable).parent / "readiness"
    if not readiness.exists():
        raise SystemExit(f"{readiness} not found: run `make dev` and use the venv's python")
    squawk = shutil.which("squawk", path=str(Path(sys.executable).parent)) or shutil.which("squawk")

    rows = []
    for scale in args.scale:
        root, gen_s, files = ensure_repo(scale)
        out = root.parent / f"report-{scale}x.json"
        full = measure([str(readiness), "check", str(root), "--format", "json", "--output", str(out)], out)
        pr = measure([str(readiness), "check", str(root), "--base", "HEAD~1", "--format", "json",
                      "--output", str(out)], out)
        peer = None
        if squawk:
            sql = sorted(str(p) for p in (root / "db" / "migrations").glob("*.sql"))
            peer = measure([squawk, "--reporter", "gcc", *sql])
        rows.append((scale, files, gen_s, full, pr, peer))
        findings = len(full.report["findings"]) if full.report else -1  # type: ignore[arg-type]
        print(f"{scale}x: {files} files; full scan exit {full.returncode}, {findings} findings; "
              f"gates: {_gates(full.report)}", flush=True)
        print(f"{scale}x: PR diff (--base HEAD~1) gates: {_gates(pr.report)}", flush=True)

    print(f"\nreadiness check on a generated repository (Python {sys.version.split()[0]}, {os.cpu_count()} CPUs)")
    header = (f"{'scale':>5} {'files':>7} {'gen s':>6} {'full s':>7} {'full MiB':>9} {'PR s':>6} {'PR MiB':>7}"
              f" {'squawk s':>9} {'s/1k files':>10}")
    print(header)
    base_wall = rows[0][3].wall_s if rows else 0.0
    for scale, files, gen_s, full, pr, peer in rows:
        peer_s = f"{peer.wall_s:.2f}" if peer else "-"
        print(f"{scale:>4}x {files:>7} {gen_s:>6.1f} {_secs(full):>7} {full.rss_mb:>9.0f} {_secs(pr):>6}"
              f" {pr.rss_mb:>7.0f} {peer_s:>9} {full.wall_s / files * 1000:>10.3f}")
    failed = [m for row in rows for m in row[3:5] if m.returncode not in (0, 1)]
    if failed:
        print(f"{len(failed)} run(s) ended with an error exit (ERRn above): the figures are not valid")
    if len(rows) > 1 and base_wall > 0:
        last = rows[-1]
        growth = last[3].wall_s / base_wall
        print(f"growth {rows[0][0]}x -> {last[0]}x: wall {growth:.1f}x for {last[1] / rows[0][1]:.1f}x the files")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
