"""Spread independent per-migration work over forked processes on large scans.

Only where it is safe and pays: Linux (`os.fork`), more than one usable CPU, no other thread
running in this process (forking a threaded process can copy a held lock), and enough files
(`MIN_FILES`) to repay a fork. (The load average is not consulted: it counts our own recent work
and lags, and turned the fork off exactly when squawk, which always spreads over every core, got
a free one.) The caller's
process does its own share; each child computes its share, sends the pickled results through a
pipe and leaves with `os._exit`. Index `i` goes to process `i % workers`, and results come back
in index order, so the answer is the sequential answer. A child that fails for any reason is
ignored and its share is recomputed here, so an exception surfaces exactly as it would without
the children.

`READINESS_MIGRATIONS_WORKERS` caps the number of processes (`1` turns this off).
"""

from __future__ import annotations

import dataclasses
import os
import sys
import threading
from collections.abc import Callable
from typing import Any, TypeVar

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


def fork_map(fn: Callable[[int], R], count: int, workers: int) -> list[R]:
    """`[fn(0), ..., fn(count - 1)]`, computed by up to `workers` processes."""
    if workers <= 1 or count < 2:
        return [fn(i) for i in range(count)]
    children: list[tuple[int, int, int]] = []  # (pid, read end, worker index)
    try:
        for w in range(1, min(workers, count)):
            child = _spawn(fn, count, w, workers)
            if child is not None:
                children.append((*child, w))
        results: dict[int, R] = {i: fn(i) for i in range(0, count, workers)}
        for pid, fd, w in children:
            share: dict[int, R] | None = _collect(pid, fd)
            children = [c for c in children if c[0] != pid]
            if share is None or sorted(share) != list(range(w, count, workers)):
                share = {i: fn(i) for i in range(w, count, workers)}
            results.update(share)
        for w in range(1, workers):  # shares whose fork failed
            for i in range(w, count, workers):
                if i not in results:
                    results[i] = fn(i)
        return [results[i] for i in range(count)]
    finally:
        for pid, fd, _ in children:  # only on an exception here: do not leave children behind
            os.close(fd)
            _reap(pid, kill=True)


def _spawn(fn: Callable[[int], R], count: int, w: int, workers: int) -> tuple[int, int] | None:
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
            import pickle

            share = {i: _pack(fn(i)) for i in range(w, count, workers)}
            payload = pickle.dumps(share, pickle.HIGHEST_PROTOCOL)
            with os.fdopen(wfd, "wb") as pipe:
                pipe.write(payload)
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
        share = pickle.loads(data)
        return {i: _unpack(v) for i, v in share.items()}
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


# Frozen slotted dataclasses unpickle slowly (a Python-level __setstate__ that calls fields() per
# object: ~50 us per Finding). Sent as (marker, class, field values) and rebuilt field by field,
# they come back equal, 3x faster.
_DC = "\x00dataclass"
_FIELDS: dict[type, tuple[str, ...]] = {}


def _names(cls: type) -> tuple[str, ...]:
    names = _FIELDS.get(cls)
    if names is None:
        names = _FIELDS[cls] = tuple(f.name for f in dataclasses.fields(cls))
    return names


def _pack(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        cls = type(value)
        return (_DC, cls, tuple([_pack(getattr(value, n)) for n in _names(cls)]))
    if isinstance(value, list):
        return [_pack(v) for v in value]
    if isinstance(value, tuple):
        return tuple([_pack(v) for v in value])
    if isinstance(value, dict):
        return {k: _pack(v) for k, v in value.items()}
    return value


def _unpack(value: Any) -> Any:
    if isinstance(value, tuple):
        if len(value) == 3 and value[0] == _DC and isinstance(value[1], type):
            obj: Any = object.__new__(value[1])
            for name, v in zip(_names(value[1]), value[2], strict=True):
                object.__setattr__(obj, name, _unpack(v))
            return obj
        return tuple([_unpack(v) for v in value])
    if isinstance(value, list):
        return [_unpack(v) for v in value]
    if isinstance(value, dict):
        return {k: _unpack(v) for k, v in value.items()}
    return value
