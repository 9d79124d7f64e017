"""A throwaway PostgreSQL server: Debian's binaries, a fresh data directory, a unix socket in a private
directory, no TCP listener, and always stopped and removed.

    with ThrowawayServer.start(find_binaries(), limits, deadline) as server:
        server.conninfo        # superuser connection parameters (password auth over the socket)

Run as root (CI, the action's container), initdb refuses to run, so the server runs as an
unprivileged OS user (`postgres`, which Debian's package creates, else `nobody`) and the temporary
directory is handed to it. It is stopped whatever happens: the context manager, an `atexit` hook,
SIGTERM/SIGINT/SIGHUP handlers (main thread only; the previous handler runs afterwards), a process
group kill, and a timeout on every step. A server orphaned by a SIGKILL of this process is reaped by
the next start (its directory records the owner's pid).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any

from readiness import lazyre
from readiness.replay.model import Limits

PREFIX = "readiness-pg-"
"""Name prefix of the temporary directories (the reaper only ever touches these)."""
ADMIN_USER = "postgres"
"""The bootstrap superuser of a throwaway server. This name, ADMIN_APPLICATION, CLUSTER_NAME and the
sandbox's role and database names are what a migration can read (`pg_roles`, `pg_stat_activity`,
`current_setting`): they are those of an ordinary application database, so a migration cannot tell
it is being replayed and behave differently there than in production."""
ADMIN_APPLICATION = ""
"""`application_name` of the admin session (libpq's default: none)."""
CLUSTER_NAME = "main"
"""`cluster_name` of a throwaway server (the name of Debian's default cluster)."""
_VERSION = lazyre.compile(r"\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?")
BIN_ENV = "READINESS_PG_BINDIR"
"""Environment variable naming a directory with `initdb` and `postgres` (overrides the search)."""


class ServerStartError(Exception):
    """The throwaway server could not be started; the message says why in plain words."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Binaries:
    """One installation of the PostgreSQL server programs."""

    bin_dir: Path
    """Directory holding `initdb` and `postgres`."""
    major: int
    """Major version (15)."""
    version: str
    """`15.18`."""


def _candidate_dirs() -> list[Path]:
    dirs: list[Path] = []
    env = os.environ.get(BIN_ENV)
    if env:
        dirs.append(Path(env))
    lib = Path("/usr/lib/postgresql")
    if lib.is_dir():
        dirs.extend(sorted((p / "bin" for p in lib.iterdir()), reverse=True))
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=False)
            if out.returncode == 0 and out.stdout.strip():
                dirs.append(Path(out.stdout.strip()))
    for name in ("postgres", "initdb"):
        found = shutil.which(name)
        if found:
            dirs.append(Path(found).resolve().parent)
    seen: list[Path] = []
    for d in dirs:
        if d not in seen:
            seen.append(d)
    return seen


def _probe(bin_dir: Path) -> Binaries | None:
    postgres, initdb = bin_dir / "postgres", bin_dir / "initdb"
    if not (os.access(postgres, os.X_OK) and os.access(initdb, os.X_OK)):
        return None
    try:
        out = subprocess.run([str(postgres), "--version"], capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    m = _VERSION.search(out.stdout)
    if out.returncode != 0 or m is None:
        return None
    return Binaries(bin_dir=bin_dir, major=int(m.group(1)), version=m.group(0).split()[-1])


def find_binaries(major: int | None = None) -> Binaries | str:
    """The server programs to use: `major` when that version is installed, else the newest found (the
    caller reports the version it got). A string says why none can be used."""
    found = [b for b in (_probe(d) for d in _candidate_dirs()) if b is not None]
    if not found:
        return ("no PostgreSQL server programs (initdb, postgres) were found in /usr/lib/postgresql/*/bin, "
                f"pg_config --bindir, PATH or ${BIN_ENV}; install Debian's `postgresql` package "
                "or give a server with database-url")
    if major is not None:
        for b in found:
            if b.major == major:
                return b
    return max(found, key=lambda b: b.major)


def _server_user() -> tuple[int, int] | None:
    """(uid, gid) to run the server as, or None to run as ourselves (we are not root)."""
    if os.geteuid() != 0:
        return None
    import pwd

    for name in ("postgres", "nobody"):
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        if entry.pw_uid != 0:
            return entry.pw_uid, entry.pw_gid
    raise ServerStartError("running as root, and neither a `postgres` nor a `nobody` user exists to run the "
                           "server as (initdb refuses to run as root)")


# -- the registry of live servers: every way out of the process stops them ------------------------

_LIVE: set[ThrowawayServer] = set()
_LOCK = threading.Lock()
_PREVIOUS: dict[int, Any] = {}
_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


def _stop_all() -> None:
    with _LOCK:
        live = list(_LIVE)
    for server in live:
        server.stop()


def _on_signal(signum: int, frame: FrameType | None) -> None:
    _stop_all()
    previous = _PREVIOUS.get(signum, signal.SIG_DFL)
    if callable(previous):
        previous(signum, frame)
    elif previous != signal.SIG_IGN:
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)


def _register(server: ThrowawayServer) -> None:
    with _LOCK:
        first = not _LIVE
        _LIVE.add(server)
    if first and threading.current_thread() is threading.main_thread():
        for sig in _SIGNALS:
            with contextlib.suppress(ValueError, OSError):
                _PREVIOUS[sig] = signal.signal(sig, _on_signal)


def _unregister(server: ThrowawayServer) -> None:
    with _LOCK:
        _LIVE.discard(server)
        last = not _LIVE
    if last and _PREVIOUS and threading.current_thread() is threading.main_thread():
        for sig, previous in list(_PREVIOUS.items()):
            with contextlib.suppress(ValueError, OSError, TypeError):
                signal.signal(sig, previous)
        _PREVIOUS.clear()


atexit.register(_stop_all)


def reap_stale(tmp: Path | None = None) -> int:
    """Stop and remove throwaway servers whose owning process is gone (it was SIGKILLed). Only
    directories with our prefix whose postmaster runs on that very directory are touched."""
    base = Path(tmp or tempfile.gettempdir())
    reaped = 0
    try:
        entries = [p for p in base.iterdir() if p.name.startswith(PREFIX)]
    except OSError:
        return 0
    for d in entries:
        try:
            owner = int((d / "owner.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            continue
        if _alive(owner):
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            pid = int((d / "data" / "postmaster.pid").read_text().split()[0])
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            if str(d / "data").encode() in cmdline:
                _kill_group(pid)
        shutil.rmtree(d, ignore_errors=True)
        reaped += 1
    return reaped


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _kill_group(pgid: int, *, grace_s: float = 3.0, proc: subprocess.Popen[bytes] | None = None) -> None:
    """SIGQUIT (immediate shutdown) to the process group, then SIGKILL after `grace_s`."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGQUIT)
    end = time.monotonic() + grace_s
    while time.monotonic() < end:
        if proc is not None:
            if proc.poll() is not None:
                break
        elif not _alive(pgid):
            break
        time.sleep(0.01)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)
    if proc is not None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=grace_s)


class ThrowawayServer:
    """A private PostgreSQL server on a unix socket; use as a context manager."""

    def __init__(self, binaries: Binaries, root: Path, owner: tuple[int, int] | None) -> None:
        self.binaries = binaries
        self.root = root
        """The temporary directory: `data/`, `sock/`, `server.log`, `owner.pid`."""
        self.owner = owner
        self.password = secrets.token_urlsafe(24)
        self.proc: subprocess.Popen[bytes] | None = None
        self._stopped = False

    @property
    def conninfo(self) -> dict[str, Any]:
        """Connection parameters of the bootstrap superuser (libpq keywords)."""
        return {"host": str(self.root / "sock"), "port": 5432, "user": ADMIN_USER, "password": self.password,
                "dbname": "postgres", "application_name": ADMIN_APPLICATION, "sslmode": "disable"}

    @classmethod
    def start(cls, binaries: Binaries, limits: Limits, deadline: float) -> ThrowawayServer:
        """initdb + start; raises ServerStartError (the server is already cleaned up then)."""
        reap_stale()
        owner = _server_user()
        root = Path(tempfile.mkdtemp(prefix=PREFIX))
        server = cls(binaries, root, owner)
        _register(server)
        try:
            server._initdb(deadline)
            server._launch(limits, deadline)
        except BaseException:
            server.stop()
            raise
        return server

    # -- steps ---------------------------------------------------------------------------------
    def _child_kwargs(self) -> dict[str, Any]:
        env = {"PATH": "/usr/bin:/bin", "LANG": "C", "LC_ALL": "C", "HOME": str(self.root), "TZ": "UTC"}
        kw: dict[str, Any] = {"env": env, "cwd": str(self.root), "process_group": 0, "stdin": subprocess.DEVNULL}
        if self.owner is not None:
            kw.update(user=self.owner[0], group=self.owner[1], extra_groups=[])
        return kw

    def _own(self, path: Path) -> None:
        if self.owner is not None:
            os.chown(path, *self.owner)

    def _initdb(self, deadline: float) -> None:
        (self.root / "owner.pid").write_text(f"{os.getpid()}\n")
        sock = self.root / "sock"
        sock.mkdir(mode=0o700)
        pwfile = self.root / "pw"
        fd = os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(self.password + "\n")
        for p in (self.root, sock, pwfile):
            self._own(p)
        cmd = [str(self.binaries.bin_dir / "initdb"), "-D", str(self.root / "data"), "-U", ADMIN_USER,
               f"--pwfile={pwfile}", "--auth-local=scram-sha-256", "--auth-host=reject", "-E", "UTF8",
               "--locale=C", "--no-sync", "--no-instructions"]
        log = self.root / "initdb.log"
        with open(log, "wb") as out:
            proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, **self._child_kwargs())
            try:
                rc = proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _kill_group(proc.pid, proc=proc, grace_s=1.0)
                raise ServerStartError("initdb did not finish within the start-up time limit") from None
            finally:
                pwfile.unlink(missing_ok=True)
        if rc != 0:
            tail = log.read_text(errors="replace").strip().splitlines()[-3:]
            raise ServerStartError(f"initdb failed (exit {rc}): {' / '.join(tail)}")

    def _launch(self, limits: Limits, deadline: float) -> None:
        settings = {
            "listen_addresses": "", "unix_socket_directories": str(self.root / "sock"),
            "unix_socket_permissions": "0700", "port": "5432", "fsync": "off", "synchronous_commit": "off",
            "full_page_writes": "off", "wal_level": "minimal", "max_wal_senders": "0", "max_wal_size": "1GB",
            "checkpoint_timeout": "1h", "shared_buffers": "32MB", "shared_memory_type": "mmap",
            "huge_pages": "off", "max_connections": "20", "max_locks_per_transaction": "256",
            "autovacuum": "off", "jit": "off", "ssl": "off", "logging_collector": "off",
            "log_min_messages": "fatal", "log_min_error_statement": "panic", "max_parallel_workers_per_gather": "0",
            "max_parallel_maintenance_workers": "0", "work_mem": "16MB", "maintenance_work_mem": "64MB",
            "lo_compat_privileges": "off", "track_counts": "on", "cluster_name": CLUSTER_NAME,
        }
        # log_min_messages=fatal: a migration's RAISE WARNING / RAISE LOG in a loop wrote ~120 MB/s to
        # server.log (unbounded, on the runner's disk); the setting is superuser-only, so its SQL
        # cannot lower it, and start-up failures (FATAL) are still there for log_tail().
        cmd = [str(self.binaries.bin_dir / "postgres"), "-D", str(self.root / "data")]
        for key, value in settings.items():
            cmd += ["-c", f"{key}={value}"]
        prlimit = shutil.which("prlimit")
        if prlimit and limits.memory_mb > 0:
            cmd = [prlimit, f"--as={limits.memory_mb * 1024 * 1024}", "--", *cmd]
        log = open(self.root / "server.log", "wb")  # the server inherits it
        try:
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, **self._child_kwargs())
        finally:
            log.close()
        pidfile = self.root / "data" / "postmaster.pid"
        while True:
            if self.proc.poll() is not None:
                raise ServerStartError(f"the server exited at start-up: {self.log_tail()}")
            with contextlib.suppress(OSError):
                lines = pidfile.read_text().splitlines()
                if len(lines) >= 8 and lines[7].strip() == "ready":
                    return
            if time.monotonic() > deadline:
                raise ServerStartError("the server did not become ready within the start-up time limit")
            time.sleep(0.005)

    def log_tail(self, lines: int = 3) -> str:
        """The last lines of the server's log, for error messages."""
        try:
            text = (self.root / "server.log").read_text(errors="replace")
        except OSError:
            return "(no log)"
        return " / ".join(text.strip().splitlines()[-lines:]) or "(empty log)"

    def alive(self) -> bool:
        """The postmaster is still running."""
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        """Kill the server's process group and remove its directory; idempotent, never raises."""
        if self._stopped:
            return
        self._stopped = True
        try:
            if self.proc is not None:
                _kill_group(self.proc.pid, proc=self.proc)
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
            _unregister(self)

    def __enter__(self) -> ThrowawayServer:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


@contextlib.contextmanager
def throwaway(binaries: Binaries, limits: Limits, deadline: float) -> Iterator[ThrowawayServer]:
    """`ThrowawayServer.start` as a context manager."""
    server = ThrowawayServer.start(binaries, limits, deadline)
    try:
        yield server
    finally:
        server.stop()

