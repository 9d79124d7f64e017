"""`readiness publish REPORT` (and the action's `publish-report` input): the `workflow_run` half of the
fork pattern.

A pull request from a fork, or from Dependabot, runs its `pull_request` workflow with a read-only
token: the gates run and the verdict stands, but nothing can be posted. That run uploads its JSON
report as an artifact; a `workflow_run` workflow of the base repository, which has a write token and
never checks out the pull request's code, downloads it and publishes it here.

The artifact is untrusted data: a fork controls its own `pull_request` run and can upload anything.
So the file is size-capped before it is read (`PUBLISH_MAX_BYTES`), parsed with bounded nesting,
validated against the shipped report schema and rebuilt into the model, refusing a report that
contradicts itself; its text then goes through the same redaction (plus anything shaped like a
GitHub token) and the same renderers, escaping and budgets as a report the action made itself. No
text of the artifact is posted as it stands. The commit and the pull request come from the
`workflow_run` event, never from the artifact, and a report about another commit is refused. The
verdict published (the check run's conclusion, the outputs, the exit code) is the report's own.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from readiness.errors import UsageError

if TYPE_CHECKING:
    from readiness.action import _Log
    from readiness.exit_codes import ExitCode

PUBLISH_MAX_BYTES = 32 * 1024 * 1024
"""A report artifact larger than this is refused unread (the gates' own report for a PR is far smaller;
a 100,000-finding full scan is about 40 MiB, and its comment would list a few hundred of them)."""


def publish_report(path_text: str, *, env: Mapping[str, str], workspace: Path, token: str, log: _Log,
                   comment_mode: str, check_run: bool, limit: int = PUBLISH_MAX_BYTES) -> ExitCode:
    """Check the report at `path_text` (relative to `workspace`) and publish it to the pull request and
    commit of this `workflow_run` event. Returns the exit code of the report's verdict; raises
    UsageError, and publishes nothing, when the event or the report cannot be trusted."""
    from readiness.action import deliver
    from readiness.github.event import ActionEvent, PullRequest, load_event
    from readiness.github.settings import ClientSettings
    from readiness.github.workflow_run import WorkflowRunError, find_pull_request, load_workflow_run
    from readiness.report_file import read_report

    try:
        run = load_workflow_run(env)
    except WorkflowRunError as exc:
        raise UsageError(f"input publish-report: {exc}") from None
    path = Path(path_text)
    path = path if path.is_absolute() else workspace / path
    shown = f"report {path_text}"
    if path.is_symlink():
        raise UsageError(f"{shown}: is a symbolic link; nothing was published")
    try:
        report = read_report(str(path), limit=limit)
    except ValueError as exc:
        raise UsageError(f"{shown}: {exc}; nothing was published") from None
    if report.head != run.head_sha:
        claimed = "no commit" if not report.head else "another commit"
        raise UsageError(f"{shown}: it is about {claimed}, not the workflow_run's head {run.head_sha}; "
                         "nothing was published")
    # The artifact's text is someone else's: the job's secrets and anything shaped like a GitHub token
    # are masked before anything renders it, and in every line logged from here on.
    log.redactor = log.redactor.with_token_shapes()
    report = log.redactor.report(report)

    base = load_event(env)
    settings = ClientSettings.from_env(env, base.api_url)
    number, problem = run.pull_number, None
    if number is None and run.event != "pull_request":
        problem = f"the run that made the report was a `{run.event or 'unknown'}` event, not a pull request"
    elif number is None and not token:
        problem = "no GitHub token to look up the pull request with"
    elif number is None and base.repository:
        try:
            number = find_pull_request(token, base.repository, run, settings)
        except Exception as exc:  # the API failing never hides the verdict: the check run is still tried
            from readiness.github.client import describe

            problem = f"cannot look up the pull request of {run.head_sha[:12]}: {describe(exc, token)}"
    if number is None and problem is None:
        problem = f"no open pull request into {base.repository or 'this repository'} has the head {run.head_sha[:12]}"
    pr = None
    if number is not None:
        pr = PullRequest(number=number, head_sha=run.head_sha, base_sha=None, head_repo=None, changed_files=None)
    event = ActionEvent(name="workflow_run", repository=base.repository, sha=run.head_sha,
                        server_url=base.server_url, api_url=base.api_url, pull_request=pr, problem=problem)
    where = f"pull request #{number}" if number is not None else f"commit {run.head_sha[:12]} ({problem})"
    log.info(f"readiness: publishing the {report.verdict} report of {run.head_sha[:12]} to {where}")
    return deliver(report, env=env, workspace=workspace, event=event, token=token, settings=settings, log=log,
                   comment_mode=comment_mode, check_run=check_run)


def cli_env(env: Mapping[str, str], report: str, comment: str | None, check_run: bool) -> dict[str, str]:
    """The action's environment for `readiness publish REPORT`: the inputs set from the arguments."""
    out = {k: v for k, v in env.items() if not k.startswith("INPUT_")
           or k.upper().replace("-", "_") in ("INPUT_GITHUB_TOKEN",)}
    out["INPUT_PUBLISH-REPORT"] = str(Path(report).absolute())
    out["INPUT_COMMENT"] = comment or "always"
    out["INPUT_CHECK-RUN"] = "true" if check_run else "false"
    if not out.get("GITHUB_WORKSPACE"):
        out["GITHUB_WORKSPACE"] = os.getcwd()
    return out
