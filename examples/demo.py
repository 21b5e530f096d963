"""A morning at the order hub: orders from every channel into one queue.

Run it with ``python examples/demo.py``. It grows with each capability of orderhub; today it
shows capture from five channels, the customer master recognising returning customers across
channels, idempotent retries, holds and the priority queue.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal

from orderhub import (
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
    Money,
    OrderHub,
    OrderRequest,
    ServiceLevel,
)
from orderhub.events import PossibleDuplicate
from orderhub.testing import FixedClock, SequentialIds

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
        owner="riverco",
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


def main() -> None:
    rng = random.Random(7)
    clock = FixedClock(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))
    hub = OrderHub(clock=clock, ids=SequentialIds())
    for item in CATALOG:
        hub.catalog.add(item)

    people = [
        CustomerIdentity(
            email=f"{name.split()[0].lower()}.{i}@example.com",
            phone=f"+1 312 555 {1000 + i:04d}",
            name=name,
        )
        for i, name in enumerate(NAMES * 6)
    ]
    channels = [
        Channel.WEB,
        Channel.STORE,
        Channel.CALL_CENTRE,
        Channel.MOBILE,
        Channel.MARKETPLACE,
    ]
    retries = 0
    for n in range(240):
        clock.advance(minutes=rng.randint(0, 3))
        person = rng.choice(people)
        channel = rng.choice(channels)
        # A store knows the customer by phone only; the web by e-mail; others by both.
        identity = {
            Channel.STORE: CustomerIdentity(phone=person.phone, name=person.name),
            Channel.WEB: CustomerIdentity(email=person.email, name=person.name),
        }.get(channel, person)
        city, region, geo = rng.choice(CITIES)
        skus = rng.sample([i.sku for i in CATALOG], rng.randint(1, 3))
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
            discounts=[Discount(percent=Decimal(10), code="SPRING10")] if n % 7 == 0 else [],
            attributes={"age_band": rng.choice(["18-24", "25-34", "35-44", "45-54"])},
            consents={ConsentChannel.EMAIL: rng.random() < 0.6},
            context=CaptureContext(
                campaign="spring-camping" if n % 3 == 0 else None,
                store_id="store-chi-1" if channel is Channel.STORE else None,
                device="ios" if channel is Channel.MOBILE else None,
            ),
            service_level=rng.choice(list(ServiceLevel)),
        )
        captured = hub.capture(request)
        if n % 40 == 0:  # the network blinked: the channel sends the same order again
            again = hub.capture(request)
            assert again.is_duplicate
            assert again.order == captured.order
            retries += 1
        if captured.order.total > Money("1500.00", "USD"):
            hub.hold(captured.order.id, HoldKind.FRAUD, "large first order, manual review")

    orders = list(hub.orders())
    print("orderhub demo — a morning of orders\n")
    print(f"orders captured: {len(orders)}  (retries answered idempotently: {retries})")
    print(
        f"customers in the master: {len(hub.customers)} "
        f"(from {len({p.email for p in people})} people on 5 channels)"
    )
    print("\norders by channel:")
    for channel, count in Counter(o.channel for o in orders).most_common():
        revenue = Money.zero("USD")
        for o in orders:
            if o.channel is channel:
                revenue = revenue + o.total
        print(f"  {channel.value:<12} {count:>4} orders  {revenue}")
    dupes = [e for e in hub.events if isinstance(e, PossibleDuplicate)]
    print(f"\npossible duplicate customers flagged for review: {len(dupes)}")
    if dupes:
        d = dupes[0]
        survivor = d.customer_id
        for other in d.other_customer_ids:
            hub.customers.merge(survivor, other)
        merged = hub.customers.get(survivor)
        print(
            f"  merged {', '.join(d.other_customer_ids)} into {survivor}: "
            f"{len(merged.order_ids)} orders, identifiers kept, "
            f"{len(hub.customers)} customers now"
        )
    held = [o for o in hub.orders() if o.is_on_hold]
    print(f"\non hold: {len(held)} order(s)  (outside the queue until released)")
    queue = hub.queued()
    print(f"intake queue: {len(queue)} order(s); next five to serve:")
    for oid in queue[:5]:
        o = hub.order(oid)
        print(f"  {oid:<10} {o.service_level.value:<9} captured {o.captured_at:%H:%M}  {o.total}")
    first = hub.customers.get(orders[0].customer_id)
    print(f"\na customer, as the master shows it (personal data masked): {first!r}"[:160])
    print(
        f"  attributes now: {first.attributes}; e-mail consent: "
        f"{first.consent(ConsentChannel.EMAIL)}"
    )
    print(f"\nevents in the log: {len(hub.events)}; clock at {clock.now():%H:%M}")


if __name__ == "__main__":
    main()
