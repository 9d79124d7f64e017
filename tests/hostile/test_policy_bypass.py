"""Issue 11, class 4: the policy belongs to the base branch.

A pull request that adds `DROP TABLE` and, in the same change, relaxes its own `.readiness.yml` (a
blanket waiver, `fail_on: never`, a disabled gate, `exclude: ["**"]`, ...) must still fail, with a
finding that says exactly what the change relaxes. Keys that point the tool at the network are never
taken from the repository.
"""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sec_support import DROP, EVENTS, PrRepo, action, assert_no_defect, check, small_env

BASE_CONFIG = "version: 1\nfail_on: critical\ngates:\n  migrations:\n    paths: [db/migrations/]\n"
BASE_FILES: dict[str, str | bytes] = {".readiness.yml": BASE_CONFIG,
                                      "db/migrations/V1__init.sql": "CREATE TABLE users (id int);\n"}

RELAXATIONS = {
    "blanket-waiver": (BASE_CONFIG + "waivers:\n  - {rule: migrations/drop-table, reason: trust me}\n",
                       "adds a waiver of migrations/drop-table for every file"),
    "fail-on-never": (BASE_CONFIG.replace("fail_on: critical", "fail_on: never"),
                      "raises fail_on from critical to never"),
    "gate-disabled": (BASE_CONFIG + "    enabled: false\n", "disables the migrations gate"),
    "exclude-everything": (BASE_CONFIG + "exclude: ['**']\n", "adds exclude '**'"),
    "severity-lowered": (BASE_CONFIG + "severity_overrides: {migrations/drop-table: info}\n",
                         "lowers migrations/drop-table from critical to info"),
    "paths-narrowed": (BASE_CONFIG.replace("[db/migrations/]", "[db/migrations/archive/]"),
                       "no longer covers 'db/migrations/'"),
    "huge-file-limit": (BASE_CONFIG + "max_file_bytes: 9000000\n", "raises max_file_bytes"),
    "on-error-warn": (BASE_CONFIG + "    on_error: warn\n", "lets the migrations gate pass when it cannot run"),
    "inline-waiver-of-the-finding": (
        BASE_CONFIG.replace("fail_on: critical", "fail_on: never  # readiness: ignore config/policy-relaxed -- ok"),
        "raises fail_on from critical to never"),
}


def _assert_blocked(done_findings: list[dict[str, object]], code: int, expected: str) -> None:
    relaxed = [f for f in done_findings if f["rule"] == "config/policy-relaxed"]
    assert relaxed, "no config/policy-relaxed finding"
    assert any(expected in str(f["message"]) for f in relaxed), [f["message"] for f in relaxed]
    assert all(f["severity"] == "critical" and not f["waived"] and f["introduced"] for f in relaxed), relaxed
    drops = [f for f in done_findings if f["rule"] == "migrations/drop-table"]
    assert drops and not any(f["waived"] for f in drops), "the base policy no longer judged the DROP TABLE"
    assert code == 1


@pytest.mark.parametrize("name", list(RELAXATIONS))
def test_a_pr_cannot_relax_its_own_verdict(name: str, tmp_path: Path) -> None:
    config, expected = RELAXATIONS[name]
    repo = PrRepo.make(tmp_path / "ws", BASE_FILES,
                       {".readiness.yml": config, "db/migrations/V2__drop_users.sql": DROP})
    done = action(repo, tmp_path, inputs={"gates": "migrations"})
    assert_no_defect(done)
    _assert_blocked(done.findings(), done.code, expected)
    assert done.outputs["verdict"] == "fail"
    cli = check(repo.path, "--base", "HEAD~1", "--gates", "migrations", home=tmp_path)
    assert_no_defect(cli)
    _assert_blocked(cli.findings(), cli.code, expected)


def test_first_pr_adding_the_policy_is_judged_against_the_defaults(tmp_path: Path) -> None:
    repo = PrRepo.make(tmp_path / "ws", {"db/migrations/V1__init.sql": "CREATE TABLE t (id int);\n"},
                       {".readiness.yml": "fail_on: never\n", "db/migrations/V2__drop_users.sql": DROP})
    done = action(repo, tmp_path, inputs={"gates": "migrations"})
    assert_no_defect(done)
    _assert_blocked(done.findings(), done.code, "raises fail_on from critical to never")


def test_tightening_the_policy_is_not_a_relaxation(tmp_path: Path) -> None:
    repo = PrRepo.make(tmp_path / "ws", BASE_FILES, {
        ".readiness.yml": BASE_CONFIG.replace("fail_on: critical", "fail_on: high") + "    require_reversible: true\n",
        "db/migrations/V2__add.sql": "ALTER TABLE users ADD COLUMN name text;\n"})
    done = check(repo.path, "--base", "HEAD~1", "--gates", "migrations", home=tmp_path)
    assert_no_defect(done)
    assert not done.findings("config/policy-relaxed")
    assert done.report()["fail_on"] == "critical", "the PR's own (stricter) fail_on is not applied before merge"


def test_unreadable_base_fails_closed(tmp_path: Path) -> None:
    """The base commit is not in the clone and GitHub cannot be asked: the PR's config is not obeyed."""
    repo = PrRepo.make(tmp_path / "ws", BASE_FILES, {".readiness.yml": "fail_on: never\n",
                                                     "db/migrations/V2__drop_users.sql": DROP})
    event = json.loads((EVENTS / "pull_request_synchronize.json").read_text())
    event["pull_request"]["base"]["sha"] = "1" * 40
    event["pull_request"]["head"]["sha"] = repo.head
    done = action(repo, tmp_path, inputs={"gates": "migrations"}, event=event)
    assert_no_defect(done)
    relaxed = done.findings("config/policy-relaxed")
    assert relaxed and "cannot be read" in str(relaxed[0]["message"]), done.findings()
    assert done.code == 1 and done.report()["fail_on"] == "critical"


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        self.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"results": [{"vulns": []}]}')

    do_GET = do_POST  # noqa: N815

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def evil_osv() -> Iterator[tuple[str, list[str]]]:
    hits: list[str] = []
    handler = type("Recorder", (_Recorder,), {"hits": hits})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()
    server.server_close()


def test_network_keys_are_never_taken_from_the_repository(tmp_path: Path, evil_osv: tuple[str, list[str]]) -> None:
    url, hits = evil_osv
    config = f"gates:\n  deps:\n    service: osv\n    osv_url: {url}\n    timeout: 1\n"
    repo = PrRepo.make(tmp_path / "ws", {".readiness.yml": config, "requirements.txt": "requests==2.19.0\n"},
                       {"requirements.txt": "requests==2.20.0\n"})
    env = small_env(tmp_path, NO_PROXY="", no_proxy="")
    for args in ((), ("--base", "HEAD~1")):
        done = check(repo.path, "--gates", "deps", *args, home=tmp_path, env=env)
        assert_no_defect(done)
        assert not hits, f"the repository's osv_url was contacted: {hits}"
        assert "osv_url is ignored" in done.stderr, done.stderr
