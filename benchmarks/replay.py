"""Replay on real migration histories: how long it takes, and how many histories replay cleanly.

    .venv/bin/python benchmarks/replay.py bench  --corpus /work/corpora/lemmy [--runs 3]
    .venv/bin/python benchmarks/replay.py corpus /work/corpora/lemmy /work/corpora/kratos ...

`bench` times the two goals of issue 15 on one corpus (a diesel/golang-migrate/Flyway/popx/dbmate/
goose directory with at least 301 migrations), each including its own throwaway server start:

* **300+ history + 5-migration PR** (goal <= 30 s): every migration but the last five is history;
  the last five are the PR, observed statement by statement, with their downs checked.
* **50 history + 1-migration PR** (goal <= 5 s): the first 50 are history, the 51st the PR.

`corpus` replays each corpus's whole history (no PR) and reports, per migration directory, whether it
replays cleanly on the server version found, and the first failures grouped by SQLSTATE and kind.

Corpora are fetched public repositories extracted OUTSIDE the repository (never committed), e.g.
`git --git-dir=/work/.mirror/LemmyNet+lemmy/repo archive HEAD | tar -x -C /work/corpora/lemmy`.

The reading of files into `Migration` values below (formats, sections, transaction modes, popx
dialect choice, ordering) is a stand-in for the migrations gate, which will hand its own parsed
statements to `readiness.replay.replay` once the two are integrated.
"""

from __future__ import annotations

import argparse
import collections
import re
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

from readiness.gates.migrations.classify import TxMode as StaticMode
from readiness.gates.migrations.discover import Candidate, discover
from readiness.gates.migrations.sql import Origin, parse
from readiness.replay import HistoryFailure, Limits, Migration, Replayed, Statement, TxMode, replay
from readiness.workspace import Workspace

DBMATE_UP = re.compile(r"^--\s*migrate:up\b(?P<opts>[^\n]*)$", re.M)
DBMATE_DOWN = re.compile(r"^--\s*migrate:down\b[^\n]*$", re.M)
GOOSE_UP = re.compile(r"^--\s*\+goose\s+Up\b[^\n]*$", re.M | re.I)
GOOSE_DOWN = re.compile(r"^--\s*\+goose\s+Down\b[^\n]*$", re.M | re.I)
GOOSE_NO_TX = re.compile(r"^--\s*\+goose\s+NO\s+TRANSACTION\b", re.M | re.I)
POPX = re.compile(r"^(?P<ver>\d{14,})_(?P<name>[^.]+)(?:\.(?P<dialect>postgres))?(?P<auto>\.autocommit)?"
                  r"\.(?P<dir>up|down)\.sql$")
VERSION = re.compile(r"^[VvUu]?(\d+(?:[._]\d+)*)")


def _statements(text: str, line: int = 1) -> tuple[Statement, ...]:
    stmts, _errors = parse(text, Origin(line=line), trees=False)
    return tuple(Statement(sql=s.text, line=s.line, column=s.column) for s in stmts)


Section = tuple[str, int]


def _sections(text: str, up_re: re.Pattern[str], down_re: re.Pattern[str]) -> tuple[Section, Section | None]:
    up, down = up_re.search(text), down_re.search(text)
    start = up.end() if up else 0
    if down and down.start() >= start:
        return ((text[start:down.start()], text.count("\n", 0, start) + 1),
                (text[down.end():], text.count("\n", 0, down.end()) + 1))
    return (text[start:], text.count("\n", 0, start) + 1), None


def _sort_key(c: Candidate) -> tuple[bool, tuple[int, ...], str]:
    """Version order; Flyway's repeatable migrations run after every versioned one."""
    name = c.path.rsplit("/", 2)[-2] if c.format in ("diesel", "prisma") else c.path.rsplit("/", 1)[-1]
    m = VERSION.match(name)
    nums = tuple(int(x) for x in re.split(r"[._]", m.group(1))) if m else ()
    return c.format == "flyway-repeatable", nums, name


def _migration(ws: Workspace, c: Candidate) -> Migration | None:
    text = ws.read_text(c.path)
    down: tuple[Statement, ...] | None = None
    fmt, mode = c.format, TxMode.WRAPPED
    if fmt == "sql" and DBMATE_UP.search(text):
        (up, line), dsec = _sections(text, DBMATE_UP, DBMATE_DOWN)
        m = DBMATE_UP.search(text)
        if m is not None and "transaction:false" in m.group("opts").replace(" ", ""):
            mode = TxMode.AUTOCOMMIT
        statements = _statements(up, line)
        down = _statements(*dsec) if dsec else None
    elif fmt == "sql" and GOOSE_UP.search(text):
        (up, line), dsec = _sections(text, GOOSE_UP, GOOSE_DOWN)
        mode = TxMode.AUTOCOMMIT if GOOSE_NO_TX.search(text) else TxMode.WRAPPED
        statements = _statements(up, line)
        down = _statements(*dsec) if dsec else None
    else:
        statements = _statements(text)
        name = c.path.rsplit("/", 1)[-1]
        popx = POPX.match(name)
        if popx:
            mode = TxMode.AUTOCOMMIT if popx.group("auto") else TxMode.WRAPPED
        elif fmt in ("golang-migrate", "prisma"):
            mode = TxMode.IMPLICIT
        elif fmt == "flyway":
            mode = TxMode.WRAPPED if StaticMode.flyway(text) is StaticMode.WRAPPED else TxMode.AUTOCOMMIT
        elif fmt == "diesel":
            meta = c.path.rsplit("/", 1)[0] + "/metadata.toml"
            if ws.exists(meta) and re.search(r"run_in_transaction\s*=\s*false", ws.read_text(meta)):
                mode = TxMode.AUTOCOMMIT
        elif fmt not in ("prisma", "supabase", "flyway-repeatable"):
            mode = TxMode.AUTOCOMMIT
        if c.down_path is not None:
            down = _statements(ws.read_text(c.down_path))
    return Migration(id=c.path, statements=statements, mode=mode, down=down, down_id=c.down_path)


def _popx_choose(cands: list[Candidate], files: set[str]) -> list[Candidate]:
    """popx runs, per version and name, the postgres file if there is one, else the generic one; a
    down is the postgres down, else the generic down."""
    chosen: dict[tuple[str, str, str], Candidate] = {}
    rest = []
    for c in cands:
        d, n = c.path.rsplit("/", 1)
        m = POPX.match(n)
        if not m or m.group("dir") != "up":
            rest.append(c)
            continue
        key = (d, m.group("ver"), m.group("name"))
        if key not in chosen or m.group("dialect"):
            base = f"{d}/{m.group('ver')}_{m.group('name')}"
            auto = m.group("auto") or ""
            downs = (f"{base}.postgres{auto}.down.sql", f"{base}{auto}.down.sql")
            down = next((p for p in downs if p in files), None)
            chosen[key] = Candidate(path=c.path, format=c.format, down_path=down)
    return rest + list(chosen.values())


POPX_PART = re.compile(r"^(?P<stamp>\d{14})(?P<part>\d{6})_")


def _popx_group(migs: list[Migration]) -> list[Migration]:
    """popx splits one migration into numbered parts (`<14-digit stamp><6-digit part>_name`), each run in
    its own transaction; rolling back runs the parts' downs in descending order. Each group of parts
    is one migration for the replay: its parts are units."""
    out: list[Migration] = []
    groups: dict[str, list[tuple[int, Migration]]] = {}
    for m in migs:
        name = m.id.rsplit("/", 1)[-1]
        part = POPX_PART.match(name)
        if part is None:
            out.append(m)
            continue
        key = f"{m.id.rsplit('/', 1)[0]}/{part.group('stamp')}"
        if key not in groups:
            groups[key] = []
            out.append(Migration(id=key, statements=()))  # placeholder, keeps the order
        groups[key].append((int(part.group("part")), m))
    for i, m in enumerate(out):
        parts = groups.get(m.id)
        if parts is None:
            continue
        parts.sort(key=lambda pm: pm[0])
        ups = tuple(replace(st, unit=n, autocommit=pm.mode is TxMode.AUTOCOMMIT)
                    for n, pm in parts for st in pm.statements)
        downs = tuple(replace(st, unit=n, autocommit=pm.mode is TxMode.AUTOCOMMIT)
                      for n, pm in reversed(parts) for st in (pm.down or ()))
        has_down = any(pm.down is not None for _, pm in parts)
        out[i] = Migration(id=parts[0][1].id, statements=ups, mode=TxMode.UNITS,
                           down=downs if has_down else None, down_id=parts[-1][1].down_id, down_mode=TxMode.UNITS)
    return out


def load(root: Path) -> dict[str, list[Migration]]:
    """Per migration directory, its SQL migrations in the order their tool runs them."""
    ws = Workspace(root)
    cands = [c for c in discover(ws, None) if c.format != "python"]
    cands = _popx_choose(cands, set(ws.files()))
    by_dir: dict[str, list[Candidate]] = collections.defaultdict(list)
    for c in cands:
        d = c.path.rsplit("/", 2)[0] if c.format in ("diesel", "prisma") else c.path.rsplit("/", 1)[0]
        by_dir[d].append(c)
    out = {}
    for d, cs in by_dir.items():
        migs = [m for m in (_migration(ws, c) for c in sorted(cs, key=_sort_key)) if m is not None]
        out[d] = _popx_group(migs)
    return out


def _largest(root: Path) -> tuple[str, list[Migration]]:
    return max(load(root).items(), key=lambda kv: len(kv[1]))


def bench(root: Path, runs: int) -> int:
    directory, migs = _largest(root)
    n_stmts = sum(len(m.statements) for m in migs)
    print(f"corpus {root} : {directory}, {len(migs)} migrations, {n_stmts} statements")
    if len(migs) < 51:
        print("need at least 51 migrations")
        return 2
    scenarios = [(f"history {len(migs) - 5} + PR 5 (goal 30 s)", migs[:-5], migs[-5:], 30.0),
                 ("history 50 + PR 1 (goal 5 s)", migs[:50], migs[50:51], 5.0)]
    ok = True
    for label, history, pr, goal in scenarios:
        times: list[float] = []
        result = None
        for _ in range(runs):
            t = time.perf_counter()
            result = replay(history, pr, limits=Limits(budget_s=300))
            times.append(time.perf_counter() - t)
        assert isinstance(result, Replayed), result
        med = statistics.median(times)
        ok = ok and med <= goal
        observed = sum(len(m.statements) for m in result.migrations)
        print(f"{label}: median {med:.2f} s (min {min(times):.2f}, max {max(times):.2f}, {runs} runs) "
              f"-> {'OK' if med <= goal else 'OVER'}")
        print(f"   server {result.server_version}; start {result.start_ms / 1000:.2f} s, history "
              f"{result.history_ms / 1000:.2f} s, PR {result.pr_ms / 1000:.2f} s ({observed} statements observed); "
              f"history failures {result.history_failure_count}")
        for m in result.migrations:
            rev = m.reversibility
            rev_text = ("no down" if rev is None else
                        f"down {'applies' if rev.down_applies else 'FAILS'}, {len(rev.differences)} differences, "
                        f"up again {rev.up_again}")
            rewrites = sum(len(s.rewrites) for s in m.statements)
            print(f"   {m.id}: applies {m.applies}, {len(m.statements)} statements, {rewrites} rewrites, {rev_text}")
            if rev is not None:
                for d in rev.differences[:5]:
                    print(f"      {d.message}")
    return 0 if ok else 1


def corpus(roots: list[Path]) -> int:
    for root in roots:
        for directory, migs in sorted(load(root).items(), key=lambda kv: -len(kv[1])):
            if len(migs) < 5:
                continue
            t = time.perf_counter()
            result = replay(migs, [], limits=Limits(budget_s=600))
            took = time.perf_counter() - t
            if not isinstance(result, Replayed):
                print(f"{root.name} {directory}: skipped: {result.reason}")
                continue
            failed = {f.migration for f in result.history_failures}
            verdict = ("CLEAN" if result.history_clean else
                       f"{result.history_failure_count} failing statements in {len(failed)} migrations")
            print(f"{root.name} {directory}: {len(migs)} migrations, {sum(len(m.statements) for m in migs)} "
                  f"statements, PostgreSQL {result.server_version}, {took:.1f} s: {verdict}")
            groups: dict[tuple[str, str | None], list[HistoryFailure]] = collections.defaultdict(list)
            for f in result.history_failures:
                groups[(f.error.kind.value, f.error.sqlstate)].append(f)
            for (kind, state), fs in sorted(groups.items(), key=lambda kv: -len(kv[1])):
                ex = fs[0]
                print(f"   {len(fs):4d} x {kind} {state}: e.g. {ex.migration}:{ex.line}: {ex.error.message[:150]}")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("bench")
    b.add_argument("--corpus", type=Path, default=Path("/work/corpora/lemmy"))
    b.add_argument("--runs", type=int, default=3)
    c = sub.add_parser("corpus")
    c.add_argument("roots", type=Path, nargs="+")
    args = ap.parse_args(argv)
    if args.cmd == "bench":
        if not args.corpus.is_dir():
            print(f"{args.corpus} is not there: fetch and extract a corpus first (see the docstring)")
            return 2
        return bench(args.corpus, args.runs)
    return corpus(args.roots)


if __name__ == "__main__":
    sys.exit(main())
