"""Markdown renderers: the sticky PR comment, its minimal fallback, and the job summary.

Why over 500 lines: the comment and the job summary share one size budget and one stated fallback
ladder (below); split apart, each step of the ladder would be written twice and could drift.

Pure `Report -> str`. All repository text goes through `readiness.render.escape`. Sizes are
budgeted here, not in the publisher: the comment stays within `budget` characters (GitHub rejects
bodies over 65,536) and the job summary within `budget_bytes` UTF-8 bytes (the runner drops a step
summary over 1 MiB whole). When the full text does not fit, it degrades in stated steps: low/info
findings outside the blocking list are counted instead of listed, then each file lists only its
first few findings ("… and N more in <file>"), then each section lists only its first findings, and
finally the minimal body (verdict and per-gate counts). Every shortened body says what it left out
and where the full report is.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import quote

from readiness import lazyre
from readiness.model import (
    GATE_TITLES,
    SEVERITIES_DESC,
    Advisory,
    ChangeKind,
    DependencyChange,
    Finding,
    GateResult,
    GateStatus,
    Report,
    Severity,
    VulnerablePackage,
    is_blocking,
)
from readiness.render import escape
from readiness.render.links import docs_base, rule_url

MARKER = "<!-- readiness-gates:summary -->"
"""The hidden first line by which the publisher finds its own comment (DESIGN)."""
COMMENT_BUDGET = 60_000
"""Characters; GitHub's limit is 65,536 and the publisher adds nothing."""
SUMMARY_BUDGET_BYTES = 1_000_000
"""UTF-8 bytes; the runner drops a step summary above 1 MiB (1,048,576 bytes)."""

_PATH_MAX = 200
_MESSAGE_MAX = 600
_FIX_MAX = 400
_REASON_MAX = 300
_NOTE_MAX = 300
_MINIMAL_NOTE_MAX = 100
_REF_MAX = 80

_SEVERITY_ICON = {
    Severity.CRITICAL: "🔴",
    Severity.HIGH: "🟠",
    Severity.MEDIUM: "🟡",
    Severity.LOW: "🔵",
    Severity.INFO: "⚪",
}
_STATUS_LABEL = {
    GateStatus.PASS: "✅ pass",
    GateStatus.FAIL: "❌ fail",
    GateStatus.ERROR: "⚠️ error",
    GateStatus.SKIPPED: "⏭️ skipped",
}
_MINOR = (Severity.LOW, Severity.INFO)
_MIN_LINE = len("- 🔴 **info** · [`x/y`](https://github.com/o/r/blob/main/checks/x/y.md) · whole file —  <!-- fp: -->")
"""A lower bound of one listed finding's length: plans that list too many are skipped unrendered."""
_FP_UNSAFE_RE = lazyre.compile(r"[^0-9A-Za-z]")
_SHA_RE = lazyre.compile(r"^[0-9a-f]{40}$")


@dataclass(frozen=True)
class LinkContext:
    """Where links in the comment point: files at the PR's head commit on this GitHub server."""

    server_url: str
    """`GITHUB_SERVER_URL`, e.g. `https://github.com`."""
    repository: str
    """`owner/name` (`GITHUB_REPOSITORY`)."""
    head_sha: str
    """The PR head commit (`pull_request.head.sha`, not the merge commit)."""

    def file_url(self, path: str, line: int | None = None, end_line: int | None = None) -> str:
        """`{server}/{repo}/blob/{sha}/{path}#L{line}-L{end}`, every part percent-encoded."""
        url = _blob_prefix(self) + escape.url_path(path)
        if line:
            url += f"#L{line}"
            if end_line and end_line > line:
                url += f"-L{end_line}"
        return url

    def commit_url(self, sha: str) -> str:
        """`{server}/{repo}/commit/{sha}`."""
        repo = f"{quote(self.server_url.rstrip('/'), safe=':/')}/{quote(self.repository, safe='/')}"
        return f"{repo}/commit/{quote(sha, safe='')}"


@lru_cache(maxsize=16)
def _blob_prefix(links: LinkContext) -> str:
    return (f"{quote(links.server_url.rstrip('/'), safe=':/')}/{quote(links.repository, safe='/')}"
            f"/blob/{quote(links.head_sha, safe='')}/")




class _Bucket(enum.Enum):
    BLOCKING = "blocking"
    ADVISORY = "advisory"
    PREEXISTING = "pre-existing"
    WAIVED = "waived"
    BASELINED = "baselined"


def _bucket(report: Report, f: Finding) -> _Bucket:
    if f.waiver is not None and f.waiver.source == "baseline":
        return _Bucket.BASELINED
    if f.waived:
        return _Bucket.WAIVED
    if is_blocking(f, report.fail_on, f.gate in report.scope_all_gates):
        return _Bucket.BLOCKING
    if not f.introduced:
        return _Bucket.PREEXISTING
    return _Bucket.ADVISORY


@dataclass(slots=True)
class _Entry:
    finding: Finding
    line: str | None = None
    """The finding's rendered list item (one line), rendered when first listed."""


@dataclass(frozen=True, slots=True)
class _Plan:
    """How much to list. The first plan that fits the budget wins."""

    hide_minor: bool = False
    """Low/info findings outside the blocking list are counted, not listed."""
    per_file: int | None = None
    """At most this many findings per file per section."""
    per_section: int | None = None
    """At most this many findings per section."""


@dataclass(slots=True)
class _Omitted:
    minor: int = 0
    per_file: int = 0
    per_section: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def any(self) -> bool:
        return bool(self.minor or self.per_file or self.per_section)


_COMMENT_PLANS = (
    _Plan(),
    _Plan(hide_minor=True),
    *(_Plan(hide_minor=True, per_file=n) for n in (20, 10, 5, 3, 1)),
    *(_Plan(hide_minor=True, per_file=1, per_section=n) for n in (200, 100, 50, 25, 10, 5)),
)
_SUMMARY_PLANS = (
    _Plan(),
    *(_Plan(per_file=n) for n in (100, 50, 20, 10, 5)),
    *(_Plan(hide_minor=True, per_file=n) for n in (5, 3, 1)),
    *(_Plan(hide_minor=True, per_file=1, per_section=n) for n in (1000, 200, 50)),
)


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def _fp_comment(f: Finding) -> str:
    return f"<!-- fp:{_FP_UNSAFE_RE.sub('', f.fingerprint)[:64]} -->"


def _location(f: Finding, links: LinkContext | None) -> str:
    loc = f.location
    if loc.line:
        text = f"line {loc.line}"
        if loc.end_line and loc.end_line > loc.line:
            text = f"lines {loc.line}–{loc.end_line}"
        elif loc.column:
            text += f":{loc.column}"
    else:
        text = "whole file"
    if links is None:
        return text
    return f"[{text}]({links.file_url(loc.path, loc.line, loc.end_line)})"


def _waiver_text(f: Finding) -> str:
    w = f.waiver
    if w is None:
        return ""
    if w.source == "baseline":
        return f"<br>**Baselined**: {escape.inline(w.reason, max_len=_REASON_MAX)}"
    where = "inline comment" if w.source == "inline" else "`.readiness.yml`"
    if w.source == "inline" and w.location is not None and w.location.line:
        where = f"inline comment on line {w.location.line}"
    expires = f", expires {w.expires.isoformat()}" if w.expires else ""
    return f"<br>**Waived** ({where}{expires}): {escape.inline(w.reason, max_len=_REASON_MAX)}"


@lru_cache(maxsize=1024)
def _rule_link(rule: str, docs: str) -> str:
    return f"[{escape.code_span(rule)}]({rule_url(rule, docs)})"


@lru_cache(maxsize=1024)
def _fix_text(fix: str) -> str:
    """Fixes mostly come from the rule pages and repeat, so they are escaped once."""
    return f"<br>**Fix:** {escape.prose(fix, max_len=_FIX_MAX)}"


def _finding_line(f: Finding, links: LinkContext | None, max_advisories: int | None = None, *,
                  docs: str) -> str:
    heuristic = " _(heuristic)_" if f.confidence.value == "heuristic" else ""
    parts = [
        f"- {_SEVERITY_ICON[f.severity]} **{f.severity.value}**{heuristic}",
        _rule_link(f.rule, docs),
        _location(f, links),
    ]
    if f.package is not None:
        headline = f.message.removesuffix(" " + f.package.advisory_list())
        text = (" · ".join(parts) + " — " + escape.prose(headline, max_len=_MESSAGE_MAX)
                + _advisory_links(f.package, max_advisories))
    else:
        text = " · ".join(parts) + " — " + escape.prose(f.message, max_len=_MESSAGE_MAX)
    if f.waived:
        text += _waiver_text(f)
    elif f.fix:
        text += _fix_text(f.fix)
    return f"{text} {_fp_comment(f)}"


_UNKNOWN_ICON = "❔"
"""An advisory with no published severity (ranked by the `unknown_severity` policy, as its finding says)."""
COMMENT_MAX_ADVISORIES = 40
"""Advisories linked per finding in the PR comment (the job summary and the JSON report list them all)."""
COMMENT_MAX_CHANGES = 30
"""Dependency changes listed in the PR comment (the job summary lists up to SUMMARY_MAX_CHANGES)."""
SUMMARY_MAX_CHANGES = 1000
_ADVISORIES_SHOWN_INLINE = 3
"""Advisory ids linked in a dependency-change row; the rest are counted."""


def _advisory_link(vid: str, url: str | None) -> str:
    text = escape.inline(vid, max_len=_REF_MAX)
    return f"[{text}]({url})" if url else text


def _advisory_links(pkg: VulnerablePackage, limit: int | None) -> str:
    """Every advisory of a vulnerable pin, each linked to its osv.dev page once, aliases after it."""
    shown = pkg.advisories if limit is None else pkg.advisories[:limit]
    items = []
    for a in shown:
        icon = _SEVERITY_ICON[a.ranked] if a.severity is not None else _UNKNOWN_ICON
        aliases = f" ({escape.inline(', '.join(a.aliases), max_len=_REASON_MAX)})" if a.aliases else ""
        items.append(f"{icon} {_advisory_link(a.id, a.url)}{aliases}")
    more = len(pkg.advisories) - len(shown)
    tail = f" · _… and {more} more in the job summary and the JSON report_" if more else ""
    return f"<br>**{_plural(len(pkg.advisories), 'advisory', 'advisories')}:** " + " · ".join(items) + tail


_CHANGE_LABEL = {
    ChangeKind.DOWNGRADED: "⬇️ downgraded",
    ChangeKind.UPGRADED: "⬆️ upgraded",
    ChangeKind.ADDED: "➕ added",
    ChangeKind.REMOVED: "➖ removed",
    ChangeKind.CHANGED: "✏️ changed",
}


def _change_advisories(c: DependencyChange) -> str:
    def ids(vids: tuple[str, ...]) -> str:
        shown = [_advisory_link(v, Advisory(id=v).url) for v in vids[:_ADVISORIES_SHOWN_INLINE]]
        more = len(vids) - len(shown)
        return ", ".join(shown) + (f" and {more} more" if more else "")

    parts = []
    if c.introduces:
        verb = {ChangeKind.DOWNGRADED: "re-introduces", ChangeKind.ADDED: "brings"}.get(c.kind, "introduces")
        parts.append(f"⚠️ {verb} {_plural(len(c.introduces), 'advisory', 'advisories')}: {ids(c.introduces)}")
    if c.resolves:
        parts.append(f"resolves {_plural(len(c.resolves), 'advisory', 'advisories')}: {ids(c.resolves)}")
    return "; ".join(parts)


def _version_cell(c: DependencyChange) -> str:
    def v(text: str | None) -> str:
        return escape.code_span(text or "", max_len=_REF_MAX, table=True)

    if c.old is not None and c.new is not None:
        return f"{v(c.old)} → {v(c.new)}"
    return v(c.new if c.new is not None else c.old)


def _changes_section(report: Report, limit: int, where: str) -> list[str]:
    """The dependency changes of every gate that compared with a base: one table row per change."""
    out: list[str] = []
    for g in report.gates:
        if not g.dependency_changes:
            continue
        changes = g.dependency_changes
        counts = {k: sum(1 for c in changes if c.kind is k) for k in ChangeKind}
        tally = ", ".join(f"{n} {k.value}" for k, n in counts.items() if n)
        out.append(f"**Dependency changes** ({tally}):")
        out.append("")
        out.append("| Change | Package | Version | File | Advisories |")
        out.append("|:--|:--|:--|:--|:--|")
        for c in changes[:limit]:
            path = escape.code_span(c.path, max_len=_PATH_MAX, table=True) + (f" line {c.line}" if c.line else "")
            out.append(f"| {_CHANGE_LABEL[c.kind]} | {escape.code_span(c.name, max_len=_REF_MAX, table=True)} | "
                       f"{_version_cell(c)} | {path} | {_change_advisories(c)} |")
        if len(changes) > limit:
            out.append("")
            out.append(f"_… and {_plural(len(changes) - limit, 'more change')}, listed {where}._")
        out.append("")
    return out


_Groups = list[tuple[str, list[tuple[str, list[_Entry]]]]]
"""Entries grouped by gate (report order), then by path (sorted)."""


def _group(entries: Sequence[_Entry], report: Report) -> _Groups:
    by_gate: dict[str, dict[str, list[_Entry]]] = {}
    for e in entries:
        by_gate.setdefault(e.finding.gate, {}).setdefault(e.finding.location.path, []).append(e)
    return [(g.gate, sorted(by_gate[g.gate].items())) for g in report.gates if g.gate in by_gate]


def _section(groups: _Groups, prep: _Prepared, plan: _Plan, omitted: _Omitted, *, protect: bool) -> list[str]:
    """Findings grouped by gate, then file. `protect` exempts the section from `hide_minor`."""
    out: list[str] = []
    listed = 0
    hidden_minor = 0
    cut = 0
    hide = plan.hide_minor and not protect
    for gate, files in groups:
        if hide:
            kept_files = []
            for path, file_entries in files:
                kept = [e for e in file_entries if e.finding.severity not in _MINOR]
                hidden_minor += len(file_entries) - len(kept)
                if kept:
                    kept_files.append((path, kept))
            files = kept_files
        if not files:
            continue
        if plan.per_section is not None and listed >= plan.per_section:
            cut += sum(len(fe) for _, fe in files)
            continue
        out.append(f"#### {GATE_TITLES.get(gate, gate)}")
        for path, file_entries in files:
            if plan.per_section is not None and listed >= plan.per_section:
                cut += len(file_entries)
                continue
            out.append("")
            out.append(prep.heading(path))
            shown = file_entries[: plan.per_file] if plan.per_file is not None else file_entries
            omitted.per_file += len(file_entries) - len(shown)
            if plan.per_section is not None and len(shown) > plan.per_section - listed:
                cut += len(shown) - (plan.per_section - listed)
                shown = shown[: plan.per_section - listed]
            out.extend(prep.line(e) for e in shown)
            listed += len(shown)
            rest = len(file_entries) - len(shown)
            if rest:
                out.append(f"- _… and {rest} more in {prep.shown_path(path)}_")
        out.append("")
    if hidden_minor:
        omitted.minor += hidden_minor
        out.append(f"_{_plural(hidden_minor, 'low/info finding')} not listed here to save space._")
        out.append("")
    if cut:
        omitted.per_section += cut
        out.append(f"_{_plural(cut, 'more finding')} not listed here to save space._")
        out.append("")
    return out


def _verdict(report: Report) -> str:
    blocking = len(report.blocking)
    threshold = escape.code_span(report.fail_on.value)
    if report.verdict == "fail":
        reasons = []
        if blocking:
            reasons.append(f"{_plural(blocking, 'blocking finding')} at or above {threshold}")
        if report.errored_gates_fail:
            gates = ", ".join(escape.code_span(g) for g in report.errored_gates_fail)
            reasons.append(f"{'gate' if len(report.errored_gates_fail) == 1 else 'gates'} {gates} "
                           "could not run (`on_error: fail`)")
        return "❌ **readiness-gates: FAIL** — " + "; ".join(reasons)
    if report.fail_on.value == "never":
        return "✅ **readiness-gates: PASS** — nothing blocks (`fail-on: never`)"
    return f"✅ **readiness-gates: PASS** — no blocking findings at or above {threshold}"


def _gate_counts(g: GateResult) -> dict[Severity, int]:
    counts = dict.fromkeys(SEVERITIES_DESC, 0)
    for f in g.findings:
        if not f.waived:
            counts[f.severity] += 1
    return counts


def _gate_table(report: Report, *, checked: bool = True) -> list[str]:
    head = "| Gate | Status | " + " | ".join(s.value.capitalize() for s in SEVERITIES_DESC)
    align = "|:--|:--|" + "--:|" * len(SEVERITIES_DESC)
    if checked:
        head += " | Checked"
        align += "--:|"
    rows = [head + " |", align]
    for g in report.gates:
        ran = g.status in (GateStatus.PASS, GateStatus.FAIL)
        counts = _gate_counts(g)
        cells = [str(counts[s]) if ran or counts[s] else "–" for s in SEVERITIES_DESC]
        if checked:
            cells.append(_checked(g.gate, len(g.items)) if ran else "–")
        title = escape.inline(GATE_TITLES.get(g.gate, g.gate))
        rows.append(f"| {title} | {_STATUS_LABEL[g.status]} | " + " | ".join(cells) + " |")
    return rows


_CHECKED_UNITS = {"migrations": ("migration", "migrations"), "deps": ("dependency", "dependencies"),
                  "config": ("file", "files"), "docs": ("document", "documents"),
                  "checklist": ("checklist item", "checklist items")}
"""What each gate's `items` are, so the "Checked" column says what it counts."""


def _checked(gate: str, n: int) -> str:
    one, many = _CHECKED_UNITS.get(gate, ("item", "items"))
    return f"{n} {one if n == 1 else many}"


def _gate_notes(report: Report, max_len: int) -> list[str]:
    out = []
    for g in report.gates:
        title = escape.inline(GATE_TITLES.get(g.gate, g.gate))
        reason = escape.inline(g.error or "no reason given", max_len=max_len)
        if g.status is GateStatus.ERROR:
            consequence = (" This fails the check (`on_error: fail`)." if g.gate in report.errored_gates_fail
                           else "")
            out.append(f"- **{title}** could not run: {reason}.{consequence}")
        elif g.status is GateStatus.SKIPPED:
            out.append(f"- **{title}** skipped: {reason}.")
    from readiness.render.replay import replay_line

    replayed = replay_line(report)
    if replayed is not None:
        head, _, rest = replayed.partition(": ")
        out.append(f"- **{head}**: {escape.inline(rest, max_len=max_len)}.")
    return out


def _ref(ref: str, links: LinkContext | None) -> str:
    """A ref as code; a full commit sha links to the commit when the comment has a repository to link into."""
    shown = escape.code_span(_short(ref), max_len=_REF_MAX)
    return f"[{shown}]({links.commit_url(ref)})" if links is not None and _SHA_RE.match(ref) else shown


def _scope_line(report: Report, links: LinkContext | None = None) -> str:
    if report.base:
        base = _ref(report.base, links)
        head = f" at {_ref(report.head, links)}" if report.head else ""
        line = (f"Compared with {base}{head}: findings in files this PR does not change are reported "
                "as pre-existing and do not block.")
    else:
        line = "Full scan (no base to compare with): every finding counts as introduced."
    return line + _excluded_note(report)


_EXCLUDED_SHOWN = 5
"""Directories skipped by the built-in exclusions that the comment names (the rest are counted)."""


def _excluded_note(report: Report) -> str:
    if not report.excluded_count:
        return ""
    shown = ", ".join(escape.code_span(p, max_len=_REF_MAX * 4) for p in report.excluded[:_EXCLUDED_SHOWN])
    more = report.excluded_count - min(len(report.excluded), _EXCLUDED_SHOWN)
    tail = f" and {more} more" if more > 0 else ""
    return (f" Not read, as vendored code or other projects' test data: {shown}{tail} (list them under "
            "`include:` in `.readiness.yml` to judge them).")


def _preexisting_where(report: Report) -> str:
    """Where pre-existing findings come from: untouched files, and (deps) advisories already on the base."""
    if any(f.package is not None and not f.introduced for f in report.findings):
        return " (already on the base branch, or in files this PR does not change)"
    return " in files this PR does not change"


def _short(ref: str | None) -> str:
    ref = ref or ""
    return ref[:12] if _SHA_RE.match(ref) else ref


def _tally(buckets: dict[_Bucket, list[_Entry]]) -> str:
    parts = []
    for bucket, word in ((_Bucket.BLOCKING, "blocking"), (_Bucket.ADVISORY, "below the threshold"),
                         (_Bucket.PREEXISTING, "pre-existing"), (_Bucket.WAIVED, "waived"),
                         (_Bucket.BASELINED, "baselined")):
        n = len(buckets[bucket])
        if n:
            parts.append(f"**{n}** {word}")
    return " · ".join(parts)


_FOOTER_WAIVE = ("Waive a finding with a comment `readiness: ignore <rule-id> -- <reason>` on its line or "
                 "the line before, or with a `waivers:` entry (rule, path, reason, expires) in "
                 "`.readiness.yml`. Each rule id links to its page: why it matters and the safe alternative.")


@dataclass(slots=True)
class _Prepared:
    """Everything that does not depend on the plan, rendered once per call."""

    report: Report
    links: LinkContext | None
    buckets: dict[_Bucket, list[_Entry]]
    groups: dict[_Bucket, _Groups]
    header: list[str]
    _headings: dict[str, str] = field(default_factory=dict)
    _paths: dict[str, str] = field(default_factory=dict)

    max_advisories: int | None = None
    docs: str = ""
    """The base URL of the rule pages (`readiness.render.links.docs_base`)."""

    def line(self, entry: _Entry) -> str:
        if entry.line is None:
            entry.line = _finding_line(entry.finding, self.links, self.max_advisories, docs=self.docs)
        return entry.line

    def listed(self, plan: _Plan) -> int:
        """How many findings `plan` lists (cheap: no text is rendered)."""
        total = 0
        for bucket, groups in self.groups.items():
            hide = plan.hide_minor and bucket is not _Bucket.BLOCKING
            listed = 0
            for _, files in groups:
                for _, entries in files:
                    n = (sum(1 for e in entries if e.finding.severity not in _MINOR) if hide else len(entries))
                    if plan.per_file is not None:
                        n = min(n, plan.per_file)
                    if plan.per_section is not None:
                        n = min(n, plan.per_section - listed)
                    listed += n
            total += listed
        return total

    def shown_path(self, path: str) -> str:
        if path not in self._paths:
            self._paths[path] = escape.inline(path, max_len=_PATH_MAX, keep_end=True) if path else "(repository)"
        return self._paths[path]

    def heading(self, path: str) -> str:
        if path not in self._headings:
            shown = self.shown_path(path)
            if self.links is None or not path:
                self._headings[path] = f"**{shown}**"
            else:
                self._headings[path] = f"**[{shown}]({self.links.file_url(path)})**"
        return self._headings[path]


def _prepare(report: Report, links: LinkContext | None, *, max_changes: int = SUMMARY_MAX_CHANGES,
             changes_where: str = "in the JSON report", max_advisories: int | None = None,
             docs: str | None = None, details: bool = False, list_baselined: bool = True) -> _Prepared:
    order = {g.gate: i for i, g in enumerate(report.gates)}
    every = sorted(
        (f for g in report.gates for f in g.findings),
        key=lambda f: (order.get(f.gate, 99), f.location.path, f.location.line or 0, -f.severity.rank, f.rule),
    )
    buckets: dict[_Bucket, list[_Entry]] = {b: [] for b in _Bucket}
    for f in every:
        buckets[_bucket(report, f)].append(_Entry(finding=f))
    header = [_verdict(report), ""]
    tally = _tally(buckets)
    header.append(_scope_line(report, links) + (f" Findings: {tally}." if tally else ""))
    header.append("")
    header.extend(_gate_table(report))
    header.append("")
    notes = _gate_notes(report, _NOTE_MAX)
    if notes:
        header.extend(notes)
        header.append("")
    header.extend(_scorecard(report, minimal=False))
    header.extend(_changes_section(report, max_changes, changes_where))
    if details:  # the job summary says what each gate looked at; the comment stays short
        from readiness.render.details import details_section

        header.extend(details_section(report))
    # the comment counts baselined findings (accepted, never blocking) and leaves the list to the job summary
    groups = {b: _group(entries if list_baselined or b is not _Bucket.BASELINED else [], report)
              for b, entries in buckets.items()}
    return _Prepared(report=report, links=links, buckets=buckets, groups=groups, header=header,
                     max_advisories=max_advisories, docs=docs or docs_base())


def _document(prep: _Prepared, plan: _Plan, *, marker: bool, shortened_why: str, full_where: str) -> str:
    report, buckets = prep.report, prep.buckets
    omitted = _Omitted()
    blocking = _section(prep.groups[_Bucket.BLOCKING], prep, plan, omitted, protect=True)
    folded: list[tuple[str, list[str]]] = []
    counted: list[str] = []
    advisory_why = (f"below the {escape.html(report.fail_on.value)} threshold" if report.fail_on.value != "never"
                    else "that do not block (fail-on: never)")
    for bucket, adjective, after in (
        (_Bucket.ADVISORY, "", f" {advisory_why}"),
        (_Bucket.PREEXISTING, "pre-existing ", _preexisting_where(report)),
        (_Bucket.WAIVED, "waived ", ""),
        (_Bucket.BASELINED, "baselined ", " (accepted in the baseline file; they never block)"),
    ):
        entries = buckets[bucket]
        if entries:
            title = f"{len(entries)} {adjective}{'finding' if len(entries) == 1 else 'findings'}{after}"
            if not prep.groups[bucket]:
                counted.append(f"{title}: listed in the job summary.")
                continue
            folded.append((title, _section(prep.groups[bucket], prep, plan, omitted, protect=False)))

    out: list[str] = [MARKER] if marker else []
    out.extend(prep.header)
    if omitted.any:
        left_out = []
        if omitted.minor:
            left_out.append(f"{_plural(omitted.minor, 'low/info finding')} outside the blocking list "
                            "(counted, not listed)")
        if omitted.per_file:
            left_out.append(f"{_plural(omitted.per_file, 'finding')} beyond the first {plan.per_file} per file")
        if omitted.per_section:
            left_out.append(f"{_plural(omitted.per_section, 'finding')} beyond the first "
                            f"{plan.per_section} per section")
        out.append(f"> **Shortened {shortened_why}.** Not listed: " + "; ".join(left_out) + ". "
                   f"The full report is {full_where}.")
        out.append("")
    if blocking:
        out.append(f"### Blocking findings ({len(buckets[_Bucket.BLOCKING])})")
        out.append("")
        out.extend(blocking)
    elif not report.errored_gates_fail:
        if not any(buckets.values()):
            ran = sum(1 for g in report.gates if g.status in (GateStatus.PASS, GateStatus.FAIL))
            out.append(f"All {_plural(ran, 'gate')} that ran found nothing to report.")
        else:
            out.append("Nothing blocks this pull request.")
        out.append("")
    for line in counted:
        out.append(line)
        out.append("")
    for title, lines in folded:
        out.append("<details>")
        out.append(f"<summary>{title}</summary>")
        out.append("")
        out.extend(lines)
        out.append("</details>")
        out.append("")
    out.append("---")
    out.append(f"<sub>{_FOOTER_WAIVE} readiness-gates {escape.inline(report.version, max_len=40)}</sub>")
    return "\n".join(out) + "\n"


def _minimal(report: Report, *, marker: bool, why: str, where: str) -> str:
    out = [MARKER] if marker else []
    out.append(_verdict(report))
    out.append("")
    out.extend(_gate_table(report, checked=False))
    out.append("")
    notes = _gate_notes(report, _MINIMAL_NOTE_MAX)
    if notes:
        out.extend(notes)
        out.append("")
    out.extend(_scorecard(report, minimal=True))
    total = sum(len(g.findings) for g in report.gates)
    out.append(f"{_plural(total, 'finding')} in all. {why} The full report is {where}.")
    return "\n".join(out) + "\n"


def _cut(text: str, budget: int, *, in_bytes: bool) -> str:
    """Last resort for absurdly small budgets: cut at a line boundary."""
    if in_bytes:
        raw = text.encode("utf-8")[:budget]
        text = raw.decode("utf-8", errors="ignore")
    else:
        text = text[:budget]
    head, sep, _ = text.rpartition("\n")
    return head + sep if sep else text


_COMMENT_WHERE = "in the job summary of this run and in the JSON report (the action's `report` output)"
_SUMMARY_WHERE = "in the JSON report (the action's `report` output, or `readiness check --format json`)"


def render_minimal(report: Report, *, links: LinkContext | None = None) -> str:
    """Marker, verdict and per-gate counts: the fallback comment. Always under 5,000 characters."""
    del links  # accepted for symmetry with render_comment; the minimal body links nothing
    return _minimal(report, marker=True,
                    why="This comment lists no findings because they do not fit a PR comment.",
                    where=_COMMENT_WHERE)


def render_comment(report: Report, *, links: LinkContext | None = None, budget: int = COMMENT_BUDGET,
                   docs: str | None = None) -> str:
    """The sticky PR comment, starting with the marker, at most `budget` characters. Rule pages are
    linked under `docs` (default: `readiness.render.links.docs_base()`)."""
    prep = _prepare(report, links, max_changes=COMMENT_MAX_CHANGES, changes_where="in the job summary",
                    max_advisories=COMMENT_MAX_ADVISORIES, docs=docs, list_baselined=False)
    for plan in _COMMENT_PLANS:
        if prep.listed(plan) * _MIN_LINE > budget:
            continue
        body = _document(prep, plan, marker=True,
                         shortened_why="to fit GitHub's comment size limit", full_where=_COMMENT_WHERE)
        if len(body) <= budget:
            return body
    body = render_minimal(report, links=links)
    return body if len(body) <= budget else _cut(body, budget, in_bytes=False)


def render_summary(report: Report, *, links: LinkContext | None = None,
                   budget_bytes: int = SUMMARY_BUDGET_BYTES, docs: str | None = None) -> str:
    """The job summary (and `--format markdown`): every finding, at most `budget_bytes` UTF-8 bytes."""
    why = ("to fit the 1 MiB job-summary limit" if budget_bytes >= SUMMARY_BUDGET_BYTES
           else f"to fit a {budget_bytes:,}-byte limit")
    prep = _prepare(report, links, docs=docs, details=True)
    for plan in _SUMMARY_PLANS:
        if prep.listed(plan) * _MIN_LINE > budget_bytes:
            continue
        body = _document(prep, plan, marker=False, shortened_why=why, full_where=_SUMMARY_WHERE)
        if len(body.encode("utf-8")) <= budget_bytes:
            return body
    body = _minimal(report, marker=False, why="The findings do not fit the job summary's size limit.",
                    where=_SUMMARY_WHERE)
    return body if len(body.encode("utf-8")) <= budget_bytes else _cut(body, budget_bytes, in_bytes=True)


def _scorecard(report: Report, *, minimal: bool) -> list[str]:
    """The pillar scorecard, when the checklist gate ran: a section, or one line in the minimal body."""
    from readiness.score.rubric import score

    card = score(report)
    if card is None:
        return []
    from readiness.render.scorecard import markdown_line, markdown_section

    return [markdown_line(card), ""] if minimal else markdown_section(card)
