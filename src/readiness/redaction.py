"""Keeping secrets out of everything the tool writes, in every encoding they travel in.

The job's token can reach repository text in more than its raw form: actions/checkout persists it in
`.git/config` as `AUTHORIZATION: basic <base64 of "x-access-token:TOKEN">`, and URLs carry it
percent-encoded. A `Redactor` knows the raw, base64 (standard and URL-safe, at each of the three byte
alignments a prefix can put it at), percent-encoded and hex forms of each secret, and the value of any
`Authorization:` header whatever it holds. It runs over a settled report before anything renders or
cuts it, so a truncation can never leave half a token behind, and over every line the action logs.

Strings from the repository are also made printable here: a file name that is not UTF-8 reaches us as
lone surrogates, which no output encoding accepts; they are shown as `\\xNN`.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import quote, quote_plus

from readiness import lazyre
from readiness.model import Finding, GateResult, Item, Location, Report

MASK = "***"
MIN_SECRET = 8
"""Shorter values are not redacted (they would mask ordinary words)."""
SECRET_ENV = ("INPUT_GITHUB-TOKEN", "INPUT_GITHUB_TOKEN", "GITHUB_TOKEN", "GH_TOKEN", "ACTIONS_RUNTIME_TOKEN",
              "ACTIONS_ID_TOKEN_REQUEST_TOKEN", "READINESS_DB_PASSWORD")
"""Environment variables whose values are secrets wherever they turn up."""

URL_ENV = ("READINESS_DATABASE_URL", "INPUT_DATABASE-URL", "INPUT_DATABASE_URL")
"""Environment variables holding a PostgreSQL connection string: it and its password are secrets."""
_URL_PASSWORD = lazyre.compile(r"^[a-z][a-z0-9+.-]*://[^:/@?#\s]*:(?P<pw>[^@/?#\s]+)@|(?:^|\s)password\s*=\s*"
                               r"(?:'(?P<q>(?:[^'\\]|\\.)*)'|(?P<bare>\S+))", re.IGNORECASE)


def url_secrets(url: str | None) -> list[str]:
    """A database URL (URI or `key=value` form) and its password, as secrets to mask."""
    if not url:
        return []
    out = [url]
    for m in _URL_PASSWORD.finditer(url):
        pw = m.group("pw") or m.group("q") or m.group("bare")
        if pw:
            from urllib.parse import unquote

            out += [pw, unquote(pw)]
    return out


_AUTH_HEADER = lazyre.compile(
    r"(?i)(?P<head>\b(?:proxy-)?authorization\b[\"']?\s*[:=]\s*[\"']?)"
    r"(?:(?P<scheme>basic|bearer|token|digest|negotiate|ntlm|aws4-hmac-sha256)\s+)?"
    r"(?P<value>[^\s\"',;]+)")
_SURROGATES = lazyre.compile("[\ud800-\udfff]")
TOKEN_SHAPES = lazyre.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{22,244})\b")
"""GitHub token formats (classic, OAuth, user-to-server, server-to-server, refresh, fine-grained): masked
whatever their value in text that someone else wrote (a report artifact), when asked for."""


def secret_forms(secret: str) -> set[str]:
    """Every encoding of `secret` we look for (each at least MIN_SECRET characters long)."""
    if len(secret) < MIN_SECRET:
        return set()
    raw = secret.encode("utf-8", "surrogateescape")
    forms = {secret, quote(secret, safe=""), quote_plus(secret), raw.hex(), raw.hex().upper()}
    n = len(raw)
    for shift in range(3):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            enc = encode(b"\0" * shift + raw).decode("ascii")
            # only the characters made of the secret's bits alone: not the prefix's, not what follows
            forms.add(enc[-(-8 * shift // 6):(8 * (shift + n)) // 6])
    return {f for f in forms if len(f) >= MIN_SECRET}


class Redactor:
    """Masks a fixed set of secrets (in all their forms) and every Authorization header value."""

    def __init__(self, secrets: Iterable[str] = (), *, token_shapes: bool = False) -> None:
        self._token_shapes = token_shapes
        self._given = tuple(secrets)
        forms: set[str] = set()
        for s in self._given:
            if s:
                forms |= secret_forms(s.strip())
        ordered = sorted(forms, key=len, reverse=True)
        self._secrets = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    @classmethod
    def from_env(cls, env: Mapping[str, str], *more: str) -> Redactor:
        """A redactor for the secrets the environment holds (a database URL's password included), and `more`."""
        urls = [u for name in URL_ENV for u in url_secrets(env.get(name))]
        return cls([*(env.get(name, "") for name in SECRET_ENV), *urls, *more])

    def with_token_shapes(self) -> Redactor:
        """This redactor, also masking anything shaped like a GitHub token (`TOKEN_SHAPES`)."""
        return Redactor(self._given, token_shapes=True)

    def text(self, value: str) -> str:
        """`value` with every secret and Authorization value masked, and lone surrogates shown as `\\xNN`."""
        if self._secrets is not None:
            value = self._secrets.sub(MASK, value)
        if self._token_shapes and ("_" in value):
            value = TOKEN_SHAPES.sub(MASK, value)
        if "uthorization" in value or "UTHORIZATION" in value:
            value = _AUTH_HEADER.sub(_mask_header, value)
        if not value.isascii() and _SURROGATES.search(value):  # isascii: a flag read, no scan
            value = printable(value)
        return value

    def report(self, report: Report) -> Report:
        """The report with every string passed through `text`."""
        return map_strings(report, self.text)


def printable(value: str) -> str:
    """Lone surrogates (undecodable bytes of a file name) shown as `\\xNN`."""
    return _SURROGATES.sub(lambda m: f"\\x{ord(m.group()) - 0xDC00:02x}" if 0xDC80 <= ord(m.group()) <= 0xDCFF
                           else "\ufffd", value)


def _mask_header(m: re.Match[str]) -> str:
    scheme = m.group("scheme")
    return f"{m.group('head')}{scheme + ' ' if scheme else ''}{MASK}"


def map_strings(report: Report, fn: Callable[[str], str]) -> Report:
    """`report` with `fn` applied to every string in it (paths, messages, fixes, reasons, errors, items)."""

    # what `fn` leaves as it was is kept, not copied: most findings hold no secret
    def loc(location: Location) -> Location:
        path = fn(location.path)
        return location if path == location.path else replace(location, path=path)

    def finding(f: Finding) -> Finding:
        waiver = f.waiver
        if waiver is not None:
            reason = fn(waiver.reason)
            where = loc(waiver.location) if waiver.location is not None else None
            if reason != waiver.reason or where is not waiver.location:
                waiver = replace(waiver, reason=reason, location=where)
        where, message = loc(f.location), fn(f.message)
        fix = fn(f.fix) if f.fix is not None else None
        if where is f.location and message == f.message and fix == f.fix and waiver is f.waiver:
            return f
        return f.with_(location=where, message=message, fix=fix, waiver=waiver)

    def deep(value: Any) -> Any:
        if isinstance(value, str):
            return fn(value)
        if isinstance(value, dict):
            return {deep(k) if isinstance(k, str) else k: deep(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(deep(v) for v in value)
        return value

    def gate(g: GateResult) -> GateResult:
        error = fn(g.error) if g.error is not None else None
        findings = tuple(finding(f) for f in g.findings)
        items = tuple(Item(deep(i.data)) for i in g.items)
        extra = deep(g.extra)
        if error == g.error and _same(findings, g.findings) and items == g.items and extra == g.extra:
            return g
        return replace(g, error=error, findings=findings, items=items, extra=extra)

    base = fn(report.base) if report.base else report.base
    head = fn(report.head) if report.head else report.head
    gates = tuple(gate(g) for g in report.gates)
    if base == report.base and head == report.head and _same(gates, report.gates):
        return report  # nothing masked: not built (and sorted) again
    return replace(report, base=base, head=head, gates=gates)


def _same(new: tuple[Any, ...], old: tuple[Any, ...]) -> bool:
    return len(new) == len(old) and all(a is b for a, b in zip(new, old, strict=True))
