"""Defensive access to advisory JSON: records come from disk or a service and may be malformed."""

from __future__ import annotations

from typing import Any


def as_list(value: Any) -> list[Any]:
    """A JSON value that must be a list: anything else (a scalar, a mapping, null) counts as empty."""
    return value if isinstance(value, list) else []
