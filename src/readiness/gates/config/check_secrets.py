"""Checker: plaintext secrets and committed credentials in parsed config files
(`config/plaintext-secret`, `config/committed-credential`). What looks like a secret is `secrets`."""

from __future__ import annotations

from readiness.gates.config import secrets
from readiness.gates.config.files import dotted
from readiness.gates.config.loaders import ParsedFile
from readiness.gates.config.rules import COMMITTED_CREDENTIAL, PLAINTEXT_SECRET
from readiness.model import Confidence, Finding, Location
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
