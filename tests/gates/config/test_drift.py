"""Environment drift and dotenv files against an env schema."""

from __future__ import annotations

import shutil
from pathlib import Path

from config_helpers import FIXTURES, located, run_gate, write

KD = "config/environment-key-drift"
TD = "config/environment-type-drift"


def test_environment_drift_auto_detected_at_the_line_where_present() -> None:
    out = run_gate(FIXTURES / "environments")
    assert located(out) == [
        (TD, "config/production.yaml", 3, 13),  # replicas "6" vs 2
        (KD, "config/production.yaml", 7, 3),   # database.replica_host
        (KD, "config/production.yaml", 8, 1),   # cache (reported once, not cache.ttl_s too)
        (KD, "config/production.yaml", 12, 5),  # endpoints[*].auth
        (KD, "config/staging.yaml", 7, 3),      # database.pool
        (KD, "config/staging.yaml", 10, 1),     # features
    ]
    msgs = {(f.location.path, f.location.line): f.message for f in out.findings}
    assert msgs[("config/production.yaml", 7)] == (
        "Key 'database.replica_host' is set in production but missing in staging (config/staging.yaml).")
    assert msgs[("config/production.yaml", 3)] == (
        "Key 'service.replicas' is a string in production but a number in staging (config/staging.yaml).")


def test_environments_configured_with_ignore_keys_and_three_envs(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "environments", tmp_path, dirs_exist_ok=True)
    write(tmp_path, {
        "config/qa.yaml": (FIXTURES / "environments/config/staging.yaml").read_text(),
        ".readiness.yml": ("version: 1\ngates:\n  config:\n    environments:\n"
                           "      files: 'config/{env}.yaml'\n      names: [qa, staging, production]\n"
                           "      ignore_keys: ['features', 'cache', 'database.pool']\n"),
    })
    out = run_gate(tmp_path)
    assert located(out) == [
        (TD, "config/production.yaml", 3, 13),
        (KD, "config/production.yaml", 7, 3),
        (KD, "config/production.yaml", 12, 5),
    ]
    kd = [f for f in out.findings if f.location.line == 7][0]
    assert "missing in qa (config/qa.yaml), staging (config/staging.yaml)" in kd.message
    td = [f for f in out.findings if f.rule == TD][0]
    assert "a number in qa" in td.message


def test_single_environment_is_not_compared(tmp_path: Path) -> None:
    write(tmp_path, {"config/production.yaml": "a: 1\n", "config/development.yaml": "b: 2\n"})
    out = run_gate(tmp_path)
    assert located(out) == []


DM = "config/env-missing-required"


def test_dotenv_against_env_schema() -> None:
    out = run_gate(FIXTURES / "dotenv")
    assert located(out) == [
        ("config/env-missing-required", ".env.example", None, None),  # SENTRY_DSN
        ("config/env-invalid-value", ".env.example", 2, 14),    # DATABASE_URL pattern
        ("config/env-invalid-value", ".env.example", 3, 6),     # PORT=eighty (integer)
        ("config/env-invalid-value", ".env.example", 5, 11),    # LOG_LEVEL enum
        ("config/env-deprecated-variable", ".env.example", 7, 8),  # export CACHE_HOST
        ("config/env-unknown-variable", ".env.example", 8, 1),  # FEATURE_X
        ("config/parse-error", ".env.example", 10, 1),          # not a binding
        ("config/duplicate-key", ".env.example", 11, 1),        # DEBUG again
    ]
    msgs: dict[str, str] = {f.rule: f.message for f in out.findings}
    assert msgs[DM] == "Required variable SENTRY_DSN (in env.schema.json) is missing from .env.example."
    # the schema forbids undeclared variables (additionalProperties: false): real drift, not a note
    unknown = [f for f in out.findings if f.rule == "config/env-unknown-variable"][0]
    assert unknown.severity.value == "medium"
    assert unknown.message == ("Variable FEATURE_X is not declared in env.schema.json, which forbids any other "
                               "(additionalProperties: false).")
    assert msgs["config/env-deprecated-variable"].endswith(": use REDIS_URL.")
    # DEBUG=true is converted to a boolean, SECRET_KEY= (empty) is a placeholder: neither is judged
    assert not any("DEBUG:" in m or "SECRET_KEY:" in m for m in msgs.values())
    item = [i.data for i in out.items if i.data["path"] == ".env.example"][0]
    assert item["format"] == "dotenv" and item["schema"] == "env.schema.json" and item["state"] == "invalid"


def test_an_undeclared_variable_is_low_when_the_schema_allows_others_unsaid(tmp_path: Path) -> None:
    write(tmp_path, {".env.example": "A=1\nB=2\n", "env.schema.json": '{"properties": {"A": {}}}'})
    out = run_gate(tmp_path)
    assert [(f.rule, f.severity.value) for f in out.findings] == [("config/env-unknown-variable", "low")]


def test_dotenv_configured_paths_and_schema_in_schemas_dir(tmp_path: Path) -> None:
    write(tmp_path, {
        "deploy/app.env": "A=1\nB=2\n",
        "deploy/schemas/env.json": '{"required": ["A", "C"], "properties": {"A": {}, "B": {}, "C": {}}}',
        ".readiness.yml": ("version: 1\ngates:\n  config:\n    env_files: ['deploy/*.env']\n"
                           "    env_schema: deploy/schemas/env.json\n"),
    })
    out = run_gate(tmp_path)
    assert located(out) == [(DM, "deploy/app.env", None, None)]
    assert "C" in out.findings[0].message


def test_configured_env_example_that_does_not_exist(tmp_path: Path) -> None:
    write(tmp_path, {"config/a.yaml": "a: 1\n",
                     ".readiness.yml": "version: 1\ngates:\n  config:\n    env_example: .env.sample\n"})
    out = run_gate(tmp_path)
    assert located(out) == [(DM, ".env.sample", None, None)]


def test_dotenv_positions_in_crlf_files_after_an_unparsable_line() -> None:
    from readiness.gates.config.envfiles import parse_dotenv

    bindings, issues = parse_dotenv("=\r\n=\r\nA=1\r\nexport B=2\r\n")
    assert [i.line for i in issues] == [1, 2]
    assert [(b.name, b.key.line, b.key.column, b.value_pos.column) for b in bindings] == [
        ("A", 3, 1, 3), ("B", 4, 8, 10)]
