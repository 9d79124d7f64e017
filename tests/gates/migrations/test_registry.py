"""The check registry: which statements get a parse tree follows from the registered checks."""

from __future__ import annotations

import pytest

from readiness.gates.migrations.checks import REGISTRY, Phase, tree_test
from readiness.gates.migrations.ops import Action
from readiness.gates.migrations.pgtree import HEADS
from readiness.gates.migrations.pgtree import tree_test as heads_test
from readiness.gates.migrations.walk import READS


@pytest.mark.parametrize("text", [
    "ALTER TABLE users ADD COLUMN a int", "create unique index i on t (a)", "CREATE TEMP TABLE t (a int)",
    "CREATE DOMAIN d AS int CHECK (VALUE > 0)", "DROP VIEW v", "TRUNCATE t", "UPDATE t SET a = 1",
    "DELETE FROM t", "VACUUM FULL t", "CLUSTER t", "REINDEX TABLE t", "REFRESH MATERIALIZED VIEW v",
    "SET lock_timeout = '1s'", "RESET lock_timeout", "BEGIN", "START TRANSACTION", "COMMIT", "END", "ROLLBACK",
    "ABORT", "LOCK TABLE t", "WITH x AS (DELETE FROM t RETURNING 1) SELECT 1", "INSERT INTO t SELECT * FROM u",
    "EXPLAIN ANALYZE DELETE FROM t", "CREATE OR REPLACE CONSTRAINT TRIGGER tr AFTER INSERT ON t EXECUTE f()",
    "COPY t FROM PROGRAM 'rm -rf /'", "copy (select 1) to '/tmp/x'",
])
def test_statements_a_check_reads_get_a_tree(text: str) -> None:
    assert tree_test()(text)


@pytest.mark.parametrize("text", [
    "SELECT 1", "INSERT INTO t VALUES (1)", "CREATE VIEW v AS SELECT 1", "CREATE FUNCTION f() RETURNS int AS 'x'",
    "COMMENT ON TABLE t IS 'x'", "GRANT SELECT ON t TO r", "COPY t FROM STDIN", "COPY t TO STDOUT",
    "COPY t FROM '/srv/seed.csv'", "DO $$ BEGIN END $$",
    "ALTERNATIVE", "SETTLE",
])
def test_statements_no_check_reads_get_none(text: str) -> None:
    assert not tree_test()(text)


def test_the_tree_test_follows_the_registered_actions() -> None:
    """A statement gets a tree only for an action something reads: drop every reader of LOCK
    TABLE and its statements get none."""
    assert heads_test({Action.LOCK_TABLE})("LOCK TABLE t IN SHARE MODE")
    assert not heads_test(REGISTRY.actions() - {Action.LOCK_TABLE} | READS)("LOCK TABLE t IN SHARE MODE")
    assert not heads_test(set())("ALTER TABLE t DROP COLUMN a")


def test_every_action_read_has_a_statement_head_or_is_read_without_a_tree() -> None:
    untreed = {Action.INSERT, Action.DO, Action.DYNAMIC_SQL, Action.RUN_PYTHON, Action.OTHER, Action.DDL}
    # create_object comes from CREATE DOMAIN (tree) and from the untreed CREATE heads
    assert REGISTRY.actions() | READS <= set(HEADS) | untreed


def test_placement_runs_before_table_rules_and_stops_them() -> None:
    """CONCURRENTLY inside a transaction is one finding, not also the index rule's."""
    placement = REGISTRY.checks[Phase.PLACEMENT].get(Action.CREATE_INDEX, [])
    table = REGISTRY.checks[Phase.TABLE].get(Action.CREATE_INDEX, [])
    assert placement and table
