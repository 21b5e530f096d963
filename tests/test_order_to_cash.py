"""Fulfilment to cash through the hub: fulfilment orders, shipments, invoices, receivables,
the journal and returns, always through the hub's public commands."""

from __future__ import annotations

import runpy
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from helpers import CATALOG, T0, HubState, address, events_of, hub_state, reconciles, request
from orderhub import (
    Account,
    AccountTotals,
    Discount,
    EntryKind,
    FulfillmentOrder,
    FulfillmentState,
    GeoPoint,
    HoldKind,
    IdempotencyConflict,
    IllegalTransition,
    InvalidQuantity,
    Invoice,
    Item,
    JournalEntry,
    LineRequest,
    Location,
    LocationKind,
    Money,
    Movement,
    MovementKind,
    NotFound,
    OpenItem,
    Order,
    OrderHub,
    OrderState,
    PaymentTerms,
    RateTable,
    RecogniseOnDelivery,
    RecogniseOnShipment,
    ReturnAuthorization,
    RevenuePolicy,
    Shipment,
    Shipped,
    Statement,
    StockPosition,
    TaxMode,
    TaxRounding,
    UnknownLocation,
    UnknownOrder,
    ValidationError,
)
from orderhub.events import (
    CreditNoteIssued,
    FulfillmentOrderChanged,
    InvoiceIssued,
    OrderStateChanged,
    PaymentRecorded,
    ReturnAuthorized,
    ReturnReceived,
    ShipmentConfirmed,
)
from orderhub.testing import FixedClock, SequentialIds

D = Decimal
CHICAGO = GeoPoint(41.88, -87.63)
"""Where the test customers live."""

EXTRA_ITEMS = (
    Item(sku="PIN-A", description="enamel pin A", price=Money("0.15", "USD")),
    Item(sku="PIN-B", description="enamel pin B", price=Money("0.15", "USD")),
)
"""Cheap items whose tax rounds differently per line and per invoice."""


class InvoiceNumbers:
    """An invoice-number sequence the host owns: ``INV-0001``, ``CN-0001``, …"""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    def new_id(self, kind: str) -> str:
        """The next number of ``kind`` (``invoice-number`` or ``credit-note-number``)."""
        n = self.counts.get(kind, 0) + 1
        self.counts[kind] = n
        prefix = "INV" if kind == "invoice-number" else "CN"
        return f"{prefix}-{n:04d}"


class World:
    """A hub with the test catalog and three locations: dc-il (Chicago) and dc-oh (Columbus)
    on the main ERP, each with 10 units of every main SKU, and acme-dc for acme's lamps."""

    def __init__(self, **hub_options: Any) -> None:
        self.clock = FixedClock(T0)
        self.hub = OrderHub(clock=self.clock, ids=SequentialIds(), **hub_options)
        for item in (*CATALOG, *EXTRA_ITEMS):
            self.hub.catalog.add(item)
        main = ("TENT", "MAT", "TEA", "DATES", "PIN-A", "PIN-B")
        self.dc("dc-il", GeoPoint(41.85, -87.65), *((sku, 10) for sku in main))
        self.dc("dc-oh", GeoPoint(39.96, -83.00), *((sku, 10) for sku in main))
        self.dc("acme-dc", GeoPoint(44.98, -93.27), ("LAMP", 10), owner="acme", erp="acme")
        self._n = 0

    def dc(self, location_id: str, geo: GeoPoint, *stock: tuple[str, int], **fields: Any) -> None:
        """Add a DC at ``geo`` with ``(sku, units)`` on hand."""
        self.hub.network.add(Location(id=location_id, kind=LocationKind.DC, geo=geo, **fields))
        for sku, units in stock:
            self.hub.stock.receive(location_id, sku, units)

    def order(self, *lines: tuple[str, int], **fields: Any) -> Order:
        """Capture an order of ``(sku, quantity)`` lines for ann@example.com in Chicago."""
        self._n += 1
        fields.setdefault("ship_to", address(geo=CHICAGO))
        fields.setdefault("email", "ann@example.com")
        external_id = fields.pop("external_id", f"W-{self._n}")
        return self.hub.capture(
            request(
                external_id,
                lines=[LineRequest(sku=s, quantity=q) for s, q in lines],
                **fields,
            )
        ).order

    def released(self, *lines: tuple[str, int], **fields: Any) -> tuple[Order, FulfillmentOrder]:
        """An order captured, processed and released; with its (first) fulfilment order."""
        order = self.order(*lines, **fields)
        self.hub.process()
        self.hub.release(order.id)
        return self.hub.order(order.id), self.hub.fulfillment_orders(order.id)[0]

    def ship(self, fo_id: str, lines: dict[Any, int], tracking: str) -> Shipped:
        """Confirm a UPS shipment of ``lines`` from fulfilment order ``fo_id``."""
        return self.hub.confirm_shipment(fo_id, lines, carrier="UPS", tracking=tracking)

    def shipped(
        self, *lines: tuple[str, int], **fields: Any
    ) -> tuple[Order, FulfillmentOrder, Shipped]:
        """An order shipped complete in one shipment."""
        order, fo = self.released(*lines, **fields)
        done = self.ship(fo.id, dict(lines), f"1Z-{order.id}")
        return self.hub.order(order.id), self.hub.fulfillment_order(fo.id), done

    def state(self, order_id: str) -> OrderState:
        """The order's current state."""
        return self.hub.order(order_id).state


@pytest.fixture
def world() -> World:
    """A hub with the test catalog and three stocked locations."""
    return World()


class CashState(NamedTuple):
    """Everything a fulfilment-to-cash command could change, copied: compare with ``==``."""

    hub: HubState
    movements: tuple[Movement, ...]
    positions: tuple[StockPosition, ...]
    fulfillment: tuple[FulfillmentOrder, ...]
    shipments: dict[str, Shipment]
    shipments_of: dict[str, tuple[str, ...]]
    shipment_keys: dict[str, str]
    invoices: dict[str, Invoice]
    journal: tuple[JournalEntry, ...]
    open_items: tuple[OpenItem, ...]
    totals: tuple[AccountTotals, ...]
    statements: tuple[Statement, ...]
    returns: dict[str, ReturnAuthorization]
    returned: dict[tuple[str, int], int]


def cash_state(hub: OrderHub) -> CashState:
    """A snapshot of the hub, its stock, fulfilment, billing, receivables and journal."""
    accounts = [
        (c, cur) for c in hub.receivables.customers() for cur in hub.receivables.currencies(c)
    ]
    return CashState(
        hub=hub_state(hub),
        movements=hub.stock.movements(),
        positions=tuple(hub.stock.positions()),
        fulfillment=hub._alloc.fulfillment.all(),
        shipments=dict(hub._shipments),
        shipments_of=dict(hub._shipments_of),
        shipment_keys=dict(hub._shipment_keys),
        invoices=dict(hub._invoices),
        journal=hub.journal.entries(),
        open_items=hub.receivables.open_items(),
        totals=tuple(hub.receivables.totals(c, cur) for c, cur in accounts),
        statements=tuple(
            hub.receivables.statement(c, cur, date(2000, 1, 1), date(2100, 1, 1))
            for c, cur in accounts
        ),
        returns=dict(hub._returns),
        returned=dict(hub._returned),
    )


def assert_identities(invoice: Invoice) -> None:
    """Σ line nets = net, Σ line taxes = tax, total = net + tax, each line total = net + tax."""
    zero = Money.zero(invoice.currency)
    assert sum((line.net for line in invoice.lines), zero) == invoice.net_total
    assert sum((line.tax for line in invoice.lines), zero) == invoice.tax_total
    assert invoice.grand_total == invoice.net_total + invoice.tax_total
    for line in invoice.lines:
        assert line.total == line.net + line.tax


def tb_sum(hub: OrderHub, currency: str = "USD") -> Money:
    """The sum of the trial balance in ``currency`` (zero when the books balance)."""
    return sum(hub.journal.trial_balance(currency).values(), Money.zero(currency))


def revenue_identity(hub: OrderHub, currency: str = "USD") -> tuple[Money, Money]:
    """(recognised + deferred revenue, Σ invoice nets − Σ credit-note nets)."""
    zero = Money.zero(currency)
    invoiced = sum(
        (i.net_total for i in hub.invoices() if not i.is_credit_note and i.currency == currency),
        zero,
    )
    credited = sum(
        (i.net_total for i in hub.invoices() if i.is_credit_note and i.currency == currency),
        zero,
    )
    journal = hub.journal
    return journal.recognised_revenue(currency) + journal.deferred_revenue(
        currency
    ), invoiced - credited


# -- fulfilment orders -------------------------------------------------------------------------


def test_one_fulfilment_order_per_assignment_pending_after_process(world: World) -> None:
    """Processing an order makes one pending fulfilment order per location it was routed to."""
    order = world.order(("TENT", 1), ("LAMP", 2))

    world.hub.process()

    fos = world.hub.fulfillment_orders(order.id)
    assert sorted((fo.location_id, fo.erp, fo.state.value) for fo in fos) == [
        ("acme-dc", "acme", "pending"),
        ("dc-il", "main", "pending"),
    ]
    assert sorted([(fl.sku, fl.quantity, fl.shipped) for fl in fo.lines] for fo in fos) == [
        [("LAMP", 2, 0)],
        [("TENT", 1, 0)],
    ]
    assert world.hub.fulfillment_order(fos[0].id) == fos[0]


def test_release_moves_fulfilment_orders_and_order_to_released(world: World) -> None:
    """Releasing an allocated order releases each pending fulfilment order and the order."""
    order = world.order(("TENT", 1), ("LAMP", 2))
    world.hub.process()

    events = world.hub.release(order.id)

    assert {fo.state for fo in world.hub.fulfillment_orders(order.id)} == {
        FulfillmentState.RELEASED
    }
    assert world.state(order.id) is OrderState.RELEASED
    changes = events_of(events, FulfillmentOrderChanged)
    assert [(e.from_state, e.to_state) for e in changes] == [("pending", "released")] * 2
    assert events_of(events, OrderStateChanged)[0].to_state == "released"


def test_release_again_changes_nothing(world: World) -> None:
    """Releasing an order with nothing pending is a harmless repeat."""
    order, _ = world.released(("TENT", 1))
    before = cash_state(world.hub)

    events = world.hub.release(order.id)

    assert events == ()
    assert cash_state(world.hub) == before


def test_release_of_held_order_is_refused(world: World) -> None:
    """An order on hold cannot be released, and nothing changes."""
    order = world.order(("TENT", 1))
    world.hub.process()
    world.hub.hold(order.id, HoldKind.FRAUD, "check the card")
    before = cash_state(world.hub)

    with pytest.raises(IllegalTransition):
        world.hub.release(order.id)

    assert cash_state(world.hub) == before


def test_accept_pick_pack_move_the_fulfilment_order(world: World) -> None:
    """Accept, start picking and mark packed walk the fulfilment order through its states."""
    _, fo = world.released(("TENT", 1))
    hub = world.hub

    seen = [
        hub.accept(fo.id)[0].to_state,
        hub.start_picking(fo.id)[0].to_state,
        hub.mark_packed(fo.id)[0].to_state,
    ]

    assert seen == ["accepted", "picking", "packed"]
    assert hub.fulfillment_order(fo.id).state is FulfillmentState.PACKED


def test_repeated_acceptance_changes_nothing(world: World) -> None:
    """The same acceptance twice is a duplicate message: nothing changes the second time."""
    _, fo = world.released(("TENT", 1))
    world.hub.accept(fo.id)
    before = cash_state(world.hub)

    events = world.hub.accept(fo.id)

    assert events == ()
    assert cash_state(world.hub) == before


def test_accepting_an_unreleased_fulfilment_order_is_refused(world: World) -> None:
    """A location cannot accept what was never released to it; nothing changes."""
    order = world.order(("TENT", 1))
    world.hub.process()
    fo = world.hub.fulfillment_orders(order.id)[0]
    before = cash_state(world.hub)

    with pytest.raises(IllegalTransition):
        world.hub.accept(fo.id)

    assert cash_state(world.hub) == before


def test_packing_before_picking_is_refused(world: World) -> None:
    """Released goes to picking before packed; a skipped step is refused and changes nothing."""
    _, fo = world.released(("TENT", 1))
    before = cash_state(world.hub)

    with pytest.raises(IllegalTransition):
        world.hub.mark_packed(fo.id)

    assert cash_state(world.hub) == before


def test_acceptance_after_cancellation_is_harmless(world: World) -> None:
    """A late acceptance of a cancelled fulfilment order changes nothing."""
    order = world.order(("TENT", 1))
    world.hub.process()
    fo = world.hub.fulfillment_orders(order.id)[0]
    world.hub.cancel(order.id, reason="customer changed mind")
    before = cash_state(world.hub)

    events = world.hub.accept(fo.id)

    assert events == ()
    assert world.hub.fulfillment_order(fo.id).state is FulfillmentState.CANCELLED
    assert cash_state(world.hub) == before


def test_rejected_fulfilment_order_is_rerouted(world: World) -> None:
    """A location's rejection closes its fulfilment order and re-routes the units elsewhere."""
    order, fo = world.released(("TENT", 2))

    world.hub.reject_fulfillment(fo.id, reason="damaged stock")

    assert world.hub.fulfillment_order(fo.id).state is FulfillmentState.REJECTED
    fos = world.hub.fulfillment_orders(order.id)
    assert [(f.location_id, f.state) for f in fos] == [
        ("dc-il", FulfillmentState.REJECTED),
        ("dc-oh", FulfillmentState.PENDING),
    ]
    assert world.hub.stock.reserved("dc-il", "TENT") == 0
    assert world.hub.stock.reserved("dc-oh", "TENT") == 2


def test_unknown_fulfilment_order_is_not_found(world: World) -> None:
    """Asking for a fulfilment order that does not exist is a NotFound naming it."""
    with pytest.raises(NotFound) as caught:
        world.hub.fulfillment_order("nope")

    assert caught.value.value == "nope"


def test_pick_list_per_location_sorted_by_bin_then_sku(world: World) -> None:
    """A pick list holds the released units of one location, by bin, then SKU; no bin last."""
    first, _ = world.released(("TENT", 1), ("MAT", 2), ("LAMP", 1))
    second, _ = world.released(("MAT", 1), ("PIN-A", 1))
    world.order(("TENT", 5))  # captured, not processed: not on any pick list
    bins = {"TENT": "B-07", "MAT": "A-03"}

    picks = world.hub.pick_list("dc-il", bins)

    assert picks.location_id == "dc-il"
    assert [(p.bin, p.sku, p.quantity, p.order_id) for p in picks.lines] == [
        ("A-03", "MAT", 2, first.id),
        ("A-03", "MAT", 1, second.id),
        ("B-07", "TENT", 1, first.id),
        (None, "PIN-A", 1, second.id),
    ]
    assert [(p.sku, p.quantity) for p in world.hub.pick_list("acme-dc").lines] == [("LAMP", 1)]


def test_pick_list_of_an_unknown_location_is_refused(world: World) -> None:
    """A pick list for a location the network does not know is an error, not an empty list."""
    with pytest.raises(UnknownLocation):
        world.hub.pick_list("dc-nowhere")


def test_pick_list_leaves_out_shipped_units(world: World) -> None:
    """Units already shipped are not picked again."""
    _, fo = world.released(("TENT", 3))
    world.ship(fo.id, {"TENT": 2}, "1Z-1")

    picks = world.hub.pick_list("dc-il")

    assert [(p.sku, p.quantity) for p in picks.lines] == [("TENT", 1)]


def test_packing_slip_shows_shipped_now_before_and_to_come(world: World) -> None:
    """A packing slip lists each line's units shipped now, shipped before and still to come."""
    order, fo = world.released(("TENT", 3), ("MAT", 2), external_id="W-77")
    first = world.ship(fo.id, {"TENT": 1, "MAT": 2}, "1Z-1")
    hub = world.hub
    second = hub.confirm_shipment(
        fo.id, {"TENT": 1}, carrier="FedEx", tracking="7489", packages=["CTN-1", "CTN-2"]
    )

    slip = hub.packing_slip(second.shipment.id)

    assert (slip.order_id, slip.external_id, slip.customer_id) == (
        order.id,
        "W-77",
        order.customer_id,
    )
    assert (slip.ship_from, slip.carrier, slip.tracking) == ("dc-il", "FedEx", "7489")
    assert slip.ship_to == order.ship_to
    assert slip.packages == ("CTN-1", "CTN-2")
    assert [
        (ln.sku, ln.ordered, ln.shipped_now, ln.shipped_before, ln.to_come) for ln in slip.lines
    ] == [("TENT", 3, 1, 1, 1)]
    reprint = hub.packing_slip(first.shipment.id)
    assert [(ln.sku, ln.shipped_now, ln.shipped_before, ln.to_come) for ln in reprint.lines] == [
        ("TENT", 1, 0, 2),
        ("MAT", 2, 0, 0),
    ]


def test_shipments_of_an_order_are_its_own_oldest_first_across_fulfilment_orders(
    world: World,
) -> None:
    """An order shipped from two locations, between another order's shipments: its
    shipments are its own, in confirmation order, and its packing slips count the earlier
    ones, also in a restored hub and in one rebuilt from the command log."""
    both = world.order(("TENT", 2), ("LAMP", 2))
    other = world.order(("TENT", 1))
    hub = world.hub
    hub.process()
    hub.release(both.id)
    hub.release(other.id)
    tents, lamps = sorted(
        hub.fulfillment_orders(both.id), key=lambda fo: fo.location_id != "dc-il"
    )
    (others,) = hub.fulfillment_orders(other.id)
    ids = SequentialIds(prefix="later-")

    s1 = world.ship(tents.id, {"TENT": 1}, "1Z-1").shipment.id
    s2 = world.ship(others.id, {"TENT": 1}, "1Z-2").shipment.id
    s3 = world.ship(lamps.id, {"LAMP": 1}, "1Z-3").shipment.id
    restored = OrderHub.restore(hub.snapshot(), clock=world.clock, ids=ids)
    log = hub.command_log
    hubs = []  # each hub with its last two shipments' ids (the restored hub makes its own)
    for h in (hub, restored):
        s4 = h.confirm_shipment(tents.id, {"TENT": 1}, carrier="UPS", tracking="1Z-4")
        s5 = h.confirm_shipment(lamps.id, {"LAMP": 1}, carrier="UPS", tracking="1Z-5")
        hubs.append((h, (s4.shipment.id, s5.shipment.id)))
    rebuilt = OrderHub(clock=FixedClock(T0), ids=SequentialIds(prefix="other-"))
    rebuilt.replay((*log, *restored.command_log))
    hubs.append((rebuilt, hubs[1][1]))

    for h, (s4, s5) in hubs:
        assert [s.id for s in h.shipments(both.id)] == [s1, s3, s4, s5]
        assert [s.id for s in h.shipments(other.id)] == [s2]
        assert [s.fulfillment_order_id for s in h.shipments(both.id)] == [
            tents.id,
            lamps.id,
            tents.id,
            lamps.id,
        ]
        slips = [h.packing_slip(s) for s in (s1, s3, s4, s5)]
        assert [(ln.sku, ln.shipped_before, ln.to_come) for p in slips for ln in p.lines] == [
            ("TENT", 0, 1),
            ("LAMP", 0, 1),
            ("TENT", 1, 0),
            ("LAMP", 1, 0),
        ]
        assert h.packing_slip(s2).lines[0].shipped_before == 0


def test_shipments_of_an_unknown_order_are_refused_and_of_an_unshipped_one_empty(
    world: World,
) -> None:
    """Asking for the shipments of an order the hub does not know is an error; an order
    that shipped nothing has none; a packing slip of an unknown shipment is an error."""
    order = world.order(("TENT", 1))
    before = cash_state(world.hub)

    assert world.hub.shipments(order.id) == ()
    with pytest.raises(UnknownOrder) as unknown:
        world.hub.shipments("order-404")
    with pytest.raises(NotFound) as missing:
        world.hub.packing_slip("shipment-404")

    assert (unknown.value.field, unknown.value.value) == ("order_id", "order-404")
    assert (missing.value.field, missing.value.value) == ("shipment_id", "shipment-404")
    assert cash_state(world.hub) == before


# -- shipments ---------------------------------------------------------------------------------


def test_full_shipment_deducts_stock_and_invoices_the_order(world: World) -> None:
    """Shipping everything consumes the reservations, moves the order to invoiced and bills it."""
    order, fo = world.released(("TENT", 2))
    hub = world.hub
    on_hand, reserved = hub.stock.on_hand("dc-il", "TENT"), hub.stock.reserved("dc-il", "TENT")

    done = world.ship(fo.id, {"TENT": 2}, "1Z999")

    assert (done.shipment.carrier, done.shipment.tracking) == ("UPS", "1Z999")
    assert done.shipment.content == {1: 2}
    assert hub.stock.on_hand("dc-il", "TENT") == on_hand - 2
    assert hub.stock.reserved("dc-il", "TENT") == reserved - 2
    assert hub.stock.movements("dc-il", "TENT")[-1].kind is MovementKind.SHIP
    assert hub.fulfillment_order(fo.id).state is FulfillmentState.SHIPPED
    assert world.state(order.id) is OrderState.INVOICED
    assert hub.order(order.id).line(1).quantities.shipped == 2
    assert reconciles(hub.order(order.id))
    assert done.invoice is not None
    assert done.invoice.shipment_id == done.shipment.id
    assert hub.shipment(done.shipment.id).invoice_id == done.invoice.id
    states = [(e.from_state, e.to_state) for e in events_of(done.events, OrderStateChanged)]
    assert states == [("released", "shipped"), ("shipped", "invoiced")]
    assert len(events_of(done.events, ShipmentConfirmed)) == 1
    assert len(events_of(done.events, InvoiceIssued)) == 1


def test_partial_shipments_move_order_through_partially_shipped(world: World) -> None:
    """A first part ships the order partially; the last part ships and invoices it."""
    order, fo = world.released(("TENT", 2), ("MAT", 3))

    world.ship(fo.id, {"TENT": 1, 2: 1}, "1Z-1")
    after_first = world.state(order.id)
    world.ship(fo.id, {1: 1, "MAT": 2}, "1Z-2")

    assert after_first is OrderState.PARTIALLY_SHIPPED
    assert world.state(order.id) is OrderState.INVOICED
    assert [s.content for s in world.hub.shipments(order.id)] == [{1: 1, 2: 1}, {1: 1, 2: 2}]
    assert len([i for i in world.hub.invoices(order.id) if not i.is_credit_note]) == 2
    assert world.hub.fulfillment_order(fo.id).shipment_ids == tuple(
        s.id for s in world.hub.shipments(order.id)
    )


def test_order_closes_when_its_invoices_are_paid(world: World) -> None:
    """An invoiced order closes once every invoice of it is settled."""
    order, _, done = world.shipped(("TENT", 1))
    assert done.invoice is not None

    events = world.hub.record_payment(
        order.customer_id, done.invoice.grand_total, reference="bank-1"
    )

    assert world.state(order.id) is OrderState.CLOSED
    assert events_of(events, OrderStateChanged)[0].to_state == "closed"


def test_two_lines_of_one_sku_fill_in_line_order(world: World) -> None:
    """Units given by SKU fill the lines of that SKU in line order."""
    order, fo = world.released(("TENT", 1), ("TENT", 2))

    done = world.ship(fo.id, {"TENT": 2}, "1Z-1")

    assert done.shipment.content == {1: 1, 2: 1}
    assert [line.quantities.shipped for line in world.hub.order(order.id).lines] == [1, 1]


def test_over_shipping_is_refused(world: World) -> None:
    """Shipping more than the fulfilment order has left to ship is refused; nothing changes."""
    _, fo = world.released(("TENT", 2))
    world.ship(fo.id, {"TENT": 1}, "1Z-1")
    before = cash_state(world.hub)

    with pytest.raises(InvalidQuantity) as caught:
        world.ship(fo.id, {1: 2}, "1Z-2")

    assert caught.value.field == "lines[1]"
    assert cash_state(world.hub) == before


@pytest.mark.parametrize(
    ("lines", "error"),
    [
        ({}, ValidationError),
        ({"TENT": 0}, InvalidQuantity),
        ({"TENT": True}, InvalidQuantity),
        ({"KAYAK": 1}, ValidationError),
        ({7: 1}, ValidationError),
    ],
)
def test_malformed_shipment_lines_are_refused(
    world: World, lines: dict[Any, int], error: type[Exception]
) -> None:
    """Empty lines, non-positive units and unknown SKUs or line numbers are refused."""
    _, fo = world.released(("TENT", 2))
    before = cash_state(world.hub)

    with pytest.raises(error):
        world.ship(fo.id, lines, "1Z-1")

    assert cash_state(world.hub) == before


def test_shipping_an_unreleased_fulfilment_order_is_refused(world: World) -> None:
    """Goods cannot ship from a fulfilment order that was never released; nothing changes."""
    order = world.order(("TENT", 1))
    world.hub.process()
    fo = world.hub.fulfillment_orders(order.id)[0]
    before = cash_state(world.hub)

    with pytest.raises(IllegalTransition):
        world.ship(fo.id, {"TENT": 1}, "1Z-1")

    assert cash_state(world.hub) == before


def test_same_confirmation_twice_is_harmless(world: World) -> None:
    """The same shipment confirmed again returns the first result and changes nothing."""
    _, fo = world.released(("TENT", 3))
    first = world.ship(fo.id, {"TENT": 1}, "1Z-1")
    before = cash_state(world.hub)

    again = world.ship(fo.id, {"TENT": 1}, "1Z-1")

    assert again.is_duplicate
    assert again.events == ()
    assert (again.shipment, again.invoice) == (first.shipment, first.invoice)
    assert cash_state(world.hub) == before


def test_same_confirmation_twice_with_two_lines_of_one_sku_is_harmless(world: World) -> None:
    """A repeat by SKU is still a repeat when the SKU's first line has since shipped."""
    _, fo = world.released(("TENT", 1), ("TENT", 2))
    first = world.ship(fo.id, {"TENT": 1}, "1Z-1")
    before = cash_state(world.hub)

    again = world.ship(fo.id, {"TENT": 1}, "1Z-1")

    assert again.is_duplicate
    assert again.shipment == first.shipment
    assert cash_state(world.hub) == before


def test_same_shipment_id_with_other_content_is_a_conflict(world: World) -> None:
    """Reusing a shipment id for different goods is an IdempotencyConflict; nothing changes."""
    _, fo = world.released(("TENT", 3))
    hub = world.hub
    hub.confirm_shipment(fo.id, {"TENT": 1}, carrier="UPS", tracking="1Z-1", shipment_id="S-1")
    before = cash_state(hub)

    with pytest.raises(IdempotencyConflict):
        hub.confirm_shipment(fo.id, {"TENT": 2}, carrier="UPS", tracking="1Z-1", shipment_id="S-1")

    assert cash_state(hub) == before
    assert hub.shipment("S-1").content == {1: 1}


def test_same_shipment_id_with_other_tracking_is_a_conflict(world: World) -> None:
    """Reusing a shipment id for another parcel (tracking number) is a conflict."""
    _, fo = world.released(("TENT", 3))
    hub = world.hub
    hub.confirm_shipment(fo.id, {"TENT": 1}, carrier="UPS", tracking="1Z-1", shipment_id="S-1")
    before = cash_state(hub)

    with pytest.raises(IdempotencyConflict):
        hub.confirm_shipment(fo.id, {"TENT": 1}, carrier="UPS", tracking="1Z-2", shipment_id="S-1")

    assert cash_state(hub) == before


def test_a_failing_tax_policy_leaves_the_shipment_unbooked() -> None:
    """When the invoice cannot be built, the shipment is refused whole: no stock moves."""

    class FloatTax:
        def rate(self, *, country: Any, region: Any, category: Any, on: date) -> Any:
            return 0.1  # a float: not an exact rate

    w = World(tax=FloatTax())
    _, fo = w.released(("TENT", 1))
    before = cash_state(w.hub)

    with pytest.raises(ValidationError):
        w.ship(fo.id, {"TENT": 1}, "1Z-1")

    assert cash_state(w.hub) == before
    assert w.hub.fulfillment_order(fo.id).state is FulfillmentState.RELEASED


# -- invoices ----------------------------------------------------------------------------------

US_IL = RateTable({"US-IL": D("0.1025"), "JP": D("0.10"), "KW": D("0.05")})


def test_free_goods_ship_on_a_zero_invoice_that_owes_nothing() -> None:
    """A shipment of free goods gets a zero invoice, which is no open item; returns work."""
    w = World()
    w.hub.catalog.add(Item(sku="GIFT", description="free gift", price=Money("0.00", "USD")))
    w.hub.stock.receive("dc-il", "GIFT", 5)
    order, fo = w.released(("GIFT", 1), ("TENT", 1))

    gift = w.ship(fo.id, {"GIFT": 1}, "1Z-1").invoice
    tent = w.ship(fo.id, {"TENT": 1}, "1Z-2").invoice
    w.hub.record_payment(order.customer_id, Money("149.00", "USD"), reference="p1")
    rma = w.hub.authorize_return(order.id, {1: 1}, reason="unwanted")
    w.hub.receive_return(rma.id, location_id="dc-il")

    assert gift is not None
    assert tent is not None
    assert gift.grand_total == Money.zero("USD")
    assert [i.invoice_id for i in w.hub.receivables.open_items()] == []
    assert w.state(order.id) is OrderState.CLOSED
    assert w.hub.receivables.balance(order.customer_id) == Money.zero("USD")
    assert w.hub.stock.on_hand("dc-il", "GIFT") == 5
    assert tb_sum(w.hub) == Money.zero("USD")


def test_one_invoice_per_shipment_with_exact_identities() -> None:
    """Each shipment gets its own invoice, billing the shipped units, with exact sums."""
    w = World(tax=US_IL)
    order, fo = w.released(("TENT", 2), ("MAT", 3))

    first = w.ship(fo.id, {"TENT": 1, "MAT": 2}, "1Z-1").invoice
    second = w.ship(fo.id, {"TENT": 1, "MAT": 1}, "1Z-2").invoice

    assert first is not None
    assert second is not None
    assert [(ln.sku, ln.quantity, ln.tax_rate) for ln in first.lines] == [
        ("TENT", 1, D("0.1025")),
        ("MAT", 2, D("0.1025")),
    ]
    assert first.line(1).tax == Money("15.27", "USD")  # 149.00 × 10.25 % = 15.2725
    assert first.line(2).tax == Money("6.15", "USD")  # 60.00 × 10.25 %
    for invoice in (first, second):
        assert_identities(invoice)
    assert first.net_total + second.net_total == w.hub.order(order.id).total
    assert (first.customer_id, first.order_id) == (order.customer_id, order.id)
    assert w.hub.invoices(order.id) == (first, second)
    assert w.hub.invoice(first.id) == first


@pytest.mark.parametrize("mode", list(TaxMode))
@pytest.mark.parametrize("rounding", list(TaxRounding))
@pytest.mark.parametrize(
    ("lines", "country"),
    [
        ((("TENT", 3), ("MAT", 7)), "US"),
        ((("PIN-A", 1), ("PIN-B", 1)), "US"),
        ((("TEA", 3),), "JP"),
        ((("DATES", 7),), "KW"),
    ],
)
def test_invoice_identities_hold_in_every_tax_setting(
    mode: TaxMode, rounding: TaxRounding, lines: tuple[tuple[str, int], ...], country: str
) -> None:
    """Σ nets = net, Σ taxes = tax, total = net + tax, in USD, JPY and KWD, in every mode."""
    w = World(tax=US_IL, tax_mode=mode, tax_rounding=rounding)
    region = "IL" if country == "US" else None
    order, fo = w.released(*lines, ship_to=address(country=country, region=region, geo=CHICAGO))

    first = w.ship(fo.id, {sku: 1 for sku, _ in lines}, "1Z-1").invoice
    rest = {sku: q - 1 for sku, q in lines if q > 1}
    second = w.ship(fo.id, rest, "1Z-2").invoice if rest else None

    invoices = [i for i in (first, second) if i is not None]
    for invoice in invoices:
        assert_identities(invoice)
        assert invoice.currency == order.currency
    values = sum(
        (i.grand_total if mode is TaxMode.INCLUSIVE else i.net_total for i in invoices),
        Money.zero(order.currency),
    )
    assert values == w.hub.order(order.id).total


def test_per_invoice_rounding_rounds_the_tax_once() -> None:
    """Per line, two 0.15 pins at 10.25 % pay 0.02 each; per invoice, 0.03 in all."""
    per_line = World(tax=US_IL)
    per_invoice = World(tax=US_IL, tax_rounding=TaxRounding.PER_INVOICE)
    taxes = []

    for w in (per_line, per_invoice):
        _, fo = w.released(("PIN-A", 1), ("PIN-B", 1))
        invoice = w.ship(fo.id, {"PIN-A": 1, "PIN-B": 1}, "1Z-1").invoice
        assert invoice is not None
        taxes.append((invoice.tax_total, [ln.tax for ln in invoice.lines]))

    assert taxes[0] == (Money("0.04", "USD"), [Money("0.02", "USD")] * 2)
    assert taxes[1][0] == Money("0.03", "USD")
    assert sum(taxes[1][1], Money.zero("USD")) == Money("0.03", "USD")


def test_inclusive_prices_take_the_tax_out() -> None:
    """With tax-inclusive prices the invoice total is the price and the tax is inside it."""
    w = World(tax=RateTable({"JP": D("0.08")}), tax_mode=TaxMode.INCLUSIVE)
    _, fo = w.released(("TEA", 1), ship_to=address(country="JP", region=None, geo=CHICAGO))

    invoice = w.ship(fo.id, {"TEA": 1}, "1Z-1").invoice

    assert invoice is not None
    assert invoice.grand_total == Money(1200, "JPY")
    assert invoice.tax_total == Money(89, "JPY")  # 1200 × 0.08 / 1.08 = 88.9
    assert invoice.net_total == Money(1111, "JPY")


def test_kwd_invoice_keeps_three_decimals() -> None:
    """Kuwaiti dinars bill to the fils: three decimals, rounded half-up."""
    w = World(tax=US_IL)
    _, fo = w.released(("DATES", 1), ship_to=address(country="KW", region=None, geo=CHICAGO))

    invoice = w.ship(fo.id, {"DATES": 1}, "1Z-1").invoice

    assert invoice is not None
    assert invoice.tax_total == Money("0.206", "KWD")  # 4.125 × 5 % = 0.20625
    assert invoice.grand_total == Money("4.331", "KWD")


def test_order_discounts_spread_over_two_shipments_sum_exactly(world: World) -> None:
    """An order discount billed over two partial shipments adds up to exactly the discount."""
    order, fo = world.released(
        ("TENT", 3),
        ("MAT", 3),
        discounts=[Discount(amount=Money("10.00", "USD"))],
    )

    first = world.ship(fo.id, {"TENT": 1, "MAT": 2}, "1Z-1").invoice
    second = world.ship(fo.id, {"TENT": 2, "MAT": 1}, "1Z-2").invoice

    assert first is not None
    assert second is not None
    billed = [ln.discount for inv in (first, second) for ln in inv.lines]
    assert sum(billed, Money.zero("USD")) == Money("10.00", "USD")
    assert first.net_total + second.net_total == world.hub.order(order.id).total


def test_payment_terms_fix_due_date_and_discount_window() -> None:
    """2/10 net 30: due 30 days after the invoice date, 2 % off within 10 days."""
    w = World(terms=PaymentTerms.parse("2/10 net 30"))
    _, _, done = w.shipped(("TENT", 1))
    invoice = done.invoice
    assert invoice is not None

    item = w.hub.receivables.item(invoice.id)

    assert invoice.due_on == T0.date() + timedelta(days=30)
    assert invoice.discount_until == T0.date() + timedelta(days=10)
    assert invoice.early_payment_discount == Money("2.98", "USD")
    assert item.due_on == invoice.due_on
    assert item.items[0].discount == Money("2.98", "USD")
    assert item.items[0].discount_until == invoice.discount_until


def test_invoice_numbers_come_from_the_injected_sequence() -> None:
    """Invoice and credit-note numbers come from the host's sequence, without gaps."""
    w = World(numbers=InvoiceNumbers())
    _, fo = w.released(("TENT", 2))
    first = w.ship(fo.id, {"TENT": 1}, "1Z-1").invoice
    second = w.ship(fo.id, {"TENT": 1}, "1Z-2").invoice
    assert first is not None
    assert second is not None
    with pytest.raises(InvalidQuantity):
        w.hub.credit(first.id, reason="too many", lines={1: 2})

    events = w.hub.credit(first.id, reason="damaged", lines={1: 1})

    assert (first.number, second.number) == ("INV-0001", "INV-0002")
    assert events_of(events, CreditNoteIssued)[0].number == "CN-0001"


def test_full_credit_reverses_an_invoice_to_zero() -> None:
    """Crediting every unit of an invoice gives a credit note that equals it exactly."""
    w = World(tax=US_IL)
    order, _, done = w.shipped(("TENT", 1), ("MAT", 3))
    invoice = done.invoice
    assert invoice is not None

    events = w.hub.credit(invoice.id, reason="order cancelled after invoicing")

    note = w.hub.invoice(events_of(events, CreditNoteIssued)[0].credit_note_id)
    assert note.is_credit_note
    assert note.credits == invoice.id
    assert note.grand_total == invoice.grand_total
    assert note.net_total == invoice.net_total
    assert w.hub.receivables.balance(order.customer_id) == Money.zero("USD")
    assert w.state(order.id) is OrderState.CLOSED


def test_price_adjustment_credits_an_amount() -> None:
    """A price adjustment credits an amount (its tax follows) and lowers what is owed."""
    w = World(tax=US_IL)
    order, _, done = w.shipped(("TENT", 1))
    invoice = done.invoice
    assert invoice is not None

    w.hub.credit(invoice.id, reason="scratched", amount=Money("20.00", "USD"))

    note = w.hub.invoices(order.id)[-1]
    assert note.net_total == Money("20.00", "USD")
    assert note.tax_total == Money("2.05", "USD")
    assert w.hub.receivables.balance(order.customer_id) == invoice.grand_total - Money(
        "22.05", "USD"
    )
    assert w.hub.journal.balance(Account.SALES_ALLOWANCES, "USD") == Money("20.00", "USD")


def test_crediting_a_credit_note_is_refused(world: World) -> None:
    """Only invoices can be credited; trying a credit note changes nothing."""
    _, _, done = world.shipped(("TENT", 1))
    assert done.invoice is not None
    world.hub.credit(done.invoice.id, reason="returned")
    note = world.hub.invoices()[-1]
    before = cash_state(world.hub)

    with pytest.raises(ValidationError):
        world.hub.credit(note.id, reason="again")

    assert cash_state(world.hub) == before


def test_unknown_invoice_is_not_found(world: World) -> None:
    """Asking for an invoice that does not exist is a NotFound naming it."""
    with pytest.raises(NotFound) as caught:
        world.hub.invoice("invoice-99")

    assert caught.value.value == "invoice-99"


# -- receivables through the hub ---------------------------------------------------------------


def two_invoices(w: World, days_apart: int = 5) -> tuple[Order, Invoice, Invoice]:
    """An order of two tents shipped one at a time, ``days_apart`` days apart."""
    order, fo = w.released(("TENT", 2))
    first = w.ship(fo.id, {"TENT": 1}, "1Z-1").invoice
    w.clock.advance(days=days_apart)
    second = w.ship(fo.id, {"TENT": 1}, "1Z-2").invoice
    assert first is not None
    assert second is not None
    return order, first, second


def open_amount(hub: OrderHub, invoice: Invoice) -> Money:
    """What is still open on ``invoice``."""
    return hub.receivables.item(invoice.id).open


def test_payment_named_to_an_invoice_settles_that_invoice() -> None:
    """A payment naming an invoice goes to it, even when an older one is open."""
    w = World(terms=PaymentTerms(net_days=30))
    order, first, second = two_invoices(w)

    events = w.hub.record_payment(
        order.customer_id, Money("149.00", "USD"), reference="chk-1", invoices=[second.id]
    )

    assert open_amount(w.hub, first) == Money("149.00", "USD")
    assert open_amount(w.hub, second) == Money.zero("USD")
    recorded = events_of(events, PaymentRecorded)[0]
    assert recorded.invoice_ids == (second.id,)
    assert recorded.applied == Money("149.00", "USD")


def test_unnamed_partial_payment_goes_to_the_oldest_due_first() -> None:
    """A payment naming no invoice pays the oldest due first; a part payment leaves the rest."""
    w = World(terms=PaymentTerms(net_days=30))
    order, first, second = two_invoices(w)

    w.hub.record_payment(order.customer_id, Money("100.00", "USD"), reference="ach-1")

    assert open_amount(w.hub, first) == Money("49.00", "USD")
    assert open_amount(w.hub, second) == Money("149.00", "USD")
    assert w.hub.receivables.balance(order.customer_id) == Money("198.00", "USD")
    assert w.state(order.id) is OrderState.INVOICED


def test_over_payment_becomes_credit_applied_to_the_next_invoice(world: World) -> None:
    """Cash beyond what is open stays on the account and pays the next invoice as it comes."""
    order, fo = world.released(("TENT", 2))
    world.ship(fo.id, {"TENT": 1}, "1Z-1")
    world.hub.record_payment(order.customer_id, Money("200.00", "USD"), reference="wire-1")
    assert world.hub.receivables.unapplied(order.customer_id) == Money("51.00", "USD")

    second = world.ship(fo.id, {"TENT": 1}, "1Z-2").invoice

    assert second is not None
    assert open_amount(world.hub, second) == Money("98.00", "USD")
    assert world.hub.receivables.unapplied(order.customer_id) == Money.zero("USD")
    assert world.hub.receivables.balance(order.customer_id) == Money("98.00", "USD")
    kinds = [e.kind for e in world.hub.journal.entries()]
    assert EntryKind.CREDIT_APPLIED in kinds
    assert world.hub.journal.balance(Account.CUSTOMER_CREDIT, "USD") == Money.zero("USD")


def test_early_payment_discount_inside_the_window() -> None:
    """Paying the total less 2 % within 10 days settles the invoice; the 2 % is allowed."""
    w = World(terms=PaymentTerms.parse("2/10 net 30"))
    order, _, done = w.shipped(("TENT", 1))
    assert done.invoice is not None
    w.clock.advance(days=10)

    w.hub.record_payment(order.customer_id, Money("146.02", "USD"), reference="early")

    assert open_amount(w.hub, done.invoice) == Money.zero("USD")
    assert w.hub.receivables.item(done.invoice.id).discounted == Money("2.98", "USD")
    assert w.hub.journal.balance(Account.DISCOUNTS_ALLOWED, "USD") == Money("2.98", "USD")
    assert w.state(order.id) is OrderState.CLOSED


def test_credit_on_account_paying_a_new_invoice_early_earns_the_discount() -> None:
    """Cash on account that pays a new invoice inside its window earns the discount, booked."""
    w = World(terms=PaymentTerms.parse("2/10 net 30"))
    order, fo = w.released(("TENT", 2))
    w.ship(fo.id, {"TENT": 1}, "1Z-1")
    w.hub.record_payment(order.customer_id, Money("400.00", "USD"), reference="wire")

    second = w.ship(fo.id, {"TENT": 1}, "1Z-2").invoice

    assert second is not None
    assert w.hub.receivables.item(second.id).discounted == Money("2.98", "USD")
    journal = w.hub.journal
    assert journal.balance(Account.ACCOUNTS_RECEIVABLE, "USD") == Money.zero("USD")
    assert journal.balance(Account.DISCOUNTS_ALLOWED, "USD") == Money("5.96", "USD")
    assert journal.balance(Account.CUSTOMER_CREDIT, "USD") == -w.hub.receivables.unapplied(
        order.customer_id
    )


def test_no_early_payment_discount_after_the_window() -> None:
    """Paying the discounted amount after the window leaves the discount open."""
    w = World(terms=PaymentTerms.parse("2/10 net 30"))
    order, _, done = w.shipped(("TENT", 1))
    assert done.invoice is not None
    w.clock.advance(days=11)

    w.hub.record_payment(order.customer_id, Money("146.02", "USD"), reference="late")

    assert open_amount(w.hub, done.invoice) == Money("2.98", "USD")
    assert w.hub.journal.balance(Account.DISCOUNTS_ALLOWED, "USD") == Money.zero("USD")


def test_write_off_closes_a_small_remainder(world: World) -> None:
    """A small remainder written off closes the invoice and is journaled as bad debt."""
    order, _, done = world.shipped(("TENT", 1))
    assert done.invoice is not None
    world.hub.record_payment(order.customer_id, Money("148.50", "USD"), reference="short")

    world.hub.write_off(done.invoice.id, reason="short paid", max_amount=Money("1.00", "USD"))

    assert open_amount(world.hub, done.invoice) == Money.zero("USD")
    assert world.hub.receivables.balance(order.customer_id) == Money.zero("USD")
    assert world.hub.journal.balance(Account.BAD_DEBT_EXPENSE, "USD") == Money("0.50", "USD")
    assert world.state(order.id) is OrderState.CLOSED  # nothing is left to collect


def test_write_off_above_the_limit_is_refused(world: World) -> None:
    """A remainder larger than ``max_amount`` is not written off; nothing changes."""
    _, _, done = world.shipped(("TENT", 1))
    assert done.invoice is not None
    before = cash_state(world.hub)

    with pytest.raises(ValidationError):
        world.hub.write_off(done.invoice.id, reason="small", max_amount=Money("1.00", "USD"))

    assert cash_state(world.hub) == before


def test_bounced_payment_reopens_the_invoice(world: World) -> None:
    """Reversing a payment re-opens what it paid and takes its cash off the books."""
    order, _, done = world.shipped(("TENT", 1))
    assert done.invoice is not None
    world.hub.record_payment(order.customer_id, Money("200.00", "USD"), reference="chk-9")

    world.hub.reverse_payment("chk-9", reason="bounced")

    hub = world.hub
    assert open_amount(hub, done.invoice) == Money("149.00", "USD")
    assert hub.receivables.unapplied(order.customer_id) == Money.zero("USD")
    assert hub.receivables.balance(order.customer_id) == Money("149.00", "USD")
    assert hub.journal.balance(Account.CASH, "USD") == Money.zero("USD")
    assert hub.journal.balance(Account.CUSTOMER_CREDIT, "USD") == Money.zero("USD")
    assert hub.journal.balance(Account.ACCOUNTS_RECEIVABLE, "USD") == Money("149.00", "USD")
    assert tb_sum(hub) == Money.zero("USD")


def test_reversing_a_payment_twice_is_harmless(world: World) -> None:
    """A second reversal of the same payment changes nothing."""
    order, _, _ = world.shipped(("TENT", 1))
    world.hub.record_payment(order.customer_id, Money("50.00", "USD"), reference="chk-9")
    world.hub.reverse_payment("chk-9", reason="bounced")
    before = cash_state(world.hub)

    world.hub.reverse_payment("chk-9", reason="bounced")

    assert cash_state(world.hub) == before


def test_reversing_a_payment_with_an_early_discount() -> None:
    """A bounced payment that had earned a discount gives the discount back too."""
    w = World(terms=PaymentTerms.parse("2/10 net 30"))
    order, _, done = w.shipped(("TENT", 1))
    assert done.invoice is not None
    w.hub.record_payment(order.customer_id, Money("146.02", "USD"), reference="early")

    w.hub.reverse_payment("early", reason="bounced")

    assert open_amount(w.hub, done.invoice) == Money("149.00", "USD")
    assert w.hub.journal.balance(Account.DISCOUNTS_ALLOWED, "USD") == Money.zero("USD")
    assert tb_sum(w.hub) == Money.zero("USD")


def test_refund_pays_unapplied_cash_back(world: World) -> None:
    """A refund pays the customer's credit back out of cash."""
    order, _, _ = world.shipped(("TENT", 1))
    world.hub.record_payment(order.customer_id, Money("160.00", "USD"), reference="over")

    world.hub.refund(order.customer_id, Money("11.00", "USD"), reference="rf-1")

    hub = world.hub
    assert hub.receivables.unapplied(order.customer_id) == Money.zero("USD")
    assert hub.receivables.balance(order.customer_id) == Money.zero("USD")
    assert hub.journal.balance(Account.CASH, "USD") == Money("149.00", "USD")
    assert hub.journal.balance(Account.CUSTOMER_CREDIT, "USD") == Money.zero("USD")


def test_refunding_more_than_the_credit_is_refused(world: World) -> None:
    """A refund larger than the customer's credit is refused; nothing changes."""
    order, _, _ = world.shipped(("TENT", 1))
    world.hub.record_payment(order.customer_id, Money("160.00", "USD"), reference="over")
    before = cash_state(world.hub)

    with pytest.raises(ValidationError):
        world.hub.refund(order.customer_id, Money("12.00", "USD"), reference="rf-1")

    assert cash_state(world.hub) == before


def test_same_payment_twice_changes_nothing(world: World) -> None:
    """A payment recorded again under its reference is a duplicate: nothing changes."""
    order, _, _ = world.shipped(("TENT", 1))
    world.hub.record_payment(order.customer_id, Money("100.00", "USD"), reference="bank-1")
    before = cash_state(world.hub)

    events = world.hub.record_payment(
        order.customer_id, Money("100.00", "USD"), reference="bank-1"
    )

    assert events == ()
    assert cash_state(world.hub) == before


def test_same_reference_for_another_payment_is_a_conflict(world: World) -> None:
    """A reference reused for a different amount is an IdempotencyConflict; nothing changes."""
    order, _, _ = world.shipped(("TENT", 1))
    world.hub.record_payment(order.customer_id, Money("100.00", "USD"), reference="bank-1")
    before = cash_state(world.hub)

    with pytest.raises(IdempotencyConflict):
        world.hub.record_payment(order.customer_id, Money("90.00", "USD"), reference="bank-1")

    assert cash_state(world.hub) == before


def test_payment_from_an_unknown_customer_is_refused(world: World) -> None:
    """A payment for a customer the hub does not know is refused; nothing changes."""
    world.shipped(("TENT", 1))
    before = cash_state(world.hub)

    with pytest.raises(NotFound):
        world.hub.record_payment("customer-99", Money("10.00", "USD"), reference="x")

    assert cash_state(world.hub) == before


def test_aging_as_of_dates() -> None:
    """An open invoice ages from current through the past-due buckets as the days pass."""
    w = World(terms=PaymentTerms(net_days=30))
    order, _, _ = w.shipped(("TENT", 1))
    start = T0.date()

    labels = {
        days: w.hub.receivables.aging(start + timedelta(days=days)).by_label()
        for days in (10, 45, 100, 200)
    }

    owed = Money("149.00", "USD")
    assert labels[10]["current"] == owed
    assert labels[45]["1-30"] == owed
    assert labels[100]["61-90"] == owed
    assert labels[200]["over 120"] == owed
    mine = w.hub.receivables.aging(start, customer_id=order.customer_id)
    assert mine.total == owed


def test_aging_by_invoice_date_with_own_buckets(world: World) -> None:
    """Aging by invoice date with custom buckets counts days since the invoice date."""
    _, _, _ = world.shipped(("TENT", 1))

    aging = world.hub.receivables.aging(
        T0.date() + timedelta(days=20), by="invoice", buckets=(15, 45)
    )

    assert aging.amounts == (
        Money.zero("USD"),
        Money("149.00", "USD"),
        Money.zero("USD"),
    )


def test_statement_lists_documents_with_running_balance(world: World) -> None:
    """A statement gives the opening balance, each document, and the closing balance."""
    order, fo = world.released(("TENT", 2))
    world.ship(fo.id, {"TENT": 1}, "1Z-1")
    world.clock.advance(days=3)
    world.hub.record_payment(order.customer_id, Money("100.00", "USD"), reference="bank-1")
    world.clock.advance(days=3)
    world.ship(fo.id, {"TENT": 1}, "1Z-2")
    start = T0.date() + timedelta(days=1)

    statement = world.hub.receivables.statement(
        order.customer_id, "USD", start, start + timedelta(days=30)
    )

    assert statement.opening == Money("149.00", "USD")
    assert [(ln.kind.value, ln.amount, ln.balance) for ln in statement.lines] == [
        ("payment", Money("-100.00", "USD"), Money("49.00", "USD")),
        ("invoice", Money("149.00", "USD"), Money("198.00", "USD")),
    ]
    assert statement.closing == world.hub.receivables.balance(order.customer_id)


def test_dso_over_the_hub(world: World) -> None:
    """DSO is open receivables over the period's credit sales, times the period's days."""
    order, _, _ = world.shipped(("TENT", 2))
    as_of = T0.date()
    unpaid = world.hub.receivables.dso(as_of, days=90)

    world.hub.record_payment(order.customer_id, Money("149.00", "USD"), reference="half")

    assert unpaid == D("90.00")
    assert world.hub.receivables.dso(as_of, days=90) == D("45.00")


def test_customer_balance_identity_and_aging_partition() -> None:
    """The balance equals the identity's terms, and the aging buckets sum to the open items."""
    w = World(terms=PaymentTerms.parse("2/10 net 30"))
    order, first, second = two_invoices(w)
    c = order.customer_id
    w.hub.record_payment(c, Money("146.02", "USD"), reference="p1", invoices=[second.id])
    w.hub.credit(first.id, reason="dent", amount=Money("9.00", "USD"))
    w.hub.record_payment(c, Money("50.00", "USD"), reference="p2")
    w.hub.record_payment(c, Money("300.00", "USD"), reference="p3")
    w.hub.reverse_payment("p2", reason="bounced")
    w.hub.refund(c, Money("10.00", "USD"), reference="rf")

    totals = w.hub.receivables.totals(c)
    aging = w.hub.receivables.aging(T0.date() + timedelta(days=60), customer_id=c)

    assert totals.balance == w.hub.receivables.balance(c)
    assert sum(aging.amounts, Money.zero("USD")) == aging.total
    assert aging.balance == w.hub.receivables.balance(c)
    assert tb_sum(w.hub) == Money.zero("USD")


# -- the journal ---------------------------------------------------------------------------------


@pytest.mark.parametrize("policy", [RecogniseOnShipment(), RecogniseOnDelivery()])
def test_journal_balances_and_revenue_adds_up(policy: RevenuePolicy) -> None:
    """Every entry balances, the trial balance is zero, recognised + deferred = invoiced net."""
    w = World(tax=US_IL, revenue_policy=policy)
    order, fo = w.released(("TENT", 2), ("MAT", 2))
    first = w.ship(fo.id, {"TENT": 1, "MAT": 1}, "1Z-1")
    second = w.ship(fo.id, {"TENT": 1, "MAT": 1}, "1Z-2")
    assert first.invoice is not None
    w.hub.credit(first.invoice.id, reason="scuffed", amount=Money("5.00", "USD"))
    w.hub.confirm_delivery(first.shipment.id)
    w.hub.record_payment(order.customer_id, Money("100.00", "USD"), reference="p1")

    entries = w.hub.journal.entries()

    for entry in entries:
        debits = sum((ln.debit for ln in entry.lines), Money.zero("USD"))
        credits = sum((ln.credit for ln in entry.lines), Money.zero("USD"))
        assert debits == credits
    assert tb_sum(w.hub) == Money.zero("USD")
    recognised_and_deferred, invoiced_net = revenue_identity(w.hub)
    assert recognised_and_deferred == invoiced_net
    assert second.invoice is not None
    if isinstance(policy, RecogniseOnDelivery):
        assert w.hub.journal.deferred_revenue("USD") == second.invoice.net_total
    else:
        assert w.hub.journal.deferred_revenue("USD") == Money.zero("USD")


def test_delivery_recognises_deferred_revenue() -> None:
    """Under recognise-on-delivery the invoice's net waits in deferred revenue until delivery."""
    w = World(revenue_policy=RecogniseOnDelivery())
    _, _, done = w.shipped(("TENT", 1))
    deferred = w.hub.journal.deferred_revenue("USD")

    w.hub.confirm_delivery(done.shipment.id)
    w.hub.confirm_delivery(done.shipment.id)  # a repeat changes nothing

    assert deferred == Money("149.00", "USD")
    assert w.hub.journal.deferred_revenue("USD") == Money.zero("USD")
    assert w.hub.journal.recognised_revenue("USD") == Money("149.00", "USD")
    assert [e.kind for e in w.hub.journal.entries()].count(EntryKind.DELIVERY) == 1


def test_prepayment_is_deferred_until_the_goods_ship(world: World) -> None:
    """Cash for an unshipped order is held as deferred revenue and pays the invoice on shipment."""
    order, fo = world.released(("TENT", 2))
    hub = world.hub

    hub.record_payment(
        order.customer_id, Money("298.00", "USD"), reference="card-1", prepayment_for=order.id
    )
    held = (hub.journal.prepayments_held("USD"), hub.journal.recognised_revenue("USD"))
    world.ship(fo.id, {"TENT": 2}, "1Z-1")

    assert held == (Money("298.00", "USD"), Money.zero("USD"))
    assert hub.journal.prepayments_held("USD") == Money.zero("USD")
    assert hub.journal.recognised_revenue("USD") == Money("298.00", "USD")
    assert hub.journal.balance(Account.DEFERRED_REVENUE, "USD") == Money.zero("USD")
    assert hub.receivables.balance(order.customer_id) == Money.zero("USD")
    assert world.state(order.id) is OrderState.CLOSED
    assert EntryKind.PREPAYMENT_APPLIED in [e.kind for e in hub.journal.entries()]


def test_bounced_prepayment_after_shipment_reopens_the_invoice(world: World) -> None:
    """A prepayment that bounces after the goods shipped leaves the invoice owed again."""
    order, fo = world.released(("TENT", 1))
    hub = world.hub
    hub.record_payment(
        order.customer_id, Money("149.00", "USD"), reference="card-1", prepayment_for=order.id
    )
    world.ship(fo.id, {"TENT": 1}, "1Z-1")

    hub.reverse_payment("card-1", reason="chargeback")

    assert hub.receivables.balance(order.customer_id) == Money("149.00", "USD")
    assert hub.journal.balance(Account.ACCOUNTS_RECEIVABLE, "USD") == Money("149.00", "USD")
    assert hub.journal.prepayments_held("USD") == Money.zero("USD")
    assert tb_sum(hub) == Money.zero("USD")


# -- returns -------------------------------------------------------------------------------------


def test_return_authorised_up_to_what_shipped(world: World) -> None:
    """A return may cover shipped units not yet returned."""
    order, fo = world.released(("TENT", 3))
    world.ship(fo.id, {"TENT": 2}, "1Z-1")

    rma = world.hub.authorize_return(order.id, {1: 2}, reason="wrong colour")

    assert rma.lines == ((1, 2),)
    assert world.hub.returned(order.id, 1) == 2
    assert world.hub.returns(order.id) == (rma,)
    assert events_of(world.hub.events, ReturnAuthorized)[-1].return_id == rma.id


def test_returning_more_than_shipped_is_refused(world: World) -> None:
    """Units not shipped, or already returned, cannot be returned; nothing changes."""
    order, fo = world.released(("TENT", 3))
    world.ship(fo.id, {"TENT": 2}, "1Z-1")
    world.hub.authorize_return(order.id, {1: 1}, reason="wrong colour")
    before = cash_state(world.hub)

    with pytest.raises(InvalidQuantity) as caught:
        world.hub.authorize_return(order.id, {1: 2}, reason="also the other")

    assert caught.value.field == "lines[1]"
    assert cash_state(world.hub) == before


@pytest.mark.parametrize("lines", [{}, {1: 0}, {1: -1}])
def test_malformed_return_is_refused(world: World, lines: dict[int, int]) -> None:
    """An empty return or a non-positive quantity is refused; nothing changes."""
    order, _, _ = world.shipped(("TENT", 1))
    before = cash_state(world.hub)

    with pytest.raises(ValidationError):
        world.hub.authorize_return(order.id, lines, reason="x")

    assert cash_state(world.hub) == before


def test_received_return_restocks_and_credits() -> None:
    """A restocked return puts the units back on hand and credits the invoice."""
    w = World(tax=US_IL)
    order, _, done = w.shipped(("TENT", 2))
    assert done.invoice is not None
    hub = w.hub
    rma = hub.authorize_return(order.id, {1: 1}, reason="too small")
    on_hand = hub.stock.on_hand("dc-il", "TENT")
    owed = hub.receivables.balance(order.customer_id)

    events = hub.receive_return(rma.id, location_id="dc-il")

    assert hub.stock.on_hand("dc-il", "TENT") == on_hand + 1
    moved = hub.stock.movements("dc-il", "TENT")[-1]
    assert (moved.kind, moved.on_hand_delta, moved.reference) == (MovementKind.RETURN, 1, rma.id)
    note_id = events_of(events, CreditNoteIssued)[0].credit_note_id
    note = hub.invoice(note_id)
    assert note.credits == done.invoice.id
    assert note.grand_total == Money("164.28", "USD")  # 149.00 + half of 30.55 tax, half-up
    assert hub.receivables.balance(order.customer_id) == owed - note.grand_total
    assert hub.journal.balance(Account.SALES_RETURNS, "USD") == Money("149.00", "USD")
    assert hub.returns(order.id)[0].restocked is True
    assert hub.returns(order.id)[0].credit_note_ids == (note_id,)
    assert events_of(events, ReturnReceived)[0].restocked


def test_scrapped_return_credits_without_restocking(world: World) -> None:
    """A scrapped return credits the customer but puts nothing back on hand."""
    order, _, _ = world.shipped(("TENT", 1))
    rma = world.hub.authorize_return(order.id, {1: 1}, reason="broken pole")
    movements = world.hub.stock.movements()

    world.hub.receive_return(rma.id, location_id="dc-il", restock=False)

    assert world.hub.stock.movements() == movements
    assert world.hub.receivables.balance(order.customer_id) == Money.zero("USD")
    assert world.hub.returns(order.id)[0].restocked is False


def test_receiving_a_return_twice_is_harmless(world: World) -> None:
    """A second receipt of the same return changes nothing."""
    order, _, _ = world.shipped(("TENT", 1))
    rma = world.hub.authorize_return(order.id, {1: 1}, reason="x")
    world.hub.receive_return(rma.id, location_id="dc-il")
    before = cash_state(world.hub)

    events = world.hub.receive_return(rma.id, location_id="dc-il")

    assert events == ()
    assert cash_state(world.hub) == before


def test_receiving_an_unknown_return_is_refused(world: World) -> None:
    """A return id the hub does not know is a NotFound; nothing changes."""
    world.shipped(("TENT", 1))
    before = cash_state(world.hub)

    with pytest.raises(NotFound):
        world.hub.receive_return("return-9", location_id="dc-il")

    assert cash_state(world.hub) == before


def test_return_of_a_paid_order_leaves_credit_on_the_account(world: World) -> None:
    """Returning goods already paid for leaves the credit on the customer's account."""
    order, _, done = world.shipped(("TENT", 2))
    assert done.invoice is not None
    world.hub.record_payment(order.customer_id, done.invoice.grand_total, reference="paid")
    rma = world.hub.authorize_return(order.id, {1: 1}, reason="x")

    world.hub.receive_return(rma.id, location_id="dc-il")

    assert world.hub.receivables.balance(order.customer_id) == Money("-149.00", "USD")
    assert world.hub.receivables.unapplied(order.customer_id) == Money("149.00", "USD")
    assert tb_sum(world.hub) == Money.zero("USD")


def test_return_across_two_invoices_credits_oldest_first(world: World) -> None:
    """A return of units billed on two invoices credits the oldest invoice's units first."""
    order, fo = world.released(("TENT", 3))
    first = world.ship(fo.id, {"TENT": 1}, "1Z-1").invoice
    second = world.ship(fo.id, {"TENT": 2}, "1Z-2").invoice
    rma = world.hub.authorize_return(order.id, {1: 2}, reason="x")

    events = world.hub.receive_return(rma.id, location_id="dc-il")

    notes = [world.hub.invoice(e.credit_note_id) for e in events_of(events, CreditNoteIssued)]
    assert first is not None
    assert second is not None
    assert [(n.credits, n.lines[0].quantity) for n in notes] == [(first.id, 1), (second.id, 1)]


def test_stock_conservation_holds_with_returns(world: World) -> None:
    """On-hand equals the sum of movements at every position, restocks included."""
    order, _, _ = world.shipped(("TENT", 2), ("MAT", 1))
    rma = world.hub.authorize_return(order.id, {1: 2, 2: 1}, reason="x")

    world.hub.receive_return(rma.id, location_id="dc-oh")

    for position in world.hub.stock.positions():
        moves = world.hub.stock.movements(position.location_id, position.sku)
        assert position.on_hand == sum(m.on_hand_delta for m in moves)
        assert position.reserved == sum(m.reserved_delta for m in moves)
        assert position.available >= 0
    assert world.hub.stock.on_hand("dc-oh", "TENT") == 12


def test_refund_of_credit_note_credit_clears_receivable_and_customer_credit(
    world: World,
) -> None:
    """Refunding a return's credit on a paid order leaves receivable and customer credit at 0."""
    order, _, done = world.shipped(("TENT", 1))
    assert done.invoice is not None
    world.hub.record_payment(order.customer_id, done.invoice.grand_total, reference="paid")
    rma = world.hub.authorize_return(order.id, {1: 1}, reason="x")
    world.hub.receive_return(rma.id, location_id="dc-il")

    world.hub.refund(order.customer_id, Money("149.00", "USD"), reference="rf-1")

    journal = world.hub.journal
    assert journal.balance(Account.ACCOUNTS_RECEIVABLE, "USD") == Money.zero("USD")
    assert journal.balance(Account.CUSTOMER_CREDIT, "USD") == Money.zero("USD")


def test_refund_of_a_prepayment_leaves_deferred_revenue(world: World) -> None:
    """Refunding a prepayment of an order not shipped takes it out of deferred revenue."""
    order, _ = world.released(("TENT", 1))
    hub = world.hub
    hub.record_payment(
        order.customer_id, Money("149.00", "USD"), reference="card-1", prepayment_for=order.id
    )

    hub.refund(order.customer_id, Money("149.00", "USD"), reference="rf-1")

    assert hub.journal.prepayments_held("USD") == Money.zero("USD")
    assert hub.journal.balance(Account.DEFERRED_REVENUE, "USD") == Money.zero("USD")
    assert hub.journal.balance(Account.CUSTOMER_CREDIT, "USD") == Money.zero("USD")
    assert hub.journal.balance(Account.CASH, "USD") == Money.zero("USD")


def test_return_whose_credit_exceeds_what_is_left_is_refused_whole(world: World) -> None:
    """A return that cannot be credited in full (after a price adjustment) changes nothing."""
    order, _, done = world.shipped(("TENT", 1))
    assert done.invoice is not None
    world.hub.credit(done.invoice.id, reason="dent", amount=Money("1.00", "USD"))
    rma = world.hub.authorize_return(order.id, {1: 1}, reason="x")
    before = cash_state(world.hub)

    with pytest.raises(ValidationError):
        world.hub.receive_return(rma.id, location_id="dc-il")

    assert cash_state(world.hub) == before


def test_order_shipped_complete_on_hold_is_invoiced_when_the_hold_is_released(
    world: World,
) -> None:
    """Goods that ship while the order is held are invoiced; releasing the hold resumes it."""
    order, fo = world.released(("TENT", 1))
    world.hub.hold(order.id, HoldKind.FRAUD, "check the card")
    world.ship(fo.id, {"TENT": 1}, "1Z-1")

    world.hub.release_hold(order.id, HoldKind.FRAUD)

    assert world.state(order.id) is OrderState.INVOICED


def test_order_to_cash_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """examples/order_to_cash.py runs and prints the aging and a zero trial balance."""
    example = Path(__file__).parent.parent / "examples" / "order_to_cash.py"

    runpy.run_path(str(example), run_name="__main__")

    out = capsys.readouterr().out
    assert "Accounts receivable aging" in out
    assert "Trial balance" in out
    assert out.rstrip().endswith("0.00")
