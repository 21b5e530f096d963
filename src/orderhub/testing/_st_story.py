"""Stories: a real hub after a drawn day of business, from which the hub strategies draw.

Private: the strategies of :mod:`orderhub.testing._st_hub` pick their documents from them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal

import attrs
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from orderhub._catalog import Item
from orderhub._currencies import MINOR_UNITS
from orderhub._fulfilment import FulfillmentOrder, FulfillmentState, PickList
from orderhub._hub import OrderHub
from orderhub._hub_capture import Captured
from orderhub._hub_cash import Shipped
from orderhub._hub_returns import ReturnAuthorization
from orderhub._identity import AttributeValue, CustomerIdentity
from orderhub._money import Money
from orderhub._network import Capability, Location, LocationKind
from orderhub._orders import HoldKind
from orderhub._requests import CaptureContext
from orderhub._tax import RateTable, TaxMode, TaxRounding
from orderhub._terms import PaymentTerms
from orderhub._values import Address, Channel, ConsentChannel, GeoPoint
from orderhub.ports import Failed, Outcome, Rejected, Succeeded
from orderhub.testing import FixedClock, SequentialIds
from orderhub.testing._st_policies import offer_rules, payment_terms, revenue_policies, segments
from orderhub.testing._st_values import (
    _HUNDRED,
    _cached,
    _codes,
    _optional,
    _sku_of,
    _tokens,
    attribute_names,
    attribute_values,
    money,
    order_requests,
)

# -- stories: a real hub after a drawn day of business ---------------------------------------

_T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
"""When every story's clock starts."""

_VENDOR = "stoves-inc"
_CARRIERS = ("UPS", "DHL", "La Poste", "ヤマト運輸")

_CAPTURED, _SHIPPED, _SETTLED = 0, 1, 2
"""How far a story goes: capture only; then routing, release and shipments; then cash."""

_SHIPPABLE = frozenset(
    {
        FulfillmentState.RELEASED,
        FulfillmentState.ACCEPTED,
        FulfillmentState.PICKING,
        FulfillmentState.PACKED,
        FulfillmentState.PARTIALLY_SHIPPED,
    }
)


def _story_network() -> tuple[Location, ...]:
    return (
        Location(id="dc-east", kind=LocationKind.DC, geo=GeoPoint(40.76, -74.03), rank=1),
        Location(id="dc-west", kind=LocationKind.DC, geo=GeoPoint(34.05, -118.24), rank=2),
        Location(
            id="store-chi",
            kind=LocationKind.STORE,
            geo=GeoPoint(41.88, -87.63),
            capabilities=frozenset({Capability.SHIPS_PARCELS, Capability.CLICK_AND_COLLECT}),
        ),
        Location(
            id="acme-oh",
            kind=LocationKind.DC,
            geo=GeoPoint(39.96, -83.0),
            owner="acme",
            erp="acme",
        ),
        Location(
            id="stoves-ca",
            kind=LocationKind.DROP_SHIPPER,
            geo=GeoPoint(37.77, -122.42),
            vendor=_VENDOR,
        ),
    )


_STORY_PLACES = (
    Address(line1="1 Main St", city="Chicago", country="US", region="IL", postal_code="60601",
            geo=GeoPoint(41.88, -87.63)),
    Address(line1="Hauptstraße 5", city="München", country="DE", postal_code="80331",
            name="Jürgen Groß", geo=GeoPoint(48.14, 11.58)),
    Address(line1="丸の内1-1", city="東京", country="JP", postal_code="100-0005"),
    Address(line1="Block 3, Street 12", city="Kuwait City", country="KW", company="Al-Noor"),
)  # fmt: skip
"""Where story orders ship to: with and without a position, ASCII or not."""

_STORY_CONTEXTS = (
    CaptureContext(),
    CaptureContext(campaign="spring-camping", promo_code="SPRING10", utm_source="newsletter"),
    CaptureContext(store_id="store-chi", associate_id="a-7", device="pos"),
)
"""How story orders were captured."""

_STORY_TAXES = (
    RateTable({}),
    RateTable({"US": Decimal("0.0625"), "US-IL": Decimal("0.1025"), "DE": Decimal("0.19")}),
    RateTable(
        {"DE": Decimal("0.19"), "JP": Decimal("0.10"), "KW": Decimal(0)},
        default=Decimal("0.20"),
    ),
)
"""The tax tables of story hubs, keyed by the story places' countries."""


def _safe_floor(terms: PaymentTerms, code: str) -> Decimal:
    """The least unit price (major units) at which no invoice a story ships can be too small
    for ``terms``: each instalment at least one minor unit, an early-payment discount less
    than the amount. (A smaller invoice makes ``confirm_shipment`` fail half-way: a library
    bug the strategies step around.)"""
    least = 0
    if terms.instalments:
        least = max(least, math.ceil(1 / min(i.share for i in terms.instalments)))
    if terms.discount_percent is not None:
        rest = 1 - terms.discount_percent / _HUNDRED
        least = max(least, math.floor(Decimal("0.5") / rest) + 1)
    # Discounts leave at least 1/16 of a line's value; 40 covers that and rounding.
    return Decimal(40 * least).scaleb(-MINOR_UNITS[code])


@attrs.define
class _Story:
    """A hub after a drawn run of commands, and what the commands returned."""

    hub: OrderHub
    clock: FixedClock
    captured: list[Captured] = attrs.Factory(list)
    shipped: list[Shipped] = attrs.Factory(list)
    returns: list[ReturnAuthorization] = attrs.Factory(list)
    pick_lists: list[PickList] = attrs.Factory(list)
    payments: list[str] = attrs.Factory(list)


@_cached
def _story_places() -> st.SearchStrategy[Address]:
    return st.sampled_from(_STORY_PLACES)


@_cached
def _story_contexts() -> st.SearchStrategy[CaptureContext]:
    return st.sampled_from(_STORY_CONTEXTS)


@_cached
def _story_attributes() -> st.SearchStrategy[dict[str, AttributeValue]]:
    return st.dictionaries(
        st.sampled_from(("age_band", "größe", "tier")), attribute_values(), max_size=2
    )


@_cached
def _story_identities(
    pool: tuple[str, ...], ascii_only: bool
) -> st.SearchStrategy[CustomerIdentity]:
    names = _STORY_NAMES[:2] if ascii_only else _STORY_NAMES
    return st.builds(
        CustomerIdentity, email=st.sampled_from(pool), name=_optional(st.sampled_from(names))
    )


@_cached
def _story_items(code: str, floor: Decimal) -> st.SearchStrategy[Item]:
    return st.builds(
        Item,
        sku=st.sampled_from(_STORY_SKUS),
        description=st.sampled_from(_STORY_NAMES),
        price=money(code, min_value=floor, max_value=10**6),
        owner=st.sampled_from(("main", "main", "acme")),
        category=_optional(st.sampled_from(("camp", "kitchen"))),
        drop_ship_vendor=_optional(st.just(_VENDOR)),
        weight=_optional(st.decimals(0, 100, places=3)),
    )


_STORY_SKUS = ("TENT-2P", "MAT", "LAMP", "STOVE", "MUG", "TEA-MATCHA")
_STORY_NAMES = ("Ann Lee", "O'Brien & Sons", "Zoë Ångström", "Jürgen Groß", "李小龍", "عائشة")
_STORY_NOTES = st.sampled_from(
    ("changed mind", "damaged in transit", "Zahlung überfällig", "顧客都合", "small remainder")
)
_STORY_EMAIL_POOLS = st.lists(
    st.sampled_from(("ann@example.com", "Bob.Smith@Example.org", "zoe+shop@mail.example.jp")),
    min_size=1,
    max_size=3,
    unique=True,
)
_STORY_PACKAGES = st.lists(
    st.sampled_from(("PKG-1", "PKG-2", "PKG-3")), max_size=2, unique=True
).map(tuple)


def _settle(hub: OrderHub, draw: st.DrawFn | None = None) -> None:
    """Answer every due effect: success, or (with ``draw``) any outcome, faults included."""
    for _ in range(50):
        due = hub.pending_effects()
        if not due:
            return
        for effect in due:
            outcome: Outcome = Succeeded(f"ext-{effect.id}")
            if draw is not None:
                outcome = draw(
                    st.sampled_from(
                        (outcome, outcome, Failed("timed out"), Rejected("cannot do it"))
                    )
                )
            hub.resolve(effect, outcome)


def _shippable(hub: OrderHub) -> list[FulfillmentOrder]:
    return [
        fo
        for o in hub.orders()
        for fo in hub.fulfillment_orders(o.id)
        if fo.state in _SHIPPABLE and fo.to_ship
    ]


def _top_up(hub: OrderHub, order_id: str) -> None:
    """Stock for every backordered unit of ``order_id``, so that it can ship."""
    for line in hub.order(order_id).lines:
        if line.quantities.backordered:
            where = "acme-oh" if line.owner == "acme" else "dc-east"
            hub.receive(where, line.sku, line.quantities.backordered)


def _units(draw: st.DrawFn, left: Mapping[int, int], full: bool) -> dict[int, int]:
    if full:
        return dict(left)
    lines = {n: draw(st.integers(0, q)) for n, q in sorted(left.items())}
    lines = {n: q for n, q in lines.items() if q}
    return lines or {min(left): 1}


@st.composite
def _stories(
    draw: st.DrawFn,
    *,
    stage: int = _SETTLED,
    currency: str | st.SearchStrategy[str] | None = None,
    min_orders: int = 1,
    max_orders: int = 2,
    max_lines: int = 3,
    max_quantity: int = 5,
    faults: bool = False,
    churn: bool = False,
    need_return: bool = False,
    need_credit_note: bool = False,
    priced: bool = False,
    ascii_only: bool = False,
) -> _Story:
    if not 1 <= min_orders <= max_orders:
        raise InvalidArgument("need 1 <= min_orders <= max_orders")
    code = draw(_codes(currency))
    clock = FixedClock(_T0)
    terms = draw(payment_terms())
    floor = _safe_floor(terms, code)
    if priced:  # nothing given away: every shipment owes something
        floor = max(floor, Decimal(1).scaleb(-MINOR_UNITS[code]))
    hub = OrderHub(
        clock=clock,
        ids=SequentialIds(),
        tax=draw(st.sampled_from(_STORY_TAXES)),
        tax_mode=draw(st.sampled_from(TaxMode)),
        tax_rounding=draw(st.sampled_from(TaxRounding)),
        terms=terms,
        revenue_policy=draw(revenue_policies()),
        max_rejections=2,
    )
    story = _Story(hub, clock)
    catalog = draw(
        st.lists(
            _story_items(code, floor),
            min_size=1,
            max_size=4,
            unique_by=_sku_of,
        )
    )
    for item in catalog:
        hub.catalog.add(item)
    for location in _story_network():
        hub.network.add(location)
    ample = max_orders * max_lines * max_quantity
    for item in catalog:
        if item.owner == "acme":
            hub.stock.receive("acme-oh", item.sku, ample)
        elif item.drop_ship_vendor is None:
            for where in ("dc-east", "dc-west", "store-chi"):
                n = draw(st.integers(0, ample))
                if n:
                    hub.stock.receive(where, item.sku, n)

    pool = draw(_STORY_EMAIL_POOLS)
    identities = _story_identities(tuple(pool), ascii_only)
    for i in range(draw(st.integers(min_orders, max_orders))):
        request = draw(
            order_requests(
                catalog,
                currency=code,
                max_lines=max_lines,
                max_quantity=max_quantity,
                identities=identities,
                min_price=floor,
                places=_story_places(),
                contexts=_story_contexts(),
                attributes=_story_attributes(),
            )
        )
        request = attrs.evolve(request, idempotency_key=f"request-{i}")
        story.captured.append(hub.capture(request))
        if draw(st.booleans()):
            story.captured.append(hub.capture(request))  # a retry: the same order
        clock.advance(hours=draw(st.integers(0, 72)))
    orders = [c.order.id for c in story.captured if not c.is_duplicate]

    people = [c.id for c in hub.customers]
    for cid in people:
        if draw(st.booleans()):
            hub.customers.set_consent(
                cid,
                draw(st.sampled_from(ConsentChannel)),
                draw(st.booleans()),
                source=draw(_optional(st.sampled_from(Channel))),
            )
        if draw(st.booleans()):
            hub.customers.capture_attributes(
                cid,
                draw(
                    st.dictionaries(attribute_names(), attribute_values(), min_size=1, max_size=2)
                ),
                channel=draw(_optional(st.sampled_from(Channel))),
            )
    if churn and len(people) > 1 and draw(st.booleans()):
        hub.customers.merge(people[0], people[1])
    if churn and draw(st.booleans()):
        hub.customers.erase(draw(st.sampled_from([c.id for c in hub.customers])))

    for order_id in orders[1:]:  # the first order always goes ahead untouched
        what = draw(st.sampled_from(("go", "go", "hold", "held", "cancel_line", "cancel")))
        if what in ("hold", "held"):
            kind = draw(st.sampled_from(HoldKind))
            hub.hold(order_id, kind, draw(_STORY_NOTES))
            if what == "hold":
                hub.release_hold(order_id, kind)
        elif what == "cancel_line":
            line = draw(st.sampled_from(hub.order(order_id).lines))
            hub.cancel_line(order_id, line.line_no, draw(st.integers(1, line.quantity)))
        elif what == "cancel":
            hub.cancel(order_id, reason=draw(_STORY_NOTES))

    if draw(st.booleans()):
        name = draw(_STORY_NOTES)
        hub.insights.define(draw(segments(max_depth=1)).named(name))
        hub.insights.add_offer(draw(offer_rules(segments=[name])))
    if stage == _CAPTURED:
        return story

    hub.process()
    _settle(hub, draw if faults else None)
    if not any(hub.fulfillment_orders(o) for o in orders):
        _top_up(hub, orders[0])
        hub.process()
        _settle(hub, draw if faults else None)
    if not faults and not _shippable(hub):
        _top_up(hub, orders[0])
        hub.process()
        _settle(hub)

    ready = _shippable(hub)
    for where in sorted({fo.location_id for fo in ready}):
        bins = draw(
            st.dictionaries(st.sampled_from([i.sku for i in catalog]), _tokens(), max_size=2)
        )
        story.pick_lists.append(hub.pick_list(where, bins or None))
    for k, fo in enumerate(ready):
        for step in (hub.accept, hub.start_picking, hub.mark_packed)[: draw(st.integers(0, 3))]:
            step(fo.id)
        if k and not draw(st.booleans()):
            continue
        fo = hub.fulfillment_order(fo.id)
        lines = _units(draw, fo.to_ship, draw(st.booleans()))
        carrier = draw(st.sampled_from(_CARRIERS))
        tracking = f"1Z{len(story.shipped) + 1:06d}"
        packages = draw(_STORY_PACKAGES)
        done = hub.confirm_shipment(
            fo.id, lines, carrier=carrier, tracking=tracking, packages=packages
        )
        story.shipped.append(done)
        if draw(st.booleans()):
            story.shipped.append(
                hub.confirm_shipment(
                    fo.id, lines, carrier=carrier, tracking=tracking, packages=packages
                )
            )
        if draw(st.booleans()):
            hub.confirm_delivery(done.shipment.id)
    _settle(hub)
    if stage == _SHIPPED:
        return story

    _cash(draw, story, code, need_return=need_return)
    if need_credit_note and not any(d.is_credit_note for d in hub.invoices()):
        first = story.shipped[0].shipment.invoice_id
        assert first is not None
        hub.credit(first, reason=draw(_STORY_NOTES))
    _settle(hub)
    if draw(st.booleans()):
        hub.insights.refresh(clock.now().date())
    return story


def _cash(draw: st.DrawFn, story: _Story, code: str, *, need_return: bool) -> None:
    """Payments, returns, credit notes, write-offs, refunds and a bounced payment."""
    hub, clock = story.hub, story.clock
    clock.advance(days=draw(st.integers(0, 60)))
    for invoice in hub.invoices():
        if invoice.is_credit_note or invoice.grand_total.is_zero:
            continue
        owed = hub.receivables.item(invoice.id).open.minor_units
        how = draw(st.sampled_from(("none", "full", "part", "over", "unnamed")))
        if not owed or how == "none":
            continue
        units = owed
        if how == "part" and owed > 1:
            units = draw(st.integers(1, owed - 1))
        elif how == "over":
            units = owed + draw(st.integers(1, 10**4))
        reference = f"pay-{len(story.payments) + 1}"
        hub.record_payment(
            invoice.customer_id,
            Money.from_minor(units, code),
            reference=reference,
            invoices=() if how == "unnamed" else (invoice.id,),
        )
        story.payments.append(reference)

    returnable = [
        (o.id, line.line_no, line.quantities.shipped - hub.returned(o.id, line.line_no))
        for o in hub.orders()
        for line in o.lines
        if line.quantities.shipped > hub.returned(o.id, line.line_no)
    ]
    if returnable and (need_return or draw(st.booleans())):
        order_id, line_no, room = draw(st.sampled_from(returnable))
        rma = hub.authorize_return(
            order_id, {line_no: draw(st.integers(1, room))}, reason=draw(_STORY_NOTES)
        )
        if draw(st.booleans()):
            where = draw(st.sampled_from(("dc-east", "stoves-ca")))
            hub.receive_return(rma.id, location_id=where, restock=draw(st.booleans()))
        story.returns.append(next(r for r in hub.returns(order_id) if r.id == rma.id))

    for invoice in hub.invoices():
        if invoice.is_credit_note or invoice.grand_total.is_zero:
            continue
        what = draw(st.sampled_from(("none", "none", "credit", "write_off")))
        if what == "credit":
            credited = sum(
                ln.quantity
                for note in hub.invoices()
                if note.credits == invoice.id
                for ln in note.lines
            )
            if credited < sum(ln.quantity for ln in invoice.lines):
                hub.credit(invoice.id, reason=draw(_STORY_NOTES))
        elif what == "write_off" and hub.receivables.item(invoice.id).is_open:
            hub.write_off(invoice.id, reason=draw(_STORY_NOTES))

    for cid in hub.receivables.customers():
        credit = hub.receivables.unapplied(cid, code).minor_units
        if credit and draw(st.booleans()):
            hub.refund(
                cid,
                Money.from_minor(draw(st.integers(1, credit)), code),
                reference=f"refund-{cid}",
            )
    if draw(st.booleans()) and story.payments:
        hub.reverse_payment(draw(st.sampled_from(story.payments)), reason="bounced")
