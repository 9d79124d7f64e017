"""The migration risk gate: discover, parse, judge, and report one item per migration.

Scope: on a full scan (no `--base`) every migration is judged and listed. When diffing, only
migrations the PR adds or changes (the up file or its down file) are judged and listed; the others
are history and are neither judged nor listed, unless `scope: all`, which judges and lists them
all (their findings are then marked `introduced: false` by the engine).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Container
from dataclasses import replace

from readiness.gates.base import GateContext, GateOutcome, unreadable
from readiness.gates.migrations import changesets, contract, parallel, replayed, unchanged
from readiness.gates.migrations import rules as R
from readiness.gates.migrations.classify import Context, TxMode, judge
from readiness.gates.migrations.codemigrations import code_migrations
from readiness.gates.migrations.discover import (
    MIGRATION_DIRS,
    Candidate,
    configured_globs,
    copies,
    discover,
    hidden_links,
    unmatched,
)
from readiness.gates.migrations.encoding import decode_as, file_encoding_safe
from readiness.gates.migrations.flywayconf import Flyway
from readiness.gates.migrations.history import History, State, order, root
from readiness.gates.migrations.ops import Action, Flag, Op
from readiness.gates.migrations.readers import Analysis, Run, reader_for
from readiness.gates.migrations.reversibility import reversibility
from readiness.gates.migrations.runners import BY_FORMAT, Detector
from readiness.model import Finding, GateId, Item, Location, RiskClass
from readiness.workspace import FileProblem, ReadObserver, Workspace, decode_text, matches

_Judged = tuple[list[Finding], list[Item], "ReadObserver | None"]
"""One migration's findings and item, plus what its reads recorded (the engine's read log)."""
_Forked = tuple[_Judged, "list[Op] | None", "Analysis | None"]
"""A forked process's answer: what it judged, the table operations of its migration (history for
the others), and the analysis of a migration it could not judge without that history (judged here)."""


class MigrationsGate:
    """Migration risk."""

    id = GateId("migrations")

    def run(self, ctx: GateContext) -> GateOutcome:
        started = time.monotonic()  # replay's budget is what the gate's time limit leaves
        settings = ctx.config.migrations_gate
        ws = ctx.workspace
        paths = settings.paths
        flyway = Flyway.of(ctx)
        candidates = discover(ws, paths, pr_files=sorted(ctx.changes.files) if ctx.changes else (),
                              established=_at_base(ctx), flyway=(flyway.names, flyway.locations))
        out = GateOutcome()
        if paths is not None:
            out.findings.extend(_unmatched_paths(ws, paths, candidates, ctx.config.source))
        out.findings.extend(_submodules(ctx, paths, candidates))
        if paths is None:
            out.findings.extend(_hidden_links(ws))
        out.findings.extend(code_migrations(ctx))
        out.findings.extend(R.UNREADABLE.finding(
            Location(path=path, line=1), evidence=why,
            message=f"This Flyway or Spring configuration could not be read ({why}), so the migration "
                    "locations, file naming and placeholders it may set are unknown.")
            for path, why in flyway.unreadable)
        if not candidates:
            out.skipped = "no migrations found" + (" under the configured paths" if paths is not None else "")
            return out
        judge_all = ctx.changes is None or ctx.config.scope_all(self.id)
        dups = copies(ws, candidates, ctx.touched)
        if dups:  # a legacy copy of a migration is judged once, where it is kept (or touched)
            candidates = [c for c in candidates if c.path not in dups]
        chosen = [c for c in candidates if judge_all or ctx.touched(c.path)
                  or (c.down_path is not None and ctx.touched(c.down_path))]
        if not chosen:
            out.skipped = (f"the PR adds or changes no migration ({len(candidates)} in the repository are history "
                           "and were not judged; set scope: all to judge them)")
            return out
        run = Run(ctx=ctx, every=candidates, large=settings.large(), history=History(candidates),
                   detector=Detector(ws), flyway=flyway)
        history = run.history
        pending: list[tuple[Candidate, Analysis]] = []
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
            # imported once here, inherited by the forked children (each would import its own copy):
            # the parser, the YAML loader of the rule pages' front matter (rules.catalog), DO blocks
            import pglast.parser  # noqa: F401
            import yaml  # noqa: F401

            from readiness.gates.migrations import dynamic  # noqa: F401

            def one(i: int) -> _Forked:
                sub = GateOutcome()
                with ws.forked_reads() as reads:  # what this share read goes back with its findings
                    an = self._one(run, chosen[i], sub)
                return (sub.findings, sub.items, reads), history.known(chosen[i].path), an

            # Each process sends back its migrations' table operations (history for the others) and
            # the analyses of the migrations that need that history; those are judged here.
            weights = [ws.size(c.path) + (ws.size(c.down_path) if c.down_path else 0) for c in chosen]
            results = parallel.fork_map(one, len(chosen), workers, weights)
            for cand, ((findings, items, reads), known, an) in zip(chosen, results, strict=True):
                out.findings.extend(findings)
                out.items.extend(items)
                ws.merge_reads(reads)  # as if read here, in the same order
                if known is not None:
                    history.remember(cand.path, known)
                if an is not None:
                    pending.append((cand, an))
        if pending:  # the migrations judged against their directory's history, replayed once
            states = history.states(ws, [(cand, an.ops) for cand, an in pending])
            for cand, an in pending:
                self._finish(run, cand, an, out, states.get(cand.path, {}))
        # -- replay (issue 15): what a real PostgreSQL did confirms, corrects or adds to the above ----
        out.findings, out.items, replay_summary = replayed.integrate(ctx, candidates, chosen, out.findings,
                                                                     out.items, started=started)
        if replay_summary is not None:
            out.extra["replay"] = replay_summary
        # -- end replay -------------------------------------------------------------------------------
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
    def _one(self, run: Run, cand: Candidate, out: GateOutcome, *, running: bool = False) -> Analysis | None:
        """Read and judge one migration; the analysis instead, when it needs its directory's history
        (unless `running`: this run judges each directory in apply order, and the history so far is known)."""
        ws = run.ws
        encoding = runner_encoding(run, cand)
        try:
            text = _read_in(ws, cand.path, encoding)
        except FileProblem as problem:
            out.findings.append(unreadable(R.UNREADABLE, problem))
            return None
        an = reader_for(cand, text).read(run, cand, text, out)  # one reader per format family
        if an is None:
            return None
        if encoding is not None and not file_encoding_safe(encoding[0]):  # fails closed (R6a-15)
            an.ops.insert(0, Op(action=Action.DYNAMIC_SQL, flags=frozenset({Flag.LEXING}), line=1, col=1, end_line=1,
                                detail=f"Flyway reads this file as {encoding[0][:40]!r} ({encoding[1]}), an encoding "
                                       "whose characters can hide a quote or backslash from the gate's UTF-8 reading"))
        if running and not an.python:  # this run judges the directory in apply order: carried forward
            self._finish(run, cand, an, out, run.history.step(ws, cand, an.ops))
            return None
        if not an.python:
            run.history.remember(cand.path, an.ops)  # a later migration's history, without parsing it again
        if an.needs_history():
            return an
        self._finish(run, cand, an, out, {})
        return None

    def _finish(self, run: Run, cand: Candidate, an: Analysis, out: GateOutcome, tables: State) -> None:
        """Judge an analysed migration, with the state its earlier migrations left on `tables`."""
        settings = run.ctx.config.migrations_gate
        explicit_lt = settings.require_lock_timeout
        require_lt = bool(explicit_lt) if explicit_lt is not None else not an.python
        runner = an.runner or BY_FORMAT.get(an.fmt)
        built: Container[str] = frozenset()
        if not an.python and any(o.action is Action.DROP_OBJECT and Flag.CASCADE in o.flags for o in an.ops):
            # what a CASCADE may take with it: the generated columns and types built from the dropped object
            text = "\n".join(dict.fromkeys(o.evidence for o in an.ops))
            built = run.history.column_objects(run.ctx.workspace, cand, text)

        def judged(ops: list[Op], state: State) -> list[tuple[RiskClass, Finding]]:
            hits = judge(ops, Context(mode=an.mode, large=run.large, require_lock_timeout=require_lt, tables=state,
                                      one_query=runner.one_query if runner else False,
                                      runner=runner.name if runner else "", built_from=built),
                         statements=an.statements)
            if an.python:  # a drop of what Django's state retired earlier, or after the deploy: the contract step
                hits = contract.relax(hits, run.ctx)
            return [(hit.risk, hit.to_finding(cand.path)) for hit in hits]

        whole = an
        split = changesets.split(run, cand, an) if an.parts and run.ctx.changes is not None else None
        old: list[tuple[RiskClass, Finding]] = []
        if split is not None:
            # A changelog the base already has: its changesets there are history (applied on production,
            # like earlier files); the PR's new and re-run changesets are the migration, judged on the
            # state the others leave. The others are judged apart, their findings pre-existing.
            then, an = split.history, split.migration
            old = judged(then.ops, tables)
            old.extend(self._parse_errors(then))
            tables = changesets.after(tables, then.ops)
        findings: list[tuple[RiskClass, Finding]] = judged(an.ops, tables)
        findings.extend(self._parse_errors(an))
        # The class is the operational risk of running the migration; whether it can be rolled back
        # is the item's `reversible` and its own findings (DESIGN), never a raise of the class.
        risk = max((r for r, _ in [*old, *findings]), key=lambda r: r.rank, default=RiskClass.LOW)
        reversible = reversibility(cand, an, settings.require_reversible, findings)
        if split is not None:
            reversibility(cand, split.history, settings.require_reversible, old)  # the PR's part decides `reversible`
            findings = split.settle(old) + findings
        # an edited, already-applied migration: what the PR left is not its doing -- unless the runner
        # runs the whole file again when it changes (a Flyway repeatable migration: every statement
        # of it, kept or not, runs on the next deploy, and a statement the PR put before a kept one
        # can change what the kept one does)
        elif run.ctx.changes is not None and cand.format not in RERUN_WHEN_CHANGED:
            findings = unchanged.settle(run.ctx, cand.path, lambda: self._units(run, cand, an),
                                        lambda text: self._units(run, cand, None, text), findings)
        an = whole
        out.findings.extend(f for _, f in findings)
        transactional = an.mode is TxMode.WRAPPED or (an.mode is TxMode.IMPLICIT and an.statements > 1)
        out.items.append(Item({"path": cand.path, "format": an.fmt, "risk": risk.value, "reversible": reversible,
                               "statements": an.statements, "transactional": transactional,
                               "down_path": cand.down_path, "runner": runner.name if runner else an.fmt,
                               "transaction": "per-changeset" if an.changesets else an.mode.value,
                               "transaction_from": an.tx_source}))

    @staticmethod
    def _parse_errors(an: Analysis) -> list[tuple[RiskClass, Finding]]:
        return [(R.risk_of(R.PARSE_ERROR), R.PARSE_ERROR.finding(
            Location(path=where, line=err.line, column=err.column),
            message=f"PostgreSQL cannot parse this statement: {err.message}.", evidence=err.text))
            for where, err in an.errors]

    def _units(self, run: Run, cand: Candidate, an: Analysis | None, base: str = "") -> unchanged.Units | None:
        """The units (`unchanged`) of this version of the migration (`an`), or of the base's `base` text."""
        if an is None:
            if cand.format == "python":
                return unchanged.python_base(base)
            alone = replace(cand, down_path=None)  # the base's separate down file is not judged here
            an = reader_for(alone, base).read(run, alone, base, GateOutcome())
            if an is None:
                return None
        elif an.python:
            return unchanged.python_units(an.tree) if an.tree is not None else None
        ops = an.ops + an.down_ops if cand.down_path is None else an.ops  # a down section of the same file
        return unchanged.op_units(ops, (an.mode, an.tx_source))


_SCRIPT_ENCODING = re.compile(r"^[ \t]*(?:flyway\.)?encoding[ \t]*=[ \t]*(\S[^\r\n]*?)[ \t]*\r?$", re.M | re.I)
"""`encoding=GBK` in a Flyway script configuration file (`V2__x.sql.conf`, Flyway 6.5+)."""


def runner_encoding(run: Run, cand: Candidate) -> tuple[str, str] | None:
    """(encoding, where it is set) Flyway reads this script in, when its configuration names one
    other than UTF-8: the script's own `.conf` first, then `flyway.encoding` / `spring.flyway.encoding`
    (an encoding that is not ASCII-safe wins over a safe one when the files disagree). None: UTF-8."""
    if cand.format not in ("flyway", "flyway-repeatable"):
        return None
    conf = cand.path + ".conf"
    if run.ws.exists(conf):
        try:
            m = _SCRIPT_ENCODING.search(decode_text(conf, run.ws.read_bytes(conf, limit=64 * 1024)))
        except FileProblem as problem:
            return f"an encoding its unreadable script configuration may name: {problem.reason}", conf
        if m is not None:
            return m.group(1), conf
    named = run.flyway.encodings if run.flyway is not None else []
    for e in sorted(named, key=file_encoding_safe):
        if e.replace("-", "").replace("_", "").lower() != "utf8":
            return e, "the Flyway configuration's encoding"
    return None


def _read_in(ws: Workspace, rel: str, encoding: tuple[str, str] | None) -> str:
    """The migration as the gate judges it: UTF-8, or, when that fails and the runner reads it in an
    ASCII-safe encoding Python knows, in that encoding (the statement boundaries are the runner's)."""
    try:
        return ws.read_text(rel)
    except FileProblem:
        if encoding is None or not file_encoding_safe(encoding[0]):
            raise
        text = decode_as(ws.read_bytes(rel), encoding[0])
        if text is None or "\x00" in text:
            raise
        return text


RERUN_WHEN_CHANGED = frozenset({"flyway-repeatable"})
"""Formats whose files run again, whole, whenever their content changes."""


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


def _hidden_links(ws: Workspace) -> list[Finding]:
    """A directory link below a migrations directory into a directory never read: what a runner
    finds through it (Flyway follows links) is not judged, so the link is reported (fail closed)."""
    return [R.UNREADABLE.finding(
        Location(path=link),
        message=f"{link} is a directory symlink to {target}, a directory the gate never reads (vendored, test "
                "data, or never entered); a runner that scans this migrations directory follows it, so the "
                "migrations there were not judged.", evidence=target)
        for link, target in hidden_links(ws)]


def _at_base(ctx: GateContext) -> Callable[[str], bool]:
    """Whether a directory exists at the PR's base (git's answer; no base known: it does not)."""
    changes = ctx.changes
    seen: dict[str, bool] = {}

    def exists(d: str) -> bool:
        if d not in seen:
            from readiness.workspace.git import GitUnavailable

            if changes is None or changes.repo is None or changes.base_sha is None:
                seen[d] = False
            else:
                try:
                    seen[d] = changes.repo.tree_entry(changes.base_sha, d) is not None
                except GitUnavailable:
                    seen[d] = False
        return seen[d]

    return exists


def _submodules(ctx: GateContext, paths: tuple[str, ...] | None, found: list[Candidate]) -> list[Finding]:
    """A submodule the PR moves where migrations live: what it brings cannot be judged here.

    The diff names a submodule by its path (a gitlink, not a file): a changed path that is a
    directory in the work tree. It lies where migrations live when the path is in a migrations
    directory (or a configured path), or when files checked out under it are migrations."""
    if ctx.changes is None:
        return []
    ws = ctx.workspace
    out = []
    for rel in sorted(ctx.changes.files):
        where = ws.root / rel
        if os.path.islink(where) or not os.path.isdir(where):  # `diff-tree -r` names files and gitlinks only
            continue
        parts = [p.lower() for p in rel.split("/")]
        place = any(p in MIGRATION_DIRS or p == "versions" for p in parts) \
            or any(c.path.startswith(rel + "/") for c in found) \
            or (paths is not None and any(matches(rel + "/x.sql", configured_globs(p)) for p in paths))
        if place:
            out.append(R.SUBMODULE.finding(
                Location(path=rel),
                message=f"The PR moves submodule {rel}, where migrations live; the migrations it brings are in "
                        "another repository and were not judged.", evidence=rel))
    return out


GATE = MigrationsGate()
