"""examples/gitlab/.gitlab-ci.yml: valid GitLab CI, and its job script does what it says when run.

The file is validated with check-jsonschema's vendored GitLab CI schema (`vendor.gitlab-ci`). Then
the job's script runs in `sh` the way a GitLab runner would run it: in a merge request pipeline (a
shallow clone of a project whose target branch is `main`, with GitLab's predefined variables) and
on the default branch, with the `readiness` of this checkout on PATH in place of the image's. The
Code Quality artifact must be written where `artifacts:reports:codequality` looks and validate
against the documented shape; both pipelines must report the same pre-existing findings (the
widget compares the two reports); the exit code must block on what the merge request introduces
only.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import yaml

HERE = Path(__file__).parent
REPO = HERE.parents[1]
EXAMPLE = REPO / "examples" / "gitlab" / ".gitlab-ci.yml"
SCHEMA = json.loads((HERE / "gitlab-codequality.schema.json").read_text(encoding="utf-8"))
GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.invalid", "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1"}


def job() -> dict[str, Any]:
    doc = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    return dict(doc["readiness"])


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, env={**os.environ, **GIT_ENV}, capture_output=True, text=True,
                          check=True)
    return done.stdout


def test_example_is_valid_gitlab_ci() -> None:
    tool = Path(sys.executable).parent / "check-jsonschema"
    assert tool.is_file(), "check-jsonschema is a dev dependency (requirements-dev.txt)"
    done = subprocess.run([str(tool), "--builtin-schema", "vendor.gitlab-ci", str(EXAMPLE)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_job_shape() -> None:
    j = job()
    assert j["image"]["entrypoint"] == [""], "the image's entrypoint is `readiness`: the job needs a shell"
    assert j["image"]["name"].startswith("ghcr.io/")
    report = j["artifacts"]["reports"]["codequality"]
    assert j["artifacts"]["when"] == "always", "the report must be kept when the verdict fails the job"
    script = "\n".join(j["script"])
    assert f"--format gitlab --output {report}" in script
    conditions = [r["if"] for r in j["rules"]]
    assert '$CI_PIPELINE_SOURCE == "merge_request_event"' in conditions
    assert "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH" in conditions


CRITICAL = "ALTER TABLE orders ALTER COLUMN status TYPE varchar(20);\n"


def _project(tmp: Path, migration: str) -> Path:
    """A GitLab project: `origin` with main = examples/demo plus a critical migration already merged
    (V5), and a shallow clone on a merge request branch that adds `migration` (V6)."""
    seed = tmp / "seed"
    shutil.copytree(REPO / "examples" / "demo", seed, symlinks=True)
    (seed / "db" / "migrations" / "V5__legacy.sql").write_text(CRITICAL, encoding="utf-8")
    (seed / "db" / "migrations" / "U5__legacy.sql").write_text("SELECT 1;\n", encoding="utf-8")
    git(seed, "init", "-q", "-b", "main")
    git(seed, "add", "-A")
    git(seed, "commit", "-qm", "main")
    origin = tmp / "origin.git"
    git(tmp, "clone", "-q", "--bare", str(seed), str(origin))
    work = tmp / "builds" / "project"
    git(tmp, "clone", "-q", "--no-local", "--depth", "1", f"file://{origin}", str(work))
    git(work, "checkout", "-qb", "feature")
    (work / "db" / "migrations" / "V6__feature.sql").write_text(migration, encoding="utf-8")
    (work / "db" / "migrations" / "U6__feature.sql").write_text("SELECT 1;\n", encoding="utf-8")
    git(work, "add", "-A")
    git(work, "commit", "-qm", "feature")
    return work


def _run_job(work: Path, *, merge_request: bool = True, before: str = "0" * 40) -> subprocess.CompletedProcess[str]:
    """The job's script as the runner runs it, with GitLab's predefined variables for a merge request
    pipeline or a push to the default branch (`before`: CI_COMMIT_BEFORE_SHA)."""
    bin_dir = Path(sys.executable).parent
    assert (bin_dir / "readiness").is_file(), "make dev installs the readiness command into the venv"
    env = {**os.environ, **GIT_ENV, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
           "CI": "true", "GITLAB_CI": "true", "CI_DEFAULT_BRANCH": "main", "CI_PROJECT_DIR": str(work),
           "NO_COLOR": "1", "CI_COMMIT_BEFORE_SHA": "0" * 40}
    if merge_request:
        env.update({"CI_PIPELINE_SOURCE": "merge_request_event", "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
                    "CI_COMMIT_REF_NAME": "feature"})
    else:
        env.update({"CI_PIPELINE_SOURCE": "push", "CI_COMMIT_BRANCH": "main", "CI_COMMIT_REF_NAME": "main",
                    "CI_COMMIT_BEFORE_SHA": before})
    script = "\n".join(job()["script"])
    return subprocess.run(["sh", "-e", "-c", script], cwd=work, env=env, capture_output=True, text=True,
                          timeout=300, check=False)


def _issues(work: Path) -> dict[str, dict[str, Any]]:
    """The Code Quality artifact, validated, by fingerprint."""
    issues = json.loads((work / job()["artifacts"]["reports"]["codequality"]).read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(SCHEMA).validate(issues)
    return {i["fingerprint"]: i for i in issues}


def test_script_blocks_a_merge_request_that_adds_a_critical_migration(tmp_path: Path) -> None:
    work = _project(tmp_path, CRITICAL.replace("status", "customer_id").replace("varchar(20)", "text"))
    done = _run_job(work)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "FAIL" in done.stdout
    paths = {i["location"]["path"] for i in _issues(work).values()}
    assert {"db/migrations/V5__legacy.sql", "db/migrations/V6__feature.sql"} <= paths
    assert all((work / p).exists() for p in paths), "paths are relative to the project directory"


def test_script_passes_a_merge_request_that_adds_nothing_risky(tmp_path: Path) -> None:
    """main's critical migration (V5) is not new: with the target branch fetched, a harmless
    migration passes although the project has a critical finding."""
    work = _project(tmp_path, "SET lock_timeout = '2s';\nALTER TABLE orders ADD COLUMN gift_note text;\n")
    done = _run_job(work)
    assert done.returncode == 0, done.stdout + done.stderr
    issues = list(_issues(work).values())
    assert "db/migrations/V5__legacy.sql" in {i["location"]["path"] for i in issues}, \
        "pre-existing findings are still reported: the widget compares with the target branch's report"
    assert "blocker" in {i["severity"] for i in issues}


def test_default_branch_reports_every_old_issue_the_merge_request_reports(tmp_path: Path) -> None:
    """The widget compares the merge request's report with the target branch's: every issue of
    main's pipeline is in the merge request's report too, with the same fingerprint, so none of them
    shows as fixed; the merge request's own issue is the only new one."""
    work = _project(tmp_path, CRITICAL.replace("status", "customer_id").replace("varchar(20)", "text"))
    assert _run_job(work).returncode == 1
    mr = _issues(work)
    git(work, "checkout", "-q", "-B", "main", "FETCH_HEAD")
    done = _run_job(work, merge_request=False)
    assert done.returncode == 1, "a first pipeline on main (no commit before) judges every file"
    main = _issues(work)
    assert main.keys() <= mr.keys()
    assert {mr[fp]["location"]["path"] for fp in mr.keys() - main.keys()} == {"db/migrations/V6__feature.sql"}


def test_a_push_to_the_default_branch_is_judged_on_what_it_added(tmp_path: Path) -> None:
    """main already carries a critical migration; a push that adds a harmless one passes (the commit
    before it is the base), and its report still lists the old issue."""
    work = _project(tmp_path, "SET lock_timeout = '2s';\nALTER TABLE orders ADD COLUMN gift_note text;\n")
    before = git(work, "rev-parse", "HEAD~1").strip()
    git(work, "checkout", "-q", "-B", "main")
    done = _run_job(work, merge_request=False, before=before)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "db/migrations/V5__legacy.sql" in {i["location"]["path"] for i in _issues(work).values()}
