"""Replay through the migrations gate: `readiness check --base HEAD~1` on a real history, wall time end to end.

    .venv/bin/python benchmarks/replay_gate.py --corpus /work/corpora/lemmy [--runs 3]
    .venv/bin/python benchmarks/replay_gate.py --compare /work/corpora/marquez /work/corpora/harbor ... [--last 5]

Where `benchmarks/replay.py bench` times the engine alone, this times what a user waits for: the CLI
starting, the gate discovering and judging the migrations statically, reading the directory's
history into replay inputs, starting a throwaway server, replaying the history, observing the PR's
migrations (downs checked), and rendering the report. The two goals of issue 15, each including
its own server start:

* **300+ history + 5-migration PR** (goal <= 30 s);
* **50 history + 1-migration PR** (goal <= 5 s).

`--compare` is the real-world check: for each corpus's migration directories (5+ SQL migrations), a
pull request adding the last 1..`--last` migrations is checked with replay off and on, and the
differences in findings are counted (new, downgraded, confirmed, per rule), with whether the
history replays cleanly on the server version found.

The corpus's largest migration directory is copied into a fresh git repository under
benchmarks/.work/ (gitignored): a base commit with the history, a head commit adding the PR's
migrations. Corpora are fetched public repositories cloned OUTSIDE the repository, never committed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from readiness.gates.migrations.discover import Candidate, discover
from readiness.gates.migrations.history import root
from readiness.gates.migrations.replayed import _apply_order
from readiness.workspace import Workspace

WORK = Path(__file__).resolve().parent / ".work" / "replay_gate"
READINESS = str(Path(sys.executable).with_name("readiness"))


def _largest(corpus: Path) -> list[Candidate]:
    return max(_dirs(corpus).values(), key=len)


def _files(c: Candidate) -> list[str]:
    return [c.path] + ([c.down_path] if c.down_path else [])


def _git(repo: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.invalid",
           "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.invalid"}
    subprocess.run(["git", "-C", str(repo), *args], env=env, check=True, capture_output=True)


def build(corpus: Path, history: list[Candidate], pr: list[Candidate], name: str) -> Path:
    repo = WORK / name
    shutil.rmtree(repo, ignore_errors=True)
    repo.mkdir(parents=True)
    _git(repo, "init", "-q", "-b", "main")
    # the files the gate reads the migration tool from (go.mod, Cargo.toml) in the directories above
    if history or pr:
        parts = (history or pr)[0].path.split("/")[:-1]
        for depth in range(len(parts) + 1):
            for name in ("go.mod", "Cargo.toml"):
                rel = "/".join([*parts[:depth], name])
                if (corpus / rel).is_file():
                    (repo / rel).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(corpus / rel, repo / rel)
    for step in (history, pr):
        for c in step:
            for rel in _files(c):
                (repo / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(corpus / rel, repo / rel)
        _git(repo, "add", "-A")
        _git(repo, "commit", "-qm", "step", "--allow-empty")
    return repo


def timed(repo: Path, runs: int) -> tuple[list[float], dict[str, Any]]:
    env = {k: v for k, v in os.environ.items() if k not in ("READINESS_REPLAY", "READINESS_DATABASE_URL")}
    times: list[float] = []
    report: dict[str, Any] = {}
    for _ in range(runs):
        t = time.perf_counter()
        proc = subprocess.run([READINESS, "check", str(repo), "--base", "HEAD~1", "--gates", "migrations",
                               "--format", "json", "--fail-on", "never"], capture_output=True, text=True, env=env,
                              timeout=300, check=False)
        times.append(time.perf_counter() - t)
        report = json.loads(proc.stdout)
    return times, report


def _dirs(corpus: Path) -> dict[str, list[Candidate]]:
    by_dir: dict[str, list[Candidate]] = {}
    for c in discover(Workspace(corpus), None):
        if c.format != "python":
            by_dir.setdefault(root(c), []).append(c)
    return {d: sorted(cs, key=_apply_order) for d, cs in by_dir.items() if len(cs) >= 5}


def _check(repo: Path, replay: str) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if k not in ("READINESS_REPLAY", "READINESS_DATABASE_URL")}
    proc = subprocess.run([READINESS, "check", str(repo), "--base", "HEAD~1", "--gates", "migrations", "--format",
                           "json", "--fail-on", "never", "--replay", replay], capture_output=True, text=True,
                          env=env, timeout=300, check=False)
    report: dict[str, Any] = json.loads(proc.stdout)
    return report


def _cases(cands: list[Candidate], last: int, every: int) -> list[tuple[str, int, int]]:
    """(label, start, end) of each simulated PR: the last 1..`last` migrations, or with `every`, each
    `every`-th migration alone as a one-migration PR after the ones before it."""
    if every:  # a popx migration's numbered parts (same 14-digit stamp) arrive in one PR
        def stamp(i: int) -> str:
            name = cands[i].path.rsplit("/", 1)[-1]
            return name[:14] if len(name) > 20 and name[:20].isdigit() else name

        out = []
        for i in range(every - 1, len(cands), every):
            start, end = i, i + 1
            while start > 0 and stamp(start - 1) == stamp(i):
                start -= 1
            while end < len(cands) and stamp(end) == stamp(i):
                end += 1
            out.append((f"#{i + 1} ({end - start} file{'s' if end - start > 1 else ''})", start, end))
        return out
    return [(f"last {k}", len(cands) - k, len(cands)) for k in range(1, last + 1)]


def compare(corpora: list[Path], last: int, every: int = 0) -> int:
    import collections

    totals: collections.Counter[str] = collections.Counter()
    for corpus in corpora:
        for directory, cands in sorted(_dirs(corpus).items()):
            for label, start, end in _cases(cands, last, every):
                repo = build(corpus, cands[:start], cands[start:end], "compare")
                off, on = _check(repo, "off"), _check(repo, "on")
                gate = next(g for g in on["gates"] if g["id"] == "migrations")
                summary = gate.get("replay") or {}
                before = {f["fingerprint"]: f for f in off["findings"]}
                after = {f["fingerprint"]: f for f in on["findings"]}
                new = [f for fp, f in after.items() if fp not in before]
                down = [f for fp, f in after.items() if fp in before and f["severity"] != before[fp]["severity"]]
                confirmed = [f for f in after.values() if "predicted; confirmed" in f["message"]]
                clean = summary.get("history_failures", 0) == 0
                totals["prs"] += 1
                totals["clean" if clean else "history-fails"] += 1
                totals["verdict-changed"] += off["verdict"] != on["verdict"]
                for f in new:
                    totals[f"new {f['rule']} ({f['severity']})"] += 1
                totals["downgraded"] += len(down)
                totals["confirmed"] += len(confirmed)
                print(f"{corpus.name} {directory} {label}: PostgreSQL {summary.get('server_version')}, history "
                      f"{'clean' if clean else str(summary.get('history_failures')) + ' failing statements'}; "
                      f"{len(off['findings'])} -> {len(on['findings'])} findings, {len(new)} new "
                      f"{sorted({f['rule'] for f in new})}, {len(down)} downgraded, {len(confirmed)} confirmed, "
                      f"verdict {off['verdict']} -> {on['verdict']}, {gate['duration_ms'] / 1000:.1f} s")
                for f in new + down:
                    print(f"    {f['severity']:<8} {f['rule']} {f['path']}:{f['line']}: {f['message'][:220]}")
    print("totals:", dict(sorted(totals.items())))
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=Path("/work/corpora/lemmy"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--compare", type=Path, nargs="+", metavar="CORPUS")
    ap.add_argument("--last", type=int, default=5)
    ap.add_argument("--every", type=int, default=0, help="with --compare: each N-th migration alone as the PR")
    args = ap.parse_args(argv)
    if args.compare:
        return compare(args.compare, args.last, args.every)
    if not args.corpus.is_dir():
        print(f"{args.corpus} is not there: clone a corpus first (see the docstring)")
        return 2
    cands = _largest(args.corpus)
    if len(cands) < 306:
        print(f"need at least 306 migrations in one directory, found {len(cands)}")
        return 2
    print(f"corpus {args.corpus}: {root(cands[0])}, {len(cands)} migrations")
    ok = True
    for label, history, pr, goal in ((f"history {300} + PR 5 (goal 30 s)", cands[:300], cands[300:305], 30.0),
                                     ("history 50 + PR 1 (goal 5 s)", cands[:50], cands[50:51], 5.0)):
        repo = build(args.corpus, history, pr, f"h{len(history)}")
        times, report = timed(repo, args.runs)
        med = statistics.median(times)
        ok = ok and med <= goal
        gate = next(g for g in report["gates"] if g["id"] == "migrations")
        print(f"{label}: median {med:.2f} s (min {min(times):.2f}, max {max(times):.2f}, {args.runs} runs) "
              f"-> {'OK' if med <= goal else 'OVER'}; gate {gate['duration_ms'] / 1000:.2f} s; "
              f"replay {json.dumps(gate.get('replay'))}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
