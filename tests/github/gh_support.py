"""Builders shared by the publisher and action tests."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from readiness import __version__
from readiness.github.event import ActionEvent, parse_pull_request
from readiness.github.settings import ClientSettings
from readiness.model import (
    FailOn,
    Finding,
    GateId,
    GateResult,
    GateStatus,
    Location,
    Report,
    RuleId,
    Severity,
    fingerprint,
)

EVENTS = Path(__file__).resolve().parent / "events"
TOKEN = "ghs_TESTtokenTESTtokenTESTtoken0123456789"


def settings(base_url: str, **changes: Any) -> ClientSettings:
    """Fast settings for tests: tiny backoff, no write spacing, a short budget."""
    values: dict[str, Any] = {"api_url": base_url, "timeout": 5, "budget": 10.0, "retries": 6,
                              "backoff": 0.01, "backoff_max": 0.05, "write_interval": 0.0,
                              "secondary_rate_wait": 0.1}
    values.update(changes)
    return ClientSettings(**values)


def load_payload(name: str) -> dict[str, Any]:
    """One of the committed event fixtures."""
    data: dict[str, Any] = json.loads((EVENTS / name).read_text(encoding="utf-8"))
    return data


def pr_event(base_url: str, name: str = "pull_request_synchronize.json") -> ActionEvent:
    """An ActionEvent for a fixture payload."""
    payload = load_payload(name)
    return ActionEvent(name="pull_request", repository="octo-org/demo", sha="f" * 40,
                       server_url="https://github.com", api_url=base_url,
                       pull_request=parse_pull_request(payload))


def finding(i: int, severity: Severity = Severity.HIGH, *, line: int | None = None,
            column: int | None = None, end_line: int | None = None) -> Finding:
    """A finding on docs/file{i}.md."""
    path = f"docs/file{i}.md"
    return Finding(rule=RuleId("docs/missing-document"), severity=severity,
                   location=Location(path=path, line=line if line is not None else i + 1, column=column,
                                     end_line=end_line),
                   message=f"Finding number {i} is here.", fix="Add the document.",
                   fingerprint=fingerprint("docs/missing-document", path, str(i)))


def report(findings: list[Finding] | None = None, *, fail_on: FailOn = FailOn.CRITICAL) -> Report:
    """A settled report with the findings in the docs gate."""
    found = tuple(findings or ())
    gates = tuple(
        GateResult(gate=GateId(g), status=GateStatus.PASS if g != "docs" or not found else GateStatus.FAIL,
                   duration_ms=1.0, findings=found if g == "docs" else ())
        for g in ("migrations", "deps", "config", "docs"))
    return Report(version=__version__, fail_on=fail_on, base=None, head="1" * 40, gates=gates)


def rendered(rep: Report) -> dict[str, Any]:
    """What the action renders for the check run besides its text: the conclusion and the annotations."""
    from readiness.render.annotations import Target, check_conclusion, render_annotations

    return {"check_conclusion": check_conclusion(rep), "annotations": render_annotations(rep, Target.CHECK_RUN)}


def parse_output_file(text: str) -> dict[str, str]:
    """Parse GITHUB_OUTPUT as the runner does."""
    out: dict[str, str] = {}
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delim = line.split("<<", 1)
            end = lines.index(delim, i + 1)
            out[name] = "\n".join(lines[i + 1:end])
            i = end + 1
        elif line:
            name, value = line.split("=", 1)
            out[name] = value
            i += 1
        else:
            i += 1
    return out


@dataclass
class ActionRun:
    """One finished `readiness action` run: exit code, logs and the files it wrote."""

    code: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    summary: str
    seconds: float
    workspace: Path

    def path(self, key: str) -> Path:
        """An output naming a file: relative to the workspace (as later steps resolve it), or absolute."""
        p = Path(self.outputs[key])
        return p if p.is_absolute() else self.workspace / p

    def text_everywhere(self) -> str:
        """Everything the run wrote that a person could read."""
        parts = [self.stdout, self.stderr, self.summary, json.dumps(self.outputs)]
        parts.extend(self.path(key).read_text(encoding="utf-8")
                     for key in ("report", "comment-file") if self.outputs.get(key))
        return "\n".join(parts)
