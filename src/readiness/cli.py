"""Command line: the only place that maps outcomes to exit codes (the table: `exit_codes.ExitCode`).

0 nothing blocks; 1 a blocking finding or a failing gate error; 2 usage or configuration error;
3 unexpected internal error (a traceback only with --debug).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from readiness import __version__
from readiness.errors import ConfigError, ReadinessError, UsageError
from readiness.exit_codes import ExitCode, verdict_exit

if TYPE_CHECKING:
    from readiness.model import Report

MAX_RULE_ID_CHARS = 100
"""Longer input to `readiness explain` is not compared with the rule ids for suggestions."""
REPORT_BUG = "please report it at https://github.com/readiness-gates/readiness-gates/issues"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (also used to generate the README's help block)."""
    parser = _Parser(prog="readiness", description="Production-readiness gates for pull requests.")
    parser.add_argument("--version", action="version", version=f"readiness-gates {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    check = sub.add_parser("check", help="run the gates on a repository")
    check.add_argument("path", nargs="?", default=".", help="repository root (default: .)")
    check.add_argument("--config", metavar="FILE", help="config file (default: PATH/.readiness.yml if present)")
    check.add_argument("--base", metavar="REF", help="diff against this git ref: only what the PR changes is new")
    check.add_argument("--gates", metavar="ID[,ID...]", help="gates to run (default: every enabled gate)")
    check.add_argument("--format", choices=["text", "markdown", "json", "sarif", "gitlab"], default=None,
                       help="report format (default: text; gitlab: GitLab Code Quality JSON)")
    check.add_argument("--output", metavar="FILE", help="write the report there instead of stdout")
    check.add_argument("--fail-on", choices=["critical", "high", "medium", "low", "never"], default=None,
                       help="lowest severity that fails the run (default: config, else critical)")
    check.add_argument("--offline-db", metavar="DIR", help="audit dependencies from an OSV directory, no network")
    check.add_argument("--database-url", metavar="URL",
                       help="PostgreSQL server for replaying migrations (default: $READINESS_DATABASE_URL, "
                            "else a throwaway server)")
    check.add_argument("--replay", choices=["auto", "on", "off"], default=None,
                       help="replay SQL migrations on a real PostgreSQL (default: the config's, else auto)")
    check.add_argument("--color", choices=["auto", "always", "never"], default="auto",
                       help="colour in text output (NO_COLOR is honoured)")
    check.add_argument("--baseline", metavar="FILE",
                       help="accepted findings (default: PATH/.readiness-baseline.json if present; with --base, "
                            "the base commit's version applies)")
    check.add_argument("--min-severity", choices=["critical", "high", "medium", "low", "info"], default=None,
                       help="text output: list only findings at or above this severity (what is printed, "
                            "never what is decided)")

    baseline = sub.add_parser("baseline", help="record today's findings so an existing repository starts clean")
    baseline.add_argument("path", nargs="?", default=".", help="repository root (default: .)")
    baseline.add_argument("--config", metavar="FILE", help="config file (default: PATH/.readiness.yml if present)")
    baseline.add_argument("--gates", metavar="ID[,ID...]", help="gates to run (default: every enabled gate)")
    baseline.add_argument("--offline-db", metavar="DIR", help="audit dependencies from an OSV directory, no network")
    baseline.add_argument("--database-url", metavar="URL",
                          help="PostgreSQL server for replaying migrations (as for check)")
    baseline.add_argument("--replay", choices=["auto", "on", "off"], default=None,
                          help="replay SQL migrations on a real PostgreSQL (as for check)")
    baseline.add_argument("--output", metavar="FILE",
                          help="where to write the baseline (default: PATH/.readiness-baseline.json)")

    sub.add_parser("action", help="GitHub Action entrypoint: reads INPUT_* and GITHUB_*, publishes results")
    publish = sub.add_parser("publish", help="publish a JSON report from a workflow_run job (fork and Dependabot PRs)")
    publish.add_argument("report", metavar="REPORT", help="the report artifact of the pull_request run (untrusted)")
    publish.add_argument("--comment", choices=["always", "on-failure", "never"], default="always",
                         help="PR comment mode, as the action's input (default: always)")
    publish.add_argument("--no-check-run", action="store_true", help="do not create a check run")
    sub.add_parser("rules", help="list the rule catalog")
    explain = sub.add_parser("explain", help="show one rule's page")
    explain.add_argument("rule_id", metavar="RULE_ID")
    from readiness.score.commands import add_commands

    add_commands(sub)  # score, init, env, rollup
    _osv_db_parser(sub)
    _debug_everywhere(sub)
    return parser


def _debug_everywhere(sub: argparse._SubParsersAction[_Parser]) -> None:
    """`--debug` after the command too (`readiness check . --debug`, as the internal-error message
    suggests): each subcommand accepts it, without overriding the top-level flag when absent."""
    for parser in sub.choices.values():
        parser.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                            help="show tracebacks of internal errors")
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                _debug_everywhere(action)


def _osv_db_parser(sub: argparse._SubParsersAction[_Parser]) -> None:
    """`readiness osv-db download|status DIR`: the offline database that `--offline-db` reads (the module
    that does it is imported only when the command runs: the parser is built for every command)."""
    osv = sub.add_parser("osv-db", help="download or inspect the offline OSV database (--offline-db DIR)")
    actions = osv.add_subparsers(dest="osv_action", metavar="ACTION", parser_class=_Parser)
    get = actions.add_parser("download", help="download OSV's PyPI export into DIR, verified, and say its age")
    get.add_argument("dir", metavar="DIR", help="directory to (re)create; an existing one must be from osv-db")
    get.add_argument("--url", help="where the export is (default: OSV's, "
                                   "https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip)")
    get.add_argument("--timeout", type=float, metavar="SECONDS", help="per network operation (default: 60)")
    show = actions.add_parser("status", help="how many records DIR holds and how old they are")
    show.add_argument("dir", metavar="DIR")
    show.add_argument("--max-age-days", type=float, metavar="DAYS", help="exit 1 when the data is older")


def cmd_osv_db(args: argparse.Namespace) -> int:
    """`readiness osv-db download|status DIR`."""
    from readiness.gates.deps.osv_db import DEFAULT_TIMEOUT, DEFAULT_URL, OsvDbError, describe, download, status

    if args.osv_action == "download":
        timeout = DEFAULT_TIMEOUT if args.timeout is None else args.timeout
        if not timeout > 0:
            raise UsageError("--timeout must be a positive number of seconds")
        st = download(Path(args.dir), url=args.url or DEFAULT_URL, timeout=min(timeout, 600.0))
        sys.stdout.write(f"Downloaded and verified: {describe(st)}\n"
                         f"Audit with it: readiness check --offline-db {args.dir}\n")
        return ExitCode.OK
    if args.osv_action == "status":
        st = status(Path(args.dir))
        sys.stdout.write(describe(st) + "\n")
        limit = args.max_age_days
        if limit is not None and (st.age_days is None or st.age_days > limit):
            raise OsvDbError(f"{args.dir}: the data is older than {limit:g} day{'s' if limit != 1 else ''} "
                             "(or its age is unknown); refresh it with `readiness osv-db download`")
        return ExitCode.OK
    raise UsageError("osv-db needs an action: download or status (see readiness osv-db --help)")


def _use_color(choice: str, stream_is_tty: bool) -> bool:
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    return stream_is_tty and os.environ.get("TERM") != "dumb"


def _run_check(args: argparse.Namespace, *, base: str | None, baseline: bool) -> Report:
    """The settled report of `check` (and `baseline`, which runs without a base or a baseline)."""
    from readiness.baseline import load_baseline
    from readiness.engine import RunOptions, parse_gate_list, run
    from readiness.model import FailOn
    from readiness.redaction import Redactor, url_secrets
    from readiness.runner import load_policy, local_changes
    from readiness.watchdog import Limits

    root = Path(args.path)
    if not root.is_dir():
        raise UsageError(f"{args.path}: not a directory")
    changes = local_changes(root, base) if base else None
    # with --base, the base commit's .readiness.yml judges; what the working copy's relaxes is a finding
    policy = load_policy(root, args.config, changes=changes)
    for note in policy.notes:
        _complain(f"note: {note}")
    config = policy.config
    fail_on = FailOn(args.fail_on) if getattr(args, "fail_on", None) else config.fail_on
    offline_db = Path(args.offline_db) if args.offline_db else None
    if offline_db is not None and not offline_db.is_dir():
        raise UsageError(f"--offline-db {args.offline_db}: not a directory")
    # --debug runs the gates in this process (no watchdog), so a defect surfaces with its own traceback
    limits = Limits(gate_seconds=0) if args.debug else None
    # with --base, the base commit's baseline applies: entries the working copy adds are reported, not used
    accepted = load_baseline(root, args.baseline, changes=changes) if baseline else None
    options = RunOptions(root=root, config=config, fail_on=fail_on, gates=parse_gate_list(args.gates),
                         changes=changes, offline_db=offline_db, policy_findings=policy.findings, limits=limits,
                         baseline=accepted,
                         database_url=args.database_url or os.environ.get("READINESS_DATABASE_URL") or None,
                         replay=args.replay)
    secrets = url_secrets(options.database_url)  # a --database-url password never reaches the output either
    # a CI job's token never reaches the output
    return Redactor.from_env(os.environ, *secrets).report(run(options))


def cmd_check(args: argparse.Namespace) -> int:
    """`readiness check`."""
    from readiness.model import Severity
    from readiness.render import Format, render

    report = _run_check(args, base=args.base, baseline=True)
    fmt = Format(args.format or "text")
    min_severity = Severity(args.min_severity) if args.min_severity else None
    if min_severity is not None and fmt is not Format.TEXT:
        raise UsageError("--min-severity filters the text output only; the other formats carry every finding")
    if args.output:
        text = render(report, fmt, color=False, min_severity=min_severity)
        from readiness.github.written import write_output

        try:  # never through a symlink the PR committed (GitLab's example writes into the checkout)
            write_output(args.output, text)
        except OSError as exc:
            raise UsageError(f"--output {args.output}: {exc.strerror or exc}") from None
    else:
        from readiness.github.commands import neutralise, neutralise_json

        color = fmt is Format.TEXT and _use_color(args.color, sys.stdout.isatty())
        text = render(report, fmt, color=color, min_severity=min_severity)
        # stdout may be a CI log, where a line of repository text must not become a workflow command
        sys.stdout.write(neutralise_json(text) if fmt in (Format.JSON, Format.SARIF) else neutralise(text))
    return verdict_exit(report.verdict)


def cmd_baseline(args: argparse.Namespace) -> int:
    """`readiness baseline`: a full scan, every unwaived finding written to the baseline file."""
    from collections import Counter

    from readiness.baseline import BASELINE_NAME, NOT_BASELINED, record

    report = _run_check(args, base=None, baseline=False)
    text, count = record(report.findings)
    target = Path(args.output) if args.output else Path(args.path) / BASELINE_NAME
    from readiness.github.written import write_output

    try:
        if target.is_symlink():
            raise UsageError(f"{target}: is a symbolic link; refusing to write through it")
        write_output(str(target), text)
    except OSError as exc:
        raise UsageError(f"cannot write the baseline {target}: {exc.strerror}") from None
    by_gate = Counter(f.gate for f in report.findings if not f.waived and f.rule not in NOT_BASELINED)
    total = sum(by_gate.values())
    gates = ", ".join(f"{n} {g}" for g, n in sorted(by_gate.items()))
    shared = f"; {count} entries: identical findings in one file share one, with their count" if count != total else ""
    sys.stdout.write(f"Recorded {total} finding{'s' if total != 1 else ''} in {target}"
                     + (f" ({gates}{shared})" if gates else "") + ".\n"
                     "Commit it: later runs list these findings as baselined and never block on them; "
                     "new findings still block.\n")
    return ExitCode.OK


def cmd_rules() -> int:
    """`readiness rules`: id, severity, summary."""
    from readiness.rules.catalog import catalog

    rules = catalog().all()
    width = max(len(r.id) for r in rules)
    for r in rules:
        sys.stdout.write(f"{r.id:<{width}}  {r.severity.value:<8}  {r.summary}\n")
    return ExitCode.OK


def rule_suggestions(wanted: str, ids: Sequence[str]) -> list[str]:
    """Rule ids the user probably meant by an unknown `wanted`: the id in other letter case; the
    ids whose name part it is (gate prefix left out, or the wrong gate); the names nearest by
    spelling (the best and any as near, at most three); else the names that contain it (at most
    three)."""
    from difflib import SequenceMatcher

    key = wanted.strip().lower()
    if key in ids:
        return [key]
    if len(key) > MAX_RULE_ID_CHARS:  # no rule id is that long; not worth comparing
        return []
    gate, _, name = key.rpartition("/")
    names = [(rid, rid.split("/", 1)[-1]) for rid in ids]
    same_name = sorted(rid for rid, n in names if n == name)
    if same_name:
        return same_name
    scored = sorted((-SequenceMatcher(None, name, n).ratio(), rid.split("/", 1)[0] != gate, rid)
                    for rid, n in names)
    if scored and -scored[0][0] >= 0.8:
        near = [(other_gate, rid) for score, other_gate, rid in scored if score <= scored[0][0] + 0.03]
        if not near[0][0]:  # the gate given has a near name: the other gates' are noise
            near = [t for t in near if not t[0]]
        return [rid for _, rid in near][:3]
    if len(name) >= 4:
        return sorted((rid for rid, n in names if name in n),
                      key=lambda rid: (rid.split("/", 1)[0] != gate, rid))[:3]
    return []


def cmd_explain(rule_id: str) -> int:
    """`readiness explain RULE_ID`: the rule's page."""
    from readiness.errors import CatalogError
    from readiness.rules.catalog import catalog

    try:
        r = catalog().get(rule_id)
    except CatalogError:
        hint = ""
        if suggestions := rule_suggestions(rule_id, [rule.id for rule in catalog().all()]):
            hint = f"did you mean {' or '.join(suggestions)}? "
        raise UsageError(f"unknown rule {rule_id!r}; {hint}`readiness rules` lists them") from None
    raised = f"; {r.introduced_severity.value} when introduced" if r.introduced_severity is not None else ""
    sys.stdout.write(f"{r.id}  ({r.severity.value}{raised}, since {r.since})\n\n{r.summary}\n\nFix: {r.fix}\n")
    sys.stdout.write(r.body if r.body.startswith("\n") else "\n" + r.body)
    return ExitCode.OK


def dispatch(args: argparse.Namespace) -> int:
    """Run the chosen subcommand."""
    if args.command == "check":
        return cmd_check(args)
    if args.command == "action":
        from readiness.action import run_action

        return run_action()
    if args.command == "publish":
        from readiness.action import run_action
        from readiness.publish_report import cli_env

        return run_action(cli_env(os.environ, args.report, args.comment, not args.no_check_run))
    if args.command == "baseline":
        return cmd_baseline(args)
    if args.command == "rules":
        return cmd_rules()
    if args.command == "explain":
        return cmd_explain(args.rule_id)
    if args.command == "osv-db":
        return cmd_osv_db(args)
    from readiness.score.commands import COMMANDS

    if args.command in COMMANDS:
        return ExitCode.FAIL if COMMANDS[args.command](args) else ExitCode.OK
    raise UsageError("a command is required: check, baseline, action, publish, rules, explain, score, init, env, "
                     "rollup or osv-db (see --help)")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `readiness` console script."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    try:
        args = build_parser().parse_args(argv)
        return dispatch(args)
    except ConfigError as exc:
        _complain(exc.diagnostics())
        return ExitCode.USAGE
    except ReadinessError as exc:
        trace = getattr(exc, "trace", None)
        if debug and trace:  # a gate's crash in its own process: its traceback from there
            sys.stderr.write(trace)
        _complain(exc.diagnostics() + (f"; rerun with --debug for a traceback, and {REPORT_BUG}"
                                        if trace and not debug else ""))
        return exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("readiness: interrupted\n")
        return ExitCode.INTERRUPTED
    except BrokenPipeError:
        return ExitCode.OK
    except Exception as exc:  # noqa: BLE001 - the one place that turns a defect into exit 3
        if debug:
            raise
        where = ""
        tb = exc.__traceback__
        while tb is not None and tb.tb_next is not None:
            tb = tb.tb_next
        if tb is not None:
            where = f" at {Path(tb.tb_frame.f_code.co_filename).name}:{tb.tb_lineno}"
        _complain(f"internal error: {type(exc).__name__}{where}: {exc}; rerun with --debug for a traceback, "
                  f"and {REPORT_BUG}")
        return ExitCode.INTERNAL


def _complain(message: str) -> None:
    """One line on stderr, with every secret the environment holds redacted."""
    from readiness.redaction import Redactor

    sys.stderr.write(f"readiness: {Redactor.from_env(os.environ).text(message)}\n")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
