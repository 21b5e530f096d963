"""The hub's commands on captured orders: holds, cancellation and edits.

A mixin of :class:`orderhub.OrderHub`, kept in its own module so that each part of the hub
stays readable; every method here is a hub command (validate everything, then apply, then
return the events).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import attrs

from orderhub._orders import Hold, HoldKind, LineQuantities, Order, OrderLine, OrderState
from orderhub._pricing import reprice
from orderhub._requests import LineRequest, OrderRequest
from orderhub._values import Address
from orderhub.errors import IllegalTransition, InvalidQuantity, ValidationError
from orderhub.events import (
    Event,
    OrderCancelled,
    OrderEdited,
    OrderHeld,
    OrderHoldReleased,
    OrderLineCancelled,
    OrderStateChanged,
)

if TYPE_CHECKING:
    from orderhub._allocation import Allocator
    from orderhub._fulfilment import FulfillmentOrder
    from orderhub._hub_capture import _Priced
    from orderhub._queue import IntakeQueue

__all__ = ["OrderCommands"]

_BEFORE_RELEASE = frozenset(
    {
        OrderState.CAPTURED,
        OrderState.BACKORDERED,
        OrderState.PARTIALLY_ALLOCATED,
        OrderState.ALLOCATED,
    }
)


class OrderCommands:
    """Holds, cancellation and edits of captured orders, as hub commands."""

    if TYPE_CHECKING:  # provided by OrderHub
        _orders: dict[str, Order]
        _alloc: Allocator
        _queue: IntakeQueue

        def _now(self) -> datetime: ...
        def _record(
            self,
            events: Sequence[Event],
            fos_before: Mapping[str, tuple[FulfillmentOrder, ...]] | None = None,
        ) -> tuple[Event, ...]: ...
        def order(self, order_id: str) -> Order: ...
        def _price(self, request: OrderRequest) -> _Priced: ...
        def _route(self, order: Order, now: datetime) -> list[Event]: ...
        def _close_paid(self, customer_id: str, now: datetime) -> list[Event]: ...
        def _refill(
            self, order: Order, lines: Mapping[int, int], now: datetime
        ) -> list[Event]: ...

    # -- holds ---------------------------------------------------------------------------

    def hold(self, order_id: str, kind: HoldKind, reason: str) -> tuple[Event, ...]:
        """Hold an order (payment, fraud, credit, manual): it leaves the intake queue and
        waits until every hold is released. Holding again with the same kind changes
        nothing."""
        order = self.order(order_id)
        if not isinstance(kind, HoldKind):
            raise ValidationError(
                "must be a HoldKind", field="kind", value=kind, entity_id=order_id
            )
        if not isinstance(reason, str) or not reason.strip():
            raise ValidationError(
                "must be a non-empty string", field="reason", value=reason, entity_id=order_id
            )
        if any(h.kind is kind for h in order.holds):
            return ()
        now = self._now()
        events: list[Event] = []
        if order.state is not OrderState.ON_HOLD:
            moved = order._moved(OrderState.ON_HOLD)
            order = attrs.evolve(moved, resume_state=order.state)
            events.append(
                _state_changed(now, order_id, OrderState(order.resume_state), OrderState.ON_HOLD)
            )
        order = attrs.evolve(
            order, holds=(*order.holds, Hold(kind=kind, reason=reason.strip(), placed_at=now))
        )
        self._orders[order_id] = order
        self._queue.remove(order_id)
        events.insert(
            0,
            OrderHeld(occurred_at=now, order_id=order_id, hold=kind.value, reason=reason.strip()),
        )
        return self._record(events)

    def release_hold(self, order_id: str, kind: HoldKind) -> tuple[Event, ...]:
        """Release one hold; when none is left the order resumes where it was (and goes back
        on the queue if it was waiting there). Releasing a hold that is not there changes
        nothing."""
        order = self.order(order_id)
        if not isinstance(kind, HoldKind):
            raise ValidationError(
                "must be a HoldKind", field="kind", value=kind, entity_id=order_id
            )
        remaining = tuple(h for h in order.holds if h.kind is not kind)
        if len(remaining) == len(order.holds):
            return ()
        now = self._now()
        events: list[Event] = [
            OrderHoldReleased(occurred_at=now, order_id=order_id, hold=kind.value)
        ]
        order = attrs.evolve(order, holds=remaining)
        if not remaining and order.resume_state is not None:
            target = order.resume_state
            order = attrs.evolve(order._moved(target), resume_state=None)
            events.append(_state_changed(now, order_id, OrderState.ON_HOLD, target))
        self._orders[order_id] = order
        if not remaining and any(line.quantities.open for line in order.lines):
            self._queue.push(order)
        if order.state is OrderState.INVOICED:  # paid while it was held: it closes now
            events.extend(self._close_paid(order.customer_id, now))
        return self._record(events)

    # -- cancellation --------------------------------------------------------------------

    def cancel_line(
        self, order_id: str, line_no: int, quantity: int | None = None, *, reason: str = ""
    ) -> tuple[Event, ...]:
        """Cancel ``quantity`` units (default: all that can be) of one line.

        Units are taken from the open quantity first, then from the backordered (giving back
        the supply promised to them), then from the allocated (releasing exactly their
        reservations). Allocated units can be cancelled until the order is released to
        fulfilment. Cancelling a line that has nothing left to cancel changes nothing.

        Raises:
            InvalidQuantity: more than the cancellable quantity was asked for.
            IllegalTransition: the order has shipped or is closed.
        """
        order = self.order(order_id)
        line = order.line(line_no)
        cancellable = self._cancellable(order, line_no)
        if quantity is None:
            quantity = cancellable
            if quantity == 0:
                return ()
        elif isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
            raise InvalidQuantity(
                "must be a positive integer", field="quantity", value=quantity, entity_id=order_id
            )
        if order.state is OrderState.CANCELLED:
            return ()
        order._check_lines_changeable()
        if quantity > cancellable:
            raise InvalidQuantity(
                f"only {cancellable} unit(s) of line {line.line_no} can be cancelled",
                field="quantity",
                value=quantity,
                entity_id=order_id,
            )
        fos_before = self._alloc.fulfillment.of_order(order_id)
        updated = self._cancel_units(order, line_no, quantity, reason)
        return self._store_after_cancel(order, updated, [(line_no, quantity)], reason, fos_before)

    def cancel(self, order_id: str, *, reason: str = "") -> tuple[Event, ...]:
        """Cancel everything still cancellable on every line of the order.

        Cancelling an order already cancelled changes nothing.
        """
        order = self.order(order_id)
        if order.state is OrderState.CANCELLED:
            return ()
        order._check_lines_changeable()
        fos_before = self._alloc.fulfillment.of_order(order_id)
        updated = order
        cancelled: list[tuple[int, int]] = []
        for line in order.lines:
            n = self._cancellable(order, line.line_no)
            if n:
                updated = self._cancel_units(updated, line.line_no, n, reason)
                cancelled.append((line.line_no, n))
        return self._store_after_cancel(order, updated, cancelled, reason, fos_before)

    def _cancellable(self, order: Order, line_no: int) -> int:
        q = order.line(line_no).quantities
        n = q.open + q.backordered
        if order.state in _BEFORE_RELEASE or order.resume_state in _BEFORE_RELEASE:
            n += q.allocated
        return n

    def _cancel_units(self, order: Order, line_no: int, quantity: int, reason: str) -> Order:
        q = order.line(line_no).quantities
        from_backorder = min(max(0, quantity - q.open), q.backordered)
        from_allocated = quantity - q.open - from_backorder if quantity > q.open else 0
        if from_backorder:
            order = self._alloc.unbackorder(order, line_no, from_backorder)
        if from_allocated > 0:
            why = f"cancelled: {reason}" if reason else "cancelled"
            order = self._alloc.unallocate(order, line_no, from_allocated, reason=why)
        q = order.line(line_no).quantities
        return order._with_quantities(
            line_no, open=q.open - quantity, cancelled=q.cancelled + quantity
        )

    def _store_after_cancel(
        self,
        before: Order,
        order: Order,
        cancelled: list[tuple[int, int]],
        reason: str,
        fos_before: tuple[FulfillmentOrder, ...],
    ) -> tuple[Event, ...]:
        now = self._now()
        events: list[Event] = [
            OrderLineCancelled(
                occurred_at=now, order_id=order.id, line_no=n, quantity=qty, reason=reason
            )
            for n, qty in cancelled
        ]
        if all(line.quantities.cancelled == line.quantity for line in order.lines):
            order = attrs.evolve(order._moved(OrderState.CANCELLED), holds=(), resume_state=None)
            events.append(_state_changed(now, order.id, before.state, OrderState.CANCELLED))
            events.append(OrderCancelled(occurred_at=now, order_id=order.id, reason=reason))
            self._queue.remove(order.id)
        elif order.state is OrderState.PARTIALLY_SHIPPED and _all_shipped_or_cancelled(order):
            # every unit is shipped or cancelled, and each shipment raised its invoice: the
            # order moves on as a last shipment moves it, to invoiced (and closed, if paid)
            order = order._moved(OrderState.SHIPPED)._moved(OrderState.INVOICED)
            events.append(_state_changed(now, order.id, before.state, OrderState.SHIPPED))
            events.append(_state_changed(now, order.id, OrderState.SHIPPED, OrderState.INVOICED))
        elif (
            order.state is OrderState.ON_HOLD
            and order.resume_state is OrderState.PARTIALLY_SHIPPED
            and _all_shipped_or_cancelled(order)
        ):
            order = attrs.evolve(order, resume_state=OrderState.INVOICED)  # as a last shipment
        elif order.state in _BEFORE_RELEASE or order.state is OrderState.ON_HOLD:
            order, events = self._alloc._settle(before, order, now, events)
        self._orders[order.id] = order
        if not any(line.quantities.open for line in order.lines):
            self._queue.remove(order.id)  # nothing left to route
        if any(line.quantities.allocated or line.quantities.backordered for line in before.lines):
            # stock given back, or a supply's promise withdrawn: offer it to the waiting lines
            events.extend(self._refill(order, dict(cancelled), now))
        if order.state is OrderState.INVOICED:
            events.extend(self._close_paid(order.customer_id, now))
        return self._record(events, {order.id: fos_before})

    # -- editing -------------------------------------------------------------------------

    def edit(
        self,
        order_id: str,
        *,
        quantities: Mapping[int, int] | None = None,
        add: Sequence[LineRequest] = (),
        remove: Sequence[int] = (),
        ship_to: Address | None = None,
    ) -> tuple[Event, ...]:
        """Change an order before it is released to fulfilment.

        ``quantities`` sets new ordered quantities by line number; ``remove`` takes lines out
        (a removed line keeps its number, with only its cancelled units left); ``add``
        appends lines priced like captured ones; ``ship_to`` moves the delivery. The order is
        priced again — line discounts recomputed, order discounts spread anew over the new
        line values — and only what changed is planned again: fewer units give back exactly
        the difference (open first, then backordered, then allocated), more units and new
        lines are routed, and a new ship-to re-routes everything. After release an edit is
        refused.

        Raises:
            IllegalTransition: the order has been released, shipped or closed.
            InvalidQuantity, UnknownSku, CurrencyMismatch, ValidationError: the edit is
                invalid; nothing changed.
        """
        order = self.order(order_id)
        state = order.resume_state if order.state is OrderState.ON_HOLD else order.state
        if state not in _BEFORE_RELEASE:
            raise IllegalTransition(
                "an order can only be edited before it is released",
                field="state",
                value=order.state.value,
                entity_id=order_id,
            )
        targets = self._edit_targets(order, quantities or {}, remove)
        added = self._edit_lines(order, add)
        if not added and all(
            targets.get(line.line_no, line.quantity) == line.quantities.cancelled
            for line in order.lines
        ):
            raise ValidationError(
                "an edit cannot take out every unit; cancel the order instead",
                field="remove",
                value=list(remove),
                entity_id=order_id,
            )
        if ship_to is not None and not isinstance(ship_to, Address):
            raise ValidationError(
                "must be an Address", field="ship_to", value=ship_to, entity_id=order_id
            )
        moved = ship_to is not None and ship_to != order.ship_to
        resized = [
            attrs.evolve(
                line,
                quantities=LineQuantities(
                    ordered=targets[line.line_no], open=targets[line.line_no]
                ),
            )
            if line.line_no in targets
            else line
            for line in order.lines
        ]
        priced, _ = reprice([*resized, *added], order.discounts, order.currency)
        if not targets and not added and not moved:
            return ()

        # Everything is valid: apply.
        now = self._now()
        fos_before = self._alloc.fulfillment.of_order(order_id)
        updated = order
        for line_no, target in targets.items():
            q = updated.line(line_no).quantities
            if target < q.ordered:
                fewer = q.ordered - target
                updated = self._cancel_units(updated, line_no, fewer, "edited")
                q = updated.line(line_no).quantities
                updated = updated._with_quantities(
                    line_no, ordered=target, cancelled=q.cancelled - fewer
                )
            else:
                updated = updated._with_quantities(
                    line_no, ordered=target, open=q.open + target - q.ordered
                )
        lines = [*updated.lines, *added]
        updated = attrs.evolve(
            updated,
            lines=tuple(
                attrs.evolve(line, line_discount=p.line_discount, order_discount=p.order_discount)
                for line, p in zip(lines, priced, strict=True)
            ),
        )
        if moved:
            updated = attrs.evolve(updated, ship_to=ship_to)
            for line in updated.lines:
                q = line.quantities
                if q.backordered:
                    updated = self._alloc.unbackorder(updated, line.line_no, q.backordered)
                if q.allocated:
                    updated = self._alloc.unallocate(
                        updated, line.line_no, q.allocated, reason="ship-to changed"
                    )
        changes = tuple(
            name
            for name, changed in (
                ("quantities", bool(quantities)),
                ("lines added", bool(added)),
                ("lines removed", bool(remove)),
                ("ship_to", moved),
            )
            if changed
        )
        self._orders[order_id] = updated
        events: list[Event] = [
            OrderEdited(occurred_at=now, order_id=order_id, changes=changes, total=updated.total)
        ]
        if order_id not in self._queue and updated.state is not OrderState.ON_HOLD:
            events.extend(self._route(updated, now))
        updated, events = self._alloc._settle(order, self._orders[order_id], now, events)
        self._orders[order_id] = updated
        if not any(line.quantities.open for line in updated.lines):
            self._queue.remove(order_id)  # nothing left to route
        events.extend(self._refill(updated, dict.fromkeys(targets, 0), now))
        return self._record(events, {order_id: fos_before})

    def _edit_targets(
        self, order: Order, quantities: Mapping[int, int], remove: Sequence[int]
    ) -> dict[int, int]:
        if not isinstance(quantities, Mapping):
            raise ValidationError(
                "must be a mapping of line number to quantity",
                field="quantities",
                value=quantities,
                entity_id=order.id,
            )
        targets: dict[int, int] = {}
        for line_no, qty in quantities.items():
            line = order.line(line_no)
            if isinstance(qty, bool) or not isinstance(qty, int) or qty <= 0:
                raise InvalidQuantity(
                    "must be a positive integer (remove= takes a line out)",
                    field=f"quantities[{line_no}]",
                    value=qty,
                    entity_id=order.id,
                )
            if qty < line.quantities.cancelled:
                raise InvalidQuantity(
                    f"{line.quantities.cancelled} unit(s) of the line are already cancelled",
                    field=f"quantities[{line_no}]",
                    value=qty,
                    entity_id=order.id,
                )
            targets[line_no] = qty
        for line_no in remove:
            line = order.line(line_no)
            if line_no in targets:
                raise ValidationError(
                    "a line cannot be both changed and removed",
                    field="remove",
                    value=line_no,
                    entity_id=order.id,
                )
            targets[line_no] = line.quantities.cancelled
        return {n: t for n, t in targets.items() if t != order.line(n).quantity}

    def _edit_lines(self, order: Order, add: Sequence[LineRequest]) -> tuple[OrderLine, ...]:
        if not add:
            return ()
        request = OrderRequest(
            channel=order.channel, idempotency_key="edit", lines=list(add), currency=order.currency
        )
        return tuple(
            attrs.evolve(line, line_no=len(order.lines) + line.line_no)
            for line in self._price(request).lines
        )


def _all_shipped_or_cancelled(order: Order) -> bool:
    return all(
        line.quantities.shipped + line.quantities.cancelled == line.quantity
        for line in order.lines
    )


def _state_changed(now: datetime, order_id: str, a: OrderState, b: OrderState) -> Event:
    return OrderStateChanged(
        occurred_at=now, order_id=order_id, from_state=a.value, to_state=b.value
    )
