"""`--format gitlab`: GitLab Code Quality JSON, validated against the shape GitLab documents.

The schema (gitlab-codequality.schema.json, beside this file) is written from GitLab's page
"Code Quality report format": https://docs.gitlab.com/ci/testing/code_quality/#code-quality-report-format
(doc/ci/testing/code_quality.md in gitlab-org/gitlab). GitLab publishes no JSON Schema of its own.
The two rules of that page a schema cannot state are checked here: no byte order mark, and a
fingerprint that identifies one violation (GitLab shows issues sharing one as a single entry).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from scenarios import SCENARIOS, finding, gate, many_findings

from readiness.model import FailOn, GateStatus, Report, Severity, Waiver
from readiness.render import Format, render
from readiness.render.gitlab import gitlab_issues, gitlab_severity, render_gitlab

HERE = Path(__file__).parent
REPO = HERE.parents[1]
SCHEMA = json.loads((HERE / "gitlab-codequality.schema.json").read_text(encoding="utf-8"))


def validate(text: str) -> list[dict[str, Any]]:
    """Parse and validate a rendered report as GitLab would take it; returns the issues."""
    assert not text.startswith("\ufeff"), "GitLab's parser does not allow a byte order mark"
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    doc = json.loads(text)
    jsonschema.Draft202012Validator(SCHEMA).validate(doc)
    fingerprints = [issue["fingerprint"] for issue in doc]
    assert len(fingerprints) == len(set(fingerprints)), "a fingerprint names one violation"
    return list(doc)


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_every_scenario_validates(scenario: str) -> None:
    validate(render_gitlab(SCENARIOS[scenario]()))


def test_golden_files_validate() -> None:
    files = sorted(HERE.glob("*.gitlab.golden"))
    assert len(files) == len(SCENARIOS)
    for path in files:
        validate(path.read_text(encoding="utf-8"))


def test_large_report_validates_and_skips_waived() -> None:
    report = many_findings(2000)
    issues = validate(render_gitlab(report))
    assert len(issues) == sum(1 for f in report.findings if not f.waived)


@pytest.mark.parametrize("bad", [
    [{"check_name": "x", "fingerprint": "f", "severity": "minor", "location": {"path": "a", "lines": {"begin": 1}}}],
    [{"description": "d", "check_name": "x", "fingerprint": "f", "severity": "high",
      "location": {"path": "a", "lines": {"begin": 1}}}],
    [{"description": "d", "check_name": "x", "fingerprint": "f", "severity": "minor", "location": {"path": "a"}}],
    [{"description": "d", "check_name": "x", "fingerprint": "f", "severity": "minor",
      "location": {"path": "/abs/a", "lines": {"begin": 1}}}],
    [{"description": "d", "check_name": "x", "fingerprint": "f", "severity": "minor",
      "location": {"path": "a/../../b", "lines": {"begin": 1}}}],
    [{"description": "d", "check_name": "x", "fingerprint": "f", "severity": "minor",
      "location": {"path": "a", "lines": {"begin": 0}}}],
    {"description": "an object, not an array"},
], ids=["no-description", "severity-high", "no-line", "absolute-path", "dotdot", "line-0", "not-array"])
def test_the_schema_rejects_what_gitlab_rejects(bad: object) -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(SCHEMA).validate(bad)


def test_the_documented_example_validates() -> None:
    example = [{"description": "'unused' is assigned a value but never used.", "check_name": "no-unused-vars",
                "fingerprint": "7815696ecbf1c96e6894b779456d330e", "severity": "minor",
                "location": {"path": "lib/index.js", "lines": {"begin": 42}}}]
    jsonschema.Draft202012Validator(SCHEMA).validate(example)


def test_one_severity_step_per_level() -> None:
    assert [gitlab_severity(s) for s in Severity] == ["blocker", "critical", "major", "minor", "info"]


def _report(*findings: Any) -> Report:
    return Report(version="0.1.0", fail_on=FailOn.CRITICAL, base=None, head=None,
                  gates=(gate("migrations", GateStatus.FAIL, 1.0, *findings),))


def test_fields_of_one_issue() -> None:
    f = finding("migrations/rename-column", Severity.HIGH, "db/V2__rename.sql",
                "Renaming users.email breaks running code.", line=3, column=1, end_line=5,
                evidence="ALTER TABLE users RENAME COLUMN email TO mail")
    (issue,) = gitlab_issues(_report(f))
    assert issue == {
        "description": f"Renaming users.email breaks running code. Fix: {f.fix}",
        "check_name": "migrations/rename-column",
        "fingerprint": f.fingerprint,
        "severity": "critical",
        "location": {"path": "db/V2__rename.sql", "lines": {"begin": 3, "end": 5}},
    }


def test_whole_file_finding_points_at_line_one_and_no_fix_no_suffix() -> None:
    f = finding("docs/missing-document", Severity.HIGH, "RUNBOOK.md", "RUNBOOK.md does not exist.", fix=None)
    (issue,) = gitlab_issues(_report(f))
    assert issue["location"] == {"path": "RUNBOOK.md", "lines": {"begin": 1}}
    assert issue["description"] == "RUNBOOK.md does not exist."


def test_waived_findings_are_left_out_and_preexisting_stay() -> None:
    waived = finding("migrations/drop-column", Severity.HIGH, "db/V3.sql", "Dropping x.", line=1,
                     waiver=Waiver(reason="backup verified", source="config"))
    old = finding("migrations/rename-column", Severity.HIGH, "db/V1.sql", "Renaming y.", line=1, introduced=False)
    issues = gitlab_issues(_report(waived, old))
    assert [i["location"]["path"] for i in issues] == ["db/V1.sql"]


def test_repeated_content_gets_distinct_stable_fingerprints() -> None:
    """The same statement twice in one file: one fingerprint each, the first one's unchanged, and
    the same fingerprints when a line above moves them (the widget then reports nothing new)."""
    def twice(offset: int) -> list[dict[str, Any]]:
        fs = [finding("migrations/rename-column", Severity.HIGH, "db/V9.sql", "Renaming a.b to c.", line=line,
                      evidence="ALTER TABLE a RENAME COLUMN b TO c") for line in (2 + offset, 9 + offset)]
        return validate(render_gitlab(_report(*fs)))

    first, moved = twice(0), twice(4)
    assert first[0]["fingerprint"] == finding("migrations/rename-column", Severity.HIGH, "db/V9.sql", "x",
                                              evidence="ALTER TABLE a RENAME COLUMN b TO c").fingerprint
    assert first[0]["fingerprint"] != first[1]["fingerprint"]
    assert [i["fingerprint"] for i in first] == [i["fingerprint"] for i in moved]
    assert [i["location"]["lines"]["begin"] for i in moved] == [6, 13]


def test_hostile_text_survives_as_data() -> None:
    """Paths and messages with newlines, escape sequences and markup stay exact strings in the
    JSON (GitLab renders them as text); nothing breaks the array."""
    report = SCENARIOS["hostile"]()
    issues = validate(render_gitlab(report))
    assert {i["location"]["path"] for i in issues} == {f.location.path for f in report.findings if not f.waived}


def test_render_dispatch_and_cli(tmp_path: Path) -> None:
    report = SCENARIOS["fail_mixed"]()
    assert render(report, Format.GITLAB) == render_gitlab(report)
    out = tmp_path / "gl-code-quality-report.json"
    done = subprocess.run([sys.executable, "-m", "readiness.cli", "check", str(REPO / "examples" / "demo"),
                           "--format", "gitlab", "--output", str(out)],
                          capture_output=True, text=True, timeout=120, check=False, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    raw = out.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    issues = validate(raw.decode("utf-8"))
    assert issues, "the demo repository has findings"
    assert {i["check_name"] for i in issues} >= {"migrations/rename-column"}
    assert all(not Path(i["location"]["path"]).is_absolute() for i in issues)
    assert all((REPO / "examples" / "demo" / i["location"]["path"]).exists() for i in issues)
