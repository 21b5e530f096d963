"""Routing properties over random networks, stock, supplies, orders and strategies."""

from __future__ import annotations

from datetime import date

import attrs
from hypothesis import given
from hypothesis import strategies as st

from helpers import address, make_hub, request
from orderhub import GeoPoint, LineRequest, Money, Order
from orderhub._network import Capability, Location, LocationKind, Network
from orderhub._stock import StockBook, Supply
from orderhub.routing import (
    AllowSplit,
    ByCost,
    ByDistance,
    ByOwner,
    ByRank,
    Closest,
    DropShip,
    FewestShipments,
    HasCapability,
    HasCapacity,
    LowestCost,
    NetworkView,
    OwnedBy,
    Pipeline,
    Priority,
    RoutingPlan,
    RoutingStrategy,
    ServesShipTo,
    ShipComplete,
    compose,
)

SKUS = ("TENT", "MAT", "LAMP", "STOVE")
"""The test catalog's USD items: LAMP is owned by acme, STOVE drop-shipped by stoves-inc."""

POINTS = (
    None,
    GeoPoint(41.85, -87.65),
    GeoPoint(39.96, -83.00),
    GeoPoint(40.76, -74.03),
    GeoPoint(32.78, -96.80),
)
"""Positions locations and ship-tos are drawn from (few, so that distances tie)."""

KINDS = (LocationKind.DC, LocationKind.STORE, LocationKind.DROP_SHIPPER)
"""The kinds of location drawn."""

STRATEGIES: tuple[RoutingStrategy, ...] = (
    Closest(),
    Priority(),
    LowestCost(),
    FewestShipments(),
    Closest(split=ShipComplete()),
    Closest(split=AllowSplit(max_shipments=2)),
    Closest(split=AllowSplit(min_shipment_value=Money("40.00", "USD"))),
    compose(ByOwner(), DropShip(), Closest()),
    compose(DropShip(), Priority(split=ShipComplete())),
    ByOwner(split=ShipComplete()),
    Pipeline(
        filters=(HasCapability(Capability.SHIPS_PARCELS), ServesShipTo(), HasCapacity()),
        rankers=(ByRank(), ByCost(), ByDistance()),
        split=AllowSplit(max_shipments=1),
        fallback=FewestShipments(filters=(OwnedBy("main"),)),
    ),
    Closest(split=ShipComplete(), fallback=Priority(split=AllowSplit(max_shipments=2))),
)
"""The strategies every property runs over."""


@attrs.frozen
class Scenario:
    """One routing problem: an order, what the network holds, and a strategy."""

    order: Order
    network: Network
    stock: StockBook
    excluded: frozenset[str]
    capacity_used: dict[str, int]
    strategy: RoutingStrategy

    def view(self) -> NetworkView:
        """A fresh view of the scenario's network."""
        return NetworkView(
            self.network, self.stock, excluded=self.excluded, capacity_used=self.capacity_used
        )

    def plan(self) -> RoutingPlan:
        """The strategy's plan for the order."""
        return self.strategy.plan(self.order, self.view())


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    """A network of up to six locations (DCs, stores, a drop shipper, one acme DC), random
    stock and supplies, an order of up to five lines (SKUs may repeat, some units
    cancelled), some excluded locations and a strategy."""
    hub, clock = make_hub()
    network = Network()
    stock = StockBook(clock)
    n = draw(st.integers(1, 6))
    ids = [f"loc-{i}" for i in range(n)]
    for location_id in ids:
        kind = draw(
            st.sampled_from([LocationKind.DC, LocationKind.STORE, LocationKind.DROP_SHIPPER])
        )
        cost = draw(st.sampled_from([None, Money("5.00", "USD"), Money("0.02", "USD")]))
        network.add(
            Location(
                id=location_id,
                kind=kind,
                geo=draw(st.sampled_from(POINTS)),
                owner=draw(st.sampled_from(["main", "main", "acme"])),
                erp=draw(st.sampled_from(["main", "erp-acme"])),
                vendor="stoves-inc" if kind is LocationKind.DROP_SHIPPER else None,
                rank=draw(st.integers(1, 3)),
                cost_per_shipment=cost,
                cost_per_km=draw(st.sampled_from([None, Money("0.01", "USD")])),
                daily_capacity=draw(st.sampled_from([None, 1, 2])),
                regions=draw(st.sampled_from([frozenset(), frozenset({"US"}), frozenset({"CA"})])),
                capabilities=draw(
                    st.sampled_from([{Capability.SHIPS_PARCELS}, {Capability.CLICK_AND_COLLECT}])
                ),
            )
        )
    for location_id in ids:
        for sku in draw(st.lists(st.sampled_from(SKUS), max_size=4, unique=True)):
            stock.receive(location_id, sku, draw(st.integers(1, 8)))
    for i in range(draw(st.integers(0, 4))):
        quantity = draw(st.integers(1, 6))
        supply = Supply(
            id=f"PO-{draw(st.integers(1, 9))}-{i}",
            sku=draw(st.sampled_from(SKUS)),
            location_id=draw(st.sampled_from([*ids, "elsewhere"])),
            quantity=quantity,
            expected=date(2026, 3, draw(st.integers(3, 6))),
        )
        stock.add_supply(supply)
        committed = draw(st.integers(0, quantity))
        if committed:
            stock.commit_supply(supply.id, committed, order_id="order-0", line_no=1)
    lines = draw(
        st.lists(st.tuples(st.sampled_from(SKUS), st.integers(1, 9)), min_size=1, max_size=5)
    )
    order = hub.capture(
        request(
            lines=[LineRequest(sku=s, quantity=q) for s, q in lines],
            ship_to=address(geo=draw(st.sampled_from(POINTS))),
        )
    ).order
    for line in order.lines:
        cancel = draw(st.integers(0, line.quantity))
        if cancel:
            hub.cancel_line(order.id, line.line_no, cancel)
    order = hub.order(order.id)
    excluded = frozenset(draw(st.lists(st.sampled_from(ids), max_size=2)))
    used = {i: draw(st.integers(0, 2)) for i in ids}
    return Scenario(order, network, stock, excluded, used, draw(st.sampled_from(STRATEGIES)))


@given(scenarios())
def test_every_plan_routes_each_lines_open_quantity(s: Scenario) -> None:
    """For every line, Σ assigned + Σ backordered equals its open quantity."""
    plan = s.plan()

    plan.check(s.order)
    for line in s.order.lines:
        assert plan.quantity_for(line.line_no) == line.quantities.open


@given(scenarios())
def test_no_location_is_assigned_more_than_it_has(s: Scenario) -> None:
    """Summed over the order's lines, no location gets more of a SKU than it has available,
    and no supply is promised more than its uncommitted units."""
    view = s.view()

    plan = s.plan()

    per_position: dict[tuple[str, str], int] = {}
    for a in plan.assignments:
        for pl in a.lines:
            key = (a.location_id, pl.sku)
            per_position[key] = per_position.get(key, 0) + pl.quantity
    for (location_id, sku), units in per_position.items():
        vendor = next(line.drop_ship_vendor for line in s.order.lines if line.sku == sku)
        assert units <= view.available(location_id, sku, drop_ship_vendor=vendor)
    per_supply: dict[str, int] = {}
    for b in plan.backorders:
        if b.supply_id is not None:
            per_supply[b.supply_id] = per_supply.get(b.supply_id, 0) + b.quantity
    for supply_id, units in per_supply.items():
        assert units <= s.stock.supply(supply_id).uncommitted


@given(scenarios())
def test_plans_are_deterministic(s: Scenario) -> None:
    """The same inputs twice give equal plans, reasons included."""
    first = s.plan()

    second = s.plan()

    assert first == second


@given(scenarios())
def test_excluded_locations_never_appear(s: Scenario) -> None:
    """No assignment and no backorder's supply is at an excluded location."""
    plan = s.plan()

    assert not set(plan.locations) & s.excluded
    assert all(b.location_id not in s.excluded for b in plan.backorders)


@given(scenarios())
def test_every_choice_has_a_reason_and_the_locations_erp(s: Scenario) -> None:
    """Every assignment names its location's ERP, and every assignment and backorder says
    why."""
    plan = s.plan()

    for a in plan.assignments:
        assert a.reason.strip()
        assert a.erp == s.network.get(a.location_id).erp
    assert all(b.reason.strip() for b in plan.backorders)


@given(scenarios())
def test_on_hand_beats_supply(s: Scenario) -> None:
    """A plain Closest plan backorders a SKU only when every eligible unit on hand is used."""
    view = s.view()
    strategy = Closest()

    plan = strategy.plan(s.order, view)

    for b in plan.backorders:
        vendor = next(line.drop_ship_vendor for line in s.order.lines if line.sku == b.sku)
        taken = {
            a.location_id: sum(pl.quantity for pl in a.lines if pl.sku == b.sku)
            for a in plan.assignments
        }
        for location, available in view.candidates(b.sku, drop_ship_vendor=vendor):
            assert taken.get(location.id, 0) == available
