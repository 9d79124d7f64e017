"""The policy belongs to the base branch: what a pull request's `.readiness.yml` relaxes.

When a base is known, the run is judged by the base commit's `.readiness.yml` (the runner reads it
from git's object database); the PR's version takes effect once merged. This module says, key by key,
what the PR's version weakens compared with the version it started from, so each relaxation becomes a
blocking `config/policy-relaxed` finding at the line that makes it. A change this module cannot judge
automatically counts as a relaxation (a person should look at it); a change that only tightens the
policy does not.

Keys that point the tool at the network or the runner (`osv_url`, `timeout`) are never taken from a
repository's config, whichever branch it is on: `runner_keys_dropped` removes them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from readiness.config import Config, ConfigWaiver, as_globs
from readiness.errors import ConfigError
from readiness.model import GATE_IDS, FailOn, Finding, Location, Severity
from readiness.rules.catalog import rule

RELAXED = rule("config/policy-relaxed")

RUNNER_KEYS: tuple[tuple[str, str], ...] = (("deps", "osv_url"), ("deps", "timeout"))
"""(gate, key) pairs only the runner may set: a repository's value is ignored."""

PathKey = tuple[str | int, ...]

_FAIL_ON_RANK = {FailOn.LOW: 0, FailOn.MEDIUM: 1, FailOn.HIGH: 2, FailOn.CRITICAL: 3, FailOn.NEVER: 4}


@dataclass(frozen=True, slots=True, kw_only=True)
class Relaxation:
    """One way the PR's config weakens the policy."""

    key: PathKey
    """Where in the PR's file (its line is the finding's)."""
    text: str
    """What it relaxes, as a clause: `raises fail_on from critical to never`."""


def runner_keys_dropped(config: Config) -> tuple[Config, list[str]]:
    """A repository's config without the runner-only keys, and the dotted names of those it had."""
    dropped: list[str] = []
    gates = dict(config.gates)
    for gate, key in RUNNER_KEYS:
        if key in gates.get(gate, {}):
            gates[gate] = {k: v for k, v in gates[gate].items() if k != key}
            dropped.append(f"gates.{gate}.{key}")
    return (replace(config, gates=gates) if dropped else config), dropped


# -- comparison ----------------------------------------------------------------------------------

MAX_COUNTED_EXCLUDES = 20
"""Added `exclude` entries whose hidden files are counted for the message; the others are reported
without a count, so a PR's list of thousands of globs costs no more than twenty passes over the files."""
COUNTING_SECONDS = 2.0
"""And those passes stop counting after this long (this comparison runs before the gates' watchdog)."""

def relaxations(old: Config, new: Config, files: Sequence[str] = ()) -> list[Relaxation]:
    """What `new` relaxes compared with `old` (both validated); `files` (the head's) let a message say
    how many files an added exclude hides."""
    out: list[Relaxation] = []
    add = out.append
    if _FAIL_ON_RANK[new.fail_on] > _FAIL_ON_RANK[old.fail_on]:
        add(Relaxation(key=("fail_on",), text=f"raises fail_on from {old.fail_on.value} to {new.fail_on.value}"))
    if new.max_file_bytes > old.max_file_bytes:
        add(Relaxation(key=("max_file_bytes",), text=f"raises max_file_bytes from {old.max_file_bytes:,} "
                                                      f"to {new.max_file_bytes:,}"))
    counted = 0
    deadline = time.monotonic() + COUNTING_SECONDS
    for i, pattern in enumerate(new.exclude):
        if pattern not in old.exclude:
            counted += 1  # the PR writes the list: matching every entry against every file is its to make slow
            hidden = ""
            if counted <= MAX_COUNTED_EXCLUDES:
                n = _count_matching(files, pattern, deadline)
                hidden = f", hiding {n} file(s)" if n is not None else ""
            add(Relaxation(key=("exclude", i) if len(new.exclude) > 1 else ("exclude",),
                           text=f"adds exclude {_q(pattern)}{hidden} from every gate"))
    out.extend(_severity_overrides(old, new))
    out.extend(_waivers(old.waivers, new.waivers))
    for gate in GATE_IDS:
        out.extend(_gate(gate, old.gate(gate), new.gate(gate)))
    return out


def _severity_overrides(old: Config, new: Config) -> list[Relaxation]:
    from readiness.errors import CatalogError
    from readiness.rules.catalog import catalog

    out: list[Relaxation] = []
    for rule_id in sorted(set(old.severity_overrides) | set(new.severity_overrides)):
        try:
            default = catalog().get(rule_id).severity
        except CatalogError:
            default = None
        before = old.severity_overrides.get(rule_id, default)
        after = new.severity_overrides.get(rule_id, default)
        if before is not None and after is not None and after.rank < before.rank:
            kept = rule_id in new.severity_overrides
            key: PathKey = ("severity_overrides", rule_id) if kept else ("severity_overrides",)
            add = "lowers" if kept else "drops the override that raised"
            out.append(Relaxation(key=key, text=f"{add} {rule_id} from {before.value} to {after.value}"))
    return out


def _waiver_key(w: ConfigWaiver) -> tuple[str, str | None, str | None]:
    return (w.rule, w.path, w.fingerprint)


def _waivers(old: Sequence[ConfigWaiver], new: Sequence[ConfigWaiver]) -> list[Relaxation]:
    before = {_waiver_key(w): w for w in old}
    out: list[Relaxation] = []
    for i, w in enumerate(new):
        where = f"{_q(w.path)}" if w.path else "every file"
        if w.fingerprint:
            where += f" (finding {w.fingerprint[:12]})"
        reason = f" (reason: {_q(w.reason)})" if w.reason else " (no reason)"
        prior = before.get(_waiver_key(w))
        if prior is None:
            out.append(Relaxation(key=("waivers", i), text=f"adds a waiver of {w.rule} for {where}{reason}"))
        elif prior.expires is not None and (w.expires is None or w.expires > prior.expires):
            until = w.expires.isoformat() if w.expires else "no expiry"
            out.append(Relaxation(key=("waivers", i, "expires") if w.expires else ("waivers", i),
                                  text=f"extends the waiver of {w.rule} for {where} from "
                                       f"{prior.expires.isoformat()} to {until}"))
    return out


# -- per gate ------------------------------------------------------------------------------------

Judge = Callable[[str, str, Any, Any], list[str]]
"""(gate, key, old value or None, new value or None) -> what the change relaxes (clauses)."""


def _bool3(default: bool | None) -> Judge:
    """A requirement: True is stricter than unset, unset than False (unset means `default`)."""
    def rank(v: Any) -> int:
        v = default if v is None else v
        return 2 if v is True else (1 if v is None else 0)

    def judge(gate: str, key: str, old: Any, new: Any) -> list[str]:
        return [f"turns off gates.{gate}.{key}"] if rank(new) < rank(old) else []
    return judge


def _globs_narrowed(gate: str, key: str, old: Any, new: Any) -> list[str]:
    if old is None:  # auto-detection replaced by an explicit list: not judged (see the rule page)
        return []
    if new is None:
        return [f"removes gates.{gate}.{key}, falling back to auto-detection"]
    gone = [p for p in as_globs(old) if p not in as_globs(new)]
    return [f"no longer covers {_q(p)} in gates.{gate}.{key}" for p in gone]


def _items_removed(gate: str, key: str, old: Any, new: Any) -> list[str]:
    kept = {_canon(v) for v in (new or [])}
    return [f"drops {_q(_short(v))} from gates.{gate}.{key}" for v in (old or []) if _canon(v) not in kept]


def _items_added(gate: str, key: str, old: Any, new: Any) -> list[str]:
    had = {_canon(v) for v in (old or [])}
    return [f"adds {_q(_short(v))} to gates.{gate}.{key}" for v in (new or []) if _canon(v) not in had]


def _raised(default: int) -> Judge:
    def judge(gate: str, key: str, old: Any, new: Any) -> list[str]:
        before = default if old is None else old
        after = default if new is None else new
        return [f"raises gates.{gate}.{key} from {before:,} to {after:,}"] if after > before else []
    return judge


def _severity_lowered(default: Severity) -> Judge:
    def judge(gate: str, key: str, old: Any, new: Any) -> list[str]:
        before, after = Severity(old or default), Severity(new or default)
        return [f"lowers gates.{gate}.{key} from {before.value} to {after.value}"] if after.rank < before.rank else []
    return judge


def _changed(gate: str, key: str, old: Any, new: Any) -> list[str]:
    if _canon(old) == _canon(new):
        return []
    if new is None:
        return [f"removes gates.{gate}.{key}"]
    if old is None:
        return [f"sets gates.{gate}.{key} to {_q(_short(new))}"]
    return [f"changes gates.{gate}.{key} from {_q(_short(old))} to {_q(_short(new))}"]


def _large_tables(gate: str, key: str, old: Any, new: Any) -> list[str]:
    def rows(v: Any) -> dict[str, int | None]:
        if isinstance(v, dict):
            return {str(k): int(n) for k, n in v.items()}
        return {str(k): None for k in (v or [])}
    before, after = rows(old), rows(new)
    out = [f"drops {_q(t)} from gates.{gate}.{key}" for t in before if t not in after]
    for t, n in before.items():
        m = after.get(t, n)
        if t in after and n is not None and m is not None and m < n:
            out.append(f"lowers the row estimate of {_q(t)} in gates.{gate}.{key} from {n:,} to {m:,}")
    return out


_REPLAY_RANK = {"off": 0, "auto": 1, "on": 2}


def _replay_lowered(gate: str, key: str, old: Any, new: Any) -> list[str]:
    """`off` < `auto` (the default) < `on`: turning replay down is a relaxation, turning it on is not."""
    before, after = str(old or "auto"), str(new or "auto")
    if _REPLAY_RANK.get(after, 0) < _REPLAY_RANK.get(before, 0):
        return [f"lowers gates.{gate}.{key} from {before} to {after}"]
    return []


def _environments(gate: str, key: str, old: Any, new: Any) -> list[str]:
    if not old:
        return []
    if not new:
        return [f"removes gates.{gate}.{key}"]
    out = [f"drops environment {_q(n)} from gates.{gate}.{key}" for n in old.get("names", [])
           if n not in new.get("names", [])]
    if old.get("files") != new.get("files"):
        out.append(f"changes gates.{gate}.{key}.files from {_q(old.get('files'))} to {_q(new.get('files'))}")
    out += [f"adds {_q(k)} to gates.{gate}.{key}.ignore_keys" for k in new.get("ignore_keys", [])
            if k not in old.get("ignore_keys", [])]
    return out


def _schemas(gate: str, key: str, old: Any, new: Any) -> list[str]:
    def pairs(v: Any) -> set[tuple[tuple[str, ...], str]]:
        return {(as_globs(e.get("files")), str(e.get("schema"))) for e in (v or []) if isinstance(e, dict)}
    kept = pairs(new)
    return [f"no longer validates {_q(', '.join(files))} against {_q(schema)}"
            for files, schema in sorted(pairs(old) - kept)]


def _when_changed(gate: str, key: str, old: Any, new: Any) -> list[str]:
    def rules(v: Any) -> dict[tuple[tuple[str, ...], tuple[str, ...]], Severity | None]:
        out: dict[tuple[tuple[str, ...], tuple[str, ...]], Severity | None] = {}
        for e in v or []:
            if isinstance(e, dict):
                sev = Severity(e["severity"]) if e.get("severity") else None
                out[(as_globs(e.get("paths")), as_globs(e.get("require_touch")))] = sev
        return out
    from readiness.rules.catalog import catalog

    before, after = rules(old), rules(new)
    default = catalog().get("docs/change-without-docs").severity  # an entry without `severity` has the page's
    out = []
    for (paths, touch), sev in before.items():
        if (paths, touch) not in after:
            out.append(f"drops the gates.{gate}.{key} entry for {_q(', '.join(paths))}")
        elif (after[(paths, touch)] or default).rank < (sev or default).rank:
            out.append(f"lowers the severity of the gates.{gate}.{key} entry for {_q(', '.join(paths))}")
    return out


def _ignored(gate: str, key: str, old: Any, new: Any) -> list[str]:
    return []  # never taken from a repository (RUNNER_KEYS)


_GATE_KEYS: dict[str, dict[str, Judge]] = {
    "migrations": {"paths": _globs_narrowed, "dialect": _changed, "large_tables": _large_tables,
                   "large_table_rows": _raised(1_000_000), "require_reversible": _bool3(None),
                   "require_lock_timeout": _bool3(None), "transactional": _changed,
                   "replay": _replay_lowered},
    "deps": {"files": _globs_narrowed, "service": _changed, "offline_db": _changed, "osv_url": _ignored,
             "timeout": _ignored, "unknown_severity": _severity_lowered(Severity.CRITICAL),
             "require_lock": _bool3(True), "ignore_vulns": _items_added},
    "config": {"schemas": _schemas, "environments": _environments, "env_example": _changed,
               "env_files": _globs_narrowed, "env_schema": _changed, "secrets": _bool3(True),
               "files": _globs_narrowed},
    "docs": {"require": _items_removed, "adr_dir": _changed, "runbooks": _globs_narrowed,
             "runbook_sections": _items_removed, "adr_sections": _items_removed, "alert_rules": _globs_narrowed,
             "when_changed": _when_changed},
}
_SCOPE_RANK = {"all": 1, "new": 0, "introduced": 0}


def _gate(gate: str, old: dict[str, Any], new: dict[str, Any]) -> list[Relaxation]:
    out: list[Relaxation] = []
    if old.get("enabled", True) is not False and new.get("enabled", True) is False:
        out.append(Relaxation(key=("gates", gate, "enabled"), text=f"disables the {gate} gate"))
    if old.get("on_error", "fail") == "fail" and new.get("on_error", "fail") == "warn":
        out.append(Relaxation(key=("gates", gate, "on_error"),
                              text=f"lets the {gate} gate pass when it cannot run (on_error: warn)"))
    if _SCOPE_RANK.get(str(old.get("scope", "new")), 0) > _SCOPE_RANK.get(str(new.get("scope", "new")), 0):
        out.append(Relaxation(key=("gates", gate, "scope"),
                              text=f"narrows the {gate} gate from scope: all to what the PR introduces"))
    judges = _GATE_KEYS.get(gate, {})
    for key in sorted((set(old) | set(new)) - {"enabled", "on_error", "scope"}):
        judge = judges.get(key, _changed)  # a key we cannot judge: any change is for a person to look at
        for text in judge(gate, key, old.get(key), new.get(key)):
            where: PathKey = ("gates", gate, key) if key in new else ("gates", gate)
            out.append(Relaxation(key=where, text=text))
    return out


# -- findings ------------------------------------------------------------------------------------

def relaxation_findings(relaxed: Sequence[Relaxation], *, shown: str, position: Callable[[PathKey], tuple[int, int]],
                        base: str) -> list[Finding]:
    """One `config/policy-relaxed` finding per relaxation, at its line in the PR's file."""
    out = []
    for r in relaxed:
        line, column = position(r.key)
        out.append(RELAXED.finding(
            Location(path=shown, line=line, column=column),
            message=f"This change to {shown} {r.text}; the policy of {base} applies to this pull request, "
                    "and the relaxation needs the policy owners' review.",
            evidence=r.text))
    return out


def invalid_finding(error: ConfigError, *, shown: str, base: str) -> Finding:
    """The PR's version of the policy file is invalid: the base's policy judges, and the change is reviewed."""
    return RELAXED.finding(
        Location(path=shown, line=error.line or 1, column=error.column or 1),
        message=f"The pull request's {shown} is invalid ({error}): once merged, every run would stop with a "
                f"configuration error instead of a verdict. The policy of {base} applies to this pull request; "
                "fix the file, and the change needs the policy owners' review.",
        evidence=f"invalid:{shown}")


def unverifiable_finding(*, shown: str, why: str) -> Finding:
    """The PR may change the policy, and the base's version cannot be read: the defaults judge this run."""
    return RELAXED.finding(
        Location(path=shown, line=1, column=1),
        message=f"The pull request may change {shown}, but the base branch's version cannot be read ({why}): "
                "the built-in defaults judge this run and the change is not reviewed. Check out the base "
                "commit too (actions/checkout with fetch-depth: 2).",
        evidence=f"unverifiable:{shown}")


def _count_matching(files: Sequence[str], pattern: str, deadline: float) -> int | None:
    """How many of `files` the glob matches; None past the deadline (the count is only for the message)."""
    from readiness.workspace import glob_regex

    matcher = glob_regex(pattern)
    count = 0
    for n, f in enumerate(files, 1):
        if not n % 1024 and time.monotonic() > deadline:
            return None
        if matcher.match(f):
            count += 1
    return count


def _canon(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else _canon(value)
    return text if len(text) <= 80 else text[:79] + "…"


def _q(value: Any) -> str:
    return f"'{_short(value)}'" if value is not None else "(none)"
