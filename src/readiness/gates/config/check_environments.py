"""Checker: one config file per environment, compared for drift (`config/environment-key-drift`,
`config/environment-type-drift`). The comparison itself is `environments.compare`."""

from __future__ import annotations

from typing import Any

from readiness.gates.config import environments
from readiness.gates.config.files import ConfigFiles
from readiness.gates.config.loaders import ParsedFile
from readiness.gates.config.rules import ENVIRONMENT_KEY_DRIFT, ENVIRONMENT_TYPE_DRIFT
from readiness.model import Finding, Location


def check(files: ConfigFiles, template: str, names: list[str], ignore: tuple[str, ...]) -> list[Finding]:
    """Keys set in one environment's file and missing in another's, and values whose type differs.
    `template` holds `{env}`; environments whose file is absent or empty are left out."""
    envs: list[tuple[str, Any]] = []
    parsed: dict[str, ParsedFile] = {}
    for name in names:
        rel = template.replace("{env}", name)
        if not files.workspace.exists(rel):
            continue
        pf = files.load(rel)
        if pf is None or not pf.docs:
            continue
        parsed[name] = pf
        envs.append((name, pf.docs[0]))
    if len(envs) < 2:
        return []
    out: list[Finding] = []
    key_drift, type_drift = environments.compare(envs, ignore)
    for k in key_drift:
        pf = parsed[k.present_in]
        pos = pf.positions(0).of_key(k.path)
        missing = ", ".join(f"{m} ({parsed[m].path})" for m in k.missing_in)
        out.append(ENVIRONMENT_KEY_DRIFT.finding(
            Location(path=pf.path, line=pos.line, column=pos.column),
            message=f"Key '{k.dotted}' is set in {k.present_in} but missing in {missing}.",
            evidence=f"keydrift|{k.dotted}|{','.join(k.missing_in)}"))
    for t in type_drift:
        pf = parsed[t.env]
        pos = pf.positions(0).of_value(t.path)
        out.append(ENVIRONMENT_TYPE_DRIFT.finding(
            Location(path=pf.path, line=pos.line, column=pos.column),
            message=(f"Key '{t.dotted}' is a {t.kind} in {t.env} but a {t.reference_kind} in "
                     f"{t.reference_env} ({parsed[t.reference_env].path})."),
            evidence=f"typedrift|{t.dotted}|{t.env}|{t.kind}|{t.reference_kind}"))
    return out
