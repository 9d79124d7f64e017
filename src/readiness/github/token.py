"""The token: where it comes from, and keeping it out of every line we write."""

from __future__ import annotations

import os
from collections.abc import Mapping


def env_token(env: Mapping[str, str] = os.environ) -> str:
    """The token from the `github-token` input, else GITHUB_TOKEN; '' when none."""
    for name in ("INPUT_GITHUB-TOKEN", "INPUT_GITHUB_TOKEN", "GITHUB_TOKEN"):
        value = env.get(name, "").strip()
        if value:
            return value
    return ""


def redact(text: str, *secrets: str) -> str:
    """`text` with every secret replaced by `***`."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text
