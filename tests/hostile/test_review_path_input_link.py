"""Third (independent) review: the action's `path:` input names a service directory; the PR replaces
that directory with a symlink to a new one holding its migrations. With the changed files from the API
(shallow checkout), GitHub's names were cut to the unresolved prefix (`services/api/`) while the walk
and git see the link's target (`services/api2/`): nothing was "changed", a `DROP TABLE` passed as
history (and the PR's own `.readiness.yml` there would have judged it)."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest
from sec_support import DROP, EVENTS, PrRepo, action, assert_no_defect

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "github"))

from fake_github import SPEC_PATH, FakeGitHub  # noqa: E402
from hostile_corpus import TOKEN  # noqa: E402

INIT = "CREATE TABLE users (id int);\n"
LISTED = [{"filename": "services/api", "status": "added"},
          {"filename": "services/api/db/migrations/0001_init.sql", "status": "removed"},
          {"filename": "services/api2/db/migrations/0001_init.sql", "status": "added"},
          {"filename": "services/api2/db/migrations/0002_drop.sql", "status": "added"},
          {"filename": "services/api2/.readiness.yml", "status": "added"}]


def _swap(root: Path) -> None:
    shutil.rmtree(root / "services/api")
    (root / "services/api2/db/migrations").mkdir(parents=True)
    (root / "services/api2/db/migrations/0001_init.sql").write_text(INIT)
    (root / "services/api2/db/migrations/0002_drop.sql").write_text(DROP)
    (root / "services/api2/.readiness.yml").write_text("version: 1\nfail_on: never\n")
    os.symlink("api2", root / "services/api")


@pytest.mark.skipif(not SPEC_PATH.is_file(), reason="../shared/data/github-rest/rest-subset.json is absent")
@pytest.mark.parametrize("base_in_clone", [False, True])
def test_a_path_input_the_pr_turns_into_a_link_is_judged_as_its_target(tmp_path: Path, base_in_clone: bool) -> None:
    repo = PrRepo.make(tmp_path / "ws", {"services/api/db/migrations/0001_init.sql": INIT}, _swap)
    event = json.loads((EVENTS / "pull_request_synchronize.json").read_text())
    event["pull_request"]["base"]["sha"] = repo.base if base_in_clone else "f" * 40
    event["pull_request"]["head"]["sha"] = repo.head
    with FakeGitHub(SPEC_PATH, repository="octo-org/demo", token=TOKEN) as fake:
        fake.set_pr_files(event["pull_request"]["number"], LISTED)
        done = action(repo, tmp_path, api_url=fake.base_url, event=event,
                      inputs={"gates": "migrations", "path": "services/api", "comment": "never", "check-run": "false"})
    assert_no_defect(done)
    drops = done.findings("migrations/drop-table")
    assert [(d["path"], d["introduced"]) for d in drops] == [("services/api2/db/migrations/0002_drop.sql", True)]
    assert done.code == 1, done.stdout[-1500:]
