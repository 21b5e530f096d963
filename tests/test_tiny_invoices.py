"""Invoices too small for their payment terms: a discount that would round up to the whole
amount, instalments that would round to zero. Shipping must still work (found by the
`st.from_type` strategies: `confirm_shipment` used to change the books and then raise)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from orderhub import (
    Channel,
    CustomerIdentity,
    Instalment,
    Item,
    LineRequest,
    Location,
    LocationKind,
    Money,
    OrderHub,
    OrderRequest,
    PaymentTerms,
)
from orderhub.ports import Succeeded
from orderhub.testing import FixedClock, SequentialIds
from orderhub.testing.invariants import (
    assert_invoices_exact,
    assert_journal_balances,
    assert_receivables_agree,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def ship_one(terms: PaymentTerms, price: Money) -> OrderHub:
    hub = OrderHub(clock=FixedClock(T0), ids=SequentialIds(), terms=terms)
    hub.catalog.add(Item(sku="PIN", description="pin", price=price))
    hub.network.add(Location(id="dc", kind=LocationKind.DC))
    hub.stock.receive("dc", "PIN", 5)
    order = hub.capture(
        OrderRequest(
            channel=Channel.WEB,
            external_id="W-1",
            customer=CustomerIdentity(email="a@example.com"),
            lines=[LineRequest(sku="PIN", quantity=1)],
        )
    ).order
    hub.process()
    for effect in hub.pending_effects():
        hub.resolve(effect, Succeeded("x"))
    fo = hub.fulfillment_orders(order.id)[0]
    hub.confirm_shipment(fo.id, {1: 1}, carrier="UPS", tracking="1")
    return hub


@pytest.mark.parametrize(("price", "currency"), [("0.01", "USD"), ("1", "JPY"), ("0.001", "KWD")])
def test_a_discount_never_takes_the_whole_amount(price: str, currency: str) -> None:
    terms = PaymentTerms(net_days=30, discount_percent=Decimal("60"), discount_days=10)
    assert terms.discount(Money(price, currency)).is_zero
    hub = ship_one(terms, Money(price, currency))
    (invoice,) = hub.invoices()
    assert invoice.early_payment_discount < invoice.grand_total
    assert hub.receivables.item(invoice.id).is_open
    assert_invoices_exact(hub)
    assert_receivables_agree(hub, T0.date())
    assert_journal_balances(hub, currency)


def test_instalments_too_small_to_split_fall_due_together() -> None:
    terms = PaymentTerms(
        net_days=90,
        instalments=(
            Instalment(share=Decimal("0.5"), due_days=30),
            Instalment(share=Decimal("0.3"), due_days=60),
            Instalment(share=Decimal("0.2"), due_days=90),
        ),
    )
    parts = terms.instalment_amounts(Money("0.01", "USD"))
    assert parts == ((Money("0.01", "USD"), 30),)
    assert sum(
        (p for p, _ in terms.instalment_amounts(Money("0.02", "USD"))), Money(0, "USD")
    ) == (Money("0.02", "USD"))
    hub = ship_one(terms, Money("0.01", "USD"))
    (invoice,) = hub.invoices()
    assert hub.receivables.item(invoice.id).is_open
    assert_receivables_agree(hub, T0.date())
    assert_journal_balances(hub, "USD")
