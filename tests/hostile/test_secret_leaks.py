"""Issue 11, class 2: nothing under `.git/` (or a directory the walk skips) is read through a link or by
name, and the job's token never leaves in any encoding.

actions/checkout persists the token in `.git/config` as
`AUTHORIZATION: basic <base64 of "x-access-token:TOKEN">`; a PR that links a dependency or config file
there must not get that line quoted into the comment, the summary or the log.
"""

from __future__ import annotations

import base64
from pathlib import Path
from urllib.parse import quote

import pytest
from hostile_corpus import TOKEN
from sec_support import PrRepo, action, assert_no_defect, check, write

EXTRAHEADER = "AUTHORIZATION: basic " + base64.b64encode(f"x-access-token:{TOKEN}".encode()).decode()


def _persist_credentials(repo: PrRepo) -> None:
    with open(repo.path / ".git" / "config", "a", encoding="utf-8") as fh:
        fh.write(f'[http "https://github.com/"]\n\textraheader = {EXTRAHEADER}\n')


def _forms(secret: str) -> set[str]:
    """The token, percent-encoded, and its base64 at the three alignments (as the redactor knows them)."""
    raw = secret.encode()
    forms = {secret, quote(secret, safe="")}
    for shift in range(3):
        enc = base64.b64encode(b"\0" * shift + raw).decode()
        forms.add(enc[-(-8 * shift // 6):(8 * (shift + len(raw))) // 6])
    return forms


def _leaks(text: str) -> list[str]:
    found = [form for form in _forms(TOKEN) if form in text]
    if EXTRAHEADER.split()[-1][:20] in text:
        found.append("the extraheader's base64")
    return found


@pytest.mark.parametrize("planted", [
    {"requirements.txt": ".git/config"},
    {"config/app.yaml": "../.git/config"},
    {"docs/adr/0001-x.md": "../../.git/config"},
    {"db/migrations/V2__x.sql": "../../.git/config"},
    {"requirements-dev.txt": "node_modules/pkg/secret.txt"},
])
def test_links_into_git_are_not_read(planted: dict[str, str], tmp_path: Path) -> None:
    def pr(root: Path) -> None:
        for rel, target in planted.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).symlink_to(target)
        write(root, "node_modules/pkg/secret.txt", f"{EXTRAHEADER}\n")

    repo = PrRepo.make(tmp_path / "ws", {"README.md": "# r\n"}, pr)
    _persist_credentials(repo)
    done = action(repo, tmp_path, inputs={"gates": "migrations,deps,config,docs"})
    assert_no_defect(done)
    assert not _leaks(done.everything()), _leaks(done.everything())
    rel = next(iter(planted))
    said = [f for f in done.findings() if f["path"] == rel]
    assert said, done.findings()
    assert all("not read" in f["message"].lower() or "not followed" in f["message"].lower() for f in said), said


def test_git_is_never_read_by_name_or_through_a_directory_link(tmp_path: Path) -> None:
    """Whatever names a path under .git/ (a setting, a link to the directory), the read is refused."""
    from readiness.workspace import FileProblem, Workspace

    repo = PrRepo.make(tmp_path / "ws", {"README.md": "# r\n"}, lambda root: (root / "meta").symlink_to(".git"))
    _persist_credentials(repo)
    ws = Workspace(repo.path)
    for rel in (".git/config", "meta/config", "./.git/config", "docs/../.git/config"):
        with pytest.raises(FileProblem, match=r"\.git/"):
            ws.read_text(rel)


def test_authorization_header_committed_in_config_is_a_secret(tmp_path: Path) -> None:
    value = "Bearer s3cr3t0VALUE0abcdefghijklmnop"
    repo = PrRepo.make(tmp_path / "ws", {"README.md": "# r\n"}, {
        "config/http.yaml": f"client:\n  headers:\n    Authorization: {value}\n  raw: 'Authorization: {value}'\n"})
    done = check(repo.path, "--gates", "config", home=tmp_path)
    assert_no_defect(done)
    hits = done.findings("config/plaintext-secret")
    assert len(hits) == 2, done.findings()
    assert "s3cr3t0VALUE" not in done.stdout


@pytest.mark.parametrize("shift", [0, 1, 2])
def test_every_base64_alignment_is_redacted(shift: int) -> None:
    from readiness.redaction import Redactor, secret_forms

    prefix = "x-access-token:"[: 13 + shift]
    encoded = base64.b64encode(f"{prefix}{TOKEN}".encode()).decode()
    out = Redactor([TOKEN]).text(f"line: {encoded} end")
    assert not any(form in out for form in secret_forms(TOKEN)) and TOKEN not in out
    core = base64.b64encode(TOKEN.encode()).decode()[4:-4]
    assert core not in out


def test_percent_encoded_hex_and_header_forms_are_redacted() -> None:
    from readiness.redaction import Redactor

    secret = "p@ss:w/rd+0123456789"
    red = Redactor([secret])
    for form in (quote(secret, safe=""), secret.encode().hex(), secret):
        assert secret not in red.text(f"a {form} b") and form not in red.text(f"a {form} b")
    assert red.text("Authorization: Bearer abc.def") == "Authorization: Bearer ***"
    assert red.text('"authorization": "token ghs_x1"') == '"authorization": "token ***"'


def test_redaction_comes_before_truncation() -> None:
    """A message cut at 300 characters must not keep the first half of the token."""
    from readiness.github.client import describe

    exc = RuntimeError("x" * 265 + TOKEN)
    out = describe(exc, TOKEN)
    assert TOKEN[:12] not in out and len(out) <= 300
