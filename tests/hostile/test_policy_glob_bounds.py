"""A policy cannot make glob matching cost entries x files outside the gates' time limits.

Before: `exclude`, `include`, `paths`, waiver paths ... had no bound on their count or length, and the
repository listing (which applies `exclude`), the waivers and the PR-policy comparison match them in
the parent process, outside the per-gate watchdog: a `.readiness.yml` with ~19,000 globs (under the
YAML node budget) on a 50,000-file repository took minutes with no limit. Now every list and glob in
the schema has a bound, an oversized list is a configuration error that names the key (no
traceback, no file content), a policy within the bounds is matched through one compiled set per
list, and the listing stops at a wall-clock deadline (failing closed) whatever the globs cost.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sec_support import PrRepo, assert_no_defect, check, git

from readiness.config import load_config_bytes
from readiness.errors import ConfigError

N_FILES = 50_000


def _many_files(root: Path) -> None:
    for d in range(N_FILES // 500):
        sub = root / "src" / f"pkg{d:03}"
        sub.mkdir(parents=True)
        for i in range(500):
            (sub / f"m{i:03}.py").touch()


@pytest.fixture(scope="module")
def big_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("globs") / "ws"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    _many_files(root)
    (root / "db" / "migrations").mkdir(parents=True)
    (root / "db" / "migrations" / "0001_init.sql").write_text("CREATE TABLE users (id int);\n")
    return root


def _policy(globs: list[str], key: str = "exclude") -> str:
    lines = "".join(f"  - {g!r}\n".replace("'", '"') for g in globs)
    return f"{key}:\n{lines}"


@pytest.mark.parametrize(("count", "key"), [(100_000, "exclude"), (5_000, "exclude"), (5_000, "include")])
def test_a_policy_with_thousands_of_globs_is_a_clear_configuration_error(big_repo: Path, tmp_path: Path,
                                                                         count: int, key: str) -> None:
    (big_repo / ".readiness.yml").write_text(_policy([f"secret-{i}-**/x*y*z" for i in range(count)], key))
    start = time.monotonic()
    done = check(big_repo, "--gates", "migrations", home=tmp_path, timeout=60)
    (big_repo / ".readiness.yml").unlink()
    assert time.monotonic() - start < 15
    assert done.code == 2, (done.code, done.stderr[-800:])
    assert "Traceback" not in done.stderr and "secret-" not in done.stdout + done.stderr, done.stderr[-800:]
    assert ".readiness.yml" in done.stderr


@pytest.mark.parametrize(("key", "value"), [
    ("exclude", [f"d{i}/" for i in range(1000)]),
    ("exclude", ["a" * 5000]),
    ("waivers", [{"rule": "migrations/drop-table", "path": f"p{i}", "reason": "r"} for i in range(1500)]),
    ("gates", {"docs": {"when_changed": [{"paths": ["a"], "require_touch": ["b"]}] * 1000}}),
    ("gates", {"config": {"environments": {"files": "c/{env}.yml", "names": ["a", "b"],
                                           "ignore_keys": [f"k{i}" for i in range(5000)]}}}),
    ("severity_overrides", {f"docs/rule-{i}": "low" for i in range(5000)}),
])
def test_every_list_and_glob_has_a_bound(key: str, value: object) -> None:
    with pytest.raises(ConfigError) as err:
        load_config_bytes(json.dumps({key: value}).encode(), ".readiness.yml")
    text = err.value.diagnostics()
    assert "at most" in text and "secret" not in text, text


def test_the_largest_policy_allowed_on_a_large_repository_gives_a_verdict_quickly(big_repo: Path,
                                                                                  tmp_path: Path) -> None:
    # the bound's worth of globs of the costliest shapes: `**` inside a segment (matched by an
    # automaton), many stars, long literal runs
    from readiness.config import config_schema

    most = config_schema()["$defs"]["globs"]["oneOf"][1]["maxItems"]
    shapes = ["**/x**y**z*{i}.sql", "src/**/{i}*a*b*c*d*e*f*g*h*", "**/*{i}*/**/*.tmp", "src**{i}**.bak"]
    globs = [shapes[i % len(shapes)].format(i=i) for i in range(most)]
    (big_repo / ".readiness.yml").write_text(_policy(globs))
    start = time.monotonic()
    done = check(big_repo, "--gates", "migrations", home=tmp_path, timeout=120)
    seconds = time.monotonic() - start
    (big_repo / ".readiness.yml").unlink()
    assert_no_defect(done)
    assert seconds < 20, seconds
    gate = next(g for g in done.report()["gates"] if g["id"] == "migrations")
    assert gate["status"] == "pass", gate  # judged, not cut by the listing's deadline


def test_a_listing_past_its_deadline_fails_closed(big_repo: Path, tmp_path: Path) -> None:
    # whatever the globs cost, the listing (outside the gates' watchdog) stops at its deadline
    code = ("import sys, readiness.workspace as w; w.LISTING_SECONDS = 0.0; from readiness.cli import main; "
            "sys.exit(main(sys.argv[1:]))")
    done = subprocess.run([sys.executable, "-c", code, "check", str(big_repo), "--gates", "migrations",
                           "--format", "json"], capture_output=True, text=True, timeout=120, check=False,
                          cwd=tmp_path)
    assert done.returncode == 1, (done.returncode, done.stderr[-1500:])
    gate = next(g for g in json.loads(done.stdout)["gates"] if g["id"] == "migrations")
    assert gate["status"] == "error" and "listing the repository took more than" in gate["error"], gate


def test_the_prs_own_policy_is_bounded_before_it_is_compared(tmp_path: Path) -> None:
    # the PR's `.readiness.yml` is read and compared with the base's before it is set aside
    base = {"db/migrations/0001_init.sql": "CREATE TABLE users (id int);\n", ".readiness.yml": "fail_on: critical\n"}
    repo = PrRepo.make(tmp_path / "ws", base, {".readiness.yml": _policy([f"x{i}/**" for i in range(5000)])})
    done = check(repo.path, "--base", repo.base, "--gates", "migrations", home=tmp_path, timeout=60)
    assert_no_defect(done)
    assert done.seconds < 15
    assert "Traceback" not in done.stderr
