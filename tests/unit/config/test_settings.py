"""Gate settings are typed once, at config load, and the types cover exactly the config schema."""

from __future__ import annotations

import dataclasses
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import pytest

from readiness.config import Config, config_schema, load_config_bytes
from readiness.config.settings import (
    COMMON_KEYS,
    ChecklistGateSettings,
    ConfigGateSettings,
    DepsGateSettings,
    DocsGateSettings,
    EnvironmentFiles,
    MigrationsGateSettings,
    SchemaMapping,
    WhenChanged,
)
from readiness.model import Severity

if TYPE_CHECKING:
    from _typeshed import DataclassInstance


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


@pytest.mark.parametrize(("gate", "typed"), [
    ("deps", DepsGateSettings), ("migrations", MigrationsGateSettings), ("checklist", ChecklistGateSettings)])
def test_the_other_gates_settings_cover_the_schema_exactly(gate: str, typed: type[DataclassInstance]) -> None:
    assert {f.name for f in dataclasses.fields(typed)} | COMMON_KEYS == _schema_keys(gate=gate)


def test_every_gate_of_the_schema_has_typed_settings_on_config() -> None:
    gates = set(config_schema()["properties"]["gates"]["properties"])
    assert {f.name.removesuffix("_gate") for f in dataclasses.fields(Config) if f.name.endswith("_gate")} == gates


def test_deps_settings_are_parsed_at_load() -> None:
    config = load_config_bytes(
        b"version: 1\ngates:\n  deps:\n    files: requirements/base.txt\n    service: offline\n"
        b"    offline_db: osv\n    timeout: 5\n    unknown_severity: medium\n    require_lock: false\n"
        b"    ignore_vulns: [GHSA-1, CVE-2]\n    max_db_age_days: 7\n", ".readiness.yml")
    assert config.deps_gate == DepsGateSettings(
        files=("requirements/base.txt",), service="offline", offline_db="osv", timeout=5.0,
        unknown_severity=Severity.MEDIUM, require_lock=False, ignore_vulns=frozenset({"GHSA-1", "CVE-2"}),
        max_db_age_days=7)
    assert Config().deps_gate == DepsGateSettings()


def test_migrations_settings_are_parsed_at_load() -> None:
    config = load_config_bytes(
        b"version: 1\ngates:\n  migrations:\n    paths: db/\n    large_tables: {Orders: 5000000, tiny: 10}\n"
        b"    large_table_rows: 1000\n    require_reversible: false\n    replay: 'off'\n"
        b"    postgres_version: 15\n    transactional: true\n", ".readiness.yml")
    settings = config.migrations_gate
    assert settings == MigrationsGateSettings(
        paths=("db/",), large_tables=(("orders", 5_000_000), ("tiny", 10)), large_table_rows=1000,
        require_reversible=False, replay="off", postgres_version=15, transactional=True)
    assert settings.large() == {"orders": 5_000_000}  # under large_table_rows: not large
    named = load_config_bytes(b"version: 1\ngates:\n  migrations:\n    large_tables: [Users]\n", "x.yml")
    assert named.migrations_gate.large() == {"users": None}
    assert Config().migrations_gate == MigrationsGateSettings()
    assert Config().migrations_gate.require_lock_timeout is None and Config().migrations_gate.replay == "auto"


def test_checklist_settings_are_parsed_at_load_and_keep_the_path_as_written() -> None:
    # the gate makes `file` repository-relative when it runs: a disabled gate's path is never an error
    config = load_config_bytes(
        b"version: 1\ngates:\n  checklist:\n    enabled: false\n    file: ../elsewhere.yml\n"
        b"    require: true\n    evidence_fail_on: medium\n", ".readiness.yml")
    assert config.checklist_gate == ChecklistGateSettings(file="../elsewhere.yml", require=True,
                                                          evidence_fail_on=Severity.MEDIUM)


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
