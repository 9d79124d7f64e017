"""The check run: annotations in batches of 50, levels, columns, sizes, conclusion."""

from __future__ import annotations

from typing import Any

from fake_github import FakeGitHub
from gh_support import TOKEN, finding, pr_event, rendered, report, settings

from readiness.github.check_run import CHECK_NAME, TEXT_LIMIT, create_check_run, fit_text, payload
from readiness.github.client import make_client
from readiness.github.publish import PublishRequest, publish
from readiness.github.settings import Deadline
from readiness.model import FailOn, Finding, GateId, GateResult, GateStatus, Report, Severity
from readiness.render.annotations import Target, check_conclusion, render_annotations


def annotations_for(rep: Report) -> list[dict[str, Any]]:
    return [payload(a) for a in render_annotations(rep, Target.CHECK_RUN)]


def annotation(f: Finding) -> dict[str, Any]:
    return annotations_for(report([f]))[0]


conclusion = check_conclusion


def test_120_annotations_are_one_create_and_two_updates(fake: FakeGitHub) -> None:
    rep = report([finding(i, Severity.CRITICAL) for i in range(120)])
    s = settings(fake.base_url)
    repo = make_client(TOKEN, s, Deadline(s.budget)).get_repo("octo-org/demo")
    outcome = create_check_run(repo, "1" * 40, title="fail", summary="s", conclusion=check_conclusion(rep),
                               annotations=render_annotations(rep, Target.CHECK_RUN))
    creates, updates = fake.requests_for("checks/create"), fake.requests_for("checks/update")
    assert len(creates) == 1 and len(updates) == 2
    assert [len(r.body["output"]["annotations"]) for r in creates + updates] == [50, 50, 20]
    assert len(fake.check_run_annotations()) == 120
    assert outcome.annotations == 120 and outcome.requests == 3 and outcome.left_out == 0
    (run,) = fake.iter_check_runs()
    assert run["request"]["name"] == CHECK_NAME and run["request"]["head_sha"] == "1" * 40
    assert run["response"]["conclusion"] == "failure"


def test_the_fake_rejects_51_annotations_and_an_unknown_level(fake: FakeGitHub) -> None:
    s = settings(fake.base_url)
    gh = make_client(TOKEN, s, Deadline(s.budget))
    repo = gh.get_repo("octo-org/demo")
    one = annotation(finding(1))
    outputs: tuple[dict[str, str | list[dict[str, Any]]], ...] = (
        {"title": "t", "summary": "s", "annotations": [one] * 51},
        {"title": "t", "summary": "s", "annotations": [{**one, "annotation_level": "error"}]},
        {"title": "t", "summary": "x" * (TEXT_LIMIT + 1)})
    for output in outputs:
        try:
            repo.create_check_run(name=CHECK_NAME, head_sha="1" * 40, output=output)
        except Exception as exc:  # GithubException 422
            assert getattr(exc, "status", None) == 422
        else:
            raise AssertionError(f"the fake accepted {str(output)[:80]}")
    assert fake.check_runs == {}


def test_levels_follow_severity_and_columns_only_on_one_line() -> None:
    rep = report([finding(1, Severity.CRITICAL, column=3), finding(2, Severity.MEDIUM, line=4, end_line=6, column=2),
                  finding(3, Severity.LOW, line=0), finding(4, Severity.INFO)])
    anns = {a["path"]: a for a in annotations_for(rep)}
    assert anns["docs/file1.md"]["annotation_level"] == "failure"
    assert anns["docs/file1.md"]["start_column"] == 3 and anns["docs/file1.md"]["end_column"] == 3
    assert anns["docs/file2.md"]["annotation_level"] == "warning"
    assert (anns["docs/file2.md"]["start_line"], anns["docs/file2.md"]["end_line"]) == (4, 6)
    assert "start_column" not in anns["docs/file2.md"]
    assert anns["docs/file3.md"]["start_line"] == 1  # a whole-file finding lands on line 1
    assert anns["docs/file3.md"]["annotation_level"] == "notice"
    assert anns["docs/file4.md"]["annotation_level"] == "notice"
    assert list(anns)[0] == "docs/file1.md"  # blocking first


def test_waived_findings_are_not_annotated() -> None:
    from readiness.model import Waiver

    waived = finding(1, Severity.CRITICAL).with_(waiver=Waiver(reason="ok", source="config"))
    assert annotations_for(report([waived, finding(2)])) == [annotation(finding(2))]


def test_conclusion() -> None:
    assert conclusion(report([finding(1, Severity.CRITICAL)])) == "failure"
    assert conclusion(report([finding(1, Severity.HIGH)])) == "success"
    assert conclusion(report([finding(1, Severity.HIGH)], fail_on=FailOn.NEVER)) == "neutral"
    errored = Report(version="0", fail_on=FailOn.CRITICAL, base=None, head=None, gates=(
        GateResult(gate=GateId("deps"), status=GateStatus.ERROR, duration_ms=1, error="offline"),))
    assert conclusion(errored) == "neutral"


def test_long_text_is_cut_to_the_limit() -> None:
    assert fit_text("short") == "short"
    cut = fit_text("y" * 100_000)
    assert len(cut) == TEXT_LIMIT and cut.endswith("has the rest)_")


def test_publish_creates_the_check_run_on_the_pr_head_not_the_merge_commit(fake: FakeGitHub) -> None:
    event = pr_event(fake.base_url)
    assert event.sha != event.head_sha
    rep = report([finding(1)])
    request = PublishRequest(event=event, token=TOKEN, report=rep, comment_mode="never",
                             check_title="pass: 1 high", check_summary="## summary", **rendered(rep))
    result = publish(request, settings(fake.base_url))
    (run,) = fake.iter_check_runs()
    assert run["request"]["head_sha"] == event.head_sha
    assert run["request"]["output"]["title"] == "pass: 1 high"
    assert run["response"]["conclusion"] == "success"
    assert result.posted[0].startswith("check run with 1 annotation")


def test_a_403_on_the_check_run_falls_back_to_workflow_annotations(fake: FakeGitHub) -> None:
    fake.fail("checks/create", 403, body={"message": "Resource not accessible by integration"})
    rep = report([finding(1)])
    request = PublishRequest(event=pr_event(fake.base_url), token=TOKEN, report=rep,
                             comment_mode="never", check_title="t", check_summary="s", **rendered(rep))
    result = publish(request, settings(fake.base_url))
    assert result.fallback_annotations
    assert result.not_posted[0].startswith("check run: HTTP 403")


def test_only_findings_that_block_or_that_the_pr_introduces_are_annotated() -> None:
    old_minor = finding(1, Severity.MEDIUM).with_(introduced=False)
    old_blocking = finding(2, Severity.CRITICAL).with_(introduced=False)
    new_minor = finding(3, Severity.LOW)
    rep = report([old_minor, old_blocking, new_minor])
    assert [a["path"] for a in annotations_for(rep)] == ["docs/file3.md"]  # old critical: not introduced
    scope_all = Report(version="0", fail_on=FailOn.CRITICAL, base=None, head=None, scope_all_gates=(GateId("docs"),),
                       gates=(GateResult(gate=GateId("docs"), status=GateStatus.FAIL, duration_ms=1,
                                         findings=(old_minor, old_blocking, new_minor)),))
    assert [a["path"] for a in annotations_for(scope_all)] == ["docs/file2.md", "docs/file3.md"]  # blocking first


def test_one_level_table_per_target() -> None:
    rep = report([finding(i, sev) for i, sev in enumerate(Severity)])
    check = {a.title: a.level for a in render_annotations(rep, Target.CHECK_RUN)}
    commands = {a.title: a.level for a in render_annotations(rep, Target.WORKFLOW_COMMAND)}
    assert set(check.values()) == {"failure", "warning", "notice"}
    assert set(commands.values()) == {"error", "warning", "notice"}
    assert [a.path for a in render_annotations(rep, Target.CHECK_RUN)] == [
        a.path for a in render_annotations(rep, Target.WORKFLOW_COMMAND)]  # the same findings, the same order
