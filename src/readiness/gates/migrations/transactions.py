"""The transaction model: how a migration tool runs a file, and which transaction each operation
runs in (the format's mode, explicit BEGIN/COMMIT, Liquibase changesets, Alembic's
`autocommit_block`). CONCURRENTLY fails inside one; a lock taken inside one is held until it ends."""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence

from readiness import lazyre
from readiness.gates.migrations.ops import Action, Op


class TxMode(enum.StrEnum):
    """How the migration tool runs a file."""

    WRAPPED = "wrapped"
    """The whole migration runs in one transaction (dbmate, goose, diesel, Alembic, Django atomic, and
    Flyway unless every statement is one it runs outside a transaction: `TxMode.flyway`)."""
    IMPLICIT = "implicit"
    """Sent as one multi-statement string: one implicit transaction when it holds more than one
    statement, none for a lone statement (golang-migrate, Prisma)."""
    AUTOCOMMIT = "autocommit"
    """Each statement commits on its own unless the file says BEGIN (psql -f, sqitch, atomic=False)."""

    @staticmethod
    def flyway(text: str) -> TxMode:
        """Flyway's mode for one SQL migration on PostgreSQL: it runs each migration in a transaction,
        except one whose statements are all of the kinds its PostgreSQL parser marks as unable to run
        in one (`detectCanExecuteInTransaction`), which it runs without. A migration that mixes both is
        refused unless `mixed=true`, so it is judged as wrapped: the non-transactional statement fails."""
        if not _FLYWAY_HINT.search(text):
            return TxMode.WRAPPED
        from pglast import parser

        try:
            slices = parser.split(text, with_parser=False, only_slices=True)
        except parser.ParseError:
            return TxMode.WRAPPED
        heads = [" ".join(_LEADING_JUNK.sub("", text[sl.start:sl.stop], count=1).split()[:5]).upper()
                 for sl in slices]
        heads = [h for h in heads if h]
        if heads and all(_FLYWAY_NO_TX.match(h) for h in heads):
            return TxMode.AUTOCOMMIT
        return TxMode.WRAPPED

    @staticmethod
    def flyway_script_config(conf: str) -> TxMode | None:
        """The mode a Flyway script configuration file (`V1__x.sql.conf` beside the script) forces
        with `executeInTransaction=true|false`, or None when it says nothing about it."""
        m = _FLYWAY_CONF_TX.search(conf)
        if m is None:
            return None
        return TxMode.WRAPPED if m.group(1).lower() == "true" else TxMode.AUTOCOMMIT


_FLYWAY_NO_TX = lazyre.compile(
    r"(?:(?:CREATE|DROP) (?:DATABASE|TABLESPACE|SUBSCRIPTION)|ALTER SYSTEM|(?:CREATE|DROP)(?: UNIQUE)? INDEX "
    r"CONCURRENTLY|REINDEX(?: VERBOSE)? (?:SCHEMA|DATABASE|SYSTEM)|VACUUM|DISCARD ALL)\b")
"""Statement heads Flyway runs outside a transaction on PostgreSQL 12+ (flyway-database-postgresql,
PostgreSQLParser.detectCanExecuteInTransaction); before 12 also ALTER TYPE ... ADD VALUE."""
_FLYWAY_CONF_TX = lazyre.compile(r"^[ \t]*(?:flyway\.)?executeInTransaction[ \t]*=[ \t]*(true|false)[ \t]*$",
                                 re.MULTILINE | re.IGNORECASE)
_FLYWAY_HINT = lazyre.compile(r"\b(?:CONCURRENTLY|DATABASE|TABLESPACE|SUBSCRIPTION|SYSTEM|VACUUM|DISCARD)\b",
                              re.IGNORECASE)
"""A cheap test before splitting: a file with none of these words is wrapped."""
_LEADING_JUNK = lazyre.compile(r"(?:\s+|--[^\n]*|/\*.*?\*/)*", re.DOTALL)


def transactions(ops: Sequence[Op], mode: TxMode, statements: int, *, one_query: bool = False) -> list[int | None]:
    """Per operation, the id of the transaction it runs in (None: autocommitted on its own).

    WRAPPED: the tool's transaction, until a COMMIT or ROLLBACK in the file ends it; after that,
    statements run on their own (tools that send statements one by one) or, when the tool sends
    the file as one query string (`one_query`), in PostgreSQL's implicit transaction block, which
    every statement of a multi-statement query string runs in. IMPLICIT (more than one statement):
    implicit blocks, a new one after each COMMIT. An explicit BEGIN opens one until its COMMIT.
    Each Liquibase changeset (`unit`) and each stretch of Alembic's autocommit_block starts afresh."""
    out: list[int | None] = []
    counter = 0
    explicit: int | None = None
    multi = mode is TxMode.IMPLICIT and statements > 1
    implicit_after = one_query or multi
    tool: int | None = None
    unit: int | None = None
    outside = False
    for op in ops:
        if op.unit != unit or (outside and not op.autocommit):
            unit, explicit, outside = op.unit, None, False
            tool = None
            if mode is TxMode.WRAPPED or multi:
                counter += 1
                tool = counter
        if op.autocommit and explicit is None:
            outside = True
            out.append(None)
            continue
        if op.action is Action.BEGIN:
            if explicit is None:
                if tool is not None:  # BEGIN inside an open transaction: ignored, the outer one goes on
                    explicit = tool
                else:
                    counter += 1
                    explicit = counter
            out.append(explicit)
            continue
        if op.action is Action.COMMIT:
            out.append(explicit if explicit is not None else tool)
            explicit = None
            tool = None
            if implicit_after:  # the rest of the query string: a new implicit block
                counter += 1
                tool = counter
            continue
        out.append(explicit if explicit is not None else tool)
    return out
