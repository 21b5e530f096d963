"""HubMachine: a hypothesis state machine over the whole hub, checking its books after every step.

The only module of :mod:`orderhub.testing` that imports hypothesis (a test extra): import it
from your test suite, never from production code.

Subclassing
-----------
Everything the machine builds comes from overridable hooks, and hypothesis collects the
``@rule``/``@invariant`` methods of every class in the MRO, so a subclass adds its own::

    from hypothesis import strategies as st
    from hypothesis.stateful import rule
    from orderhub.testing import HubMachine

    class MyMachine(HubMachine):
        fault_rate = 0.5                      # a noisier outside world

        def make_erps(self):                  # my adapter instead of the in-memory ERP
            erps = super().make_erps()
            erps["main"] = MyErpAdapter(self.faults)
            return erps

        @rule(n=st.integers(1, 5))
        def my_command(self, n):
            self.hub.stock.receive("dc-a", "TENT", n)

    TestMyMachine = MyMachine.TestCase

Hooks: :meth:`make_hub`, :meth:`populate` (catalog, network, stock), :meth:`make_erps`,
:meth:`make_fulfillment`, :meth:`make_finance`, :meth:`make_driver`, and
:meth:`restore_options` (what ``OrderHub.restore`` needs besides the clock and ids, when
:meth:`make_hub` configures code of your own: ``routing=``, ``segments=`` …).

Persistence and determinism: the ``snapshot_and_restore`` rule takes the hub through
``snapshot()`` → JSON → ``OrderHub.restore()`` in the middle of everything and carries on
with the restored hub (the adapters, being the outside world, stay). The machine keeps the
command log as a host would; at the end of every run it replays the whole log onto an
empty hub, and the tail of the log onto each snapshot taken, and checks that both rebuild
exactly the hub it ended with. The adapters the
exactly-once invariant checks are :meth:`recorders` (the in-memory ones by default; return
``{}`` entries only for adapters that expose ``documents`` like
:class:`~orderhub.testing.InMemoryErp`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from orderhub._catalog import Item
from orderhub._drivers import SyncDriver
from orderhub._effects import Effect, EffectKind, EffectStatus
from orderhub._fulfilment import FulfillmentOrder, FulfillmentState, Shipment
from orderhub._hub import OrderHub
from orderhub._identity import CustomerIdentity
from orderhub._log import LoggedCommand
from orderhub._money import Money
from orderhub._network import Location, LocationKind
from orderhub._orders import HoldKind, OrderState
from orderhub._requests import LineRequest, OrderRequest
from orderhub._values import Address, Channel, GeoPoint
from orderhub.errors import OrderhubError
from orderhub.events import Event
from orderhub.ports import Outcome
from orderhub.testing import FixedClock, SequentialIds
from orderhub.testing._adapters import (
    Fault,
    FaultPlan,
    InMemoryErp,
    InMemoryFinance,
    InMemoryFulfillment,
)
from orderhub.testing.invariants import (
    assert_allocations_reserved,
    assert_closed_orders_settled,
    assert_invoices_exact,
    assert_journal_balances,
    assert_lines_reconcile,
    assert_receivables_agree,
    assert_revenue_adds_up,
    assert_stock_conserved,
)

__all__ = ["HubMachine"]

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CURRENCY = "USD"
CUSTOMERS = ("ann@example.com", "bob@example.com", "cem@example.com")
ORDER_SKUS = ("TENT", "TENT", "MAT", "LAMP", "STOVE")
"""What orders ask for: mostly tents (so that orders compete), acme's lamp, a drop-shipped
stove."""
SHIPPABLE = frozenset(
    {
        FulfillmentState.RELEASED,
        FulfillmentState.ACCEPTED,
        FulfillmentState.PICKING,
        FulfillmentState.PACKED,
        FulfillmentState.PARTIALLY_SHIPPED,
    }
)
TICKS = (timedelta(seconds=31), timedelta(minutes=5), timedelta(minutes=45), timedelta(days=3))
"""Time steps: past the first retry delay, a few retries, past the reservation TTL, days."""
SMALL = Money("5.00", CURRENCY)
"""The most a write-off of a small remainder takes."""


def _sum(amounts: Iterable[Money], currency: str) -> Money:
    return sum(amounts, Money.zero(currency))


def _assert_shipments_indexed(hub: OrderHub) -> None:
    """Each order's shipments and packing slips are what a scan of every shipment gives:
    the order's own, in confirmation order, each slip counting those before it."""
    scanned: dict[str, list[Shipment]] = {}
    for s in hub._shipments.values():
        scanned.setdefault(s.order_id, []).append(s)
    for order in hub.orders():
        mine = scanned.get(order.id, [])
        assert hub.shipments(order.id) == tuple(mine), order.id
        for i, shipment in enumerate(mine):
            slip = hub.packing_slip(shipment.id)
            before = [sum(e.content.get(sl.line_no, 0) for e in mine[:i]) for sl in shipment.lines]
            assert [ln.shipped_before for ln in slip.lines] == before, shipment.id


class _WatchedDriver(SyncDriver):
    """A :class:`~orderhub.SyncDriver` that fails the step if it ever hands a fulfilment
    adapter the release of an order that is on hold at that moment."""

    def call(self, effect: Effect) -> Outcome:
        """Check, then carry out the effect."""
        if effect.kind is EffectKind.RELEASE_FULFILLMENT:
            fo = self.hub.fulfillment_order(effect.subject_id)
            state = self.hub.order(fo.order_id).state
            assert state is not OrderState.ON_HOLD, (
                f"{effect.id} released {fo.id} of {fo.order_id}, which is on hold"
            )
        return super().call(effect)


class HubMachine(RuleBasedStateMachine):
    """Drives one :class:`~orderhub.OrderHub`, its in-memory adapters and a
    :class:`~orderhub.SyncDriver` through capture on every channel, routing, effects under
    switchable faults, rejections, shipments, cancellations, payments and their reversals,
    write-offs, returns, reservation expiry and time passing; after every step it checks
    stock conservation, allocations held by reservations, line reconciliation, invoice
    arithmetic, the receivables identity and aging partition, closed orders owing nothing,
    the journal, revenue recognition, exactly-once external documents, that no release
    reaches a location while its order is on hold, that locations hold what the hub holds,
    and that cancellations reach the ERPs.

    See the module docstring for subclassing.
    """

    fault_seed: int = 20260302
    fault_rate: float = 0.3
    fault_kinds: tuple[Fault, ...] = (
        Fault.TRANSIENT,
        Fault.TIMEOUT_AFTER_EFFECT,
        Fault.DUPLICATE_DELIVERY,
        Fault.REJECT,
    )
    reservation_ttl: timedelta | None = timedelta(minutes=30)
    currency: str = CURRENCY

    def __init__(self) -> None:
        super().__init__()
        self.clock = FixedClock(T0)
        self.ids = SequentialIds()
        self.faults = FaultPlan(
            seed=self.fault_seed, rate=self.fault_rate, kinds=self.fault_kinds, enabled=False
        )
        self.hub = self.make_hub()
        self.populate()
        self.erps = self.make_erps()
        self.fulfillment = self.make_fulfillment()
        self.finance = self.make_finance()
        self.driver = self.make_driver()
        self.captured = 0
        self.payments = 0
        self.stored: list[LoggedCommand] = []
        self.snapshots: list[tuple[int, str]] = []
        self.forwarded: list[Event] = []  # what a host forwarding the event log has sent

    # -- hooks ---------------------------------------------------------------------------

    def make_hub(self) -> OrderHub:
        """The hub under test (on :attr:`clock` and :attr:`ids`)."""
        return OrderHub(
            clock=self.clock,
            ids=self.ids,
            reservation_ttl=self.reservation_ttl,
            max_rejections=2,
        )

    def populate(self) -> None:
        """The catalog, the network and the opening stock."""
        hub = self.hub
        for item in (
            Item(sku="TENT", description="2-person tent", price=Money("149.00", "USD")),
            Item(sku="MAT", description="sleeping mat", price=Money("30.00", "USD")),
            Item(sku="LAMP", description="head lamp", price=Money("9.99", "USD"), owner="acme"),
            Item(
                sku="STOVE",
                description="camp stove",
                price=Money("59.50", "USD"),
                drop_ship_vendor="stoves-inc",
            ),
        ):
            hub.catalog.add(item)
        for location in (
            Location(id="dc-il", kind=LocationKind.DC, geo=GeoPoint(41.85, -87.65)),
            Location(id="dc-oh", kind=LocationKind.DC, geo=GeoPoint(39.96, -83.00)),
            Location(id="dc-nj", kind=LocationKind.DC, geo=GeoPoint(40.76, -74.03)),
            Location(
                id="acme-oh",
                kind=LocationKind.DC,
                geo=GeoPoint(39.96, -83.00),
                owner="acme",
                erp="acme",
            ),
            Location(
                id="stoves-ca",
                kind=LocationKind.DROP_SHIPPER,
                geo=GeoPoint(34.05, -118.24),
                vendor="stoves-inc",
            ),
        ):
            hub.network.add(location)
        for loc in ("dc-il", "dc-oh", "dc-nj"):
            hub.stock.receive(loc, "TENT", 3)
            hub.stock.receive(loc, "MAT", 5)
        hub.stock.receive("acme-oh", "LAMP", 6)

    def make_erps(self) -> dict[str, Any]:
        """ERP adapters by name (``Location.erp``)."""
        return {"main": InMemoryErp(self.faults), "acme": InMemoryErp(self.faults)}

    def make_fulfillment(self) -> dict[str, Any]:
        """Fulfilment adapters by drop-ship vendor, and ``"default"``."""
        return {
            "default": InMemoryFulfillment(self.faults),
            "stoves-inc": InMemoryFulfillment(self.faults),
        }

    def make_finance(self) -> Any:
        """The general-ledger adapter."""
        return InMemoryFinance(self.faults)

    def restore_options(self) -> dict[str, Any]:
        """Keyword arguments for ``OrderHub.restore`` besides ``clock`` and ``ids``."""
        return {}

    def make_driver(self) -> SyncDriver:
        """The driver carrying the hub's effects to the adapters. The default one also fails
        the step if it hands over the release of an order on hold (a driver of your own
        leaves that check out)."""
        return _WatchedDriver(
            self.hub, erps=self.erps, fulfillment=self.fulfillment, finance=self.finance
        )

    def recorders(self) -> dict[tuple[str, str], Any]:
        """The adapters whose ``documents`` (by idempotency key) the exactly-once invariant
        checks, by (port, target) as effects name them."""
        out: dict[tuple[str, str], Any] = {}
        for name, erp in self.erps.items():
            out[("erp", name)] = erp
        for name, f in self.fulfillment.items():
            out[("fulfillment", name)] = f
        out[("finance", "finance")] = self.finance
        return {k: v for k, v in out.items() if hasattr(v, "documents")}

    # -- helpers -------------------------------------------------------------------------

    def fulfillment_orders(self) -> list[FulfillmentOrder]:
        """Every fulfilment order, in order."""
        return [fo for o in self.hub.orders() for fo in self.hub.fulfillment_orders(o.id)]

    def shippable(self) -> list[FulfillmentOrder]:
        """Released fulfilment orders with units left to ship."""
        return [fo for fo in self.fulfillment_orders() if fo.state in SHIPPABLE and fo.to_ship]

    def rejectable(self) -> list[FulfillmentOrder]:
        """Released fulfilment orders nothing has shipped from yet."""
        return [
            fo
            for fo in self.fulfillment_orders()
            if fo.state in SHIPPABLE and fo.is_open and not any(ln.shipped for ln in fo.lines)
        ]

    def open_invoices(self) -> list[Any]:
        """Invoices with something open on them."""
        return [
            i
            for i in self.hub.invoices()
            if not i.is_credit_note
            and not i.grand_total.is_zero
            and self.hub.receivables.item(i.id).is_open
        ]

    def open_amount(self, invoice_id: str) -> Money:
        """What is open on an invoice."""
        items = [i for i in self.hub.receivables.open_items() if i.document_id == invoice_id]
        return _sum((i.open for i in items), self.currency)

    def small_remainders(self) -> list[str]:
        """Invoices with at most 5.00 left open."""
        return [i.id for i in self.open_invoices() if self.open_amount(i.id) <= SMALL]

    def routed_lines(self) -> list[tuple[str, int, int]]:
        """(order, line, units cancellable) of lines with units routed and announced to a
        location that has not acknowledged the release yet (they can still be cancelled)."""
        out = []
        for o in self.hub.orders():
            state = o.resume_state if o.state is OrderState.ON_HOLD else o.state
            if state not in (OrderState.ALLOCATED, OrderState.PARTIALLY_ALLOCATED):
                continue
            for line in o.lines:
                q = line.quantities
                if q.allocated:
                    out.append((o.id, line.line_no, q.open + q.backordered + q.allocated))
        return out

    def returnable(self) -> list[tuple[str, int, int]]:
        """(order, line, units) that could still be returned."""
        out = []
        for o in self.hub.orders():
            for line in o.lines:
                room = line.quantities.shipped - self.hub.returned(o.id, line.line_no)
                if room > 0:
                    out.append((o.id, line.line_no, room))
        return out

    def refused(self, command: Any, *args: Any, **kwargs: Any) -> bool:
        """Run a command that may be refused; a refusal must change nothing. True if refused."""
        events, moves, docs = (
            len(self.hub.events),
            len(self.hub.stock.movements()),
            len(self.hub.journal.entries()),
        )
        try:
            command(*args, **kwargs)
        except OrderhubError:
            assert len(self.hub.events) == events, "a refused command recorded events"
            assert len(self.hub.stock.movements()) == moves, "a refused command moved stock"
            assert len(self.hub.journal.entries()) == docs, "a refused command journaled"
            return True
        return False

    def cancelled_and_told(self, command: Any, order_id: str, *args: Any, **kwargs: Any) -> bool:
        """Run a cancellation of ``order_id`` that may be refused (True if it was); check
        that it tells each ERP and location exactly what it took off the fulfilment orders
        already announced to them, one withdrawal per fulfilment order touched."""
        hub = self.hub
        before = {fo.id: fo for fo in hub.fulfillment_orders(order_id)}
        known = len(hub.effects())
        if self.refused(command, order_id, *args, **kwargs):
            assert len(hub.effects()) == known, "a refused cancellation queued effects"
            return True
        taken: dict[str, dict[int, int]] = {}
        touched: list[str] = []
        for fo in hub.fulfillment_orders(order_id):
            was = before.get(fo.id)
            left = {line.line_no: line.quantity for line in fo.lines}
            for line in was.lines if was is not None else ():
                gone = line.quantity - left.get(line.line_no, 0)
                if gone > 0:
                    at = taken.setdefault(fo.erp, {})
                    at[line.line_no] = at.get(line.line_no, 0) + gone
                    touched.append(fo.id)
        told: dict[str, dict[int, int]] = {}
        withdrawn: list[str] = []
        unsent: set[str] = set()  # releases called off before any attempt: nothing to withdraw
        for e in hub.effects():
            if (
                e.kind is EffectKind.RELEASE_FULFILLMENT
                and e.status is EffectStatus.CANCELLED
                and not e.attempts
            ):
                unsent.add(e.subject_id)
        for e in hub.effects()[known:]:
            if e.kind is EffectKind.CANCEL_ORDER and e.subject_id == order_id:
                for line in e.payload["lines"]:
                    at = told.setdefault(e.target, {})
                    at[line["line_no"]] = at.get(line["line_no"], 0) + line["quantity"]
            elif e.kind is EffectKind.CANCEL_FULFILLMENT:
                withdrawn.append(e.subject_id)
        assert told == taken, (order_id, told, taken)
        expected = sorted(set(touched) - unsent)
        assert sorted(withdrawn) == expected, (order_id, withdrawn, touched)
        return False

    # -- rules: intake and routing ---------------------------------------------------------

    @rule(
        channel=st.sampled_from(Channel),
        who=st.sampled_from(CUSTOMERS),
        lines=st.lists(
            st.tuples(st.sampled_from(ORDER_SKUS), st.integers(1, 3)), min_size=1, max_size=3
        ),
    )
    def capture(self, channel: Channel, who: str, lines: list[tuple[str, int]]) -> None:
        """Capture an order on any channel."""
        self.captured += 1
        self.hub.capture(
            OrderRequest(
                channel=channel,
                external_id=f"X-{self.captured}",
                customer=CustomerIdentity(email=who),
                ship_to=Address(
                    line1="1 Main St", city="Chicago", country="US", geo=GeoPoint(41.88, -87.63)
                ),
                lines=[LineRequest(sku=sku, quantity=q) for sku, q in lines],
            )
        )

    @rule()
    def process(self) -> None:
        """Route what is queued."""
        self.hub.process()

    @rule()
    def drive(self) -> None:
        """Carry out the due effects through the adapters."""
        self.driver.run()

    @rule()
    def process_and_drive(self) -> None:
        """Route what is queued and carry out the effects at once (the common cadence)."""
        self.hub.process()
        self.driver.run()

    @rule(on=st.booleans())
    def switch_faults(self, on: bool) -> None:
        """The outside world starts (or stops) misbehaving."""
        self.faults.enabled = on

    @rule(step=st.sampled_from(TICKS))
    def tick(self, step: timedelta) -> None:
        """Time passes (retries come due, reservations age)."""
        self.clock.advance(step)

    @rule()
    def expire(self) -> None:
        """The hub is told to release expired reservations."""
        self.hub.expire_reservations()

    @rule(loc=st.sampled_from(("dc-il", "dc-oh", "dc-nj")), sku=st.sampled_from(("TENT", "MAT")))
    def restock(self, loc: str, sku: str) -> None:
        """Goods arrive at a DC."""
        self.hub.receive(loc, sku, 2)

    # -- rules: fulfilment -----------------------------------------------------------------

    @precondition(lambda self: bool(self.rejectable()))
    @rule(data=st.data())
    def reject(self, data: st.DataObject) -> None:
        """A location rejects a released fulfilment order."""
        fo = data.draw(st.sampled_from(self.rejectable()))
        self.refused(self.hub.reject_fulfillment, fo.id, reason="cannot fill")

    @precondition(lambda self: bool(self.shippable()))
    @rule(data=st.data(), full=st.booleans(), deliver=st.booleans())
    def ship(self, data: st.DataObject, full: bool, deliver: bool) -> None:
        """Ship part or all of what a released fulfilment order has left."""
        fo = data.draw(st.sampled_from(self.shippable()))
        lines = {}
        for line_no, left in sorted(fo.to_ship.items()):
            qty = left if full else data.draw(st.integers(0, left))
            if qty:
                lines[line_no] = qty
        if not lines:
            line_no, left = next(iter(sorted(fo.to_ship.items())))
            lines[line_no] = 1
        tracking = f"T-{len(self.hub.events)}"
        done = self.hub.confirm_shipment(fo.id, lines, carrier="UPS", tracking=tracking)
        if deliver:
            self.hub.confirm_delivery(done.shipment.id)

    @rule(data=st.data())
    def busy_day(self, data: st.DataObject) -> None:
        """Route, carry out the effects, and ship one released fulfilment order in full."""
        self.process_and_drive()
        options = self.shippable()
        if options:
            fo = data.draw(st.sampled_from(options))
            tracking = f"T-{len(self.hub.events)}"
            self.hub.confirm_shipment(fo.id, dict(fo.to_ship), carrier="UPS", tracking=tracking)

    @precondition(lambda self: any(True for _ in self.hub.orders()))
    @rule(data=st.data(), whole=st.booleans())
    def cancel(self, data: st.DataObject, whole: bool) -> None:
        """Cancel a whole order, or some units of a line — of a line routed, if any, whose
        sales order and release went out; a refusal changes nothing, and each cancellation
        must tell the ERPs and locations what it took off."""
        routed = self.routed_lines()
        if routed and not whole:
            order_id, line_no, most = data.draw(st.sampled_from(routed))
            refused = self.cancelled_and_told(
                self.hub.cancel_line,
                order_id,
                line_no,
                data.draw(st.integers(1, most)),
                reason="one fewer",
            )
            assert not refused, "a cancellable quantity was refused"
            return
        order = data.draw(st.sampled_from(list(self.hub.orders())))
        if whole:
            self.cancelled_and_told(self.hub.cancel, order.id, reason="changed mind")
        else:
            line = data.draw(st.sampled_from(order.lines))
            qty = data.draw(st.none() | st.integers(1, line.quantity))
            self.cancelled_and_told(
                self.hub.cancel_line, order.id, line.line_no, qty, reason="changed mind"
            )

    @precondition(lambda self: any(True for _ in self.hub.orders()))
    @rule(data=st.data(), kind=st.sampled_from(HoldKind))
    def hold(self, data: st.DataObject, kind: HoldKind) -> None:
        """Hold an order (payment, fraud, credit, manual); a refusal changes nothing."""
        order = data.draw(st.sampled_from(list(self.hub.orders())))
        self.refused(self.hub.hold, order.id, kind, "review")

    @precondition(lambda self: any(o.holds for o in self.hub.orders()))
    @rule(data=st.data())
    def release_hold(self, data: st.DataObject) -> None:
        """Release one hold of a held order."""
        order = data.draw(st.sampled_from([o for o in self.hub.orders() if o.holds]))
        hold = data.draw(st.sampled_from(order.holds))
        self.hub.release_hold(order.id, hold.kind)

    # -- rules: cash -----------------------------------------------------------------------

    @precondition(lambda self: bool(self.open_invoices()))
    @rule(data=st.data(), how=st.sampled_from(("named", "unnamed", "partial", "over", "almost")))
    def pay(self, data: st.DataObject, how: str) -> None:
        """A payment: to a named invoice, oldest first, partial, over, or all but a little."""
        invoice = data.draw(st.sampled_from(self.open_invoices()))
        owed = self.open_amount(invoice.id).minor_units
        if how == "partial":
            minor = data.draw(st.integers(1, max(owed - 1, 1)))
        elif how == "over":
            minor = owed + data.draw(st.integers(1, 5000))
        elif how == "almost":
            minor = max(owed - data.draw(st.integers(1, 300)), 1)
        else:
            minor = owed
        self.payments += 1
        self.hub.record_payment(
            invoice.customer_id,
            Money.from_minor(minor, self.currency),
            reference=f"pay-{self.payments}",
            invoices=() if how == "unnamed" else (invoice.id,),
        )

    @precondition(lambda self: self.payments > 0)
    @rule(data=st.data())
    def bounce(self, data: st.DataObject) -> None:
        """A payment bounces (again, harmlessly, if it bounced before): the closed orders
        it leaves owing go back to invoiced."""
        n = data.draw(st.integers(1, self.payments))
        self.hub.reverse_payment(f"pay-{n}", reason="bounced")

    @precondition(lambda self: bool(self.open_invoices()))
    @rule(data=st.data())
    def write_off(self, data: st.DataObject) -> None:
        """Write off a small remainder (refused, changing nothing, above 5.00)."""
        invoice = data.draw(st.sampled_from(self.open_invoices()))
        self.refused(
            self.hub.write_off,
            invoice.id,
            reason="small remainder",
            max_amount=SMALL,
        )

    @precondition(lambda self: bool(self.small_remainders()))
    @rule(data=st.data())
    def write_off_remainder(self, data: st.DataObject) -> None:
        """Write off what is left of an invoice that was paid all but a little."""
        invoice_id = data.draw(st.sampled_from(self.small_remainders()))
        self.hub.write_off(invoice_id, reason="small remainder", max_amount=SMALL)

    @precondition(lambda self: bool(self.returnable()))
    @rule(data=st.data(), restock=st.booleans())
    def return_goods(self, data: st.DataObject, restock: bool) -> None:
        """Authorise a return of shipped units and receive it (restocked or scrapped)."""
        order_id, line_no, room = data.draw(st.sampled_from(self.returnable()))
        rma = self.hub.authorize_return(
            order_id, {line_no: data.draw(st.integers(1, room))}, reason="unwanted"
        )
        self.refused(self.hub.receive_return, rma.id, location_id="dc-il", restock=restock)

    # -- rules: persistence ------------------------------------------------------------------

    def store_log(self) -> None:
        """Append the hub's new command-log entries to the host's store, as a host would."""
        last = self.stored[-1].seq if self.stored else 0
        self.stored.extend(c for c in self.hub.command_log if c.seq > last)
        self.hub.forget_commands(self.hub.log_position)

    @rule()
    def snapshot_and_restore(self) -> None:
        """The host snapshots the hub, stops, and restores it from the JSON to carry on."""
        self.store_log()
        text = json.dumps(self.hub.snapshot(), sort_keys=True)
        restored = OrderHub.restore(
            json.loads(text), clock=self.clock, ids=self.ids, **self.restore_options()
        )
        assert json.dumps(restored.snapshot(), sort_keys=True) == text, "restore is not exact"
        self.snapshots = [*self.snapshots[-1:], (self.hub.log_position, text)]
        self.hub = restored
        self.driver = self.make_driver()

    def teardown(self) -> None:
        """Determinism: the stored command log rebuilds the hub, from empty and from each
        snapshot taken (checked once per run: a replay costs what the run cost)."""
        self.store_log()
        final = json.dumps(self.hub.snapshot(), sort_keys=True)
        events = self.hub.events
        fresh = self.make_hub()
        fresh.replay(self.stored)
        assert json.dumps(fresh.snapshot(), sort_keys=True) == final, "replay is not exact"
        assert fresh.events_since(0) == events, "replay is not exact"
        _assert_shipments_indexed(fresh)  # an index, not in the snapshot compared above
        for position, text in self.snapshots:
            hub = OrderHub.restore(
                json.loads(text), clock=self.clock, ids=self.ids, **self.restore_options()
            )
            cursor = len(hub.events_since(0))
            hub.replay(c for c in self.stored if c.seq > position)
            assert json.dumps(hub.snapshot(), sort_keys=True) == final, (
                f"snapshot at {position} + the log after it is not the hub"
            )
            assert hub.events_since(cursor) == events[cursor:], "a cursor moved on replay"
            _assert_shipments_indexed(hub)

    # -- invariants ------------------------------------------------------------------------

    @invariant()
    def stock_is_conserved(self) -> None:
        """On-hand and reserved are the sums of their movements; reserved is what the live
        reservations hold; available is never negative."""
        assert_stock_conserved(self.hub)

    @invariant()
    def allocations_are_reserved(self) -> None:
        """Allocated units are exactly what the live reservations hold (no stock leaks)."""
        assert_allocations_reserved(self.hub)

    @invariant()
    def lines_reconcile(self) -> None:
        """Every line: ordered = open + allocated + backordered + shipped + cancelled."""
        assert_lines_reconcile(self.hub)
        for order in self.hub.orders():
            if order.state is OrderState.CANCELLED:
                assert all(ln.quantities.allocated == 0 for ln in order.lines), order.id

    @invariant()
    def invoices_are_exact(self) -> None:
        """Σ line nets = net, Σ line taxes = tax, grand total = net + tax, on every document."""
        assert_invoices_exact(self.hub)

    @invariant()
    def receivables_agree(self) -> None:
        """Balance = the identity of its terms; the aging buckets partition the open items."""
        assert_receivables_agree(self.hub, self.clock.now().date())

    @invariant()
    def closed_orders_settled(self) -> None:
        """An order is closed only while nothing is owed on any of its invoices."""
        assert_closed_orders_settled(self.hub)

    @invariant()
    def journal_balances(self) -> None:
        """Every entry balances, the trial balance sums to zero, and the journal's
        receivable and customer credit agree with the receivables ledger."""
        assert_journal_balances(self.hub, self.currency)

    @invariant()
    def revenue_adds_up(self) -> None:
        """Recognised + deferred revenue = Σ invoice nets − Σ credit-note nets."""
        assert_revenue_adds_up(self.hub, self.currency)

    @invariant()
    def shipments_are_indexed(self) -> None:
        """An order's shipments and packing slips agree with a scan of every shipment."""
        _assert_shipments_indexed(self.hub)

    @invariant()
    def events_forward_from_a_cursor(self) -> None:
        """A host forwarding the event log after every step, by the count it has sent,
        sends every event once and in order, across restores."""
        self.forwarded.extend(self.hub.events_since(len(self.forwarded)))
        assert tuple(self.forwarded) == self.hub.events

    @invariant()
    def releases_wait_for_holds(self) -> None:
        """A pending release is held back exactly while its order is on hold: never due
        then, and due again (at its own time) once the order is not."""
        hub = self.hub
        for e in hub._outbox.pending():
            if e.kind is EffectKind.RELEASE_FULFILLMENT:
                order = hub.order(hub.fulfillment_order(e.subject_id).order_id)
                held = order.state is OrderState.ON_HOLD
                assert hub._outbox.is_held_back(e.id) == held, (e.id, order.state)
        for e in hub.pending_effects():
            if e.kind is EffectKind.RELEASE_FULFILLMENT:
                order_id = hub.fulfillment_order(e.subject_id).order_id
                assert hub.order(order_id).state is not OrderState.ON_HOLD, e.id

    @invariant()
    def documents_exactly_once(self) -> None:
        """Every succeeded effect left exactly one document under its key with its adapter;
        every document an adapter holds belongs to exactly one effect of the hub's, of the
        same action; no document is posted twice under two keys."""
        recorders = self.recorders()
        effects: dict[tuple[str, str, str], Effect] = {}
        subjects: set[tuple[str, str, str]] = set()
        for e in self.hub.effects():
            where = (e.kind.port, e.target)
            assert (*where, e.idempotency_key) not in effects, e.idempotency_key
            effects[(*where, e.idempotency_key)] = e
            subject = (e.kind.value, e.target, e.subject_id)
            if e.kind.value not in ("submit_order", "cancel_order", "cancel"):
                # (a sales order or a fulfilment order may be withdrawn in parts, each
                # under its own key)
                assert subject not in subjects, f"{subject} queued twice"
            subjects.add(subject)
            recorder = recorders.get(where)
            if recorder is None:
                continue
            if e.status is EffectStatus.SUCCEEDED:
                assert e.idempotency_key in recorder.documents, e
                assert recorder.documents[e.idempotency_key][0] == e.kind.value, e
            elif e.status is EffectStatus.CANCELLED and not e.attempts:
                # called off before any attempt: the location never saw it
                assert e.idempotency_key not in recorder.documents, e
        for where, recorder in recorders.items():
            docs: Mapping[str, tuple[str, Any]] = recorder.documents
            for key, (action, _) in docs.items():
                effect = effects.get((*where, key))
                assert effect is not None, f"{where} holds a document no effect asked for: {key}"
                assert effect.kind.value == action, key

    @invariant()
    def locations_hold_what_the_hub_holds(self) -> None:
        """A location that got every release and withdrawal of a fulfilment order holds,
        replaying their payloads in the hub's order, the units the hub holds on it (none
        once it is cancelled)."""
        recorders = self.recorders()
        sent: dict[str, list[Effect]] = {}
        for e in self.hub.effects():
            if e.kind.port == "fulfillment":
                sent.setdefault(e.subject_id, []).append(e)
        for fo_id, effects in sent.items():
            fo = self.hub.fulfillment_order(fo_id)
            recorder = recorders.get(("fulfillment", effects[0].target))
            if (
                recorder is None
                or fo.state is FulfillmentState.REJECTED  # the location said no itself
                or any(e.status is not EffectStatus.SUCCEEDED for e in effects)
            ):
                continue
            held: dict[int, int] | None = None
            for e in effects:
                payload = recorder.documents[e.idempotency_key][1]
                if payload is None:  # an adapter that keeps no payloads
                    break
                if payload["state"] == FulfillmentState.CANCELLED.value:
                    held = None
                else:
                    held = {line["line_no"]: line["quantity"] for line in payload["lines"]}
            else:
                if fo.state is FulfillmentState.CANCELLED:
                    assert held is None, fo_id
                else:
                    assert held == {line.line_no: line.quantity for line in fo.lines}, fo_id

    @invariant()
    def cancellations_reach_the_erps(self) -> None:
        """Only an ERP that got the sales order is told of its cancellation; no ERP is told
        of more cancelled units of a line than the line has cancelled; an order cancelled
        whole is cancelled whole, once, at every ERP that got its sales order."""
        submitted: dict[str, set[str]] = {}
        whole: dict[str, list[str]] = {}
        told: dict[tuple[str, int], int] = {}
        for e in self.hub.effects():
            if e.kind.value == "submit_order":
                submitted.setdefault(e.subject_id, set()).add(e.target)
            elif e.kind.value == "cancel_order":
                assert e.target in submitted.get(e.subject_id, ()), e.idempotency_key
                payload = e.payload
                if payload["whole_order"]:
                    whole.setdefault(e.subject_id, []).append(e.target)
                else:
                    assert payload["lines"], e.idempotency_key
                for line in payload["lines"]:
                    key = (e.subject_id, line["line_no"])
                    told[key] = told.get(key, 0) + line["quantity"]
        for (order_id, line_no), units in told.items():
            cancelled = self.hub.order(order_id).line(line_no).quantities.cancelled
            assert units <= cancelled, (order_id, line_no, units, cancelled)
        for order in self.hub.orders():
            erps = sorted(submitted.get(order.id, ()))
            if order.state is OrderState.CANCELLED:
                assert sorted(whole.get(order.id, ())) == erps, order.id
            else:
                assert order.id not in whole, order.id
