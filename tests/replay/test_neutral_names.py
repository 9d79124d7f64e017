"""A migration cannot tell it is being replayed from the names it can see.

Before: the migrations ran as role `readiness_replay_<hex>` in database `readiness_replay_<hex>`, next to a
superuser `readiness_admin` whose session was named `readiness-replay-admin`, on a cluster named
`readiness-replay`: `IF current_user LIKE 'readiness%' THEN <behave> ELSE DROP TABLE ...` passed the
replay and did its damage in production. Every name the migrations session can read now looks like an
ordinary application database's.
"""

from __future__ import annotations

import re

import pytest
from replay_helpers import TABLE, Run, mig

from readiness.replay import Replayed, TxMode, replay
from readiness.replay.server import find_binaries

TELLS = re.compile(r"readiness|replay|sandbox|throwaway|gate", re.IGNORECASE)

PROBE = """DO $$
DECLARE seen text;
BEGIN
  SELECT concat_ws(' ', current_user, session_user, current_database(), current_setting('application_name'),
                   current_setting('cluster_name'),
                   (SELECT string_agg(rolname, ' ') FROM pg_catalog.pg_roles),
                   (SELECT string_agg(datname, ' ') FROM pg_catalog.pg_database),
                   (SELECT string_agg(concat_ws(' ', usename, application_name, datname), ' ')
                      FROM pg_catalog.pg_stat_activity),
                   (SELECT string_agg(setting, ' ') FROM pg_catalog.pg_settings))
    INTO seen;
  IF seen ~* 'readiness|replay|sandbox|throwaway|gate' THEN
    RAISE EXCEPTION 'sandbox detected: %', substring(seen from '(?i)\\S*(readiness|replay|sandbox|throwaway|gate)\\S*');
  END IF;
END $$"""


def _probe_passes(result: Replayed) -> None:
    assert result.history_clean, result.history_failures
    err = result.migrations[0].statements[0].error
    assert err is None, err


def test_names_on_a_server_the_runner_gives_are_neutral(run: Run) -> None:
    _probe_passes(run([mig("1", *TABLE)], [mig("2", PROBE, mode=TxMode.AUTOCOMMIT)]))


@pytest.mark.skipif(isinstance(find_binaries(None), str), reason="no PostgreSQL server programs installed")
def test_names_on_the_throwaway_server_are_neutral() -> None:
    result = replay([mig("1", *TABLE)], [mig("2", PROBE, mode=TxMode.AUTOCOMMIT)])
    assert isinstance(result, Replayed), result
    _probe_passes(result)


def test_the_sandboxs_own_names_carry_no_tell() -> None:
    from readiness.replay import sandbox, server

    names = [server.ADMIN_USER, server.ADMIN_APPLICATION, server.CLUSTER_NAME, sandbox.APPLICATION_NAME,
             *sandbox.sandbox_names(throwaway=True), *sandbox.sandbox_names(throwaway=False)]
    assert not [n for n in names if TELLS.search(n)], names
