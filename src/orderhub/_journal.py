"""The double-entry journal: accounts, balanced entries, posting rules, revenue recognition.

Posting rules are pure functions from a document (an invoice, a credit note) or a cash
movement to a :class:`JournalEntry`; the :class:`Journal` only keeps entries and balances.
Every entry balances per currency by construction: an unbalanced one cannot exist.

The accounts and what moves them:

==========================  ===========================================================
document or event           entry
==========================  ===========================================================
invoice                     Dr receivable (grand) / Cr revenue (net) — or Cr deferred
                            revenue under :class:`RecogniseOnDelivery` — / Cr tax payable
delivery (on-delivery only) Dr deferred revenue / Cr revenue (the invoice's net)
credit note                 Dr sales returns (net) — or Dr deferred revenue while the
                            revenue is still deferred — / Dr tax payable / Cr receivable
payment                     Dr cash / Cr receivable (applied) / Cr customer credit
                            (unapplied), or Cr deferred revenue for a prepayment of an
                            unshipped order; an early-payment discount: Dr discounts
                            allowed / Cr receivable
credit applied              Dr customer credit / Cr receivable (unapplied cash used later)
prepayment applied          Dr deferred revenue / Cr receivable (the goods shipped and were
                            invoiced; the prepayment pays the invoice), and Cr customer
                            credit for any prepayment left over
write-off                   Dr bad-debt expense / Cr receivable
refund                      Dr customer credit (or deferred revenue, for a prepayment) /
                            Cr cash
payment reversal            the mirror of the payment's entry
==========================  ===========================================================
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final, Protocol, runtime_checkable

import attrs

from orderhub._billing import Invoice, InvoiceKind
from orderhub._money import Money, exact_add, exact_sub, minor_units
from orderhub._statemachine import conforms
from orderhub.errors import CurrencyMismatch, DuplicateId, NotFound, ValidationError

__all__ = [
    "Account",
    "EntryKind",
    "Journal",
    "JournalEntry",
    "JournalLine",
    "RecogniseOnDelivery",
    "RecogniseOnShipment",
    "RevenuePolicy",
    "entry_for_credit_application",
    "entry_for_credit_note",
    "entry_for_delivery",
    "entry_for_invoice",
    "entry_for_payment",
    "entry_for_payment_reversal",
    "entry_for_prepayment_applied",
    "entry_for_refund",
    "entry_for_write_off",
]


class Account(enum.Enum):
    """The general-ledger accounts the hub posts to."""

    ACCOUNTS_RECEIVABLE = "accounts_receivable"
    """Asset: what customers owe on invoices (debit balance)."""
    REVENUE = "revenue"
    """Income: sales recognised, before tax (credit balance)."""
    TAX_PAYABLE = "tax_payable"
    """Liability: tax invoiced, owed to the tax authorities (credit balance)."""
    CASH = "cash"
    """Asset: money received (debit balance)."""
    DEFERRED_REVENUE = "deferred_revenue"
    """Liability: revenue invoiced but not yet earned (awaiting delivery), and money
    received for orders not yet shipped (prepayments) (credit balance)."""
    CUSTOMER_CREDIT = "customer_credit"
    """Liability: unapplied cash the hub holds for customers (credit balance)."""
    SALES_RETURNS = "sales_returns"
    """Contra-revenue: revenue given back on credit notes for returns (debit balance)."""
    SALES_ALLOWANCES = "sales_allowances"
    """Contra-revenue: revenue given back on price adjustments (debit balance)."""
    BAD_DEBT_EXPENSE = "bad_debt_expense"
    """Expense: receivables written off (debit balance)."""
    DISCOUNTS_ALLOWED = "discounts_allowed"
    """Expense: early-payment discounts granted (debit balance); a finance cost, so it does
    not reduce recognised revenue."""


_CONTRA_REVENUE: Final = (Account.SALES_RETURNS, Account.SALES_ALLOWANCES)


class EntryKind(enum.Enum):
    """What an entry records; the posting rule that made it."""

    INVOICE = "invoice"
    DELIVERY = "delivery"
    CREDIT_NOTE = "credit_note"
    PAYMENT = "payment"
    CREDIT_APPLIED = "credit_applied"
    PREPAYMENT_APPLIED = "prepayment_applied"
    WRITE_OFF = "write_off"
    REFUND = "refund"
    PAYMENT_REVERSAL = "payment_reversal"
    MANUAL = "manual"


# Entries of these kinds move deferred revenue as prepayments (cash held for unshipped
# orders); entries of the others move it as invoiced revenue awaiting delivery.
_PREPAYMENT_KINDS: Final = frozenset(
    {EntryKind.PAYMENT, EntryKind.PAYMENT_REVERSAL, EntryKind.PREPAYMENT_APPLIED, EntryKind.REFUND}
)


def _amount(value: object, field: str) -> Money:
    if not isinstance(value, Money):
        raise ValidationError("must be Money", field=field, value=value)
    if value.is_negative:
        raise ValidationError("must not be negative", field=field, value=str(value))
    return value


@attrs.frozen(kw_only=True)
class JournalLine:
    """One side of an entry: ``debit`` or ``credit`` on ``account``, the other side zero.

    Build one with :meth:`dr` or :meth:`cr`.
    """

    account: Account
    debit: Money
    credit: Money

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.account, Account):
            raise ValidationError("must be an Account", field="account", value=self.account)
        debit, credit = _amount(self.debit, "debit"), _amount(self.credit, "credit")
        if debit.currency != credit.currency:
            raise CurrencyMismatch(
                "debit and credit must be in one currency", field="credit", value=str(credit)
            )
        if debit.is_zero == credit.is_zero:
            raise ValidationError(
                "exactly one of debit and credit must be non-zero",
                field="debit",
                value=f"{debit} / {credit}",
            )

    @classmethod
    def dr(cls, account: Account, amount: Money) -> JournalLine:
        """Debit ``amount`` to ``account``."""
        _amount(amount, "amount")
        zero = Money.zero(amount.currency)
        if cls is JournalLine and amount.amount and isinstance(account, Account):
            return _trusted_line(account, amount, zero)
        return cls(account=account, debit=amount, credit=zero)

    @classmethod
    def cr(cls, account: Account, amount: Money) -> JournalLine:
        """Credit ``amount`` to ``account``."""
        _amount(amount, "amount")
        zero = Money.zero(amount.currency)
        if cls is JournalLine and amount.amount and isinstance(account, Account):
            return _trusted_line(account, zero, amount)
        return cls(account=account, debit=zero, credit=amount)

    @property
    def currency(self) -> str:
        """The line's currency."""
        return self.debit.currency

    @property
    def signed(self) -> Money:
        """Debit − credit: positive for a debit, negative for a credit."""
        return self.debit - self.credit

    def mirrored(self) -> JournalLine:
        """The same amount on the other side."""
        return JournalLine(account=self.account, debit=self.credit, credit=self.debit)


_set = object.__setattr__


def _trusted_line(account: Account, debit: Money, credit: Money) -> JournalLine:
    """A :class:`JournalLine` made without its checks, for :meth:`JournalLine.dr` and
    :meth:`~JournalLine.cr` once they have seen that it passes them: an Account, one
    non-negative Money (checked by ``_amount``) that is not zero, and zero in its currency
    on the other side (tests/test_journal_fastpath.py rebuilds them with the constructor)."""
    line = object.__new__(JournalLine)
    _set(line, "account", account)
    _set(line, "debit", debit)
    _set(line, "credit", credit)
    return line


@attrs.frozen(kw_only=True)
class JournalEntry:
    """A balanced set of journal lines, dated ``on``.

    Guarantee: Σ debits = Σ credits in every currency of the entry; an entry that does not
    balance cannot be constructed (:class:`ValidationError`). An entry with no lines (the
    invoice of a shipment given away free) is balanced and records that nothing moved.
    ``reference`` names the document or payment it posts; ``memo`` says why, for people.
    """

    id: str
    on: date
    lines: tuple[JournalLine, ...]
    kind: EntryKind = EntryKind.MANUAL
    reference: str | None = None
    memo: str = ""

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id.strip():
            raise ValidationError("must be a non-empty string", field="id", value=self.id)
        if not isinstance(self.on, date) or isinstance(self.on, datetime):
            raise ValidationError("must be a date", field="on", value=self.on, entity_id=self.id)
        if not isinstance(self.kind, EntryKind):
            raise ValidationError("must be an EntryKind", field="kind", value=self.kind)
        if not isinstance(self.lines, tuple) or not all(
            isinstance(line, JournalLine) for line in self.lines
        ):
            raise ValidationError(
                "must be a tuple of JournalLine", field="lines", entity_id=self.id
            )
        off = {c: b for c, b in _net_by_currency(self.lines).items() if b}
        if off:
            shown = ", ".join(f"{b} {c}" for c, b in sorted(off.items()))
            raise ValidationError(
                f"debits and credits differ by {shown} (debits − credits)",
                field="lines",
                value=sorted(off),
                entity_id=self.id,
            )

    @property
    def currencies(self) -> tuple[str, ...]:
        """The currencies the entry moves, sorted."""
        return tuple(sorted({line.currency for line in self.lines}))

    def total(self, currency: str) -> Money:
        """Σ debits (= Σ credits) in ``currency``."""
        total = Money.zero(currency)
        for line in self.lines:
            if line.currency == currency:
                total = total + line.debit
        return total

    def mirrored(
        self, *, entry_id: str, on: date, kind: EntryKind, memo: str = ""
    ) -> JournalEntry:
        """This entry with every debit and credit swapped: its reversal."""
        return JournalEntry(
            id=entry_id,
            on=on,
            lines=tuple(line.mirrored() for line in self.lines),
            kind=kind,
            reference=self.reference,
            memo=memo or f"reversal of {self.id}",
        )


def _net_by_currency(lines: Iterable[JournalLine]) -> dict[str, Decimal]:
    out: dict[str, Decimal] = defaultdict(Decimal)
    for line in lines:
        out[line.currency] = exact_add(
            out[line.currency], exact_sub(line.debit.amount, line.credit.amount)
        )
    return out


def _entry(
    entry_id: str,
    on: date,
    kind: EntryKind,
    lines: Iterable[tuple[Account, Money, bool]],
    reference: str | None,
    memo: str,
) -> JournalEntry:
    """An entry from (account, amount, is_debit) triples; zero amounts are left out."""
    made = tuple(
        JournalLine.dr(a, m) if debit else JournalLine.cr(a, m)
        for a, m, debit in lines
        if not m.is_zero
    )
    return JournalEntry(id=entry_id, on=on, lines=made, kind=kind, reference=reference, memo=memo)


# -- revenue recognition --------------------------------------------------------------------


@runtime_checkable
class RevenuePolicy(Protocol):
    """Protocol: when an invoice's revenue is recognised.

    Invoices are raised per shipment, so recognising at invoicing is recognising at
    shipment. A policy that defers an invoice posts its net to deferred revenue; the hub
    recognises it with :func:`entry_for_delivery` when it learns of the delivery.
    """

    def defers(self, invoice: Invoice) -> bool:
        """True when ``invoice``'s revenue waits for delivery."""
        ...


@attrs.frozen
class RecogniseOnShipment:
    """Revenue is recognised when the goods ship (at invoicing): the default."""

    def defers(self, invoice: Invoice) -> bool:
        """Never: the shipment earns the revenue."""
        return False


@attrs.frozen
class RecogniseOnDelivery:
    """Revenue is deferred at invoicing and recognised when the hub reports delivery."""

    def defers(self, invoice: Invoice) -> bool:
        """Always: the delivery earns the revenue."""
        return True


def _policy(policy: object) -> RevenuePolicy:
    if not conforms(policy, RevenuePolicy):
        raise ValidationError("must be a RevenuePolicy", field="policy", value=policy)
    return policy  # type: ignore[return-value]


def _document(invoice: object, kind: InvoiceKind) -> Invoice:
    if not isinstance(invoice, Invoice) or invoice.kind is not kind:
        want = "an invoice" if kind is InvoiceKind.INVOICE else "a credit note"
        raise ValidationError(f"must be {want}", field="invoice", value=invoice)
    return invoice


# -- posting rules: documents -----------------------------------------------------------------


def entry_for_invoice(
    invoice: Invoice, policy: RevenuePolicy, entry_id: str, *, on: date | None = None
) -> JournalEntry:
    """Dr receivable (grand total) / Cr revenue (net) / Cr tax payable (tax).

    Under a policy that defers the invoice, the net goes to deferred revenue instead.
    Dated the invoice date unless ``on`` says otherwise.
    """
    inv = _document(invoice, InvoiceKind.INVOICE)
    revenue = Account.DEFERRED_REVENUE if _policy(policy).defers(inv) else Account.REVENUE
    return _entry(
        entry_id,
        on or inv.issued_on,
        EntryKind.INVOICE,
        [
            (Account.ACCOUNTS_RECEIVABLE, inv.grand_total, True),
            (revenue, inv.net_total, False),
            (Account.TAX_PAYABLE, inv.tax_total, False),
        ],
        inv.id,
        f"invoice {inv.number}",
    )


def entry_for_delivery(
    invoice: Invoice,
    policy: RevenuePolicy,
    entry_id: str,
    *,
    on: date,
    credited_net: Money | None = None,
) -> JournalEntry:
    """Dr deferred revenue / Cr revenue: the delivery of a deferred invoice earns its net.

    ``credited_net`` is the net of the invoice's credit notes posted before the delivery
    (with ``delivered=False``): that part was already taken out of deferred revenue and is
    not recognised.

    Raises:
        ValidationError: the policy does not defer this invoice (its revenue was recognised
            at shipment), or ``credited_net`` exceeds the invoice's net.
    """
    inv = _document(invoice, InvoiceKind.INVOICE)
    if not _policy(policy).defers(inv):
        raise ValidationError(
            "the policy recognised this invoice's revenue at shipment: nothing is deferred",
            field="policy",
            value=type(policy).__name__,
            entity_id=inv.id,
        )
    credited = Money.zero(inv.currency) if credited_net is None else credited_net
    _amount(credited, "credited_net")
    if credited > inv.net_total:
        raise ValidationError(
            "more was credited than the invoice's net",
            field="credited_net",
            value=str(credited),
            entity_id=inv.id,
        )
    amount = inv.net_total - credited
    return _entry(
        entry_id,
        on,
        EntryKind.DELIVERY,
        [(Account.DEFERRED_REVENUE, amount, True), (Account.REVENUE, amount, False)],
        inv.id,
        f"delivery of invoice {inv.number}",
    )


def entry_for_credit_note(
    credit_note: Invoice,
    policy: RevenuePolicy,
    entry_id: str,
    *,
    on: date | None = None,
    delivered: bool | None = None,
    account: Account = Account.SALES_RETURNS,
) -> JournalEntry:
    """Dr sales returns (net) / Dr tax payable (tax) / Cr receivable (grand total).

    ``account`` is the contra-revenue account: :attr:`Account.SALES_RETURNS` (returns,
    cancellations) or :attr:`Account.SALES_ALLOWANCES` (price adjustments). Under a policy
    that defers revenue, say whether the credited goods were ``delivered``: if not, the net
    comes out of deferred revenue instead (and the later :func:`entry_for_delivery` must
    be told, through ``credited_net``).

    Raises:
        ValidationError: a deferring policy and ``delivered`` not given; ``account`` is not
            a contra-revenue account.
    """
    note = _document(credit_note, InvoiceKind.CREDIT_NOTE)
    if account not in _CONTRA_REVENUE:
        raise ValidationError(
            "must be SALES_RETURNS or SALES_ALLOWANCES", field="account", value=account
        )
    if _policy(policy).defers(note):
        if delivered is None:
            raise ValidationError(
                "the policy defers revenue: say whether the goods were delivered",
                field="delivered",
                value=None,
                entity_id=note.id,
            )
        if not delivered:
            account = Account.DEFERRED_REVENUE
    return _entry(
        entry_id,
        on or note.issued_on,
        EntryKind.CREDIT_NOTE,
        [
            (account, note.net_total, True),
            (Account.TAX_PAYABLE, note.tax_total, True),
            (Account.ACCOUNTS_RECEIVABLE, note.grand_total, False),
        ],
        note.id,
        f"credit note {note.number} for {note.credits}",
    )


# -- posting rules: cash --------------------------------------------------------------------


def _amounts(**named: Money | None) -> dict[str, Money]:
    """The named amounts, checked non-negative and in one currency; ``None`` → zero."""
    given = {k: _amount(v, k) for k, v in named.items() if v is not None}
    currencies = {m.currency for m in given.values()}
    if len(currencies) != 1:
        raise CurrencyMismatch(
            "the amounts must be in one currency",
            field=next(iter(named)),
            value=sorted(currencies),
        )
    zero = Money.zero(currencies.pop())
    return {k: given.get(k, zero) for k in named}


def entry_for_payment(
    *,
    entry_id: str,
    on: date,
    amount: Money,
    applied: Money,
    unapplied: Money | None = None,
    discount: Money | None = None,
    prepayment: bool = False,
    reference: str | None = None,
    memo: str = "",
) -> JournalEntry:
    """Dr cash ``amount`` / Cr receivable ``applied`` / Cr customer credit ``unapplied``.

    ``amount`` = ``applied`` + ``unapplied`` (``unapplied`` defaults to the difference).
    With ``prepayment``, the unapplied part pays an order not yet shipped and goes to
    deferred revenue instead of customer credit (see :func:`entry_for_prepayment_applied`).
    An early-payment ``discount`` settles that much more of the receivable without cash:
    Dr discounts allowed / Cr receivable (one receivable line: applied + discount).

    Raises:
        ValidationError: the parts do not add up to ``amount``, or an amount is negative.
    """
    a = _amounts(amount=amount, applied=applied, unapplied=unapplied, discount=discount)
    rest = a["amount"] - a["applied"]
    if rest.is_negative or (unapplied is not None and a["unapplied"] != rest):
        raise ValidationError(
            "amount must equal applied + unapplied",
            field="unapplied",
            value=str(a["unapplied"]),
            entity_id=entry_id,
        )
    holder = Account.DEFERRED_REVENUE if prepayment else Account.CUSTOMER_CREDIT
    discount = a["discount"]
    settled = a["applied"] if discount.is_zero else a["applied"] + discount
    return _entry(
        entry_id,
        on,
        EntryKind.PAYMENT,
        [
            (Account.CASH, a["amount"], True),
            (Account.DISCOUNTS_ALLOWED, discount, True),
            (Account.ACCOUNTS_RECEIVABLE, settled, False),
            (holder, rest, False),
        ],
        reference,
        memo or "payment",
    )


def entry_for_credit_application(
    *, entry_id: str, on: date, amount: Money, reference: str | None = None, memo: str = ""
) -> JournalEntry:
    """Dr customer credit / Cr receivable: unapplied cash applied to an invoice later."""
    a = _amounts(amount=amount)["amount"]
    return _entry(
        entry_id,
        on,
        EntryKind.CREDIT_APPLIED,
        [(Account.CUSTOMER_CREDIT, a, True), (Account.ACCOUNTS_RECEIVABLE, a, False)],
        reference,
        memo or "customer credit applied",
    )


def entry_for_prepayment_applied(
    *,
    entry_id: str,
    on: date,
    to_receivable: Money,
    to_credit: Money | None = None,
    reference: str | None = None,
    memo: str = "",
) -> JournalEntry:
    """Dr deferred revenue / Cr receivable ``to_receivable`` / Cr customer credit ``to_credit``.

    When the goods of a prepaid order ship, the invoice's receivable is paid from the
    prepayment held in deferred revenue; the invoice's own entry has recognised the
    revenue. Whatever is left of a prepayment once the order is done (cancelled lines)
    becomes the customer's credit (``to_credit``), to be applied or refunded.
    """
    a = _amounts(to_receivable=to_receivable, to_credit=to_credit)
    return _entry(
        entry_id,
        on,
        EntryKind.PREPAYMENT_APPLIED,
        [
            (Account.DEFERRED_REVENUE, a["to_receivable"] + a["to_credit"], True),
            (Account.ACCOUNTS_RECEIVABLE, a["to_receivable"], False),
            (Account.CUSTOMER_CREDIT, a["to_credit"], False),
        ],
        reference,
        memo or "prepayment applied",
    )


def entry_for_write_off(
    *, entry_id: str, on: date, amount: Money, reference: str | None = None, memo: str = ""
) -> JournalEntry:
    """Dr bad-debt expense / Cr receivable: an amount the business gives up collecting."""
    a = _amounts(amount=amount)["amount"]
    return _entry(
        entry_id,
        on,
        EntryKind.WRITE_OFF,
        [(Account.BAD_DEBT_EXPENSE, a, True), (Account.ACCOUNTS_RECEIVABLE, a, False)],
        reference,
        memo or "write-off",
    )


def entry_for_refund(
    *,
    entry_id: str,
    on: date,
    amount: Money,
    prepayment: bool = False,
    reference: str | None = None,
    memo: str = "",
) -> JournalEntry:
    """Dr customer credit / Cr cash: money paid back to the customer.

    With ``prepayment``, the refund pays back a prepayment still held in deferred revenue
    (an order cancelled before it shipped): Dr deferred revenue instead.
    """
    a = _amounts(amount=amount)["amount"]
    holder = Account.DEFERRED_REVENUE if prepayment else Account.CUSTOMER_CREDIT
    return _entry(
        entry_id,
        on,
        EntryKind.REFUND,
        [(holder, a, True), (Account.CASH, a, False)],
        reference,
        memo or "refund",
    )


def entry_for_payment_reversal(
    payment: JournalEntry, *, entry_id: str, on: date, memo: str = ""
) -> JournalEntry:
    """The mirror of ``payment``'s entry (a bounced payment): every line on the other side.

    The receivable it had settled is owed again, the cash is gone, and the customer credit,
    prepayment or discount it had created is taken back.
    """
    if not isinstance(payment, JournalEntry) or payment.kind is not EntryKind.PAYMENT:
        raise ValidationError("must be a payment's entry", field="payment", value=payment)
    return payment.mirrored(
        entry_id=entry_id,
        on=on,
        kind=EntryKind.PAYMENT_REVERSAL,
        memo=memo or f"reversal of payment {payment.id}",
    )


# -- the journal --------------------------------------------------------------------------------


def _currency(currency: str) -> str:
    minor_units(currency)  # raises UnknownCurrency
    return currency


@attrs.define
class Journal:
    """The book of journal entries, with running balances per account and currency.

    ``post`` is idempotent: an entry posted again with the same id and content changes
    nothing; the same id with other content is a :class:`DuplicateId`. Balances are
    debit-positive (a credit balance is negative), so the trial balance of every currency
    sums to zero.
    """

    _entries: dict[str, JournalEntry] = attrs.field(factory=dict, init=False)
    _balances: dict[tuple[Account, str], Decimal] = attrs.field(
        factory=lambda: defaultdict(Decimal), init=False
    )
    _prepaid: dict[str, Decimal] = attrs.field(factory=lambda: defaultdict(Decimal), init=False)
    # Set by the hub that owns this journal (see orderhub._log); not part of its value.
    _command_log: Any = attrs.field(default=None, init=False, eq=False, repr=False)

    @classmethod
    def of(cls, entries: Iterable[JournalEntry]) -> Journal:
        """A journal with ``entries`` posted in order (to rebuild one from storage)."""
        journal = cls()
        for entry in entries:
            journal.post(entry)
        return journal

    def post(self, entry: JournalEntry) -> bool:
        """Add ``entry``; True if it is new, False if it was posted before (unchanged).

        Raises:
            DuplicateId: an entry with that id but other content was posted before.
        """
        if not isinstance(entry, JournalEntry):
            raise ValidationError("must be a JournalEntry", field="entry", value=entry)
        known = self._entries.get(entry.id)
        if known is not None:
            if known == entry:
                return False
            raise DuplicateId("another entry was posted with this id", field="id", value=entry.id)
        self._entries[entry.id] = entry
        for line in entry.lines:
            signed = exact_sub(line.debit.amount, line.credit.amount)
            key = (line.account, line.currency)
            self._balances[key] = exact_add(self._balances[key], signed)
            if line.account is Account.DEFERRED_REVENUE and entry.kind in _PREPAYMENT_KINDS:
                self._prepaid[line.currency] = exact_sub(self._prepaid[line.currency], signed)
        return True

    def entries(self) -> tuple[JournalEntry, ...]:
        """Every entry, in the order posted."""
        return tuple(self._entries.values())

    def entry(self, entry_id: str) -> JournalEntry:
        """The entry ``entry_id``."""
        try:
            return self._entries[entry_id]
        except KeyError:
            raise NotFound("no such entry", field="entry_id", value=entry_id) from None

    def currencies(self) -> tuple[str, ...]:
        """The currencies any entry has moved, sorted."""
        return tuple(sorted({c for _, c in self._balances}))

    def balance(self, account: Account, currency: str) -> Money:
        """``account``'s balance in ``currency``: debits − credits."""
        if not isinstance(account, Account):
            raise ValidationError("must be an Account", field="account", value=account)
        c = _currency(currency)
        return Money(self._balances.get((account, c), Decimal(0)), c)

    def trial_balance(self, currency: str) -> dict[Account, Money]:
        """Every account's balance in ``currency`` (debit-positive); they sum to zero."""
        c = _currency(currency)
        return {a: self.balance(a, c) for a in Account}

    def recognised_revenue(self, currency: str) -> Money:
        """Revenue earned, net of returns and allowances: −(revenue + contra-revenue)."""
        c = _currency(currency)
        total = self.balance(Account.REVENUE, c)
        for account in _CONTRA_REVENUE:
            total = total + self.balance(account, c)
        return -total

    def deferred_revenue(self, currency: str) -> Money:
        """Revenue invoiced but not yet earned (awaiting delivery).

        The deferred-revenue account also holds prepayments (:meth:`prepayments_held`);
        the two together are its credit balance. Invariant: recognised + deferred revenue
        = Σ invoice nets − Σ credit-note nets.
        """
        c = _currency(currency)
        return -self.balance(Account.DEFERRED_REVENUE, c) - self.prepayments_held(c)

    def prepayments_held(self, currency: str) -> Money:
        """Cash received for orders not yet shipped, held in deferred revenue.

        These are the deferred-revenue movements of payment, payment-reversal,
        prepayment-applied and refund entries; those of every other kind are revenue.
        """
        c = _currency(currency)
        return Money(self._prepaid.get(c, Decimal(0)), c)
