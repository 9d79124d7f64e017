"""SQL built at run time: folded where its parts are constants, reported where it cannot be read
(fail closed), the same for PL/pgSQL DO blocks, Alembic and Django."""

from __future__ import annotations

from pathlib import Path

import pytest
from migrations_helpers import check, findings, sql_report

from readiness.gates.migrations.dynamic import fold_plpgsql

HEAD = "from alembic import op\nimport sqlalchemy as sa\n\nrevision = 'b2'\ndown_revision = 'a1'\n"
TAIL = "\n\ndef downgrade():\n    op.execute('SELECT 1')\n"


def _alembic(tmp_path: Path, body: str, module: str = "") -> dict[str, list[int]]:
    text = HEAD + module + "\n\ndef upgrade():\n" + body + TAIL
    report = check(tmp_path, {"alembic/versions/b2_x.py": text})
    out: dict[str, list[int]] = {}
    for f in findings(report):
        out.setdefault(f.rule.split("/")[1], []).append(f.location.line or 0)
    return out


def test_do_blocks_run_their_statements_and_execute_strings(tmp_path: Path) -> None:
    sql = ("SET lock_timeout = '1s';\n"
           "DO $$\nDECLARE t text := 'accounts';\nBEGIN\n"
           "  IF NOT EXISTS (SELECT 1 FROM pg_class WHERE relname = 'x') THEN\n"
           "    ALTER TABLE users DROP COLUMN legacy;\n"
           "  END IF;\n"
           "  EXECUTE 'DROP TABLE ' || t;\n"
           "  EXECUTE format('ALTER TABLE %I RENAME COLUMN a TO b', t);\n"
           "  EXECUTE 'CREATE INDEX CONCURRENTLY i ON users (a)';\n"
           "EXCEPTION WHEN duplicate_column THEN NULL;\n"
           "END $$;\n")
    report = sql_report(tmp_path, sql)
    got = {f.rule.split("/")[1]: f for f in findings(report)}
    assert got["drop-column"].location.line == 6 and "users.legacy" in got["drop-column"].message
    assert got["drop-table"].location.line == 8 and "accounts" in got["drop-table"].message
    assert got["rename-column"].location.line == 9
    assert got["concurrently-in-transaction"].location.line == 10 and "DO block" in \
        got["concurrently-in-transaction"].message
    assert "dynamic-sql" not in got


def test_unreadable_execute_is_reported(tmp_path: Path) -> None:
    sql = ("DO $$\nDECLARE stmt text; r record;\nBEGIN\n  SELECT current_setting('x') INTO stmt;\n  EXECUTE stmt;\n"
           "  FOR r IN SELECT tablename FROM pg_tables LOOP\n"
           "    EXECUTE 'ALTER TABLE ' || quote_ident(r.tablename) || ' DROP COLUMN tmp';\n  END LOOP;\n"
           "END $$;\n")
    report = sql_report(tmp_path, sql)
    [dynamic] = findings(report, "dynamic-sql")
    assert dynamic.location.line == 5 and dynamic.severity.value == "high" and "EXECUTE stmt" in dynamic.message
    assert [f.location.line for f in findings(report, "drop-column")] == [7]  # the loop's table is a placeholder
    other = sql_report(tmp_path, "DO LANGUAGE plpython3u $$ plpy.execute('DROP TABLE users') $$;")
    assert findings(other, "dynamic-sql")


@pytest.mark.parametrize(("expr", "text"), [
    ("'DROP TABLE ' || 'users'", "DROP TABLE users"),
    ("format('ALTER TABLE %I DROP COLUMN %I', 'Users', 'x')", 'ALTER TABLE "Users" DROP COLUMN x'),
    ("format('UPDATE t SET a = %L', 'it''s')", "UPDATE t SET a = 'it''s'"),
    ("concat('DROP ', 'VIEW v')", "DROP VIEW v"),
    ("'DROP TABLE ' || t", 'DROP TABLE "{t}"'),
])
def test_fold_plpgsql(expr: str, text: str) -> None:
    folded = fold_plpgsql(expr, {})
    assert folded is not None and folded.text == text


@pytest.mark.parametrize(("module", "body", "rule", "line"), [
    ("", '    name = "users"\n    op.execute("DROP TABLE " + name)\n', "drop-table", 10),
    ("TABLE = 'users'\n", '    op.execute(f"ALTER TABLE {TABLE} DROP COLUMN email")\n', "drop-column", 10),
    ("", "    op.get_bind().execute(sa.text('TRUNCATE sessions'))\n", "truncate-table", 9),
    ("", "    bind = op.get_bind()\n    bind.execute('DELETE FROM audit')\n", "delete-all-rows", 10),
    ("", "    conn = op.get_bind()\n    conn.exec_driver_sql('DROP TABLE old')\n", "drop-table", 10),
    ("", "    getattr(op, 'drop_table')('users')\n", "drop-table", 9),
    ("", "    op.execute('ALTER TABLE %s DROP COLUMN %s' % ('users', 'email'))\n", "drop-column", 9),
    ("", "    op.execute('ALTER TABLE {} RENAME TO {}'.format('a', 'b'))\n", "rename-table", 9),
    ("", "    for t in ('a', 'b'):\n        op.execute(f'DROP TABLE {t}')\n", "drop-table", 10),
    ("users = sa.table('users', sa.column('flag'))\n", "    op.execute(users.update().values(flag=True))\n",
     "unbatched-backfill", 10),
    ("", "    op.drop_table(name_from_config())\n", "drop-table", 9),
    ("def _cleanup():\n    op.execute('DROP TABLE legacy')\n", "    _cleanup()\n", "drop-table", 7),
])
def test_alembic_sql_built_from_expressions_is_folded(tmp_path: Path, module: str, body: str, rule: str,
                                                      line: int) -> None:
    got = _alembic(tmp_path, body, module)
    assert line in got.get(rule, []), got
    assert "dynamic-sql" not in got


@pytest.mark.parametrize("body", [
    "    op.execute(build_sql())\n",
    "    getattr(op, command)('users')\n",
    "    op.get_bind().execute(statement)\n",
    "    op.execute(f'{verb} TABLE users')\n",
])
def test_alembic_sql_that_cannot_be_read_fails_closed(tmp_path: Path, body: str) -> None:
    got = _alembic(tmp_path, body)
    assert got.get("dynamic-sql") == [9], got


def test_alembic_core_update_with_where_is_not_a_full_table_backfill(tmp_path: Path) -> None:
    module = "users = sa.table('users', sa.column('flag'), sa.column('id'))\n"
    got = _alembic(tmp_path, "    op.execute(users.update().where(users.c.id == 1).values(flag=True))\n", module)
    assert "unbatched-backfill" not in got and "dynamic-sql" not in got


def test_django_runsql_and_runpython_sql_are_read(tmp_path: Path) -> None:
    mig = '''from django.db import migrations

DROP = ["ALTER TABLE shop_order DROP COLUMN legacy"]
TABLE = "shop_item"


def forwards(apps, schema_editor):
    schema_editor.execute(f"DROP TABLE {TABLE}")
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(make_sql())


class Migration(migrations.Migration):
    operations = [
        migrations.RunSQL(DROP, migrations.RunSQL.noop),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
'''
    report = check(tmp_path, {"shop/migrations/0002_x.py": mig})
    got = {(f.rule.split("/")[1], f.location.line) for f in findings(report)}
    assert ("drop-column", 3) in got and ("drop-table", 8) in got and ("dynamic-sql", 10) in got


def test_bind_parameters_and_quoted_placeholders_parse(tmp_path: Path) -> None:
    body = ('    bind = op.get_bind()\n'
            '    bind.execute(sa.text("UPDATE users SET a = 1 WHERE id IN (SELECT id FROM users LIMIT :n)"),\n'
            '                 {"n": 5})\n'
            '    bind.commit()\n'
            "    op.execute('ALTER TABLE \"' + name + '\" ADD COLUMN b int')\n")
    got = _alembic(tmp_path, body)
    assert "parse-error" not in got and "dynamic-sql" not in got
    assert got.get("transaction-ended-early") == [12]  # bind.commit(): Alembic's transaction ends there


def test_branches_for_another_database_are_not_judged(tmp_path: Path) -> None:
    body = ('    if op.get_bind().dialect.name == "sqlite":\n'
            '        op.execute("PRAGMA foreign_keys = OFF")\n'
            '        op.drop_table("sqlite_only")\n'
            '    else:\n'
            '        op.execute("ALTER TABLE t DROP COLUMN c")\n')
    got = _alembic(tmp_path, body)
    assert "parse-error" not in got and "drop-table" not in got and got.get("drop-column") == [13]


def test_a_database_url_prefix_is_a_branch_for_another_database(tmp_path: Path) -> None:
    # CTFd 46a278193a94: `if str(bind.engine.url).startswith("mysql"):` around MySQL-only SQL
    body = ('    url = str(op.get_bind().engine.url)\n    if url.startswith("mysql"):\n'
            '        op.execute("ALTER TABLE `t` MODIFY `a` DATETIME(6)")\n')
    assert _alembic(tmp_path, body) == {}


def test_a_commit_before_anything_ran_ends_nothing(tmp_path: Path) -> None:
    # pypi/warehouse: op.get_bind().commit() right before autocommit_block() for CREATE INDEX CONCURRENTLY
    body = ("    op.get_bind().commit()\n    with op.get_context().autocommit_block():\n"
            "        op.create_index('i', 't', ['a'], postgresql_concurrently=True)\n")
    got = _alembic(tmp_path, body)
    assert "transaction-ended-early" not in got and "concurrently-in-transaction" not in got
    django = '''from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("PRAGMA legacy_alter_table = OFF")
    statements = schema_editor.connection.ops.sequence_reset_sql(None, [])
    for statement in statements:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    operations = [
        migrations.RunSQL(migrations.RunSQL.noop, "SELECT 1"),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
'''
    report = check(tmp_path / "dj", {"shop/migrations/0002_x.py": django})
    assert not [f for f in findings(report) if f.rule in ("migrations/parse-error", "migrations/dynamic-sql")]
