"""Each gate's settings, parsed once at config load into frozen dataclasses; gates read attributes.

The shipped JSON Schema (`schema.json`) has validated the values before they reach these parsers,
so a parser only gives them their types; a test holds each dataclass's fields equal to the schema's
properties for that gate (`enabled`, `on_error` and `scope`, common to every gate, stay on `Config`).
Paths stay as written: a gate makes them repository-relative when it runs, so a path that leaves the
repository is an error only for a gate that uses it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

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


DepsService = Literal["osv", "pypi", "offline"]
"""Where the deps gate looks vulnerabilities up."""
DEPS_SERVICES: tuple[DepsService, ...] = ("osv", "pypi", "offline")
DEFAULT_LIVE_TIMEOUT = 15.0
"""Seconds for the live vulnerability service when `timeout` is not set."""
DEFAULT_MAX_DB_AGE_DAYS = 30
"""An offline database whose newest record is older than this (in days) is a finding."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DepsGateSettings:
    """`gates.deps`."""

    files: tuple[str, ...] | None = None
    """Globs of the dependency files; None: the defaults (auto-detection)."""
    service: DepsService | None = None
    """The vulnerability source; None: offline when `offline_db` is set, else osv."""
    offline_db: str | None = None
    """The OSV directory, as written (repository-relative unless the config is the runner's)."""
    osv_url: str | None = None
    """Base URL of an OSV-compatible API; None: OSV's own (the policy takes it only from the runner)."""
    timeout: float = DEFAULT_LIVE_TIMEOUT
    """Seconds for the live service (the policy takes it only from the runner)."""
    unknown_severity: Severity = Severity.CRITICAL
    """Severity of an advisory that publishes none."""
    require_lock: bool = True
    """Flag unpinned requirements when no lock file exists."""
    ignore_vulns: frozenset[str] = frozenset()
    """Advisory ids (or aliases) to ignore."""
    max_db_age_days: int = DEFAULT_MAX_DB_AGE_DAYS
    """An offline database older than this many days is a finding."""

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> DepsGateSettings:
        """From the validated `gates.deps` mapping."""
        files, service = raw.get("files"), raw.get("service")
        return cls(
            files=as_globs(files) if files is not None else None,
            service=next((s for s in DEPS_SERVICES if s == service), None),
            offline_db=str(raw["offline_db"]) if raw.get("offline_db") else None,
            osv_url=_optional_str(raw.get("osv_url")),
            timeout=float(raw.get("timeout") or DEFAULT_LIVE_TIMEOUT),
            unknown_severity=Severity(str(raw.get("unknown_severity") or "critical")),
            require_lock=bool(raw.get("require_lock", True)),
            ignore_vulns=frozenset(str(i) for i in raw.get("ignore_vulns") or ()),
            max_db_age_days=int(raw.get("max_db_age_days", DEFAULT_MAX_DB_AGE_DAYS)),
        )


ReplayMode = Literal["auto", "on", "off"]
"""Whether the migrations gate replays SQL migrations on a real PostgreSQL."""
REPLAY_MODES: tuple[ReplayMode, ...] = ("auto", "on", "off")
DEFAULT_LARGE_ROWS = 1_000_000
"""Estimated rows from which a table in `large_tables` counts as large."""


@dataclass(frozen=True, slots=True, kw_only=True)
class MigrationsGateSettings:
    """`gates.migrations`."""

    paths: tuple[str, ...] | None = None
    """Globs of migration files or directories; None: auto-detection."""
    dialect: str = "postgres"
    """The SQL dialect (only postgres)."""
    large_tables: tuple[tuple[str, int | None], ...] = ()
    """Each table named, lower-cased, with its estimated rows (None: listed by name only)."""
    large_table_rows: int = DEFAULT_LARGE_ROWS
    """Rows from which an estimated table counts as large."""
    require_reversible: bool | None = None
    """True: a migration without a way back is a finding; False: never; None: the format's own default."""
    require_lock_timeout: bool | None = None
    """Whether a lock-taking migration must set lock_timeout; None: SQL yes, Django/Alembic no."""
    replay: ReplayMode = "auto"
    """Replay SQL migrations on a real PostgreSQL (the runner's flag or input overrides it)."""
    postgres_version: int | None = None
    """The PostgreSQL major version to replay on; None: the newest installed."""
    transactional: bool | None = None
    """Whether plain SQL files run in one transaction; None: each format's own behaviour."""

    def large(self) -> dict[str, int | None]:
        """The tables that count as large (lower-cased) and their estimated rows (None: named as large)."""
        return {name: rows for name, rows in self.large_tables if rows is None or rows >= self.large_table_rows}

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> MigrationsGateSettings:
        """From the validated `gates.migrations` mapping."""
        paths, large, replay = raw.get("paths"), raw.get("large_tables"), raw.get("replay")
        tables: tuple[tuple[str, int | None], ...] = ()
        if isinstance(large, Mapping):
            tables = tuple((str(k).lower(), n) for k, n in large.items() if isinstance(n, int))
        elif isinstance(large, list):
            tables = tuple((str(k).lower(), None) for k in large)

        def flag(key: str) -> bool | None:
            value = raw.get(key)
            return value if isinstance(value, bool) else None

        version = raw.get("postgres_version")
        return cls(
            paths=as_globs(paths) if paths is not None else None,
            dialect=str(raw.get("dialect") or "postgres"),
            large_tables=tables,
            large_table_rows=int(raw.get("large_table_rows", DEFAULT_LARGE_ROWS)),
            require_reversible=flag("require_reversible"),
            require_lock_timeout=flag("require_lock_timeout"),
            replay=next((m for m in REPLAY_MODES if m == replay), "auto"),
            postgres_version=version if isinstance(version, int) and not isinstance(version, bool) else None,
            transactional=flag("transactional"),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ChecklistGateSettings:
    """`gates.checklist`."""

    file: str | None = None
    """The checklist file, as written (the gate makes it repository-relative); None: the defaults."""
    require: bool = False
    """A repository without a checklist is a finding (`checklist/missing-checklist`)."""
    evidence_fail_on: Severity = Severity.HIGH
    """`gate:` evidence fails on an unwaived finding at or above this, unless the entry says `fail_on`."""

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> ChecklistGateSettings:
        """From the validated `gates.checklist` mapping."""
        return cls(
            file=_optional_str(raw.get("file")),
            require=bool(raw.get("require", False)),
            evidence_fail_on=Severity(str(raw.get("evidence_fail_on", "high"))),
        )
