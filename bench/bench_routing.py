"""Routing + allocation cost as the network grows, and the one-line source pick.

Part 1 routes and allocates 3-line orders over networks of 10, 100, 1,000 and 10,000
locations with 100,000 SKUs, each SKU stocked at about 20 locations whatever the network's
size, and prints the median and p99 microseconds per order for each size. Target: the cost
grows sub-linearly — 10,000 locations cost at most 3x what 100 do (same run).

Part 2 picks the source for one line by the default preference (on hand first, then the
earliest incoming supply, then the lowest id) among 10 … 10,000 candidate positions and
supplies of one SKU, against a baseline that re-sorts every candidate on each call (the
classic "Architecture Patterns with Python" allocate). Targets: at least 100x faster at
1,000 candidates, at least 1,000x at 10,000, and our own cost nearly flat.

Usage: python bench/bench_routing.py [--skus N] [--orders N] [--sizes 10,100,...]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _common import per_call_us, target

from orderhub import (
    Address,
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
    StockBook,
    Supply,
)
from orderhub.testing import FixedClock, SequentialIds

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def build_hub(n_locations: int, n_skus: int, per_sku: int, rng: random.Random) -> OrderHub:
    hub = OrderHub(clock=FixedClock(START), ids=SequentialIds())
    for i in range(n_locations):
        hub.network.add(
            Location(
                id=f"loc-{i:05d}",
                kind=LocationKind.DC if i % 10 == 0 else LocationKind.STORE,
                geo=GeoPoint(rng.uniform(25, 49), rng.uniform(-124, -67)),
            )
        )
    price = Money("10.00", "USD")
    stocked = min(per_sku, n_locations)
    receive = hub.stock.receive
    for s in range(n_skus):
        sku = f"SKU-{s:06d}"
        hub.catalog.add(Item(sku=sku, description=sku, price=price))
        for loc in rng.sample(range(n_locations), stocked):
            receive(f"loc-{loc:05d}", sku, 1_000)
    return hub


def route_orders(hub: OrderHub, n_orders: int, n_skus: int, rng: random.Random) -> list[float]:
    samples = []
    for i in range(n_orders):
        hub.capture(
            OrderRequest(
                channel=Channel.WEB,
                external_id=f"W-{i}",
                customer=CustomerIdentity(email=f"c{i}@example.com"),
                ship_to=Address(
                    line1="1 Main St",
                    city="Somewhere",
                    country="US",
                    geo=GeoPoint(rng.uniform(25, 49), rng.uniform(-124, -67)),
                ),
                lines=[
                    LineRequest(sku=f"SKU-{rng.randrange(n_skus):06d}", quantity=1)
                    for _ in range(3)
                ],
            )
        )
        t0 = time.perf_counter()
        hub.process()
        samples.append((time.perf_counter() - t0) * 1e6)
    return samples


def p99(samples: list[float]) -> float:
    return sorted(samples)[int(len(samples) * 0.99) - 1]


def part1(sizes: list[int], n_skus: int, n_orders: int) -> None:
    print(f"route + allocate, 3-line orders, {n_skus:,} SKUs stocked at ~20 locations each")
    medians: dict[int, float] = {}
    for n in sizes:
        rng = random.Random(n)
        t0 = time.perf_counter()
        hub = build_hub(n, n_skus, 20, rng)
        built = time.perf_counter() - t0
        samples = route_orders(hub, n_orders, n_skus, rng)
        medians[n] = statistics.median(samples)
        print(
            f"  {n:>6,} locations: median {medians[n]:8.1f} µs/order, p99 {p99(samples):8.1f} "
            f"µs/order   (network + stock built in {built:.1f} s)"
        )
        del hub
    if 100 in medians and 10_000 in medians:
        ratio = medians[10_000] / medians[100]
        print(f"  cost at 10,000 locations / cost at 100: {ratio:.2f}x")
        target(
            "routing_sublinear", f"{ratio:.2f}x", "<= 3x from 100 to 10,000 locations", ratio <= 3
        )


class _Batch:
    """The classic model's batch: warehouse stock has no ETA and sorts first."""

    __slots__ = ("available", "eta", "ref")

    def __init__(self, ref: str, available: int, eta: date | None) -> None:
        self.ref, self.available, self.eta = ref, available, eta

    def __lt__(self, other: _Batch) -> bool:
        if self.eta is None:
            return other.eta is not None or self.ref < other.ref
        if other.eta is None:
            return False
        return (self.eta, self.ref) < (other.eta, other.ref)


def baseline_pick(batches: list[_Batch], quantity: int) -> _Batch | None:
    return next((b for b in sorted(batches) if b.available >= quantity), None)


def part2(counts: list[int]) -> None:
    print("\none line, default preference (on hand, then earliest supply, then lowest id)")
    ours_us: dict[int, float] = {}
    ratios: dict[int, float] = {}
    for n in counts:
        rng = random.Random(n)
        stock = StockBook(FixedClock(START))
        batches: list[_Batch] = []
        for i in range(n // 2):  # half on hand (some too small), half incoming supply
            qty = rng.choice([1, 2, 50])
            stock.receive(f"loc-{i:05d}", "SKU", qty)
            batches.append(_Batch(f"loc-{i:05d}", qty, None))
        for i in range(n - n // 2):
            eta = START.date() + timedelta(days=rng.randint(1, 60))
            stock.add_supply(
                Supply(
                    id=f"PO-{i:05d}",
                    sku="SKU",
                    location_id="loc-00000",
                    quantity=100,
                    expected=eta,
                )
            )
            batches.append(_Batch(f"PO-{i:05d}", 100, eta))
        want = 3  # more than most small positions hold
        ours = stock.best_source("SKU", want)
        base = baseline_pick(batches, want)
        assert ours is not None
        assert base is not None
        ours_ref = getattr(ours, "location_id", None) if not isinstance(ours, Supply) else ours.id
        assert ours_ref == base.ref, (ours, base.ref)
        ours_us[n] = per_call_us(partial(stock.best_source, "SKU", want), 2000)
        reps = max(3, 20_000 // n)
        base_us = per_call_us(partial(baseline_pick, batches, want), reps)
        ratios[n] = base_us / ours_us[n]
        print(
            f"  {n:>6,} candidates: ours {ours_us[n]:8.2f} µs, re-sort baseline "
            f"{base_us:10.1f} µs, {ratios[n]:8.0f}x faster"
        )
    if 1_000 in ratios:
        target(
            "pick_1000",
            f"{ratios[1_000]:.0f}x",
            ">= 100x at 1,000 candidates",
            ratios[1_000] >= 100,
        )
    if 10_000 in ratios:
        target(
            "pick_10000",
            f"{ratios[10_000]:.0f}x",
            ">= 1000x at 10,000 candidates",
            ratios[10_000] >= 1000,
        )
    if 10 in ours_us and 10_000 in ours_us:
        flat = ours_us[10_000] / ours_us[10]
        target("pick_flat", f"{flat:.2f}x", "<= 3x from 10 to 10,000 candidates", flat <= 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skus", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=2_000)
    parser.add_argument("--sizes", default="10,100,1000,10000")
    args = parser.parse_args()
    part1([int(s) for s in args.sizes.split(",")], args.skus, args.orders)
    part2([10, 100, 1_000, 10_000])


if __name__ == "__main__":
    main()
