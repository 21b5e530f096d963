"""Properties of the receivables ledger: the balance identity, the aging partition, and
indexes that agree with a full scan, after any sequence of commands."""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from hypothesis import event, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
)

from orderhub import Money
from orderhub._receivables import Receivables
from orderhub._receivables_index import DayTree, bucket_sums, scan_buckets
from orderhub._receivables_values import ItemKind, OpenItem
from orderhub.errors import IdempotencyConflict, ValidationError
from test_receivables import ledger_state

D0 = date(2026, 1, 1)
CUSTOMERS = ("ann", "bob", "cy")
CURRENCIES = ("JPY", "USD", "KWD")  # 0, 2 and 3 decimals
AS_OF = D0 + timedelta(days=75)

customers = st.sampled_from(CUSTOMERS)
currencies = st.sampled_from(CURRENCIES)
units = st.integers(1, 5_000)
days = st.integers(0, 120)
bucket_configs = st.one_of(
    st.just((0, 30, 60, 90, 120)),
    st.lists(st.integers(-60, 200), min_size=1, max_size=6, unique=True).map(
        lambda b: tuple(sorted(b))
    ),
)


def money(n: int, currency: str) -> Money:
    """``n`` minor units of ``currency``."""
    return Money.from_minor(n, currency)


def brute_aging(
    items: list[OpenItem], as_of: date, by_due: bool, bounds: tuple[int, ...]
) -> list[int]:
    """Bucket sums in minor units by looking at every open item."""
    sums = [0] * (len(bounds) + 1)
    for item in items:
        age = (as_of - (item.due_on if by_due else item.issued_on)).days
        sums[bisect_left(bounds, age)] += item.open.minor_units
    return sums


class ReceivablesMachine(RuleBasedStateMachine):
    """Random sequences of every receivables command in three currencies, with the ledger's
    invariants after each step and a model of every balance term kept on the side.

    A command the model says must fail has to raise and leave the ledger exactly as it was.
    """

    invoices = Bundle("invoices")
    payments = Bundle("payments")

    promote_at = Receivables._PROMOTE_AT

    def __init__(self) -> None:
        super().__init__()
        self.r = Receivables()
        self.r._promote_at = self.promote_at
        self.n = 0
        # (customer, currency) → term → minor units, from the commands' own answers
        self.terms: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.payment_args: dict[str, dict[str, Any]] = {}
        self.invoice_owner: dict[str, tuple[str, str]] = {}

    def next_id(self, prefix: str) -> str:
        """A fresh id."""
        self.n += 1
        return f"{prefix}{self.n}"

    def note_applications(self, account: tuple[str, str], applications: Any) -> None:
        """Add the discounts of ``applications`` to the model."""
        for a in applications:
            self.terms[account]["discounts"] += a.discount.minor_units
            if a.discount.amount:
                event("discount allowed")

    # -- rules ---------------------------------------------------------------------------

    @rule(
        target=invoices,
        customer=customers,
        currency=currencies,
        amount=units,
        issued=days,
        terms=st.sampled_from((0, 10, 30, 45)),
        instalments=st.integers(0, 3),
        discount=st.booleans(),
    )
    def add_invoice(
        self,
        customer: str,
        currency: str,
        amount: int,
        issued: int,
        terms: int,
        instalments: int,
        discount: bool,
    ) -> str:
        """A new invoice always succeeds and is invoiced in full."""
        inv = self.next_id("inv")
        issued_on = D0 + timedelta(days=issued)
        due_on = issued_on + timedelta(days=terms)
        parts = ()
        if instalments and amount >= instalments:
            shares = money(amount, currency).split(instalments)
            step = terms // instalments
            parts = tuple(
                (share, issued_on + timedelta(days=step * (k + 1)))
                for k, share in enumerate(shares)
            )
            parts = (*parts[:-1], (parts[-1][0], due_on))
        extra: dict[str, Any] = {}
        if discount and amount >= 50:
            extra = {
                "discount": money(amount // 50, currency),
                "discount_until": issued_on + timedelta(days=terms // 3),
            }

        applied = self.r.add_invoice(
            invoice_id=inv,
            customer_id=customer,
            number=f"N-{inv}",
            currency=currency,
            amount=money(amount, currency),
            issued_on=issued_on,
            due_on=due_on,
            instalments=parts,
            **extra,
        )

        self.terms[(customer, currency)]["invoiced"] += amount
        self.note_applications((customer, currency), applied)
        self.invoice_owner[inv] = (customer, currency)
        assert self.r.item(inv).amount == money(amount, currency)
        return inv

    @rule(
        customer=customers,
        currency=currencies,
        amount=units,
        on=days,
        invoice=st.none() | invoices,
    )
    def add_credit_note(
        self, customer: str, currency: str, amount: int, on: int, invoice: str | None
    ) -> None:
        """A credit note on the customer's own invoice (or none) reduces it, latest due
        first; on someone else's it is refused and changes nothing."""
        if invoice is not None:
            customer, currency = self.invoice_owner[invoice]
        cn = self.next_id("cn")

        result = self.r.add_credit_note(
            credit_note_id=cn,
            customer_id=customer,
            invoice_id=invoice,
            currency=currency,
            amount=money(amount, currency),
            issued_on=D0 + timedelta(days=on),
        )

        self.terms[(customer, currency)]["credited"] += amount
        applied = sum(a.applied.minor_units for a in result.applications)
        assert applied + result.unapplied.minor_units == amount
        dues = (
            [
                self.r.item(invoice).items[a.instalment - 1].due_on
                for a in result.applications
                if a.instalment is not None
            ]
            if invoice
            else []
        )
        assert dues == sorted(dues, reverse=True)

    @rule(
        target=payments,
        customer=customers,
        currency=currencies,
        amount=st.integers(1, 8_000),
        on=days,
        named=st.lists(invoices, max_size=3, unique=True),
    )
    def record_payment(
        self, customer: str, currency: str, amount: int, on: int, named: list[str]
    ) -> str:
        """A payment names only the customer's invoices in its currency (others are
        refused, unchanged); what it applies plus what is left over is the payment."""
        pay = self.next_id("pay")
        args = {
            "payment_id": pay,
            "customer_id": customer,
            "amount": money(amount, currency),
            "received_on": D0 + timedelta(days=on),
            "invoices": tuple(named),
        }
        foreign = [i for i in named if self.invoice_owner[i] != (customer, currency)]
        if foreign:
            before = ledger_state(self.r)
            try:
                self.r.record_payment(**args)
            except ValidationError:
                assert ledger_state(self.r) == before
                args["invoices"] = tuple(i for i in named if i not in foreign)
            else:
                raise AssertionError("a payment naming a foreign invoice was accepted")

        result = self.r.record_payment(**args)

        self.payment_args[pay] = args
        self.terms[(customer, currency)]["paid"] += amount
        self.note_applications((customer, currency), result.applications)
        applied = sum(a.applied.minor_units for a in result.applications)
        assert applied + result.unapplied.minor_units == amount
        event(f"payment named {len(args['invoices'])} invoice(s)")
        return pay

    @rule(target=payments, invoice=invoices, extra=st.integers(0, 50))
    def pay_on_time(self, invoice: str, extra: int) -> str:
        """Paying an invoice in full on its invoice date takes every discount still
        available on it (an early payment settles each item and the rest stays
        unapplied)."""
        customer, currency = self.invoice_owner[invoice]
        before = self.r.item(invoice)
        available = sum(i.discount.minor_units for i in before.items)
        amount = before.open.minor_units + extra
        if not amount:
            amount = 1 + extra
        pay = self.next_id("pay")
        args = {
            "payment_id": pay,
            "customer_id": customer,
            "amount": money(amount, currency),
            "received_on": before.issued_on,
            "invoices": (invoice,),
        }

        result = self.r.record_payment(**args)

        self.payment_args[pay] = args
        self.terms[(customer, currency)]["paid"] += amount
        self.note_applications((customer, currency), result.applications)
        assert result.discount.minor_units == available
        assert self.r.item(invoice).open.is_zero
        return pay

    @rule(payment=payments, change=st.booleans())
    def repeat_payment(self, payment: str, change: bool) -> None:
        """The same payment again changes nothing; the same reference with another amount
        is a conflict and changes nothing either."""
        args = dict(self.payment_args[payment])
        first = self.r.payment(payment)
        before = ledger_state(self.r)

        if change:
            args["amount"] = args["amount"] + money(1, args["amount"].currency)
            try:
                self.r.record_payment(**args)
            except IdempotencyConflict:
                pass
            else:
                raise AssertionError("a changed payment under a used reference was accepted")
        else:
            assert self.r.record_payment(**args) == first

        assert ledger_state(self.r) == before

    @rule(customer=customers, on=days)
    def apply_unapplied(self, customer: str, on: int) -> None:
        """Applying unapplied credit leaves no account with both credit and open items."""
        if customer not in self.r._by_customer:
            return

        applied = self.r.apply_unapplied(customer, D0 + timedelta(days=on))

        for a in applied:
            self.note_applications((customer, a.applied.currency), [a])
        for currency in self.r.currencies(customer):
            assert self.r.unapplied(customer, currency).is_zero or not self.r.open_items(
                customer, currency
            )

    @rule(invoice=invoices, limit=st.none() | st.integers(0, 3_000), late=st.integers(0, 60))
    def write_off(self, invoice: str, limit: int | None, late: int) -> None:
        """A write-off closes the invoice's remainder unless it is zero or above the
        limit, in which case it is refused and changes nothing."""
        customer, currency = self.invoice_owner[invoice]
        before = self.r.item(invoice)
        remainder = before.open.minor_units
        max_amount = None if limit is None else money(limit, currency)
        on = before.issued_on + timedelta(days=late)

        if remainder == 0 or (limit is not None and remainder > limit):
            state = ledger_state(self.r)
            try:
                self.r.write_off(invoice, on=on, reason="small", max_amount=max_amount)
            except ValidationError:
                assert ledger_state(self.r) == state
                return
            raise AssertionError("a write-off that should fail succeeded")
        done = self.r.write_off(invoice, on=on, reason="small", max_amount=max_amount)

        assert done.amount.minor_units == remainder
        assert self.r.item(invoice).open.is_zero
        self.terms[(customer, currency)]["written_off"] += remainder

    @rule(payment=payments, late=st.integers(0, 30))
    def reverse_payment(self, payment: str, late: int) -> None:
        """A reversal puts the payment and the discounts it earned back on the balance;
        reversing again changes nothing."""
        args = self.payment_args[payment]
        account = (args["customer_id"], args["amount"].currency)
        was_reversed = self.r.reversal(payment) is not None
        on = args["received_on"] + timedelta(days=late)
        before = ledger_state(self.r)

        result = self.r.reverse_payment(payment, on=on, reason="bounced")

        if was_reversed:
            assert ledger_state(self.r) == before
            return
        self.terms[account]["reversed"] += (result.amount + result.discounts).minor_units
        reopened = sum(a.applied.minor_units for a in result.reopened)
        total = reopened + result.unapplied_removed.minor_units
        assert total + result.refund_reopened.minor_units == result.amount.minor_units
        event("reversal re-opened a refund" if result.refund_reopened.amount else "reversal")

    @rule(customer=customers, currency=currencies, amount=st.integers(1, 3_000), on=days)
    def refund(self, customer: str, currency: str, amount: int, on: int) -> None:
        """A refund up to the unapplied credit succeeds; more is refused, unchanged."""
        available = self.r.unapplied(customer, currency).minor_units
        ref = self.next_id("ref")
        call = {
            "customer_id": customer,
            "amount": money(amount, currency),
            "on": D0 + timedelta(days=on),
            "reference": ref,
        }
        if amount > available:
            before = ledger_state(self.r)
            try:
                self.r.refund(**call)
            except ValidationError:
                assert ledger_state(self.r) == before
                return
            raise AssertionError("a refund above the unapplied credit succeeded")

        self.r.refund(**call)

        assert self.r.unapplied(customer, currency).minor_units == available - amount
        self.terms[(customer, currency)]["refunded"] += amount
        event("refund")

    @precondition(lambda self: bool(self.r._books))
    @rule(as_of=st.integers(-30, 300), by_due=st.booleans(), bounds=bucket_configs)
    def aging_matches_a_full_scan(self, as_of: int, by_due: bool, bounds: tuple[int, ...]) -> None:
        """Aging at any date with any buckets equals bucketing every open item by hand,
        per customer and overall, and partitions the open items exactly."""
        day = D0 + timedelta(days=as_of)
        by = "due" if by_due else "invoice"
        for currency in self.r._books:
            items = list(self.r.open_items(currency=currency))
            overall = self.r.aging(day, by=by, buckets=bounds, currency=currency)
            assert [m.minor_units for m in overall.amounts] == brute_aging(
                items, day, by_due, bounds
            )
            for customer in CUSTOMERS:
                mine = [i for i in items if i.customer_id == customer]
                aging = self.r.aging(
                    day, by=by, buckets=bounds, customer_id=customer, currency=currency
                )
                assert [m.minor_units for m in aging.amounts] == brute_aging(
                    mine, day, by_due, bounds
                )

    # -- invariants ----------------------------------------------------------------------

    @invariant()
    def balance_identity_holds(self) -> None:
        """Per account: balance = invoices − credit notes − payments − write-offs −
        discounts + reversals + refunds = Σ open items − unapplied credit, and every term
        matches the model."""
        for (customer, currency), acct in self.r._accounts.items():
            totals = self.r.totals(customer, currency)
            model = self.terms[(customer, currency)]
            for term in (
                "invoiced",
                "credited",
                "paid",
                "written_off",
                "discounts",
                "reversed",
                "refunded",
            ):
                assert getattr(totals, term).minor_units == model[term], term
            items = self.r.open_items(customer, currency)
            open_sum = sum(i.open.minor_units for i in items)
            unapplied = self.r.unapplied(customer, currency)
            assert not unapplied.is_negative
            assert totals.balance == self.r.balance(customer, currency)
            assert self.r.balance(customer, currency).minor_units == (
                open_sum - unapplied.minor_units
            )
            assert acct.open_total == open_sum

    @invariant()
    def no_open_item_is_negative_and_each_adds_up(self) -> None:
        """Every item: 0 ≤ open = amount − credited − paid − discounted − written off, and
        no more discount allowed than it was given."""
        for item in self.r._items.values():
            assert item.open >= 0
            assert item.open == (
                item.amount - item.credited - item.paid - item.discounted - item.written_off
            )
            assert min(item.credited, item.paid, item.discounted, item.written_off) >= 0
            assert item.discounted <= item.discount  # a discount is allowed once at most
        for item in self.r.open_items():
            assert item.is_open
            assert item.kind is ItemKind.INVOICE or item.number is None

    @invariant()
    def aging_partitions_the_open_items(self) -> None:
        """Aging buckets sum exactly to the open items, per customer and overall."""
        if any(a.by_due is not None for a in self.r._accounts.values()):
            event("an account has its own aging trees")
        for currency, book in self.r._books.items():
            overall = self.r.aging(AS_OF, currency=currency)
            assert sum(m.minor_units for m in overall.amounts) == book.open_total
            assert overall.total.minor_units == book.open_total
            per_customer = 0
            for customer in CUSTOMERS:
                aging = self.r.aging(AS_OF, customer_id=customer, currency=currency, by="invoice")
                assert sum(m.minor_units for m in aging.amounts) == aging.total.minor_units
                per_customer += aging.total.minor_units
            assert per_customer == book.open_total

    @invariant()
    def the_statement_closes_at_the_balance(self) -> None:
        """A statement over all time closes at the balance; its running balance adds up."""
        for customer, currency in self.r._accounts:
            s = self.r.statement(customer, currency, D0 - timedelta(days=1), date(2030, 1, 1))
            assert s.opening.is_zero
            assert s.closing == self.r.balance(customer, currency)
            running = s.opening
            for line in s.lines:
                running = running + line.amount
                assert line.balance == running


TestReceivablesMachine = ReceivablesMachine.TestCase
TestReceivablesMachine.settings = settings(max_examples=150, stateful_step_count=40, deadline=None)


class LargeAccountsMachine(ReceivablesMachine):
    """The same machine with accounts given their own aging trees from their third open
    item, so that the per-account Fenwick trees are exercised too."""

    promote_at = 2


TestLargeAccountsMachine = LargeAccountsMachine.TestCase
TestLargeAccountsMachine.settings = settings(
    max_examples=100, stateful_step_count=40, deadline=None
)


@settings(max_examples=200, deadline=None)
@given(
    currency=currencies,
    entries=st.lists(
        st.tuples(st.sampled_from(CUSTOMERS), units, days, st.integers(0, 90)),
        min_size=1,
        max_size=40,
    ),
    payments=st.lists(st.tuples(st.sampled_from(CUSTOMERS), units), max_size=10),
    as_of=st.integers(-400, 800),
    bounds=bucket_configs,
    by_due=st.booleans(),
    promote_at=st.sampled_from((0, 3, 64)),
)
def test_aging_partitions_the_open_balance_at_any_date_and_buckets(
    currency: str,
    entries: list[tuple[str, int, int, int]],
    payments: list[tuple[str, int]],
    as_of: int,
    bounds: tuple[int, ...],
    by_due: bool,
    promote_at: int,
) -> None:
    """At any as-of date and bucket bounds, in 0-, 2- and 3-decimal currencies, the aging
    buckets partition the open items exactly and equal bucketing them one by one."""
    r = Receivables()
    r._promote_at = promote_at
    for k, (customer, amount, issued, terms) in enumerate(entries):
        on = D0 + timedelta(days=issued)
        r.add_invoice(
            invoice_id=f"i{k}",
            customer_id=customer,
            number=f"n{k}",
            currency=currency,
            amount=money(amount, currency),
            issued_on=on,
            due_on=on + timedelta(days=terms),
        )
    for k, (customer, amount) in enumerate(payments):
        r.record_payment(
            payment_id=f"p{k}",
            customer_id=customer,
            amount=money(amount, currency),
            received_on=D0,
        )
    day = D0 + timedelta(days=as_of)
    by = "due" if by_due else "invoice"

    overall = r.aging(day, by=by, buckets=bounds, currency=currency)

    items = list(r.open_items(currency=currency))
    assert [m.minor_units for m in overall.amounts] == brute_aging(items, day, by_due, bounds)
    assert sum(m.minor_units for m in overall.amounts) == sum(i.open.minor_units for i in items)
    assert all(m.currency == currency for m in overall.amounts)
    for customer in CUSTOMERS:
        aging = r.aging(day, by=by, buckets=bounds, customer_id=customer, currency=currency)
        mine = [i for i in items if i.customer_id == customer]
        assert [m.minor_units for m in aging.amounts] == brute_aging(mine, day, by_due, bounds)
        assert aging.total == sum((i.open for i in mine), money(0, currency))


amounts = st.one_of(st.integers(-1000, 1000), st.just(2**63), st.just(-(2**63)))


@settings(max_examples=300, deadline=None)
@given(
    adds=st.lists(st.tuples(st.integers(738_000, 742_000), amounts), min_size=1, max_size=60),
    queries=st.lists(st.integers(737_000, 743_000), max_size=10),
    compact=st.booleans(),
)
def test_day_tree_prefix_sums_agree_with_a_full_sum(
    adds: list[tuple[int, int]], queries: list[int], compact: bool
) -> None:
    """Every prefix sum of the Fenwick tree equals summing the amounts by hand as its
    window grows either way, whatever the sign or size (beyond 64 bits) of the amounts."""
    check_day_tree(adds, queries, compact)


@settings(max_examples=15, deadline=None)
@given(
    adds=st.lists(
        st.tuples(st.sampled_from((1, 2, 739_000, 3_652_058, 3_652_059)), amounts),
        min_size=1,
        max_size=8,
    ),
    compact=st.booleans(),
)
def test_day_tree_holds_the_first_and_last_dates_there_are(
    adds: list[tuple[int, int]], compact: bool
) -> None:
    """A tree whose days span every date there is still sums exactly."""
    check_day_tree(adds, [-5, 0, 1, 738_999, 3_652_059, 10**9], compact)


def check_day_tree(adds: list[tuple[int, int]], queries: list[int], compact: bool) -> None:
    """Add ``adds`` to a tree and compare the prefix sums at ``queries`` (and around every
    day added) with sums by hand."""
    tree = DayTree(compact=compact)
    points: dict[int, int] = defaultdict(int)

    for day, delta in adds:
        tree.add(day, delta)
        points[day] += delta

    for q in [*queries, *(d for d, _ in adds), *(d - 1 for d, _ in adds)]:
        assert tree.upto(q) == sum(v for d, v in points.items() if d <= q)


@given(
    amounts=st.lists(st.tuples(st.integers(1, 2000), st.integers(0, 1000)), max_size=30),
    as_of=st.integers(0, 2000),
    bounds=bucket_configs,
)
def test_tree_and_scan_bucket_the_same_way(
    amounts: list[tuple[int, int]], as_of: int, bounds: tuple[int, ...]
) -> None:
    """Bucketing from prefix sums and bucketing item by item agree."""

    class Item:
        def __init__(self, due: int, amount: int) -> None:
            self.due = self.issued = due
            self.open = amount

    tree = DayTree()
    for due, amount in amounts:
        tree.add(due, amount)
    total = sum(a for _, a in amounts)

    via_tree = bucket_sums(tree, total, as_of, bounds)
    via_scan = scan_buckets([Item(d, a) for d, a in amounts], as_of, True, bounds)

    assert via_tree == via_scan
    assert sum(via_tree) == total
