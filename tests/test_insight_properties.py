"""Hypothesis properties of customer insight (the invariants of issue 6).

* profiles kept incrementally from events equal profiles rebuilt from the full order history,
  whatever the commands (captures, back-dated orders, cancellations, merges, consent,
  attributes, erasure, imported history, refreshes) and whenever segments are defined;
* the membership kept for a segment equals evaluating its predicate on every profile, and
  equals the membership the recorded enter/leave events describe;
* no offer targets a customer without consent for the offer's channel;
* a merged customer's profile equals the profile of one customer with the combined history.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from helpers import make_hub
from orderhub import (
    Channel,
    ConsentChannel,
    CustomerIdentity,
    Discount,
    LineRequest,
    Money,
    OrderRequest,
    OrderState,
)
from orderhub._insight_rfm import summarise
from orderhub._insight_segments import (
    CustomerEnteredSegment,
    CustomerLeftSegment,
    OfferRule,
    Segment,
)

EMAILS = ["ann@example.com", "bob@example.com", "cy@example.com", "di@example.com"]
SKUS = ["TENT", "MAT", "LAMP", "TEA"]
CHANNELS = [Channel.WEB, Channel.STORE, Channel.MOBILE, Channel.CALL_CENTRE]
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

SEGMENTS = [
    Segment.ordered_at_least(2),
    Segment.consented(ConsentChannel.EMAIL) & Segment.bought_category("camp"),
    Segment.rfm("champions") | Segment.rfm("loyal") | Segment.rfm("new"),
    ~Segment.used_channel(Channel.WEB),
    Segment.idle_for(5),
    Segment.spent_at_least(Money("200.00", "USD")),
    Segment.attribute("age_band", "35-44").named("thirties"),
]

OFFERS = [
    OfferRule(segment=SEGMENTS[0].name, offer="loyalty", channel=ConsentChannel.EMAIL, priority=2),
    OfferRule(segment=SEGMENTS[0].name, offer="loyalty", channel=ConsentChannel.SMS, priority=1),
    OfferRule(
        segment=SEGMENTS[4].name,
        offer="win-back",
        channel=ConsentChannel.POST,
        valid_from=date(2026, 1, 10),
        valid_until=date(2026, 2, 10),
    ),
    OfferRule(segment=SEGMENTS[6].name, offer="thirties", channel=ConsentChannel.SMS, priority=5),
]

_orders = st.fixed_dictionaries(
    {
        "email": st.sampled_from(EMAILS),
        "channel": st.sampled_from(CHANNELS),
        "lines": st.lists(
            st.tuples(st.sampled_from(SKUS), st.integers(1, 4)), min_size=1, max_size=3
        ),
        "store": st.none() | st.sampled_from(["chicago", "nyc"]),
        "campaign": st.none() | st.sampled_from(["spring", "summer"]),
        "code": st.none() | st.sampled_from(["TEN", "FIVE"]),
        "back_days": st.integers(0, 40),
        "age_band": st.none() | st.sampled_from(["35-44", "45-54"]),
        "consent": st.none() | st.sampled_from(list(ConsentChannel)),
    }
)


def request_of(n: int, o: dict[str, object], now: datetime) -> OrderRequest:
    """The order request drawn as ``o``; lines in the currency of the first line's SKU."""
    lines = o["lines"]
    assert isinstance(lines, list)
    currency_sku = lines[0][0]
    same = [(s, q) for s, q in lines if (s == "TEA") == (currency_sku == "TEA")]
    return OrderRequest(
        channel=o["channel"],  # type: ignore[arg-type]
        external_id=f"X-{n}",
        customer=CustomerIdentity(email=o["email"]),  # type: ignore[arg-type]
        lines=[LineRequest(sku=s, quantity=q) for s, q in same],
        context={"store_id": o["store"], "campaign": o["campaign"], "promo_code": o["code"]},
        discounts=[Discount(percent=Decimal(10), code="PCT")] if o["code"] == "TEN" else [],
        attributes={} if o["age_band"] is None else {"age_band": o["age_band"]},
        consents={} if o["consent"] is None else {o["consent"]: True},  # type: ignore[dict-item]
        placed_at=now - timedelta(days=o["back_days"]),  # type: ignore[operator]
    )


class InsightMachine(RuleBasedStateMachine):
    """Any sequence of commands keeps profiles, membership and targets right."""

    def __init__(self) -> None:
        super().__init__()
        self.hub, self.clock = make_hub(start=START)
        self.n = 0

    def customer_ids(self) -> list[str]:
        return [c.id for c in self.hub.customers]

    @rule(o=_orders)
    def capture(self, o: dict[str, object]) -> None:
        self.n += 1
        self.hub.capture(request_of(self.n, o, self.clock.now()))

    @rule(days=st.integers(0, 9))
    def time_passes(self, days: int) -> None:
        self.clock.advance(days=days, hours=1)

    @precondition(lambda self: any(True for _ in self.hub.orders()))
    @rule(data=st.data(), whole=st.booleans())
    def cancel(self, data: st.DataObject, whole: bool) -> None:
        orders = [o for o in self.hub.orders() if o.state is not OrderState.CANCELLED]
        if not orders:
            return
        order = data.draw(st.sampled_from(orders))
        if whole:
            self.hub.cancel(order.id)
            return
        line = data.draw(st.sampled_from(order.lines))
        if line.quantities.open:
            self.hub.cancel_line(
                order.id, line.line_no, data.draw(st.integers(1, line.quantities.open))
            )

    @precondition(lambda self: len(self.hub.customers) >= 2)
    @rule(data=st.data(), publish=st.booleans())
    def merge(self, data: st.DataObject, publish: bool) -> None:
        ids = self.customer_ids()
        a = data.draw(st.sampled_from(ids))
        b = data.draw(st.sampled_from([i for i in ids if i != a]))
        events = self.hub.customers.merge(a, b)
        if publish:  # as the hub will once the master publishes merges
            self.hub._record(events)

    @precondition(lambda self: len(self.hub.customers) >= 1)
    @rule(data=st.data(), channel=st.sampled_from(list(ConsentChannel)), granted=st.booleans())
    def consent(self, data: st.DataObject, channel: ConsentChannel, granted: bool) -> None:
        cid = data.draw(st.sampled_from(self.customer_ids()))
        self.hub.customers.set_consent(cid, channel, granted)

    @precondition(lambda self: len(self.hub.customers) >= 1)
    @rule(data=st.data(), band=st.sampled_from(["35-44", "45-54"]))
    def attribute(self, data: st.DataObject, band: str) -> None:
        cid = data.draw(st.sampled_from(self.customer_ids()))
        self.hub.customers.capture_attributes(cid, {"age_band": band})

    @precondition(lambda self: len(self.hub.customers) >= 1)
    @rule(data=st.data())
    def erase(self, data: st.DataObject) -> None:
        self.hub.customers.erase(data.draw(st.sampled_from(self.customer_ids())))

    @precondition(lambda self: len(self.hub.customers) >= 1)
    @rule(
        data=st.data(),
        rows=st.lists(st.tuples(st.integers(0, 60), st.integers(0, 50_000)), max_size=4),
    )
    def import_history(self, data: st.DataObject, rows: list[tuple[int, int]]) -> None:
        cid = data.draw(st.sampled_from(self.customer_ids()))
        today = self.clock.now().date()
        self.hub.insights.import_history(
            (cid, today - timedelta(days=d), Money.from_minor(v, "USD")) for d, v in rows
        )

    @rule(segment=st.sampled_from(SEGMENTS))
    def define(self, segment: Segment) -> None:
        self.hub.insights.define(segment)

    @rule(offer=st.sampled_from(OFFERS))
    def add_offer(self, offer: OfferRule) -> None:
        self.hub.insights.define(next(s for s in SEGMENTS if s.name == offer.segment))
        self.hub.insights.add_offer(offer)

    @rule(period=st.sampled_from(["D", "W", "M"]))
    def refresh(self, period: str) -> None:
        self.hub.insights.refresh(self.clock.now().date(), period, currency="USD")

    @invariant()
    def profiles_equal_profiles_rebuilt_from_history(self) -> None:
        for cid in self.customer_ids():
            assert self.hub.insights.profile(cid) == self.hub.insights.rebuilt(cid), cid

    @invariant()
    def rfm_read_from_the_kept_rows_equals_rfm_computed_afresh(self) -> None:
        today = self.clock.now().date()
        store = self.hub.insights._store
        for end in (today, today - timedelta(days=20)):
            for period, kind in (("D", 0), ("W", 1), ("M", 2)):
                fresh = summarise(
                    [
                        (cid, a.series["USD"])
                        for cid, a in store.aggregates.items()
                        if "USD" in a.series
                    ],
                    kind,
                    end,
                    "USD",
                )
                assert self.hub.insights.rfm(end, period, currency="USD") == fresh

    @invariant()
    def membership_is_the_predicate_on_the_profile(self) -> None:
        profiles = {p.customer_id: p for p in self.hub.insights.profiles()}
        for segment in self.hub.insights.segments:
            expected = frozenset(cid for cid, p in profiles.items() if segment(p))
            assert self.hub.insights.members(segment) == expected, segment.name

    @invariant()
    def membership_is_what_the_events_say(self) -> None:
        list(self.hub.insights.profiles())  # catch up, recording what is due
        said: dict[str, set[str]] = {}
        for e in self.hub.events:
            if isinstance(e, CustomerEnteredSegment):
                said.setdefault(e.segment, set()).add(e.customer_id)
            elif isinstance(e, CustomerLeftSegment):
                said.setdefault(e.segment, set()).discard(e.customer_id)
        for segment in self.hub.insights.segments:
            assert said.get(segment.name, set()) == self.hub.insights.members(segment)

    @invariant()
    def no_offer_targets_a_customer_without_consent(self) -> None:
        day = self.clock.now().date()
        for offer in {r.offer for r in self.hub.insights.offer_rules}:
            for t in self.hub.insights.targets(offer, day):
                assert self.hub.customers.get(t.customer_id).consent(t.channel), t
                rules = [r for r in self.hub.insights.offer_rules if r.offer == offer]
                assert any(
                    r.channel is t.channel
                    and r.is_valid_on(day)
                    and t.customer_id in self.hub.insights.members(r.segment)
                    for r in rules
                ), t
        for cid in self.customer_ids():
            for m in self.hub.insights.offers_for(cid, day):
                assert self.hub.customers.get(cid).consent(m.channel), (cid, m)


InsightMachine.TestCase.settings = settings(max_examples=60, stateful_step_count=30)
TestInsightMachine = InsightMachine.TestCase


# -- merging is the combined history ---------------------------------------------------------


@settings(max_examples=60)
@given(
    ann=st.lists(_orders, min_size=0, max_size=5),
    bob=st.lists(_orders, min_size=1, max_size=5),
    cancel=st.lists(st.booleans(), max_size=10),
    period=st.sampled_from(["D", "W", "M"]),
)
def test_a_merged_customers_profile_is_the_profile_of_the_combined_history(
    ann: list[dict[str, object]],
    bob: list[dict[str, object]],
    cancel: list[bool],
    period: str,
) -> None:
    """Two customers merged have the profile of one customer who placed all their orders."""
    separate, clock_a = make_hub(start=START)
    together, clock_b = make_hub(start=START)
    orders = [("ann", o) for o in ann] + [("bob", o) for o in bob]
    for n, (who, o) in enumerate(orders):
        o = {**o, "consent": None, "age_band": None}
        req = request_of(n, {**o, "email": f"{who}@example.com"}, clock_a.now())
        one = request_of(n, {**o, "email": "ann@example.com"}, clock_b.now())
        a = separate.capture(req).order
        b = together.capture(one).order
        if n < len(cancel) and cancel[n]:
            separate.cancel(a.id)
            together.cancel(b.id)
        clock_a.advance(days=n % 3)
        clock_b.advance(days=n % 3)
    bob_id = separate.customers.find(email="bob@example.com").id  # type: ignore[union-attr]
    ann_customer = separate.customers.find(email="ann@example.com")
    survivor = bob_id if ann_customer is None else ann_customer.id
    if ann_customer is not None:
        separate.insights.profile(bob_id)  # both had profiles before the merge
        separate.customers.merge(survivor, bob_id)
    for hub in (separate, together):
        hub.insights.refresh(clock_a.now().date(), period, currency="USD")

    merged = separate.insights.profile(survivor)
    single = together.insights.profile(together.customers.find(email="ann@example.com").id)  # type: ignore[union-attr]

    assert attrs.evolve(merged, customer_id="x") == attrs.evolve(single, customer_id="x")
