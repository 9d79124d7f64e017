"""OSV matching on the real PyPI advisory snapshot (../shared/data/osv-pypi) and on odd synthetic records."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from packaging.version import Version

from readiness.gates.deps.osv_offline import DatabaseError, OsvDatabase, Vulnerability, evaluate
from readiness.model import Severity


@pytest.fixture(scope="module")
def db(osv_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> OsvDatabase:
    return OsvDatabase(osv_dir, cache_dir=tmp_path_factory.mktemp("osv-cache")).load()


def ids(vulns: list[Vulnerability]) -> dict[str, Vulnerability]:
    return {v.id: v for v in vulns}


def test_pyyaml_53_critical_through_the_ghsa_alias(db: OsvDatabase) -> None:
    found = ids(db.audit("PyYAML", "5.3"))
    v = found["PYSEC-2021-142"]
    assert "GHSA-8q59-q68h-6hv4" in v.aliases and "CVE-2020-14343" in v.aliases
    assert v.fixed == ("5.4",)
    assert v.severity.severity is Severity.CRITICAL
    assert v.severity.source == "GitHub-reviewed label CRITICAL on GHSA-8q59-q68h-6hv4"
    assert found["PYSEC-2020-96"].fixed == ("5.3.1",)
    # aliases are reported once: the GHSA record matched too, but is merged into the PYSEC group
    assert not any(i.startswith("GHSA-") for i in found)
    assert db.audit("pyyaml", "6.0.2") == []


def test_django_branch_fix_and_patched_version(db: OsvDatabase) -> None:
    found = ids(db.audit("django", "3.2.5"))
    assert found["PYSEC-2022-213"].fixed == ("3.2.14",)  # the 3.2 branch's fix, not 4.0.6 (pip-audit's bug)
    assert found["PYSEC-2022-213"].severity.severity is Severity.CRITICAL
    assert "PYSEC-2022-213" not in ids(db.audit("django", "3.2.14"))


def test_ghsa_split_branches_give_the_right_fix(db: OsvDatabase) -> None:
    assert ids(db.audit("flask", "2.3.0"))["PYSEC-2023-62"].fixed == ("2.3.2",)
    assert ids(db.audit("urllib3", "2.0.3"))["PYSEC-2023-192"].fixed == ("2.0.6",)
    # GHSA label wins over the (different) PYSEC CVSS vector: MODERATE, not HIGH 8.1
    assert ids(db.audit("urllib3", "2.0.3"))["PYSEC-2023-192"].severity.severity is Severity.MEDIUM


def test_cvss_severity_and_unknown(db: OsvDatabase) -> None:
    v = ids(db.audit("jinja2", "2.10"))
    assert v["PYSEC-2026-1475"].severity.severity is Severity.HIGH
    assert v["PYSEC-2026-1475"].severity.source == "CVSS_V3 base score 7.8 on PYSEC-2026-1475"
    assert v["PYSEC-2019-217"].severity.severity is None  # unknown: never low
    assert v["PYSEC-2019-217"].severity.source.startswith("no severity published")


def test_withdrawn_records_are_ignored(db: OsvDatabase) -> None:
    assert "PYSEC-2023-313" not in ids(db.audit("vantage6", "3.3.4"))
    py = ids(db.audit("py", "1.11.0"))  # PYSEC-2022-42969 is withdrawn, its GHSA twin is not
    assert list(py) == ["GHSA-w596-4wvx-j9j6"]
    assert py["GHSA-w596-4wvx-j9j6"].last_affected == ("1.11.0",) and py["GHSA-w596-4wvx-j9j6"].fixed == ()


def test_last_affected_is_inclusive(db: OsvDatabase) -> None:
    assert "PYSEC-2026-762" in ids(db.audit("zope", "2.2.4"))
    assert "PYSEC-2026-762" not in ids(db.audit("zope", "2.2.5"))
    assert "PYSEC-2026-762" not in ids(db.audit("zope", "2.1.9"))


def test_versions_only_records_and_malicious_alias(db: OsvDatabase) -> None:
    v = ids(db.audit("nucbox", "0.1.2"))["PYSEC-2026-605"]
    assert v.severity.severity is Severity.CRITICAL and v.severity.source.startswith("malicious package (MAL-")
    assert "PYSEC-2026-605" not in ids(db.audit("nucbox", "0.1.9"))


def test_out_of_order_events(db: OsvDatabase) -> None:
    assert ids(db.audit("ipsilon", "1.2.0"))["PYSEC-2026-360"].fixed == ("1.2.1",)
    assert "PYSEC-2026-360" not in ids(db.audit("ipsilon", "1.2.1"))
    assert ids(db.audit("oslo.middleware", "3.8.0"))["PYSEC-2018-104"].fixed == ("3.8.1",)
    assert ids(db.audit("oslo-middleware", "3.10.0"))["PYSEC-2018-104"].fixed == ("3.19.1",)
    assert "PYSEC-2018-104" not in ids(db.audit("oslo-middleware", "3.19.5"))
    assert ids(db.audit("django", "4.2.13"))["PYSEC-2024-57"].fixed == ("4.2.14",)


def test_invalid_versions_in_the_data_are_noted(db: OsvDatabase) -> None:
    notes: list[str] = []
    db.audit("ipsilon", "0.1.0", notes=notes)  # no invalid data for this package
    assert notes == []
    # PYSEC-2026-1194 has the invalid bound `fixed: 4.6.0.stable11`: noted, ignored (fail-closed)
    found = ids(db.audit("assemblyline-service-client", "4.5.0", notes=notes))
    assert found["PYSEC-2026-1194"].fixed == ("4.6.1.dev138",)
    assert any("PYSEC-2026-1194" in n and "4.6.0.stable11" in n for n in notes)


def rec(vid: str, *, events: list[dict[str, str]] | None = None, versions: list[str] | None = None,
        name: str = "Demo_Pkg", **extra: Any) -> dict[str, Any]:
    affected: dict[str, Any] = {"package": {"ecosystem": "PyPI", "name": name}}
    if events is not None:
        affected["ranges"] = [{"type": "ECOSYSTEM", "events": events},
                              {"type": "GIT", "repo": "x", "events": [{"introduced": "0"}, {"fixed": "abc"}]}]
    if versions is not None:
        affected["versions"] = versions
    return {"id": vid, "affected": [affected], **extra}


@pytest.mark.parametrize(("version", "affected"), [
    ("0.9", False), ("1.0rc1", False), ("1.0", True), ("1.5.post1", True), ("1.9+local", True),
    ("2.0rc1", True),  # a pre-release before the fix is affected (SpecifierSet("<2.0") would miss it)
    ("2.0", False), ("3.0", True), ("3.1", True), ("3.1.1", False),
])
def test_range_semantics_with_packaging_versions(version: str, affected: bool) -> None:
    record = rec("X-1", events=[{"introduced": "3.0"}, {"last_affected": "3.1"}, {"fixed": "2.0"},
                                {"introduced": "1.0"}])
    assert evaluate(record, "demo-pkg", Version(version), version).affected is affected


def test_versions_list_pep440_then_string_equality() -> None:
    record = rec("X-2", versions=["1.0.0", "2.0.0-final"])
    assert evaluate(record, "demo-pkg", Version("1.0"), "1.0").affected  # PEP 440: 1.0 == 1.0.0
    assert not evaluate(record, "demo-pkg", Version("2.0"), "2.0").affected
    assert evaluate(record, "demo-pkg", Version("2.0.0"), "2.0.0-final").affected  # string equality


def test_synthetic_database(tmp_path: Path) -> None:
    records = [
        rec("PYSEC-1", events=[{"introduced": "0"}, {"fixed": "1.0"}], aliases=["CVE-1", "GHSA-aaaa"]),
        rec("GHSA-aaaa", events=[{"introduced": "0"}, {"fixed": "1.0"}], aliases=["CVE-1"],
            database_specific={"severity": "LOW"}),
        rec("PYSEC-2", events=[{"introduced": "0"}, {"fixed": "not a version!"}],
            severity=[{"type": "CVSS_V4", "score": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"}]),
        rec("PYSEC-3", events=[{"introduced": "0"}], withdrawn="2024-01-01T00:00:00Z"),
        rec("PYSEC-4", events=[{"introduced": "0"}], name="other"),
    ]
    for r in records:
        (tmp_path / f"{r['id']}.json").write_text(json.dumps(r), encoding="utf-8")
    (tmp_path / "broken.json").write_text("{not json", encoding="utf-8")
    (tmp_path / "huge.json").write_text('{"id": "x", "name": "demo-pkg"}', encoding="utf-8")
    db = OsvDatabase(tmp_path, use_cache=False).load()
    notes: list[str] = []
    found = ids(db.audit("demo.pkg", "0.5", notes=notes))
    assert sorted(found) == ["PYSEC-1", "PYSEC-2"]
    assert found["PYSEC-1"].aliases == ("GHSA-aaaa", "CVE-1")
    assert found["PYSEC-1"].severity.severity is Severity.LOW
    assert found["PYSEC-2"].severity.severity is Severity.CRITICAL  # CVSS 4.0 base 9.3
    assert found["PYSEC-2"].fixed == ()  # the invalid fix bound is ignored, the range stays open
    assert any("not a version!" in n for n in notes)
    assert db.audit("demo-pkg", "not-a-version") == []
    # the per-package lookup parses only that package's records
    assert db.stats.parsed <= 5


def test_index_cache_is_reused_and_invalidated(tmp_path: Path) -> None:
    data, cache = tmp_path / "db", tmp_path / "cache"
    data.mkdir()
    cache.mkdir(mode=0o700)
    (data / "PYSEC-1.json").write_text(json.dumps(rec("PYSEC-1", events=[{"introduced": "0"}])), "utf-8")
    first = OsvDatabase(data, cache_dir=cache).load()
    assert not first.stats.from_cache and len(list(cache.iterdir())) == 1
    second = OsvDatabase(data, cache_dir=cache).load()
    assert second.stats.from_cache and [v.id for v in second.audit("demo-pkg", "1")] == ["PYSEC-1"]
    (data / "PYSEC-2.json").write_text(json.dumps(rec("PYSEC-2", events=[{"introduced": "0"}])), "utf-8")
    os.utime(data, ns=(1, 1))  # the directory changed (mtime differs from the cached one)
    third = OsvDatabase(data, cache_dir=cache).load()
    assert not third.stats.from_cache
    assert sorted(v.id for v in third.audit("demo-pkg", "1")) == ["PYSEC-1", "PYSEC-2"]


def test_unusable_directory(tmp_path: Path) -> None:
    with pytest.raises(DatabaseError, match="not a directory|cannot be read"):
        OsvDatabase(tmp_path / "missing").load()
    with pytest.raises(DatabaseError, match="no OSV"):
        OsvDatabase(tmp_path, use_cache=False).load()


def test_index_cache_sees_a_record_rewritten_in_place(tmp_path: Path) -> None:
    """Rewriting a file keeps its directory's mtime; the cache must still notice (else a new
    package name in that record would be missing from the index and its vulnerability hidden)."""
    data, cache = tmp_path / "db", tmp_path / "cache"
    data.mkdir()
    cache.mkdir(mode=0o700)
    record = data / "PYSEC-1.json"
    record.write_text(json.dumps(rec("PYSEC-1", events=[{"introduced": "0"}])), "utf-8")
    os.utime(record, ns=(1_000_000_000, 1_000_000_000))
    dir_mtime = os.stat(data).st_mtime_ns
    assert OsvDatabase(data, cache_dir=cache).load().audit("other-pkg", "1") == []
    moved = rec("PYSEC-1", events=[{"introduced": "0"}])
    moved["affected"][0]["package"]["name"] = "other-pkg"
    record.write_text(json.dumps(moved), "utf-8")
    os.utime(data, ns=(dir_mtime, dir_mtime))
    again = OsvDatabase(data, cache_dir=cache).load()
    assert not again.stats.from_cache
    assert [v.id for v in again.audit("other-pkg", "1")] == ["PYSEC-1"]
