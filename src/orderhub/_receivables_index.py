"""The indexes behind fast aging: Fenwick trees over day ordinals, and bucket math.

A :class:`DayTree` holds integer amounts (minor units) keyed by ``date.toordinal()``; the
sum over every day up to a given day is a prefix query of O(log span) steps, so an aging
with ``k`` bucket bounds costs ``k`` such queries, however many items are open.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Iterable, MutableSequence, Sequence
from contextlib import suppress
from functools import lru_cache
from itertools import pairwise
from typing import Any, Final

from orderhub.errors import ValidationError

__all__ = ["DayTree", "bucket_bounds", "bucket_labels", "bucket_sums", "scan_buckets"]

_ALL_DAYS: Final = 1 << 22  # date.max.toordinal() == 3_652_059 < 2**22
_MIN_SIZE: Final = 64


class DayTree:
    """A Fenwick (binary indexed) tree of integer amounts over a window of day ordinals.

    The window grows as days outside it arrive: the tree is rebuilt, in O(size), over a
    window at least twice as wide as the days seen (so rebuilds are rare and amortised
    O(1) per add), centred on them. A window never exceeds 2**22 days, which holds every
    date there is; a tree over dates a few years apart has a few thousand slots.

    A ``compact`` tree keeps its slots in an ``array('q')`` (8 bytes a slot instead of a
    list's pointer and int object, at some cost in speed) until an amount no longer fits
    in 64 bits, when it moves to a list: amounts stay exact either way.
    """

    __slots__ = ("_base", "_compact", "_size", "_tree")

    def __init__(self, *, compact: bool = False) -> None:
        self._compact = compact
        self._base = 0  # slot i holds day base + i
        self._size = 0
        self._tree: MutableSequence[int] = [0]

    def add(self, day: int, delta: int) -> None:
        """Add ``delta`` at day ordinal ``day`` (1 ≤ day ≤ ``date.max.toordinal()``)."""
        i = day - self._base
        size = self._size
        if not 0 < i <= size:
            self._grow(day)
            i = day - self._base
            size = self._size
        tree = self._tree
        try:
            while i <= size:
                tree[i] += delta
                i += i & -i
        except OverflowError:  # an array slot overflowed before it was written: go on
            self._tree = tree = list(tree)
            while i <= size:
                tree[i] += delta
                i += i & -i

    def upto(self, day: int) -> int:
        """The sum of the amounts at every day ordinal ≤ ``day`` (any int)."""
        i = day - self._base
        if i <= 0:
            return 0
        if i > self._size:
            i = self._size
        tree = self._tree
        s = 0
        while i:
            s += tree[i]
            i &= i - 1
        return s

    def __len__(self) -> int:
        """The number of slots (days) the window holds."""
        return self._size

    def _grow(self, day: int) -> None:
        old, n, old_base = list(self._tree), self._size, self._base
        # Undo the Fenwick build (in reverse order) to get each day's own amount back.
        for i in range(n, 0, -1):
            j = i + (i & -i)
            if j <= n:
                old[j] -= old[i]
        lo = day if n == 0 else min(day, old_base + 1)
        hi = day if n == 0 else max(day, old_base + n)
        span = hi - lo + 1
        size = _MIN_SIZE
        while size < 2 * span:
            size *= 2
        if size >= _ALL_DAYS:
            size, base = _ALL_DAYS - 1, 0
        else:
            base = lo - 1 - (size - span) // 2
        tree = [0] * (size + 1)
        for i in range(1, n + 1):
            if old[i]:
                tree[old_base + i - base] = old[i]
        for i in range(1, size + 1):  # the O(n) Fenwick build
            j = i + (i & -i)
            if j <= size:
                tree[j] += tree[i]
        self._tree, self._size, self._base = tree, size, base
        if self._compact:
            with suppress(OverflowError):  # else it stays a list
                self._tree = array("q", tree)


def bucket_bounds(buckets: object) -> tuple[int, ...]:
    """``buckets`` checked: a non-empty sequence of strictly increasing ints (days)."""
    if isinstance(buckets, (str, bytes)) or not isinstance(buckets, Sequence):
        raise ValidationError(
            "must be a sequence of increasing whole days", field="buckets", value=buckets
        )
    bounds = tuple(buckets)
    if not bounds:
        raise ValidationError("need at least one bound", field="buckets", value=bounds)
    for b in bounds:
        if isinstance(b, bool) or not isinstance(b, int):
            raise ValidationError("bounds must be ints (days)", field="buckets", value=bounds)
    if any(b >= c for b, c in pairwise(bounds)):
        raise ValidationError("bounds must strictly increase", field="buckets", value=bounds)
    return bounds


@lru_cache(maxsize=64)
def bucket_labels(
    bounds: tuple[int, ...], current: bool
) -> tuple[tuple[str, int | None, int | None], ...]:
    """(label, low, high) per bucket for ``bounds``; the first bucket of an aging by due
    date with bound 0 is called ``current``."""
    out: list[tuple[str, int | None, int | None]] = []
    first = bounds[0]
    out.append(("current" if current and first == 0 else f"<= {first}", None, first))
    for lo, hi in pairwise(bounds):
        start = lo + 1
        out.append((f"{start}-{hi}" if start >= 0 else f"{start} to {hi}", lo, hi))
    out.append((f"over {bounds[-1]}", bounds[-1], None))
    return tuple(out)


def bucket_sums(tree: DayTree, total: int, as_of: int, bounds: Sequence[int]) -> list[int]:
    """Amounts per bucket from a tree keyed by the day ages count from.

    An amount at day ``u`` is ``as_of − u`` days old; it falls in bucket ``i`` when
    ``bounds[i-1] < age ≤ bounds[i]``, i.e. ``as_of − bounds[i] ≤ u ≤ as_of − bounds[i-1] −
    1``. With ``p_i`` the tree's sum up to ``as_of − bounds[i] − 1`` the buckets are
    ``total − p_0, p_0 − p_1, …, p_{k-1}``: they telescope, so they sum to ``total``
    exactly.
    """
    upto = tree.upto
    prefixes = [upto(as_of - b - 1) for b in bounds]
    sums = [total - prefixes[0]]
    sums.extend(prefixes[i - 1] - prefixes[i] for i in range(1, len(prefixes)))
    sums.append(prefixes[-1])
    return sums


def scan_buckets(
    items: Iterable[Any], as_of: int, by_due: bool, bounds: Sequence[int]
) -> list[int]:
    """Amounts per bucket from open items one by one (each with ``due``, ``issued`` and
    ``open``): the bucket of an item ``n`` days old is the first whose bound is ≥ ``n``."""
    sums = [0] * (len(bounds) + 1)
    if by_due:
        for item in items:
            sums[bisect_left(bounds, as_of - item.due)] += item.open
    else:
        for item in items:
            sums[bisect_left(bounds, as_of - item.issued)] += item.open
    return sums
