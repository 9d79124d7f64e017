"""Migrations written in code (goose's Go, Flyway's Java and Kotlin): the SQL they run is built while
they run, so the gate cannot judge them; it reports them (`migrations/dynamic-sql`) rather than
passing them over in silence, with the file's content in the finding's fingerprint so that no
baseline entry or waiver of one version covers a later one."""

from __future__ import annotations

import hashlib

from readiness import lazyre
from readiness.gates.base import GateContext
from readiness.gates.migrations import rules as R
from readiness.gates.migrations.discover import MIGRATION_DIRS
from readiness.model import Finding, Location
from readiness.workspace import FileProblem

_CODE_MIGRATION = lazyre.compile(r"\bgoose\.(?:AddMigration|AddNamedMigration)\w*\s*\(|\bextends\s+BaseJavaMigration\b|"
                                 r"\bBaseJavaMigration\s*\(|:\s*BaseJavaMigration\s*\(")
"""What registers a migration written in code: goose's Go migrations, Flyway's Java and Kotlin ones."""
_CODE_EXTENSIONS = (".go", ".java", ".kt")


def code_migrations(ctx: GateContext) -> list[Finding]:
    """Migrations written in Go (goose) or Java/Kotlin (Flyway): the SQL they run is built by code, so
    they are reported as not judged rather than passed over in silence. With a base, the files the PR
    adds or changes; in a full scan, those below a migrations directory."""
    ws = ctx.workspace
    if ctx.changes is not None:
        names = sorted(f for f in ctx.changes.files if f.endswith(_CODE_EXTENSIONS))
    else:
        names = [f for f in ws.files() if f.endswith(_CODE_EXTENSIONS)
                 and any(p.lower() in MIGRATION_DIRS for p in f.split("/")[:-1])]
    out = []
    for rel in names:
        try:
            text = ws.read_text(rel)
        except FileProblem:
            continue  # a file that cannot be read is reported where it is a migration candidate
        m = _CODE_MIGRATION.search(text)
        if m is None:
            continue
        line = text.count("\n", 0, m.start()) + 1
        tool = "goose" if rel.endswith(".go") else "Flyway"
        out.append(R.DYNAMIC_SQL.finding(
            Location(path=rel, line=line),
            message=f"This {tool} migration is written in code, so the SQL it runs is built while it runs and "
                    "was not judged.",
            # the content in the evidence: a baseline or waiver of this file never covers a later version
            evidence=f"code-migration:{tool}:{hashlib.sha256(text.encode('utf-8', 'surrogateescape')).hexdigest()}"))
    return out
