"""A pull request must not hide an Alembic operation by spelling `op` another way.

Before: only a call written `op.<name>(...)` was an operation; `from alembic import op as o` then
`o.drop_table("users")`, `import alembic.op` then `alembic.op.drop_table(...)`, `f = op.drop_table`
then `f("users")`, or `exec("op.drop_table('users')")` dropped an existing table and passed at the
default policy with no finding at all (the call was read as an unknown function and ignored). Now
every spelling of `op` is `op`, and code built at run time (`exec`, `eval`) fails closed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sec_support import PrRepo, assert_no_defect, check

BASE = {"alembic/env.py": "", "alembic/versions/a1_init.py":
        "from alembic import op\nrevision = 'a1'\ndown_revision = None\n\n\n"
        "def upgrade():\n    op.execute('CREATE TABLE users (id int, email text)')\n\n\ndef downgrade():\n"
        "    op.execute('DROP TABLE users')\n"}


def _revision(imports: str, body: str) -> str:
    lines = "".join(f"    {line}\n" for line in body.splitlines())
    head = f"{imports}revision = 'b2'\ndown_revision = 'a1'\n\n\n"
    return f"{head}def upgrade():\n{lines}\n\ndef downgrade():\n    pass\n"


SPELLINGS: dict[str, tuple[str, str, str]] = {
    "import-as": ("from alembic import op as o\n", "o.drop_table('users')", "migrations/drop-table"),
    "dotted-module": ("import alembic.op\n", "alembic.op.drop_table('users')", "migrations/drop-table"),
    "module-as": ("import alembic.op as ops\n", "ops.drop_column('users', 'email')", "migrations/drop-column"),
    "bound-function": ("from alembic import op\n", "f = op.drop_table\nf('users')", "migrations/drop-table"),
    "bound-module": ("from alembic import op\n", "o = op\no.drop_table('users')", "migrations/drop-table"),
    "from-op-module": ("from alembic.op import drop_table\n", "drop_table('users')", "migrations/drop-table"),
    "exec": ("from alembic import op\n", "exec(\"op.drop_table('users')\")", "migrations/dynamic-sql"),
    # an operation object or the dialect implementation runs it: not read here, so it fails closed
    "invoke": ("from alembic import op\nfrom alembic.operations import ops\n",
               "op.invoke(ops.DropTableOp('users'))", "migrations/dynamic-sql"),
    "invoke-as": ("from alembic import op as o\nfrom alembic.operations import ops\n",
                  "o.invoke(ops.DropTableOp('users'))", "migrations/dynamic-sql"),
    "impl": ("from alembic import op\nimport sqlalchemy as sa\n",
             "op.impl.drop_table(sa.Table('users', sa.MetaData()))", "migrations/dynamic-sql"),
    "context-impl": ("from alembic import op\n", "op.get_context().impl.drop_table(t)", "migrations/dynamic-sql"),
}


@pytest.mark.parametrize("case", sorted(SPELLINGS))
def test_an_alembic_operation_under_another_name_blocks(tmp_path: Path, case: str) -> None:
    imports, body, rule = SPELLINGS[case]
    repo = PrRepo.make(tmp_path / "ws", BASE, {"alembic/versions/b2_x.py": _revision(imports, body)})
    done = check(repo.path, "--base", repo.base, "--gates", "migrations", home=tmp_path)
    assert_no_defect(done)
    found = done.findings(rule)
    assert found and all(f["severity"] == "critical" and f["introduced"] for f in found), done.findings()
    assert done.code == 1, (done.code, done.findings())


def test_an_unrelated_name_is_still_not_an_operation(tmp_path: Path) -> None:
    # a local helper object with a drop_table method, not bound to op: nothing to report
    body = "class T:\n    def drop_table(self, name):\n        return name\n\nT().drop_table('users')"
    repo = PrRepo.make(tmp_path / "ws", BASE, {"alembic/versions/b2_x.py": _revision("from alembic import op\n", body)})
    done = check(repo.path, "--base", repo.base, "--gates", "migrations", home=tmp_path)
    assert_no_defect(done)
    assert not done.findings("migrations/drop-table"), done.findings()
