"""Knowing your customers: profiles, RFM segments, a targeted offer and a 360° view.

Run it with ``python examples/segments.py``. A year of trading — about 3,000 orders of 600
customers on the web, in two stores, by phone and on mobile — goes through the hub; the hub
keeps every customer's profile from its events. Then it prints the size of each segment, the
customers an offer targets (only those who consented to its channel), one customer's 360°
view, and a demand forecast for the best-selling tent.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from orderhub import (
    Channel,
    ConsentChannel,
    CustomerIdentity,
    HoltLinear,
    Item,
    LineRequest,
    Money,
    MovingAverage,
    OfferRule,
    OrderHub,
    OrderRequest,
    Segment,
    SimpleExponentialSmoothing,
    backtest,
)
from orderhub.testing import FixedClock, SequentialIds

CATALOG = [
    Item(
        sku="TENT-2P", description="2-person tent", price=Money("149.00", "USD"), category="tents"
    ),
    Item(
        sku="TENT-4P", description="4-person tent", price=Money("249.00", "USD"), category="tents"
    ),
    Item(sku="BAG-20", description="Sleeping bag", price=Money("89.90", "USD"), category="sleep"),
    Item(sku="MAT-XL", description="Sleeping mat", price=Money("59.00", "USD"), category="sleep"),
    Item(sku="STOVE-1", description="Camp stove", price=Money("54.99", "USD"), category="cooking"),
    Item(sku="MUG", description="Enamel mug", price=Money("12.00", "USD"), category="cooking"),
    Item(
        sku="JACKET", description="Rain jacket", price=Money("129.00", "USD"), category="apparel"
    ),
]
CHANNELS = [Channel.WEB, Channel.WEB, Channel.MOBILE, Channel.STORE, Channel.CALL_CENTRE]
STORES = ["chicago", "denver"]
CAMPAIGNS = [None, None, "spring-camping", "summer-sale", "black-friday"]
START = datetime(2025, 1, 1, 9, 0, tzinfo=UTC)
END = date(2025, 12, 31)


def trade(hub: OrderHub, clock: FixedClock, rng: random.Random) -> int:
    """A year of orders: each customer has a habit (how often, since when, until when)."""
    plans = []
    for c in range(600):
        every = rng.choice([7, 14, 30, 60, 120, 365])  # days between orders, roughly
        first = rng.randrange(0, 330)
        last = rng.choice([365, 365, 365, rng.randrange(first, 365)])  # some lapse
        plans.append((c, every, first, last))
    orders = []
    for c, every, first, last in plans:
        day = first
        while day <= last:
            orders.append((day, rng.randrange(24 * 60), c))
            day += max(1, int(rng.expovariate(1 / every)))
    orders.sort()
    for n, (day, minute, c) in enumerate(orders):
        clock.set(START + timedelta(days=day, minutes=minute))
        channel = rng.choice(CHANNELS)
        lines = {rng.choice(CATALOG).sku: rng.randint(1, 2) for _ in range(rng.randint(1, 3))}
        captured = hub.capture(
            OrderRequest(
                channel=channel,
                external_id=f"{channel.value}-{n}",
                customer=CustomerIdentity(email=f"customer{c}@example.com"),
                lines=[LineRequest(sku=s, quantity=q) for s, q in lines.items()],
                context={
                    "campaign": rng.choice(CAMPAIGNS),
                    "store_id": rng.choice(STORES) if channel is Channel.STORE else None,
                },
                attributes={"age_band": ["18-34", "35-44", "45-54", "55+"][c % 4]},
                consents={
                    ConsentChannel.EMAIL: c % 3 != 0,
                    ConsentChannel.SMS: c % 5 == 0,
                },
            )
        )
        if rng.random() < 0.03:  # a few change their mind
            hub.cancel(captured.order.id, reason="customer changed their mind")
    return len(orders)


def main() -> None:
    rng = random.Random(2025)
    clock = FixedClock(START)
    hub = OrderHub(clock=clock, ids=SequentialIds())
    for item in CATALOG:
        hub.catalog.add(item)
    n = trade(hub, clock, rng)
    print(f"{n:,} orders of {len(hub.customers):,} customers captured in 2025\n")

    # Segments: the named RFM segments, and two of our own.
    for name in ["champions", "loyal", "potential loyalists", "new", "at risk", "can't lose"]:
        hub.insights.define(Segment.rfm(name))
    hub.insights.define(Segment.rfm("hibernating"))
    hub.insights.define(Segment.rfm("lost"))
    campers = (Segment.bought_category("tents") & Segment.bought_category("sleep")).named(
        "campers"
    )
    hub.insights.define(campers)
    hub.insights.define(
        (Segment.used_channel(Channel.STORE) & ~Segment.used_channel(Channel.WEB)).named(
            "store only"
        )
    )
    clock.set(datetime(2026, 1, 1, 6, 0, tzinfo=UTC))
    hub.insights.refresh(END)  # the host's nightly run: RFM scores as of 31 December

    print("segment sizes")
    for segment in hub.insights.segments:
        print(f"  {segment.name:<22} {len(hub.insights.members(segment)):>4}")

    # Offers: win lapsing customers back by e-mail, give champions a preview by SMS.
    slipping = (Segment.rfm("at risk") | Segment.rfm("can't lose")).named("slipping away")
    hub.insights.define(slipping)
    hub.insights.add_offer(
        OfferRule(
            segment="slipping away",
            offer="WINBACK-15",
            channel=ConsentChannel.EMAIL,
            priority=10,
            valid_from=date(2026, 1, 1),
            valid_until=date(2026, 1, 31),
        )
    )
    hub.insights.add_offer(
        OfferRule(
            segment="champions",
            offer="SPRING-PREVIEW",
            channel=ConsentChannel.SMS,
            priority=5,
        )
    )
    members = hub.insights.members(slipping)
    targets = hub.insights.targets("WINBACK-15", date(2026, 1, 5))
    print(
        f"\nWINBACK-15 by e-mail: {len(targets)} of the {len(members)} slipping away "
        "consented to e-mail"
    )
    for t in targets[:8]:
        p = hub.insights.profile(t.customer_id)
        last = p.last_purchase.isoformat() if p.last_purchase else "-"
        print(f"  {t.customer_id:<14} last bought {last}, {p.orders} orders, {p.revenue['USD']}")
    if len(targets) > 8:
        print(f"  … and {len(targets) - 8} more")

    # One customer's 360° view: a champion, as the call centre sees them.
    champions = sorted(hub.insights.members("champions"))
    view = hub.insights.view(champions[0], on=date(2026, 1, 5))
    p = view.profile
    print(f"\n360° view of {view.customer.id} ({view.customer.emails[0]})")
    print(f"  attributes      {p.attributes}")
    print(f"  consent         {', '.join(c.value for c, ok in p.consents.items() if ok)}")
    print(
        f"  orders          {p.orders} on {p.purchase_days} days, {p.cancelled_orders} cancelled"
    )
    print(f"  first / last    {p.first_purchase} / {p.last_purchase}")
    print(f"  revenue         {p.revenue['USD']} (average order {p.average_order_value['USD']})")
    print(f"  channels        {', '.join(f'{c.value} {n}' for c, n in p.channel_mix.items())}")
    print(f"  categories      {', '.join(f'{c} {n}' for c, n in p.category_mix.items())}")
    print(f"  favourite store {p.favourite_store}")
    print(f"  campaigns       {p.campaigns}")
    if p.rfm is not None and p.rfm_score is not None:
        r, s = p.rfm, p.rfm_score
        print(
            f"  RFM             frequency {r.frequency}, recency {r.recency}, T {r.T}, "
            f"monetary {r.monetary_value.quantize(Money('0.01', 'USD').amount)} "
            f"→ scores R{s.recency} F{s.frequency} M{s.monetary} ({s.segment})"
        )
    print(f"  segments        {', '.join(view.segments)}")
    for o in view.offers:
        print(f"  offer           {o.offer}: {o.why}")
    print("  recent orders")
    for o in view.orders[:3]:
        print(
            f"    {o.id:<12} {o.placed_at:%Y-%m-%d} {o.channel.value:<12} "
            f"{o.state.value:<10} {o.total}"
        )
    print(
        f"  shipments, invoices, returns: {len(view.shipments)}, {len(view.invoices)}, "
        f"{len(view.returns)} (filled in as fulfilment and billing report them)"
    )

    # Demand: weekly units of the 2-person tent, and how well three forecasters did on the
    # last eight weeks.
    series = hub.insights.demand("TENT-2P", start=date(2025, 1, 6), end=END, bucket="W")
    print(f"\nTENT-2P weekly demand, last 8 weeks: {list(series.values[-8:])}")
    for forecaster in (MovingAverage(4), SimpleExponentialSmoothing(0.3), HoltLinear(0.3, 0.1)):
        result = backtest(series, forecaster, holdout=8)
        mape = "n/a" if result.mape is None else f"{result.mape:.0f}%"
        print(f"  {forecaster!r:<40} MAE {result.mae:5.2f}  MAPE {mape}")


if __name__ == "__main__":
    main()
