"""Invoicing: tax policies, payment terms, invoices per shipment, credit notes, adjustments."""

from __future__ import annotations

import copy
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import attrs
import pytest

from orderhub import LineQuantities, Money, OrderLine
from orderhub._billing import (
    BillableLine,
    Invoice,
    InvoiceKind,
    build_adjustment,
    build_credit_note,
    build_invoice,
    credited_units,
    discount_share,
)
from orderhub._tax import RateTable, TaxMode, TaxPolicy, TaxRounding
from orderhub._terms import Instalment, PaymentTerms
from orderhub.errors import CurrencyMismatch, InvalidMoney, InvalidQuantity, ValidationError

D = Decimal
DAY = date(2026, 3, 2)
RATES = RateTable(
    {
        "US-NY": D("0.08875"),
        "US-NY:food": D("0"),
        "US": D("0.05"),
        "DE": D("0.19"),
        "DE:books": D("0.07"),
    },
    default=D("0.10"),
)


def usd(amount: str) -> Money:
    """``amount`` US dollars."""
    return Money(amount, "USD")


def line(
    line_no: int = 1,
    price: str = "10.00",
    *,
    currency: str = "USD",
    ordered: int = 1,
    now: int | None = None,
    before: int = 0,
    line_discount: str = "0",
    order_discount: str = "0",
    category: str | None = None,
) -> BillableLine:
    """A billable line of SKU ``SKU-<line_no>``; ships everything ordered unless told."""
    return BillableLine(
        line_no=line_no,
        sku=f"SKU-{line_no}",
        description=f"item {line_no}",
        category=category,
        unit_price=Money(price, currency),
        ordered=ordered,
        shipped_before=before,
        shipped_now=ordered - before if now is None else now,
        line_discount=Money.rounded(line_discount, currency),
        order_discount=Money.rounded(order_discount, currency),
    )


def invoice(
    lines: list[BillableLine],
    *,
    country: str | None = "US",
    region: str | None = "NY",
    tax: TaxPolicy = RATES,
    **kw: Any,
) -> Invoice:
    """An invoice of ``lines`` shipped to New York unless told otherwise."""
    fields: dict[str, Any] = {
        "invoice_id": "inv-1",
        "number": "2026-0001",
        "order_id": "ord-1",
        "customer_id": "cus-1",
        "shipment_id": "shp-1",
        "issued_on": DAY,
    }
    fields.update(kw)
    return build_invoice(
        lines=lines, ship_to_country=country, ship_to_region=region, tax=tax, **fields
    )


def credit(inv: Invoice, n: int = 1, **kw: Any) -> Invoice:
    """Credit note ``cn-<n>`` for ``inv``, issued a week later."""
    fields: dict[str, Any] = {
        "credit_note_id": f"cn-{n}",
        "number": f"CN-{n}",
        "issued_on": DAY + timedelta(days=7),
        "reason": "returned",
    }
    fields.update(kw)
    return build_credit_note(inv, **fields)


# -- tax policy -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("country", "region", "category", "rate"),
    [
        ("US", "NY", "food", "0"),  # country-region:category
        ("US", "NY", "toys", "0.08875"),  # country-region
        ("DE", None, "books", "0.07"),  # country:category
        ("DE", "BY", "books", "0.07"),  # country:category beats country when no region key
        ("US", "CA", None, "0.05"),  # country
        ("FR", None, None, "0.10"),  # default
        (None, None, "books", "0.10"),  # no country: default
    ],
)
def test_rate_table_takes_the_most_specific_rate(
    country: str | None, region: str | None, category: str | None, rate: str
) -> None:
    """The rate table picks country-region:category, then region, country:category, country."""
    found = RATES.rate(country=country, region=region, category=category, on=DAY)

    assert found == D(rate)


def test_rate_table_matches_country_and_region_in_any_case() -> None:
    """Keys and questions are matched on country and region without regard to case."""
    table = RateTable({"us-ny": D("0.08875")})

    assert table.rate(country="US", region="ny", category=None, on=DAY) == D("0.08875")


@pytest.mark.parametrize(
    "rates",
    [
        {"DE": 0.19},
        {"DE": D("-0.01")},
        {"DE": D("NaN")},
        {"Germany": D("0.19")},
        {"DE:": D("0.19")},
        {"DE": D("0.19"), "de": D("0.19")},
    ],
)
def test_rate_table_refuses_floats_negative_rates_and_bad_keys(rates: dict[str, Any]) -> None:
    """Floats, negative or non-finite rates, malformed and repeated keys are refused."""
    with pytest.raises(ValidationError):
        RateTable(rates)


def test_rate_table_refuses_a_float_default() -> None:
    """The default rate follows the same rules as the table's."""
    with pytest.raises(ValidationError, match="default"):
        RateTable({}, default=0.1)  # type: ignore[arg-type]


def test_rate_table_is_a_tax_policy() -> None:
    """The built-in rate table implements the TaxPolicy protocol."""
    assert isinstance(RATES, TaxPolicy)


# -- payment terms ----------------------------------------------------------------------------


def test_two_ten_net_thirty() -> None:
    """2/10 net 30: due in 30 days, 2 % off until day 10."""
    terms = PaymentTerms.parse("2/10 net 30")

    assert terms == PaymentTerms(net_days=30, discount_percent=D(2), discount_days=10)
    assert terms.due_on(DAY) == date(2026, 4, 1)
    assert terms.discount_until(DAY) == date(2026, 3, 12)
    assert terms.discount(usd("313.55")) == usd("6.27")
    assert str(terms) == "2/10 net 30"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("net 30", PaymentTerms(net_days=30)),
        ("Net30", PaymentTerms(net_days=30)),
        ("n/45", PaymentTerms(net_days=45)),
        ("2/10, n/30", PaymentTerms(net_days=30, discount_percent=D(2), discount_days=10)),
        ("1.5/15 net 60", PaymentTerms(net_days=60, discount_percent=D("1.5"), discount_days=15)),
        ("due on receipt", PaymentTerms()),
        ("Due upon receipt", PaymentTerms()),
    ],
)
def test_terms_parse_the_usual_notations(text: str, expected: PaymentTerms) -> None:
    """Terms are read from their usual notations, in any case and spacing."""
    assert PaymentTerms.parse(text) == expected


@pytest.mark.parametrize("text", ["", "net", "30 days", "2/40 net 30", "net -5", "2/10"])
def test_terms_refuse_what_they_cannot_read(text: str) -> None:
    """Text that is not terms, or a discount window past the due date, is refused."""
    with pytest.raises(ValidationError):
        PaymentTerms.parse(text)


def test_due_on_receipt_has_no_discount() -> None:
    """Terms due on receipt fall due on the invoice date and discount nothing."""
    terms = PaymentTerms()

    assert terms.due_on(DAY) == DAY
    assert terms.discount_until(DAY) is None
    assert terms.discount(usd("99.99")) == usd("0.00")
    assert str(terms) == "due on receipt"


def test_instalments_split_the_total_exactly() -> None:
    """Instalment amounts are allocated by share, summing exactly to the total."""
    terms = PaymentTerms(
        instalments=(
            Instalment(D("0.4"), 0),
            Instalment(D("0.3"), 30),
            Instalment(D("0.3"), 60),
        )
    )

    parts = terms.instalment_amounts(usd("100.01"))

    assert parts == ((usd("40.01"), 0), (usd("30.00"), 30), (usd("30.00"), 60))
    assert terms.due_on(DAY) == DAY + timedelta(days=60)


@pytest.mark.parametrize(
    "fields",
    [
        {"instalments": (Instalment(D("0.5"), 0), Instalment(D("0.4"), 30))},
        {"instalments": (Instalment(D("0.5"), 30), Instalment(D("0.5"), 30))},
        {"discount_percent": D(2)},
        {"net_days": -1},
        {"net_days": 10, "discount_percent": D(100), "discount_days": 5},
    ],
)
def test_terms_refuse_inconsistent_fields(fields: dict[str, Any]) -> None:
    """Shares not summing to 1, repeated due days, half a discount and bad numbers are refused."""
    with pytest.raises(ValidationError):
        PaymentTerms(**fields)


def test_instalment_refuses_a_float_share() -> None:
    """An instalment's share is exact: floats are refused."""
    with pytest.raises(ValidationError):
        Instalment(0.5, 30)  # type: ignore[arg-type]


# -- discount shares --------------------------------------------------------------------------


def test_discount_share_over_two_partial_shipments_sums_exactly() -> None:
    """A 10.00 discount on 3 units ships as 3.33 + 6.67, or 6.67 + 3.33 the other way."""
    total = usd("10.00")

    one_then_two = [discount_share(total, 3, 0, 1), discount_share(total, 3, 1, 2)]
    two_then_one = [discount_share(total, 3, 0, 2), discount_share(total, 3, 2, 1)]

    assert one_then_two == [usd("3.33"), usd("6.67")]
    assert two_then_one == [usd("6.67"), usd("3.33")]


def test_discount_share_refuses_units_past_the_ordered_quantity() -> None:
    """Shipping past the ordered quantity has no share."""
    with pytest.raises(InvalidQuantity):
        discount_share(usd("1.00"), 3, 2, 2)


def test_invoices_of_two_shipments_spread_discounts_exactly() -> None:
    """Line and order discounts split over two shipments sum to exactly the line's discounts."""
    first = invoice(
        [line(price="49.99", ordered=3, now=1, line_discount="5", order_discount="2.51")]
    )
    second = invoice(
        [line(price="49.99", ordered=3, before=1, line_discount="5", order_discount="2.51")],
        invoice_id="inv-2",
    )

    discounts = first.lines[0].discount + second.lines[0].discount
    nets = first.net_total + second.net_total

    assert first.lines[0].discount == usd("2.50")
    assert discounts == usd("7.51")
    assert nets == usd("149.97") - usd("7.51")


# -- invoices ---------------------------------------------------------------------------------


def test_us_sales_tax_is_added_to_net_prices() -> None:
    """Exclusive NY sales tax: each line's tax is net × 8.875 % rounded half-up, food exempt."""
    inv = invoice(
        [
            line(1, "149.00", ordered=2, line_discount="10.00"),
            line(2, "9.99", ordered=3),
            line(3, "4.25", category="food"),
        ]
    )

    assert [(x.net, x.tax, x.total) for x in inv.lines] == [
        (usd("288.00"), usd("25.56"), usd("313.56")),
        (usd("29.97"), usd("2.66"), usd("32.63")),
        (usd("4.25"), usd("0.00"), usd("4.25")),
    ]
    assert (inv.net_total, inv.tax_total, inv.grand_total) == (
        usd("322.22"),
        usd("28.22"),
        usd("350.44"),
    )
    assert inv.tax_mode is TaxMode.EXCLUSIVE
    assert inv.kind is InvoiceKind.INVOICE


def test_eu_vat_is_taken_out_of_inclusive_prices() -> None:
    """Inclusive German VAT: tax = price × rate / (1 + rate), net = price − tax."""
    inv = invoice(
        [
            line(1, "119.00", currency="EUR"),
            line(2, "10.00", currency="EUR", category="books"),
        ],
        country="DE",
        region=None,
        mode=TaxMode.INCLUSIVE,
    )

    assert [(x.gross, x.net, x.tax, x.total) for x in inv.lines] == [
        (
            Money("119.00", "EUR"),
            Money("100.00", "EUR"),
            Money("19.00", "EUR"),
            Money("119.00", "EUR"),
        ),
        (Money("10.00", "EUR"), Money("9.35", "EUR"), Money("0.65", "EUR"), Money("10.00", "EUR")),
    ]
    assert inv.grand_total == Money("129.00", "EUR")
    assert inv.net_total + inv.tax_total == inv.grand_total


def test_tax_rounded_per_invoice_is_spread_back_over_the_lines() -> None:
    """Per-invoice rounding rounds each rate group once and spreads it so lines still sum."""
    lines = [line(n, "0.10") for n in (1, 2, 3)]
    five_percent = RateTable({"US": D("0.05")})

    per_line = invoice(lines, tax=five_percent)
    per_invoice = invoice(lines, tax=five_percent, rounding=TaxRounding.PER_INVOICE)

    assert per_line.tax_total == usd("0.03")  # 0.005 rounds up on every line
    assert per_invoice.tax_total == usd("0.02")  # 0.015 rounds up once
    assert [x.tax for x in per_invoice.lines] == [usd("0.01"), usd("0.01"), usd("0.00")]


def test_per_invoice_rounding_groups_lines_by_rate() -> None:
    """Lines at different rates are rounded in separate groups."""
    inv = invoice(
        [
            line(1, "0.10", currency="EUR"),
            line(2, "0.10", currency="EUR"),
            line(3, "0.10", currency="EUR", category="books"),
            line(4, "0.10", currency="EUR", category="books"),
        ],
        country="DE",
        region=None,
        rounding=TaxRounding.PER_INVOICE,
    )

    assert [x.tax.amount for x in inv.lines] == [D("0.02"), D("0.02"), D("0.01"), D("0.00")]


def test_yen_invoices_have_no_decimals() -> None:
    """In JPY every amount is whole yen; 10 % of 1,205 yen rounds half-up to 121."""
    inv = invoice(
        [line(1, "1205", currency="JPY", ordered=2, order_discount="1205")],
        country="JP",
        region=None,
    )

    assert inv.lines[0].net == Money(1205, "JPY")
    assert inv.tax_total == Money(121, "JPY")
    assert inv.grand_total == Money(1326, "JPY")


def test_dinar_invoices_have_three_decimals() -> None:
    """In KWD amounts keep three decimals: 5 % of 4.125 × 3 is 0.619 (0.61875 half-up)."""
    inv = invoice(
        [line(1, "4.125", currency="KWD", ordered=3)],
        country="KW",
        region=None,
        tax=RateTable({"KW": D("0.05")}),
    )

    assert inv.lines[0].net == Money("12.375", "KWD")
    assert inv.tax_total == Money("0.619", "KWD")
    assert inv.grand_total == Money("12.994", "KWD")


def test_lines_with_nothing_shipped_now_are_left_out() -> None:
    """A line with no units in this shipment does not appear on its invoice."""
    inv = invoice([line(1, ordered=2, now=0), line(2, ordered=1)])

    assert [x.line_no for x in inv.lines] == [2]


def test_invoice_takes_due_date_and_discount_window_from_terms() -> None:
    """The invoice's due date and discount window follow from its terms and date."""
    inv = invoice([line(1, "100.00")], terms=PaymentTerms.parse("2/10 net 30"))

    assert inv.due_on == DAY + timedelta(days=30)
    assert inv.discount_until == DAY + timedelta(days=10)
    assert inv.early_payment_discount == usd("2.18")


def test_invoice_lists_its_instalments_with_dates() -> None:
    """An invoice with instalment terms lists each part with its due date, summing exactly."""
    terms = PaymentTerms(instalments=(Instalment(D("0.5"), 0), Instalment(D("0.5"), 30)))
    inv = invoice([line(1, "100.01", category="food")], terms=terms)

    assert inv.instalments() == (
        (usd("50.01"), DAY),
        (usd("50.00"), DAY + timedelta(days=30)),
    )


def test_billable_line_from_an_order_line() -> None:
    """A billable line carries over an order line's price, discounts and category."""
    order_line = OrderLine(
        line_no=2,
        sku="TENT",
        description="2-person tent",
        unit_price=usd("149.00"),
        quantities=LineQuantities(ordered=3, open=0, shipped=1, allocated=2),
        line_discount=usd("10.00"),
        order_discount=usd("4.47"),
        category="camp",
    )

    billable = BillableLine.of(order_line, shipped_before=1, shipped_now=2)

    assert (billable.ordered, billable.category, billable.discount_total) == (
        3,
        "camp",
        usd("14.47"),
    )
    assert billable.discount_now == usd("9.65")


# -- invoices: refusals -----------------------------------------------------------------------


def test_an_invoice_with_nothing_shipped_is_refused() -> None:
    """No units shipped now means no invoice."""
    with pytest.raises(ValidationError, match="nothing was shipped"):
        invoice([line(1, ordered=2, now=0)])


def test_an_invoice_in_two_currencies_is_refused() -> None:
    """Every line of an invoice is in one currency."""
    with pytest.raises(CurrencyMismatch):
        invoice([line(1), line(2, currency="EUR")])


def test_repeated_line_numbers_are_refused() -> None:
    """Two lines with one number cannot be told apart on a credit note."""
    with pytest.raises(ValidationError, match="repeat"):
        invoice([line(1), line(1)])


class FloatTax:
    """A tax policy that answers with a float, as a careless host might."""

    def rate(
        self, *, country: str | None, region: str | None, category: str | None, on: date
    ) -> Any:
        """0.2 as a float."""
        return 0.2


def test_a_tax_policy_answering_a_float_is_refused() -> None:
    """A rate that is a float is refused, naming the line."""
    with pytest.raises(ValidationError, match="line 1"):
        invoice([line(1)], tax=FloatTax())


@pytest.mark.parametrize(
    "fields",
    [
        {"ordered": 2, "shipped_before": 1, "shipped_now": 2},
        {"ordered": 1, "shipped_now": -1},
        {"ordered": 1, "shipped_now": 1, "line_discount": usd("10.01")},
        {"ordered": 1, "shipped_now": 1, "order_discount": Money("1.00", "EUR")},
        {"ordered": 1, "shipped_now": True},
    ],
)
def test_billable_line_refuses_impossible_quantities_and_discounts(fields: dict[str, Any]) -> None:
    """Shipping past the order, negative or boolean counts and oversized discounts are refused."""
    with pytest.raises(ValidationError):
        BillableLine(line_no=1, sku="X", description="x", unit_price=usd("10.00"), **fields)


def test_an_invoice_whose_totals_do_not_add_up_cannot_exist() -> None:
    """Tampering with a total fails the post-init identities."""
    inv = invoice([line(1, "10.00")])

    with pytest.raises(ValidationError, match="net_total"):
        attrs.evolve(inv, net_total=usd("10.01"))
    with pytest.raises(ValidationError, match="grand_total"):
        attrs.evolve(inv, grand_total=inv.grand_total + usd("0.01"))
    with pytest.raises(ValidationError, match="tax_total"):
        attrs.evolve(inv, tax_total=usd("0.00"))


def test_an_invoice_line_whose_total_is_not_net_plus_tax_cannot_exist() -> None:
    """Each line's total is net + tax, exactly."""
    inv = invoice([line(1, "10.00")])

    with pytest.raises(ValidationError, match="total"):
        attrs.evolve(inv.lines[0], total=usd("10.00"))


def test_amounts_finer_than_the_currency_are_refused() -> None:
    """A price with more decimals than its currency has never reaches an invoice."""
    with pytest.raises(InvalidMoney):
        line(1, "10.5", currency="JPY")


# -- credit notes -----------------------------------------------------------------------------


def test_a_full_credit_reverses_the_invoice_to_exactly_zero() -> None:
    """Crediting a whole invoice gives its amounts line for line, so the balance is zero."""
    inv = invoice(
        [
            line(1, "149.00", ordered=3, line_discount="10.00", order_discount="0.01"),
            line(2, "9.99", ordered=7),
        ]
    )

    note = credit(inv)

    assert note.kind is InvoiceKind.CREDIT_NOTE
    assert note.credits == inv.id
    assert [attrs.evolve(x) for x in note.lines] == list(inv.lines)
    assert inv.signed_total + note.signed_total == usd("0.00")
    assert note.due_on == note.issued_on
    assert note.reason == "returned"


def test_partial_credits_sum_exactly_to_the_invoice_line() -> None:
    """Crediting 1, then 1, then the last unit of a line sums to exactly that line."""
    inv = invoice([line(1, "149.00", ordered=3, line_discount="10.00")])

    first = credit(inv, 1, lines={1: 1})
    second = credit(inv, 2, lines={1: 1}, credited_before={1: 1})
    third = credit(inv, 3, credited_before={1: 2})

    notes = [first, second, third]
    assert [n.lines[0].net for n in notes] == [usd("145.67"), usd("145.66"), usd("145.67")]
    assert sum((n.grand_total.amount for n in notes), D(0)) == inv.grand_total.amount
    assert sum((n.tax_total.amount for n in notes), D(0)) == inv.tax_total.amount
    for n in notes:
        x = n.lines[0]
        assert x.gross - x.discount == x.net


def test_partial_credit_of_an_inclusive_invoice_keeps_its_identities() -> None:
    """On an inclusive-price credit note, gross − discount = total and net + tax = total."""
    inv = invoice(
        [line(1, "19.99", currency="EUR", ordered=3, line_discount="1.00")],
        country="DE",
        region=None,
        mode=TaxMode.INCLUSIVE,
    )

    note = credit(inv, lines={1: 1})

    x = note.lines[0]
    assert x.gross - x.discount == x.total == x.net + x.tax
    assert x.total == Money("19.66", "EUR")


def test_crediting_more_units_than_invoiced_is_refused() -> None:
    """A credit past the units invoiced less those credited before is refused."""
    inv = invoice([line(1, "10.00", ordered=3)])
    before = copy.deepcopy(inv)

    with pytest.raises(InvalidQuantity, match="only 1 unit"):
        credit(inv, lines={1: 2}, credited_before={1: 2})
    with pytest.raises(InvalidQuantity):
        credit(inv, lines={1: 4})
    assert inv == before


def test_a_fully_credited_invoice_has_nothing_left_to_credit() -> None:
    """Once every unit is credited, another full credit is refused."""
    inv = invoice([line(1, "10.00", ordered=3)])

    with pytest.raises(ValidationError, match="nothing left"):
        credit(inv, credited_before={1: 3})


@pytest.mark.parametrize(
    "fields",
    [
        {"lines": {9: 1}},
        {"lines": {1: 0}},
        {"lines": {1: -1}},
        {"credited_before": {1: 4}},
        {"reason": ""},
        {"issued_on": DAY - timedelta(days=1)},
    ],
)
def test_malformed_credit_notes_are_refused(fields: dict[str, Any]) -> None:
    """Unknown lines, empty or negative counts, no reason, or a date before the invoice."""
    inv = invoice([line(1, "10.00", ordered=3)])

    with pytest.raises(ValidationError):
        credit(inv, **fields)


def test_a_credit_note_cannot_be_credited() -> None:
    """Only invoices are credited."""
    inv = invoice([line(1, "10.00")])
    note = credit(inv)

    with pytest.raises(ValidationError, match="only an invoice"):
        credit(note, 2)


def test_credited_units_counts_the_units_of_earlier_credit_notes() -> None:
    """The units credited so far per line come from the credit notes of that invoice."""
    inv = invoice([line(1, "10.00", ordered=3), line(2, "5.00", ordered=2)])
    first = credit(inv, 1, lines={1: 1, 2: 2})
    second = credit(inv, 2, lines={1: 1}, credited_before=credited_units([first], inv.id))

    assert credited_units([first, second], inv.id) == {1: 2, 2: 2}
    assert credited_units([first, second], "other") == {}


def test_a_credit_past_the_amount_credited_before_is_refused() -> None:
    """With the amount credited so far, a credit that would exceed the invoice is refused."""
    inv = invoice([line(1, "10.00", ordered=2, category="food")])

    with pytest.raises(ValidationError, match="more than the invoice"):
        credit(inv, lines={1: 2}, credited_amount_before=usd("0.01"))


# -- price adjustments ------------------------------------------------------------------------


def test_a_price_adjustment_is_spread_by_value_with_proportional_tax() -> None:
    """A 10.00 net adjustment spreads over lines by net; each line's tax follows its own rate."""
    inv = invoice([line(1, "30.00"), line(2, "10.00", category="food")])

    note = build_adjustment(
        inv,
        credit_note_id="cn-1",
        number="CN-1",
        issued_on=DAY,
        reason="scratched box",
        amount=usd("10.00"),
    )

    assert [(x.net, x.tax, x.quantity) for x in note.lines] == [
        (usd("7.50"), usd("0.67"), 0),
        (usd("2.50"), usd("0.00"), 0),
    ]
    assert note.net_total == usd("10.00")
    assert note.grand_total == usd("10.67")


def test_an_inclusive_adjustment_includes_the_tax() -> None:
    """Under inclusive prices, the adjustment amount is what the customer's total drops by."""
    inv = invoice(
        [line(1, "119.00", currency="EUR")], country="DE", region=None, mode=TaxMode.INCLUSIVE
    )

    note = build_adjustment(
        inv,
        credit_note_id="cn-1",
        number="CN-1",
        issued_on=DAY,
        reason="goodwill",
        amount=Money("11.90", "EUR"),
    )

    assert (note.net_total, note.tax_total, note.grand_total) == (
        Money("10.00", "EUR"),
        Money("1.90", "EUR"),
        Money("11.90", "EUR"),
    )


@pytest.mark.parametrize(
    ("amount", "before"),
    [(usd("0.00"), None), (usd("20.01"), None), (usd("5.00"), usd("18.00"))],
)
def test_an_adjustment_beyond_the_invoice_is_refused(amount: Money, before: Money | None) -> None:
    """An adjustment must be positive, within the invoice, and within what is left of it."""
    inv = invoice([line(1, "20.00", category="food")])

    with pytest.raises(ValidationError):
        build_adjustment(
            inv,
            credit_note_id="cn-1",
            number="CN-1",
            issued_on=DAY,
            reason="goodwill",
            amount=amount,
            credited_amount_before=before,
        )
