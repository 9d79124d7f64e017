"""Second red-team pass: a hostile pull request hides a dangerous migration where the gate reads
nothing (a statement the scanner gives no slice for, a file discovery does not look at, a listing
stopped by its cap). Each case builds a base and a PR commit and runs the real CLI with `--base`:
the PR must not pass without a finding that names what was not judged."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from sec_support import DROP, Done, PrRepo, assert_no_defect, check, git

BASE = {"db/migrations/0001_init.sql": "CREATE TABLE users (id int);\n"}


def _judge(tmp_path: Path, pr: Mapping[str, str | bytes] | Callable[[Path], None], *args: str,
           base: Mapping[str, str | bytes] | None = None) -> Done:
    repo = PrRepo.make(tmp_path / "ws", base or BASE, pr)
    done = check(repo.path, "--base", repo.base, "--gates", "migrations", *args, home=tmp_path)
    assert_no_defect(done)
    return done


def test_statements_after_an_unclosed_parenthesis_are_reported(tmp_path: Path) -> None:
    # The scanner gives no statement slice for text after an unclosed `(`: the DROP after it was
    # neither judged nor reported (zero findings, a pass).
    done = _judge(tmp_path, {"db/migrations/0002_x.sql": "SELECT 1;\nCREATE TABLE x (id int;\n" + DROP})
    errors = done.findings("migrations/parse-error")
    assert errors and errors[0]["line"] == 2, done.findings()


def test_a_listing_stopped_at_its_cap_fails_closed(tmp_path: Path) -> None:
    # A PR that floods the tree stops the walk at MAX_LISTED_FILES; the files past it (the DROP
    # TABLE) were never judged and the verdict was a pass. The cap is lowered here (500,000 files
    # in the real tool), in a real `readiness check` process with the watchdog on.
    filler: dict[str, str | bytes] = {f"aaa/{i:03}.txt": "" for i in range(60)}
    repo = PrRepo.make(tmp_path / "ws", BASE, {**filler, "db/migrations/0002_drop.sql": DROP})
    code = ("import sys, readiness.workspace as w; w.MAX_LISTED_FILES = 5; from readiness.cli import main; "
            "sys.exit(main(sys.argv[1:]))")
    done = subprocess.run([sys.executable, "-c", code, "check", str(repo.path), "--base", repo.base,
                           "--gates", "migrations", "--format", "json"], capture_output=True, text=True,
                          timeout=120, check=False, cwd=tmp_path)
    assert done.returncode == 1, (done.returncode, done.stderr[-1500:])
    gate = next(g for g in json.loads(done.stdout)["gates"] if g["id"] == "migrations")
    assert gate["status"] == "error" and "listing stopped" in gate["error"], gate


FLYWAY_BASE: dict[str, str | bytes] = {
    "src/db/migration/V1__init.sql": "CREATE TABLE users (id int);\n",
    "db/migrations/0001_init.up.sql": "CREATE TABLE users (id int);\n",
    "db/migrations/0001_init.down.sql": "DROP TABLE users;\n",
}


@pytest.mark.parametrize("path", [
    "db/migrations/0002_drop.up.SQL",  # golang-migrate applies any extension in its directory
    "db/migrations/0002_drop.up.psql",
    "src/db/migration/V2__drop.SQL",
    "src/db/migration/testdata/V2__drop.sql",  # Flyway scans its location recursively
    "src/db/migration/vendor/V2__drop.sql",
    "src/db/migration/mysql/V2__drop.sql",
    "src/db/migration/V2__drop.mysql.sql",
])
def test_a_migration_the_search_skips_is_judged_when_the_pr_creates_its_place(tmp_path: Path, path: str) -> None:
    done = _judge(tmp_path, {path: DROP}, base=FLYWAY_BASE)
    assert done.code == 1 and [f["path"] for f in done.findings("migrations/drop-table")] == [path], done.findings()


@pytest.mark.parametrize("path", ["src/db/migration/mysql/V3__drop.sql", "src/db/migration/V3__drop.mysql.sql"])
def test_another_dialects_place_the_base_already_has_stays_skipped(tmp_path: Path, path: str) -> None:
    # a multi-dialect layout: the base's own mysql files show the runner does not apply them here
    base = {**FLYWAY_BASE, "src/db/migration/mysql/V1__init.sql": "CREATE TABLE users (id int);\n",
            "src/db/migration/V1__init.mysql.sql": "CREATE TABLE users (id int);\n"}
    done = _judge(tmp_path, {path: DROP}, base=base)
    assert done.code == 0 and not done.findings("migrations/drop-table"), done.findings()


PER_DATABASE_BASE: dict[str, str | bytes] = {
    "internal/migrations/postgres/1_init.up.sql": "CREATE TABLE users (id int);\n",
    "internal/migrations/postgres/1_init.down.sql": "DROP TABLE users;\n",
    "internal/migrations/mysql/1_init.up.sql": "CREATE TABLE users (id int);\n",
}


def test_a_new_databases_directory_of_a_runner_that_reads_one_directory_is_not_judged(tmp_path: Path) -> None:
    # golang-migrate, goose, dbmate, sqlx read only the directory they are given: flipt's PR moving
    # its ClickHouse migrations to a new internal/migrations/clickhouse/ was blocked as parse errors
    done = _judge(tmp_path, {"internal/migrations/clickhouse/1_events.up.sql":
                             "CREATE TABLE events (id UInt64) ENGINE = MergeTree ORDER BY `id`;\n"})
    assert done.code == 0 and not done.findings(), done.findings()


def test_a_new_databases_directory_beside_postgres_is_not_judged_as_postgresql(tmp_path: Path) -> None:
    # one directory per database (flipt, openfga): a PR that adds ClickHouse's or SQLite's gives each
    # runner its own path, and its SQL is not PostgreSQL's (a parse error there blocked the PR)
    done = _judge(tmp_path, {"internal/migrations/clickhouse/1_events.up.sql":
                             "CREATE TABLE events (id UInt64) ENGINE = MergeTree ORDER BY `id`;\n",
                             "internal/migrations/sqlite/1_init.up.sql": "CREATE TABLE users (id longblob);\n"},
                  base=PER_DATABASE_BASE)
    assert done.code == 0 and not done.findings(), done.findings()


def test_a_postgres_directory_the_pr_adds_beside_its_own_dialect_directory_hides_nothing(tmp_path: Path) -> None:
    # the PostgreSQL sibling must be the base's: a PR cannot make its own layout to hide a DROP
    done = _judge(tmp_path, {"src/db/migration/postgres/V2__x.sql": "SELECT 1;\n",
                             "src/db/migration/mysql/V3__drop.sql": DROP}, base=FLYWAY_BASE)
    assert done.code == 1 and [f["path"] for f in done.findings("migrations/drop-table")] == \
        ["src/db/migration/mysql/V3__drop.sql"], done.findings()


def test_a_submodule_bump_where_migrations_live_is_reported(tmp_path: Path) -> None:
    # The PR turns db/migrations into a submodule pointing at a commit elsewhere: the diff holds a
    # gitlink, not the DROP TABLE, and the gate passed with nothing to say.
    def pr(root: Path) -> None:
        git(root, "rm", "-rq", "--cached", "db/migrations")
        shutil.rmtree(root / "db" / "migrations")
        (root / "db" / "migrations").mkdir()  # actions/checkout leaves an uninitialised submodule empty
        git(root, "update-index", "--add", "--cacheinfo", f"160000,{'1' * 40},db/migrations")

    repo = PrRepo.make(tmp_path / "ws", BASE, pr)
    done = check(repo.path, "--base", repo.base, "--gates", "migrations", home=tmp_path)
    assert_no_defect(done)
    assert [f["path"] for f in done.findings("migrations/submodule-changed")] == ["db/migrations"], done.findings()


@pytest.mark.parametrize(("sql", "rule"), [
    ("CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN DROP TABLE users; END $$;\nSELECT f();\n",
     "migrations/drop-table"),
    ("CREATE PROCEDURE p() LANGUAGE sql AS 'DROP TABLE users';\nCALL public.p();\n", "migrations/drop-table"),
    ("CREATE FUNCTION f() RETURNS void LANGUAGE sql BEGIN ATOMIC DELETE FROM users; END;\nSELECT f();\n",
     "migrations/delete-all-rows"),
    ("CREATE FUNCTION f() RETURNS void LANGUAGE plpython3u AS 'plpy.execute(\"DROP TABLE users\")';\nSELECT f();\n",
     "migrations/dynamic-sql"),
    # called from other statements than SELECT/CALL, by a quoted name
    ("CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN DROP TABLE users; END $$;\n"
     "INSERT INTO t VALUES (f());\n", "migrations/drop-table"),
    ("CREATE FUNCTION f() RETURNS void LANGUAGE sql AS 'DROP TABLE users';\n"
     "UPDATE t SET x = f() WHERE id = 1;\n", "migrations/drop-table"),
    ('CREATE FUNCTION "F"() RETURNS void LANGUAGE sql AS \'DROP TABLE users\';\nSELECT public."F"();\n',
     "migrations/drop-table"),
])
def test_a_routine_the_migration_creates_and_calls_runs_its_body(tmp_path: Path, sql: str, rule: str) -> None:
    # The body of a function created and called in the same migration runs there: it was not read,
    # and the DROP TABLE inside passed with no finding at all.
    done = _judge(tmp_path, {"db/migrations/0002_x.sql": sql})
    assert [f["line"] for f in done.findings(rule)] == [2], done.findings()


def test_a_routine_replaced_after_its_first_call_is_judged_at_the_next_call(tmp_path: Path) -> None:
    # A harmless body called once, then replaced by a DROP TABLE and called again: the second body runs.
    sql = ("CREATE FUNCTION f() RETURNS void LANGUAGE sql AS 'SELECT 1';\nSELECT f();\n"
           "CREATE OR REPLACE FUNCTION f() RETURNS void LANGUAGE sql AS 'DROP TABLE users';\nSELECT f();\n")
    done = _judge(tmp_path, {"db/migrations/0002_x.sql": sql})
    assert [f["line"] for f in done.findings("migrations/drop-table")] == [4], done.findings()


OSV = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "osv-pypi"


@pytest.mark.skipif(not OSV.is_dir(), reason="../shared/data/osv-pypi is absent")
@pytest.mark.parametrize("path", ["dev-requirements.txt", "test-requirements.txt", "requirements.pip",
                                  "requirements/prod.pip", "constraints.txt"])
def test_a_vulnerable_pin_in_a_requirements_file_named_otherwise_is_audited(tmp_path: Path, path: str) -> None:
    # pip installs these as it installs requirements*.txt; a vulnerable pin there was never audited
    repo = PrRepo.make(tmp_path / "ws", {"requirements.txt": "packaging==24.1\n"}, {path: "django==1.11.0\n"})
    done = check(repo.path, "--base", repo.base, "--gates", "deps", "--offline-db", str(OSV), home=tmp_path)
    assert_no_defect(done)
    hits = [f for f in done.findings("deps/known-vulnerability") if f["path"] == path and f["severity"] == "critical"]
    assert done.code == 1 and hits, done.findings()


AWS_KEY = "AKIA" + "Q3EGRT5NZLX7WV2P"


@pytest.mark.parametrize(("path", "text"), [
    ("app/settings.py", f'AWS_ACCESS_KEY_ID = "{AWS_KEY}"\n'),
    ("deploy/k8s.yaml", f"env:\n  - name: KEY\n    value: {AWS_KEY}\n"),
    ("certs/server.key", "-----BEGIN RSA PRIVATE KEY-----\n"
                         "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n"
                         "VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK\n"
                         "-----END RSA PRIVATE KEY-----\n"),
])
def test_a_credential_committed_outside_the_config_files_is_found(tmp_path: Path, path: str, text: str) -> None:
    repo = PrRepo.make(tmp_path / "ws", {"config/app.yaml": "name: demo\n"}, {path: text})
    done = check(repo.path, "--base", repo.base, "--gates", "config", home=tmp_path)
    assert_no_defect(done)
    assert done.code == 1 and [f["path"] for f in done.findings("config/committed-credential")] == [path]
    assert AWS_KEY not in done.stdout and "MIIEowIBAAKCAQEA" not in done.stdout


KEY_BLOCK = ("-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n"
             "-----END RSA PRIVATE KEY-----\n")


@pytest.mark.parametrize("path", ["internal/configuration/schema/types_test.go", "saleor/tests/settings.py",
                                  "spec/support/tls_keys.rb", "test_tls.py", "src/keys.spec.ts"])
def test_a_private_key_in_test_code_is_a_fixture_but_a_provider_key_there_is_reported(tmp_path: Path,
                                                                                      path: str) -> None:
    # a PEM block in a test or its fixtures is made for the test (authelia, saleor: false blocks);
    # a provider's key there is a leak like anywhere else
    text = f'KEY = """\n{KEY_BLOCK}"""\nAWS = "{AWS_KEY}"\n'
    repo = PrRepo.make(tmp_path / "ws", {"config/app.yaml": "name: demo\n"}, {path: text})
    done = check(repo.path, "--base", repo.base, "--gates", "config", home=tmp_path)
    assert_no_defect(done)
    assert [f["line"] for f in done.findings("config/committed-credential")] == [6], done.findings()


ALEMBIC = ('"""drop users"""\nfrom alembic import op\n\nrevision = "b2"\ndown_revision = "a1"\n\n\n'
           'def upgrade():\n    op.drop_table("users")\n\n\ndef downgrade():\n    pass\n')
DJANGO = ("from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n"
          "    dependencies = [('shop', '0001_initial')]\n    operations = [migrations.DeleteModel(name='Order')]\n")


@pytest.mark.parametrize(("path", "text", "rule"), [
    ("db/revisions/b2_drop_users.py", ALEMBIC, "migrations/drop-table"),  # alembic.ini version_locations
    ("shop/schema_changes/0002_drop_order.py", DJANGO, "migrations/drop-table"),  # MIGRATION_MODULES
])
def test_a_python_migration_the_pr_adds_outside_the_usual_places_is_judged(tmp_path: Path, path: str, text: str,
                                                                            rule: str) -> None:
    done = _judge(tmp_path, {path: text})
    assert [f["path"] for f in done.findings(rule)] == [path], done.findings()


def test_a_migrations_directory_replaced_by_a_symlink_is_followed(tmp_path: Path) -> None:
    # dbmate reads db/migrations through the link; the walk does not follow directory links, so the
    # migration in schema/ (a directory no search looks at) passed unseen.
    def pr(root: Path) -> None:
        shutil.rmtree(root / "db" / "migrations")
        (root / "schema").mkdir()
        (root / "schema" / "20240102000000_drop.sql").write_text("-- migrate:up\n" + DROP)
        os.symlink("../schema", root / "db" / "migrations")

    done = _judge(tmp_path, pr, base={"db/migrations/20240101000000_init.sql":
                                      "-- migrate:up\nCREATE TABLE users (id int);\n"})
    assert [f["path"] for f in done.findings("migrations/drop-table")] == ["schema/20240102000000_drop.sql"]
