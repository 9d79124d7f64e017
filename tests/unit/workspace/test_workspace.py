"""Safe reads: symlink escapes, size caps, binary and non-UTF-8 files are refused as values."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from readiness.workspace import FileProblem, Workspace, glob_regex, matches


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "config").mkdir(parents=True)
    (root / "config" / "app.yaml").write_text("a: 1\n")
    (root / ".git").mkdir()
    (root / ".git" / "HEAD").write_text("ref: x\n")
    return root


def test_lists_files_without_git_dir(repo: Path) -> None:
    assert Workspace(repo).files() == ["config/app.yaml"]


def test_symlink_out_of_repo_is_listed_but_never_read(repo: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET")
    os.symlink(secret, repo / "config" / "leak.yaml")
    os.symlink("/", repo / "rootlink")
    ws = Workspace(repo)
    assert "config/leak.yaml" in ws.files() and "rootlink" in ws.files()
    with pytest.raises(FileProblem, match="outside the repository") as err:
        ws.read_text("config/leak.yaml")
    assert "TOPSECRET" not in str(err.value)
    assert not any(f.startswith("rootlink/") for f in ws.files())


def test_symlink_inside_repo_is_read(repo: Path) -> None:
    os.symlink("app.yaml", repo / "config" / "alias.yaml")
    assert Workspace(repo).read_text("config/alias.yaml") == "a: 1\n"


def test_dotdot_path_is_refused(repo: Path) -> None:
    with pytest.raises(FileProblem, match="outside"):
        Workspace(repo).read_text("../../etc/passwd")


def test_size_cap(repo: Path) -> None:
    (repo / "big.yaml").write_bytes(b"a" * 5000)
    with pytest.raises(FileProblem, match="over the 4,096-byte limit"):
        Workspace(repo, max_file_bytes=4096).read_text("big.yaml")


@pytest.mark.parametrize(("data", "needle"), [
    (b"a\x00b", "binary"),
    (b"\xff\xfea\x00", "UTF-16"),
    (b"caf\xe9", "not valid UTF-8"),
])
def test_undecodable_files(repo: Path, data: bytes, needle: str) -> None:
    (repo / "f.txt").write_bytes(data)
    with pytest.raises(FileProblem, match=needle):
        Workspace(repo).read_text("f.txt")


def test_fifo_is_not_read(repo: Path) -> None:
    os.mkfifo(repo / "pipe")
    with pytest.raises(FileProblem, match="not a regular file"):
        Workspace(repo).read_text("pipe")


def test_bom_is_dropped(repo: Path) -> None:
    (repo / "b.txt").write_bytes(b"\xef\xbb\xbfhello")
    assert Workspace(repo).read_text("b.txt") == "hello"


def test_exists_for_files_and_directories(repo: Path) -> None:
    ws = Workspace(repo)
    assert ws.exists("config/app.yaml") and ws.exists("config") and ws.exists("config/")
    assert not ws.exists("docs")


def test_exclude(repo: Path) -> None:
    (repo / "vendor").mkdir()
    (repo / "vendor" / "x.yaml").write_text("x")
    assert Workspace(repo, exclude=["vendor/"]).files() == ["config/app.yaml"]


@pytest.mark.parametrize(("pattern", "path", "ok"), [
    ("config/*.yaml", "config/app.yaml", True),
    ("config/*.yaml", "config/a/b.yaml", False),
    ("config/**/*.yaml", "config/app.yaml", True),
    ("config/**/*.yaml", "config/a/b.yaml", True),
    ("**/alerts.yml", "monitoring/prod/alerts.yml", True),
    ("docs/adr/", "docs/adr/0001-x.md", True),
    ("V[0-9]*.sql", "V1__x.sql", True),
    ("a?c", "a/c", False),
])
def test_globs(pattern: str, path: str, ok: bool) -> None:
    assert bool(glob_regex(pattern).match(path)) is ok
    assert matches(path, [pattern]) is ok
