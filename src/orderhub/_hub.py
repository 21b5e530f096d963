"""The order hub: takes commands, keeps the aggregates, returns events."""

from __future__ import annotations

import decimal
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs

from orderhub._allocation import Allocator
from orderhub._catalog import Catalog, CatalogPolicy, Item
from orderhub._customers import CustomerMaster
from orderhub._effects import RetryPolicy
from orderhub._hub_cash import CashCommands
from orderhub._hub_effects import EffectCommands
from orderhub._hub_persist import PersistCommands
from orderhub._insight import Insights
from orderhub._journal import Journal, RecogniseOnShipment, RevenuePolicy
from orderhub._log import CommandLog, LoggedClock, LoggedIds, install
from orderhub._money import _EXACT, Money, exact_sub, minor_units
from orderhub._network import Network
from orderhub._orders import Hold, HoldKind, LineQuantities, Order, OrderLine, OrderState
from orderhub._pricing import discount_total, reprice
from orderhub._queue import IntakeQueue, QueuePriority, default_priority
from orderhub._receivables import Receivables
from orderhub._requests import LineRequest, OrderRequest
from orderhub._stock import StockBook, Supply
from orderhub._tax import RateTable, TaxMode, TaxPolicy, TaxRounding
from orderhub._terms import PaymentTerms
from orderhub._values import Address, aware
from orderhub.errors import (
    CurrencyMismatch,
    DuplicateId,
    IdempotencyConflict,
    IllegalTransition,
    InvalidMoney,
    InvalidQuantity,
    UnknownCurrency,
    UnknownCustomer,
    UnknownOrder,
    UnknownSku,
    ValidationError,
)
from orderhub.events import (
    AssignmentRejected,
    Event,
    OrderCancelled,
    OrderCaptured,
    OrderEdited,
    OrderHeld,
    OrderHoldReleased,
    OrderLineCancelled,
    OrderStateChanged,
    ReservationsExpired,
)
from orderhub.ports import Clock, IdFactory
from orderhub.routing import ByOwner, Closest, DropShip, RoutingStrategy, compose

__all__ = ["Captured", "OrderHub"]

_BEFORE_RELEASE = frozenset(
    {
        OrderState.CAPTURED,
        OrderState.BACKORDERED,
        OrderState.PARTIALLY_ALLOCATED,
        OrderState.ALLOCATED,
    }
)

_ZERO = Decimal(0)


@attrs.frozen
class Captured:
    """What :meth:`OrderHub.capture` returns: the order and the events the capture produced.

    ``is_duplicate`` is True when the request was a retry of one already captured: the
    order is the one captured then, and ``events`` is empty because nothing changed.
    """

    order: Order
    events: tuple[Event, ...]
    is_duplicate: bool = False


@attrs.frozen
class _Priced:
    currency: str
    lines: tuple[OrderLine, ...]
    total: Money


class OrderHub(CashCommands, EffectCommands, PersistCommands):
    """The hub: one intake queue for every channel, and the books it keeps.

    The host injects the clock and the id factory; the hub reads neither the system clock
    nor the environment and does no I/O. Every command validates everything first and
    raises before changing anything, then applies and returns the events it produced (also
    appended to :attr:`events`).
    """

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
        """The event log: every event the hub produced, oldest first."""
        return tuple(self._events)

    def _now(self) -> datetime:
        return aware(self._clock.now(), "clock.now()")

    def _record(self, events: Sequence[Event]) -> tuple[Event, ...]:
        recorded = (*events, *self.insights._apply(events))
        self._events.extend(recorded)
        self._effects_for(recorded)
        return recorded

    # -- capture -------------------------------------------------------------------------

    def capture(self, request: OrderRequest) -> Captured:
        """Capture an order from any channel onto the intake queue.

        Validates the request against the catalog, prices it (order discounts spread over
        the lines with :meth:`Money.allocate`), attaches it to the customer its identity
        matches (or creates one; see :class:`CustomerMaster` for ambiguous identities),
        records the attributes and consents captured with it, and queues it.

        The same request again (same idempotency key, equal content) returns the first
        order and changes nothing.

        Raises:
            IdempotencyConflict: the key was used by a different request.
            UnknownSku, CurrencyMismatch, InvalidMoney, ValidationError: the request is
                invalid; the error names the field. Nothing was changed.
        """
        if not isinstance(request, OrderRequest):
            raise ValidationError("must be an OrderRequest", field="request", value=request)
        key = request.key
        seen = self._requests.get(key)
        if seen is not None:
            first, order_id = seen
            if first is not None and first != request:
                raise IdempotencyConflict(
                    "this idempotency key was used by a different request",
                    field="idempotency_key",
                    value=key,
                    entity_id=order_id,
                )
            return Captured(self._orders[order_id], (), is_duplicate=True)

        now = self._now()
        placed_at = request.placed_at or now
        if placed_at > now:
            raise ValidationError(
                "must not lie in the future", field="placed_at", value=placed_at.isoformat()
            )
        priced = self._price(request)
        try:
            match = self.customers._match(request.customer, request.channel)
        except UnknownCustomer as e:
            raise UnknownCustomer(
                "no such customer", field="customer.customer_id", value=e.value
            ) from None

        # Everything is valid: from here on, apply.
        order_id = self._ids.new_id("order")
        if order_id in self._orders:
            raise DuplicateId("the id factory returned an id in use", field="id", value=order_id)
        new_customer_id = self._ids.new_id("customer") if match.customer_id is None else None
        if new_customer_id is not None and new_customer_id in self.customers:
            raise DuplicateId(
                "the id factory returned an id in use", field="id", value=new_customer_id
            )
        customers = self.customers
        customer, events = customers._identify(
            request.customer,
            request.channel,
            now,
            match,
            new_customer_id,
            order_id,
            request.attributes,
            placed_at,
        )
        customer, more = customers._record_consent(
            customer, request.consents, placed_at, request.channel
        )
        events.extend(more)
        order = Order(
            id=order_id,
            channel=request.channel,
            customer_id=customer.id,
            placed_at=placed_at,
            captured_at=now,
            currency=priced.currency,
            lines=priced.lines,
            idempotency_key=key,
            external_id=request.external_id,
            discounts=request.discounts,
            ship_to=request.ship_to,
            bill_to=request.bill_to,
            context=request.context,
            service_level=request.service_level,
        )
        self._orders[order_id] = order
        self._alloc.captured(order_id)
        self._requests[key] = (request, order_id)
        self._queue.push(order)
        events.append(
            OrderCaptured(
                occurred_at=now,
                order_id=order_id,
                customer_id=customer.id,
                channel=request.channel,
                external_id=request.external_id,
                total=priced.total,
                line_count=len(order.lines),
            )
        )
        return Captured(order, self._record(events))

    def _price(self, request: OrderRequest) -> _Priced:
        try:
            return self._price_exact(request)
        except (decimal.Inexact, decimal.Overflow, decimal.InvalidOperation):
            raise InvalidMoney(
                "amounts too large: orderhub keeps at most 60 significant digits",
                field="lines",
                value=len(request.lines),
            ) from None

    def _price_exact(self, request: OrderRequest) -> _Priced:
        # Works on Decimal amounts of one (checked) currency and builds Money only for what
        # the order keeps: capture is on every order's path.
        currency = request.currency
        if currency is not None:
            try:
                minor_units(currency)
            except UnknownCurrency:
                raise UnknownCurrency(
                    "not an active ISO 4217 currency code", field="currency", value=currency
                ) from None
        catalog = self.catalog
        # Exact arithmetic without a Python call per operation: the trapping context's own
        # methods (a result that would need rounding raises, and is refused below).
        mul, sub, add = _EXACT.multiply, _EXACT.subtract, _EXACT.add
        allow_priced = catalog.policy is CatalogPolicy.ALLOW_PRICED
        rows: list[tuple[Item | None, Money, Decimal]] = []
        nets: list[Decimal] = []
        for i, lr in enumerate(request.lines):
            item = catalog.find(lr.sku)
            if lr.unit_price is not None and (item is not None or allow_priced):
                price = lr.unit_price
            elif item is not None:
                price = item.price
            else:
                raise UnknownSku(
                    "no such SKU in the catalog", field=f"lines[{i}].sku", value=lr.sku
                )
            if currency is None:
                currency = price.currency
            elif price.currency != currency:
                raise CurrencyMismatch(
                    f"order is in {currency}", field=f"lines[{i}].unit_price", value=str(price)
                )
            if price.amount < 0:
                raise InvalidMoney(
                    "must not be negative; credit through a credit note",
                    field=f"lines[{i}].unit_price",
                    value=str(price),
                )
            gross = mul(price.amount, lr.quantity)
            discount = (
                discount_total(lr.discounts, gross, currency, f"lines[{i}].discounts")
                if lr.discounts
                else _ZERO
            )
            rows.append((item, price, discount))
            nets.append(sub(gross, discount))
        assert currency is not None
        subtotal = _ZERO
        for n in nets:
            subtotal = add(subtotal, n)
        order_discount = (
            discount_total(request.discounts, subtotal, currency, "discounts")
            if request.discounts
            else _ZERO
        )
        zero = Money.zero(currency)
        if order_discount:
            shares: Sequence[Money] = Money._exact(order_discount, currency).allocate(nets)
        else:
            shares = [zero] * len(nets)
        lines = []
        for i, lr in enumerate(request.lines):
            item, price, discount = rows[i]
            lines.append(
                OrderLine(
                    line_no=i + 1,
                    sku=lr.sku,
                    description=item.description if item is not None else lr.sku,
                    unit_price=price,
                    quantities=LineQuantities(ordered=lr.quantity, open=lr.quantity),
                    line_discount=Money._exact(discount, currency) if discount else zero,
                    order_discount=shares[i],
                    discounts=lr.discounts,
                    owner=item.owner if item is not None else "main",
                    category=item.category if item is not None else None,
                    drop_ship_vendor=item.drop_ship_vendor if item is not None else None,
                )
            )
        total = Money._exact(exact_sub(subtotal, order_discount), currency)
        return _Priced(currency, tuple(lines), total)

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
        updated = self._cancel_units(order, line_no, quantity, reason)
        return self._store_after_cancel(order, updated, [(line_no, quantity)], reason)

    def cancel(self, order_id: str, *, reason: str = "") -> tuple[Event, ...]:
        """Cancel everything still cancellable on every line of the order.

        Cancelling an order already cancelled changes nothing.
        """
        order = self.order(order_id)
        if order.state is OrderState.CANCELLED:
            return ()
        order._check_lines_changeable()
        updated = order
        cancelled: list[tuple[int, int]] = []
        for line in order.lines:
            n = self._cancellable(order, line.line_no)
            if n:
                updated = self._cancel_units(updated, line.line_no, n, reason)
                cancelled.append((line.line_no, n))
        return self._store_after_cancel(order, updated, cancelled, reason)

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
        self, before: Order, order: Order, cancelled: list[tuple[int, int]], reason: str
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
        elif order.state is OrderState.PARTIALLY_SHIPPED and all(
            line.quantities.shipped + line.quantities.cancelled == line.quantity
            for line in order.lines
        ):
            order = order._moved(OrderState.SHIPPED)
            events.append(_state_changed(now, order.id, before.state, OrderState.SHIPPED))
        elif order.state in _BEFORE_RELEASE or order.state is OrderState.ON_HOLD:
            order, events = self._alloc._settle(before, order, now, events)
        self._orders[order.id] = order
        if not any(line.quantities.open for line in order.lines):
            self._queue.remove(order.id)  # nothing left to route
        if any(line.quantities.allocated or line.quantities.backordered for line in before.lines):
            # stock given back, or a supply's promise withdrawn: offer it to the waiting lines
            events.extend(self._refill(order, dict(cancelled), now))
        return self._record(events)

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
        return self._record(events)

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
            has_stock = bool(self.stock.locations_with(sku))
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
            self._record(events)
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
        return self._record(events)

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
        return self._record(events)

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


def _state_changed(now: datetime, order_id: str, a: OrderState, b: OrderState) -> Event:
    return OrderStateChanged(
        occurred_at=now, order_id=order_id, from_state=a.value, to_state=b.value
    )


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
