"""The hub from release to invoice: fulfilment orders, shipments, invoices and the books
they keep (receivables and the journal).

A mixin of :class:`orderhub.OrderHub`, kept in its own module so that each part of the hub
stays readable; every method here is a hub command (validate everything, then apply, then
return the events). Payments are in :mod:`orderhub._hub_payments`, credit notes and returns
in :mod:`orderhub._hub_returns`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import attrs

from orderhub._billing import BillableLine, Invoice, build_invoice
from orderhub._fulfilment import (
    FulfillmentOrder,
    FulfillmentState,
    PackingSlip,
    PackingSlipLine,
    PickList,
    Shipment,
    ShipmentLine,
    _evolve_fo,
    _evolve_line,
)
from orderhub._journal import (
    Account,
    EntryKind,
    Journal,
    JournalEntry,
    JournalLine,
    RevenuePolicy,
    entry_for_credit_application,
    entry_for_delivery,
    entry_for_invoice,
    entry_for_prepayment_applied,
)
from orderhub._money import Money
from orderhub._orders import Order, OrderState
from orderhub._receivables import Receivables
from orderhub._receivables_values import Application, CreditKind
from orderhub._statemachine import evolver
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
    Event,
    FulfillmentOrderChanged,
    InvoiceIssued,
    OrderStateChanged,
    ShipmentConfirmed,
)
from orderhub.ports import IdFactory

if TYPE_CHECKING:
    from orderhub._allocation import Allocator
    from orderhub._hub_returns import ReturnAuthorization

__all__ = ["CashCommands", "Shipped"]

_evolve_invoice = evolver(Invoice)
_evolve_shipment = evolver(Shipment)

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
    """Fulfilment, shipments and invoices, as hub commands; the owner of the books."""

    if TYPE_CHECKING:  # provided by OrderHub
        _orders: dict[str, Order]
        _alloc: Allocator
        _ids: IdFactory

        def _now(self) -> datetime: ...
        def _record(self, events: Sequence[Event]) -> tuple[Event, ...]: ...
        def order(self, order_id: str) -> Order: ...
        def reject(self, order_id: str, location_id: str, *, reason: str) -> tuple[Event, ...]: ...
        def _effects_for_entry(self, entry: JournalEntry) -> None: ...
        def _close_paid(self, customer_id: str, now: datetime) -> list[Event]: ...

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
        # order id → its shipments' ids, oldest first: tuples, untracked by the collector.
        # Derived from _shipments: not in a snapshot, rebuilt on restore (_index_shipments).
        self._shipments_of: dict[str, tuple[str, ...]] = {}
        self._shipment_keys: dict[str, str] = {}
        self._invoices: dict[str, Invoice] = {}
        # order id → its invoices and credit notes: tuples, untracked by the collector
        self._invoices_of: dict[str, tuple[str, ...]] = {}
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
        if reason and reason != moved.reason:
            moved = _evolve_fo(moved, reason=reason)
        self._alloc.fulfillment.put(moved)
        if target is FulfillmentState.RELEASED:
            # Released to the location, which picks them: the units no longer expire.
            lines = {line.line_no for line in fo.lines}
            self.stock._keep_lines(fo.order_id, fo.location_id, lines)  # type: ignore[attr-defined]
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
            _evolve_line(fl, shipped=fl.shipped + content[fl.line_no])
            if fl.line_no in content
            else fl
            for fl in fo.lines
        )
        fo_after = _evolve_fo(
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
            shipment = _evolve_shipment(shipment, invoice_id=invoice.id)
        self._shipments[shipment.id] = shipment
        of = self._shipments_of
        of[shipment.order_id] = (*of.get(shipment.order_id, ()), shipment.id)
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
        invoice = _evolve_invoice(
            draft,
            id=self._ids.new_id("invoice"),
            number=self._numbers.new_id("invoice-number"),
            shipment_id=shipment.id,
        )
        self._invoices[invoice.id] = invoice
        self._invoices_of[order.id] = (*self._invoices_of.get(order.id, ()), invoice.id)
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
        shipments = self._shipments
        return tuple(shipments[s] for s in self._shipments_of.get(order_id, ()))

    def _index_shipments(self) -> None:
        """Rebuild :attr:`_shipments_of` from the shipments (held in confirmation order):
        what a restored hub derives instead of reading it from the snapshot."""
        grouped: dict[str, list[str]] = {}
        for s in self._shipments.values():
            grouped.setdefault(s.order_id, []).append(s.id)
        self._shipments_of = {order_id: tuple(ids) for order_id, ids in grouped.items()}

    def packing_slip(self, shipment_id: str) -> PackingSlip:
        """The packing slip of a shipment, as data for the host to render."""
        shipment = self.shipment(shipment_id)
        order = self._orders[shipment.order_id]
        ids = self._shipments_of[order.id]
        # the order's shipments confirmed before this one
        earlier = [self._shipments[s] for s in ids[: ids.index(shipment.id)]]
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
            invoices = self._invoices
            for document_id in self._invoices_of.get(invoice.order_id or "", ()):
                cn = invoices[document_id]  # the order's own documents, not the hub's
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
