"""Customer profiles kept from the hub's events, and the 360° view."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from helpers import T0, make_hub, request
from orderhub import (
    Channel,
    ConsentChannel,
    CustomerIdentity,
    Discount,
    LineRequest,
    Money,
    OrderState,
    UnknownCustomer,
    ValidationError,
)
from orderhub._insight_segments import CustomerEnteredSegment, OfferRule, Segment
from orderhub.events import CustomersMerged

USD = "USD"


def usd(amount: str) -> Money:
    return Money(amount, USD)


def test_a_new_customer_has_an_empty_profile() -> None:
    """A customer known to the master but without orders has zero counts and no days."""
    hub, _ = make_hub()
    order = hub.capture(request("W-1", email="ann@example.com")).order
    hub.cancel(order.id)

    p = hub.insights.profile(order.customer_id)

    assert (p.orders, p.cancelled_orders, p.purchase_days) == (0, 1, 0)
    assert (p.first_purchase, p.last_purchase, p.revenue, p.units) == (None, None, {}, 0)
    assert p.return_rate is None
    assert p.favourite_store is None


def test_profile_counts_orders_days_revenue_and_mixes() -> None:
    """Orders on several channels, stores and campaigns add up in the profile."""
    hub, clock = make_hub()
    ann = CustomerIdentity(email="ann@example.com")
    hub.capture(
        request(
            "W-1",
            customer=ann,
            lines=[LineRequest(sku="TENT", quantity=2), LineRequest(sku="MAT", quantity=1)],
            context={"campaign": "spring", "promo_code": "TENT10"},
        )
    )
    clock.advance(days=1)
    hub.capture(
        request(
            "S-1",
            channel=Channel.STORE,
            customer=ann,
            context={"store_id": "chicago"},
            discounts=[Discount(amount=usd("9.00"), code="WELCOME")],
        )
    )
    hub.capture(
        request("S-2", channel=Channel.STORE, customer=ann, context={"store_id": "chicago"})
    )
    hub.capture(request("S-3", channel=Channel.STORE, customer=ann, context={"store_id": "nyc"}))

    p = hub.insights.profile(hub.customers.find(email="ann@example.com").id)  # type: ignore[union-attr]

    assert (p.orders, p.purchase_days) == (4, 2)
    assert (p.first_purchase, p.last_purchase) == (T0.date(), T0.date() + timedelta(days=1))
    assert p.revenue == {USD: usd("766.00")}  # 328 + (149 - 9) + 149 + 149
    assert p.average_order_value == {USD: usd("191.50")}
    assert p.channel_mix == {Channel.WEB: 1, Channel.STORE: 3}
    assert p.category_mix == {"camp": 5}
    assert p.store_mix == {"chicago": 2, "nyc": 1}
    assert p.favourite_store == "chicago"
    assert p.campaigns == {"spring": 1}
    assert p.promo_codes == {"TENT10": 1, "WELCOME": 1}
    assert p.units == 6


def test_cancellations_take_their_share_of_the_line_net_away() -> None:
    """A partly cancelled line keeps its net in proportion, rounded half-up; an order
    cancelled whole stops counting as an order and as a purchase day."""
    hub, clock = make_hub()
    first = hub.capture(
        request(
            "W-1",
            email="ann@example.com",
            lines=[LineRequest(sku="LAMP", quantity=3)],
            discounts=[Discount(amount=usd("0.01"))],
        )
    ).order  # 29.97 - 0.01 = 29.96 for 3 lamps
    clock.advance(days=2)
    second = hub.capture(request("W-2", email="ann@example.com")).order

    hub.cancel_line(first.id, 1, 1)
    hub.cancel(second.id)
    p = hub.insights.profile(first.customer_id)

    assert p.revenue == {USD: usd("19.97")}  # 2996 × 2 / 3 = 1997.33 cents → 19.97
    assert (p.orders, p.cancelled_orders, p.purchase_days, p.units) == (1, 1, 1, 2)
    assert p.last_purchase == T0.date()
    assert hub.insights.rebuilt(first.customer_id) == p


def test_attributes_and_consent_come_from_the_customer_master() -> None:
    """The profile shows the latest captured attributes and the current consent."""
    hub, _ = make_hub()
    order = hub.capture(
        request(
            "W-1",
            email="ann@example.com",
            attributes={"age_band": "35-44"},
            consents={ConsentChannel.EMAIL: True},
        )
    ).order

    hub.customers.capture_attributes(order.customer_id, {"age_band": "45-54"})
    hub.customers.set_consent(order.customer_id, ConsentChannel.SMS, True)
    p = hub.insights.profile(order.customer_id)

    assert p.attributes == {"age_band": "45-54"}
    assert p.consents[ConsentChannel.EMAIL]
    assert p.consents[ConsentChannel.SMS]
    assert not p.consents[ConsentChannel.POST]


def test_a_merged_customer_answers_with_the_combined_history() -> None:
    """After a merge, the survivor's profile holds both histories and the duplicate's id
    answers with the survivor."""
    hub, clock = make_hub()
    a = hub.capture(request("W-1", email="ann@example.com")).order.customer_id
    clock.advance(days=3)
    b = hub.capture(
        request(
            "S-1", channel=Channel.STORE, email="ann.lee@example.com", context={"store_id": "x"}
        )
    ).order.customer_id
    hub.insights.profile(b)  # the duplicate had a profile of its own

    hub.customers.merge(a, b)
    p = hub.insights.profile(b)

    assert p.customer_id == a
    assert (p.orders, p.purchase_days) == (2, 2)
    assert p.channel_mix == {Channel.WEB: 1, Channel.STORE: 1}
    assert p == hub.insights.rebuilt(a)


def test_a_merge_reported_by_event_and_by_alias_is_folded_once() -> None:
    """``CustomersMerged`` reaching the event log after the alias was seen changes nothing."""
    hub, _ = make_hub()
    a = hub.capture(request("W-1", email="ann@example.com")).order.customer_id
    b = hub.capture(request("W-2", email="bob@example.com")).order.customer_id
    events = hub.customers.merge(a, b)
    before = hub.insights.profile(a)

    hub._record(events)

    assert isinstance(events[0], CustomersMerged)
    assert hub.insights.profile(a) == before
    assert before.orders == 2


def test_returns_and_balances_arrive_through_hooks() -> None:
    """The hooks later areas call: returned units lower revenue and set the return rate; a
    receivable balance shows per currency."""
    hub, _ = make_hub()
    order = hub.capture(
        request("W-1", email="ann@example.com", lines=[LineRequest(sku="TENT", quantity=4)])
    ).order
    hub.insights.profile(order.customer_id)
    touched: dict[str, None] = {}

    hub.insights._note_return(order.id, 1, 1, touched)
    hub.insights._note_balance(order.customer_id, usd("447.00"), touched)
    p = hub.insights.profile(order.customer_id)

    assert touched == {order.customer_id: None}
    assert p.revenue == {USD: usd("447.00")}
    assert (p.units, p.returned_units, p.return_rate) == (4, 1, Decimal("0.25"))
    assert p.category_mix == {"camp": 3}
    assert p.open_balance == {USD: usd("447.00")}
    assert hub.insights.rebuilt(order.customer_id) == p


def test_purchase_days_follow_the_insight_time_zone() -> None:
    """An order placed at 02:00 UTC is on the previous day in Chicago."""
    hub, _ = make_hub(start=datetime(2026, 3, 2, 2, 0, tzinfo=UTC))
    hub.insights.timezone = timezone(timedelta(hours=-6))
    order = hub.capture(request("W-1", email="ann@example.com")).order

    p = hub.insights.profile(order.customer_id)

    assert p.first_purchase == date(2026, 3, 1)
    with pytest.raises(ValidationError) as late:
        hub.insights.timezone = UTC
    assert late.value.field == "timezone"


def test_orders_in_several_currencies_keep_their_own_revenue() -> None:
    """Revenue and average order value are per currency; days are counted once."""
    hub, _ = make_hub()
    hub.capture(request("W-1", email="ann@example.com"))
    order = hub.capture(
        request("W-2", email="ann@example.com", lines=[LineRequest(sku="TEA", quantity=2)])
    ).order

    p = hub.insights.profile(order.customer_id)

    assert p.revenue == {"JPY": Money(2400, "JPY"), USD: usd("149.00")}
    assert p.purchase_days == 1
    assert p.revenue_in("EUR") == Money.zero("EUR")


def test_unknown_customers_are_refused_by_name() -> None:
    """Asking for a customer the master does not know is an UnknownCustomer."""
    hub, _ = make_hub()

    with pytest.raises(UnknownCustomer) as e:
        hub.insights.profile("customer-404")

    assert (e.value.field, e.value.value) == ("customer_id", "customer-404")


# -- importing history -------------------------------------------------------------------------


def test_imported_history_counts_as_orders_and_purchase_days() -> None:
    """Rows imported from outside the hub add orders, revenue and purchase days."""
    hub, _ = make_hub()
    cid = hub.capture(request("W-1", email="ann@example.com")).order.customer_id

    n = hub.insights.import_history(
        [
            (cid, date(2025, 12, 1), usd("20.00")),
            (cid, datetime(2025, 12, 1, 23, 0, tzinfo=UTC), usd("5.00")),
        ]
    )
    p = hub.insights.profile(cid)

    assert n == 2
    assert (p.orders, p.purchase_days, p.first_purchase) == (3, 2, date(2025, 12, 1))
    assert p.revenue == {USD: usd("174.00")}
    assert p == hub.insights.rebuilt(cid)


@pytest.mark.parametrize(
    ("row", "field"),
    [
        (("customer-404", date(2025, 1, 1), Money("1.00", "USD")), "rows[1].customer_id"),
        (("customer-1", "2025-01-01", Money("1.00", "USD")), "rows[1].day"),
        (("customer-1", datetime(2025, 1, 1), Money("1.00", "USD")), "rows[1].day"),
        (("customer-1", date(2025, 1, 1), Money("-1.00", "USD")), "rows[1].amount"),
        (("customer-1", date(2025, 1, 1)), "rows[1]"),
    ],
)
def test_a_bad_import_row_is_named_and_nothing_is_imported(row: object, field: str) -> None:
    """Every row is checked before any is added."""
    hub, _ = make_hub()
    cid = hub.capture(request("W-1", email="ann@example.com")).order.customer_id
    before = hub.insights.profile(cid)

    with pytest.raises(
        ValidationError if field != "rows[1].customer_id" else UnknownCustomer
    ) as e:
        hub.insights.import_history([(cid, date(2025, 1, 1), usd("1.00")), row])  # type: ignore[list-item]

    assert e.value.field == field
    assert hub.insights.profile(cid) == before


# -- the 360° view ------------------------------------------------------------------------------


def test_the_view_shows_the_customer_orders_segments_and_offers() -> None:
    """One call answers with everything a call-centre agent needs."""
    hub, clock = make_hub()
    first = hub.capture(
        request("W-1", email="ann@example.com", consents={ConsentChannel.EMAIL: True})
    ).order
    clock.advance(days=1)
    second = hub.capture(request("W-2", email="ann@example.com")).order
    hub.insights.define(Segment.ordered_at_least(2))
    hub.insights.add_offer(
        OfferRule(
            segment="orders>=2",
            offer="free-shipping",
            channel=ConsentChannel.EMAIL,
        )
    )
    hub.insights.refresh(date(2026, 3, 10))

    view = hub.insights.view(first.customer_id)

    assert view.customer.id == first.customer_id
    assert [o.id for o in view.orders] == [second.id, first.id]
    assert [o.state for o in view.open_orders] == [OrderState.CAPTURED, OrderState.CAPTURED]
    assert view.profile.orders == 2
    assert view.segments == ("orders>=2",)
    assert [m.offer for m in view.offers] == ["free-shipping"]
    assert "consents to email" in view.offers[0].why
    assert (view.shipments, view.invoices, view.open_items, view.returns) == ((), (), (), ())


def test_segment_events_are_recorded_with_the_command_that_caused_them() -> None:
    """With a segment defined, the capture that brings a customer in returns the event."""
    hub, _ = make_hub()
    hub.insights.define(Segment.ordered_at_least(2))
    hub.capture(request("W-1", email="ann@example.com"))

    events = hub.capture(request("W-2", email="ann@example.com")).events

    entered = [e for e in events if isinstance(e, CustomerEnteredSegment)]
    assert [(e.customer_id, e.segment) for e in entered] == [("customer-1", "orders>=2")]
    assert entered[0] in hub.events
