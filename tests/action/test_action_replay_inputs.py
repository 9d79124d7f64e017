"""The action's replay inputs (`database-url`, `replay`) and the database URL's password kept out of every output."""

from __future__ import annotations

import pytest

from readiness.action import parse_inputs
from readiness.errors import UsageError
from readiness.redaction import Redactor, url_secrets


def test_replay_inputs_are_read_with_hyphens_or_underscores() -> None:
    inputs = parse_inputs({"INPUT_DATABASE-URL": "postgresql://ci:pw@localhost/postgres", "INPUT_REPLAY": "ON"})
    assert inputs.database_url == "postgresql://ci:pw@localhost/postgres" and inputs.replay == "on"
    inputs = parse_inputs({"INPUT_DATABASE_URL": "host=/run/pg", "INPUT_REPLAY": ""})
    assert inputs.database_url == "host=/run/pg" and inputs.replay is None


def test_an_unknown_replay_value_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="input replay: 'sometimes'"):
        parse_inputs({"INPUT_REPLAY": "sometimes"})


@pytest.mark.parametrize(("url", "password"), [
    ("postgresql://ci:s3cr%40t-long-one@db:5432/postgres", "s3cr@t-long-one"),
    ("host=db user=ci password='two long words' dbname=postgres", "two long words"),
    ("password=barelongpassword host=db", "barelongpassword"),
])
def test_the_database_url_and_its_password_are_masked(url: str, password: str) -> None:
    assert password in url_secrets(url)
    masked = Redactor.from_env({"INPUT_DATABASE-URL": url}).text(f"could not connect to {url}: {password} rejected")
    assert password not in masked and url not in masked
