"""Scaffold a new rule: its page, its check module (migrations), and its bad/good fixture folder.

    python scripts/new_rule.py migrations json-column [--action add_column --action create_table]
    python scripts/new_rule.py docs runbook-without-owner

Creates, and refuses to overwrite:

* `checks/<gate>/<name>.md`: the page, in the catalog's format, with every section to write;
* for `migrations`: `src/readiness/gates/migrations/checks/<name_with_underscores>.py`, one check
  function registered for the actions given with `--action` (the registry imports every module of
  the checks package, so nothing else needs editing), holding the rule's handle;
* `tests/fixtures/<gate>/<name>/bad.<ext>` and `good.<ext>`: the migrations tests run every
  `bad*.sql` (must trigger the rule) and `good*.sql` (must not).

The scaffold is a starting point that fails the tests on purpose until it is filled in: the page's
`bad` example must trigger the rule and its `good` example must not (tests/rules), and the fixtures
must do the same (tests/gates/migrations/test_sql_rules.py). Then run `make docs` (checks/catalog.md).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GATES = ("migrations", "deps", "config", "docs", "checklist")
NAME_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
FIXTURE_EXT = {"migrations": "sql", "deps": "txt", "config": "yaml", "docs": "md", "checklist": "yaml"}

PAGE = """---
id: {gate}/{name}
severity: {severity}
summary: "{summary}"
fix: "{fix}"
since: {since}
---
## Why it matters

What goes wrong in production when this slips in, and for whom. Name the lock, the failure or the
data lost; say what the gate reports and what it leaves alone.

## Safe alternative

The safe way to reach the same result, step by step.

## Example

```{lang} bad
{bad}
```

## Use instead

```{lang} good
{good}
```
"""

MODULE = '''"""{gate}/{name}: {summary}"""

from __future__ import annotations

from collections.abc import Iterable

from readiness.gates.migrations.checks.registry import Hit, on
from readiness.gates.migrations.ops import Action, Op
from readiness.gates.migrations.walk import Walk
from readiness.rules.catalog import rule

{handle} = rule("{gate}/{name}")


@on({actions})
def {function}(op: Op, walk: Walk) -> Iterable[Hit]:
    """The hits of one operation: `[registry.hit({handle}, op, message)]` when it breaks the rule (phases:
    checks/registry.py; what is known of the schema: `walk`)."""
    return ()  # scaffold: not implemented yet, so the page's bad example fails tests/rules
'''


def scaffold(root: Path, gate: str, name: str, actions: list[str]) -> list[Path]:
    """Create the rule's files under `root`; the paths created."""
    if gate not in GATES:
        raise SystemExit(f"unknown gate {gate!r}: one of {', '.join(GATES)}")
    if not NAME_RE.match(name) or name.startswith("ban-"):
        raise SystemExit(f"rule name {name!r} must be kebab-case and name the pattern, not the cure (no ban- prefix)")
    ext = FIXTURE_EXT[gate]
    page = root / "checks" / gate / f"{name}.md"
    fixtures = root / "tests" / "fixtures" / gate / name
    module = root / "src" / "readiness" / "gates" / "migrations" / "checks" / f"{name.replace('-', '_')}.py"
    planned = [page, fixtures / f"bad.{ext}", fixtures / f"good.{ext}"] + ([module] if gate == "migrations" else [])
    clash = [p for p in planned if p.exists()]
    if clash:
        raise SystemExit(f"refusing to overwrite {', '.join(str(p.relative_to(root)) for p in clash)}")
    if gate == "migrations":
        if not actions:
            raise SystemExit("--action is required for a migrations rule: the operations its check judges "
                             "(e.g. --action add_column)")
        from readiness.gates.migrations.ops import Action

        known = {a.value: a.name for a in Action}
        wrong = [a for a in actions if a not in known]
        if wrong:
            raise SystemExit(f"unknown action(s) {', '.join(wrong)}: one of {', '.join(sorted(known))}")
    since = _version(root)
    summary = f"TODO: one line (at most 160 characters) saying what {name.replace('-', ' ')} breaks."
    fix = "TODO: the safe alternative in one or two sentences (at most 300 characters)."
    lang = {"sql": "sql", "yaml": "yaml", "md": "markdown", "txt": "text"}[ext]
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text(PAGE.format(gate=gate, name=name, severity="low", summary=summary, fix=fix, since=since,
                                lang=lang, bad="-- a statement that breaks the rule",
                                good="-- the safe way to do the same"), encoding="utf-8")
    fixtures.mkdir(parents=True, exist_ok=True)
    comment = "--" if ext == "sql" else "#"
    (fixtures / f"bad.{ext}").write_text(f"{comment} must trigger {gate}/{name}\n", encoding="utf-8")
    (fixtures / f"good.{ext}").write_text(f"{comment} must not trigger {gate}/{name}\n", encoding="utf-8")
    if gate == "migrations":
        module.write_text(MODULE.format(
            gate=gate, name=name, summary=f"what {name.replace('-', ' ')} catches (replace with the page's summary).",
            handle=name.replace("-", "_").upper(), function=name.replace("-", "_"),
            actions=", ".join(f"Action.{known[a]}" for a in actions)), encoding="utf-8")
    return planned


def _version(root: Path) -> str:
    m = re.search(r'^version = "([^"]+)"', (root / "pyproject.toml").read_text(encoding="utf-8"), re.MULTILINE)
    return m.group(1) if m else "0.1.0"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("gate", choices=GATES)
    ap.add_argument("name", help="the rule's kebab-case name, without the gate (e.g. json-column)")
    ap.add_argument("--action", action="append", default=[],
                    help="migrations: an operation kind the check judges (ops.Action value); repeat for more")
    ap.add_argument("--root", type=Path, default=REPO, help="the repository to write into (default: this one)")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(args.root / "src"))
    for path in scaffold(args.root, args.gate, args.name, args.action):
        print(path.relative_to(args.root))
    print("next: write the page and the fixtures, implement the check, then `make docs` and the tests "
          "(tests/rules fails until the page's examples behave)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
