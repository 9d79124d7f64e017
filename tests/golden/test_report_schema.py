"""The JSON report validates against the shipped schemas/report.schema.json, for every scenario."""

from __future__ import annotations

import copy
import json
from typing import Any

import jsonschema
import pytest
from scenarios import SCENARIOS, many_findings

from readiness.render.json_report import render_json, report_dict
from readiness.schemas import report_schema


def validator() -> jsonschema.Draft202012Validator:
    schema = report_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_scenario_reports_validate(scenario: str) -> None:
    doc = json.loads(render_json(SCENARIOS[scenario]()))
    validator().validate(doc)


def test_golden_json_files_validate() -> None:
    from pathlib import Path

    files = sorted(Path(__file__).parent.glob("*.json.golden"))
    assert len(files) == len(SCENARIOS)
    for path in files:
        validator().validate(json.loads(path.read_text(encoding="utf-8")))


def test_large_report_validates() -> None:
    validator().validate(report_dict(many_findings(300)))


def test_scenarios_cover_every_status_and_kind() -> None:
    docs = [report_dict(make()) for make in SCENARIOS.values()]
    statuses = {g["status"] for d in docs for g in d["gates"]}
    assert statuses == {"pass", "fail", "error", "skipped"}
    assert {d["verdict"] for d in docs} == {"pass", "fail"}
    findings = [f for d in docs for f in d["findings"]]
    assert any(f["waived"] for f in findings) and any(not f["introduced"] for f in findings)
    assert any(f["line"] is None for f in findings) and any(f["confidence"] == "heuristic" for f in findings)
    assert {f["waiver"]["source"] for f in findings if f["waiver"]} == {"config", "inline"}


def _mutations() -> list[tuple[str, Any]]:
    return [
        ("extra top-level key", lambda d: d.update(extra=1)),
        ("extra finding key", lambda d: d["findings"][0].update(url="x")),
        ("unknown severity", lambda d: d["findings"][0].update(severity="blocker")),
        ("unknown gate", lambda d: d["gates"][0].update(id="security")),
        ("unknown status", lambda d: d["gates"][0].update(status="warn")),
        ("zero line", lambda d: d["findings"][0].update(line=0)),
        ("missing confidence", lambda d: d["findings"][0].pop("confidence")),
        ("waived without waiver", lambda d: d["findings"][0].update(waived=True, waiver=None)),
        ("waiver without reason", lambda d: d["findings"][0].update(
            waived=True, waiver={"reason": "", "source": "config", "expires": None})),
        ("error gate without reason", lambda d: d["gates"][3].update(error=None)),
        ("bad verdict", lambda d: d.update(verdict="warn")),
        ("counts missing info", lambda d: d["counts"].pop("info")),
        ("schema_version 2", lambda d: d.update(schema_version=2)),
        ("rule id shape", lambda d: d["findings"][0].update(rule="Migrations/RenameColumn")),
        ("nested item value", lambda d: d["gates"][0]["items"][0].update(nested={"a": 1})),
    ]


@pytest.mark.parametrize(("what", "mutate"), _mutations(), ids=[m[0] for m in _mutations()])
def test_schema_rejects(what: str, mutate: Any) -> None:
    doc = copy.deepcopy(report_dict(SCENARIOS["fail_mixed"]()))
    assert doc["gates"][3]["status"] == "error"
    mutate(doc)
    with pytest.raises(jsonschema.ValidationError):
        validator().validate(doc)
