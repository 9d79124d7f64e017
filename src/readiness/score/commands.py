"""The scorecard's subcommands: `readiness score`, `init`, `env` and `rollup`.

Each command returns True when something blocks and False when nothing does; `cli.py` alone turns
that into an exit code (1 or 0) and maps errors to 2 and 3. Heavy modules are imported inside the
functions, so `readiness --version` does not pay for them.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from readiness.errors import UsageError

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: importing typing alone costs ~2 ms of start-up
if TYPE_CHECKING:  # `readiness --version` builds the parser: keep this module's imports light
    from collections.abc import Callable
    from typing import Any

PILLAR_NAMES = ("reliability", "security", "observability", "supportability")
CONFIG_STARTER = """\
# readiness-gates configuration (README: "Configuration: .readiness.yml"); written by `readiness init`.
version: 1
fail_on: critical
gates:
  checklist:
    file: {file}
    require: true            # a missing checklist is a finding
    evidence_fail_on: high   # `gate:` evidence fails on an unwaived finding at or above this
"""


def add_commands(sub: argparse._SubParsersAction[Any]) -> None:
    """Register the subcommands on the CLI's parser."""
    score = sub.add_parser("score", help="pillar scorecard (1-5) from the checklist and the gates")
    score.add_argument("path", nargs="?", default=".", help="repository root (default: .)")
    score.add_argument("--config", metavar="FILE", help="config file (default: PATH/.readiness.yml if present)")
    score.add_argument("--base", metavar="REF", help="diff against this git ref, as for check")
    score.add_argument("--offline-db", metavar="DIR", help="audit dependencies from an OSV directory, no network")
    score.add_argument("--format", choices=["text", "markdown", "json"], default="text",
                       help="text, markdown (a job summary) or json (the whole report with its score section)")
    score.add_argument("--output", metavar="FILE", help="write there instead of stdout")
    score.add_argument("--badge", metavar="FILE", help="also write a badge: shields.io endpoint JSON (*.json) or SVG")
    score.add_argument("--badge-pillar", choices=PILLAR_NAMES, help="badge for one pillar (default: overall)")
    score.add_argument("--fail-under", type=int, choices=range(1, 6), metavar="N",
                       help="exit 1 when a pillar scores below N (1-5); default: never")

    init = sub.add_parser("init", help="write a starter readiness checklist (and config) into a repository")
    init.add_argument("path", nargs="?", default=".", help="repository root (default: .)")
    init.add_argument("--owner", default="", help="owner written into every item (default: empty, to fill in)")
    init.add_argument("--file", default="readiness-checklist.yml", help="checklist path (default: %(default)s)")
    init.add_argument("--force", action="store_true", help="overwrite an existing checklist")

    env = sub.add_parser("env", help="deploy-time drift: the environment against the env schema")
    env.add_argument("--schema", metavar="FILE", required=True, help="the env schema (JSON Schema, JSON or YAML)")
    src = env.add_mutually_exclusive_group()
    src.add_argument("--env-file", metavar="FILE", help="check a dotenv file instead of the process environment")
    src.add_argument("--names", metavar="FILE",
                     help="check variable names from a platform listing (JSON list/object, or NAME[=...] lines; "
                          "- for stdin): presence only")
    env.add_argument("--prefix", metavar="P", help="process environment: judge only names starting with P "
                                                    "(and the ones the schema declares)")
    env.add_argument("--ignore", metavar="GLOB", action="append", default=[],
                     help="names never reported as unknown (repeatable)")
    env.add_argument("--format", choices=["text", "markdown", "json"], default="text")
    env.add_argument("--output", metavar="FILE", help="write there instead of stdout")
    env.add_argument("--fail-on", choices=["critical", "high", "medium", "low", "never"], default="medium",
                     help="lowest severity that fails (default: medium: missing, empty, invalid and unknown)")

    roll = sub.add_parser("rollup", help="many repositories' JSON reports merged into one organisation view")
    roll.add_argument("reports", nargs="+", metavar="REPORT", help="JSON report files ([owner/name=]path)")
    roll.add_argument("--previous", metavar="FILE", help="an earlier `rollup --format json`, for trends")
    roll.add_argument("--top", type=int, default=20, metavar="N", help="worst findings listed (default 20, max 500)")
    roll.add_argument("--format", choices=["text", "markdown", "json"], default="text")
    roll.add_argument("--output", metavar="FILE", help="write there instead of stdout")


def _emit(text: str, output: str | None) -> None:
    from readiness.github.written import write_output

    if output:
        try:
            write_output(output, text)
        except OSError as exc:
            raise UsageError(f"--output {output}: {exc.strerror or exc}") from None
    else:
        sys.stdout.write(text)


def cmd_score(args: argparse.Namespace) -> bool:
    """`readiness score`: run every gate and score the pillars."""
    from readiness.engine import RunOptions, run
    from readiness.render.json_report import dumps_outline, report_dict
    from readiness.render.scorecard import render_score_markdown, render_score_text, score_dict
    from readiness.runner import load_repo_config, local_changes
    from readiness.score.rubric import score

    root = Path(args.path)
    if not root.is_dir():
        raise UsageError(f"{args.path}: not a directory")
    config = load_repo_config(root, args.config)
    offline_db = Path(args.offline_db) if args.offline_db else None
    if offline_db is not None and not offline_db.is_dir():
        raise UsageError(f"--offline-db {args.offline_db}: not a directory")
    changes = local_changes(root, args.base) if args.base else None
    report = run(RunOptions(root=root, config=config, fail_on=config.fail_on, changes=changes,
                            offline_db=offline_db))
    card = score(report, always=True)
    assert card is not None
    if args.format == "json":
        doc = report_dict(report)
        doc["score"] = score_dict(card)
        text = dumps_outline(doc) + "\n"
    elif args.format == "markdown":
        text = render_score_markdown(card)
    else:
        text = render_score_text(card)
    _emit(text, args.output)
    if args.badge:
        from readiness.score.badge import badge_svg, shields_endpoint
        from readiness.score.model import Pillar

        pillar = Pillar(args.badge_pillar) if args.badge_pillar else None
        from readiness.github.written import write_output

        badge = shields_endpoint(card, pillar) if args.badge.endswith(".json") else badge_svg(card, pillar)
        try:
            write_output(args.badge, badge)
        except OSError as exc:
            raise UsageError(f"--badge {args.badge}: {exc.strerror or exc}") from None
    return args.fail_under is not None and any(p.score < args.fail_under for p in card.pillars)


def _detect(root: Path) -> dict[str, str]:
    """What the starter checklist can point its evidence at, found in the repository."""
    from readiness.gates.config.discover import DEFAULT_ENV_SCHEMAS
    from readiness.gates.docs import alerts, runbooks
    from readiness.gates.docs.adr import DEFAULT_ADR_DIRS
    from readiness.gates.docs.gate import README_GLOBS
    from readiness.gates.docs.links import DocReader
    from readiness.workspace import Workspace

    ws = Workspace(root)
    found: dict[str, str] = {}
    books = runbooks.runbook_files(ws, None)
    if books:
        found["{runbook}"] = books[0] if len(books) == 1 or "/" not in books[0] else books[0].rsplit("/", 1)[0] + "/"
    adr_dir = next((d for d in DEFAULT_ADR_DIRS if ws.exists(d)), None)
    if adr_dir:
        found["{adr_dir}"] = adr_dir + "/"
    readme = next((r for r in README_GLOBS if ws.exists(r)), None)
    if readme:
        found["{readme}"] = readme
    rule_files = alerts.scan(ws, None, DocReader(ws)).files
    if rule_files:
        found["{alert_rules}"] = rule_files[0] if len(rule_files) == 1 else rule_files[0].rsplit("/", 1)[0] + "/"
    schema = next((s for s in DEFAULT_ENV_SCHEMAS if ws.exists(s)), None)
    if schema:
        found["{env_schema}"] = schema
    return found


def _write_new(path: Path, text: str, *, force: bool) -> None:
    """Write `text` to `path`, never through a symlink, never over a file unless `force`."""
    if path.is_symlink():
        raise UsageError(f"{path}: is a symlink; refusing to write through it")
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if force else os.O_EXCL) | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags, 0o644)
    except FileExistsError:
        raise UsageError(f"{path} exists; `readiness init --force` overwrites it") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot write it ({exc.strerror})") from None
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)


def cmd_init(args: argparse.Namespace) -> bool:
    """`readiness init`: the starter checklist, and `.readiness.yml` when there is none."""
    from readiness.gates.checklist.document import repo_path
    from readiness.score.starter import ITEMS, render_starter

    root = Path(args.path)
    if not root.is_dir():
        raise UsageError(f"{args.path}: not a directory")
    rel = repo_path(args.file)
    if rel is None or rel.endswith("/"):
        raise UsageError(f"--file {args.file}: must be a file path inside the repository")
    if "\n" in args.owner or len(args.owner) > 100:
        raise UsageError("--owner: one line of at most 100 characters")
    target = root / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    found = _detect(root)
    _write_new(target, render_starter(found, owner=args.owner.strip()), force=args.force)
    lines = [f"wrote {rel}: {len(ITEMS)} items over the four pillars"
             + (f", evidence pointed at {', '.join(sorted(found.values()))}" if found else "")]
    config = root / ".readiness.yml"
    if config.exists() or config.is_symlink():
        lines.append(".readiness.yml exists and was kept: add `gates.checklist: {file: ..., require: true}` to it "
                     "to make the checklist required")
    else:
        _write_new(config, CONFIG_STARTER.format(file=rel), force=False)
        lines.append("wrote .readiness.yml: the checklist is required from now on")
    lines.append("next: give every item an owner and a status, mark done what is done, then "
                 f"`readiness score {args.path}`")
    sys.stdout.write("\n".join(lines) + "\n")
    return False


def cmd_env(args: argparse.Namespace) -> bool:
    """`readiness env`: names and problems only; values never leave this function's inputs."""
    from readiness import envcheck
    from readiness.model import FailOn

    schema, validator = envcheck.load_schema(args.schema)
    if args.env_file:
        source = envcheck.env_file_source(args.env_file)
    elif args.names:
        source = envcheck.names_source(args.names)
    else:
        source = envcheck.process_source()
    report = envcheck.check(schema, validator, source, schema_label=args.schema, fail_on=FailOn(args.fail_on),
                            ignore=tuple(args.ignore), prefix=args.prefix)
    if args.format == "json":
        from readiness.render.json_report import dumps_outline

        text = dumps_outline(envcheck.report_dict(report)) + "\n"
    elif args.format == "markdown":
        text = envcheck.render_markdown(report)
    else:
        text = envcheck.render_text(report)
    _emit(text, args.output)
    return bool(report.blocking)


def cmd_rollup(args: argparse.Namespace) -> bool:
    """`readiness rollup`: the organisation view; True when a repository fails or a report was rejected."""
    from readiness import __version__
    from readiness.score import rollup as ru

    if not 1 <= args.top <= ru.MAX_TOP:
        raise UsageError(f"--top must be between 1 and {ru.MAX_TOP}")
    previous = ru.load_previous(args.previous) if args.previous else None
    view = ru.rollup(ru.parse_inputs(args.reports), previous=previous, top=args.top, tool_version=__version__)
    if args.format == "json":
        from readiness.render.json_report import dumps_outline

        text = dumps_outline(ru.rollup_dict(view)) + "\n"
    else:
        from readiness.render.rollup import render_rollup_markdown, render_rollup_text

        text = render_rollup_markdown(view) if args.format == "markdown" else render_rollup_text(view)
    _emit(text, args.output)
    return bool(view.failing or view.rejected)


COMMANDS: dict[str, Callable[[argparse.Namespace], bool]] = {
    "score": cmd_score, "init": cmd_init, "env": cmd_env, "rollup": cmd_rollup,
}
