"""The hub's credit notes and returns: crediting invoices, and goods coming back.

A mixin of :class:`orderhub.OrderHub`, kept in its own module so that each part of the hub
stays readable; every command here is a hub command (validate everything, then apply, then
return the events).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import attrs

from orderhub._billing import Invoice, build_adjustment, build_credit_note, credited_units
from orderhub._hub_cash import _text
from orderhub._journal import Account, JournalEntry, RevenuePolicy, entry_for_credit_note
from orderhub._money import Money
from orderhub._orders import Order
from orderhub.errors import IdempotencyConflict, InvalidQuantity, NotFound, ValidationError
from orderhub.events import CreditNoteIssued, Event, ReturnAuthorized, ReturnReceived

if TYPE_CHECKING:
    from orderhub._allocation import Allocator
    from orderhub._receivables import Receivables
    from orderhub.ports import IdFactory

__all__ = ["ReturnAuthorization", "ReturnCommands"]


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


class ReturnCommands:
    """Credit notes and returns, as hub commands."""

    if TYPE_CHECKING:  # provided by OrderHub (the books by CashCommands)
        receivables: Receivables
        _orders: dict[str, Order]
        _alloc: Allocator
        _ids: IdFactory
        _numbers: IdFactory
        _revenue_policy: RevenuePolicy
        _invoices: dict[str, Invoice]
        _invoices_of: dict[str, tuple[str, ...]]
        _returns: dict[str, ReturnAuthorization]
        _returned: dict[tuple[str, int], int]
        _delivered: set[str]
        _request_keys: dict[str, tuple[Any, str]]

        def _now(self) -> datetime: ...
        def _record(self, events: Sequence[Event]) -> tuple[Event, ...]: ...
        def order(self, order_id: str) -> Order: ...
        def invoice(self, invoice_id: str) -> Invoice: ...
        def _entry_id(self) -> str: ...
        def _post(self, entry: JournalEntry) -> None: ...
        def _close_paid(self, customer_id: str, now: datetime) -> list[Event]: ...

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
            self._invoices_of[invoice.order_id] = (
                *self._invoices_of.get(invoice.order_id, ()),
                note.id,
            )
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
