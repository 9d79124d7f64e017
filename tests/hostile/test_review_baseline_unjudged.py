"""Third (independent) review: a baseline entry for a finding that says a file was not judged (not
UTF-8, not valid Python, not valid TOML) kept applying after the PR rewrote that file: the fingerprint
holds the reason, not the content. A PR could put a `DROP TABLE` (or a vulnerable pin) into a
baselined unreadable file and it stayed waived, at any fail_on. With a base, such an entry no longer
applies to a file the PR changes; it still does to files the PR leaves alone."""

from __future__ import annotations

from pathlib import Path

import pytest
from sec_support import PrRepo, adopt_baseline, assert_no_defect, check, git, write

LATIN1 = b"-- caf\xe9 migration\nCREATE TABLE t (id int);\n"
PY2 = "revision = 'a1'\ndown_revision = None\nprint 'legacy'\ndef upgrade():\n    pass\n"
BAD_TOML = '[project]\nname = "x"\nversion = "1"\ndependencies = ["requests==2.0",\n'
CASES: dict[str, tuple[str, str | bytes, str | bytes, str]] = {
    "not utf-8 sql": ("db/migrations/0001_init.sql", LATIN1, LATIN1 + b"DROP TABLE users;\n",
                      "migrations/unreadable-file"),
    "python syntax": ("alembic/versions/a1_init.py", PY2,
                      PY2 + "from alembic import op\ndef upgrade():\n    op.drop_table('users')\n",
                      "migrations/python-syntax-error"),
    "toml syntax": ("pyproject.toml", BAD_TOML, BAD_TOML + '  "django==1.2",\n', "deps/invalid-requirement"),
}


def _adopted(tmp_path: Path, rel: str, before: str | bytes) -> PrRepo:
    """A repository that committed a baseline of its findings (the unjudged file's among them)."""
    repo = PrRepo.make(tmp_path / "ws", {rel: before, "alembic.ini": "[alembic]\nscript_location = alembic\n"}, {})
    return adopt_baseline(repo, tmp_path)


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_baselined_unjudged_file_that_the_pr_changes_is_judged_again(tmp_path: Path, case: str) -> None:
    rel, before, after, rule_id = CASES[case]
    repo = _adopted(tmp_path, rel, before)
    write(repo.path, rel, after)
    git(repo.path, "commit", "-q", "-am", "pr")
    done = check(repo.path, "--base", repo.base, "--fail-on", "high", "--offline-db",
                 str(Path(__file__).resolve().parents[3] / "shared" / "data" / "osv-pypi"), home=tmp_path)
    assert_no_defect(done)
    hits = done.findings(rule_id)
    assert hits and not any(f["waived"] for f in hits), done.findings()
    assert "not judged" in hits[0]["message"] and done.code == 1


def test_the_entry_still_applies_to_an_unjudged_file_the_pr_leaves_alone(tmp_path: Path) -> None:
    rel, before, _, rule_id = CASES["not utf-8 sql"]
    repo = _adopted(tmp_path, rel, before)
    write(repo.path, "README.md", "docs\n")
    git(repo.path, "add", "-A")
    git(repo.path, "commit", "-q", "-m", "pr")
    done = check(repo.path, "--base", repo.base, "--fail-on", "high", "--gates", "migrations", home=tmp_path)
    assert_no_defect(done)
    assert done.code == 0 and all(f["waived"] for f in done.findings(rule_id)), done.findings()
