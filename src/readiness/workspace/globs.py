"""Globs over repository-relative `/` paths: `**` crosses directories, `*` and `?` stay within one,
`[...]` classes; a pattern ending in `/` means everything under it. Matching is linear in the path
for any pattern (a policy or a directory name can be hostile), and a list of globs is matched as one
compiled set (`GlobSet`)."""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from typing import Protocol


class GlobMatcher(Protocol):
    """What `glob_regex` returns: a compiled regex, or the linear automaton for rare shapes."""

    def match(self, path: str) -> object:
        """A true value when `path` matches the whole glob."""
        ...


@lru_cache(maxsize=4096)
def glob_regex(pattern: str) -> GlobMatcher:
    """Compile a glob: `**` matches across directories, `*` and `?` within one, `[...]` classes.

    A pattern ending in `/` matches everything under that directory. Matching takes time linear in
    the path for any pattern (a config or a directory name can be hostile): where `**` is a whole
    path segment, the regex commits to the leftmost place of each run of segments between two `**`
    and of each piece between two `*` (atomic groups, so it never backtracks across them), which is
    exact for globs; a `**` inside a segment (`db/**.sql`) goes to a small automaton instead.
    """
    if pattern.endswith("/"):
        pattern += "**"
    pattern = pattern.removeprefix("./")
    segments = pattern.split("/")
    if any("**" in seg and seg != "**" for seg in segments):
        return _Automaton(pattern)
    # units: runs of plain segments, separated by `**` segments
    units: list[list[str]] = [[]]
    for seg in segments:
        if seg == "**":
            units.append([])
        else:
            units[-1].append(seg)
    out = "/".join(_segment(seg) for seg in units[0])
    if len(units) > 1 and units[0]:
        out += "/"
    for i, unit in enumerate(units[1:], start=1):
        body = "/".join(_segment(seg) for seg in unit)
        if i == len(units) - 1:  # the last run ends the path; none: a trailing `/**`, anything below
            out += f"(?:[^/]*/)*?{body}" if unit else ".*"
        elif unit:  # a run between two `**`: whole segments, at their leftmost place
            out += f"(?>(?:[^/]*/)*?{body}/)"
    return re.compile(out + r"\Z", re.DOTALL)


def _segment(seg: str) -> str:
    """One path segment's regex: fixed pieces joined by `[^/]*`, each inner piece at its leftmost place."""
    pieces = _split_stars(seg)
    if len(pieces) == 1:
        return pieces[0]
    inner = "".join(f"(?>[^/]*?{piece})" for piece in pieces[1:-1] if piece)
    return f"{pieces[0]}{inner}[^/]*{pieces[-1]}"


def _split_stars(seg: str) -> list[str]:
    """The regex pieces of a segment between its `*`s (classes and `?` included)."""
    pieces: list[str] = []
    cur: list[str] = []
    i = 0
    while i < len(seg):
        c = seg[i]
        if c == "*":
            pieces.append("".join(cur))
            cur = []
            while i < len(seg) and seg[i] == "*":
                i += 1
            continue
        if c == "?":
            cur.append("[^/]")
            i += 1
        elif c == "[":
            cls, i = _bracket(seg, i)
            cur.append(cls)
        else:
            cur.append(re.escape(c))
            i += 1
    pieces.append("".join(cur))
    return pieces


class _Automaton:
    """A glob with `**` inside a segment, matched by simulating its automaton: linear in the path."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self.tokens: list[tuple[str, re.Pattern[str] | None]] = []
        pieces: list[list[str]] = [[]]
        """The pattern's fixed pieces between its stars, as regex source (for `loose`)."""
        i = 0
        while i < len(pattern):
            c = pattern[i]
            if pattern.startswith("**/", i):  # optionally anything ending in a slash
                self.tokens += [("skip2", None), ("**", None), ("c", re.compile("/"))]
                pieces.append([])
                i += 3
                continue
            if pattern.startswith("**", i):
                self.tokens.append(("**", None))
                pieces.append([])
                i += 2
                continue
            if c == "*":
                self.tokens.append(("*", None))
                pieces.append([])
                i += 1
                continue
            if c == "?":
                char = "[^/]"
                i += 1
            elif c == "[":
                char, i = _bracket(pattern, i)
            else:
                char = re.escape(c)
                i += 1
            self.tokens.append(("c", re.compile(char, re.DOTALL)))
            pieces[-1].append(char)
        texts = ["".join(p) for p in pieces]
        middle = "".join(f"(?>.*?{t})" for t in texts[1:-1] if t)
        self.loose = texts[0] + (f"{middle}.*{texts[-1]}" if len(texts) > 1 else "") + r"\Z"
        """A regex every path the glob matches also matches (each star read as `**`): each middle
        piece at its leftmost place, which is exact for `**` gaps and linear in the path."""

    def _close(self, states: set[int]) -> set[int]:
        todo, seen = list(states), set(states)
        while todo:
            s = todo.pop()
            kind = self.tokens[s][0] if s < len(self.tokens) else "end"
            for nxt in ((s + 1, s + 3) if kind == "skip2" else (s + 1,) if kind in ("*", "**") else ()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    def match(self, path: str) -> bool:
        states = self._close({0})
        end = len(self.tokens)
        for ch in path:
            nxt: set[int] = set()
            for s in states:
                if s == end:
                    continue
                kind, rx = self.tokens[s]
                if kind == "skip2":
                    continue
                if kind == "**" or (kind == "*" and ch != "/"):
                    nxt.add(s)
                elif kind == "c" and rx is not None and rx.fullmatch(ch):
                    nxt.add(s + 1)
            if not nxt:
                return False
            states = self._close(nxt)
        return end in states


def escape_glob(name: str) -> str:
    """A path (a directory name from the repository) as a glob that matches only itself."""
    return re.sub(r"([*?\[])", r"[\1]", name)


def _bracket(pattern: str, i: int) -> tuple[str, int]:
    """A `[...]` class starting at `pattern[i]` as regex text and the index after it.

    Like fnmatch: `!` negates, a `]` right after `[` or `[!` is literal, and a class that is not
    closed or not valid (`[z-a]`) matches the bracket literally, never an error.
    """
    j = i + 1
    if j < len(pattern) and pattern[j] == "!":
        j += 1
    if j < len(pattern) and pattern[j] == "]":
        j += 1
    j = pattern.find("]", j)
    if j == -1:
        return re.escape("["), i + 1
    body = pattern[i + 1:j]
    negate = body.startswith("!")
    if negate:
        body = body[1:]
    chars = "".join("\\" + ch if ch in "\\^[]" else ch for ch in body)
    regex = f"[{'^/' if negate else ''}{chars}]"
    try:
        re.compile(regex)
    except re.error:
        return re.escape(pattern[i:j + 1]), j + 1
    return regex, j + 1


class GlobSet:
    """Several globs matched as one: the globs that compile to a regular expression are joined into
    one alternation, each in a group of its own, so a path costs one regex match in C whatever the
    number of globs (not one Python call per glob); the rare globs with `**` inside a segment (an
    automaton each) are tried only when one regex over-approximating them all (each `*` read as
    `**`, matched at its leftmost place: still linear) matches the path. A policy's lists are bounded
    by the config schema, and the listing that applies `exclude` by a deadline (`LISTING_SECONDS`)."""

    __slots__ = ("_automata", "_joined", "_loose", "_order")

    def __init__(self, patterns: Iterable[str]) -> None:
        compiled = [(i, glob_regex(p)) for i, p in enumerate(dict.fromkeys(patterns))]
        regexes = [(i, m) for i, m in compiled if isinstance(m, re.Pattern)]
        self._order = [i for i, _ in regexes]
        self._joined = re.compile("|".join(f"({m.pattern})" for _, m in regexes), re.DOTALL) if regexes else None
        self._automata = [(i, m) for i, m in compiled if isinstance(m, _Automaton)]
        self._loose = re.compile("|".join(f"(?:{m.loose})" for _, m in self._automata), re.DOTALL) \
            if self._automata else None

    def first(self, path: str) -> int | None:
        """The index (among the distinct globs, in order) of the first glob `path` matches, or None."""
        best = None
        if self._joined is not None:
            m = self._joined.match(path)
            if m is not None and m.lastindex is not None:
                best = self._order[m.lastindex - 1]
        if self._loose is not None and self._loose.match(path):
            for i, auto in self._automata:
                if best is not None and i > best:
                    break
                if auto.match(path):
                    return i
        return best

    def match(self, path: str) -> bool:
        """True when `path` matches any of the globs."""
        if self._joined is not None and self._joined.match(path):
            return True
        return self._loose is not None and self._loose.match(path) is not None and \
            any(auto.match(path) for _, auto in self._automata)


@lru_cache(maxsize=256)
def glob_set(patterns: tuple[str, ...]) -> GlobSet:
    """The compiled set of these globs (cached: a policy's lists are matched against every file)."""
    return GlobSet(patterns)


def literal_prefix(pattern: str) -> str:
    """The text every path the glob matches starts with: the pattern up to its first `*`, `?` or `[`."""
    pattern = pattern.removeprefix("./")
    cut = len(pattern)
    for special in "*?[":
        at = pattern.find(special)
        if at != -1:
            cut = min(cut, at)
    return pattern[:cut]


def literal_suffix(pattern: str) -> str:
    """The text every path the glob matches ends with: the pattern after its last `*`, `?`, `[` or `]`,
    without a leading `/` (`**/x` matches `x`); empty for a directory (`dir/`: everything under it)."""
    if pattern.endswith("/"):
        return ""
    pattern = pattern.removeprefix("./")
    cut = max(pattern.rfind(special) for special in "*?[]")
    return pattern[cut + 1:].lstrip("/")


def matcher(patterns: tuple[str, ...]) -> Callable[[str], object]:
    """The match function of these globs (true for a path any of them matches)."""
    return glob_regex(patterns[0]).match if len(patterns) == 1 else glob_set(patterns).match


def select(files: Sequence[str], patterns: Iterable[str]) -> list[str]:
    """The paths of the sorted list `files` that match any of the globs, in order.

    Only the run of `files` that starts with the globs' common literal prefix is matched (found by
    bisection): `config/services/*.yaml` looks at `config/services/...` alone, not the whole tree.
    When every glob ends in literal text (`**/*.schema.json`, `**/.env`) or is a `**/name` whose name
    starts with it (`**/.env.*`), a path holding none of that text is passed over with a `str.endswith`
    or two before any regex runs."""
    pats = patterns if isinstance(patterns, tuple) else tuple(patterns)
    if not pats:
        return []
    prefixes = [literal_prefix(p) for p in pats]
    lead = min(prefixes)
    top = max(prefixes)
    while not top.startswith(lead):  # the common prefix of all: of the least and the greatest
        lead = lead[:-1]
    lo, hi = 0, len(files)
    if lead:
        lo = bisect_left(files, lead)
        hi = lo
        while hi < len(files) and files[hi].startswith(lead):
            hi += 1
    match = matcher(pats)
    hints = _hints(pats)
    if hints is None:
        return [f for f in files[lo:hi] if match(f)]
    ends, starts = hints
    inner = tuple("/" + b for b in starts)
    return [f for f in files[lo:hi]
            if (f.endswith(ends) or (starts and (f.startswith(starts) or any(i in f for i in inner)))) and match(f)]


def _hints(patterns: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """Text that a path matching any of the globs must hold, cheap to test before the regex: the
    globs' literal suffixes, and for a `**/name` glob whose name has no literal suffix (`**/.env.*`)
    the name's literal prefix, which starts the path or follows a `/` in it. None when some glob
    has neither (then every path is matched)."""
    ends: list[str] = []
    starts: list[str] = []
    for pattern in patterns:
        if suffix := literal_suffix(pattern):
            ends.append(suffix)
            continue
        name = pattern.removeprefix("./").removeprefix("**/")
        lead = literal_prefix(name) if name != pattern.removeprefix("./") and "/" not in name else ""
        if not lead:
            return None
        starts.append(lead)
    return tuple(ends), tuple(starts)


def matches(path: str, patterns: Iterable[str]) -> bool:
    """True when `path` matches any glob."""
    pats = patterns if isinstance(patterns, tuple) else tuple(patterns)
    if len(pats) == 1:
        return bool(glob_regex(pats[0]).match(path))
    return bool(pats) and glob_set(pats).match(path)
