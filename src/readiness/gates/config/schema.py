"""JSON Schemas from the repository, compiled once each, and their errors located in the instance.

* The draft follows `$schema`: 2020-12, 2019-09, 7, 6, 4 and 3, each with its own rules. Any other
  `$schema` (or none) is validated as 2020-12; an unknown one is reported (`unsupported-schema`),
  never passed silently.
* `format` is asserted for every format the draft defines (`formats`), and `pattern`,
  `patternProperties` and `format: regex` are ECMA-262 (`ecma`), for the schema's own metaschema
  check as for the instances.
* `$ref`s are resolved through a `referencing.Registry` filled up front with every schema file the
  refs reach inside the repository, then crawled once: no lazy retrieval (7-10x slower, research
  section 1.2) and never the network. A schema with an absolute `https://` `$id` still finds its
  relative `$ref`s next to it in the repository. A ref that leaves the repository or points at the
  web is unresolvable, which is reported on the schema, not fetched.
* Speed: jsonschema-rs decides which documents are valid (about 80x faster than jsonschema here),
  with the same format and pattern semantics; only invalid documents are validated again with
  jsonschema, whose errors (messages, paths, best match) are what the gate reports.
  `READINESS_JSONSCHEMA_ENGINE=python` turns the fast engine off; draft-03 has no fast engine.
* A schema is checked against its metaschema first: a broken schema is a finding, not a crash.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote, urldefrag, urljoin

from readiness.gates.config import ecma, formats
from readiness.gates.config.loaders import ParsedFile, PathKey

REPO_URI = "file:///repository/"
"""Base URI under which repository files are registered (a name, never read from disk)."""
MAX_SCHEMA_FILES = 500
MESSAGE_MAX = 240
MAX_SCHEMA_DEPTH = 200
"""How deep a schema document is walked for `$ref`s and patterns (deeper nodes are not looked at)."""
_SKIP_KEYWORDS = frozenset({"enum", "const", "examples", "default"})
_DIALECTS = {
    "http://json-schema.org/draft-03/schema": "Draft3Validator",
    "http://json-schema.org/draft-04/schema": "Draft4Validator",
    "http://json-schema.org/draft-06/schema": "Draft6Validator",
    "http://json-schema.org/draft-07/schema": "Draft7Validator",
    "https://json-schema.org/draft/2019-09/schema": "Draft201909Validator",
    "https://json-schema.org/draft/2020-12/schema": "Draft202012Validator",
}
_DRAFT_NAMES = {"Draft3Validator": "draft-03", "Draft4Validator": "draft-04", "Draft6Validator": "draft-06",
                "Draft7Validator": "draft-07", "Draft201909Validator": "2019-09",
                "Draft202012Validator": "2020-12"}


def file_uri(rel: str) -> str:
    """The registry URI of a repository file."""
    return REPO_URI + quote(rel)


def rel_of(uri: str) -> str | None:
    """The repository path a registry URI names, or None when it is not inside the repository."""
    if not uri.startswith(REPO_URI):
        return None
    rel = unquote(uri[len(REPO_URI):])
    return rel if rel and ".." not in rel.split("/") else None


def dialect_key(uri: object) -> str | None:
    """A `$schema` value normalized for lookup (scheme-insensitive, no trailing '#')."""
    if not isinstance(uri, str):
        return None
    base = uri.strip().rstrip("#")
    for known in _DIALECTS:
        if base.split("://", 1)[-1] == known.split("://", 1)[-1]:
            return known
    return None


def is_metaschema_uri(uri: object) -> bool:
    """True for the URI of a JSON Schema draft's metaschema (the file is then itself a schema)."""
    return dialect_key(uri) is not None


def draft_of(schema: Any) -> str:
    """The draft a schema is validated as, by its `$schema` (default: 2020-12), e.g. `draft-07`."""
    name = dialect_key(schema.get("$schema")) if isinstance(schema, dict) else None
    return _DRAFT_NAMES[_DIALECTS.get(name or "", "Draft202012Validator")]


def validator_class(schema: Any) -> Any:
    """The jsonschema validator class for the schema's `$schema` (default: draft 2020-12), with
    ECMA-262 patterns."""
    import jsonschema

    name = dialect_key(schema.get("$schema")) if isinstance(schema, dict) else None
    return ecma.ecma_validator(getattr(jsonschema, _DIALECTS.get(name or "", "Draft202012Validator")))


def unknown_dialect(schema: Any) -> str | None:
    """The schema's `$schema` when it names no draft this gate knows (it is validated as 2020-12)."""
    value = schema.get("$schema") if isinstance(schema, dict) else None
    if value is None or dialect_key(value) is not None:
        return None
    return value if isinstance(value, str) else repr(value)


@dataclass(frozen=True, slots=True)
class SchemaIssue:
    """Something wrong with a schema file, located in that file."""

    path: str
    """The schema (or referencing) file."""
    line: int | None
    """1-based line, when known."""
    column: int | None
    """1-based column, when known."""
    message: str
    """One sentence."""
    evidence: str
    """For the fingerprint."""
    unsupported: bool = False
    """True for something the gate cannot judge (an unknown dialect, a pattern it cannot evaluate),
    False for a broken schema."""


@dataclass(slots=True)
class Compiled:
    """A schema ready to validate: built once, reused for every file it governs."""

    rel: str
    """Repository path of the schema."""
    draft: str
    """The draft's name (e.g. `2020-12`)."""
    validator: Any
    """The jsonschema validator instance (the reference: its errors are what is reported)."""
    fast: Any = None
    """A jsonschema-rs validator for the same schema and registry, when that library is installed:
    used only to tell valid documents apart quickly (`is_valid`); invalid ones are re-validated
    with `validator` for the messages and paths."""

    def is_valid_fast(self, instance: Any) -> bool | None:
        """True/False from the fast engine; None when it is absent or cannot judge this instance."""
        if self.fast is None:
            return None
        try:
            return bool(self.fast.is_valid(instance))
        except (ValueError, TypeError, OverflowError):  # values jsonschema-rs cannot take (sets, big ints)
            return None


@dataclass(slots=True)
class Located:
    """One validation error, reduced to what a person needs and where it is."""

    path: PathKey
    """Instance path to position."""
    at_key: bool
    """Point at the key of `path` (True) or its value."""
    message: str
    """`$.json.path: what is wrong`."""
    evidence: str
    """Stable text for the fingerprint (no instance values)."""


LoadSchema = Callable[[str], ParsedFile | None]
"""Reads a repository file as a parsed config (None: it could not be read; already reported)."""


@dataclass(slots=True)
class SchemaBook:
    """Every schema the gate uses, compiled once; `issues` collects what is wrong with them."""

    load: LoadSchema
    """How to read a repository file."""
    exists: Callable[[str], bool]
    """Whether a repository file exists."""
    issues: list[SchemaIssue] = field(default_factory=list)
    """Problems found in schema files (each reported once)."""
    _compiled: dict[str, Compiled | None] = field(default_factory=dict)
    _issue_keys: set[tuple[str, str]] = field(default_factory=set)

    def issue(self, path: str, line: int | None, column: int | None, message: str, evidence: str,
              *, unsupported: bool = False) -> None:
        """Record a schema problem once."""
        if (path, evidence) not in self._issue_keys:
            self._issue_keys.add((path, evidence))
            self.issues.append(SchemaIssue(path, line, column, message, evidence, unsupported))

    def get(self, rel: str) -> Compiled | None:
        """The compiled schema at `rel`, or None when it is broken (the reason is in `issues`)."""
        if rel not in self._compiled:
            try:
                self._compiled[rel] = self._compile(rel)
            except RecursionError:
                self.issue(rel, 1, 1, f"{rel} nests too deeply to be compiled.", "too-deep")
                self._compiled[rel] = None
        return self._compiled[rel]

    def check_metaschema(self, pf: ParsedFile) -> bool:
        """Validate a schema file against its draft's metaschema; False (and issues) when invalid."""
        from jsonschema.exceptions import best_match

        schema = pf.docs[0] if pf.docs else None
        if not isinstance(schema, dict | bool):
            self.issue(pf.path, 1, 1, f"{pf.path} is not a JSON Schema (an object or a boolean).",
                       "not-a-schema")
            return False
        cls = validator_class(schema)
        draft = draft_of(schema)
        meta = cls(cls.META_SCHEMA, format_checker=formats.format_checker(draft))
        ok = True
        try:
            errors = list(meta.iter_errors(schema))
        except RecursionError:
            errors = []
            self.issue(pf.path, 1, 1, f"{pf.path} nests too deeply to be checked.", "too-deep")
            ok = False
        for err in errors:
            best = best_match([err])
            pos = pf.positions().of_value(tuple(best.absolute_path))
            where = best.json_path
            message = _shorten(best.message)
            if best.validator == "format" and best.validator_value == "regex" and isinstance(best.instance, str):
                message = f"{_shorten(repr(best.instance))} is not an ECMA-262 regular expression " \
                          f"({ecma.regex_problem(best.instance)})"
            self.issue(pf.path, pos.line, pos.column,
                       f"Not a valid {draft} schema at {where}: {message}.",
                       f"meta|{where}|{best.validator}")
            ok = False
        if ok:
            self._unsupported(pf)
        return ok

    def _unsupported(self, pf: ParsedFile) -> None:
        """Report an unknown `$schema` and patterns that cannot be evaluated (both plainly)."""
        schema = pf.docs[0]
        other = unknown_dialect(schema)
        if other is not None:
            pos = pf.positions().of_value(("$schema",))
            self.issue(pf.path, pos.line, pos.column,
                       f"$schema {_shorten(other)!r} is not a JSON Schema draft this gate knows (draft-03 "
                       "to 2020-12); the files it governs are validated as draft 2020-12.",
                       f"dialect|{other}", unsupported=True)
        for path, pattern in _patterns(schema):
            if ecma.regex_problem(pattern) is None and ecma.matcher(pattern) is None:
                pos = pf.positions().of_key(path) if path[-2:-1] == ("patternProperties",) \
                    else pf.positions().of_value(path)
                self.issue(pf.path, pos.line, pos.column,
                           f"Pattern {_shorten(repr(pattern))} is not evaluated: "
                           f"{ecma.unsupported_reason(pattern)}; values are not checked against it.",
                           f"pattern|{pattern[:200]}", unsupported=True)

    def _compile(self, rel: str) -> Compiled | None:
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT202012

        pf = self.load(rel)
        if pf is None:
            return None
        if not self.check_metaschema(pf):
            return None
        root = pf.docs[0]
        cls = validator_class(root)
        draft = draft_of(root)
        id_key = "id" if draft in ("draft-03", "draft-04") else "$id"
        own = root.get(id_key) if isinstance(root, dict) else None
        base = own if isinstance(own, str) and "://" in own else urljoin(file_uri(rel), own or "")
        base = urldefrag(base).url
        if isinstance(root, dict):
            root = {**root, id_key: base}
        resources: dict[str, Any] = {base: root}
        self._crawl(rel, base, root, resources)
        registry = Registry().with_resources(
            (uri, Resource.from_contents(contents, default_specification=DRAFT202012))
            for uri, contents in resources.items()
        ).crawl()
        validator = cls(root, registry=registry, format_checker=formats.format_checker(draft))
        fast = None if draft == "draft-03" else _fast_validator(root, resources, draft)
        return Compiled(rel=rel, draft=draft, validator=validator, fast=fast)

    def _crawl(self, rel: str, base: str, root: Any, resources: dict[str, Any]) -> None:
        queue = [(rel, base, root)]
        seen_files = {rel}
        while queue and len(resources) < MAX_SCHEMA_FILES:
            cur_rel, cur_base, contents = queue.pop()
            for ref in _refs(contents):
                target = urldefrag(urljoin(cur_base, ref)).url
                if not target or target in resources:
                    continue
                local = rel_of(target)
                if local is None and cur_base != file_uri(cur_rel):
                    # an absolute `$id`: its relative refs are files next to this one in the repository
                    local = rel_of(urldefrag(urljoin(file_uri(cur_rel), ref)).url)
                if local is None or local in seen_files or not self.exists(local):
                    continue
                seen_files.add(local)
                pf = self.load(local)
                if pf is None or not pf.docs or not isinstance(pf.docs[0], dict | bool):
                    continue
                if not self.check_metaschema(pf):
                    continue
                doc = pf.docs[0]
                resources[target] = doc
                resources.setdefault(file_uri(local), doc)
                own = doc.get("$id") if isinstance(doc, dict) else None
                next_base = own if isinstance(own, str) and "://" in own else target
                queue.append((local, next_base, doc))


def _no_retrieval(uri: str) -> Any:
    raise ValueError(f"{uri} is not in the repository; remote schemas are never fetched")


def _fast_validator(root: Any, resources: dict[str, Any], draft: str) -> Any:
    """A jsonschema-rs validator over the same resources, or None (not installed, turned off with
    READINESS_JSONSCHEMA_ENGINE=python, or it cannot build this schema: jsonschema then does all).
    It asserts the same formats as the messages path (`formats.rs_formats`)."""
    if os.environ.get("READINESS_JSONSCHEMA_ENGINE", "").lower() == "python":
        return None
    try:
        import jsonschema_rs
    except ImportError:
        return None
    try:
        registry = jsonschema_rs.Registry(list(resources.items()), retriever=_no_retrieval)
        return jsonschema_rs.validator_for(root, registry=registry, retriever=_no_retrieval,
                                           validate_formats=True, formats=formats.rs_formats(draft))
    except (ValueError, TypeError, jsonschema_rs.ValidationError, jsonschema_rs.ReferencingError):
        return None


def _refs(node: Any, depth: int = 0) -> Iterator[str]:
    """Every `$ref`/`$dynamicRef` string in a schema (not inside enum/const/examples/default)."""
    if depth > MAX_SCHEMA_DEPTH:
        return
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("$ref", "$dynamicRef") and isinstance(value, str):
                yield value
            elif key not in _SKIP_KEYWORDS:
                yield from _refs(value, depth + 1)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value, depth + 1)




def _patterns(node: Any, path: PathKey = (), depth: int = 0) -> Iterator[tuple[PathKey, str]]:
    """Every `pattern` value and `patternProperties` key in a schema, with its path."""
    if depth > MAX_SCHEMA_DEPTH:
        return
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _SKIP_KEYWORDS:
                continue
            if key == "pattern" and isinstance(value, str):
                yield (*path, key), value
            elif key == "patternProperties" and isinstance(value, dict):
                yield from (((*path, key, p), p) for p in value if isinstance(p, str))
            if isinstance(value, dict | list):
                yield from _patterns(value, (*path, key), depth + 1)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _patterns(value, (*path, i), depth + 1)


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MESSAGE_MAX else text[: MESSAGE_MAX - 1] + "…"


def locate_errors(compiled: Compiled, instance: Any, *, redact: Callable[[PathKey, str], str | None]
                  ) -> list[Located]:
    """Every validation error of `instance`, each reduced to its best match and a position.

    `redact(path, value)` returns a redacted form for secret-looking values (so a message never
    echoes a secret), or None. Raises `referencing.exceptions.Unresolvable` for a `$ref` that
    cannot be resolved offline.
    """
    from jsonschema.exceptions import best_match

    out: list[Located] = []
    for err in compiled.validator.iter_errors(instance):
        best = best_match([err])
        path = tuple(best.absolute_path)
        schema_path = "/".join(str(p) for p in best.schema_path)
        message = best.message
        if isinstance(best.instance, str):
            shown = redact(path, best.instance)
            if shown is not None:
                message = message.replace(repr(best.instance), repr(shown))
        where = best.json_path
        evidence = f"{where}|{best.validator}|{schema_path}"
        keyword = best.validator
        if keyword in ("additionalProperties", "unevaluatedProperties") and isinstance(best.instance, dict):
            extras = [k for k in best.instance if isinstance(k, str) and repr(k) in best.message]
            if not extras:
                out.append(Located(path, True, f"{where}: {_shorten(message)}", evidence))
            out.extend(Located((*path, key), True,
                               f"{where}: property {key!r} is not allowed here ({keyword})",
                               f"{evidence}|{key}") for key in extras)
            continue
        if "propertyNames" in best.schema_path and isinstance(best.instance, str):
            out.append(Located((*path, best.instance), True,
                               f"{where}: property name {_shorten(message)}", f"{evidence}|{best.instance}"))
            continue
        at_key = keyword in ("required", "dependentRequired", "dependencies", "minProperties",
                             "maxProperties")
        out.append(Located(path, at_key, f"{where}: {_shorten(message)}", evidence))
    return out


def unresolvable_ref(exc: Exception) -> str:
    """The ref named by a referencing error, for the message."""
    ref = getattr(exc, "ref", None)
    if isinstance(ref, str):
        return ref
    m = re.search(r"'([^']+)'", str(exc))
    return m.group(1) if m else str(exc)
