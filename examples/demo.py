"""A simulated trading day at the order hub.

Run it with ``python examples/demo.py``. A few hundred orders arrive from the web shop, the
stores, the call centre, the mobile app and a marketplace; the hub recognises returning
customers across channels, routes every order — three DCs on the main ERP, an acquired brand
on its own ERP, a drop-ship vendor — carries the outside actions out through in-memory
adapters (one of them flaky), ships, invoices, takes payments, and prints the day's report.
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from datetime import UTC, date, datetime
from decimal import Decimal

from orderhub import (
    Account,
    Address,
    CaptureContext,
    Channel,
    ConsentChannel,
    CustomerIdentity,
    Discount,
    GeoPoint,
    HoldKind,
    Item,
    LineRequest,
    Location,
    LocationKind,
    LoggedCommand,
    Money,
    OrderHub,
    OrderRequest,
    OrderState,
    PaymentTerms,
    RateTable,
    ServiceLevel,
    Supply,
    SyncDriver,
)
from orderhub.events import OrderRouted, PossibleDuplicate
from orderhub.testing import (
    Fault,
    FaultPlan,
    FixedClock,
    InMemoryErp,
    InMemoryFinance,
    InMemoryFulfillment,
    SequentialIds,
)

CITIES = [
    ("Chicago", "IL", GeoPoint(41.88, -87.63)),
    ("Newark", "NJ", GeoPoint(40.74, -74.17)),
    ("Austin", "TX", GeoPoint(30.27, -97.74)),
    ("Seattle", "WA", GeoPoint(47.61, -122.33)),
    ("San José", "CA", GeoPoint(37.34, -121.89)),
]
CATALOG = [
    Item(
        sku="TENT-2P", description="2-person tent", price=Money("149.00", "USD"), category="tents"
    ),
    Item(
        sku="TENT-4P", description="4-person tent", price=Money("249.00", "USD"), category="tents"
    ),
    Item(
        sku="BAG-20",
        description="Sleeping bag, 20°F",
        price=Money("89.90", "USD"),
        category="sleep",
    ),
    Item(sku="STOVE-1", description="Camp stove", price=Money("54.99", "USD"), category="cooking"),
    Item(
        sku="KAYAK-TR",
        description="Touring kayak",
        price=Money("899.00", "USD"),
        category="water",
        owner="riverco",
    ),
    Item(
        sku="SUP-11",
        description="Paddle board 11'",
        price=Money("649.00", "USD"),
        category="water",
        drop_ship_vendor="boardworks",
    ),
]
NAMES = [
    "Ann Lee",
    "José Núñez",
    "Zoë Müller",
    "Søren Åberg",
    "Chloé Dubois",
    "Amaru Quispe",
    "Łukasz Wróbel",
    "Nguyễn Văn An",
    "Oluwaseun Adé",
    "Ingrid Bjørnstad",
]


def build_empty_hub(clock: FixedClock) -> OrderHub:
    """The hub as the host configures it (tax, terms), before anything happens."""
    return OrderHub(
        clock=clock,
        ids=SequentialIds(),
        tax=RateTable(
            {
                "US-IL": Decimal("0.0625"),
                "US-NJ": Decimal("0.06625"),
                "US-TX": Decimal("0.0625"),
                "US-CA": Decimal("0.0725"),
            }
        ),
        terms=PaymentTerms.parse("2/10 net 30"),
    )


def build_hub(clock: FixedClock) -> OrderHub:
    hub = build_empty_hub(clock)
    for item in CATALOG:
        hub.catalog.add(item)
    dcs = {
        "dc-nj": GeoPoint(40.76, -74.03),
        "dc-oh": GeoPoint(39.96, -82.99),
        "dc-nv": GeoPoint(39.53, -119.81),
    }
    for loc, geo in dcs.items():
        hub.network.add(Location(id=loc, kind=LocationKind.DC, geo=geo, erp="main"))
        for item in CATALOG[:4]:
            hub.stock.receive(loc, item.sku, 60)
    hub.network.add(
        Location(
            id="riverco-mn",
            kind=LocationKind.DC,
            geo=GeoPoint(44.98, -93.27),
            erp="riverco-erp",
            owner="riverco",
        )
    )
    hub.stock.receive("riverco-mn", "KAYAK-TR", 12)
    hub.network.add(
        Location(
            id="boardworks",
            kind=LocationKind.DROP_SHIPPER,
            geo=GeoPoint(33.75, -84.39),
            erp="main",
            vendor="boardworks",
        )
    )
    hub.add_supply(
        Supply(
            id="PO-1001",
            sku="TENT-4P",
            location_id="dc-oh",
            quantity=40,
            expected=date(2026, 3, 9),
        )
    )
    return hub


def capture_the_day(hub: OrderHub, clock: FixedClock, rng: random.Random) -> int:
    people = [
        CustomerIdentity(
            email=f"{n.split()[0].lower()}.{i}@example.com",
            phone=f"+1 312 555 {1000 + i:04d}",
            name=n,
        )
        for i, n in enumerate(NAMES * 8)
    ]
    channels = [
        Channel.WEB,
        Channel.STORE,
        Channel.CALL_CENTRE,
        Channel.MOBILE,
        Channel.MARKETPLACE,
    ]
    retries = 0
    for n in range(300):
        clock.advance(minutes=rng.randint(0, 2))
        person = rng.choice(people)
        channel = rng.choice(channels)
        identity = {  # a store knows a phone, the web shop an e-mail, others both
            Channel.STORE: CustomerIdentity(phone=person.phone, name=person.name),
            Channel.WEB: CustomerIdentity(email=person.email, name=person.name),
        }.get(channel, person)
        city, region, geo = rng.choice(CITIES)
        skus = rng.sample([i.sku for i in CATALOG], rng.choice([1, 1, 2, 3]))
        request = OrderRequest(
            channel=channel,
            external_id=f"{channel.value[:3].upper()}-{n:05d}",
            customer=identity,
            ship_to=Address(
                line1=f"{rng.randint(1, 999)} Main St",
                city=city,
                region=region,
                country="US",
                geo=geo,
            ),
            lines=[LineRequest(sku=s, quantity=rng.randint(1, 2)) for s in skus],
            discounts=[Discount(percent=Decimal(10), code="SPRING10")] if n % 9 == 0 else [],
            attributes={"age_band": rng.choice(["18-24", "25-34", "35-44", "45-54"])},
            consents={ConsentChannel.EMAIL: rng.random() < 0.6},
            context=CaptureContext(
                campaign="spring-camping" if n % 3 == 0 else None,
                store_id="store-chi-1" if channel is Channel.STORE else None,
            ),
            service_level=rng.choice(list(ServiceLevel)),
        )
        captured = hub.capture(request)
        if n % 50 == 0:  # the network blinked: the channel sends the same order again
            assert hub.capture(request).is_duplicate
            retries += 1
        if captured.order.total > Money("2000.00", "USD"):
            hub.hold(captured.order.id, HoldKind.FRAUD, "large order, manual review")
    return retries


def main() -> None:
    rng = random.Random(7)
    clock = FixedClock(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))
    hub = build_hub(clock)
    retries = capture_the_day(hub, clock, rng)
    routed = [e for e in hub.process() if isinstance(e, OrderRouted)]

    main_erp = InMemoryErp(
        faults=FaultPlan(seed=5, rate=0.15, kinds=(Fault.TRANSIENT, Fault.TIMEOUT_AFTER_EFFECT))
    )
    river_erp, wms, boardworks, ledger = (
        InMemoryErp(),
        InMemoryFulfillment(),
        InMemoryFulfillment(),
        InMemoryFinance(),
    )
    driver = SyncDriver(
        hub,
        erps={"main": main_erp, "riverco-erp": river_erp},
        fulfillment={"default": wms, "boardworks": boardworks},
        finance=ledger,
    )

    def drain() -> None:
        driver.run()
        while any(e.status.value == "pending" for e in hub.effects()):
            clock.advance(minutes=30)
            driver.run()

    drain()
    clock.advance(hours=4)
    shipped = 0
    for order in list(hub.orders()):
        for fo in hub.fulfillment_orders(order.id):
            if fo.to_ship and fo.state.value in ("released", "accepted"):
                hub.confirm_shipment(
                    fo.id, fo.to_ship, carrier="UPS", tracking=f"1Z{fo.id.split('-')[1]:0>8}"
                )
                shipped += 1
    clock.advance(hours=3)
    paid = 0
    for customer in hub.customers:
        balance = (
            hub.receivables.balance(customer.id)
            if hub.receivables.currencies(customer.id)
            else Money.zero("USD")
        )
        if balance.amount > 0 and rng.random() < 0.7:
            share = balance if rng.random() < 0.8 else balance.allocate([1, 1])[0]
            hub.record_payment(customer.id, share, reference=f"bank-{customer.id}")
            paid += 1
    drain()

    orders = list(hub.orders())
    print("orderhub — a trading day\n")
    print(f"orders captured: {len(orders)}  (channel retries answered idempotently: {retries})")
    dupes = sum(isinstance(e, PossibleDuplicate) for e in hub.events)
    print(f"customers: {len(hub.customers)}  (possible duplicates flagged for review: {dupes})")
    print("\norders by channel:")
    for channel, count in Counter(o.channel for o in orders).most_common():
        total = Money.zero("USD")
        for o in orders:
            if o.channel is channel:
                total = total + o.total
        print(f"  {channel.value:<12} {count:>4}   {total:>12}")
    print("\nwhere the units went, and why (assignments per reason):")
    reasons: Counter[str] = Counter()
    for event in routed:
        for a in event.assignments:
            reasons[f"{a.location_id:<11} {re.sub(r': [0-9.]+ km$', '', a.reason)}"] += 1
        for b in event.backorders:
            reasons[f"{'(waiting)':<11} {b.reason}"] += 1
    for reason, count in reasons.most_common(10):
        print(f"  {count:>4}  {reason}"[:118])
    states = Counter(o.state for o in orders)
    print("\norder states:", ", ".join(f"{s.value} {n}" for s, n in states.most_common()))
    print(f"shipments confirmed: {shipped}; invoices: {len(hub.invoices())}; payments: {paid}")
    print(
        f"outside actions: {len(hub.effects())} effects; main ERP got "
        f"{len(main_erp.documents)} documents for {len(main_erp.calls)} calls "
        f"({main_erp.faults.injected} faults injected, no duplicates); riverco ERP "
        f"{len(river_erp.documents)}; drop shipper {len(boardworks.documents)}"
    )

    aging = hub.receivables.aging(as_of=date(2026, 4, 15), currency="USD")
    print("\naccounts receivable aging as of 2026-04-15 (by due date):")
    labels = ["current", "1-30", "31-60", "61-90", "91-120", "over 120"]
    for label, amount in zip(labels, aging.amounts, strict=True):
        print(f"  {label:<9} {amount:>14}")
    print(f"  {'total':<9} {aging.total:>14}   unapplied cash {aging.unapplied}")

    print("\ntrial balance (debit positive):")
    trial = hub.journal.trial_balance("USD")
    for account, balance in trial.items():
        if not balance.is_zero:
            print(f"  {account.value:<22} {balance:>14}")
    total = Money.zero("USD")
    for balance in trial.values():
        total = total + balance
    print(f"  {'sum':<22} {total:>14}")
    assert total.is_zero
    assert hub.journal.balance(Account.CASH, "USD").amount > 0
    assert states[OrderState.CLOSED] > 0
    close_the_day(hub, clock)


def close_the_day(hub: OrderHub, clock: FixedClock) -> None:
    """The host stores the hub overnight: a snapshot, and the command log behind it."""
    text = json.dumps(hub.snapshot())
    log = [json.dumps(c.to_json()) for c in hub.command_log]
    print("\nend of day:")
    print(f"  snapshot of the whole hub: {len(text) / 1e6:.1f} MB of JSON")
    print(f"  command log: {len(log)} commands (the day's every state change)")

    tomorrow = OrderHub.restore(json.loads(text), clock=clock, ids=SequentialIds(prefix="d2"))
    same = tomorrow.journal.trial_balance("USD") == hub.journal.trial_balance("USD")
    print(f"  restored from the snapshot, same books: {'yes' if same else 'NO'}")
    assert same
    assert list(tomorrow.orders()) == list(hub.orders())

    rebuilt = build_empty_hub(FixedClock(datetime(2030, 1, 1, tzinfo=UTC)))
    rebuilt.replay(LoggedCommand.from_json(json.loads(entry)) for entry in log)
    identical = rebuilt.snapshot() == hub.snapshot()
    print(f"  the log replayed onto an empty hub rebuilds it: {'yes' if identical else 'NO'}")
    assert identical


if __name__ == "__main__":
    main()
