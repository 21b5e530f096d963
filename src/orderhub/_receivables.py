"""The receivables ledger: open items, payments and credit, aging, statements and DSO.

Everything is kept per *account*, the pair (customer id, currency): a customer who buys in
two currencies has two accounts, and no amount of one currency is ever netted against
another. Internally every amount is an integer number of the currency's minor units, so
the arithmetic is exact and fast; the values handed out carry :class:`~orderhub.Money`.

**What reduces which open item** (the rules, in one place):

- An invoice is one open item, or one per instalment (``instalments`` must sum exactly to
  the invoice amount). When the account holds unapplied credit as the invoice arrives, that
  credit is applied to the new invoice at once, its earliest-due instalment first, the
  oldest credit first (credit is used in the order it was recorded).
- A credit note naming an invoice reduces that invoice's open items **latest-due instalment
  first** (the instalment with the highest number first on a tie), so the instalments the
  customer must pay soonest stay as agreed; whatever exceeds what is open on the invoice,
  and a credit note naming no invoice, becomes unapplied credit on the account. A credit
  note never touches another invoice by itself.
- A payment goes to the invoices it names, in the order given (each invoice's instalments
  earliest due first), or, when it names none, to the account's open items **oldest due
  first** (due date, then document id, then instalment). What is left over stays on the
  account as unapplied cash. A named invoice that is already settled is not an error: the
  payment's share simply stays unapplied.
- Early-payment discount: when credit from a *payment* is applied on or before the item's
  ``discount_until`` and, with the discount, settles the item, the discount closes the
  rest (an :attr:`EntryKind.DISCOUNT`, not a write-off). The discount given with the
  invoice (spread over its instalments) shrinks in proportion to what credit notes took
  off the item (rounded half up to the minor unit), is allowed once at most, and never
  exceeds what is open. Credit from a credit note never earns a discount.
- :meth:`Receivables.apply_unapplied` applies the unapplied credit (cash and credit notes,
  oldest first) to the open items oldest due first.
- A write-off closes everything open on an invoice; a refund pays unapplied credit back
  (oldest credit first).
- Reversing a (bounced) payment undoes every application of it — including those made
  later from its unapplied cash — re-opening the items by what it applied plus the
  discounts it earned; removes what is left of its cash from the account; and the part of
  it that had been refunded becomes an open item of kind :attr:`ItemKind.REFUND` (the
  customer owes that money again), due on the reversal date. Reversing twice is harmless.
  A refund item is settled like any other by payments that name no invoice and by
  :meth:`Receivables.apply_unapplied`; it cannot be named by a payment or written off.

**Invariants**, per account, after every command:

- balance = invoiced − credited − paid − written off − discounts + reversed + refunded
  (the terms of :class:`AccountTotals`), and
- balance = Σ open items − unapplied credit, where unapplied credit (cash and credit notes)
  is never negative and no open item is ever negative;
- the buckets of any :meth:`Receivables.aging` partition Σ open items exactly.

Every command validates all of its input before it changes anything; an error leaves the
ledger exactly as it was. The ledger reads no clock: each command takes the day it happens.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from orderhub._money import Money
from orderhub._receivables_core import LedgerCore
from orderhub._receivables_index import (
    bucket_bounds,
)
from orderhub._receivables_queries import aging_sums, dso, invoice_request
from orderhub._receivables_state import (
    REFUND_SEQ,
    Applied,
    InvoiceRecord,
    ItemState,
    RefundRecord,
    Source,
    application_view,
    applications_view,
    check_currency,
    check_day,
    check_text,
    due_order,
    item_view,
    money_units,
    portion,
    receivable_view,
    spread,
    statement_lines,
    view_money,
)
from orderhub._receivables_values import (
    DEFAULT_BUCKETS,
    AccountTotals,
    Aging,
    AgingBasis,
    AgingBucket,
    Application,
    CreditKind,
    CreditNoteApplication,
    EntryKind,
    ItemKind,
    OpenItem,
    PaymentApplication,
    PaymentReversal,
    Receivable,
    Refund,
    RefundShare,
    Statement,
    StatementLine,
    UnknownInvoice,
    UnknownPayment,
    WriteOff,
)
from orderhub.errors import (
    DuplicateId,
    IdempotencyConflict,
    InvalidMoney,
    UnknownCustomer,
    ValidationError,
)

__all__ = [
    "DEFAULT_BUCKETS",
    "AccountTotals",
    "Aging",
    "AgingBasis",
    "AgingBucket",
    "Application",
    "CreditKind",
    "CreditNoteApplication",
    "EntryKind",
    "ItemKind",
    "OpenItem",
    "PaymentApplication",
    "PaymentReversal",
    "Receivable",
    "Receivables",
    "Refund",
    "RefundShare",
    "Statement",
    "StatementLine",
    "UnknownInvoice",
    "UnknownPayment",
    "WriteOff",
]

# -- the ledger --------------------------------------------------------------------------------


class Receivables(LedgerCore):
    """Accounts receivable per (customer, currency); reached as ``hub.receivables``.

    See the module documentation for the rules of what reduces which open item and the
    invariants. Commands return values describing what they did; repeating a command with
    the same id and the same content returns the first answer and changes nothing, with a
    different content it raises (:class:`~orderhub.errors.DuplicateId` for invoices and
    credit notes, :class:`~orderhub.errors.IdempotencyConflict` for payments and refunds).

    Aging queries never scan the ledger: per currency, and per account once it has more
    than 64 open items, the open amounts are kept in Fenwick trees over due dates and
    invoice dates, so any bucket sum as of any day is a difference of two prefix sums (the
    few items of a smaller account are simply scanned). Each account keeps its open items
    in a sorted list by (due date, document id, instalment), so applying a payment costs a
    logarithmic step per item it touches, however many items are open.
    """

    def __repr__(self) -> str:
        return (
            f"<Receivables: {len(self._accounts)} accounts, {len(self._invoices)} invoices, "
            f"{len(self._payments)} payments>"
        )

    # -- commands: documents -------------------------------------------------------------

    def add_invoice(
        self,
        *,
        invoice_id: str,
        customer_id: str,
        number: str,
        currency: str,
        amount: Money,
        issued_on: date,
        due_on: date,
        discount: Money | None = None,
        discount_until: date | None = None,
        instalments: Sequence[tuple[Money, date]] = (),
    ) -> tuple[Application, ...]:
        """Book an invoice as one open item, or one per instalment (amount, due date).

        Instalments are numbered from 1 in the order given; their amounts must sum exactly
        to ``amount`` and each falls due between ``issued_on`` and ``due_on``. An
        early-payment ``discount`` (with ``discount_until``, between the issue and the due
        date) is spread over the instalments in proportion to their amounts. Unapplied
        credit on the account is applied to the new invoice at once: the applications made
        are returned (usually none; :meth:`item` shows the invoice as the ledger holds it).

        Raises:
            DuplicateId: the invoice id is taken by a different invoice (the same invoice
                again changes nothing).
            ValidationError: an amount, date or id breaks the rules above.
        """
        inv_id, request = invoice_request(
            invoice_id,
            customer_id,
            number,
            currency,
            amount,
            issued_on,
            due_on,
            discount,
            discount_until,
            instalments,
        )
        cust, cur, num, total, issued, due, disc, until, parts = request
        found = self._invoices.get(inv_id)
        if found is not None:
            if found.request != request:
                raise DuplicateId(
                    "invoice already booked with different content",
                    field="invoice_id",
                    value=inv_id,
                    entity_id=inv_id,
                )
            return found.result
        if parts:
            shares = spread(disc, [units for units, _ in parts], cur)
            plan = [
                (i, d, units, share)
                for i, ((units, d), share) in enumerate(zip(parts, shares, strict=True))
            ]
        else:
            plan = [(0, due, total, disc)]

        acct = self._account(cust, cur)
        inv = InvoiceRecord(inv_id, acct, num, request)
        self._invoices[inv_id] = inv
        for seq, item_due, units, share in plan:
            item = ItemState(acct, inv, inv_id, seq, item_due, issued, units, share, until)
            inv.items.append(item)
            self._items[(inv_id, seq)] = item
            self._shift(item, units)
        acct.invoiced += total
        acct.book.sales.add(issued, total)
        self._journal(acct, issued, EntryKind.INVOICE, inv_id, total, inv_id)
        if acct.credits:
            made: list[tuple[Source, Applied]] = []
            for item in sorted(inv.items, key=due_order):
                self._apply_credits(acct, item, issued, made)
                if not acct.credits:
                    break
            inv.result = tuple(application_view(src, entry) for src, entry in made)
        return inv.result

    def add_credit_note(
        self,
        *,
        credit_note_id: str,
        customer_id: str,
        invoice_id: str | None,
        currency: str,
        amount: Money,
        issued_on: date,
    ) -> CreditNoteApplication:
        """Book a credit note: it reduces the named invoice's open items, latest-due
        instalment first; the rest (all of it, when no invoice is named) becomes unapplied
        credit on the customer's account.

        Raises:
            DuplicateId: the id is taken by a different credit note.
            UnknownInvoice: the named invoice is not in the ledger.
            ValidationError: the invoice belongs to another customer, or bad input.
        """
        cn_id = check_text(credit_note_id, "credit_note_id")
        cust = check_text(customer_id, "customer_id", cn_id)
        cur = check_currency(currency)
        units = money_units(amount, "amount", cur, entity_id=cn_id)
        issued = check_day(issued_on, "issued_on", cn_id).toordinal()
        inv = None
        if invoice_id is not None:
            inv = self._invoice(check_text(invoice_id, "invoice_id", cn_id))
            self._check_owner(inv, cust, cur, "invoice_id", cn_id)
        request = (cust, invoice_id, cur, units, issued)
        found = self._credit_notes.get(cn_id)
        if found is not None:
            if found.request != request:
                raise DuplicateId(
                    "credit note already booked with different content",
                    field="credit_note_id",
                    value=cn_id,
                    entity_id=cn_id,
                )
            assert isinstance(found.result, CreditNoteApplication)
            return found.result

        acct = self._account(cust, cur)
        src = Source(CreditKind.CREDIT_NOTE, cn_id, acct, units, issued, request)
        self._credit_notes[cn_id] = src
        acct.credited += units
        self._journal(acct, issued, EntryKind.CREDIT_NOTE, cn_id, -units, invoice_id)
        rest = units
        if inv is not None:
            for item in sorted(inv.items, key=due_order, reverse=True):
                take = min(rest, item.open)
                if take:
                    self._apply(src, item, take, 0, issued)
                    rest -= take
        if rest:
            self._add_credit(acct, src, rest)
        result = CreditNoteApplication(
            credit_note_id=cn_id,
            customer_id=cust,
            invoice_id=invoice_id,
            amount=amount,
            issued_on=issued_on,
            applications=applications_view(src),
            unapplied=view_money(rest, cur),
        )
        src.result = result
        return result

    # -- commands: cash ------------------------------------------------------------------

    def record_payment(
        self,
        *,
        payment_id: str,
        customer_id: str,
        amount: Money,
        received_on: date,
        invoices: Sequence[str] = (),
    ) -> PaymentApplication:
        """Apply a payment to the named invoices in the order given, or oldest due first.

        ``payment_id`` is the payment reference and the idempotency key. Each item gets what
        is left of the payment up to its open amount (less the early-payment discount when
        the payment is on time and settles it); what is left over is unapplied cash on the
        account, applied to invoices added later or by :meth:`apply_unapplied`.

        Raises:
            IdempotencyConflict: the reference was used for a different payment (the same
                payment again returns the first answer and changes nothing).
            UnknownInvoice: a named invoice is not in the ledger.
            ValidationError: a named invoice belongs to another customer or is named twice,
                or bad input.
        """
        pay_id = check_text(payment_id, "payment_id")
        cust = check_text(customer_id, "customer_id", pay_id)
        if not isinstance(amount, Money):
            raise InvalidMoney("must be Money", field="amount", value=amount, entity_id=pay_id)
        cur = amount.currency
        units = money_units(amount, "amount", cur, entity_id=pay_id)
        received = check_day(received_on, "received_on", pay_id).toordinal()
        if isinstance(invoices, (str, bytes)) or not isinstance(invoices, Sequence):
            raise ValidationError(
                "must be a sequence of invoice ids", field="invoices", value=invoices
            )
        named: list[InvoiceRecord] = []
        for i, name in enumerate(invoices):
            field = f"invoices[{i}]"
            inv = self._invoice(check_text(name, field, pay_id), field)
            self._check_owner(inv, cust, cur, field, pay_id)
            if inv in named:
                raise ValidationError(
                    "invoice named twice", field=field, value=name, entity_id=pay_id
                )
            named.append(inv)
        request = (cust, cur, units, received, tuple(invoices))
        found = self._payments.get(pay_id)
        if found is not None:
            if found.request != request:
                raise IdempotencyConflict(
                    "payment reference already used for a different payment",
                    field="payment_id",
                    value=pay_id,
                    entity_id=pay_id,
                )
            assert isinstance(found.result, PaymentApplication)
            return found.result

        acct = self._account(cust, cur)
        src = Source(CreditKind.PAYMENT, pay_id, acct, units, received, request)
        self._payments[pay_id] = src
        acct.paid += units
        self._journal(acct, received, EntryKind.PAYMENT, pay_id, -units)
        rest = units
        if named:
            for inv in named:
                for item in sorted(inv.items, key=due_order):
                    if not rest:
                        break
                    if item.open:
                        applied, disc = portion(item, rest, received)
                        self._apply(src, item, applied, disc, received)
                        rest -= applied
        else:
            while rest and acct.open:  # read afresh: applying may replace the list
                item = acct.open[0]
                applied, disc = portion(item, rest, received)
                self._apply(src, item, applied, disc, received)
                rest -= applied
        if rest:
            self._add_credit(acct, src, rest)
        result = PaymentApplication(
            payment_id=pay_id,
            customer_id=cust,
            amount=amount,
            received_on=received_on,
            applications=applications_view(src),
            unapplied=view_money(rest, cur),
        )
        src.result = result
        return result

    def apply_unapplied(
        self, customer_id: str, on: date, *, currency: str | None = None
    ) -> tuple[Application, ...]:
        """Apply the customer's unapplied credit (oldest first) to their open items, oldest
        due first, in ``currency`` or in every currency they have. Returns the applications.

        Raises:
            UnknownCustomer: the ledger has never seen the customer.
        """
        cust = check_text(customer_id, "customer_id")
        day = check_day(on, "on", cust).toordinal()
        accounts = self._by_customer.get(cust)
        if accounts is None:
            raise UnknownCustomer(
                "no receivables for this customer", field="customer_id", value=cust
            )
        if currency is None:
            chosen = [accounts[c] for c in sorted(accounts)]
        else:
            found = accounts.get(check_currency(currency))
            chosen = [] if found is None else [found]

        made: list[tuple[Source, Applied]] = []
        for acct in chosen:
            while acct.credits and acct.open:  # read afresh: applying may replace the list
                self._apply_credits(acct, acct.open[0], day, made)
        return tuple(application_view(src, entry) for src, entry in made)

    def write_off(
        self, invoice_id: str, *, on: date, reason: str, max_amount: Money | None = None
    ) -> WriteOff:
        """Write off everything still open on an invoice (all its instalments).

        Raises:
            UnknownInvoice: the invoice is not in the ledger.
            ValidationError: nothing is open, the remainder exceeds ``max_amount``, ``on``
                is before the invoice date, or bad input.
        """
        inv = self._invoice(check_text(invoice_id, "invoice_id"))
        day = check_day(on, "on", inv.id).toordinal()
        why = check_text(reason, "reason", inv.id)
        acct = inv.account
        cur = acct.currency
        limit = (
            None if max_amount is None else money_units(max_amount, "max_amount", cur, zero=True)
        )
        if day < inv.items[0].issued:
            raise ValidationError(
                "must not be before the invoice date", field="on", value=on, entity_id=inv.id
            )
        remainder = sum(item.open for item in inv.items)
        if not remainder:
            raise ValidationError(
                "nothing open to write off", field="invoice_id", value=inv.id, entity_id=inv.id
            )
        if limit is not None and remainder > limit:
            raise ValidationError(
                f"the open remainder {Money.from_minor(remainder, cur)} exceeds max_amount",
                field="max_amount",
                value=str(max_amount),
                entity_id=inv.id,
            )

        for item in inv.items:
            left = item.open
            if left:
                item.written_off += left
                self._shift(item, -left)
        acct.written_off += remainder
        self._journal(acct, day, EntryKind.WRITE_OFF, inv.id, -remainder, inv.id, why)
        result = WriteOff(
            invoice_id=inv.id,
            customer_id=acct.customer_id,
            amount=Money.from_minor(remainder, cur),
            on=on,
            reason=why,
        )
        if not isinstance(inv.write_offs, list):
            inv.write_offs = []
        inv.write_offs.append(result)
        return result

    def reverse_payment(self, payment_id: str, *, on: date, reason: str) -> PaymentReversal:
        """Undo a bounced payment: every application of it is undone (items re-open by what
        it applied and the discounts it earned), its unapplied cash leaves the account, and
        what of it was refunded becomes an open refund item due ``on``.

        Reversing a reversed payment returns the first reversal and changes nothing.

        Raises:
            UnknownPayment: the payment is not in the ledger.
            ValidationError: ``on`` is before the payment was received, or bad input.
        """
        src = self._payment(check_text(payment_id, "payment_id"))
        if src.reversal is not None:
            return src.reversal
        day = check_day(on, "on", src.id).toordinal()
        why = check_text(reason, "reason", src.id)
        if day < src.on:
            raise ValidationError(
                "must not be before the payment was received",
                field="on",
                value=on,
                entity_id=src.id,
            )

        acct = src.account
        cur = acct.currency
        undone = applications_view(src)
        discounts = 0
        for item, applied, disc, _ in src.applications:
            item.paid -= applied
            item.discounted -= disc
            discounts += disc
            self._shift(item, applied + disc)
        left = acct.credits.pop(src, 0)
        acct.unapplied_total -= left
        acct.book.unapplied_total -= left
        refunded = 0
        for refund, share in src.refunds:
            refunded += share
            key = (refund.reference, REFUND_SEQ)
            owed = self._items.get(key)
            if owed is None:
                owed = ItemState(acct, None, key[0], REFUND_SEQ, day, day, 0, 0, 0)
                self._items[key] = owed
            owed.amount += share
            self._shift(owed, share)
        acct.reversed += src.amount + discounts
        self._journal(acct, day, EntryKind.REVERSAL, src.id, src.amount + discounts, None, why)
        result = PaymentReversal(
            payment_id=src.id,
            customer_id=acct.customer_id,
            amount=Money.from_minor(src.amount, cur),
            discounts=Money.from_minor(discounts, cur),
            on=on,
            reason=why,
            reopened=undone,
            unapplied_removed=Money.from_minor(left, cur),
            refund_reopened=Money.from_minor(refunded, cur),
        )
        src.reversal = result
        return result

    def refund(self, customer_id: str, amount: Money, *, on: date, reference: str) -> Refund:
        """Pay unapplied credit back to the customer (oldest credit first).

        ``reference`` is the idempotency key.

        Raises:
            IdempotencyConflict: the reference was used for a different refund.
            ValidationError: more than the account's unapplied credit, or bad input.
        """
        ref = check_text(reference, "reference")
        cust = check_text(customer_id, "customer_id", ref)
        if not isinstance(amount, Money):
            raise InvalidMoney("must be Money", field="amount", value=amount, entity_id=ref)
        cur = amount.currency
        units = money_units(amount, "amount", cur, entity_id=ref)
        day = check_day(on, "on", ref).toordinal()
        request = (cust, cur, units, day)
        found = self._refunds.get(ref)
        if found is not None:
            if found.request != request:
                raise IdempotencyConflict(
                    "refund reference already used for a different refund",
                    field="reference",
                    value=ref,
                    entity_id=ref,
                )
            assert found.result is not None
            return found.result
        acct = self._accounts.get((cust, cur))
        available = 0 if acct is None else acct.unapplied_total
        if units > available:
            raise ValidationError(
                f"only {Money.from_minor(available, cur)} of unapplied credit to refund",
                field="amount",
                value=str(amount),
                entity_id=ref,
            )
        assert acct is not None

        refund = RefundRecord(acct, ref, request)
        self._refunds[ref] = refund
        shares = []
        rest = units
        while rest:
            src, held = next(iter(acct.credits.items()))
            take = min(rest, held)
            self._take_credit(acct, src, take)
            if not isinstance(src.refunds, list):
                src.refunds = []
            src.refunds.append((refund, take))
            shares.append(
                RefundShare(
                    source_kind=src.kind, source_id=src.id, amount=Money.from_minor(take, cur)
                )
            )
            rest -= take
        acct.refunded += units
        self._journal(acct, day, EntryKind.REFUND, ref, units)
        refund.result = Refund(
            reference=ref, customer_id=cust, amount=amount, on=on, shares=tuple(shares)
        )
        return refund.result

    # -- queries: accounts ---------------------------------------------------------------

    def customers(self) -> tuple[str, ...]:
        """Every customer with an account, sorted."""
        return tuple(sorted(self._by_customer))

    def currencies(self, customer_id: str) -> tuple[str, ...]:
        """The currencies the customer has accounts in, sorted (empty if none)."""
        return tuple(sorted(self._by_customer.get(check_text(customer_id, "customer_id"), ())))

    def balance(self, customer_id: str, currency: str | None = None) -> Money:
        """What the customer owes in ``currency``: Σ open items − unapplied credit.

        ``currency`` may be left out when the customer has exactly one. A customer never
        seen owes zero in a named currency.
        """
        acct, cur = self._find(customer_id, currency)
        units = 0 if acct is None else acct.open_total - acct.unapplied_total
        return Money.from_minor(units, cur)

    def unapplied(self, customer_id: str, currency: str | None = None) -> Money:
        """The customer's credit on account: unapplied cash plus unapplied credit notes."""
        acct, cur = self._find(customer_id, currency)
        return Money.from_minor(0 if acct is None else acct.unapplied_total, cur)

    def totals(self, customer_id: str, currency: str | None = None) -> AccountTotals:
        """The running totals of each balance term for the customer's account."""
        acct, cur = self._find(customer_id, currency)

        def m(attr: str) -> Money:
            return Money.from_minor(0 if acct is None else getattr(acct, attr), cur)

        return AccountTotals(
            customer_id=customer_id,
            currency=cur,
            invoiced=m("invoiced"),
            credited=m("credited"),
            paid=m("paid"),
            written_off=m("written_off"),
            discounts=m("discounts"),
            reversed=m("reversed"),
            refunded=m("refunded"),
        )

    # -- queries: items and documents ----------------------------------------------------

    def open_items(
        self, customer_id: str | None = None, currency: str | None = None
    ) -> tuple[OpenItem, ...]:
        """The open items (open > 0), per account in (due date, document, instalment) order;
        accounts by customer then currency. Filter by customer and/or currency."""
        cust = None if customer_id is None else check_text(customer_id, "customer_id")
        cur = None if currency is None else check_currency(currency)
        if cust is not None:
            mine = self._by_customer.get(cust, {})
            keys = [(cust, c) for c in sorted(mine)]
        else:
            keys = sorted(self._accounts)
        out: list[OpenItem] = []
        for key in keys:
            if cur is None or key[1] == cur:
                out.extend(item_view(item) for item in self._accounts[key].open)
        return tuple(out)

    def item(self, invoice_id: str) -> Receivable:
        """The invoice as the ledger sees it, with its items.

        Raises:
            UnknownInvoice: the invoice is not in the ledger.
        """
        return receivable_view(self._invoice(check_text(invoice_id, "invoice_id")))

    def _is_open(self, invoice_id: str) -> bool:
        """``item(invoice_id).is_open``, without building the view (for the hub)."""
        inv = self._invoices.get(invoice_id)
        if inv is None:
            return self.item(invoice_id).is_open  # raises what item() raises
        return sum(item.open for item in inv.items) != 0

    def write_offs(self, invoice_id: str) -> tuple[WriteOff, ...]:
        """The write-offs of an invoice, in the order they were made."""
        return tuple(self._invoice(check_text(invoice_id, "invoice_id")).write_offs)

    def payment(self, payment_id: str) -> PaymentApplication:
        """What the payment did when it was recorded.

        Raises:
            UnknownPayment: the payment is not in the ledger.
        """
        result = self._payment(check_text(payment_id, "payment_id")).result
        assert isinstance(result, PaymentApplication)
        return result

    def reversal(self, payment_id: str) -> PaymentReversal | None:
        """The reversal of the payment, or None while it stands."""
        return self._payment(check_text(payment_id, "payment_id")).reversal

    # -- queries: aging, statement, DSO --------------------------------------------------

    def aging(
        self,
        as_of: date,
        *,
        by: AgingBasis = "due",
        buckets: Sequence[int] = DEFAULT_BUCKETS,
        customer_id: str | None = None,
        currency: str | None = None,
    ) -> Aging:
        """The open items by age as of ``as_of``, per customer or over the whole ledger.

        ``buckets`` are inclusive upper bounds in days (default: current, 1–30, 31–60,
        61–90, 91–120, over 120); an item ``n`` days past due (``by="due"``) or ``n``
        days after its invoice date (``by="invoice"``) falls in the first bucket whose
        bound is ≥ ``n``, or in the last. It ages the items open now — the ledger after
        every command recorded — as seen on ``as_of``; it does not rebuild the ledger as it
        stood on that day. ``currency`` may be left out when there is only one.

        Cost: ``len(buckets)`` Fenwick prefix queries of O(log days) steps, overall and
        for a customer with many open items; a customer with few (64 or fewer, until it
        first has more) is scanned.
        """
        day = check_day(as_of, "as_of").toordinal()
        if by not in ("due", "invoice"):
            raise ValidationError('must be "due" or "invoice"', field="by", value=by)
        bounds = DEFAULT_BUCKETS if buckets is DEFAULT_BUCKETS else bucket_bounds(buckets)
        cur, sums, total, unapplied = aging_sums(
            self, day, by == "due", bounds, customer_id, currency
        )
        return Aging(
            as_of=as_of,
            by=by,
            currency=cur,
            customer_id=customer_id,
            bounds=bounds,
            amounts=tuple(Money.from_minor(units, cur) for units in sums),
            total=Money.from_minor(total, cur),
            unapplied=Money.from_minor(unapplied, cur),
        )

    def statement(
        self, customer_id: str, currency: str | None, start: date, end: date
    ) -> Statement:
        """The customer's statement for ``start`` … ``end`` (both included).

        Opening balance: every document dated before ``start``; then each document of the
        period (invoices, credit notes, payments, discounts, write-offs, reversals and
        refunds) in date order with the running balance; closing balance at the end.
        """
        acct, cur = self._find(customer_id, currency)
        first = check_day(start, "start").toordinal()
        last = check_day(end, "end").toordinal()
        if last < first:
            raise ValidationError("must not be before start", field="end", value=end)
        opening, lines, closing = statement_lines(
            [] if acct is None else acct.journal, cur, first, last
        )
        return Statement(
            customer_id=customer_id,
            currency=cur,
            start=start,
            end=end,
            opening=opening,
            lines=lines,
            closing=closing,
        )

    def dso(self, as_of: date, *, days: int = 90, currency: str | None = None) -> Decimal | None:
        """Days sales outstanding over the whole ledger, in days, rounded half up to 0.01.

        DSO = open receivables / credit sales × ``days``, where open receivables are Σ open
        items now (the aging total; unapplied credit is not netted) and credit sales are
        the amounts of the invoices dated in the ``days`` days ending on ``as_of``
        (``as_of − days`` < invoice date ≤ ``as_of``), before any credit note. None when
        there were no sales in that window.
        """
        return dso(self, as_of, days, currency)
