"""The migration risk gate: discover, parse, judge, and report one item per migration.

Scope: on a full scan (no `--base`) every migration is judged and listed. When diffing, only
migrations the PR adds or changes (the up file or its down file) are judged and listed; the others
are history and are neither judged nor listed, unless `scope: all`, which judges and lists them
all (their findings are then marked `introduced: false` by the engine).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from readiness.config import as_globs
from readiness.gates.base import GateContext, GateOutcome, unreadable
from readiness.gates.migrations import contract, liquibase, parallel, unchanged
from readiness.gates.migrations import rules as R
from readiness.gates.migrations.classify import Context, Hit, TxMode, judge
from readiness.gates.migrations.discover import NO_DOWN_FORMATS, Candidate, copies, discover, unmatched
from readiness.gates.migrations.history import ASKING, History, State, order, root
from readiness.gates.migrations.ops import Op, from_statement
from readiness.gates.migrations.runners import (
    BY_FORMAT,
    POPX_AUTOCOMMIT,
    SQLX_NO_TX,
    Detector,
    Runner,
    fill_templates,
)
from readiness.gates.migrations.sql import (
    DBMATE_DOWN,
    DBMATE_UP,
    GOOSE_DOWN,
    GOOSE_NO_TX,
    GOOSE_UP,
    Origin,
    SqlError,
    parse,
    sections,
)
from readiness.model import Finding, GateId, Item, Location, RiskClass
from readiness.workspace import FileProblem, Workspace

if TYPE_CHECKING:
    import ast

    from readiness.gates.migrations.django import DjangoHistory
    from readiness.gates.migrations.pyast import PyResult

DEFAULT_LARGE_ROWS = 1_000_000

_Judged = tuple[list[Finding], list[Item], dict[str, str], dict[str, str]]
"""One migration's findings and item, plus the texts its reads marked for inline waivers."""
_Forked = tuple[_Judged, "list[Op] | None", "_Analysis | None"]
"""A forked process's answer: what it judged, the table operations of its migration (history for
the others), and the analysis of a migration it could not judge without that history (judged here)."""


@dataclass(slots=True)
class _Analysis:
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
class _Run:
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


def _sql_ops(text: str, origin: Origin | None = None, *, trees: bool = True) -> tuple[list[Op], list[SqlError], int]:
    stmts, errors = parse(text, origin, trees=trees)
    ops = [op for st in stmts for op in from_statement(st)] if trees else []
    return ops, errors, len(stmts)


_RECREATES = frozenset({"drop_column", "drop_table"})
"""Up operations whose lossy-down check looks for the down's re-creating statement; a down
migration whose up has none of them is only checked for parsing and emptiness, not decoded."""


class MigrationsGate:
    """Migration risk."""

    id = GateId("migrations")

    def run(self, ctx: GateContext) -> GateOutcome:
        settings = ctx.settings
        ws = ctx.workspace
        paths = as_globs(settings["paths"]) if settings.get("paths") is not None else None
        candidates = discover(ws, paths)
        out = GateOutcome()
        if paths is not None:
            out.findings.extend(_unmatched_paths(ws, paths, candidates, ctx.config.source))
        if not candidates:
            out.skipped = "no migrations found" + (" under the configured paths" if paths is not None else "")
            return out
        judge_all = ctx.changes is None or settings.get("scope") == "all"
        dups = copies(ws, candidates, ctx.touched)
        if dups:  # a legacy copy of a migration is judged once, where it is kept (or touched)
            candidates = [c for c in candidates if c.path not in dups]
        chosen = [c for c in candidates if judge_all or ctx.touched(c.path)
                  or (c.down_path is not None and ctx.touched(c.down_path))]
        if not chosen:
            out.skipped = (f"the PR adds or changes no migration ({len(candidates)} in the repository are history "
                           "and were not judged; set scope: all to judge them)")
            return out
        run = _Run(ctx=ctx, every=candidates, large=_large_tables(settings), history=History(candidates),
                   detector=Detector(ws))
        history = run.history
        pending: list[tuple[Candidate, _Analysis]] = []
        workers = parallel.workers_for(len(chosen) + sum(c.down_path is not None for c in chosen))
        if workers == 1:
            # A full scan judges each directory in apply order, carrying its state forward; a PR's
            # few migrations are judged once the history they ask about is read (see History).
            running = judge_all
            for cand in sorted(chosen, key=lambda c: (root(c), order(c))) if running else chosen:
                an = self._one(run, cand, out, running=running)
                if an is not None:
                    pending.append((cand, an))
        else:
            import pglast.parser  # noqa: F401 - imported once here, inherited by the forked children

            def one(i: int) -> _Forked:
                sub = GateOutcome()
                marked, readers = ws.marked, ws.readers
                ws.marked, ws.readers = {}, {}
                try:
                    an = self._one(run, chosen[i], sub)
                    return (sub.findings, sub.items, ws.marked, ws.readers), history.known(chosen[i].path), an
                finally:
                    ws.marked, ws.readers = marked, readers

            # Each process sends back its migrations' table operations (history for the others) and
            # the analyses of the migrations that need that history; those are judged here.
            weights = [ws.size(c.path) + (ws.size(c.down_path) if c.down_path else 0) for c in chosen]
            results = parallel.fork_map(one, len(chosen), workers, weights)
            for cand, ((findings, items, marked, readers), known, an) in zip(chosen, results, strict=True):
                out.findings.extend(findings)
                out.items.extend(items)
                for rel, text in marked.items():  # as if read here, in the same order
                    ws.marked.setdefault(rel, text)
                for rel, reader in readers.items():
                    ws.readers.setdefault(rel, reader)
                if known is not None:
                    history.remember(cand.path, known)
                if an is not None:
                    pending.append((cand, an))
        if pending:  # the migrations judged against their directory's history, replayed once
            states = history.states(ws, [(cand, an.ops) for cand, an in pending])
            for cand, an in pending:
                self._finish(run, cand, an, out, states.get(cand.path, {}))
        out.items.sort(key=lambda i: str(i.data.get("path")))
        if dups:
            by_path = {str(i.data.get("path")): i for i in out.items}
            for copy, kept in sorted(dups.items()):
                if kept in by_path:
                    data = {**by_path[kept].data, "path": copy, "down_path": None, "duplicate_of": kept}
                    out.items.append(Item(data))
        if not out.items and not out.findings:
            out.skipped = "no migrations found (the candidate files hold no migration)"
        return out

    # ------------------------------------------------------------------------------------------
    def _one(self, run: _Run, cand: Candidate, out: GateOutcome, *, running: bool = False) -> _Analysis | None:
        """Read and judge one migration; the analysis instead, when it needs its directory's history
        (unless `running`: this run judges each directory in apply order, and the history so far is known)."""
        ws = run.ws
        try:
            text = ws.read_text(cand.path)
        except FileProblem as problem:
            out.findings.append(unreadable(R.UNREADABLE, problem))
            return None
        if cand.format == "python":
            an = self._python(run, cand, text, out)
            if an is None:
                return None
        elif liquibase.is_changelog(text):
            an = self._liquibase(cand, text)
        else:
            an = self._sql(run, cand, text, out)
        if running and not an.python:  # this run judges the directory in apply order: carried forward
            self._finish(run, cand, an, out, run.history.step(ws, cand, an.ops))
            return None
        if not an.python:
            run.history.remember(cand.path, an.ops)  # a later migration's history, without parsing it again
        if an.needs_history():
            return an
        self._finish(run, cand, an, out, {})
        return None

    def _finish(self, run: _Run, cand: Candidate, an: _Analysis, out: GateOutcome, tables: State) -> None:
        """Judge an analysed migration, with the state its earlier migrations left on `tables`."""
        settings = run.ctx.settings
        explicit_lt = settings.get("require_lock_timeout")
        require_lt = bool(explicit_lt) if explicit_lt is not None else not an.python
        runner = an.runner or BY_FORMAT.get(an.fmt)
        hits = judge(an.ops, Context(mode=an.mode, large=run.large, require_lock_timeout=require_lt, tables=tables,
                                     one_query=runner.one_query if runner else False,
                                     runner=runner.name if runner else ""),
                     statements=an.statements)
        if an.python:  # a drop of what Django's state retired earlier, or after the deploy: the contract step
            hits = contract.relax(hits, run.ctx)
        findings: list[tuple[RiskClass, Finding]] = [(hit.risk, _finding(hit, cand.path)) for hit in hits]
        for where, err in an.errors:
            findings.append((R.risk_of(R.PARSE_ERROR), R.PARSE_ERROR.finding(
                Location(path=where, line=err.line, column=err.column),
                message=f"PostgreSQL cannot parse this statement: {err.message}.", evidence=err.text)))
        # The class is the operational risk of running the migration; whether it can be rolled back
        # is the item's `reversible` and its own findings (DESIGN), never a raise of the class.
        risk = max((r for r, _ in findings), key=lambda r: r.rank, default=RiskClass.LOW)
        reversible = self._reversibility(cand, an, settings, findings)
        if run.ctx.changes is not None:  # an edited, already-applied migration: what the PR left is not its doing
            findings = unchanged.settle(run.ctx, cand.path, lambda: self._units(run, cand, an),
                                        lambda text: self._units(run, cand, None, text), findings)
        out.findings.extend(f for _, f in findings)
        transactional = an.mode is TxMode.WRAPPED or (an.mode is TxMode.IMPLICIT and an.statements > 1)
        out.items.append(Item({"path": cand.path, "format": an.fmt, "risk": risk.value, "reversible": reversible,
                               "statements": an.statements, "transactional": transactional,
                               "down_path": cand.down_path, "runner": runner.name if runner else an.fmt,
                               "transaction": "per-changeset" if an.changesets else an.mode.value,
                               "transaction_from": an.tx_source}))

    def _units(self, run: _Run, cand: Candidate, an: _Analysis | None, base: str = "") -> unchanged.Units | None:
        """The units (`unchanged`) of this version of the migration (`an`), or of the base's `base` text."""
        if an is None:
            if cand.format == "python":
                return unchanged.python_base(base)
            alone = replace(cand, down_path=None)  # the base's separate down file is not judged here
            an = self._liquibase(alone, base) if liquibase.is_changelog(base) else \
                self._sql(run, alone, base, GateOutcome())
        elif an.python:
            return unchanged.python_units(an.tree) if an.tree is not None else None
        ops = an.ops + an.down_ops if cand.down_path is None else an.ops  # a down section of the same file
        return unchanged.op_units(ops, (an.mode, an.tx_source))

    # ------------------------------------------------------------------------------------------
    def _sql(self, run: _Run, cand: Candidate, text: str, out: GateOutcome) -> _Analysis:
        from readiness.gates.migrations.sql import GOOSE_ENVSUB, PLACEHOLDER_FORMATS, fill_placeholders

        ws = run.ws
        fmt = cand.format
        tx_cfg = run.ctx.settings.get("transactional")
        down_text: tuple[str, int] | None = None
        an = _Analysis(fmt=fmt)
        if fmt == "sql" and DBMATE_UP.search(text):
            fmt = an.fmt = "dbmate"
            (up_text, up_line), down_text = sections(text, DBMATE_UP, DBMATE_DOWN)
            m = DBMATE_UP.search(text)
            runner = BY_FORMAT["dbmate"]
            if m is not None and "transaction:false" in m.group("opts").replace(" ", ""):
                # the up section is then sent as one query string: one implicit transaction
                runner, an.tx_source = replace(runner, mode=TxMode.IMPLICIT), "file"
        elif fmt == "sql" and GOOSE_UP.search(text):
            fmt = an.fmt = "goose"
            (up_text, up_line), down_text = sections(
                fill_placeholders(text) if GOOSE_ENVSUB.search(text) else text, GOOSE_UP, GOOSE_DOWN)
            runner = BY_FORMAT["goose"]
            if GOOSE_NO_TX.search(text):
                runner, an.tx_source = replace(runner, mode=TxMode.AUTOCOMMIT), "file"
        else:
            up_text, up_line = (fill_placeholders(text) if fmt in PLACEHOLDER_FORMATS else text), 1
            family = "flyway" if fmt == "flyway-repeatable" else fmt  # repeatable ones run as versioned ones do
            if family == "golang-migrate":
                runner = run.detector.up_sql(cand.path, text)
                if runner.templates:
                    up_text = fill_templates(up_text)
                if runner in (POPX_AUTOCOMMIT, SQLX_NO_TX):  # `.autocommit.` in the name, `-- no-transaction`
                    an.tx_source = "file"
            elif family == "flyway":
                runner = replace(BY_FORMAT["flyway"], mode=TxMode.flyway(up_text))
                if tx_cfg is None and ws.exists(cand.path + ".conf"):
                    try:  # a script configuration file overrides Flyway's own choice for this script
                        conf = TxMode.flyway_script_config(ws.read_text(cand.path + ".conf"))
                    except FileProblem as problem:
                        out.findings.append(unreadable(R.UNREADABLE, problem))
                    else:
                        if conf is not None:
                            runner, an.tx_source = replace(runner, mode=conf), "file"
            else:
                runner = BY_FORMAT.get(family, BY_FORMAT["sql"])
        if tx_cfg is not None:  # the configuration says how the tool runs these files
            runner, an.tx_source = replace(runner, mode=TxMode.WRAPPED if tx_cfg else TxMode.AUTOCOMMIT), "configured"
        an.runner, an.mode = runner, runner.mode
        an.ops, errors, an.statements = _sql_ops(up_text, Origin(line=up_line))
        an.errors = [(cand.path, e) for e in errors]
        an.has_down_concept = fmt not in NO_DOWN_FORMATS
        if fmt in ("dbmate", "goose"):
            if down_text is None:
                an.down_state = "missing"
            else:
                dops, derr, n = _sql_ops(down_text[0], Origin(line=down_text[1]),
                                         trees=any(o.action in _RECREATES for o in an.ops))
                an.down_ops = dops
                an.errors.extend((cand.path, e) for e in derr)
                an.down_state = "present" if n else "empty"
                an.down_where = (cand.path, down_text[1], 1)
        elif cand.down_path is not None:
            try:
                dtext = ws.read_text(cand.down_path)
            except FileProblem as problem:
                out.findings.append(unreadable(R.UNREADABLE, problem))
                an.down_state = "present"
            else:
                if fmt in PLACEHOLDER_FORMATS:
                    dtext = fill_placeholders(dtext)
                if runner.templates:
                    dtext = fill_templates(dtext)
                dops, derr, n = _sql_ops(dtext, trees=any(o.action in _RECREATES for o in an.ops))
                an.down_ops = dops
                an.errors.extend((cand.down_path, e) for e in derr)
                an.down_state = "present" if n or derr else "empty"
                an.down_where = (cand.down_path, 1, 1)
        return an

    def _liquibase(self, cand: Candidate, text: str) -> _Analysis:
        from readiness.gates.migrations.sql import fill_placeholders

        an = _Analysis(fmt="liquibase", changesets=True, down_state="n/a")
        in_txn = False
        for unit, cs in enumerate(liquibase.changesets(text), start=1):
            if not cs.for_postgres:
                continue
            ops, errors, n = _sql_ops(fill_placeholders(cs.sql), Origin(line=cs.sql_line))
            # each changeset is its own transaction (or none, with runInTransaction:false)
            ops = [replace(o, unit=unit, autocommit=o.autocommit or not cs.in_transaction) for o in ops]
            an.ops.extend(ops)
            an.errors.extend((cand.path, e) for e in errors)
            an.statements += n
            in_txn = in_txn or (cs.in_transaction and n > 0)
            if not n:
                continue  # comments only: nothing to roll back
            if cs.rollback_state == "present":
                dops, derr, dn = _sql_ops(fill_placeholders(cs.rollback), Origin(line=cs.sql_line),
                                          trees=any(o.action in _RECREATES for o in ops))
                an.down_ops.extend(dops)
                an.errors.extend((cand.path, e) for e in derr)
                if an.down_where is None:
                    an.down_where = (cand.path, cs.sql_line, 1)
                if dn or derr:
                    continue
            why = ("its rollback is declared empty" if cs.rollback_state == "empty"
                   else "it has no --rollback, and Liquibase cannot generate one for SQL")
            an.irreversible.append((cs.line, 1, f"changeset {cs.ident}: {why}"))
        an.mode = TxMode.WRAPPED if in_txn else TxMode.AUTOCOMMIT
        return an

    def _python(self, run: _Run, cand: Candidate, text: str, out: GateOutcome) -> _Analysis | None:
        import ast  # Python migrations only: `ast` and the readers cost ~15 ms of start-up

        from readiness.gates.migrations import alembic, django

        is_alembic = alembic.looks_like_alembic(text)
        is_django = not is_alembic and django.looks_like_django(text)
        # A file in a migrations location that does not even parse cannot be told apart by its
        # content; it is reported either way, never skipped silently.
        fmt = "alembic" if is_alembic or "/versions/" in f"/{cand.path}" else "django"
        try:
            tree = ast.parse(text, filename=cand.path)
            if not is_alembic and not is_django:
                return None  # a helper module beside the migrations
            return self._python_tree(run, cand, text, tree, is_alembic)
        except RecursionError:  # ast's own limits (an expression nested thousands deep), or ours
            out.findings.append(unreadable(R.UNREADABLE, FileProblem(
                cand.path, "its Python is nested too deeply to be read with ast, so it was not judged")))
            out.items.append(Item({"path": cand.path, "format": fmt, "risk": R.risk_of(R.UNREADABLE).value,
                                   "reversible": False, "statements": 0, "transactional": True, "down_path": None}))
            return None
        except (SyntaxError, ValueError) as exc:
            line = getattr(exc, "lineno", None) or 1
            col = getattr(exc, "offset", None) or 1
            msg = getattr(exc, "msg", None) or str(exc)
            out.findings.append(R.PYTHON_SYNTAX.finding(
                Location(path=cand.path, line=line, column=col),
                message=f"This {fmt} migration is not valid Python ({msg}), so it was not judged.", evidence=msg))
            out.items.append(Item({"path": cand.path, "format": fmt, "risk": R.risk_of(R.PYTHON_SYNTAX).value,
                                   "reversible": False, "statements": 0, "transactional": True,
                                   "down_path": None}))
            return None

    def _python_tree(self, run: _Run, cand: Candidate, text: str, tree: ast.Module, is_alembic: bool) -> _Analysis:
        from readiness.gates.migrations import alembic, django

        fmt = "alembic" if is_alembic else "django"
        an = _Analysis(fmt=fmt, python=True)
        res: PyResult
        if is_alembic:
            res = alembic.analyse(tree, text)
            an.mode = TxMode.WRAPPED
        else:
            if run.django is None:
                run.django = django.DjangoHistory(run.ws, [c.path for c in run.every if c.format == "python"])
            state = run.django.before(cand.path)
            run.django.judged(cand.path, tree)
            res = django.analyse(tree, text, cand.path, state, run.django.label(cand.path))
            an.mode = TxMode.WRAPPED if res.atomic else TxMode.AUTOCOMMIT
        tx_cfg = run.ctx.settings.get("transactional")
        if tx_cfg is not None:  # the configuration says how these migrations run (env.py, ATOMIC_REQUESTS...)
            an.mode, an.tx_source = (TxMode.WRAPPED if tx_cfg else TxMode.AUTOCOMMIT), "configured"
        elif not is_alembic and not res.atomic:
            an.tx_source = "file"  # atomic = False
        an.ops, an.down_ops, an.statements = res.ops, res.down_ops, res.statements
        if run.ctx.changes is not None:
            an.tree = tree
        an.errors = [(cand.path, e) for e in res.errors]
        an.irreversible = res.irreversible
        an.lossy = res.lossy
        an.down_state = "n/a"
        return an

    # ------------------------------------------------------------------------------------------
    def _reversibility(self, cand: Candidate, an: _Analysis, settings: Mapping[str, Any],
                       findings: list[tuple[RiskClass, Finding]]) -> bool:
        required = settings.get("require_reversible")
        risk = R.risk_of(R.IRREVERSIBLE)
        if an.python or an.changesets:
            reversible = not an.irreversible
            if required is not False:
                for line, col, why in an.irreversible:
                    findings.append((risk, R.IRREVERSIBLE.finding(
                        Location(path=cand.path, line=line, column=col),
                        message=f"This migration cannot be rolled back: {why}.", evidence=why)))
        elif not an.has_down_concept:
            reversible = False
            if required is True:
                findings.append((risk, R.IRREVERSIBLE.finding(
                    Location(path=cand.path, line=1, column=1),
                    message=f"This {an.fmt} migration has no down migration, and {an.fmt} has no place for one.",
                    evidence="no down")))
        else:
            reversible = an.down_state == "present"
            if not reversible and required is not False:
                why = {"missing": "it has no down migration", "empty": "its down migration is empty"}[an.down_state]
                where = an.down_where if an.down_state == "empty" and an.down_where else (cand.path, 1, 1)
                findings.append((risk, R.IRREVERSIBLE.finding(
                    Location(path=where[0], line=where[1], column=where[2]),
                    message=f"{cand.path} cannot be rolled back: {why}.", evidence=why)))
        if reversible:
            findings.extend((h.risk, _finding(h, cand.path)) for h in self._lossy(cand, an))
        return reversible

    def _lossy(self, cand: Candidate, an: _Analysis) -> list[Hit]:
        created = {(o.table or "").lower() for o in an.ops if o.action == "create_table"}
        out: list[Hit] = []
        risk = R.risk_of(R.LOSSY_DOWN)
        targets = list(an.lossy) if an.python else [
            o for o in an.ops if o.action in ("drop_column", "drop_table", "truncate")
            or (o.action == "delete" and "where" not in o.flags)]
        for op in targets:
            if (op.table or "").lower() in created:
                continue
            what = f"column {op.table}.{op.column}" if op.action == "drop_column" else f"table {op.table}"
            lost = "its data" if op.action in ("drop_column", "drop_table") else "the deleted rows"
            match = next((d for d in an.down_ops if (op.action == "drop_column" and d.action == "add_column"
                                                     and d.column == op.column)
                          or (op.action == "drop_table" and d.action == "create_table" and d.table == op.table)),
                         None)
            if an.python and not an.down_ops:
                msg = (f"Rolling back re-creates {what} empty: the reverse cannot restore {lost}.")
                out.append(Hit(rule=R.LOSSY_DOWN, risk=risk, op=op, message=msg))
            elif match is not None and an.down_where is not None:
                msg = f"This down migration re-creates {what} empty: it cannot restore {lost}."
                out.append(Hit(rule=R.LOSSY_DOWN, risk=risk, op=match, message=msg, path=an.down_where[0]))
            else:
                gone = "the data" if op.action in ("drop_column", "drop_table") else "the deleted rows"
                msg = f"The down migration cannot restore {gone} of {what} that this statement destroys."
                out.append(Hit(rule=R.LOSSY_DOWN, risk=risk, op=op, message=msg))
        return out


def _unmatched_paths(ws: Workspace, paths: tuple[str, ...], found: list[Candidate],
                     source: str | None) -> list[Finding]:
    """A configured `paths` entry that gives no migration: the gate would judge nothing there."""
    out = []
    for entry, files in unmatched(ws, paths, found):
        what = "no file in the repository" if not files else \
            f"{files} file{'s' if files != 1 else ''}, none of them a migration (.sql or .py)"
        out.append(R.PATH_MATCHES_NOTHING.finding(
            Location(path=source or ".readiness.yml"),
            message=f"gates.migrations.paths entry {entry!r} matches {what}, so no migration there is judged.",
            evidence=entry))
    return out


def _finding(hit: Hit, path: str) -> Finding:
    op = hit.op
    where = hit.path or path
    evidence = f"{op.evidence}|{op.table}|{op.column}|{op.detail}"
    return hit.rule.finding(Location(path=where, line=op.line, column=op.col, end_line=op.end_line),
                            message=hit.message, evidence=evidence, severity=hit.risk.severity,
                            confidence=hit.confidence)


def _large_tables(settings: Mapping[str, Any]) -> dict[str, int | None]:
    value = settings.get("large_tables")
    threshold = int(settings.get("large_table_rows", DEFAULT_LARGE_ROWS))
    out: dict[str, int | None] = {}
    if isinstance(value, list):
        for name in value:
            out[str(name).lower()] = None
    elif isinstance(value, dict):
        for name, rows in value.items():
            if isinstance(rows, int) and rows >= threshold:
                out[str(name).lower()] = rows
    return out


GATE = MigrationsGate()
