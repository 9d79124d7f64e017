"""Third (independent) review: Python refuses to read an integer of more than 4,300 digits, and `json`
and `tomllib` raise a plain ValueError for it, not their syntax error. One such number in a config
file, a JSON Schema, pyproject.toml, a lock file or the baseline crashed the whole run (exit 3, no
report). Each is now a per-file finding (or, for the baseline, a configuration error)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sec_support import PrRepo, assert_no_defect, check

BIG = "9" * 5000
FILES = {
    "config/app.json": ('{"port": @N}\n'.replace("@N", BIG), "config/parse-error"),
    "config/dup.json": ('[{"a": 1, "a": 2}, @N]\n'.replace("@N", BIG), "config/parse-error"),
    "config/app.toml": ("port = @N\n".replace("@N", BIG), "config/parse-error"),
    "pyproject.toml": ('[project]\nname = "x"\nversion = "1"\ndependencies = ["requests==2.0"]\n'
                       "[tool.x]\nn = @N\n".replace("@N", BIG), "deps/invalid-requirement"),
    "Pipfile.lock": ('{"default": {"requests": {"version": "==2.0", "n": @N}}}\n'.replace("@N", BIG),
                     "deps/invalid-requirement"),
    "poetry.lock": ('[[package]]\nname = "requests"\nversion = "2.0"\nn = @N\n'.replace("@N", BIG),
                    "deps/invalid-requirement"),
}
OSV = Path(__file__).resolve().parents[3] / "shared" / "data" / "osv-pypi"


@pytest.mark.parametrize("rel", sorted(FILES))
def test_an_integer_of_thousands_of_digits_is_a_finding_not_a_crash(tmp_path: Path, rel: str) -> None:
    text, rule_id = FILES[rel]
    repo = PrRepo.make(tmp_path / "ws", {"README.md": "x\n"}, {rel: text})
    done = check(repo.path, "--base", repo.base, "--offline-db", str(OSV), home=tmp_path)
    assert_no_defect(done)
    hits = [f for f in done.findings(rule_id) if f["path"] == rel]
    assert hits and "4,300 digits" in hits[0]["message"], done.findings()


def test_a_schema_with_such_an_integer_is_an_invalid_schema(tmp_path: Path) -> None:
    config = ("version: 1\ngates:\n  config:\n    schemas:\n"
              "      - {files: 'config/*.yaml', schema: schemas/app.schema.json}\n")
    repo = PrRepo.make(tmp_path / "ws", {"README.md": "x\n", ".readiness.yml": config, "config/app.yaml": "port: 1\n"},
                       {"schemas/app.schema.json": '{"properties": {"port": {"maximum": @N}}}\n'.replace("@N", BIG)})
    done = check(repo.path, "--base", repo.base, "--gates", "config", home=tmp_path)
    assert_no_defect(done)
    assert any("4,300 digits" in f["message"] for f in done.findings()), done.findings()


def test_a_baseline_with_such_an_integer_is_a_configuration_error(tmp_path: Path) -> None:
    baseline = '{"schema_version": 1, "note": @N, "entries": []}\n'.replace("@N", BIG)
    repo = PrRepo.make(tmp_path / "ws", {"README.md": "x\n"}, {".readiness-baseline.json": baseline})
    done = check(repo.path, "--gates", "docs", home=tmp_path)  # a full scan reads the working copy's
    assert done.code == 2 and "4,300 digits" in done.stderr, (done.code, done.stderr[-500:])
    # with a base, the base's baseline applies: the PR's unreadable one adds nothing (review6 R6b-19)
    done = check(repo.path, "--base", repo.base, "--gates", "docs", home=tmp_path)
    assert done.code == 0 and not done.stderr.strip(), (done.code, done.stderr[-500:])
