"""Credit notes: units credited back, and price adjustments, of an invoice.

Part of :mod:`orderhub._billing` (which re-exports these builders), kept apart so that
each module stays readable; the arithmetic follows the same rules: exact, in minor units.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from types import MappingProxyType

import attrs

from orderhub import _billing
from orderhub._billing import (
    Invoice,
    InvoiceKind,
    InvoiceLine,
    _count,
    _day,
    _money,
    _require,
    _text,
)
from orderhub._money import Money
from orderhub._tax import TaxMode, cumulative_share
from orderhub.errors import InvalidQuantity, ValidationError

__all__ = ["build_adjustment", "build_credit_note", "credited_units"]

_NO_CREDITS: Mapping[int, int] = MappingProxyType({})


def credited_units(credit_notes: Iterable[Invoice], invoice_id: str) -> dict[int, int]:
    """Units of each line of invoice ``invoice_id`` credited by ``credit_notes`` so far
    (price adjustments credit no units): the ``credited_before`` of the next credit note."""
    out: dict[int, int] = defaultdict(int)
    for note in credit_notes:
        if note.credits == invoice_id:
            for line in note.lines:
                if line.quantity:
                    out[line.line_no] += line.quantity
    return dict(out)


def _credit_header(
    invoice: Invoice, credit_note_id: str, number: str, issued_on: date, reason: str
) -> None:
    _require(isinstance(invoice, Invoice), "must be an Invoice", field="invoice", value=invoice)
    _require(
        invoice.kind is InvoiceKind.INVOICE,
        "only an invoice can be credited, not a credit note",
        field="invoice",
        value=invoice.id,
    )
    _text(credit_note_id, "credit_note_id")
    _text(number, "number")
    _text(reason, "reason")
    _day(issued_on, "issued_on")
    if issued_on < invoice.issued_on:
        raise ValidationError(
            "a credit note cannot precede its invoice",
            field="issued_on",
            value=str(issued_on),
            entity_id=invoice.id,
        )


def _credit_note(
    invoice: Invoice,
    credit_note_id: str,
    number: str,
    issued_on: date,
    reason: str,
    lines: Sequence[InvoiceLine],
    credited_amount_before: Money | None,
) -> Invoice:
    note = _billing._document(
        kind=InvoiceKind.CREDIT_NOTE,
        id=credit_note_id,
        number=number,
        order_id=invoice.order_id,
        customer_id=invoice.customer_id,
        currency=invoice.currency,
        issued_on=issued_on,
        lines=tuple(lines),
        tax_mode=invoice.tax_mode,
        shipment_id=invoice.shipment_id,
        credits=invoice.id,
        reason=reason,
    )
    if credited_amount_before is not None:
        before = _money(credited_amount_before, "credited_amount_before", invoice.currency)
        _require(
            before + note.grand_total <= invoice.grand_total,
            f"would credit more than the invoice's {invoice.grand_total}",
            field="credited_amount_before",
            value=str(before),
            entity_id=invoice.id,
        )
    return note


def _value(line: InvoiceLine, exclusive: bool) -> Money:
    """The line's value in the prices' terms: its net, or its total when prices include tax."""
    return line.net if exclusive else line.total


def _credit_line(
    line: InvoiceLine, exclusive: bool, quantity: int, gross: int, lo: int, hi: int
) -> InvoiceLine:
    """The credit of ``line``'s value from cumulative ``lo`` to ``hi`` minor units.

    The tax credited is cumulative in the value too (tax × value credited so far / value),
    so both the tax and the rest of the value only grow with what is credited.
    """
    whole, tax_all = _value(line, exclusive).minor_units, line.tax.minor_units
    tax = (
        cumulative_share(tax_all, hi, whole) - cumulative_share(tax_all, lo, whole) if whole else 0
    )
    value = hi - lo
    net = value if exclusive else value - tax
    c = line.unit_price.currency
    return attrs.evolve(
        line,
        quantity=quantity,
        gross=Money.from_minor(gross, c),
        discount=Money.from_minor(gross - value, c),
        net=Money.from_minor(net, c),
        tax=Money.from_minor(tax, c),
        total=Money.from_minor(net + tax, c),
    )


def _unit_counts(
    value: object, field: str, invoice: Invoice, limits: Mapping[int, int]
) -> dict[int, int]:
    """``value`` as {line number: units}, each within ``limits``; zero counts dropped."""
    if not isinstance(value, Mapping):
        raise ValidationError("must be a mapping", field=field, value=value)
    out = {}
    for n, q in value.items():
        _require(n in limits, "no such invoice line", field=field, value=n, entity_id=invoice.id)
        _count(q, f"{field}[{n}]", invoice.id)
        _require(
            q <= limits[n],
            f"line {n} has only {limits[n]} unit(s) left to credit",
            InvalidQuantity,
            field=f"{field}[{n}]",
            value=q,
            entity_id=invoice.id,
        )
        if q:
            out[n] = q
    return out


def build_credit_note(
    invoice: Invoice,
    *,
    credit_note_id: str,
    number: str,
    issued_on: date,
    reason: str,
    lines: Mapping[int, int] | None = None,
    credited_before: Mapping[int, int] = _NO_CREDITS,
    credited_amount_before: Money | None = None,
) -> Invoice:
    """A credit note for units of ``invoice`` (a return, a cancellation after invoicing).

    ``lines`` maps invoice line numbers to the units credited now; ``None`` credits every
    unit not yet credited, so a full credit of a fresh invoice equals it exactly and
    invoice − credit note = 0 to the minor unit. ``credited_before`` gives the units of each
    line credited by earlier credit notes (see :func:`credited_units`).

    Amounts follow the cumulative rule of :func:`discount_share`: the value credited for
    the first ``k`` of a line's ``n`` units is the line's value (its net, or its total when
    prices include tax) × k / n, rounded half-up, and the tax credited with a cumulative
    value ``v`` is the line's tax × v / value, rounded half-up. Both grow with ``k``, so the
    credit notes of a line never exceed it, no amount is negative, and crediting every
    unit, in any number of credit notes, sums to the invoice line exactly. Each credit line
    keeps gross − discount = net (exclusive) or total (inclusive), as on the invoice.

    ``credited_amount_before``, when given, is the grand total of every earlier credit note
    of the invoice (price adjustments included): a credit that would take the total credited
    past the invoice's grand total is refused.

    Raises:
        InvalidQuantity: more units than were invoiced less those already credited.
        ValidationError: nothing to credit, an unknown line, a malformed argument, or the
            invoice is itself a credit note.
    """
    _credit_header(invoice, credit_note_id, number, issued_on, reason)
    invoiced = {line.line_no: line.quantity for line in invoice.lines}
    before = _unit_counts(credited_before, "credited_before", invoice, invoiced)
    left = {n: q - before.get(n, 0) for n, q in invoiced.items()}
    if lines is None:
        wanted = {n: q for n, q in left.items() if q}
    else:
        wanted = _unit_counts(lines, "lines", invoice, left)
    _require(
        bool(wanted),
        "nothing left to credit" if lines is None else "no units to credit",
        field="lines",
        entity_id=invoice.id,
    )

    out = []
    exclusive = invoice.tax_mode is TaxMode.EXCLUSIVE
    for line in invoice.lines:
        now = wanted.get(line.line_no, 0)
        if not now:
            continue
        b, n = before.get(line.line_no, 0), line.quantity
        g, v = line.gross.minor_units, _value(line, exclusive).minor_units
        gross = cumulative_share(g, b + now, n) - cumulative_share(g, b, n)
        lo, hi = cumulative_share(v, b, n), cumulative_share(v, b + now, n)
        out.append(_credit_line(line, exclusive, now, gross, lo, hi))
    return _credit_note(
        invoice, credit_note_id, number, issued_on, reason, out, credited_amount_before
    )


def build_adjustment(
    invoice: Invoice,
    *,
    credit_note_id: str,
    number: str,
    issued_on: date,
    reason: str,
    amount: Money,
    credited_amount_before: Money | None = None,
) -> Invoice:
    """A credit note that lowers the price of ``invoice`` by ``amount`` (no units return).

    ``amount`` is in the invoice's price terms: before tax when its prices exclude tax
    (the tax follows), tax included when they include it. It is spread over the invoice
    lines by their value (nets, or totals when inclusive) with :meth:`Money.allocate`; each
    line's tax is its part × the line's own tax / its value, rounded half-up. Adjustment
    lines credit ``quantity`` 0; their ``gross`` is the value credited, ``discount`` zero.

    Raises:
        ValidationError: ``amount`` is not positive, exceeds the invoice's value, or — with
            ``credited_amount_before`` — would take the total credited past the invoice.
    """
    _credit_header(invoice, credit_note_id, number, issued_on, reason)
    currency = invoice.currency
    _money(amount, "amount", currency, invoice.id)
    exclusive = invoice.tax_mode is TaxMode.EXCLUSIVE
    value = invoice.net_total if exclusive else invoice.grand_total
    if amount.is_zero or amount > value:
        raise ValidationError(
            f"must lie above zero and at most the invoice's {value}",
            field="amount",
            value=str(amount),
            entity_id=invoice.id,
        )
    parts = amount.allocate([_value(line, exclusive) for line in invoice.lines])
    out = []
    for line, part in zip(invoice.lines, parts, strict=True):
        if part.is_zero:
            continue
        units = part.minor_units
        out.append(_credit_line(line, exclusive, 0, units, 0, units))
    return _credit_note(
        invoice, credit_note_id, number, issued_on, reason, out, credited_amount_before
    )
