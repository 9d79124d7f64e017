"""With `gates.migrations.paths` in the base policy, a pull request must not move a migration out
of the judged paths by adding a location to the runner's own configuration (review5 R5-23).

Before: base policy `paths: [db/migrations]`; the PR sets `flyway.locations=filesystem:db/migrations,
filesystem:db/hotfix` (flyway.conf, flyway.toml or Spring's application.properties) or Alembic's
`version_locations`, and adds the DROP TABLE there: Flyway/Alembic run it, the gate never read it.
Now Flyway-named files under a configured `filesystem:` location, and Alembic revisions the PR adds
under a location an `alembic.ini` names, are judged whatever the policy's paths say.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sec_support import PrRepo, assert_no_defect, check

POLICY = "gates:\n  migrations:\n    paths: [db/migrations]\n"
FLYWAY_BASE = {".readiness.yml": POLICY, "db/migrations/V1__init.sql": "CREATE TABLE users (id int primary key);\n"}
LOCATIONS = "filesystem:db/migrations,filesystem:db/hotfix"


@pytest.mark.parametrize("config", [
    {"flyway.conf": f"flyway.locations={LOCATIONS}\n"},
    {"flyway.toml": f'[flyway]\nlocations = ["{LOCATIONS.replace(",", chr(34) + ", " + chr(34))}"]\n'},
    {"src/main/resources/application.properties": f"spring.flyway.locations={LOCATIONS}\n"},
], ids=["flyway.conf", "flyway.toml", "spring"])
def test_a_flyway_location_added_by_the_pr_is_judged(tmp_path: Path, config: dict[str, str]) -> None:
    repo = PrRepo.make(tmp_path / "ws", FLYWAY_BASE, {**config, "db/hotfix/V2__d.sql": "DROP TABLE users;\n"})
    done = check(repo.path, "--base", repo.base, "--gates", "migrations", "--replay", "off", home=tmp_path)
    assert_no_defect(done)
    assert [f["severity"] for f in done.findings("migrations/drop-table")] == ["critical"], done.findings()
    assert done.code == 1


def test_a_flyway_named_file_outside_every_location_stays_unjudged(tmp_path: Path) -> None:
    repo = PrRepo.make(tmp_path / "ws", FLYWAY_BASE, {"db/hotfix/V2__d.sql": "DROP TABLE users;\n"})
    done = check(repo.path, "--base", repo.base, "--gates", "migrations", "--replay", "off", home=tmp_path)
    assert_no_defect(done)
    assert not done.findings("migrations/drop-table") and done.code == 0, done.findings()


REVISION = ('revision = "a2"\ndown_revision = "a1"\nfrom alembic import op\n\n\ndef upgrade():\n'
            '    op.drop_table("users")\n\n\ndef downgrade():\n    pass\n')


def test_an_alembic_version_location_added_by_the_pr_is_judged(tmp_path: Path) -> None:
    base = {".readiness.yml": "gates:\n  migrations:\n    paths: [alembic/versions]\n",
            "alembic.ini": "[alembic]\nscript_location = alembic\n",
            "alembic/versions/a1.py": REVISION.replace('"a2"', '"a1"', 1).replace('"a1"\nfrom', 'None\nfrom', 1)
            .replace('op.drop_table("users")', 'op.create_table("users")')}
    pr = {"alembic.ini": "[alembic]\nscript_location = alembic\nversion_locations = %(here)s/alembic/versions "
                         "%(here)s/hotfix\n", "hotfix/a2.py": REVISION}
    repo = PrRepo.make(tmp_path / "ws", base, pr)
    done = check(repo.path, "--base", repo.base, "--gates", "migrations", "--replay", "off", home=tmp_path)
    assert_no_defect(done)
    assert [f["severity"] for f in done.findings("migrations/drop-table")] == ["critical"], done.findings()
