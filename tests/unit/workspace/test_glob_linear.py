"""Globs match in linear time, and exactly as the plain (backtracking) translation of the same glob."""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from readiness.workspace import escape_glob, glob_regex


def reference(pattern: str) -> re.Pattern[str]:
    """The straightforward translation the matcher replaced: exact, but exponential on hostile input."""
    if pattern.endswith("/"):
        pattern += "**"
    pattern = pattern.removeprefix("./")
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z", re.DOTALL)


PIECES = ["a", "b", "*", "**", "?", "/", "ab", "**/", "/**", "***"]
GLOBS = st.lists(st.sampled_from(PIECES), min_size=1, max_size=8).map("".join)
PATHS = st.lists(st.text(alphabet="ab", min_size=1, max_size=4), min_size=1, max_size=5).map("/".join)


@settings(max_examples=3000, deadline=None)
@given(GLOBS, PATHS)
def test_same_answers_as_the_plain_translation(pattern: str, path: str) -> None:
    assert bool(glob_regex(pattern).match(path)) == bool(reference(pattern).match(path)), (pattern, path)


def test_hostile_globs_and_paths_take_linear_time() -> None:
    deep = "/".join(["a" * 60] * 60)
    for pattern, path in [("*a*a*a*a*a*a*a*a*a*a*a*a*b", "a" * 250), ("**/a*a*a*a*a*/**/b", deep),
                          ("**/a/**/a/**/a/**/a/**/a/**/a/**/b", "/".join(["a"] * 2000)),
                          ("a**a**a**a**a**a**a**b", "a" * 3000), ("**a*a*a*a*a*a*b", deep)]:
        start = time.perf_counter()
        assert not glob_regex(pattern).match(path)
        assert time.perf_counter() - start < 0.5, pattern


def test_a_directory_name_is_escaped_before_it_becomes_a_glob() -> None:
    name = "adr[*a*a*a*a*a*a*a*a*]?"
    assert glob_regex(escape_glob(name) + "/**").match(f"{name}/0001-x.md")
    assert not glob_regex(escape_glob(name) + "/**").match("adrxa/0001-x.md")


@settings(max_examples=300, deadline=None)
@given(st.lists(GLOBS, min_size=1, max_size=6), PATHS)
def test_a_glob_set_matches_as_its_globs_one_by_one(globs: list[str], path: str) -> None:
    # a policy's list is matched as one set (one joined regex, automata behind a loose prefilter):
    # the same answer, and the same first glob, as trying each in turn
    from readiness.workspace import GlobSet

    distinct = list(dict.fromkeys(globs))
    expected = next((i for i, g in enumerate(distinct) if glob_regex(g).match(path)), None)
    gs = GlobSet(globs)
    assert gs.first(path) == expected
    assert gs.match(path) == (expected is not None)


PREFIXED = st.lists(st.sampled_from([*PIECES, "./", "[ab]", "a/b/", "b/a"]), min_size=1, max_size=6).map("".join)


@settings(max_examples=3000, deadline=None)
@given(st.lists(PREFIXED, min_size=1, max_size=3), st.lists(PATHS, max_size=30))
def test_selecting_from_a_sorted_listing_is_matching_every_path(globs: list[str], paths: list[str]) -> None:
    # a workspace glob looks only at the run of the sorted listing under the globs' literal prefix,
    # and at paths ending in the globs' literal suffixes
    from readiness.workspace.globs import matches, select

    listing = sorted(set(paths))
    assert select(listing, globs) == [p for p in listing if matches(p, tuple(globs))]


@pytest.mark.parametrize(("globs", "expected"), [
    (["**/a"], ["a", "b/a", "b/b/a"]), (["a**/b"], ["a/b", "ab"]), (["**/b/**/a"], ["b/a", "b/b/a"]),
    (["b/"], ["b/a", "b/b/a"]), (["**/b*", "c"], ["a/b", "c"]), (["**/a*"], ["a", "ab", "b/a", "b/b/a"]),
    (["[ab]"], ["a"]), (["a]"], []), (["./a", "*/a"], ["a", "b/a"]),
])
def test_selecting_by_literal_prefix_and_suffix(globs: list[str], expected: list[str]) -> None:
    from readiness.workspace.globs import select

    assert select(["a", "a/b", "ab", "b/a", "b/b/a", "c"], globs) == expected
