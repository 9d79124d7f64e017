"""What every reader of a migration format gives (`Analysis`) and gets (`Run`), and the protocol
a reader implements: `read(run, cand, text, out) -> Analysis | None` (None: not a migration, or
already reported in `out`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, NamedTuple, Protocol

from readiness.gates.base import GateContext, GateOutcome
from readiness.gates.migrations.checks import need
from readiness.gates.migrations.discover import NO_DOWN_FORMATS, Candidate
from readiness.gates.migrations.history import ASKING, History, maybe_created_table
from readiness.gates.migrations.ops import Action, Op
from readiness.gates.migrations.pgtree import statement_ops
from readiness.gates.migrations.runners import Detector, Runner, Unread
from readiness.gates.migrations.sql import Origin, SqlError, normalize, parse
from readiness.gates.migrations.transactions import TxMode
from readiness.workspace import Workspace

if TYPE_CHECKING:
    import ast

    from readiness.gates.migrations.django import DjangoHistory
    from readiness.gates.migrations.flywayconf import Flyway
    from readiness.gates.migrations.lbprops import Properties
    from readiness.gates.migrations.pymodules import RepoModules

A = Action


class Part(NamedTuple):
    """One changeset of a Liquibase changelog, as the split into history and PR needs it (gate.py)."""

    unit: int
    """Its `unit` number on the operations (1-based, in file order)."""
    line: int
    """The file line it starts at."""
    ident: str
    """`author:id`: with the changelog's path, what Liquibase records as applied."""
    text: str
    """What its checksum covers, whitespace collapsed: a change to it makes `runOnChange` run it again."""
    reruns: str
    """`always` (runAlways), `change` (runOnChange) or ``."""


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
    parts: list[Part] = field(default_factory=list)
    """A Liquibase changelog's changesets (those judged), in file order."""

    def needs_history(self) -> bool:
        """An SQL migration judged against what earlier migrations left (types, NOT NULL, checks)."""
        return not self.python and any(op.action in ASKING or maybe_created_table(op) for op in self.ops)


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
    flyway: Flyway | None = None
    """The Flyway configuration of the base and the PR (its placeholders' values)."""
    modules: RepoModules | None = None
    """The repository's own Python modules (made when the first Python migration is judged)."""
    liquibase_properties: Properties | None = None
    """The properties every Liquibase changelog of the repository defines (made when first needed)."""

    @property
    def ws(self) -> Workspace:
        return self.ctx.workspace


def sql_ops(text: str, origin: Origin | None = None, *, trees: bool = True,
            earlier: Callable[[str], tuple[str, str] | None] | None = None,
            views: dict[str, str] | None = None) -> tuple[list[Op], list[SqlError], int]:
    """The operations of `text`, its parse errors and its statement count (`earlier`, `views`: see statement_ops)."""
    stmts, errors = parse(text, origin, trees=trees)
    ops = statement_ops(stmts, earlier, views) if trees else []
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
    an.ops, errors, an.statements = sql_ops(up_text, Origin(line=up_line),
                                            earlier=run.history.earlier_routines(run.ws, cand))
    an.errors = [(cand.path, e) for e in errors]
    an.has_down_concept = an.fmt not in NO_DOWN_FORMATS


def add_unread(an: Analysis, text: str, unread: Sequence[Unread], what: str) -> None:
    """Text the runner writes into the migration that cannot be known here (a template action, a
    placeholder whose value the pull request sets where it cannot be read) as `dynamic_sql`
    operations at their places, among the others by line: what cannot be read fails closed."""
    if not unread:
        return
    extra: list[Op] = []
    line, at = 1, 0
    for u in sorted(unread):
        line += text.count("\n", at, u.offset)
        at = u.offset
        col = u.offset - text.rfind("\n", 0, u.offset)
        snippet = " ".join(u.text.split())[:200]
        extra.append(Op(action=A.DYNAMIC_SQL, detail=f"{what} `{snippet}`", line=line, col=col, end_line=line,
                        evidence=normalize(u.text)))
    an.ops = sorted([*an.ops, *extra], key=lambda op: op.line)
