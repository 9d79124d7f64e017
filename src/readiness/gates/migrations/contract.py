"""The contract step of an expand/contract change: dropping what an earlier release already retired.

Dropping a table or a column is critical because running code that still uses it breaks. It does
not when the code stopped using it in an earlier release, and the migrations say so statically:

- Django's state forgot the model or field in an EARLIER migration, with state-only operations
  (`SeparateDatabaseAndState(state_operations=[DeleteModel(...)])`, or RunSQL's
  `state_operations`), while the database kept it; the drop comes later (saleor's 0204 / 0206).
  That migration must not be one the pull request adds: forgetting and dropping in one release is
  the unsafe one-step drop again.
- The migration declares itself post-deploy (django-safemigrate's `safe = Safe.after_deploy`): it
  runs once the code that stopped using the column is deployed.

Such a drop is kept, at low, saying why; its lock (`missing-lock-timeout`) and its reversibility are
judged as usual. A drop made by a migration whose model removal is only in the application code (an
Alembic project whose model class was deleted in an earlier pull request) has no such signal in the
migrations, and stays critical.
"""

from __future__ import annotations

import posixpath
from dataclasses import replace
from typing import TYPE_CHECKING

from readiness.gates.migrations import rules as R
from readiness.model import RiskClass

if TYPE_CHECKING:
    from readiness.gates.base import GateContext
    from readiness.gates.migrations.classify import Hit

DROPS = frozenset({R.DROP_TABLE.id, R.DROP_COLUMN.id})


def relax(hits: list[Hit], ctx: GateContext) -> list[Hit]:
    """`hits`, with each drop that is the contract step lowered to low and saying why."""
    out = []
    for hit in hits:
        why = _why(hit, ctx) if hit.rule.id in DROPS else None
        out.append(hit if why is None else replace(
            hit, risk=RiskClass.LOW, message=f"{hit.message} Low here, as no running code should use it: {why}; "
                                             "this is the contract step."))
    return out


def _why(hit: Hit, ctx: GateContext) -> str | None:
    what = "the model" if hit.rule.id == R.DROP_TABLE.id else "the field"
    by = hit.op.retired_by
    if by and _earlier_release(by, ctx):
        name = posixpath.basename(by).removesuffix(".py")
        return f"Django's state dropped {what} in {name}, so the code deployed since no longer uses it"
    if hit.op.after_deploy:
        return ("the migration is declared `safe = Safe.after_deploy` (django-safemigrate): it runs once the "
                "code that stopped using it is deployed")
    return None


def _earlier_release(path: str, ctx: GateContext) -> bool:
    """`path` was merged before this pull request: not one it adds (on a full scan, every one)."""
    changes = ctx.changes
    if changes is None or not changes.touched(path):
        return True
    return ctx.base_text(path) is not None  # edited by the PR, but the base already had it
