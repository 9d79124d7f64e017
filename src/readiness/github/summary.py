"""The job summary (GITHUB_STEP_SUMMARY): at most 1 MiB in UTF-8 bytes per step, or the runner
drops all of it. What we append is cut so that the file stays under the limit, at a line boundary,
with a note saying so.
"""

from __future__ import annotations

import os
from pathlib import Path

SUMMARY_LIMIT_BYTES = 1024 * 1024
"""The runner's limit per step (FileCommandManager: `fileSize > 1024 * 1024`)."""
SAFETY_BYTES = 1024
CUT_NOTE = "\n\n_The job summary was cut to stay under GitHub's 1 MiB limit; the JSON report has everything._\n"


def fit_bytes(text: str, limit: int) -> str:
    """`text` cut to at most `limit` UTF-8 bytes, at a line boundary when there is one, plus a note."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    room = max(limit - len(CUT_NOTE.encode("utf-8")), 0)
    head = data[:room].decode("utf-8", "ignore")
    if "\n" in head:
        head = head[: head.rindex("\n")]
    out = head + CUT_NOTE
    while len(out.encode("utf-8")) > limit and head:  # pragma: no cover - note longer than limit
        head = head[:-1]
        out = head + CUT_NOTE
    return out


def append_summary(path: str | Path, text: str) -> int:
    """Append `text` to the step summary, keeping the file under the limit; returns bytes written."""
    try:
        used = os.path.getsize(path)
    except OSError:
        used = 0
    room = SUMMARY_LIMIT_BYTES - SAFETY_BYTES - used
    if room <= len(CUT_NOTE.encode("utf-8")):
        return 0
    chunk = fit_bytes(text if text.endswith("\n") else text + "\n", room)
    data = chunk.encode("utf-8")
    with open(path, "ab") as fh:
        fh.write(data)
    return len(data)
