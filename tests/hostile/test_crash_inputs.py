"""Issue 11, class 7: input that deserves a finding or an error message never ends in exit 3.

File names that are not UTF-8, a deeply nested event payload, an oversized `timeout`, and a PR-files
API answer with an entry that has no filename."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sec_support import DROP, EVENTS, PrRepo, action, assert_no_defect, check

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "github"))

from fake_github import SPEC_PATH, FakeGitHub  # noqa: E402
from hostile_corpus import TOKEN  # noqa: E402


def _bad_names(root: Path) -> None:
    base = os.fsencode(root)
    (root / "db" / "migrations").mkdir(parents=True)
    (root / "config").mkdir()
    with open(base + b"/db/migrations/V2__drop\xff.sql", "w", encoding="utf-8") as fh:
        fh.write(DROP)
    with open(base + b"/config/app\xfe.yaml", "w", encoding="utf-8") as fh:
        fh.write("a: [\n")
    with open(base + b"/requirements-\xe9.txt", "w", encoding="utf-8") as fh:
        fh.write("flask\n")


def test_file_names_that_are_not_utf8_are_judged_and_shown_escaped(tmp_path: Path) -> None:
    repo = PrRepo.make(tmp_path / "ws", {"README.md": "# r\n"}, _bad_names)
    for fmt in ("json", "text", "markdown", "sarif"):
        done = check(repo.path, "--offline-db", str(tmp_path), "--format", fmt, home=tmp_path)
        assert_no_defect(done)
        assert done.code == 1, (fmt, done.stderr[-500:])
        assert "xff" in done.stdout and "\ufffd" not in done.stdout, fmt  # the byte, shown escaped
    act = action(repo, tmp_path, inputs={"gates": "migrations,config"})
    assert_no_defect(act)
    assert act.code == 1 and act.outputs["verdict"] == "fail"


def test_a_deeply_nested_event_payload_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    repo = PrRepo.make(tmp_path / "ws", {"README.md": "# r\n"}, {"db/migrations/V2__drop.sql": DROP})
    event = json.loads((EVENTS / "pull_request_synchronize.json").read_text())
    event["deep"] = "@DEEP@"
    text = json.dumps(event).replace('"@DEEP@"', "[" * 200_000 + "]" * 200_000)
    path = tmp_path / "deep.json"
    path.write_text(text)
    done = action(repo, tmp_path, inputs={"gates": "migrations"}, env={"GITHUB_EVENT_PATH": str(path)})
    assert_no_defect(done)
    assert done.code == 1 and "nests too deeply" in done.stdout, done.stdout[-500:]


def test_an_oversized_timeout_is_a_configuration_error(tmp_path: Path) -> None:
    runner_config = tmp_path / "runner.yml"
    runner_config.write_text("gates:\n  deps:\n    service: osv\n    timeout: 1.0e+300\n")
    repo = PrRepo.make(tmp_path / "ws", {"requirements.txt": "requests==2.19.0\n"}, {})
    done = check(repo.path, "--config", str(runner_config), "--gates", "deps", home=tmp_path)
    assert done.code == 2 and "timeout" in done.stderr and "at most 600" in done.stderr, done.stderr


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    if not SPEC_PATH.is_file():
        pytest.skip("../shared/data/github-rest/rest-subset.json is not beside the repository")
    with FakeGitHub(SPEC_PATH, repository="octo-org/demo", token=TOKEN) as server:
        yield server


@pytest.mark.parametrize("entry", [{"status": "modified"}, {"filename": None, "status": "added"},
                                   {"filename": "../../etc/passwd", "status": "added"},
                                   {"filename": 7, "status": "modified"}])
def test_a_pr_files_entry_without_a_usable_filename(entry: dict[str, object], tmp_path: Path,
                                                    fake: FakeGitHub) -> None:
    repo = PrRepo.make(tmp_path / "ws", {"README.md": "# r\n"}, {"db/migrations/V2__drop.sql": DROP})
    fake.set_pr_files(7, [{"filename": "db/migrations/V2__drop.sql", "status": "added"}, entry])
    event = json.loads((EVENTS / "pull_request_synchronize.json").read_text())
    event["pull_request"]["base"]["sha"] = "1" * 40  # not in the clone: the API is asked
    event["pull_request"]["head"]["sha"] = repo.head
    done = action(repo, tmp_path, inputs={"gates": "migrations", "comment": "never", "check-run": "false"},
                  api_url=fake.base_url, event=event)
    assert_no_defect(done)
    assert done.code == 1 and "judging the whole repository" in done.stdout, done.stdout[-600:]
