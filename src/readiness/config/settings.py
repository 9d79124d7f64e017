"""Each gate's settings, parsed once at config load into frozen dataclasses (config and docs so far).

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

from readiness.model import Severity

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


@dataclass(frozen=True, slots=True, kw_only=True)
class WhenChanged:
    """`gates.docs.when_changed[i]`: a change to `paths` must touch `require_touch` too."""

    paths: tuple[str, ...]
    """Globs whose change triggers the rule."""
    require_touch: tuple[str, ...]
    """Globs of which at least one file must change with them."""
    severity: Severity | None = None
    """Overrides the rule's severity."""
    reason: str = ""
    """Shown in the finding's message."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DocsGateSettings:
    """`gates.docs`."""

    require: tuple[str, ...] | None = None
    """Paths that must exist, as written (a trailing `/`: a directory); None: the defaults."""
    adr_dir: str | None = None
    """The ADR directory, as written; None: discovered."""
    runbooks: tuple[str, ...] = ()
    """Globs of runbooks; empty: the defaults."""
    runbook_sections: tuple[str, ...] | None = None
    """Sections a runbook must have; None: the defaults."""
    adr_sections: tuple[str, ...] | None = None
    """Sections an ADR must have; None: the defaults."""
    alert_rules: tuple[str, ...] = ()
    """Globs of alert rule files; empty: the defaults."""
    when_changed: tuple[WhenChanged, ...] = ()
    """Change-triggered documentation rules."""

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> DocsGateSettings:
        """From the validated `gates.docs` mapping."""
        def strings(value: Any) -> tuple[str, ...] | None:
            return None if value is None else tuple(str(v) for v in value)

        return cls(
            require=strings(raw.get("require")),
            adr_dir=_optional_str(raw.get("adr_dir")),
            runbooks=as_globs(raw.get("runbooks")),
            runbook_sections=strings(raw.get("runbook_sections")),
            adr_sections=strings(raw.get("adr_sections")),
            alert_rules=as_globs(raw.get("alert_rules")),
            when_changed=tuple(
                WhenChanged(paths=as_globs(e.get("paths")), require_touch=as_globs(e.get("require_touch")),
                            severity=Severity(e["severity"]) if e.get("severity") else None,
                            reason=str(e.get("reason") or "").strip())
                for e in raw.get("when_changed") or ()),
        )
