"""What Flyway's own configuration changes in the SQL it runs, read from the repository, never run.

Flyway replaces `${name}` placeholders before it runs a script, with values from its configuration
(`flyway.conf`, `flyway.toml`, Spring's `spring.flyway.placeholders.*` in `application*.properties`
or in any document of `application*.yml`/`.yaml`, the environment), and finds
scripts by the prefixes, separator and suffixes that configuration names. A pull request can change
both: so the gate reads the configuration as it is at the base commit (trusted: it is what runs today)
and in the pull request, and

- a placeholder whose value the base configuration gives, unchanged, is judged with that value (a
  plain name stays a name standing for it, so a finding reads as before);
- a placeholder whose value the pull request sets or changes is judged with the value the pull
  request gives, so `a; DROP TABLE users` is read as the DROP TABLE it makes;
- a placeholder whose value cannot be known while the pull request touches where it may be set (a
  changed file that names it beside the word `placeholder`: a `pom.xml`, a workflow's
  `FLYWAY_PLACEHOLDERS_X`, a configuration this module cannot read, several values, a value that is
  itself a placeholder) fails closed (`Unread`: `migrations/dynamic-sql`);
- any other placeholder is the runner's own (its environment or command line: trusted) and stays a
  name standing for it, as do Flyway's built-in `${flyway:...}` ones;
- a prefix, separator or suffix either configuration names makes files of that name migrations.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from itertools import islice
from typing import TYPE_CHECKING, Any

from readiness import lazyre
from readiness.gates.migrations.runners import Unread
from readiness.workspace import FileProblem, Workspace, decode_text

if TYPE_CHECKING:
    from readiness.gates.base import GateContext

_CONF_NAME = lazyre.compile(r"^(?:flyway[\w.-]*\.(?:conf|toml|properties)|application[\w.-]*\.(?:properties|ya?ml))$",
                        re.I)
_SPRING_YAML = lazyre.compile(r"^application[\w.-]*\.ya?ml$", re.I)
"""Spring Boot's YAML configuration (`application.yml`, `application-<profile>.yaml`): every document
of it (one per profile) sets `spring.flyway.*` as `application.properties` does."""
_YAML_NODES = 20_000
"""Nodes read from one Spring YAML file, at most (aliases count each time they are expanded)."""
_KEY = lazyre.compile(r"^\s*(?:spring\.)?flyway\.([\w.:-]+)\s*[=:]\s*(.*?)\s*$", re.I)
_PLACEHOLDER_KEY = "placeholders."
_SIMPLE = lazyre.compile(r"[A-Za-z_][\w$]*(?:\.[A-Za-z_][\w$]*)?")
"""A value that can only stand where a name stands: judging it as a name is judging what runs."""
_MAX_FILE = 256 * 1024
_MAX_VALUES = 50
_MENTION_WINDOW = 400
"""Characters after the word `placeholder` in which a changed file may name a placeholder it sets."""
"""Of each naming setting, at most this many values are read (a bound on the patterns made of them)."""
_MENTION_SUFFIXES = (".conf", ".toml", ".properties", ".yml", ".yaml", ".xml", ".gradle", ".kts", ".json", ".env",
                     ".sh", ".ini", ".cfg", ".txt", "dockerfile", "makefile", ".bash")


def _norm(key: str) -> str:
    """Flyway's and Spring's spellings of one setting (`sqlMigrationSuffixes`, `sql-migration-suffixes`)."""
    return key.replace("-", "").replace("_", "").lower()


@dataclass(slots=True)
class FlywayConf:
    """The Flyway settings of one side (base or pull request), every file's merged."""

    placeholders: dict[str, set[str]] = field(default_factory=dict)
    """Placeholder name (lower case) -> the values the files give it."""
    naming: dict[str, set[str]] = field(default_factory=dict)
    """sqlmigrationprefix / repeatablesqlmigrationprefix / sqlmigrationseparator / sqlmigrationsuffixes
    -> the values the files give."""
    locations: set[str] = field(default_factory=set)
    """`filesystem:` locations, repository-relative."""
    delimiters: set[tuple[str, str]] = field(default_factory=set)
    """(placeholderPrefix, placeholderSuffix) pairs other than `${` `}`."""
    encodings: set[str] = field(default_factory=set)
    """The `encoding` the files name: the one Flyway reads every script in."""

    unreadable: str | None = None
    """Why the file could not be read (not safely, or a Spring YAML file naming Flyway that does not
    parse): its settings are then unknown."""

    def read(self, text: str, toml: bool, spring_yaml: bool = False) -> None:
        pairs: Iterable[tuple[str, str]]
        if spring_yaml:
            pairs = self._yaml_pairs(text)
        else:
            pairs = _toml_pairs(text) if toml else _conf_pairs(text)
        prefix = suffix = None
        for key, value in pairs:
            low = key.lower()
            if low.startswith(_PLACEHOLDER_KEY):
                self.placeholders.setdefault(key[len(_PLACEHOLDER_KEY):].lower(), set()).add(value)
                continue
            k = _norm(key)
            if k in ("sqlmigrationprefix", "repeatablesqlmigrationprefix", "sqlmigrationseparator",
                     "sqlmigrationsuffixes", "sqlmigrationsuffix"):
                k = "sqlmigrationsuffixes" if k == "sqlmigrationsuffix" else k
                values = self.naming.setdefault(k, set())
                values.update(islice((v.strip() for v in value.split(",") if v.strip()), _MAX_VALUES))
            elif k == "locations":
                self.locations.update(v.strip()[len("filesystem:"):].strip("/").removeprefix("./")
                                      for v in value.split(",") if v.strip().lower().startswith("filesystem:"))
            elif k == "encoding" and value.strip():
                m = _SPRING_REF.fullmatch(value.strip())  # `${FLYWAY_ENCODING:UTF-8}`: the default, or the runner's
                if m is None or m.group(1):
                    self.encodings.add((m.group(1) if m else value).strip()[:100])
            elif k == "placeholderprefix":
                prefix = value
            elif k == "placeholdersuffix":
                suffix = value
        if (prefix or suffix) and (prefix or "${", suffix or "}") != ("${", "}"):
            self.delimiters.add((prefix or "${", suffix or "}"))


    def _yaml_pairs(self, text: str) -> list[tuple[str, str]]:
        """The `spring.flyway.*` (or `flyway.*`) settings of every document, keys flattened as Spring
        binds them (`spring: {flyway: {locations: [a, b]}}` is `locations` = `a,b`)."""
        from readiness.yamlpos import YamlError, load_all

        try:
            docs = load_all(text, node_budget=_YAML_NODES, positions=False)
        except YamlError as exc:
            if "flyway" in text.lower():
                self.unreadable = str(exc)
            return []
        out: list[tuple[str, str]] = []

        def walk(node: Any, key: str, depth: int) -> None:
            if depth > 16:
                return
            if isinstance(node, dict):
                for k, v in node.items():
                    walk(v, f"{key}.{k}" if key else str(k), depth + 1)
                return
            m = _FLYWAY_KEY.match(key)
            if m is not None and node is not None:
                out.append((m.group(1), _scalar(node)))

        for doc in docs:
            walk(doc.value, "", 0)
        return out


_FLYWAY_KEY = lazyre.compile(r"(?:spring\.)?flyway\.(.+)", re.I)


def _conf_pairs(text: str) -> Iterable[tuple[str, str]]:
    for line in text.splitlines():
        m = _KEY.match(line)
        if m is not None and not line.lstrip().startswith(("#", "!")):
            yield m.group(1), m.group(2)


def _toml_pairs(text: str) -> list[tuple[str, str]]:
    """The settings of every `flyway` table of a flyway.toml (`[flyway]`, `[environments.x.flyway]`)."""
    try:
        doc = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError, ValueError):
        return []  # a placeholder a changed one names still fails closed (`Flyway._mentioned`)
    out: list[tuple[str, str]] = []

    def walk(node: Mapping[str, Any], depth: int) -> None:
        if depth > 8:
            return
        for key, value in node.items():
            if not isinstance(value, dict):
                continue
            if key == "flyway":
                for k, v in value.items():
                    if k == "placeholders" and isinstance(v, dict):
                        out.extend((f"placeholders.{n}", _scalar(pv)) for n, pv in v.items())
                    elif not isinstance(v, dict):
                        out.append((k, _scalar(v)))
            walk(value, depth + 1)

    walk(doc, 0)
    return out


def _scalar(v: object) -> str:
    if isinstance(v, list):
        return ",".join(_scalar(x) for x in v if not isinstance(x, list | dict))
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _read(ws: Workspace, rel: str, text: str | None = None) -> FlywayConf:
    conf = FlywayConf()
    if text is None:
        try:
            text = decode_text(rel, ws.read_bytes(rel, limit=_MAX_FILE))
        except FileProblem as problem:  # what it sets is not known: reported when the PR changes it
            conf.unreadable = problem.reason
            return conf
    name = rel.rpartition("/")[2]
    conf.read(text[:_MAX_FILE], name.lower().endswith(".toml"), spring_yaml=bool(_SPRING_YAML.match(name)))
    return conf


def _merge(confs: Iterable[FlywayConf]) -> FlywayConf:
    out = FlywayConf()
    for c in confs:
        for k, vs in c.placeholders.items():
            out.placeholders.setdefault(k, set()).update(vs)
        for k, vs in c.naming.items():
            out.naming.setdefault(k, set()).update(vs)
        out.locations |= c.locations
        out.delimiters |= c.delimiters
        out.encodings |= c.encodings
    return out


_DEFAULT_PLACEHOLDER = lazyre.compile(r"\$\{([^{}\n'\"]{1,200})\}")


class Flyway:
    """The Flyway configuration of the base and of the pull request, read once per run."""

    def __init__(self, ws: Workspace, *, changed: frozenset[str] | None, deleted: Iterable[str] = (),
                 base_text: Callable[[str], str | None] = lambda rel: None) -> None:
        names = [f for f in ws.files() if _CONF_NAME.match(f.rpartition("/")[2])]
        head = {f: _read(ws, f) for f in names}
        self.head = _merge(head.values())
        if changed is None:  # a full scan: what is there is what runs
            self.base = self.head
        else:
            base = [c for f, c in head.items() if f not in changed]
            for f in [*(f for f in names if f in changed),
                      *(f for f in deleted if _CONF_NAME.match(f.rpartition("/")[2]))]:
                text = base_text(f)
                if text is not None:
                    base.append(_read(ws, f, text))
            self.base = _merge(base)
        self.unreadable = sorted((f, c.unreadable) for f, c in head.items()
                                 if c.unreadable is not None and (changed is None or f in changed))
        """(path, why) of each configuration file that could not be read: what it sets (locations,
        naming, placeholders) is unknown, so the gate reports it (fails closed)."""
        self._ws = ws
        self._changed = changed
        self._mentions: list[str] | None = None
        both = _merge([self.head, self.base])
        self.locations = sorted(both.locations)
        self.names = _names(both.naming)
        self._encodings: list[str] | None = None
        self._patterns = [_DEFAULT_PLACEHOLDER] + [
            re.compile(re.escape(p) + r"([^{}\n'\"]{1,200}?)" + re.escape(s))
            for p, s in sorted(islice(both.delimiters, _MAX_VALUES)) if p and s]

    @classmethod
    def of(cls, ctx: GateContext) -> Flyway:
        """The configuration of one run's workspace, at the base and in the pull request."""
        changes = ctx.changes
        return cls(ctx.workspace, changed=changes.files if changes else None,
                   deleted=changes.deleted if changes else (), base_text=ctx.base_text)

    def render(self, text: str) -> tuple[str, list[Unread]]:
        """The migration text with its placeholders as the gate judges them (see the module), and the
        placeholders that fail closed."""
        if len(self._patterns) == 1 and "${" not in text:
            return text, []
        unread: list[Unread] = []
        for pattern in self._patterns:
            pieces: list[str] = []
            at = 0
            for m in pattern.finditer(text):
                pieces.append(text[at:m.start()])
                at = m.end()
                pieces.append(self._one(m.group(0), m.group(1), m.start(), unread))
            if pieces:
                text = "".join(pieces) + text[at:]
        return text, unread

    def _one(self, whole: str, name: str, offset: int, unread: list[Unread]) -> str:
        key = name.lower()
        label = f'"{{{name}}}"' if len(name) + 4 <= len(whole) else '"' + "_" * max(len(whole) - 2, 1) + '"'
        label = label.ljust(len(whole))
        if key.startswith("flyway:"):
            return label
        base, head = self.base.placeholders.get(key), self.head.placeholders.get(key)
        if head == base:
            if head is None:
                if self._mentioned(key):
                    unread.append(Unread(offset, whole))
                return label
            if all(_SIMPLE.fullmatch(v) for v in head):
                return label
            return sorted(head)[0]
        if head is None:  # the PR removes the value: the runner's own, or the migration fails
            return label
        if len(head) == 1 and "${" not in (value := next(iter(head))):
            return value
        unread.append(Unread(offset, whole))
        return label

    @property
    def encodings(self) -> list[str]:
        """The file encodings Flyway reads every script in, as the pull request leaves them: its
        configuration files', and what a file the pull request adds or changes sets otherwise
        (`FLYWAY_ENCODING=` in a workflow or Dockerfile, `-Dflyway.encoding=`, the flyway-maven-plugin's
        `<encoding>`): read when a Flyway migration is judged, once."""
        if self._encodings is None:
            found = set(self.head.encodings)
            for rel in sorted(self._changed or ()):
                low = rel.lower()
                if _CONF_NAME.match(rel.rpartition("/")[2]) or (
                        not low.endswith(_MENTION_SUFFIXES) and "." in low.rpartition("/")[2].lstrip(".")):
                    continue
                try:
                    body = self._ws.read_bytes(rel, limit=_MAX_FILE).decode("utf-8", "replace")
                except FileProblem:
                    continue
                if "encoding" not in body.lower():
                    continue
                found.update(m.group(1) for m in islice(_ENV_ENCODING.finditer(body), _MAX_VALUES))
                at = body.find("flyway-maven-plugin")
                while at >= 0:  # the plugin's own <configuration>, up to its </plugin>
                    block = body[at:at + 20_000].split("</plugin>", 1)[0]
                    found.update(islice(_MAVEN_ENCODING.findall(block), _MAX_VALUES))
                    at = body.find("flyway-maven-plugin", at + len(block))
            self._encodings = sorted(found)
        return self._encodings

    def _mentioned(self, key: str) -> bool:
        """A file the pull request adds or changes sets this placeholder shortly after the word
        `placeholder` (`placeholders.x`, `FLYWAY_PLACEHOLDERS_X`, `<x>`, `x =`, `'x':`; not a UI
        string's `"placeholder": "Schema name"`)."""
        if self._changed is None:
            return False
        if self._mentions is None:
            self._mentions = []
            for rel in sorted(self._changed):
                low = rel.lower()
                if not low.endswith(_MENTION_SUFFIXES) and "." in low.rpartition("/")[2].lstrip("."):
                    continue
                try:
                    body = self._ws.read_bytes(rel, limit=_MAX_FILE).decode("utf-8", "replace").lower()
                except FileProblem:
                    continue
                at = body.find("placeholder")
                while at >= 0:  # the name must follow the word closely (a pom's <placeholders>, an env name)
                    self._mentions.append(body[at:at + _MENTION_WINDOW])
                    at = body.find("placeholder", at + _MENTION_WINDOW)
        name = re.escape(key)
        word = re.compile(rf"placeholders?[._]{name}(?![a-z0-9])|(?<![a-z0-9]){name}[\"']?\s*[:=>]")
        return any(word.search(body) for body in self._mentions)


_SPRING_REF = re.compile(r"\$\{[^:{}]*(?::([^{}]*))?\}")
"""A Spring property reference, `${NAME}` or `${NAME:default}`."""
_ENV_ENCODING = re.compile(r"(?i)\bflyway[._-]encoding[\"']?[ \t]*[:=][ \t]*[\"']?([\w.:-]{1,60})")
"""`FLYWAY_ENCODING=GBK`, `-Dflyway.encoding=GBK`, `flyway.encoding: GBK`, `"flyway.encoding": "GBK"`."""
_MAVEN_ENCODING = re.compile(r"<encoding>\s*([^<\s]{1,60})\s*</encoding>")


def _names(naming: Mapping[str, set[str]]) -> re.Pattern[str] | None:
    """A file name pattern for Flyway migrations named as configured, when anything differs from
    Flyway's defaults (`V`, `R`, `__`, `.sql`); None otherwise."""
    if not naming:
        return None

    def alt(key: str, default: str) -> str:
        values = sorted(naming.get(key) or {default})[:_MAX_VALUES]
        return "|".join(re.escape(v) for v in values if v) or re.escape(default)

    suffixes = alt("sqlmigrationsuffixes", ".sql")
    versioned, repeatable = alt("sqlmigrationprefix", "V"), alt("repeatablesqlmigrationprefix", "R")
    return re.compile(rf"^(?:(?:{versioned})(?P<ver>\d[\w.]*?)|(?:{repeatable}))"
                      rf"(?:{alt('sqlmigrationseparator', '__')}).+(?:{suffixes})$", re.I)


def flyway_format(name: str, names: re.Pattern[str] | None) -> str | None:
    """`flyway` or `flyway-repeatable` for a file Flyway runs under the configured naming, else None."""
    m = names.match(name) if names is not None else None
    if m is None:
        return None
    return "flyway" if m.group("ver") is not None else "flyway-repeatable"
