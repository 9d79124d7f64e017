"""A watchdog per gate: a gate that hangs or eats memory becomes a gate error, and the rest of the
verdict stands.

The gates run in a forked worker process, in a process group of its own, with a cap on its data
segment (`RLIMIT_DATA`: heap and anonymous maps, the memory a runaway parse grows), and the parent
also adds up the resident memory of the whole group (the gate's own workers too) every 0.2 s and
stops it above the same cap; the worker runs
them one after the other and sends each result back pickled through a pipe, and the parent holds
each gate to a wall-clock deadline, waiting with `select`. When a gate's deadline passes, or its
process dies, the whole group is killed (the gate's own workers and a pip-audit subprocess
included): this interrupts anything, a regular expression stuck in C or a parser in a C extension
alike. The gate gets an error that fails closed, and a new worker runs the gates after it. A
`MemoryError` or a `RecursionError` in a gate is reported the same way. One fork per run, however
many gates: the copy-on-write cost of forking a large heap is paid once.

Where `fork` does not exist (or `READINESS_GATE_TIMEOUT=0`), the gate runs in this process with no
watchdog. The parent lists the repository before forking, so no child walks it again.
"""

from __future__ import annotations

import gc
import os
import pickle
import select
import signal
import time
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from readiness.errors import GateError, ReadinessError
from readiness.pickling import dumps

DEFAULT_GATE_SECONDS = 40.0
"""A gate's own limit."""
DEFAULT_RUN_SECONDS = 50.0
"""All gates together (a hostile repository finishes, with a verdict, within a minute)."""
RESERVE_SECONDS = 3.0
"""Kept back from each gate's deadline for every gate still to run, so one gate's hang leaves the
others time to give their verdict."""
MIB = 1024 * 1024
DEFAULT_MEMORY = 768 * MIB
"""What the gates' processes may hold together (resident bytes, polled), and each one's `RLIMIT_DATA`:
with the parent's own, a run stays within 1 GB."""
POLL_SECONDS = 0.2
"""How often the parent looks at the gates' memory while it waits."""
_READ = 1 << 20


class GateCrashed(ReadinessError):
    """A gate raised an unexpected exception in its process: a defect of the tool (exit 3)."""

    def __init__(self, gate: str, kind: str, message: str, where: str, trace: str) -> None:
        super().__init__(f"internal error: {kind} in the {gate} gate{where}: {message}")
        self.trace = trace
        """The child's formatted traceback (shown with --debug)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Limits:
    """The watchdog's settings (environment: READINESS_GATE_TIMEOUT, READINESS_RUN_TIMEOUT,
    READINESS_GATE_MEMORY_MB; a gate timeout of 0 turns the watchdog off)."""

    gate_seconds: float = DEFAULT_GATE_SECONDS
    """One gate's wall-clock limit."""
    run_seconds: float = DEFAULT_RUN_SECONDS
    """All gates' wall-clock limit."""
    memory: int | None = DEFAULT_MEMORY
    """Data-segment cap of a gate's process in bytes; None for none."""

    @property
    def enabled(self) -> bool:
        """False when gates run in this process without a watchdog."""
        return self.gate_seconds > 0 and hasattr(os, "fork")

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Limits:
        """Defaults, overridden by the environment where a value parses."""
        def number(name: str, default: float) -> float:
            try:
                value = float(env.get(name, ""))
            except ValueError:
                return default
            return value if 0 <= value <= 86_400 else default
        memory_mb = number("READINESS_GATE_MEMORY_MB", DEFAULT_MEMORY / MIB)
        return cls(gate_seconds=number("READINESS_GATE_TIMEOUT", DEFAULT_GATE_SECONDS),
                   run_seconds=number("READINESS_RUN_TIMEOUT", DEFAULT_RUN_SECONDS),
                   memory=int(memory_mb * MIB) if memory_mb > 0 else None)


class Budget:
    """The run's time, shared out among the gates in order."""

    def __init__(self, limits: Limits, gates: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self.left = gates
        self.clock = clock
        self.end = clock() + limits.run_seconds

    def next_deadline(self) -> float:
        """Seconds the next gate may take: its own limit, within what the run has left after keeping
        a reserve for each gate after it; 0 when nothing is left."""
        self.left = max(self.left - 1, 0)
        remaining = self.end - self.clock()
        share = remaining - RESERVE_SECONDS * self.left
        return max(min(self.limits.gate_seconds, share, remaining), 0.0)


@dataclass(frozen=True, slots=True)
class GateDone:
    """What the worker says about one gate."""

    gate: str
    """The gate's id."""
    result: Any
    """What `run_one` returned; None when `error` is set."""
    error: GateError | None
    """Why the gate has no result (it raised GateError, hung, died, or ran out of memory or recursion)."""
    seconds: float
    """Wall time the gate took."""


def run_gates(gates: Sequence[str], run_one: Callable[[str], Any], *, budget: Budget,
              memory: int | None, after_kill: Callable[[], None] | None = None) -> Iterator[GateDone]:
    """`run_one(gate)` for each gate, in order, in one forked worker process under the watchdog.

    The worker runs the gates one after the other and says when each starts and ends; the parent
    holds each gate to its deadline (`budget`). When a gate hangs or its process dies, the worker's
    whole process group is killed, the gate gets its error, and a new worker (forked again from this
    process, so nothing of the failed one is inherited) runs the gates still to come. GateCrashed is
    raised (after the worker is gone) when a gate raised an unexpected exception. `after_kill` runs once a
    killed worker is reaped: what the gate started outside the worker's process group (a throwaway
    PostgreSQL server runs in a group of its own) is cleaned up there."""
    remaining = list(gates)
    while remaining:
        worker = _Worker(remaining, run_one, memory)
        try:
            for done in worker.results(budget):
                remaining.remove(done.gate)
                yield done
                if done.error is not None and worker.dead:
                    break  # the rest go to a new worker
        finally:
            worker.stop()
            if worker.dead and after_kill is not None:
                after_kill()


class _Worker:
    """One forked process running gates in order; the parent side of its pipe."""

    def __init__(self, gates: Sequence[str], run_one: Callable[[str], Any], memory: int | None) -> None:
        self.gates = list(gates)
        self.memory = memory
        rfd, wfd = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:  # pragma: no cover - the child's coverage is not collected
            _worker(self.gates, run_one, rfd, wfd, memory)
        os.close(wfd)
        self.rfd = rfd
        self.buffer = bytearray()
        """What the worker wrote and no frame has taken yet (a bytearray: appending a chunk and taking
        a frame off the front cost the chunk and the frame, never a copy of what is still held)."""
        self.dead = False
        self.over_memory = False

    def results(self, budget: Budget) -> Iterator[GateDone]:
        """Each gate's outcome as the worker reports it; a hang or a death ends the worker."""
        for gate in self.gates:
            seconds = budget.next_deadline()
            started = time.monotonic()
            if seconds <= 0:
                self.dead = True
                yield GateDone(gate, None, GateError("not run: the run's time budget was used up by the gates "
                                                     "before it"), 0.0)
                return
            message = self._next(started + seconds)
            if message is None:
                self.dead = True
                elapsed = time.monotonic() - started
                why = self._death(seconds, elapsed)
                yield GateDone(gate, None, GateError(why), elapsed)
                return
            kind, payload, took = message
            if kind == "ok":
                yield GateDone(gate, payload, None, took)
            elif kind in ("gate-error", "resource"):
                yield GateDone(gate, None, GateError(payload), took)
            elif kind == "raise":
                self.stop()
                raise _rebuilt(*payload)
            else:
                self.stop()
                name, text, where, trace = payload
                raise GateCrashed(gate, name, text, where, trace)

    def _death(self, seconds: float, elapsed: float) -> str:
        """Why the worker said nothing more: out of memory or time, or killed."""
        if self.over_memory:
            return (f"gave up: the gate's processes used more than {(self.memory or 0) // MIB} MiB "
                    "of memory together; the gate fails closed")
        if elapsed >= seconds - 0.05:
            return (f"gave up after {seconds:.0f} s (the gate's time limit): the result is not known, so the gate "
                    "fails closed")
        status = self.stop()
        if os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
            try:
                name = signal.Signals(sig).name
            except ValueError:
                name = str(sig)
            return (f"gave up: the gate's process was killed ({name}), most likely by the "
                    f"{(self.memory or 0) // MIB} MiB memory cap; the gate fails closed")
        code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else -1
        cap = f" (a C library giving up, most likely at the {(self.memory or 0) // MIB} MiB memory cap)" \
            if self.memory else ""
        return f"gave up: the gate's process ended with status {code} and no result{cap}; the gate fails closed"

    def _next(self, deadline: float) -> tuple[str, Any, float] | None:
        """The next result frame, or None at the deadline or when the worker is gone."""
        while True:
            if len(self.buffer) >= 8:
                size = int.from_bytes(self.buffer[:8], "big")
                if len(self.buffer) >= 8 + size:
                    frame = bytes(self.buffer[8:8 + size])
                    del self.buffer[:8 + size]
                    message: tuple[str, Any, float] = pickle.loads(frame)  # noqa: S301 - our own child's bytes
                    return message
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([self.rfd], [], [], min(left, POLL_SECONDS))
            if not ready:
                if self.memory is not None and group_rss(self.pid) > self.memory:
                    self.over_memory = True
                    return None
                continue
            chunk = os.read(self.rfd, _READ)
            if not chunk:
                return None
            self.buffer += chunk

    def stop(self) -> int:
        """Kill the worker's process group (whatever it left running) and reap it; its wait status."""
        if self.rfd >= 0:
            os.close(self.rfd)
            self.rfd = -1
        _kill(self.pid)
        if not hasattr(self, "status"):
            self.status = _reap(self.pid)
        return self.status


def _worker(gates: list[str], run_one: Callable[[str], Any], rfd: int, wfd: int,
            memory: int | None) -> None:  # pragma: no cover - runs in the forked child
    code = 0
    # No cyclic collection in this short-lived child (it leaves with os._exit): a collection walks,
    # and so writes to, every object inherited from the parent, copying each page (copy-on-write);
    # the gates ran with the collector paused anyway (engine), so this only covers the result's pickling.
    gc.disable()
    try:
        os.close(rfd)
        os.setpgid(0, 0)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides; it kills the group
        # the report is the parent's stdout: nothing a gate or a C library prints (libpg_query writes
        # "Terminating process due to FATAL error" and memory dumps) may land in it or in the log
        quiet = os.open(os.devnull, os.O_WRONLY)
        os.dup2(quiet, 1)
        os.dup2(quiet, 2)
        os.close(quiet)
        if memory is not None:
            import resource

            _soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
            cap = memory if hard == resource.RLIM_INFINITY else min(memory, hard)
            resource.setrlimit(resource.RLIMIT_DATA, (cap, hard))
        for gate in gates:
            start = time.perf_counter()
            try:
                result: tuple[str, Any] = ("ok", run_one(gate))
            except GateError as exc:
                result = ("gate-error", exc.diagnostics())
            except ReadinessError as exc:  # a run-level error (a configuration error found by a gate)
                result = ("raise", (type(exc).__module__, type(exc).__qualname__, exc.args, dict(vars(exc))))
            except MemoryError:
                result = ("resource", "gave up: the gate ran out of memory (its cap is "
                                      f"{(memory or 0) // MIB} MiB); the gate fails closed")
            except RecursionError:
                result = ("resource", "gave up: the input nests too deeply to analyse; the gate fails closed")
            except Exception as exc:  # noqa: BLE001 - a defect: sent back, re-raised in the parent (exit 3)
                result = ("crash", _crash(exc))
            took = time.perf_counter() - start
            try:
                data = dumps((*result, took))  # dataclasses by their fields: 3-5x faster
            except Exception as exc:  # noqa: BLE001 - an unpicklable result is a defect too
                data = pickle.dumps(("crash", _crash(exc), took), protocol=pickle.HIGHEST_PROTOCOL)
            view = memoryview(len(data).to_bytes(8, "big") + data)
            while view:
                view = view[os.write(wfd, view):]
            if result[0] in ("crash", "raise"):
                break
    except BaseException:  # noqa: BLE001 - nothing may escape a forked child
        code = 70
    finally:
        os._exit(code)


def _rebuilt(module: str, name: str, args: tuple[Any, ...], attrs: dict[str, Any]) -> ReadinessError:
    """The run-level error a gate raised in the worker, as the same exception here (exit code kept)."""
    import importlib

    cls = getattr(importlib.import_module(module), name, None)
    if not (isinstance(cls, type) and issubclass(cls, ReadinessError)):
        return ReadinessError(str(args[0]) if args else name)
    exc = cls.__new__(cls)
    exc.args = args
    vars(exc).update(attrs)
    return exc


def _crash(exc: BaseException) -> tuple[str, str, str, str]:
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    where = f" at {os.path.basename(tb.tb_frame.f_code.co_filename)}:{tb.tb_lineno}" if tb is not None else ""
    trace = "".join(traceback.format_exception(exc))
    return type(exc).__name__, str(exc)[:500], where, trace


def group_rss(pgid: int) -> int:
    """Resident bytes of every process in group `pgid` (Linux `/proc`; 0 where there is none)."""
    total = 0
    try:
        names = os.listdir("/proc")
    except OSError:
        return 0
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if len(fields) > 21 and int(fields[2]) == pgid:
            total += int(fields[21]) * _PAGE
    return total


_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _kill(pid: int) -> None:
    """SIGKILL to the child's process group (it made itself its leader), else to the child."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def _reap(pid: int) -> int:
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            return status
        except InterruptedError:
            continue
        except ChildProcessError:
            return 0
