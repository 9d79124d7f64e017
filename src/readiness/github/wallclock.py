"""Wall-clock bounds for talking to GitHub.

A socket timeout bounds each wait for bytes, not a request: a server that trickles one byte every
few seconds holds a request (and the job) for ever. `wall_clock(seconds, what)` interrupts whatever
runs inside it once `seconds` have passed, by raising `WallClockExceeded` from a SIGALRM handler in
the main thread (a blocked `recv` is interrupted too). Bounds nest: the earliest one fires, and an
outer bound keeps running while an inner one is active. `WallClockExceeded` is not an `OSError`, so
urllib3 does not mistake it for a network error to retry: it ends the request.

Outside the main thread, or where there is no SIGALRM, the bound is not enforced (the socket timeout
and the retry budget still are).
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType


class WallClockExceeded(Exception):
    """A bounded step ran out of time; the message names the step and the bound."""


@dataclass(slots=True)
class _Bound:
    deadline: float
    message: str
    fired: bool = False


_active: list[_Bound] = []
"""Every bound entered and not yet left, innermost last."""


def _usable() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextmanager
def wall_clock(seconds: float, what: str) -> Iterator[None]:
    """Raise WallClockExceeded inside the block once `seconds` have passed (once per bound)."""
    if not _usable():
        yield
        return
    bound = _Bound(time.monotonic() + max(seconds, 0.0), f"{what} took longer than {seconds:g} s")
    previous = signal.getsignal(signal.SIGALRM) if not _active else None
    _active.append(bound)
    _arm()
    try:
        yield
    finally:
        _active.remove(bound)
        if _active:
            _arm()
        else:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous if previous is not None else signal.SIG_DFL)


def _arm() -> None:
    pending = [b.deadline for b in _active if not b.fired]
    if not pending:
        signal.setitimer(signal.ITIMER_REAL, 0)
        return
    signal.signal(signal.SIGALRM, _fire)
    signal.setitimer(signal.ITIMER_REAL, max(min(pending) - time.monotonic(), 0.001))


def _fire(signum: int, frame: FrameType | None) -> None:
    now = time.monotonic()
    expired = sorted((b for b in _active if not b.fired and b.deadline <= now + 0.002), key=lambda b: b.deadline)
    if expired:
        for b in expired:
            b.fired = True
        _arm()
        raise WallClockExceeded(expired[0].message)
    _arm()
