"""Properties of fulfilment to cash: whatever sequence of shipments, payments, credits,
write-offs, reversals and returns the hub is given, its books stay exact and consistent."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from helpers import address
from orderhub import (
    Channel,
    CustomerIdentity,
    Discount,
    FulfillmentState,
    GeoPoint,
    Item,
    LineRequest,
    Location,
    LocationKind,
    Money,
    OrderHub,
    OrderRequest,
    OrderState,
    PaymentTerms,
    RateTable,
    RecogniseOnDelivery,
    RecogniseOnShipment,
    TaxMode,
    TaxRounding,
    ValidationError,
)
from orderhub.events import OrderStateChanged
from orderhub.testing import FixedClock, SequentialIds
from orderhub.testing.invariants import (
    assert_closed_orders_settled,
    assert_journal_balances,
    assert_revenue_adds_up,
)
from test_order_to_cash import World, cash_state

D = Decimal
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CUSTOMERS = ("ann@example.com", "bob@example.com")
PRICES = {
    "USD": ("149.00", "30.00", "0.15", "9.99", "0.00"),
    "JPY": ("1200", "333", "7", "98000", "0"),
    "KWD": ("4.125", "0.333", "0.005", "12.750", "0.000"),
}
"""Five SKUs per currency, from expensive to a few minor units, and a free gift."""

ORDERS = st.tuples(
    st.sampled_from(CUSTOMERS),
    st.lists(st.tuples(st.integers(0, 4), st.integers(1, 5)), min_size=1, max_size=3),
    st.sampled_from([None, 5, 10]),
)
"""An order: the customer's e-mail, (SKU index, quantity) lines, an order discount in %."""

TERMS = (PaymentTerms(), PaymentTerms.parse("net 30"), PaymentTerms.parse("2/10 net 30"))
SHIPPABLE = frozenset(
    {
        FulfillmentState.RELEASED,
        FulfillmentState.ACCEPTED,
        FulfillmentState.PICKING,
        FulfillmentState.PACKED,
        FulfillmentState.PARTIALLY_SHIPPED,
    }
)


def zero(currency: str) -> Money:
    """Zero in ``currency``."""
    return Money.zero(currency)


def total(amounts: Any, currency: str) -> Money:
    """The sum of ``amounts`` in ``currency``."""
    return sum(amounts, zero(currency))


class OrderToCash(RuleBasedStateMachine):
    """Drives one hub through capture, fulfilment, billing, cash and returns, and checks
    every book after each step."""

    hub: OrderHub
    clock: FixedClock
    currency: str
    mode: TaxMode

    @initialize(
        currency=st.sampled_from(sorted(PRICES)),
        mode=st.sampled_from(TaxMode),
        rounding=st.sampled_from(TaxRounding),
        terms=st.sampled_from(TERMS),
        on_delivery=st.booleans(),
        rate=st.sampled_from([D(0), D("0.0825"), D("0.19")]),
        first=st.lists(ORDERS, min_size=1, max_size=3),
        ship_first=st.booleans(),
    )
    def setup(
        self,
        currency: str,
        mode: TaxMode,
        rounding: TaxRounding,
        terms: PaymentTerms,
        on_delivery: bool,
        rate: Decimal,
        first: list[tuple[str, list[tuple[int, int]], int | None]],
        ship_first: bool,
    ) -> None:
        """A hub in one currency with two DCs holding 40 units of each of five SKUs, and
        the ``first`` orders captured and released (and the first shipped, maybe)."""
        self.clock = FixedClock(T0)
        self.hub = OrderHub(
            clock=self.clock,
            ids=SequentialIds(),
            tax=RateTable({"US": rate, "US:cheap": D("0.05")}),
            tax_mode=mode,
            tax_rounding=rounding,
            terms=terms,
            revenue_policy=RecogniseOnDelivery() if on_delivery else RecogniseOnShipment(),
        )
        self.currency, self.mode = currency, mode
        self.skus = [f"SKU-{n}" for n in range(5)]
        for n, (sku, price) in enumerate(zip(self.skus, PRICES[currency], strict=True)):
            self.hub.catalog.add(
                Item(
                    sku=sku,
                    description=sku,
                    price=Money(price, currency),
                    category="cheap" if n == 2 else None,
                )
            )
        for loc, geo in (("dc-il", GeoPoint(41.85, -87.65)), ("dc-oh", GeoPoint(39.96, -83.0))):
            self.hub.network.add(Location(id=loc, kind=LocationKind.DC, geo=geo))
            for sku in self.skus:
                self.hub.stock.receive(loc, sku, 40)
        self.n = 0
        self.payments: list[tuple[str, Money, str, tuple[str, ...], date]] = []
        for order in first:
            self.capture(*order)
        self.process_and_release()
        if ship_first:
            self.ship_all(0)

    # -- helpers -------------------------------------------------------------------------

    def today(self) -> date:
        return self.clock.now().date()

    def customer_ids(self) -> list[str]:
        return [c.id for c in self.hub.customers]

    def shippable(self) -> list[Any]:
        return [
            fo
            for o in self.hub.orders()
            for fo in self.hub.fulfillment_orders(o.id)
            if fo.state in SHIPPABLE and fo.to_ship
        ]

    def bills(self) -> list[Any]:
        return [i for i in self.hub.invoices() if not i.is_credit_note]

    def open_invoices(self) -> list[Any]:
        return [
            i
            for i in self.bills()
            if not i.grand_total.is_zero and self.hub.receivables.item(i.id).is_open
        ]

    def returnable(self) -> list[tuple[str, int, int]]:
        out = []
        for o in self.hub.orders():
            for line in o.lines:
                room = line.quantities.shipped - self.hub.returned(o.id, line.line_no)
                if room:
                    out.append((o.id, line.line_no, room))
        return out

    def money(self, data: st.DataObject, low: int, high: int) -> Money:
        return Money.from_minor(data.draw(st.integers(low, high)), self.currency)

    # -- rules: orders and fulfilment ------------------------------------------------------

    @precondition(lambda self: self.n < 6)
    @rule(order=ORDERS)
    def capture_one(self, order: tuple[str, list[tuple[int, int]], int | None]) -> None:
        """Capture another order."""
        self.capture(*order)

    def capture(self, who: str, lines: list[tuple[int, int]], percent: int | None) -> None:
        """Capture an order (maybe with an order discount)."""
        self.n += 1
        self.hub.capture(
            OrderRequest(
                channel=Channel.WEB,
                external_id=f"W-{self.n}",
                customer=CustomerIdentity(email=who),
                ship_to=address(geo=GeoPoint(41.88, -87.63)),
                lines=[LineRequest(sku=self.skus[i], quantity=q) for i, q in lines],
                discounts=[] if percent is None else [Discount(percent=D(percent))],
            )
        )

    @rule()
    def process_and_release(self) -> None:
        """Route the queue and release every order that has something pending."""
        self.hub.process()
        for o in list(self.hub.orders()):
            pending = any(
                fo.state is FulfillmentState.PENDING for fo in self.hub.fulfillment_orders(o.id)
            )
            if pending and o.state is not OrderState.ON_HOLD:
                self.hub.release(o.id)

    @precondition(lambda self: bool(self.shippable()))
    @rule(data=st.data())
    def ship(self, data: st.DataObject) -> None:
        """Ship part (or all) of what a released fulfilment order has left."""
        fo = data.draw(st.sampled_from(self.shippable()))
        lines = {}
        for line_no, left in sorted(fo.to_ship.items()):
            qty = data.draw(st.integers(0, left))
            if qty:
                lines[line_no] = qty
        if not lines:
            line_no, left = next(iter(sorted(fo.to_ship.items())))
            lines[line_no] = left
        tracking = f"T-{len(self.hub._shipments) + 1}"
        done = self.hub.confirm_shipment(fo.id, lines, carrier="UPS", tracking=tracking)
        assert not done.is_duplicate
        if data.draw(st.booleans()):
            self.hub.confirm_delivery(done.shipment.id)

    @precondition(lambda self: bool(self.shippable()))
    @rule(pick=st.integers(0, 10))
    def ship_all(self, pick: int) -> None:
        """Ship everything a released fulfilment order has left, by SKU."""
        options = self.shippable()
        fo = options[pick % len(options)]
        lines: dict[str, int] = defaultdict(int)
        for line in fo.lines:
            if line.to_ship:
                lines[line.sku] += line.to_ship
        tracking = f"T-{len(self.hub._shipments) + 1}"
        self.hub.confirm_shipment(fo.id, dict(lines), carrier="UPS", tracking=tracking)

    # -- rules: cash -----------------------------------------------------------------------

    @precondition(lambda self: bool(self.bills()))
    @rule(data=st.data(), named=st.booleans())
    def pay(self, data: st.DataObject, named: bool) -> None:
        """A payment: partial, exact or over; to named invoices or oldest due first."""
        customer = data.draw(st.sampled_from(sorted({i.customer_id for i in self.bills()})))
        owed = max(self.hub.receivables.balance(customer, self.currency).minor_units, 1)
        amount = self.money(data, 1, owed * 2)
        invoices: tuple[str, ...] = ()
        mine = [i.id for i in self.open_invoices() if i.customer_id == customer]
        if named and mine:
            invoices = tuple(data.draw(st.lists(st.sampled_from(mine), unique=True, min_size=1)))
        reference = f"pay-{len(self.payments) + 1}"
        self.hub.record_payment(customer, amount, reference=reference, invoices=invoices)
        self.payments.append((customer, amount, reference, invoices, self.today()))

    @precondition(lambda self: any(o.state is OrderState.RELEASED for o in self.hub.orders()))
    @rule(data=st.data())
    def prepay(self, data: st.DataObject) -> None:
        """A prepayment for an order that has not shipped yet."""
        order = data.draw(
            st.sampled_from([o for o in self.hub.orders() if o.state is OrderState.RELEASED])
        )
        amount = self.money(data, 1, max(order.total.minor_units, 1))
        reference = f"pay-{len(self.payments) + 1}"
        self.hub.record_payment(
            order.customer_id, amount, reference=reference, prepayment_for=order.id
        )
        self.payments.append((order.customer_id, amount, reference, (), self.today()))

    @precondition(lambda self: bool(self.payments))
    @rule(data=st.data())
    def pay_again(self, data: st.DataObject) -> None:
        """A payment recorded again under its reference changes nothing."""
        customer, amount, reference, invoices, on = data.draw(st.sampled_from(self.payments))
        before = cash_state(self.hub)

        events = self.hub.record_payment(
            customer, amount, reference=reference, invoices=invoices, received_on=on
        )

        assert events == ()
        assert cash_state(self.hub) == before

    @precondition(lambda self: bool(self.payments))
    @rule(data=st.data())
    def reverse(self, data: st.DataObject) -> None:
        """A payment bounces (a second reversal is harmless): the closed orders it leaves
        owing go back to invoiced, one event each, and no other order moves."""
        reference = data.draw(st.sampled_from(self.payments))[2]
        before = {o.id: o.state for o in self.hub.orders()}

        events = self.hub.reverse_payment(reference, reason="bounced")

        moved = [e for e in events if isinstance(e, OrderStateChanged)]
        assert len(moved) == len(events) == len({e.order_id for e in moved})
        assert all((e.from_state, e.to_state) == ("closed", "invoiced") for e in moved)
        reopened = {e.order_id for e in moved}
        for order in self.hub.orders():
            expected = OrderState.INVOICED if order.id in reopened else before[order.id]
            assert order.state is expected, order.id

    @precondition(lambda self: bool(self.bills()))
    @rule(data=st.data())
    def credit(self, data: st.DataObject) -> None:
        """A credit note for units of an invoice, or a price adjustment; an over-credit is
        refused and changes nothing."""
        invoice = data.draw(st.sampled_from(self.bills()))
        before = cash_state(self.hub)
        try:
            if data.draw(st.booleans()):
                line = data.draw(st.sampled_from(invoice.lines))
                self.hub.credit(
                    invoice.id,
                    reason="return",
                    lines={line.line_no: data.draw(st.integers(1, line.quantity))},
                )
            else:
                value = (
                    invoice.net_total if self.mode is TaxMode.EXCLUSIVE else invoice.grand_total
                )
                amount = self.money(data, 1, max(value.minor_units, 1))
                self.hub.credit(invoice.id, reason="adjustment", amount=amount)
        except ValidationError:
            assert cash_state(self.hub) == before

    @precondition(lambda self: bool(self.open_invoices()))
    @rule(data=st.data())
    def write_off(self, data: st.DataObject) -> None:
        """Write off what is open on an invoice."""
        invoice = data.draw(st.sampled_from(self.open_invoices()))
        self.hub.write_off(invoice.id, reason="uncollectable")

    @precondition(
        lambda self: any(
            not self.hub.receivables.unapplied(c, self.currency).is_zero
            for c in self.hub.receivables.customers()
        )
    )
    @rule(data=st.data())
    def refund(self, data: st.DataObject) -> None:
        """Pay part of a customer's credit back."""
        rich = [
            c
            for c in self.hub.receivables.customers()
            if not self.hub.receivables.unapplied(c, self.currency).is_zero
        ]
        customer = data.draw(st.sampled_from(rich))
        credit = self.hub.receivables.unapplied(customer, self.currency).minor_units
        amount = self.money(data, 1, credit)
        self.hub.refund(customer, amount, reference=f"rf-{len(self.hub.journal.entries())}")

    # -- rules: returns and time --------------------------------------------------------------

    @precondition(lambda self: bool(self.returnable()))
    @rule(data=st.data(), restock=st.booleans(), location=st.sampled_from(["dc-il", "dc-oh"]))
    def return_goods(self, data: st.DataObject, restock: bool, location: str) -> None:
        """Authorise the return of shipped units and receive them (restocked or scrapped)."""
        order_id, line_no, room = data.draw(st.sampled_from(self.returnable()))
        rma = self.hub.authorize_return(
            order_id, {line_no: data.draw(st.integers(1, room))}, reason="unwanted"
        )
        if data.draw(st.booleans()):
            before = cash_state(self.hub)
            try:
                self.hub.receive_return(rma.id, location_id=location, restock=restock)
            except ValidationError:  # its credit would exceed what is left on the invoice
                assert cash_state(self.hub) == before

    @precondition(lambda self: bool(self.returnable()))
    @rule(data=st.data())
    def return_too_much(self, data: st.DataObject) -> None:
        """Returning more than was shipped and not yet returned is refused."""
        order_id, line_no, room = data.draw(st.sampled_from(self.returnable()))
        before = cash_state(self.hub)
        try:
            self.hub.authorize_return(order_id, {line_no: room + 1}, reason="too many")
        except ValidationError:
            pass
        else:  # pragma: no cover - a failure
            raise AssertionError("an over-return was authorised")
        assert cash_state(self.hub) == before

    @rule(days=st.integers(1, 20))
    def tick(self, days: int) -> None:
        """Days pass."""
        self.clock.advance(days=days)

    # -- invariants ------------------------------------------------------------------------

    @invariant()
    def invoices_are_exact(self) -> None:
        """Σ line nets = net, Σ line taxes = tax, total = net + tax, on every document."""
        for invoice in self.hub.invoices():
            c = invoice.currency
            assert total((ln.net for ln in invoice.lines), c) == invoice.net_total
            assert total((ln.tax for ln in invoice.lines), c) == invoice.tax_total
            assert invoice.grand_total == invoice.net_total + invoice.tax_total

    @invariant()
    def invoiced_within_shipped_value(self) -> None:
        """Per order, what was invoiced never exceeds the value of what shipped."""
        for order in self.hub.orders():
            c = order.currency
            shipped = total((line.unit_price * line.quantities.shipped for line in order.lines), c)
            bills = [i for i in self.hub.invoices(order.id) if not i.is_credit_note]
            gross = total((ln.gross for i in bills for ln in i.lines), c)
            value = total(
                (i.net_total if self.mode is TaxMode.EXCLUSIVE else i.grand_total for i in bills),
                c,
            )
            assert gross == shipped
            assert value <= shipped

    @invariant()
    def balances_and_aging_agree(self) -> None:
        """Balance = the identity's terms; the aging buckets partition the open items."""
        r = self.hub.receivables
        as_of = self.clock.now().date()
        for customer in r.customers():
            for c in r.currencies(customer):
                balance = r.balance(customer, c)
                assert r.totals(customer, c).balance == balance
                aging = r.aging(as_of, customer_id=customer, currency=c)
                assert total(aging.amounts, c) == aging.total
                assert aging.balance == balance
        if r.customers():
            overall = r.aging(as_of, currency=self.currency)
            assert total(overall.amounts, self.currency) == overall.total

    @invariant()
    def journal_balances(self) -> None:
        """Every entry balances, the trial balance sums to zero, and the receivable, customer
        credit and prepayments in the journal agree with the receivables ledger."""
        assert_journal_balances(self.hub, self.currency)

    @invariant()
    def revenue_adds_up(self) -> None:
        """Recognised + deferred revenue = Σ invoice nets − Σ credit-note nets."""
        assert_revenue_adds_up(self.hub, self.currency)

    @invariant()
    def invoiced_orders_have_something_open(self) -> None:
        """An order stays invoiced only while one of its invoices is open; then it closes."""
        for order in self.hub.orders():
            if order.state is OrderState.INVOICED:
                assert any(
                    self.hub.receivables.item(i.id).is_open
                    for i in self.hub.invoices(order.id)
                    if not i.is_credit_note and not i.grand_total.is_zero
                )

    @invariant()
    def closed_orders_owe_nothing(self) -> None:
        """An order is closed only while every invoice of it is settled (a reversal that
        re-opens one takes the order back to invoiced)."""
        assert_closed_orders_settled(self.hub)

    @invariant()
    def returns_within_shipments(self) -> None:
        """Per line, units authorised for return never exceed the units shipped."""
        for order in self.hub.orders():
            for line in order.lines:
                assert 0 <= self.hub.returned(order.id, line.line_no) <= line.quantities.shipped

    @invariant()
    def stock_is_conserved(self) -> None:
        """On-hand and reserved equal the sums of their movements; available is never negative."""
        sums: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
        for m in self.hub.stock.movements():
            sums[(m.location_id, m.sku)][0] += m.on_hand_delta
            sums[(m.location_id, m.sku)][1] += m.reserved_delta
        for p in self.hub.stock.positions():
            assert [p.on_hand, p.reserved] == sums[(p.location_id, p.sku)]
            assert p.available >= 0


OrderToCash.TestCase.settings = settings(
    max_examples=150,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestOrderToCash = OrderToCash.TestCase


# -- shipments of an order ---------------------------------------------------------------------


def scanned_shipments(hub: OrderHub, order_id: str) -> tuple[Any, ...]:
    """An order's shipments as the hub once found them: by a scan of every shipment."""
    return tuple(s for s in hub._shipments.values() if s.order_id == order_id)


def scanned_before(hub: OrderHub, shipment_id: str) -> list[int]:
    """Per line of a shipment, the units its order shipped before it, as the packing slip
    once counted them: by a scan of every shipment up to this one."""
    shipment = hub._shipments[shipment_id]
    earlier = []
    for s in hub._shipments.values():
        if s.id == shipment.id:
            break
        if s.order_id == shipment.order_id:
            earlier.append(s)
    return [sum(s.content.get(sl.line_no, 0) for s in earlier) for sl in shipment.lines]


def assert_shipments_as_scanned(hub: OrderHub) -> None:
    """Every order's shipments and every packing slip are what the scans give."""
    for order in hub.orders():
        assert hub.shipments(order.id) == scanned_shipments(hub, order.id), order.id
    for shipment_id in hub._shipments:
        slip = hub.packing_slip(shipment_id)
        assert [ln.shipped_before for ln in slip.lines] == scanned_before(hub, shipment_id)


SPLIT_ORDERS = st.lists(
    st.lists(
        st.tuples(st.sampled_from(["TENT", "MAT", "LAMP"]), st.integers(1, 7)),
        min_size=1,
        max_size=3,
    ),
    min_size=2,
    max_size=4,
)
"""Orders that compete for 10 units a SKU at two DCs, and acme's lamps at a third: split
over several locations, so over several fulfilment orders."""


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(orders=SPLIT_ORDERS, data=st.data())
def test_shipments_and_packing_slips_are_what_a_scan_of_every_shipment_finds(
    orders: list[list[tuple[str, int]]], data: st.DataObject
) -> None:
    """Orders split over several fulfilment orders, shipped a few units at a time in any
    interleaving, with a snapshot and restore at any point: each order's shipments (oldest
    first) and each packing slip are what a scan of every shipment finds, and so are those
    of the hub rebuilt from the command log."""
    world = World()
    for lines in orders:
        world.order(*lines)
    hub = world.hub
    hub.process()
    for order in list(hub.orders()):
        hub.release(order.id)
    log = []
    restart = data.draw(st.integers(0, 15), label="restart")

    for step in range(data.draw(st.integers(1, 15), label="steps")):
        if step == restart:
            log.extend(world.hub.command_log)
            world.hub = OrderHub.restore(
                world.hub.snapshot(), clock=world.clock, ids=SequentialIds(prefix="r-")
            )
            assert_shipments_as_scanned(world.hub)
        options = [
            fo
            for o in world.hub.orders()
            for fo in world.hub.fulfillment_orders(o.id)
            if fo.state in SHIPPABLE and fo.to_ship
        ]
        if not options:
            break
        fo = data.draw(st.sampled_from(options))
        line_no = data.draw(st.sampled_from(sorted(fo.to_ship)))
        units = data.draw(st.integers(1, fo.to_ship[line_no]))
        world.ship(fo.id, {line_no: units}, f"1Z-{step}")
    log.extend(world.hub.command_log)
    rebuilt = OrderHub(clock=FixedClock(T0), ids=SequentialIds(prefix="other-"))
    rebuilt.replay(log)

    assert_shipments_as_scanned(world.hub)
    assert_shipments_as_scanned(rebuilt)
    for order in world.hub.orders():
        assert rebuilt.shipments(order.id) == world.hub.shipments(order.id)
