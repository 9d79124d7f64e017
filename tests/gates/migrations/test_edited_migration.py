"""An edit of an already-applied migration is judged by what it changes, not by the whole file.

A PR that reorganizes the imports of an old migration, reformats it, or edits one of its statements
did not run the others again: those findings are kept and shown, but are not introduced and do not
block. What the edit changed (and a migration the PR adds) is judged as before.
"""

from __future__ import annotations

from pathlib import Path

from migrations_helpers import check, findings, git, write

from readiness.model import Finding, Report
from readiness.workspace.changes import git_changes


def _pr(root: Path, base: dict[str, str], head: dict[str, str]) -> Report:
    """The migrations gate on a PR that turns `base` into `head` (committed on a branch)."""
    write(root, base)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "base")
    git(root, "checkout", "-q", "-b", "pr")
    write(root, head)
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "head")
    return check(root, changes=git_changes(root, "main"))


def _introduced(report: Report) -> list[Finding]:
    return [f for f in findings(report) if f.introduced]


DJANGO = '''from django.db import migrations, models
import django.db.models.deletion


class Migration(migrations.Migration):
    dependencies = [("app", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="check",
            name="owner",
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to="app.project"),
        ),
        migrations.RemoveField(model_name="check", name="last_ping_was_fail"),
    ]
'''
INITIAL = '''from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    operations = [
        migrations.CreateModel(name="Project", fields=[("id", models.AutoField(primary_key=True))]),
        migrations.CreateModel(name="Check", fields=[("id", models.AutoField(primary_key=True)),
                                                     ("last_ping_was_fail", models.BooleanField(null=True))]),
    ]
'''
PATH = "app/migrations/0002_change.py"


def test_reorganized_imports_of_an_old_django_migration_introduce_nothing(tmp_path: Path) -> None:
    reformatted = DJANGO.replace("from django.db import migrations, models\nimport django.db.models.deletion\n",
                                 "import django.db.models.deletion\nfrom django.db import migrations, models\n")
    reformatted = reformatted.replace('migrations.RemoveField(model_name="check", name="last_ping_was_fail")',
                                      'migrations.RemoveField(\n            model_name="check",\n'
                                      '            name="last_ping_was_fail",\n        )')
    report = _pr(tmp_path, {"app/migrations/0001_initial.py": INITIAL, PATH: DJANGO}, {PATH: reformatted})
    got = findings(report)
    assert {f.rule for f in got} >= {"migrations/drop-column", "migrations/foreign-key-not-valid"}  # still shown
    assert not _introduced(report), [(f.rule, f.location.line) for f in _introduced(report)]
    assert not report.blocking


def test_an_edited_operation_of_an_old_migration_is_judged_alone(tmp_path: Path) -> None:
    edited = DJANGO.replace('to="app.project"', 'to="app.project", db_index=False')
    report = _pr(tmp_path, {"app/migrations/0001_initial.py": INITIAL, PATH: DJANGO}, {PATH: edited})
    new = _introduced(report)
    assert any(f.rule == "migrations/foreign-key-not-valid" for f in new)  # the edited AddField
    assert not any(f.rule == "migrations/drop-column" for f in new)  # the RemoveField it left alone
    assert not report.blocking


def test_an_operation_added_to_an_old_migration_is_introduced(tmp_path: Path) -> None:
    grown = DJANGO.replace("    ]\n'''", "").replace(
        '        migrations.RemoveField(model_name="check", name="last_ping_was_fail"),\n',
        '        migrations.RemoveField(model_name="check", name="last_ping_was_fail"),\n'
        '        migrations.RemoveField(model_name="project", name="id"),\n')
    report = _pr(tmp_path, {"app/migrations/0001_initial.py": INITIAL, PATH: DJANGO}, {PATH: grown})
    drops = {f.location.line: f.introduced for f in findings(report, "drop-column")}
    assert drops == {14: False, 15: True}
    assert report.blocking


def test_a_migration_the_pr_adds_is_judged_whole(tmp_path: Path) -> None:
    write(tmp_path, {"app/migrations/0001_initial.py": INITIAL})
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "base")
    write(tmp_path, {PATH: DJANGO})
    report = check(tmp_path, changes=git_changes(tmp_path, "main"))
    assert all(f.introduced for f in findings(report))
    assert report.blocking


ALEMBIC = '''"""add brackets"""
from alembic import op
import sqlalchemy as sa

revision = "9889b8c53673"
down_revision = "0366ba6575ca"


def upgrade():
    op.create_table(
        "brackets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.add_column("users", sa.Column("bracket_id", sa.Integer(), nullable=True))
    op.create_foreign_key(None, "users", "brackets", ["bracket_id"], ["id"], ondelete="SET NULL")
    op.drop_column("users", "bracket")


def downgrade():
    op.add_column("users", sa.Column("bracket", sa.VARCHAR(length=32), nullable=True))
    op.drop_column("users", "bracket_id")
    op.drop_table("brackets")
'''
ALEMBIC_PATH = "migrations/versions/9889b8c53673_add_brackets_table.py"


def test_a_ruff_reformat_of_an_alembic_migration_introduces_nothing(tmp_path: Path) -> None:
    ruffed = ALEMBIC.replace('"users", sa.Column("bracket_id", sa.Integer(), nullable=True)',
                             '\n        "users",\n        sa.Column("bracket_id", sa.Integer(), nullable=True),\n    ')
    ruffed = ruffed.replace("import sqlalchemy as sa\n", "import sqlalchemy as sa  # noqa\n")
    report = _pr(tmp_path, {ALEMBIC_PATH: ALEMBIC}, {ALEMBIC_PATH: ruffed})
    assert findings(report, "drop-column")
    assert not _introduced(report), [(f.rule, f.location.line) for f in _introduced(report)]


def test_moving_a_statement_from_downgrade_to_upgrade_is_a_change(tmp_path: Path) -> None:
    moved = ALEMBIC.replace('    op.drop_table("brackets")\n', "").replace(
        'def upgrade():\n', 'def upgrade():\n    op.drop_table("brackets")\n')
    report = _pr(tmp_path, {ALEMBIC_PATH: ALEMBIC}, {ALEMBIC_PATH: moved})
    dropped = [f for f in findings(report, "drop-table") if f.location.path == ALEMBIC_PATH]
    assert [(f.location.line, f.introduced) for f in dropped] == [(10, True)]


def test_whole_migration_findings_follow_every_statement(tmp_path: Path) -> None:
    sql = "ALTER TABLE users ADD COLUMN note text;\nALTER TABLE users DROP COLUMN legacy;\n"
    path = "db/migrations/V2__note.sql"
    commented = "-- reviewed\n" + sql.replace("ADD COLUMN note text", "ADD   COLUMN note text")
    report = _pr(tmp_path / "a", {path: sql}, {path: commented})
    assert findings(report, "missing-lock-timeout") and findings(report, "drop-column")
    assert not _introduced(report), [(f.rule, f.location.line) for f in _introduced(report)]

    changed = sql.replace("note text", "note varchar(10)")
    report = _pr(tmp_path / "b", {path: sql}, {path: changed})
    new = {f.rule for f in _introduced(report)}
    assert "migrations/missing-lock-timeout" in new  # a statement changed: the migration is the PR's again
    assert "migrations/drop-column" not in new  # the DROP it left alone was applied long ago


def test_changing_the_transaction_mode_makes_every_statement_the_prs(tmp_path: Path) -> None:
    sql = "-- migrate:up\nCREATE INDEX users_email ON users (email);\n-- migrate:down\nDROP INDEX users_email;\n"
    no_tx = sql.replace("-- migrate:up", "-- migrate:up transaction:false")
    report = _pr(tmp_path, {"db/migrations/20240101000000_idx.sql": sql},
                 {"db/migrations/20240101000000_idx.sql": no_tx})
    assert findings(report, "create-index-non-concurrently")
    assert all(f.introduced for f in findings(report))


def test_a_swappable_target_spelled_another_way_is_unchanged(tmp_path: Path) -> None:
    # wagtail 8ab1b71caa: to="wagtailcore.Page" became to=swapper.get_model_name("wagtailcore", "Page")
    # in an applied 0001_initial: the same model, the same column
    initial = INITIAL.replace("from django.db import migrations, models\n",
                              "import swapper\nfrom django.db import migrations, models\n")
    swapped = DJANGO.replace('to="app.project"', 'to=swapper.get_model_name("app", "Project")').replace(
        "import django.db.models.deletion\n", "import django.db.models.deletion\nimport swapper\n")
    report = _pr(tmp_path, {"app/migrations/0001_initial.py": initial, PATH: DJANGO}, {PATH: swapped})
    assert findings(report, "foreign-key-not-valid")
    assert not _introduced(report), [(f.rule, f.location.line) for f in _introduced(report)]
    other = DJANGO.replace('to="app.project"', 'to=swapper.get_model_name("app", "check")')
    report = _pr(tmp_path / "other", {"app/migrations/0001_initial.py": initial, PATH: DJANGO}, {PATH: other})
    assert any(f.rule == "migrations/foreign-key-not-valid" for f in _introduced(report))  # another target
