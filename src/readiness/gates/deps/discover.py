"""Which files declare dependencies, and reading all of them (head or base) into one `Parsed`."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from readiness.gates.deps.locks import is_lock, parse_lock
from readiness.gates.deps.model import Parsed, Problem, empty_parsed
from readiness.gates.deps.pyproject import parse_pyproject
from readiness.gates.deps.requirements import parse_requirements_file
from readiness.workspace import FileProblem
from readiness.workspace.globs import select as select_globs

# `dev-requirements.txt`, `test-requirements.txt` (OpenStack), `requirements.pip` and pip constraints
# files are what pip installs as much as `requirements*.txt`: a vulnerable pin there was never audited.
DEFAULT_GLOBS = ("**/*requirements*.txt", "**/requirements/*.txt", "**/*requirements*.pip", "**/requirements/*.pip",
                 "**/constraints*.txt", "**/pyproject.toml", "**/poetry.lock",
                 "**/uv.lock", "**/Pipfile.lock", "**/pylock.toml", "**/pylock.*.toml")

ReadText = Callable[[str], str]


def dependency_globs(configured: Iterable[str] | None) -> tuple[str, ...]:
    """The configured `files` globs, or the defaults."""
    globs = tuple(configured or ())
    return globs or DEFAULT_GLOBS


def is_requirements(rel: str) -> bool:
    """A pip requirements file (by name)."""
    return rel.endswith((".txt", ".in", ".pip"))


def parse_all(paths: Iterable[str], read: ReadText) -> Parsed:
    """Parse every dependency file (requirements includes are followed through `read`)."""
    out = empty_parsed()
    seen: set[str] = set()
    for rel in sorted(set(paths), key=lambda p: (p.count("/"), p)):
        base = rel.rsplit("/", 1)[-1]
        if base == "pyproject.toml" or is_lock(rel):
            try:
                text = read(rel)
            except FileProblem as problem:
                out.problems.append(Problem(path=problem.path, line=None, evidence=problem.reason,
                                            message=f"Not read: {problem.reason}.", unreadable=True))
                continue
            if base == "pyproject.toml":
                parse_pyproject(rel, text, out)
            else:
                parse_lock(rel, text, out)
        elif is_requirements(rel):
            parse_requirements_file(rel, read, out, seen=seen)
    return out


def select(files: Sequence[str], globs: tuple[str, ...]) -> list[str]:
    """Files of the sorted list `files` matching the dependency globs."""
    return select_globs(files, globs)
