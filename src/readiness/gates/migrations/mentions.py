"""A cheap test before a case-insensitive regular expression: does the text name any of its words?

`re.IGNORECASE` with an alternation of words gets none of `re`'s literal-prefix shortcuts: every
position of the text is tried, and on lemmy's 5,000 statements one such search cost 30-150 ms. Most
statements name none of the words, and `str.lower()` and `in` read an ASCII text at memory speed.

The test is exact, never a heuristic: for ASCII text, an IGNORECASE match of a pattern that needs one
of `words` (written in lower case) implies the lowered text contains it, so "no word" means "no
match". Text that is not ASCII always goes to the regular expression: IGNORECASE folds some
non-ASCII letters onto ASCII ones (`ſ` matches `s`, the Kelvin sign `k`), which `lower()` does not.
"""

from __future__ import annotations


def may_mention(text: str, words: tuple[str, ...]) -> bool:
    """False only when `text` is ASCII and contains none of `words` (lower case) in any letter case."""
    if not text.isascii():
        return True
    low = text.lower()
    return any(w in low for w in words)
