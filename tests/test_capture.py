"""Order capture: validation, pricing, idempotency, placement time, the intake queue, events."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs
import pytest

from helpers import T0, address, events_of, hub_state, make_hub, request
from orderhub import (
    CaptureContext,
    Channel,
    ConsentChannel,
    CurrencyMismatch,
    CustomerIdentity,
    Discount,
    DuplicateId,
    GeoPoint,
    IdempotencyConflict,
    InvalidMoney,
    InvalidQuantity,
    LineRequest,
    Money,
    OrderHub,
    OrderRequest,
    OrderState,
    ServiceLevel,
    UnknownCurrency,
    ValidationError,
)
from orderhub.events import (
    ConsentChanged,
    CustomerAttributeCaptured,
    CustomerCreated,
    OrderCaptured,
)
from orderhub.testing import FixedClock, SequentialIds


def usd(amount: str) -> Money:
    return Money(amount, "USD")


def pct(value: str) -> Discount:
    return Discount(percent=Decimal(value))


def off(amount: Money) -> Discount:
    return Discount(amount=amount)


# -- pricing -----------------------------------------------------------------------------------


def test_line_without_a_price_takes_the_catalog_price() -> None:
    """A line with no unit price is priced from the catalog."""
    hub, _ = make_hub()

    order = hub.capture(request(lines=[LineRequest(sku="TENT", quantity=2)])).order

    line = order.lines[0]
    assert (line.line_no, line.unit_price, line.gross, line.net) == (
        1,
        usd("149.00"),
        usd("298.00"),
        usd("298.00"),
    )
    assert order.currency == "USD"
    assert order.total == usd("298.00")


def test_line_price_overrides_the_catalog_price() -> None:
    """A line's own unit price (a marketplace's, a negotiated one) wins over the catalog's."""
    hub, _ = make_hub()
    line = LineRequest(sku="TENT", quantity=2, unit_price=usd("139.00"))

    order = hub.capture(request(lines=[line])).order

    assert order.lines[0].unit_price == usd("139.00")
    assert order.total == usd("278.00")


@pytest.mark.parametrize(
    ("sku", "quantity", "discounts", "line_discount"),
    [
        ("TENT", 2, [off(usd("10.00"))], "10.00"),
        ("LAMP", 3, [pct("15")], "4.50"),  # 29.97 × 15 % = 4.4955, half-up
        ("MAT", 1, [pct("10"), off(usd("1.00"))], "4.00"),
        ("MAT", 2, [pct("100")], "60.00"),
    ],
)
def test_line_discounts_by_amount_and_percent(
    sku: str, quantity: int, discounts: list[Discount], line_discount: str
) -> None:
    """Line discounts, fixed or percent of the line's gross (rounded half-up), are subtracted."""
    hub, _ = make_hub()
    line = LineRequest(sku=sku, quantity=quantity, discounts=discounts)

    order = hub.capture(request(lines=[line])).order

    captured = order.lines[0]
    assert captured.line_discount == usd(line_discount)
    assert captured.order_discount == usd("0.00")
    assert captured.net == captured.gross - usd(line_discount)
    assert captured.discounts == tuple(discounts)


def test_order_discount_is_spread_over_lines_by_largest_remainder() -> None:
    """An order discount is split over the lines in proportion to their nets, no cent lost."""
    hub, _ = make_hub()
    lines = [LineRequest(sku=s, quantity=1) for s in ("TENT", "MAT", "LAMP")]

    order = hub.capture(request(lines=lines, discounts=[off(usd("10.00"))])).order

    shares = [line.order_discount for line in order.lines]
    assert shares == [usd("7.88"), usd("1.59"), usd("0.53")]
    assert tuple(shares) == usd("10.00").allocate(["149.00", "30.00", "9.99"])
    assert order.subtotal == usd("188.99")
    assert order.discount_total == usd("10.00")
    assert order.total == usd("178.99")
    assert sum((line.net.amount for line in order.lines), Decimal(0)) == order.total.amount


def test_order_percent_discount_applies_after_line_discounts() -> None:
    """An order percent discount is taken from the subtotal after line discounts."""
    hub, _ = make_hub()
    lines = [
        LineRequest(sku="TENT", quantity=1, discounts=[pct("10")]),
        LineRequest(sku="MAT", quantity=1),
    ]

    order = hub.capture(request(lines=lines, discounts=[pct("5")])).order

    # 134.10 + 30.00 = 164.10; 5 % = 8.205 → 8.21, spread 6.71 / 1.50
    assert [line.order_discount for line in order.lines] == [usd("6.71"), usd("1.50")]
    assert order.discount_total == usd("14.90") + usd("8.21")
    assert order.total == usd("155.89")
    assert order.discounts == (pct("5"),)


def test_zero_priced_line_gets_no_share_of_an_order_discount() -> None:
    """A free line (price zero) takes none of the order discount."""
    hub, _ = make_hub()
    lines = [
        LineRequest(sku="TENT", quantity=1),
        LineRequest(sku="LAMP", quantity=1, unit_price=usd("0.00")),
    ]

    order = hub.capture(request(lines=lines, discounts=[off(usd("5.00"))])).order

    assert [line.order_discount for line in order.lines] == [usd("5.00"), usd("0.00")]
    assert order.total == usd("144.00")


def test_zero_decimal_currency_is_priced_in_whole_yen() -> None:
    """In JPY every amount is whole yen: percent discounts round, order discounts split in yen."""
    hub, _ = make_hub()
    lines = [
        LineRequest(sku="TEA", quantity=3, discounts=[pct("7")]),
        LineRequest(sku="TEA", quantity=1, unit_price=Money(999, "JPY")),
    ]

    order = hub.capture(request(lines=lines, discounts=[off(Money(100, "JPY"))])).order

    assert order.currency == "JPY"
    assert order.lines[0].line_discount == Money(252, "JPY")
    assert [line.order_discount for line in order.lines] == [Money(77, "JPY"), Money(23, "JPY")]
    assert order.total == Money(4247, "JPY")
    assert all(line.net.amount.as_tuple().exponent == 0 for line in order.lines)


def test_three_decimal_currency_is_priced_in_fils() -> None:
    """In KWD every amount has three decimals, and the order discount splits to the fils."""
    hub, _ = make_hub()
    lines = [
        LineRequest(sku="DATES", quantity=3, discounts=[pct("10")]),
        LineRequest(sku="DATES", quantity=1, unit_price=Money("0.999", "KWD")),
    ]

    order = hub.capture(request(lines=lines, discounts=[off(Money("1.000", "KWD"))])).order

    assert order.lines[0].line_discount == Money("1.238", "KWD")  # 12.375 × 10 %, half-up
    assert [line.order_discount for line in order.lines] == [
        Money("0.918", "KWD"),
        Money("0.082", "KWD"),
    ]
    assert order.total == Money("11.136", "KWD")
    assert all(line.net.amount.as_tuple().exponent == -3 for line in order.lines)


def test_request_currency_sets_the_order_currency() -> None:
    """A request may name its currency; lines priced in it are accepted."""
    hub, _ = make_hub()

    order = hub.capture(request(currency="JPY", lines=[LineRequest(sku="TEA", quantity=1)])).order

    assert order.currency == "JPY"


# -- invalid requests --------------------------------------------------------------------------

_MISMATCHES = [
    (
        {
            "lines": [
                LineRequest(sku="TENT", quantity=1),
                LineRequest(sku="MAT", quantity=1, unit_price=Money("30.00", "EUR")),
            ]
        },
        "lines[1].unit_price",
    ),
    (
        {"lines": [LineRequest(sku="TENT", quantity=1), LineRequest(sku="TEA", quantity=1)]},
        "lines[1].unit_price",
    ),
    ({"currency": "EUR"}, "lines[0].unit_price"),
    (
        {
            "lines": [
                LineRequest(
                    sku="TENT", quantity=1, discounts=[off(usd("1.00")), off(Money("1.00", "EUR"))]
                )
            ]
        },
        "lines[0].discounts[1].amount",
    ),
    ({"discounts": [off(Money("5.00", "EUR"))]}, "discounts[0].amount"),
]


@pytest.mark.parametrize(("fields", "field"), _MISMATCHES)
def test_currency_mismatch_is_rejected_and_nothing_changes(
    fields: dict[str, Any], field: str
) -> None:
    """Money in two currencies on one request raises CurrencyMismatch naming the field."""
    hub, _ = make_hub()
    hub.capture(request("W-0", email="ann@example.com"))
    before = hub_state(hub)

    with pytest.raises(CurrencyMismatch) as caught:
        hub.capture(request("W-1", email="ann@example.com", **fields))

    assert caught.value.field == field
    assert hub_state(hub) == before


def test_unknown_request_currency_is_rejected_and_nothing_changes() -> None:
    """A request naming a code that is not an ISO 4217 currency raises UnknownCurrency."""
    hub, _ = make_hub()
    before = hub_state(hub)

    with pytest.raises(UnknownCurrency) as caught:
        hub.capture(request(currency="ABC"))

    assert (caught.value.field, caught.value.value) == ("currency", "ABC")
    assert hub_state(hub) == before


def test_negative_price_is_rejected_and_nothing_changes() -> None:
    """A negative unit price raises InvalidMoney: credit goes through a credit note."""
    hub, _ = make_hub()
    before = hub_state(hub)
    line = LineRequest(sku="TENT", quantity=1, unit_price=usd("-1.00"))

    with pytest.raises(InvalidMoney) as caught:
        hub.capture(request(lines=[line]))

    assert caught.value.field == "lines[0].unit_price"
    assert hub_state(hub) == before


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        (
            {"lines": [LineRequest(sku="TENT", quantity=1, discounts=[off(usd("149.01"))])]},
            "lines[0].discounts",
        ),
        (
            {"lines": [LineRequest(sku="TENT", quantity=1, discounts=[pct("60"), pct("60")])]},
            "lines[0].discounts",
        ),
        ({"discounts": [off(usd("149.01"))]}, "discounts"),
        ({"discounts": [pct("50"), pct("50"), off(usd("0.01"))]}, "discounts"),
        (
            {
                "lines": [LineRequest(sku="TENT", quantity=1, discounts=[pct("100")])],
                "discounts": [off(usd("0.01"))],
            },
            "discounts",
        ),
    ],
)
def test_discount_larger_than_its_base_is_rejected_and_nothing_changes(
    fields: dict[str, Any], field: str
) -> None:
    """Discounts adding up to more than the line or order they apply to are rejected."""
    hub, _ = make_hub()
    before = hub_state(hub)

    with pytest.raises(ValidationError) as caught:
        hub.capture(request(**fields))

    assert caught.value.field == field
    assert hub_state(hub) == before


def test_discount_equal_to_its_base_is_accepted() -> None:
    """A discount of exactly the order's subtotal makes a free order, which is allowed."""
    hub, _ = make_hub()

    order = hub.capture(request(discounts=[off(usd("149.00"))])).order

    assert order.total == usd("0.00")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"amount": usd("1.00"), "percent": Decimal(5)}, "amount"),
        ({}, "amount"),
        ({"percent": Decimal(0)}, "percent"),
        ({"percent": Decimal("100.01")}, "percent"),
        ({"percent": 10}, "percent"),
        ({"percent": Decimal("NaN")}, "percent"),
        ({"amount": usd("0.00")}, "amount"),
        ({"amount": usd("-5.00")}, "amount"),
        ({"amount": "5.00"}, "amount"),
        ({"percent": Decimal(5), "code": ""}, "code"),
    ],
)
def test_malformed_discount_is_rejected(fields: dict[str, Any], field: str) -> None:
    """A discount needs exactly one of a positive amount or a percent in (0, 100]."""
    with pytest.raises(ValidationError) as caught:
        Discount(**fields)

    assert caught.value.field == field


def test_empty_order_is_rejected() -> None:
    """An order request with no lines is rejected."""
    with pytest.raises(ValidationError) as caught:
        OrderRequest(channel=Channel.WEB, external_id="W-1", lines=[])

    assert caught.value.field == "lines"


def test_request_without_external_id_or_idempotency_key_is_rejected() -> None:
    """A request must carry something to make retries safe: an external id or a key."""
    with pytest.raises(ValidationError) as caught:
        OrderRequest(channel=Channel.WEB, lines=[LineRequest(sku="TENT", quantity=1)])

    assert caught.value.field == "external_id"


@pytest.mark.parametrize("quantity", [0, -1, True, 1.5, "2", None])
def test_quantity_must_be_a_positive_int(quantity: Any) -> None:
    """A line quantity that is not a positive integer raises InvalidQuantity."""
    with pytest.raises(InvalidQuantity) as caught:
        LineRequest(sku="TENT", quantity=quantity)

    assert (caught.value.field, caught.value.value) == ("quantity", quantity)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"channel": "web"}, "channel"),
        ({"lines": "TENT"}, "lines"),
        ({"lines": [{"sku": "TENT", "quantity": 1}]}, "lines[0]"),
        ({"external_id": "  "}, "external_id"),
        ({"customer": {"email": "ann@example.com"}}, "customer"),
        ({"ship_to": "1 Main St"}, "ship_to"),
        ({"consents": {"email": True}}, "consents"),
        ({"consents": {ConsentChannel.EMAIL: 1}}, "consents.email"),
        ({"context": {"campain": "typo"}}, "context"),
        ({"service_level": "express"}, "service_level"),
        ({"placed_at": datetime(2026, 3, 1, 9, 0)}, "placed_at"),
        ({"placed_at": "2026-03-01T09:00:00Z"}, "placed_at"),
        ({"attributes": {"score": 0.5}}, "attributes.score"),
    ],
)
def test_malformed_request_is_rejected_naming_the_field(
    fields: dict[str, Any], field: str
) -> None:
    """Each malformed part of a request raises ValidationError naming that part."""
    base: dict[str, Any] = {
        "channel": Channel.WEB,
        "external_id": "W-1",
        "lines": [LineRequest(sku="TENT", quantity=1)],
    }

    with pytest.raises(ValidationError) as caught:
        OrderRequest(**(base | fields))

    assert caught.value.field == field


def test_capture_of_something_else_is_rejected() -> None:
    """Capture takes an OrderRequest and nothing else."""
    hub, _ = make_hub()
    before = hub_state(hub)

    with pytest.raises(ValidationError) as caught:
        hub.capture({"channel": "web"})  # type: ignore[arg-type]

    assert caught.value.field == "request"
    assert hub_state(hub) == before


# -- idempotency -------------------------------------------------------------------------------


def test_default_idempotency_key_is_channel_and_external_id() -> None:
    """Without an explicit key, the key is ``<channel>:<external_id>``."""
    req = request("W-1001", channel=Channel.CALL_CENTRE)

    assert req.key == "call_centre:W-1001"
    assert request("W-1", idempotency_key="k-1").key == "k-1"


def test_same_request_again_returns_the_same_order_and_changes_nothing() -> None:
    """Capturing an equal request again returns the first order, flagged, with no events."""
    hub, clock = make_hub()
    first = hub.capture(request(email="ann@example.com", attributes={"tier": "gold"}))
    clock.advance(minutes=5)
    before = hub_state(hub)

    again = hub.capture(request(email="ann@example.com", attributes={"tier": "gold"}))

    assert again.order == first.order
    assert again.is_duplicate
    assert not first.is_duplicate
    assert again.events == ()
    assert hub_state(hub) == before


def test_request_with_only_an_idempotency_key_is_idempotent() -> None:
    """A request identified only by its idempotency key is deduplicated by that key."""
    hub, _ = make_hub()
    req = OrderRequest(
        channel=Channel.MOBILE,
        idempotency_key="cart-77",
        lines=[LineRequest(sku="MAT", quantity=1)],
    )
    first = hub.capture(req)

    again = hub.capture(attrs.evolve(req))

    assert again.is_duplicate
    assert again.order.id == first.order.id
    assert len(list(hub.orders())) == 1


@pytest.mark.parametrize(
    "changed",
    [
        {"lines": [LineRequest(sku="TENT", quantity=2)]},
        {"email": "bob@example.com"},
        {"attributes": {"tier": "silver"}},
        {"discounts": [pct("5")]},
        {"placed_at": T0 - timedelta(days=1)},
    ],
)
def test_different_request_with_a_used_key_is_a_conflict(changed: dict[str, Any]) -> None:
    """Reusing a key with a different request raises IdempotencyConflict and changes nothing."""
    hub, _ = make_hub()
    first = hub.capture(request(email="ann@example.com", attributes={"tier": "gold"}))
    before = hub_state(hub)
    fields: dict[str, Any] = {"email": "ann@example.com", "attributes": {"tier": "gold"}}

    with pytest.raises(IdempotencyConflict) as caught:
        hub.capture(request(**(fields | changed)))

    assert caught.value.field == "idempotency_key"
    assert caught.value.entity_id == first.order.id
    assert hub_state(hub) == before


def test_same_external_id_on_two_channels_is_two_orders() -> None:
    """The default key includes the channel, so channels' order numbers do not collide."""
    hub, _ = make_hub()

    web = hub.capture(request("1001", channel=Channel.WEB))
    store = hub.capture(request("1001", channel=Channel.STORE))

    assert web.order.id != store.order.id
    assert not store.is_duplicate


def test_retry_after_the_order_changed_returns_its_current_state() -> None:
    """A retry of a captured request answers with the order as it is now, changing nothing."""
    hub, _ = make_hub()
    hub.capture(request())
    hub.cancel("order-1", reason="customer called")
    before = hub_state(hub)

    again = hub.capture(request())

    assert again.is_duplicate
    assert again.order.state is OrderState.CANCELLED
    assert hub_state(hub) == before


# -- placement time and clock ------------------------------------------------------------------


def test_order_is_placed_and_captured_at_the_clocks_now() -> None:
    """Without ``placed_at`` an order is placed when captured, on the injected clock."""
    hub, clock = make_hub(start=T0.replace(year=2001))

    order = hub.capture(request()).order

    assert order.placed_at == order.captured_at == clock.now()
    assert order.placed_at.year == 2001


def test_order_placed_in_the_past_is_accepted() -> None:
    """An imported order keeps the time it was placed and records when it was captured."""
    hub, _ = make_hub()
    placed = T0 - timedelta(days=40)

    order = hub.capture(request(channel=Channel.MARKETPLACE, placed_at=placed)).order

    assert order.placed_at == placed
    assert order.captured_at == T0


def test_order_placed_exactly_now_is_accepted() -> None:
    """A ``placed_at`` equal to the clock's now is not in the future."""
    hub, _ = make_hub()

    order = hub.capture(request(placed_at=T0)).order

    assert order.placed_at == T0


def test_order_placed_in_the_future_is_rejected_and_nothing_changes() -> None:
    """A ``placed_at`` after the clock's now is rejected."""
    hub, _ = make_hub()
    before = hub_state(hub)

    with pytest.raises(ValidationError) as caught:
        hub.capture(request(placed_at=T0 + timedelta(seconds=1)))

    assert caught.value.field == "placed_at"
    assert hub_state(hub) == before


class _NaiveClock:
    """A broken clock that returns a naive datetime."""

    def now(self) -> datetime:
        return datetime(2026, 3, 2, 9, 0)


def test_naive_clock_is_refused() -> None:
    """A clock answering with a naive datetime makes capture fail, changing nothing."""
    hub = OrderHub(clock=_NaiveClock(), ids=SequentialIds())
    hub.catalog.add(make_hub()[0].catalog.get("TENT"))
    before = hub_state(hub)

    with pytest.raises(ValidationError) as caught:
        hub.capture(request())

    assert caught.value.field == "clock.now()"
    assert hub_state(hub) == before


def test_fixed_clock_refuses_naive_times_and_running_backwards() -> None:
    """The test clock is aware only and ``advance`` never goes back; ``set`` may."""
    clock = FixedClock(T0)

    with pytest.raises(ValidationError):
        FixedClock(datetime(2026, 1, 1))
    with pytest.raises(ValidationError):
        clock.advance(timedelta(seconds=-1))
    clock.set(T0 - timedelta(days=1))

    assert clock.now() == T0 - timedelta(days=1)
    assert clock.advance(days=1) == T0


class _RepeatingIds:
    """A broken id factory that hands out the same id for ``repeat`` every time."""

    def __init__(self, repeat: str) -> None:
        self._repeat = repeat
        self._ids = SequentialIds()

    def new_id(self, kind: str) -> str:
        return f"{kind}-1" if kind == self._repeat else self._ids.new_id(kind)


@pytest.mark.parametrize("kind", ["order", "customer"])
def test_id_factory_repeating_an_id_is_refused(kind: str) -> None:
    """An id factory that repeats an id in use raises DuplicateId instead of overwriting."""
    hub = OrderHub(clock=FixedClock(T0), ids=_RepeatingIds(kind))
    hub.catalog.add(make_hub()[0].catalog.get("TENT"))
    hub.capture(request("W-1", email="ann@example.com"))
    before = hub_state(hub)

    with pytest.raises(DuplicateId):
        hub.capture(request("W-2", email="bob@example.com"))

    assert hub_state(hub) == before


def test_ids_come_from_the_injected_factory() -> None:
    """Order and customer ids are made by the injected id factory."""
    hub = OrderHub(clock=FixedClock(T0), ids=SequentialIds(prefix="eu-"))
    hub.catalog.add(make_hub()[0].catalog.get("TENT"))

    order = hub.capture(request()).order

    assert (order.id, order.customer_id) == ("eu-order-1", "eu-customer-1")


# -- what the order keeps ----------------------------------------------------------------------


@pytest.mark.parametrize("channel", list(Channel))
def test_every_channel_can_capture(channel: Channel) -> None:
    """Orders from every channel go onto the one intake queue."""
    hub, _ = make_hub()

    order = hub.capture(request(channel=channel)).order

    assert order.channel is channel
    assert hub.queued() == (order.id,)


def test_order_keeps_addresses_context_and_service_level() -> None:
    """The order keeps ship-to, bill-to (with geo), capture context and service level."""
    hub, _ = make_hub()
    ship_to = address(geo=GeoPoint(41.88, -87.63))
    bill_to = address(line1="2 Side St", country="CA", region="ON")
    context = {
        "campaign": "spring",
        "promo_code": "TENT10",
        "referrer": "news.example",
        "utm_source": "mail",
        "utm_medium": "email",
        "utm_campaign": "spring-26",
        "store_id": "S-12",
        "associate_id": "A-3",
        "device": "ios",
        "tags": ["vip"],
    }

    order = hub.capture(
        request(
            ship_to=ship_to,
            bill_to=bill_to,
            context=context,
            service_level=ServiceLevel.EXPRESS,
            external_id="W-77",
        )
    ).order

    assert (order.ship_to, order.bill_to) == (ship_to, bill_to)
    assert order.context == CaptureContext(**(context | {"tags": ("vip",)}))
    assert order.service_level is ServiceLevel.EXPRESS
    assert (order.external_id, order.idempotency_key) == ("W-77", "web:W-77")
    assert order.state is OrderState.CAPTURED


# -- the intake queue --------------------------------------------------------------------------


def test_queue_serves_faster_service_levels_first_then_by_capture_time() -> None:
    """The queue orders by service level, then capture time, then arrival."""
    hub, clock = make_hub()
    plan = [
        ServiceLevel.STANDARD,
        ServiceLevel.EXPRESS,
        ServiceLevel.SAME_DAY,
        ServiceLevel.STANDARD,
        ServiceLevel.ECONOMY,
        ServiceLevel.STANDARD,
    ]

    for n, level in enumerate(plan, start=1):
        if n <= 4:
            clock.advance(minutes=1)
        hub.capture(request(f"W-{n}", service_level=level))

    assert hub.queued() == ("order-3", "order-2", "order-1", "order-4", "order-6", "order-5")


def test_imported_order_queues_by_capture_time_not_placement() -> None:
    """An old marketplace order captured now waits behind orders captured before it."""
    hub, clock = make_hub()
    hub.capture(request("W-1"))
    clock.advance(minutes=1)

    hub.capture(request("M-1", channel=Channel.MARKETPLACE, placed_at=T0 - timedelta(days=9)))

    assert hub.queued() == ("order-1", "order-2")


def test_custom_queue_priority_is_used() -> None:
    """A host may order the queue its own way, e.g. newest first."""
    clock = FixedClock(T0)
    hub = OrderHub(
        clock=clock, ids=SequentialIds(), queue_priority=lambda o: -o.captured_at.timestamp()
    )
    hub.catalog.add(make_hub()[0].catalog.get("TENT"))
    hub.capture(request("W-1"))
    clock.advance(minutes=1)

    hub.capture(request("W-2"))

    assert hub.queued() == ("order-2", "order-1")


# -- events ------------------------------------------------------------------------------------


def test_capture_for_a_new_customer_emits_its_events_in_order() -> None:
    """A first order creates the customer, captures attributes and consent, then the order."""
    hub, _ = make_hub()

    captured = hub.capture(
        request(
            "W-1",
            email="ann@example.com",
            attributes={"tier": "gold"},
            consents={ConsentChannel.EMAIL: True},
        )
    )

    assert captured.events == (
        CustomerCreated(occurred_at=T0, customer_id="customer-1", channel=Channel.WEB),
        CustomerAttributeCaptured(
            occurred_at=T0, customer_id="customer-1", name="tier", channel=Channel.WEB
        ),
        ConsentChanged(
            occurred_at=T0,
            customer_id="customer-1",
            consent_channel=ConsentChannel.EMAIL,
            granted=True,
        ),
        OrderCaptured(
            occurred_at=T0,
            order_id="order-1",
            customer_id="customer-1",
            channel=Channel.WEB,
            external_id="W-1",
            total=usd("149.00"),
            line_count=1,
        ),
    )
    assert hub.events == captured.events


def test_capture_for_a_returning_customer_emits_only_the_order() -> None:
    """A returning customer with nothing new produces just OrderCaptured."""
    hub, clock = make_hub()
    hub.capture(request("W-1", email="ann@example.com"))
    clock.advance(hours=1)

    captured = hub.capture(
        request("W-2", email="ann@example.com", lines=[LineRequest(sku="MAT", quantity=2)])
    )

    assert captured.events == (
        OrderCaptured(
            occurred_at=T0 + timedelta(hours=1),
            order_id="order-2",
            customer_id="customer-1",
            channel=Channel.WEB,
            external_id="W-2",
            total=usd("60.00"),
            line_count=1,
        ),
    )
    assert hub.events[-1:] == captured.events
    assert len(events_of(hub.events, OrderCaptured)) == 2


def test_order_captured_event_carries_the_discounted_total() -> None:
    """OrderCaptured reports the total after every discount."""
    hub, _ = make_hub()

    captured = hub.capture(
        request(customer=CustomerIdentity(loyalty_id="L-1"), discounts=[off(usd("9.00"))])
    )

    (event,) = events_of(captured.events, OrderCaptured)
    assert event.total == usd("140.00") == captured.order.total
