"""Checker: config files against their JSON Schemas, each error at file:line:column
(`config/schema-violation`, `config/invalid-schema`, `config/unsupported-schema`)."""

from __future__ import annotations

from typing import Any

from readiness.gates.config import discover, secrets
from readiness.gates.config.files import ConfigFiles
from readiness.gates.config.loaders import ParsedFile, ParseProblem, format_of, parse
from readiness.gates.config.rules import INVALID_SCHEMA, PARSE_ERROR, SCHEMA_VIOLATION, UNSUPPORTED_SCHEMA
from readiness.gates.config.schema import Compiled, locate_errors, unresolvable_ref
from readiness.model import Finding, Location
from readiness.workspace import FileProblem, Workspace
from readiness.yamlpos import Pos

MAX_ERRORS_PER_FILE = 200
"""Schema errors reported per document; the item still counts them all."""


def validate(files: ConfigFiles, rel: str, schema_rel: str) -> list[Finding]:
    """Every schema error of `rel` against `schema_rel`; the file's state records the outcome."""
    st = files.state(rel)
    st.schema = schema_rel
    pf = files.load(rel)
    if pf is None:
        st.state = "unreadable or invalid"
        return []
    compiled = files.book.get(schema_rel)
    if compiled is None:
        st.state = "schema invalid"
        return []
    st.documents = len(pf.docs)
    findings: list[Finding] = []
    errors = _validate_docs(files, pf, compiled, findings)
    if errors is None:
        st.state = "schema invalid"
        return findings
    st.errors += errors
    st.state = "invalid" if st.errors else "valid"
    return findings


def _validate_docs(files: ConfigFiles, pf: ParsedFile, compiled: Compiled, out: list[Finding]) -> int | None:
    """Report every error of every document into `out`; the count, or None when the schema broke."""
    from referencing.exceptions import Unresolvable

    count = 0
    for i, doc in enumerate(pf.docs):
        if compiled.is_valid_fast(doc):
            continue
        try:
            located = locate_errors(compiled, doc, redact=secrets.secret_like)
        except Unresolvable as exc:
            ref = unresolvable_ref(exc)
            where = files.find_ref(compiled.rel, ref)
            files.book.issue(where[0], where[1].line, where[1].column,
                             f"$ref {ref!r} cannot be resolved inside the repository "
                             "(remote schemas are never fetched).", f"ref|{ref}")
            return None
        except RecursionError:
            out.append(PARSE_ERROR.finding(
                Location(path=pf.path), message=f"{pf.path} nests too deeply to be validated.",
                evidence="too-deep"))
            return count
        if not located:
            continue
        positions = pf.positions(i)
        prefix = f"document {i + 1}: " if len(pf.docs) > 1 else ""
        for loc in located[:MAX_ERRORS_PER_FILE]:
            pos = positions.of_key(loc.path) if loc.at_key else positions.of_value(loc.path)
            out.append(SCHEMA_VIOLATION.finding(
                Location(path=pf.path, line=pos.line, column=pos.column),
                message=f"{prefix}{loc.message} (schema {compiled.rel}).",
                evidence=f"{i}|{compiled.rel}|{loc.evidence}"))
        count += len(located)
    return count


def own_schema(files: ConfigFiles, rel: str, ref: discover.SchemaRef, pf: ParsedFile) -> list[Finding]:
    """Check a file against the schema it names for itself (`$schema`, a modeline)."""
    st = files.state(rel)
    st.schema = ref.raw
    st.paired_by = "$schema" if ref.key_line is None else "modeline"
    if ref.metaschema:
        st.state = "schema file"
        st.documents = len(pf.docs)
        if not files.book.check_metaschema(pf):
            st.state = "invalid schema"
        return []
    if ref.remote:
        st.state = "remote schema not fetched"
        return []
    pos = _schema_key_pos(pf, ref)
    if ref.outside or ref.rel is None:
        st.state = "schema outside the repository"
        return [INVALID_SCHEMA.finding(
            Location(path=rel, line=pos.line, column=pos.column),
            message=f"$schema {ref.raw!r} points outside the repository; it was not read.",
            evidence=f"outside|{ref.raw}")]
    if not files.workspace.exists(ref.rel):
        st.state = "schema missing"
        return [INVALID_SCHEMA.finding(
            Location(path=rel, line=pos.line, column=pos.column),
            message=f"$schema {ref.raw!r} names {ref.rel}, which does not exist.",
            evidence=f"missing|{ref.rel}")]
    return validate(files, rel, ref.rel)


def _schema_key_pos(pf: ParsedFile, ref: discover.SchemaRef) -> Pos:
    if ref.key_line is not None:
        return Pos(ref.key_line, 1)
    return pf.positions(0).of_key(("$schema",))


def claims_schema(ws: Workspace, rel: str) -> bool:
    """True when a file outside the scanned folders names a schema that is a file in this
    repository (`$schema`, a modeline): it is then validated like a config file."""
    try:
        text = ws.read_text(rel)
    except FileProblem:
        return False  # not ours to report: nothing says it is a config file
    if not discover.may_name_a_schema(text):
        return False
    first: Any = None
    if rel.endswith(".json") or "$schema:" in text or '"$schema"' in text or "'$schema'" in text:
        try:
            parsed = parse(rel, text, format_of(rel) or "yaml")
        except ParseProblem:
            return False
        first = parsed.docs[0] if parsed.docs else None
    ref = discover.own_schema(rel, text, first)
    return ref is not None and ref.rel is not None and not ref.metaschema and discover.is_file(ws, ref.rel)


def schema_issues(files: ConfigFiles) -> list[Finding]:
    """What is wrong with the schemas themselves (each reported once, at the schema)."""
    return [(UNSUPPORTED_SCHEMA if issue.unsupported else INVALID_SCHEMA).finding(
                Location(path=issue.path, line=issue.line, column=issue.column),
                message=issue.message, evidence=issue.evidence)
            for issue in files.book.issues]

