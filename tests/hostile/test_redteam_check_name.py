"""Second red-team pass: a push to a pull request's branch (in the same repository) runs the action
on the PR's head commit with no base, so the branch's own `.readiness.yml` judges it. Its check run
had the same name as the pull_request run's: a policy the PR relaxes (`fail_on: never`) gave a
passing `readiness-gates` on the head commit, which satisfies a required check of that name."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from sec_support import DROP, PrRepo, action, assert_no_defect

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "github"))

from fake_github import SPEC_PATH, FakeGitHub  # noqa: E402
from hostile_corpus import TOKEN  # noqa: E402


@pytest.mark.skipif(not SPEC_PATH.is_file(), reason="../shared/data/github-rest/rest-subset.json is absent")
def test_a_push_run_cannot_post_the_required_check_name(tmp_path: Path) -> None:
    repo = PrRepo.make(tmp_path / "ws", {"db/migrations/V1__init.sql": "CREATE TABLE users (id int);\n"},
                       {"db/migrations/V2__drop.sql": DROP, ".readiness.yml": "version: 1\nfail_on: never\n"})
    push = {"ref": "refs/heads/feature", "after": repo.head, "before": repo.base,
            "repository": {"full_name": "octo-org/demo", "default_branch": "main"}}
    with FakeGitHub(SPEC_PATH, repository="octo-org/demo", token=TOKEN) as fake:
        done = action(repo, tmp_path, inputs={"gates": "migrations", "comment": "never"}, api_url=fake.base_url,
                      event=push, env={"GITHUB_EVENT_NAME": "push", "GITHUB_REF": "refs/heads/feature"})
        runs = list(fake.iter_check_runs())
    assert_no_defect(done)
    assert runs, done.stdout[-800:]
    # neutral under the branch's `fail_on: never`: GitHub counts neutral as passing a required check
    assert [r["request"]["name"] for r in runs] == ["readiness-gates (push)"]
