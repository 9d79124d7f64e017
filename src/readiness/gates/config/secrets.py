"""Plaintext secrets in config values: by value shape (certain) and by key name (heuristic).

Value shapes: AWS access key ids, GitHub tokens, Slack tokens, Stripe live keys, Google API keys,
private key blocks, JWTs, `Authorization:` header values and URLs with an embedded password. Key
names: the last word of the key is `password`, `secret`, `token`, `authorization`, ... (`api_key`,
`private_key`, `client_secret`, ...), and the value is a literal string that is not a placeholder
(`${VAR}`, `{{ var }}`, `<secret>`, `changeme`, `xxx`, `REPLACE_ME`, empty, ...), nor a reference to
where the secret really lives (`vault:`, `arn:aws:secretsmanager:`, a file path). A line containing
`pragma: allowlist secret` (detect-secrets' marker) is an inline waiver like `readiness: ignore`
(shown as waived; a marker the pull request adds never clears a finding that blocks). The secret is
never echoed: `redact` keeps a short prefix, and `digest` (a keyed hash) binds a finding's
fingerprint to the value.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from readiness import lazyre
from readiness.gates.config.loaders import PathKey

SHAPES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("private key block", re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")),
    ("AWS access key id", re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Z0-9])")),
    ("GitHub token", re.compile(r"(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{50,})")),
    ("Slack token", re.compile(r"(?<![A-Za-z0-9])xox[abposr]-[A-Za-z0-9-]{10,}")),
    ("Stripe live key", re.compile(r"(?<![A-Za-z0-9])[rs]k_live_[A-Za-z0-9]{20,}")),
    ("Google API key", re.compile(r"(?<![A-Za-z0-9])AIza[0-9A-Za-z_-]{35}")),
    ("JSON Web Token", re.compile(r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")),
    ("GitLab token", re.compile(r"(?<![A-Za-z0-9_-])gl(?:pat|dt|rt|ptt|cbt)-[A-Za-z0-9_-]{20,}")),
    ("npm token", re.compile(r"(?<![A-Za-z0-9_])npm_[A-Za-z0-9]{36}(?![A-Za-z0-9])")),
    ("PyPI token", re.compile(r"(?<![A-Za-z0-9_-])pypi-AgE[A-Za-z0-9_-]{50,}")),
    ("Slack webhook", re.compile(r"https://hooks\.slack\.com/(?:services|workflows)/T[A-Z0-9]+/[A-Z0-9]+/[A-Za-z0-9]{16,}")),
    ("SendGrid key", re.compile(r"(?<![A-Za-z0-9_-])SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])")),
    ("OpenAI key", re.compile(r"(?<![A-Za-z0-9_-])sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}"
                              r"T3BlbkFJ[A-Za-z0-9_-]{20,}")),
    ("Anthropic key", re.compile(r"(?<![A-Za-z0-9_-])sk-ant-(?:api|admin)\d\d-[A-Za-z0-9_-]{80,}")),
    ("DigitalOcean token", re.compile(r"(?<![A-Za-z0-9_])do[opr]_v1_[a-f0-9]{64}(?![a-f0-9])")),
    ("Shopify token", re.compile(r"(?<![A-Za-z0-9_])shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}(?![a-fA-F0-9])")),
    ("PuTTY private key", re.compile(r"PuTTY-User-Key-File-[1-9]: [a-z0-9@.-]+")),
    ("HTTP Authorization header", re.compile(
        r"(?i:authorization\s*:\s*(?:basic|bearer|token|digest)\s+)[A-Za-z0-9+/=._~-]{8,}")),
)
CREDENTIAL_KINDS = frozenset({
    "private key block", "AWS access key id", "GitHub token", "Slack token", "Stripe live key",
    "Google API key", "GitLab token", "npm token", "PyPI token", "Slack webhook", "SendGrid key",
    "OpenAI key", "Anthropic key", "DigitalOcean token", "Shopify token", "PuTTY private key",
})
"""Shapes that are a provider's credential format: committed, they are a security incident
(`config/committed-credential`, critical). Other hits (a JWT, often a public example or anon key;
a password in a URL; a key-name guess) are `config/plaintext-secret` (high)."""
PRIVATE_KEY_HEADER = next(pattern for kind, pattern in SHAPES if kind == "private key block")
"""A PEM private key's BEGIN line."""
PUTTY_HEADER = "PuTTY-User-Key-File-"
"""How a PuTTY private key file (`.ppk`) starts; its material follows `Private-Lines:`."""
_FAKE_WORDS = lazyre.compile(r"example|sample|dummy|fake|placeholder|redacted|your|xxxx|1234567", re.IGNORECASE)
_PEM_BODY = lazyre.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----\s*(?:[A-Za-z-]+:[^\n]*\n\s*)*"
                       r"(?P<body>[A-Za-z0-9+/=\s]*)")
_ANY_SHAPE = lazyre.compile("|".join(f"(?P<s{i}>{pattern.pattern})" for i, (_, pattern) in enumerate(SHAPES)))
_SHAPE_MIN_LEN = 15
_SHAPE_HINTS = ("-----BEGIN ", "AKIA", "ASIA", "ABIA", "ACCA", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_",
                "xox", "k_live_", "AIza", "eyJ", "glpat-", "gldt-", "glrt-", "glptt-", "glcbt-", "npm_", "pypi-AgE",
                "https://hooks.slack.com/", "SG.", "sk-", "_v1_", "shp", PUTTY_HEADER)
"""Text every match of a case-sensitive SHAPES pattern contains (the Authorization header, matched
without regard to case, has `_AUTH_HINT`): a value holding none of them cannot match, and a few
substring tests cost a fifth of running the joined alternation over it."""
_AUTH_HINT = lazyre.compile("authorization", re.IGNORECASE)
MAX_SCAN_DEPTH = 256
"""How deep a config document is walked for secrets (deeper values are not scanned)."""
_URL_PASSWORD = lazyre.compile(r"(?<![a-z0-9+.-])[a-z][a-z0-9+.-]*://[^/\s:@]+:(?P<pw>[^@\s/]+)@", re.IGNORECASE)

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
_PLACEHOLDER = lazyre.compile(
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
_FILE_PATH = lazyre.compile(r"^(?:/|\./|\.\./|~/)[^\s]*$|^[\w./-]+\.(?:pem|key|crt|p12|pfx|json|txt|jks)$")
_WORD_SPLIT = lazyre.compile(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])")


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
    credential: bool = False
    """True for a provider's credential format (`CREDENTIAL_KINDS`): critical."""
    digest: str = ""
    """A keyed hash of the secret (`digest`), never the secret: a finding's fingerprint changes
    when another value is written at the same key."""


_DIGEST_KEY = b"readiness-gates/secret-fingerprint/v1"


def digest(value: str) -> str:
    """A short keyed hash of a secret (HMAC-SHA256, 16 hex digits): the same value always gives the
    same digest, so a baseline keeps matching it, and another value gives another one. Keyed and cut
    short so that the report (which holds fingerprints) is no oracle for guessing the value."""
    return hmac.new(_DIGEST_KEY, value.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:16]


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


_MARKER_WORDS = frozenset({
    "fixme", "todo", "tbd", "changeme", "replaceme", "replace", "your", "yours", "example", "examples",
    "sample", "dummy", "fake", "placeholder", "generate", "generated", "insert", "fill", "redacted",
})
"""Words that make a value a stand-in wherever they appear in it (`fixme-postgres-password`,
`get_your_key_here`, `example_pw`, `CHANGE-THIS`)."""
_CHANGE_THIS = lazyre.compile(r"\bchange[\s_-]*(?:this|me|it)\b", re.IGNORECASE)
_WORDS = lazyre.compile(r"[A-Za-z]{3,}")


def is_placeholder(value: str) -> bool:
    """True for empty values, template references and the usual stand-ins."""
    v = value.strip().strip("'\"")
    if not v or len(v) < 3:
        return True
    if v.lower() in _PLACEHOLDER_WORDS:
        return True
    if _PLACEHOLDER.match(v) or _CHANGE_THIS.search(v):
        return True
    return any(w.lower() in _MARKER_WORDS for w in _WORDS.findall(re.sub(r"(?<=[a-z])(?=[A-Z])", " ", v)))


def wordy(value: str) -> bool:
    """True for a value made of words a person chose (`data encryption key with 32 char`,
    `test_Password123`), not machine-random text: most of its letters are in runs of three or more
    letters that alternate vowels and consonants like words do."""
    letters = sum(c.isalpha() for c in value)
    words = [w for w in _WORDS.findall(re.sub(r"(?<=[a-z])(?=[A-Z])", " ", value)) if _pronounceable(w)]
    return len(words) >= 2 and sum(len(w) for w in words) >= 0.6 * max(letters, 1)


def _pronounceable(word: str) -> bool:
    low = word.lower()
    vowels = sum(c in "aeiouy" for c in low)
    return 0.2 <= vowels / len(low) <= 0.7 and not re.search(r"[^aeiouy]{5}", low)


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


def _hinted(value: str) -> bool:
    """True when `value` holds one of the shapes' hints (a loop: a third faster than `any()` here)."""
    for hint in _SHAPE_HINTS:
        if hint in value:
            return True
    return _AUTH_HINT.search(value) is not None


def check_value(path: PathKey, value: str) -> SecretHit | None:
    """Whether one string value, at `path`, is a committed secret."""
    if len(value) >= _SHAPE_MIN_LEN and _hinted(value):
        for m in _ANY_SHAPE.finditer(value):
            if m.lastgroup is None:  # pragma: no cover - every alternative is a named group
                continue
            kind = SHAPES[int(m.lastgroup[1:])][0]
            if _looks_fake(kind, m.group(), value, m.start()):
                continue
            secret = _pem_material(value, m.start()) if kind == "private key block" else m.group()
            return SecretHit(path, kind, redact(m.group()), True, kind in CREDENTIAL_KINDS, digest(secret))
    if "://" in value and "@" in value:
        url = _URL_PASSWORD.search(value)
        if url and not is_placeholder(url.group("pw")):
            pw = url.group("pw")
            return SecretHit(path, "password in a URL", redact(pw), _strong(pw), digest=digest(pw))
    key = next((p for p in reversed(path) if isinstance(p, str)), None)
    if key is None or not is_secret_key(key):
        return None
    if is_placeholder(value) or _FILE_PATH.match(value.strip()):
        return None
    strong = _strong(value, 16)
    kind = f"high-entropy value of key '{key}'" if strong else f"literal value of key '{key}'"
    return SecretHit(path, kind, redact(value), strong, digest=digest(value))


def _pem_material(value: str, at: int) -> str:
    """The key material of the private key block whose header starts at `at` (base64 only, line
    breaks and their escapes dropped); read up to the next `-----` after the header (its END line or
    another header), so that no text is read for more than one header."""
    closing = value.find("-----", at + 5, at + _PEM_WINDOW)
    stop = value.find("-----", closing + 5, at + _PEM_WINDOW) if closing >= 0 else -1
    window = value[at:stop if stop >= 0 else at + _PEM_WINDOW]
    if "\\" in window:  # line breaks written as escapes (`\\n`, `\\\\n`, `\\r\\n`): a PEM in a JSON
        # string, a code literal or a single-quoted YAML value; replaced, never matched (linear)
        window = window.replace("\\r", "").replace("\\n", "\n").replace("\\", "")
    body = _PEM_BODY.match(window)
    return re.sub(r"\s+", "", body.group("body")) if body else ""


def _putty_material(value: str, at: int) -> str:
    """The private material of the PuTTY key whose header starts at `at`: the base64 after its
    `Private-Lines:` line, up to `Private-MAC:` (read up to the next header: linear)."""
    nxt = value.find(PUTTY_HEADER, at + 1, at + _PEM_WINDOW)
    limit = nxt if nxt >= 0 else at + _PEM_WINDOW
    lines = value.find("Private-Lines:", at, limit)
    if lines < 0:
        return ""
    body_at = value.find("\n", lines, limit)
    mac = value.find("Private-MAC", lines, limit)
    body = value[body_at if body_at >= 0 else limit:mac if mac >= 0 else limit]
    return re.sub(r"[^A-Za-z0-9+/=]+", "", body)


_B64_VALUE = re.compile(r"[A-Za-z0-9+/]{16,}={0,2}")
MAX_ENCODED = 65536
"""Longest base64 value decoded to look for a credential in it (a PEM key is about 2-4 KiB)."""


def check_encoded(path: PathKey, value: str) -> SecretHit | None:
    """A provider credential or private key inside a base64 value (a Kubernetes Secret's `data:`,
    which `kubectl create secret -o yaml` writes): decoded, then judged as a value. Only certain
    credentials count (a decoded word under a `password` key is too weak a signal here)."""
    v = value.strip()
    if not 16 <= len(v) <= MAX_ENCODED or len(v) % 4 or not _B64_VALUE.fullmatch(v):
        return None
    try:
        text = base64.b64decode(v, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):  # UnicodeDecodeError is a ValueError: binary, not text
        return None
    hit = check_value(path, text)
    if hit is None or not hit.certain or not (hit.credential or hit.kind == "private key block"):
        return None
    return SecretHit(path, f"{hit.kind}, base64-encoded", hit.redacted, True, hit.credential, hit.digest)


_PEM_WINDOW = 16384
"""How much text after a private key's header its material is read from."""


def _looks_fake(kind: str, token: str, value: str, at: int) -> bool:
    """A documentation example or stand-in rather than a credential: AWS's `AKIAIOSFODNN7EXAMPLE`,
    `ghp_xxxx…`, `sk_live_0000…`, a private key header with no key material after it (read from
    `value` at `at`, where the token starts, without copying the rest: one value may hold many)."""
    if kind == "private key block":
        material = _pem_material(value, at)
        return len(material) < 16 or bool(_FAKE_WORDS.search(material))
    if kind == "PuTTY private key":
        material = _putty_material(value, at)
        return len(material) < 16 or bool(_FAKE_WORDS.search(material))
    if _FAKE_WORDS.search(token):
        return True
    tail = token[-20:]
    return len(set(tail)) <= 4 or entropy(tail) < 2.5


def _strong(value: str, min_len: int = 12) -> bool:
    """Long and random enough to be a real secret rather than a word someone chose."""
    return len(value) >= min_len and entropy(value) >= 3.5


def example_value(hit: SecretHit, value: str) -> bool:
    """True for a hit that an example file (`.env.example`, `sample.env`) may hold on purpose: not a
    provider's credential format and not a strong random value (a dev default such as
    `postgres://postgres:postgres@localhost`, `DB_PASSWORD=secret123`, `test_Password123`, a sample
    JWT)."""
    if hit.credential:
        return False
    return not hit.certain or hit.kind == "JSON Web Token" or wordy(value)


def scan(value: Any) -> Iterator[SecretHit]:
    """Every secret-looking string in a document (paths are built only for hits)."""
    trail: list[str | int] = []

    def walk(node: Any, depth: int) -> Iterator[SecretHit]:
        if depth > MAX_SCAN_DEPTH:
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
