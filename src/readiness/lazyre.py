"""Regular expressions compiled when first used, not when their module is imported.

`re.compile` costs 20-300 µs a pattern, and the package holds about 250 of them: on a run of the
migrations gate over a diesel corpus (lemmy), 87 of the 125 compiled at import were never used
(Flyway, Liquibase, runner and redaction patterns), about 15 ms of a 0.4 s CLI run. A module-level
pattern is written `lazyre.compile(...)`; its first attribute look-up compiles it and copies the
compiled pattern's methods onto the object, so every later `P.search(...)` is one instance-dict
look-up, as cheap as on a pattern. Only for module-level constants: a pattern built in a function
goes through `re`'s own cache.
"""

from __future__ import annotations

import re
from typing import Any, cast

_METHODS = ("search", "match", "fullmatch", "finditer", "findall", "sub", "subn", "split", "scanner",
            "pattern", "flags", "groups", "groupindex")


class _Lazy:
    def __init__(self, pattern: str, flags: int) -> None:
        self._args = (pattern, flags)

    def __getattr__(self, name: str) -> Any:
        compiled = re.compile(*self._args)
        for attr in _METHODS:
            setattr(self, attr, getattr(compiled, attr))
        return getattr(compiled, name)

    def __repr__(self) -> str:
        return f"lazyre.compile({self._args[0]!r}, {self._args[1]})"


def compile(pattern: str, flags: int | re.RegexFlag = 0) -> re.Pattern[str]:  # noqa: A001 - re's name, on purpose
    """`re.compile(pattern, flags)`, done at the first use."""
    return cast(re.Pattern[str], _Lazy(pattern, int(flags)))
