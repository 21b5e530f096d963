"""The hub's invariants as plain checks, for your own tests and state machines.

Each function raises ``AssertionError`` naming what broke, and changes nothing. They are
what :class:`orderhub.testing.HubMachine` checks after every step.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from orderhub._hub import OrderHub
from orderhub._journal import Account
from orderhub._money import Money
from orderhub._orders import OrderState

__all__ = [
    "assert_allocations_reserved",
    "assert_closed_orders_settled",
    "assert_invoices_exact",
    "assert_journal_balances",
    "assert_lines_reconcile",
    "assert_receivables_agree",
    "assert_revenue_adds_up",
    "assert_stock_conserved",
]


def _sum(amounts: Iterable[Money], currency: str) -> Money:
    total = Money.zero(currency)
    for a in amounts:
        total = total + a
    return total


def assert_stock_conserved(hub: OrderHub) -> None:
    """Per position: on-hand and reserved are the sums of their movements, reserved is what
    the live reservations hold, and available is never negative (no oversell)."""
    stock = hub.stock
    on_hand: dict[tuple[str, str], int] = defaultdict(int)
    reserved: dict[tuple[str, str], int] = defaultdict(int)
    for m in stock.movements():
        on_hand[(m.location_id, m.sku)] += m.on_hand_delta
        reserved[(m.location_id, m.sku)] += m.reserved_delta
    held: dict[tuple[str, str], int] = defaultdict(int)
    for r in stock.reservations():
        held[(r.location_id, r.sku)] += r.remaining
    for p in stock.positions():
        key = (p.location_id, p.sku)
        assert p.on_hand == on_hand[key], key
        assert p.reserved == reserved[key] == held[key], key
        assert p.available >= 0, key


def assert_allocations_reserved(hub: OrderHub) -> None:
    """Every unit allocated at a location that tracks stock is held there by a live
    reservation of its order line, and every live reservation is such a unit: nothing is
    held for a cancelled, rejected or expired allocation (no stock leaks)."""
    live: dict[tuple[str, int, str], int] = defaultdict(int)
    for r in hub.stock.reservations():
        live[(r.order_id, r.line_no, r.location_id)] += r.remaining
    allocated: dict[tuple[str, int, str], int] = {}
    for order in hub.orders():
        for line in order.lines:
            at = hub._alloc.locations_of(order.id, line.line_no)
            assert sum(at.values()) == line.quantities.allocated, (order.id, line.line_no)
            for location_id, units in at.items():
                if hub.network.get(location_id).tracks_stock:
                    allocated[(order.id, line.line_no, location_id)] = units
    assert allocated == dict(live), "allocations and live reservations differ"


def assert_lines_reconcile(hub: OrderHub) -> None:
    """Every line: ordered = open + allocated + backordered + shipped + cancelled, no term
    negative."""
    for order in hub.orders():
        for line in order.lines:
            q = line.quantities
            assert q.ordered == q.open + q.allocated + q.backordered + q.shipped + q.cancelled
            assert min(q.open, q.allocated, q.backordered, q.shipped, q.cancelled) >= 0


def assert_invoices_exact(hub: OrderHub) -> None:
    """Σ line nets = net, Σ line taxes = tax, grand total = net + tax, on every document."""
    for invoice in hub.invoices():
        c = invoice.currency
        assert _sum((ln.net for ln in invoice.lines), c) == invoice.net_total, invoice.id
        assert _sum((ln.tax for ln in invoice.lines), c) == invoice.tax_total, invoice.id
        assert invoice.grand_total == invoice.net_total + invoice.tax_total, invoice.id


def assert_receivables_agree(hub: OrderHub, as_of: date) -> None:
    """Each account's balance is the identity of its terms, and the aging buckets partition
    its open items exactly."""
    r = hub.receivables
    for customer in r.customers():
        for c in r.currencies(customer):
            balance = r.balance(customer, c)
            assert r.totals(customer, c).balance == balance, customer
            aging = r.aging(as_of, customer_id=customer, currency=c)
            assert _sum(aging.amounts, c) == aging.total, customer
            assert _sum((i.open for i in r.open_items(customer, c)), c) == aging.total, customer


def assert_closed_orders_settled(hub: OrderHub) -> None:
    """An order is closed only while nothing is owed on any of its invoices (credit notes
    owe nothing, and an invoice of free goods is no open item): a payment reversal that
    re-opens one of its invoices takes it back to invoiced."""
    r = hub.receivables
    for order in hub.orders():
        if order.state is not OrderState.CLOSED:
            continue
        owed = [
            i.id
            for i in hub.invoices(order.id)
            if not i.is_credit_note and not i.grand_total.is_zero and r.item(i.id).is_open
        ]
        assert not owed, f"closed order {order.id} owes on invoice(s) {owed}"


def assert_journal_balances(hub: OrderHub, currency: str) -> None:
    """Every entry balances, the trial balance sums to zero, and the journal's receivable
    and customer credit agree with the receivables ledger."""
    journal = hub.journal
    for entry in journal.entries():
        debits = _sum((ln.debit for ln in entry.lines if ln.currency == currency), currency)
        credits = _sum((ln.credit for ln in entry.lines if ln.currency == currency), currency)
        assert debits == credits, entry.id
    assert _sum(journal.trial_balance(currency).values(), currency) == Money.zero(currency)
    r = hub.receivables
    ledger = _sum(
        (r.balance(cu, currency) for cu in r.customers() if currency in r.currencies(cu)),
        currency,
    )
    books = (
        journal.balance(Account.ACCOUNTS_RECEIVABLE, currency)
        + journal.balance(Account.CUSTOMER_CREDIT, currency)
        - journal.prepayments_held(currency)
    )
    assert books == ledger


def assert_revenue_adds_up(hub: OrderHub, currency: str) -> None:
    """Recognised + deferred revenue = Σ invoice nets − Σ credit-note nets."""
    docs = [i for i in hub.invoices() if i.currency == currency]
    invoiced = _sum((i.net_total for i in docs if not i.is_credit_note), currency)
    credited = _sum((i.net_total for i in docs if i.is_credit_note), currency)
    journal = hub.journal
    assert (
        journal.recognised_revenue(currency) + journal.deferred_revenue(currency)
        == invoiced - credited
    )
