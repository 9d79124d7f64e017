"""pip requirements files, parsed statically with `packaging` (pip is never run).

Handles line continuations, comments, `-r`/`-c` includes (resolved inside the repository only, cycles
and depth bounded), `--hash`, markers, extras, `-e`, URLs, VCS and local paths. Each bad line is a
`Problem` at its line; nothing here raises on hostile input.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterator

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from readiness import lazyre
from readiness.gates.deps.model import KIND_CONSTRAINT, KIND_REQUIREMENT, Dependency, Parsed, Problem
from readiness.workspace import FileProblem

MAX_INCLUDE_DEPTH = 16
MAX_LINE_CHARS = 10_000
"""A physical line longer than this is cut (no real requirement line comes close)."""
MAX_LOGICAL_CHARS = 200_000
"""A `\\`-continued logical line longer than this is not parsed (pip-compile's longest hash lists are ~20k)."""

_HASH_RE = lazyre.compile(r"(?:^|\s)--hash(?:=|\s+)(\S+)")
_PER_REQ_OPT_RE = lazyre.compile(r"(?:^|\s)--(?:config-settings|global-option|install-option)(?:=|\s+)\S+")
_EGG_RE = lazyre.compile(r"[#&]egg=([A-Za-z0-9][A-Za-z0-9._-]*)")
_VCS_PREFIXES = ("git+", "hg+", "svn+", "bzr+")
_ARCHIVE_RE = lazyre.compile(r"\.(whl|tar\.gz|tgz|tar\.bz2|zip)$", re.IGNORECASE)
_NAMED_URL_RE = lazyre.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*\s*(?:\[[^\]]*\]\s*)?@")
"""`name @ url` / `name[extra] @ url`. One `\\s*` on each side of the optional extras: two adjacent
`\\s*` around an optional group backtrack quadratically on a run of spaces."""
_INCLUDE_RE = lazyre.compile(r"^(-r|--requirement|-c|--constraint)(?:\s*=\s*|\s+|(?=\S))(?P<arg>.+)$")
_EDITABLE_RE = lazyre.compile(r"^(-e|--editable)(?:\s*=\s*|\s+)(?P<arg>.+)$")
_GLOBAL_OPTS = ("-i", "--index-url", "--extra-index-url", "-f", "--find-links", "--no-index", "--pre",
                "--prefer-binary", "--require-hashes", "--trusted-host", "--only-binary", "--no-binary",
                "--use-feature", "-Z", "--always-unzip")

ReadText = Callable[[str], str]


def strip_comment(line: str) -> str:
    """The line without its comment: from the first `#` at the start or after whitespace (pip's
    `(^|\\s+)#.*$`), found with `str.find` so that long whitespace runs cost linear time."""
    i = line.find("#")
    while i != -1:
        if i == 0 or line[i - 1].isspace():
            return line[:i]
        i = line.find("#", i + 1)
    return line


def logical_lines(text: str) -> Iterator[tuple[int, str | None]]:
    """(first line number, joined text) with comments removed and `\\` continuations joined.

    A logical line longer than MAX_LOGICAL_CHARS is yielded with None for its text (the caller reports it)."""
    buf: list[str] = []
    size = 0
    start = 0
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw if len(raw) <= MAX_LINE_CHARS else raw[:MAX_LINE_CHARS]
        if not buf:
            start, size = lineno, 0
        if line.endswith("\\"):
            if size <= MAX_LOGICAL_CHARS:
                buf.append(line[:-1])
            size += len(line)
            continue
        buf.append(line)
        size += len(line)
        joined = None if size > MAX_LOGICAL_CHARS else strip_comment(" ".join(buf)).strip()
        buf = []
        if joined != "":
            yield start, joined
    if buf:
        joined = None if size > MAX_LOGICAL_CHARS else strip_comment(" ".join(buf)).strip()
        if joined != "":
            yield start, joined


def include_target(including: str, arg: str) -> str | None:
    """The repository-relative path an include names, or None when it leaves the repository."""
    arg = arg.strip().strip("\"'")
    if "://" in arg or arg.startswith(("/", "~")) or re.match(r"^[A-Za-z]:[\\/]", arg):
        return None
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(including), arg.replace("\\", "/")))
    if joined == ".." or joined.startswith("../") or joined.startswith("/"):
        return None
    return joined


def _name_from_ref(ref: str) -> str:
    m = _EGG_RE.search(ref)
    if m:
        return canonicalize_name(m.group(1).split("[")[0])
    base = ref.rstrip("/").split("#")[0].split("?")[0].rsplit("/", 1)[-1]
    base = _ARCHIVE_RE.sub("", base)
    base = base.split("-")[0] if _ARCHIVE_RE.search(ref.split("#")[0]) else base
    return canonicalize_name(base.removesuffix(".git") or "unknown")


def is_direct_reference(text: str) -> bool:
    """A path, URL or VCS reference rather than a name from an index."""
    t = text.strip()
    if _NAMED_URL_RE.match(t):
        return False  # `name @ url`: PEP 508, parsed by packaging
    return (t.startswith((".", "/", "~", "file:")) or t.startswith(_VCS_PREFIXES)
            or ("://" in t.split(";")[0] and " @ " not in t and "@" not in t.split("://")[0])
            or bool(_ARCHIVE_RE.search(t.split(";")[0].split("#")[0].strip())))


def exact_version(req: Requirement) -> str | None:
    """The pinned version of `name==X` / `name===X` (no wildcard, one clause), else None."""
    specs = list(req.specifier)
    if len(specs) != 1 or specs[0].operator not in ("==", "===") or specs[0].version.endswith(".*"):
        return None
    return specs[0].version


def parse_requirements_file(rel: str, read: ReadText, out: Parsed, *, kind: str = KIND_REQUIREMENT,
                            seen: set[str] | None = None, depth: int = 0) -> None:
    """Parse `rel` (and what it includes) into `out`."""
    seen = seen if seen is not None else set()
    if rel in seen:
        return
    seen.add(rel)
    try:
        text = read(rel)
    except FileProblem as problem:
        out.problems.append(Problem(path=problem.path, line=None, message=f"Not read: {problem.reason}.",
                                    evidence=problem.reason, unreadable=True))
        return
    out.files.append(rel)
    uses_hashes = False
    for lineno, line in logical_lines(text):
        if line is None:
            out.problems.append(Problem(path=rel, line=lineno, evidence=f"logical line {lineno} too long",
                                        message=f"The line starting at line {lineno} continues for more than "
                                                f"{MAX_LOGICAL_CHARS:,} characters; it was not parsed."))
            continue
        if _INCLUDE_RE.match(line):
            m = _INCLUDE_RE.match(line)
            assert m is not None
            target = include_target(rel, m.group("arg"))
            sub_kind = KIND_CONSTRAINT if m.group(1) in ("-c", "--constraint") else kind
            if target is None:
                out.problems.append(Problem(
                    path=rel, line=lineno, unreadable=True, evidence=line,
                    message=f"Include {m.group('arg').strip()!r} points outside the repository or to a URL; "
                            "not followed."))
            elif depth + 1 > MAX_INCLUDE_DEPTH:
                out.problems.append(Problem(path=rel, line=lineno, unreadable=True, evidence=line,
                                            message=f"Includes nest deeper than {MAX_INCLUDE_DEPTH} files; "
                                                    f"{target} not read."))
            else:
                if target not in out.included_from and target not in seen:
                    out.included_from[target] = (*out.included_from.get(rel, ()), rel)
                parse_requirements_file(target, read, out, kind=sub_kind, seen=seen, depth=depth + 1)
            continue
        if line.startswith("--require-hashes"):
            uses_hashes = True
            continue
        em = _EDITABLE_RE.match(line)
        if em:
            ref = em.group("arg").strip()
            out.deps.append(Dependency(name=_name_from_ref(ref), source=rel, line=lineno, kind=kind,
                                       direct=kind == KIND_REQUIREMENT, specifier="", url=ref,
                                       editable=True, evidence=line))
            continue
        if line.startswith("-"):
            opt = line.split("=", 1)[0].split()[0]
            if opt not in _GLOBAL_OPTS:
                out.problems.append(Problem(path=rel, line=lineno, evidence=line,
                                            message=f"Unknown option {opt!r} in a requirements file."))
            continue
        hashes = _HASH_RE.findall(line)
        body = _PER_REQ_OPT_RE.sub("", _HASH_RE.sub("", line)).strip()
        if hashes:
            uses_hashes = True
        dep = _parse_requirement(body, rel, lineno, kind, bool(hashes), out)
        if dep is not None:
            out.deps.append(dep)
    out.hashed_files[rel] = uses_hashes


def _parse_requirement(body: str, rel: str, lineno: int, kind: str, hashed: bool,
                       out: Parsed) -> Dependency | None:
    direct = kind == KIND_REQUIREMENT
    if is_direct_reference(body):
        ref, _, marker = body.partition(";")
        return Dependency(name=_name_from_ref(ref.strip()), source=rel, line=lineno, kind=kind, direct=direct,
                          specifier="", url=ref.strip(), marker=marker.strip() or None, hashed=hashed,
                          evidence=body)
    return requirement_dependency(body, source=rel, line=lineno, kind=kind, direct=direct, hashed=hashed,
                                  problems=out.problems)


def requirement_dependency(text: str, *, source: str, line: int, kind: str, direct: bool,
                           hashed: bool = False, group: str | None = None,
                           problems: list[Problem]) -> Dependency | None:
    """A PEP 508 string as a Dependency, or a Problem appended when it is not valid."""
    try:
        req = Requirement(text)
    except InvalidRequirement as exc:
        detail = str(exc).splitlines()[0] if str(exc) else "not a valid requirement"
        problems.append(Problem(path=source, line=line, evidence=text,
                                message=f"Invalid requirement {text[:120]!r}: {detail[:200]}."))
        return None
    name = canonicalize_name(req.name)
    marker = str(req.marker) if req.marker else None
    extras = tuple(sorted(req.extras))
    if req.url:
        return Dependency(name=name, source=source, line=line, kind=kind, direct=direct, specifier="",
                          url=req.url, marker=marker, extras=extras, hashed=hashed, group=group,
                          evidence=text)
    version = exact_version(req)
    if version is not None:
        try:
            Version(version)
        except (InvalidVersion, ValueError):
            problems.append(Problem(path=source, line=line, evidence=text,
                                    message=f"{name} is pinned to {version!r}, which is not a PEP 440 "
                                            "version, so it cannot be audited."))
            return None
        return Dependency(name=name, source=source, line=line, kind=kind, direct=direct, version=version,
                          marker=marker, extras=extras, hashed=hashed, group=group, evidence=text)
    return Dependency(name=name, source=source, line=line, kind=kind, direct=direct,
                      specifier=str(req.specifier), marker=marker, extras=extras, hashed=hashed, group=group,
                      evidence=text)
