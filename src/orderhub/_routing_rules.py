"""The built-in eligibility filters, rankers and split policies of routing; public
through :mod:`orderhub.routing`."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any, TypeAlias

import attrs

from orderhub._money import Money
from orderhub._network import Capability, Location
from orderhub._orders import Order
from orderhub._routing_plan import _tuple_of, _v_positive, _v_text
from orderhub._values import Channel, GeoPoint
from orderhub._view import NetworkView
from orderhub.errors import ValidationError

__all__ = [
    "AllowSplit",
    "ByCost",
    "ByDistance",
    "ByRank",
    "ForChannel",
    "HasCapability",
    "HasCapacity",
    "OwnedBy",
    "ServesShipTo",
    "ShipComplete",
    "SplitPolicy",
    "shipment_cost",
]

# -- filters -----------------------------------------------------------------------------


@attrs.frozen
class HasCapability:
    """Only locations with ``capability`` (e.g. ships parcels, click-and-collect)."""

    capability: Capability = attrs.field(validator=attrs.validators.instance_of(Capability))

    def accepts(self, location: Location, order: Order, network: NetworkView) -> bool:
        """True when the location has the capability."""
        return self.capability in location.capabilities


@attrs.frozen
class ServesShipTo:
    """Only locations that serve the ship-to country/region (orders without a ship-to
    pass every location)."""

    def accepts(self, location: Location, order: Order, network: NetworkView) -> bool:
        """True when the location serves the order's ship-to."""
        ship_to = order.ship_to
        if ship_to is None:
            return True
        return location.serves(ship_to.country, ship_to.region)


def _location_ids(value: Any) -> frozenset[str]:
    if isinstance(value, str):
        value = (value,)
    items = _tuple_of(str, "location_ids")(value)
    return frozenset(items)


@attrs.frozen
class ForChannel:
    """Orders from ``channel`` may only use ``location_ids``; other orders pass."""

    channel: Channel = attrs.field(validator=attrs.validators.instance_of(Channel))
    location_ids: frozenset[str] = attrs.field(converter=_location_ids)

    def accepts(self, location: Location, order: Order, network: NetworkView) -> bool:
        """True for other channels, or when the location is one of ``location_ids``."""
        return order.channel is not self.channel or location.id in self.location_ids


@attrs.frozen
class OwnedBy:
    """Only locations operated by ``owner``."""

    owner: str = attrs.field(validator=_v_text)

    def accepts(self, location: Location, order: Order, network: NetworkView) -> bool:
        """True when the location's owner is ``owner``."""
        return location.owner == self.owner


@attrs.frozen
class HasCapacity:
    """Only locations that can take another order today (no daily limit passes).

    Capacity is today's: it does not keep a location's incoming supply from backorders.
    """

    def accepts(self, location: Location, order: Order, network: NetworkView) -> bool:
        """True when the location has capacity left today."""
        left = network.capacity_left(location.id)
        return left is None or left > 0


_PURE_FILTERS: frozenset[type] = frozenset(
    {HasCapability, ServesShipTo, ForChannel, OwnedBy, HasCapacity}
)
"""The built-in filters: cheap and pure, so a routing run may ask them about only the
locations it looks at, in any order."""


# -- rankers -----------------------------------------------------------------------------


def _distance_km(location: Location, order: Order) -> float | None:
    ship_to = order.ship_to
    if ship_to is None or ship_to.geo is None or location.geo is None:
        return None
    return location.geo.distance_km(ship_to.geo)


_UNIT: dict[str, tuple[GeoPoint, float, float, float]] = {}


def _unit(point: GeoPoint) -> tuple[float, float, float]:
    """``point`` as a unit vector (x, y, z) on the sphere."""
    lat, lon = math.radians(point.latitude), math.radians(point.longitude)
    cos_lat = math.cos(lat)
    return cos_lat * math.cos(lon), cos_lat * math.sin(lon), math.sin(lat)


def _nearest_candidates(locations: list[Location], order: Order) -> list[Location]:
    """The locations among which the nearest to ``order``'s ship-to is (by
    :class:`ByDistance`'s key, then id), so that ranking just them by their exact key picks
    what ranking all of them would.

    It compares ``1 - cos θ`` of each location's angle θ to the ship-to, from the dot
    product of unit vectors (remembered per location: a network has few), which grows with
    the distance as the exact key does. Its error is an absolute few 1e-16, so the locations
    within a relative 1e-9 of the smallest or an absolute 1e-12 are kept: far wider than
    that error and than any rounding of the exact distance. Anything unusual (no ship-to
    position, a location without one, another point class) keeps every location.
    """
    ship_to = order.ship_to
    target = ship_to.geo if ship_to is not None else None
    if target is None or type(target) is not GeoPoint:
        return locations
    x, y, z = _unit(target)
    units = _UNIT
    terms = []
    for location in locations:
        geo = location.geo
        if geo is None or type(geo) is not GeoPoint:
            return locations
        found = units.get(location.id)
        if found is None or found[0] is not geo:
            found = (geo, *_unit(geo))
            if len(units) < 10_000 or location.id in units:
                units[location.id] = found
        terms.append(1.0 - (found[1] * x + found[2] * y + found[3] * z))
    if not all(map(math.isfinite, terms)):
        return locations
    least = min(terms)
    limit = least + abs(least) * 1e-9 + 1e-12
    return [location for location, h in zip(locations, terms, strict=True) if h <= limit]


@attrs.frozen
class ByDistance:
    """Nearest first by great-circle distance to the ship-to point; locations or orders
    without a position rank after those with one."""

    @property
    def label(self) -> str:
        """``"closest"``."""
        return "closest"

    def key(self, location: Location, order: Order, network: NetworkView) -> tuple[Any, ...]:
        """(0, km), or (1, 0.0) when the distance is unknown."""
        km = _distance_km(location, order)
        return (1, 0.0) if km is None else (0, km)

    def measure(self, location: Location, order: Order, network: NetworkView) -> str:
        """``"12.4 km"`` or ``"distance unknown"``."""
        km = _distance_km(location, order)
        return "distance unknown" if km is None else f"{km:.1f} km"


@attrs.frozen
class ByRank:
    """Lowest :attr:`Location.rank` first (rank 1 is the highest priority)."""

    @property
    def label(self) -> str:
        """``"highest priority"``."""
        return "highest priority"

    def key(self, location: Location, order: Order, network: NetworkView) -> tuple[Any, ...]:
        """(rank,)."""
        return (location.rank,)

    def measure(self, location: Location, order: Order, network: NetworkView) -> str:
        """``"rank 1"``."""
        return f"rank {location.rank}"


def shipment_cost(location: Location, order: Order) -> Money | None:
    """``cost_per_shipment`` + ``cost_per_km`` × distance for one shipment, or None when
    unknown (no cost configured, or a per-km cost without a distance).

    The distance enters as a ``Decimal`` rounded to metres; the product is rounded half-up
    to the currency's minor unit. Money never passes through a float.
    """
    per_shipment, per_km = location.cost_per_shipment, location.cost_per_km
    if per_shipment is None and per_km is None:
        return None
    cost = per_shipment
    if per_km is not None:
        km = _distance_km(location, order)
        if km is None:
            return None
        variable = per_km.multiply(Decimal(str(round(km, 3))))
        cost = variable if cost is None else cost + variable
    return cost


@attrs.frozen
class ByCost:
    """Cheapest shipment first (:func:`shipment_cost`); unknown costs rank last. Costs in
    different currencies are not converted: they order by currency code, then amount."""

    @property
    def label(self) -> str:
        """``"lowest cost"``."""
        return "lowest cost"

    def key(self, location: Location, order: Order, network: NetworkView) -> tuple[Any, ...]:
        """(0, currency, amount), or (1, "", 0) when the cost is unknown."""
        cost = shipment_cost(location, order)
        return (1, "", Decimal(0)) if cost is None else (0, cost.currency, cost.amount)

    def measure(self, location: Location, order: Order, network: NetworkView) -> str:
        """``"12.40 USD"`` or ``"cost unknown"``."""
        cost = shipment_cost(location, order)
        return "cost unknown" if cost is None else str(cost)


# -- split policies ----------------------------------------------------------------------


@attrs.frozen
class ShipComplete:
    """One location fills every open unit of the order, or the order waits: then all its
    open units are backordered (against incoming supply where there is some)."""


def _opt_max(_: object, a: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        _v_positive(_, a, value)


def _opt_money(_: object, a: attrs.Attribute[Any], value: object) -> None:
    if value is not None and (not isinstance(value, Money) or value.is_negative):
        raise ValidationError(
            "must be a non-negative Money or None", field="min_shipment_value", value=value
        )


@attrs.frozen(kw_only=True)
class AllowSplit:
    """The order may ship from several locations: at most ``max_shipments`` of them, each
    worth at least ``min_shipment_value`` (None: no limit).

    A shipment's value counts its units at the lowest unit price among the order's lines of
    that SKU, before discounts. The limits apply to splits only: one location that fills
    the whole order is always allowed. Units the limits keep from shipping are backordered.
    """

    max_shipments: int | None = attrs.field(default=None, validator=_opt_max)
    min_shipment_value: Money | None = attrs.field(default=None, validator=_opt_money)


SplitPolicy: TypeAlias = ShipComplete | AllowSplit
"""How an order may be split across locations."""
