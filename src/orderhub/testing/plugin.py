"""The orderhub pytest plugin (entry point ``pytest11``): fixtures prefixed ``orderhub_``.

Import-light: loading the plugin imports nothing of orderhub; each fixture imports what it
needs when a test asks for it. The fixtures wire a deterministic hub — a fixed clock at
2026-03-02 09:00 UTC, sequential ids, in-memory ERP ("main"), fulfilment and finance
adapters, and a :class:`~orderhub.SyncDriver` over them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from orderhub import OrderHub, SyncDriver
    from orderhub.testing import (
        FixedClock,
        InMemoryErp,
        InMemoryFinance,
        InMemoryFulfillment,
        SequentialIds,
    )

__all__ = [
    "orderhub_clock",
    "orderhub_driver",
    "orderhub_erp",
    "orderhub_finance",
    "orderhub_fulfillment",
    "orderhub_hub",
    "orderhub_ids",
]


@pytest.fixture
def orderhub_clock() -> FixedClock:
    """A FixedClock standing at 2026-03-02 09:00 UTC until set or advanced."""
    from datetime import UTC, datetime

    from orderhub.testing import FixedClock

    return FixedClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))


@pytest.fixture
def orderhub_ids() -> SequentialIds:
    """SequentialIds: ``order-1``, ``order-2``, … counted per kind."""
    from orderhub.testing import SequentialIds

    return SequentialIds()


@pytest.fixture
def orderhub_erp() -> InMemoryErp:
    """An in-memory ERP that records each document once per idempotency key."""
    from orderhub.testing import InMemoryErp

    return InMemoryErp()


@pytest.fixture
def orderhub_fulfillment() -> InMemoryFulfillment:
    """An in-memory fulfilment provider that accepts every release."""
    from orderhub.testing import InMemoryFulfillment

    return InMemoryFulfillment()


@pytest.fixture
def orderhub_finance() -> InMemoryFinance:
    """An in-memory general ledger that records each journal entry once."""
    from orderhub.testing import InMemoryFinance

    return InMemoryFinance()


@pytest.fixture
def orderhub_hub(orderhub_clock: FixedClock, orderhub_ids: SequentialIds) -> OrderHub:
    """An empty OrderHub on ``orderhub_clock`` and ``orderhub_ids``."""
    from orderhub import OrderHub

    return OrderHub(clock=orderhub_clock, ids=orderhub_ids)


@pytest.fixture
def orderhub_driver(
    orderhub_hub: OrderHub,
    orderhub_erp: InMemoryErp,
    orderhub_fulfillment: InMemoryFulfillment,
    orderhub_finance: InMemoryFinance,
) -> SyncDriver:
    """A SyncDriver over ``orderhub_hub`` with the in-memory adapters, the ERP named "main"."""
    from orderhub import SyncDriver

    return SyncDriver(
        orderhub_hub,
        erps={"main": orderhub_erp},
        fulfillment=orderhub_fulfillment,
        finance=orderhub_finance,
    )
