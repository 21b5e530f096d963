"""The values of the stock book: movements, positions, reservations and supplies, the
checks they share with :class:`~orderhub.StockBook`'s commands, and the rows the book keeps
movements and reservations as."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

import attrs

from orderhub.errors import InvalidQuantity, ValidationError

__all__ = [
    "Movement",
    "MovementKind",
    "Reservation",
    "ReserveRequest",
    "StockPosition",
    "Supply",
    "SupplyKind",
]


# -- validation helpers ------------------------------------------------------------------------


def _text(value: object, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError("must be a non-empty string", field=field, value=value)
    return value


def _opt_text(value: object, field: str) -> str | None:
    if value is None:
        return None
    return _text(value, field)


def _positive(value: object, field: str = "quantity", entity_id: str | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InvalidQuantity(
            "must be a positive integer", field=field, value=value, entity_id=entity_id
        )
    return value


def _v_text(_: object, a: attrs.Attribute[Any], value: object) -> None:
    _text(value, a.alias or a.name)


def _v_positive(_: object, a: attrs.Attribute[Any], value: object) -> None:
    _positive(value, a.alias or a.name)


def _v_count(_: object, a: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidQuantity("must be a non-negative integer", field=a.alias, value=value)


def _v_day(_: object, a: attrs.Attribute[Any], value: object) -> None:
    # A datetime is a date too, but the two do not compare: refuse it.
    if not isinstance(value, date) or isinstance(value, datetime):
        raise ValidationError("must be a date (not a datetime)", field=a.alias, value=value)


def _v_supply_kind(_: object, a: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, SupplyKind):
        raise ValidationError("must be a SupplyKind", field="kind", value=value)


# -- values ------------------------------------------------------------------------------------


class MovementKind(enum.Enum):
    """Why a movement changed stock."""

    RECEIVE = "receive"
    """Goods received (a delivery, or a supply arriving): on-hand up."""
    ADJUST = "adjust"
    """A correction with a reason (a count, damage, shrinkage): on-hand up or down."""
    RESERVE = "reserve"
    """Units held for an order line: reserved up."""
    RELEASE = "release"
    """Held units given back (cancellation, re-routing, expiry): reserved down."""
    SHIP = "ship"
    """Held units shipped: on-hand and reserved down."""
    TRANSFER_OUT = "transfer_out"
    """Units sent to another location: on-hand down here."""
    TRANSFER_IN = "transfer_in"
    """Units from another location: on-hand up here."""
    RETURN = "return"
    """Units a customer sent back, restocked: on-hand up."""


@attrs.frozen(kw_only=True)
class Movement:
    """One entry of the stock ledger: a change of on-hand and/or reserved at one position.

    ``seq`` numbers the ledger from 1; ``reference`` links the movement to what caused it
    (a reservation id for reserve/release/ship, a supply id for a supply's arrival, or
    whatever the caller passed); ``at`` is the clock's time when it was booked.
    """

    seq: int
    location_id: str
    sku: str
    kind: MovementKind
    on_hand_delta: int
    reserved_delta: int
    reason: str | None = None
    reference: str | None = None
    at: datetime


@attrs.frozen(kw_only=True)
class StockPosition:
    """On-hand and reserved units of one SKU at one location."""

    location_id: str
    sku: str
    on_hand: int
    reserved: int

    @property
    def available(self) -> int:
        """Units that can still be reserved: on-hand − reserved (never negative)."""
        return self.on_hand - self.reserved


@attrs.frozen(kw_only=True)
class ReserveRequest:
    """Ask to hold ``quantity`` units of ``sku`` at ``location_id`` for line ``line_no``."""

    location_id: str = attrs.field(validator=_v_text)
    sku: str = attrs.field(validator=_v_text)
    quantity: int = attrs.field(validator=_v_positive)
    line_no: int = attrs.field(validator=_v_positive)


@attrs.frozen(kw_only=True)
class Reservation:
    """Units held at one location for one order line.

    Each of the ``quantity`` units is, in the end, either released (given back) or consumed
    (shipped), exactly once; ``remaining`` are still held. ``expires_at`` (optional) is when
    :meth:`StockBook.expire` gives the remaining units back.
    """

    id: str
    order_id: str
    line_no: int
    location_id: str
    sku: str
    quantity: int
    released: int = 0
    consumed: int = 0
    expires_at: datetime | None = None
    created_at: datetime

    @property
    def remaining(self) -> int:
        """Units still held: quantity − released − consumed."""
        return self.quantity - self.released - self.consumed

    @property
    def is_live(self) -> bool:
        """True while some units are still held."""
        return self.remaining > 0


class SupplyKind(enum.Enum):
    """Where incoming supply comes from."""

    PURCHASE_ORDER = "purchase_order"
    TRANSFER = "transfer"


@attrs.frozen(kw_only=True)
class Supply:
    """Units of ``sku`` expected at ``location_id`` on ``expected``: a purchase order or an
    inbound transfer.

    ``received`` units have arrived (they are on hand now); ``outstanding`` = quantity −
    received are still to come. ``committed`` units are promised to backordered lines (see
    :meth:`StockBook.commitments`); a promise stands until the hub settles it with
    :meth:`StockBook.uncommit_supply` — typically right after an arrival, when it reserves
    the arrived units for the lines that were promised them. An arrival is counted against
    the free units first, so ``uncommitted`` = max(0, outstanding − committed): the units
    still to come that nobody has been promised, which is all new promises may take.
    """

    id: str = attrs.field(validator=_v_text)
    sku: str = attrs.field(validator=_v_text)
    location_id: str = attrs.field(validator=_v_text)
    quantity: int = attrs.field(validator=_v_positive)
    expected: date = attrs.field(validator=_v_day)
    kind: SupplyKind = attrs.field(default=SupplyKind.PURCHASE_ORDER, validator=_v_supply_kind)
    committed: int = attrs.field(default=0, validator=_v_count)
    received: int = attrs.field(default=0, validator=_v_count)

    def __attrs_post_init__(self) -> None:
        if self.committed > self.quantity or self.received > self.quantity:
            raise InvalidQuantity(
                "committed and received may not exceed the quantity",
                field="quantity",
                value=(self.quantity, self.committed, self.received),
                entity_id=self.id,
            )

    @property
    def outstanding(self) -> int:
        """Units still to arrive: quantity − received."""
        return self.quantity - self.received

    @property
    def uncommitted(self) -> int:
        """Units still to arrive that no backorder is promised: max(0, outstanding − committed)."""
        return max(0, self.quantity - self.received - self.committed)


# -- as the stock book keeps them -------------------------------------------------------------

# One ledger entry as kept: a Movement's fields in order, the kind by its value. A tuple of
# atoms only, which the cyclic GC stops tracking; a Movement is made from it when asked for.
_Row = tuple[int, str, str, str, int, int, str | None, str | None, datetime]
_KINDS = {kind.value: kind for kind in MovementKind}
_RECEIVE = MovementKind.RECEIVE.value
_ADJUST = MovementKind.ADJUST.value
_RESERVE = MovementKind.RESERVE.value
_RELEASE = MovementKind.RELEASE.value
_SHIP = MovementKind.SHIP.value
_TRANSFER_OUT = MovementKind.TRANSFER_OUT.value
_TRANSFER_IN = MovementKind.TRANSFER_IN.value
_RETURN = MovementKind.RETURN.value

# A reservation as kept, for the same reason: its fields in order, atoms only, as
# (id, order id, line no, location id, sku, quantity, released, consumed, expires at,
# created at); a Reservation is made from it when asked for.
_Held = tuple[str, str, int, str, str, int, int, int, datetime | None, datetime]


def _reservation(row: _Held) -> Reservation:
    rid, order, line_no, loc, sku, quantity, released, consumed, expires_at, created_at = row
    return Reservation(
        id=rid,
        order_id=order,
        line_no=line_no,
        location_id=loc,
        sku=sku,
        quantity=quantity,
        released=released,
        consumed=consumed,
        expires_at=expires_at,
        created_at=created_at,
    )


def _remaining(row: _Held) -> int:
    return row[5] - row[6] - row[7]


def _movement(row: _Row) -> Movement:
    seq, loc, sku, kind, on_hand_delta, reserved_delta, reason, reference, at = row
    return Movement(
        seq=seq,
        location_id=loc,
        sku=sku,
        kind=_KINDS[kind],
        on_hand_delta=on_hand_delta,
        reserved_delta=reserved_delta,
        reason=reason,
        reference=reference,
        at=at,
    )
