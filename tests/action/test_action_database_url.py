"""The action's `database-url` input, for real: `readiness action` as the Docker runtime runs it, against
the stand-in GitHub API, replaying the PR's SQL migration on the session's PostgreSQL given as the
database-url (a `services: postgres` container in a workflow). What replay observed reaches the JSON
report, the comment, the check run and the job summary; the URL's password reaches none of them; the
fresh database and role replay worked in are dropped afterwards."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from action_support import Repo, action_env, git
from fake_github import FakeGitHub
from gh_support import TOKEN, ActionRun, parse_output_file

from readiness.render.markdown import MARKER

pytestmark = pytest.mark.replay
READINESS = Path(sys.executable).parent / "readiness"
HISTORY = ("-- migrate:up\nCREATE TABLE orders (id bigint PRIMARY KEY, total_cents integer);\n\n"
           "-- migrate:down\nDROP TABLE orders;\n")
RENAME = ("-- migrate:up\nSET lock_timeout = '2s';\nALTER TABLE orders RENAME COLUMN total_cents TO amount_cents;\n\n"
          "-- migrate:down\nSET lock_timeout = '2s';\nALTER TABLE orders RENAME COLUMN amount_cents TO total_cents;\n")


def _repo(tmp_path: Path) -> tuple[Path, str, str]:
    ws = tmp_path / "workspace"
    (ws / "db" / "migrations").mkdir(parents=True)
    git(ws, "init", "-q", "-b", "main")
    (ws / "db" / "migrations" / "20240101000000_orders.sql").write_text(HISTORY)
    git(ws, "add", "-A")
    git(ws, "commit", "-q", "-m", "base")
    base = git(ws, "rev-parse", "HEAD")
    (ws / "db" / "migrations" / "20240201000000_rename_total.sql").write_text(RENAME)
    git(ws, "add", "-A")
    git(ws, "commit", "-q", "-m", "rename")
    return ws, base, git(ws, "rev-parse", "HEAD")


def _sandboxes(pg_url: str) -> tuple[int, int]:
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as admin:
        dbs = admin.execute("SELECT count(*) FROM pg_database WHERE datname LIKE 'readiness_replay_%'").fetchone()
        roles = admin.execute("SELECT count(*) FROM pg_roles WHERE rolname LIKE 'readiness_replay_%'").fetchone()
    assert dbs is not None and roles is not None
    return int(dbs[0]), int(roles[0])


def test_database_url_replays_on_the_given_server_and_every_output_says_so(
        tmp_path: Path, fake: FakeGitHub, pg_url: str) -> None:
    ws, base, head = _repo(tmp_path)
    password = dict(part.split("=", 1) for part in pg_url.split())["password"]
    assert len(password) >= 8  # the masking below is about a real secret
    before = _sandboxes(pg_url)
    env = action_env(tmp_path, Repo(ws, base, head), fake.base_url,
                     inputs={"gates": "migrations", "fail-on": "high", "database-url": pg_url, "replay": "on"})
    start = time.monotonic()
    done = subprocess.run([str(READINESS), "action"], env=env, cwd=ws, capture_output=True, text=True,
                          timeout=180, check=False)
    run = ActionRun(done.returncode, done.stdout, done.stderr,
                    parse_output_file(Path(env["GITHUB_OUTPUT"]).read_text(encoding="utf-8")),
                    Path(env["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8"), time.monotonic() - start, ws)

    assert run.code == 1, run.stderr  # the rename is high, and fail-on is high
    assert run.outputs["verdict"] == "fail" and run.outputs["high"] == "1"
    report = json.loads(run.path("report").read_text(encoding="utf-8"))
    gate = next(g for g in report["gates"] if g["id"] == "migrations")
    assert gate["replay"]["status"] == "replayed", gate["replay"]
    assert gate["replay"]["server"] == "database-url" and gate["replay"]["observed_migrations"] == 1
    version = gate["replay"]["server_version"]
    item = next(i for i in gate["items"] if i["path"].endswith("_rename_total.sql"))
    assert item["replay"] == "applied" and item["down_restores"] is True
    assert "ACCESS EXCLUSIVE public.orders" in item["observed_locks"]
    rename = next(f for f in report["findings"] if f["rule"] == "migrations/rename-column")
    assert f"confirmed on PostgreSQL {version}" in rename["message"]

    line = f"PostgreSQL {version} (the database-url server)"
    comments = fake.comments_on(7)
    assert len(comments) == 1 and comments[0]["body"].startswith(MARKER)
    (check_run,) = list(fake.iter_check_runs())
    output = check_run["request"]["output"]
    for shown in (comments[0]["body"], run.summary, output["summary"] + output.get("text", "")):
        assert line in shown.replace("\\(", "(").replace("\\)", ")"), shown  # Markdown-escaped
    assert check_run["request"]["head_sha"] == head and check_run["request"]["conclusion"] == "failure"
    assert [a["path"] for a in check_run["annotations"]] == ["db/migrations/20240201000000_rename_total.sql"]

    posted = json.dumps([comments, check_run["request"], check_run["annotations"]])
    for text in (run.text_everywhere(), posted):
        assert password not in text and pg_url not in text and TOKEN not in text
    assert _sandboxes(pg_url) == before  # the fresh database and role are dropped
