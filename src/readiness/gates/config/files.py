"""The config gate's shared parsed-file cache: each file read and parsed once, its parse errors and
duplicate keys recorded once, and what the gate learned about it kept for its report item."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from readiness.gates.base import unreadable
from readiness.gates.config.loaders import ParsedFile, ParseProblem, PathKey, format_of, parse
from readiness.gates.config.rules import DUPLICATE_KEY, PARSE_ERROR, UNREADABLE_FILE
from readiness.gates.config.schema import MAX_SCHEMA_DEPTH, SchemaBook
from readiness.model import Finding, Location
from readiness.workspace import FileProblem, Workspace
from readiness.yamlpos import Pos


def dotted(path: PathKey) -> str:
    """`('a', 0, 'b')` -> `a[0].b` (the root: `$`)."""
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else ("." if out else "") + str(p)
    return out or "$"


@dataclass(slots=True)
class FileState:
    """What the gate learned about one config file, for its item."""

    fmt: str
    """`yaml`, `json`, `toml`, `dotenv`."""
    schema: str | None = None
    """The schema it was validated against, as named."""
    state: str = "not validated"
    """Plain words: `valid`, `invalid`, `schema missing`, …"""
    documents: int = 0
    """Documents in the file."""
    errors: int = 0
    """Schema errors found."""
    paired_by: str | None = None
    """How the schema was found: `gates.config.schemas[0]`, `$schema`, `modeline`, `beside it`,
    `gates.config.env_schema`, `nearest env schema`."""


@dataclass(slots=True)
class ConfigFiles:
    """Every config file the gate reads, parsed once, and the schemas it compiles over them."""

    workspace: Workspace
    """The repository."""
    problems: list[Finding] = field(default_factory=list)
    """Findings about the files themselves (unreadable, parse errors, duplicate keys), reported once
    each; `drain` hands them out."""
    parsed: dict[str, ParsedFile | None] = field(default_factory=dict)
    reported: set[str] = field(default_factory=set)
    states: dict[str, FileState] = field(default_factory=dict)
    book: SchemaBook = field(init=False)
    """The schemas, compiled once, read through `load`."""

    def __post_init__(self) -> None:
        self.book = SchemaBook(load=self.load, exists=self.workspace.exists)

    def drain(self) -> list[Finding]:
        """The file problems recorded since the last call."""
        out, self.problems = self.problems, []
        return out

    def load(self, rel: str, fmt: str | None = None) -> ParsedFile | None:
        """A config file parsed (cached); None when unreadable or invalid (reported once)."""
        if rel in self.parsed:
            return self.parsed[rel]
        fmt = fmt or format_of(rel) or "yaml"
        pf: ParsedFile | None = None
        found: list[Finding] = []
        try:
            pf = parse(rel, self.workspace.read_text(rel), fmt)
        except FileProblem as problem:
            found.append(unreadable(UNREADABLE_FILE, problem))
        except ParseProblem as exc:
            found.append(PARSE_ERROR.finding(
                Location(path=rel, line=exc.line, column=exc.column),
                message=f"{rel}: {exc}.", evidence=f"parse|{exc}"))
        self.parsed[rel] = pf
        if rel in self.reported:  # parsed again after being released: its findings are out already
            return pf
        self.reported.add(rel)
        if pf is not None:
            for dup in pf.duplicates:
                where = f" (document {dup.doc + 1})" if len(pf.docs) > 1 else ""
                found.append(DUPLICATE_KEY.finding(
                    Location(path=rel, line=dup.again.line, column=dup.again.column),
                    message=(f"Key '{dotted(dup.path)}'{where} is written twice (first at line "
                             f"{dup.first.line}); the later value silently wins."),
                    evidence=f"dup|{dup.doc}|{dotted(dup.path)}"))
        self.problems.extend(found)
        return pf

    def release(self, rel: str) -> None:
        """Drop a file's text and values: memory stays flat on big repositories."""
        self.parsed.pop(rel, None)

    def state(self, rel: str) -> FileState:
        """The file's state (made on first use)."""
        if rel not in self.states:
            self.states[rel] = FileState(fmt=format_of(rel) or "yaml")
        return self.states[rel]

    def find_ref(self, schema_rel: str, ref: str) -> tuple[str, Pos]:
        """Where a `$ref` is written: in the schema or one of the files it reached (else line 1)."""
        candidates = [schema_rel, *(r for r, pf in self.parsed.items() if pf is not None and r != schema_rel)]
        for rel in candidates:
            pf = self.parsed.get(rel)
            if pf is None or not pf.docs:
                continue
            path = _ref_path(pf.docs[0], ref)
            if path is not None:
                return rel, pf.positions(0).of_value(path)
        return schema_rel, Pos(1, 1)


def _ref_path(node: Any, ref: str, path: PathKey = (), depth: int = 0) -> PathKey | None:
    """The path of a `$ref` whose value is `ref` (or ends with it)."""
    if depth > MAX_SCHEMA_DEPTH:
        return None
    if isinstance(node, dict):
        value = node.get("$ref")
        if isinstance(value, str) and (value == ref or ref.endswith(value) or value.endswith(ref)):
            return (*path, "$ref")
        items: Any = node.items()
    elif isinstance(node, list):
        items = enumerate(node)
    else:
        return None
    for k, v in items:
        found = _ref_path(v, ref, (*path, k), depth + 1)
        if found is not None:
            return found
    return None
