"""Change-triggered documentation: when a PR changes risky paths, it must touch the docs that go
with them (`when_changed: [{paths, require_touch, severity, reason}]`).

Judged only with a change set (`--base`, or the PR's files in action mode); a full scan has no
PR to judge. There are no default entries: the rule page shows the common ones to copy.
"""

from __future__ import annotations

from collections.abc import Sequence

from readiness.config.settings import WhenChanged
from readiness.gates.docs.rules import CHANGE_WITHOUT_DOCS
from readiness.model import Finding, Location
from readiness.workspace import matches
from readiness.workspace.changes import ChangeSet


def check(entries: Sequence[WhenChanged], changes: ChangeSet | None) -> list[Finding]:
    """One finding per entry whose `paths` the PR changes without touching `require_touch`."""
    if changes is None or not entries:
        return []
    changed = sorted(changes.files)
    out: list[Finding] = []
    for entry in entries:
        paths, required = entry.paths, entry.require_touch
        triggers = [f for f in changed if matches(f, paths) and not matches(f, required)]
        if not triggers or any(matches(f, required) for f in changed):
            continue
        more = f" and {len(triggers) - 1} more" if len(triggers) > 1 else ""
        reason = entry.reason
        out.append(CHANGE_WITHOUT_DOCS.finding(
            Location(path=triggers[0]),
            message=f"This change touches {triggers[0]}{more} (matching {', '.join(paths)}) but no file "
                    f"matching {', '.join(required)}" + (f": {reason}" if reason else "."),
            evidence=f"{'|'.join(paths)}=>{'|'.join(required)}",
            severity=entry.severity))
    return out
