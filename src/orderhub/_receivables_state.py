"""The receivables ledger's internal state and the helpers around it.

Private to :mod:`orderhub._receivables`: input checks, the mutable records the ledger keeps
per currency (:class:`Book`), per (customer, currency) account (:class:`Account`), per
invoice, open item, payment or credit note (:class:`Source`) and refund, all in integer
minor units; the early-payment discount rule; and the builders of the frozen values handed
out.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from operator import attrgetter
from typing import Any, Final

from orderhub._currencies import MINOR_UNITS
from orderhub._money import Money
from orderhub._receivables_index import DayTree
from orderhub._receivables_values import (
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
    StatementLine,
    WriteOff,
)
from orderhub.errors import CurrencyMismatch, InvalidMoney, UnknownCurrency, ValidationError

__all__ = [
    "REFUND_SEQ",
    "Account",
    "Applied",
    "Book",
    "InvoiceRecord",
    "ItemState",
    "JournalEntry",
    "RefundRecord",
    "Source",
    "application_view",
    "applications_view",
    "check_currency",
    "check_day",
    "check_instalments",
    "check_text",
    "due_order",
    "item_view",
    "money_units",
    "open_order",
    "portion",
    "receivable_view",
    "spread",
    "statement_lines",
    "view_money",
]

# -- validation helpers ------------------------------------------------------------------------


def check_text(value: object, field: str, entity_id: str | None = None) -> str:
    """``value`` if it is a non-empty string."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(
            "must be a non-empty string", field=field, value=value, entity_id=entity_id
        )
    return value


def check_day(value: object, field: str, entity_id: str | None = None) -> date:
    """``value`` if it is a date (and not a datetime)."""
    # A datetime is a date too, but the two do not compare: refuse it.
    if not isinstance(value, date) or isinstance(value, datetime):
        raise ValidationError(
            "must be a date (not a datetime)", field=field, value=value, entity_id=entity_id
        )
    return value


def check_currency(value: object, field: str = "currency") -> str:
    """``value`` if it is an active ISO 4217 code."""
    if type(value) is str and value in MINOR_UNITS:
        return value
    raise UnknownCurrency("not an active ISO 4217 currency code", field=field, value=value)


def money_units(
    value: object,
    field: str,
    currency: str | None,
    *,
    zero: bool = False,
    entity_id: str | None = None,
) -> int:
    """The minor units of ``value``: Money in ``currency`` (if given), positive (or zero)."""
    if not isinstance(value, Money):
        raise InvalidMoney("must be Money", field=field, value=value, entity_id=entity_id)
    if currency is not None and value.currency != currency:
        raise CurrencyMismatch(
            f"must be in {currency}", field=field, value=str(value), entity_id=entity_id
        )
    units = value.minor_units
    if units < 0 or (units == 0 and not zero):
        raise ValidationError(
            "must not be negative" if zero else "must be positive",
            field=field,
            value=str(value),
            entity_id=entity_id,
        )
    return units


# -- internal state ----------------------------------------------------------------------------

REFUND_SEQ: Final = -1  # the "instalment" slot of a re-opened refund's item key


open_order: Final = attrgetter("due", "doc", "seq")
"""The order of an account's open items: due date, then document id, then instalment."""

JournalEntry = tuple[int, int, EntryKind, str, int, str | None, str | None]
"""(day ordinal, recording seq, kind, reference, signed units, invoice id, memo)."""


class Book:
    """Per currency, over all customers: the aging trees, open and unapplied totals, and
    invoiced amounts by invoice date (for DSO)."""

    __slots__ = ("by_due", "by_issue", "open_total", "sales", "unapplied_total")

    def __init__(self) -> None:
        self.by_due = DayTree()
        self.by_issue = DayTree()
        self.sales = DayTree()
        self.open_total = 0
        self.unapplied_total = 0


class Account:
    """One (customer, currency): its open items in (due, document, instalment) order, its
    credit on account in the order it was recorded, its running totals and its journal.

    Aging trees of its own are built only once it has more than ``_promote_at`` open items
    (a scan is as fast below that, and 50,000 small trees would cost memory for nothing).
    """

    __slots__ = (
        "book",
        "by_due",
        "by_issue",
        "credited",
        "credits",
        "currency",
        "customer_id",
        "discounts",
        "invoiced",
        "journal",
        "open",
        "open_total",
        "paid",
        "refunded",
        "reversed",
        "unapplied_total",
        "written_off",
    )

    def __init__(self, customer_id: str, currency: str, book: Book) -> None:
        self.customer_id = customer_id
        self.currency = currency
        self.book = book
        # Its items with open > 0, in open_order: a tuple of none or one (most accounts,
        # most of the time, hold no more), a SortedKeyList from two on. Read it afresh
        # after every change: a change may replace it.
        self.open: Any = ()
        self.by_due: DayTree | None = None
        self.by_issue: DayTree | None = None
        self.credits: dict[Source, int] = {}  # source → unapplied units, oldest first
        self.open_total = 0
        self.unapplied_total = 0
        self.invoiced = self.credited = self.paid = self.written_off = 0
        self.discounts = self.reversed = self.refunded = 0
        # (day ordinal, seq, kind, reference, signed units, invoice id, memo)
        self.journal: list[JournalEntry] = []


class InvoiceRecord:
    """An invoice as booked: its account, items (one per instalment) and write-offs;
    ``request`` is what it was booked with, to tell a repeat from a conflict."""

    __slots__ = ("account", "id", "items", "number", "request", "result", "write_offs")

    def __init__(
        self, invoice_id: str, account: Account, number: str, request: tuple[Any, ...]
    ) -> None:
        self.id = invoice_id
        self.account = account
        self.number = number
        self.request = request
        self.items: list[ItemState] = []
        self.write_offs: Sequence[WriteOff] = ()  # a list from the first write-off on
        self.result: tuple[Application, ...] = ()  # credit applied as it was booked


class ItemState:
    """One open item, mutable: ``open`` = ``amount`` − ``credited`` − ``paid`` −
    ``discounted`` − ``written_off``. ``seq`` is the instalment index (from 0), or
    :data:`REFUND_SEQ` for a re-opened refund, which has no ``invoice``."""

    __slots__ = (
        "account",
        "amount",
        "credited",
        "discount",
        "discount_until",
        "discounted",
        "doc",
        "due",
        "invoice",
        "issued",
        "open",
        "paid",
        "seq",
        "written_off",
    )

    def __init__(
        self,
        account: Account,
        invoice: InvoiceRecord | None,
        doc: str,
        seq: int,
        due: int,
        issued: int,
        amount: int,
        discount: int,
        discount_until: int,
    ) -> None:
        self.account = account
        self.invoice = invoice
        self.doc = doc
        self.seq = seq
        self.due = due
        self.issued = issued
        self.amount = amount
        self.open = 0  # raised by the ledger as it books the item
        self.discount = discount
        self.discount_until = discount_until
        self.credited = self.paid = self.discounted = self.written_off = 0


Applied = tuple["ItemState", int, int, int]  # (item, applied, discount, day ordinal)


class Source:
    """A payment or a credit note: credit that goes to open items or stays on account."""

    __slots__ = (
        "account",
        "amount",
        "applications",
        "id",
        "kind",
        "on",
        "refunds",
        "request",
        "result",
        "reversal",
    )

    def __init__(
        self,
        kind: CreditKind,
        source_id: str,
        account: Account,
        amount: int,
        on: int,
        request: tuple[Any, ...],
    ) -> None:
        self.kind = kind
        self.id = source_id
        self.account = account
        self.amount = amount
        self.on = on
        self.request = request
        # (item, applied, discount, day ordinal), every application ever made from it
        self.applications: list[Applied] = []
        # refunded shares of its credit; a list from the first refund on
        self.refunds: Sequence[tuple[RefundRecord, int]] = ()
        self.result: PaymentApplication | CreditNoteApplication | None = None
        self.reversal: PaymentReversal | None = None


class RefundRecord:
    """A refund as made, with what it was made with (to tell a repeat from a conflict)."""

    __slots__ = ("account", "reference", "request", "result")

    def __init__(self, account: Account, reference: str, request: tuple[Any, ...]) -> None:
        self.account = account
        self.reference = reference
        self.request = request
        self.result: Refund | None = None


# -- rules and views ---------------------------------------------------------------------------


def check_instalments(
    instalments: object, cur: str, total: int, issued: int, due: int, inv_id: str
) -> list[tuple[int, int]]:
    """(units, due ordinal) per instalment, checked: amounts in ``cur`` summing exactly
    to ``total``, each due between ``issued`` and ``due``."""
    if isinstance(instalments, (str, bytes)) or not isinstance(instalments, Sequence):
        raise ValidationError(
            "must be a sequence of (Money, date) pairs",
            field="instalments",
            value=instalments,
            entity_id=inv_id,
        )
    parts: list[tuple[int, int]] = []
    for i, pair in enumerate(instalments):
        field = f"instalments[{i}]"
        if not isinstance(pair, tuple) or len(pair) != 2:
            raise ValidationError(
                "must be an (amount, due date) pair", field=field, value=pair, entity_id=inv_id
            )
        units = money_units(pair[0], field, cur, entity_id=inv_id)
        day = check_day(pair[1], field, inv_id)
        if not issued <= day.toordinal() <= due:
            raise ValidationError(
                "must fall due between issued_on and due_on",
                field=field,
                value=day,
                entity_id=inv_id,
            )
        parts.append((units, day.toordinal()))
    if parts and sum(units for units, _ in parts) != total:
        raise ValidationError(
            "instalments must sum exactly to the amount",
            field="instalments",
            value=str(Money.from_minor(sum(u for u, _ in parts), cur)),
            entity_id=inv_id,
        )
    return parts


def portion(item: ItemState, credit: int, day: int) -> tuple[int, int]:
    """(applied, discount) when ``credit`` from a payment reaches ``item`` on ``day``.

    Inside the window the discount is the one given with the invoice, shrunk in proportion
    to what credit notes took off the item (rounded half up), less any discount already
    allowed on it (one that stands after a reversal of another payment), and never more
    than is open. It is granted only when the credit, with it, settles the item.
    """
    disc = 0
    if item.discount and day <= item.discount_until:
        base = item.amount - item.credited
        if base > 0:
            scaled = (2 * item.discount * base + item.amount) // (2 * item.amount)
            disc = max(0, min(scaled - item.discounted, item.open))
    need = item.open - disc
    return (need, disc) if credit >= need else (credit, 0)


_ZERO: dict[str, Money] = {}


def view_money(units: int, currency: str) -> Money:
    """``Money.from_minor(units, currency)``; zero (most of a view's amounts) made once per
    currency and shared, as Money is immutable."""
    if units == 0:
        zero = _ZERO.get(currency)
        if zero is None:
            zero = _ZERO[currency] = Money.from_minor(0, currency)
        return zero
    return Money.from_minor(units, currency)


def item_view(item: ItemState) -> OpenItem:
    """The frozen view of an item."""
    cur = item.account.currency
    inv = item.invoice

    def m(units: int) -> Money:
        return view_money(units, cur)

    if inv is None:
        kind, number, instalment = ItemKind.REFUND, None, None
        available = 0
    else:
        kind, number = ItemKind.INVOICE, inv.number
        instalment = item.seq + 1 if inv.request[8] else None
        available = portion(item, item.open, item.discount_until)[1] if item.open else 0
    return OpenItem(
        kind=kind,
        document_id=item.doc,
        instalment=instalment,
        customer_id=item.account.customer_id,
        number=number,
        issued_on=date.fromordinal(item.issued),
        due_on=date.fromordinal(item.due),
        amount=m(item.amount),
        open=m(item.open),
        credited=m(item.credited),
        paid=m(item.paid),
        discounted=m(item.discounted),
        written_off=m(item.written_off),
        discount=m(available),
        discount_until=date.fromordinal(item.discount_until) if item.discount else None,
    )


def receivable_view(inv: InvoiceRecord) -> Receivable:
    """The frozen view of an invoice, its amounts summed over its items."""
    items = tuple(item_view(item) for item in inv.items)
    request = inv.request
    if len(items) == 1:  # one item (no instalments): its amounts are the invoice's
        (only,) = items
        amount, open_, credited = only.amount, only.open, only.credited
        paid, discounted, written_off = only.paid, only.discounted, only.written_off
    else:
        cur = inv.account.currency

        def total(attr: str) -> Money:
            return view_money(sum(getattr(item, attr) for item in inv.items), cur)

        amount, open_, credited = total("amount"), total("open"), total("credited")
        paid, discounted, written_off = total("paid"), total("discounted"), total("written_off")
    return Receivable(
        invoice_id=inv.id,
        customer_id=inv.account.customer_id,
        number=inv.number,
        issued_on=date.fromordinal(request[4]),
        due_on=date.fromordinal(request[5]),
        amount=amount,
        open=open_,
        credited=credited,
        paid=paid,
        discounted=discounted,
        written_off=written_off,
        items=items,
    )


def applications_view(src: Source) -> tuple[Application, ...]:
    """Every application made from ``src``, as values."""
    return tuple(application_view(src, entry) for entry in src.applications)


def application_view(src: Source, entry: Applied) -> Application:
    """One application made from ``src``, as a value."""
    item, applied, disc, day = entry
    cur = src.account.currency
    inv = item.invoice
    return Application(
        source_kind=src.kind,
        source_id=src.id,
        kind=ItemKind.INVOICE if inv is not None else ItemKind.REFUND,
        document_id=item.doc,
        instalment=item.seq + 1 if inv is not None and inv.request[8] else None,
        applied=view_money(applied, cur),
        discount=view_money(disc, cur),
        on=date.fromordinal(day),
    )


def due_order(item: ItemState) -> tuple[int, int]:
    """The order of an invoice's instalments for payments: due date, then number."""
    return (item.due, item.seq)


def spread(discount: int, amounts: list[int], currency: str) -> list[int]:
    """``discount`` split over the instalment ``amounts`` by the largest-remainder rule."""
    if not discount:
        return [0] * len(amounts)
    parts = Money.from_minor(discount, currency).allocate(amounts)
    return [p.minor_units for p in parts]


def statement_lines(
    journal: Sequence[JournalEntry], currency: str, first: int, last: int
) -> tuple[Money, tuple[StatementLine, ...], Money]:
    """(opening balance, lines, closing balance) of ``journal`` for days ``first`` …
    ``last``: lines in date order, then in the order they were recorded."""
    opening = 0
    period = []
    for entry in journal:
        if entry[0] < first:
            opening += entry[4]
        elif entry[0] <= last:
            period.append(entry)
    period.sort(key=lambda e: (e[0], e[1]))
    running = opening
    lines = []
    for day, _, kind, ref, units, inv_id, memo in period:
        running += units
        lines.append(
            StatementLine(
                on=date.fromordinal(day),
                kind=kind,
                reference=ref,
                amount=Money.from_minor(units, currency),
                balance=Money.from_minor(running, currency),
                invoice_id=inv_id,
                memo=memo,
            )
        )
    return (
        Money.from_minor(opening, currency),
        tuple(lines),
        Money.from_minor(running, currency),
    )
