"""Alerts need runbooks: Prometheus rule files and Kubernetes `PrometheusRule` resources.

Every `alert:` rule must carry `annotations.runbook_url` (or `runbook`). A target inside this
repository (a relative path, or a URL to this repository's blob/tree/raw file on GitHub, the
repository taken from `GITHUB_REPOSITORY`) must exist, and its `#anchor` must be the GitHub slug of
one of its headings (or an explicit `<a name=...>`). URLs elsewhere are not fetched (the gate runs
offline): they are reported once per file and host as unverified information.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from readiness import lazyre
from readiness.gates.docs.links import DOC_SUFFIXES, DocReader, is_external, is_templated, resolve_relative
from readiness.gates.docs.markdown import MarkdownDoc
from readiness.gates.docs.rules import (
    ALERT_RUNBOOK_ANCHOR_NOT_FOUND,
    ALERT_RUNBOOK_NOT_FOUND,
    ALERT_RUNBOOK_UNVERIFIED,
    ALERT_WITHOUT_RUNBOOK,
    INVALID_ALERT_RULES,
)
from readiness.model import Finding, Location
from readiness.workspace import FileProblem, Workspace, matches
from readiness.workspace.changes import ChangeSet
from readiness.yamlpos import PathKey, YamlDoc, YamlError, load_all

YAML_SUFFIXES = (".yml", ".yaml")
RUNBOOK_KEYS = ("runbook_url", "runbook", "runbook_link", "runbookurl", "playbook", "playbook_url")
_GROUPS_RE = lazyre.compile(r"^[ \t]*+(?:spec:[ \t]*+)?groups[ \t]*+:", re.MULTILINE)
_ALERT_RE = lazyre.compile(r"^[ \t]*+(?:-[ \t]++)?alert[ \t]*+:[ \t]*+\S", re.MULTILINE)
r"""Line starts only: `\s*` at `^` crossed newlines, so each blank line rescanned all the next ones."""
_TEST_DIR_RE = lazyre.compile(r"(?:^|/)(?:testdata|tests?|__tests__|fixtures|test-fixtures|test_data|examples?)/")
"""Auto-detection skips test data and examples: rule files there exercise parsers or show the
syntax, they page nobody."""
_LINE_ANCHOR_RE = lazyre.compile(r"^L\d+(?:C\d+)?(?:-L\d+(?:C\d+)?)?$")
BASE_FILES_LIMIT = 64
"""At most this many rule files are read at the base to tell an alert the PR only moved or
regenerated from one it added (two git calls each); past it, every alert in a changed file counts."""


@dataclass(frozen=True, slots=True)
class Alert:
    """One alerting rule."""

    name: str
    """The `alert:` value."""
    path: str
    """The rule file."""
    line: int
    """Line of the `alert:` key."""
    runbook: str | None
    """The runbook annotation's value."""
    runbook_line: int
    """Line of the runbook annotation (the alert's line when absent)."""


@dataclass(slots=True)
class AlertScan:
    """What the scan found."""

    files: list[str] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    templated: list[str] = field(default_factory=list)


def rule_files(ws: Workspace, globs: Sequence[str] | None, reader: DocReader) -> tuple[list[tuple[str, str]], bool]:
    """(path, text) of the alert rule files; True when they came from configured globs."""
    if globs:
        out = []
        for rel in ws.glob(globs):
            text = reader.text(rel)
            if text is not None:
                out.append((rel, text))
        return out, True
    found = []
    for rel in ws.files():
        if not rel.lower().endswith(YAML_SUFFIXES) or _TEST_DIR_RE.search(rel):
            continue
        try:
            text = ws.read_text(rel)
        except FileProblem:
            continue  # not known to be an alert file; other gates report unreadable config
        if _GROUPS_RE.search(text) and _ALERT_RE.search(text):
            found.append((rel, text))
    return found, False


def _groups(value: Any) -> tuple[PathKey, list[Any]] | None:
    if not isinstance(value, dict):
        return None
    if isinstance(value.get("groups"), list):
        return ("groups",), value["groups"]
    spec = value.get("spec")
    if str(value.get("kind", "")) == "PrometheusRule" or isinstance(spec, dict):
        if isinstance(spec, dict) and isinstance(spec.get("groups"), list):
            return ("spec", "groups"), spec["groups"]
    return None


def _alerts_in(rel: str, doc: YamlDoc) -> list[Alert]:
    found = _groups(doc.value)
    if found is None:
        return []
    base, groups = found
    out: list[Alert] = []
    for gi, group in enumerate(groups):
        rules = group.get("rules") if isinstance(group, dict) else None
        if not isinstance(rules, list):
            continue
        for ri, rule in enumerate(rules):
            if not isinstance(rule, dict) or "alert" not in rule:
                continue
            path: PathKey = (*base, gi, "rules", ri)
            line = doc.position((*path, "alert")).line
            runbook, rb_line = None, line
            annotations = rule.get("annotations")
            if isinstance(annotations, dict):
                for key, value in annotations.items():
                    if str(key).lower().replace("-", "_") in RUNBOOK_KEYS and value not in (None, ""):
                        runbook = str(value).strip()
                        rb_line = doc.position((*path, "annotations", key)).line
                        break
            out.append(Alert(str(rule["alert"]), rel, line, runbook, rb_line))
    return out


def scan(ws: Workspace, globs: Sequence[str] | None, reader: DocReader) -> AlertScan:
    """Find and parse the rule files."""
    result = AlertScan()
    files, configured = rule_files(ws, globs, reader)
    for rel, text in files:
        try:
            docs = load_all(text)
        except YamlError as exc:
            if not configured and ("{{" in text or "{%" in text):
                result.templated.append(rel)  # a Helm/Jinja template, not YAML yet
                continue
            result.findings.append(INVALID_ALERT_RULES.finding(
                Location(path=rel, line=exc.line, column=exc.column),
                message=f"Alert rule file {rel} is not valid YAML: {exc}.", evidence=str(exc)))
            continue
        alerts = [a for d in docs for a in _alerts_in(rel, d)]
        if configured and not alerts and not any(_groups(d.value) for d in docs):
            result.findings.append(INVALID_ALERT_RULES.finding(
                Location(path=rel, line=1),
                message=f"{rel} matches `alert_rules` but holds no Prometheus rule groups "
                        "(`groups:` or a PrometheusRule `spec.groups`).",
                evidence="no groups"))
            continue
        result.files.append(rel)
        result.alerts.extend(alerts)
    return result


# ---- runbook targets ----------------------------------------------------------------------------

def repository_path(url: str, repository: str | None, server: str | None) -> str | None:
    """The `ref/path...` part of a URL to a file of `repository` on GitHub, or None."""
    if not repository:
        return None
    parts = urlsplit(url)
    hosts = {"github.com", "www.github.com"}
    if server:
        hosts.add(urlsplit(server).netloc.lower())
    host = parts.netloc.lower()
    segs = [unquote(s) for s in parts.path.split("/") if s]
    repo = [s.lower() for s in repository.split("/")]
    if host == "raw.githubusercontent.com":
        if [s.lower() for s in segs[:2]] == repo and len(segs) > 3:
            return "/".join(segs[2:])
        return None
    if host in hosts and [s.lower() for s in segs[:2]] == repo and len(segs) > 3 \
            and segs[2] in ("blob", "tree", "raw", "edit"):
        return "/".join(segs[3:])
    return None


def _resolve_ref_path(ws: Workspace, ref_and_path: str) -> str | None:
    segs = ref_and_path.split("/")
    for k in range(1, len(segs)):  # branch names may contain "/"
        candidate = "/".join(segs[k:])
        if candidate and ws.exists(candidate):
            return candidate
    return None


def _anchor_ok(doc: MarkdownDoc | None, fragment: str) -> bool:
    if doc is None:
        return True  # unreadable: reported on its own
    frag = fragment.lower().removeprefix("user-content-")
    return frag in doc.anchors


def without_runbook_at_base(changes: ChangeSet | None, scan: AlertScan, globs: Sequence[str] | None,
                            base_text: Callable[[str], str | None]) -> frozenset[str] | None:
    """Names of the alerts that already had no runbook at the base, in the base versions of the rule
    files the PR changes and of the YAML files it deletes (a split, moved or regenerated rule file
    leaves its alerts' old names there). None on a full scan or when there are too many to read."""
    if changes is None:
        return None
    paths = [rel for rel in scan.files if changes.touched(rel)]
    for rel in sorted(changes.deleted):
        if globs:
            if matches(rel, globs):
                paths.append(rel)
        elif rel.lower().endswith(YAML_SUFFIXES) and not _TEST_DIR_RE.search(rel):
            paths.append(rel)
    if len(paths) > BASE_FILES_LIMIT:
        return None
    names: set[str] = set()
    for rel in paths:
        text = base_text(rel)
        if text is None or not (_GROUPS_RE.search(text) and _ALERT_RE.search(text)):
            continue
        try:
            docs = load_all(text)
        except YamlError:
            continue
        names.update(a.name for d in docs for a in _alerts_in(rel, d) if not a.runbook)
    return frozenset(names)


def check(ws: Workspace, alerts: Sequence[Alert], reader: DocReader,
          old_without: frozenset[str] | None = None) -> list[Finding]:
    """Findings for alerts without a runbook and runbooks that do not resolve.

    `old_without` (see `without_runbook_at_base`): an alert named there had no runbook before the
    PR either, so its finding is not introduced by it."""
    repository = os.environ.get("GITHUB_REPOSITORY") or None
    server = os.environ.get("GITHUB_SERVER_URL") or None
    out: list[Finding] = []
    unverified: dict[tuple[str, str], list[Alert]] = {}
    for alert in alerts:
        loc = Location(path=alert.path, line=alert.runbook_line)
        if not alert.runbook:
            finding = ALERT_WITHOUT_RUNBOOK.finding(
                Location(path=alert.path, line=alert.line),
                message=f"Alert {alert.name} has no runbook_url annotation, so whoever is paged "
                        "gets no instructions.",
                evidence=alert.name)
            if old_without is not None and alert.name in old_without:
                finding = finding.with_(introduced=False)
            out.append(finding)
            continue
        url = alert.runbook
        if is_templated(url):
            unverified.setdefault((alert.path, "templated URLs"), []).append(alert)
            continue
        target: str | None
        if is_external(url):
            inner = repository_path(url, repository, server)
            if inner is None:
                host = urlsplit(url).netloc or url.split(":", 1)[0]
                unverified.setdefault((alert.path, host), []).append(alert)
                continue
            target = _resolve_ref_path(ws, inner.split("#", 1)[0].split("?", 1)[0])
            shown = inner.split("#", 1)[0]
        else:
            path = unquote(url.split("#", 1)[0].split("?", 1)[0])
            target, _certain = resolve_relative(ws, alert.path, path)
            if target is None and not path.startswith("/"):
                target, _certain = resolve_relative(ws, "", path)
            shown = path
        fragment = unquote(url.split("#", 1)[1]) if "#" in url else ""
        if target is None:  # a runbook the PR deletes (or moves) is the PR's doing
            out.append(ALERT_RUNBOOK_NOT_FOUND.finding(
                loc, message=f"The runbook of alert {alert.name} ({shown}) does not exist in this repository.",
                evidence=f"{alert.name} {shown}", cause=_meant(alert.path, shown)))
            continue
        if not fragment or _LINE_ANCHOR_RE.match(fragment):
            continue
        doc_path = target
        if not target.lower().endswith(DOC_SUFFIXES):
            readme = next((f"{target}/{n}" for n in ("README.md", "readme.md", "index.md")
                           if ws.exists(f"{target}/{n}")), None)
            if readme is None:
                continue
            doc_path = readme
        doc = reader.markdown(doc_path)
        if not _anchor_ok(doc, fragment):
            out.append(ALERT_RUNBOOK_ANCHOR_NOT_FOUND.finding(
                loc, message=f"The runbook of alert {alert.name} points at #{fragment}, but {doc_path} has "
                             "no heading with that anchor.",
                evidence=f"{alert.name} {doc_path}#{fragment}"))
    for (path, host), group in sorted(unverified.items()):
        names = ", ".join(a.name for a in group[:3]) + (", ..." if len(group) > 3 else "")
        what = "alert links" if len(group) == 1 else f"{len(group)} alerts link"
        out.append(ALERT_RUNBOOK_UNVERIFIED.finding(
            Location(path=path, line=group[0].runbook_line),
            message=f"{what.capitalize()} a runbook on {host} ({names}); pages outside this repository "
                    "are not checked.",
            evidence=host))
    return out


def _meant(source: str, shown: str) -> tuple[str, ...]:
    """The repository paths a runbook link that resolves to nothing may have meant: relative to the
    alert file, and from the repository root."""
    rel = shown.lstrip("/")
    near = posixpath.normpath(posixpath.join(posixpath.dirname(source), shown)) if not shown.startswith("/") else rel
    return tuple(dict.fromkeys(p for p in (near, posixpath.normpath(rel) if rel else "") if p and p != "."))
