"""Customer insight: ingesting history, the RFM summary against lifetimes, profile updates.

1,000,000 transactions of 100,000 customers over two years. Each customer's first purchase
is captured through the hub (its profile is updated from the OrderCaptured event); the other
900,000 are loaded with ``Insights.import_history``, the documented fast path that feeds
purchases straight into the profiles without an order in the hub. Then:

* the RFM summary of every customer, read from the profiles, against lifetimes'
  ``summary_data_from_transaction_data`` on the same transactions in the same run (days and
  weeks; lifetimes cannot do months on pandas >= 2), and the ratio;
* the cost of updating a profile after a new order for customers with 1 prior order and
  with 1,000, with and without segments defined (which re-evaluates them), and the ratio.

Needs pandas and lifetimes for the comparison (``pip install lifetimes==0.11.3``); without
them it prints the insight figures alone. Medians of several runs; the machine is noisy.

Usage: python bench/bench_insight.py [--customers N] [--transactions N]
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from _common import median_seconds, target

from orderhub import (
    CatalogPolicy,
    Channel,
    ConsentChannel,
    CustomerIdentity,
    LineRequest,
    Money,
    OrderHub,
    OrderRequest,
)
from orderhub._insight_rfm import RFM
from orderhub._insight_segments import Segment
from orderhub.testing import FixedClock, SequentialIds

FIRST_DAY = date(2024, 1, 1)
DAYS = 730
END = FIRST_DAY + timedelta(days=DAYS + 30)
NOW = datetime.combine(END, clock_time(12), tzinfo=UTC)

Row = tuple[int, date, int]  # customer number, day, cents


def transactions(customers: int, n: int, seed: int = 6) -> list[Row]:
    """``n`` transactions: every customer at least once, the rest at random."""
    rng = random.Random(seed)
    rows: list[Row] = []
    for i in range(n):
        c = i if i < customers else rng.randrange(customers)
        rows.append(
            (c, FIRST_DAY + timedelta(days=rng.randrange(DAYS)), rng.randrange(100, 20000))
        )
    return rows


def new_hub() -> OrderHub:
    return OrderHub(
        clock=FixedClock(NOW), ids=SequentialIds(), catalog_policy=CatalogPolicy.ALLOW_PRICED
    )


def capture(hub: OrderHub, n: int, c: int, day: date, cents: int) -> str:
    """Capture one order of customer number ``c``; returns the customer id."""
    return hub.capture(
        OrderRequest(
            channel=Channel.WEB,
            external_id=f"B-{n}",
            customer=CustomerIdentity(email=f"c{c}@example.com"),
            lines=[LineRequest(sku="ANY", quantity=1, unit_price=Money.from_minor(cents, "USD"))],
            placed_at=datetime.combine(day, clock_time(12), tzinfo=UTC),
        )
    ).order.customer_id


def bench_ingest(rows: list[Row], customers: int) -> tuple[OrderHub, dict[int, str]]:
    hub = new_hub()
    ids: dict[int, str] = {}
    first, rest = rows[:customers], rows[customers:]
    t0 = time.perf_counter()
    for n, (c, day, cents) in enumerate(first):
        ids[c] = capture(hub, n, c, day, cents)
    t_capture = time.perf_counter() - t0
    gc.collect()
    t0 = time.perf_counter()
    hub.insights._current()  # the profile updates from the captures' events
    t_events = time.perf_counter() - t0
    loaded = [(ids[c], day, Money.from_minor(cents, "USD")) for c, day, cents in rest]
    gc.collect()
    t0 = time.perf_counter()
    hub.insights.import_history(loaded)
    t_import = time.perf_counter() - t0
    total = t_events + t_import
    print(f"ingest: {len(rows):,} transactions of {customers:,} customers over {DAYS} days")
    print(f"  capture (hub)         {t_capture:7.2f} s  for {len(first):,} first orders")
    print(
        f"  profiles from events  {t_events:7.2f} s  "
        f"{t_events / len(first) * 1e6:6.1f} µs/order (OrderCaptured)"
    )
    print(
        f"  import_history        {t_import:7.2f} s  "
        f"{t_import / max(1, len(rest)) * 1e6:6.1f} µs/row (fast path)"
    )
    print(f"  ingest into profiles  {total:7.2f} s")
    return hub, ids


def lifetimes_frame(rows: list[Row]) -> object | None:
    try:
        import pandas as pd
        from lifetimes.utils import summary_data_from_transaction_data  # noqa: F401
    except ImportError:
        return None
    return pd.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "date": pd.to_datetime([r[1].isoformat() for r in rows]),
            "value": [r[2] / 100 for r in rows],
        }
    )


def bench_rfm(hub: OrderHub, ids: dict[int, str], rows: list[Row]) -> None:
    frame = lifetimes_frame(rows)
    number = {cid: c for c, cid in ids.items()}
    end = FIRST_DAY + timedelta(days=DAYS - 1)
    print(f"\nRFM summary of {len(ids):,} customers, observation end {end.isoformat()}")
    for period in ("D", "W", "M"):
        gc.collect()
        t_ours = median_seconds(lambda p=period: hub.insights.rfm(end, p), repeat=5)
        ours = hub.insights.rfm(end, period)
        line = f"  {period}  profiles {t_ours:6.3f} s"
        if frame is None or period == "M":
            why = "lifetimes not installed" if frame is None else "lifetimes: no 'M' on pandas 2+"
            print(f"{line}   ({why})")
            t_rows = median_seconds(lambda p=period: dict(hub.insights.rfm(end, p).items()))
            print(f"     and reading an RFM object for every customer: {t_rows:6.3f} s")
            continue
        from lifetimes.utils import summary_data_from_transaction_data

        def run_lifetimes(p: str = period) -> object:
            return summary_data_from_transaction_data(
                frame,
                "customer_id",
                "date",
                monetary_value_col="value",
                observation_period_end=end.isoformat(),
                freq=p,
            )

        gc.collect()
        t_lt = median_seconds(run_lifetimes, repeat=3)
        theirs = run_lifetimes()

        def agrees(cid: str, r: RFM, theirs: Any = theirs) -> bool:
            row = theirs.loc[number[cid]]
            lt_m = float(row["monetary_value"])
            return (
                row["frequency"] == r.frequency
                and row["recency"] == float(r.recency)
                and row["T"] == float(r.T)
                and abs(float(r.monetary_value) - lt_m) <= 1e-9 * max(1.0, abs(lt_m))
            )

        sample = list(ours.items())[:: max(1, len(ours) // 2000)]
        same = len(theirs) == len(ours) and all(agrees(cid, r) for cid, r in sample)
        ratio = t_lt / t_ours
        gc.collect()
        t_rows = median_seconds(lambda p=period: dict(hub.insights.rfm(end, p).items()), repeat=3)
        print(f"{line}   lifetimes {t_lt:6.3f} s   {ratio:5.1f}× faster   same: {same}")
        print(
            f"     and reading an RFM object for every customer: {t_rows:6.3f} s, "
            f"{t_lt / t_rows:4.1f}× faster than lifetimes"
        )
        target(
            f"rfm_summary_{period}_vs_lifetimes",
            f"{ratio:.1f}x faster",
            ">= 5x faster",
            ratio >= 5 and same,
        )


def bench_update(light: int = 200, rounds: int = 7) -> None:
    """Profile update after a new order: 1 prior order against 1,000."""
    hub = new_hub()
    rng = random.Random(9)
    light_ids = [capture(hub, i, i, FIRST_DAY, 1000) for i in range(light)]
    heavy_ids = [capture(hub, light + i, light + i, FIRST_DAY, 1000) for i in range(light)]
    history = [
        (cid, END - timedelta(days=1 + k), Money.from_minor(rng.randrange(100, 9999), "USD"))
        for cid in heavy_ids
        for k in range(999)
    ]
    hub.insights.import_history(history)
    assert hub.insights.profile(heavy_ids[0]).orders == 1000
    assert hub.insights.profile(light_ids[0]).orders == 1
    ids = light_ids + heavy_ids
    n = [2 * light]
    spent = [0.0]
    catch_up = hub.insights._catch_up

    def timed_catch_up() -> list[object]:
        t0 = time.perf_counter()
        try:
            return catch_up()  # type: ignore[return-value]
        finally:
            spent[0] += time.perf_counter() - t0

    # Time insight's own work (the event handling, and segment evaluation when segments are
    # defined), wherever the hub runs it: inside the capture, or on the next read.
    hub.insights._catch_up = timed_catch_up  # type: ignore[method-assign]
    number = {cid: int(hub.customers.get(cid).emails[0][1:].split("@")[0]) for cid in ids}

    def update(cid: str) -> float:
        """µs insight spends on one new order of ``cid``."""
        n[0] += 1
        spent[0] = 0.0
        capture(hub, n[0], number[cid], END, 1500)
        hub.insights._current()
        return spent[0] * 1e6

    def measure(label: str) -> tuple[float, float]:
        a: list[float] = []
        b: list[float] = []
        gc.collect()
        gc.disable()
        try:
            for _ in range(rounds):
                # Alternate the two kinds so that both see the same machine.
                pairs = [(update(x), update(y)) for x, y in zip(light_ids, heavy_ids, strict=True)]
                a.append(statistics.mean(p[0] for p in pairs))
                b.append(statistics.mean(p[1] for p in pairs))
        finally:
            gc.enable()
        us_light, us_heavy = statistics.median(a), statistics.median(b)
        print(f"  {label:<28} 1 prior {us_light:6.1f} µs   1,000 prior {us_heavy:6.1f} µs")
        return us_light, us_heavy

    print(f"\nprofile update after a new order (median of {rounds} rounds of {light} each)")
    light_us, heavy_us = measure("without segments")
    ratio = heavy_us / light_us
    target("update_1000_vs_1_prior", f"{ratio:.2f}x", "<= 1.5x", ratio <= 1.5)
    for seg in (
        Segment.ordered_at_least(5),
        Segment.consented(ConsentChannel.EMAIL),
        Segment.spent_at_least(Money("500.00", "USD")),
    ):
        hub.insights.define(seg)
    light_us, heavy_us = measure("with 3 segments defined")
    ratio = heavy_us / light_us
    target("update_with_segments_1000_vs_1_prior", f"{ratio:.2f}x", "<= 1.5x", ratio <= 1.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--transactions", type=int, default=1_000_000)
    args = parser.parse_args()
    rows = transactions(args.customers, args.transactions)
    hub, ids = bench_ingest(rows, args.customers)
    bench_rfm(hub, ids, rows)
    del hub
    bench_update()


if __name__ == "__main__":
    main()
