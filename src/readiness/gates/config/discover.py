"""Which files the config gate looks at, and which schema governs each.

Without configuration: YAML/JSON/TOML files under `config/`; a schema named by the file itself
(`$schema` key, or a `# yaml-language-server: $schema=<path>` modeline) when it points inside the
repository; environments `config/<env>.<ext>` when two or more known environment names exist;
`.env.example` (and `.env`, `.env.sample`, `.env.template`, `.env.dist`) with `env.schema.json`
or `schemas/env.schema.json`.

Paths from `.readiness.yml` that leave the repository are a configuration error (exit 2); paths
written inside repository files that leave it are findings (the file is untrusted input).
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from typing import Any

from readiness.gates.base import repo_relative
from readiness.gates.config.environments import AUTO_NAMES, DEPLOYED
from readiness.gates.config.schema import is_metaschema_uri
from readiness.workspace import Workspace

DEFAULT_FILES = ("config/**/*.yaml", "config/**/*.yml", "config/**/*.json", "config/**/*.toml")
DEFAULT_ENV_FILES = (".env.example", ".env.sample", ".env.template", ".env.dist", ".env")
DEFAULT_ENV_SCHEMAS = ("env.schema.json", "schemas/env.schema.json", "config/env.schema.json",
                       ".env.schema.json")
ENV_EXTS = (".yaml", ".yml", ".json", ".toml")
_MODELINE = re.compile(r"^\s*#\s*yaml-language-server\s*:\s*\$schema=(\S+)", re.MULTILINE)


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
    """`# yaml-language-server: $schema=...` in the first 20 lines: (value, line)."""
    head = "\n".join(text.splitlines()[:20])
    m = _MODELINE.search(head)
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
    if file_rel.endswith((".yaml", ".yml", ".toml")):
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


def env_files(ws: Workspace, settings: dict[str, Any], source: str | None) -> list[str]:
    """The dotenv files to check."""
    out: list[str] = []
    example = settings.get("env_example")
    if isinstance(example, str):
        out.append(repo_path(example, "env_example", source))
    globs = settings.get("env_files")
    if globs is not None:
        pats = (globs,) if isinstance(globs, str) else tuple(globs)
        out.extend(ws.glob(pats))
    elif example is None:
        out.extend(f for f in DEFAULT_ENV_FILES if ws.exists(f))
    return list(dict.fromkeys(out))


def env_schema(ws: Workspace, settings: dict[str, Any], source: str | None) -> str | None:
    """The env schema path (configured, or the first default that exists)."""
    value = settings.get("env_schema")
    if isinstance(value, str):
        return repo_path(value, "env_schema", source)
    return next((p for p in DEFAULT_ENV_SCHEMAS if ws.exists(p)), None)
