"""Demand series from captured orders, the built-in forecasters, and the backtest."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpers import T0, make_hub, request
from orderhub import Channel, LineRequest, ValidationError
from orderhub._insight_forecast import (
    Backtest,
    DemandSeries,
    Forecaster,
    HoltLinear,
    MovingAverage,
    SimpleExponentialSmoothing,
    backtest,
)

TODAY = T0.date()  # a Monday


def test_demand_counts_units_ordered_per_day_filled_or_not() -> None:
    """Units are counted at capture on the day placed; nothing was in stock, and a
    cancellation does not take the demand back."""
    hub, clock = make_hub()
    hub.capture(request("W-1", lines=[LineRequest(sku="TENT", quantity=2)]))
    clock.advance(days=2)
    order = hub.capture(
        request("S-1", channel=Channel.STORE, context={"store_id": "chicago"})
    ).order
    hub.cancel(order.id)

    series = hub.insights.demand(
        "TENT", start=TODAY - timedelta(days=1), end=TODAY + timedelta(days=3)
    )

    assert series == DemandSeries(
        sku="TENT", bucket="D", start=TODAY - timedelta(days=1), values=(0, 2, 0, 1, 0)
    )
    assert series.periods[1] == TODAY
    assert len(series) == 5


def test_demand_narrows_to_a_location_and_a_channel() -> None:
    """The store a demand arose at and its channel select parts of the series."""
    hub, _ = make_hub()
    hub.capture(request("W-1", lines=[LineRequest(sku="TENT", quantity=2)]))
    hub.capture(request("S-1", channel=Channel.STORE, context={"store_id": "chicago"}))
    hub.capture(request("S-2", channel=Channel.STORE, context={"store_id": "nyc"}))

    at_chicago = hub.insights.demand("TENT", start=TODAY, end=TODAY, location="chicago")
    in_stores = hub.insights.demand("TENT", start=TODAY, end=TODAY, channel=Channel.STORE)
    on_web = hub.insights.demand("TENT", start=TODAY, end=TODAY, channel=Channel.WEB)

    assert (at_chicago.values, in_stores.values, on_web.values) == ((1,), (2,), (2,))


def test_weekly_demand_buckets_run_monday_to_sunday() -> None:
    """Week buckets start on the Monday on or before ``start`` and cover ``end``'s week."""
    hub, clock = make_hub()
    for days in (0, 6, 7, 20):
        clock.set(T0 + timedelta(days=days))
        hub.capture(request(f"W-{days}"))

    series = hub.insights.demand(
        "TENT", start=TODAY + timedelta(days=2), end=TODAY + timedelta(days=15), bucket="W"
    )

    assert (series.start, series.values) == (TODAY, (2, 1, 1))  # day 20 is a Sunday


def test_demand_refuses_bad_arguments_by_name() -> None:
    """A bad bucket, reversed dates or a datetime name the field."""
    hub, _ = make_hub()

    for kwargs, field in [
        ({"bucket": "M"}, "bucket"),
        ({"end": TODAY - timedelta(days=1)}, "end"),
        ({"start": T0}, "start"),
        ({"channel": "web"}, "channel"),
    ]:
        args = {"start": TODAY, "end": TODAY, **kwargs}
        with pytest.raises(ValidationError) as e:
            hub.insights.demand("TENT", **args)  # type: ignore[arg-type]
        assert e.value.field == field


def test_moving_average_forecasts_the_mean_of_the_window() -> None:
    """The last ``window`` values' mean, flat over the horizon."""
    assert MovingAverage(3).forecast([1, 2, 3, 4, 8], 2) == (5.0, 5.0)
    assert MovingAverage(10).forecast([2, 4], 1) == (3.0,)


def test_simple_exponential_smoothing_follows_its_recurrence() -> None:
    """ℓ = α·y + (1 − α)·ℓ from the first value; flat forecast."""
    f = SimpleExponentialSmoothing(alpha=0.5).forecast([10, 20, 0], 3)

    assert f == (7.5, 7.5, 7.5)  # 10 → 15 → 7.5


def test_holt_extends_a_straight_line_exactly() -> None:
    """On a linear series, Holt's level and trend stay on the line."""
    f = HoltLinear(alpha=0.5, beta=0.5).forecast([3, 5, 7, 9, 11], 3)

    assert f == pytest.approx((13, 15, 17))


@given(
    st.lists(st.integers(0, 1000), min_size=1, max_size=30),
    st.integers(1, 8),
    st.sampled_from([MovingAverage(1), MovingAverage(5), SimpleExponentialSmoothing(1.0)]),
)
def test_flat_forecasters_stay_within_the_range_of_the_history(
    history: list[int], horizon: int, forecaster: Forecaster
) -> None:
    """Averages and smoothing never leave the range of what was seen."""
    f = forecaster.forecast(history, horizon)

    assert len(f) == horizon
    assert all(min(history) - 1e-9 <= v <= max(history) + 1e-9 for v in f)


def test_backtest_reports_mae_and_mape_over_the_holdout() -> None:
    """Forecast the holdout from what came before; MAPE skips zero actuals."""
    series = DemandSeries(sku="TENT", bucket="D", start=TODAY, values=(4, 4, 4, 4, 2, 0, 8))

    result = backtest(series, MovingAverage(4), holdout=3)

    assert result == Backtest(
        holdout=3,
        actual=(2.0, 0.0, 8.0),
        forecast=(4.0, 4.0, 4.0),
        mae=pytest.approx(10 / 3),
        mape=pytest.approx(75.0),  # (|2-4|/2 + |8-4|/8) / 2
    )
    assert backtest([0, 0, 0, 0], MovingAverage(), holdout=2).mape is None


class Naive:
    """A user's own forecaster: tomorrow is like today."""

    def forecast(self, history: Sequence[float], horizon: int) -> tuple[float, ...]:
        return (float(history[-1]),) * horizon


def test_any_forecaster_that_follows_the_protocol_can_be_backtested() -> None:
    """The protocol is structural: a class with ``forecast`` is a Forecaster."""
    result = backtest([1, 2, 3, 4], Naive(), holdout=1)

    assert isinstance(Naive(), Forecaster)
    assert (result.forecast, result.mae, result.mape) == ((3.0,), 1.0, 25.0)


def test_bad_forecaster_settings_and_backtests_are_refused_by_name() -> None:
    """Parameters out of range, horizons and holdouts name the field."""
    cases = [
        (lambda: MovingAverage(0), "window"),
        (lambda: SimpleExponentialSmoothing(0), "alpha"),
        (lambda: HoltLinear(beta=1.5), "beta"),
        (lambda: MovingAverage().forecast([], 1), "history"),
        (lambda: MovingAverage().forecast([1], 0), "horizon"),
        (lambda: backtest([1, 2], MovingAverage(), holdout=2), "holdout"),
        (lambda: backtest([1, 2], object(), holdout=1), "forecaster"),  # type: ignore[arg-type]
    ]
    for make, field in cases:
        with pytest.raises(ValidationError) as e:
            make()
        assert e.value.field == field
    assert date(2026, 3, 2) == TODAY
