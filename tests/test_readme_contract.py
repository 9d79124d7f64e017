"""README is the user's copy of the contracts (DESIGN: keep README and code true to it): its command
block lists every subcommand and flag the parser takes, and its Inputs and Outputs tables are
action.yml's, with the same defaults. A flag or input added without its README line fails here."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import yaml

from readiness.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
INTERNAL_FLAGS = {"--help", "-h", "--debug", "--color"}
"""Flags the command block leaves out: help, the traceback switch, and --color (named in the format line)."""


def _section(title: str) -> str:
    start = README.index(f"\n{title}\n")
    end = README.find("\n#", start + len(title) + 2)
    return README[start:end]


def _command_block() -> str:
    section = _section("## Command line")
    return section[section.index("```text"):section.index("```\n", section.index("```text") + 7)]


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def test_every_subcommand_and_flag_is_in_the_readme_command_block() -> None:
    block = _command_block()
    lines = block.splitlines()
    missing = []
    for name, sub in _subparsers(build_parser()).items():
        nested = _subparsers(sub)
        for label, parser in ({f"{name} {n}": p for n, p in nested.items()} if nested else {name: sub}).items():
            start = next((i for i, line in enumerate(lines) if line.startswith(f"readiness {label}")), None)
            if start is None:
                missing.append(f"readiness {label}")
                continue
            end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("readiness ")), len(lines))
            # a command's flags are on its own lines, or named "as for check"
            own = "\n".join(lines[start:end])
            for action in parser._actions:
                for flag in action.option_strings:
                    if flag in INTERNAL_FLAGS or re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", own):
                        continue
                    missing.append(f"readiness {label} {flag}")
    assert "readiness --version" in block
    assert not missing, "README's command block lacks: " + ", ".join(missing)


def _table(title: str) -> dict[str, str]:
    rows = {}
    for line in _section(title).splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| `") and len(cells) >= 2:
            for name in re.findall(r"`([a-z-]+)`", cells[0]):
                rows[name] = cells[1]
    return rows


def test_action_inputs_and_outputs_tables_are_action_yml() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    inputs, outputs = _table("### Inputs"), _table("### Outputs")
    assert set(inputs) == set(action["inputs"]), "README's Inputs table and action.yml differ"
    assert set(outputs) == set(action["outputs"]), "README's Outputs table and action.yml differ"
    for name, spec in action["inputs"].items():
        default = str(spec.get("default", ""))
        if default in ("", "."):  # empty: the README says what stands in (the config's, none, ...)
            continue
        assert f"`{default}`" in inputs[name], f"input {name}: action.yml's default {default!r} is not README's"


def test_the_readme_configuration_sample_is_a_valid_config() -> None:
    """The `.readiness.yml` users copy from README loads with the shipped schema (unknown keys are errors)."""
    from readiness.config import load_config_bytes

    section = _section("## Configuration: `.readiness.yml`")
    start = section.index("```yaml\n") + len("```yaml\n")
    sample = section[start:section.index("```\n", start)]
    config = load_config_bytes(sample.encode(), "README.md")
    assert config.waivers and config.fail_on.value == "critical"
