"""The action with a readiness checklist in the repository: the pillar scorecard reaches the sticky
comment, the job summary and the JSON report the action writes (issue 18)."""

from __future__ import annotations

import json
from pathlib import Path

from action_support import Repo, action_env, git
from fake_github import FakeGitHub
from test_action_run import inprocess_run

CHECKLIST = """\
version: 1
items:
  - id: runbook
    title: A runbook says how to mitigate
    pillar: supportability
    owner: "@acme/orders"
    status: done
    evidence:
      - path: RUNBOOK.md
  - id: rate-limiting
    title: Rate limiting is configured
    pillar: security
    owner: ""
    status: todo
"""


def test_scorecard_in_comment_summary_and_report(tmp_path: Path, repo: Repo, fake: FakeGitHub) -> None:
    (repo.path / "readiness-checklist.yml").write_text(CHECKLIST, encoding="utf-8")
    git(repo.path, "add", "-A")
    git(repo.path, "commit", "-q", "-m", "checklist")
    repo = Repo(repo.path, repo.base, git(repo.path, "rev-parse", "HEAD"))
    env = action_env(tmp_path, repo, fake.base_url, inputs={"gates": "docs,checklist"})
    run = inprocess_run(env)
    assert run.code == 1, run.stderr  # RUNBOOK.md is missing (high), and the runbook item says done (high)
    report = json.loads(run.path("report").read_text(encoding="utf-8"))
    pillars = {p["pillar"]: p["score"] for p in report["score"]["pillars"]}
    assert pillars == {"reliability": 1, "security": 1, "observability": 1, "supportability": 2}
    rules = {f["rule"] for f in report["findings"]}
    assert {"checklist/done-with-failing-evidence", "checklist/missing-owner"} <= rules
    (comment,) = fake.comments_on(7)
    for text in (comment["body"], run.summary):
        assert "### Readiness scorecard" in text and "| Supportability | ●●○○○ 2/5 | started |" in text
        assert "`runbook`" in text
