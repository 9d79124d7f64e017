"""Safe YAML loading that keeps positions, reports duplicate keys and bounds alias expansion.

PyYAML composes the node graph (with the C parser when available); we then build plain Python
values ourselves so that we can

* record the 1-based line and column of every key and value, keyed by its JSON path;
* report duplicate mapping keys (PyYAML silently keeps the last one);
* stop alias expansion past a budget (a "billion laughs" document composes in linear time but
  expands exponentially) and refuse recursive aliases;
* keep timestamps as the strings they are written as (JSON Schema sees strings, not dates).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

try:  # the PyPI wheel ships libyaml; fall back to the pure-Python parser
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on the build
    _Loader = yaml.SafeLoader

PathKey = tuple[str | int, ...]
"""A JSON path: mapping keys as strings, sequence indexes as ints."""

DEFAULT_NODE_BUDGET = 200_000
_MERGE_TAG = "tag:yaml.org,2002:merge"
_CONSTRUCTOR = yaml.constructor.SafeConstructor()


@dataclass(frozen=True, slots=True)
class Pos:
    """A 1-based line and column."""

    line: int
    column: int


@dataclass(slots=True)
class YamlDoc:
    """One YAML document with its positions."""

    value: Any
    """The document as plain Python values."""
    values: dict[PathKey, Pos] = field(default_factory=dict)
    """Position of each value (mappings and sequences: where they start)."""
    keys: dict[PathKey, Pos] = field(default_factory=dict)
    """Position of each mapping key, keyed by the path of its value."""
    duplicates: list[tuple[PathKey, Pos, Pos]] = field(default_factory=list)
    """Duplicate keys: (path, first position, duplicate position)."""

    def position(self, path: PathKey) -> Pos:
        """The best position for a path: the key if it is one, else its value, else the nearest parent."""
        p = tuple(path)
        while True:
            if p in self.keys:
                return self.keys[p]
            if p in self.values:
                return self.values[p]
            if not p:
                return Pos(1, 1)
            p = p[:-1]


class YamlError(Exception):
    """The text is not YAML we accept; `line`/`column` are 1-based when known."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.line = line
        self.column = column


def _pos(node: yaml.Node) -> Pos:
    return Pos(node.start_mark.line + 1, node.start_mark.column + 1)


class _Builder:
    def __init__(self, doc: YamlDoc, budget: int) -> None:
        self.doc = doc
        self.budget = budget
        self.active: set[int] = set()

    def spend(self, node: yaml.Node) -> None:
        self.budget -= 1
        if self.budget < 0:
            raise YamlError(
                "document expands to too many nodes (alias bomb?); refused", *_line_col(node)
            )

    def build(self, node: yaml.Node, path: PathKey, record: bool = True) -> Any:
        self.spend(node)
        if record:
            self.doc.values.setdefault(path, _pos(node))
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node)
        if id(node) in self.active:
            raise YamlError("recursive alias; refused", *_line_col(node))
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return [self.build(child, (*path, i), record) for i, child in enumerate(node.value)]
            if isinstance(node, yaml.MappingNode):
                return self.mapping(node, path, record)
        finally:
            self.active.discard(id(node))
        raise YamlError(f"unsupported YAML node {type(node).__name__}", *_line_col(node))

    def scalar(self, node: yaml.ScalarNode) -> Any:
        tag = node.tag
        if tag == "tag:yaml.org,2002:timestamp" or tag == "tag:yaml.org,2002:str":
            return node.value
        constructor = _CONSTRUCTOR.yaml_constructors.get(tag)
        if constructor is None or tag == "tag:yaml.org,2002:binary":
            return node.value  # unknown local tag: keep the text
        try:
            return constructor(_CONSTRUCTOR, node)
        except (ValueError, yaml.YAMLError):
            return node.value

    def mapping(self, node: yaml.MappingNode, path: PathKey, record: bool) -> dict[str, Any]:
        out: dict[str, Any] = {}
        seen: dict[str, Pos] = {}
        merged: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                # merged values are positioned at their anchors, not here: build without recording
                sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                for src in sources:
                    value = self.build(src, path, record=False)
                    if isinstance(value, dict):
                        for k, v in value.items():
                            merged.setdefault(k, v)
                continue
            key_value = self.build(key_node, (*path, "<key>"), record=False)
            key = key_value if isinstance(key_value, str) else _key_text(key_value)
            kpos = _pos(key_node)
            if key in seen:
                if record:
                    self.doc.duplicates.append(((*path, key), seen[key], kpos))
            else:
                seen[key] = kpos
            child = (*path, key)
            if record:
                self.doc.keys[child] = kpos
                self.doc.values[child] = _pos(value_node)
            out[key] = self.build(value_node, child, record)
        for k, v in merged.items():
            out.setdefault(k, v)
        return out


def _key_text(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _line_col(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def load_all(text: str, *, node_budget: int = DEFAULT_NODE_BUDGET) -> list[YamlDoc]:
    """Every document in `text`, with positions. Raises YamlError with a line on bad input."""
    docs: list[YamlDoc] = []
    loader = _Loader(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            doc = YamlDoc(value=None)
            doc.value = _Builder(doc, node_budget).build(node, ())
            node_budget -= len(doc.values)
            docs.append(doc)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or str(exc)
        if mark is not None:
            raise YamlError(f"YAML syntax error: {problem}", mark.line + 1, mark.column + 1) from None
        raise YamlError(f"YAML syntax error: {problem}") from None
    except yaml.YAMLError as exc:
        raise YamlError(f"YAML error: {exc}") from None
    except RecursionError:
        raise YamlError("YAML nesting too deep; refused") from None
    finally:
        loader.dispose()
    return docs


def load_one(text: str, *, node_budget: int = DEFAULT_NODE_BUDGET) -> YamlDoc:
    """Exactly one document (an empty text is a document whose value is None)."""
    docs = load_all(text, node_budget=node_budget)
    if not docs:
        return YamlDoc(value=None)
    if len(docs) > 1:
        raise YamlError("expected a single YAML document, found several")
    return docs[0]
