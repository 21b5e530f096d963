"""Strategies of documents a real receivables ledger made: applications, write-offs,
reversals, refunds, open items, statements and agings.

Private: import them from :mod:`orderhub.testing.strategies`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import Any, TypeVar

import attrs
from hypothesis import strategies as st

from orderhub._currencies import MINOR_UNITS
from orderhub._money import Money
from orderhub._receivables import (
    DEFAULT_BUCKETS,
    AccountTotals,
    Aging,
    AgingBucket,
    Application,
    CreditNoteApplication,
    OpenItem,
    PaymentApplication,
    PaymentReversal,
    Receivable,
    Receivables,
    Refund,
    RefundShare,
    Statement,
    StatementLine,
    WriteOff,
)
from orderhub.testing._st_policies import payment_terms
from orderhub.testing._st_values import _codes, _optional, _tokens, texts

T = TypeVar("T")


# -- receivables: documents a real ledger made -----------------------------------------------


@attrs.define
class _Ledger:
    """A receivables ledger after a drawn run of commands, and what they returned."""

    book: Receivables
    currency: str
    customer: str
    start: date
    day: date
    payments: list[PaymentApplication] = attrs.Factory(list)
    credit_notes: list[CreditNoteApplication] = attrs.Factory(list)
    write_offs: list[WriteOff] = attrs.Factory(list)
    reversals: list[PaymentReversal] = attrs.Factory(list)
    refunds: list[Refund] = attrs.Factory(list)
    applications: list[Application] = attrs.Factory(list)
    invoices: list[str] = attrs.Factory(list)


def _book_invoice(
    draw: st.DrawFn, ledger: _Ledger, customer: str, *, min_units: int, max_units: int
) -> str:
    terms = draw(payment_terms(max_days=90))
    amount = Money.from_minor(draw(st.integers(min_units, max_units)), ledger.currency)
    parts = terms.instalment_amounts(amount) if terms.instalments else ()
    if any(m.is_zero for m, _ in parts):
        parts = ()  # too small to split: one item
    discount = terms.discount(amount)
    offered = not discount.is_zero and discount < amount
    invoice_id = f"invoice-{len(ledger.invoices) + 1}"
    day = ledger.day
    ledger.applications.extend(
        ledger.book.add_invoice(
            invoice_id=invoice_id,
            customer_id=customer,
            number=f"N-{len(ledger.invoices) + 1:05d}",
            currency=ledger.currency,
            amount=amount,
            issued_on=day,
            due_on=terms.due_on(day),
            discount=discount if offered else None,
            discount_until=terms.discount_until(day) if offered else None,
            instalments=[(m, day + timedelta(days=d)) for m, d in parts],
        )
    )
    ledger.invoices.append(invoice_id)
    return invoice_id


def _pay(ledger: _Ledger, customer: str, units: int, invoices: Sequence[str] = ()) -> str:
    payment_id = f"payment-{len(ledger.payments) + 1}"
    result = ledger.book.record_payment(
        payment_id=payment_id,
        customer_id=customer,
        amount=Money.from_minor(units, ledger.currency),
        received_on=ledger.day,
        invoices=invoices,
    )
    ledger.payments.append(result)
    ledger.applications.extend(result.applications)
    return payment_id


def _credit(ledger: _Ledger, customer: str, units: int, invoice_id: str | None) -> None:
    result = ledger.book.add_credit_note(
        credit_note_id=f"credit-note-{len(ledger.credit_notes) + 1}",
        customer_id=customer,
        invoice_id=invoice_id,
        currency=ledger.currency,
        amount=Money.from_minor(units, ledger.currency),
        issued_on=ledger.day,
    )
    ledger.credit_notes.append(result)
    ledger.applications.extend(result.applications)


@st.composite
def _ledgers(
    draw: st.DrawFn,
    *,
    currency: str | st.SearchStrategy[str] | None = None,
    max_operations: int = 8,
    max_amount: int = 10**6,
    need_open: bool = False,
) -> _Ledger:
    code = draw(_codes(currency))
    scale = 10 ** MINOR_UNITS[code]
    most = max(3, max_amount * scale)
    start = draw(st.dates(date(2000, 1, 1), date(2090, 1, 1)))
    people = ["C" + p for p in draw(st.lists(_tokens(), min_size=1, max_size=3, unique=True))]
    ledger = _Ledger(Receivables(), code, people[0], start, start)
    book, who = ledger.book, people[0]

    def later(most_days: int = 20) -> None:
        ledger.day += timedelta(days=draw(st.integers(0, most_days)))

    # Every kind of document, for the first customer: an invoice credited in part, paid in
    # part after its due date (no discount), the rest written off; cash on account refunded
    # in part; then the payment bounces, re-opening the invoice.
    first = _book_invoice(draw, ledger, who, min_units=3, max_units=most)
    owed = book.item(first).open.minor_units
    _credit(ledger, who, draw(st.integers(1, owed - 2)), first)
    ledger.day = max(ledger.day, book.item(first).due_on) + timedelta(days=1)
    owed = book.item(first).open.minor_units
    bounced = _pay(ledger, who, draw(st.integers(1, owed - 1)), (first,))
    later()
    ledger.write_offs.append(book.write_off(first, on=ledger.day, reason=draw(texts(max_size=20))))
    cash = draw(st.integers(1, most))
    _pay(ledger, who, cash)
    later()
    ledger.refunds.append(
        book.refund(
            who,
            Money.from_minor(draw(st.integers(1, cash)), code),
            on=ledger.day,
            reference="refund-1",
        )
    )
    later()
    reversal = book.reverse_payment(bounced, on=ledger.day, reason=draw(texts(max_size=20)))
    ledger.reversals.append(reversal)

    for _ in range(draw(st.integers(0, max_operations))):
        later()
        customer = draw(st.sampled_from(people))
        open_ids = [
            i
            for i in ledger.invoices
            if book.item(i).is_open and book.item(i).customer_id == customer
        ]
        op = draw(st.sampled_from(_LEDGER_OPERATIONS))
        if op == "invoice" or (not open_ids and op in ("pay", "credit", "write_off")):
            _book_invoice(draw, ledger, customer, min_units=1, max_units=most)
        elif op == "pay":
            target = draw(st.sampled_from(open_ids))
            owed = book.item(target).open.minor_units
            units = draw(st.integers(1, owed + scale * 10))
            named = draw(st.booleans())
            _pay(ledger, customer, units, (target,) if named else ())
        elif op == "credit":
            named_id = draw(_optional(st.sampled_from(open_ids)))
            _credit(ledger, customer, draw(st.integers(1, most)), named_id)
        elif op == "write_off":
            target = draw(st.sampled_from(open_ids))
            ledger.write_offs.append(book.write_off(target, on=ledger.day, reason="remainder"))
        elif op == "apply" and customer in book.customers():
            ledger.applications.extend(book.apply_unapplied(customer, ledger.day))
        elif op == "refund" and customer in book.customers():
            credit = book.unapplied(customer, code).minor_units
            if credit:
                ledger.refunds.append(
                    book.refund(
                        customer,
                        Money.from_minor(draw(st.integers(1, credit)), code),
                        on=ledger.day,
                        reference=f"refund-{len(ledger.refunds) + 1}",
                    )
                )
        elif op == "bounce":
            standing = [
                p.payment_id for p in ledger.payments if book.reversal(p.payment_id) is None
            ]
            if standing:
                ledger.reversals.append(
                    book.reverse_payment(
                        draw(st.sampled_from(standing)), on=ledger.day, reason="bounced"
                    )
                )
    if need_open and not book.open_items():  # a new customer has no credit to apply
        later()
        _book_invoice(draw, ledger, "C-new", min_units=1, max_units=most)
    return ledger


_LEDGER_OPERATIONS = ("invoice", "pay", "pay", "credit", "write_off", "apply", "refund", "bounce")


def receivables(
    *, currency: str | st.SearchStrategy[str] | None = None, max_operations: int = 8
) -> st.SearchStrategy[Receivables]:
    """A :class:`~orderhub.Receivables` ledger after a drawn run of invoices (instalments,
    early-payment discounts), credit notes, payments (named, unnamed, partial, over),
    write-offs, applications of credit, refunds and bounced payments: its balance identity
    and aging always hold."""
    return _ledgers(currency=currency, max_operations=max_operations).map(lambda led: led.book)


def _from_ledger(found: Callable[[_Ledger], Sequence[T]], **kwargs: Any) -> st.SearchStrategy[T]:
    return _ledgers(**kwargs).flatmap(lambda led: st.sampled_from(list(found(led))))


def payment_applications(
    *, currency: str | st.SearchStrategy[str] | None = None
) -> st.SearchStrategy[PaymentApplication]:
    """What recording a payment did: its applications and the cash left unapplied."""
    return _from_ledger(lambda led: led.payments, currency=currency)


def credit_note_applications(
    *, currency: str | st.SearchStrategy[str] | None = None
) -> st.SearchStrategy[CreditNoteApplication]:
    """What booking a credit note did: the items it reduced and the credit left over."""
    return _from_ledger(lambda led: led.credit_notes, currency=currency)


def applications(
    *, currency: str | st.SearchStrategy[str] | None = None
) -> st.SearchStrategy[Application]:
    """Credit applied to one open item, from a payment or a credit note."""
    return _from_ledger(lambda led: led.applications, currency=currency)


def write_offs(
    *, currency: str | st.SearchStrategy[str] | None = None
) -> st.SearchStrategy[WriteOff]:
    """Remainders of invoices written off."""
    return _from_ledger(lambda led: led.write_offs, currency=currency)


def payment_reversals(
    *, currency: str | st.SearchStrategy[str] | None = None
) -> st.SearchStrategy[PaymentReversal]:
    """Bounced payments undone: applications re-opened, cash removed, refunds re-owed."""
    return _from_ledger(lambda led: led.reversals, currency=currency)


def refunds(*, currency: str | st.SearchStrategy[str] | None = None) -> st.SearchStrategy[Refund]:
    """Unapplied credit paid back, with the shares of the credit it came from."""
    return _from_ledger(lambda led: led.refunds, currency=currency)


def refund_shares() -> st.SearchStrategy[RefundShare]:
    """The part of a refund drawn from one payment's or credit note's credit."""
    return _from_ledger(lambda led: [s for r in led.refunds for s in r.shares])


def open_items(
    *, currency: str | st.SearchStrategy[str] | None = None
) -> st.SearchStrategy[OpenItem]:
    """Open items: invoices, instalments and re-opened refunds, partly settled."""
    return _from_ledger(lambda led: led.book.open_items(), currency=currency, need_open=True)


def receivable_items(
    *, currency: str | st.SearchStrategy[str] | None = None
) -> st.SearchStrategy[Receivable]:
    """Invoices as the ledger sees them (:meth:`~orderhub.Receivables.item`), open or not."""
    return _from_ledger(lambda led: [led.book.item(i) for i in led.invoices], currency=currency)


def account_totals(
    *, currency: str | st.SearchStrategy[str] | None = None
) -> st.SearchStrategy[AccountTotals]:
    """The running totals of an account; ``balance`` is the ledger's balance."""
    return _from_ledger(
        lambda led: [led.book.totals(c, led.currency) for c in led.book.customers()],
        currency=currency,
    )


@st.composite
def statements(
    draw: st.DrawFn, *, currency: str | st.SearchStrategy[str] | None = None
) -> Statement:
    """Customer statements over a window around the ledger's documents (opening balance,
    lines with running balances, closing balance)."""
    ledger = draw(_ledgers(currency=currency))
    who = draw(st.sampled_from(ledger.book.customers()))
    start = ledger.start + timedelta(days=draw(st.integers(-10, 10)))
    end = max(start, ledger.day + timedelta(days=draw(st.integers(-10, 10))))
    return ledger.book.statement(who, ledger.currency, start, end)


def statement_lines() -> st.SearchStrategy[StatementLine]:
    """Lines of statements that cover all of a customer's documents."""
    return _from_ledger(
        lambda led: led.book.statement(led.customer, led.currency, led.start, led.day).lines
    )


@st.composite
def agings(draw: st.DrawFn, *, currency: str | st.SearchStrategy[str] | None = None) -> Aging:
    """Agings of a ledger, overall or per customer, by due or invoice date, on default or
    drawn buckets, on a day up to a year after the last document."""
    ledger = draw(_ledgers(currency=currency))
    buckets = draw(
        st.one_of(
            st.just(DEFAULT_BUCKETS),
            st.lists(st.integers(-30, 365), min_size=1, max_size=6, unique=True).map(
                lambda bs: tuple(sorted(bs))
            ),
        )
    )
    return ledger.book.aging(
        ledger.day + timedelta(days=draw(st.integers(0, 365))),
        by=draw(st.sampled_from(("due", "invoice"))),
        buckets=buckets,
        customer_id=draw(_optional(st.sampled_from(ledger.book.customers()))),
        currency=ledger.currency,
    )


def aging_buckets() -> st.SearchStrategy[AgingBucket]:
    """The labelled buckets of an aging."""
    return agings().flatmap(lambda a: st.sampled_from(a.buckets))
