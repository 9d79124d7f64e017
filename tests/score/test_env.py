"""`readiness env`: deploy-time drift of the running environment, an env file or a platform's list of
names against the env schema. Values never appear in any output: every test plants a canary."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from readiness.cli import main

CANARY = "CANARY-7f3e9d1c-never-print-me"
SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["APP_DB_URL", "APP_PORT", "APP_MODE", "APP_TOKEN"],
    "additionalProperties": False,
    "properties": {
        "APP_DB_URL": {"type": "string", "pattern": "^postgres://"},
        "APP_PORT": {"type": "integer", "minimum": 1024},
        "APP_MODE": {"enum": ["staging", "production"]},
        "APP_TOKEN": {"type": "string", "minLength": 40},
        "APP_DEBUG": {"type": "boolean"},
        "APP_LEGACY_URL": {"type": "string", "deprecated": True, "description": "use APP_DB_URL"},
        "APP_REPLICAS": {"$ref": "#/$defs/count"},
    },
    "$defs": {"count": {"type": "integer", "maximum": 10}},
}
BAD_ENV = {
    "APP_DB_URL": f"mysql://{CANARY}@db/app",     # pattern
    "APP_PORT": f"80{CANARY}",                     # not an integer
    "APP_MODE": CANARY,                            # not in the enum
    "APP_TOKEN": "   ",                            # required but empty
    "APP_DEBUG": CANARY,                           # not a boolean
    "APP_LEGACY_URL": CANARY,                      # deprecated
    "APP_REPLICAS": "99",                          # $ref: above the maximum
    "APP_TYPO_HOST": CANARY,                       # unknown under additionalProperties: false
    "PATH": "/usr/bin:/bin",                       # the shell's: never unknown
    "GITHUB_TOKEN": CANARY,                        # the runner's: never unknown
}
EXPECTED = [
    ("APP_DB_URL", "invalid"), ("APP_DEBUG", "invalid"), ("APP_MODE", "invalid"), ("APP_PORT", "invalid"),
    ("APP_REPLICAS", "invalid"), ("APP_TOKEN", "empty"), ("APP_TYPO_HOST", "unknown"),
    ("APP_LEGACY_URL", "deprecated"),
]


@pytest.fixture
def schema(tmp_path: Path) -> Path:
    path = tmp_path / "env.schema.json"
    path.write_text(json.dumps(SCHEMA), encoding="utf-8")
    return path


def run_env(tmp_path: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The console entry point in a child process with exactly `env` (plus what Python needs)."""
    full = {"PYTHONPATH": os.pathsep.join(sys.path), **env}
    return subprocess.run([sys.executable, "-m", "readiness.cli", "env", *args], capture_output=True, text=True,
                          env=full, cwd=tmp_path, check=False, timeout=60)


def assert_no_canary(*texts: str) -> None:
    for text in texts:
        assert CANARY not in text, "a value reached the output"
        assert "80" + CANARY[:6] not in text


@pytest.mark.parametrize("fmt", ["text", "json", "markdown"])
def test_process_environment_problems_named_values_never_shown(tmp_path: Path, schema: Path, fmt: str) -> None:
    out_file = tmp_path / f"out.{fmt}"
    proc = run_env(tmp_path, "--schema", str(schema), "--format", fmt, env=BAD_ENV)
    proc_file = run_env(tmp_path, "--schema", str(schema), "--format", fmt, "--output", str(out_file), env=BAD_ENV)
    written = out_file.read_text(encoding="utf-8")
    assert_no_canary(proc.stdout, proc.stderr, proc_file.stdout, proc_file.stderr, written)
    assert proc.returncode == 1 and proc_file.returncode == 1, proc.stderr
    assert proc.stdout == written
    for name, _ in EXPECTED:
        assert name in proc.stdout
    assert "PATH" not in proc.stdout.replace("APP_", "") and "GITHUB_TOKEN" not in proc.stdout
    if fmt == "json":
        doc = json.loads(proc.stdout)
        got = [(p["name"], p["problem"]) for p in doc["problems"]]
        assert sorted(got) == sorted(EXPECTED) and doc["verdict"] == "fail"
        messages = {p["name"]: p["message"] for p in doc["problems"]}
        assert messages["APP_DB_URL"] == "APP_DB_URL does not match the pattern ^postgres://"
        assert messages["APP_PORT"] == "APP_PORT is not of type integer"
        assert messages["APP_REPLICAS"] == "APP_REPLICAS is above the maximum 10"
        assert "not one of the allowed values" in messages["APP_MODE"]


def test_a_clean_environment_passes(tmp_path: Path, schema: Path) -> None:
    env = {"APP_DB_URL": "postgres://db/app", "APP_PORT": "8080", "APP_MODE": "production",
           "APP_TOKEN": "x" * 40, "APP_DEBUG": "false", "HOME": "/root", "RUNNER_OS": "Linux"}
    proc = run_env(tmp_path, "--schema", str(schema), env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("readiness env: PASS")


def test_missing_required_and_prefix_and_ignore(tmp_path: Path, schema: Path) -> None:
    env = {"APP_DB_URL": "postgres://db/app", "APP_PORT": "8080", "APP_MODE": "staging", "OTHER_THING": CANARY,
           "APP_X": CANARY}
    proc = run_env(tmp_path, "--schema", str(schema), "--format", "json", env=env)
    got = {(p["name"], p["problem"]) for p in json.loads(proc.stdout)["problems"]}
    assert got == {("APP_TOKEN", "missing"), ("OTHER_THING", "unknown"), ("APP_X", "unknown")}
    proc = run_env(tmp_path, "--schema", str(schema), "--format", "json", "--prefix", "APP_", "--ignore", "APP_X",
                   env=env)
    assert {(p["name"], p["problem"]) for p in json.loads(proc.stdout)["problems"]} == {("APP_TOKEN", "missing")}
    assert_no_canary(proc.stdout, proc.stderr)


def test_env_file_with_unparsable_lines_names_the_line_only(tmp_path: Path, schema: Path) -> None:
    env_file = tmp_path / "prod.env"
    env_file.write_text(f"APP_DB_URL=postgres://db\nAPP_PORT=8080\nAPP_MODE=production\nAPP_TOKEN={'y' * 40}\n"
                        f"this line {CANARY} is not a binding\n", encoding="utf-8")
    proc = run_env(tmp_path, "--schema", str(schema), "--env-file", str(env_file), "--format", "json",
                   env={"APP_DB_URL": "x"})
    assert_no_canary(proc.stdout, proc.stderr)
    (problem,) = json.loads(proc.stdout)["problems"]
    assert problem["problem"] == "unparsable" and problem["name"] == "line 5" and proc.returncode == 1


@pytest.mark.parametrize("listing", [
    '["APP_DB_URL", "APP_PORT", "APP_MODE", "APP_TYPO"]',
    json.dumps({"APP_DB_URL": CANARY, "APP_PORT": "1", "APP_MODE": "x", "APP_TYPO": "y"}),
    f"APP_DB_URL={CANARY}\nexport APP_PORT=1\nAPP_MODE: staging\nAPP_TYPO\n# a comment\n",
])
def test_names_from_a_platform_listing_check_presence_only(tmp_path: Path, schema: Path, listing: str) -> None:
    (tmp_path / "names.txt").write_text(listing, encoding="utf-8")
    proc = run_env(tmp_path, "--schema", str(schema), "--names", "names.txt", "--format", "json", env={})
    assert_no_canary(proc.stdout, proc.stderr)
    doc = json.loads(proc.stdout)
    assert {(p["name"], p["problem"]) for p in doc["problems"]} == {("APP_TOKEN", "missing"), ("APP_TYPO", "unknown")}
    assert doc["source"]["values_checked"] is False


def test_names_from_stdin(tmp_path: Path, schema: Path) -> None:
    full = {"PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.run([sys.executable, "-m", "readiness.cli", "env", "--schema", str(schema), "--names", "-"],
                          input="APP_DB_URL\nAPP_PORT\nAPP_MODE\nAPP_TOKEN\n", capture_output=True, text=True,
                          env=full, check=False, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize(("schema_text", "words"), [
    ("{not json", "not JSON"),
    ('["a list"]', "JSON Schema object"),
    ('{"type": "object", "properties": {"A": {"type": "nonsense"}}}', "not a valid JSON Schema"),
])
def test_bad_schema_is_exit_2_with_a_message(tmp_path: Path, schema_text: str, words: str,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "s.json").write_text(schema_text, encoding="utf-8")
    assert main(["env", "--schema", str(tmp_path / "s.json")]) == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err


def test_missing_inputs_are_exit_2(tmp_path: Path, schema: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["env", "--schema", str(tmp_path / "nope.json")]) == 2
    assert main(["env", "--schema", str(schema), "--env-file", str(tmp_path / "nope.env")]) == 2
    assert main(["env", "--schema", str(schema), "--env-file", "a", "--names", "b"]) == 2
    assert main(["env"]) == 2
    assert "no such file" in capsys.readouterr().err


def test_fail_on_threshold(tmp_path: Path, schema: Path) -> None:
    env = {"APP_DB_URL": "postgres://db/app", "APP_PORT": "8080", "APP_MODE": "staging", "APP_TOKEN": "z" * 40,
           "APP_LEGACY_URL": CANARY}
    assert run_env(tmp_path, "--schema", str(schema), env=env).returncode == 0, "deprecated is low: warns"
    assert run_env(tmp_path, "--schema", str(schema), "--fail-on", "low", env=env).returncode == 1


def test_yaml_schema_and_the_demo_schema(tmp_path: Path) -> None:
    demo = Path(__file__).resolve().parents[2] / "examples" / "demo" / "schemas" / "env.schema.json"
    env = {"ORDERS_ENV": "production", "ORDERS_DB_PASSWORD": CANARY}
    proc = run_env(tmp_path, "--schema", str(demo), env=env)
    assert proc.returncode == 0 and CANARY not in proc.stdout
    (tmp_path / "s.yaml").write_text("type: object\nrequired: [A]\nproperties:\n  A: {type: integer}\n")
    proc = run_env(tmp_path, "--schema", "s.yaml", "--format", "json", env={"A": CANARY})
    assert [p["problem"] for p in json.loads(proc.stdout)["problems"]] == ["invalid"]
    assert_no_canary(proc.stdout, proc.stderr)
