"""Replay SQL migrations on a real PostgreSQL and observe what each statement does.

The public surface: `replay()` and the data model. psycopg and the server are only touched when
`replay()` runs, so importing this package costs nothing at start-up.
"""

from __future__ import annotations

from readiness.replay.model import (
    CatalogChange,
    ChangeAction,
    Difference,
    DifferenceKind,
    FailureKind,
    HistoryFailure,
    Limits,
    Lock,
    LockMode,
    Migration,
    MigrationResult,
    RelationKind,
    Replayed,
    Reversibility,
    Rewrite,
    Scan,
    ServerError,
    Skipped,
    Statement,
    StatementResult,
    StatementStatus,
    TxMode,
    UnindexedForeignKey,
    Validation,
)
from readiness.replay.run import replay

__all__ = [
    "CatalogChange", "ChangeAction", "Difference", "DifferenceKind", "FailureKind", "HistoryFailure", "Limits",
    "Lock", "LockMode", "Migration", "MigrationResult", "RelationKind", "Replayed", "Reversibility", "Rewrite",
    "Scan", "ServerError", "Skipped", "Statement", "StatementResult", "StatementStatus", "TxMode",
    "UnindexedForeignKey", "Validation", "replay",
]
