"""Spring Boot's `application.yml` must set Flyway's locations, naming and placeholders as
`application.properties` does.

Spring Boot binds `spring.flyway.*` from every document of `application.yml`/`application.yaml` and
its profile variants (`application-prod.yml`), nested or dotted. Before, only the `.properties`
spelling was read: a pull request that named its own suffix, prefix or location there ran a
`DROP TABLE` the gate never judged, and a placeholder it set there was judged as unknown instead of as
the SQL it makes. A Spring or Flyway configuration the pull request changes that cannot be read (too
large, or YAML the loader refuses, such as an alias bomb) is `migrations/unreadable-file`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sec_support import PrRepo, assert_no_defect, check

BASE = {"src/main/resources/db/migration/V1__init.sql": "CREATE TABLE users (id int primary key, email text);\n"}
RES = "src/main/resources/"
V2 = RES + "db/migration/V2__d.sql"


def _run(tmp_path: Path, pr: dict[str, str], base: dict[str, str] | None = None) -> tuple[int, list[str]]:
    repo = PrRepo.make(tmp_path / "ws", {**BASE, **(base or {})}, pr)
    done = check(repo.path, "--base", repo.base, "--gates", "migrations", "--replay", "off", home=tmp_path)
    assert_no_defect(done)
    return done.code, [str(f["rule"]) for f in done.findings() if f["severity"] == "critical"]


ATTACKS = {
    "suffix": {RES + "application.yml": "spring:\n  flyway:\n    locations: filesystem:ops\n"
                                        "    sql-migration-suffixes: [.txt]\n",
               "ops/V2__d.txt": "DROP TABLE users;\n"},
    "profile-document": {RES + "application.yaml": "server:\n  port: 8080\n---\nspring:\n  config:\n    activate:\n"
                                                   "      on-profile: prod\n  flyway.sql-migration-prefix: M\n"
                                                   "  flyway.sql-migration-separator: '-'\n",
                         "sql/M2-d.sql": "DROP TABLE users;\n"},
    "profile-file": {RES + "application-prod.yml": "spring.flyway:\n  sqlMigrationSuffixes: .pgsql\n",
                     RES + "db/migration/V2__d.pgsql": "DROP TABLE users;\n"},
    "placeholder": {RES + "application.yml": "spring:\n  flyway:\n    placeholders:\n      x: DROP TABLE users\n",
                    V2: "${x};\n"},
}


@pytest.mark.parametrize("case", sorted(ATTACKS))
def test_what_application_yml_sets_for_flyway_is_honoured(tmp_path: Path, case: str) -> None:
    code, critical = _run(tmp_path, ATTACKS[case])
    assert critical == ["migrations/drop-table"], critical
    assert code == 1


def test_a_location_added_in_application_yml_is_judged_under_configured_paths(tmp_path: Path) -> None:
    policy = {".readiness.yml": "version: 1\ngates:\n  migrations:\n    paths: [src/main/resources/db/migration]\n"}
    code, critical = _run(tmp_path, {RES + "application.yml": "spring.flyway.locations: filesystem:ops/sql\n",
                                     "ops/sql/V2__d.sql": "DROP TABLE users;\n"}, base=policy)
    assert critical == ["migrations/drop-table"], critical
    assert code == 1


def test_an_application_yml_the_gate_cannot_read_fails_closed(tmp_path: Path) -> None:
    bomb = "a: &a [" + ", ".join(["x"] * 200) + "]\nb: &b [" + ", ".join(["*a"] * 200) + "]\n"
    code, critical = _run(tmp_path, {RES + "application.yml": bomb + "spring.flyway.sql-migration-suffixes: .txt\n",
                                     RES + "db/migration/V2__d.txt": "DROP TABLE users;\n"})
    assert critical == ["migrations/unreadable-file"], critical
    assert code == 1


@pytest.mark.parametrize("yml", [
    "spring:\n  flyway:\n    locations: classpath:db/migration\n    baseline-on-migrate: true\n",
    "spring:\n  datasource:\n    url: jdbc:postgresql://db/app\n---\nspring.flyway.enabled: false\n",
    "spring:\n  flyway:\n    placeholders:\n      schema: app\n",
    "a: &a [" + ", ".join(["x"] * 200) + "]\nb: &b [" + ", ".join(["*a"] * 200) + "]\n",  # no Flyway: not ours
])
def test_ordinary_spring_configuration_still_passes(tmp_path: Path, yml: str) -> None:
    code, critical = _run(tmp_path, {RES + "application.yml": yml,
                                     V2: "CREATE TABLE ${schema}.audit (id int primary key);\n"})
    assert critical == [] and code == 0, critical
