"""Spread independent per-migration work over forked processes on large scans.

Only where it is safe and pays: Linux (`os.fork`), more than one usable CPU, no other thread
running in this process (forking a threaded process can copy a held lock), and enough files
(`MIN_FILES`) to repay a fork. (The load average is not consulted: it counts our own recent work
and lags, and turned the fork off exactly when squawk, which always spreads over every core, got
a free one.)

The caller's process does its own share; each child computes its share, sends the pickled
results through a pipe and leaves with `os._exit`. Indices are dealt by weight (file size) when
given, else round-robin, and results come back in index order, so the answer is the sequential
answer. A child that fails for any reason is ignored and its share is recomputed here, so an
exception surfaces exactly as it would without the children.

`READINESS_MIGRATIONS_WORKERS` caps the number of processes (`1` turns this off).
"""

from __future__ import annotations

import io
import os
import sys
import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

from readiness.pickling import dump

MIN_FILES = 200
"""Below this many files the fork costs more than it saves."""
FILES_PER_WORKER = 100
MAX_WORKERS = 4
ENV = "READINESS_MIGRATIONS_WORKERS"

R = TypeVar("R")


def workers_for(files: int) -> int:
    """How many processes to use for `files` files (1 = do it here, sequentially)."""
    if files < MIN_FILES or sys.platform != "linux" or threading.active_count() != 1:
        return 1
    try:
        cpus = len(os.sched_getaffinity(0))
    except OSError:
        cpus = os.cpu_count() or 1
    limit = MAX_WORKERS
    raw = os.environ.get(ENV, "").strip()
    if raw.isdigit():
        limit = max(1, int(raw))
    return max(1, min(cpus, limit, files // FILES_PER_WORKER))


def shares(count: int, workers: int, weights: Sequence[int] | None = None) -> list[list[int]]:
    """Indices 0..count-1 dealt to `workers` processes; share 0 is the caller's.

    With `weights` (e.g. file sizes), the heaviest index goes first to the lightest share
    (longest-processing-time first), so one big file does not leave the other processes idle;
    without, index `i` goes to share `i % workers`. Each share is in increasing index order."""
    workers = max(1, min(workers, count))
    if weights is None:
        return [list(range(w, count, workers)) for w in range(workers)]
    out: list[list[int]] = [[] for _ in range(workers)]
    load = [0] * workers
    for i in sorted(range(count), key=lambda i: -weights[i]):
        w = load.index(min(load))
        out[w].append(i)
        load[w] += weights[i] + 1
    return [sorted(share) for share in out]


def fork_map(fn: Callable[[int], R], count: int, workers: int, weights: Sequence[int] | None = None) -> list[R]:
    """`[fn(0), ..., fn(count - 1)]`, computed by up to `workers` processes (see `shares`)."""
    if workers <= 1 or count < 2:
        return [fn(i) for i in range(count)]
    dealt = shares(count, workers, weights)
    children: list[tuple[int, int, int]] = []  # (pid, read end, share index)
    try:
        for w in range(1, len(dealt)):
            child = _spawn(fn, dealt[w])
            if child is not None:
                children.append((*child, w))
        results: dict[int, R] = {i: fn(i) for i in dealt[0]}
        for pid, fd, w in children:
            share: dict[int, R] | None = _collect(pid, fd)
            children = [c for c in children if c[0] != pid]
            if share is None or sorted(share) != dealt[w]:
                share = {i: fn(i) for i in dealt[w]}
            results.update(share)
        for i in range(count):  # shares whose fork failed
            if i not in results:
                results[i] = fn(i)
        return [results[i] for i in range(count)]
    finally:
        for pid, fd, _ in children:  # only on an exception here: do not leave children behind
            os.close(fd)
            _reap(pid, kill=True)


def _spawn(fn: Callable[[int], R], indices: list[int]) -> tuple[int, int] | None:
    try:
        rfd, wfd = os.pipe()
    except OSError:
        return None
    try:
        pid = os.fork()
    except OSError:
        os.close(rfd)
        os.close(wfd)
        return None
    if pid == 0:  # child: never returns
        code = 1
        try:
            os.close(rfd)
            share = {i: fn(i) for i in indices}
            # Pickled in full before writing: the pipe holds 64 KiB, and pickling straight into it
            # would stall here until the parent finishes its own share and starts reading.
            buffer = io.BytesIO()
            dump(share, buffer)
            with os.fdopen(wfd, "wb") as pipe:
                pipe.write(buffer.getbuffer())
            code = 0
        except BaseException:  # any failure: the parent recomputes this share and raises there
            code = 1
        finally:
            os._exit(code)
    os.close(wfd)
    return pid, rfd


def _collect(pid: int, fd: int) -> dict[int, R] | None:
    with os.fdopen(fd, "rb") as pipe:
        data = pipe.read()
    ok = _reap(pid, kill=False)
    if not ok or not data:
        return None
    import pickle

    try:
        share: dict[int, R] = pickle.loads(data)
        return share
    except Exception:  # e.g. a truncated payload: recompute the share here
        return None


def _reap(pid: int, *, kill: bool) -> bool:
    if kill:
        try:
            os.kill(pid, 9)
        except OSError:
            pass
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:
        return False
    return os.waitstatus_to_exitcode(status) == 0
