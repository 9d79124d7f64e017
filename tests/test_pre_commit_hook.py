"""The pre-commit hook (`.pre-commit-hooks.yaml`), run for real with `pre-commit try-repo`.

pre-commit builds the hook's environment the way it does for users: a virtualenv and `pip install`
of this repository. Two things keep that honest and repeatable here:

- the repository under test is a snapshot of this checkout's files (tracked and untracked, as they
  are on disk) committed to a temporary git repository, so uncommitted work is what runs;
- `pre-commit try-repo` builds its environment in a store of its own every time, so it runs the
  first case; the others run `pre-commit run` with a user's config naming that snapshot, and share
  one environment in PRE_COMMIT_HOME;
- the dependencies come at the versions of requirements.lock and requirements-build.lock, through
  a PIP_CONSTRAINT file of their `name==version` lines (pip cannot check hashes for a directory).

Nothing of the user's leaks in: PRE_COMMIT_HOME is a temporary directory, every other
PRE_COMMIT_* and SKIP variable is dropped, and git reads no global or system config. pip still
reads this machine's pip configuration (index, certificates): it is how this machine reaches PyPI.
The first environment build takes 10-60 s (pip's cache makes it fast after `make dev`): slow.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from readiness.precommit import check_args, choose_base

REPO = Path(__file__).resolve().parents[1]
HOOK_ID = "readiness-gates"
GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.invalid", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
CRITICAL = "ALTER TABLE orders ALTER COLUMN status TYPE varchar(20);\n"
HARMLESS = "SET lock_timeout = '2s';\nALTER TABLE orders ADD COLUMN gift_note text;\n"


def clean_env(**extra: str) -> dict[str, str]:
    """The environment of every command here: no PRE_COMMIT_*/SKIP of the user's, no git config."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PRE_COMMIT", "GIT_")) and k not in ("SKIP", "VIRTUAL_ENV")}
    return {**env, **GIT_ENV, "NO_COLOR": "1", **extra}


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, env=clean_env(), capture_output=True, text=True, check=True)
    return done.stdout.strip()


# -- the manifest ----------------------------------------------------------------------------------


def _pre_commit() -> str:
    tool = Path(sys.executable).parent / "pre-commit"
    if not tool.is_file():
        pytest.fail("pre-commit is a pinned dev dependency (requirements-dev.txt): run `make dev`")
    return str(tool)


def test_manifest_is_valid_and_says_what_the_hook_needs() -> None:
    done = subprocess.run([_pre_commit(), "validate-manifest", str(REPO / ".pre-commit-hooks.yaml")],
                          capture_output=True, text=True, env=clean_env(), timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    (hook,) = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert hook["id"] == HOOK_ID and hook["language"] == "python"
    assert hook["pass_filenames"] is False, "the gates judge the repository, not a list of files"
    assert hook["always_run"] is True
    assert set(hook["stages"]) == {"pre-commit", "pre-push", "manual"}
    scripts = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(rf'^{re.escape(hook["entry"])} = "readiness\.precommit:main"$', scripts, re.M)


# -- which base the hook judges against (in process) --------------------------------------------------


def test_base_is_head_then_the_pushed_range_then_nothing(tmp_path: Path) -> None:
    repo = tmp_path / "r"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    assert choose_base(repo, {}) is None, "no commit yet: every file is new"
    (repo / "a.txt").write_text("a\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "a")
    assert choose_base(repo, {}) == "HEAD"
    assert choose_base(repo, {"PRE_COMMIT_FROM_REF": "abc123"}) == "abc123"
    assert choose_base(repo, {"PRE_COMMIT_FROM_REF": "0" * 40}) == "HEAD"
    assert check_args(repo, ["--fail-on", "high"], {}) == ["check", str(repo), "--base", "HEAD", "--fail-on", "high"]
    assert check_args(repo, ["--base=origin/main"], {}) == ["check", str(repo), "--base=origin/main"]


# -- pre-commit try-repo ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HookRepo:
    """The snapshot of this checkout that pre-commit installs the hook from."""

    path: Path
    """A git repository holding this checkout's files."""
    rev: str
    """Its commit."""
    home: Path
    """PRE_COMMIT_HOME: the hook environment is built there once and reused."""
    constraints: Path
    """PIP_CONSTRAINT: the locked versions, without hashes."""

    def _pre_commit(self, project: Path, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([_pre_commit(), *args, "--color", "never"], cwd=project, capture_output=True,
                              text=True, timeout=900, check=False,
                              env=clean_env(PRE_COMMIT_HOME=str(self.home), PIP_CONSTRAINT=str(self.constraints)))

    def try_repo(self, project: Path, *args: str) -> subprocess.CompletedProcess[str]:
        """`pre-commit try-repo` of the hook in `project` (pre-commit builds its environment in a
        store of its own each time)."""
        return self._pre_commit(project, "try-repo", str(self.path), HOOK_ID, "--ref", self.rev, *args)

    def install_config(self, project: Path, args: list[str] | None = None) -> None:
        """A user's .pre-commit-config.yaml naming the hook (staged, as pre-commit requires)."""
        hook: dict[str, object] = {"id": HOOK_ID}
        if args is not None:
            hook["args"] = args
        config = {"repos": [{"repo": str(self.path), "rev": self.rev, "hooks": [hook]}]}
        (project / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
        git(project, "add", ".pre-commit-config.yaml")

    def run(self, project: Path, *args: str) -> subprocess.CompletedProcess[str]:
        """`pre-commit run` in `project`, whose config names the hook: the environment is built once
        in PRE_COMMIT_HOME and shared by every test of the module."""
        return self._pre_commit(project, "run", *args)


def _locked_constraints(dest: Path) -> Path:
    pin = re.compile(r"^([A-Za-z0-9._-]+)(?:\[[^\]]*\])?(==[^\s;\\]+)", re.M)
    pins = [m.group(1) + m.group(2) for lock in ("requirements.lock", "requirements-build.lock")
            for m in pin.finditer((REPO / lock).read_text(encoding="utf-8"))]
    assert len(pins) > 20, "the locks have their pins"
    dest.write_text("\n".join(pins) + "\n", encoding="utf-8")
    return dest


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HookRepo]:
    if shutil.which("git") is None:
        pytest.fail("git is required")
    root = tmp_path_factory.mktemp("pre-commit")
    snap = root / "readiness-gates"
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                            env=clean_env(), capture_output=True, check=True).stdout.decode().split("\0")
    for rel in filter(None, listed):
        src = REPO / rel
        if src.is_file() and not src.is_symlink():
            (snap / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, snap / rel)
    git(snap, "init", "-q", "-b", "main")
    git(snap, "add", "-A")
    git(snap, "commit", "-qm", "snapshot")
    yield HookRepo(path=snap, rev=git(snap, "rev-parse", "HEAD"), home=root / "home",
                   constraints=_locked_constraints(root / "constraints.txt"))


def _project(dest: Path, *, committed: bool = True) -> Path:
    """examples/demo as a user's repository, committed on main (or not yet committed at all)."""
    shutil.copytree(REPO / "examples" / "demo", dest, symlinks=True)
    git(dest, "init", "-q", "-b", "main")
    if committed:
        git(dest, "add", "-A")
        git(dest, "commit", "-qm", "demo")
    return dest


def _add_migration(project: Path, n: int, sql: str, *, commit: bool = False) -> None:
    (project / "db" / "migrations" / f"V{n}__change.sql").write_text(sql, encoding="utf-8")
    (project / "db" / "migrations" / f"U{n}__change.sql").write_text("SELECT 1;\n", encoding="utf-8")
    git(project, "add", "-A")
    if commit:
        git(project, "commit", "-qm", f"migration {n}")



@pytest.mark.slow
def test_commit_adding_a_critical_migration_is_blocked(hook_repo: HookRepo, tmp_path: Path) -> None:
    project = _project(tmp_path / "p")
    _add_migration(project, 5, CRITICAL)
    done = hook_repo.try_repo(project)
    assert done.returncode == 1, done.stdout + done.stderr
    assert re.search(r"^readiness-gates\.+Failed$", done.stdout, re.M), done.stdout
    assert "db/migrations/V5__change.sql:1:1  migrations/change-column-type [blocking]" in done.stdout
    assert "[pre-existing]" in done.stdout, "what HEAD already has is reported, not blocking"
    assert "Traceback" not in done.stdout + done.stderr


@pytest.mark.slow
def test_commit_adding_a_harmless_migration_passes_over_old_findings(hook_repo: HookRepo, tmp_path: Path) -> None:
    project = _project(tmp_path / "p")
    hook_repo.install_config(project)
    _add_migration(project, 5, CRITICAL, commit=True)  # already on main: an old problem
    _add_migration(project, 6, HARMLESS)
    done = hook_repo.run(project, "--verbose")
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"^readiness-gates\.+Passed$", done.stdout, re.M), done.stdout
    assert "[pre-existing]" in done.stdout and "[blocking]" not in done.stdout


@pytest.mark.slow
def test_first_commit_of_a_repository_judges_every_file(hook_repo: HookRepo, tmp_path: Path) -> None:
    project = _project(tmp_path / "p", committed=False)
    hook_repo.install_config(project)
    _add_migration(project, 5, CRITICAL)
    done = hook_repo.run(project)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "migrations/change-column-type [blocking]" in done.stdout


@pytest.mark.slow
def test_pre_push_judges_the_pushed_commits(hook_repo: HookRepo, tmp_path: Path) -> None:
    project = _project(tmp_path / "p")
    hook_repo.install_config(project)
    git(project, "commit", "-qm", "pre-commit config")
    remote = git(project, "rev-parse", "HEAD")
    _add_migration(project, 5, HARMLESS, commit=True)
    ok = hook_repo.run(project, "--hook-stage", "pre-push", "--from-ref", remote, "--to-ref", "HEAD")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    _add_migration(project, 6, CRITICAL, commit=True)
    blocked = hook_repo.run(project, "--hook-stage", "pre-push", "--from-ref", remote, "--to-ref", "HEAD")
    assert blocked.returncode == 1, blocked.stdout + blocked.stderr
    assert "V6__change.sql:1:1  migrations/change-column-type [blocking]" in blocked.stdout


@pytest.mark.slow
def test_hook_args_reach_readiness_check(hook_repo: HookRepo, tmp_path: Path) -> None:
    """A user's `args:` in the hook config are `readiness check` options: --fail-on never passes
    what would block, and a bad option is a usage error the hook shows, not a traceback."""
    project = _project(tmp_path / "p")
    _add_migration(project, 5, CRITICAL)
    hook_repo.install_config(project, ["--fail-on", "never"])
    done = hook_repo.run(project)
    assert done.returncode == 0, done.stdout + done.stderr
    hook_repo.install_config(project, ["--fail-on", "sometimes"])
    done = hook_repo.run(project)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "readiness: " in done.stdout and "--fail-on" in done.stdout and "Traceback" not in done.stdout
