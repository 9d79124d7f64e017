"""Replay in the migrations gate, end to end through `readiness check` on real git repositories and a real
PostgreSQL (the session's server as a database-url, or a throwaway server the check starts itself)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.replay
READINESS = str(Path(sys.executable).with_name("readiness"))

HISTORY = """-- migrate:up
CREATE TABLE users (id bigint PRIMARY KEY, name varchar(20), n integer);
CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint);
CREATE TABLE t AS SELECT 1::bigint AS id, 'x'::varchar(20) AS label;
-- created through dynamic SQL, so that no static rule reads its body (a function an earlier migration
-- creates plainly is judged where it is called): only replay sees the lock SELECT widen_users() takes
DO $do$ BEGIN EXECUTE $f$CREATE FUNCTION widen_users() RETURNS void LANGUAGE plpgsql
  AS 'BEGIN ALTER TABLE users ALTER COLUMN n TYPE bigint; END'$f$; END $do$;

-- migrate:down
DROP FUNCTION widen_users();
DROP TABLE t;
DROP TABLE orders;
DROP TABLE users;
"""


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


def repo(tmp_path: Path, pr: dict[str, str], *, history: dict[str, str] | None = None,
         base_config: str | None = None) -> Path:
    """A repository whose base commit holds the history, and whose head adds `pr`."""
    root = tmp_path / "repo"
    root.mkdir()
    _git(root, "init", "-q", "-b", "main")
    _git(root, "config", "user.email", "t@example.com")
    _git(root, "config", "user.name", "t")
    files = {"db/migrations/20240101000000_base.sql": HISTORY, **(history or {})}
    if base_config is not None:
        files[".readiness.yml"] = base_config
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "base")
    for rel, text in pr.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "pr")
    return root


def check(root: Path, *extra: str, env: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    """`readiness check --base HEAD~1 --format json`: exit code and report."""
    run_env = {k: v for k, v in os.environ.items() if k not in ("READINESS_REPLAY", "READINESS_DATABASE_URL")}
    run_env.update(env or {})
    proc = subprocess.run([READINESS, "check", str(root), "--base", "HEAD~1", "--gates",
                           "migrations", "--format", "json", *extra], capture_output=True, text=True, env=run_env,
                          timeout=180, check=False)
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def migration(name: str, up: str, down: str = "SELECT 1;") -> dict[str, str]:
    return {f"db/migrations/{name}.sql": f"-- migrate:up\n{up}\n\n-- migrate:down\n{down}\n"}


def rules(report: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for f in report["findings"]:
        out.setdefault(f["rule"], []).append(f)
    return out


def gate(report: dict[str, Any]) -> dict[str, Any]:
    return next(g for g in report["gates"] if g["id"] == "migrations")


def pr_item(report: dict[str, Any]) -> dict[str, Any]:
    """The item of the PR's one migration."""
    return next(i for i in gate(report)["items"] if i["path"].endswith("_pr.sql"))


@pytest.mark.parametrize(("up", "down", "rule", "line"), [
    ("ALTER TABLE users ADD COLUMN email text;\nALTER TABLE users DROP COLUMN missing;", "SELECT 1;",
     "migrations/migration-fails-to-apply", 3),
    ("CREATE TABLE tags (id bigint PRIMARY KEY);\nCREATE INDEX tags_id ON tags (id);", "DROP INDEX tags_id;",
     "migrations/down-does-not-restore", 6),
    ("CREATE TYPE mood AS ENUM ('a', 'b');", "SELECT 1;", "migrations/up-after-down-fails", 2),
    ("ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;",
     "ALTER TABLE orders DROP CONSTRAINT orders_user_fk;", "migrations/foreign-key-without-index", 2),
    ("SELECT widen_users();", "SELECT 1;", "migrations/observed-exclusive-lock", 2),
])
def test_each_replay_rule_fires_on_a_bad_migration(tmp_path: Path, pg_url: str, up: str, down: str, rule: str,
                                                    line: int) -> None:
    root = repo(tmp_path, migration("20240102000000_pr", up, down))
    _, report = check(root, "--database-url", pg_url)
    found = rules(report).get(rule)
    assert found, f"{rule} did not fire: {sorted(rules(report))}"
    assert found[0]["path"] == "db/migrations/20240102000000_pr.sql" and found[0]["line"] == line
    assert "PostgreSQL 15" in found[0]["message"] or "PostgreSQL 1" in found[0]["message"]
    summary = gate(report)["replay"]
    assert summary["status"] == "replayed" and summary["history_migrations"] == 1


def test_a_good_migration_raises_none_of_them(tmp_path: Path, pg_url: str) -> None:
    up = ("CREATE TABLE tags (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id));\n"
          "CREATE INDEX tags_user_id ON tags (user_id);")
    root = repo(tmp_path, migration("20240102000000_pr", up, "DROP TABLE tags;"))
    code, report = check(root, "--database-url", pg_url)
    replay_rules = {"migrations/migration-fails-to-apply", "migrations/down-does-not-restore",
                    "migrations/up-after-down-fails", "migrations/foreign-key-without-index",
                    "migrations/observed-exclusive-lock", "migrations/replay-not-conclusive",
                    "migrations/replay-history-fails", "migrations/replay-unavailable"}
    assert not replay_rules & set(rules(report)), rules(report)
    item = pr_item(report)
    assert item["replay"] == "applied" and item["down_restores"] is True
    assert code == 0


@pytest.mark.parametrize(("up", "severity", "said", "risk", "code"), [
    # t.label was made by CREATE TABLE AS: the static rules do not know it is varchar(20), and predict a rewrite
    ("ALTER TABLE t ALTER COLUMN label TYPE varchar(50);", "medium",
     "observed no rewrite and no scan, only ACCESS EXCLUSIVE on public.t: downgraded from critical", "medium", 0),
    # a real rewrite: the prediction is confirmed and keeps its severity
    ("ALTER TABLE users ALTER COLUMN n TYPE bigint;", "critical", "predicted; confirmed on PostgreSQL", "critical", 1),
])
def test_a_static_prediction_is_confirmed_or_downgraded_by_what_the_server_did(
        tmp_path: Path, pg_url: str, up: str, severity: str, said: str, risk: str, code: int) -> None:
    root = repo(tmp_path, migration("20240102000000_pr", up))
    exit_code, report = check(root, "--database-url", pg_url)
    (f,) = rules(report)["migrations/change-column-type"]
    assert f["severity"] == severity and said in f["message"], f["message"]
    assert pr_item(report)["risk"] == risk
    assert exit_code == code


def test_large_tables_makes_an_observed_rewrite_critical(tmp_path: Path, pg_url: str) -> None:
    root = repo(tmp_path, migration("20240102000000_pr", "SELECT widen_users();"),
                base_config="version: 1\ngates:\n  migrations:\n    large_tables: [users]\n")
    _, report = check(root, "--database-url", pg_url)
    (f,) = rules(report)["migrations/observed-exclusive-lock"]
    assert f["severity"] == "critical" and "large_tables" in f["message"]


def test_a_throwaway_server_by_default_and_the_replay_line(tmp_path: Path) -> None:
    root = repo(tmp_path, migration("20240102000000_pr", "ALTER TABLE users ADD COLUMN email text;"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("READINESS_")}
    proc = subprocess.run([READINESS, "check", str(root), "--base", "HEAD~1", "--gates",
                           "migrations"], capture_output=True, text=True, env=env, timeout=180, check=False)
    assert "Replay: PostgreSQL 1" in proc.stdout and "a throwaway server" in proc.stdout, proc.stdout
    assert "1 migration observed after 1 history migration" in proc.stdout


def test_no_server_in_auto_says_why_once_and_the_static_verdict_stands(tmp_path: Path) -> None:
    root = repo(tmp_path, migration("20240102000000_pr", "ALTER TABLE users ALTER COLUMN n TYPE bigint;"))
    unreachable = f"host={tmp_path}/nosuchdir port=5432 user=x password=secretpw dbname=postgres"
    code, report = check(root, "--database-url", unreachable)
    summary = gate(report)["replay"]
    assert summary["status"] == "skipped" and summary["reason"]
    assert "secretpw" not in json.dumps(report)
    assert set(rules(report)) == {"migrations/change-column-type", "migrations/missing-lock-timeout"}
    assert code == 1  # the static critical stands
    proc = subprocess.run([READINESS, "check", str(root), "--base", "HEAD~1", "--gates",
                           "migrations", "--database-url", unreachable], capture_output=True, text=True,
                          env={k: v for k, v in os.environ.items() if k != "READINESS_REPLAY"}, timeout=180,
                          check=False)
    assert proc.stdout.count("Replay: skipped") == 1 and "secretpw" not in proc.stdout


def test_replay_on_with_no_server_is_a_blocking_finding(tmp_path: Path) -> None:
    root = repo(tmp_path, migration("20240102000000_pr", "ALTER TABLE users ADD COLUMN email text;"),
                base_config="version: 1\ngates:\n  migrations:\n    replay: 'on'\n")
    code, report = check(root, "--database-url", f"host={tmp_path}/nosuchdir dbname=postgres user=x")
    (f,) = rules(report)["migrations/replay-unavailable"]
    assert f["severity"] == "critical" and "no PostgreSQL server could be had" in f["message"]
    assert gate(report)["replay"]["status"] == "error"
    assert code == 1


def test_replay_off_runs_nothing_and_says_nothing(tmp_path: Path, pg_url: str) -> None:
    root = repo(tmp_path, migration("20240102000000_pr", "SELECT widen_users();"),
                base_config="version: 1\ngates:\n  migrations:\n    replay: 'off'\n")
    _, report = check(root, "--database-url", pg_url)
    assert "replay" not in gate(report)
    assert "migrations/observed-exclusive-lock" not in rules(report)
    _, report = check(root, "--database-url", pg_url, "--replay", "on")  # the runner's choice wins
    assert "migrations/observed-exclusive-lock" in rules(report)


def test_a_pull_request_cannot_turn_replay_off_for_itself(tmp_path: Path, pg_url: str) -> None:
    pr = {**migration("20240102000000_pr", "SELECT widen_users();"),
          ".readiness.yml": "version: 1\ngates:\n  migrations:\n    replay: 'off'\n"}
    root = repo(tmp_path, pr, base_config="version: 1\n")
    code, report = check(root, "--database-url", pg_url)
    found = rules(report)
    assert "migrations/observed-exclusive-lock" in found  # the base's policy (auto) replayed it
    relaxed = found["config/policy-relaxed"]
    assert any("replay from auto to off" in f["message"] for f in relaxed)
    assert code == 1


def test_a_history_that_does_not_replay_is_said_once_and_nothing_is_concluded(tmp_path: Path, pg_url: str) -> None:
    broken = {"db/migrations/20240101500000_broken.sql": "-- migrate:up\nALTER TABLE nothere ADD COLUMN x int;\n"}
    root = repo(tmp_path, migration("20240102000000_pr", "ALTER TABLE users DROP COLUMN missing;"), history=broken)
    _, report = check(root, "--database-url", pg_url)
    found = rules(report)
    (note,) = found["migrations/replay-history-fails"]
    assert note["severity"] == "info" and note["path"].endswith("_broken.sql")
    assert "migrations/migration-fails-to-apply" not in found
    item = pr_item(report)
    assert item["replay"] == "inconclusive"


def test_a_hostile_migration_is_contained_and_the_verdict_stands(tmp_path: Path, pg_url: str) -> None:
    pr = {**migration("20240102000000_copy", "COPY users FROM PROGRAM 'touch /tmp/readiness-pwned';"),
          **migration("20240103000000_read", "SELECT pg_read_file('/etc/passwd');"),
          **migration("20240104000000_loop", "DO $$ BEGIN LOOP PERFORM 1; END LOOP; END $$;"),
          **migration("20240105000000_fine", "ALTER TABLE users ALTER COLUMN n TYPE bigint;")}
    root = repo(tmp_path, pr)
    code, report = check(root, "--database-url", pg_url)
    assert not Path("/tmp/readiness-pwned").exists()
    found = rules(report)
    notes = {f["path"].rsplit("/", 1)[-1]: f for f in found["migrations/replay-not-conclusive"]}
    assert notes["20240102000000_copy.sql"]["severity"] == "info"
    assert notes["20240103000000_read.sql"]["severity"] == "info"
    assert notes["20240104000000_loop.sql"]["severity"] == "high"
    assert "migrations/change-column-type" in found  # the rest of the verdict stands
    assert code == 1


def test_each_migration_the_budget_left_unrun_says_so(tmp_path: Path, pg_url: str) -> None:
    """A replay cut short by its time budget named no file: the report only said "partial". Each
    judged migration that was not (fully) run now has one note at its first statement not run."""
    pr: dict[str, str] = {}
    for n in range(6):
        pr.update(migration(f"2024010{n + 2}000000_slow", "SELECT pg_sleep(1.5);\nALTER TABLE users ADD COLUMN "
                                                             f"c{n} int;"))
    root = repo(tmp_path, pr)
    _, report = check(root, "--database-url", pg_url, env={"READINESS_GATE_TIMEOUT": "10"})
    summary = gate(report)["replay"]
    assert summary["status"] == "partial" and summary["budget_exhausted"], summary
    notes = [f for f in rules(report).get("migrations/replay-not-conclusive", []) if "time budget" in f["message"]]
    assert notes, rules(report)
    paths = [f["path"] for f in notes]
    assert len(paths) == len(set(paths)), paths  # one per migration, not one per statement
    unrun = {i["path"] for i in gate(report)["items"] if i.get("replay") == "not-run"}
    assert set(paths) == unrun, (paths, unrun)
    assert all(f["severity"] == "info" for f in notes)


SKIPPED_FIRST = "CREATE EXTENSION IF NOT EXISTS readiness_no_such_extension;\n"


@pytest.mark.parametrize(("after", "rule"), [
    ("ALTER TABLE users DROP COLUMN missing;", "migrations/migration-fails-to-apply"),
    ("SELECT widen_users();", "migrations/observed-exclusive-lock"),
])
def test_a_statement_replay_cannot_run_does_not_blind_it_to_the_rest(tmp_path: Path, pg_url: str, after: str,
                                                                     rule: str) -> None:
    """Sixth review, R6a-12: one leading line the sandbox cannot run (an extension it lacks, a privilege
    it never grants) stopped replay with an info note, so what only replay sees passed. Such a line is
    now rolled back alone and replay goes on."""
    root = repo(tmp_path, migration("20240102000000_pr", SKIPPED_FIRST + after))
    _, report = check(root, "--database-url", pg_url)
    found = rules(report)
    assert found.get("migrations/replay-not-conclusive"), found
    assert found.get(rule), sorted(found)


def test_what_the_skipped_line_would_have_made_is_not_a_failure(tmp_path: Path, pg_url: str) -> None:
    up = SKIPPED_FIRST + "CREATE TABLE shapes (id bigint PRIMARY KEY, g readiness_no_such_type);"
    root = repo(tmp_path, migration("20240102000000_pr", up, "DROP TABLE shapes;"))
    _, report = check(root, "--database-url", pg_url)
    found = rules(report)
    assert "migrations/migration-fails-to-apply" not in found, found["migrations/migration-fails-to-apply"]
    assert len(found["migrations/replay-not-conclusive"]) == 2, found["migrations/replay-not-conclusive"]
