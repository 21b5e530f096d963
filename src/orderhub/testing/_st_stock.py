"""Strategies of the network, the stock book and routing: locations, positions, movements,
reservations, supplies, plans' parts and the built-in routing strategies.

Private: import them from :mod:`orderhub.testing.strategies`.
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from orderhub._money import Money
from orderhub._network import Capability, Location, LocationKind, Network
from orderhub._stock import (
    Movement,
    MovementKind,
    Reservation,
    ReserveRequest,
    StockBook,
    StockPosition,
    Supply,
    SupplyKind,
)
from orderhub._values import Channel
from orderhub.routing import (
    AllowSplit,
    Assignment,
    Backorder,
    ByCost,
    ByDistance,
    ByOwner,
    ByRank,
    Claimer,
    Closest,
    Composed,
    DropShip,
    FewestShipments,
    ForChannel,
    HasCapability,
    HasCapacity,
    LocationFilter,
    LowestCost,
    OwnedBy,
    Pipeline,
    PlannedLine,
    Priority,
    Ranker,
    RoutingStrategy,
    ServesShipTo,
    ShipComplete,
    SplitPolicy,
    compose,
)
from orderhub.testing import FixedClock, SequentialIds
from orderhub.testing._st_values import (
    _COUNTRIES,
    _cached,
    _optional,
    _tokens,
    aware_datetimes,
    geo_points,
    money,
    skus,
    texts,
)

# -- network and stock ----------------------------------------------------------------------


@_cached
def locations(*, kinds: Sequence[LocationKind] | None = None) -> st.SearchStrategy[Location]:
    """Locations of every kind, with or without position, costs, capacity and regions."""
    region = st.builds(
        lambda c, r: c if r is None else f"{c}-{r}",
        st.sampled_from(_COUNTRIES),
        _optional(st.text(string.ascii_uppercase, min_size=1, max_size=3)),
    )
    cost = _optional(money("USD", max_value=1000))
    return st.builds(
        Location,
        id=_tokens(),
        kind=st.sampled_from(tuple(kinds) if kinds else tuple(LocationKind)),
        geo=_optional(geo_points()),
        erp=_tokens(),
        owner=_tokens(),
        vendor=_optional(_tokens()),
        capabilities=st.frozensets(st.sampled_from(Capability)),
        rank=st.integers(-1000, 1000),
        cost_per_shipment=cost,
        cost_per_km=cost,
        daily_capacity=_optional(st.integers(0, 10**6)),
        regions=st.frozensets(region, max_size=3),
    )


def stock_positions() -> st.SearchStrategy[StockPosition]:
    """On-hand and reserved units of one SKU at one location (reserved ≤ on-hand)."""
    return st.integers(0, 10**9).flatmap(
        lambda on_hand: st.builds(
            StockPosition,
            location_id=_tokens(),
            sku=skus(),
            on_hand=st.just(on_hand),
            reserved=st.integers(0, on_hand),
        )
    )


def movements() -> st.SearchStrategy[Movement]:
    """Stock ledger entries of every kind."""
    delta = st.integers(-(10**6), 10**6)
    return st.builds(
        Movement,
        seq=st.integers(1, 10**9),
        location_id=_tokens(),
        sku=skus(),
        kind=st.sampled_from(MovementKind),
        on_hand_delta=delta,
        reserved_delta=delta,
        reason=_optional(texts(max_size=20)),
        reference=_optional(_tokens()),
        at=aware_datetimes(),
    )


def reserve_requests() -> st.SearchStrategy[ReserveRequest]:
    """Requests to hold units of one order line at one location."""
    return st.builds(
        ReserveRequest,
        location_id=_tokens(),
        sku=skus(),
        quantity=st.integers(1, 10**6),
        line_no=st.integers(1, 500),
    )


@st.composite
def reservations(draw: st.DrawFn) -> Reservation:
    """Units held for one order line, partly released or consumed."""
    quantity = draw(st.integers(1, 10**6))
    released = draw(st.integers(0, quantity))
    return Reservation(
        id=draw(_tokens()),
        order_id=draw(_tokens()),
        line_no=draw(st.integers(1, 500)),
        location_id=draw(_tokens()),
        sku=draw(skus()),
        quantity=quantity,
        released=released,
        consumed=draw(st.integers(0, quantity - released)),
        expires_at=draw(_optional(aware_datetimes())),
        created_at=draw(aware_datetimes()),
    )


@st.composite
def supplies(draw: st.DrawFn) -> Supply:
    """Incoming supply: purchase orders and transfers, partly committed and received."""
    quantity = draw(st.integers(1, 10**6))
    return Supply(
        id=draw(_tokens()),
        sku=draw(skus()),
        location_id=draw(_tokens()),
        quantity=quantity,
        expected=draw(st.dates()),
        kind=draw(st.sampled_from(SupplyKind)),
        committed=draw(st.integers(0, quantity)),
        received=draw(st.integers(0, quantity)),
    )


# -- routing --------------------------------------------------------------------------------


def planned_lines(*, max_quantity: int = 99) -> st.SearchStrategy[PlannedLine]:
    """Units of one order line in one assignment."""
    return st.builds(
        PlannedLine,
        line_no=st.integers(1, 50),
        sku=skus(),
        quantity=st.integers(1, max_quantity),
    )


def _planned_line_tuples(max_quantity: int) -> st.SearchStrategy[tuple[PlannedLine, ...]]:
    numbers = st.lists(st.integers(1, 50), min_size=1, max_size=4, unique=True).map(sorted)
    return numbers.flatmap(
        lambda ns: st.tuples(
            *(
                st.builds(
                    PlannedLine,
                    line_no=st.just(n),
                    sku=skus(),
                    quantity=st.integers(1, max_quantity),
                )
                for n in ns
            )
        )
    )


def assignments(*, max_quantity: int = 99) -> st.SearchStrategy[Assignment]:
    """One shipment of a plan: a location, its ERP, one or more lines (each line once, in
    line order) and a reason."""
    return st.builds(
        Assignment,
        location_id=_tokens(),
        erp=_tokens(),
        lines=_planned_line_tuples(max_quantity),
        reason=texts(max_size=30),
    )


def backorders(*, max_quantity: int = 10**6) -> st.SearchStrategy[Backorder]:
    """Units that wait: for a named supply (with its location and date) or for none."""
    waiting: st.SearchStrategy[dict[str, Any]] = st.fixed_dictionaries({})
    supplied = st.fixed_dictionaries(
        {"supply_id": _tokens(), "location_id": _tokens(), "expected": st.dates()}
    )
    return st.builds(
        lambda more, **fields: Backorder(**fields, **more),
        waiting | supplied,
        line_no=st.integers(1, 50),
        sku=skus(),
        quantity=st.integers(1, max_quantity),
        reason=texts(max_size=30),
    )


@_cached
def location_filters() -> st.SearchStrategy[LocationFilter]:
    """The built-in eligibility rules of a :class:`~orderhub.routing.Pipeline`."""
    return st.one_of(
        st.builds(HasCapability, st.sampled_from(Capability)),
        st.just(ServesShipTo()),
        st.just(HasCapacity()),
        st.builds(OwnedBy, _tokens()),
        st.builds(ForChannel, st.sampled_from(Channel), st.frozensets(_tokens(), max_size=3)),
    )


@_cached
def rankers() -> st.SearchStrategy[Ranker]:
    """The built-in rankers: by distance, by rank, by cost."""
    return st.sampled_from((ByDistance(), ByRank(), ByCost()))


@_cached
def split_policies(currency: str | None = None) -> st.SearchStrategy[SplitPolicy]:
    """:class:`~orderhub.routing.ShipComplete` or :class:`~orderhub.routing.AllowSplit` with
    optional limits (a minimum shipment value in ``currency``; none when ``None``)."""
    value: st.SearchStrategy[Money | None] = (
        st.none() if currency is None else _optional(money(currency, max_value=1000))
    )
    return st.one_of(
        st.just(ShipComplete()),
        st.builds(
            AllowSplit, max_shipments=_optional(st.integers(1, 5)), min_shipment_value=value
        ),
    )


@_cached
def claimers() -> st.SearchStrategy[Claimer]:
    """The built-in stages of :func:`~orderhub.routing.compose`: by owner, drop ship."""
    return st.one_of(
        st.just(DropShip()),
        st.builds(
            ByOwner,
            home=st.just("main"),
            rankers=st.lists(rankers(), min_size=1, max_size=2).map(tuple),
            split=split_policies(),
        ),
    )


_STRATEGY_KINDS: tuple[type[Any], ...] = (
    Closest,
    Priority,
    LowestCost,
    FewestShipments,
    Pipeline,
    Composed,
    ByOwner,
    DropShip,
)
"""The built-in routing strategies."""


@_cached
def routing_strategies(
    currency: str | None = None,
    *,
    kinds: Sequence[type[Any]] | None = None,
    max_depth: int = 2,
) -> st.SearchStrategy[RoutingStrategy]:
    """Built-in routing strategies and their compositions: closest, priority, lowest cost,
    fewest shipments, pipelines of filters and rankers, by owner, drop ship, fallbacks
    (nested up to ``max_depth``), and ``compose(claimers..., strategy)``. ``kinds`` keeps
    the outermost strategy to those classes. A split policy's minimum shipment value is in
    ``currency`` (none when ``None``): plan only orders in that currency with them."""
    filters = st.lists(location_filters(), max_size=2).map(tuple)
    split = split_policies(currency)
    ranked = st.lists(rankers(), max_size=3).map(tuple)

    def of(kind: type[Any], inner: st.SearchStrategy[Any] | None) -> st.SearchStrategy[Any]:
        fallback = st.none() if inner is None else _optional(inner)
        if kind in (Closest, Priority, LowestCost):
            return st.builds(kind, filters=filters, split=split, fallback=fallback)
        if kind is FewestShipments:
            return st.builds(FewestShipments, filters=filters, fallback=fallback)
        if kind is Pipeline:
            return st.builds(
                Pipeline, filters=filters, rankers=ranked, split=split, fallback=fallback
            )
        if kind is Composed:
            then = inner if inner is not None else st.one_of(*[of(k, None) for k in _SIMPLE])
            return st.builds(_composed, st.lists(claimers(), max_size=2), then)
        if kind is ByOwner:
            return st.builds(
                ByOwner,
                home=st.sampled_from(("main", "acme")),
                rankers=st.lists(rankers(), min_size=1, max_size=2).map(tuple),
                split=split,
            )
        if kind is DropShip:
            return st.just(DropShip())
        raise InvalidArgument(f"{kind!r} is not a built-in routing strategy")

    inner: st.SearchStrategy[Any] | None = None
    for _ in range(max_depth):
        inner = st.one_of(*[of(k, inner) for k in _STRATEGY_KINDS])
    built = st.one_of(*[of(k, inner) for k in (tuple(kinds) if kinds else _STRATEGY_KINDS)])
    return st.deferred(lambda: built)  # the nested repr would run to tens of kB


_SIMPLE = (Closest, Priority, LowestCost, FewestShipments, ByOwner, DropShip)


def _composed(stages: list[Claimer], then: RoutingStrategy) -> Composed:
    return compose(*stages, then)


# -- books: the network and the stock book after valid commands ------------------------------


def networks(*, min_size: int = 0, max_size: int = 6) -> st.SearchStrategy[Network]:
    """A :class:`~orderhub.Network` of locations with distinct ids, of every kind."""
    return st.lists(
        locations(), min_size=min_size, max_size=max_size, unique_by=lambda loc: loc.id
    ).map(_network_of)


def _network_of(found: list[Location]) -> Network:
    network = Network()
    for location in found:
        network.add(location)
    return network


@st.composite
def stock_books(
    draw: st.DrawFn, *, max_operations: int = 12, max_quantity: int = 10**6
) -> StockBook:
    """A :class:`~orderhub.StockBook` after a run of valid commands: receipts, adjustments,
    transfers, reservations (some expiring) released, consumed or expired, and incoming
    supply announced and received. Its ledger always adds up."""
    clock = FixedClock(draw(aware_datetimes(max_value=datetime(2090, 1, 1, tzinfo=UTC))))
    book = StockBook(clock)
    ids = SequentialIds()
    places = draw(st.lists(_tokens(), min_size=1, max_size=3, unique=True))
    goods = draw(st.lists(skus(), min_size=1, max_size=3, unique=True))
    supplies_added: list[str] = []
    for _ in range(draw(st.integers(0, max_operations))):
        loc, sku = draw(st.sampled_from(places)), draw(st.sampled_from(goods))
        free = book.available(loc, sku)
        live = [r for r in book.reservations() if r.remaining]
        op = draw(st.sampled_from(_STOCK_OPERATIONS))
        if op == "receive" or (op in ("adjust", "transfer", "reserve") and not free):
            book.receive(
                loc,
                sku,
                draw(st.integers(1, max_quantity)),
                reason=draw(_optional(texts(max_size=10))),
            )
        elif op == "adjust":
            delta = draw(st.integers(-free, max_quantity - 1))
            delta += delta >= 0  # never zero
            book.adjust(loc, sku, delta, reason=draw(texts(max_size=10)))
        elif op == "transfer" and len(places) > 1:
            to = draw(st.sampled_from([p for p in places if p != loc]))
            book.transfer(loc, to, sku, draw(st.integers(1, free)))
        elif op == "reserve":
            ttl = draw(_optional(st.integers(1, 120)))
            book.reserve(
                [
                    ReserveRequest(
                        location_id=loc, sku=sku, quantity=draw(st.integers(1, free)), line_no=1
                    )
                ],
                order_id=draw(_tokens()),
                expires_at=None if ttl is None else clock.now() + timedelta(minutes=ttl),
                ids=ids,
            )
        elif op in ("release", "consume") and live:
            r = draw(st.sampled_from(live))
            q = draw(st.integers(1, r.remaining))
            if op == "release":
                book.release(r.id, q, reason=draw(_optional(texts(max_size=10))))
            else:
                book.consume(r.id, q)
        elif op == "supply":
            supply_id = ids.new_id("supply")
            book.add_supply(
                Supply(
                    id=supply_id,
                    sku=sku,
                    location_id=loc,
                    quantity=draw(st.integers(1, max_quantity)),
                    expected=clock.now().date() + timedelta(days=draw(st.integers(0, 90))),
                    kind=draw(st.sampled_from(SupplyKind)),
                )
            )
            supplies_added.append(supply_id)
        elif op == "arrive" and supplies_added:
            supply = book.supply(draw(st.sampled_from(supplies_added)))
            if supply.outstanding:
                book.receive_supply(supply.id, draw(st.integers(1, supply.outstanding)))
        elif op == "tick":
            clock.advance(minutes=draw(st.integers(1, 240)))
            book.expire(clock.now())
    return book


_STOCK_OPERATIONS = (
    "receive", "adjust", "transfer", "reserve", "release", "consume", "supply", "arrive", "tick",
)  # fmt: skip
