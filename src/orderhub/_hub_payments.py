"""The hub's cash in and out: payments, write-offs, reversals and refunds.

A mixin of :class:`orderhub.OrderHub`, kept in its own module so that each part of the hub
stays readable; every command here books the receivables and journals what they did
(validate everything, then apply, then return the events).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING

from orderhub._billing import InvoiceKind
from orderhub._hub_cash import _text
from orderhub._journal import (
    Account,
    EntryKind,
    JournalEntry,
    JournalLine,
    entry_for_payment,
    entry_for_write_off,
)
from orderhub._money import Money
from orderhub._orders import Order, OrderState
from orderhub._receivables_values import Application, CreditKind
from orderhub.errors import ValidationError
from orderhub.events import Event, OrderStateChanged, PaymentRecorded

if TYPE_CHECKING:
    from orderhub._billing import Invoice
    from orderhub._receivables import Receivables

__all__ = ["PaymentCommands"]

_CREDIT_NOTE = InvoiceKind.CREDIT_NOTE


class PaymentCommands:
    """Payments, write-offs, payment reversals and refunds, as hub commands."""

    if TYPE_CHECKING:  # provided by OrderHub (the books by CashCommands)
        receivables: Receivables
        _orders: dict[str, Order]
        _invoices: dict[str, Invoice]
        _invoices_of: dict[str, tuple[str, ...]]
        _prepaid: dict[str, str]
        _payment_entries: dict[str, str]

        def _now(self) -> datetime: ...
        def _record(self, events: Sequence[Event]) -> tuple[Event, ...]: ...
        def order(self, order_id: str) -> Order: ...
        def _entry_id(self) -> str: ...
        def _post(self, entry: JournalEntry) -> None: ...

    # -- payments ------------------------------------------------------------------------

    def _is_settled(self, order_id: str) -> bool:
        """True when nothing is owed on any invoice of the order: the one test of whether
        an invoiced order closes, and of whether a closed order re-opens."""
        invoices = self._invoices
        is_open = self.receivables._is_open
        return not any(  # invoices of free goods are not open items: nothing to settle
            is_open(i)
            for i in self._invoices_of.get(order_id, ())
            if (doc := invoices[i]).kind is not _CREDIT_NOTE and doc.grand_total.amount
        )

    def _close_paid(self, customer_id: str, now: datetime) -> list[Event]:
        """Invoiced orders of the customer whose invoices are all settled are closed."""
        events: list[Event] = []
        for order_id in self.customers.get(customer_id).order_ids:  # type: ignore[attr-defined]
            order = self._orders[order_id]
            if order.state is not OrderState.INVOICED:
                continue
            if self._is_settled(order_id):
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

    def _reopen_unpaid(self, reopened: Sequence[Application], now: datetime) -> list[Event]:
        """Closed orders with an invoice the reversal re-opened go back to invoiced (each
        order once, in the order of the reversal's applications); they close again by the
        usual path once their invoices are settled."""
        events: list[Event] = []
        seen: set[str] = set()
        for a in reopened:
            invoice = None if a.invoice_id is None else self._invoices.get(a.invoice_id)
            order_id = None if invoice is None else invoice.order_id
            if order_id is None or order_id in seen:
                continue  # a refund item, or an invoice booked on hub.receivables directly
            seen.add(order_id)
            order = self._orders[order_id]
            if order.state is OrderState.CLOSED and not self._is_settled(order_id):
                self._orders[order_id] = order._reopened()
                events.append(
                    OrderStateChanged(
                        occurred_at=now,
                        order_id=order_id,
                        from_state=OrderState.CLOSED.value,
                        to_state=OrderState.INVOICED.value,
                    )
                )
        return events

    def reverse_payment(self, reference: str, *, reason: str) -> tuple[Event, ...]:
        """A payment bounced: its applications are undone and the items re-open; the
        journal mirrors it. A closed order with an invoice re-opened goes back to invoiced
        (an :class:`~orderhub.events.OrderStateChanged` each), and closes again once paid.
        Reversing twice changes nothing.

        Raises:
            UnknownPayment: no payment has this reference.
            ValidationError: ``reason`` is empty, or the payment was received after today.
        """
        now = self._now()
        on = now.date()
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
        return self._record(self._reopen_unpaid(result.reopened, now))

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
