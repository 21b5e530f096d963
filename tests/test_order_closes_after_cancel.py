"""An order whose last open units are cancelled after some of it shipped moves on as a last
shipment would move it: shipped, then invoiced (each shipment raised its invoice), and closed
when nothing is owed — also when it was on hold, and when it was paid while held."""

from __future__ import annotations

import pytest

from orderhub import HoldKind, IllegalTransition, Money, Order, OrderState
from orderhub.events import OrderStateChanged
from orderhub.testing.invariants import assert_closed_orders_settled
from test_order_to_cash import World, cash_state


def partly_shipped(world: World) -> Order:
    """One tent and 25 mats: 20 mats in stock over two DCs, 5 backordered; all that was
    allocated shipped, so the order is partially shipped with 5 mats still to come."""
    order = world.order(("TENT", 1), ("MAT", 25))
    world.hub.process()
    world.hub.release(order.id)
    for n, fo in enumerate(world.hub.fulfillment_orders(order.id)):
        world.ship(fo.id, fo.to_ship, f"1Z-{n}")
    assert world.state(order.id) is OrderState.PARTIALLY_SHIPPED
    return world.hub.order(order.id)


def moves(events: tuple[object, ...]) -> list[tuple[str, str]]:
    return [(e.from_state, e.to_state) for e in events if isinstance(e, OrderStateChanged)]


def pay_all(world: World, order: Order) -> None:
    owed = world.hub.receivables.balance(order.customer_id)
    world.hub.record_payment(order.customer_id, owed, reference=f"pay-{order.id}")


def test_cancelling_the_rest_of_a_partly_shipped_order_leaves_it_invoiced() -> None:
    world = World()
    order = partly_shipped(world)

    events = world.hub.cancel_line(order.id, 2)

    assert moves(events) == [("partially_shipped", "shipped"), ("shipped", "invoiced")]
    assert world.state(order.id) is OrderState.INVOICED
    pay_all(world, order)
    assert world.state(order.id) is OrderState.CLOSED
    assert_closed_orders_settled(world.hub)


def test_cancelling_the_rest_of_a_paid_order_closes_it() -> None:
    world = World()
    order = partly_shipped(world)
    pay_all(world, order)
    assert world.state(order.id) is OrderState.PARTIALLY_SHIPPED  # 5 mats still to come

    events = world.hub.cancel_line(order.id, 2, 5, reason="out of season")

    assert moves(events) == [
        ("partially_shipped", "shipped"),
        ("shipped", "invoiced"),
        ("invoiced", "closed"),
    ]
    assert world.state(order.id) is OrderState.CLOSED
    assert_closed_orders_settled(world.hub)


def test_cancelling_only_part_of_the_rest_leaves_it_partially_shipped() -> None:
    world = World()
    order = partly_shipped(world)

    events = world.hub.cancel_line(order.id, 2, 3)

    assert moves(events) == []
    assert world.state(order.id) is OrderState.PARTIALLY_SHIPPED
    assert world.hub.order(order.id).line(2).quantities.backordered == 2


def test_a_held_order_whose_rest_is_cancelled_resumes_invoiced_and_closes_if_paid() -> None:
    world = World()
    order = partly_shipped(world)
    world.hub.hold(order.id, HoldKind.MANUAL, reason="address check")
    pay_all(world, order)
    world.hub.cancel_line(order.id, 2)
    held = world.hub.order(order.id)
    assert (held.state, held.resume_state) == (OrderState.ON_HOLD, OrderState.INVOICED)

    events = world.hub.release_hold(order.id, HoldKind.MANUAL)

    assert moves(events) == [("on_hold", "invoiced"), ("invoiced", "closed")]
    assert world.state(order.id) is OrderState.CLOSED


def test_an_order_paid_while_held_after_its_last_shipment_closes_when_released() -> None:
    world = World()
    order = world.order(("TENT", 1))
    world.hub.process()
    world.hub.release(order.id)
    world.hub.hold(order.id, HoldKind.MANUAL, reason="address check")
    fo = world.hub.fulfillment_orders(order.id)[0]
    world.ship(fo.id, fo.to_ship, "1Z-1")
    pay_all(world, order)
    assert world.state(order.id) is OrderState.ON_HOLD

    events = world.hub.release_hold(order.id, HoldKind.MANUAL)

    assert moves(events) == [("on_hold", "invoiced"), ("invoiced", "closed")]
    assert_closed_orders_settled(world.hub)


def test_a_held_order_still_owing_resumes_invoiced_and_stays_open() -> None:
    world = World()
    order = partly_shipped(world)
    world.hub.hold(order.id, HoldKind.MANUAL, reason="address check")
    world.hub.cancel_line(order.id, 2)

    events = world.hub.release_hold(order.id, HoldKind.MANUAL)

    assert moves(events) == [("on_hold", "invoiced")]
    assert world.state(order.id) is OrderState.INVOICED


def test_a_refused_cancel_of_a_shipped_line_changes_nothing() -> None:
    world = World()
    order = partly_shipped(world)
    world.hub.cancel_line(order.id, 2)
    before = cash_state(world.hub)

    with pytest.raises(IllegalTransition):
        world.hub.cancel_line(order.id, 1, 1)

    assert cash_state(world.hub) == before
    assert world.hub.receivables.balance(order.customer_id) > Money.zero("USD")
