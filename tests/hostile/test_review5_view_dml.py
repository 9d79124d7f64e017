"""DML on a view the migration creates reaches the view's tables (review5 R5-21, issue 11).

A simple view is automatically updatable: `CREATE VIEW v AS SELECT * FROM users; DELETE FROM v;`
deletes every row of `users`. Before, the DELETE was judged as one on a relation "created here"
and the migration passed at the default policy. Now a DELETE/UPDATE/MERGE on a view created in
the migration is judged again on each table the view reads (through views of views, with the
view's own WHERE), and a view whose query cannot be read fails closed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from review5_support import ALEMBIC_BASE, assert_blocked, judge_files
from review5_support import judge_sql as _judge

THROUGH_A_VIEW = {
    "delete": ("CREATE VIEW active_users AS SELECT * FROM users;\nDELETE FROM active_users;\n", "delete-all-rows"),
    "delete-where-true-view": ("CREATE VIEW u2 AS SELECT * FROM users WHERE true;\nDELETE FROM u2;\n",
                               "delete-all-rows"),
    "temp-view": ("CREATE TEMP VIEW u AS SELECT * FROM public.users;\nDELETE FROM u;\n", "delete-all-rows"),
    "view-of-a-view": ("CREATE VIEW a AS SELECT * FROM users;\nCREATE VIEW b AS SELECT id FROM a;\n"
                       "DELETE FROM b;\n", "delete-all-rows"),
    "cte-in-view": ("CREATE VIEW a AS WITH x AS (SELECT * FROM users) SELECT * FROM x;\nDELETE FROM a;\n",
                    "delete-all-rows"),
    "merge": ("CREATE VIEW a AS SELECT * FROM users;\n"
              "MERGE INTO a USING (SELECT 1 AS id) s ON true WHEN MATCHED THEN DELETE;\n", "delete-all-rows"),
    "renamed-view": ("CREATE VIEW a AS SELECT * FROM users;\nALTER VIEW a RENAME TO b;\nDELETE FROM b;\n",
                     "delete-all-rows"),
    "in-a-do-block": ("CREATE VIEW a AS SELECT * FROM users;\nDO $$ BEGIN DELETE FROM a; END $$;\n",
                      "delete-all-rows"),
}


@pytest.mark.parametrize("case", sorted(THROUGH_A_VIEW))
def test_dml_through_a_new_view_is_judged_on_its_table(tmp_path: Path, case: str) -> None:
    sql, rule = THROUGH_A_VIEW[case]
    assert_blocked(_judge(tmp_path, sql), rule)


def test_an_unfiltered_update_through_a_view_is_judged_on_its_table(tmp_path: Path) -> None:
    done = _judge(tmp_path, "CREATE VIEW a AS SELECT * FROM users;\nUPDATE a SET email = NULL;\n")
    found = done.findings("migrations/unbatched-backfill")
    assert found and any("users" in f["message"] for f in found), done.findings()


@pytest.mark.parametrize("sql", [
    "CREATE TABLE t (id int);\nCREATE VIEW v AS SELECT * FROM t;\nDELETE FROM v;\n",
    "CREATE VIEW v AS SELECT * FROM users WHERE email IS NULL;\nDELETE FROM v;\n",
    "CREATE VIEW v AS SELECT * FROM users;\nDELETE FROM v WHERE id = 3;\n",
    "CREATE VIEW v AS SELECT * FROM users;\nDROP VIEW v;\nCREATE TABLE v (id int);\nDELETE FROM v;\n",
    "CREATE VIEW v AS SELECT * FROM users;\nSELECT count(*) FROM v;\n",
])
def test_a_view_over_new_or_filtered_rows_does_not_block(tmp_path: Path, sql: str) -> None:
    done = _judge(tmp_path, sql)
    assert not done.findings("migrations/delete-all-rows"), done.findings()
    assert done.code == 0, done.findings()


ALEMBIC_PR = {"alembic/versions/b2_view.py": 'from alembic import op\nrevision = "b2"\ndown_revision = "a1"\n\n\n'
              'def upgrade():\n    op.execute("CREATE VIEW active AS SELECT * FROM users")\n'
              '    op.execute("DELETE FROM active")\n\n\ndef downgrade():\n    op.execute("DROP VIEW active")\n'}
LIQUIBASE_BASE = {"db/changelog/a.sql": "--liquibase formatted sql\n--changeset a:1\n"
                  "CREATE TABLE users (id int primary key, email text);\n--rollback DROP TABLE users;\n"}
LIQUIBASE_PR = {"db/changelog/b.sql": "--liquibase formatted sql\n--changeset a:2\nCREATE VIEW v AS\n  -- every one\n"
                "  SELECT * FROM users;\n--rollback DROP VIEW v;\n--changeset a:3\nDELETE FROM v;\n"
                "--rollback SELECT 1;\n"}


@pytest.mark.parametrize(("base", "pr"), [(ALEMBIC_BASE, ALEMBIC_PR), (LIQUIBASE_BASE, LIQUIBASE_PR)],
                         ids=["alembic-executes", "liquibase-changesets"])
def test_a_view_made_in_another_statement_of_the_migration_is_followed(
        tmp_path: Path, base: dict[str, str], pr: dict[str, str]) -> None:
    assert_blocked(judge_files(tmp_path, base, pr), "delete-all-rows")


def test_many_statements_through_a_wide_view_stay_linear_and_fail_closed(tmp_path: Path) -> None:
    """N DELETEs on a view over N tables would be N * N operations (1,000 of each took 10 s): past
    the per-migration budget each further statement on a view is a dynamic_sql finding instead."""
    from readiness.gates.migrations.views import MAX_REACHED

    n = 400
    assert n * n > MAX_REACHED
    sql = "".join(f"CREATE TABLE t{i} (id int);\n" for i in range(n))
    sql += "CREATE VIEW v AS SELECT * FROM " + ", ".join(f"t{i}" for i in range(n)) + ";\n"
    sql += "".join(f"DELETE FROM v WHERE id = {i};\n" for i in range(n))
    done = _judge(tmp_path, sql)
    found = done.findings("migrations/dynamic-sql")
    assert found and any("through view v" in f["message"] for f in found), done.findings()
    assert done.code == 1
