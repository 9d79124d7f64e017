"""Each gate's settings, parsed once at config load into frozen dataclasses (the config gate's so far).

The shipped JSON Schema (`schema.json`) has validated the values before they reach these parsers,
so a parser only gives them their types; a test holds each dataclass's fields equal to the schema's
properties for that gate (`enabled`, `on_error` and `scope`, common to every gate, stay on `Config`).
Paths stay as written: a gate makes them repository-relative when it runs, so a path that leaves the
repository is an error only for a gate that uses it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

COMMON_KEYS = frozenset({"enabled", "on_error", "scope"})
"""Keys every gate has; `Config.enabled`, `Config.on_error` and `Config.scope_all` read them."""


def as_globs(value: Any) -> tuple[str, ...]:
    """A `globs` value (a string or a list of them) as a tuple."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


def _optional_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


@dataclass(frozen=True, slots=True, kw_only=True)
class SchemaMapping:
    """`gates.config.schemas[i]`: files validated against one schema."""

    files: tuple[str, ...]
    """Globs of the files."""
    schema: str
    """The schema's path, as written."""


@dataclass(frozen=True, slots=True, kw_only=True)
class EnvironmentFiles:
    """`gates.config.environments`: one config file per environment, compared for drift."""

    files: str
    """Path template with `{env}`, as written."""
    names: tuple[str, ...]
    """The environments (two or more)."""
    ignore_keys: tuple[str, ...] = ()
    """Dotted keys allowed to differ."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfigGateSettings:
    """`gates.config`."""

    files: tuple[str, ...] | None = None
    """Globs of the config files to check; None: discovery (`config/**`, files naming a schema)."""
    schemas: tuple[SchemaMapping, ...] = ()
    """Explicit file -> schema pairings."""
    environments: EnvironmentFiles | None = None
    """Configured environments; None: discovered (`config/{env}.yaml` for deployed names)."""
    env_example: str | None = None
    """The dotenv example file, as written."""
    env_files: tuple[str, ...] | None = None
    """Globs of dotenv files; None: discovery (unless `env_example` is set)."""
    env_schema: str | None = None
    """The env schema, as written; None: the nearest one to each dotenv file."""
    secrets: bool = True
    """Scan for plaintext secrets."""

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> ConfigGateSettings:
        """From the validated `gates.config` mapping."""
        env = raw.get("environments")
        environments = None
        if isinstance(env, Mapping):
            environments = EnvironmentFiles(files=str(env["files"]), names=tuple(str(n) for n in env["names"]),
                                            ignore_keys=tuple(str(k) for k in env.get("ignore_keys") or ()))
        files, env_files = raw.get("files"), raw.get("env_files")
        return cls(
            files=as_globs(files) if files is not None else None,
            schemas=tuple(SchemaMapping(files=as_globs(e["files"]), schema=str(e["schema"]))
                          for e in raw.get("schemas") or ()),
            environments=environments,
            env_example=_optional_str(raw.get("env_example")),
            env_files=as_globs(env_files) if env_files is not None else None,
            env_schema=_optional_str(raw.get("env_schema")),
            secrets=raw.get("secrets", True) is not False,
        )
