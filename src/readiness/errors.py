"""Run-level errors. Per-input problems are values (findings, gate errors), not exceptions.

Each error explains itself through `diagnostics()`; only `cli.py` turns them into exit codes.
"""

from __future__ import annotations

from readiness.exit_codes import ExitCode


def value_problem(exc: ValueError) -> str:
    """Plain words for a `ValueError` a parser raised that is not its syntax error: Python refuses to
    read an integer of more than 4,300 digits (`json`, `tomllib`), which a one-line file can hold."""
    text = str(exc)
    if "integer string conversion" in text or "digits" in text:
        return "it holds an integer of more than 4,300 digits, which is not read"
    return text[:200]


class ReadinessError(Exception):
    """Base class of every error the tool raises on purpose."""

    exit_code: ExitCode = ExitCode.INTERNAL

    def diagnostics(self) -> str:
        """A message for a person: what went wrong and what to do."""
        return str(self)


class UsageError(ReadinessError):
    """A bad flag or argument (exit 2)."""

    exit_code = ExitCode.USAGE


class ConfigError(ReadinessError):
    """An invalid `.readiness.yml` or a config value that cannot be honoured (exit 2)."""

    exit_code = ExitCode.USAGE

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None,
                 column: int | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.line = line
        self.column = column

    def diagnostics(self) -> str:
        where = ""
        if self.path:
            where = self.path
            if self.line:
                where += f":{self.line}"
                if self.column:
                    where += f":{self.column}"
            where += ": "
        return f"configuration error: {where}{self}"


class CatalogError(ReadinessError):
    """A rule page is missing or malformed: a defect of the tool itself (exit 3)."""


class GateError(ReadinessError):
    """A gate could not run. The engine records it as the gate's `error` status."""


class PublishError(ReadinessError):
    """Publishing to GitHub failed. Never changes the verdict."""
