"""Command line: the only place that maps outcomes to exit codes.

0 nothing blocks; 1 a blocking finding or a failing gate error; 2 usage or configuration error;
3 unexpected internal error (a traceback only with --debug).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from readiness import __version__
from readiness.errors import ConfigError, ReadinessError, UsageError

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
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
    check.add_argument("--format", choices=["text", "markdown", "json", "sarif"], default=None,
                       help="report format (default: text)")
    check.add_argument("--output", metavar="FILE", help="write the report there instead of stdout")
    check.add_argument("--fail-on", choices=["critical", "high", "medium", "low", "never"], default=None,
                       help="lowest severity that fails the run (default: config, else critical)")
    check.add_argument("--offline-db", metavar="DIR", help="audit dependencies from an OSV directory, no network")
    check.add_argument("--color", choices=["auto", "always", "never"], default="auto",
                       help="colour in text output (NO_COLOR is honoured)")

    sub.add_parser("action", help="GitHub Action entrypoint: reads INPUT_* and GITHUB_*, publishes results")
    sub.add_parser("rules", help="list the rule catalog")
    explain = sub.add_parser("explain", help="show one rule's page")
    explain.add_argument("rule_id", metavar="RULE_ID")
    return parser


def _use_color(choice: str, stream_is_tty: bool) -> bool:
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    return stream_is_tty and os.environ.get("TERM") != "dumb"


def cmd_check(args: argparse.Namespace) -> int:
    """`readiness check`."""
    from readiness.engine import RunOptions, parse_gate_list, run
    from readiness.model import FailOn
    from readiness.redaction import Redactor
    from readiness.render import Format, render
    from readiness.runner import load_policy, local_changes
    from readiness.watchdog import Limits

    root = Path(args.path)
    if not root.is_dir():
        raise UsageError(f"{args.path}: not a directory")
    changes = local_changes(root, args.base) if args.base else None
    # with --base, the base commit's .readiness.yml judges; what the working copy's relaxes is a finding
    policy = load_policy(root, args.config, changes=changes)
    for note in policy.notes:
        _complain(f"note: {note}")
    config = policy.config
    fail_on = FailOn(args.fail_on) if args.fail_on else config.fail_on
    offline_db = Path(args.offline_db) if args.offline_db else None
    if offline_db is not None and not offline_db.is_dir():
        raise UsageError(f"--offline-db {args.offline_db}: not a directory")
    # --debug runs the gates in this process (no watchdog), so a defect surfaces with its own traceback
    limits = Limits(gate_seconds=0) if args.debug else None
    options = RunOptions(root=root, config=config, fail_on=fail_on, gates=parse_gate_list(args.gates),
                         changes=changes, offline_db=offline_db, policy_findings=policy.findings, limits=limits)
    report = Redactor.from_env(os.environ).report(run(options))  # a CI job's token never reaches the output
    fmt = Format(args.format or "text")
    if args.output:
        text = render(report, fmt, color=False)
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"--output {args.output}: {exc.strerror}") from None
    else:
        from readiness.github.commands import neutralise, neutralise_json

        color = fmt is Format.TEXT and _use_color(args.color, sys.stdout.isatty())
        text = render(report, fmt, color=color)
        # stdout may be a CI log, where a line of repository text must not become a workflow command
        sys.stdout.write(neutralise_json(text) if fmt in (Format.JSON, Format.SARIF) else neutralise(text))
    return EXIT_FAIL if report.verdict == "fail" else EXIT_OK


def cmd_rules() -> int:
    """`readiness rules`: id, severity, summary."""
    from readiness.rules.catalog import catalog

    rules = catalog().all()
    width = max(len(r.id) for r in rules)
    for r in rules:
        sys.stdout.write(f"{r.id:<{width}}  {r.severity.value:<8}  {r.summary}\n")
    return EXIT_OK


def cmd_explain(rule_id: str) -> int:
    """`readiness explain RULE_ID`: the rule's page."""
    from readiness.errors import CatalogError
    from readiness.rules.catalog import catalog

    try:
        r = catalog().get(rule_id)
    except CatalogError:
        raise UsageError(f"unknown rule {rule_id!r}; `readiness rules` lists them") from None
    sys.stdout.write(f"{r.id}  ({r.severity.value}, since {r.since})\n\n{r.summary}\n\nFix: {r.fix}\n")
    sys.stdout.write(r.body if r.body.startswith("\n") else "\n" + r.body)
    return EXIT_OK


def dispatch(args: argparse.Namespace) -> int:
    """Run the chosen subcommand."""
    if args.command == "check":
        return cmd_check(args)
    if args.command == "action":
        from readiness.action import run_action

        return run_action()
    if args.command == "rules":
        return cmd_rules()
    if args.command == "explain":
        return cmd_explain(args.rule_id)
    raise UsageError("a command is required: check, action, rules or explain (see --help)")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `readiness` console script."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    try:
        args = build_parser().parse_args(argv)
        return dispatch(args)
    except ConfigError as exc:
        _complain(exc.diagnostics())
        return EXIT_USAGE
    except ReadinessError as exc:
        trace = getattr(exc, "trace", None)
        if debug and trace:  # a gate's crash in its own process: its traceback from there
            sys.stderr.write(trace)
        _complain(exc.diagnostics() + (f"; rerun with --debug for a traceback, and {REPORT_BUG}"
                                        if trace and not debug else ""))
        return exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("readiness: interrupted\n")
        return 130
    except BrokenPipeError:
        return EXIT_OK
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
        return EXIT_INTERNAL


def _complain(message: str) -> None:
    """One line on stderr, with every secret the environment holds redacted."""
    from readiness.redaction import Redactor

    sys.stderr.write(f"readiness: {Redactor.from_env(os.environ).text(message)}\n")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
