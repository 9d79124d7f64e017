"""Issue 11, class 9: publishing, and the changed-files fallback before the run, are bounded by wall
clock, against a GitHub that answers one byte at a time (each byte well within the socket timeout,
so a per-socket timeout alone never fires).

Every run must end within its stated bounds with the verdict, the outputs and the job summary, and
the fallback must give up and judge the whole repository.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sec_support import DROP, EVENTS, PrRepo, action, assert_no_defect

TIMEOUT, BUDGET, REQUEST, FILES = 2.0, 4.0, 3.0, 3.0
SLACK = 12.0
"""Start-up, the gates and the machine's noise."""


class Trickle:
    """An HTTP server that sends a status line, then one byte every `every` seconds, for ever."""

    def __init__(self, every: float = 0.5) -> None:
        self.every = every
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.requests = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        self.sock.settimeout(0.2)
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.requests += 1
            threading.Thread(target=self._drip, args=(conn,), daemon=True).start()

    def _drip(self, conn: socket.socket) -> None:
        with conn:
            try:
                conn.settimeout(1)
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n[")
                while not self.stop.is_set():
                    time.sleep(self.every)
                    conn.sendall(b" ")
            except OSError:
                return

    def close(self) -> None:
        self.stop.set()
        self.sock.close()


@pytest.fixture
def trickle() -> Iterator[Trickle]:
    server = Trickle()
    yield server
    server.close()


def _env() -> dict[str, str]:
    return {"READINESS_GITHUB_TIMEOUT": str(int(TIMEOUT)), "READINESS_PUBLISH_BUDGET": str(BUDGET),
            "READINESS_REQUEST_BUDGET": str(REQUEST), "READINESS_FILES_BUDGET": str(FILES),
            "READINESS_PUBLISH_BACKOFF": "0.05"}


def test_a_trickling_api_cannot_hold_publishing(tmp_path: Path, trickle: Trickle) -> None:
    repo = PrRepo.make(tmp_path / "ws", {"README.md": "# r\n"}, {"db/migrations/V2__drop.sql": DROP})
    done = action(repo, tmp_path, api_url=trickle.url, inputs={"gates": "migrations"}, timeout=90, env=_env())
    assert_no_defect(done)
    assert done.code == 1 and done.outputs["verdict"] == "fail" and done.summary.strip()
    assert trickle.requests >= 1
    assert done.seconds < BUDGET + TIMEOUT + SLACK, f"publishing took {done.seconds:.1f} s"
    assert "took longer than" in done.stdout, done.stdout[-800:]


def test_a_trickling_files_list_falls_back_to_judging_everything(tmp_path: Path, trickle: Trickle) -> None:
    repo = PrRepo.make(tmp_path / "ws", {"README.md": "# r\n"}, {"db/migrations/V2__drop.sql": DROP})
    event = json.loads((EVENTS / "pull_request_synchronize.json").read_text())
    event["pull_request"]["base"]["sha"] = "1" * 40  # not in the clone: git cannot tell, the API is asked
    event["pull_request"]["head"]["sha"] = repo.head
    done = action(repo, tmp_path, api_url=trickle.url, inputs={"gates": "migrations"}, event=event, timeout=120,
                  env=_env())
    assert_no_defect(done)
    assert "judging the whole repository" in done.stdout, done.stdout[-800:]
    assert done.code == 1 and done.outputs["verdict"] == "fail"
    assert done.seconds < FILES + BUDGET + TIMEOUT + SLACK, f"took {done.seconds:.1f} s"
