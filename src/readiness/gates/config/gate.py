"""The config drift gate: discovery, pairing and fan-out over small checkers that return findings.

The checkers share one parsed-file cache (`files.ConfigFiles`): schema validation at
file:line:column (`check_schema`), environment drift (`check_environments`), dotenv files against an
env schema (`check_dotenv`) and plaintext secrets (`check_secrets`); YAML hazards (duplicate keys,
syntax errors, alias bombs, oversized files) are found as the cache parses. The gate's settings are
typed once, at config load (`Config.config_gate`).
"""

from __future__ import annotations

import posixpath
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from readiness.config.settings import ConfigGateSettings
from readiness.gates.base import GateContext, GateOutcome
from readiness.gates.config import check_dotenv, check_environments, check_schema, check_secrets, discover
from readiness.gates.config.files import ConfigFiles, FileState
from readiness.gates.config.loaders import ParseProblem, format_of, parse
from readiness.gates.config.rules import ENV_MISSING_REQUIRED, INVALID_SCHEMA
from readiness.model import Finding, GateId, Item, Location
from readiness.workspace import Workspace


@dataclass(frozen=True, slots=True, kw_only=True)
class _Plan:
    """What the gate checks in one repository: discovery and configuration, settled."""

    files: list[str]
    """Config files, in order."""
    mapped: dict[str, list[tuple[int, str]]]
    """File -> (index in `gates.config.schemas`, schema) pairings."""
    beside: dict[str, str]
    """File -> the schema beside it (`X.schema.json`), when nothing is configured."""
    envs: tuple[str, list[str]] | None
    """(path template with `{env}`, environment names), configured or discovered."""
    ignore: tuple[str, ...]
    """Keys environments may differ in."""
    dotenv: list[str]
    """Dotenv files."""
    env_schema: str | None
    """The configured env schema, repository-relative."""


BaseRef = Callable[[str], "discover.SchemaRef | None"]
"""A file's path -> the schema its base version names for itself (`base_ref`)."""


def base_ref(ctx: GateContext, rel: str) -> discover.SchemaRef | None:
    """The schema the base branch's version of `rel` names for itself (`$schema`, a modeline) when
    the pull request changes the file and that schema is a file in the repository; else None. A PR
    that re-points the file's own `$schema` (to a remote URL, a draft's metaschema, another file)
    or removes it is still judged by the pairing the base branch had."""
    if ctx.changes is None or not ctx.changes.touched(rel):
        return None
    text = ctx.base_text(rel)
    if not text or not discover.may_name_a_schema(text):
        return None
    first: Any = None
    try:
        parsed = parse(rel, text, format_of(rel) or "yaml")
        first = parsed.docs[0] if parsed.docs else None
    except ParseProblem:
        pass  # a modeline is still read
    ref = discover.own_schema(rel, text, first)
    if ref is None or ref.rel is None or ref.metaschema or ref.outside:
        return None
    return ref


def _plan(ws: Workspace, settings: ConfigGateSettings, source: str | None,
          findings: list[Finding], kept: BaseRef) -> _Plan:
    """Which files to check against which schemas (configuration errors go to `findings`); `kept`
    gives the pairing a changed file had at the base."""
    scan_globs = settings.files if settings.files is not None else discover.DEFAULT_FILES
    files = [f for f in ws.glob(scan_globs) if format_of(f)]
    mapped: dict[str, list[tuple[int, str]]] = {}
    for i, entry in enumerate(settings.schemas):
        schema_rel = discover.repo_path(entry.schema, f"schemas[{i}].schema", source)
        matched = ws.glob(entry.files)
        if not ws.exists(schema_rel):
            findings.append(INVALID_SCHEMA.finding(
                Location(path=source or schema_rel),
                message=f"Schema {schema_rel} (gates.config.schemas[{i}]) does not exist.",
                evidence=f"missing|{schema_rel}"))
            continue
        for f in matched:
            mapped.setdefault(f, []).append((i, schema_rel))
    files = list(dict.fromkeys([*files, *mapped]))
    beside: dict[str, str] = {}
    if settings.files is None:  # discovery without configuration: files that name or sit beside their schema
        beside = {f: sch for f, sch in discover.sibling_schemas(ws).items() if f not in mapped}
        taken = set(files) | set(beside)
        claims = [f for f in ws.glob(discover.CONFIG_EXTS) if f not in taken and format_of(f)
                  and not discover.is_schema_file(f) and (check_schema.claims_schema(ws, f) or _kept(ws, kept(f)))]
        files = list(dict.fromkeys([*files, *beside, *claims]))
    envs: tuple[str, list[str]] | None
    ignore: tuple[str, ...] = ()
    if settings.environments is not None:
        template = discover.repo_path(settings.environments.files, "environments.files", source)
        envs = (template, list(settings.environments.names))
        ignore = settings.environments.ignore_keys
    else:
        envs = discover.auto_environments(ws)
    return _Plan(files=files, mapped=mapped, beside=beside, envs=envs, ignore=ignore,
                 dotenv=discover.env_files(ws, settings, source),
                 env_schema=discover.env_schema(settings, source))


def _kept(ws: Workspace, ref: discover.SchemaRef | None) -> bool:
    """True when a base pairing is there to keep (its schema is a file in the repository)."""
    return ref is not None and ref.rel is not None and discover.is_file(ws, ref.rel)


def _check_file(files: ConfigFiles, rel: str, plan: _Plan, scan: bool, kept: BaseRef) -> list[Finding]:
    """One config file: its schema (configured, named by itself, kept from the base, or beside it)
    and its secrets."""
    pf = files.load(rel)
    st = files.state(rel)
    if pf is None:
        st.state = "unreadable or invalid"
        return check_secrets.check_unparsed(files.workspace, rel) if scan else []
    st.documents = len(pf.docs)
    out: list[Finding] = []
    ref = None if rel in plan.mapped else discover.own_schema(rel, pf.text, pf.docs[0] if pf.docs else None)
    base = None if rel in plan.mapped else kept(rel)
    if base is not None and (ref is None or ref.raw != base.raw) and _kept(files.workspace, base):
        # the PR re-points (or removes) the file's own `$schema`: the base's pairing still holds,
        # and a file the base paired with a schema is never taken for a schema itself
        if ref is not None and ref.rel is not None and ref.rel != base.rel and not ref.metaschema:
            out += check_schema.own_schema(files, rel, ref, pf)  # and the one it names now, if a file
        out += check_schema.own_schema(files, rel, base, pf)
        st.paired_by = "$schema at the base branch" if base.key_line is None else "modeline at the base branch"
    elif rel in plan.mapped:
        for i, schema_rel in plan.mapped[rel]:
            out += check_schema.validate(files, rel, schema_rel)
            st.paired_by = f"gates.config.schemas[{i}]"
    elif ref is not None and not (ref.remote and rel in plan.beside):
        out += check_schema.own_schema(files, rel, ref, pf)
    elif rel in plan.beside:
        out += check_schema.validate(files, rel, plan.beside[rel])
        st.paired_by = f"beside it ({posixpath.basename(plan.beside[rel])})"
    if scan:
        out += check_secrets.check(pf)
    files.release(rel)
    return out


def _check_dotenv_files(files: ConfigFiles, plan: _Plan, settings: ConfigGateSettings, source: str | None,
                        scan: bool) -> list[Finding]:
    ws = files.workspace
    out: list[Finding] = []
    env_schema = plan.env_schema
    if env_schema is not None and not ws.exists(env_schema):
        out.append(INVALID_SCHEMA.finding(
            Location(path=source or env_schema),
            message=f"Env schema {env_schema} (gates.config.env_schema) does not exist.",
            evidence=f"missing|{env_schema}"))
        env_schema = None
    for rel in plan.dotenv:
        if not ws.exists(rel):
            if settings.env_example is not None:
                out.append(ENV_MISSING_REQUIRED.finding(
                    Location(path=rel), message=f"Env example file {rel} (gates.config.env_example) "
                    "does not exist, so no variable is documented.", evidence=f"nofile|{rel}"))
            continue
        pairing: tuple[str, str] | None = None
        if env_schema is not None:
            pairing = (env_schema, "gates.config.env_schema")
        elif settings.env_schema is None:
            nearest = discover.nearest_env_schema(ws, rel)
            pairing = (nearest, "nearest env schema") if nearest is not None else None
        checked = check_dotenv.check(files, rel, pairing, scan,
                                     found=settings.env_example is None and settings.env_files is None)
        out += files.drain() + checked
    return out


def _items(states: dict[str, FileState]) -> list[Item]:
    return [Item({"path": rel, "format": st.fmt, "schema": st.schema, "state": st.state,
                  "documents": st.documents, "errors": st.errors, "paired_by": st.paired_by})
            for rel, st in sorted(states.items())]


class ConfigGate:
    """Config drift: schemas, environments, dotenv files, secrets, YAML hazards."""

    id = GateId("config")

    def run(self, ctx: GateContext) -> GateOutcome:
        """Judge the repository's config files. A path in `.readiness.yml` that leaves the
        repository raises ConfigError (exit 2)."""
        ws, settings, source = ctx.workspace, ctx.config.config_gate, ctx.config.source
        findings: list[Finding] = []
        kept: BaseRef = (lambda rel: base_ref(ctx, rel)) if ctx.changes is not None else (lambda _rel: None)
        plan = _plan(ws, settings, source, findings, kept)
        if settings.secrets and ctx.changes is not None:  # credentials in any other file the PR touches
            findings += check_secrets.check_changed(ws, sorted(ctx.changes.files), skip={*plan.files, *plan.dotenv})
        if not plan.files and not plan.dotenv and plan.envs is None and not findings:
            return GateOutcome(skipped="no config files found (config/, .env.example) and none configured")
        files = ConfigFiles(ws)
        for rel in plan.files:
            out = _check_file(files, rel, plan, settings.secrets, kept)
            findings += files.drain() + out
        if plan.envs is not None:
            out = check_environments.check(files, plan.envs[0], plan.envs[1], plan.ignore)
            findings += files.drain() + out
        findings += _check_dotenv_files(files, plan, settings, source, settings.secrets)
        findings += files.drain() + check_schema.schema_issues(files)
        extra: dict[str, Any] = {"paired": dict(sorted(Counter(
            (st.paired_by or "").split(" (")[0].split("[")[0] or "no schema"
            for st in files.states.values()).items()))}
        if plan.envs is not None:
            extra["environments"] = {"files": plan.envs[0], "names": plan.envs[1]}
        return GateOutcome(items=_items(files.states), findings=findings, extra=extra)


GATE = ConfigGate()
