"""The git layer: finding the repository, and changes computed as trees and raw hashes."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from readiness.workspace.changes import base_text, git_changes, hash_blob
from readiness.workspace.git import GitRepo, GitUnavailable


def git(cwd: Path, *args: str) -> str:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(cwd), "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    return subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "r"
    (root / "app" / "db").mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    (root / "top.txt").write_text("top\n")
    (root / "app" / "keep.sql").write_text("SELECT 1;\n")
    (root / "app" / "edit.sql").write_text("SELECT 2;\n")
    (root / "app" / "gone.sql").write_text("SELECT 3;\n")
    (root / "app" / "db" / "staged.sql").write_text("SELECT 4;\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    git(root, "checkout", "-q", "-b", "feature")
    (root / "app" / "committed.sql").write_text("SELECT 5;\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "pr")
    time.sleep(0.01)
    (root / "app" / "edit.sql").write_text("SELECT 22;\n")       # same size, other content
    (root / "app" / "gone.sql").unlink()
    (root / "app" / "db" / "staged.sql").write_text("SELECT 44;\n")
    git(root, "add", "app/db/staged.sql")
    (root / "app" / "new.sql").write_text("SELECT 6;\n")           # untracked
    (root / "app" / "link.sql").symlink_to("keep.sql")              # untracked symlink
    os.utime(root / "app" / "keep.sql")                              # stat-dirty, content unchanged
    return root


def test_changes_commits_worktree_and_index(repo: Path) -> None:
    ch = git_changes(repo, "main")
    assert ch.files == {"app/committed.sql", "app/edit.sql", "app/db/staged.sql", "app/new.sql", "app/link.sql"}
    assert ch.deleted == {"app/gone.sql"}
    assert ch.source == "git" and ch.base_commit == git(repo, "rev-parse", "main")


def test_changes_of_a_subdirectory_are_relative_to_it(repo: Path) -> None:
    ch = git_changes(repo / "app", "main")
    assert ch.files == {"committed.sql", "edit.sql", "db/staged.sql", "new.sql", "link.sql"}
    assert ch.deleted == {"gone.sql"}
    assert ch.repo is not None and ch.repo.prefix == "app/"
    assert base_text(ch, "edit.sql", limit=100) == "SELECT 2;\n"
    assert base_text(ch, "committed.sql", limit=100) is None


def test_a_file_the_commits_add_is_absent_at_the_base_without_asking_git(repo: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    ch = git_changes(repo / "app", "main")
    assert ch.added == {"committed.sql"}  # committed on the branch; new.sql is only in the working tree
    assert ch.repo is not None
    monkeypatch.setattr(GitRepo, "run", lambda *a, **k: pytest.fail(f"git asked: {a}"))
    assert base_text(ch, "committed.sql", limit=100) is None


def test_commits_only_ignores_the_working_tree(repo: Path) -> None:
    ch = git_changes(repo, "main", worktree=False)
    assert ch.files == {"app/committed.sql"} and not ch.deleted


def test_base_text_refuses_oversized_blobs_and_symlinks(repo: Path) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "more")
    ch = git_changes(repo, "HEAD")
    with pytest.raises(GitUnavailable, match="over the 3-byte limit"):
        base_text(ch, "app/keep.sql", limit=3)
    assert base_text(ch, "app/link.sql", limit=100) is None


def test_blob_hash_matches_git(tmp_path: Path) -> None:
    data = b"hello\x00world\n"
    (tmp_path / "f").write_bytes(data)
    assert hash_blob(data) == subprocess.run(["git", "hash-object", "--no-filters", str(tmp_path / "f")],
                                             capture_output=True, text=True, check=True).stdout.strip()


def test_repository_is_found_no_higher_than_stop(tmp_path: Path) -> None:
    outer = tmp_path / "outer"
    (outer / "ws" / "sub").mkdir(parents=True)
    git(outer, "init", "-q")
    with pytest.raises(GitUnavailable, match="no git repository"):
        GitRepo.find(outer / "ws" / "sub", stop=outer / "ws")
    assert GitRepo.find(outer / "ws" / "sub").work_tree == outer.resolve()


def test_a_bare_looking_directory_is_not_a_repository(tmp_path: Path) -> None:
    skeleton = tmp_path / "skel"
    git(tmp_path, "init", "-q", "--bare", str(skeleton))
    with pytest.raises(GitUnavailable, match="no git repository"):
        GitRepo.find(skeleton, stop=tmp_path)


def test_gitdir_file_is_followed_like_git_worktrees(repo: Path, tmp_path: Path) -> None:
    other = tmp_path / "wt"
    git(repo, "worktree", "add", "-q", "-b", "f2", str(other), "feature")
    ch = git_changes(other, "main")
    assert ch.files == {"app/committed.sql"}, "the worktree's own `.git` file is not a change"


def test_unknown_base_is_a_plain_message(repo: Path) -> None:
    with pytest.raises(GitUnavailable, match="'nope' is not a commit"):
        git_changes(repo, "nope")


def test_git_sees_no_inherited_configuration(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_DIR", "/nonexistent")
    monkeypatch.setenv("GIT_CONFIG_PARAMETERS", "'core.fsmonitor'='touch /tmp/x'")
    env = GitRepo.find(repo).env()
    assert not any(k in env for k in ("GIT_DIR", "GIT_CONFIG_PARAMETERS"))
    assert env["GIT_CONFIG_NOSYSTEM"] == "1" and env["GIT_ALLOW_PROTOCOL"] == "none"
    assert git_changes(repo, "main").files
