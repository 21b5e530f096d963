"""The hub's intake: capturing an order from any channel, and pricing its lines.

A mixin of :class:`orderhub.OrderHub`, kept in its own module so that each part of the hub
stays readable; :meth:`CaptureCommands.capture` is a hub command (validate everything, then
apply, then return the events).
"""

from __future__ import annotations

import decimal
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import attrs

from orderhub._catalog import CatalogPolicy, Item
from orderhub._money import _EXACT, Money, exact_sub, minor_units
from orderhub._orders import Order, OrderLine, line_quantities
from orderhub._pricing import discount_total
from orderhub._requests import OrderRequest
from orderhub.errors import (
    CurrencyMismatch,
    DuplicateId,
    IdempotencyConflict,
    InvalidMoney,
    UnknownCurrency,
    UnknownCustomer,
    UnknownSku,
    ValidationError,
)
from orderhub.events import Event, OrderCaptured

if TYPE_CHECKING:
    from orderhub._allocation import Allocator
    from orderhub._catalog import Catalog
    from orderhub._customers import CustomerMaster
    from orderhub._queue import IntakeQueue
    from orderhub.ports import IdFactory

__all__ = ["CaptureCommands", "Captured"]

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


class CaptureCommands:
    """Capture and pricing of orders, as hub commands."""

    if TYPE_CHECKING:  # provided by OrderHub
        catalog: Catalog
        customers: CustomerMaster
        _orders: dict[str, Order]
        _requests: dict[str, tuple[OrderRequest | None, str]]
        _alloc: Allocator
        _queue: IntakeQueue
        _ids: IdFactory

        def _now(self) -> datetime: ...
        def _record(self, events: Sequence[Event]) -> tuple[Event, ...]: ...

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
                    quantities=line_quantities(lr.quantity, lr.quantity),
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
