"""Input strategies shared by the fuzz tests: texts biased towards each format's metacharacters."""

from __future__ import annotations

from typing import Literal

from hypothesis import strategies as st

_ODD = ["\x00", "\ufeff", "\u2028", "\u202e", "\r", "\r\n", "\t", "\\", "\udcff"[:0], "\U0001f600", "é"]


_SURROGATES: Literal["Cs"] = "Cs"
"""Unicode category Cs: lone surrogates, which no UTF-8 file can hold."""


def texty(alphabet: str, *, max_size: int = 400, words: tuple[str, ...] = ()) -> st.SearchStrategy[str]:
    """Text made of format metacharacters, letters, odd code points and whole keywords."""
    atoms = st.one_of(
        st.sampled_from(list(alphabet)),
        st.sampled_from(_ODD),
        st.characters(codec="utf-8", exclude_categories=(_SURROGATES,)),
        *([st.sampled_from(list(words))] if words else []),
    )
    return st.lists(atoms, max_size=max_size).map("".join)


def lines_of(line: st.SearchStrategy[str], *, max_lines: int = 30) -> st.SearchStrategy[str]:
    """Several lines joined with newlines."""
    return st.lists(line, max_size=max_lines).map("\n".join)


YAML_TEXT = st.one_of(
    texty(":-[]{}&*!|>'\"%@`#,? \n\t<=~", words=("<<", "- ", ": ", "&a ", "*a", "!!python/object ", "---\n",
                                                  "...\n", "!!binary ", "? ", "!!set", "2026-01-01", "0o17",
                                                  ".inf", "~", "!local ", "%YAML 1.1\n", "%TAG ! x\n")),
    st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
                 lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                 max_leaves=25).map(lambda v: __import__("yaml").safe_dump(v, default_flow_style=None)),
)
