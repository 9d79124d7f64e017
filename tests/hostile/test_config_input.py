"""Issue 11, class 3 (and the summary half of class 10): the `config` input / `--config` never follows a
PR symlink, a path under the workspace is a repository file with repository rules, and configuration
errors never echo file content nor reach the job summary as live markdown.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hostile_run import assert_markdown_inert
from sec_support import PrRepo, action, assert_no_defect, check, write

CANARY = "canary-7c1d-config-content-must-not-be-echoed"


def _passwd_lines() -> list[str]:
    try:
        return [ln for ln in Path("/etc/passwd").read_text().splitlines() if len(ln) >= 10]
    except OSError:
        return []


def _outside(tmp_path: Path) -> Path:
    target = tmp_path / "outside" / "secret.yml"
    target.parent.mkdir()
    target.write_text(f"fail_on: {CANARY}\n{CANARY}-key: {CANARY}\n", encoding="utf-8")
    return target


@pytest.mark.parametrize("how", ["relative", "absolute", "dir-link"])
def test_action_config_input_never_follows_a_pr_symlink(how: str, tmp_path: Path) -> None:
    outside = _outside(tmp_path)

    def pr(root: Path) -> None:
        (root / "cfg.yml").symlink_to(outside)
        (root / "passwd.yml").symlink_to("/etc/passwd")
        (root / "conf").symlink_to(outside.parent)

    repo = PrRepo.make(tmp_path / "ws", {"README.md": "# r\n"}, pr)
    for name in ("cfg.yml", "passwd.yml"):
        given = {"relative": name, "absolute": str(repo.path / name), "dir-link": "conf/secret.yml"}[how]
        done = action(repo, tmp_path, inputs={"config": given, "gates": "docs"}, tag=f"{how}-{name}")
        assert_no_defect(done)
        text = done.everything()
        assert CANARY not in text, "the config input was followed out of the repository"
        assert not [ln for ln in _passwd_lines() if ln in text], "/etc/passwd reached the output"
        # the PR made the named file unreadable: its own change to review (a blocking finding that says
        # why), the base's version judging the run, every verdict still shown (review6 R6b-19)
        assert done.code == 1 and done.outputs.get("verdict") == "fail", (done.code, done.stderr[-500:])
        assert "symlink" in text or "outside" in text, text[-2000:]


def test_cli_config_inside_the_repository_follows_repository_rules(tmp_path: Path) -> None:
    outside = _outside(tmp_path)
    repo = PrRepo.make(tmp_path / "ws", {"README.md": "# r\n"},
                       lambda root: (root / "cfg.yml").symlink_to(outside))
    done = check(repo.path, "--config", str(repo.path / "cfg.yml"), home=tmp_path)
    assert done.code == 2 and CANARY not in done.stdout + done.stderr, done.stderr
    assert "outside the repository" in done.stderr


def test_configuration_errors_never_echo_file_content(tmp_path: Path) -> None:
    """Even the runner's own file (outside the repository, allowed): the error names key and line only."""
    outside = _outside(tmp_path)
    repo = PrRepo.make(tmp_path / "ws", {"README.md": "# r\n"}, {})
    done = check(repo.path, "--config", str(outside), home=tmp_path)
    assert done.code == 2, done.stderr
    assert CANARY not in done.stderr and "fail_on" in done.stderr and ":1" in done.stderr, done.stderr
    write(outside.parent, "other.yml", f"gates:\n  docs:\n    require: {{'{CANARY}': 1}}\n")
    done = check(repo.path, "--config", str(outside.parent / "other.yml"), home=tmp_path)
    assert done.code == 2 and CANARY not in done.stderr, done.stderr


def test_configuration_error_in_the_job_summary_is_inert(tmp_path: Path) -> None:
    repo = PrRepo.make(tmp_path / "ws", {"README.md": "# r\n"}, {})
    hostile = "<img src=x onerror=alert(1)>[click](https://evil.example) @octocat"
    done = action(repo, tmp_path, inputs={"path": hostile})
    assert done.code == 2 and done.outputs.get("verdict") == "error"
    assert "did not run" in done.summary
    assert_markdown_inert("summary", done.summary)
