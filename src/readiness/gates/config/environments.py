"""Environment-to-environment drift: the same config written once per environment
(`config/staging.yaml`, `config/production.yaml`) should have the same key paths with the same types.

Key paths are dotted (`database.pool.max`); list elements are merged under `[*]`. A missing key is
reported once, at its highest missing level (a missing `database` is not also reported as missing
`database.host`), at the line where it IS written, naming the environments where it is missing.
A type difference (`port: 5432` vs `port: "5432"`) is reported at the value in each environment
whose type differs from the first environment's. `ignore_keys` globs (`features.*`) exclude a path
and everything under it.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from readiness.gates.config.loaders import PathKey

AUTO_NAMES = ("development", "dev", "test", "qa", "uat", "staging", "stage", "preprod", "production", "prod")
"""Environment names looked for as `config/<name>.<ext>` when nothing is configured."""
MAX_COMPARE_DEPTH = 128
"""How deep environment files are compared (deeper keys are not)."""
DEPLOYED = frozenset({"qa", "uat", "staging", "stage", "preprod", "production", "prod"})


@dataclass(frozen=True, slots=True)
class Shape:
    """One flattened key path of one environment."""

    kind: str
    """`mapping`, `sequence`, `string`, `number`, `boolean` or `null`."""
    path: PathKey
    """A real path to it (the first list element that has it), for its position."""


@dataclass(frozen=True, slots=True)
class KeyDrift:
    """A key path some environments have and others do not."""

    dotted: str
    """The key path, e.g. `database.replica_host`."""
    present_in: str
    """The environment where it is reported (the first that has it)."""
    path: PathKey
    """Its real path in that environment."""
    missing_in: tuple[str, ...]
    """Environments that lack it."""


@dataclass(frozen=True, slots=True)
class TypeDrift:
    """A key path whose value type differs between environments."""

    dotted: str
    """The key path."""
    env: str
    """The environment whose type differs from the reference."""
    path: PathKey
    """Its real path there."""
    kind: str
    """The type there."""
    reference_env: str
    """The first environment."""
    reference_kind: str
    """The type there."""


def kind_of(value: Any) -> str:
    """The JSON type name of a value (integers and floats are both `number`)."""
    if isinstance(value, dict):
        return "mapping"
    if isinstance(value, list):
        return "sequence"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if value is None:
        return "null"
    return "string"


def _dotted(parts: tuple[str, ...]) -> str:
    out = ""
    for p in parts:
        if p == "[*]":
            out += p
        else:
            out += ("." if out else "") + p
    return out


def flatten(value: Any) -> dict[tuple[str, ...], Shape]:
    """Every key path of a document with its type; list elements merged under `[*]`."""
    out: dict[tuple[str, ...], Shape] = {}

    def walk(node: Any, flat: tuple[str, ...], real: PathKey, depth: int) -> None:
        if depth > MAX_COMPARE_DEPTH:
            return
        if flat:
            out.setdefault(flat, Shape(kind_of(node), real))
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, (*flat, str(k)), (*real, k), depth + 1)
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, (*flat, "[*]"), (*real, i), depth + 1)

    walk(value, (), (), 0)
    return out


def ignored(flat: tuple[str, ...], patterns: tuple[str, ...]) -> bool:
    """True when the path or one of its parents matches an `ignore_keys` glob."""
    for n in range(1, len(flat) + 1):
        dotted = _dotted(flat[:n])
        if any(fnmatchcase(dotted, p) for p in patterns):
            return True
    return False


def compare(envs: list[tuple[str, Any]], ignore: tuple[str, ...] = ()) -> tuple[list[KeyDrift], list[TypeDrift]]:
    """Key and type drift between the named environments' documents (in the order given)."""
    shapes = [(name, flatten(doc)) for name, doc in envs]
    every: dict[tuple[str, ...], None] = {}
    for _, flat in shapes:
        every.update(dict.fromkeys(flat))
    keys: list[KeyDrift] = []
    types: list[TypeDrift] = []
    for path in every:
        if ignored(path, ignore):
            continue
        have = [(name, flat[path]) for name, flat in shapes if path in flat]
        missing = tuple(
            name for name, flat in shapes
            if path not in flat and (len(path) == 1 or flat.get(path[:-1], Shape("", ())).kind in
                                     ("mapping", "sequence"))
        )
        if missing and have:
            # a list element key missing in an env whose list is empty is not drift
            missing = tuple(m for m in missing if not _empty_list_parent(dict(shapes)[m], path))
        if missing and have:
            name, shape = have[0]
            keys.append(KeyDrift(_dotted(path), name, shape.path, missing))
        if len(have) >= 2:
            ref_name, ref = have[0]
            for name, shape in have[1:]:
                if shape.kind != ref.kind:
                    types.append(TypeDrift(_dotted(path), name, shape.path, shape.kind, ref_name, ref.kind))
    return keys, types


def _empty_list_parent(flat: dict[tuple[str, ...], Shape], path: tuple[str, ...]) -> bool:
    return path[-1] == "[*]" or (len(path) >= 2 and path[-2] == "[*]" and path[:-1] not in flat)
