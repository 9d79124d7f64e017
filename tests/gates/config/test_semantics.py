"""Standard JSON Schema semantics: every `format` the draft defines, ECMA-262 patterns, every draft
jsonschema supports (draft-03 included), and what cannot be judged reported plainly."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from pathlib import Path

import pytest
from config_helpers import located, run_gate, write

SV = "config/schema-violation"
IS = "config/invalid-schema"
US = "config/unsupported-schema"
D2020 = "https://json-schema.org/draft/2020-12/schema"


@pytest.fixture(autouse=True, params=["fast-then-jsonschema", "jsonschema-only"])
def engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both paths must give the same findings: the fast engine's triage and jsonschema alone."""
    if request.param == "jsonschema-only":
        monkeypatch.setenv("READINESS_JSONSCHEMA_ENGINE", "python")
    else:
        monkeypatch.delenv("READINESS_JSONSCHEMA_ENGINE", raising=False)
    return str(request.param)


def _repo(tmp_path: Path, schema: Mapping[str, object], config: str, name: str = "config/app.yaml") -> Path:
    return write(tmp_path, {
        "schemas/s.json": json.dumps(schema),
        name: "# yaml-language-server: $schema=../schemas/s.json\n" + config,
    })


FORMATS = [  # (format, valid value, invalid value)
    ("date-time", "2024-05-01T10:00:00Z", "2024-05-01 10:00"),
    ("date", "2024-02-29", "2023-02-29"),
    ("time", "10:00:00+02:00", "25:00:00Z"),
    ("duration", "P1DT2H", "1 day"),
    ("email", "ops@example.com", "ops at example"),
    ("hostname", "db-1.internal", "-bad-.example"),
    ("ipv4", "10.0.0.1", "10.0.0.256"),
    ("ipv6", "::1", "::1::"),
    ("uri", "https://example.com/a?b=c", "not a uri"),
    ("uri-reference", "../a/b#c", "\\\\server\\share"),
    ("iri", "https://例え.jp/パス", "//no-scheme"),
    ("iri-reference", "/パス", "\\\\x"),
    ("uri-template", "https://example.com/{id}", "https://example.com/{id"),
    ("json-pointer", "/a/b~1c", "a/b"),
    ("relative-json-pointer", "0/a", "/a"),
    ("uuid", "2eb8aa08-aa98-11ea-b4aa-73b441d16380", "2eb8aa08aa9811eab4aa73b441d16380x"),
    ("regex", "^\\p{L}+$", "(?P<n>x)"),
]


@pytest.mark.parametrize(("fmt", "good", "bad"), FORMATS, ids=[f[0] for f in FORMATS])
def test_every_format_of_the_draft_is_asserted(tmp_path: Path, fmt: str, good: str, bad: str) -> None:
    _repo(tmp_path, {"$schema": D2020, "properties": {"ok": {"format": fmt}, "ko": {"format": fmt}}},
          f"ok: {json.dumps(good)}\nko: {json.dumps(bad)}\n")
    out = run_gate(tmp_path)
    assert located(out) == [(SV, "config/app.yaml", 3, 5)], [f.message for f in out.findings]
    assert f"is not a '{fmt}'" in out.findings[0].message


def test_a_format_the_draft_does_not_define_is_not_asserted(tmp_path: Path) -> None:
    # draft-04 defines no `date` and no `uuid`; a custom format is never asserted
    _repo(tmp_path, {"$schema": "http://json-schema.org/draft-04/schema#",
                     "properties": {"a": {"format": "date"}, "b": {"format": "uuid"},
                                    "c": {"format": "my-own"}, "d": {"format": "uri"}}},
          "a: never\nb: nope\nc: whatever\nd: not a uri\n")
    assert located(run_gate(tmp_path)) == [(SV, "config/app.yaml", 5, 4)]


@pytest.mark.parametrize(("value", "ok"), [
    ("héllo", True), ("Ωmega", True), ("abc1", False), ("abc\n", False),
])
def test_pattern_is_ecma_262_unicode_classes_and_dollar(tmp_path: Path, value: str, ok: bool) -> None:
    _repo(tmp_path, {"$schema": D2020, "properties": {"name": {"pattern": "^\\p{L}+$"}}},
          f"name: {json.dumps(value)}\n")
    out = run_gate(tmp_path)
    assert located(out) == ([] if ok else [(SV, "config/app.yaml", 2, 7)])


def test_digit_and_word_classes_are_ascii_as_in_javascript(tmp_path: Path) -> None:
    _repo(tmp_path, {"$schema": D2020, "properties": {"n": {"pattern": "^\\d+$"}, "w": {"pattern": "^\\w+$"}},
                     "patternProperties": {"^x-\\d$": {"type": "integer"}}},
          "n: \"١٢٣\"\nw: héllo\nx-1: one\nx-١: one\n")
    # Python's `re` would accept all three; ECMA-262 \d and \w are ASCII, so x-١ is not matched
    assert located(run_gate(tmp_path)) == [(SV, "config/app.yaml", 2, 4), (SV, "config/app.yaml", 3, 4),
                                           (SV, "config/app.yaml", 4, 6)]


def test_pattern_properties_and_additional_properties_use_ecma_patterns(tmp_path: Path) -> None:
    _repo(tmp_path, {"$schema": D2020, "additionalProperties": False,
                     "patternProperties": {"^\\p{Lu}[a-z]+$": {"type": "string"}}},
          "Name: x\nÉcole: y\nname: z\n")
    out = run_gate(tmp_path)
    assert located(out) == [(SV, "config/app.yaml", 4, 1)]
    assert "'name' is not allowed" in out.findings[0].message


@pytest.mark.parametrize("pattern", ["(?P<name>x)", "[a-z", "\\Z$", "x{2,1}", "(?i)abc"])
def test_an_invalid_pattern_is_a_finding_on_the_schema(tmp_path: Path, pattern: str) -> None:
    _repo(tmp_path, {"$schema": D2020, "properties": {"name": {"type": "string", "pattern": pattern}}}, "name: x\n")
    out = run_gate(tmp_path)
    assert [r[:2] for r in located(out)] == [(IS, "schemas/s.json")]
    assert "is not an ECMA-262 regular expression" in out.findings[0].message


def test_escaped_punctuation_is_a_valid_pattern_as_in_schemastore_schemas(tmp_path: Path) -> None:
    _repo(tmp_path, {"$schema": D2020, "properties": {"v": {"pattern": "^[^\\/~\\^\\: \\[\\]\\\\]+\\-x$"}}},
          "v: ab-x\n")
    assert located(run_gate(tmp_path)) == []


def test_catastrophic_pattern_from_the_pr_is_bounded(tmp_path: Path) -> None:
    _repo(tmp_path, {"$schema": D2020, "properties": {"v": {"pattern": "^(a|a)*$"}, "w": {"pattern": "^(a+)+$"}}},
          f"v: {'a' * 5000}!\nw: {'a' * 5000}!\n")
    started = time.monotonic()
    out = run_gate(tmp_path)
    assert time.monotonic() - started < 5
    assert located(out) == [(SV, "config/app.yaml", 2, 4), (SV, "config/app.yaml", 3, 4)]


@pytest.mark.parametrize("pattern", ["a{4294967296}", "^(?<y>\\d{4})-\\k<y>$", "^[^]$"])
def test_a_valid_pattern_the_matcher_cannot_run_is_reported_and_the_rest_validated(tmp_path: Path,
                                                                                 pattern: str) -> None:
    _repo(tmp_path, {"$schema": D2020, "properties": {"v": {"pattern": pattern}, "n": {"type": "integer"}}},
          "v: anything\nn: text\n")
    out = run_gate(tmp_path)
    assert [r[:3] for r in located(out)] == [(SV, "config/app.yaml", 3), (US, "schemas/s.json", 1)]
    assert "is not evaluated" in [f for f in out.findings if f.rule == US][0].message


def test_draft_03_is_validated_with_its_own_rules(tmp_path: Path) -> None:
    schema = {"$schema": "http://json-schema.org/draft-03/schema#", "type": "object",
              "properties": {"name": {"type": "string", "required": True},
                             "port": {"type": "integer", "divisibleBy": 2},
                             "color": {"type": "string", "format": "color"},
                             "host": {"type": "string", "format": "host-name"}}}
    _repo(tmp_path, schema, "port: 3\ncolor: blurple\nhost: -x-\n")
    out = run_gate(tmp_path)
    assert located(out) == [(SV, "config/app.yaml", 2, 1), (SV, "config/app.yaml", 2, 7),
                            (SV, "config/app.yaml", 3, 8), (SV, "config/app.yaml", 4, 7)]
    assert "'name' is a required property" in out.findings[0].message
    assert {i.data["path"]: i.data["state"] for i in out.items}["config/app.yaml"] == "invalid"


def test_a_draft_03_schema_file_is_checked_against_its_metaschema(tmp_path: Path) -> None:
    write(tmp_path, {"config/s.schema.json": json.dumps({
        "$schema": "http://json-schema.org/draft-03/schema#", "properties": {"a": {"required": "yes"}}})})
    out = run_gate(tmp_path)
    assert [r[:2] for r in located(out)] == [(IS, "config/s.schema.json")]
    assert "Not a valid draft-03 schema" in out.findings[0].message


def test_an_unknown_dialect_is_validated_as_2020_12_and_said_so(tmp_path: Path) -> None:
    _repo(tmp_path, {"$schema": "https://example.com/dialect", "properties": {"n": {"type": "integer"}}},
          "n: text\n")
    out = run_gate(tmp_path)
    assert located(out) == [(SV, "config/app.yaml", 2, 4), (US, "schemas/s.json", 1, 13)]
    assert "validated as draft 2020-12" in out.findings[1].message


def test_env_schema_pattern_properties_are_ecma_and_bounded(tmp_path: Path) -> None:
    write(tmp_path, {
        "env.schema.json": json.dumps({"type": "object", "properties": {"PORT": {"type": "integer"}},
                                       "patternProperties": {"^FEATURE_\\p{Lu}+$": {"type": "string"},
                                                             "^(a|a)*$": {"type": "string"}}}),
        ".env.example": "PORT=8080\nFEATURE_X=1\nFEATURE_1=1\n" + "a" * 3000 + "!=1\n",
    })
    started = time.monotonic()
    out = run_gate(tmp_path)
    assert time.monotonic() - started < 5
    assert [r[:3] for r in located(out)] == [("config/env-unknown-variable", ".env.example", 3),
                                             ("config/env-unknown-variable", ".env.example", 4)]


def test_toml_dates_and_times_are_rfc_3339_strings(tmp_path: Path) -> None:
    schema = {"$schema": D2020, "properties": {
        "released": {"type": "string", "format": "date-time"}, "local": {"type": "string", "format": "date-time"},
        "day": {"type": "string", "format": "date"}, "at": {"type": "string", "format": "time"},
        "wrong": {"type": "string", "format": "date"}}}
    write(tmp_path, {
        "schemas/s.json": json.dumps(schema),
        "config/app.toml": ('#:schema ../schemas/s.json\nreleased = 1979-05-27T07:32:00-08:00\n'
                            'local = 1979-05-27T07:32:00\nday = 1979-05-27\nat = 07:32:00\n'
                            'wrong = 1979-05-27T07:32:00Z\n'),
        ".readiness.yml": ("version: 1\ngates:\n  config:\n"
                           "    schemas: [{files: config/app.toml, schema: schemas/s.json}]\n"),
    })
    out = run_gate(tmp_path)
    assert located(out) == [(SV, "config/app.toml", 6, 9)]
    assert "'1979-05-27T07:32:00+00:00' is not a 'date'" in out.findings[0].message
    assert "datetime" not in out.findings[0].message
