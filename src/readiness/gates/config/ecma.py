"""JSON Schema `pattern`, `patternProperties` and `format: regex` as ECMA-262 regular expressions.

JSON Schema patterns are ECMA-262 (JavaScript) regular expressions, not Python's: `^\\p{L}+$` is a
valid pattern that `re` refuses, `^abc$` must not match "abc\\n" (Python's `$` does), `\\d` and `\\w`
are ASCII-only. Two engines, each for what it is best at:

* **Is it a regular expression?** `regress`, the ECMA-262 engine check-jsonschema uses, decides:
  a pattern is valid when it compiles with the `u` flag, as the 2020-12 specification asks, where
  an escaped punctuation character (`\\:`, `\\-` outside a class), which JavaScript's
  web-compatible syntax accepts and SchemaStore schemas use, counts as the character. Escaped
  letters that ECMA-262 does not define (`\\a`, `\\Z`, Python's `(?P<name>`) are invalid. Only
  compiling, never matching: regress backtracks, and a pattern such as `^(a|a)*$` takes seconds
  on 27 characters (measured), which a pull request controls.
* **Does a value match?** jsonschema-rs's engine, the one the fast path already uses: it passes
  the JSON-Schema-Test-Suite's ECMA-262 tests (74/74, where Python `re` fails 32), runs in linear
  time (the `regex` crate) or under a backtrack limit (fancy-regex, for look-arounds and
  back-references), and, being the same engine as the fast path, cannot disagree with it.

A pattern that regress accepts but jsonschema-rs cannot build (a named back-reference `\\k<n>`,
`[^]`, a repetition too large to compile such as `a{4294967296}`) is *unsupported*: its keyword
is skipped and the gate reports it, instead of guessing or hanging.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any

from readiness import lazyre

MAX_PATTERN_CHARS = 8192
"""Longer patterns are not compiled (the longest in SchemaStore's common schemas is 250)."""

Matcher = Callable[[str], bool]
"""`matcher(text)` is True when the pattern matches somewhere in `text` (ECMA `RegExp.test`)."""


@lru_cache(maxsize=4096)
def regex_problem(pattern: str) -> str | None:
    """Why `pattern` is not an ECMA-262 regular expression, or None when it is one."""
    import regress

    if len(pattern) > MAX_PATTERN_CHARS:
        return f"longer than {MAX_PATTERN_CHARS} characters"
    problem: str | None = None
    for candidate in dict.fromkeys((pattern, _IDENTITY_ESCAPE.sub(_hex_escape, pattern))):
        try:
            regress.Regex(candidate, flags="u")
            return None
        except regress.RegressError as exc:
            problem = problem or str(exc)[:120]
        except (ValueError, OverflowError, MemoryError) as exc:  # a binding error is not a crash
            problem = problem or type(exc).__name__
    return problem or "not a regular expression"


_IDENTITY_ESCAPE = lazyre.compile(r"\\(.)", re.DOTALL)
_SYNTAX_CHARACTERS = frozenset("^$\\.*+?()[]{}|/")


def _hex_escape(m: re.Match[str]) -> str:
    """`\\:` -> `\\x3a`: an escaped punctuation character (or space) that only JavaScript's
    web-compatible syntax accepts, written the way the `u` flag accepts it. Escaped letters
    (`\\a`, `\\Z`) are left alone: they are Python or PCRE escapes, and invalid."""
    ch = m.group(1)
    if ch.isascii() and not ch.isalnum() and ch not in _SYNTAX_CHARACTERS and ch != "_":
        return f"\\x{ord(ch):02x}"
    return m.group(0)


def is_regex(value: object) -> bool:
    """The `regex` format: True for non-strings (formats judge strings only) and valid patterns."""
    return not isinstance(value, str) or regex_problem(value) is None


@lru_cache(maxsize=4096)
def matcher(pattern: str) -> Matcher | None:
    """A bounded matcher for a valid pattern, or None when it cannot be evaluated safely."""
    import jsonschema_rs

    if regex_problem(pattern) is not None:
        return None
    try:
        validator = jsonschema_rs.validator_for({"pattern": pattern}, formats={"regex": is_regex})
    except (ValueError, TypeError, jsonschema_rs.ValidationError, jsonschema_rs.ReferencingError):
        return None
    return _bounded(validator.is_valid)


def _bounded(is_valid: Callable[[object], bool]) -> Matcher:
    def match(text: str) -> bool:
        try:
            return bool(is_valid(text))
        except (ValueError, TypeError):  # e.g. a lone surrogate the engine cannot take: no match
            return False

    return match


def unsupported_reason(pattern: str) -> str:
    """Why a valid pattern has no matcher (for the message)."""
    if len(pattern) > MAX_PATTERN_CHARS:
        return f"it is longer than {MAX_PATTERN_CHARS} characters"
    return ("it uses ECMA-262 syntax the bounded matcher does not support (a named back-reference, "
            "`[^]`, or a repetition too large to compile)")


def search(pattern: str, text: str) -> bool:
    """`re.search` as jsonschema calls it, with ECMA-262 semantics; a pattern that cannot be
    evaluated counts as matching (its keyword is skipped, and reported by the gate)."""
    match = matcher(pattern)
    return True if match is None else match(text)


class _EcmaRe:
    """Stands in for the `re` module inside jsonschema's keyword implementations, which call
    `re.search(pattern, key)` for `pattern`, `patternProperties`, `additionalProperties` and
    `unevaluatedProperties`."""

    search = staticmethod(search)


def _pattern_properties(validator: Any, pattern_properties: Any, instance: Any, schema: Any) -> Iterator[Any]:
    """`patternProperties` that skips a pattern it cannot evaluate (rather than applying it to every key)."""
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in pattern_properties.items():
        match = matcher(pattern)
        if match is None:
            continue
        for key, value in instance.items():
            if match(key):
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


_INSTALLED: list[bool] = []


@lru_cache(maxsize=16)
def ecma_validator(cls: Any) -> Any:
    """`cls` (a jsonschema validator class) with ECMA-262 pattern semantics, bounded in time."""
    import jsonschema.validators
    from jsonschema import _keywords, _legacy_keywords, _utils

    if not _INSTALLED:
        for module in (_keywords, _legacy_keywords, _utils):
            if "re" not in vars(module):  # pragma: no cover - a jsonschema refactoring; tests catch it
                raise RuntimeError(f"{module.__name__} no longer uses `re`; ECMA patterns need updating")
            vars(module)["re"] = _EcmaRe
        _INSTALLED.append(True)
    if "patternProperties" not in cls.VALIDATORS:
        return cls
    return jsonschema.validators.extend(cls, {"patternProperties": _pattern_properties})
