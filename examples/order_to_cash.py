"""From release to cash: an order shipped in two parts, an invoice per shipment, a partial
payment and an over-payment, then the receivables aging and the trial balance.

Run it with ``python examples/order_to_cash.py``. Everything runs in memory on a fixed clock;
the report at the end is what a finance team would look at.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from orderhub import (
    Account,
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
    PaymentTerms,
    RateTable,
    Shipped,
)
from orderhub.testing import FixedClock, SequentialIds


class DocumentNumbers:
    """The host's legal numbering: INV-2026-0001, … and CN-2026-0001, … without gaps."""

    def __init__(self, year: int) -> None:
        self.year = year
        self.counts: dict[str, int] = {}

    def new_id(self, kind: str) -> str:
        n = self.counts.get(kind, 0) + 1
        self.counts[kind] = n
        prefix = "INV" if kind == "invoice-number" else "CN"
        return f"{prefix}-{self.year}-{n:04d}"


def build_hub(clock: FixedClock) -> OrderHub:
    """A hub with Illinois sales tax, 2/10 net 30 terms and one stocked DC in Chicago."""
    hub = OrderHub(
        clock=clock,
        ids=SequentialIds(),
        tax=RateTable({"US-IL": Decimal("0.1025")}),
        terms=PaymentTerms.parse("2/10 net 30"),
        numbers=DocumentNumbers(2026),
    )
    hub.catalog.add(Item(sku="TENT-2P", description="2-person tent", price=Money("149.00", "USD")))
    hub.catalog.add(Item(sku="STOVE-1", description="Camp stove", price=Money("54.99", "USD")))
    hub.network.add(Location(id="dc-chi", kind=LocationKind.DC, geo=GeoPoint(41.85, -87.65)))
    hub.stock.receive("dc-chi", "TENT-2P", 20)
    hub.stock.receive("dc-chi", "STOVE-1", 20)
    return hub


def capture(hub: OrderHub, external_id: str, email: str, lines: dict[str, int]) -> str:
    """Capture, route and release a web order; returns its id."""
    order = hub.capture(
        OrderRequest(
            channel=Channel.WEB,
            external_id=external_id,
            customer=CustomerIdentity(email=email),
            ship_to=Address(
                line1="1 Main St",
                city="Chicago",
                region="IL",
                postal_code="60601",
                country="US",
                geo=GeoPoint(41.88, -87.63),
            ),
            lines=[LineRequest(sku=sku, quantity=q) for sku, q in lines.items()],
        )
    ).order
    hub.process()
    hub.release(order.id)
    return order.id


def show_shipment(hub: OrderHub, shipped: Shipped) -> None:
    """Print a shipment's packing slip and its invoice."""
    slip = hub.packing_slip(shipped.shipment.id)
    print(f"  shipment {slip.shipment_id} via {slip.carrier} {slip.tracking}")
    for ln in slip.lines:
        print(
            f"    {ln.sku:<8} now {ln.shipped_now}  before {ln.shipped_before}"
            f"  to come {ln.to_come}"
        )
    invoice = shipped.invoice
    assert invoice is not None
    print(
        f"  invoice {invoice.number}: net {invoice.net_total}  tax {invoice.tax_total}"
        f"  total {invoice.grand_total}  due {invoice.due_on}"
        f" (2 % off until {invoice.discount_until})"
    )


def main() -> None:
    clock = FixedClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    hub = build_hub(clock)

    ann_order = capture(hub, "W-1001", "ann@example.com", {"TENT-2P": 2, "STOVE-1": 1})
    bob_order = capture(hub, "W-1002", "bob@example.com", {"STOVE-1": 2})
    ann = hub.order(ann_order).customer_id
    bob = hub.order(bob_order).customer_id
    fo = hub.fulfillment_orders(ann_order)[0]
    hub.accept(fo.id)
    hub.start_picking(fo.id)

    print("Pick list at dc-chi")
    for pick in hub.pick_list("dc-chi", bins={"TENT-2P": "A-01", "STOVE-1": "B-12"}).lines:
        print(f"  bin {pick.bin}  {pick.sku:<8} × {pick.quantity}  for {pick.order_id}")

    print("\nAnn's order ships in two parts")
    clock.set(datetime(2026, 3, 3, 15, 0, tzinfo=UTC))
    first = hub.confirm_shipment(
        fo.id, {"TENT-2P": 1, "STOVE-1": 1}, carrier="UPS", tracking="1Z-001"
    )
    show_shipment(hub, first)
    clock.set(datetime(2026, 3, 9, 15, 0, tzinfo=UTC))
    second = hub.confirm_shipment(fo.id, {"TENT-2P": 1}, carrier="UPS", tracking="1Z-002")
    show_shipment(hub, second)
    print(f"  order state: {hub.order(ann_order).state.value}")

    bob_fo = hub.fulfillment_orders(bob_order)[0]
    clock.set(datetime(2026, 3, 4, 10, 0, tzinfo=UTC))
    hub.confirm_shipment(bob_fo.id, {"STOVE-1": 2}, carrier="FedEx", tracking="7712")

    print("\nCash comes in")
    assert first.invoice is not None
    clock.set(datetime(2026, 3, 10, 9, 0, tzinfo=UTC))
    hub.record_payment(
        ann, Money("100.00", "USD"), reference="ACH-5501", invoices=[first.invoice.id]
    )
    print(f"  partial payment 100.00 on {first.invoice.number}:")
    print(f"    still open {hub.receivables.item(first.invoice.id).open}")
    clock.set(datetime(2026, 3, 16, 9, 0, tzinfo=UTC))
    hub.record_payment(ann, Money("400.00", "USD"), reference="WIRE-7710")
    print("  over-payment 400.00, oldest due first:")
    for a in hub.receivables.payment("WIRE-7710").applications:
        number = hub.invoice(a.document_id).number
        print(f"    {number}: paid {a.applied}, early-payment discount {a.discount}")
    print(f"    Ann's balance {hub.receivables.balance(ann)}")
    print(f"    credit on account {hub.receivables.unapplied(ann)}")
    print(f"  order state: {hub.order(ann_order).state.value}")

    as_of = date(2026, 5, 15)
    aging = hub.receivables.aging(as_of)
    print(f"\nAccounts receivable aging as of {as_of} (days past due)")
    labels = [b.label for b in aging.buckets]
    print(f"  {'customer':<14}" + "".join(f"{label:>10}" for label in labels) + f"{'credit':>10}")
    for who, name in ((ann, "Ann"), (bob, "Bob")):
        mine = hub.receivables.aging(as_of, customer_id=who)
        row = "".join(f"{a.amount:>10}" for a in mine.amounts)
        print(f"  {name:<14}{row}{mine.unapplied.amount:>10}")
    row = "".join(f"{a.amount:>10}" for a in aging.amounts)
    print(f"  {'all':<14}{row}{aging.unapplied.amount:>10}")
    print(f"  open items {aging.total}, less credit on account = {aging.balance}")
    print(f"  DSO over the last 90 days: {hub.receivables.dso(as_of, days=90)} days")

    print("\nTrial balance (USD, debit +, credit −)")
    trial = hub.journal.trial_balance("USD")
    for account, balance in trial.items():
        if not balance.is_zero:
            print(f"  {account.value:<22}{balance.amount:>12}")
    total = sum(trial.values(), Money.zero("USD"))
    print(f"  {'total':<22}{total.amount:>12}")
    assert total.is_zero
    assert trial[Account.ACCOUNTS_RECEIVABLE] + trial[Account.CUSTOMER_CREDIT] == aging.balance


if __name__ == "__main__":
    main()
