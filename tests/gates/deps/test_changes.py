"""Per-file dependency changes between the base and the PR (the dependency review in the comment)."""

from __future__ import annotations

from pathlib import Path

from readiness.gates.deps.changes import raw_changes
from readiness.gates.deps.discover import parse_all
from readiness.gates.deps.model import Parsed
from readiness.model import ChangeKind
from readiness.workspace import Workspace


def parsed(root: Path, files: dict[str, str]) -> Parsed:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return parse_all(list(files), Workspace(root).read_text)


def test_kinds_per_file(tmp_path: Path) -> None:
    base = parsed(tmp_path / "base", {
        "requirements.txt": "django==6.1\nrequests==2.25.1\nsix==1.16.0\nflask>=2,<3\nidna==3.7\nclick==8.1\n",
        "requirements/prod.txt": "django==6.1\n"})
    head = parsed(tmp_path / "head", {
        "requirements.txt": "Django==5.2.1\nrequests==2.31.0\nflask>=3.1\nidna==3.7.0\nclick==8.1\nclick==8.2 ; "
                            "python_version >= '3.12'\njinja2==3.1.6\n",
        "requirements/prod.txt": "django==6.1\n"})
    got = [(c.kind, c.name, c.path, c.line, c.old, c.new) for c in raw_changes(head, base)]
    assert got == [
        (ChangeKind.DOWNGRADED, "django", "requirements.txt", 1, "6.1", "5.2.1"),
        (ChangeKind.ADDED, "jinja2", "requirements.txt", 7, None, "3.1.6"),
        (ChangeKind.UPGRADED, "requests", "requirements.txt", 2, "2.25.1", "2.31.0"),
        (ChangeKind.CHANGED, "click", "requirements.txt", 5, "8.1", "8.1, 8.2"),
        (ChangeKind.CHANGED, "flask", "requirements.txt", 3, "<3,>=2", ">=3.1"),
        (ChangeKind.REMOVED, "six", "requirements.txt", None, "1.16.0", None),
    ]  # idna 3.7 -> 3.7.0 is the same version; prod.txt did not change


def test_lock_file_changes(tmp_path: Path) -> None:
    lock = '[[package]]\nname = "h11"\nversion = "{}"\nsource = {{ registry = "https://pypi.org/simple" }}\n'
    base = parsed(tmp_path / "base", {"uv.lock": "version = 1\n" + lock.format("0.16.0")})
    head = parsed(tmp_path / "head", {"uv.lock": "version = 1\n" + lock.format("0.14.0")})
    (change,) = raw_changes(head, base)
    assert (change.kind, change.old_pin, change.new_pin, change.line) == (ChangeKind.DOWNGRADED, "0.16.0", "0.14.0", 3)
