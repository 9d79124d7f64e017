"""The deps gate end to end through the engine, offline against the shared snapshot."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from readiness.config import Config
from readiness.engine import RunOptions, run
from readiness.model import ChangeKind, FailOn, Finding, GateResult, GateStatus, Report, Severity
from readiness.workspace.changes import ChangeSet, git_changes

RunDeps = Callable[..., tuple[Report, GateResult]]


def write_tree(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")


def rules_of(gate: object) -> list[str]:
    return sorted(f.rule for f in gate.findings)  # type: ignore[attr-defined]


VULN = "deps/known-vulnerability"


def vulns(gate: GateResult) -> list[Finding]:
    return [f for f in gate.findings if f.rule == VULN]


def test_vulnerable_pin_is_one_finding_naming_every_advisory_and_one_fix(run_deps: RunDeps) -> None:
    report, gate = run_deps({"requirements.txt": "PyYAML==5.3\nidna==3.7\n"})
    assert gate.status is GateStatus.FAIL and report.verdict == "fail"
    found = [f for f in vulns(gate) if f.package is not None and f.package.name == "pyyaml"]
    assert len(found) == 1
    f = found[0]
    assert f.severity is Severity.CRITICAL and f.location.path == "requirements.txt" and f.location.line == 1
    pkg = f.package
    assert pkg is not None
    assert [a.id for a in pkg.advisories] == ["PYSEC-2021-142", "PYSEC-2020-96"]  # worst first
    tail = f.message.split(" Advisories: ", 1)[1]
    for a in pkg.advisories:  # every id and alias is listed in the message, each once
        for i in (a.id, *a.aliases):
            assert tail.count(i) == 1, i
    first = pkg.advisories[0]
    assert first.aliases == ("GHSA-8q59-q68h-6hv4", "CVE-2020-14343") and first.fix == "5.4"
    assert first.severity_source == "GitHub-reviewed label CRITICAL on GHSA-8q59-q68h-6hv4"
    assert first.url == "https://osv.dev/vulnerability/PYSEC-2021-142"
    assert pkg.advisories[1].fix == "5.3.1" and pkg.advisories[1].severity is None  # ranked by policy
    assert pkg.fix == "5.4" and pkg.fix_in_line is None  # no 5.3.x release fixes both
    assert "no 5.3.x release fixes all of them; 5.4 is the lowest that does" in f.message
    assert "worst severity critical (GitHub-reviewed label CRITICAL on GHSA-8q59-q68h-6hv4)" in f.message
    assert f.fix == "Upgrade pyyaml to 5.4 or later and re-lock."
    assert {i.data["name"] for i in gate.items} == {"pyyaml", "idna"}
    assert gate.extra["service"] == "offline" and gate.extra["database"]["records"] == 7089


def test_clean_pins_pass(run_deps: RunDeps) -> None:
    _report, gate = run_deps({"requirements.txt": "PyYAML==6.0.2\n"}, settings={"max_db_age_days": 3650})
    assert gate.status is GateStatus.PASS and gate.findings == ()
    assert gate.items[0].data == {"name": "pyyaml", "version": "6.0.2", "source": "requirements.txt", "line": 1,
                                  "direct": True, "kind": "requirement"}


def test_unknown_severity_is_a_plain_policy_never_low(run_deps: RunDeps) -> None:
    _r, gate = run_deps({"requirements.txt": "jinja2==2.10\n"})
    f = vulns(gate)[0]
    assert f.package is not None
    unknown = {a.id: a for a in f.package.advisories}["PYSEC-2019-217"]
    assert unknown.severity is None and unknown.ranked is Severity.CRITICAL
    assert unknown.severity_source == "no severity published (no GitHub label, no CVSS vector)"
    assert f.severity is Severity.CRITICAL
    assert ("2 advisories with no severity published, treated as critical by policy (unknown_severity); "
            "the worst published is high (CVSS_V3 base score 7.8 on PYSEC-2026-1475)") in f.message
    _r, gate = run_deps({"requirements.txt": "jinja2==2.10\n"}, settings={"unknown_severity": "medium"})
    f = vulns(gate)[0]
    assert f.severity is Severity.HIGH  # the worst published one now ranks above the policy
    assert "worst severity high (CVSS_V3 base score 7.8 on PYSEC-2026-1475); 2 advisories with no severity " \
           "published, treated as medium by policy (unknown_severity)" in f.message


def test_only_unknown_severities_say_so_in_one_line(run_deps: RunDeps) -> None:
    _r, gate = run_deps({"requirements.txt": "celery==5.2.1\n"}, settings={"unknown_severity": "high"})
    f = vulns(gate)[0]
    assert f.package is not None and all(a.severity is None for a in f.package.advisories)
    assert f.severity is Severity.HIGH
    assert "; no severity published; treated as high by policy (unknown_severity); " in f.message


def test_ignore_vulns_by_any_alias(run_deps: RunDeps) -> None:
    _r, gate = run_deps({"requirements.txt": "PyYAML==5.3\n"},
                        settings={"ignore_vulns": ["GHSA-8q59-q68h-6hv4", "CVE-2020-1747"]})
    assert vulns(gate) == []
    _r, gate = run_deps({"requirements.txt": "PyYAML==5.3\n"}, settings={"ignore_vulns": ["CVE-2020-1747"]})
    (f,) = vulns(gate)
    assert f.package is not None and [a.id for a in f.package.advisories] == ["PYSEC-2021-142"]
    assert f.package.fix == "5.4" and "PYSEC-2020-96" not in f.message


def test_inline_waiver_applies(run_deps: RunDeps) -> None:
    text = "# readiness: ignore deps/known-vulnerability -- not reachable, see SEC-1\nPyYAML==5.3\n"
    report, gate = run_deps({"requirements.txt": text})
    assert vulns(gate) and all(f.waived for f in vulns(gate))
    assert report.verdict == "pass"


def test_one_finding_per_pin_per_file(run_deps: RunDeps) -> None:
    files = {"requirements.txt": "django==5.2.1\nDjango==5.2.1 ; python_version >= '3.10'\n",
             "requirements/prod.txt": "django==5.2.1\n", "requirements/old.txt": "django==4.2.0\n"}
    _r, gate = run_deps(files)
    got = sorted((f.location.path, f.location.line, f.package.version if f.package else "") for f in vulns(gate))
    assert got == [("requirements.txt", 1, "5.2.1"), ("requirements/old.txt", 1, "4.2.0"),
                   ("requirements/prod.txt", 1, "5.2.1")]


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
    got = {(f.rule, f.location.line) for f in gate.findings
           if f.rule not in (VULN, "deps/stale-advisory-database")}
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
    write_tree(tmp_path, {"requirements.txt": "PyYAML==5.3\nrequests==2.25.1\nsix>=1\nidna==3.7\n"})
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
    assert by_pkg["flask"] == {True}
    assert by_pkg["requests"] == {False}  # upgraded: what is left already affected 2.25.1
    assert by_pkg["six"] == {False}  # unpinned already on the base
    assert gate.dependency_changes is not None
    got = {(c.kind, c.name, c.old, c.new, c.line) for c in gate.dependency_changes}
    assert got == {(ChangeKind.ADDED, "flask", None, "2.3.0", 4),
                   (ChangeKind.UPGRADED, "requests", "2.25.1", "2.31.0", 2),
                   (ChangeKind.REMOVED, "idna", "3.7", None, None)}
    by_name = {c.name: c for c in gate.dependency_changes}
    assert by_name["requests"].resolves and not by_name["requests"].introduces
    assert by_name["flask"].introduces and by_name["idna"].resolves == ("PYSEC-2026-215",)
    assert {i.data["name"]: i.data["introduced"] for i in gate.items} == {
        "pyyaml": False, "requests": True, "six": False, "flask": True}
    # PyYAML 5.3's critical advisories do not block this PR; flask's HIGH does not reach critical
    assert not any(f.location.line == 1 for f in report.blocking)


def _pr(tmp_path: Path, base: dict[str, str], head: dict[str, str]) -> None:
    write_tree(tmp_path, base)
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "base")
    git(tmp_path, "checkout", "-q", "-b", "pr")
    write_tree(tmp_path, head)
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "head")


def test_downgrade_reintroducing_advisories_blocks_and_says_so(tmp_path: Path, osv_dir: Path) -> None:
    """Issue 14's scenario: Django 6.1 -> 5.2.1 in two files, and a new pin with no published severity."""
    from readiness.render.json_report import render_json
    from readiness.render.markdown import render_comment
    from readiness.render.text import render_text

    base = {"requirements.txt": "Django==6.1\nrequests==2.32.4\n", "requirements/prod.txt": "django==6.1\n"}
    head = {"requirements.txt": "Django==5.2.1\nrequests==2.32.4\ncelery==5.2.1\n",
            "requirements/prod.txt": "django==5.2.1\n"}
    _pr(tmp_path, base, head)
    report = run(RunOptions(root=tmp_path, config=Config(), fail_on=FailOn.CRITICAL, gates=("deps",),
                            changes=git_changes(tmp_path, "main"), offline_db=osv_dir))
    gate = report.gates[1]
    found = {(f.location.path, f.package.name): f for f in vulns(gate) if f.package is not None}
    assert sorted(found) == [("requirements.txt", "celery"), ("requirements.txt", "django"),
                             ("requirements.txt", "requests"), ("requirements/prod.txt", "django")]
    for path in ("requirements.txt", "requirements/prod.txt"):
        f = found[(path, "django")]
        assert f.package is not None and len(f.package.advisories) == 32 and f.package.fix == "5.2.16"
        assert f.package.base_version == "6.1" and f.introduced and f.severity is Severity.CRITICAL
        assert all(a.introduced for a in f.package.advisories)
        assert f.message.startswith("django 5.2.1 (was 6.1 on the base) is affected by 32 known advisories")
    celery = found[("requirements.txt", "celery")]
    assert celery.introduced and "no severity published; treated as critical by policy" in celery.message
    assert not found[("requirements.txt", "requests")].introduced  # 2.32.4 was already there
    assert {f.location.path for f in report.blocking} == {"requirements.txt", "requirements/prod.txt"}
    assert gate.dependency_changes is not None
    down = [c for c in gate.dependency_changes if c.kind is ChangeKind.DOWNGRADED]
    assert [(c.path, c.old, c.new, len(c.introduces)) for c in down] == [
        ("requirements.txt", "6.1", "5.2.1", 32), ("requirements/prod.txt", "6.1", "5.2.1", 32)]
    comment = render_comment(report)
    assert "| ⬇️ downgraded | `django` | `6.1` → `5.2.1` | `requirements.txt` line 1 | ⚠️ re-introduces 32 advisories" \
        in comment
    assert "| ➕ added | `celery` | `5.2.1` |" in comment
    for a in found[("requirements.txt", "django")].package.advisories:  # type: ignore[union-attr]
        assert f"[{a.id}](https://osv.dev/vulnerability/{a.id})" in comment
    text = render_text(report)
    assert "downgraded django 6.1 -> 5.2.1  requirements.txt:1  re-introduces 32 advisories" in text
    doc = json.loads(render_json(report))
    changes = next(g for g in doc["gates"] if g["id"] == "deps")["dependency_changes"]
    assert {"kind": "downgraded", "name": "django", "path": "requirements/prod.txt", "line": 1, "old": "6.1",
            "new": "5.2.1"}.items() <= changes[1].items()
    advisories = next(f for f in doc["findings"] if f.get("package", {}).get("name") == "django")["package"]
    assert len(advisories["advisories"]) == 32 and advisories["fix"] == "5.2.16"
    assert all(set(a) >= {"severity", "severity_source", "fix", "ranked"} for a in advisories["advisories"])
    from readiness.render.sarif import sarif_dict

    run_ = sarif_dict(report)["runs"][0]
    rule = next(r for r in run_["tool"]["driver"]["rules"] if r["id"] == VULN)
    assert rule["properties"]["security-severity"] == "9.8" and "security" in rule["properties"]["tags"]
    scores = sorted(r["properties"]["security-severity"] for r in run_["results"] if r["ruleId"] == VULN)
    assert scores == ["5.5", "9.5", "9.8", "9.8"]  # requests 5.5 (CVSS); celery: policy critical, no score


def test_upgrade_that_leaves_advisories_does_not_block(tmp_path: Path, osv_dir: Path) -> None:
    _pr(tmp_path, {"requirements.txt": "django==5.2.1\n"}, {"requirements.txt": "django==5.2.9\n"})
    report = run(RunOptions(root=tmp_path, config=Config(), fail_on=FailOn.LOW, gates=("deps",),
                            changes=git_changes(tmp_path, "main"), offline_db=osv_dir))
    (f,) = vulns(report.gates[1])
    assert not f.introduced and f.package is not None and f.package.base_version == "5.2.1"
    assert "(all of them already affected the base)" in f.message
    assert not [b for b in report.blocking if b.rule == VULN]
    (change,) = report.gates[1].dependency_changes or ()
    assert change.kind is ChangeKind.UPGRADED and change.resolves and not change.introduces


def test_stale_database_is_a_finding(tmp_path: Path) -> None:
    db = tmp_path / "osv"
    db.mkdir()
    record = {"id": "PYSEC-1", "modified": "2020-01-01T00:00:00Z",
              "affected": [{"package": {"name": "demo", "ecosystem": "PyPI"}, "versions": ["1.0"]}]}
    (db / "PYSEC-1.json").write_text(json.dumps(record), encoding="utf-8")
    future = dict(record, id="PYSEC-2", modified="2999-01-01T00:00:00Z")  # a data error, not freshness
    (db / "PYSEC-2.json").write_text(json.dumps(future), encoding="utf-8")
    repo = tmp_path / "repo"
    write_tree(repo, {"requirements.txt": "demo==2.0\n"})

    def stale(settings: dict[str, object]) -> list[Finding]:
        report = run(RunOptions(root=repo, config=Config(gates={"deps": settings}), fail_on=FailOn.CRITICAL,
                                gates=("deps",), offline_db=db))
        return [f for f in report.gates[1].findings if f.rule == "deps/stale-advisory-database"]

    (f,) = stale({})
    assert f.location.path == "requirements.txt" and f.location.line is None and f.severity is Severity.MEDIUM
    assert "newest record modified 2020-01-01" in f.message and "max_db_age_days (30)" in f.message
    assert not f.introduced  # the environment's data, never the pull request's doing: shown, never blocking
    report = run(RunOptions(root=repo, config=Config(), fail_on=FailOn.MEDIUM, gates=("deps",), offline_db=db,
                            changes=ChangeSet(base="main", files=frozenset({"requirements.txt"}),
                                              deleted=frozenset(), source="api")))
    assert [g.introduced for g in report.findings if g.rule == f.rule] == [False] and not report.blocking
    assert stale({"max_db_age_days": 3650}) == []
    db = tmp_path / "osv-fresh"  # (a directory is loaded once per process)
    db.mkdir()
    record["modified"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    (db / "PYSEC-1.json").write_text(json.dumps(record), encoding="utf-8")
    assert stale({}) == []


def test_files_given_as_one_glob_string_is_that_glob(run_deps: RunDeps) -> None:
    # The schema allows `files: <glob>` as well as a list. Read as a sequence, the string was its
    # characters, so the gate found no file and skipped; typed settings read it as one glob.
    _r, gate = run_deps({"deps/base.txt": "PyYAML==6.0.2\n", "requirements.txt": "idna==3.7\n"},
                        settings={"files": "deps/*.txt", "max_db_age_days": 3650})
    assert gate.status is GateStatus.PASS, gate.error
    assert [i.data["source"] for i in gate.items] == ["deps/base.txt"]
