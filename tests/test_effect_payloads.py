"""Effect payloads are built on access from the documents as they were when the effect was
emitted: the same JSON, byte for byte, as building them eagerly at that moment, however the
documents changed since, and after a snapshot/restore or a replay of the command log."""

from __future__ import annotations

import copy
import json
import pickle
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest

from helpers import CATALOG, T0, request
from orderhub import (
    Address,
    Effect,
    EffectKind,
    EffectStatus,
    FulfillmentState,
    GeoPoint,
    LineRequest,
    Location,
    LocationKind,
    Money,
    OrderHub,
    OrderState,
    SyncDriver,
)
from orderhub._effects import Outbox
from orderhub._statemachine import evolver
from orderhub.events import OrderCancelled, OrderLineCancelled, PaymentRecorded
from orderhub.ports import Failed, Rejected, Succeeded
from orderhub.serialization import structure, unstructure
from orderhub.testing import (
    FixedClock,
    InMemoryErp,
    InMemoryFinance,
    InMemoryFulfillment,
    SequentialIds,
)


def _eager(world: _World, effect: Effect) -> Any:
    """The payload of ``effect`` as the hub used to build it when it emitted the effect,
    from the hub's books as they stand (call it at emit time). What a withdrawal takes off
    is worked out from what the location was last told, as ``world`` remembers it."""
    hub = world.hub
    kind, subject = effect.kind, effect.subject_id
    if kind in (EffectKind.POST_INVOICE, EffectKind.POST_CREDIT_NOTE):
        return unstructure(hub.invoice(subject))
    if kind is EffectKind.POST_JOURNAL_ENTRY:
        return unstructure(hub.journal.entry(subject))
    if kind is EffectKind.POST_PAYMENT:
        [paid] = [
            e for e in hub.events if isinstance(e, PaymentRecorded) and e.payment_id == subject
        ]
        return unstructure(paid)
    if kind is EffectKind.UPSERT_CUSTOMER:
        return unstructure(hub.customers.get(subject))
    if kind is EffectKind.RELEASE_FULFILLMENT:
        fo = hub.fulfillment_order(subject)
        world.told[fo.id] = {fl.line_no: (fl.sku, fl.quantity) for fl in fo.lines}
        return unstructure(fo)
    if kind is EffectKind.CANCEL_FULFILLMENT:
        fo = hub.fulfillment_order(subject)
        now = {fl.line_no: (fl.sku, fl.quantity) for fl in fo.lines}
        told = world.told[fo.id]
        world.told[fo.id] = now
        withdrawn = [
            {"line_no": n, "sku": sku, "quantity": q - now.get(n, (sku, 0))[1]}
            for n, (sku, q) in sorted(told.items())
            if q > now.get(n, (sku, 0))[1]
        ]
        assert withdrawn, "a withdrawal that takes nothing off"
        at_erp = world.withdrawn.setdefault((len(hub.events), fo.order_id, fo.erp), {})
        for line in withdrawn:
            at_erp[line["line_no"]] = at_erp.get(line["line_no"], 0) + line["quantity"]
        if fo.state is FulfillmentState.CANCELLED:
            return unstructure(fo)
        return {**unstructure(fo), "withdrawn": withdrawn}
    if kind is EffectKind.CANCEL_ORDER:
        whole = hub.order(subject).state is OrderState.CANCELLED
        [*_, cancelled] = [
            e
            for e in hub.events
            if isinstance(e, OrderCancelled if whole else OrderLineCancelled)
            and e.order_id == subject
        ]
        at_erp = world.withdrawn.pop((len(hub.events), subject, effect.target), {})
        skus = {line.line_no: line.sku for line in hub.order(subject).lines}
        return {
            "order_id": subject,
            "reason": cancelled.reason,
            "whole_order": whole,
            "lines": [
                {"line_no": n, "sku": skus[n], "quantity": q} for n, q in sorted(at_erp.items())
            ],
        }
    assert kind is EffectKind.SUBMIT_ORDER
    released = {e.subject_id for e in hub._outbox if e.kind is EffectKind.RELEASE_FULFILLMENT}
    fos = [
        fo
        for fo in hub.fulfillment_orders(subject)
        if fo.erp == effect.target and fo.state.value == "pending" and fo.id not in released
    ]
    return {
        "order": unstructure(hub.order(subject)),
        "lines": [
            {"line_no": fl.line_no, "sku": fl.sku, "quantity": fl.quantity}
            for fo in fos
            for fl in fo.lines
        ],
        "fulfillment_orders": [fo.id for fo in fos],
    }


def _text(payload: Any) -> str:
    return json.dumps(payload, ensure_ascii=False, allow_nan=False)


class _World:
    """A hub with two ERPs, a drop shipper and in-memory adapters; ``expected`` holds the
    eager payload of every effect, taken when it was emitted."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.clock = FixedClock(T0)
        self.hub = hub = OrderHub(clock=self.clock, ids=SequentialIds())
        self.expected: dict[str, str] = {}
        # what each location was last told: fulfilment order → line → (sku, units)
        self.told: dict[str, dict[int, tuple[str, int]]] = {}
        # what the withdrawals of one batch of events took off an order at an ERP:
        # (events logged, order, ERP) → line → units
        self.withdrawn: dict[tuple[int, str, str], dict[int, int]] = {}
        add = Outbox.add

        def recording(outbox: Outbox, effect: Effect) -> Effect:
            queued = add(outbox, effect)
            if queued is effect and outbox is getattr(self.hub, "_outbox", None):
                self.expected[effect.id] = _text(_eager(self, effect))
            return queued

        monkeypatch.setattr(Outbox, "add", recording)
        for item in CATALOG[:4]:
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
            Location(
                id="stoves-ca",
                kind=LocationKind.DROP_SHIPPER,
                geo=GeoPoint(34.05, -118.24),
                vendor="stoves-inc",
                erp="stoves-inc",
            ),
        ):
            hub.network.add(location)
        for loc in ("dc-il", "dc-nj"):
            hub.stock.receive(loc, "TENT", 6)
            hub.stock.receive(loc, "MAT", 6)
        hub.stock.receive("acme-oh", "LAMP", 6)
        self.erps = {name: InMemoryErp() for name in ("main", "acme", "stoves-inc")}
        self.wms = {"default": InMemoryFulfillment(), "stoves-inc": InMemoryFulfillment()}
        self.driver = SyncDriver(
            hub, erps=self.erps, fulfillment=self.wms, finance=InMemoryFinance()
        )

    def capture(self, n: int, *lines: tuple[str, int]) -> str:
        near = Address(
            line1="1 Main St",
            city="Chicago",
            region="IL",
            country="US",
            geo=GeoPoint(41.88, -87.63),
        )
        return self.hub.capture(
            request(
                f"W-{n}",
                email=f"c{n % 3}@example.com",
                ship_to=near,
                lines=[LineRequest(sku=s, quantity=q) for s, q in lines],
            )
        ).order.id

    def ship_all(self, order_id: str) -> None:
        for fo in self.hub.fulfillment_orders(order_id):
            if fo.is_open and fo.state.value == "released":
                self.hub.confirm_shipment(fo.id, fo.to_ship, carrier="UPS", tracking=f"1Z-{fo.id}")


def _run(world: _World) -> None:
    """Every kind of effect: upserts and sales orders to three ERPs, releases to the
    default and a drop-ship adapter, a rejected release re-routed, an order cancelled after
    its sales order and release went out, a line cancelled, invoices, a credit note,
    payments and journal entries."""
    hub, clock = world.hub, world.clock
    first = world.capture(1, ("TENT", 2), ("LAMP", 1), ("STOVE", 1))
    second = world.capture(2, ("MAT", 2))
    third = world.capture(3, ("TENT", 1), ("MAT", 1))
    hub.process()
    # The release of the third order is refused: its units are routed again.
    [refused] = [
        e
        for e in hub.pending_effects()
        if e.kind is EffectKind.RELEASE_FULFILLMENT
        and hub.fulfillment_order(e.subject_id).order_id == third
    ]
    hub.resolve(refused.id, Failed("timeout"))
    clock.advance(minutes=5)
    hub.resolve(refused.id, Rejected("closed for stock-take"))
    hub.process()
    # The second order is cancelled once its sales order and release are out.
    hub.cancel(second, reason="changed my mind")
    world.driver.run()
    clock.advance(hours=1)
    fourth = world.capture(4, ("TENT", 1), ("MAT", 2))
    hub.process()
    hub.cancel_line(fourth, 2, reason="no longer needed")
    world.driver.run()
    clock.advance(hours=1)
    for order_id in (first, third, fourth):
        world.ship_all(order_id)
    world.driver.run()
    clock.advance(days=1)
    [invoice, *_] = hub.invoices(first)
    hub.credit(invoice.id, reason="damaged", lines={invoice.lines[0].line_no: 1})
    for order_id in (first, third):
        order = hub.order(order_id)
        owed = sum((i.grand_total for i in hub.invoices(order_id)), Money.zero("USD"))
        hub.record_payment(order.customer_id, owed, reference=f"pay-{order_id}")
    world.driver.run()
    clock.advance(hours=1)


def test_every_payload_is_what_the_eager_build_made_when_the_effect_was_emitted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = _World(monkeypatch)
    _run(world)
    effects = world.hub.effects()
    kinds = {e.kind for e in effects}
    assert kinds == set(EffectKind), set(EffectKind) - kinds
    assert {e.target for e in effects if e.kind is EffectKind.SUBMIT_ORDER} == {
        "main",
        "acme",
        "stoves-inc",
    }
    assert {e.status for e in effects} >= {EffectStatus.SUCCEEDED, EffectStatus.REJECTED}
    assert set(world.expected) == {e.id for e in effects}
    for effect in effects:
        assert _text(effect.payload) == world.expected[effect.id], effect
    # The adapters got those payloads.
    sent = {
        key: _text(payload)
        for adapter in (*world.erps.values(), *world.wms.values())
        for key, (_, payload) in adapter.documents.items()
    }
    for effect in effects:
        if effect.kind.port != "finance" and effect.status is EffectStatus.SUCCEEDED:
            assert sent[effect.idempotency_key] == world.expected[effect.id]


def test_restored_and_replayed_hubs_have_the_same_payloads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = _World(monkeypatch)
    _run(world)
    original = {e.id: _text(e.payload) for e in world.hub.effects()}

    text = json.dumps(world.hub.snapshot())
    restored = OrderHub.restore(json.loads(text), clock=FixedClock(T0), ids=SequentialIds())
    assert {e.id: _text(e.payload) for e in restored.effects()} == original
    assert json.dumps(restored.snapshot()) == text

    empty = OrderHub(
        clock=FixedClock(datetime(2031, 1, 1, tzinfo=UTC)), ids=SequentialIds(prefix="other")
    )
    empty.replay(world.hub.command_log)
    assert {e.id: _text(e.payload) for e in empty.effects()} == original
    assert json.dumps(empty.snapshot()) == text


def test_each_access_builds_a_fresh_payload(monkeypatch: pytest.MonkeyPatch) -> None:
    world = _World(monkeypatch)
    world.capture(1, ("TENT", 1))
    world.hub.process()
    for effect in world.hub.effects():
        first, second = effect.payload, effect.payload
        assert first == second
        assert first is not second  # a caller changing one changes nothing else
        assert isinstance(first, dict)


def test_a_payload_given_is_kept_and_ignored_by_equality() -> None:
    payload = {"order_id": "order-1", "reason": "typo"}
    effect = Effect(
        id="effect-1",
        kind=EffectKind.CANCEL_ORDER,
        target="main",
        subject_id="order-1",
        payload=payload,
        idempotency_key="cancel:order-1:main",
        created_at=T0,
        next_attempt_at=T0,
    )
    assert effect.payload is payload
    assert "payload" not in repr(effect)
    assert "typo" not in repr(effect)
    other = attrs.evolve(effect, payload={"other": 1})
    assert other == effect
    assert other.payload == {"other": 1}
    later = evolver(Effect)(effect, attempts=1, next_attempt_at=T0 + timedelta(minutes=1))
    assert later.payload is payload


def test_evolving_a_hub_effect_keeps_its_payload_or_takes_the_one_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = _World(monkeypatch)
    world.capture(1, ("TENT", 1))
    world.hub.process()
    for effect in world.hub.effects():
        built = _text(effect.payload)
        assert _text(attrs.evolve(effect, attempts=3).payload) == built
        assert _text(evolver(Effect)(effect, reference="x").payload) == built
        assert attrs.evolve(effect, payload={"a": 1}).payload == {"a": 1}
        assert evolver(Effect)(effect, payload={"b": 2}).payload == {"b": 2}
    [release, *_] = [e for e in world.hub.effects() if e.kind is EffectKind.RELEASE_FULFILLMENT]
    world.hub.resolve(release.id, Succeeded("wms-1"))
    assert _text(world.hub.effect(release.id).payload) == world.expected[release.id]


def test_an_effect_serializes_copies_and_pickles_with_its_payload(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = _World(monkeypatch)
    _run(world)
    for effect in world.hub.effects():
        built = _text(effect.payload)
        data = unstructure(effect)
        assert _text(data["payload"]) == built
        assert "_build" not in data
        back = structure(json.loads(json.dumps(data)), Effect)
        assert back == effect
        assert _text(back.payload) == built
        for copied in (copy.copy(effect), copy.deepcopy(effect)):
            assert copied == effect
            assert _text(copied.payload) == built
        assert _text(pickle.loads(pickle.dumps(effect)).payload) == built
