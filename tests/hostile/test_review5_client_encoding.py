"""A migration that switches the client encoding to one the gate cannot read fails closed
(review5 R5-25, issue 11).

In GBK (also BIG5, SJIS, GB18030, UHC, JOHAB, SHIFT_JIS_2004: PostgreSQL's client-only encodings)
the UTF-8 bytes of `中` followed by a backslash are two characters: `E'中\\'` is a closed string to
the server and the `DROP TABLE` after it runs, while the gate (reading UTF-8) sees one SELECT.
Before, only replay caught it (by failing to apply the file), and with replay off, unavailable or
out of budget the migration passed. Now setting the client encoding to anything but an encoding
a server can use (or to a value computed at run time) is dynamic-sql: critical when introduced.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from review5_support import judge_sql as _judge

TRICK = "SELECT E'\u4e2d\\'; DROP TABLE users; --';\n"



SWITCHES = [
    "SET client_encoding = 'GBK';\n",
    "SET client_encoding TO 'BIG5';\n",
    "SET SESSION client_encoding = 'Shift_JIS';\n",
    "SET LOCAL client_encoding = 'win936';\n",
    "SET NAMES 'sjis';\n",
    "SET NAMES gb18030;\n",
    "SELECT set_config('client_encoding', 'UHC', false);\n",
    "SELECT pg_catalog.set_config('client_encoding', current_setting('app.enc'), false);\n",
    "SELECT set_config(current_setting('app.name'), 'x', false);\n",
    "UPDATE pg_settings SET setting = 'johab' WHERE name = 'client_encoding';\n",
    "DO $$ BEGIN EXECUTE 'SET client_' || 'encoding = ''GBK'''; END $$;\n",
    "ALTER DATABASE app SET client_encoding TO 'BIG5';\n",
    "\\encoding GBK\n",
]


@pytest.mark.parametrize("switch", SWITCHES)
def test_switching_to_an_unreadable_client_encoding_blocks(tmp_path: Path, switch: str) -> None:
    done = _judge(tmp_path, switch + TRICK)
    serious = [f for f in done.findings() if f["severity"] == "critical"]
    assert serious, done.findings()
    assert done.code == 1


@pytest.mark.parametrize("sql", [
    "SET client_encoding = 'UTF8';\n",
    "SET client_encoding TO 'LATIN1';\n",
    "SET NAMES 'EUC_JP';\n",
    "RESET client_encoding;\n",
    "SET client_encoding TO DEFAULT;\n",
    "SELECT pg_catalog.set_config('search_path', '', false);\n",
    "SHOW client_encoding;\n",
])
def test_a_readable_client_encoding_does_not_block(tmp_path: Path, sql: str) -> None:
    done = _judge(tmp_path, sql + "ALTER TABLE users ADD COLUMN nickname text;\n")
    assert not done.findings("migrations/dynamic-sql"), done.findings()
    assert done.code == 0, done.findings()
