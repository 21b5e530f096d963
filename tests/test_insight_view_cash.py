"""The 360° view and the profile pick up what fulfilment, billing and returns report."""

from __future__ import annotations

from datetime import UTC, datetime

from orderhub import (
    Address,
    Channel,
    CustomerIdentity,
    GeoPoint,
    Item,
    LineRequest,
    Location,
    LocationKind,
    Money,
    OrderHub,
    OrderRequest,
)
from orderhub.testing import FixedClock, SequentialIds


def _shipped_hub() -> tuple[OrderHub, str, str]:
    hub = OrderHub(clock=FixedClock(datetime(2026, 3, 2, 9, tzinfo=UTC)), ids=SequentialIds())
    hub.catalog.add(Item(sku="TENT", description="Tent", price=Money("100.00", "USD")))
    hub.network.add(Location(id="dc", kind=LocationKind.DC, geo=GeoPoint(40, -74)))
    hub.stock.receive("dc", "TENT", 10)
    order = hub.capture(
        OrderRequest(
            channel=Channel.WEB,
            external_id="W-1",
            customer=CustomerIdentity(email="ann@example.com"),
            ship_to=Address(line1="1 Main St", city="Newark", country="US"),
            lines=[LineRequest(sku="TENT", quantity=2)],
        )
    ).order
    hub.process()
    hub.release(order.id)
    fo = hub.fulfillment_orders(order.id)[0]
    hub.confirm_shipment(fo.id, {"TENT": 2}, carrier="UPS", tracking="1Z1")
    return hub, order.id, order.customer_id


def test_view_lists_shipments_invoices_open_items_and_returns() -> None:
    """A call-centre agent sees the tracking number, the invoice, the open item and the RMA."""
    hub, order_id, customer_id = _shipped_hub()
    hub.authorize_return(order_id, {1: 1}, reason="too small")

    view = hub.insights.view(customer_id)

    assert [s.tracking for s in view.shipments] == ["1Z1"]
    assert [i.grand_total for i in view.invoices] == [Money("200.00", "USD")]
    assert [item.open for item in view.open_items] == [Money("200.00", "USD")]
    assert [r.order_id for r in view.returns] == [order_id]


def test_profile_carries_the_open_balance_and_the_return_rate() -> None:
    """The profile's open balance follows the ledger and returns raise the return rate."""
    hub, order_id, customer_id = _shipped_hub()
    hub.record_payment(customer_id, Money("50.00", "USD"), reference="bank-1")
    hub.authorize_return(order_id, {1: 1}, reason="too small")

    profile = hub.insights.profile(customer_id)

    assert profile.open_balance == {"USD": Money("150.00", "USD")}
    assert profile.returned_units == 1
    assert profile.return_rate > 0
