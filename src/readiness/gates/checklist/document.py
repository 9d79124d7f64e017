"""The checklist file: YAML read with positions, validated against the shipped JSON Schema
(`schemas/checklist.schema.json`), and turned into typed items.

The file is repository content, so it is hostile input like any other: a syntax error, a schema
violation, a duplicate id, an unknown rule or a path that leaves the repository is a finding at
its line (`checklist/invalid-checklist`), never an exception. An invalid item is reported and left
out; the other items are still judged.
"""

from __future__ import annotations

import enum
import posixpath
from dataclasses import dataclass
from functools import cache
from typing import Any

from readiness.config import schema_problem
from readiness.errors import CatalogError
from readiness.gates.checklist.rules import INVALID_CHECKLIST
from readiness.model import Finding, Location, Severity
from readiness.rules.catalog import catalog
from readiness.score.model import Pillar, Status
from readiness.yamlpos import PathKey, Pos, YamlDoc

MAX_ERRORS = 20
"""Schema errors reported per file; the rest are counted in the last message."""
NODE_BUDGET = 50_000


class EvidenceKind(enum.StrEnum):
    """What an evidence entry names."""

    PATH = "path"
    GATE = "gate"
    RULE = "rule"
    LINK = "link"


@dataclass(frozen=True, slots=True, kw_only=True)
class Evidence:
    """One evidence entry of an item."""

    kind: EvidenceKind
    """path, gate, rule or link."""
    value: str
    """The path (normalized), gate id, rule id or URL."""
    fail_on: Severity | None
    """With `gate`: its own threshold, when written."""
    pos: Pos
    """Where the entry is written."""

    @property
    def label(self) -> str:
        """`path RUNBOOK.md`, `gate deps (fail_on medium)`, ..."""
        suffix = f" (fail_on {self.fail_on.value})" if self.fail_on is not None else ""
        return f"{self.kind.value} {self.value}{suffix}"


@dataclass(frozen=True, slots=True, kw_only=True)
class ChecklistItem:
    """One item of the checklist."""

    id: str
    """Kebab-case id, unique in the file."""
    title: str
    """What must be true."""
    pillar: Pillar
    """The pillar it feeds."""
    owner: str | None
    """Who answers for it; None when missing or blank."""
    status: Status | None
    """Where it stands; None when missing."""
    reason: str | None
    """Why it is not applicable."""
    evidence: tuple[Evidence, ...]
    """What proves it."""
    pos: Pos
    """Where the item starts (its first key)."""
    owner_pos: Pos
    """The owner key, or the item when missing."""
    status_pos: Pos
    """The status key, or the item when missing."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Checklist:
    """A checklist file, read."""

    path: str
    """Repository-relative path."""
    items: tuple[ChecklistItem, ...]
    """The valid items, in file order."""


@cache
def _validator() -> Any:
    from jsonschema import Draft202012Validator

    from readiness.schemas import checklist_schema

    return Draft202012Validator(checklist_schema())


def _where(doc: YamlDoc, path: PathKey) -> Pos:
    return doc.keys.get(tuple(path)) or doc.position(tuple(path))


def _invalid(rel: str, pos: Pos, message: str, evidence: str) -> Finding:
    return INVALID_CHECKLIST.finding(Location(path=rel, line=pos.line, column=pos.column),
                                     message=message, evidence=evidence)


_SIZE_VALIDATORS = frozenset({"maxItems", "minItems", "maxLength", "minLength", "maxProperties", "minProperties"})


def _schema_message(err: Any, doc: Any) -> str:
    """One sentence for a schema error, naming the item when there is one."""
    path = list(err.absolute_path)
    who = ""
    if len(path) >= 2 and path[0] == "items" and isinstance(path[1], int):
        item = doc["items"][path[1]] if isinstance(doc, dict) and isinstance(doc.get("items"), list) else None
        ident = item.get("id") if isinstance(item, dict) else None
        who = f"item {ident!r}" if isinstance(ident, str) else f"items[{path[1]}]"
    if err.validator == "oneOf" and "evidence" in path:
        text = ("an evidence entry names exactly one of path, gate, rule or link "
                "(a gate entry may add fail_on)")
    elif err.validator == "additionalProperties" and isinstance(err.instance, dict):
        allowed = sorted(err.schema.get("properties", {}))
        extra = sorted(str(k) for k in err.instance if k not in allowed)
        text = f"unknown key {extra[0]!r}; allowed: {', '.join(allowed)}" if extra else err.message
    elif err.validator in _SIZE_VALIDATORS:  # jsonschema's own message quotes the whole value
        text = schema_problem(err)
    else:
        text = err.message
    where = ".".join(str(p) for p in path[2:] if not isinstance(p, int)) if who else ""
    prefix = f"{who}{' ' + where if where else ''}: " if who else ""
    return f"Checklist {prefix}{text[:200]}."


def _item_index(err: Any) -> int | None:
    path = list(err.absolute_path)
    if len(path) >= 2 and path[0] == "items" and isinstance(path[1], int):
        return path[1]
    return None


def parse(rel: str, text: str) -> tuple[Checklist | None, list[Finding]]:
    """The checklist in `text` and the findings about its form; None when nothing can be judged."""
    from readiness.yamlpos import YamlError, load_one

    try:
        doc = load_one(text, node_budget=NODE_BUDGET)
    except YamlError as exc:
        pos = Pos(exc.line or 1, exc.column or 1)
        return None, [_invalid(rel, pos, f"Checklist {rel} is not valid YAML: {exc}.", f"yaml|{exc}")]
    findings: list[Finding] = []
    for dup_path, first, again in doc.duplicates:
        key = ".".join(str(p) for p in dup_path)
        findings.append(_invalid(rel, again, f"Key {key!r} is written twice (first at line {first.line}); "
                                             "the later value silently wins.", f"dup|{key}"))
    data = doc.value
    errors = sorted(_validator().iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    bad_items: set[int] = set()
    reported: set[tuple[str, ...]] = set()
    top_level = False
    for err in errors:
        index = _item_index(err)
        if index is None:
            top_level = True
        else:
            bad_items.add(index)
        group = tuple(map(str, list(err.absolute_path)[:2]))
        if group in reported:  # one finding per item (its first error) keeps the report readable
            continue
        reported.add(group)
        if len(reported) > MAX_ERRORS:
            continue
        at: PathKey = tuple(err.absolute_path)
        if err.validator == "additionalProperties" and isinstance(err.instance, dict):
            allowed = err.schema.get("properties", {})
            at = (*at, next((str(k) for k in err.instance if k not in allowed), ""))
        findings.append(_invalid(rel, _where(doc, at), _schema_message(err, data),
                                 f"schema|{'/'.join(group)}|{err.validator}"))
    if len(reported) > MAX_ERRORS:
        findings.append(_invalid(rel, Pos(1, 1), f"{len(reported) - MAX_ERRORS} more schema errors in {rel} "
                                                 "are not listed.", "schema|more"))
    if top_level or not isinstance(data, dict):
        return None, findings
    items: list[ChecklistItem] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(data.get("items") or []):
        if i in bad_items:
            continue
        item, problems = _item(rel, doc, i, raw)
        findings.extend(problems)
        if item is None:
            continue
        if item.id in seen:
            findings.append(_invalid(rel, item.pos, f"Item id {item.id!r} is used twice (first at line "
                                                    f"{seen[item.id]}); ids must be unique.", f"dupid|{item.id}"))
            continue
        seen[item.id] = item.pos.line
        items.append(item)
    return Checklist(path=rel, items=tuple(items)), findings


def _item(rel: str, doc: YamlDoc, i: int, raw: dict[str, Any]) -> tuple[ChecklistItem | None, list[Finding]]:
    """A schema-valid item, typed; findings for evidence the schema cannot judge."""
    base: PathKey = ("items", i)
    problems: list[Finding] = []
    evidence: list[Evidence] = []
    for j, entry in enumerate(raw.get("evidence") or []):
        pos = doc.position((*base, "evidence", j))
        kind = next(EvidenceKind(k) for k in ("path", "gate", "rule", "link") if k in entry)
        value = str(entry[kind.value])
        if kind is EvidenceKind.PATH:
            norm = repo_path(value)
            if norm is None:
                problems.append(_invalid(rel, pos, f"Item {raw['id']!r}: evidence path {value!r} points outside "
                                                   "the repository.", f"outside|{raw['id']}|{value}"))
                continue
            value = norm
        elif kind is EvidenceKind.RULE:
            try:
                catalog().get(value)
            except CatalogError:
                problems.append(_invalid(rel, pos, f"Item {raw['id']!r}: evidence rule {value!r} does not exist "
                                                   "(`readiness rules` lists them).", f"rule|{raw['id']}|{value}"))
                continue
        fail_on = Severity(entry["fail_on"]) if "fail_on" in entry else None
        evidence.append(Evidence(kind=kind, value=value, fail_on=fail_on, pos=pos))
    owner = raw.get("owner")
    status = raw.get("status")
    item_pos = doc.position((*base, "id"))
    return ChecklistItem(
        id=str(raw["id"]), title=str(raw["title"]), pillar=Pillar(raw["pillar"]),
        owner=owner.strip() if isinstance(owner, str) and owner.strip() else None,
        status=Status(status) if isinstance(status, str) else None,
        reason=str(raw["reason"]).strip() if raw.get("reason") else None,
        evidence=tuple(evidence), pos=item_pos,
        owner_pos=doc.keys.get((*base, "owner"), item_pos),
        status_pos=doc.keys.get((*base, "status"), item_pos),
    ), problems


def repo_path(value: str) -> str | None:
    """A repository-relative, normalized path or glob; None when it is absolute or climbs out."""
    v = value.strip().replace("\\", "/")
    if not v or v.startswith("/") or (len(v) > 1 and v[1] == ":") or "\x00" in v:
        return None
    trailing = "/" if v.endswith("/") else ""
    norm = posixpath.normpath(v.removeprefix("./"))
    if norm == ".." or norm.startswith("../"):
        return None
    return norm + trailing if norm != "." else None
