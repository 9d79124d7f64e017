"""A JSON report read back (`readiness publish`) renders as the report it came from: every golden
scenario's JSON round-trips exactly, and its comment too, except for what the JSON does not carry:
where an inline waiver is written, and a gate's `on_error` (an errored gate in a failing report is
taken to fail it, the default; `fail_mixed` has one set to warn)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from scenarios import LINKS, SCENARIOS

from readiness.render.json_report import render_json
from readiness.render.markdown import render_comment, render_summary
from readiness.report_file import parse_report


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_json_report_round_trips_through_the_model(name: str) -> None:
    original = SCENARIOS[name]()
    text = render_json(original)
    back = parse_report(json.loads(text))
    assert render_json(back) == text
    assert back.verdict == original.verdict and back.counts == original.counts
    expected = render_comment(original, links=LINKS)
    if name == "hostile":  # its inline waiver's line is not in the JSON
        expected = expected.replace("(inline comment on line 2)", "(inline comment)")
    if name == "fail_mixed":  # its errored docs gate has on_error: warn, which the JSON does not say
        expected = expected.replace("`critical`\n", "`critical`; gate `docs` could not run (`on_error: fail`)\n", 1)
        expected = expected.replace("1 MiB limit.\n", "1 MiB limit. This fails the check (`on_error: fail`).\n", 1)
    assert render_comment(back, links=LINKS) == expected
    summary = render_summary(back, links=LINKS)
    assert all(f"fp:{f.fingerprint}" in summary for f in original.findings)


def test_a_failing_verdict_explained_only_by_an_errored_gate_keeps_it() -> None:
    doc = json.loads(render_json(SCENARIOS["pass_clean"]()))
    doc["gates"][1].update(status="error", error="pip-audit failed")
    doc["verdict"] = "fail"
    back = parse_report(doc)
    assert back.verdict == "fail" and back.errored_gates_fail == ("deps",)
    doc["verdict"] = "pass"  # on_error: warn
    assert parse_report(doc).verdict == "pass"


def test_scope_all_is_inferred_from_a_failing_gate_with_only_preexisting_findings() -> None:
    original = SCENARIOS["preexisting_only"]()
    doc = json.loads(render_json(original))
    if not doc["findings"]:
        pytest.skip("the scenario has no findings")
    gate = doc["findings"][0]["gate"]
    for f in doc["findings"]:
        if f["gate"] == gate:
            f["severity"] = "critical"
    doc["counts"] = _counts(doc)
    next(g for g in doc["gates"] if g["id"] == gate)["status"] = "fail"
    doc["verdict"] = "fail"
    back = parse_report(doc)
    assert back.verdict == "fail" and back.scope_all_gates == (gate,)


def _counts(doc: dict[str, Any]) -> dict[str, int]:
    counts = dict.fromkeys(("critical", "high", "medium", "low", "info"), 0)
    for f in doc["findings"]:
        if not f["waived"]:
            counts[f["severity"]] += 1
    return counts


Scalar = str | int | float | bool | None
ODD_VALUES: tuple[Scalar | list[Scalar], ...] = (None, 5, True, -1, 1e308, "", "<b>x</b>", [], ["x", 1, None], [True])
"""What the report schema allows in an item's value: a scalar, or a list of scalars."""


@pytest.mark.parametrize("name", ["scorecard", "fail_mixed", "deps_review"])
def test_schema_valid_but_odd_items_still_render(name: str) -> None:
    """Items are flat objects whose keys are per gate: the schema lets a forged report put any scalar
    or list of scalars in any of them. Reading one back and rendering it never crashes."""
    doc = json.loads(render_json(SCENARIOS[name]()))
    for gate in doc["gates"]:
        keys = {k for item in gate["items"] for k in item} | {"pillar", "state", "evidence"}
        for key in sorted(keys):
            for value in ODD_VALUES:
                forged = json.loads(json.dumps(doc))
                target = next(g for g in forged["gates"] if g["id"] == gate["id"])
                for item in target["items"] or [{}]:
                    item[key] = value
                target["items"] = target["items"] or [{key: value}]
                back = parse_report(forged)
                render_comment(back, links=LINKS)
                render_summary(back, links=LINKS)
                assert json.loads(render_json(back))["gates"] == forged["gates"]


REPLAY_SUMMARIES = (
    {"status": "replayed", "server_version": "15.18", "server": "database-url", "directories": 1,
     "history_migrations": 300, "history_failures": 0, "observed_migrations": 5, "budget_exhausted": False,
     "duration_ms": 3200.0},
    {"status": "skipped", "reason": "no PostgreSQL server programs are installed"},
)


@pytest.mark.parametrize("summary", REPLAY_SUMMARIES, ids=lambda s: str(s["status"]))
def test_a_published_report_carries_its_replay_line(summary: dict[str, Any]) -> None:
    """`readiness publish` renders the Replay line that `readiness check` showed (DESIGN: the artifact is
    re-rendered by the same renderers): the migrations gate's `replay` summary survives the round trip."""
    from dataclasses import replace

    from readiness.render.replay import replay_line
    from readiness.render.text import render_text

    original = SCENARIOS["fail_mixed"]()
    gates = tuple(replace(g, extra={**g.extra, "replay": summary}) if g.gate == "migrations" else g
                  for g in original.gates)
    original = replace(original, gates=gates)
    line = replay_line(original)
    assert line is not None
    text = render_json(original)
    back = parse_report(json.loads(text))
    assert render_json(back) == text
    assert replay_line(back) == line
    head, _, rest = line.partition(": ")
    assert f"**{head}**" in render_comment(back, links=LINKS)
    assert rest.split(" (")[0] in render_summary(back, links=LINKS)
    assert line in render_text(back)
