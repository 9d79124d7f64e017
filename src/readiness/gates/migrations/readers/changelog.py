"""Liquibase formatted-SQL changelogs: each changeset its own transaction (or none, with
`runInTransaction:false`), its `--rollback` the down, judged per changeset."""

from __future__ import annotations

from dataclasses import replace

from readiness.gates.base import GateOutcome
from readiness.gates.migrations import liquibase
from readiness.gates.migrations.discover import Candidate
from readiness.gates.migrations.readers.base import RECREATES, Analysis, Run, sql_ops
from readiness.gates.migrations.sql import Origin, fill_placeholders
from readiness.gates.migrations.transactions import TxMode
from readiness.gates.migrations.views import through_views


class ChangelogReader:
    """Liquibase changelogs (`--liquibase formatted sql`)."""

    def read(self, run: Run, cand: Candidate, text: str, out: GateOutcome) -> Analysis:
        an = Analysis(fmt="liquibase", changesets=True, down_state="n/a")
        in_txn = False
        views: dict[str, str] = {}  # DML on a view an earlier changeset creates reaches its tables
        for unit, cs in enumerate(liquibase.changesets(text), start=1):
            if not cs.for_postgres:
                continue
            ops, errors, n = sql_ops(fill_placeholders(cs.sql), Origin(line=cs.sql_line), views=views)
            # each changeset is its own transaction (or none, with runInTransaction:false)
            ops = [replace(o, unit=unit, autocommit=o.autocommit or not cs.in_transaction) for o in ops]
            an.ops.extend(ops)
            an.errors.extend((cand.path, e) for e in errors)
            an.statements += n
            in_txn = in_txn or (cs.in_transaction and n > 0)
            if not n:
                continue  # comments only: nothing to roll back
            if cs.rollback_state == "present":
                dops, derr, dn = sql_ops(fill_placeholders(cs.rollback), Origin(line=cs.sql_line),
                                          trees=any(o.action in RECREATES for o in ops))
                an.down_ops.extend(dops)
                an.errors.extend((cand.path, e) for e in derr)
                if an.down_where is None:
                    an.down_where = (cand.path, cs.sql_line, 1)
                if dn or derr:
                    continue
            why = ("its rollback is declared empty" if cs.rollback_state == "empty"
                   else "it has no --rollback, and Liquibase cannot generate one for SQL")
            an.irreversible.append((cs.line, 1, f"changeset {cs.ident}: {why}"))
        an.ops = through_views(an.ops, views)
        an.mode = TxMode.WRAPPED if in_txn else TxMode.AUTOCOMMIT
        return an
