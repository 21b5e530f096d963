"""orderhub.serialization: round trips for every public type, and payload errors with paths.

* ``structure(unstructure(x), type(x)) == x`` (and through JSON text) for every value,
  aggregate snapshot and event;
* Decimal as a string (floats refused), aware ISO 8601 datetimes, enums by value, tagged
  attribute values and events, unknown keys refused;
* a bad payload is one ``InvalidPayload`` listing every problem with its path, and nothing else
  ever escapes ``structure``, whatever JSON it is given.
"""

from __future__ import annotations

import enum
import json
import subprocess
import sys
import types
import typing
from collections import abc
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, get_args, get_origin

import attrs
import cattrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import orderhub
from orderhub import (
    Address,
    AttributeRecord,
    AttributeValue,
    CaptureContext,
    Captured,
    CatalogPolicy,
    Channel,
    ConsentChannel,
    ConsentRecord,
    Customer,
    CustomerIdentity,
    Discount,
    ExternalId,
    GeoPoint,
    Hold,
    HoldKind,
    InvalidPayload,
    Item,
    LineQuantities,
    LineRequest,
    Location,
    Money,
    Movement,
    Order,
    OrderHub,
    OrderLine,
    OrderRequest,
    OrderState,
    Reservation,
    ReserveRequest,
    ServiceLevel,
    StockPosition,
    Supply,
    ValidationError,
    serialization,
)
from orderhub import events as ev
from orderhub.errors import PayloadProblem
from orderhub.serialization import converter, from_json, structure, to_json, unstructure
from orderhub.testing import FixedClock, SequentialIds
from orderhub.testing import strategies as ohst

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

VALUES: dict[type, st.SearchStrategy[Any]] = {
    Money: ohst.money(allow_negative=True),
    GeoPoint: ohst.geo_points(),
    Address: ohst.addresses(),
    CustomerIdentity: ohst.customer_identities(),
    Discount: ohst.discounts(),
    CaptureContext: ohst.capture_contexts(),
    LineRequest: ohst.line_requests(max_quantity=10**12),
    OrderRequest: ohst.order_requests(placed_before=T0, max_quantity=10**9),
    Item: ohst.items(),
    Location: ohst.locations(),
    StockPosition: ohst.stock_positions(),
    Movement: ohst.movements(),
    ReserveRequest: ohst.reserve_requests(),
    Reservation: ohst.reservations(),
    Supply: ohst.supplies(),
}
"""The values with a strategy of their own; aggregates come out of a hub (below)."""

FROM_A_HUB = (
    Order,
    OrderLine,
    LineQuantities,
    Hold,
    Customer,
    AttributeRecord,
    ConsentRecord,
    ExternalId,
    Captured,
)
"""The aggregates and their parts, built by capturing generated requests into a hub."""

EVENT_TYPES = tuple(
    sorted(
        (
            obj
            for obj in vars(ev).values()
            if isinstance(obj, type) and issubclass(obj, ev.Event) and obj is not ev.Event
        ),
        key=lambda cls: cls.__name__,
    )
)

PUBLIC_ENUMS = tuple(
    obj
    for name in orderhub.__all__
    if isinstance(obj := getattr(orderhub, name), type) and issubclass(obj, enum.Enum)
)

EVERY_TYPE: tuple[Any, ...] = (*VALUES, *FROM_A_HUB, ev.Event, *EVENT_TYPES, *PUBLIC_ENUMS)


def round_trips(value: Any) -> None:
    """Assert ``value`` survives unstructure/structure and to_json/from_json unchanged."""
    data = unstructure(value)
    assert structure(data, type(value)) == value
    assert json.loads(json.dumps(data)) == data  # JSON-safe, not merely JSON-able
    assert from_json(to_json(value), type(value)) == value


def problems(data: Any, cls: Any) -> list[tuple[str, str]]:
    """The ``(path, message)`` of every problem ``structure(data, cls)`` reports."""
    with pytest.raises(InvalidPayload) as info:
        structure(data, cls)
    return [(p.path, p.message) for p in info.value.problems]


def paths(data: Any, cls: Any) -> list[str]:
    """The paths of every problem ``structure(data, cls)`` reports."""
    return [path for path, _ in problems(data, cls)]


def order_payload(**changes: Any) -> dict[str, Any]:
    """A valid order request as a host would send it (plain JSON), with ``changes``."""
    payload: dict[str, Any] = {
        "channel": "web",
        "external_id": "W-1001",
        "customer": {"email": "ann@example.com", "name": "Ann Lee"},
        "lines": [
            {"sku": "TENT-2P", "quantity": 1},
            {"sku": "MAT", "quantity": 2, "unit_price": {"amount": "30.00", "currency": "USD"}},
        ],
    }
    payload.update(changes)
    return payload


# -- round trips ----------------------------------------------------------------------------


@pytest.mark.parametrize("cls", list(VALUES), ids=lambda c: c.__name__)
@given(data=st.data())
def test_values_round_trip(cls: type, data: st.DataObject) -> None:
    """Every value type comes back equal from its JSON-safe form and from JSON text."""
    value = data.draw(VALUES[cls])

    round_trips(value)


@st.composite
def busy_hubs(draw: st.DrawFn) -> tuple[OrderHub, list[Captured]]:
    """A hub after captures, holds, releases, cancellations, consents, merges and erasures."""
    clock = FixedClock(T0)
    hub = OrderHub(clock=clock, ids=SequentialIds(), catalog_policy=CatalogPolicy.STRICT)
    catalog = draw(ohst.catalogs())
    for item in catalog:
        hub.catalog.add(item)
    requests = draw(
        st.lists(
            ohst.order_requests(catalog, placed_before=T0, max_lines=4),
            min_size=1,
            max_size=4,
            unique_by=lambda r: r.key,
        )
    )
    captured = [hub.capture(r) for r in requests]
    clock.advance(minutes=5)
    for order in list(hub.orders()):
        if draw(st.booleans()):
            hub.hold(order.id, draw(st.sampled_from(HoldKind)), draw(ohst.texts(max_size=10)))
        if draw(st.booleans()):
            hub.cancel_line(order.id, 1, reason=draw(st.text(max_size=10)))
        if draw(st.booleans()):
            for kind in HoldKind:
                hub.release_hold(order.id, kind)
    customers = [c.id for c in hub.customers]
    for cid in customers:
        hub.customers.set_consent(cid, draw(st.sampled_from(ConsentChannel)), draw(st.booleans()))
    if len(customers) > 1 and draw(st.booleans()):
        hub.customers.merge(customers[0], customers[1])
    if draw(st.booleans()):
        hub.customers.erase(next(iter(hub.customers)).id)
    return hub, captured


@settings(max_examples=50)
@given(busy=busy_hubs())
def test_aggregates_round_trip(busy: tuple[OrderHub, list[Captured]]) -> None:
    """Orders, customers, their parts, the capture results and the event log round trip."""
    hub, captured = busy

    parts: list[Any] = [*captured, *hub.orders(), *hub.customers, *hub.events]
    for order in hub.orders():
        parts.extend(order.lines)
        parts.extend(line.quantities for line in order.lines)
        parts.extend(order.holds)
    for customer in hub.customers:
        parts.extend(customer.attribute_history)
        parts.extend(customer.consent_history)
        parts.extend(customer.external_ids)

    for part in parts:
        round_trips(part)
    assert structure(unstructure(hub.events), tuple[ev.Event, ...]) == hub.events


@pytest.mark.parametrize("decimals", [0, 2, 3, 4])
@settings(max_examples=25)
@given(data=st.data())
def test_edge_orders_capture_and_round_trip(decimals: int, data: st.DataObject) -> None:
    """Many lines, huge quantities and 0-, 3- or 4-decimal currencies capture and round trip."""
    currency = data.draw(ohst.currencies(minor_units=decimals))
    catalog = data.draw(ohst.catalogs(currency, max_size=30))
    hub = OrderHub(clock=FixedClock(T0), ids=SequentialIds())
    for item in catalog:
        hub.catalog.add(item)
    request = data.draw(
        ohst.order_requests(catalog, min_lines=10, max_lines=40, max_quantity=10**9)
    )

    captured = hub.capture(request)

    assert captured.order.currency == currency
    round_trips(request)
    round_trips(captured)


@pytest.mark.parametrize("cls", EVENT_TYPES, ids=lambda c: c.__name__)
@given(data=st.data())
def test_events_round_trip_through_the_tagged_union(cls: type, data: st.DataObject) -> None:
    """Every event carries its class name and comes back as that class through ``Event``."""
    event = data.draw(ohst.events(cls))

    payload = unstructure(event)

    assert payload["type"] == cls.__name__
    assert structure(payload, ev.Event) == event
    assert type(structure(payload, ev.Event)) is cls
    round_trips(event)


@pytest.mark.parametrize("kind", PUBLIC_ENUMS, ids=lambda c: c.__name__)
def test_enums_travel_by_value(kind: type[enum.Enum]) -> None:
    """Every member of every public enum is written as its value and read back as itself."""
    for member in kind:
        assert unstructure(member) == member.value
        assert structure(member.value, kind) is member


FOUNDATION = (
    Money, Address, GeoPoint, CustomerIdentity, LineRequest, Discount, CaptureContext,
    OrderRequest, Item, Customer, AttributeRecord, ConsentRecord, ExternalId, Order, OrderLine,
    LineQuantities, Hold,
)  # fmt: skip
"""The types the serialization issue names: each has a round-trip property here."""

_LEAVES = (str, int, bool, float, Decimal, date, datetime, timedelta, Money, type(None), Any)


def _unsupported(t: Any, seen: set[type]) -> list[str]:
    """The parts of type ``t`` the converter has no rule for (``[]`` when it has all)."""
    if t in _LEAVES or t == AttributeValue:
        return []
    if isinstance(t, type) and issubclass(t, enum.Enum):
        return []
    if isinstance(t, type) and attrs.has(t):
        if t in seen:
            return []
        seen.add(t)
        attrs.resolve_types(t)
        return [
            f"{t.__name__}.{a.name}: {problem}"
            for a in attrs.fields(t)
            if a.init
            for problem in _unsupported(a.type, seen)
        ]
    if get_origin(t) in _CONTAINERS:
        return [p for arg in get_args(t) if arg is not Ellipsis for p in _unsupported(arg, seen)]
    return [repr(t)]


_CONTAINERS = (
    typing.Union,
    types.UnionType,
    tuple,
    list,
    frozenset,
    set,
    dict,
    abc.Mapping,
    abc.Sequence,
    abc.Set,
)


def test_every_foundation_type_and_event_has_a_round_trip_property() -> None:
    """The issue's types, every public enum and every event round trip in this module."""
    events = {
        obj
        for obj in vars(ev).values()
        if isinstance(obj, type) and issubclass(obj, ev.Event) and obj is not ev.Event
    }

    missing = ({*FOUNDATION, *PUBLIC_ENUMS} | events) - set(EVERY_TYPE)

    assert not missing, f"add a round-trip strategy for {sorted(c.__name__ for c in missing)}"


def test_every_public_type_is_made_of_types_the_converter_knows() -> None:
    """Every attrs class orderhub exports, and every event, has a rule for each field."""
    public = [
        obj
        for name in orderhub.__all__
        if isinstance(obj := getattr(orderhub, name), type) and attrs.has(obj)
    ]

    unknown = [p for cls in [*public, *EVENT_TYPES] for p in _unsupported(cls, set())]

    assert not unknown


@given(duration=st.timedeltas())
def test_durations_are_iso_8601(duration: timedelta) -> None:
    """A timedelta is written as an ISO 8601 duration and read back exactly."""
    text = unstructure(duration)

    assert structure(text, timedelta) == duration
    assert text.lstrip("-").startswith("P")


def test_durations_read_only_the_iso_form() -> None:
    """Seconds as a number, or a duration with an empty part, are refused."""
    assert unstructure(timedelta(hours=1, minutes=30)) == "PT1H30M"
    assert unstructure(timedelta(0)) == "PT0S"
    for bad in (30, "30", "P", "PT", "P1DT", "PT1.5H", "-"):
        assert paths(bad, timedelta) == ["$"]


# -- the encoding ---------------------------------------------------------------------------


def test_money_is_an_amount_string_and_a_currency() -> None:
    """Money is written with every decimal of its currency, as a string."""
    assert unstructure(Money("149.00", "USD")) == {"amount": "149.00", "currency": "USD"}
    assert unstructure(Money(500, "JPY")) == {"amount": "500", "currency": "JPY"}
    assert unstructure(Money("1.25", "KWD")) == {"amount": "1.250", "currency": "KWD"}
    assert unstructure(Money("-0.0001", "CLF")) == {"amount": "-0.0001", "currency": "CLF"}


def test_decimals_are_read_from_strings_and_integers() -> None:
    """An amount or a percentage may come as a string or an integer."""
    assert structure({"amount": 149, "currency": "USD"}, Money) == Money("149.00", "USD")
    assert structure({"amount": " 1.5 ", "currency": "USD"}, Money) == Money("1.50", "USD")
    assert structure({"percent": 10}, Discount) == Discount(percent=Decimal(10))
    assert structure({"percent": "12.5"}, Discount) == Discount(percent=Decimal("12.5"))


@pytest.mark.parametrize(
    ("cls", "payload", "path"),
    [
        (Money, {"amount": 1.5, "currency": "USD"}, "$.amount"),
        (Money, {"amount": 149.0, "currency": "USD"}, "$.amount"),
        (Discount, {"percent": 10.0}, "$.percent"),
        (
            Item,
            {"sku": "A", "description": "a", "price": {"amount": 9.99, "currency": "USD"}},
            "$.price.amount",
        ),
        (
            Item,
            {
                "sku": "A",
                "description": "a",
                "price": {"amount": "9.99", "currency": "USD"},
                "weight": 1.5,
            },
            "$.weight",
        ),
        (
            OrderRequest,
            order_payload(lines=[{"sku": "A", "quantity": 1, "unit_price": {"amount": 1.0}}]),
            "$.lines[0].unit_price.amount",
        ),
        (
            OrderRequest,
            order_payload(
                lines=[
                    {
                        "sku": "A",
                        "quantity": 1,
                        "unit_price": {"amount": 30.5, "currency": "USD"},
                    }
                ]
            ),
            "$.lines[0].unit_price.amount",
        ),
        (OrderRequest, order_payload(attributes={"height": 1.82}), "$.attributes.height"),
        (
            OrderRequest,
            order_payload(lines=[{"sku": "A", "quantity": 1.0}]),
            "$.lines[0].quantity",
        ),
    ],
)
def test_floats_are_refused(cls: type, payload: Any, path: str) -> None:
    """A float where an exact number belongs is a problem at its path, never converted."""
    found = problems(payload, cls)

    assert path in [p for p, _ in found]


def test_money_amount_finer_than_the_currency_is_refused() -> None:
    """An amount with more decimals than its currency has is a problem at ``$.amount``."""
    assert problems({"amount": "1.005", "currency": "USD"}, Money) == [
        ("$.amount", "USD has 2 decimal(s); round explicitly with Money.rounded()")
    ]


def test_money_reports_amount_and_currency_together() -> None:
    """A bad amount and a bad currency are two problems, with their own paths."""
    assert paths({"amount": 1.5, "currency": "XXX"}, Money) == ["$.amount", "$.currency"]
    assert paths({"amount": "1", "currency": "USD", "rate": 2}, Money) == ["$.rate"]
    assert paths({}, Money) == ["$.amount", "$.currency"]


def test_datetimes_are_aware_iso_8601() -> None:
    """Datetimes are written in ISO 8601 with their offset; ``Z`` is read as UTC."""
    event = ev.CustomerErased(occurred_at=T0, customer_id="customer-1")

    payload = unstructure(event)

    assert payload == {
        "type": "CustomerErased",
        "occurred_at": "2026-03-02T09:00:00+00:00",
        "customer_id": "customer-1",
    }
    assert structure({**payload, "occurred_at": "2026-03-02T09:00:00Z"}, ev.Event) == event


def test_naive_datetimes_are_refused() -> None:
    """A datetime without an offset is a problem at its path."""
    naive = "2026-03-02T09:00:00"

    assert problems(order_payload(placed_at=naive), OrderRequest) == [
        ("$.placed_at", "must be timezone-aware (give an offset such as +00:00)")
    ]
    assert paths(
        {"type": "CustomerErased", "occurred_at": naive, "customer_id": "c"}, ev.Event
    ) == ["$.occurred_at"]
    assert paths(order_payload(placed_at="2026-03-02"), OrderRequest) == ["$.placed_at"]
    assert paths(order_payload(placed_at="yesterday"), OrderRequest) == ["$.placed_at"]


def test_attribute_values_keep_their_kind() -> None:
    """Strings, integers and booleans stay JSON natives; decimals and dates are tagged."""
    request = OrderRequest(
        channel=Channel.WEB,
        external_id="W-1",
        lines=[LineRequest(sku="A", quantity=1)],
        attributes={
            "band": "35-44",
            "children": 1,
            "vip": True,
            "height": Decimal("1.80"),
            "born": date(1990, 5, 17),
        },
    )

    written = unstructure(request)["attributes"]
    read = structure(unstructure(request), OrderRequest).attributes

    assert written == {
        "band": "35-44",
        "children": 1,
        "vip": True,
        "height": {"type": "decimal", "value": "1.80"},
        "born": {"type": "date", "value": "1990-05-17"},
    }
    assert read == request.attributes
    assert [type(v) for v in read.values()] == [str, int, bool, Decimal, date]
    assert str(read["height"]) == "1.80"


@given(value=ohst.attribute_values())
def test_attribute_values_round_trip_exactly(value: Any) -> None:
    """An attribute value comes back with its type and, for a decimal, its exponent."""
    record = AttributeRecord(name="x", value=value, captured_at=T0)

    back = structure(unstructure(record), AttributeRecord).value

    assert type(back) is type(value)
    assert back == value
    assert str(back) == str(value)


def test_tagged_attribute_values_are_checked() -> None:
    """An unknown tag, a missing value or an extra key in a tagged value is a problem."""
    assert paths(
        order_payload(attributes={"a": {"type": "money", "value": "1"}}), OrderRequest
    ) == ["$.attributes.a"]
    assert paths(order_payload(attributes={"a": {"type": "decimal"}}), OrderRequest) == [
        "$.attributes.a"
    ]
    assert paths(order_payload(attributes={"a": None}), OrderRequest) == ["$.attributes.a"]
    assert paths(
        order_payload(attributes={"a": {"type": "date", "value": "2026-02-30"}}), OrderRequest
    ) == ["$.attributes.a"]


def test_consents_are_an_object_keyed_by_channel_value() -> None:
    """``consents`` is written as ``{"email": true}`` and read back as ConsentChannel keys."""
    request = structure(order_payload(consents={"email": True, "sms": False}), OrderRequest)

    assert request.consents == {ConsentChannel.EMAIL: True, ConsentChannel.SMS: False}
    assert unstructure(request)["consents"] == {"email": True, "sms": False}
    assert problems(order_payload(consents={"fax": True, "email": "yes"}), OrderRequest) == [
        ("$.consents.fax", "invalid key: must be one of 'email', 'sms', 'post', 'phone'"),
        ("$.consents.email", "must be true or false"),
    ]


def test_to_json_is_compact_and_keeps_non_ascii_text() -> None:
    """JSON text has no padding and writes non-ASCII letters as they are."""
    address = Address(line1="Große Straße 1", city="Zürich", country="CH")

    text = to_json(address)

    assert '"city":"Zürich"' in text
    assert ", " not in text
    assert from_json(text.encode(), Address) == address


# -- host payloads --------------------------------------------------------------------------


def test_an_order_request_from_a_plain_json_object_captures() -> None:
    """A host's JSON order (defaults left out) becomes a request the hub captures."""
    text = """{
        "channel": "web", "external_id": "W-1001",
        "customer": {"email": " Ann@Example.com ", "name": "Ann  Lee"},
        "attributes": {"age_band": "35-44", "newsletter": true},
        "consents": {"email": true},
        "ship_to": {"line1": "1 Main St", "city": "Chicago", "postal_code": "60601",
                    "country": "US", "geo": {"latitude": 41.88, "longitude": -87.63}},
        "lines": [{"sku": "TENT-2P", "quantity": 1},
                  {"sku": "MAT", "quantity": 2,
                   "discounts": [{"percent": "10", "code": "SPRING"}]}],
        "context": {"campaign": "spring-camping", "tags": ["newsletter"]},
        "service_level": "express",
        "placed_at": "2026-03-02T08:15:00-05:00"
    }"""
    hub = OrderHub(clock=FixedClock(T0 + timedelta(hours=6)), ids=SequentialIds())
    hub.catalog.add(Item(sku="TENT-2P", description="tent", price=Money("149.00", "USD")))
    hub.catalog.add(Item(sku="MAT", description="mat", price=Money("30.00", "USD")))

    request = from_json(text, OrderRequest)
    order = hub.capture(request).order

    assert request.customer.email == "ann@example.com"
    assert request.customer.name == "Ann Lee"
    assert request.service_level is ServiceLevel.EXPRESS
    assert request.context.tags == ("newsletter",)
    assert request.lines[1].discounts == (Discount(percent=Decimal(10), code="SPRING"),)
    assert request.placed_at == datetime(2026, 3, 2, 13, 15, tzinfo=UTC)
    assert order.total == Money("203.00", "USD")
    assert order.state is OrderState.CAPTURED


def test_unknown_keys_are_refused_where_they_are() -> None:
    """An unknown key is a problem at its own path, at any depth."""
    payload = order_payload(colour="red", customer={"email": "a@b.co", "age": 3})
    payload["lines"][1]["unit_price"]["rate"] = "1"
    payload["lines"][0]["bad key"] = 1

    assert problems(payload, OrderRequest) == [
        ("$.lines[0]['bad key']", "unknown field"),
        ("$.lines[1].unit_price.rate", "unknown field"),
        ("$.customer.age", "unknown field"),
        ("$.colour", "unknown field"),
    ]


def test_every_problem_is_reported_with_its_path() -> None:
    """Several bad fields at once are all reported, each at its path, in one error."""
    payload = order_payload(
        channel="fax",
        external_id="",
        service_level=1,
        ship_to={"line1": " ", "city": "X", "country": "us", "geo": {"latitude": 91}},
        lines=[
            {"sku": "", "quantity": 0},
            {"sku": "MAT", "quantity": "2", "discounts": [{"percent": "0"}]},
            {"quantity": 1, "unit_price": {"amount": "1.001", "currency": "USD"}},
        ],
    )

    with pytest.raises(InvalidPayload) as info:
        structure(payload, OrderRequest)

    assert [(p.path, p.message) for p in info.value.problems] == [
        (
            "$.channel",
            "must be one of 'web', 'store', 'call_centre', 'mobile', 'marketplace', 'edi'",
        ),
        ("$.lines[0].sku", "must be a non-empty string"),
        ("$.lines[0].quantity", "must be a positive integer"),
        ("$.lines[1].quantity", "must be an integer"),
        ("$.lines[1].discounts[0].percent", "must be a Decimal above 0 and at most 100"),
        ("$.lines[2].sku", "required field missing"),
        (
            "$.lines[2].unit_price.amount",
            "USD has 2 decimal(s); round explicitly with Money.rounded()",
        ),
        ("$.external_id", "must be a non-empty string or None"),
        ("$.ship_to.line1", "must be a non-empty string"),
        ("$.ship_to.country", "must be an ISO 3166-1 alpha-2 code in capitals"),
        ("$.ship_to.geo.latitude", "must lie within ±90"),
        ("$.ship_to.geo.longitude", "required field missing"),
        ("$.service_level", "must be one of 'same_day', 'express', 'standard', 'economy'"),
    ]
    assert isinstance(info.value, ValidationError)
    assert isinstance(info.value, ValueError)
    assert "must be a positive integer @ $.lines[0].quantity" in str(info.value)


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (order_payload(lines=[]), [("$.lines", "an order needs at least one line")]),
        (
            order_payload(external_id=None),
            [
                (
                    "$.external_id",
                    "give external_id or idempotency_key, so that a retry cannot capture twice",
                )
            ],
        ),
        (
            order_payload(
                discounts=[{"percent": "5", "amount": {"amount": "1", "currency": "USD"}}]
            ),
            [("$.discounts[0].amount", "give exactly one of amount and percent")],
        ),
        (
            order_payload(customer={"email": "ann.example.com", "phone": "12"}),
            [
                ("$.customer.email", "not an e-mail address"),
                ("$.customer.phone", "not a phone number"),
            ],
        ),
        (
            {"channel": "web"},
            [
                ("$.lines", "required field missing"),
                (
                    "$.external_id",
                    "give external_id or idempotency_key, so that a retry cannot capture twice",
                ),
            ],
        ),
        ([], [("$", "must be an object")]),
    ],
)
def test_domain_rules_are_reported_at_their_field(payload: Any, expected: Any) -> None:
    """A rule the domain enforces when a value is built is reported at the field it names."""
    assert problems(payload, OrderRequest) == expected


def test_problems_never_echo_personal_data() -> None:
    """A bad e-mail address or phone number is named by path, never repeated."""
    with pytest.raises(InvalidPayload) as info:
        structure(order_payload(customer={"email": "ann.lee@@secret", "phone": "5"}), OrderRequest)

    assert "secret" not in str(info.value)
    assert all("secret" not in p.message for p in info.value.problems)


def test_inconsistent_line_quantities_are_reported_at_the_quantities() -> None:
    """Quantities that do not add up are reported at the line's ``quantities``."""
    line = unstructure(
        OrderLine(
            line_no=1,
            sku="A",
            description="a",
            unit_price=Money("1.00", "USD"),
            quantities=LineQuantities(ordered=2, open=2),
            line_discount=Money("0.00", "USD"),
            order_discount=Money("0.00", "USD"),
        )
    )
    line["quantities"]["open"] = 3

    assert problems(line, OrderLine) == [
        (
            "$.quantities",
            "line quantities must be non-negative and add up to the ordered quantity",
        )
    ]


# -- events ---------------------------------------------------------------------------------


def test_events_dispatch_on_their_type() -> None:
    """``structure(data, Event)`` builds the class named by ``type``; a bad tag is a problem."""
    held = ev.OrderHeld(occurred_at=T0, order_id="order-1", hold="fraud", reason="check")
    payload = unstructure(held)

    assert structure(payload, ev.Event) == held
    assert structure(payload, ev.OrderHeld) == held
    assert problems({**payload, "type": "OrderShipped"}, ev.Event)[0][0] == "$.type"
    assert problems({k: v for k, v in payload.items() if k != "type"}, ev.Event) == [
        ("$.type", "required field missing")
    ]
    assert problems(payload, ev.OrderCaptured)[0] == ("$.type", "must be 'OrderCaptured'")
    assert paths({**payload, "hold": None, "extra": 1}, ev.Event) == ["$.hold", "$.extra"]


def test_the_base_event_round_trips_too() -> None:
    """A bare ``Event`` is tagged ``"Event"`` and read back as one, not looped on."""
    event = ev.Event(occurred_at=T0)

    round_trips(event)
    assert structure(unstructure(event), ev.Event) == event
    assert paths({"type": "Event", "occurred_at": "2026-03-02"}, ev.Event) == ["$.occurred_at"]


def test_an_event_log_round_trips_as_a_list() -> None:
    """A list of mixed events is written tagged and read back in order."""
    log = (
        ev.CustomerCreated(occurred_at=T0, customer_id="customer-1", channel=Channel.WEB),
        ev.ConsentChanged(
            occurred_at=T0,
            customer_id="customer-1",
            consent_channel=ConsentChannel.SMS,
            granted=True,
        ),
        ev.OrderCancelled(occurred_at=T0, order_id="order-1", reason=""),
    )

    data = unstructure(log)

    assert [e["type"] for e in data] == ["CustomerCreated", "ConsentChanged", "OrderCancelled"]
    assert structure(data, tuple[ev.Event, ...]) == log
    assert paths([data[0], {"type": "Nope"}], list[ev.Event]) == ["$[1].type"]


# -- robustness -----------------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=10)
    | st.sampled_from(
        [
            "web",
            "USD",
            "2026-03-02T09:00:00+00:00",
            "1.00",
            "decimal",
            "date",
            "Event",
            "OrderHeld",
        ]
    ),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.text(max_size=8)
            | st.sampled_from(
                ["type", "amount", "currency", "value", "sku", "quantity", "lines", "channel"]
            ),
            children,
            max_size=4,
        )
    ),
    max_leaves=16,
)


def _structure_or_payload_error(data: Any, cls: Any) -> Any:
    """``structure(data, cls)``, or the InvalidPayload it raised (nothing else may escape)."""
    try:
        return structure(data, cls)
    except InvalidPayload as e:
        error = e
    assert error.problems
    assert all(isinstance(p, PayloadProblem) and p.path.startswith("$") for p in error.problems)
    return error


@pytest.mark.parametrize("cls", EVERY_TYPE, ids=lambda c: c.__name__)
@given(data=json_values)
def test_any_json_raises_only_invalid_payload(cls: Any, data: Any) -> None:
    """Whatever JSON value it is given, ``structure`` returns a value or an InvalidPayload."""
    _structure_or_payload_error(data, cls)


def _mutate(data: Any, draw: Callable[[st.SearchStrategy[Any]], Any]) -> Any:
    """``data`` with one node replaced, removed or given a sibling, chosen by ``draw``."""
    if isinstance(data, dict) and data and draw(st.booleans()):
        key = draw(st.sampled_from(sorted(data)))
        action = draw(st.sampled_from(["descend", "replace", "drop", "add"]))
        if action == "descend":
            return {**data, key: _mutate(data[key], draw)}
        if action == "replace":
            return {**data, key: draw(json_values)}
        if action == "drop":
            return {k: v for k, v in data.items() if k != key}
        return {**data, draw(st.text(max_size=8)): draw(json_values)}
    if isinstance(data, list) and data and draw(st.booleans()):
        i = draw(st.integers(0, len(data) - 1))
        return [*data[:i], _mutate(data[i], draw), *data[i + 1 :]]
    return draw(json_values)


FUZZED = {**VALUES, ev.Event: ohst.events()}


@pytest.mark.parametrize("cls", list(FUZZED), ids=lambda c: c.__name__)
@given(data=st.data())
def test_nearly_valid_payloads_raise_only_invalid_payload(cls: Any, data: st.DataObject) -> None:
    """A valid payload with one node changed gives a value or an InvalidPayload, and the
    fast and the detailed converters agree on which."""
    payload = _mutate(unstructure(data.draw(FUZZED[cls])), data.draw)

    result = _structure_or_payload_error(payload, cls)

    try:
        detailed: Any = serialization._detailed.structure(payload, cls)
    except Exception as e:
        detailed = e
    if isinstance(result, InvalidPayload):
        assert isinstance(detailed, Exception)
    else:
        assert detailed == result


def _structure_or_payload_error_of_text(text: str) -> None:
    """``from_json(text, OrderRequest)``, which may raise only InvalidPayload with problems."""
    try:
        from_json(text, OrderRequest)
    except InvalidPayload as e:
        error = e
    else:
        return
    assert error.problems


@given(text=st.text(max_size=30) | json_values.map(json.dumps))
def test_from_json_raises_only_invalid_payload(text: str) -> None:
    """Any text, JSON or not, gives an OrderRequest or an InvalidPayload."""
    _structure_or_payload_error_of_text(text)


def test_text_that_is_not_json_is_a_problem_at_the_root() -> None:
    """Text that does not parse, or uses NaN, is one problem at ``$``."""
    assert paths("{", Money) == ["$"]
    with pytest.raises(InvalidPayload) as info:
        from_json('{"amount": NaN, "currency": "USD"}', Money)
    assert [p.path for p in info.value.problems] == ["$"]
    assert info.value.problems[0].message.startswith("not JSON")


def test_importing_orderhub_testing_does_not_import_hypothesis() -> None:
    """``orderhub.testing`` stays import-light: only ``.strategies`` needs hypothesis."""
    code = "import sys, orderhub.testing; sys.exit('hypothesis' in sys.modules)"

    done = subprocess.run([sys.executable, "-c", code], check=False)

    assert done.returncode == 0


@settings(max_examples=20)
@given(data=st.data())
def test_registered_type_strategies_draw_valid_values(data: st.DataObject) -> None:
    """After ``register_type_strategies()``, ``st.from_type`` draws our valid values."""
    ohst.register_type_strategies()

    drawn = [data.draw(st.from_type(cls)) for cls in (*VALUES, ev.Event)]

    for cls, value in zip((*VALUES, ev.Event), drawn, strict=True):
        assert isinstance(value, cls)
        round_trips(value)


def test_the_converter_is_our_own() -> None:
    """orderhub configures its own converter and leaves cattrs' global one alone."""
    assert isinstance(converter, cattrs.Converter)
    assert converter is not cattrs.global_converter
    with pytest.raises(cattrs.errors.StructureHandlerNotFoundError):
        cattrs.global_converter.structure({"amount": "1", "currency": "USD"}, Money)


def test_unsupported_target_types_are_a_programming_error() -> None:
    """Asking for a type the converter cannot build is not blamed on the payload."""

    class NotOurs:
        def __init__(self, x: int) -> None:
            self.x = x

    with pytest.raises(cattrs.errors.StructureHandlerNotFoundError):
        structure({"x": 1}, NotOurs)
