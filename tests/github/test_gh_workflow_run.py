"""The workflow_run event the fork pattern trusts: the committed fixtures are valid webhook payloads, the
head sha and PR come from them (a PR listed with another head is not taken), and a fork's PR is looked
up by owner:branch through PyGithub against the stand-in, keeping only one whose head is that commit."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from fake_github import FakeGitHub
from gh_support import TOKEN, load_payload, settings

from readiness.github.workflow_run import WorkflowRunError, find_pull_request, parse_workflow_run

HEAD = "1" * 40


@pytest.mark.parametrize("name", ["workflow_run_completed.json", "workflow_run_completed_fork.json"])
def test_workflow_run_fixtures_are_valid_webhook_payloads(name: str, webhooks_schema: dict[str, Any]) -> None:
    payload = load_payload(name)
    schema = {"$ref": "#/definitions/workflow_run$completed", "definitions": webhooks_schema["definitions"]}
    errors = list(jsonschema.Draft7Validator(schema).iter_errors(payload))
    assert errors == [], [e.message[:200] for e in errors[:3]]
    run = parse_workflow_run(payload, "octo-org/demo")
    assert run.head_sha == HEAD and run.event == "pull_request" and run.head_branch == "feature/slug"
    if name.endswith("_fork.json"):
        assert run.pull_number is None and run.head_owner == "contributor" and run.head_repo == "contributor/demo"
    else:
        assert run.pull_number == 7 and run.head_owner == "octo-org"


def test_a_listed_pr_with_another_head_is_not_taken_and_bad_payloads_say_why() -> None:
    payload = load_payload("workflow_run_completed.json")
    assert parse_workflow_run(payload, "Octo-Org/Demo").pull_number == 7
    assert parse_workflow_run(payload, "upstream/demo").pull_number is None, "a PR into another repository"
    payload["workflow_run"]["pull_requests"][0]["head"]["sha"] = "9" * 40
    assert parse_workflow_run(payload, "octo-org/demo").pull_number is None
    payload["workflow_run"]["head_branch"] = "bad branch\x00"
    assert parse_workflow_run(payload, "octo-org/demo").head_branch is None
    for broken, why in (({}, "no workflow_run"), ({"workflow_run": {"head_sha": "HEAD"}}, "40 hex digits")):
        with pytest.raises(WorkflowRunError, match=why):
            parse_workflow_run(broken, "octo-org/demo")


def test_fork_pr_is_found_by_owner_branch_and_head(fake: FakeGitHub) -> None:
    run = parse_workflow_run(load_payload("workflow_run_completed_fork.json"), "octo-org/demo")
    fake.add_pull(5, head_sha="5" * 40, head_owner="contributor", head_ref="feature/slug", head_repo="contributor/demo")
    fake.add_pull(6, head_sha=HEAD, head_owner="someone", head_ref="feature/slug", head_repo="someone/demo")
    fake.add_pull(7, head_sha=HEAD, head_owner="contributor", head_ref="feature/slug", head_repo="contributor/demo")
    fake.add_pull(8, head_sha=HEAD, head_owner="contributor", head_ref="feature/slug", head_repo="contributor/demo",
                  state="closed")
    assert find_pull_request(TOKEN, "octo-org/demo", run, settings(fake.base_url)) == 7
    (request,) = fake.requests_for("pulls/list")
    assert request.query["head"] == ["contributor:feature/slug"] and request.query["state"] == ["open"]
    assert fake.requests_for("pulls/get") == [], "the listing is enough: no PR is fetched again"


def test_lookup_failure_raises_for_the_caller_to_report(fake: FakeGitHub) -> None:
    run = parse_workflow_run(load_payload("workflow_run_completed_fork.json"), "octo-org/demo")
    fake.fail("pulls/list", 404)
    with pytest.raises(Exception, match="404"):
        find_pull_request(TOKEN, "octo-org/demo", run, settings(fake.base_url))
