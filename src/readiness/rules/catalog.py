"""Loads the rule pages once and hands out rule handles.

A page is `checks/<gate>/<kebab-name>.md`: YAML front matter (id, severity, summary, fix, since,
and optional fields such as risk and lock), then markdown with "## Why it matters" and
"## Safe alternative" sections and optional ```<lang> bad / ```<lang> good example blocks.

Gates hold handles: `RENAME_COLUMN = rule("migrations/rename-column")`. Creating a handle
registers the id as used, so a test can check that used ids and page ids are the same set.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from readiness import lazyre
from readiness.errors import CatalogError
from readiness.model import (
    Confidence,
    Finding,
    Location,
    RuleId,
    Severity,
    fingerprint,
)

RULE_ID_RE = lazyre.compile(r"^(migrations|deps|config|docs|checklist)/[a-z0-9]+(-[a-z0-9]+)*$")
_FRONT_MATTER_RE = lazyre.compile(r"\A---\n(.*?)\n---\n", re.DOTALL)
_EXAMPLE_RE = lazyre.compile(r"^```(?P<lang>[\w.+-]+) (?P<kind>bad|good)(?P<attrs>[^\n]*)\n(?P<body>.*?)^```\s*$",
                             re.DOTALL | re.MULTILINE)
SUMMARY_MAX = 160
FIX_MAX = 300


@dataclass(frozen=True, slots=True, kw_only=True)
class Example:
    """A fenced example on a rule page: `bad` must trigger the rule, `good` must not."""

    kind: str
    """`bad` or `good`."""
    lang: str
    """The fence language (sql, python, yaml, toml, text, ...)."""
    attrs: dict[str, str]
    """`key=value` words after the kind, e.g. `file=db/migrations/V1__x.sql`."""
    body: str
    """The example text."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    """One rule, parsed from its page."""

    id: RuleId
    """`<gate>/<kebab-name>`."""
    severity: Severity
    """Default severity."""
    introduced_severity: Severity | None = None
    """Front matter `severity_introduced`: the severity of a finding the pull request brings in (a file
    it adds or changes), when that differs from the default. The rules for what the gate could not
    read carry `critical` here, so a PR cannot hide a statement by making it unreadable (fail closed);
    a full scan, or a file the PR left alone, keeps the default."""
    summary: str
    """One line: what the pattern is and why it hurts."""
    fix: str
    """One or two sentences: the safe alternative."""
    body: str
    """The page's markdown after the front matter."""
    since: str
    """Version that introduced the rule."""
    meta: dict[str, Any]
    """Other front-matter fields (risk, lock, confidence, ...)."""
    examples: tuple[Example, ...]
    """The page's example blocks."""

    @property
    def gate(self) -> str:
        """The gate part of the id."""
        return self.id.split("/", 1)[0]

    @property
    def name(self) -> str:
        """The kebab-name part of the id."""
        return self.id.split("/", 1)[1]

    @property
    def doc(self) -> str:
        """Repository path of the page."""
        return f"checks/{self.id}.md"

    def finding(
        self,
        location: Location,
        *,
        message: str,
        evidence: str = "",
        severity: Severity | None = None,
        fix: str | None = None,
        confidence: Confidence | None = None,
        cause: tuple[str, ...] = (),
    ) -> Finding:
        """A finding of this rule. Severity and fix default to the page's; `cause`: see `Finding.cause`."""
        conf = confidence or Confidence(self.meta.get("confidence", Confidence.CERTAIN.value))
        return Finding(
            rule=self.id,
            severity=severity or self.severity,
            location=location,
            message=message,
            fix=fix if fix is not None else self.fix,
            fingerprint=fingerprint(self.id, location.path, evidence or message),
            confidence=conf,
            cause=cause,
        )


def _parse_page(path: Path, expected_id: str) -> Rule:
    import yaml

    text = path.read_text(encoding="utf-8")
    m = _FRONT_MATTER_RE.match(text)
    if not m:
        raise CatalogError(f"{path}: rule page has no front matter")
    try:
        meta = yaml.load(m.group(1), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506
    except yaml.YAMLError as exc:
        raise CatalogError(f"{path}: front matter is not valid YAML: {exc}") from exc
    if not isinstance(meta, dict):
        raise CatalogError(f"{path}: front matter must be a mapping")
    meta = dict(meta)
    rule_id = str(meta.pop("id", ""))
    if rule_id != expected_id:
        raise CatalogError(f"{path}: id {rule_id!r} does not match the page path {expected_id!r}")
    if not RULE_ID_RE.match(rule_id):
        raise CatalogError(f"{path}: id {rule_id!r} is not <gate>/<kebab-name>")
    try:
        severity = Severity(str(meta.pop("severity")))
    except (KeyError, ValueError) as exc:
        raise CatalogError(f"{path}: missing or unknown severity") from exc
    try:
        raised = meta.pop("severity_introduced", None)
        introduced = None if raised is None else Severity(str(raised))
    except ValueError as exc:
        raise CatalogError(f"{path}: unknown severity_introduced") from exc
    if introduced is not None and introduced.rank <= severity.rank:
        raise CatalogError(f"{path}: severity_introduced must be above severity")
    summary = str(meta.pop("summary", "")).strip()
    fix = str(meta.pop("fix", "")).strip()
    since = str(meta.pop("since", "")).strip()
    if not summary or not fix or not since:
        raise CatalogError(f"{path}: summary, fix and since are required")
    body = text[m.end():]
    examples = tuple(
        Example(
            kind=e.group("kind"),
            lang=e.group("lang"),
            attrs=dict(a.split("=", 1) for a in e.group("attrs").split() if "=" in a),
            body=e.group("body"),
        )
        for e in _EXAMPLE_RE.finditer(body)
    )
    return Rule(id=RuleId(rule_id), severity=severity, introduced_severity=introduced, summary=summary, fix=fix,
                body=body, since=since, meta=meta, examples=examples)


def checks_dir() -> Path:
    """Where the rule pages are: shipped inside the package, or the source checkout's `checks/`."""
    shipped = Path(__file__).resolve().parents[1] / "checks"  # not importlib.resources: ~15 ms to import
    if shipped.is_dir():
        return shipped
    source = Path(__file__).resolve().parents[3] / "checks"
    if source.is_dir():
        return source
    raise CatalogError("rule pages not found: the package was installed without its checks/ directory")


class Catalog:
    """The rule pages, each parsed at most once per process, and only when asked for: a run that
    finds a handful of rules parses a handful of pages."""

    def __init__(self, root: Path | None = None) -> None:
        self._root = root
        self._rules: dict[str, Rule] = {}
        self._complete = False
        self.used: set[str] = set()

    @property
    def root(self) -> Path:
        """The checks directory."""
        if self._root is None:
            self._root = checks_dir()
        return self._root

    def _load(self) -> dict[str, Rule]:
        if not self._complete:
            for page in sorted(self.root.glob("*/*.md")):
                rid = f"{page.parent.name}/{page.stem}"
                if rid not in self._rules:
                    self._rules[rid] = _parse_page(page, rid)
            self._complete = True
        return self._rules

    def get(self, rule_id: str) -> Rule:
        """The rule with this id; CatalogError when it has no page."""
        found = self._rules.get(rule_id)
        if found is not None:
            return found
        if RULE_ID_RE.match(rule_id):
            page = self.root / f"{rule_id}.md"
            if page.is_file():
                self._rules[rule_id] = _parse_page(page, rule_id)
                return self._rules[rule_id]
        raise CatalogError(f"rule {rule_id!r} has no page at checks/{rule_id}.md")

    def all(self) -> list[Rule]:
        """Every rule, sorted by id."""
        rules = self._load()
        return [rules[k] for k in sorted(rules)]

    def page_ids(self) -> set[str]:
        """Ids of every page."""
        return set(self._load())


@cache
def catalog() -> Catalog:
    """The process-wide catalog."""
    return Catalog()


class RuleHandle:
    """A lazy reference to a rule: registering the id costs nothing at import time."""

    __slots__ = ("id",)

    def __init__(self, rule_id: str) -> None:
        if not RULE_ID_RE.match(rule_id):
            raise CatalogError(f"rule id {rule_id!r} is not <gate>/<kebab-name>")
        self.id = RuleId(rule_id)
        catalog().used.add(rule_id)

    @property
    def rule(self) -> Rule:
        """The parsed page."""
        return catalog().get(self.id)

    @property
    def severity(self) -> Severity:
        """The page's default severity."""
        return self.rule.severity

    def finding(self, location: Location, **kwargs: Any) -> Finding:
        """See `Rule.finding`."""
        return self.rule.finding(location, **kwargs)


def rule(rule_id: str) -> RuleHandle:
    """A handle on the rule `rule_id`, registered as used."""
    return RuleHandle(rule_id)
