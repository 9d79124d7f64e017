"""The live path: pip-audit in a subprocess against a loopback server standing in for the OSV API
(`POST /v1/query`, `GET /v1/vulns/<id>`, backed by the shared snapshot), including its failures,
and the proof that no path ever executes the repository's packages."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from packaging.version import Version

from readiness.gates.deps.osv_offline import OsvDatabase, evaluate
from readiness.model import GateResult, GateStatus, Report, Severity

RunDeps = Callable[..., tuple[Report, GateResult]]


class FakeOsv(ThreadingHTTPServer):
    """A tiny OSV-compatible API over the offline snapshot."""

    daemon_threads = True
    mode = "ok"
    queried: list[dict[str, Any]]
    db: OsvDatabase


class Handler(BaseHTTPRequestHandler):
    server: FakeOsv

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep the test output quiet
        return

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _fault(self) -> bool:
        mode = self.server.mode
        if mode == "500":
            self._send(500, b'{"error": "boom"}')
        elif mode == "garbage":
            self._send(200, b"<html>definitely not json")
        elif mode == "slow":
            time.sleep(2.5)
            self._send(200, b"{}")
        return mode != "ok"

    def do_POST(self) -> None:  # noqa: N802 - http.server naming
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
        self.server.queried.append(body)
        if self._fault():
            return
        name, version = body["package"]["name"], body["version"]
        vulns = [r for r in self.server.db.records_for(name)
                 if not r.get("withdrawn") and evaluate(r, name, Version(version), version).affected]
        self._send(200, json.dumps({"vulns": vulns} if vulns else {}).encode())

    def do_GET(self) -> None:  # noqa: N802
        vid = self.path.rsplit("/", 1)[-1]
        rec = self.server.db.record(vid) if self.path.startswith("/v1/vulns/") else None
        self._send(200, json.dumps(rec).encode()) if rec else self._send(404, b"{}")


@pytest.fixture(scope="module")
def served_db(osv_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> OsvDatabase:
    return OsvDatabase(osv_dir, cache_dir=tmp_path_factory.mktemp("osv-cache")).load()


@pytest.fixture
def osv_server(served_db: OsvDatabase) -> Iterator[FakeOsv]:
    server = FakeOsv(("127.0.0.1", 0), Handler)
    server.queried = []
    server.db = served_db
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def url(server: FakeOsv) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"


EVIL_BACKEND = '''
import pathlib
pathlib.Path(__file__).resolve().parents[1].joinpath("EXECUTED").write_text("backend ran")
def build_wheel(*a, **k): raise SystemExit(1)
'''
EVIL_SETUP = '''
import pathlib
pathlib.Path(__file__).resolve().parents[1].joinpath("EXECUTED").write_text("setup.py ran")
'''


def evil_repo() -> dict[str, str]:
    """A repository whose local package would write EXECUTED if anything built or imported it."""
    return {
        "evilpkg/pyproject.toml": '[build-system]\nrequires = []\nbuild-backend = "backend"\n'
                                  'backend-path = ["."]\n[project]\nname = "evilpkg"\nversion = "1.0"\n',
        "evilpkg/backend.py": EVIL_BACKEND,
        "evilpkg/setup.py": EVIL_SETUP,
        "requirements.txt": "PyYAML==5.3\nflask==2.3.0\n./evilpkg\n-e ./evilpkg\nevilpkg @ file:./evilpkg\n"
                            "-r requirements-extra.txt\n",
        "requirements-extra.txt": "urllib3==2.0.3\n",
    }


def test_live_osv_through_pip_audit(run_deps: RunDeps, osv_server: FakeOsv, tmp_path: Path) -> None:
    _r, gate = run_deps(evil_repo(), offline=False,
                        settings={"service": "osv", "osv_url": url(osv_server), "timeout": 5})
    assert gate.status is GateStatus.FAIL and gate.extra["service"] == "osv"
    # only our generated pins reached the service, nested include included, no local path
    assert sorted(q["package"]["name"] for q in osv_server.queried) == ["flask", "pyyaml", "urllib3"]
    vulns = {(f.package.name, a.id): (f, a) for f in gate.findings if f.package is not None
             for a in f.package.advisories}
    _f, pyyaml = vulns[("pyyaml", "PYSEC-2021-142")]
    assert pyyaml.severity is Severity.CRITICAL and pyyaml.fixed == ("5.4",) and pyyaml.fix == "5.4"
    assert pyyaml.severity_source == ("GitHub-reviewed label CRITICAL on GHSA-8q59-q68h-6hv4 "
                                      "(an alias in the same database)")
    # fixes are recomputed per branch from the records (pip-audit alone would say 2.2.5 / 1.26.17)
    assert vulns[("flask", "PYSEC-2023-62")][1].fixed == ("2.3.2",)
    urllib3, advisory = vulns[("urllib3", "PYSEC-2023-192")]
    assert advisory.fixed == ("2.0.6",) and urllib3.location.path == "requirements-extra.txt"
    # one finding per pin, naming the version that fixes all of its advisories (from the records fetched)
    assert urllib3.package is not None and urllib3.package.fix is not None
    assert sum(1 for f in gate.findings if f.rule == "deps/direct-reference") == 3
    assert not (tmp_path / "EXECUTED").exists()


def test_offline_path_never_executes_the_repository(run_deps: RunDeps, tmp_path: Path) -> None:
    _r, gate = run_deps(evil_repo())
    assert any(f.severity is Severity.CRITICAL for f in gate.findings)
    assert not (tmp_path / "EXECUTED").exists()


@pytest.mark.parametrize("mode", ["500", "garbage", "slow"])
def test_service_failures_are_gate_errors(run_deps: RunDeps, osv_server: FakeOsv, mode: str) -> None:
    osv_server.mode = mode
    report, gate = run_deps({"requirements.txt": "PyYAML==5.3\n"}, offline=False,
                            settings={"service": "osv", "osv_url": url(osv_server), "timeout": 1})
    assert gate.status is GateStatus.ERROR, gate.error
    assert "could not be queried" in (gate.error or "")
    assert report.verdict == "fail"  # fail-closed by default


def test_on_error_warn_relaxes_an_outage(run_deps: RunDeps, osv_server: FakeOsv) -> None:
    osv_server.mode = "500"
    report, gate = run_deps({"requirements.txt": "PyYAML==5.3\n"}, offline=False,
                            settings={"service": "osv", "osv_url": url(osv_server), "timeout": 1,
                                      "on_error": "warn"})
    assert gate.status is GateStatus.ERROR and report.verdict == "pass"


def test_pypi_service_unreachable_is_an_error(run_deps: RunDeps, monkeypatch: pytest.MonkeyPatch) -> None:
    # pypi.org is hard-coded in pip-audit: route it to a closed loopback port so nothing leaves the machine
    for var in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.setenv(var, "http://127.0.0.1:9")
    monkeypatch.setenv("NO_PROXY", "")
    _r, gate = run_deps({"requirements.txt": "PyYAML==5.3\n"}, offline=False,
                        settings={"service": "pypi", "timeout": 2})
    assert gate.status is GateStatus.ERROR and "(pypi)" in (gate.error or "")
    # the error says, once, how to audit without network
    assert (gate.error or "").count("readiness osv-db download DIR") == 1 and "--offline-db DIR" in (gate.error or "")


def test_no_pins_means_no_service_call(run_deps: RunDeps) -> None:
    _r, gate = run_deps({"requirements.txt": "-e .\n"}, offline=False, settings={"service": "osv",
                                                                                "osv_url": "http://127.0.0.1:9"})
    assert gate.status is GateStatus.PASS and gate.extra["service"] == "none"
