"""Hypothesis properties of the customer master, capture and orders (the invariants of issue 2).

* a rejected command changes nothing, whatever the command and whatever came before;
* every line reconciles after any sequence of capture, cancel_line, cancel, hold and release;
* Σ line nets = order total, and the discounts taken are exactly the discounts requested;
* the same request twice is one order;
* matching is deterministic and follows MATCH_ORDER.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any, TypeVar

import attrs
from hypothesis import event, given, note, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    multiple,
    rule,
)

from helpers import hub_state, make_hub, reconciles
from orderhub import (
    CatalogPolicy,
    Channel,
    ConsentChannel,
    CustomerIdentity,
    Discount,
    HoldKind,
    IdempotencyConflict,
    LineRequest,
    Money,
    OrderHub,
    OrderhubError,
    OrderRequest,
    OrderState,
    ServiceLevel,
    default_priority,
)
from orderhub.events import CustomerCreated, PossibleDuplicate

_T = TypeVar("_T")

# -- strategies (local until orderhub.testing has public ones) ---------------------------------

# TEA is priced in JPY (a currency mismatch next to USD lines); CANOE is not in the catalog.
_SKUS = ["TENT", "MAT", "LAMP", "STOVE", "TEA", "CANOE"]
_CHANNELS = [Channel.WEB, Channel.STORE, Channel.MARKETPLACE]

_identities = st.builds(
    CustomerIdentity,
    email=st.none()
    | st.sampled_from(
        ["ann@example.com", " ANN@Example.com", "bob@example.com", "cy@example.com"]
    ),
    phone=st.none()
    | st.sampled_from(["+15550100000", "+1 555 010 0000", "+15550100001", "+15550100002"]),
    loyalty_id=st.none() | st.sampled_from(["L-1", "L-2", "L-3"]),
    external_id=st.none() | st.sampled_from(["B-1", "B-2"]),
    customer_id=st.one_of(
        *[st.none()] * 5, st.sampled_from(["customer-1", "customer-2", "customer-99"])
    ),
    name=st.none() | st.sampled_from(["Ann Lee", "Zoë Ångström"]),
)

_maybe_bad_money = st.builds(
    Money.from_minor,
    st.integers(min_value=-500, max_value=50_000),
    st.sampled_from(["USD", "USD", "USD", "EUR"]),
)

_discounts = st.one_of(
    st.integers(min_value=1, max_value=100).map(lambda p: Discount(percent=Decimal(p))),
    st.builds(
        lambda units, cur: Discount(amount=Money.from_minor(units, cur)),
        st.integers(min_value=1, max_value=40_000),
        st.sampled_from(["USD", "USD", "USD", "EUR"]),
    ),
)

_line_requests = st.builds(
    LineRequest,
    sku=st.sampled_from(_SKUS),
    quantity=st.integers(min_value=1, max_value=5),
    unit_price=st.none() | st.none() | _maybe_bad_money,
    discounts=st.lists(_discounts, max_size=2),
)

_good_discounts = st.one_of(
    st.integers(min_value=1, max_value=30).map(lambda p: Discount(percent=Decimal(p))),
    st.integers(min_value=1, max_value=500).map(
        lambda units: Discount(amount=Money.from_minor(units, "USD"))
    ),
)

_good_line_requests = st.builds(
    LineRequest,
    sku=st.sampled_from(["TENT", "MAT", "LAMP", "STOVE"]),
    quantity=st.integers(min_value=1, max_value=5),
    unit_price=st.none()
    | st.integers(min_value=500, max_value=50_000).map(
        lambda units: Money.from_minor(units, "USD")
    ),
    discounts=st.lists(_good_discounts, max_size=1),
)


def _order_requests(lines: Any, discounts: Any) -> st.SearchStrategy[OrderRequest]:
    return st.builds(
        OrderRequest,
        channel=st.sampled_from(_CHANNELS),
        external_id=st.sampled_from([f"X-{n}" for n in range(1, 9)]),
        customer=_identities,
        lines=st.lists(lines, min_size=1, max_size=4),
        attributes=st.dictionaries(
            st.sampled_from(["tier", "age_band"]),
            st.sampled_from(["gold", "silver", "35-44"]),
            max_size=2,
        ),
        consents=st.dictionaries(st.sampled_from(list(ConsentChannel)), st.booleans(), max_size=2),
        discounts=st.lists(discounts, max_size=2),
        service_level=st.sampled_from(list(ServiceLevel)),
    )


# Requests a channel could send: mostly ones capture accepts, some it must reject.
_requests = st.one_of(
    _order_requests(_good_line_requests, _good_discounts),
    _order_requests(_good_line_requests, _good_discounts),
    _order_requests(_line_requests, _discounts),
)

_CURRENCIES = ["USD", "JPY", "KWD", "BHD", "CLF", "EUR"]


@st.composite
def _priceable_requests(draw: st.DrawFn) -> OrderRequest:
    """A request that capture accepts under ALLOW_PRICED: one currency, discounts that fit."""
    currency = draw(st.sampled_from(_CURRENCIES))
    percents = st.decimals(min_value=Decimal("0.01"), max_value=50, places=2)
    lines = []
    subtotal = Money.zero(currency)
    for n in range(draw(st.integers(min_value=1, max_value=6))):
        price = Money.from_minor(draw(st.integers(min_value=0, max_value=10**7)), currency)
        quantity = draw(st.integers(min_value=1, max_value=20))
        gross = price * quantity
        discounts = []
        if draw(st.booleans()):
            discounts.append(Discount(percent=draw(percents)))
        half = gross.minor_units // 2
        if half and draw(st.booleans()):
            units = draw(st.integers(min_value=1, max_value=half))
            discounts.append(Discount(amount=Money.from_minor(units, currency)))
        lines.append(
            LineRequest(sku=f"SKU-{n}", quantity=quantity, unit_price=price, discounts=discounts)
        )
        subtotal = subtotal + gross - _taken(discounts, gross)
    order_discounts = []
    if draw(st.booleans()):
        order_discounts.append(Discount(percent=draw(percents)))
    half = subtotal.minor_units // 2
    if half and draw(st.booleans()):
        units = draw(st.integers(min_value=1, max_value=half))
        order_discounts.append(Discount(amount=Money.from_minor(units, currency)))
    return OrderRequest(
        channel=Channel.WEB, external_id="W-1", lines=lines, discounts=order_discounts
    )


def _taken(discounts: Sequence[Discount], base: Money) -> Money:
    """What ``discounts`` take off ``base``: amounts as given, percents of the base, half-up."""
    total = Money.zero(base.currency)
    for d in discounts:
        total = total + (d.amount if d.amount is not None else base.multiply(d.percent / 100))  # type: ignore[operator]
    return total


# -- pricing -----------------------------------------------------------------------------------


@given(_priceable_requests())
def test_line_nets_add_up_and_discounts_are_exactly_those_requested(req: OrderRequest) -> None:
    """For any order, Σ line nets = total and the discounts taken are the discounts requested."""
    hub, _ = make_hub(policy=CatalogPolicy.ALLOW_PRICED)

    order = hub.capture(req).order

    currency = order.currency
    nets = [line.net for line in order.lines]
    assert sum(nets, Money.zero(currency)) == order.total
    assert order.subtotal - order.discount_total == order.total
    line_taken = [
        _taken(lr.discounts, line.gross) for lr, line in zip(req.lines, order.lines, strict=True)
    ]
    assert [line.line_discount for line in order.lines] == line_taken
    before_order = [line.gross - line.line_discount for line in order.lines]
    order_taken = _taken(req.discounts, sum(before_order, Money.zero(currency)))
    shares = [line.order_discount for line in order.lines]
    assert sum(shares, Money.zero(currency)) == order_taken
    if not order_taken.is_zero:
        assert tuple(shares) == order_taken.allocate([m.amount for m in before_order])
    assert order.discount_total == sum(line_taken, Money.zero(currency)) + order_taken
    assert all(not n.is_negative for n in nets)
    assert all(Money(n.amount, currency) == n for n in nets)  # at the currency's minor unit


# -- idempotency -------------------------------------------------------------------------------


@given(st.lists(_requests, min_size=1, max_size=6), st.data())
def test_same_request_twice_is_one_order(reqs: list[OrderRequest], data: st.DataObject) -> None:
    """Capturing any request again, after any others, returns its order and changes nothing."""
    hub, _ = make_hub()
    captured = {}
    for req in reqs:
        with contextlib.suppress(OrderhubError):
            captured[req.key] = (req, hub.capture(req).order.id)
    if not captured:
        return
    req, order_id = data.draw(st.sampled_from(list(captured.values())))
    before = hub_state(hub)

    again = hub.capture(attrs.evolve(req))

    assert again.is_duplicate
    assert again.order.id == order_id
    assert again.events == ()
    assert hub_state(hub) == before


# -- determinism -------------------------------------------------------------------------------


@given(st.lists(_requests, min_size=1, max_size=8))
def test_matching_is_deterministic(reqs: list[OrderRequest]) -> None:
    """Two hubs fed the same requests end with the same customers, orders and events."""
    hubs = [make_hub()[0], make_hub()[0]]

    outcomes = [_capture_all(hub, reqs) for hub in hubs]

    assert outcomes[0] == outcomes[1]
    assert hub_state(hubs[0]) == hub_state(hubs[1])


def _capture_all(hub: OrderHub, reqs: list[OrderRequest]) -> list[object]:
    """What capturing each request in turn gave: the Captured, or the error's type and text."""
    outcomes: list[object] = []
    for req in reqs:
        try:
            outcomes.append(hub.capture(req))
        except OrderhubError as e:
            outcomes.append((type(e).__name__, str(e)))
    return outcomes


# -- the whole lot, in any order ---------------------------------------------------------------

_CUSTOMER_IDS = st.sampled_from([f"customer-{n}" for n in range(1, 7)])


class CustomerAndOrderMachine(RuleBasedStateMachine):
    """Random commands, valid and invalid, against one hub, checking every invariant."""

    captured = Bundle("captured")

    def __init__(self) -> None:
        super().__init__()
        self.hub, self.clock = make_hub()
        # The model of the idempotency keys: key → (request, order id); None once erased.
        self.keys: dict[str, tuple[OrderRequest | None, str]] = {}

    # -- helpers -----------------------------------------------------------------------------

    def attempt(self, name: str, command: Callable[[], _T]) -> _T | None:
        """Run ``command``; if it is rejected, the hub must be exactly as it was."""
        before = hub_state(self.hub)
        rejected: OrderhubError | None = None
        try:
            result = command()
        except OrderhubError as e:
            rejected = e
        if rejected is not None:
            note(f"{name} rejected: {rejected!r}")
            event(f"{name}: {type(rejected).__name__}")
            assert hub_state(self.hub) == before, f"{rejected!r} left the hub changed"
            return None
        event(f"{name}: done")
        assert self.hub.events[: len(before.events)] == before.events
        return result

    def order_id(self, i: int) -> str:
        orders = [o.id for o in self.hub.orders()]
        return orders[i % len(orders)] if orders and i < 40 else "order-99"

    def expected_match(self, req: OrderRequest) -> list[tuple[str, str]] | None:
        """(kind, customer id) for each identifier that matches, strongest first; None if the
        identity names an unknown customer id."""
        identity, customers = req.customer, self.hub.customers
        found = []
        if identity.customer_id is not None:
            if identity.customer_id not in customers:
                return None
            found.append(("customer_id", customers.resolve(identity.customer_id)))
        probes: list[tuple[str, dict[str, Any]]] = [
            ("external_id", {"channel": req.channel, "external_id": identity.external_id}),
            ("loyalty_id", {"loyalty_id": identity.loyalty_id}),
            ("email", {"email": identity.email}),
            ("phone", {"phone": identity.phone}),
        ]
        for kind, query in probes:
            if list(query.values())[-1] is None:
                continue
            match = customers.find(**query)
            if match is not None:
                found.append((kind, match.id))
        return found

    # -- rules -------------------------------------------------------------------------------

    @rule(target=captured, req=_requests, placed=st.none() | st.integers(-3000, 30))
    def capture(self, req: OrderRequest, placed: int | None) -> Any:
        if placed is not None:
            req = attrs.evolve(req, placed_at=self.clock.now() + timedelta(minutes=placed))
        seen = self.keys.get(req.key)
        expected = self.expected_match(req)
        before = hub_state(self.hub)

        if seen is not None and seen[0] is not None and seen[0] != req:
            try:
                self.hub.capture(req)
            except IdempotencyConflict:
                assert hub_state(self.hub) == before
                return multiple()
            raise AssertionError("a different request with a used key was captured")
        result = self.attempt("capture", lambda: self.hub.capture(req))
        if seen is not None:
            assert result is not None
            assert result.is_duplicate
            assert result.order.id == seen[1]
            assert hub_state(self.hub) == before
            return multiple()
        if result is None:
            return multiple()

        assert not result.is_duplicate
        assert expected is not None, "an unknown customer id was accepted"
        if expected:
            first = expected[0][1]
            others = tuple(dict.fromkeys(c for _, c in expected if c != first))
            assert result.order.customer_id == first
            flagged = [e for e in result.events if isinstance(e, PossibleDuplicate)]
            assert [e.other_customer_ids for e in flagged] == ([others] if others else [])
            assert len(self.hub.customers) == len(before.customers)
        else:
            assert any(isinstance(e, CustomerCreated) for e in result.events)
            assert len(self.hub.customers) == len(before.customers) + 1
        self.keys[req.key] = (req, result.order.id)
        return req

    @rule(req=captured)
    def capture_again(self, req: OrderRequest) -> None:
        before = hub_state(self.hub)

        again = self.hub.capture(req)

        assert again.is_duplicate
        assert again.order.id == self.keys[req.key][1]
        assert hub_state(self.hub) == before

    @rule(
        order=st.integers(0, 50),
        line_no=st.integers(-1, 5),
        quantity=st.none() | st.integers(-1, 6),
    )
    def cancel_line(self, order: int, line_no: int, quantity: int | None) -> None:
        self.attempt(
            "cancel_line", lambda: self.hub.cancel_line(self.order_id(order), line_no, quantity)
        )

    @rule(order=st.integers(0, 50))
    def cancel(self, order: int) -> None:
        self.attempt("cancel", lambda: self.hub.cancel(self.order_id(order), reason="test"))

    @rule(
        order=st.integers(0, 50),
        kind=st.sampled_from([*HoldKind, "fraud"]),
        reason=st.sampled_from(["review", "  ", "limit"]),
    )
    def hold(self, order: int, kind: Any, reason: str) -> None:
        self.attempt("hold", lambda: self.hub.hold(self.order_id(order), kind, reason))

    @rule(order=st.integers(0, 50), kind=st.sampled_from([*HoldKind, "fraud"]))
    def release_hold(self, order: int, kind: Any) -> None:
        self.attempt("release_hold", lambda: self.hub.release_hold(self.order_id(order), kind))

    @rule(survivor=_CUSTOMER_IDS, duplicate=_CUSTOMER_IDS)
    def merge(self, survivor: str, duplicate: str) -> None:
        self.attempt("merge", lambda: self.hub.customers.merge(survivor, duplicate))

    @rule(customer=_CUSTOMER_IDS)
    def erase(self, customer: str) -> None:
        if not self.attempt("erase", lambda: self.hub.customers.erase(customer)):
            return  # rejected, or erased before: nothing new was forgotten
        erased = self.hub.customers.get(customer)
        assert erased.is_erased
        assert erased.name is None
        assert (erased.emails, erased.phones, erased.loyalty_ids, erased.external_ids) == (
            (),
            (),
            (),
            (),
        )
        assert erased.attribute_history == ()
        assert not any(erased.consents.values())
        for oid in erased.order_ids:
            key = self.hub.order(oid).idempotency_key
            self.keys[key] = (None, oid)

    @rule(
        customer=_CUSTOMER_IDS,
        channel=st.sampled_from([*ConsentChannel, "sms"]),
        granted=st.sampled_from([True, False, "yes"]),
        at=st.none() | st.integers(-600, 10),
    )
    def set_consent(self, customer: str, channel: Any, granted: Any, at: int | None) -> None:
        when = None if at is None else self.clock.now() + timedelta(minutes=at)
        self.attempt(
            "set_consent",
            lambda: self.hub.customers.set_consent(customer, channel, granted, at=when),
        )

    @rule(
        customer=_CUSTOMER_IDS,
        attributes=st.dictionaries(
            st.sampled_from(["tier", ""]), st.sampled_from(["gold", 1.5, 3]), max_size=2
        ),
        at=st.none() | st.integers(-600, 10),
    )
    def capture_attributes(
        self, customer: str, attributes: dict[str, Any], at: int | None
    ) -> None:
        when = None if at is None else self.clock.now() + timedelta(minutes=at)
        self.attempt(
            "capture_attributes",
            lambda: self.hub.customers.capture_attributes(customer, attributes, captured_at=when),
        )

    @rule(minutes=st.integers(0, 240))
    def advance_clock(self, minutes: int) -> None:
        self.clock.advance(minutes=minutes)

    # -- invariants --------------------------------------------------------------------------

    @invariant()
    def lines_reconcile(self) -> None:
        assert all(reconciles(o) for o in self.hub.orders())

    @invariant()
    def amounts_add_up(self) -> None:
        for o in self.hub.orders():
            assert sum((line.net for line in o.lines), Money.zero(o.currency)) == o.total
            assert o.subtotal - o.discount_total == o.total

    @invariant()
    def queue_holds_exactly_the_orders_waiting(self) -> None:
        orders = {o.id: o for o in self.hub.orders()}
        waiting = {oid for oid, o in orders.items() if o.state is OrderState.CAPTURED}
        queued = self.hub.queued()
        assert len(queued) == len(set(queued))
        assert set(queued) == waiting
        keys = [default_priority(orders[oid]) for oid in queued]
        assert keys == sorted(keys)

    @invariant()
    def holds_match_the_state(self) -> None:
        for o in self.hub.orders():
            assert o.is_on_hold == (o.state is OrderState.ON_HOLD)
            assert (o.resume_state is not None) == o.is_on_hold
            assert len({h.kind for h in o.holds}) == len(o.holds)

    @invariant()
    def every_order_belongs_to_exactly_one_customer(self) -> None:
        owners = Counter(oid for c in self.hub.customers for oid in c.order_ids)
        assert owners == Counter(o.id for o in self.hub.orders())
        for c in self.hub.customers:
            for oid in c.order_ids:
                assert self.hub.customers.resolve(self.hub.order(oid).customer_id) == c.id

    @invariant()
    def every_identifier_finds_its_customer(self) -> None:
        customers = self.hub.customers
        for c in customers:
            for email in c.emails:
                assert customers.find(email=email) == c
            for phone in c.phones:
                assert customers.find(phone=phone) == c
            for loyalty_id in c.loyalty_ids:
                assert customers.find(loyalty_id=loyalty_id) == c
            for ext in c.external_ids:
                assert customers.find(channel=ext.channel, external_id=ext.value) == c
            for merged in c.merged_ids:
                assert customers.resolve(merged) == c.id


CustomerAndOrderMachine.TestCase.settings = settings(
    max_examples=150, stateful_step_count=40, deadline=None
)
TestCustomerAndOrderMachine = CustomerAndOrderMachine.TestCase
