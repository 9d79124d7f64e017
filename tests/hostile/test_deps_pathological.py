"""Pathological dependency files: every one ends, quickly, in a verdict with per-file findings.

Each case is a small file (at most 2 MiB, the default size cap) built to hit one algorithm of the deps
parsers at its worst: whitespace runs against the requirements comment regex, thousands of `\\`
continuation lines, a Pipfile.lock with tens of thousands of entries, TOML nested deeper than the
parser's recursion, a pyproject.toml with a header line of spaces and with tens of thousands of
dependencies. Before the parsers were made linear these took minutes (or crashed with exit 3);
now each run must finish well inside the bound below, with exit 0 or 1 and a JSON report.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

READINESS = Path(sys.executable).parent / "readiness"
BOUND_S = 30.0
"""Wall-clock bound per run: the fixed parsers take about a second; the old ones took minutes."""


def _pipfile_many(n: int) -> str:
    rows = ",\n".join(f'        "p{i}": {{"version": "==1.{i}"}}' for i in range(n))
    return '{\n    "_meta": {},\n    "default": {\n' + rows + "\n    },\n    \"develop\": {}\n}\n"


def _pyproject_many(n: int) -> str:
    rows = "\n".join(f'  "p{i}>=1",' for i in range(n))
    return f'[project]\nname = "x"\nversion = "1"\ndependencies = [\n{rows}\n]\n'


CASES: dict[str, tuple[str, Callable[[], str]]] = {
    # `(^|\s+)#.*$` tried at every space of a long run with no `#`: quadratic per line
    "requirements-whitespace-runs": ("requirements.txt", lambda: ("a" + " " * 9_990 + "b\n") * 150),
    # 60,000 continuation lines join into one logical line of whitespace
    "requirements-continuations": ("requirements.txt", lambda: "   \\\n" * 60_000 + "requests==2.31.0\n"),
    # `name  @`-style lookahead with two adjacent `\s*` around an optional group
    "requirements-named-url-spaces": ("requirements.txt", lambda: ("x" + " " * 9_990 + "y\n") * 150),
    # one scan of every line per entry: entries x lines
    "pipfile-lock-many-entries": ("Pipfile.lock", lambda: _pipfile_many(45_000)),
    # tomllib recurses once per nesting level: RecursionError, exit 3
    "uv-lock-nested-arrays": ("uv.lock", lambda: "a = " + "[" * 200_000 + "]" * 200_000 + "\n"),
    "poetry-lock-nested-tables": ("poetry.lock", lambda: "a = " + "{b = " * 100_000 + "1" + "}" * 100_000 + "\n"),
    "pyproject-nested-arrays": ("pyproject.toml", lambda: "a = " + "[" * 200_000 + "]" * 200_000 + "\n"),
    # the section-header regex backtracks cubically on a `[` followed by spaces
    # (inside a multi-line string, so the TOML is valid and the line scan sees it)
    "pyproject-header-spaces": ("pyproject.toml",
                                lambda: '[project]\nname = "x"\ndescription = """\n[' + " " * 20_000 + 'x\n"""\n'),
    # each dependency's line was searched from the section start: dependencies x lines
    "pyproject-many-dependencies": ("pyproject.toml", lambda: _pyproject_many(60_000)),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_pathological_dependency_file_is_bounded(case: str, tmp_path: Path) -> None:
    rel, make = CASES[case]
    repo = tmp_path / "repo"
    repo.mkdir()
    data = make().encode("utf-8")
    assert len(data) <= 2 * 1024 * 1024, "the case must fit under the default size cap"
    (repo / rel).write_bytes(data)
    osv = tmp_path / "osv"
    osv.mkdir()
    (osv / "PYSEC-0000-1.json").write_text(json.dumps({
        "id": "PYSEC-0000-1", "modified": "2026-01-01T00:00:00Z",
        "affected": [{"package": {"name": "nothing-here", "ecosystem": "PyPI"}, "versions": ["1.0"]}]}))
    argv = [str(READINESS), "check", str(repo), "--gates", "deps", "--format", "json", "--offline-db", str(osv)]
    start = time.monotonic()
    try:
        proc = subprocess.run(argv, capture_output=True, timeout=BOUND_S, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{case}: no verdict within {BOUND_S:.0f} s")
    elapsed = time.monotonic() - start
    assert proc.returncode in (0, 1), (proc.returncode, proc.stderr.decode()[-500:])
    assert b"Traceback" not in proc.stderr
    report = json.loads(proc.stdout)
    gate = next(g for g in report["gates"] if g["id"] == "deps")
    assert gate["status"] in ("pass", "fail"), gate
    nested = "nested" in case
    if nested:  # the file is reported, at the file, as a per-file finding
        assert any(f["path"] == rel and f["rule"] == "deps/invalid-requirement" for f in report["findings"])
        assert any("nest" in f["message"] for f in report["findings"] if f["path"] == rel)
    assert elapsed < BOUND_S
