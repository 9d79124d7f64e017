"""Reading a JSON report (schema_version 1) back from a file that someone else wrote.

Report files are untrusted input: `readiness rollup` reads artifacts other jobs uploaded, and
`readiness publish` reads the artifact a fork's pull_request run uploaded (a fork controls that run's
workflow, so it can upload anything). Each file is size-capped before it is read, decoded strictly,
parsed with bounded nesting and validated against the shipped report schema before anything is read
from it; `parse_report` then rebuilds the model, refusing a report that contradicts itself (a finding
of a gate the report does not list, counts or a verdict its own findings do not give). Problems are
`ValueError`s that say where, by JSON path and keyword, never quoting the file's values.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from readiness.model import (
    Advisory,
    ChangeKind,
    Confidence,
    DependencyChange,
    FailOn,
    Finding,
    GateId,
    GateResult,
    GateStatus,
    Item,
    Location,
    Report,
    RuleId,
    Severity,
    VulnerablePackage,
    Waiver,
    is_blocking,
)

MAX_REPORT_BYTES = 64 * 1024 * 1024
"""A report larger than this is rejected unread (a 100,000-finding report is about 40 MiB)."""


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MiB" if limit >= 1024 * 1024 else f"{limit:,} bytes"


def load_json(path: str, what: str, *, limit: int | None = None) -> Any:
    """A JSON file read safely: size-capped, strict UTF-8, bounded nesting. ValueError says why."""
    limit = MAX_REPORT_BYTES if limit is None else limit
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > limit:
            raise ValueError(f"{what} is larger than {_size(limit)}")
        with p.open("rb") as fh:
            data = fh.read(limit + 1)
    except FileNotFoundError:
        raise ValueError("no such file") from None
    except IsADirectoryError:
        raise ValueError("is a directory") from None
    except OSError as exc:
        raise ValueError(f"cannot be read ({exc.strerror})") from None
    if len(data) > limit:
        raise ValueError(f"{what} is larger than {_size(limit)}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("is not UTF-8 text") from None
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("is nested too deeply to be a report") from None
    except ValueError as exc:
        raise ValueError(f"is not JSON (line {getattr(exc, 'lineno', '?')})") from None


def schema_validator(schema: dict[str, Any]) -> Any:
    """A draft 2020-12 validator for `schema` (jsonschema-rs, else jsonschema)."""
    try:
        import jsonschema_rs

        return jsonschema_rs.validator_for(schema)
    except ImportError:  # pragma: no cover - jsonschema-rs is a runtime dependency
        from jsonschema import Draft202012Validator

        return Draft202012Validator(schema)


@cache
def report_validator() -> Any:
    """The validator of the shipped report schema (built once)."""
    from readiness.schemas import report_schema

    return schema_validator(report_schema())


def first_schema_error(validator: Any, doc: Any) -> str | None:
    """Where the document breaks the schema, by path and keyword only (messages quote values)."""
    try:
        first = next(iter(validator.iter_errors(doc)), None)
    except UnicodeEncodeError:  # JSON's \ud800 escapes decode to lone surrogates, which are not Unicode
        return "holds a string that is not valid Unicode (a lone surrogate escape)"
    for err in (first,) if first is not None else ():
        path = getattr(err, "instance_path", None)
        if path is None:
            path = list(err.absolute_path)
        schema_path = list(getattr(err, "schema_path", []) or [])
        keyword = str(schema_path[-1]) if schema_path else "schema"
        where = "/".join(str(p) for p in path)[:120] or "the top level"
        return f"does not match the report schema at {where} ({keyword})"
    return None


def read_report(path: str, *, limit: int | None = None) -> Report:
    """A report file checked and rebuilt: size cap, schema, then `parse_report`. ValueError says why."""
    doc = load_json(path, "the report", limit=limit)
    problem = first_schema_error(report_validator(), doc)
    if problem is not None:
        raise ValueError(problem)
    return parse_report(doc)


def parse_report(doc: dict[str, Any]) -> Report:
    """The model of a schema-valid report document; ValueError when it contradicts itself.

    The JSON does not say which gates judge everything (`scope: all`) or fail on an error; they are
    inferred from the gates' statuses and the verdict, so the rebuilt report renders the verdict the
    document states; an errored gate in a failing report is taken to fail it (`on_error`'s default).
    Nor does it carry where an inline waiver is written: the rebuilt waiver has no location.
    """
    gate_docs: list[dict[str, Any]] = doc["gates"]
    ids = [str(g["id"]) for g in gate_docs]
    if len(set(ids)) != len(ids):
        raise ValueError("a gate is listed twice in gates")
    by_gate: dict[str, list[Finding]] = {gid: [] for gid in ids}
    for n, fd in enumerate(doc["findings"]):
        f = _finding(fd, n)
        if f.gate not in by_gate:
            raise ValueError(f"findings/{n} belongs to the gate {f.gate}, which gates does not list")
        by_gate[f.gate].append(f)
    gates = tuple(_gate(g, tuple(by_gate[str(g["id"])])) for g in gate_docs)
    fail_on = FailOn(doc["fail_on"])
    # a gate that fails with no introduced blocking finding of its own judges everything (`scope: all`)
    scope_all = tuple(g.gate for g in gates if g.status is GateStatus.FAIL
                      and not any(is_blocking(f, fail_on) for f in g.findings)
                      and any(is_blocking(f, fail_on, True) for f in g.findings))
    excluded = doc.get("excluded") or {}
    report = Report(version=doc["tool"]["version"], fail_on=fail_on, base=doc["base"], head=doc["head"],
                    gates=gates, scope_all_gates=scope_all, excluded=tuple(excluded.get("paths", ())),
                    excluded_count=int(excluded.get("count", 0)))
    claimed = doc["verdict"]
    if claimed == "fail":  # an errored gate fails the run as on_error's default says, unless the verdict is pass
        errored = tuple(g.gate for g in gates if g.status is GateStatus.ERROR)
        report = replace(report, errored_gates_fail=errored)
    if report.verdict != claimed:
        why = (f"{len(report.blocking)} of its findings block at fail_on {fail_on.value}" if claimed == "pass"
               else "none of its findings blocks and no gate errored")
        raise ValueError(f"the report's verdict is {claimed}, but {why}")
    if doc["counts"] != report.counts:
        raise ValueError("the report's counts do not match its findings")
    return report


def _finding(fd: dict[str, Any], n: int) -> Finding:
    rule = str(fd["rule"])
    if fd["gate"] != rule.split("/", 1)[0] or fd["doc"] != f"checks/{rule}.md":
        raise ValueError(f"findings/{n}: its gate or doc does not match its rule")
    if fd["waived"] != (fd["waiver"] is not None):
        raise ValueError(f"findings/{n}: waived and waiver disagree")
    waiver = None
    if fd["waiver"] is not None:
        w = fd["waiver"]
        try:
            expires = date.fromisoformat(w["expires"]) if w["expires"] else None
        except ValueError:
            raise ValueError(f"findings/{n}/waiver/expires is not a date") from None
        waiver = Waiver(reason=w["reason"], source=w["source"], expires=expires)
    return Finding(rule=RuleId(rule), severity=Severity(fd["severity"]),
                   location=Location(path=fd["path"], line=fd["line"], column=fd["column"], end_line=fd["end_line"]),
                   message=fd["message"], fix=fd["fix"], fingerprint=fd["fingerprint"],
                   introduced=fd["introduced"], waiver=waiver, confidence=Confidence(fd["confidence"]),
                   package=_package(fd["package"]) if fd.get("package") is not None else None)


def _package(p: dict[str, Any]) -> VulnerablePackage:
    advisories = tuple(
        Advisory(id=a["id"], aliases=tuple(a["aliases"]),
                 severity=Severity(a["severity"]) if a["severity"] is not None else None,
                 severity_source=a["severity_source"], ranked=Severity(a["ranked"]), score=a["score"],
                 fixed=tuple(a["fixed"]), fix=a["fix"], summary=a["summary"], introduced=a["introduced"])
        for a in p["advisories"])
    return VulnerablePackage(name=p["name"], version=p["version"], advisories=advisories, fix=p["fix"],
                             fix_in_line=p["fix_in_release_line"], clean=p["clean"], base_version=p["base_version"])


def _gate(g: dict[str, Any], findings: tuple[Finding, ...]) -> GateResult:
    changes = None
    if g.get("dependency_changes") is not None:
        changes = tuple(DependencyChange(kind=ChangeKind(c["kind"]), name=c["name"], path=c["path"], line=c["line"],
                                         old=c["old"], new=c["new"], introduces=tuple(c["introduces"]),
                                         resolves=tuple(c["resolves"]))
                        for c in g["dependency_changes"])
    # the migrations gate's replay summary (schema-checked), so a published report carries its Replay line
    extra: dict[str, Any] = {"replay": dict(g["replay"])} if isinstance(g.get("replay"), dict) else {}
    return GateResult(gate=GateId(g["id"]), status=GateStatus(g["status"]), duration_ms=float(g["duration_ms"]),
                      error=g["error"], items=tuple(Item(dict(i)) for i in g["items"]), findings=findings,
                      extra=extra, dependency_changes=changes)
