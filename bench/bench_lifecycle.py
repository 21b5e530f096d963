"""The whole order lifecycle against the floor of building the same objects with no logic.

N orders (default 100,000) of 3 lines each, from a new customer each, go through the hub
on 50 DCs with in-memory adapters: capture → route and allocate (``hub.process``) →
release, sales order and customer upsert (``SyncDriver``) → ship each fulfilment order in
full (one invoice per shipment, journaled) → pay the order's invoices → post invoices,
payments and journal entries (driver). Orders run in batches (default 1,000), the clock
moving an hour per step, so the outbox stays short and the hub grows as it would in a day.
After every batch the outbox must be drained; at the end every order must be closed and
every effect succeeded, or the benchmark stops with an error instead of a number.

Prints orders per second through the whole lifecycle, the floor measured in the same run,
and the ratio. The floor builds, from the same field values, the objects the lifecycle
leaves behind — the requests, customers, orders with their lines, fulfilment orders,
shipments, invoices, payment applications and journal entries — with no logic: values in,
attrs constructors out (as ``bench_capture``'s floor does). Events, effects and the
adapters' documents are not in the floor: they count as the hub's work.

The in-memory adapters are replaced by fresh ones each batch (the outbox is drained by
then, so no effect spans two sets): they look a document's reference up by its position
in a growing dict, which would make a 100,000-order run quadratic in the adapters, not in
the hub. They are made with ``keep_payloads=False``: they stand in for remote systems,
which keep their documents on their own side. Each payload is still built (the driver
reads ``effect.payload`` to send it); only the adapter does not hold on to it — holding a
batch's payloads made the garbage collector walk about 50 more objects per order.

The time CPython's cyclic garbage collector takes during the lifecycle is printed too (it
runs with its default settings throughout): the hub keeps every order, document, effect
and event, and each full collection walks all of them.

Peak memory per order is measured with tracemalloc in a separate pass of ``--memory-orders``
orders (default 10,000), because tracemalloc slows the run several times over: the peak
traced memory of that pass divided by its orders. The hub keeps every order, document and
event, so this is what the hub holds per order, not a transient.

Then the whole hub is snapshotted (``hub.snapshot()``), written to JSON text, read back and
restored (``OrderHub.restore``); the benchmark prints the time of each step and the size,
and checks the restored hub holds the same orders, documents and effects.

Usage: python bench/bench_lifecycle.py [--orders N] [--batch B] [--memory-orders M]
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _common import median_seconds, target

from orderhub import (
    Address,
    Application,
    CaptureContext,
    Channel,
    Customer,
    CustomerIdentity,
    EffectStatus,
    FulfillmentLine,
    FulfillmentOrder,
    GeoPoint,
    Invoice,
    InvoiceLine,
    Item,
    JournalEntry,
    JournalLine,
    LineQuantities,
    LineRequest,
    Location,
    LocationKind,
    Money,
    Order,
    OrderHub,
    OrderLine,
    OrderRequest,
    OrderState,
    PaymentApplication,
    RateTable,
    Shipment,
    ShipmentLine,
    SyncDriver,
)
from orderhub.testing import (
    FixedClock,
    InMemoryErp,
    InMemoryFinance,
    InMemoryFulfillment,
    SequentialIds,
)

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
LOCATIONS = 50
SKUS = [f"SKU-{i:04d}" for i in range(500)]
CHANNELS = list(Channel)
CITIES = [
    ("Chicago", "IL"),
    ("Newark", "NJ"),
    ("Austin", "TX"),
    ("Seattle", "WA"),
    ("San José", "CA"),
    ("Atlanta", "GA"),
    ("Denver", "CO"),
]
TAX = RateTable(
    {
        "US-IL": Decimal("0.0625"),
        "US-NJ": Decimal("0.06625"),
        "US-TX": Decimal("0.0625"),
        "US-CA": Decimal("0.0725"),
        "US-GA": Decimal("0.04"),
        "US-CO": Decimal("0.029"),
    }
)


def make_request(i: int) -> OrderRequest:
    """Order ``i``: 3 lines of 1–3 units, a new customer, one of seven cities' addresses
    with a delivery point spread over the continental US (so routing uses every DC)."""
    city, region = CITIES[i % len(CITIES)]
    geo = GeoPoint(30 + (i * 37 % 180) / 10, -122 + (i * 53 % 500) / 10)
    return OrderRequest(
        channel=CHANNELS[i % len(CHANNELS)],
        external_id=f"X-{i}",
        customer=CustomerIdentity(email=f"c{i}@example.com", name="Zoë Núñez"),
        ship_to=Address(line1="1 Main St", city=city, region=region, country="US", geo=geo),
        lines=[
            LineRequest(sku=SKUS[(i * 7 + k * 131) % len(SKUS)], quantity=1 + (i + k) % 3)
            for k in range(3)
        ],
        context=CaptureContext(campaign="spring"),
    )


def new_hub(n_orders: int) -> tuple[OrderHub, FixedClock]:
    """50 DCs over the continental US; each SKU is stocked at 40 of them, with enough units
    that nothing is backordered."""
    clock = FixedClock(START)
    hub = OrderHub(clock=clock, ids=SequentialIds(), tax=TAX)
    for n, sku in enumerate(SKUS):
        hub.catalog.add(
            Item(sku=sku, description=f"item {n}", price=Money(f"{n % 90 + 9}.99", "USD"))
        )
    units = n_orders // 20 + 100
    for j in range(LOCATIONS):
        loc = f"dc-{j:02d}"
        geo = GeoPoint(30 + (j % 5) * 4.0, -122 + (j // 5) * 5.0)
        hub.network.add(Location(id=loc, kind=LocationKind.DC, geo=geo, erp="main"))
        for n, sku in enumerate(SKUS):
            if (n + j) % 5:
                hub.stock.receive(loc, sku, units)
    return hub, clock


def new_driver(hub: OrderHub) -> SyncDriver:
    return SyncDriver(
        hub,
        erps={"main": InMemoryErp(keep_payloads=False)},
        fulfillment=InMemoryFulfillment(keep_payloads=False),
        finance=InMemoryFinance(keep_payloads=False),
    )


def drain(hub: OrderHub, driver: SyncDriver, batch: int) -> None:
    driver.run(max_rounds=1000)
    left = hub.pending_effects()
    if left:
        raise RuntimeError(f"batch {batch}: {len(left)} effect(s) still due after the driver ran")


def run_batch(hub: OrderHub, clock: FixedClock, first: int, count: int, batch: int) -> None:
    """Orders ``first`` … ``first + count - 1`` through the whole lifecycle."""
    driver = new_driver(hub)
    capture = hub.capture
    orders = []
    for i in range(first, first + count):
        order = capture(make_request(i)).order
        orders.append((order.id, order.customer_id))
    hub.process()
    drain(hub, driver, batch)
    clock.advance(hours=1)
    confirm = hub.confirm_shipment
    owed = []
    for order_id, customer_id in orders:
        total = Money.zero("USD")
        for fo in hub.fulfillment_orders(order_id):
            shipped = confirm(fo.id, fo.to_ship, carrier="UPS", tracking=f"1Z-{fo.id}")
            if shipped.invoice is None:
                raise RuntimeError(f"shipment of {fo.id} raised no invoice")
            total = total + shipped.invoice.grand_total
        owed.append((customer_id, total, f"pay-{order_id}"))
    clock.advance(hours=1)
    pay = hub.record_payment
    for customer_id, amount, reference in owed:
        pay(customer_id, amount, reference=reference)
    drain(hub, driver, batch)
    clock.advance(hours=1)


def batches(n: int, size: int) -> Iterator[tuple[int, int, int]]:
    for b, first in enumerate(range(0, n, size)):
        yield b, first, min(size, n - first)


class GcTimer:
    """A ``gc.callbacks`` entry: the seconds CPython's cyclic garbage collector ran and how
    many full collections it made (the collector itself is left as it is)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.full = 0
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._started
            self.full += info["generation"] == 2


def lifecycle(
    n: int, size: int, timer: GcTimer | None = None
) -> tuple[OrderHub, float, list[float]]:
    """Run ``n`` orders; returns the hub, the seconds spent and µs/order per batch (the
    collector's time goes to ``timer``, if given)."""
    hub, clock = new_hub(n)
    gc.collect()
    per_batch = []
    total = 0.0
    if timer is not None:
        gc.callbacks.append(timer)
    try:
        for b, first, count in batches(n, size):
            t0 = time.perf_counter()
            run_batch(hub, clock, first, count, b)
            dt = time.perf_counter() - t0
            total += dt
            per_batch.append(dt / count * 1e6)
    finally:
        if timer is not None:
            gc.callbacks.remove(timer)
    return hub, total, per_batch


def snapshot_to_json(hub: OrderHub) -> tuple[str, dict[str, float]]:
    """The whole hub as JSON text, and the seconds each step took."""
    gc.collect()
    t0 = time.perf_counter()
    data = hub.snapshot()
    t1 = time.perf_counter()
    text = json.dumps(data, separators=(",", ":"))
    t2 = time.perf_counter()
    return text, {"snapshot": t1 - t0, "to JSON": t2 - t1}


def restore_from_json(text: str, n: int, counts: dict[str, int]) -> dict[str, float]:
    """Restore a hub from the JSON (the original is gone, as after a restart), check it
    holds what the original held; the seconds each step took."""
    gc.collect()
    t0 = time.perf_counter()
    loaded = json.loads(text)
    t1 = time.perf_counter()
    restored = OrderHub.restore(loaded, clock=FixedClock(START), ids=SequentialIds(prefix="r-"))
    t2 = time.perf_counter()
    del loaded
    if check(restored, n) != counts:
        raise RuntimeError("the restored hub does not hold what the hub held")
    return {"from JSON": t1 - t0, "restore": t2 - t1}


def check(hub: OrderHub, n: int) -> dict[str, int]:
    """Every order closed, every effect succeeded; counts of what the hub holds."""
    orders = list(hub.orders())
    if len(orders) != n:
        raise RuntimeError(f"{len(orders)} orders in the hub, expected {n}")
    open_orders = [o.id for o in orders if o.state is not OrderState.CLOSED]
    if open_orders:
        raise RuntimeError(f"{len(open_orders)} order(s) not closed, e.g. {open_orders[:3]}")
    effects = hub.effects()
    stuck = [e.id for e in effects if e.status is not EffectStatus.SUCCEEDED]
    if stuck:
        raise RuntimeError(f"{len(stuck)} effect(s) not succeeded, e.g. {stuck[:3]}")
    fos = sum(len(hub.fulfillment_orders(o.id)) for o in orders)
    return {
        "fulfilment orders": fos,
        "invoices": len(hub.invoices()),
        "journal entries": len(hub.journal.entries()),
        "effects": len(effects),
        "events": len(hub.events),
    }


# -- the floor ------------------------------------------------------------------------------------


def floor_inputs(hub: OrderHub) -> list[tuple]:
    """Per order, the objects the lifecycle left behind, to copy field by field."""
    invoices_of = {}
    for inv in hub.invoices():
        invoices_of.setdefault(inv.order_id, []).append(inv)
    entries = {e.reference: e for e in hub.journal.entries()}
    out = []
    for order in hub.orders():
        fos = hub.fulfillment_orders(order.id)
        invs = invoices_of[order.id]
        ref = f"pay-{order.id}"
        out.append(
            (
                order,
                hub.customers.get(order.customer_id),
                fos,
                [hub.shipment(sid) for fo in fos for sid in fo.shipment_ids],
                invs,
                [entries[inv.id] for inv in invs],
                hub.receivables.payment(ref),
                entries[ref],
            )
        )
    return out


def floor_all(inputs: list[tuple]) -> None:
    """Build the requests and every object the lifecycle leaves behind — no logic."""
    for i, (order, cust, fos, ships, invs, inv_entries, payment, pay_entry) in enumerate(inputs):
        r = make_request(i)
        Customer(
            id=cust.id,
            created_at=cust.created_at,
            name=cust.name,
            emails=cust.emails,
            attribute_history=cust.attribute_history,
            order_ids=cust.order_ids,
        )
        Order(
            id=order.id,
            channel=r.channel,
            customer_id=order.customer_id,
            placed_at=order.placed_at,
            captured_at=order.captured_at,
            currency="USD",
            lines=tuple(
                OrderLine(
                    line_no=ln.line_no,
                    sku=ln.sku,
                    description=ln.description,
                    unit_price=ln.unit_price,
                    quantities=LineQuantities(
                        ordered=ln.quantities.ordered, open=0, shipped=ln.quantities.shipped
                    ),
                    line_discount=ln.line_discount,
                    order_discount=ln.order_discount,
                )
                for ln in order.lines
            ),
            idempotency_key=r.key,
            external_id=r.external_id,
            ship_to=r.ship_to,
            context=r.context,
            state=order.state,
        )
        for fo in fos:
            FulfillmentOrder(
                id=fo.id,
                order_id=fo.order_id,
                location_id=fo.location_id,
                erp=fo.erp,
                lines=tuple(
                    FulfillmentLine(
                        line_no=fl.line_no,
                        sku=fl.sku,
                        description=fl.description,
                        quantity=fl.quantity,
                        shipped=fl.shipped,
                    )
                    for fl in fo.lines
                ),
                state=fo.state,
                created_at=fo.created_at,
                shipment_ids=fo.shipment_ids,
            )
        for s in ships:
            Shipment(
                id=s.id,
                fulfillment_order_id=s.fulfillment_order_id,
                order_id=s.order_id,
                location_id=s.location_id,
                lines=tuple(
                    ShipmentLine(line_no=sl.line_no, sku=sl.sku, quantity=sl.quantity)
                    for sl in s.lines
                ),
                carrier=s.carrier,
                tracking=s.tracking,
                shipped_at=s.shipped_at,
                invoice_id=s.invoice_id,
            )
        for inv in invs:
            Invoice(
                id=inv.id,
                number=inv.number,
                kind=inv.kind,
                order_id=inv.order_id,
                customer_id=inv.customer_id,
                currency=inv.currency,
                issued_on=inv.issued_on,
                lines=tuple(
                    InvoiceLine(
                        line_no=il.line_no,
                        sku=il.sku,
                        description=il.description,
                        quantity=il.quantity,
                        unit_price=il.unit_price,
                        gross=il.gross,
                        discount=il.discount,
                        net=il.net,
                        tax_rate=il.tax_rate,
                        tax=il.tax,
                        total=il.total,
                    )
                    for il in inv.lines
                ),
                net_total=inv.net_total,
                tax_total=inv.tax_total,
                grand_total=inv.grand_total,
                terms=inv.terms,
                due_on=inv.due_on,
                discount_until=inv.discount_until,
                shipment_id=inv.shipment_id,
            )
        PaymentApplication(
            payment_id=payment.payment_id,
            customer_id=payment.customer_id,
            amount=payment.amount,
            received_on=payment.received_on,
            applications=tuple(
                Application(
                    source_kind=a.source_kind,
                    source_id=a.source_id,
                    kind=a.kind,
                    document_id=a.document_id,
                    instalment=a.instalment,
                    applied=a.applied,
                    discount=a.discount,
                    on=a.on,
                )
                for a in payment.applications
            ),
            unapplied=payment.unapplied,
        )
        for e in (*inv_entries, pay_entry):
            JournalEntry(
                id=e.id,
                on=e.on,
                lines=tuple(
                    JournalLine(account=jl.account, debit=jl.debit, credit=jl.credit)
                    for jl in e.lines
                ),
                kind=e.kind,
                reference=e.reference,
                memo=e.memo,
            )


# -- running --------------------------------------------------------------------------------------


def floor_seconds(hub: OrderHub) -> float:
    """The median time of :func:`floor_all` over what ``hub`` holds (3 runs, 1 warm-up)."""
    inputs = floor_inputs(hub)
    return median_seconds(lambda: floor_all(inputs), repeat=3)


def peak_memory_per_order(n: int, size: int) -> float:
    gc.collect()
    tracemalloc.start()
    try:
        lifecycle(n, size)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1_000)
    parser.add_argument("--memory-orders", type=int, default=10_000)
    args = parser.parse_args()
    n, size = args.orders, args.batch
    n_mem = min(n, args.memory_orders)

    started = time.perf_counter()
    lifecycle(min(n, size), size)  # warm-up
    timer = GcTimer()
    hub, t_life, per_batch = lifecycle(n, size, timer)
    counts = check(hub, n)
    t_floor = floor_seconds(hub)
    text, persisted = snapshot_to_json(hub)
    del hub
    gc.collect()
    persisted.update(restore_from_json(text, n, counts))
    size_mb = len(text) / 1e6
    del text
    per_order = peak_memory_per_order(n_mem, size)
    ratio = t_life / t_floor

    print(
        f"lifecycle: {n:,} orders of 3 lines, {LOCATIONS} locations, in-memory adapters, "
        f"batches of {size:,}"
    )
    print("  capture → route → allocate → release → ship → invoice → pay, all effects drained")
    print("  the hub ends with " + ", ".join(f"{v:,} {k}" for k, v in counts.items()))
    print(f"  lifecycle {n / t_life:>10,.0f} orders/s   {t_life / n * 1e6:8.1f} µs/order")
    print(
        f"    per batch: first {per_batch[0]:.1f} µs/order, last {per_batch[-1]:.1f}, "
        f"median {statistics.median(per_batch):.1f}"
    )
    print(
        f"    of which CPython's cyclic garbage collector: {timer.seconds / n * 1e6:.1f} µs/order "
        f"({timer.seconds / t_life:.0%}), {timer.full} full collections"
    )
    print(f"  floor     {n / t_floor:>10,.0f} orders/s   {t_floor / n * 1e6:8.1f} µs/order")
    print(f"  ratio     {ratio:.2f}× the floor")
    print(
        f"  peak memory {per_order / 1024:.1f} KiB/order "
        f"(tracemalloc, separate pass of {n_mem:,} orders)"
    )
    print(
        f"  snapshot/restore of the whole hub: {size_mb:,.0f} MB of JSON "
        f"({size_mb * 1e6 / n / 1024:.1f} KiB/order); "
        + ", ".join(f"{step} {seconds:.1f} s" for step, seconds in persisted.items())
    )
    print(f"  wall time of the benchmark: {time.perf_counter() - started:.0f} s")
    target("lifecycle_cost", f"{ratio:.2f}x floor", "<= 10x floor", ratio <= 10)


if __name__ == "__main__":
    main()
