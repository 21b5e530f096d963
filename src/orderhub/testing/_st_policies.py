"""Strategies of small values and policies: holds, line quantities, customer records, payment
terms, tax tables, retry policies, outcomes, offers, forecasting and segments.

Private: import them from :mod:`orderhub.testing.strategies`.
"""

from __future__ import annotations

import itertools
import operator
import string
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from orderhub._customers import AttributeRecord, ConsentRecord, ExternalId
from orderhub._effects import RetryPolicy
from orderhub._fulfilment import FULFILLMENT_STATES
from orderhub._insight_forecast import (
    Backtest,
    DemandSeries,
    Forecaster,
    HoltLinear,
    MovingAverage,
    SimpleExponentialSmoothing,
    backtest,
)
from orderhub._insight_rfm import RFM_SEGMENTS
from orderhub._insight_segments import OfferMatch, OfferRule, Segment, Target
from orderhub._journal import RecogniseOnDelivery, RecogniseOnShipment, RevenuePolicy
from orderhub._orders import ORDER_STATES, Hold, HoldKind, LineQuantities
from orderhub._statemachine import StateTable
from orderhub._tax import RateTable
from orderhub._terms import Instalment, PaymentTerms
from orderhub._values import Channel, ConsentChannel
from orderhub.ports import Failed, Outcome, Rejected, Succeeded
from orderhub.testing._st_values import (
    _COUNTRIES,
    _cached,
    _optional,
    _tokens,
    attribute_names,
    attribute_values,
    aware_datetimes,
    money,
    skus,
    texts,
)

# -- small values: orders, customers, terms, policies ----------------------------------------


@_cached
def holds() -> st.SearchStrategy[Hold]:
    """Holds of every kind, with a reason and the time they were placed."""
    return st.builds(
        Hold,
        kind=st.sampled_from(HoldKind),
        reason=texts(max_size=30),
        placed_at=aware_datetimes(),
    )


@st.composite
def line_quantities(draw: st.DrawFn, *, max_quantity: int = 10**6) -> LineQuantities:
    """The units of one line by state, which always add up:
    ordered = open + allocated + backordered + shipped + cancelled."""
    ordered = draw(st.integers(1, max_quantity))
    left = ordered
    parts: dict[str, int] = {}
    for name in ("allocated", "backordered", "shipped", "cancelled"):
        parts[name] = draw(st.integers(0, left))
        left -= parts[name]
    return LineQuantities(ordered=ordered, open=left, **parts)


def external_ids() -> st.SearchStrategy[ExternalId]:
    """A channel's own id for a customer."""
    return st.builds(ExternalId, st.sampled_from(Channel), _tokens())


def attribute_records(*, ascii_only: bool = False) -> st.SearchStrategy[AttributeRecord]:
    """One captured attribute value of every kind, with where and when it was captured."""
    return st.builds(
        AttributeRecord,
        name=attribute_names(ascii_only=ascii_only),
        value=attribute_values(),
        captured_at=aware_datetimes(),
        channel=_optional(st.sampled_from(Channel)),
        order_id=_optional(_tokens()),
    )


def consent_records() -> st.SearchStrategy[ConsentRecord]:
    """Marketing consent granted or withdrawn for one contact channel, and when."""
    return st.builds(
        ConsentRecord,
        consent_channel=st.sampled_from(ConsentChannel),
        granted=st.booleans(),
        at=aware_datetimes(),
        source=_optional(st.sampled_from(Channel)),
    )


def instalments(*, max_days: int = 365) -> st.SearchStrategy[Instalment]:
    """One part of an invoice: a share in (0, 1] (to 0.0001) due some days after issue."""
    return st.builds(
        Instalment,
        share=st.integers(1, 10_000).map(lambda bp: Decimal(bp).scaleb(-4)),
        due_days=st.integers(0, max_days),
    )


@_cached
@st.composite
def payment_terms(
    draw: st.DrawFn, *, max_days: int = 120, with_instalments: bool | None = None
) -> PaymentTerms:
    """Payment terms: net days, with or without an early-payment discount window, with or
    without instalments (shares summing to exactly 1, due days strictly increasing)."""
    net = draw(st.integers(0, max_days))
    parts: tuple[Instalment, ...] = ()
    wanted = draw(st.booleans()) if with_instalments is None else with_instalments
    if wanted:
        n = draw(st.integers(1, min(4, max_days + 1)))
        days = sorted(
            draw(st.lists(st.integers(0, max_days), min_size=n, max_size=n, unique=True))
        )
        cuts = sorted(
            draw(st.lists(st.integers(1, 9999), min_size=n - 1, max_size=n - 1, unique=True))
        )
        bounds = [0, *cuts, 10_000]
        parts = tuple(
            Instalment(share=Decimal(b - a).scaleb(-4), due_days=d)
            for (a, b), d in zip(itertools.pairwise(bounds), days, strict=True)
        )
    final = max(net, parts[-1].due_days if parts else 0)
    percent = days_ = None
    if draw(st.booleans()):
        percent = draw(st.decimals(Decimal("0.01"), Decimal("99.99"), places=2))
        days_ = draw(st.integers(0, final))
    return PaymentTerms(
        net_days=net, discount_percent=percent, discount_days=days_, instalments=parts
    )


@_cached
@st.composite
def rate_tables(
    draw: st.DrawFn, *, countries: Sequence[str] | None = None, max_rate: str = "0.30"
) -> RateTable:
    """Tax rate tables keyed by country, country-region and category (``"DE"``,
    ``"US-NY"``, ``"DE:books"``), rates from 0 to ``max_rate`` to four places."""
    rate = st.decimals(Decimal(0), Decimal(max_rate), places=4)
    country = st.sampled_from(tuple(countries) if countries else _COUNTRIES)
    region = _optional(st.text(string.ascii_uppercase + string.digits, min_size=1, max_size=3))
    category = _optional(_tokens())
    key = st.builds(
        lambda c, r, k: c + (f"-{r}" if r else "") + (f":{k}" if k else ""),
        country,
        region,
        category,
    )
    rates = draw(st.dictionaries(key, rate, max_size=6))
    return RateTable(rates, default=draw(rate))


def retry_policies() -> st.SearchStrategy[RetryPolicy]:
    """Exponential backoff policies, from "give up at once" to many slow retries."""
    return st.builds(
        RetryPolicy,
        max_attempts=st.integers(1, 20),
        first_delay=st.timedeltas(timedelta(0), timedelta(days=1)),
        factor=st.integers(1, 10),
        max_delay=st.timedeltas(timedelta(0), timedelta(days=7)),
    )


def outcomes() -> st.SearchStrategy[Outcome]:
    """What an adapter reports: :class:`~orderhub.ports.Succeeded`,
    :class:`~orderhub.ports.Rejected` or :class:`~orderhub.ports.Failed`."""
    text = texts(max_size=30)
    return st.one_of(
        st.builds(Succeeded, text), st.builds(Rejected, text), st.builds(Failed, text)
    )


@_cached
@st.composite
def offer_rules(draw: st.DrawFn, *, segments: Sequence[str] | None = None) -> OfferRule:
    """Offers targeted at a segment (named from ``segments`` if given) through a channel,
    with an optional validity window and a priority."""
    first = draw(_optional(st.dates()))
    last = draw(_optional(st.dates(min_value=first) if first is not None else st.dates()))
    return OfferRule(
        segment=draw(st.sampled_from(tuple(segments)) if segments else texts(max_size=20)),
        offer=draw(texts(max_size=20)),
        channel=draw(st.sampled_from(ConsentChannel)),
        priority=draw(st.integers(-100, 100)),
        valid_from=first,
        valid_until=last,
    )


def targets() -> st.SearchStrategy[Target]:
    """One customer to receive an offer through a channel, and the segment that chose it."""
    return st.builds(
        Target,
        customer_id=_tokens(),
        offer=texts(max_size=20),
        channel=st.sampled_from(ConsentChannel),
        priority=st.integers(-100, 100),
        segment=texts(max_size=20),
    )


def offer_matches() -> st.SearchStrategy[OfferMatch]:
    """An offer that fits a customer, and why."""
    return st.builds(
        OfferMatch,
        offer=texts(max_size=20),
        channel=st.sampled_from(ConsentChannel),
        priority=st.integers(-100, 100),
        segment=texts(max_size=20),
        why=texts(max_size=40),
    )


@st.composite
def demand_series(
    draw: st.DrawFn, *, min_size: int = 0, max_size: int = 30, max_units: int = 10**6
) -> DemandSeries:
    """Units demanded per day or week (weeks start on Monday), zeros included."""
    bucket = draw(st.sampled_from(("D", "W")))
    start = draw(st.dates(date(2000, 1, 3), date(2099, 12, 31)))
    if bucket == "W":
        start = start - timedelta(days=start.weekday())
    return DemandSeries(
        sku=draw(skus()),
        bucket=bucket,
        start=start,
        values=tuple(
            draw(st.lists(st.integers(0, max_units), min_size=min_size, max_size=max_size))
        ),
        location=draw(_optional(_tokens())),
        channel=draw(_optional(st.sampled_from(Channel))),
    )


def forecasters() -> st.SearchStrategy[Forecaster]:
    """The built-in forecasters: moving average, simple exponential smoothing, Holt."""
    fraction = st.floats(0, 1, exclude_min=True)
    return st.one_of(
        st.builds(MovingAverage, st.integers(1, 12)),
        st.builds(SimpleExponentialSmoothing, fraction),
        st.builds(HoltLinear, fraction, fraction),
    )


@st.composite
def backtests(draw: st.DrawFn, *, max_units: int = 10**6) -> Backtest:
    """The result of :func:`~orderhub.backtest` on a drawn series and forecaster."""
    series = draw(demand_series(min_size=2, max_size=20, max_units=max_units))
    holdout = draw(st.integers(1, len(series.values) - 1))
    return backtest(series, draw(forecasters()), holdout)


@_cached
def segments(*, max_depth: int = 2) -> st.SearchStrategy[Segment]:
    """The ready-made segments (RFM, consent, attribute, orders, spend, category, channel,
    idle) and their compositions with ``&``, ``|`` and ``~``."""
    leaf = st.one_of(
        st.sampled_from(RFM_SEGMENTS).map(Segment.rfm),
        st.sampled_from(ConsentChannel).map(Segment.consented),
        st.builds(Segment.attribute, attribute_names(), attribute_values()),
        st.integers(0, 100).map(Segment.ordered_at_least),
        money().map(Segment.spent_at_least),
        _tokens().map(Segment.bought_category),
        st.sampled_from(Channel).map(Segment.used_channel),
        st.integers(0, 3650).map(Segment.idle_for),
    )

    def extend(inner: st.SearchStrategy[Segment]) -> st.SearchStrategy[Segment]:
        return st.one_of(
            st.builds(operator.and_, inner, inner),
            st.builds(operator.or_, inner, inner),
            inner.map(operator.invert),
        )

    strategy = leaf
    for _ in range(max_depth):
        strategy = leaf | extend(strategy)
    return strategy


def state_tables() -> st.SearchStrategy[StateTable[Any]]:
    """The state machines orderhub keeps as data: orders and fulfilment orders."""
    return st.sampled_from((ORDER_STATES, FULFILLMENT_STATES))


@_cached
def revenue_policies() -> st.SearchStrategy[RevenuePolicy]:
    """The built-in revenue recognition policies: on shipment, on delivery."""
    return st.sampled_from((RecogniseOnShipment(), RecogniseOnDelivery()))
