"""What the review5 SQL hostile tests share: one migration judged against a base that has `users`."""

from __future__ import annotations

from pathlib import Path

from sec_support import Done, PrRepo, assert_no_defect, check

BASE = {"db/migrations/V1__init.sql": "CREATE TABLE users (id int primary key, email text, status text);\n"}


ALEMBIC_BASE = {"alembic/versions/a1_init.py": 'from alembic import op\nrevision = "a1"\ndown_revision = None\n\n\n'
                'def upgrade():\n    op.execute("CREATE TABLE users (id int primary key, email text)")\n\n\n'
                'def downgrade():\n    op.execute("DROP TABLE users")\n'}
"""The same `users` table, made by an Alembic revision."""


def judge_sql(tmp_path: Path, sql: str) -> Done:
    """`readiness check` of a PR adding migration V2 (`sql`) on top of BASE, statically (no replay)."""
    return judge_files(tmp_path, BASE, {"db/migrations/V2__x.sql": sql})


def judge_files(tmp_path: Path, base: dict[str, str], pr: dict[str, str]) -> Done:
    """`readiness check` (migrations gate, no replay) of a PR writing `pr` on top of `base`."""
    repo = PrRepo.make(tmp_path / "ws", base, pr)
    done = check(repo.path, "--base", repo.base, "--gates", "migrations", "--replay", "off", home=tmp_path,
                 timeout=240)
    assert_no_defect(done)
    return done


def assert_blocked(done: Done, rule: str, names: str = "users") -> None:
    """`rule` fired, only at critical, with `names` in a message, and the run blocks."""
    found = done.findings(f"migrations/{rule}")
    assert found and all(f["severity"] == "critical" for f in found), done.findings()
    assert any(names in f["message"] for f in found), found
    assert done.code == 1
