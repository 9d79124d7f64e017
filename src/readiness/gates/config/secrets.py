"""Plaintext secrets in config values: by value shape (certain) and by key name (heuristic).

Value shapes: AWS access key ids, GitHub tokens, Slack tokens, Stripe live keys, Google API keys,
private key blocks, JWTs, `Authorization:` header values and URLs with an embedded password. Key
names: the last word of the key is `password`, `secret`, `token`, `authorization`, ... (`api_key`,
`private_key`, `client_secret`, ...), and the value is a literal string that is not a placeholder
(`${VAR}`, `{{ var }}`, `<secret>`, `changeme`, `xxx`, `REPLACE_ME`, empty, ...), nor a reference to
where the secret really lives (`vault:`, `arn:aws:secretsmanager:`, a file path). A line containing
`pragma: allowlist secret` (detect-secrets' marker) is skipped. The secret is never echoed: `redact`
keeps a short prefix.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from readiness.gates.config.loaders import PathKey

SHAPES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("private key block", re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")),
    ("AWS access key id", re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Z0-9])")),
    ("GitHub token", re.compile(r"(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{50,})")),
    ("Slack token", re.compile(r"(?<![A-Za-z0-9])xox[abposr]-[A-Za-z0-9-]{10,}")),
    ("Stripe live key", re.compile(r"(?<![A-Za-z0-9])[rs]k_live_[A-Za-z0-9]{20,}")),
    ("Google API key", re.compile(r"(?<![A-Za-z0-9])AIza[0-9A-Za-z_-]{35}")),
    ("JSON Web Token", re.compile(r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")),
    ("HTTP Authorization header", re.compile(
        r"(?i:authorization\s*:\s*(?:basic|bearer|token|digest)\s+)[A-Za-z0-9+/=._~-]{8,}")),
)
_ANY_SHAPE = re.compile("|".join(f"(?P<s{i}>{pattern.pattern})" for i, (_, pattern) in enumerate(SHAPES)))
_SHAPE_MIN_LEN = 15
_URL_PASSWORD = re.compile(r"[a-z][a-z0-9+.-]*://[^/\s:@]+:(?P<pw>[^@\s/]+)@", re.IGNORECASE)

_SECRET_WORDS = frozenset({"password", "passwd", "pwd", "passphrase", "secret", "token", "apikey",
                           "credential", "credentials", "pass", "authorization"})
_KEY_QUALIFIERS = frozenset({"api", "private", "secret", "access", "signing", "encryption", "master",
                             "client", "auth", "app", "service", "license", "webhook"})
_NOT_SECRET_LAST = frozenset({"file", "path", "name", "id", "ref", "env", "var", "length", "len", "min",
                              "max", "ttl", "type", "url", "uri", "endpoint", "enabled", "header",
                              "policy", "mode", "format", "store", "dir", "arn", "expiry", "expires",
                              "timeout", "rotation", "version", "count", "size", "regex", "pattern"})
_PLACEHOLDER_WORDS = frozenset({
    "changeme", "change-me", "change_me", "replaceme", "replace-me", "replace_me", "todo", "tbd",
    "example", "dummy", "placeholder", "redacted", "none", "null", "nil", "secret", "password",
    "token", "test", "testing", "fake", "sample", "unset", "notset", "empty", "default", "xxx",
    "your-secret", "your-password", "your-token", "your-api-key", "insert-here", "fill-me",
})
_PLACEHOLDER = re.compile(
    r"""^(?:
        \$\{[^}]*\}.*|\$\([^)]*\).*|\$[A-Za-z_][A-Za-z0-9_]*     # ${VAR}, $(cmd), $VAR
      | \{\{.*\}\}|\{%.*%\}|<%.*%>                                 # templates
      | <[^<>]*>|\[[^\[\]]*\]                                     # <secret>, [token]
      | %\([^)]*\)s|%[A-Za-z_]+%                                  # %(name)s, %NAME%
      | (?:x+|X+|\*+|\.+|-+|_+|\#+|0+|1234\d*|abc123)               # xxx, ***, 000
      | (?:env|vault|secret|secrets|ssm|sops|op|awssm|gcpsm|azkv|ref\+[a-z]+|file)://?.*
      | (?:vault|env|secret|ssm|keyvault):.*
      | arn:aws:(?:secretsmanager|ssm|kms):.*
      | !?ENV\b.*
      | (?:your|my|some|the)[-_ ].*|.*[-_](?:here|placeholder|example|changeme)
    )$""",
    re.IGNORECASE | re.VERBOSE,
)
_FILE_PATH = re.compile(r"^(?:/|\./|\.\./|~/)[^\s]*$|^[\w./-]+\.(?:pem|key|crt|p12|pfx|json|txt|jks)$")
_WORD_SPLIT = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])")


@dataclass(frozen=True, slots=True)
class SecretHit:
    """A value that looks like a committed secret."""

    path: PathKey
    """Where in the document (key path)."""
    kind: str
    """What it looks like (`AWS access key id`, `value of a password key`, ...)."""
    redacted: str
    """A short prefix of the value followed by `…`; never the secret."""
    certain: bool
    """True for a recognised shape, False for a key-name guess."""


def key_words(key: str) -> list[str]:
    """`clientSecret` / `client-secret` / `CLIENT_SECRET` -> ['client', 'secret']."""
    return [w.lower() for w in _WORD_SPLIT.split(key) if w]


@lru_cache(maxsize=8192)
def is_secret_key(key: str) -> bool:
    """True when the key's name says it holds a secret."""
    words = key_words(key)
    if not words:
        return False
    last = words[-1]
    if last in _NOT_SECRET_LAST:
        return False
    if last in _SECRET_WORDS:
        return True
    if last == "key" and len(words) >= 2 and words[-2] in _KEY_QUALIFIERS:
        return True
    return last in ("apikey", "privatekey", "secretkey", "accesskey", "authtoken", "accesstoken")


def is_placeholder(value: str) -> bool:
    """True for empty values, template references and the usual stand-ins."""
    v = value.strip().strip("'\"")
    if not v or len(v) < 3:
        return True
    if v.lower() in _PLACEHOLDER_WORDS:
        return True
    return bool(_PLACEHOLDER.match(v))


def redact(value: str) -> str:
    """A prefix short enough not to reveal the secret (at most 4 characters, a quarter of it)."""
    keep = min(4, len(value) // 4)
    return value[:keep] + "…"


def entropy(value: str) -> float:
    """Shannon entropy in bits per character."""
    if not value:
        return 0.0
    counts: dict[str, int] = {}
    for c in value:
        counts[c] = counts.get(c, 0) + 1
    n = len(value)
    return -sum(k / n * math.log2(k / n) for k in counts.values())


def check_value(path: PathKey, value: str) -> SecretHit | None:
    """Whether one string value, at `path`, is a committed secret."""
    if len(value) >= _SHAPE_MIN_LEN:
        m = _ANY_SHAPE.search(value)
        if m is not None and m.lastgroup is not None:
            kind = SHAPES[int(m.lastgroup[1:])][0]
            return SecretHit(path, kind, redact(m.group()), True)
    if "://" in value and "@" in value:
        url = _URL_PASSWORD.search(value)
        if url and not is_placeholder(url.group("pw")):
            return SecretHit(path, "password in a URL", redact(url.group("pw")), True)
    key = next((p for p in reversed(path) if isinstance(p, str)), None)
    if key is None or not is_secret_key(key):
        return None
    if is_placeholder(value) or _FILE_PATH.match(value.strip()):
        return None
    strong = len(value) >= 16 and entropy(value) >= 3.5
    kind = f"high-entropy value of key '{key}'" if strong else f"literal value of key '{key}'"
    return SecretHit(path, kind, redact(value), strong)


def scan(value: Any) -> Iterator[SecretHit]:
    """Every secret-looking string in a document (paths are built only for hits)."""
    trail: list[str | int] = []

    def walk(node: Any, depth: int) -> Iterator[SecretHit]:
        if depth > 256:
            return
        if isinstance(node, dict):
            pairs: Iterable[tuple[Any, Any]] = node.items()
        elif isinstance(node, list):
            pairs = enumerate(node)
        else:
            return
        for k, v in pairs:
            if isinstance(v, str):
                if len(v) >= _SHAPE_MIN_LEN or "@" in v or (isinstance(k, str) and is_secret_key(k)):
                    hit = check_value((*trail, k), v)
                    if hit is not None:
                        yield hit
            elif isinstance(v, dict | list):
                trail.append(k)
                yield from walk(v, depth + 1)
                trail.pop()

    if isinstance(value, str):
        hit = check_value((), value)
        if hit is not None:
            yield hit
    else:
        yield from walk(value, 0)


def secret_like(path: PathKey, value: str) -> str | None:
    """The redacted form of `value` when it would be reported as a secret (for other messages)."""
    hit = check_value(path, value)
    return hit.redacted if hit is not None else None


ALLOWLIST_MARK = "pragma: allowlist secret"
