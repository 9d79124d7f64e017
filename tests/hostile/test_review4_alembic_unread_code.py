"""A pull request must not run Alembic SQL from code the gate does not read.

Before: only `op.*` calls (and SQL executed on the connection) inside the one `def upgrade()` were
read. A SQLAlchemy schema object dropped on the migration's connection (`sa.Table("users",
meta).drop(bind)`, `metadata.drop_all(bind)`), a helper of the repository that calls op itself,
a function handed `op` or the connection, code run as the revision is imported (module level,
class bodies, decorators, default values), an `upgrade` rebound, redefined or decorated, and a
module constant rebound below `upgrade()` all passed a dropped table at the default policy with no
finding. Now schema objects are read, and what cannot be read fails closed (`migrations/dynamic-sql`).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sec_support import PrRepo, assert_no_defect, check

BASE = {"alembic/env.py": "", "alembic/versions/a1_init.py":
        "from alembic import op\nrevision = 'a1'\ndown_revision = None\n\n\n"
        "def upgrade():\n    op.execute('CREATE TABLE users (id int, email text)')\n\n\ndef downgrade():\n"
        "    op.execute('DROP TABLE users')\n"}
HEAD = "from alembic import op\nimport sqlalchemy as sa\n"
TAIL = "\n\ndef downgrade():\n    pass\n"


def _revision(imports: str, body: str, after: str = "") -> str:
    lines = "".join(f"    {line}\n" for line in body.splitlines())
    return f"{imports}revision = 'b2'\ndown_revision = 'a1'\n\n\ndef upgrade():\n{lines}{TAIL}{after}"


HELPER = "from alembic import op\n\n\ndef go():\n    _inner()\n\n\ndef _inner():\n    op.drop_table('users')\n"
CASES: dict[str, tuple[dict[str, str], str, str]] = {
    "table-drop": ({}, _revision(HEAD, "sa.Table('users', sa.MetaData()).drop(op.get_bind())"), "drop-table"),
    "bound-table-drop": ({}, _revision(HEAD, "t = sa.Table('users', sa.MetaData())\nt.drop(bind=op.get_bind())"),
                         "drop-table"),
    "drop-all": ({}, _revision(HEAD, "meta = sa.MetaData()\nmeta.reflect(op.get_bind())\nmeta.drop_all(op.get_bind())"),
                 "dynamic-sql"),
    "unknown-object-drop": ({}, _revision(HEAD, "make_thing().drop(op.get_bind())"), "dynamic-sql"),
    "repository-helper": ({"alembic/helpers.py": HELPER}, _revision(HEAD + "import helpers\n", "helpers.go()"),
                          "dynamic-sql"),
    "repository-helper-from": ({"app/__init__.py": "", "app/dbtools.py": HELPER},
                               _revision(HEAD + "from app.dbtools import go\n", "go()"), "dynamic-sql"),
    "handed-the-connection": ({}, _revision(HEAD + "from cleanup_lib import purge\n", "purge(op.get_bind(), 'users')"),
                              "dynamic-sql"),
    "handed-op": ({"app/__init__.py": "", "app/x.py": "def purge(o, t):\n    getattr(o, 'drop_' + 'table')(t)\n"},
                  _revision(HEAD + "from app.x import purge\n", "purge(op, 'users')"), "dynamic-sql"),
    "module-level-call": ({}, _revision(HEAD, "pass", after="\nop.drop_table('users')\n"), "drop-table"),
    "class-body": ({}, HEAD + "revision = 'b2'\ndown_revision = 'a1'\n\n\nclass upgrade:\n"
                   "    op.drop_table('users')\n" + TAIL, "drop-table"),
    "default-argument": ({}, _revision(HEAD, "pass").replace("def upgrade():",
                                                              "def upgrade(x=op.drop_table('users')):"), "drop-table"),
    "decorated": ({}, HEAD + "revision = 'b2'\ndown_revision = 'a1'\n\n\ndef d(f):\n    return lambda: "
                  "op.drop_table('users')\n\n\n@d\ndef upgrade():\n    pass\n" + TAIL, "dynamic-sql"),
    "rebound": ({}, _revision(HEAD, "pass", after="\n\ndef _u():\n    op.drop_table('users')\n\n\nupgrade = _u\n"),
                "dynamic-sql"),
    "defined-twice": ({}, _revision(HEAD, "op.drop_table('users')", after="\n\ndef upgrade():\n    pass\n"),
                      "dynamic-sql"),
    "code-replaced": ({}, _revision(HEAD, "pass", after="\nupgrade.__code__ = (lambda: None).__code__\n"),
                      "dynamic-sql"),
    "async": ({}, _revision(HEAD, "op.drop_table('users')").replace("def upgrade", "async def upgrade"),
              "drop-table"),
    "constant-rebound-below": ({}, _revision(HEAD + "SQL = 'SELECT 1'\n", "op.execute(SQL)",
                                             after="\nSQL = 'DROP TABLE users'\n"), "dynamic-sql"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_sql_the_gate_cannot_read_fails_closed(tmp_path: Path, case: str) -> None:
    extra, revision, rule = CASES[case]
    repo = PrRepo.make(tmp_path / "ws", BASE, {**extra, "alembic/versions/b2_x.py": revision})
    done = check(repo.path, "--base", repo.base, "--gates", "migrations", "--replay", "off", home=tmp_path)
    assert_no_defect(done)
    found = done.findings(f"migrations/{rule}")
    assert found and all(f["severity"] == "critical" for f in found), done.findings()
    assert done.code == 1, (done.code, done.findings())


def test_harmless_helpers_and_enum_types_still_pass(tmp_path: Path) -> None:
    # an enum type created on the connection, SQLAlchemy's own inspect, a repository helper that
    # only reads settings: nothing to judge beyond the new nullable column
    extra = {"app/__init__.py": "",
             "app/settings.py": "import os\n\n\ndef setting(name):\n    return os.environ.get(name)\n"}
    body = ("kind = sa.Enum('a', 'b', name='kind')\nkind.create(op.get_bind(), checkfirst=True)\n"
            "insp = sa.inspect(op.get_bind())\nlabel = setting('LABEL')\n"
            "conn = op.get_bind()\nthere = conn.dialect.has_table(conn, 'users')\n"
            "op.add_column('users', sa.Column('kind', kind, nullable=True))")
    revision = _revision(HEAD + "from app.settings import setting\n", body)
    repo = PrRepo.make(tmp_path / "ws", BASE, {**extra, "alembic/versions/b2_x.py": revision})
    done = check(repo.path, "--base", repo.base, "--gates", "migrations", "--replay", "off", home=tmp_path)
    assert_no_defect(done)
    assert not done.findings("migrations/dynamic-sql"), done.findings()
    assert done.code == 0, done.findings()
