"""Outputs, job summary, workflow commands, event payloads and the PR files list."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from fake_github import FakeGitHub
from gh_support import EVENTS, TOKEN, finding, load_payload, parse_output_file, report, settings

from readiness.github.commands import annotation_commands, escape_data, escape_property
from readiness.github.event import load_event, parse_pull_request
from readiness.github.outputs import format_outputs, write_outputs
from readiness.github.publish import pr_files
from readiness.github.summary import SUMMARY_LIMIT_BYTES, append_summary, fit_bytes
from readiness.model import Location, Severity
from readiness.render.annotations import Target, render_annotations


def test_outputs_use_a_random_heredoc_for_multiline_values(tmp_path: Path) -> None:
    path = tmp_path / "out"
    hostile = "line1\nEOF\nverdict=pass\nghadelimiter_x"
    write_outputs(path, {"verdict": "fail", "report": "/w/.readiness/report.json", "text": hostile})
    parsed = parse_output_file(path.read_text())
    assert parsed == {"verdict": "fail", "report": "/w/.readiness/report.json", "text": hostile}
    first, second = format_outputs({"a": "x\ny"}), format_outputs({"a": "x\ny"})
    assert first != second  # a fresh delimiter every time
    with pytest.raises(ValueError):
        format_outputs({"bad\nname": "v"})


def test_summary_stays_under_one_mib_in_bytes(tmp_path: Path) -> None:
    path = tmp_path / "summary"
    path.write_text("already here\n")
    text = "\n".join("€€€🚦🚦🚦" for _ in range(60_000))  # 420,000 characters, 1.32 MB
    assert len(text) < SUMMARY_LIMIT_BYTES < len(text.encode())
    append_summary(path, text)
    size = path.stat().st_size
    assert size <= SUMMARY_LIMIT_BYTES
    assert path.read_text(encoding="utf-8").rstrip().endswith("has everything._")
    assert fit_bytes("small", 100) == "small"


def test_workflow_commands_are_escaped_and_capped_at_ten_per_type() -> None:
    assert escape_data("50%\r\nnext") == "50%25%0D%0Anext"
    assert escape_property("a:b,c%") == "a%3Ab%2Cc%25"
    tricky = finding(0, Severity.CRITICAL).with_(location=Location(path="db/x,y:z.sql", line=3, column=2),
                                                 message="bad\n::error::injected")
    rep = report([tricky, *(finding(i, Severity.HIGH) for i in range(1, 15)), finding(20, Severity.MEDIUM)])
    lines = annotation_commands(render_annotations(rep, Target.WORKFLOW_COMMAND))
    errors = [x for x in lines if x.startswith("::error ")]
    assert len(errors) == 10
    assert errors[0].startswith("::error file=db/x%2Cy%3Az.sql,line=3,col=2,title=docs/missing-document (critical)::")
    assert "bad%0A::error::injected" in errors[0]
    assert sum(x.startswith("::warning ") for x in lines) == 1
    assert lines[-1].startswith("readiness: 5 more finding(s)")


@pytest.mark.parametrize("name", sorted(p.name for p in EVENTS.glob("pull_request_*.json")))
def test_event_fixtures_are_valid_webhook_payloads(name: str, webhooks_schema: dict[str, Any]) -> None:
    root = webhooks_schema
    payload = load_payload(name)
    action = payload["action"]
    schema = {"$ref": f"#/definitions/pull_request${action}", "definitions": root["definitions"]}
    errors = list(jsonschema.Draft7Validator(schema).iter_errors(payload))
    assert errors == [], [e.message[:200] for e in errors[:3]]
    pr = parse_pull_request(payload)
    assert pr is not None and pr.number == 7 and pr.head_sha == payload["pull_request"]["head"]["sha"]
    assert pr.base_sha == payload["pull_request"]["base"]["sha"]
    assert (pr.head_repo != "octo-org/demo") == name.endswith("_fork.json")


def test_load_event_reads_the_payload_and_flags_forks(tmp_path: Path) -> None:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(load_payload("pull_request_opened_fork.json")))
    env = {"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": str(path), "GITHUB_REPOSITORY": "octo-org/demo",
           "GITHUB_SHA": "f" * 40}
    event = load_event(env)
    assert event.is_fork and event.head_sha == "1" * 40 and event.problem is None
    path.write_text("{not json")
    broken = load_event(env)
    assert broken.pull_request is None and broken.problem and "cannot read" in broken.problem
    push = load_event({**env, "GITHUB_EVENT_NAME": "push"})
    assert push.pull_request is None and push.problem is None and push.head_sha == "f" * 40


def test_pr_files_are_paginated_and_capped_at_3000(fake: FakeGitHub) -> None:
    rows = [{"filename": f"src/f{i}.py", "status": "modified"} for i in range(3100)]
    rows[0] = {"filename": "gone.py", "status": "removed"}
    rows[1] = {"filename": "new.py", "status": "renamed", "previous_filename": "old.py"}
    fake.set_pr_files(7, rows)
    listed = pr_files(TOKEN, "octo-org/demo", 7, settings(fake.base_url))
    assert len(listed.files) == 2999 and listed.deleted == {"gone.py", "old.py"}
    pages = fake.requests_for("pulls/list-files")
    assert len(pages) == 30 and pages[0].query["per_page"] == ["100"]


def test_report_helper_is_consistent() -> None:
    assert report([finding(1, Severity.CRITICAL)]).verdict == "fail"
    assert report().verdict == "pass"
