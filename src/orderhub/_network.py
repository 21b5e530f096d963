"""The fulfilment network: where orders can be fulfilled from."""

from __future__ import annotations

import enum
from collections.abc import Iterator
from typing import Any

import attrs

from orderhub._money import Money
from orderhub._values import GeoPoint
from orderhub.errors import DuplicateId, UnknownLocation, ValidationError

__all__ = ["Capability", "Location", "LocationKind", "Network", "UnknownLocation"]


class LocationKind(enum.Enum):
    """What kind of place a location is."""

    DC = "dc"
    """A distribution centre."""
    STORE = "store"
    """A store: ships from store and/or hands over click-and-collect orders."""
    THIRD_PARTY = "3pl"
    """A third-party logistics provider's warehouse."""
    DROP_SHIPPER = "drop_shipper"
    """A vendor that ships its own items directly; its stock is not tracked by the hub."""


class Capability(enum.Enum):
    """What a location can do."""

    SHIPS_PARCELS = "ships_parcels"
    SHIPS_FROM_STORE = "ships_from_store"
    CLICK_AND_COLLECT = "click_and_collect"
    ACCEPTS_DROP_SHIP = "accepts_drop_ship"


def _text(_: object, a: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError("must be a non-empty string", field=a.alias, value=value)


def _opt_money(_: object, a: attrs.Attribute[Any], value: object) -> None:
    if value is not None and (not isinstance(value, Money) or value.is_negative):
        raise ValidationError("must be a non-negative Money or None", field=a.alias, value=value)


def _opt_capacity(_: object, a: attrs.Attribute[Any], value: object) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise ValidationError("must be a non-negative int or None", field=a.alias, value=value)


def _rank(_: object, a: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError("must be an int", field="rank", value=value)


def _opt_geo(_: object, a: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not isinstance(value, GeoPoint):
        raise ValidationError("must be a GeoPoint or None", field="geo", value=value)


def _capabilities(value: Any) -> frozenset[Capability]:
    if isinstance(value, Capability):
        return frozenset({value})
    try:
        caps = frozenset(value)
    except TypeError:
        raise ValidationError(
            "must be a set of Capability", field="capabilities", value=value
        ) from None
    for c in caps:
        if not isinstance(c, Capability):
            raise ValidationError("must be a Capability", field="capabilities", value=c)
    return caps


def _regions(value: Any) -> frozenset[str]:
    if isinstance(value, str):
        value = (value,)
    try:
        regions = frozenset(value)
    except TypeError:
        raise ValidationError(
            "must be a set of region codes", field="regions", value=value
        ) from None
    for r in regions:
        if not isinstance(r, str) or not r[:2].isalpha() or not r[:2].isupper():
            raise ValidationError(
                "regions are ISO 3166 codes: 'US' or 'US-NJ'", field="regions", value=r
            )
    return regions


@attrs.frozen(kw_only=True)
class Location:
    """A place that fulfils orders: a DC, a store, a 3PL warehouse or a drop shipper.

    ``erp`` names the ERP back end the location runs on; ``owner`` the company that operates
    it (an acquired brand keeps its own); ``vendor`` is the vendor a drop shipper ships for.
    ``rank`` orders locations for the ``Priority`` strategy (lower first). Costs feed
    ``LowestCost``: ``cost_per_shipment`` + ``cost_per_km`` × distance. ``daily_capacity``
    caps the orders assigned per day (None: unlimited). ``regions`` are the countries or
    country-regions (``"US"``, ``"US-NJ"``) it serves; empty means everywhere.
    """

    id: str = attrs.field(validator=_text)
    kind: LocationKind = attrs.field(validator=attrs.validators.instance_of(LocationKind))
    geo: GeoPoint | None = attrs.field(default=None, validator=_opt_geo)
    erp: str = attrs.field(default="main", validator=_text)
    owner: str = attrs.field(default="main", validator=_text)
    vendor: str | None = attrs.field(default=None)
    capabilities: frozenset[Capability] = attrs.field(
        default=frozenset({Capability.SHIPS_PARCELS}), converter=_capabilities
    )
    rank: int = attrs.field(default=100, validator=_rank)
    cost_per_shipment: Money | None = attrs.field(default=None, validator=_opt_money)
    cost_per_km: Money | None = attrs.field(default=None, validator=_opt_money)
    daily_capacity: int | None = attrs.field(default=None, validator=_opt_capacity)
    regions: frozenset[str] = attrs.field(default=frozenset(), converter=_regions)

    @property
    def tracks_stock(self) -> bool:
        """False for drop shippers: the vendor's own stock is not in the hub's stock book."""
        return self.kind is not LocationKind.DROP_SHIPPER

    def serves(self, country: str | None, region: str | None = None) -> bool:
        """True when the location serves ``country`` (and ``region``, if given)."""
        if not self.regions or country is None:
            return True
        return country in self.regions or (
            region is not None and f"{country}-{region}" in self.regions
        )


class Network:
    """The locations of the fulfilment network, by id; reached as ``hub.network``."""

    def __init__(self) -> None:
        self._locations: dict[str, Location] = {}
        self._by_vendor: dict[str, list[str]] = {}
        self._by_owner: dict[str, list[str]] = {}

    def add(self, location: Location) -> None:
        """Add ``location``; adding the same location again is harmless.

        Raises:
            DuplicateId: another location has this id.
        """
        if not isinstance(location, Location):
            raise ValidationError("must be a Location", field="location", value=location)
        existing = self._locations.get(location.id)
        if existing is not None:
            if existing != location:
                raise DuplicateId("another location has this id", field="id", value=location.id)
            return
        self._locations[location.id] = location
        self._by_owner.setdefault(location.owner, []).append(location.id)
        if location.vendor is not None:
            self._by_vendor.setdefault(location.vendor, []).append(location.id)

    def get(self, location_id: str) -> Location:
        """The location ``location_id``."""
        try:
            return self._locations[location_id]
        except (KeyError, TypeError):
            raise UnknownLocation(
                "no such location", field="location_id", value=location_id
            ) from None

    def owned_by(self, owner: str) -> tuple[Location, ...]:
        """The locations operated by ``owner``."""
        return tuple(self._locations[i] for i in self._by_owner.get(owner, ()))

    def of_vendor(self, vendor: str) -> tuple[Location, ...]:
        """The drop-ship locations of ``vendor``."""
        return tuple(self._locations[i] for i in self._by_vendor.get(vendor, ()))

    def __contains__(self, location_id: object) -> bool:
        return location_id in self._locations

    def __len__(self) -> int:
        return len(self._locations)

    def __iter__(self) -> Iterator[Location]:
        return iter(self._locations.values())
