"""`format` assertions: every format each JSON Schema draft defines, checked by one implementation.

Which formats a draft defines follows jsonschema's per-draft tables (the reference implementation);
how a value is judged is jsonschema-rs's implementation of each format, for every draft it knows:
it passes the JSON-Schema-Test-Suite's format tests for drafts 4 to 2020-12 (1,176 of 1,176 here),
where jsonschema with its optional format libraries installed fails 97 (hostname, email,
duration, uri-template, time, ...) and without them checks fewer than half of the formats. Using
the fast path's own checks also means the fast path and the messages path cannot disagree, and
adds no dependency (jsonschema's libraries add about 0.9 s to `import jsonschema`: rfc3987-syntax
builds a grammar on import).

* draft-03 (which jsonschema-rs does not implement): `date`, `time` by jsonschema's own draft-03
  checks; `host-name`, `ip-address`, `uri`, `email`, `ipv6`, `date-time` as their later names;
  `color` as CSS 2.1 (a named colour or `#rgb`/`#rrggbb`, as jsonschema does with webcolors).
* `regex` everywhere: `readiness.gates.config.ecma` (ECMA-262).
* A format a draft does not define (or a custom one) is not asserted, as the specification says.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from readiness import lazyre
from readiness.gates.config import ecma

_DRAFT4 = ("email", "idn-email", "ipv4", "ipv6", "hostname", "uri", "date-time", "regex")
_DRAFT6 = (*_DRAFT4, "uri-reference", "json-pointer", "uri-template")
_DRAFT7 = (*_DRAFT6, "idn-hostname", "iri", "iri-reference", "time", "date", "relative-json-pointer")
_DRAFT2019 = (*_DRAFT7, "duration", "uuid")
DRAFT_FORMATS: dict[str, tuple[str, ...]] = {
    "draft-03": ("email", "idn-email", "ip-address", "ipv6", "host-name", "uri", "date-time", "regex",
                 "date", "time", "color"),
    "draft-04": _DRAFT4,
    "draft-06": _DRAFT6,
    "draft-07": _DRAFT7,
    "2019-09": _DRAFT2019,
    "2020-12": _DRAFT2019,
}
"""The formats each draft defines (and the gate asserts)."""

ALL_RS_FORMATS = frozenset(_DRAFT2019)
"""Every format name jsonschema-rs implements."""

_DRAFT3_NAMES = {"host-name": "hostname", "ip-address": "ipv4"}
_RS_CLASS = {"draft-04": "Draft4Validator", "draft-06": "Draft6Validator", "draft-07": "Draft7Validator",
             "2019-09": "Draft201909Validator", "2020-12": "Draft202012Validator"}
_CSS21_COLORS = frozenset({"aqua", "black", "blue", "fuchsia", "gray", "green", "lime", "maroon", "navy",
                           "olive", "orange", "purple", "red", "silver", "teal", "white", "yellow"})
_HEX_COLOR = lazyre.compile(r"#(?:[0-9a-fA-F]{3}){1,2}\Z")

Check = Callable[[object], bool]


@lru_cache(maxsize=64)
def rs_check(draft: str, name: str) -> Check:
    """jsonschema-rs's check of format `name` as `draft` defines it."""
    import jsonschema_rs

    cls = getattr(jsonschema_rs, _RS_CLASS.get(draft, "Draft202012Validator"))
    validator = cls({"format": name}, validate_formats=True, formats={"regex": ecma.is_regex})

    def check(value: object) -> bool:
        try:
            return bool(validator.is_valid(value))
        except (ValueError, TypeError, OverflowError):  # a value the engine cannot take: not this format
            return False

    return check


def _css21_color(value: object) -> bool:
    if not isinstance(value, str):
        return True
    return value.lower() in _CSS21_COLORS or bool(_HEX_COLOR.match(value))


def _check_for(draft: str, name: str) -> Check:
    if name == "regex":
        return ecma.is_regex
    if draft != "draft-03":
        return rs_check(draft, name)
    if name == "color":
        return _css21_color
    if name in ("date", "time"):
        import jsonschema

        func: Check = jsonschema.Draft3Validator.FORMAT_CHECKER.checkers[name][0]
        return _never_raises(func)
    return rs_check("draft-07", _DRAFT3_NAMES.get(name, name))


def _never_raises(func: Check) -> Check:
    def check(value: object) -> bool:
        try:
            return bool(func(value))
        except (ValueError, TypeError, OverflowError):
            return False

    return check


@lru_cache(maxsize=8)
def format_checker(draft: str) -> Any:
    """A `jsonschema.FormatChecker` asserting every format `draft` defines."""
    import jsonschema

    checker = jsonschema.FormatChecker(formats=())
    for name in DRAFT_FORMATS.get(draft, DRAFT_FORMATS["2020-12"]):
        checker.checks(name)(_check_for(draft, name))
    return checker


def rs_formats(draft: str) -> dict[str, Check]:
    """Overrides for a whole-schema jsonschema-rs validator, so that it asserts exactly what the
    messages path asserts: ECMA-262 `regex`, and nothing for formats `draft` does not define."""
    defined = set(DRAFT_FORMATS.get(draft, ()))
    out: dict[str, Check] = dict.fromkeys(ALL_RS_FORMATS - defined, _always)
    out["regex"] = ecma.is_regex
    return out


def _always(_value: object) -> bool:
    return True
