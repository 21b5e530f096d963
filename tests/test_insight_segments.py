"""Segments as composable predicates, their membership events, and targeted offers."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from helpers import T0, make_hub, request
from orderhub import (
    Channel,
    ConsentChannel,
    LineRequest,
    Money,
    NotFound,
    OrderHub,
    ValidationError,
)
from orderhub._insight_segments import (
    CustomerEnteredSegment,
    CustomerLeftSegment,
    OfferRule,
    Segment,
    Target,
)
from orderhub.testing import FixedClock

TODAY = T0.date()


def shop() -> tuple[OrderHub, FixedClock, dict[str, str]]:
    """Ann: two web orders of tents, e-mail consent, 35-44. Bob: one store order, SMS
    consent. Cy: one web order of a lamp, no consent."""
    hub, clock = make_hub()
    ids = {}
    ids["ann"] = hub.capture(
        request(
            "W-1",
            email="ann@example.com",
            attributes={"age_band": "35-44"},
            consents={ConsentChannel.EMAIL: True},
        )
    ).order.customer_id
    hub.capture(request("W-2", email="ann@example.com"))
    ids["bob"] = hub.capture(
        request(
            "S-1",
            channel=Channel.STORE,
            email="bob@example.com",
            consents={ConsentChannel.SMS: True},
        )
    ).order.customer_id
    ids["cy"] = hub.capture(
        request("W-3", email="cy@example.com", lines=[LineRequest(sku="LAMP", quantity=1)])
    ).order.customer_id
    return hub, clock, ids


def test_segments_compose_with_and_or_not() -> None:
    """``&``, ``|`` and ``~`` combine the predicates and name the result."""
    hub, _, ids = shop()
    repeat = Segment.ordered_at_least(2)
    store = Segment.used_channel(Channel.STORE)
    campers = Segment.bought_category("camp")

    both = repeat & campers
    either = repeat | store
    not_campers = ~campers

    assert both.name == "(orders>=2 & category:camp)"
    assert either.name == "(orders>=2 | channel:store)"
    assert not_campers.name == "~category:camp"
    assert hub.insights.members(both) == {ids["ann"]}
    assert hub.insights.members(either) == {ids["ann"], ids["bob"]}
    assert hub.insights.members(not_campers) == {ids["cy"]}


def test_ready_made_segments_built_twice_are_equal() -> None:
    """Segments compare by name and test, so defining the same one again changes nothing."""
    hub, _, _ = shop()
    hub.insights.define(Segment.ordered_at_least(2) & Segment.consented(ConsentChannel.EMAIL))

    again = hub.insights.define(
        Segment.ordered_at_least(2) & Segment.consented(ConsentChannel.EMAIL)
    )

    assert again == ()
    assert len(hub.insights.segments) == 1


def test_a_segment_is_immutable_and_shows_its_name() -> None:
    """Segments are values: nothing can be set on one, and the repr names it."""
    seg = Segment.idle_for(30)

    with pytest.raises(AttributeError):
        seg.name = "other"  # type: ignore[misc]

    assert repr(seg) == "Segment('idle>=30d')"
    assert seg == Segment.idle_for(30)
    assert hash(seg) == hash(Segment.idle_for(30))


def test_a_different_segment_under_a_defined_name_is_refused() -> None:
    """Names identify defined segments: a second test under one name is an error."""
    hub, _, _ = shop()
    hub.insights.define(Segment("vip", lambda p: p.orders >= 2))

    with pytest.raises(ValidationError) as e:
        hub.insights.define(Segment("vip", lambda p: p.orders >= 3))

    assert (e.value.field, e.value.value) == ("segment.name", "vip")
    assert len(hub.insights.segments) == 1


def test_defining_a_segment_records_who_is_in_it_now() -> None:
    """Defining returns (and records) an enter event per current member."""
    hub, _, ids = shop()

    events = hub.insights.define(Segment.attribute("age_band", "35-44").named("thirties"))

    assert [(e.customer_id, e.segment) for e in events] == [(ids["ann"], "thirties")]
    assert all(e in hub.events for e in events)
    assert hub.insights.members("thirties") == {ids["ann"]}
    assert hub.insights.segments_of(ids["ann"]) == ("thirties",)


def test_profile_changes_move_customers_in_and_out() -> None:
    """A cancellation that drops a customer below the threshold records a leave event; a
    consent change records an enter event."""
    hub, _, ids = shop()
    hub.insights.define(Segment.ordered_at_least(2))
    hub.insights.define(Segment.consented(ConsentChannel.SMS))
    second = hub.customers.get(ids["ann"]).order_ids[1]

    left = hub.cancel(second)
    entered = hub.customers.set_consent(ids["cy"], ConsentChannel.SMS, True)

    assert next(e for e in left if isinstance(e, CustomerLeftSegment)).customer_id == ids["ann"]
    assert (
        CustomerEnteredSegment(occurred_at=T0, customer_id=ids["cy"], segment="consented:sms")
        in hub.events
    )
    assert entered  # the consent event itself
    assert hub.insights.members("orders>=2") == frozenset()


def test_time_based_segments_move_on_refresh() -> None:
    """An idle-for segment changes when the host refreshes insight to a later day."""
    hub, _, ids = shop()
    hub.insights.define(Segment.idle_for(30))

    assert hub.insights.refresh(TODAY + timedelta(days=29)) == ()
    events = hub.insights.refresh(TODAY + timedelta(days=30))

    assert {e.customer_id for e in events} == set(ids.values())
    assert hub.insights.profile(ids["ann"]).days_since_last_purchase == 30


def test_rfm_segments_follow_the_refreshed_scores() -> None:
    """After a refresh, each customer with a purchase is in exactly one RFM segment."""
    hub, clock, ids = shop()
    clock.advance(days=10)
    hub.capture(request("W-9", email="ann@example.com"))
    names = ["champions", "loyal", "potential loyalists", "new", "at risk", "can't lose"]
    names += ["hibernating", "lost"]
    for name in names:
        hub.insights.define(Segment.rfm(name))

    hub.insights.refresh(TODAY + timedelta(days=12))

    counts = {cid: len(hub.insights.segments_of(cid)) for cid in ids.values()}
    assert counts == dict.fromkeys(ids.values(), 1)
    score = hub.insights.profile(ids["ann"]).rfm_score
    assert score is not None
    assert score.segment in hub.insights.segments_of(ids["ann"])


def test_segment_factories_refuse_bad_arguments_by_name() -> None:
    """Each ready-made segment names the argument it refuses."""
    cases = [
        (lambda: Segment.rfm("whales"), "name"),
        (lambda: Segment.consented("email"), "channel"),  # type: ignore[arg-type]
        (lambda: Segment.ordered_at_least(-1), "orders"),
        (lambda: Segment.spent_at_least(10), "amount"),  # type: ignore[arg-type]
        (lambda: Segment.bought_category(""), "category"),
        (lambda: Segment.used_channel("web"), "channel"),  # type: ignore[arg-type]
        (lambda: Segment.idle_for(True), "days"),
        (lambda: Segment("", lambda p: True), "name"),
        (lambda: Segment("x", 3), "test"),  # type: ignore[arg-type]
        (lambda: Segment.ordered_at_least(1) & 3, "other"),  # type: ignore[operator]
    ]
    for make, field in cases:
        with pytest.raises(ValidationError) as e:
            make()
        assert e.value.field == field


# -- offers -------------------------------------------------------------------------------------


def test_targets_are_the_consenting_members_on_valid_days() -> None:
    """Only members who consent to the rule's channel are targeted, within the window."""
    hub, _, ids = shop()
    hub.insights.define(Segment("everyone", lambda p: p.orders > 0))
    hub.insights.add_offer(
        OfferRule(
            segment="everyone",
            offer="spring-sale",
            channel=ConsentChannel.EMAIL,
            valid_from=TODAY,
            valid_until=TODAY + timedelta(days=7),
        )
    )
    hub.insights.add_offer(
        OfferRule(segment="everyone", offer="spring-sale", channel=ConsentChannel.SMS)
    )

    on_day = hub.insights.targets("spring-sale", TODAY)
    later = hub.insights.targets("spring-sale", TODAY + timedelta(days=8))

    assert on_day == (
        Target(
            customer_id=ids["ann"],
            offer="spring-sale",
            channel=ConsentChannel.EMAIL,
            priority=0,
            segment="everyone",
        ),
        Target(
            customer_id=ids["bob"],
            offer="spring-sale",
            channel=ConsentChannel.SMS,
            priority=0,
            segment="everyone",
        ),
    )
    assert [t.customer_id for t in later] == [ids["bob"]]


def test_withdrawn_consent_removes_a_target_at_once() -> None:
    """Consent is read when targeting: a withdrawal stops the offer."""
    hub, _, ids = shop()
    hub.insights.define(Segment.ordered_at_least(1))
    hub.insights.add_offer(
        OfferRule(segment="orders>=1", offer="tips", channel=ConsentChannel.EMAIL)
    )

    hub.customers.set_consent(ids["ann"], ConsentChannel.EMAIL, False)

    assert hub.insights.targets("tips", TODAY) == ()


def test_offers_for_a_customer_are_best_first_with_why() -> None:
    """Several fitting offers come highest priority first, each through its best channel."""
    hub, _, ids = shop()
    hub.customers.set_consent(ids["ann"], ConsentChannel.SMS, True)
    for segment in (
        Segment.ordered_at_least(2),
        Segment.bought_category("camp"),
        Segment.used_channel(Channel.STORE),
    ):
        hub.insights.define(segment)
    hub.insights.add_offer(
        OfferRule(segment="orders>=2", offer="loyalty", channel=ConsentChannel.SMS, priority=1)
    )
    hub.insights.add_offer(
        OfferRule(segment="orders>=2", offer="loyalty", channel=ConsentChannel.EMAIL, priority=3)
    )
    hub.insights.add_offer(
        OfferRule(
            segment="category:camp",
            offer="tent-care",
            channel=ConsentChannel.EMAIL,
            priority=2,
            valid_until=TODAY,
        )
    )
    hub.insights.add_offer(
        OfferRule(
            segment="channel:store",
            offer="store-event",
            channel=ConsentChannel.EMAIL,
            priority=9,
        )
    )

    offers = hub.insights.offers_for(ids["ann"], TODAY)

    assert [(m.offer, m.channel, m.priority) for m in offers] == [
        ("loyalty", ConsentChannel.EMAIL, 3),
        ("tent-care", ConsentChannel.EMAIL, 2),
    ]
    assert offers[1].why == (
        "in segment 'category:camp'; consents to email; valid until "
        f"{TODAY.isoformat()}; priority 2"
    )
    assert hub.insights.offers_for(ids["ann"], TODAY + timedelta(days=1))[1:] == ()


def test_an_unknown_offer_and_bad_rules_are_refused_by_name() -> None:
    """Targets of an offer nobody offers, rules naming no defined segment, and malformed
    rules name the field."""
    hub, _, _ = shop()
    seg = "orders>=1"

    with pytest.raises(NotFound) as unknown:
        hub.insights.targets("nothing", TODAY)
    with pytest.raises(NotFound) as undefined:
        hub.insights.add_offer(OfferRule(segment=seg, offer="x", channel=ConsentChannel.EMAIL))
    with pytest.raises(ValidationError) as window:
        OfferRule(
            segment=seg,
            offer="x",
            channel=ConsentChannel.EMAIL,
            valid_from=TODAY,
            valid_until=TODAY - timedelta(days=1),
        )
    with pytest.raises(ValidationError) as code:
        OfferRule(segment=Segment.ordered_at_least(1), offer="x", channel=ConsentChannel.SMS)  # type: ignore[arg-type]
    with pytest.raises(ValidationError) as channel:
        OfferRule(segment=seg, offer="x", channel="email")  # type: ignore[arg-type]
    with pytest.raises(ValidationError) as day:
        OfferRule(segment=seg, offer="x", channel=ConsentChannel.SMS, valid_from=T0)  # type: ignore[arg-type]
    with pytest.raises(ValidationError) as on:
        hub.insights.offers_for("customer-1", datetime(2026, 1, 1))  # type: ignore[arg-type]

    assert (unknown.value.field, unknown.value.value) == ("offer", "nothing")
    assert (undefined.value.field, undefined.value.value) == ("rule.segment", seg)
    assert hub.insights.offer_rules == ()
    assert window.value.field == "valid_until"
    assert code.value.field == "segment"
    assert channel.value.field == "channel"
    assert day.value.field == "valid_from"
    assert on.value.field == "on"


def test_members_of_an_undefined_name_is_not_found() -> None:
    """Membership by name needs the segment defined."""
    hub, _, _ = shop()

    with pytest.raises(NotFound) as e:
        hub.insights.members("vip")

    assert e.value.field == "segment"


def test_segment_predicates_can_read_money_and_attributes() -> None:
    """Spent-at-least compares net revenue in the amount's currency."""
    hub, _, ids = shop()

    big = hub.insights.members(Segment.spent_at_least(Money("298.00", "USD")))
    thirties = hub.insights.members(Segment.attribute("age_band", "35-44"))

    assert big == {ids["ann"]}
    assert thirties == {ids["ann"]}


def test_erasure_leaves_consent_based_segments() -> None:
    """Erasing a customer withdraws consent, so they leave consent segments."""
    hub, _, ids = shop()
    hub.insights.define(Segment.consented(ConsentChannel.EMAIL))

    hub.customers.erase(ids["ann"])

    assert hub.insights.members("consented:email") == frozenset()
