"""Liquibase formatted-SQL changelogs: each changeset its own transaction (or none, with
`runInTransaction:false`), its `--rollback` the down, judged per changeset."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import replace

from readiness.gates.base import GateOutcome
from readiness.gates.migrations import liquibase
from readiness.gates.migrations.discover import Candidate
from readiness.gates.migrations.pgtree import statement_ops
from readiness.gates.migrations.readers.base import Analysis, Run, sql_ops
from readiness.gates.migrations.sql import Origin, Statement, fill_placeholders, parse
from readiness.gates.migrations.transactions import TxMode


class ChangelogReader:
    """Liquibase changelogs (`--liquibase formatted sql`)."""

    def read(self, run: Run, cand: Candidate, text: str, out: GateOutcome) -> Analysis:
        an = Analysis(fmt="liquibase", changesets=True, down_state="n/a")
        in_txn = False
        units: list[tuple[int, int, bool]] = []  # (first line, unit, runs in a transaction) per changeset judged
        stmts: list[Statement] = []
        for unit, cs in enumerate(liquibase.changesets(text), start=1):
            if not cs.for_postgres:
                continue
            # a precondition's SQL runs before the changeset's
            parts = [*((check, Origin(line=line, column=column)) for line, column, check in cs.checks),
                     (cs.sql, Origin(line=cs.sql_line))]
            n = 0
            for part, origin in parts:
                part_stmts, errors = parse(fill_placeholders(part), origin)
                stmts.extend(part_stmts)
                an.errors.extend((cand.path, e) for e in errors)
                n += len(part_stmts)
            units.append((cs.line, unit, cs.in_transaction))
            an.statements += n
            in_txn = in_txn or (cs.in_transaction and n > 0)
            if not n:
                continue  # comments only: nothing to roll back
            if cs.rollback_state == "present":
                dops, derr, dn = sql_ops(fill_placeholders(cs.rollback), Origin(line=cs.sql_line))
                an.down_ops.extend(dops)
                an.errors.extend((cand.path, e) for e in derr)
                if an.down_where is None:
                    an.down_where = (cand.path, cs.sql_line, 1)
                if dn or derr:
                    continue
            why = ("its rollback is declared empty" if cs.rollback_state == "empty"
                   else "it has no --rollback, and Liquibase cannot generate one for SQL")
            an.irreversible.append((cs.line, 1, f"changeset {cs.ident}: {why}"))
        # one pass over every changeset's statements: a routine one changeset creates runs its body
        # where a later changeset (or its precondition) calls it
        starts = [first for first, _, _ in units]
        for op in statement_ops(stmts):
            _, unit, in_transaction = units[max(bisect_right(starts, op.line) - 1, 0)]
            an.ops.append(replace(op, unit=unit, autocommit=op.autocommit or not in_transaction))
        an.mode = TxMode.WRAPPED if in_txn else TxMode.AUTOCOMMIT
        return an
