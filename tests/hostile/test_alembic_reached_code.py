"""A pull request must not hide an Alembic operation in code `upgrade()` reaches by a route other
than a call by name, nor in `op` used as a value.

Before: the reader judged the `op.*` calls written in `upgrade()`, the module functions it calls
by name, and the module's import-time code. An operation passed as a value (`map(op.drop_table,
["users"])`, `functools.partial`, a dict of operations), a method (`H().go()`, `H.go()` of a static
or class method, a nested class, `__init__` / `__enter__` run implicitly, `getattr(H(), name)()`),
a lambda kept in a module constant, a helper handed `op` under another name, an operation in a
`finally:` / `except:` block or in an `if` / `for` / `with` header, a connection's `execute` taken
as a value, and code loaded by name (`importlib`, `sys.modules`, `subprocess`) all dropped an
existing table and passed at the default policy with no finding. Now all the module's code that
`upgrade()` can reach is judged, and what the gate cannot follow fails closed
(`migrations/dynamic-sql`).
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


def _revision(module: str, body: str, imports: str = HEAD) -> str:
    lines = "".join(f"    {line}\n" for line in body.splitlines())
    return (f"{imports}revision = 'b2'\ndown_revision = 'a1'\n\n\n{module}\n\n"
            f"def upgrade():\n{lines}\n\ndef downgrade():\n    pass\n")


CLASS_GO = "class H:\n    def go(self):\n        op.drop_table('users')\n"
ATTACKS: dict[str, tuple[str, str, str, str]] = {
    # an operation used as a value
    "map": ("", "list(map(op.drop_table, ['users']))", HEAD, "dynamic-sql"),
    "partial": ("import functools\n", "functools.partial(op.drop_table, 'users')()", HEAD, "dynamic-sql"),
    "dict-of-ops": ("OPS = {'d': op.drop_table}\n", "OPS['d']('users')", HEAD, "dynamic-sql"),
    "op-in-list": ("", "for o in [op]:\n    o.drop_table('users')", HEAD, "dynamic-sql"),
    "alias-map": ("", "list(map(o.drop_column, ['users'], ['email']))", "from alembic import op as o\n",
                  "dynamic-sql"),
    "dotted-map": ("", "list(map(alembic.op.drop_table, ['users']))", "import alembic.op\n", "dynamic-sql"),
    "imported-fn-map": ("", "list(map(drop_table, ['users']))", "from alembic.op import drop_table\n",
                        "dynamic-sql"),
    "walrus": ("", "if (d := op.drop_table):\n    pass\nlist(map(d, ['users']))", HEAD, "dynamic-sql"),
    "execute-value": ("", "run = op.get_bind().execute\nrun(sa.text('DROP TABLE users'))", HEAD, "dynamic-sql"),
    "table-drop-value": ("", "t = sa.Table('users', sa.MetaData())\nlist(map(t.drop, [op.get_bind()]))", HEAD,
                         "dynamic-sql"),
    "op-replaced": ("", "op.create_index = op.drop_table\nop.create_index('users')", HEAD, "dynamic-sql"),
    "class-attribute": ("class H:\n    o = op\n", "H.o.drop_table('users')", HEAD, "dynamic-sql"),
    "self-attribute": ("class H:\n    def __init__(self):\n        self.o = op\n\n    def go(self):\n"
                       "        self.o.drop_table('users')\n", "H().go()", HEAD, "dynamic-sql"),
    "context-value": ("", "list(map(context.execute, ['DROP TABLE users']))", HEAD + "from alembic import context\n",
                      "dynamic-sql"),
    "module-as": ("", "al.op.drop_table('users')", "import alembic as al\n", "drop-table"),
    "own-operations": ("from alembic.operations import Operations\n",
                       "Operations(op.get_context()).drop_table('users')", HEAD, "dynamic-sql"),
    "registered-operation": ("from alembic.operations import Operations, MigrateOperation\n\n\n"
                             "@Operations.register_operation('purge')\nclass PurgeOp(MigrateOperation):\n"
                             "    pass\n\n\n@Operations.implementation_for(PurgeOp)\n"
                             "def _impl(operations, operation):\n"
                             "    operations.execute('DROP TABLE users')\n", "op.purge()", HEAD, "dynamic-sql"),
    "command": ("from alembic import command\n", "command.upgrade(None, 'head')", HEAD, "dynamic-sql"),
    "module-getattr": ("def __getattr__(name):\n    op.drop_table('users')\n    raise AttributeError(name)\n", "pass",
                       HEAD, "drop-table"),
    # methods, classes, lambdas, helpers handed op
    "instance-method": (CLASS_GO, "H().go()", HEAD, "drop-table"),
    "bound-instance": (CLASS_GO, "h = H()\nh.go()", HEAD, "drop-table"),
    "staticmethod": ("class H:\n    @staticmethod\n    def go():\n        op.drop_table('users')\n", "H.go()", HEAD,
                     "drop-table"),
    "classmethod-chain": ("class H:\n    @classmethod\n    def run(cls):\n        cls._drop()\n\n"
                          "    @classmethod\n    def _drop(cls):\n        op.drop_table('users')\n", "H.run()", HEAD,
                          "drop-table"),
    "nested-class": ("class Outer:\n    class Inner:\n        def go(self):\n            op.drop_table('users')\n",
                     "Outer.Inner().go()", HEAD, "drop-table"),
    "init": ("class H:\n    def __init__(self):\n        op.drop_table('users')\n", "H()", HEAD, "drop-table"),
    "enter": ("class H:\n    def __enter__(self):\n        op.drop_table('users')\n\n"
              "    def __exit__(self, *exc):\n        return False\n", "with H():\n    pass", HEAD, "drop-table"),
    "dynamic-getattr": (CLASS_GO, "name = 'g' + 'o'\ngetattr(H(), name)()", HEAD, "drop-table"),
    "module-lambda": ("DROP = lambda: op.drop_table('users')\n", "DROP()", HEAD, "drop-table"),
    "helper-handed-op": ("def _drop(o):\n    o.drop_table('users')\n", "_drop(op)", HEAD, "drop-table"),
    "helper-handed-op-kw": ("def _drop(table, ops=None):\n    ops.drop_table(table)\n", "_drop('users', ops=op)",
                            HEAD, "drop-table"),
    "batch-handed": ("def _drop(b):\n    b.drop_column('email')\n",
                     "with op.batch_alter_table('users') as batch_op:\n    _drop(batch_op)", HEAD, "drop-column"),
    "batch-map": ("", "with op.batch_alter_table('users') as batch_op:\n    list(map(batch_op.drop_column, ['email']))",
                  HEAD, "dynamic-sql"),
    # blocks and headers the walk skipped
    "finally": ("", "try:\n    pass\nfinally:\n    op.drop_table('users')", HEAD, "drop-table"),
    "except": ("", "try:\n    raise ValueError\nexcept ValueError:\n    op.drop_table('users')", HEAD, "drop-table"),
    "if-test": ("", "if op.drop_table('users'):\n    pass", HEAD, "drop-table"),
    "for-iter": ("", "for _ in [op.drop_table('users')]:\n    pass", HEAD, "drop-table"),
    "with-item": ("from contextlib import nullcontext\n", "with nullcontext(op.drop_table('users')):\n    pass", HEAD,
                  "drop-table"),
    # code loaded by name or run outside Python
    "importlib": ("import importlib\n", "importlib.import_module('alembic.op').drop_table('users')", HEAD,
                  "dynamic-sql"),
    "sys-modules": ("import sys\n", "sys.modules['alembic.op'].drop_table('users')", HEAD, "dynamic-sql"),
    "subprocess": ("import subprocess\n", "subprocess.run(['psql', '-c', 'DROP TABLE users'])", HEAD, "dynamic-sql"),
    "compile": ("", "code = compile(\"op.drop_table('users')\", 'x', 'exec')\nf = exec\nf(code)", HEAD,
                "dynamic-sql"),
}


@pytest.mark.parametrize("case", sorted(ATTACKS))
def test_an_operation_upgrade_reaches_blocks(tmp_path: Path, case: str) -> None:
    module, body, imports, rule = ATTACKS[case]
    repo = PrRepo.make(tmp_path / "ws", BASE, {"alembic/versions/b2_x.py": _revision(module, body, imports)})
    done = check(repo.path, "--base", repo.base, "--gates", "migrations", home=tmp_path)
    assert_no_defect(done)
    found = done.findings(f"migrations/{rule}")
    assert found and all(f["severity"] == "critical" and f["introduced"] for f in found), done.findings()
    assert done.code == 1, (done.code, done.findings())


HARMLESS = '''from alembic import op
import re
import sys

import sqlalchemy as sa

revision = 'b2'
down_revision = 'a1'
SLUG = re.compile(r"^[a-z]+$")
KINDS = {"text": sa.Text}


def _drop_tags():
    op.drop_table('tags')


class Columns:
    def add(self):
        op.add_column('users', sa.Column('nick', sa.Text(), nullable=True))

    def remove(self):
        op.drop_column('users', 'nick')


def upgrade():
    tags = op.create_table('tags', sa.Column('id', sa.Integer, primary_key=True), sa.Column('name', sa.Text))
    op.bulk_insert(tags, [{'id': 1, 'name': 'x'}])
    with op.batch_alter_table('tags') as batch:
        batch.create_index(op.f('ix_tags_name'), ['name'])
    if op.get_context().dialect.name == 'postgresql' and sys.version_info >= (3, 8):
        op.create_table('labels', sa.Column('id', sa.Integer, primary_key=True))
    Columns().add()
    kind = getattr(sa, 'Text')
    names = [n for n in ('a', 'b') if SLUG.match(n) and isinstance(op, object) and KINDS.get(n) is not kind]
    for name in names:
        op.create_table(f'extra_{name}', sa.Column('id', sa.Integer, primary_key=True))


def downgrade():
    Columns().remove()
    _drop_tags()
    op.drop_table('labels')
'''


def test_a_harmless_revision_with_helpers_stays_harmless(tmp_path: Path) -> None:
    # helpers only downgrade() calls, op.f, op.get_context(), batch_alter_table as a context manager,
    # a create_table result handed to bulk_insert, re.compile, sys.version_info, getattr(sa, "Text")
    repo = PrRepo.make(tmp_path / "ws", BASE, {"alembic/versions/b2_x.py": HARMLESS})
    done = check(repo.path, "--base", repo.base, "--gates", "migrations", home=tmp_path)
    assert_no_defect(done)
    assert not [f for f in done.findings() if f["severity"] == "critical"], done.findings()
    assert done.code == 0, (done.code, done.findings())


def test_a_method_only_downgrade_calls_is_not_judged_as_upgrade(tmp_path: Path) -> None:
    module = "class H:\n    def up(self):\n        op.create_table('t', sa.Column('id', sa.Integer))\n\n" \
             "    def down(self):\n        op.drop_table('users')\n"
    text = _revision(module, "H().up()").replace("def downgrade():\n    pass\n", "def downgrade():\n    H().down()\n")
    repo = PrRepo.make(tmp_path / "ws", BASE, {"alembic/versions/b2_x.py": text})
    done = check(repo.path, "--base", repo.base, "--gates", "migrations", home=tmp_path)
    assert_no_defect(done)
    assert not done.findings("migrations/drop-table"), done.findings()
    assert not done.findings("migrations/dynamic-sql"), done.findings()
