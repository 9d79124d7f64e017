"""Runs the enabled gates, applies waivers and settles the verdict. No publishing, no output."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path

from readiness import __version__
from readiness.baseline import Baseline
from readiness.config import Config
from readiness.errors import GateError, UsageError
from readiness.gates import load
from readiness.gates.base import GateContext, GateOutcome
from readiness.model import (
    GATE_IDS,
    DependencyChange,
    FailOn,
    Finding,
    GateId,
    GateResult,
    GateStatus,
    Item,
    Location,
    Report,
    is_blocking,
)
from readiness.rules.catalog import catalog
from readiness.waivers import ReadLog, apply_waivers, inline_sources, withhold_new_inline
from readiness.watchdog import Budget, GateDone, Limits, run_gates
from readiness.workspace import LISTING_SECONDS, MAX_LISTED_FILES, Workspace
from readiness.workspace.changes import ChangeSet, base_text

LATE_GATES: frozenset[str] = frozenset({"checklist"})
"""Gates that judge the other gates' settled results (`GateContext.prior`): they run after the rest,
in a watchdog batch of their own, so their `prior` is computed in the parent from what the others
returned. They come last in GATE_IDS."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RunOptions:
    """Everything a run needs besides the repository's files."""

    root: Path
    """Repository root."""
    config: Config
    """Effective configuration."""
    fail_on: FailOn
    """Threshold."""
    gates: tuple[str, ...] | None = None
    """Gates asked for; None means every enabled gate."""
    changes: ChangeSet | None = None
    """The PR's changes, when diffing."""
    head: str | None = None
    """Head sha, for the report."""
    offline_db: Path | None = None
    """OSV directory for the deps gate."""
    database_url: str | None = None
    """A PostgreSQL server for the migrations gate's replay (`--database-url`)."""
    replay: str | None = None
    """`--replay auto|on|off`: the runner's choice over the configuration's `gates.migrations.replay`."""
    today: date | None = None
    """For waiver expiry (tests pin it)."""
    limits: Limits | None = None
    """The per-gate watchdog's limits; None reads them from the environment."""
    policy_findings: tuple[Finding, ...] = ()
    """What the PR's own `.readiness.yml` relaxes (`config/policy-relaxed`): reported in the config gate
    whether or not that gate runs, since they are about the whole verdict."""
    baseline: Baseline | None = None
    """Findings accepted when the gates were adopted (`readiness baseline`): waived with source
    `baseline`; its stale and unreviewed entries are reported like the policy findings."""


def parse_gate_list(value: str | None) -> tuple[str, ...] | None:
    """`--gates a,b` as a tuple; UsageError for an unknown id."""
    if value is None or not value.strip():
        return None
    ids = tuple(dict.fromkeys(v.strip() for v in value.split(",") if v.strip()))
    unknown = [g for g in ids if g not in GATE_IDS]
    if unknown:
        raise UsageError(f"unknown gate {unknown[0]!r}; choose from {', '.join(GATE_IDS)}")
    return ids


def run(options: RunOptions, *, clock: Callable[[], float] = time.perf_counter) -> Report:
    """Run the gates and return the settled report."""
    config = options.config
    ws = Workspace(options.root, max_file_bytes=config.max_file_bytes, exclude=config.exclude,
                   include=config.include)
    asked = options.gates
    limits = options.limits or Limits.from_env()
    to_run = [g for g in GATE_IDS if (g in asked if asked is not None else config.enabled(g))]
    budget = Budget(limits, len(to_run))
    if limits.enabled and to_run:
        ws.files()  # listed once, here: every gate's process inherits the listing
    if options.changes is not None:
        options = replace(options, changes=options.changes.with_links(ws.link_paths()))
    results: list[GateResult] = []
    errored_fail: list[GateId] = []
    ran: set[str] = set()
    logs: dict[GateId, ReadLog] = {}
    """What each gate read that may hold inline waivers, in the order the gates run."""

    def context(gate_id: GateId) -> GateContext:
        # A gate that judges the others' settled results (the checklist) runs after them, in a batch
        # of its own: its `prior` is then computed here, in the parent, from what they returned.
        prior = None
        if gate_id in LATE_GATES:
            # without the baseline: accepting old findings does not make the checklist's evidence hold
            settled = tuple(_settle(options, logs, list(results), set(ran), baseline=False))
            prior = lambda: settled  # noqa: E731 - a value, taken before the gate's process forks
        log = logs[gate_id] = ReadLog()
        return GateContext(workspace=ws.observed(log), config=config,
                           changes=options.changes, offline_db=options.offline_db, gate=gate_id, prior=prior,
                           database_url=options.database_url, replay=options.replay,
                           time_limit=limits.gate_seconds if limits.enabled else None)

    early = [GateId(g) for g in to_run if g not in LATE_GATES]
    outcomes = {done.gate: done
                for done in _run_gates({g: context(g) for g in early}, logs, limits, budget, clock)}
    for gate_id in map(GateId, GATE_IDS):
        if asked is not None and gate_id not in asked:
            results.append(GateResult(gate=gate_id, status=GateStatus.SKIPPED, duration_ms=0.0,
                                      error="not selected with --gates"))
            continue
        if asked is None and not config.enabled(gate_id):
            results.append(GateResult(gate=gate_id, status=GateStatus.SKIPPED, duration_ms=0.0,
                                      error="disabled in the configuration"))
            continue
        if gate_id in LATE_GATES:
            outcomes.update({d.gate: d
                             for d in _run_gates({gate_id: context(gate_id)}, logs, limits, budget, clock)})
        done = outcomes[gate_id]
        ms = done.seconds * 1000
        if done.error is not None:
            if config.on_error(gate_id) == "fail":
                errored_fail.append(gate_id)
            results.append(GateResult(gate=gate_id, status=GateStatus.ERROR, duration_ms=ms,
                                      error=done.error.diagnostics()))
            continue
        outcome: GateOutcome = done.result
        ran.add(gate_id)
        if outcome.skipped is not None and not outcome.findings:
            results.append(GateResult(gate=gate_id, status=GateStatus.SKIPPED, duration_ms=ms,
                                      error=outcome.skipped, items=tuple(outcome.items),
                                      extra=outcome.extra, dependency_changes=outcome.dependency_changes))
            continue
        results.append(GateResult(gate=gate_id, status=GateStatus.PASS, duration_ms=ms,
                                  items=tuple(outcome.items), findings=tuple(outcome.findings),
                                  extra=outcome.extra, dependency_changes=outcome.dependency_changes))

    final = _settle(options, logs, results, ran)
    if ws.truncated:  # files past the cap were never judged: every gate that ran fails closed
        final = [_listing_cut(r, ws) if r.gate in ran else r for r in final]
        errored_fail.extend(r.gate for r in final if r.gate in ran and r.gate not in errored_fail)
    scope_all = tuple(GateId(g) for g in GATE_IDS if config.scope_all(g))
    base = options.changes.base if options.changes else None
    return Report(version=__version__, fail_on=options.fail_on, base=base, head=options.head,
                  gates=tuple(final), errored_gates_fail=tuple(errored_fail), scope_all_gates=scope_all,
                  excluded=tuple(sorted(ws.skipped)), excluded_count=ws.skipped_count)


def _base_text(changes: ChangeSet, rel: str, limit: int) -> str | None:
    """A file as the base has it; None when absent or git cannot say (then nothing counts as the base's)."""
    from readiness.workspace.git import GitUnavailable

    try:
        return base_text(changes, rel, limit=limit)
    except GitUnavailable:
        return None


def _listing_cut(r: GateResult, ws: Workspace) -> GateResult:
    """A gate's result when the repository listing stopped at its cap or deadline: an error, findings kept."""
    if ws.out_of_time:
        why = (f"listing the repository took more than {LISTING_SECONDS:.0f} s (the policy's exclude and include "
               "globs are matched against every path: fewer or simpler globs, `**` only as a whole path "
               "segment, make it faster); the listing stopped there, so files past it were not judged")
    else:
        why = (f"the repository has more than {MAX_LISTED_FILES:,} files; the listing stopped there, so files "
               "past it were not judged (exclude generated or vendored trees to judge the rest)")
    return replace(r, status=GateStatus.ERROR, error=why)


def _settle(options: RunOptions, logs: Mapping[GateId, ReadLog], results: list[GateResult],
            ran: set[str], *, baseline: bool = True) -> list[GateResult]:
    """The results with waivers applied, severities overridden, `introduced` judged and each gate's
    status settled. Pure in its inputs: the engine calls it once at the end, and for the checklist gate
    (through `GateContext.prior`) on the gates that ran before it. The policy findings (what the PR's
    own `.readiness.yml` relaxes) are always judged as introduced, whichever gates ran."""
    config = options.config
    every = [f for r in results for f in r.findings] + list(options.policy_findings)
    policy_rules = {f.rule for f in options.policy_findings}
    inline, readers = inline_sources(logs.items())
    today = options.today or datetime.now(UTC).date()
    judged = apply_waivers(every, inline=inline, config=config.waivers, readers=readers, today=today)
    judged = [_finalize(f, None if f.rule in policy_rules else options.changes, config)
              for f in judged if f.gate in ran or f.rule in policy_rules]
    changes = options.changes
    if changes is not None:  # the PR's own inline waivers never clear a finding that blocks
        read: dict[str, str] = {}
        for log in logs.values():
            for rel, text in log.texts.items():
                read.setdefault(rel, text)
        judged = withhold_new_inline(
            judged, touched=changes.touched, head_text=read.get,
            base_text=lambda rel: _base_text(changes, rel, config.max_file_bytes),
            blocks=lambda f: is_blocking(f, options.fail_on, config.scope_all(f.gate)),
            from_top=lambda f: f.gate == "migrations")
    if baseline and options.baseline is not None:  # after the waivers: a finding waived in place keeps its own waiver
        judged = options.baseline.apply(judged, ran=ran, full_scan=options.changes is None)
    by_gate: dict[str, list[Finding]] = {}
    for f in judged:
        by_gate.setdefault(f.gate, []).append(f)

    scope_all = tuple(GateId(g) for g in GATE_IDS if config.scope_all(g))
    final: list[GateResult] = []
    for r in results:
        findings = tuple(by_gate.get(r.gate, ()))
        if r.gate not in ran and not findings:
            final.append(r)
            continue
        probe = Report(version=__version__, fail_on=options.fail_on, base=None, head=None,
                       gates=(GateResult(gate=r.gate, status=r.status, duration_ms=0, findings=findings),),
                       scope_all_gates=scope_all)
        status = r.status
        if status is GateStatus.ERROR:
            pass  # an errored gate stays errored; policy findings are still listed under it
        elif status is not GateStatus.SKIPPED or findings:
            status = GateStatus.FAIL if probe.blocking else GateStatus.PASS
        final.append(GateResult(gate=r.gate, status=status, duration_ms=r.duration_ms,
                                error=r.error if status in (GateStatus.SKIPPED, GateStatus.ERROR) else None,
                                items=r.items, findings=findings, extra=r.extra,
                                dependency_changes=r.dependency_changes))
    return final


def _reap_replay_servers() -> None:
    """A gate killed by the watchdog may leave the migrations gate's throwaway PostgreSQL server running
    (it has a process group of its own, so the group kill misses it): stop it and remove its directory."""
    from readiness.replay.server import reap_stale

    reap_stale()


def _run_gates(contexts: dict[GateId, GateContext], logs: dict[GateId, ReadLog], limits: Limits,
               budget: Budget, clock: Callable[[], float]) -> Iterator[GateDone]:
    """Each gate's outcome (or why it has none), in order: under the watchdog, or in this process.

    Each gate reads through its own view of the workspace, which records into its own read log; a
    gate run in the watchdog's worker sends its log back with its outcome, and it is merged here."""
    for gate_id in contexts:
        load(gate_id)  # imported here, once, before any fork
    if limits.enabled and contexts:
        for done in run_gates(list(contexts), partial(_run_gate, contexts, logs), budget=budget,
                              memory=limits.memory, after_kill=_reap_replay_servers):
            if done.error is None:
                outcome, log = done.result
                logs[GateId(done.gate)].merge(log)
                done = replace(done, result=outcome)
            yield done
        return
    for gate_id in contexts:
        start = clock()
        try:
            outcome, _ = _run_gate(contexts, logs, gate_id)  # its log filled as it read
        except GateError as exc:
            yield GateDone(gate_id, None, exc, clock() - start)
        else:
            yield GateDone(gate_id, outcome, None, clock() - start)


def _run_gate(contexts: dict[GateId, GateContext], logs: dict[GateId, ReadLog],
              gate_id: str) -> tuple[GateOutcome, ReadLog]:
    """One gate's outcome, and its read log (from the worker, the log goes back with the outcome)."""
    with _collector_paused():
        outcome = load(gate_id).run(contexts[GateId(gate_id)])
    return outcome, logs[GateId(gate_id)]


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while a gate runs.

    A gate allocates hundreds of thousands of short-lived, acyclic containers (parse trees, YAML
    nodes), and the collector kept walking them: 5-13 % of a migrations scan. Reference counting
    still frees them at once; what is left for the collector (rare cycles, e.g. an exception and
    its traceback) is collected after the gate, when the collector is back on."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _brought_in(changes: ChangeSet, path: str) -> bool:
    """The PR adds, changes or deletes `path` (a finding at a path it deletes, such as the missing
    runbook, is the deletion's doing)."""
    return changes.touched(path) or path in changes.deleted


def _finalize(f: Finding, changes: ChangeSet | None, config: Config) -> Finding:
    """The finding with its severity settled and `introduced` judged.

    The policy's `severity_overrides` win; otherwise a finding the pull request brings in takes its
    rule's `severity_introduced` (what the gate could not read, in a file the PR adds or changes,
    blocks: fail closed). A full scan judges no change, so it keeps the page's severity."""
    sev = config.severity_overrides.get(f.rule)
    introduced = f.introduced and (changes is None or _brought_in(changes, f.location.path)
                                   or any(_brought_in(changes, p) for p in f.cause)
                                   or f.location.path == config.source)
    if sev is None and changes is not None and introduced:
        sev = catalog().get(f.rule).introduced_severity
    if sev is not None and sev != f.severity:
        return f.with_(severity=sev, introduced=introduced)
    if introduced != f.introduced:
        return f.with_(introduced=introduced)
    return f


def prefix_paths(report: Report, prefix: str) -> Report:
    """The report with every path made relative to an enclosing directory (`prefix` ends in `/`).

    `readiness action` with `path: sub/dir` judges that directory, but links, annotations and
    SARIF need paths relative to the repository the runner checked out.
    """
    if not prefix:
        return report

    def loc(location: Location) -> Location:
        return replace(location, path=prefix + location.path)

    def finding(f: Finding) -> Finding:
        waiver = f.waiver
        if waiver is not None and waiver.location is not None:
            waiver = replace(waiver, location=loc(waiver.location))
        return f.with_(location=loc(f.location), waiver=waiver)

    def item(i: Item) -> Item:
        data = dict(i.data)
        if isinstance(data.get("path"), str):
            data["path"] = prefix + data["path"]
        return Item(data)

    def changes(g: GateResult) -> tuple[DependencyChange, ...] | None:
        if g.dependency_changes is None:
            return None
        return tuple(replace(c, path=prefix + c.path) for c in g.dependency_changes)

    gates = tuple(replace(g, findings=tuple(finding(f) for f in g.findings), items=tuple(item(i) for i in g.items),
                          dependency_changes=changes(g))
                  for g in report.gates)
    return replace(report, gates=gates)
