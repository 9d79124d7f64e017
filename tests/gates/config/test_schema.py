"""Schema validation: every error, at the exact line and column, for YAML, JSON and TOML."""

from __future__ import annotations

from pathlib import Path

import pytest
from config_helpers import FIXTURES, located, run_gate, write

from readiness.config import Config
from readiness.errors import ConfigError

SV = "config/schema-violation"
IS = "config/invalid-schema"


@pytest.fixture(autouse=True, params=["fast-then-jsonschema", "jsonschema-only"])
def engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test runs with jsonschema-rs triage (when installed) and with jsonschema alone:
    the findings must be the same."""
    if request.param == "jsonschema-only":
        monkeypatch.setenv("READINESS_JSONSCHEMA_ENGINE", "python")
    else:
        monkeypatch.delenv("READINESS_JSONSCHEMA_ENGINE", raising=False)
    return str(request.param)


def test_yaml_every_error_at_its_line_and_column_multi_document_and_merge_keys() -> None:
    out = run_gate(FIXTURES / "schema-yaml")
    assert located(out, SV) == [
        (SV, "config/service.yaml", 3, 14),   # timeout_s 120 via `<<: *db_defaults`: at the anchor
        (SV, "config/service.yaml", 5, 1),    # service: 'replicas' required -> the `service` key
        (SV, "config/service.yaml", 6, 9),    # name pattern
        (SV, "config/service.yaml", 7, 8),    # env enum
        (SV, "config/service.yaml", 8, 13),   # format: date (timestamps stay strings)
        (SV, "config/service.yaml", 12, 9),   # port maximum, through a cross-file $ref
        (SV, "config/service.yaml", 16, 11),  # endpoints[1].path pattern
        (SV, "config/service.yaml", 17, 13),  # endpoints[1].method enum
        (SV, "config/service.yaml", 18, 5),   # endpoints[2] misses 'path'
        (SV, "config/service.yaml", 19, 9),   # oneOf: best match is the string branch
        (SV, "config/service.yaml", 20, 1),   # additionalProperties: at the extra key
        (SV, "config/service.yaml", 24, 13),  # second document
    ]
    messages = {(f.location.line): f.message for f in out.findings}
    assert "'replicas' is a required property" in messages[5]
    assert "'8080' does not match '^:[0-9]+$'" in messages[19]
    assert "property 'extra_key' is not allowed" in messages[20]
    assert messages[24].startswith("document 2: $.service.replicas")
    items = {i.data["path"]: i.data for i in out.items}
    assert items["config/service.yaml"]["state"] == "invalid"
    assert items["config/service.yaml"]["errors"] == 12
    assert items["config/service-ok.yaml"] == {
        "path": "config/service-ok.yaml", "format": "yaml", "schema": "schemas/service.schema.json",
        "state": "valid", "documents": 1, "errors": 0, "paired_by": "gates.config.schemas[0]"}


def test_json_by_dollar_schema_and_toml_by_config() -> None:
    out = run_gate(FIXTURES / "schema-json-toml")
    assert located(out) == [
        (SV, "config/app.json", 4, 13),
        (SV, "config/app.json", 5, 13),   # format ipv4 (draft-07 schema)
        (SV, "config/app.json", 6, 24),
        (SV, "config/app.json", 7, 5),    # the unexpected key itself
        (SV, "config/app.json", 11, 30),
        (SV, "config/app.toml", 3, 8),
        (SV, "config/app.toml", 5, 15),   # dotted key tls.enabled
        (SV, "config/app.toml", 13, 11),  # second [[workers]] table
    ]


def test_broken_schemas_are_findings_on_the_schema_not_crashes() -> None:
    out = run_gate(FIXTURES / "broken-schema")
    assert located(out) == [
        (IS, "config/d.yaml", 1, 1),
        (IS, "config/f.yaml", 1, 1),
        (IS, "schemas/bad-meta.json", 5, 22),
        (IS, "schemas/bad-meta.json", 6, 45),
        ("config/parse-error", "schemas/not-json.json", 3, 46),
        (IS, "schemas/remote-ref.json", 4, 35),
    ]
    by_path = {f.location.path: f.message for f in out.findings}
    assert "points outside the repository" in by_path["config/d.yaml"]
    assert "never fetched" in by_path["schemas/remote-ref.json"]
    states = {i.data["path"]: i.data["state"] for i in out.items}
    assert states == {
        "config/a.yaml": "schema invalid", "config/b.yaml": "schema invalid",
        "config/c.yaml": "schema invalid", "config/d.yaml": "schema outside the repository",
        "config/e.yaml": "remote schema not fetched", "config/f.yaml": "schema missing",
    }


@pytest.mark.parametrize("key, section", [
    ("schema", "    schemas:\n      - {files: 'config/*.yaml', schema: ../../etc/x.json}\n"),
    ("env_schema", "    env_schema: /etc/passwd\n"),
    ("environments.files", "    environments: {files: '../{env}.yaml', names: [a, b]}\n"),
])
def test_config_paths_outside_the_repository_are_configuration_errors(tmp_path: Path, key: str,
                                                                      section: str) -> None:
    write(tmp_path, {"config/app.yaml": "a: 1\n",
                     ".readiness.yml": "version: 1\ngates:\n  config:\n" + section})
    with pytest.raises(ConfigError) as err:
        run_gate(tmp_path)
    assert key in str(err.value) and "outside the repository" in str(err.value)
    assert err.value.exit_code == 2


def test_schema_with_https_id_finds_relative_refs_in_the_repository(tmp_path: Path) -> None:
    write(tmp_path, {
        "schemas/a.json": ('{"$schema": "https://json-schema.org/draft/2020-12/schema",'
                           ' "$id": "https://example.com/schemas/a.json",'
                           ' "properties": {"port": {"$ref": "b.json#/$defs/port"}}}'),
        "schemas/b.json": '{"$defs": {"port": {"type": "integer"}}}',
        "config/app.yaml": "# yaml-language-server: $schema=../schemas/a.json\nport: http\n",
    })
    out = run_gate(tmp_path)
    assert located(out) == [(SV, "config/app.yaml", 2, 7)]


@pytest.mark.parametrize("draft, ok", [
    ("http://json-schema.org/draft-04/schema#", True),
    ("http://json-schema.org/draft-07/schema#", True),
    ("https://json-schema.org/draft/2019-09/schema", True),
])
def test_drafts_follow_dollar_schema(tmp_path: Path, draft: str, ok: bool) -> None:
    # exclusiveMaximum is a boolean in draft 4 and a number later
    excl = "true, \"maximum\": 10" if "draft-04" in draft else "10"
    write(tmp_path, {
        "schemas/s.json": f'{{"$schema": "{draft}", "properties": {{"n": {{"exclusiveMaximum": {excl}}}}}}}',
        "config/app.yaml": "# yaml-language-server: $schema=../schemas/s.json\nn: 10\n",
    })
    out = run_gate(tmp_path)
    assert located(out) == [(SV, "config/app.yaml", 2, 4)]


def test_format_checking_is_on_and_validators_are_compiled_once(tmp_path: Path, engine: str) -> None:
    files: dict[str, str | bytes] = {
        "schemas/s.json": '{"properties": {"mail": {"type": "string", "format": "email"}}}',
        ".readiness.yml": ("version: 1\ngates:\n  config:\n"
                           "    schemas: [{files: 'config/*.yaml', schema: schemas/s.json}]\n"),
    }
    files.update({f"config/f{i}.yaml": f"mail: {'x' if i % 2 else 'a@b.c'}\n" for i in range(10)})
    write(tmp_path, files)
    from readiness.config import load_config
    from readiness.gates.base import GateContext
    from readiness.gates.config import files as config_files
    from readiness.gates.config.gate import GATE
    from readiness.workspace import Workspace

    made: list[config_files.ConfigFiles] = []
    real = config_files.ConfigFiles.__post_init__

    def record(self: config_files.ConfigFiles) -> None:
        real(self)
        made.append(self)

    cfg = load_config(tmp_path / ".readiness.yml")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(config_files.ConfigFiles, "__post_init__", record)
        out = GATE.run(GateContext(workspace=Workspace(tmp_path), config=cfg))
    assert [r[1] for r in located(out)] == [f"config/f{i}.yaml" for i in (1, 3, 5, 7, 9)]
    (cache,) = made
    assert list(cache.book._compiled) == ["schemas/s.json"]
    compiled = cache.book._compiled["schemas/s.json"]
    assert compiled is not None
    if engine == "jsonschema-only":
        assert compiled.fast is None
    else:
        pytest.importorskip("jsonschema_rs", reason="jsonschema-rs not installed: jsonschema alone is used")
        assert compiled.fast is not None


def test_secret_values_are_not_echoed_in_schema_messages(tmp_path: Path) -> None:
    secret = "hunter2-" + "Zq9LmW"
    write(tmp_path, {
        "schemas/s.json": '{"properties": {"password": {"type": "string", "pattern": "^\\\\$\\\\{"}}}',
        "config/app.yaml": f"# yaml-language-server: $schema=../schemas/s.json\npassword: {secret}\n",
    })
    out = run_gate(tmp_path)
    assert {r[0] for r in located(out)} == {SV, "config/plaintext-secret"}
    assert all(secret not in f.message for f in out.findings)


def test_no_config_files_means_skipped(tmp_path: Path) -> None:
    write(tmp_path, {"README.md": "# x\n"})
    out = run_gate(tmp_path, Config())
    assert out.skipped is not None and not out.findings
