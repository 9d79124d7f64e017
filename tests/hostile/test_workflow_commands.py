"""Issue 11, class 5: repository text never becomes a workflow command.

The runner reads a log line as a command when, after leading white space, it starts with `::`, or
when it holds `##[` anywhere (actions/runner `ActionCommand.TryParseV2` / `TryParse`). Lock-file
package names here start with `::error`, `::stop-commands::` and carry `##[error]`; the only commands
the runner may see are the tool's own: its stop/resume pair and its annotations on real files.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from sec_support import PrRepo, action, assert_no_defect, check

REGISTERED = frozenset({"set-env", "set-output", "save-state", "add-mask", "add-path", "add-matcher",
                        "remove-matcher", "debug", "warning", "error", "notice", "group", "endgroup", "echo",
                        "stop-commands"})
LOCK = """\
[[package]]
name = "::error file=INJECTED,line=1::pwned"
version = "not-a-version"

[[package]]
name = "::stop-commands::pwntoken"
version = "also-bad"

[[package]]
name = "x ##[add-mask]legacy-pwned"
version = "bad-again"

[[package]]
name = "y\\r::warning file=INJECTED::cr"
version = "bad-too"
"""
PYPROJECT = '[tool.poetry]\nname = "x"\n[tool.poetry.dependencies]\npython = "^3.11"\n'


def _parse(line: str, registered: set[str]) -> tuple[str, dict[str, str], str] | None:
    text = line.lstrip()
    if text.startswith("::"):
        end = text.find("::", 2)
        if end >= 0:
            info, data = text[2:end], text[end + 2:]
            name, _, props = info.partition(" ")
            if name in registered:
                pairs = dict(p.split("=", 1) for p in props.split(",") if "=" in p)
                return name, pairs, data
    start = line.find("##[")
    if start >= 0:
        close = line.find("]", start)
        if close >= 0:
            name = line[start + 3:close].partition(" ")[0]
            if name in registered:
                return name, {}, line[close + 1:]
    return None


def runner_commands(*streams: str) -> list[tuple[str, dict[str, str], str]]:
    """The commands the runner would process, in order, with its stop-commands state."""
    registered = set(REGISTERED)
    stopped: str | None = None
    seen: list[tuple[str, dict[str, str], str]] = []
    for stream in streams:
        for line in re.split(r"\r\n|\r|\n", stream):
            cmd = _parse(line, registered)
            if cmd is None:
                continue
            if stopped is not None:
                if cmd[0].lower() == stopped.lower():
                    registered.discard(stopped)
                    stopped = None
                    seen.append(("resume", {}, cmd[0]))
                continue
            if cmd[0] == "stop-commands":
                stopped = cmd[2]
                registered.add(stopped)
            seen.append(cmd)
    return seen


def _assert_only_ours(commands: list[tuple[str, dict[str, str], str]], repo: Path) -> None:
    for name, props, data in commands:
        if name == "stop-commands":
            assert re.fullmatch(r"[0-9a-f]{32}", data), f"a stop-commands the tool did not send: {data!r}"
        elif name in ("error", "warning", "notice"):
            assert (repo / props.get("file", "/nonexistent")).is_file(), f"an annotation on {props.get('file')!r}"
        elif name != "resume":
            raise AssertionError(f"the runner would process ::{name}:: {data[:60]!r}")


def test_action_log_carries_no_injected_command(tmp_path: Path) -> None:
    repo = PrRepo.make(tmp_path / "ws", {"pyproject.toml": PYPROJECT}, {"poetry.lock": LOCK})
    done = action(repo, tmp_path, inputs={"gates": "deps"})
    assert_no_defect(done)
    assert "pwned" in done.stdout, "the finding is missing from the log"
    for streams in ((done.stdout,), (done.stderr,), (done.stdout, done.stderr), (done.stderr, done.stdout)):
        _assert_only_ours(runner_commands(*streams), repo.path)
    annotations = [c for c in runner_commands(done.stdout) if c[0] in ("error", "warning", "notice")]
    assert any(c[1].get("file") == "poetry.lock" for c in annotations), "the tool's own annotations were silenced"


def test_cli_output_carries_no_command_in_any_format(tmp_path: Path) -> None:
    repo = PrRepo.make(tmp_path / "ws", {"pyproject.toml": PYPROJECT}, {"poetry.lock": LOCK})
    for fmt in ("text", "json", "markdown", "sarif"):
        done = check(repo.path, "--gates", "deps", "--offline-db", str(tmp_path), "--format", fmt, home=tmp_path)
        assert_no_defect(done)
        assert not runner_commands(done.stdout, done.stderr), (fmt, runner_commands(done.stdout))
        if fmt in ("json", "sarif"):
            data = json.loads(done.stdout)
            assert "##[add-mask]" in json.dumps(data, ensure_ascii=False), "the JSON data changed"
