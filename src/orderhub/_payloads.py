"""The payloads of the hub's effects, made on demand from the documents they describe.

An effect the hub emits keeps the hub's own frozen documents as they were when it was
emitted (an invoice, a journal entry, the order with its fulfilment orders …) and one of
the builders below; :attr:`Effect.payload <orderhub.Effect.payload>` calls the builder.
The builders are module-level functions so that a hub snapshot can name them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from orderhub.events import OrderCancelled

if TYPE_CHECKING:
    from orderhub._fulfilment import FulfillmentOrder
    from orderhub._orders import Order
    from orderhub.events import OrderLineCancelled

__all__ = [
    "cancellation",
    "fulfillment_withdrawal",
    "plain",
    "sales_order",
    "sales_order_cancellation",
    "withdrawn_lines",
]

WithdrawnLines = tuple[tuple[int, str, int], ...]
"""Units taken off a document: ``(line_no, sku, quantity)`` per order line."""


_unstructure: Callable[[Any], Any] | None = None


def plain(source: Any) -> Any:
    """``source`` (a document or event) as JSON-safe data
    (:func:`orderhub.serialization.unstructure`)."""
    global _unstructure
    if _unstructure is None:  # imported late: serialization imports the hub's modules
        from orderhub.serialization import unstructure

        _unstructure = unstructure
    return _unstructure(source)


def sales_order(source: tuple[Order | FulfillmentOrder, ...]) -> dict[str, Any]:
    """A sales order's payload from ``(order, *fulfilment_orders)``: the order, the lines
    routed to the ERP, their fulfilment orders."""
    order: Order = source[0]  # type: ignore[assignment]
    fos: tuple[FulfillmentOrder, ...] = source[1:]  # type: ignore[assignment]
    return {
        "order": plain(order),
        "lines": [
            {"line_no": fl.line_no, "sku": fl.sku, "quantity": fl.quantity}
            for fo in fos
            for fl in fo.lines
        ],
        "fulfillment_orders": [fo.id for fo in fos],
    }


def cancellation(event: OrderCancelled) -> dict[str, Any]:
    """A cancelled sales order's payload as hubs before partial cancellations made it: the
    order and the reason. Emits nothing now; kept so that snapshots naming it restore."""
    return {"order_id": event.order_id, "reason": event.reason}


def _lines(lines: WithdrawnLines) -> list[dict[str, Any]]:
    return [{"line_no": n, "sku": sku, "quantity": q} for n, sku, q in lines]


def sales_order_cancellation(
    source: tuple[OrderCancelled | OrderLineCancelled, WithdrawnLines],
) -> dict[str, Any]:
    """The payload of a cancellation sent to one ERP, from ``(event, lines)``: the order,
    the reason, ``whole_order`` (true when the event is the order's :class:`OrderCancelled`:
    nothing is left of the sales order) and the ``lines`` whose units this cancellation took
    off the ERP's fulfilment orders (``line_no``, ``sku``, ``quantity`` withdrawn)."""
    event, lines = source
    return {
        "order_id": event.order_id,
        "reason": event.reason,
        "whole_order": isinstance(event, OrderCancelled),
        "lines": _lines(lines),
    }


def fulfillment_withdrawal(source: tuple[FulfillmentOrder, FulfillmentOrder]) -> dict[str, Any]:
    """The payload withdrawing part of a fulfilment order, from ``(before, after)``: the
    fulfilment order as it now stands (its ``lines`` are what remains to ship) and the
    ``withdrawn`` units (``line_no``, ``sku``, ``quantity``) that ``before`` had and
    ``after`` has not."""
    before, after = source
    return {**plain(after), "withdrawn": _lines(withdrawn_lines(before, after))}


def withdrawn_lines(before: FulfillmentOrder, after: FulfillmentOrder) -> WithdrawnLines:
    """The units of each line that ``before`` (a fulfilment order) had and ``after`` (the
    same one, later) has not, in line order."""
    left = {fl.line_no: fl.quantity for fl in after.lines}
    return tuple(
        (fl.line_no, fl.sku, fl.quantity - left.get(fl.line_no, 0))
        for fl in before.lines
        if fl.quantity > left.get(fl.line_no, 0)
    )
