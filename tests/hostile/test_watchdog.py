"""Issue 11, class 6: no gate can hang the run or eat the machine, and globs match in linear time.

A gate that loops, one stuck in a catastrophic regular expression (in C), and one that allocates
without end become gate errors that fail closed; the other gates give their verdict, within the
stated bounds. Exponential globs (from a config, or built from a directory name) finish at once.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from sec_support import DROP, PrRepo, assert_no_defect, check, small_env

DRIVER = """
import re, sys
import readiness.engine as engine
from readiness.cli import main

class Loop:
    def run(self, ctx):
        while True:
            pass

class Regex:
    def run(self, ctx):
        re.match(r"(a|aa)+$", "a" * 64 + "b")

class Hog:
    def run(self, ctx):
        hoard = []
        while True:
            hoard.append(bytearray(64 * 1024 * 1024))

real = engine.load
stand_ins = {"docs": Loop(), "config": Regex(), "deps": Hog()}
engine.load = lambda gate_id: stand_ins.get(gate_id) or real(gate_id)
sys.exit(main(sys.argv[1:]))
"""
GATE_SECONDS = 3.0


def test_hanging_and_hungry_gates_fail_closed_and_the_rest_stands(tmp_path: Path) -> None:
    repo = PrRepo.make(tmp_path / "ws", {"README.md": "# r\n"}, {"db/migrations/V2__drop.sql": DROP})
    env = small_env(tmp_path, READINESS_GATE_TIMEOUT=str(GATE_SECONDS), READINESS_RUN_TIMEOUT="30",
                    READINESS_GATE_MEMORY_MB="600")
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-I", "-c", DRIVER, "check", str(repo.path), "--format", "json"],
                          env=env, capture_output=True, text=True, timeout=90, check=False)
    seconds = time.monotonic() - start
    assert done.returncode == 1, (done.returncode, done.stderr[-1000:])
    report = json.loads(done.stdout)
    gates = {g["id"]: g for g in report["gates"]}
    for gate in ("docs", "config"):
        assert gates[gate]["status"] == "error" and "gave up after" in gates[gate]["error"], gates[gate]
    assert gates["deps"]["status"] == "error" and "memory" in gates["deps"]["error"], gates["deps"]
    assert gates["migrations"]["status"] == "fail", "the gate that works still gives its verdict"
    assert any(f["rule"] == "migrations/drop-table" for f in report["findings"])
    assert seconds < 2 * GATE_SECONDS + 15, f"took {seconds:.1f} s"


def test_the_run_budget_is_shared_so_every_gate_gets_a_turn(tmp_path: Path) -> None:
    repo = PrRepo.make(tmp_path / "ws", {"README.md": "# r\n"}, {"db/migrations/V2__drop.sql": DROP})
    env = small_env(tmp_path, READINESS_GATE_TIMEOUT="60", READINESS_RUN_TIMEOUT="8")
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-I", "-c", DRIVER, "check", str(repo.path), "--format", "json",
                           "--gates", "config,docs"], env=env, capture_output=True, text=True, timeout=90,
                          check=False)
    assert time.monotonic() - start < 8 + 10
    gates = {g["id"]: g for g in json.loads(done.stdout)["gates"]}
    assert gates["config"]["status"] == gates["docs"]["status"] == "error", gates


def test_exponential_globs_finish_at_once(tmp_path: Path) -> None:
    stars = "*a" * 12 + "*b"

    def pr(root: Path) -> None:
        (root / ".readiness.yml").write_text(f"exclude: ['{stars}', '**/{stars}/**']\n")
        (root / ("a" * 200)).write_text("x\n")
        (root / ("a" * 100) / ("a" * 100)).mkdir(parents=True)
        (root / ("a" * 100) / ("a" * 100) / ("a" * 50 + ".md")).write_text("# x\n")
        (root / stars).mkdir()
        (root / stars / "0001-record.md").write_text("# 1. Record\n")
        (root / ".adr-dir").write_text(stars + "\n")  # a directory name that is a glob

    repo = PrRepo.make(tmp_path / "ws", {"README.md": "# r\n"}, pr)
    done = check(repo.path, "--gates", "docs,config", home=tmp_path, timeout=60)
    assert_no_defect(done)
    assert done.seconds < 15, f"took {done.seconds:.1f} s"


def test_a_line_of_blanks_after_an_inline_waiver_cannot_hang_the_engine(tmp_path: Path) -> None:
    """Inline waivers are read by the engine itself, after the gates (outside any watchdog): the
    parse must be linear. 5,000 blanks took 90 s with the former regex; this line has 200,000."""
    line = "-- readiness: ignore migrations/drop-table" + " " * 200_000 + "x\n"
    repo = PrRepo.make(tmp_path / "ws", {"README.md": "# r\n"}, {"db/migrations/V2__drop.sql": line + DROP})
    done = check(repo.path, "--gates", "migrations", home=tmp_path, timeout=60)
    assert_no_defect(done)
    assert done.seconds < 15, f"took {done.seconds:.1f} s"
    assert any(f["rule"] == "migrations/invalid-waiver" for f in done.findings()), "a waiver with no reason"
