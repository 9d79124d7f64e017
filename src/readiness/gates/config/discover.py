"""Which files the config gate looks at, and which schema governs each - and how it was paired.

Without configuration:
* YAML/JSON/TOML files under `config/`;
* anywhere in the repository, a config file that names its schema: a `$schema` key, a
  `# yaml-language-server: $schema=<path>` modeline, or TOML's `#:schema <path>` directive, when
  the path is a file in the repository (a web URL is never fetched);
* anywhere, `X.yaml`/`X.yml`/`X.json`/`X.toml` beside `X.schema.json` (or `X.schema.yaml`), as
  Helm's `values.yaml` and `values.schema.json`;
* environments `config/<env>.<ext>` when two or more known environment names exist;
* dotenv files anywhere: `.env`, `.env.*` (`.env.example`, `.env.sample`, `.env.production`...),
  `*.env.example`, `sample.env`, `example.env`, `env.example`; each paired with the env schema
  nearest to it (`env.schema.json`, `.env.schema.json`, `schemas/env.schema.json` or
  `config/env.schema.json` in its directory or an enclosing one).

Each item of the report says how its schema was found (`paired_by`).

Paths from `.readiness.yml` that leave the repository are a configuration error (exit 2); paths
written inside repository files that leave it are findings (the file is untrusted input).
"""

from __future__ import annotations

import bisect
import posixpath
import re
from dataclasses import dataclass
from typing import Any

from readiness import lazyre
from readiness.config.settings import ConfigGateSettings
from readiness.gates.base import repo_relative
from readiness.gates.config.environments import AUTO_NAMES, DEPLOYED
from readiness.gates.config.schema import is_metaschema_uri
from readiness.workspace import Workspace

DEFAULT_FILES = ("config/**/*.yaml", "config/**/*.yml", "config/**/*.json", "config/**/*.toml")
DEFAULT_ENV_FILES = ("**/.env", "**/.env.*", "**/*.env.example", "**/*.env.sample", "**/*.env.template",
                     "**/*.env.dist", "**/sample.env", "**/example.env", "**/env.example", "**/env.sample")
"""Dotenv files found anywhere (minus the names below that are not dotenv files)."""
_NOT_DOTENV = lazyre.compile(r"\.(?:json|ya?ml|toml|md|txt|js|cjs|mjs|ts|py|sh|rb|go|lock|vault|gpg|enc|age|asc|bak|swp"
                             r"|orig)$|\.env\.keys$", re.IGNORECASE)
EXAMPLE_ENV = lazyre.compile(r"(?:^|[._-])(?:example|sample|template|dist|tpl|defaults?)(?:$|[._-])", re.IGNORECASE)
"""A dotenv file whose values are examples (its name says so)."""
TEST_ENV = lazyre.compile(r"(?:^|[._-])(?:test|testing|tests|ci|e2e|dev|development|local)(?:$|[._-])", re.IGNORECASE)
"""A dotenv file for tests or local development: its values are fixtures and local defaults."""
DEFAULT_ENV_SCHEMAS = ("env.schema.json", "schemas/env.schema.json", "config/env.schema.json",
                       ".env.schema.json")
ENV_EXTS = (".yaml", ".yml", ".json", ".toml")
CONFIG_EXTS = ("**/*.yaml", "**/*.yml", "**/*.json", "**/*.toml")
SCHEMA_SUFFIXES = (".schema.json", ".schema.yaml", ".schema.yml")
_MODELINE = lazyre.compile(r"^[ \t]*#[ \t]*yaml-language-server[ \t]*:[ \t]*\$schema=(\S+)", re.MULTILINE)
_TAPLO_DIRECTIVE = lazyre.compile(r"^[ \t]*#:schema[ \t]+(\S+)", re.MULTILINE)
_CLAIM_MARKS = ("$schema", "#:schema")
MAX_HEAD_LINE = 4096
"""Lines longer than this in a file's head are not searched for a modeline."""


def repo_path(value: str, key: str, source: str | None) -> str:
    """A path from `.readiness.yml` under `gates.config`; ConfigError when it leaves the repository."""
    return repo_relative(value, f"gates.config.{key}", source)


@dataclass(frozen=True, slots=True)
class SchemaRef:
    """A schema a file names for itself."""

    raw: str
    """As written."""
    rel: str | None
    """Repository path it resolves to; None when remote or outside."""
    remote: bool
    """An http(s) URL (never fetched)."""
    metaschema: bool
    """The file is itself a JSON Schema (its `$schema` is a draft's metaschema)."""
    outside: bool
    """It points outside the repository."""
    key_line: int | None
    """Line of the modeline (for `$schema` keys the gate finds the position itself)."""


def modeline(text: str) -> tuple[str, int] | None:
    """`# yaml-language-server: $schema=...` or TOML's `#:schema ...` in the first 20 lines:
    (value, line)."""
    head = "\n".join(line for line in text[:20 * MAX_HEAD_LINE].splitlines()[:20] if len(line) <= MAX_HEAD_LINE)
    m = _MODELINE.search(head) or _TAPLO_DIRECTIVE.search(head)
    if m is None:
        return None
    return m.group(1), head.count("\n", 0, m.start()) + 1


def resolve_schema_ref(file_rel: str, raw: str, key_line: int | None = None) -> SchemaRef:
    """Resolve a `$schema` value written in `file_rel` (relative to its directory; `/x` from the root)."""
    if is_metaschema_uri(raw):
        return SchemaRef(raw, None, False, True, False, key_line)
    if re.match(r"^[a-z][a-z0-9+.-]*://", raw, re.IGNORECASE):
        remote = raw.lower().startswith(("http://", "https://"))
        return SchemaRef(raw, None, remote, False, not remote, key_line)
    target = raw.split("#", 1)[0]
    joined = target.lstrip("/") if target.startswith("/") else posixpath.join(posixpath.dirname(file_rel), target)
    norm = posixpath.normpath(joined)
    if norm == ".." or norm.startswith("../") or not target:
        return SchemaRef(raw, None, False, False, True, key_line)
    return SchemaRef(raw, norm, False, False, False, key_line)


def own_schema(file_rel: str, text: str, first_doc: Any) -> SchemaRef | None:
    """The schema a file names for itself, if any."""
    if isinstance(first_doc, dict) and isinstance(first_doc.get("$schema"), str):
        return resolve_schema_ref(file_rel, first_doc["$schema"])
    if file_rel.endswith((".yaml", ".yml", ".toml")) and ("$schema" in text or "#:schema" in text):
        found = modeline(text)
        if found is not None:
            return resolve_schema_ref(file_rel, found[0], found[1])
    return None


def auto_environments(ws: Workspace) -> tuple[str, list[str]] | None:
    """(`config/{env}.<ext>`, names) when two or more deployed environments are written that way."""
    for ext in ENV_EXTS:
        names = [n for n in AUTO_NAMES if ws.exists(f"config/{n}{ext}")]
        if len([n for n in names if n in DEPLOYED]) >= 2:
            return f"config/{{env}}{ext}", [n for n in names if n in DEPLOYED]
    return None


def env_files(ws: Workspace, settings: ConfigGateSettings, source: str | None) -> list[str]:
    """The dotenv files to check."""
    out: list[str] = []
    example = settings.env_example
    if example is not None:
        out.append(repo_path(example, "env_example", source))
    if settings.env_files is not None:
        out.extend(ws.glob(settings.env_files))
    elif example is None:
        out.extend(f for f in ws.glob(DEFAULT_ENV_FILES) if not _NOT_DOTENV.search(posixpath.basename(f)))
    return list(dict.fromkeys(out))


def env_kind(rel: str) -> str:
    """`example` (`.env.example`, `sample.env`: values to copy), `test` (`.env.test`,
    `.env.development`: fixtures and local defaults) or `real` (`.env`, `.env.production`)."""
    name = posixpath.basename(rel).removeprefix(".env").removesuffix(".env")
    if EXAMPLE_ENV.search(name):
        return "example"
    if TEST_ENV.search(name):
        return "test"
    return "real"


def env_schema(settings: ConfigGateSettings, source: str | None) -> str | None:
    """The configured env schema path, repository-relative, or None."""
    if settings.env_schema is not None:
        return repo_path(settings.env_schema, "env_schema", source)
    return None


def nearest_env_schema(ws: Workspace, dotenv_rel: str) -> str | None:
    """The env schema nearest to a dotenv file: in its directory, else in the closest enclosing one."""
    directory = posixpath.dirname(dotenv_rel)
    while True:
        for name in DEFAULT_ENV_SCHEMAS:
            candidate = posixpath.join(directory, name) if directory else name
            if is_file(ws, candidate):
                return candidate
        if not directory:
            return None
        directory = posixpath.dirname(directory)


def sibling_schemas(ws: Workspace) -> dict[str, str]:
    """`X.yaml` (or .yml, .json, .toml) -> `X.schema.json` (or .schema.yaml/.yml) beside it."""
    out: dict[str, str] = {}
    for schema in ws.glob(tuple(f"**/*{suffix}" for suffix in SCHEMA_SUFFIXES)):
        stem = schema[: -len(next(sfx for sfx in SCHEMA_SUFFIXES if schema.endswith(sfx)))]
        for ext in ENV_EXTS:
            if is_file(ws, stem + ext):
                out.setdefault(stem + ext, schema)
    return out


def is_file(ws: Workspace, rel: str) -> bool:
    """True for a listed file (not a directory)."""
    files = ws.files()
    i = bisect.bisect_left(files, rel)
    return i < len(files) and files[i] == rel


def may_name_a_schema(text: str) -> bool:
    """A cheap test before parsing: the text mentions `$schema` or a TOML schema directive."""
    return any(mark in text for mark in _CLAIM_MARKS)


def is_schema_file(rel: str) -> bool:
    """True for `*.schema.json` / `*.schema.yaml` names: schemas, not configs."""
    return rel.lower().endswith(SCHEMA_SUFFIXES)
