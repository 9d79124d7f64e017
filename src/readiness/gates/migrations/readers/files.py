"""SQL migrations with one file per direction: Flyway (its own choice of transaction per script, or
the script's `.conf`), golang-migrate and the tools that share its layout (the runner detected:
`.autocommit.`, `-- no-transaction`, templates), diesel, Prisma and plain SQL; the down file,
when there is one, is read for emptiness, parse errors and lossy re-creations."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from readiness.gates.base import GateOutcome, unreadable
from readiness.gates.migrations import rules as R
from readiness.gates.migrations.discover import Candidate
from readiness.gates.migrations.readers.base import RECREATES, Analysis, Run, add_unread, analyse_up, sql_ops
from readiness.gates.migrations.runners import (
    BY_FORMAT,
    POPX_AUTOCOMMIT,
    SQLX_NO_TX,
    Unread,
    fill_templates,
    render_templates,
)
from readiness.gates.migrations.sql import PLACEHOLDER_FORMATS, fill_placeholders
from readiness.gates.migrations.transactions import TxMode
from readiness.workspace import FileProblem


class FileReader:
    """One file per direction (the down file paired by discovery)."""

    def read(self, run: Run, cand: Candidate, text: str, out: GateOutcome) -> Analysis:
        ws = run.ws
        fmt = cand.format
        an = Analysis(fmt=fmt)
        placeholders = _placeholders(run) if fmt in PLACEHOLDER_FORMATS else None
        up_text, unread = placeholders(text) if placeholders is not None else (text, [])
        family = "flyway" if fmt == "flyway-repeatable" else fmt  # repeatable ones run as versioned ones do
        if family == "golang-migrate":
            runner = run.detector.up_sql(cand.path, text)
            if runner.templates:
                up_text, unread = render_templates(up_text)
            if runner in (POPX_AUTOCOMMIT, SQLX_NO_TX):  # `.autocommit.` in the name, `-- no-transaction`
                an.tx_source = "file"
        elif family == "flyway":
            runner = replace(BY_FORMAT["flyway"], mode=TxMode.flyway(up_text))
            if run.ctx.config.migrations_gate.transactional is None and ws.exists(cand.path + ".conf"):
                try:  # a script configuration file overrides Flyway's own choice for this script
                    conf = TxMode.flyway_script_config(ws.read_text(cand.path + ".conf"))
                except FileProblem as problem:
                    out.findings.append(unreadable(R.UNREADABLE, problem))
                else:
                    if conf is not None:
                        runner, an.tx_source = replace(runner, mode=conf), "file"
        else:
            runner = BY_FORMAT.get(family, BY_FORMAT["sql"])
        analyse_up(run, cand, an, up_text, 1, runner)
        add_unread(an, text, unread, "the template action" if runner.templates else "the placeholder")
        if cand.down_path is not None:
            try:
                dtext = ws.read_text(cand.down_path)
            except FileProblem as problem:
                out.findings.append(unreadable(R.UNREADABLE, problem))
                an.down_state = "present"
            else:
                if placeholders is not None:
                    dtext = placeholders(dtext)[0]
                if runner.templates:
                    dtext = fill_templates(dtext)
                dops, derr, n = sql_ops(dtext, trees=any(o.action in RECREATES for o in an.ops))
                an.down_ops = dops
                an.errors.extend((cand.down_path, e) for e in derr)
                an.down_state = "present" if n or derr else "empty"
                an.down_where = (cand.down_path, 1, 1)
        return an


def _placeholders(run: Run) -> Callable[[str], tuple[str, list[Unread]]]:
    """Flyway's placeholders as the gate judges them (`flywayconf`); `${name}` as a name standing for
    it where no Flyway configuration is known."""
    if run.flyway is not None:
        return run.flyway.render
    return lambda text: (fill_placeholders(text), [])
