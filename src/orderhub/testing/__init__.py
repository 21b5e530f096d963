"""orderhub.testing: what users import into their own test suites.

Deterministic stand-ins for the ports the host injects: a clock you set and advance, an id
factory that counts, and in-memory ERP, fulfilment and finance adapters with seeded fault
injection.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from orderhub._values import aware
from orderhub.testing._adapters import (
    Fault,
    FaultPlan,
    InMemoryErp,
    InMemoryFinance,
    InMemoryFulfillment,
)

__all__ = [
    "Fault",
    "FaultPlan",
    "FixedClock",
    "HubMachine",
    "InMemoryErp",
    "InMemoryFinance",
    "InMemoryFulfillment",
    "SequentialIds",
]


class FixedClock:
    """A clock that stands still until told to move: ``set()`` it or ``advance()`` it.

    Implements :class:`orderhub.ports.Clock`. Time never moves backwards through
    ``advance``; ``set`` may move it anywhere (to replay history).
    """

    def __init__(self, start: datetime) -> None:
        self._now = aware(start, "start")

    def now(self) -> datetime:
        """The clock's current time."""
        return self._now

    def set(self, when: datetime) -> None:
        """Move the clock to ``when``."""
        self._now = aware(when, "when")

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        """Move the clock forward by ``delta`` or by ``timedelta(**kwargs)``; returns now."""
        from orderhub.errors import ValidationError

        step = delta if delta is not None else timedelta(**kwargs)
        if step < timedelta(0):
            raise ValidationError("a clock does not run backwards", field="delta", value=str(step))
        self._now = self._now + step
        return self._now


class SequentialIds:
    """Ids ``<kind>-1``, ``<kind>-2``, … counted per kind. Implements
    :class:`orderhub.ports.IdFactory`."""

    def __init__(self, prefix: str = "") -> None:
        self._prefix = prefix
        self._counts: dict[str, int] = {}

    def new_id(self, kind: str) -> str:
        """The next id for ``kind``."""
        n = self._counts.get(kind, 0) + 1
        self._counts[kind] = n
        return f"{self._prefix}{kind}-{n}"


def __getattr__(name: str) -> object:
    # HubMachine needs hypothesis (a test dependency): load it only when asked for, so that
    # importing orderhub.testing stays light.
    if name == "HubMachine":
        from orderhub.testing._machine import HubMachine

        return HubMachine
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
