"""RFM against the reference: lifetimes' ``summary_data_from_transaction_data``.

Transactions are generated with same-day repeats, single purchases and observation ends in
the middle of a period (and before some purchases), fed to the hub, and the summary compared
with lifetimes' on the same data for day, week and month periods: identical frequency,
recency and T, and monetary value within 1e-9 relative.

lifetimes 0.11.3 divides by ``np.timedelta64(1, freq)``; pandas 2 and later refuse to turn
``np.timedelta64(1, "M")`` into a Timedelta, so on those pandas lifetimes' summary fails for
``freq="M"``. There the month comparison runs lifetimes' own ``_find_first_transactions``
and replays the remaining lines of the summary with the month pandas 1.x used
(``Timedelta("30 days 10:29:06")``, the mean Gregorian month); with pandas < 2 it calls
lifetimes' summary itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orderhub import (
    Money,
)
from orderhub._insight_rfm import RFM
from test_insight_rfm import BASE, Row, by_email, hub_with, random_rows

pd = pytest.importorskip("pandas")
np = pytest.importorskip("numpy")
lifetimes_utils = pytest.importorskip("lifetimes.utils")

PANDAS_1 = int(pd.__version__.split(".")[0]) < 2
PANDAS_1_MONTH = pd.Timedelta(days=30, hours=10, minutes=29, seconds=6)
"""What pandas 1.x made of ``np.timedelta64(1, "M")``: 365.2425 / 12 days."""


def lifetimes_summary(rows: list[Row], end: date, period: str) -> Any:
    """lifetimes' summary of ``rows`` (values in dollars), as a DataFrame by customer."""
    df = pd.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "date": pd.to_datetime([r[1].isoformat() for r in rows]),
            "value": [r[2] / 100 for r in rows],
        }
    )
    if period != "M" or PANDAS_1:
        return lifetimes_utils.summary_data_from_transaction_data(
            df,
            "customer_id",
            "date",
            monetary_value_col="value",
            observation_period_end=end.isoformat(),
            freq=period,
        )
    # lifetimes' own code, line for line, from where pandas >= 2 refuses "M".
    end_ts = pd.to_datetime(end.isoformat()).to_period("M").to_timestamp()
    repeated = lifetimes_utils._find_first_transactions(
        df, "customer_id", "date", "value", None, end_ts, "M"
    )
    repeated["date"] = pd.Index(repeated["date"]).to_timestamp()
    customers = repeated.groupby("customer_id", sort=False)["date"].agg(["min", "max", "count"])
    customers["frequency"] = customers["count"] - 1
    customers["T"] = (end_ts - customers["min"]) / PANDAS_1_MONTH
    customers["recency"] = (customers["max"] - customers["min"]) / PANDAS_1_MONTH
    first = repeated[repeated["first"]].index
    repeated.loc[first, "value"] = np.nan
    customers["monetary_value"] = repeated.groupby("customer_id")["value"].mean().fillna(0)
    return customers[["frequency", "recency", "T", "monetary_value"]].astype(float)


def assert_same(ours: Mapping[str, RFM], theirs: Any) -> None:
    """Identical frequency, recency and T; monetary value within 1e-9 relative."""
    assert set(ours) == set(theirs.index)
    for cid, r in ours.items():
        row = theirs.loc[cid]
        assert r.frequency == row["frequency"], cid
        assert float(r.recency) == row["recency"], cid
        assert float(r.T) == row["T"], cid
        expected = Decimal(float(row["monetary_value"]))
        assert abs(r.monetary_value - expected) <= Decimal("1e-9") * abs(expected), cid


@st.composite
def transaction_sets(draw: st.DrawFn) -> tuple[list[Row], date]:
    """Transactions of a few customers, with same-day repeats and single purchases, and an
    observation end anywhere from the first purchase to two months after the last."""
    customers = draw(st.integers(1, 6))
    rows: list[Row] = []
    for c in range(customers):
        n = draw(st.integers(1, 8))
        spread = draw(st.sampled_from([0, 3, 20, 120, 400]))
        start = draw(st.integers(0, 200))
        for _ in range(n):
            day = BASE + timedelta(days=start + draw(st.integers(0, spread)))
            rows.append((f"c{c}", day, draw(st.integers(0, 100_000))))
    days = sorted(r[1] for r in rows)
    end = days[0] + timedelta(days=draw(st.integers(0, (days[-1] - days[0]).days + 60)))
    return draw(st.permutations(rows)), end


@pytest.mark.parametrize("period", ["D", "W", "M"])
@settings(max_examples=40)
@given(data=transaction_sets())
def test_rfm_equals_lifetimes_on_orders_captured_through_the_hub(
    period: str, data: tuple[list[Row], date]
) -> None:
    """The summary read from the profiles equals lifetimes' on the same transactions."""
    rows, end = data
    hub = hub_with(rows)

    ours = by_email(hub, hub.insights.rfm(end, period))

    assert_same(ours, lifetimes_summary(rows, end, period))


@pytest.mark.parametrize("period", ["D", "W", "M"])
@pytest.mark.parametrize(
    "end", [date(2023, 6, 15), date(2023, 12, 31), date(2024, 2, 29), date(2025, 3, 3)]
)
def test_rfm_equals_lifetimes_on_a_larger_imported_history(period: str, end: date) -> None:
    """3,000 transactions of 300 customers over two years, imported, and ends mid-period."""
    rows = random_rows(7, 300, 3000, 730)
    hub = hub_with([(f"c{c}", BASE, 100) for c in range(300)])
    ids = {c.emails[0].split("@")[0]: c.id for c in hub.customers}
    hub.insights.import_history(
        (ids[cid], day, Money.from_minor(v, "USD")) for cid, day, v in rows
    )
    everything = rows + [(f"c{c}", BASE, 100) for c in range(300)]

    ours = by_email(hub, hub.insights.rfm(end, period))

    assert_same(ours, lifetimes_summary(everything, end, period))
