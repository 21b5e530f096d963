"""Hypothesis strategies for orderhub's types, valid by construction.

Every strategy draws values the domain accepts (no ``filter`` that could starve), and most
take parameters that push towards the edges: zero-, three- and four-decimal currencies,
non-ASCII names and cities, huge quantities and amounts, many lines::

    from hypothesis import given
    from orderhub.testing import strategies as ohst

    @given(ohst.money(currency="KWD", allow_negative=True))
    def test_negation_round_trips(m): ...

:func:`order_requests` draws requests that capture without error against a given catalog
(prices, currencies and discounts all agree with it).

Documents that must add up are not assembled field by field: they are drawn from a real
:class:`~orderhub.OrderHub` (on a :class:`~orderhub.testing.FixedClock`) after a drawn day of
business — :func:`hubs`, :func:`orders`, :func:`invoices`, :func:`shipments`,
:func:`journal_entries`, … — or from a real :class:`~orderhub.Receivables` ledger after a
drawn run of invoices, payments, credit notes, write-offs, refunds and bounced payments —
:func:`receivables`, :func:`payment_applications`, :func:`agings`, … Books
(:func:`stock_books`, :func:`networks`, :func:`customer_masters`) come out of valid commands
too.

:func:`register_type_strategies` makes ``st.from_type`` draw every public type from these
strategies; the hypothesis entry point calls it, so a test suite needs no set-up.

This module imports hypothesis (a test dependency); ``orderhub.testing`` itself does not.
"""

# ruff: noqa: E402 -- the entry point hook is defined before the imports, see below.

from __future__ import annotations

_registration_pending = False


def _hypothesis_setup_hook() -> None:
    """Hypothesis's entry point (``[project.entry-points.hypothesis]``): registers the
    strategies of this module, so ``st.from_type`` draws orderhub's types with no set-up.

    Defined before the imports: when this module is imported first, its ``import
    hypothesis`` runs the entry points, which look this hook up on the half-imported
    module; the registration then waits for the end of the module.
    """
    global _registration_pending
    register = globals().get("register_type_strategies")
    if register is None:
        _registration_pending = True
    else:
        register()


# The strategies live in the private modules ``_st_*.py`` and are re-exported here: import
# them from here. (Imported first, before hypothesis, a private module would run the entry
# point, which imports this module and so, again, the half-imported private module.)

import functools
from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from orderhub._billing import BillableLine, Invoice, InvoiceLine
from orderhub._catalog import Catalog, Item
from orderhub._customers import (
    AttributeRecord,
    ConsentRecord,
    Customer,
    CustomerMaster,
    ExternalId,
)
from orderhub._effects import Effect, RetryPolicy
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
from orderhub._identity import CustomerIdentity
from orderhub._insight import CustomerView, Insights
from orderhub._insight_forecast import (
    Backtest,
    DemandSeries,
    Forecaster,
    HoltLinear,
    MovingAverage,
    SimpleExponentialSmoothing,
)
from orderhub._insight_profiles import Profile
from orderhub._insight_rfm import RFM, RFMScore, RFMScoring, RFMSummary
from orderhub._insight_segments import OfferMatch, OfferRule, Segment, Target
from orderhub._journal import (
    Journal,
    JournalEntry,
    JournalLine,
    RecogniseOnDelivery,
    RecogniseOnShipment,
    RevenuePolicy,
)
from orderhub._log import LoggedCommand
from orderhub._money import Money
from orderhub._network import Capability, Location, Network
from orderhub._orders import Hold, LineQuantities, Order, OrderLine
from orderhub._receivables import (
    AccountTotals,
    Aging,
    AgingBucket,
    Application,
    CreditNoteApplication,
    OpenItem,
    PaymentApplication,
    PaymentReversal,
    Receivable,
    Receivables,
    Refund,
    RefundShare,
    Statement,
    StatementLine,
    WriteOff,
)
from orderhub._requests import CaptureContext, Discount, LineRequest, OrderRequest
from orderhub._statemachine import StateTable
from orderhub._stock import Movement, Reservation, ReserveRequest, StockBook, StockPosition, Supply
from orderhub._tax import RateTable, TaxPolicy
from orderhub._terms import Instalment, PaymentTerms
from orderhub._values import Address, Channel, GeoPoint
from orderhub.errors import PayloadProblem
from orderhub.events import Event
from orderhub.ports import Failed, Rejected, Succeeded
from orderhub.routing import (
    AllowSplit,
    Assignment,
    Backorder,
    ByCost,
    ByDistance,
    ByRank,
    Claimer,
    ForChannel,
    HasCapability,
    HasCapacity,
    LocationFilter,
    NetworkView,
    OwnedBy,
    PlannedLine,
    Ranker,
    RoutingPlan,
    RoutingStrategy,
    ServesShipTo,
    ShipComplete,
)
from orderhub.testing._st_events import _event_types, events
from orderhub.testing._st_hub import (
    billable_lines,
    captures,
    confirmed_shipments,
    customer_masters,
    customer_views,
    customers,
    effects,
    fulfillment_lines,
    fulfillment_orders,
    hubs,
    insights,
    invoice_lines,
    invoices,
    journal_entries,
    journal_lines,
    journals,
    network_views,
    order_lines,
    orders,
    packing_slip_lines,
    packing_slips,
    pick_lines,
    pick_lists,
    profiles,
    return_authorizations,
    rfm_scores,
    rfm_scorings,
    rfm_summaries,
    rfms,
    routing_plans,
    shipment_lines,
    shipments,
)
from orderhub.testing._st_hub import logged_commands as logged_commands
from orderhub.testing._st_hub import payload_problems as payload_problems
from orderhub.testing._st_ledger import (
    account_totals,
    aging_buckets,
    agings,
    applications,
    credit_note_applications,
    open_items,
    payment_applications,
    payment_reversals,
    receivable_items,
    receivables,
    refund_shares,
    refunds,
    statement_lines,
    statements,
    write_offs,
)
from orderhub.testing._st_policies import (
    attribute_records,
    backtests,
    consent_records,
    demand_series,
    external_ids,
    forecasters,
    holds,
    instalments,
    line_quantities,
    offer_matches,
    offer_rules,
    outcomes,
    payment_terms,
    rate_tables,
    retry_policies,
    revenue_policies,
    segments,
    state_tables,
    targets,
)
from orderhub.testing._st_stock import (
    _STRATEGY_KINDS,
    assignments,
    backorders,
    claimers,
    location_filters,
    locations,
    movements,
    networks,
    planned_lines,
    rankers,
    reservations,
    reserve_requests,
    routing_strategies,
    split_policies,
    stock_books,
    stock_positions,
    supplies,
)
from orderhub.testing._st_values import (
    _optional,
    _tokens,
    addresses,
    attribute_names,
    attribute_values,
    aware_datetimes,
    capture_contexts,
    catalogs,
    currencies,
    customer_identities,
    discounts,
    emails,
    geo_points,
    items,
    line_requests,
    money,
    order_requests,
    phones,
    skus,
    texts,
)

__all__ = [
    "account_totals",
    "addresses",
    "aging_buckets",
    "agings",
    "applications",
    "assignments",
    "attribute_names",
    "attribute_records",
    "attribute_values",
    "aware_datetimes",
    "backorders",
    "backtests",
    "billable_lines",
    "capture_contexts",
    "captures",
    "catalogs",
    "claimers",
    "confirmed_shipments",
    "consent_records",
    "credit_note_applications",
    "currencies",
    "customer_identities",
    "customer_masters",
    "customer_views",
    "customers",
    "demand_series",
    "discounts",
    "effects",
    "emails",
    "events",
    "external_ids",
    "forecasters",
    "fulfillment_lines",
    "fulfillment_orders",
    "geo_points",
    "holds",
    "hubs",
    "insights",
    "instalments",
    "invoice_lines",
    "invoices",
    "items",
    "journal_entries",
    "journal_lines",
    "journals",
    "line_quantities",
    "line_requests",
    "location_filters",
    "locations",
    "money",
    "movements",
    "network_views",
    "networks",
    "offer_matches",
    "offer_rules",
    "open_items",
    "order_lines",
    "order_requests",
    "orders",
    "outcomes",
    "packing_slip_lines",
    "packing_slips",
    "payment_applications",
    "payment_reversals",
    "payment_terms",
    "phones",
    "pick_lines",
    "pick_lists",
    "planned_lines",
    "profiles",
    "rankers",
    "rate_tables",
    "receivable_items",
    "receivables",
    "refund_shares",
    "refunds",
    "register_type_strategies",
    "reservations",
    "reserve_requests",
    "retry_policies",
    "return_authorizations",
    "revenue_policies",
    "rfm_scores",
    "rfm_scorings",
    "rfm_summaries",
    "rfms",
    "routing_plans",
    "routing_strategies",
    "segments",
    "shipment_lines",
    "shipments",
    "skus",
    "split_policies",
    "state_tables",
    "statement_lines",
    "statements",
    "stock_books",
    "stock_positions",
    "supplies",
    "targets",
    "texts",
    "write_offs",
]


# -- hypothesis integration -----------------------------------------------------------------


def register_type_strategies() -> None:
    """Make ``st.from_type`` (and ``st.builds`` inference) draw orderhub's types from these
    strategies, so that they are valid by construction.

    Each type is registered with a function that builds its strategy on first use, so that
    registering (which the entry point does whenever hypothesis is imported) costs nothing.
    """
    for cls in _strategies():
        st.register_type_strategy(cls, _strategy_for)


def _strategy_for(cls: type[Any]) -> st.SearchStrategy[Any]:
    return _strategies()[cls]()


@functools.cache
def _strategies() -> dict[type[Any], Callable[[], st.SearchStrategy[Any]]]:
    """How to make the strategy of every registered type (called only when drawn)."""
    makers: dict[type[Any], Callable[[], st.SearchStrategy[Any]]] = {
        cls: functools.partial(_built, make) for cls, make in _registry().items()
    }
    for cls in _event_types():
        makers[cls] = functools.partial(events, cls)
    makers[Event] = events
    return makers


@functools.cache
def _built(make: Callable[[], st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    return make()


def _registry() -> dict[type[Any], Callable[[], st.SearchStrategy[Any]]]:
    """How to make the strategy of every public type: values, documents, books, policies."""
    return {
        # values
        Money: money,
        GeoPoint: geo_points,
        Address: addresses,
        CustomerIdentity: customer_identities,
        Discount: discounts,
        CaptureContext: capture_contexts,
        LineRequest: line_requests,
        OrderRequest: order_requests,
        Item: items,
        Catalog: catalogs,
        Location: locations,
        StockPosition: stock_positions,
        Movement: movements,
        ReserveRequest: reserve_requests,
        Reservation: reservations,
        Supply: supplies,
        # orders, customers, catalog
        Hold: holds,
        LineQuantities: line_quantities,
        Order: orders,
        OrderLine: order_lines,
        Captured: captures,
        ExternalId: external_ids,
        AttributeRecord: attribute_records,
        ConsentRecord: consent_records,
        Customer: customers,
        CustomerMaster: customer_masters,
        # network, stock, routing
        Network: networks,
        StockBook: stock_books,
        PlannedLine: planned_lines,
        Assignment: assignments,
        Backorder: backorders,
        RoutingPlan: routing_plans,
        ShipComplete: lambda: st.just(ShipComplete()),
        AllowSplit: lambda: st.builds(
            AllowSplit,
            max_shipments=_optional(st.integers(1, 5)),
            min_shipment_value=_optional(money(max_value=1000)),
        ),
        NetworkView: network_views,
        HasCapability: lambda: st.builds(HasCapability, st.sampled_from(Capability)),
        ServesShipTo: lambda: st.just(ServesShipTo()),
        HasCapacity: lambda: st.just(HasCapacity()),
        OwnedBy: lambda: st.builds(OwnedBy, _tokens()),
        ForChannel: lambda: st.builds(
            ForChannel, st.sampled_from(Channel), st.frozensets(_tokens(), max_size=3)
        ),
        ByDistance: lambda: st.just(ByDistance()),
        ByRank: lambda: st.just(ByRank()),
        ByCost: lambda: st.just(ByCost()),
        **{kind: functools.partial(routing_strategies, kinds=(kind,)) for kind in _STRATEGY_KINDS},
        # fulfilment
        FulfillmentOrder: fulfillment_orders,
        FulfillmentLine: fulfillment_lines,
        Shipment: shipments,
        ShipmentLine: shipment_lines,
        Shipped: confirmed_shipments,
        PackingSlip: packing_slips,
        PackingSlipLine: packing_slip_lines,
        PickList: pick_lists,
        PickLine: pick_lines,
        ReturnAuthorization: return_authorizations,
        # billing, terms, tax, journal
        Invoice: invoices,
        InvoiceLine: invoice_lines,
        BillableLine: billable_lines,
        Instalment: instalments,
        PaymentTerms: payment_terms,
        RateTable: rate_tables,
        Journal: journals,
        JournalEntry: journal_entries,
        JournalLine: journal_lines,
        RecogniseOnShipment: lambda: st.just(RecogniseOnShipment()),
        RecogniseOnDelivery: lambda: st.just(RecogniseOnDelivery()),
        # receivables
        Receivables: receivables,
        Receivable: receivable_items,
        OpenItem: open_items,
        Application: applications,
        PaymentApplication: payment_applications,
        CreditNoteApplication: credit_note_applications,
        PaymentReversal: payment_reversals,
        Refund: refunds,
        RefundShare: refund_shares,
        WriteOff: write_offs,
        AccountTotals: account_totals,
        Statement: statements,
        StatementLine: statement_lines,
        Aging: agings,
        AgingBucket: aging_buckets,
        # effects and the hub
        Effect: effects,
        LoggedCommand: logged_commands,
        PayloadProblem: payload_problems,
        RetryPolicy: retry_policies,
        Succeeded: lambda: st.builds(Succeeded, texts(max_size=30)),
        Rejected: lambda: st.builds(Rejected, texts(max_size=30)),
        Failed: lambda: st.builds(Failed, texts(max_size=30)),
        OrderHub: hubs,
        StateTable: state_tables,
        # insight
        Insights: insights,
        Profile: profiles,
        CustomerView: customer_views,
        RFM: rfms,
        RFMSummary: rfm_summaries,
        RFMScore: rfm_scores,
        RFMScoring: rfm_scorings,
        Segment: segments,
        OfferRule: offer_rules,
        OfferMatch: offer_matches,
        Target: targets,
        DemandSeries: demand_series,
        Backtest: backtests,
        MovingAverage: lambda: st.builds(MovingAverage, st.integers(1, 12)),
        SimpleExponentialSmoothing: lambda: st.builds(
            SimpleExponentialSmoothing, st.floats(0, 1, exclude_min=True)
        ),
        HoltLinear: lambda: st.builds(
            HoltLinear, st.floats(0, 1, exclude_min=True), st.floats(0, 1, exclude_min=True)
        ),
        # the protocols with built-in implementations draw those
        RoutingStrategy: routing_strategies,
        Claimer: claimers,
        LocationFilter: location_filters,
        Ranker: rankers,
        TaxPolicy: rate_tables,
        RevenuePolicy: revenue_policies,
        Forecaster: forecasters,
    }


if _registration_pending:  # hypothesis was first imported by this module: see the hook
    register_type_strategies()
