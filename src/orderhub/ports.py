"""The ports through which the host plugs the outside world into the hub.

Every port is a small :class:`typing.Protocol`. The hub never reads the system clock nor makes
up ids: both are injected, so that the same inputs always give the same books.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, runtime_checkable

__all__ = ["Clock", "IdFactory"]


@runtime_checkable
class Clock(Protocol):
    """Protocol: the time source of the hub; must return timezone-aware datetimes."""

    def now(self) -> datetime:
        """The current time, timezone-aware."""
        ...


@runtime_checkable
class IdFactory(Protocol):
    """Protocol: makes ids for new entities; must never return the same id twice per kind."""

    def new_id(self, kind: str) -> str:
        """A fresh id for an entity of ``kind`` (``"order"``, ``"customer"``, …)."""
        ...
