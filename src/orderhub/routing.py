"""orderhub.routing: which location (and so which ERP back end) fulfils which units of an
order, which units wait for incoming supply, and why.

A :class:`RoutingStrategy` turns an order and a :class:`NetworkView` into a
:class:`RoutingPlan`. Every strategy here follows the same rules:

- Only open units are routed, and all of them: for every line, Σ assigned + Σ backordered
  equals the line's open quantity (:meth:`RoutingPlan.check`).
- On-hand stock beats incoming supply. Units that cannot be filled from on-hand are
  backordered against supplies, the earliest expected date first and equal dates by the
  lowest supply id, using only their uncommitted units. With no supply they wait
  (a :class:`Backorder` without a supply): waiting is a plan, not an error.
- Demand for one SKU is summed over the order's lines before it is checked against a
  location, and what one plan takes from a location or a supply is tracked, so a plan
  never counts the same units twice.
- A single location that fills the whole order is preferred to a split.
- Ties always end in the location id (the lowest id first): the documented stable rule.
  The same order over the same view gives the same plan, reasons included.
- Strategies work from the view's per-SKU candidates, never from a scan of the network, so
  their cost does not grow with the number of locations.
- Every assignment and backorder carries a human-readable reason.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias, runtime_checkable

import attrs

from orderhub._money import Money
from orderhub._network import Capability, Location
from orderhub._orders import Order, OrderLine
from orderhub._values import Channel, GeoPoint
from orderhub._view import UNLIMITED, NetworkView
from orderhub.errors import CurrencyMismatch, InvalidQuantity, ValidationError

if TYPE_CHECKING:
    from orderhub._stock import Supply

__all__ = [
    "NO_SUPPLY",
    "UNLIMITED",
    "AllowSplit",
    "Assignment",
    "Backorder",
    "ByCost",
    "ByDistance",
    "ByOwner",
    "ByRank",
    "Claimer",
    "Closest",
    "Composed",
    "DropShip",
    "FewestShipments",
    "ForChannel",
    "HasCapability",
    "HasCapacity",
    "LocationFilter",
    "LowestCost",
    "NetworkView",
    "OwnedBy",
    "Pipeline",
    "PlannedLine",
    "Priority",
    "Ranker",
    "RoutingPlan",
    "RoutingStrategy",
    "ServesShipTo",
    "ShipComplete",
    "SplitPolicy",
    "compose",
    "shipment_cost",
]

NO_SUPPLY = "no stock and no incoming supply"
"""The reason of a backorder that waits with no supply to fill it."""


# -- validation helpers ------------------------------------------------------------------


def _v_text(_: object, a: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError("must be a non-empty string", field=a.alias, value=value)


def _v_opt_text(_: object, a: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        _v_text(_, a, value)


def _v_positive(_: object, a: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InvalidQuantity("must be a positive integer", field=a.alias, value=value)


@functools.cache
def _tuple_of(kind: type | tuple[type, ...], name: str) -> Callable[[Any], tuple[Any, ...]]:
    """The converter of a field that holds a tuple of ``kind`` (made once per field)."""

    def convert(value: Any) -> tuple[Any, ...]:
        if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
            raise ValidationError("must be a sequence", field=name, value=value)
        items = tuple(value)
        for i, item in enumerate(items):
            if not isinstance(item, kind):
                raise ValidationError(
                    f"must be a {getattr(kind, '__name__', 'valid item')}",
                    field=f"{name}[{i}]",
                    value=item,
                )
        return items

    return convert


# -- the plan ----------------------------------------------------------------------------


def _planned_lines(value: Iterable[PlannedLine]) -> tuple[PlannedLine, ...]:
    return _tuple_of(PlannedLine, "lines")(value)


def _assignments(value: Iterable[Assignment]) -> tuple[Assignment, ...]:
    return _tuple_of(Assignment, "assignments")(value)


def _backorders(value: Iterable[Backorder]) -> tuple[Backorder, ...]:
    return _tuple_of(Backorder, "backorders")(value)


@attrs.frozen(kw_only=True)
class PlannedLine:
    """``quantity`` units of order line ``line_no`` (SKU ``sku``) in one assignment."""

    line_no: int = attrs.field(validator=_v_positive)
    sku: str = attrs.field(validator=_v_text)
    quantity: int = attrs.field(validator=_v_positive)


@attrs.frozen(kw_only=True)
class Assignment:
    """One shipment of a plan: the location, the ERP back end it runs on, the units of each
    line it fills, and why it was chosen.

    Guarantees: at least one line, each line number at most once, in line order.
    """

    location_id: str = attrs.field(validator=_v_text)
    erp: str = attrs.field(validator=_v_text)
    lines: tuple[PlannedLine, ...] = attrs.field(converter=_planned_lines)
    reason: str = attrs.field(validator=_v_text)

    def __attrs_post_init__(self) -> None:
        numbers = [pl.line_no for pl in self.lines]
        if not numbers:
            raise ValidationError("an assignment needs at least one line", field="lines", value=[])
        if numbers != sorted(set(numbers)):
            raise ValidationError(
                "each line at most once, in line order", field="lines", value=numbers
            )

    def quantity_for(self, line_no: int) -> int:
        """Units of line ``line_no`` in this assignment (0 if none)."""
        return sum(pl.quantity for pl in self.lines if pl.line_no == line_no)


@attrs.frozen(kw_only=True)
class Backorder:
    """Units of one line that wait: for supply ``supply_id`` expected at ``location_id`` on
    ``expected``, or, when ``supply_id`` is None, for stock nobody has ordered yet.

    Waiting without supply is a legitimate outcome, not an error.
    """

    line_no: int = attrs.field(validator=_v_positive)
    sku: str = attrs.field(validator=_v_text)
    quantity: int = attrs.field(validator=_v_positive)
    supply_id: str | None = attrs.field(default=None, validator=_v_opt_text)
    location_id: str | None = attrs.field(default=None, validator=_v_opt_text)
    expected: date | None = attrs.field(default=None)
    reason: str = attrs.field(validator=_v_text)

    def __attrs_post_init__(self) -> None:
        if self.supply_id is not None and (self.location_id is None or self.expected is None):
            raise ValidationError(
                "a backorder against a supply names its location and expected date",
                field="supply_id",
                value=self.supply_id,
            )

    @property
    def has_supply(self) -> bool:
        """True when the units wait for a known incoming supply."""
        return self.supply_id is not None


@attrs.frozen(kw_only=True)
class RoutingPlan:
    """What a strategy decided for the open units of one order: assignments (one per
    location) and backorders, each with its reason.

    Guarantees on construction: at most one assignment per location. :meth:`check` verifies
    the plan against its order: every line's open units are planned exactly once.
    """

    order_id: str = attrs.field(validator=_v_text)
    assignments: tuple[Assignment, ...] = attrs.field(default=(), converter=_assignments)
    backorders: tuple[Backorder, ...] = attrs.field(default=(), converter=_backorders)

    def __attrs_post_init__(self) -> None:
        seen: set[str] = set()
        for a in self.assignments:
            if a.location_id in seen:
                raise ValidationError(
                    "one assignment per location",
                    field="assignments",
                    value=a.location_id,
                    entity_id=self.order_id,
                )
            seen.add(a.location_id)

    @property
    def locations(self) -> tuple[str, ...]:
        """The ids of the locations assigned, in plan order."""
        return tuple(a.location_id for a in self.assignments)

    @property
    def is_empty(self) -> bool:
        """True when the plan assigns and backorders nothing."""
        return not self.assignments and not self.backorders

    def assigned(self, line_no: int) -> int:
        """Units of line ``line_no`` assigned to locations."""
        return sum(a.quantity_for(line_no) for a in self.assignments)

    def backordered(self, line_no: int) -> int:
        """Units of line ``line_no`` backordered."""
        return sum(b.quantity for b in self.backorders if b.line_no == line_no)

    def quantity_for(self, line_no: int) -> int:
        """Units of line ``line_no`` planned: assigned + backordered."""
        return self.assigned(line_no) + self.backordered(line_no)

    def check(self, order: Order) -> None:
        """Verify that this plan routes exactly ``order``'s open units.

        Raises:
            ValidationError: the plan is for another order, or names a line the order does
                not have, or with another SKU.
            InvalidQuantity: a line's planned units differ from its open quantity.
        """
        if order.id != self.order_id:
            raise ValidationError(
                "plan is for another order",
                field="order_id",
                value=self.order_id,
                entity_id=order.id,
            )
        lines = {line.line_no: line for line in order.lines}
        planned: dict[int, int] = {}
        entries = [
            *((pl.line_no, pl.sku, pl.quantity) for a in self.assignments for pl in a.lines),
            *((b.line_no, b.sku, b.quantity) for b in self.backorders),
        ]
        for line_no, sku, quantity in entries:
            line = lines.get(line_no)
            if line is None or line.sku != sku:
                raise ValidationError(
                    "plan names a line the order does not have",
                    field="line_no",
                    value=(line_no, sku),
                    entity_id=order.id,
                )
            planned[line_no] = planned.get(line_no, 0) + quantity
        for i, line in enumerate(order.lines):
            n = planned.get(line.line_no, 0)
            if n != line.quantities.open:
                raise InvalidQuantity(
                    f"line {line.line_no}: plan routes {n} unit(s), {line.quantities.open} "
                    "are open",
                    field=f"lines[{i}]",
                    value=n,
                    entity_id=order.id,
                )


# -- ports of the routing machinery -------------------------------------------------------


@runtime_checkable
class RoutingStrategy(Protocol):
    """Protocol: decides where an order's open units come from.

    ``plan`` must route every open unit of every line (lines with nothing open are left
    alone), use only what ``network`` shows (never an excluded location), give a reason
    for every choice, and be deterministic: the same order and view give an equal plan.
    """

    def plan(self, order: Order, network: NetworkView) -> RoutingPlan:
        """The plan for ``order``'s open units over ``network``."""
        ...


@runtime_checkable
class Claimer(Protocol):
    """Protocol: a stage of :func:`compose` that routes the lines it claims (all their open
    units) and leaves the other lines, untouched, to the next stage."""

    def claim(self, order: Order, network: NetworkView) -> RoutingPlan:
        """A plan covering the open units of the claimed lines and nothing else."""
        ...


@runtime_checkable
class LocationFilter(Protocol):
    """Protocol: an eligibility rule of a :class:`Pipeline`; a location it refuses is not
    used for the order (neither its stock nor its incoming supply)."""

    def accepts(self, location: Location, order: Order, network: NetworkView) -> bool:
        """True when ``location`` may fulfil ``order``."""
        ...


@runtime_checkable
class Ranker(Protocol):
    """Protocol: orders eligible locations, lower keys first; a :class:`Pipeline` sorts by
    its rankers' keys in turn and then by location id.

    ``label`` names the preference in reasons (``"closest"``), ``measure`` shows a
    location's value (``"12.4 km"``).
    """

    @property
    def label(self) -> str:
        """The preference, as reasons say it."""
        ...

    def key(self, location: Location, order: Order, network: NetworkView) -> tuple[Any, ...]:
        """The sort key of ``location`` for ``order``; must be totally ordered."""
        ...

    def measure(self, location: Location, order: Order, network: NetworkView) -> str:
        """``location``'s value for the reason, e.g. ``"12.4 km"``."""
        ...


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


def _can_defer(view: NetworkView, filters: Sequence[LocationFilter]) -> bool:
    """Whether a routing run may gather its candidates only when it needs them all: over
    the hub's own view, with built-in filters only."""
    return type(view) is NetworkView and all(type(f) in _PURE_FILTERS for f in filters)


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


# -- one routing run: demand, what is left where, what is taken ---------------------------


class _Group:
    """The open demand of one SKU in one order, over its lines in line order."""

    __slots__ = ("lines", "need", "price", "sku", "vendor")

    def __init__(self, line: OrderLine) -> None:
        self.sku = line.sku
        self.vendor = line.drop_ship_vendor
        self.lines: list[OrderLine] = [line]
        self.need = line.quantities.open
        self.price = line.unit_price

    def add(self, line: OrderLine) -> None:
        self.lines.append(line)
        self.need += line.quantities.open
        if line.unit_price.currency == self.price.currency and line.unit_price < self.price:
            self.price = line.unit_price


class _Spread:
    """Hands a SKU's units out to its lines in line order: line 1 is filled first."""

    __slots__ = ("_cursor", "_left")

    def __init__(self, group: _Group) -> None:
        self._left = [[line.line_no, line.quantities.open] for line in group.lines]
        self._cursor = 0

    def take(self, n: int) -> list[tuple[int, int]]:
        """(line no, units) for the next ``n`` units."""
        out: list[tuple[int, int]] = []
        while n:
            entry = self._left[self._cursor]
            k = min(n, entry[1])
            out.append((entry[0], k))
            entry[1] -= k
            n -= k
            if not entry[1]:
                self._cursor += 1
        return out


class _Run:
    """The state of routing one order: the demand per SKU, the eligible candidates and the
    units left at each, the shipments chosen so far and the backorders."""

    def __init__(self, order: Order, view: NetworkView, filters: Sequence[LocationFilter]) -> None:
        self.order = order
        self.view = view
        self.filters = filters
        self._accepted: dict[str, bool] = {}
        groups: dict[str, _Group] = {}
        for line in order.lines:
            if line.quantities.open > 0:
                group = groups.get(line.sku)
                if group is None:
                    groups[line.sku] = _Group(line)
                else:
                    group.add(line)
        self.groups = list(groups.values())
        self.locations: dict[str, Location] = {}
        self.left: dict[tuple[str, str], int] = {}
        self.shipments: dict[str, dict[str, int]] = {}
        self.reasons: dict[str, str] = {}
        self.waits: dict[str, list[tuple[Supply | None, int, str]]] = {}
        self.blocked: list[str] = []
        # The hub's own view with built-in filters (pure, cheap) gathers the candidates only
        # when something needs them all: a single location that fills the order is found
        # without them (see best_single), and then only its units are entered.
        self._lazy = _can_defer(view, filters)
        if not self._lazy:
            self._gather()

    def _gather(self) -> None:
        """Enter every eligible candidate of every SKU and the units left at each."""
        view, locations, left = self.view, self.locations, self.left
        accepts = self.accepts if self.filters else None
        if type(view) is NetworkView:  # the hub's own view: straight into the tables
            for g in self.groups:
                view._gather(g.sku, g.vendor, locations, left, accepts)
        else:
            for g in self.groups:
                sku = g.sku
                for location, available in view.candidates(sku, drop_ship_vendor=g.vendor):
                    if accepts is None or accepts(location):
                        location_id = location.id
                        if location_id not in locations:
                            locations[location_id] = location
                        left[(location_id, sku)] = available

    def _tables(self) -> None:
        """Make the tables whole: a lazy run gathers every candidate now, less what it took."""
        if self._lazy:
            self._lazy = False
            self.locations = {}
            self.left = {}
            self._gather()
            left = self.left
            for location_id, shipment in self.shipments.items():
                for sku, n in shipment.items():
                    left[(location_id, sku)] -= n

    def accepts(self, location: Location, *, for_supply: bool = False) -> bool:
        if not self.filters:
            return True
        key = location.id if not for_supply else f"\0{location.id}"
        ok = self._accepted.get(key)
        if ok is None:
            ok = all(
                f.accepts(location, self.order, self.view)
                for f in self.filters
                if not (for_supply and isinstance(f, HasCapacity))
            )
            self._accepted[key] = ok
        return ok

    @property
    def remaining(self) -> int:
        return sum(g.need for g in self.groups)

    def _key(self, rankers: Sequence[Ranker]) -> Callable[[Location], tuple[Any, ...]]:
        order, view = self.order, self.view
        if len(rankers) == 1:
            (ranker,) = rankers
            return lambda loc: (ranker.key(loc, order, view), loc.id)
        return lambda loc: (*(r.key(loc, order, view) for r in rankers), loc.id)

    def ranked(self, rankers: Sequence[Ranker]) -> list[Location]:
        """The eligible candidates, best first: by each ranker in turn, then by id."""
        self._tables()
        return sorted(self.locations.values(), key=self._key(rankers))

    def best_single(self, rankers: Sequence[Ranker]) -> Location | None:
        """The best-ranked candidate that fills every open unit alone, if any."""
        lazy = self._lazy and not self.shipments
        if lazy:
            view = self.view
            needs = [(g.sku, g.vendor, g.need) for g in self.groups]
            full = view._filling(needs, self.accepts if self.filters else None)
        else:
            self._tables()
            full = self._full()
        if not full:
            return None
        if len(full) > 1 and len(rankers) == 1 and type(rankers[0]) is ByDistance:
            full = _nearest_candidates(full, self.order)
        best = min(full, key=self._key(rankers))
        if lazy:
            view._enter(best, [(g.sku, g.vendor) for g in self.groups], self.locations, self.left)
        return best

    def _full(self) -> list[Location]:
        """The candidates that fill every open unit alone, in the tables' order."""
        needs = [(g.sku, g.need) for g in self.groups if g.need]
        left = self.left
        full = []
        for location_id, location in self.locations.items():
            for sku, need in needs:
                if left.get((location_id, sku), 0) < need:
                    break
            else:
                full.append(location)
        return full

    def offer(self, location_id: str, *, whole: bool) -> dict[str, int]:
        """What ``location_id`` could take of the remaining demand (``whole``: only SKUs it
        can fill completely)."""
        if self._lazy and location_id not in self.locations:
            self._tables()
        takes: dict[str, int] = {}
        for g in self.groups:
            if g.need:
                have = self.left.get((location_id, g.sku), 0)
                if have > 0 and (not whole or have >= g.need):
                    takes[g.sku] = min(have, g.need)
        return takes

    def value(self, location_id: str, takes: Mapping[str, int]) -> Money:
        total = Money.zero(self.order.currency)
        by_sku = {g.sku: g for g in self.groups}
        for sku, n in (*self.shipments.get(location_id, {}).items(), *takes.items()):
            total = total + by_sku[sku].price * n
        return total

    def take(self, location_id: str, takes: Mapping[str, int], reason: str) -> None:
        if self._lazy and location_id not in self.locations:
            self._tables()
        shipment = self.shipments.setdefault(location_id, {})
        self.reasons.setdefault(location_id, reason)
        by_sku = {g.sku: g for g in self.groups}
        for sku, n in takes.items():
            shipment[sku] = shipment.get(sku, 0) + n
            self.left[(location_id, sku)] -= n
            by_sku[sku].need -= n

    def block(self, why: str) -> None:
        if why not in self.blocked:
            self.blocked.append(why)

    def backorder(self) -> None:
        """Backorder every unit still needed: against supplies, then waiting with none."""
        if self.remaining:
            self._tables()
        view = self.view
        for g in self.groups:
            if not g.need:
                continue
            has_stock = any(self.left.get((loc, g.sku), 0) > 0 for loc in self.locations)
            prefix = "; ".join(self.blocked) if self.blocked and has_stock else ""
            waits = self.waits.setdefault(g.sku, [])
            for supply, free in view.supplies(g.sku):
                if not self.accepts(view.location(supply.location_id), for_supply=True):
                    continue
                n = min(free, g.need)
                reason = f"on order: {supply.id} expected {supply.expected.isoformat()}"
                waits.append((supply, n, f"{prefix}; {reason}" if prefix else reason))
                g.need -= n
                if not g.need:
                    break
            if g.need:
                reason = f"{prefix}; no incoming supply" if prefix else NO_SUPPLY
                waits.append((None, g.need, reason))
                g.need = 0

    def plan(self) -> RoutingPlan:
        """The plan of what was taken and backordered, spread over the lines in line order."""
        planned: dict[str, list[PlannedLine]] = {loc: [] for loc in self.shipments}
        backorders: list[Backorder] = []
        for g in self.groups:
            spread = _Spread(g)
            for location_id, shipment in self.shipments.items():
                for line_no, k in spread.take(shipment.get(g.sku, 0)):
                    planned[location_id].append(
                        PlannedLine(line_no=line_no, sku=g.sku, quantity=k)
                    )
            for supply, n, reason in self.waits.get(g.sku, ()):
                for line_no, k in spread.take(n):
                    backorders.append(
                        Backorder(
                            line_no=line_no,
                            sku=g.sku,
                            quantity=k,
                            supply_id=None if supply is None else supply.id,
                            location_id=None if supply is None else supply.location_id,
                            expected=None if supply is None else supply.expected,
                            reason=reason,
                        )
                    )
        assignments = tuple(
            Assignment(
                location_id=loc,
                erp=self.locations[loc].erp,
                lines=sorted(lines, key=lambda pl: pl.line_no),
                reason=self.reasons[loc],
            )
            for loc, lines in planned.items()
            if lines
        )
        backorders.sort(key=lambda b: b.line_no)  # stable: per line, in the order decided
        return RoutingPlan(
            order_id=self.order.id, assignments=assignments, backorders=tuple(backorders)
        )

    def finish(self, fallback: RoutingStrategy | None) -> RoutingPlan:
        """The plan: what is left goes to ``fallback``, or is backordered."""
        if fallback is None or not self.remaining:
            self.backorder()
            return self.plan()
        taken = self.plan()
        rest = _narrowed(self.order, {n: taken.quantity_for(n) for n in _line_numbers(self.order)})
        return _merge(self.order.id, [taken, fallback.plan(rest, _holding(self.view, taken))])


# -- composition helpers -----------------------------------------------------------------


def _line_numbers(order: Order) -> list[int]:
    return [line.line_no for line in order.lines]


def _narrowed(order: Order, taken: Mapping[int, int]) -> Order:
    """``order`` with ``taken`` units of each line moved from open to allocated: what the
    next stage of a composition sees (it routes only what is still open)."""
    lines = []
    for line in order.lines:
        n = taken.get(line.line_no, 0)
        if n:
            q = line.quantities
            if n > q.open:
                raise InvalidQuantity(
                    f"a stage planned {n} unit(s) of line {line.line_no}, only {q.open} open",
                    field="quantity",
                    value=n,
                    entity_id=order.id,
                )
            line = attrs.evolve(
                line, quantities=attrs.evolve(q, open=q.open - n, allocated=q.allocated + n)
            )
        lines.append(line)
    return attrs.evolve(order, lines=tuple(lines))


def _holding(view: NetworkView, plan: RoutingPlan) -> NetworkView:
    """``view`` with the units ``plan`` takes held, so the next stage cannot take them."""
    on_hand: dict[tuple[str, str], int] = {}
    for a in plan.assignments:
        for pl in a.lines:
            key = (a.location_id, pl.sku)
            on_hand[key] = on_hand.get(key, 0) + pl.quantity
    supply: dict[str, int] = {}
    for b in plan.backorders:
        if b.supply_id is not None:
            supply[b.supply_id] = supply.get(b.supply_id, 0) + b.quantity
    if not on_hand and not supply:
        return view
    return view.holding(on_hand, supply)


def _merge(order_id: str, plans: Sequence[RoutingPlan]) -> RoutingPlan:
    """One plan of several stages': assignments to one location merged (reasons joined)."""
    plans = [p for p in plans if not p.is_empty]
    if len(plans) == 1:
        return plans[0]
    if not plans:
        return RoutingPlan(order_id=order_id)
    merged: dict[str, tuple[str, dict[int, PlannedLine], list[str]]] = {}
    backorders: list[Backorder] = []
    for p in plans:
        for a in p.assignments:
            _, lines, reasons = merged.setdefault(a.location_id, (a.erp, {}, []))
            for pl in a.lines:
                old = lines.get(pl.line_no)
                lines[pl.line_no] = (
                    pl if old is None else attrs.evolve(old, quantity=old.quantity + pl.quantity)
                )
            if a.reason not in reasons:
                reasons.append(a.reason)
        backorders.extend(p.backorders)
    return RoutingPlan(
        order_id=order_id,
        assignments=tuple(
            Assignment(
                location_id=loc,
                erp=erp,
                lines=tuple(lines[n] for n in sorted(lines)),
                reason="; ".join(reasons),
            )
            for loc, (erp, lines, reasons) in merged.items()
        ),
        backorders=tuple(backorders),
    )


# -- the pipeline ------------------------------------------------------------------------


def _reason(
    rankers: Sequence[Ranker], location: Location, order: Order, view: NetworkView, full: bool
) -> str:
    label = rankers[0].label if rankers else "first by location id"
    measures = ", ".join(r.measure(location, order, view) for r in rankers)
    text = f"{label} with {'full' if full else 'partial'} availability"
    if measures:
        text = f"{text}: {measures}"
    return text if full else f"split: {text}"


def _check_split_currency(split: SplitPolicy, order: Order) -> None:
    floor = split.min_shipment_value if isinstance(split, AllowSplit) else None
    if floor is not None and floor.currency != order.currency:
        raise CurrencyMismatch(
            f"order is in {order.currency}",
            field="min_shipment_value",
            value=str(floor),
            entity_id=order.id,
        )


def _pipeline_plan(
    order: Order,
    view: NetworkView,
    filters: Sequence[LocationFilter],
    rankers: Sequence[Ranker],
    split: SplitPolicy,
    fallback: RoutingStrategy | None,
) -> RoutingPlan:
    _check_split_currency(split, order)
    run = _Run(order, view, filters)
    if not run.groups:
        return RoutingPlan(order_id=order.id)
    single = run.best_single(rankers)
    if single is not None:
        takes = run.offer(single.id, whole=False)
        run.take(single.id, takes, _reason(rankers, single, order, view, True))
        return run.finish(fallback)
    if isinstance(split, ShipComplete):
        run.block("ship complete: no single location can fill the order")
        return run.finish(fallback)
    ranked = run.ranked(rankers)
    limit, floor = split.max_shipments, split.min_shipment_value
    for whole in (True, False):  # whole SKUs from one place first, then partial quantities
        for location in ranked:
            if not run.remaining:
                break
            takes = run.offer(location.id, whole=whole)
            if not takes:
                continue
            is_new = location.id not in run.shipments
            if is_new and limit is not None and len(run.shipments) >= limit:
                run.block(f"split limit: at most {limit} shipment(s)")
                continue
            if floor is not None and run.value(location.id, takes) < floor:
                run.block(f"split limit: each shipment worth at least {floor}")
                continue
            run.take(location.id, takes, _reason(rankers, location, order, view, False))
    return run.finish(fallback)


def _claimers(value: Iterable[Claimer]) -> tuple[Claimer, ...]:
    return _tuple_of(Claimer, "claimers")(value)


def _filters(value: Iterable[LocationFilter]) -> tuple[LocationFilter, ...]:
    return _tuple_of(LocationFilter, "filters")(value)


def _rankers(value: Iterable[Ranker]) -> tuple[Ranker, ...]:
    return _tuple_of(Ranker, "rankers")(value)


def _v_split(_: object, a: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, (ShipComplete, AllowSplit)):
        raise ValidationError("must be ShipComplete() or AllowSplit()", field="split", value=value)


def _v_fallback(_: object, a: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not isinstance(value, RoutingStrategy):
        raise ValidationError("must be a RoutingStrategy or None", field="fallback", value=value)


@attrs.frozen(kw_only=True)
class Pipeline:
    """The general strategy: eligibility ``filters``, ``rankers`` for the order of
    preference, a ``split`` policy and an optional ``fallback``.

    Candidates are the locations with stock of the order's SKUs (and, for drop-ship items,
    their vendor's drop shippers) that every filter accepts. They are sorted by each ranker
    in turn, then by location id. The first location that fills every open unit gets the
    whole order. Otherwise, under :class:`ShipComplete` nothing ships; under
    :class:`AllowSplit` locations are taken in ranked order, first for the SKUs each can
    fill completely, then for partial quantities, within the policy's limits. Units left
    over go to ``fallback`` (which sees the rest of the order and a view without the units
    already taken), or without one are backordered against the supplies of eligible
    locations.
    """

    filters: tuple[LocationFilter, ...] = attrs.field(default=(), converter=_filters)
    rankers: tuple[Ranker, ...] = attrs.field(default=(), converter=_rankers)
    split: SplitPolicy = attrs.field(factory=AllowSplit, validator=_v_split)
    fallback: RoutingStrategy | None = attrs.field(default=None, validator=_v_fallback)

    def plan(self, order: Order, network: NetworkView) -> RoutingPlan:
        """The plan for ``order``'s open units (see the class docstring)."""
        return _pipeline_plan(
            order, network, self.filters, self.rankers, self.split, self.fallback
        )


_BY_DISTANCE: tuple[Ranker, ...] = (ByDistance(),)
_BY_RANK: tuple[Ranker, ...] = (ByRank(),)
_BY_COST: tuple[Ranker, ...] = (ByCost(),)


@attrs.frozen(kw_only=True)
class Closest:
    """The nearest location to the ship-to point (great-circle distance), ties by location
    id; orders or locations without a position fall back to the location id.

    A :class:`Pipeline` with one ranker, :class:`ByDistance`; ``filters``, ``split`` and
    ``fallback`` as there. Reasons read ``closest with full availability: 12.4 km``.
    """

    filters: tuple[LocationFilter, ...] = attrs.field(default=(), converter=_filters)
    split: SplitPolicy = attrs.field(factory=AllowSplit, validator=_v_split)
    fallback: RoutingStrategy | None = attrs.field(default=None, validator=_v_fallback)

    def plan(self, order: Order, network: NetworkView) -> RoutingPlan:
        """The plan for ``order``'s open units, nearest first."""
        return _pipeline_plan(
            order, network, self.filters, _BY_DISTANCE, self.split, self.fallback
        )


@attrs.frozen(kw_only=True)
class Priority:
    """The location with the lowest :attr:`Location.rank` (1 before 2), ties by id.

    A :class:`Pipeline` with one ranker, :class:`ByRank`. Reasons read
    ``highest priority with full availability: rank 1``.
    """

    filters: tuple[LocationFilter, ...] = attrs.field(default=(), converter=_filters)
    split: SplitPolicy = attrs.field(factory=AllowSplit, validator=_v_split)
    fallback: RoutingStrategy | None = attrs.field(default=None, validator=_v_fallback)

    def plan(self, order: Order, network: NetworkView) -> RoutingPlan:
        """The plan for ``order``'s open units, highest priority first."""
        return _pipeline_plan(order, network, self.filters, _BY_RANK, self.split, self.fallback)


@attrs.frozen(kw_only=True)
class LowestCost:
    """The location whose shipment costs least (:func:`shipment_cost`), ties by id.

    A :class:`Pipeline` with one ranker, :class:`ByCost`. Reasons read
    ``lowest cost with full availability: 12.40 USD``.
    """

    filters: tuple[LocationFilter, ...] = attrs.field(default=(), converter=_filters)
    split: SplitPolicy = attrs.field(factory=AllowSplit, validator=_v_split)
    fallback: RoutingStrategy | None = attrs.field(default=None, validator=_v_fallback)

    def plan(self, order: Order, network: NetworkView) -> RoutingPlan:
        """The plan for ``order``'s open units, cheapest first."""
        return _pipeline_plan(order, network, self.filters, _BY_COST, self.split, self.fallback)


@attrs.frozen(kw_only=True)
class FewestShipments:
    """As few locations as possible, then the nearest, then the lowest id.

    One location that fills the order wins. Otherwise locations are chosen greedily: each
    step takes the location that can fill the most of the units still needed (ties:
    nearer, then lower id). Greedy set cover is not always the minimum, but it is close and
    its cost stays small. Leftovers go to ``fallback`` or are backordered.
    """

    filters: tuple[LocationFilter, ...] = attrs.field(default=(), converter=_filters)
    fallback: RoutingStrategy | None = attrs.field(default=None, validator=_v_fallback)

    def plan(self, order: Order, network: NetworkView) -> RoutingPlan:
        """The plan for ``order``'s open units over the fewest locations."""
        run = _Run(order, network, self.filters)
        if not run.groups:
            return RoutingPlan(order_id=order.id)
        single = run.best_single(_BY_DISTANCE)
        if single is not None:
            km = _BY_DISTANCE[0].measure(single, order, network)
            reason = f"fewest shipments: one location fills the order ({km})"
            run.take(single.id, run.offer(single.id, whole=False), reason)
            return run.finish(self.fallback)
        ranked = run.ranked(_BY_DISTANCE)
        chosen: list[Location] = []
        while run.remaining:
            best: tuple[Location, dict[str, int]] | None = None
            best_units = 0
            for location in ranked:
                takes = run.offer(location.id, whole=False)
                units = sum(takes.values())
                if units > best_units:
                    best, best_units = (location, takes), units
            if best is None:
                break
            run.take(best[0].id, best[1], "")
            chosen.append(best[0])
        for i, location in enumerate(chosen, 1):
            km = _BY_DISTANCE[0].measure(location, order, network)
            run.reasons[location.id] = (
                f"split: fewest shipments: shipment {i} of {len(chosen)} ({km})"
            )
        return run.finish(self.fallback)


# -- claimers ----------------------------------------------------------------------------


def _only(order: Order, keep: Iterable[int]) -> Order:
    """``order`` with every line but ``keep`` moved out of the way (nothing open)."""
    kept = set(keep)
    return _narrowed(
        order,
        {line.line_no: line.quantities.open for line in order.lines if line.line_no not in kept},
    )


def _by_key(order: Order, key: Callable[[OrderLine], str | None]) -> dict[str, list[OrderLine]]:
    """The open lines with a key, grouped by it in order of first appearance."""
    groups: dict[str, list[OrderLine]] = {}
    for line in order.lines:
        k = key(line)
        if k is not None and line.quantities.open > 0:
            groups.setdefault(k, []).append(line)
    return groups


@attrs.frozen(kw_only=True)
class ByOwner:
    """Lines whose item belongs to another company than ``home`` (an acquired brand) go to
    that company's locations, and so to its ERP back end; other lines fall through.

    Within the owner's locations the ``rankers`` and ``split`` of a :class:`Pipeline`
    decide; the owner's incoming supply fills backorders; with neither, the lines wait —
    they never go to another company's locations. Reasons read ``items owned by acme are
    fulfilled by acme's ERP (erp-acme); closest with full availability: 12.4 km``.

    In :func:`compose` it claims those lines; used alone, the other lines go to
    :class:`Closest`.
    """

    home: str = attrs.field(default="main", validator=_v_text)
    rankers: tuple[Ranker, ...] = attrs.field(default=_BY_DISTANCE, converter=_rankers)
    split: SplitPolicy = attrs.field(factory=AllowSplit, validator=_v_split)

    def claim(self, order: Order, network: NetworkView) -> RoutingPlan:
        """The plan for the lines owned by companies other than ``home``."""
        plans: list[RoutingPlan] = []
        view = network
        for owner, lines in _by_key(
            order, lambda line: None if line.owner == self.home else line.owner
        ).items():
            inner = _pipeline_plan(
                _only(order, (line.line_no for line in lines)),
                view,
                (OwnedBy(owner),),
                self.rankers,
                self.split,
                None,
            )
            view = _holding(view, inner)
            plans.append(
                RoutingPlan(
                    order_id=order.id,
                    assignments=tuple(
                        attrs.evolve(
                            a,
                            reason=f"items owned by {owner} are fulfilled by {owner}'s ERP "
                            f"({a.erp}); {a.reason}",
                        )
                        for a in inner.assignments
                    ),
                    backorders=tuple(
                        attrs.evolve(b, reason=f"items owned by {owner}: {b.reason}")
                        for b in inner.backorders
                    ),
                )
            )
        return _merge(order.id, plans) if plans else RoutingPlan(order_id=order.id)

    def plan(self, order: Order, network: NetworkView) -> RoutingPlan:
        """Claim the other companies' lines; the rest go to :class:`Closest`."""
        return Composed(claimers=(self,), then=Closest()).plan(order, network)


@attrs.frozen
class DropShip:
    """Lines of drop-ship items go to their vendor's drop shipper (the nearest, then the
    lowest id, if the vendor has several); other lines fall through, and so do the lines of
    a vendor with no drop-ship location in view. Reasons read ``drop-shipped by
    boardworks``.

    In :func:`compose` it claims those lines; used alone, the other lines go to
    :class:`Closest`.
    """

    def claim(self, order: Order, network: NetworkView) -> RoutingPlan:
        """The plan for the lines of vendors that have a drop shipper in view."""
        plans: list[RoutingPlan] = []
        for vendor, lines in _by_key(order, lambda line: line.drop_ship_vendor).items():
            shippers = network.drop_shippers(vendor)
            if not shippers:
                continue
            best = min(
                shippers, key=lambda loc: (*_BY_DISTANCE[0].key(loc, order, network), loc.id)
            )
            assignment = Assignment(
                location_id=best.id,
                erp=best.erp,
                lines=tuple(
                    PlannedLine(line_no=line.line_no, sku=line.sku, quantity=line.quantities.open)
                    for line in lines
                ),
                reason=f"drop-shipped by {vendor}",
            )
            plans.append(RoutingPlan(order_id=order.id, assignments=(assignment,)))
        return _merge(order.id, plans)

    def plan(self, order: Order, network: NetworkView) -> RoutingPlan:
        """Claim the drop-ship lines; the rest go to :class:`Closest`."""
        return Composed(claimers=(self,), then=Closest()).plan(order, network)


# -- composition -------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Composed:
    """Claimers in turn, then a full strategy for what nobody claimed (see :func:`compose`).

    Each stage sees the order with the lines claimed before it taken out (no open units)
    and a view in which the units planned before it are already held.
    """

    claimers: tuple[Claimer, ...] = attrs.field(converter=_claimers)
    then: RoutingStrategy = attrs.field()

    @then.validator
    def _check_then(self, a: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, RoutingStrategy):
            raise ValidationError("must be a RoutingStrategy", field="then", value=value)

    def plan(self, order: Order, network: NetworkView) -> RoutingPlan:
        """Every claimer's plan, then the final strategy's, merged into one."""
        plans: list[RoutingPlan] = []
        rest, view = order, network
        for claimer in self.claimers:
            claimed = claimer.claim(rest, view)
            if claimed.is_empty:
                continue
            plans.append(claimed)
            rest = _narrowed(rest, {n: claimed.quantity_for(n) for n in _line_numbers(rest)})
            view = _holding(view, claimed)
        plans.append(self.then.plan(rest, view))
        return _merge(order.id, plans)


def compose(*strategies: Claimer | RoutingStrategy) -> Composed:
    """Chain claimers ending in a full strategy: ``compose(ByOwner(), DropShip(),
    Closest())``.

    Every stage but the last must be a :class:`Claimer`; the last must be a
    :class:`RoutingStrategy`.

    Raises:
        ValidationError: no strategies, a stage before the last that cannot claim, or a
            last stage that cannot plan.
    """
    if not strategies:
        raise ValidationError("compose needs at least one strategy", field="strategies", value=())
    *stages, last = strategies
    claimers: list[Claimer] = []
    for i, c in enumerate(stages):
        if not isinstance(c, Claimer):
            raise ValidationError(
                "only the last strategy may be a full strategy; this one cannot claim lines",
                field=f"strategies[{i}]",
                value=c,
            )
        claimers.append(c)
    if not isinstance(last, RoutingStrategy):
        raise ValidationError(
            "the last strategy must plan whole orders",
            field=f"strategies[{len(strategies) - 1}]",
            value=last,
        )
    return Composed(claimers=tuple(claimers), then=last)
