"""Start-up cost: `readiness --version` against `python -c pass` on the same interpreter.

    .venv/bin/python benchmarks/startup.py [--runs 30]

Uses hyperfine when it is installed (`apt-get install hyperfine`), else a Python loop (median of
--runs). Goal (issue 2): at most 3x `python -c pass`, which holds only while PyGithub, pip-audit,
jsonschema, pglast and yaml are imported lazily. Also prints the slowest imports of `--version`
from `python -X importtime`, to find the culprit when the ratio regresses.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _bytecode import compile_package

GOAL = 3.0


def _script() -> Path:
    script = Path(sys.executable).parent / "readiness"
    if not script.exists():
        raise SystemExit(f"{script} not found: run `make dev` and use the venv's python")
    return script


def _loop(cmd: list[str], runs: int) -> tuple[float, float]:
    """(median, stdev) in ms of `runs` executions after 3 warm-ups."""
    for _ in range(3):
        subprocess.run(cmd, check=True, capture_output=True)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), statistics.stdev(times)


def _hyperfine(cmds: list[list[str]], runs: int) -> list[tuple[float, float]]:
    """(median, stdev) in ms per command, measured by hyperfine."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "h.json"
        subprocess.run(["hyperfine", "--warmup", "3", "--runs", str(runs), "--shell=none", "--style", "none",
                        "--export-json", str(out), *[" ".join(c) for c in cmds]],
                       check=True, capture_output=True)
        results = json.loads(out.read_text())["results"]
    return [(r["median"] * 1000, r["stddev"] * 1000) for r in results]


def _import_offenders(top: int) -> tuple[list[tuple[float, str]], list[tuple[float, str]]]:
    """From one `python -X importtime` run of `--version`: the `top` slowest top-level imports by
    cumulative ms, and the `top` slowest modules by their own (self) ms."""
    code = "from readiness.cli import main; main(['--version'])"
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True,
                          check=False)
    cumulative: list[tuple[float, str]] = []
    own: list[tuple[float, str]] = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        self_us, cumulative_us, raw_name = line.removeprefix("import time:").split("|")
        name = raw_name.strip()
        own.append((int(self_us) / 1000, name))
        if raw_name[1:2] != " ":  # nested imports are indented by two spaces per level
            cumulative.append((int(cumulative_us) / 1000, name))
    return sorted(cumulative, reverse=True)[:top], sorted(own, reverse=True)[:top]


def main() -> int:
    """Print the start-up table and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--top", type=int, default=8, help="how many slow imports to list")
    args = parser.parse_args()
    compile_package()  # time what an installed copy runs, not compiling from source

    baseline = [sys.executable, "-c", "pass"]
    version = [str(_script()), "--version"]
    cmds = [baseline, version]
    if shutil.which("hyperfine"):
        method = "hyperfine"
        results = _hyperfine(cmds, args.runs)
    else:
        method = "python loop"
        results = [_loop(c, args.runs) for c in cmds]
    (base_ms, base_sd), (ver_ms, ver_sd) = results
    ratio = ver_ms / base_ms
    print(f"start-up ({method}, median of {args.runs} runs, Python {sys.version.split()[0]})")
    print(f"{'command':<34} {'median ms':>10} {'stdev':>7}")
    print(f"{'python -c pass':<34} {base_ms:>10.1f} {base_sd:>7.1f}")
    print(f"{'readiness --version':<34} {ver_ms:>10.1f} {ver_sd:>7.1f}")
    verdict = "OK" if ratio <= GOAL else "OVER GOAL"
    print(f"ratio readiness/python: {ratio:.2f}x (goal <= {GOAL:.0f}x: {verdict})")
    by_cumulative, by_self = _import_offenders(args.top)
    print("\nimports of `readiness --version` (python -X importtime, one run, ms)")
    print(f"  {'top-level, cumulative':<40} {'any module, self':<40}")
    for (c_ms, c_name), (s_ms, s_name) in zip(by_cumulative, by_self, strict=False):
        print(f"  {c_ms:>7.1f}  {c_name:<31} {s_ms:>7.1f}  {s_name}")
    return 0 if ratio <= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
