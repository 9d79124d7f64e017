"""gobuffalo/pop's fizz migrations (`<version>_<name>.up.fizz`, the `.down.fizz` twin): rendered as a
Go template, then translated into the PostgreSQL statements fizz writes (fizz.py), and judged as
those statements; what cannot be translated fails closed (`migrations/dynamic-sql`)."""

from __future__ import annotations

from dataclasses import replace

from readiness.gates.base import GateOutcome, unreadable
from readiness.gates.migrations import fizz
from readiness.gates.migrations import rules as R
from readiness.gates.migrations.discover import Candidate
from readiness.gates.migrations.ops import Action, Op
from readiness.gates.migrations.readers.base import RECREATES, Analysis, Run, add_unread, analyse_up, sql_ops
from readiness.gates.migrations.runners import render_templates
from readiness.gates.migrations.sql import normalize
from readiness.workspace import FileProblem


class FizzReader:
    """pop's fizz files."""

    def read(self, run: Run, cand: Candidate, text: str, out: GateOutcome) -> Analysis:
        an = Analysis(fmt="fizz")
        rendered, unread = render_templates(text)
        tr = fizz.translate(rendered)
        analyse_up(run, cand, an, tr.sql, 1, run.detector.fizz(cand.path))
        # a statement's SQL is laid out on its call's line: the finding points at the call
        an.ops = [replace(op, col=tr.columns.get(op.line, 1)) for op in an.ops]
        an.errors = [(p, replace(e, column=tr.columns.get(e.line, 1))) for p, e in an.errors]
        an.statements = max(an.statements, tr.calls)
        add_unread(an, text, unread, "the template action")
        if tr.unread:
            an.ops = sorted([*an.ops, *_unread_ops(rendered, tr.unread)], key=lambda op: op.line)
        if cand.down_path is not None:
            try:
                dtext = run.ws.read_text(cand.down_path)
            except FileProblem as problem:
                out.findings.append(unreadable(R.UNREADABLE, problem))
                an.down_state = "present"
            else:
                down = fizz.pop_sql(dtext)
                dops, derr, n = sql_ops(down.sql, trees=any(o.action in RECREATES for o in an.ops))
                an.down_ops = dops
                an.errors.extend((cand.down_path, e) for e in derr)
                an.down_state = "present" if n or down.calls or derr else "empty"
                an.down_where = (cand.down_path, 1, 1)
        return an


MAX_UNREAD = 100
"""Parts that cannot be translated reported per file, at most (the first ones; one is enough to block)."""


def _unread_ops(text: str, unread: list[fizz.Unread]) -> list[Op]:
    """Each part of the script that could not be translated, as SQL that cannot be read (fails closed)."""
    ops = []
    line, at = 1, 0
    for u in sorted(unread, key=lambda u: u.offset)[:MAX_UNREAD]:
        line += text.count("\n", at, u.offset)
        at = u.offset
        col = u.offset - text.rfind("\n", 0, u.offset)
        snippet = " ".join(u.text.split())[:200]
        ops.append(Op(action=Action.DYNAMIC_SQL, detail=f"the fizz statement `{snippet}` ({u.why})",
                      line=line, col=col, end_line=line, evidence=normalize(u.text)))
    return ops
