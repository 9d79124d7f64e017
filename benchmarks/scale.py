"""Scale (issue 7): `readiness check` on a generated repository of 100,000 files and a 3,000-file PR.

    .venv/bin/python benchmarks/scale.py                  # 1/10 and 1x (10,000 -> 100,000 files)
    .venv/bin/python benchmarks/scale.py --scale 0.1      # quick look
    .venv/bin/python benchmarks/scale.py --scale 0.1 0.5 1

At 1x: 100,000 files, of which 2,000 SQL migrations (a seeded mix of safe and risky DDL), 1,000
service YAML files validated by a JSON Schema, a 2,000-line poetry.lock plus a pinned
requirements.txt audited offline (../shared/data/osv-pypi when it is beside the repository, else a
generated one-record OSV directory: never the network), ADRs, a RUNBOOK, and Python files as filler.
The tree is a git repository with a base commit and a "PR" commit that touches 3,000+ files
(new migrations, changed configs and lock entries, edited filler), checked with `--base HEAD~1`.

For each scale: files, generation seconds, then for the full scan and the PR diff the wall time,
the child's peak RSS (wait4 rusage) and the slowest gate; at the end the growth ratios between the
smallest and largest scale (a linear cost grows by the same factor as the input).
Generated trees live under benchmarks/.work/ (gitignored) and are reused.
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
REPO = HERE.parent
WORK = HERE / ".work"
SHARED_OSV = REPO.parent / "shared" / "data" / "osv-pypi"
SEED = 7
GENERATOR = "scale-2"
"""Bump when the generated content changes, so stale trees are regenerated."""

FILES, MIGRATIONS, CONFIGS, LOCK_LINES, PR_FILES = 100_000, 2_000, 1_000, 2_000, 3_000

STATEMENTS = [
    "CREATE TABLE t{n} (id bigint PRIMARY KEY, name text NOT NULL);",
    "ALTER TABLE t{m} ADD COLUMN c{n} integer;",
    "CREATE INDEX CONCURRENTLY i{n} ON t{m} (name);",
    "CREATE INDEX i{n} ON t{m} (name);",
    "ALTER TABLE t{m} RENAME COLUMN name TO title{n};",
    "ALTER TABLE t{m} DROP COLUMN c{n};",
    "ALTER TABLE t{m} ALTER COLUMN name TYPE varchar(200);",
    "UPDATE t{m} SET name = 'x' WHERE id < {n};",
    "SET lock_timeout = '2s';",
]
SCHEMA = {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
          "required": ["name", "replicas"], "additionalProperties": False,
          "properties": {"name": {"type": "string"}, "replicas": {"type": "integer", "minimum": 1},
                         "port": {"type": "integer"}, "tags": {"type": "array", "items": {"type": "string"}}}}
PACKAGES = ["requests", "urllib3", "django", "flask", "jinja2", "pyyaml", "numpy", "pillow", "lxml", "cryptography",
            "sqlalchemy", "celery", "redis", "boto3", "pydantic", "fastapi", "httpx", "attrs", "click", "rich"]


@dataclass(frozen=True, slots=True)
class Sizes:
    """What one scale generates."""

    files: int
    migrations: int
    configs: int
    lock_lines: int
    pr_files: int


def sizes(scale: float) -> Sizes:
    return Sizes(int(FILES * scale), int(MIGRATIONS * scale), int(CONFIGS * scale), int(LOCK_LINES * scale),
                 max(int(PR_FILES * scale), 1))


def write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def git(root: Path, *args: str) -> str:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(root), "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@example.com",
           "GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@example.com"}
    return subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True, text=True).stdout


def migration(rng: random.Random, n: int) -> str:
    return "\n".join(rng.choice(STATEMENTS).format(n=n * 10 + k, m=rng.randrange(max(n, 1)))
                     for k in range(rng.randint(1, 4))) + "\n"


def lock_text(rng: random.Random, lines: int, bump: bool = False) -> str:
    out: list[str] = []
    i = 0
    while sum(len(block.splitlines()) for block in out) < lines:
        name = f"{PACKAGES[i % len(PACKAGES)]}{'' if i < len(PACKAGES) else f'-x{i}'}"
        version = f"{1 + i % 7}.{i % 13}.{(i + int(bump)) % 5}"
        out.append(f'[[package]]\nname = "{name}"\nversion = "{version}"\ndescription = "p"\noptional = false\n'
                   f'python-versions = ">=3.8"\n\n')
        i += 1
    return "".join(out) + '[metadata]\nlock-version = "2.0"\npython-versions = "^3.11"\ncontent-hash = "x"\n'


def generate(root: Path, size: Sizes) -> float:
    """Build the base and the PR commit; returns seconds spent."""
    start = time.perf_counter()
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    rng = random.Random(SEED)
    write(root, ".readiness.yml", "version: 1\ngates:\n  config:\n    schemas:\n"
          "      - {files: 'config/services/*.yaml', schema: schemas/service.schema.json}\n")
    write(root, "schemas/service.schema.json", json.dumps(SCHEMA, indent=2))
    write(root, "README.md", "# scale\n")
    write(root, "RUNBOOK.md", "# Runbook\n\n## Symptoms\nx\n\n## Diagnosis\nx\n\n## Mitigation\nx\n")
    for i in range(1, 21):
        write(root, f"docs/adr/{i:04d}-decision-{i}.md", f"# {i}. Decision {i}\n\nDate: 2026-01-01\n\n## Status\n\n"
              "Accepted\n\n## Context\n\nx\n\n## Decision\n\nx\n\n## Consequences\n\nx\n")
    for n in range(1, size.migrations + 1):
        write(root, f"db/migrations/V{n}__m{n}.sql", migration(rng, n))
    for i in range(size.configs):
        bad = "\nunknown_key: 1" if i % 97 == 0 else ""
        write(root, f"config/services/svc-{i}.yaml", f"name: svc-{i}\nreplicas: {1 + i % 5}\nport: {8000 + i}\n"
              f"tags: [a, b]{bad}\n")
    write(root, "poetry.lock", lock_text(rng, size.lock_lines))
    write(root, "requirements.txt", "".join(f"{p}=={1 + i % 3}.{i % 9}.0\n" for i, p in enumerate(PACKAGES)))
    made = sum(1 for _ in root.rglob("*") if _.is_file())
    filler = max(size.files - made, 0)
    per_dir = 500
    for i in range(filler):
        write(root, f"src/pkg{i // per_dir:04d}/mod{i % per_dir:04d}.py", f"VALUE = {i}\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    # the PR: new migrations, changed configs and lock entries, edited filler: >= pr_files paths
    touched = 0
    new_migrations = max(size.pr_files // 30, 3)
    for n in range(size.migrations + 1, size.migrations + 1 + new_migrations):
        write(root, f"db/migrations/V{n}__pr{n}.sql", migration(rng, n))
        touched += 1
    for i in range(0, size.configs, 4):
        write(root, f"config/services/svc-{i}.yaml", f"name: svc-{i}\nreplicas: {2 + i % 5}\nport: {9000 + i}\n")
        touched += 1
    write(root, "poetry.lock", lock_text(rng, size.lock_lines, bump=True))
    touched += 1
    i = 0
    while touched < size.pr_files and i < filler:
        write(root, f"src/pkg{i // per_dir:04d}/mod{i % per_dir:04d}.py", f"VALUE = {i + 1}\n")
        touched += 1
        i += 7
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "pr")
    (root / ".scale-stamp").write_text(f"{GENERATOR} {size}\n")
    return time.perf_counter() - start


@dataclass(frozen=True, slots=True)
class Measured:
    """One `readiness check` run."""

    seconds: float
    rss_mib: float
    code: int
    gates: dict[str, tuple[str, float]]
    findings: int


def measure(root: Path, osv: Path, *extra: str) -> Measured:
    """Run the CLI as a child and read its own peak RSS from wait4."""
    readiness = Path(sys.executable).parent / "readiness"
    out = root.parent / f"{root.name}-report.json"
    argv = [str(readiness), "check", str(root), "--format", "json", "--output", str(out), "--offline-db", str(osv),
            "--fail-on", "never", *extra]
    err_path = root.parent / f"{root.name}-stderr.txt"
    with open(err_path, "wb") as err_file:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err_file)
        _pid, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code  # reaped by wait4: tell Popen, so it does not wait again
    err = err_path.read_text(encoding="utf-8", errors="replace")
    if code not in (0, 1):
        raise SystemExit(f"readiness exited {code}: {err[-500:]}")
    data = json.loads(out.read_text(encoding="utf-8"))
    gates = {g["id"]: (g["status"], g["duration_ms"] / 1000) for g in data["gates"]}
    return Measured(seconds, usage.ru_maxrss / 1024, code, gates, len(data["findings"]))


def osv_dir() -> Path:
    if SHARED_OSV.is_dir():
        return SHARED_OSV
    path = WORK / "osv-one"
    write(path, "PYSEC-0000-1.json", json.dumps({"id": "PYSEC-0000-1", "modified": "2026-01-01T00:00:00Z",
                                                 "affected": [{"package": {"ecosystem": "PyPI", "name": "requests"},
                                                               "ranges": [{"type": "ECOSYSTEM", "events": [
                                                                   {"introduced": "0"}, {"fixed": "1.0.0"}]}]}]}))
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, nargs="+", default=[0.1, 1.0])
    parser.add_argument("--fresh", action="store_true", help="regenerate even when a tree exists")
    args = parser.parse_args(argv)
    compile_package()  # time what an installed copy runs, not compiling from source
    osv = osv_dir()
    rows: list[tuple[float, Sizes, float, Measured, Measured, int]] = []
    for scale in args.scale:
        size = sizes(scale)
        root = WORK / f"scale-{scale:g}"
        stamp = root / ".scale-stamp"
        gen = 0.0
        if args.fresh or not stamp.is_file() or stamp.read_text() != f"{GENERATOR} {size}\n":
            gen = generate(root, size)
        changed = len(git(root, "diff", "--name-only", "HEAD~1", "HEAD").splitlines())
        full = measure(root, osv)
        pr = measure(root, osv, "--base", "HEAD~1")
        rows.append((scale, size, gen, full, pr, changed))
        print(f"scale {scale:g}: {size.files:,} files generated in {gen:.1f} s; full {full.seconds:.2f} s "
              f"{full.rss_mib:.0f} MiB; PR ({changed:,} files) {pr.seconds:.2f} s {pr.rss_mib:.0f} MiB", flush=True)

    print()
    print("| scale | files | migrations | configs | lock lines | PR files | full scan s | full MiB | PR diff s "
          "| PR MiB | slowest gate (full) | findings |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for scale, size, _gen, full, pr, changed in rows:
        gate, (_status, secs) = max(full.gates.items(), key=lambda kv: kv[1][1])
        print(f"| {scale:g}x | {size.files:,} | {size.migrations:,} | {size.configs:,} | {size.lock_lines:,} "
              f"| {changed:,} | {full.seconds:.2f} | {full.rss_mib:.0f} | {pr.seconds:.2f} | {pr.rss_mib:.0f} "
              f"| {gate} {secs:.2f} s | {full.findings:,} |")
    print()
    print("per gate (full scan, seconds):", "; ".join(
        f"{scale:g}x " + ", ".join(f"{g} {s:.2f} ({st})" for g, (st, s) in full.gates.items())
        for scale, _size, _gen, full, _pr, _c in rows))
    if len(rows) >= 2:
        (s0, z0, _g0, f0, p0, _c0), (s1, z1, _g1, f1, p1, _c1) = rows[0], rows[-1]
        factor = z1.files / z0.files
        print(f"growth {s0:g}x -> {s1:g}x (input x{factor:.1f}): full scan time x{f1.seconds / f0.seconds:.2f}, "
              f"memory x{f1.rss_mib / f0.rss_mib:.2f}; PR diff time x{p1.seconds / p0.seconds:.2f}, "
              f"memory x{p1.rss_mib / p0.rss_mib:.2f}  (linear = x{factor:.1f}; below it, fixed costs dominate)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
