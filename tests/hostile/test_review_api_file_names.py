"""Third (independent) review: with the changed files from GitHub's API (the default shallow checkout
has no base commit), a file whose name is not UTF-8 was never "changed": the walk names it with
surrogate escapes, GitHub's list names it as text. A new `DROP TABLE` migration named so passed as
history. Such a path now counts as changed."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from sec_support import EVENTS, PrRepo, action, assert_no_defect

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "github"))

from fake_github import SPEC_PATH, FakeGitHub  # noqa: E402
from hostile_corpus import TOKEN  # noqa: E402

NAMES = {"plain": b"db/migrations/0002_drop_\xff.sql",
         "in a directory the walk skips": b"db/migrations/node_modules/V2__drop_\xff.sql"}


@pytest.mark.skipif(not SPEC_PATH.is_file(), reason="../shared/data/github-rest/rest-subset.json is absent")
@pytest.mark.parametrize("where", sorted(NAMES))
@pytest.mark.parametrize("listed", ["replacement", "absent"])
def test_a_migration_named_in_bytes_that_are_not_utf8_is_judged_as_new(tmp_path: Path, listed: str,
                                                                        where: str) -> None:
    name = NAMES[where]

    def pr(root: Path) -> None:
        path = os.path.join(os.fsencode(root), name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as fh:
            fh.write(b"DROP TABLE users;\n")

    repo = PrRepo.make(tmp_path / "ws", {"db/migrations/0001_init.sql": "CREATE TABLE users (id int);\n"}, pr)
    event = json.loads((EVENTS / "pull_request_synchronize.json").read_text())
    event["pull_request"]["base"]["sha"] = "f" * 40  # not in this clone: the files come from the API
    event["pull_request"]["head"]["sha"] = repo.head
    with FakeGitHub(SPEC_PATH, repository="octo-org/demo", token=TOKEN) as fake:
        names = [name.decode("utf-8", "replace")] if listed == "replacement" else ["README.md"]
        fake.set_pr_files(event["pull_request"]["number"], names)
        done = action(repo, tmp_path, api_url=fake.base_url, event=event,
                      inputs={"gates": "migrations", "comment": "never", "check-run": "false"})
    assert_no_defect(done)
    drops = done.findings("migrations/drop-table")
    assert done.code == 1 and done.report()["verdict"] == "fail", done.stdout[-1500:]
    shown = name.decode("utf-8", "surrogateescape").replace("\udcff", "\\xff")
    assert [(d["path"], d["introduced"]) for d in drops] == [(shown, True)], drops
