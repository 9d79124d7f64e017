"""A pull request must not change what a file reads by editing only the file its symlink points at.

Before: a migration kept as a symlink (`db/migrations/002_x.sql -> ../../sql/step2.sql`) counted as
unchanged when the PR rewrote only `sql/step2.sql`, so the `DROP TABLE` the link now reads was not
introduced and the PR passed at the default policy. Now a link whose chain passes through a path the
PR adds, changes or deletes counts as changed (`ChangeSet.with_links`), for every gate.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sec_support import PrRepo, assert_no_defect, check, git, write

INIT = "-- migrate:up\nCREATE TABLE users (id bigint primary key);\n-- migrate:down\nDROP TABLE users;\n"
STEP = "-- migrate:up\nALTER TABLE users ADD COLUMN note text;\n-- migrate:down\nALTER TABLE users DROP COLUMN note;\n"
DROP = "-- migrate:up\nDROP TABLE users;\n-- migrate:down\nSELECT 1;\n"
LINK = "db/migrations/20240102000000_step2.sql"


def _repo(root: Path, base: dict[str, str], links: dict[str, str], pr: dict[str, str | None]) -> PrRepo:
    """A base commit with `base` files and `links` (path -> link text), then a PR commit writing
    (or deleting, for None) the `pr` files."""
    root.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    for rel, data in base.items():
        write(root, rel, data)
    for rel, target in links.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, root / rel)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    repo = PrRepo(root, base=git(root, "rev-parse", "HEAD"))
    for rel, text in pr.items():
        if text is None:
            (root / rel).unlink()
        else:
            write(root, rel, text)
    git(root, "add", "-A")
    git(root, "commit", "-q", "--allow-empty", "-m", "pr")
    repo.head = git(root, "rev-parse", "HEAD")
    return repo


def _migrations(repo: PrRepo, home: Path) -> tuple[int, list[str]]:
    done = check(repo.path, "--base", repo.base, "--gates", "migrations", "--replay", "off", home=home)
    assert_no_defect(done)
    return done.code, [f"{f['rule']}:{f['severity']}" for f in done.findings() if f.get("introduced")]


BASE = {"db/migrations/20240101000000_init.sql": INIT, "sql/step2.sql": STEP}


@pytest.mark.parametrize("links", [
    {LINK: "../../sql/step2.sql"},
    {"sql/current.sql": "step2.sql", LINK: "../../sql/current.sql"},  # a chain of two links
], ids=["link", "chain"])
def test_editing_only_the_target_of_a_migration_link_blocks(tmp_path: Path, links: dict[str, str]) -> None:
    code, introduced = _migrations(_repo(tmp_path / "ws", BASE, links, {"sql/step2.sql": DROP}), tmp_path)
    assert "migrations/drop-table:critical" in introduced, introduced
    assert code == 1


def test_deleting_the_target_is_a_change_to_the_link(tmp_path: Path) -> None:
    code, introduced = _migrations(_repo(tmp_path / "ws", BASE, {LINK: "../../sql/step2.sql"},
                                         {"sql/step2.sql": None}), tmp_path)
    assert any(f.startswith("migrations/unreadable-file:") for f in introduced), introduced


def test_a_link_whose_target_is_untouched_stays_unchanged(tmp_path: Path) -> None:
    base = {**BASE, "sql/step2.sql": DROP}
    code, introduced = _migrations(_repo(tmp_path / "ws", base, {LINK: "../../sql/step2.sql"},
                                         {"README.md": "hello\n"}), tmp_path)
    assert introduced == [] and code == 0, (code, introduced)
