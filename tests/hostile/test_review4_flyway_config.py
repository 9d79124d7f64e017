"""A pull request must not change the SQL Flyway runs through Flyway's own configuration.

Flyway replaces `${name}` placeholders before it runs a script, with values from flyway.conf,
flyway.toml, Spring's settings or the environment, and finds scripts by the prefix, separator and
suffixes that configuration names. Before, every placeholder was read as a name standing for it, so
a PR that set `flyway.placeholders.x=a; DROP TABLE users` and added `SELECT 1 AS ${x};` passed, and a
PR that set `flyway.sqlMigrationSuffixes=.txt` ran `V2__d.txt` unjudged. Now a value the base gives is
judged as it is, a value the PR sets or changes is judged as the SQL it makes, a value the PR may set
where it cannot be read fails closed (`migrations/dynamic-sql`), and a file named as the configuration
says is a migration. A placeholder nothing in the repository sets is the runner's own and still passes.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sec_support import PrRepo, assert_no_defect, check

BASE = {"db/migrations/V1__init.sql": "CREATE TABLE users (id int primary key, email text);\n"}
V2 = "db/migrations/V2__d.sql"


def _run(tmp_path: Path, pr: dict[str, str], base: dict[str, str] | None = None,
         replay: str = "off") -> tuple[int, list[dict[str, object]]]:
    repo = PrRepo.make(tmp_path / "ws", {**BASE, **(base or {})}, pr)
    done = check(repo.path, "--base", repo.base, "--gates", "migrations", "--replay", replay, home=tmp_path)
    assert_no_defect(done)
    return done.code, [f for f in done.findings() if f["severity"] == "critical"]


SET_BY_THE_PR = {
    "conf": {"flyway.conf": "flyway.placeholders.x=a; DROP TABLE users\n", V2: "SELECT 1 AS ${x};\n"},
    "toml": {"flyway.toml": '[flyway.placeholders]\nx = "a; DROP TABLE users"\n', V2: "SELECT 1 AS ${x};\n"},
    "toml-environment": {"flyway.toml": '[environments.prod.flyway.placeholders]\nx = "1; DROP TABLE users"\n',
                         V2: "SELECT ${x};\n"},
    "in-a-string": {"flyway.conf": "flyway.placeholders.x=';DROP TABLE users;--\n", V2: "SELECT '${x}';\n"},
    "in-a-comment": {"conf/flyway.conf": "flyway.placeholders.x=*/ DROP TABLE users; /*\n",
                     V2: "/* ${x} */ SELECT 1;\n"},
    "spring": {"src/main/resources/application.properties": "spring.flyway.placeholders.x=DROP TABLE users\n",
               V2: "${x};\n"},
    "own-delimiters": {"flyway.conf": "flyway.placeholderPrefix=#[\nflyway.placeholderSuffix=]\n"
                                      "flyway.placeholders.x=DROP TABLE users\n", V2: "SELECT 1;\n#[x];\n"},
    "txt-suffix": {"flyway.conf": "flyway.locations=filesystem:ops\nflyway.sqlMigrationSuffixes=.txt\n",
                   "ops/V2__d.txt": "DROP TABLE users;\n"},
    "own-prefix": {"flyway.conf": "flyway.sqlMigrationPrefix=M\nflyway.sqlMigrationSeparator=-\n",
                   "sql/M2-d.sql": "DROP TABLE users;\n"},
}


@pytest.mark.parametrize("case", sorted(SET_BY_THE_PR))
def test_sql_the_pr_writes_through_flyway_configuration_is_judged(tmp_path: Path, case: str) -> None:
    code, critical = _run(tmp_path, SET_BY_THE_PR[case])
    assert [f["rule"] for f in critical] == ["migrations/drop-table"], critical
    assert code == 1


def test_a_value_the_pr_changes_is_judged_with_the_new_value(tmp_path: Path) -> None:
    code, critical = _run(tmp_path, {"flyway.conf": "flyway.placeholders.tbl=users\n", V2: "DROP TABLE ${tbl};\n"},
                          base={"flyway.conf": "flyway.placeholders.tbl=audit_tmp\n"})
    assert [(f["rule"], "users" in str(f["message"])) for f in critical] == [("migrations/drop-table", True)]
    assert code == 1


@pytest.mark.parametrize(("where", "text"), [
    ("pom.xml", "<configuration><placeholders><x>1; DROP TABLE users</x></placeholders></configuration>\n"),
    (".github/workflows/deploy.yml", "env:\n  FLYWAY_PLACEHOLDERS_X: '1; DROP TABLE users'\n"),
    ("flyway.conf", "flyway.placeholders.x=${UNSET_ENV}; DROP TABLE users\n"),
])
def test_a_value_the_pr_sets_where_it_cannot_be_read_fails_closed(tmp_path: Path, where: str, text: str) -> None:
    code, critical = _run(tmp_path, {where: text, V2: "SELECT ${x};\n"})
    assert [f["rule"] for f in critical] == ["migrations/dynamic-sql"], critical
    assert code == 1


def test_the_replay_runs_the_value_it_judged(tmp_path: Path) -> None:
    code, critical = _run(tmp_path, SET_BY_THE_PR["conf"], replay="auto")
    assert "migrations/drop-table" in [f["rule"] for f in critical], critical
    assert code == 1


@pytest.mark.parametrize(("base", "pr"), [
    ({}, {V2: "CREATE TABLE ${schema}.audit (id int primary key);\n",  # the runner's own value
          "web/i18n/en.json": '{"form": {"placeholder": "Enter the schema name"}}\n'}),  # a UI string
    ({"flyway.conf": "flyway.placeholders.schema=app\n"}, {V2: "CREATE TABLE ${schema}.audit (id int primary key);\n"}),
    ({"flyway.conf": "flyway.placeholders.owner=app owner\n"}, {V2: "CREATE TABLE audit (id int primary key);\n"
                                                                    "COMMENT ON TABLE audit IS '${owner}';\n"}),
    ({}, {V2: "CREATE TABLE ${flyway:defaultSchema}.audit (id int primary key);\n",
          "web/i18n/en.json": '{"form": {"placeholder": "Enter the schema name"}}\n'}),  # a UI string
    ({}, {"flyway.conf": "flyway.placeholders.schema=app\n",
          V2: "CREATE TABLE ${schema}.audit (id int primary key);\n"}),
])
def test_ordinary_placeholders_still_pass(tmp_path: Path, base: dict[str, str], pr: dict[str, str]) -> None:
    code, critical = _run(tmp_path, pr, base=base)
    assert critical == [] and code == 0, critical
