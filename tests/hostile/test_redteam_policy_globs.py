"""Second red-team pass: a PR's `.readiness.yml` with thousands of `exclude` globs. Each added entry
is a `config/policy-relaxed` finding; counting the files each one hides matched every entry against
every file (entries x files, all written by the PR), outside any gate's watchdog."""

from __future__ import annotations

import time

from readiness.config import Config
from readiness.config.policy import relaxations


def test_counting_what_added_excludes_hide_is_bounded() -> None:
    files = [f"src/pkg{i}/module{j}.py" for i in range(400) for j in range(10)]
    pattern = "**/" + "*a" * 40 + "*b{}/**"
    new = Config(exclude=tuple(pattern.format(i) for i in range(3000)))
    start = time.perf_counter()
    out = relaxations(Config(), new, files)
    seconds = time.perf_counter() - start
    assert len(out) == 3000
    assert sum("hiding" in r.text for r in out) <= 20
    assert seconds < 10, seconds  # entries x files: about a minute on this machine before the bound
