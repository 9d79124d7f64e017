"""dbmate and goose: one file with an up and a down section, and the transaction mode its markers
set (`-- migrate:up transaction:false`, `-- +goose NO TRANSACTION`)."""

from __future__ import annotations

from dataclasses import replace

from readiness.gates.base import GateOutcome
from readiness.gates.migrations.discover import Candidate
from readiness.gates.migrations.readers.base import RECREATES, Analysis, Run, analyse_up, sql_ops
from readiness.gates.migrations.runners import BY_FORMAT
from readiness.gates.migrations.sql import (
    DBMATE_DOWN,
    DBMATE_UP,
    GOOSE_ENVSUB,
    Origin,
    dbmate_transaction,
    fill_placeholders,
    goose_sections,
    is_goose,
    sections,
)
from readiness.gates.migrations.transactions import TxMode


def is_sectioned(cand: Candidate, text: str) -> bool:
    """A plain .sql file with dbmate or goose up/down markers."""
    return cand.format == "sql" and (DBMATE_UP.search(text) is not None or is_goose(text))


class SectionsReader:
    """dbmate and goose files."""

    def read(self, run: Run, cand: Candidate, text: str, out: GateOutcome) -> Analysis:
        if DBMATE_UP.search(text):
            an = Analysis(fmt="dbmate")
            (up_text, up_line), down_text = sections(text, DBMATE_UP, DBMATE_DOWN)
            runner = BY_FORMAT["dbmate"]
            if not dbmate_transaction(text):
                # the up section is then sent as one query string: one implicit transaction
                runner, an.tx_source = replace(runner, mode=TxMode.IMPLICIT), "file"
        else:
            an = Analysis(fmt="goose")
            (up_text, up_line), down_text, no_tx = goose_sections(
                fill_placeholders(text) if GOOSE_ENVSUB.search(text) else text)
            runner = BY_FORMAT["goose"]
            if no_tx:
                runner, an.tx_source = replace(runner, mode=TxMode.AUTOCOMMIT), "file"
        analyse_up(run, cand, an, up_text, up_line, runner)
        if down_text is None:
            an.down_state = "missing"
        else:
            dops, derr, n = sql_ops(down_text[0], Origin(line=down_text[1]),
                                    trees=any(o.action in RECREATES for o in an.ops))
            an.down_ops = dops
            an.errors.extend((cand.path, e) for e in derr)
            an.down_state = "present" if n else "empty"
            an.down_where = (cand.path, down_text[1], 1)
        return an
