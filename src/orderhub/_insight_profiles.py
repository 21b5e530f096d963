"""Customer profiles: what each order contributes, and the mergeable per-customer aggregates.

An order contributes an :class:`_OrderFacts` record computed from its current snapshot
alone. A customer's aggregate is the sum of the facts of their orders (and of the history
imported with ``Insights.import_history``): counters, dicts of counts, per-currency totals
and the purchase series. When an order changes, the aggregate takes away the facts it had
recorded for it and adds the new ones, so the cost of an update depends on the order, not on
the customer's history; and a merge of two customers is the sum of their aggregates.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable, Mapping
from datetime import date, tzinfo
from decimal import Decimal
from typing import Final, TypeVar

import attrs

from orderhub._customers import Customer
from orderhub._identity import AttributeValue
from orderhub._insight_rfm import RFM, RFMScore, _Columns, _Series
from orderhub._money import Money, minor_units
from orderhub._orders import Order, OrderState
from orderhub._values import Channel, ConsentChannel

__all__ = ["Profile"]

_K = TypeVar("_K")
_CTX: Final = decimal.Context(prec=28, rounding=decimal.ROUND_HALF_EVEN, traps=[])


def _bump(counts: dict[_K, int], key: _K, n: int) -> None:
    """Add ``n`` to ``counts[key]``; a count that reaches zero is removed."""
    v = counts.get(key, 0) + n
    if v:
        counts[key] = v
    else:
        del counts[key]


def _half_up(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded half-up (both ≥ 0, denominator > 0)."""
    return (2 * numerator + denominator) // (2 * denominator)


@attrs.frozen
class _OrderFacts:
    """What one order contributes to its customer's profile (private)."""

    live: bool
    day: int
    currency: str
    value: int  # minor units, net of cancelled and returned units
    units: int  # ordered less cancelled
    returned: int
    channel: Channel
    store: str | None
    campaign: str | None
    promo_codes: tuple[str, ...]
    categories: tuple[tuple[str, int], ...]  # units kept (less returned) per category


def day_of(order: Order, tz: tzinfo) -> int:
    """The purchase day of ``order`` (its ``placed_at`` in ``tz``) as a date ordinal."""
    return order.placed_at.astimezone(tz).toordinal()


def facts_of(order: Order, tz: tzinfo, returned: Mapping[int, int]) -> _OrderFacts:
    """The contribution of ``order`` as it stands, with ``returned`` units per line number.

    A line keeps its net amount (after line and order discounts) in proportion to the units
    neither cancelled nor returned, rounded half-up to the minor unit.
    """
    scale = minor_units(order.currency)
    value = 0
    units = 0
    back = 0
    cats: dict[str, int] = {}
    codes: set[str] = set()
    ctx = order.context
    if ctx.promo_code is not None:
        codes.add(ctx.promo_code)
    codes.update(d.code for d in order.discounts if d.code is not None)
    for line in order.lines:
        q = line.quantities
        kept = q.ordered - q.cancelled
        ret = min(returned.get(line.line_no, 0), kept)
        net = line.unit_price.amount * q.ordered - line.line_discount.amount
        net = net - line.order_discount.amount
        net_minor = int(net.scaleb(scale))
        left = kept - ret
        value += net_minor if left == q.ordered else _half_up(net_minor * left, q.ordered)
        units += kept
        back += ret
        if line.category is not None and left:
            cats[line.category] = cats.get(line.category, 0) + left
        codes.update(d.code for d in line.discounts if d.code is not None)
    return _OrderFacts(
        live=order.state is not OrderState.CANCELLED,
        day=day_of(order, tz),
        currency=order.currency,
        value=value,
        units=units,
        returned=back,
        channel=order.channel,
        store=ctx.store_id,
        campaign=ctx.campaign,
        promo_codes=tuple(sorted(codes)),
        categories=tuple(sorted(cats.items())),
    )


class _Aggregate:
    """The mergeable aggregates of one customer (private; see the module docstring)."""

    __slots__ = (
        "balance",
        "campaigns",
        "cancelled",
        "categories",
        "channels",
        "facts",
        "orders",
        "orders_by_currency",
        "promo_codes",
        "returned",
        "revenue",
        "series",
        "stores",
        "units",
    )

    def __init__(self) -> None:
        self.orders = 0
        self.cancelled = 0
        self.units = 0
        self.returned = 0
        self.revenue: dict[str, int] = {}
        self.orders_by_currency: dict[str, int] = {}
        self.channels: dict[Channel, int] = {}
        self.categories: dict[str, int] = {}
        self.stores: dict[str, int] = {}
        self.campaigns: dict[str, int] = {}
        self.promo_codes: dict[str, int] = {}
        self.series: dict[str, _Series] = {}
        self.balance: dict[str, int] = {}
        self.facts: dict[str, _OrderFacts] = {}

    def _state(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _Aggregate):
            return NotImplemented
        return self._state() == other._state()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        fields = ", ".join(f"{n}={getattr(self, n)!r}" for n in self.__slots__)
        return f"_Aggregate({fields})"


class _Store:
    """Every customer's aggregate, and an index of purchase series by currency (private).

    Pure: knows nothing of the hub. ``series_by_currency[currency]`` holds the same series
    objects as the aggregates' ``series[currency]``, in columns, so that an RFM summary walks
    flat arrays.
    """

    def __init__(self) -> None:
        self.aggregates: dict[str, _Aggregate] = {}
        self.imported: dict[str, list[tuple[int, str, int]]] = {}
        self.series_by_currency: dict[str, _Columns] = {}
        self._bulk = False

    def bulk(self, on: bool) -> None:
        """Start (``True``) or end a bulk load: the summary rows are written once, at the
        end, for every series the load touched."""
        self._bulk = on
        for columns in self.series_by_currency.values():
            if on:
                columns.defer()
            else:
                columns.flush()

    def aggregate(self, customer_id: str) -> _Aggregate:
        agg = self.aggregates.get(customer_id)
        if agg is None:
            agg = self.aggregates[customer_id] = _Aggregate()
        return agg

    # -- applying facts ---------------------------------------------------------------------

    def _series(self, customer_id: str, agg: _Aggregate, currency: str) -> _Series:
        s = agg.series.get(currency)
        if s is None:
            s = agg.series[currency] = _Series()
            columns = self.series_by_currency.get(currency)
            if columns is None:
                columns = self.series_by_currency[currency] = _Columns(currency)
                if self._bulk:
                    columns.defer()
            columns.attach(customer_id, s)
        return s

    def _drop_if_empty(self, customer_id: str, agg: _Aggregate, currency: str) -> None:
        s = agg.series.get(currency)
        if s is not None and not s:
            del agg.series[currency]
            columns = self.series_by_currency[currency]
            columns.detach(customer_id)
            if not columns:
                del self.series_by_currency[currency]

    def add(self, customer_id: str, agg: _Aggregate, f: _OrderFacts, sign: int) -> None:
        """Add (``sign`` 1) or take away (-1) the contribution ``f``."""
        if not f.live:
            agg.cancelled += sign
            return
        cur = f.currency
        agg.orders += sign
        agg.units += sign * f.units
        agg.returned += sign * f.returned
        _bump(agg.orders_by_currency, cur, sign)
        if cur in agg.orders_by_currency:
            agg.revenue[cur] = agg.revenue.get(cur, 0) + sign * f.value
        else:
            del agg.revenue[cur]
        _bump(agg.channels, f.channel, sign)
        if f.store is not None:
            _bump(agg.stores, f.store, sign)
        if f.campaign is not None:
            _bump(agg.campaigns, f.campaign, sign)
        for code in f.promo_codes:
            _bump(agg.promo_codes, code, sign)
        for cat, n in f.categories:
            _bump(agg.categories, cat, sign * n)
        s = self._series(customer_id, agg, cur)
        if sign > 0:
            s.add(f.day, f.value)
        else:
            s.remove(f.day, f.value)
            self._drop_if_empty(customer_id, agg, cur)

    def record(self, customer_id: str, order_id: str, new: _OrderFacts) -> bool:
        """Record the facts of ``order_id`` as ``new``; False when nothing changed."""
        agg = self.aggregate(customer_id)
        old = agg.facts.get(order_id)
        if old == new:
            return False
        agg.facts[order_id] = new
        if (
            old is not None
            and old.live
            and new.live
            and old.day == new.day
            and old.currency == new.currency
        ):
            # The common change (a partial cancellation, a return): same order, same day.
            self._shift(customer_id, agg, old, new)
            return True
        if old is not None:
            self.add(customer_id, agg, old, -1)
        self.add(customer_id, agg, new, 1)
        return True

    def _shift(
        self, customer_id: str, agg: _Aggregate, old: _OrderFacts, new: _OrderFacts
    ) -> None:
        agg.units += new.units - old.units
        agg.returned += new.returned - old.returned
        agg.revenue[new.currency] += new.value - old.value
        for cat, n in old.categories:
            _bump(agg.categories, cat, -n)
        for cat, n in new.categories:
            _bump(agg.categories, cat, n)
        if (old.channel, old.store, old.campaign, old.promo_codes) != (
            new.channel,
            new.store,
            new.campaign,
            new.promo_codes,
        ):  # pragma: no cover - the capture context of an order never changes
            raise AssertionError("an order's capture context changed")
        agg.series[new.currency].adjust(new.day, new.value - old.value)

    def import_row(self, customer_id: str, day: int, currency: str, value: int) -> None:
        """One order from outside the hub: a purchase of ``value`` on ``day``.

        The row is also kept as it came, for :meth:`replay_imported`.
        """
        agg = self.aggregates.get(customer_id)
        if agg is None:
            agg = self.aggregates[customer_id] = _Aggregate()
        agg.orders += 1
        agg.revenue[currency] = agg.revenue.get(currency, 0) + value
        agg.orders_by_currency[currency] = agg.orders_by_currency.get(currency, 0) + 1
        s = agg.series.get(currency)
        if s is None:
            s = self._series(customer_id, agg, currency)
        s.add(day, value)
        rows = self.imported.get(customer_id)
        if rows is None:
            rows = self.imported[customer_id] = []
        rows.append((day, currency, value))

    def replay_imported(self, customer_id: str, rows: list[tuple[int, str, int]]) -> None:
        """Import ``rows`` (as kept by :meth:`import_row`) again, into this store."""
        for day, currency, value in rows:
            self.import_row(customer_id, day, currency, value)

    def note_balance(self, customer_id: str, currency: str, delta: int) -> None:
        """The customer's open receivable balance moved by ``delta`` minor units."""
        _bump(self.aggregate(customer_id).balance, currency, delta)

    # -- merging ----------------------------------------------------------------------------

    def fold(self, duplicate_id: str, survivor_id: str) -> None:
        """Add everything of ``duplicate_id`` to ``survivor_id`` and forget the duplicate."""
        dup = self.aggregates.pop(duplicate_id, None)
        if dup is not None:
            for cur in list(dup.series):
                columns = self.series_by_currency[cur]
                columns.detach(duplicate_id)
                if not columns:
                    del self.series_by_currency[cur]
            agg = self.aggregate(survivor_id)
            absorb(agg, dup, lambda cur: self._series(survivor_id, agg, cur))
        rows = self.imported.pop(duplicate_id, None)
        if rows is not None:
            self.imported.setdefault(survivor_id, []).extend(rows)


def absorb(agg: _Aggregate, other: _Aggregate, series_of: Callable[[str], _Series]) -> None:
    """Add the aggregate ``other`` to ``agg``; ``series_of(currency)`` gives (or makes)
    ``agg``'s series for a currency."""
    agg.orders += other.orders
    agg.cancelled += other.cancelled
    agg.units += other.units
    agg.returned += other.returned
    for cur, v in other.revenue.items():
        agg.revenue[cur] = agg.revenue.get(cur, 0) + v
    _add_counts(agg.orders_by_currency, other.orders_by_currency)
    _add_counts(agg.channels, other.channels)
    _add_counts(agg.categories, other.categories)
    _add_counts(agg.stores, other.stores)
    _add_counts(agg.campaigns, other.campaigns)
    _add_counts(agg.promo_codes, other.promo_codes)
    _add_counts(agg.balance, other.balance)
    agg.facts.update(other.facts)
    for cur, s in other.series.items():
        series_of(cur).absorb(s)


def _add_counts(mine: dict[_K, int], theirs: dict[_K, int]) -> None:
    for k, n in theirs.items():
        _bump(mine, k, n)


# -- the profile snapshot -----------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Profile:
    """What the hub knows about one customer, as an immutable snapshot.

    Kept current from the hub's events: ``hub.insights.profile(id)`` answers with the
    profile as it stands. Counts and amounts cover the customer's live orders (not
    cancelled as a whole) and the history imported with ``import_history``; amounts are net
    of cancelled and returned units, per currency. ``first_purchase``, ``last_purchase`` and
    ``purchase_days`` are calendar days in the insight time zone (UTC unless set).

    The time-relative fields (``as_of``, ``rfm``, ``rfm_score``) refer to the day of the last
    :meth:`Insights.refresh`; they are ``None`` before the first.
    """

    customer_id: str
    orders: int
    cancelled_orders: int
    purchase_days: int
    first_purchase: date | None
    last_purchase: date | None
    revenue: dict[str, Money]
    """Net revenue per currency."""
    average_order_value: dict[str, Money]
    """Net revenue ÷ orders per currency, rounded half-up to the minor unit."""
    channel_mix: dict[Channel, int]
    """Orders per channel."""
    category_mix: dict[str, int]
    """Units kept (not cancelled or returned) per catalog category."""
    store_mix: dict[str, int]
    """Orders per store (the capture context's ``store_id``)."""
    favourite_store: str | None
    """The store with the most orders (ties: the smallest store id)."""
    campaigns: dict[str, int]
    """Orders per campaign."""
    promo_codes: dict[str, int]
    """Orders per promo code (the context's promo code and every discount's code)."""
    units: int
    """Units bought: ordered less cancelled (returned units included)."""
    returned_units: int
    return_rate: Decimal | None
    """Returned units ÷ units bought; ``None`` with nothing bought."""
    open_balance: dict[str, Money]
    """Open receivable balance per currency (empty until receivables report balances)."""
    attributes: dict[str, AttributeValue] = attrs.field(repr=False)
    """The latest captured value of each attribute, from the customer master."""
    consents: dict[ConsentChannel, bool]
    """Current marketing consent per contact channel, from the customer master."""
    as_of: date | None = None
    rfm: RFM | None = None
    """The RFM summary as of ``as_of`` in the period and currency of the last refresh."""
    rfm_score: RFMScore | None = None
    """The RFM scores against the population of the last refresh."""

    @property
    def days_since_last_purchase(self) -> int | None:
        """Days from the last purchase to ``as_of`` (negative for a purchase after it)."""
        if self.as_of is None or self.last_purchase is None:
            return None
        return (self.as_of - self.last_purchase).days

    def revenue_in(self, currency: str) -> Money:
        """Net revenue in ``currency`` (zero when none)."""
        return self.revenue.get(currency) or Money.zero(currency)


def profile_of(
    customer: Customer,
    agg: _Aggregate | None,
    *,
    as_of: date | None = None,
    rfm: RFM | None = None,
    rfm_score: RFMScore | None = None,
) -> Profile:
    """The profile snapshot of ``customer`` from their aggregate."""
    if agg is None:
        agg = _EMPTY
    first = last = None
    n_days = 0
    if len(agg.series) == 1:
        keys = next(iter(agg.series.values())).keys[0]
        first, last, n_days = keys[0], keys[-1], len(keys)
    elif agg.series:
        days = set().union(*(s.keys[0] for s in agg.series.values()))
        first, last, n_days = min(days), max(days), len(days)
    revenue = {c: Money.from_minor(v, c) for c, v in sorted(agg.revenue.items())}
    aov = {
        c: Money.from_minor(_half_up(agg.revenue.get(c, 0), n), c)
        for c, n in sorted(agg.orders_by_currency.items())
    }
    favourite = min(agg.stores, key=lambda s: (-agg.stores[s], s)) if agg.stores else None
    rate = None
    if agg.units:
        rate = _CTX.divide(Decimal(agg.returned), agg.units)
    return Profile(
        customer_id=customer.id,
        orders=agg.orders,
        cancelled_orders=agg.cancelled,
        purchase_days=n_days,
        first_purchase=None if first is None else date.fromordinal(first),
        last_purchase=None if last is None else date.fromordinal(last),
        revenue=revenue,
        average_order_value=aov,
        channel_mix=dict(agg.channels),
        category_mix=dict(sorted(agg.categories.items())),
        store_mix=dict(sorted(agg.stores.items())),
        favourite_store=favourite,
        campaigns=dict(sorted(agg.campaigns.items())),
        promo_codes=dict(sorted(agg.promo_codes.items())),
        units=agg.units,
        returned_units=agg.returned,
        return_rate=rate,
        open_balance={c: Money.from_minor(v, c) for c, v in sorted(agg.balance.items())},
        attributes=customer.attributes,
        consents=customer.consents,
        as_of=as_of,
        rfm=rfm,
        rfm_score=rfm_score,
    )


_EMPTY: Final = _Aggregate()
