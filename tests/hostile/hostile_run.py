"""Running a hostile case through `readiness check` / `readiness action` and the invariants every run keeps."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from hostile_corpus import COMMITTED_SECRET, ENV_CANARY, TOKEN, Case, Expect

REPO = Path(__file__).resolve().parents[2]
READINESS = Path(sys.executable).parent / "readiness"
"""The console script: its sys.path[0] is the venv's bin, never the (hostile) working directory."""
REPORT_SCHEMA = REPO / "src" / "readiness" / "schemas" / "report.schema.json"
PENDING_TEXT = "not available in readiness-gates"
"""What a gate that is still a stub says in its `skipped` reason."""
MARKER_COMMENT = "<!-- readiness-gates:summary -->"
WJ = "\u2060"


def available_formats() -> tuple[str, ...]:
    """The report formats whose renderer has landed (text and json always have)."""
    render = REPO / "src" / "readiness" / "render"
    extra = tuple(f for f, mod in (("markdown", "markdown.py"), ("sarif", "sarif.py")) if (render / mod).is_file())
    return ("json", "text", *extra)


def action_available() -> bool:
    """True once `readiness action` is implemented."""
    return (REPO / "src" / "readiness" / "action.py").is_file()


@cache
def gate_pending(gate: str) -> bool:
    """True while `gate` is the stub that reports `skipped` for every repository."""
    import tempfile

    from readiness.config import Config
    from readiness.gates import load
    from readiness.gates.base import GateContext
    from readiness.workspace import Workspace

    with tempfile.TemporaryDirectory() as tmp:
        ctx = GateContext(workspace=Workspace(Path(tmp)), config=Config())
        try:
            outcome = load(gate).run(ctx)
        except Exception:  # noqa: BLE001 - any failure here means "implemented", judged by the case itself
            return False
    return outcome.skipped is not None and PENDING_TEXT in outcome.skipped


def base_env(home: Path) -> dict[str, str]:
    """A small environment: the fake token, a canary, and proxies that lead nowhere (no network)."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "PYTHONIOENCODING": "utf-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "NO_COLOR": "1",
        "GITHUB_TOKEN": TOKEN,
        "INPUT_GITHUB-TOKEN": TOKEN,
        "INPUT_GITHUB_TOKEN": TOKEN,
        "HOSTILE_CANARY": ENV_CANARY,
        "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9",
        "http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9",
        "NO_PROXY": "", "no_proxy": "",
        "PIP_NO_INDEX": "1",
    }


@dataclass(frozen=True, slots=True)
class Run:
    """One finished process."""

    label: str
    code: int
    stdout: str
    stderr: str
    seconds: float
    files: dict[str, str]
    """Other outputs the run wrote (GITHUB_OUTPUT, the job summary, the JSON report, ...)."""

    def texts(self) -> dict[str, str]:
        """Every text this run produced, by name."""
        return {"stdout": self.stdout, "stderr": self.stderr, **self.files}


def run(label: str, argv: list[str], env: dict[str, str], cwd: Path, timeout: float = 120) -> Run:
    """Run a command and capture everything (bytes decoded leniently: the output itself is under test)."""
    start = time.perf_counter()
    proc = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, timeout=timeout, check=False)
    return Run(label, proc.returncode, proc.stdout.decode("utf-8", "replace"),
               proc.stderr.decode("utf-8", "replace"), time.perf_counter() - start, {})


DRIVER = """
import json, sys
from readiness.cli import main
root, out_dir, formats, *extra = sys.argv[1:]
codes = {}
for fmt in formats.split(","):
    codes[fmt] = main(["check", root, "--format", fmt, "--output", f"{out_dir}/report.{fmt}", *extra])
sys.stdout.write(json.dumps(codes))
"""
"""The other formats, one `readiness check` each, in one interpreter (`-I`: the working directory is not
on sys.path) to keep the suite fast; JSON runs as its own `readiness check` process."""


def driver_argv(case: Case, root: Path, out_dir: Path, offline_db: Path, formats: list[str]) -> list[str]:
    """The in-one-process run of `formats` for a case."""
    extra = check_argv(case, root, "json", offline_db)[5:]
    return [sys.executable, "-I", "-c", DRIVER, str(root), str(out_dir), ",".join(formats), *extra]


def check_argv(case: Case, root: Path, fmt: str, offline_db: Path) -> list[str]:
    """`readiness check` for one case and format."""
    argv = [str(READINESS), "check", str(root), "--format", fmt]
    if case.offline_flag:
        argv += ["--offline-db", str(offline_db)]
    if case.gates:
        argv += ["--gates", case.gates]
    if case.base is not None:
        argv += ["--base", "HEAD~1"]
    return argv


def git(root: Path, *args: str) -> str:
    """git with a private, empty configuration."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(root), "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    return subprocess.run(["git", *args], cwd=root, env=env, capture_output=True, text=True, check=True).stdout.strip()


def forbidden_strings(case: Case) -> list[str]:
    """What must never appear in any output of this case."""
    out = [TOKEN, ENV_CANARY, COMMITTED_SECRET]
    for name in (*case.forbid_files, "/etc/passwd", "/etc/shadow"):
        try:
            lines = Path(name).read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            continue
        out.extend(line for line in lines if len(line) >= 10)
    return out


def assert_invariants(case: Case, r: Run, forbidden: list[str]) -> None:
    """What holds for every run of every case."""
    assert r.code >= 0, f"{r.label}: killed by signal {-r.code} (crash); stderr={r.stderr[-500:]!r}"
    assert r.code != 3, f"{r.label}: internal error: {r.stderr[-800:]}"
    assert "Traceback" not in r.stderr, f"{r.label}: traceback:\n{r.stderr[-2000:]}"
    for name, text in r.texts().items():
        for bad in forbidden:
            assert bad not in text, f"{r.label}: {name} leaks {bad[:40]!r}"
        for line in text.splitlines():
            assert not line.startswith("::error file=INJECTED"), f"{r.label}: {name}: workflow command injected"


def assert_markdown_inert(label: str, text: str) -> None:
    """Markdown from a hostile repository cannot open HTML, link, mention or forge our marker."""
    for raw in ("<img src=x", "<script>", "[click](", "![img](", "](https:__evil"):
        assert raw not in text, f"{label}: raw {raw!r} in markdown"
    for mention in ("@octocat", "@github_security-team", "@github"):
        idx = text.find(mention)
        assert idx < 0, f"{label}: active mention {mention!r} in markdown: {text[max(0, idx - 40):idx + 40]!r}"
    assert text.count(MARKER_COMMENT) <= 1, f"{label}: hidden marker forged"
    if MARKER_COMMENT in text:
        assert text.startswith(MARKER_COMMENT), f"{label}: hidden marker not at the start"


@cache
def _report_validator() -> Any:
    if not REPORT_SCHEMA.is_file():
        return None
    from jsonschema import Draft202012Validator

    return Draft202012Validator(json.loads(REPORT_SCHEMA.read_text(encoding="utf-8")))


def validate_report(label: str, data: Any) -> None:
    """The JSON report has DESIGN's shape (and matches the shipped schema once it exists)."""
    assert data["schema_version"] == 1 and data["verdict"] in ("pass", "fail"), label
    assert [g["id"] for g in data["gates"]] == ["migrations", "deps", "config", "docs", "checklist"], label
    validator = _report_validator()
    if validator is not None:
        errors = sorted(validator.iter_errors(data), key=str)
        assert not errors, f"{label}: report invalid against report.schema.json: {errors[0].message}"


def gate_entry(data: dict[str, Any], gate: str) -> dict[str, Any]:
    """One gate's entry in a JSON report."""
    return next(g for g in data["gates"] if g["id"] == gate)


def assert_expectation(label: str, data: dict[str, Any], exp: Expect) -> None:
    """The gate reported `exp.path` (a finding, or an error naming it), or is honestly pending."""
    entry = gate_entry(data, exp.gate)
    if gate_pending(exp.gate):
        assert entry["status"] == "skipped" and PENDING_TEXT in (entry["error"] or ""), (label, entry)
        return
    findings = [f for f in data["findings"] if f["gate"] == exp.gate and f["path"] == exp.path
                and (exp.rule is None or f["rule"] == exp.rule)]
    if findings:
        return
    if exp.error_ok and entry["status"] == "error" and exp.path in (entry["error"] or ""):
        return
    said = [(f["rule"], f["path"]) for f in data["findings"] if f["gate"] == exp.gate][:8]
    raise AssertionError(f"{label}: gate {exp.gate} said nothing about {exp.path!r} (rule {exp.rule}); "
                         f"status={entry['status']} error={entry['error']!r}; its findings: {said}")


def action_run(case: Case, root: Path, files: Path, env: dict[str, str]) -> Run:
    """`readiness action` on a push event with no reachable GitHub: the verdict, summary and outputs
    must still be written, and the token must appear in none of them."""
    files.mkdir(exist_ok=True)
    event, output, summary = files / "event.json", files / "output", files / "summary"
    payload: dict[str, Any] = {"ref": "refs/heads/main", "after": "a" * 40, "before": "b" * 40,
                               "repository": {"full_name": "octo-org/demo"}}
    event_name = "push"
    if case.base is not None:
        event_name = "pull_request"
        payload = json.loads((REPO / "tests" / "github" / "events" / "pull_request_synchronize.json").read_text())
        payload["pull_request"]["base"]["sha"] = git(root, "rev-parse", "HEAD~1")
        payload["pull_request"]["head"]["sha"] = git(root, "rev-parse", "HEAD")
    event.write_text(json.dumps(payload), encoding="utf-8")
    output.write_text("", encoding="utf-8")
    summary.write_text("", encoding="utf-8")
    action_env = {**env, "CI": "true", "GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": str(root),
                  "GITHUB_EVENT_NAME": event_name, "GITHUB_EVENT_PATH": str(event), "GITHUB_OUTPUT": str(output),
                  "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_SERVER_URL": "https://github.com",
                  "GITHUB_API_URL": "http://127.0.0.1:9", "GITHUB_REPOSITORY": "octo-org/demo",
                  "GITHUB_SHA": "a" * 40, "GITHUB_REF": "refs/heads/main", "INPUT_SARIF-FILE": "readiness.sarif",
                  "INPUT_COMMENT": "always", "INPUT_CHECK-RUN": "true",
                  "READINESS_PUBLISH_BACKOFF": "0.01", "READINESS_PUBLISH_BUDGET": "1"}
    # the live vulnerability service is unreachable here: leave deps out unless the case is about it
    # (its cases have unreadable or unpinned files, or an offline database, so they never go online)
    wanted = [g for g in ("migrations", "deps", "config", "docs", "checklist")
              if g != "deps" or any(e.gate == "deps" for e in case.expect)]
    action_env["INPUT_GATES"] = case.gates or ",".join(wanted)
    r = run(f"action ({event_name})", [str(READINESS), "action"], action_env, root if case.cwd_repo else files)
    written = {"GITHUB_OUTPUT": output.read_text(encoding="utf-8", errors="replace"),
               "GITHUB_STEP_SUMMARY": summary.read_text(encoding="utf-8", errors="replace")}
    named = parse_outputs(written["GITHUB_OUTPUT"])  # the run may write into a fresh .readiness-XXXXXX/
    for rel, key in ((".readiness/report.json", "report"), (".readiness/comment.md", "comment-file"),
                     ("readiness.sarif", "")):
        path = root / (named.get(key) or rel)
        if path.is_file() and not path.is_symlink():
            written[rel] = path.read_text(encoding="utf-8", errors="replace")
    return Run(r.label, r.code, r.stdout, r.stderr, r.seconds, written)


def parse_outputs(text: str) -> dict[str, str]:
    """GITHUB_OUTPUT lines (`name=value` and `name<<DELIM ... DELIM`)."""
    out: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delim = line.split("<<", 1)
            body = []
            for more in lines:
                if more == delim:
                    break
                body.append(more)
            out[name] = "\n".join(body)
        elif "=" in line:
            name, value = line.split("=", 1)
            out[name] = value
    return out
