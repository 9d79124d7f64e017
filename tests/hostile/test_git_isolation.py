"""Issue 11, class 1: git never runs or trusts configuration the pull request controls.

A PR can commit an ordinary-looking repository skeleton under a monorepo `path:` (HEAD, config,
index, objects/info/alternates, info/attributes, info/exclude): git must not discover it. A clone
whose own `.git/config` is hostile (the CLI run on a directory someone else prepared) must not make
git run a clean filter or fetch through a command transport. Each test plants a command that would
create a marker file outside the repository.
"""

from __future__ import annotations

from pathlib import Path

from sec_support import DROP, PrRepo, action, assert_no_defect, check, git, write


def _skeleton(sub: Path, base: str, marker: Path, readme_blob: str) -> None:
    """A bare-looking repository in `sub` whose config runs `marker` as a clean filter, whose
    alternates reach the real object store, whose HEAD is the base, and whose exclude hides everything."""
    write(sub, "HEAD", "ref: refs/heads/main\n")
    write(sub, "refs/heads/main", base + "\n")
    write(sub, "objects/info/alternates", "../../.git/objects\n")
    write(sub, "info/attributes", "* filter=pwn\n")
    write(sub, "info/exclude", "*\n")
    write(sub, "config", "[core]\n\trepositoryformatversion = 0\n\tbare = false\n\tworktree = .\n"
                         f'[filter "pwn"]\n\tclean = "touch {marker} && cat"\n\tsmudge = "touch {marker} && cat"\n')
    # an index entry with no stat data: git would hash README.md through the filter to compare it
    git(sub.parent, "update-index", "--add", "--cacheinfo", f"100644,{readme_blob},README.md",
        env={"GIT_DIR": str(sub), "GIT_WORK_TREE": str(sub), "GIT_INDEX_FILE": str(sub / "index")})


def test_monorepo_path_holding_a_git_skeleton_is_just_files(tmp_path: Path) -> None:
    marker = tmp_path / "EXECUTED-MARKER"

    def pr(root: Path) -> None:
        write(root, "sub/db/migrations/V2__drop_users.sql", DROP)
        base = git(root, "rev-parse", "HEAD")
        _skeleton(root / "sub", base, marker, git(root, "rev-parse", "HEAD:sub/README.md"))

    repo = PrRepo.make(tmp_path / "ws", {"README.md": "# demo\n", "sub/README.md": "# sub\n",
                                         "sub/db/migrations/V1__init.sql": "CREATE TABLE users (id int);\n"}, pr)
    done = action(repo, tmp_path, inputs={"path": "sub", "gates": "migrations"})
    assert not marker.exists(), "the PR's git config ran a command"
    assert_no_defect(done)
    drops = [f for f in done.findings() if f["path"] == "sub/db/migrations/V2__drop_users.sql"]
    assert drops and any(f["severity"] == "critical" and f["introduced"] for f in drops), done.findings()
    assert done.code == 1 and done.outputs["verdict"] == "fail", (done.code, done.stdout[-800:])


def test_cli_never_runs_a_filter_from_a_hostile_git_config(tmp_path: Path) -> None:
    marker = tmp_path / "EXECUTED-MARKER"
    repo = PrRepo.make(tmp_path / "ws", {"db/migrations/V1__init.sql": "CREATE TABLE users (id int);\n"},
                       {"db/migrations/V2__drop.sql": DROP, ".gitattributes": "* filter=pwn\n"})
    with open(repo.path / ".git" / "config", "a", encoding="utf-8") as fh:
        fh.write(f'[filter "pwn"]\n\tclean = "touch {marker} && cat"\n\tprocess = "touch {marker}"\n'
                 f'[core]\n\tfsmonitor = "touch {marker}"\n[diff]\n\texternal = "touch {marker}"\n')
    # stat-dirty files: git itself would re-hash them, through the clean filter
    for path in (repo.path / "db" / "migrations").iterdir():
        path.touch()
    (repo.path / "db" / "migrations" / "V3__local.sql").write_text(DROP)  # uncommitted work counts too
    done = check(repo.path, "--base", "HEAD~1", "--gates", "migrations", home=tmp_path)
    assert not marker.exists(), "git ran a command from .git/config"
    assert_no_defect(done)
    introduced = {f["path"] for f in done.findings() if f["introduced"]}
    assert {"db/migrations/V2__drop.sql", "db/migrations/V3__local.sql"} <= introduced, introduced
    assert "db/migrations/V1__init.sql" not in introduced


def test_cli_never_fetches_through_a_command_transport(tmp_path: Path) -> None:
    """A partial clone's promisor remote with an `ext::` URL: asking git about a missing object
    would run the URL's command."""
    marker = tmp_path / "EXECUTED-MARKER"
    repo = PrRepo.make(tmp_path / "ws", {"README.md": "# r\n"}, {"db/migrations/V2__drop.sql": DROP})
    with open(repo.path / ".git" / "config", "a", encoding="utf-8") as fh:
        fh.write(f"[extensions]\n\tpartialClone = origin\n[remote \"origin\"]\n\turl = ext::sh -c touch% {marker}\n"
                 "\tpromisor = true\n[protocol \"ext\"]\n\tallow = always\n")
    git(repo.path, "config", "core.repositoryformatversion", "1")
    done = check(repo.path, "--base", "1234567890123456789012345678901234567890", home=tmp_path)
    assert not marker.exists(), "git fetched through the PR's transport command"
    assert done.code == 2 and "not a commit" in done.stderr, (done.code, done.stderr)


def test_git_dir_that_is_a_symlink_is_not_used(tmp_path: Path) -> None:
    """`.git` as a symlink (to a repository someone else controls) is refused, not followed."""
    elsewhere = PrRepo.make(tmp_path / "elsewhere", {"a.sql": "SELECT 1;\n"}, {"b.sql": DROP})
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "db" / "migrations").mkdir(parents=True)
    (ws / "db" / "migrations" / "V1__drop.sql").write_text(DROP)
    (ws / ".git").symlink_to(elsewhere.path / ".git")
    done = check(ws, "--base", "HEAD~1", "--gates", "migrations", home=tmp_path)
    assert done.code == 2 and "symlink" in done.stderr, (done.code, done.stderr)
