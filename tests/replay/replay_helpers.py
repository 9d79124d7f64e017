"""Helpers of the replay tests: statements from strings, and replays against the session server."""

from __future__ import annotations

from collections.abc import Sequence

from readiness.replay import Limits, Migration, MigrationResult, Replayed, Statement, TxMode, replay


def stmts(*sqls: str) -> tuple[Statement, ...]:
    """One statement per line, numbered from 1."""
    return tuple(Statement(sql=s, line=i + 1) for i, s in enumerate(sqls))


def mig(id: str, *sqls: str, mode: TxMode = TxMode.WRAPPED, down: Sequence[str] | None = None) -> Migration:
    return Migration(id=id, statements=stmts(*sqls), mode=mode,
                     down=None if down is None else stmts(*down))


class Run:
    """Replays against the session server."""

    def __init__(self, url: str) -> None:
        self.url = url

    def __call__(self, history: Sequence[Migration], pr: Sequence[Migration], **limits: float) -> Replayed:
        result = replay(history, pr, database_url=self.url, limits=Limits(**limits))  # type: ignore[arg-type]
        assert isinstance(result, Replayed), result
        return result

    def one(self, history_sql: Sequence[str], *pr_sql: str, mode: TxMode = TxMode.WRAPPED,
            **limits: float) -> MigrationResult:
        """The result of one PR migration after a one-migration history."""
        history = [mig("0001_history", *history_sql)] if history_sql else []
        result = self(history, [mig("0002_pr", *pr_sql, mode=mode)], **limits)
        assert result.history_clean, result.history_failures
        return result.migrations[0]



TABLE = ("CREATE TABLE t (id int PRIMARY KEY, a int, v varchar(10), pid int)",
         "INSERT INTO t SELECT g, g, 'x', NULL FROM generate_series(1, 1000) g",
         "CREATE TABLE p (id int PRIMARY KEY)", "INSERT INTO p VALUES (1)")
"""A history with a table that holds rows, and a table to reference."""
