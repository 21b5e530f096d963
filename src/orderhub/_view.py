"""The read-only view of the fulfilment network that routing strategies see."""

from __future__ import annotations

import operator
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Final

from orderhub._network import Location, Network
from orderhub._stock_values import _text
from orderhub.errors import ValidationError

if TYPE_CHECKING:
    from orderhub._stock import StockBook, Supply

__all__ = ["UNLIMITED", "NetworkView"]

UNLIMITED: Final = sys.maxsize
"""The availability a view reports for an untracked location (a drop shipper) and an item of
its own vendor: the vendor's stock is not in the hub's books, so it is taken as unlimited."""

_EMPTY: Mapping[str, int] = MappingProxyType({})
_EMPTY_HELD: Mapping[tuple[str, str], int] = MappingProxyType({})


_LOCATION_ID: Callable[[Location], str] = operator.attrgetter("id")


def _ids(value: object, field: str) -> frozenset[str]:
    if isinstance(value, str):
        return frozenset({value})
    if not isinstance(value, Iterable):
        raise ValidationError("must be a set of location ids", field=field, value=value)
    ids = frozenset(value)
    for i in ids:
        if not isinstance(i, str):
            raise ValidationError("must be a location id (str)", field=field, value=i)
    return ids


def _counts(value: object, field: str) -> Mapping[str, int]:
    if isinstance(value, MappingProxyType):
        return value  # already read-only: the hub's live counts, taken as they are
    if not isinstance(value, Mapping):
        raise ValidationError(
            "must be a mapping of location id to count", field=field, value=value
        )
    for k, v in value.items():
        if not isinstance(k, str) or isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise ValidationError(
                "must map location ids to non-negative ints", field=f"{field}[{k!r}]", value=v
            )
    return MappingProxyType(dict(value))


class NetworkView:
    """What a routing strategy may know about the network and its stock, read-only.

    A view wraps the hub's :class:`Network` and stock book for the routing of one order.
    Locations in ``excluded`` (those that rejected the order, say) are invisible to
    :meth:`locations`, :meth:`candidates`, :meth:`supplies` and :meth:`drop_shippers`, and
    have nothing available. ``capacity_used`` counts the orders already assigned to each
    location today, for :meth:`capacity_left`.

    Drop shippers are *untracked* (:attr:`Location.tracks_stock` is False): their vendor's
    stock is not in the hub's books, so for an item of their own vendor they report
    :data:`UNLIMITED` availability, and for anything else none.

    Guarantees: every query that answers "where can SKU X come from" works from the stock
    book's per-SKU index and the network's per-vendor index, so its cost depends on the
    number of locations that stock the SKU, never on the size of the network. Results come
    in a stable order (the indexes' order), never from iterating a set.
    """

    __slots__ = ("_capacity_used", "_excluded", "_held", "_held_supply", "_network", "_stock")

    def __init__(
        self,
        network: Network,
        stock: StockBook,
        *,
        excluded: Iterable[str] = frozenset(),
        capacity_used: Mapping[str, int] = _EMPTY,
    ) -> None:
        if not isinstance(network, Network):
            raise ValidationError("must be a Network", field="network", value=network)
        self._network = network
        self._stock = stock
        self._excluded = _ids(excluded, "excluded")
        self._capacity_used = _counts(capacity_used, "capacity_used")
        self._held: Mapping[tuple[str, str], int] = _EMPTY_HELD
        self._held_supply: Mapping[str, int] = _EMPTY

    # -- what the view is over -----------------------------------------------------------

    @property
    def excluded(self) -> frozenset[str]:
        """The ids of the locations this view hides."""
        return self._excluded

    @property
    def capacity_used(self) -> Mapping[str, int]:
        """Orders already assigned today, by location id (read-only)."""
        return self._capacity_used

    # -- locations -----------------------------------------------------------------------

    def location(self, location_id: str) -> Location:
        """The location ``location_id`` (excluded or not: a look-up by id hides nothing).

        Raises:
            UnknownLocation: the network has no such location.
        """
        return self._network.get(location_id)

    def is_excluded(self, location_id: str) -> bool:
        """True when this view hides ``location_id``."""
        return location_id in self._excluded

    def locations(self) -> Iterator[Location]:
        """Every location not excluded, in the order they were added.

        This scans the whole network: strategies should work from :meth:`candidates`.
        """
        excluded = self._excluded
        return (loc for loc in self._network if loc.id not in excluded)

    def drop_shippers(self, vendor: str) -> tuple[Location, ...]:
        """The untracked, not excluded drop-ship locations of ``vendor`` (from an index)."""
        excluded = self._excluded
        return tuple(
            loc
            for loc in self._network.of_vendor(vendor)
            if not loc.tracks_stock and loc.id not in excluded
        )

    # -- stock ---------------------------------------------------------------------------

    def candidates(
        self, sku: str, *, drop_ship_vendor: str | None = None
    ) -> tuple[tuple[Location, int], ...]:
        """The locations that can supply ``sku`` now, each with the units available there.

        Tracked locations come from the stock book's index of positions with stock
        (never a scan of the network): those known to the network, not excluded, with
        something available after what this view holds (see :meth:`holding`). When
        ``drop_ship_vendor`` is given, that vendor's drop shippers follow, each with
        :data:`UNLIMITED` availability.
        """
        known = self._network._locations  # one look-up per position: known, and which
        excluded = self._excluded
        held = self._held
        out: list[tuple[Location, int]] = []
        for location_id, available in self._stock._available_at(_text(sku, "sku")):
            location = known.get(location_id)
            if (
                location is None
                or (excluded and location_id in excluded)
                or not location.tracks_stock
            ):
                continue
            if held:
                available -= held.get((location_id, sku), 0)
            if available > 0:
                out.append((location, available))
        if drop_ship_vendor is not None:
            out.extend((loc, UNLIMITED) for loc in self.drop_shippers(drop_ship_vendor))
        return tuple(out)

    def _gather(
        self,
        sku: str,
        drop_ship_vendor: str | None,
        locations: dict[str, Location],
        left: dict[tuple[str, str], int],
        accepts: Callable[[Location], bool] | None,
    ) -> None:
        """What :meth:`candidates` returns, entered straight into a routing run's tables
        (``locations`` by id, units ``left`` by (location id, SKU)) for the locations
        ``accepts`` takes (all, when None): routing's hot path, without the tuples."""
        known = self._network._locations
        excluded = self._excluded
        held = self._held
        for location_id, available in self._stock._available_at(sku):
            location = known.get(location_id)
            if (
                location is None
                or (excluded and location_id in excluded)
                or not location.tracks_stock
            ):
                continue
            if held:
                available -= held.get((location_id, sku), 0)
            if available > 0 and (accepts is None or accepts(location)):
                if location_id not in locations:
                    locations[location_id] = location
                left[(location_id, sku)] = available
        if drop_ship_vendor is not None:
            for location in self.drop_shippers(drop_ship_vendor):
                if accepts is None or accepts(location):
                    location_id = location.id
                    if location_id not in locations:
                        locations[location_id] = location
                    left[(location_id, sku)] = UNLIMITED

    def _stocked(self, sku: str) -> Mapping[str, int]:
        """Units of ``sku`` available by location id, straight from the stock book's index:
        every position with some, in no particular order, before this view's exclusions,
        held units and network checks. Read-only by convention: routing's fast path."""
        fit = self._stock._available.get(sku)
        return _EMPTY if fit is None else fit._amounts

    def _filling(
        self,
        needs: Sequence[tuple[str, str | None, int]],
        accepts: Callable[[Location], bool] | None,
    ) -> list[Location]:
        """The locations that :meth:`_gather` would enter (for the locations ``accepts``
        takes) with at least ``units`` of every ``(sku, drop_ship_vendor, units)`` of
        ``needs``, in the order it would enter them: routing's way to a single location
        that fills an order, looking only at the locations the stock book's index has
        every SKU at, never gathering every candidate."""
        stocked: list[tuple[str, Mapping[str, int], int]] = []
        for sku, _, need in needs:
            amounts = self._stocked(sku)
            if not amounts:  # no tracked location has any: only drop shippers may fill
                stocked = []
                break
            stocked.append((sku, amounts, need))
        out: list[Location] = []
        if stocked:
            common: Iterable[str] = stocked[0][1].keys()
            for _, amounts, _ in stocked[1:]:
                common = amounts.keys() & common
            known = self._network._locations
            excluded = self._excluded
            held = self._held
            for location_id in common:
                for sku, amounts, need in stocked:
                    n = amounts[location_id]
                    if n < need or (held and n - held.get((location_id, sku), 0) < need):
                        break
                else:
                    location = known.get(location_id)
                    if (
                        location is not None
                        and not (excluded and location_id in excluded)
                        and location.tracks_stock
                        and (accepts is None or accepts(location))
                    ):
                        out.append(location)
            out.sort(key=_LOCATION_ID)  # the index's order: by location id
        _, vendor0, _ = needs[0]
        if vendor0 is not None and all(vendor == vendor0 for _, vendor, _ in needs):
            # a drop shipper has unlimited units of its vendor's items, and none of others
            out.extend(
                location
                for location in self.drop_shippers(vendor0)
                if accepts is None or accepts(location)
            )
        return out

    def _enter(
        self,
        location: Location,
        skus: Iterable[tuple[str, str | None]],
        locations: dict[str, Location],
        left: dict[tuple[str, str], int],
    ) -> None:
        """Enter what :meth:`_gather` would for one known, not excluded ``location`` its
        ``accepts`` takes, for each ``(sku, drop_ship_vendor)`` of ``skus``."""
        location_id = location.id
        locations[location_id] = location
        if location.tracks_stock:
            held = self._held
            for sku, _ in skus:
                available = self._stocked(sku).get(location_id, 0)
                if held:
                    available -= held.get((location_id, sku), 0)
                if available > 0:
                    left[(location_id, sku)] = available
        else:
            for sku, vendor in skus:
                if vendor is not None and vendor == location.vendor:
                    left[(location_id, sku)] = UNLIMITED

    def available(self, location_id: str, sku: str, *, drop_ship_vendor: str | None = None) -> int:
        """Units of ``sku`` available at ``location_id`` for this view (0 if excluded).

        For an untracked location: :data:`UNLIMITED` when ``drop_ship_vendor`` is its
        vendor, else 0.

        Raises:
            UnknownLocation: the network has no such location.
        """
        location = self._network.get(location_id)
        if location_id in self._excluded:
            return 0
        if not location.tracks_stock:
            if drop_ship_vendor is not None and location.vendor == drop_ship_vendor:
                return UNLIMITED
            return 0
        available = self._stock.available(location_id, sku)
        if self._held:
            available -= self._held.get((location_id, sku), 0)
        return max(0, available)

    def supplies(self, sku: str) -> tuple[tuple[Supply, int], ...]:
        """Incoming supply of ``sku`` at known, not excluded locations, each with the units
        still free to promise (its uncommitted units less what this view holds).

        In the stock book's order: earliest expected date first, equal dates by lowest id.
        """
        network = self._network
        excluded = self._excluded
        held = self._held_supply
        out: list[tuple[Supply, int]] = []
        for supply in self._stock.supplies(sku):
            location_id = supply.location_id
            if location_id in excluded or location_id not in network:
                continue
            free = supply.uncommitted
            if held:
                free -= held.get(supply.id, 0)
            if free > 0:
                out.append((supply, free))
        return tuple(out)

    def capacity_left(self, location_id: str) -> int | None:
        """Orders ``location_id`` can still take today (None: no daily limit).

        Raises:
            UnknownLocation: the network has no such location.
        """
        capacity = self._network.get(location_id).daily_capacity
        if capacity is None:
            return None
        return max(0, capacity - self._capacity_used.get(location_id, 0))

    # -- narrower views ------------------------------------------------------------------

    def excluding(self, location_ids: Iterable[str]) -> NetworkView:
        """A new view that also hides ``location_ids`` (a location rejected the order)."""
        view = self._copy()
        view._excluded = self._excluded | _ids(location_ids, "location_ids")
        return view

    def holding(
        self,
        on_hand: Mapping[tuple[str, str], int] = _EMPTY_HELD,
        supply: Mapping[str, int] = _EMPTY,
    ) -> NetworkView:
        """A new view in which these units are already taken, on top of what this one holds.

        ``on_hand`` maps ``(location_id, sku)`` to units, ``supply`` maps supply ids to
        units. Composition uses it so that a later stage of one routing (the strategy after
        a claimer, a pipeline's fallback) never counts the same units twice.
        """
        view = self._copy()
        if on_hand:
            merged = dict(self._held)
            for key, n in on_hand.items():
                merged[key] = merged.get(key, 0) + n
            view._held = MappingProxyType(merged)
        if supply:
            merged_supply = dict(self._held_supply)
            for key2, n in supply.items():
                merged_supply[key2] = merged_supply.get(key2, 0) + n
            view._held_supply = MappingProxyType(merged_supply)
        return view

    def _copy(self) -> NetworkView:
        view = object.__new__(NetworkView)
        view._network = self._network
        view._stock = self._stock
        view._excluded = self._excluded
        view._capacity_used = self._capacity_used
        view._held = self._held
        view._held_supply = self._held_supply
        return view

    def __repr__(self) -> str:
        return f"NetworkView({len(self._network)} locations, excluded={sorted(self._excluded)!r})"
