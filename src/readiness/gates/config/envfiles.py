"""Dotenv files (`.env.example`, ...) read the way python-dotenv reads them, and checked against an
env schema: a JSON Schema object whose `properties` are the variable names.

* required variable missing (`required`), variable unknown to the schema (not in `properties` nor
  matched by `patternProperties`; `additionalProperties: true` or a schema allows them),
  variable marked `deprecated: true` still present (jsonschema treats `deprecated` as an annotation
  only, so it is read here), a value that breaks its property's schema (empty values and
  placeholders are not judged: an example file leaves them to be filled in);
* values are strings; when a property's `type` does not allow a string, the value is converted
  first (`8080` -> 8080, `true` -> True), as settings loaders do.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from readiness import lazyre
from readiness.gates.config import ecma
from readiness.yamlpos import Pos


@dataclass(frozen=True, slots=True)
class EnvVar:
    """One `NAME=value` binding."""

    name: str
    """The variable name."""
    value: str | None
    """Its value (None for a bare `NAME`)."""
    key: Pos
    """Where the name is written."""
    value_pos: Pos
    """Where the value starts (the name's position for a bare `NAME`)."""


@dataclass(frozen=True, slots=True)
class EnvParseIssue:
    """A line python-dotenv could not parse (it skips such lines with a warning)."""

    line: int
    """1-based line."""
    text: str
    """The line, shortened."""


_NAME_IN_LINE = lazyre.compile(r"^(\s*(?:export\s+)?)(['\"]?)([^=\s'\"#]+)")


def parse_dotenv(text: str) -> tuple[list[EnvVar], list[EnvParseIssue]]:
    """The bindings and unparsable lines of a dotenv text (python-dotenv's parser, with positions)."""
    from dotenv.parser import parse_stream

    out: list[EnvVar] = []
    issues: list[EnvParseIssue] = []
    # python-dotenv's own line numbers count CR and LF separately after an unparsable line, so
    # lines are counted here from the offsets (the bindings' texts are contiguous slices of `text`)
    offset = counted = newlines = 0
    for binding in parse_stream(io.StringIO(text)):
        original = binding.original.string
        start, offset = offset, offset + len(original)
        body = original
        while "\n" in body and not body.split("\n", 1)[0].strip():  # leading blank lines
            body = body.split("\n", 1)[1]
        body_start = start + len(original) - len(body)
        newlines += text.count("\n", counted, body_start)
        counted = body_start
        line = newlines + 1
        if binding.error:
            issues.append(EnvParseIssue(line, body.strip()[:80]))
            continue
        if binding.key is None:
            continue
        m = _NAME_IN_LINE.match(body)
        kcol = len(m.group(1)) + len(m.group(2)) + 1 if m else 1
        key = Pos(line, kcol)
        eq = body.find("=")
        vpos = Pos(line, eq + 2 + len(body[eq + 1:]) - len(body[eq + 1:].lstrip(" \t"))) if eq >= 0 else key
        out.append(EnvVar(binding.key, binding.value, key, vpos))
    return out, issues


def _types(prop: dict[str, Any]) -> set[str]:
    t = prop.get("type")
    if isinstance(t, str):
        return {t}
    if isinstance(t, list):
        return {x for x in t if isinstance(x, str)}
    return set()


def coerce(value: str, prop: Any) -> Any:
    """The value as the property's type expects it, when that type is not a string."""
    if not isinstance(prop, dict):
        return value
    types = _types(prop)
    if not types or "string" in types:
        return value
    v = value.strip()
    if types & {"integer", "number"}:
        try:
            return int(v)
        except ValueError:
            try:
                if "number" in types:
                    return float(v)
            except ValueError:
                pass
    if "boolean" in types and v.lower() in ("true", "false", "1", "0", "yes", "no", "on", "off"):
        return v.lower() in ("true", "1", "yes", "on")
    if "null" in types and v == "":
        return None
    return value


def unknown_allowed(schema: dict[str, Any], name: str) -> bool:
    """True when the schema accepts a variable it does not list."""
    props = schema.get("properties")
    if isinstance(props, dict) and name in props:
        return True
    patterns = schema.get("patternProperties")
    if isinstance(patterns, dict):
        for pattern in patterns:
            match = ecma.matcher(pattern) if isinstance(pattern, str) else None
            if match is not None and match(name):
                return True
    extra = schema.get("additionalProperties", schema.get("unevaluatedProperties"))
    return extra is not None and extra is not False


def others_forbidden(schema: dict[str, Any]) -> str | None:
    """`additionalProperties` or `unevaluatedProperties` when the schema sets it to false (a
    variable it does not declare then breaks the schema: real drift), else None."""
    for keyword in ("additionalProperties", "unevaluatedProperties"):
        if schema.get(keyword) is False:
            return keyword
    return None
