"""Static parsing of requirements files, pyproject.toml and lock files (no pip, no build)."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from readiness.gates.deps.discover import parse_all
from readiness.gates.deps.model import Parsed
from readiness.gates.deps.pyproject import LineFinder, section_header
from readiness.gates.deps.requirements import strip_comment
from readiness.workspace import Workspace

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "deps"


def parse(tmp_path: Path, files: dict[str, str], *, only: list[str] | None = None) -> Parsed:
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text, encoding="utf-8")
    ws = Workspace(tmp_path)
    return parse_all(only or list(files), ws.read_text)


def by_name(parsed: Parsed) -> dict[str, dict[str, object]]:
    return {d.name: d.item() for d in parsed.deps}


def test_requirements_forms(tmp_path: Path) -> None:
    text = (
        "# a comment\n"
        "Django==3.2.5  # trailing comment\n"
        "requests[socks,security] >= 2.0, <3 ; python_version >= '3.8'\n"
        "PyYAML==5.3 \\\n"
        "    --hash=sha256:aaaa \\\n"
        "    --hash=sha256:bbbb\n"
        "urllib3===1.26.4\n"
        "-e ./localpkg\n"
        "git+https://github.com/example/vcs.git@main#egg=vcs-pkg\n"
        "mylib @ https://example.com/mylib-1.0.tar.gz\n"
        "--index-url https://pypi.org/simple\n"
        "flask==2.*\n"
    )
    parsed = parse(tmp_path, {"requirements.txt": text})
    deps = by_name(parsed)
    assert deps["django"]["version"] == "3.2.5" and deps["django"]["line"] == 2
    assert deps["requests"]["specifier"] == "<3,>=2.0"
    assert deps["requests"]["marker"] == 'python_version >= "3.8"'
    assert deps["pyyaml"]["version"] == "5.3" and deps["pyyaml"]["line"] == 4
    assert deps["urllib3"]["version"] == "1.26.4"
    assert deps["localpkg"]["editable"] is True and deps["localpkg"]["url"] == "./localpkg"
    assert str(deps["vcs-pkg"]["url"]).startswith("git+https://")
    assert deps["mylib"]["url"] == "https://example.com/mylib-1.0.tar.gz"
    assert deps["flask"]["specifier"] == "==2.*"  # a wildcard is a range, not a pin
    assert parsed.hashed_files["requirements.txt"] is True
    assert [d.hashed for d in parsed.deps if d.name == "pyyaml"] == [True]
    assert parsed.problems == []


def test_includes_are_followed_inside_the_repo_only(tmp_path: Path) -> None:
    files = {
        "requirements.txt": "-r requirements/base.txt\n-c constraints.txt\n-r ../outside.txt\n"
                            "-r /etc/passwd\n-r https://example.com/r.txt\nflask\n",
        "requirements/base.txt": "--requirement nested/deeper.txt\nrequests==2.25.1\n",
        "requirements/nested/deeper.txt": "-r ../base.txt\nurllib3==1.26.4\n",  # a cycle
        "constraints.txt": "flask==2.0.0\n",
    }
    parsed = parse(tmp_path, files, only=["requirements.txt"])
    deps = {(d.name, d.source): d for d in parsed.deps}
    assert deps[("requests", "requirements/base.txt")].version == "2.25.1"
    assert deps[("urllib3", "requirements/nested/deeper.txt")].version == "1.26.4"
    assert deps[("flask", "constraints.txt")].kind == "constraint"
    outside = [p for p in parsed.problems if p.unreadable]
    assert [p.line for p in outside] == [3, 4, 5]
    assert all("outside the repository" in p.message for p in outside)
    assert sorted(parsed.files) == ["constraints.txt", "requirements.txt", "requirements/base.txt",
                                    "requirements/nested/deeper.txt"]


def test_symlinked_include_out_of_the_repo_is_refused(tmp_path: Path) -> None:
    secret = tmp_path.parent / f"{tmp_path.name}-secret.txt"
    secret.write_text("SECRET_TOKEN=abc\n", encoding="utf-8")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "other.txt").symlink_to(secret)
    parsed = parse(repo, {"requirements.txt": "-r other.txt\n"})
    assert [p.unreadable for p in parsed.problems] == [True]
    assert "outside the repository" in parsed.problems[0].message
    assert all("SECRET" not in p.message for p in parsed.problems)


def test_invalid_lines_are_problems_at_their_line(tmp_path: Path) -> None:
    parsed = parse(tmp_path, {"requirements.txt": "requests=>2.0\nok==1.0\n--bogus-option x\nbad==1.0-bogus\n"})
    assert sorted(p.line for p in parsed.problems if p.line) == [1, 3, 4]
    assert [d.name for d in parsed.deps] == ["ok"]


def test_pyproject_pep621_pep735_poetry(tmp_path: Path) -> None:
    text = (FIXTURES / "pyproject-all.toml").read_text(encoding="utf-8")
    parsed = parse(tmp_path, {"pyproject.toml": text})
    deps = {(d.name, d.group): d for d in parsed.deps}
    assert deps[("requests", None)].specifier == ">=2.31"
    assert deps[("django", None)].version == "4.2.1" and deps[("django", None)].line == 6
    assert deps[("pytest", "extra:test")].version == "8.0.0"
    assert deps[("ruff", "group:lint")].specifier == ">=0.4"
    assert deps[("flask", None)].version == "2.3.0"  # Poetry: a bare version is an exact pin
    assert deps[("pyyaml", None)].specifier == "^6.0"
    assert deps[("mylib", None)].url == "git+https://github.com/example/mylib.git"
    assert deps[("black", "group:dev")].specifier == "^24.0"
    assert "pyproject.toml" not in parsed.applications  # it has a build system


def test_lock_files(tmp_path: Path) -> None:
    files = {name: (FIXTURES / name).read_text(encoding="utf-8")
             for name in ("poetry.lock", "uv.lock", "Pipfile.lock", "pylock.toml")}
    parsed = parse(tmp_path, files)
    got = {(d.source, d.name): d for d in parsed.deps}
    assert got[("poetry.lock", "django")].version == "3.2.5"
    assert got[("poetry.lock", "django")].line == 2
    assert got[("uv.lock", "h11")].version == "0.14.0"
    assert ("uv.lock", "demo") not in got  # the project itself (editable source)
    assert got[("Pipfile.lock", "pyyaml")].version == "5.3"
    assert got[("Pipfile.lock", "requests")].group == "group:develop"
    assert got[("pylock.toml", "urllib3")].version == "1.26.4"
    assert got[("pylock.toml", "urllib3")].line == 5
    assert parsed.lock_names["uv.lock"]["demo"] == "0.1.0"
    assert all(d.kind == "lock" for d in parsed.deps)


def test_garbage_files_are_problems_not_crashes(tmp_path: Path) -> None:
    parsed = parse(tmp_path, {"pyproject.toml": "[project\n", "uv.lock": "= =", "Pipfile.lock": "{",
                              "poetry.lock": "[[package]]\nname = 3\n"})
    assert {p.path for p in parsed.problems} == {"pyproject.toml", "uv.lock", "Pipfile.lock"}
    assert parsed.deps == []


_OLD_COMMENT_RE = re.compile(r"(^|\s+)#.*$")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=" \t#a=1\\", max_size=40))
def test_comment_stripping_matches_pips_regex(line: str) -> None:
    """The linear scan removes exactly what pip's `(^|\\s+)#.*$` removes (after the caller's strip)."""
    assert strip_comment(line).strip() == _OLD_COMMENT_RE.sub("", line).strip()


def test_long_continued_line_is_a_problem_not_a_hang(tmp_path: Path) -> None:
    text = "idna==3.7\nsix==1.16.0 \\\n" + ("    --hash=sha256:" + "a" * 64 + " \\\n") * 3_000 + "\n"
    parsed = parse(tmp_path, {"requirements.txt": text})
    assert [d.name for d in parsed.deps] == ["idna"]  # 252,000 characters of hashes: reported, not parsed
    assert [(p.line, "not parsed" in p.message) for p in parsed.problems] == [(2, True)]


def test_toml_headers_strings_and_keys_are_found_in_one_pass() -> None:
    finder = LineFinder('[project]\ndependencies = [\n  "a>=1", \'b\',\n  "c\\u003e=2",  # "d"\n]\n'
                        '[ tool . poetry . dependencies ]  # x\nRequests = "1"\n"quoted-name" = "*"\n'
                        '[[tool.x]]\n[broken\n')
    assert finder.sections == [(1, "project"), (6, "tool.poetry.dependencies"), (9, "tool.x")]
    assert finder.find("a>=1", 1) == 3 and finder.find("b", 1) == 3 and finder.find("c>=2", 1) == 4
    assert finder.find("d", 1) == 1  # inside a comment: not a value; falls back to `start`
    assert finder.find("requests", 6, key=True) == 7 and finder.find("quoted-name", 6, key=True) == 8
    assert section_header("[" + " " * 50_000) is None and section_header("[a]]") is None


def test_pipfile_lock_lines_from_one_pass(tmp_path: Path) -> None:
    lock = ('{\n  "_meta": {"requires": {}},\n  "default": {\n    "requests": {"version": "==2.25.1"},\n'
            '    "six": {\n      "version": "==1.16.0"\n    }\n  },\n  "develop": {\n'
            '    "requests": {"version": "==2.31.0"}\n  }\n}\n')
    parsed = parse(tmp_path, {"Pipfile.lock": lock})
    assert [(d.name, d.version, d.line, d.group) for d in parsed.deps] == [
        ("requests", "2.25.1", 4, "group:default"), ("six", "1.16.0", 5, "group:default"),
        ("requests", "2.31.0", 10, "group:develop")]
