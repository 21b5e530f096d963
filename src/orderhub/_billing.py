"""Invoices per shipment and credit notes: exact arithmetic in the currency's minor units.

Everything here is a pure function of its arguments: dates are passed in, numbers come from
the caller, nothing is read from a clock or stored. Amounts are computed as integers of minor
units and turned into :class:`Money` at the end, so that every identity holds exactly:
Σ line nets = net total, Σ line taxes = tax total, grand total = net + tax (EN 16931 BR-CO-10).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs

from orderhub._money import Money, exact_add, exact_mul
from orderhub._orders import OrderLine
from orderhub._statemachine import conforms
from orderhub._tax import (
    TaxMode,
    TaxPolicy,
    TaxRounding,
    check_rate,
    cumulative_share,
    line_taxes,
)
from orderhub._terms import PaymentTerms
from orderhub.errors import CurrencyMismatch, InvalidQuantity, ValidationError

__all__ = [
    "BillableLine",
    "Invoice",
    "InvoiceKind",
    "InvoiceLine",
    "build_adjustment",
    "build_credit_note",
    "build_invoice",
    "credited_units",
    "discount_share",
]


class InvoiceKind(enum.Enum):
    """An invoice (the customer owes) or a credit note (the customer owes less)."""

    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"


# -- small checks ---------------------------------------------------------------------------


def _require(
    ok: bool, reason: str, error: type[ValidationError] = ValidationError, **kw: Any
) -> None:
    if not ok:
        raise error(reason, **kw)


def _count(value: object, field: str, entity_id: str | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidQuantity(
            "must be an integer, 0 or more", field=field, value=value, entity_id=entity_id
        )
    return value


def _text(value: object, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError("must be a non-empty string", field=field, value=value)
    return value


def _day(value: object, field: str) -> date:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise ValidationError("must be a date (not a datetime)", field=field, value=value)
    return value


def _money(value: object, field: str, currency: str, entity_id: str | None = None) -> Money:
    if not isinstance(value, Money):
        raise ValidationError("must be Money", field=field, value=value, entity_id=entity_id)
    if value.currency != currency or value.is_negative:  # details built only on failure
        shown: dict[str, Any] = {"field": field, "value": str(value), "entity_id": entity_id}
        _require(value.currency == currency, f"must be in {currency}", CurrencyMismatch, **shown)
        _require(not value.is_negative, "must not be negative", **shown)
    return value


def _checked_money(
    value: object, field: str, currency: str, entity_id: str | None = None
) -> Money:
    """:func:`_money`'s checks and errors, the error's details built only on failure (for
    the hub's own hot path)."""
    if not isinstance(value, Money):
        raise ValidationError("must be Money", field=field, value=value, entity_id=entity_id)
    if value.currency != currency:
        raise CurrencyMismatch(
            f"must be in {currency}", field=field, value=str(value), entity_id=entity_id
        )
    if value.is_negative:
        raise ValidationError(
            "must not be negative", field=field, value=str(value), entity_id=entity_id
        )
    return value


# -- discount shares --------------------------------------------------------------------------


def discount_share(total: Money, ordered: int, before: int, now: int) -> Money:
    """The part of a line's discount ``total`` that belongs to units ``before+1 … before+now``.

    Defined cumulatively: the share of the first ``k`` of ``ordered`` units is
    ``total × k / ordered`` rounded half-up to the minor unit (``k = ordered`` gives exactly
    ``total``), and a shipment's share is the difference between two such cumulative shares.
    So the shares of every shipment of a line sum to exactly ``total``, however the line is
    split, and no share is negative or larger than ``total``.

    Raises:
        InvalidQuantity: ``ordered`` is not positive, or ``before``/``now`` are negative or
            reach past ``ordered``.
    """
    _require(isinstance(total, Money), "must be Money", field="total", value=total)
    for name, v in (("ordered", ordered), ("before", before), ("now", now)):
        _count(v, name)
    _require(
        ordered > 0 and before + now <= ordered,
        "need 0 < ordered and before + now ≤ ordered",
        InvalidQuantity,
        field="now",
        value=(ordered, before, now),
    )
    units = total.minor_units
    lo, hi = (
        cumulative_share(units, before, ordered),
        cumulative_share(units, before + now, ordered),
    )
    return Money.from_minor(hi - lo, total.currency)


# -- what the hub hands in ----------------------------------------------------------------------


def _zero_like(line: BillableLine) -> Money:
    return Money.zero(line.unit_price.currency)


@attrs.frozen(kw_only=True)
class BillableLine:
    """One order line's part in one shipment: what :func:`build_invoice` bills.

    ``line_discount`` and ``order_discount`` are the line's discounts for the whole
    ``ordered`` quantity (as fixed at capture); the invoice bills the share of them that
    belongs to the ``shipped_now`` units after the ``shipped_before`` ones
    (:func:`discount_share`).
    """

    line_no: int
    sku: str
    description: str
    unit_price: Money
    ordered: int
    shipped_now: int
    shipped_before: int = 0
    category: str | None = None
    line_discount: Money = attrs.field(default=attrs.Factory(_zero_like, takes_self=True))
    order_discount: Money = attrs.field(default=attrs.Factory(_zero_like, takes_self=True))

    def __attrs_post_init__(self) -> None:
        where = f"line {self.line_no}"
        _count(self.line_no, "line_no")
        _text(self.sku, "sku")
        d, cat = self.description, self.category
        if not isinstance(d, str):
            raise ValidationError("must be a string", field="description", value=d)
        if not (cat is None or isinstance(cat, str)):
            raise ValidationError("must be a str or None", field="category", value=cat)
        price = self.unit_price
        if not isinstance(price, Money):
            raise ValidationError("must be Money", field="unit_price", value=price)
        currency = price.currency
        _checked_money(price, "unit_price", currency, where)
        _checked_money(self.line_discount, "line_discount", currency, where)
        _checked_money(self.order_discount, "order_discount", currency, where)
        for name, n in (
            ("ordered", self.ordered),
            ("shipped_before", self.shipped_before),
            ("shipped_now", self.shipped_now),
        ):
            if n.__class__ is not int or n < 0:
                _count(n, name, where)  # raises, unless n is an int subclass (not bool)
        if self.shipped_before + self.shipped_now > self.ordered:
            raise InvalidQuantity(
                "shipped before and now must not exceed the ordered quantity",
                field="shipped_now",
                value=self.shipped_now,
                entity_id=where,
            )
        # discount_total <= price × ordered, by Money's own exact operations on the amounts
        # (the currencies are checked above).
        total = exact_add(self.line_discount.amount, self.order_discount.amount)
        if not total <= exact_mul(price.amount, self.ordered):
            raise ValidationError(
                "the discounts exceed the line's value",
                field="line_discount",
                value=str(self.discount_total),
                entity_id=where,
            )

    @classmethod
    def of(cls, line: OrderLine, *, shipped_now: int, shipped_before: int = 0) -> BillableLine:
        """The billable part of an order line: ``shipped_now`` units after ``shipped_before``."""
        return cls(
            line_no=line.line_no,
            sku=line.sku,
            description=line.description,
            category=line.category,
            unit_price=line.unit_price,
            ordered=line.quantities.ordered,
            shipped_before=shipped_before,
            shipped_now=shipped_now,
            line_discount=line.line_discount,
            order_discount=line.order_discount,
        )

    @property
    def currency(self) -> str:
        """The currency of the line."""
        return self.unit_price.currency

    @property
    def discount_total(self) -> Money:
        """Line and order discount together, for the whole ordered quantity."""
        return self.line_discount + self.order_discount

    @property
    def gross_now(self) -> Money:
        """Unit price × units shipped now."""
        return self.unit_price * self.shipped_now

    @property
    def discount_now(self) -> Money:
        """The share of both discounts that belongs to the units shipped now.

        The share is taken of the two discounts together, which keeps it within the gross
        of the units shipped now (two shares rounded apart could exceed it by a minor unit).
        """
        if not self.shipped_now:
            return _zero_like(self)
        return discount_share(
            self.discount_total, self.ordered, self.shipped_before, self.shipped_now
        )


# -- the documents --------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class InvoiceLine:
    """One line of an invoice or credit note; every amount is in the document's currency.

    On an invoice: ``gross`` = ``quantity`` × ``unit_price``; ``discount`` its share of the
    order line's discounts; both in the prices' terms, so they include tax under
    :attr:`TaxMode.INCLUSIVE`. ``net`` is always before tax, ``tax`` the line's tax and
    ``total`` = ``net`` + ``tax`` (exactly). Under ``EXCLUSIVE``, ``net`` = ``gross`` −
    ``discount``; under ``INCLUSIVE``, ``total`` = ``gross`` − ``discount``.

    On a credit note every amount is positive (it reduces what the customer owes); a price
    adjustment's lines have ``quantity`` 0, ``gross`` the value credited, no discount.
    """

    line_no: int
    sku: str
    description: str
    quantity: int
    unit_price: Money
    gross: Money
    discount: Money
    net: Money
    tax_rate: Decimal
    tax: Money
    total: Money

    def __attrs_post_init__(self) -> None:
        where = f"line {self.line_no}"
        _count(self.line_no, "line_no")
        _count(self.quantity, "quantity", where)
        price = self.unit_price
        _require(isinstance(price, Money), "must be Money", field="unit_price", value=price)
        for name in ("unit_price", "gross", "discount", "net", "tax", "total"):
            _money(getattr(self, name), name, price.currency, where)
        check_rate(self.tax_rate, "tax_rate")
        _require(
            self.net + self.tax == self.total,
            "total must equal net + tax",
            field="total",
            value=str(self.total),
            entity_id=where,
        )


_LINE_FIELDS: tuple[str, ...] = tuple(a.name for a in attrs.fields(InvoiceLine))
_set = object.__setattr__


def _trusted_line(fields: tuple[Any, ...]) -> InvoiceLine:
    """An :class:`InvoiceLine` of ``fields`` (in field order), made without its checks.

    Only for :func:`build_invoice`, whose lines pass them by construction: line number and
    quantity come from a checked :class:`BillableLine`, every amount is Money of the one
    currency made from minor units it has seen to be 0 or more, the rate is what
    :func:`check_rate` accepts, and the total is made as net + tax. The tests rebuild such
    lines with the constructor (tests/test_billing_fastpath.py).
    """
    line = object.__new__(InvoiceLine)
    for name, value in zip(_LINE_FIELDS, fields, strict=True):
        _set(line, name, value)
    return line


def _sum(amounts: Iterable[Money], currency: str) -> Money:
    total = Money.zero(currency)
    for m in amounts:
        total = total + m
    return total


# The content (lines, currency, totals, kind, tax mode) of the last document that passed
# its content checks, held so that a copy of it (attrs.evolve with a new id, number or
# shipment) is not checked line by line again. Compared by identity: the values are
# immutable, and holding them keeps their ids from being reused.
_checked_content: tuple[Any, ...] | None = None


def _remember_checked(content: tuple[Any, ...]) -> None:
    global _checked_content
    _checked_content = content


@attrs.frozen(kw_only=True)
class Invoice:
    """An invoice or a credit note, as an immutable document.

    Guarantees (checked on construction, so a document that breaks them cannot exist):
    every amount is in ``currency`` and not negative; Σ line nets = ``net_total``,
    Σ line taxes = ``tax_total``, ``grand_total`` = ``net_total`` + ``tax_total``, exactly;
    each line's total = net + tax, and its gross − discount is its net (exclusive prices) or
    its total (inclusive prices); an invoice line's gross is quantity × unit price; a credit
    note names the invoice it ``credits``, and an invoice names none.

    A credit note's amounts are positive and reduce the receivable: see
    :attr:`signed_total`. Credit notes are due on receipt and carry no discount window.
    """

    id: str
    number: str
    kind: InvoiceKind
    order_id: str | None
    customer_id: str
    currency: str
    issued_on: date
    lines: tuple[InvoiceLine, ...]
    net_total: Money
    tax_total: Money
    grand_total: Money
    tax_mode: TaxMode = TaxMode.EXCLUSIVE
    terms: PaymentTerms = attrs.field(factory=PaymentTerms)
    due_on: date
    discount_until: date | None = None
    shipment_id: str | None = None
    credits: str | None = None
    reason: str | None = None

    def __attrs_post_init__(self) -> None:
        eid = self.id if isinstance(self.id, str) else None
        _text(self.id, "id")
        _text(self.number, "number")
        _text(self.customer_id, "customer_id")
        for name, v, kind in (
            ("kind", self.kind, InvoiceKind),
            ("tax_mode", self.tax_mode, TaxMode),
            ("terms", self.terms, PaymentTerms),
        ):
            if not isinstance(v, kind):
                raise ValidationError(f"must be a {kind.__name__}", field=name, value=v)
        issued, due = self.issued_on, self.due_on
        _day(issued, "issued_on")
        _day(due, "due_on")
        if self.discount_until is not None:
            _day(self.discount_until, "discount_until")
        if not due >= issued:
            raise ValidationError(
                "cannot fall due before it is issued",
                field="due_on",
                value=str(due),
                entity_id=eid,
            )
        checked = _checked_content
        if (
            checked is not None
            and self.lines is checked[0]
            and self.currency is checked[1]
            and self.net_total is checked[2]
            and self.tax_total is checked[3]
            and self.grand_total is checked[4]
            and self.kind is checked[5]
            and self.tax_mode is checked[6]
        ):
            # The very lines and totals of the document checked last: a copy of it with a
            # new id, number or shipment (the hub numbers its draft invoice so). Every one
            # of these values is immutable, so they still pass; only the credits check
            # below depends on the rest.
            self._check_credits(eid)
            return
        self._check_content(eid)
        _remember_checked(
            (
                self.lines,
                self.currency,
                self.net_total,
                self.tax_total,
                self.grand_total,
                self.kind,
                self.tax_mode,
            )
        )

    def _check_credits(self, eid: str | None) -> None:
        is_invoice = self.kind is InvoiceKind.INVOICE
        _require(
            is_invoice == (self.credits is None),
            "a credit note names the invoice it credits, an invoice none",
            field="credits",
            value=self.credits,
            entity_id=eid,
        )

    def _check_content(self, eid: str | None) -> None:
        lines = self.lines
        _require(
            isinstance(lines, tuple)
            and bool(lines)
            and all(isinstance(x, InvoiceLine) for x in lines),
            "must be a non-empty tuple of InvoiceLine",
            field="lines",
            entity_id=eid,
        )
        numbers = [line.line_no for line in lines]
        _require(
            len(set(numbers)) == len(numbers), "line numbers repeat", field="lines", value=numbers
        )
        c = self.currency
        for line in lines:
            v = line.unit_price.currency
            _require(
                v == c, f"every line must be in {c}", CurrencyMismatch, field="currency", value=v
            )
        for name, total, parts, rule in (
            ("net_total", self.net_total, [x.net for x in lines], "Σ line nets"),
            ("tax_total", self.tax_total, [x.tax for x in lines], "Σ line taxes"),
            ("grand_total", self.grand_total, [self.net_total, self.tax_total], "net + tax"),
        ):
            _money(total, name, c, eid)
            _require(
                _sum(parts, c) == total,
                f"must equal {rule}",
                field=name,
                value=str(total),
                entity_id=eid,
            )
        self._check_credits(eid)
        is_invoice = self.kind is InvoiceKind.INVOICE
        exclusive = self.tax_mode is TaxMode.EXCLUSIVE
        for line in lines:
            _require(
                not is_invoice or line.gross == line.unit_price * line.quantity,
                "an invoice line's gross must be quantity × unit price",
                field="gross",
                value=str(line.gross),
                entity_id=f"{eid} line {line.line_no}",
            )
            _require(
                line.gross - line.discount == (line.net if exclusive else line.total),
                "gross − discount must equal the net (exclusive) or the total (inclusive)",
                field="discount",
                value=str(line.discount),
                entity_id=f"{eid} line {line.line_no}",
            )

    # -- reading -------------------------------------------------------------------------

    @property
    def is_credit_note(self) -> bool:
        """True for a credit note."""
        return self.kind is InvoiceKind.CREDIT_NOTE

    @property
    def signed_total(self) -> Money:
        """What this document does to the customer's balance: the grand total for an
        invoice, its negative for a credit note."""
        return -self.grand_total if self.is_credit_note else self.grand_total

    @property
    def early_payment_discount(self) -> Money:
        """The discount earned by paying the grand total by :attr:`discount_until`."""
        return self.terms.discount(self.grand_total)

    def line(self, line_no: int) -> InvoiceLine:
        """The line numbered ``line_no``."""
        for line in self.lines:
            if line.line_no == line_no:
                return line
        raise ValidationError("no such line", field="line_no", value=line_no, entity_id=self.id)

    def instalments(self) -> tuple[tuple[Money, date], ...]:
        """The grand total split by the terms' instalments: (amount, due date), summing exactly."""
        return tuple(
            (amount, self.issued_on + timedelta(days=days))
            for amount, days in self.terms.instalment_amounts(self.grand_total)
        )


# -- building invoices ---------------------------------------------------------------------------


def build_invoice(
    *,
    invoice_id: str,
    number: str,
    order_id: str | None,
    customer_id: str,
    shipment_id: str | None,
    lines: Sequence[BillableLine],
    ship_to_country: str | None,
    ship_to_region: str | None,
    tax: TaxPolicy,
    mode: TaxMode = TaxMode.EXCLUSIVE,
    rounding: TaxRounding = TaxRounding.PER_LINE,
    terms: PaymentTerms = PaymentTerms(),  # noqa: B008 - frozen value
    issued_on: date,
) -> Invoice:
    """The invoice for one shipment.

    Each line bills ``shipped_now`` × unit price less its :func:`discount_share` of the line
    and order discounts; lines with nothing shipped now are left out. The tax rate of each
    line comes from ``tax`` (ship-to country and region, the line's category, the invoice
    date); ``mode`` says whether prices include tax, ``rounding`` where the tax is rounded.
    The due date and discount window follow from ``terms`` and ``issued_on``.

    Raises:
        ValidationError: nothing was shipped now, a line repeats, an argument is malformed,
            or the tax policy answered something that is not a non-negative ``Decimal``.
        CurrencyMismatch: the lines are not all in one currency.
    """
    for name, value in (
        ("invoice_id", invoice_id),
        ("number", number),
        ("customer_id", customer_id),
    ):
        _text(value, name)
    _day(issued_on, "issued_on")
    for name, arg, kind in (
        ("tax", tax, TaxPolicy),
        ("mode", mode, TaxMode),
        ("rounding", rounding, TaxRounding),
        ("terms", terms, PaymentTerms),
    ):
        ok = conforms(arg, kind) if kind is TaxPolicy else isinstance(arg, kind)
        if not ok:
            raise ValidationError(f"must be a {kind.__name__}", field=name, value=arg)
    _require(
        isinstance(lines, Sequence)
        and not isinstance(lines, str)
        and all(isinstance(line, BillableLine) for line in lines),
        "must be a sequence of BillableLine",
        field="lines",
    )
    billable = [line for line in lines if line.shipped_now]
    _require(
        bool(billable), "nothing was shipped now: no invoice", field="lines", entity_id=invoice_id
    )
    currency = lines[0].currency
    for line in lines:
        if line.currency != currency:
            raise CurrencyMismatch(
                f"every line must be in {currency}",
                field="unit_price",
                value=str(line.unit_price),
                entity_id=f"line {line.line_no}",
            )
    numbers = [line.line_no for line in lines]
    _require(
        len(set(numbers)) == len(numbers), "line numbers repeat", field="lines", value=numbers
    )

    grosses = [line.gross_now for line in billable]
    gross = [g.minor_units for g in grosses]
    discount = [_discount_now_units(line) for line in billable]
    bases = [g - d for g, d in zip(gross, discount, strict=True)]
    rates = []
    for line in billable:
        answer = tax.rate(
            country=ship_to_country, region=ship_to_region, category=line.category, on=issued_on
        )
        if answer.__class__ is Decimal and answer.is_finite() and not answer < 0:
            rates.append(answer)  # what check_rate returns for a valid rate: the rate itself
        else:
            rates.append(check_rate(answer, f"tax rate of line {line.line_no}"))
    taxes = line_taxes(bases, rates, mode, rounding, currency)

    zero = Money.zero(currency)

    def m(units: int) -> Money:
        return zero if units == 0 else Money.from_minor(units, currency)

    # Equal amounts share one (immutable) Money: gross is the gross_now computed above, a
    # net equal to it (no discount) is that same value, and so is a total equal to the net.
    out = []
    trusted = True
    for line, gm, g, d, b, r, t in zip(
        billable, grosses, gross, discount, bases, rates, taxes, strict=True
    ):
        net = b if mode is TaxMode.EXCLUSIVE else b - t
        net_m = gm if net == g else m(net)
        fields = (
            line.line_no,
            line.sku,
            line.description,
            line.shipped_now,
            line.unit_price,
            gm,
            m(d),
            net_m,
            r,
            m(t),
            net_m if t == 0 else m(net + t),
        )
        if g >= 0 and d >= 0 and net >= 0 and t >= 0:
            # Everything InvoiceLine checks holds by construction (see _trusted_line).
            out.append(_trusted_line(fields))
        else:  # the constructor refuses it, with its own error
            out.append(InvoiceLine(**dict(zip(_LINE_FIELDS, fields, strict=True))))
            trusted = False
    # The content checks of Invoice hold by construction too: the lines are valid, in one
    # currency, numbered apart; each gross is unit price × quantity (gross_now) and gross −
    # discount is the base, which is the net (exclusive) or net + tax (inclusive); the
    # totals are the sums _document makes. So the invoice checks only its header.
    return _document(
        trusted=trusted,
        kind=InvoiceKind.INVOICE,
        id=invoice_id,
        number=number,
        order_id=order_id,
        customer_id=customer_id,
        currency=currency,
        issued_on=issued_on,
        lines=tuple(out),
        tax_mode=mode,
        terms=terms,
        shipment_id=shipment_id,
    )


def _discount_now_units(line: BillableLine) -> int:
    """``line.discount_now`` in minor units: :func:`discount_share` of the line's discounts,
    without checking again the quantities the line checked when it was made."""
    if not line.shipped_now:
        return 0
    units = line.discount_total.minor_units
    before, now, ordered = line.shipped_before, line.shipped_now, line.ordered
    return cumulative_share(units, before + now, ordered) - cumulative_share(
        units, before, ordered
    )


def _document(
    *, kind: InvoiceKind, lines: tuple[InvoiceLine, ...], trusted: bool = False, **fields: Any
) -> Invoice:
    """The document of ``lines`` with its totals. ``trusted``: the caller guarantees that
    the content passes :meth:`Invoice._check_content` (only the header is checked)."""
    currency: str = fields["currency"]
    terms: PaymentTerms | None = fields.pop("terms", None)
    if terms is None:
        terms = PaymentTerms()
    issued_on: date = fields["issued_on"]
    net = _sum((line.net for line in lines), currency)
    tax = _sum((line.tax for line in lines), currency)
    grand = net + tax
    if trusted:
        _remember_checked((lines, currency, net, tax, grand, kind, fields["tax_mode"]))
    return Invoice(
        kind=kind,
        lines=lines,
        net_total=net,
        tax_total=tax,
        grand_total=grand,
        terms=terms,
        due_on=terms.due_on(issued_on),
        discount_until=terms.discount_until(issued_on),
        **fields,
    )


# The credit notes live in their own module, which builds on the documents above.
from orderhub._billing_credits import (  # noqa: E402
    build_adjustment,
    build_credit_note,
    credited_units,
)
