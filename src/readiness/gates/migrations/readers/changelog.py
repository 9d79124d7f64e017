"""Liquibase changelogs, formatted SQL (`--liquibase formatted sql`) and XML/YAML/JSON
(`databaseChangeLog`, lbdoc.py): each changeset its own transaction (or none, with
`runInTransaction:false`), its rollback the down, judged per changeset. A formatted-SQL changelog
with a name Flyway runs is read as Flyway runs it when the repository says Flyway runs it, and
judged with everything Flyway would run when nothing says which tool does (`liquibase.runner`)."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable
from dataclasses import replace
from functools import partial

from readiness.gates.base import GateOutcome
from readiness.gates.migrations import changesets, lbdoc, lbprops, liquibase
from readiness.gates.migrations import rules as R
from readiness.gates.migrations.discover import Candidate
from readiness.gates.migrations.ops import Action, Flag, Op
from readiness.gates.migrations.pgtree import statement_ops
from readiness.gates.migrations.readers.base import Analysis, Part, Run, sql_ops
from readiness.gates.migrations.readers.files import FileReader
from readiness.gates.migrations.sql import Origin, SqlError, Statement, fill_placeholders, parse
from readiness.gates.migrations.transactions import TxMode
from readiness.model import Item, Location
from readiness.workspace import FileProblem, decode_text

_Extra = tuple[list[Op], list[SqlError], list[int]]
"""What a changeset runs besides its laid-out SQL: operations, parse errors, statements (sqlFile, unread changes)."""
_More = Callable[[], tuple[_Extra, _Extra]]
"""The up and down `_Extra` of a changeset, when asked."""


_CREATES = frozenset({Action.CREATE_TABLE, Action.CREATE_OBJECT})


class ChangelogReader:
    """Liquibase changelogs."""

    def read(self, run: Run, cand: Candidate, text: str, out: GateOutcome) -> Analysis | None:
        if cand.format not in lbdoc.STRUCTURED:
            flyway_too = False
            if liquibase.flyway_named(cand.path):
                who = liquibase.runner(run.ws, cand.path)
                if who == "flyway":  # Flyway runs the whole file, the marker is a comment to it
                    return FileReader().read(run, cand, text, out)
                flyway_too = who == "either"
            return judge_changesets(cand, ((cs, None) for cs in liquibase.changesets(text)),
                                    preamble=liquibase.preamble(text) if flyway_too else None,
                                    expand=_expander(run, cand.path, text))
        try:
            root = lbdoc.parse_xml(text) if cand.format == "liquibase-xml" else \
                lbdoc.parse_yaml(text, json_text=cand.format == "liquibase-json")
        except lbdoc.ChangelogError as exc:  # fails closed: a changelog the gate cannot read may drop a table
            out.findings.append(R.UNREADABLE.finding(
                Location(path=cand.path, line=exc.line, column=exc.column),
                message=f"This Liquibase changelog could not be read ({exc}), so it was not judged.",
                evidence=str(exc)))
            out.items.append(Item({"path": cand.path, "format": "liquibase", "risk": R.risk_of(R.UNREADABLE).value,
                                   "reversible": False, "statements": 0, "transactional": True, "down_path": None}))
            return None
        expand = _expander(run, cand.path, text)
        units = lbdoc.changesets(root, cand.path, lbdoc.resolver(run.ws.files), expand)
        fresh = _fresh_includes(run, cand, units)
        an = judge_changesets(cand, ((u.changeset, partial(_extra, run, u, expand,
                                                           u.changeset.ident in fresh)) for u in units))
        other = {u.changeset.line for u in units if u.other_database}
        if other:  # another database's SQL in a changeset its context gives to that database: not ours to parse
            starts = sorted(u.changeset.line for u in units)
            an.errors = [(p, e) for p, e in an.errors if _changeset_at(starts, e.line) not in other]
        return an


def _changeset_at(starts: list[int], line: int) -> int:
    """The first line of the changeset holding `line` (changesets in file order)."""
    i = bisect.bisect_right(starts, line) - 1
    return starts[i] if i >= 0 else 0


def _expander(run: Run, path: str, text: str) -> lbdoc.Expand | None:
    """Liquibase's substitution of the repository's changelog properties in the changelog `path`
    (None when neither its text nor an `sqlFile` of it can use one)."""
    if "${" not in text and "sqlFile" not in text:
        return None
    props = run.liquibase_properties
    if props is None:
        props = run.liquibase_properties = lbprops.Properties()
        for c in run.every:
            if c.format not in lbdoc.STRUCTURED:
                continue
            try:  # not through read_text: reading a changelog for its properties does not judge it
                body = decode_text(c.path, run.ws.read_bytes(c.path))
                root = lbdoc.parse_xml(body) if c.format == "liquibase-xml" else \
                    lbdoc.parse_yaml(body, json_text=c.format == "liquibase-json")
            except (FileProblem, lbdoc.ChangelogError):
                continue  # reported when judged
            props.add(lbprops.definitions(root.kids, c.path))
    return lambda t: props.expand(t, path)


def _fresh_includes(run: Run, cand: Candidate, units: list[lbdoc.Unit]) -> set[str]:
    """The `include`/`includeAll` elements (by identity) the PR adds or changes in this changelog:
    what they name runs on the deploy of the PR, whatever the PR did to those files. None on a full
    scan (each file there is judged on its own)."""
    mine = {u.changeset.ident for u in units if u.includes}
    ctx = run.ctx
    if not mine or ctx.changes is None or not ctx.changes.touched(cand.path):
        return set()
    text = ctx.base_text(cand.path)
    if text is None:
        return mine
    try:
        root = lbdoc.parse_xml(text) if cand.format == "liquibase-xml" else \
            lbdoc.parse_yaml(text, json_text=cand.format == "liquibase-json")
    except lbdoc.ChangelogError:
        return mine
    then = lbdoc.changesets(root, cand.path, lbdoc.resolver(run.ws.files), _expander(run, cand.path, text))
    return mine - {u.changeset.ident for u in then if u.includes}


def _judged_whole(run: Run, path: str) -> bool:
    """A changelog the PR adds that the gate judges on its own: all of it is the PR's there already."""
    ctx = run.ctx
    return ctx.changes is not None and ctx.changes.touched(path) and any(c.path == path for c in run.every) \
        and ctx.base_text(path) is None


_MAX_INCLUDE_DEPTH = 8
"""Changelogs included from included changelogs, at most (deeper: reported, not read)."""


def _included_sql(run: Run, path: str, depth: int, seen: set[str]) -> tuple[str, list[str]]:
    """The SQL a changelog file an include names runs (formatted SQL: its PostgreSQL changesets;
    XML/YAML/JSON: theirs, and what they include in turn; plain SQL: the whole file), and what of it
    could not be read (FileProblem reasons, changes the gate does not read)."""
    if path in seen:
        return "", []
    seen.add(path)
    text = run.ws.read_text(path)
    fmt = lbdoc.changelog_format(path, text[:4096])
    if fmt is None:
        if not liquibase.is_changelog(text):
            return text, []
        return "\n".join(f"{check};" for cs in liquibase.changesets(text) if cs.for_postgres
                         for _, _, check in cs.checks) + "\n" + "\n".join(
            cs.sql for cs in liquibase.changesets(text) if cs.for_postgres), []
    try:
        root = lbdoc.parse_xml(text) if fmt == "liquibase-xml" else \
            lbdoc.parse_yaml(text, json_text=fmt == "liquibase-json")
    except lbdoc.ChangelogError as exc:
        return "", [f"the included changelog {path!r} could not be read ({exc})"]
    parts: list[str] = []
    problems: list[str] = []
    for u in lbdoc.changesets(root, path, lbdoc.resolver(run.ws.files), _expander(run, path, text)):
        if not u.changeset.for_postgres:
            continue
        parts.append(u.changeset.sql)
        problems.extend(what for _, what in u.unread)
        for _, written, target in [*u.files, *((ln, w, t) for ln, w, ts in u.includes for t in ts or (None,))]:
            if target is None:
                problems.append(f"{written!r} (outside the repository or not in it)")
            elif depth >= _MAX_INCLUDE_DEPTH:
                problems.append(f"{written!r} (included more than {_MAX_INCLUDE_DEPTH} levels deep)")
            else:
                try:
                    sql, more = _included_sql(run, target, depth + 1, seen)
                except FileProblem as problem:
                    problems.append(f"{written!r} ({problem.reason})")
                    continue
                parts.append(sql)
                problems.extend(more)
    return "\n;\n".join(parts), problems


def _extra(run: Run, unit: lbdoc.Unit, expand: lbdoc.Expand | None = None,
           fresh: bool = False) -> tuple[_Extra, _Extra]:
    """The up and down operations of a changeset's `sqlFile`s and of the changes the gate does not read;
    of an include the PR adds or changes (`fresh`), what the changelogs it names run (found there)."""
    up: _Extra = ([Op(action=Action.DYNAMIC_SQL, detail=what, line=line, col=1, end_line=line)
                   for line, what in unit.unread], [], [len(unit.unread)])
    down: _Extra = ([], [], [0])
    for line, written, targets in unit.includes:
        if targets is None:  # fails closed: what it runs is not in the repository, or not known
            problems = [f"the included changelog {written!r} (outside the repository or not in it)"]
            sql = ""
        elif not fresh:
            continue  # judged where it is (an include the base already had)
        else:
            seen = {unit.changeset.ident}
            sql, problems = "", []
            for target in targets:
                if _judged_whole(run, target):
                    continue
                try:
                    more_sql, more = _included_sql(run, target, 1, seen)
                except FileProblem as problem:
                    more_sql, more = "", [f"the included changelog {target!r} ({problem.reason})"]
                sql += "\n;\n" + more_sql
                problems.extend(more)
        up[0].extend(Op(action=Action.DYNAMIC_SQL, line=line, col=1, end_line=line, detail=what) for what in problems)
        up[2][0] += len(problems)
        if sql.strip():
            ops, errors, n = sql_ops(fill_placeholders(sql))
            up[0].extend(replace(o, line=line, col=1, end_line=line) for o in ops)
            up[1].extend(replace(e, line=line, column=1) for e in errors)
            up[2][0] += n
    for files, (ops_into, errors_into, count) in ((unit.files, up), (unit.down_files, down)):
        for line, written, path in files:
            try:
                if path is None:
                    raise FileProblem(written, "outside the repository or not in it")
                sql = run.ws.read_text(path)
            except FileProblem as problem:  # fails closed: what it runs is not known
                ops_into.append(Op(action=Action.DYNAMIC_SQL, line=line, col=1, end_line=line,
                                   detail=f"the sqlFile {written!r} ({problem.reason})"))
                count[0] += 1
                continue
            several: list[str] = []
            if expand is not None:
                sql, several = expand(sql)
            ops_into.extend(Op(action=Action.DYNAMIC_SQL, line=line, col=1, end_line=line,
                               detail=f"the sqlFile {written!r}: {lbprops.several_values(name)}")
                           for name in dict.fromkeys(several))
            ops, errors, n = sql_ops(fill_placeholders(sql))
            # the file's statements run at the sqlFile change: found there
            ops_into.extend(replace(o, line=line, col=1, end_line=line) for o in ops)
            errors_into.extend(replace(e, line=line, column=1) for e in errors)
            count[0] += n
    return up, down


def judge_changesets(cand: Candidate, units: Iterable[tuple[liquibase.Changeset, _More | None]], *,
                     preamble: str | None = None, expand: lbdoc.Expand | None = None) -> Analysis:
    """The analysis of a changelog's changesets, each with what it runs besides its SQL text.

    Every changeset's statements (a precondition's SQL first: Liquibase runs it before the
    changeset) are read in one pass, so a routine one changeset creates runs its body where a later
    one calls it. `preamble` is the SQL before the first changeset of a file Flyway may run too (a
    Flyway name and nothing in the repository saying which tool runs it): Liquibase skips it and
    other databases' changesets, Flyway runs everything, so all of it is judged."""
    an = Analysis(fmt="liquibase", changesets=True, down_state="n/a")
    in_txn = False
    flyway_too = preamble is not None
    judged: list[tuple[int, int, bool]] = []  # (first line, unit, runs in a transaction) per part judged
    stmts: list[Statement] = []
    extra: list[Op] = []
    maybe: set[int] = set()  # changesets that may not run on production (liquibase.Changeset.conditional)

    def sub(text: str, line: int, unit: int = 0) -> str:
        """A formatted-SQL text with the changelog properties substituted (`expand`), then the
        runner's own placeholders as names; a property with several values fails closed."""
        if expand is not None:
            text, several = expand(text)
            extra.extend(Op(action=Action.DYNAMIC_SQL, line=line, col=1, end_line=line, unit=unit,
                            detail=lbprops.several_values(name)) for name in dict.fromkeys(several))
        return fill_placeholders(text)

    if preamble:
        part, errors = parse(sub(preamble, 1), Origin(line=1))
        stmts.extend(part)
        an.errors.extend((cand.path, e) for e in errors)
        an.statements += len(part)
        in_txn = bool(part)
        judged.append((1, 0, True))
    for unit, (cs, more) in enumerate(units, start=1):
        if not cs.for_postgres and not flyway_too:  # another database's changeset (Flyway runs it anyway)
            continue
        n = 0
        for text, origin in [*((check, Origin(line=line, column=column)) for line, column, check in cs.checks),
                             (cs.sql, Origin(line=cs.sql_line))]:
            part, errors = parse(sub(text, origin.line, unit), origin)
            stmts.extend(part)
            an.errors.extend((cand.path, e) for e in errors)
            n += len(part)
        extra_down: _Extra = ([], [], [0])
        if more is not None:
            (xops, xerr, xn), extra_down = more()
            # each changeset is its own transaction (or none, with runInTransaction:false)
            extra.extend(replace(o, unit=unit, autocommit=o.autocommit or not cs.in_transaction) for o in xops)
            an.errors.extend((cand.path, e) for e in xerr)
            n += xn[0]
        judged.append((cs.line, unit, cs.in_transaction))
        if cs.conditional:
            maybe.add(unit)
        an.parts.append(Part(unit=unit, line=cs.line, ident=cs.ident, text=changesets.fingerprint(cs),
                             reruns=changesets.reruns(cs)))
        an.statements += n
        in_txn = in_txn or (cs.in_transaction and n > 0)
        if not n:
            continue  # comments only: nothing to roll back
        if cs.rollback_state == "auto":
            continue  # Liquibase generates the rollback of these change types itself
        if cs.rollback_state == "present":
            rollback = expand(cs.rollback)[0] if expand is not None else cs.rollback
            dops, derr, dn = sql_ops(fill_placeholders(rollback), Origin(line=cs.sql_line))
            an.down_ops.extend(replace(o, unit=unit) for o in [*dops, *extra_down[0]])
            an.errors.extend((cand.path, e) for e in [*derr, *extra_down[1]])
            if an.down_where is None:
                an.down_where = (cand.path, cs.sql_line, 1)
            if dn or derr or extra_down[2][0] or cand.format in lbdoc.STRUCTURED:
                continue
        why = ("its rollback is declared empty" if cs.rollback_state == "empty"
               else "it has no rollback, and Liquibase cannot generate one for these changes"
               if cand.format in lbdoc.STRUCTURED
               else "it has no --rollback, and Liquibase cannot generate one for SQL")
        an.irreversible.append((cs.line, 1, f"changeset {cs.ident}: {why}"))
    starts = [first for first, _, _ in judged]
    ops = []
    for op in statement_ops(stmts):
        _, unit, in_transaction = judged[max(bisect.bisect_right(starts, op.line) - 1, 0)]
        ops.append(replace(op, unit=unit, autocommit=op.autocommit or not in_transaction))
    an.ops = sorted([*ops, *extra], key=lambda o: o.line) if extra else ops
    if maybe:  # what a changeset that may not run CREATEs may not be there: the name keeps its old meaning
        an.ops = [replace(o, flags=o.flags | {Flag.IF_NOT_EXISTS}) if o.unit in maybe and o.action in _CREATES
                  else o for o in an.ops]
    an.mode = TxMode.WRAPPED if in_txn else TxMode.AUTOCOMMIT
    return an
