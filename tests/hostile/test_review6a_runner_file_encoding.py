"""The runner's own file encoding is the gate's too (review6a R6a-15, issue 11).

Flyway reads a script in the encoding its configuration names (`flyway.encoding`, Spring's
`spring.flyway.encoding`, the script's `V2__x.sql.conf` `encoding=`), Liquibase an `<sqlFile
encoding=...>`. In GBK or BIG5 the UTF-8 bytes of `中` followed by a backslash are two characters, so
`E'中\\'` closes where the gate (reading UTF-8) sees an escaped quote, and the DROP TABLE after it runs
on production. Before, the encoding was ignored and the PR passed. Now an encoding that is not
ASCII-safe (or that nobody knows) fails closed with dynamic-sql, and an ASCII-safe one (UTF-8,
ISO-8859-x, windows-125x) is read in that encoding, raising nothing of its own.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from review5_support import judge_files

TRICK = "SELECT E'\u4e2d\\'; DROP TABLE users; --';\n"
HARMLESS = "ALTER TABLE users ADD COLUMN nickname text;\n"
INIT = "CREATE TABLE users (id int primary key, email text);\n"
SPRING = "src/main/resources/"
MIG = SPRING + "db/migration/"
SPRING_BASE = {MIG + "V1__init.sql": INIT, SPRING + "application.properties": "spring.datasource.url=jdbc:x\n"}
PLAIN_BASE = {"db/migration/V1__init.sql": INIT, "flyway.conf": "flyway.locations=filesystem:db/migration\n"}
LB_MASTER = SPRING + "db/changelog/db.changelog-master.xml"


def _master(extra: str = "") -> str:
    return ('<?xml version="1.0"?>\n<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog">\n'
            ' <changeSet id="1" author="a"><sql>CREATE TABLE users (id int primary key, email text)</sql>'
            f'</changeSet>\n{extra}</databaseChangeLog>\n')


def _sqlfile(encoding: str) -> str:
    return _master(f' <changeSet id="2" author="a"><sqlFile path="c.sql" relativeToChangelogFile="true" '
                   f'encoding="{encoding}"/></changeSet>\n')


def _case(where: str, encoding: str, body: str) -> tuple[dict[str, str], dict[str, str]]:
    """(base, pr) of a PR whose V2 is `body`, read by the runner as `encoding` set at `where`."""
    if where == "script-conf":
        return SPRING_BASE, {MIG + "V2__x.sql": body, MIG + "V2__x.sql.conf": f"encoding={encoding}\n"}
    if where == "spring-properties":
        return SPRING_BASE, {MIG + "V2__x.sql": body, SPRING + "application.properties":
                             f"spring.datasource.url=jdbc:x\nspring.flyway.encoding={encoding}\n"}
    if where == "spring-yaml":
        return SPRING_BASE, {MIG + "V2__x.sql": body, SPRING + "application.yml":
                             f"spring:\n  flyway:\n    encoding: {encoding}\n"}
    if where == "flyway-conf":
        return PLAIN_BASE, {"db/migration/V2__x.sql": body,
                            "flyway.conf": f"flyway.locations=filesystem:db/migration\nflyway.encoding={encoding}\n"}
    if where == "flyway-toml":
        toml = f'[flyway]\nlocations = ["filesystem:db/migration"]\nencoding = "{encoding}"\n'
        return PLAIN_BASE, {"db/migration/V2__x.sql": body, "flyway.toml": toml}
    if where == "workflow-env":
        return SPRING_BASE, {MIG + "V2__x.sql": body, ".github/workflows/deploy.yml":
                             f"on: push\njobs:\n  m:\n    runs-on: x\n    env:\n      FLYWAY_ENCODING: {encoding}\n"
                             "    steps:\n      - run: flyway migrate\n"}
    if where == "maven-plugin":
        return SPRING_BASE, {MIG + "V2__x.sql": body, "pom.xml": _pom("flyway-maven-plugin", encoding)}
    assert where == "liquibase-sqlfile"
    return {LB_MASTER: _master()}, {LB_MASTER: _sqlfile(encoding), SPRING + "db/changelog/c.sql": body}


WHERE = ["script-conf", "spring-properties", "spring-yaml", "flyway-conf", "flyway-toml", "workflow-env",
         "maven-plugin", "liquibase-sqlfile"]


def _pom(plugin: str, encoding: str) -> str:
    return (f"<project><build><plugins><plugin><groupId>x</groupId><artifactId>{plugin}</artifactId>\n"
            f"<configuration><encoding>{encoding}</encoding></configuration></plugin></plugins></build></project>\n")


@pytest.mark.parametrize("where", WHERE)
@pytest.mark.parametrize("encoding", ["GBK", "BIG5"])
def test_an_encoding_that_hides_a_quote_fails_closed(tmp_path: Path, where: str, encoding: str) -> None:
    base, pr = _case(where, encoding, TRICK)
    done = judge_files(tmp_path, base, pr)
    found = done.findings("migrations/dynamic-sql")
    assert found and all(f["severity"] == "critical" for f in found), done.findings()
    assert any(encoding in f["message"] for f in found), found
    assert done.code == 1


@pytest.mark.parametrize("encoding", ["Shift_JIS", "UTF-16", "x-no-such-charset"])
def test_other_unsafe_or_unknown_encodings_fail_closed(tmp_path: Path, encoding: str) -> None:
    base, pr = _case("script-conf", encoding, HARMLESS)
    done = judge_files(tmp_path, base, pr)
    assert done.findings("migrations/dynamic-sql"), done.findings()
    assert done.code == 1


@pytest.mark.parametrize("where", WHERE)
@pytest.mark.parametrize("encoding", ["UTF-8", "ISO-8859-1", "windows-1252", "US-ASCII", "latin1"])
def test_an_ascii_safe_encoding_raises_nothing(tmp_path: Path, where: str, encoding: str) -> None:
    base, pr = _case(where, encoding, HARMLESS)
    done = judge_files(tmp_path, base, pr)
    assert not done.findings("migrations/dynamic-sql"), done.findings()
    assert not done.findings("migrations/unreadable-file"), done.findings()
    assert done.code == 0, done.findings()


def test_a_latin1_script_is_read_in_latin1_and_judged(tmp_path: Path) -> None:
    """Not valid UTF-8, but Flyway reads it as ISO-8859-1: judged (its DROP found), not refused."""
    base = dict(SPRING_BASE)
    pr: dict[str, str | bytes] = {MIG + "V2__x.sql": "-- caf\xe9\nDROP TABLE users;\n".encode("latin-1"),
                                  MIG + "V2__x.sql.conf": "encoding=ISO-8859-1\n"}
    done = judge_files(tmp_path, base, pr)  # type: ignore[arg-type]
    assert done.findings("migrations/drop-table"), done.findings()
    assert done.code == 1


def test_another_plugins_encoding_is_not_flyways(tmp_path: Path) -> None:
    """A Chinese project's compiler encoding in the pom is not the encoding Flyway reads scripts in."""
    base, pr = dict(SPRING_BASE), {MIG + "V2__x.sql": HARMLESS, "pom.xml": _pom("maven-compiler-plugin", "GBK")}
    done = judge_files(tmp_path, base, pr)
    assert not done.findings("migrations/dynamic-sql"), done.findings()
    assert done.code == 0, done.findings()


@pytest.mark.parametrize(("value", "blocks"), [("${FLYWAY_ENCODING:UTF-8}", False), ("${FLYWAY_ENCODING}", False),
                                               ("${FLYWAY_ENCODING:GBK}", True)])
def test_a_spring_reference_is_read_as_its_default(tmp_path: Path, value: str, blocks: bool) -> None:
    base, pr = _case("spring-yaml", f'"{value}"', HARMLESS)
    done = judge_files(tmp_path, base, pr)
    assert bool(done.findings("migrations/dynamic-sql")) is blocks, done.findings()
    assert done.code == (1 if blocks else 0), done.findings()
