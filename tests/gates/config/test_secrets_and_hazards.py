"""Plaintext secrets (never echoed) and hostile or broken inputs, which become findings."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import pytest
from config_helpers import located, run_gate, write
from hypothesis import given, settings
from hypothesis import strategies as st

from readiness.config import Config
from readiness.gates.config import secrets
from readiness.model import Confidence

PS = "config/plaintext-secret"
CC = "config/committed-credential"
PE = "config/parse-error"

# secret-shaped values are assembled at run time so that no scanner flags this repository
AWS = "AKIA" + "Q3EGRZ7XKD2MPLWN"
GH = "ghp_" + "a1B2c3D4e5F6g7H8i9J0" * 2
SLACK = "xoxb-" + "2948571630-5817264930-aZ8kQ2mL9nP4rT7vW1yB3xC6"
JWT = "eyJ" + "hbGciOiJIUzI1NiJ9" + ".eyJ" + "zdWIiOiIxMjM0NTY3ODkwIn0" + ".dozjgNryP4J3jVmNHl0w5N"
PEM = "-----BEGIN " + "RSA PRIVATE KEY-----"
STRIPE = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"


def test_secrets_by_shape_and_key_name_with_placeholders_passing(tmp_path: Path) -> None:
    write(tmp_path, {"config/app.yaml": "\n".join([
        "aws:",
        f"  access_key_id: {AWS}",                      # 2
        f"github_token: {GH}",                          # 3
        f"notify: {{webhook: '{SLACK}'}}",              # 4
        f"session: {JWT}",                              # 5
        "tls:",
        "  key: |",
        f"    {PEM}",                                   # 7 (value starts at the block scalar)
        "    MIIEowIBAAKCAQEAx9",
        "database:",
        "  password: hunter2-Prod",                     # 11
        "  url: postgres://app:s3cr3t-pw@db:5432/app",  # 12
        "  replica_url: postgres://app:${DB_PASSWORD}@db/app",
        "placeholders:",
        "  password: ${DB_PASSWORD}",
        "  api_key: '{{ api_key }}'",
        "  client_secret: <secret>",
        "  token: changeme",
        "  secret: xxxxxxxx",
        "  auth_token: REPLACE_ME",
        "  private_key: ''",
        "  signing_key: vault:secret/data/app#key",
        "  password_file: /run/secrets/db",
        "  token_ttl: 30m",
        "  secret_name: app-credentials",
        f"  allowed_token: {GH}  # pragma: allowlist secret",
        "",
    ])})
    out = run_gate(tmp_path)
    marked = [f for f in out.findings if f.waiver is not None]  # detect-secrets' marker: an inline waiver
    assert [(f.location.line, f.waiver.source if f.waiver else None) for f in marked] == [(26, "inline")]
    out = replace(out, findings=[f for f in out.findings if f.waiver is None])
    assert located(out) == [
        (CC, "config/app.yaml", 2, 18),
        (CC, "config/app.yaml", 3, 15),
        (CC, "config/app.yaml", 4, 19),
        (PS, "config/app.yaml", 5, 10),   # a JWT: often a public example or anon key, so high
        (CC, "config/app.yaml", 7, 8),
        (PS, "config/app.yaml", 11, 13),
        (PS, "config/app.yaml", 12, 8),
    ]
    assert {f.severity.value for f in out.findings if f.rule == CC} == {"critical"}
    assert {f.severity.value for f in out.findings if f.rule == PS} == {"high"}
    text = " ".join(f.message for f in out.findings)
    for value in (AWS, GH, SLACK, JWT, "hunter2-Prod", "s3cr3t-pw", "MIIEowIBAAKCAQEAx9"):
        assert value not in text and value[4:12] not in text
    assert "AWS access key id: AKIA…" in text
    by_line = {f.location.line: f for f in out.findings}
    assert by_line[2].confidence is Confidence.CERTAIN
    assert by_line[11].confidence is Confidence.HEURISTIC
    assert "literal value of key 'password': hun…" in by_line[11].message
    assert by_line[2].fingerprint != by_line[3].fingerprint


def test_secrets_in_dotenv_files_and_json(tmp_path: Path) -> None:
    write(tmp_path, {
        ".env.example": f"API_KEY=\nGITHUB_TOKEN={GH}\nDB_PASSWORD=changeme\nSTRIPE_KEY={STRIPE}\n",
        "config/app.json": f'{{\n  "slack": {{"token": "{SLACK}"}}\n}}\n',
    })
    out = run_gate(tmp_path)
    assert located(out) == [
        (CC, ".env.example", 2, 14),
        (CC, ".env.example", 4, 12),
        (CC, "config/app.json", 2, 22),
    ]


@pytest.mark.parametrize("value", [
    "AKIA" + "IOSFODNN7EXAMPLE",                       # AWS's documented example key id
    "ghp_" + "x" * 36,
    "sk_live_" + "0" * 24,
    "-----BEGIN " + "PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----",
    "-----BEGIN " + "RSA PRIVATE KEY-----",
])
def test_documentation_stand_ins_are_not_credentials(tmp_path: Path, value: str) -> None:
    write(tmp_path, {"config/app.yaml": f"example: {json.dumps(value)}\n"})
    assert [r[0] for r in located(run_gate(tmp_path))] == []


@pytest.mark.parametrize(("value", "kind"), [
    ("glpat-" + "Zx8Kq2Lm9Np4Rt7Vw1Yb", "GitLab token"),
    ("npm_" + "a8Kd92LmQp4Rt7Vw1YbZx3Nc5Ue6Hg0Jf2Si", "npm token"),
    ("AIza" + "SyD8Kq2Lm9Np4Rt7Vw1YbZx3Nc5Ue6Hg0Jf", "Google API key"),
    ("https://hooks.slack.com/services/" + "T0ABCDEFG/B0ABCDEFG/Zx8Kq2Lm9Np4Rt7Vw1Yb", "Slack webhook"),
])
def test_provider_credential_formats_are_critical(tmp_path: Path, value: str, kind: str) -> None:
    write(tmp_path, {"config/app.yaml": f"notify: {value}\n"})
    out = run_gate(tmp_path)
    assert [(f.rule, f.severity.value) for f in out.findings] == [(CC, "critical")]
    assert kind in out.findings[0].message and value[8:] not in out.findings[0].message


def test_secret_scan_can_be_switched_off(tmp_path: Path) -> None:
    write(tmp_path, {"config/app.yaml": "password: hunter2-Prod\n",
                     ".readiness.yml": "version: 1\ngates:\n  config:\n    secrets: false\n"})
    assert located(run_gate(tmp_path)) == []


@pytest.mark.parametrize("key, secret", [
    ("password", True), ("DB_PASSWORD", True), ("clientSecret", True), ("api-key", True),
    ("privateKey", True), ("token", True), ("token_ttl", False), ("secret_name", False),
    ("password_file", False), ("keyboard", False), ("primary_key", False), ("passport", False),
])
def test_secret_key_names(key: str, secret: bool) -> None:
    assert secrets.is_secret_key(key) is secret


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.sampled_from([
    "-----BEGIN RSA PRIVATE KEY-----", "AKIA", "ASIA", "ghp_", "github_pat_", "xoxb-", "sk_live_", "rk_live_", "AIza",
    "eyJ", ".", "glpat-", "glcbt-", "npm_", "pypi-AgE", "https://hooks.slack.com/services/T0A/B0A/", "SG.", "sk-",
    "sk-ant-api03-", "T3BlbkFJ", "dop_v1_", "shpat_", "Authorization: Bearer ", "AUTHORIZATION:token ", "x",
    "Zx8Kq2Lm9Np4Rt7Vw1Yb", "0123456789abcdef0123456789abcdef", "_", "-", " ", "\n", "K",
]), max_size=12).map("".join))
def test_the_shape_hints_never_hide_a_shape(value: str) -> None:
    # check_value runs the joined shape patterns only over values holding one of the hints
    shaped = any(pattern.search(value) for _, pattern in secrets.SHAPES)
    assert secrets._hinted(value) or not shaped


def test_redaction_never_shows_more_than_a_quarter() -> None:
    assert secrets.redact("hunter2") == "h…"
    assert secrets.redact(AWS) == "AKIA…"
    assert secrets.redact("abc") == "…"


def test_duplicate_keys_and_syntax_errors_at_their_lines(tmp_path: Path) -> None:
    write(tmp_path, {
        "config/dup.yaml": "a: 1\nb:\n  c: 1\n  c: 2\n---\nd: 1\nd: 2\n",
        "config/dup.json": '{\n  "a": 1,\n  "a": 2\n}\n',
        "config/broken.yaml": "a: 1\nb: [1, 2\nc: 3\n",
        "config/broken.json": '{"a": 1,}\n',
        "config/broken.toml": "a = 1\nb = \n",
    })
    out = run_gate(tmp_path)
    assert located(out) == [
        (PE, "config/broken.json", 1, 9),
        (PE, "config/broken.toml", 2, 5),
        (PE, "config/broken.yaml", 3, 2),
        ("config/duplicate-key", "config/dup.json", 3, 3),
        ("config/duplicate-key", "config/dup.yaml", 4, 3),
        ("config/duplicate-key", "config/dup.yaml", 7, 1),
    ]
    dup = [f for f in out.findings if f.location.path == "config/dup.yaml"]
    assert dup[0].message.startswith("Key 'b.c' (document 1) is written twice (first at line 3)")


def test_duplicate_inside_an_anchor_is_reported_once(tmp_path: Path) -> None:
    write(tmp_path, {"config/a.yaml": "base: &b\n  x: 1\n  x: 2\none: *b\ntwo:\n  <<: *b\n"})
    assert located(run_gate(tmp_path)) == [("config/duplicate-key", "config/a.yaml", 3, 3)]


def test_hostile_inputs_become_findings(tmp_path: Path) -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True))
    write(tmp_path, {
        "config/bomb.yaml": bomb,
        "config/recursive.yaml": "a: &a [*a]\n",
        "config/binary.yaml": b"a: 1\n\x00\x01\x02",
        "config/latin1.yaml": "name: caf\xe9\n".encode("latin-1"),
        "config/huge.yaml": "a: " + "x" * 5000 + "\n",
        "config/ok.yaml": "a: 1\n",
    })
    os.symlink("/etc/passwd", tmp_path / "config" / "escape.yaml")
    out = run_gate(tmp_path, Config(max_file_bytes=4096))
    assert located(out) == [
        ("config/unreadable-file", "config/binary.yaml", None, None),
        (PE, "config/bomb.yaml", 1, 14),
        ("config/unreadable-file", "config/escape.yaml", None, None),
        ("config/unreadable-file", "config/huge.yaml", None, None),
        ("config/unreadable-file", "config/latin1.yaml", None, None),
        (PE, "config/recursive.yaml", 1, 4),
    ]
    msgs = {f.location.path: f.message for f in out.findings}
    assert "alias bomb" in msgs["config/bomb.yaml"]
    assert "outside the repository" in msgs["config/escape.yaml"]
    assert "over the 4,096-byte limit" in msgs["config/huge.yaml"]
    assert "binary" in msgs["config/binary.yaml"] and "UTF-8" in msgs["config/latin1.yaml"]


def test_absurd_nesting_is_refused_before_the_parser_can_crash(tmp_path: Path) -> None:
    # 100,000 nested brackets crash libyaml's composer (segmentation fault) if it ever sees them
    write(tmp_path, {
        "config/deep.yaml": "[" * 100_000 + "]" * 100_000 + "\n",
        "config/deep.json": "[" * 100_000 + "]" * 100_000,
        "config/deep.toml": "a = " + "[" * 5_000 + "]" * 5_000 + "\n",
        "config/block.yaml": "".join(" " * i + "k:\n" for i in range(1_200)),
    })
    out = run_gate(tmp_path)
    assert located(out) == [
        (PE, "config/block.yaml", 1001, 1),
        (PE, "config/deep.json", None, None),
        (PE, "config/deep.toml", None, None),
        (PE, "config/deep.yaml", 1, 1),
    ]
    assert all("nest" in f.message or "indented" in f.message for f in out.findings)


def test_through_the_engine_inline_waivers_and_the_report_schema(tmp_path: Path) -> None:
    import json

    import jsonschema

    from readiness.engine import RunOptions, run
    from readiness.model import FailOn
    from readiness.render.json_report import render_json
    from readiness.schemas import __file__ as schemas_init

    write(tmp_path, {"config/app.yaml": (
        "db:\n"
        "  # readiness: ignore config/plaintext-secret -- local docker-compose only, not a real password\n"
        "  password: hunter2-Local\n"
        "  token: Zx81-Qw7e-Rt5y\n")})
    report = run(RunOptions(root=tmp_path, config=Config(), fail_on=FailOn.HIGH, gates=("config",)))
    data = json.loads(render_json(report))
    schema = json.loads((Path(schemas_init).parent / "report.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(data)
    rows = [(f["line"], f["waived"]) for f in data["findings"] if f["rule"] == PS]
    assert rows == [(3, True), (4, False)]
    assert data["verdict"] == "fail"
    gate = [g for g in data["gates"] if g["id"] == "config"][0]
    assert gate["items"] == [{"path": "config/app.yaml", "format": "yaml", "schema": None,
                              "state": "not validated", "documents": 1, "errors": 0, "paired_by": None}]


def test_the_config_gate_and_the_waivers_know_the_same_allowlist_marker() -> None:
    from readiness import waivers
    assert waivers.ALLOWLIST_MARK == secrets.ALLOWLIST_MARK
