"""Units withdrawn after routing reach the outside world, in part as well as whole.

A partial cancellation after the sales order and the release went out tells each ERP the
lines it took off that ERP's fulfilment orders, and each location what it took off and what
remains; an expiry, an edit or a rejection tells the locations (the units stay ordered, so
the ERPs hear nothing of them).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from orderhub import (
    Address,
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
    OrderHub,
    OrderRequest,
    OrderState,
    SyncDriver,
)
from orderhub.errors import InvalidQuantity
from orderhub.ports import Failed
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
CHICAGO = Address(line1="1 Main St", city="Chicago", country="US", geo=GeoPoint(41.88, -87.63))


class World:
    """A hub with two DCs on the "main" ERP (Chicago nearest), acme's DC on its own ERP
    for acme's lamps, and in-memory adapters."""

    def __init__(self, *, ttl: timedelta | None = None) -> None:
        self.clock = FixedClock(T0)
        self.hub = hub = OrderHub(clock=self.clock, ids=SequentialIds(), reservation_ttl=ttl)
        for item in (
            Item(sku="TENT", description="2-person tent", price=Money("149.00", "USD")),
            Item(sku="MAT", description="sleeping mat", price=Money("30.00", "USD")),
            Item(sku="LAMP", description="head lamp", price=Money("9.99", "USD"), owner="acme"),
        ):
            hub.catalog.add(item)
        for location in (
            Location(id="dc-il", kind=LocationKind.DC, geo=GeoPoint(41.85, -87.65)),
            Location(id="dc-nj", kind=LocationKind.DC, geo=GeoPoint(40.76, -74.03)),
            Location(
                id="acme-oh",
                kind=LocationKind.DC,
                geo=GeoPoint(39.96, -83.0),
                owner="acme",
                erp="acme",
            ),
        ):
            hub.network.add(location)
        hub.stock.receive("dc-il", "TENT", 3)
        hub.stock.receive("dc-il", "MAT", 5)
        hub.stock.receive("dc-nj", "TENT", 3)
        hub.stock.receive("acme-oh", "LAMP", 5)
        self.erps = {"main": InMemoryErp(), "acme": InMemoryErp()}
        self.wms = InMemoryFulfillment()
        self.captured = 0

    def driver(self, hub: OrderHub | None = None) -> SyncDriver:
        return SyncDriver(
            hub or self.hub, erps=self.erps, fulfillment=self.wms, finance=InMemoryFinance()
        )

    def capture(self, *lines: tuple[str, int]) -> str:
        """Capture an order shipping to Chicago; returns its id."""
        self.captured += 1
        return self.hub.capture(
            OrderRequest(
                channel=Channel.WEB,
                external_id=f"W-{self.captured}",
                customer=CustomerIdentity(email="ann@example.com"),
                ship_to=CHICAGO,
                lines=[LineRequest(sku=sku, quantity=q) for sku, q in lines],
            )
        ).order.id

    def fo_at(self, order_id: str, location_id: str) -> str:
        """The id of the order's one fulfilment order at ``location_id``."""
        [fo] = [
            fo for fo in self.hub.fulfillment_orders(order_id) if fo.location_id == location_id
        ]
        return fo.id


def _since(hub: OrderHub, known: int) -> list[Effect]:
    return list(hub.effects()[known:])


def _kinds(effects: list[Effect]) -> list[tuple[EffectKind, str]]:
    return [(e.kind, e.target) for e in effects]


def _fo_lines(payload: Any) -> list[tuple[int, int]]:
    return [(line["line_no"], line["quantity"]) for line in payload["lines"]]


# -- partial cancellation after routing ----------------------------------------------------


def test_a_partial_cancel_after_routing_withdraws_the_units_at_the_erp_and_the_location() -> None:
    """One tent of two cancelled after routing: the ERP gets one CANCEL_ORDER naming that
    line and unit, the location one CANCEL_FULFILLMENT with the unit withdrawn and the
    lines that remain."""
    world = World()
    order_id = world.capture(("TENT", 2), ("MAT", 2))
    world.hub.process()
    fo_id = world.fo_at(order_id, "dc-il")
    known = len(world.hub.effects())

    world.hub.cancel_line(order_id, 1, 1, reason="one fewer")

    withdraw, cancel = _since(world.hub, known)
    assert (withdraw.kind, withdraw.target, withdraw.subject_id) == (
        EffectKind.CANCEL_FULFILLMENT,
        "default",
        fo_id,
    )
    assert withdraw.idempotency_key == f"cancel-fulfillment-lines:{fo_id}:1"
    payload = withdraw.payload
    assert payload["id"] == fo_id
    assert payload["state"] == "pending"  # still open: the location amends it
    assert payload["withdrawn"] == [{"line_no": 1, "sku": "TENT", "quantity": 1}]
    assert _fo_lines(payload) == [(1, 1), (2, 2)]
    assert (cancel.kind, cancel.target, cancel.subject_id) == (
        EffectKind.CANCEL_ORDER,
        "main",
        order_id,
    )
    assert cancel.idempotency_key == f"cancel-lines:{order_id}:main:1"
    assert cancel.payload == {
        "order_id": order_id,
        "reason": "one fewer",
        "whole_order": False,
        "lines": [{"line_no": 1, "sku": "TENT", "quantity": 1}],
    }
    assert json.loads(json.dumps(cancel.payload)) == cancel.payload
    assert json.loads(json.dumps(payload)) == payload


def test_an_order_split_over_two_erps_tells_each_erp_only_of_its_lines() -> None:
    """Lamps go to acme's ERP, tents to main: cancelling lamps tells acme only, cancelling
    every tent tells main only (and withdraws the tent DC's fulfilment order whole)."""
    world = World()
    order_id = world.capture(("TENT", 2), ("LAMP", 2))
    world.hub.process()
    lamps, tents = world.fo_at(order_id, "acme-oh"), world.fo_at(order_id, "dc-il")

    known = len(world.hub.effects())
    world.hub.cancel_line(order_id, 2, 1)
    lamp_effects = _since(world.hub, known)
    known = len(world.hub.effects())
    world.hub.cancel_line(order_id, 1)
    tent_effects = _since(world.hub, known)

    assert _kinds(lamp_effects) == [
        (EffectKind.CANCEL_FULFILLMENT, "default"),
        (EffectKind.CANCEL_ORDER, "acme"),
    ]
    assert lamp_effects[0].subject_id == lamps
    assert lamp_effects[1].payload["lines"] == [{"line_no": 2, "sku": "LAMP", "quantity": 1}]
    assert _kinds(tent_effects) == [
        (EffectKind.CANCEL_FULFILLMENT, "default"),
        (EffectKind.CANCEL_ORDER, "main"),
    ]
    whole_fo, tent_cancel = tent_effects
    assert whole_fo.idempotency_key == f"cancel-fulfillment:{tents}"  # as for a whole cancel
    assert whole_fo.payload["state"] == "cancelled"
    assert "withdrawn" not in whole_fo.payload
    assert tent_cancel.payload["whole_order"] is False  # the lamp is still ordered
    assert tent_cancel.payload["lines"] == [{"line_no": 1, "sku": "TENT", "quantity": 2}]
    assert world.hub.order(order_id).state is not OrderState.CANCELLED


def test_a_line_split_over_two_locations_of_one_erp_is_one_cancellation_there() -> None:
    """Five tents (three in Chicago, two in New Jersey), three cancelled: the ERP is told
    once of three units; each location of what it lost."""
    world = World()
    order_id = world.capture(("TENT", 5))
    world.hub.process()
    il, nj = world.fo_at(order_id, "dc-il"), world.fo_at(order_id, "dc-nj")
    known = len(world.hub.effects())

    world.hub.cancel_line(order_id, 1, 3)

    effects = _since(world.hub, known)
    [cancel] = [e for e in effects if e.kind is EffectKind.CANCEL_ORDER]
    assert cancel.payload["lines"] == [{"line_no": 1, "sku": "TENT", "quantity": 3}]
    withdrawals = {e.subject_id: e.payload for e in effects if e.kind.port == "fulfillment"}
    assert set(withdrawals) == {il, nj}
    assert withdrawals[nj]["state"] == "cancelled"
    assert withdrawals[il]["withdrawn"] == [{"line_no": 1, "sku": "TENT", "quantity": 1}]
    assert _fo_lines(withdrawals[il]) == [(1, 2)]


def test_each_partial_cancel_of_a_line_is_its_own_effect_with_its_own_key() -> None:
    """Two partial cancels of one line are two cancellations at the ERP and two amendments
    at the location, each delivered once however often it is retried."""
    world = World()
    order_id = world.capture(("TENT", 3))
    world.hub.process()
    world.hub.cancel_line(order_id, 1, 1, reason="first")
    world.hub.cancel_line(order_id, 1, 1, reason="second")
    world.erps["main"].faults = FaultPlan(seed=1, rate=1.0, kinds=(Fault.TIMEOUT_AFTER_EFFECT,))

    world.driver().run()
    world.erps["main"].faults.enabled = False
    world.clock.advance(minutes=5)
    world.driver().run()

    cancels = [e for e in world.hub.effects() if e.kind is EffectKind.CANCEL_ORDER]
    assert [e.idempotency_key for e in cancels] == [
        f"cancel-lines:{order_id}:main:1",
        f"cancel-lines:{order_id}:main:2",
    ]
    assert all(e.status is EffectStatus.SUCCEEDED and e.attempts >= 2 for e in cancels)
    received = world.erps["main"].received("cancel_order")
    assert [(p["reason"], p["lines"][0]["quantity"]) for p in received] == [
        ("first", 1),
        ("second", 1),
    ]
    amendments = world.wms.received("cancel")
    assert [_fo_lines(p) for p in amendments] == [[(1, 2)], [(1, 1)]]
    assert [p["withdrawn"][0]["quantity"] for p in amendments] == [1, 1]


def test_cancelling_the_whole_order_after_a_partial_cancel_names_what_remained() -> None:
    """After one tent is cancelled, cancelling the order tells the ERP under the whole
    order's key that the order is gone, naming the units that were left; the location
    withdraws its fulfilment order whole."""
    world = World()
    order_id = world.capture(("TENT", 3), ("MAT", 1))
    world.hub.process()
    fo_id = world.fo_at(order_id, "dc-il")
    world.hub.cancel_line(order_id, 1, 1)
    known = len(world.hub.effects())

    world.hub.cancel(order_id, reason="customer called")

    withdraw, cancel = _since(world.hub, known)
    assert withdraw.idempotency_key == f"cancel-fulfillment:{fo_id}"
    assert withdraw.payload["state"] == "cancelled"
    assert withdraw.payload["lines"] == []
    assert cancel.idempotency_key == f"cancel:{order_id}:main"
    assert cancel.payload == {
        "order_id": order_id,
        "reason": "customer called",
        "whole_order": True,
        "lines": [
            {"line_no": 1, "sku": "TENT", "quantity": 2},
            {"line_no": 2, "sku": "MAT", "quantity": 1},
        ],
    }
    # Every unit the ERP was sent is withdrawn, once.
    told: dict[int, int] = {}
    for e in world.hub.effects():
        if e.kind is EffectKind.CANCEL_ORDER:
            for line in e.payload["lines"]:
                told[line["line_no"]] = told.get(line["line_no"], 0) + line["quantity"]
    assert told == {1: 3, 2: 1}


def test_cancelling_the_last_units_line_by_line_cancels_the_order_whole() -> None:
    """The cancel_line that leaves nothing is the order's cancellation: whole, under the
    whole order's key, with the units it took."""
    world = World()
    order_id = world.capture(("TENT", 2))
    world.hub.process()
    world.hub.cancel_line(order_id, 1, 1)
    known = len(world.hub.effects())

    world.hub.cancel_line(order_id, 1, 1, reason="none at all")

    cancels = [e for e in _since(world.hub, known) if e.kind is EffectKind.CANCEL_ORDER]
    assert [(e.idempotency_key, e.payload["whole_order"]) for e in cancels] == [
        (f"cancel:{order_id}:main", True)
    ]
    assert cancels[0].payload["lines"] == [{"line_no": 1, "sku": "TENT", "quantity": 1}]


def test_an_order_cancelled_whole_at_once_is_one_cancellation_per_erp() -> None:
    """Cancelling a routed order over two ERPs sends each one cancellation, whole, naming
    its own lines, and no partial ones."""
    world = World()
    order_id = world.capture(("TENT", 1), ("LAMP", 2))
    world.hub.process()
    known = len(world.hub.effects())

    world.hub.cancel(order_id, reason="fraud")

    cancels = {
        e.target: e.payload for e in _since(world.hub, known) if e.kind is EffectKind.CANCEL_ORDER
    }
    assert set(cancels) == {"main", "acme"}
    assert all(p["whole_order"] for p in cancels.values())
    assert cancels["main"]["lines"] == [{"line_no": 1, "sku": "TENT", "quantity": 1}]
    assert cancels["acme"]["lines"] == [{"line_no": 2, "sku": "LAMP", "quantity": 2}]


# -- nothing to tell -------------------------------------------------------------------------


def test_a_partial_cancel_before_routing_tells_nobody() -> None:
    """Units cancelled before the order is routed never reached an ERP or a location: no
    effect; the sales order then carries only what is left."""
    world = World()
    order_id = world.capture(("TENT", 3))

    world.hub.cancel_line(order_id, 1, 1)

    assert world.hub.effects() == ()
    world.hub.process()
    [submit] = [e for e in world.hub.effects() if e.kind is EffectKind.SUBMIT_ORDER]
    assert submit.payload["lines"] == [{"line_no": 1, "sku": "TENT", "quantity": 2}]
    assert not [e for e in world.hub.effects() if "cancel" in e.kind.value]


def test_cancelling_backordered_units_after_routing_tells_nobody() -> None:
    """Eight tents: six allocated, two backordered; cancelling two takes the backordered
    ones, which no ERP or location was sent."""
    world = World()
    order_id = world.capture(("TENT", 8))
    world.hub.process()
    known = len(world.hub.effects())

    world.hub.cancel_line(order_id, 1, 2)

    assert _since(world.hub, known) == []
    assert world.hub.order(order_id).line(1).quantities.allocated == 6


def test_a_refused_partial_cancel_queues_nothing() -> None:
    """Cancelling more units than the line has left is refused and changes nothing."""
    world = World()
    order_id = world.capture(("TENT", 2))
    world.hub.process()
    before = (world.hub.effects(), world.hub.order(order_id), world.hub.events)

    with pytest.raises(InvalidQuantity):
        world.hub.cancel_line(order_id, 1, 3)

    assert (world.hub.effects(), world.hub.order(order_id), world.hub.events) == before


# -- expiry, edits and rejections: the locations are told ----------------------------------


def test_expired_units_of_a_whole_fulfilment_order_withdraw_it_whole() -> None:
    """The reservations of an announced, unacknowledged fulfilment order expire: it is
    withdrawn whole at the location; the ERP hears nothing, as the units are still ordered
    and go back on the queue."""
    world = World(ttl=timedelta(minutes=30))
    order_id = world.capture(("TENT", 2), ("MAT", 1))
    world.hub.process()
    fo_id = world.fo_at(order_id, "dc-il")
    world.clock.advance(minutes=31)
    known = len(world.hub.effects())

    world.hub.expire_reservations()

    assert [(e.kind, e.idempotency_key) for e in _since(world.hub, known)] == [
        (EffectKind.CANCEL_FULFILLMENT, f"cancel-fulfillment:{fo_id}")
    ]


def test_an_expiry_that_takes_part_of_an_announced_fulfilment_order_withdraws_that_part() -> None:
    """Three tents reserved in Chicago at 9:00, two more at 9:10 on a second fulfilment
    order there: the 9:00 reservation expires and its three units leave the newest
    fulfilment orders first, so the 9:10 one is withdrawn whole and one unit of the first;
    the location is told what remains of it."""
    world = World(ttl=timedelta(minutes=30))
    order_id = world.capture(("TENT", 8))  # three in Chicago, three in New Jersey
    world.hub.process()
    world.clock.advance(minutes=10)
    world.hub.receive("dc-il", "TENT", 2)  # two more in Chicago, on a new fulfilment order
    first, later = [
        fo.id for fo in world.hub.fulfillment_orders(order_id) if fo.location_id == "dc-il"
    ]
    world.clock.advance(minutes=21)
    known = len(world.hub.effects())

    world.hub.expire_reservations()

    withdrawals = {e.subject_id: e for e in _since(world.hub, known)}
    assert not [e for e in withdrawals.values() if e.kind is EffectKind.CANCEL_ORDER]
    assert withdrawals[later].payload["state"] == "cancelled"
    part = withdrawals[first]
    assert part.idempotency_key.startswith(f"cancel-fulfillment-lines:{first}:")
    assert part.payload["withdrawn"] == [{"line_no": 1, "sku": "TENT", "quantity": 1}]
    assert _fo_lines(part.payload) == [(1, 2)]
    assert _fo_lines(part.payload) == [
        (line.line_no, line.quantity) for line in world.hub.fulfillment_order(first).lines
    ]


def test_an_edit_that_takes_units_off_an_announced_fulfilment_order_tells_the_location() -> None:
    """Three tents edited down to one after routing: the location is told that two are
    withdrawn and one remains."""
    world = World()
    order_id = world.capture(("TENT", 3))
    world.hub.process()
    fo_id = world.fo_at(order_id, "dc-il")
    known = len(world.hub.effects())

    world.hub.edit(order_id, quantities={1: 1})

    [withdraw] = [e for e in _since(world.hub, known) if e.kind.port == "fulfillment"]
    assert withdraw.subject_id == fo_id
    assert withdraw.payload["withdrawn"] == [{"line_no": 1, "sku": "TENT", "quantity": 2}]
    assert _fo_lines(withdraw.payload) == [(1, 1)]


def test_a_rejection_withdraws_the_pending_fulfilment_order_it_cancels_at_that_location() -> None:
    """A location rejects a released fulfilment order while a later one of the same order
    there is announced but unacknowledged: the later one is withdrawn, the rejected one is
    not (the location said no itself)."""
    world = World()
    order_id = world.capture(("TENT", 8))  # six allocated, two wait
    world.hub.process()
    world.driver().run()
    world.hub.receive("dc-il", "TENT", 2)  # the two join a new fulfilment order in Chicago
    first, later = [
        fo.id for fo in world.hub.fulfillment_orders(order_id) if fo.location_id == "dc-il"
    ]
    known = len(world.hub.effects())

    world.hub.reject_fulfillment(first, reason="stock damaged")

    withdrawals = [e for e in _since(world.hub, known) if e.kind is EffectKind.CANCEL_FULFILLMENT]
    assert [(e.subject_id, e.idempotency_key) for e in withdrawals] == [
        (later, f"cancel-fulfillment:{later}")
    ]
    assert not [e for e in _since(world.hub, known) if e.kind is EffectKind.CANCEL_ORDER]
    assert world.hub.fulfillment_order(first).state is FulfillmentState.REJECTED


# -- holds -----------------------------------------------------------------------------------


def test_a_withdrawal_in_part_waits_with_the_release_of_an_order_on_hold() -> None:
    """On hold, the release waits; a unit cancelled meanwhile is withdrawn after the release
    once the hold ends (the ERP, which does not wait, hears of it at once)."""
    world = World()
    order_id = world.capture(("TENT", 3))
    world.hub.process()
    world.hub.hold(order_id, HoldKind.FRAUD, "review")
    fo_id = world.fo_at(order_id, "dc-il")

    world.hub.cancel_line(order_id, 1, 1)
    world.driver().run()

    assert world.wms.calls == []
    assert len(world.erps["main"].received("cancel_order")) == 1
    [part] = [e for e in world.hub.effects() if e.kind is EffectKind.CANCEL_FULFILLMENT]
    assert part.status is EffectStatus.PENDING
    assert part not in world.hub.pending_effects()

    world.hub.release_hold(order_id, HoldKind.FRAUD)
    world.driver().run()

    assert [(action, key) for action, key in world.wms.calls] == [
        ("release", f"release:{fo_id}"),
        ("cancel", f"cancel-fulfillment-lines:{fo_id}:1"),
    ]
    [amended] = world.wms.received("cancel")
    assert _fo_lines(amended) == [(1, 2)]


def test_cancelling_a_held_order_calls_off_its_unsent_release_and_withdrawals() -> None:
    """A unit cancelled while the order is on hold, then the whole order: nothing was ever
    sent to the location, so nothing is — the release and the withdrawal in part are
    called off."""
    world = World()
    order_id = world.capture(("TENT", 3))
    world.hub.process()
    world.hub.hold(order_id, HoldKind.FRAUD, "review")
    world.hub.cancel_line(order_id, 1, 1)

    world.hub.cancel(order_id, reason="fraud confirmed")
    world.driver().run()

    assert world.wms.calls == []
    statuses = {e.kind: e.status for e in world.hub.effects() if e.kind.port == "fulfillment"}
    assert statuses == {
        EffectKind.RELEASE_FULFILLMENT: EffectStatus.CANCELLED,
        EffectKind.CANCEL_FULFILLMENT: EffectStatus.CANCELLED,
    }
    assert world.hub.pending_effects() == ()


# -- persistence -----------------------------------------------------------------------------


def _partly_cancelled(world: World) -> None:
    """Two orders routed over both ERPs; parts of each cancelled; nothing driven yet."""
    first = world.capture(("TENT", 3), ("LAMP", 2))
    second = world.capture(("TENT", 2), ("MAT", 2))
    world.hub.process()
    world.hub.cancel_line(first, 1, 1, reason="one fewer")
    world.hub.cancel_line(first, 2, 1, reason="one lamp fewer")
    world.hub.cancel_line(second, 2, 2)
    world.hub.cancel(second, reason="changed mind")


def _withdrawals(hub: OrderHub) -> dict[str, str]:
    return {
        e.idempotency_key: json.dumps(e.payload, sort_keys=True)
        for e in hub.effects()
        if e.kind in (EffectKind.CANCEL_ORDER, EffectKind.CANCEL_FULFILLMENT)
    }


def test_pending_withdrawals_survive_a_snapshot_and_reach_the_adapters_once() -> None:
    """Partial withdrawals pending in a snapshot are pending in the restored hub, with the
    same keys and payloads, and each reaches its adapter once."""
    world, twin = World(), World()
    _partly_cancelled(world)
    _partly_cancelled(twin)
    pending = _withdrawals(world.hub)
    assert any(key.startswith("cancel-lines:") for key in pending)
    assert any(key.startswith("cancel-fulfillment-lines:") for key in pending)

    text = json.dumps(world.hub.snapshot())
    restored = OrderHub.restore(json.loads(text), clock=world.clock, ids=SequentialIds("r"))
    assert _withdrawals(restored) == pending
    world.driver(restored).run()
    twin.driver().run()

    for name in ("main", "acme"):
        assert world.erps[name].documents == twin.erps[name].documents
    assert world.wms.documents == twin.wms.documents
    delivered = {
        key
        for adapter in (*world.erps.values(), world.wms)
        for key, (action, _) in adapter.documents.items()
        if action in ("cancel_order", "cancel")
    }
    assert delivered == set(pending)


def test_replaying_the_log_rebuilds_the_same_withdrawals() -> None:
    """The command log replayed onto an empty hub queues the same withdrawals, keys and
    payloads, and the same snapshot."""
    world = World()
    _partly_cancelled(world)
    world.hub.resolve(world.hub.pending_effects()[0], Failed("timeout"))

    replayed = OrderHub(
        clock=FixedClock(datetime(2031, 1, 1, tzinfo=UTC)), ids=SequentialIds("other")
    )
    replayed.replay(world.hub.command_log)

    assert _withdrawals(replayed) == _withdrawals(world.hub)
    assert json.dumps(replayed.snapshot()) == json.dumps(world.hub.snapshot())
