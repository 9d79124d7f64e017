"""Checker: plaintext secrets and committed credentials in parsed config files
(`config/plaintext-secret`, `config/committed-credential`). What looks like a secret is `secrets`."""

from __future__ import annotations

import re

from readiness import lazyre
from readiness.gates.config import secrets
from readiness.gates.config.files import dotted
from readiness.gates.config.loaders import ParsedFile
from readiness.gates.config.rules import COMMITTED_CREDENTIAL, PLAINTEXT_SECRET
from readiness.model import Confidence, Finding, Location
from readiness.workspace import FileProblem, Workspace
from readiness.yamlpos import Pos


def check(pf: ParsedFile) -> list[Finding]:
    """Every value in the file that looks like a secret, unless its line carries the allowlist mark."""
    out: list[Finding] = []
    for i, doc in enumerate(pf.docs):
        for hit in secrets.scan(doc):
            pos = pf.positions(i).of_value(hit.path)
            if secrets.ALLOWLIST_MARK in pf.line_text(pos.line):
                continue
            out.append(secret_finding(pf.path, pos, dotted(hit.path), hit))
    return out


def secret_finding(rel: str, pos: Pos, where: str, hit: secrets.SecretHit) -> Finding:
    """The finding for one hit at `pos` (`where` names the key or variable)."""
    return (COMMITTED_CREDENTIAL if hit.credential else PLAINTEXT_SECRET).finding(
        Location(path=rel, line=pos.line, column=pos.column),
        message=f"'{where}' holds what looks like a committed secret ({hit.kind}: {hit.redacted}).",
        evidence=f"secret|{where}|{hit.kind}",
        confidence=Confidence.CERTAIN if hit.certain else Confidence.HEURISTIC)


TEST_CODE = lazyre.compile(
    r"(?:^|/)(?:tests?|testdata|test_?data|testing|__tests__|fixtures?|spec|mocks?)/"
    r"|(?:^|/)(?:test_[^/]*|conftest\.py|[^/]*_test\.[A-Za-z]+|[^/]*\.(?:test|spec)\.[A-Za-z]+)$", re.IGNORECASE)
"""Test code and its fixtures: the private keys there are made for the tests (authelia's
`types_test.go`, saleor's `tests/settings.py`), so only provider credentials are reported there."""


PEM_WINDOW = 8192
"""How far after a private key's header line its material is looked for."""


def check_changed(ws: Workspace, paths: list[str], skip: set[str]) -> list[Finding]:
    """Provider credentials (cloud key ids, tokens, private keys) in any other text file the PR
    adds or changes: a key committed to `app/settings.py` or `deploy/k8s.yaml` leaks as one in
    `config/` does. Only certain, provider-shaped credentials count here (no key-name guesses,
    no sample JWT or URL password), so code and tests stay quiet; unreadable files are not
    reported (they are not config)."""
    out: list[Finding] = []
    for rel in paths:
        if rel in skip or not ws.exists(rel):
            continue
        test_code = TEST_CODE.search(rel) is not None
        try:
            text = ws.read_text(rel)
        except FileProblem:
            continue
        at = 0
        for lineno, line in enumerate(text.split("\n"), start=1):
            start, at = at, at + len(line) + 1
            if len(line) < 16:
                continue
            hit = secrets.check_value((), line)
            if "PRIVATE KEY" in line and secrets.PRIVATE_KEY_HEADER.search(line):
                # a private key's material follows its header line: the check reads on from there, up
                # to the next `-----` (its END line, or another header), so that no text is read for
                # more than one header; for the key only (a credential further down is reported at
                # its own line)
                stop = text.find("-----", at, start + PEM_WINDOW)
                block = secrets.check_value((), text[start:stop if stop >= 0 else start + PEM_WINDOW])
                hit = block if block is not None and block.kind == "private key block" else hit
            if hit is not None and hit.certain and (hit.credential or hit.kind == "private key block") \
                    and not (test_code and hit.kind == "private key block") \
                    and secrets.ALLOWLIST_MARK not in line:
                out.append(secret_finding(rel, Pos(lineno, 1), rel, hit))
    return out
