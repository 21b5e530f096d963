"""The trusted paths of invoicing make only what the checking constructors accept.

``build_invoice`` makes its lines without :class:`InvoiceLine`'s checks and its invoice
without :meth:`Invoice._check_content` when its own arithmetic guarantees them; these
tests rebuild every such document with the checking constructors, and check that a line
the guard refuses still fails with the constructor's own error.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderhub import Money
from orderhub import _billing as billing
from orderhub._billing import BillableLine, Invoice, InvoiceLine, build_invoice
from orderhub._receivables import Receivables
from orderhub._receivables_values import UnknownInvoice
from orderhub._tax import RateTable, TaxMode, TaxRounding
from orderhub.errors import ValidationError
from test_billing_properties import invoices_of, modes, orders, roundings, tax_tables

DAY = date(2026, 3, 2)


def rebuilt(value: Any) -> Any:
    """``value`` made again by its class's checking constructor, from its fields."""
    fields = {a.name: getattr(value, a.name) for a in attrs.fields(type(value))}
    return type(value)(**fields)


@given(orders(), tax_tables(), modes, roundings)
def test_trusted_invoices_pass_the_constructors(
    order: Any, table: RateTable, mode: TaxMode, rounding: TaxRounding
) -> None:
    _, lines, per_line = order
    for invoice in invoices_of(lines, per_line, table, mode, rounding):
        for line in invoice.lines:
            again = rebuilt(line)
            assert again == line
            assert type(again) is InvoiceLine
        billing._remember_checked(None)  # type: ignore[arg-type]  # forget: check it all
        again_invoice = rebuilt(invoice)
        assert billing._checked_content is not None  # it ran the full content checks
        assert again_invoice == invoice


def _billable(**kw: Any) -> BillableLine:
    base: dict[str, Any] = {
        "line_no": 1,
        "sku": "SKU-1",
        "description": "item",
        "unit_price": Money("10.00", "USD"),
        "ordered": 3,
        "shipped_now": 2,
    }
    return BillableLine(**{**base, **kw})


def _invoice(lines: list[BillableLine], mode: TaxMode = TaxMode.EXCLUSIVE) -> Invoice:
    return build_invoice(
        invoice_id="inv-1",
        number="N-1",
        order_id="ord-1",
        customer_id="cus-1",
        shipment_id=None,
        lines=lines,
        ship_to_country="XX",
        ship_to_region=None,
        tax=RateTable({"XX": Decimal("0.19")}),
        mode=mode,
        rounding=TaxRounding.PER_LINE,
        issued_on=DAY,
    )


def test_a_line_the_guard_refuses_fails_as_the_constructor_says(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A tax rule that answered a negative tax: the line is made by the constructor, which
    # refuses it with its own error, and the invoice is not trusted.
    monkeypatch.setattr(billing, "line_taxes", lambda bases, *a: [-1 for _ in bases])
    with pytest.raises(ValidationError) as caught:
        _invoice([_billable()])
    assert caught.value.field == "tax"
    assert caught.value.reason == "must not be negative"


def test_trusted_lines_equal_checked_ones_inclusive_and_discounted() -> None:
    line = _billable(line_discount=Money("1.00", "USD"), order_discount=Money("0.01", "USD"))
    for mode in TaxMode:
        invoice = _invoice([line, _billable(line_no=2, shipped_now=0)], mode)
        assert [rebuilt(x) for x in invoice.lines] == list(invoice.lines)
        billing._remember_checked(None)  # type: ignore[arg-type]
        assert rebuilt(invoice) == invoice


def test_is_open_agrees_with_the_view() -> None:
    ledger = Receivables()
    amount = Money("100.00", "USD")
    for n in (1, 2):
        ledger.add_invoice(
            invoice_id=f"inv-{n}",
            customer_id="cus-1",
            number=f"N-{n}",
            currency="USD",
            amount=amount,
            issued_on=DAY,
            due_on=DAY,
            instalments=((Money("40.00", "USD"), DAY), (Money("60.00", "USD"), DAY))
            if n == 2
            else (),
        )
    steps = [Money("30.00", "USD"), Money("70.00", "USD"), Money("50.00", "USD")]
    for i, paid in enumerate([None, *steps]):
        if paid is not None:
            ledger.record_payment(
                payment_id=f"pay-{i}", customer_id="cus-1", amount=paid, received_on=DAY
            )
        for inv in ("inv-1", "inv-2"):
            assert ledger._is_open(inv) == ledger.item(inv).is_open
    assert not ledger._is_open("inv-1")
    with pytest.raises(UnknownInvoice) as caught:
        ledger._is_open("nope")
    with pytest.raises(UnknownInvoice) as expected:
        ledger.item("nope")
    assert (caught.value.field, caught.value.reason) == (
        expected.value.field,
        expected.value.reason,
    )


@given(st.integers(0, 10**6), st.integers(1, 9), st.integers(0, 9))
def test_trusted_lines_of_any_price(price: int, ordered: int, before: int) -> None:
    before = min(before, ordered - 1)
    line = _billable(
        unit_price=Money.from_minor(price, "USD"),
        ordered=ordered,
        shipped_before=before,
        shipped_now=ordered - before,
        line_discount=Money.from_minor(price * ordered // 3, "USD"),
    )
    for mode in TaxMode:
        invoice = _invoice([line], mode)
        assert [rebuilt(x) for x in invoice.lines] == list(invoice.lines)
