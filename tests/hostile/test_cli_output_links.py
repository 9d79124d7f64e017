"""Sixth review, R6b-21: the command-line `--output` and `score --output/--badge` wrote through a symlink
the PR committed. GitLab's example runs `readiness check . --format gitlab --output
gl-code-quality-report.json` in the merge request's checkout, so a committed link at that name made
the job overwrite a file outside the repository. A path in the current directory is now walked
without following links, and a link at the name itself is replaced, never written through."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from sec_support import READINESS, small_env

COMMANDS = {
    "check --output": (["check", ".", "--gates", "docs", "--format", "json", "--output", "out/report.json"],
                       "out/report.json"),
    "score --output": (["score", ".", "--format", "json", "--output", "out/score.json"], "out/score.json"),
    "score --badge": (["score", ".", "--badge", "out/readiness.svg"], "out/readiness.svg"),
}


def _repo(tmp_path: Path) -> tuple[Path, Path]:
    outside = tmp_path / "outside"
    outside.mkdir()
    victim = outside / "victim.txt"
    victim.write_text("ORIGINAL\n", encoding="utf-8")
    repo = tmp_path / "repo"
    (repo / "out").mkdir(parents=True)
    (repo / "README.md").write_text("# app\n", encoding="utf-8")
    return repo, victim


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_a_link_at_the_output_name_is_replaced_not_followed(tmp_path: Path, name: str) -> None:
    args, rel = COMMANDS[name]
    repo, victim = _repo(tmp_path)
    os.symlink(victim, repo / rel)
    done = subprocess.run([str(READINESS), *args], cwd=repo, env=small_env(tmp_path), capture_output=True,
                          timeout=120, check=False)
    assert done.returncode in (0, 1), done.stderr
    assert victim.read_text(encoding="utf-8") == "ORIGINAL\n"
    written = repo / rel
    assert not written.is_symlink() and written.stat().st_size > 0
    if rel.endswith(".json"):
        json.loads(written.read_text(encoding="utf-8"))


def test_a_linked_directory_in_the_checkout_is_not_followed(tmp_path: Path) -> None:
    repo, victim = _repo(tmp_path)
    (repo / "out").rmdir()
    os.symlink(victim.parent, repo / "out")
    done = subprocess.run([str(READINESS), "check", ".", "--gates", "docs", "--format", "json", "--output",
                           "out/victim.txt"], cwd=repo, env=small_env(tmp_path), capture_output=True, timeout=120,
                          check=False)
    assert done.returncode == 2 and b"not followed" in done.stderr, done.stderr
    assert victim.read_text(encoding="utf-8") == "ORIGINAL\n"


def test_a_path_outside_the_checkout_is_the_users(tmp_path: Path) -> None:
    repo, _ = _repo(tmp_path)
    target = tmp_path / "reports" / "r.json"
    target.parent.mkdir()
    done = subprocess.run([str(READINESS), "check", ".", "--gates", "docs", "--format", "json", "--output",
                           str(target)], cwd=repo, env=small_env(tmp_path), capture_output=True, timeout=120,
                          check=False)
    assert done.returncode in (0, 1), done.stderr
    json.loads(target.read_text(encoding="utf-8"))
