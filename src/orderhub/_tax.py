"""Tax: the policy port, a built-in rate table, and how invoices compute tax with it."""

from __future__ import annotations

import enum
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any, Final, Protocol, runtime_checkable

import attrs

from orderhub._money import Money, to_decimal
from orderhub.errors import ValidationError

__all__ = ["RateTable", "TaxMode", "TaxPolicy", "TaxRounding", "check_rate"]


@runtime_checkable
class TaxPolicy(Protocol):
    """Protocol: the tax rate that applies to one invoice line.

    The hub asks once per line, with the ship-to country and region, the item's category and
    the invoice date; the answer is a fraction (``Decimal("0.0825")`` for 8.25 %), never a
    float. Implementations must be pure: the same question gives the same rate.
    """

    def rate(
        self, *, country: str | None, region: str | None, category: str | None, on: date
    ) -> Decimal:
        """The rate for a line shipped to ``country``/``region`` of item ``category`` on ``on``."""
        ...


class TaxMode(enum.Enum):
    """Whether unit prices are before or after tax."""

    EXCLUSIVE = "exclusive"
    """Prices are net; tax = net × rate is added on top (US sales tax, B2B)."""
    INCLUSIVE = "inclusive"
    """Prices include tax; tax = amount × rate / (1 + rate) is taken out (EU VAT, B2C)."""


class TaxRounding(enum.Enum):
    """Where the tax is rounded to the currency's minor unit."""

    PER_LINE = "per_line"
    """Round each line's tax, then sum (the default)."""
    PER_INVOICE = "per_invoice"
    """Compute each rate group's tax unrounded, round it once, and spread it back over the
    group's lines by their amounts (largest remainder), so line taxes still sum exactly."""


def check_rate(value: object, field: str = "rate") -> Decimal:
    """``value`` as a tax rate: a finite, non-negative ``Decimal`` (or int/str); floats refused."""
    if isinstance(value, bool):
        raise ValidationError("must be a Decimal", field=field, value=value)
    try:
        d = to_decimal(value, field)
    except ValidationError as e:
        raise ValidationError(e.reason, field=field, value=value) from None
    if d < 0:
        raise ValidationError("a tax rate must not be negative", field=field, value=value)
    return d


_KEY: Final = re.compile(r"([A-Za-z]{2})(?:-([A-Za-z0-9]{1,3}))?(?::(\S(?:.*\S)?))?")


def _rates(
    value: Mapping[str, Decimal] | Sequence[tuple[str, Decimal]],
) -> tuple[tuple[str, Decimal], ...]:
    # A mapping, or the (key, rate) pairs the table holds (how it is serialised).
    if isinstance(value, Mapping):
        pairs: Sequence[Any] = list(value.items())
    elif isinstance(value, (list, tuple)) and all(
        isinstance(p, (list, tuple)) and len(p) == 2 for p in value
    ):
        pairs = value
    else:
        raise ValidationError(
            "must be a mapping (or pairs) of keys to rates", field="rates", value=value
        )
    out: dict[str, Decimal] = {}
    for key, rate in pairs:
        m = _KEY.fullmatch(key) if isinstance(key, str) else None
        if m is None:
            raise ValidationError(
                'keys look like "DE", "US-NY", "DE:books" or "US-NY:food"',
                field="rates",
                value=key,
            )
        country, region, category = m.groups()
        norm = country.upper() + (f"-{region.upper()}" if region else "")
        norm += f":{category}" if category else ""
        if norm in out:
            raise ValidationError("the same key is given twice", field="rates", value=key)
        out[norm] = check_rate(rate, f"rates[{key!r}]")
    return tuple(sorted(out.items()))


def _default(value: Decimal) -> Decimal:
    return check_rate(value, "default")


@attrs.frozen
class RateTable:
    """A :class:`TaxPolicy` from a fixed table of rates; the date is not consulted.

    Keys are ``"DE"`` (a country), ``"US-NY"`` (a country's region), and either with a
    category override: ``"DE:books"``, ``"US-NY:food"``. Country and region are matched
    without regard to case; categories exactly. The most specific key wins, in this order:
    country-region:category, country-region, country:category, country, then ``default``.
    Rates are fractions (``Decimal("0.19")``); floats are refused.

    >>> table = RateTable({"DE": Decimal("0.19"), "DE:books": Decimal("0.07")})
    >>> table.rate(country="DE", region=None, category="books", on=date(2026, 1, 1))
    Decimal('0.07')
    """

    rates: tuple[tuple[str, Decimal], ...] = attrs.field(converter=_rates)
    default: Decimal = attrs.field(default=Decimal(0), converter=_default, kw_only=True)
    _table: dict[str, Decimal] = attrs.field(init=False, eq=False, hash=False, repr=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_table", dict(self.rates))

    def rate(
        self, *, country: str | None, region: str | None, category: str | None, on: date
    ) -> Decimal:
        """The most specific rate for the line (see the class docstring)."""
        table = self._table
        if country is None:
            return self.default
        c = country.upper()
        keys: list[str] = []
        if region:
            r = f"{c}-{region.upper()}"
            if category:
                keys.append(f"{r}:{category}")
            keys.append(r)
        if category:
            keys.append(f"{c}:{category}")
        keys.append(c)
        for key in keys:
            found = table.get(key)
            if found is not None:
                return found
        return self.default


# -- arithmetic in minor units ------------------------------------------------------------


def round_half_up(value: Fraction) -> int:
    """``value`` rounded to an integer, a tie away from zero."""
    if value < 0:
        return -round_half_up(-value)
    return int(value + Fraction(1, 2))  # int() floors a non-negative Fraction


def tax_units(base_units: int, rate: Decimal, mode: TaxMode) -> Fraction:
    """The exact (unrounded) tax, in minor units, on a base of ``base_units``.

    ``EXCLUSIVE``: base × rate. ``INCLUSIVE``: base × rate / (1 + rate) (the base includes
    the tax).
    """
    r = Fraction(rate)
    if mode is TaxMode.EXCLUSIVE:
        return base_units * r
    return base_units * r / (1 + r)


def _ratio_half_up(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded half-up (a tie away from zero), in integers:
    :func:`round_half_up` of the same fraction, without building one."""
    if denominator <= 0:
        return round_half_up(Fraction(numerator, denominator))
    if numerator >= 0:
        return (2 * numerator + denominator) // (2 * denominator)
    return -((denominator - 2 * numerator) // (2 * denominator))


def cumulative_share(total: int, k: int, n: int) -> int:
    """The share of the first ``k`` of ``n`` parts of ``total`` minor units, rounded half-up.

    ``k = n`` gives exactly ``total``; the share grows with ``k``, so differences of two
    shares (one shipment's, one credit's) are never negative and sum to ``total``.
    """
    return total if k == n else _ratio_half_up(total * k, n)


_RATIOS: dict[Decimal, tuple[int, int]] = {}


def _rate_ratio(rate: Decimal) -> tuple[int, int]:
    """``rate`` as (numerator, denominator) in lowest terms, the denominator positive."""
    found = _RATIOS.get(rate)
    if found is None:
        found = rate.as_integer_ratio()
        if len(_RATIOS) < 1024:  # a few distinct rates in practice; never grow unbounded
            _RATIOS[rate] = found
    return found


def line_taxes(
    bases: Sequence[int],
    rates: Sequence[Decimal],
    mode: TaxMode,
    rounding: TaxRounding,
    currency: str,
) -> list[int]:
    """Each line's tax in minor units, on its base (net, or gross incl. tax when inclusive)."""
    if rounding is TaxRounding.PER_LINE:
        # round_half_up(tax_units(b, r, mode)) per line, in integers: with r = p/q,
        # exclusive b·p/q, inclusive b·(p/q)/(1 + p/q) = b·p/(q + p).
        out = []
        inclusive = mode is not TaxMode.EXCLUSIVE
        for b, r in zip(bases, rates, strict=True):
            p, q = _rate_ratio(r)
            out.append(_ratio_half_up(b * p, q + p if inclusive else q))
        return out
    groups: dict[Decimal, list[int]] = defaultdict(list)
    for i, r in enumerate(rates):
        groups[r].append(i)
    taxes = [0] * len(bases)
    for rate, members in groups.items():
        exact = sum((tax_units(bases[i], rate, mode) for i in members), Fraction(0))
        group_tax = round_half_up(exact)
        if not group_tax:
            continue
        weights = [Money.from_minor(bases[i], currency) for i in members]
        parts = Money.from_minor(group_tax, currency).allocate(weights)
        for i, part in zip(members, parts, strict=True):
            taxes[i] = part.minor_units
    return taxes
