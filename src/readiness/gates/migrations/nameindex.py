"""Per migration directory, the names its files yield (routines they create, what their generated
columns are built from), read in apply order, so that a migration's question about the files before
it costs what it asks, not the number of migrations before it (History.earlier_routines and
column_objects walked every earlier file for every migration: O(n^2) in the files of a PR)."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from readiness.gates.migrations.discover import Candidate


class NameIndex:
    """The names each file of a directory's sequence yields (routines it creates, what its generated
    columns are built from), read in apply order as far as a question needs and no further (a file
    read counts for inline waivers): per name the positions of the files that yield it."""

    def __init__(self, seq: Sequence[Candidate]) -> None:
        self.seq = seq
        self.scanned = 0
        """Files read so far: seq[:scanned]."""
        self.at: dict[str, list[int]] = {}
        """Name -> positions of the files that yield it, ascending."""
        self.first: dict[str, int] = {}
        """Name -> the first file's position."""
        self.first_any: int | None = None
        """The first file that yields any name."""

    def scan_to(self, pos: int, names: Callable[[str], Iterable[str]]) -> None:
        """Read the files before `pos` not read yet."""
        for i in range(self.scanned, min(pos, len(self.seq))):
            for n in names(self.seq[i].path):
                self.at.setdefault(n, []).append(i)
                self.first.setdefault(n, i)
                if self.first_any is None:
                    self.first_any = i
        self.scanned = max(self.scanned, min(pos, len(self.seq)))

    def last_before(self, name: str, pos: int) -> int | None:
        """The last file before `pos` that yields `name`."""
        places = self.at.get(name)
        if not places:
            return None
        i = bisect_left(places, pos)
        return places[i - 1] if i else None


class BuiltBefore:
    """`name in` what a migration's directory builds generated columns and types from, up to and including
    it: its own names, or a name an earlier file (before position `pos`) yields."""

    __slots__ = ("first", "here", "pos")

    def __init__(self, here: frozenset[str], first: Mapping[str, int], pos: int, size: int) -> None:
        self.here = here
        self.first = first
        self.pos = min(pos, size)

    def __contains__(self, name: object) -> bool:
        if name in self.here:
            return True
        at = self.first.get(name) if isinstance(name, str) else None
        return at is not None and at < self.pos
