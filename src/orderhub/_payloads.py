"""The payloads of the hub's effects, made on demand from the documents they describe.

An effect the hub emits keeps the hub's own frozen documents as they were when it was
emitted (an invoice, a journal entry, the order with its fulfilment orders …) and one of
the builders below; :attr:`Effect.payload <orderhub.Effect.payload>` calls the builder.
The builders are module-level functions so that a hub snapshot can name them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from orderhub._fulfilment import FulfillmentOrder
    from orderhub._orders import Order
    from orderhub.events import OrderCancelled

__all__ = ["cancellation", "plain", "sales_order"]


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
    """A cancelled sales order's payload: the order and the reason."""
    return {"order_id": event.order_id, "reason": event.reason}
