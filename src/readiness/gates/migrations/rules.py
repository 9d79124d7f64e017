"""Handles on the migration rule pages (checks/migrations/*.md): the pages hold the text.

A rule added with scripts/new_rule.py holds its handle in its own check module instead."""

from __future__ import annotations

from readiness.model import RiskClass
from readiness.rules.catalog import RuleHandle, rule

UNREADABLE = rule("migrations/unreadable-file")
PARSE_ERROR = rule("migrations/parse-error")
PYTHON_SYNTAX = rule("migrations/python-syntax-error")
PATH_MATCHES_NOTHING = rule("migrations/path-matches-nothing")
DYNAMIC_SQL = rule("migrations/dynamic-sql")
SUBMODULE = rule("migrations/submodule-changed")

VOLATILE_DEFAULT = rule("migrations/volatile-default")
STORED_GENERATED = rule("migrations/stored-generated-column")
ADD_SERIAL = rule("migrations/add-serial-column")
ADD_NOT_NULL = rule("migrations/add-column-not-null")
SET_NOT_NULL = rule("migrations/set-not-null")
FK_NOT_VALID = rule("migrations/foreign-key-not-valid")
CHECK_NOT_VALID = rule("migrations/check-constraint-not-valid")
UNIQUE = rule("migrations/unique-constraint")
ADD_PK = rule("migrations/add-primary-key")
CREATE_INDEX = rule("migrations/create-index-non-concurrently")
DROP_INDEX = rule("migrations/drop-index-non-concurrently")
CONCURRENTLY_IN_TXN = rule("migrations/concurrently-in-transaction")
RENAME_COLUMN = rule("migrations/rename-column")
RENAME_TABLE = rule("migrations/rename-table")
CHANGE_TYPE = rule("migrations/change-column-type")
DROP_COLUMN = rule("migrations/drop-column")
DROP_TABLE = rule("migrations/drop-table")
TRUNCATE = rule("migrations/truncate-table")
DELETE_ALL = rule("migrations/delete-all-rows")
CREATE_RULE = rule("migrations/create-rule")
REWRITE = rule("migrations/rewrite-table")
REINDEX = rule("migrations/reindex-non-concurrently")
ENUM_IN_TXN = rule("migrations/enum-value-in-transaction")
LOCK_TIMEOUT = rule("migrations/missing-lock-timeout")
BACKFILL = rule("migrations/unbatched-backfill")
MIXED = rule("migrations/mixed-data-and-schema")
IRREVERSIBLE = rule("migrations/irreversible-migration")
LOSSY_DOWN = rule("migrations/lossy-down")
DETACH = rule("migrations/detach-partition-non-concurrently")
REFRESH = rule("migrations/refresh-materialized-view-non-concurrently")
LOCK_TABLE = rule("migrations/lock-table")
RENAME_OBJECT = rule("migrations/rename-object")
SET_SCHEMA = rule("migrations/set-schema")
DROP_VIEW = rule("migrations/drop-view")
DROP_FUNCTION = rule("migrations/drop-function")
DROP_TYPE = rule("migrations/drop-type")
DROP_SEQUENCE = rule("migrations/drop-sequence")
DROP_EXTENSION = rule("migrations/drop-extension")
ALTER_DOMAIN = rule("migrations/alter-domain-constraint")
CREATE_DOMAIN_CHECK = rule("migrations/create-domain-with-check")
DROP_DEFAULT = rule("migrations/drop-default-not-null")
EXCLUSION = rule("migrations/exclusion-constraint")
VALIDATE_SAME_TXN = rule("migrations/validate-in-same-transaction")
NESTED_TXN = rule("migrations/nested-transaction")
UNCLOSED_TXN = rule("migrations/unclosed-transaction")
ENDED_EARLY = rule("migrations/transaction-ended-early")
IDENTIFIER_TOO_LONG = rule("migrations/identifier-too-long")
INT_PK = rule("migrations/int-primary-key")
TIMESTAMP_NO_TZ = rule("migrations/timestamp-without-time-zone")
CHAR_COLUMN = rule("migrations/char-column")

ESCALATING = frozenset({
    CREATE_INDEX.id, DROP_INDEX.id, FK_NOT_VALID.id, CHECK_NOT_VALID.id, SET_NOT_NULL.id, UNIQUE.id,
    ADD_PK.id, BACKFILL.id, REINDEX.id, MIXED.id, REFRESH.id, EXCLUSION.id, VALIDATE_SAME_TXN.id,
})
"""Rules whose harm grows with the table's size: one class higher on a `large_tables` table."""


_RISKS: dict[str, RiskClass] = {}


def risk_of(handle: RuleHandle) -> RiskClass:
    """The risk class written on the rule's page (`risk:`), or the one its severity implies."""
    risk = _RISKS.get(handle.id)
    if risk is None:
        value = handle.rule.meta.get("risk")
        if value is not None:
            risk = RiskClass(str(value))
        elif handle.severity.value in RiskClass.__members__.values():
            risk = RiskClass(handle.severity.value)
        else:
            risk = RiskClass.LOW
        _RISKS[handle.id] = risk
    return risk


def escalate(risk: RiskClass) -> RiskClass:
    """One class up, capped at critical (avoid stays avoid)."""
    order = [RiskClass.LOW, RiskClass.MEDIUM, RiskClass.HIGH, RiskClass.CRITICAL]
    if risk in (RiskClass.CRITICAL, RiskClass.AVOID):
        return risk
    return order[order.index(risk) + 1]
