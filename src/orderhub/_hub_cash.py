"""The hub from release to cash: fulfilment orders, shipments, invoices, receivables,
payments, returns and the journal.

A mixin of :class:`orderhub.OrderHub`, kept in its own module so that each part of the hub
stays readable; every method here is a hub command (validate everything, then apply, then
return the events).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import attrs

from orderhub._billing import (
    BillableLine,
    Invoice,
    build_adjustment,
    build_credit_note,
    build_invoice,
    credited_units,
)
from orderhub._fulfilment import (
    FulfillmentOrder,
    FulfillmentState,
    PackingSlip,
    PackingSlipLine,
    PickList,
    Shipment,
    ShipmentLine,
)
from orderhub._journal import (
    Account,
    EntryKind,
    Journal,
    JournalEntry,
    JournalLine,
    RevenuePolicy,
    entry_for_credit_application,
    entry_for_credit_note,
    entry_for_delivery,
    entry_for_invoice,
    entry_for_payment,
    entry_for_prepayment_applied,
    entry_for_write_off,
)
from orderhub._money import Money
from orderhub._orders import Order, OrderState
from orderhub._receivables import Receivables
from orderhub._receivables_values import Application, CreditKind
from orderhub._tax import TaxMode, TaxPolicy, TaxRounding
from orderhub._terms import PaymentTerms
from orderhub.errors import (
    IdempotencyConflict,
    IllegalTransition,
    InvalidQuantity,
    NotFound,
    ValidationError,
)
from orderhub.events import (
    CreditNoteIssued,
    Event,
    FulfillmentOrderChanged,
    InvoiceIssued,
    OrderStateChanged,
    PaymentRecorded,
    ReturnAuthorized,
    ReturnReceived,
    ShipmentConfirmed,
)
from orderhub.ports import IdFactory

if TYPE_CHECKING:
    from orderhub._allocation import Allocator

__all__ = ["CashCommands", "ReturnAuthorization", "Shipped"]

_SHIPPABLE = frozenset(
    {
        FulfillmentState.RELEASED,
        FulfillmentState.ACCEPTED,
        FulfillmentState.PICKING,
        FulfillmentState.PACKED,
        FulfillmentState.PARTIALLY_SHIPPED,
    }
)


@attrs.frozen(kw_only=True)
class Shipped:
    """What :meth:`OrderHub.confirm_shipment` returns: the shipment, its invoice and the
    events; ``is_duplicate`` when the same confirmation came again and nothing changed."""

    shipment: Shipment
    invoice: Invoice | None
    events: tuple[Event, ...]
    is_duplicate: bool = False


@attrs.frozen(kw_only=True)
class ReturnAuthorization:
    """Units of an order's shipped lines the customer may send back (an RMA)."""

    id: str
    order_id: str
    lines: tuple[tuple[int, int], ...]
    reason: str
    authorized_at: datetime
    received: bool = False
    restocked: bool | None = None
    credit_note_ids: tuple[str, ...] = ()


def _text(value: object, field: str, entity_id: str | None = None) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(
            "must be a non-empty string", field=field, value=value, entity_id=entity_id
        )
    return value.strip()


def _as_requested(
    shipment: Shipment | None, lines: Mapping[str, int] | Mapping[int, int]
) -> dict[tuple[str, object], int]:
    """Units of ``shipment`` (or of the request ``lines``) in the request's terms: per
    line number where the request names lines, per SKU otherwise. A repeated confirmation
    is compared this way, because a SKU spread over several lines maps to other lines once
    the first confirmation has shipped some of them."""
    named = {k for k in lines if isinstance(k, int) and not isinstance(k, bool)}
    out: dict[tuple[str, object], int] = {}
    if shipment is None:
        for k, q in lines.items():
            key = ("line", k) if k in named else ("sku", k)
            out[key] = out.get(key, 0) + q
        return out
    for sl in shipment.lines:
        key = ("line", sl.line_no) if sl.line_no in named else ("sku", sl.sku)
        out[key] = out.get(key, 0) + sl.quantity
    return out


class CashCommands:
    """Fulfilment, billing, receivables, returns and the journal, as hub commands."""

    if TYPE_CHECKING:  # provided by OrderHub
        _orders: dict[str, Order]
        _alloc: Allocator
        _ids: IdFactory

        def _now(self) -> datetime: ...
        def _record(self, events: Sequence[Event]) -> tuple[Event, ...]: ...
        def order(self, order_id: str) -> Order: ...
        def reject(self, order_id: str, location_id: str, *, reason: str) -> tuple[Event, ...]: ...
        def _effects_for_entry(self, entry: JournalEntry) -> None: ...

    def _init_cash(
        self,
        *,
        tax: TaxPolicy,
        tax_mode: TaxMode,
        tax_rounding: TaxRounding,
        terms: PaymentTerms,
        revenue_policy: RevenuePolicy,
        numbers: IdFactory,
    ) -> None:
        self.receivables = Receivables()
        self.journal = Journal()
        self._tax = tax
        self._tax_mode = tax_mode
        self._tax_rounding = tax_rounding
        self._terms = terms
        self._revenue_policy = revenue_policy
        self._numbers = numbers
        self._shipments: dict[str, Shipment] = {}
        self._shipment_keys: dict[str, str] = {}
        self._invoices: dict[str, Invoice] = {}
        self._invoices_of: dict[str, list[str]] = {}
        self._returns: dict[str, ReturnAuthorization] = {}
        self._returned: dict[tuple[str, int], int] = {}
        self._prepaid: dict[str, str] = {}  # payment id → order id it prepaid
        self._payment_entries: dict[str, str] = {}
        self._delivered: set[str] = set()
        # Idempotency keys of credit() and authorize_return(): key → (request, result id).
        self._request_keys: dict[str, tuple[Any, str]] = {}

    def _entry_id(self) -> str:
        return self._ids.new_id("journal-entry")

    def _post(self, entry: JournalEntry) -> None:
        if entry.lines and self.journal.post(entry):
            self._effects_for_entry(entry)

    # -- fulfilment orders ---------------------------------------------------------------

    def fulfillment_orders(self, order_id: str) -> tuple[FulfillmentOrder, ...]:
        """The fulfilment orders of an order (one per location it was routed to)."""
        self.order(order_id)
        return self._alloc.fulfillment.of_order(order_id)

    def fulfillment_order(self, fulfillment_order_id: str) -> FulfillmentOrder:
        """The fulfilment order ``fulfillment_order_id``."""
        return self._alloc.fulfillment.get(fulfillment_order_id)

    def _fo_moved(
        self, fo: FulfillmentOrder, target: FulfillmentState, now: datetime, reason: str = ""
    ) -> list[Event]:
        moved = fo._moved(target)
        if moved is fo:
            return []
        self._alloc.fulfillment.put(attrs.evolve(moved, reason=reason or moved.reason))
        if target is FulfillmentState.RELEASED:
            # Released to the location, which picks them: the units no longer expire.
            lines = {line.line_no for line in fo.lines}
            for r in self.stock.reservations(fo.order_id):  # type: ignore[attr-defined]
                if r.location_id == fo.location_id and r.line_no in lines:
                    self.stock.keep(r.id)  # type: ignore[attr-defined]
        return [
            FulfillmentOrderChanged(
                occurred_at=now,
                fulfillment_order_id=fo.id,
                order_id=fo.order_id,
                location_id=fo.location_id,
                from_state=fo.state.value,
                to_state=target.value,
            )
        ]

    def release(self, order_id: str) -> tuple[Event, ...]:
        """Release an order's pending fulfilment orders to their locations.

        The order moves to released; units still backordered are released when they are
        allocated. Releasing again changes nothing.
        """
        order = self.order(order_id)
        if order.state is OrderState.ON_HOLD:
            raise IllegalTransition(
                "an order on hold cannot be released",
                field="state",
                value=order.state.value,
                entity_id=order_id,
            )
        pending = [
            fo
            for fo in self._alloc.fulfillment.of_order(order_id)
            if fo.state is FulfillmentState.PENDING
        ]
        if not pending:
            return ()
        now = self._now()
        events: list[Event] = []
        for fo in pending:
            events.extend(self._fo_moved(fo, FulfillmentState.RELEASED, now))
        if order.state in (OrderState.ALLOCATED, OrderState.PARTIALLY_ALLOCATED):
            self._orders[order_id] = order._moved(OrderState.RELEASED)
            events.append(
                OrderStateChanged(
                    occurred_at=now,
                    order_id=order_id,
                    from_state=order.state.value,
                    to_state=OrderState.RELEASED.value,
                )
            )
        return self._record(events)

    def _fo_step(self, fulfillment_order_id: str, target: FulfillmentState) -> tuple[Event, ...]:
        fo = self.fulfillment_order(fulfillment_order_id)
        if fo.state is target or not fo.is_open:
            return ()  # a duplicate or late message (an acceptance after a cancellation)
        return self._record(self._fo_moved(fo, target, self._now()))

    def accept(self, fulfillment_order_id: str) -> tuple[Event, ...]:
        """The location accepted the fulfilment order. Harmless when repeated or late."""
        return self._fo_step(fulfillment_order_id, FulfillmentState.ACCEPTED)

    def start_picking(self, fulfillment_order_id: str) -> tuple[Event, ...]:
        """The location started picking."""
        return self._fo_step(fulfillment_order_id, FulfillmentState.PICKING)

    def mark_packed(self, fulfillment_order_id: str) -> tuple[Event, ...]:
        """The location packed the goods."""
        return self._fo_step(fulfillment_order_id, FulfillmentState.PACKED)

    def reject_fulfillment(self, fulfillment_order_id: str, *, reason: str) -> tuple[Event, ...]:
        """The location rejected the fulfilment order: its units are re-routed elsewhere
        (see :meth:`OrderHub.reject`). Harmless when repeated."""
        fo = self.fulfillment_order(fulfillment_order_id)
        if not fo.is_open or fo.state is FulfillmentState.PENDING:
            return ()
        return self.reject(fo.order_id, fo.location_id, reason=reason)

    def pick_list(self, location_id: str, bins: Mapping[str, str] | None = None) -> PickList:
        """What to pick at ``location_id`` for its released, unshipped fulfilment orders,
        sorted by bin, then SKU."""
        self._alloc.network.get(location_id)  # an unknown location is an error, not empty
        released = tuple(
            fo for fo in self._alloc.fulfillment.all() if fo.state is not FulfillmentState.PENDING
        )
        return PickList.of(location_id, released, bins)

    # -- shipments -----------------------------------------------------------------------

    def confirm_shipment(
        self,
        fulfillment_order_id: str,
        lines: Mapping[str, int] | Mapping[int, int],
        *,
        carrier: str,
        tracking: str,
        shipment_id: str | None = None,
        packages: Sequence[str] = (),
    ) -> Shipped:
        """Goods left a location: ``lines`` maps SKUs (or order line numbers) to units.

        The stock is deducted (reserved → shipped), the lines and the order move on, an
        invoice is raised for the shipment, booked as an open item and journaled. The
        same confirmation again (same ``shipment_id``, or same tracking number) returns the
        first result and changes nothing; the same shipment with different content is an
        :class:`IdempotencyConflict`.

        Raises:
            InvalidQuantity: more units than the fulfilment order has left to ship.
            IllegalTransition: the fulfilment order is not released, or closed.
        """
        fo = self.fulfillment_order(fulfillment_order_id)
        carrier = _text(carrier, "carrier", fo.id)
        tracking = _text(tracking, "tracking", fo.id)
        key = shipment_id if shipment_id is not None else f"{fo.id}:{tracking}"
        _text(key, "shipment_id", fo.id)
        content = self._shipment_content(fo, lines)
        tracked = f"{fo.id}:{tracking}"
        seen = self._shipment_keys.get(key)
        if seen is None:
            # The same parcel (tracking number) confirmed again under another key, or a
            # shipment id that another shipment already has, is the same shipment.
            seen = self._shipment_keys.get(tracked)
        if seen is None and shipment_id is not None and shipment_id in self._shipments:
            seen = shipment_id
        if seen is not None:
            first = self._shipments[seen]
            if (first.carrier, first.tracking) != (carrier, tracking) or _as_requested(
                first, lines
            ) != _as_requested(None, lines):
                raise IdempotencyConflict(
                    "this shipment was confirmed with different content",
                    field="shipment_id",
                    value=key,
                    entity_id=fo.id,
                )
            invoice = None if first.invoice_id is None else self._invoices[first.invoice_id]
            return Shipped(shipment=first, invoice=invoice, events=(), is_duplicate=True)
        if fo.state not in _SHIPPABLE:
            raise IllegalTransition(
                "only a released, open fulfilment order can ship",
                field="state",
                value=fo.state.value,
                entity_id=fo.id,
            )
        left = fo.to_ship
        for line_no, qty in content.items():
            if qty > left.get(line_no, 0):
                raise InvalidQuantity(
                    f"only {left.get(line_no, 0)} unit(s) of line {line_no} left to ship",
                    field=f"lines[{line_no}]",
                    value=qty,
                    entity_id=fo.id,
                )
        if isinstance(packages, (str, bytes)):
            raise ValidationError(
                "must be a sequence of package ids", field="packages", value=packages
            )
        package_ids = tuple(_text(p, "packages", fo.id) for p in packages)
        now = self._now()
        order = self._orders[fo.order_id]
        before = {n: order.line(n).quantities.shipped for n in content}
        draft = self._draft_invoice(order, content, before, now.date())  # may raise

        # Valid: apply.
        shipment = Shipment(
            id=self._ids.new_id("shipment") if shipment_id is None else key,
            fulfillment_order_id=fo.id,
            order_id=fo.order_id,
            location_id=fo.location_id,
            lines=tuple(
                ShipmentLine(line_no=n, sku=order.line(n).sku, quantity=q)
                for n, q in sorted(content.items())
            ),
            carrier=carrier,
            tracking=tracking,
            shipped_at=now,
            packages=package_ids,
        )
        for line_no, qty in content.items():
            order = self._alloc.ship(order, fo.location_id, line_no, qty)
        shipped_lines = tuple(
            attrs.evolve(fl, shipped=fl.shipped + content.get(fl.line_no, 0)) for fl in fo.lines
        )
        fo_after = attrs.evolve(
            fo, lines=shipped_lines, shipment_ids=(*fo.shipment_ids, shipment.id)
        )
        target = (
            FulfillmentState.SHIPPED
            if not fo_after.to_ship
            else FulfillmentState.PARTIALLY_SHIPPED
        )
        self._alloc.fulfillment.put(fo_after)
        events: list[Event] = self._fo_moved(fo_after, target, now)
        events.insert(
            0,
            ShipmentConfirmed(
                occurred_at=now,
                shipment_id=shipment.id,
                order_id=order.id,
                fulfillment_order_id=fo.id,
                location_id=fo.location_id,
                lines=tuple((sl.line_no, sl.sku, sl.quantity) for sl in shipment.lines),
                carrier=carrier,
                tracking=tracking,
            ),
        )
        order, more = self._after_shipment(self._orders[fo.order_id], order, now)
        events.extend(more)
        self._orders[order.id] = order
        invoice, more = self._invoice_shipment(order, shipment, draft, now)
        events.extend(more)
        held = self._orders[order.id]
        if held.state is OrderState.ON_HOLD and held.resume_state is OrderState.SHIPPED:
            self._orders[order.id] = attrs.evolve(held, resume_state=OrderState.INVOICED)
        if self._orders[order.id].state is OrderState.SHIPPED:
            self._orders[order.id] = self._orders[order.id]._moved(OrderState.INVOICED)
            events.append(
                OrderStateChanged(
                    occurred_at=now,
                    order_id=order.id,
                    from_state=OrderState.SHIPPED.value,
                    to_state=OrderState.INVOICED.value,
                )
            )
        events.extend(self._close_paid(order.customer_id, now))
        if invoice is not None:
            shipment = attrs.evolve(shipment, invoice_id=invoice.id)
        self._shipments[shipment.id] = shipment
        self._shipment_keys[key] = shipment.id
        self._shipment_keys.setdefault(tracked, shipment.id)
        return Shipped(shipment=shipment, invoice=invoice, events=self._record(events))

    def _shipment_content(
        self, fo: FulfillmentOrder, lines: Mapping[str, int] | Mapping[int, int]
    ) -> dict[int, int]:
        if not isinstance(lines, Mapping) or not lines:
            raise ValidationError(
                "must map SKUs or line numbers to units",
                field="lines",
                value=lines,
                entity_id=fo.id,
            )
        content: dict[int, int] = {}
        for key, qty in lines.items():
            if isinstance(qty, bool) or not isinstance(qty, int) or qty <= 0:
                raise InvalidQuantity(
                    "must be a positive integer",
                    field=f"lines[{key!r}]",
                    value=qty,
                    entity_id=fo.id,
                )
            if isinstance(key, int) and not isinstance(key, bool):
                if key not in {fl.line_no for fl in fo.lines}:
                    raise ValidationError(
                        "no such line on the fulfilment order",
                        field="lines",
                        value=key,
                        entity_id=fo.id,
                    )
                content[key] = content.get(key, 0) + qty
                continue
            matching = [fl for fl in fo.lines if fl.sku == key]
            if not matching:
                raise ValidationError(
                    "no such SKU on the fulfilment order",
                    field="lines",
                    value=key,
                    entity_id=fo.id,
                )
            left = qty
            for fl in matching:  # several lines of one SKU: fill them in line order
                take = min(left, fl.to_ship - content.get(fl.line_no, 0))
                if take > 0:
                    content[fl.line_no] = content.get(fl.line_no, 0) + take
                    left -= take
            if left:
                last = matching[-1].line_no
                content[last] = content.get(last, 0) + left  # over-shipment: refused later
        return content

    def _after_shipment(
        self, before: Order, order: Order, now: datetime
    ) -> tuple[Order, list[Event]]:
        done = all(
            line.quantities.shipped + line.quantities.cancelled == line.quantity
            for line in order.lines
        )
        target = OrderState.SHIPPED if done else OrderState.PARTIALLY_SHIPPED
        if order.state is target:
            return order, []
        source = order.state
        if source is OrderState.ON_HOLD:
            return attrs.evolve(order, resume_state=target), []
        if source in (OrderState.ALLOCATED, OrderState.PARTIALLY_ALLOCATED):
            order = order._moved(OrderState.RELEASED)
        order = order._moved(target)
        return order, [
            OrderStateChanged(
                occurred_at=now,
                order_id=order.id,
                from_state=before.state.value,
                to_state=target.value,
            )
        ]

    # -- invoices ------------------------------------------------------------------------

    def _draft_invoice(
        self, order: Order, content: Mapping[int, int], before: Mapping[int, int], on: date
    ) -> Invoice:
        """The shipment's invoice, built (and so checked: the tax policy's answers too)
        before anything is applied; it gets its id, number and shipment when booked."""
        lines = [
            BillableLine.of(order.line(n), shipped_now=q, shipped_before=before[n])
            for n, q in sorted(content.items())
        ]
        return build_invoice(
            invoice_id="draft",
            number="draft",
            order_id=order.id,
            customer_id=order.customer_id,
            shipment_id=None,
            lines=lines,
            ship_to_country=None if order.ship_to is None else order.ship_to.country,
            ship_to_region=None if order.ship_to is None else order.ship_to.region,
            tax=self._tax,
            mode=self._tax_mode,
            rounding=self._tax_rounding,
            terms=self._terms,
            issued_on=on,
        )

    def _invoice_shipment(
        self, order: Order, shipment: Shipment, draft: Invoice, now: datetime
    ) -> tuple[Invoice | None, list[Event]]:
        on = draft.issued_on
        invoice = attrs.evolve(
            draft,
            id=self._ids.new_id("invoice"),
            number=self._numbers.new_id("invoice-number"),
            shipment_id=shipment.id,
        )
        self._invoices[invoice.id] = invoice
        self._invoices_of.setdefault(order.id, []).append(invoice.id)
        self._post(entry_for_invoice(invoice, self._revenue_policy, self._entry_id()))
        discount = invoice.early_payment_discount  # zero without a discount window
        if not invoice.grand_total.is_zero:  # goods given away free owe nothing: no item
            applied = self.receivables.add_invoice(
                invoice_id=invoice.id,
                customer_id=invoice.customer_id,
                number=invoice.number,
                currency=invoice.currency,
                amount=invoice.grand_total,
                issued_on=on,
                due_on=invoice.due_on,
                discount=discount if not discount.is_zero else None,
                discount_until=invoice.discount_until if not discount.is_zero else None,
                instalments=invoice.instalments(),
            )
            self._journal_applications(applied, on)
        events: list[Event] = [
            InvoiceIssued(
                occurred_at=now,
                invoice_id=invoice.id,
                number=invoice.number,
                order_id=order.id,
                customer_id=invoice.customer_id,
                shipment_id=shipment.id,
                net_total=invoice.net_total,
                tax_total=invoice.tax_total,
                grand_total=invoice.grand_total,
                due_on=invoice.due_on,
            )
        ]
        return invoice, events

    def _journal_applications(self, applications: Sequence[Application], on: date) -> None:
        """Journal unapplied credit applied to open items later: a prepayment leaves
        deferred revenue, other cash leaves customer credit; a credit note's leftover is
        already out of the receivable. An early-payment discount the credit earned closes
        the rest of the item: Dr discounts allowed / Cr receivable."""
        for a in applications:
            if a.source_kind is not CreditKind.PAYMENT:
                continue
            if not a.discount.is_zero:
                self._post(
                    JournalEntry(
                        id=self._entry_id(),
                        on=on,
                        lines=(
                            JournalLine.dr(Account.DISCOUNTS_ALLOWED, a.discount),
                            JournalLine.cr(Account.ACCOUNTS_RECEIVABLE, a.discount),
                        ),
                        kind=EntryKind.CREDIT_APPLIED,
                        reference=a.source_id,
                        memo="early-payment discount",
                    )
                )
            if a.applied.is_zero:
                continue
            if a.source_id in self._prepaid:
                entry = entry_for_prepayment_applied(
                    entry_id=self._entry_id(),
                    on=on,
                    to_receivable=a.applied,
                    reference=a.source_id,
                )
            else:
                entry = entry_for_credit_application(
                    entry_id=self._entry_id(), on=on, amount=a.applied, reference=a.source_id
                )
            self._post(entry)

    def invoices(self, order_id: str | None = None) -> tuple[Invoice, ...]:
        """Every invoice and credit note (of ``order_id``, if given), oldest first."""
        if order_id is None:
            return tuple(self._invoices.values())
        self.order(order_id)
        return tuple(self._invoices[i] for i in self._invoices_of.get(order_id, ()))

    def invoice(self, invoice_id: str) -> Invoice:
        """The invoice or credit note ``invoice_id``."""
        try:
            return self._invoices[invoice_id]
        except (KeyError, TypeError):
            raise NotFound("no such invoice", field="invoice_id", value=invoice_id) from None

    def shipment(self, shipment_id: str) -> Shipment:
        """The shipment ``shipment_id``."""
        try:
            return self._shipments[shipment_id]
        except (KeyError, TypeError):
            raise NotFound("no such shipment", field="shipment_id", value=shipment_id) from None

    def shipments(self, order_id: str) -> tuple[Shipment, ...]:
        """The shipments of an order, oldest first."""
        self.order(order_id)
        return tuple(s for s in self._shipments.values() if s.order_id == order_id)

    def packing_slip(self, shipment_id: str) -> PackingSlip:
        """The packing slip of a shipment, as data for the host to render."""
        shipment = self.shipment(shipment_id)
        order = self._orders[shipment.order_id]
        earlier = []  # the order's shipments confirmed before this one (insertion order)
        for s in self._shipments.values():
            if s.id == shipment.id:
                break
            if s.order_id == order.id:
                earlier.append(s)
        lines = []
        for sl in shipment.lines:
            line = order.line(sl.line_no)
            before = sum(s.content.get(sl.line_no, 0) for s in earlier)
            lines.append(
                PackingSlipLine(
                    line_no=sl.line_no,
                    sku=sl.sku,
                    description=line.description,
                    ordered=line.quantity,
                    shipped_now=sl.quantity,
                    shipped_before=before,
                    to_come=line.quantity - line.quantities.cancelled - before - sl.quantity,
                )
            )
        return PackingSlip(
            shipment_id=shipment.id,
            order_id=order.id,
            external_id=order.external_id,
            customer_id=order.customer_id,
            ship_from=shipment.location_id,
            ship_to=order.ship_to,
            carrier=shipment.carrier,
            tracking=shipment.tracking,
            packages=shipment.packages,
            lines=tuple(lines),
        )

    def confirm_delivery(self, shipment_id: str) -> tuple[Event, ...]:
        """The carrier delivered a shipment: under a revenue policy that recognises on
        delivery, its invoice's revenue moves from deferred to recognised. Harmless when
        repeated."""
        shipment = self.shipment(shipment_id)
        if shipment_id in self._delivered or shipment.invoice_id is None:
            return ()
        self._delivered.add(shipment_id)
        invoice = self._invoices[shipment.invoice_id]
        if self._revenue_policy.defers(invoice):
            credited = Money.zero(invoice.currency)
            for cn in self._invoices.values():
                if cn.credits == invoice.id:
                    credited = credited + cn.net_total
            self._post(
                entry_for_delivery(
                    invoice,
                    self._revenue_policy,
                    self._entry_id(),
                    on=self._now().date(),
                    credited_net=credited,
                )
            )
        return ()

    # -- credit notes --------------------------------------------------------------------

    def _credited_before(self, invoice: Invoice) -> tuple[dict[int, int], Money]:
        notes = [n for n in self._invoices.values() if n.credits == invoice.id]
        amount = Money.zero(invoice.currency)
        for n in notes:
            amount = amount + n.grand_total
        return credited_units(notes, invoice.id), amount

    def credit(
        self,
        invoice_id: str,
        *,
        reason: str,
        lines: Mapping[int, int] | None = None,
        amount: Money | None = None,
        key: str | None = None,
    ) -> tuple[Event, ...]:
        """Issue a credit note for an invoice: units of its lines (``lines``; all units
        not yet credited by default) or, with ``amount``, a price adjustment. It reduces the
        invoice's open item (the rest becomes credit on the account) and is journaled.

        ``key`` makes a retry safe: the same request under the same key again issues
        nothing (and returns no events); another request under it raises
        :class:`~orderhub.errors.IdempotencyConflict`.
        """
        invoice = self.invoice(invoice_id)
        reason = _text(reason, "reason", invoice_id)
        request = (
            "credit",
            invoice_id,
            reason,
            _plain_lines(lines) if isinstance(lines, Mapping) else lines,
            amount,
        )
        if self._seen_request(key, request, invoice_id) is not None:
            return ()
        before_units, before_amount = self._credited_before(invoice)
        on = self._now().date()
        common: dict[str, Any] = {
            "credit_note_id": "draft",  # the id and number are drawn once the note is valid
            "number": "draft",
            "issued_on": on,
            "reason": reason,
            "credited_amount_before": before_amount,
        }
        if amount is not None:
            note = build_adjustment(invoice, amount=amount, **common)
        else:
            note = build_credit_note(invoice, lines=lines, credited_before=before_units, **common)
        note = attrs.evolve(
            note,
            id=self._ids.new_id("credit-note"),
            number=self._numbers.new_id("credit-note-number"),
        )
        events = self._book_credit_note(invoice, note, adjustment=amount is not None)
        if key is not None:
            self._request_keys[key] = (request, note.id)
        return self._record([*events, *self._close_paid(invoice.customer_id, self._now())])

    def _seen_request(self, key: str | None, request: Any, entity_id: str) -> str | None:
        """The id of what ``key`` made for this same request before, or None if it is new.

        Raises IdempotencyConflict if the key was used for another request."""
        if key is None:
            return None
        key = _text(key, "key", entity_id)
        seen = self._request_keys.get(key)
        if seen is None:
            return None
        if seen[0] != request:
            raise IdempotencyConflict(
                "the key was used before for another request",
                field="key",
                value=key,
                entity_id=entity_id,
            )
        return seen[1]

    def _book_credit_note(
        self, invoice: Invoice, note: Invoice, *, adjustment: bool = False
    ) -> list[Event]:
        now = self._now()
        self._invoices[note.id] = note
        if invoice.order_id is not None:
            self._invoices_of.setdefault(invoice.order_id, []).append(note.id)
        delivered = None
        if self._revenue_policy.defers(invoice):
            delivered = invoice.shipment_id in self._delivered
        self._post(
            entry_for_credit_note(
                note,
                self._revenue_policy,
                self._entry_id(),
                delivered=delivered,
                account=Account.SALES_ALLOWANCES if adjustment else Account.SALES_RETURNS,
            )
        )
        if not note.grand_total.is_zero:  # crediting free goods reduces nothing
            self.receivables.add_credit_note(
                credit_note_id=note.id,
                customer_id=note.customer_id,
                invoice_id=invoice.id,
                currency=note.currency,
                amount=note.grand_total,
                issued_on=note.issued_on,
            )
        return [
            CreditNoteIssued(
                occurred_at=now,
                credit_note_id=note.id,
                number=note.number,
                invoice_id=invoice.id,
                order_id=invoice.order_id,
                customer_id=note.customer_id,
                grand_total=note.grand_total,
                reason=note.reason or "",
            )
        ]

    # -- payments ------------------------------------------------------------------------

    def _close_paid(self, customer_id: str, now: datetime) -> list[Event]:
        """Invoiced orders of the customer whose invoices are all settled are closed."""
        events: list[Event] = []
        for order_id in self.customers.get(customer_id).order_ids:  # type: ignore[attr-defined]
            order = self._orders[order_id]
            if order.state is not OrderState.INVOICED:
                continue
            ids = [  # invoices of free goods are not open items: nothing to settle
                i
                for i in self._invoices_of.get(order_id, ())
                if not self._invoices[i].is_credit_note
                and not self._invoices[i].grand_total.is_zero
            ]
            if all(not self.receivables.item(i).is_open for i in ids):
                self._orders[order_id] = order._moved(OrderState.CLOSED)
                events.append(
                    OrderStateChanged(
                        occurred_at=now,
                        order_id=order_id,
                        from_state=order.state.value,
                        to_state=OrderState.CLOSED.value,
                    )
                )
        return events

    def record_payment(
        self,
        customer_id: str,
        amount: Money,
        *,
        reference: str,
        invoices: Sequence[str] = (),
        received_on: date | None = None,
        prepayment_for: str | None = None,
    ) -> tuple[Event, ...]:
        """Money received from a customer: applied to the named invoices, or oldest due
        first; what is left is credit on the account, applied to later invoices. With
        ``prepayment_for`` (an order not yet shipped), the left-over is journaled as
        deferred revenue until the goods ship. ``reference`` is the idempotency key: the
        same payment again changes nothing."""
        customer = self.customers.get(customer_id)  # type: ignore[attr-defined]
        reference = _text(reference, "reference")
        if prepayment_for is not None:
            prepaid = self.order(prepayment_for)
            owner = self.customers.resolve(prepaid.customer_id)  # type: ignore[attr-defined]
            if owner != customer.id:
                raise ValidationError(
                    "is an order of another customer",
                    field="prepayment_for",
                    value=prepayment_for,
                    entity_id=reference,
                )
        known = reference in self._payment_entries
        if received_on is not None:
            on = received_on
        elif known:  # a retry on a later day is the same payment, received when it was
            on = self.receivables.payment(reference).received_on
        else:
            on = self._now().date()
        result = self.receivables.record_payment(
            payment_id=reference,
            customer_id=customer.id,
            amount=amount,
            received_on=on,
            invoices=invoices,
        )
        if known:
            return ()
        if prepayment_for is not None:
            self._prepaid[reference] = prepayment_for
        applied = Money.zero(amount.currency)
        for a in result.applications:
            applied = applied + a.applied
        entry = entry_for_payment(
            entry_id=self._entry_id(),
            on=on,
            amount=amount,
            applied=applied,
            unapplied=result.unapplied,
            discount=result.discount,
            prepayment=prepayment_for is not None,
            reference=reference,
        )
        self._post(entry)
        self._payment_entries[reference] = entry.id
        now = self._now()
        return self._record(
            [
                *self._close_paid(customer.id, now),
                PaymentRecorded(
                    occurred_at=now,
                    payment_id=reference,
                    customer_id=customer.id,
                    amount=amount,
                    applied=applied,
                    unapplied=result.unapplied,
                    invoice_ids=tuple(a.document_id for a in result.applications if a.invoice_id),
                ),
            ]
        )

    def write_off(
        self, invoice_id: str, *, reason: str, max_amount: Money | None = None
    ) -> tuple[Event, ...]:
        """Write off what is still open on an invoice (a small remainder), journaled as bad
        debt."""
        on = self._now().date()
        result = self.receivables.write_off(
            invoice_id, on=on, reason=reason, max_amount=max_amount
        )
        if not result.amount.is_zero:
            self._post(
                entry_for_write_off(
                    entry_id=self._entry_id(), on=on, amount=result.amount, reference=invoice_id
                )
            )
        return self._record(self._close_paid(result.customer_id, self._now()))

    def reverse_payment(self, reference: str, *, reason: str) -> tuple[Event, ...]:
        """A payment bounced: its applications are undone and the items re-open; the
        journal mirrors it. Reversing twice changes nothing."""
        on = self._now().date()
        already = f"reversal:{reference}" in self._payment_entries
        result = self.receivables.reverse_payment(reference, on=on, reason=reason)
        if already:
            return ()
        currency = result.amount.currency
        reopened = Money.zero(currency)
        for a in result.reopened:
            reopened = reopened + a.applied + a.discount
        reopened = reopened + result.refund_reopened
        holder = (
            Account.DEFERRED_REVENUE if reference in self._prepaid else Account.CUSTOMER_CREDIT
        )
        sides = [  # (account, amount, is_debit); a zero amount makes no line
            (Account.ACCOUNTS_RECEIVABLE, reopened, True),
            (holder, result.unapplied_removed, True),
            (Account.CASH, result.amount, False),
            (Account.DISCOUNTS_ALLOWED, result.discounts, False),
        ]
        entry = JournalEntry(
            id=self._entry_id(),
            on=on,
            lines=tuple(
                JournalLine.dr(a, m) if debit else JournalLine.cr(a, m)
                for a, m, debit in sides
                if not m.is_zero
            ),
            kind=EntryKind.PAYMENT_REVERSAL,
            reference=reference,
            memo=f"payment reversed: {reason}",
        )
        self._post(entry)
        self._payment_entries[f"reversal:{reference}"] = entry.id
        return ()

    def refund(self, customer_id: str, amount: Money, *, reference: str) -> tuple[Event, ...]:
        """Pay the customer's unapplied credit back. Journaled by where the credit came
        from: cash on account leaves customer credit, a prepayment leaves deferred revenue,
        a credit note's leftover is already a credit in receivables."""
        on = self._now().date()
        known = f"refund:{reference}" in self._payment_entries
        result = self.receivables.refund(customer_id, amount, on=on, reference=reference)
        if known:
            return ()
        lines: list[JournalLine] = [JournalLine.cr(Account.CASH, amount)]
        for share in result.shares:
            if share.source_kind is CreditKind.CREDIT_NOTE:
                account = Account.ACCOUNTS_RECEIVABLE
            elif share.source_id in self._prepaid:
                account = Account.DEFERRED_REVENUE
            else:
                account = Account.CUSTOMER_CREDIT
            lines.append(JournalLine.dr(account, share.amount))
        entry = JournalEntry(
            id=self._entry_id(),
            on=on,
            lines=tuple(lines),
            kind=EntryKind.REFUND,
            reference=reference,
            memo="refund",
        )
        self._post(entry)
        self._payment_entries[f"refund:{reference}"] = entry.id
        return ()

    # -- returns -------------------------------------------------------------------------

    def authorize_return(
        self, order_id: str, lines: Mapping[int, int], *, reason: str, key: str | None = None
    ) -> ReturnAuthorization:
        """Authorise the return of shipped units (a return merchandise authorisation).

        ``key`` makes a retry safe: the same request under the same key returns the
        authorisation made the first time and changes nothing.

        Raises:
            InvalidQuantity: more units than were shipped less those already returned or
                authorised.
            IdempotencyConflict: ``key`` was used for another request.
        """
        order = self.order(order_id)
        reason = _text(reason, "reason", order_id)
        if not isinstance(lines, Mapping) or not lines:
            raise ValidationError(
                "must map line numbers to units", field="lines", value=lines, entity_id=order_id
            )
        request = ("authorize_return", order_id, reason, _plain_lines(lines))
        seen = self._seen_request(key, request, order_id)
        if seen is not None:
            return self._returns[seen]
        for line_no, qty in lines.items():
            line = order.line(line_no)
            if isinstance(qty, bool) or not isinstance(qty, int) or qty <= 0:
                raise InvalidQuantity(
                    "must be a positive integer",
                    field=f"lines[{line_no}]",
                    value=qty,
                    entity_id=order_id,
                )
            room = line.quantities.shipped - self._returned.get((order_id, line_no), 0)
            if qty > room:
                raise InvalidQuantity(
                    f"only {room} shipped unit(s) of line {line_no} can still be returned",
                    field=f"lines[{line_no}]",
                    value=qty,
                    entity_id=order_id,
                )
        now = self._now()
        rma = ReturnAuthorization(
            id=self._ids.new_id("return"),
            order_id=order_id,
            lines=tuple(sorted(lines.items())),
            reason=reason,
            authorized_at=now,
        )
        for line_no, qty in lines.items():
            returned = (order_id, line_no)
            self._returned[returned] = self._returned.get(returned, 0) + qty
        self._returns[rma.id] = rma
        if key is not None:
            self._request_keys[key] = (request, rma.id)
        self._record(
            [
                ReturnAuthorized(
                    occurred_at=now,
                    return_id=rma.id,
                    order_id=order_id,
                    lines=rma.lines,
                    reason=reason,
                )
            ]
        )
        return rma

    def receive_return(
        self, return_id: str, *, location_id: str, restock: bool = True
    ) -> tuple[Event, ...]:
        """The returned goods arrived at ``location_id``: restocked (back on hand, a RETURN
        movement) or scrapped; a credit note credits the invoiced units. Receiving twice
        changes nothing."""
        rma = self._returns.get(return_id)
        if rma is None:
            raise NotFound("no such return", field="return_id", value=return_id)
        self._alloc.network.get(location_id)
        if not isinstance(restock, bool):
            raise ValidationError("must be a bool", field="restock", value=restock)
        if rma.received:
            return ()
        order = self._orders[rma.order_id]
        now = self._now()
        # Build (and so check) every credit note first: nothing is applied if one fails.
        drafts: list[tuple[Invoice, Invoice]] = []
        for invoice_id in list(self._invoices_of.get(order.id, ())):
            invoice = self._invoices[invoice_id]
            if invoice.is_credit_note:
                continue
            before, before_amount = self._credited_before(invoice)
            units: dict[int, int] = {}
            for line_no, qty in rma.lines:
                wanted = qty - sum(
                    il.quantity for _, d in drafts for il in d.lines if il.line_no == line_no
                )
                inv_line = next((il for il in invoice.lines if il.line_no == line_no), None)
                if inv_line is None or wanted <= 0:
                    continue
                room = inv_line.quantity - before.get(line_no, 0)
                if room > 0:
                    units[line_no] = min(room, wanted)
            if not units:
                continue
            draft = build_credit_note(
                invoice,
                credit_note_id="draft",
                number="draft",
                issued_on=now.date(),
                reason=f"return {rma.id}: {rma.reason}",
                lines=units,
                credited_before=before,
                credited_amount_before=before_amount,
            )
            drafts.append((invoice, draft))

        # Valid: apply.
        events: list[Event] = []
        if restock and self._alloc.network.get(location_id).tracks_stock:
            for line_no, qty in rma.lines:
                self._alloc.stock.return_stock(
                    location_id, order.line(line_no).sku, qty, reference=rma.id
                )
        notes: list[str] = []
        for invoice, draft in drafts:
            note = attrs.evolve(
                draft,
                id=self._ids.new_id("credit-note"),
                number=self._numbers.new_id("credit-note-number"),
            )
            events.extend(self._book_credit_note(invoice, note))
            notes.append(note.id)
        events.extend(self._close_paid(order.customer_id, now))
        self._returns[rma.id] = attrs.evolve(
            rma, received=True, restocked=restock, credit_note_ids=tuple(notes)
        )
        events.insert(
            0,
            ReturnReceived(
                occurred_at=now,
                return_id=rma.id,
                order_id=order.id,
                location_id=location_id,
                restocked=restock,
            ),
        )
        return self._record(events)

    def returns(self, order_id: str) -> tuple[ReturnAuthorization, ...]:
        """The return authorisations of an order."""
        self.order(order_id)
        return tuple(r for r in self._returns.values() if r.order_id == order_id)

    def returned(self, order_id: str, line_no: int) -> int:
        """Units of a line authorised for return so far (never more than shipped)."""
        return self._returned.get((order_id, line_no), 0)


def _plain_lines(lines: Mapping[Any, Any]) -> tuple[tuple[Any, Any], ...]:
    """Line quantities as a comparable value (for idempotency keys)."""
    try:
        return tuple(sorted(lines.items()))
    except TypeError:
        return tuple(lines.items())
