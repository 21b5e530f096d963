"""Routing: each strategy's defining behaviour, the plan's guarantees, and the network view."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from helpers import address, make_hub, request
from orderhub import Channel, GeoPoint, LineRequest, Money, Order
from orderhub._network import Capability, Location, LocationKind, Network
from orderhub._stock import StockBook, Supply
from orderhub.errors import CurrencyMismatch, InvalidQuantity, ValidationError
from orderhub.routing import (
    NO_SUPPLY,
    UNLIMITED,
    AllowSplit,
    Assignment,
    Backorder,
    ByDistance,
    ByOwner,
    ByRank,
    Closest,
    DropShip,
    FewestShipments,
    ForChannel,
    HasCapability,
    HasCapacity,
    LowestCost,
    NetworkView,
    OwnedBy,
    Pipeline,
    PlannedLine,
    Priority,
    RoutingPlan,
    RoutingStrategy,
    ServesShipTo,
    ShipComplete,
    compose,
    shipment_cost,
)
from orderhub.testing import FixedClock

CHICAGO = GeoPoint(41.88, -87.63)
"""Where the test customers live."""

DCS = {
    "dc-il": GeoPoint(41.85, -87.65),  # Chicago, a few km away
    "dc-oh": GeoPoint(39.96, -83.00),  # Columbus, ~440 km
    "dc-nj": GeoPoint(40.76, -74.03),  # New Jersey, ~1,150 km
}


class World:
    """A hub to capture orders with, and a network and stock book to route them over."""

    def __init__(self) -> None:
        self.hub, self.clock = make_hub()
        self.network = Network()
        self.stock = StockBook(self.clock)
        self._n = 0

    def dc(self, location_id: str, geo: GeoPoint | None = None, **fields: Any) -> Location:
        """Add a DC (at its :data:`DCS` position unless told) and return it."""
        fields.setdefault("kind", LocationKind.DC)
        location = Location(id=location_id, geo=geo or DCS.get(location_id), **fields)
        self.network.add(location)
        return location

    def stock_at(self, location_id: str, sku: str, quantity: int) -> None:
        """Receive ``quantity`` units of ``sku`` at ``location_id``."""
        self.stock.receive(location_id, sku, quantity)

    def order(
        self, *lines: tuple[str, int], geo: GeoPoint | None = CHICAGO, **fields: Any
    ) -> Order:
        """Capture an order of ``(sku, quantity)`` lines shipped to Chicago."""
        self._n += 1
        fields.setdefault("ship_to", address(geo=geo))
        return self.hub.capture(
            request(
                f"W-{self._n}",
                lines=[LineRequest(sku=s, quantity=q) for s, q in lines],
                **fields,
            )
        ).order

    def view(self, **kwargs: Any) -> NetworkView:
        """A view over the network and stock."""
        return NetworkView(self.network, self.stock, **kwargs)

    def plan(self, strategy: RoutingStrategy, order: Order, **kwargs: Any) -> RoutingPlan:
        """Plan ``order`` with ``strategy`` and check the plan's guarantee."""
        plan = strategy.plan(order, self.view(**kwargs))
        plan.check(order)
        return plan


@pytest.fixture
def world() -> World:
    """An empty world: no locations, no stock."""
    return World()


@pytest.fixture
def three_dcs(world: World) -> World:
    """Three DCs on one ERP, each with 10 tents and 10 mats."""
    for dc in DCS:
        world.dc(dc)
        world.stock_at(dc, "TENT", 10)
        world.stock_at(dc, "MAT", 10)
    return world


def shipped(plan: RoutingPlan) -> dict[str, dict[int, int]]:
    """{location id: {line no: units}} of a plan's assignments."""
    return {a.location_id: {pl.line_no: pl.quantity for pl in a.lines} for a in plan.assignments}


def waiting(plan: RoutingPlan) -> list[tuple[int, int, str | None]]:
    """(line no, units, supply id) of a plan's backorders."""
    return [(b.line_no, b.quantity, b.supply_id) for b in plan.backorders]


# -- Closest ------------------------------------------------------------------------------


def test_closest_picks_the_customers_closest_dc(three_dcs: World) -> None:
    """Three DCs on one ERP: the one nearest the ship-to point fills the order."""
    order = three_dcs.order(("TENT", 2), ("MAT", 1))

    plan = three_dcs.plan(Closest(), order)

    assert shipped(plan) == {"dc-il": {1: 2, 2: 1}}
    assert plan.assignments[0].erp == "main"
    assert plan.assignments[0].reason == "closest with full availability: 3.7 km"
    assert plan.backorders == ()


def test_closest_out_of_stock_goes_to_the_next_closest(three_dcs: World) -> None:
    """When the closest DC has no stock of a SKU, the next closest that has it is chosen."""
    three_dcs.stock.adjust("dc-il", "TENT", -10, reason="count")
    order = three_dcs.order(("TENT", 2))

    plan = three_dcs.plan(Closest(), order)

    assert shipped(plan) == {"dc-oh": {1: 2}}
    assert plan.assignments[0].reason.startswith("closest with full availability: 4")


def test_closest_prefers_one_location_that_fills_everything_to_a_split(world: World) -> None:
    """A farther DC that has every line beats a split starting at the nearest DC."""
    world.dc("dc-il")
    world.dc("dc-nj")
    world.stock_at("dc-il", "TENT", 5)
    world.stock_at("dc-nj", "TENT", 5)
    world.stock_at("dc-nj", "MAT", 5)
    order = world.order(("TENT", 1), ("MAT", 1))

    plan = world.plan(Closest(), order)

    assert shipped(plan) == {"dc-nj": {1: 1, 2: 1}}


def test_closest_split_fills_whole_lines_before_splitting_a_line(world: World) -> None:
    """In a split, a line one location can fill whole is not spread over nearer locations."""
    world.dc("dc-il")
    world.dc("dc-nj")
    world.stock_at("dc-il", "TENT", 2)
    world.stock_at("dc-il", "MAT", 1)
    world.stock_at("dc-nj", "TENT", 9)
    order = world.order(("TENT", 3), ("MAT", 1))

    plan = world.plan(Closest(), order)

    assert shipped(plan) == {"dc-il": {2: 1}, "dc-nj": {1: 3}}


def test_closest_split_takes_partial_quantities_nearest_first(world: World) -> None:
    """When no location can fill a line whole, the nearest locations each give what they have."""
    for dc in ("dc-il", "dc-oh", "dc-nj"):
        world.dc(dc)
        world.stock_at(dc, "TENT", 2)
    order = world.order(("TENT", 5))

    plan = world.plan(Closest(), order)

    assert shipped(plan) == {"dc-il": {1: 2}, "dc-oh": {1: 2}, "dc-nj": {1: 1}}
    assert plan.assignments[1].reason.startswith("split: closest with partial availability: 4")


def test_closest_without_positions_breaks_ties_by_location_id(world: World) -> None:
    """An order without a geo point is routed by the stable rule: the lowest location id."""
    for dc in ("dc-b", "dc-a", "dc-c"):
        world.dc(dc, geo=CHICAGO)
        world.stock_at(dc, "TENT", 1)
    order = world.order(("TENT", 1), geo=None)

    plan = world.plan(Closest(), order)

    assert plan.locations == ("dc-a",)
    assert plan.assignments[0].reason == "closest with full availability: distance unknown"


def test_locations_without_position_rank_after_those_with_one(world: World) -> None:
    """A location with no geo point ranks after every location at a known distance."""
    world.dc("dc-a", geo=None)
    world.dc("dc-nj")
    world.stock_at("dc-a", "TENT", 1)
    world.stock_at("dc-nj", "TENT", 1)
    order = world.order(("TENT", 1))

    plan = world.plan(Closest(), order)

    assert plan.locations == ("dc-nj",)


# -- Priority, LowestCost, FewestShipments ------------------------------------------------


def test_priority_picks_the_lowest_rank(world: World) -> None:
    """Priority ignores distance: rank 1 beats rank 2 even when farther away."""
    world.dc("dc-il", rank=2)
    world.dc("dc-nj", rank=1)
    world.dc("dc-oh", rank=1)
    for dc in ("dc-il", "dc-nj", "dc-oh"):
        world.stock_at(dc, "TENT", 3)
    order = world.order(("TENT", 1))

    plan = world.plan(Priority(), order)

    assert plan.locations == ("dc-nj",)  # rank 1 tie: lowest id
    assert plan.assignments[0].reason == "highest priority with full availability: rank 1"


def test_lowest_cost_adds_per_shipment_and_per_km_cost(world: World) -> None:
    """LowestCost ranks by cost per shipment + cost per km × distance, computed as Money."""
    world.dc("dc-il", cost_per_shipment=Money("20.00", "USD"))
    world.dc("dc-nj", cost_per_shipment=Money("2.00", "USD"), cost_per_km=Money("0.01", "USD"))
    world.dc("dc-oh")  # no cost configured: ranks last
    for dc in ("dc-il", "dc-nj", "dc-oh"):
        world.stock_at(dc, "TENT", 3)
    order = world.order(("TENT", 1))
    nj = world.network.get("dc-nj")

    plan = world.plan(LowestCost(), order)

    cost = shipment_cost(nj, order)
    assert cost is not None
    km = Decimal(str(round(nj.geo.distance_km(CHICAGO), 3)))  # type: ignore[union-attr]
    assert cost == Money("2.00", "USD") + Money("0.01", "USD").multiply(km)
    assert plan.locations == ("dc-nj",)
    assert plan.assignments[0].reason == f"lowest cost with full availability: {cost}"


def test_unknown_costs_rank_after_known_costs(world: World) -> None:
    """A per-km cost without a distance, or no cost at all, ranks after any known cost."""
    world.dc("dc-a", geo=None, cost_per_km=Money("0.01", "USD"))
    world.dc("dc-b")
    world.dc("dc-c", cost_per_shipment=Money("99.00", "USD"))
    for dc in ("dc-a", "dc-b", "dc-c"):
        world.stock_at(dc, "TENT", 1)
    order = world.order(("TENT", 1))

    plan = world.plan(LowestCost(), order)

    assert plan.locations == ("dc-c",)
    assert shipment_cost(world.network.get("dc-a"), order) is None


def test_fewest_shipments_uses_fewer_locations_than_closest(world: World) -> None:
    """Where nearest-first needs three shipments, FewestShipments needs two."""
    world.dc("dc-il")
    world.dc("dc-oh")
    world.dc("dc-nj")
    world.stock_at("dc-il", "TENT", 1)
    world.stock_at("dc-oh", "MAT", 1)
    world.stock_at("dc-nj", "MAT", 1)
    world.stock_at("dc-nj", "LAMP", 1)
    order = world.order(("TENT", 1), ("MAT", 1), ("LAMP", 1))

    closest = world.plan(Closest(), order)
    fewest = world.plan(FewestShipments(), order)

    assert len(closest.assignments) == 3
    assert shipped(fewest) == {"dc-nj": {2: 1, 3: 1}, "dc-il": {1: 1}}
    assert fewest.assignments[0].reason == "split: fewest shipments: shipment 1 of 2 (1141.3 km)"


def test_fewest_shipments_picks_the_nearest_single_location(three_dcs: World) -> None:
    """Among locations that each fill the order alone, the nearest wins."""
    order = three_dcs.order(("TENT", 1))

    plan = three_dcs.plan(FewestShipments(), order)

    assert plan.locations == ("dc-il",)
    assert plan.assignments[0].reason == "fewest shipments: one location fills the order (3.7 km)"


# -- split policies -----------------------------------------------------------------------


def test_ship_complete_waits_rather_than_splits(world: World) -> None:
    """With no location able to fill the whole order, ShipComplete ships nothing and waits."""
    world.dc("dc-il")
    world.dc("dc-nj")
    world.stock_at("dc-il", "TENT", 1)
    world.stock_at("dc-nj", "MAT", 1)
    order = world.order(("TENT", 1), ("MAT", 1))

    plan = world.plan(Closest(split=ShipComplete()), order)

    assert plan.assignments == ()
    assert waiting(plan) == [(1, 1, None), (2, 1, None)]
    assert plan.backorders[0].reason == (
        "ship complete: no single location can fill the order; no incoming supply"
    )


def test_ship_complete_ships_from_one_location_that_has_everything(three_dcs: World) -> None:
    """ShipComplete is satisfied by the closest location that fills every line."""
    three_dcs.stock.adjust("dc-il", "MAT", -10, reason="count")
    order = three_dcs.order(("TENT", 1), ("MAT", 1))

    plan = three_dcs.plan(Closest(split=ShipComplete()), order)

    assert shipped(plan) == {"dc-oh": {1: 1, 2: 1}}


def test_ship_complete_backorders_against_supply(world: World) -> None:
    """A ship-complete order that waits still takes its place in incoming supply."""
    world.dc("dc-il")
    world.dc("dc-nj")
    world.stock_at("dc-il", "TENT", 1)
    world.stock_at("dc-nj", "MAT", 1)
    world.stock.add_supply(
        Supply(id="PO-1", sku="TENT", location_id="dc-nj", quantity=5, expected=date(2026, 3, 9))
    )
    order = world.order(("TENT", 1), ("MAT", 1))

    plan = world.plan(Closest(split=ShipComplete()), order)

    assert waiting(plan) == [(1, 1, "PO-1"), (2, 1, None)]
    assert plan.backorders[0].reason == (
        "ship complete: no single location can fill the order; on order: PO-1 expected 2026-03-09"
    )


def test_max_shipments_caps_the_split(world: World) -> None:
    """AllowSplit(max_shipments=2) ships from two locations and backorders the rest."""
    for dc in ("dc-il", "dc-oh", "dc-nj"):
        world.dc(dc)
        world.stock_at(dc, "TENT", 1)
    order = world.order(("TENT", 3))

    plan = world.plan(Closest(split=AllowSplit(max_shipments=2)), order)

    assert shipped(plan) == {"dc-il": {1: 1}, "dc-oh": {1: 1}}
    assert waiting(plan) == [(1, 1, None)]
    assert plan.backorders[0].reason == "split limit: at most 2 shipment(s); no incoming supply"


def test_min_shipment_value_skips_small_shipments(world: World) -> None:
    """A split shipment worth less than the minimum is not made; its units wait."""
    world.dc("dc-il")
    world.dc("dc-nj")
    world.stock_at("dc-il", "TENT", 1)
    world.stock_at("dc-nj", "MAT", 1)
    order = world.order(("TENT", 1), ("MAT", 1))  # 149.00 and 30.00

    plan = world.plan(Closest(split=AllowSplit(min_shipment_value=Money("50.00", "USD"))), order)

    assert shipped(plan) == {"dc-il": {1: 1}}
    assert plan.backorders[0].reason == (
        "split limit: each shipment worth at least 50.00 USD; no incoming supply"
    )


def test_min_shipment_value_does_not_stop_a_single_location(three_dcs: World) -> None:
    """One location filling a small order whole is not a split, so the minimum does not apply."""
    order = three_dcs.order(("MAT", 1))

    plan = three_dcs.plan(Closest(split=AllowSplit(min_shipment_value=Money(100, "USD"))), order)

    assert plan.locations == ("dc-il",)


def test_min_shipment_value_in_another_currency_is_refused(three_dcs: World) -> None:
    """A minimum shipment value in another currency than the order's is an error."""
    order = three_dcs.order(("MAT", 1))
    strategy = Closest(split=AllowSplit(min_shipment_value=Money(100, "EUR")))

    with pytest.raises(CurrencyMismatch):
        strategy.plan(order, three_dcs.view())


# -- on-hand, supply, waiting -------------------------------------------------------------


def test_on_hand_beats_a_shipment_arriving_tomorrow(world: World) -> None:
    """Stock on hand far away is used before a supply arriving tomorrow at the nearest DC."""
    world.dc("dc-il")
    world.dc("dc-nj")
    world.stock_at("dc-nj", "TENT", 1)
    world.stock.add_supply(
        Supply(id="PO-1", sku="TENT", location_id="dc-il", quantity=9, expected=date(2026, 3, 3))
    )
    order = world.order(("TENT", 1))

    plan = world.plan(Closest(), order)

    assert shipped(plan) == {"dc-nj": {1: 1}}
    assert plan.backorders == ()


def test_units_short_of_stock_are_backordered_against_the_earliest_supply(world: World) -> None:
    """Earliest expected date first; equal dates go to the lowest supply id."""
    world.dc("dc-il")
    world.stock_at("dc-il", "TENT", 1)
    for sid, day in (("PO-9", 5), ("PO-3", 5), ("PO-1", 20)):
        world.stock.add_supply(
            Supply(
                id=sid, sku="TENT", location_id="dc-il", quantity=2, expected=date(2026, 3, day)
            )
        )
    order = world.order(("TENT", 6))

    plan = world.plan(Closest(), order)

    assert shipped(plan) == {"dc-il": {1: 1}}
    assert waiting(plan) == [(1, 2, "PO-3"), (1, 2, "PO-9"), (1, 1, "PO-1")]
    first = plan.backorders[0]
    assert (first.location_id, first.expected) == ("dc-il", date(2026, 3, 5))
    assert first.reason == "on order: PO-3 expected 2026-03-05"


def test_only_uncommitted_supply_is_promised(world: World) -> None:
    """Units of a supply already promised to another order are not promised again."""
    world.dc("dc-il")
    world.stock.add_supply(
        Supply(id="PO-1", sku="TENT", location_id="dc-il", quantity=3, expected=date(2026, 3, 5))
    )
    world.stock.add_supply(
        Supply(id="PO-2", sku="TENT", location_id="dc-il", quantity=3, expected=date(2026, 3, 6))
    )
    world.stock.commit_supply("PO-1", 2, order_id="order-99", line_no=1)
    order = world.order(("TENT", 3))

    plan = world.plan(Closest(), order)

    assert waiting(plan) == [(1, 1, "PO-1"), (1, 2, "PO-2")]


def test_no_stock_and_no_supply_waits_without_error(world: World) -> None:
    """With neither stock nor supply the units wait in a backorder with no supply."""
    world.dc("dc-il")
    order = world.order(("TENT", 2))

    plan = world.plan(Closest(), order)

    assert plan.backorders == (Backorder(line_no=1, sku="TENT", quantity=2, reason=NO_SUPPLY),)
    assert not plan.backorders[0].has_supply


def test_two_lines_of_one_sku_never_over_assign_one_location(world: World) -> None:
    """Demand of two lines for one SKU is summed before it is checked against a location."""
    world.dc("dc-il")
    world.stock_at("dc-il", "TENT", 3)
    order = world.order(("TENT", 2), ("TENT", 2))

    plan = world.plan(Closest(), order)

    assert shipped(plan) == {"dc-il": {1: 2, 2: 1}}
    assert waiting(plan) == [(2, 1, None)]


def test_two_lines_of_one_sku_never_over_commit_one_supply(world: World) -> None:
    """Two lines of one SKU share a supply's uncommitted units, never more."""
    world.dc("dc-il")
    world.stock.add_supply(
        Supply(id="PO-1", sku="TENT", location_id="dc-il", quantity=3, expected=date(2026, 3, 5))
    )
    order = world.order(("TENT", 2), ("TENT", 2))

    plan = world.plan(Closest(), order)

    assert waiting(plan) == [(1, 2, "PO-1"), (2, 1, "PO-1"), (2, 1, None)]


def test_only_open_units_are_routed(three_dcs: World) -> None:
    """Cancelled units are not routed: the plan covers each line's open quantity only."""
    order = three_dcs.order(("TENT", 4), ("MAT", 1))
    three_dcs.hub.cancel_line(order.id, 1, 3)
    three_dcs.hub.cancel_line(order.id, 2)
    order = three_dcs.hub.order(order.id)

    plan = three_dcs.plan(Closest(), order)

    assert shipped(plan) == {"dc-il": {1: 1}}


def test_an_order_with_nothing_open_gets_an_empty_plan(three_dcs: World) -> None:
    """Nothing open, nothing planned."""
    order = three_dcs.order(("TENT", 1))
    three_dcs.hub.cancel_line(order.id, 1)
    order = three_dcs.hub.order(order.id)

    plan = three_dcs.plan(Closest(), order)

    assert plan.is_empty


# -- exclusion, capacity, the view --------------------------------------------------------


def test_an_excluded_location_is_never_used(three_dcs: World) -> None:
    """A location the view excludes (it rejected the order) gets nothing, stock or supply."""
    three_dcs.stock.add_supply(
        Supply(id="PO-1", sku="LAMP", location_id="dc-il", quantity=5, expected=date(2026, 3, 5))
    )
    order = three_dcs.order(("TENT", 1), ("LAMP", 1))
    view = three_dcs.view().excluding({"dc-il"})

    plan = Closest().plan(order, view)

    assert "dc-il" not in plan.locations
    assert shipped(plan) == {"dc-oh": {1: 1}}
    assert waiting(plan) == [(2, 1, None)]


def test_view_candidates_work_from_the_stock_index_not_the_network() -> None:
    """Asking for candidates never iterates the network's locations."""

    class NoScan(Network):
        def __iter__(self) -> Iterator[Location]:
            raise AssertionError("scanned the network")

    clock = FixedClock(make_hub()[1].now())
    network = NoScan()
    stock = StockBook(clock)
    network.add(Location(id="a", kind=LocationKind.DC))
    network.add(Location(id="b", kind=LocationKind.DC))
    network.add(Location(id="ship", kind=LocationKind.DROP_SHIPPER, vendor="v"))
    stock.receive("b", "X", 4)
    stock.receive("ghost", "X", 4)  # a position at a location the network does not know

    view = NetworkView(network, stock)

    assert [(loc.id, n) for loc, n in view.candidates("X")] == [("b", 4)]
    assert [(loc.id, n) for loc, n in view.candidates("X", drop_ship_vendor="v")] == [
        ("b", 4),
        ("ship", UNLIMITED),
    ]
    assert view.candidates("Y") == ()


def test_view_treats_drop_shippers_as_untracked(world: World) -> None:
    """A drop shipper has unlimited availability for its vendor's items and none otherwise."""
    world.dc("ship", kind=LocationKind.DROP_SHIPPER, vendor="stoves-inc")
    view = world.view()

    assert view.available("ship", "STOVE", drop_ship_vendor="stoves-inc") == UNLIMITED
    assert view.available("ship", "STOVE", drop_ship_vendor="other") == 0
    assert view.available("ship", "STOVE") == 0
    assert [loc.id for loc in view.drop_shippers("stoves-inc")] == ["ship"]


def test_view_excluding_hides_locations_everywhere(three_dcs: World) -> None:
    """An excluded location is out of locations(), candidates, supplies and availability."""
    three_dcs.stock.add_supply(
        Supply(id="PO-1", sku="TENT", location_id="dc-il", quantity=5, expected=date(2026, 3, 5))
    )
    base = three_dcs.view()

    view = base.excluding(["dc-il"]).excluding("dc-nj")

    assert view.excluded == frozenset({"dc-il", "dc-nj"})
    assert [loc.id for loc in view.locations()] == ["dc-oh"]
    assert [loc.id for loc, _ in view.candidates("TENT")] == ["dc-oh"]
    assert view.supplies("TENT") == ()
    assert view.available("dc-il", "TENT") == 0
    assert view.location("dc-il").id == "dc-il"
    assert base.excluded == frozenset()  # the original view is unchanged


def test_view_capacity_left(world: World) -> None:
    """Capacity left is the daily capacity less today's use; None means no limit."""
    world.dc("dc-il", daily_capacity=3)
    world.dc("dc-nj")

    view = world.view(capacity_used={"dc-il": 2, "dc-nj": 40})

    assert view.capacity_left("dc-il") == 1
    assert view.capacity_left("dc-nj") is None
    assert world.view(capacity_used={"dc-il": 5}).capacity_left("dc-il") == 0


def test_view_holding_takes_units_out_of_sight(three_dcs: World) -> None:
    """Units a routing already holds are not available to its later stages."""
    three_dcs.stock.add_supply(
        Supply(id="PO-1", sku="TENT", location_id="dc-il", quantity=5, expected=date(2026, 3, 5))
    )

    view = three_dcs.view().holding({("dc-il", "TENT"): 10}, {"PO-1": 2})

    assert "dc-il" not in [loc.id for loc, _ in view.candidates("TENT")]
    assert view.available("dc-il", "TENT") == 0
    assert [(s.id, n) for s, n in view.supplies("TENT")] == [("PO-1", 3)]


def test_view_rejects_bad_arguments(world: World) -> None:
    """Excluded ids must be strings and capacity use non-negative counts."""
    with pytest.raises(ValidationError):
        world.view(excluded=[1])
    with pytest.raises(ValidationError):
        world.view(capacity_used={"dc-il": -1})


# -- ByOwner, DropShip, compose -----------------------------------------------------------


@pytest.fixture
def group(three_dcs: World) -> World:
    """Three main DCs plus an acquired company's DC (acme, its own ERP) and a drop shipper."""
    three_dcs.dc("acme-dc", geo=GeoPoint(42.0, -88.0), owner="acme", erp="erp-acme")
    three_dcs.dc("stoves", kind=LocationKind.DROP_SHIPPER, vendor="stoves-inc", erp="erp-stoves")
    three_dcs.stock_at("acme-dc", "LAMP", 10)
    three_dcs.stock_at("dc-il", "LAMP", 10)  # main stocks lamps too, but they are acme's items
    return three_dcs


def test_an_acquired_companys_items_go_to_its_erp(group: World) -> None:
    """Lines of items owned by acme go to acme's locations and so to acme's ERP."""
    order = group.order(("TENT", 1), ("LAMP", 2))

    plan = group.plan(compose(ByOwner(), Closest()), order)

    assert shipped(plan) == {"acme-dc": {2: 2}, "dc-il": {1: 1}}
    acme = plan.assignments[0]
    assert acme.erp == "erp-acme"
    assert acme.reason.startswith("items owned by acme are fulfilled by acme's ERP (erp-acme)")


def test_by_owner_never_uses_another_companys_stock(group: World) -> None:
    """Without stock at acme's own locations, acme's lines wait rather than ship from main."""
    group.stock.adjust("acme-dc", "LAMP", -10, reason="count")
    order = group.order(("LAMP", 1))

    plan = group.plan(compose(ByOwner(), Closest()), order)

    assert plan.assignments == ()
    assert plan.backorders[0].reason == f"items owned by acme: {NO_SUPPLY}"


def test_by_owner_home_is_configurable(group: World) -> None:
    """With acme as home, acme's items fall through and main's items are claimed."""
    order = group.order(("LAMP", 1))

    plan = group.plan(compose(ByOwner(home="acme"), Closest()), order)

    assert plan.locations == ("dc-il",)
    assert plan.assignments[0].reason == "closest with full availability: 3.7 km"


def test_a_vendors_items_go_to_the_drop_shipper(group: World) -> None:
    """Lines of drop-ship items go to their vendor's drop shipper; the rest fall through."""
    order = group.order(("STOVE", 1), ("TENT", 1))

    plan = group.plan(compose(DropShip(), Closest()), order)

    assert shipped(plan) == {"stoves": {1: 1}, "dc-il": {2: 1}}
    assert plan.assignments[0].erp == "erp-stoves"
    assert plan.assignments[0].reason == "drop-shipped by stoves-inc"


def test_drop_ship_falls_through_when_the_vendor_has_no_drop_shipper(three_dcs: World) -> None:
    """A vendor item with no drop shipper in view goes on to the next strategy."""
    three_dcs.stock_at("dc-oh", "STOVE", 1)
    order = three_dcs.order(("STOVE", 1))

    plan = three_dcs.plan(compose(DropShip(), Closest()), order)

    assert plan.locations == ("dc-oh",)


def test_the_tour_composition_routes_every_kind_of_line(group: World) -> None:
    """compose(ByOwner(), DropShip(), Closest()) sends each line where it belongs."""
    order = group.order(("LAMP", 1), ("STOVE", 2), ("TENT", 3))

    plan = group.plan(compose(ByOwner(), DropShip(), Closest()), order)

    assert shipped(plan) == {"acme-dc": {1: 1}, "stoves": {2: 2}, "dc-il": {3: 3}}


def test_claimers_used_alone_route_the_rest_by_closest(group: World) -> None:
    """ByOwner and DropShip on their own send unclaimed lines to the closest location."""
    order = group.order(("LAMP", 1), ("STOVE", 1), ("TENT", 1))

    by_owner = group.plan(ByOwner(), order)
    drop_ship = group.plan(DropShip(), order)

    assert "acme-dc" in by_owner.locations
    assert shipped(drop_ship)["stoves"] == {2: 1}


def test_compose_refuses_a_full_strategy_before_the_last_stage() -> None:
    """Only the last stage of a composition may be a full strategy."""
    with pytest.raises(ValidationError, match="cannot claim"):
        compose(Closest(), DropShip())
    with pytest.raises(ValidationError):
        compose()
    with pytest.raises(ValidationError):
        compose(DropShip(), object())  # type: ignore[arg-type]


# -- Pipeline ------------------------------------------------------------------------------


def test_pipeline_filters_by_capability(world: World) -> None:
    """HasCapability keeps locations without it out, however close they are."""
    world.dc("dc-il", kind=LocationKind.STORE, capabilities={Capability.CLICK_AND_COLLECT})
    world.dc("dc-nj")
    world.stock_at("dc-il", "TENT", 1)
    world.stock_at("dc-nj", "TENT", 1)
    order = world.order(("TENT", 1))

    plan = world.plan(Closest(filters=[HasCapability(Capability.SHIPS_PARCELS)]), order)

    assert plan.locations == ("dc-nj",)


def test_pipeline_filters_by_ship_to_region(world: World) -> None:
    """ServesShipTo keeps out locations that do not serve the ship-to country or region."""
    world.dc("dc-il", regions={"US-WI"})
    world.dc("dc-oh", regions={"US-IL", "CA"})
    world.dc("dc-nj", regions={"US"})
    for dc in ("dc-il", "dc-oh", "dc-nj"):
        world.stock_at(dc, "TENT", 1)
    order = world.order(("TENT", 2))

    plan = world.plan(Pipeline(filters=(ServesShipTo(),), rankers=(ByDistance(),)), order)

    assert set(plan.locations) == {"dc-oh", "dc-nj"}


def test_pipeline_filters_by_channel(three_dcs: World) -> None:
    """ForChannel limits orders of one channel to some locations; other channels pass."""
    strategy = Closest(filters=[ForChannel(Channel.MARKETPLACE, {"dc-nj"})])
    marketplace = three_dcs.order(("TENT", 1), channel=Channel.MARKETPLACE)
    web = three_dcs.order(("TENT", 1))

    assert three_dcs.plan(strategy, marketplace).locations == ("dc-nj",)
    assert three_dcs.plan(strategy, web).locations == ("dc-il",)


def test_pipeline_filters_by_owner(group: World) -> None:
    """OwnedBy keeps only the locations a company operates."""
    order = group.order(("LAMP", 1))

    plan = group.plan(Closest(filters=[OwnedBy("acme")]), order)

    assert plan.locations == ("acme-dc",)


def test_pipeline_filters_by_capacity_left(world: World) -> None:
    """HasCapacity skips a location that has taken its daily quota of orders."""
    world.dc("dc-il", daily_capacity=5)
    world.dc("dc-oh")
    world.stock_at("dc-il", "TENT", 1)
    world.stock_at("dc-oh", "TENT", 1)
    order = world.order(("TENT", 1))

    plan = world.plan(Closest(filters=[HasCapacity()]), order, capacity_used={"dc-il": 5})

    assert plan.locations == ("dc-oh",)


def test_capacity_does_not_keep_a_location_from_its_incoming_supply(world: World) -> None:
    """A full location's purchase orders still fill backorders: capacity is today's."""
    world.dc("dc-il", daily_capacity=1)
    world.stock.add_supply(
        Supply(id="PO-1", sku="TENT", location_id="dc-il", quantity=5, expected=date(2026, 3, 5))
    )
    order = world.order(("TENT", 1))

    plan = world.plan(Closest(filters=[HasCapacity()]), order, capacity_used={"dc-il": 1})

    assert waiting(plan) == [(1, 1, "PO-1")]


def test_pipeline_rankers_break_ties_in_order_then_by_id(world: World) -> None:
    """Rankers apply in turn: equal rank goes to the nearer; equal both goes to the lower id."""
    world.dc("dc-nj", rank=1)
    world.dc("dc-oh", rank=1)
    world.dc("dc-il", rank=2)
    world.dc("dc-x", geo=DCS["dc-oh"], rank=1)
    for dc in ("dc-nj", "dc-oh", "dc-il", "dc-x"):
        world.stock_at(dc, "TENT", 1)
    order = world.order(("TENT", 3))

    plan = world.plan(Pipeline(rankers=(ByRank(), ByDistance())), order)

    assert plan.locations == ("dc-oh", "dc-x", "dc-nj")
    assert plan.assignments[0].reason.startswith(
        "split: highest priority with partial availability: rank 1, 4"
    )


def test_pipeline_without_rankers_orders_by_location_id(three_dcs: World) -> None:
    """With no ranker the stable rule alone decides: the lowest id."""
    order = three_dcs.order(("TENT", 1))

    plan = three_dcs.plan(Pipeline(), order)

    assert plan.locations == ("dc-il",)
    assert plan.assignments[0].reason == "first by location id with full availability"


def test_pipeline_fallback_routes_what_the_pipeline_left(world: World) -> None:
    """Units the filtered pipeline cannot fill go to the fallback, which never reuses them."""
    world.dc(
        "store", geo=CHICAGO, kind=LocationKind.STORE, capabilities={Capability.SHIPS_FROM_STORE}
    )
    world.dc("dc-nj")
    world.stock_at("store", "TENT", 2)
    world.stock_at("dc-nj", "TENT", 5)
    order = world.order(("TENT", 4))
    stores_first = Closest(
        filters=[HasCapability(Capability.SHIPS_FROM_STORE)],
        split=AllowSplit(),
        fallback=Closest(),
    )

    plan = world.plan(stores_first, order)

    assert shipped(plan) == {"store": {1: 2}, "dc-nj": {1: 2}}


def test_pipeline_fallback_does_not_double_count_the_pipelines_units(world: World) -> None:
    """The fallback sees the stock the pipeline took as gone."""
    world.dc("dc-il", rank=1)
    world.stock_at("dc-il", "TENT", 3)
    order = world.order(("TENT", 5))
    strategy = Priority(split=AllowSplit(max_shipments=1), fallback=Closest())

    plan = world.plan(strategy, order)

    assert shipped(plan) == {"dc-il": {1: 3}}
    assert waiting(plan) == [(1, 2, None)]


def test_ship_complete_with_fallback_hands_over_the_whole_order(world: World) -> None:
    """When ship-complete cannot be met, a fallback gets every open unit."""
    world.dc("dc-il")
    world.dc("dc-nj")
    world.stock_at("dc-il", "TENT", 1)
    world.stock_at("dc-nj", "MAT", 1)
    order = world.order(("TENT", 1), ("MAT", 1))

    plan = world.plan(Closest(split=ShipComplete(), fallback=Closest()), order)

    assert shipped(plan) == {"dc-il": {1: 1}, "dc-nj": {2: 1}}


def test_strategies_validate_their_parts() -> None:
    """Filters, rankers, split policies and fallbacks of the wrong kind are refused."""
    with pytest.raises(ValidationError):
        Pipeline(filters=[ByDistance()])  # type: ignore[list-item]
    with pytest.raises(ValidationError):
        Pipeline(rankers=[HasCapacity()])  # type: ignore[list-item]
    with pytest.raises(ValidationError):
        Closest(split="complete")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        Closest(fallback=HasCapacity())  # type: ignore[arg-type]
    with pytest.raises(InvalidQuantity):
        AllowSplit(max_shipments=0)


# -- the plan -----------------------------------------------------------------------------


def test_every_assignment_and_backorder_has_a_reason(group: World) -> None:
    """Reasons are never empty, whatever decided the units' fate."""
    group.stock.add_supply(
        Supply(id="PO-7", sku="MAT", location_id="dc-nj", quantity=50, expected=date(2026, 3, 5))
    )
    order = group.order(("LAMP", 1), ("STOVE", 1), ("TENT", 40), ("MAT", 40), ("LAMP", 30))

    plan = group.plan(compose(ByOwner(), DropShip(), Closest()), order)

    reasons = [a.reason for a in plan.assignments] + [b.reason for b in plan.backorders]
    assert reasons
    assert all(r.strip() for r in reasons)
    assert "on order: PO-7 expected 2026-03-05" in reasons


def test_plans_are_deterministic(group: World) -> None:
    """The same order over the same view gives an equal plan, reasons included."""
    order = group.order(("LAMP", 3), ("TENT", 25), ("MAT", 12), ("STOVE", 1))
    strategy = compose(ByOwner(), DropShip(), Closest())

    assert group.plan(strategy, order) == group.plan(strategy, order)


def test_plan_helpers_sum_per_line() -> None:
    """quantity_for adds a line's assigned and backordered units; locations lists assignments."""
    plan = RoutingPlan(
        order_id="order-1",
        assignments=(
            Assignment(
                location_id="a",
                erp="main",
                lines=(PlannedLine(line_no=1, sku="X", quantity=2),),
                reason="r",
            ),
        ),
        backorders=(Backorder(line_no=1, sku="X", quantity=3, reason="r"),),
    )

    assert (plan.assigned(1), plan.backordered(1), plan.quantity_for(1)) == (2, 3, 5)
    assert plan.quantity_for(2) == 0
    assert plan.locations == ("a",)


def test_plan_check_refuses_a_plan_that_does_not_cover_the_open_units(three_dcs: World) -> None:
    """check() names the line whose planned units differ from its open quantity."""
    order = three_dcs.order(("TENT", 2))
    short = RoutingPlan(
        order_id=order.id, backorders=(Backorder(line_no=1, sku="TENT", quantity=1, reason="r"),)
    )
    wrong_sku = RoutingPlan(
        order_id=order.id, backorders=(Backorder(line_no=1, sku="MAT", quantity=2, reason="r"),)
    )

    with pytest.raises(InvalidQuantity, match="line 1"):
        short.check(order)
    with pytest.raises(ValidationError):
        wrong_sku.check(order)
    with pytest.raises(ValidationError):
        RoutingPlan(order_id="other").check(order)


@pytest.mark.parametrize(
    "build",
    [
        lambda: PlannedLine(line_no=0, sku="X", quantity=1),
        lambda: PlannedLine(line_no=1, sku="X", quantity=0),
        lambda: Assignment(location_id="a", erp="main", lines=(), reason="r"),
        lambda: Assignment(
            location_id="a",
            erp="main",
            lines=(
                PlannedLine(line_no=1, sku="X", quantity=1),
                PlannedLine(line_no=1, sku="X", quantity=1),
            ),
            reason="r",
        ),
        lambda: Assignment(
            location_id="a",
            erp="main",
            lines=(PlannedLine(line_no=1, sku="X", quantity=1),),
            reason=" ",
        ),
        lambda: Backorder(line_no=1, sku="X", quantity=1, supply_id="PO-1", reason="r"),
        lambda: RoutingPlan(
            order_id="o",
            assignments=[
                Assignment(
                    location_id="a",
                    erp="main",
                    lines=(PlannedLine(line_no=n, sku="X", quantity=1),),
                    reason="r",
                )
                for n in (1, 2)
            ],
        ),
    ],
)
def test_plan_values_refuse_inconsistent_content(build: Any) -> None:
    """Plan values validate what they hold: positive numbers, reasons, one assignment per
    location, a supply with its location and date."""
    with pytest.raises(ValidationError):
        build()


def test_drop_ship_items_can_come_from_a_dc_or_the_vendor_under_closest(group: World) -> None:
    """Plain Closest considers both a DC with the item in stock and the vendor's drop shipper."""
    group.stock_at("dc-il", "STOVE", 1)
    order = group.order(("STOVE", 3))

    plan = group.plan(Closest(), order)

    assert plan.locations == ("stoves",)  # the only location that fills the line whole
    assert plan.assignments[0].reason == "closest with full availability: distance unknown"
