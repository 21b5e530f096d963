"""The hub driven by asyncio: AsyncDriver and async adapters.

Run it with ``python examples/async_hub.py``. The adapters here wrap the in-memory ones
behind ``async`` methods with a small simulated latency, and one of them times out now and
then after doing its work — the retries, keyed by the same idempotency key, create nothing
twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from orderhub import (
    Address,
    AsyncDriver,
    Channel,
    CustomerIdentity,
    GeoPoint,
    Item,
    LineRequest,
    Location,
    LocationKind,
    Money,
    OrderHub,
    OrderRequest,
)
from orderhub.ports import Outcome
from orderhub.testing import (
    Fault,
    FaultPlan,
    FixedClock,
    InMemoryErp,
    InMemoryFinance,
    InMemoryFulfillment,
    SequentialIds,
)


class AsyncWrapper:
    """Any in-memory adapter, behind async methods with a little latency."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.inner, name)

        async def call(payload: Mapping[str, Any], key: str) -> Outcome:
            await asyncio.sleep(0.001)
            result: Outcome = method(payload, key)
            return result

        return call


async def main() -> None:
    clock = FixedClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    hub = OrderHub(clock=clock, ids=SequentialIds())
    hub.catalog.add(Item(sku="TENT-2P", description="2-person tent", price=Money("149.00", "USD")))
    hub.network.add(Location(id="dc-nj", kind=LocationKind.DC, geo=GeoPoint(40.76, -74.03)))
    hub.stock.receive("dc-nj", "TENT-2P", 100)
    for n in range(20):
        hub.capture(
            OrderRequest(
                channel=Channel.MOBILE,
                external_id=f"M-{n}",
                customer=CustomerIdentity(email=f"buyer{n % 7}@example.com"),
                ship_to=Address(
                    line1="1 Main St", city="Chicago", country="US", geo=GeoPoint(41.88, -87.63)
                ),
                lines=[LineRequest(sku="TENT-2P", quantity=1 + n % 3)],
            )
        )
    hub.process()

    erp = InMemoryErp(faults=FaultPlan(seed=11, rate=0.3, kinds=(Fault.TIMEOUT_AFTER_EFFECT,)))
    wms, ledger = InMemoryFulfillment(), InMemoryFinance()
    driver = AsyncDriver(
        hub,
        erps={"main": AsyncWrapper(erp)},
        fulfillment=AsyncWrapper(wms),
        finance=AsyncWrapper(ledger),
    )
    calls = await driver.run()
    while [e for e in hub.effects() if e.status.value == "pending"]:
        clock.advance(minutes=30)  # let the retries come due
        calls += await driver.run()

    for fo in [fo for o in hub.orders() for fo in hub.fulfillment_orders(o.id)]:
        hub.confirm_shipment(fo.id, fo.to_ship, carrier="UPS", tracking=f"1Z{fo.id}")
    calls += await driver.run()
    while [e for e in hub.effects() if e.status.value == "pending"]:
        clock.advance(minutes=30)
        calls += await driver.run()

    print("orderhub with asyncio")
    print(f"  adapter calls: {calls}  (faults injected: {erp.faults.injected})")
    print(
        f"  ERP documents: {len(erp.documents)} for {len(erp.calls)} calls — "
        f"sales orders {len(erp.received('submit_order'))}, invoices "
        f"{len(erp.received('post_invoice'))}"
    )
    print(f"  fulfilment orders released: {len(wms.received('release'))}")
    print(f"  journal entries in the ledger: {len(ledger.received())}")
    assert len(erp.received("submit_order")) == 20
    assert len(erp.received("post_invoice")) == len(hub.invoices())


if __name__ == "__main__":
    asyncio.run(main())
