"""Independent review 6b (issue 11): the committed-credential scan must not be switched off by the
pull request it judges. A detect-secrets marker the PR adds, a PEM written with `\\n` escapes, a config
file that does not parse, a file that is not UTF-8 or is over the size limit, a kept inline waiver
over a multi-line key whose material changed, and a baseline entry for another credential at the
same key all let a new credential through; each case here blocks, and its harmless control passes."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from sec_support import Done, PrRepo, adopt_baseline, assert_no_defect, check, git, write

AWS = "AKIA" + "QWERTZUIOPLKJHGF"
AWS2 = "AKIA" + "ZXCVBNMASDFGHJKL"
CC = "config/committed-credential"


def _material(seed: str, lines: int = 6) -> list[str]:
    """Base64 lines that read as key material (random, no stand-in words)."""
    raw = b"".join(hashlib.sha512(f"{seed}{i}".encode()).digest() for i in range(lines))
    text = base64.b64encode(raw).decode()
    out = [text[i:i + 64] for i in range(0, len(text), 64)]
    assert not any(w in "".join(out).lower() for w in ("example", "sample", "dummy", "fake", "your", "1234567"))
    return out


def pem(seed: str = "a", sep: str = "\n") -> str:
    """An RSA private key block, its lines joined by `sep` (a real line break or an escape)."""
    return sep.join(["-----BEGIN RSA PRIVATE KEY-----", *_material(seed), "-----END RSA PRIVATE KEY-----"]) + sep


def _run(tmp_path: Path, base: Mapping[str, str | bytes], pr: Mapping[str, str | bytes],
         *extra: str) -> tuple[Done, list[dict[str, Any]]]:
    repo = PrRepo.make(tmp_path / "ws", {"README.md": "# x\n", **base}, pr)
    done = check(repo.path, "--base", repo.base, "--gates", "config", *extra, home=tmp_path)
    assert_no_defect(done)
    return done, done.findings(CC)


def _blocks(done: Done, hits: list[dict[str, Any]]) -> None:
    assert done.code == 1 and hits and any(not f["waived"] and f["severity"] == "critical" for f in hits), \
        done.findings()


# R6b-1: detect-secrets' `pragma: allowlist secret` is an inline waiver like any other.

PRAGMA = {
    "python": ("app/settings.py", f'AWS_KEY = "{AWS}"  # pragma: allowlist secret\n'),
    "config": ("config/app.yaml", f"aws:\n  key: {AWS}  # pragma: allowlist secret\n"),
    "dotenv": (".env", f"AWS_ACCESS_KEY_ID={AWS}  # pragma: allowlist secret\n"),
}


@pytest.mark.parametrize("case", sorted(PRAGMA))
def test_an_allowlist_marker_the_pr_adds_does_not_clear_a_blocking_credential(tmp_path: Path, case: str) -> None:
    rel, text = PRAGMA[case]
    done, hits = _run(tmp_path, {}, {rel: text})
    _blocks(done, hits)
    assert "base branch" in hits[0]["message"]


@pytest.mark.parametrize("case", sorted(PRAGMA))
def test_an_allowlist_marker_the_base_has_still_waives_and_is_shown(tmp_path: Path, case: str) -> None:
    rel, text = PRAGMA[case]
    done, hits = _run(tmp_path, {rel: text}, {rel: "# touched\n" + text if case != "dotenv" else "X=1\n" + text})
    assert done.code == 0 and hits and all(f["waived"] for f in hits), done.findings()
    assert hits[0]["waiver"]["source"] == "inline" and "allowlist" in hits[0]["waiver"]["reason"]


def test_an_allowlist_marker_still_waives_below_the_threshold(tmp_path: Path) -> None:
    rel, text = PRAGMA["python"]
    done, hits = _run(tmp_path, {}, {rel: text}, "--fail-on", "never")
    assert done.code == 0 and [f["waived"] for f in hits] == [True], done.findings()


# R6b-2: a private key written with escaped line breaks is key material, not a stand-in.

ESCAPED = {
    "gcp service account": ("deploy/gcp-sa.json", json.dumps({"type": "service_account", "private_key": pem("g")})),
    "python literal": ("app/keys.py", 'KEY = "' + pem("p", "\\n") + '"\n'),
    "double escaped": ("app/keys.js", "const KEY = '" + pem("j", "\\\\n") + "';\n"),
    "crlf escapes": ("app/keys.rb", 'KEY = "' + pem("r", "\\r\\n") + '"\n'),
    "single-quoted yaml": ("config/app.yaml", "key: '" + pem("y", "\\n") + "'\n"),
}


@pytest.mark.parametrize("case", sorted(ESCAPED))
def test_a_private_key_with_escaped_line_breaks_is_a_credential(tmp_path: Path, case: str) -> None:
    rel, text = ESCAPED[case]
    _blocks(*_run(tmp_path, {}, {rel: text}))


def test_an_escaped_key_header_without_material_stays_a_stand_in(tmp_path: Path) -> None:
    text = 'DOC = "-----BEGIN RSA PRIVATE KEY-----\\n...\\n-----END RSA PRIVATE KEY-----\\n"\n'
    done, hits = _run(tmp_path, {}, {"app/docs.py": text})
    assert done.code == 0 and not hits, done.findings()


# R6b-11: a config file that does not parse is still scanned, line by line.

UNPARSED = {
    "yaml syntax error": ("config/app.yaml", f"aws:\n  key: {AWS}\n  bad: [unclosed\n"),
    "yaml tab": ("config/app.yaml", f"aws:\n\tkey: {AWS}\n"),
    "json comments": ("config/app.json", f'// creds\n{{"aws": {{"key": "{AWS}"}}}}\n'),
    "json trailing comma": ("config/app.json", f'{{"aws": {{"key": "{AWS}",}}}}\n'),
    "toml error": ("config/app.toml", f'[aws]\nkey = "{AWS}"\nbroken = \n'),
    "yaml pem then error": ("config/app.yaml", "tls: |\n" + "".join(f"  {ln}\n" for ln in pem("t").splitlines())
                            + "oops: [\n"),
    "yaml duplicate key": ("config/app.yaml", f"aws:\n  key: {AWS}\n  key: x\n"),
    "json duplicate key": ("config/app.json", f'{{"aws": {{"key": "{AWS}", "key": "x"}}}}\n'),
    "dotenv unclosed quote": (".env", f'AWS_ACCESS_KEY_ID="{AWS}\n'),
}


@pytest.mark.parametrize("case", sorted(UNPARSED))
def test_a_credential_in_a_config_file_that_does_not_parse_is_reported(tmp_path: Path, case: str) -> None:
    rel, text = UNPARSED[case]
    _blocks(*_run(tmp_path, {}, {rel: text}))


def test_a_config_file_that_does_not_parse_without_a_credential_reports_no_secret(tmp_path: Path) -> None:
    done, hits = _run(tmp_path, {}, {"config/app.json": '// settings\n{"db": {"pool": 5}}\n'})
    assert not hits, done.findings()


# R6b-3: a file that is not UTF-8, or is over the size limit, is scanned for credential shapes.

ENCODED = {
    "latin-1 properties": ("src/main/resources/application.properties",
                           f"app.name=caf\u00e9\naws.key={AWS}\n".encode("latin-1")),
    "latin-1 python": ("app/settings.py", f"# caf\u00e9\nAWS = '{AWS}'\n".encode("latin-1")),
    "nul byte": ("app/settings.py", f"X = 1\x00\nAWS = '{AWS}'\n".encode()),
    "utf-16 env": ("deploy/prod.env", f"AWS_ACCESS_KEY_ID={AWS}\n".encode("utf-16")),
    "utf-16 config": ("config/prod.yaml", f"aws:\n  key: {AWS}\n".encode("utf-16")),
    "utf-16 dotenv": (".env.production", f"AWS_ACCESS_KEY_ID={AWS}\n".encode("utf-16")),
    "latin-1 dotenv": (".env", f"NAME=caf\u00e9\nAWS_ACCESS_KEY_ID={AWS}\n".encode("latin-1")),
}


@pytest.mark.parametrize("case", sorted(ENCODED))
def test_a_credential_in_a_file_that_is_not_utf8_is_reported(tmp_path: Path, case: str) -> None:
    rel, data = ENCODED[case]
    _blocks(*_run(tmp_path, {}, {rel: data}))


def test_a_credential_in_a_file_over_the_size_limit_is_reported(tmp_path: Path) -> None:
    big = f"key: {AWS}\n" + "# padding line\n" * 200_000
    _blocks(*_run(tmp_path, {}, {"deploy/terraform.tfstate": big, "config/prod.yaml": big}))


def test_an_unreadable_config_file_the_pr_adds_blocks(tmp_path: Path) -> None:
    done, _ = _run(tmp_path, {}, {"config/prod.yaml": "name: caf\u00e9\n".encode("utf-16")})
    unreadable = done.findings("config/unreadable-file")
    assert done.code == 1 and [f["severity"] for f in unreadable] == ["critical"], done.findings()


def test_an_unreadable_config_file_the_pr_leaves_alone_does_not_block(tmp_path: Path) -> None:
    done, _ = _run(tmp_path, {"config/prod.yaml": "name: caf\u00e9\n".encode("utf-16")}, {"README.md": "# y\n"})
    assert done.code == 0 and [f["severity"] for f in done.findings("config/unreadable-file")] == ["high"]


def test_a_latin1_file_without_a_credential_reports_nothing(tmp_path: Path) -> None:
    done, hits = _run(tmp_path, {}, {"app/messages.properties": "greeting=caf\u00e9\n".encode("latin-1"),
                                     "assets/logo.bin": bytes(range(256)) * 64})
    assert done.code == 0 and not hits, done.findings()


# R6b-17: a kept base inline waiver covers only the key it was written over.

WAIVE = "# readiness: ignore config/committed-credential -- throwaway key for the local TLS proxy\n"


def _block(seed: str) -> str:
    return "tls_key: |\n" + "".join(f"  {ln}\n" for ln in pem(seed).splitlines())


SWAPS = {
    "pem file": ("certs/dev.key", WAIVE + pem("old"), WAIVE + pem("new")),
    "yaml block scalar": ("config/app.yaml", WAIVE + _block("old"), WAIVE + _block("new")),
    "yaml folded": ("config/app.yaml", WAIVE + f"aws_key: >-\n  {AWS}\n", WAIVE + f"aws_key: >-\n  {AWS2}\n"),
}


@pytest.mark.parametrize("case", sorted(SWAPS))
def test_a_base_waiver_over_a_multiline_key_does_not_waive_another_key(tmp_path: Path, case: str) -> None:
    rel, before, after = SWAPS[case]
    _blocks(*_run(tmp_path, {rel: before}, {rel: after}))


@pytest.mark.parametrize("case", sorted(SWAPS))
def test_a_base_waiver_over_a_multiline_key_still_waives_it_unchanged(tmp_path: Path, case: str) -> None:
    rel, before, _ = SWAPS[case]
    done, hits = _run(tmp_path, {rel: before}, {rel: before + ("\n" if rel.endswith(".key") else "other: 1\n")})
    assert done.code == 0 and hits and all(f["waived"] for f in hits), done.findings()


# R6b-10: a baseline entry accepts the credential it was written for, not another at the same key.

BASELINED = {
    "config": ("config/app.yaml", f"aws:\n  access_key_id: {AWS}\n", f"aws:\n  access_key_id: {AWS2}\n"),
    "dotenv": (".env", f"AWS_ACCESS_KEY_ID={AWS}\n", f"AWS_ACCESS_KEY_ID={AWS2}\n"),
}


def _baselined(tmp_path: Path, rel: str, before: str) -> PrRepo:
    return adopt_baseline(PrRepo.make(tmp_path / "ws", {"README.md": "# x\n", rel: before}, {}), tmp_path)


@pytest.mark.parametrize("case", sorted(BASELINED))
def test_a_baseline_entry_does_not_accept_another_credential_at_the_same_key(tmp_path: Path, case: str) -> None:
    rel, before, after = BASELINED[case]
    repo = _baselined(tmp_path, rel, before)
    write(repo.path, rel, after)
    git(repo.path, "commit", "-q", "-am", "pr")
    done = check(repo.path, "--base", repo.base, "--gates", "config", home=tmp_path)
    assert_no_defect(done)
    _blocks(done, done.findings(CC))


@pytest.mark.parametrize("case", sorted(BASELINED))
def test_a_baseline_entry_still_accepts_its_own_credential(tmp_path: Path, case: str) -> None:
    rel, before, _ = BASELINED[case]
    repo = _baselined(tmp_path, rel, before)
    write(repo.path, rel, before + ("X=1\n" if rel == ".env" else "# more\n"))
    git(repo.path, "commit", "-q", "-am", "pr")
    done = check(repo.path, "--base", repo.base, "--gates", "config", home=tmp_path)
    assert_no_defect(done)
    hits = done.findings(CC)
    assert done.code == 0 and hits and all(f["waived"] for f in hits), done.findings()


# R6b-12: credentials in the forms a Kubernetes Secret and PuTTY write them.

def _k8s_secret(data: Mapping[str, str]) -> str:
    encoded = "".join(f"  {k}: {base64.b64encode(v.encode()).decode()}\n" for k, v in data.items())
    return "apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\ntype: Opaque\ndata:\n" + encoded


def _ppk(private: list[str]) -> str:
    return ("PuTTY-User-Key-File-3: ssh-rsa\nEncryption: none\nComment: deploy\nPublic-Lines: 1\n"
            f"{_material('pub', 1)[0]}\nPrivate-Lines: {len(private)}\n" + "".join(f"{ln}\n" for ln in private)
            + "Private-MAC: 6e1fd0a1c1b0e7d2\n")


ENCODED_FORMS = {
    "k8s secret data, aws key": ("deploy/k8s/secret.yaml", _k8s_secret({"AWS_ACCESS_KEY_ID": AWS})),
    "k8s secret data, tls key": ("deploy/k8s/tls.yaml", _k8s_secret({"tls.key": pem("k")})),
    "k8s secret data in config/": ("config/secret.yaml", _k8s_secret({"tls.key": pem("c")})),
    "putty key": ("deploy/id.ppk", _ppk(_material("putty", 3))),
}


@pytest.mark.parametrize("case", sorted(ENCODED_FORMS))
def test_a_credential_in_a_k8s_secret_or_putty_key_is_reported(tmp_path: Path, case: str) -> None:
    rel, text = ENCODED_FORMS[case]
    _blocks(*_run(tmp_path, {}, {rel: text}))


def test_k8s_secret_data_without_a_credential_and_a_putty_key_without_material_pass(tmp_path: Path) -> None:
    pr = {"deploy/k8s/secret.yaml": _k8s_secret({"username": "admin", "password": "hunter2-but-longer-one"}),
          "config/secret.yaml": _k8s_secret({"url": "postgres://db.internal:5432/app"}),
          "docs/key.ppk": "PuTTY-User-Key-File-3: ssh-rsa\nEncryption: none\nPrivate-Lines: 0\nPrivate-MAC: 00\n"}
    done, hits = _run(tmp_path, {}, pr)
    assert done.code == 0 and not hits, done.findings()


def test_a_base_waiver_over_a_toml_multiline_key_does_not_waive_another_key(tmp_path: Path) -> None:
    def toml(seed: str) -> str:
        return WAIVE + 'tls_key = """' + pem(seed) + '"""\n'
    _blocks(*_run(tmp_path, {"config/app.toml": toml("old")}, {"config/app.toml": toml("new")}))
