"""Regenerate the pull_request event fixtures from the webhook schema (run by hand, not by pytest).

    .venv/bin/python tests/github/events/generate.py

Every required field gets a plausible value of its schema type; the fields the action reads
(number, head/base sha and repository, changed_files) get the values below. The output is checked
against `../shared/data/github-rest/webhooks-schema.json` by tests/github/test_gh_events.py.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SCHEMA = HERE.parents[3] / "shared" / "data" / "github-rest" / "webhooks-schema.json"
REPO = "octo-org/demo"
FORK = "contributor/demo"
HEAD = "1111111111111111111111111111111111111111"
BASE = "2222222222222222222222222222222222222222"


def _resolve(root: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/definitions/"), ref
        node = root["definitions"][ref.split("/", 2)[2]]
    return node


def _value(root: dict[str, Any], node: dict[str, Any], name: str, depth: int = 0) -> Any:
    node = _resolve(root, node)
    if "const" in node:
        return node["const"]
    if "enum" in node:
        return node["enum"][0]
    for key in ("oneOf", "anyOf"):
        if key in node:
            options = [_resolve(root, o) for o in node[key]]
            non_null = [o for o in options if o.get("type") != "null"] or options
            return _value(root, non_null[0], name, depth)
    if "allOf" in node:
        merged: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
        for part in node["allOf"]:
            part = _resolve(root, part)
            merged["properties"].update(part.get("properties", {}))
            merged["required"] += part.get("required", [])
        return _value(root, merged, name, depth)
    kind = node.get("type", "object")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        out: dict[str, Any] = {}
        props = node.get("properties", {})
        for key in node.get("required", []):
            out[key] = _value(root, props.get(key, {"type": "string"}), key, depth + 1)
        return out
    if kind == "array":
        return []
    if kind == "integer" or kind == "number":
        return 1
    if kind == "boolean":
        return False
    if kind == "null":
        return None
    fmt = node.get("format")
    if fmt == "date-time":
        return "2026-01-15T10:00:00Z"
    if fmt in ("uri", "uri-template"):
        return f"https://api.github.com/{name}"
    if fmt == "email":
        return "octocat@example.com"
    return name


def _user(login: str, kind: str = "User") -> dict[str, Any]:
    return {"login": login, "type": kind}


def build(action: str, *, fork: bool) -> dict[str, Any]:
    root = json.loads(SCHEMA.read_text())
    event: dict[str, Any] = _value(root, root["definitions"][f"pull_request${action}"], "event")
    head_repo = FORK if fork else REPO
    pr = event["pull_request"]
    pr.update(number=7, state="open", title="Add slug column", changed_files=3, draft=False)
    pr["head"].update(sha=HEAD, ref="feature/slug", label=f"{head_repo.split('/')[0]}:feature/slug")
    pr["base"].update(sha=BASE, ref="main", label="octo-org:main")
    for side, name in (("head", head_repo), ("base", REPO)):
        repo = pr[side]["repo"]
        owner = name.split("/")[0]
        repo.update(full_name=name, name="demo", fork=side == "head" and fork)
        repo["owner"].update(_user(owner))
        pr[side]["user"].update(_user(owner))
    pr["user"].update(_user("contributor" if fork else "octocat"))
    event["number"] = 7
    event["repository"].update(full_name=REPO, name="demo")
    event["repository"]["owner"].update(_user("octo-org", "Organization"))
    event["sender"].update(_user("contributor" if fork else "octocat"))
    if action == "synchronize":
        event.update(before="3333333333333333333333333333333333333333", after=HEAD)
    return event


def build_workflow_run(*, fork: bool) -> dict[str, Any]:
    """A `workflow_run` completed event for the pull_request run of PR #7 at HEAD: GitHub lists the PR in
    `pull_requests` only when its head branch is in the base repository, so a fork's list is empty."""
    root = json.loads(SCHEMA.read_text())
    event: dict[str, Any] = _value(root, root["definitions"]["workflow_run$completed"], "event")
    head_repo = FORK if fork else REPO
    run = event["workflow_run"]
    run.update(head_sha=HEAD, head_branch="feature/slug", event="pull_request", conclusion="failure",
               status="completed", name="readiness", id=4242, run_number=12)
    run["pull_requests"] = [] if fork else [{
        "id": 1, "number": 7, "url": f"https://api.github.com/repos/{REPO}/pulls/7",
        "head": {"ref": "feature/slug", "sha": HEAD,
                 "repo": {"id": 1, "name": "demo", "url": f"https://api.github.com/repos/{REPO}"}},
        "base": {"ref": "main", "sha": BASE,
                 "repo": {"id": 1, "name": "demo", "url": f"https://api.github.com/repos/{REPO}"}}}]
    for key, name in (("head_repository", head_repo), ("repository", REPO)):
        run[key].update(full_name=name, name="demo", fork=key == "head_repository" and fork)
        run[key]["owner"].update(_user(name.split("/")[0]))
    event["repository"].update(full_name=REPO, name="demo")
    event["repository"]["owner"].update(_user("octo-org", "Organization"))
    event["sender"].update(_user("contributor" if fork else "octocat"))
    return event


def main() -> int:
    for action in ("opened", "synchronize"):
        for fork in (False, True):
            name = f"pull_request_{action}{'_fork' if fork else ''}.json"
            (HERE / name).write_text(json.dumps(build(action, fork=fork), indent=1, sort_keys=True) + "\n")
            sys.stdout.write(f"wrote {name}\n")
    for fork in (False, True):
        name = f"workflow_run_completed{'_fork' if fork else ''}.json"
        (HERE / name).write_text(json.dumps(build_workflow_run(fork=fork), indent=1, sort_keys=True) + "\n")
        sys.stdout.write(f"wrote {name}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
