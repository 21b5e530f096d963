"""The receivables ledger's state and the primitives every command is built from.

Private to :mod:`orderhub._receivables`: :class:`LedgerCore` holds the records and indexes
and knows how to move an item's open amount (bringing every index along), apply credit to
an item, keep credit on account and write the journal. :class:`~orderhub._receivables.
Receivables` adds the public commands and queries on top.
"""

from __future__ import annotations

from typing import Final

from sortedcontainers import SortedKeyList

from orderhub._receivables_index import DayTree
from orderhub._receivables_state import (
    Account,
    Applied,
    Book,
    InvoiceRecord,
    ItemState,
    RefundRecord,
    Source,
    check_currency,
    check_text,
    open_order,
    portion,
)
from orderhub._receivables_values import CreditKind, EntryKind, UnknownInvoice, UnknownPayment
from orderhub.errors import CurrencyMismatch, UnknownCustomer, ValidationError

__all__ = ["LedgerCore"]


class LedgerCore:
    """The records and indexes of a receivables ledger, and the primitives that change them.

    Every primitive keeps the invariants that tie the indexes to the records: an account's
    ``open`` list holds exactly its items with an open amount, the trees (per currency, and
    per large account) hold exactly the open amounts by due and by invoice date, and the
    open and unapplied totals are the sums of what they total.
    """

    _PROMOTE_AT: Final = 64

    def __init__(self) -> None:
        self._books: dict[str, Book] = {}
        self._accounts: dict[tuple[str, str], Account] = {}
        self._by_customer: dict[str, dict[str, Account]] = {}
        self._invoices: dict[str, InvoiceRecord] = {}
        self._items: dict[tuple[str, int], ItemState] = {}  # (document id, seq)
        self._payments: dict[str, Source] = {}
        self._credit_notes: dict[str, Source] = {}
        self._refunds: dict[str, RefundRecord] = {}
        self._seq = 0
        self._promote_at = self._PROMOTE_AT

    # -- internals: look-ups -------------------------------------------------------------

    def _invoice(self, invoice_id: str, field: str = "invoice_id") -> InvoiceRecord:
        inv = self._invoices.get(invoice_id)
        if inv is None:
            raise UnknownInvoice("no such invoice", field=field, value=invoice_id)
        return inv

    def _payment(self, payment_id: str) -> Source:
        src = self._payments.get(payment_id)
        if src is None:
            raise UnknownPayment("no such payment", field="payment_id", value=payment_id)
        return src

    @staticmethod
    def _check_owner(
        inv: InvoiceRecord, customer_id: str, currency: str, field: str, eid: str
    ) -> None:
        acct = inv.account
        if acct.customer_id != customer_id:
            raise ValidationError(
                f"invoice belongs to customer {acct.customer_id!r}",
                field=field,
                value=inv.id,
                entity_id=eid,
            )
        if acct.currency != currency:
            raise CurrencyMismatch(
                f"invoice is in {acct.currency}, not {currency}",
                field=field,
                value=inv.id,
                entity_id=eid,
            )

    def _find(self, customer_id: object, currency: object) -> tuple[Account | None, str]:
        cust = check_text(customer_id, "customer_id")
        accounts = self._by_customer.get(cust)
        if currency is not None:
            cur = check_currency(currency)
            return (None if accounts is None else accounts.get(cur)), cur
        if accounts is None:
            raise UnknownCustomer(
                "no receivables for this customer; name a currency",
                field="customer_id",
                value=cust,
            )
        if len(accounts) > 1:
            raise ValidationError(
                f"customer has accounts in {', '.join(sorted(accounts))}; name one",
                field="currency",
                value=None,
                entity_id=cust,
            )
        ((cur, acct),) = accounts.items()
        return acct, cur

    def _ledger_currency(self, currency: object) -> str:
        if currency is not None:
            return check_currency(currency)
        if len(self._books) == 1:
            return next(iter(self._books))
        held = ", ".join(sorted(self._books)) or "none"
        raise ValidationError(
            f"the ledger holds currencies: {held}; name one", field="currency", value=None
        )

    def _account(self, customer_id: str, currency: str) -> Account:
        acct = self._accounts.get((customer_id, currency))
        if acct is None:
            book = self._books.get(currency)
            if book is None:
                book = self._books[currency] = Book()
            acct = self._accounts[(customer_id, currency)] = Account(customer_id, currency, book)
            self._by_customer.setdefault(customer_id, {})[currency] = acct
        return acct

    # -- internals: changes --------------------------------------------------------------

    def _shift(self, item: ItemState, delta: int) -> None:
        """Move an item's open amount by ``delta`` and bring every index along."""
        old = item.open
        new = old + delta
        item.open = new
        acct = item.account
        book = acct.book
        acct.open_total += delta
        book.open_total += delta
        book.by_due.add(item.due, delta)
        book.by_issue.add(item.issued, delta)
        if acct.by_due is not None:
            acct.by_due.add(item.due, delta)
            assert acct.by_issue is not None
            acct.by_issue.add(item.issued, delta)
        if not old:
            items = acct.open
            if not items:
                acct.open = (item,)
            elif items.__class__ is tuple:
                acct.open = SortedKeyList((*items, item), key=open_order)
            else:
                items.add(item)
            if acct.by_due is None and len(acct.open) > self._promote_at:
                self._promote(acct)
        elif not new:
            items = acct.open
            if items.__class__ is tuple:
                acct.open = tuple(i for i in items if i is not item)
            else:
                items.remove(item)
                if not items:
                    acct.open = ()

    def _promote(self, acct: Account) -> None:
        # The account has grown large: give it aging trees of its own.
        by_due, by_issue = DayTree(compact=True), DayTree(compact=True)
        for item in acct.open:
            by_due.add(item.due, item.open)
            by_issue.add(item.issued, item.open)
        acct.by_due, acct.by_issue = by_due, by_issue

    def _apply(self, src: Source, item: ItemState, applied: int, disc: int, day: int) -> Applied:
        if src.kind is CreditKind.PAYMENT:
            item.paid += applied
        else:
            item.credited += applied
        if disc:
            item.discounted += disc
            item.account.discounts += disc
            inv_id = item.doc if item.invoice is not None else None
            self._journal(item.account, day, EntryKind.DISCOUNT, src.id, -disc, inv_id)
        entry = (item, applied, disc, day)
        src.applications.append(entry)
        self._shift(item, -(applied + disc))
        return entry

    def _apply_credits(
        self,
        acct: Account,
        item: ItemState,
        day: int,
        made: list[tuple[Source, Applied]] | None,
    ) -> None:
        """Apply the account's credit, oldest first, to ``item`` until it or the credit is
        used up; note each application in ``made``."""
        credits = acct.credits
        while credits and item.open:
            src, held = next(iter(credits.items()))
            if src.kind is CreditKind.PAYMENT:
                applied, disc = portion(item, held, day)
            else:
                applied, disc = min(held, item.open), 0
            self._take_credit(acct, src, applied)
            entry = self._apply(src, item, applied, disc, day)
            if made is not None:
                made.append((src, entry))

    def _add_credit(self, acct: Account, src: Source, units: int) -> None:
        acct.credits[src] = units
        acct.unapplied_total += units
        acct.book.unapplied_total += units

    def _take_credit(self, acct: Account, src: Source, units: int) -> None:
        left = acct.credits[src] - units
        if left:
            acct.credits[src] = left
        else:
            del acct.credits[src]
        acct.unapplied_total -= units
        acct.book.unapplied_total -= units

    def _journal(
        self,
        acct: Account,
        day: int,
        kind: EntryKind,
        reference: str,
        units: int,
        invoice_id: str | None = None,
        memo: str | None = None,
    ) -> None:
        self._seq += 1
        acct.journal.append((day, self._seq, kind, reference, units, invoice_id, memo))
