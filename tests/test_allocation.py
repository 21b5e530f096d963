"""Allocation in the hub: processing the queue, cancelling, rejecting, editing, expiring
reservations and filling backorders, always through the hub's public commands."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

import pytest

from helpers import CATALOG, T0, HubState, address, events_of, hub_state, reconciles, request
from orderhub import (
    Address,
    Channel,
    CustomerIdentity,
    Discount,
    GeoPoint,
    HoldKind,
    IllegalTransition,
    InsufficientStock,
    InvalidPlan,
    InvalidQuantity,
    Item,
    LineRequest,
    Location,
    LocationKind,
    Money,
    Movement,
    Order,
    OrderHub,
    OrderRequest,
    OrderState,
    Reservation,
    ServiceLevel,
    StockPosition,
    Supply,
    UnknownLocation,
    UnknownOrder,
    UnknownSku,
    UnknownSupply,
    ValidationError,
)
from orderhub.events import (
    AssignmentRejected,
    OrderCancelled,
    OrderEdited,
    OrderHeld,
    OrderLineCancelled,
    OrderRouted,
    OrderStateChanged,
    ReservationsExpired,
)
from orderhub.routing import (
    Assignment,
    ByDistance,
    ByOwner,
    Closest,
    DropShip,
    NetworkView,
    Pipeline,
    PlannedLine,
    RoutingPlan,
    ShipComplete,
    compose,
)
from orderhub.testing import FixedClock, SequentialIds

CHICAGO = GeoPoint(41.88, -87.63)
"""Where the test customers live."""

NEWARK = GeoPoint(40.74, -74.17)
"""Where a customer moves to when the ship-to changes."""

DCS = {
    "dc-il": GeoPoint(41.85, -87.65),  # Chicago, a few km away
    "dc-oh": GeoPoint(39.96, -83.00),  # Columbus, ~440 km
    "dc-nj": GeoPoint(40.76, -74.03),  # New Jersey, ~1,150 km
}
"""Three DCs on one ERP, nearest to Chicago first."""


# -- the world the tests run in ----------------------------------------------------------------


class World:
    """A hub with the test catalog, a network to add DCs to, and a shortcut to capture."""

    def __init__(self, **hub_options: Any) -> None:
        self.clock = FixedClock(T0)
        self.hub = OrderHub(clock=self.clock, ids=SequentialIds(), **hub_options)
        for item in CATALOG:
            self.hub.catalog.add(item)
        self._n = 0

    def dc(self, location_id: str, *stock: tuple[str, int], **fields: Any) -> Location:
        """Add a DC (at its :data:`DCS` position unless told) with ``(sku, units)`` on hand."""
        fields.setdefault("kind", LocationKind.DC)
        fields.setdefault("geo", DCS.get(location_id))
        location = Location(id=location_id, **fields)
        self.hub.network.add(location)
        for sku, units in stock:
            self.hub.stock.receive(location_id, sku, units)
        return location

    def order(
        self,
        *lines: tuple[str, int],
        geo: GeoPoint = CHICAGO,
        service_level: ServiceLevel = ServiceLevel.STANDARD,
        **fields: Any,
    ) -> Order:
        """Capture an order of ``(sku, quantity)`` lines shipped to ``geo`` (Chicago)."""
        self._n += 1
        fields.setdefault("ship_to", address(geo=geo))
        return self.hub.capture(
            request(
                f"W-{self._n}",
                lines=[LineRequest(sku=s, quantity=q) for s, q in lines],
                service_level=service_level,
                **fields,
            )
        ).order

    def supply(
        self, supply_id: str, sku: str, quantity: int, location_id: str, days: int = 1
    ) -> Supply:
        """A purchase order of ``quantity`` units expected ``days`` after today."""
        return Supply(
            id=supply_id,
            sku=sku,
            location_id=location_id,
            quantity=quantity,
            expected=self.clock.now().date() + timedelta(days=days),
        )

    def state(self, order_id: str) -> OrderState:
        """The order's current state."""
        return self.hub.order(order_id).state

    def quantities(self, order_id: str, line_no: int = 1) -> tuple[int, int, int, int]:
        """(open, allocated, backordered, cancelled) of one line."""
        q = self.hub.order(order_id).line(line_no).quantities
        return (q.open, q.allocated, q.backordered, q.cancelled)

    def held(self, order_id: str) -> dict[tuple[int, str], int]:
        """{(line no, location id): units} held by the order's live reservations."""
        out: dict[tuple[int, str], int] = {}
        for r in self.hub.stock.reservations(order_id=order_id):
            key = (r.line_no, r.location_id)
            out[key] = out.get(key, 0) + r.remaining
        return out

    def available(self, location_id: str, sku: str) -> int:
        """Units of ``sku`` still free at ``location_id``."""
        return self.hub.stock.available(location_id, sku)


@pytest.fixture
def world() -> World:
    """A hub with the test catalog and no locations."""
    return World()


@pytest.fixture
def three_dcs(world: World) -> World:
    """Three DCs on one ERP, each with 10 tents and 10 mats."""
    for dc in DCS:
        world.dc(dc, ("TENT", 10), ("MAT", 10))
    return world


class FullState(NamedTuple):
    """The hub's state and its stock book's, copied: compare two with ``==``."""

    hub: HubState
    movements: tuple[Movement, ...]
    positions: tuple[StockPosition, ...]
    reservations: tuple[Reservation, ...]
    supplies: tuple[Supply, ...]
    allocations: tuple[tuple[str, int, dict[str, int], dict[str, int]], ...]
    rejected: tuple[tuple[str, tuple[str, ...]], ...]


def full_state(hub: OrderHub) -> FullState:
    """A snapshot of everything a hub command could change, stock book included."""
    skus = dict.fromkeys([*(item.sku for item in CATALOG), *hub.stock.skus()])
    orders = tuple(hub.orders())
    return FullState(
        hub=hub_state(hub),
        movements=tuple(hub.stock.movements()),
        positions=tuple(hub.stock.positions()),
        reservations=hub.stock.reservations(live_only=False),
        supplies=tuple(s for sku in skus for s in hub.stock.supplies(sku)),
        allocations=tuple(
            (
                o.id,
                line.line_no,
                hub._alloc.locations_of(o.id, line.line_no),
                hub._alloc.supplies_of(o.id, line.line_no),
            )
            for o in orders
            for line in o.lines
        ),
        rejected=tuple((o.id, hub._alloc.rejected_by(o.id)) for o in orders),
    )


def routed(events: Iterable[object]) -> list[OrderRouted]:
    """The OrderRouted events among ``events``."""
    return [e for e in events if isinstance(e, OrderRouted)]


def shipped(event: OrderRouted) -> dict[str, dict[int, int]]:
    """{location id: {line no: units}} of an OrderRouted event's assignments."""
    return {a.location_id: {pl.line_no: pl.quantity for pl in a.lines} for a in event.assignments}


# -- process: the intake queue -----------------------------------------------------------------


def test_design_tour_allocates_the_tent_at_the_only_dc() -> None:
    """The DESIGN tour: one DC with tents, one web order, processed: the tent is reserved."""
    clock = FixedClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    hub = OrderHub(
        clock=clock, ids=SequentialIds(), routing=compose(ByOwner(), DropShip(), Closest())
    )
    hub.catalog.add(
        Item(
            sku="TENT-2P", description="2-person tent", price=Money("149.00", "USD"), owner="main"
        )
    )
    hub.network.add(
        Location(id="dc-nj", kind=LocationKind.DC, geo=GeoPoint(40.76, -74.03), erp="main")
    )
    hub.stock.receive("dc-nj", "TENT-2P", 40)
    order = hub.capture(
        OrderRequest(
            channel=Channel.WEB,
            external_id="W-1001",
            customer=CustomerIdentity(email="ann@example.com", name="Ann Lee"),
            attributes={"age_band": "35-44"},
            ship_to=Address(
                line1="1 Main St",
                city="Chicago",
                postal_code="60601",
                country="US",
                geo=GeoPoint(41.88, -87.63),
            ),
            lines=[LineRequest(sku="TENT-2P", quantity=1)],
            context={"campaign": "spring-camping"},
        )
    ).order

    events = hub.process()

    assert hub.order(order.id).state is OrderState.ALLOCATED
    assert hub.stock.position("dc-nj", "TENT-2P").reserved == 1
    assert hub.stock.available("dc-nj", "TENT-2P") == 39
    assert [shipped(e) for e in routed(events)] == [{"dc-nj": {1: 1}}]
    assert hub.queued() == ()


def test_process_serves_the_queue_in_priority_order(world: World) -> None:
    """The last tent goes to the same-day order, though it was captured after a standard one."""
    world.dc("dc-il", ("TENT", 1))
    standard = world.order(("TENT", 1))
    world.clock.advance(minutes=1)
    same_day = world.order(("TENT", 1), service_level=ServiceLevel.SAME_DAY)

    events = world.hub.process()

    assert [e.order_id for e in routed(events)] == [same_day.id, standard.id]
    assert world.state(same_day.id) is OrderState.ALLOCATED
    assert world.state(standard.id) is OrderState.BACKORDERED


def test_process_with_a_limit_serves_only_that_many(world: World) -> None:
    """process(limit=1) routes the first queued order and leaves the rest queued."""
    world.dc("dc-il", ("TENT", 5))
    first = world.order(("TENT", 1))
    second = world.order(("TENT", 1))

    world.hub.process(limit=1)

    assert world.state(first.id) is OrderState.ALLOCATED
    assert world.state(second.id) is OrderState.CAPTURED
    assert world.hub.queued() == (second.id,)


def test_process_of_an_empty_queue_changes_nothing(three_dcs: World) -> None:
    """With nothing queued, process() returns no events and changes nothing."""
    before = full_state(three_dcs.hub)

    events = three_dcs.hub.process()

    assert events == ()
    assert full_state(three_dcs.hub) == before


def test_process_reserves_each_line_at_its_location(three_dcs: World) -> None:
    """An order of two SKUs is reserved line by line at the DC that fills it."""
    order = three_dcs.order(("TENT", 2), ("MAT", 3))

    three_dcs.hub.process()

    assert three_dcs.held(order.id) == {(1, "dc-il"): 2, (2, "dc-il"): 3}
    assert three_dcs.hub.stock.position("dc-il", "TENT").reserved == 2
    assert three_dcs.hub.stock.position("dc-il", "MAT").reserved == 3
    assert three_dcs.available("dc-il", "TENT") == 8


@pytest.mark.parametrize(
    ("stock", "state", "line"),
    [
        (3, OrderState.ALLOCATED, (0, 3, 0, 0)),
        (2, OrderState.PARTIALLY_ALLOCATED, (0, 2, 1, 0)),
        (0, OrderState.BACKORDERED, (0, 0, 3, 0)),
    ],
)
def test_process_moves_open_units_to_allocated_or_backordered(
    world: World, stock: int, state: OrderState, line: tuple[int, int, int, int]
) -> None:
    """Units on hand are allocated, the rest backordered, and the order's state follows."""
    world.dc("dc-il", *([("TENT", stock)] if stock else []))
    order = world.order(("TENT", 3))

    events = world.hub.process()

    assert world.quantities(order.id) == line
    assert world.state(order.id) is state
    assert events_of(events, OrderStateChanged)[-1].to_state == state.value
    assert reconciles(world.hub.order(order.id))


def test_process_records_why_each_location_was_chosen(world: World) -> None:
    """OrderRouted carries every assignment and backorder with its human-readable reason."""
    world.dc("dc-il", ("TENT", 1))
    world.dc("dc-nj", ("TENT", 1))
    order = world.order(("TENT", 3))

    [event] = routed(world.hub.process())

    assert event.order_id == order.id
    assert [(a.location_id, a.erp, a.reason) for a in event.assignments] == [
        ("dc-il", "main", "split: closest with partial availability: 3.7 km"),
        ("dc-nj", "main", "split: closest with partial availability: 1141.3 km"),
    ]
    assert [(b.line_no, b.quantity, b.reason) for b in event.backorders] == [
        (1, 1, "no stock and no incoming supply")
    ]


def test_orders_on_hold_are_not_processed(three_dcs: World) -> None:
    """An order on hold stays out of the queue: processing reserves nothing for it."""
    order = three_dcs.order(("TENT", 1))
    three_dcs.hub.hold(order.id, HoldKind.FRAUD, "card looks stolen")

    events = three_dcs.hub.process()

    assert routed(events) == []
    assert three_dcs.state(order.id) is OrderState.ON_HOLD
    assert three_dcs.hub.stock.reservations(order_id=order.id) == ()


def test_released_hold_puts_the_order_back_on_the_queue(three_dcs: World) -> None:
    """When its hold is released, the order is queued again and the next process routes it."""
    order = three_dcs.order(("TENT", 1))
    three_dcs.hub.hold(order.id, HoldKind.PAYMENT, "awaiting payment")
    three_dcs.hub.process()

    three_dcs.hub.release_hold(order.id, HoldKind.PAYMENT)
    three_dcs.hub.process()

    assert three_dcs.state(order.id) is OrderState.ALLOCATED
    assert three_dcs.held(order.id) == {(1, "dc-il"): 1}


class OverPromise:
    """A faulty strategy: claims 2 tents at dc-il and 1 at dc-oh, whatever the stock says."""

    def plan(self, order: Order, network: NetworkView) -> RoutingPlan:
        """The same plan for every order, right or wrong."""
        return RoutingPlan(
            order_id=order.id,
            assignments=(
                Assignment(
                    location_id="dc-oh",
                    erp="main",
                    lines=(PlannedLine(line_no=1, sku="TENT", quantity=1),),
                    reason="faulty",
                ),
                Assignment(
                    location_id="dc-il",
                    erp="main",
                    lines=(PlannedLine(line_no=1, sku="TENT", quantity=2),),
                    reason="faulty",
                ),
            ),
        )


def test_a_plan_that_cannot_be_reserved_reserves_nothing() -> None:
    """The whole plan or nothing: one short position means no reservation anywhere, and the
    order stays queued."""
    world = World(routing=OverPromise())
    world.dc("dc-il", ("TENT", 1))
    world.dc("dc-oh", ("TENT", 5))
    order = world.order(("TENT", 3))
    before = full_state(world.hub)

    with pytest.raises(InsufficientStock):
        world.hub.process()

    assert full_state(world.hub) == before
    assert world.hub.queued() == (order.id,)


class WrongCount:
    """A faulty strategy: plans one unit fewer than the line has open."""

    def plan(self, order: Order, network: NetworkView) -> RoutingPlan:
        """One unit short of the first line."""
        line = order.lines[0]
        return RoutingPlan(
            order_id=order.id,
            assignments=(
                Assignment(
                    location_id="dc-il",
                    erp="main",
                    lines=(
                        PlannedLine(line_no=1, sku=line.sku, quantity=line.quantities.open - 1),
                    ),
                    reason="faulty",
                ),
            ),
        )


def test_a_plan_that_does_not_cover_the_order_is_refused() -> None:
    """A strategy whose plan misses open units is refused with InvalidPlan; nothing changes."""
    world = World(routing=WrongCount())
    world.dc("dc-il", ("TENT", 5))
    world.order(("TENT", 3))
    before = full_state(world.hub)

    with pytest.raises(InvalidPlan):
        world.hub.process()

    assert full_state(world.hub) == before


class WrongSku:
    """A faulty strategy: plans mats for a line of tents."""

    def plan(self, order: Order, network: NetworkView) -> RoutingPlan:
        """Every open unit of the first line, as the wrong SKU."""
        return RoutingPlan(
            order_id=order.id,
            assignments=(
                Assignment(
                    location_id="dc-il",
                    erp="main",
                    lines=(
                        PlannedLine(line_no=1, sku="MAT", quantity=order.lines[0].quantities.open),
                    ),
                    reason="faulty",
                ),
            ),
        )


def test_a_plan_naming_another_sku_is_refused() -> None:
    """A strategy that plans mats for a tent line is refused with InvalidPlan; no mats are
    reserved for the tents."""
    world = World(routing=WrongSku())
    world.dc("dc-il", ("TENT", 5), ("MAT", 5))
    world.order(("TENT", 2))
    before = full_state(world.hub)

    with pytest.raises(InvalidPlan):
        world.hub.process()

    assert full_state(world.hub) == before


# -- the scenarios of the routing issue, at hub level ------------------------------------------


def test_three_dcs_on_one_erp_the_closest_is_chosen(three_dcs: World) -> None:
    """Three DCs on one ERP: the customer's closest DC fills the order."""
    order = three_dcs.order(("TENT", 2), ("MAT", 1))

    [event] = routed(three_dcs.hub.process())

    assert shipped(event) == {"dc-il": {1: 2, 2: 1}}
    assert event.assignments[0].reason == "closest with full availability: 3.7 km"
    assert three_dcs.state(order.id) is OrderState.ALLOCATED


def test_the_closest_out_of_stock_the_next_closest_is_chosen(world: World) -> None:
    """The closest DC has no tents: the next closest fills the order."""
    world.dc("dc-il", ("MAT", 10))
    world.dc("dc-oh", ("TENT", 10))
    world.dc("dc-nj", ("TENT", 10))
    order = world.order(("TENT", 2))

    [event] = routed(world.hub.process())

    assert shipped(event) == {"dc-oh": {1: 2}}
    assert world.held(order.id) == {(1, "dc-oh"): 2}


def test_ship_complete_waits_rather_than_splits() -> None:
    """Under ship-complete, tents at one DC and mats at another: the order waits whole and
    nothing is reserved."""
    world = World(routing=Pipeline(split=ShipComplete(), rankers=(ByDistance(),)))
    world.dc("dc-il", ("TENT", 5))
    world.dc("dc-oh", ("MAT", 5))
    order = world.order(("TENT", 1), ("MAT", 1))

    [event] = routed(world.hub.process())

    assert event.assignments == ()
    assert [(b.line_no, b.quantity) for b in event.backorders] == [(1, 1), (2, 1)]
    assert all("ship complete" in b.reason for b in event.backorders)
    assert world.state(order.id) is OrderState.BACKORDERED
    assert world.hub.stock.reservations() == ()


def test_ship_complete_still_waits_when_stock_arrives_line_by_line() -> None:
    """Under ship-complete, tents arriving at one DC and mats at another do not split the
    waiting order: it keeps waiting for one location that has both."""
    world = World(routing=Pipeline(split=ShipComplete(), rankers=(ByDistance(),)))
    world.dc("dc-il")
    world.dc("dc-oh")
    order = world.order(("TENT", 1), ("MAT", 1))
    world.hub.process()

    world.hub.receive("dc-il", "TENT", 1)
    world.hub.receive("dc-oh", "MAT", 1)

    locations = {loc for _, loc in world.held(order.id)}
    assert len(locations) <= 1, f"ship-complete order split over {sorted(locations)}"


def test_an_acquired_companys_items_go_to_its_erp(world: World) -> None:
    """Lamps are acme's: they go to acme's DC on acme's ERP, though a main DC is closer."""
    world.dc("dc-il", ("LAMP", 10), ("TENT", 10))
    world.dc("acme-oh", ("LAMP", 10), geo=DCS["dc-oh"], owner="acme", erp="erp-acme")
    order = world.order(("TENT", 1), ("LAMP", 2))

    [event] = routed(world.hub.process())

    by_location = {a.location_id: a for a in event.assignments}
    assert shipped(event) == {"acme-oh": {2: 2}, "dc-il": {1: 1}}
    assert by_location["acme-oh"].erp == "erp-acme"
    assert by_location["acme-oh"].reason.startswith(
        "items owned by acme are fulfilled by acme's ERP (erp-acme)"
    )
    assert world.held(order.id) == {(1, "dc-il"): 1, (2, "acme-oh"): 2}


def test_a_vendors_items_go_to_the_drop_shipper(world: World) -> None:
    """Stoves are drop-shipped by their vendor: allocated there, with no stock reserved."""
    world.dc("dc-il", ("STOVE", 10), ("TENT", 10))
    world.dc(
        "stoves-inc-ca",
        kind=LocationKind.DROP_SHIPPER,
        geo=GeoPoint(34.05, -118.24),
        vendor="stoves-inc",
        erp="stoves-inc",
    )
    order = world.order(("TENT", 1), ("STOVE", 1))

    [event] = routed(world.hub.process())

    assert shipped(event) == {"stoves-inc-ca": {2: 1}, "dc-il": {1: 1}}
    assert "drop-shipped by stoves-inc" in event.assignments[0].reason
    assert world.quantities(order.id, 2) == (0, 1, 0, 0)
    assert world.held(order.id) == {(1, "dc-il"): 1}
    assert world.available("dc-il", "STOVE") == 10


def test_on_hand_beats_a_supply_arriving_tomorrow(world: World) -> None:
    """Tents on hand far away win over tents arriving tomorrow at the closest DC."""
    world.dc("dc-il")
    world.dc("dc-nj", ("TENT", 1))
    world.hub.add_supply(world.supply("po-1", "TENT", 10, "dc-il"))
    order = world.order(("TENT", 1))

    [event] = routed(world.hub.process())

    assert shipped(event) == {"dc-nj": {1: 1}}
    assert event.backorders == ()
    assert world.hub.stock.supply("po-1").committed == 0
    assert world.state(order.id) is OrderState.ALLOCATED


def test_units_not_on_hand_are_promised_the_earliest_supply(world: World) -> None:
    """What stock cannot fill is backordered against the supply expected first."""
    world.dc("dc-il", ("TENT", 1))
    world.hub.add_supply(world.supply("po-late", "TENT", 10, "dc-il", days=9))
    world.hub.add_supply(world.supply("po-soon", "TENT", 10, "dc-il", days=2))
    order = world.order(("TENT", 3))

    [event] = routed(world.hub.process())

    assert [(b.quantity, b.supply_id) for b in event.backorders] == [(2, "po-soon")]
    assert world.hub.stock.supply("po-soon").committed == 2
    assert world.hub._alloc.supplies_of(order.id, 1) == {"po-soon": 2}
    assert world.state(order.id) is OrderState.PARTIALLY_ALLOCATED


# -- no oversell -------------------------------------------------------------------------------


def test_two_lines_of_one_sku_never_oversell(world: World) -> None:
    """Two lines of one SKU in one order share the last three tents: 3 allocated, 1 waits."""
    world.dc("dc-il", ("TENT", 3))
    order = world.order(("TENT", 2), ("TENT", 2))

    world.hub.process()

    assert world.quantities(order.id, 1) == (0, 2, 0, 0)
    assert world.quantities(order.id, 2) == (0, 1, 1, 0)
    assert world.hub.stock.position("dc-il", "TENT").reserved == 3
    assert world.available("dc-il", "TENT") == 0


def test_competing_orders_for_the_last_units_never_oversell(world: World) -> None:
    """Three orders for the last two tents: the first two captured get them, the third waits."""
    world.dc("dc-il", ("TENT", 1))
    world.dc("dc-oh", ("TENT", 1))
    orders = [world.order(("TENT", 1)) for _ in range(3)]

    world.hub.process()

    assert [world.state(o.id) for o in orders] == [
        OrderState.ALLOCATED,
        OrderState.ALLOCATED,
        OrderState.BACKORDERED,
    ]
    assert world.available("dc-il", "TENT") == world.available("dc-oh", "TENT") == 0


# -- cancellation ------------------------------------------------------------------------------


def test_cancel_line_releases_exactly_that_lines_reservations(three_dcs: World) -> None:
    """Cancelling an allocated line gives back its units only; the other line and the other
    order keep theirs."""
    hub = three_dcs.hub
    order = three_dcs.order(("TENT", 2), ("MAT", 3))
    other = three_dcs.order(("TENT", 4))
    hub.process()
    other_held = three_dcs.held(other.id)

    events = hub.cancel_line(order.id, 1, reason="changed mind")

    assert three_dcs.held(order.id) == {(2, "dc-il"): 3}
    assert three_dcs.held(other.id) == other_held
    assert three_dcs.available("dc-il", "TENT") == 10 - 4
    assert three_dcs.available("dc-il", "MAT") == 10 - 3
    assert three_dcs.quantities(order.id, 1) == (0, 0, 0, 2)
    assert events_of(events, OrderLineCancelled)[0].quantity == 2
    assert three_dcs.state(order.id) is OrderState.ALLOCATED


def test_cancel_part_of_an_allocated_line_releases_only_those_units(three_dcs: World) -> None:
    """Cancelling one of three allocated tents releases one unit, exactly."""
    order = three_dcs.order(("TENT", 3))
    three_dcs.hub.process()

    three_dcs.hub.cancel_line(order.id, 1, 1)

    assert three_dcs.held(order.id) == {(1, "dc-il"): 2}
    assert three_dcs.available("dc-il", "TENT") == 8
    assert three_dcs.quantities(order.id) == (0, 2, 0, 1)


def test_cancel_takes_backordered_units_before_allocated_ones(world: World) -> None:
    """Cancelling part of a partly backordered line gives back the waiting units first."""
    world.dc("dc-il", ("TENT", 2))
    world.hub.add_supply(world.supply("po-1", "TENT", 5, "dc-il"))
    order = world.order(("TENT", 4))
    world.hub.process()

    world.hub.cancel_line(order.id, 1, 1)

    assert world.quantities(order.id) == (0, 2, 1, 1)
    assert world.held(order.id) == {(1, "dc-il"): 2}
    assert world.hub.stock.supply("po-1").committed == 1


def test_cancel_order_releases_every_reservation(three_dcs: World) -> None:
    """Cancelling an allocated order releases all it held and marks it cancelled."""
    hub = three_dcs.hub
    order = three_dcs.order(("TENT", 2), ("MAT", 3))
    other = three_dcs.order(("MAT", 1))
    hub.process()

    events = hub.cancel(order.id, reason="fraud")

    assert three_dcs.held(order.id) == {}
    assert three_dcs.held(other.id) == {(1, "dc-il"): 1}
    assert three_dcs.available("dc-il", "TENT") == 10
    assert three_dcs.available("dc-il", "MAT") == 9
    assert three_dcs.state(order.id) is OrderState.CANCELLED
    assert len(events_of(events, OrderCancelled)) == 1
    released = hub.stock.reservations(order.id, live_only=False)
    assert all(r.released == r.quantity and r.consumed == 0 for r in released)


def test_cancel_of_backordered_units_gives_back_their_supply(world: World) -> None:
    """Cancelling units waiting for a supply withdraws exactly their promise."""
    world.dc("dc-il")
    world.hub.add_supply(world.supply("po-1", "TENT", 5, "dc-il"))
    order = world.order(("TENT", 3))
    world.hub.process()
    assert world.hub.stock.supply("po-1").committed == 3

    world.hub.cancel_line(order.id, 1, 2)

    assert world.hub.stock.supply("po-1").committed == 1
    assert world.hub.stock.commitments("po-1") == ((order.id, 1, 1),)
    assert world.quantities(order.id) == (0, 0, 1, 2)


def test_cancel_of_a_whole_backordered_order_frees_its_supply_and_queue_slot(
    world: World,
) -> None:
    """Cancelling a backordered order withdraws every promise and stops it waiting."""
    world.dc("dc-il")
    world.hub.add_supply(world.supply("po-1", "TENT", 5, "dc-il"))
    order = world.order(("TENT", 3))
    world.hub.process()

    world.hub.cancel(order.id)

    assert world.hub.stock.supply("po-1").committed == 0
    assert world.hub.stock.commitments("po-1") == ()
    assert world.hub._alloc.waiting("TENT") == []


def test_supply_freed_by_a_cancellation_is_promised_to_waiting_orders(world: World) -> None:
    """Units of a supply given back by a cancellation are promised at once to the oldest
    order waiting with no supply, as a new supply would be."""
    world.dc("dc-il")
    world.hub.add_supply(world.supply("po-1", "TENT", 3, "dc-il"))
    first = world.order(("TENT", 3))
    world.clock.advance(minutes=1)
    second = world.order(("TENT", 2))
    world.hub.process()
    assert world.hub._alloc.supplies_of(second.id, 1) == {}

    world.hub.cancel(first.id)

    assert world.hub._alloc.supplies_of(second.id, 1) == {"po-1": 2}
    assert world.hub.stock.commitments("po-1") == ((second.id, 1, 2),)


def test_cancelled_units_fill_waiting_backorders_first_captured_first(world: World) -> None:
    """Tents freed by a cancellation go to the backorders waiting for them, oldest first."""
    world.dc("dc-il", ("TENT", 2))
    first = world.order(("TENT", 2))
    world.clock.advance(minutes=1)
    second = world.order(("TENT", 1))
    world.clock.advance(minutes=1)
    third = world.order(("TENT", 1))
    world.hub.process()

    world.hub.cancel(first.id)

    assert world.state(second.id) is OrderState.ALLOCATED
    assert world.state(third.id) is OrderState.ALLOCATED
    assert world.available("dc-il", "TENT") == 0


def test_freed_units_go_to_the_oldest_backorder_when_too_few(world: World) -> None:
    """One tent freed, two orders waiting: the one captured first gets it."""
    world.dc("dc-il", ("TENT", 1))
    first = world.order(("TENT", 1))
    world.clock.advance(minutes=1)
    second = world.order(("TENT", 1))
    world.clock.advance(minutes=1)
    third = world.order(("TENT", 1))
    world.hub.process()

    world.hub.cancel_line(first.id, 1)

    assert world.state(second.id) is OrderState.ALLOCATED
    assert world.state(third.id) is OrderState.BACKORDERED


def test_cancel_of_an_order_not_yet_processed_reserves_nothing(three_dcs: World) -> None:
    """A queued order cancelled before processing leaves the queue and never reserves."""
    order = three_dcs.order(("TENT", 1))

    three_dcs.hub.cancel(order.id)
    three_dcs.hub.process()

    assert three_dcs.state(order.id) is OrderState.CANCELLED
    assert three_dcs.hub.queued() == ()
    assert three_dcs.hub.stock.reservations(live_only=False) == ()


# -- rejection ---------------------------------------------------------------------------------


def test_reject_releases_the_units_and_routes_them_elsewhere(three_dcs: World) -> None:
    """dc-il rejects: its units are released and the next closest DC takes the order."""
    hub = three_dcs.hub
    order = three_dcs.order(("TENT", 2), ("MAT", 1))
    hub.process()

    events = hub.reject(order.id, "dc-il", reason="short staffed")

    assert three_dcs.held(order.id) == {(1, "dc-oh"): 2, (2, "dc-oh"): 1}
    assert three_dcs.available("dc-il", "TENT") == 10
    assert three_dcs.available("dc-il", "MAT") == 10
    [rejected] = events_of(events, AssignmentRejected)
    assert (rejected.location_id, rejected.reason, rejected.rejections) == (
        "dc-il",
        "short staffed",
        1,
    )
    assert [shipped(e) for e in routed(events)] == [{"dc-oh": {1: 2, 2: 1}}]
    assert three_dcs.state(order.id) is OrderState.ALLOCATED


def test_reject_never_routes_back_to_a_location_that_rejected(three_dcs: World) -> None:
    """After dc-il and then dc-oh reject, the order goes to dc-nj, not back to dc-il."""
    hub = three_dcs.hub
    order = three_dcs.order(("TENT", 1))
    hub.process()

    hub.reject(order.id, "dc-il", reason="no staff")
    hub.reject(order.id, "dc-oh", reason="damaged")

    assert three_dcs.held(order.id) == {(1, "dc-nj"): 1}
    assert three_dcs.available("dc-il", "TENT") == 10
    assert three_dcs.available("dc-oh", "TENT") == 10


def test_reject_moves_only_the_rejecting_locations_units(world: World) -> None:
    """A split order: only the rejecting location's units are re-routed."""
    world.dc("dc-il", ("TENT", 1))
    world.dc("dc-oh", ("TENT", 1))
    world.dc("dc-nj", ("TENT", 1))
    order = world.order(("TENT", 2))
    world.hub.process()
    assert world.held(order.id) == {(1, "dc-il"): 1, (1, "dc-oh"): 1}

    world.hub.reject(order.id, "dc-oh", reason="no staff")

    assert world.held(order.id) == {(1, "dc-il"): 1, (1, "dc-nj"): 1}


def test_reject_with_nowhere_else_backorders_the_units(world: World) -> None:
    """When no other location has stock, rejected units wait as a backorder."""
    world.dc("dc-il", ("TENT", 5))
    order = world.order(("TENT", 2))
    world.hub.process()

    world.hub.reject(order.id, "dc-il", reason="flooded")

    assert world.quantities(order.id) == (0, 0, 2, 0)
    assert world.state(order.id) is OrderState.BACKORDERED
    assert world.available("dc-il", "TENT") == 5


def test_after_max_rejections_the_order_goes_on_hold() -> None:
    """The second rejection of a hub allowing two holds the order, naming both locations."""
    world = World(max_rejections=2)
    for dc in DCS:
        world.dc(dc, ("TENT", 10))
    order = world.order(("TENT", 1))
    world.hub.process()
    world.hub.reject(order.id, "dc-il", reason="no staff")

    events = world.hub.reject(order.id, "dc-oh", reason="damaged")

    held = world.hub.order(order.id)
    assert held.state is OrderState.ON_HOLD
    [hold] = held.holds
    assert hold.kind is HoldKind.MANUAL
    assert hold.reason == "rejected by 2 locations: dc-il, dc-oh"
    assert len(events_of(events, OrderHeld)) == 1
    assert routed(events) == []
    assert world.held(order.id) == {}
    assert world.hub.queued() == ()
    assert reconciles(held)


def test_units_freed_by_the_last_rejection_fill_waiting_backorders() -> None:
    """When a rejection puts an order on hold, the units it gave back go to the oldest
    order waiting for them."""
    world = World(max_rejections=1)
    world.dc("dc-il", ("TENT", 1))
    first = world.order(("TENT", 1))
    world.clock.advance(minutes=1)
    waiting = world.order(("TENT", 1))
    world.hub.process()
    assert world.state(waiting.id) is OrderState.BACKORDERED

    world.hub.reject(first.id, "dc-il", reason="no staff")

    assert world.state(first.id) is OrderState.ON_HOLD
    assert world.held(waiting.id) == {(1, "dc-il"): 1}
    assert world.state(waiting.id) is OrderState.ALLOCATED


def test_a_held_order_after_rejections_resumes_elsewhere() -> None:
    """Once a person releases the hold, the order is routed to a location that did not
    reject it."""
    world = World(max_rejections=1)
    for dc in DCS:
        world.dc(dc, ("TENT", 10))
    order = world.order(("TENT", 1))
    world.hub.process()
    world.hub.reject(order.id, "dc-il", reason="no staff")

    world.hub.release_hold(order.id, HoldKind.MANUAL)
    world.hub.process()

    assert world.held(order.id) == {(1, "dc-oh"): 1}
    assert world.state(order.id) is OrderState.ALLOCATED


def test_rejecting_twice_changes_nothing(three_dcs: World) -> None:
    """A duplicate rejection (the location holds nothing of the order any more) is a no-op."""
    hub = three_dcs.hub
    order = three_dcs.order(("TENT", 1))
    hub.process()
    hub.reject(order.id, "dc-il", reason="no staff")
    before = full_state(hub)

    events = hub.reject(order.id, "dc-il", reason="no staff")

    assert events == ()
    assert full_state(hub) == before


def test_rejecting_from_a_location_that_holds_nothing_changes_nothing(three_dcs: World) -> None:
    """A location that was never assigned the order cannot reject it: nothing changes."""
    hub = three_dcs.hub
    order = three_dcs.order(("TENT", 1))
    hub.process()
    before = full_state(hub)

    events = hub.reject(order.id, "dc-nj", reason="not ours")

    assert events == ()
    assert full_state(hub) == before


# -- editing before release --------------------------------------------------------------------


def test_edit_quantity_up_routes_only_the_extra_units(world: World) -> None:
    """Raising a line from 2 to 5 keeps the 2 held and routes only the 3 more (to the DC
    that can fill all three)."""
    world.dc("dc-il", ("TENT", 3))
    world.dc("dc-oh", ("TENT", 10))
    order = world.order(("TENT", 2))
    world.hub.process()
    first = world.hub.stock.reservations(order_id=order.id)

    events = world.hub.edit(order.id, quantities={1: 5})

    assert world.quantities(order.id) == (0, 5, 0, 0)
    assert world.held(order.id) == {(1, "dc-il"): 2, (1, "dc-oh"): 3}
    assert set(first) <= set(world.hub.stock.reservations(order_id=order.id))
    assert [shipped(e) for e in routed(events)] == [{"dc-oh": {1: 3}}]
    assert events_of(events, OrderEdited)[0].changes == ("quantities",)


def test_edit_quantity_down_releases_exactly_the_difference(three_dcs: World) -> None:
    """Lowering a line from 5 to 2 releases 3 units and keeps the rest held."""
    order = three_dcs.order(("TENT", 5))
    three_dcs.hub.process()

    three_dcs.hub.edit(order.id, quantities={1: 2})

    line = three_dcs.hub.order(order.id).line(1)
    assert (line.quantity, line.quantities.allocated, line.quantities.cancelled) == (2, 2, 0)
    assert three_dcs.held(order.id) == {(1, "dc-il"): 2}
    assert three_dcs.available("dc-il", "TENT") == 8
    assert line.gross == Money("298.00", "USD")


def test_edit_quantity_down_gives_back_backordered_units_first(world: World) -> None:
    """Lowering a partly backordered line withdraws the waiting units before the held ones."""
    world.dc("dc-il", ("TENT", 2))
    world.hub.add_supply(world.supply("po-1", "TENT", 5, "dc-il"))
    order = world.order(("TENT", 4))
    world.hub.process()

    world.hub.edit(order.id, quantities={1: 3})

    assert world.quantities(order.id) == (0, 2, 1, 0)
    assert world.hub.stock.supply("po-1").committed == 1
    assert world.held(order.id) == {(1, "dc-il"): 2}


def test_edit_adds_a_line_and_routes_it(three_dcs: World) -> None:
    """An added line is priced, numbered after the others and allocated."""
    order = three_dcs.order(("TENT", 1))
    three_dcs.hub.process()

    events = three_dcs.hub.edit(order.id, add=[LineRequest(sku="MAT", quantity=2)])

    edited = three_dcs.hub.order(order.id)
    assert [(line.line_no, line.sku) for line in edited.lines] == [(1, "TENT"), (2, "MAT")]
    assert three_dcs.held(order.id) == {(1, "dc-il"): 1, (2, "dc-il"): 2}
    assert edited.total == Money("209.00", "USD")
    assert events_of(events, OrderEdited)[0].total == Money("209.00", "USD")
    assert edited.state is OrderState.ALLOCATED


def test_edit_removes_a_line_and_releases_its_units(three_dcs: World) -> None:
    """A removed line keeps its number with nothing left; its units are released."""
    order = three_dcs.order(("TENT", 1), ("MAT", 2))
    three_dcs.hub.process()

    three_dcs.hub.edit(order.id, remove=[2])

    edited = three_dcs.hub.order(order.id)
    assert edited.line(2).quantity == 0
    assert edited.line(2).gross == Money("0.00", "USD")
    assert three_dcs.held(order.id) == {(1, "dc-il"): 1}
    assert three_dcs.available("dc-il", "MAT") == 10
    assert edited.total == Money("149.00", "USD")
    assert reconciles(edited)


def test_edit_ship_to_re_routes_everything(three_dcs: World) -> None:
    """Moving the delivery to New Jersey releases the Chicago DC's units and routes the
    order to the DC nearest the new address."""
    order = three_dcs.order(("TENT", 1), ("MAT", 1))
    three_dcs.hub.process()

    events = three_dcs.hub.edit(order.id, ship_to=address(city="Newark", geo=NEWARK))

    assert three_dcs.held(order.id) == {(1, "dc-nj"): 1, (2, "dc-nj"): 1}
    assert three_dcs.available("dc-il", "TENT") == 10
    assert three_dcs.hub.order(order.id).ship_to.city == "Newark"
    assert events_of(events, OrderEdited)[0].changes == ("ship_to",)
    assert [shipped(e) for e in routed(events)] == [{"dc-nj": {1: 1, 2: 1}}]


def test_edit_ship_to_withdraws_supply_promises_and_routes_again(world: World) -> None:
    """A new ship-to also re-plans backordered units: their promises are withdrawn first."""
    world.dc("dc-il")
    world.dc("dc-nj", ("TENT", 1))
    world.hub.add_supply(world.supply("po-1", "TENT", 5, "dc-il"))
    order = world.order(("TENT", 2))
    world.hub.process()
    assert world.hub.stock.supply("po-1").committed == 1

    world.hub.edit(order.id, ship_to=address(city="Newark", geo=NEWARK))

    assert world.held(order.id) == {(1, "dc-nj"): 1}
    assert world.hub.stock.supply("po-1").committed == 1
    assert world.quantities(order.id) == (0, 1, 1, 0)


def test_edit_spreads_the_order_discount_anew(three_dcs: World) -> None:
    """An order discount of 10.00 is spread again over the new line values, to the cent."""
    hub = three_dcs.hub
    order = hub.capture(
        request(
            "W-disc",
            lines=[LineRequest(sku="TENT", quantity=1), LineRequest(sku="MAT", quantity=1)],
            discounts=(Discount(amount=Money("10.00", "USD")),),
            ship_to=address(geo=CHICAGO),
        )
    ).order
    hub.process()

    hub.edit(order.id, quantities={2: 3}, add=[LineRequest(sku="LAMP", quantity=1)])

    edited = hub.order(order.id)
    shares = [line.order_discount for line in edited.lines]
    assert sum((s.amount for s in shares), Decimal(0)) == Decimal("10.00")
    assert edited.total == Money("238.99", "USD")  # 149 + 90 + 9.99 - 10
    assert sum((line.net.amount for line in edited.lines), Decimal(0)) == edited.total.amount


def test_edit_that_changes_nothing_returns_no_events(three_dcs: World) -> None:
    """Setting a line to the quantity it already has changes nothing."""
    order = three_dcs.order(("TENT", 2))
    three_dcs.hub.process()
    before = full_state(three_dcs.hub)

    events = three_dcs.hub.edit(order.id, quantities={1: 2})

    assert events == ()
    assert full_state(three_dcs.hub) == before


def test_edit_of_a_queued_order_routes_nothing_until_processed(three_dcs: World) -> None:
    """Editing an order still in the queue only changes its lines; process() routes them."""
    order = three_dcs.order(("TENT", 2))

    events = three_dcs.hub.edit(order.id, quantities={1: 4})
    three_dcs.hub.process()

    assert routed(events) == []
    assert three_dcs.held(order.id) == {(1, "dc-il"): 4}


def test_edit_of_an_order_on_hold_routes_after_the_hold(three_dcs: World) -> None:
    """Editing a held order changes its lines; the new units are routed once it is released."""
    order = three_dcs.order(("TENT", 1))
    three_dcs.hub.process()
    three_dcs.hub.hold(order.id, HoldKind.CREDIT, "over limit")

    three_dcs.hub.edit(order.id, quantities={1: 3})
    assert three_dcs.held(order.id) == {(1, "dc-il"): 1}
    three_dcs.hub.release_hold(order.id, HoldKind.CREDIT)
    three_dcs.hub.process()

    assert three_dcs.held(order.id) == {(1, "dc-il"): 3}
    assert three_dcs.state(order.id) is OrderState.ALLOCATED


def cancelled_order(world: World) -> Order:
    """An order captured, allocated and then cancelled."""
    order = world.order(("TENT", 1))
    world.hub.process()
    world.hub.cancel(order.id)
    return world.hub.order(order.id)


@pytest.mark.parametrize(
    ("edit", "error"),
    [
        ({"quantities": {1: 0}}, InvalidQuantity),
        ({"quantities": {1: -2}}, InvalidQuantity),
        ({"quantities": {1: True}}, InvalidQuantity),
        ({"quantities": {1: 2.0}}, InvalidQuantity),
        ({"quantities": {9: 2}}, ValidationError),
        ({"quantities": [(1, 2)]}, ValidationError),
        ({"remove": [9]}, ValidationError),
        ({"quantities": {1: 3}, "remove": [1]}, ValidationError),
        ({"add": [LineRequest(sku="NOPE", quantity=1)]}, UnknownSku),
        ({"ship_to": "Newark"}, ValidationError),
        ({"quantities": {2: 1}, "ship_to": "Newark"}, ValidationError),
        ({"remove": [1, 2]}, ValidationError),  # the 10.00 discount needs a base to come off
    ],
)
def test_invalid_edits_raise_and_change_nothing(
    three_dcs: World, edit: dict[str, Any], error: type[Exception]
) -> None:
    """An invalid edit raises, naming the problem, and leaves the hub and stock unchanged."""
    hub = three_dcs.hub
    order = hub.capture(
        request(
            "W-disc",
            lines=[LineRequest(sku="TENT", quantity=2), LineRequest(sku="MAT", quantity=1)],
            discounts=(Discount(amount=Money("10.00", "USD")),),
            ship_to=address(geo=CHICAGO),
        )
    ).order
    hub.process()
    before = full_state(hub)

    with pytest.raises(error):
        hub.edit(order.id, **edit)

    assert full_state(hub) == before


def test_edit_that_takes_out_every_unit_is_refused(three_dcs: World) -> None:
    """Removing the last line with units left would leave an empty order: the edit is
    refused (cancel the order instead) and nothing changes."""
    order = three_dcs.order(("TENT", 1), ("MAT", 2))
    three_dcs.hub.process()
    three_dcs.hub.cancel_line(order.id, 2)
    before = full_state(three_dcs.hub)

    with pytest.raises(ValidationError, match="cancel the order instead"):
        three_dcs.hub.edit(order.id, remove=[1])

    assert full_state(three_dcs.hub) == before


def test_edit_may_remove_a_line_while_adding_another(three_dcs: World) -> None:
    """Swapping the only line for a new one is an edit, not an empty order."""
    order = three_dcs.order(("TENT", 1))
    three_dcs.hub.process()

    three_dcs.hub.edit(order.id, remove=[1], add=[LineRequest(sku="MAT", quantity=1)])

    assert three_dcs.held(order.id) == {(2, "dc-il"): 1}
    assert three_dcs.available("dc-il", "TENT") == 10


def test_edit_below_the_cancelled_units_is_refused(three_dcs: World) -> None:
    """A line with 2 units cancelled cannot be set to 1; nothing changes."""
    order = three_dcs.order(("TENT", 4))
    three_dcs.hub.process()
    three_dcs.hub.cancel_line(order.id, 1, 2)
    before = full_state(three_dcs.hub)

    with pytest.raises(InvalidQuantity):
        three_dcs.hub.edit(order.id, quantities={1: 1})

    assert full_state(three_dcs.hub) == before


def test_edit_of_a_cancelled_order_is_refused(three_dcs: World) -> None:
    """An order past the point of editing (here cancelled) refuses edits; nothing changes."""
    order = cancelled_order(three_dcs)
    before = full_state(three_dcs.hub)

    with pytest.raises(IllegalTransition):
        three_dcs.hub.edit(order.id, quantities={1: 2})

    assert full_state(three_dcs.hub) == before


# -- reservation expiry ------------------------------------------------------------------------


@pytest.fixture
def expiring() -> World:
    """A hub whose reservations expire after 30 minutes, with one DC of 5 tents."""
    world = World(reservation_ttl=timedelta(minutes=30))
    world.dc("dc-il", ("TENT", 5))
    return world


def test_reservations_carry_their_expiry(expiring: World) -> None:
    """Reservations made by process() expire at the time now + ttl."""
    order = expiring.order(("TENT", 2))

    expiring.hub.process()

    [r] = expiring.hub.stock.reservations(order_id=order.id)
    assert r.expires_at == T0 + timedelta(minutes=30)


def test_nothing_expires_before_its_time(expiring: World) -> None:
    """Before the ttl has passed, expire_reservations() changes nothing."""
    expiring.order(("TENT", 2))
    expiring.hub.process()
    expiring.clock.advance(minutes=29)
    before = full_state(expiring.hub)

    events = expiring.hub.expire_reservations()

    assert events == ()
    assert full_state(expiring.hub) == before


def test_expired_reservations_are_released_and_the_order_queued_again(expiring: World) -> None:
    """Past the ttl the units are released, the order goes back to captured and is queued."""
    order = expiring.order(("TENT", 2))
    expiring.hub.process()
    expiring.clock.advance(minutes=30)

    events = expiring.hub.expire_reservations()

    assert expiring.held(order.id) == {}
    assert expiring.available("dc-il", "TENT") == 5
    assert expiring.quantities(order.id) == (2, 0, 0, 0)
    assert expiring.state(order.id) is OrderState.CAPTURED
    assert expiring.hub.queued() == (order.id,)
    [expired] = events_of(events, ReservationsExpired)
    assert (expired.order_id, expired.quantity) == (order.id, 2)


def test_an_expired_order_can_be_processed_again(expiring: World) -> None:
    """After expiry, process() reserves the order afresh, with a new expiry."""
    order = expiring.order(("TENT", 2))
    expiring.hub.process()
    expiring.clock.advance(minutes=45)
    expiring.hub.expire_reservations()

    expiring.hub.process()

    assert expiring.held(order.id) == {(1, "dc-il"): 2}
    assert expiring.state(order.id) is OrderState.ALLOCATED
    [r] = expiring.hub.stock.reservations(order_id=order.id)
    assert r.expires_at == T0 + timedelta(minutes=75)


def test_expiry_of_a_held_order_keeps_it_off_the_queue(expiring: World) -> None:
    """An order on hold loses its expired units but waits for its hold, not in the queue."""
    order = expiring.order(("TENT", 2))
    expiring.hub.process()
    expiring.hub.hold(order.id, HoldKind.PAYMENT, "card declined")
    expiring.clock.advance(hours=1)

    expiring.hub.expire_reservations()

    held = expiring.hub.order(order.id)
    assert held.state is OrderState.ON_HOLD
    assert held.resume_state is OrderState.CAPTURED
    assert expiring.hub.queued() == ()
    assert expiring.held(order.id) == {}


def test_expired_units_fill_waiting_backorders(expiring: World) -> None:
    """Units released by an expiry go to the oldest backorder waiting for them."""
    first = expiring.order(("TENT", 5))
    expiring.hub.process()
    expiring.clock.advance(minutes=10)
    second = expiring.order(("TENT", 3))
    expiring.hub.process()
    assert expiring.state(second.id) is OrderState.BACKORDERED
    expiring.clock.advance(minutes=25)

    expiring.hub.expire_reservations()

    assert expiring.held(second.id) == {(1, "dc-il"): 3}
    assert expiring.state(first.id) is OrderState.CAPTURED


def test_expiry_releases_only_the_reservations_that_expired(expiring: World) -> None:
    """Two tents reserved at 9:00 and one more at 9:10 at the same DC: at 9:30 the two
    expire and the third stays held until 9:40."""
    order = expiring.order(("TENT", 2))
    expiring.hub.process()
    expiring.clock.advance(minutes=10)
    expiring.hub.edit(order.id, quantities={1: 3})
    expiring.clock.advance(minutes=20)

    expiring.hub.expire_reservations()

    now = expiring.clock.now()
    live = expiring.hub.stock.reservations(order_id=order.id)
    assert [r.expires_at for r in live] == [T0 + timedelta(minutes=40)]
    assert all(r.expires_at > now for r in expiring.hub.stock.reservations())
    assert expiring.quantities(order.id) == (2, 1, 0, 0)


def test_expiring_twice_at_the_same_time_changes_nothing_more(expiring: World) -> None:
    """Telling the hub the same time twice releases nothing the second time."""
    order = expiring.order(("TENT", 2))
    expiring.hub.process()
    expiring.clock.advance(minutes=10)
    expiring.hub.edit(order.id, quantities={1: 3})
    expiring.clock.advance(minutes=20)
    expiring.hub.expire_reservations()
    before = full_state(expiring.hub)

    events = expiring.hub.expire_reservations()

    assert events == ()
    assert full_state(expiring.hub) == before


def test_an_expired_order_whose_backorder_is_refilled_leaves_the_queue(expiring: World) -> None:
    """One of two tents expires; the order's waiting tent takes it back at once, so the
    order is routed again and no longer waits in the queue."""
    expiring.hub.stock.adjust("dc-il", "TENT", -4, reason="count")
    order = expiring.order(("TENT", 2))
    expiring.hub.process()
    assert expiring.quantities(order.id) == (0, 1, 1, 0)
    expiring.clock.advance(minutes=30)

    expiring.hub.expire_reservations()

    assert expiring.hub.queued() == ()
    assert expiring.quantities(order.id) == (0, 1, 1, 0)
    assert expiring.state(order.id) is OrderState.PARTIALLY_ALLOCATED


def test_cancelling_the_allocated_line_of_a_queued_order_settles_its_state(
    expiring: World,
) -> None:
    """A queued order whose tent expired keeps its drop-shipped stoves; cancelling them
    leaves only open units, so the order is captured again, not partially allocated."""
    expiring.dc("stoves-ca", kind=LocationKind.DROP_SHIPPER, vendor="stoves-inc")
    order = expiring.order(("STOVE", 2), ("TENT", 1))
    expiring.hub.process()
    expiring.clock.advance(minutes=30)
    expiring.hub.expire_reservations()
    assert expiring.state(order.id) is OrderState.PARTIALLY_ALLOCATED

    expiring.hub.cancel_line(order.id, 1)

    assert expiring.state(order.id) is OrderState.CAPTURED
    assert expiring.hub.queued() == (order.id,)


# -- stock arriving fills backorders, first captured first -------------------------------------


def three_waiting(world: World) -> list[Order]:
    """Three backordered one-tent orders, captured a minute apart, at an empty dc-il."""
    world.dc("dc-il")
    orders = []
    for _ in range(3):
        orders.append(world.order(("TENT", 1)))
        world.clock.advance(minutes=1)
    world.hub.process()
    return orders


def test_receive_fills_waiting_backorders_first_captured_first(world: World) -> None:
    """Two tents arrive for three waiting orders: the first two captured get them."""
    first, second, third = three_waiting(world)

    events = world.hub.receive("dc-il", "TENT", 2, reference="asn-1")

    assert [world.state(o.id) for o in (first, second, third)] == [
        OrderState.ALLOCATED,
        OrderState.ALLOCATED,
        OrderState.BACKORDERED,
    ]
    assert [e.order_id for e in routed(events)] == [first.id, second.id]
    assert world.available("dc-il", "TENT") == 0
    assert world.hub._alloc.waiting("TENT") == [(third.id, 1)]


def test_receive_fills_the_oldest_order_even_if_it_was_processed_later(world: World) -> None:
    """Backorders are filled in capture order, not in the order they started waiting."""
    world.dc("dc-il")
    older = world.order(("TENT", 1), service_level=ServiceLevel.ECONOMY)
    world.clock.advance(minutes=1)
    newer = world.order(("TENT", 1), service_level=ServiceLevel.SAME_DAY)
    world.hub.process()

    world.hub.receive("dc-il", "TENT", 1)

    assert world.state(older.id) is OrderState.ALLOCATED
    assert world.state(newer.id) is OrderState.BACKORDERED


def test_orders_captured_at_the_same_instant_fill_in_capture_order(world: World) -> None:
    """Two orders captured at the same clock time: the one captured first is filled first,
    even when the other was routed (and started waiting) before it."""
    world.dc("dc-il")
    older = world.order(("TENT", 1), service_level=ServiceLevel.ECONOMY)
    newer = world.order(("TENT", 1), service_level=ServiceLevel.SAME_DAY)
    world.hub.process()

    world.hub.receive("dc-il", "TENT", 1)

    assert world.state(older.id) is OrderState.ALLOCATED
    assert world.state(newer.id) is OrderState.BACKORDERED


def test_add_supply_promises_it_to_waiting_backorders_first_captured_first(
    world: World,
) -> None:
    """A supply of two is promised to the first two waiting orders; the third still waits
    with no supply."""
    first, second, third = three_waiting(world)

    world.hub.add_supply(world.supply("po-1", "TENT", 2, "dc-il"))

    assert world.hub.stock.commitments("po-1") == ((first.id, 1, 1), (second.id, 1, 1))
    assert world.hub._alloc.supplies_of(third.id, 1) == {}
    assert [world.state(o.id) for o in (first, second, third)] == [OrderState.BACKORDERED] * 3


def test_receive_supply_allocates_the_lines_it_was_promised_to(world: World) -> None:
    """When the supply arrives, its units are reserved for the lines it was promised to."""
    first, second, third = three_waiting(world)
    world.hub.add_supply(world.supply("po-1", "TENT", 2, "dc-il"))

    world.hub.receive_supply("po-1")

    assert world.held(first.id) == {(1, "dc-il"): 1}
    assert world.held(second.id) == {(1, "dc-il"): 1}
    assert world.state(third.id) is OrderState.BACKORDERED
    assert world.hub.stock.supply("po-1").committed == 0
    assert world.hub.stock.commitments("po-1") == ()


def test_partial_arrival_of_a_supply_fills_the_oldest_first(world: World) -> None:
    """One of two promised units arrives: the first captured order gets it."""
    first, second, _ = three_waiting(world)
    world.hub.add_supply(world.supply("po-1", "TENT", 2, "dc-il"))

    world.hub.receive_supply("po-1", 1)

    assert world.held(first.id) == {(1, "dc-il"): 1}
    assert world.state(second.id) is OrderState.BACKORDERED
    assert world.hub._alloc.supplies_of(second.id, 1) == {"po-1": 1}
    assert world.hub.stock.supply("po-1").committed == 1


def test_stock_received_elsewhere_fills_backorders_promised_a_later_supply(
    world: World,
) -> None:
    """A line promised next week's supply takes stock on hand as soon as it arrives anywhere."""
    world.dc("dc-il")
    world.dc("dc-oh")
    world.hub.add_supply(world.supply("po-1", "TENT", 5, "dc-il", days=7))
    order = world.order(("TENT", 2))
    world.hub.process()

    world.hub.receive("dc-oh", "TENT", 2)

    assert world.held(order.id) == {(1, "dc-oh"): 2}
    assert world.hub.stock.supply("po-1").committed == 0


# -- every error leaves the hub and its stock unchanged ----------------------------------------


@pytest.fixture
def busy(world: World) -> World:
    """A hub mid-flight: allocated, backordered, promised and queued orders."""
    world.dc("dc-il", ("TENT", 3), ("MAT", 2))
    world.dc("dc-oh", ("MAT", 1))
    world.hub.add_supply(world.supply("po-1", "TENT", 2, "dc-il"))
    world.order(("TENT", 2), ("MAT", 3))
    world.order(("TENT", 3))
    world.hub.process()
    world.order(("MAT", 1))
    return world


@pytest.mark.parametrize(
    ("command", "error"),
    [
        (lambda hub: hub.cancel("order-99"), UnknownOrder),
        (lambda hub: hub.cancel_line("order-99", 1), UnknownOrder),
        (lambda hub: hub.cancel_line("order-1", 9), ValidationError),
        (lambda hub: hub.cancel_line("order-1", 1, 0), InvalidQuantity),
        (lambda hub: hub.cancel_line("order-1", 1, -1), InvalidQuantity),
        (lambda hub: hub.cancel_line("order-1", 1, 3), InvalidQuantity),
        (lambda hub: hub.cancel_line("order-1", 1, True), InvalidQuantity),
        (lambda hub: hub.reject("order-99", "dc-il", reason="x"), UnknownOrder),
        (lambda hub: hub.reject("order-1", "dc-zz", reason="x"), UnknownLocation),
        (lambda hub: hub.reject("order-1", "dc-il", reason=" "), ValidationError),
        (lambda hub: hub.edit("order-99", quantities={1: 1}), UnknownOrder),
        (lambda hub: hub.hold("order-99", HoldKind.MANUAL, "x"), UnknownOrder),
        (lambda hub: hub.hold("order-1", "manual", "x"), ValidationError),
        (lambda hub: hub.release_hold("order-99", HoldKind.MANUAL), UnknownOrder),
        (lambda hub: hub.receive("dc-zz", "TENT", 1), UnknownLocation),
        (lambda hub: hub.receive("dc-il", "TENT", 0), InvalidQuantity),
        (lambda hub: hub.receive("dc-il", "TENT", -3), InvalidQuantity),
        (lambda hub: hub.receive("dc-il", "TENT", 1.5), InvalidQuantity),
        (
            lambda hub: hub.add_supply(
                Supply(
                    id="po-2",
                    sku="TENT",
                    location_id="dc-zz",
                    quantity=1,
                    expected=date(2026, 4, 1),
                )
            ),
            UnknownLocation,
        ),
        (
            lambda hub: hub.add_supply(
                Supply(
                    id="po-1",
                    sku="TENT",
                    location_id="dc-il",
                    quantity=9,
                    expected=date(2026, 4, 1),
                )
            ),
            ValidationError,
        ),
        (lambda hub: hub.add_supply("po-3"), ValidationError),
        (lambda hub: hub.receive_supply("po-99"), UnknownSupply),
        (lambda hub: hub.receive_supply("po-1", 3), InvalidQuantity),
        (lambda hub: hub.receive_supply("po-1", 0), InvalidQuantity),
        (lambda hub: hub.process(limit="all"), ValidationError),
    ],
)
def test_every_error_leaves_hub_and_stock_unchanged(
    busy: World, command: Any, error: type[Exception]
) -> None:
    """A command that raises changes nothing in the hub or in its stock book."""
    before = full_state(busy.hub)

    with pytest.raises(error):
        command(busy.hub)

    assert full_state(busy.hub) == before


def test_commands_on_a_cancelled_order_change_nothing(three_dcs: World) -> None:
    """Cancelling again, or rejecting, a cancelled order is a no-op."""
    order = cancelled_order(three_dcs)
    before = full_state(three_dcs.hub)

    assert three_dcs.hub.cancel(order.id) == ()
    assert three_dcs.hub.cancel_line(order.id, 1) == ()
    assert three_dcs.hub.reject(order.id, "dc-il", reason="late") == ()
    assert full_state(three_dcs.hub) == before


def test_hub_options_are_validated() -> None:
    """max_rejections must be a positive int and reservation_ttl a positive timedelta."""
    clock = FixedClock(datetime(2026, 3, 2, tzinfo=UTC))

    for options in (
        {"max_rejections": 0},
        {"max_rejections": True},
        {"max_rejections": 2.0},
        {"reservation_ttl": timedelta(0)},
        {"reservation_ttl": 30},
    ):
        with pytest.raises(ValidationError):
            OrderHub(clock=clock, ids=SequentialIds(), **options)
