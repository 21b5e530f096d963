"""The customer master: matching across channels, merge, attributes, consent, erasure."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from helpers import T0, address, events_of, hub_state, make_hub, request
from orderhub import (
    AttributeRecord,
    Channel,
    ConsentChannel,
    ConsentRecord,
    CustomerIdentity,
    ExternalId,
    OrderHub,
    ValidationError,
    normalise_email,
    normalise_phone,
)
from orderhub._customers import MATCH_ORDER
from orderhub.errors import UnknownCustomer
from orderhub.events import (
    ConsentChanged,
    CustomerAttributeCaptured,
    CustomerCreated,
    CustomerErased,
    CustomersMerged,
    CustomerUpdated,
    PossibleDuplicate,
)

# -- normalisation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("ann@example.com", "ann@example.com"),
        ("  Ann@Example.COM ", "ann@example.com"),
        ("ANN.LEE+shop@EXAMPLE.co.uk\t", "ann.lee+shop@example.co.uk"),
        ("Zoë@Exämple.de", "zoë@exämple.de"),
    ],
)
def test_email_is_trimmed_and_lower_cased(raw: str, normal: str) -> None:
    """An e-mail address is matched trimmed and lower-cased, non-ASCII included."""
    result = normalise_email(raw)

    assert result == normal


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "ann",
        "ann@",
        "@example.com",
        "ann@example",
        "a@@example.com",
        "a@.com",
        "a@example.",
        "ann lee@example.com",
        "ann@exa mple.com",
        42,
        None,
    ],
)
def test_malformed_email_is_rejected(raw: Any) -> None:
    """A string that is not an e-mail address raises a ValueError naming the field."""
    with pytest.raises(ValidationError) as caught:
        normalise_email(raw)

    assert caught.value.field == "email"
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("+1 (555) 010-0000", "+15550100000"),
        ("+1.555.010.0000", "+15550100000"),
        ("0044 20 7946 0958", "+442079460958"),
        ("030/1234567", "0301234567"),
        ("  555-0100 ", "5550100"),
    ],
)
def test_phone_keeps_digits_and_international_plus(raw: str, normal: str) -> None:
    """A phone number loses its separators; a leading ``00`` becomes ``+``."""
    result = normalise_phone(raw)

    assert result == normal


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "12345",
        "+12345",
        "1234567890123456",
        "call me",
        "+1 555 O1O 0000",
        "１２３４５６７",
        5550100,
    ],
)
def test_malformed_phone_is_rejected(raw: Any) -> None:
    """A phone number with letters, non-ASCII digits or the wrong length is rejected."""
    with pytest.raises(ValidationError) as caught:
        normalise_phone(raw)

    assert caught.value.field == "phone"


def test_identity_normalises_on_construction() -> None:
    """A customer identity holds the normalised e-mail and phone and a tidied name."""
    identity = CustomerIdentity(
        email=" Ann@Example.com", phone="+1 (555) 010-0000", name="  Ann   Lee "
    )

    assert (identity.email, identity.phone, identity.name) == (
        "ann@example.com",
        "+15550100000",
        "Ann Lee",
    )


def test_identity_without_identifiers_is_anonymous() -> None:
    """An identity with only a name cannot identify anyone."""
    identity = CustomerIdentity(name="Ann Lee")

    assert identity.is_anonymous
    assert not CustomerIdentity(loyalty_id="L-1").is_anonymous


# -- create or attach --------------------------------------------------------------------------


def test_new_identity_creates_a_customer() -> None:
    """Capturing with an identity nobody has creates a customer holding its identifiers."""
    hub, _ = make_hub()
    identity = CustomerIdentity(
        email="ann@example.com", phone="+15550100000", loyalty_id="L-1", external_id="B-7"
    )

    captured = hub.capture(request(customer=identity, channel=Channel.MARKETPLACE))

    customer = hub.customers.get(captured.order.customer_id)
    assert customer.emails == ("ann@example.com",)
    assert customer.phones == ("+15550100000",)
    assert customer.loyalty_ids == ("L-1",)
    assert customer.external_ids == (ExternalId(Channel.MARKETPLACE, "B-7"),)
    assert customer.order_ids == (captured.order.id,)
    assert customer.created_at == T0
    assert events_of(captured.events, CustomerCreated) == [
        CustomerCreated(occurred_at=T0, customer_id=customer.id, channel=Channel.MARKETPLACE)
    ]


def test_same_email_in_other_case_and_spacing_attaches() -> None:
    """A second order whose e-mail differs only in case and spaces attaches to the customer."""
    hub, _ = make_hub()
    first = hub.capture(request("W-1", email="ann@example.com"))

    second = hub.capture(request("W-2", email="  ANN@Example.Com "))

    assert second.order.customer_id == first.order.customer_id
    assert len(hub.customers) == 1
    assert events_of(second.events, CustomerCreated) == []
    assert hub.customers.get(first.order.customer_id).order_ids == ("order-1", "order-2")


def test_phone_in_another_format_attaches() -> None:
    """A phone number written differently still finds the customer."""
    hub, _ = make_hub()
    first = hub.capture(
        request("S-1", channel=Channel.STORE, customer=CustomerIdentity(phone="+1 (555) 010-0000"))
    )

    second = hub.capture(
        request(
            "C-1", channel=Channel.CALL_CENTRE, customer=CustomerIdentity(phone="+1.555.010.0000")
        )
    )

    assert second.order.customer_id == first.order.customer_id


def test_loyalty_id_attaches_across_channels() -> None:
    """A loyalty id given in store finds the customer who gave it on the web."""
    hub, _ = make_hub()
    first = hub.capture(request("W-1", customer=CustomerIdentity(loyalty_id="L-42")))

    second = hub.capture(
        request("S-1", channel=Channel.STORE, customer=CustomerIdentity(loyalty_id="L-42"))
    )

    assert second.order.customer_id == first.order.customer_id


def test_external_id_matches_only_on_its_own_channel() -> None:
    """A channel's customer id matches on that channel; the same value elsewhere is unrelated."""
    hub, _ = make_hub()
    first = hub.capture(
        request("M-1", channel=Channel.MARKETPLACE, customer=CustomerIdentity(external_id="B-7"))
    )

    again = hub.capture(
        request("M-2", channel=Channel.MARKETPLACE, customer=CustomerIdentity(external_id="B-7"))
    )
    elsewhere = hub.capture(
        request("E-1", channel=Channel.EDI, customer=CustomerIdentity(external_id="B-7"))
    )

    assert again.order.customer_id == first.order.customer_id
    assert elsewhere.order.customer_id != first.order.customer_id
    assert len(hub.customers) == 2


def test_anonymous_orders_each_get_their_own_customer() -> None:
    """Orders with no identifiers cannot be matched, so each creates a customer."""
    hub, _ = make_hub()

    first = hub.capture(request("W-1"))
    second = hub.capture(request("W-2"))

    assert first.order.customer_id != second.order.customer_id


def test_new_identifiers_are_added_to_the_matched_customer() -> None:
    """An order that matches on e-mail and brings a phone teaches the customer that phone."""
    hub, _ = make_hub()
    first = hub.capture(request("W-1", email="ann@example.com"))
    identity = CustomerIdentity(email="ann@example.com", phone="+15550100000", loyalty_id="L-1")

    second = hub.capture(request("W-2", customer=identity))

    customer = hub.customers.get(first.order.customer_id)
    assert customer.phones == ("+15550100000",)
    assert customer.loyalty_ids == ("L-1",)
    assert events_of(second.events, CustomerUpdated) == [
        CustomerUpdated(occurred_at=T0, customer_id=customer.id, changes=("loyalty_id", "phone"))
    ]
    assert hub.customers.find(phone="+1 555 010 0000") == customer


def test_attaching_with_nothing_new_emits_no_update() -> None:
    """A returning customer with known identifiers produces no CustomerUpdated event."""
    hub, _ = make_hub()
    hub.capture(request("W-1", email="ann@example.com"))

    second = hub.capture(request("W-2", email="ann@example.com"))

    assert events_of(second.events, CustomerUpdated) == []


def test_name_is_learnt_when_the_customer_had_none() -> None:
    """A name arriving with a later order fills in a customer that had none, and no more."""
    hub, _ = make_hub()
    first = hub.capture(request("W-1", email="ann@example.com"))
    hub.capture(request("W-2", customer=CustomerIdentity(email="ann@example.com", name="Ann")))

    hub.capture(request("W-3", customer=CustomerIdentity(email="ann@example.com", name="Bob")))

    assert hub.customers.get(first.order.customer_id).name == "Ann"


def test_non_ascii_names_are_kept_as_given() -> None:
    """Names in any script are stored as given, with their whitespace tidied."""
    hub, _ = make_hub()
    identity = CustomerIdentity(email="zoe@example.com", name="Zoë  Ångström-Núñez 李小龍")

    captured = hub.capture(request(customer=identity))

    assert hub.customers.get(captured.order.customer_id).name == "Zoë Ångström-Núñez 李小龍"


def test_find_by_each_identifier() -> None:
    """``find`` answers with the customer for any of its identifiers, in any spelling."""
    hub, _ = make_hub()
    identity = CustomerIdentity(
        email="ann@example.com", phone="+15550100000", loyalty_id="L-1", external_id="B-7"
    )
    captured = hub.capture(request(customer=identity, channel=Channel.MARKETPLACE))
    customer = hub.customers.get(captured.order.customer_id)

    found = [
        hub.customers.find(email="ANN@example.com"),
        hub.customers.find(phone="+1 555-010-0000"),
        hub.customers.find(loyalty_id="L-1"),
        hub.customers.find(channel=Channel.MARKETPLACE, external_id="B-7"),
    ]

    assert found == [customer] * 4
    assert hub.customers.find(email="bob@example.com") is None
    assert hub.customers.find(channel=Channel.WEB, external_id="B-7") is None


def test_known_customer_id_attaches_to_that_customer() -> None:
    """An identity carrying the hub's customer id attaches to that customer."""
    hub, _ = make_hub()
    first = hub.capture(request("W-1", email="ann@example.com"))

    second = hub.capture(
        request(
            "C-1",
            channel=Channel.CALL_CENTRE,
            customer=CustomerIdentity(customer_id=first.order.customer_id),
        )
    )

    assert second.order.customer_id == first.order.customer_id


def test_unknown_customer_id_is_rejected_and_nothing_changes() -> None:
    """Capturing for a customer id the hub does not know raises UnknownCustomer."""
    hub, _ = make_hub()
    hub.capture(request("W-1", email="ann@example.com"))
    before = hub_state(hub)

    with pytest.raises(UnknownCustomer) as caught:
        hub.capture(request("W-2", customer=CustomerIdentity(customer_id="customer-99")))

    assert caught.value.field == "customer.customer_id"
    assert caught.value.value == "customer-99"
    assert hub_state(hub) == before


# -- ambiguous matches -------------------------------------------------------------------------

_IDENTIFIER_VALUES: dict[str, dict[str, str]] = {
    "external_id": {"external_id": "B-7"},
    "loyalty_id": {"loyalty_id": "L-1"},
    "email": {"email": "ann@example.com"},
    "phone": {"phone": "+15550100000"},
}


def _customer_known_by(hub: OrderHub, kind: str, external_id: str) -> str:
    """Create a customer whose only identifier is of ``kind``; return its id."""
    fields = _IDENTIFIER_VALUES.get(kind, {"email": f"seed-{external_id}@example.com"})
    captured = hub.capture(request(external_id, customer=CustomerIdentity(**fields)))
    return captured.order.customer_id


def _identity_for(kind: str, customer_id: str) -> dict[str, str]:
    return {"customer_id": customer_id} if kind == "customer_id" else _IDENTIFIER_VALUES[kind]


@pytest.mark.parametrize(
    ("strong", "weak"),
    [(a, b) for i, a in enumerate(MATCH_ORDER) for b in MATCH_ORDER[i + 1 :]],
)
def test_ambiguous_identity_attaches_by_match_order(strong: str, weak: str) -> None:
    """When two identifiers point at two customers, the stronger one (MATCH_ORDER) wins."""
    hub, _ = make_hub()
    a = _customer_known_by(hub, strong, "W-A")
    b = _customer_known_by(hub, weak, "W-B")
    identity = CustomerIdentity(**_identity_for(strong, a), **_identity_for(weak, b))

    captured = hub.capture(request("W-C", customer=identity))

    assert captured.order.customer_id == a
    assert events_of(captured.events, PossibleDuplicate) == [
        PossibleDuplicate(
            occurred_at=T0, customer_id=a, other_customer_ids=(b,), matched_on=(weak,)
        )
    ]


@pytest.mark.parametrize(("strong", "weak"), [("loyalty_id", "email"), ("email", "phone")])
def test_ambiguous_identity_merges_nothing(strong: str, weak: str) -> None:
    """An ambiguous match leaves the other customer untouched and moves no identifier."""
    hub, _ = make_hub()
    a = _customer_known_by(hub, strong, "W-A")
    b = _customer_known_by(hub, weak, "W-B")
    b_before = hub.customers.get(b)
    identity = CustomerIdentity(**_IDENTIFIER_VALUES[strong], **_IDENTIFIER_VALUES[weak])

    hub.capture(request("W-C", customer=identity))

    assert len(hub.customers) == 2
    assert hub.customers.get(b) == b_before
    assert hub.customers.find(**_IDENTIFIER_VALUES[weak]).id == b  # type: ignore[union-attr]
    assert hub.customers.get(a).merged_ids == ()
    assert not events_of(hub.events, CustomersMerged)


def test_ambiguous_identity_names_every_other_customer() -> None:
    """Three identifiers pointing at three customers flag both others, with what matched."""
    hub, _ = make_hub()
    a = _customer_known_by(hub, "loyalty_id", "W-A")
    b = _customer_known_by(hub, "email", "W-B")
    c = _customer_known_by(hub, "phone", "W-C")
    identity = CustomerIdentity(loyalty_id="L-1", email="ann@example.com", phone="+15550100000")

    captured = hub.capture(request("W-D", customer=identity))

    assert captured.order.customer_id == a
    assert events_of(captured.events, PossibleDuplicate) == [
        PossibleDuplicate(
            occurred_at=T0,
            customer_id=a,
            other_customer_ids=(b, c),
            matched_on=("email", "phone"),
        )
    ]


# -- merge -------------------------------------------------------------------------------------


def _two_customers(hub: OrderHub) -> tuple[str, str]:
    a = hub.capture(
        request(
            "W-1",
            customer=CustomerIdentity(email="ann@example.com", name="Ann Lee"),
            attributes={"age_band": "35-44"},
            consents={ConsentChannel.EMAIL: True},
            ship_to=address(),
        )
    ).order.customer_id
    b = hub.capture(
        request(
            "S-1",
            channel=Channel.STORE,
            customer=CustomerIdentity(phone="+15550100000", loyalty_id="L-1"),
            attributes={"household": 4},
            consents={ConsentChannel.SMS: True},
        )
    ).order.customer_id
    return a, b


def test_merge_keeps_both_histories_under_the_survivor() -> None:
    """The survivor gains the duplicate's identifiers, orders, attributes and consents."""
    hub, clock = make_hub()
    a, b = _two_customers(hub)
    clock.advance(hours=1)

    events = hub.customers.merge(a, b)

    survivor = hub.customers.get(a)
    assert survivor.emails == ("ann@example.com",)
    assert survivor.phones == ("+15550100000",)
    assert survivor.loyalty_ids == ("L-1",)
    assert survivor.order_ids == ("order-1", "order-2")
    assert survivor.attributes == {"age_band": "35-44", "household": 4}
    assert survivor.consents[ConsentChannel.EMAIL]
    assert survivor.consents[ConsentChannel.SMS]
    assert survivor.merged_ids == (b,)
    assert [o.id for o in hub.orders_of(a)] == ["order-1", "order-2"]
    assert len(hub.customers) == 1
    assert events == [
        CustomersMerged(occurred_at=T0 + timedelta(hours=1), survivor_id=a, duplicate_id=b)
    ]


def test_look_ups_of_the_duplicate_answer_with_the_survivor() -> None:
    """After a merge, the duplicate's id and identifiers all lead to the survivor."""
    hub, _ = make_hub()
    a, b = _two_customers(hub)

    hub.customers.merge(a, b)

    survivor = hub.customers.get(a)
    assert hub.customers.get(b) == survivor
    assert hub.customers.resolve(b) == a
    assert b in hub.customers
    assert hub.customers.find(phone="+15550100000") == survivor
    assert hub.customers.find(loyalty_id="L-1") == survivor
    assert hub.orders_of(b) == hub.orders_of(a)


def test_orders_after_a_merge_attach_to_the_survivor() -> None:
    """A later order naming the duplicate's id or identifiers attaches to the survivor."""
    hub, _ = make_hub()
    a, b = _two_customers(hub)
    hub.customers.merge(a, b)

    by_id = hub.capture(request("C-1", customer=CustomerIdentity(customer_id=b)))
    by_phone = hub.capture(request("C-2", customer=CustomerIdentity(phone="+15550100000")))

    assert by_id.order.customer_id == a
    assert by_phone.order.customer_id == a
    assert events_of(by_id.events, PossibleDuplicate) == []


def test_survivor_without_a_name_takes_the_duplicates() -> None:
    """A survivor with no name gets the duplicate's name; one with a name keeps it."""
    hub, _ = make_hub()
    a, b = _two_customers(hub)

    hub.customers.merge(b, a)

    assert hub.customers.get(b).name == "Ann Lee"


def test_chained_merges_resolve_to_the_last_survivor() -> None:
    """When C merged into B and then B into A, C's id and identifiers answer with A."""
    hub, _ = make_hub()
    a = hub.capture(request("W-1", email="a@example.com")).order.customer_id
    b = hub.capture(request("W-2", email="b@example.com")).order.customer_id
    c = hub.capture(request("W-3", email="c@example.com")).order.customer_id
    hub.customers.merge(b, c)

    hub.customers.merge(a, b)

    assert hub.customers.resolve(c) == a
    assert hub.customers.find(email="c@example.com") == hub.customers.get(a)
    assert hub.customers.get(a).merged_ids == (b, c)
    assert hub.customers.get(a).order_ids == ("order-1", "order-2", "order-3")
    assert len(hub.customers) == 1


def test_merge_into_itself_is_rejected_and_nothing_changes() -> None:
    """Merging a customer into itself, even through an old alias, raises and changes nothing."""
    hub, _ = make_hub()
    a, b = _two_customers(hub)
    hub.customers.merge(a, b)
    before = hub_state(hub)

    with pytest.raises(ValidationError) as caught:
        hub.customers.merge(a, a)
    with pytest.raises(ValidationError):
        hub.customers.merge(b, a)

    assert caught.value.field == "duplicate_id"
    assert hub_state(hub) == before


@pytest.mark.parametrize("which", ["survivor", "duplicate"])
def test_merge_with_an_unknown_id_is_rejected_and_nothing_changes(which: str) -> None:
    """Merging with an id the master does not know raises UnknownCustomer, changing nothing."""
    hub, _ = make_hub()
    a, _ = _two_customers(hub)
    before = hub_state(hub)
    ids = (a, "customer-99") if which == "duplicate" else ("customer-99", a)

    with pytest.raises(UnknownCustomer):
        hub.customers.merge(*ids)

    assert hub_state(hub) == before


def test_get_of_an_unknown_id_raises_lookup_error() -> None:
    """Looking up an unknown customer id raises UnknownCustomer, a LookupError."""
    hub, _ = make_hub()

    with pytest.raises(LookupError) as caught:
        hub.customers.get("customer-1")

    assert isinstance(caught.value, UnknownCustomer)
    assert "customer-1" not in hub.customers


# -- attributes --------------------------------------------------------------------------------


def test_attributes_are_captured_with_channel_time_and_order() -> None:
    """Each attribute captured with an order records its channel, capture time and order."""
    hub, _ = make_hub()
    attributes = {
        "age_band": "35-44",
        "b2b": True,
        "household": 3,
        "spend_cap": Decimal("99.50"),
        "birthday": date(1990, 5, 1),
    }

    captured = hub.capture(request(email="ann@example.com", attributes=attributes))

    customer = hub.customers.get(captured.order.customer_id)
    assert customer.attributes == attributes
    assert customer.history("age_band") == (
        AttributeRecord(
            name="age_band",
            value="35-44",
            captured_at=T0,
            channel=Channel.WEB,
            order_id=captured.order.id,
        ),
    )
    assert [e.name for e in events_of(captured.events, CustomerAttributeCaptured)] == list(
        attributes
    )


def test_latest_attribute_value_wins_and_history_is_kept() -> None:
    """A newer value replaces the current one; the older one stays in the history."""
    hub, clock = make_hub()
    first = hub.capture(request("W-1", email="ann@example.com", attributes={"tier": "silver"}))
    clock.advance(days=30)

    hub.capture(
        request("S-1", channel=Channel.STORE, email="ann@example.com", attributes={"tier": "gold"})
    )

    customer = hub.customers.get(first.order.customer_id)
    assert customer.attributes["tier"] == "gold"
    assert [(r.value, r.channel, r.captured_at) for r in customer.history("tier")] == [
        ("silver", Channel.WEB, T0),
        ("gold", Channel.STORE, T0 + timedelta(days=30)),
    ]


def test_imported_older_order_does_not_overwrite_a_newer_value() -> None:
    """An order placed in the past adds its value to history without becoming current."""
    hub, clock = make_hub()
    clock.advance(days=30)
    first = hub.capture(request("W-1", email="ann@example.com", attributes={"tier": "gold"}))

    hub.capture(
        request(
            "M-1",
            channel=Channel.MARKETPLACE,
            email="ann@example.com",
            attributes={"tier": "silver"},
            placed_at=T0,
        )
    )

    customer = hub.customers.get(first.order.customer_id)
    assert customer.attributes["tier"] == "gold"
    assert [r.value for r in customer.history("tier")] == ["silver", "gold"]
    assert customer.history("tier")[0].captured_at == T0


def test_attributes_captured_outside_an_order() -> None:
    """A profile form can record attributes for a customer at a given past time."""
    hub, clock = make_hub()
    cid = hub.capture(request(email="ann@example.com")).order.customer_id
    clock.advance(days=1)

    events = hub.customers.capture_attributes(
        cid, {"gender": "f"}, channel=Channel.MOBILE, captured_at=T0 + timedelta(hours=2)
    )

    record = hub.customers.get(cid).history("gender")[0]
    assert (record.channel, record.captured_at, record.order_id) == (
        Channel.MOBILE,
        T0 + timedelta(hours=2),
        None,
    )
    assert events == [
        CustomerAttributeCaptured(
            occurred_at=T0 + timedelta(days=1),
            customer_id=cid,
            name="gender",
            channel=Channel.MOBILE,
        )
    ]


@pytest.mark.parametrize(
    ("attributes", "kwargs", "field"),
    [
        ({"score": 1.5}, {}, "attributes.score"),
        ({"score": None}, {}, "attributes.score"),
        ({"score": Decimal("NaN")}, {}, "attributes.score"),
        ({"": "x"}, {}, "attributes"),
        ({"tier": "gold"}, {"captured_at": T0 + timedelta(seconds=1)}, "captured_at"),
        ({"tier": "gold"}, {"captured_at": T0.replace(tzinfo=None)}, "captured_at"),
    ],
)
def test_bad_attributes_are_rejected_and_nothing_changes(
    attributes: dict[str, Any], kwargs: dict[str, Any], field: str
) -> None:
    """Float, missing or non-finite values, blank names and future or naive times raise."""
    hub, _ = make_hub()
    cid = hub.capture(request(email="ann@example.com")).order.customer_id
    before = hub_state(hub)

    with pytest.raises(ValidationError) as caught:
        hub.customers.capture_attributes(cid, attributes, **kwargs)

    assert caught.value.field == field
    assert hub_state(hub) == before


def test_attributes_for_an_unknown_customer_are_rejected() -> None:
    """Capturing attributes for an unknown customer raises UnknownCustomer."""
    hub, _ = make_hub()
    before = hub_state(hub)

    with pytest.raises(UnknownCustomer):
        hub.customers.capture_attributes("customer-9", {"tier": "gold"})

    assert hub_state(hub) == before


def test_merged_attribute_history_is_ordered_by_capture_time() -> None:
    """After a merge the latest value by capture time wins, whichever customer held it."""
    hub, clock = make_hub()
    a = hub.capture(request("W-1", email="a@example.com", attributes={"tier": "silver"}))
    clock.advance(days=1)
    b = hub.capture(request("W-2", email="b@example.com", attributes={"tier": "gold"}))
    clock.advance(days=1)
    hub.capture(
        request(
            "W-3",
            email="a@example.com",
            placed_at=T0 + timedelta(hours=1),
            attributes={"tier": "bronze"},
        )
    )

    hub.customers.merge(a.order.customer_id, b.order.customer_id)

    survivor = hub.customers.get(a.order.customer_id)
    assert [r.value for r in survivor.history("tier")] == ["silver", "bronze", "gold"]
    assert survivor.attributes["tier"] == "gold"


# -- consent -----------------------------------------------------------------------------------


def test_consent_captured_with_an_order_is_recorded_per_channel() -> None:
    """Consents given with an order are recorded per contact channel, with time and source."""
    hub, _ = make_hub()

    captured = hub.capture(
        request(
            email="ann@example.com",
            consents={ConsentChannel.EMAIL: True, ConsentChannel.SMS: False},
        )
    )

    customer = hub.customers.get(captured.order.customer_id)
    assert customer.consents == {
        ConsentChannel.EMAIL: True,
        ConsentChannel.SMS: False,
        ConsentChannel.POST: False,
        ConsentChannel.PHONE: False,
    }
    assert customer.consent_history[0] == ConsentRecord(
        consent_channel=ConsentChannel.EMAIL, granted=True, at=T0, source=Channel.WEB
    )
    assert [
        (e.consent_channel, e.granted) for e in events_of(captured.events, ConsentChanged)
    ] == [
        (ConsentChannel.EMAIL, True),
        (ConsentChannel.SMS, False),
    ]


def test_consent_can_be_withdrawn_with_its_time() -> None:
    """Withdrawing consent records when; the grant before it stays in the history."""
    hub, clock = make_hub()
    cid = hub.capture(
        request(email="ann@example.com", consents={ConsentChannel.EMAIL: True})
    ).order.customer_id
    clock.advance(days=3)

    events = hub.customers.set_consent(cid, ConsentChannel.EMAIL, False, source=Channel.WEB)

    customer = hub.customers.get(cid)
    assert not customer.consent(ConsentChannel.EMAIL)
    assert [(r.granted, r.at) for r in customer.consent_history] == [
        (True, T0),
        (False, T0 + timedelta(days=3)),
    ]
    assert events == [
        ConsentChanged(
            occurred_at=T0 + timedelta(days=3),
            customer_id=cid,
            consent_channel=ConsentChannel.EMAIL,
            granted=False,
        )
    ]


def test_consent_per_channel_is_independent() -> None:
    """Granting consent for post leaves every other contact channel as it was."""
    hub, _ = make_hub()
    cid = hub.capture(request(email="ann@example.com")).order.customer_id

    hub.customers.set_consent(cid, ConsentChannel.POST, True)

    assert hub.customers.get(cid).consents == {
        ConsentChannel.EMAIL: False,
        ConsentChannel.SMS: False,
        ConsentChannel.POST: True,
        ConsentChannel.PHONE: False,
    }


def test_recording_the_same_consent_again_changes_nothing() -> None:
    """Granting consent already granted returns no event and records nothing."""
    hub, _ = make_hub()
    cid = hub.capture(
        request(email="ann@example.com", consents={ConsentChannel.SMS: True})
    ).order.customer_id
    before = hub_state(hub)

    events = hub.customers.set_consent(cid, ConsentChannel.SMS, True)

    assert events == []
    assert hub_state(hub) == before


def test_older_consent_record_does_not_override_a_newer_one() -> None:
    """A withdrawal dated before a later grant is kept in history but the grant stays current."""
    hub, clock = make_hub()
    cid = hub.capture(request(email="ann@example.com")).order.customer_id
    clock.advance(days=10)
    hub.customers.set_consent(cid, ConsentChannel.EMAIL, True)

    hub.customers.set_consent(cid, ConsentChannel.EMAIL, False, at=T0 + timedelta(days=1))

    customer = hub.customers.get(cid)
    assert customer.consent(ConsentChannel.EMAIL)
    assert [r.granted for r in customer.consent_history] == [False, True]


@pytest.mark.parametrize(
    ("args", "kwargs", "field"),
    [
        (("email", True), {}, "consent_channel"),
        ((ConsentChannel.EMAIL, "yes"), {}, "granted"),
        ((ConsentChannel.EMAIL, True), {"at": T0 + timedelta(minutes=1)}, "at"),
        ((ConsentChannel.EMAIL, True), {"at": T0.replace(tzinfo=None)}, "at"),
    ],
)
def test_bad_consent_is_rejected_and_nothing_changes(
    args: tuple[Any, ...], kwargs: dict[str, Any], field: str
) -> None:
    """A consent that is not a ConsentChannel/bool pair, or dated in the future, raises."""
    hub, _ = make_hub()
    cid = hub.capture(request(email="ann@example.com")).order.customer_id
    before = hub_state(hub)

    with pytest.raises(ValidationError) as caught:
        hub.customers.set_consent(cid, *args, **kwargs)

    assert caught.value.field == field
    assert hub_state(hub) == before


# -- erasure -----------------------------------------------------------------------------------


def _erasable(hub: OrderHub) -> str:
    identity = CustomerIdentity(
        email="ann@example.com",
        phone="+15550100000",
        loyalty_id="L-1",
        external_id="B-7",
        name="Ann Lee",
    )
    captured = hub.capture(
        request(
            "M-1",
            channel=Channel.MARKETPLACE,
            customer=identity,
            attributes={"age_band": "35-44"},
            consents={ConsentChannel.EMAIL: True, ConsentChannel.SMS: True},
            ship_to=address(name="Ann Lee", phone="+15550100000"),
            bill_to=address(line1="2 Side St", line2="Apt 3", company="Lee LLC"),
        )
    )
    return captured.order.customer_id


def test_erase_pseudonymises_the_customer() -> None:
    """Erasure removes name, identifiers and attributes, withdraws consent, keeps the id."""
    hub, clock = make_hub()
    cid = _erasable(hub)
    clock.advance(days=1)

    events = hub.customers.erase(cid)

    customer = hub.customers.get(cid)
    assert customer.is_erased
    assert customer.id == cid
    assert customer.name is None
    assert (customer.emails, customer.phones, customer.loyalty_ids, customer.external_ids) == (
        (),
        (),
        (),
        (),
    )
    assert customer.attributes == {}
    assert customer.attribute_history == ()
    assert not any(customer.consents.values())
    assert [r.at for r in customer.consent_history if not r.granted] == [
        T0 + timedelta(days=1)
    ] * 2
    assert events == [CustomerErased(occurred_at=T0 + timedelta(days=1), customer_id=cid)]


def test_erase_keeps_orders_and_totals_but_erases_their_addresses() -> None:
    """Erased customers' orders keep ids, lines and totals; addresses keep only country/region."""
    hub, _ = make_hub()
    cid = _erasable(hub)
    before = hub.order("order-1")

    hub.customers.erase(cid)

    after = hub.order("order-1")
    assert hub.customers.get(cid).order_ids == ("order-1",)
    assert (after.id, after.customer_id, after.lines, after.total) == (
        before.id,
        before.customer_id,
        before.lines,
        before.total,
    )
    for erased in (after.ship_to, after.bill_to):
        assert erased is not None
        assert (erased.line1, erased.city, erased.country, erased.region) == (
            "erased",
            "erased",
            "US",
            "IL",
        )
        assert (erased.line2, erased.name, erased.company, erased.phone, erased.postal_code) == (
            (None,) * 5
        )


def test_erased_identifiers_no_longer_match() -> None:
    """After erasure the old identifiers find nobody; a new order makes a new customer."""
    hub, _ = make_hub()
    cid = _erasable(hub)

    hub.customers.erase(cid)
    captured = hub.capture(request("W-9", email="ann@example.com"))

    assert hub.customers.find(phone="+15550100000") is None
    assert hub.customers.find(loyalty_id="L-1") is None
    assert hub.customers.find(channel=Channel.MARKETPLACE, external_id="B-7") is None
    assert captured.order.customer_id != cid
    assert events_of(captured.events, PossibleDuplicate) == []


def test_erasing_twice_is_harmless() -> None:
    """Erasing an erased customer returns no events and changes nothing."""
    hub, _ = make_hub()
    cid = _erasable(hub)
    hub.customers.erase(cid)
    before = hub_state(hub)

    events = hub.customers.erase(cid)

    assert events == []
    assert hub_state(hub) == before


def test_erasing_a_survivor_erases_the_merged_orders_too() -> None:
    """Erasure through a merged id reaches the survivor and every order it holds."""
    hub, _ = make_hub()
    a, b = _two_customers(hub)
    hub.customers.merge(b, a)

    hub.customers.erase(a)

    assert hub.customers.get(b).is_erased
    assert hub.order("order-1").ship_to == address().erased()


def test_erase_of_an_unknown_customer_is_rejected() -> None:
    """Erasing an unknown customer raises UnknownCustomer and changes nothing."""
    hub, _ = make_hub()
    _erasable(hub)
    before = hub_state(hub)

    with pytest.raises(UnknownCustomer):
        hub.customers.erase("customer-404")

    assert hub_state(hub) == before


def test_retry_of_an_erased_customers_order_still_is_a_duplicate() -> None:
    """Erasure forgets the request's personal data but not that its key was used."""
    hub, _ = make_hub()
    _erasable(hub)
    hub.customers.erase("customer-1")
    before = hub_state(hub)

    again = hub.capture(request("M-1", channel=Channel.MARKETPLACE))

    assert again.is_duplicate
    assert again.order.id == "order-1"
    assert hub_state(hub) == before


def test_erasing_again_removes_personal_data_given_since() -> None:
    """Personal data attached to an erased customer by a later order is erased by erase()."""
    hub, clock = make_hub()
    cid = _erasable(hub)
    hub.customers.erase(cid)
    identity = CustomerIdentity(customer_id=cid, email="ann@example.com", phone="+15550100000")
    hub.capture(request("W-2", customer=identity, attributes={"tier": "gold"}))
    clock.advance(days=1)

    hub.customers.erase(cid)

    customer = hub.customers.get(cid)
    assert (customer.emails, customer.phones, customer.attributes) == ((), (), {})
    assert hub.customers.find(email="ann@example.com") is None
