"""The token: where it comes from, and keeping it out of every line we write."""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache

from readiness.redaction import Redactor


def env_token(env: Mapping[str, str] = os.environ) -> str:
    """The token from the `github-token` input, else GITHUB_TOKEN; '' when none."""
    for name in ("INPUT_GITHUB-TOKEN", "INPUT_GITHUB_TOKEN", "GITHUB_TOKEN"):
        value = env.get(name, "").strip()
        if value:
            return value
    return ""


def redact(text: str, *secrets: str) -> str:
    """`text` with every secret (raw, base64, percent-encoded, hex) and any Authorization header
    value replaced by `***`."""
    return _redactor(tuple(s for s in secrets if s)).text(text)


@lru_cache(maxsize=8)
def _redactor(secrets: tuple[str, ...]) -> Redactor:
    return Redactor(secrets)
