"""mypy --strict on all of src/, tests/, benchmarks/ and scripts/: `make lint` and the pre-commit hook run this.

    python scripts/mypy_all.py

One run checks the files pyproject.toml names (src/ and tests/, every nested conftest.py left out),
then each nested conftest.py gets a run of its own: tests have no __init__.py (pytest puts each test
folder on sys.path), so every conftest.py has the module name `conftest`, and one mypy run cannot
hold two modules of one name. The exit status is the worst of the runs.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def nested_conftests() -> list[Path]:
    """Every conftest.py below tests/ but the top one (which the main run checks)."""
    return sorted(p for p in (REPO / "tests").rglob("conftest.py")
                  if p.parent != REPO / "tests" and "fixtures" not in p.relative_to(REPO).parts)


def main() -> int:
    mypy = [sys.executable, "-m", "mypy"]
    runs = [mypy, *([*mypy, "--no-error-summary", str(p.relative_to(REPO))] for p in nested_conftests())]
    worst = 0
    for argv in runs:
        worst = max(worst, subprocess.run(argv, cwd=REPO, check=False).returncode)
    return worst


if __name__ == "__main__":
    sys.exit(main())
