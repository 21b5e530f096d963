"""The first-fit index of the stock book: which location (or supply) can fill a line whole,
found without looking at every candidate."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from datetime import date
from typing import Generic, TypeVar

__all__ = ["_FirstFit"]

_K = TypeVar("_K", str, tuple[date, str])


class _FirstFit(Generic[_K]):
    """Keys in ascending order, each with a positive amount; finds the first key whose amount
    is at least a quantity.

    The keys are kept in sorted blocks of at most ``2 * _LOAD``, each block with its largest
    amount, so that a query skips the blocks that cannot serve it without looking at their
    keys: worst case O(n / _LOAD + _LOAD), and one block and one key in the common case
    where the first candidate has enough. Setting an amount costs a bisection plus
    O(_LOAD) list work (a new key, or a lowered block maximum); a key whose amount drops to
    zero leaves. The design is that of ``sortedcontainers.SortedList``, with the maxima added.
    """

    _LOAD = 64

    __slots__ = ("_amounts", "_blocks", "_firsts", "_keys", "_maxes")

    def __init__(self) -> None:
        self._amounts: dict[_K, int] = {}
        self._keys: list[list[_K]] = []
        self._blocks: list[list[int]] = []  # amounts, parallel to _keys
        self._firsts: list[_K] = []  # first key of each block
        self._maxes: list[int] = []  # largest amount of each block

    def __len__(self) -> int:
        return len(self._amounts)

    def __contains__(self, key: object) -> bool:
        return key in self._amounts

    def __iter__(self) -> Iterator[_K]:
        for keys in self._keys:
            yield from keys

    def ordered(self) -> list[_K]:
        """The keys in ascending order (the index's own list when it has one block: read
        it, do not change it)."""
        blocks = self._keys
        if len(blocks) == 1:
            return blocks[0]
        return [key for keys in blocks for key in keys]

    def items(self) -> Iterator[tuple[_K, int]]:
        """(key, amount) in ascending key order."""
        for keys, amounts in zip(self._keys, self._blocks, strict=True):
            yield from zip(keys, amounts, strict=True)

    def get(self, key: _K) -> int:
        """The amount of ``key``; 0 when it is not held."""
        return self._amounts.get(key, 0)

    def first_at_least(self, quantity: int) -> _K | None:
        """The smallest key whose amount is at least ``quantity``, or None."""
        for i, largest in enumerate(self._maxes):
            if largest >= quantity:
                for j, amount in enumerate(self._blocks[i]):
                    if amount >= quantity:
                        return self._keys[i][j]
        return None

    def set(self, key: _K, amount: int) -> None:
        """Give ``key`` the ``amount``; zero or less removes it."""
        old = self._amounts.get(key)
        if amount <= 0:
            if old is not None:
                self._remove(key, old)
            return
        self._amounts[key] = amount
        if old is not None:
            i = 0 if len(self._firsts) == 1 else self._block_of(key)
            block = self._blocks[i]
            block[bisect_left(self._keys[i], key)] = amount
            maxes = self._maxes
            if amount >= maxes[i]:
                maxes[i] = amount
            elif old == maxes[i]:
                maxes[i] = max(block)
            return
        if not self._keys:
            self._keys.append([key])
            self._blocks.append([amount])
            self._firsts.append(key)
            self._maxes.append(amount)
            return
        i = self._block_of(key)
        keys, amounts = self._keys[i], self._blocks[i]
        j = bisect_left(keys, key)
        keys.insert(j, key)
        amounts.insert(j, amount)
        self._firsts[i] = keys[0]
        self._maxes[i] = max(self._maxes[i], amount)
        if len(keys) > 2 * self._LOAD:
            half = len(keys) // 2
            self._keys[i : i + 1] = [keys[:half], keys[half:]]
            self._blocks[i : i + 1] = [amounts[:half], amounts[half:]]
            self._firsts[i : i + 1] = [keys[0], keys[half]]
            self._maxes[i : i + 1] = [max(amounts[:half]), max(amounts[half:])]

    def _block_of(self, key: _K) -> int:
        return max(0, bisect_right(self._firsts, key) - 1)

    def _remove(self, key: _K, old: int) -> None:
        del self._amounts[key]
        i = self._block_of(key)
        keys, amounts = self._keys[i], self._blocks[i]
        j = bisect_left(keys, key)
        del keys[j]
        del amounts[j]
        if not keys:
            del self._keys[i], self._blocks[i], self._firsts[i], self._maxes[i]
            return
        self._firsts[i] = keys[0]
        if old == self._maxes[i]:
            self._maxes[i] = max(amounts)
