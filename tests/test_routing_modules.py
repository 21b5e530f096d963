"""orderhub.routing keeps its public names, and snapshots that name routing classes by
their path before the module was split still restore."""

from __future__ import annotations

import json

from helpers import CATALOG, T0, address, request
from orderhub import Capability, GeoPoint, Location, LocationKind, OrderHub, routing
from orderhub.routing import (
    AllowSplit,
    ByCost,
    Closest,
    HasCapability,
    Pipeline,
    ShipComplete,
)
from orderhub.testing import FixedClock, SequentialIds


def test_every_public_name_is_importable_from_orderhub_routing() -> None:
    for name in routing.__all__:
        assert getattr(routing, name) is not None


def _hub() -> OrderHub:
    """A hub routing with built-in filters, rankers and split policies, one order routed."""
    strategy = Pipeline(
        filters=(HasCapability(Capability.SHIPS_PARCELS),),
        rankers=(ByCost(),),
        split=AllowSplit(max_shipments=2),
        fallback=Closest(split=ShipComplete()),
    )
    hub = OrderHub(clock=FixedClock(T0), ids=SequentialIds(), routing=strategy)
    for item in CATALOG:
        hub.catalog.add(item)
    for i, (lat, lon) in enumerate([(41.9, -87.6), (40.7, -74.0)]):
        hub.network.add(Location(id=f"dc-{i}", kind=LocationKind.DC, geo=GeoPoint(lat, lon)))
        hub.stock.receive(f"dc-{i}", "TENT", 5)
    hub.capture(request(ship_to=address(geo=GeoPoint(41.0, -80.0))))
    hub.process()
    return hub


def test_a_snapshot_naming_the_old_routing_paths_restores() -> None:
    hub = _hub()
    text = json.dumps(hub.snapshot())
    old = text
    for module in ("_routing_plan", "_routing_rules", "_routing_run"):
        old = old.replace(f'"orderhub.{module}:', '"orderhub.routing:')
    assert old != text  # the snapshot named classes of the split-out modules

    restored = OrderHub.restore(
        json.loads(old), clock=FixedClock(T0), ids=SequentialIds(prefix="r-")
    )

    assert restored.snapshot() == hub.snapshot()
    assert restored.routing == hub.routing
