"""`.readiness.yml`: loaded with positions, validated against the shipped JSON Schema."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from readiness.errors import ConfigError
from readiness.model import GATE_IDS, FailOn, Location, Severity

if TYPE_CHECKING:  # yaml is imported only when there is a config file to read (~25 ms of start-up)
    from readiness.yamlpos import YamlDoc

CONFIG_NAME = ".readiness.yml"
DEFAULT_MAX_FILE_BYTES = 2 * 1024 * 1024
CONFIG_MAX_BYTES = 1024 * 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfigWaiver:
    """A waiver from `.readiness.yml`."""

    rule: str
    """The rule id it waives."""
    path: str | None
    """Glob of files it covers; None for all."""
    fingerprint: str | None
    """Only this finding, when set."""
    reason: str
    """Why; empty is itself a finding."""
    expires: date | None
    """Past this date the waiver no longer applies and is itself a finding."""
    location: Location
    """Where it is written."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Config:
    """The effective configuration."""

    source: str | None = None
    """Repository-relative (or given) path of the config file; None for built-in defaults."""
    fail_on: FailOn = FailOn.CRITICAL
    """Default threshold (the CLI flag overrides it)."""
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    """Files larger than this are reported, not read."""
    exclude: tuple[str, ...] = ()
    """Globs no gate looks at."""
    gates: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Per-gate settings, as written (validated)."""
    waivers: tuple[ConfigWaiver, ...] = ()
    """Config waivers."""
    severity_overrides: dict[str, Severity] = field(default_factory=dict)
    """Rule id -> severity."""
    external: bool = False
    """The file lives outside the repository (the runner's own `--config`), so its paths may name
    directories on the runner; a config inside the repository may only name repository paths."""
    include: tuple[str, ...] = ()
    """Globs of directories every gate reads although the built-in exclusions (vendored code,
    other projects' test data: `workspace.DEFAULT_EXCLUDE_DIRS`) skip them."""

    def gate(self, gate_id: str) -> dict[str, Any]:
        """One gate's settings ({} when absent)."""
        return self.gates.get(gate_id, {})

    def enabled(self, gate_id: str) -> bool:
        """A gate runs unless its `enabled` is false."""
        return bool(self.gate(gate_id).get("enabled", True))

    def on_error(self, gate_id: str) -> str:
        """`fail` (default) or `warn`."""
        return str(self.gate(gate_id).get("on_error", "fail"))

    def scope_all(self, gate_id: str) -> bool:
        """True when the gate judges pre-existing findings too."""
        return self.gate(gate_id).get("scope") == "all"


@cache
def config_schema() -> dict[str, Any]:
    """The shipped JSON Schema of `.readiness.yml`."""
    text = Path(__file__).with_name("schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def as_globs(value: Any) -> tuple[str, ...]:
    """A `globs` value (string or list) as a tuple."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


def load_config(path: Path | None, *, display: str | None = None) -> Config:
    """Load and validate a config file; None gives the built-in defaults."""
    if path is None:
        return Config()
    shown = display or str(path)
    try:
        if path.stat().st_size > CONFIG_MAX_BYTES:
            raise ConfigError("file is larger than 1 MiB", path=shown)
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError("config file not found", path=shown) from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file: {exc.strerror}", path=shown) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError("config file is not UTF-8 text", path=shown) from None
    from readiness.yamlpos import YamlError, load_one

    try:
        doc = load_one(text, node_budget=20_000)
    except YamlError as exc:
        raise ConfigError(str(exc), path=shown, line=exc.line, column=exc.column) from None
    return parse_config(doc, shown)


def parse_config(doc: YamlDoc, shown: str) -> Config:
    """Validate a loaded document and build the Config."""
    data = doc.value if doc.value is not None else {}
    if doc.duplicates:
        dup_path, _first, again = doc.duplicates[0]
        raise ConfigError(f"duplicate key {_dotted(dup_path)!r}", path=shown, line=again.line,
                          column=again.column)
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import best_match

    validator = Draft202012Validator(config_schema(), format_checker=Draft202012Validator.FORMAT_CHECKER)
    errors = list(validator.iter_errors(data))
    if errors:
        err = best_match(errors)
        epath = tuple(err.absolute_path)
        if err.validator == "additionalProperties" and isinstance(err.instance, dict):
            allowed = set(err.schema.get("properties", {}))
            extra = sorted(k for k in err.instance if k not in allowed)
            if extra:
                epath = (*epath, extra[0])
                pos = doc.keys.get(epath) or doc.position(epath)
                where = _dotted(epath[:-1]) or "top level"
                raise ConfigError(
                    f"unknown key {extra[0]!r} at {where}; allowed: {', '.join(sorted(allowed))}",
                    path=shown, line=pos.line, column=pos.column)
        pos = doc.values.get(epath) or doc.position(epath)
        raise ConfigError(f"{_dotted(epath) or 'document'}: {err.message}", path=shown,
                          line=pos.line, column=pos.column)
    gates = {g: dict(data.get("gates", {}).get(g) or {}) for g in GATE_IDS}
    waivers = []
    for i, w in enumerate(data.get("waivers", []) or []):
        pos = doc.position(("waivers", i))
        expires = None
        if "expires" in w:
            try:
                expires = date.fromisoformat(str(w["expires"]))
            except ValueError:
                raise ConfigError(f"waivers[{i}].expires is not a date", path=shown, line=pos.line,
                                  column=pos.column) from None
        waivers.append(ConfigWaiver(
            rule=w["rule"], path=w.get("path"), fingerprint=w.get("fingerprint"),
            reason=str(w.get("reason") or "").strip(), expires=expires,
            location=Location(path=shown, line=pos.line, column=pos.column)))
    return Config(
        source=shown,
        fail_on=FailOn(data.get("fail_on", "critical")),
        max_file_bytes=int(data.get("max_file_bytes", DEFAULT_MAX_FILE_BYTES)),
        exclude=as_globs(data.get("exclude")),
        gates=gates,
        waivers=tuple(waivers),
        severity_overrides={k: Severity(v) for k, v in (data.get("severity_overrides") or {}).items()},
        include=as_globs(data.get("include")),
    )


def _dotted(path: tuple[Any, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
