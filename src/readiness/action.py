"""`readiness action`: the GitHub Action entrypoint.

Order matters (DESIGN): read INPUT_* and GITHUB_*; find the PR's changed files; run the engine,
which settles the verdict; write the JSON report, the comment body, the optional SARIF file, the job
summary and the step outputs; only then publish the comment and the check run. Publishing can only
add log lines: it never changes the exit code (`exit_codes.ExitCode`, the one table: OK, FAIL by the
verdict; USAGE for a usage or configuration error; INTERNAL for a defect).
The token is never printed, in any encoding: the report is redacted before it is rendered, and every
line this module writes goes through the same `Redactor`.

With the `publish-report` input the gates do not run: `publish_report` checks a report another run
wrote (the fork pattern) and hands it to the same `deliver` as a report made here.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from readiness.action_inputs import ActionInputs, parse_inputs, read_input
from readiness.errors import ConfigError, UsageError
from readiness.exit_codes import ExitCode, verdict_exit
from readiness.github.commands import neutralise, stop_commands
from readiness.github.event import ActionEvent, load_event
from readiness.github.token import env_token
from readiness.model import Report
from readiness.redaction import Redactor

if TYPE_CHECKING:
    from readiness.github.settings import ClientSettings

__all__ = ["ActionInputs", "parse_inputs", "read_input", "run_action"]
"""`parse_inputs` and `read_input` live in `action_inputs`; they are re-exported for callers of this module."""


class _Log:
    """Lines for the workflow log, with every secret redacted (in any encoding)."""

    def __init__(self, token: str, out: TextIO | None = None, err: TextIO | None = None,
                 redactor: Redactor | None = None) -> None:
        self.token = token
        self.redactor = redactor or Redactor([token])
        self.out = out or sys.stdout
        self.err = err or sys.stderr

    def info(self, line: str) -> None:
        """A line (or lines) that may quote repository text: no workflow command can start in it."""
        self.out.write(neutralise(self.redactor.text(line)).rstrip("\n") + "\n")
        self.out.flush()

    def error(self, line: str) -> None:
        """As `info`, on stderr (the runner reads commands there too)."""
        self.err.write(neutralise(self.redactor.text(line)).rstrip("\n") + "\n")
        self.err.flush()

    def block(self, text: str) -> None:
        """Much repository text (the report): neutralised, and between stop-commands markers."""
        self.out.write(stop_commands(self.redactor.text(text)) + "\n")
        self.out.flush()

    def command(self, line: str) -> None:
        """One of our own workflow commands (its data and properties are escaped by their builder)."""
        self.out.write(self.redactor.text(line).replace("\n", "%0A").replace("\r", "%0D") + "\n")
        self.out.flush()


def _title(report: Report) -> str:
    counts = report.counts
    parts = [f"{counts[s]} {s}" for s in ("critical", "high", "medium", "low") if counts[s]]
    return f"{report.verdict}: " + (", ".join(parts) if parts else "no findings")


def _error_outputs(env: Mapping[str, str], message: str, log: _Log) -> None:
    """On a usage or configuration error: verdict `error` in the outputs and the summary."""
    from readiness.github.outputs import write_outputs
    from readiness.github.summary import append_summary

    if env.get("GITHUB_OUTPUT"):
        try:
            write_outputs(env["GITHUB_OUTPUT"], {"verdict": "error", "critical": "0", "high": "0",
                                                 "findings": "0", "report": "", "comment-file": ""})
        except OSError as exc:
            log.error(f"readiness: cannot write GITHUB_OUTPUT: {exc.strerror}")
    if env.get("GITHUB_STEP_SUMMARY"):
        from readiness.render.escape import inline

        # the message can quote an input or a file name: escaped, never live markdown or HTML
        shown = inline(log.redactor.text(message), max_len=2000)
        text = f"## readiness-gates: error\n\nThe gates did not run: {shown}\n"
        try:
            append_summary(env["GITHUB_STEP_SUMMARY"], text)
        except OSError as exc:
            log.error(f"readiness: cannot write GITHUB_STEP_SUMMARY: {exc.strerror}")


def run_action(env: Mapping[str, str] | None = None, *, out: TextIO | None = None,
               err: TextIO | None = None) -> ExitCode:
    """Run the action; returns the exit code: the verdict's, the error's (usage or configuration), or
    INTERNAL for a defect."""
    env = os.environ if env is None else env
    token = env_token(env)
    log = _Log(token, out, err, Redactor.from_env(env, token))
    try:
        return _run(env, token, log)
    except (UsageError, ConfigError) as exc:
        message = exc.diagnostics()
        log.error(f"readiness: {message}")
        _error_outputs(env, message, log)
        return exc.exit_code
    except Exception as exc:  # a defect: one line (token-free), outputs still written, exit 3
        if env.get("RUNNER_DEBUG") == "1":
            raise
        message = f"internal error: {type(exc).__name__}: {exc}"
        log.error(f"readiness: {message}; rerun with debug logging (RUNNER_DEBUG=1) for a traceback, and "
                  "please report it at https://github.com/readiness-gates/readiness-gates/issues")
        _error_outputs(env, message, log)
        return ExitCode.INTERNAL


def _run(env: Mapping[str, str], token: str, log: _Log) -> ExitCode:
    from readiness.baseline import load_baseline
    from readiness.engine import RunOptions, parse_gate_list, prefix_paths, run
    from readiness.github.settings import ClientSettings
    from readiness.pr_changes import pr_changes
    from readiness.runner import load_policy

    inputs = parse_inputs(env)
    workspace = Path(env.get("GITHUB_WORKSPACE") or os.getcwd())
    if inputs.publish_report is not None:
        from readiness.publish_report import publish_report

        return publish_report(inputs.publish_report, env=env, workspace=workspace, token=token, log=log,
                              comment_mode=inputs.comment, check_run=inputs.check_run)
    root = workspace / inputs.path
    if not root.is_dir():
        raise UsageError(f"input path: {inputs.path} is not a directory in the workspace")
    if not root.resolve().is_relative_to(workspace.resolve()):
        raise UsageError(f"input path: {inputs.path} leaves the workspace")
    config_path = None
    if inputs.config:
        config_path = str(Path(inputs.config) if Path(inputs.config).is_absolute() else workspace / inputs.config)
    gates = parse_gate_list(inputs.gates)
    event = load_event(env)
    settings = ClientSettings.from_env(env, event.api_url)
    if event.problem:
        log.info(f"readiness: {event.problem}; judging the whole repository")
    changes = pr_changes(root, workspace, event, token, settings, log.info)
    # The policy is the base branch's: the PR's own .readiness.yml is judged as a change, not obeyed.
    pr = event.pull_request
    policy = load_policy(root, config_path, workspace=workspace, changes=changes,
                         base=pr.base_sha if pr is not None else None)
    for note in policy.notes:
        log.info(f"readiness: note: {note}")
    if changes is not None:
        log.info(f"readiness: policy from {policy.origin}")
    config = policy.config
    fail_on = inputs.fail_on or config.fail_on

    # The verdict is settled here, before anything is published.
    report = run(RunOptions(root=root, config=config, fail_on=fail_on, gates=gates, changes=changes,
                            head=event.head_sha, policy_findings=policy.findings,
                            baseline=load_baseline(root, workspace=workspace, changes=changes,
                                                   base=pr.base_sha if pr is not None else None),
                            database_url=inputs.database_url, replay=inputs.replay))
    # Secrets out before anything renders or cuts the report (a cut must never leave half a token).
    report = log.redactor.report(report)

    prefix = os.path.relpath(root.resolve(), workspace.resolve()).replace(os.sep, "/")
    if prefix != ".":
        report = prefix_paths(report, prefix.rstrip("/") + "/")
    return deliver(report, env=env, workspace=workspace, event=event, token=token, settings=settings, log=log,
                   comment_mode=inputs.comment, check_run=inputs.check_run, sarif_file=inputs.sarif_file)


def deliver(report: Report, *, env: Mapping[str, str], workspace: Path, event: ActionEvent, token: str,
            settings: ClientSettings, log: _Log, comment_mode: str, check_run: bool,
            sarif_file: str | None = None) -> ExitCode:
    """Everything after the verdict: the report, comment and SARIF files, the job summary, the outputs,
    the log, then the comment and the check run. Returns the exit code, which only the verdict sets.
    `report` is settled and redacted; links and the check run go to `event.head_sha`."""
    from readiness.github.commands import annotation_commands
    from readiness.github.outputs import write_outputs
    from readiness.github.publish import PublishRequest, PublishResult, publish
    from readiness.github.summary import append_summary
    from readiness.github.written import fresh_output_dir, write_in_workspace, write_new
    from readiness.render import Format, render
    from readiness.render.annotations import Target, check_conclusion, render_annotations
    from readiness.render.json_report import render_json
    from readiness.render.links import docs_base
    from readiness.render.markdown import LinkContext, render_comment, render_minimal, render_summary

    links = LinkContext(event.server_url, event.repository, event.head_sha) \
        if event.repository and event.head_sha else None
    docs = docs_base(env)  # rule pages at the ref the action runs from (GITHUB_ACTION_REF), or as overridden
    comment = render_comment(report, links=links, docs=docs)
    minimal = render_minimal(report, links=links)
    summary = render_summary(report, links=links, docs=docs)

    # a directory this run creates: nothing the PR committed (a forged report, a symlink) can be in it
    out_dir = fresh_output_dir(workspace)
    report_path, report_shown = out_dir.file("report.json")
    comment_path, comment_shown = out_dir.file("comment.md")
    for path, text in ((report_path, render_json(report)), (comment_path, comment)):
        try:
            write_new(path, text)
        except OSError as exc:
            log.error(f"readiness: cannot write {path}: {exc.strerror}")
    if sarif_file:
        from readiness.render.sarif import render_sarif

        try:
            write_in_workspace(workspace, sarif_file, render_sarif(report, docs=docs))
        except OSError as exc:
            log.error(f"readiness: cannot write the SARIF file {sarif_file}: {exc.strerror or exc}")
    if env.get("GITHUB_STEP_SUMMARY"):
        try:
            append_summary(env["GITHUB_STEP_SUMMARY"], summary)
        except OSError as exc:
            log.error(f"readiness: cannot write GITHUB_STEP_SUMMARY: {exc.strerror}")
    counts = report.counts
    outputs = {"verdict": report.verdict, "critical": str(counts["critical"]), "high": str(counts["high"]),
               "findings": str(sum(counts.values())), "report": report_shown, "comment-file": comment_shown}
    if env.get("GITHUB_OUTPUT"):
        try:
            write_outputs(env["GITHUB_OUTPUT"], outputs)
        except OSError as exc:
            log.error(f"readiness: cannot write GITHUB_OUTPUT: {exc.strerror}")

    log.block(render(report, Format.TEXT, color=False).rstrip("\n"))

    try:
        result = publish(PublishRequest(
            event=event, token=token, report=report, comment_mode=comment_mode, check_run=check_run,
            comment_body=comment, minimal_body=minimal, check_title=_title(report),
            check_summary=render_summary(report, links=links, budget_bytes=65_000, docs=docs),
            check_conclusion=check_conclusion(report), annotations=render_annotations(report, Target.CHECK_RUN),
        ), settings)
    except Exception as exc:  # publishing never changes the verdict or the exit code
        from readiness.github.client import describe

        result = PublishResult(not_posted=(f"GitHub: {describe(exc, token)}",),
                               fallback_annotations=check_run)
    for line in result.posted:
        log.info(f"readiness: posted {line}")
    if result.not_posted:
        log.info(f"readiness: not posted to GitHub: {'; '.join(result.not_posted)}. The verdict stands; "
                 f"the comment body is in {comment_shown} (output comment-file) and the job summary has "
                 "the full report.")
    if result.fallback_annotations:
        for line in annotation_commands(render_annotations(report, Target.WORKFLOW_COMMAND)):
            if line.startswith("::"):
                log.command(line)
            else:
                log.info(line)
    return verdict_exit(report.verdict)
