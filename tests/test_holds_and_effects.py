"""A hold stops the release to the warehouse, and only that.

Routing queues a release per fulfilment order at once; an order put on hold before a driver
carried it out must not be picked, packed and shipped. The release waits, pending, until the
last hold is released; the ERP's sales order, the customer and the books go on.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from orderhub import (
    Address,
    AsyncDriver,
    Channel,
    CustomerIdentity,
    Effect,
    EffectKind,
    EffectStatus,
    FulfillmentState,
    GeoPoint,
    HoldKind,
    Item,
    LineRequest,
    Location,
    LocationKind,
    Money,
    Order,
    OrderHub,
    OrderRequest,
    OrderState,
    RetryPolicy,
    SyncDriver,
)
from orderhub.ports import Failed, Outcome, Rejected, Succeeded
from orderhub.routing import Closest
from orderhub.testing import (
    Fault,
    FaultPlan,
    FixedClock,
    InMemoryErp,
    InMemoryFinance,
    InMemoryFulfillment,
    SequentialIds,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class World:
    """One hub with one DC, its clock, and in-memory adapters behind a SyncDriver."""

    def __init__(self, *, ttl: timedelta | None = None) -> None:
        self.clock = FixedClock(T0)
        self.ids = SequentialIds()
        self.hub = self.new_hub(ttl)
        self.hub.catalog.add(Item(sku="TENT", description="tent", price=Money("149.00", "USD")))
        self.hub.network.add(Location(id="dc-a", kind=LocationKind.DC, geo=GeoPoint(40.7, -74.0)))
        self.hub.stock.receive("dc-a", "TENT", 5)
        self.erp, self.wms, self.ledger = InMemoryErp(), InMemoryFulfillment(), InMemoryFinance()

    def new_hub(self, ttl: timedelta | None = None) -> OrderHub:
        """An empty hub configured as this world's (a replay starts from one)."""
        return OrderHub(
            clock=self.clock,
            ids=self.ids,
            routing=Closest(),
            reservation_ttl=ttl,
            retry=RetryPolicy(max_attempts=3, first_delay=timedelta(minutes=1)),
        )

    def order(self, quantity: int = 1) -> Order:
        """Capture an order and route it (its effects queued, none carried out)."""
        order = self.hub.capture(
            OrderRequest(
                channel=Channel.WEB,
                external_id=f"W-{len(list(self.hub.orders())) + 1}",
                customer=CustomerIdentity(email="ann@example.com"),
                ship_to=Address(
                    line1="1 Main St", city="Chicago", country="US", geo=GeoPoint(41.88, -87.63)
                ),
                lines=[LineRequest(sku="TENT", quantity=quantity)],
            )
        ).order
        self.hub.process()
        return order

    def driver(self) -> SyncDriver:
        return SyncDriver(
            self.hub, erps={"main": self.erp}, fulfillment=self.wms, finance=self.ledger
        )

    def drive(self) -> int:
        return self.driver().run()

    def release_of(self, order: Order) -> Effect:
        """The release effect of ``order``'s first fulfilment order, as it is now."""
        return self.release_of_fo(self.hub.fulfillment_orders(order.id)[0].id)

    def release_of_fo(self, fo_id: str) -> Effect:
        """The release effect of fulfilment order ``fo_id``, as it is now."""
        [release] = [
            e
            for e in self.hub.effects()
            if e.kind is EffectKind.RELEASE_FULFILLMENT and e.subject_id == fo_id
        ]
        return release

    def warehouse_heard(self) -> list[str]:
        """What the warehouse was asked, in order."""
        return [action for action, _ in self.wms.calls]


def kinds(effects: tuple[Effect, ...]) -> list[EffectKind]:
    return [e.kind for e in effects]


# -- the release waits ------------------------------------------------------------------------


def test_a_hold_after_routing_keeps_the_release_from_the_warehouse() -> None:
    """Held after routing: the driver sends the customer and the sales order, not the
    release, which stays pending with no attempt made; the driver loop ends."""
    world = World()
    order = world.order()
    world.hub.hold(order.id, HoldKind.FRAUD, "order over the review limit")

    calls = world.drive()

    assert calls == 2
    assert [a for a, _ in world.erp.calls] == ["upsert_customer", "submit_order"]
    assert world.warehouse_heard() == []
    release = world.release_of(order)
    assert release.status is EffectStatus.PENDING
    assert (release.attempts, release.last_error, release.next_attempt_at) == (0, None, T0)
    assert world.hub.effect(release.id) == release
    assert world.hub.pending_effects() == ()
    assert world.hub.order(order.id).state is OrderState.ON_HOLD
    assert world.hub.fulfillment_orders(order.id)[0].state is FulfillmentState.PENDING


def test_releasing_the_hold_sends_the_release() -> None:
    """When the hold is released the release is due at once and the order moves on."""
    world = World()
    order = world.order()
    world.hub.hold(order.id, HoldKind.FRAUD, "review")
    world.drive()
    world.clock.advance(hours=2)

    world.hub.release_hold(order.id, HoldKind.FRAUD)

    assert kinds(world.hub.pending_effects()) == [EffectKind.RELEASE_FULFILLMENT]
    assert world.drive() == 1
    assert world.warehouse_heard() == ["release"]
    assert world.release_of(order).status is EffectStatus.SUCCEEDED
    assert world.release_of(order).attempts == 1
    assert world.hub.order(order.id).state is OrderState.RELEASED
    assert world.hub.fulfillment_orders(order.id)[0].state is FulfillmentState.RELEASED


def test_the_release_waits_until_every_hold_is_released() -> None:
    """Two holds: releasing one leaves the release waiting; releasing both sends it."""
    world = World()
    order = world.order()
    world.hub.hold(order.id, HoldKind.FRAUD, "review")
    world.hub.hold(order.id, HoldKind.CREDIT, "over the credit limit")
    world.drive()

    world.hub.release_hold(order.id, HoldKind.FRAUD)

    assert world.hub.pending_effects() == ()
    assert world.drive() == 0
    assert world.warehouse_heard() == []

    world.hub.release_hold(order.id, HoldKind.CREDIT)

    assert world.drive() == 1
    assert world.warehouse_heard() == ["release"]


def test_waiting_on_a_hold_is_not_a_failure() -> None:
    """Days on hold, with the driver running: no attempt counted, nothing abandoned."""
    world = World()
    order = world.order()
    world.hub.hold(order.id, HoldKind.MANUAL, "customer asked to wait")

    for _ in range(10):  # far past what the retry policy would allow a failing effect
        world.clock.advance(days=1)
        world.drive()

    release = world.release_of(order)
    assert release.status is EffectStatus.PENDING
    assert release.attempts == 0
    assert not [e for e in world.hub.events if type(e).__name__ == "EffectAbandoned"]


def test_a_release_held_back_after_a_failure_keeps_its_backoff() -> None:
    """A release that failed before the hold comes due at its own retry time, not sooner
    (and at once when that has passed by the time the hold is released)."""
    world = World()
    order = world.order()
    [release] = [
        e for e in world.hub.pending_effects() if e.kind is EffectKind.RELEASE_FULFILLMENT
    ]
    world.hub.resolve(release.id, Failed("warehouse API timed out"))
    world.hub.hold(order.id, HoldKind.FRAUD, "review")
    world.clock.advance(seconds=20)

    world.hub.release_hold(order.id, HoldKind.FRAUD)

    assert release.id not in [e.id for e in world.hub.pending_effects()]
    world.clock.advance(seconds=40)  # the first retry was due one minute after the failure
    assert release.id in [e.id for e in world.hub.pending_effects()]
    assert world.hub.effect(release.id).attempts == 1


def test_the_sales_order_customer_and_books_go_on_while_the_order_is_held() -> None:
    """Only releases wait for a hold: sales order, customer, invoice, journal entries and
    payment of a held order are all sent."""
    world = World()
    order = world.order()
    world.drive()  # released before the hold: the goods are on their way
    world.hub.hold(order.id, HoldKind.CREDIT, "credit check")
    fo = world.hub.fulfillment_orders(order.id)[0]
    world.hub.confirm_shipment(fo.id, {1: 1}, carrier="UPS", tracking="1Z1")
    [invoice] = world.hub.invoices()
    world.hub.record_payment(
        invoice.customer_id, invoice.grand_total, reference="bank-1", invoices=[invoice.id]
    )

    due = kinds(world.hub.pending_effects())
    world.drive()

    assert world.hub.order(order.id).state is OrderState.ON_HOLD
    assert EffectKind.POST_INVOICE in due
    assert EffectKind.POST_PAYMENT in due
    assert EffectKind.POST_JOURNAL_ENTRY in due
    assert [a for a, _ in world.erp.calls] == [
        "upsert_customer",
        "submit_order",
        "post_invoice",
        "post_payment",
    ]
    assert world.ledger.calls
    assert all(e.status is EffectStatus.SUCCEEDED for e in world.hub.effects())


def test_a_refused_sales_order_holds_the_order_and_its_release_in_the_same_run() -> None:
    """The ERP refuses the sales order: the hub holds the order, and the SyncDriver does
    not send the release it had already found due in the same round."""
    world = World()
    order = world.order()
    world.erp.script[f"submit:{order.id}:main"] = Rejected("customer blocked in the ERP")

    world.drive()

    assert world.hub.order(order.id).state is OrderState.ON_HOLD
    assert world.warehouse_heard() == []
    assert world.release_of(order).status is EffectStatus.PENDING


def test_the_async_driver_leaves_the_release_of_a_held_order_alone() -> None:
    """The AsyncDriver sends what is due and stops; the release goes once the hold is
    released."""
    world = World()
    order = world.order()
    world.hub.hold(order.id, HoldKind.PAYMENT, "awaiting payment")
    driver = AsyncDriver(
        world.hub,
        erps={"main": Async(world.erp)},
        fulfillment=Async(world.wms),
        finance=Async(world.ledger),
    )

    assert asyncio.run(driver.run()) == 2
    assert world.warehouse_heard() == []

    world.hub.release_hold(order.id, HoldKind.PAYMENT)

    assert asyncio.run(driver.run()) == 1
    assert world.warehouse_heard() == ["release"]


class Async:
    """An asyncio adapter over an in-memory one."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.inner, name)

        async def call(payload: Mapping[str, Any], key: str) -> Outcome:
            await asyncio.sleep(0)
            result: Outcome = method(payload, key)
            return result

        return call


# -- cancelled while held ---------------------------------------------------------------------


def test_an_order_cancelled_while_held_never_reaches_the_warehouse() -> None:
    """Held, then cancelled: the release is called off and, since it was never sent, the
    warehouse hears nothing — no release, no cancel; the ERP gets its cancellation."""
    world = World()
    order = world.order()
    world.hub.hold(order.id, HoldKind.FRAUD, "review")
    world.drive()

    world.hub.cancel(order.id, reason="fraud confirmed")
    world.drive()
    world.clock.advance(days=1)
    world.drive()

    assert world.warehouse_heard() == []
    assert [a for a, _ in world.erp.calls] == ["upsert_customer", "submit_order", "cancel_order"]
    release = world.release_of(order)
    assert (release.status, release.attempts) == (EffectStatus.CANCELLED, 0)
    assert world.hub.fulfillment_orders(order.id)[0].state is FulfillmentState.CANCELLED
    assert world.hub.order(order.id).state is OrderState.CANCELLED
    assert world.hub.stock.position("dc-a", "TENT").reserved == 0
    assert world.hub.pending_effects() == ()


def test_a_held_release_that_may_have_landed_is_withdrawn_on_cancel() -> None:
    """A release attempted before the hold (the answer was lost: the warehouse may have
    it) is not retried after the order is cancelled; the warehouse is sent a cancel."""
    world = World()
    order = world.order()
    world.wms.faults = FaultPlan(rate=1.0, kinds=(Fault.TIMEOUT_AFTER_EFFECT,))
    world.drive()
    world.wms.faults.enabled = False
    world.hub.hold(order.id, HoldKind.FRAUD, "review")

    world.hub.cancel(order.id, reason="fraud confirmed")
    for _ in range(5):
        world.clock.advance(minutes=10)
        world.drive()

    assert world.warehouse_heard() == ["release", "cancel"]
    release = world.release_of(order)
    assert (release.status, release.attempts) == (EffectStatus.CANCELLED, 1)


def test_a_late_answer_for_a_release_called_off_in_flight_withdraws_it() -> None:
    """The release was on its way when the order was held and cancelled: when its answer
    comes (succeeded, or failed after the fact), the warehouse is sent a cancel."""
    world = World()
    order = world.order()
    [release] = [
        e for e in world.hub.pending_effects() if e.kind is EffectKind.RELEASE_FULFILLMENT
    ]
    world.hub.hold(order.id, HoldKind.FRAUD, "review")
    world.hub.cancel(order.id, reason="fraud confirmed")
    assert EffectKind.CANCEL_FULFILLMENT not in kinds(world.hub.effects())

    assert world.hub.resolve(release.id, Succeeded("wms-9")) == ()

    assert world.hub.effect(release.id).status is EffectStatus.CANCELLED
    assert [e for e in world.hub.pending_effects() if e.kind is EffectKind.CANCEL_FULFILLMENT]
    world.hub.resolve(release.id, Succeeded("wms-9"))  # a duplicate answer: nothing more
    assert kinds(world.hub.effects()).count(EffectKind.CANCEL_FULFILLMENT) == 1


def test_a_late_refusal_of_a_release_called_off_sends_nothing() -> None:
    """A location that refused the release has nothing to withdraw."""
    world = World()
    order = world.order()
    [release] = [
        e for e in world.hub.pending_effects() if e.kind is EffectKind.RELEASE_FULFILLMENT
    ]
    world.hub.hold(order.id, HoldKind.FRAUD, "review")
    world.hub.cancel(order.id, reason="fraud confirmed")

    world.hub.resolve(release.id, Rejected("closed"))

    assert EffectKind.CANCEL_FULFILLMENT not in kinds(world.hub.effects())


def test_a_cancel_without_a_hold_still_releases_then_withdraws() -> None:
    """Unchanged for an order not on hold: a release already queued may be on its way,
    so it goes, followed by the cancel."""
    world = World()
    order = world.order()

    world.hub.cancel(order.id, reason="changed mind")
    world.drive()

    assert world.warehouse_heard() == ["release", "cancel"]


def test_reservations_expiring_while_held_call_the_release_off() -> None:
    """The units of a held order expire: the stale release is called off unsent; after the
    hold, the order is routed again and only the new release reaches the warehouse."""
    world = World(ttl=timedelta(minutes=30))
    order = world.order()
    world.hub.hold(order.id, HoldKind.FRAUD, "review")
    world.drive()
    world.clock.advance(hours=1)
    world.hub.expire_reservations()
    first = world.release_of(order)

    world.hub.release_hold(order.id, HoldKind.FRAUD)
    world.hub.process()
    world.drive()

    assert (first.status, first.attempts) == (EffectStatus.CANCELLED, 0)
    [old, new] = world.hub.fulfillment_orders(order.id)
    assert old.state is FulfillmentState.CANCELLED
    assert new.state is FulfillmentState.RELEASED
    assert [key for _, key in world.wms.calls] == [f"release:{new.id}"]


def test_a_held_order_moved_elsewhere_releases_only_where_it_goes() -> None:
    """A held order's ship-to is edited (its units given back): at the end of the hold the
    old release is called off, and the order is routed and released afresh."""
    world = World()
    order = world.order()
    world.hub.hold(order.id, HoldKind.MANUAL, "address check")
    old_fo = world.hub.fulfillment_orders(order.id)[0]
    world.hub.edit(
        order.id,
        ship_to=Address(
            line1="2 Elm St", city="Boston", country="US", geo=GeoPoint(42.36, -71.06)
        ),
    )

    world.hub.release_hold(order.id, HoldKind.MANUAL)
    world.hub.process()
    world.drive()

    assert world.release_of_fo(old_fo.id).status is EffectStatus.CANCELLED
    new_fo = world.hub.fulfillment_orders(order.id)[-1]
    assert [key for _, key in world.wms.calls] == [f"release:{new_fo.id}"]


# -- persistence ------------------------------------------------------------------------------


def test_a_held_release_stays_held_after_snapshot_and_restore() -> None:
    """Restored mid-hold, the hub still holds the release back, and lets it go when the
    hold is released."""
    world = World()
    order = world.order()
    world.hub.hold(order.id, HoldKind.FRAUD, "review")
    world.drive()
    text = json.dumps(world.hub.snapshot(), sort_keys=True)

    world.hub = OrderHub.restore(json.loads(text), clock=world.clock, ids=world.ids)

    assert json.dumps(world.hub.snapshot(), sort_keys=True) == text
    assert world.hub.pending_effects() == ()
    assert world.drive() == 0
    world.hub.release_hold(order.id, HoldKind.FRAUD)
    assert world.drive() == 1
    assert world.warehouse_heard() == ["release"]


def test_a_snapshot_from_before_held_releases_is_held_back_on_restore() -> None:
    """A snapshot written before releases waited for holds (the release of a held order
    filed as due) restores with the release held back."""
    world = World()
    order = world.order()
    world.hub.hold(order.id, HoldKind.FRAUD, "review")
    release = world.release_of(order)
    world.hub._outbox.let_go(release.id)  # as an earlier version left it
    assert release.id in [e.id for e in world.hub.pending_effects()]

    hub = OrderHub.restore(world.hub.snapshot(), clock=world.clock, ids=world.ids)

    assert hub.pending_effects() == tuple(
        e for e in world.hub.pending_effects() if e.id != release.id
    )
    assert hub._outbox.is_held_back(release.id)


def test_replaying_the_log_rebuilds_the_held_back_release() -> None:
    """The command log replayed onto an empty hub gives the same hub, release held back
    and called off alike."""
    world = World()
    first = world.order()
    second = world.order()
    world.hub.hold(first.id, HoldKind.FRAUD, "review")
    world.hub.hold(second.id, HoldKind.FRAUD, "review")
    world.drive()
    world.hub.cancel(second.id, reason="fraud confirmed")
    log = world.hub.command_log

    fresh = world.new_hub()
    fresh.replay(log)

    assert json.dumps(fresh.snapshot(), sort_keys=True) == json.dumps(
        world.hub.snapshot(), sort_keys=True
    )
    assert fresh._outbox.is_held_back(world.release_of(first).id)
    assert fresh.effect(world.release_of(second).id).status is EffectStatus.CANCELLED
