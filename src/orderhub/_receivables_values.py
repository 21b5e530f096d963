"""The values the receivables ledger hands out: open items, applications, aging, statements.

All are frozen; amounts are :class:`~orderhub.Money` in the account's currency. The ledger
itself (:class:`~orderhub._receivables.Receivables`) works in integer minor units and builds
these on the way out.
"""

from __future__ import annotations

import enum
from datetime import date
from typing import Literal

import attrs

from orderhub._money import Money
from orderhub._receivables_index import bucket_labels
from orderhub.errors import UnknownInvoice, UnknownPayment

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
    "Refund",
    "RefundShare",
    "Statement",
    "StatementLine",
    "UnknownInvoice",
    "UnknownPayment",
    "WriteOff",
]

DEFAULT_BUCKETS: tuple[int, ...] = (0, 30, 60, 90, 120)
"""Upper bounds (days past due, inclusive) of the default aging buckets: current (not yet
due, or due today), 1–30, 31–60, 61–90, 91–120, and over 120 days past due."""

AgingBasis = Literal["due", "invoice"]
"""What an aging counts days from: the due date (default) or the invoice date."""


class ItemKind(enum.Enum):
    """What an open item stands for."""

    INVOICE = "invoice"
    """An invoice, or one instalment of it."""
    REFUND = "refund"
    """Cash refunded out of a payment that later bounced: the customer owes it again."""


class CreditKind(enum.Enum):
    """Where credit applied to an open item came from."""

    PAYMENT = "payment"
    CREDIT_NOTE = "credit_note"


class EntryKind(enum.Enum):
    """The kind of a statement line; each is one term of the balance identity."""

    INVOICE = "invoice"
    """+ the invoice amount."""
    CREDIT_NOTE = "credit_note"
    """− the credit note amount."""
    PAYMENT = "payment"
    """− the payment amount."""
    DISCOUNT = "discount"
    """− an early-payment discount allowed."""
    WRITE_OFF = "write_off"
    """− a remainder written off."""
    REVERSAL = "reversal"
    """+ a bounced payment's amount and the discounts it had earned."""
    REFUND = "refund"
    """+ unapplied credit paid back to the customer."""


@attrs.frozen(kw_only=True)
class OpenItem:
    """One open item: an invoice, one instalment of an invoice, or a re-opened refund.

    ``open`` = ``amount`` − ``credited`` − ``paid`` − ``discounted`` − ``written_off`` and is
    never negative. ``discount`` is the early-payment discount still available on it (zero
    when there is none, or it was taken); ``instalment`` numbers instalments from 1 and is
    None for an invoice without instalments. ``number`` is the invoice number.
    """

    kind: ItemKind
    document_id: str
    instalment: int | None
    customer_id: str
    number: str | None
    issued_on: date
    due_on: date
    amount: Money
    open: Money
    credited: Money
    paid: Money
    discounted: Money
    written_off: Money
    discount: Money
    discount_until: date | None

    @property
    def invoice_id(self) -> str | None:
        """The invoice this item belongs to (None for a re-opened refund)."""
        return self.document_id if self.kind is ItemKind.INVOICE else None

    @property
    def currency(self) -> str:
        """The item's currency."""
        return self.amount.currency

    @property
    def is_open(self) -> bool:
        """True while something is still owed on the item."""
        return not self.open.is_zero


@attrs.frozen(kw_only=True)
class Receivable:
    """An invoice as the ledger sees it: its amounts so far, summed over its open items.

    ``open`` = ``amount`` − ``credited`` − ``paid`` − ``discounted`` − ``written_off``;
    ``items`` are its instalments (one item when it has none), open or not.
    """

    invoice_id: str
    customer_id: str
    number: str
    issued_on: date
    due_on: date
    amount: Money
    open: Money
    credited: Money
    paid: Money
    discounted: Money
    written_off: Money
    items: tuple[OpenItem, ...]

    @property
    def currency(self) -> str:
        """The invoice's currency."""
        return self.amount.currency

    @property
    def is_open(self) -> bool:
        """True while something is still owed on the invoice."""
        return not self.open.is_zero


@attrs.frozen(kw_only=True)
class Application:
    """Credit applied to one open item: ``applied`` from the source, plus ``discount``
    allowed when that closed the item inside its early-payment window.

    ``source_kind`` and ``source_id`` name the payment or credit note the credit came from;
    ``kind``, ``document_id`` and ``instalment`` the item; ``on`` is the day it was applied.
    """

    source_kind: CreditKind
    source_id: str
    kind: ItemKind
    document_id: str
    instalment: int | None
    applied: Money
    discount: Money
    on: date

    @property
    def invoice_id(self) -> str | None:
        """The invoice the credit went to (None for a re-opened refund)."""
        return self.document_id if self.kind is ItemKind.INVOICE else None

    @property
    def settled(self) -> Money:
        """How much the item went down: ``applied`` + ``discount``."""
        return self.applied + self.discount


@attrs.frozen(kw_only=True)
class PaymentApplication:
    """What :meth:`Receivables.record_payment` did with a payment.

    ``amount`` = Σ ``applied`` of the ``applications`` + ``unapplied`` (what was left over
    and kept as cash on the customer's account).
    """

    payment_id: str
    customer_id: str
    amount: Money
    received_on: date
    applications: tuple[Application, ...]
    unapplied: Money

    @property
    def currency(self) -> str:
        """The payment's currency."""
        return self.amount.currency

    @property
    def discount(self) -> Money:
        """The early-payment discounts allowed with this payment."""
        total = Money.zero(self.amount.currency)
        for a in self.applications:
            total = total + a.discount
        return total


@attrs.frozen(kw_only=True)
class CreditNoteApplication:
    """What :meth:`Receivables.add_credit_note` did: which items of the named invoice it
    reduced, and what was left over as credit on the customer's account (``unapplied``)."""

    credit_note_id: str
    customer_id: str
    invoice_id: str | None
    amount: Money
    issued_on: date
    applications: tuple[Application, ...]
    unapplied: Money


@attrs.frozen(kw_only=True)
class WriteOff:
    """A remainder of an invoice written off (all that was open on its items)."""

    invoice_id: str
    customer_id: str
    amount: Money
    on: date
    reason: str


@attrs.frozen(kw_only=True)
class PaymentReversal:
    """A bounced payment undone.

    ``reopened`` lists every application of the payment that was undone (its items went
    back up by ``applied`` + ``discount``); ``unapplied_removed`` is the payment's cash that
    was still on the account; ``refund_reopened`` is the part of the payment that had
    been refunded, which the customer owes again as open ``REFUND`` items. ``amount`` =
    Σ applied + ``unapplied_removed`` + ``refund_reopened``; the balance rises by
    ``amount`` + ``discounts``.
    """

    payment_id: str
    customer_id: str
    amount: Money
    discounts: Money
    on: date
    reason: str
    reopened: tuple[Application, ...]
    unapplied_removed: Money
    refund_reopened: Money


@attrs.frozen(kw_only=True)
class RefundShare:
    """The part of a refund drawn from one payment's or credit note's unapplied credit."""

    source_kind: CreditKind
    source_id: str
    amount: Money


@attrs.frozen(kw_only=True)
class Refund:
    """Unapplied credit paid back to the customer; ``shares`` say whose credit it was
    (oldest first), e.g. to journal cash and credit-note credit differently."""

    reference: str
    customer_id: str
    amount: Money
    on: date
    shares: tuple[RefundShare, ...]


@attrs.frozen(kw_only=True)
class AccountTotals:
    """The running totals of one (customer, currency) account, one per balance term.

    ``balance`` = invoiced − credited − paid − written_off − discounts + reversed + refunded,
    where ``discounts`` are every early-payment discount ever allowed and ``reversed`` is,
    for each bounced payment, its amount plus the discounts it had earned.
    """

    customer_id: str
    currency: str
    invoiced: Money
    credited: Money
    paid: Money
    written_off: Money
    discounts: Money
    reversed: Money
    refunded: Money

    @property
    def balance(self) -> Money:
        """What the customer owes by the balance identity (negative: we owe them)."""
        return (
            self.invoiced
            - self.credited
            - self.paid
            - self.written_off
            - self.discounts
            + self.reversed
            + self.refunded
        )


@attrs.frozen(kw_only=True)
class StatementLine:
    """One document on a statement: ``amount`` is signed (+ the customer owes more) and
    ``balance`` is the running balance after it. ``invoice_id`` names the invoice a credit
    note, discount or write-off concerns; ``memo`` carries a write-off's or reversal's
    reason."""

    on: date
    kind: EntryKind
    reference: str
    amount: Money
    balance: Money
    invoice_id: str | None = None
    memo: str | None = None


@attrs.frozen(kw_only=True)
class Statement:
    """A customer statement for ``start`` … ``end`` (both included), in one currency.

    ``closing`` = ``opening`` + Σ line amounts; ``opening`` is the balance of every document
    dated before ``start``. Lines are in date order, documents of one day in the order they
    were recorded.
    """

    customer_id: str
    currency: str
    start: date
    end: date
    opening: Money
    lines: tuple[StatementLine, ...]
    closing: Money


@attrs.frozen(kw_only=True)
class AgingBucket:
    """Open amounts whose age in days is in (``low``, ``high``]; None is unbounded."""

    label: str
    low: int | None
    high: int | None
    amount: Money


@attrs.frozen(kw_only=True)
class Aging:
    """Open items by age as of ``as_of``, per customer (``customer_id``) or overall (None).

    Ages count days from the due date (``by="due"``: days past due) or from the invoice
    date. ``bounds`` are the buckets' inclusive upper bounds in days; ``amounts`` holds one
    amount per bucket (one more than there are bounds: the last is "over the last bound").
    The buckets partition the open items exactly: Σ ``amounts`` = ``total`` = Σ open items.
    ``unapplied`` is the credit on account, which the buckets do not age; ``balance`` =
    ``total`` − ``unapplied``.
    """

    as_of: date
    by: str  # "due" or "invoice" (an AgingBasis)
    currency: str
    customer_id: str | None
    bounds: tuple[int, ...]
    amounts: tuple[Money, ...]
    total: Money
    unapplied: Money

    @property
    def balance(self) -> Money:
        """Open items less unapplied credit."""
        return self.total - self.unapplied

    @property
    def buckets(self) -> tuple[AgingBucket, ...]:
        """The buckets with their labels and bounds (``current``, ``1-30``, …, ``over
        120`` by default)."""
        labels = bucket_labels(self.bounds, self.by == "due")
        return tuple(
            AgingBucket(label=label, low=low, high=high, amount=amount)
            for (label, low, high), amount in zip(labels, self.amounts, strict=True)
        )

    def by_label(self) -> dict[str, Money]:
        """Bucket label → amount, in bucket order."""
        labels = bucket_labels(self.bounds, self.by == "due")
        return {label: amount for (label, _, _), amount in zip(labels, self.amounts, strict=True)}
