"""Capture throughput against the floor of building the same objects with no logic.

Prints orders captured per second for 5-line orders (half new customers, half returning)
over 100,000 orders, the floor measured in the same run, and the ratio. Then times the
converter (structure / unstructure / JSON round trip of a 5-line order request) against
pydantic v2 on the same document shape, if pydantic is installed (``pip install -e
'.[bench]'``). Medians of several runs; each comparison runs its two sides alternately, so
that both see the same load on a noisy machine.

Usage: python bench/bench_capture.py [--orders N]
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _common import paired_seconds, paired_us, per_call_us, target

from orderhub import (
    Address,
    AttributeRecord,
    CaptureContext,
    Channel,
    Customer,
    CustomerIdentity,
    GeoPoint,
    Item,
    LineQuantities,
    LineRequest,
    Money,
    Order,
    OrderHub,
    OrderLine,
    OrderRequest,
)
from orderhub.events import (
    CustomerAttributeCaptured,
    CustomerCreated,
    OrderCaptured,
)
from orderhub.testing import FixedClock, SequentialIds

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SKUS = [f"SKU-{i:05d}" for i in range(2000)]
CHANNELS = list(Channel)


def make_requests(n: int) -> list[OrderRequest]:
    """``n`` 5-line requests; every even order is a new customer, every odd one returns."""
    requests = []
    for i in range(n):
        who = i if i % 2 == 0 else (i // 4) * 2  # odd orders reuse an earlier customer
        requests.append(
            OrderRequest(
                channel=CHANNELS[i % len(CHANNELS)],
                external_id=f"X-{i}",
                customer=CustomerIdentity(email=f"c{who}@example.com", name="Zoë Núñez"),
                ship_to=Address(
                    line1="1 Main St", city="Chicago", country="US", geo=GeoPoint(41.88, -87.63)
                ),
                lines=[
                    LineRequest(sku=SKUS[(i * 5 + k) % len(SKUS)], quantity=1 + k)
                    for k in range(5)
                ],
                attributes={"age_band": "35-44"},
                context=CaptureContext(campaign="spring"),
            )
        )
    return requests


def new_hub() -> OrderHub:
    hub = OrderHub(clock=FixedClock(START), ids=SequentialIds())
    for n, sku in enumerate(SKUS):
        hub.catalog.add(
            Item(sku=sku, description=f"item {n}", price=Money(f"{n % 90 + 9}.99", "USD"))
        )
    return hub


def capture_all(requests: list[OrderRequest]) -> None:
    hub = new_hub()
    capture = hub.capture
    for r in requests:
        capture(r)


def floor_all(requests: list[OrderRequest], prices: dict[str, Money]) -> None:
    """Build what capture builds — lines, order, customer, records, events — with no logic."""
    zero = Money._exact(Decimal("0.00"), "USD")
    customers: dict[str, Customer] = {}
    for i, r in enumerate(requests):
        lines = tuple(
            OrderLine(
                line_no=k + 1,
                sku=lr.sku,
                description=lr.sku,
                unit_price=prices[lr.sku],
                quantities=LineQuantities(ordered=lr.quantity, open=lr.quantity),
                line_discount=zero,
                order_discount=zero,
            )
            for k, lr in enumerate(r.lines)
        )
        cid = f"customer-{i}"
        order = Order(
            id=f"order-{i}",
            channel=r.channel,
            customer_id=cid,
            placed_at=START,
            captured_at=START,
            currency="USD",
            lines=lines,
            idempotency_key=r.key,
            external_id=r.external_id,
            ship_to=r.ship_to,
            context=r.context,
        )
        record = AttributeRecord(
            name="age_band", value="35-44", captured_at=START, channel=r.channel, order_id=order.id
        )
        customers[cid] = Customer(
            id=cid, created_at=START, order_ids=(order.id,), attribute_history=(record,)
        )
        CustomerCreated(occurred_at=START, customer_id=cid, channel=r.channel)
        CustomerAttributeCaptured(
            occurred_at=START, customer_id=cid, name="age_band", channel=r.channel
        )
        OrderCaptured(
            occurred_at=START,
            order_id=order.id,
            customer_id=cid,
            channel=r.channel,
            external_id=r.external_id,
            total=zero,
            line_count=len(lines),
        )


def bench_capture(n: int) -> None:
    requests = make_requests(n)
    prices = {i.sku: i.price for i in new_hub().catalog}
    gc.collect()
    # Alternately, so that both see the same machine load; the ratio is the median per round.
    t_capture, t_floor, ratio = paired_seconds(
        lambda: capture_all(requests), lambda: floor_all(requests, prices), repeat=3
    )
    print(f"capture: {n} orders of 5 lines (half new customers, half returning)")
    print(f"  capture   {n / t_capture:>10,.0f} orders/s   {t_capture / n * 1e6:7.1f} µs/order")
    print(f"  floor     {n / t_floor:>10,.0f} orders/s   {t_floor / n * 1e6:7.1f} µs/order")
    print(f"  ratio     {ratio:.2f}× the floor")
    target("capture_cost", f"{ratio:.2f}x floor", "<= 4x floor", ratio <= 4)


def bench_converter() -> None:
    from orderhub import serialization

    request = make_requests(1)[0]
    data = serialization.unstructure(request)
    text = json.dumps(data)
    us_unstructure = per_call_us(lambda: serialization.unstructure(request), 5000)
    us_structure = per_call_us(lambda: serialization.structure(data, OrderRequest), 5000)
    us_json = per_call_us(
        lambda: serialization.structure(
            json.loads(json.dumps(serialization.unstructure(request))), OrderRequest
        ),
        3000,
    )
    print("\nconverter: one 5-line order request")
    print(f"  unstructure        {us_unstructure:8.1f} µs")
    print(f"  structure          {us_structure:8.1f} µs")
    print(f"  JSON round trip    {us_json:8.1f} µs  ({len(text)} bytes)")
    try:
        import _pydantic_shape as shape
    except ImportError:
        print("  pydantic not installed: pip install -e '.[bench]' to compare")
        return
    model = shape.OrderRequestModel.model_validate(data)
    # Each against pydantic in alternating batches, so that both see the same machine load.
    us_unstructure, p_unstructure, u_ratio = paired_us(
        lambda: serialization.unstructure(request), lambda: model.model_dump(mode="json"), 5000
    )
    us_structure, p_structure, s_ratio = paired_us(
        lambda: serialization.structure(data, OrderRequest),
        lambda: shape.OrderRequestModel.model_validate(data),
        5000,
    )
    print(
        f"  pydantic v2 model_dump(mode='json') {p_unstructure:8.1f} µs  (us {us_unstructure:.1f})"
    )
    print(f"  pydantic v2 model_validate          {p_structure:8.1f} µs  (us {us_structure:.1f})")
    print(f"  ratio unstructure {u_ratio:.2f}×, structure {s_ratio:.2f}× pydantic")
    target("unstructure_vs_pydantic", f"{u_ratio:.2f}x", "<= 1.0x pydantic v2", u_ratio <= 1.0)
    target("structure_vs_pydantic", f"{s_ratio:.2f}x", "<= 1.5x pydantic v2", s_ratio <= 1.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    args = parser.parse_args()
    bench_capture(args.orders)
    bench_converter()


if __name__ == "__main__":
    main()
