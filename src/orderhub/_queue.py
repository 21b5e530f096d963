"""The single intake queue: every channel's orders, in priority order."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from sortedcontainers import SortedList

from orderhub._orders import Order

__all__ = ["IntakeQueue", "QueuePriority", "default_priority"]

QueuePriority = Callable[[Order], Any]
"""A function giving an order's place in the queue: smaller keys are served first."""


def default_priority(order: Order) -> tuple[int, Any]:
    """Service level first (same-day before economy), then capture time."""
    return (order.service_level.rank, order.captured_at)


class IntakeQueue:
    """Order ids waiting to be processed, served by priority; equal keys in arrival order."""

    def __init__(self, priority: QueuePriority = default_priority) -> None:
        self._priority = priority
        self._entries: SortedList = SortedList()
        self._keys: dict[str, tuple[Any, int, str]] = {}
        self._seq = 0

    def push(self, order: Order) -> None:
        """Queue ``order`` (queuing an order already queued changes nothing)."""
        if order.id in self._keys:
            return
        entry = (self._priority(order), self._seq, order.id)
        self._seq += 1
        self._keys[order.id] = entry
        self._entries.add(entry)

    def remove(self, order_id: str) -> bool:
        """Take ``order_id`` out of the queue; False if it was not queued."""
        entry = self._keys.pop(order_id, None)
        if entry is None:
            return False
        self._entries.remove(entry)
        return True

    def pop(self) -> str | None:
        """The id of the order to serve next, taken out of the queue; None when empty."""
        if not self._entries:
            return None
        entry = self._entries.pop(0)
        del self._keys[entry[2]]
        return str(entry[2])

    def __contains__(self, order_id: object) -> bool:
        return order_id in self._keys

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[str]:
        return (e[2] for e in self._entries)
