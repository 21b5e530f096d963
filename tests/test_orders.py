"""Orders: the state table, holds, cancellation, and quantities that always reconcile."""

from __future__ import annotations

import enum
from datetime import timedelta
from typing import Any

import attrs
import pytest

from helpers import T0, events_of, hub_state, make_hub, reconciles, request
from orderhub import (
    ORDER_STATES,
    Hold,
    HoldKind,
    IllegalTransition,
    InvalidQuantity,
    LineQuantities,
    LineRequest,
    OrderHub,
    OrderState,
    ServiceLevel,
    StateTable,
    UnknownOrder,
    ValidationError,
)
from orderhub.events import (
    OrderCancelled,
    OrderHeld,
    OrderHoldReleased,
    OrderLineCancelled,
    OrderStateChanged,
)

_LEGAL = [(s, t) for s, targets in ORDER_STATES.transitions.items() for t in targets]
_ILLEGAL = [(s, t) for s in OrderState for t in OrderState if (s, t) not in _LEGAL]


def _three_line_order(hub: OrderHub, external_id: str = "W-1", **fields: Any) -> str:
    lines = [
        LineRequest(sku="TENT", quantity=2),
        LineRequest(sku="MAT", quantity=3),
        LineRequest(sku="LAMP", quantity=1),
    ]
    return hub.capture(request(external_id, lines=lines, **fields)).order.id


def _moved(state: OrderState, target: OrderState) -> str:
    return f"{state.value} -> {target.value}"


# -- the state table ---------------------------------------------------------------------------


def test_every_state_is_in_the_table() -> None:
    """The table lists every OrderState, starting at captured."""
    states = set(ORDER_STATES.transitions)

    assert states == set(OrderState)
    assert ORDER_STATES.initial is OrderState.CAPTURED


def test_only_cancelled_is_final_and_closed_only_reopens() -> None:
    """Cancelled orders go nowhere; a closed order can only go back to invoiced, the one
    labelled move (a payment reversal); every other state has a way out."""
    final = {s for s in OrderState if ORDER_STATES.is_final(s)}

    assert final == {OrderState.CANCELLED}
    assert ORDER_STATES.transitions[OrderState.CLOSED] == {OrderState.INVOICED}
    assert ORDER_STATES.labels == {
        (OrderState.CLOSED, OrderState.INVOICED): "only by a payment reversal"
    }


def test_every_state_can_reach_a_final_state() -> None:
    """No state is a dead end short of closed or cancelled."""
    reach = {s: set(t) for s, t in ORDER_STATES.transitions.items()}
    changed = True
    while changed:
        changed = False
        for s in reach:
            more = set().union(*(reach[t] for t in reach[s])) - reach[s]
            if more:
                reach[s] |= more
                changed = True

    assert all(
        s in {OrderState.CLOSED, OrderState.CANCELLED}
        or reach[s] & {OrderState.CLOSED, OrderState.CANCELLED}
        for s in OrderState
    )


@pytest.mark.parametrize(("source", "target"), _LEGAL)
def test_transitions_in_the_table_are_legal(source: OrderState, target: OrderState) -> None:
    """Every transition the table lists passes the check."""
    legal = ORDER_STATES.can(source, target)

    ORDER_STATES.check(source, target, "order-1")
    assert legal


@pytest.mark.parametrize(("source", "target"), _ILLEGAL)
def test_transitions_not_in_the_table_are_illegal(source: OrderState, target: OrderState) -> None:
    """Every transition the table does not list raises IllegalTransition naming it."""
    with pytest.raises(IllegalTransition) as caught:
        ORDER_STATES.check(source, target, "order-1")

    assert not ORDER_STATES.can(source, target)
    assert (caught.value.field, caught.value.value, caught.value.entity_id) == (
        "state",
        _moved(source, target),
        "order-1",
    )
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(("source", "target"), [(s, t) for s, t in _ILLEGAL if s is not t])
def test_an_order_cannot_make_an_illegal_move(source: OrderState, target: OrderState) -> None:
    """An order snapshot refuses to move along a transition the table does not list."""
    hub, _ = make_hub()
    snapshot = attrs.evolve(hub.capture(request()).order, state=source)

    with pytest.raises(IllegalTransition):
        snapshot._moved(target)

    assert snapshot.state is source


@pytest.mark.parametrize("state", list(OrderState))
def test_moving_to_the_current_state_is_no_move(state: OrderState) -> None:
    """Asking an order to move to the state it is in returns it unchanged."""
    hub, _ = make_hub()
    snapshot = attrs.evolve(hub.capture(request()).order, state=state)

    moved = snapshot._moved(state)

    assert moved is snapshot


def test_transitions_property_is_a_copy() -> None:
    """Changing the mapping ``transitions`` returns does not change the table."""
    table = ORDER_STATES.transitions

    table[OrderState.CLOSED] = frozenset({OrderState.CAPTURED})  # type: ignore[index]

    assert not ORDER_STATES.can(OrderState.CLOSED, OrderState.CAPTURED)


def test_mermaid_diagram_draws_every_edge() -> None:
    """The Mermaid rendering has the start, every legal transition, and an end per final state."""
    diagram = ORDER_STATES.to_mermaid()

    lines = diagram.splitlines()
    assert lines[0] == "stateDiagram-v2"
    assert "    [*] --> captured" in lines
    edges = {line.strip().split(": ")[0] for line in lines[1:]}
    assert {f"{s.value} --> {t.value}" for s, t in _LEGAL} <= edges
    assert "cancelled --> [*]" in edges
    assert "    closed --> invoiced: only by a payment reversal" in lines
    assert len(edges) == len(_LEGAL) + 2


def test_state_table_from_other_enums() -> None:
    """A StateTable works for any Enum: the mapping decides, missing states are final."""

    class Light(enum.Enum):
        RED = "red"
        GREEN = "green"
        OFF = "off"

    table = StateTable("light", Light.RED, {Light.RED: frozenset({Light.GREEN})})

    assert table.can(Light.RED, Light.GREEN)
    assert table.is_final(Light.OFF)
    assert table.to_mermaid().splitlines() == [
        "stateDiagram-v2",
        "    [*] --> red",
        "    red --> green",
    ]


class _Light(enum.Enum):
    RED = "red"
    GREEN = "green"


def test_state_table_draws_a_label_on_its_edge() -> None:
    """A labelled transition is drawn with its label; the others as before."""
    table = StateTable(
        "light",
        _Light.RED,
        {_Light.RED: frozenset({_Light.GREEN}), _Light.GREEN: frozenset({_Light.RED})},
        labels={(_Light.GREEN, _Light.RED): " only at night "},
    )

    lines = table.to_mermaid().splitlines()

    assert lines == [
        "stateDiagram-v2",
        "    [*] --> red",
        "    red --> green",
        "    green --> red: only at night",
    ]
    assert table.labels == {(_Light.GREEN, _Light.RED): "only at night"}


@pytest.mark.parametrize(
    ("labels", "field"),
    [
        ({(_Light.GREEN, _Light.RED): "x"}, "labels"),  # not a transition of the table
        ({_Light.RED: "x"}, "labels"),  # not a (source, target) pair
        ({(_Light.RED, _Light.GREEN): " "}, "labels[red -> green]"),
        ({(_Light.RED, _Light.GREEN): "two\nlines"}, "labels[red -> green]"),
        ({(_Light.RED, _Light.GREEN): 7}, "labels[red -> green]"),
    ],
)
def test_state_table_refuses_a_bad_label(labels: Any, field: str) -> None:
    """A label on a transition the table lacks, or one that is not a one-line text, is
    refused naming it."""
    with pytest.raises(ValidationError) as caught:
        StateTable("light", _Light.RED, {_Light.RED: frozenset({_Light.GREEN})}, labels=labels)

    assert caught.value.field == field


def test_labels_property_is_a_copy() -> None:
    """Changing the mapping ``labels`` returns does not change the table."""
    labels = ORDER_STATES.labels

    labels.clear()  # type: ignore[attr-defined]

    assert ORDER_STATES.labels


@pytest.mark.parametrize("target", sorted(ORDER_STATES.transitions[OrderState.CLOSED], key=str))
def test_a_closed_order_leaves_closed_only_by_reopening(target: OrderState) -> None:
    """The move out of closed is legal in the table, but an order refuses it through the
    ordinary move: only ``_reopened`` (the payment reversal's path) takes it."""
    hub, _ = make_hub()
    closed = attrs.evolve(hub.capture(request()).order, state=OrderState.CLOSED)

    with pytest.raises(IllegalTransition) as caught:
        closed._moved(target)
    reopened = closed._reopened()

    assert caught.value.value == _moved(OrderState.CLOSED, target)
    assert closed.state is OrderState.CLOSED
    assert reopened.state is OrderState.INVOICED


@pytest.mark.parametrize("state", [s for s in OrderState if s is not OrderState.CLOSED])
def test_only_a_closed_order_reopens(state: OrderState) -> None:
    """Re-opening is refused for an order that is not closed, and changes nothing."""
    hub, _ = make_hub()
    snapshot = attrs.evolve(hub.capture(request()).order, state=state)

    with pytest.raises(IllegalTransition) as caught:
        snapshot._reopened()

    assert caught.value.value == _moved(state, OrderState.INVOICED)
    assert snapshot.state is state


# -- holds -------------------------------------------------------------------------------------


def test_hold_takes_the_order_off_the_queue() -> None:
    """A held order leaves the intake queue and is on hold until released."""
    hub, clock = make_hub()
    oid = hub.capture(request()).order.id
    clock.advance(minutes=5)
    now = T0 + timedelta(minutes=5)

    events = hub.hold(oid, HoldKind.FRAUD, "  score 97 ")

    order = hub.order(oid)
    assert order.state is OrderState.ON_HOLD
    assert order.is_on_hold
    assert order.holds == (Hold(kind=HoldKind.FRAUD, reason="score 97", placed_at=now),)
    assert order.resume_state is OrderState.CAPTURED
    assert hub.queued() == ()
    assert events == (
        OrderHeld(occurred_at=now, order_id=oid, hold="fraud", reason="score 97"),
        OrderStateChanged(
            occurred_at=now, order_id=oid, from_state="captured", to_state="on_hold"
        ),
    )
    assert hub.events[-2:] == events


def test_release_resumes_the_order_and_requeues_it_in_its_place() -> None:
    """Releasing the last hold resumes the order where it was, back at its place in the queue."""
    hub, clock = make_hub()
    first = hub.capture(request("W-1")).order.id
    clock.advance(minutes=1)
    second = hub.capture(request("W-2")).order.id
    hub.hold(first, HoldKind.PAYMENT, "card declined")
    clock.advance(minutes=1)

    events = hub.release_hold(first, HoldKind.PAYMENT)

    order = hub.order(first)
    assert (order.state, order.holds, order.resume_state) == (OrderState.CAPTURED, (), None)
    assert hub.queued() == (first, second)
    now = T0 + timedelta(minutes=2)
    assert events == (
        OrderHoldReleased(occurred_at=now, order_id=first, hold="payment"),
        OrderStateChanged(
            occurred_at=now, order_id=first, from_state="on_hold", to_state="captured"
        ),
    )


def test_order_with_two_holds_waits_for_both() -> None:
    """An order held twice over stays held and off the queue until every hold is released."""
    hub, _ = make_hub()
    oid = hub.capture(request()).order.id
    hub.hold(oid, HoldKind.FRAUD, "review")
    second = hub.hold(oid, HoldKind.CREDIT, "over limit")

    partly = hub.release_hold(oid, HoldKind.FRAUD)

    order = hub.order(oid)
    assert [h.kind for h in order.holds] == [HoldKind.CREDIT]
    assert order.state is OrderState.ON_HOLD
    assert hub.queued() == ()
    assert events_of(second, OrderStateChanged) == []
    assert events_of(partly, OrderStateChanged) == []
    hub.release_hold(oid, HoldKind.CREDIT)
    assert hub.queued() == (oid,)


def test_holding_again_with_the_same_kind_is_harmless() -> None:
    """A second hold of a kind already in place returns no events and changes nothing."""
    hub, _ = make_hub()
    oid = hub.capture(request()).order.id
    hub.hold(oid, HoldKind.MANUAL, "check address")
    before = hub_state(hub)

    events = hub.hold(oid, HoldKind.MANUAL, "check again")

    assert events == ()
    assert hub_state(hub) == before


@pytest.mark.parametrize("held", [True, False])
def test_releasing_a_hold_that_is_not_there_is_harmless(held: bool) -> None:
    """Releasing a hold the order does not have returns no events and changes nothing."""
    hub, _ = make_hub()
    oid = hub.capture(request()).order.id
    if held:
        hub.hold(oid, HoldKind.FRAUD, "review")
    before = hub_state(hub)

    events = hub.release_hold(oid, HoldKind.PAYMENT)

    assert events == ()
    assert hub_state(hub) == before


@pytest.mark.parametrize(
    ("kind", "reason", "field"),
    [
        ("fraud", "review", "kind"),
        (HoldKind.FRAUD, "  ", "reason"),
        (HoldKind.FRAUD, None, "reason"),
    ],
)
def test_bad_hold_is_rejected_and_nothing_changes(kind: Any, reason: Any, field: str) -> None:
    """A hold needs a HoldKind and a reason."""
    hub, _ = make_hub()
    oid = hub.capture(request()).order.id
    before = hub_state(hub)

    with pytest.raises(ValidationError) as caught:
        hub.hold(oid, kind, reason)

    assert (caught.value.field, caught.value.entity_id) == (field, oid)
    assert hub_state(hub) == before


def test_release_with_a_bad_kind_is_rejected_and_nothing_changes() -> None:
    """Releasing needs a HoldKind."""
    hub, _ = make_hub()
    oid = hub.capture(request()).order.id
    hub.hold(oid, HoldKind.FRAUD, "review")
    before = hub_state(hub)

    with pytest.raises(ValidationError) as caught:
        hub.release_hold(oid, "fraud")  # type: ignore[arg-type]

    assert caught.value.field == "kind"
    assert hub_state(hub) == before


def test_holding_a_cancelled_order_is_illegal_and_nothing_changes() -> None:
    """A cancelled order cannot be put on hold."""
    hub, _ = make_hub()
    oid = hub.capture(request()).order.id
    hub.cancel(oid)
    before = hub_state(hub)

    with pytest.raises(IllegalTransition) as caught:
        hub.hold(oid, HoldKind.FRAUD, "late review")

    assert (caught.value.value, caught.value.entity_id) == ("cancelled -> on_hold", oid)
    assert hub_state(hub) == before


@pytest.mark.parametrize(
    "command",
    [
        lambda hub: hub.hold("order-9", HoldKind.FRAUD, "x"),
        lambda hub: hub.release_hold("order-9", HoldKind.FRAUD),
        lambda hub: hub.cancel("order-9"),
        lambda hub: hub.cancel_line("order-9", 1),
        lambda hub: hub.order("order-9"),
        lambda hub: hub.order(["not", "hashable"]),
    ],
)
def test_commands_on_an_unknown_order_are_rejected(command: Any) -> None:
    """Any command naming an order the hub does not know raises UnknownOrder."""
    hub, _ = make_hub()
    hub.capture(request())
    before = hub_state(hub)

    with pytest.raises(UnknownOrder) as caught:
        command(hub)

    assert caught.value.field == "order_id"
    assert isinstance(caught.value, LookupError)
    assert hub_state(hub) == before


# -- cancellation ------------------------------------------------------------------------------


def test_partial_line_cancellation() -> None:
    """Cancelling part of a line moves those units from open to cancelled; the order stays."""
    hub, _ = make_hub()
    oid = _three_line_order(hub)

    events = hub.cancel_line(oid, 2, 2, reason="out of colour")

    order = hub.order(oid)
    assert order.lines[1].quantities == LineQuantities(ordered=3, open=1, cancelled=2)
    assert order.state is OrderState.CAPTURED
    assert hub.queued() == (oid,)
    assert events == (
        OrderLineCancelled(
            occurred_at=T0, order_id=oid, line_no=2, quantity=2, reason="out of colour"
        ),
    )
    assert reconciles(order)


def test_line_cancellation_defaults_to_everything_cancellable() -> None:
    """Without a quantity, every open unit of the line is cancelled."""
    hub, _ = make_hub()
    oid = _three_line_order(hub)
    hub.cancel_line(oid, 2, 1)

    hub.cancel_line(oid, 2)

    assert hub.order(oid).lines[1].quantities == LineQuantities(ordered=3, open=0, cancelled=3)
    assert hub.order(oid).state is OrderState.CAPTURED


def test_cancelling_every_line_cancels_the_order() -> None:
    """When the last open unit is cancelled the order is cancelled and leaves the queue."""
    hub, _ = make_hub()
    oid = _three_line_order(hub)
    hub.cancel_line(oid, 1)
    hub.cancel_line(oid, 2)

    events = hub.cancel_line(oid, 3, 1, reason="changed mind")

    assert hub.order(oid).state is OrderState.CANCELLED
    assert hub.queued() == ()
    assert events == (
        OrderLineCancelled(
            occurred_at=T0, order_id=oid, line_no=3, quantity=1, reason="changed mind"
        ),
        OrderStateChanged(
            occurred_at=T0, order_id=oid, from_state="captured", to_state="cancelled"
        ),
        OrderCancelled(occurred_at=T0, order_id=oid, reason="changed mind"),
    )


def test_cancelling_a_line_with_nothing_left_is_harmless() -> None:
    """Cancelling a line already fully cancelled returns no events and changes nothing."""
    hub, _ = make_hub()
    oid = _three_line_order(hub)
    hub.cancel_line(oid, 1)
    before = hub_state(hub)

    events = hub.cancel_line(oid, 1)

    assert events == ()
    assert hub_state(hub) == before


@pytest.mark.parametrize("quantity", [4, 100])
def test_over_cancellation_is_rejected_and_nothing_changes(quantity: int) -> None:
    """Cancelling more units than are open raises InvalidQuantity."""
    hub, _ = make_hub()
    oid = _three_line_order(hub)
    before = hub_state(hub)

    with pytest.raises(InvalidQuantity) as caught:
        hub.cancel_line(oid, 2, quantity)

    assert (caught.value.field, caught.value.value, caught.value.entity_id) == (
        "quantity",
        quantity,
        oid,
    )
    assert hub_state(hub) == before


def test_over_cancellation_counts_what_was_already_cancelled() -> None:
    """After cancelling 2 of 3 units, cancelling 2 more is too many."""
    hub, _ = make_hub()
    oid = _three_line_order(hub)
    hub.cancel_line(oid, 2, 2)
    before = hub_state(hub)

    with pytest.raises(InvalidQuantity):
        hub.cancel_line(oid, 2, 2)

    assert hub_state(hub) == before


@pytest.mark.parametrize("quantity", [0, -1, True, 1.0, "1"])
def test_cancel_quantity_must_be_a_positive_int(quantity: Any) -> None:
    """A cancel quantity that is not a positive integer raises InvalidQuantity."""
    hub, _ = make_hub()
    oid = _three_line_order(hub)
    before = hub_state(hub)

    with pytest.raises(InvalidQuantity):
        hub.cancel_line(oid, 1, quantity)

    assert hub_state(hub) == before


@pytest.mark.parametrize("line_no", [0, 4, -1, True, "1", None])
def test_cancel_of_a_line_that_does_not_exist_is_rejected(line_no: Any) -> None:
    """Line numbers run from 1 to the number of lines; anything else raises."""
    hub, _ = make_hub()
    oid = _three_line_order(hub)
    before = hub_state(hub)

    with pytest.raises(ValidationError) as caught:
        hub.cancel_line(oid, line_no, 1)

    assert (caught.value.field, caught.value.entity_id) == ("line_no", oid)
    assert hub_state(hub) == before


def test_cancel_whole_order() -> None:
    """Cancelling an order cancels every open unit of every line and takes it off the queue."""
    hub, clock = make_hub()
    oid = _three_line_order(hub)
    hub.cancel_line(oid, 2, 1)
    clock.advance(minutes=3)
    now = T0 + timedelta(minutes=3)

    events = hub.cancel(oid, reason="fraud")

    order = hub.order(oid)
    assert order.state is OrderState.CANCELLED
    assert [line.quantities.cancelled for line in order.lines] == [2, 3, 1]
    assert [line.quantities.open for line in order.lines] == [0, 0, 0]
    assert hub.queued() == ()
    assert events == (
        OrderLineCancelled(occurred_at=now, order_id=oid, line_no=1, quantity=2, reason="fraud"),
        OrderLineCancelled(occurred_at=now, order_id=oid, line_no=2, quantity=2, reason="fraud"),
        OrderLineCancelled(occurred_at=now, order_id=oid, line_no=3, quantity=1, reason="fraud"),
        OrderStateChanged(
            occurred_at=now, order_id=oid, from_state="captured", to_state="cancelled"
        ),
        OrderCancelled(occurred_at=now, order_id=oid, reason="fraud"),
    )
    assert reconciles(order)


def test_cancelling_twice_is_harmless() -> None:
    """Cancelling a cancelled order, or one of its lines, returns no events, changes nothing."""
    hub, _ = make_hub()
    oid = _three_line_order(hub)
    hub.cancel(oid)
    before = hub_state(hub)

    again = hub.cancel(oid)
    line = hub.cancel_line(oid, 1, 1)

    assert again == line == ()
    assert hub_state(hub) == before


def test_cancelling_a_held_order_clears_its_holds() -> None:
    """A held order can be cancelled; its holds go with it and it stays off the queue."""
    hub, _ = make_hub()
    oid = _three_line_order(hub)
    hub.hold(oid, HoldKind.FRAUD, "review")

    events = hub.cancel(oid)

    order = hub.order(oid)
    assert (order.state, order.holds, order.resume_state) == (OrderState.CANCELLED, (), None)
    assert hub.queued() == ()
    assert events_of(events, OrderStateChanged)[0].from_state == "on_hold"


def test_partly_cancelling_a_held_order_keeps_it_held() -> None:
    """Cancelling some units of a held order leaves it held and off the queue."""
    hub, _ = make_hub()
    oid = _three_line_order(hub)
    hub.hold(oid, HoldKind.CREDIT, "limit")

    hub.cancel_line(oid, 1, 1)

    assert hub.order(oid).state is OrderState.ON_HOLD
    assert hub.queued() == ()
    hub.release_hold(oid, HoldKind.CREDIT)
    assert hub.queued() == (oid,)
    assert hub.order(oid).lines[0].quantities == LineQuantities(ordered=2, open=1, cancelled=1)


def test_cancellation_keeps_the_captured_amounts() -> None:
    """Cancelling units does not reprice the order: amounts are fixed at capture."""
    hub, _ = make_hub()
    oid = _three_line_order(hub)
    total = hub.order(oid).total

    hub.cancel_line(oid, 1, 1)

    assert hub.order(oid).total == total


def test_queue_keeps_service_level_after_hold_and_release() -> None:
    """A released express order goes back ahead of standard orders."""
    hub, clock = make_hub()
    express = hub.capture(request("W-1", service_level=ServiceLevel.EXPRESS)).order.id
    clock.advance(minutes=1)
    standard = hub.capture(request("W-2")).order.id
    hub.hold(express, HoldKind.MANUAL, "call customer")

    hub.release_hold(express, HoldKind.MANUAL)

    assert hub.queued() == (express, standard)


# -- reconciliation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "parts",
    [
        {"ordered": 3, "open": 2},
        {"ordered": 3, "open": 4},
        {"ordered": 3, "open": 4, "cancelled": -1},
        {"ordered": 5, "open": 1, "allocated": 1, "backordered": 1, "shipped": 1},
    ],
)
def test_quantities_that_do_not_reconcile_are_rejected(parts: dict[str, int]) -> None:
    """Line quantities must be non-negative and add up to the ordered quantity."""
    with pytest.raises(InvalidQuantity) as caught:
        LineQuantities(**parts)

    assert caught.value.field == "quantities"


def test_quantities_that_reconcile_are_accepted() -> None:
    """ordered = open + allocated + backordered + shipped + cancelled is accepted."""
    q = LineQuantities(ordered=5, open=1, allocated=1, backordered=1, shipped=1, cancelled=1)

    assert q.ordered == 5


def test_order_reports_quantities_by_line() -> None:
    """``quantities()`` maps line numbers to their quantities."""
    hub, _ = make_hub()
    oid = _three_line_order(hub)
    hub.cancel_line(oid, 3)

    quantities = hub.order(oid).quantities()

    assert quantities == {
        1: LineQuantities(ordered=2, open=2),
        2: LineQuantities(ordered=3, open=3),
        3: LineQuantities(ordered=1, open=0, cancelled=1),
    }
