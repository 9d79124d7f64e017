"""The config drift gate: schema violations at file:line:column, environment drift, dotenv files
against an env schema, plaintext secrets, and YAML hazards (duplicate keys, syntax errors, alias
bombs, oversized files)."""

from __future__ import annotations

import posixpath
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from readiness.gates.base import GateContext, GateOutcome, unreadable
from readiness.gates.config import discover, envfiles, environments, secrets
from readiness.gates.config.loaders import ParsedFile, ParseProblem, PathKey, format_of, parse
from readiness.gates.config.rules import (
    COMMITTED_CREDENTIAL,
    DUPLICATE_KEY,
    ENV_DEPRECATED_VARIABLE,
    ENV_INVALID_VALUE,
    ENV_MISSING_REQUIRED,
    ENV_UNKNOWN_VARIABLE,
    ENVIRONMENT_KEY_DRIFT,
    ENVIRONMENT_TYPE_DRIFT,
    INVALID_SCHEMA,
    PARSE_ERROR,
    PLAINTEXT_SECRET,
    SCHEMA_VIOLATION,
    UNREADABLE_FILE,
    UNSUPPORTED_SCHEMA,
)
from readiness.gates.config.schema import Compiled, SchemaBook, locate_errors, unresolvable_ref
from readiness.model import Confidence, Finding, GateId, Item, Location, Severity
from readiness.workspace import FileProblem
from readiness.yamlpos import Pos

MAX_ERRORS_PER_FILE = 200


def dotted(path: PathKey) -> str:
    """`('a', 0, 'b')` -> `a[0].b` (the root: `$`)."""
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else ("." if out else "") + str(p)
    return out or "$"


@dataclass(slots=True)
class _FileState:
    """What the gate learned about one config file, for its item."""

    fmt: str
    schema: str | None = None
    state: str = "not validated"
    documents: int = 0
    errors: int = 0
    paired_by: str | None = None
    """How the schema was found: `gates.config.schemas[0]`, `$schema`, `modeline`, `beside it`,
    `gates.config.env_schema`, `nearest env schema`."""


@dataclass(slots=True)
class _Run:
    """One run of the gate over one repository."""

    ctx: GateContext
    findings: list[Finding] = field(default_factory=list)
    parsed: dict[str, ParsedFile | None] = field(default_factory=dict)
    reported: set[str] = field(default_factory=set)
    states: dict[str, _FileState] = field(default_factory=dict)
    book: SchemaBook | None = None

    # reading --------------------------------------------------------------------------------
    def load(self, rel: str, fmt: str | None = None) -> ParsedFile | None:
        """A config file parsed (cached); None when unreadable or invalid (reported once)."""
        if rel in self.parsed:
            return self.parsed[rel]
        fmt = fmt or format_of(rel) or "yaml"
        pf: ParsedFile | None = None
        mark = len(self.findings)
        try:
            text = self.ctx.workspace.read_text(rel)
            pf = parse(rel, text, fmt)
        except FileProblem as problem:
            self.findings.append(unreadable(UNREADABLE_FILE, problem))
        except ParseProblem as exc:
            self.findings.append(PARSE_ERROR.finding(
                Location(path=rel, line=exc.line, column=exc.column),
                message=f"{rel}: {exc}.", evidence=f"parse|{exc}"))
        self.parsed[rel] = pf
        if rel in self.reported:  # parsed again after being released: its findings are out already
            self.findings[:] = self.findings[:mark]
            return pf
        self.reported.add(rel)
        if pf is not None:
            for dup in pf.duplicates:
                where = f" (document {dup.doc + 1})" if len(pf.docs) > 1 else ""
                self.findings.append(DUPLICATE_KEY.finding(
                    Location(path=rel, line=dup.again.line, column=dup.again.column),
                    message=(f"Key '{dotted(dup.path)}'{where} is written twice (first at line "
                             f"{dup.first.line}); the later value silently wins."),
                    evidence=f"dup|{dup.doc}|{dotted(dup.path)}"))
        return pf

    def state(self, rel: str) -> _FileState:
        if rel not in self.states:
            self.states[rel] = _FileState(fmt=format_of(rel) or "yaml")
        return self.states[rel]

    # schema validation ----------------------------------------------------------------------
    def validate(self, rel: str, schema_rel: str) -> None:
        assert self.book is not None
        st = self.state(rel)
        st.schema = schema_rel
        pf = self.load(rel)
        if pf is None:
            st.state = "unreadable or invalid"
            return
        compiled = self.book.get(schema_rel)
        if compiled is None:
            st.state = "schema invalid"
            return
        st.documents = len(pf.docs)
        errors = self._validate_docs(pf, compiled)
        if errors is None:
            st.state = "schema invalid"
            return
        st.errors += errors
        st.state = "invalid" if st.errors else "valid"

    def _validate_docs(self, pf: ParsedFile, compiled: Compiled) -> int | None:
        """Report every error of every document; the count, or None when the schema broke."""
        from referencing.exceptions import Unresolvable

        assert self.book is not None
        count = 0
        for i, doc in enumerate(pf.docs):
            if compiled.is_valid_fast(doc):
                continue
            try:
                located = locate_errors(compiled, doc, redact=secrets.secret_like)
            except Unresolvable as exc:
                ref = unresolvable_ref(exc)
                where = self._find_ref(compiled.rel, ref)
                self.book.issue(where[0], where[1].line, where[1].column,
                                f"$ref {ref!r} cannot be resolved inside the repository "
                                "(remote schemas are never fetched).", f"ref|{ref}")
                return None
            except RecursionError:
                self.findings.append(PARSE_ERROR.finding(
                    Location(path=pf.path), message=f"{pf.path} nests too deeply to be validated.",
                    evidence="too-deep"))
                return count
            if not located:
                continue
            positions = pf.positions(i)
            prefix = f"document {i + 1}: " if len(pf.docs) > 1 else ""
            for loc in located[:MAX_ERRORS_PER_FILE]:
                pos = positions.of_key(loc.path) if loc.at_key else positions.of_value(loc.path)
                self.findings.append(SCHEMA_VIOLATION.finding(
                    Location(path=pf.path, line=pos.line, column=pos.column),
                    message=f"{prefix}{loc.message} (schema {compiled.rel}).",
                    evidence=f"{i}|{compiled.rel}|{loc.evidence}"))
            count += len(located)
        return count

    def _find_ref(self, schema_rel: str, ref: str) -> tuple[str, Pos]:
        """Where a `$ref` is written: in the schema or one of the files it reached (else line 1)."""
        candidates = [schema_rel, *(r for r, pf in self.parsed.items() if pf is not None and r != schema_rel)]
        for rel in candidates:
            pf = self.parsed.get(rel)
            if pf is None or not pf.docs:
                continue
            path = _ref_path(pf.docs[0], ref)
            if path is not None:
                return rel, pf.positions(0).of_value(path)
        return schema_rel, Pos(1, 1)

    def schema_self(self, rel: str, ref: discover.SchemaRef, pf: ParsedFile) -> None:
        """Handle a schema a file names for itself."""
        assert self.book is not None
        st = self.state(rel)
        st.schema = ref.raw
        st.paired_by = "$schema" if ref.key_line is None else "modeline"
        if ref.metaschema:
            st.state = "schema file"
            st.documents = len(pf.docs)
            if not self.book.check_metaschema(pf):
                st.state = "invalid schema"
            return
        if ref.remote:
            st.state = "remote schema not fetched"
            return
        pos = self._schema_key_pos(pf, ref)
        if ref.outside or ref.rel is None:
            self.findings.append(INVALID_SCHEMA.finding(
                Location(path=rel, line=pos.line, column=pos.column),
                message=f"$schema {ref.raw!r} points outside the repository; it was not read.",
                evidence=f"outside|{ref.raw}"))
            st.state = "schema outside the repository"
            return
        if not self.ctx.workspace.exists(ref.rel):
            self.findings.append(INVALID_SCHEMA.finding(
                Location(path=rel, line=pos.line, column=pos.column),
                message=f"$schema {ref.raw!r} names {ref.rel}, which does not exist.",
                evidence=f"missing|{ref.rel}"))
            st.state = "schema missing"
            return
        self.validate(rel, ref.rel)

    @staticmethod
    def _schema_key_pos(pf: ParsedFile, ref: discover.SchemaRef) -> Pos:
        if ref.key_line is not None:
            return Pos(ref.key_line, 1)
        return pf.positions(0).of_key(("$schema",))

    # secrets --------------------------------------------------------------------------------
    def scan_secrets(self, pf: ParsedFile) -> None:
        for i, doc in enumerate(pf.docs):
            for hit in secrets.scan(doc):
                pos = pf.positions(i).of_value(hit.path)
                if secrets.ALLOWLIST_MARK in pf.line_text(pos.line):
                    continue
                self.findings.append(self._secret_finding(pf.path, pos, dotted(hit.path), hit))

    def scan_changed(self, paths: list[str], skip: set[str]) -> None:
        """Provider credentials (cloud key ids, tokens, private keys) in any other text file the PR
        adds or changes: a key committed to `app/settings.py` or `deploy/k8s.yaml` leaks as one in
        `config/` does. Only certain, provider-shaped credentials count here (no key-name guesses,
        no sample JWT or URL password), so code and tests stay quiet; unreadable files are not
        reported (they are not config)."""
        ws = self.ctx.workspace
        for rel in paths:
            if rel in skip or not ws.exists(rel):
                continue
            try:
                text = ws.read_text(rel)
            except FileProblem:
                continue
            at = 0
            for lineno, line in enumerate(text.split("\n"), start=1):
                start, at = at, at + len(line) + 1
                # a private key's material follows its header line: the check reads on from there
                value = text[start:start + 8192] if "PRIVATE KEY" in line else line
                hit = secrets.check_value((), value) if len(line) >= 16 else None
                if hit is not None and hit.certain and (hit.credential or hit.kind == "private key block") \
                        and secrets.ALLOWLIST_MARK not in line:
                    self.findings.append(self._secret_finding(rel, Pos(lineno, 1), rel, hit))

    @staticmethod
    def _secret_finding(rel: str, pos: Pos, where: str, hit: secrets.SecretHit) -> Finding:
        return (COMMITTED_CREDENTIAL if hit.credential else PLAINTEXT_SECRET).finding(
            Location(path=rel, line=pos.line, column=pos.column),
            message=f"'{where}' holds what looks like a committed secret ({hit.kind}: {hit.redacted}).",
            evidence=f"secret|{where}|{hit.kind}",
            confidence=Confidence.CERTAIN if hit.certain else Confidence.HEURISTIC)

    # environments ---------------------------------------------------------------------------
    def environments(self, template: str, names: list[str], ignore: tuple[str, ...]) -> None:
        envs: list[tuple[str, Any]] = []
        files: dict[str, ParsedFile] = {}
        for name in names:
            rel = template.replace("{env}", name)
            if not self.ctx.workspace.exists(rel):
                continue
            pf = self.load(rel)
            if pf is None or not pf.docs:
                continue
            files[name] = pf
            envs.append((name, pf.docs[0]))
        if len(envs) < 2:
            return
        key_drift, type_drift = environments.compare(envs, ignore)
        for k in key_drift:
            pf = files[k.present_in]
            pos = pf.positions(0).of_key(k.path)
            missing = ", ".join(f"{m} ({files[m].path})" for m in k.missing_in)
            self.findings.append(ENVIRONMENT_KEY_DRIFT.finding(
                Location(path=pf.path, line=pos.line, column=pos.column),
                message=f"Key '{k.dotted}' is set in {k.present_in} but missing in {missing}.",
                evidence=f"keydrift|{k.dotted}|{','.join(k.missing_in)}"))
        for t in type_drift:
            pf = files[t.env]
            pos = pf.positions(0).of_value(t.path)
            self.findings.append(ENVIRONMENT_TYPE_DRIFT.finding(
                Location(path=pf.path, line=pos.line, column=pos.column),
                message=(f"Key '{t.dotted}' is a {t.kind} in {t.env} but a {t.reference_kind} in "
                         f"{t.reference_env} ({files[t.reference_env].path})."),
                evidence=f"typedrift|{t.dotted}|{t.env}|{t.kind}|{t.reference_kind}"))

    # dotenv ---------------------------------------------------------------------------------
    def dotenv(self, rel: str, schema: tuple[str, str] | None, scan: bool, *, found: bool = False) -> None:
        """Check one dotenv file; `schema` is (env schema, how it was paired) or None. `found`: it was
        discovered, not configured."""
        st = self.state(rel)
        st.fmt = "dotenv"
        kind = discover.env_kind(rel)
        try:
            text = self.ctx.workspace.read_text(rel)
        except FileProblem as problem:
            if found and self.ctx.workspace.is_symlink(rel) and "does not exist" in problem.reason:
                # `apps/web/.env -> ../../.env`: a link to a file each developer creates, not committed
                st.state = "link to a file not in the repository"
                return
            self.findings.append(unreadable(UNREADABLE_FILE, problem))
            st.state = "unreadable"
            return
        variables, issues = envfiles.parse_dotenv(text)
        lines = text.splitlines()
        for issue in issues:
            self.findings.append(PARSE_ERROR.finding(
                Location(path=rel, line=issue.line, column=1),
                message=f"Line {issue.line} of {rel} is not a NAME=value binding; dotenv loaders skip it.",
                evidence=f"dotenv|{issue.text}"))
        seen: dict[str, envfiles.EnvVar] = {}
        for var in variables:
            if var.name in seen:
                self.findings.append(DUPLICATE_KEY.finding(
                    Location(path=rel, line=var.key.line, column=var.key.column),
                    message=(f"Variable {var.name} is set twice (first at line {seen[var.name].key.line}); "
                             "the later value silently wins."),
                    evidence=f"dup|{var.name}"))
            seen.setdefault(var.name, var)
            if scan and var.value:
                hit = secrets.check_value((var.name,), var.value)
                line = lines[var.key.line - 1] if var.key.line <= len(lines) else ""
                if hit is not None and secrets.ALLOWLIST_MARK not in line and not (
                        (kind == "example" and secrets.example_value(hit, var.value))
                        or (kind == "test" and not hit.credential)):
                    self.findings.append(self._secret_finding(rel, var.value_pos, var.name, hit))
        st.documents = 1
        if schema is None:
            return
        st.schema, st.paired_by = schema
        self._dotenv_schema(rel, schema[0], variables, st)

    def _dotenv_schema(self, rel: str, schema_rel: str, variables: list[envfiles.EnvVar],
                       st: _FileState) -> None:
        assert self.book is not None
        compiled = self.book.get(schema_rel)
        if compiled is None:
            st.state = "schema invalid"
            return
        schema = compiled.validator.schema
        if not isinstance(schema, dict):
            st.state = "valid"
            return
        props = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
        assert isinstance(props, dict)
        names = {v.name: v for v in variables}
        before = len(self.findings)
        required = schema.get("required") if isinstance(schema.get("required"), list) else []
        assert isinstance(required, list)
        for name in required:
            if isinstance(name, str) and name not in names:
                self.findings.append(ENV_MISSING_REQUIRED.finding(
                    Location(path=rel),
                    message=f"Required variable {name} (in {schema_rel}) is missing from {rel}.",
                    evidence=f"missing|{name}"))
        forbidden = envfiles.others_forbidden(schema)
        for var in variables:
            loc = Location(path=rel, line=var.key.line, column=var.key.column)
            prop = props.get(var.name)
            if prop is None and not envfiles.unknown_allowed(schema, var.name):
                self.findings.append(ENV_UNKNOWN_VARIABLE.finding(
                    loc, message=f"Variable {var.name} is not declared in {schema_rel}"
                                 + (f", which forbids any other ({forbidden}: false)." if forbidden else "."),
                    evidence=f"unknown|{var.name}",
                    severity=Severity.MEDIUM if forbidden else None))
                continue
            if isinstance(prop, dict) and prop.get("deprecated") is True:
                why = prop.get("description")
                hint = f": {str(why)[:120]}" if isinstance(why, str) and why else ""
                self.findings.append(ENV_DEPRECATED_VARIABLE.finding(
                    loc, message=f"Variable {var.name} is marked deprecated in {schema_rel}{hint}.",
                    evidence=f"deprecated|{var.name}"))
            if prop is None or var.value is None or secrets.is_placeholder(var.value):
                continue
            self._dotenv_value(rel, var, prop, compiled)
        st.errors = len(self.findings) - before
        st.state = "invalid" if st.errors else "valid"

    def _dotenv_value(self, rel: str, var: envfiles.EnvVar, prop: Any, compiled: Compiled) -> None:
        from jsonschema.exceptions import best_match
        from referencing.exceptions import Unresolvable

        assert var.value is not None
        value = envfiles.coerce(var.value, prop)
        try:
            errors = list(compiled.validator.evolve(schema=prop).iter_errors(value))
        except (Unresolvable, RecursionError):
            return
        for err in errors:
            best = best_match([err])
            message = best.message
            shown = secrets.secret_like((var.name,), var.value)
            if shown is not None or secrets.is_secret_key(var.name):
                message = message.replace(repr(value), repr(shown or secrets.redact(var.value)))
            self.findings.append(ENV_INVALID_VALUE.finding(
                Location(path=rel, line=var.value_pos.line, column=var.value_pos.column),
                message=f"{var.name}: {message[:200]} (schema {compiled.rel}).",
                evidence=f"value|{var.name}|{best.validator}"))

    def _claims_schema(self, rel: str) -> bool:
        """True when a file outside the scanned folders names a schema that is a file in this
        repository (`$schema`, a modeline): it is then validated like a config file."""
        ws = self.ctx.workspace
        try:
            text = ws.read_text(rel)
        except FileProblem:
            return False  # not ours to report: nothing says it is a config file
        if not discover.may_name_a_schema(text):
            return False
        first: Any = None
        if rel.endswith(".json") or "$schema:" in text or '"$schema"' in text or "'$schema'" in text:
            try:
                parsed = parse(rel, text, format_of(rel) or "yaml")
            except ParseProblem:
                return False
            first = parsed.docs[0] if parsed.docs else None
        ref = discover.own_schema(rel, text, first)
        return ref is not None and ref.rel is not None and not ref.metaschema and discover.is_file(ws, ref.rel)

    # the run --------------------------------------------------------------------------------
    def execute(self) -> GateOutcome:
        ctx, ws, settings = self.ctx, self.ctx.workspace, self.ctx.settings
        source = ctx.config.source
        self.book = SchemaBook(load=self.load, exists=ws.exists)
        globs = settings.get("files")
        scan_globs = ((globs,) if isinstance(globs, str) else tuple(globs)) if globs is not None else \
            discover.DEFAULT_FILES
        files = [f for f in ws.glob(scan_globs) if format_of(f)]
        mapped: dict[str, list[tuple[int, str]]] = {}
        for i, entry in enumerate(settings.get("schemas") or []):
            schema_rel = discover.repo_path(str(entry["schema"]), f"schemas[{i}].schema", source)
            pats = entry["files"]
            matched = ws.glob((pats,) if isinstance(pats, str) else tuple(pats))
            if not ws.exists(schema_rel):
                self.findings.append(INVALID_SCHEMA.finding(
                    Location(path=source or schema_rel),
                    message=f"Schema {schema_rel} (gates.config.schemas[{i}]) does not exist.",
                    evidence=f"missing|{schema_rel}"))
                continue
            for f in matched:
                mapped.setdefault(f, []).append((i, schema_rel))
        files = list(dict.fromkeys([*files, *mapped]))
        beside: dict[str, str] = {}
        if globs is None:  # discovery without configuration: files that name or sit beside their schema
            beside = {f: sch for f, sch in discover.sibling_schemas(ws).items() if f not in mapped}
            taken = set(files) | set(beside)
            claims = [f for f in ws.glob(discover.CONFIG_EXTS)
                      if f not in taken and format_of(f) and not discover.is_schema_file(f) and self._claims_schema(f)]
            files = list(dict.fromkeys([*files, *beside, *claims]))

        env_cfg = settings.get("environments")
        envs: tuple[str, list[str]] | None
        ignore: tuple[str, ...] = ()
        if isinstance(env_cfg, dict):
            template = discover.repo_path(str(env_cfg["files"]), "environments.files", source)
            envs = (template, [str(n) for n in env_cfg["names"]])
            ignore = tuple(str(k) for k in env_cfg.get("ignore_keys") or ())
        else:
            envs = discover.auto_environments(ws)
        dotenv_files = discover.env_files(ws, settings, source)
        env_schema = discover.env_schema(ws, settings, source)

        scan = settings.get("secrets", True) is not False
        if scan and self.ctx.changes is not None:
            self.scan_changed(sorted(self.ctx.changes.files), skip={*files, *dotenv_files})
        if not files and not dotenv_files and envs is None and not self.findings:
            return GateOutcome(skipped="no config files found (config/, .env.example) and none configured")

        for rel in files:
            pf = self.load(rel)
            st = self.state(rel)
            if pf is None:
                st.state = "unreadable or invalid"
                continue
            st.documents = len(pf.docs)
            ref = None if rel in mapped else discover.own_schema(rel, pf.text, pf.docs[0] if pf.docs else None)
            if rel in mapped:
                for i, schema_rel in mapped[rel]:
                    self.validate(rel, schema_rel)
                    st.paired_by = f"gates.config.schemas[{i}]"
            elif ref is not None and not (ref.remote and rel in beside):
                self.schema_self(rel, ref, pf)
            elif rel in beside:
                self.validate(rel, beside[rel])
                st.paired_by = f"beside it ({posixpath.basename(beside[rel])})"
            if scan:
                self.scan_secrets(pf)
            self.parsed.pop(rel, None)  # release the text and values: memory stays flat on big repos
        if envs is not None:
            self.environments(envs[0], envs[1], ignore)
        if env_schema is not None and not ws.exists(env_schema) and settings.get("env_schema"):
            self.findings.append(INVALID_SCHEMA.finding(
                Location(path=source or env_schema),
                message=f"Env schema {env_schema} (gates.config.env_schema) does not exist.",
                evidence=f"missing|{env_schema}"))
            env_schema = None
        for rel in dotenv_files:
            if not ws.exists(rel):
                if settings.get("env_example") is not None:
                    self.findings.append(ENV_MISSING_REQUIRED.finding(
                        Location(path=rel), message=f"Env example file {rel} (gates.config.env_example) "
                        "does not exist, so no variable is documented.", evidence=f"nofile|{rel}"))
                continue
            if env_schema is not None:
                pairing: tuple[str, str] | None = (env_schema, "gates.config.env_schema")
            elif settings.get("env_schema") is None:
                nearest = discover.nearest_env_schema(ws, rel)
                pairing = (nearest, "nearest env schema") if nearest is not None else None
            else:
                pairing = None
            self.dotenv(rel, pairing, scan,
                        found=settings.get("env_example") is None and settings.get("env_files") is None)
        for issue in self.book.issues:
            self.findings.append((UNSUPPORTED_SCHEMA if issue.unsupported else INVALID_SCHEMA).finding(
                Location(path=issue.path, line=issue.line, column=issue.column),
                message=issue.message, evidence=issue.evidence))
        items = [Item({"path": rel, "format": st.fmt, "schema": st.schema, "state": st.state,
                       "documents": st.documents, "errors": st.errors, "paired_by": st.paired_by})
                 for rel, st in sorted(self.states.items())]
        extra: dict[str, Any] = {"paired": dict(sorted(Counter(
            (st.paired_by or "").split(" (")[0].split("[")[0] or "no schema" for st in self.states.values()).items()))}
        if envs is not None:
            extra["environments"] = {"files": envs[0], "names": envs[1]}
        return GateOutcome(items=items, findings=self.findings, extra=extra)


def _ref_path(node: Any, ref: str, path: PathKey = (), depth: int = 0) -> PathKey | None:
    """The path of a `$ref` whose value is `ref` (or ends with it)."""
    if depth > 200:
        return None
    if isinstance(node, dict):
        value = node.get("$ref")
        if isinstance(value, str) and (value == ref or ref.endswith(value) or value.endswith(ref)):
            return (*path, "$ref")
        items: Any = node.items()
    elif isinstance(node, list):
        items = enumerate(node)
    else:
        return None
    for k, v in items:
        found = _ref_path(v, ref, (*path, k), depth + 1)
        if found is not None:
            return found
    return None


class ConfigGate:
    """Config drift: schemas, environments, dotenv files, secrets, YAML hazards."""

    id = GateId("config")

    def run(self, ctx: GateContext) -> GateOutcome:
        """Judge the repository's config files. A path in `.readiness.yml` that leaves the
        repository raises ConfigError (exit 2)."""
        return _Run(ctx).execute()


GATE = ConfigGate()
