"""Properties of invoicing: exact identities, discounts spread over any shipments, credits."""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from orderhub import Money
from orderhub._billing import (
    BillableLine,
    Invoice,
    InvoiceLine,
    build_adjustment,
    build_credit_note,
    build_invoice,
    discount_share,
)
from orderhub._tax import RateTable, TaxMode, TaxRounding
from orderhub.errors import InvalidQuantity

D = Decimal
DAY = date(2026, 3, 2)
CATEGORIES = (None, "a", "b")

currencies = st.sampled_from(["JPY", "USD", "KWD"])
rates = st.sampled_from(
    [D(0), D("0.05"), D("0.07"), D("0.0825"), D("0.08875"), D("0.125"), D("0.175"), D("0.19")]
)
modes = st.sampled_from(TaxMode)
roundings = st.sampled_from(TaxRounding)


@st.composite
def tax_tables(draw: st.DrawFn) -> RateTable:
    """A rate table for country XX with a rate per category."""
    return RateTable({"XX": draw(rates), "XX:a": draw(rates), "XX:b": draw(rates)})


@st.composite
def order_lines(draw: st.DrawFn, currency: str) -> list[dict[str, Any]]:
    """1–4 order lines: price, ordered quantity, line and order discounts within the value."""
    out = []
    for n in range(1, draw(st.integers(1, 4)) + 1):
        price = draw(st.integers(0, 100_000))
        ordered = draw(st.integers(1, 12))
        value = price * ordered
        line_discount = draw(st.integers(0, value))
        order_discount = draw(st.integers(0, value - line_discount))
        out.append(
            {
                "line_no": n,
                "sku": f"SKU-{n}",
                "description": f"item {n}",
                "category": draw(st.sampled_from(CATEGORIES)),
                "unit_price": Money.from_minor(price, currency),
                "ordered": ordered,
                "line_discount": Money.from_minor(line_discount, currency),
                "order_discount": Money.from_minor(order_discount, currency),
            }
        )
    return out


@st.composite
def splits(draw: st.DrawFn, ordered: int, shipments: int) -> list[int]:
    """Units per shipment of a line: ``shipments`` parts summing to at most ``ordered``."""
    shipped = draw(st.integers(0, ordered))
    cuts = sorted(
        draw(st.lists(st.integers(0, shipped), min_size=shipments - 1, max_size=shipments - 1))
    )
    bounds = [0, *cuts, shipped]
    return [b - a for a, b in itertools.pairwise(bounds)]


@st.composite
def orders(draw: st.DrawFn) -> tuple[str, list[dict[str, Any]], list[list[int]]]:
    """A currency, order lines, and how many units of each line every shipment carries."""
    currency = draw(currencies)
    lines = draw(order_lines(currency))
    count = draw(st.integers(1, 4))
    per_line = [draw(splits(line["ordered"], count)) for line in lines]
    return currency, lines, per_line


def invoices_of(
    lines: Sequence[dict[str, Any]],
    per_line: Sequence[Sequence[int]],
    table: RateTable,
    mode: TaxMode,
    rounding: TaxRounding,
) -> list[Invoice]:
    """The invoice of every shipment that carries anything."""
    shipped = [0] * len(lines)
    out = []
    for s in range(len(per_line[0])):
        billable = []
        for i, line in enumerate(lines):
            now = per_line[i][s]
            billable.append(BillableLine(shipped_before=shipped[i], shipped_now=now, **line))
            shipped[i] += now
        if any(b.shipped_now for b in billable):
            out.append(
                build_invoice(
                    invoice_id=f"inv-{s}",
                    number=f"N-{s}",
                    order_id="ord-1",
                    customer_id="cus-1",
                    shipment_id=f"shp-{s}",
                    lines=billable,
                    ship_to_country="XX",
                    ship_to_region=None,
                    tax=table,
                    mode=mode,
                    rounding=rounding,
                    issued_on=DAY,
                )
            )
    return out


def exact_tax(line: InvoiceLine, mode: TaxMode) -> Fraction:
    """The line's tax before rounding, in minor units."""
    r = Fraction(line.tax_rate)
    if mode is TaxMode.EXCLUSIVE:
        return line.net.minor_units * r
    return line.total.minor_units * r / (1 + r)


def value(line: InvoiceLine, mode: TaxMode) -> Money:
    """The line's amount in the prices' terms: net, or total when prices include tax."""
    return line.net if mode is TaxMode.EXCLUSIVE else line.total


def total(amounts: Sequence[Money], currency: str) -> Money:
    """Σ ``amounts``."""
    out = Money.zero(currency)
    for m in amounts:
        out = out + m
    return out


@given(orders(), tax_tables(), modes, roundings)
def test_invoice_identities_are_exact(
    order: tuple[str, list[dict[str, Any]], list[list[int]]],
    table: RateTable,
    mode: TaxMode,
    rounding: TaxRounding,
) -> None:
    """Every invoice's sums are exact and its tax is within half a minor unit of the truth."""
    currency, lines, per_line = order

    for inv in invoices_of(lines, per_line, table, mode, rounding):
        assert total([x.net for x in inv.lines], currency) == inv.net_total
        assert total([x.tax for x in inv.lines], currency) == inv.tax_total
        assert inv.net_total + inv.tax_total == inv.grand_total
        groups: dict[Decimal, list[InvoiceLine]] = defaultdict(list)
        for x in inv.lines:
            assert x.gross == x.unit_price * x.quantity
            assert x.gross - x.discount == value(x, mode)
            assert x.net + x.tax == x.total
            assert min(x.net, x.tax, x.discount) >= Money.zero(currency)
            groups[x.tax_rate].append(x)
        for group in (
            groups.values() if rounding is TaxRounding.PER_INVOICE else [[x] for x in inv.lines]
        ):
            rounded = sum(x.tax.minor_units for x in group)
            exact = sum((exact_tax(x, mode) for x in group), Fraction(0))
            assert abs(rounded - exact) <= Fraction(1, 2)


@given(orders(), tax_tables(), modes, roundings)
def test_all_shipments_of_an_order_bill_its_lines_exactly(
    order: tuple[str, list[dict[str, Any]], list[list[int]]],
    table: RateTable,
    mode: TaxMode,
    rounding: TaxRounding,
) -> None:
    """Σ invoiced per line is the shipped value less its discount shares, ≤ the shipped value;
    a fully shipped line bills exactly its value less its discounts."""
    currency, lines, per_line = order

    invoices = invoices_of(lines, per_line, table, mode, rounding)

    for i, line in enumerate(lines):
        billed = [x for inv in invoices for x in inv.lines if x.line_no == line["line_no"]]
        shipped = sum(per_line[i])
        shipped_value = line["unit_price"] * shipped
        discounts = total([x.discount for x in billed], currency)
        invoiced = total([value(x, mode) for x in billed], currency)
        assert invoiced == shipped_value - discounts
        assert invoiced <= shipped_value
        if shipped == line["ordered"]:
            assert discounts == line["line_discount"] + line["order_discount"]


@given(
    st.integers(-(10**9), 10**9),
    st.integers(1, 50),
    st.lists(st.integers(0, 50), min_size=1, max_size=6),
    currencies,
)
def test_discount_shares_of_any_split_sum_exactly(
    units: int, ordered: int, parts: list[int], currency: str
) -> None:
    """The shares of every shipment sum to the discount, each near its proportional share."""
    amount = Money.from_minor(abs(units), currency)
    split, left = [], ordered
    for p in parts:
        take = min(p, left)
        split.append(take)
        left -= take
    split.append(left)

    shares, before = [], 0
    for now in split:
        shares.append(discount_share(amount, ordered, before, now))
        before += now

    assert total(shares, currency) == amount
    for share, now in zip(shares, split, strict=True):
        assert Money.zero(currency) <= share <= amount
        assert abs(share.minor_units - Fraction(amount.minor_units * now, ordered)) < 1


@st.composite
def credit_plans(draw: st.DrawFn) -> tuple[Invoice, list[dict[int, int]]]:
    """An invoice and a sequence of credit requests, some of which ask for too much."""
    currency = draw(currencies)
    lines = draw(order_lines(currency))
    billable = [BillableLine(shipped_now=line["ordered"], **line) for line in lines]
    inv = build_invoice(
        invoice_id="inv-1",
        number="N-1",
        order_id="ord-1",
        customer_id="cus-1",
        shipment_id="shp-1",
        lines=billable,
        ship_to_country="XX",
        ship_to_region=None,
        tax=draw(tax_tables()),
        mode=draw(modes),
        rounding=draw(roundings),
        issued_on=DAY,
    )
    line_nos = [x.line_no for x in inv.lines]
    requests = draw(
        st.lists(
            st.dictionaries(st.sampled_from(line_nos), st.integers(0, 6), min_size=1),
            max_size=6,
        )
    )
    return inv, requests


@given(credit_plans())
def test_partial_credits_never_exceed_the_invoice_and_sum_to_it(
    plan: tuple[Invoice, list[dict[int, int]]],
) -> None:
    """Partial credits never exceed any amount of an invoice line; crediting every unit, in
    any number of notes, sums to the invoice exactly; over-credits are refused."""
    inv, requests = plan
    credited: dict[int, int] = defaultdict(int)
    notes: list[Invoice] = []
    fields = ("gross", "discount", "net", "tax", "total")

    def credit(lines: dict[int, int] | None) -> Invoice:
        return build_credit_note(
            inv,
            credit_note_id=f"cn-{len(notes)}",
            number=f"CN-{len(notes)}",
            issued_on=DAY + timedelta(days=len(notes)),
            reason="return",
            lines=lines,
            credited_before=dict(credited),
        )

    for request in requests:
        too_many = any(q > inv.line(n).quantity - credited[n] for n, q in request.items())
        if too_many or not any(request.values()):
            try:
                credit(request)
            except InvalidQuantity:
                assert too_many
            except ValueError:
                assert not too_many
            else:
                raise AssertionError("an over-credit or empty credit was accepted")
            continue
        notes.append(credit(request))
        for n, q in request.items():
            credited[n] += q
        for x in inv.lines:
            mine = [y for note in notes for y in note.lines if y.line_no == x.line_no]
            for f in fields:
                assert total([getattr(y, f) for y in mine], inv.currency) <= getattr(x, f)
    if any(credited[x.line_no] < x.quantity for x in inv.lines):
        notes.append(credit(None))

    for x in inv.lines:
        mine = [y for note in notes for y in note.lines if y.line_no == x.line_no]
        for f in fields:
            assert total([getattr(y, f) for y in mine], inv.currency) == getattr(x, f)
    for f in ("net_total", "tax_total", "grand_total"):
        assert total([getattr(note, f) for note in notes], inv.currency) == getattr(inv, f)


@given(credit_plans(), st.integers(1, 10**8))
def test_an_adjustment_never_exceeds_the_invoice(
    plan: tuple[Invoice, list[dict[int, int]]], units: int
) -> None:
    """An adjustment credits exactly its amount in price terms, and no line more than it has."""
    inv, _ = plan
    exclusive = inv.tax_mode is TaxMode.EXCLUSIVE
    room = (inv.net_total if exclusive else inv.grand_total).minor_units
    if room == 0:
        return
    amount = Money.from_minor(units % room + 1, inv.currency)

    note = build_adjustment(
        inv,
        credit_note_id="cn-1",
        number="CN-1",
        issued_on=DAY,
        reason="goodwill",
        amount=amount,
    )

    assert (note.net_total if exclusive else note.grand_total) == amount
    assert note.grand_total <= inv.grand_total
    for y in note.lines:
        x = inv.line(y.line_no)
        assert y.net <= x.net
        assert y.tax <= x.tax
