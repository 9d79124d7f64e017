"""The cheap tests put before case-insensitive patterns never change what the patterns find.

`may_mention` may only say "no" where the pattern cannot match; the lower-case twin of a pattern
finds the same matches at the same places on ASCII text; the possessive call pattern finds what the
backtracking one found. Checked on random statements built from the patterns' own words, in mixed
case, with non-ASCII letters that IGNORECASE folds onto ASCII ones (ſ, the Kelvin sign).
"""

from __future__ import annotations

import random
import re

import pytest

from readiness.gates.migrations import encoding, history, lexing, pgtree, walk
from readiness.gates.migrations.mentions import may_mention

WORDS = ["client_encoding", "set_config", "names", "NAMES", "standard_conforming_strings", 'u&"', "search_path",
         "insert into", "update", "delete from", "truncate table", "merge into", "copy", "input", "output",
         "receive", "send", "typmod_in", "analyze", "subscript", "canonical", "subtype_diff", "generated always as (",
         "=", " = ", "(", ")", '"', "'", ".", "f", "s.f", '"F"', "x", "_", " ", "\n", "ſ", "\u212a", "é", ";", "1"]


def _texts(seed: int, n: int = 3000) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        parts = [rng.choice(WORDS) for _ in range(rng.randint(1, 12))]
        text = "".join(p.upper() if rng.random() < 0.3 else p for p in parts)
        out.append(text)
    return out


@pytest.mark.parametrize(("pattern", "words"), [
    (encoding._HINT, encoding._HINT_WORDS),
    (lexing._MENTION, lexing._MENTION_WORDS),
    (re.compile(r"search_path|set_config", re.IGNORECASE), walk._PATH_WORDS),
    (pgtree._WRITE_TARGET, pgtree._WRITE_WORDS),
])
def test_may_mention_says_no_only_where_the_pattern_cannot_match(pattern: re.Pattern[str],
                                                                 words: tuple[str, ...]) -> None:
    for text in _texts(1):
        if not may_mention(text, words):
            assert pattern.search(text) is None, text


def test_the_lower_case_type_io_pattern_finds_the_same_on_ascii_text() -> None:
    for text in _texts(2):
        if not text.isascii():
            continue
        want = [(m.span(), m.group(1), (m.group(2) or "").lower()) for m in history._TYPE_IO.finditer(text)]
        low = text.lower()
        got = [(m.span(), text[m.start(1):m.end(1)] if m.group(1) is not None else None, m.group(2) or "")
               for m in history._TYPE_IO_LOWER.finditer(low)]
        assert got == want, text


def test_non_ascii_text_always_goes_to_the_pattern() -> None:
    assert may_mention("SET NAMEſ", ("names",))  # IGNORECASE folds ſ onto s; lower() does not
    assert not may_mention("SELECT 1", ("names",))
