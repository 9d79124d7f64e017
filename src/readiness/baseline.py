"""The baseline: findings a repository accepted when it adopted the gates, recorded by fingerprint.

`readiness baseline` writes `.readiness-baseline.json` (one entry per line, sorted, small: fingerprint,
rule and path, and how many identical findings the file had when more than one; no line numbers or
messages, so that edits elsewhere in a file do not churn it). Later
runs mark a finding whose fingerprint the baseline holds as waived with source `baseline`: it is still
listed and counted ("baselined"), and never blocks. An entry that matches nothing in a full scan is a
`config/stale-baseline-entry` finding, so the file shrinks as the old findings are fixed.

The baseline is repository content, and a pull request could add entries for its own new findings.
So it belongs to the base branch, like `.readiness.yml` (`readiness.config.policy`): when a base is
known, the entries come from the base commit's file, read from git's object database; an entry the
pull request adds does not apply until it is merged, and a `config/unreviewed-baseline-entry` finding
says so.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from readiness import lazyre
from readiness.errors import ConfigError, value_problem
from readiness.model import Finding, Location, Waiver
from readiness.rules.catalog import rule

if TYPE_CHECKING:
    from readiness.workspace.changes import ChangeSet

BASELINE_NAME = ".readiness-baseline.json"
"""The file's default name, at the repository root."""
BASELINE_MAX_BYTES = 8 * 1024 * 1024
"""A larger file is refused (about 60,000 entries fit)."""
STALE = rule("config/stale-baseline-entry")
UNREVIEWED = rule("config/unreviewed-baseline-entry")
NOT_BASELINED = frozenset({"config/policy-relaxed", STALE.id, UNREVIEWED.id})
"""Rules a baseline never records or silences: they are about this run's policy, not about the code."""
UNJUDGED = frozenset({"unreadable-file", "python-syntax-error", "parse-error", "invalid-requirement",
                       "invalid-alert-rules", "invalid-front-matter", "invalid-checklist", "invalid-schema",
                       "unsupported-schema"})
"""Rule names (any gate) whose finding says a file was not judged: its fingerprint holds the reason (not
UTF-8, not valid Python, not valid TOML), not the content, so an entry for it cannot tell the content it
accepted from what a pull request puts there. It does not apply to a file the pull request changes."""
CONTENT_BOUND = frozenset({"migrations/parse-error"})
"""Of those, the rules whose fingerprint holds the content they are about (the statement's text)."""
UNJUDGED_NOTE = ("The baseline's entry for it does not apply: the pull request changes this file, which was "
                 "not judged, so what the baseline accepted cannot be told from what is there now.")
MAX_UNREVIEWED = 50
"""Entries a pull request adds that are reported one by one; the rest are counted in one more finding."""
NOTE = ("Findings accepted when readiness-gates was adopted: reported as baselined, never blocking. "
        "Rerun `readiness baseline` to rewrite this file; delete an entry when its finding is fixed.")

_FP_LINE = lazyre.compile(r'"fingerprint"\s*:\s*"([0-9a-f]{16,64})"')


@dataclass(frozen=True, slots=True, kw_only=True)
class Entry:
    """One accepted finding."""

    fingerprint: str
    """The finding's fingerprint (rule, path and normalized evidence; no line number)."""
    rule: str
    """Its rule id, for people reading the file and for the stale entry's gate."""
    path: str
    """Its file, for people reading the file."""
    line: int = 1
    """The entry's line in the baseline file (where a finding about the entry points)."""
    count: int = 1
    """How many findings with this fingerprint were accepted (identical findings in one file): one more
    is new, and blocks."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Baseline:
    """The entries that apply to this run, and those a pull request added that do not."""

    path: str
    """The baseline file, repository-relative (or as given, when it is the runner's own file)."""
    entries: tuple[Entry, ...]
    """Entries that apply: the base commit's when a base is known, else the working copy's."""
    origin: str
    """Where the entries were read, in plain words (`.readiness-baseline.json at 1a2b3c4d5e6f`)."""
    unreviewed: tuple[Entry, ...] = ()
    """Entries in the working copy that the base's file does not have: added by the pull request."""
    unreviewed_why: str = ""
    """Why they do not apply, as a clause."""
    file_added: bool = False
    """The base has no baseline file: the pull request adds it (adopting the gates), reported as one finding."""
    _by_fp: dict[str, Entry] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_fp", {e.fingerprint: e for e in self.entries})

    def apply(self, findings: Sequence[Finding], *, ran: Iterable[str], full_scan: bool) -> list[Finding]:
        """`findings` with the baselined ones waived (source `baseline`), then one finding per entry the
        pull request added, and, in a full scan, one per entry of a gate that ran that matched nothing.
        (With a base, the migrations and deps gates judge only what is new, so an entry matching nothing
        there says nothing about the old finding.) With a base, an entry never applies to a finding that
        says a file the pull request changes was not judged (UNJUDGED)."""
        matched: dict[str, int] = {}
        out: list[Finding] = []
        for f in findings:
            entry = self._by_fp.get(f.fingerprint)
            if entry is not None and not full_scan and f.introduced and _unjudged(f.rule):
                out.append(f.with_(message=f"{f.message} {UNJUDGED_NOTE}") if not f.waived else f)
                continue
            if entry is not None and f.rule not in NOT_BASELINED and matched.get(entry.fingerprint, 0) < entry.count:
                matched[entry.fingerprint] = matched.get(entry.fingerprint, 0) + 1
                if not f.waived:
                    f = f.with_(waiver=Waiver(reason=f"accepted in the baseline ({self.origin})", source="baseline",
                                              location=Location(path=self.path, line=entry.line)))
            out.append(f)
        out.extend(self._unreviewed_findings())
        if full_scan:
            gates = set(ran)
            out.extend(STALE.finding(
                Location(path=self.path, line=e.line),
                message=f"Baseline entry for {e.rule} in {e.path} matches no finding any more; "
                        "delete it (or rerun `readiness baseline`).",
                evidence=e.fingerprint)
                for e in self.entries if e.fingerprint not in matched and e.rule.split("/", 1)[0] in gates)
        return out


    def _unreviewed_findings(self) -> list[Finding]:
        """One finding per entry the pull request adds (at most MAX_UNREVIEWED, then one for the rest);
        one in all when it adds the whole file."""
        added = self.unreviewed
        if not added:
            return []
        if self.file_added:
            n, rules, files = len(added), len({e.rule for e in added}), len({e.path for e in added})
            return [UNREVIEWED.finding(
                Location(path=self.path, line=1),
                message=f"This pull request adds the baseline with {n} entr{'y' if n == 1 else 'ies'} "
                        f"({rules} rule{'s' if rules != 1 else ''}, {files} file{'s' if files != 1 else ''}); it "
                        "does not apply until merged, so the findings it names are judged as usual.",
                evidence="file-added")]
        out = [UNREVIEWED.finding(
            Location(path=self.path, line=e.line),
            message=f"This pull request adds a baseline entry for {e.rule} in {e.path}; it does not apply "
                    f"until merged ({self.unreviewed_why}), so the finding it names is judged as usual.",
            evidence=e.fingerprint) for e in added[:MAX_UNREVIEWED]]
        if len(added) > MAX_UNREVIEWED:
            rest = len(added) - MAX_UNREVIEWED
            out.append(UNREVIEWED.finding(
                Location(path=self.path, line=added[MAX_UNREVIEWED].line),
                message=f"This pull request adds {rest} more baseline entr{'y' if rest == 1 else 'ies'}; none applies "
                        f"until merged ({self.unreviewed_why}).",
                evidence=f"more:{rest}"))
        return out


def _unjudged(rule_id: str) -> bool:
    """True for a finding that says its file was not judged (see UNJUDGED)."""
    return rule_id.rsplit("/", 1)[-1] in UNJUDGED and rule_id not in CONTENT_BOUND


# -- the file -----------------------------------------------------------------------------------

def record(findings: Iterable[Finding]) -> tuple[str, int]:
    """The baseline file for `findings` (every unwaived one a baseline may hold), and its entry count.
    Sorted by path, rule and fingerprint, one entry per line, so that a rewrite diffs line by line."""
    counts = Counter((f.location.path, f.rule, f.fingerprint) for f in findings
                     if not f.waived and f.rule not in NOT_BASELINED)
    rows = sorted(counts)
    lines = [json.dumps({"fingerprint": fp, "rule": rid, "path": path}
                        | ({"count": counts[path, rid, fp]} if counts[path, rid, fp] > 1 else {}), ensure_ascii=False)
             for path, rid, fp in rows]
    body = ",\n    ".join(lines)
    text = (f'{{\n  "schema_version": 1,\n  "note": {json.dumps(NOTE)},\n  "entries": ['
            + (f"\n    {body}\n  " if lines else "") + "]\n}\n")
    return text, len(rows)


def parse(raw: bytes, shown: str) -> tuple[Entry, ...]:
    """The entries of a baseline file; ConfigError naming the file (and line) when it is not one."""
    from jsonschema import Draft202012Validator

    from readiness.schemas import baseline_schema

    try:
        text = raw.decode("utf-8")
        data = json.loads(text)
    except UnicodeDecodeError:
        raise ConfigError("the baseline is not UTF-8 text", path=shown) from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"the baseline is not JSON: {exc.msg}", path=shown, line=exc.lineno,
                          column=exc.colno) from None
    except ValueError as exc:
        raise ConfigError(f"the baseline is not read: {value_problem(exc)}", path=shown) from None
    except RecursionError:
        raise ConfigError("the baseline nests too deeply to be read", path=shown) from None
    error = next(iter(sorted(Draft202012Validator(baseline_schema()).iter_errors(data),
                             key=lambda e: list(map(str, e.absolute_path)))), None)
    if error is not None:
        where = "/".join(map(str, error.absolute_path)) or "the top level"
        raise ConfigError(f"the baseline does not match its schema at {where}: {error.message[:200]}; "
                          "rewrite it with `readiness baseline`", path=shown)
    lines: dict[str, int] = {}
    for lineno, line in enumerate(text.splitlines(), start=1):
        for m in _FP_LINE.finditer(line):
            lines.setdefault(m.group(1), lineno)
    return tuple(Entry(fingerprint=e["fingerprint"], rule=e["rule"], path=e["path"],
                       line=lines.get(e["fingerprint"], 1), count=e.get("count", 1)) for e in data["entries"])


# -- which version applies ------------------------------------------------------------------------

def load_baseline(root: Path, given: str | None = None, *, workspace: Path | None = None,
                  changes: ChangeSet | None = None, base: str | None = None) -> Baseline | None:
    """The baseline for this run: `given`, else `root/.readiness-baseline.json`; None when there is none.

    A file inside the workspace is repository content: read through the workspace's rules (no symlink
    out of it or into `.git/`), and, when a base is known (`changes`), taken from the base commit, with
    the working copy's extra entries reported as not applying. `base` names a base whose changes could
    not be computed at all: then no entry of a repository file applies. A file outside the workspace is
    the runner's own and is used as it is."""
    from readiness.runner import repository_relative
    from readiness.workspace import FileProblem, Workspace
    from readiness.workspace.changes import GitUnavailable

    ws_root = workspace or root
    if given:
        path = Path(given) if Path(given).is_absolute() else Path.cwd() / given
        rel = repository_relative(path, ws_root)
        if rel is None:
            try:
                raw = path.read_bytes()[:BASELINE_MAX_BYTES + 1]
            except OSError as exc:
                raise ConfigError(f"cannot read the baseline: {exc.strerror}", path=given) from None
            if len(raw) > BASELINE_MAX_BYTES:
                raise ConfigError(f"the baseline is over {BASELINE_MAX_BYTES:,} bytes", path=given)
            return Baseline(path=given, entries=parse(raw, given), origin=f"the runner's {given}")
        reader_root, rel_root = ws_root, rel
    else:
        path, reader_root, rel_root = root / BASELINE_NAME, root, BASELINE_NAME
    shown = rel_root
    head: tuple[Entry, ...] | None = None
    if os.path.lexists(reader_root / rel_root):
        try:
            raw = Workspace(reader_root).read_bytes(rel_root, limit=BASELINE_MAX_BYTES)
            head = parse(raw, shown)
        except FileProblem as exc:
            if changes is None:
                raise ConfigError(exc.reason, path=shown) from None
            head = ()  # with a base, the base's version applies: the PR's unreadable one adds nothing
        except ConfigError:
            if changes is None:
                raise
            head = ()
    elif given:
        raise ConfigError("baseline file not found", path=shown)
    if changes is None:
        if base is not None:  # a base, but no way to know the PR's files: no repository entry applies
            return None if head is None else _unreviewed(shown, (), head, "unknown", "the base could not be read")
        return None if head is None else Baseline(path=shown, entries=head, origin=shown)
    repo = changes.repo
    top_rel = repository_relative(path, repo.work_tree) if repo is not None else None
    label = changes.base[:12] if re.fullmatch(r"[0-9a-f]{40,64}", changes.base) else changes.base
    if repo is None or changes.base_commit is None or changes.base_sha is None or top_rel is None:
        rel_here = repository_relative(path, root)
        if rel_here is not None and rel_here not in changes.files and rel_here not in changes.deleted:
            # git cannot read the base, but the API's list says the PR leaves the file alone
            return None if head is None else Baseline(path=shown, entries=head, origin=f"{shown} (unchanged by the PR)")
        if head is None:
            return None
        return _unreviewed(shown, (), head, label, "the base commit is not in this clone")
    try:
        base_raw = repo.read_file(changes.base_commit, top_rel, limit=BASELINE_MAX_BYTES, from_top=True)
        start_raw = base_raw if changes.base_sha == changes.base_commit else \
            repo.read_file(changes.base_sha, top_rel, limit=BASELINE_MAX_BYTES, from_top=True)
    except GitUnavailable as exc:
        return None if head is None else _unreviewed(shown, (), head, label, str(exc))
    at = f"{shown} at {label}"
    base_entries = parse(base_raw, at) if base_raw is not None else ()
    start_entries = parse(start_raw, at) if start_raw is not None else ()
    if head is None and not base_entries:
        return None
    return _unreviewed(shown, base_entries, head or (), label, f"the baseline of {label} applies",
                       known=start_entries, file_added=base_raw is None and start_raw is None)


def _unreviewed(shown: str, entries: tuple[Entry, ...], head: tuple[Entry, ...], label: str, why: str,
                *, known: tuple[Entry, ...] = (), file_added: bool = False) -> Baseline:
    """The base's `entries` apply; the working copy's others (not in `known` either) are reported."""
    had = {e.fingerprint for e in entries} | {e.fingerprint for e in known}
    added = tuple(e for e in head if e.fingerprint not in had)
    origin = f"{shown} at {label}" if entries or label != "unknown" else shown
    return Baseline(path=shown, entries=entries, origin=origin, unreviewed=added, unreviewed_why=why,
                    file_added=file_added)
