"""Persistence owned by the host: snapshot/restore, the command log and its replay.

The properties run random trading sequences (capture on every channel, routing, effects
through in-memory adapters with faults, shipments, payments, cancellations, time passing)
and check: a snapshot survives JSON and restores to the same hub; a hub restored mid-flight
carries on exactly as one that never stopped (same books, same documents at the adapters);
replaying the command log — also after it went through JSON — onto an empty hub rebuilds an
identical hub.
"""

from __future__ import annotations

import copy as copy_module
import gc
import json
import pickle
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orderhub import (
    Address,
    Channel,
    CustomerIdentity,
    EffectStatus,
    Failed,
    GeoPoint,
    InvalidSnapshot,
    Item,
    LineRequest,
    Location,
    LocationKind,
    LoggedCommand,
    Money,
    OrderHub,
    OrderRequest,
    RateTable,
    Rejected,
    ReplayDiverged,
    Segment,
    Succeeded,
    SyncDriver,
    ValidationError,
)
from orderhub.routing import Closest, RoutingPlan
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
TAX = {"US-IL": Decimal("0.0625"), "US-NJ": Decimal("0.06625")}


def new_hub(clock: FixedClock, ids: SequentialIds, **config: Any) -> OrderHub:
    """An empty hub configured as every hub of these tests is."""
    return OrderHub(
        clock=clock,
        ids=ids,
        tax=RateTable(TAX),
        reservation_ttl=timedelta(hours=2),
        **config,
    )


def populate(hub: OrderHub) -> None:
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
    for loc in ("dc-il", "dc-nj"):
        hub.stock.receive(loc, "TENT", 4)
        hub.stock.receive(loc, "MAT", 6)
    hub.stock.receive("acme-oh", "LAMP", 5)


class World:
    """A hub and the outside world around it: clock, ids, adapters (with faults), driver."""

    def __init__(self, seed: int = 7) -> None:
        self.clock = FixedClock(T0)
        self.ids = SequentialIds()
        self.faults = FaultPlan(
            seed=seed,
            rate=0.3,
            kinds=(Fault.TRANSIENT, Fault.TIMEOUT_AFTER_EFFECT, Fault.DUPLICATE_DELIVERY),
            enabled=False,
        )
        self.erps = {"main": InMemoryErp(self.faults), "acme": InMemoryErp(self.faults)}
        self.fulfillment = {"default": InMemoryFulfillment(self.faults)}
        self.finance = InMemoryFinance(self.faults)
        self.hub = new_hub(self.clock, self.ids)
        populate(self.hub)
        self.driver = self.make_driver()
        self.captured = 0
        self.paid: list[str] = []
        self.bounced = 0

    def make_driver(self) -> SyncDriver:
        return SyncDriver(
            self.hub, erps=self.erps, fulfillment=self.fulfillment, finance=self.finance
        )

    def restart(self) -> str:
        """Snapshot, through JSON, and carry on with the restored hub; returns the JSON."""
        text = json.dumps(self.hub.snapshot())
        self.hub = OrderHub.restore(json.loads(text), clock=self.clock, ids=self.ids)
        self.driver = self.make_driver()
        return text

    def documents(self) -> dict[str, Any]:
        """What the outside world holds, by adapter."""
        return {
            "erp:main": dict(self.erps["main"].documents),
            "erp:acme": dict(self.erps["acme"].documents),
            "fulfillment": dict(self.fulfillment["default"].documents),
            "finance": dict(self.finance.documents),
        }

    # -- the operations ------------------------------------------------------------------

    def capture(self, channel: Channel, who: str, lines: Sequence[tuple[str, int]]) -> None:
        self.captured += 1
        self.hub.capture(
            OrderRequest(
                channel=channel,
                external_id=f"X-{self.captured}",
                customer=CustomerIdentity(email=who),
                ship_to=Address(
                    line1="1 Main St",
                    city="Chicago",
                    region="IL",
                    country="US",
                    geo=GeoPoint(41.88, -87.63),
                ),
                lines=[LineRequest(sku=sku, quantity=q) for sku, q in lines],
            )
        )

    def process(self) -> None:
        self.hub.process()

    def drive(self) -> None:
        self.driver.run()

    def ship(self) -> None:
        for order in self.hub.orders():
            for fo in self.hub.fulfillment_orders(order.id):
                if fo.to_ship and fo.is_open and fo.state.value in ("released", "accepted"):
                    self.hub.confirm_shipment(
                        fo.id, dict(fo.to_ship), carrier="UPS", tracking=f"T-{fo.id}"
                    )
                    return

    def pay(self) -> None:
        for invoice in self.hub.invoices():
            item = self.hub.receivables.item(invoice.id)
            if not invoice.is_credit_note and item.is_open:
                reference = f"P-{len(self.paid) + 1}"
                self.hub.record_payment(invoice.customer_id, item.open, reference=reference)
                self.paid.append(reference)
                return

    def bounce(self) -> None:
        """The oldest payment not yet reversed bounces (closed orders it paid re-open)."""
        if self.bounced < len(self.paid):
            self.bounced += 1
            self.hub.reverse_payment(self.paid[self.bounced - 1], reason="bounced")

    def cancel(self) -> None:
        for order in self.hub.orders():
            if order.state.value in ("captured", "backordered", "allocated"):
                self.hub.cancel(order.id, reason="changed mind")
                return

    def tick(self, minutes: int) -> None:
        self.clock.advance(timedelta(minutes=minutes))

    def faults_on(self, on: bool) -> None:
        self.faults.enabled = on

    def query(self) -> None:
        """Queries change nothing a snapshot holds (insight catches up lazily, logged)."""
        for customer in self.hub.customers:
            self.hub.insights.profile(customer.id)
        self.hub.receivables.aging(self.clock.now().date(), currency="USD")


OPS = st.one_of(
    st.tuples(
        st.just("capture"),
        st.sampled_from(list(Channel)),
        st.sampled_from(["ann@example.com", "bob@example.com", "zoë@example.com"]),
        st.lists(
            st.tuples(st.sampled_from(["TENT", "MAT", "LAMP"]), st.integers(1, 3)),
            min_size=1,
            max_size=3,
        ),
    ),
    st.tuples(st.just("process")),
    st.tuples(st.just("drive")),
    st.tuples(st.just("ship")),
    st.tuples(st.just("pay")),
    st.tuples(st.just("bounce")),
    st.tuples(st.just("cancel")),
    st.tuples(st.just("tick"), st.sampled_from([1, 30, 90, 24 * 60])),
    st.tuples(st.just("faults_on"), st.booleans()),
    st.tuples(st.just("query")),
)


def run(world: World, ops: Sequence[tuple[Any, ...]]) -> None:
    for name, *args in ops:
        op: Callable[..., None] = getattr(world, name)
        op(*args)


def state(hub: OrderHub) -> str:
    return json.dumps(hub.snapshot(), sort_keys=True)


# -- properties ------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(ops=st.lists(OPS, max_size=30), data=st.data())
def test_restored_mid_flight_carries_on_as_if_it_never_stopped(
    ops: list[tuple[Any, ...]], data: st.DataObject
) -> None:
    """Snapshot → JSON → restore at any point, then the same operations: the same books
    and the same documents at the adapters as a hub that never stopped."""
    stop = data.draw(st.integers(0, len(ops)), label="stop")
    never_stopped, restarted = World(), World()
    run(never_stopped, ops)
    run(restarted, ops[:stop])
    cursor = len(restarted.hub.events)  # what a host forwarding the events has sent
    text = restarted.restart()
    assert state(restarted.hub) == json.dumps(json.loads(text), sort_keys=True)
    run(restarted, ops[stop:])

    assert state(restarted.hub) == state(never_stopped.hub)
    assert restarted.documents() == never_stopped.documents()
    assert restarted.hub.events == never_stopped.hub.events
    assert restarted.hub.events_since(cursor) == never_stopped.hub.events[cursor:]
    for order in never_stopped.hub.orders():  # an index the snapshot does not hold
        assert restarted.hub.shipments(order.id) == never_stopped.hub.shipments(order.id)


@settings(max_examples=40, deadline=None)
@given(ops=st.lists(OPS, max_size=30))
def test_replaying_the_command_log_rebuilds_an_identical_hub(ops: list[tuple[Any, ...]]) -> None:
    """The command log, through JSON, replayed onto an empty hub: the identical hub."""
    world = World()
    run(world, ops)
    world.drive()
    log = world.hub.command_log
    assert [c.seq for c in log] == list(range(1, len(log) + 1))

    stored = [json.loads(json.dumps(c.to_json())) for c in log]
    empty = new_hub(FixedClock(datetime(2031, 1, 1, tzinfo=UTC)), SequentialIds(prefix="other"))
    empty.replay(LoggedCommand.from_json(c) for c in stored)

    assert state(empty) == state(world.hub)
    assert empty.events == world.hub.events
    for cursor in range(len(world.hub.events) + 1):
        assert empty.events_since(cursor) == world.hub.events_since(cursor)
    for order in world.hub.orders():
        assert empty.shipments(order.id) == world.hub.shipments(order.id)
    assert empty.command_log == log
    assert empty.log_position == world.hub.log_position


@settings(max_examples=25, deadline=None)
@given(ops=st.lists(OPS, max_size=25), data=st.data())
def test_a_snapshot_plus_the_log_after_it_is_the_hub(
    ops: list[tuple[Any, ...]], data: st.DataObject
) -> None:
    """How hosts recover: the last snapshot, then replay what the log holds after it."""
    stop = data.draw(st.integers(0, len(ops)), label="stop")
    world = World()
    run(world, ops[:stop])
    snapshot = json.loads(json.dumps(world.hub.snapshot()))
    position = world.hub.log_position
    assert snapshot["position"] == position
    run(world, ops[stop:])

    recovered = OrderHub.restore(snapshot, clock=FixedClock(T0), ids=SequentialIds())
    recovered.replay(c for c in world.hub.command_log if c.seq > position)
    assert state(recovered) == state(world.hub)


# -- examples ----------------------------------------------------------------------------------


def trading_world() -> World:
    world = World()
    world.capture(Channel.WEB, "ann@example.com", [("TENT", 1), ("LAMP", 2)])
    world.capture(Channel.STORE, "bob@example.com", [("MAT", 2)])
    world.capture(Channel.MOBILE, "zoë@example.com", [("TENT", 9)])  # backordered
    world.process()
    world.drive()
    world.ship()
    world.drive()
    world.pay()
    world.process()  # effects pending from here on: the snapshot is mid-flight
    world.capture(Channel.CALL_CENTRE, "ann@example.com", [("MAT", 1)])
    world.process()
    return world


def test_every_query_is_answered_after_a_restore() -> None:
    world = trading_world()
    hub = world.hub
    restored = OrderHub.restore(
        json.loads(json.dumps(hub.snapshot())), clock=world.clock, ids=world.ids
    )
    today = world.clock.now().date()
    assert restored.log_position == hub.log_position
    assert restored.command_log == ()  # the host stored the log; the snapshot does not hold it

    assert list(restored.orders()) == list(hub.orders())
    assert restored.queued() == hub.queued()
    assert list(restored.customers) == list(hub.customers)
    for customer in hub.customers:
        assert restored.orders_of(customer.id) == hub.orders_of(customer.id)
        assert restored.insights.profile(customer.id) == hub.insights.profile(customer.id)
    assert restored.receivables.customers() == hub.receivables.customers()
    for customer_id in hub.receivables.customers():
        assert restored.receivables.totals(customer_id) == hub.receivables.totals(customer_id)
    assert restored.receivables.aging(today, currency="USD") == hub.receivables.aging(
        today, currency="USD"
    )
    assert restored.receivables.open_items() == hub.receivables.open_items()
    assert list(restored.stock.positions()) == list(hub.stock.positions())
    assert restored.stock.reservations() == hub.stock.reservations()
    assert restored.invoices() == hub.invoices()
    assert restored.journal.entries() == hub.journal.entries()
    assert restored.journal.trial_balance("USD") == hub.journal.trial_balance("USD")
    assert restored.pending_effects() == hub.pending_effects()
    assert restored.pending_effects(), "the example should be mid-flight"
    assert restored.events == hub.events


def test_pending_effects_reach_the_adapters_exactly_once_after_a_restore() -> None:
    """The adapters did the work but every outcome was lost (timeouts), then the process
    stopped: the restored hub retries with the same idempotency keys, so each document
    exists once."""
    world = World()
    world.faults.kinds, world.faults.rate = (Fault.TIMEOUT_AFTER_EFFECT,), 1.0
    world.capture(Channel.WEB, "ann@example.com", [("TENT", 1), ("LAMP", 2)])
    world.process()
    world.faults_on(True)
    world.drive()
    documents = world.documents()
    assert any(documents.values()), "the adapters received the documents"
    retrying = [e for e in world.hub.effects() if e.status is not EffectStatus.SUCCEEDED]
    assert retrying, "and the hub does not know"

    world.restart()
    world.faults_on(False)
    world.tick(24 * 60)
    world.drive()

    assert all(e.status is EffectStatus.SUCCEEDED for e in world.hub.effects())
    after = world.documents()
    for adapter, docs in documents.items():
        assert {k: v for k, v in after[adapter].items() if k in docs} == docs
    keys = [e.idempotency_key for e in world.hub.effects()]
    assert len(keys) == len(set(keys))


def test_snapshot_is_plain_json_with_a_schema_version() -> None:
    snapshot = trading_world().hub.snapshot()
    assert snapshot["schema"] == "orderhub.hub-snapshot"
    assert snapshot["version"] == 2
    assert snapshot["code"] == []
    assert json.loads(json.dumps(snapshot)) == snapshot
    text = json.dumps(snapshot)
    assert "NaN" not in text
    assert "Infinity" not in text


def test_restore_reads_a_snapshot_whose_keys_a_store_reordered() -> None:
    """PostgreSQL's jsonb, for one, does not keep the order of an object's keys."""
    hub = trading_world().hub

    def shuffled(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: shuffled(node[k]) for k in sorted(node, reverse=True)}
        if isinstance(node, list):
            return [shuffled(v) for v in node]
        return node

    restored = OrderHub.restore(
        shuffled(hub.snapshot()), clock=FixedClock(T0), ids=SequentialIds()
    )
    assert state(restored) == state(hub)
    assert list(restored.orders()) == list(hub.orders())


def test_the_shipment_index_is_rebuilt_on_restore_not_held_in_the_snapshot() -> None:
    """The index of each order's shipments is derived from the shipments: the snapshot's
    layout does not hold it, and the restored hub rebuilds it equal."""
    world = trading_world()
    hub = world.hub
    assert hub._shipments_of, "the example should have shipped"

    data = json.loads(json.dumps(hub.snapshot()))
    restored = OrderHub.restore(data, clock=world.clock, ids=world.ids)

    hub_fields = [entry[2] for entry in data["names"] if entry[1] == "orderhub._hub:OrderHub"]
    assert len(hub_fields) == 1
    assert "_shipments" in hub_fields[0]
    assert "_shipments_of" not in hub_fields[0]
    assert restored._shipments_of == hub._shipments_of
    for order in hub.orders():
        assert restored.shipments(order.id) == hub.shipments(order.id)
    assert json.dumps(restored.snapshot()) == json.dumps(data)


def test_a_snapshot_whose_shipments_cannot_be_indexed_is_refused() -> None:
    """A snapshot holding something other than shipments among the shipments is refused
    as a whole, not restored into a hub that fails on its first query."""
    world = trading_world()
    world.hub._shipments["shipment-x"] = 5  # type: ignore[assignment]
    data = json.loads(json.dumps(world.hub.snapshot()))

    with pytest.raises(InvalidSnapshot) as info:
        OrderHub.restore(data, clock=world.clock, ids=world.ids)

    assert info.value.field == "hub"


# -- the event log ---------------------------------------------------------------------------


def test_events_since_a_position_are_the_events_recorded_after_it() -> None:
    """A host forwarding the event log keeps how many it has sent and asks for the rest."""
    world = trading_world()
    hub = world.hub
    forwarded = list(hub.events_since(0))
    world.capture(Channel.WEB, "bob@example.com", [("MAT", 1)])
    world.process()

    new = hub.events_since(len(forwarded))

    assert hub.events_since(0) == hub.events
    assert forwarded
    assert new
    assert (*forwarded, *new) == hub.events
    assert hub.events_since(len(hub.events)) == ()
    assert hub.events_since(3) == hub.events[3:]


@pytest.mark.parametrize("position", [-1, "bad", 1.0, True, False, None, 10**6, "0"])
def test_events_since_refuses_a_position_that_is_not_one_and_changes_nothing(
    position: Any,
) -> None:
    """A position must be an int from 0 to the number of events (``True`` is no position)."""
    world = trading_world()
    hub = world.hub
    before, log = state(hub), hub.command_log

    with pytest.raises(ValidationError) as info:
        hub.events_since(position)

    assert (info.value.field, info.value.value) == ("position", position)
    assert state(hub) == before
    assert hub.command_log == log


def test_one_past_the_last_event_is_refused() -> None:
    """The number of events is the last valid position: one more is an error."""
    hub = trading_world().hub

    with pytest.raises(ValidationError) as info:
        hub.events_since(len(hub.events) + 1)

    assert info.value.value == len(hub.events) + 1


def test_an_event_cursor_stays_valid_after_a_restore_and_a_replay() -> None:
    """A host's cursor (the number of events it forwarded) means the same events in the
    hub restored from a snapshot, in that hub after replaying the log, and in a hub
    rebuilt from the whole log."""
    world = trading_world()
    log = list(world.hub.command_log)
    snapshot = json.loads(json.dumps(world.hub.snapshot()))
    cursor = len(world.hub.events)
    world.capture(Channel.STORE, "zoë@example.com", [("TENT", 1)])
    world.process()
    world.drive()
    log += world.hub.command_log[len(log) :]
    after = world.hub.events_since(cursor)

    restored = OrderHub.restore(snapshot, clock=FixedClock(T0), ids=SequentialIds())
    at_restore = restored.events_since(cursor)
    restored.replay(c for c in log if c.seq > snapshot["position"])
    rebuilt = new_hub(FixedClock(T0), SequentialIds(prefix="other"))
    rebuilt.replay(log)

    assert after, "the example should have recorded events after the cursor"
    assert at_restore == ()
    assert restored.events_since(cursor) == after
    assert rebuilt.events_since(cursor) == after
    assert rebuilt.events_since(0) == world.hub.events


# -- what the log holds --------------------------------------------------------------------


def test_each_outermost_command_is_one_entry_with_what_it_consumed() -> None:
    world = World()
    hub = world.hub
    before = hub.log_position
    hub.stock.receive("dc-il", "TENT", 2)
    world.capture(Channel.WEB, "ann@example.com", [("TENT", 1)])
    hub.process()
    receive, capture, process = hub.command_log[before:]

    assert (receive.target, receive.name, receive.args) == (
        "stock",
        "receive",
        ("dc-il", "TENT", 2),
    )
    assert (capture.target, capture.name) == ("", "capture")
    assert capture.ids
    assert capture.clock
    assert capture.events >= 1
    assert process.name == "process"  # reservations made inside it are not entries of their own
    assert [c.seq for c in hub.command_log] == list(range(1, hub.log_position + 1))


def test_a_logged_command_in_json_says_its_layout_version() -> None:
    world = World()
    world.capture(Channel.WEB, "zoë@example.com", [("TENT", 1)])
    command = world.hub.command_log[-1]
    written = json.loads(json.dumps(command.to_json()))
    assert written["version"] == 1
    assert LoggedCommand.from_json(written) == command
    # written before entries carried a version: the same layout, read as version 1
    assert LoggedCommand.from_json({k: v for k, v in written.items() if k != "version"}) == command


@pytest.mark.parametrize("version", [2, 0, "1", True, None])
def test_a_logged_command_of_another_version_is_refused(version: object) -> None:
    world = World()
    command = world.hub.command_log[-1]
    written = {**command.to_json(), "version": version}
    kept = json.dumps(written, sort_keys=True)
    with pytest.raises(InvalidSnapshot) as info:
        LoggedCommand.from_json(written)
    assert (info.value.field, info.value.value) == ("version", version)
    assert json.dumps(written, sort_keys=True) == kept
    assert world.hub.command_log[-1] == command


def test_a_refused_command_is_not_logged() -> None:
    world = World()
    before = world.hub.log_position
    with pytest.raises(ValidationError):
        world.hub.stock.receive("dc-il", "TENT", -1)
    assert world.hub.log_position == before
    assert len(world.hub.command_log) == before


def test_forget_commands_drops_what_the_host_stored() -> None:
    world = World()
    position = world.hub.log_position
    world.hub.forget_commands(position - 1)
    assert [c.seq for c in world.hub.command_log] == [position]
    with pytest.raises(ValidationError) as info:
        world.hub.forget_commands(-1)
    assert info.value.field == "through"
    assert [c.seq for c in world.hub.command_log] == [position]


def test_each_outcome_is_logged_as_given_and_the_log_stays_out_of_the_collector() -> None:
    world = World()
    world.faults.enabled = True  # transient failures and lost answers: Failed outcomes too
    world.capture(Channel.WEB, "ann@example.com", [("TENT", 1), ("LAMP", 2)])
    world.capture(Channel.STORE, "zoë@example.com", [("MAT", 2)])
    world.process()
    for _ in range(3):
        world.drive()
    world.hub.resolve(world.hub.effects()[0], Rejected("late and refused"))  # settled: no-op
    log = world.hub.command_log
    outcomes = [c.args[1] for c in log if c.name == "resolve"]
    assert {type(o) for o in outcomes} == {Succeeded, Failed, Rejected}
    assert log == world.hub.command_log  # made anew on each read, equal
    # The hub keeps its log as plain rows, which CPython's collector stops tracking once
    # it has seen them: a full collection would otherwise walk ten commands per order.
    # (The last resolve was given the Effect itself, an object: that row stays tracked.)
    gc.collect()
    rows = world.hub._command_log.entries
    by_id = [row for row, c in zip(rows, log, strict=True) if c.name == "resolve"][:-1]
    assert by_id
    assert not any(gc.is_tracked(row) for row in by_id)
    assert gc.is_tracked(rows[-1])
    replayed = new_hub(FixedClock(datetime(2031, 1, 1, tzinfo=UTC)), SequentialIds(prefix="r"))
    replayed.replay(LoggedCommand.from_json(json.loads(json.dumps(c.to_json()))) for c in log)
    assert state(replayed) == state(world.hub)
    assert replayed.command_log == log


def test_logged_commands_have_no_personal_data_in_repr() -> None:
    world = World()
    world.capture(Channel.WEB, "secret.person@example.com", [("TENT", 1)])
    assert "secret.person" not in repr(world.hub.command_log)


# -- bad input -------------------------------------------------------------------------------


SNAP = {"schema": "orderhub.hub-snapshot", "version": 2}
V1 = {"schema": "orderhub.hub-snapshot", "version": 1}
MONEY = ["o", "orderhub._money:Money", ["amount", "currency"]]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ([], "data"),
        ({}, "schema"),
        ({"schema": "something-else", "version": 2}, "schema"),
        ({**SNAP, "version": 3}, "version"),
        ({**SNAP, "version": True}, "version"),
        ({**SNAP, "hub": 3}, "snapshot"),
        ({**SNAP, "names": [], "hub": 3}, "hub"),
        ({**SNAP, "names": [["o", "os:system", []]], "hub": [0]}, "names"),
        ({**SNAP, "names": [], "hub": "~fsubprocess:run"}, "names"),
        ({**SNAP, "names": [], "hub": "~r99"}, "ref"),
        ({**SNAP, "names": [], "hub": "~?what"}, "snapshot"),
        ({**SNAP, "names": [], "hub": {"$o": 0}}, "snapshot"),
        ({**SNAP, "names": [], "hub": [-99]}, "snapshot"),
        ({**SNAP, "names": [], "hub": [5]}, "names"),
        ({**SNAP, "names": [], "hub": []}, "snapshot"),
        ({**SNAP, "names": [["e", "orderhub._orders:OrderState", "X"]], "hub": [0]}, "names"),
        ({**SNAP, "names": [["e", "orderhub._orders:OrderState", "X"]], "hub": "~e0"}, "names"),
        ({**SNAP, "names": [MONEY], "hub": "~e0"}, "names"),
        ({**SNAP, "names": [MONEY], "hub": [0, "~d1"]}, "hub"),
        ({**SNAP, "names": [MONEY], "hub": [0, "~dx", "USD"]}, "snapshot"),
        ({**SNAP, "names": [MONEY], "hub": [0, "~t2026-13-01T00:00:00", "USD"]}, "snapshot"),
        ({**SNAP, "names": [], "hub": [-3, 1]}, "dict"),
        ({**SNAP, "names": [], "hub": [-19, 0, [-1]]}, "ref"),
        ({**SNAP, "names": [], "hub": [-2, [-19, 0, [-2]], [-19, 0, [-2]]]}, "ref"),
        ({**SNAP, "names": [], "hub": "~xclock2"}, "clock2"),
        ({**V1, "names": [], "hub": {"$ref": 99}}, "$ref"),
        ({**V1, "names": [], "hub": {"$what": 1}}, "snapshot"),
        ({**V1, "names": [["o", "os:system", []]], "hub": {"$o": 0, "v": []}}, "$o"),
        ({**V1, "names": [], "hub": {"$m": [1]}}, "$m"),
    ],
)
def test_restore_refuses_what_is_not_a_snapshot(data: Any, field: str) -> None:
    with pytest.raises(InvalidSnapshot) as info:
        OrderHub.restore(data, clock=FixedClock(T0), ids=SequentialIds())
    assert info.value.field == field


def test_restore_names_no_module_outside_orderhub() -> None:
    import sys

    for data in (
        {**SNAP, "names": [], "hub": "~fantigravity:x"},
        {**SNAP, "names": [["o", "antigravity:x", []]], "hub": [0]},
        {**SNAP, "names": [["e", "antigravity:x", "X"]], "hub": "~e0"},
        {**V1, "names": [], "hub": {"$fn": "antigravity:x"}},
    ):
        with pytest.raises(InvalidSnapshot):
            OrderHub.restore(data, clock=FixedClock(T0), ids=SequentialIds())
    assert "antigravity" not in sys.modules


class NearestFirst:
    """A routing strategy of the host's own: code, not data."""

    def plan(self, order: Any, view: Any) -> RoutingPlan:
        return Closest().plan(order, view)


def test_code_of_the_hosts_own_is_named_and_must_be_passed_back() -> None:
    clock, ids = FixedClock(T0), SequentialIds()
    hub = new_hub(clock, ids, routing=NearestFirst())
    populate(hub)
    hub.insights.define(Segment("big", lambda p: p.orders >= 2))
    snapshot = json.loads(json.dumps(hub.snapshot()))
    assert snapshot["code"] == ["routing", "segment:big"]

    with pytest.raises(InvalidSnapshot) as info:
        OrderHub.restore(snapshot, clock=clock, ids=ids)
    assert info.value.field == "code"
    assert info.value.value == ["routing", "segment:big"]

    strategy = NearestFirst()
    big = Segment("big", lambda p: p.orders >= 2)
    restored = OrderHub.restore(snapshot, clock=clock, ids=ids, routing=strategy, segments=[big])
    assert restored.routing is strategy
    assert [s.name for s in restored.insights.segments] == ["big"]
    world_capture = World.capture
    holder = World.__new__(World)
    holder.hub, holder.captured = restored, 0
    world_capture(holder, Channel.WEB, "ann@example.com", [("TENT", 1)])
    assert restored.process()


def test_replay_stops_at_a_command_that_does_not_follow_and_changes_nothing() -> None:
    world = World()
    log = world.hub.command_log
    empty = new_hub(FixedClock(T0), SequentialIds())
    before = state(empty)

    with pytest.raises(ReplayDiverged) as info:
        empty.replay(log[1:])  # the first command is missing
    assert info.value.field == "seq"
    assert state(empty) == before

    with pytest.raises(ValidationError) as refused:
        empty.replay(["not a command"])  # type: ignore[list-item]
    assert refused.value.field == "commands"
    assert state(empty) == before


def test_replay_detects_a_hub_that_does_different_work() -> None:
    """A log replayed onto a hub whose code takes other readings stops with ReplayDiverged."""
    world = World()
    world.capture(Channel.WEB, "ann@example.com", [("TENT", 1)])
    log = list(world.hub.command_log)
    capture = next(c for c in log if c.name == "capture")
    tampered = [
        c if c is not capture else LoggedCommand(**{**_fields(c), "ids": c.ids[:-1]}) for c in log
    ]
    empty = new_hub(FixedClock(T0), SequentialIds())
    with pytest.raises(ReplayDiverged):
        empty.replay(tampered)
    assert empty.log_position == capture.seq - 1


def _fields(command: LoggedCommand) -> dict[str, Any]:
    return {
        name: getattr(command, name)
        for name in ("seq", "at", "target", "name", "args", "kwargs", "clock", "ids", "numbers")
    } | {"events": command.events}


def test_a_copied_or_pickled_hub_keeps_its_log_and_effects() -> None:
    world = World()
    world.faults.enabled = True
    world.capture(Channel.WEB, "zoë@example.com", [("TENT", 1)])
    world.process()
    world.drive()
    world.hub.resolve(world.hub.effects()[0].id, Succeeded(reference=1234))  # not a str
    for copy in (copy_module.deepcopy(world.hub), pickle.loads(pickle.dumps(world.hub))):
        assert copy.command_log == world.hub.command_log
        assert copy.effects() == world.hub.effects()
        resolves = [c for c in copy.command_log if c.name == "resolve"]
        assert all(type(c.args[1]) in (Succeeded, Rejected, Failed) for c in resolves)


def test_a_settled_effect_is_kept_as_its_pending_version_and_a_row() -> None:
    world = World()
    world.faults.enabled = True  # some effects fail first: settled after a retry
    world.capture(Channel.WEB, "ann@example.com", [("TENT", 1), ("LAMP", 2)])
    world.process()
    pending = {e.id: e for e in world.hub.pending_effects()}
    world.drive()
    world.faults.enabled = False
    world.clock.advance(hours=2)  # past every retry's backoff
    world.drive()
    settled = world.hub.effects()
    assert any(e.attempts > 1 for e in settled)
    assert settled
    assert all(e.status is EffectStatus.SUCCEEDED for e in settled)
    assert all(e.reference is not None and e.attempts >= 1 for e in settled)
    assert world.hub.effects() == settled  # made anew on each read, equal
    for effect in settled:
        assert world.hub.effect(effect.id) == effect
        assert effect.payload == pending[effect.id].payload
    # The outbox holds one Effect per effect, the last pending one: settling adds a row of
    # plain values, not a second object the garbage collector keeps walking.
    outbox = world.hub._outbox  # type: ignore[attr-defined]
    assert all(e.status is EffectStatus.PENDING for e in outbox._effects.values())
    gc.collect()
    assert not any(gc.is_tracked(row) for row in outbox._settled.values())
    restored = OrderHub.restore(
        json.loads(json.dumps(world.hub.snapshot())), clock=world.clock, ids=world.ids
    )
    assert restored.effects() == settled
    assert [e.payload for e in restored.effects()] == [e.payload for e in settled]


def test_a_snapshot_of_an_earlier_layout_is_refused_not_restored_broken() -> None:
    for break_layout in (
        lambda hub: delattr(hub._outbox, "_settled"),
        lambda hub: hub.stock._positions["TENT"].update(
            {"dc-il": hub.stock.position("dc-il", "TENT")}  # a StockPosition, as before
        ),
    ):
        world = trading_world()
        break_layout(world.hub)
        data = json.loads(json.dumps(world.hub.snapshot()))
        with pytest.raises(InvalidSnapshot) as info:
            OrderHub.restore(data, clock=world.clock, ids=world.ids)
        assert info.value.field == "hub"


def test_an_outbox_keeps_as_it_is_a_settled_effect_that_changed_more() -> None:
    from orderhub._effects import Outbox, evolve_effect

    world = World()
    world.capture(Channel.WEB, "ann@example.com", [("TENT", 1)])
    world.process()
    pending = world.hub.pending_effects()[0]
    outbox = Outbox()
    outbox.add(pending)
    later = pending.next_attempt_at + timedelta(minutes=5)
    done = evolve_effect(
        pending, status=EffectStatus.SUCCEEDED, reference="r-1", attempts=1, next_attempt_at=later
    )
    outbox.put(pending, done)
    assert outbox.get(pending.id) == done  # not rebuilt from a row that lost next_attempt_at
    assert outbox._settled == {}
    plain = evolve_effect(pending, status=EffectStatus.SUCCEEDED, reference="r-2", attempts=1)
    outbox2 = Outbox()
    outbox2.add(pending)
    outbox2.put(pending, plain)
    assert outbox2.get(pending.id) == plain
    assert outbox2._settled == {pending.id: ("succeeded", 1, "r-2", None)}
