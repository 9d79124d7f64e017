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


def test_shares_deal_heavy_items_first_to_the_lightest_process() -> None:
    assert parallel.shares(7, 3) == [[0, 3, 6], [1, 4], [2, 5]]
    # one huge file: it gets a process to itself and the rest share the other
    assert parallel.shares(5, 2, [1, 100, 1, 1, 1]) == [[1], [0, 2, 3, 4]]
    dealt = parallel.shares(50, 3, [(i * 37) % 11 + 1 for i in range(50)])
    assert sorted(i for share in dealt for i in share) == list(range(50))
    assert all(share == sorted(share) for share in dealt)
    assert parallel.shares(3, 8) == [[0], [1], [2]]


def test_weighted_fork_map_is_still_the_sequential_map() -> None:
    weights = [5, 1, 1, 9, 1, 1, 1]
    assert parallel.fork_map(lambda i: i * 10, 7, 2, weights) == [i * 10 for i in range(7)]


def test_dataclasses_cross_the_pipe_equal_and_frozen(tmp_path: Path) -> None:
    from readiness.model import Finding, Location, RuleId, Severity, Waiver

    finding = Finding(rule=RuleId("migrations/drop-column"), severity=Severity.HIGH,
                      location=Location(path="m/up.sql", line=3, column=1), message="m", fix=None,
                      fingerprint="f" * 32, waiver=Waiver(reason="r", source="inline"))
    got = parallel.fork_map(lambda i: [finding] * i, 4, 2)
    assert got == [[finding] * i for i in range(4)]
    with pytest.raises(AttributeError):
        got[3][0].message = "changed"  # type: ignore[misc]


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
    monkeypatch.setenv("READINESS_GATE_TIMEOUT", "0")  # the gate in this process, so the spy sees its calls
    monkeypatch.setattr(parallel, "workers_for", lambda files: 1)
    sequential = report_dict(check(tmp_path))
    used: list[int] = []
    real = parallel.fork_map

    def spy(fn, count, workers, weights=None):  # type: ignore[no-untyped-def]
        used.append(workers)
        assert weights is not None and len(weights) == count and all(w > 0 for w in weights)
        return real(fn, count, workers, weights)

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
