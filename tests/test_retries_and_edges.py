"""Retries and edges of the order-to-cash commands.

A host that times out on ``credit(...)`` and sends it again must not issue a second credit
note (the money would be given back twice); the same for a return authorisation. And the
edges a careful user expects: a prepayment names the payer's own order, a held order is not
routed behind its hold's back, units released to a warehouse do not expire under it.
"""

from __future__ import annotations

import pytest

from orderhub import (
    Channel,
    HoldKind,
    IdempotencyConflict,
    Money,
    OrderHub,
    OrderState,
    ValidationError,
)
from test_persistence import World


def shipped_world() -> World:
    world = World()
    world.capture(Channel.WEB, "ann@example.com", [("TENT", 2), ("MAT", 1)])
    world.process()
    world.drive()
    for _ in range(3):  # every fulfilment order the lines went to
        world.ship()
    world.drive()
    return world


def books(hub: OrderHub) -> tuple[object, ...]:
    """What a credit or a return changes (the command log records the retry itself)."""
    return (
        hub.invoices(),
        hub.events,
        hub.journal.entries(),
        hub.receivables.open_items(),
        hub.effects(),
        tuple(hub.returns(o.id) for o in hub.orders()),
    )


def test_a_credit_sent_again_under_its_key_issues_nothing() -> None:
    hub = shipped_world().hub
    invoice = hub.invoices()[0]
    line_no = invoice.lines[0].line_no
    first = hub.credit(invoice.id, reason="damaged", lines={line_no: 1}, key="CN-REQ-1")
    assert first
    before = books(hub)

    assert hub.credit(invoice.id, reason="damaged", lines={line_no: 1}, key="CN-REQ-1") == ()
    assert books(hub) == before
    assert len([i for i in hub.invoices() if i.is_credit_note]) == 1


def test_a_price_adjustment_sent_again_under_its_key_issues_nothing() -> None:
    hub = shipped_world().hub
    invoice = hub.invoices()[0]
    hub.credit(invoice.id, reason="goodwill", amount=Money("5.00", "USD"), key="ADJ-1")
    hub.credit(invoice.id, reason="goodwill", amount=Money("5.00", "USD"), key="ADJ-1")
    notes = [i for i in hub.invoices() if i.is_credit_note]
    assert len(notes) == 1
    # Without a key, the same call is a second adjustment (as asked).
    hub.credit(invoice.id, reason="goodwill", amount=Money("5.00", "USD"))
    assert len([i for i in hub.invoices() if i.is_credit_note]) == 2


def test_another_credit_under_a_used_key_is_refused_and_changes_nothing() -> None:
    hub = shipped_world().hub
    invoice = hub.invoices()[0]
    hub.credit(invoice.id, reason="goodwill", amount=Money("5.00", "USD"), key="ADJ-1")
    before = books(hub)
    with pytest.raises(IdempotencyConflict) as info:
        hub.credit(invoice.id, reason="goodwill", amount=Money("6.00", "USD"), key="ADJ-1")
    assert (info.value.field, info.value.value) == ("key", "ADJ-1")
    assert books(hub) == before


def test_a_return_authorised_again_under_its_key_is_the_same_authorisation() -> None:
    hub = shipped_world().hub
    order = next(hub.orders())
    rma = hub.authorize_return(order.id, {1: 2}, reason="too small", key="RMA-REQ-1")
    before = books(hub)

    again = hub.authorize_return(order.id, {1: 2}, reason="too small", key="RMA-REQ-1")
    assert again == rma
    assert books(hub) == before
    assert hub.returns(order.id) == (rma,)

    with pytest.raises(IdempotencyConflict):
        hub.authorize_return(order.id, {1: 1}, reason="too small", key="RMA-REQ-1")
    assert books(hub) == before


def test_a_prepayment_for_another_customers_order_is_refused() -> None:
    world = World()
    world.capture(Channel.WEB, "ann@example.com", [("TENT", 1)])
    world.capture(Channel.WEB, "bob@example.com", [("MAT", 1)])
    hub = world.hub
    ann_order, bob_order = list(hub.orders())
    before = books(hub)
    with pytest.raises(ValidationError) as info:
        hub.record_payment(
            ann_order.customer_id,
            Money("30.00", "USD"),
            reference="card-9",
            prepayment_for=bob_order.id,
        )
    assert (info.value.field, info.value.value) == ("prepayment_for", bob_order.id)
    assert books(hub) == before
    with pytest.raises(LookupError):
        hub.receivables.payment("card-9")


def test_a_rejection_does_not_route_an_order_on_hold_until_it_is_released() -> None:
    world = World()
    world.capture(Channel.WEB, "ann@example.com", [("TENT", 1)])
    hub = world.hub
    hub.process()
    order = next(hub.orders())
    (fo,) = hub.fulfillment_orders(order.id)
    hub.hold(order.id, HoldKind.FRAUD, "check the card")

    hub.reject(order.id, fo.location_id, reason="damaged in the warehouse")
    held = hub.order(order.id)
    assert held.state is OrderState.ON_HOLD
    assert held.lines[0].quantities.open == 1
    assert held.lines[0].quantities.allocated == 0
    assert hub.stock.reservations(order_id=order.id) == ()

    hub.release_hold(order.id, HoldKind.FRAUD)
    hub.process()
    routed = hub.order(order.id)
    assert routed.lines[0].quantities.allocated == 1
    assert {f.location_id for f in hub.fulfillment_orders(order.id) if f.is_open} != {
        fo.location_id
    }


def test_units_released_to_their_location_no_longer_expire() -> None:
    world = World()  # reservations expire after two hours
    world.capture(Channel.WEB, "ann@example.com", [("TENT", 1)])
    world.capture(Channel.WEB, "bob@example.com", [("MAT", 1)])
    hub = world.hub
    hub.process()
    ann, bob = list(hub.orders())
    hub.release(ann.id)  # ann's goes to the warehouse; bob's stays allocated, unreleased
    assert hub.order(ann.id).state is OrderState.RELEASED
    (kept,) = hub.stock.reservations(ann.id)
    assert kept.expires_at is None

    world.tick(3 * 60)
    hub.expire_reservations()

    assert hub.order(ann.id).lines[0].quantities.allocated == 1
    assert [fo.state.value for fo in hub.fulfillment_orders(ann.id)] == ["released"]
    assert hub.stock.reservations(bob.id) == ()  # unreleased units still expire
    assert hub.order(bob.id).lines[0].quantities.allocated == 0
