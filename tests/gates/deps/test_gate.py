"""The deps gate end to end through the engine, offline against the shared snapshot."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

from readiness.config import Config
from readiness.engine import RunOptions, run
from readiness.model import FailOn, GateResult, GateStatus, Report, Severity
from readiness.workspace.changes import git_changes

RunDeps = Callable[..., tuple[Report, GateResult]]


def write_tree(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")


def rules_of(gate: object) -> list[str]:
    return sorted(f.rule for f in gate.findings)  # type: ignore[attr-defined]


def test_vulnerable_pin_fails_with_ids_fix_and_severity_source(run_deps: RunDeps) -> None:
    report, gate = run_deps({"requirements.txt": "PyYAML==5.3\nidna==3.7\n"})
    assert gate.status is GateStatus.FAIL and report.verdict == "fail"
    crit = [f for f in gate.findings if "PYSEC-2021-142" in f.message]
    assert len(crit) == 1
    f = crit[0]
    assert f.severity is Severity.CRITICAL and f.location.path == "requirements.txt" and f.location.line == 1
    assert "GHSA-8q59-q68h-6hv4" in f.message and "fixed in 5.4" in f.message
    assert "GitHub-reviewed GHSA-8q59-q68h-6hv4" in f.message
    assert f.fix == "Upgrade pyyaml to 5.4 or later and re-lock."
    assert {i.data["name"] for i in gate.items} == {"pyyaml", "idna"}
    assert gate.extra["service"] == "offline" and gate.extra["database"]["records"] == 7089
    assert any(v["id"] == "PYSEC-2021-142" for v in gate.extra["vulnerable"])


def test_clean_pins_pass(run_deps: RunDeps) -> None:
    _report, gate = run_deps({"requirements.txt": "PyYAML==6.0.2\n"})
    assert gate.status is GateStatus.PASS and gate.findings == ()
    assert gate.items[0].data == {"name": "pyyaml", "version": "6.0.2", "source": "requirements.txt", "line": 1,
                                  "direct": True, "kind": "requirement"}


def test_unknown_severity_is_configurable_never_low(run_deps: RunDeps) -> None:
    _r, gate = run_deps({"requirements.txt": "jinja2==2.10\n"})
    unknown = [f for f in gate.findings if "PYSEC-2019-217" in f.message][0]
    assert unknown.severity is Severity.CRITICAL and "unknown severity" in unknown.message
    _r, gate = run_deps({"requirements.txt": "jinja2==2.10\n"}, settings={"unknown_severity": "medium"})
    assert [f for f in gate.findings if "PYSEC-2019-217" in f.message][0].severity is Severity.MEDIUM


def test_ignore_vulns_by_any_alias(run_deps: RunDeps) -> None:
    _r, gate = run_deps({"requirements.txt": "PyYAML==5.3\n"},
                        settings={"ignore_vulns": ["GHSA-8q59-q68h-6hv4", "CVE-2020-1747"]})
    assert gate.findings == ()


def test_inline_waiver_applies(run_deps: RunDeps) -> None:
    text = "# readiness: ignore deps/known-vulnerability -- not reachable, see SEC-1\nPyYAML==5.3\n"
    report, gate = run_deps({"requirements.txt": text})
    assert gate.findings and all(f.waived for f in gate.findings)
    assert report.verdict == "pass"


def test_lock_files_are_audited(run_deps: RunDeps) -> None:
    fixtures = Path(__file__).resolve().parents[2] / "fixtures" / "deps"
    files = {n: (fixtures / n).read_text(encoding="utf-8") for n in ("poetry.lock", "uv.lock", "Pipfile.lock")}
    _r, gate = run_deps(files)
    where = {(f.location.path, f.message.split(" is affected")[0]) for f in gate.findings
             if f.rule == "deps/known-vulnerability"}
    assert ("poetry.lock", "django 3.2.5") in where
    assert ("uv.lock", "h11 0.14.0") in where
    assert ("Pipfile.lock", "pyyaml 5.3") in where and ("Pipfile.lock", "requests 2.25.1") in where


def test_hygiene_rules(run_deps: RunDeps) -> None:
    text = ("requests>=2.0\n"
            "idna==3.10 --hash=sha256:946d195a0d259cbba61165e88e65941f16e9b36ea6ddb97f00452bae8b1287d3\n"
            "six==1.16.0\n"
            "mylib @ git+https://github.com/example/mylib@main\n"
            "-e .\n"
            "bad=>1\n")
    _r, gate = run_deps({"requirements.txt": text})
    got = {(f.rule, f.location.line) for f in gate.findings if f.rule != "deps/known-vulnerability"}
    assert got == {("deps/unpinned-requirement", 1), ("deps/missing-hashes", 1), ("deps/missing-hashes", 3),
                   ("deps/direct-reference", 4), ("deps/invalid-requirement", 6)}


def test_lock_file_silences_unpinned(run_deps: RunDeps) -> None:
    _r, gate = run_deps({"requirements.txt": "requests>=2.0\n", "uv.lock": "version = 1\n"})
    assert "deps/unpinned-requirement" not in rules_of(gate)


def test_stale_lock(run_deps: RunDeps) -> None:
    pyproject = ('[project]\nname = "demo"\nversion = "0.1.0"\ndependencies = [\n  "h11>=0.16",\n'
                 '  "httpx>=0.27",\n]\n')
    lock = (Path(__file__).resolve().parents[2] / "fixtures" / "deps" / "uv.lock").read_text(encoding="utf-8")
    _r, gate = run_deps({"pyproject.toml": pyproject, "uv.lock": lock})
    stale = sorted((f.location.line, f.message) for f in gate.findings if f.rule == "deps/stale-lockfile")
    assert [line for line, _ in stale] == [5, 6]
    assert "locks h11 at 0.14.0, outside >=0.16" in stale[0][1]
    assert "httpx is declared in pyproject.toml but missing from uv.lock" in stale[1][1]


def test_application_pyproject_without_lock_is_unpinned(run_deps: RunDeps) -> None:
    app = '[project]\nname = "svc"\nversion = "1"\ndependencies = ["flask>=2"]\n'
    _r, gate = run_deps({"pyproject.toml": app})
    assert rules_of(gate) == ["deps/unpinned-requirement"]
    lib = app + '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
    _r, gate = run_deps({"pyproject.toml": lib})
    assert rules_of(gate) == []


def test_unreadable_file_is_a_finding(run_deps: RunDeps, tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_bytes(b"\xff\xfe r\x00e\x00")
    _r, gate = run_deps({})
    assert rules_of(gate) == ["deps/unreadable-file"]


def test_no_files_is_skipped(run_deps: RunDeps) -> None:
    _r, gate = run_deps({"README.md": "x\n"})
    assert gate.status is GateStatus.SKIPPED and "no Python dependency files" in (gate.error or "")


def test_offline_service_without_a_database_errors(tmp_path: Path) -> None:
    write_tree(tmp_path, {"requirements.txt": "PyYAML==5.3\n"})
    config = Config(gates={"deps": {"service": "offline"}})
    report = run(RunOptions(root=tmp_path, config=config, fail_on=FailOn.CRITICAL, gates=("deps",)))
    gate = report.gates[1]
    assert gate.status is GateStatus.ERROR and "offline_db" in (gate.error or "")
    assert report.verdict == "fail"  # fail-closed: on_error defaults to fail


def test_relative_offline_db_from_config(tmp_path: Path, osv_dir: Path) -> None:
    write_tree(tmp_path, {"requirements.txt": "PyYAML==5.3\n"})
    (tmp_path / "osv").mkdir()  # a directory of the repository (a link out of it is refused: issue 11)
    for record in osv_dir.glob("*.json"):
        if b"pyyaml" in record.read_bytes().lower():
            (tmp_path / "osv" / record.name).write_bytes(record.read_bytes())
    config = Config(gates={"deps": {"offline_db": "osv"}})
    report = run(RunOptions(root=tmp_path, config=config, fail_on=FailOn.CRITICAL, gates=("deps",)))
    assert report.gates[1].status is GateStatus.FAIL
    (tmp_path / "linked").symlink_to(osv_dir)
    linked = Config(gates={"deps": {"offline_db": "linked"}})
    report = run(RunOptions(root=tmp_path, config=linked, fail_on=FailOn.CRITICAL, gates=("deps",)))
    assert report.gates[1].status is GateStatus.ERROR and "outside the repository" in (report.gates[1].error or "")


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@e", "-c", "commit.gpgsign=false", *args],
                   cwd=root, check=True, capture_output=True)


def test_diff_aware_introduced_and_dependency_review(tmp_path: Path, osv_dir: Path) -> None:
    write_tree(tmp_path, {"requirements.txt": "PyYAML==5.3\nrequests==2.25.1\nsix>=1\n"})
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "base")
    write_tree(tmp_path, {"requirements.txt": "PyYAML==5.3\nrequests==2.31.0\nsix>=1\nflask==2.3.0\n"})
    changes = git_changes(tmp_path, "main")
    report = run(RunOptions(root=tmp_path, config=Config(), fail_on=FailOn.CRITICAL, gates=("deps",),
                            changes=changes, offline_db=osv_dir))
    gate = report.gates[1]
    by_pkg: dict[str, set[bool]] = {}
    for f in gate.findings:
        by_pkg.setdefault(f.message.split(" ")[0], set()).add(f.introduced)
    assert by_pkg["pyyaml"] == {False}  # already on the base: reported, not blocking
    assert by_pkg["flask"] == {True} and by_pkg["requests"] == {True}
    assert by_pkg["six"] == {False}  # unpinned already on the base
    diff = gate.extra["diff"]
    assert diff["added"] == [{"name": "flask", "versions": ["2.3.0"]}]
    assert diff["changed"] == [{"name": "requests", "from": ["2.25.1"], "to": ["2.31.0"]}]
    assert diff["removed"] == []
    assert {i.data["name"]: i.data["introduced"] for i in gate.items} == {
        "pyyaml": False, "requests": True, "six": False, "flask": True}
    # PyYAML 5.3's critical advisories do not block this PR; flask's HIGH does not reach critical
    assert not any(f.location.line == 1 for f in report.blocking)
