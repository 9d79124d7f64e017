"""Config files are YAML 1.2: only `true`/`false` are booleans, so `on:` in a GitHub workflow is the
key "on", `22:22` is a string and `0777` is decimal - as GitHub, go-yaml v3 and ruamel.yaml read them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from config_helpers import located, run_gate, write

from readiness.gates.config.loaders import parse
from readiness.yamlpos import load_one

WORKFLOW_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["on", "jobs"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string"},
        "on": {"type": ["string", "array", "object"]},
        "jobs": {"type": "object", "additionalProperties": {
            "type": "object", "required": ["runs-on"],
            "properties": {"runs-on": {"type": "string"}, "timeout-minutes": {"type": "number"},
                           "continue-on-error": {"type": "boolean"}}}},
    },
}

WORKFLOW = """\
name: ci
on:
  push:
    branches: [main]
jobs:
  test:
    runs-on: ubuntu-latest
    continue-on-error: true
    timeout-minutes: 1e1
"""


@pytest.mark.parametrize(("text", "expected"), [
    ("on", "on"), ("off", "off"), ("yes", "yes"), ("No", "No"), ("y", "y"),
    ("true", True), ("False", False), ("TRUE", True),
    ("22:22", "22:22"), ("1:20", "1:20"), ("0777", 777), ("0o17", 15), ("0x1F", 31), ("0b101", 5),
    ("1_000", 1000), ("1e3", 1000.0), (".5", 0.5), ("-.inf", float("-inf")),
    ("~", None), ("null", None), ("", None), ("2001-12-14", "2001-12-14"), ("12:30:00", "12:30:00"),
    ("'on'", "on"), ("!!bool yes", True),
])
def test_plain_scalars_resolve_by_the_yaml_1_2_core_schema(text: str, expected: object) -> None:
    value = load_one(f"k: {text}\n", core="1.2").value["k"]
    assert value == expected and type(value) is type(expected)


def test_yaml_1_1_stays_the_default_of_the_loader() -> None:
    assert load_one("on: 1\n").value == {"true": 1}


def test_on_and_true_keys_are_two_keys_not_a_duplicate() -> None:
    pf = parse("x.yaml", "on: push\ntrue: 1\nyes: 2\n", "yaml")
    assert pf.docs == [{"on": "push", "true": 1, "yes": 2}]
    assert pf.duplicates == []


def test_a_github_workflow_validates_against_a_schema_requiring_on(tmp_path: Path) -> None:
    write(tmp_path, {
        ".readiness.yml": "version: 1\ngates:\n  config:\n    schemas:\n"
                          "      - {files: '.github/workflows/*.yml', schema: schemas/workflow.json}\n",
        "schemas/workflow.json": json.dumps(WORKFLOW_SCHEMA),
        ".github/workflows/ci.yml": WORKFLOW,
        ".github/workflows/bad.yml": WORKFLOW.replace("runs-on: ubuntu-latest", "runs-on: yes")
                                             .replace("continue-on-error: true", "continue-on-error: no"),
    })
    out = run_gate(tmp_path)
    # `runs-on: yes` is the string "yes" (fine); `continue-on-error: no` is a string, not a boolean
    assert located(out) == [("config/schema-violation", ".github/workflows/bad.yml", 8, 24)]
    assert "'no' is not of type 'boolean'" in out.findings[0].message
    items = {i.data["path"]: i.data["state"] for i in out.items}
    assert items[".github/workflows/ci.yml"] == "valid"
