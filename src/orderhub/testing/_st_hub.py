"""Strategies of documents a real hub made: orders, customers, fulfilment, invoices, the
journal, effects, insight, routing plans and network views.

Private: import them from :mod:`orderhub.testing.strategies`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from hypothesis import strategies as st

from orderhub._billing import BillableLine, Invoice, InvoiceLine
from orderhub._customers import Customer, CustomerMaster
from orderhub._effects import Effect
from orderhub._fulfilment import (
    FulfillmentLine,
    FulfillmentOrder,
    PackingSlip,
    PackingSlipLine,
    PickLine,
    PickList,
    Shipment,
    ShipmentLine,
)
from orderhub._hub import OrderHub
from orderhub._hub_capture import Captured
from orderhub._hub_cash import Shipped
from orderhub._hub_returns import ReturnAuthorization
from orderhub._insight import CustomerView, Insights
from orderhub._insight_profiles import Profile
from orderhub._insight_rfm import RFM, RFMScore, RFMScoring, RFMSummary
from orderhub._journal import Journal, JournalEntry, JournalLine
from orderhub._log import LoggedCommand
from orderhub._orders import Order, OrderLine, OrderState
from orderhub.errors import PayloadProblem
from orderhub.routing import NetworkView, RoutingPlan
from orderhub.testing._st_stock import routing_strategies
from orderhub.testing._st_story import _CAPTURED, _SHIPPED, _stories, _Story
from orderhub.testing._st_values import texts

T = TypeVar("T")


# -- hubs: documents a real hub made ---------------------------------------------------------


def _pick(found: Callable[[_Story], Sequence[T]], **story: Any) -> st.SearchStrategy[T]:
    """One of what ``found`` finds in a drawn story (it must find something)."""
    return _stories(**story).flatmap(lambda s: st.sampled_from(list(found(s))))


def hubs(
    *,
    currency: str | st.SearchStrategy[str] | None = None,
    min_orders: int = 1,
    max_orders: int = 3,
    max_lines: int = 3,
    max_quantity: int = 5,
    faults: bool = False,
    ascii_only: bool = False,
) -> st.SearchStrategy[OrderHub]:
    """An :class:`~orderhub.OrderHub` after a drawn day of business, every invariant intact.

    Catalog in one ``currency`` (any if ``None``), a network of DCs, a store, another
    company's DC and a drop shipper, tax tables, payment terms (instalments, early-payment
    discounts) and a revenue policy; then orders from repeat customers on every channel
    (retries, holds, cancellations), consents and attributes, routing and release, picking,
    partial and full shipments (each invoiced), deliveries, payments (partial, over,
    unnamed), returns, credit notes, write-offs, refunds and a bounced payment. With
    ``faults`` the outside world also fails and refuses (retries, re-routing, holds).
    """
    return _stories(
        currency=currency,
        min_orders=min_orders,
        max_orders=max_orders,
        max_lines=max_lines,
        max_quantity=max_quantity,
        faults=faults,
        ascii_only=ascii_only,
    ).map(lambda s: s.hub)


def orders(
    *,
    currency: str | st.SearchStrategy[str] | None = None,
    max_lines: int = 3,
    max_quantity: int = 5,
) -> st.SearchStrategy[Order]:
    """Orders in every state a hub moves them to (captured, held, cancelled, allocated,
    backordered, released, shipped, invoiced, closed); their line quantities reconcile."""
    return _pick(
        lambda s: list(s.hub.orders()),
        currency=currency,
        max_lines=max_lines,
        max_quantity=max_quantity,
    )


def order_lines(
    *, currency: str | st.SearchStrategy[str] | None = None
) -> st.SearchStrategy[OrderLine]:
    """Lines of orders a hub captured and moved on (see :func:`orders`)."""
    return _pick(lambda s: [ln for o in s.hub.orders() for ln in o.lines], currency=currency)


def captures(
    *, currency: str | st.SearchStrategy[str] | None = None
) -> st.SearchStrategy[Captured]:
    """What :meth:`~orderhub.OrderHub.capture` returns, retries (``is_duplicate``) included."""
    return _pick(lambda s: s.captured, stage=_CAPTURED, currency=currency)


def customers(*, ascii_only: bool = False) -> st.SearchStrategy[Customer]:
    """Customers of a hub's customer master: identities, attributes with history, consent,
    orders, merged and erased ones."""
    return _pick(
        lambda s: list(s.hub.customers), stage=_CAPTURED, churn=True, ascii_only=ascii_only
    )


def customer_masters(*, ascii_only: bool = False) -> st.SearchStrategy[CustomerMaster]:
    """A hub's :class:`~orderhub.CustomerMaster` after captures, consents, attributes,
    merges and erasures."""
    return _stories(stage=_CAPTURED, churn=True, ascii_only=ascii_only).map(
        lambda s: s.hub.customers
    )


def fulfillment_orders(
    *, currency: str | st.SearchStrategy[str] | None = None
) -> st.SearchStrategy[FulfillmentOrder]:
    """Fulfilment orders in every state (pending, released, accepted, picking, packed,
    partly and fully shipped, cancelled), as a hub made them."""
    return _pick(
        lambda s: [fo for o in s.hub.orders() for fo in s.hub.fulfillment_orders(o.id)],
        stage=_SHIPPED,
        currency=currency,
    )


def fulfillment_lines() -> st.SearchStrategy[FulfillmentLine]:
    """Lines of fulfilment orders (see :func:`fulfillment_orders`)."""
    return fulfillment_orders().flatmap(lambda fo: st.sampled_from(fo.lines))


def shipments(
    *, currency: str | st.SearchStrategy[str] | None = None
) -> st.SearchStrategy[Shipment]:
    """Partial and full shipments a hub confirmed, each with its invoice's id."""
    return _pick(lambda s: [d.shipment for d in s.shipped], stage=_SHIPPED, currency=currency)


def shipment_lines() -> st.SearchStrategy[ShipmentLine]:
    """Lines of shipments (see :func:`shipments`)."""
    return shipments().flatmap(lambda sh: st.sampled_from(sh.lines))


def confirmed_shipments(
    *, currency: str | st.SearchStrategy[str] | None = None
) -> st.SearchStrategy[Shipped]:
    """What :meth:`~orderhub.OrderHub.confirm_shipment` returns, repeats included."""
    return _pick(lambda s: s.shipped, stage=_SHIPPED, currency=currency)


def packing_slips(*, ascii_only: bool = False) -> st.SearchStrategy[PackingSlip]:
    """The packing slips of shipments a hub confirmed."""
    return _pick(
        lambda s: [s.hub.packing_slip(d.shipment.id) for d in s.shipped],
        stage=_SHIPPED,
        ascii_only=ascii_only,
    )


def packing_slip_lines() -> st.SearchStrategy[PackingSlipLine]:
    """Lines of packing slips (see :func:`packing_slips`)."""
    return packing_slips().flatmap(lambda slip: st.sampled_from(slip.lines))


def pick_lists() -> st.SearchStrategy[PickList]:
    """Pick lists of locations with released fulfilment orders, some with bins."""
    return _pick(lambda s: s.pick_lists, stage=_SHIPPED)


def pick_lines() -> st.SearchStrategy[PickLine]:
    """Lines of pick lists (see :func:`pick_lists`)."""
    return _pick(lambda s: [ln for p in s.pick_lists for ln in p.lines], stage=_SHIPPED)


def invoices(
    *,
    currency: str | st.SearchStrategy[str] | None = None,
    credit_notes: bool | None = None,
) -> st.SearchStrategy[Invoice]:
    """Invoices of shipments and credit notes (for returns, or units credited later), as a
    hub issued them under drawn tax tables, tax modes, rounding and payment terms: their
    lines and totals add up exactly. ``credit_notes`` keeps only those (``True``) or none
    (``False``)."""

    def found(s: _Story) -> list[Invoice]:
        docs = s.hub.invoices()
        if credit_notes is None:
            return list(docs)
        return [d for d in docs if d.is_credit_note is credit_notes]

    return _pick(found, currency=currency, need_credit_note=bool(credit_notes))


def invoice_lines(
    *, currency: str | st.SearchStrategy[str] | None = None
) -> st.SearchStrategy[InvoiceLine]:
    """Lines of invoices and credit notes (see :func:`invoices`)."""
    return invoices(currency=currency).flatmap(lambda d: st.sampled_from(d.lines))


@st.composite
def billable_lines(draw: st.DrawFn) -> BillableLine:
    """One order line's part in a shipment: some units now after some before."""
    line = draw(order_lines())
    before = draw(st.integers(0, line.quantity - 1))
    now = draw(st.integers(1, line.quantity - before))
    return BillableLine.of(line, shipped_now=now, shipped_before=before)


def journals() -> st.SearchStrategy[Journal]:
    """A hub's double-entry :class:`~orderhub.Journal`: every entry balanced."""
    return _stories().map(lambda s: s.hub.journal)


def journal_entries() -> st.SearchStrategy[JournalEntry]:
    """Balanced journal entries of every kind a hub posts."""
    return _pick(lambda s: s.hub.journal.entries(), priced=True)


def journal_lines() -> st.SearchStrategy[JournalLine]:
    """Lines of journal entries (see :func:`journal_entries`)."""
    return journal_entries().flatmap(lambda e: st.sampled_from(e.lines))


def effects() -> st.SearchStrategy[Effect]:
    """Effects in an outbox: pending, retried, succeeded, rejected and abandoned."""
    return _pick(lambda s: s.hub.effects(), stage=_SHIPPED, faults=True)


def logged_commands() -> st.SearchStrategy[LoggedCommand]:
    """Entries of a hub's command log: every command a drawn day of business ran, with the
    clock readings and ids it consumed."""
    return _pick(lambda s: s.hub.command_log)


def payload_problems() -> st.SearchStrategy[PayloadProblem]:
    """Problems of a payload as :class:`~orderhub.errors.InvalidPayload` reports them: a
    path (``$.lines[0].quantity``) and a message."""
    step = st.one_of(
        st.sampled_from(("lines", "quantity", "customer", "email", "amount", "currency")).map(
            ".{}".format
        ),
        st.integers(0, 99).map("[{}]".format),
    )
    path = st.lists(step, max_size=4).map(lambda parts: "$" + "".join(parts))
    return st.builds(PayloadProblem, path, texts(max_size=40))


def return_authorizations() -> st.SearchStrategy[ReturnAuthorization]:
    """Return authorisations, received (restocked or scrapped, credited) or not yet."""
    return _pick(lambda s: s.returns, need_return=True)


def profiles() -> st.SearchStrategy[Profile]:
    """Customer profiles as insight keeps them."""
    return _pick(lambda s: [s.hub.insights.profile(c.id) for c in s.hub.customers])


def customer_views() -> st.SearchStrategy[CustomerView]:
    """360° views of customers: orders, shipments, invoices, open items, returns, offers."""
    return _pick(lambda s: [s.hub.insights.view(c.id) for c in s.hub.customers])


def insights() -> st.SearchStrategy[Insights]:
    """A hub's :class:`~orderhub.Insights`, with segments and offers defined."""
    return _stories().map(lambda s: s.hub.insights)


def _rfm_of(s: _Story) -> RFMSummary:
    return s.hub.insights.rfm(s.clock.now().date(), "D")


def rfm_summaries() -> st.SearchStrategy[RFMSummary]:
    """RFM summaries of a hub's customers (lifetimes' definitions)."""
    return _stories(stage=_CAPTURED).map(_rfm_of)


def rfms() -> st.SearchStrategy[RFM]:
    """One customer's RFM summary."""
    return _pick(lambda s: list(_rfm_of(s).values()), stage=_CAPTURED, min_orders=2)


def rfm_scorings() -> st.SearchStrategy[RFMScoring]:
    """The quintile scoring of a population's RFM summary."""
    return _stories(stage=_CAPTURED, min_orders=2).map(
        lambda s: RFMScoring.of(_rfm_of(s), s.clock.now().date(), "D", _rfm_of(s).currency)
    )


def rfm_scores() -> st.SearchStrategy[RFMScore]:
    """Quintile RFM scores and their segment."""
    return _pick(
        lambda s: list(s.hub.insights.rfm_scores(s.clock.now().date()).values()),
        stage=_CAPTURED,
        min_orders=2,
    )


@st.composite
def routing_plans(draw: st.DrawFn) -> RoutingPlan:
    """Plans a drawn routing strategy makes for a captured order over a network view;
    each routes exactly the order's open units."""
    story = draw(_stories(stage=_CAPTURED))
    order = draw(
        st.sampled_from([o for o in story.hub.orders() if o.state is OrderState.CAPTURED])
    )
    strategy = draw(routing_strategies(order.currency))
    return strategy.plan(order, NetworkView(story.hub.network, story.hub.stock))


@st.composite
def network_views(draw: st.DrawFn) -> NetworkView:
    """What a routing strategy sees: a hub's network and stock, some locations excluded,
    some capacity used today."""
    hub = draw(_stories(stage=_CAPTURED)).hub
    ids = [loc.id for loc in hub.network]
    return NetworkView(
        hub.network,
        hub.stock,
        excluded=draw(st.frozensets(st.sampled_from(ids), max_size=2)),
        capacity_used=draw(st.dictionaries(st.sampled_from(ids), st.integers(0, 50), max_size=3)),
    )
