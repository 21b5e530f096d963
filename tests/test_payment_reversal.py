"""A payment reversal re-opens the closed orders whose invoices it leaves owed again: they
go back to invoiced (one OrderStateChanged each) and close again by the usual path."""

from __future__ import annotations

import json
from datetime import date, timedelta

import attrs
import pytest

from helpers import T0
from orderhub import (
    LoggedCommand,
    Money,
    OrderHub,
    OrderState,
    PaymentTerms,
    ReplayDiverged,
    UnknownPayment,
    ValidationError,
)
from orderhub.events import OrderStateChanged
from orderhub.testing import FixedClock, SequentialIds
from orderhub.testing.invariants import assert_closed_orders_settled
from test_order_to_cash import World, cash_state, tb_sum, two_invoices

CLOSED, INVOICED = OrderState.CLOSED, OrderState.INVOICED


def usd(amount: str) -> Money:
    """``amount`` in US dollars."""
    return Money(amount, "USD")


def reopened(order_id: str, world: World) -> OrderStateChanged:
    """The event of ``order_id`` going back from closed to invoiced, now."""
    return OrderStateChanged(
        occurred_at=world.clock.now(),
        order_id=order_id,
        from_state=CLOSED.value,
        to_state=INVOICED.value,
    )


def snapshot_text(hub: OrderHub) -> str:
    """The whole hub as JSON text (every book, the events and the outbox)."""
    return json.dumps(hub.snapshot(), sort_keys=True)


@pytest.fixture
def world() -> World:
    """A hub with the test catalog and three stocked locations."""
    return World()


# -- the order goes back to invoiced -------------------------------------------------------------


def test_a_bounced_payment_reopens_the_closed_order(world: World) -> None:
    """The order its payment closed goes back to invoiced, with one event, in the log too."""
    order, _, done = world.shipped(("TENT", 1))
    assert done.invoice is not None
    world.hub.record_payment(order.customer_id, usd("149.00"), reference="chk-1")
    assert world.state(order.id) is CLOSED
    world.clock.advance(days=3)

    events = world.hub.reverse_payment("chk-1", reason="insufficient funds")

    assert events == (reopened(order.id, world),)
    assert world.hub.events[-1:] == events
    assert world.state(order.id) is INVOICED
    assert world.hub.receivables.item(done.invoice.id).open == usd("149.00")
    assert_closed_orders_settled(world.hub)


def test_a_reopened_order_closes_again_when_paid(world: World) -> None:
    """Paid again after the reversal, the order closes by the usual path."""
    order, _, _ = world.shipped(("TENT", 1))
    world.hub.record_payment(order.customer_id, usd("149.00"), reference="chk-1")
    world.hub.reverse_payment("chk-1", reason="bounced")

    events = world.hub.record_payment(order.customer_id, usd("149.00"), reference="wire-2")

    assert world.state(order.id) is CLOSED
    assert [(e.from_state, e.to_state) for e in events if isinstance(e, OrderStateChanged)] == [
        ("invoiced", "closed")
    ]


def test_a_reopened_order_closes_again_when_written_off(world: World) -> None:
    """Writing off what the reversal left open closes the order again."""
    order, _, done = world.shipped(("TENT", 1))
    assert done.invoice is not None
    world.hub.record_payment(order.customer_id, usd("149.00"), reference="chk-1")
    world.hub.reverse_payment("chk-1", reason="bounced")

    world.hub.write_off(done.invoice.id, reason="uncollectable")

    assert world.state(order.id) is CLOSED


def test_a_payment_that_settled_several_orders_reopens_each_once(world: World) -> None:
    """One payment closed two orders (and both invoices of one of them): each goes back to
    invoiced once, in the order the payment was applied."""
    first, _, _ = world.shipped(("MAT", 1))
    second, fi, se = two_invoices(world)
    c = first.customer_id
    world.hub.record_payment(c, usd("328.00"), reference="chk-1")  # 30 + 149 + 149
    assert (world.state(first.id), world.state(second.id)) == (CLOSED, CLOSED)

    events = world.hub.reverse_payment("chk-1", reason="bounced")

    assert events == (reopened(first.id, world), reopened(second.id, world))
    assert (world.state(first.id), world.state(second.id)) == (INVOICED, INVOICED)
    assert world.hub.receivables.item(fi.id).is_open
    assert world.hub.receivables.item(se.id).is_open


def test_only_the_orders_the_payment_paid_reopen(world: World) -> None:
    """An order paid by another payment stays closed; an order the payment only partly paid
    was never closed and stays invoiced, with no event."""
    paid_by_other, _, _ = world.shipped(("MAT", 1))
    bounced, _, _ = world.shipped(("TENT", 1))
    partly, _, _ = world.shipped(("TENT", 1))
    c = bounced.customer_id
    world.hub.record_payment(c, usd("30.00"), reference="cash-1")
    world.hub.record_payment(c, usd("200.00"), reference="chk-2")  # 149 + 51 of the last
    assert world.state(partly.id) is INVOICED

    events = world.hub.reverse_payment("chk-2", reason="bounced")

    assert events == (reopened(bounced.id, world),)
    assert world.state(paid_by_other.id) is CLOSED
    assert world.state(bounced.id) is INVOICED
    assert world.state(partly.id) is INVOICED


def test_an_order_paid_by_two_payments_reopens_when_either_bounces(world: World) -> None:
    """Half paid by each of two payments: one bouncing leaves half owed, the order re-opens."""
    order, _, done = world.shipped(("TENT", 2))
    assert done.invoice is not None
    world.hub.record_payment(order.customer_id, usd("149.00"), reference="p1")
    world.hub.record_payment(order.customer_id, usd("149.00"), reference="p2")

    world.hub.reverse_payment("p2", reason="bounced")

    assert world.state(order.id) is INVOICED
    assert world.hub.receivables.item(done.invoice.id).open == usd("149.00")


def test_cash_that_waited_on_the_account_reopens_the_order_it_later_paid(world: World) -> None:
    """A payment left unapplied, then applied to the invoice of a later shipment, re-opens
    that order when it bounces."""
    order, fo = world.released(("TENT", 1))
    world.hub.record_payment(order.customer_id, usd("149.00"), reference="early")
    world.ship(fo.id, {"TENT": 1}, "1Z-1")
    assert world.state(order.id) is CLOSED

    events = world.hub.reverse_payment("early", reason="bounced")

    assert events == (reopened(order.id, world),)
    assert world.state(order.id) is INVOICED


def test_a_bounced_prepayment_reopens_the_order_it_paid(world: World) -> None:
    """A prepayment that paid the invoice at shipment re-opens the order when it bounces."""
    order, fo = world.released(("TENT", 1))
    world.hub.record_payment(
        order.customer_id, usd("149.00"), reference="card-1", prepayment_for=order.id
    )
    world.ship(fo.id, {"TENT": 1}, "1Z-1")
    assert world.state(order.id) is CLOSED

    world.hub.reverse_payment("card-1", reason="chargeback")

    assert world.state(order.id) is INVOICED
    assert tb_sum(world.hub) == Money.zero("USD")


def test_a_bounced_payment_that_earned_a_discount_reopens_the_order() -> None:
    """The discount the payment earned comes back with it: the whole invoice is owed."""
    w = World(terms=PaymentTerms.parse("2/10 net 30"))
    order, _, done = w.shipped(("TENT", 1))
    assert done.invoice is not None
    w.hub.record_payment(order.customer_id, usd("146.02"), reference="early")
    assert w.state(order.id) is CLOSED

    w.hub.reverse_payment("early", reason="bounced")

    assert w.state(order.id) is INVOICED
    assert w.hub.receivables.item(done.invoice.id).open == usd("149.00")


# -- nothing re-opens ------------------------------------------------------------------------


def test_a_bounced_payment_left_unapplied_changes_no_order(world: World) -> None:
    """Cash that only sat on the account (an over-payment's rest) moves no order back."""
    order, _, _ = world.shipped(("TENT", 1))
    world.hub.record_payment(order.customer_id, usd("149.00"), reference="p1")
    world.hub.record_payment(order.customer_id, usd("50.00"), reference="extra")
    orders = tuple(world.hub.orders())

    events = world.hub.reverse_payment("extra", reason="bounced")

    assert events == ()
    assert tuple(world.hub.orders()) == orders
    assert world.hub.receivables.unapplied(order.customer_id) == Money.zero("USD")


def test_a_bounced_payment_that_was_refunded_changes_no_order(world: World) -> None:
    """Cash refunded out of a bounced payment is owed again as a refund item, not an
    invoice: no order moves."""
    order, _, _ = world.shipped(("TENT", 1))
    world.hub.record_payment(order.customer_id, usd("149.00"), reference="p1")
    world.hub.record_payment(order.customer_id, usd("40.00"), reference="extra")
    world.hub.refund(order.customer_id, usd("40.00"), reference="rf-1")

    events = world.hub.reverse_payment("extra", reason="bounced")

    assert events == ()
    assert world.state(order.id) is CLOSED
    assert world.hub.receivables.balance(order.customer_id) == usd("40.00")


def test_an_order_a_credit_note_settled_stays_closed(world: World) -> None:
    """An order closed by a credit note (goods returned) is not touched by the bounce of a
    payment that paid another order."""
    credited, _, done = world.shipped(("MAT", 1))
    paid, _, _ = world.shipped(("TENT", 1))
    assert done.invoice is not None
    world.hub.credit(done.invoice.id, reason="returned")
    world.hub.record_payment(paid.customer_id, usd("149.00"), reference="p1")
    assert (world.state(credited.id), world.state(paid.id)) == (CLOSED, CLOSED)

    events = world.hub.reverse_payment("p1", reason="bounced")

    assert events == (reopened(paid.id, world),)
    assert world.state(credited.id) is CLOSED


def test_an_invoice_part_credited_part_paid_reopens_by_the_paid_part(world: World) -> None:
    """Settled by a credit note and a payment together: the payment bouncing leaves its
    part owed, so the order re-opens."""
    order, _, done = world.shipped(("TENT", 1))
    assert done.invoice is not None
    world.hub.credit(done.invoice.id, reason="dent", amount=usd("49.00"))
    world.hub.record_payment(order.customer_id, usd("100.00"), reference="p1")
    assert world.state(order.id) is CLOSED

    world.hub.reverse_payment("p1", reason="bounced")

    assert world.state(order.id) is INVOICED
    assert world.hub.receivables.item(done.invoice.id).open == usd("100.00")


# -- repeats and errors ------------------------------------------------------------------------


def test_reversing_again_changes_nothing(world: World) -> None:
    """A second reversal of the same payment returns no events and changes nothing."""
    order, _, _ = world.shipped(("TENT", 1))
    world.hub.record_payment(order.customer_id, usd("149.00"), reference="p1")
    world.hub.reverse_payment("p1", reason="bounced")
    before = cash_state(world.hub)

    events = world.hub.reverse_payment("p1", reason="bounced")

    assert events == ()
    assert world.state(order.id) is INVOICED
    assert cash_state(world.hub) == before


@pytest.mark.parametrize(
    ("reference", "reason", "error", "field"),
    [
        ("no-such", "bounced", UnknownPayment, "payment_id"),
        ("p1", " ", ValidationError, "reason"),
        ("later", "bounced", ValidationError, "on"),  # received after today
    ],
)
def test_a_refused_reversal_changes_nothing(
    world: World, reference: str, reason: str, error: type[Exception], field: str
) -> None:
    """An unknown payment, an empty reason, or a payment dated after today is refused
    naming the field; every object — orders, receivables, journal, events, log — stays
    as it was, and the closed order stays closed."""
    order, _, _ = world.shipped(("TENT", 1))
    c = order.customer_id
    world.hub.record_payment(c, usd("149.00"), reference="p1")
    world.hub.record_payment(
        c, usd("10.00"), reference="later", received_on=T0.date() + timedelta(days=5)
    )
    before, cash, log = snapshot_text(world.hub), cash_state(world.hub), world.hub.command_log

    with pytest.raises(error) as caught:
        world.hub.reverse_payment(reference, reason=reason)

    assert getattr(caught.value, "field", None) == field
    assert snapshot_text(world.hub) == before
    assert cash_state(world.hub) == cash
    assert world.hub.command_log == log
    assert world.state(order.id) is CLOSED


# -- persistence and the views --------------------------------------------------------------


def test_the_reopening_replays_and_restores_identically(world: World) -> None:
    """The command log (through JSON) replayed onto an empty hub, and a snapshot taken
    before the reversal plus the log after it, both rebuild the hub the reversal left."""
    order, _, _ = world.shipped(("TENT", 1))
    world.hub.record_payment(order.customer_id, usd("149.00"), reference="p1")
    snapshot = json.loads(snapshot_text(world.hub))
    position = world.hub.log_position
    world.clock.advance(days=2)
    world.hub.reverse_payment("p1", reason="bounced")
    final = snapshot_text(world.hub)
    log = world.hub.command_log

    empty = OrderHub(clock=FixedClock(T0), ids=SequentialIds())
    empty.replay(LoggedCommand.from_json(json.loads(json.dumps(c.to_json()))) for c in log)
    restored = OrderHub.restore(snapshot, clock=FixedClock(T0), ids=SequentialIds())
    restored.replay(c for c in log if c.seq > position)

    assert snapshot_text(empty) == final
    assert snapshot_text(restored) == final
    assert empty.events == world.hub.events
    assert restored.order(order.id).state is INVOICED


def test_a_log_whose_reversal_reopened_nothing_no_longer_replays(world: World) -> None:
    """A log written before reversals re-opened orders (its reversal recorded no event)
    diverges on replay at that reversal, instead of rebuilding a different hub silently."""
    order, _, _ = world.shipped(("TENT", 1))
    world.hub.record_payment(order.customer_id, usd("149.00"), reference="p1")
    world.hub.reverse_payment("p1", reason="bounced")
    *before, reversal = world.hub.command_log
    old_log = [*before, attrs.evolve(reversal, events=0)]

    empty = OrderHub(clock=FixedClock(T0), ids=SequentialIds())
    with pytest.raises(ReplayDiverged) as caught:
        empty.replay(old_log)

    assert caught.value.value == reversal.seq


def test_a_reopened_order_is_open_in_the_customer_view(world: World) -> None:
    """The 360° view lists a re-opened order among the customer's open orders again."""
    order, _, _ = world.shipped(("TENT", 1))
    world.hub.record_payment(order.customer_id, usd("149.00"), reference="p1")
    closed = world.hub.insights.view(order.customer_id).open_orders

    world.hub.reverse_payment("p1", reason="bounced")

    assert closed == ()
    view = world.hub.insights.view(order.customer_id)
    assert [o.id for o in view.open_orders] == [order.id]


def test_the_invariant_check_names_a_closed_order_with_an_open_invoice(world: World) -> None:
    """``assert_closed_orders_settled`` fails for a closed order whose invoice is owed (as a
    reversal booked on the ledger alone, past the hub, leaves it)."""
    order, _, _ = world.shipped(("TENT", 1))
    world.hub.record_payment(order.customer_id, usd("149.00"), reference="p1")
    world.hub.receivables.reverse_payment("p1", on=date(2026, 3, 3), reason="bounced")

    with pytest.raises(AssertionError) as caught:
        assert_closed_orders_settled(world.hub)

    assert order.id in str(caught.value)
