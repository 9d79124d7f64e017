"""The CLI benchmarks over several source trees of this project, side by side in alternating rounds.

    .venv/bin/python benchmarks/trees.py --tree before=/work/m-before --tree main=/tmp/main --tree here=. \\
        [--runs 7] [--only large-full large-pr config migrations deps]

"Is this commit slower than that one?" on a shared, noisy machine: every tree is run by the same
interpreter (this venv's, so the dependencies are the same) with `PYTHONPATH=<tree>/src`, its
bytecode compiled first, in rounds where each benchmark runs every tree in turn (the order rotating
from round to round) next to the peer tool where there is one. The figure is the process CPU (user
+ sys of the command and every child it waited for: git, forked workers), median over the rounds;
each row's ratio is to the first tree. The peer runs in the first `--peer-runs` rounds only.
Wall medians are printed too, but on 2 shared cores they mostly say what else ran. Replay is off
(`READINESS_REPLAY=off`): where PostgreSQL is installed it would start a throwaway server (seconds),
which the commits before it do not have.

Benchmarks (the inputs are the other scripts' generated trees and corpora):
* `large-full`, `large-pr`: `readiness check` on large_repo.py's 1x repository, full scan and `--base HEAD~1`;
* `config`: `--gates config` on config_vs_check_jsonschema.py's 2,000-file corpus, and check-jsonschema;
* `migrations`: `--gates migrations` on lemmy (migrations_vs_squawk.py's corpus, replay off), and squawk;
* `deps`: `--gates deps --offline-db` on a 500-package uv.lock (deps_offline.py's) against the shared
  OSV snapshot, the name index cached (each tree has a TMPDIR of its own, so caches never collide).
"""

from __future__ import annotations

import argparse
import compileall
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORK = HERE / ".work"
BIN = Path(sys.executable).parent
LEMMY = Path("/work/bench-cache/lemmy")
OSV = HERE.parent.parent / "shared" / "data" / "osv-pypi"
CLI = "import sys; from readiness.cli import main; sys.exit(main())"


@dataclass(frozen=True, slots=True)
class Bench:
    """One benchmark: the command's arguments after `readiness`, where it runs, and its peer."""

    name: str
    args: list[str]
    cwd: Path
    peer: tuple[str, list[str]] | None = None
    env: dict[str, str] | None = None


def _large() -> Path:
    sys.path.insert(0, str(HERE))
    import large_repo

    root, _, _ = large_repo.ensure_repo(1)
    return root


def _config() -> tuple[Path, list[str]]:
    sys.path.insert(0, str(HERE))
    import config_vs_check_jsonschema as cfg

    work = WORK / "trees-config"
    if not (work / ".readiness.yml").exists():
        cfg.generate(work, 2000, 42)
    files = sorted(str(p.relative_to(work)) for p in (work / "configs").glob("*.yaml"))
    uri = (work / "schemas" / "service.schema.json").resolve().as_uri()
    return work, [str(BIN / "check-jsonschema"), "--base-uri", uri, "--schemafile", "schemas/service.schema.json",
                  *files]


def _deps() -> Path:
    sys.path.insert(0, str(HERE))
    import deps_offline

    work = WORK / "trees-deps"
    if not (work / "uv.lock").exists():
        work.mkdir(parents=True, exist_ok=True)
        deps_offline.make_lock(OSV, 500, work / "uv.lock")
    return work


def benches(only: list[str]) -> list[Bench]:
    out: list[Bench] = []
    json_out = ["--format", "json", "--fail-on", "never"]
    if {"large-full", "large-pr"} & set(only):
        root = _large()
        if "large-full" in only:
            out.append(Bench("large-full", ["check", str(root), *json_out], root))
        if "large-pr" in only:
            out.append(Bench("large-pr", ["check", str(root), "--base", "HEAD~1", *json_out], root))
    if "config" in only:
        work, peer = _config()
        out.append(Bench("config", ["check", ".", "--gates", "config", *json_out], work, ("check-jsonschema", peer)))
    if "migrations" in only and LEMMY.is_dir():
        squawk = [str(BIN / "squawk"), "--reporter", "json",
                  *sorted(str(p) for p in LEMMY.rglob("*.sql"))]
        out.append(Bench("migrations", ["check", str(LEMMY), "--gates", "migrations", *json_out], LEMMY,
                         ("squawk", squawk)))
    if "deps" in only and OSV.is_dir():
        work = _deps()
        out.append(Bench("deps", ["check", ".", "--gates", "deps", "--offline-db", str(OSV), *json_out], work))
    return out


def timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + sys, children it waited for included) of one run."""
    with open(os.devnull, "wb") as devnull, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=devnull, stderr=err, env=env)
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        code = os.waitstatus_to_exitcode(status)
        if code not in (0, 1):
            err.seek(0)
            raise SystemExit(f"{cmd[:4]} exited {code}: {err.read()[-2000:].decode(errors='replace')}")
    return wall, usage.ru_utime + usage.ru_stime


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tree", action="append", required=True, metavar="NAME=DIR",
                    help="a source tree (DIR/src/readiness); the first is the reference")
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--only", nargs="+", default=["large-full", "large-pr", "config", "migrations", "deps"])
    ap.add_argument("--peer-runs", type=int, default=3,
                    help="rounds that also run the peer tool (check-jsonschema takes ~30 s a round)")
    args = ap.parse_args(argv)
    trees: dict[str, Path] = {}
    for spec in args.tree:
        name, _, path = spec.partition("=")
        trees[name] = Path(path).resolve()
        if not (trees[name] / "src" / "readiness").is_dir():
            raise SystemExit(f"{path}: no src/readiness")
        compileall.compile_dir(trees[name] / "src", quiet=1)
    tmp = Path(tempfile.mkdtemp(prefix="readiness-trees-"))
    envs: dict[str, dict[str, str]] = {}
    for name, path in trees.items():
        (tmp / name).mkdir()
        envs[name] = {**os.environ, "PYTHONPATH": str(path / "src"), "TMPDIR": str(tmp / name),
                      "READINESS_REPLAY": "off", "HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9"}
    todo = benches(args.only)
    names = list(trees)
    cpu: dict[tuple[str, str], list[float]] = {}
    wall: dict[tuple[str, str], list[float]] = {}
    load: list[float] = []

    def record(bench: str, who: str, cmd: list[str], cwd: Path, env: dict[str, str]) -> None:
        w, c = timed(cmd, cwd, env)
        wall.setdefault((bench, who), []).append(w)
        cpu.setdefault((bench, who), []).append(c)

    for b in todo:  # a warm-up round: caches (OSV index, page cache) as a repeated run finds them
        for name in names:
            timed([sys.executable, "-c", CLI, *b.args], b.cwd, {**envs[name], **(b.env or {})})
    for r in range(args.runs):
        load.append(os.getloadavg()[0])
        order = names[r % len(names):] + names[:r % len(names)]
        for b in todo:
            if b.peer is not None and r < args.peer_runs:
                peer_name, peer_cmd = b.peer
                record(b.name, peer_name, peer_cmd, b.cwd, dict(os.environ))
            for name in order:
                record(b.name, name, [sys.executable, "-c", CLI, *b.args], b.cwd, {**envs[name], **(b.env or {})})
        print(f"round {r + 1}/{args.runs} done (load {load[-1]:.1f})", file=sys.stderr)
    ref = names[0]
    print(f"\n{args.runs} rounds, load average {min(load):.1f}-{max(load):.1f}; CPU s (user+sys, children "
          f"included) median, wall s median; ratio = CPU / {ref}'s CPU")
    print(f"| benchmark | who | CPU s | wall s | CPU ratio to {ref} |")
    print("|---|---|---:|---:|---:|")
    for b in todo:
        base = statistics.median(cpu[(b.name, ref)])
        whos = ([b.peer[0]] if b.peer and args.peer_runs > 0 else []) + names
        for who in whos:
            c = statistics.median(cpu[(b.name, who)])
            w = statistics.median(wall[(b.name, who)])
            print(f"| {b.name} | {who} | {c:.3f} | {w:.3f} | {c / base:.2f}x |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
