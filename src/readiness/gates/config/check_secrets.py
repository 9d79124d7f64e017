"""Checker: plaintext secrets and committed credentials in parsed config files
(`config/plaintext-secret`, `config/committed-credential`). What looks like a secret is `secrets`."""

from __future__ import annotations

import re
from typing import Any

from readiness import lazyre
from readiness.gates.config import secrets
from readiness.gates.config.files import dotted
from readiness.gates.config.loaders import ParsedFile, PathKey
from readiness.gates.config.rules import COMMITTED_CREDENTIAL, PLAINTEXT_SECRET
from readiness.model import Confidence, Finding, Location, Waiver
from readiness.workspace import FileProblem, Workspace
from readiness.yamlpos import Pos


def check(pf: ParsedFile) -> list[Finding]:
    """Every value in the file that looks like a secret (shown waived where its line carries the
    allowlist mark), with the values a duplicate key shadows read from their lines."""
    out: list[Finding] = []
    lines = pf.text.splitlines()
    yaml = pf.fmt == "yaml"

    def found(i: int, where: PathKey, hit: secrets.SecretHit, value: Any) -> Finding:
        pos = pf.positions(i).of_value(where)
        # the value's last line: by indentation in YAML; a TOML multi-line string by its line breaks
        breaks = value.count("\n") if isinstance(value, str) else 0
        end = value_end(lines, pos.line, True) if yaml else pos.line + breaks
        text = lines[pos.line - 1] if 0 < pos.line <= len(lines) else ""
        return secret_finding(pf.path, pos, dotted(where), hit, end_line=end, line_text=text)

    for i, doc in enumerate(pf.docs):
        out.extend(found(i, hit.path, hit, None if yaml else _value_at(doc, hit.path)) for hit in secrets.scan(doc))
        if isinstance(doc, dict) and doc.get("kind") == "Secret" and isinstance(doc.get("data"), dict):
            for key, value in doc["data"].items():  # a Kubernetes Secret: `data:` values are base64
                encoded = secrets.check_encoded(("data", key), value) if isinstance(value, str) else None
                if encoded is not None:
                    out.append(found(i, encoded.path, encoded, value))
    if pf.duplicates:  # the value the later key overwrites is in the file all the same
        spans = [(dup.first.line, value_end(lines, dup.first.line, True)) for dup in pf.duplicates]
        out += [f for f in scan_lines(pf.path, pf.text) if any(a <= (f.location.line or 0) <= b for a, b in spans)
                and not any(covers(g, f) for g in out)]
    return out


def _value_at(doc: Any, path: PathKey) -> Any:
    """The value at `path` in a document (None when the path does not lead anywhere)."""
    node = doc
    for part in path:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def covers(a: Finding, b: Finding) -> bool:
    """True when finding `a`'s lines include `b`'s first line (the same value seen twice)."""
    first, line = a.location.line or 0, b.location.line or 0
    return first <= line <= (a.location.end_line or first)


def value_end(lines: list[str], line: int, indented: bool) -> int:
    """The last line of a value that starts on `line`: with `indented` (YAML), the lines after it
    indented deeper than it (a block scalar, a folded or multi-line plain value), blank lines inside
    included; else `line`. Bounded, as a value is."""
    if not indented or not 0 < line <= len(lines):
        return line
    head = lines[line - 1]
    indent = len(head) - len(head.lstrip(" "))
    end = line
    for n in range(line, min(len(lines), line + MAX_VALUE_LINES)):
        text = lines[n]
        if not text.strip():
            continue
        if len(text) - len(text.lstrip(" ")) <= indent:
            break
        end = n + 1
    return end


MAX_VALUE_LINES = 4096
"""How many lines one value is taken to span at most (a PEM block is about thirty)."""


ALLOWLIST_REASON = "detect-secrets marker `pragma: allowlist secret` on the line"


def allowlisted(rel: str, line: int, text: str) -> Waiver | None:
    """detect-secrets' `pragma: allowlist secret` on a finding's line, as an inline waiver: the
    finding is shown waived, and a marker the pull request adds does not clear a finding that
    blocks (`waivers.withhold_new_inline`, as for `readiness: ignore`)."""
    at = text.find(secrets.ALLOWLIST_MARK)
    if at < 0:
        return None
    return Waiver(reason=ALLOWLIST_REASON, source="inline", location=Location(path=rel, line=line, column=at + 1))


def secret_finding(rel: str, pos: Pos, where: str, hit: secrets.SecretHit, *, end_line: int | None = None,
                   line_text: str = "") -> Finding:
    """The finding for one hit at `pos` (`where` names the key or variable), through `end_line` (the
    value's last line), waived when `line_text` (the text of its line) has the allowlist mark. Its
    fingerprint holds a keyed hash of the value: a baseline entry accepts this value only."""
    found = (COMMITTED_CREDENTIAL if hit.credential else PLAINTEXT_SECRET).finding(
        Location(path=rel, line=pos.line, column=pos.column,
                 end_line=end_line if end_line is not None and end_line > pos.line else None),
        message=f"'{where}' holds what looks like a committed secret ({hit.kind}: {hit.redacted}).",
        evidence=f"secret|{where}|{hit.kind}|{hit.digest}",
        confidence=Confidence.CERTAIN if hit.certain else Confidence.HEURISTIC)
    waiver = allowlisted(rel, pos.line, line_text)
    return found.with_(waiver=waiver) if waiver is not None else found


TEST_CODE = lazyre.compile(
    r"(?:^|/)(?:tests?|testdata|test_?data|testing|__tests__|fixtures?|spec|mocks?)/"
    r"|(?:^|/)(?:test_[^/]*|conftest\.py|[^/]*_test\.[A-Za-z]+|[^/]*\.(?:test|spec)\.[A-Za-z]+)$", re.IGNORECASE)
"""Test code and its fixtures: the private keys there are made for the tests (authelia's
`types_test.go`, saleor's `tests/settings.py`), so only provider credentials are reported there."""


PEM_WINDOW = 8192
"""How far after a private key's header line its material is looked for."""


_DATA_LINE = re.compile(r"\s*[\w.-]+\s*:\s*([A-Za-z0-9+/]{16,}={0,2})\s*$")
"""A `key: <base64>` line, as a Kubernetes Secret's `data:` holds."""
SCAN_BYTES = 4 * 1024 * 1024
"""How much of a file that cannot be read as UTF-8 text (another encoding, binary, over
`max_file_bytes`) is scanned for credential shapes: its first 4 MiB (a bound on the time a
hostile pull request can cost)."""


def check_changed(ws: Workspace, paths: list[str], skip: set[str]) -> list[Finding]:
    """Provider credentials (cloud key ids, tokens, private keys) in any other file the PR adds or
    changes: a key committed to `app/settings.py` or `deploy/k8s.yaml` leaks as one in `config/`
    does. Only certain, provider-shaped credentials count here (no key-name guesses, no sample JWT
    or URL password), so code and tests stay quiet. A file that is not UTF-8 text (Latin-1, UTF-16,
    binary, over the size limit) is scanned all the same, as `raw_text` decodes it."""
    out: list[Finding] = []
    for rel in paths:
        if rel in skip or not ws.exists(rel):
            continue
        try:
            text: str | None = ws.read_text(rel)
        except FileProblem:
            text = raw_text(ws, rel)
        if text:
            out += scan_lines(rel, text, test_code=TEST_CODE.search(rel) is not None)
    return out


def check_unparsed(ws: Workspace, rel: str) -> list[Finding]:
    """The credentials in a config or dotenv file the gate could not parse or read (a syntax error,
    JSON with comments, another encoding, over the size limit): its lines scanned as any other
    changed file's are, so a credential is reported whatever the syntax or encoding around it."""
    try:
        text: str | None = ws.read_text(rel)
    except FileProblem:
        text = raw_text(ws, rel)
    return scan_lines(rel, text) if text else []


def raw_text(ws: Workspace, rel: str) -> str | None:
    """A file that is not UTF-8 text, as text to scan for credential shapes (all ASCII): UTF-16 by
    its byte-order mark, else Latin-1 (every byte a character, so NUL bytes and other encodings
    keep their ASCII runs); its first `SCAN_BYTES` only. None when it cannot be read at all (a
    symlink out of the repository, a special file)."""
    try:
        data = ws.read_head(rel, SCAN_BYTES)
    except FileProblem:
        return None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", "replace")
    return data.decode("latin-1")


def scan_lines(rel: str, text: str, *, test_code: bool = False) -> list[Finding]:
    """The certain, provider-shaped credentials in a text, line by line (a private key reported at
    its header, through its END line); a private key under test code is taken for a fixture."""
    out: list[Finding] = []
    at = 0
    k8s_secret = "kind: Secret" in text
    for lineno, line in enumerate(text.split("\n"), start=1):
        start, at = at, at + len(line) + 1
        if len(line) < 16:
            continue
        hit = secrets.check_value((), line)
        if hit is None and k8s_secret and (data := _DATA_LINE.match(line)) is not None:
            hit = secrets.check_encoded((), data.group(1))  # a Kubernetes Secret's base64 `data:` value
        end = lineno
        if secrets.PUTTY_HEADER in line:  # a PuTTY key's material follows, up to the next key
            stop = text.find(secrets.PUTTY_HEADER, at, start + PEM_WINDOW)
            block = secrets.check_value((), text[start:stop if stop >= 0 else start + PEM_WINDOW])
            if block is not None and block.kind == "PuTTY private key":
                hit = block
                end = lineno + text.count("\n", start, stop if stop >= 0 else min(len(text), start + PEM_WINDOW)) - 1
        if "PRIVATE KEY" in line and secrets.PRIVATE_KEY_HEADER.search(line):
            # a private key's material follows its header line: the check reads on from there, up
            # to the next `-----` (its END line, or another header), so that no text is read for
            # more than one header; for the key only (a credential further down is reported at
            # its own line)
            stop = text.find("-----", at, start + PEM_WINDOW)
            block = secrets.check_value((), text[start:stop if stop >= 0 else start + PEM_WINDOW])
            if block is not None and block.kind == "private key block":
                hit = block
                if "-----END" not in line:  # else the whole key is on this line (escaped line breaks)
                    end = lineno + text.count("\n", start, stop if stop >= 0 else min(len(text), start + PEM_WINDOW))
        if hit is not None and hit.certain and (hit.credential or hit.kind == "private key block") \
                and not (test_code and hit.kind == "private key block"):
            out.append(secret_finding(rel, Pos(lineno, 1), rel, hit, end_line=end, line_text=line))
    return out
