"""Every exit code the tool returns, and what each means: the one table (DESIGN "Exit codes").

`cli.py` is the only place that turns an outcome into one of these; errors name theirs by member,
never by number. The README's exit-code table is checked against `MEANING` by a test.
"""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    """The process exit status of every subcommand."""

    OK = 0
    """No blocking finding."""
    FAIL = 1
    """A blocking finding, or a gate that errored while its `on_error` is `fail`."""
    USAGE = 2
    """A bad flag or argument, or an invalid configuration."""
    INTERNAL = 3
    """A defect of the tool."""
    INTERRUPTED = 130
    """Interrupted (Ctrl-C): the shell's convention, 128 + SIGINT."""


MEANING: dict[ExitCode, str] = {
    ExitCode.OK: "no blocking finding",
    ExitCode.FAIL: "at least one unwaived finding at or above `--fail-on` introduced by the change, "
                   "or a gate that errored while its `on_error` is `fail`",
    ExitCode.USAGE: "usage or configuration error; the message names the file, line and problem "
                    "(`configuration error: .readiness.yml:4:5: unknown key 'pathz' ...`)",
    ExitCode.INTERNAL: "unexpected internal error: one line and where to report it; a traceback only "
                       "with `--debug`",
    ExitCode.INTERRUPTED: "interrupted (Ctrl-C)",
}
"""The README's exit-code table, row by row (a test keeps the two equal)."""


def verdict_exit(verdict: str) -> ExitCode:
    """The exit code of a finished run: FAIL for a failing verdict, else OK."""
    return ExitCode.FAIL if verdict == "fail" else ExitCode.OK
