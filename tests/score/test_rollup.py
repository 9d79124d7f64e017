"""`readiness rollup`: reports merged into an organisation view, as a pure function of the files;
report files are untrusted (validated, size-capped, escaped); 500 reports in under 5 seconds."""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from readiness.cli import main
from readiness.model import FailOn, Finding, GateId, GateResult, GateStatus, Item, Location, Report, RuleId, Severity
from readiness.render.json_report import render_json
from readiness.schemas import rollup_schema
from readiness.score import rollup as ru

PILLARS = ("reliability", "security", "observability", "supportability")
RULES = ("migrations/rename-column", "deps/known-vulnerability", "config/plaintext-secret",
         "docs/alert-without-runbook", "docs/missing-document", "config/schema-violation")


def _finding(rule: str, severity: Severity, path: str, line: int, message: str) -> Finding:
    from readiness.model import fingerprint

    return Finding(rule=RuleId(rule), severity=severity, location=Location(path=path, line=line), message=message,
                   fix="Fix it.", fingerprint=fingerprint(rule, path, f"{line}{message}"))


def make_report(rng: random.Random, *, findings: int = 20, message: str | None = None,
                path: str | None = None, states: tuple[str, ...] | None = None) -> Report:
    """A settled report with findings in the four gates and a checklist, so it carries a score."""
    by_gate: dict[str, list[Finding]] = {g: [] for g in ("migrations", "deps", "config", "docs")}
    for i in range(findings):
        rule = rng.choice(RULES)
        sev = rng.choice([Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW, Severity.LOW, Severity.INFO])
        by_gate[rule.split("/")[0]].append(_finding(rule, sev, path or f"src/f{i}.py", i + 1,
                                                    message or f"Finding {i} in a generated repository."))
    items = []
    for n, pillar in enumerate(PILLARS * 3):
        state = (states[n % len(states)] if states else
                 rng.choice(["proven", "claimed", "open", "not-applicable", "contradicted"]))
        items.append(Item({"path": "readiness-checklist.yml", "line": n + 3, "id": f"item-{n}", "title": "t",
                           "pillar": pillar, "owner": "@acme/x", "status": "todo" if state == "open" else "done",
                           "state": state, "evidence": [], "evidence_state": [], "evidence_detail": []}))
    gates = tuple(GateResult(gate=GateId(g), status=GateStatus.PASS, duration_ms=1.0, findings=tuple(fs))
                  for g, fs in by_gate.items())
    gates += (GateResult(gate=GateId("checklist"), status=GateStatus.PASS, duration_ms=1.0, items=tuple(items)),)
    return Report(version="0.1.0", fail_on=FailOn.CRITICAL, base=None, head="a" * 40, gates=gates)


def write_reports(where: Path, count: int, seed: int = 7, **kw: Any) -> list[Path]:
    rng = random.Random(seed)
    where.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(count):
        p = where / f"acme__svc{i:03d}.json"
        p.write_text(render_json(make_report(rng, **kw)), encoding="utf-8")
        out.append(p)
    return out


def roll(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["rollup", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_rollup_over_500_generated_reports_in_under_5_seconds(tmp_path: Path) -> None:
    files = write_reports(tmp_path / "reports", 500)
    out = tmp_path / "rollup.json"
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "readiness.cli", "rollup", *map(str, files), "--format", "json",
                           "--output", str(out)], capture_output=True, text=True, check=False, timeout=60)
    seconds = time.perf_counter() - start
    assert proc.returncode in (0, 1), proc.stderr
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["summary"]["repositories"] == 500 and doc["summary"]["rejected"] == 0
    assert seconds < 5.0, f"rollup of 500 reports took {seconds:.2f} s"
    jsonschema.Draft202012Validator(rollup_schema()).validate(doc)


def test_view_pillars_worst_findings_and_names(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rng = random.Random(1)
    a = tmp_path / "a.json"
    b = tmp_path / "report.json"
    a.write_text(render_json(make_report(rng, states=("proven",))), encoding="utf-8")
    b.write_text(render_json(make_report(rng, states=("open",))), encoding="utf-8")
    code, out, _ = roll([str(a), f"acme/api={b}", "--format", "json"], capsys)
    doc = json.loads(out)
    names = [r["name"] for r in doc["repositories"]]
    assert names == ["a", "acme/api"]
    api = doc["repositories"][1]
    assert api["score"]["pillars"] == dict.fromkeys(PILLARS, 1)
    worst = doc["worst"]
    assert worst and [w["severity"] for w in worst] == sorted((w["severity"] for w in worst),
                                                             key=lambda s: -Severity(s).rank)
    assert code == (1 if any(r["verdict"] == "fail" for r in doc["repositories"]) else 0)


def test_trend_against_a_previous_rollup(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rng = random.Random(3)
    old_a = make_report(rng, findings=0, states=("open",))
    new_a = make_report(rng, findings=0, states=("proven",))
    gone = make_report(rng, findings=0)
    (tmp_path / "then").mkdir()
    (tmp_path / "now").mkdir()
    (tmp_path / "then" / "svc.json").write_text(render_json(old_a))
    (tmp_path / "then" / "gone.json").write_text(render_json(gone))
    (tmp_path / "now" / "svc.json").write_text(render_json(new_a))
    roll([str(tmp_path / "then" / "svc.json"), str(tmp_path / "then" / "gone.json"), "--format", "json",
          "--output", str(tmp_path / "prev.json")], capsys)
    code, out, _ = roll([str(tmp_path / "now" / "svc.json"), "--previous", str(tmp_path / "prev.json"),
                         "--format", "json"], capsys)
    doc = json.loads(out)
    (svc,) = doc["repositories"]
    assert svc["previous"]["pillars"] == dict.fromkeys(PILLARS, 1)
    assert svc["score"]["pillars"] == dict.fromkeys(PILLARS, 5)
    assert doc["removed"] == ["gone"] and set(doc["summary"]["previous_pillars"]) == set(PILLARS)
    _, md, _ = roll([str(tmp_path / "now" / "svc.json"), "--previous", str(tmp_path / "prev.json"),
                     "--format", "markdown"], capsys)
    assert "5 ↑4" in md and "Not in this roll-up any more" in md and "`gone`" in md
    _, text, _ = roll([str(tmp_path / "now" / "svc.json"), "--previous", str(tmp_path / "prev.json")], capsys)
    assert "↑4" in text and "gone" in text


def test_hostile_report_content_is_escaped_in_every_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    evil = ("<script>alert(1)</script> @octocat [click](https://evil.example) <!-- readiness-gates:summary --> "
            "| col \x1b[31mred\x1b[0m \u202eevil")
    rng = random.Random(5)
    report = make_report(rng, findings=3, message=evil, path="a`b`/<img src=x>.md")
    (tmp_path / "r.json").write_text(render_json(report), encoding="utf-8")
    name = "acme/<b>@team</b>"
    _, md, _ = roll([f"{name}={tmp_path / 'r.json'}", "--format", "markdown"], capsys)
    assert "`acme/<b>@team</b>`" in md, "a name is shown in a code span, where markup is inert"
    md = re.sub(r"`[^`\n]*`", "", md)
    assert "<script>" not in md and "<img" not in md and "<b>" not in md
    assert "@octocat" not in md and "](https://evil" not in md and "<!-- readiness-gates" not in md
    assert "\x1b" not in md and "\u202e" not in md
    _, text, _ = roll([f"{name}={tmp_path / 'r.json'}"], capsys)
    assert "\x1b" not in text and "\u202e" not in text
    _, js, _ = roll([f"{name}={tmp_path / 'r.json'}", "--format", "json"], capsys)
    assert json.loads(js)["worst"][0]["message"] == evil, "JSON keeps the text (it is data, not markup)"


def _bad_files(tmp_path: Path) -> dict[str, tuple[bytes, str]]:
    valid = json.loads(render_json(make_report(random.Random(9))))
    wrong_sev = json.loads(json.dumps(valid))
    wrong_sev["findings"][0]["severity"] = "blocker<script>"
    extra = dict(valid, injected={"x": 1})
    return {
        "notjson.json": (b"{nope", "is not JSON"),
        "binary.json": (b"\xff\xfe\x00{", "is not UTF-8"),
        "deep.json": (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        "list.json": (b"[1, 2]", "does not match the report schema at the top level"),
        "sev.json": (json.dumps(wrong_sev).encode(), "findings/0/severity"),
        "extra.json": (json.dumps(extra).encode(), "the top level (additionalProperties)"),
    }


def test_bad_reports_are_rejected_with_a_reason_not_their_content(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    bad = _bad_files(tmp_path)
    for name, (data, _) in bad.items():
        (tmp_path / name).write_bytes(data)
    good = write_reports(tmp_path / "ok", 2)
    code, out, err = roll([*map(str, good), *(str(tmp_path / n) for n in bad), str(tmp_path / "missing.json"),
                           f"acme__svc000={tmp_path / 'ok' / 'acme__svc001.json'}", "--format", "json"], capsys)
    assert code == 1 and err == ""
    doc = json.loads(out)
    reasons = {r["name"]: r["reason"] for r in doc["rejected"]}
    for name, (_, words) in bad.items():
        assert words in reasons[name[:-5]], (name, reasons[name[:-5]])
    assert "no such file" in reasons["missing"]
    assert "a second report for this repository" in reasons["acme__svc000"]
    assert "blocker" not in out.replace('"blocker', ""), "a rejected report's content is not echoed"
    assert len(doc["repositories"]) == 2


def test_oversized_report_is_rejected_unread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    (path,) = write_reports(tmp_path, 1)
    monkeypatch.setattr(ru, "MAX_REPORT_BYTES", 1024)
    code, out, _ = roll([str(path), "--format", "json"], capsys)
    assert code == 1 and "larger than" in json.loads(out)["rejected"][0]["reason"]


def test_usage_errors_are_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (path,) = write_reports(tmp_path, 1)
    (tmp_path / "prev.json").write_text('{"rollup_version": 2}')
    assert roll([], capsys)[0] == 2
    code, _, err = roll([str(path), "--previous", str(tmp_path / "prev.json")], capsys)
    assert code == 2 and "roll-up schema" in err
    assert roll([str(path), "--previous", str(tmp_path / "nope.json")], capsys)[0] == 2
    assert roll([str(path), "--top", "0"], capsys)[0] == 2


def test_rollup_is_a_pure_function_of_the_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = [str(p) for p in write_reports(tmp_path, 20)]
    first = roll([*files, "--format", "json"], capsys)[1]
    again = roll([*reversed(files), "--format", "json"], capsys)[1]
    assert first == again
