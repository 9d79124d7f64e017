"""Safe YAML loading that keeps positions, reports duplicate keys and bounds alias expansion.

PyYAML composes the node graph (with the C parser when available); we then build plain Python
values ourselves so that we can

* record the 1-based line and column of every key and value, keyed by its JSON path;
* report duplicate mapping keys (PyYAML silently keeps the last one);
* stop alias expansion past a budget (a "billion laughs" document composes in linear time but
  expands exponentially) and refuse recursive aliases;
* keep timestamps as the strings they are written as (JSON Schema sees strings, not dates);
* with `core="1.2"`, resolve plain scalars by the YAML 1.2 core schema, as GitHub, Kubernetes'
  go-yaml v3, ruamel.yaml and most JavaScript and Go loaders do: only `true`/`false` are booleans
  (`on:`, `yes`, `no`, `y` stay strings), `1:20` is a string, `0777` is decimal, `0o17` is octal,
  `1e3` is a float. Underscores in numbers and `0b` binary are accepted as ruamel.yaml accepts them.
  Still the C parser: only the resolver (a Python table consulted per plain scalar) changes.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from typing import Any, Literal

import yaml

from readiness import lazyre

try:  # the PyPI wheel ships libyaml; fall back to the pure-Python parser
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on the build
    _Loader = yaml.SafeLoader

PathKey = tuple[str | int, ...]
"""A JSON path: mapping keys as strings, sequence indexes as ints."""

DEFAULT_NODE_BUDGET = 200_000
MAX_DEPTH = 1000
"""Nesting refused before parsing: libyaml's composer recurses in C and crashes the interpreter
(segmentation fault) on ~100,000 nested flow collections; Python's builder stops far earlier."""
_FLOW_TOKEN = lazyre.compile(r"[\[\]{}]")
_DEEP_INDENT = lazyre.compile(rf"^[ \t?:-]{{{MAX_DEPTH}}}", re.MULTILINE)
"""Block nesting written on one line: indentation, `- ` sequence and `? ` complex-key indicators."""
_MERGE_TAG = "tag:yaml.org,2002:merge"
_CONSTRUCTOR = yaml.constructor.SafeConstructor()
_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"

Core = Literal["1.1", "1.2"]
"""Which YAML schema resolves plain scalars: PyYAML's YAML 1.1, or the YAML 1.2 core schema."""


class _Resolver12(yaml.resolver.BaseResolver):
    """Implicit tags of the YAML 1.2 core schema (with ruamel.yaml's underscores and `0b`)."""


for _tag, _regexp, _first in (
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    (_INT_TAG, r"^(?:[-+]?0b[01_]+|[-+]?0o[0-7_]+|[-+]?[0-9][0-9_]*|[-+]?0x[0-9a-fA-F_]+)$", "-+0123456789"),
    (_FLOAT_TAG, r"^(?:[-+]?(?:[0-9][0-9_]*\.[0-9_]*|\.[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)?"
                 r"|[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$", "-+0123456789."),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    (_MERGE_TAG, r"^(?:<<)$", "<"),
):
    _Resolver12.add_implicit_resolver(_tag, re.compile(_regexp), list(_first))

if _Loader is not yaml.SafeLoader:
    _CParser: Any = vars(yaml.cyaml)["CParser"]  # not re-exported in the stubs

    class _Loader12(_CParser, _Resolver12):  # type: ignore[misc]
        """libyaml's parser and composer with the YAML 1.2 resolver."""

        def __init__(self, stream: str) -> None:
            _CParser.__init__(self, stream)
            _Resolver12.__init__(self)
else:  # pragma: no cover - depends on the build
    class _Loader12(yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser,  # type: ignore[no-redef]
                    yaml.composer.Composer, _Resolver12):
        """The pure-Python parser and composer with the YAML 1.2 resolver."""

        def __init__(self, stream: str) -> None:
            yaml.reader.Reader.__init__(self, stream)
            yaml.scanner.Scanner.__init__(self)
            yaml.parser.Parser.__init__(self)
            yaml.composer.Composer.__init__(self)
            _Resolver12.__init__(self)


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



_RECORD = 2
"""Record positions, overwriting (explicit keys: the last duplicate wins, as in the value)."""
_FILL = 1
"""Record positions only where none is recorded yet (keys that come in through a `<<` merge)."""
_SKIP = 0
"""Record nothing."""


class _Lines:
    """Maps libyaml marks to lines as GitHub and editors count them.

    YAML 1.1 (libyaml) also breaks lines at a lone CR, NEL (U+0085), U+2028 and U+2029; GitHub and
    git count `\n` only. When the text holds any of those, positions come from the mark's
    character index instead of its line.
    """

    ODD_BREAKS = re.compile("\r(?!\n)|[\x85\u2028\u2029]")

    def __init__(self, text: str) -> None:
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def pos(self, mark: Any) -> Pos:
        index = mark.index
        line = bisect.bisect_right(self.starts, index)
        return Pos(line, index - self.starts[line - 1] + 1)


class _Builder:
    def __init__(self, doc: YamlDoc, budget: int, lines: _Lines | None = None, core: Core = "1.1") -> None:
        self.doc = doc
        self.budget = budget
        self.lines = lines
        self.core12 = core == "1.2"
        self.active: set[int] = set()
        self.reported: set[tuple[int, int]] = set()

    def duplicate(self, path: PathKey, first: yaml.Node, again: yaml.Node) -> None:
        """Record a duplicate key once, even when its mapping is reached again through an alias."""
        mark = (again.start_mark.line, again.start_mark.column)
        if mark not in self.reported:
            self.reported.add(mark)
            self.doc.duplicates.append((path, self.pos(first), self.pos(again)))

    def pos(self, node: yaml.Node) -> Pos:
        """The node's 1-based position, in `\n`-counted lines (see `_Lines`)."""
        if self.lines is not None:
            return self.lines.pos(node.start_mark)
        return Pos(node.start_mark.line + 1, node.start_mark.column + 1)

    def line_col(self, node: yaml.Node) -> tuple[int, int]:
        p = self.pos(node)
        return p.line, p.column

    def spend(self, node: yaml.Node) -> None:
        self.budget -= 1
        if self.budget < 0:
            raise YamlError(
                "document expands to too many nodes (alias bomb?); refused", *self.line_col(node)
            )

    def build(self, node: yaml.Node, path: PathKey, record: int = _RECORD) -> Any:
        self.spend(node)
        if record:
            self.doc.values.setdefault(path, self.pos(node))
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node)
        if id(node) in self.active:
            raise YamlError("recursive alias; refused", *self.line_col(node))
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return [self.build(child, (*path, i), record) for i, child in enumerate(node.value)]
            if isinstance(node, yaml.MappingNode):
                return self.mapping(node, path, record)
        finally:
            self.active.discard(id(node))
        raise YamlError(f"unsupported YAML node {type(node).__name__}", *self.line_col(node))

    def scalar(self, node: yaml.ScalarNode) -> Any:
        tag = node.tag
        if tag == "tag:yaml.org,2002:timestamp" or tag == "tag:yaml.org,2002:str":
            return node.value
        if self.core12 and (tag == _INT_TAG or tag == _FLOAT_TAG):
            return _number12(node.value, tag == _INT_TAG)
        constructor = _CONSTRUCTOR.yaml_constructors.get(tag)
        if constructor is None or tag == "tag:yaml.org,2002:binary":
            return node.value  # unknown local tag: keep the text
        try:
            return constructor(_CONSTRUCTOR, node)
        except (ValueError, yaml.YAMLError):
            return node.value

    def mapping(self, node: yaml.MappingNode, path: PathKey, record: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        seen: dict[str, yaml.Node] = {}
        merges: list[yaml.Node] = []
        keys, values = self.doc.keys, self.doc.values
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                merges.extend(value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node])
                continue
            key_value = self.build(key_node, (*path, "<key>"), _SKIP)
            key = key_value if isinstance(key_value, str) else _key_text(key_value)
            child = (*path, key)
            first = seen.get(key)
            if first is None:
                seen[key] = key_node
            else:
                self.duplicate(child, first, key_node)
            if record == _RECORD:
                keys[child] = self.pos(key_node)
                values[child] = self.pos(value_node)
            elif record == _FILL:
                keys.setdefault(child, self.pos(key_node))
                values.setdefault(child, self.pos(value_node))
            out[key] = self.build(value_node, child, record)
        # merged keys come after the explicit ones, so explicit keys keep their positions; merged
        # values are positioned where they are written (the anchor), explicit keys win (YAML 1.1)
        for src in merges:
            value = self.build(src, path, _FILL if record else _SKIP)
            if isinstance(value, dict):
                for k, v in value.items():
                    out.setdefault(k, v)
        return out


def _number12(text: str, integer: bool) -> Any:
    """A YAML 1.2 core int or float (the text when it is not one, e.g. under an explicit tag)."""
    try:
        if integer and text.isdigit():  # the common case: plain decimal digits
            return int(text)
        v = text.replace("_", "")
        if integer:
            sign = -1 if v.startswith("-") else 1
            digits = v.lstrip("+-")
            base = {"0b": 2, "0o": 8, "0x": 16}.get(digits[:2].lower(), 10)
            return sign * int(digits[2:] if base != 10 else digits, base)
        low = v.lower()
        if low.endswith((".inf", ".nan")):
            return float(low.replace(".", ""))
        return float(v)
    except ValueError:
        return text


def _key_text(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)



def load_all(text: str, *, node_budget: int = DEFAULT_NODE_BUDGET, positions: bool = True,
             core: Core = "1.1") -> list[YamlDoc]:
    """Every document in `text`, with positions. Raises YamlError with a line on bad input.

    `node_budget` bounds the nodes built over all documents (aliases count each time they are
    expanded). `positions=False` skips recording `values`/`keys` (about a third faster); duplicate
    keys are still reported, with their positions. `core` picks how plain scalars resolve: "1.1"
    (PyYAML's default: `on`/`yes` are booleans) or "1.2" (the core schema: only `true`/`false`).
    """
    _refuse_deep_nesting(text)
    lines = _Lines(text) if _Lines.ODD_BREAKS.search(text) else None
    docs: list[YamlDoc] = []
    loader: Any = _Loader12(text) if core == "1.2" else _Loader(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            doc = YamlDoc(value=None)
            builder = _Builder(doc, node_budget, lines, core)
            doc.value = builder.build(node, (), _RECORD if positions else _SKIP)
            node_budget = builder.budget
            docs.append(doc)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or str(exc)
        if mark is not None:
            at = lines.pos(mark) if lines is not None else Pos(mark.line + 1, mark.column + 1)
            raise YamlError(f"YAML syntax error: {problem}", at.line, at.column) from None
        raise YamlError(f"YAML syntax error: {problem}") from None
    except yaml.YAMLError as exc:
        raise YamlError(f"YAML error: {exc}") from None
    except RecursionError:
        raise YamlError("YAML nesting too deep; refused") from None
    finally:
        loader.dispose()
    return docs


def _refuse_deep_nesting(text: str) -> None:
    """Raise YamlError when the text nests deeper than MAX_DEPTH (an over-estimate: brackets inside
    quoted strings count too, so only absurd texts are refused)."""
    if text.count("[") + text.count("{") >= MAX_DEPTH:
        depth = 0
        for tok in _FLOW_TOKEN.finditer(text):
            depth = depth + 1 if tok.group() in "[{" else max(depth - 1, 0)
            if depth >= MAX_DEPTH:
                line = text.count("\n", 0, tok.start()) + 1
                raise YamlError(f"YAML nesting deeper than {MAX_DEPTH} levels; refused", line, 1)
    m = _DEEP_INDENT.search(text)
    if m is not None:
        line = text.count("\n", 0, m.start()) + 1
        raise YamlError(f"YAML indented deeper than {MAX_DEPTH} columns; refused", line, 1)


def load_one(text: str, *, node_budget: int = DEFAULT_NODE_BUDGET, positions: bool = True,
             core: Core = "1.1") -> YamlDoc:
    """Exactly one document (an empty text is a document whose value is None)."""
    docs = load_all(text, node_budget=node_budget, positions=positions, core=core)
    if not docs:
        return YamlDoc(value=None)
    if len(docs) > 1:
        raise YamlError("expected a single YAML document, found several")
    return docs[0]
