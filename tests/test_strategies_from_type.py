"""st.from_type draws valid instances of every public orderhub type, with no set-up.

Every class exported by ``orderhub``, ``orderhub.routing``, ``orderhub.ports`` and
``orderhub.events`` has a strategy registered through the hypothesis entry point, except
those in :data:`NOT_DRAWN` (each with its reason). For every other class, ``st.from_type``
must draw instances of that class which are valid: they come back equal from
``orderhub.serialization`` (except the types in :data:`NOT_SERIALISED`, each with its
reason) and pass the checks of :data:`CHECKS` (lines that reconcile, invoices and journal
entries that add up, ledgers whose balance identity holds, ...).
"""

from __future__ import annotations

import enum
import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from typing import Any, Protocol

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import orderhub
from orderhub import (
    RFM,
    RFM_SEGMENTS,
    Aging,
    AgingBucket,
    Backtest,
    BillableLine,
    Captured,
    CreditNoteApplication,
    Customer,
    CustomerMaster,
    CustomerView,
    DemandSeries,
    Effect,
    FulfillmentOrder,
    Insights,
    Instalment,
    Invoice,
    InvoiceLine,
    Journal,
    JournalEntry,
    LineQuantities,
    Money,
    Network,
    OpenItem,
    Order,
    OrderHub,
    OrderLine,
    PackingSlip,
    PaymentApplication,
    PaymentReversal,
    PaymentTerms,
    PickList,
    Profile,
    RateTable,
    Receivable,
    Receivables,
    Refund,
    ReturnAuthorization,
    RFMScore,
    RFMSummary,
    Segment,
    Shipment,
    Shipped,
    Statement,
    StockBook,
    errors,
    ports,
    routing,
)
from orderhub import events as ev
from orderhub.serialization import structure, unstructure
from orderhub.testing.invariants import (
    assert_invoices_exact,
    assert_journal_balances,
    assert_lines_reconcile,
    assert_receivables_agree,
    assert_revenue_adds_up,
    assert_stock_conserved,
)

MODULES = (orderhub, routing, ports, ev, errors)
"""The public namespaces whose classes must all be drawable."""

NOT_DRAWN: dict[str, str] = {
    **dict.fromkeys(
        (
            name
            for name in errors.__all__
            if isinstance(getattr(errors, name), type)
            and issubclass(getattr(errors, name), BaseException)
        ),
        "an error (the orderhub.errors hierarchy): raised by the library, not data a test draws",
    ),
    **dict.fromkeys(
        (
            "AsyncErpAdapter",
            "AsyncFinanceAdapter",
            "AsyncFulfillmentAdapter",
            "Clock",
            "ErpAdapter",
            "FinanceAdapter",
            "FulfillmentAdapter",
            "IdFactory",
        ),
        "a port the host implements: orderhub.testing has fakes for it (FixedClock, "
        "SequentialIds, the in-memory adapters), not strategies",
    ),
    **dict.fromkeys(
        ("SyncDriver", "AsyncDriver"),
        "machinery binding a hub to adapters: draw the OrderHub and make the driver",
    ),
}
"""The public classes ``st.from_type`` is not expected to draw, and why."""

NOT_SERIALISED: dict[str, str] = {
    **dict.fromkeys(
        (
            "Catalog",
            "CustomerMaster",
            "Insights",
            "Journal",
            "Network",
            "NetworkView",
            "OrderHub",
            "Receivables",
            "RFMSummary",
            "StockBook",
        ),
        "a book or a view, not a value: the host persists it through the hub's snapshot "
        "and event log, not as one payload",
    ),
    **dict.fromkeys(
        (
            "ByOwner",
            "Closest",
            "Composed",
            "FewestShipments",
            "LowestCost",
            "Pipeline",
            "Priority",
            "Claimer",
            "LocationFilter",
            "Ranker",
            "RoutingStrategy",
            "Segment",
            "Forecaster",
            "StateTable",
            "TaxPolicy",
            "RevenuePolicy",
        ),
        "code, not data: strategies, predicates and policies (or parts typed by a "
        "protocol) are configured in code and never serialised",
    ),
    "RFMScoring": "compares by identity (eq=False): a computation over a summary",
    "PayloadProblem": "the detail of an InvalidPayload error: reported, never sent",
}
"""The drawable classes without a serialised form, and why."""


DRAW_SETTINGS = settings(
    max_examples=10,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def _public_classes() -> dict[str, type[Any]]:
    found: dict[str, type[Any]] = {}
    for module in MODULES:
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            if isinstance(obj, type):
                found.setdefault(name, obj)
    return dict(sorted(found.items()))


PUBLIC = _public_classes()
DRAWN = {name: cls for name, cls in PUBLIC.items() if name not in NOT_DRAWN}


# -- the checks ---------------------------------------------------------------------------------


def _sum(amounts: Iterable[Money], currency: str) -> Money:
    total = Money.zero(currency)
    for a in amounts:
        total = total + a
    return total


def _reconciles(q: LineQuantities) -> None:
    assert q.ordered == q.open + q.allocated + q.backordered + q.shipped + q.cancelled
    assert min(q.open, q.allocated, q.backordered, q.shipped, q.cancelled) >= 0


def _order(order: Order) -> None:
    for line in order.lines:
        _order_line(line)
    assert _sum((line.net for line in order.lines), order.currency) == order.total


def _order_line(line: OrderLine) -> None:
    _reconciles(line.quantities)
    assert line.net == line.gross - line.line_discount - line.order_discount
    assert not line.net.is_negative


def _invoice_line(line: InvoiceLine) -> None:
    assert line.total == line.net + line.tax
    assert min(line.gross, line.discount, line.net, line.tax).amount >= 0


def _invoice(invoice: Invoice) -> None:
    c = invoice.currency
    for line in invoice.lines:
        _invoice_line(line)
    assert _sum((ln.net for ln in invoice.lines), c) == invoice.net_total
    assert _sum((ln.tax for ln in invoice.lines), c) == invoice.tax_total
    assert invoice.grand_total == invoice.net_total + invoice.tax_total
    assert invoice.due_on >= invoice.issued_on
    assert (invoice.credits is not None) is invoice.is_credit_note


def _billable(line: BillableLine) -> None:
    assert 1 <= line.shipped_now <= line.ordered - line.shipped_before
    assert line.discount_now <= line.gross_now


def _entry(entry: JournalEntry) -> None:
    for currency in entry.currencies:
        debits = _sum((ln.debit for ln in entry.lines if ln.currency == currency), currency)
        credits = _sum((ln.credit for ln in entry.lines if ln.currency == currency), currency)
        assert debits == credits, entry.id


def _journal(journal: Journal) -> None:
    for entry in journal.entries():
        _entry(entry)
    for currency in journal.currencies():
        total = _sum(journal.trial_balance(currency).values(), currency)
        assert total == Money.zero(currency)


def _fulfillment_order(fo: FulfillmentOrder) -> None:
    assert fo.lines
    for line in fo.lines:
        assert 0 <= line.shipped <= line.quantity
    assert fo.to_ship == {ln.line_no: ln.to_ship for ln in fo.lines if ln.to_ship}


def _shipment(shipment: Shipment) -> None:
    assert shipment.lines
    assert all(ln.quantity > 0 for ln in shipment.lines)
    numbers = [ln.line_no for ln in shipment.lines]
    assert numbers == sorted(set(numbers))


def _shipped(done: Shipped) -> None:
    _shipment(done.shipment)
    if done.invoice is not None:
        _invoice(done.invoice)
        assert done.invoice.shipment_id == done.shipment.id == done.shipment.id
        assert done.shipment.invoice_id == done.invoice.id
    if done.is_duplicate:
        assert done.events == ()


def _captured(captured: Captured) -> None:
    _order(captured.order)
    if captured.is_duplicate:
        assert captured.events == ()
    else:
        assert any(isinstance(e, ev.OrderCaptured) for e in captured.events)


def _packing_slip(slip: PackingSlip) -> None:
    assert slip.lines
    for line in slip.lines:
        assert line.shipped_now > 0
        assert line.shipped_before + line.shipped_now + line.to_come <= line.ordered


def _pick_list(picks: PickList) -> None:
    assert all(line.quantity > 0 for line in picks.lines)
    keys = [(p.bin is None, p.bin or "", p.sku, p.order_id, p.line_no) for p in picks.lines]
    assert keys == sorted(keys)


def _open_item(item: OpenItem) -> None:
    assert item.open == item.amount - item.credited - item.paid - item.discounted - (
        item.written_off
    )
    assert not item.open.is_negative


def _receivable(r: Receivable) -> None:
    assert r.open == r.amount - r.credited - r.paid - r.discounted - r.written_off
    assert r.items
    assert _sum((i.amount for i in r.items), r.currency) == r.amount
    assert _sum((i.open for i in r.items), r.currency) == r.open


def _receivables(book: Receivables) -> None:
    for customer in book.customers():
        for c in book.currencies(customer):
            balance = book.balance(customer, c)
            assert book.totals(customer, c).balance == balance
            open_total = _sum((i.open for i in book.open_items(customer, c)), c)
            assert balance == open_total - book.unapplied(customer, c)
            aging = book.aging(date(2100, 1, 1), customer_id=customer, currency=c)
            assert _sum(aging.amounts, c) == aging.total == open_total
    for item in book.open_items():
        _open_item(item)


def _payment(p: PaymentApplication) -> None:
    assert p.amount == _sum((a.applied for a in p.applications), p.currency) + p.unapplied
    assert all(a.source_id == p.payment_id for a in p.applications)


def _credit_note(n: CreditNoteApplication) -> None:
    currency = n.amount.currency
    assert n.amount == _sum((a.applied for a in n.applications), currency) + n.unapplied
    assert all(a.discount.is_zero for a in n.applications)


def _reversal(r: PaymentReversal) -> None:
    currency = r.amount.currency
    applied = _sum((a.applied for a in r.reopened), currency)
    assert r.amount == applied + r.unapplied_removed + r.refund_reopened


def _refund(r: Refund) -> None:
    assert r.shares
    assert r.amount == _sum((s.amount for s in r.shares), r.amount.currency)


def _statement(s: Statement) -> None:
    balance = s.opening
    for line in s.lines:
        assert s.start <= line.on <= s.end
        balance = balance + line.amount
        assert line.balance == balance
    assert s.closing == balance


def _aging(a: Aging) -> None:
    assert len(a.amounts) == len(a.bounds) + 1
    assert _sum(a.amounts, a.currency) == a.total
    assert a.balance == a.total - a.unapplied
    assert [b.amount for b in a.buckets] == list(a.amounts)


def _aging_bucket(b: AgingBucket) -> None:
    assert not b.amount.is_negative
    assert b.low is None or b.high is None or b.low < b.high


def _stock_book(book: StockBook) -> None:
    on_hand: dict[tuple[str, str], int] = defaultdict(int)
    reserved: dict[tuple[str, str], int] = defaultdict(int)
    for m in book.movements():
        on_hand[(m.location_id, m.sku)] += m.on_hand_delta
        reserved[(m.location_id, m.sku)] += m.reserved_delta
    held: dict[tuple[str, str], int] = defaultdict(int)
    for r in book.reservations():
        held[(r.location_id, r.sku)] += r.remaining
    for p in book.positions():
        key = (p.location_id, p.sku)
        assert p.on_hand == on_hand[key]
        assert p.reserved == reserved[key] == held[key]
        assert p.available >= 0


def _network(network: Network) -> None:
    ids = [loc.id for loc in network]
    assert len(ids) == len(set(ids)) == len(network)
    assert all(network.get(i).id == i for i in ids)


def _customer(customer: Customer) -> None:
    names = [r.name for r in customer.attribute_history]
    assert set(customer.attributes) == set(names)
    times = [r.captured_at for r in customer.attribute_history]
    assert times == sorted(times)


def _customer_master(master: CustomerMaster) -> None:
    for customer in master:
        _customer(customer)
        assert master.get(customer.id) == customer


def _hub(hub: OrderHub) -> None:
    assert_stock_conserved(hub)
    assert_lines_reconcile(hub)
    assert_invoices_exact(hub)
    assert_receivables_agree(hub, date(2026, 3, 2) + timedelta(days=400))
    for currency in {o.currency for o in hub.orders()}:
        assert_journal_balances(hub, currency)
        assert_revenue_adds_up(hub, currency)


def _insights(insights: Insights) -> None:
    for profile in insights.profiles():
        _profile(profile)


def _profile(p: Profile) -> None:
    assert p.orders >= 0
    assert p.cancelled_orders >= 0
    assert p.returned_units <= p.units
    if p.first_purchase is not None:
        assert p.last_purchase is not None
        assert p.first_purchase <= p.last_purchase


def _view(view: CustomerView) -> None:
    _customer(view.customer)
    _profile(view.profile)
    for order in view.orders:
        _order(order)
    for invoice in view.invoices:
        _invoice(invoice)


def _rfm(r: RFM) -> None:
    assert r.frequency >= 0
    assert 0 <= r.recency <= r.T
    assert r.monetary_value >= 0


def _rfm_summary(summary: RFMSummary) -> None:
    for r in summary.values():
        _rfm(r)


def _rfm_score(s: RFMScore) -> None:
    assert {s.recency, s.frequency, s.monetary} <= {1, 2, 3, 4, 5}
    assert s.segment in RFM_SEGMENTS


def _payment_terms(terms: PaymentTerms) -> None:
    if terms.instalments:
        assert sum(i.share for i in terms.instalments) == 1
    if terms.discount_days is not None:
        assert terms.discount_days <= terms.final_days


def _demand(series: DemandSeries) -> None:
    assert all(v >= 0 for v in series.values)
    if series.bucket == "W":
        assert series.start.weekday() == 0


def _backtest(b: Backtest) -> None:
    assert len(b.actual) == len(b.forecast) == b.holdout
    assert b.mae >= 0


def _return(rma: ReturnAuthorization) -> None:
    assert rma.lines
    assert all(n > 0 and q > 0 for n, q in rma.lines)
    assert rma.received or (rma.restocked is None and not rma.credit_note_ids)


def _effect(effect: Effect) -> None:
    assert effect.attempts >= 0
    assert effect.next_attempt_at >= effect.created_at


def _routing_plan(plan: routing.RoutingPlan) -> None:
    locations = [a.location_id for a in plan.assignments]
    assert len(locations) == len(set(locations))


def _network_view(view: routing.NetworkView) -> None:
    assert not any(view.is_excluded(loc.id) for loc in view.locations())


def _segment(segment: Segment) -> None:
    assert segment.name.strip()
    assert callable(segment.test)


CHECKS: dict[type[Any], Callable[[Any], None]] = {
    Order: _order,
    OrderLine: _order_line,
    LineQuantities: _reconciles,
    Captured: _captured,
    Invoice: _invoice,
    InvoiceLine: _invoice_line,
    BillableLine: _billable,
    JournalEntry: _entry,
    Journal: _journal,
    FulfillmentOrder: _fulfillment_order,
    Shipment: _shipment,
    Shipped: _shipped,
    PackingSlip: _packing_slip,
    PickList: _pick_list,
    OpenItem: _open_item,
    Receivable: _receivable,
    Receivables: _receivables,
    PaymentApplication: _payment,
    CreditNoteApplication: _credit_note,
    PaymentReversal: _reversal,
    Refund: _refund,
    Statement: _statement,
    Aging: _aging,
    AgingBucket: _aging_bucket,
    StockBook: _stock_book,
    Network: _network,
    Customer: _customer,
    CustomerMaster: _customer_master,
    OrderHub: _hub,
    Insights: _insights,
    Profile: _profile,
    CustomerView: _view,
    RFM: _rfm,
    RFMSummary: _rfm_summary,
    RFMScore: _rfm_score,
    PaymentTerms: _payment_terms,
    Instalment: lambda i: i.share > 0,
    RateTable: lambda t: t.rate(country="DE", region=None, category=None, on=date(2026, 1, 1)),
    DemandSeries: _demand,
    Backtest: _backtest,
    ReturnAuthorization: _return,
    Effect: _effect,
    routing.RoutingPlan: _routing_plan,
    routing.NetworkView: _network_view,
    Segment: _segment,
}
"""What makes a drawn value valid beyond its class's own construction checks."""


# -- the tests ----------------------------------------------------------------------------------


def _is_protocol(cls: type[Any]) -> bool:
    return bool(getattr(cls, "_is_protocol", False)) and Protocol in cls.__mro__


def _round_trips(value: Any) -> None:
    data = unstructure(value)
    assert json.loads(json.dumps(data)) == data
    assert structure(data, type(value)) == value


@pytest.mark.parametrize("name", list(DRAWN))
def test_from_type_draws_valid_instances(name: str) -> None:
    """st.from_type(cls) draws instances of cls that round-trip and pass cls's checks."""
    cls = DRAWN[name]
    check = CHECKS.get(cls)
    serialised = attrs.has(cls) and name not in NOT_SERIALISED and not issubclass(cls, enum.Enum)

    @DRAW_SETTINGS
    @given(st.from_type(cls))
    def drawn(value: Any) -> None:
        assert isinstance(value, cls), (type(value), cls)
        if check is not None:
            check(value)
        if serialised:
            _round_trips(value)
        elif issubclass(cls, enum.Enum):
            assert structure(unstructure(value), cls) is value

    drawn()


def test_every_exclusion_names_a_public_class_of_the_kind_it_claims() -> None:
    """The lists of exclusions name public classes only, and no data type hides in them."""
    for name, reason in NOT_DRAWN.items():
        cls = PUBLIC[name]
        if reason.startswith("an error"):
            assert issubclass(cls, BaseException), name
        elif reason.startswith("a port"):
            assert _is_protocol(cls), name
        else:
            assert not attrs.has(cls), name
    for name in NOT_SERIALISED:
        assert name in DRAWN, name


def test_every_check_is_for_a_drawn_class() -> None:
    """Each validity check belongs to a class the parametrised test draws."""
    assert set(CHECKS) <= set(DRAWN.values())


def test_the_public_namespaces_hold_the_types_the_issue_names() -> None:
    """The types the issue lists are all drawn (none is excluded by mistake)."""
    named = {
        "Money", "Address", "GeoPoint", "Customer", "CustomerIdentity", "AttributeRecord",
        "Item", "Catalog", "OrderRequest", "Order", "Location", "Network", "StockBook",
        "Invoice", "PaymentApplication", "Receivables", "OrderHub", "CustomerMaster",
        "RoutingPlan", "Assignment", "Backorder", "PlannedLine",
    }  # fmt: skip

    assert named <= set(DRAWN)
