"""pyproject.toml: PEP 621 dependencies and optional dependencies, PEP 735 dependency groups,
uv's legacy dev-dependencies and Poetry's dependency tables. Read with `tomllib`; nothing is built."""

from __future__ import annotations

import bisect
import json
import re
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from readiness import lazyre
from readiness.gates.deps.locks import load_toml
from readiness.gates.deps.model import KIND_PYPROJECT, Dependency, Parsed, Problem
from readiness.gates.deps.requirements import requirement_dependency

_KEY_RE = lazyre.compile(r"""\s*(?:"([^"\\]*)"|'([^']*)'|([A-Za-z0-9_-]+))\s*=""")
"""A bare or simply quoted key at the start of a line (anchored, disjoint alternatives: linear)."""


def section_header(line: str) -> str | None:
    """The table name of a `[name]` / `[[name]]` header line (quotes and spaces removed), else None.

    A scan, not a regex: the old `^\\s*\\[\\[?\\s*([^\\]]+?)\\s*\\]\\]?` backtracked cubically on a `[`
    followed by a run of spaces."""
    s = line.strip()
    if not s.startswith("["):
        return None
    double = s.startswith("[[")
    close = s.find("]]" if double else "]", 2 if double else 1)
    if close == -1:
        return None
    rest = s[close + (2 if double else 1):].lstrip()
    if rest and not rest.startswith("#"):
        return None
    name = s[2 if double else 1:close].replace('"', "").replace("'", "").replace(" ", "").replace("\t", "")
    return name or None


def _string_literals(line: str) -> list[str]:
    """The single-line TOML strings on a line, decoded (basic strings through JSON rules, which cover
    TOML's escapes but `\\e`; literal strings as written). One left-to-right pass."""
    out: list[str] = []
    i, n = 0, len(line)
    while i < n:
        ch = line[i]
        if ch == "#":
            break
        if ch == "'":
            end = line.find("'", i + 1)
            if end == -1:
                break
            out.append(line[i + 1:end])
            i = end + 1
            continue
        if ch == '"':
            j = i + 1
            while j < n and line[j] != '"':
                j += 2 if line[j] == "\\" else 1
            if j >= n:
                break
            raw = line[i:j + 1]
            try:
                value = json.loads(raw)
            except ValueError:
                value = raw[1:-1]
            out.append(value if isinstance(value, str) else raw[1:-1])
            i = j + 1
            continue
        i += 1
    return out


class LineFinder:
    """Finds the line of a value in a TOML text (tomllib keeps no positions).

    Built in one pass: every header, every single-line string and every key at a line start, each
    with its lines in order; a lookup is a bisection. (Searching the text from the section start for
    each dependency cost dependencies x lines.)"""

    def __init__(self, text: str) -> None:
        self.sections: list[tuple[int, str]] = []
        self._strings: dict[str, list[int]] = {}
        self._keys: dict[str, list[int]] = {}
        for i, line in enumerate(text.splitlines(), start=1):
            header = section_header(line) if "[" in line else None
            if header is not None:
                self.sections.append((i, header))
                continue
            m = _KEY_RE.match(line)
            if m is not None:
                key = next(g for g in m.groups() if g is not None)
                self._keys.setdefault(key.lower(), []).append(i)
            if '"' in line or "'" in line:
                for value in dict.fromkeys(_string_literals(line)):
                    self._strings.setdefault(value.strip(), []).append(i)

    def section(self, name: str) -> int:
        """The line of `[name]` (1 when absent)."""
        return next((i for i, s in self.sections if s == name), 1)

    def find(self, needle: str, start: int = 1, *, key: bool = False) -> int:
        """First line at or after `start` holding the string `needle` (or the key `needle =` when
        `key`); else `start`."""
        lines = self._keys.get(needle.lower()) if key else self._strings.get(needle.strip())
        if not lines:
            return start
        at = bisect.bisect_left(lines, max(start, 1))
        return lines[at] if at < len(lines) else start


def parse_pyproject(rel: str, text: str, out: Parsed) -> dict[str, Any] | None:
    """Parse a pyproject.toml into `out`; returns the TOML document (None when invalid)."""
    doc = load_toml(rel, text, out)
    if doc is None:
        return None
    out.files.append(rel)
    finder = LineFinder(text)
    project = doc.get("project") if isinstance(doc.get("project"), dict) else {}
    assert isinstance(project, dict)
    start = finder.section("project")
    for entry in _strings(project.get("dependencies")):
        _add(rel, entry, finder.find(_quoted(entry), start), None, out)
    optional = project.get("optional-dependencies")
    if isinstance(optional, dict):
        ostart = finder.section("project.optional-dependencies")
        for extra, entries in optional.items():
            for entry in _strings(entries):
                _add(rel, entry, finder.find(_quoted(entry), ostart), f"extra:{extra}", out)
    groups = doc.get("dependency-groups")
    if isinstance(groups, dict):
        gstart = finder.section("dependency-groups")
        for group, entries in groups.items():
            for entry in _strings(entries):  # {include-group = ...} tables are skipped: they add nothing new
                _add(rel, entry, finder.find(_quoted(entry), gstart), f"group:{group}", out)
    tool = doc.get("tool") if isinstance(doc.get("tool"), dict) else {}
    assert isinstance(tool, dict)
    uv = tool.get("uv")
    if isinstance(uv, dict):
        ustart = finder.section("tool.uv")
        for entry in _strings(uv.get("dev-dependencies")):
            _add(rel, entry, finder.find(_quoted(entry), ustart), "group:dev", out)
    poetry = tool.get("poetry")
    if isinstance(poetry, dict):
        _poetry(rel, poetry, finder, out)
    is_package = "build-system" in doc
    if isinstance(poetry, dict) and poetry.get("package-mode") is False:
        is_package = False
    if not is_package and (project or isinstance(poetry, dict)):
        out.applications.add(rel)
    return doc


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _quoted(entry: str) -> str:
    return entry.strip()


def _add(rel: str, entry: str, line: int, group: str | None, out: Parsed) -> None:
    dep = requirement_dependency(entry, source=rel, line=line, kind=KIND_PYPROJECT, direct=True, group=group,
                                 problems=out.problems)
    if dep is not None:
        out.deps.append(dep)


def _poetry(rel: str, poetry: dict[str, Any], finder: LineFinder, out: Parsed) -> None:
    tables: list[tuple[str, str | None, Any]] = [
        ("tool.poetry.dependencies", None, poetry.get("dependencies")),
        ("tool.poetry.dev-dependencies", "group:dev", poetry.get("dev-dependencies")),
    ]
    groups = poetry.get("group")
    if isinstance(groups, dict):
        for gname, gbody in groups.items():
            if isinstance(gbody, dict):
                tables.append((f"tool.poetry.group.{gname}.dependencies", f"group:{gname}",
                               gbody.get("dependencies")))
    for section, group, table in tables:
        if not isinstance(table, dict):
            continue
        start = finder.section(section)
        for raw_name, spec in table.items():
            if raw_name.lower() == "python":
                continue
            line = finder.find(raw_name, start, key=True)
            for one in spec if isinstance(spec, list) else [spec]:
                dep = _poetry_dep(rel, raw_name, one, line, group, out)
                if dep is not None:
                    out.deps.append(dep)


def _poetry_dep(rel: str, raw_name: str, spec: Any, line: int, group: str | None,
                out: Parsed) -> Dependency | None:
    name = canonicalize_name(raw_name)
    marker = None
    url = None
    version_text = ""
    if isinstance(spec, str):
        version_text = spec
    elif isinstance(spec, dict):
        version_text = str(spec.get("version", ""))
        marker = spec.get("markers") if isinstance(spec.get("markers"), str) else None
        for key in ("git", "url", "path", "file"):
            if isinstance(spec.get(key), str):
                url = f"{key}+{spec[key]}" if key == "git" else spec[key]
    else:
        out.problems.append(Problem(path=rel, line=line, evidence=f"{raw_name} = {spec!r}",
                                    message=f"Poetry dependency {raw_name!r} has an unreadable value."))
        return None
    evidence = f"{name} {version_text} {url or ''}".strip()
    if url:
        return Dependency(name=name, source=rel, line=line, kind=KIND_PYPROJECT, direct=True, specifier="",
                          url=url, marker=marker, group=group, evidence=evidence)
    pin = version_text.strip().removeprefix("==").strip()
    exact = None
    if pin and re.fullmatch(r"[0-9][A-Za-z0-9.+!_-]*", pin):  # Poetry: a bare version is an exact pin
        try:
            exact = str(Version(pin)) and pin
        except (InvalidVersion, ValueError):
            exact = None
    if exact is not None:
        return Dependency(name=name, source=rel, line=line, kind=KIND_PYPROJECT, direct=True, version=exact,
                          marker=marker, group=group, evidence=evidence)
    return Dependency(name=name, source=rel, line=line, kind=KIND_PYPROJECT, direct=True,
                      specifier=version_text.strip() if version_text.strip() != "*" else "",
                      marker=marker, group=group, evidence=evidence)
