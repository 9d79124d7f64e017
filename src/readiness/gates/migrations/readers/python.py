"""Alembic revisions and Django migration modules, read with `ast` (never imported): which of the
two a file is, what it does (alembic.py, django.py), and a file that is not valid Python reported
as such instead of skipped."""

from __future__ import annotations

from typing import TYPE_CHECKING

from readiness.gates.base import GateOutcome, unreadable
from readiness.gates.migrations import rules as R
from readiness.gates.migrations.discover import Candidate
from readiness.gates.migrations.readers.base import Analysis, Run
from readiness.gates.migrations.transactions import TxMode
from readiness.gates.migrations.views import through_views
from readiness.model import Item, Location
from readiness.workspace import FileProblem

if TYPE_CHECKING:
    import ast

    from readiness.gates.migrations.pyast import PyResult


class PythonReader:
    """Alembic and Django migrations."""

    def read(self, run: Run, cand: Candidate, text: str, out: GateOutcome) -> Analysis | None:

        from readiness.gates.migrations import alembic, django
        from readiness.gates.migrations.pysyntax import parse_python

        is_alembic = alembic.looks_like_alembic(text)
        is_django = not is_alembic and django.looks_like_django(text)
        # A file in a migrations location that does not even parse cannot be told apart by its
        # content; it is reported either way, never skipped silently.
        fmt = "alembic" if is_alembic or "/versions/" in f"/{cand.path}" else "django"
        try:
            tree = parse_python(text, cand.path)
            if not is_alembic and not is_django:
                return None  # a helper module beside the migrations
            return self._tree(run, cand, text, tree, is_alembic)
        except RecursionError:  # ast's own limits (an expression nested thousands deep), or ours
            out.findings.append(unreadable(R.UNREADABLE, FileProblem(
                cand.path, "its Python is nested too deeply to be read with ast, so it was not judged")))
            out.items.append(Item({"path": cand.path, "format": fmt, "risk": R.risk_of(R.UNREADABLE).value,
                                   "reversible": False, "statements": 0, "transactional": True, "down_path": None}))
            return None
        except (SyntaxError, ValueError) as exc:
            line = getattr(exc, "lineno", None) or 1
            col = getattr(exc, "offset", None) or 1
            msg = getattr(exc, "msg", None) or str(exc)
            out.findings.append(R.PYTHON_SYNTAX.finding(
                Location(path=cand.path, line=line, column=col),
                message=f"This {fmt} migration is not valid Python ({msg}), so it was not judged.", evidence=msg))
            out.items.append(Item({"path": cand.path, "format": fmt, "risk": R.risk_of(R.PYTHON_SYNTAX).value,
                                   "reversible": False, "statements": 0, "transactional": True,
                                   "down_path": None}))
            return None

    def _tree(self, run: Run, cand: Candidate, text: str, tree: ast.Module, is_alembic: bool) -> Analysis:
        from readiness.gates.migrations import alembic, django
        from readiness.gates.migrations.pymodules import RepoModules

        fmt = "alembic" if is_alembic else "django"
        an = Analysis(fmt=fmt, python=True)
        res: PyResult
        if run.modules is None:
            run.modules = RepoModules(run.ws)
        if is_alembic:
            res = alembic.analyse(tree, text, run.modules)
            an.mode = TxMode.WRAPPED
        else:
            if run.django is None:
                run.django = django.DjangoHistory(run.ws, [c.path for c in run.every if c.format == "python"])
            state = run.django.before(cand.path)
            run.django.judged(cand.path, tree)
            res = django.analyse(tree, text, cand.path, state, run.django.label(cand.path), run.modules)
            an.mode = TxMode.WRAPPED if res.atomic else TxMode.AUTOCOMMIT
        tx_cfg = run.ctx.config.migrations_gate.transactional
        if tx_cfg is not None:  # the configuration says how these migrations run (env.py, ATOMIC_REQUESTS...)
            an.mode, an.tx_source = (TxMode.WRAPPED if tx_cfg else TxMode.AUTOCOMMIT), "configured"
        elif not is_alembic and not res.atomic:
            an.tx_source = "file"  # atomic = False
        an.ops, an.down_ops, an.statements = res.ops, res.down_ops, res.statements
        an.ops = through_views(an.ops, {})  # SQL the migration executes: DML on its own views (views.py)
        if run.ctx.changes is not None:
            an.tree = tree
        an.errors = [(cand.path, e) for e in res.errors]
        an.irreversible = res.irreversible
        an.lossy = res.lossy
        an.down_state = "n/a"
        return an
