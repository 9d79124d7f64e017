"""JSON Schemas that ship with the tool (DESIGN: the report's schema ships and tests validate against it)."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

REPORT_SCHEMA = "report.schema.json"


@cache
def _load(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def report_schema() -> dict[str, Any]:
    """The JSON report's schema (draft 2020-12), a fresh copy each call."""
    schema: dict[str, Any] = json.loads(_load(REPORT_SCHEMA))
    return schema


CHECKLIST_SCHEMA = "checklist.schema.json"
ROLLUP_SCHEMA = "rollup.schema.json"


def checklist_schema() -> dict[str, Any]:
    """The readiness checklist file's schema (draft 2020-12), a fresh copy each call."""
    schema: dict[str, Any] = json.loads(_load(CHECKLIST_SCHEMA))
    return schema


def rollup_schema() -> dict[str, Any]:
    """The organisation roll-up's schema (`readiness rollup --format json`), a fresh copy each call."""
    schema: dict[str, Any] = json.loads(_load(ROLLUP_SCHEMA))
    return schema


BASELINE_SCHEMA = "baseline.schema.json"


def baseline_schema() -> dict[str, Any]:
    """The baseline file's schema (`.readiness-baseline.json`, draft 2020-12), a fresh copy each call."""
    schema: dict[str, Any] = json.loads(_load(BASELINE_SCHEMA))
    return schema
