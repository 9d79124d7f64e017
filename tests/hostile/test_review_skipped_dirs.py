"""Third (independent) review: Flyway scans its location recursively, so a PR's
`db/migration/node_modules/V2__drop.sql` runs. The walk never enters `node_modules/`, `venv/`,
`__pycache__/`, `.tox/`, `.hg/` and the like, and discovery revealed only PR files under the default
exclusions (`vendor/`, `testdata/`), and only in the automatic search: with the migrations
directory named in the policy (`gates.migrations.paths`), even those passed unjudged."""

from __future__ import annotations

from pathlib import Path

import pytest
from sec_support import DROP, PrRepo, assert_no_defect, check

BASE = {"db/migration/V1__init.sql": "CREATE TABLE users (id int);\n"}
CONFIGURED = "version: 1\ngates:\n  migrations:\n    paths: ['db/migration/']\n"


@pytest.mark.parametrize("policy", ["automatic", "configured"])
@pytest.mark.parametrize("directory", ["node_modules", "venv", ".venv", "__pycache__", ".tox", ".hg", "vendor",
                                       "testdata"])
def test_a_migration_in_a_directory_the_walk_skips_is_judged(tmp_path: Path, policy: str, directory: str) -> None:
    base = {**BASE, ".readiness.yml": CONFIGURED} if policy == "configured" else BASE
    repo = PrRepo.make(tmp_path / "ws", base, {f"db/migration/{directory}/V2__drop.sql": DROP})
    done = check(repo.path, "--base", repo.base, "--gates", "migrations", home=tmp_path)
    assert_no_defect(done)
    assert [f["path"] for f in done.findings("migrations/drop-table")] == [f"db/migration/{directory}/V2__drop.sql"]
    assert done.code == 1


def test_such_a_directory_at_the_base_stays_unjudged(tmp_path: Path) -> None:
    base = {**BASE, ".readiness.yml": CONFIGURED, "db/migration/node_modules/fixture.sql": "SELECT 1;\n"}
    repo = PrRepo.make(tmp_path / "ws", base, {"db/migration/node_modules/V2__drop.sql": DROP})
    done = check(repo.path, "--base", repo.base, "--gates", "migrations", home=tmp_path)
    assert_no_defect(done)
    assert done.findings("migrations/drop-table") == [] and done.code == 0
