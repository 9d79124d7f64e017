"""Step outputs through the GITHUB_OUTPUT file (DESIGN outputs: verdict, critical, high, findings,
report, comment-file).

A value with a line break is written as a heredoc whose delimiter is random per value and checked
against the value, so no text from the repository can end it early and inject another output.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from pathlib import Path


def format_outputs(values: Mapping[str, str]) -> str:
    """The file-command text for `values`."""
    lines: list[str] = []
    for name, value in values.items():
        if "\n" in name or "=" in name or "<<" in name:
            raise ValueError(f"invalid output name {name!r}")
        if "\n" in value or "\r" in value:
            delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
            while delimiter in value:  # pragma: no cover - 128 random bits
                delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
            lines.append(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
        else:
            lines.append(f"{name}={value}\n")
    return "".join(lines)


def write_outputs(path: str | Path, values: Mapping[str, str]) -> None:
    """Append the outputs to the GITHUB_OUTPUT file (OSError propagates)."""
    with open(path, "a", encoding="utf-8", newline="\n") as fh:
        fh.write(format_outputs(values))
