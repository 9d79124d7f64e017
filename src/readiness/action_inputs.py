"""The action's inputs: `INPUT_*` variables read and validated into one frozen value.

The runner exports each input as `INPUT_<NAME upper-cased>` with hyphens kept (`INPUT_FAIL-ON`);
both that and the underscore form are read (DESIGN). An invalid value is a `UsageError` that names
the input, never a traceback.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from readiness.errors import UsageError
from readiness.model import FailOn

TRUE, FALSE = ("true", "yes", "1", "on"), ("false", "no", "0", "off")
COMMENT_MODES = ("always", "on-failure", "never")


def read_input(env: Mapping[str, str], name: str) -> str:
    """An action input: `INPUT_<NAME>` with hyphens kept (what the runner sets), else with
    underscores; '' when unset."""
    upper = name.upper().replace(" ", "_")
    for key in (f"INPUT_{upper}", f"INPUT_{upper.replace('-', '_')}"):
        value = env.get(key)
        if value is not None and value.strip():
            return value.strip()
    return ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ActionInputs:
    """The action's inputs, validated."""

    path: str
    """Repository root relative to the workspace."""
    config: str | None
    """Config file relative to the workspace; None for the default."""
    fail_on: FailOn | None
    """Threshold; None takes the config's."""
    gates: str | None
    """Comma-separated gate ids; None for every enabled gate."""
    comment: str
    """always | on-failure | never."""
    check_run: bool
    """Create a check run."""
    sarif_file: str | None
    """Where to write SARIF (relative to the workspace)."""
    publish_report: str | None = None
    """A JSON report to publish instead of running the gates (the `workflow_run` half of the fork
    pattern), relative to the workspace; None runs the gates."""
    database_url: str | None = None
    """A PostgreSQL server for replaying migrations (`database-url`); never logged."""
    replay: str | None = None
    """auto | on | off (`replay`); None takes the config's."""


def parse_comment_mode(value: str, what: str = "input comment") -> str:
    """`always`, `on-failure` or `never` ('' means always); UsageError naming `what` otherwise."""
    comment = value.strip().lower() or "always"
    if comment not in COMMENT_MODES:
        raise UsageError(f"{what}: {comment!r} is not one of always, on-failure, never")
    return comment


def parse_bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    """A true/false input; UsageError naming it when it is neither."""
    text = read_input(env, name).lower()
    if not text:
        return default
    if text not in TRUE + FALSE:
        raise UsageError(f"input {name}: {text!r} is not true or false")
    return text in TRUE


def parse_inputs(env: Mapping[str, str]) -> ActionInputs:
    """Inputs from the environment; UsageError naming the input when one is invalid."""
    fail_on_text = read_input(env, "fail-on").lower()
    try:
        fail_on = FailOn(fail_on_text) if fail_on_text else None
    except ValueError:
        raise UsageError(f"input fail-on: {fail_on_text!r} is not one of "
                         f"{', '.join(f.value for f in FailOn)}") from None
    comment = parse_comment_mode(read_input(env, "comment"))
    check_run = parse_bool(env, "check-run", True)
    replay = read_input(env, "replay").lower() or None
    if replay not in (None, "auto", "on", "off"):
        raise UsageError(f"input replay: {replay!r} is not one of auto, on, off")
    return ActionInputs(path=read_input(env, "path") or ".", config=read_input(env, "config") or None,
                        fail_on=fail_on, gates=read_input(env, "gates") or None, comment=comment,
                        check_run=check_run, sarif_file=read_input(env, "sarif-file") or None,
                        publish_report=read_input(env, "publish-report") or None,
                        database_url=read_input(env, "database-url") or None, replay=replay)
