"""Workflow commands (`::error file=...::message`): the fallback when no check run can be created.

The runner keeps only 10 annotations per type (error, warning, notice) per step, so at most 10 of
each are emitted, most severe first, and a last plain line says how many were left out.
Escaping follows actions/runner `ActionCommand.cs`: data escapes `%`, CR and LF; property values
also escape `:` and `,`.

Everything else the tool prints is *not* a command, whatever the repository put into it. The runner
reads a line as a command when, after leading white space, it starts with `::` (`::error ...`,
`::add-mask::`, `::stop-commands::`), or when it holds `##[` anywhere (the legacy form). So every
line we print has those neutralised (a WORD JOINER between the two characters: invisible, and the
runner no longer matches), and the report, the bulk of repository text, is also printed between
`::stop-commands::<random>` and `::<random>::`. Only our own annotation lines are printed as they are.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from readiness import lazyre
from readiness.render.annotations import Annotation

PER_TYPE_LIMIT = 10
MESSAGE_LIMIT = 4096


def escape_data(value: str) -> str:
    """Escape a command's message."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    """Escape a command property value (file, title)."""
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def annotation_commands(annotations: Sequence[Annotation]) -> list[str]:
    """At most 10 commands per type (level), in the order given (rendered: blocking first), then a plain
    line saying how many were left out."""
    counts: dict[str, int] = {}
    left_out = 0
    lines: list[str] = []
    for a in annotations:
        if counts.get(a.level, 0) >= PER_TYPE_LIMIT:
            left_out += 1
            continue
        counts[a.level] = counts.get(a.level, 0) + 1
        props = [f"file={escape_property(a.path)}", f"line={a.start_line}"]
        if a.end_line > a.start_line:
            props.append(f"endLine={a.end_line}")
        if a.start_column is not None:
            props.append(f"col={a.start_column}")
        props.append(f"title={escape_property(a.title)}")
        lines.append(f"::{a.level} {','.join(props)}::{escape_data(a.message[:MESSAGE_LIMIT])}")
    if left_out:
        lines.append(f"readiness: {left_out} more finding(s) are not annotated (GitHub keeps 10 per type "
                     "per step); the job summary lists them")
    return lines


WJ = "\u2060"
_LEGACY = "##["
_LEGACY_SAFE = "##" + WJ + "["
_LEADING_COLONS = lazyre.compile(r"(?:^|(?<=[\r\n]))([^\S\r\n]*:)(?=:)")
"""`::` at the start of a line, after white space; the runner also breaks lines at a lone CR."""


def neutralise(text: str) -> str:
    """`text` with no line the runner would read as a workflow command."""
    if _LEGACY in text:
        text = text.replace(_LEGACY, _LEGACY_SAFE)
    if "::" not in text:
        return text
    return _LEADING_COLONS.sub(r"\1" + WJ, text)


def neutralise_json(text: str) -> str:
    """JSON text with `##[` written `##\\u005b` inside strings: the same data once parsed, and no
    line the runner reads as a legacy command (a JSON line never starts with `::`)."""
    return text.replace(_LEGACY, "##\\u005b")


def stop_commands(text: str) -> str:
    """`text` (neutralised) between `::stop-commands::<random>` and `::<random>::`, so that the
    runner processes no command in it even where neutralising would not be enough."""
    token = secrets.token_hex(16)
    return f"::stop-commands::{token}\n{neutralise(text).rstrip(chr(10))}\n::{token}::"
