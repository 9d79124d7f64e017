"""Migrations written in code (goose's Go, Flyway's Java and Kotlin): the SQL they run is built while
they run, so the gate cannot judge them; it reports them (`migrations/dynamic-sql`) rather than
passing them over in silence, with the file's content in the finding's fingerprint so that no
baseline entry or waiver of one version covers a later one."""

from __future__ import annotations

import hashlib
import re
from collections import deque

from readiness import lazyre
from readiness.gates.base import GateContext
from readiness.gates.migrations import rules as R
from readiness.gates.migrations.discover import MIGRATION_DIRS
from readiness.model import Finding, Location
from readiness.workspace import FileProblem

_COMMENT = lazyre.compile(r"/\*.*?(?:\*/|\Z)|//[^\n]*", re.DOTALL)
"""Go, Java and Kotlin comments: `extends /* x */ BaseJavaMigration` and `goose.` then a comment."""
_GOOSE = lazyre.compile(r"\b(?:AddMigration|AddNamedMigration|NewGoMigration|SetGlobalMigrations|GoFunc)\w*\b")
"""What registers a goose Go migration, however goose is imported (an alias, a dot import)."""
_GOOSE_IMPORT = lazyre.compile(r'"github\.com/pressly/goose(?:/v\d+)?"')
_FLYWAY = lazyre.compile(r"\b(?:BaseJavaMigration|JavaMigration)\b")
"""What makes a Java or Kotlin class a Flyway migration, by any spelling (qualified, after a comment)."""
_NAMED = lazyre.compile(r"(?:^|/)(?:[VRU][^/]*__[^/]*\.(?:java|kt)|\d+_[^/]*\.go)$")
"""A file named as the runner names a code migration (`V2__Drop.java`, `00002_drop.go`): a class that
extends the team's own base class, or registers through a helper package, mentions neither."""
_TESTS = lazyre.compile(r"(?:^|/)(?:src/test|tests?)/", re.IGNORECASE)
"""Test sources: the runner never loads a migration from them (`V57__BackfillTest.java`)."""
_CODE_EXTENSIONS = (".go", ".java", ".kt")


def _registers(rel: str, text: str) -> int | None:
    """The offset where `text` shows it is a code migration, or None."""
    code = _COMMENT.sub(lambda m: " " * len(m.group()), text)  # offsets kept for the line number
    if rel.endswith(".go"):
        if _GOOSE_IMPORT.search(code):
            m = _GOOSE.search(code)
            if m is not None:
                return m.start()
    else:  # the class declaration, after the imports: the last mention
        last = deque(_FLYWAY.finditer(code), maxlen=1)
        if last:
            return last[0].start()
    return 0 if _NAMED.search(rel) and _in_migrations(rel) and not _TESTS.search(rel) else None


def _in_migrations(rel: str) -> bool:
    return any(p.lower() in MIGRATION_DIRS for p in rel.split("/")[:-1])


def code_migrations(ctx: GateContext) -> list[Finding]:
    """Migrations written in Go (goose) or Java/Kotlin (Flyway): the SQL they run is built by code, so
    they are reported as not judged rather than passed over in silence. With a base, the files the PR
    adds or changes; in a full scan, those below a migrations directory."""
    ws = ctx.workspace
    if ctx.changes is not None:
        names = sorted(f for f in ctx.changes.files if f.endswith(_CODE_EXTENSIONS))
    else:
        names = [f for f in ws.files() if f.endswith(_CODE_EXTENSIONS) and _in_migrations(f)]
    out = []
    for rel in names:
        try:
            text = ws.read_text(rel)
        except FileProblem as problem:  # a Latin-1 Java source compiles: unread is not judged
            if _in_migrations(rel) or _NAMED.search(rel):
                out.append(R.DYNAMIC_SQL.finding(Location(path=rel), message=(
                    f"This file may be a migration written in code, and it could not be read ({problem.reason}), "
                    "so it was not judged."), evidence=f"code-migration:unread:{problem.reason}"))
            continue
        at = _registers(rel, text)
        if at is None:
            continue
        line = text.count("\n", 0, at) + 1
        tool = "goose" if rel.endswith(".go") else "Flyway"
        out.append(R.DYNAMIC_SQL.finding(
            Location(path=rel, line=line),
            message=f"This {tool} migration is written in code, so the SQL it runs is built while it runs and "
                    "was not judged.",
            # the content in the evidence: a baseline or waiver of this file never covers a later version
            evidence=f"code-migration:{tool}:{hashlib.sha256(text.encode('utf-8', 'surrogateescape')).hexdigest()}"))
    return out
