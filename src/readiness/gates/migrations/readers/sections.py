"""dbmate and goose: one file with an up and a down section, and the transaction mode its markers
set (`-- migrate:up transaction:false`, `-- +goose NO TRANSACTION`)."""

from __future__ import annotations

from dataclasses import replace

from readiness.gates.base import GateOutcome
from readiness.gates.migrations.discover import Candidate
from readiness.gates.migrations.ops import Action
from readiness.gates.migrations.readers.base import RECREATES, Analysis, Run, add_unread, analyse_up, sql_ops
from readiness.gates.migrations.runners import BY_FORMAT, Unread
from readiness.gates.migrations.sql import (
    DBMATE_DOWN,
    DBMATE_UP,
    GOOSE_ENVSUB,
    Origin,
    dbmate_transaction,
    goose_envsub,
    goose_sections,
    is_goose,
    sections,
)
from readiness.gates.migrations.transactions import TxMode

DECIDED_BY_NAMES = frozenset({
    Action.DELETE, Action.UPDATE, Action.TRUNCATE, Action.DROP_TABLE, Action.DROP_COLUMN, Action.DROP_OBJECT,
    Action.DROP_INDEX, Action.DROP_CONSTRAINT, Action.DROP_NOT_NULL, Action.DROP_DEFAULT, Action.ALTER_TYPE,
    Action.DETACH_PARTITION, Action.RENAME_TABLE, Action.RENAME_COLUMN, Action.RENAME_OBJECT, Action.SET_SCHEMA,
    Action.INSERT_SELECT, Action.DYNAMIC_SQL})
"""Operations where a name or a condition decides what is destroyed or filtered: an environment
variable whose value is the runner's, in one of them, is not judged as a harmless name."""


def is_sectioned(cand: Candidate, text: str) -> bool:
    """A plain .sql file with dbmate or goose up/down markers."""
    return cand.format == "sql" and (DBMATE_UP.search(text) is not None or is_goose(text))


class SectionsReader:
    """dbmate and goose files."""

    def read(self, run: Run, cand: Candidate, text: str, out: GateOutcome) -> Analysis:
        unknown: list[tuple[int, str]] = []
        if DBMATE_UP.search(text):
            an = Analysis(fmt="dbmate")
            (up_text, up_line), down_text = sections(text, DBMATE_UP, DBMATE_DOWN)
            runner = BY_FORMAT["dbmate"]
            if not dbmate_transaction(text):
                # the up section is then sent as one query string: one implicit transaction
                runner, an.tx_source = replace(runner, mode=TxMode.IMPLICIT), "file"
        else:
            an = Analysis(fmt="goose")
            text, unknown = goose_envsub(text) if GOOSE_ENVSUB.search(text) else (text, [])
            (up_text, up_line), down_text, no_tx = goose_sections(text)
            runner = BY_FORMAT["goose"]
            if no_tx:
                runner, an.tx_source = replace(runner, mode=TxMode.AUTOCOMMIT), "file"
        analyse_up(run, cand, an, up_text, up_line, runner)
        if unknown:  # the runner's value decides what a statement destroys or filters: fails closed
            add_unread(an, text, _deciding(text, unknown, an), "the environment variable")
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


def _deciding(text: str, unknown: list[tuple[int, str]], an: Analysis) -> list[Unread]:
    """The variables (offsets ascending) on a line of a statement that destroys or filters, in one
    pass over both (sorted) lists."""
    spans = sorted((op.line, op.end_line or op.line) for op in an.ops if op.action in DECIDED_BY_NAMES)
    out: list[Unread] = []
    line, prev, i, reach = 1, 0, 0, 0
    for at, what in unknown:
        line += text.count("\n", prev, at)
        prev = at
        while i < len(spans) and spans[i][0] <= line:
            reach = max(reach, spans[i][1])
            i += 1
        if i and reach >= line:
            out.append(Unread(at, what))
    return out
