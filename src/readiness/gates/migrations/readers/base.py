"""What every reader of a migration format gives (`Analysis`) and gets (`Run`), and the protocol
a reader implements: `read(run, cand, text, out) -> Analysis | None` (None: not a migration, or
already reported in `out`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Protocol

from readiness.gates.base import GateContext, GateOutcome
from readiness.gates.migrations.checks import need
from readiness.gates.migrations.discover import NO_DOWN_FORMATS, Candidate
from readiness.gates.migrations.history import ASKING, History
from readiness.gates.migrations.ops import Action, Op
from readiness.gates.migrations.pgtree import statement_ops
from readiness.gates.migrations.runners import Detector, Runner
from readiness.gates.migrations.sql import Origin, SqlError, parse
from readiness.gates.migrations.transactions import TxMode
from readiness.workspace import Workspace

if TYPE_CHECKING:
    import ast

    from readiness.gates.migrations.django import DjangoHistory

A = Action

@dataclass(slots=True)
class Analysis:
    """One migration, analysed."""

    fmt: str
    ops: list[Op] = field(default_factory=list)
    down_ops: list[Op] = field(default_factory=list)
    errors: list[tuple[str, SqlError]] = field(default_factory=list)
    statements: int = 0
    mode: TxMode = TxMode.WRAPPED
    has_down_concept: bool = True
    down_state: str = "missing"
    """missing | empty | present | n/a."""
    down_where: tuple[str, int, int] | None = None
    irreversible: list[tuple[int, int, str]] = field(default_factory=list)
    lossy: list[Op] = field(default_factory=list)
    python: bool = False
    changesets: bool = False
    """A Liquibase changelog: reversibility is judged per changeset (`irreversible`)."""
    runner: Runner | None = None
    """The tool assumed to run it, and how (None: the format's own, for Python and Liquibase)."""
    tx_source: str = "tool"
    """Where the transaction mode comes from: the tool's default (`tool`), the file itself
    (`file`: dbmate transaction:false, goose NO TRANSACTION, .autocommit, .conf), or `configured`."""
    tree: ast.Module | None = None
    """A Python migration's syntax tree, when diffing (its `unchanged` units, should the PR edit it)."""

    def needs_history(self) -> bool:
        """An SQL migration judged against what earlier migrations left (types, NOT NULL, checks)."""
        return not self.python and any(op.action in ASKING for op in self.ops)


@dataclass(slots=True)
class Run:
    """What every migration of one run is judged with."""

    ctx: GateContext
    every: list[Candidate]
    """Every migration candidate (copies set aside): the sequences history is read from."""
    large: Mapping[str, int | None]
    history: History
    detector: Detector
    django: DjangoHistory | None = None
    """The app states of Django migrations (made when the first one is judged)."""

    @property
    def ws(self) -> Workspace:
        return self.ctx.workspace


def sql_ops(text: str, origin: Origin | None = None, *, trees: bool = True,
            views: dict[str, str] | None = None) -> tuple[list[Op], list[SqlError], int]:
    """The operations of `text`, its parse errors and its statement count (`views`: see statement_ops)."""
    stmts, errors = parse(text, origin, trees=trees)
    ops = statement_ops(stmts, views) if trees else []
    return ops, errors, len(stmts)


RECREATES = frozenset({A.DROP_COLUMN, A.DROP_TABLE})
"""Up operations whose lossy-down check looks for the down's re-creating statement; a down
migration whose up has none of them is only checked for parsing and emptiness, not decoded."""
need(*RECREATES, A.TRUNCATE, A.DELETE, A.ADD_COLUMN, A.CREATE_TABLE)  # what the reversibility checks read


class Reader(Protocol):
    """Reads one migration file of a format family into an `Analysis`."""

    def read(self, run: Run, cand: Candidate, text: str, out: GateOutcome) -> Analysis | None:
        """The migration analysed (None when the file is no migration, or could not be read: then
        `out` says why)."""
        ...


def analyse_up(run: Run, cand: Candidate, an: Analysis, up_text: str, up_line: int, runner: Runner) -> None:
    """The part every SQL reader shares: the configuration's `transactional` over the tool's mode,
    then the up text parsed into operations."""
    tx_cfg = run.ctx.config.migrations_gate.transactional
    if tx_cfg is not None:  # the configuration says how the tool runs these files
        runner, an.tx_source = replace(runner, mode=TxMode.WRAPPED if tx_cfg else TxMode.AUTOCOMMIT), "configured"
    an.runner, an.mode = runner, runner.mode
    an.ops, errors, an.statements = sql_ops(up_text, Origin(line=up_line))
    an.errors = [(cand.path, e) for e in errors]
    an.has_down_concept = an.fmt not in NO_DOWN_FORMATS
