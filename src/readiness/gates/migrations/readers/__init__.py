"""Readers of migration formats, one per family, behind one protocol (`base.Reader`):
`read(run, cand, text, out) -> Analysis | None`. The gate picks the reader; the reader says how
the tool runs the file (its transaction mode and where that comes from), what it does (typed
operations), and what its down migration is."""

from __future__ import annotations

from readiness.gates.migrations import lbdoc, liquibase
from readiness.gates.migrations.discover import Candidate
from readiness.gates.migrations.readers.base import Analysis, Reader, Run
from readiness.gates.migrations.readers.changelog import ChangelogReader
from readiness.gates.migrations.readers.files import FileReader
from readiness.gates.migrations.readers.fizzfiles import FizzReader
from readiness.gates.migrations.readers.python import PythonReader
from readiness.gates.migrations.readers.sections import SectionsReader, is_sectioned

__all__ = ["Analysis", "Reader", "Run", "reader_for"]

PYTHON = PythonReader()
CHANGELOG = ChangelogReader()
SECTIONS = SectionsReader()
FILES = FileReader()
FIZZ = FizzReader()


def reader_for(cand: Candidate, text: str) -> Reader:
    """The reader of `cand`'s format family (by what discovery found, then by the text)."""
    if cand.format == "python":
        return PYTHON
    if cand.format == "fizz":
        return FIZZ
    if cand.format in lbdoc.STRUCTURED or liquibase.is_changelog(text):
        return CHANGELOG
    if is_sectioned(cand, text):
        return SECTIONS
    return FILES
