"""A pull request must not launder a destructive Alembic operation through an operation that may do
nothing, an operation class's own classmethod, or SQLAlchemy's ORM on the migration's connection.

Before (review6a R6a-20, R6a-16): `op.create_table('users', ..., if_not_exists=True)` counted as
creating `users`, so a later `op.drop_table('users')` or `TRUNCATE users` of the base table passed
(Alembic creates nothing when the table exists); `postgresql_using=` of `alter_column` was not read;
`ops.DropTableOp.drop_table(op, 'users')` (the registered classmethod, which runs the operation) and
`Session(bind=op.get_bind()).query(t).delete()` were not judged at all. Now an operation with
`if_not_exists=` / `if_exists=` may do nothing (the name keeps its base meaning), an operation
class's classmethod handed `op` is the operation it registers, and what a session or connection
runs is judged where it can be (`query(t).delete()`) and fails closed (`migrations/dynamic-sql`)
where it cannot.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sec_support import PrRepo, assert_no_defect, check

BASE = {"alembic/env.py": "", "alembic/versions/a1_init.py":
        "from alembic import op\nrevision = 'a1'\ndown_revision = None\n\n\n"
        "def upgrade():\n    op.execute('CREATE TABLE users (id bigint primary key, email text)')\n\n\n"
        "def downgrade():\n    op.execute('DROP TABLE users')\n"}
HEAD = "from alembic import op\nimport sqlalchemy as sa\n"
CT = ("op.create_table('users', sa.Column('id', sa.BigInteger, primary_key=True), sa.Column('email', sa.Text), "
      "if_not_exists=True)\n")


def _revision(body: str, imports: str = HEAD) -> str:
    lines = "".join(f"    {line}\n" for line in body.splitlines())
    return (f"{imports}revision = 'b2'\ndown_revision = 'a1'\n\n\ndef upgrade():\n{lines}\n\n"
            "def downgrade():\n    pass\n")


SESSION = "from sqlalchemy.orm import Session, sessionmaker\n"
ATTACKS: dict[str, tuple[str, str, str]] = {
    # R6a-20: an operation that may create nothing
    "ine-drop": (CT + "op.drop_table('users')", HEAD, "drop-table"),
    "ine-truncate": (CT + "op.execute('TRUNCATE users')", HEAD, "truncate-table"),
    "ine-unfolded-flag": ("flag = bool(1)\nop.create_table('users', sa.Column('id', sa.BigInteger), "
                          "if_not_exists=flag)\nop.drop_table('users')", HEAD, "drop-table"),
    # R6a-16: an operation class's registered classmethod
    "ops-classmethod": ("ops.DropTableOp.drop_table(op, 'users')", HEAD + "from alembic.operations import ops\n",
                        "drop-table"),
    "ops-classmethod-kw": ("ops.DropColumnOp.drop_column(op, table_name='users', column_name='email')",
                           HEAD + "from alembic.operations import ops\n", "drop-column"),
    "ops-class-imported": ("DropTableOp.drop_table(op, 'users')",
                           HEAD + "from alembic.operations.ops import DropTableOp\n", "drop-table"),
    "ops-class-unread": ("ops.ExecuteSQLOp.batch_execute(op, 'DROP TABLE users')",
                         HEAD + "from alembic.operations import ops\n", "dynamic-sql"),
    # R6a-16: SQLAlchemy's ORM on the migration's connection
    "session-query-delete": ("s = Session(bind=op.get_bind())\ns.query(sa.table('users')).delete()\ns.commit()",
                             HEAD + SESSION, "delete-all-rows"),
    "sessionmaker-query-delete": ("S = sessionmaker(bind=op.get_bind())\ns = S()\n"
                                  "s.query(sa.table('users')).delete()", HEAD + SESSION, "delete-all-rows"),
    "with-session-delete": ("with Session(bind=op.get_bind()) as s:\n    s.query(sa.table('users')).delete()",
                            HEAD + SESSION, "delete-all-rows"),
    "session-execute-delete": ("s = Session(bind=op.get_bind())\ns.execute(sa.delete(sa.table('users')))",
                               HEAD + SESSION, "delete-all-rows"),
    "bind-execute": ("op.get_bind().execute(sa.text('DROP TABLE users'))", HEAD, "drop-table"),
    "exec-driver-sql": ("conn = op.get_bind()\nconn.exec_driver_sql('TRUNCATE users')", HEAD, "truncate-table"),
    "session-delete-instance": ("s = Session(bind=op.get_bind())\nfor u in s.query(sa.table('users')).all():\n"
                                "    s.delete(u)", HEAD + SESSION, "dynamic-sql"),
    "session-scalar": ("s = Session(bind=op.get_bind())\ns.scalar(sa.text('DELETE FROM users RETURNING 1'))",
                       HEAD + SESSION, "delete-all-rows"),
    "session-unknown-method": ("s = Session(bind=op.get_bind())\ns.purge_everything(objs)", HEAD + SESSION,
                               "dynamic-sql"),
}


@pytest.mark.parametrize("case", sorted(ATTACKS))
def test_a_laundered_alembic_operation_blocks(tmp_path: Path, case: str) -> None:
    body, imports, rule = ATTACKS[case]
    repo = PrRepo.make(tmp_path / "ws", BASE, {"alembic/versions/b2_x.py": _revision(body, imports)})
    done = check(repo.path, "--base", repo.base, "--gates", "migrations", home=tmp_path)
    assert_no_defect(done)
    found = done.findings(f"migrations/{rule}")
    assert found and all(f["severity"] == "critical" and f["introduced"] for f in found), done.findings()
    assert done.code == 1, (done.code, done.findings())


HARMLESS: dict[str, tuple[str, str]] = {
    "ine-new-table": ("op.create_table('audit', sa.Column('id', sa.BigInteger, primary_key=True), "
                      "if_not_exists=True)\nop.drop_index('ix_gone', table_name='audit', if_exists=True)", HEAD),
    "created-then-dropped": ("op.create_table('scratch', sa.Column('id', sa.BigInteger, primary_key=True))\n"
                             "op.execute('TRUNCATE scratch')\nop.drop_table('scratch')", HEAD),
    "session-reads-and-inserts": ("s = Session(bind=op.get_bind())\nrows = s.query(sa.table('users')).all()\n"
                                  "n = s.query(sa.table('users')).filter(sa.text('id > 1')).count()\n"
                                  "s.add_all([])\ns.flush()\ns.commit()", HEAD + SESSION),
    "session-filtered-delete": ("s = Session(bind=op.get_bind())\n"
                                "s.query(sa.table('users')).filter(sa.text(\"email = ''\")).delete()", HEAD + SESSION),
    "context-autocommit": ("with op.get_context().autocommit_block():\n"
                           "    op.create_index('ix_users_email', 'users', ['email'], postgresql_concurrently=True)",
                           HEAD),
    "raw-cursor": ("conn = op.get_bind()\ncur = conn.connection.cursor()\ncur.execute('SELECT 1')\n"
                   "conn.get_isolation_level()", HEAD),
    "dialect-check": ("bind = op.get_bind()\nif bind.dialect.has_table(bind, 'audit'):\n    pass", HEAD),
}


@pytest.mark.parametrize("case", sorted(HARMLESS))
def test_a_harmless_alembic_revision_passes(tmp_path: Path, case: str) -> None:
    body, imports = HARMLESS[case]
    repo = PrRepo.make(tmp_path / "ws", BASE, {"alembic/versions/b2_x.py": _revision(body, imports)})
    done = check(repo.path, "--base", repo.base, "--gates", "migrations", home=tmp_path)
    assert_no_defect(done)
    blocking = [f for f in done.findings() if f["severity"] == "critical"]
    assert not blocking, blocking
