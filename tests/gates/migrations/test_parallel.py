"""Forked processes on large scans give exactly the sequential answer."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from migrations_helpers import check

from readiness.gates.migrations import parallel
from readiness.render.json_report import report_dict


def test_fork_map_is_the_sequential_map_and_children_do_their_share() -> None:
    parent = os.getpid()
    got = parallel.fork_map(lambda i: (i * i, os.getpid()), 7, 3)
    assert [v for v, _ in got] == [i * i for i in range(7)]
    pids = {i: pid for i, (_, pid) in enumerate(got)}
    assert all(pids[i] == parent for i in (0, 3, 6))  # the caller's own share
    assert all(pids[i] != parent for i in (1, 2, 4, 5))
    assert len({pids[1], pids[2]}) == 2


def test_a_failing_child_is_recomputed_here_and_the_error_surfaces_as_without_children() -> None:
    parent = os.getpid()

    def only_here(i: int) -> int:
        if os.getpid() != parent:
            raise RuntimeError("child trouble")
        return i + 1

    assert parallel.fork_map(only_here, 5, 2) == [1, 2, 3, 4, 5]

    def always(i: int) -> int:
        if i == 3:
            raise ValueError("bad item 3")
        return i

    with pytest.raises(ValueError, match="bad item 3"):
        parallel.fork_map(always, 5, 2)


def test_workers_only_for_large_scans(monkeypatch: pytest.MonkeyPatch) -> None:
    assert parallel.workers_for(parallel.MIN_FILES - 1) == 1
    monkeypatch.setenv(parallel.ENV, "1")
    assert parallel.workers_for(10_000) == 1


def _corpus(root: Path, n: int) -> None:
    for i in range(n):
        d = root / "migrations" / f"{i:06d}_step"
        d.mkdir(parents=True)
        up = [f"CREATE TABLE t{i} (id bigint);",
              f"ALTER TABLE users ADD COLUMN c{i} text NOT NULL;",
              f"CREATE INDEX i{i} ON users (c{i});"]
        if i % 7 == 0:
            up.insert(1, "-- readiness: ignore migrations/add-column-not-null -- backfilled by the app")
        if i % 11 == 0:
            up.append("ALTER TABLE users ADD CONSTRAINT")  # parse error
        if i % 13 == 0:
            up.append(f"-- readiness: ignore migrations/rename-table -- matches nothing {i}")
        (d / "up.sql").write_text("\n".join(up) + "\n", encoding="utf-8")
        down = "" if i % 5 == 0 else f"DROP INDEX i{i};\nALTER TABLE users DROP COLUMN c{i};\nDROP TABLE t{i};\n"
        (d / "down.sql").write_text(down, encoding="utf-8")


def test_gate_report_identical_with_and_without_children(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _corpus(tmp_path, 60)
    monkeypatch.setattr(parallel, "workers_for", lambda files: 1)
    sequential = report_dict(check(tmp_path))
    used: list[int] = []
    real = parallel.fork_map

    def spy(fn, count, workers):  # type: ignore[no-untyped-def]
        used.append(workers)
        return real(fn, count, workers)

    monkeypatch.setattr(parallel, "workers_for", lambda files: 3)
    monkeypatch.setattr(parallel, "fork_map", spy)
    forked = report_dict(check(tmp_path))
    assert used == [3]
    for gate in (*sequential["gates"], *forked["gates"]):
        gate["duration_ms"] = 0
    assert forked == sequential
    rules = {f["rule"] for f in forked["findings"]}
    assert {"migrations/parse-error", "migrations/unused-waiver", "migrations/irreversible-migration"} <= rules
    assert any(f["waiver"] for f in forked["findings"])
