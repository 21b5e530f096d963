"""The order hub: takes commands, keeps the aggregates, returns events."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, ClassVar

import attrs

from orderhub._allocation import Allocator
from orderhub._catalog import Catalog, CatalogPolicy
from orderhub._customers import CustomerMaster
from orderhub._effects import RetryPolicy
from orderhub._fulfilment import FulfillmentOrder
from orderhub._hub_capture import CaptureCommands
from orderhub._hub_cash import CashCommands
from orderhub._hub_effects import EffectCommands
from orderhub._hub_orders import OrderCommands
from orderhub._hub_payments import PaymentCommands
from orderhub._hub_persist import PersistCommands
from orderhub._hub_returns import ReturnCommands
from orderhub._insight import Insights
from orderhub._journal import Journal, RecogniseOnShipment, RevenuePolicy
from orderhub._log import CommandLog, LoggedClock, LoggedIds, install
from orderhub._network import Network
from orderhub._orders import HoldKind, Order, OrderState
from orderhub._queue import IntakeQueue, QueuePriority, default_priority
from orderhub._receivables import Receivables
from orderhub._requests import OrderRequest
from orderhub._stock import StockBook, Supply
from orderhub._tax import RateTable, TaxMode, TaxPolicy, TaxRounding
from orderhub._terms import PaymentTerms
from orderhub._values import aware
from orderhub.errors import UnknownOrder, ValidationError
from orderhub.events import AssignmentRejected, Event, ReservationsExpired
from orderhub.ports import Clock, IdFactory
from orderhub.routing import ByOwner, Closest, DropShip, RoutingStrategy, compose

__all__ = ["OrderHub"]


class OrderHub(
    CaptureCommands,
    OrderCommands,
    CashCommands,
    PaymentCommands,
    ReturnCommands,
    EffectCommands,
    PersistCommands,
):
    """The hub: one intake queue for every channel, and the books it keeps.

    The host injects the clock and the id factory; the hub reads neither the system clock
    nor the environment and does no I/O. Every command validates everything first and
    raises before changing anything, then applies and returns the events it produced (also
    appended to :attr:`events`).
    """

    # Indexes derived from the books: a snapshot does not hold them (so they cost its
    # layout nothing), and restore rebuilds them with _rebuild_derived().
    _rebuilt_on_restore: ClassVar[tuple[str, ...]] = ("_shipments_of",)

    def __init__(
        self,
        *,
        clock: Clock,
        ids: IdFactory,
        routing: RoutingStrategy | None = None,
        catalog_policy: CatalogPolicy = CatalogPolicy.STRICT,
        queue_priority: QueuePriority = default_priority,
        max_rejections: int = 3,
        reservation_ttl: timedelta | None = None,
        tax: TaxPolicy | None = None,
        tax_mode: TaxMode = TaxMode.EXCLUSIVE,
        tax_rounding: TaxRounding = TaxRounding.PER_LINE,
        terms: PaymentTerms | None = None,
        revenue_policy: RevenuePolicy | None = None,
        numbers: IdFactory | None = None,
        retry: RetryPolicy | None = None,
        default_erp: str = "main",
    ) -> None:
        if (
            isinstance(max_rejections, bool)
            or not isinstance(max_rejections, int)
            or (max_rejections < 1)
        ):
            raise ValidationError(
                "must be a positive int", field="max_rejections", value=max_rejections
            )
        if reservation_ttl is not None and (
            not isinstance(reservation_ttl, timedelta) or reservation_ttl <= timedelta(0)
        ):
            raise ValidationError(
                "must be a positive timedelta or None",
                field="reservation_ttl",
                value=reservation_ttl,
            )
        self._events: list[Event] = []
        self._command_log = log = CommandLog(clock, self._events)
        clock = self._clock = LoggedClock(clock, log)
        numbers = (
            LoggedIds(numbers, "numbers", log)
            if numbers is not None and numbers is not ids
            else None
        )
        ids = self._ids = LoggedIds(ids, "ids", log)
        self.catalog = Catalog(catalog_policy)
        self.customers = CustomerMaster(clock, ids)
        self.network = Network()
        self.stock = StockBook(clock)
        self._reservation_ttl = reservation_ttl
        self._alloc = Allocator(
            network=self.network,
            stock=self.stock,
            clock=clock,
            ids=ids,
            routing=routing if routing is not None else compose(ByOwner(), DropShip(), Closest()),
            max_rejections=max_rejections,
        )
        self._orders: dict[str, Order] = {}
        self._requests: dict[str, tuple[OrderRequest | None, str]] = {}
        self._queue = IntakeQueue(queue_priority)
        self.customers._on_erase.append(self._erase_order_data)
        self.customers._publish = self._record
        self._init_effects(
            retry=retry if retry is not None else RetryPolicy(), default_erp=default_erp
        )
        self._init_cash(
            tax=tax if tax is not None else RateTable({}),
            tax_mode=tax_mode,
            tax_rounding=tax_rounding,
            terms=terms if terms is not None else PaymentTerms(),
            revenue_policy=revenue_policy if revenue_policy is not None else RecogniseOnShipment(),
            numbers=numbers if numbers is not None else ids,
        )
        self.insights = Insights(self)
        books: tuple[Any, ...] = (
            self.catalog,
            self.customers,
            self.network,
            self.stock,
            self.insights,
            self.receivables,
            self.journal,
        )
        for book in books:
            book._command_log = log

    # -- queries -------------------------------------------------------------------------

    def order(self, order_id: str) -> Order:
        """The current snapshot of order ``order_id``."""
        try:
            return self._orders[order_id]
        except (KeyError, TypeError):
            raise UnknownOrder("no such order", field="order_id", value=order_id) from None

    def orders(self) -> Iterator[Order]:
        """Every order, in capture order."""
        return iter(self._orders.values())

    def orders_of(self, customer_id: str) -> tuple[Order, ...]:
        """The orders of a customer (including those of customers merged into it)."""
        customer = self.customers.get(customer_id)
        return tuple(self._orders[o] for o in customer.order_ids)

    def queued(self) -> tuple[str, ...]:
        """The ids of the orders waiting in the intake queue, next to be served first."""
        return tuple(self._queue)

    @property
    def events(self) -> tuple[Event, ...]:
        """The event log: every event the hub produced, oldest first (a copy of all of it:
        a host that polls for new events reads :meth:`events_since`)."""
        return tuple(self._events)

    def events_since(self, position: int) -> tuple[Event, ...]:
        """The events recorded after the first ``position`` ones, oldest first.

        For a host that forwards the event log (to a queue, a warehouse): it keeps the
        number of events it has forwarded as its cursor and asks for what came after, at a
        cost proportional to what is new, not to the whole log.
        ``events_since(0) == events``. A position counts events of the log, so it stays
        valid in a hub restored from a snapshot and in one rebuilt by replaying the command
        log.

        Raises:
            ValidationError: ``position`` is not an int from 0 to the number of events.
        """
        events = self._events
        if (
            isinstance(position, bool)
            or not isinstance(position, int)
            or not 0 <= position <= len(events)
        ):
            raise ValidationError(
                f"must be an int from 0 to {len(events)} (the number of events)",
                field="position",
                value=position,
            )
        return tuple(events[position:])

    def _now(self) -> datetime:
        return aware(self._clock.now(), "clock.now()")

    def _record(
        self,
        events: Sequence[Event],
        fos_before: Mapping[str, tuple[FulfillmentOrder, ...]] | None = None,
    ) -> tuple[Event, ...]:
        """Log ``events`` (and what insight made of them) and derive their effects;
        ``fos_before``: see :meth:`_effects_for`."""
        recorded = (*events, *self.insights._apply(events))
        self._events.extend(recorded)
        self._effects_for(recorded, fos_before)
        return recorded

    # -- routing and allocation ----------------------------------------------------------

    @property
    def routing(self) -> RoutingStrategy:
        """The routing strategy the hub plans orders with."""
        return self._alloc.routing

    def process(self, limit: int | None = None) -> tuple[Event, ...]:
        """Route and allocate queued orders, highest priority first (all, or ``limit``).

        Each order's plan is reserved atomically — the whole plan or nothing — and its lines
        move to allocated or backordered. Waiting backorders whose SKU has stock again are
        re-planned first, first captured first filled.
        """
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)):
            raise ValidationError("must be an int or None", field="limit", value=limit)
        now = self._now()
        events: list[Event] = []
        for sku in list(self._alloc._waiting):
            events.extend(self._fill_backorders(sku, now))
        done = 0
        while limit is None or done < limit:
            order_id = self._queue.pop()
            if order_id is None:
                break
            try:
                events.extend(self._route(self._orders[order_id], now))
            except Exception:
                self._queue.push(self._orders[order_id])
                self._record(events)
                raise
            done += 1
        return self._record(events)

    def _route(self, order: Order, now: datetime) -> list[Event]:
        if not any(line.quantities.open for line in order.lines):
            return []
        plan = self._alloc.plan(order, now)
        expires = None if self._reservation_ttl is None else now + self._reservation_ttl
        updated, events = self._alloc.apply(order, plan, now, expires)
        self._orders[order.id] = updated
        self._queue.remove(order.id)  # routed (a backorder filled, say): no longer queued
        return events

    def _fill_backorders(self, sku: str, now: datetime) -> list[Event]:
        """Re-plan the orders waiting for ``sku``, first captured first, while it has stock
        on hand (or while a line without supply can be promised some).

        All of an order's waiting lines are planned again together, so that a strategy
        that ships complete sees the whole order, not one line at a time.
        """
        events: list[Event] = []
        done: set[str] = set()
        for order_id, line_no in self._alloc.waiting(sku):
            if order_id in done:
                continue
            has_stock = next(self.stock._available_at(sku), None) is not None
            has_supply = bool(self.stock.supplies(sku))
            if not has_stock and not has_supply:
                break
            order = self._orders[order_id]
            line = order.line(line_no)
            if order.state is OrderState.ON_HOLD or not line.quantities.backordered:
                continue
            if not has_stock and self._alloc.supplies_of(order_id, line_no):
                continue  # already promised a supply; only stock on hand improves it
            done.add(order_id)
            for waiting in order.lines:
                if waiting.quantities.backordered:
                    order = self._alloc.unbackorder(
                        order, waiting.line_no, waiting.quantities.backordered
                    )
            self._orders[order_id] = order
            events.extend(self._route(order, now))
        return events

    def receive(
        self, location_id: str, sku: str, quantity: int, *, reference: str | None = None
    ) -> tuple[Event, ...]:
        """Book stock arriving at a location and fill the backorders waiting for it, first
        captured first filled."""
        self.network.get(location_id)
        self.stock.receive(location_id, sku, quantity, reference=reference)
        return self._record(self._fill_backorders(sku, self._now()))

    def add_supply(self, supply: Supply) -> tuple[Event, ...]:
        """Record incoming supply (a purchase order or transfer) and promise it to the
        backorders waiting with no supply, first captured first."""
        if isinstance(supply, Supply):
            self.network.get(supply.location_id)
        self.stock.add_supply(supply)
        return self._record(self._fill_backorders(supply.sku, self._now()))

    def receive_supply(self, supply_id: str, quantity: int | None = None) -> tuple[Event, ...]:
        """Book the arrival of (part of) a supply and fill the backorders waiting for its
        SKU, first captured first filled."""
        supply = self.stock.supply(supply_id)
        self.stock.receive_supply(supply_id, quantity)
        return self._record(self._fill_backorders(supply.sku, self._now()))

    def reject(self, order_id: str, location_id: str, *, reason: str) -> tuple[Event, ...]:
        """A location rejected (or cannot fill) its part of an order: release those units
        and re-route them, never to a location that rejected the order. After
        ``max_rejections`` rejections the order is held for a person instead.

        Rejecting an order a location holds nothing of changes nothing (a duplicate).
        """
        order = self.order(order_id)
        self.network.get(location_id)
        if not isinstance(reason, str) or not reason.strip():
            raise ValidationError(
                "must be a non-empty string", field="reason", value=reason, entity_id=order_id
            )
        units = self._alloc.allocated_at(order, location_id)
        if not units:
            return ()
        now = self._now()
        fos_before = {order_id: self._alloc.fulfillment.of_order(order_id)}
        count = self._alloc.reject(order_id, location_id)
        for line_no, qty in units.items():
            order = self._alloc.unallocate(
                order,
                line_no,
                qty,
                reason=f"rejected: {reason}",
                location_id=location_id,
                rejected=True,
            )
        events: list[Event] = [
            AssignmentRejected(
                occurred_at=now,
                order_id=order_id,
                location_id=location_id,
                reason=reason,
                rejections=count,
            )
        ]
        self._orders[order_id] = order
        if count >= self._alloc.max_rejections:
            order, more = self._alloc._settle(self._orders[order_id], order, now, [])
            self._orders[order_id] = order
            events.extend(more)
            self._record(events, fos_before)
            held = self.hold(
                order_id,
                HoldKind.MANUAL,
                f"rejected by {count} locations: {', '.join(self._alloc.rejected_by(order_id))}",
            )
            # the units given back go to the lines waiting for them (not to the held order)
            refilled = self._record(self._refill(self._orders[order_id], units, now))
            return tuple(events) + held + refilled
        if order.holds:
            # A held order is not routed until its holds are released (release_hold puts it
            # back on the queue with these units open); until then they serve others.
            order, more = self._alloc._settle(order, order, now, [])
            self._orders[order_id] = order
            events.extend(more)
            self._queue.remove(order_id)
        else:
            events.extend(self._route(order, now))
        events.extend(self._refill(self._orders[order_id], units, now))
        return self._record(events, fos_before)

    def _refill(self, order: Order, lines: Mapping[int, int], now: datetime) -> list[Event]:
        """Offer units given back (by a cancellation, rejection or expiry) to the lines
        waiting for those SKUs."""
        events: list[Event] = []
        for sku in dict.fromkeys(order.line(n).sku for n in lines):
            events.extend(self._fill_backorders(sku, now))
        return events

    def expire_reservations(self) -> tuple[Event, ...]:
        """Tell the hub time has moved on: reservations past their expiry are released and
        their orders go back on the queue to be routed again."""
        now = self._now()
        due = self.stock.expiring(now)
        if not due:
            return ()
        freed: dict[str, list[tuple[int, str, int, str]]] = {}
        for r in due:
            freed.setdefault(r.order_id, []).append((r.line_no, r.location_id, r.remaining, r.id))
        fos_before = {oid: self._alloc.fulfillment.of_order(oid) for oid in freed}
        events: list[Event] = []
        for order_id, parts in freed.items():
            order = self._orders[order_id]
            for line_no, loc, qty, reservation_id in parts:
                order = self._alloc.unallocate(
                    order,
                    line_no,
                    qty,
                    reason="expired",
                    location_id=loc,
                    reservation_id=reservation_id,
                )
            before = self._orders[order_id]
            order, more = self._alloc._settle(
                before,
                order,
                now,
                [
                    ReservationsExpired(
                        occurred_at=now, order_id=order_id, quantity=sum(p[2] for p in parts)
                    )
                ],
            )
            self._orders[order_id] = order
            if order.state is not OrderState.ON_HOLD:
                self._queue.push(order)
            events.extend(more)
        for order_id, parts in freed.items():
            lines = {line_no: qty for line_no, _, qty, _ in parts}
            events.extend(self._refill(self._orders[order_id], lines, now))
        return self._record(events, fos_before)

    def _rebuild_derived(self) -> None:
        """Rebuild the indexes a snapshot does not hold (:attr:`_rebuilt_on_restore`)."""
        self._index_shipments()

    # -- personal data -------------------------------------------------------------------

    def _erase_order_data(self, customer_id: str, order_ids: Sequence[str]) -> None:
        for oid in order_ids:
            order = self._orders[oid]
            self._orders[oid] = attrs.evolve(
                order,
                ship_to=None if order.ship_to is None else order.ship_to.erased(),
                bill_to=None if order.bill_to is None else order.bill_to.erased(),
            )
            key = order.idempotency_key
            if key in self._requests:
                self._requests[key] = (None, oid)


def _insight_idle(insights: Insights) -> bool:
    return not insights._pending and len(insights._hub.customers._aliases) == (
        insights._aliases_seen
    )


# The commands the command log records: the hub's own, and the state-changing methods of the
# books it owns that a host may call directly (``hub.stock.receive(...)``). Calls the hub
# makes inside a command are part of that command, not entries of their own.
install(
    {
        OrderHub: (
            "",
            (
                "capture",
                "hold",
                "release_hold",
                "cancel_line",
                "cancel",
                "edit",
                "process",
                "receive",
                "add_supply",
                "receive_supply",
                "reject",
                "expire_reservations",
                "release",
                "accept",
                "start_picking",
                "mark_packed",
                "reject_fulfillment",
                "confirm_shipment",
                "confirm_delivery",
                "credit",
                "record_payment",
                "write_off",
                "reverse_payment",
                "refund",
                "authorize_return",
                "receive_return",
                "resolve",
            ),
        ),
        Catalog: ("catalog", ("add", "replace")),
        Network: ("network", ("add",)),
        StockBook: (
            "stock",
            (
                "receive",
                "adjust",
                "transfer",
                "return_stock",
                "reserve",
                "release",
                "consume",
                "keep",
                "expire",
                "add_supply",
                "commit_supply",
                "uncommit_supply",
                "receive_supply",
            ),
        ),
        CustomerMaster: ("customers", ("capture_attributes", "set_consent", "merge", "erase")),
        Insights: (
            "insights",
            (
                "timezone",
                "import_history",
                "refresh",
                "define",
                "add_offer",
                # Insight takes the hub's events lazily, when a query (or a snapshot) asks:
                # logged when there is something to catch up on, so a replay catches up
                # at the same points.
                ("_current", _insight_idle),
            ),
        ),
        Receivables: (
            "receivables",
            (
                "add_invoice",
                "add_credit_note",
                "record_payment",
                "apply_unapplied",
                "write_off",
                "reverse_payment",
                "refund",
            ),
        ),
        Journal: ("journal", ("post",)),
    }
)
