"""A requirement given as a range, or as a direct reference to a release file, is audited by the
release it would install (review5 R5-16): `PyYAML>=5.1,<5.4` admits only releases before the fix,
so it gets the advisories `PyYAML==5.3.1` would, not only the unpinned-requirement hygiene finding."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from readiness.model import Finding, GateResult, Report

RunDeps = Callable[..., tuple[Report, GateResult]]

VULN = "deps/known-vulnerability"


def vulns(gate: GateResult) -> list[Finding]:
    return [f for f in gate.findings if f.rule == VULN]


@pytest.mark.parametrize("line", ["PyYAML>=5.1,<5.4", "PyYAML==5.3.*", "PyYAML~=5.3.0",
                                  "pyyaml<5.4 ; python_version >= '3'"])
def test_a_range_that_keeps_every_fix_out_is_audited_by_its_newest_release(run_deps: RunDeps, line: str) -> None:
    _report, gate = run_deps({"requirements.txt": line + "\n"}, settings={"max_db_age_days": 36500})
    found = vulns(gate)
    assert len(found) == 1, gate.findings
    f = found[0]
    assert f.location.line == 1 and f.package is not None and f.package.name == "pyyaml"
    assert f.severity.value == "critical"
    assert "can only install affected versions" in f.message and "the newest release it admits is 5.3.1" in f.message
    assert "deps/unpinned-requirement" in {g.rule for g in gate.findings}  # the hygiene finding stays


@pytest.mark.parametrize("line", ["PyYAML>=5.1", "PyYAML>=5.4,<7", "PyYAML<1000"])
def test_a_range_that_admits_a_fixed_release_is_not_a_vulnerability(run_deps: RunDeps, line: str) -> None:
    _report, gate = run_deps({"requirements.txt": line + "\n"}, settings={"max_db_age_days": 36500})
    assert vulns(gate) == [], gate.findings


def test_a_pin_of_the_same_package_decides_what_installs(run_deps: RunDeps) -> None:
    # pyproject declares a range; the lock-style pin beside it is what gets installed, and is audited alone
    _report, gate = run_deps({"requirements.in": "PyYAML<5.4\n", "requirements.txt": "PyYAML==6.0.2\n"},
                             settings={"max_db_age_days": 36500, "files": ["requirements.in", "requirements.txt"]})
    assert vulns(gate) == [], gate.findings


@pytest.mark.parametrize("line", [
    "pyyaml @ https://files.pythonhosted.org/packages/source/P/PyYAML/PyYAML-5.3.1.tar.gz",
    "PyYAML @ https://example.com/wheels/PyYAML-5.3.1-cp38-cp38-manylinux1_x86_64.whl",
])
def test_a_direct_reference_to_a_release_file_is_audited_by_the_version_it_names(run_deps: RunDeps, line: str) -> None:
    _report, gate = run_deps({"requirements.txt": line + "\n"}, settings={"max_db_age_days": 36500})
    found = vulns(gate)
    assert len(found) == 1 and "is release 5.3.1" in found[0].message, gate.findings


@pytest.mark.parametrize("line", [
    "-e git+https://github.com/yaml/pyyaml@5.3.1#egg=PyYAML",  # a ref says nothing certain
    "otherpkg @ https://example.com/PyYAML-5.3.1.tar.gz",  # the file is not the dependency's
])
def test_references_that_state_no_version_of_the_dependency_are_left_to_hygiene(run_deps: RunDeps, line: str) -> None:
    _report, gate = run_deps({"requirements.txt": line + "\n"}, settings={"max_db_age_days": 36500})
    assert vulns(gate) == [], gate.findings
