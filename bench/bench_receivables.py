"""Receivables: aging from the incremental indexes against pandas, and payment cost growth.

Builds a ledger of 1,000,000 open items (invoices) over 50,000 customers and prints the
build time (with the cyclic garbage collector paused, as for any bulk load). Then, in the
same run:

- times an aging query over the whole ledger and for one customer (a typical one with 20
  open items, and one with 10,000), median µs;
- computes the same agings with pandas the way an analyst would — days past due from a
  DataFrame of the open items, ``pd.cut`` into the buckets, ``groupby(...).sum()`` (for one
  customer: a boolean filter first) — asserts the bucket totals are identical, and prints
  the ratios;
- times applying an unnamed payment (half an item each, so every other payment closes the
  oldest item) to customers with 100, 1,000 and 10,000 open items.

Targets: aging at least 1,000x faster than the pandas recompute (overall, and for one
customer); the payment cost nearly flat in the number of open items — at 10,000 items at
most 3x what it is at 100 (logarithmic, not linear).

pandas is a bench-only dependency (``pip install -e '.[bench]'``).

Usage: python bench/bench_receivables.py [--customers N] [--per-customer N]
"""

from __future__ import annotations

import argparse
import gc
import random
import resource
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _common import median_seconds, per_call_us, target

from orderhub import Money
from orderhub._receivables import DEFAULT_BUCKETS, Receivables

AS_OF = date(2026, 6, 30)
FIRST_ISSUE = date(2025, 1, 1)
ISSUE_SPAN = 546  # days: invoices dated 2025-01-01 … 2026-06-30
TERMS = (0, 14, 30, 45, 60)  # days from invoice date to due date
CURRENCY = "USD"


def generate(customers: int, per_customer: int, seed: int = 7) -> dict[str, list[object]]:
    """Column lists for ``customers × per_customer`` invoices: ids, dates and amounts."""
    rng = random.Random(seed)
    cols: dict[str, list[object]] = {
        "invoice_id": [],
        "customer_id": [],
        "issued": [],
        "due": [],
        "units": [],
    }
    first = FIRST_ISSUE.toordinal()
    k = 0
    for c in range(customers):
        cust = f"C{c:05d}"
        for _ in range(per_customer):
            issued = first + rng.randrange(ISSUE_SPAN)
            cols["invoice_id"].append(f"INV-{k:07d}")
            cols["customer_id"].append(cust)
            cols["issued"].append(issued)
            cols["due"].append(issued + rng.choice(TERMS))
            cols["units"].append(rng.randrange(1_000, 200_000))  # 10.00 … 1,999.99
            k += 1
    return cols


def build(cols: dict[str, list[object]]) -> Receivables:
    ledger = Receivables()
    add = ledger.add_invoice
    from_minor = Money.from_minor
    fromordinal = date.fromordinal
    for inv, cust, issued, due, units in zip(
        cols["invoice_id"],
        cols["customer_id"],
        cols["issued"],
        cols["due"],
        cols["units"],
        strict=True,
    ):
        add(
            invoice_id=inv,  # type: ignore[arg-type]
            customer_id=cust,  # type: ignore[arg-type]
            number=inv,  # type: ignore[arg-type]
            currency=CURRENCY,
            amount=from_minor(units, CURRENCY),  # type: ignore[arg-type]
            issued_on=fromordinal(issued),  # type: ignore[arg-type]
            due_on=fromordinal(due),  # type: ignore[arg-type]
        )
    return ledger


def frame(cols: dict[str, list[object]]):  # type: ignore[no-untyped-def]
    """The open items as an analyst's DataFrame: one row per item, dates as datetime64."""
    import numpy as np
    import pandas as pd

    epoch = date(1970, 1, 1).toordinal()
    return pd.DataFrame(
        {
            "invoice_id": cols["invoice_id"],
            "customer_id": cols["customer_id"],
            "issued_on": (np.array(cols["issued"]) - epoch).astype("datetime64[D]"),
            "due_on": (np.array(cols["due"]) - epoch).astype("datetime64[D]"),
            "open_cents": np.array(cols["units"], dtype=np.int64),
        }
    )


def pandas_aging(df, as_of: date, customer_id: str | None = None) -> list[int]:  # type: ignore[no-untyped-def]
    """Aging the analyst's way: days past due, ``pd.cut`` into buckets, group and sum."""
    import numpy as np
    import pandas as pd

    if customer_id is not None:
        df = df[df["customer_id"] == customer_id]
    days = (pd.Timestamp(as_of) - df["due_on"]).dt.days
    bins = [-np.inf, *DEFAULT_BUCKETS, np.inf]
    buckets = pd.cut(days, bins=bins, right=True, labels=False)
    sums = df["open_cents"].groupby(buckets).sum()
    return [int(sums.get(i, 0)) for i in range(len(bins) - 1)]


def ledger_aging(ledger: Receivables, as_of: date, customer_id: str | None = None) -> list[int]:
    aging = ledger.aging(as_of, customer_id=customer_id, currency=CURRENCY)
    return [m.minor_units for m in aging.amounts]


def bench_aging(customers: int, per_customer: int) -> tuple[Receivables, float, float]:
    n = customers * per_customer
    cols = generate(customers, per_customer)
    gc.collect()
    gc.disable()  # a million long-lived objects: the cyclic collector only gets in the way
    t0 = time.perf_counter()
    ledger = build(cols)
    t_build = time.perf_counter() - t0
    gc.enable()
    print(f"ledger: {n:,} open items over {customers:,} customers")
    print(f"  build            {t_build:8.1f} s   ({t_build / n * 1e6:.1f} µs per invoice)")

    t0 = time.perf_counter()
    df = frame(cols)
    t_frame = time.perf_counter() - t0
    print(f"  pandas DataFrame {t_frame:8.1f} s   (built once, not counted below)")

    one = "C00042"
    ours = ledger_aging(ledger, AS_OF)
    theirs = pandas_aging(df, AS_OF)
    assert ours == theirs, (ours, theirs)
    assert sum(ours) == sum(cols["units"])  # type: ignore[arg-type]
    assert ledger_aging(ledger, AS_OF, one) == pandas_aging(df, AS_OF, one)
    print(f"  buckets (cents)  {ours}  identical in pandas")

    us_all = per_call_us(lambda: ledger.aging(AS_OF, currency=CURRENCY), 2000)
    us_one = per_call_us(lambda: ledger.aging(AS_OF, customer_id=one, currency=CURRENCY), 2000)
    us_pd_all = median_seconds(lambda: pandas_aging(df, AS_OF), repeat=7) * 1e6
    us_pd_one = median_seconds(lambda: pandas_aging(df, AS_OF, one), repeat=7) * 1e6
    r_all = us_pd_all / us_all
    r_one = us_pd_one / us_one
    print("\naging as of", AS_OF, "(median per query)")
    for what, ours_us, pandas_us, ratio in (
        ("overall     ", us_all, us_pd_all, r_all),
        ("one customer", us_one, us_pd_one, r_one),
    ):
        print(
            f"  {what}  orderhub {ours_us:9.1f} µs   pandas {pandas_us:11.1f} µs   {ratio:8,.0f}x"
        )
    return ledger, r_all, r_one


def add_big_customer(ledger: Receivables, name: str, items: int) -> None:
    """``items`` open invoices of 100.00 for one customer, due over the past two years."""
    first = AS_OF.toordinal() - 730
    for k in range(items):
        issued = date.fromordinal(first + (k * 7919) % 700)
        ledger.add_invoice(
            invoice_id=f"{name}-{k:05d}",
            customer_id=name,
            number=f"{name}-{k:05d}",
            currency=CURRENCY,
            amount=Money("100.00", CURRENCY),
            issued_on=issued,
            due_on=issued + timedelta(days=30),
        )


def payment_cost_us(ledger: Receivables, name: str, payments: int = 60) -> float:
    """Median µs of recording an unnamed payment of 50.00 for ``name``."""
    samples = []
    amount = Money("50.00", CURRENCY)
    record = ledger.record_payment
    for k in range(payments):
        t0 = time.perf_counter()
        record(payment_id=f"{name}-pay-{k}", customer_id=name, amount=amount, received_on=AS_OF)
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples[5:]) * 1e6


def bench_payments(ledger: Receivables) -> float:
    print("\nunnamed payment (50.00, half the oldest item) for a customer with N open items")
    costs = {}
    for n in (100, 1_000, 10_000):
        name = f"BIG-{n}"
        add_big_customer(ledger, name, n)
        costs[n] = payment_cost_us(ledger, name)
        print(f"  N = {n:>6,}   {costs[n]:6.1f} µs per payment")
    us_big = per_call_us(
        lambda: ledger.aging(AS_OF, customer_id="BIG-10000", currency=CURRENCY), 2000
    )
    print(f"  aging of the customer with 10,000 items: {us_big:.1f} µs")
    growth = costs[10_000] / costs[100]
    print(f"  growth 100 → 10,000 items: {growth:.2f}x (linear would be 100x)")
    return growth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument("--per-customer", type=int, default=20)
    args = parser.parse_args()
    ledger, r_all, r_one = bench_aging(args.customers, args.per_customer)
    growth = bench_payments(ledger)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"\npeak memory of the run (ledger, DataFrame and all): {peak:,.0f} MiB")
    print()
    target("aging_vs_pandas", f"{r_all:,.0f}x", ">= 1000x pandas", r_all >= 1000)
    target("aging_customer_vs_pandas", f"{r_one:,.0f}x", ">= 1000x pandas", r_one >= 1000)
    target("payment_growth", f"{growth:.2f}x", "<= 3x from 100 to 10,000 items", growth <= 3)


if __name__ == "__main__":
    main()
