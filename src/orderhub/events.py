"""Domain events: what happened, in the past tense, as frozen values.

Every command of the hub returns the events it produced, and the hub appends them to its event
log. Events carry ids and facts, not personal data (no names, e-mails, phones or addresses), so
that an event log can be shipped to analytics without leaking who the customers are.
"""

from __future__ import annotations

from datetime import date, datetime

import attrs

from orderhub._money import Money
from orderhub._values import Channel, ConsentChannel
from orderhub.routing import Assignment, Backorder

__all__ = [
    "AssignmentRejected",
    "ConsentChanged",
    "CreditNoteIssued",
    "CustomerAttributeCaptured",
    "CustomerCreated",
    "CustomerEnteredSegment",
    "CustomerErased",
    "CustomerLeftSegment",
    "CustomerUpdated",
    "CustomersMerged",
    "EffectAbandoned",
    "Event",
    "FulfillmentOrderChanged",
    "InvoiceIssued",
    "OrderCancelled",
    "OrderCaptured",
    "OrderEdited",
    "OrderHeld",
    "OrderHoldReleased",
    "OrderLineCancelled",
    "OrderRouted",
    "OrderStateChanged",
    "PaymentRecorded",
    "PossibleDuplicate",
    "ReservationsExpired",
    "ReturnAuthorized",
    "ReturnReceived",
    "ShipmentConfirmed",
]


@attrs.frozen(kw_only=True)
class Event:
    """Base of every domain event: when it happened, on the hub's clock."""

    occurred_at: datetime


@attrs.frozen(kw_only=True)
class CustomerCreated(Event):
    """A customer was created from an identity no existing customer matched."""

    customer_id: str
    channel: Channel | None


@attrs.frozen(kw_only=True)
class CustomerUpdated(Event):
    """A customer gained identifiers (``changes`` names which kinds, never the values)."""

    customer_id: str
    changes: tuple[str, ...]


@attrs.frozen(kw_only=True)
class CustomerAttributeCaptured(Event):
    """An attribute value was captured for a customer (value kept on the customer only)."""

    customer_id: str
    name: str
    channel: Channel | None


@attrs.frozen(kw_only=True)
class PossibleDuplicate(Event):
    """An identity matched more than one customer; it was attached to ``customer_id``.

    ``matched_on`` names, for each of ``other_customer_ids``, which identifier pointed there.
    Nothing was merged: a person decides, then calls ``merge``.
    """

    customer_id: str
    other_customer_ids: tuple[str, ...]
    matched_on: tuple[str, ...]


@attrs.frozen(kw_only=True)
class CustomersMerged(Event):
    """``duplicate_id`` was merged into ``survivor_id``; look-ups of the duplicate answer with
    the survivor from now on."""

    survivor_id: str
    duplicate_id: str


@attrs.frozen(kw_only=True)
class CustomerErased(Event):
    """The customer's personal data was pseudonymised; ids, orders and balances remain."""

    customer_id: str


@attrs.frozen(kw_only=True)
class ConsentChanged(Event):
    """Marketing consent for one contact channel was granted or withdrawn."""

    customer_id: str
    consent_channel: ConsentChannel
    granted: bool


@attrs.frozen(kw_only=True)
class OrderCaptured(Event):
    """An order entered the hub and its intake queue."""

    order_id: str
    customer_id: str
    channel: Channel
    external_id: str | None
    total: Money
    line_count: int


@attrs.frozen(kw_only=True)
class OrderStateChanged(Event):
    """An order moved from one state to another (values of :class:`orderhub.OrderState`)."""

    order_id: str
    from_state: str
    to_state: str


@attrs.frozen(kw_only=True)
class OrderHeld(Event):
    """A hold was placed on an order; it waits outside the queue until every hold is
    released."""

    order_id: str
    hold: str
    reason: str


@attrs.frozen(kw_only=True)
class OrderHoldReleased(Event):
    """A hold was released."""

    order_id: str
    hold: str


@attrs.frozen(kw_only=True)
class OrderLineCancelled(Event):
    """Part or all of a line's open quantity was cancelled."""

    order_id: str
    line_no: int
    quantity: int
    reason: str


@attrs.frozen(kw_only=True)
class OrderCancelled(Event):
    """Every line of the order is cancelled or the order was cancelled as a whole."""

    order_id: str
    reason: str


@attrs.frozen(kw_only=True)
class OrderRouted(Event):
    """Open units of an order were routed: reserved at ``assignments`` and backordered as
    ``backorders``, each with the strategy's reason."""

    order_id: str
    assignments: tuple[Assignment, ...]
    backorders: tuple[Backorder, ...]


@attrs.frozen(kw_only=True)
class AssignmentRejected(Event):
    """A location rejected its part of an order; ``rejections`` counts the locations that
    rejected this order so far."""

    order_id: str
    location_id: str
    reason: str
    rejections: int


@attrs.frozen(kw_only=True)
class ReservationsExpired(Event):
    """Reservations of an order passed their expiry; ``quantity`` units went back on sale
    and the order back on the queue."""

    order_id: str
    quantity: int


@attrs.frozen(kw_only=True)
class OrderEdited(Event):
    """An order was changed before release; ``changes`` names what changed and ``total``
    is the new order total."""

    order_id: str
    changes: tuple[str, ...]
    total: Money


@attrs.frozen(kw_only=True)
class FulfillmentOrderChanged(Event):
    """A fulfilment order moved from one state to another (released, accepted, shipped…)."""

    fulfillment_order_id: str
    order_id: str
    location_id: str
    from_state: str
    to_state: str


@attrs.frozen(kw_only=True)
class ShipmentConfirmed(Event):
    """Goods left a location; ``lines`` are (line no, SKU, units)."""

    shipment_id: str
    order_id: str
    fulfillment_order_id: str
    location_id: str
    lines: tuple[tuple[int, str, int], ...]
    carrier: str
    tracking: str


@attrs.frozen(kw_only=True)
class InvoiceIssued(Event):
    """An invoice was raised for a shipment and booked as an open item."""

    invoice_id: str
    number: str
    order_id: str
    customer_id: str
    shipment_id: str | None
    net_total: Money
    tax_total: Money
    grand_total: Money
    due_on: date


@attrs.frozen(kw_only=True)
class CreditNoteIssued(Event):
    """A credit note reduced an invoice (a return, a cancellation, a price adjustment)."""

    credit_note_id: str
    number: str
    invoice_id: str
    order_id: str | None
    customer_id: str
    grand_total: Money
    reason: str


@attrs.frozen(kw_only=True)
class PaymentRecorded(Event):
    """Money was received: ``applied`` to ``invoice_ids``, ``unapplied`` left as credit."""

    payment_id: str
    customer_id: str
    amount: Money
    applied: Money
    unapplied: Money
    invoice_ids: tuple[str, ...]


@attrs.frozen(kw_only=True)
class ReturnAuthorized(Event):
    """Units of shipped lines may come back; ``lines`` are (line no, units)."""

    return_id: str
    order_id: str
    lines: tuple[tuple[int, int], ...]
    reason: str


@attrs.frozen(kw_only=True)
class ReturnReceived(Event):
    """Returned goods arrived at a location, restocked or scrapped."""

    return_id: str
    order_id: str
    location_id: str
    restocked: bool


@attrs.frozen(kw_only=True)
class EffectAbandoned(Event):
    """An outside action was refused or given up after its retries; the hub compensated
    (re-routed a refused release, held an order whose sales order was refused) and a
    person may need to look (``reason``)."""

    effect_id: str
    kind: str
    target: str
    subject_id: str
    reason: str


@attrs.frozen(kw_only=True)
class CustomerEnteredSegment(Event):
    """A customer's profile now satisfies the segment named ``segment``."""

    customer_id: str
    segment: str


@attrs.frozen(kw_only=True)
class CustomerLeftSegment(Event):
    """A customer's profile no longer satisfies the segment named ``segment`` (or the
    customer was merged into another)."""

    customer_id: str
    segment: str
