"""Lock files: poetry.lock, uv.lock, Pipfile.lock and pylock.toml (PEP 751), read as data only."""

from __future__ import annotations

import bisect
import json
import re
import tomllib
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from readiness import lazyre
from readiness.errors import value_problem
from readiness.gates.deps.model import KIND_LOCK, Dependency, Parsed, Problem

_NAME_LINE_RE = lazyre.compile(r"^\s*name\s*=")
_JSON_KEY_RE = lazyre.compile(r'\s*("(?:[^"\\]|\\.)*")\s*:')
"""A JSON object key at the start of a line (the alternatives are disjoint: linear)."""
_LOCAL_SOURCES = ("editable", "virtual", "directory", "path")


def is_lock(rel: str) -> bool:
    """True for a lock file name this module reads."""
    base = rel.rsplit("/", 1)[-1]
    return base in ("poetry.lock", "uv.lock", "Pipfile.lock") or bool(re.fullmatch(r"pylock(\.[^/]+)?\.toml", base))


def _package_lines(text: str, header: str) -> list[int]:
    """For each `[[header]]` block, the line of its `name =` key (or of the header)."""
    lines = text.splitlines()
    out: list[int] = []
    for i, line in enumerate(lines):
        if line.strip() != f"[[{header}]]":
            continue
        found = i + 1
        for j in range(i + 1, min(len(lines), i + 200)):
            if lines[j].lstrip().startswith("["):
                break
            if _NAME_LINE_RE.match(lines[j]):
                found = j + 1
                break
        out.append(found)
    return out


def load_toml(rel: str, text: str, out: Parsed) -> dict[str, Any] | None:
    """The TOML document, or None with a Problem for the file (invalid, or nested deeper than tomllib's
    recursion allows: a per-file finding, never a crash)."""
    base = rel.rsplit("/", 1)[-1]
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        out.problems.append(Problem(path=rel, line=getattr(exc, "lineno", None), evidence=str(exc),
                                    message=f"{base} is not valid TOML: {str(exc)[:200]}."))
    except ValueError as exc:
        out.problems.append(Problem(path=rel, line=None, evidence="value not read",
                                    message=f"{base} was not parsed: {value_problem(exc)}."))
    except RecursionError:
        out.problems.append(Problem(path=rel, line=None, evidence="nested too deeply",
                                    message=f"{base} nests arrays or tables too deeply to be read; it was not "
                                            "parsed."))
    return None


def parse_lock(rel: str, text: str, out: Parsed) -> None:
    """Parse one lock file into `out`."""
    base = rel.rsplit("/", 1)[-1]
    if base == "Pipfile.lock":
        _pipfile(rel, text, out)
        return
    doc = load_toml(rel, text, out)
    if doc is None:
        return
    out.files.append(rel)
    header = "packages" if base.startswith("pylock") else "package"
    packages = doc.get(header)
    if not isinstance(packages, list):
        return
    lines = _package_lines(text, header)
    for index, pkg in enumerate(packages):
        if not isinstance(pkg, dict) or not isinstance(pkg.get("name"), str):
            continue
        line = lines[index] if index < len(lines) else 1
        version = pkg.get("version")
        out.lock_names.setdefault(rel, {})[canonicalize_name(pkg["name"])] = (
            version if isinstance(version, str) else None)
        dep = _toml_package(rel, base, pkg, line, out)
        if dep is not None:
            out.deps.append(dep)


def _toml_package(rel: str, base: str, pkg: dict[str, Any], line: int, out: Parsed) -> Dependency | None:
    name = canonicalize_name(pkg["name"])
    version = pkg.get("version")
    url: str | None = None
    source = pkg.get("source")
    if base == "uv.lock" and isinstance(source, dict):
        if any(k in source for k in _LOCAL_SOURCES):
            return None  # the project itself or a workspace member: nothing from an index
        for key in ("git", "url"):
            if isinstance(source.get(key), str):
                url = source[key]
    elif base == "poetry.lock" and isinstance(source, dict):
        stype = source.get("type")
        if stype in ("directory", "file", "git", "url") and isinstance(source.get("url"), str):
            url = f"git+{source['url']}" if stype == "git" else source["url"]
    elif base.startswith("pylock"):
        if "directory" in pkg:
            return None
        for key in ("vcs", "archive"):
            if isinstance(pkg.get(key), dict):
                url = str(pkg[key].get("url") or pkg[key].get("path") or key)
    marker = pkg.get("marker") if isinstance(pkg.get("marker"), str) else None
    hashed = bool(pkg.get("files") or pkg.get("wheels") or pkg.get("sdist") or pkg.get("hashes"))
    group = None
    if base == "poetry.lock":
        groups = pkg.get("groups")
        category = pkg.get("category")
        if isinstance(groups, list) and groups:
            group = "group:" + ",".join(str(g) for g in groups)
        elif isinstance(category, str):
            group = f"group:{category}"
    return _locked(rel, name, version, line, url, marker, hashed, group, out)


def _locked(rel: str, name: str, version: Any, line: int, url: str | None, marker: str | None,
            hashed: bool, group: str | None, out: Parsed) -> Dependency | None:
    evidence = f"{name}=={version}"
    if url is not None:
        return Dependency(name=name, source=rel, line=line, kind=KIND_LOCK, direct=False, specifier="",
                          url=url, marker=marker, hashed=hashed, group=group, evidence=f"{name} @ {url}")
    if not isinstance(version, str) or not version:
        return Dependency(name=name, source=rel, line=line, kind=KIND_LOCK, direct=False, specifier="",
                          marker=marker, hashed=hashed, group=group, evidence=name)
    try:
        Version(version)
    except (InvalidVersion, ValueError):
        out.problems.append(Problem(path=rel, line=line, evidence=evidence,
                                    message=f"{name} is locked at {version[:80]!r}, which is not a PEP 440 "
                                            "version, so it cannot be audited."))
        return None
    return Dependency(name=name, source=rel, line=line, kind=KIND_LOCK, direct=False, version=version,
                      marker=marker, hashed=hashed, group=group, evidence=evidence)


def _pipfile(rel: str, text: str, out: Parsed) -> None:
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError) as exc:
        line = exc.lineno if isinstance(exc, json.JSONDecodeError) else None
        why = str(exc)[:200] if isinstance(exc, json.JSONDecodeError | RecursionError) else value_problem(exc)
        out.problems.append(Problem(path=rel, line=line, evidence="invalid JSON",
                                    message=f"Pipfile.lock is not valid JSON: {why}."))
        return
    out.files.append(rel)
    if not isinstance(doc, dict):
        return
    key_lines = _json_key_lines(text)
    for section in ("default", "develop"):
        entries = doc.get(section)
        if not isinstance(entries, dict):
            continue
        sec_line = _first_at_or_after(key_lines.get(section), 1) or 1
        for raw_name, entry in entries.items():
            if not isinstance(entry, dict):
                continue
            line = _first_at_or_after(key_lines.get(raw_name), sec_line) or sec_line
            name = canonicalize_name(raw_name)
            ver = entry.get("version")
            out.lock_names.setdefault(rel, {})[name] = (
                ver.removeprefix("===").removeprefix("==") if isinstance(ver, str) else None)
            url = None
            if isinstance(entry.get("git"), str):
                url = "git+" + entry["git"]
            elif isinstance(entry.get("file"), str):
                url = entry["file"]
            elif isinstance(entry.get("path"), str):
                continue  # a local project (often the repository itself): nothing from an index
            version = entry.get("version")
            if isinstance(version, str):
                version = version.removeprefix("===").removeprefix("==")
            marker = entry.get("markers") if isinstance(entry.get("markers"), str) else None
            dep = _locked(rel, name, version, line, url, marker, bool(entry.get("hashes")),
                          f"group:{section}", out)
            if dep is not None:
                out.deps.append(dep)


def _json_key_lines(text: str) -> dict[str, list[int]]:
    """Every JSON object key that starts a line, with its lines in order: one pass over the text (the
    line of an entry was found by scanning every line for every entry: entries x lines)."""
    out: dict[str, list[int]] = {}
    for lineno, line in enumerate(text.splitlines(), start=1):
        m = _JSON_KEY_RE.match(line)
        if m is None:
            continue
        try:
            key = json.loads(m.group(1))
        except (ValueError, RecursionError):
            continue
        if isinstance(key, str):
            out.setdefault(key, []).append(lineno)
    return out


def _first_at_or_after(lines: list[int] | None, start: int) -> int | None:
    if not lines:
        return None
    i = bisect.bisect_left(lines, start)
    return lines[i] if i < len(lines) else None
