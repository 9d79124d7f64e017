"""Run the docs gate over real repositories, as a user would, and print what it finds.

The repositories are snapshots extracted under /work/bench-cache/docs/<owner>+<name>/ (never
committed). Each runs with GITHUB_REPOSITORY set to its own name, so GitHub URLs to its own files
resolve. Prints one row per repository (files checked, findings per rule) and the time taken.

    .venv/bin/python benchmarks/docs_real_repos.py [--cache DIR] [--show RULE]
"""

from __future__ import annotations

import argparse
import os
import time
from collections import Counter
from pathlib import Path

from readiness.config import Config
from readiness.gates.base import GateContext
from readiness.gates.docs import GATE
from readiness.workspace import Workspace

SETTINGS: dict[str, dict[str, object]] = {
    # runbook collections keep one runbook per alert outside the default globs
    "prometheus-operator+runbooks": {"runbooks": ["content/runbooks/**/*.md"]},
    "openshift+runbooks": {"runbooks": ["alerts/*/*.md"]},
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cache", default="/work/bench-cache/docs")
    parser.add_argument("--show", action="append", default=[], help="print findings of this rule")
    args = parser.parse_args()
    roots = sorted(p for p in Path(args.cache).iterdir() if p.is_dir())
    total = Counter[str]()
    print(f"{'repository':45} {'adrs':>5} {'runbooks':>8} {'alerts':>6} {'findings':>8} {'ms':>7}  by rule")
    for root in roots:
        os.environ["GITHUB_REPOSITORY"] = root.name.replace("+", "/")
        ws = Workspace(root)
        start = time.perf_counter()
        config = Config(gates={"docs": dict(SETTINGS.get(root.name, {}))})
        outcome = GATE.run(GateContext(workspace=ws, config=config))
        ms = (time.perf_counter() - start) * 1000
        rules = Counter(f.rule.removeprefix("docs/") for f in outcome.findings)
        total.update(rules)
        extra = outcome.extra
        print(f"{root.name:45} {extra['adrs']:>5} {extra['runbooks']:>8} {extra['alerts']:>6} "
              f"{len(outcome.findings):>8} {ms:>7.0f}  {dict(sorted(rules.items()))}")
        for f in outcome.findings:
            if f.rule in args.show or f.rule.removeprefix("docs/") in args.show:
                print(f"    {f.location.path}:{f.location.line}: {f.rule}: {f.message}")
    print(f"total: {sum(total.values())} findings: {dict(sorted(total.items()))}")


if __name__ == "__main__":
    main()
