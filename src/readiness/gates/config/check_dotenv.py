"""Checker: dotenv files (`.env.example`, `.env.test`, …) — their syntax, duplicate variables and
secrets, and their variables against an env schema (`config/env-missing-required`,
`config/env-unknown-variable`, `config/env-deprecated-variable`, `config/env-invalid-value`)."""

from __future__ import annotations

from typing import Any

from readiness.gates.base import unreadable
from readiness.gates.config import check_secrets, discover, envfiles, secrets
from readiness.gates.config.check_secrets import secret_finding
from readiness.gates.config.files import ConfigFiles, FileState
from readiness.gates.config.rules import (
    DUPLICATE_KEY,
    ENV_DEPRECATED_VARIABLE,
    ENV_INVALID_VALUE,
    ENV_MISSING_REQUIRED,
    ENV_UNKNOWN_VARIABLE,
    PARSE_ERROR,
    UNREADABLE_FILE,
)
from readiness.gates.config.schema import Compiled
from readiness.model import Finding, Location, Severity
from readiness.workspace import FileProblem

MAX_HINT_CHARS = 120
"""Of a deprecated variable's schema `description`, quoted in the message."""
MAX_VALUE_MESSAGE_CHARS = 200
"""Of a validator's message about a value."""


def check(files: ConfigFiles, rel: str, schema: tuple[str, str] | None, scan: bool, *,
          found: bool = False) -> list[Finding]:
    """Check one dotenv file; `schema` is (env schema, how it was paired) or None. `scan`: look for
    secrets. `found`: it was discovered, not configured."""
    st = files.state(rel)
    st.fmt = "dotenv"
    kind = discover.env_kind(rel)
    ws = files.workspace
    try:
        text = ws.read_text(rel)
    except FileProblem as problem:
        if found and ws.is_symlink(rel) and "does not exist" in problem.reason:
            # `apps/web/.env -> ../../.env`: a link to a file each developer creates, not committed
            st.state = "link to a file not in the repository"
            return []
        st.state = "unreadable"
        return [unreadable(UNREADABLE_FILE, problem), *(check_secrets.check_unparsed(ws, rel) if scan else ())]
    variables, issues = envfiles.parse_dotenv(text)
    lines = text.splitlines()
    out = [PARSE_ERROR.finding(
        Location(path=rel, line=issue.line, column=1),
        message=f"Line {issue.line} of {rel} is not a NAME=value binding; dotenv loaders skip it.",
        evidence=f"dotenv|{issue.text}") for issue in issues]
    seen: dict[str, envfiles.EnvVar] = {}
    for var in variables:
        if var.name in seen:
            out.append(DUPLICATE_KEY.finding(
                Location(path=rel, line=var.key.line, column=var.key.column),
                message=(f"Variable {var.name} is set twice (first at line {seen[var.name].key.line}); "
                         "the later value silently wins."),
                evidence=f"dup|{var.name}"))
        seen.setdefault(var.name, var)
        if scan and var.value:
            hit = secrets.check_value((var.name,), var.value)
            line = lines[var.key.line - 1] if var.key.line <= len(lines) else ""
            if hit is not None and not (
                    (kind == "example" and secrets.example_value(hit, var.value))
                    or (kind == "test" and not hit.credential)):
                out.append(secret_finding(rel, var.value_pos, var.name, hit, line_text=line,
                                          end_line=var.value_pos.line + var.value.count("\n")))
    if scan and issues:  # a line no dotenv loader reads (an unclosed quote) may hold a credential all the same
        bad = {issue.line for issue in issues}
        out += [f for f in check_secrets.scan_lines(rel, text) if f.location.line in bad]
    st.documents = 1
    if schema is None:
        return out
    st.schema, st.paired_by = schema
    return out + _against_schema(files, rel, schema[0], variables, st)


def _against_schema(files: ConfigFiles, rel: str, schema_rel: str, variables: list[envfiles.EnvVar],
                    st: FileState) -> list[Finding]:
    compiled = files.book.get(schema_rel)
    if compiled is None:
        st.state = "schema invalid"
        return []
    schema = compiled.validator.schema
    if not isinstance(schema, dict):
        st.state = "valid"
        return []
    props = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
    assert isinstance(props, dict)
    names = {v.name: v for v in variables}
    required = schema.get("required") if isinstance(schema.get("required"), list) else []
    assert isinstance(required, list)
    out = [ENV_MISSING_REQUIRED.finding(
        Location(path=rel), message=f"Required variable {name} (in {schema_rel}) is missing from {rel}.",
        evidence=f"missing|{name}") for name in required if isinstance(name, str) and name not in names]
    forbidden = envfiles.others_forbidden(schema)
    for var in variables:
        loc = Location(path=rel, line=var.key.line, column=var.key.column)
        prop = props.get(var.name)
        if prop is None and not envfiles.unknown_allowed(schema, var.name):
            out.append(ENV_UNKNOWN_VARIABLE.finding(
                loc, message=f"Variable {var.name} is not declared in {schema_rel}"
                             + (f", which forbids any other ({forbidden}: false)." if forbidden else "."),
                evidence=f"unknown|{var.name}",
                severity=Severity.MEDIUM if forbidden else None))
            continue
        if isinstance(prop, dict) and prop.get("deprecated") is True:
            why = prop.get("description")
            hint = f": {str(why)[:MAX_HINT_CHARS]}" if isinstance(why, str) and why else ""
            out.append(ENV_DEPRECATED_VARIABLE.finding(
                loc, message=f"Variable {var.name} is marked deprecated in {schema_rel}{hint}.",
                evidence=f"deprecated|{var.name}"))
        if prop is None or var.value is None or secrets.is_placeholder(var.value):
            continue
        out.extend(_value(rel, var, prop, compiled))
    st.errors = len(out)
    st.state = "invalid" if st.errors else "valid"
    return out


def _value(rel: str, var: envfiles.EnvVar, prop: Any, compiled: Compiled) -> list[Finding]:
    from jsonschema.exceptions import best_match
    from referencing.exceptions import Unresolvable

    assert var.value is not None
    value = envfiles.coerce(var.value, prop)
    try:
        errors = list(compiled.validator.evolve(schema=prop).iter_errors(value))
    except (Unresolvable, RecursionError):
        return []
    out: list[Finding] = []
    for err in errors:
        best = best_match([err])
        message = best.message
        shown = secrets.secret_like((var.name,), var.value)
        if shown is not None or secrets.is_secret_key(var.name):
            message = message.replace(repr(value), repr(shown or secrets.redact(var.value)))
        out.append(ENV_INVALID_VALUE.finding(
            Location(path=rel, line=var.value_pos.line, column=var.value_pos.column),
            message=f"{var.name}: {message[:MAX_VALUE_MESSAGE_CHARS]} (schema {compiled.rel}).",
            evidence=f"value|{var.name}|{best.validator}"))
    return out
