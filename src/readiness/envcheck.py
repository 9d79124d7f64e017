"""Deploy-time drift: `readiness env --schema FILE` checks the running environment (or an env file,
or the variable names a platform lists) against the env schema the config gate uses.

* The schema is the config gate's env schema: a JSON Schema object whose `properties` are the
  variable names. Its reading of the schema is reused (`gates.config.envfiles`): which names are
  allowed (`properties`, `patternProperties`, `additionalProperties`), how a string value becomes the
  property's type before validation, how a dotenv file is parsed.
* Problems: a required variable missing or empty, a variable the schema does not allow
  (`additionalProperties: false`), one it marks `deprecated`, a value that breaks its property's
  schema (type, format, pattern, enum, bounds).
* Values are never printed, in any format: a problem names the variable and what is wrong, and
  describes the rule from the schema's side ("is not a valid uri", "does not match ^postgres://"),
  never the value. Unparsable lines of an env file are named by their line number only.
"""

from __future__ import annotations

import enum
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from readiness import lazyre
from readiness.errors import UsageError
from readiness.model import FailOn, Severity
from readiness.workspace import fnmatch_any

MAX_INPUT_BYTES = 4 * 1024 * 1024
"""Schema files, env files and name listings larger than this are refused."""
PROCESS_IGNORE: tuple[str, ...] = (
    "PATH", "HOME", "HOSTNAME", "PWD", "OLDPWD", "SHLVL", "TERM", "TERM_*", "COLORTERM", "LANG", "LANGUAGE",
    "LC_*", "USER", "LOGNAME", "SHELL", "MAIL", "TZ", "TMPDIR", "TEMP", "TMP", "_", "DISPLAY", "SSH_*", "XDG_*",
    "PS1", "EDITOR", "PAGER", "LESS*", "LS_COLORS", "NO_COLOR", "FORCE_COLOR", "DEBIAN_FRONTEND", "HOSTTYPE",
    "OSTYPE", "MACHTYPE", "container", "JOURNAL_STREAM", "INVOCATION_ID", "SYSTEMD_EXEC_PID", "DBUS_*",
    "MOTD_SHOWN", "CI", "GITHUB_*", "RUNNER_*", "ACTIONS_*", "INPUT_*", "STATE_*", "ImageOS", "ImageVersion",
    "AGENT_TOOLSDIRECTORY", "GITLAB_*", "CI_*", "BUILDKITE*", "CIRCLE*", "JENKINS_*", "BUILD_*", "KUBERNETES_*",
    "PYTHON*", "PIP_*", "VIRTUAL_ENV", "CONDA_*", "npm_*", "NODE_*", "NVM_*", "JAVA_HOME*", "GOPATH", "GOROOT",
    "DOTNET_*", "ANDROID_*", "CHROME*", "RUSTUP_*", "CARGO_*", "HOMEBREW_*", "PIPX_*", "READINESS_*",
)
"""Variables of the shell, the OS and CI runners: never `unknown` when checking the process
environment (a name the schema declares is always checked)."""
_NAME_RE = lazyre.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
_LISTING_LINE_RE = lazyre.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*(?:[=:]|$)")


class ProblemKind(enum.StrEnum):
    """What is wrong with a variable."""

    MISSING = "missing"
    EMPTY = "empty"
    INVALID = "invalid"
    UNKNOWN = "unknown"
    DEPRECATED = "deprecated"
    UNPARSABLE = "unparsable"

    @property
    def severity(self) -> Severity:
        """missing, empty, invalid: high; unknown, unparsable: medium; deprecated: low."""
        return _SEVERITY[self]

    @property
    def rule(self) -> str:
        """The config gate's rule whose page explains the problem (`readiness explain`)."""
        return _RULE[self]


_SEVERITY = {ProblemKind.MISSING: Severity.HIGH, ProblemKind.EMPTY: Severity.HIGH,
             ProblemKind.INVALID: Severity.HIGH, ProblemKind.UNKNOWN: Severity.MEDIUM,
             ProblemKind.UNPARSABLE: Severity.MEDIUM, ProblemKind.DEPRECATED: Severity.LOW}
_RULE = {ProblemKind.MISSING: "config/env-missing-required", ProblemKind.EMPTY: "config/env-missing-required",
         ProblemKind.INVALID: "config/env-invalid-value", ProblemKind.UNKNOWN: "config/env-unknown-variable",
         ProblemKind.DEPRECATED: "config/env-deprecated-variable", ProblemKind.UNPARSABLE: "config/parse-error"}


@dataclass(frozen=True, slots=True, kw_only=True)
class EnvProblem:
    """One variable and what is wrong with it. Never holds the value."""

    name: str
    """The variable (or `line N` for an unparsable env-file line)."""
    kind: ProblemKind
    """What is wrong."""
    message: str
    """One sentence, built from the name and the schema only."""

    @property
    def severity(self) -> Severity:
        """The kind's severity."""
        return self.kind.severity


@dataclass(frozen=True, slots=True, kw_only=True)
class EnvSource:
    """The variables to check."""

    kind: str
    """`process`, `env-file` or `names`."""
    label: str
    """How the report names it (a path, `process environment`, ...)."""
    values: Mapping[str, str | None]
    """Name -> value (None when only the name is known: a platform listing)."""
    unparsable: tuple[int, ...] = ()
    """Line numbers an env file or listing could not be read at."""


@dataclass(frozen=True, slots=True, kw_only=True)
class EnvReport:
    """The result of one `readiness env` run."""

    schema: str
    """The schema file as given."""
    source: EnvSource
    """What was checked (its values are never rendered)."""
    checked: int
    """Variables judged (after ignores)."""
    problems: tuple[EnvProblem, ...]
    """Sorted by severity, then name."""
    fail_on: FailOn
    """The threshold."""
    values_checked: bool = True
    """False for a names-only source: formats and types could not be checked."""
    ignored: int = 0
    """Variables of the process environment left out (system, CI, --ignore, --prefix)."""
    notes: tuple[str, ...] = field(default_factory=tuple)
    """Plain words about the run."""

    @property
    def blocking(self) -> tuple[EnvProblem, ...]:
        """Problems at or above the threshold."""
        return tuple(p for p in self.problems if self.fail_on.should_fail(p.severity))


# inputs --------------------------------------------------------------------------------------
def _read(path: str, what: str) -> str:
    if path == "-":
        import sys

        data = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
    else:
        p = Path(path)
        try:
            if p.stat().st_size > MAX_INPUT_BYTES:
                raise UsageError(f"{what} {path}: larger than {MAX_INPUT_BYTES // (1024 * 1024)} MiB")
            data = p.read_bytes()
        except FileNotFoundError:
            raise UsageError(f"{what} {path}: no such file") from None
        except IsADirectoryError:
            raise UsageError(f"{what} {path}: is a directory") from None
        except OSError as exc:
            raise UsageError(f"{what} {path}: cannot read it ({exc.strerror})") from None
    if len(data) > MAX_INPUT_BYTES:
        raise UsageError(f"{what} {path}: larger than {MAX_INPUT_BYTES // (1024 * 1024)} MiB")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UsageError(f"{what} {path}: not UTF-8 text") from None


def load_schema(path: str) -> tuple[dict[str, Any], Any]:
    """The env schema (JSON, or YAML by extension) and a validator for it; UsageError when it is
    unreadable or not a valid JSON Schema object."""
    text = _read(path, "--schema")
    try:
        if path.endswith((".yml", ".yaml")):
            from readiness.yamlpos import YamlError, load_one

            try:
                schema = load_one(text, node_budget=100_000, positions=False).value
            except YamlError as exc:
                raise UsageError(f"--schema {path}: {exc}") from None
        else:
            schema = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise UsageError(f"--schema {path}: not JSON ({type(exc).__name__})") from None
    if not isinstance(schema, dict):
        raise UsageError(f"--schema {path}: an env schema is a JSON Schema object whose properties are the variables")
    from jsonschema.exceptions import SchemaError

    from readiness.gates.config.schema import validator_class

    cls = validator_class(schema)
    try:
        cls.check_schema(schema)
    except SchemaError as exc:
        where = "/".join(map(str, exc.absolute_path)) or "the top level"
        raise UsageError(f"--schema {path}: not a valid JSON Schema at {where}: {exc.message[:200]}") from None
    return schema, cls(schema, format_checker=cls.FORMAT_CHECKER)


def process_source(environ: Mapping[str, str] | None = None) -> EnvSource:
    """The running process's environment."""
    env = os.environ if environ is None else environ
    return EnvSource(kind="process", label="process environment", values=dict(env))


def env_file_source(path: str) -> EnvSource:
    """A dotenv file, read the way the config gate reads `.env.example` (python-dotenv's parser)."""
    from readiness.gates.config.envfiles import parse_dotenv

    variables, issues = parse_dotenv(_read(path, "--env-file"))
    values: dict[str, str | None] = {}
    for var in variables:
        values[var.name] = var.value if var.value is not None else ""
    return EnvSource(kind="env-file", label=path, values=values, unparsable=tuple(i.line for i in issues))


def names_source(path: str) -> EnvSource:
    """Variable names from a platform listing: a JSON array of names, a JSON object (its keys), or
    lines of `NAME`, `NAME=...`, `export NAME=...` or `NAME: ...` (what follows a name is ignored)."""
    text = _read(path, "--names")
    stripped = text.lstrip()
    names: list[str] = []
    bad: list[int] = []
    if stripped[:1] in ("[", "{"):
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            raise UsageError(f"--names {path}: starts like JSON but is not JSON") from None
        keys = list(data) if isinstance(data, dict) else data if isinstance(data, list) else []
        names = [k for k in keys if isinstance(k, str) and _NAME_RE.match(k)]
        if len(names) != len(keys):
            bad.append(0)
    else:
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            m = _LISTING_LINE_RE.match(line)
            if m is None:
                bad.append(n)
                continue
            names.append(m.group(1))
    return EnvSource(kind="names", label=path, values=dict.fromkeys(names), unparsable=tuple(bad))


# the check -----------------------------------------------------------------------------------
def _describe(err: Any) -> str:
    """What a schema error means, from the schema's side only (never the instance)."""
    kw, want = err.validator, err.validator_value
    if kw == "type":
        types = want if isinstance(want, list) else [want]
        return "is not of type " + " or ".join(map(str, types))
    if kw == "format":
        return f"is not a valid {want}"
    if kw == "pattern":
        return f"does not match the pattern {str(want)[:120]}"
    if kw == "enum" and isinstance(want, list):
        shown = ", ".join(json.dumps(v)[:40] for v in want[:6]) + (", ..." if len(want) > 6 else "")
        return f"is not one of the allowed values ({shown})"
    if kw == "const":
        return "is not the one allowed value"
    bounds = {"minLength": "is shorter than {} characters", "maxLength": "is longer than {} characters",
              "minimum": "is below the minimum {}", "maximum": "is above the maximum {}",
              "exclusiveMinimum": "is not above {}", "exclusiveMaximum": "is not below {}",
              "multipleOf": "is not a multiple of {}"}
    if kw in bounds:
        return bounds[kw].format(want)
    if kw in ("oneOf", "anyOf"):
        return "matches none of the allowed forms"
    return f"breaks the schema's {kw!r} rule"


def check(schema: Mapping[str, Any], validator: Any, source: EnvSource, *, schema_label: str,
          fail_on: FailOn = FailOn.MEDIUM, ignore: Sequence[str] = (), prefix: str | None = None) -> EnvReport:
    """Judge the source's variables against the schema."""
    from readiness.gates.config.envfiles import coerce, unknown_allowed

    raw_props = schema.get("properties")
    props: dict[str, Any] = raw_props if isinstance(raw_props, dict) else {}
    raw_required = schema.get("required")
    required = [r for r in raw_required if isinstance(r, str)] if isinstance(raw_required, list) else []
    system = PROCESS_IGNORE if source.kind == "process" else ()
    judged: dict[str, str | None] = {}
    ignored = 0
    for name, value in source.values.items():
        declared = name in props or name in required
        if not declared and (fnmatch_any(name, system) or fnmatch_any(name, ignore)
                             or (prefix is not None and not name.startswith(prefix))):
            ignored += 1
            continue
        judged[name] = value
    problems: list[EnvProblem] = []
    for line in source.unparsable:
        where = f"line {line}" if line else "an entry"
        problems.append(EnvProblem(name=f"line {line}" if line else "(listing)", kind=ProblemKind.UNPARSABLE,
                                   message=f"{where} of {source.label} is not a NAME=value binding, so it was "
                                           "skipped (its text is not shown: it may hold a value)"))
    values_known = source.kind != "names"
    for name in required:
        if name not in judged:
            problems.append(EnvProblem(name=name, kind=ProblemKind.MISSING,
                                       message=f"{name} is required by the schema and is not set"))
        elif values_known and judged[name] is not None and not str(judged[name]).strip():
            problems.append(EnvProblem(name=name, kind=ProblemKind.EMPTY,
                                       message=f"{name} is required by the schema and is set but empty"))
    # unlike `.env.example` in the config gate, a running environment holds many variables the app
    # never reads: only a schema that closes itself (additionalProperties: false) makes them unknown
    closed = schema.get("additionalProperties") is False or schema.get("unevaluatedProperties") is False
    instance: dict[str, Any] = {}
    for name, value in judged.items():
        prop = props.get(name)
        if prop is None and closed and not unknown_allowed(dict(schema), name):
            problems.append(EnvProblem(name=name, kind=ProblemKind.UNKNOWN,
                                       message=f"{name} is not declared in the schema, which allows no other "
                                               "variables (a typo, or a setting nobody documented)"))
            continue
        if isinstance(prop, dict) and prop.get("deprecated") is True:
            problems.append(EnvProblem(name=name, kind=ProblemKind.DEPRECATED,
                                       message=f"{name} is marked deprecated in the schema and is still set"))
        if values_known and value is not None and value.strip():  # empty: unset for optional ones
            instance[name] = coerce(value, _local_target(schema, prop))
    problems.extend(_invalid_values(validator, instance))
    problems.sort(key=lambda p: (-p.severity.rank, p.name, p.kind.value))
    notes = ("names only: types and formats were not checked",) if not values_known else ()
    return EnvReport(schema=schema_label, source=source, checked=len(judged), problems=tuple(problems),
                     fail_on=fail_on, values_checked=values_known, ignored=ignored, notes=notes)


def _local_target(schema: Mapping[str, Any], prop: Any) -> Any:
    """A property schema with local `$ref`s (`#/$defs/...`) followed, so the value is converted to
    the type the referenced schema wants; anything else is returned as it is."""
    for _ in range(10):
        ref = prop.get("$ref") if isinstance(prop, dict) else None
        if not isinstance(ref, str) or not ref.startswith("#/") or prop.get("type") is not None:
            return prop
        node: Any = schema
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            node = node.get(part) if isinstance(node, dict) else None
        if not isinstance(node, dict):
            return prop
        prop = node
    return prop


def _invalid_values(validator: Any, instance: dict[str, Any]) -> list[EnvProblem]:
    """Each variable's first schema error, validated as one object so `$ref`s and
    `patternProperties` work as they do for the config gate."""
    from jsonschema.exceptions import best_match
    from referencing.exceptions import Unresolvable

    by_name: dict[str, list[Any]] = {}
    try:
        for err in validator.iter_errors(instance):
            path = list(err.absolute_path)
            if path and isinstance(path[0], str) and path[0] in instance:
                by_name.setdefault(path[0], []).append(err)
    except (Unresolvable, RecursionError) as exc:
        raise UsageError(f"the env schema cannot be applied: {type(exc).__name__} (a $ref that does not "
                         "resolve inside the file?)") from None
    return [EnvProblem(name=name, kind=ProblemKind.INVALID, message=f"{name} {_describe(best_match(errs))}")
            for name, errs in sorted(by_name.items())]


# rendering (no value reaches any of these) ---------------------------------------------------
def render_text(report: EnvReport) -> str:
    """Terminal output: names and problems, control characters escaped."""
    from readiness.render.text import safe_terminal

    verdict = "FAIL" if report.blocking else "PASS"
    head = (f"readiness env: {verdict} ({len(report.problems)} problem{'s' if len(report.problems) != 1 else ''}, "
            f"{len(report.blocking)} at or above {report.fail_on.value})")
    lines = [head, f"schema: {safe_terminal(report.schema)}; checked: {safe_terminal(report.source.label)}, "
                   f"{report.checked} variables" + (f" ({report.ignored} system or ignored left out)"
                                                   if report.ignored else "")]
    lines += [f"note: {n}" for n in report.notes]
    if report.problems:
        lines.append("")
    for p in report.problems:
        lines.append(f"  {p.severity.value:<8} {p.kind.value:<10} {safe_terminal(p.message)}")
    return "\n".join(lines) + "\n"


def report_dict(report: EnvReport) -> dict[str, Any]:
    """JSON output: names, kinds, severities and messages; never a value."""
    from readiness import __version__

    return {
        "tool": {"name": "readiness-gates", "version": __version__},
        "verdict": "fail" if report.blocking else "pass",
        "fail_on": report.fail_on.value,
        "schema": report.schema,
        "source": {"kind": report.source.kind, "label": report.source.label, "checked": report.checked,
                   "ignored": report.ignored, "values_checked": report.values_checked},
        "problems": [{"name": p.name, "problem": p.kind.value, "severity": p.severity.value, "rule": p.kind.rule,
                      "message": p.message} for p in report.problems],
    }


def render_markdown(report: EnvReport) -> str:
    """A job-summary section."""
    from readiness.render import escape

    icon = "❌" if report.blocking else "✅"
    out = [f"{icon} **readiness env: {'FAIL' if report.blocking else 'PASS'}** — "
           f"{len(report.problems)} problem{'s' if len(report.problems) != 1 else ''}, "
           f"{len(report.blocking)} at or above {escape.code_span(report.fail_on.value)}", "",
           f"Schema {escape.code_span(report.schema, max_len=200)}, {escape.inline(report.source.label, max_len=200)}: "
           f"{report.checked} variables checked.", ""]
    out += [f"_{escape.inline(n)}_" for n in report.notes]
    if report.problems:
        out += ["| Variable | Problem | Severity | What is wrong |", "|:--|:--|:--|:--|"]
        out += [f"| {escape.code_span(p.name, max_len=120, table=True)} | {p.kind.value} | {p.severity.value} | "
                f"{escape.inline(p.message, max_len=300)} |" for p in report.problems]
    return "\n".join(out) + "\n"
