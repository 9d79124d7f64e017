"""Discovery without configuration: dotenv files anywhere (with the env schema nearest to them),
configs beside `X.schema.json`, configs that name a schema in the repository - and the report says
what was found and how it was paired."""

from __future__ import annotations

import json
from pathlib import Path

from config_helpers import located, run_gate, write

SV = "config/schema-violation"
ENV_SCHEMA = json.dumps({"type": "object", "required": ["DATABASE_URL", "SECRET_KEY"],
                         "properties": {"DATABASE_URL": {"type": "string"}, "SECRET_KEY": {"type": "string"},
                                        "PORT": {"type": "integer"}}})
GH = "ghp_" + "a1B2c3D4e5F6g7H8i9J0" * 2


def _items(out: object) -> dict[str, dict[str, object]]:
    return {i.data["path"]: i.data for i in out.items}  # type: ignore[attr-defined]


def test_dotenv_files_below_the_root_and_other_names_are_found_and_paired(tmp_path: Path) -> None:
    write(tmp_path, {
        "env.schema.json": ENV_SCHEMA,
        "docker/.env.example": "DATABASE_URL=postgres://db/app\nPORT=eighty\n",
        "sample.env": "DATABASE_URL=x\nSECRET_KEY=\n",
        "services/api/.env.sample": "DATABASE_URL=x\nSECRET_KEY=\n",
        "services/api/env.schema.json": json.dumps({"type": "object", "required": ["API_TOKEN"],
                                                    "properties": {"API_TOKEN": {}}}),
        "web/.env.production": "SECRET_KEY=x\n",
        "web/.env.schema.json": json.dumps({"required": ["DATABASE_URL"], "properties": {"SECRET_KEY": {}}}),
        "web/.env.d.ts": "declare const x: string\n",
    })
    out = run_gate(tmp_path)
    assert located(out) == [
        ("config/env-missing-required", "docker/.env.example", None, None),   # SECRET_KEY
        ("config/env-invalid-value", "docker/.env.example", 2, 6),             # PORT=eighty
        ("config/env-missing-required", "services/api/.env.sample", None, None),  # API_TOKEN, nearest schema
        ("config/env-unknown-variable", "services/api/.env.sample", 1, 1),
        ("config/env-unknown-variable", "services/api/.env.sample", 2, 1),
        ("config/env-missing-required", "web/.env.production", None, None),   # DATABASE_URL (web/.env.schema.json)
    ]
    items = _items(out)
    assert set(items) == {"docker/.env.example", "sample.env", "services/api/.env.sample", "web/.env.production"}
    assert items["docker/.env.example"]["schema"] == "env.schema.json"
    assert items["docker/.env.example"]["paired_by"] == "nearest env schema"
    assert items["services/api/.env.sample"]["schema"] == "services/api/env.schema.json"
    assert items["web/.env.production"]["schema"] == "web/.env.schema.json"
    assert items["sample.env"]["state"] == "valid"


def test_example_files_may_hold_dev_defaults_but_not_credentials(tmp_path: Path) -> None:
    write(tmp_path, {
        ".env.example": ("DATABASE_URL=postgres://postgres:postgres@localhost:5432/app\n"
                         "DB_PASSWORD=secret123\nJWT_SECRET=my-local-jwt-secret\n"
                         f"GITHUB_TOKEN={GH}\n"),
        ".env": "DB_PASSWORD=secret123\n",
    })
    out = run_gate(tmp_path)
    # the example file's dev defaults are examples; a real token is not. A committed .env is not an example.
    assert [(f.rule, f.location.path, f.location.line) for f in out.findings] == [
        ("config/plaintext-secret", ".env", 1),
        ("config/committed-credential", ".env.example", 4),
    ]


def test_a_config_beside_its_schema_is_validated_anywhere(tmp_path: Path) -> None:
    write(tmp_path, {
        "charts/api/values.yaml": "replicas: two\nimage: {tag: v1}\n",
        "charts/api/values.schema.json": json.dumps({"properties": {"replicas": {"type": "integer"}}}),
        "charts/web/values.yaml": "replicas: 2\n",
        "charts/web/values.schema.json": json.dumps({"properties": {"replicas": {"type": "integer"}}}),
        "tools/lint.json": '{"rules": 1}',
        "tools/lint.schema.yaml": "properties:\n  rules: {type: object}\n",
    })
    out = run_gate(tmp_path)
    assert located(out) == [(SV, "charts/api/values.yaml", 1, 11), (SV, "tools/lint.json", 1, 11)]
    items = _items(out)
    assert items["charts/web/values.yaml"]["state"] == "valid"
    assert items["charts/web/values.yaml"]["paired_by"] == "beside it (values.schema.json)"
    assert "charts/web/values.schema.json" not in items   # a schema is not a config
    assert out.extra["paired"] == {"beside it": 3}


def test_a_config_naming_a_schema_in_the_repository_is_validated_anywhere(tmp_path: Path) -> None:
    schema = json.dumps({"properties": {"port": {"type": "integer"}}})
    write(tmp_path, {
        "schemas/svc.json": schema,
        "deploy/svc.json": '{"$schema": "../schemas/svc.json", "port": "http"}',
        "deploy/svc.yaml": "# yaml-language-server: $schema=../schemas/svc.json\nport: http\n",
        "deploy/svc.toml": "#:schema ../schemas/svc.json\nport = \"http\"\n",
        "package.json": '{"$schema": "https://json.schemastore.org/package.json", "name": "x"}',
        "biome.json": '{"$schema": "./node_modules/@biomejs/biome/configuration_schema.json"}',
        "other/data.yaml": "title: mentions $schema in prose only\n",
    })
    out = run_gate(tmp_path)
    assert located(out) == [(SV, "deploy/svc.json", 1, 44), (SV, "deploy/svc.toml", 2, 8),
                            (SV, "deploy/svc.yaml", 2, 7)]
    items = _items(out)
    assert set(items) == {"deploy/svc.json", "deploy/svc.toml", "deploy/svc.yaml"}   # remote/missing: not adopted
    assert items["deploy/svc.json"]["paired_by"] == "$schema"
    assert items["deploy/svc.yaml"]["paired_by"] == "modeline"
    assert out.extra["paired"] == {"$schema": 1, "modeline": 2}


def test_configured_files_turn_repository_wide_discovery_off(tmp_path: Path) -> None:
    write(tmp_path, {
        ".readiness.yml": "version: 1\ngates:\n  config:\n    files: ['conf/*.yaml']\n",
        "conf/a.yaml": "a: 1\n",
        "charts/api/values.yaml": "replicas: two\n",
        "charts/api/values.schema.json": json.dumps({"properties": {"replicas": {"type": "integer"}}}),
    })
    out = run_gate(tmp_path)
    assert located(out) == [] and set(_items(out)) == {"conf/a.yaml"}


def test_a_link_to_an_uncommitted_env_file_is_not_a_finding(tmp_path: Path) -> None:
    write(tmp_path, {"apps/web/README.md": "x\n"})
    (tmp_path / "apps/web/.env").symlink_to("../../.env")   # the root .env is each developer's, not committed
    out = run_gate(tmp_path)
    assert out.findings == []
    assert _items(out)["apps/web/.env"]["state"] == "link to a file not in the repository"


def test_test_and_development_env_files_report_only_credentials(tmp_path: Path) -> None:
    write(tmp_path, {
        ".env.test": ("DATABASE_URL=postgres://user:pass@127.0.0.1:5432/app_test\nGOOGLE_CLIENT_SECRET=123\n"
                      "SECRET_KEY=F0E5AD933D7F6FD8F4DBB3E038C501C052DC0593C686D21ACB30AE205D2F634B\n"
                      f"GITHUB_TOKEN={GH}\n"),
        ".env.development": "DATABASE_URL=postgres://user:pass@127.0.0.1:5432/app\n",
    })
    assert [(f.rule, f.location.path, f.location.line) for f in run_gate(tmp_path).findings] == [
        ("config/committed-credential", ".env.test", 4)]


def test_example_values_written_as_words_are_not_secrets(tmp_path: Path) -> None:
    write(tmp_path, {
        ".env.example": ("DATA_ENCRYPTION_KEY=data encryption key with 32 char\n"
                         "AWS_SECRET_ACCESS_KEY=get_the_secret_of_above_key\n"
                         'E2E_USER_PASSWORD="test_Password123"\n'
                         "SESSION_SECRET=Xk9mQ2vL8pZr4TwBnJ7c\n"),       # machine-random: a real one
        "config/app.yaml": ('db:\n  password: "fixme-postgres-password"\n'
                            'jwt:\n  secret: "CHANGE-THIS! VERY IMPORTANT!"\n'),
    })
    assert [(f.rule, f.location.path, f.location.line) for f in run_gate(tmp_path).findings] == [
        ("config/plaintext-secret", ".env.example", 4)]
