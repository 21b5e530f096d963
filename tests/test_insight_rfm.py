"""RFM from the profiles: the window, periods, errors, the series kept per customer, the
summary's columns, and quintile scores with their named segments.

The comparison with lifetimes itself is in ``test_insight_lifetimes.py``.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orderhub import (
    CatalogPolicy,
    Channel,
    CustomerIdentity,
    LineRequest,
    Money,
    OrderHub,
    OrderRequest,
    ValidationError,
)
from orderhub._insight import Insights
from orderhub._insight_rfm import RFM, RFMScoring, _Columns, _Series, rfm_segment, summarise
from orderhub.testing import FixedClock, SequentialIds

BASE = date(2023, 1, 1)
LATE = datetime(2030, 1, 1, tzinfo=UTC)

Row = tuple[str, date, int]  # customer, day, cents


def hub_with(rows: list[Row]) -> OrderHub:
    """A hub that captured one order per row, placed at noon UTC on the row's day."""
    hub = OrderHub(
        clock=FixedClock(LATE), ids=SequentialIds(), catalog_policy=CatalogPolicy.ALLOW_PRICED
    )
    for i, (cid, day, cents) in enumerate(rows):
        hub.capture(
            OrderRequest(
                channel=Channel.WEB,
                external_id=f"T-{i}",
                customer=CustomerIdentity(email=f"{cid}@example.com"),
                lines=[
                    LineRequest(sku="ANY", quantity=1, unit_price=Money.from_minor(cents, "USD"))
                ],
                placed_at=datetime.combine(day, time(12), tzinfo=UTC),
            )
        )
    return hub


def by_email(hub: OrderHub, summary: Mapping[str, RFM]) -> dict[str, RFM]:
    """``summary`` keyed by the local part of each customer's e-mail (the test's id)."""
    return {hub.customers.get(cid).emails[0].split("@")[0]: r for cid, r in summary.items()}


def random_rows(seed: int, customers: int, n: int, days: int) -> list[Row]:
    """``n`` transactions of ``customers`` customers over ``days`` days."""
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        c = rng.randrange(customers)
        rows.append((f"c{c}", BASE + timedelta(days=rng.randrange(days)), rng.randrange(1, 10**6)))
    return rows


def test_orders_after_the_observation_end_are_ignored_but_its_whole_period_counts() -> None:
    """A purchase later in the week of the observation end is inside the window for
    ``W`` (lifetimes truncates by period), and outside for ``D``."""
    wednesday, friday = date(2024, 5, 1), date(2024, 5, 3)
    hub = hub_with([("a", date(2024, 4, 1), 1000), ("a", friday, 500)])

    daily = by_email(hub, hub.insights.rfm(wednesday, "D"))["a"]
    weekly = by_email(hub, hub.insights.rfm(wednesday, "W"))["a"]

    assert (daily.frequency, daily.monetary_value) == (0, 0)
    assert (weekly.frequency, weekly.monetary_value) == (1, Decimal(5))


def test_a_customer_whose_first_purchase_is_after_the_end_is_left_out() -> None:
    """Only customers who bought by the end of the window are in the summary."""
    hub = hub_with([("a", date(2024, 4, 1), 1000), ("b", date(2024, 6, 1), 500)])

    summary = by_email(hub, hub.insights.rfm(date(2024, 5, 1)))

    assert set(summary) == {"a"}


def test_same_day_orders_are_one_period_and_their_values_add_up() -> None:
    """Two orders on one day are one purchase period worth their sum."""
    hub = hub_with(
        [("a", date(2024, 4, 1), 1000), ("a", date(2024, 4, 9), 250), ("a", date(2024, 4, 9), 50)]
    )

    r = by_email(hub, hub.insights.rfm(date(2024, 4, 30)))["a"]

    assert r == RFM(1, Decimal(8), Decimal(29), Decimal(3), "USD")


def test_monthly_recency_and_age_are_in_mean_gregorian_months() -> None:
    """For ``M``, recency and T are days between month starts ÷ 30.436875, as lifetimes."""
    hub = hub_with([("a", date(2020, 1, 20), 100), ("a", date(2020, 3, 2), 200)])

    r = by_email(hub, hub.insights.rfm(date(2020, 3, 15), "M"))["a"]

    assert float(r.recency) == 60 / 30.436875
    assert r.recency == r.T


def test_rfm_refuses_a_bad_period_date_or_ambiguous_currency() -> None:
    """Bad arguments are errors naming the field; mixed currencies need one named."""
    hub = hub_with([("a", date(2024, 4, 1), 1000)])
    hub.capture(
        OrderRequest(
            channel=Channel.WEB,
            external_id="EUR-1",
            customer=CustomerIdentity(email="a@example.com"),
            lines=[LineRequest(sku="ANY", quantity=1, unit_price=Money("5.00", "EUR"))],
        )
    )

    with pytest.raises(ValidationError) as bad_period:
        hub.insights.rfm(date(2024, 5, 1), "Q")
    with pytest.raises(ValidationError) as bad_day:
        hub.insights.rfm(datetime(2024, 5, 1, tzinfo=UTC))
    with pytest.raises(ValidationError) as ambiguous:
        hub.insights.rfm(date(2024, 5, 1))

    assert (bad_period.value.field, bad_period.value.value) == ("period", "Q")
    assert bad_day.value.field == "observation_end"
    assert ambiguous.value.field == "currency"
    assert set(hub.insights.rfm(date(2030, 1, 1), currency="EUR").values()) == {
        RFM(0, Decimal(0), Decimal(0), Decimal(0), "EUR")
    }


# -- the series kept per customer ----------------------------------------------------------


@settings(max_examples=200)
@given(
    ops=st.lists(st.tuples(st.integers(0, 90), st.integers(0, 5000), st.booleans()), min_size=1),
    end=st.integers(0, 120),
    period=st.sampled_from([0, 1, 2]),
)
def test_a_series_kept_by_adds_and_removes_equals_one_built_at_once(
    ops: list[tuple[int, int, bool]], end: int, period: int
) -> None:
    """Adding orders in any order and taking some away again leaves the series (and its
    summary) as if only the remaining orders had been added, in order."""
    origin = date(2024, 1, 1).toordinal()
    kept: list[tuple[int, int]] = []
    columns = _Columns("USD")
    columns.attach("gone", _Series.of([(origin, 5, 1)]))
    series = _Series()
    columns.attach("c", series)
    columns.detach("gone")
    for day, value, remove_one in ops:
        series.add(origin + day, value)
        kept.append((origin + day, value))
        if remove_one and len(kept) > 1:
            d, v = kept.pop(0)
            series.remove(d, v)

    fresh = _Series.of((d, v, 1) for d, v in kept)

    assert series == fresh
    end_day = date.fromordinal(origin + end)
    assert summarise(columns, period, end_day, "USD") == summarise(
        [("c", fresh)], period, end_day, "USD"
    )


# -- scores ---------------------------------------------------------------------------------


def test_every_pair_of_scores_has_exactly_one_named_segment() -> None:
    """The named segments partition the 5 × 5 grid of recency and frequency scores."""
    named = {(r, f): rfm_segment(r, f) for r in range(1, 6) for f in range(1, 6)}

    assert named[5, 5] == "champions"
    assert named[4, 4] == "loyal"
    assert named[5, 1] == "new"
    assert named[4, 3] == "potential loyalists"
    assert named[2, 3] == "at risk"
    assert named[1, 5] == "can't lose"
    assert named[2, 2] == "hibernating"
    assert named[1, 1] == "lost"
    assert set(named.values()) == {
        "champions",
        "loyal",
        "potential loyalists",
        "new",
        "at risk",
        "can't lose",
        "hibernating",
        "lost",
    }


def test_quintile_scores_rank_customers_and_ties_share_a_score() -> None:
    """Five customers with distinct values score 1 to 5; equal values score equally."""
    summary = {f"c{i}": RFM(i, Decimal(i), Decimal(10), Decimal(i * 10), "USD") for i in range(5)}
    summary["twin"] = RFM(4, Decimal(4), Decimal(10), Decimal(40), "USD")
    scoring = RFMScoring.of(summary, date(2024, 1, 1), "D", "USD")

    scores = {cid: scoring.score(r) for cid, r in summary.items()}

    assert [scores[f"c{i}"].frequency for i in range(5)] == [1, 1, 2, 3, 4]
    assert scores["twin"] == scores["c4"]
    assert scores["c4"].recency == 4  # the most recent buyers: nobody is strictly better
    assert scores["c0"].recency == 1


def test_rfm_scores_of_the_hub_name_a_segment_for_everyone() -> None:
    """Every customer in the summary gets scores 1–5 and a named segment."""
    rows = random_rows(3, 40, 300, 365)
    hub = hub_with(rows)

    scores = hub.insights.rfm_scores(date(2024, 1, 1))

    assert len(scores) == 40
    assert all(1 <= s.recency <= 5 and 1 <= s.frequency <= 5 for s in scores.values())
    assert {s.segment for s in scores.values()} >= {"champions", "lost"}


def test_insights_is_reached_from_the_hub() -> None:
    """The hub creates its insight at construction."""
    hub = hub_with([])

    assert isinstance(hub.insights, Insights)
    assert hub.insights.rfm(date(2024, 1, 1)) == {}


def test_the_summary_is_a_mapping_held_in_columns() -> None:
    """A summary answers by customer id, iterates its rows, and keeps one column per
    measure, like lifetimes' DataFrame."""
    hub = hub_with(
        [("a", date(2024, 4, 1), 1000), ("a", date(2024, 4, 3), 500), ("b", date(2024, 4, 2), 700)]
    )
    a = hub.customers.find(email="a@example.com").id  # type: ignore[union-attr]

    summary = hub.insights.rfm(date(2024, 4, 10))

    assert len(summary) == 2
    assert a in summary
    assert "nobody" not in summary
    assert summary[a] == RFM(1, Decimal(2), Decimal(9), Decimal(5), "USD")
    assert summary == dict(summary.items())
    assert list(summary.values()) == [summary[c] for c in summary]
    i = summary.customer_ids.index(a)
    assert (summary.frequency[i], summary.recency[i], summary.T[i]) == (1, 2, 9)
    assert summary.monetary_value[i] == 5
    assert (summary.period, summary.end, summary.currency) == ("D", date(2024, 4, 10), "USD")
    assert repr(summary) == "<RFMSummary of 2 customers, period 'D', end 2024-04-10, USD>"
    assert summary != 3
