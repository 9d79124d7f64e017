"""A pull request must not hide a migration from the gate by making it unanalysable.

Before: what the gate cannot read (a statement PostgreSQL's parser rejects, SQL built at run time,
a file it will not load, a submodule bump where migrations live) was a `high` finding, so at the
default `fail_on: critical` a PR whose migration is `DO $$ BEGIN EXECUTE <anything> END $$` -- or
one that moved a submodule full of `DROP TABLE`s -- passed. Now what the PR adds or changes and the
gate cannot read blocks at the default policy; the same file left untouched, or read in a full scan
of the repository, keeps its `high` severity (an old repository's baseline does not explode).
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path

import pytest
from sec_support import Done, PrRepo, assert_no_defect, check, git

BASE = {"db/migrations/0001_init.sql": "CREATE TABLE users (id int);\n"}

HIDDEN: dict[str, tuple[str, str | bytes, str]] = {
    # the DROP TABLE is inside text PostgreSQL's parser rejects
    "parse-error": ("db/migrations/0002_x.sql", "DROP TABLE users CASCADE RESTRICT CASCADE;\n",
                    "migrations/parse-error"),
    # the DROP TABLE comes from a setting, a table, the network, ... at run time
    "do-execute": ("db/migrations/0002_x.sql",
                   "DO $$ BEGIN EXECUTE current_setting('app.cleanup'); END $$;\n", "migrations/dynamic-sql"),
    "alembic-computed": ("alembic/versions/b2_x.py",
                         "from alembic import op\nrevision = 'b2'\ndown_revision = 'a1'\n\n\n"
                         "def upgrade():\n    op.execute(build_cleanup_sql())\n\n\ndef downgrade():\n    pass\n",
                         "migrations/dynamic-sql"),
    "alembic-getattr": ("alembic/versions/b2_x.py",
                        "from alembic import op\nrevision = 'b2'\ndown_revision = 'a1'\n\n\n"
                        "def upgrade():\n    getattr(op, name())('users')\n\n\ndef downgrade():\n    pass\n",
                        "migrations/dynamic-sql"),
    # a file the gate will not load (not UTF-8): it still runs on the server
    "not-utf8": ("db/migrations/0002_x.sql", b"DROP TABLE users; -- \xff\xfe\n", "migrations/unreadable-file"),
    "python-syntax": ("alembic/versions/b2_x.py", "from alembic import op\ndef upgrade(:\n    op.drop_table('users')\n",
                      "migrations/python-syntax-error"),
}
ALEMBIC_BASE = {"alembic/env.py": "", "alembic/versions/a1_init.py":
                "from alembic import op\nrevision = 'a1'\ndown_revision = None\n\n\n"
                "def upgrade():\n    op.execute('CREATE TABLE users (id int)')\n\n\ndef downgrade():\n"
                "    op.execute('DROP TABLE users')\n"}


def _run(tmp_path: Path, base: Mapping[str, str | bytes], pr: Mapping[str, str | bytes], *, full: bool = False) -> Done:
    repo = PrRepo.make(tmp_path / "ws", base, pr)
    args = () if full else ("--base", repo.base)
    done = check(repo.path, *args, "--gates", "migrations", home=tmp_path)
    assert_no_defect(done)
    return done


@pytest.mark.parametrize("case", sorted(HIDDEN))
def test_an_unanalysable_migration_the_pr_adds_blocks_at_the_default_policy(tmp_path: Path, case: str) -> None:
    path, text, rule = HIDDEN[case]
    done = _run(tmp_path, {**BASE, **ALEMBIC_BASE}, {path: text})
    found = done.findings(rule)
    assert found and all(f["severity"] == "critical" and f["introduced"] for f in found), done.findings()
    assert done.code == 1 and done.report()["verdict"] == "fail", (done.code, done.findings())


def test_an_unanalysable_migration_the_pr_changes_blocks(tmp_path: Path) -> None:
    base = {**BASE, "db/migrations/0002_x.sql": "CREATE TABLE t (id int);\n"}
    done = _run(tmp_path, base, {"db/migrations/0002_x.sql":
                                 "CREATE TABLE t (id int);\nDO $$ BEGIN EXECUTE current_setting('x'); END $$;\n"})
    assert [f["severity"] for f in done.findings("migrations/dynamic-sql")] == ["critical"], done.findings()
    assert done.code == 1


def test_an_untouched_unanalysable_migration_keeps_its_severity(tmp_path: Path) -> None:
    # the base already holds a DO ... EXECUTE; the PR adds a harmless migration beside it
    base = {**BASE, "db/migrations/0002_x.sql": "DO $$ BEGIN EXECUTE current_setting('x'); END $$;\n"}
    done = _run(tmp_path, base, {"db/migrations/0003_y.sql": "CREATE TABLE t (id int);\n"})
    assert done.code == 0, done.findings()
    assert all(f["severity"] == "high" for f in done.findings("migrations/dynamic-sql")), done.findings()


@pytest.mark.parametrize("case", ["parse-error", "do-execute", "not-utf8"])
def test_a_full_scan_keeps_the_pages_severity(tmp_path: Path, case: str) -> None:
    # no base: every finding is "introduced", but nothing says the PR made it unreadable
    path, text, rule = HIDDEN[case]
    done = _run(tmp_path, BASE, {path: text}, full=True)
    assert [f["severity"] for f in done.findings(rule)] == ["high"], done.findings()
    assert done.code == 0, done.findings()


def test_a_submodule_bump_where_migrations_live_blocks(tmp_path: Path) -> None:
    # the diff holds a gitlink, the DROP TABLE is in the other repository's commit
    def pr(root: Path) -> None:
        git(root, "rm", "-rq", "--cached", "db/migrations")
        shutil.rmtree(root / "db" / "migrations")
        (root / "db" / "migrations").mkdir()
        git(root, "update-index", "--add", "--cacheinfo", f"160000,{'1' * 40},db/migrations")

    repo = PrRepo.make(tmp_path / "ws", BASE, pr)
    done = check(repo.path, "--base", repo.base, "--gates", "migrations", home=tmp_path)
    assert_no_defect(done)
    assert [f["severity"] for f in done.findings("migrations/submodule-changed")] == ["critical"], done.findings()
    assert done.code == 1


def test_the_base_policy_can_still_set_the_severity(tmp_path: Path) -> None:
    # a team that reviews dynamic SQL by hand says so in its (trusted, base-branch) policy
    base = {**BASE, ".readiness.yml": "severity_overrides:\n  migrations/dynamic-sql: high\n"}
    done = _run(tmp_path, base, {"db/migrations/0002_x.sql": "DO $$ BEGIN EXECUTE current_setting('x'); END $$;\n"})
    assert [f["severity"] for f in done.findings("migrations/dynamic-sql")] == ["high"], done.findings()
    assert done.code == 0
