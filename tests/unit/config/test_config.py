"""`.readiness.yml` loading: validation against the shipped schema with file:line errors."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from readiness.config import config_schema, load_config
from readiness.errors import ConfigError
from readiness.model import FailOn, Severity


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / ".readiness.yml"
    p.write_text(text, encoding="utf-8")
    return p


def test_absent_config_is_defaults() -> None:
    cfg = load_config(None)
    assert cfg.fail_on is FailOn.CRITICAL and cfg.source is None and cfg.enabled("migrations")


def test_full_config_from_design_loads(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, """\
version: 1
fail_on: high
gates:
  migrations: {paths: [db/migrations], dialect: postgres, large_tables: [events], require_reversible: true, scope: new}
  deps:       {files: [requirements.txt], service: offline, offline_db: osv, scope: introduced, on_error: fail}
  config:     {schemas: [{files: "config/*.yaml", schema: schemas/app.schema.json}],
               environments: {files: "config/{env}.yaml", names: [staging, production]},
               env_example: .env.example, env_schema: schemas/env.schema.json}
  docs:       {require: [RUNBOOK.md, docs/adr/], adr_dir: docs/adr, alert_rules: ["monitoring/**/*.yml"],
               when_changed: [{paths: ["db/migrations/**"], require_touch: ["docs/runbooks/**"]}]}
severity_overrides:
  migrations/rename-column: critical
waivers:
  - {rule: migrations/drop-column, path: db/migrations/0031_drop_legacy.sql,
     reason: "backup verified in OPS-123", expires: 2026-12-31}
"""), display=".readiness.yml")
    assert cfg.fail_on is FailOn.HIGH
    assert cfg.gate("migrations")["large_tables"] == ["events"]
    assert cfg.severity_overrides == {"migrations/rename-column": Severity.CRITICAL}
    (w,) = cfg.waivers
    assert w.expires == date(2026, 12, 31) and w.reason.startswith("backup")
    assert w.location.line == 14 and w.location.path == ".readiness.yml"


@pytest.mark.parametrize(("text", "line", "needle"), [
    ("version: 1\nfail_on: sometimes\n", 2, "fail_on"),
    ("version: 1\ngates:\n  migrations:\n    pathz: [x]\n", 4, "unknown key 'pathz'"),
    ("version: 1\nbogus: true\n", 2, "unknown key at top level"),
    ("version: 1\nfail_onn: high\n", 2, "unknown key 'fail_onn' (did you mean 'fail_on'?)"),
    ("gates:\n  deps:\n    service: magic\n", 3, "gates.deps.service"),
    ("fail_on: high\nfail_on: low\n", 2, "duplicate key"),
    ("gates: [\n", 2, "YAML syntax error"),
    ("waivers:\n  - {rule: NotAnId, reason: x}\n", 2, "waivers[0].rule"),
    # YAML 1.1 reads an unquoted off/on as a boolean: the message says how to write the word
    ("gates:\n  migrations:\n    replay: off\n", 3, 'YAML reads an unquoted off as a boolean: write "off"'),
    ("gates:\n  migrations:\n    replay: yes\n", 3, 'YAML reads an unquoted on as a boolean: write "on"'),
])
def test_invalid_config_names_file_and_line(tmp_path: Path, text: str, line: int, needle: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, text), display=".readiness.yml")
    assert err.value.line == line
    assert needle in err.value.diagnostics()
    assert err.value.diagnostics().startswith(f"configuration error: .readiness.yml:{line}")


def test_alias_bomb_in_config_is_refused(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join(['*a' + str(i - 1)] * 10)}]" for i in range(1, 9)]
    with pytest.raises(ConfigError, match="too many nodes"):
        load_config(write(tmp_path, "\n".join(lines) + "\n"))


def test_schema_is_valid_draft_2020_12() -> None:
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(config_schema())
