"""Gate settings are typed once, at config load, and the types cover exactly the config schema."""

from __future__ import annotations

import dataclasses
from dataclasses import replace
from typing import Any

import pytest

from readiness.config import Config, config_schema, load_config_bytes
from readiness.config.settings import (
    COMMON_KEYS,
    ConfigGateSettings,
    DocsGateSettings,
    EnvironmentFiles,
    SchemaMapping,
    WhenChanged,
)
from readiness.model import Severity


def _schema_keys(*path: str, gate: str = "config") -> set[str]:
    node: dict[str, Any] = config_schema()["properties"]["gates"]["properties"][gate]
    for key in path:
        node = node["properties"][key]
        node = node.get("items", node)
    return set(node["properties"])


def test_config_gate_settings_cover_the_schema_exactly() -> None:
    fields = {f.name for f in dataclasses.fields(ConfigGateSettings)}
    assert fields | COMMON_KEYS == _schema_keys()
    assert {f.name for f in dataclasses.fields(SchemaMapping)} == _schema_keys("schemas")
    assert {f.name for f in dataclasses.fields(EnvironmentFiles)} == _schema_keys("environments")


def test_docs_gate_settings_cover_the_schema_exactly() -> None:
    fields = {f.name for f in dataclasses.fields(DocsGateSettings)}
    assert fields | COMMON_KEYS == _schema_keys(gate="docs")
    assert {f.name for f in dataclasses.fields(WhenChanged)} == _schema_keys("when_changed", gate="docs")


def test_docs_settings_are_parsed_at_load() -> None:
    config = load_config_bytes(
        b"version: 1\ngates:\n  docs:\n    require: [RUNBOOK.md, docs/adr/]\n    runbooks: ops/*.md\n"
        b"    adr_sections: [Context]\n"
        b"    when_changed: [{paths: 'db/**', require_touch: RUNBOOK.md, severity: low, reason: ' ops '}]\n",
        ".readiness.yml")
    assert config.docs_gate == DocsGateSettings(
        require=("RUNBOOK.md", "docs/adr/"), runbooks=("ops/*.md",), adr_sections=("Context",),
        when_changed=(WhenChanged(paths=("db/**",), require_touch=("RUNBOOK.md",), severity=Severity.LOW,
                                  reason="ops"),))


def test_settings_are_parsed_at_load() -> None:
    config = load_config_bytes(
        b"version: 1\ngates:\n  config:\n    files: config/*.yaml\n    secrets: false\n"
        b"    schemas: [{files: [a.yaml, b.yaml], schema: s.json}]\n"
        b"    environments: {files: 'config/{env}.yaml', names: [staging, production]}\n"
        b"    env_example: .env.example\n", ".readiness.yml")
    assert config.config_gate == ConfigGateSettings(
        files=("config/*.yaml",), secrets=False,
        schemas=(SchemaMapping(files=("a.yaml", "b.yaml"), schema="s.json"),),
        environments=EnvironmentFiles(files="config/{env}.yaml", names=("staging", "production")),
        env_example=".env.example")


def test_defaults_and_replace_keep_the_typed_settings_in_step() -> None:
    assert Config().config_gate == ConfigGateSettings()
    relaxed = replace(Config(), gates={"config": {"secrets": False}})
    assert relaxed.config_gate.secrets is False
    with pytest.raises(dataclasses.FrozenInstanceError):
        relaxed.config_gate.secrets = True  # type: ignore[misc]
