"""Fulfilment: a fulfilment order per routing assignment, shipments, pick lists and
packing slips — documents as data, which the host renders."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime
from operator import attrgetter
from typing import Final

import attrs

from orderhub._orders import OrderLine
from orderhub._statemachine import StateTable, evolver
from orderhub._values import Address
from orderhub.errors import NotFound
from orderhub.ports import IdFactory

__all__ = [
    "FULFILLMENT_STATES",
    "FulfillmentBook",
    "FulfillmentLine",
    "FulfillmentOrder",
    "FulfillmentState",
    "PackingSlip",
    "PackingSlipLine",
    "PickLine",
    "PickList",
    "Shipment",
    "ShipmentLine",
]


class FulfillmentState(enum.Enum):
    """Where a fulfilment order is. The legal moves are :data:`FULFILLMENT_STATES`."""

    PENDING = "pending"
    RELEASED = "released"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    PICKING = "picking"
    PACKED = "packed"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    CANCELLED = "cancelled"


_F = FulfillmentState
FULFILLMENT_STATES: Final = StateTable(
    "fulfilment order",
    _F.PENDING,
    {
        _F.PENDING: frozenset({_F.RELEASED, _F.CANCELLED}),
        _F.RELEASED: frozenset(
            {_F.ACCEPTED, _F.REJECTED, _F.PICKING, _F.PARTIALLY_SHIPPED, _F.SHIPPED, _F.CANCELLED}
        ),
        _F.ACCEPTED: frozenset(
            {_F.PICKING, _F.PACKED, _F.PARTIALLY_SHIPPED, _F.SHIPPED, _F.REJECTED, _F.CANCELLED}
        ),
        _F.PICKING: frozenset({_F.PACKED, _F.PARTIALLY_SHIPPED, _F.SHIPPED, _F.CANCELLED}),
        _F.PACKED: frozenset({_F.PARTIALLY_SHIPPED, _F.SHIPPED, _F.CANCELLED}),
        _F.PARTIALLY_SHIPPED: frozenset({_F.PARTIALLY_SHIPPED, _F.SHIPPED}),
        _F.REJECTED: frozenset(),
        _F.SHIPPED: frozenset(),
        _F.CANCELLED: frozenset(),
    },
)
"""The fulfilment-order lifecycle as data."""

OPEN_STATES: Final = frozenset(
    {_F.PENDING, _F.RELEASED, _F.ACCEPTED, _F.PICKING, _F.PACKED, _F.PARTIALLY_SHIPPED}
)


@attrs.frozen(kw_only=True)
class FulfillmentLine:
    """Units of one order line that one location is to ship, and how many it has shipped."""

    line_no: int
    sku: str
    description: str
    quantity: int
    shipped: int = 0

    @property
    def to_ship(self) -> int:
        """Units still to ship."""
        return self.quantity - self.shipped


@attrs.frozen(kw_only=True)
class FulfillmentOrder:
    """The part of an order one location (and its ERP back end) fulfils: an immutable
    snapshot; the hub's commands make new ones."""

    id: str
    order_id: str
    location_id: str
    erp: str
    lines: tuple[FulfillmentLine, ...]
    state: FulfillmentState = FulfillmentState.PENDING
    created_at: datetime
    shipment_ids: tuple[str, ...] = ()
    reason: str | None = None

    @property
    def is_open(self) -> bool:
        """True while units may still ship or be cancelled."""
        return self.state in OPEN_STATES

    @property
    def to_ship(self) -> dict[int, int]:
        """Units still to ship per order line."""
        return {line.line_no: line.to_ship for line in self.lines if line.to_ship}

    def _moved(self, target: FulfillmentState) -> FulfillmentOrder:
        if self.state is target and target is not FulfillmentState.PARTIALLY_SHIPPED:
            return self
        FULFILLMENT_STATES.check(self.state, target, self.id)
        return _evolve_fo(self, state=target)


@attrs.frozen(kw_only=True)
class ShipmentLine:
    """Units of one order line in a shipment."""

    line_no: int
    sku: str
    quantity: int


@attrs.frozen(kw_only=True)
class Shipment:
    """Goods that left a location: what, with which carrier and tracking number, and when.

    ``packages`` are the carton ids the host assigned, if any.
    """

    id: str
    fulfillment_order_id: str
    order_id: str
    location_id: str
    lines: tuple[ShipmentLine, ...]
    carrier: str
    tracking: str
    shipped_at: datetime
    packages: tuple[str, ...] = ()
    invoice_id: str | None = None

    @property
    def content(self) -> dict[int, int]:
        """Units per order line."""
        return {line.line_no: line.quantity for line in self.lines}


@attrs.frozen(kw_only=True)
class PickLine:
    """One line of a pick list: where to pick (bin), what and how many, for which order."""

    bin: str | None
    sku: str
    description: str
    quantity: int
    order_id: str
    fulfillment_order_id: str
    line_no: int


@attrs.frozen(kw_only=True)
class PickList:
    """What to pick at one location, sorted by bin, then SKU, then order."""

    location_id: str
    lines: tuple[PickLine, ...]

    @staticmethod
    def of(
        location_id: str,
        fulfillment_orders: tuple[FulfillmentOrder, ...],
        bins: Mapping[str, str] | None = None,
    ) -> PickList:
        """The pick list for the open units of ``fulfillment_orders`` at ``location_id``."""
        bins = bins or {}
        lines = [
            PickLine(
                bin=bins.get(line.sku),
                sku=line.sku,
                description=line.description,
                quantity=line.to_ship,
                order_id=fo.order_id,
                fulfillment_order_id=fo.id,
                line_no=line.line_no,
            )
            for fo in fulfillment_orders
            if fo.location_id == location_id and fo.is_open
            for line in fo.lines
            if line.to_ship
        ]
        lines.sort(key=lambda p: (p.bin is None, p.bin or "", p.sku, p.order_id, p.line_no))
        return PickList(location_id=location_id, lines=tuple(lines))


@attrs.frozen(kw_only=True)
class PackingSlipLine:
    """One line of a packing slip: shipped now, shipped before, still to come."""

    line_no: int
    sku: str
    description: str
    ordered: int
    shipped_now: int
    shipped_before: int
    to_come: int


@attrs.frozen(kw_only=True)
class PackingSlip:
    """The packing slip of one shipment, as data: ship-from, ship-to, references, lines and
    packages. Personal data (the ship-to) is masked in the repr."""

    shipment_id: str
    order_id: str
    external_id: str | None
    customer_id: str
    ship_from: str
    ship_to: Address | None
    carrier: str
    tracking: str
    packages: tuple[str, ...]
    lines: tuple[PackingSlipLine, ...]


class FulfillmentBook:
    """The hub's fulfilment orders, kept in step with allocation.

    Units allocated at a location join the order's pending fulfilment order there (a new
    one once the earlier was released); units given back leave the newest open one first.
    Invariant: for every order, line and location, the units still to ship on open
    fulfilment orders equal the units allocated there.
    """

    def __init__(self, ids: IdFactory) -> None:
        self._ids = ids
        self._orders: dict[str, FulfillmentOrder] = {}
        # order id → its fulfilment orders' ids; tuples of strings, which the garbage
        # collector stops tracking (a list per order it would walk on every full collection)
        self._of_order: dict[str, tuple[str, ...]] = {}
        self._sealed: set[str] = set()  # pending, but already announced to the location

    def seal(self, fulfillment_order_id: str) -> None:
        """The fulfilment order was announced (its release sent): later units go to a new
        one, so the location is never left with a stale copy."""
        self._sealed.add(fulfillment_order_id)

    def get(self, fulfillment_order_id: str) -> FulfillmentOrder:
        """The fulfilment order ``fulfillment_order_id``."""
        try:
            return self._orders[fulfillment_order_id]
        except (KeyError, TypeError):
            raise NotFound(
                "no such fulfilment order",
                field="fulfillment_order_id",
                value=fulfillment_order_id,
            ) from None

    def of_order(self, order_id: str) -> tuple[FulfillmentOrder, ...]:
        """The fulfilment orders of ``order_id``, oldest first."""
        return tuple(self._orders[i] for i in self._of_order.get(order_id, ()))

    def all(self) -> tuple[FulfillmentOrder, ...]:
        """Every fulfilment order, oldest first."""
        return tuple(self._orders.values())

    def put(self, fo: FulfillmentOrder) -> FulfillmentOrder:
        """Store the new snapshot of a fulfilment order."""
        self._orders[fo.id] = fo
        return fo

    def add(
        self,
        order_id: str,
        location_id: str,
        erp: str,
        line: OrderLine,
        quantity: int,
        now: datetime,
    ) -> None:
        """``quantity`` units of ``line`` were allocated at ``location_id``."""
        pending = None
        orders, sealed = self._orders, self._sealed
        for fo_id in reversed(self._of_order.get(order_id, ())):
            fo = orders[fo_id]
            if (
                fo.location_id == location_id
                and fo.state is FulfillmentState.PENDING
                and fo_id not in sealed
            ):
                pending = fo
                break
        if pending is None:
            pending = FulfillmentOrder(
                id=self._ids.new_id("fulfillment"),
                order_id=order_id,
                location_id=location_id,
                erp=erp,
                lines=(),
                created_at=now,
            )
            self._of_order[order_id] = (*self._of_order.get(order_id, ()), pending.id)
        lines = list(pending.lines)
        for i, fl in enumerate(lines):
            if fl.line_no == line.line_no:
                lines[i] = _evolve_line(fl, quantity=fl.quantity + quantity)
                break
        else:
            lines.append(
                FulfillmentLine(
                    line_no=line.line_no,
                    sku=line.sku,
                    description=line.description,
                    quantity=quantity,
                )
            )
            lines.sort(key=_line_no)
        self.put(_evolve_fo(pending, lines=tuple(lines)))

    def remove(
        self,
        order_id: str,
        line_no: int,
        location_id: str,
        quantity: int,
        *,
        rejected: bool = False,
    ) -> None:
        """``quantity`` unshipped units of a line leave the location's open fulfilment orders
        (newest first). A fulfilment order left with nothing to ship is cancelled — or
        rejected, when the location rejected it."""
        left = quantity
        for fo in reversed(self.of_order(order_id)):
            if not left:
                break
            if fo.location_id != location_id or not fo.is_open:
                continue
            lines = list(fo.lines)
            for i, fl in enumerate(lines):
                if fl.line_no == line_no and fl.to_ship:
                    take = min(left, fl.to_ship)
                    lines[i] = attrs.evolve(fl, quantity=fl.quantity - take)
                    left -= take
            fo = attrs.evolve(fo, lines=tuple(fl for fl in lines if fl.quantity))
            if not fo.to_ship:
                fo = attrs.evolve(fo, state=_closed_state(fo, rejected))
            self.put(fo)


_line_no = attrgetter("line_no")
_evolve_fo = evolver(FulfillmentOrder)
_evolve_line = evolver(FulfillmentLine)


def _closed_state(fo: FulfillmentOrder, rejected: bool) -> FulfillmentState:
    """Where a fulfilment order with nothing left to ship ends."""
    if any(line.shipped for line in fo.lines):
        return FulfillmentState.SHIPPED
    if rejected and fo.state is not FulfillmentState.PENDING:
        return FulfillmentState.REJECTED
    return FulfillmentState.CANCELLED
