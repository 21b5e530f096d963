"""Demand series per SKU from captured orders, forecasters, and a holdout backtest.

Demand is what customers asked for: the units ordered at capture, on the day the order was
placed, whether or not they could be filled (units later backordered or cancelled for want
of stock count, which a series of shipments would miss). Forecasts are floats: they are
estimates of units, not money.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any, Protocol, runtime_checkable

import attrs

from orderhub._values import Channel
from orderhub.errors import ValidationError

__all__ = [
    "Backtest",
    "DemandSeries",
    "Forecaster",
    "HoltLinear",
    "MovingAverage",
    "SimpleExponentialSmoothing",
    "backtest",
]

BUCKETS = ("D", "W")


def check_bucket(bucket: object) -> str:
    """``bucket`` if it is ``"D"`` or ``"W"``, else a ``ValidationError``."""
    if isinstance(bucket, str) and bucket in BUCKETS:
        return bucket
    raise ValidationError("must be 'D' or 'W'", field="bucket", value=bucket)


def check_day(value: object, field: str) -> date:
    """``value`` if it is a date (not a datetime), else a ``ValidationError``."""
    if not isinstance(value, date) or isinstance(value, datetime):
        raise ValidationError("must be a date", field=field, value=value)
    return value


@attrs.frozen(kw_only=True)
class DemandSeries:
    """Units demanded of ``sku`` per bucket (``D`` day, ``W`` week from Monday), oldest
    first, every bucket present (zero when nothing was ordered).

    ``location`` and ``channel`` say what the series was narrowed to (``None``: all).
    """

    sku: str
    bucket: str
    start: date
    """The first day of the first bucket."""
    values: tuple[int, ...]
    location: str | None = None
    channel: Channel | None = None

    @property
    def periods(self) -> tuple[date, ...]:
        """The first day of each bucket."""
        step = timedelta(days=1 if self.bucket == "D" else 7)
        return tuple(self.start + i * step for i in range(len(self.values)))

    def __len__(self) -> int:
        return len(self.values)


@runtime_checkable
class Forecaster(Protocol):
    """Protocol: forecasts the next values of a series from its history."""

    def forecast(self, history: Sequence[float], horizon: int) -> tuple[float, ...]:
        """The ``horizon`` values that follow ``history`` (oldest first, not empty)."""
        ...


def _check(history: Sequence[float], horizon: int) -> list[float]:
    if isinstance(horizon, bool) or not isinstance(horizon, int) or horizon < 1:
        raise ValidationError("must be a positive int", field="horizon", value=horizon)
    values = [float(v) for v in history]
    if not values:
        raise ValidationError("needs at least one value", field="history", value=[])
    if not all(math.isfinite(v) for v in values):
        raise ValidationError("must hold finite numbers", field="history", value=history)
    return values


def _fraction(name: str) -> Any:
    def check(_: object, a: attrs.Attribute[Any], value: object) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 1:
            raise ValidationError(
                "must be a number above 0 and at most 1", field=name, value=value
            )

    return check


def _window(_: object, a: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError("must be a positive int", field="window", value=value)


@attrs.frozen
class MovingAverage:
    """The mean of the last ``window`` values (all of them if fewer), for every step ahead."""

    window: int = attrs.field(default=4, validator=_window)

    def forecast(self, history: Sequence[float], horizon: int) -> tuple[float, ...]:
        """A flat forecast at the mean of the last ``window`` values."""
        values = _check(history, horizon)
        recent = values[-self.window :]
        return (math.fsum(recent) / len(recent),) * horizon


@attrs.frozen
class SimpleExponentialSmoothing:
    """Simple exponential smoothing: level ℓₜ = α·yₜ + (1 − α)·ℓₜ₋₁ from ℓ₀ = y₀; the
    forecast is flat at the last level."""

    alpha: float = attrs.field(default=0.3, validator=_fraction("alpha"))

    def forecast(self, history: Sequence[float], horizon: int) -> tuple[float, ...]:
        """A flat forecast at the smoothed level."""
        values = _check(history, horizon)
        a = float(self.alpha)
        level = values[0]
        for y in values[1:]:
            level = a * y + (1 - a) * level
        return (level,) * horizon


@attrs.frozen
class HoltLinear:
    """Holt's linear trend: level ℓₜ = α·yₜ + (1 − α)(ℓₜ₋₁ + bₜ₋₁), trend
    bₜ = β(ℓₜ − ℓₜ₋₁) + (1 − β)bₜ₋₁, from ℓ₀ = y₀ and b₀ = y₁ − y₀ (0 with one value); the
    forecast h steps ahead is ℓ + h·b."""

    alpha: float = attrs.field(default=0.3, validator=_fraction("alpha"))
    beta: float = attrs.field(default=0.1, validator=_fraction("beta"))

    def forecast(self, history: Sequence[float], horizon: int) -> tuple[float, ...]:
        """Level plus trend, extended ``horizon`` steps."""
        values = _check(history, horizon)
        a, b = float(self.alpha), float(self.beta)
        level = values[0]
        trend = values[1] - values[0] if len(values) > 1 else 0.0
        for y in values[1:]:
            previous = level
            level = a * y + (1 - a) * (level + trend)
            trend = b * (level - previous) + (1 - b) * trend
        return tuple(level + h * trend for h in range(1, horizon + 1))


@attrs.frozen(kw_only=True)
class Backtest:
    """A forecast of a series' last ``holdout`` values from those before, and its errors.

    ``mae`` is the mean absolute error; ``mape`` the mean absolute percentage error (in
    percent) over the holdout values that are not zero, ``None`` when all are zero.
    """

    holdout: int
    actual: tuple[float, ...]
    forecast: tuple[float, ...]
    mae: float
    mape: float | None


def backtest(
    series: DemandSeries | Sequence[float], forecaster: Forecaster, holdout: int
) -> Backtest:
    """Forecast the last ``holdout`` values of ``series`` from the ones before them and
    measure the error.

    Raises:
        ValidationError: ``holdout`` is not a positive int smaller than the series, or
            ``forecaster`` has no ``forecast`` method.
    """
    values = list(series.values if isinstance(series, DemandSeries) else series)
    if isinstance(holdout, bool) or not isinstance(holdout, int) or not 0 < holdout < len(values):
        raise ValidationError(
            f"must be a positive int below the series length ({len(values)})",
            field="holdout",
            value=holdout,
        )
    if not isinstance(forecaster, Forecaster):
        raise ValidationError("must implement Forecaster", field="forecaster", value=forecaster)
    history, actual = values[:-holdout], [float(v) for v in values[-holdout:]]
    predicted = tuple(float(v) for v in forecaster.forecast(history, holdout))
    if len(predicted) != holdout:
        raise ValidationError(
            f"returned {len(predicted)} values for a horizon of {holdout}",
            field="forecaster",
            value=forecaster,
        )
    errors = [abs(a - f) for a, f in zip(actual, predicted, strict=True)]
    relative = [e / abs(a) for e, a in zip(errors, actual, strict=True) if a != 0]
    return Backtest(
        holdout=holdout,
        actual=tuple(actual),
        forecast=predicted,
        mae=math.fsum(errors) / holdout,
        mape=100 * math.fsum(relative) / len(relative) if relative else None,
    )
