"""Discovery of each format, down pairing, Python migrations read with ast only, and diff scope."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from migrations_helpers import check, findings, items

from readiness.model import Report
from readiness.workspace.changes import ChangeSet


def _by_path(report: Report) -> dict[str, dict[str, Any]]:
    return {i.data["path"]: i.data for i in items(report)}


def test_each_sql_format_is_found_and_paired(tmp_path: Path) -> None:
    files = {
        "db/migration/V1_2__init.sql": "CREATE TABLE a (id int);",
        "db/migration/U1_2__init.sql": "DROP TABLE a;",
        "db/migration/V2__more.sql": "ALTER TABLE a ADD COLUMN b int;",
        "migrations/000001_init.up.sql": "CREATE TABLE b (id int);",
        "migrations/000001_init.down.sql": "DROP TABLE b;",
        "migrations/000002_x.postgres.up.sql": "ALTER TABLE b ADD COLUMN c int;",
        "migrations/000002_x.postgres.down.sql": "-- nothing to undo\n",
        "migrations/000002_x.mysql.up.sql": "ALTER TABLE b ADD c INT AFTER id;",
        "diesel/migrations/2024-01-01-000000_init/up.sql": "CREATE TABLE c (id int);",
        "diesel/migrations/2024-01-01-000000_init/down.sql": "DROP TABLE c;",
        "db/migrations/20240101000000_dbmate.sql": "-- migrate:up\nCREATE TABLE d (id int);\n-- migrate:down\n",
        "db/migrations/20240102000000_goose.sql": (
            "-- +goose Up\nCREATE TABLE e (id int);\n-- +goose Down\nDROP TABLE e;\n"),
        "sqitch/deploy/users.sql": "BEGIN;\nCREATE TABLE f (id int);\nCOMMIT;\n",
        "sqitch/revert/users.sql": "DROP TABLE f;\n",
        "prisma/migrations/20240101_init/migration.sql": "CREATE TABLE g (id int);",
        "supabase/migrations/20240101000000_init.sql": "CREATE TABLE h (id int);",
        "db/seeds.sql": "INSERT INTO a VALUES (1);",
        "db/schema.sql": "CREATE TABLE z (id int);",
    }
    got = _by_path(check(tmp_path, files))
    assert {p: (d["format"], d["down_path"], d["reversible"]) for p, d in got.items()} == {
        "db/migration/V1_2__init.sql": ("flyway", "db/migration/U1_2__init.sql", True),
        "db/migration/V2__more.sql": ("flyway", None, False),
        "migrations/000001_init.up.sql": ("golang-migrate", "migrations/000001_init.down.sql", True),
        "migrations/000002_x.postgres.up.sql": ("golang-migrate", "migrations/000002_x.postgres.down.sql", False),
        "diesel/migrations/2024-01-01-000000_init/up.sql": (
            "diesel", "diesel/migrations/2024-01-01-000000_init/down.sql", True),
        "db/migrations/20240101000000_dbmate.sql": ("dbmate", None, False),
        "db/migrations/20240102000000_goose.sql": ("goose", None, True),
        "sqitch/deploy/users.sql": ("sqitch", "sqitch/revert/users.sql", True),
        "prisma/migrations/20240101_init/migration.sql": ("prisma", None, False),
        "supabase/migrations/20240101000000_init.sql": ("supabase", None, False),
    }


def test_irreversible_reasons(tmp_path: Path) -> None:
    files = {
        "migrations/000002_x.up.sql": "ALTER TABLE b ADD COLUMN c int;",
        "migrations/000002_x.down.sql": "-- nothing\n/* still nothing */\n",
        "migrations/000003_y.up.sql": "ALTER TABLE b ADD COLUMN d int;",
        "prisma/migrations/1_init/migration.sql": "ALTER TABLE b ADD COLUMN e int;",
    }
    report = check(tmp_path, files)
    msgs = {f.location.path: f.message for f in findings(report, "irreversible-migration")}
    assert "empty" in msgs["migrations/000002_x.down.sql"]
    assert "no down migration" in msgs["migrations/000003_y.up.sql"]
    assert "prisma/migrations/1_init/migration.sql" not in msgs  # prisma has no downs unless required
    strict = check(tmp_path / "strict", files, settings={"require_reversible": True})
    assert any(f.location.path.startswith("prisma/") for f in findings(strict, "irreversible-migration"))
    relaxed = check(tmp_path / "relaxed", files, settings={"require_reversible": False})
    assert not findings(relaxed, "irreversible-migration")


def test_lossy_down_points_at_the_recreating_statement(tmp_path: Path) -> None:
    files = {"migrations/000004_drop.up.sql": "ALTER TABLE users DROP COLUMN flags;",
             "migrations/000004_drop.down.sql": "SELECT 1;\nALTER TABLE users ADD COLUMN flags int;"}
    f = findings(check(tmp_path, files), "lossy-down")[0]
    assert (f.location.path, f.location.line) == ("migrations/000004_drop.down.sql", 2)


def test_configured_paths_replace_discovery(tmp_path: Path) -> None:
    files = {"sql/001.sql": "DROP TABLE a;", "db/migrations/V1__x.sql": "DROP TABLE b;",
             "ops/one.sql": "DROP TABLE c;"}
    got = _by_path(check(tmp_path, files, settings={"paths": ["sql", "ops/one.sql"]}))
    assert set(got) == {"sql/001.sql", "ops/one.sql"}
    none = check(tmp_path / "n", {"README.md": "x"}, settings={"paths": "nothing/"})
    assert [f.message for f in findings(none, "path-matches-nothing")] == [
        "gates.migrations.paths entry 'nothing/' matches no file in the repository, so no migration there is judged."]


def test_a_glob_naming_directories_means_the_files_under_them(tmp_path: Path) -> None:
    files = {"apps/shop/migrations/0002_x.py": DJANGO_0002, "apps/blog/migrations/0002_x.py": DJANGO_0002,
             "apps/blog/models.py": "x = 1\n", "db/V1__x.sql": "DROP TABLE a;"}
    report = check(tmp_path, files, settings={"paths": ["apps/*/migrations", "db/*.sql", "apps/*/migrations/"]})
    assert set(_by_path(report)) == {"apps/shop/migrations/0002_x.py", "apps/blog/migrations/0002_x.py",
                                     "db/V1__x.sql"}
    assert not findings(report, "path-matches-nothing")


def test_a_configured_path_that_gives_no_migration_is_a_finding(tmp_path: Path) -> None:
    files = {"db/migrations/V1__x.sql": "CREATE TABLE a (id int);", "docs/notes.md": "x\n"}
    report = check(tmp_path, files, settings={"paths": ["db/migrations", "apps/*/migrations", "docs"]})
    got = sorted(f.message for f in findings(report, "path-matches-nothing"))
    assert got == [
        "gates.migrations.paths entry 'apps/*/migrations' matches no file in the repository, so no migration there "
        "is judged.",
        "gates.migrations.paths entry 'docs' matches 1 file, none of them a migration (.sql or .py), so no migration "
        "there is judged."]
    assert all(f.severity.value == "high" and f.location.path == ".readiness.yml"
               for f in findings(report, "path-matches-nothing"))
    assert set(_by_path(report)) == {"db/migrations/V1__x.sql"}


ALEMBIC = '''"""add things"""
from alembic import op
import sqlalchemy as sa

revision = "0002"
down_revision = "0001"


def upgrade():
    op.add_column("users", sa.Column("token", sa.Text(), server_default=sa.text("gen_random_uuid()")))
    op.alter_column("users", "email", new_column_name="email_address")
    op.alter_column("users", "age", type_=sa.BigInteger())
    op.create_index("ix_users_name", "users", ["name"])
    with op.batch_alter_table("orders") as batch_op:
        batch_op.drop_column("legacy")
    with op.get_context().autocommit_block():
        op.create_index("ix_users_x", "users", ["x"], postgresql_concurrently=True)
    op.create_index("ix_users_y", "users", ["y"], postgresql_concurrently=True)
    op.execute("""
        UPDATE users
        SET locale = 'en'
    """)


def downgrade():
    pass
'''


def test_alembic_operations(tmp_path: Path) -> None:
    report = check(tmp_path, {"alembic/versions/0002_things.py": ALEMBIC})
    lines = {f.rule.split("/")[1]: f.location.line for f in findings(report)}
    assert lines["volatile-default"] == 10
    assert lines["rename-column"] == 11
    assert lines["change-column-type"] == 12
    assert lines["create-index-non-concurrently"] == 13
    assert lines["drop-column"] == 15
    assert lines["concurrently-in-transaction"] == 18  # outside autocommit_block only
    assert len(findings(report, "concurrently-in-transaction")) == 1
    assert lines["unbatched-backfill"] == 20  # SQL inside op.execute, at its own line
    assert lines["irreversible-migration"] == 25
    assert "missing-lock-timeout" not in lines  # off for Python migrations unless configured
    item = items(report)[0].data
    assert (item["format"], item["reversible"], item["risk"]) == ("alembic", False, "avoid")


DJANGO_0001 = '''from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    operations = [
        migrations.CreateModel(name="Order", fields=[("id", models.BigAutoField(primary_key=True)),
                                                    ("total", models.IntegerField())]),
    ]
'''

DJANGO_0002 = '''from django.db import migrations, models


def forwards(apps, schema_editor):
    pass


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]
    operations = [
        migrations.AlterField(model_name="order", name="total", field=models.DecimalField(max_digits=9)),
        migrations.RemoveField(model_name="order", name="note"),
        migrations.SeparateDatabaseAndState(state_operations=[migrations.RemoveField("order", "legacy")]),
        migrations.RunPython(forwards),
        migrations.RunPython(forwards, reverse_code=migrations.RunPython.noop),
        migrations.RunSQL("ALTER TABLE shop_order RENAME COLUMN a TO b;", reverse_sql="SELECT 1;"),
        migrations.AddIndexConcurrently("order", models.Index(fields=["total"], name="order_total_idx")),
        migrations.AddField("order", "code", models.CharField(max_length=5, unique=True, null=True)),
        migrations.RenameModel("Order", "Purchase"),
    ]
'''


def test_django_operations(tmp_path: Path) -> None:
    report = check(tmp_path, {"shop/migrations/0001_initial.py": DJANGO_0001,
                              "shop/migrations/0002_change.py": DJANGO_0002,
                              "shop/migrations/__init__.py": ""})
    got = [(f.rule.split("/")[1], f.location.path.rsplit("/", 1)[1], f.location.line) for f in findings(report)]
    assert ("change-column-type", "0002_change.py", 11) in got
    assert ("drop-column", "0002_change.py", 12) in got
    assert ("lossy-down", "0002_change.py", 12) not in got  # RunPython without reverse: not reversible
    assert not [g for g in got if g[2] == 13]  # state-only RemoveField is the safe first step
    assert ("irreversible-migration", "0002_change.py", 14) in got
    assert not [g for g in got if g[0] == "irreversible-migration" and g[2] == 15]
    assert ("rename-column", "0002_change.py", 16) in got
    assert ("concurrently-in-transaction", "0002_change.py", 17) in got  # atomic by default
    assert ("unique-constraint", "0002_change.py", 18) in got
    assert ("rename-table", "0002_change.py", 19) in got
    assert not [g for g in got if g[1] == "0001_initial.py"]  # everything acts on a new table
    assert "shop_order.total" in findings(report, "change-column-type")[0].message


def test_django_atomic_false_and_lossy_reverse(tmp_path: Path) -> None:
    src = '''from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False
    operations = [
        migrations.AddIndexConcurrently("order", models.Index(fields=["total"], name="order_total_idx")),
        migrations.RemoveField("order", "note"),
    ]
'''
    report = check(tmp_path, {"shop/migrations/0003_idx.py": src})
    assert not findings(report, "concurrently-in-transaction")
    assert findings(report, "lossy-down")[0].location.line == 8
    assert items(report)[0].data["transactional"] is False


@pytest.mark.parametrize("path", ["alembic/versions/0003_evil.py", "app/migrations/0003_evil.py"])
def test_python_migrations_are_never_imported(tmp_path: Path, path: str) -> None:
    marker = tmp_path / "IMPORTED"
    evil = (f"import pathlib\npathlib.Path({str(marker)!r}).write_text('x')\n"
            "from alembic import op\nfrom django.db import migrations\n\n"
            "def upgrade():\n    op.drop_table('users')\n\ndef downgrade():\n    pass\n\n"
            "class Migration(migrations.Migration):\n    operations = [migrations.DeleteModel('User')]\n")
    report = check(tmp_path / "repo", {path: evil})
    assert not marker.exists()
    assert findings(report, "drop-table")


def test_python_syntax_error_is_a_finding(tmp_path: Path) -> None:
    src = "from alembic import op\n\ndef upgrade(:\n    op.drop_table('x')\n"
    report = check(tmp_path, {"alembic/versions/0004_bad.py": src})
    f = findings(report, "python-syntax-error")[0]
    assert f.location.line == 3
    assert items(report)[0].data["path"] == "alembic/versions/0004_bad.py"


def test_unreadable_migration_is_reported(tmp_path: Path) -> None:
    (tmp_path / "db" / "migrations").mkdir(parents=True)
    (tmp_path / "db" / "migrations" / "V1__bin.sql").write_bytes(b"\x00\x01binary")
    (tmp_path / "db" / "migrations" / "V2__link.sql").symlink_to("/etc/passwd")
    report = check(tmp_path)
    paths = {f.location.path for f in findings(report, "unreadable-file")}
    assert paths == {"db/migrations/V1__bin.sql", "db/migrations/V2__link.sql"}


def _changes(*files: str) -> ChangeSet:
    return ChangeSet(base="main", files=frozenset(files), deleted=frozenset(), source="git")


def test_diff_scope_judges_and_lists_only_touched_migrations(tmp_path: Path) -> None:
    files = {"db/migrations/V1__old.sql": "DROP TABLE a;", "db/migrations/V2__new.sql": "DROP TABLE b;"}
    report = check(tmp_path, files, changes=_changes("db/migrations/V2__new.sql"))
    assert [i.data["path"] for i in items(report)] == ["db/migrations/V2__new.sql"]
    assert {f.location.path for f in findings(report)} == {"db/migrations/V2__new.sql"}
    everything = check(tmp_path, settings={"scope": "all"}, changes=_changes("db/migrations/V2__new.sql"))
    assert len(items(everything)) == 2
    old = [f for f in findings(everything, "drop-table") if f.location.path.endswith("V1__old.sql")]
    assert old and not old[0].introduced
    nothing = check(tmp_path, changes=_changes("README.md"))
    assert nothing.gates[0].status.value == "skipped" and "history" in (nothing.gates[0].error or "")


def test_no_migrations_is_skipped(tmp_path: Path) -> None:
    report = check(tmp_path, {"src/app.py": "print(1)\n"})
    assert report.gates[0].status.value == "skipped"


DJANGO_DEFAULTS = '''from django.contrib.postgres.constraints import ExclusionConstraint
from django.db import migrations, models


class Migration(migrations.Migration):
    operations = [
        migrations.AddField("order", "priority", models.IntegerField(default=0)),
        migrations.AddField("order", "status", models.CharField(max_length=9, default="new"),
                            preserve_default=False),
        migrations.AddField("order", "rank", models.IntegerField(db_default=0)),
        migrations.AddField("order", "hint", models.IntegerField(default=0, null=True)),
        migrations.AddField("order", "note", models.TextField(blank=True)),
        migrations.AddField("order", "seen", models.DateTimeField(auto_now_add=True)),
        migrations.AddField("order", "gone", models.IntegerField(default=None, null=True)),
        migrations.AddField("order", "plain", models.IntegerField(null=True)),
        migrations.AddConstraint("order", ExclusionConstraint(name="order_no_overlap", expressions=[
            ("during", "&&")])),
    ]
'''


def test_django_add_field_drops_the_default_it_adds_and_exclusion_constraints(tmp_path: Path) -> None:
    """Django's schema editor (base/schema.py add_field) adds the column with the field's effective default and
    drops that default at once unless the field has a db_default: NOT NULL columns then refuse INSERTs of the
    release still running."""
    report = check(tmp_path, {"shop/migrations/0004_defaults.py": DJANGO_DEFAULTS})
    dropped = {f.location.line for f in findings(report, "drop-default-not-null")}
    assert dropped == {7, 8, 12, 13}  # default=, one-off default, blank text field, auto_now_add
    msg = findings(report, "drop-default-not-null")[0].message
    assert "Django" in msg and "shop_order.priority" in msg
    assert not findings(report, "add-column-not-null")  # every NOT NULL field here has a default
    excl = findings(report, "exclusion-constraint")
    assert [f.location.line for f in excl] == [16] and "order_no_overlap" in excl[0].message


ALEMBIC_DEFAULTS = '''from alembic import op
from sqlalchemy.dialects.postgresql import ExcludeConstraint

revision = "0003"
down_revision = "0002"


def upgrade():
    op.alter_column("users", "plan", server_default=None, existing_nullable=False)
    op.alter_column("users", "tier", server_default=None)
    op.alter_column("users", "kind", server_default=None, nullable=False)
    op.alter_column("users", "mode", server_default=False, existing_nullable=False)
    op.create_exclude_constraint("users_no_overlap", "users", ("during", "&&"), using="gist")
    with op.batch_alter_table("rooms") as batch_op:
        batch_op.alter_column("size", server_default=None, existing_nullable=False)
        batch_op.create_exclude_constraint("rooms_no_overlap", ("during", "&&"))


def downgrade():
    op.drop_constraint("users_no_overlap", "users")
'''


def test_alembic_server_default_none_and_exclude_constraints(tmp_path: Path) -> None:
    report = check(tmp_path, {"alembic/versions/0003_defaults.py": ALEMBIC_DEFAULTS})
    dropped = {f.location.line for f in findings(report, "drop-default-not-null")}
    assert dropped == {9, 11, 15}  # NOT NULL shown by existing_nullable/nullable; False keeps the default
    excl = findings(report, "exclusion-constraint")
    assert {(f.location.line, f.message.split(" on ")[1].split(" ")[0]) for f in excl} == {(13, "users"), (16, "rooms")}


DJANGO_TYPES = '''from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    operations = [
        migrations.CreateModel(name="Invoice", fields=[("id", models.AutoField(primary_key=True)),
                                                       ("at", models.DateTimeField()),
                                                       ("code", models.CharField(max_length=3))]),
        migrations.CreateModel(name="Receipt", fields=[("id", models.BigAutoField(primary_key=True)),
                                                       ("invoice", models.ForeignKey("Invoice", models.CASCADE))]),
        migrations.CreateModel(name="Tag", fields=[("slug", models.SmallIntegerField(primary_key=True))]),
        migrations.AddField("receipt", "number", models.IntegerField(default=0)),
        migrations.CreateModel(name="WithAVeryLongModelNameThatDjangoShortensOnItsOwnWithAHashSuffix", fields=[
            ("id", models.BigAutoField(primary_key=True))]),
    ]
'''

ALEMBIC_TYPES = '''from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"


def upgrade():
    op.create_table("invoices", sa.Column("id", sa.Integer(), primary_key=True),
                    sa.Column("at", sa.DateTime()), sa.Column("code", sa.CHAR(3)))
    op.create_table("links", sa.Column("a", sa.Integer, primary_key=True), sa.Column("b", sa.Integer, primary_key=True))
    op.create_table("receipts", sa.Column("id", sa.BigInteger, primary_key=True),
                    sa.Column("at", sa.DateTime(timezone=True)), sa.Column("seen", postgresql.TIMESTAMP(True)))
    op.add_column("receipts", sa.Column("paid_at", sa.TIMESTAMP()))
    op.add_column("receipts", sa.Column("a_column_name_that_is_far_too_long_for_postgresql_to_keep_whole_x", sa.Text))


def downgrade():
    op.drop_table("receipts")
'''


def test_advisory_rules_read_django_and_alembic_types(tmp_path: Path) -> None:
    report = check(tmp_path, {"shop/migrations/0001_initial.py": DJANGO_TYPES,
                              "alembic/versions/0004_types.py": ALEMBIC_TYPES})

    def got(rule: str, path: str) -> set[str]:
        return {next(w for w in f.message.split() if "." in w.rstrip(".")) for f in findings(report, rule)
                if f.location.path.endswith(path)}

    assert got("int-primary-key", "0001_initial.py") == {"shop_invoice.id", "shop_tag.slug"}
    assert not got("timestamp-without-time-zone", "0001_initial.py")  # DateTimeField is timestamptz
    assert not got("char-column", "0001_initial.py") and not got("identifier-too-long", "0001_initial.py")
    assert got("int-primary-key", "0004_types.py") == {"invoices.id"}  # composite keys are references
    assert got("timestamp-without-time-zone", "0004_types.py") == {"invoices.at", "receipts.paid_at"}
    assert got("char-column", "0004_types.py") == {"invoices.code"}
    assert [f.location.line for f in findings(report, "identifier-too-long")] == [16]


def test_placeholders_of_flyway_and_of_templated_sql_are_filled(tmp_path: Path) -> None:
    # internetofwater/nldi-db: a plain SQL file (a Liquibase <sqlFile>) ending `owner to ${OWNER};` was a parse error.
    report = check(tmp_path, {
        "db/migration/V1__grants.sql": "CREATE INDEX i ON ${flyway:defaultSchema}.orders (id);\n",
        "db/changelog/functions/f.sql": "ALTER FUNCTION f() OWNER TO ${OWNER};\n",
        "db/migrations/20240101_x.sql": ("-- +goose ENVSUB ON\n-- +goose Up\nGRANT SELECT ON t TO ${ROLE};\n"
                                         "-- +goose Down\nREVOKE SELECT ON t FROM ${ROLE};\n"),
    })
    assert not findings(report, "parse-error"), [f.message for f in findings(report, "parse-error")]
    [index] = findings(report, "create-index-non-concurrently")
    assert (index.location.path, index.location.column) == ("db/migration/V1__grants.sql", 1)


def test_golang_migrate_does_not_substitute_placeholders(tmp_path: Path) -> None:
    report = check(tmp_path, {"migrations/1_grant.up.sql": "GRANT SELECT ON t TO ${ROLE};\n",
                              "migrations/1_grant.down.sql": "REVOKE SELECT ON t FROM r;\n"})
    assert findings(report, "parse-error")


def test_directories_of_other_databases_are_skipped(tmp_path: Path) -> None:
    # kestra-io/kestra: jdbc-h2/.../migrations/h2/ and jdbc-mysql/.../migrations/mysql/ Flyway files
    # were judged as PostgreSQL (132 parse errors, MySQL ENUM and backticks).
    sql = "CREATE TABLE t (id int);\n"
    report = check(tmp_path, {"jdbc-postgres/migrations/postgres/V1_1__init.sql": sql,
                              "jdbc-mysql/migrations/mysql/V1_1__init.sql": sql,
                              "jdbc-h2/migrations/h2/V1_1__init.sql": sql,
                              "db/migration/SQL_SERVER/V1__init.sql": sql})
    assert list(_by_path(report)) == ["jdbc-postgres/migrations/postgres/V1_1__init.sql"]
    configured = check(tmp_path, settings={"paths": ["jdbc-mysql/migrations/mysql"]})
    assert list(_by_path(configured)) == ["jdbc-mysql/migrations/mysql/V1_1__init.sql"]


def test_flyway_repeatable_migrations_run_in_a_transaction_like_versioned_ones(tmp_path: Path) -> None:
    # MarquezProject/marquez R__*_view.sql were judged statement by statement (autocommit), so a view
    # dropped and re-created in one R__ file was reported missing in between, and CONCURRENTLY
    # beside other statements was not reported.
    report = check(tmp_path, {
        "db/migration/R__views.sql": "DROP VIEW v;\nCREATE VIEW v AS SELECT 1;\n",
        "db/migration/R__index.sql": "CREATE INDEX CONCURRENTLY i ON t (a);\n",
        "db/migration/R__mixed.sql": "CREATE TABLE u (a int);\nCREATE INDEX CONCURRENTLY j ON t (a);\n",
    })
    modes = {p.rsplit("/", 1)[1]: d["transactional"] for p, d in _by_path(report).items()}
    assert modes == {"R__views.sql": True, "R__index.sql": False, "R__mixed.sql": True}
    assert not findings(report, "drop-view")
    assert [f.location.path for f in findings(report, "concurrently-in-transaction")] == ["db/migration/R__mixed.sql"]


def test_alembic_names_marked_with_op_f_and_merge_revisions(tmp_path: Path) -> None:
    # polarsource/polar: autogenerate writes op.f("ix_...") names, so findings said "Creating index on
    # support_cases" and "Dropping index None", and an index created then dropped was not recognised.
    # Netflix/dispatch: merge revisions (`def upgrade(): pass`, no `op.`) were not listed at all.
    report = check(tmp_path, {
        "migrations/versions/0002_idx.py": (
            "from alembic import op\n"
            "import sqlalchemy as sa\n"
            "revision = '2'\n"
            "down_revision = '1'\n"
            "def upgrade():\n"
            "    op.create_index(op.f('ix_cases_org'), 'cases', ['org'])\n"
            "    op.drop_index(op.f('ix_orders_at'), table_name='orders')\n"
            "    op.create_index(op.f('ix_tmp'), 'orders', ['x'])\n"
            "    op.drop_index(op.f('ix_tmp'), table_name='orders')\n"
            "def downgrade():\n"
            "    pass\n"),
        "migrations/versions/0003_merge.py": (
            '"""merge heads"""\n'
            "revision = '3'\n"
            "down_revision = ('2', '2b')\n"
            "def upgrade():\n    pass\n"
            "def downgrade():\n    pass\n"),
    })
    by_path = _by_path(report)
    assert sorted(by_path) == ["migrations/versions/0002_idx.py", "migrations/versions/0003_merge.py"]
    assert by_path["migrations/versions/0003_merge.py"]["reversible"] is True  # nothing to undo
    assert [f.location.path for f in findings(report, "irreversible-migration")] == ["migrations/versions/0002_idx.py"]
    created = [f.message for f in findings(report, "create-index-non-concurrently")]
    assert len(created) == 2 and "Creating index ix_cases_org on cases" in created[0]
    [dropped] = findings(report, "drop-index-non-concurrently")
    assert dropped.message.startswith("Dropping index ix_orders_at without")


def test_django_fields_without_a_column(tmp_path: Path) -> None:
    # netbox-community/netbox extras/migrations/0087_squashed_0098.py: AddField of a django-taggit
    # TaggableManager was add-column-not-null "extras_webhook.tags"; it adds no column (nor does a
    # GenericRelation), and removing one drops nothing. Removing a ManyToManyField drops its join table.
    head = ("from django.db import migrations, models\nimport taggit.managers\n\n\n"
            "class Migration(migrations.Migration):\n")
    report = check(tmp_path, {
        "extras/migrations/0001_initial.py": head + (
            "    operations = [\n"
            "        migrations.CreateModel(name='Webhook', fields=[\n"
            "            ('id', models.BigAutoField(primary_key=True)),\n"
            "            ('tags', taggit.managers.TaggableManager(through='extras.TaggedItem', to='extras.Tag')),\n"
            "            ('groups', models.ManyToManyField(to='extras.Group')),\n"
            "        ]),\n"
            "    ]\n"),
        "extras/migrations/0002_more.py": head + (
            "    operations = [\n"
            "        migrations.AddField(model_name='rule', name='tags',\n"
            "            field=taggit.managers.TaggableManager(through='extras.TaggedItem', to='extras.Tag')),\n"
            "        migrations.AddField(model_name='rule', name='images',\n"
            "            field=GenericRelation(to='extras.ImageAttachment')),\n"
            "        migrations.RemoveField(model_name='webhook', name='tags'),\n"
            "        migrations.RemoveField(model_name='webhook', name='groups'),\n"
            "    ]\n"),
    })
    got = [(f.rule.split("/")[1], f.location.line) for f in findings(report)
           if f.location.path == "extras/migrations/0002_more.py"]
    assert not [g for g in got if g[0] in ("add-column-not-null", "drop-column")], got
    assert [g for g in got if g[0] == "lossy-down"] == [("lossy-down", 12)]  # the join table comes back empty
    [drop] = findings(report, "drop-table")
    assert "extras_webhook_groups" in drop.message and drop.location.line == 12


def test_django_squashed_migration_runs_on_fresh_tables_of_its_app(tmp_path: Path) -> None:
    # netbox-community/netbox: 703 of 1,492 findings were in 26 squashed migrations (replaces = [...]),
    # e.g. dcim/migrations/0002_squashed.py "Adding dcim_location.site_id as NOT NULL ... fails on a
    # non-empty dcim_location". Django runs a squash only where none of what it replaces ran: the
    # app's tables are new there. Other apps' tables are not.
    ops = ("    operations = [\n"
           "        migrations.AddField(model_name='rack', name='site', field=models.ForeignKey(to='dcim.site')),\n"
           "        migrations.RunSQL('UPDATE extras_tag SET x = 1', reverse_sql=''),\n"
           "    ]\n")
    head = "from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n"
    report = check(tmp_path, {
        "dcim/migrations/0002_squashed_0010.py": (head + "    replaces = [('dcim', '0002_a'), ('dcim', '0003_b')]\n"
                                                  + ops),
        "dcim/migrations/0011_plain.py": head + ops,
    })
    squashed = [f.rule.split("/")[1] for f in findings(report) if "squashed" in f.location.path]
    plain = [f.rule.split("/")[1] for f in findings(report) if "plain" in f.location.path]
    assert "add-column-not-null" in plain and "foreign-key-not-valid" in plain
    assert "add-column-not-null" not in squashed and "foreign-key-not-valid" not in squashed
    assert "create-index-non-concurrently" not in squashed
    assert "unbatched-backfill" in squashed  # extras_tag belongs to another app


def test_lossy_down_message_without_a_recreating_statement(tmp_path: Path) -> None:
    # ory/kratos 20210311102338000010_form_refactoring.postgres.up.sql: "cannot restore its data of
    # table selfservice_settings_flow_methods".
    report = check(tmp_path, {"migrations/1_drop.up.sql": "DROP TABLE old_things;\n",
                              "migrations/1_drop.down.sql": "SELECT 1;\n"})
    [lossy] = findings(report, "lossy-down")
    assert lossy.message == ("The down migration cannot restore the data of table old_things that this "
                             "statement destroys.")


def test_django_implicit_field_index_is_named_by_its_column(tmp_path: Path) -> None:
    # netbox-community/netbox dcim/migrations/0209_...: "Creating index _site_id index on dcim_poweroutlet".
    report = check(tmp_path, {"dcim/migrations/0002_site.py": (
        "from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n"
        "    operations = [\n"
        "        migrations.AddField(model_name='poweroutlet', name='_site',\n"
        "            field=models.ForeignKey(null=True, to='dcim.site')),\n"
        "    ]\n")})
    [index] = findings(report, "create-index-non-concurrently")
    assert index.message.startswith("Creating the index of dcim_poweroutlet._site_id without CONCURRENTLY")


def test_flyway_script_configuration_file_sets_the_transaction(tmp_path: Path) -> None:
    # Flyway reads V<ver>__<desc>.sql.conf beside a script; executeInTransaction=false runs the whole
    # script outside a transaction (the documented way to mix CONCURRENTLY with other statements).
    sql = "CREATE TABLE u (a int);\nCREATE INDEX CONCURRENTLY i ON t (a);\n"
    report = check(tmp_path, {"db/migration/V2__index.sql": sql,
                              "db/migration/V2__index.sql.conf": "executeInTransaction=false\n",
                              "db/migration/V3__index.sql": sql,
                              "db/migration/V4__index.sql": "CREATE INDEX CONCURRENTLY j ON t (b);\n",
                              "db/migration/V4__index.sql.conf": "executeInTransaction = true\n"})
    modes = {p.rsplit("/", 1)[1]: d["transactional"] for p, d in _by_path(report).items()}
    assert modes == {"V2__index.sql": False, "V3__index.sql": True, "V4__index.sql": True}
    assert sorted(f.location.path for f in findings(report, "concurrently-in-transaction")) == [
        "db/migration/V3__index.sql", "db/migration/V4__index.sql"]


def test_django_foreign_key_to_a_setting_names_the_setting(tmp_path: Path) -> None:
    # saleor/saleor giftcard/migrations/0005_auto_20210719_1116.py: to=settings.AUTH_USER_MODEL gave
    # "with a foreign key to the referenced table".
    report = check(tmp_path, {"giftcard/migrations/0005_user.py": (
        "from django.conf import settings\nfrom django.db import migrations, models\n\n\n"
        "class Migration(migrations.Migration):\n"
        "    operations = [\n"
        "        migrations.AddField(model_name='giftcard', name='created_by',\n"
        "            field=models.ForeignKey(null=True, to=settings.AUTH_USER_MODEL)),\n"
        "    ]\n")})
    [fk] = findings(report, "foreign-key-not-valid")
    assert "with a foreign key to settings.AUTH_USER_MODEL validates" in fk.message



def test_django_foreign_keys_name_the_referenced_table(tmp_path: Path) -> None:
    # wagtail documents/0005: "locks on wagtaildocs_document and wagtailcore.Collection" named a model label
    report = check(tmp_path, {"docs/migrations/0005_collection.py": (
        "from django.db import migrations, models\n\n\n"
        "class Migration(migrations.Migration):\n"
        "    operations = [\n"
        "        migrations.CreateModel(name='Folder', fields=[('id', models.AutoField(primary_key=True))],\n"
        "                               options={'db_table': 'doc_folders'}),\n"
        "        migrations.AddField(model_name='document', name='collection',\n"
        "            field=models.ForeignKey(on_delete=models.CASCADE, to='wagtailcore.Collection')),\n"
        "        migrations.AddField(model_name='document', name='folder',\n"
        "            field=models.ForeignKey(on_delete=models.CASCADE, to='docs.Folder')),\n"
        "        migrations.AddField(model_name='document', name='parent',\n"
        "            field=models.ForeignKey(null=True, on_delete=models.CASCADE, to='self')),\n"
        "    ]\n")})
    messages = sorted(f.message for f in findings(report, "foreign-key-not-valid"))
    assert any("foreign key to wagtailcore_collection (wagtailcore.Collection) validates" in m for m in messages)
    assert any("locks on docs_document and wagtailcore_collection (wagtailcore.Collection)." in m
               for m in messages), messages
    assert any("foreign key to doc_folders validates" in m for m in messages), messages  # its db_table
    assert any("a SHARE ROW EXCLUSIVE lock on docs_document." in m for m in messages), messages  # to='self'


def test_a_legacy_copy_of_a_migration_is_judged_once(tmp_path: Path) -> None:
    drop = "-- drop the legacy column\nALTER TABLE users DROP COLUMN email;\n"
    files = {"db/migrations/V2__drop.sql": drop,
             "legacy/db/migrations/V2__drop.sql": "ALTER TABLE users\n  DROP COLUMN email;  -- copied\n",
             "other/db/migrations/V2__drop.sql": "ALTER TABLE accounts DROP COLUMN email;\n",
             "shop/migrations/0002_x.py": DJANGO_0002, "old/shop/migrations/0002_x.py": DJANGO_0002,
             "blog/migrations/0002_x.py": DJANGO_0002}
    report = check(tmp_path, files)
    drops = {f.location.path for f in findings(report, "drop-column")}
    assert drops == {"db/migrations/V2__drop.sql", "other/db/migrations/V2__drop.sql", "blog/migrations/0002_x.py",
                     "old/shop/migrations/0002_x.py"}
    got = _by_path(report)
    assert got["legacy/db/migrations/V2__drop.sql"]["duplicate_of"] == "db/migrations/V2__drop.sql"
    assert got["legacy/db/migrations/V2__drop.sql"]["risk"] == got["db/migrations/V2__drop.sql"]["risk"]
    assert got["shop/migrations/0002_x.py"]["duplicate_of"] == "old/shop/migrations/0002_x.py"
    assert "duplicate_of" not in got["blog/migrations/0002_x.py"]
    # the copy the PR touches is the one judged
    touched = check(tmp_path, changes=ChangeSet(base="main", files=frozenset({"legacy/db/migrations/V2__drop.sql"}),
                                                deleted=frozenset(), source="git"))
    assert {f.location.path for f in findings(touched, "drop-column")} == {"legacy/db/migrations/V2__drop.sql"}
    assert _by_path(touched)["db/migrations/V2__drop.sql"]["duplicate_of"] == "legacy/db/migrations/V2__drop.sql"


def test_directories_named_for_another_database_in_a_word_are_skipped(tmp_path: Path) -> None:
    # conductor-oss/conductor: mysql-persistence/src/main/resources/db/migration/V1__*.sql is MySQL
    sql = "CREATE TABLE t (id int);\n"
    report = check(tmp_path, {"mysql-persistence/src/main/resources/db/migration/V1__init.sql": sql,
                              "sqlite-persistence/db/migration_sqlite/V1__init.sql": sql,
                              "postgres-persistence/src/main/resources/db/migration_postgres/V1__init.sql": sql})
    assert list(_by_path(report)) == ["postgres-persistence/src/main/resources/db/migration_postgres/V1__init.sql"]


def test_popx_judges_the_postgres_file_not_the_generic_one_beside_it(tmp_path: Path) -> None:
    # ory/kratos: popx runs `x.postgres.autocommit.up.sql` (CREATE INDEX CONCURRENTLY) on PostgreSQL;
    # the generic `x.autocommit.up.sql` beside it (a plain CREATE INDEX) is for the other databases.
    base = "persistence/sql/migrations/sql/20260703000000000000_status_idx"
    report = check(tmp_path, {
        f"{base}.autocommit.up.sql": "CREATE INDEX status_idx ON courier_messages (status);\n",
        f"{base}.autocommit.down.sql": "DROP INDEX status_idx;\n",
        f"{base}.postgres.autocommit.up.sql":
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS status_idx ON courier_messages (status);\n",
        f"{base}.postgres.autocommit.down.sql": "DROP INDEX CONCURRENTLY IF EXISTS status_idx;\n",
        f"{base}.mysql.up.sql": "CREATE INDEX status_idx ON courier_messages (status);\n",
        "persistence/sql/migrations/sql/20260704000000000000_plain.up.sql": "CREATE INDEX plain ON t (a);\n",
        "persistence/sql/migrations/sql/20260705000000000000_both.up.sql": "CREATE INDEX both_i ON t (a);\n",
        "persistence/sql/migrations/sql/20260705000000000000_both.postgres.up.sql":
            "CREATE INDEX CONCURRENTLY both_i ON t (a);\n",
    })
    paths = sorted(str(i.data["path"]).rsplit("/", 1)[1] for i in items(report))
    assert paths == ["20260703000000000000_status_idx.postgres.autocommit.up.sql",
                     "20260704000000000000_plain.up.sql",  # no PostgreSQL file beside it: the generic one runs
                     "20260705000000000000_both.postgres.up.sql"]
    assert {f.location.path.rsplit("/", 1)[1] for f in findings(report, "create-index-non-concurrently")} == {
        "20260704000000000000_plain.up.sql"}


def test_an_unnamed_alembic_constraint_is_called_unnamed(tmp_path: Path) -> None:
    # CTFd 336b8c601b94: `op.create_foreign_key(None, ...)` was reported as "foreign key {None}"
    report = check(tmp_path, {"migrations/versions/336b8c601b94_modules.py": (
        'from alembic import op\n\nrevision = "336b8c601b94"\ndown_revision = None\n\n\ndef upgrade():\n'
        '    op.create_foreign_key(None, "challenges", "modules", ["module_id"], ["id"])\n'
        '    op.create_unique_constraint(None, "modules", ["name"])\n\n\ndef downgrade():\n    pass\n')})
    messages = [f.message for f in findings(report) if f.rule in ("migrations/foreign-key-not-valid",
                                                                  "migrations/unique-constraint")]
    assert len(messages) == 2 and not any("None" in m for m in messages), messages
    assert any(m.startswith("Adding an unnamed foreign key on challenges") for m in messages), messages
    assert any(m.startswith("Adding an unnamed UNIQUE constraint on modules") for m in messages), messages
