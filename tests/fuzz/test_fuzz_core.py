"""Property tests of the parsers the core owns: they return values or raise their one documented error."""

from __future__ import annotations

import re
import warnings
from types import ModuleType

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from strategies import YAML_TEXT, lines_of, texty

from readiness.config import Config, parse_config
from readiness.errors import ConfigError
from readiness.waivers import parse_inline
from readiness.workspace import glob_regex, matches
from readiness.yamlpos import YamlDoc, YamlError, load_all, load_one

WJ = "\u2060"


# -- inline waivers ----------------------------------------------------------------------------------
WAIVER_LINE = st.one_of(
    texty("#-/*<>!{}% ,:\t", words=("readiness:", "readiness: ignore ", "ignore", " -- ", "migrations/drop-column",
                                     "config/x", "*/", "-->", "#}", "%}")),
    st.builds(lambda pre, rules, reason, post: f"{pre}readiness: ignore {rules} -- {reason}{post}",
              st.sampled_from(["-- ", "# ", "/* ", "<!-- ", "{# ", ""]),
              st.text(alphabet="abcdefghijklmnopqrstuvwxyz/-, ", max_size=40), st.text(max_size=30),
              st.sampled_from(["", " */", " -->", " #}", "  "])),
)


@given(lines_of(WAIVER_LINE))
@example("readiness: ignore")
@example("-- readiness: ignore migrations/drop-column --")
@example("x readiness: readiness: ignore a -- b -- c")
def test_parse_inline_returns_waivers_on_real_lines(text: str) -> None:
    lines = text.splitlines()
    for w in parse_inline("f.sql", text):
        assert 1 <= w.line <= len(lines)
        assert lines[w.line - 1][w.column - 1:].startswith("readiness:")
        assert all(r and not re.search(r"[\s,]", r) for r in w.rules)
        assert w.reason == w.reason.strip() and "\n" not in w.reason


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-/", min_size=1, max_size=30), st.text(max_size=60))
def test_parse_inline_keeps_rule_and_reason(rule_id: str, reason: str) -> None:
    reason = reason.replace("\r", " ").replace("\n", " ")
    (w,) = parse_inline("f.sql", f"ALTER x; -- readiness: ignore {rule_id} -- {reason}")
    assert rule_id in w.rules or not rule_id.strip("-")


# -- YAML with positions -----------------------------------------------------------------------------
def _inside(text: str, line: int | None, column: int | None) -> None:
    # YAML 1.1 (PyYAML/libyaml) also breaks lines at U+0085, U+2028 and U+2029
    lines = len(re.findall("\r\n|[\r\n\x85\u2028\u2029]", text)) + 1
    if line is not None:
        assert 1 <= line <= lines + 1, (line, lines)
    if column is not None:
        assert column >= 1


@given(YAML_TEXT)
@example("a: &a [*a]")
@example("<<: *x")
@example("? [a, b]\n: c\n")
@example("a: !!binary 'x'\n")
@example("[" * 2000 + "]" * 2000)
def test_load_all_raises_only_yaml_error_and_positions_are_in_the_text(text: str) -> None:
    try:
        docs = load_all(text)
    except YamlError as exc:
        _inside(text, exc.line, exc.column)
        return
    for doc in docs:
        for pos in (*doc.values.values(), *doc.keys.values()):
            _inside(text, pos.line, pos.column)
        for _path, first, again in doc.duplicates:
            _inside(text, first.line, first.column)
            _inside(text, again.line, again.column)


def test_regression_yaml_positions_follow_github_line_numbers() -> None:
    """Found by fuzzing: U+2028 counted as a line break put every later position a line too low (fixed in ce6103d)."""
    (doc,) = load_all('x: "a\u2028b"\ny: 1\n')
    assert doc.keys[("y",)].line == 2


def _load_in_child(expr: str) -> tuple[int, str]:
    """load_all in a child interpreter: a C-level crash must not take the test session with it."""
    import subprocess
    import sys

    code = ("from readiness.yamlpos import load_all, YamlError\n"
            f"try:\n    load_all({expr})\n    print('loaded')\nexcept YamlError:\n    print('refused')\n")
    done = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True, timeout=60, check=False)
    return done.returncode, done.stdout.strip()


@pytest.mark.parametrize("expr", ["'[' * 100000 + ']' * 100000", "'- ' * 60000 + 'x'", "'{a: ' * 60000"])
def test_regression_deep_flow_and_dash_nesting_is_refused(expr: str) -> None:
    assert _load_in_child(expr) == (0, "refused")


@pytest.mark.parametrize("expr", ["'? ' * 60000 + 'x'", "'- ? ' * 30000 + 'x'", "'? - ' * 30000 + 'x'"])
def test_regression_deep_complex_keys_are_refused_not_a_crash(expr: str) -> None:
    """Found here: `? ? ? x` chains passed the nesting guard and segfaulted libyaml (fixed in ce6103d)."""
    assert _load_in_child(expr) == (0, "refused")


@given(st.integers(min_value=1, max_value=12), st.integers(min_value=2, max_value=9))
def test_alias_expansion_is_bounded(levels: int, width: int) -> None:
    text = "a0: &a0 [x]\n" + "".join(
        f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]\n" for i in range(1, levels + 1))
    try:
        (doc,) = load_all(text, node_budget=5_000)
    except YamlError as exc:
        assert "alias" in str(exc)
        assert width ** levels > 1_000
    else:
        assert len(doc.values) <= 5_000


# -- globs -------------------------------------------------------------------------------------------
GLOB = texty("*?[]!/\\.-^{}()+$|", max_size=30, words=("**", "**/", "[!", "[a-z]", "[z-a]", "[]]", "\\]"))
PATH = st.lists(st.text(alphabet="ab.*?[]-/\\ \n", min_size=1, max_size=6), min_size=1, max_size=5).map("/".join)


@given(GLOB, PATH)
@example("[\\]", "x")
@example("[a-]", "-")
@example("[z-a]", "b")
@example("[]", "x")
@example("[[:alpha:]]", "a")
def test_glob_regex_never_raises(pattern: str, path: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert isinstance(matches(path, [pattern]), bool)
    assert callable(glob_regex(pattern).match)


@pytest.mark.parametrize("pattern", ["[z-a]", "[]", "[[:alpha:]]"])
def test_regression_glob_regex_never_raises(pattern: str) -> None:
    """Found by fuzzing: a `.readiness.yml` glob like `[z-a]` was an re.error and ended the run with exit 3."""
    glob_regex.cache_clear()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert isinstance(matches("a/b", [pattern]), bool)


NAME = st.text(alphabet="abcxyz0123456789_-.", min_size=1, max_size=8).filter(lambda s: s not in (".", ".."))


@given(st.lists(NAME, min_size=0, max_size=4), NAME)
def test_double_star_crosses_directories(dirs: list[str], name: str) -> None:
    path = "/".join([*dirs, name])
    assert matches(path, [f"**/{name}"])
    assert matches(path, ["**"])
    if dirs:
        assert matches(path, [f"{dirs[0]}/**"]) and matches(path, [f"{dirs[0]}/"])
        assert not matches(path, [f"*{name}"]) or "/" not in path.removesuffix(name).rstrip("/") and len(dirs) == 0 \
            or matches(path, [f"*{name}"]) == (len(dirs) == 0)


@given(st.lists(NAME, min_size=1, max_size=4), NAME)
def test_single_star_stays_in_one_directory(dirs: list[str], name: str) -> None:
    assert not matches("/".join([*dirs, name]), ["*"])
    assert matches(name, ["*"])


# -- markdown escaping -------------------------------------------------------------------------------
def _escape_module() -> ModuleType:
    from readiness.render import escape

    return escape


HOSTILE_TEXT = texty("<>&\"'`*_[]()!|~$#@:/\\\n\r-=.", max_size=200,
                     words=("<!-- readiness-gates:summary -->", "@octocat", "@org/team", "](https://x)", "javascript:",
                            "https://", "www.", "#12", "GH-1", "<script>", "```", "\u202e", "\u2028", "<!--", "-->"))
MENTION = re.compile(r"@(?!\u2060)[A-Za-z0-9]")


@given(HOSTILE_TEXT, st.one_of(st.none(), st.integers(min_value=0, max_value=50)), st.booleans())
@example("@octocat](https://evil)<b>", None, False)
@example("[x](y)", 3, True)
def test_escape_inline_is_inert(value: str, max_len: int | None, keep_end: bool) -> None:
    esc = _escape_module()
    for fn in (esc.inline, esc.html):
        out = fn(value, max_len=max_len, keep_end=keep_end)
        assert "<" not in out and ">" not in out
        assert not MENTION.search(out), out
        assert "\n" not in out and "\r" not in out
        assert "://" not in out
    out = esc.inline(value)
    assert "](" not in out and "<!--" not in out
    assert not re.search(r"(?<!\\)[`\[\]()*_|]", out.replace("\\\\", "")), out


@given(HOSTILE_TEXT, st.booleans())
def test_escape_code_span_cannot_be_closed(value: str, table: bool) -> None:
    esc = _escape_module()
    out = esc.code_span(value, table=table)
    run = len(out) - len(out.lstrip("`"))
    assert out.endswith("`" * run)
    inner = out[run:len(out) - run]
    assert "`" * run not in inner
    assert "\n" not in out and "<!--" not in out
    if table:
        assert not re.search(r"(?<!\\)\|", out)


@given(HOSTILE_TEXT, st.text(max_size=10), st.one_of(st.none(), st.integers(min_value=1, max_value=5)))
def test_escape_code_fence_cannot_be_closed(value: str, lang: str, max_lines: int | None) -> None:
    esc = _escape_module()
    out = esc.code_fence(value, lang, max_lines=max_lines)
    first, *body = out.split("\n")
    fence = first[: len(first) - len(first.lstrip("`"))]
    assert len(fence) >= 3 and out.endswith(fence + "\n")
    assert not any(line.lstrip().startswith(fence) for line in body[:-2]), out
    assert "<!--" not in out


# -- the configuration loader ------------------------------------------------------------------------
CONFIG_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
    | st.sampled_from(["critical", "never", "fail", "warn", "all", "2026-01-01", "2026-13-45", "docs/x",
                       "migrations/drop-column", "../x", "/etc"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["version", "fail_on", "gates", "migrations", "deps", "config", "docs", "waivers", "rule",
                         "reason", "expires", "path", "exclude", "max_file_bytes", "severity_overrides", "enabled",
                         "on_error", "scope", "schemas", "files", "schema", "require", "when_changed", "paths",
                         "require_touch", "offline_db", "x"]), inner, max_size=5),
    max_leaves=30)


@given(CONFIG_VALUE)
@example({"waivers": [{"rule": "docs/x", "expires": "2026-02-30"}]})
@example({"max_file_bytes": 10**30})
@example({"severity_overrides": {"docs/x": "high"}, "exclude": "*"})
def test_parse_config_raises_only_config_error(value: object) -> None:
    try:
        cfg = parse_config(YamlDoc(value=value), ".readiness.yml")
    except ConfigError as exc:
        assert exc.path == ".readiness.yml" and str(exc)
    else:
        assert isinstance(cfg, Config)


@given(YAML_TEXT)
def test_config_text_raises_only_config_error(text: str) -> None:
    try:
        doc = load_one(text, node_budget=20_000)
    except YamlError:
        return
    try:
        parse_config(doc, ".readiness.yml")
    except ConfigError:
        pass
