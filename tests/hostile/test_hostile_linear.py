"""Issue 11, beyond the migrations walk: nothing a pull request controls may cost more than linear
time in the other gates, the waivers, the baseline or the renderers. Each case runs at n and at 4n
(entries, tokens, findings); linear work grows about 4 times, quadratic 16 times. The shapes are
cheap for a PR to write: one 2 MiB value, a few thousand entries."""

from __future__ import annotations

import dataclasses
import importlib
import resource
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

import factories
from readiness.gates.checklist import GATE as CHECKLIST
from readiness.gates.config.check_secrets import check_changed
from readiness.model import GateId, GateResult, GateStatus, Location, Severity, Waiver
from readiness.waivers import withhold_new_inline
from readiness.watchdog import Budget, Limits, run_gates
from readiness.workspace import Workspace


def _cpu() -> float:
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


@dataclass(frozen=True, slots=True)
class Scaling:
    """One gate run on a repository whose size grows with n."""

    gate: str
    files: Callable[[int], dict[str, str]]
    n: int
    settings: Mapping[str, object] | None = None


def _judge(root: Path, case: Scaling, n: int) -> float:
    for name, text in case.files(n).items():
        factories.write_file(root, name, text)
    gate = importlib.import_module(f"readiness.gates.{case.gate}").GATE
    ctx = factories.gate_context(root, case.gate, case.settings)
    start = _cpu()
    out = gate.run(ctx)
    assert out.items or out.findings, "nothing was judged"
    return _cpu() - start


# A value of many credential-shaped stand-ins (AWS's documented example key, a private key header
# with no key material): each was judged fake on a copy of the rest of the value. The emoji makes the
# string four bytes a character, as a PR can, so a copy costs what it would at its worst.
_FAKE_KEYS = "AKIAIOSFODNN7EXAMPLE "
_PEM_HEADERS = "-----BEGIN PRIVATE KEY----- "

_RUNBOOK = "# Runbook\n\n## Checkout errors\n\nRestart the service: `kubectl rollout restart deploy/shop`.\n"

GATE_CASES = {
    "secret-stand-ins-in-one-yaml-value": Scaling("config", lambda n: {
        "config/app.yaml": "k: '" + _FAKE_KEYS * n + "\U0001f600'\nport: 1\n"}, 24_000),
    "private-key-headers-in-one-yaml-value": Scaling("config", lambda n: {
        "config/app.yaml": "k: '" + _PEM_HEADERS * n + "\U0001f600'\nport: 1\n"}, 18_000),
    "secret-stand-ins-in-one-dotenv-value": Scaling("config", lambda n: {
        ".env": "K=" + _FAKE_KEYS * n + "\U0001f600\n"}, 24_000),
    # a runbook of level-1 headings, each with a link: the redirect check asked of every prose
    # line whether some heading stood on it
    "runbook-of-top-level-headings": Scaling("docs", lambda n: {
        "RUNBOOK.md": _RUNBOOK, "docs/runbooks/x.md": "".join(f"# h{i}\nsee [x](http://a)\n" for i in range(n))},
        3_000),
    # a record of only headings: each section's end was found by scanning a copy of the headings
    # after it
    "record-of-headings": Scaling("docs", lambda n: {
        "docs/adr/0001-record.md": "# 1. Record\n\nDate: 2026-01-01\n\n## Status\n\nAccepted\n\n## Context\n\n"
                                   "c\n\n## Decision\n\nd\n\n## Consequences\n\ne\n"
                                   + "".join(f"## s{i}\n" for i in range(n))},
        20_000),
    # a migration that drops n tables and a down that re-creates them: each drop looked for its
    # re-CREATE by scanning the down statements
    "drops-and-their-down": Scaling("migrations", lambda n: {
        "migrations/000001_a.up.sql": "".join(f"DROP TABLE t{i};\n" for i in range(n)),
        "migrations/000001_a.down.sql": "".join(f"CREATE TABLE t{i} ();\n" for i in range(n))}, 3_000,
        {"replay": "off"}),
    # a Django migration of n RunPython functions: the module was walked again for each one read
    "runpython-functions": Scaling("migrations", lambda n: {
        "app/migrations/__init__.py": "",
        "app/migrations/0002_x.py": "from django.db import migrations\n\n"
        + "".join(f"def f{i}(apps, schema_editor):\n    schema_editor.execute('DROP TABLE t{i}')\n\n"
                  for i in range(n))
        + "class Migration(migrations.Migration):\n    dependencies = [('app', '0001_initial')]\n"
          "    operations = [\n" + "".join(f"        migrations.RunPython(f{i}),\n" for i in range(n)) + "    ]\n"},
        1_500, {"replay": "off"}),
    # an Alembic upgrade that rebinds one name n times and runs it each time: every use scanned
    # all the bindings of the name
    "one-name-rebound": Scaling("migrations", lambda n: {
        "alembic/versions/b.py": "revision = 'b'\ndown_revision = 'a'\nfrom alembic import op\n\ndef upgrade():\n"
        + "".join(f"    x = 'DROP TABLE t{i}'\n    op.execute(x)\n" for i in range(n))
        + "\ndef downgrade():\n    pass\n"}, 4_000, {"replay": "off"}),
    # an Alembic upgrade that reaches n methods, each calling a helper, and hands n operations to map():
    # each unit the upgrade reaches is walked once, not once per unit
    "reached-methods": Scaling("migrations", lambda n: {
        "alembic/versions/b.py": "revision = 'b'\ndown_revision = 'a'\nfrom alembic import op\n\n"
        + "".join(f"def h{i}():\n    op.drop_table('x{i}')\n\nclass H{i}:\n    def go{i}(self):\n        h{i}()\n\n"
                  for i in range(n))
        + "def upgrade():\n"
        + "".join(f"    H{i}().go{i}()\n    list(map(op.drop_column, ['a{i}']))\n" for i in range(n))
        + "\ndef downgrade():\n    pass\n"}, 1_000, {"replay": "off"}),
}


@pytest.mark.parametrize("case", GATE_CASES.values(), ids=GATE_CASES.keys())
def test_gate_work_grows_linearly(tmp_path: Path, case: Scaling) -> None:
    small = _judge(tmp_path / "small", case, case.n)
    large = _judge(tmp_path / "large", case, 4 * case.n)
    assert large < 8 * small + 0.5, f"n={case.n:,}: {small:.2f} s of CPU; 4n: {large:.2f} s"


def _timed(setup: Callable[[int], Callable[[], object]], n: int) -> float:
    work = setup(n)
    start = _cpu()
    work()
    return _cpu() - start


def _inline_waivers_the_pr_adds(n: int) -> Callable[[], object]:
    # one file of n waived statements, each under its own inline waiver
    text = "".join(f"-- readiness: ignore {RULE} -- reason {i}\nDROP TABLE t{i};\n" for i in range(n))
    findings = [factories.finding(RULE, path="m.sql", line=2 * i + 2, evidence=str(i), waiver=Waiver(
        reason="r", source="inline", location=Location(path="m.sql", line=2 * i + 1))) for i in range(n)]
    return lambda: withhold_new_inline(findings, base_text=lambda _p: None, head_text={"m.sql": text}.get,
                                       touched=lambda _p: True, blocks=lambda _f: True)


def _checklist_over_many_findings(n: int) -> Callable[[], object]:
    # n checklist items (the schema allows 500), each with ten rule and ten gate evidence entries,
    # over a gate with 20n findings: each entry scanned every finding of its gate
    root = Path(tempfile.mkdtemp(prefix="linear-checklist-"))
    evidence = f"      - rule: {RULE}\n" * 10 + "      - gate: migrations\n" * 10
    factories.write_file(root, "readiness-checklist.yml", "version: 1\nitems:\n" + "".join(
        f"  - id: i{i}\n    title: Item {i}\n    pillar: reliability\n    owner: '@acme/team'\n    status: todo\n"
        f"    evidence:\n{evidence}" for i in range(n)))
    found = tuple(factories.finding(RULE, Severity.LOW, path=f"m{i}.sql", evidence=str(i)) for i in range(20 * n))
    prior = (GateResult(gate=GateId("migrations"), status=GateStatus.PASS, duration_ms=1.0, findings=found),)
    ctx = dataclasses.replace(factories.gate_context(root, "checklist"), prior=lambda: prior)

    def run() -> object:
        out = CHECKLIST.run(ctx)
        assert len(out.items) == n, out.findings
        return out
    return run


def _large_gate_result(n: int) -> Callable[[], object]:
    # a gate's result of n MiB (a PR's tens of thousands of findings pickle to tens of MiB): the
    # watchdog's parent appended each pipe read to an immutable buffer, copying all it held so far
    def run() -> object:
        done = list(run_gates(["g"], lambda _g: "x" * (n << 20), budget=Budget(Limits(), 1), memory=None))
        assert done[0].error is None and len(done[0].result) == n << 20
        return done
    return run


RULE = "migrations/drop-table"
WORK_CASES: dict[str, tuple[Callable[[int], Callable[[], object]], int]] = {
    "inline-waivers-the-pr-adds": (_inline_waivers_the_pr_adds, 4_000),
    "checklist-evidence-over-many-findings": (_checklist_over_many_findings, 100),
    "large-gate-result-through-the-watchdog": (_large_gate_result, 8),
}


@pytest.mark.parametrize("setup, n", WORK_CASES.values(), ids=WORK_CASES.keys())
def test_finding_work_grows_linearly(setup: Callable[[int], Callable[[], object]], n: int) -> None:
    small, large = _timed(setup, n), _timed(setup, 4 * n)
    assert large < 8 * small + 0.5, f"n={n:,}: {small:.2f} s of CPU; 4n: {large:.2f} s"


@pytest.mark.parametrize("line", ["# PRIVATE KEY handling\n", "-----BEGIN PRIVATE KEY-----\n"],
                         ids=["mention", "header"])
def test_a_line_about_a_private_key_costs_what_any_line_costs(tmp_path: Path, line: str) -> None:
    """A changed file's line that mentions a private key, or holds a header with no key after it,
    was judged on the 8 KiB that follow it: every line of a file of such lines was read hundreds of
    times (20,000 lines, 460 KiB: about a minute). Work bounded by a window is still linear, so this
    compares the file with one of ordinary lines of the same length instead of growing it."""
    n = 20_000
    plain = "#" * (len(line) - 1) + "\n"
    costs = []
    for name, text in (("plain", plain * n), ("keys", line * n)):
        factories.write_file(tmp_path / name, "app/x.py", text)
        ws = Workspace(tmp_path / name)
        start = _cpu()
        check_changed(ws, ["app/x.py"], set())
        costs.append(_cpu() - start)
    assert costs[1] < 3 * costs[0] + 0.3, f"{n:,} plain lines: {costs[0]:.2f} s of CPU; about a key: {costs[1]:.2f} s"
