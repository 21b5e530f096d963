"""Allocation inside the hub: routing plans applied to the stock book, atomically.

The hub owns one :class:`Allocator`. It turns a strategy's :class:`~orderhub.routing.RoutingPlan`
into reservations and supply commitments (the whole plan or nothing), moves the lines'
quantities, keeps the waiting backorders in capture order, re-routes after a rejection, and
gives stock back when lines are cancelled or reservations expire.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from types import MappingProxyType

import attrs
from sortedcontainers import SortedList

from orderhub._fulfilment import FulfillmentBook
from orderhub._network import Network
from orderhub._orders import Order, OrderState
from orderhub._stock import ReserveRequest, StockBook
from orderhub._view import NetworkView
from orderhub.errors import InvalidPlan
from orderhub.events import Event, OrderRouted, OrderStateChanged
from orderhub.ports import Clock, IdFactory
from orderhub.routing import RoutingPlan, RoutingStrategy

__all__ = ["Allocator", "InvalidPlan", "allocation_state"]


_ALLOCATING = frozenset(
    {
        OrderState.CAPTURED,
        OrderState.BACKORDERED,
        OrderState.PARTIALLY_ALLOCATED,
        OrderState.ALLOCATED,
    }
)


def allocation_state(order: Order) -> OrderState:
    """The state an order's quantities put it in, before release."""
    allocated = backordered = open_ = 0
    for line in order.lines:
        q = line.quantities
        allocated += q.allocated
        backordered += q.backordered
        open_ += q.open
    if allocated and not backordered and not open_:
        return OrderState.ALLOCATED
    if allocated:
        return OrderState.PARTIALLY_ALLOCATED
    if backordered:
        return OrderState.BACKORDERED
    if open_:
        return OrderState.CAPTURED
    return order.state


def _counts() -> defaultdict[str, int]:
    return defaultdict(int)


class Allocator:
    """The hub's allocation bookkeeping: which reservations and supplies hold which line."""

    def __init__(
        self,
        *,
        network: Network,
        stock: StockBook,
        clock: Clock,
        ids: IdFactory,
        routing: RoutingStrategy,
        max_rejections: int,
    ) -> None:
        self.network = network
        self.stock = stock
        self._clock = clock
        self._ids = ids
        self.routing = routing
        self.max_rejections = max_rejections
        # (order id, line no) → {location id: units allocated there}, oldest first
        self._line_locations: dict[tuple[str, int], dict[str, int]] = defaultdict(dict)
        # (order id, line no) → {supply id: units promised to the line}
        self._line_supplies: dict[tuple[str, int], dict[str, int]] = defaultdict(dict)
        # sku → waiting lines in capture order: (captured_at, order seq, order id, line no)
        self._waiting: dict[str, SortedList] = defaultdict(SortedList)
        self._order_seq: dict[str, int] = {}
        self._rejected: dict[str, tuple[str, ...]] = {}
        # day → location → orders assigned that day (capacity use)
        self.fulfillment = FulfillmentBook(ids)
        self._capacity: dict[date, dict[str, int]] = defaultdict(_counts)

    # -- views ---------------------------------------------------------------------------

    def view(self, order: Order, now: datetime) -> NetworkView:
        """The network as the strategy may see it for ``order``: without the locations
        that rejected it, with today's capacity use."""
        today = now.date()
        for day in [d for d in self._capacity if d < today]:
            del self._capacity[day]  # capacity is per day: yesterday's use no longer counts
        used = MappingProxyType(self._capacity[today])
        return NetworkView(
            self.network,
            self.stock,
            excluded=frozenset(self._rejected.get(order.id, ())),
            capacity_used=used,
        )

    def rejected_by(self, order_id: str) -> tuple[str, ...]:
        """The locations that rejected ``order_id``, in order."""
        return self._rejected.get(order_id, ())

    def supplies_of(self, order_id: str, line_no: int) -> dict[str, int]:
        """The supplies promised to a line and how many units each."""
        return dict(self._line_supplies.get((order_id, line_no), {}))

    # -- planning ------------------------------------------------------------------------

    def plan(self, order: Order, now: datetime) -> RoutingPlan:
        """Ask the strategy for a plan of ``order``'s open units and check it fits."""
        plan = self.routing.plan(order, self.view(order, now))
        self._check(order, plan)
        return plan

    def _check(self, order: Order, plan: RoutingPlan) -> None:
        if not isinstance(plan, RoutingPlan):
            raise InvalidPlan(
                "a strategy must return a RoutingPlan",
                field="plan",
                value=plan,
                entity_id=order.id,
            )
        planned: dict[int, int] = defaultdict(int)
        skus = {line.line_no: line.sku for line in order.lines}
        for a in plan.assignments:
            if a.location_id not in self.network:
                raise InvalidPlan(
                    "unknown location",
                    field="location_id",
                    value=a.location_id,
                    entity_id=order.id,
                )
            if a.location_id in self._rejected.get(order.id, ()):
                raise InvalidPlan(
                    "location rejected this order",
                    field="location_id",
                    value=a.location_id,
                    entity_id=order.id,
                )
            for pl in a.lines:
                self._check_sku(order, skus, pl.line_no, pl.sku)
                planned[pl.line_no] += pl.quantity
        for b in plan.backorders:
            self._check_sku(order, skus, b.line_no, b.sku)
            if b.supply_id is not None and self.stock.supply(b.supply_id).sku != b.sku:
                raise InvalidPlan(
                    "backorder against a supply of another SKU",
                    field="supply_id",
                    value=b.supply_id,
                    entity_id=order.id,
                )
            planned[b.line_no] += b.quantity
        for line in order.lines:
            if planned.pop(line.line_no, 0) != line.quantities.open:
                raise InvalidPlan(
                    "plan does not cover exactly the line's open units",
                    field=f"lines[{line.line_no - 1}]",
                    value=line.quantities.open,
                    entity_id=order.id,
                )
        if planned:
            raise InvalidPlan(
                "plan names lines the order does not have",
                field="line_no",
                value=sorted(planned),
                entity_id=order.id,
            )
        wanted: dict[str, int] = defaultdict(int)
        for b in plan.backorders:
            if b.supply_id is not None:
                wanted[b.supply_id] += b.quantity
        for supply_id, qty in wanted.items():
            if self.stock.supply(supply_id).uncommitted < qty:
                raise InvalidPlan(
                    "supply over-committed", field="supply_id", value=supply_id, entity_id=order.id
                )

    @staticmethod
    def _check_sku(order: Order, skus: dict[int, str], line_no: int, sku: str) -> None:
        if skus.get(line_no, sku) != sku:
            raise InvalidPlan(
                f"line {line_no} is for {skus[line_no]}",
                field="sku",
                value=sku,
                entity_id=order.id,
            )

    def apply(
        self, order: Order, plan: RoutingPlan, now: datetime, expires_at: datetime | None
    ) -> tuple[Order, list[Event]]:
        """Reserve and commit for ``plan`` (all or nothing) and move the line quantities."""
        requests = [
            ReserveRequest(
                location_id=a.location_id, sku=pl.sku, quantity=pl.quantity, line_no=pl.line_no
            )
            for a in plan.assignments
            if self.network.get(a.location_id).tracks_stock
            for pl in a.lines
        ]
        if requests:
            self.stock._reserve(requests, order_id=order.id, expires_at=expires_at, ids=self._ids)
        for b in plan.backorders:
            if b.supply_id is not None:
                self.stock.commit_supply(
                    b.supply_id, b.quantity, order_id=order.id, line_no=b.line_no
                )
                held = self._line_supplies[(order.id, b.line_no)]
                held[b.supply_id] = held.get(b.supply_id, 0) + b.quantity
        allocated: dict[int, int] = defaultdict(int)
        backordered: dict[int, int] = defaultdict(int)
        for a in plan.assignments:
            for pl in a.lines:
                allocated[pl.line_no] += pl.quantity
                at = self._line_locations[(order.id, pl.line_no)]
                at[a.location_id] = at.get(a.location_id, 0) + pl.quantity
                self.fulfillment.add(
                    order.id, a.location_id, a.erp, order.line(pl.line_no), pl.quantity, now
                )
        for b in plan.backorders:
            backordered[b.line_no] += b.quantity
        changes: dict[int, dict[str, int]] = {}
        for line in order.lines:
            n = line.line_no
            if allocated[n] or backordered[n]:
                q = line.quantities
                changes[n] = {
                    "open": q.open - allocated[n] - backordered[n],
                    "allocated": q.allocated + allocated[n],
                    "backordered": q.backordered + backordered[n],
                }
        updated = order._with_line_quantities(changes) if changes else order
        for n in changes:
            if backordered[n]:
                self._wait(updated, n, updated.lines[n - 1].sku)
        today = self._capacity[now.date()]
        for loc in {a.location_id for a in plan.assignments}:
            today[loc] += 1
        events: list[Event] = [
            OrderRouted(
                occurred_at=now,
                order_id=order.id,
                assignments=plan.assignments,
                backorders=plan.backorders,
            )
        ]
        return self._settle(order, updated, now, events)

    def _settle(
        self, before: Order, order: Order, now: datetime, events: list[Event]
    ) -> tuple[Order, list[Event]]:
        if order.state not in _ALLOCATING and order.state is not OrderState.ON_HOLD:
            return order, events  # released or shipping: allocation no longer sets the state
        if order.state is OrderState.ON_HOLD and order.resume_state not in _ALLOCATING:
            return order, events
        target = allocation_state(order)
        if order.state is OrderState.ON_HOLD:
            if order.resume_state is not target:
                order = attrs.evolve(order, resume_state=target)
            return order, events
        if target is not order.state:
            order = order._moved(target)
            events.append(
                OrderStateChanged(
                    occurred_at=now,
                    order_id=order.id,
                    from_state=before.state.value,
                    to_state=target.value,
                )
            )
        return order, events

    def captured(self, order_id: str) -> None:
        """Note ``order_id``'s place in capture order: waiting lines of orders captured at
        the same instant are filled in this order."""
        self._order_seq.setdefault(order_id, len(self._order_seq))

    def _wait(self, order: Order, line_no: int, sku: str) -> None:
        seq = self._order_seq.setdefault(order.id, len(self._order_seq))
        entry = (order.captured_at, seq, order.id, line_no)
        waiting = self._waiting[sku]
        if entry not in waiting:
            waiting.add(entry)

    def waiting(self, sku: str) -> list[tuple[str, int]]:
        """(order id, line no) of the lines waiting for ``sku``, first captured first."""
        return [(e[2], e[3]) for e in self._waiting.get(sku, ())]

    # -- giving units back ---------------------------------------------------------------

    def unbackorder(self, order: Order, line_no: int, quantity: int) -> Order:
        """Take ``quantity`` backordered units of a line back to open, releasing the supply
        promised to them (the latest promise first)."""
        key = (order.id, line_no)
        held = self._line_supplies.get(key, {})
        left = quantity
        for supply_id in reversed(list(held)):
            if not left:
                break
            take = min(left, held[supply_id])
            self.stock.uncommit_supply(supply_id, take, order_id=order.id, line_no=line_no)
            held[supply_id] -= take
            if not held[supply_id]:
                del held[supply_id]
            left -= take
        q = order.line(line_no).quantities
        updated = order._with_quantities(
            line_no, open=q.open + quantity, backordered=q.backordered - quantity
        )
        if not updated.line(line_no).quantities.backordered:
            self._unwait(order, line_no)
        return updated

    def _unwait(self, order: Order, line_no: int) -> None:
        seq = self._order_seq.get(order.id)
        if seq is None:
            return
        entry = (order.captured_at, seq, order.id, line_no)
        self._waiting[order.line(line_no).sku].discard(entry)

    def unallocate(
        self,
        order: Order,
        line_no: int,
        quantity: int,
        *,
        reason: str,
        location_id: str | None = None,
        rejected: bool = False,
        reservation_id: str | None = None,
    ) -> Order:
        """Give ``quantity`` allocated units of a line back to open, releasing their
        reservations: the latest allocation first, or only those at ``location_id``. The
        units leave their fulfilment orders too (which end rejected if ``rejected``).
        ``reservation_id`` names the reservation to release first (the one that expired)."""
        at = self._line_locations.get((order.id, line_no), {})
        left = quantity
        for loc in reversed(list(at)):
            if not left:
                break
            if location_id is not None and loc != location_id:
                continue
            take = min(left, at[loc])
            if self.network.get(loc).tracks_stock:
                self._release(order.id, line_no, loc, take, reason, reservation_id)
            self.fulfillment.remove(order.id, line_no, loc, take, rejected=rejected)
            at[loc] -= take
            if not at[loc]:
                del at[loc]
            left -= take
        q = order.line(line_no).quantities
        return order._with_quantities(
            line_no, open=q.open + quantity, allocated=q.allocated - quantity
        )

    def _release(
        self,
        order_id: str,
        line_no: int,
        loc: str,
        quantity: int,
        reason: str,
        first: str | None = None,
    ) -> None:
        left = quantity
        live = [
            r
            for r in reversed(self.stock.reservations(order_id=order_id))
            if r.line_no == line_no and r.location_id == loc
        ]
        if first is not None:
            live.sort(key=lambda r: r.id != first)  # stable: ``first``, then latest first
        for r in live:
            if not left:
                break
            take = min(left, r.remaining)
            self.stock.release(r.id, take, reason=reason)
            left -= take

    def allocated_at(self, order: Order, location_id: str) -> dict[int, int]:
        """Units of each line of ``order`` allocated at ``location_id``."""
        out: dict[int, int] = {}
        for line in order.lines:
            n = self._line_locations.get((order.id, line.line_no), {}).get(location_id)
            if n:
                out[line.line_no] = n
        return out

    def locations_of(self, order_id: str, line_no: int) -> dict[str, int]:
        """Where a line's allocated units are, and how many at each."""
        return dict(self._line_locations.get((order_id, line_no), {}))

    def ship(self, order: Order, location_id: str, line_no: int, quantity: int) -> Order:
        """Ship ``quantity`` allocated units of a line from ``location_id``: their
        reservations are consumed (reserved → shipped, on-hand falls) oldest first."""
        at = self._line_locations[(order.id, line_no)]
        if self.network.get(location_id).tracks_stock:
            self.stock._consume_line(order.id, line_no, location_id, quantity)
        at[location_id] -= quantity
        if not at[location_id]:
            del at[location_id]
        q = order.line(line_no).quantities
        return order._with_quantities(
            line_no, allocated=q.allocated - quantity, shipped=q.shipped + quantity
        )

    def reject(self, order_id: str, location_id: str) -> int:
        """Record that ``location_id`` rejected ``order_id``; returns the rejection count."""
        seen = self._rejected.get(order_id, ())
        if location_id not in seen:
            self._rejected[order_id] = (*seen, location_id)
        return len(self._rejected[order_id])
