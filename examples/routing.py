"""Routing scenarios: which location fulfils which units, and why.

Run it with ``python examples/routing.py``. Each scenario builds a small network, captures one
order and prints the plan the hub made for it: the assignments (location, ERP, lines) and the
backorders, each with the strategy's reason.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

from orderhub import (
    Address,
    Channel,
    GeoPoint,
    Item,
    LineRequest,
    Location,
    LocationKind,
    Money,
    OrderHub,
    OrderRequest,
    Supply,
)
from orderhub.events import OrderRouted
from orderhub.routing import ByDistance, Pipeline, RoutingStrategy, ShipComplete
from orderhub.testing import FixedClock, SequentialIds

CHICAGO = GeoPoint(41.88, -87.63)
DCS = {
    "dc-nj": GeoPoint(40.76, -74.03),  # Secaucus
    "dc-oh": GeoPoint(39.96, -82.99),  # Columbus
    "dc-tx": GeoPoint(32.78, -96.80),  # Dallas
}


def new_hub(routing: RoutingStrategy | None = None) -> OrderHub:
    clock = FixedClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    hub = OrderHub(clock=clock, ids=SequentialIds(), routing=routing)
    hub.catalog.add(Item(sku="TENT-2P", description="2-person tent", price=Money("149.00", "USD")))
    hub.catalog.add(Item(sku="STOVE-1", description="Camp stove", price=Money("54.99", "USD")))
    hub.catalog.add(
        Item(sku="KAYAK", description="Touring kayak", price=Money("899.00", "USD"), owner="acme")
    )
    hub.catalog.add(
        Item(
            sku="SUP-11",
            description="Paddle board",
            price=Money("649.00", "USD"),
            drop_ship_vendor="boardworks",
        )
    )
    for loc, geo in DCS.items():
        hub.network.add(Location(id=loc, kind=LocationKind.DC, geo=geo, erp="erp-main"))
    hub.network.add(
        Location(
            id="acme-dc",
            kind=LocationKind.DC,
            geo=GeoPoint(44.98, -93.27),
            erp="erp-acme",
            owner="acme",
        )
    )
    hub.network.add(
        Location(
            id="boardworks",
            kind=LocationKind.DROP_SHIPPER,
            geo=GeoPoint(33.75, -84.39),
            erp="erp-main",
            vendor="boardworks",
        )
    )
    return hub


def order(hub: OrderHub, *lines: tuple[str, int]) -> None:
    hub.capture(
        OrderRequest(
            channel=Channel.WEB,
            external_id=f"W-{len(list(hub.orders())) + 1}",
            ship_to=Address(line1="1 Main St", city="Chicago", country="US", geo=CHICAGO),
            lines=[LineRequest(sku=sku, quantity=q) for sku, q in lines],
        )
    )


def show(title: str, setup: Callable[[OrderHub], None], hub: OrderHub | None = None) -> None:
    hub = hub or new_hub()
    setup(hub)
    routed = [e for e in hub.process() if isinstance(e, OrderRouted)]
    print(f"\n== {title}")
    for event in routed:
        for a in event.assignments:
            lines = ", ".join(f"{pl.quantity} × {pl.sku}" for pl in a.lines)
            print(f"  ship {lines} from {a.location_id} ({a.erp}): {a.reason}")
        for b in event.backorders:
            print(f"  wait {b.quantity} × {b.sku}: {b.reason}")


def three_dcs(hub: OrderHub) -> None:
    for loc in DCS:
        hub.stock.receive(loc, "TENT-2P", 10)
    order(hub, ("TENT-2P", 1))


def closest_out_of_stock(hub: OrderHub) -> None:
    hub.stock.receive("dc-nj", "TENT-2P", 10)
    hub.stock.receive("dc-tx", "TENT-2P", 10)
    order(hub, ("TENT-2P", 1))


def ship_complete(hub: OrderHub) -> None:
    hub.stock.receive("dc-oh", "TENT-2P", 5)
    hub.stock.receive("dc-nj", "STOVE-1", 5)
    order(hub, ("TENT-2P", 1), ("STOVE-1", 1))


def split(hub: OrderHub) -> None:
    ship_complete(hub)


def acquired_brand(hub: OrderHub) -> None:
    hub.stock.receive("dc-oh", "TENT-2P", 5)
    hub.stock.receive("acme-dc", "KAYAK", 2)
    order(hub, ("TENT-2P", 1), ("KAYAK", 1))


def drop_ship(hub: OrderHub) -> None:
    hub.stock.receive("dc-oh", "STOVE-1", 5)
    order(hub, ("STOVE-1", 2), ("SUP-11", 1))


def on_hand_beats_supply(hub: OrderHub) -> None:
    hub.stock.receive("dc-tx", "TENT-2P", 1)
    hub.add_supply(
        Supply(
            id="PO-7", sku="TENT-2P", location_id="dc-oh", quantity=50, expected=date(2026, 3, 3)
        )
    )
    order(hub, ("TENT-2P", 3))


def main() -> None:
    print("orderhub routing scenarios (ship-to: Chicago)")
    show("three DCs on one ERP: the closest is chosen", three_dcs)
    show("the closest DC is out of stock: the next closest is chosen", closest_out_of_stock)
    show("allow split (default): two DCs each ship what they have", split)
    show(
        "ship complete: no DC has everything, so the order waits rather than splits",
        ship_complete,
        new_hub(Pipeline(split=ShipComplete(), rankers=(ByDistance(),))),
    )
    show("an acquired company's items go to its ERP", acquired_brand)
    show("a vendor's items go to the drop shipper", drop_ship)
    show("on hand beats a shipment arriving tomorrow; the rest waits for it", on_hand_beats_supply)


if __name__ == "__main__":
    main()
