"""`.readiness.yml`: loaded with positions, validated against the shipped JSON Schema."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from readiness import lazyre
from readiness.config.settings import (
    ChecklistGateSettings,
    ConfigGateSettings,
    DepsGateSettings,
    DocsGateSettings,
    MigrationsGateSettings,
)
from readiness.config.settings import as_globs as as_globs  # re-exported: gates import it from here
from readiness.errors import ConfigError
from readiness.model import GATE_IDS, FailOn, Location, Severity
from readiness.workspace import DEFAULT_MAX_FILE_BYTES

if TYPE_CHECKING:  # yaml is imported only when there is a config file to read (~25 ms of start-up)
    from readiness.yamlpos import YamlDoc

CONFIG_NAME = ".readiness.yml"
CONFIG_MAX_BYTES = 1024 * 1024
"""`.readiness.yml` over this is refused."""
CONFIG_NODE_BUDGET = 20_000
"""YAML nodes a `.readiness.yml` may hold (an alias bomb is refused, not expanded)."""


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
    """Per-gate settings, as written (validated): what the policy compares and merges. Gates read the
    typed `<gate>_gate` attributes below, parsed from it."""
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
    config_gate: ConfigGateSettings = field(init=False, repr=False, compare=False)
    """`gates.config`, typed: parsed here, once, whenever a Config is made (`replace` included)."""
    docs_gate: DocsGateSettings = field(init=False, repr=False, compare=False)
    """`gates.docs`, typed the same way."""
    deps_gate: DepsGateSettings = field(init=False, repr=False, compare=False)
    """`gates.deps`, typed the same way."""
    migrations_gate: MigrationsGateSettings = field(init=False, repr=False, compare=False)
    """`gates.migrations`, typed the same way."""
    checklist_gate: ChecklistGateSettings = field(init=False, repr=False, compare=False)
    """`gates.checklist`, typed the same way."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "config_gate", ConfigGateSettings.parse(self.gate("config")))
        object.__setattr__(self, "docs_gate", DocsGateSettings.parse(self.gate("docs")))
        object.__setattr__(self, "deps_gate", DepsGateSettings.parse(self.gate("deps")))
        object.__setattr__(self, "migrations_gate", MigrationsGateSettings.parse(self.gate("migrations")))
        object.__setattr__(self, "checklist_gate", ChecklistGateSettings.parse(self.gate("checklist")))

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


def load_config(path: Path | None, *, display: str | None = None) -> Config:
    """Load and validate a config file; None gives the built-in defaults."""
    if path is None:
        return Config()
    shown = display or str(path)
    try:
        if path.stat().st_size > CONFIG_MAX_BYTES:
            raise ConfigError(f"file is larger than {CONFIG_MAX_BYTES // (1024 * 1024)} MiB", path=shown)
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError("config file not found", path=shown) from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file: {exc.strerror}", path=shown) from None
    return load_config_bytes(raw, shown)


def load_config_bytes(raw: bytes, shown: str) -> Config:
    """Validate config text read by the caller (from the work tree, a commit, or the runner)."""
    return parse_config(load_config_doc(raw, shown), shown)


def load_config_doc(raw: bytes, shown: str) -> YamlDoc:
    """The YAML document of a config file, with positions; ConfigError naming the line when it is not YAML."""
    if len(raw) > CONFIG_MAX_BYTES:
        raise ConfigError(f"file is larger than {CONFIG_MAX_BYTES // (1024 * 1024)} MiB", path=shown)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError("config file is not UTF-8 text", path=shown) from None
    from readiness.yamlpos import YamlError, load_one

    try:
        return load_one(text, node_budget=CONFIG_NODE_BUDGET)
    except YamlError as exc:
        raise ConfigError(str(exc), path=shown, line=exc.line, column=exc.column) from None


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
            extra = sorted((k for k in err.instance if k not in allowed), key=str)
            if extra:
                epath = (*epath, extra[0])
                pos = doc.keys.get(epath) or doc.position(epath)
                where = _dotted(epath[:-1]) or "top level"
                raise ConfigError(
                    f"{_unknown_key(extra[0], allowed)} at {where}; allowed: {', '.join(sorted(allowed))}",
                    path=shown, line=pos.line, column=pos.column)
        pos = doc.values.get(epath) or doc.position(epath)
        raise ConfigError(f"{_dotted(epath) or 'document'}: {schema_problem(err)}", path=shown,
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
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            key = part if isinstance(part, str) and _PLAIN_KEY.match(part) else "[key]"
            out += f".{key}" if out else key
    return out


_PLAIN_KEY = lazyre.compile(r"[A-Za-z0-9_][A-Za-z0-9_./-]{0,63}\Z")
_JSON_TYPES = {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean", int: "an integer",
               float: "a number", type(None): "null"}


def _unknown_key(key: object, allowed: set[str]) -> str:
    """`unknown key` and, when it is a typo of an allowed key, both names. Other keys are not repeated:
    the line number shows them, and a config path can point at a file whose keys are not ours to echo."""
    if isinstance(key, str) and _PLAIN_KEY.match(key):
        close = sorted(a for a in allowed if _distance(key.lower(), a) <= max(1, min(len(a), len(key)) // 4))
        if close:
            return f"unknown key {key!r} (did you mean {close[0]!r}?)"
    return "unknown key"


def _distance(a: str, b: str) -> int:
    """Levenshtein distance (keys are short)."""
    if abs(len(a) - len(b)) > 3:
        return 99
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def _kind(value: object) -> str:
    return _JSON_TYPES.get(type(value), type(value).__name__)


_YAML11_BOOL_WORDS = {True: ("on", "yes", "true", "y"), False: ("off", "no", "false", "n")}


def _yaml11_word(value: Any, allowed: Any) -> str | None:
    """The allowed word a boolean most likely was before YAML 1.1 read it (`replay: off` is False)."""
    if not isinstance(value, bool) or not isinstance(allowed, list):
        return None
    return next((w for w in _YAML11_BOOL_WORDS[value] if w in allowed), None)


def schema_problem(err: Any) -> str:
    """What is wrong, in words built from the schema alone: the file's own text is never echoed
    (a config path can point at any file the runner has, and its content must not reach a log)."""
    kind, expected = err.validator, err.validator_value
    if kind == "type":
        names = expected if isinstance(expected, list) else [expected]
        return f"expected {' or '.join(map(str, names))}, found {_kind(err.instance)}"
    if kind == "enum":
        problem = "must be one of " + ", ".join(json.dumps(v) for v in expected)
        meant = _yaml11_word(err.instance, expected)
        if meant is not None:
            problem += f" (YAML reads an unquoted {meant} as a boolean: write \"{meant}\")"
        return problem
    if kind == "const":
        return f"must be {json.dumps(expected)}"
    if kind == "required":
        missing = [k for k in expected if not (isinstance(err.instance, dict) and k in err.instance)]
        return f"missing required key {', '.join(missing) or 'value'}"
    if kind in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        word = {"minimum": "at least", "maximum": "at most", "exclusiveMinimum": "more than",
                "exclusiveMaximum": "less than"}[kind]
        return f"must be {word} {expected:,}" if isinstance(expected, int | float) else f"must be {word} {expected}"
    if kind in ("minLength", "minItems"):
        return f"must have at least {expected} {'character' if kind == 'minLength' else 'item'}(s)"
    if kind in ("maxLength", "maxItems", "maxProperties"):
        unit = {"maxLength": "character", "maxItems": "item", "maxProperties": "key"}[kind]
        return f"must have at most {expected:,} {unit}(s)"
    if kind == "pattern":
        return f"does not match the pattern {expected}"
    if kind == "format":
        return f"is not a valid {expected}"
    if kind == "propertyNames":
        return "has a key that is not a rule id (<gate>/<rule-name>)"
    if kind in ("oneOf", "anyOf"):
        return "has the wrong shape (see the schema's description of this key)"
    return f"is not valid ({kind})"
