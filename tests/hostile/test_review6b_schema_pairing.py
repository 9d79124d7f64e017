"""Independent review 6b (issue 11, R6b-14): a pull request that breaks a config file's schema must
not escape validation by re-pointing the file's own `$schema` (a key or a modeline) in the same
change, to a remote URL or to a draft's metaschema (which made the file "itself a JSON Schema").
The base branch's pairing is kept; a file that names no schema at the base is unaffected."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import pytest
from sec_support import Done, PrRepo, assert_no_defect, check

SCHEMA = json.dumps({"type": "object", "required": ["db"], "properties": {
    "$schema": {"type": "string"},
    "db": {"type": "object", "required": ["pool"], "properties": {"pool": {"type": "integer", "maximum": 50}}}}})
KEY = "$schema: ../schemas/app.schema.json\n"
MODELINE = "# yaml-language-server: $schema=../schemas/app.schema.json\n"
GOOD, BAD = "db:\n  pool: 10\n", "db:\n  pool: 5000\n"
REMOTE, DRAFT7 = "https://example.com/x.json", "http://json-schema.org/draft-07/schema#"
DRAFT2020 = "https://json-schema.org/draft/2020-12/schema"
VIOLATION = "config/schema-violation"


def _run(tmp_path: Path, rel: str, before: str, after: str) -> Done:
    base: Mapping[str, str] = {"README.md": "# x\n", "schemas/app.schema.json": SCHEMA, rel: before}
    repo = PrRepo.make(tmp_path / "ws", base, {rel: after})
    done = check(repo.path, "--base", repo.base, "--gates", "config", "--fail-on", "high", home=tmp_path)
    assert_no_defect(done)
    return done


REPOINTED = {
    "key to a remote url": ("config/svc.yaml", KEY + GOOD, f"$schema: {REMOTE}\n" + BAD),
    "key to draft-07": ("config/svc.yaml", KEY + GOOD, f"$schema: '{DRAFT7}'\n" + BAD),
    "key removed": ("config/svc.yaml", KEY + GOOD, BAD),
    "modeline to the 2020-12 metaschema": ("deploy/app.yaml", MODELINE + GOOD,
                                           f"# yaml-language-server: $schema={DRAFT2020}\n" + BAD),
    "modeline to a remote url": ("deploy/app.yaml", MODELINE + GOOD,
                                 f"# yaml-language-server: $schema={REMOTE}\n" + BAD),
    "modeline removed": ("deploy/app.yaml", MODELINE + GOOD, BAD),
    "json key to draft-07": ("config/svc.json",
                             json.dumps({"$schema": "../schemas/app.schema.json", "db": {"pool": 1}}),
                             json.dumps({"$schema": DRAFT7, "db": {"pool": 5000}})),
}


@pytest.mark.parametrize("case", sorted(REPOINTED))
def test_repointing_a_files_own_schema_keeps_the_bases_pairing(tmp_path: Path, case: str) -> None:
    done = _run(tmp_path, *REPOINTED[case])
    hits = done.findings(VIOLATION)
    assert done.code == 1 and hits and "5000" in " ".join(f["message"] for f in hits), done.findings()


@pytest.mark.parametrize("case", sorted(REPOINTED))
def test_a_repointed_file_that_still_satisfies_the_bases_schema_passes(tmp_path: Path, case: str) -> None:
    rel, before, after = REPOINTED[case]
    good = after.replace("5000", "20")
    done = _run(tmp_path, rel, before, good)
    assert done.code == 0 and not done.findings(VIOLATION), done.findings()


def test_a_file_without_a_schema_at_the_base_may_name_a_remote_one(tmp_path: Path) -> None:
    done = _run(tmp_path, "deploy/app.yaml", GOOD, f"# yaml-language-server: $schema={REMOTE}\n" + BAD)
    assert done.code == 0 and not done.findings(VIOLATION), done.findings()


def test_a_new_schema_file_is_still_checked_as_a_schema(tmp_path: Path) -> None:
    schema = json.dumps({"$schema": DRAFT2020, "type": "object", "properties": {"a": {"type": "string"}}})
    repo = PrRepo.make(tmp_path / "ws", {"README.md": "# x\n"}, {"config/new.json": schema})
    done = check(repo.path, "--base", repo.base, "--gates", "config", "--fail-on", "high", home=tmp_path)
    assert_no_defect(done)
    assert done.code == 0 and not done.findings(VIOLATION), done.findings()
