"""The receivables ledger: open items, credit notes, payments, discounts, write-offs,
reversals, refunds, aging, statements and DSO."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from orderhub import Money
from orderhub._receivables import (
    DEFAULT_BUCKETS,
    CreditKind,
    EntryKind,
    ItemKind,
    Receivables,
    UnknownInvoice,
    UnknownPayment,
)
from orderhub.errors import (
    CurrencyMismatch,
    DuplicateId,
    IdempotencyConflict,
    InvalidMoney,
    NotFound,
    OrderhubError,
    UnknownCurrency,
    UnknownCustomer,
    ValidationError,
)

D0 = date(2026, 1, 1)


def day(n: int) -> date:
    """The day ``n`` days after 1 January 2026."""
    return D0 + timedelta(days=n)


def usd(amount: str) -> Money:
    """An amount in US dollars."""
    return Money(amount, "USD")


def ledger_state(r: Receivables) -> Any:
    """Everything a command could change, the private indexes included: compare two with
    ``==`` (a half-applied command would leave exactly those corrupted)."""
    accounts = {}
    for key, a in r._accounts.items():
        trees = [None if t is None else (t._base, list(t._tree)) for t in (a.by_due, a.by_issue)]
        accounts[key] = (
            [id(i) for i in a.open],
            [(s.kind, s.id, u) for s, u in a.credits.items()],
            a.open_total,
            a.unapplied_total,
            (a.invoiced, a.credited, a.paid, a.written_off, a.discounts, a.reversed, a.refunded),
            list(a.journal),
            trees,
        )
    books = {
        c: (
            b.open_total,
            b.unapplied_total,
            [(t._base, list(t._tree)) for t in (b.by_due, b.by_issue, b.sales)],
        )
        for c, b in r._books.items()
    }
    items = {
        k: (i.amount, i.open, i.credited, i.paid, i.discounted, i.written_off)
        for k, i in r._items.items()
    }
    sources = {
        (s.kind, k): (len(s.applications), len(s.refunds), s.reversal)
        for table in (r._payments, r._credit_notes)
        for k, s in table.items()
    }
    invoices = {k: (len(v.write_offs), v.result) for k, v in r._invoices.items()}
    return (
        accounts,
        books,
        items,
        sources,
        invoices,
        set(r._refunds),
        r._seq,
        {c: set(v) for c, v in r._by_customer.items()},
        r.open_items(),
    )


def invoice(
    r: Receivables,
    invoice_id: str = "I1",
    amount: str = "100.00",
    *,
    customer: str = "ann",
    issued: int = 0,
    due: int = 30,
    currency: str = "USD",
    **extra: Any,
) -> Any:
    """Book an invoice issued on ``day(issued)``, due on ``day(due)``."""
    return r.add_invoice(
        invoice_id=invoice_id,
        customer_id=customer,
        number=f"N-{invoice_id}",
        currency=currency,
        amount=Money(amount, currency),
        issued_on=day(issued),
        due_on=day(due),
        **extra,
    )


def pay(
    r: Receivables,
    payment_id: str,
    amount: str,
    *,
    on: int = 40,
    customer: str = "ann",
    currency: str = "USD",
    invoices: tuple[str, ...] = (),
) -> Any:
    """Record a payment received on ``day(on)``."""
    return r.record_payment(
        payment_id=payment_id,
        customer_id=customer,
        amount=Money(amount, currency),
        received_on=day(on),
        invoices=invoices,
    )


def refused(
    r: Receivables, error: type[Exception], call: Callable[[], object], field: str | None = None
) -> Any:
    """Assert ``call`` raises ``error`` (about ``field``) and leaves the ledger unchanged."""
    before = ledger_state(r)

    with pytest.raises(error) as info:
        call()

    assert ledger_state(r) == before
    if field is not None:
        assert getattr(info.value, "field", None) == field
    return info.value


def open_of(r: Receivables, invoice_id: str) -> list[str]:
    """The open amount of each item of an invoice, as text."""
    return [str(i.open.amount) for i in r.item(invoice_id).items]


# -- invoices ----------------------------------------------------------------------------------


def test_an_invoice_becomes_one_open_item() -> None:
    """An invoice without instalments is one open item for its whole amount."""
    r = Receivables()

    applied = invoice(r)

    assert applied == ()
    (item,) = r.open_items("ann")
    assert item.kind is ItemKind.INVOICE
    assert item.invoice_id == "I1"
    assert item.instalment is None
    assert item.number == "N-I1"
    assert item.open == usd("100.00")
    assert item.due_on == day(30)
    assert r.balance("ann") == usd("100.00")


def test_instalments_become_one_open_item_each_numbered_from_one() -> None:
    """Each instalment is an open item of its own with its own due date."""
    r = Receivables()

    invoice(
        r,
        amount="90.00",
        due=60,
        instalments=[(usd("30.00"), day(30)), (usd("60.00"), day(60))],
    )

    items = r.open_items("ann")
    assert [(i.instalment, str(i.open), i.due_on) for i in items] == [
        (1, "30.00 USD", day(30)),
        (2, "60.00 USD", day(60)),
    ]
    assert r.item("I1").open == usd("90.00")


def test_the_same_invoice_twice_changes_nothing() -> None:
    """Booking an invoice again with the same content is harmless."""
    r = Receivables()
    invoice(r)
    before = ledger_state(r)

    again = invoice(r)

    assert again == ()
    assert ledger_state(r) == before


def test_an_invoice_id_reused_for_different_content_is_a_duplicate() -> None:
    """The same invoice id with another amount is refused and changes nothing."""
    r = Receivables()
    invoice(r)

    error = refused(r, DuplicateId, lambda: invoice(r, amount="100.01"), "invoice_id")

    assert error.entity_id == "I1"


def test_instalments_must_sum_exactly_to_the_amount() -> None:
    """Instalments one cent short of the invoice amount are refused."""
    r = Receivables()

    refused(
        r,
        ValidationError,
        lambda: invoice(r, instalments=[(usd("50.00"), day(10)), (usd("49.99"), day(30))]),
        "instalments",
    )


@pytest.mark.parametrize(
    ("changes", "error", "field"),
    [
        ({"amount": Money("0.00", "USD")}, ValidationError, "amount"),
        ({"amount": Money("-5.00", "USD")}, ValidationError, "amount"),
        ({"amount": Money("5", "EUR")}, CurrencyMismatch, "amount"),
        ({"amount": "5.00"}, InvalidMoney, "amount"),
        ({"currency": "XYZ"}, UnknownCurrency, "currency"),
        ({"invoice_id": " "}, ValidationError, "invoice_id"),
        ({"customer_id": None}, ValidationError, "customer_id"),
        ({"number": ""}, ValidationError, "number"),
        ({"issued_on": datetime(2026, 1, 1, 9)}, ValidationError, "issued_on"),
        ({"due_on": date(2025, 12, 31)}, ValidationError, "due_on"),
        ({"discount": Money("1.00", "USD")}, ValidationError, "discount_until"),
        ({"discount_until": date(2026, 1, 5)}, ValidationError, "discount"),
        (
            {"discount": Money("100.00", "USD"), "discount_until": date(2026, 1, 5)},
            ValidationError,
            "discount",
        ),
        (
            {"discount": Money("2.00", "USD"), "discount_until": date(2026, 3, 1)},
            ValidationError,
            "discount_until",
        ),
        ({"instalments": "30.00"}, ValidationError, "instalments"),
        ({"instalments": [Money("100.00", "USD")]}, ValidationError, "instalments[0]"),
        (
            {"instalments": [(Money("100.00", "USD"), date(2026, 2, 15))]},
            ValidationError,
            "instalments[0]",
        ),
        (
            {"instalments": [(Money("100.00", "EUR"), date(2026, 1, 15))]},
            CurrencyMismatch,
            "instalments[0]",
        ),
    ],
)
def test_a_bad_invoice_is_refused_naming_the_field(
    changes: dict[str, Any], error: type[Exception], field: str
) -> None:
    """Every rule of an invoice is checked before anything is booked."""
    r = Receivables()
    invoice(r, "I0")
    fields: dict[str, Any] = {
        "invoice_id": "I1",
        "customer_id": "ann",
        "number": "N-1",
        "currency": "USD",
        "amount": usd("100.00"),
        "issued_on": day(0),
        "due_on": day(30),
    }
    fields.update(changes)

    refused(r, error, lambda: r.add_invoice(**fields), field)


def test_a_discount_is_spread_over_the_instalments() -> None:
    """An early-payment discount is split over instalments in proportion to their amounts."""
    r = Receivables()

    invoice(
        r,
        amount="90.00",
        discount=usd("0.91"),
        discount_until=day(10),
        instalments=[(usd("30.00"), day(15)), (usd("60.00"), day(30))],
    )

    assert [str(i.discount.amount) for i in r.item("I1").items] == ["0.30", "0.61"]


# -- credit notes ------------------------------------------------------------------------------


def credit(r: Receivables, cn: str, amount: str, invoice_id: str | None = "I1", **kw: Any) -> Any:
    """Book a credit note for ann in USD on day 5."""
    fields: dict[str, Any] = {
        "credit_note_id": cn,
        "customer_id": "ann",
        "invoice_id": invoice_id,
        "currency": "USD",
        "amount": usd(amount),
        "issued_on": day(5),
    }
    fields.update(kw)
    return r.add_credit_note(**fields)


def test_a_credit_note_reduces_the_latest_due_instalment_first() -> None:
    """A credit note takes the last instalment down before touching an earlier one."""
    r = Receivables()
    invoice(
        r,
        amount="90.00",
        due=60,
        instalments=[(usd("30.00"), day(30)), (usd("60.00"), day(60))],
    )

    result = credit(r, "CN1", "70.00")

    assert open_of(r, "I1") == ["20.00", "0.00"]
    assert [(a.instalment, str(a.applied.amount)) for a in result.applications] == [
        (2, "60.00"),
        (1, "10.00"),
    ]
    assert all(a.source_kind is CreditKind.CREDIT_NOTE for a in result.applications)
    assert result.unapplied.is_zero


def test_a_credit_note_beyond_what_is_open_leaves_unapplied_credit() -> None:
    """What a credit note cannot take off its invoice becomes credit on the account."""
    r = Receivables()
    invoice(r)
    pay(r, "P1", "80.00")

    result = credit(r, "CN1", "50.00")

    assert result.unapplied == usd("30.00")
    assert r.unapplied("ann") == usd("30.00")
    assert r.item("I1").open.is_zero
    assert r.balance("ann") == usd("-30.00")


def test_a_credit_note_without_an_invoice_is_unapplied_credit() -> None:
    """A credit note naming no invoice touches no open item."""
    r = Receivables()
    invoice(r)

    result = credit(r, "CN1", "25.00", invoice_id=None)

    assert result.applications == ()
    assert r.item("I1").open == usd("100.00")
    assert r.unapplied("ann") == usd("25.00")
    assert r.balance("ann") == usd("75.00")


def test_a_credit_note_on_another_customers_invoice_is_refused() -> None:
    """A credit note may only name an invoice of its own customer."""
    r = Receivables()
    invoice(r)

    refused(r, ValidationError, lambda: credit(r, "CN1", "5.00", customer_id="bob"), "invoice_id")


def test_a_credit_note_in_another_currency_is_refused() -> None:
    """A credit note in EUR cannot reduce a USD invoice."""
    r = Receivables()
    invoice(r)

    refused(
        r,
        CurrencyMismatch,
        lambda: r.add_credit_note(
            credit_note_id="CN1",
            customer_id="ann",
            invoice_id="I1",
            currency="EUR",
            amount=Money("5.00", "EUR"),
            issued_on=day(5),
        ),
        "invoice_id",
    )


def test_a_credit_note_on_an_unknown_invoice_is_not_found() -> None:
    """Naming an invoice the ledger does not know raises a NotFound (and LookupError)."""
    r = Receivables()
    invoice(r)

    error = refused(r, UnknownInvoice, lambda: credit(r, "CN1", "5.00", invoice_id="I9"))

    assert isinstance(error, NotFound)
    assert isinstance(error, LookupError)
    assert error.value == "I9"


def test_a_credit_note_twice_changes_nothing_and_reused_ids_are_refused() -> None:
    """The same credit note again returns its first answer; another under its id is a
    duplicate."""
    r = Receivables()
    invoice(r)
    first = credit(r, "CN1", "10.00")
    before = ledger_state(r)

    again = credit(r, "CN1", "10.00")

    assert again == first
    assert ledger_state(r) == before
    refused(r, DuplicateId, lambda: credit(r, "CN1", "11.00"), "credit_note_id")


# -- payments ----------------------------------------------------------------------------------


def test_an_unnamed_payment_goes_oldest_due_first_then_by_invoice_id() -> None:
    """A payment naming no invoice settles the items by due date, ties by invoice id."""
    r = Receivables()
    invoice(r, "I3", "10.00", due=20)
    invoice(r, "I2", "10.00", due=10)
    invoice(r, "I1", "10.00", due=20)

    result = pay(r, "P1", "25.00")

    assert [(a.invoice_id, str(a.applied.amount)) for a in result.applications] == [
        ("I2", "10.00"),
        ("I1", "10.00"),
        ("I3", "5.00"),
    ]
    assert result.unapplied.is_zero
    assert open_of(r, "I3") == ["5.00"]


def test_a_named_payment_goes_to_the_named_invoices_in_the_order_given() -> None:
    """A payment naming invoices pays them in the order named, not by due date."""
    r = Receivables()
    invoice(r, "I1", "10.00", due=10)
    invoice(r, "I2", "10.00", due=20)

    result = pay(r, "P1", "15.00", invoices=("I2", "I1"))

    assert [(a.invoice_id, str(a.applied.amount)) for a in result.applications] == [
        ("I2", "10.00"),
        ("I1", "5.00"),
    ]


def test_a_named_payment_pays_the_earliest_instalment_first() -> None:
    """Within a named invoice the instalment due first is paid first."""
    r = Receivables()
    invoice(
        r, amount="90.00", due=60, instalments=[(usd("60.00"), day(60)), (usd("30.00"), day(30))]
    )

    pay(r, "P1", "40.00", invoices=("I1",))

    assert open_of(r, "I1") == ["50.00", "0.00"]


def test_a_partial_payment_leaves_the_rest_open() -> None:
    """Paying part of an invoice reduces its open item by that much."""
    r = Receivables()
    invoice(r)

    pay(r, "P1", "40.00")

    assert open_of(r, "I1") == ["60.00"]
    assert r.balance("ann") == usd("60.00")


def test_an_over_payment_leaves_unapplied_cash() -> None:
    """What a payment cannot apply stays on the account as unapplied cash."""
    r = Receivables()
    invoice(r)

    result = pay(r, "P1", "130.00")

    assert result.unapplied == usd("30.00")
    assert r.unapplied("ann") == usd("30.00")
    assert r.balance("ann") == usd("-30.00")
    assert r.open_items("ann") == ()


def test_unapplied_cash_is_applied_to_invoices_added_later() -> None:
    """An invoice booked while the customer has cash on account is settled from it at once."""
    r = Receivables()
    pay(r, "P1", "70.00", on=0)

    applied = invoice(r, "I1", "50.00", issued=3)
    invoice(r, "I2", "50.00", issued=4)

    assert [(a.source_id, str(a.applied.amount), a.on) for a in applied] == [
        ("P1", "50.00", day(3))
    ]
    assert open_of(r, "I1") == ["0.00"]
    assert open_of(r, "I2") == ["30.00"]
    assert r.unapplied("ann").is_zero


def test_apply_unapplied_uses_the_oldest_credit_on_the_oldest_due_items() -> None:
    """Explicit application spends cash and credit notes in the order recorded, oldest due
    item first."""
    r = Receivables()
    invoice(r, "I1", "10.00", due=30)
    invoice(r, "I2", "10.00", due=10)
    pay(r, "P1", "12.00", invoices=("I1",))
    credit(r, "CN1", "5.00", invoice_id=None)

    applied = r.apply_unapplied("ann", day(50))

    assert [(a.source_id, a.invoice_id, str(a.applied.amount)) for a in applied] == [
        ("P1", "I2", "2.00"),
        ("CN1", "I2", "5.00"),
    ]
    assert open_of(r, "I2") == ["3.00"]
    assert r.unapplied("ann").is_zero


def test_apply_unapplied_for_an_unknown_customer_is_not_found() -> None:
    """There is nothing to apply for a customer the ledger has never seen."""
    r = Receivables()

    refused(r, UnknownCustomer, lambda: r.apply_unapplied("zed", day(1)), "customer_id")


def test_a_named_invoice_already_settled_keeps_the_payment_unapplied() -> None:
    """Naming a paid invoice is not an error: the cash stays on the account."""
    r = Receivables()
    invoice(r)
    pay(r, "P1", "100.00")

    result = pay(r, "P2", "20.00", invoices=("I1",))

    assert result.applications == ()
    assert result.unapplied == usd("20.00")


def test_the_same_payment_twice_changes_nothing() -> None:
    """Recording a payment again under its reference returns the first answer."""
    r = Receivables()
    invoice(r)
    first = pay(r, "P1", "40.00")
    before = ledger_state(r)

    again = pay(r, "P1", "40.00")

    assert again == first
    assert ledger_state(r) == before
    assert r.payment("P1") == first


def test_a_reference_reused_for_another_payment_is_a_conflict() -> None:
    """The same reference with a different amount is an IdempotencyConflict."""
    r = Receivables()
    invoice(r)
    pay(r, "P1", "40.00")

    refused(r, IdempotencyConflict, lambda: pay(r, "P1", "41.00"), "payment_id")


@pytest.mark.parametrize(
    ("kwargs", "error", "field"),
    [
        ({"invoices": ("I9",)}, UnknownInvoice, "invoices[0]"),
        ({"invoices": ("B1",)}, ValidationError, "invoices[0]"),
        ({"invoices": ("I1", "I1")}, ValidationError, "invoices[1]"),
        ({"invoices": "I1"}, ValidationError, "invoices"),
        ({"invoices": ("E1",)}, CurrencyMismatch, "invoices[0]"),
        ({"amount": usd("0.00")}, ValidationError, "amount"),
        ({"amount": 40}, InvalidMoney, "amount"),
        ({"received_on": "2026-01-01"}, ValidationError, "received_on"),
        ({"payment_id": ""}, ValidationError, "payment_id"),
    ],
)
def test_a_bad_payment_is_refused_naming_the_field(
    kwargs: dict[str, Any], error: type[Exception], field: str
) -> None:
    """A payment naming a foreign, unknown or repeated invoice, or with a bad amount, date
    or reference, is refused and changes nothing."""
    r = Receivables()
    invoice(r, "I1")
    invoice(r, "B1", customer="bob")
    invoice(r, "E1", "10.00", currency="EUR")
    fields: dict[str, Any] = {
        "payment_id": "P1",
        "customer_id": "ann",
        "amount": usd("40.00"),
        "received_on": day(3),
    }
    fields.update(kwargs)

    refused(r, error, lambda: r.record_payment(**fields), field)


# -- early-payment discount --------------------------------------------------------------------


def discounted_invoice(r: Receivables) -> None:
    """100.00 on 2/10 net 30 terms."""
    invoice(r, discount=usd("2.00"), discount_until=day(10))


def test_a_payment_in_the_window_that_settles_takes_the_discount() -> None:
    """98.00 paid by the discount date settles 100.00 with a 2.00 discount allowed."""
    r = Receivables()
    discounted_invoice(r)

    result = pay(r, "P1", "98.00", on=10)

    (a,) = result.applications
    assert (a.applied, a.discount, a.settled) == (usd("98.00"), usd("2.00"), usd("100.00"))
    assert r.item("I1").discounted == usd("2.00")
    assert r.item("I1").written_off.is_zero
    assert r.totals("ann").discounts == usd("2.00")
    assert r.balance("ann").is_zero


def test_a_payment_after_the_window_gets_no_discount() -> None:
    """98.00 paid a day late leaves 2.00 open."""
    r = Receivables()
    discounted_invoice(r)

    result = pay(r, "P1", "98.00", on=11)

    assert result.discount.is_zero
    assert open_of(r, "I1") == ["2.00"]


def test_a_partial_payment_in_the_window_keeps_the_discount_available() -> None:
    """A payment too small to settle gets no discount, and a later one in the window does."""
    r = Receivables()
    discounted_invoice(r)

    first = pay(r, "P1", "50.00", on=3)
    second = pay(r, "P2", "50.00", on=9)

    assert first.discount.is_zero
    assert second.applications[0].applied == usd("48.00")
    assert second.discount == usd("2.00")
    assert second.unapplied == usd("2.00")


def test_a_discount_is_allowed_once_per_item_even_after_a_reversal() -> None:
    """When a partial payment bounces after a later one took the discount, a third payment
    in the window earns no second discount."""
    r = Receivables()
    discounted_invoice(r)
    pay(r, "P1", "50.00", on=3)
    pay(r, "P2", "48.00", on=5)
    r.reverse_payment("P1", on=day(6), reason="bounced")

    result = pay(r, "P3", "50.00", on=8)

    assert result.discount.is_zero
    assert r.item("I1").discounted == usd("2.00")
    assert r.item("I1").open.is_zero
    assert r.item("I1").items[0].discount.is_zero


def test_the_discount_shrinks_in_proportion_to_credit_notes() -> None:
    """A credit note taking half the invoice halves the discount still available."""
    r = Receivables()
    discounted_invoice(r)
    credit(r, "CN1", "50.00")

    result = pay(r, "P1", "49.00", on=10)

    assert result.discount == usd("1.00")
    assert r.item("I1").open.is_zero


def test_credit_from_a_credit_note_never_earns_a_discount() -> None:
    """Credit-note credit applied inside the window settles without a discount."""
    r = Receivables()
    credit(r, "CN1", "98.00", invoice_id=None)

    invoice(r, discount=usd("2.00"), discount_until=day(10))

    assert open_of(r, "I1") == ["2.00"]
    assert r.totals("ann").discounts.is_zero


def test_prepaid_cash_earns_the_discount_on_a_new_invoice() -> None:
    """Cash already on account settles a new invoice on its date, inside the window."""
    r = Receivables()
    pay(r, "P1", "98.00", on=0)

    applied = invoice(r, discount=usd("2.00"), discount_until=day(10))

    assert [(a.applied, a.discount) for a in applied] == [(usd("98.00"), usd("2.00"))]
    assert r.balance("ann").is_zero


# -- write-offs --------------------------------------------------------------------------------


def test_a_write_off_closes_the_remainder() -> None:
    """Writing off a small remainder closes the invoice and is booked as a write-off."""
    r = Receivables()
    invoice(r)
    pay(r, "P1", "99.97")

    done = r.write_off("I1", on=day(45), reason="rounding", max_amount=usd("0.05"))

    assert done.amount == usd("0.03")
    assert r.item("I1").written_off == usd("0.03")
    assert r.write_offs("I1") == (done,)
    assert r.balance("ann").is_zero
    assert r.totals("ann").written_off == usd("0.03")


def test_a_write_off_above_the_limit_is_refused() -> None:
    """A remainder larger than max_amount is not written off."""
    r = Receivables()
    invoice(r)
    pay(r, "P1", "90.00")

    refused(
        r,
        ValidationError,
        lambda: r.write_off("I1", on=day(45), reason="small", max_amount=usd("5.00")),
        "max_amount",
    )


@pytest.mark.parametrize(
    ("invoice_id", "kwargs", "error", "field"),
    [
        ("I1", {"on": day(45), "reason": "x"}, ValidationError, "invoice_id"),
        ("I9", {"on": day(45), "reason": "x"}, UnknownInvoice, "invoice_id"),
        ("I2", {"on": day(-1), "reason": "x"}, ValidationError, "on"),
        ("I2", {"on": day(45), "reason": " "}, ValidationError, "reason"),
        ("I2", {"on": day(45), "reason": "x", "max_amount": usd("-1.00")}, ValidationError, None),
    ],
)
def test_a_bad_write_off_is_refused(
    invoice_id: str, kwargs: dict[str, Any], error: type[Exception], field: str | None
) -> None:
    """Nothing open, an unknown invoice, a date before the invoice, no reason or a negative
    limit: refused, unchanged."""
    r = Receivables()
    invoice(r, "I1")
    pay(r, "P1", "100.00", invoices=("I1",))
    invoice(r, "I2")

    refused(r, error, lambda: r.write_off(invoice_id, **kwargs), field)


# -- reversals ---------------------------------------------------------------------------------


def test_a_reversal_reopens_every_item_the_payment_settled() -> None:
    """A bounced payment re-opens each item by what it applied."""
    r = Receivables()
    invoice(r, "I1", "10.00", due=10)
    invoice(r, "I2", "20.00", due=20)
    pay(r, "P1", "25.00")

    reversal = r.reverse_payment("P1", on=day(50), reason="bounced")

    assert open_of(r, "I1") == ["10.00"]
    assert open_of(r, "I2") == ["20.00"]
    assert [a.invoice_id for a in reversal.reopened] == ["I1", "I2"]
    assert r.balance("ann") == usd("30.00")
    assert r.totals("ann").reversed == usd("25.00")
    assert r.reversal("P1") == reversal


def test_a_reversal_undoes_the_discount_the_payment_earned() -> None:
    """Re-opening a discounted settlement puts the discount back on the item too."""
    r = Receivables()
    discounted_invoice(r)
    pay(r, "P1", "98.00", on=5)

    reversal = r.reverse_payment("P1", on=day(12), reason="bounced")

    assert reversal.discounts == usd("2.00")
    assert open_of(r, "I1") == ["100.00"]
    assert r.item("I1").discounted.is_zero
    assert r.balance("ann") == usd("100.00")


def test_a_reversal_undoes_later_applications_of_its_cash() -> None:
    """Cash of a bounced payment that was applied to a later invoice is taken back too."""
    r = Receivables()
    pay(r, "P1", "50.00", on=0)
    invoice(r, "I1", "30.00", issued=2)

    reversal = r.reverse_payment("P1", on=day(9), reason="bounced")

    assert open_of(r, "I1") == ["30.00"]
    assert reversal.unapplied_removed == usd("20.00")
    assert r.unapplied("ann").is_zero
    assert r.balance("ann") == usd("30.00")


def test_a_reversal_of_refunded_cash_opens_a_refund_item() -> None:
    """Cash refunded out of a payment that later bounced is owed again as an open item."""
    r = Receivables()
    invoice(r, "I1", "70.00")
    pay(r, "P1", "100.00")
    r.refund("ann", usd("30.00"), on=day(41), reference="R1")

    reversal = r.reverse_payment("P1", on=day(45), reason="bounced")

    assert reversal.refund_reopened == usd("30.00")
    refund_item = next(i for i in r.open_items("ann") if i.kind is ItemKind.REFUND)
    assert (refund_item.document_id, refund_item.invoice_id) == ("R1", None)
    assert (refund_item.open, refund_item.due_on) == (usd("30.00"), day(45))
    assert r.balance("ann") == usd("100.00")
    assert r.aging(day(60), customer_id="ann").total == usd("100.00")


def test_a_refund_item_is_settled_by_an_unnamed_payment() -> None:
    """The re-opened refund is an open item like any other for oldest-due-first payments."""
    r = Receivables()
    pay(r, "P1", "30.00", on=0)
    r.refund("ann", usd("30.00"), on=day(1), reference="R1")
    r.reverse_payment("P1", on=day(2), reason="bounced")

    result = pay(r, "P2", "30.00", on=3)

    assert [(a.kind, a.document_id) for a in result.applications] == [(ItemKind.REFUND, "R1")]
    assert r.balance("ann").is_zero


def test_reversing_twice_is_harmless() -> None:
    """A second reversal returns the first and changes nothing."""
    r = Receivables()
    invoice(r)
    pay(r, "P1", "40.00")
    first = r.reverse_payment("P1", on=day(50), reason="bounced")
    before = ledger_state(r)

    again = r.reverse_payment("P1", on=day(51), reason="again")

    assert again == first
    assert ledger_state(r) == before


def test_a_bad_reversal_is_refused() -> None:
    """An unknown payment, or a reversal dated before the payment, is refused unchanged."""
    r = Receivables()
    invoice(r)
    pay(r, "P1", "40.00", on=40)

    refused(r, UnknownPayment, lambda: r.reverse_payment("P9", on=day(50), reason="x"))
    refused(r, ValidationError, lambda: r.reverse_payment("P1", on=day(39), reason="x"), "on")
    refused(r, ValidationError, lambda: r.reverse_payment("P1", on=day(41), reason=""), "reason")
    refused(r, UnknownPayment, lambda: r.payment("P9"), "payment_id")


# -- refunds -----------------------------------------------------------------------------------


def test_a_refund_pays_unapplied_cash_back() -> None:
    """A refund takes unapplied cash off the account and raises the balance."""
    r = Receivables()
    invoice(r)
    pay(r, "P1", "130.00")

    refund = r.refund("ann", usd("30.00"), on=day(41), reference="R1")

    assert refund.amount == usd("30.00")
    assert [(s.source_kind, s.source_id, s.amount) for s in refund.shares] == [
        (CreditKind.PAYMENT, "P1", usd("30.00"))
    ]
    assert r.unapplied("ann").is_zero
    assert r.balance("ann").is_zero
    assert r.totals("ann").refunded == usd("30.00")


def test_a_refund_draws_on_the_oldest_credit_first() -> None:
    """A refund spends credit in the order it was recorded and says whose it was."""
    r = Receivables()
    credit(r, "CN1", "5.00", invoice_id=None)
    pay(r, "P1", "10.00")

    refund = r.refund("ann", usd("8.00"), on=day(41), reference="R1")

    assert [(s.source_kind, s.source_id, str(s.amount)) for s in refund.shares] == [
        (CreditKind.CREDIT_NOTE, "CN1", "5.00 USD"),
        (CreditKind.PAYMENT, "P1", "3.00 USD"),
    ]
    assert r.unapplied("ann") == usd("7.00")


def test_a_refund_of_more_than_the_unapplied_credit_is_refused() -> None:
    """Refunding more than the account holds changes nothing."""
    r = Receivables()
    pay(r, "P1", "10.00")

    refused(
        r,
        ValidationError,
        lambda: r.refund("ann", usd("10.01"), on=day(41), reference="R1"),
        "amount",
    )
    refused(
        r,
        ValidationError,
        lambda: r.refund("bob", usd("1.00"), on=day(41), reference="R1"),
        "amount",
    )


def test_the_same_refund_twice_changes_nothing_and_reused_references_conflict() -> None:
    """A refund repeated under its reference returns the first; a different one conflicts."""
    r = Receivables()
    pay(r, "P1", "10.00")
    first = r.refund("ann", usd("4.00"), on=day(41), reference="R1")
    before = ledger_state(r)

    again = r.refund("ann", usd("4.00"), on=day(41), reference="R1")

    assert again == first
    assert ledger_state(r) == before
    refused(
        r,
        IdempotencyConflict,
        lambda: r.refund("ann", usd("5.00"), on=day(41), reference="R1"),
        "reference",
    )


# -- balances and currencies -------------------------------------------------------------------


def test_the_balance_identity_holds_term_by_term() -> None:
    """Invoices − credit notes − payments − write-offs − discounts + reversals + refunds is
    the balance, and equals open items − unapplied credit."""
    r = Receivables()
    invoice(r, "I1", discount=usd("2.00"), discount_until=day(10))
    invoice(r, "I2", "50.00")
    invoice(r, "I3", "20.00")
    credit(r, "CN1", "10.00", invoice_id="I2")
    pay(r, "P1", "98.00", on=5, invoices=("I1",))
    pay(r, "P2", "39.99", invoices=("I2",))
    r.write_off("I2", on=day(45), reason="rounding")
    pay(r, "P3", "30.00", invoices=("I3",))
    r.refund("ann", usd("5.00"), on=day(46), reference="R1")
    r.reverse_payment("P3", on=day(47), reason="bounced")

    totals = r.totals("ann")

    assert (totals.invoiced, totals.credited, totals.paid) == (
        usd("170.00"),
        usd("10.00"),
        usd("167.99"),
    )
    assert (totals.written_off, totals.discounts, totals.reversed, totals.refunded) == (
        usd("0.01"),
        usd("2.00"),
        usd("30.00"),
        usd("5.00"),
    )
    assert totals.balance == r.balance("ann") == usd("25.00")
    open_sum = sum((i.open for i in r.open_items("ann")), usd("0.00"))
    assert open_sum - r.unapplied("ann") == usd("25.00")


def test_accounts_are_kept_per_currency() -> None:
    """A customer with invoices in two currencies has two balances, never netted."""
    r = Receivables()
    invoice(r, "I1", "100.00")
    invoice(r, "J1", "5000", currency="JPY")
    invoice(r, "K1", "1.250", currency="KWD")

    pay(r, "P1", "1000", currency="JPY")

    assert r.currencies("ann") == ("JPY", "KWD", "USD")
    assert r.balance("ann", "JPY") == Money(4000, "JPY")
    assert r.balance("ann", "KWD") == Money("1.250", "KWD")
    assert r.balance("ann", "USD") == usd("100.00")
    refused(r, ValidationError, lambda: r.balance("ann"), "currency")


def test_a_customer_never_seen_owes_zero_in_a_named_currency() -> None:
    """Queries for an unknown customer answer zero when the currency is named."""
    r = Receivables()

    assert r.balance("zed", "USD") == usd("0.00")
    assert r.unapplied("zed", "EUR") == Money("0.00", "EUR")
    assert r.totals("zed", "USD").balance.is_zero
    refused(r, UnknownCustomer, lambda: r.balance("zed"), "customer_id")
    refused(r, UnknownCurrency, lambda: r.balance("zed", "usd"), "currency")


def test_open_items_are_listed_by_customer_then_due_date() -> None:
    """All open items come per account, each account oldest due first; closed ones drop
    out."""
    r = Receivables()
    invoice(r, "B1", customer="bob", due=5)
    invoice(r, "A2", due=20)
    invoice(r, "A1", due=10)
    invoice(r, "A3", due=30)
    pay(r, "P1", "100.00", invoices=("A3",))

    ids = [i.document_id for i in r.open_items()]

    assert ids == ["A1", "A2", "B1"]
    assert [i.document_id for i in r.open_items(currency="USD", customer_id="bob")] == ["B1"]
    assert r.open_items(currency="EUR") == ()


def test_an_unknown_invoice_cannot_be_looked_up() -> None:
    """item() of an id the ledger does not know raises UnknownInvoice."""
    r = Receivables()

    refused(r, UnknownInvoice, lambda: r.item("I9"), "invoice_id")


def test_errors_name_the_entity_and_survive_pickling() -> None:
    """Errors carry the entity id, field and value, also across a pickle round trip."""
    r = Receivables()
    invoice(r)
    error = refused(r, DuplicateId, lambda: invoice(r, amount="1.00"))

    copy = pickle.loads(pickle.dumps(error))

    assert isinstance(copy, OrderhubError)
    assert (copy.entity_id, copy.field, copy.value) == ("I1", "invoice_id", "I1")
    assert "[I1] invoice_id='I1'" in str(copy)


# -- aging -------------------------------------------------------------------------------------


def test_the_default_buckets_are_current_and_thirty_day_steps_to_over_120() -> None:
    """Days past due fall in current (≤ 0), 1-30, 31-60, 61-90, 91-120 and over 120, with
    each bound inclusive."""
    r = Receivables()
    as_of = day(200)
    for k, past_due in enumerate((-5, 0, 1, 30, 31, 60, 61, 90, 91, 120, 121, 150)):
        due = 200 - past_due
        invoice(r, f"I{k:02d}", f"{2**k}.00", issued=min(due, 100), due=due)

    aging = r.aging(as_of)

    assert aging.bounds == DEFAULT_BUCKETS
    assert [b.label for b in aging.buckets] == [
        "current",
        "1-30",
        "31-60",
        "61-90",
        "91-120",
        "over 120",
    ]
    assert [int(m.amount) for m in aging.amounts] == [
        1 + 2,
        4 + 8,
        16 + 32,
        64 + 128,
        256 + 512,
        1024 + 2048,
    ]
    assert aging.total == usd("4095.00")
    assert aging.by_label()["over 120"] == usd("3072.00")
    assert aging.buckets[1].low == 0
    assert aging.buckets[1].high == 30


def test_aging_by_invoice_date_counts_days_since_the_invoice() -> None:
    """By invoice date, an invoice 45 days old is in 31-60 whatever its due date."""
    r = Receivables()
    invoice(r, "I1", issued=0, due=60)

    by_due = r.aging(day(45))
    by_invoice = r.aging(day(45), by="invoice")

    assert by_due.amounts[0] == usd("100.00")
    assert by_invoice.by_label()["31-60"] == usd("100.00")
    assert by_invoice.buckets[0].label == "<= 0"


def test_aging_with_custom_buckets() -> None:
    """Bounds (7, 14) give buckets up to 7, 8-14 and over 14 days."""
    r = Receivables()
    invoice(r, "I1", "1.00", due=10)
    invoice(r, "I2", "2.00", due=5)
    invoice(r, "I3", "4.00", due=0)

    aging = r.aging(day(20), buckets=[7, 14])

    assert aging.by_label() == {"<= 7": usd("0.00"), "8-14": usd("1.00"), "over 14": usd("6.00")}


def test_aging_per_customer_includes_only_their_items_and_their_credit() -> None:
    """A customer's aging ages their items and reports their unapplied credit apart."""
    r = Receivables()
    invoice(r, "I1")
    invoice(r, "B1", "50.00", customer="bob")
    pay(r, "P1", "10.00", customer="bob", invoices=("B1",))
    credit(r, "CN1", "5.00", invoice_id=None, customer_id="bob")

    bob = r.aging(day(10), customer_id="bob")
    overall = r.aging(day(10))

    assert (bob.total, bob.unapplied, bob.balance) == (usd("40.00"), usd("5.00"), usd("35.00"))
    assert overall.total == usd("140.00")
    assert overall.unapplied == usd("5.00")


def test_a_large_account_ages_from_its_own_trees_like_a_scan() -> None:
    """Once an account outgrows the scan it gets aging trees, with the same answers."""
    r = Receivables()
    small = Receivables()
    small._promote_at = 10**9
    for ledger in (r, small):
        for k in range(80):
            invoice(ledger, f"I{k}", f"{k + 1}.00", issued=k, due=k + 30)
        pay(ledger, "P1", "500.00")

    for as_of in (day(0), day(70), day(150)):
        for by in ("due", "invoice"):
            assert r.aging(as_of, by=by, customer_id="ann") == small.aging(
                as_of, by=by, customer_id="ann"
            )
    assert r._accounts[("ann", "USD")].by_due is not None
    assert small._accounts[("ann", "USD")].by_due is None


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"buckets": ()}, "buckets"),
        ({"buckets": (30, 0)}, "buckets"),
        ({"buckets": (0, 0)}, "buckets"),
        ({"buckets": (True, 30)}, "buckets"),
        ({"buckets": "0,30"}, "buckets"),
        ({"buckets": (0, 30.0)}, "buckets"),
        ({"by": "paid"}, "by"),
    ],
)
def test_bad_aging_parameters_are_refused(kwargs: dict[str, Any], field: str) -> None:
    """Buckets must be increasing whole days, and ages count from due or invoice date."""
    r = Receivables()
    invoice(r)

    refused(r, ValidationError, lambda: r.aging(day(1), **kwargs), field)


def test_aging_needs_a_currency_when_the_ledger_holds_several() -> None:
    """An overall aging of a two-currency ledger must name the currency."""
    r = Receivables()
    invoice(r, "I1")
    invoice(r, "J1", "100", currency="JPY")

    refused(r, ValidationError, lambda: r.aging(day(1)), "currency")
    assert r.aging(day(1), currency="JPY").total == Money(100, "JPY")
    assert r.aging(day(1), currency="EUR").total == Money("0.00", "EUR")


def test_an_empty_ledger_ages_to_zero_in_a_named_currency() -> None:
    """With nothing booked, every bucket is zero."""
    r = Receivables()

    aging = r.aging(day(1), currency="KWD")

    assert all(m == Money("0.000", "KWD") for m in aging.amounts)
    assert len(aging.amounts) == len(DEFAULT_BUCKETS) + 1
    refused(r, ValidationError, lambda: r.aging(day(1)), "currency")


# -- statements --------------------------------------------------------------------------------


def test_a_statement_has_opening_balance_documents_and_closing_balance() -> None:
    """Documents before the period make the opening balance; those in it are listed by date
    with the running balance."""
    r = Receivables()
    invoice(r, "I1", issued=0, discount=usd("2.00"), discount_until=day(10))
    invoice(r, "I2", "50.00", issued=20, due=50)
    pay(r, "P1", "98.00", on=8, invoices=("I1",))
    credit(r, "CN1", "5.00", invoice_id="I2", issued_on=day(25))
    pay(r, "P2", "10.00", on=40)
    r.reverse_payment("P2", on=day(60), reason="bounced")

    s = r.statement("ann", "USD", day(5), day(40))

    assert s.opening == usd("100.00")
    assert [(line.kind, line.reference, str(line.amount.amount)) for line in s.lines] == [
        (EntryKind.PAYMENT, "P1", "-98.00"),
        (EntryKind.DISCOUNT, "P1", "-2.00"),
        (EntryKind.INVOICE, "I2", "50.00"),
        (EntryKind.CREDIT_NOTE, "CN1", "-5.00"),
        (EntryKind.PAYMENT, "P2", "-10.00"),
    ]
    assert [str(line.balance.amount) for line in s.lines] == [
        "2.00",
        "0.00",
        "50.00",
        "45.00",
        "35.00",
    ]
    assert s.lines[1].invoice_id == "I1"
    assert s.closing == usd("35.00")
    assert r.statement("ann", None, day(0), day(99)).closing == r.balance("ann") == usd("45.00")


def test_a_statement_ending_before_it_starts_is_refused() -> None:
    """end must not be before start."""
    r = Receivables()
    invoice(r)

    refused(r, ValidationError, lambda: r.statement("ann", "USD", day(5), day(4)), "end")


# -- DSO ---------------------------------------------------------------------------------------


def test_dso_is_open_receivables_over_credit_sales_times_days() -> None:
    """300.00 open against 900.00 of sales in the last 90 days is 30 days."""
    r = Receivables()
    invoice(r, "I0", "1000.00", issued=0, due=0)  # outside the window
    pay(r, "P0", "1000.00", on=1)
    invoice(r, "I1", "450.00", issued=95, due=125)
    invoice(r, "I2", "450.00", issued=100, due=130)
    pay(r, "P1", "600.00", on=101)

    assert r.dso(day(100)) == Decimal("30.00")
    assert r.dso(day(100), days=30) == Decimal("10.00")
    assert r.dso(day(300), days=30) is None


def test_dso_rounds_half_up_to_hundredths_and_checks_its_input() -> None:
    """DSO is rounded half up to 0.01 days; the window must be a positive number of days."""
    r = Receivables()
    invoice(r, "I1", "3.00", issued=10, due=40)
    invoice(r, "I2", "3.00", issued=11, due=41)
    pay(r, "P1", "5.99", on=12)

    assert r.dso(day(11), days=45) == Decimal("0.08")  # 0.01 / 6.00 × 45 = 0.075
    assert r.dso(day(11), days=45, currency="EUR") is None
    refused(r, ValidationError, lambda: r.dso(day(11), days=0), "days")
    refused(r, ValidationError, lambda: r.dso(day(11), days=True), "days")


def test_a_ledger_describes_itself_briefly() -> None:
    """The repr counts accounts, invoices and payments."""
    r = Receivables()
    invoice(r)

    assert repr(r) == "<Receivables: 1 accounts, 1 invoices, 0 payments>"
