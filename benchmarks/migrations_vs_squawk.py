"""The migrations gate side by side with squawk on a real corpus: wall time and agreement.

Corpus: LemmyNet/lemmy `migrations/` (diesel layout, 342 `up.sql` + 342 `down.sql` = 684 files),
fetched as a snapshot and extracted OUTSIDE the repository, e.g.

    git --git-dir=/work/.mirror/LemmyNet+lemmy/repo archive HEAD migrations | tar x -C /work/bench-cache/lemmy

Both tools get the same 684 files in one invocation each: squawk lints all of them; the gate reads
and parses all of them (up files are judged, down files are parsed for pairing, emptiness, parse
errors and lossy downs). Agreement is computed on up files only, because the gate does not judge
down files as migrations (like strong_migrations, it does not check the down direction).

Usage: python benchmarks/migrations_vs_squawk.py [--corpus DIR] [--runs N] [--squawk PATH]

Rows are interleaved (squawk, CLI, CLI in one process, in-process gate, then again), medians of
`--runs` rounds; CPU is user+sys including child processes. squawk 2.70 spreads its work over every
core (on an idle 2-core machine: 0.18-0.22 s wall for 0.33-0.40 s CPU), so on this VM the wall ratio
mostly reflects whether the second core happened to be free; the CPU ratio is the steadier figure.

Measured 2026-11-22 at the end of the day (lemmy 439734dd, 684 files, 5,027 statements, `--runs 15`,
shared 2-core VM at a quiet moment, load average 0.4-0.8; the package's bytecode compiled first, as
installed; 53 rule pages):

| tool | wall (s, median) | CPU user+sys (s, median) | files/s (wall) | wall ratio | CPU ratio |
|---|---:|---:|---:|---:|---:|
| squawk 2.70.0 (`--reporter json`) | 0.237 | 0.433 | 2,887 | 1.00 | 1.00 |
| readiness check --gates migrations (CLI process) | 0.577 | 0.814 | 1,186 | 2.43 | 1.88 |
| same, one process (READINESS_MIGRATIONS_WORKERS=1) | 0.650 | 0.651 | 1,052 | 2.75 | 1.50 |
| migrations gate in process (engine.run) | 0.275 | 0.459 | 2,485 | 1.16 | 1.06 |

Over three such runs that hour the ratios were: CLI 2.43-2.59x wall / 1.83-1.95x CPU, one process
2.47-3.26x / 1.35-1.79x, in process 1.16-1.31x / 1.06-1.15x (squawk itself: 0.19-0.24 s).

Two runs an hour later, after change-column-type learned to read the column's old type from the
earlier migrations (8 false criticals fewer on lemmy; the few type-changing migrations are judged
again after the forked processes return): CLI 2.97-3.00x wall / 2.18-2.25x CPU, one process
3.43-3.69x / 1.89-2.04x, in process 1.53-1.72x / 1.30-1.39x. Part of that is the feature (about 5 %
of the gate in one process, 8-16 % of the CLI's wall time when forked, measured against the tree
before it in interleaved runs), part the machine: the same tree ran 0.29-0.52 s in one process
within ten minutes.

The same script at the start of the day (before this round of work, 5 rounds): CLI 3.21x wall /
2.43x CPU, one process 3.77x / 2.06x, in process 1.57x / 1.49x; the gate now has 53 rule pages
instead of 32. What moved it: the JSON report encoded in C (-80 ms on 1,662 findings), yaml,
importlib.resources, subprocess and ast imported only when used, down migrations decoded only when
their up drops something (4,094 -> 2,819 trees), statements as named tuples, reads through one
descriptor, files dealt to the forked processes by size, results pickled without a Python walk,
no cyclic GC during a gate, page risk/lock looked up once per rule.

The goal (wall ratio <= 1.0) is NOT met, and cannot be from the command line on this corpus: the
interpreter (0.02 s), our imports (0.07-0.10 s) and pglast's (0.04-0.05 s, of which its enums and
AST classes are most) come to 0.13-0.17 s before the first file is read, 70-90 % of squawk's whole
run. The work itself (in process, forked) is 1.3x squawk's whole run: libpg_query parses all 684
files in 0.05 s, and most of the rest is decoding the JSON trees the rules read (~0.05-0.09 s) and
building Python objects. Forking gains little from the CLI on this VM: the two halves each run
1.3-1.5x slower side by side than alone (timed per share; shared caches or copy-on-write
faults are the likely cause, not verified), so the wall time drops by
5-10 % for 35 % more CPU.

Agreement (up files; every squawk hit on an overlapping rule): 100% on renaming-column,
renaming-table, ban-drop-column, require-concurrent-index-deletion, require-concurrent-reindex,
adding-required-field, ban-drop-schema and prefer-timestamp-tz; 99 of 107 on changing-column-type,
of which 16 are certain (old type read from earlier migrations), 82 are timestamp -> timestamptz
(heuristic: no rewrite in a UTC session on PostgreSQL 12+) and 1 has no history. Every
other squawk hit we do not flag is explained by a rule of ours, none is "not flagged":
- table created earlier in the same migration (our exemption; diesel runs each migration in a
  transaction, so the table has no rows): 203 hits over 8 rules;
- require-lock-timeout on files without a heavy lock on an existing table (by design): 166;
- indexes on a materialized view created earlier in the same migration (no readers yet): 16;
- view, materialized view or function dropped and created again under the same name in the same
  migration (callers never see it missing): 128 of squawk's 152 ban-drop-view/function hits;
- index, constraint and trigger renames (by design: queries rarely name them): 57;
- int columns that are neither a new table's key nor serial/identity (int-primary-key covers key
  overflow only): 132;
- binary-compatible type changes (varchar(20) -> varchar(255), varchar -> text), which squawk
  flags without knowing the old type: 8;
- DROP DEFAULT where the file does not show the column NOT NULL: 11; the old copy of a replaced
  enum type: 3; an enum value renamed on a type created earlier in the migration: 1; a long index
  name in DROP INDEX (PostgreSQL truncates it as at creation): 1.
The script prints the full table and one example per reason.

Measured 2026-12-02 after issue 12 (state replayed across migrations, runner detection, DO blocks
read through the PL/pgSQL parser, missing-lock-timeout on every traffic-blocking statement), the
tree before it and after it interleaved, twice, `--runs 9` (load 1.6-3.5): CPU ratio CLI 1.96-2.08x
before / 1.99-2.06x after, one process 1.66-1.69x / 1.73-1.80x, in process 1.22-1.24x / 1.24-1.26x
(wall ratios 2.1-3.2x either way, moved by squawk's own 0.10-0.17 s). squawk's 107 type-change hits:
17 flagged, 82 are `timestamp` to `timestamptz` after `SET timezone = 'UTC'` in the same migration
(no rewrite on PostgreSQL 12+), 8 varchar widenings; 5 of its SET NOT NULL hits are on columns an
earlier migration already made NOT NULL. No squawk hit on an overlapping rule is "not flagged".

Measured 2026-12-03 (issue 16, "no slower after the restructure"), CPU ratio to squawk in the same
run, medians, `READINESS_REPLAY=off` (earlier runs of this script after the replay merge timed a
throwaway server too). bd7e7ff (before the restructure) / 7125414 (main after it, with the watchdog,
redaction, replay integration, routines and DO blocks of the same weeks) / the perf16 branch: CLI
2.04-2.12x / 2.78-2.91x / 2.55-2.73x in three interleaved runs of 7-9 rounds (load 2-4); this script,
7 rounds per tree: CLI 1.98x / 2.78x / 2.57x, one process 1.66x / 2.44x / 2.29x, in process 1.22x /
1.99x / 1.86x. perf16 recovered 35-45 ms of main's ~140 ms: the watchdog's result pickled by field
and its worker without cyclic collection, redaction keeping what it leaves unchanged, yaml and the
DO-block reader imported once before the gate forks, Op built through its slot setters. The rest is
spread: imports (~25 ms: 44 dataclasses and the op/check enums against 25), the history and
routine/DO-block reading (~25 ms of work), the watchdog's fork (~25 ms).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from _bytecode import compile_package

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = Path("/work/bench-cache/lemmy")
DEFAULT_SQUAWK = REPO / ".venv" / "bin" / "squawk"

# squawk rule -> our rules that cover the same statement
OVERLAP: dict[str, tuple[str, ...]] = {
    "require-concurrent-index-creation": ("create-index-non-concurrently",),
    "require-concurrent-index-deletion": ("drop-index-non-concurrently",),
    "renaming-column": ("rename-column",),
    "renaming-table": ("rename-table",),
    "changing-column-type": ("change-column-type",),
    "ban-drop-column": ("drop-column",),
    "ban-drop-table": ("drop-table",),
    "ban-drop-schema": ("drop-table",),
    "ban-drop-database": ("drop-table",),
    "ban-truncate-cascade": ("truncate-table",),
    "adding-not-nullable-field": ("set-not-null", "add-column-not-null"),
    "adding-required-field": ("add-column-not-null",),
    "adding-foreign-key-constraint": ("foreign-key-not-valid",),
    # squawk also reports UNIQUE / PRIMARY KEY constraints as "missing NOT VALID" (they have no NOT VALID
    # form); we flag those statements under the more specific unique-constraint / add-primary-key.
    "constraint-missing-not-valid": ("foreign-key-not-valid", "check-constraint-not-valid", "unique-constraint",
                                     "add-primary-key"),
    "disallowed-unique-constraint": ("unique-constraint",),
    "adding-serial-primary-key-field": ("add-primary-key", "add-serial-column"),
    "adding-field-with-default": ("volatile-default", "stored-generated-column", "add-serial-column"),
    "require-concurrent-reindex": ("reindex-non-concurrently",),
    "ban-concurrent-index-creation-in-transaction": ("concurrently-in-transaction",),
    "require-lock-timeout": ("missing-lock-timeout",),
    "ban-drop-view": ("drop-view",),
    "ban-drop-function": ("drop-function",),
    "ban-drop-type": ("drop-type",),
    "ban-drop-sequence": ("drop-sequence",),
    "ban-drop-extension": ("drop-extension",),
    "renaming-object": ("rename-object", "set-schema"),
    "ban-drop-default": ("drop-default-not-null",),
    "require-concurrent-partition-detach": ("detach-partition-non-concurrently",),
    "ban-alter-domain-with-add-constraint": ("alter-domain-constraint",),
    "ban-create-domain-with-constraint": ("create-domain-with-check",),
    "transaction-nesting": ("nested-transaction",),
    "ban-uncommitted-transaction": ("unclosed-transaction",),
    "identifier-too-long": ("identifier-too-long",),
    "prefer-bigint-over-int": ("int-primary-key",),
    "prefer-bigint-over-smallint": ("int-primary-key",),
    "prefer-timestamp-tz": ("timestamp-without-time-zone",),
    "ban-char-field": ("char-column",),
}
KEY_ONLY = frozenset({"prefer-bigint-over-int", "prefer-bigint-over-smallint"})
"""squawk flags every int column; int-primary-key only keys and serial/identity columns."""


def _cpu() -> float:
    """User + system CPU of this process and of every child it has waited for (forked workers too)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _once(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[float, float, bytes]:
    """Wall and CPU (user + sys, including the command's own children) of one run of `cmd`."""
    cpu, start = _cpu(), time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, check=False,
                          env=None if env is None else {**os.environ, **env})
    return time.perf_counter() - start, _cpu() - cpu, proc.stdout


def _in_process(corpus: Path) -> tuple[float, float, dict[str, Any]]:
    from readiness.config import Config
    from readiness.engine import RunOptions, run
    from readiness.model import FailOn
    from readiness.render.json_report import report_dict

    cpu, start = _cpu(), time.perf_counter()
    report = run(RunOptions(root=corpus, config=Config(), fail_on=FailOn.NEVER, gates=("migrations",)))
    return time.perf_counter() - start, _cpu() - cpu, report_dict(report)


def _ops(path: Path) -> list[Any]:
    from readiness.gates.migrations.pgtree import from_statement
    from readiness.gates.migrations.sql import parse

    stmts, _ = parse(path.read_text(encoding="utf-8"))
    return [op for st in stmts for op in from_statement(st)]


def _short(name: str | None) -> str:
    return (name or "").lower().rsplit(".", 1)[-1]


def _reason(rule: str, path: Path, line: int) -> str | None:
    """Why the gate does not flag squawk's hit at `line`, when it is one of the gate's exemptions."""
    ops = _ops(path)
    here = [op for op in ops if op.line <= line <= (op.end_line or op.line)]
    made: set[str] = set()
    objects: dict[str, str] = {}
    renamed: set[str] = set()
    for op in ops:
        if op.line >= line:
            break
        if op.action == "create_table" and op.table:
            made.add(_short(op.table))
        elif op.action == "create_object":
            objects[_short(op.column)] = op.shown()
        elif op.action == "rename_object":
            renamed.add(_short(op.new_name))
    if rule in KEY_ONLY and any(op.action in ("create_table", "add_column", "alter_type") for op in here):
        return "an int column that is neither a new table's key nor serial/identity (by design: only key overflow " \
            "is an outage)"
    if rule == "identifier-too-long" and all(op.action.startswith("drop_") for op in here):
        return "a long name dropped, not created (PostgreSQL truncates it as it did at creation, so it still matches)"
    if any(op.table and _short(op.table) in made for op in here):
        return "table created earlier in the same migration (exempt: it has no rows)"
    for op in here:
        if op.action == "create_index" and _short(op.table) in objects:
            kind = objects[_short(op.table)]
            return f"index on a {kind} created earlier in the same migration (exempt: no readers yet)"
    for op in here:
        owners = {_short(op.column).split(".")[0], _short(op.table)}  # the object, or the type of an enum value
        if op.action in ("drop_object", "rename_object") and owners & objects.keys():
            return f"{op.shown()} (or its type) created earlier in the same migration"
        if op.action == "drop_object" and _short(op.column) in renamed:
            return f"{op.shown()} renamed earlier in the same migration: the old copy of a replaced object"
        if op.action == "drop_object" and any(o.action == "create_object" and _short(o.column) == _short(op.column)
                                              and o.line > op.line for o in ops):
            return f"{op.shown()} dropped and created again under the same name in the same migration"
        if op.action == "rename_object" and any(o.action == "create_object" and _short(o.column) == _short(op.column)
                                                and o.line > op.line for o in ops):
            return f"{op.shown()} renamed away and created again under the old name in the same migration"
        if op.action == "rename_other":
            return f"rename of {op.detail or 'an index or constraint'} (not flagged by design: queries rarely name it)"
        if op.action == "alter_type":
            if any(o.action == "set_timezone" and "utc" in o.flags and o.line < op.line for o in ops):
                return "timestamp <-> timestamptz after SET timezone = 'UTC' in the same migration (no rewrite on " \
                    "PostgreSQL 12+)"
            return "a binary-compatible type change (varchar widened, to text): earlier migrations give the old " \
                "type, and PostgreSQL does not rewrite"
        if op.action == "drop_default":
            return "DROP DEFAULT on a column no migration of the directory shows NOT NULL"
        if op.action == "set_not_null":
            return "SET NOT NULL on a column an earlier migration already made NOT NULL (or proved NOT NULL with a " \
                "validated CHECK): no scan"
    return None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--squawk", default=str(DEFAULT_SQUAWK))
    args = ap.parse_args(argv)
    compile_package()  # time what an installed copy runs, not compiling from source
    # the static gate against squawk's static lint: replay (a throwaway PostgreSQL server, 10-30x the
    # CPU) is timed by replay_gate.py; without this, `replay: auto` replays wherever PostgreSQL is installed
    os.environ.setdefault("READINESS_REPLAY", "off")
    corpus: Path = args.corpus
    files = sorted(str(p.relative_to(corpus)) for p in corpus.rglob("*.sql"))
    if len(files) < 500:
        sys.stderr.write(f"corpus {corpus} has {len(files)} .sql files; need >= 500 (see the docstring)\n")
        return 2
    cli = [str(REPO / ".venv" / "bin" / "readiness"), "check", str(corpus), "--gates", "migrations",
           "--format", "json", "--fail-on", "never"]
    one = {"READINESS_MIGRATIONS_WORKERS": "1"}
    _in_process(corpus)  # import once: the in-process rows time the work, the CLI rows include start-up
    # Interleaved rounds, so that load from other jobs on the machine falls on every tool alike.
    samples: dict[str, list[tuple[float, float]]] = defaultdict(list)
    sq_out, ours = b"", dict[str, Any]()
    for _ in range(args.runs):
        wall, cpu, sq_out = _once([args.squawk, *files, "--reporter", "json"], corpus)
        samples["squawk"].append((wall, cpu))
        samples["cli"].append(_once(cli, corpus)[:2])
        samples["cli1"].append(_once(cli, corpus, one)[:2])
        wall, cpu, ours = _in_process(corpus)
        samples["gate"].append((wall, cpu))
    med = {k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v)) for k, v in samples.items()}
    sq_time, sq_cpu = med["squawk"]
    n = len(files)
    rows = [("squawk " + subprocess.run([args.squawk, "--version"], capture_output=True, text=True,
                                        check=False).stdout.strip(), *med["squawk"]),
            ("readiness check --gates migrations (CLI process)", *med["cli"]),
            ("same, one process (READINESS_MIGRATIONS_WORKERS=1)", *med["cli1"]),
            ("migrations gate in process (engine.run)", *med["gate"])]
    lines = ["| tool | wall (s, median) | CPU user+sys (s, median) | files/s (wall) | wall ratio | CPU ratio |",
             "|---|---:|---:|---:|---:|---:|"]
    lines += [f"| {name} | {t:.3f} | {c:.3f} | {n / t:,.0f} | {t / sq_time:.2f} | {c / sq_cpu:.2f} |"
              for name, t, c in rows]
    print(f"corpus: {corpus} ({n} files, {args.runs} runs each)\n")
    print("\n".join(lines))

    squawk = json.loads(sq_out or b"[]")
    ours_by_file: dict[str, list[dict]] = defaultdict(list)  # type: ignore[type-arg]
    for f in ours["findings"]:
        ours_by_file[f["path"]].append(f)
    agree: Counter[str] = Counter()
    total: Counter[str] = Counter()
    why: dict[str, Counter[str]] = defaultdict(Counter)
    examples: dict[tuple[str, str], str] = {}
    for v in squawk:
        rule, path = v["rule_name"], v["file"]
        if rule not in OVERLAP or not path.endswith("up.sql"):
            continue
        total[rule] += 1
        line = int(v["line"]) + 1  # squawk's json lines are 0-based
        mine = [f for f in ours_by_file.get(path, []) if f["rule"].split("/")[1] in OVERLAP[rule]]
        if rule == "require-lock-timeout":
            hit = bool(mine)
        else:
            hit = any(f["line"] <= line <= (f["end_line"] or f["line"]) for f in mine)
        if hit:
            agree[rule] += 1
            continue
        at_line = [f["rule"].split("/")[1] for f in ours_by_file.get(path, [])
                   if f["line"] <= line <= (f["end_line"] or f["line"])]
        exempt = None if rule == "require-lock-timeout" else _reason(rule, corpus / path, line)
        if rule == "require-lock-timeout":
            reason = "nothing in the file blocks reads or writes of a table that existed before it"
        elif exempt is not None:
            reason = exempt
        elif at_line:
            reason = "flagged under another rule: " + ", ".join(sorted(set(at_line)))
        else:
            reason = "not flagged"
        why[rule][reason] += 1
        examples.setdefault((rule, reason), f"{path}:{line}")
    print("\n| squawk rule | squawk hits (up files) | we flag too | agreement |")
    print("|---|---:|---:|---:|")
    for rule in sorted(total, key=lambda r: -total[r]):
        print(f"| {rule} | {total[rule]} | {agree[rule]} | {agree[rule] / total[rule]:.0%} |")
    print("\nDisagreements (squawk flags, we do not), by reason:")
    for rule in sorted(why):
        for reason, count in why[rule].most_common():
            print(f"- {rule}: {count} x {reason} (e.g. {examples[(rule, reason)]})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
